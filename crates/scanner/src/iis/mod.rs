//! IIS configuration engine: effective configuration for any site, application and URL path,
//! computed from the raw configuration file texts of a [`Snapshot`] the way IIS computes it,
//! with provenance (file:line or schema default) for every value.
//!
//! ```no_run
//! # use iis_sweep::{iis::{HostConfig, sections}, snapshot::Snapshot};
//! # let snapshot = Snapshot::new("web01");
//! let host = HostConfig::from_snapshot(&snapshot);
//! for (site, app) in host.applications() {
//!     let at = host.at(&site.name, &app.path).expect("site exists");
//!     let win = at.effective(sections::WINDOWS_AUTHENTICATION);
//!     if win.bool("enabled") == Some(true) {
//!         let providers: Vec<&str> =
//!             win.child("providers").collection().iter().filter_map(|i| i.value("value")).collect();
//!         println!("{} {}: {:?} ({})", site.name, app.path, providers, win.attribute("enabled").unwrap().origin);
//!     }
//! }
//! ```
//!
//! Layout: [`xml`] reads a file (bounds, BOM, redaction), `files` turns files into indexed
//! section occurrences, `inventory` reads sites/pools, `resolve` maps URLs to folders and
//! web.config files, `merge` merges, [`schema`] holds every schema fact, [`render`] prints.
//!
//! # Semantics (and the choices made where sources are silent)
//! * **Order**: config path by config path, root first. At each level: machine.config, root
//!   web.config (the copy matching the pool's runtime version and bitness), applicationHost.config
//!   (top level at the root, its `<location>` for that path below), then the web.config at that
//!   level (or a parent web.config's `<location>` for it). So an applicationHost.config
//!   `<location path="Site/app">` beats the site root's web.config, and the app's own web.config
//!   beats both; document order within a file is kept.
//! * **Paths** compare case-insensitively; `path=""`/`"."` mean "here";
//!   `inheritInChildApplications="false"` stops a location at child application roots.
//! * **web.config files** are looked up as `<folder>\web.config` of every URL prefix, the folder
//!   coming from the longest application and virtual-directory match; all are skipped when the
//!   pool has `enableConfigurationOverride="false"`, and below a vdir root with
//!   `allowSubDirConfig="false"` ([`Effective::ignored`] says which and why).
//! * **Locking** is checked for web.config occurrences only (applicationHost.config,
//!   machine.config and the root web.config may always set a section): override mode (nearest
//!   explicit `overrideMode`/`allowOverride` from a higher file whose location covers the file,
//!   else `overrideModeDefault` from `<configSections>`, else the built-in table),
//!   `allowDefinition` (`MachineToApplication` = application roots only), granular locks set by
//!   another file, `lockItem`. A violation is a [`ConfigIssue`] and that occurrence of the
//!   section is not applied (on the server the request gets 500.19).
//! * **Duplicate collection keys** are a [`IssueKind::DuplicateKey`]; the duplicate entry is
//!   skipped and the rest of the occurrence applied.
//! * **Secrets** are redacted while reading: a `password` attribute is kept as
//!   `[enc:<provider>:…:enc]`, [`PLAINTEXT_MARK`] or empty; plaintext ones are listed in
//!   [`HostConfig::plaintext_secrets`] (file, line, element path, attribute — never the value).
//! * **Unknown sections** are kept and merged; their collections are recognised heuristically
//!   (`add`/`remove`/`clear`, named or repeated elements) and never raise duplicate-key issues.

mod env;
mod files;
mod inventory;
mod merge;
mod model;
pub mod precondition;
pub mod redact;
pub mod render;
mod resolve;
pub mod schema;
pub mod xml;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_real;

use std::collections::{BTreeSet, HashSet};

// A fast hasher with a per-map random seed: keys are host-supplied paths and names.
use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use serde::Serialize;

use crate::snapshot::{normalize_windows_path, FileRole, Snapshot};

pub use inventory::{AppPool, Application, Binding, GlobalModule, LogFile, Site, VirtualDirectory};
pub use model::{
    Attribute, ConfigIssue, Effective, EffectiveElement, FileError, FileErrorKind, Ignored,
    IgnoredReason, IssueKind, Item, Origin, OverrideModeAt, PlaintextSecret, SecretState, Text,
    Value,
};
pub use precondition::PoolRuntime;
pub use render::{render_text, ConfigReport};
pub use resolve::{ResolvedPath, WebConfigStep};
pub use schema::{AllowDefinition, OverrideMode};
pub use xml::PLAINTEXT_MARK;

