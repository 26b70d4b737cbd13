//! Assembles a [`Report`] from host results as they arrive. The rule metadata is handed in by
//! the caller: the report renders rules, it does not know where they come from.

use super::model::{Report, RunInfo, ToolInfo, REPORT_SCHEMA};
use crate::finding::{Finding, HostResult, RuleInfo};

/// The current time as RFC 3339 UTC, seconds precision.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Collects hosts and findings, then finishes the report.
#[derive(Debug)]
pub struct ReportBuilder {
    report: Report,
}

impl ReportBuilder {
    /// A report for `command` over `inputs`, started now, evaluated with rule set `ruleset`
    /// whose rules are `rules`.
    pub fn new(command: &str, inputs: Vec<String>, ruleset: &str, rules: Vec<RuleInfo>) -> Self {
        ReportBuilder {
            report: Report {
                schema: REPORT_SCHEMA.into(),
                tool: ToolInfo {
                    name: "iis-sweep".into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ruleset: ruleset.into(),
                },
                run: RunInfo {
                    command: command.into(),
                    started: now_rfc3339(),
                    finished: String::new(),
                    inputs,
                    shard: None,
                    interrupted: false,
                    scope: Default::default(),
                },
                hosts: Vec::new(),
                findings: Vec::new(),
                totals: Default::default(),
                rules,
                baseline: None,
                notes: Vec::new(),
            },
        }
    }

    pub fn run_mut(&mut self) -> &mut RunInfo {
        &mut self.report.run
    }

    pub fn note(&mut self, note: String) {
        self.report.notes.push(note);
    }

    /// Adds one host and its findings.
    pub fn add_host(&mut self, host: HostResult, findings: Vec<Finding>) {
        self.report.hosts.push(host);
        self.report.findings.extend(findings);
    }

    /// Hosts added so far.
    pub fn hosts(&self) -> &[HostResult] {
        &self.report.hosts
    }

    /// Stamps the finish time, sorts and computes totals.
    pub fn finish(mut self) -> Report {
        self.report.run.finished = now_rfc3339();
        self.report.sort();
        self.report.recompute_totals();
        self.report
    }
}
