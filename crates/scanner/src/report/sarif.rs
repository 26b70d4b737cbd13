//! `report.sarif`: SARIF 2.1.0 (OASIS), for code-scanning dashboards and SARIF viewers.
//!
//! - `tool.driver.rules` is the report's rule appendix: id, name, short and full description,
//!   help text (Markdown and plain), default level and `security-severity`.
//! - One result per finding: `ruleId`/`ruleIndex`, `level` from the severity (critical and high →
//!   `error`, medium → `warning`, low and info → `note`), the message, one physical location per
//!   configuration-file or folder evidence (`file:///C:/…/web.config`, line as `region`), a
//!   logical location `host/site/path`, `partialFingerprints` from the finding fingerprint, and
//!   `properties` with host, site, substatus and severity.
//! - Waived findings carry an accepted external `suppressions` entry; with a baseline, results
//!   have `baselineState` (`new`, `unchanged`) and the baseline's resolved findings are listed
//!   with `baselineState: absent`.
//! - `invocations[0]` says whether every host was evaluated and lists those that were not as
//!   tool execution notifications.
//!
//! Hand-written serde structs over the subset we emit; validated against the vendored OASIS
//! schema (`tests/schemas/sarif-schema-2.1.0.json`) by the tests.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;
use serde_json::{json, Value};

use super::model::Report;
use crate::finding::{EvidenceKind, Finding, RuleInfo, Severity};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
/// The key under `partialFingerprints`; bump the `/v` if the fingerprint recipe changes.
pub const FINGERPRINT_KEY: &str = "iisSweepFingerprint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    properties: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<Value>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    semantic_version: &'a str,
    rules: Vec<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_time_utc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time_utc: Option<String>,
    tool_execution_notifications: Vec<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Value>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Value>,
    properties: Value,
}

/// SARIF `level` for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (0.0–10.0) for a severity.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// A Windows path as a URI reference: `C:\a b\web.config` → `file:///C:/a%20b/web.config`,
/// `\\srv\share\x` → `file://srv/share/x`. Paths that are not absolute (e.g. still holding
/// `%windir%`) become relative references with `/` separators.
pub fn windows_path_uri(path: &str) -> String {
    fn encode(segment: &str, out: &mut String) {
        for b in segment.bytes() {
            match b {
                b'A'..=b'Z'
                | b'a'..=b'z'
                | b'0'..=b'9'
                | b'-'
                | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b','
                | b';'
                | b'='
                | b'@'
                | b'+' => out.push(b as char),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let p = path.replace('\\', "/");
    let bytes = p.as_bytes();
    let mut out = String::new();
    let rest: &str;
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        out.push_str("file:///");
        out.push(bytes[0] as char);
        out.push(':');
        rest = &p[2..];
    } else if let Some(unc) = p.strip_prefix("//") {
        let (host, tail) = unc.split_once('/').unwrap_or((unc, ""));
        out.push_str("file://");
        encode(host, &mut out);
        out.push('/');
        rest = tail;
        let segs: Vec<&str> = rest.split('/').collect();
        for (i, s) in segs.iter().enumerate() {
            if i > 0 {
                out.push('/');
            }
            encode(s, &mut out);
        }
        return out;
    } else {
        rest = &p;
    }
    for (i, s) in rest.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode(s, &mut out);
    }
    out
}

fn rule_descriptor(r: &RuleInfo) -> Value {
    let subs: Vec<&str> = r.substatus.iter().map(|s| s.as_str()).collect();
    let mut markdown = format!(
        "**{}** ({} · substatus {})\n\n### What it does\n{}\n\n### Why it matters\n{}\n\n### Example\n{}\n\n### Fix\n{}\n",
        r.title,
        r.severity,
        subs.join(", "),
        r.what.trim(),
        r.why.trim(),
        r.example.trim(),
        r.fix.trim()
    );
    if !r.nist.is_empty() {
        markdown.push_str(&format!("\nNIST SP 800-53: {}\n", r.nist.join(", ")));
    }
    if !r.references.is_empty() {
        markdown.push_str("\n### References\n");
        for x in &r.references {
            markdown.push_str(&format!("- {x}\n"));
        }
    }
    let text = format!(
        "{}\n\nWhy it matters: {}\n\nFix: {}{}",
        r.what.trim(),
        r.why.trim(),
        r.fix.trim(),
        if r.references.is_empty() {
            String::new()
        } else {
            format!("\n\nReferences: {}", r.references.join("; "))
        }
    );
    let mut tags = vec!["security".to_string(), "iis".to_string()];
    tags.extend(subs.iter().map(|s| s.to_string()));
    let mut d = json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": { "text": r.title },
        "fullDescription": { "text": r.what.trim() },
        "help": { "text": text, "markdown": markdown },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(r.severity),
            "severity": r.severity.as_str(),
            "substatus": subs,
            "nist": r.nist,
        },
    });
    if let Some(url) = r
        .references
        .iter()
        .find(|x| x.starts_with("https://") || x.starts_with("http://"))
    {
        d["helpUri"] = json!(url);
    }
    d
}

