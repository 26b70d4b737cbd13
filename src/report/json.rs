//! `report.json`: the canonical report, `iis-sweep/report/1`.

use std::path::Path;

use super::model::{Report, REPORT_SCHEMA};

/// Writes the report as pretty JSON.
pub fn write(report: &Report, path: &Path) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(report)?;
    bytes.push(b'\n');
    super::write_atomic(path, &bytes)
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
