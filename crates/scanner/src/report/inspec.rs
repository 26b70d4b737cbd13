//! `inspec.json`: the sweep as InSpec "exec JSON" (the Heimdall Data Format, HDF), so MITRE SAF
//! CLI and Heimdall users can load it (`saf convert hdf2ckl`, `hdf2csv`, …).
//!
//! - `platform`: `windows`; `release` is the hosts' common OS or `various`; `target_id` is the
//!   host for a one-host report, else `fleet of N hosts`.
//! - `profiles[0]` is the rule set (`iis-sweep`, version = rule-set version) with one control per
//!   rule of the report's appendix: title, `desc`, `descriptions` (default, rationale, check,
//!   fix), `impact` from the severity, `refs` (URLs as `url`, others as `ref`) and `tags`
//!   (`severity`, `name`, `substatus`, plus `cis`, `stig` and `nist` picked out of the
//!   references).
//! - Each control's `results`, host by host:
//!   - a finding → `failed` (`code_desc` = where + message, `message` = evidence and fix,
//!     `resource_id` = fingerprint); a waived finding → `skipped` with the waiver;
//!   - a host the rule ran on without findings → `passed`;
//!   - a rule that could not run on the host, or a host that was not evaluated at all →
//!     `skipped` with the reason.
//!
//! Impact bands follow InSpec (critical 1.0, high 0.7, medium 0.5, low 0.3, info 0.1 — not 0.0,
//! which Heimdall shows as "not applicable"). Validated against the vendored Heimdall
//! `exec-json` schema (`tests/schemas/hdf-exec-json.json`).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;
use serde_json::{json, Value};

use super::model::Report;
use crate::finding::{Finding, RuleInfo, Severity};

/// InSpec impact for a severity.
pub fn impact(s: Severity) -> f64 {
    match s {
        Severity::Critical => 1.0,
        Severity::High => 0.7,
        Severity::Medium => 0.5,
        Severity::Low => 0.3,
        Severity::Info => 0.1,
    }
}

#[derive(Serialize)]
struct Exec<'a> {
    platform: Value,
    profiles: Vec<Profile<'a>>,
    statistics: Value,
    version: &'a str,
}

#[derive(Serialize)]
struct Profile<'a> {
    name: &'static str,
    title: &'static str,
    version: &'a str,
    summary: String,
    sha256: String,
    supports: Value,
    attributes: Vec<Value>,
    groups: Vec<Value>,
    status: &'static str,
    controls: Vec<Control<'a>>,
}

#[derive(Serialize)]
struct Control<'a> {
    id: &'a str,
    title: &'a str,
    desc: &'a str,
    descriptions: Vec<Value>,
    impact: f64,
    refs: Vec<Value>,
    tags: Value,
    code: String,
    source_location: Value,
    results: Vec<ControlResult>,
}

#[derive(Serialize)]
struct ControlResult {
    status: &'static str,
    code_desc: String,
    start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
}

/// Tags from references: `cis` (mentions CIS), `stig` (mentions STIG or a `V-`/`SV-` id) and
/// `nist` (800-53 control ids such as `AC-3` in a reference that mentions NIST).
fn reference_tags(refs: &[String]) -> (Vec<&str>, Vec<&str>, Vec<String>) {
    let mut cis = Vec::new();
    let mut stig = Vec::new();
    let mut nist = Vec::new();
    for r in refs {
        let upper = r.to_ascii_uppercase();
        if upper.contains("CIS ") || upper.starts_with("CIS") {
            cis.push(r.as_str());
        }
        if upper.contains("STIG")
            || r.split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                .any(|w| (w.starts_with("V-") || w.starts_with("SV-")) && w.len() > 3)
        {
            stig.push(r.as_str());
        }
        if upper.contains("NIST") {
            for w in r.split(|c: char| !c.is_ascii_alphanumeric() && c != '-') {
                let b = w.as_bytes();
                if b.len() >= 4
                    && b[0].is_ascii_uppercase()
                    && b[1].is_ascii_uppercase()
                    && b[2] == b'-'
                    && b[3..].iter().all(u8::is_ascii_digit)
                    && !nist.iter().any(|n: &String| n == w)
                {
                    nist.push(w.to_string());
                }
            }
        }
    }
    (cis, stig, nist)
}

