//! XML reading: one configuration file text → an owned element tree with line numbers.
//!
//! `roxmltree` does the parsing (DTDs rejected, so no entity expansion and no XML bombs); this
//! module bounds size, node count and nesting depth, tolerates a BOM and an
//! `encoding="utf-16"` declaration (the collector already decoded the text), computes line
//! numbers in O(log n) per node, and redacts secrets on the way in: a `password` attribute is
//! stored as `[enc:<provider>:…:enc]` or as [`PLAINTEXT_MARK`], never as the password itself.

/// Largest file text accepted (bytes): the applicationHost.config of a host with a few hundred
/// thousand sites (100,000 sites take about 30 MB).
pub const MAX_FILE_BYTES: usize = 128 * 1024 * 1024;
/// Deepest element nesting accepted. Real IIS configuration files stay below 15.
pub const MAX_DEPTH: usize = 64;
/// Most XML nodes (elements, text, comments) accepted in one file (100,000 sites are about
/// 2 million).
pub const MAX_NODES: u32 = 16_000_000;

/// What a plaintext secret attribute is stored as.
pub const PLAINTEXT_MARK: &str = super::redact::REDACTED;

/// An element or attribute name: common names are shared statics (fewer allocations).
pub(crate) type Name = std::borrow::Cow<'static, str>;

fn intern(n: &str) -> Name {
    macro_rules! known {
        ($($s:literal),* $(,)?) => {
            match n {
                $($s => Name::Borrowed($s),)*
                _ => Name::Owned(n.to_string()),
            }
        };
    }
    known!(
        "add",
        "remove",
        "clear",
        "location",
        "configuration",
        "site",
        "application",
        "virtualDirectory",
        "bindings",
        "binding",
        "name",
        "id",
        "path",
        "value",
        "physicalPath",
        "applicationPool",
        "protocol",
        "bindingInformation",
        "sslFlags",
        "enabled",
        "users",
        "roles",
        "verbs",
        "accessType",
        "allow",
        "deny",
        "type",
        "image",
        "preCondition",
        "processModel",
        "identityType",
        "userName",
        "password",
        "managedRuntimeVersion",
        "managedPipelineMode",
        "system.webServer",
        "system.web",
        "system.applicationHost",
        "security",
        "authentication",
        "authorization",
        "providers",
        "logFile",
        "directory",
        "overrideMode",
        "inheritInChildApplications",
        "mimeMap",
        "fileExtension",
        "mimeType",
        "error",
        "statusCode",
        "subStatusCode",
        "prefixLanguageFilePath",
        "responseMode",
        "modules",
        "handlers",
        "verb",
        "scriptProcessor",
        "resourceType",
        "requireAccess",
        "filter",
        "section",
        "sectionGroup",
        "overrideModeDefault",
        "allowDefinition",
        "windowsAuthentication",
        "anonymousAuthentication",
        "basicAuthentication",
        "key",
        "lockItem",
        "allowSubDirConfig",
        "logonMethod",
        "logFormat",
        "enabled32BitAppOnWin64",
        "autoStart",
        "startMode",
        "ipAddress",
        "subnetMask",
        "allowed",
        "domainName",
    )
}

/// Common attribute values are shared statics too.
fn intern_value(v: &str) -> Name {
    macro_rules! known {
        ($($s:literal),* $(,)?) => {
            match v {
                $($s => Name::Borrowed($s),)*
                _ => Name::Owned(v.to_string()),
            }
        };
    }
    known!(
        "",
        "true",
        "false",
        "True",
        "False",
        "/",
        "*",
        "?",
        "0",
        "1",
        "2",
        "http",
        "https",
        "Allow",
        "Deny",
        "v4.0",
        "v2.0",
        "Integrated",
        "Classic",
        "ApplicationPoolIdentity",
        "SpecificUser",
        "NetworkService",
        "LocalSystem",
        "LocalService",
        "W3C",
        "Daily",
        "Negotiate",
        "NTLM",
        "IUSR",
        "Unauthorized",
        "Forbidden",
        "None",
        "Ssl",
        "GET",
        "POST",
        "File",
        "Either",
        "Script",
        "Read",
        "Unspecified",
        "Detailed",
        "DetailedLocalOnly",
        "Custom",
        "DefaultAppPool",
        "ClearText",
        "Windows",
        "Forms",
    )
}

/// One element of a parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlElement {
    pub name: Name,
    pub attrs: Vec<XmlAttr>,
    pub children: Vec<XmlElement>,
    pub line: u32,
}

