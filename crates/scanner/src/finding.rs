//! What the rules conclude: findings, their evidence and severity, the metadata of the rules
//! that produce them, and each host's result. Below both `rules` (which produce these) and
//! `report` (which renders them), so neither depends on the other.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub mod fix;

/// How bad a finding is. Ordered: `info < low < medium < high < critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The IIS 401 substatus a finding explains, or `hygiene` for audit checks, or `500.19` for
/// configuration errors that stop a setting from applying.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Substatus {
    #[serde(rename = "401.1")]
    LogonFailed,
    #[serde(rename = "401.2")]
    ServerConfiguration,
    #[serde(rename = "401.3")]
    Acl,
    #[serde(rename = "401.4")]
    Filter,
    #[serde(rename = "401.5")]
    IsapiCgi,
    #[serde(rename = "401.501")]
    DynamicIpConcurrent,
    #[serde(rename = "401.502")]
    DynamicIpRate,
    #[serde(rename = "401.503")]
    IpDenied,
    #[serde(rename = "401.504")]
    HostNameDenied,
    #[serde(rename = "500.19")]
    ConfigError,
    #[serde(rename = "hygiene")]
    Hygiene,
}

impl Substatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Substatus::LogonFailed => "401.1",
            Substatus::ServerConfiguration => "401.2",
            Substatus::Acl => "401.3",
            Substatus::Filter => "401.4",
            Substatus::IsapiCgi => "401.5",
            Substatus::DynamicIpConcurrent => "401.501",
            Substatus::DynamicIpRate => "401.502",
            Substatus::IpDenied => "401.503",
            Substatus::HostNameDenied => "401.504",
            Substatus::ConfigError => "500.19",
            Substatus::Hygiene => "hygiene",
        }
    }

    /// The `(status, substatus)` pair IIS logs for it; `None` for hygiene.
    pub fn log_pair(self) -> Option<(u16, u32)> {
        let s = self.as_str();
        let (status, sub) = s.split_once('.')?;
        Some((status.parse().ok()?, sub.parse().ok()?))
    }

    pub fn parse(s: &str) -> Option<Substatus> {
        let s = s.trim();
        [
            Substatus::LogonFailed,
            Substatus::ServerConfiguration,
            Substatus::Acl,
            Substatus::Filter,
            Substatus::IsapiCgi,
            Substatus::DynamicIpConcurrent,
            Substatus::DynamicIpRate,
            Substatus::IpDenied,
            Substatus::HostNameDenied,
            Substatus::ConfigError,
            Substatus::Hygiene,
        ]
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Substatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// A configuration file line.
    Config,
    /// An ACE of a folder's security descriptor.
    Acl,
    /// A registry value.
    Registry,
    /// An account or SID resolution.
    Account,
    /// A host fact (domain membership, OS, …).
    Host,
    /// A schema default (the attribute is set nowhere).
    Default,
    /// Events of the host's Security log.
    Event,
}

/// One fact that made a rule fire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// File path, folder path or registry key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// 1-based line in `location`, for configuration files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What was seen, e.g. `<anonymousAuthentication enabled="false" />`.
    pub text: String,
}

/// 401 responses logged for the finding's site and substatus.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LogEvidence {
    /// IIS site id.
    pub site_id: u64,
    /// Lines with the finding's status and substatus (challenge legs excluded).
    pub count: u64,
    /// Counts by win32 status.
    pub by_win32: BTreeMap<String, u64>,
    /// Earliest and latest line considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
}

/// A waiver that matched a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WaiverInfo {
    pub justification: String,
    pub expires: String,
}

/// Drift against a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Drift {
    New,
    Unchanged,
}

/// One problem on one host, site and path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    /// Stable rule code, e.g. `U201`.
    pub rule: String,
    /// Rule name, e.g. `no-authentication-method`.
    pub name: String,
    pub severity: Severity,
    pub substatus: Substatus,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_path: Option<String>,
    /// One sentence: what is wrong here.
    pub message: String,
    pub evidence: Vec<Evidence>,
    /// The exact command that fixes it (appcmd.exe, icacls or reg).
    pub fix: String,
    /// The same fix as data, one change per step, when it can be applied unattended (what
    /// `iis-sweep fixes` turns into PowerShell). Empty: the fix needs a person (a password, a
    /// choice between alternatives, an edit of a file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<fix::FixStep>,
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_evidence: Option<LogEvidence>,
    /// Stable across sweeps: hash of rule, host, site, path and the rule's own key.
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waived: Option<WaiverInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// How far the finding can be trusted given what was seen: `certain`, or
    /// `unless overridden in <file>` when a web.config that was not seen may set the section.
    #[serde(default = "certain")]
    pub confidence: String,
}

/// The confidence of a finding that rests on nothing unseen.
pub const CERTAIN: &str = "certain";

fn certain() -> String {
    CERTAIN.to_string()
}

/// What one host's result rests on: each kind of fact and whether it was evaluated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Coverage {
    /// Whether any rule could judge the host. `false` is "not evaluated", never "clean".
    pub evaluated: bool,
    /// One entry per kind of fact, in a fixed order.
    pub parts: Vec<CoveragePart>,
    /// Sections a site delegates to a web.config file that was not seen: findings on them
    /// hold "unless overridden in <file>".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_seen: Vec<NotSeen>,
}

