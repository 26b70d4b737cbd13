//! What `iis-sweep check` reads: snapshot files, directories of them, bare
//! `applicationHost.config` files and bare web.config files (or `<system.webServer>` /
//! `<system.web>` fragments). A file named on the command line is recognised by its content,
//! never by its name: an applicationHost.config saved as `.xml` or `.txt` is checked like one,
//! and an XDT transform or a log file is refused with what it is.

use std::path::{Path, PathBuf};

use crate::snapshot::{Collected, ConfigFile, FileRole, Snapshot, SNAPSHOT_SCHEMA};
pub use crate::text::decode_text;

/// Largest input file read (snapshots of big hosts run to tens of MiB).
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// One input file and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A snapshot JSON document.
    Snapshot(PathBuf),
    /// A bare applicationHost.config: a host whose only facts are that file.
    AppHostConfig(PathBuf),
    /// A bare web.config (or a `<system.webServer>`/`<system.web>` fragment): checked as the
    /// root web.config of "Default Web Site" on a default IIS 10 host ([`DEFAULT_HOST_NOTE`]).
    WebConfig(PathBuf),
    /// An offline bundle: a folder copied from a server (`crate::bundle`, docs/offline.md).
    Bundle(PathBuf),
    /// Something that is not a configuration: what it is instead.
    NotConfiguration(PathBuf, String),
}

/// The assumption a bare web.config is checked under, as reports and the terminal state it.
pub const DEFAULT_HOST_NOTE: &str = "checked as the root web.config of \"Default Web Site\" \
(C:\\inetpub\\wwwroot\\web.config) on a default IIS 10 host: the applicationHost.config of a real \
Windows Server 2019 IIS 10 (default section locking and schema defaults; URL Rewrite and ARR \
installed); ACLs, registry and logs unknown";

/// The host a bare web.config is checked on (see `crates/scanner/assets/iis10-host/README.md`).
const DEFAULT_APPHOST: &str = include_str!("../assets/iis10-host/applicationHost.config");

impl Input {
    pub fn path(&self) -> &Path {
        match self {
            Input::Snapshot(p)
            | Input::AppHostConfig(p)
            | Input::WebConfig(p)
            | Input::Bundle(p)
            | Input::NotConfiguration(p, _) => p,
        }
    }

    /// The host name to report when the file cannot be read: the file stem, or for
    /// `applicationHost.config` the folder it sits in.
    pub fn fallback_host_name(&self) -> String {
        let p = self.path();
        match self {
            Input::Bundle(_) => p
                .canonicalize()
                .ok()
                .and_then(|d| d.file_name().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| p.display().to_string()),
            Input::Snapshot(_) | Input::WebConfig(_) | Input::NotConfiguration(..) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            Input::AppHostConfig(_) => p
                .parent()
                .and_then(|d| d.file_name())
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty() && s != "config")
                .unwrap_or_else(|| {
                    p.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default()
                }),
        }
    }
}

/// An input that could not be turned into a snapshot. The message names the file and, where
/// known, the line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub input: Input,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.input.path().display(), self.message)
    }
}

/// Expands the command-line paths: files as given, directories walked recursively for `*.json`
/// and `applicationHost.config`, in a stable (sorted) order. A path that does not exist is an
/// error naming it.
pub fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        if meta.is_dir() && crate::input::bundle_apphost(p).is_some() {
            out.push(Input::Bundle(p.clone()));
        } else if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, 0)?;
            found.sort();
            out.extend(found.into_iter().filter_map(|p| classify(p, false)));
        } else {
            out.push(sniff(p));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> anyhow::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&path, out, depth + 1)?;
        } else if ft.is_file() {
            out.push(path);
        }
    }
    Ok(())
}

/// Explicitly named files: `*.config` is an applicationHost.config. Inside directories only
/// files named `applicationHost.config` are, so that web.config files lying around are skipped.
fn classify(path: PathBuf, explicit: bool) -> Option<Input> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name == "applicationhost.config" || (explicit && name.ends_with(".config")) {
        Some(Input::AppHostConfig(path))
    } else if name.ends_with(".json") && name != "answers.json" && !name.starts_with("report") {
        Some(Input::Snapshot(path))
    } else {
        None
    }
}

