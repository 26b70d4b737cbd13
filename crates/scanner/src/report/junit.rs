//! `junit.xml`: the sweep as JUnit XML, for CI test tabs (Jenkins, GitLab, Azure DevOps).
//!
//! Shape (the Apache Ant / Jenkins schema, `tests/schemas/junit-windyroad.xsd`):
//!
//! - one `<testsuite>` per host (`name` and `hostname` = host, `package` = `iis-sweep`, `id` from
//!   0), with `<properties>` holding the host's status, source, OS and IIS version;
//! - one `<testcase>` per rule the host was evaluated with (`HostResult.rules_evaluated`), named
//!   `CODE rule-name`, `classname` = host:
//!   - findings not waived → `<failure type="<worst severity>">` listing every finding with its
//!     evidence and fix;
//!   - only waived findings → `<skipped>` with the justification;
//!   - a rule that could not run (`not_evaluated`) → `<skipped>` with the reason;
//!   - otherwise the testcase passes;
//! - a host that was not evaluated (unreachable, auth-failed, …) → one testcase
//!   `host evaluation` with an `<error type="<status>">` carrying the reason.
//!
//! Timestamps are UTC without a zone suffix, as that schema requires. All text is XML-escaped,
//! and characters XML 1.0 cannot carry (most C0 controls, U+FFFE, U+FFFF) are dropped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use super::model::Report;
use crate::finding::{Finding, HostResult, Severity};

/// Keeps only characters legal in XML 1.0: `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
/// [#x10000-#x10FFFF]` (Rust strings hold no surrogates).
fn legal(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Escapes text content.
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (double-quoted). Tabs and line breaks become character references
/// so attribute-value normalisation keeps them.
pub fn escape_attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|c| legal(*c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' if attr => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

/// `xs:token`-friendly: one line, single spaces.
fn token(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC (the schema's timestamp pattern has no zone).
fn timestamp(rfc3339: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(rfc3339).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    })
}

enum Outcome {
    Passed,
    Failure {
        kind: String,
        message: String,
        body: String,
    },
    Error {
        kind: String,
        message: String,
        body: String,
    },
    Skipped {
        message: String,
    },
}

struct Case {
    name: String,
    outcome: Outcome,
}

fn finding_block(f: &Finding, out: &mut String) {
    let _ = writeln!(
        out,
        "[{}] {} — {}",
        f.severity,
        super::finding_place(f),
        f.message
    );
    if let Some(p) = &f.physical_path {
        let _ = writeln!(out, "  folder: {p}");
    }
    for e in &f.evidence {
        let _ = writeln!(out, "  evidence: {}", super::evidence_line(e));
    }
    if let Some(l) = &f.log_evidence {
        let _ = writeln!(
            out,
            "  IIS log: {} matching 401 responses on site {}",
            l.count, l.site_id
        );
    }
    if let Some(w) = &f.waived {
        let _ = writeln!(out, "  waived until {}: {}", w.expires, w.justification);
    }
    if let Some(d) = f.drift {
        let _ = writeln!(
            out,
            "  drift: {}",
            match d {
                crate::finding::Drift::New => "new",
                crate::finding::Drift::Unchanged => "unchanged",
            }
        );
    }
    let _ = writeln!(out, "  fix: {}", f.fix);
    let _ = writeln!(out, "  fingerprint: {}", f.fingerprint);
}

fn rule_case(name: String, findings: &[&Finding], not_evaluated: Option<&str>) -> Case {
    let open: Vec<&&Finding> = findings.iter().filter(|f| f.waived.is_none()).collect();
    let outcome = if !open.is_empty() {
        let worst = open
            .iter()
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info);
        let mut body = String::new();
        for f in findings {
            finding_block(f, &mut body);
        }
        let message = if open.len() == 1 {
            open[0].message.clone()
        } else {
            format!("{} findings; first: {}", open.len(), open[0].message)
        };
        Outcome::Failure {
            kind: worst.as_str().into(),
            message,
            body,
        }
    } else if let Some(first) = findings.first() {
        let w = first.waived.as_ref().expect("only waived findings here");
        Outcome::Skipped {
            message: format!(
                "waived until {}: {}{}",
                w.expires,
                w.justification,
                if findings.len() > 1 {
                    format!(" (and {} more waived)", findings.len() - 1)
                } else {
                    String::new()
                }
            ),
        }
    } else if let Some(reason) = not_evaluated {
        Outcome::Skipped {
            message: format!("not evaluated: {reason}"),
        }
    } else {
        Outcome::Passed
    };
    Case { name, outcome }
}

fn host_cases(
    h: &HostResult,
    findings: &[&Finding],
    rule_names: &BTreeMap<&str, &str>,
) -> Vec<Case> {
    if !h.status.evaluated() {
        let reason = h.reason.clone().unwrap_or_else(|| h.status.as_str().into());
        return vec![Case {
            name: "host evaluation".into(),
            outcome: Outcome::Error {
                kind: h.status.as_str().into(),
                message: format!("{}: {reason}", h.status.as_str()),
                body: format!(
                    "host {} was not evaluated: {reason}\nsource: {}\n",
                    h.name, h.source
                ),
            },
        }];
    }
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_rule.entry(f.rule.as_str()).or_default().push(f);
    }
    // Rules in the order the host lists them, then any rule that only appears as "not evaluated"
    // or only through a finding.
    let mut order: Vec<&str> = h.rules_evaluated.iter().map(String::as_str).collect();
    for n in &h.not_evaluated {
        if !order.contains(&n.rule.as_str()) {
            order.push(&n.rule);
        }
    }
    for r in by_rule.keys() {
        if !order.contains(r) {
            order.push(r);
        }
    }
    order
        .into_iter()
        .map(|code| {
            let name = match rule_names.get(code) {
                Some(n) => format!("{code} {n}"),
                None => match by_rule.get(code).and_then(|v| v.first()) {
                    Some(f) => format!("{code} {}", f.name),
                    None => code.to_string(),
                },
            };
            let not_eval = h
                .not_evaluated
                .iter()
                .find(|n| n.rule == code)
                .map(|n| n.reason.as_str());
            let fs = by_rule.get(code).map(Vec::as_slice).unwrap_or(&[]);
            rule_case(token(&name), fs, not_eval)
        })
        .collect()
}

