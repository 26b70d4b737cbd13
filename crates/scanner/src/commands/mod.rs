//! One module per subcommand. Each takes its parsed options and returns a
//! [`crate::pipeline::Outcome`] that `main` turns into an exit code, plus what it printed or
//! wrote. The subcommands only wire stages together; the work is in the stages.

pub mod check;
pub mod events;
pub mod fixes;
pub mod inspect;
pub mod logs;
pub mod merge;
pub mod ping;
pub mod report;
pub mod rules;
pub mod scan;
pub mod why;

use crate::report::{OutputOptions, Report};

/// What one host's result did not see, in a few words.
fn not_covered(h: &crate::finding::HostResult) -> String {
    let mut missing: Vec<String> = h
        .coverage
        .parts
        .iter()
        .filter(|p| p.state != crate::finding::CoverageState::Evaluated)
        .map(|p| format!("{} {}", p.part, p.state.as_str()))
        .collect();
    if !h.coverage.not_seen.is_empty() {
        missing.push(format!(
            "{} delegating applications not seen",
            h.coverage.not_seen.len()
        ));
    }
    missing.join(", ")
}

/// The one-paragraph summary printed after a run (on stdout): hosts by status, findings by
/// severity, waived findings, what "clean" rests on, and the files written.
pub fn summary(report: &Report, out: &OutputOptions) -> String {
    let t = &report.totals;
    let statuses: Vec<String> = t
        .hosts_by_status
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    let sev: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|s| t.by_severity.get(*s).map(|n| format!("{n} {s}")))
        .collect();
    let mut text = format!(
        "{} hosts ({}); {} findings{}{}\n",
        t.hosts,
        statuses.join(", "),
        t.findings,
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        },
        if t.waived > 0 {
            format!("; {} waived", t.waived)
        } else {
            String::new()
        }
    );
    // Say what a "0 findings" rests on: clean only where everything was evaluated.
    let clean = report.hosts.iter().filter(|h| h.clean()).count();
    let partly: Vec<&crate::finding::HostResult> = report
        .hosts
        .iter()
        .filter(|h| h.partly_evaluated())
        .collect();
    let unsure = report
        .findings
        .iter()
        .filter(|f| f.confidence != crate::finding::CERTAIN)
        .count();
    if !partly.is_empty() || unsure > 0 {
        text.push_str(&format!(
            "coverage: {clean} clean, {} partly evaluated{}{}\n",
            partly.len(),
            match partly.as_slice() {
                [one] => format!(" ({}: {})", one.name, not_covered(one)),
                _ => String::new(),
            },
            if unsure > 0 {
                format!("; {unsure} findings hold unless overridden in a web.config not seen")
            } else {
                String::new()
            }
        ));
    }
    for f in out.formats.iter().filter(|_| !out.to_stdout()) {
        text.push_str(&format!(
            "wrote {}\n",
            out.out_dir.join(f.file_name()).display()
        ));
    }
    text
}