/// One attribute; `line` is where the attribute itself starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlAttr {
    pub name: Name,
    pub value: Name,
    pub line: u32,
}

impl XmlElement {
    pub fn attr(&self, name: &str) -> Option<&XmlAttr> {
        self.attrs.iter().find(|a| &*a.name == name)
    }

    pub fn attr_value(&self, name: &str) -> Option<&str> {
        self.attr(name).map(|a| &*a.value)
    }

    /// Attribute lookup ignoring ASCII case (for location-tag attributes and similar).
    pub fn attr_ci(&self, name: &str) -> Option<&XmlAttr> {
        self.attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn child(&self, name: &str) -> Option<&XmlElement> {
        self.children.iter().find(|c| &*c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a XmlElement> {
        self.children.iter().filter(move |c| &*c.name == name)
    }
}

/// A parse failure with its position (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XmlError {
    pub kind: XmlErrorKind,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XmlErrorKind {
    TooLarge,
    TooDeep,
    TooManyNodes,
    Dtd,
    Malformed,
}

/// A `password` attribute found in plain text (value never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundSecret {
    pub line: u32,
    pub element_path: String,
    pub attribute: String,
}

/// The result of reading one file.
pub(crate) struct ParsedXml {
    pub root: XmlElement,
    pub secrets: Vec<FoundSecret>,
}

/// Byte offsets of line starts. Lookups in document order advance a cursor (amortized
/// O(1)); out-of-order lookups fall back to binary search.
struct LineIndex {
    starts: Vec<usize>,
    cursor: std::cell::Cell<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 40 + 1);
        starts.push(0);
        starts.extend(memchr_newlines(text.as_bytes()));
        LineIndex {
            starts,
            cursor: std::cell::Cell::new(0),
        }
    }

    fn line(&self, pos: usize) -> u32 {
        let mut idx = self.cursor.get();
        if self.starts[idx] > pos {
            idx = match self.starts.binary_search(&pos) {
                Ok(i) => i,
                Err(i) => i - 1,
            };
        } else {
            while idx + 1 < self.starts.len() && self.starts[idx + 1] <= pos {
                idx += 1;
            }
        }
        self.cursor.set(idx);
        u32::try_from(idx + 1).unwrap_or(u32::MAX)
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

/// Prepares a decoded text for roxmltree: drops a leading BOM and rewrites an
/// `encoding="utf-16"` (or `unicode`) declaration to UTF-8 in place, keeping every byte offset
/// after it unchanged so positions stay right.
fn prepare(text: &str) -> std::borrow::Cow<'_, str> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let head_end = body.find("?>").filter(|&e| e < 200);
    if body.starts_with("<?xml") {
        if let Some(end) = head_end {
            let head = &body[..end];
            let lower = head.to_ascii_lowercase();
            if let Some(p) = lower.find("encoding") {
                let rest = &lower[p + 8..];
                let trimmed = rest.trim_start_matches([' ', '=', '\t']);
                let q = trimmed.chars().next();
                if matches!(q, Some('"') | Some('\'')) {
                    let vstart = p + 8 + (rest.len() - trimmed.len()) + 1;
                    if let Some(vlen) = lower[vstart..].find(q.unwrap_or('"')) {
                        let enc = &lower[vstart..vstart + vlen];
                        if enc.starts_with("utf-16") || enc == "unicode" || enc == "ucs-2" {
                            let mut s = String::with_capacity(body.len());
                            s.push_str(&body[..vstart]);
                            s.push_str("utf-8");
                            // pad inside the quotes is not allowed; pad after the closing quote.
                            s.push(q.unwrap_or('"'));
                            for _ in 0..vlen.saturating_sub(5) {
                                s.push(' ');
                            }
                            s.push_str(&body[vstart + vlen + 1..]);
                            return std::borrow::Cow::Owned(s);
                        }
                    }
                }
            }
        }
    }
    std::borrow::Cow::Borrowed(body)
}

/// Parses one file text.
pub(crate) fn parse(text: &str) -> Result<ParsedXml, XmlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(XmlError {
            kind: XmlErrorKind::TooLarge,
            line: 1,
            column: 1,
            message: format!(
                "file is {} bytes, more than the {} byte bound; not parsed",
                text.len(),
                MAX_FILE_BYTES
            ),
        });
    }
    let prepared = prepare(text);
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = match roxmltree::Document::parse_with_options(&prepared, opts) {
        Ok(d) => d,
        Err(e) => {
            let pos = e.pos();
            let kind = match e {
                roxmltree::Error::DtdDetected => XmlErrorKind::Dtd,
                roxmltree::Error::NodesLimitReached => XmlErrorKind::TooManyNodes,
                _ => XmlErrorKind::Malformed,
            };
            let message = match kind {
                XmlErrorKind::Dtd => {
                    "the file has a DTD (<!DOCTYPE>); DTDs and entities are refused".to_string()
                }
                XmlErrorKind::TooManyNodes => {
                    format!("more than {MAX_NODES} XML nodes; not parsed")
                }
                _ => format!("malformed XML: {e}"),
            };
            return Err(XmlError {
                kind,
                line: pos.row,
                column: pos.col,
                message,
            });
        }
    };
    let lines = LineIndex::new(&prepared);
    let root = doc.root_element();
    let mut secrets = Vec::new();
    let root = convert(root, &lines, 1, &mut secrets)?;
    Ok(ParsedXml { root, secrets })
}

