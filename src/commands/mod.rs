//! One module per subcommand. Each takes its parsed options and returns an [`Outcome`] that
//! `main` turns into an exit code.

pub mod check;
pub mod demo;
pub mod inspect;
pub mod merge;
pub mod report;
pub mod rules;
pub mod scan;
pub mod why;

use crate::report::model::{Report, Severity};

/// Exit codes, documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// Usage or input error.
    Usage = 2,
    /// Some hosts could not be evaluated.
    Incomplete = 3,
}

/// `--fail-on`: the lowest severity that makes the exit code non-zero, or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    /// Exit 0 whatever was found, even when hosts failed.
    Never,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("never") {
            return Ok(FailOn::Never);
        }
        Severity::parse(s)
            .map(FailOn::Severity)
            .ok_or_else(|| format!("{s:?}: use none, info, low, medium, high or critical"))
    }
}

/// The exit outcome of a finished report. Hosts that could not be evaluated win over findings:
/// an incomplete sweep is the first thing to fix.
pub fn outcome(report: &Report, fail_on: FailOn) -> Outcome {
    let FailOn::Severity(threshold) = fail_on else {
        return Outcome::Clean;
    };
    if report.hosts.iter().any(|h| !h.status.evaluated()) {
        return Outcome::Incomplete;
    }
    if report
        .findings
        .iter()
        .any(|f| f.waived.is_none() && f.severity >= threshold)
    {
        return Outcome::Findings;
    }
    Outcome::Clean
}
