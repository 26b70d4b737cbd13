//! Inventory from applicationHost.config: sites, bindings, applications, virtual directories,
//! application pools, log settings and global modules, each value with its origin.
//!
//! Default chains (SCHEMA):
//! * pool attribute: `add` → `applicationPoolDefaults` → schema default;
//! * application: `application` → site `applicationDefaults` → `sites/applicationDefaults` → schema;
//! * virtual directory: `virtualDirectory` → application `virtualDirectoryDefaults` → site
//!   `virtualDirectoryDefaults` → `sites/virtualDirectoryDefaults` → schema;
//! * site log file: `site/logFile` → `siteDefaults/logFile` → schema.

use std::sync::Arc;

use serde::Serialize;

use super::env::Env;
use super::model::{ConfigIssue, IssueKind, Origin, SecretState, Value};
use super::schema::{self, AttrSchema};
use super::xml::XmlElement;

/// One IIS site.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    /// Site name (unique, case-insensitive).
    pub name: String,
    /// Site id (`W3SVC<id>` in logs).
    pub id: Option<u64>,
    /// `serverAutoStart`.
    pub server_auto_start: Value,
    /// Bindings.
    pub bindings: Vec<Binding>,
    /// Applications (the root application has path `/`).
    pub applications: Vec<Application>,
    /// Effective `logFile` settings (shared by the sites that set none of their own).
    pub log_file: Arc<LogFile>,
    /// Where the `<site>` element is.
    pub origin: Origin,
}

impl Site {
    /// The application with exactly this path (case-insensitive).
    pub fn application(&self, path: &str) -> Option<&Application> {
        self.applications
            .iter()
            .find(|a| a.path.eq_ignore_ascii_case(path))
    }

    /// Whether any binding is HTTPS.
    pub fn has_https(&self) -> bool {
        self.bindings.iter().any(|b| b.https)
    }
}

/// One site binding.
#[derive(Debug, Clone, Serialize)]
pub struct Binding {
    /// `http`, `https`, `net.tcp`, …
    pub protocol: String,
    /// Raw `bindingInformation` (`IP:port:host` for HTTP/HTTPS).
    pub binding_information: String,
    /// IP part (`*` = all unassigned), for HTTP/HTTPS.
    pub ip: Option<String>,
    /// Port, for HTTP/HTTPS.
    pub port: Option<u16>,
    /// Host name part (`None` when empty).
    pub host: Option<String>,
    /// Protocol is `https`.
    pub https: bool,
    /// Binding `sslFlags` (1 = SNI, 2 = central certificate store).
    pub ssl_flags: u32,
    /// Where it is.
    pub origin: Origin,
}

/// Effective site `logFile` settings.
#[derive(Debug, Clone, Serialize)]
pub struct LogFile {
    /// `enabled`.
    pub enabled: Value,
    /// `logFormat` (W3C, IIS, NCSA, Custom).
    pub log_format: Value,
    /// `directory` as written.
    pub directory: Value,
    /// `directory` with environment variables expanded.
    pub directory_expanded: String,
    /// `period`.
    pub period: Value,
    /// `logExtFileFlags`.
    pub log_ext_file_flags: Value,
    /// `logTargetW3C` (File, ETW).
    pub log_target_w3c: Value,
    /// `localTimeRollover`.
    pub local_time_rollover: Value,
    /// Notes about assumptions made while expanding the directory.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `logExtFileFlags` read as flag names, once (sites inheriting `siteDefaults` share this
    /// `LogFile`, and a rule asks for every site).
    #[serde(skip)]
    ext_flags: std::sync::OnceLock<Option<Vec<&'static str>>>,
}

impl LogFile {
    /// Whether `logExtFileFlags` contains `flag` (e.g. `HttpSubStatus`).
    pub fn has_ext_flag(&self, flag: &str) -> bool {
        self.ext_flags
            .get_or_init(|| {
                schema::flag_names(schema::LOG_EXT_FILE_FLAGS, &self.log_ext_file_flags.value)
            })
            .as_ref()
            .is_some_and(|v| v.iter().any(|f| f.eq_ignore_ascii_case(flag)))
    }
}

