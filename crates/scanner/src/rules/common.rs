//! Helpers shared by rule families: the authentication state at a path, the identities that
//! read content, evidence from configuration values.

use crate::acl::{self, AppIdentityInputs, LogonMethod, PoolIdentityType, PoolLogonType};
use crate::finding::fix::{Commit, FixStep};
use crate::finding::EvidenceKind;
use crate::iis::{
    precondition, sections, Effective, Item, ModuleState, Origin, PathHandle, PoolRuntime, Value,
};
use crate::snapshot::{windows_path_eq, FileRole};

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
    /// A web.config on the way to this path exists but is skipped (pool
    /// `enableConfigurationOverride=false` or vdir `allowSubDirConfig=false`).
    pub skips_web_config: bool,
    /// The path as the configuration engine resolved it, for [`HostContext::section`].
    pub handle: PathHandle,
}

impl<'a> HostContext<'a> {
    /// Every (site, path) worth evaluating, shallow paths first (computed once per host).
    pub fn site_paths(&self) -> &[SitePath] {
        self.site_paths.get_or_init(|| self.compute_site_paths())
    }

    /// A context whose rules look at one URL only: `why` asks what holds at exactly that path,
    /// with its most specific `<location>` applied, instead of what holds at its folders.
    /// Content ACLs are judged at the nearest collected folder of the URL (a page has none).
    pub fn focused(snapshot: &'a crate::snapshot::Snapshot, site: &str, url_path: &str) -> Self {
        let ctx = HostContext::new(snapshot);
        let mut paths = ctx.site_path_list(site, std::iter::once(url_path.to_string()));
        for p in &mut paths {
            if let Some(folder) = p.physical_path.take() {
                p.physical_path = Some(nearest_collected(snapshot, &folder));
            }
        }
        let _ = ctx.site_paths.set(paths);
        ctx
    }

    fn compute_site_paths(&self) -> Vec<SitePath> {
        let mut out = Vec::new();
        for site in self.config.sites() {
            out.extend(self.site_path_list(&site.name, self.config.paths_to_evaluate(&site.name)));
        }
        out
    }

    /// The site paths for `urls` of `site` (none when the site does not exist).
    pub fn site_path_list(
        &self,
        site: &str,
        urls: impl IntoIterator<Item = String>,
    ) -> Vec<SitePath> {
        let mut out = Vec::new();
        let Some(site) = self.config.site(site) else {
            return out;
        };
        for p in urls {
            let handle = self.config.path_handle(&site.name, &p);
            let r = self.config.resolve_handle(&handle);
            out.push(SitePath {
                site: site.name.clone(),
                url_path: p,
                application: r.as_ref().and_then(|r| r.application.clone()),
                pool: r.as_ref().and_then(|r| r.application_pool.clone()),
                physical_path: r.as_ref().and_then(|r| r.physical_path.clone()),
                skips_web_config: r.as_ref().is_some_and(|r| {
                    r.web_configs
                        .iter()
                        .any(|w| w.file.is_some() && w.ignored.is_some())
                }),
                connect_as: r.and_then(|r| r.connect_as),
                handle,
            });
        }
        out
    }

    /// Effective section at a site path.
    pub fn section(&self, p: &SitePath, section: &str) -> std::sync::Arc<Effective> {
        self.config.effective_on(&p.handle, section)
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

    /// The parsed security descriptor of a folder, or why there is none (parsed once per host:
    /// every ACL rule asks for the same folders).
    pub fn folder_sd(&self, path: &str) -> Result<acl::SecurityDescriptor, String> {
        let key = crate::snapshot::normalize_windows_path(path);
        if let Some(hit) = self
            .folder_sds
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return hit;
        }
        let answer = self.parse_folder_sd(path);
        if let Ok(mut m) = self.folder_sds.lock() {
            m.insert(key, answer.clone());
        }
        answer
    }