/// What a file named on the command line is, from its first bytes and (for XML) its root
/// element — never from its name.
pub fn sniff(path: &Path) -> Input {
    let p = path.to_path_buf();
    let mut head = vec![0u8; 64 * 1024];
    let n = match std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head))
    {
        Ok(n) => n,
        // Unreadable: `load` reports the error with the file named.
        Err(_) => return Input::Snapshot(p),
    };
    head.truncate(n);
    let text = match decode_text(&head) {
        Ok(t) => t,
        // A cut in the middle of a UTF-8 sequence: judge what decodes.
        Err(_) => String::from_utf8_lossy(&head).into_owned(),
    };
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        return Input::Snapshot(p);
    }
    if t.starts_with('<') {
        return match xml_root(t) {
            Some(root) => match root.name.as_str() {
                _ if root.xdt => Input::NotConfiguration(
                    p,
                    "is an XDT transform (xmlns:xdt, e.g. web.Release.config): it describes changes \
                     to a web.config and is not a configuration itself; check the web.config it \
                     produces (or the one it applies to)"
                        .into(),
                ),
                "configuration" if root.apphost => Input::AppHostConfig(p),
                "configuration" | "system.webServer" | "system.web" => Input::WebConfig(p),
                other => Input::NotConfiguration(
                    p,
                    format!(
                        "is XML with root <{other}>, not an IIS configuration (expected \
                         <configuration>, <system.webServer> or <system.web>)"
                    ),
                ),
            },
            None => Input::NotConfiguration(
                p,
                "starts like XML but no root element was found in its first 64 KiB".into(),
            ),
        };
    }
    let what = if t.starts_with("#Software: Microsoft") || t.starts_with("#Fields:") {
        "looks like a W3C log (IIS or HTTPERR), not a configuration or snapshot"
    } else if t.starts_with("$ANSIBLE_VAULT") {
        "is an Ansible Vault file, not a configuration or snapshot"
    } else if t.is_empty() {
        "is empty"
    } else {
        "is neither JSON (a snapshot) nor XML (a configuration)"
    };
    Input::NotConfiguration(p, what.into())
}

struct XmlRoot {
    name: String,
    xdt: bool,
    apphost: bool,
}

/// The root element's name of an XML text's head, whether it declares the XDT namespace, and
/// whether the text holds `<system.applicationHost>`.
fn xml_root(t: &str) -> Option<XmlRoot> {
    let mut rest = t;
    loop {
        let at = rest.find('<')?;
        rest = &rest[at..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            break;
        }
    }
    let tag_end = rest.find('>').unwrap_or(rest.len());
    let tag = &rest[1..tag_end];
    let name: String = tag
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
        .collect();
    let name = name.rsplit(':').next().unwrap_or(&name).to_string();
    Some(XmlRoot {
        name,
        xdt: tag.contains("xmlns:xdt") || t.contains("xdt:Transform"),
        apphost: t.contains("<system.applicationHost"),
    })
}

