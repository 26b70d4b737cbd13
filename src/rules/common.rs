//! Helpers shared by rule families: the authentication state at a path, the identities that
//! read content, evidence from configuration values.

use crate::acl::{self, AppIdentityInputs, LogonMethod, PoolIdentityType, PoolLogonType};
use crate::iis::{sections, Effective, Origin, Value};
use crate::report::model::EvidenceKind;

use super::{FindingDraft, HostContext};

/// The authentication methods IIS can use at one path.
pub const METHODS: [(&str, &str); 6] = [
    (
        sections::ANONYMOUS_AUTHENTICATION,
        "anonymousAuthentication",
    ),
    (sections::BASIC_AUTHENTICATION, "basicAuthentication"),
    (sections::WINDOWS_AUTHENTICATION, "windowsAuthentication"),
    (sections::DIGEST_AUTHENTICATION, "digestAuthentication"),
    (
        sections::CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
        "clientCertificateMappingAuthentication",
    ),
    (
        sections::IIS_CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
        "iisClientCertificateMappingAuthentication",
    ),
];

/// One site path to evaluate, with its application and physical folder.
#[derive(Debug, Clone)]
pub struct SitePath {
    pub site: String,
    pub url_path: String,
    pub application: Option<String>,
    pub pool: Option<String>,
    pub physical_path: Option<String>,
    pub connect_as: Option<String>,
}

impl<'a> HostContext<'a> {
    /// Every (site, path) worth evaluating, shallow paths first.
    pub fn site_paths(&self) -> Vec<SitePath> {
        let mut out = Vec::new();
        for site in self.config.sites() {
            for p in self.config.paths_to_evaluate(&site.name) {
                let r = self.config.resolve_path(&site.name, &p);
                out.push(SitePath {
                    site: site.name.clone(),
                    url_path: p,
                    application: r.as_ref().and_then(|r| r.application.clone()),
                    pool: r.as_ref().and_then(|r| r.application_pool.clone()),
                    physical_path: r.as_ref().and_then(|r| r.physical_path.clone()),
                    connect_as: r.and_then(|r| r.connect_as),
                });
            }
        }
        out
    }

    /// Effective section at a site path.
    pub fn section(&self, p: &SitePath, section: &str) -> Effective {
        self.config.effective(&p.site, &p.url_path, section)
    }

    /// Whether an authentication section is enabled at a path, with the value that decides it.
    pub fn method_enabled(&self, p: &SitePath, section: &str) -> (bool, Option<Value>) {
        let e = self.section(p, section);
        let v = e.attribute("enabled").cloned();
        (v.as_ref().and_then(|v| v.as_bool()).unwrap_or(false), v)
    }

    /// The settings that decide who reads the content at a path (for the ACL engine).
    pub fn identity_inputs(&self, p: &SitePath) -> AppIdentityInputs {
        let anon = self.section(p, sections::ANONYMOUS_AUTHENTICATION);
        let basic = self.section(p, sections::BASIC_AUTHENTICATION);
        let anonymous_user = anon
            .attribute("userName")
            .filter(|v| !v.origin.is_schema_default())
            .map(|v| v.value.to_string());
        let pool = p.pool.as_deref().and_then(|n| self.config.pool(n));
        AppIdentityInputs {
            anonymous_enabled: anon.bool("enabled").unwrap_or(true),
            anonymous_user,
            anonymous_logon: logon_method(anon.value("logonMethod")),
            pool_name: p.pool.clone().unwrap_or_default(),
            pool_identity: pool
                .map(|pl| pool_identity_type(pl.identity_type.as_str()))
                .unwrap_or(PoolIdentityType::ApplicationPoolIdentity),
            pool_user: pool
                .and_then(|pl| pl.user_name.as_ref())
                .map(|v| v.value.to_string())
                .filter(|s| !s.is_empty()),
            pool_logon_type: pool
                .and_then(|pl| pl.logon_type.as_str().parse().ok())
                .unwrap_or(PoolLogonType::Batch),
            manual_group_membership: pool
                .and_then(|pl| pl.manual_group_membership.as_bool())
                .unwrap_or(false),
            windows_auth: self.method_enabled(p, sections::WINDOWS_AUTHENTICATION).0,
            basic_auth: basic.bool("enabled").unwrap_or(false),
            basic_logon: logon_method(basic.value("logonMethod")),
            digest_auth: self.method_enabled(p, sections::DIGEST_AUTHENTICATION).0,
            connect_as: p.connect_as.clone(),
            connect_as_logon: LogonMethod::ClearText,
        }
    }

    /// The parsed security descriptor of a folder, or why there is none.
    pub fn folder_sd(&self, path: &str) -> Result<acl::SecurityDescriptor, String> {
        let fact = self
            .snapshot
            .acl_at(path)
            .ok_or_else(|| format!("no ACL collected for {path}"))?;
        if let Some(e) = &fact.error {
            return Err(format!("ACL of {path} could not be read: {e}"));
        }
        let sddl = fact
            .sddl
            .as_deref()
            .ok_or_else(|| format!("no SDDL collected for {path}"))?;
        acl::parse(sddl).map_err(|e| format!("ACL of {path}: {e}"))
    }
}

fn logon_method(v: Option<&str>) -> LogonMethod {
    v.and_then(|s| s.parse().ok())
        .unwrap_or(LogonMethod::ClearText)
}

fn pool_identity_type(v: &str) -> PoolIdentityType {
    v.parse()
        .unwrap_or(PoolIdentityType::ApplicationPoolIdentity)
}

/// Adds a configuration value as evidence: the file and line that set it, or the schema default.
pub fn value_evidence(
    d: FindingDraft,
    element: &str,
    attr: &str,
    v: Option<&Value>,
) -> FindingDraft {
    match v {
        Some(Value {
            value,
            origin: Origin::File { path, line },
        }) => d.config_line(path, *line, format!("<{element} {attr}=\"{value}\" />")),
        Some(v) => d.fact(
            EvidenceKind::Default,
            None,
            format!("{element} {attr}=\"{}\" ({})", v.value, v.origin),
        ),
        None => d.fact(
            EvidenceKind::Default,
            None,
            format!("{element} {attr} is not set anywhere"),
        ),
    }
}

/// `Site/app/path` as appcmd names a config path.
pub fn appcmd_path(site: &str, url_path: &str) -> String {
    let p = url_path.trim_end_matches('/');
    if p.is_empty() {
        site.to_string()
    } else {
        format!("{site}{p}")
    }
}

/// Whether `child` lies at or below `parent` (URL paths, case-insensitive).
pub fn url_within(child: &str, parent: &str) -> bool {
    let c = child.trim_end_matches('/').to_lowercase();
    let p = parent.trim_end_matches('/').to_lowercase();
    p.is_empty() || c == p || c.starts_with(&format!("{p}/"))
}