use files::{FileEntry, Instance, Registry};
use merge::Target;

/// Section paths the rules read.
pub mod sections {
    /// Anonymous authentication.
    pub const ANONYMOUS_AUTHENTICATION: &str =
        "system.webServer/security/authentication/anonymousAuthentication";
    /// Basic authentication.
    pub const BASIC_AUTHENTICATION: &str =
        "system.webServer/security/authentication/basicAuthentication";
    /// Windows authentication.
    pub const WINDOWS_AUTHENTICATION: &str =
        "system.webServer/security/authentication/windowsAuthentication";
    /// Digest authentication.
    pub const DIGEST_AUTHENTICATION: &str =
        "system.webServer/security/authentication/digestAuthentication";
    /// AD client certificate mapping authentication.
    pub const CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION: &str =
        "system.webServer/security/authentication/clientCertificateMappingAuthentication";
    /// IIS client certificate mapping authentication.
    pub const IIS_CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION: &str =
        "system.webServer/security/authentication/iisClientCertificateMappingAuthentication";
    /// IIS URL authorization.
    pub const AUTHORIZATION: &str = "system.webServer/security/authorization";
    /// IP and domain restrictions.
    pub const IP_SECURITY: &str = "system.webServer/security/ipSecurity";
    /// Dynamic IP restrictions.
    pub const DYNAMIC_IP_SECURITY: &str = "system.webServer/security/dynamicIpSecurity";
    /// SSL settings (`sslFlags`).
    pub const ACCESS: &str = "system.webServer/security/access";
    /// ISAPI filters.
    pub const ISAPI_FILTERS: &str = "system.webServer/isapiFilters";
    /// Handler mappings.
    pub const HANDLERS: &str = "system.webServer/handlers";
    /// Modules enabled per path.
    pub const MODULES: &str = "system.webServer/modules";
    /// Installed native modules.
    pub const GLOBAL_MODULES: &str = "system.webServer/globalModules";
    /// Custom/detailed errors.
    pub const HTTP_ERRORS: &str = "system.webServer/httpErrors";
    /// Directory browsing.
    pub const DIRECTORY_BROWSE: &str = "system.webServer/directoryBrowse";
    /// ASP.NET authentication (mode, forms).
    pub const ASPNET_AUTHENTICATION: &str = "system.web/authentication";
    /// ASP.NET authorization (allow/deny).
    pub const ASPNET_AUTHORIZATION: &str = "system.web/authorization";
    /// ASP.NET identity (impersonation).
    pub const ASPNET_IDENTITY: &str = "system.web/identity";

    /// All authentication sections.
    pub const AUTHENTICATION: [&str; 6] = [
        ANONYMOUS_AUTHENTICATION,
        BASIC_AUTHENTICATION,
        WINDOWS_AUTHENTICATION,
        DIGEST_AUTHENTICATION,
        CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
        IIS_CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
    ];
}

/// Whether a module is installed (`globalModules`) and enabled (`modules`) at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModuleState {
    /// Installed and in the effective `modules` list (or a managed module listed there).
    Enabled,
    /// In `globalModules` but not in the effective `modules` list at this path.
    InstalledNotEnabled,
    /// Not in `globalModules`.
    NotInstalled,
    /// No applicationHost.config was parsed: unknown.
    Unknown,
}

/// One configuration file of the host and whether it was parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigFileInfo {
    /// Windows path.
    pub path: String,
    /// Role.
    pub role: FileRole,
    /// Parsed (false when a [`FileError`] prevented it).
    pub parsed: bool,
}

/// Everything parsed for one host. Cheap to query; `Send + Sync`.
#[derive(Debug)]
pub struct HostConfig {
    host: String,
    pub(crate) files: Vec<FileEntry>,
    file_infos: Vec<ConfigFileInfo>,
    file_errors: Vec<FileError>,
    issues: Vec<ConfigIssue>,
    secrets: Vec<PlaintextSecret>,
    pub(crate) registry: Registry,
    pub(crate) instances: Vec<Instance>,
    pub(crate) apphost: Option<u32>,
    pub(crate) machine_files: Vec<u32>,
    pub(crate) root_web_files: Vec<u32>,
    /// Normalized web.config path → file.
    pub(crate) web_configs: HashMap<String, u32>,
    /// (web.config file, site, URL of its folder) for every mapping found.
    web_config_urls: Vec<(u32, usize, String)>,
    pub(crate) sites: Vec<Site>,
    site_index: HashMap<String, usize>,
    pools: Vec<AppPool>,
    pool_index: HashMap<String, usize>,
    global_modules: Vec<GlobalModule>,
    /// Resolved paths of [`HostConfig::effective`], by lower-cased `site\nurl`: every rule asks
    /// about the same paths.
    targets: std::sync::Mutex<HashMap<String, PathHandle>>,
    /// Merged sections by what they depend on ([`merge::MergeKey`]): shared between paths.
    merged: std::sync::Mutex<HashMap<merge::MergeKey, std::sync::Arc<merge::Merged>>>,
    /// Ids for sections no file declares (counting down from `u32::MAX`), so that answers about
    /// them are kept per path like the others: a file without `<configSections>` (a bare
    /// web.config, a trimmed applicationHost.config) declares none.
    undeclared: std::sync::Mutex<HashMap<String, u32>>,
    /// [`HostConfig::location_urls`].
    location_urls: std::sync::OnceLock<HashMap<usize, Vec<String>>>,
}