/// One application of a site.
#[derive(Debug, Clone, Serialize)]
pub struct Application {
    /// Path (`/`, `/app`).
    pub path: String,
    /// `applicationPool` (from the element or the defaults chain).
    pub application_pool: Value,
    /// `enabledProtocols`.
    pub enabled_protocols: Value,
    /// `preloadEnabled`.
    pub preload_enabled: Value,
    /// Virtual directories (the root one has path `/`).
    pub virtual_directories: Vec<VirtualDirectory>,
    /// Where the `<application>` element is.
    pub origin: Origin,
    /// Index of the pool in [`super::HostConfig::app_pools`], when it exists.
    #[serde(skip)]
    pub(crate) pool_idx: Option<usize>,
}

impl Application {
    /// The pool name.
    pub fn pool_name(&self) -> &str {
        &self.application_pool.value
    }
}

/// One virtual directory of an application.
#[derive(Debug, Clone, Serialize)]
pub struct VirtualDirectory {
    /// Path relative to the application (`/`, `/images`).
    pub path: String,
    /// Full URL path within the site (`/app/images`).
    pub url_path: String,
    /// `physicalPath` as written (`None` if missing).
    pub physical_path: Option<Value>,
    /// `physicalPath` with `%VAR%` expanded from the host facts.
    pub physical_path_expanded: String,
    /// "Connect as" `userName` (`None` or empty = pass-through).
    pub user_name: Option<Value>,
    /// "Connect as" password state (value never kept).
    pub password: SecretState,
    /// `logonMethod`.
    pub logon_method: Value,
    /// `allowSubDirConfig`.
    pub allow_sub_dir_config: Value,
    /// Where the `<virtualDirectory>` element is.
    pub origin: Origin,
    /// Assumptions made while expanding the physical path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl VirtualDirectory {
    /// Whether a specific "connect as" user is configured.
    pub fn has_connect_as(&self) -> bool {
        self.user_name
            .as_ref()
            .is_some_and(|u| !u.value.trim().is_empty())
    }

    /// `allowSubDirConfig` as bool (true when unparsable, like the schema default).
    pub fn allows_sub_dir_config(&self) -> bool {
        self.allow_sub_dir_config.as_bool().unwrap_or(true)
    }
}

/// One application pool.
#[derive(Debug, Clone, Serialize)]
pub struct AppPool {
    /// Pool name.
    pub name: String,
    /// `processModel/@identityType`.
    pub identity_type: Value,
    /// `processModel/@userName` (for SpecificUser).
    pub user_name: Option<Value>,
    /// `processModel/@password` state (value never kept).
    pub password: SecretState,
    /// `processModel/@loadUserProfile`.
    pub load_user_profile: Value,
    /// `processModel/@manualGroupMembership`.
    pub manual_group_membership: Value,
    /// `processModel/@logonType`.
    pub logon_type: Value,
    /// `managedPipelineMode`.
    pub managed_pipeline_mode: Value,
    /// `managedRuntimeVersion` (`""` = no managed code).
    pub managed_runtime_version: Value,
    /// `enableConfigurationOverride`.
    pub enable_configuration_override: Value,
    /// `passAnonymousToken`.
    pub pass_anonymous_token: Value,
    /// `enable32BitAppOnWin64`.
    pub enable_32bit_app_on_win64: Value,
    /// `autoStart`.
    pub auto_start: Value,
    /// Where the `<add>` element is.
    pub origin: Origin,
}

impl AppPool {
    /// Canonical identity type name (`ApplicationPoolIdentity`, `SpecificUser`, …).
    pub fn identity(&self) -> &'static str {
        schema::enum_name(schema::IDENTITY_TYPE, &self.identity_type.value)
            .unwrap_or("ApplicationPoolIdentity")
    }

    /// `enableConfigurationOverride` as bool (default true).
    pub fn config_override_enabled(&self) -> bool {
        self.enable_configuration_override.as_bool().unwrap_or(true)
    }
}

