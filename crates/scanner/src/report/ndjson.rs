//! `findings.ndjson`: one finding per line as a flat JSON object, for log platforms (Splunk,
//! Elastic, Loki, Sentinel). Each line carries the run and host metadata it needs on its own, so
//! lines can be shipped, sampled and indexed independently. With a baseline, the baseline's
//! resolved findings follow with `"drift": "resolved"`.
//!
//! After the findings, one line per host (schema [`NDJSON_HOST_SCHEMA`], [`HostLine`]) —
//! clean, failed and not-evaluated hosts included, so a log platform sees every host it was
//! asked about, not only the ones with findings.
//!
//! Every line has every key of its kind (absent values are `null`); values are strings,
//! numbers, booleans or arrays of strings — no nested objects.

use std::collections::HashMap;
use std::io::Write;

use serde::Serialize;

use super::model::Report;
use crate::finding::HostResult;

/// The `schema` value of every line.
pub const NDJSON_SCHEMA: &str = "iis-sweep/finding/1";

/// The `schema` value of every host line.
pub const NDJSON_HOST_SCHEMA: &str = "iis-sweep/host/1";

/// One host line.
#[derive(Debug, Serialize)]
pub struct HostLine<'a> {
    pub schema: &'static str,
    pub timestamp: &'a str,
    pub run_started: &'a str,
    pub run_command: &'a str,
    pub tool_version: &'a str,
    pub ruleset: &'a str,
    pub host: &'a str,
    pub host_status: &'static str,
    pub reason: Option<&'a str>,
    pub source: &'a str,
    /// The rules judged the host (`ok`/`partial`); false is "not evaluated", never "clean".
    pub evaluated: bool,
    /// Every kind of fact read in full and nothing unseen.
    pub fully_covered: bool,
    /// `part: state` per kind of fact.
    pub coverage: Vec<String>,
    pub open_findings: u32,
    pub host_os: Option<&'a str>,
    pub host_iis_version: Option<&'a str>,
    pub collected_at: Option<&'a str>,
}

/// One line.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub schema: &'static str,
    /// When the run finished (RFC 3339 UTC): the event time for log platforms.
    pub timestamp: &'a str,
    pub run_started: &'a str,
    pub run_command: &'a str,
    pub run_shard: Option<&'a str>,
    pub tool_version: &'a str,
    pub ruleset: &'a str,
    pub host: &'a str,
    pub host_status: Option<&'static str>,
    pub host_os: Option<&'a str>,
    pub host_iis_version: Option<&'a str>,
    pub collected_at: Option<&'a str>,
    pub rule: &'a str,
    pub rule_name: &'a str,
    pub rule_title: Option<&'a str>,
    pub severity: &'static str,
    pub substatus: &'static str,
    pub site: Option<&'a str>,
    pub application: Option<&'a str>,
    pub url_path: Option<&'a str>,
    pub physical_path: Option<&'a str>,
    pub message: &'a str,
    /// One line per evidence item: `location:line: text`.
    pub evidence: Vec<String>,
    pub fix: &'a str,
    pub references: &'a [String],
    pub fingerprint: &'a str,
    pub waived: bool,
    pub waiver_justification: Option<&'a str>,
    pub waiver_expires: Option<&'a str>,
    /// `new`, `unchanged`, `resolved`, or null without a baseline.
    pub drift: Option<&'static str>,
    /// 401 responses logged for the finding's site and substatus.
    pub log_401_count: Option<u64>,
}

/// Writes one line per finding.
pub fn write_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    let hosts: HashMap<&str, &HostResult> =
        report.hosts.iter().map(|h| (h.name.as_str(), h)).collect();
    let titles: HashMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.code.as_str(), r.title.as_str()))
        .collect();
    for (f, drift) in super::findings_with_resolved(report) {
        let host = hosts.get(f.host.as_str()).copied();
        let line = Line {
            schema: NDJSON_SCHEMA,
            timestamp: &report.run.finished,
            run_started: &report.run.started,
            run_command: &report.run.command,
            run_shard: report.run.shard.as_deref(),
            tool_version: &report.tool.version,
            ruleset: &report.tool.ruleset,
            host: &f.host,
            host_status: host.map(|h| h.status.as_str()),
            host_os: host.and_then(|h| h.os.as_deref()),
            host_iis_version: host.and_then(|h| h.iis_version.as_deref()),
            collected_at: host.and_then(|h| h.collected_at.as_deref()),
            rule: &f.rule,
            rule_name: &f.name,
            rule_title: titles.get(f.rule.as_str()).copied(),
            severity: f.severity.as_str(),
            substatus: f.substatus.as_str(),
            site: f.site.as_deref(),
            application: f.application.as_deref(),
            url_path: f.url_path.as_deref(),
            physical_path: f.physical_path.as_deref(),
            message: &f.message,
            evidence: f.evidence.iter().map(super::evidence_line).collect(),
            fix: &f.fix,
            references: &f.references,
            fingerprint: &f.fingerprint,
            waived: f.waived.is_some(),
            waiver_justification: f.waived.as_ref().map(|w| w.justification.as_str()),
            waiver_expires: f.waived.as_ref().map(|w| w.expires.as_str()),
            drift,
            log_401_count: f.log_evidence.as_ref().map(|l| l.count),
        };
        // serde_json escapes control characters, so a value never breaks the line.
        serde_json::to_writer(&mut *w, &line)?;
        w.write_all(b"\n")?;
    }
    for h in &report.hosts {
        let line = HostLine {
            schema: NDJSON_HOST_SCHEMA,
            timestamp: &report.run.finished,
            run_started: &report.run.started,
            run_command: &report.run.command,
            tool_version: &report.tool.version,
            ruleset: &report.tool.ruleset,
            host: &h.name,
            host_status: h.status.as_str(),
            reason: h.reason.as_deref(),
            source: &h.source,
            evaluated: h.status.evaluated(),
            fully_covered: h.fully_covered(),
            coverage: h
                .coverage
                .parts
                .iter()
                .map(|p| format!("{}: {}", p.part, p.state.as_str()))
                .collect(),
            open_findings: h.findings,
            host_os: h.os.as_deref(),
            host_iis_version: h.iis_version.as_deref(),
            collected_at: h.collected_at.as_deref(),
        };
        serde_json::to_writer(&mut *w, &line)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
