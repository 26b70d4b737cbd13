//! The raw facts of one host, as the collector gathers them (`iis-sweep/snapshot/1`).
//!
//! A snapshot decides nothing: it carries file texts, SDDL strings, SIDs, registry values and
//! log counts. Interpretation lives in [`crate::iis`], [`crate::acl`] and [`crate::rules`].
//! The contract is documented in `docs/snapshot.md`; its JSON Schema is `docs/snapshot.schema.json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The schema tag every snapshot carries.
pub const SNAPSHOT_SCHEMA: &str = "iis-sweep/snapshot/1";

/// One host's raw facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Snapshot {
    /// Always `iis-sweep/snapshot/1`.
    pub schema: String,
    /// Who the host is.
    pub host: HostFacts,
    /// Which kinds of facts the collector gathered. A rule that needs a kind that was not
    /// gathered is reported as "not evaluated" for this host instead of guessing.
    #[serde(default)]
    pub collected: Collected,
    /// Configuration files: applicationHost.config, the framework root web.config and every
    /// web.config found under the sites' content folders.
    #[serde(default)]
    pub files: Vec<ConfigFile>,
    /// Security descriptors of content folders (and folders holding a web.config).
    #[serde(default)]
    pub acls: Vec<AclFact>,
    /// Accounts the rules need, resolved to SIDs with their token groups.
    #[serde(default)]
    pub accounts: Vec<AccountFact>,
    /// Registry values the rules need. A value that was looked up and is absent has `data: null`.
    #[serde(default)]
    pub registry: Vec<RegistryFact>,
    /// Summary of recent 401 responses in the W3C logs.
    #[serde(default)]
    pub logs: Option<LogSummary>,
    /// Failed logons from the Security event log (event 4625), as the collector found them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityLog>,
    /// What the collector could not gather, and why.
    #[serde(default)]
    pub errors: Vec<CollectionError>,
}

/// Identity and platform of the host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HostFacts {
    /// The name the host is known by in the inventory or reports (usually the NetBIOS name).
    pub name: String,
    /// The computer's NetBIOS name (`$env:COMPUTERNAME`).
    #[serde(default)]
    pub computer_name: Option<String>,
    /// Fully qualified DNS name.
    #[serde(default)]
    pub fqdn: Option<String>,
    /// Whether the computer is joined to an Active Directory domain.
    #[serde(default)]
    pub part_of_domain: Option<bool>,
    /// The domain (or workgroup) name.
    #[serde(default)]
    pub domain: Option<String>,
    /// Operating system caption and version.
    #[serde(default)]
    pub os: Option<String>,
    /// IIS version, e.g. `10.0`.
    #[serde(default)]
    pub iis_version: Option<String>,
    /// Version of the collector script that produced this snapshot.
    #[serde(default)]
    pub collector_version: Option<String>,
    /// When the facts were collected (RFC 3339, UTC).
    #[serde(default)]
    pub collected_at: Option<String>,
    /// Environment variables used to expand paths in configuration
    /// (`SystemDrive`, `SystemRoot`, `windir`, …).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// Which kinds of facts a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Collected {
    /// Configuration files were read.
    #[serde(default)]
    pub config: bool,
    /// The sites' web.config files were looked for (with `config`). `false` when only an
    /// applicationHost.config was given: what the sites delegate to web.config files is unseen.
    #[serde(default = "looked_for")]
    pub web_configs: bool,
    /// Folder ACLs were read.
    #[serde(default)]
    pub acls: bool,
    /// Accounts were resolved to SIDs.
    #[serde(default)]
    pub accounts: bool,
    /// Registry values were read.
    #[serde(default)]
    pub registry: bool,
    /// W3C logs were summarised.
    #[serde(default)]
    pub logs: bool,
    /// The Security event log was read for failed logons.
    #[serde(default)]
    pub security_log: bool,
}

fn looked_for() -> bool {
    true
}

impl Default for Collected {
    /// Nothing collected; web.config files count as looked for whenever configuration is.
    fn default() -> Self {
        Collected {
            config: false,
            web_configs: true,
            acls: false,
            accounts: false,
            registry: false,
            logs: false,
            security_log: false,
        }
    }
}