/// Reads one input into a snapshot.
pub fn load(input: &Input) -> Result<Snapshot, InputError> {
    let err = |message: String| InputError {
        input: input.clone(),
        message,
    };
    let path = input.path();
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(err(format!(
            "file is {} bytes, larger than the {} byte limit",
            meta.len(),
            MAX_INPUT_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
    match input {
        Input::Snapshot(_) => parse_snapshot(&bytes).map_err(err),
        Input::AppHostConfig(_) => {
            let text = decode_text(&bytes).map_err(err)?;
            Ok(snapshot_from_apphost(&input.fallback_host_name(), &text))
        }
        Input::WebConfig(_) => {
            let text = decode_text(&bytes).map_err(err)?;
            Ok(snapshot_from_web_config(&input.fallback_host_name(), &text))
        }
        Input::NotConfiguration(_, what) => Err(err(format!("not checked: this file {what}"))),
        Input::Bundle(_) => Err(err(
            "an offline bundle is read by the bundle reader, not as one file".into(),
        )),
    }
}

/// applicationHost.config inside an offline bundle `dir`, where a server keeps it: under a drive
/// folder (`C/Windows/System32/inetsrv/config/`) or copied on its own (`inetsrv/config/`,
/// `config/`). `None`: `dir` is no bundle.
pub fn bundle_apphost(dir: &Path) -> Option<PathBuf> {
    for (_, root) in drive_folders(dir) {
        if let Some(p) = path_ci(
            &root,
            &[
                "Windows",
                "System32",
                "inetsrv",
                "config",
                "applicationHost.config",
            ],
        ) {
            return Some(p);
        }
    }
    path_ci(dir, &["inetsrv", "config", "applicationHost.config"])
        .or_else(|| path_ci(dir, &["config", "applicationHost.config"]))
}

/// Top-level folders of `dir` named after a drive letter (`C`, `d`), the letter upper-cased.
pub fn drive_folders(dir: &Path) -> Vec<(char, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(char, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            let mut c = n.chars();
            match (c.next(), c.next()) {
                (Some(l), None) if l.is_ascii_alphabetic() => {
                    Some((l.to_ascii_uppercase(), e.path()))
                }
                _ => None,
            }
        })
        .collect();
    out.sort();
    out
}

/// The entry of `dir` named `name`, in any case (Windows names are case-insensitive).
pub fn child_ci(dir: &Path, name: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .find(|e| e.file_name().to_string_lossy().eq_ignore_ascii_case(name))
        .map(|e| e.path())
}

fn path_ci(dir: &Path, parts: &[&str]) -> Option<PathBuf> {
    parts
        .iter()
        .try_fold(dir.to_path_buf(), |p, part| child_ci(&p, part))
}

/// Parses snapshot JSON, checking the schema tag.
/// UTF-16 (as Windows PowerShell 5.1's `>` writes it) is accepted too.
pub fn parse_snapshot(bytes: &[u8]) -> Result<Snapshot, String> {
    let utf16;
    let bytes = if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        utf16 = decode_text(bytes)?;
        utf16.as_bytes()
    } else {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    };
    // One pass straight into the snapshot. Only a failure is read again, with the path of the
    // field at fault tracked (slower) and a look at the "schema" field, to explain it.
    let parsed: Result<Snapshot, _> = match serde_json::from_slice::<Snapshot>(bytes) {
        Ok(s) => Ok(s),
        Err(_) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize(&mut de)
        }
    };
    let schema_error = |schema: Option<&str>| match schema {
        Some(SNAPSHOT_SCHEMA) => None,
        Some(other) => Some(format!(
            "schema is {other:?}, this version of iis-sweep reads {SNAPSHOT_SCHEMA:?}; \
             re-collect the host with `iis-sweep collector` from this version"
        )),
        None => Some(format!(
            "no \"schema\" field: this is not an iis-sweep snapshot (expected \
             \"schema\": \"{SNAPSHOT_SCHEMA}\")"
        )),
    };
    match parsed {
        Ok(s) => match schema_error(Some(&s.schema)) {
            Some(e) => Err(e),
            None => Ok(s),
        },
        Err(e) => {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                return Err(format!(
                    "not a JSON document (line {}, column {}): {}; expected a snapshot written \
                     by the iis-sweep collector",
                    inner.line(),
                    inner.column(),
                    plain_serde_message(&inner.to_string())
                ));
            }
            let value: Option<serde_json::Value> = serde_json::from_slice(bytes).ok();
            let schema = value
                .as_ref()
                .and_then(|v| v.get("schema"))
                .and_then(|s| s.as_str());
            if let Some(schema_problem) = schema_error(schema) {
                return Err(schema_problem);
            }
            Err(format!(
                "line {}, column {}: at {}: {}; the snapshot does not match {SNAPSHOT_SCHEMA} \
                 (docs/snapshot.md describes each field)",
                inner.line(),
                inner.column(),
                json_path(&e.path().to_string()),
                plain_serde_message(&inner.to_string())
            ))
        }
    }
}

