//! Drift against a previous report (`--baseline previous/report.json`), by fingerprint.

use std::collections::HashSet;
use std::path::Path;

use super::model::{Baseline, Report};
use crate::finding::Drift;

/// Marks each finding new or unchanged and lists the baseline's findings that are gone.
pub fn apply_baseline(report: &mut Report, baseline_path: &Path) -> anyhow::Result<()> {
    let baseline = super::json::read(baseline_path)?;
    compare(report, &baseline, &baseline_path.display().to_string());
    Ok(())
}

/// The comparison itself, for callers that already hold the baseline.
pub fn compare(report: &mut Report, baseline: &Report, source: &str) {
    let before: HashSet<&str> = baseline
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    let now: HashSet<String> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    let (mut new, mut unchanged) = (0, 0);
    for f in &mut report.findings {
        if before.contains(f.fingerprint.as_str()) {
            f.drift = Some(Drift::Unchanged);
            unchanged += 1;
        } else {
            f.drift = Some(Drift::New);
            new += 1;
        }
    }
    // A host that could not be evaluated this time has no findings; its old ones are not
    // "resolved", they are unknown.
    let unevaluated: HashSet<&str> = report
        .hosts
        .iter()
        .filter(|h| !h.status.evaluated())
        .map(|h| h.name.as_str())
        .collect();
    let resolved = baseline
        .findings
        .iter()
        .filter(|f| !now.contains(&f.fingerprint) && !unevaluated.contains(f.host.as_str()))
        .cloned()
        .collect();
    report.baseline = Some(Baseline {
        source: source.to_string(),
        new,
        unchanged,
        resolved,
    });
}