    fn parse_folder_sd(&self, path: &str) -> Result<acl::SecurityDescriptor, String> {
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

// ---------------------------------------------------------------------------------------------
// Helpers shared by the 401.x families (logon, server_config, filters, ip): the authentication
// methods with their modules and features, module usability, "already reported" bookkeeping,
// evidence from collection items and raw configuration lines, and the challenge fix.

/// `appcmd.exe` as every fix command names it.
pub(super) use crate::finding::fix::APPCMD;

/// The native module of IIS URL Authorization.
pub(super) const URL_AUTHORIZATION_MODULE: &str = "UrlAuthorizationModule";

/// One IIS authentication method: its section, the module that implements it and the Windows
/// feature that installs that module (NANO for module and DLL names).
pub(super) struct AuthMethod {
    pub section: &'static str,
    pub element: &'static str,
    pub label: &'static str,
    pub module: &'static str,
    pub image: &'static str,
    /// `Install-WindowsFeature` name; `None` for anonymous authentication (part of the core).
    pub feature: Option<&'static str>,
}

/// The six methods, in the order of [`METHODS`].
pub(super) static AUTH_METHODS: [AuthMethod; 6] = [
    AuthMethod {
        section: sections::ANONYMOUS_AUTHENTICATION,
        element: "anonymousAuthentication",
        label: "anonymous authentication",
        module: "AnonymousAuthenticationModule",
        image: r"%windir%\System32\inetsrv\authanon.dll",
        feature: None,
    },
    AuthMethod {
        section: sections::BASIC_AUTHENTICATION,
        element: "basicAuthentication",
        label: "basic authentication",
        module: "BasicAuthenticationModule",
        image: r"%windir%\System32\inetsrv\authbas.dll",
        feature: Some("Web-Basic-Auth"),
    },
    AuthMethod {
        section: sections::WINDOWS_AUTHENTICATION,
        element: "windowsAuthentication",
        label: "Windows authentication",
        module: "WindowsAuthenticationModule",
        image: r"%windir%\System32\inetsrv\authsspi.dll",
        feature: Some("Web-Windows-Auth"),
    },
    AuthMethod {
        section: sections::DIGEST_AUTHENTICATION,
        element: "digestAuthentication",
        label: "digest authentication",
        module: "DigestAuthenticationModule",
        image: r"%windir%\System32\inetsrv\authmd5.dll",
        feature: Some("Web-Digest-Auth"),
    },
    AuthMethod {
        section: sections::CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
        element: "clientCertificateMappingAuthentication",
        label: "AD client certificate mapping authentication",
        module: "CertificateMappingAuthenticationModule",
        image: r"%windir%\System32\inetsrv\authcert.dll",
        feature: Some("Web-Client-Auth"),
    },
    AuthMethod {
        section: sections::IIS_CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
        element: "iisClientCertificateMappingAuthentication",
        label: "IIS client certificate mapping authentication",
        module: "IISCertificateMappingAuthenticationModule",
        image: r"%windir%\System32\inetsrv\authmap.dll",
        feature: Some("Web-Cert-Auth"),
    },
];

/// The methods enabled at a path, with the value that enables each.
pub(super) fn enabled_methods(
    ctx: &HostContext,
    p: &SitePath,
) -> Vec<(&'static AuthMethod, Option<Value>)> {
    AUTH_METHODS
        .iter()
        .filter_map(|m| {
            let (on, v) = ctx.method_enabled(p, m.section);
            on.then_some((m, v))
        })
        .collect()
}

/// The `enabled` value of anonymous authentication when it is the only method enabled at a
/// path (nothing can challenge the client for credentials).
pub(super) fn only_anonymous(ctx: &HostContext, p: &SitePath) -> Option<Option<Value>> {
    let on = enabled_methods(ctx, p);
    match on.as_slice() {
        [(m, v)] if m.section == sections::ANONYMOUS_AUTHENTICATION => Some(v.clone()),
        _ => None,
    }
}

/// Whether a native module can run at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ModuleUse {
    Usable,
    /// Not in `globalModules`.
    NotInstalled,
    /// In `globalModules` but removed from the `modules` list at this path.
    NotEnabled,
    /// Installed and listed, but its `preCondition` keeps it out of the path's pool
    /// ([`module_precondition`] says which).
    NotLoaded,
}

/// Whether `module` can run at a path. A configuration without any `<modules>` list (partial
/// snapshots, minimal fixtures) says nothing about enablement: installed then counts as usable.
pub(super) fn module_use(ctx: &HostContext, p: &SitePath, module: &str) -> ModuleUse {
    let usable = if module_precondition(ctx, p, module).is_some() {
        ModuleUse::NotLoaded
    } else {
        ModuleUse::Usable
    };
    match ctx.config.module_state(&p.site, &p.url_path, module) {
        ModuleState::Enabled | ModuleState::Unknown => usable,
        ModuleState::NotInstalled => ModuleUse::NotInstalled,
        ModuleState::InstalledNotEnabled => {
            if ctx.section(p, sections::MODULES).collection().is_empty() {
                usable
            } else {
                ModuleUse::NotEnabled
            }
        }
    }
}

/// The path's pool as preconditions see it, with its name.
pub(super) fn pool_runtime(ctx: &HostContext, p: &SitePath) -> Option<(String, PoolRuntime)> {
    let name = p.pool.as_deref()?;
    let pool = ctx.config.pool(name)?;
    Some((pool.name.clone(), PoolRuntime::of(pool)))
}

/// Why `pre_condition` keeps an entry out of the path's pool:
/// `preCondition "bitness32" does not hold in pool Shop (64-bit, v4.0, Integrated)`.
/// `None` when it is loaded there (or the pool is unknown: never a guess that removes).
pub(super) fn excluded_by(ctx: &HostContext, p: &SitePath, pre_condition: &str) -> Option<String> {
    let (name, runtime) = pool_runtime(ctx, p)?;
    let failed = precondition::excludes(pre_condition, &runtime).err()?;
    Some(format!(
        "preCondition \"{pre_condition}\" ({failed}) does not hold in pool {name} ({})",
        runtime.describe()
    ))
}

/// Where a precondition keeps `module` out of the path's pool: on its `globalModules` entry
/// (native modules) or its `<modules>` entry.
pub(super) fn module_precondition(ctx: &HostContext, p: &SitePath, module: &str) -> Option<String> {
    let global = ctx
        .config
        .global_modules()
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(module))
        .and_then(|m| excluded_by(ctx, p, &m.pre_condition));
    global.or_else(|| {
        let modules = ctx.section(p, sections::MODULES);
        let entry = modules.collection().iter().find(|i| {
            i.value("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(module))
        })?;
        excluded_by(ctx, p, entry.value("preCondition").unwrap_or(""))
    })
}

/// "; loaded in pool Shop (64-bit, v4.0, Integrated) by its preCondition "bitness64"", or
/// nothing when the entry has no precondition.
pub(super) fn loaded_in(ctx: &HostContext, p: &SitePath, pre_condition: &str) -> String {
    match (pre_condition.trim(), pool_runtime(ctx, p)) {
        ("", _) | (_, None) => String::new(),
        (pre, Some((name, runtime))) => format!(
            "; its preCondition \"{pre}\" holds in pool {name} ({})",
            runtime.describe()
        ),
    }
}

/// Evidence that a module is installed: its `globalModules` entry.
pub(super) fn global_module_evidence(
    ctx: &HostContext,
    d: FindingDraft,
    module: &str,
) -> FindingDraft {
    match ctx
        .config
        .global_modules()
        .iter()
        .find(|m| m.name.eq_ignore_ascii_case(module))
    {
        Some(m) => {
            let text = format!("<add name=\"{}\" image=\"{}\" />", m.name, m.image);
            match &m.origin {
                Origin::File { path, line } => d.config_line(path, *line, text),
                o => d.fact(EvidenceKind::Default, None, format!("{text} ({o})")),
            }
        }
        None => {
            let gm = ctx.config.effective_server(sections::GLOBAL_MODULES);
            let text = format!("<globalModules> has no {module} (the module is not installed)");
            match gm.defined_at.first() {
                Some(Origin::File { path, line }) => d.config_line(path, *line, text),
                _ => d.fact(EvidenceKind::Config, None, text),
            }
        }
    }
}

/// `path`, or the nearest folder above it whose ACL the snapshot holds (`path` itself when
/// none does, so the rule says the ACL was not collected).
fn nearest_collected(snapshot: &crate::snapshot::Snapshot, path: &str) -> String {
    let mut p = path.trim_end_matches('\\');
    loop {
        if snapshot.acl_at(p).is_some() {
            return p.to_string();
        }
        match p.rfind('\\') {
            Some(i) if i > 2 => p = &p[..i],
            _ => return path.to_string(),
        }
    }
}

/// Paths already reported per site and key: a child path that merely inherits the cause is
/// not reported again.
/// Indexed by (lower-cased site, key), so a host with 100,000 sites does not compare every
/// path with every other.
#[derive(Debug, Default)]
pub(super) struct Reported(foldhash::HashMap<(String, String), Vec<String>>);

impl Reported {
    pub(super) fn covers(&self, site: &str, url_path: &str, key: &str) -> bool {
        self.0
            .get(&(site.to_lowercase(), key.to_string()))
            .is_some_and(|urls| urls.iter().any(|u| url_within(url_path, u)))
    }