/// What a configuration file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FileRole {
    /// `%windir%\System32\inetsrv\config\applicationHost.config`.
    ApplicationHost,
    /// The .NET Framework `machine.config`.
    MachineConfig,
    /// The .NET Framework root `web.config`.
    RootWebConfig,
    /// A `web.config` in a content folder.
    WebConfig,
    /// `administration.config`, `redirection.config` or another file kept for reference.
    Other,
}

/// One configuration file as read from disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigFile {
    /// Windows path of the file, e.g. `C:\inetpub\wwwroot\web.config`.
    pub path: String,
    /// What the file is.
    pub role: FileRole,
    /// The file text (decoded to UTF-8 by the collector). Absent when it could not be read.
    #[serde(default)]
    pub text: Option<String>,
    /// Why the file could not be read.
    #[serde(default)]
    pub error: Option<String>,
    /// The text was cut at the collector's size bound.
    #[serde(default)]
    pub truncated: bool,
}

/// The security descriptor of one folder or file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AclFact {
    /// Windows path.
    pub path: String,
    /// Owner as reported by the host (`DOMAIN\name` or a SID).
    #[serde(default)]
    pub owner: Option<String>,
    /// The security descriptor in SDDL (`(Get-Acl path).Sddl`).
    #[serde(default)]
    pub sddl: Option<String>,
    /// Why the descriptor could not be read.
    #[serde(default)]
    pub error: Option<String>,
}

/// An account name resolved on the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountFact {
    /// The name as it appears in configuration (`IUSR`, `CONTOSO\svc-web`, `IIS APPPOOL\Shop`).
    pub name: String,
    /// Its SID, when it resolved.
    #[serde(default)]
    pub sid: Option<String>,
    /// SIDs of the groups it belongs to (token groups), when known.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Whether the account is enabled, when known.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Why it could not be resolved.
    #[serde(default)]
    pub error: Option<String>,
}

/// A registry value that was looked up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegistryFact {
    /// Full key path, e.g. `HKLM\SYSTEM\CurrentControlSet\Control\Lsa`.
    pub key: String,
    /// Value name, e.g. `DisableLoopbackCheck`.
    pub name: String,
    /// Registry type (`REG_DWORD`, `REG_MULTI_SZ`, …); absent when the value does not exist.
    #[serde(default)]
    pub kind: Option<String>,
    /// The value; `null` when it does not exist.
    #[serde(default)]
    pub data: Option<RegistryData>,
}

/// The data of a registry value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RegistryData {
    /// REG_DWORD / REG_QWORD.
    Number(u64),
    /// REG_SZ / REG_EXPAND_SZ.
    Text(String),
    /// REG_MULTI_SZ.
    Lines(Vec<String>),
}

/// Failed logons (event 4625) from the Security log, newest first, as raw event data: the
/// collector copies each event's `<EventData>` fields and leaves the meaning to the scanner.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityLog {
    /// How many days back the collector looked.
    #[serde(default)]
    pub days: u32,
    /// The events, at most the collector's cap.
    #[serde(default)]
    pub events: Vec<SecurityEvent>,
    /// More events matched than were shipped.
    #[serde(default)]
    pub truncated: bool,
}

/// One Security log event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SecurityEvent {
    /// The event id (4625: an account failed to log on).
    pub id: u32,
    /// `TimeCreated` (RFC 3339).
    #[serde(default)]
    pub time: Option<String>,
    /// `<EventData>` fields by name (`TargetUserName`, `Status`, `SubStatus`, `LogonType`,
    /// `ProcessName`, `IpAddress`, …).
    #[serde(default)]
    pub data: std::collections::BTreeMap<String, String>,
}

/// Summary of 401 responses in recent W3C logs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogSummary {
    /// One entry per site log folder (`W3SVC<id>`).
    #[serde(default)]
    pub sites: Vec<SiteLogSummary>,
}

/// 401 counts for one site.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SiteLogSummary {
    /// The IIS site id (`W3SVC<id>`).
    pub site_id: u64,
    /// Counts by status, substatus and win32 status.
    #[serde(default)]
    pub counts: Vec<StatusCount>,
    /// Earliest log line considered (RFC 3339).
    #[serde(default)]
    pub first: Option<String>,
    /// Latest log line considered (RFC 3339).
    #[serde(default)]
    pub last: Option<String>,
    /// Bytes of log read.
    #[serde(default)]
    pub bytes_scanned: u64,
    /// Files read.
    #[serde(default)]
    pub files_scanned: u32,
    /// The byte bound was hit: older lines were not read.
    #[serde(default)]
    pub truncated: bool,
    /// The raw lines the collector shipped, per file (newest first): directives, the first and
    /// last data line, and every line that may be a 401. The scanner's log reader parses them
    /// and fills `counts`, `first` and `last` (a snapshot itself decides nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub raw: Vec<RawLogFile>,
}

