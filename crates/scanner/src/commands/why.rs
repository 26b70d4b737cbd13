//! `iis-sweep why PATH --site NAME --url /path [--substatus 401.x]`: the ranked likely causes of
//! a 401 a user reported, or "no configuration cause found" with what was checked.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::finding::{Finding, NotEvaluated, Substatus};
use crate::pipeline::{analyze, analyze_at};
use crate::rules::common::url_within;
use crate::rules::settings::RuleSettings;

use super::inspect::load_one;

/// The diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub host: String,
    pub site: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substatus: Option<Substatus>,
    /// Likely causes, most likely first.
    pub causes: Vec<Finding>,
    /// Rules that ran for this host and can explain a 401 of the asked substatus.
    pub checked: Vec<String>,
    /// Rules that could not run, and why: a cause may hide there.
    pub not_evaluated: Vec<NotEvaluated>,
    /// 401 responses logged for the site (challenge legs excluded), `401.S/win32` → count.
    pub logged: Vec<(String, u64)>,
}

fn explains(f: &Finding, site: &str, url: &str) -> bool {
    if f.substatus == Substatus::Hygiene {
        return false;
    }
    match (&f.site, &f.url_path) {
        (None, _) => true,
        (Some(s), p) => {
            s.eq_ignore_ascii_case(site) && url_within(url, p.as_deref().unwrap_or("/"))
        }
    }
}

/// Ranks causes: the asked substatus first; then what the host's own Security log shows
/// happening (failed logons of a configured account) above what configuration suggests; then
/// 401s over 500.19, logged 401s, severity and the deepest path.
fn score(f: &Finding, wanted: Option<Substatus>) -> (u8, u8, u8, u64, u8, usize) {
    let exact = u8::from(wanted == Some(f.substatus));
    let observed = u8::from(
        f.evidence
            .iter()
            .any(|e| e.kind == crate::finding::EvidenceKind::Event),
    );
    let is_401 = u8::from(f.substatus != Substatus::ConfigError);
    let logged = f.log_evidence.as_ref().map_or(0, |l| l.count);
    let depth = f.url_path.as_deref().map_or(0, |p| p.matches('/').count());
    (exact, observed, is_401, logged, f.severity as u8, depth)
}

/// Diagnoses one URL.
pub fn run(
    path: &Path,
    site: &str,
    url: &str,
    substatus: Option<Substatus>,
    settings: &RuleSettings,
) -> anyhow::Result<Diagnosis> {
    let (input, snapshot) = load_one(path)?;
    let today = chrono::Utc::now().date_naive();
    let a = analyze(&snapshot, &path.display().to_string(), settings, today);
    if !a.host.status.evaluated() {
        anyhow::bail!(
            "{}: the host could not be evaluated: {}",
            path.display(),
            a.host.reason.unwrap_or_default()
        );
    }
    let config = crate::iis::HostConfig::from_snapshot(&snapshot);
    let site_cfg = config.site(site).ok_or_else(|| {
        let names: Vec<&str> = config.sites().iter().map(|s| s.name.as_str()).collect();
        anyhow::anyhow!(
            "host {} has no site {site:?}; its sites are: {}",
            a.host.name,
            names.join(", ")
        )
    })?;
    let url = if url.starts_with('/') {
        url.to_string()
    } else {
        format!("/{url}")
    };
    // What holds at exactly this URL: a page its own <location> exempts is not blamed on its
    // folder's rule (the full analysis reports causes once, at the shallowest path).
    let mut focused = analyze_at(
        &snapshot,
        &path.display().to_string(),
        settings,
        today,
        &site_cfg.name,
        &url,
    );
    crate::pipeline::echo_given_file(&input, &mut focused.findings);
    let mut causes: Vec<Finding> = focused
        .findings
        .into_iter()
        .filter(|f| explains(f, site, &url))
        .filter(|f| f.waived.is_none())
        .collect();
    // Asked for one substatus: the other 401 causes still show, ranked below.
    causes.sort_by_key(|f| std::cmp::Reverse(score(f, substatus)));
    let checked = crate::rules::all()
        .iter()
        .filter(|r| a.host.rules_evaluated.iter().any(|c| c == r.code))
        .filter(|r| !r.substatus.contains(&Substatus::Hygiene))
        .filter(|r| substatus.is_none_or(|s| r.substatus.contains(&s)))
        .map(|r| format!("{} {}", r.code, r.name))
        .collect();
    let logged = site_cfg
        .id
        .and_then(|id| a.host.log_401.get(&id.to_string()))
        .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
        .unwrap_or_default();
    Ok(Diagnosis {
        host: a.host.name,
        site: site_cfg.name.clone(),
        url,
        substatus,
        causes,
        checked,
        not_evaluated: a.host.not_evaluated,
        logged,
    })
}

