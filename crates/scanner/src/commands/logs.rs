//! `iis-sweep logs FILE|DIR… [--json]`: IIS, HTTPERR and FTP logs copied from a server, read with
//! the same parser the scanner uses ([`crate::logs`]): requests by status and the 401s by
//! substatus and win32 status with what each means.

use std::fmt::Write as _;
use std::io::BufReader;
use std::path::PathBuf;

use serde::Serialize;

use crate::logs::{self, FileSummary};

/// What `logs` prints.
#[derive(Debug, Clone, Serialize)]
pub struct LogsReport {
    pub files: Vec<FileSummary>,
    /// Files that could not be read, with why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Reads every log under `paths`. One unreadable file is an error entry; the others are read.
pub fn run(paths: &[PathBuf]) -> anyhow::Result<LogsReport> {
    let mut report = LogsReport {
        files: Vec::new(),
        errors: Vec::new(),
    };
    for path in logs::discover(paths)? {
        let name = path.display().to_string();
        let read =
            std::fs::File::open(&path).and_then(|f| logs::summarize(&name, BufReader::new(f)));
        match read {
            Ok(s) => report.files.push(s),
            Err(e) => report.errors.push(format!("{name}: cannot read: {e}")),
        }
    }
    Ok(report)
}

impl LogsReport {
    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            let format = serde_json::to_value(f.format)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{} ({format}): {} requests, {} malformed{}",
                f.path,
                f.requests,
                f.malformed,
                match (&f.first, &f.last) {
                    (Some(a), Some(b)) => format!(", {a} – {b}"),
                    _ => String::new(),
                }
            );
            if let Some(why) = &f.not_evaluated {
                let _ = writeln!(out, "  not evaluated: {why}");
                continue;
            }
            let status: Vec<String> = f.status.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
            if !status.is_empty() {
                let _ = writeln!(out, "  status: {}", status.join(", "));
            }
            for u in &f.unauthorized {
                let _ = writeln!(
                    out,
                    "  401.{} win32 {} ×{}{}: {}",
                    u.substatus,
                    u.win32,
                    u.count,
                    if u.normal_handshake {
                        format!(
                            " (normal handshake; {} followed by success)",
                            u.followed_by_success
                        )
                    } else {
                        String::new()
                    },
                    u.meaning
                );
                for (what, top) in [
                    ("urls", &u.top_urls),
                    ("users", &u.top_users),
                    ("clients", &u.top_clients),
                ] {
                    if !top.is_empty() && !u.normal_handshake {
                        let t: Vec<String> = top.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
                        let _ = writeln!(out, "    top {what}: {}", t.join(", "));
                    }
                }
            }
            if !f.reasons.is_empty() {
                let r: Vec<String> = f.reasons.iter().map(|(k, v)| format!("{k} ×{v}")).collect();
                let _ = writeln!(out, "  HTTP.sys reasons: {}", r.join(", "));
            }
        }
        for e in &self.errors {
            let _ = writeln!(out, "error: {e}");
        }
        out
    }
}