/// Lines of one log file, as the collector shipped them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RawLogFile {
    /// The file name, e.g. `u_ex230101.log`.
    pub name: String,
    /// The lines, in file order.
    #[serde(default)]
    pub lines: Vec<String>,
    /// The file was read from its tail, or the line bound was hit.
    #[serde(default)]
    pub truncated: bool,
}

/// How often one status triple was logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusCount {
    /// `sc-status`, e.g. 401.
    pub status: u16,
    /// `sc-substatus`, e.g. 3.
    pub substatus: u32,
    /// `sc-win32-status`, e.g. 5.
    pub win32: u64,
    /// Number of lines.
    pub count: u64,
}

/// Something the collector could not gather.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CollectionError {
    /// What it was doing (`acl`, `file`, `registry`, `accounts`, `logs`, `limit`, …).
    pub stage: String,
    /// The path, key or name concerned.
    #[serde(default)]
    pub target: Option<String>,
    /// The message.
    pub message: String,
}

impl Snapshot {
    /// An empty snapshot for `host` with the current schema tag.
    pub fn new(host: impl Into<String>) -> Self {
        Snapshot {
            schema: SNAPSHOT_SCHEMA.to_string(),
            host: HostFacts {
                name: host.into(),
                ..HostFacts::default()
            },
            ..Snapshot::default()
        }
    }

    /// The first file with the given role.
    pub fn file(&self, role: FileRole) -> Option<&ConfigFile> {
        self.files.iter().find(|f| f.role == role)
    }

    /// The file at `path` (Windows paths compare case-insensitively).
    pub fn file_at(&self, path: &str) -> Option<&ConfigFile> {
        self.files.iter().find(|f| windows_path_eq(&f.path, path))
    }

    /// The ACL fact for `path`.
    pub fn acl_at(&self, path: &str) -> Option<&AclFact> {
        self.acls.iter().find(|a| windows_path_eq(&a.path, path))
    }

    /// A registry value; `None` when it was not looked up.
    pub fn registry_value(&self, key: &str, name: &str) -> Option<&RegistryFact> {
        self.registry
            .iter()
            .find(|r| r.key.eq_ignore_ascii_case(key) && r.name.eq_ignore_ascii_case(name))
    }

    /// The account fact for a name (case-insensitive).
    pub fn account(&self, name: &str) -> Option<&AccountFact> {
        self.accounts
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// Compares two Windows paths the way NTFS does for our purposes: case-insensitive, `/` and `\`
/// alike, trailing separators ignored.
pub fn windows_path_eq(a: &str, b: &str) -> bool {
    // Called for every ACL lookup: compare in place when both are ASCII (the usual case).
    if a.is_ascii() && b.is_ascii() {
        let (a, b) = (trim_separators(a.as_bytes()), trim_separators(b.as_bytes()));
        let fold = |c: u8| {
            if c == b'/' {
                b'\\'
            } else {
                c.to_ascii_lowercase()
            }
        };
        return a.len() == b.len() && a.iter().zip(b).all(|(x, y)| fold(*x) == fold(*y));
    }
    normalize_windows_path(a) == normalize_windows_path(b)
}

/// Without trailing separators, as [`normalize_windows_path`] does (a drive root keeps its own).
fn trim_separators(mut p: &[u8]) -> &[u8] {
    while p.len() > 3 && matches!(p.last(), Some(b'\\' | b'/')) {
        p = &p[..p.len() - 1];
    }
    p
}

/// Lower-cased, backslash-separated, without a trailing separator.
pub fn normalize_windows_path(p: &str) -> String {
    let mut s: String = if p.is_ascii() {
        p.bytes()
            .map(|c| {
                if c == b'/' {
                    '\\'
                } else {
                    char::from(c.to_ascii_lowercase())
                }
            })
            .collect()
    } else {
        p.chars()
            .map(|c| if c == '/' { '\\' } else { c })
            .collect::<String>()
            .to_lowercase()
    };
    while s.len() > 3 && s.ends_with('\\') {
        s.pop();
    }
    s
}
