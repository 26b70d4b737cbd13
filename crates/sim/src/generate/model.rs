//! The generator's internal model of one host: pools, sites, applications, virtual
//! directories, `<location>` overrides, web.config files, folders with ACLs, accounts and
//! registry values. Rendering to a [`iis_sweep::snapshot::Snapshot`] lives in `render.rs`.

use crate::fleet::Answer;
use iis_sweep::snapshot::{AccountFact, StatusCount};

/// A tiny XML element tree, rendered with indentation by [`El::write`].
#[derive(Debug, Clone)]
pub struct El {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub kids: Vec<El>,
}

impl El {
    pub fn new(name: &'static str) -> El {
        El {
            name,
            attrs: Vec::new(),
            kids: Vec::new(),
        }
    }

    /// Adds an attribute.
    pub fn a(mut self, key: &'static str, value: impl Into<String>) -> El {
        self.attrs.push((key, value.into()));
        self
    }

    /// Adds a child.
    pub fn k(mut self, kid: El) -> El {
        self.kids.push(kid);
        self
    }

    /// Adds children.
    pub fn ks(mut self, kids: impl IntoIterator<Item = El>) -> El {
        self.kids.extend(kids);
        self
    }

    /// Writes the element at `depth` levels of `indent`.
    pub fn write(&self, out: &mut String, depth: usize, indent: &str) {
        for _ in 0..depth {
            out.push_str(indent);
        }
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape_attr(out, v);
            out.push('"');
        }
        if self.kids.is_empty() {
            out.push_str(" />\n");
            return;
        }
        out.push_str(">\n");
        for kid in &self.kids {
            kid.write(out, depth + 1, indent);
        }
        for _ in 0..depth {
            out.push_str(indent);
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push_str(">\n");
    }
}

/// Escapes an attribute value.
pub fn escape_attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

/// A stored secret: encrypted the way IIS writes it, or (a plant) in plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    Enc(String),
    Plain(String),
}

impl Secret {
    pub fn text(&self) -> &str {
        match self {
            Secret::Enc(s) | Secret::Plain(s) => s,
        }
    }
}

/// `processModel/@identityType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
pub enum Identity {
    AppPoolIdentity,
    NetworkService,
    LocalSystem,
    SpecificUser,
}

/// One `applicationPools/add`.
#[derive(Debug, Clone)]
pub struct Pool {
    pub name: String,
    pub identity: Identity,
    /// `processModel/@userName` (SpecificUser).
    pub user: Option<String>,
    pub password: Option<Secret>,
    /// `managedRuntimeVersion`: `None` inherits `applicationPoolDefaults` (v4.0).
    pub runtime: Option<&'static str>,
    pub classic: bool,
    /// `enableConfigurationOverride="false"` when false.
    pub config_override: bool,
    pub always_running: bool,
    pub load_user_profile: bool,
    /// Written with an explicit `identityType="ApplicationPoolIdentity"`.
    pub explicit_identity: bool,
}

impl Pool {
    pub fn new(name: impl Into<String>) -> Pool {
        Pool {
            name: name.into(),
            identity: Identity::AppPoolIdentity,
            user: None,
            password: None,
            runtime: None,
            classic: false,
            config_override: true,
            always_running: false,
            load_user_profile: false,
            explicit_identity: false,
        }
    }
}

/// Which account anonymous authentication uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnonUser {
    /// `userName="IUSR"` (or inherited).
    Iusr,
    /// `userName=""`: the pool identity.
    Pool,
    /// A specific account with a password.
    Custom { user: String, password: Secret },
}

/// `iisClientCertificateMappingAuthentication` with one many-to-one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertMapping {
    pub name: String,
    pub user: String,
    pub password: Secret,
    pub issuer_cn: String,
}

/// Authentication settings written at one location (None = not written, inherited).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthOv {
    pub anon: Option<bool>,
    pub anon_user: Option<AnonUser>,
    pub windows: Option<bool>,
    /// `Some(vec![])` = `<providers><clear /></providers>`; `Some(list)` = clear + list.
    pub providers: Option<Vec<&'static str>>,
    pub kernel: Option<bool>,
    pub pool_creds: Option<bool>,
    pub ext_protection: Option<&'static str>,
    pub basic: Option<bool>,
    pub basic_realm: Option<String>,
    pub digest: Option<bool>,
    pub cert_ad: Option<bool>,
    pub iis_cert: Option<bool>,
    pub iis_cert_mapping: Option<CertMapping>,
}

impl AuthOv {
    pub fn is_empty(&self) -> bool {
        *self == AuthOv::default()
    }
}

/// Effective authentication at a path, as the generator understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEff {
    pub anon: bool,
    pub anon_user: AnonUser,
    pub windows: bool,
    pub providers: Vec<&'static str>,
    pub kernel: bool,
    pub pool_creds: bool,
    pub basic: bool,
    pub digest: bool,
    pub cert_ad: bool,
    pub iis_cert: bool,
}