/// A site path resolved once ([`HostConfig::path_handle`]), with the merges of the sections
/// already asked about it (a handful per path: a list beats a map). The merges are shared with
/// every path that sees the same occurrences, so a path keeps a pointer per section, not a copy.
#[derive(Debug, Clone)]
pub struct PathHandle {
    /// The site's index; `None` for a site the host does not have.
    site: Option<usize>,
    target: Arc<Target>,
    #[allow(clippy::type_complexity)]
    answers: Arc<std::sync::Mutex<Vec<(u32, Arc<merge::Merged>)>>>,
}

/// The configuration view of one site path: resolution done once, sections on demand.
#[derive(Debug)]
pub struct PathView<'h> {
    host: &'h HostConfig,
    site: usize,
    target: Target,
    resolved: std::sync::OnceLock<ResolvedPath>,
}

impl PathView<'_> {
    /// The effective `section` at this path.
    pub fn effective(&self, section: &str) -> Effective {
        merge::compute(self.host, &self.target, section)
    }

    /// What the path resolves to.
    pub fn resolved(&self) -> &ResolvedPath {
        self.resolved
            .get_or_init(|| self.host.resolved_for(self.site, &self.target))
    }

    /// The site.
    pub fn site(&self) -> &Site {
        &self.host.sites[self.site]
    }
}

fn role_rank(role: FileRole) -> u8 {
    match role {
        FileRole::ApplicationHost => 0,
        FileRole::MachineConfig => 1,
        FileRole::RootWebConfig => 2,
        FileRole::WebConfig => 3,
        FileRole::Other => 4,
    }
}

