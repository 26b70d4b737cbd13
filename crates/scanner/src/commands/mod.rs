//! One module per subcommand. Each takes its parsed options and returns a
//! [`crate::pipeline::Outcome`] that `main` turns into an exit code, plus what it printed or
//! wrote. The subcommands only wire stages together; the work is in the stages.

pub mod check;
pub mod inspect;
pub mod merge;
pub mod ping;
pub mod report;
pub mod rules;
pub mod scan;
pub mod why;

use crate::report::{OutputOptions, Report};

/// The one-paragraph summary printed after a run (on stdout): hosts by status, findings by
/// severity, waived findings, and the files written.
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
    for f in &out.formats {
        text.push_str(&format!(
            "wrote {}\n",
            out.out_dir.join(f.file_name()).display()
        ));
    }
    text
}
