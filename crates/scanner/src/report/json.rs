//! `report.json`: the canonical report, `iis-sweep/report/1`.

use std::io::Write;
use std::path::Path;

use super::model::{Report, REPORT_SCHEMA};

/// Writes the report as pretty JSON.
pub fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    super::write_atomic_with(path, |w| write_to(report, w))
}

/// Streams the report as pretty JSON with a final newline.
pub fn write_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report)?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Reads a report written by this or an earlier compatible version.
pub fn read(path: &Path) -> anyhow::Result<Report> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not JSON (line {}, column {}): {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(REPORT_SCHEMA) => {}
        other => anyhow::bail!(
            "{}: schema is {other:?}, expected {REPORT_SCHEMA:?} (an iis-sweep report.json)",
            path.display()
        ),
    }
    serde_json::from_value(value).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