impl Diagnosis {
    /// Text for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let what = self
            .substatus
            .map(|s| s.to_string())
            .unwrap_or_else(|| "401".into());
        let _ = writeln!(
            out,
            "Why {what} on {} {}{}?",
            self.host, self.site, self.url
        );
        if !self.logged.is_empty() {
            let l: Vec<String> = self
                .logged
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect();
            let _ = writeln!(out, "IIS log for this site: {}", l.join(", "));
        }
        if self.causes.is_empty() {
            let _ = writeln!(
                out,
                "\nNo configuration cause found for {what} at {}{}.",
                self.site, self.url
            );
            let _ = writeln!(
                out,
                "Causes outside the configuration remain: a wrong or expired password, a locked or \
disabled account, the client not offering a supported scheme, or a module or application \
returning 401 itself."
            );
        }
        for (i, f) in self.causes.iter().enumerate() {
            let _ = writeln!(
                out,
                "\n{}. [{}] {} {} ({}) at {}{}",
                i + 1,
                f.substatus,
                f.rule,
                f.name,
                f.severity,
                f.site.as_deref().unwrap_or("host"),
                f.url_path.as_deref().unwrap_or("")
            );
            let _ = writeln!(out, "   {}", f.message);
            for e in &f.evidence {
                let loc = match (&e.location, e.line) {
                    (Some(l), Some(n)) => format!("{l}:{n}: "),
                    (Some(l), None) => format!("{l}: "),
                    _ => String::new(),
                };
                let _ = writeln!(out, "   - {loc}{}", e.text);
            }
            if let Some(l) = &f.log_evidence {
                let _ = writeln!(out, "   - IIS log: {} matching responses", l.count);
            }
            let _ = writeln!(out, "   fix: {}", f.fix);
        }
        let _ = writeln!(out, "\nChecked: {}", self.checked.join(", "));
        if !self.not_evaluated.is_empty() {
            let _ = writeln!(out, "Not evaluated (a cause may hide here):");
            for n in &self.not_evaluated {
                let _ = writeln!(out, "  {} — {}", n.rule, n.reason);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: &str, evidence_kind: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": rule, "name": rule, "severity": severity, "substatus": "401.1",
            "host": "WEB-01", "site": "Shop", "url_path": "/",
            "message": "m", "fix": "f", "references": [], "fingerprint": rule,
            "evidence": [{ "kind": evidence_kind, "location": "x", "text": "t" }],
        }))
        .unwrap()
    }

    /// What the Security log shows happening outranks a more severe configuration guess.
    #[test]
    fn observed_failed_logons_outrank_configuration() {
        let observed = finding("U107", "medium", "event");
        let guessed = finding("U104", "critical", "config");
        assert!(score(&observed, None) > score(&guessed, None));
        // The asked substatus still comes first.
        let mut asked = finding("U301", "low", "config");
        asked.substatus = Substatus::Acl;
        assert!(score(&asked, Some(Substatus::Acl)) > score(&observed, Some(Substatus::Acl)));
    }
}