impl AuthEff {
    pub fn apply(&mut self, ov: &AuthOv) {
        if let Some(v) = ov.anon {
            self.anon = v;
        }
        if let Some(v) = &ov.anon_user {
            self.anon_user = v.clone();
        }
        if let Some(v) = ov.windows {
            self.windows = v;
        }
        if let Some(v) = &ov.providers {
            self.providers = v.clone();
        }
        if let Some(v) = ov.kernel {
            self.kernel = v;
        }
        if let Some(v) = ov.pool_creds {
            self.pool_creds = v;
        }
        if let Some(v) = ov.basic {
            self.basic = v;
        }
        if let Some(v) = ov.digest {
            self.digest = v;
        }
        if let Some(v) = ov.cert_ad {
            self.cert_ad = v;
        }
        if let Some(v) = ov.iis_cert {
            self.iis_cert = v;
        }
    }
}

/// Settings written in one `<location path="Site/path">` of applicationHost.config.
#[derive(Debug, Clone, Default)]
pub struct Loc {
    pub auth: AuthOv,
    /// The authentication part lives in the web.config of this path instead, unlocked by an
    /// `overrideMode="Allow"` location tag.
    pub auth_in_web_config: bool,
    /// `security/access/@sslFlags`.
    pub access: Option<&'static str>,
    /// Other children of `system.webServer/security` (authorization, ipSecurity, …).
    pub security: Vec<El>,
    /// Other children of `system.webServer` (directoryBrowse, httpErrors, isapiFilters, handlers).
    pub web_server: Vec<El>,
}

/// A location entry of a site, keyed by URL path ("/" = the site itself).
#[derive(Debug, Clone)]
pub struct LocEntry {
    pub path: String,
    pub loc: Loc,
}

/// `virtualDirectory`.
#[derive(Debug, Clone)]
pub struct Vdir {
    /// Path relative to the application ("/" for the application root).
    pub path: String,
    /// `physicalPath` as written in config (may contain `%SystemDrive%`).
    pub physical: String,
    pub user: Option<(String, Secret)>,
    pub logon_method: Option<&'static str>,
    pub allow_sub_dir_config: Option<bool>,
}

/// `application`.
#[derive(Debug, Clone)]
pub struct App {
    pub path: String,
    /// `applicationPool`; None = not written (falls to applicationDefaults).
    pub pool: Option<String>,
    pub vdirs: Vec<Vdir>,
    pub preload: bool,
}

/// `binding`.
#[derive(Debug, Clone)]
pub struct Binding {
    pub protocol: &'static str,
    pub ip: &'static str,
    pub port: u16,
    pub host: String,
    pub ssl_flags: Option<u32>,
}

/// Site-level `logFile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteLog {
    Inherit,
    Directory(String),
    Flags(String),
    Disabled,
}

/// What a site is for (drives its baseline shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    DefaultWebSite,
    Public,
    Intranet,
    Api,
    Static,
    Legacy,
    Plant,
}

/// `site`.
#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    pub id: u64,
    pub kind: SiteKind,
    pub bindings: Vec<Binding>,
    pub apps: Vec<App>,
    pub locs: Vec<LocEntry>,
    pub log: SiteLog,
    /// Eligible parent for application-level plants: anonymous only, no authentication or
    /// authorization in the root web.config, no site-level security overrides, local content.
    pub plain: bool,
    /// U101 plant: host names deliberately missing from BackConnectionHostNames.
    pub loopback_planted: bool,
    /// Some config file (maybe a rejected one) enables Windows auth on this site.
    pub windows_intent: bool,
    /// Effective default documents at the site root (for C002 plants).
    pub root_docs: Vec<String>,
    /// Site-level `applicationDefaults/@applicationPool`.
    pub app_defaults_pool: Option<String>,
    pub auto_start: bool,
    /// 401 counts planted for this site's log summary.
    pub log_counts: Vec<StatusCount>,
    /// Extra normal challenge traffic (Windows/Basic sites).
    pub challenge_traffic: bool,
}

impl Site {
    /// The application that serves `url` (longest path prefix).
    pub fn app_for(&self, url: &str) -> &App {
        let mut best = &self.apps[0];
        for app in &self.apps {
            if is_ancestor_or_self(&app.path, url) && app.path.len() >= best.path.len() {
                best = app;
            }
        }
        best
    }

    /// The location entry for `path`, created empty when missing.
    pub fn loc_mut(&mut self, path: &str) -> &mut Loc {
        if let Some(i) = self.locs.iter().position(|l| l.path == path) {
            return &mut self.locs[i].loc;
        }
        self.locs.push(LocEntry {
            path: path.to_string(),
            loc: Loc::default(),
        });
        &mut self.locs.last_mut().expect("just pushed").loc
    }