/// `configuration/…/add[@name='x']/processModel` for a node (built only when a secret is found).
fn element_path(node: roxmltree::Node<'_, '_>) -> String {
    let mut parts: Vec<String> = node
        .ancestors()
        .filter(|n| n.is_element())
        .map(|n| {
            let name = n.tag_name().name();
            match ["name", "path", "value"]
                .iter()
                .find_map(|k| n.attribute(*k).map(|v| (k, v)))
            {
                Some((k, v)) => format!("{name}[@{k}='{v}']"),
                None => name.to_string(),
            }
        })
        .collect();
    parts.reverse();
    parts.join("/")
}

fn convert(
    node: roxmltree::Node<'_, '_>,
    lines: &LineIndex,
    depth: usize,
    secrets: &mut Vec<FoundSecret>,
) -> Result<XmlElement, XmlError> {
    let line = lines.line(node.range().start);
    if depth > MAX_DEPTH {
        return Err(XmlError {
            kind: XmlErrorKind::TooDeep,
            line,
            column: 1,
            message: format!("elements nested deeper than {MAX_DEPTH} levels; not parsed"),
        });
    }
    let name = intern(node.tag_name().name());
    let mut attrs = Vec::with_capacity(node.attributes().len());
    // `<add key="SmtpPassword" value="…"/>`: the value is a secret because of the key.
    let secret_value = node
        .attributes()
        .any(|a| a.name().eq_ignore_ascii_case("key") && super::redact::is_secret_key(a.value()));
    for a in node.attributes() {
        let aname = a.name();
        let aline = lines.line(a.range().start);
        let raw = a.value();
        let whole_secret = (super::redact::is_secret_attribute(aname)
            && !aname.eq_ignore_ascii_case("password"))
            || (secret_value && aname.eq_ignore_ascii_case("value"));
        let value: Name = if whole_secret {
            if super::redact::is_plain_secret(raw) {
                secrets.push(FoundSecret {
                    line: aline,
                    element_path: element_path(node),
                    attribute: aname.to_string(),
                });
                Name::Borrowed(PLAINTEXT_MARK)
            } else {
                intern_value(raw)
            }
        } else if aname.eq_ignore_ascii_case("password") {
            match classify_secret(raw) {
                SecretForm::Empty => Name::Borrowed(""),
                SecretForm::Encrypted(provider) => Name::Owned(format!("[enc:{provider}:…:enc]")),
                SecretForm::Plaintext => {
                    secrets.push(FoundSecret {
                        line: aline,
                        element_path: element_path(node),
                        attribute: aname.to_string(),
                    });
                    Name::Borrowed(PLAINTEXT_MARK)
                }
            }
        } else if super::redact::may_hold_secret(raw) {
            match redact_connection_string(raw) {
                Some(redacted) => {
                    secrets.push(FoundSecret {
                        line: aline,
                        element_path: element_path(node),
                        attribute: aname.to_string(),
                    });
                    Name::Owned(redacted)
                }
                None => intern_value(raw),
            }
        } else {
            intern_value(raw)
        };
        attrs.push(XmlAttr {
            name: intern(aname),
            value,
            line: aline,
        });
    }
    let n_children = node.children().filter(|c| c.is_element()).count();
    let mut children = Vec::with_capacity(n_children);
    for c in node.children().filter(|c| c.is_element()) {
        children.push(convert(c, lines, depth + 1, secrets)?);
    }
    Ok(XmlElement {
        name,
        attrs,
        children,
        line,
    })
}

/// How a secret attribute value looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretForm<'a> {
    Empty,
    Encrypted(&'a str),
    Plaintext,
}

