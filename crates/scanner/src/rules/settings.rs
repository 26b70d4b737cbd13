//! Rule configuration and waivers (`--rules-config FILE`, TOML).
//!
//! ```toml
//! [rules.U305]
//! enabled = false            # do not run this rule
//!
//! [rules.H006]
//! severity = "low"           # report it with another severity
//!
//! [[waiver]]
//! rule = "U101"
//! host = "WEB-0*"            # glob: * and ?
//! site = "Intranet"          # optional
//! path = "/hr"               # optional: this URL path and below
//! justification = "Accepted until the SPN migration (CHG-1234)"
//! expires = "2027-03-31"
//! ```
//! Waived findings stay in the report, marked as waived. An expired waiver stops applying and
//! the report says so.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::finding::{Finding, Severity, WaiverInfo};

/// Per-rule overrides and waivers.
#[derive(Debug, Clone, Default)]
pub struct RuleSettings {
    pub overrides: BTreeMap<String, RuleOverride>,
    pub waivers: Vec<Waiver>,
    /// The file they came from (named in the report's scope).
    pub source: Option<String>,
}

/// Settings for one rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleOverride {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub severity: Option<String>,
}

/// One waiver.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub rule: String,
    #[serde(default = "any")]
    pub host: String,
    #[serde(default)]
    pub site: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    pub justification: String,
    pub expires: chrono::NaiveDate,
}

fn any() -> String {
    "*".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: BTreeMap<String, RuleOverride>,
    #[serde(default)]
    waiver: Vec<Waiver>,
}

impl RuleSettings {
    /// Reads and checks a rules config file.
    pub fn load(path: &Path) -> anyhow::Result<RuleSettings> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
        let mut s = Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        s.source = Some(path.display().to_string());
        Ok(s)
    }

    /// Parses the TOML text; unknown rule codes, bad severities and empty justifications are
    /// errors.
    pub fn parse(text: &str) -> anyhow::Result<RuleSettings> {
        let f: File = toml::from_str(text)?;
        for (code, o) in &f.rules {
            if super::find(code).is_none() {
                anyhow::bail!("[rules.{code}]: no rule has this code (see `iis-sweep rules`)");
            }
            if let Some(s) = &o.severity {
                if Severity::parse(s).is_none() {
                    anyhow::bail!(
                        "[rules.{code}] severity = {s:?}: use info, low, medium, high or critical"
                    );
                }
            }
        }
        for (i, w) in f.waiver.iter().enumerate() {
            if super::find(&w.rule).is_none() {
                anyhow::bail!("waiver #{}: no rule has the code {:?}", i + 1, w.rule);
            }
            if w.justification.trim().is_empty() {
                anyhow::bail!("waiver #{} ({}): justification is empty", i + 1, w.rule);
            }
        }
        Ok(RuleSettings {
            overrides: f
                .rules
                .into_iter()
                .map(|(k, v)| (k.to_ascii_uppercase(), v))
                .collect(),
            waivers: f.waiver,
            source: None,
        })
    }

    /// Whether the rule runs.
    pub fn enabled(&self, code: &str) -> bool {
        self.overrides
            .get(code)
            .and_then(|o| o.enabled)
            .unwrap_or(true)
    }

    /// The severity the rule reports with.
    pub fn severity(&self, code: &str, default: Severity) -> Severity {
        self.overrides
            .get(code)
            .and_then(|o| o.severity.as_deref())
            .and_then(Severity::parse)
            .unwrap_or(default)
    }

    /// Marks `finding` waived when an unexpired waiver matches it.
    pub fn apply_waivers(&self, finding: &mut Finding, today: chrono::NaiveDate) {
        for w in &self.waivers {
            if !w.matches(finding) || w.expires < today {
                continue;
            }
            finding.waived = Some(WaiverInfo {
                justification: w.justification.clone(),
                expires: w.expires.to_string(),
            });
            return;
        }
    }

    /// Notes for the report about waivers that expired.
    pub fn expired_notes(&self, today: chrono::NaiveDate) -> Vec<String> {
        self.waivers
            .iter()
            .filter(|w| w.expires < today)
            .map(|w| {
                format!(
                    "waiver for {} on host {} expired on {} and no longer applies ({})",
                    w.rule, w.host, w.expires, w.justification
                )
            })
            .collect()
    }
}

impl Waiver {
    fn matches(&self, f: &Finding) -> bool {
        if !self.rule.eq_ignore_ascii_case(&f.rule) || !glob_match(&self.host, &f.host) {
            return false;
        }
        if let Some(site) = &self.site {
            if !f
                .site
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(site))
            {
                return false;
            }
        }
        if let Some(path) = &self.path {
            let p = path.trim_end_matches('/').to_ascii_lowercase();
            let fp = f.url_path.as_deref().unwrap_or("/").to_ascii_lowercase();
            if !(fp == p || p.is_empty() || fp.starts_with(&format!("{p}/"))) {
                return false;
            }
        }
        true
    }
}

/// Case-insensitive glob with `*` (any run) and `?` (one character).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("WEB-0*", "web-0012"));
        assert!(glob_match("*", "anything"));
        assert!(glob_match("w?b", "WEB"));
        assert!(!glob_match("WEB-1*", "web-0012"));
        assert!(!glob_match("a*b", "acbx"));
    }
}