fn control<'a>(r: &'a RuleInfo) -> Control<'a> {
    let subs: Vec<&str> = r.substatus.iter().map(|s| s.as_str()).collect();
    let (cis, stig, mut nist) = reference_tags(&r.references);
    for n in &r.nist {
        if !nist.contains(n) {
            nist.push(n.clone());
        }
    }
    let mut tags = json!({
        "severity": r.severity.as_str(),
        "name": r.name,
        "substatus": subs,
    });
    if !cis.is_empty() {
        tags["cis"] = json!(cis);
    }
    if !stig.is_empty() {
        tags["stig"] = json!(stig);
    }
    if !nist.is_empty() {
        tags["nist"] = json!(nist);
    }
    let refs = r
        .references
        .iter()
        .map(|x| {
            if x.starts_with("https://") || x.starts_with("http://") {
                json!({ "url": x })
            } else {
                json!({ "ref": x })
            }
        })
        .collect();
    Control {
        id: &r.code,
        title: &r.title,
        desc: r.what.trim(),
        descriptions: vec![
            json!({ "label": "default", "data": r.what.trim() }),
            json!({ "label": "rationale", "data": r.why.trim() }),
            json!({ "label": "check", "data": r.example.trim() }),
            json!({ "label": "fix", "data": r.fix.trim() }),
        ],
        impact: impact(r.severity),
        refs,
        tags,
        code: format!(
            "# iis-sweep built-in rule {} ({}): evaluated in Rust, not InSpec.\n# {}\n",
            r.code, r.name, r.title
        ),
        source_location: json!({ "ref": format!("iis-sweep/rules/{}", r.code), "line": 1 }),
        results: Vec::new(),
    }
}

fn finding_result(f: &Finding, start: &str) -> ControlResult {
    let mut msg = String::new();
    for e in &f.evidence {
        let _ = writeln!(msg, "evidence: {}", super::evidence_line(e));
    }
    if let Some(p) = &f.physical_path {
        let _ = writeln!(msg, "folder: {p}");
    }
    if let Some(l) = &f.log_evidence {
        let _ = writeln!(
            msg,
            "IIS log: {} matching 401 responses on site {}",
            l.count, l.site_id
        );
    }
    let _ = write!(msg, "fix: {}", f.fix);
    let code_desc = format!("{}: {}", super::finding_place(f), f.message);
    match &f.waived {
        Some(w) => ControlResult {
            status: "skipped",
            code_desc,
            start_time: start.into(),
            message: Some(msg),
            skip_message: Some(format!("waived until {}: {}", w.expires, w.justification)),
            resource_id: Some(f.fingerprint.clone()),
        },
        None => ControlResult {
            status: "failed",
            code_desc,
            start_time: start.into(),
            message: Some(msg),
            skip_message: None,
            resource_id: Some(f.fingerprint.clone()),
        },
    }
}