/// `host.env.x` / `files[3].role` as a JSON path (`$.files[3].role`); `.` is the root.
fn json_path(path: &str) -> String {
    if path == "." || path.is_empty() {
        "$".to_string()
    } else {
        format!("$.{path}")
    }
}

/// serde's message without the Rust in it: no type names, no "at line" suffix (the caller
/// gives the place).
fn plain_serde_message(msg: &str) -> String {
    let msg = match msg.find(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    let mut out = msg.to_string();
    if out.contains("untagged enum RegistryData") {
        return "expected registry data: a number, a string, a list of strings or null".into();
    }
    if let Some(i) = out.find("untagged enum ") {
        out.truncate(i);
        out.push_str("any accepted form");
    }
    for (rust, plain) in [
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected u16", "expected a whole number ≥ 0"),
        ("expected u8", "expected a whole number ≥ 0"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
        ("expected option", "expected a value or null"),
        ("expected a sequence", "expected a list ([…])"),
        ("expected a map", "expected an object ({…})"),
    ] {
        out = out.replace(rust, plain);
    }
    if let Some(i) = out.find("expected struct ") {
        out.truncate(i);
        out.push_str("expected an object ({…})");
    }
    if let Some(i) = out.find("expected enum ") {
        out.truncate(i);
        out.push_str("expected one of the documented values");
    }
    out.replace("`", "\"")
}

/// A host whose only fact is its applicationHost.config.
pub fn snapshot_from_apphost(host: &str, text: &str) -> Snapshot {
    let mut s = Snapshot::new(host);
    s.collected = Collected {
        config: true,
        web_configs: false,
        ..Collected::default()
    };
    s.files.push(ConfigFile {
        path: APPHOST_PATH.into(),
        role: FileRole::ApplicationHost,
        text: Some(text.to_string()),
        error: None,
        truncated: false,
    });
    s
}

/// Where a bare applicationHost.config is placed.
pub const APPHOST_PATH: &str = r"C:\Windows\System32\inetsrv\config\applicationHost.config";

impl Input {
    /// Where a bare file is placed on the host it is checked as (`None` for a snapshot):
    /// evidence names the given file instead.
    pub fn placed_at(&self) -> Option<&'static str> {
        match self {
            Input::AppHostConfig(_) => Some(APPHOST_PATH),
            Input::WebConfig(_) => Some(DEFAULT_SITE_WEB_CONFIG),
            _ => None,
        }
    }
}

/// Where a bare web.config is placed on the default host: the root of "Default Web Site".
pub const DEFAULT_SITE_WEB_CONFIG: &str = r"C:\inetpub\wwwroot\web.config";

/// A host that is the default IIS 10 host with `text` as the root web.config of its default
/// site. A `<system.webServer>` or `<system.web>` fragment is wrapped in `<configuration>`.
pub fn snapshot_from_web_config(host: &str, text: &str) -> Snapshot {
    let mut s = snapshot_from_apphost(host, DEFAULT_APPHOST);
    s.host.iis_version = Some("10.0".into());
    let body = text.trim_start_matches('\u{feff}');
    let wrapped = match xml_root(body.trim_start()) {
        Some(r) if r.name != "configuration" => {
            // Keep the fragment's lines where they were: the wrapper goes on the first line.
            let decl_end = if body.trim_start().starts_with("<?") {
                body.find("?>").map_or(0, |i| i + 2)
            } else {
                0
            };
            format!(
                "{}<configuration>{}</configuration>",
                &body[..decl_end],
                &body[decl_end..]
            )
        }
        _ => body.to_string(),
    };
    s.host.env.insert("SystemDrive".into(), "C:".into());
    // The given file is the site's web.config: the assumption is stated, not a gap.
    s.collected.web_configs = true;
    s.files.push(ConfigFile {
        path: DEFAULT_SITE_WEB_CONFIG.into(),
        role: FileRole::WebConfig,
        text: Some(wrapped),
        error: None,
        truncated: false,
    });
    s
}