    pub(super) fn add(&mut self, site: &str, url_path: &str, key: &str) {
        self.0
            .entry((site.to_lowercase(), key.to_string()))
            .or_default()
            .push(url_path.to_string());
    }
}

/// A draft located at a site path (site, application, URL path and folder).
pub(super) fn located(d: FindingDraft, p: &SitePath) -> FindingDraft {
    let d = d.at(&p.site, p.application.as_deref(), Some(&p.url_path));
    match &p.physical_path {
        Some(pp) => d.physical(pp),
        None => d,
    }
}

/// A collection entry as XML, with the attributes that were written (never a password).
pub(super) fn item_text(item: &Item) -> String {
    let attrs: Vec<String> = item
        .attributes
        .iter()
        .filter(|a| !a.value.origin.is_schema_default())
        .filter(|a| !a.name.to_ascii_lowercase().contains("password"))
        .map(|a| format!("{}=\"{}\"", a.name, a.value.value))
        .collect();
    if attrs.is_empty() {
        format!("<{} />", item.element)
    } else {
        format!("<{} {} />", item.element, attrs.join(" "))
    }
}

/// A collection entry as evidence, at its file and line.
pub(super) fn item_evidence(d: FindingDraft, item: &Item) -> FindingDraft {
    let text = item_text(item);
    match &item.origin {
        Origin::File { path, line } => d.config_line(path, *line, text),
        o => d.fact(EvidenceKind::Default, None, format!("{text} ({o})")),
    }
}

/// The text of the element `<name …>` that starts on the origin's line, as written (up to its
/// end tag, a few lines at most). `None` when the file text is not at hand or the element
/// could carry a secret.
pub(super) fn source_text(ctx: &HostContext, origin: &Origin, name: &str) -> Option<String> {
    let Origin::File { path, line } = origin else {
        return None;
    };
    let text = ctx
        .snapshot
        .files
        .iter()
        .find(|f| windows_path_eq(&f.path, path))?
        .text
        .as_deref()?;
    let lines: Vec<&str> = text
        .lines()
        .skip((*line as usize).checked_sub(1)?)
        .take(8)
        .collect();
    let first = lines.first()?;
    let open = format!("<{name}");
    let start = first.find(&open)?;
    let mut out = String::new();
    let close = format!("</{name}>");
    for (i, l) in lines.iter().enumerate() {
        let part = if i == 0 { &first[start..] } else { l.trim() };
        if !out.is_empty() {
            out.push(' ');
        }
        if i == 0 {
            // Self-closing on its first line.
            if let Some(gt) = part.find('>') {
                if part[..gt].ends_with('/') {
                    out.push_str(&part[..=gt]);
                    break;
                }
            }
        }
        if let Some(end) = part.find(&close) {
            out.push_str(&part[..end + close.len()]);
            break;
        }
        out.push_str(part.trim_end());
        if i + 1 == lines.len() {
            out.push_str(" …");
        }
    }
    let lower = out.to_ascii_lowercase();
    if lower.contains("password") || lower.contains("connectionstring") {
        return None;
    }
    if out.chars().count() > 400 {
        out = out.chars().take(400).collect::<String>() + " …";
    }
    Some(out)
}

/// Evidence for every place a section element was set, as written there.
pub(super) fn defined_at_evidence(
    ctx: &HostContext,
    mut d: FindingDraft,
    origins: &[Origin],
    name: &str,
) -> FindingDraft {
    for o in origins {
        if let Origin::File { path, line } = o {
            let text = source_text(ctx, o, name).unwrap_or_else(|| format!("<{name}> set here"));
            d = d.config_line(path, *line, text);
        }
    }
    d
}

/// ` /commit:apphost` when the setting lives in applicationHost.config (or nowhere yet), empty
/// when appcmd must write the web.config that holds it.
pub(super) fn commit_for(ctx: &HostContext, origin: Option<&Origin>) -> &'static str {
    match origin.and_then(|o| o.path()) {
        Some(path)
            if ctx
                .snapshot
                .files
                .iter()
                .any(|f| windows_path_eq(&f.path, path) && f.role == FileRole::WebConfig) =>
        {
            ""
        }
        _ => " /commit:apphost",
    }
}

