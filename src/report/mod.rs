//! Reports: the model ([`model`]) and one writer per format.
//!
//! Every writer takes the finished [`model::Report`] and writes one file into the output
//! directory. The HTML is rendered from handlebars templates in `report-templates/` (embedded at
//! build time; `--templates DIR` overrides them).

pub mod build;
pub mod drift;
pub mod html;
pub mod json;
pub mod model;

use std::path::{Path, PathBuf};

pub use model::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    Json,
    Html,
}

impl Format {
    pub const ALL: &'static [Format] = &[Format::Json, Format::Html];

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Html => "html",
        }
    }

    /// The file this format writes in the output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Json => "report.json",
            Format::Html => "report.html",
        }
    }

    /// Parses a comma-separated list such as `json,html`.
    pub fn parse_list(s: &str) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let f = Format::ALL
                .iter()
                .copied()
                .find(|f| f.name().eq_ignore_ascii_case(part))
                .ok_or_else(|| {
                    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                    format!("unknown format {part:?}; choose from {}", names.join(", "))
                })?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if out.is_empty() {
            return Err("no format given".into());
        }
        Ok(out)
    }
}

/// Where and how to write reports.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    pub out_dir: PathBuf,
    pub formats: Vec<Format>,
    /// Directory of templates that override the embedded ones.
    pub templates: Option<PathBuf>,
}

/// Writes every requested format; returns the files written.
pub fn write_all(report: &Report, opts: &OutputOptions) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(&opts.out_dir)
        .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", opts.out_dir.display()))?;
    let mut written = Vec::new();
    for f in &opts.formats {
        let path = opts.out_dir.join(f.file_name());
        match f {
            Format::Json => json::write(report, &path)?,
            Format::Html => html::write(report, &path, opts.templates.as_deref())?,
        }
        written.push(path);
    }
    Ok(written)
}

/// Writes `bytes` to `path` atomically (temp file + rename), so a reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
