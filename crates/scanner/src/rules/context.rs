//! What a rule sees ([`HostContext`]) and how it reports ([`Sink`], [`FindingDraft`]).

use sha2::{Digest, Sha256};

use crate::finding::fix::FixStep;
use crate::finding::{Evidence, EvidenceKind, Finding, NotEvaluated, Substatus};
use crate::iis::HostConfig;
use crate::snapshot::{RegistryData, Snapshot};

use super::{Fact, Rule};

/// One host's facts and the models built from them, shared by every rule.
pub struct HostContext<'a> {
    pub snapshot: &'a Snapshot,
    /// The effective IIS configuration.
    pub config: HostConfig,
    /// [`HostContext::site_paths`], computed once for all rules.
    pub(crate) site_paths: std::sync::OnceLock<Vec<super::common::SitePath>>,
    /// The content folders of the site paths, for the ACL rules (worked out once per host).
    pub(crate) acl_folders: std::sync::OnceLock<Vec<super::acl::FolderFacts>>,
    /// [`HostContext::folder_sd`] answers by normalised folder path.
    #[allow(clippy::type_complexity)]
    pub(crate) folder_sds:
        std::sync::Mutex<foldhash::HashMap<String, Result<crate::acl::SecurityDescriptor, String>>>,
}

impl<'a> HostContext<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        HostContext {
            snapshot,
            config: HostConfig::from_snapshot(snapshot),
            site_paths: std::sync::OnceLock::new(),
            folder_sds: Default::default(),
            acl_folders: std::sync::OnceLock::new(),
        }
    }

    /// The host's name as reported.
    pub fn host(&self) -> &str {
        &self.snapshot.host.name
    }

    /// Whether the snapshot holds this kind of fact.
    pub fn has(&self, fact: Fact) -> bool {
        let c = &self.snapshot.collected;
        match fact {
            Fact::Config => c.config,
            Fact::Acls => c.acls,
            Fact::Accounts => c.accounts,
            Fact::Registry => c.registry,
            Fact::Logs => c.logs,
            Fact::SecurityLog => c.security_log,
        }
    }

    /// A registry DWORD: `None` when absent (looked up, not there) or not a number.
    pub fn registry_number(&self, key: &str, name: &str) -> Option<u64> {
        match self.snapshot.registry_value(key, name)?.data.as_ref()? {
            RegistryData::Number(n) => Some(*n),
            RegistryData::Text(t) => t.trim().parse().ok(),
            RegistryData::Lines(_) => None,
        }
    }

    /// Evidence text for a registry value as collected (or its absence).
    pub fn registry_evidence(&self, key: &str, name: &str) -> Evidence {
        let text = match self.snapshot.registry_value(key, name) {
            Some(r) => match &r.data {
                None => format!("{name} is not set"),
                Some(RegistryData::Number(n)) => {
                    format!(
                        "{name} = {n} ({})",
                        r.kind.as_deref().unwrap_or("REG_DWORD")
                    )
                }
                Some(RegistryData::Text(t)) => {
                    format!("{name} = {t:?} ({})", r.kind.as_deref().unwrap_or("REG_SZ"))
                }
                Some(RegistryData::Lines(l)) => format!(
                    "{name} = [{}] ({})",
                    l.join(", "),
                    r.kind.as_deref().unwrap_or("REG_MULTI_SZ")
                ),
            },
            None => format!("{name} was not collected"),
        };
        Evidence {
            kind: EvidenceKind::Registry,
            location: Some(key.to_string()),
            line: None,
            text,
        }
    }
}

/// A finding before the rule's metadata and the fingerprint are added.
#[derive(Debug, Clone, Default)]
pub struct FindingDraft {
    site: Option<String>,
    application: Option<String>,
    url_path: Option<String>,
    physical_path: Option<String>,
    message: String,
    evidence: Vec<Evidence>,
    fix: String,
    steps: Vec<FixStep>,
    substatus: Option<Substatus>,
    key: String,
}

impl FindingDraft {
    /// A finding with a one-sentence message.
    pub fn new(message: impl Into<String>) -> Self {
        FindingDraft {
            message: message.into(),
            ..Default::default()
        }
    }

    /// Where: site, application path and URL path.
    pub fn at(mut self, site: &str, application: Option<&str>, url_path: Option<&str>) -> Self {
        self.site = Some(site.to_string());
        self.application = application.map(str::to_string);
        self.url_path = url_path.map(str::to_string);
        self
    }

    /// The content folder concerned.
    pub fn physical(mut self, path: impl Into<String>) -> Self {
        self.physical_path = Some(path.into());
        self
    }

    pub fn evidence(mut self, e: Evidence) -> Self {
        self.evidence.push(e);
        self
    }