impl HostConfig {
    /// Parses every configuration file of the snapshot. Never fails: unreadable or malformed
    /// files become [`FileError`]s and the others are still evaluated.
    pub fn from_snapshot(s: &Snapshot) -> HostConfig {
        let env = env::Env::new(&s.host.env);
        let mut file_errors = Vec::new();
        let mut secrets = Vec::new();
        let mut parsed: Vec<(Arc<str>, FileRole, xml::XmlElement)> = Vec::new();
        let mut file_infos = Vec::new();
        let mut seen_apphost = false;
        for f in &s.files {
            let mut ok = false;
            let err = |kind, line, column, message: String| FileError {
                file: f.path.clone(),
                role: f.role,
                line,
                column,
                kind,
                message,
            };
            if f.role == FileRole::Other {
                file_infos.push(ConfigFileInfo {
                    path: f.path.clone(),
                    role: f.role,
                    parsed: false,
                });
                continue;
            }
            if f.role == FileRole::ApplicationHost && seen_apphost {
                file_errors.push(err(
                    FileErrorKind::Ignored,
                    1,
                    1,
                    "a second applicationHost.config in the snapshot; only the first is used"
                        .into(),
                ));
            } else if let Some(text) = &f.text {
                if f.truncated {
                    file_errors.push(err(
                        FileErrorKind::Truncated,
                        1,
                        1,
                        "the collector cut this file at its size bound; parsing what arrived"
                            .into(),
                    ));
                }
                match xml::parse(text) {
                    Ok(p) => {
                        if &*p.root.name != "configuration" {
                            file_errors.push(err(
                                FileErrorKind::NotConfiguration,
                                p.root.line,
                                1,
                                format!(
                                    "root element is <{}>, not <configuration>; file ignored",
                                    p.root.name
                                ),
                            ));
                        } else {
                            for sec in p.secrets {
                                secrets.push(PlaintextSecret {
                                    file: f.path.clone(),
                                    line: sec.line,
                                    element_path: sec.element_path,
                                    attribute: sec.attribute,
                                });
                            }
                            if f.role == FileRole::ApplicationHost {
                                seen_apphost = true;
                            }
                            parsed.push((Arc::from(f.path.as_str()), f.role, p.root));
                            ok = true;
                        }
                    }
                    Err(e) => {
                        let kind = match e.kind {
                            xml::XmlErrorKind::TooLarge => FileErrorKind::TooLarge,
                            xml::XmlErrorKind::TooDeep => FileErrorKind::TooDeep,
                            xml::XmlErrorKind::TooManyNodes => FileErrorKind::TooManyNodes,
                            xml::XmlErrorKind::Dtd => FileErrorKind::Dtd,
                            xml::XmlErrorKind::Malformed => FileErrorKind::Malformed,
                        };
                        file_errors.push(err(kind, e.line, e.column, e.message));
                    }
                }
            } else {
                file_errors.push(err(
                    FileErrorKind::Unreadable,
                    1,
                    1,
                    f.error
                        .clone()
                        .unwrap_or_else(|| "the collector did not return the text".into()),
                ));
            }
            file_infos.push(ConfigFileInfo {
                path: f.path.clone(),
                role: f.role,
                parsed: ok,
            });
        }
        // Declarations: applicationHost.config first, then machine.config, root web.config,
        // then web.config files (first declaration wins).
        parsed.sort_by_key(|(_, role, _)| role_rank(*role));
        let mut registry = Registry::new();
        for (path, _, root) in &parsed {
            registry.read_config_sections(root, path);
        }
        let mut files = Vec::with_capacity(parsed.len());
        let mut instances = Vec::new();
        let mut issues = Vec::new();
        let mut apphost = None;
        let mut machine_files = Vec::new();
        let mut root_web_files = Vec::new();
        let mut web_configs = HashMap::new();
        for (path, role, root) in parsed {
            let id = u32::try_from(files.len()).unwrap_or(u32::MAX);
            let index = files::extract(id, &path, root, &mut registry, &mut instances, &mut issues);
            match role {
                FileRole::ApplicationHost => apphost = Some(id),
                FileRole::MachineConfig => machine_files.push(id),
                FileRole::RootWebConfig => root_web_files.push(id),
                FileRole::WebConfig => {
                    web_configs.insert(normalize_windows_path(&path), id);
                }
                FileRole::Other => {}
            }
            files.push(FileEntry { path, role, index });
        }

        registry.finalize();
        let mut host = HostConfig {
            host: s.host.name.clone(),
            files,
            file_infos,
            file_errors,
            issues: Vec::new(),
            secrets,
            registry,
            instances,
            apphost,
            machine_files,
            root_web_files,
            web_configs,
            web_config_urls: Vec::new(),
            sites: Vec::new(),
            site_index: HashMap::new(),
            pools: Vec::new(),
            pool_index: HashMap::new(),
            global_modules: Vec::new(),
            targets: Default::default(),
            merged: Default::default(),
            undeclared: Default::default(),
            location_urls: Default::default(),
        };
        host.build_inventory(&env, &mut issues);
        host.map_web_configs();
        host.collect_issues(&mut issues);
        host.issues = issues;
        host
    }