/// Writes the exec JSON.
pub fn write_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut controls: Vec<Control> = report.rules.iter().map(control).collect();
    let mut index: HashMap<String, usize> = controls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.to_string(), i))
        .collect();
    // A finding of a rule missing from the appendix (an older report) still gets a control.
    let mut extra: Vec<(&str, &str, Severity)> = Vec::new();
    for f in &report.findings {
        if !index.contains_key(&f.rule) && !extra.iter().any(|e| e.0 == f.rule) {
            extra.push((&f.rule, &f.name, f.severity));
        }
    }
    for (code, name, sev) in extra {
        index.insert(code.to_string(), controls.len());
        controls.push(Control {
            id: code,
            title: name,
            desc: "",
            descriptions: Vec::new(),
            impact: impact(sev),
            refs: Vec::new(),
            tags: json!({ "severity": sev.as_str(), "name": name }),
            code: String::new(),
            source_location: json!({ "ref": format!("iis-sweep/rules/{code}"), "line": 1 }),
            results: Vec::new(),
        });
    }

    let mut by_host_rule: HashMap<(&str, &str), Vec<&Finding>> = HashMap::new();
    for f in &report.findings {
        by_host_rule
            .entry((f.host.as_str(), f.rule.as_str()))
            .or_default()
            .push(f);
    }
    for h in &report.hosts {
        let start = h.collected_at.as_deref().unwrap_or(&report.run.started);
        for c in controls.iter_mut() {
            let code = c.id;
            if !h.status.evaluated() {
                c.results.push(ControlResult {
                    status: "skipped",
                    code_desc: format!("{}: not evaluated", h.name),
                    start_time: start.into(),
                    message: None,
                    skip_message: Some(format!(
                        "host {} was not evaluated: {}: {}",
                        h.name,
                        h.status.as_str(),
                        h.reason.as_deref().unwrap_or("no reason recorded")
                    )),
                    resource_id: None,
                });
                continue;
            }
            if let Some(fs) = by_host_rule.get(&(h.name.as_str(), code)) {
                c.results
                    .extend(fs.iter().map(|f| finding_result(f, start)));
            } else if let Some(n) = h.not_evaluated.iter().find(|n| n.rule == code) {
                c.results.push(ControlResult {
                    status: "skipped",
                    code_desc: format!("{}: not evaluated", h.name),
                    start_time: start.into(),
                    message: None,
                    skip_message: Some(format!("{}: {}", h.name, n.reason)),
                    resource_id: None,
                });
            } else if h.rules_evaluated.iter().any(|r| r == code) {
                c.results.push(ControlResult {
                    status: "passed",
                    code_desc: format!("{}: no findings", h.name),
                    start_time: start.into(),
                    message: None,
                    skip_message: None,
                    resource_id: None,
                });
            }
        }
    }

    let mut stats: BTreeMap<&str, u64> = BTreeMap::new();
    for c in &controls {
        let st = if c.results.iter().any(|r| r.status == "failed") {
            "failed"
        } else if c.results.iter().any(|r| r.status == "passed") {
            "passed"
        } else {
            "skipped"
        };
        *stats.entry(st).or_default() += 1;
    }
    let duration = match (
        chrono::DateTime::parse_from_rfc3339(&report.run.started),
        chrono::DateTime::parse_from_rfc3339(&report.run.finished),
    ) {
        (Ok(a), Ok(b)) => Some(((b - a).num_milliseconds().max(0) as f64) / 1000.0),
        _ => None,
    };

    let oses: std::collections::BTreeSet<&str> = report
        .hosts
        .iter()
        .filter_map(|h| h.os.as_deref())
        .collect();
    let release = match (oses.len(), oses.iter().next()) {
        (1, Some(os)) => os.to_string(),
        _ => "various".to_string(),
    };
    let target_id = match report.hosts.as_slice() {
        [one] => one.name.clone(),
        hosts => format!("fleet of {} hosts", hosts.len()),
    };

    // The profile checksum covers the rule appendix, so it changes exactly when the rules do.
    let sha256 = {
        use sha2::Digest;
        let bytes = serde_json::to_vec(&report.rules)?;
        sha2::Sha256::digest(&bytes)
            .iter()
            .fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    };
    let ids: Vec<&str> = controls.iter().map(|c| c.id).collect();
    let exec = Exec {
        platform: json!({ "name": "windows", "release": release, "target_id": target_id }),
        profiles: vec![Profile {
            name: "iis-sweep",
            title: "iis-sweep: IIS 401 causes and authentication hygiene",
            version: &report.tool.ruleset,
            summary: format!(
                "{} run {} – {}: {} hosts, {} findings ({} waived)",
                report.run.command,
                report.run.started,
                report.run.finished,
                report.totals.hosts,
                report.totals.findings,
                report.totals.waived
            ),
            sha256,
            supports: json!([{ "platform-family": "windows" }]),
            attributes: Vec::new(),
            groups: vec![json!({ "id": "iis-sweep", "title": "iis-sweep rules", "controls": ids })],
            status: "loaded",
            controls,
        }],
        statistics: json!({
            "duration": duration,
            "controls": {
                "passed": { "total": stats.get("passed").copied().unwrap_or(0) },
                "failed": { "total": stats.get("failed").copied().unwrap_or(0) },
                "skipped": { "total": stats.get("skipped").copied().unwrap_or(0) },
            },
        }),
        version: &report.tool.version,
    };
    serde_json::to_writer_pretty(&mut *w, &exec)?;
    w.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::reference_tags;

    #[test]
    fn tags_come_from_references() {
        let refs = vec![
            "CIS Microsoft IIS 10 Benchmark v1.2.1, 2.1".to_string(),
            "DISA IIS 10.0 Site STIG V-218735".to_string(),
            "NIST SP 800-53 AC-3, CM-7".to_string(),
            "https://learn.microsoft.com/iis".to_string(),
        ];
        let (cis, stig, nist) = reference_tags(&refs);
        assert_eq!(cis, vec![refs[0].as_str()]);
        assert_eq!(stig, vec![refs[1].as_str()]);
        assert_eq!(nist, vec!["AC-3".to_string(), "CM-7".to_string()]);
    }
}