    /// A configuration line as evidence.
    pub fn config_line(mut self, file: &str, line: u32, text: impl Into<String>) -> Self {
        self.evidence.push(Evidence {
            kind: EvidenceKind::Config,
            location: Some(file.to_string()),
            line: Some(line),
            text: text.into(),
        });
        self
    }

    /// A free-form fact as evidence.
    pub fn fact(
        mut self,
        kind: EvidenceKind,
        location: Option<&str>,
        text: impl Into<String>,
    ) -> Self {
        self.evidence.push(Evidence {
            kind,
            location: location.map(str::to_string),
            line: None,
            text: text.into(),
        });
        self
    }

    /// The exact command that fixes it.
    pub fn fix(mut self, command: impl Into<String>) -> Self {
        self.fix = command.into();
        self
    }

    /// The fix as steps that can be applied unattended; the fix text becomes their cmd.exe
    /// lines (quoted for cmd.exe, or a pointer to the PowerShell script when a name cannot be).
    pub fn steps(mut self, steps: Vec<FixStep>) -> Self {
        self.fix = crate::finding::fix::cmd_lines(&steps);
        self.steps = steps;
        self
    }

    /// The substatus, when the rule covers several (default: the rule's first).
    pub fn substatus(mut self, s: Substatus) -> Self {
        self.substatus = Some(s);
        self
    }

    /// Extra identity for the fingerprint when one rule can fire several times on the same
    /// path (e.g. the attribute concerned). Must not contain line numbers or counts.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }
}

/// A fix written as text (no steps) names sites and paths inside cmd.exe double quotes; when
/// one of them holds what cmd.exe cannot quote (`"`, `%`, `!`, control characters), the line
/// could run something else, so it becomes a `rem` that says to do it by hand. Steps quote each
/// value themselves ([`crate::finding::fix::FixStep::cmd`]).
fn cmd_safe_fix(fix: String, steps: &[FixStep], names: [&Option<String>; 4]) -> String {
    let unquotable = names
        .iter()
        .filter_map(|n| n.as_deref())
        .any(|n| crate::finding::fix::cmd_quote(n).is_none());
    if steps.is_empty() && unquotable {
        format!(
            "rem a site or path name here holds characters cmd.exe cannot quote (\", %, ! or a \
             control character): make this change by hand. {}",
            crate::finding::fix::comment_text(&fix)
        )
    } else {
        fix
    }
}

/// Collects one rule's findings on one host.
pub struct Sink {
    rule: &'static Rule,
    host: String,
    pub(crate) findings: Vec<Finding>,
    pub(crate) skipped: Vec<NotEvaluated>,
}

impl Sink {
    pub fn new(rule: &'static Rule, host: &str) -> Self {
        Sink {
            rule,
            host: host.to_string(),
            findings: Vec::new(),
            skipped: Vec::new(),
        }
    }

    /// Reports a finding.
    pub fn report(&mut self, d: FindingDraft) {
        let fingerprint = fingerprint(
            self.rule.code,
            &self.host,
            d.site.as_deref(),
            d.url_path.as_deref(),
            &d.key,
        );
        let fix = cmd_safe_fix(
            d.fix,
            &d.steps,
            [&d.site, &d.application, &d.url_path, &d.physical_path],
        );
        self.findings.push(Finding {
            rule: self.rule.code.into(),
            name: self.rule.name.into(),
            severity: self.rule.severity,
            substatus: d
                .substatus
                .or_else(|| self.rule.substatus.first().copied())
                .unwrap_or(Substatus::Hygiene),
            host: self.host.clone(),
            site: d.site,
            application: d.application,
            url_path: d.url_path,
            physical_path: d.physical_path,
            message: d.message,
            evidence: d.evidence,
            fix,
            steps: d.steps,
            references: self.rule.references.iter().map(|s| s.to_string()).collect(),
            log_evidence: None,
            fingerprint,
            waived: None,
            drift: None,
            confidence: crate::finding::CERTAIN.into(),
        });
    }

    /// The rule could not judge part of the host (e.g. an account that did not resolve):
    /// listed as "not evaluated" instead of guessing.
    pub fn skip(&mut self, reason: impl Into<String>) {
        self.skipped.push(NotEvaluated {
            rule: self.rule.code.into(),
            reason: reason.into(),
        });
    }
}

/// Stable across sweeps: rule, host, site, URL path (case-insensitive) and the rule's key.
pub fn fingerprint(
    rule: &str,
    host: &str,
    site: Option<&str>,
    url: Option<&str>,
    key: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [
        rule,
        &host.to_lowercase(),
        &site.unwrap_or("").to_lowercase(),
        &url.unwrap_or("").to_lowercase(),
        key,
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}
