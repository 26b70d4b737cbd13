//! What the sweep connects to: one [`Target`] per host with every connection setting resolved,
//! and [`credential_groups`], the targets that can share one WinRM client. Inventories produce
//! targets, the collector consumes them; neither knows the other.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::credentials::CredentialRef;

/// The WinRM default port for HTTP.
pub const HTTP_PORT: u16 = 5985;
/// The WinRM default port for HTTPS.
pub const HTTPS_PORT: u16 = 5986;
/// winrm-rs's default TCP connect timeout.
pub const DEFAULT_CONNECT_SECS: u64 = 30;
/// winrm-rs's default WS-Management `OperationTimeout`; Windows caps it at `MaxTimeoutms`
/// (60,000 ms unless an administrator raised it).
pub const DEFAULT_OPERATION_SECS: u64 = 60;

/// The longest timeout of any kind accepted (a day): larger values are mistakes (milliseconds
/// given as seconds) and would overflow deadline arithmetic.
pub const MAX_TIMEOUT_SECS: u64 = 86_400;

/// HTTP or HTTPS.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    /// The default: WinRM over HTTPS on 5986.
    #[default]
    Https,
}

impl Scheme {
    /// 5985 for HTTP, 5986 for HTTPS.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => HTTP_PORT,
            Scheme::Https => HTTPS_PORT,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "http" => Ok(Scheme::Http),
            "https" => Ok(Scheme::Https),
            other => Err(format!("unknown scheme {other:?} (expected http or https)")),
        }
    }
}

/// How the sweep authenticates. CredSSP is not offered: winrm-rs needs OpenSSL for it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// The default: NTLMv2, messages sealed over HTTP (works with Windows' default
    /// `AllowUnencrypted=false`).
    #[default]
    Ntlm,
    /// Kerberos from the existing credential cache; needs the `kerberos` cargo feature.
    Kerberos,
    /// HTTP Basic (local accounts only). Over HTTP only with `allow_unencrypted_basic`.
    Basic,
    /// TLS client certificate (HTTPS only), mapped to a local account on the host.
    Certificate,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::Ntlm => "ntlm",
            AuthMethod::Kerberos => "kerberos",
            AuthMethod::Basic => "basic",
            AuthMethod::Certificate => "certificate",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuthMethod {
    type Err = String;
    /// Accepts our names and Ansible's `ansible_winrm_transport` names (`plaintext` and `ssl`
    /// are pywinrm's names for Basic over HTTP and HTTPS).
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ntlm" | "negotiate" => Ok(AuthMethod::Ntlm),
            "kerberos" => Ok(AuthMethod::Kerberos),
            "basic" | "plaintext" | "ssl" => Ok(AuthMethod::Basic),
            "certificate" => Ok(AuthMethod::Certificate),
            "credssp" => Err("credssp is not supported (winrm-rs needs OpenSSL for it); \
                 use ntlm, kerberos or certificate"
                .into()),
            other => Err(format!(
                "unknown WinRM transport {other:?} (expected ntlm, kerberos, basic or certificate)"
            )),
        }
    }
}

/// Server certificate checks (HTTPS only; plain HTTP targets always carry the default).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TlsSettings {
    /// Verify the server certificate (default). `false` is reported as `tls_verified: false`.
    pub verify: bool,
    /// PEM file of extra trusted roots (an internal CA).
    pub ca_file: Option<PathBuf>,
    /// SHA-256 of the server certificate (DER), 64 lower-case hex digits.
    pub pin_sha256: Option<String>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            verify: true,
            ca_file: None,
            pin_sha256: None,
        }
    }
}

/// Time limits, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Timeouts {
    /// TCP connect (and TLS handshake) timeout.
    pub connect_secs: u64,
    /// WS-Management `OperationTimeout`: how long the host may hold one request.
    pub operation_secs: u64,
    /// Deadline for the whole host; `None` means the sweep's own default.
    pub host_timeout_secs: Option<u64>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_secs: DEFAULT_CONNECT_SECS,
            operation_secs: DEFAULT_OPERATION_SECS,
            host_timeout_secs: None,
        }
    }
}

/// One host to sweep, with every setting resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Inventory name (Ansible's `inventory_hostname`); unique within an inventory.
    pub name: String,
    /// Host name or IP address to connect to (defaults to `name`).
    pub address: String,
    pub port: u16,
    pub scheme: Scheme,
    pub auth: AuthMethod,
    pub tls: TlsSettings,
    /// How the collector script reaches the host.
    pub delivery: Delivery,
    pub timeouts: Timeouts,
    /// Where the credentials come from (never the secret itself).
    pub credential: CredentialRef,
    /// Every group the host belongs to, directly or through a parent group (`all` left out,
    /// `ungrouped` included), sorted.
    pub groups: Vec<String>,
    /// Consent to HTTP Basic over plain HTTP (password and traffic in clear text). Only ever
    /// `true` on a Basic-over-HTTP target.
    pub allow_unencrypted_basic: bool,
}

impl Target {
    /// `scheme://address:port/wsman`, IPv6 addresses in brackets.
    pub fn endpoint(&self) -> String {
        format!("{}://{}:{}/wsman", self.scheme, self.url_host(), self.port)
    }

    /// The host as the endpoint URL (and winrm-rs) takes it: IPv6 addresses in brackets.
    pub fn url_host(&self) -> String {
        if self.address.contains(':') && !self.address.starts_with('[') {
            format!("[{}]", self.address)
        } else {
            self.address.clone()
        }
    }

    /// The part of the target that configures a WinRM client (see [`credential_groups`]).
    pub fn client_key(&self) -> ClientKey {
        ClientKey {
            credential: self.credential.clone(),
            auth: self.auth,
            scheme: self.scheme,
            port: self.port,
            tls: self.tls.clone(),
            allow_unencrypted_basic: self.allow_unencrypted_basic,
            connect_secs: self.timeouts.connect_secs,
            operation_secs: self.timeouts.operation_secs,
        }
    }
}

/// Everything a winrm-rs `WinrmClient` is configured with. winrm-rs 2.x takes the host per
/// call but keeps port, TLS trust, pins and timeouts in the client's `WinrmConfig`, so those
/// belong to the key as well as the credentials, auth method and scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ClientKey {
    pub credential: CredentialRef,
    pub auth: AuthMethod,
    pub scheme: Scheme,
    pub port: u16,
    pub tls: TlsSettings,
    pub allow_unencrypted_basic: bool,
    pub connect_secs: u64,
    pub operation_secs: u64,
}

/// Targets that one WinRM client can serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialGroup<'a> {
    pub key: ClientKey,
    /// In inventory order.
    pub targets: Vec<&'a Target>,
}

/// Groups `targets` by [`ClientKey`]: the sweep builds one WinRM client per group (and per 32
/// hosts in flight). Groups come in the order of their first target.
pub fn credential_groups(targets: &[Target]) -> Vec<CredentialGroup<'_>> {
    let mut index: std::collections::HashMap<ClientKey, usize> = Default::default();
    let mut groups: Vec<CredentialGroup<'_>> = Vec::new();
    for t in targets {
        let key = t.client_key();
        match index.get(&key) {
            Some(&i) => groups[i].targets.push(t),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push(CredentialGroup {
                    key,
                    targets: vec![t],
                });
            }
        }
    }
    groups
}

/// How the script is delivered to one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// Bootstrap via `-EncodedCommand`, script on stdin.
    #[default]
    Stdin,
    /// Gzip + base64 chunks appended to a temp file, then run (see `collect::delivery`).
    Staged,
}