    fn apphost_top_level(&self, section: &str) -> Vec<(&xml::XmlElement, &Arc<str>)> {
        let (Some(f), Some(sid)) = (self.apphost, self.registry.id(section)) else {
            return Vec::new();
        };
        let file = &self.files[f as usize];
        file.index
            .get(&sid)
            .and_then(|m| m.get(""))
            .map(|ids| {
                ids.iter()
                    .map(|&i| &self.instances[i as usize])
                    .filter(|i| !i.duplicate)
                    .map(|i| (&i.element, &file.path))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn build_inventory(&mut self, env: &env::Env, issues: &mut Vec<ConfigIssue>) {
        let pools = inventory::build_pools(
            &self.apphost_top_level("system.applicationHost/applicationPools"),
            issues,
        );
        let sites = inventory::build_sites(
            &self.apphost_top_level("system.applicationHost/sites"),
            env,
            issues,
        );
        self.pool_index = pools
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.to_lowercase(), i))
            .collect();
        self.site_index = sites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.to_lowercase(), i))
            .collect();
        let mut sites = sites;
        for site in &mut sites {
            for app in &mut site.applications {
                app.pool_idx = self
                    .pool_index
                    .get(&app.pool_name().to_lowercase())
                    .copied();
            }
        }
        self.pools = pools;
        self.sites = sites;
        if self.apphost.is_some() {
            for site in &self.sites {
                for app in &site.applications {
                    let name = app.pool_name();
                    if !self.pool_index.contains_key(&name.to_lowercase()) {
                        issues.push(ConfigIssue {
                            kind: IssueKind::MissingApplicationPool,
                            file: app.origin.path().unwrap_or("").to_string(),
                            line: app.origin.line().unwrap_or(0),
                            section: "system.applicationHost/sites".into(),
                            config_path: format!(
                                "MACHINE/WEBROOT/APPHOST/{}{}",
                                site.name,
                                if app.path == "/" { "" } else { &app.path }
                            ),
                            message: format!(
                                "application {} of site \"{}\" uses application pool \"{name}\", which does not exist (503)",
                                app.path, site.name
                            ),
                        });
                    }
                }
            }
        }
        let server = self.server_target();
        let gm = merge::compute(self, &server, sections::GLOBAL_MODULES);
        self.global_modules = inventory::build_global_modules(Some(&*gm.element));
    }

    /// Maps every web.config to the site URLs whose resolution reaches its folder.
    fn map_web_configs(&mut self) {
        let mut by_folder: HashMap<String, Vec<(usize, String)>> = HashMap::new();
        for (si, site) in self.sites.iter().enumerate() {
            for app in &site.applications {
                for v in &app.virtual_directories {
                    if v.physical_path_expanded.is_empty() {
                        continue;
                    }
                    by_folder
                        .entry(normalize_windows_path(&v.physical_path_expanded))
                        .or_default()
                        .push((si, v.url_path.clone()));
                }
            }
        }
        let mut out = Vec::new();
        let mut wcs: Vec<(&String, &u32)> = self.web_configs.iter().collect();
        wcs.sort_by_key(|(_, f)| **f);
        for (path, &file) in wcs {
            let Some(folder) = path.rsplit_once('\\').map(|(f, _)| f) else {
                continue;
            };
            let mut rest: Vec<&str> = Vec::new();
            let mut cur = folder;
            loop {
                if let Some(list) = by_folder.get(cur) {
                    for (si, vurl) in list {
                        let mut url = if vurl == "/" {
                            String::new()
                        } else {
                            vurl.clone()
                        };
                        for r in rest.iter().rev() {
                            url.push('/');
                            url.push_str(r);
                        }
                        if url.is_empty() {
                            url.push('/');
                        }
                        out.push((file, *si, url));
                    }
                }
                match cur.rsplit_once('\\') {
                    Some((parent, last)) if !parent.is_empty() => {
                        rest.push(last);
                        cur = parent;
                    }
                    _ => break,
                }
            }
        }
        // Keep only mappings whose resolution really reaches this file (a child application
        // or vdir with another physical path shadows the folder).
        out.retain(|(file, si, url)| {
            let segs = resolve::url_segments(url);
            let t = self.target_for(*si, segs.clone(), true);
            t.steps
                .iter()
                .any(|s| s.file == *file && s.depth as usize == segs.len() + 1)
        });
        out.sort();
        out.dedup();
        self.web_config_urls = out;
    }

    /// Evaluates every section occurrence that can raise an issue where it applies, and keeps
    /// the distinct issues (500.19 class) in file/line order.
    fn collect_issues(&self, issues: &mut Vec<ConfigIssue>) {
        let mut found: Vec<ConfigIssue> = Vec::new();
        let record = |eff: Effective, found: &mut Vec<ConfigIssue>| {
            found.extend(eff.issues);
        };
        // Global files: occurrences with child elements (collections) can hold duplicates.
        // One target per distinct location path.
        let mut by_path: std::collections::BTreeMap<&str, Vec<&str>> =
            std::collections::BTreeMap::new();
        for f in &self.files {
            let global = matches!(
                f.role,
                FileRole::ApplicationHost | FileRole::MachineConfig | FileRole::RootWebConfig
            );
            if !global {
                continue;
            }
            for (sid, paths) in &f.index {
                let name = self.registry.name(*sid);
                // Read by the inventory, which reports their duplicates itself.
                if name == "system.applicationHost/sites"
                    || name == "system.applicationHost/applicationPools"
                {
                    continue;
                }
                for (path, ids) in paths {
                    if ids
                        .iter()
                        .any(|&i| !self.instances[i as usize].element.children.is_empty())
                    {
                        by_path.entry(path).or_default().push(name);
                    }
                }
            }
        }
        for (path, mut names) in by_path {
            names.sort_unstable();
            names.dedup();
            let t = self.target_for_location(path);
            for name in names {
                record(merge::compute(self, &t, name), &mut found);
            }
        }
        // web.config files: every occurrence, at every URL the file serves.
        for (file, si, url) in &self.web_config_urls {
            let f = &self.files[*file as usize];
            for (sid, by_path) in &f.index {
                let name = self.registry.name(*sid).to_string();
                for path in by_path.keys() {
                    let full = if path.is_empty() {
                        url.clone()
                    } else {
                        format!("{}/{}", url.trim_end_matches('/'), path)
                    };
                    let t = self.target_for(*si, resolve::url_segments(&full), true);
                    record(merge::compute(self, &t, &name), &mut found);
                }
            }
        }
        let mut keys: HashSet<(IssueKind, String, u32, String)> = issues
            .iter()
            .map(|i| (i.kind, i.file.clone(), i.line, i.section.clone()))
            .collect();
        for i in found {
            if keys.insert((i.kind, i.file.clone(), i.line, i.section.clone())) {
                issues.push(i);
            }
        }
        issues.sort_by(|a, b| (&a.file, a.line, a.kind).cmp(&(&b.file, b.line, b.kind)));
    }

    /// Target for an applicationHost.config location path (`""`, `site`, `site/url`).
    fn target_for_location(&self, path: &str) -> Target {
        if path.is_empty() {
            return self.server_target();
        }
        let segs = resolve::url_segments(path);
        match segs.first().and_then(|s| self.site_idx(s)) {
            Some(si) => self.target_for(si, segs[1..].to_vec(), false),
            None => self.raw_target(path),
        }
    }

    fn site_idx(&self, name: &str) -> Option<usize> {
        self.site_index.get(&name.to_lowercase()).copied()
    }

    /// The host name from the snapshot.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Files that could not be read or parsed (each with line and column).
    pub fn file_errors(&self) -> &[FileError] {
        &self.file_errors
    }

    /// Configuration errors IIS would report (500.19 class), host-wide, in file/line order.
    pub fn issues(&self) -> &[ConfigIssue] {
        &self.issues
    }

    /// Every configuration file of the snapshot and whether it was parsed.
    pub fn config_files(&self) -> &[ConfigFileInfo] {
        &self.file_infos
    }

    /// Whether an applicationHost.config was parsed.
    pub fn has_application_host(&self) -> bool {
        self.apphost.is_some()
    }

    /// Sites, in configuration order.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// The site named `name` (case-insensitive).
    pub fn site(&self, name: &str) -> Option<&Site> {
        self.site_idx(name).map(|i| &self.sites[i])
    }

    /// The site with id `id`.
    pub fn site_by_id(&self, id: u64) -> Option<&Site> {
        self.sites.iter().find(|s| s.id == Some(id))
    }

    /// Application pools, in configuration order.
    pub fn app_pools(&self) -> &[AppPool] {
        &self.pools
    }

    /// The pool named `name` (case-insensitive).
    pub fn pool(&self, name: &str) -> Option<&AppPool> {
        self.pool_index
            .get(&name.to_lowercase())
            .map(|&i| &self.pools[i])
    }

    /// Every (site, application) pair.
    pub fn applications(&self) -> impl Iterator<Item = (&Site, &Application)> {
        self.sites
            .iter()
            .flat_map(|s| s.applications.iter().map(move |a| (s, a)))
    }

    /// Installed native modules (`system.webServer/globalModules`).
    pub fn global_modules(&self) -> &[GlobalModule] {
        &self.global_modules
    }

    /// Plaintext `password` attributes (and connection strings with a password).
    pub fn plaintext_secrets(&self) -> &[PlaintextSecret] {
        &self.secrets
    }

    /// Resolution of a site path, reusable for many sections. `None` when the site does not
    /// exist.
    pub fn at(&self, site: &str, url_path: &str) -> Option<PathView<'_>> {
        let si = self.site_idx(site)?;
        let target = self.target_for(si, resolve::url_segments(url_path), true);
        Some(PathView {
            host: self,
            site: si,
            target,
            resolved: std::sync::OnceLock::new(),
        })
    }

    /// The effective `section` (e.g. [`sections::WINDOWS_AUTHENTICATION`]) for `site` and
    /// `url_path`. For an unknown site only server-level settings and applicationHost.config
    /// location tags naming that site apply.
    pub fn effective(
        &self,
        site: &str,
        url_path: &str,
        section: &str,
    ) -> std::sync::Arc<Effective> {
        self.effective_on(&self.path_handle(site, url_path), section)
    }

    /// A resolved site path to ask [`HostConfig::effective_on`] about: resolution is done once,
    /// and the path keeps the answers it gave (every rule reads the authentication sections of
    /// every path). Cheap to clone.
    pub fn path_handle(&self, site: &str, url_path: &str) -> PathHandle {
        // One key string per lookup. The merge itself is shared through `merged` (most paths of a
        // host merge the same occurrences), so a host with 100,000 sites keeps one resolution per
        // path and one merge per distinct occurrence set, not a merged copy per path and section.
        let mut key = String::with_capacity(site.len() + url_path.len() + 1);
        resolve::push_lower(&mut key, site);
        key.push('\n');
        resolve::push_lower(&mut key, url_path);
        if let Some(h) = self.targets.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return h;
        }
        let si = self.site_idx(site);
        let target = match si {
            Some(si) => self.target_for(si, resolve::url_segments(url_path), true),
            None => self.raw_target(&format!("{site}/{url_path}")),
        };
        let h = PathHandle {
            site: si,
            target: std::sync::Arc::new(target),
            answers: Default::default(),
        };
        if let Ok(mut m) = self.targets.lock() {
            m.insert(key, h.clone());
        }
        h
    }

    /// The effective `section` at a path resolved by [`HostConfig::path_handle`].
    pub fn effective_on(&self, path: &PathHandle, section: &str) -> std::sync::Arc<Effective> {
        let Some(sid) = self.section_id(section) else {
            return std::sync::Arc::new(merge::compute(self, &path.target, section));
        };
        let known = |answers: &[(u32, Arc<merge::Merged>)]| {
            answers
                .iter()
                .find(|(id, _)| *id == sid)
                .map(|(_, m)| Arc::clone(m))
        };
        let merged = match path.answers.lock().ok().and_then(|a| known(&a)) {
            Some(m) => m,
            None => {
                let m = merge::merged(self, &path.target, section);
                if let Ok(mut a) = path.answers.lock() {
                    a.push((sid, Arc::clone(&m)));
                }
                m
            }
        };
        // Built per call and dropped by the rule that asked: a 100,000-site host would
        // otherwise keep one per path and section.
        std::sync::Arc::new(merge::effective(&path.target, &merged))
    }

    /// The id [`HostConfig::effective_on`] keeps answers about `section` under: the registry's,
    /// or one of its own for a section no file declares. A name met before as undeclared is
    /// found before the registry's case-insensitive search (it has none there).
    fn section_id(&self, section: &str) -> Option<u32> {
        if let Some(id) = self.registry.exact_id(section) {
            return Some(id);
        }
        let known = |ids: &HashMap<String, u32>| ids.get(section).copied();
        if let Some(id) = self.undeclared.lock().ok().as_deref().and_then(known) {
            return Some(id);
        }
        if let Some(id) = self.registry.id_ignoring_case(section) {
            return Some(id);
        }
        let mut ids = self.undeclared.lock().ok()?;
        if let Some(id) = known(&ids) {
            return Some(id);
        }
        let id = u32::MAX - u32::try_from(ids.len()).ok()?;
        ids.insert(section.to_string(), id);
        Some(id)
    }

    /// The effective `section` at server level (applicationHost.config top level and
    /// `<location path="">`).
    pub fn effective_server(&self, section: &str) -> Effective {
        merge::compute(self, &self.server_target(), section)
    }

    /// What a site path resolves to: application, pool, virtual directory, physical path and
    /// the web.config chain. `None` when the site does not exist.
    pub fn resolve_path(&self, site: &str, url_path: &str) -> Option<ResolvedPath> {
        self.at(site, url_path).map(|v| v.resolved().clone())
    }

    /// [`HostConfig::resolve_path`] for a path already resolved by [`HostConfig::path_handle`].
    pub fn resolve_handle(&self, path: &PathHandle) -> Option<ResolvedPath> {
        path.site.map(|si| self.resolved_for(si, &path.target))
    }

    /// The URL paths that `<location>` tags and web.config files name, by site index: worked out
    /// once per host (per site it would be sites × locations).
    fn location_urls(&self) -> &HashMap<usize, Vec<String>> {
        self.location_urls.get_or_init(|| {
            let mut out: HashMap<usize, Vec<String>> = HashMap::new();
            for f in self.files.iter().filter(|f| {
                matches!(
                    f.role,
                    FileRole::ApplicationHost | FileRole::MachineConfig | FileRole::RootWebConfig
                )
            }) {
                for by_path in f.index.values() {
                    for (p, ids) in by_path {
                        let first = p.split('/').next().unwrap_or("");
                        let Some(&si) = self.site_index.get(first) else {
                            continue;
                        };
                        let raw = &self.instances[ids[0] as usize].raw_path;
                        let segs = resolve::url_segments(raw);
                        out.entry(si)
                            .or_default()
                            .push(merge::url_of(segs.get(1..).unwrap_or(&[])));
                    }
                }
            }
            for (file, wsi, url) in &self.web_config_urls {
                let urls = out.entry(*wsi).or_default();
                urls.push(url.clone());
                for by_path in self.files[*file as usize].index.values() {
                    for (p, ids) in by_path {
                        if p.is_empty() {
                            continue;
                        }
                        let raw = &self.instances[ids[0] as usize].raw_path;
                        let mut segs = resolve::url_segments(url);
                        segs.extend(resolve::url_segments(raw));
                        urls.push(merge::url_of(&segs));
                    }
                }
            }
            out
        })
    }

    /// URL paths worth evaluating for a site: the root, each application and virtual
    /// directory, each location path naming the site, each folder holding a web.config (and
    /// the location paths inside it). Sorted, without case-insensitive duplicates.
    pub fn paths_to_evaluate(&self, site: &str) -> Vec<String> {
        let Some(si) = self.site_idx(site) else {
            return Vec::new();
        };
        let s = &self.sites[si];
        let mut out: Vec<String> = vec!["/".to_string()];
        for a in &s.applications {
            out.push(a.path.clone());
            for v in &a.virtual_directories {
                out.push(v.url_path.clone());
            }
        }
        if let Some(more) = self.location_urls().get(&si) {
            out.extend(more.iter().cloned());
        }
        let mut seen = BTreeSet::new();
        out.retain(|p| seen.insert(p.to_lowercase()));
        out.sort_by_key(|p| p.to_lowercase());
        out
    }

    /// Section names set anywhere in the parsed files, sorted.
    pub fn section_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.registry.names().to_vec();
        v.sort();
        v
    }

    /// Whether `module` (e.g. `WindowsAuthenticationModule`) is installed and enabled for a
    /// site path.
    pub fn module_state(&self, site: &str, url_path: &str, module: &str) -> ModuleState {
        if self.apphost.is_none() {
            return ModuleState::Unknown;
        }
        let installed = self
            .global_modules
            .iter()
            .any(|m| m.name.eq_ignore_ascii_case(module));
        let modules = self.effective(site, url_path, sections::MODULES);
        // A real applicationHost.config always lists `<modules>`; a partial one (a support
        // engineer's excerpt, a fixture) may not. Then an installed module counts as enabled
        // rather than making every method look unusable.
        if installed && !modules.is_defined() {
            return ModuleState::Enabled;
        }
        let listed = modules.collection().iter().find(|i| {
            i.value("name")
                .is_some_and(|n| n.eq_ignore_ascii_case(module))
        });
        match listed {
            Some(i) if installed || i.value("type").is_some_and(|t| !t.trim().is_empty()) => {
                ModuleState::Enabled
            }
            _ if installed => ModuleState::InstalledNotEnabled,
            _ => ModuleState::NotInstalled,
        }
    }
}