/// The steps that give a path a way to challenge for credentials: Windows authentication,
/// installed first when its module is missing.
pub(super) fn challenge_steps(ctx: &HostContext, p: &SitePath) -> Vec<FixStep> {
    let enable = set_at(p, sections::WINDOWS_AUTHENTICATION, "enabled", "True");
    match module_use(ctx, p, "WindowsAuthenticationModule") {
        ModuleUse::NotInstalled => vec![feature("Web-Windows-Auth"), enable],
        _ => vec![enable],
    }
}

/// Sets an attribute of a section at a site path, in applicationHost.config.
pub(super) fn set_at(p: &SitePath, section: &str, attribute: &str, value: &str) -> FixStep {
    FixStep::SetConfig {
        location: Some(appcmd_path(&p.site, &p.url_path)),
        section: section.to_string(),
        attribute: attribute.to_string(),
        value: value.to_string(),
        commit: Commit::Apphost,
    }
}

/// Installs a Windows feature.
pub(super) fn feature(name: &str) -> FixStep {
    FixStep::InstallFeature {
        name: name.to_string(),
    }
}

/// `a/b` display of a site path for messages (`Intranet`, `Intranet/hr`).
pub(super) fn display_path(p: &SitePath) -> String {
    appcmd_path(&p.site, &p.url_path)
}

/// Comma-separated list attribute, trimmed, empty entries dropped.
pub(super) fn list(v: Option<&str>) -> Vec<String> {
    v.unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

// ---------------------------------------------------------------------------------------------
/// Microsoft's list of IIS status and substatus codes.
pub(super) const MS_STATUS: &str =
    "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code";
/// Microsoft's overview of the IIS modules.
pub(super) const MS_MODULES: &str =
    "https://learn.microsoft.com/en-us/iis/get-started/introduction-to-iis/iis-modules-overview";
