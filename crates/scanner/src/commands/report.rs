//! `iis-sweep report REPORT.json`: re-renders a saved report in other formats without scanning
//! again (like `trivy convert`), optionally comparing it with a baseline first.

use std::path::Path;

use crate::report::{OutputOptions, Report};

/// Reads `input` (an `iis-sweep/report/1` report.json), applies `baseline` when given (marking
/// findings new or unchanged and listing resolved ones), and writes `output.formats`.
///
/// Without `baseline`, drift already recorded in the input is kept as it is.
pub fn run(
    input: &Path,
    output: &OutputOptions,
    baseline: Option<&Path>,
) -> anyhow::Result<Report> {
    crate::report::rerender(input, output, baseline)
}