    /// Every URL path that is an application or virtual directory root.
    pub fn url_paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        for app in &self.apps {
            for v in &app.vdirs {
                out.push(join_url(&app.path, &v.path));
            }
        }
        out
    }

    /// Whether any URL path segment in this site already uses `name` at the top level.
    pub fn uses_top_segment(&self, name: &str) -> bool {
        let probe = format!("/{}", name.to_lowercase());
        self.url_paths()
            .iter()
            .chain(self.locs.iter().map(|l| &l.path))
            .any(|p| {
                let p = p.to_lowercase();
                p == probe || p.starts_with(&format!("{probe}/"))
            })
    }
}

/// `a` is `b` or an ancestor of `b` in URL path terms.
pub fn is_ancestor_or_self(a: &str, b: &str) -> bool {
    if a == "/" {
        return true;
    }
    let a = a.to_lowercase();
    let b = b.to_lowercase();
    b == a || b.starts_with(&format!("{a}/"))
}

/// Joins an application path and a vdir path relative to it.
pub fn join_url(app: &str, vdir: &str) -> String {
    match (app, vdir) {
        ("/", v) => v.to_string(),
        (a, "/") => a.to_string(),
        (a, v) => format!("{a}{v}"),
    }
}

/// A web.config file.
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub site: usize,
    pub url: String,
    /// Expanded folder holding the file.
    pub dir: String,
    /// Children of `<configuration>` before system.web (appSettings, connectionStrings).
    pub top: Vec<El>,
    pub system_web: Vec<El>,
    pub web_server: Vec<El>,
    /// Written cut off before its closing tags (not well-formed XML).
    pub malformed: bool,
}

/// A folder whose security descriptor is collected.
#[derive(Debug, Clone)]
pub struct Folder {
    /// Expanded Windows path.
    pub path: String,
    pub owner: String,
    pub sddl: String,
}

/// The four LSA registry values the rules read.
#[derive(Debug, Clone, Default)]
pub struct Reg {
    pub disable_loopback_check: Option<u64>,
    pub lm_compatibility: Option<u64>,
    pub restrict_receiving_ntlm: Option<u64>,
    /// BackConnectionHostNames is forced absent (only when no site needs it).
    pub bchn_absent: bool,
    /// Extra (stale or harmless) names listed in BackConnectionHostNames.
    pub bchn_extra: Vec<String>,
    /// The final BackConnectionHostNames (None = absent).
    pub bchn: Option<Vec<String>>,
}

/// Installed IIS role services (modules in globalModules).
#[derive(Debug, Clone, Copy, Default)]
pub struct Features {
    pub aspnet: bool,
    pub aspnet35: bool,
    pub windows: bool,
    pub basic: bool,
    pub digest: bool,
    pub cert_ad: bool,
    pub iis_cert: bool,
    pub url_auth: bool,
    pub ip: bool,
    pub isapi_ext: bool,
    pub isapi_filter: bool,
    pub cgi: bool,
    pub asp: bool,
    pub rewrite: bool,
    pub dyn_compression: bool,
    pub app_init: bool,
    pub websocket: bool,
}

/// Operating system facts.
#[derive(Debug, Clone, Copy)]
pub struct OsInfo {
    pub caption: &'static str,
    pub build: &'static str,
    pub iis: &'static str,
    pub iis10: bool,
}

/// One host being generated.
pub struct HostModel {
    pub index: usize,
    pub seed: u64,
    pub name: String,
    pub fqdn: String,
    pub domain_joined: bool,
    /// Prefix of account names: `CONTOSO` or the computer name (local accounts).
    pub account_prefix: String,
    /// SID prefix for accounts (domain SID or the machine SID).
    pub account_sid_prefix: String,
    pub os: OsInfo,
    pub edition: &'static str,
    pub feat: Features,
    /// Global anonymous `userName=""` (CIS 1.6 hardened host).
    pub global_anon_pool: bool,
    /// modules/handlers inside `<location path="" overrideMode="Allow">`.
    pub handlers_in_location: bool,
    pub site_defaults_flags: bool,
    pub site_defaults_log_dir: Option<String>,
    pub pools: Vec<Pool>,
    pub sites: Vec<Site>,
    pub web_configs: Vec<WebConfig>,
    pub folders: Vec<Folder>,
    pub accounts: Vec<AccountFact>,
    pub reg: Reg,
    pub root_web_config: bool,
    pub isapi_cgi_extra: Vec<(String, String)>,
    pub answers: Vec<Answer>,
    pub next_site_id: u64,
    pub collected_at: i64,
    pub enc_counter: u32,
    /// Failed logons planted in the Security log (event 4625 data fields), newest first.
    pub failed_logons: Vec<iis_sweep::snapshot::SecurityEvent>,
}