/// One `system.webServer/globalModules` entry.
#[derive(Debug, Clone, Serialize)]
pub struct GlobalModule {
    /// Module name (e.g. `WindowsAuthenticationModule`).
    pub name: String,
    /// DLL path as written.
    pub image: String,
    /// `preCondition`.
    pub pre_condition: String,
    /// Where it is.
    pub origin: Origin,
}

/// `(element, file)` pairs, most specific first, for default chains.
type Chain<'a> = Vec<(&'a XmlElement, &'a Arc<str>)>;

fn pick(name: &str, chain: &Chain<'_>, default: Option<&'static str>) -> Option<Value> {
    for (el, path) in chain {
        if let Some(a) = el.attr(name) {
            return Some(Value::new(a.value.clone(), Origin::file(path, a.line)));
        }
    }
    default.map(Value::schema_default)
}

fn pick_schema(name: &str, chain: &Chain<'_>, attrs: &[AttrSchema]) -> Value {
    let default = attrs
        .iter()
        .find(|a| a.name == name)
        .and_then(|a| a.default);
    pick(name, chain, default).unwrap_or_else(|| Value::schema_default(""))
}

pub(crate) fn build_pools(
    pools_sections: &[(&XmlElement, &Arc<str>)],
    issues: &mut Vec<ConfigIssue>,
) -> Vec<AppPool> {
    let mut out: Vec<AppPool> = Vec::new();
    let mut names: std::collections::HashSet<String> = std::collections::HashSet::new();
    // applicationPoolDefaults: last one wins (merged in document order).
    let defaults: Vec<(&XmlElement, &Arc<str>)> = pools_sections
        .iter()
        .rev()
        .filter_map(|(el, p)| el.child("applicationPoolDefaults").map(|d| (d, *p)))
        .collect();
    let default_pm: Vec<(&XmlElement, &Arc<str>)> = defaults
        .iter()
        .filter_map(|(d, p)| d.child("processModel").map(|pm| (pm, *p)))
        .collect();
    for (section, path) in pools_sections {
        for c in &section.children {
            match &*c.name {
                "clear" => {
                    out.clear();
                    names.clear();
                }
                "remove" => {
                    if let Some(n) = c.attr_value("name") {
                        out.retain(|p| !p.name.eq_ignore_ascii_case(n));
                        names.remove(&n.to_lowercase());
                    }
                }
                "add" => {
                    let Some(name) = c.attr_value("name") else {
                        continue;
                    };
                    if !names.insert(name.to_lowercase()) {
                        issues.push(ConfigIssue {
                            kind: IssueKind::DuplicateKey,
                            file: path.to_string(),
                            line: c.line,
                            section: "system.applicationHost/applicationPools".into(),
                            config_path: "MACHINE/WEBROOT/APPHOST".into(),
                            message: format!("application pool \"{name}\" is defined twice"),
                        });
                        continue;
                    }
                    let mut chain: Chain<'_> = vec![(c, *path)];
                    chain.extend(defaults.iter().copied());
                    let mut pm_chain: Chain<'_> = c
                        .children_named("processModel")
                        .map(|pm| (pm, *path))
                        .collect();
                    pm_chain.extend(default_pm.iter().copied());
                    let pm = schema::PROCESS_MODEL.attrs;
                    let pa = schema::APP_POOL_ATTRS;
                    out.push(AppPool {
                        name: name.to_string(),
                        identity_type: pick_schema("identityType", &pm_chain, pm),
                        user_name: pick("userName", &pm_chain, None),
                        password: SecretState::of(pick("password", &pm_chain, None).as_ref()),
                        load_user_profile: pick_schema("loadUserProfile", &pm_chain, pm),
                        manual_group_membership: pick_schema(
                            "manualGroupMembership",
                            &pm_chain,
                            pm,
                        ),
                        logon_type: pick_schema("logonType", &pm_chain, pm),
                        managed_pipeline_mode: pick_schema("managedPipelineMode", &chain, pa),
                        managed_runtime_version: pick_schema("managedRuntimeVersion", &chain, pa),
                        enable_configuration_override: pick_schema(
                            "enableConfigurationOverride",
                            &chain,
                            pa,
                        ),
                        pass_anonymous_token: pick_schema("passAnonymousToken", &chain, pa),
                        enable_32bit_app_on_win64: pick_schema("enable32BitAppOnWin64", &chain, pa),
                        auto_start: pick_schema("autoStart", &chain, pa),
                        origin: Origin::file(path, c.line),
                    });
                }
                _ => {}
            }
        }
    }
    out
}

