//! The shared rule set.
//!
//! Every rule is declared once, as a [`Rule`] static in the file of its family:
//! stable code, kebab-case name, title, 401 substatus (or hygiene), severity, the facts it needs,
//! docs (what it does / why it matters / example / fix), references, and its check function.
//! `iis-sweep rules`, `docs/rules.md`, the report appendix and SARIF rule metadata all come from
//! these declarations.
//!
//! Families: [`logon`] (401.1), [`server_config`] (401.2), [`acl`] (401.3), [`filters`]
//! (401.4/401.5), [`ip`] (401.501–504), [`hygiene`], [`config_errors`] (500.19).

pub mod common;
pub mod compliance;
pub mod context;
pub mod settings;

mod acl;
mod config_errors;
mod filters;
mod hygiene;
mod ip;
mod logon;
mod server_config;

pub use context::{FindingDraft, HostContext, Sink};

use crate::finding::{RuleInfo, Severity, Substatus};

/// Version of the rule set; bump when a rule is added or its logic changes.
pub const RULESET_VERSION: &str = "2026.12.1";

/// A kind of fact a rule reads. A host whose snapshot lacks it gets the rule "not evaluated".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Config,
    Acls,
    Accounts,
    Registry,
    Logs,
    SecurityLog,
}

impl Fact {
    pub fn as_str(self) -> &'static str {
        match self {
            Fact::Config => "configuration files",
            Fact::Acls => "folder ACLs",
            Fact::Accounts => "account SIDs",
            Fact::Registry => "registry values",
            Fact::Logs => "IIS logs",
            Fact::SecurityLog => "Security log",
        }
    }
}

/// The four parts of a rule's documentation, in the order they are printed.
#[derive(Debug, Clone, Copy)]
pub struct RuleDocs {
    pub what: &'static str,
    pub why: &'static str,
    pub example: &'static str,
    pub fix: &'static str,
}

/// One rule, declared once.
pub struct Rule {
    /// Stable code, e.g. `U201`. Never reused.
    pub code: &'static str,
    /// Kebab-case name, e.g. `no-authentication-method`.
    pub name: &'static str,
    pub title: &'static str,
    /// The substatus(es) this rule explains.
    pub substatus: &'static [Substatus],
    pub severity: Severity,
    /// Facts the rule reads.
    pub needs: &'static [Fact],
    pub docs: RuleDocs,
    pub references: &'static [&'static str],
    /// Looks at one host and reports what it finds.
    pub check: fn(&HostContext, &mut Sink),
}

impl Rule {
    /// The rule as listed in reports.
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            code: self.code.into(),
            name: self.name.into(),
            title: self.title.into(),
            substatus: self.substatus.to_vec(),
            severity: self.severity,
            what: self.docs.what.into(),
            why: self.docs.why.into(),
            example: self.docs.example.into(),
            fix: self.docs.fix.into(),
            references: self.references.iter().map(|s| s.to_string()).collect(),
            nist: compliance::nist(self.code)
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// The rule's documentation as Markdown.
    pub fn markdown(&self) -> String {
        let subs: Vec<&str> = self.substatus.iter().map(|s| s.as_str()).collect();
        let mut s = format!(
            "## {} {}\n\n**{}** · substatus {} · severity {}\n\n",
            self.code,
            self.name,
            self.title,
            subs.join(", "),
            self.severity
        );
        s.push_str(&format!("### What it does\n{}\n\n", self.docs.what.trim()));
        s.push_str(&format!("### Why it matters\n{}\n\n", self.docs.why.trim()));
        s.push_str(&format!(
            "### Example\n```\n{}\n```\n\n",
            self.docs.example.trim()
        ));
        s.push_str(&format!("### Fix\n{}\n\n", self.docs.fix.trim()));
        let nist = compliance::nist(self.code);
        if !nist.is_empty() {
            s.push_str(&format!(
                "### Compliance
NIST SP 800-53 Rev. 5: {} (iis-sweep's mapping; see \
                 [rule codes](rule-codes.md#compliance-mappings)).{}\n\n",
                nist.join(", "),
                self.references
                    .iter()
                    .filter(|r| r.starts_with("CIS "))
                    .map(|r| format!(" {r}."))
                    .collect::<String>()
            ));
        }
        if !self.references.is_empty() {
            s.push_str("### References\n");
            for r in self.references {
                s.push_str(&format!("- {r}\n"));
            }
            s.push('\n');
        }
        s
    }
}

/// Every rule, in code order.
pub fn all() -> &'static [&'static Rule] {
    static ALL: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<&'static Rule> = Vec::new();
        v.extend_from_slice(logon::RULES);
        v.extend_from_slice(server_config::RULES);
        v.extend_from_slice(acl::RULES);
        v.extend_from_slice(filters::RULES);
        v.extend_from_slice(ip::RULES);
        v.extend_from_slice(hygiene::RULES);
        v.extend_from_slice(config_errors::RULES);
        v.sort_by_key(|r| r.code);
        v
    })
}

/// The rule with this code or name.
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    all()
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

/// `docs/rules.md`, generated from the declarations.
pub fn rules_markdown() -> String {
    let mut s = String::from(
        "# Rules\n\n<!-- Generated by `iis-sweep rules --format markdown`; do not edit. -->\n\n\
| code | name | substatus | severity | title |\n|---|---|---|---|---|\n",
    );
    for r in all() {
        let subs: Vec<&str> = r.substatus.iter().map(|s| s.as_str()).collect();
        s.push_str(&format!(
            "| [{}](#{}-{}) | {} | {} | {} | {} |\n",
            r.code,
            r.code.to_lowercase(),
            r.name,
            r.name,
            subs.join(", "),
            r.severity,
            r.title
        ));
    }
    s.push('\n');
    for r in all() {
        s.push_str(&r.markdown());
    }
    s
}