/// Fuzzing entry point (`fuzz/fuzz_targets/parse_config.rs`; replayed over the seed corpus by
/// `cargo test`). The input is an applicationHost.config text, optionally followed by a NUL
/// byte and a site-root web.config text. Parses, then renders every section at every path
/// worth evaluating. Must never panic.
#[doc(hidden)]
pub fn fuzz_parse_config(data: &[u8]) {
    use crate::snapshot::ConfigFile;
    let text = String::from_utf8_lossy(data);
    let (apphost, web) = match text.split_once('\0') {
        Some((a, w)) => (a.to_string(), Some(w.to_string())),
        None => (text.to_string(), None),
    };
    let mut s = Snapshot::new("fuzz");
    s.files.push(ConfigFile {
        path: r"C:\Windows\System32\inetsrv\config\applicationHost.config".into(),
        role: FileRole::ApplicationHost,
        text: Some(apphost),
        error: None,
        truncated: false,
    });
    if let Some(w) = web {
        s.files.push(ConfigFile {
            path: r"C:\inetpub\wwwroot\web.config".into(),
            role: FileRole::WebConfig,
            text: Some(w),
            error: None,
            truncated: false,
        });
    }
    let h = HostConfig::from_snapshot(&s);
    let mut sites: Vec<String> = h.sites().iter().map(|s| s.name.clone()).collect();
    sites.push("x".into());
    for site in &sites {
        let mut paths = h.paths_to_evaluate(site);
        paths.push("/a/b".into());
        for p in &paths {
            let _ = ConfigReport::build(&h, site, p, None).to_text();
        }
    }
}
