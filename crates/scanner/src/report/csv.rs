//! `findings.csv`: one row per finding, for spreadsheets and GRC imports; `hosts.csv`: one row
//! per host (clean, failed and not evaluated ones too), so a spreadsheet of the sweep lists
//! every host it was asked about.
//!
//! RFC 4180 (comma, `"` quoting, CRLF line ends), UTF-8 without a byte-order mark, a header row,
//! and the columns of [`COLUMNS`] in that order — new columns are only ever appended. With a
//! baseline, the baseline's resolved findings follow as rows whose `drift` is `resolved`.
//!
//! Host-supplied text can start with `=`, `+`, `-` or `@`, which a spreadsheet would run as a
//! formula (CSV injection). Every such cell, and any starting with a tab or carriage return, is
//! prefixed with `'`, which spreadsheets show as text.

use std::borrow::Cow;
use std::io::Write;

use super::model::Report;

/// The columns, in order. `docs/report-formats.md` describes each.
pub const COLUMNS: &[&str] = &[
    "fingerprint",
    "host",
    "host_status",
    "severity",
    "rule",
    "rule_name",
    "substatus",
    "site",
    "application",
    "url_path",
    "physical_path",
    "message",
    "evidence",
    "fix",
    "references",
    "waived",
    "waiver_justification",
    "waiver_expires",
    "drift",
    "log_401_count",
    "collected_at",
    "report_finished",
];

/// The columns of `hosts.csv`, in order; new columns are only ever appended.
pub const HOST_COLUMNS: &[&str] = &[
    "host",
    "status",
    "reason",
    "source",
    "evaluated",
    "coverage",
    "not_seen",
    "open_findings",
    "critical",
    "high",
    "medium",
    "low",
    "info",
    "waived",
    "sites",
    "applications",
    "iis_version",
    "os",
    "collected_at",
];

/// Writes `hosts.csv`.
pub fn write_hosts_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(HOST_COLUMNS)?;
    let mut counts: std::collections::HashMap<&str, [u64; 6]> = std::collections::HashMap::new();
    for f in &report.findings {
        let c = counts.entry(f.host.as_str()).or_default();
        if f.waived.is_some() {
            c[5] += 1;
        } else {
            c[4 - (f.severity as usize).min(4)] += 1;
        }
    }
    for h in &report.hosts {
        let c = counts.get(h.name.as_str()).copied().unwrap_or_default();
        let coverage: Vec<String> = h
            .coverage
            .parts
            .iter()
            .map(|p| format!("{}: {}", p.part, p.state.as_str()))
            .collect();
        let not_seen: Vec<String> = h
            .coverage
            .not_seen
            .iter()
            .map(|n| format!("{} {}: {}", n.site, n.url_path, n.file))
            .collect();
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        let row: Vec<String> = vec![
            h.name.clone(),
            h.status.as_str().into(),
            opt(&h.reason),
            h.source.clone(),
            if h.status.evaluated() { "yes" } else { "no" }.into(),
            coverage.join("; "),
            not_seen.join("; "),
            c[..5].iter().sum::<u64>().to_string(),
            c[0].to_string(),
            c[1].to_string(),
            c[2].to_string(),
            c[3].to_string(),
            c[4].to_string(),
            c[5].to_string(),
            h.sites.to_string(),
            h.applications.to_string(),
            opt(&h.iis_version),
            opt(&h.os),
            opt(&h.collected_at),
        ];
        out.write_record(row.iter().map(|c| guard_formula(c).into_owned()))?;
    }
    out.flush()?;
    Ok(())
}

/// Neutralises a cell a spreadsheet would evaluate as a formula.
pub fn guard_formula(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// Writes the CSV.
pub fn write_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(w);
    out.write_record(COLUMNS)?;
    let statuses = super::host_statuses(report);
    let collected: std::collections::HashMap<&str, &str> = report
        .hosts
        .iter()
        .filter_map(|h| Some((h.name.as_str(), h.collected_at.as_deref()?)))
        .collect();
    let mut row: Vec<String> = Vec::with_capacity(COLUMNS.len());
    for (f, drift) in super::findings_with_resolved(report) {
        row.clear();
        let opt = |s: &Option<String>| s.clone().unwrap_or_default();
        row.push(f.fingerprint.clone());
        row.push(f.host.clone());
        row.push(
            statuses
                .get(f.host.as_str())
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        );
        row.push(f.severity.as_str().into());
        row.push(f.rule.clone());
        row.push(f.name.clone());
        row.push(f.substatus.as_str().into());
        row.push(opt(&f.site));
        row.push(opt(&f.application));
        row.push(opt(&f.url_path));
        row.push(opt(&f.physical_path));
        row.push(f.message.clone());
        row.push(
            f.evidence
                .iter()
                .map(super::evidence_line)
                .collect::<Vec<_>>()
                .join("\n"),
        );
        row.push(f.fix.clone());
        row.push(f.references.join("\n"));
        row.push(if f.waived.is_some() { "yes" } else { "no" }.into());
        row.push(
            f.waived
                .as_ref()
                .map(|w| w.justification.clone())
                .unwrap_or_default(),
        );
        row.push(
            f.waived
                .as_ref()
                .map(|w| w.expires.clone())
                .unwrap_or_default(),
        );
        row.push(drift.unwrap_or_default().into());
        row.push(
            f.log_evidence
                .as_ref()
                .map(|l| l.count.to_string())
                .unwrap_or_default(),
        );
        row.push(
            collected
                .get(f.host.as_str())
                .map(|s| s.to_string())
                .unwrap_or_default(),
        );
        row.push(report.run.finished.clone());
        out.write_record(row.iter().map(|c| guard_formula(c).into_owned()))?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::guard_formula;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard_formula(bad), format!("'{bad}"));
        }
        for ok in ["web01", "", " =x", "'=x", "401.3"] {
            assert_eq!(guard_formula(ok), ok);
        }
    }
}