fn result(
    f: &Finding,
    rule_index: &HashMap<&str, usize>,
    baseline_state: Option<&'static str>,
) -> SarifResult {
    let qualified = [
        Some(f.host.as_str()),
        f.site.as_deref(),
        f.url_path.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    let logical = json!([{ "fullyQualifiedName": qualified, "kind": "resource" }]);
    let mut locations: Vec<Value> = f
        .evidence
        .iter()
        .filter(|e| matches!(e.kind, EvidenceKind::Config | EvidenceKind::Acl))
        .filter_map(|e| {
            let loc = e.location.as_deref()?;
            let mut phys = json!({ "artifactLocation": { "uri": windows_path_uri(loc) } });
            if let Some(line) = e.line.filter(|l| *l >= 1) {
                phys["region"] = json!({ "startLine": line, "snippet": { "text": e.text } });
            }
            Some(json!({
                "physicalLocation": phys,
                "logicalLocations": logical,
                "message": { "text": format!("{} evidence on {}", super::evidence_kind(e.kind), f.host) },
            }))
        })
        .collect();
    if locations.is_empty() {
        let mut l = json!({ "logicalLocations": logical });
        if let Some(p) = &f.physical_path {
            l["physicalLocation"] = json!({ "artifactLocation": { "uri": windows_path_uri(p) } });
        }
        locations.push(l);
    }
    let mut props = json!({
        "host": f.host,
        "severity": f.severity.as_str(),
        "substatus": f.substatus.as_str(),
        "evidence": f.evidence.iter().map(super::evidence_line).collect::<Vec<_>>(),
        "fix": f.fix,
    });
    for (k, v) in [
        ("site", &f.site),
        ("application", &f.application),
        ("urlPath", &f.url_path),
        ("physicalPath", &f.physical_path),
    ] {
        if let Some(v) = v {
            props[k] = json!(v);
        }
    }
    if let Some(l) = &f.log_evidence {
        props["log401Count"] = json!(l.count);
    }
    let suppressions = f
        .waived
        .iter()
        .map(|w| {
            json!({
                "kind": "external",
                "status": "accepted",
                "justification": format!("{} (waiver expires {})", w.justification, w.expires),
            })
        })
        .collect();
    SarifResult {
        rule_id: f.rule.clone(),
        rule_index: rule_index.get(f.rule.as_str()).copied(),
        level: level(f.severity),
        message: json!({ "text": format!("{}: {}", super::finding_place(f), f.message) }),
        locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.clone())]),
        baseline_state,
        suppressions,
        properties: props,
    }
}

/// Writes the SARIF log.
pub fn write_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    let rule_index: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    let results = super::findings_with_resolved(report)
        .map(|(f, drift)| {
            let state = drift.map(|d| match d {
                "resolved" => "absent",
                "new" => "new",
                _ => "unchanged",
            });
            result(f, &rule_index, state)
        })
        .collect();
    let failed: Vec<Value> = report
        .hosts
        .iter()
        .filter(|h| !h.status.evaluated())
        .map(|h| {
            json!({
                "level": "error",
                "message": { "text": format!("{}: {}: {}", h.name, h.status.as_str(), h.reason.as_deref().unwrap_or("not evaluated")) },
                "descriptor": { "id": h.status.as_str() },
                "properties": { "host": h.name, "status": h.status.as_str(), "source": h.source },
            })
        })
        .collect();
    let rfc = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
    };
    let log =
        Log {
            schema: SARIF_SCHEMA,
            version: SARIF_VERSION,
            runs: vec![Run {
                tool: Tool {
                    driver: Driver {
                        name: "iis-sweep",
                        version: &report.tool.version,
                        semantic_version: &report.tool.version,
                        rules: report.rules.iter().map(rule_descriptor).collect(),
                    },
                },
                invocations: vec![Invocation {
                    execution_successful: failed.is_empty() && !report.run.interrupted,
                    start_time_utc: rfc(&report.run.started),
                    end_time_utc: rfc(&report.run.finished),
                    tool_execution_notifications: failed,
                }],
                results,
                properties: json!({
                    "reportSchema": report.schema,
                    "ruleset": report.tool.ruleset,
                    "command": report.run.command,
                    "hosts": report.totals.hosts,
                    "hostsByStatus": report.totals.hosts_by_status,
                    "interrupted": report.run.interrupted,
                }),
                automation_details: report.run.shard.as_ref().map(
                    |s| json!({ "id": format!("iis-sweep/shard-{}/", s.replace('/', "-of-")) }),
                ),
            }],
        };
    serde_json::to_writer_pretty(&mut *w, &log)?;
    w.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::windows_path_uri;

    #[test]
    fn windows_paths_become_file_uris() {
        assert_eq!(
            windows_path_uri(r"C:\inetpub\wwwroot\web.config"),
            "file:///C:/inetpub/wwwroot/web.config"
        );
        assert_eq!(
            windows_path_uri(r"D:\Web Sites\Ä#1\web.config"),
            "file:///D:/Web%20Sites/%C3%84%231/web.config"
        );
        assert_eq!(
            windows_path_uri(r"\\filer\share\app\web.config"),
            "file://filer/share/app/web.config"
        );
        assert_eq!(
            windows_path_uri(r"%windir%\system32\inetsrv\config\applicationHost.config"),
            "%25windir%25/system32/inetsrv/config/applicationHost.config"
        );
    }
}
