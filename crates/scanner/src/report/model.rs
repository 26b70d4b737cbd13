//! The fleet report (`iis-sweep/report/1`): the hosts and findings of a run with totals and the
//! metadata of the rules it was handed. Every writer renders this model; its JSON Schema is
//! `docs/report.schema.json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, HostResult, RuleInfo};

/// The schema tag every report carries.
pub const REPORT_SCHEMA: &str = "iis-sweep/report/1";

/// Counts over the whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Totals {
    pub hosts: u32,
    pub hosts_by_status: BTreeMap<String, u32>,
    /// Findings not waived.
    pub findings: u32,
    pub waived: u32,
    pub by_severity: BTreeMap<String, u32>,
    pub by_rule: BTreeMap<String, u32>,
    pub by_substatus: BTreeMap<String, u32>,
}

/// The tool that wrote the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Version of the rule set (changes when rules are added or their logic changes).
    pub ruleset: String,
}

/// The run that produced the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunInfo {
    /// `check`, `scan`, `demo` or `merge`.
    pub command: String,
    /// RFC 3339 UTC.
    pub started: String,
    pub finished: String,
    /// Input files, directories or the inventory.
    pub inputs: Vec<String>,
    /// `K/N` when the sweep was one shard of several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// The sweep was stopped before every host finished.
    #[serde(default)]
    pub interrupted: bool,
    /// What the run covered: a limited or filtered run can be told apart from a full one.
    #[serde(default)]
    pub scope: Scope,
}

/// What a run covered, for the auditor who signs the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Scope {
    /// True when nothing narrowed the run: no `--limit`, no shard, no disabled rule, no
    /// `--severity` filter (waivers and severity changes are listed but do not narrow it).
    pub complete: bool,
    /// `--limit` pattern: only the inventory's matching hosts were swept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    /// The `--rules-config` file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_config: Option<String>,
    /// Rules it disabled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_disabled: Vec<String>,
    /// Severities it changed: rule code → severity.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity_overrides: BTreeMap<String, String>,
    /// Waivers it holds (expired ones included; findings show which applied).
    #[serde(default)]
    pub waivers: u32,
    /// `--severity`: findings below it are not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<String>,
}

impl Scope {
    /// Recomputes [`Scope::complete`] with the run's shard.
    pub fn settle(&mut self, shard: Option<&str>) {
        self.complete = self.limit.is_none()
            && shard.is_none()
            && self.rules_disabled.is_empty()
            && self.min_severity.is_none();
    }

    /// `full`, or what narrowed it, in a few words.
    pub fn describe(&self, shard: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(l) = &self.limit {
            parts.push(format!("--limit {l}"));
        }
        if let Some(s) = shard {
            parts.push(format!("shard {s}"));
        }
        if !self.rules_disabled.is_empty() {
            parts.push(format!(
                "rules disabled: {}",
                self.rules_disabled.join(", ")
            ));
        }
        if let Some(m) = &self.min_severity {
            parts.push(format!("--severity {m}"));
        }
        if parts.is_empty() {
            "full (every host of the inputs, every rule, every finding)".to_string()
        } else {
            format!("limited: {}", parts.join("; "))
        }
    }
}

/// Drift against a previous report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Baseline {
    /// The baseline report file.
    pub source: String,
    pub new: u32,
    pub unchanged: u32,
    /// Findings of the baseline that are gone.
    pub resolved: Vec<Finding>,
}

/// The fleet report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always `iis-sweep/report/1`.
    pub schema: String,
    pub tool: ToolInfo,
    pub run: RunInfo,
    pub hosts: Vec<HostResult>,
    pub findings: Vec<Finding>,
    pub totals: Totals,
    pub rules: Vec<RuleInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
    /// Notes about the run itself (expired waivers, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Report {
    /// Recomputes [`Report::totals`] from hosts and findings.
    pub fn recompute_totals(&mut self) {
        let mut t = Totals {
            hosts: self.hosts.len() as u32,
            ..Totals::default()
        };
        for h in &self.hosts {
            *t.hosts_by_status
                .entry(h.status.as_str().to_string())
                .or_default() += 1;
        }
        for f in &self.findings {
            if f.waived.is_some() {
                t.waived += 1;
                continue;
            }
            t.findings += 1;
            *t.by_severity.entry(f.severity.as_str().into()).or_default() += 1;
            *t.by_rule.entry(f.rule.clone()).or_default() += 1;
            *t.by_substatus
                .entry(f.substatus.as_str().into())
                .or_default() += 1;
        }
        self.totals = t;
    }

    /// Orders hosts by name and findings by severity (worst first), host, site, path, rule —
    /// so that two runs over the same facts produce the same file.
    pub fn sort(&mut self) {
        self.hosts.sort_by(|a, b| a.name.cmp(&b.name));
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.host.cmp(&b.host))
                .then_with(|| a.site.cmp(&b.site))
                .then_with(|| a.url_path.cmp(&b.url_path))
                .then_with(|| a.rule.cmp(&b.rule))
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
    }
}