impl HostModel {
    pub fn pool(&self, name: &str) -> Option<&Pool> {
        self.pools
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The pool serving an application.
    pub fn app_pool_name(&self, site: &Site, app: &App) -> String {
        app.pool
            .clone()
            .or_else(|| site.app_defaults_pool.clone())
            .unwrap_or_else(|| "DefaultAppPool".to_string())
    }

    /// Global (applicationHost top level) authentication.
    pub fn global_auth(&self) -> AuthEff {
        AuthEff {
            anon: true,
            anon_user: if self.global_anon_pool {
                AnonUser::Pool
            } else {
                AnonUser::Iusr
            },
            windows: false,
            providers: if self.feat.windows {
                vec!["Negotiate", "NTLM"]
            } else {
                Vec::new()
            },
            kernel: true,
            pool_creds: false,
            basic: false,
            digest: false,
            cert_ad: false,
            iis_cert: false,
        }
    }

    /// Effective authentication at `url` of site `si` (global → locations, shallow first).
    pub fn effective_auth(&self, si: usize, url: &str) -> AuthEff {
        let site = &self.sites[si];
        let mut eff = self.global_auth();
        let mut locs: Vec<&LocEntry> = site
            .locs
            .iter()
            .filter(|l| is_ancestor_or_self(&l.path, url))
            .collect();
        locs.sort_by_key(|l| if l.path == "/" { 0 } else { l.path.len() });
        for l in locs {
            eff.apply(&l.loc.auth);
        }
        eff
    }

    /// The web.config at (site, url), created empty when missing.
    pub fn web_config_mut(&mut self, si: usize, url: &str, dir: &str) -> &mut WebConfig {
        if let Some(i) = self
            .web_configs
            .iter()
            .position(|w| w.site == si && w.url == url)
        {
            return &mut self.web_configs[i];
        }
        self.web_configs.push(WebConfig {
            site: si,
            url: url.to_string(),
            dir: dir.to_string(),
            top: Vec::new(),
            system_web: Vec::new(),
            web_server: Vec::new(),
            malformed: false,
        });
        self.web_configs.last_mut().expect("just pushed")
    }

    /// Sets (or replaces) the descriptor of a folder.
    pub fn set_folder(&mut self, path: &str, owner: &str, sddl: String) {
        if let Some(f) = self
            .folders
            .iter_mut()
            .find(|f| f.path.eq_ignore_ascii_case(path))
        {
            f.owner = owner.to_string();
            f.sddl = sddl;
            return;
        }
        self.folders.push(Folder {
            path: path.to_string(),
            owner: owner.to_string(),
            sddl,
        });
    }

    pub fn folder(&self, path: &str) -> Option<&Folder> {
        self.folders
            .iter()
            .find(|f| f.path.eq_ignore_ascii_case(path))
    }

    /// Records a planted problem.
    pub fn answer(&mut self, site: Option<usize>, path: Option<&str>, rule: &str) {
        let site = site.map(|i| self.sites[i].name.clone());
        self.answers.push(Answer {
            host: self.name.clone(),
            site,
            path: path.map(str::to_string),
            rule: rule.to_string(),
        });
    }
}

/// Expands `%SystemDrive%`, `%windir%` and `%SystemRoot%` (case-insensitive).
pub fn expand(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) => {
                let var = &after[..end];
                let value = match var.to_ascii_lowercase().as_str() {
                    "systemdrive" => Some("C:"),
                    "windir" | "systemroot" => Some("C:\\Windows"),
                    _ => None,
                };
                match value {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('%');
                        out.push_str(var);
                        out.push('%');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_environment_variables() {
        assert_eq!(
            expand("%SystemDrive%\\inetpub\\wwwroot"),
            "C:\\inetpub\\wwwroot"
        );
        assert_eq!(expand("%windir%\\x"), "C:\\Windows\\x");
        assert_eq!(expand("D:\\a%b"), "D:\\a%b");
    }

    #[test]
    fn writes_escaped_xml() {
        let mut s = String::new();
        El::new("add")
            .a("scriptProcessor", "C:\\perl.exe \"%s\" & <x>")
            .write(&mut s, 1, "  ");
        assert_eq!(
            s,
            "  <add scriptProcessor=\"C:\\perl.exe &quot;%s&quot; &amp; &lt;x&gt;\" />\n"
        );
    }

    #[test]
    fn url_ancestry() {
        assert!(is_ancestor_or_self("/", "/a"));
        assert!(is_ancestor_or_self("/a", "/a/b"));
        assert!(!is_ancestor_or_self("/a", "/ab"));
        assert_eq!(join_url("/", "/x"), "/x");
        assert_eq!(join_url("/app", "/"), "/app");
        assert_eq!(join_url("/app", "/x"), "/app/x");
    }
}