/// Splits `IP:port:host` (IPv6 in brackets allowed).
fn parse_binding_info(info: &str) -> (Option<String>, Option<u16>, Option<String>) {
    let Some((rest, host)) = info.rsplit_once(':') else {
        return (None, None, None);
    };
    let Some((ip, port)) = rest.rsplit_once(':') else {
        return (None, None, None);
    };
    let host = (!host.trim().is_empty()).then(|| host.trim().to_string());
    (Some(ip.trim().to_string()), port.trim().parse().ok(), host)
}

pub(crate) fn build_sites(
    sites_sections: &[(&XmlElement, &Arc<str>)],
    env: &Env,
    issues: &mut Vec<ConfigIssue>,
) -> Vec<Site> {
    // Sized up front: a host may have 100,000 sites, and growing by doubling copies them all.
    let count: usize = sites_sections
        .iter()
        .map(|(s, _)| s.children_named("site").count())
        .sum();
    let mut out: Vec<Site> = Vec::with_capacity(count);
    let mut names: foldhash::HashSet<String> =
        foldhash::HashSet::with_capacity_and_hasher(count, Default::default());
    let mut ids: foldhash::HashSet<u64> =
        foldhash::HashSet::with_capacity_and_hasher(count, Default::default());
    let last = |name: &str| -> Vec<(&XmlElement, &Arc<str>)> {
        sites_sections
            .iter()
            .rev()
            .filter_map(|(el, p)| el.child(name).map(|d| (d, *p)))
            .collect()
    };
    let site_defaults = last("siteDefaults");
    let global_app_defaults = last("applicationDefaults");
    let global_vdir_defaults = last("virtualDirectoryDefaults");
    let default_log: Chain<'_> = site_defaults
        .iter()
        .filter_map(|(d, p)| d.child("logFile").map(|l| (l, *p)))
        .collect();
    let site_default_chain: Chain<'_> = site_defaults.clone();
    let mut default_log_file: Option<Arc<LogFile>> = None;

    for (section, path) in sites_sections {
        for s in section.children_named("site") {
            let name = s.attr_value("name").unwrap_or("").to_string();
            let id = s.attr_value("id").and_then(|v| v.trim().parse().ok());
            if !names.insert(name.to_lowercase()) {
                issues.push(ConfigIssue {
                    kind: IssueKind::DuplicateKey,
                    file: path.to_string(),
                    line: s.line,
                    section: "system.applicationHost/sites".into(),
                    config_path: "MACHINE/WEBROOT/APPHOST".into(),
                    message: format!("site \"{name}\" is defined twice"),
                });
                continue;
            }
            if id.is_some_and(|i| !ids.insert(i)) {
                issues.push(ConfigIssue {
                    kind: IssueKind::DuplicateKey,
                    file: path.to_string(),
                    line: s.line,
                    section: "system.applicationHost/sites".into(),
                    config_path: "MACHINE/WEBROOT/APPHOST".into(),
                    message: format!(
                        "site id {} of \"{name}\" is already used by another site",
                        id.unwrap_or(0)
                    ),
                });
            }
            let mut bindings = Vec::new();
            for bs in s.children_named("bindings") {
                for b in &bs.children {
                    match &*b.name {
                        "clear" => bindings.clear(),
                        "binding" => {
                            let protocol = b.attr_value("protocol").unwrap_or("").to_string();
                            let info = b.attr_value("bindingInformation").unwrap_or("").to_string();
                            let web = protocol.eq_ignore_ascii_case("http")
                                || protocol.eq_ignore_ascii_case("https");
                            let (ip, port, host) = if web {
                                parse_binding_info(&info)
                            } else {
                                (None, None, None)
                            };
                            bindings.push(Binding {
                                https: protocol.eq_ignore_ascii_case("https"),
                                protocol,
                                binding_information: info,
                                ip,
                                port,
                                host,
                                ssl_flags: b
                                    .attr_value("sslFlags")
                                    .and_then(|v| v.trim().parse().ok())
                                    .unwrap_or(0),
                                origin: Origin::file(path, b.line),
                            });
                        }
                        _ => {}
                    }
                }
            }
            let mut log_chain: Chain<'_> =
                s.children_named("logFile").map(|l| (l, *path)).collect();
            // Most sites only inherit siteDefaults: they share one value.
            let log_file = if log_chain.is_empty() {
                Arc::clone(
                    default_log_file.get_or_insert_with(|| Arc::new(log_file(&default_log, env))),
                )
            } else {
                log_chain.extend(default_log.iter().copied());
                Arc::new(log_file(&log_chain, env))
            };
            let mut site_chain: Chain<'_> = vec![(s, *path)];
            site_chain.extend(site_default_chain.iter().copied());
            let server_auto_start = pick("serverAutoStart", &site_chain, Some("true"))
                .unwrap_or_else(|| Value::schema_default("true"));

            let site_app_defaults: Vec<(&XmlElement, &Arc<str>)> = s
                .children_named("applicationDefaults")
                .map(|d| (d, *path))
                .collect();
            let site_vdir_defaults: Vec<(&XmlElement, &Arc<str>)> = s
                .children_named("virtualDirectoryDefaults")
                .map(|d| (d, *path))
                .collect();
            let mut applications: Vec<Application> = Vec::new();
            for a in s.children_named("application") {
                let app_path = normalize_app_path(a.attr_value("path").unwrap_or("/"));
                if applications
                    .iter()
                    .any(|x| x.path.eq_ignore_ascii_case(&app_path))
                {
                    issues.push(ConfigIssue {
                        kind: IssueKind::DuplicateKey,
                        file: path.to_string(),
                        line: a.line,
                        section: "system.applicationHost/sites".into(),
                        config_path: format!("MACHINE/WEBROOT/APPHOST/{name}"),
                        message: format!(
                            "application \"{app_path}\" of site \"{name}\" is defined twice"
                        ),
                    });
                    continue;
                }
                let mut app_chain: Chain<'_> = vec![(a, *path)];
                app_chain.extend(site_app_defaults.iter().copied());
                app_chain.extend(global_app_defaults.iter().copied());
                let aa = schema::APP_ATTRS;
                let mut vdir_defaults: Chain<'_> = a
                    .children_named("virtualDirectoryDefaults")
                    .map(|d| (d, *path))
                    .collect();
                vdir_defaults.extend(site_vdir_defaults.iter().copied());
                vdir_defaults.extend(global_vdir_defaults.iter().copied());
                let mut vdirs: Vec<VirtualDirectory> = Vec::new();
                for v in a.children_named("virtualDirectory") {
                    let vpath = normalize_app_path(v.attr_value("path").unwrap_or("/"));
                    if vdirs.iter().any(|x| x.path.eq_ignore_ascii_case(&vpath)) {
                        issues.push(ConfigIssue {
                            kind: IssueKind::DuplicateKey,
                            file: path.to_string(),
                            line: v.line,
                            section: "system.applicationHost/sites".into(),
                            config_path: format!("MACHINE/WEBROOT/APPHOST/{name}"),
                            message: format!(
                                "virtual directory \"{vpath}\" of application \"{app_path}\" is defined twice"
                            ),
                        });
                        continue;
                    }
                    let mut vchain: Chain<'_> = vec![(v, *path)];
                    vchain.extend(vdir_defaults.iter().copied());
                    let va = schema::VDIR_ATTRS;
                    let physical_path = pick("physicalPath", &vchain, None);
                    let (expanded, notes) = physical_path
                        .as_ref()
                        .map(|p| env.expand(&p.value))
                        .unwrap_or_default();
                    vdirs.push(VirtualDirectory {
                        url_path: join_url(&app_path, &vpath),
                        path: vpath,
                        physical_path,
                        physical_path_expanded: expanded,
                        user_name: pick("userName", &vchain, None),
                        password: SecretState::of(pick("password", &vchain, None).as_ref()),
                        logon_method: pick_schema("logonMethod", &vchain, va),
                        allow_sub_dir_config: pick_schema("allowSubDirConfig", &vchain, va),
                        origin: Origin::file(path, v.line),
                        notes,
                    });
                }
                applications.push(Application {
                    path: app_path,
                    application_pool: pick_schema("applicationPool", &app_chain, aa),
                    enabled_protocols: pick_schema("enabledProtocols", &app_chain, aa),
                    preload_enabled: pick_schema("preloadEnabled", &app_chain, aa),
                    virtual_directories: shrunk(vdirs),
                    origin: Origin::file(path, a.line),
                    pool_idx: None,
                });
            }
            out.push(Site {
                name,
                id,
                server_auto_start,
                bindings: shrunk(bindings),
                applications: shrunk(applications),
                log_file,
                origin: Origin::file(path, s.line),
            });
        }
    }
    out
}