/// Writes the JUnit XML.
pub fn write_to(report: &Report, w: &mut dyn Write) -> anyhow::Result<()> {
    let rule_names: BTreeMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let mut by_host: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_host.entry(f.host.as_str()).or_default().push(f);
    }
    let run_ts = timestamp(&report.run.started).unwrap_or_else(|| "1970-01-01T00:00:00".into());

    w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n")?;
    let mut buf = String::new();
    for (id, h) in report.hosts.iter().enumerate() {
        buf.clear();
        let findings = by_host
            .get(h.name.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let cases = host_cases(h, findings, &rule_names);
        let count = |pred: fn(&Outcome) -> bool| cases.iter().filter(|c| pred(&c.outcome)).count();
        let failures = count(|o| matches!(o, Outcome::Failure { .. }));
        let errors = count(|o| matches!(o, Outcome::Error { .. }));
        let skipped = count(|o| matches!(o, Outcome::Skipped { .. }));
        let ms = h.timings.collect_ms.unwrap_or(0) + h.timings.analyze_ms;
        let ts = h
            .collected_at
            .as_deref()
            .and_then(timestamp)
            .unwrap_or_else(|| run_ts.clone());
        let name = escape_attr(&token(&h.name));
        let name = if name.is_empty() {
            "(unnamed host)".into()
        } else {
            name
        };
        let _ = writeln!(
            buf,
            "  <testsuite name=\"{name}\" package=\"iis-sweep\" id=\"{id}\" hostname=\"{name}\" timestamp=\"{ts}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{}.{:03}\">",
            cases.len(),
            ms / 1000,
            ms % 1000
        );
        buf.push_str("    <properties>\n");
        let mut prop = |k: &str, v: &str| {
            let _ = writeln!(
                buf,
                "      <property name=\"{k}\" value=\"{}\"/>",
                escape_attr(v)
            );
        };
        prop("status", h.status.as_str());
        if let Some(r) = &h.reason {
            prop("reason", r);
        }
        prop("source", &h.source);
        if let Some(v) = &h.os {
            prop("os", v);
        }
        if let Some(v) = &h.iis_version {
            prop("iis_version", v);
        }
        if let Some(v) = &h.collected_at {
            prop("collected_at", v);
        }
        prop("sites", &h.sites.to_string());
        prop("applications", &h.applications.to_string());
        prop("tool_version", &report.tool.version);
        prop("ruleset", &report.tool.ruleset);
        buf.push_str("    </properties>\n");
        let classname = escape_attr(&token(&h.name));
        for c in &cases {
            let case_name = escape_attr(&c.name);
            match &c.outcome {
                Outcome::Passed => {
                    let _ = writeln!(
                        buf,
                        "    <testcase name=\"{case_name}\" classname=\"{classname}\" time=\"0\"/>"
                    );
                }
                Outcome::Skipped { message } => {
                    let _ = writeln!(
                        buf,
                        "    <testcase name=\"{case_name}\" classname=\"{classname}\" time=\"0\">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        escape_attr(message)
                    );
                }
                Outcome::Failure {
                    kind,
                    message,
                    body,
                }
                | Outcome::Error {
                    kind,
                    message,
                    body,
                } => {
                    let tag = if matches!(c.outcome, Outcome::Failure { .. }) {
                        "failure"
                    } else {
                        "error"
                    };
                    let _ = writeln!(
                        buf,
                        "    <testcase name=\"{case_name}\" classname=\"{classname}\" time=\"0\">\n      <{tag} type=\"{}\" message=\"{}\">{}</{tag}>\n    </testcase>",
                        escape_attr(kind),
                        escape_attr(message),
                        escape_text(body)
                    );
                }
            }
        }
        let mut out_text = format!("status: {}\nsource: {}\n", h.status.as_str(), h.source);
        for (site, counts) in &h.log_401 {
            let c: Vec<String> = counts.iter().map(|(k, v)| format!("{k} x{v}")).collect();
            let site = match h.log_401_sites.get(site) {
                Some(name) => format!("{name} (id {site})"),
                None => format!("id {site}"),
            };
            let _ = writeln!(out_text, "401s logged on site {site}: {}", c.join(", "));
        }
        let _ = writeln!(
            buf,
            "    <system-out>{}</system-out>\n    <system-err>{}</system-err>\n  </testsuite>",
            escape_text(&out_text),
            escape_text(&h.problems.join("\n"))
        );
        w.write_all(buf.as_bytes())?;
    }
    w.write_all(b"</testsuites>\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_strips_illegal_characters() {
        assert_eq!(escape_text("a\u{0}b\u{1b}c\u{FFFE}<&>"), "abc&lt;&amp;&gt;");
        assert_eq!(escape_attr("\"x'\n\ty\u{7}"), "&quot;x&apos;&#10;&#9;y");
    }

    #[test]
    fn timestamps_are_utc_without_zone() {
        assert_eq!(
            timestamp("2026-03-01T10:00:00+02:00").as_deref(),
            Some("2026-03-01T08:00:00")
        );
        assert_eq!(timestamp("yesterday"), None);
    }
}
