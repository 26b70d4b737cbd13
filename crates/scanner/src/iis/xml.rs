//! XML reading: one configuration file text → an owned element tree with line numbers.
//!
//! `quick-xml` reads the text in one streaming pass (DTDs rejected, so no entity expansion and no
//! XML bombs); this module builds the tree, checks well-formedness, bounds size, node count and
//! nesting depth, tolerates a BOM and an `encoding="utf-16"` declaration (the collector already
//! decoded the text), counts lines as the reader moves forward, and redacts secrets on the way
//! in: a `password` attribute is stored as `[enc:<provider>:…:enc]` or as [`PLAINTEXT_MARK`],
//! never as the password itself.

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

/// An element or attribute name or value: common ones are statics, short ones sit inline, and a
/// clone of a long one shares it (the model copies these from file to merge to finding). The
/// same type as the model's `Text` (which `xml` may not import: `model` imports `xml`).
pub(crate) type Name = smol_str::SmolStr;

fn intern(n: &str) -> Name {
    macro_rules! known {
        ($($s:literal),* $(,)?) => {
            match n {
                $($s => Name::new_static($s),)*
                _ => Name::new(n),
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
                $($s => Name::new_static($s),)*
                _ => Name::new(v),
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

/// Line numbers for byte offsets: the reader moves forward, so each lookup counts the newlines
/// since the previous one (the text is scanned once); a lookup behind the last (an error
/// position) counts from the top.
struct LineCounter<'a> {
    src: &'a str,
    pos: std::cell::Cell<usize>,
    line: std::cell::Cell<u32>,
}

impl<'a> LineCounter<'a> {
    fn new(src: &'a str) -> Self {
        LineCounter {
            src,
            pos: std::cell::Cell::new(0),
            line: std::cell::Cell::new(1),
        }
    }

    fn line(&self, pos: usize) -> u32 {
        let pos = pos.min(self.src.len());
        let (from, line) = if pos >= self.pos.get() {
            (self.pos.get(), self.line.get())
        } else {
            (0, 1)
        };
        let seen = memchr::memchr_iter(b'\n', &self.src.as_bytes()[from..pos]).count();
        let line = line.saturating_add(u32::try_from(seen).unwrap_or(u32::MAX));
        self.pos.set(pos);
        self.line.set(line);
        line
    }
}

/// Prepares a decoded text for the reader: drops a leading BOM and rewrites an
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
///
/// One streaming pass (quick-xml) straight into [`XmlElement`]s: no intermediate document
/// tree. What a conforming parser refuses is refused here too: mismatched or unclosed tags,
/// duplicate or unquoted attributes, unknown entities, text or a second element outside the
/// root, a DTD. Namespace prefixes are dropped from element and attribute names and `xmlns`
/// declarations are not attributes (IIS ignores namespaces; `xdt:Transform` reads `Transform`).
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
    Builder::new(&prepared).run()
}

/// The state of one pass: the open elements, the finished root, the secrets found.
struct Builder<'a> {
    src: &'a str,
    lines: LineCounter<'a>,
    /// Open elements, each with where its children start in `done`.
    open: Vec<(XmlElement, usize)>,
    /// Finished elements whose parent is still open: moved into the parent, in one
    /// allocation of the right size, when it closes (100,000 sites → one `<sites>` vector).
    done: Vec<XmlElement>,
    root: Option<XmlElement>,
    nodes: u32,
    secrets: Vec<FoundSecret>,
    /// Scratch for one start tag's attributes: (name, line, normalised value).
    raw_attrs: Vec<(&'a str, u32, std::borrow::Cow<'a, str>)>,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str) -> Self {
        Builder {
            src,
            lines: LineCounter::new(src),
            open: Vec::new(),
            done: Vec::new(),
            root: None,
            nodes: 0,
            secrets: Vec::new(),
            raw_attrs: Vec::new(),
        }
    }

    fn run(mut self) -> Result<ParsedXml, XmlError> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(self.src);
        loop {
            let event = match reader.read_event() {
                Ok(e) => e,
                Err(e) => {
                    let pos = usize::try_from(reader.error_position()).unwrap_or(0);
                    return Err(self.malformed(pos, &e.to_string()));
                }
            };
            match event {
                Event::Start(e) => {
                    let el = self.element(&e)?;
                    self.open.push((el, self.done.len()));
                }
                Event::Empty(e) => {
                    let el = self.element(&e)?;
                    self.close(el);
                }
                Event::End(_) => {
                    // The reader has checked that the name matches the open tag.
                    if let Some((mut el, first_child)) = self.open.pop() {
                        el.children = self.done.drain(first_child..).collect();
                        self.close(el);
                    }
                }
                Event::Text(t) => {
                    let at = self.offset(&t);
                    self.count_node(at)?;
                    if self.open.is_empty() {
                        if let Some(i) = t.bytes().position(|b| !b.is_ascii_whitespace()) {
                            return Err(self.malformed(at + i, "text outside the root element"));
                        }
                    }
                }
                Event::GeneralRef(r) => {
                    let pos = self.offset(&r);
                    let known = if r.is_char_ref() {
                        matches!(r.resolve_char_ref(), Ok(Some(_)))
                    } else {
                        matches!(&*r, "lt" | "gt" | "amp" | "apos" | "quot")
                    };
                    if !known {
                        let name = &*r;
                        return Err(self.malformed(pos, &format!("unknown entity '&{name};'")));
                    }
                    if self.open.is_empty() {
                        return Err(self.malformed(pos, "text outside the root element"));
                    }
                }
                Event::CData(c) => {
                    let at = self.offset(&c);
                    self.count_node(at)?;
                    if self.open.is_empty() {
                        return Err(self.malformed(at, "CDATA outside the root element"));
                    }
                }
                Event::Comment(c) => self.count_node(self.offset(&c))?,
                Event::PI(p) => self.count_node(self.offset(&p))?,
                Event::Decl(_) => {}
                Event::DocType(d) => {
                    return Err(self.error(
                        XmlErrorKind::Dtd,
                        self.offset(&d),
                        "the file has a DTD (<!DOCTYPE>); DTDs and entities are refused".into(),
                    ));
                }
                Event::Eof => break,
            }
        }
        if let Some((el, _)) = self.open.last() {
            // Point at the element left open: that is where the fix goes.
            let ends = self.lines.line(self.src.len());
            let message = format!(
                "<{}> is never closed (the file ends on line {ends} first)",
                el.name
            );
            return Err(XmlError {
                line: el.line,
                column: 1,
                ..self.malformed(self.src.len(), &message)
            });
        }
        match self.root {
            Some(root) => Ok(ParsedXml {
                root,
                secrets: self.secrets,
            }),
            None => Err(self.malformed(self.src.len(), "no root element")),
        }
    }

    /// Byte offset of a slice the reader borrowed from the text (0 if it did not).
    fn offset(&self, part: &str) -> usize {
        let (base, at) = (self.src.as_ptr() as usize, part.as_ptr() as usize);
        if at >= base && at <= base + self.src.len() {
            at - base
        } else {
            0
        }
    }

    /// 1-based column in characters. Works on bytes: a reader's error position need not fall
    /// on a character boundary, and slicing the text there would panic.
    fn column(&self, pos: usize) -> u32 {
        let bytes = &self.src.as_bytes()[..pos.min(self.src.len())];
        let start = memchr::memrchr(b'\n', bytes).map_or(0, |i| i + 1);
        let chars = bytes[start..]
            .iter()
            .filter(|b| (**b & 0xC0) != 0x80)
            .count();
        u32::try_from(chars + 1).unwrap_or(u32::MAX)
    }

    fn error(&self, kind: XmlErrorKind, pos: usize, message: String) -> XmlError {
        XmlError {
            kind,
            line: self.lines.line(pos),
            column: self.column(pos),
            message,
        }
    }

    fn malformed(&self, pos: usize, what: &str) -> XmlError {
        self.error(
            XmlErrorKind::Malformed,
            pos,
            format!("malformed XML: {what}"),
        )
    }

    fn count_node(&mut self, pos: usize) -> Result<(), XmlError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            let message = format!("more than {MAX_NODES} XML nodes; not parsed");
            return Err(self.error(XmlErrorKind::TooManyNodes, pos, message));
        }
        Ok(())
    }

    /// A finished element goes to its parent, or becomes the root.
    fn close(&mut self, el: XmlElement) {
        if self.open.is_empty() {
            self.root = Some(el);
        } else {
            self.done.push(el);
        }
    }

    /// Reads one start tag into an element (no children yet), hiding secrets on the way.
    fn element(&mut self, e: &quick_xml::events::BytesStart<'a>) -> Result<XmlElement, XmlError> {
        let pos = self.offset(e.name().as_ref()).saturating_sub(1);
        let line = self.lines.line(pos);
        self.count_node(pos)?;
        if self.open.len() + 1 > MAX_DEPTH {
            return Err(XmlError {
                kind: XmlErrorKind::TooDeep,
                line,
                column: 1,
                message: format!("elements nested deeper than {MAX_DEPTH} levels; not parsed"),
            });
        }
        if self.open.is_empty() && self.root.is_some() {
            return Err(self.malformed(pos, "a second root element"));
        }
        let name = intern(self.text_of(e.local_name().into_inner(), pos)?);
        self.raw_attrs.clear();
        // Duplicates are checked below on the few names of this tag (the reader's own check
        // allocates for every element).
        for a in e.attributes().with_checks(false) {
            let a = a.map_err(|err| self.malformed(pos, &err.to_string()))?;
            let key = a.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let at = self.offset(key);
            let aname = self.text_of(a.key.local_name().into_inner(), at)?;
            let value = match a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| self.malformed(at, &err.to_string()))?
            {
                std::borrow::Cow::Borrowed(v) => std::borrow::Cow::Borrowed(self.text_of(v, at)?),
                std::borrow::Cow::Owned(v) => std::borrow::Cow::Owned(v),
            };
            let aline = self.lines.line(at);
            if self.raw_attrs.iter().any(|(n, _, _)| *n == aname) {
                return Err(self.malformed(at, &format!("attribute '{aname}' appears twice")));
            }
            self.raw_attrs.push((aname, aline, value));
        }
        let raw_attrs = std::mem::take(&mut self.raw_attrs);
        // `<add key="SmtpPassword" value="…"/>`: the value is a secret because of the key.
        let secret_value = raw_attrs
            .iter()
            .any(|(n, _, v)| n.eq_ignore_ascii_case("key") && super::redact::is_secret_key(v));
        let mut attrs = Vec::with_capacity(raw_attrs.len());
        for (aname, aline, raw) in &raw_attrs {
            let (aname, aline, raw) = (*aname, *aline, &**raw);
            let secret = |this: &mut Self| {
                this.secrets.push(FoundSecret {
                    line: aline,
                    element_path: this.element_path(&name, &raw_attrs),
                    attribute: aname.to_string(),
                })
            };
            let is_password = aname.eq_ignore_ascii_case("password");
            let value: Name = if (!is_password && super::redact::is_secret_attribute(aname))
                || (secret_value && aname.eq_ignore_ascii_case("value"))
            {
                if super::redact::is_plain_secret(raw) {
                    secret(self);
                    Name::new_static(PLAINTEXT_MARK)
                } else {
                    intern_value(raw)
                }
            } else if is_password {
                match classify_secret(raw) {
                    SecretForm::Empty => Name::default(),
                    SecretForm::Encrypted(provider) => {
                        Name::from(format!("[enc:{provider}:…:enc]"))
                    }
                    SecretForm::Plaintext => {
                        secret(self);
                        Name::new_static(PLAINTEXT_MARK)
                    }
                }
            } else if super::redact::may_hold_secret(raw) {
                match redact_connection_string(raw) {
                    Some(redacted) => {
                        secret(self);
                        Name::from(redacted)
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
        self.raw_attrs = raw_attrs;
        Ok(XmlElement {
            name,
            attrs,
            children: Vec::new(),
            line,
        })
    }

    /// A name the reader borrowed from the text, with the text's lifetime.
    fn text_of(&self, part: &str, pos: usize) -> Result<&'a str, XmlError> {
        let at = self.offset(part);
        self.src
            .get(at..at + part.len())
            .filter(|s| s.as_ptr() == part.as_ptr())
            .ok_or_else(|| self.malformed(pos, "a name that is not text"))
    }

    /// `configuration/…/add[@name='x']/processModel` for the element being read (built only
    /// when a secret is found).
    fn element_path(&self, name: &str, attrs: &[(&str, u32, std::borrow::Cow<'_, str>)]) -> String {
        fn step<'v>(name: &str, mut find: impl FnMut(&str) -> Option<&'v str>) -> String {
            match ["name", "path", "value"]
                .iter()
                .find_map(|k| find(k).map(|v| (k, v)))
            {
                Some((k, v)) => format!("{name}[@{k}='{v}']"),
                None => name.to_string(),
            }
        }
        let mut parts: Vec<String> = self
            .open
            .iter()
            .map(|(el, _)| step(&el.name, |k| el.attr_value(k)))
            .collect();
        parts.push(step(name, |k| {
            attrs.iter().find(|(n, _, _)| *n == k).map(|(_, _, v)| &**v)
        }));
        parts.join("/")
    }
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
    fn what_a_conforming_parser_refuses_is_refused() {
        let cases = [
            ("<configuration>\n<a>\n</configuration>", 3),
            ("<configuration><a x=\"1\" x=\"2\"/></configuration>", 1),
            ("<configuration><a x=1/></configuration>", 1),
            ("<configuration>\n&nbsp;</configuration>", 2),
            ("<configuration/>\n<second/>", 2),
            ("<configuration/>\ntrailing text", 2),
            ("<configuration>\n<open>\n", 2),
            ("<configuration><a x=\"&bogus;\"/></configuration>", 1),
            ("   ", 1),
        ];
        for (text, line) in cases {
            let e = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text:?}"));
            assert_eq!(e.kind, XmlErrorKind::Malformed, "{text:?}: {e:?}");
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.message.starts_with("malformed XML: "), "{e:?}");
        }
    }

    #[test]
    fn columns_count_characters_and_never_split_one() {
        let b = Builder::new("<a>\n  éé<b/>");
        assert_eq!(b.column(6), 3);
        assert_eq!(b.column(10), 5);
        // Inside the second 'é' (a reader's position need not be a character boundary).
        assert_eq!(b.column(9), 5);
        assert_eq!(b.column(usize::MAX), 9);
    }

    #[test]
    fn namespaces_entities_and_whitespace_read_as_iis_reads_them() {
        let p = parse(
            "<?xml version=\"1.0\"?>\r\n<!-- c --><configuration xmlns=\"urn:x\" \
             xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\">\
             <add xdt:Transform=\"Insert\" value=\"a&amp;b &#65;\" multi=\"one\r\ntwo\tthree\"/>\
             <![CDATA[ignored]]><?pi ignored?>text &lt; too</configuration>",
        )
        .unwrap();
        assert!(p.root.attrs.is_empty(), "{:?}", p.root.attrs);
        let add = &p.root.children[0];
        assert_eq!(add.attr_value("Transform"), Some("Insert"));
        assert_eq!(add.attr_value("value"), Some("a&b A"));
        assert_eq!(add.attr_value("multi"), Some("one two three"));
        assert_eq!(p.root.line, 2);
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