/// The effective `logFile` settings along `chain`.
fn log_file(chain: &Chain<'_>, env: &Env) -> LogFile {
    let la = schema::LOG_FILE.attrs;
    let directory = pick_schema("directory", chain, la);
    let (directory_expanded, notes) = env.expand(&directory.value);
    LogFile {
        enabled: pick_schema("enabled", chain, la),
        log_format: pick_schema("logFormat", chain, la),
        directory,
        directory_expanded,
        period: pick_schema("period", chain, la),
        log_ext_file_flags: pick_schema("logExtFileFlags", chain, la),
        log_target_w3c: pick_schema("logTargetW3C", chain, la),
        local_time_rollover: pick_schema("localTimeRollover", chain, la),
        notes,
        ext_flags: std::sync::OnceLock::new(),
    }
}

/// `/`, or `/a/b` without a trailing slash; backslashes as slashes.
pub(crate) fn normalize_app_path(p: &str) -> String {
    let mut out = String::new();
    for seg in p.split(['/', '\\']).filter(|s| !s.is_empty() && *s != ".") {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Joins an application path and a virtual-directory path.
pub(crate) fn join_url(app: &str, vdir: &str) -> String {
    match (app, vdir) {
        ("/", v) => v.to_string(),
        (a, "/") => a.to_string(),
        (a, v) => format!("{a}{v}"),
    }
}

pub(crate) fn build_global_modules(
    section: Option<&super::model::EffectiveElement>,
) -> Vec<GlobalModule> {
    section
        .map(|s| {
            s.collection
                .iter()
                .map(|i| GlobalModule {
                    name: i.value("name").unwrap_or("").to_string(),
                    image: i.value("image").unwrap_or("").to_string(),
                    pre_condition: i.value("preCondition").unwrap_or("").to_string(),
                    origin: i.origin.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A vector without spare room. A pushed-to vector of these large structs reserves four slots;
/// most sites have one binding, one application and one virtual directory, so on a host with
/// 100,000 sites the spare slots alone would take ~2.5 KB per site.
fn shrunk<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binding_info() {
        assert_eq!(
            parse_binding_info("*:80:www.contoso.com"),
            (Some("*".into()), Some(80), Some("www.contoso.com".into()))
        );
        assert_eq!(
            parse_binding_info("[::1]:443:"),
            (Some("[::1]".into()), Some(443), None)
        );
        assert_eq!(parse_binding_info("808:*"), (None, None, None));
    }

    #[test]
    fn app_paths() {
        assert_eq!(normalize_app_path("/"), "/");
        assert_eq!(normalize_app_path("/a/b/"), "/a/b");
        assert_eq!(join_url("/", "/"), "/");
        assert_eq!(join_url("/app", "/img"), "/app/img");
        assert_eq!(join_url("/", "/img"), "/img");
    }
}