/// `[enc:Provider:data:enc]` is IIS's encrypted attribute form; anything else non-empty is
/// plain text.
pub(crate) fn classify_secret(raw: &str) -> SecretForm<'_> {
    let t = raw.trim();
    if t.is_empty() {
        return SecretForm::Empty;
    }
    if let Some(inner) = t
        .strip_prefix("[enc:")
        .and_then(|s| s.strip_suffix(":enc]"))
    {
        let provider = inner.split(':').next().unwrap_or("");
        return SecretForm::Encrypted(provider);
    }
    SecretForm::Plaintext
}

/// Masks the passwords inside a connection string or URI (see [`super::redact::redact_text`]);
/// `None` when it holds none.
fn redact_connection_string(raw: &str) -> Option<String> {
    let out = super::redact::redact_text(raw);
    (out != raw).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_attrs() {
        let p = parse("<configuration>\n  <a x=\"1\"\n     y=\"2\"/>\n</configuration>").unwrap();
        let a = &p.root.children[0];
        assert_eq!(a.line, 2);
        assert_eq!(a.attr("x").unwrap().line, 2);
        assert_eq!(a.attr("y").unwrap().line, 3);
    }

    #[test]
    fn bom_and_utf16_declaration() {
        let t = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-16\"?>\n<configuration>\n<x/></configuration>";
        let p = parse(t).unwrap();
        assert_eq!(p.root.children[0].line, 3);
        let t = "<?xml version='1.0' encoding='UTF-16' standalone='yes'?><configuration/>";
        assert!(parse(t).is_ok());
    }

    #[test]
    fn dtd_refused() {
        let t = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><configuration>&lol;</configuration>";
        let e = parse(t).err().unwrap();
        assert_eq!(e.kind, XmlErrorKind::Dtd);
    }

    #[test]
    fn depth_bounded() {
        let mut t = String::new();
        for _ in 0..(MAX_DEPTH + 5) {
            t.push_str("<a>");
        }
        for _ in 0..(MAX_DEPTH + 5) {
            t.push_str("</a>");
        }
        assert_eq!(parse(&t).err().unwrap().kind, XmlErrorKind::TooDeep);
    }

    #[test]
    fn malformed_has_position() {
        let e = parse("<configuration>\n<a>\n</b></configuration>")
            .err()
            .unwrap();
        assert_eq!(e.kind, XmlErrorKind::Malformed);
        assert_eq!(e.line, 3);
    }

    #[test]
    fn every_kind_of_secret_is_hidden_on_the_way_in() {
        let p = parse(
            "<configuration>\
             <machineKey validationKey=\"0123456789ABCDEF0123456789ABCDEF\" decryptionKey=\"AutoGenerate,IsolateApps\"/>\
             <appSettings><add key=\"Smtp.Password\" value=\"mail-s3cret\"/>\
             <add key=\"ApiToken\" value=\"tok-s3cret\"/><add key=\"Theme\" value=\"blue\"/></appSettings>\
             <connectionStrings><add name=\"a\" connectionString=\"Server=x;Password='q;s3cret';\"/>\
             <add name=\"b\" connectionString=\"Provider=Microsoft.Jet.OLEDB.4.0;Jet OLEDB:Database Password=jet-s3cret\"/>\
             <add name=\"c\" connectionString=\"amqp://svc:uri-s3cret@mq:5672/\"/></connectionStrings>\
             </configuration>",
        )
        .unwrap();
        let text = format!("{:?}", p.root);
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!text.contains("0123456789ABCDEF"), "{text}");
        assert!(text.contains("AutoGenerate,IsolateApps"), "{text}");
        assert!(text.contains("blue"), "{text}");
        assert_eq!(p.secrets.len(), 6, "{:?}", p.secrets);
    }

    #[test]
    fn secrets_redacted() {
        let p = parse(
            "<configuration><add name=\"p\" password=\"hunter2\"/><v password=\"[enc:AesProvider:abc=:enc]\"/>\
             <c connectionString=\"Server=x;User Id=u;Password=hunter2;\"/></configuration>",
        )
        .unwrap();
        let text = format!("{:?}", p.root);
        assert!(!text.contains("hunter2"));
        assert_eq!(p.secrets.len(), 2);
        assert_eq!(p.secrets[0].element_path, "configuration/add[@name='p']");
        assert_eq!(
            p.root.children[1].attr_value("password"),
            Some("[enc:AesProvider:…:enc]")
        );
    }
}