/// One kind of fact and how much of it was evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoveragePart {
    /// `applicationHost.config`, `web.config files`, `folder ACLs`, `account SIDs`,
    /// `registry values`, `IIS logs` or `Security log`.
    pub part: String,
    pub state: CoverageState,
    /// What was seen, or what was missing and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How much of a kind of fact was evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CoverageState {
    /// Collected and read in full.
    Evaluated,
    /// Collected, but some of it could not be read.
    Partial,
    /// Not collected (or not given): rules that need it were not evaluated.
    NotCollected,
}

impl CoverageState {
    pub fn as_str(self) -> &'static str {
        match self {
            CoverageState::Evaluated => "evaluated",
            CoverageState::Partial => "partial",
            CoverageState::NotCollected => "not collected",
        }
    }
}

/// A web.config file a site delegates sections to, which was not seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotSeen {
    pub site: String,
    /// The application's URL path.
    pub url_path: String,
    /// Where the file would be (Windows path).
    pub file: String,
    /// Why it was not seen.
    pub reason: String,
    /// Sections the rules read that this file may set (not locked at the site).
    pub sections: Vec<String>,
}

/// How a host ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum HostStatus {
    /// Collected and evaluated.
    Ok,
    /// Evaluated, but some facts were missing or some files were unreadable.
    Partial,
    /// The input could not be read (bad snapshot file, wrong schema).
    Error,
    /// No connection could be made (refused, no route, name not found).
    Unreachable,
    /// The TLS handshake failed: untrusted certificate, wrong name, pin mismatch.
    TlsError,
    /// The host rejected these credentials (and only that).
    AuthFailed,
    /// Kerberos could not start: no ticket, no service principal for the host, the KDC out of
    /// reach, clocks too far apart. The reason says which and what to do.
    KerberosError,
    Timeout,
    Quota,
    CollectorError,
    /// The host (or something in front of it) answered, but not in WS-Management: an HTML
    /// page, a redirect, an empty HTTP 500, a request budget exhausted.
    ProtocolError,
    /// The connection broke in the middle of an exchange.
    ConnectionLost,
    /// Reached and read, but nothing in it could be judged (no applicationHost.config was
    /// collected): never "clean".
    NotEvaluated,
    /// Not contacted, on purpose (e.g. its credential was already rejected by other hosts).
    Skipped,
    /// The sweep was interrupted before this host finished.
    Interrupted,
}

impl HostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Ok => "ok",
            HostStatus::Partial => "partial",
            HostStatus::Error => "error",
            HostStatus::Unreachable => "unreachable",
            HostStatus::TlsError => "tls-error",
            HostStatus::AuthFailed => "auth-failed",
            HostStatus::KerberosError => "kerberos-error",
            HostStatus::Timeout => "timeout",
            HostStatus::Quota => "quota",
            HostStatus::CollectorError => "collector-error",
            HostStatus::ProtocolError => "protocol-error",
            HostStatus::ConnectionLost => "connection-lost",
            HostStatus::NotEvaluated => "not-evaluated",
            HostStatus::Skipped => "skipped",
            HostStatus::Interrupted => "interrupted",
        }
    }

    /// The host's facts were evaluated by the rules.
    pub fn evaluated(self) -> bool {
        matches!(self, HostStatus::Ok | HostStatus::Partial)
    }
}

/// A rule that could not run on a host, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NotEvaluated {
    pub rule: String,
    pub reason: String,
}

/// Per-phase durations, milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collect_ms: Option<u64>,
    pub analyze_ms: u64,
}

/// One host of the sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostResult {
    pub name: String,
    pub status: HostStatus,
    /// Why the status is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Snapshot file or network address the facts came from.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iis_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
    pub timings: Timings,
    pub sites: u32,
    pub applications: u32,
    pub findings: u32,
    /// Codes of the rules that ran on this host.
    pub rules_evaluated: Vec<String>,
    /// Rules that could not run, with the missing facts.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Problems reading this host's facts (file errors, collection errors).
    pub problems: Vec<String>,
    /// What was evaluated and what was not.
    #[serde(default)]
    pub coverage: Coverage,
    /// 401 responses in the logs by site: `"<site id>": {"401.3/5": n, …}` (challenge legs
    /// excluded).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_401: BTreeMap<String, BTreeMap<String, u64>>,
    /// The names of the sites in `log_401`: `"<site id>": "<site name>"` (people know sites by
    /// name; the logs know them by id).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_401_sites: BTreeMap<String, String>,
}

impl HostResult {
    /// Evaluated with every kind of fact read in full and nothing delegated to an unseen file.
    pub fn fully_covered(&self) -> bool {
        self.status == HostStatus::Ok
            && self.coverage.evaluated
            && self.coverage.not_seen.is_empty()
            && self
                .coverage
                .parts
                .iter()
                .all(|p| p.state == CoverageState::Evaluated)
    }

    /// Clean: fully covered and no open finding — the only result that may be called clean.
    pub fn clean(&self) -> bool {
        self.fully_covered() && self.findings == 0
    }

    /// The rules judged it, but part of its facts were missing or unseen.
    pub fn partly_evaluated(&self) -> bool {
        self.status.evaluated() && !self.fully_covered()
    }
}

/// A rule as listed in the report's appendix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleInfo {
    pub code: String,
    pub name: String,
    pub title: String,
    pub substatus: Vec<Substatus>,
    pub severity: Severity,
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
    pub references: Vec<String>,
    /// NIST SP 800-53 Rev. 5 controls (iis-sweep's mapping, `rules::compliance`).
    #[serde(default)]
    pub nist: Vec<String>,
}
