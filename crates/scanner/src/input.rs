//! What `iis-sweep check` reads: snapshot files, directories of them, and bare
//! `applicationHost.config` files.

use std::path::{Path, PathBuf};

use crate::snapshot::{Collected, ConfigFile, FileRole, Snapshot, SNAPSHOT_SCHEMA};

/// Largest input file read (snapshots of big hosts run to tens of MiB).
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// One input file and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A snapshot JSON document.
    Snapshot(PathBuf),
    /// A bare applicationHost.config: a host whose only facts are that file.
    AppHostConfig(PathBuf),
}

impl Input {
    pub fn path(&self) -> &Path {
        match self {
            Input::Snapshot(p) | Input::AppHostConfig(p) => p,
        }
    }

    /// The host name to report when the file cannot be read: the file stem, or for
    /// `applicationHost.config` the folder it sits in.
    pub fn fallback_host_name(&self) -> String {
        let p = self.path();
        match self {
            Input::Snapshot(_) => p
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
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, 0)?;
            found.sort();
            out.extend(found.into_iter().filter_map(|p| classify(p, false)));
        } else {
            out.push(classify(p.clone(), true).unwrap_or(Input::Snapshot(p.clone())));
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
    }
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
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "not a JSON document (line {}, column {}): {e}; expected a snapshot written by the \
             iis-sweep collector",
            e.line(),
            e.column()
        )
    })?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(SNAPSHOT_SCHEMA) => {}
        Some(other) => {
            return Err(format!(
                "schema is {other:?}, this version of iis-sweep reads {SNAPSHOT_SCHEMA:?}; \
                 re-collect the host with `iis-sweep collector` from this version"
            ))
        }
        None => {
            return Err(format!(
                "no \"schema\" field: this is not an iis-sweep snapshot (expected \
                 \"schema\": \"{SNAPSHOT_SCHEMA}\")"
            ))
        }
    }
    serde_json::from_value(value)
        .map_err(|e| format!("snapshot does not match {SNAPSHOT_SCHEMA}: {e}"))
}

/// Decodes a text file: UTF-8 (with or without BOM) or UTF-16 with a BOM.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|e| format!("invalid UTF-8: {e}"));
    }
    let utf16 = |rest: &[u8], le: bool| -> Result<String, String> {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|e| format!("invalid UTF-16: {e}"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("invalid UTF-8: {e}"))
}

/// A host whose only fact is its applicationHost.config.
pub fn snapshot_from_apphost(host: &str, text: &str) -> Snapshot {
    let mut s = Snapshot::new(host);
    s.collected = Collected {
        config: true,
        ..Collected::default()
    };
    s.files.push(ConfigFile {
        path: r"C:\Windows\System32\inetsrv\config\applicationHost.config".into(),
        role: FileRole::ApplicationHost,
        text: Some(text.to_string()),
        error: None,
        truncated: false,
    });
    s
}
