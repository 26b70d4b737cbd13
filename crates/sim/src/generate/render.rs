//! Renders a host model to a snapshot: applicationHost.config, web.config files, ACLs,
//! accounts, registry values and a 401 log summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha1::{Digest, Sha1};

use super::build::mix64;
use super::model::*;
use super::sid;
use super::texts;
use iis_sweep::snapshot::{
    AccountFact, AclFact, Collected, ConfigFile, FileRole, HostFacts, LogSummary, RegistryData,
    RegistryFact, SiteLogSummary, Snapshot, StatusCount,
};

const LSA: &str = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa";
const MSV1_0: &str = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0";
/// Where the collector finds applicationHost.config.
pub const APPHOST_PATH: &str = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config";
/// The .NET 4 framework root web.config.
pub const ROOT_WEB_CONFIG_PATH: &str =
    "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Config\\web.config";

const IND: &str = "    ";

pub(super) fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Renders the snapshot of a host.
pub(super) fn render(h: &HostModel) -> Snapshot {
    let mut snap = Snapshot::new(h.name.clone());
    let mut env = BTreeMap::new();
    env.insert("SystemDrive".to_string(), "C:".to_string());
    env.insert("SystemRoot".to_string(), "C:\\Windows".to_string());
    env.insert("windir".to_string(), "C:\\Windows".to_string());
    env.insert("ProgramFiles".to_string(), "C:\\Program Files".to_string());
    snap.host = HostFacts {
        name: h.name.clone(),
        computer_name: Some(h.name.to_uppercase()),
        fqdn: Some(h.fqdn.clone()),
        part_of_domain: Some(h.domain_joined),
        domain: Some(if h.domain_joined {
            "contoso.local".to_string()
        } else {
            "WORKGROUP".to_string()
        }),
        os: Some(format!("{} {} ({})", h.os.caption, h.edition, h.os.build)),
        iis_version: Some(h.os.iis.to_string()),
        collector_version: Some("1".to_string()),
        collected_at: Some(rfc3339(h.collected_at)),
        env,
    };
    snap.collected = Collected {
        config: true,
        web_configs: true,
        acls: true,
        accounts: true,
        registry: true,
        logs: true,
        security_log: true,
    };

    snap.files.push(ConfigFile {
        path: APPHOST_PATH.to_string(),
        role: FileRole::ApplicationHost,
        text: Some(apphost(h)),
        error: None,
        truncated: false,
    });
    if h.root_web_config {
        snap.files.push(ConfigFile {
            path: ROOT_WEB_CONFIG_PATH.to_string(),
            role: FileRole::RootWebConfig,
            text: Some(texts::ROOT_WEB_CONFIG.to_string()),
            error: None,
            truncated: false,
        });
    }
    for (path, text) in web_configs(h) {
        snap.files.push(ConfigFile {
            path,
            role: FileRole::WebConfig,
            text: Some(text),
            error: None,
            truncated: false,
        });
    }
    snap.acls = h
        .folders
        .iter()
        .map(|f| AclFact {
            path: f.path.clone(),
            owner: Some(f.owner.clone()),
            sddl: Some(f.sddl.clone()),
            error: None,
        })
        .collect();
    snap.accounts = accounts(h);
    snap.registry = registry(h);
    snap.logs = Some(logs(h));
    snap.security = Some(iis_sweep::snapshot::SecurityLog {
        days: 7,
        events: h.failed_logons.clone(),
        truncated: false,
    });
    snap
}

// --------------------------------------------------------------------------------------
// applicationHost.config
// --------------------------------------------------------------------------------------

fn session_key(h: &HostModel, provider: &str) -> String {
    let mut bytes = Vec::with_capacity(260);
    let mut block = Sha1::digest(format!("{}:{provider}:{}", h.name, h.seed).as_bytes()).to_vec();
    while bytes.len() < 256 {
        bytes.extend_from_slice(&block);
        block = Sha1::digest(&block).to_vec();
    }
    bytes.truncate(256);
    let mut out = String::from("AQIAAA5mAAAApAAA");
    out.push_str(&base64::engine::general_purpose::STANDARD.encode(&bytes));
    out
}

fn apphost(h: &HostModel) -> String {
    let mut out = String::with_capacity(48 * 1024);
    out.push_str(texts::APPHOST_HEAD);
    out.push_str(texts::CONFIG_SECTIONS_HEAD);
    if h.feat.rewrite {
        out.push_str(texts::CONFIG_SECTIONS_REWRITE);
    }
    out.push_str(texts::CONFIG_SECTIONS_TAIL);
    let _ = write!(
        out,
        "{}",
        texts::config_protected_data(
            &session_key(h, "AesProvider"),
            &session_key(h, "IISWASOnlyAesProvider")
        )
    );

    // system.applicationHost
    out.push_str("    <system.applicationHost>\n\n");
    pools_el(h).write(&mut out, 2, IND);
    out.push_str(texts::APPHOST_MIDDLE);
    sites_el(h).write(&mut out, 2, IND);
    out.push_str("\n        <webLimits />\n\n    </system.applicationHost>\n\n");

    // system.webServer
    out.push_str("    <system.webServer>\n\n");
    out.push_str("        <asp />\n\n");
    out.push_str(
        "        <caching enabled=\"true\" enableKernelCache=\"true\">\n        </caching>\n\n",
    );
    out.push_str("        <cgi />\n\n");
    default_document_el(h).write(&mut out, 2, IND);
    out.push_str("\n        <directoryBrowse enabled=\"false\" />\n\n        <fastCgi />\n\n");
    out.push_str(texts::GLOBAL_MODULES_COMMENT);
    global_modules_el(h).write(&mut out, 2, IND);
    out.push('\n');
    if !h.handlers_in_location {
        handlers_el(h).write(&mut out, 2, IND);
        out.push('\n');
    }
    out.push_str(texts::HTTP_COMPRESSION);
    out.push_str(texts::HTTP_ERRORS);
    out.push_str(texts::HTTP_MISC);
    isapi_filters_el(h).write(&mut out, 2, IND);
    out.push('\n');
    if !h.handlers_in_location {
        modules_el(h).write(&mut out, 2, IND);
        out.push('\n');
    }
    out.push_str("        <odbcLogging />\n\n");
    security_el(h).write(&mut out, 2, IND);
    out.push_str("\n        <serverRuntime />\n\n        <serverSideInclude />\n\n");
    out.push_str(texts::STATIC_CONTENT_HEAD);
    if h.os.iis10 {
        out.push_str(texts::STATIC_CONTENT_IIS10);
    }
    out.push_str(texts::STATIC_CONTENT_TAIL);
    out.push_str(texts::WEB_SERVER_TAIL);
    out.push_str("    </system.webServer>\n");

    if h.handlers_in_location {
        out.push_str(
            "    <location path=\"\" overrideMode=\"Allow\">\n        <system.webServer>\n",
        );
        modules_el(h).write(&mut out, 3, IND);
        handlers_el(h).write(&mut out, 3, IND);
        out.push_str("        </system.webServer>\n    </location>\n");
    }
    for el in location_els(h) {
        el.write(&mut out, 1, IND);
    }
    out.push_str("</configuration>\n");
    out
}

fn pools_el(h: &HostModel) -> El {
    let mut pools = El::new("applicationPools");
    for p in &h.pools {
        let mut e = El::new("add").a("name", &p.name);
        if !p.config_override {
            e = e.a("enableConfigurationOverride", "false");
        }
        if let Some(rt) = p.runtime {
            e = e.a("managedRuntimeVersion", rt);
        }
        if p.classic {
            e = e.a("managedPipelineMode", "Classic");
        }
        if p.always_running {
            e = e.a("startMode", "AlwaysRunning");
        }
        let pm = match p.identity {
            Identity::AppPoolIdentity if p.explicit_identity => {
                Some(El::new("processModel").a("identityType", "ApplicationPoolIdentity"))
            }
            Identity::AppPoolIdentity => None,
            Identity::NetworkService => {
                Some(El::new("processModel").a("identityType", "NetworkService"))
            }
            Identity::LocalSystem => Some(El::new("processModel").a("identityType", "LocalSystem")),
            Identity::SpecificUser => {
                let mut pm = El::new("processModel")
                    .a("identityType", "SpecificUser")
                    .a("userName", p.user.clone().unwrap_or_default());
                if let Some(pw) = &p.password {
                    pm = pm.a("password", pw.text());
                }
                if p.load_user_profile {
                    pm = pm.a("loadUserProfile", "true");
                }
                Some(pm)
            }
        };
        if let Some(pm) = pm {
            e = e.k(pm);
        }
        pools = pools.k(e);
    }
    pools.k(El::new("applicationPoolDefaults")
        .a("managedRuntimeVersion", "v4.0")
        .k(El::new("processModel").a("identityType", "ApplicationPoolIdentity")))
}

const FULL_FLAGS: &str = "Date, Time, ClientIP, UserName, ServerIP, Method, UriStem, UriQuery, \
                          HttpStatus, Win32Status, TimeTaken, ServerPort, UserAgent, Referer, \
                          HttpSubStatus";

fn sites_el(h: &HostModel) -> El {
    let mut sites = El::new("sites");
    for s in &h.sites {
        let mut site = El::new("site").a("name", &s.name).a("id", s.id.to_string());
        if s.auto_start {
            site = site.a("serverAutoStart", "true");
        }
        for app in &s.apps {
            let mut a = El::new("application").a("path", &app.path);
            if let Some(p) = &app.pool {
                a = a.a("applicationPool", p);
            }
            if app.preload {
                a = a.a("preloadEnabled", "true");
            }
            for v in &app.vdirs {
                let mut e = El::new("virtualDirectory")
                    .a("path", &v.path)
                    .a("physicalPath", &v.physical);
                if let Some((user, pw)) = &v.user {
                    e = e.a("userName", user).a("password", pw.text());
                }
                if let Some(m) = v.logon_method {
                    e = e.a("logonMethod", m);
                }
                if let Some(allow) = v.allow_sub_dir_config {
                    e = e.a("allowSubDirConfig", if allow { "true" } else { "false" });
                }
                a = a.k(e);
            }
            site = site.k(a);
        }
        let mut bindings = El::new("bindings");
        for b in &s.bindings {
            let mut e = El::new("binding").a("protocol", b.protocol).a(
                "bindingInformation",
                format!("{}:{}:{}", b.ip, b.port, b.host),
            );
            if let Some(f) = b.ssl_flags {
                e = e.a("sslFlags", f.to_string());
            }
            bindings = bindings.k(e);
        }
        site = site.k(bindings);
        match &s.log {
            SiteLog::Inherit => {}
            SiteLog::Directory(d) => site = site.k(El::new("logFile").a("directory", d)),
            SiteLog::Flags(f) => site = site.k(El::new("logFile").a("logExtFileFlags", f)),
            SiteLog::Disabled => site = site.k(El::new("logFile").a("enabled", "false")),
        }
        if let Some(p) = &s.app_defaults_pool {
            site = site.k(El::new("applicationDefaults").a("applicationPool", p));
        }
        sites = sites.k(site);
    }
    let mut log = El::new("logFile").a("logFormat", "W3C").a(
        "directory",
        h.site_defaults_log_dir
            .clone()
            .unwrap_or_else(|| "%SystemDrive%\\inetpub\\logs\\LogFiles".to_string()),
    );
    if h.site_defaults_flags {
        log = log.a("logExtFileFlags", FULL_FLAGS);
    }
    sites
        .k(El::new("siteDefaults")
            .k(log)
            .k(El::new("traceFailedRequestsLogging").a(
                "directory",
                "%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles",
            )))
        .k(El::new("applicationDefaults").a("applicationPool", "DefaultAppPool"))
        .k(El::new("virtualDirectoryDefaults").a("allowSubDirConfig", "true"))
}

fn default_document_el(h: &HostModel) -> El {
    let mut files = El::new("files");
    for d in [
        "Default.htm",
        "Default.asp",
        "index.htm",
        "index.html",
        "iisstart.htm",
    ] {
        files = files.k(El::new("add").a("value", d));
    }
    if h.feat.aspnet {
        files = files.k(El::new("add").a("value", "default.aspx"));
    }
    El::new("defaultDocument").a("enabled", "true").k(files)
}

/// (name, image, preCondition) of every installed native module.
fn native_modules(h: &HostModel) -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    let f = &h.feat;
    let mut m: Vec<(&'static str, &'static str, Option<&'static str>)> = vec![
        (
            "HttpLoggingModule",
            "%windir%\\System32\\inetsrv\\loghttp.dll",
            None,
        ),
        (
            "UriCacheModule",
            "%windir%\\System32\\inetsrv\\cachuri.dll",
            None,
        ),
        (
            "FileCacheModule",
            "%windir%\\System32\\inetsrv\\cachfile.dll",
            None,
        ),
        (
            "TokenCacheModule",
            "%windir%\\System32\\inetsrv\\cachtokn.dll",
            None,
        ),
        (
            "HttpCacheModule",
            "%windir%\\System32\\inetsrv\\cachhttp.dll",
            None,
        ),
    ];
    if f.dyn_compression {
        m.push((
            "DynamicCompressionModule",
            "%windir%\\System32\\inetsrv\\compdyn.dll",
            None,
        ));
    }
    m.extend([
        (
            "StaticCompressionModule",
            "%windir%\\System32\\inetsrv\\compstat.dll",
            None,
        ),
        (
            "DefaultDocumentModule",
            "%windir%\\System32\\inetsrv\\defdoc.dll",
            None,
        ),
        (
            "DirectoryListingModule",
            "%windir%\\System32\\inetsrv\\dirlist.dll",
            None,
        ),
        (
            "ProtocolSupportModule",
            "%windir%\\System32\\inetsrv\\protsup.dll",
            None,
        ),
        (
            "HttpRedirectionModule",
            "%windir%\\System32\\inetsrv\\redirect.dll",
            None,
        ),
        (
            "StaticFileModule",
            "%windir%\\System32\\inetsrv\\static.dll",
            None,
        ),
        (
            "AnonymousAuthenticationModule",
            "%windir%\\System32\\inetsrv\\authanon.dll",
            None,
        ),
    ]);
    if f.cert_ad {
        m.push((
            "CertificateMappingAuthenticationModule",
            "%windir%\\System32\\inetsrv\\authcert.dll",
            None,
        ));
    }
    if f.url_auth {
        m.push((
            "UrlAuthorizationModule",
            "%windir%\\System32\\inetsrv\\urlauthz.dll",
            None,
        ));
    }
    if f.basic {
        m.push((
            "BasicAuthenticationModule",
            "%windir%\\System32\\inetsrv\\authbas.dll",
            None,
        ));
    }
    if f.windows {
        m.push((
            "WindowsAuthenticationModule",
            "%windir%\\System32\\inetsrv\\authsspi.dll",
            None,
        ));
    }
    if f.digest {
        m.push((
            "DigestAuthenticationModule",
            "%windir%\\System32\\inetsrv\\authmd5.dll",
            None,
        ));
    }
    if f.iis_cert {
        m.push((
            "IISCertificateMappingAuthenticationModule",
            "%windir%\\System32\\inetsrv\\authmap.dll",
            None,
        ));
    }
    if f.ip {
        m.push((
            "IpRestrictionModule",
            "%windir%\\System32\\inetsrv\\iprestr.dll",
            None,
        ));
        m.push((
            "DynamicIpRestrictionModule",
            "%windir%\\System32\\inetsrv\\diprestr.dll",
            None,
        ));
    }
    m.push((
        "RequestFilteringModule",
        "%windir%\\System32\\inetsrv\\modrqflt.dll",
        None,
    ));
    m.push((
        "CustomErrorModule",
        "%windir%\\System32\\inetsrv\\custerr.dll",
        None,
    ));
    if f.isapi_ext || f.asp {
        m.push((
            "IsapiModule",
            "%windir%\\System32\\inetsrv\\isapi.dll",
            None,
        ));
    }
    if f.isapi_filter {
        m.push((
            "IsapiFilterModule",
            "%windir%\\System32\\inetsrv\\filter.dll",
            None,
        ));
    }
    if f.cgi {
        m.push(("CgiModule", "%windir%\\System32\\inetsrv\\cgi.dll", None));
    }
    m.extend([
        (
            "RequestMonitorModule",
            "%windir%\\System32\\inetsrv\\iisreqs.dll",
            None,
        ),
        (
            "TracingModule",
            "%windir%\\System32\\inetsrv\\iisetw.dll",
            None,
        ),
        (
            "FailedRequestsTracingModule",
            "%windir%\\System32\\inetsrv\\iisfreb.dll",
            None,
        ),
    ]);
    if f.app_init {
        m.push((
            "ApplicationInitializationModule",
            "%windir%\\System32\\inetsrv\\warmup.dll",
            None,
        ));
    }
    if f.websocket {
        m.push((
            "WebSocketModule",
            "%windir%\\System32\\inetsrv\\iiswsock.dll",
            None,
        ));
    }
    if f.rewrite {
        m.push((
            "RewriteModule",
            "%SystemRoot%\\system32\\inetsrv\\rewrite.dll",
            None,
        ));
    }
    m.push((
        "ConfigurationValidationModule",
        "%windir%\\System32\\inetsrv\\validcfg.dll",
        None,
    ));
    if f.aspnet35 {
        m.push((
            "ManagedEngine64",
            "%windir%\\Microsoft.NET\\Framework64\\v2.0.50727\\webengine.dll",
            Some("integratedMode,runtimeVersionv2.0,bitness64"),
        ));
        m.push((
            "ManagedEngine",
            "%windir%\\Microsoft.NET\\Framework\\v2.0.50727\\webengine.dll",
            Some("integratedMode,runtimeVersionv2.0,bitness32"),
        ));
    }
    if f.aspnet {
        m.push((
            "ManagedEngineV4.0_32bit",
            "%windir%\\Microsoft.NET\\Framework\\v4.0.30319\\webengine4.dll",
            Some("integratedMode,runtimeVersionv4.0,bitness32"),
        ));
        m.push((
            "ManagedEngineV4.0_64bit",
            "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\webengine4.dll",
            Some("integratedMode,runtimeVersionv4.0,bitness64"),
        ));
    }
    m
}

fn global_modules_el(h: &HostModel) -> El {
    let mut el = El::new("globalModules");
    for (name, image, pre) in native_modules(h) {
        let mut e = El::new("add").a("name", name).a("image", image);
        if let Some(p) = pre {
            e = e.a("preCondition", p);
        }
        el = el.k(e);
    }
    el
}

fn modules_el(h: &HostModel) -> El {
    let mut el = El::new("modules");
    for (name, _, pre) in native_modules(h) {
        if pre.is_some() {
            continue;
        }
        el = el.k(El::new("add").a("name", name).a("lockItem", "true"));
    }
    if h.feat.aspnet {
        for (name, ty, pre) in texts::MANAGED_MODULES {
            el = el.k(El::new("add")
                .a("name", *name)
                .a("type", *ty)
                .a("preCondition", *pre));
        }
    }
    el
}

fn handler(name: &str, path: &str, verb: &str) -> El {
    El::new("add")
        .a("name", name)
        .a("path", path)
        .a("verb", verb)
}

fn handlers_el(h: &HostModel) -> El {
    let mut el = El::new("handlers").a("accessPolicy", "Read, Script");
    let f = &h.feat;
    if f.aspnet {
        for (bits, fw) in [("64", "Framework64"), ("32", "Framework")] {
            let isapi = format!("%windir%\\Microsoft.NET\\{fw}\\v4.0.30319\\aspnet_isapi.dll");
            let pre = format!("classicMode,runtimeVersionv4.0,bitness{bits}");
            for (kind, path) in [
                ("AXD", "*.axd"),
                ("PageHandlerFactory", "*.aspx"),
                ("SimpleHandlerFactory", "*.ashx"),
                ("WebServiceHandlerFactory", "*.asmx"),
            ] {
                el = el.k(handler(
                    &format!("{kind}-ISAPI-4.0_{bits}bit"),
                    path,
                    "GET,HEAD,POST,DEBUG",
                )
                .a("modules", "IsapiModule")
                .a("scriptProcessor", &isapi)
                .a("preCondition", &pre)
                .a("responseBufferLimit", "0"));
            }
        }
        for (name, path, verb, ty) in texts::INTEGRATED_HANDLERS {
            el = el.k(handler(name, path, verb)
                .a("type", *ty)
                .a("preCondition", "integratedMode,runtimeVersionv4.0"));
        }
        for (bits, fw) in [("64", "Framework64"), ("32", "Framework")] {
            el = el.k(handler(
                &format!("ExtensionlessUrlHandler-ISAPI-4.0_{bits}bit"),
                "*.",
                "GET,HEAD,POST,DEBUG",
            )
            .a("modules", "IsapiModule")
            .a(
                "scriptProcessor",
                format!("%windir%\\Microsoft.NET\\{fw}\\v4.0.30319\\aspnet_isapi.dll"),
            )
            .a(
                "preCondition",
                format!("classicMode,runtimeVersionv4.0,bitness{bits}"),
            )
            .a("responseBufferLimit", "0"));
        }
        el = el.k(handler(
            "ExtensionlessUrlHandler-Integrated-4.0",
            "*.",
            "GET,HEAD,POST,DEBUG",
        )
        .a("type", "System.Web.Handlers.TransferRequestHandler")
        .a("preCondition", "integratedMode,runtimeVersionv4.0")
        .a("responseBufferLimit", "0"));
    }
    if f.aspnet35 {
        el = el.k(handler(
            "PageHandlerFactory-ISAPI-2.0-64",
            "*.aspx",
            "GET,HEAD,POST,DEBUG",
        )
        .a("modules", "IsapiModule")
        .a(
            "scriptProcessor",
            "%windir%\\Microsoft.NET\\Framework64\\v2.0.50727\\aspnet_isapi.dll",
        )
        .a("preCondition", "classicMode,runtimeVersionv2.0,bitness64")
        .a("responseBufferLimit", "0"));
        el = el.k(handler(
            "PageHandlerFactory-Integrated",
            "*.aspx",
            "GET,HEAD,POST,DEBUG",
        )
        .a("type", "System.Web.UI.PageHandlerFactory")
        .a("preCondition", "integratedMode"));
    }
    if f.asp {
        el = el.k(handler("ASPClassic", "*.asp", "GET,HEAD,POST")
            .a("modules", "IsapiModule")
            .a("scriptProcessor", "%windir%\\system32\\inetsrv\\asp.dll")
            .a("resourceType", "File"));
    }
    if f.cgi {
        el = el.k(handler("CGI-exe", "*.exe", "*")
            .a("modules", "CgiModule")
            .a("resourceType", "File")
            .a("requireAccess", "Execute")
            .a("allowPathInfo", "true"));
    }
    if f.isapi_ext {
        el = el.k(handler("ISAPI-dll", "*.dll", "*")
            .a("modules", "IsapiModule")
            .a("resourceType", "File")
            .a("requireAccess", "Execute")
            .a("allowPathInfo", "true"));
    }
    el.k(handler("TRACEVerbHandler", "*", "TRACE")
        .a("modules", "ProtocolSupportModule")
        .a("requireAccess", "None"))
        .k(handler("OPTIONSVerbHandler", "*", "OPTIONS")
            .a("modules", "ProtocolSupportModule")
            .a("requireAccess", "None"))
        .k(handler("StaticFile", "*", "*")
            .a(
                "modules",
                "StaticFileModule,DefaultDocumentModule,DirectoryListingModule",
            )
            .a("resourceType", "Either")
            .a("requireAccess", "Read"))
}

fn isapi_filters_el(h: &HostModel) -> El {
    let mut el = El::new("isapiFilters");
    if h.feat.aspnet35 {
        el = el
            .k(El::new("filter")
                .a("name", "ASP.Net_2.0.50727-64")
                .a(
                    "path",
                    "%windir%\\Microsoft.NET\\Framework64\\v2.0.50727\\aspnet_filter.dll",
                )
                .a("enableCache", "true")
                .a("preCondition", "bitness64,runtimeVersionv2.0"))
            .k(El::new("filter")
                .a("name", "ASP.Net_2.0.50727.0")
                .a(
                    "path",
                    "%windir%\\Microsoft.NET\\Framework\\v2.0.50727\\aspnet_filter.dll",
                )
                .a("enableCache", "true")
                .a("preCondition", "bitness32,runtimeVersionv2.0"));
    }
    if h.feat.aspnet {
        el = el
            .k(El::new("filter")
                .a("name", "ASP.Net_4.0_64bit")
                .a(
                    "path",
                    "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_filter.dll",
                )
                .a("enableCache", "true")
                .a("preCondition", "runtimeVersionv4.0,bitness64"))
            .k(El::new("filter")
                .a("name", "ASP.Net_4.0_32bit")
                .a(
                    "path",
                    "%windir%\\Microsoft.NET\\Framework\\v4.0.30319\\aspnet_filter.dll",
                )
                .a("enableCache", "true")
                .a("preCondition", "runtimeVersionv4.0,bitness32"));
    }
    el
}

fn security_el(h: &HostModel) -> El {
    let f = &h.feat;
    let mut deps = El::new("applicationDependencies");
    if f.aspnet {
        deps = deps.k(El::new("application")
            .a("name", "ASP.NET v4.5")
            .a("groupId", "ASP.NET v4.5")
            .k(El::new("add").a("groupId", "ASP.NET v4.0.30319")));
    }
    if f.asp {
        deps = deps.k(El::new("application")
            .a("name", "Active Server Pages")
            .a("groupId", "ASP"));
    }
    let anon = El::new("anonymousAuthentication")
        .a("enabled", "true")
        .a("userName", if h.global_anon_pool { "" } else { "IUSR" });
    let disabled = |name: &'static str, installed: bool| {
        if installed {
            El::new(name).a("enabled", "false")
        } else {
            El::new(name)
        }
    };
    let windows = if f.windows {
        El::new("windowsAuthentication")
            .a("enabled", "false")
            .a("authPersistNonNTLM", "true")
            .k(El::new("providers")
                .k(El::new("add").a("value", "Negotiate"))
                .k(El::new("add").a("value", "NTLM")))
    } else {
        El::new("windowsAuthentication")
    };
    let authn = El::new("authentication")
        .k(anon)
        .k(disabled("basicAuthentication", f.basic))
        .k(disabled(
            "clientCertificateMappingAuthentication",
            f.cert_ad,
        ))
        .k(disabled("digestAuthentication", f.digest))
        .k(disabled(
            "iisClientCertificateMappingAuthentication",
            f.iis_cert,
        ))
        .k(windows);
    let authz = if f.url_auth {
        El::new("authorization").k(El::new("add").a("accessType", "Allow").a("users", "*"))
    } else {
        El::new("authorization")
    };
    let ip = if f.ip {
        El::new("ipSecurity").a("allowUnlisted", "true")
    } else {
        El::new("ipSecurity")
    };
    let mut restrictions = El::new("isapiCgiRestriction");
    if f.aspnet35 {
        for fw in ["Framework64", "Framework"] {
            restrictions = restrictions.k(El::new("add")
                .a(
                    "path",
                    format!("%windir%\\Microsoft.NET\\{fw}\\v2.0.50727\\aspnet_isapi.dll"),
                )
                .a("allowed", "true")
                .a("groupId", "ASP.NET v2.0.50727")
                .a("description", "ASP.NET v2.0.50727"));
        }
    }
    if f.aspnet {
        for fw in ["Framework64", "Framework"] {
            restrictions = restrictions.k(El::new("add")
                .a(
                    "path",
                    format!("%windir%\\Microsoft.NET\\{fw}\\v4.0.30319\\aspnet_isapi.dll"),
                )
                .a("allowed", "true")
                .a("groupId", "ASP.NET v4.0.30319")
                .a("description", "ASP.NET v4.0.30319"));
        }
    }
    if f.asp {
        restrictions = restrictions.k(El::new("add")
            .a("path", "%windir%\\system32\\inetsrv\\asp.dll")
            .a("allowed", "true")
            .a("groupId", "ASP")
            .a("description", "Active Server Pages"));
    }
    for (path, desc) in &h.isapi_cgi_extra {
        restrictions = restrictions.k(El::new("add")
            .a("path", path)
            .a("allowed", "true")
            .a("description", desc));
    }
    El::new("security")
        .k(El::new("access").a("sslFlags", "None"))
        .k(deps)
        .k(authn)
        .k(authz)
        .k(ip)
        .k(restrictions)
        .k(texts::request_filtering())
}

// --------------------------------------------------------------------------------------
// Locations
// --------------------------------------------------------------------------------------

/// The authentication elements an override writes.
fn auth_els(ov: &AuthOv) -> Vec<El> {
    let mut out = Vec::new();
    if ov.anon.is_some() || ov.anon_user.is_some() {
        let mut e = El::new("anonymousAuthentication");
        if let Some(v) = ov.anon {
            e = e.a("enabled", v.to_string());
        }
        match &ov.anon_user {
            Some(AnonUser::Iusr) => e = e.a("userName", "IUSR"),
            Some(AnonUser::Pool) => e = e.a("userName", ""),
            Some(AnonUser::Custom { user, password }) => {
                e = e.a("userName", user).a("password", password.text())
            }
            None => {}
        }
        out.push(e);
    }
    if ov.basic.is_some() || ov.basic_realm.is_some() {
        let mut e = El::new("basicAuthentication");
        if let Some(v) = ov.basic {
            e = e.a("enabled", v.to_string());
        }
        if let Some(r) = &ov.basic_realm {
            e = e.a("realm", r).a("defaultLogonDomain", r.to_uppercase());
        }
        out.push(e);
    }
    if let Some(v) = ov.cert_ad {
        out.push(El::new("clientCertificateMappingAuthentication").a("enabled", v.to_string()));
    }
    if let Some(v) = ov.digest {
        out.push(El::new("digestAuthentication").a("enabled", v.to_string()));
    }
    if ov.iis_cert.is_some() || ov.iis_cert_mapping.is_some() {
        let mut e = El::new("iisClientCertificateMappingAuthentication");
        if let Some(v) = ov.iis_cert {
            e = e.a("enabled", v.to_string());
        }
        if let Some(m) = &ov.iis_cert_mapping {
            e = e
                .a("manyToOneCertificateMappingsEnabled", "true")
                .a("oneToOneCertificateMappingsEnabled", "false")
                .k(El::new("manyToOneMappings").k(El::new("add")
                    .a("name", &m.name)
                    .a("userName", &m.user)
                    .a("password", m.password.text())
                    .k(El::new("rules").k(El::new("add")
                        .a("certificateField", "Issuer")
                        .a("certificateSubField", "CN")
                        .a("matchCriteria", &m.issuer_cn)))));
        }
        out.push(e);
    }
    if ov.windows.is_some()
        || ov.providers.is_some()
        || ov.kernel.is_some()
        || ov.pool_creds.is_some()
        || ov.ext_protection.is_some()
    {
        let mut e = El::new("windowsAuthentication");
        if let Some(v) = ov.windows {
            e = e.a("enabled", v.to_string());
        }
        if let Some(v) = ov.kernel {
            e = e.a("useKernelMode", v.to_string());
        }
        if let Some(v) = ov.pool_creds {
            e = e.a("useAppPoolCredentials", v.to_string());
        }
        if let Some(t) = ov.ext_protection {
            e = e.k(El::new("extendedProtection").a("tokenChecking", t));
        }
        if let Some(list) = &ov.providers {
            let mut p = El::new("providers").k(El::new("clear"));
            for v in list {
                p = p.k(El::new("add").a("value", *v));
            }
            e = e.k(p);
        }
        out.push(e);
    }
    out
}

/// Empty elements naming the sections an override sets (for an unlock location).
fn auth_section_names(ov: &AuthOv) -> Vec<El> {
    auth_els(ov).into_iter().map(|e| El::new(e.name)).collect()
}

fn location_path(site: &Site, path: &str) -> String {
    if path == "/" {
        site.name.clone()
    } else {
        format!("{}{}", site.name, path)
    }
}

fn location_els(h: &HostModel) -> Vec<El> {
    let mut out = Vec::new();
    for site in &h.sites {
        for entry in &site.locs {
            let loc = &entry.loc;
            let path = location_path(site, &entry.path);
            let auth_in_apphost = !loc.auth_in_web_config;
            if loc.auth_in_web_config && !loc.auth.is_empty() {
                out.push(
                    El::new("location")
                        .a("path", &path)
                        .a("overrideMode", "Allow")
                        .k(El::new("system.webServer").k(El::new("security")
                            .k(El::new("authentication").ks(auth_section_names(&loc.auth))))),
                );
            }
            let mut security = Vec::new();
            if let Some(flags) = loc.access {
                security.push(El::new("access").a("sslFlags", flags));
            }
            if auth_in_apphost && !loc.auth.is_empty() {
                security.insert(0, El::new("authentication").ks(auth_els(&loc.auth)));
            }
            security.extend(loc.security.iter().cloned());
            let mut ws = Vec::new();
            if !security.is_empty() {
                ws.push(El::new("security").ks(security));
            }
            ws.extend(loc.web_server.iter().cloned());
            if ws.is_empty() {
                continue;
            }
            out.push(
                El::new("location")
                    .a("path", &path)
                    .k(El::new("system.webServer").ks(ws)),
            );
        }
    }
    out
}

// --------------------------------------------------------------------------------------
// web.config files
// --------------------------------------------------------------------------------------

fn web_configs(h: &HostModel) -> Vec<(String, String)> {
    // Authentication that lives in a web.config (unlocked by an overrideMode="Allow" tag).
    let mut auth_in_wc: Vec<(usize, String, Vec<El>)> = Vec::new();
    for (si, site) in h.sites.iter().enumerate() {
        for entry in &site.locs {
            if entry.loc.auth_in_web_config && !entry.loc.auth.is_empty() {
                auth_in_wc.push((si, entry.path.clone(), auth_els(&entry.loc.auth)));
            }
        }
    }
    let mut configs: Vec<WebConfig> = h.web_configs.clone();
    for (si, url, _) in &auth_in_wc {
        if !configs.iter().any(|w| w.site == *si && &w.url == url) {
            let site = &h.sites[*si];
            let app = site.app_for(url);
            let dir = expand(&app.vdirs[0].physical);
            configs.push(WebConfig {
                site: *si,
                url: url.clone(),
                dir,
                top: Vec::new(),
                system_web: Vec::new(),
                web_server: Vec::new(),
                malformed: false,
            });
        }
    }
    let mut out = Vec::with_capacity(configs.len());
    for wc in &configs {
        let mut web_server = wc.web_server.clone();
        if let Some((_, _, auth)) = auth_in_wc
            .iter()
            .find(|(si, url, _)| *si == wc.site && url == &wc.url)
        {
            let authn = El::new("authentication").ks(auth.iter().cloned());
            match web_server.iter_mut().find(|e| e.name == "security") {
                Some(sec) => sec.kids.insert(0, authn),
                None => web_server.insert(0, El::new("security").k(authn)),
            }
        }
        let mut root = El::new("configuration").ks(wc.top.iter().cloned());
        if !wc.system_web.is_empty() {
            root = root.k(El::new("system.web").ks(wc.system_web.iter().cloned()));
        }
        if !web_server.is_empty() {
            root = root.k(El::new("system.webServer").ks(web_server));
        }
        let style = mix64(h.seed ^ wc.dir.len() as u64 ^ (wc.site as u64) << 8) % 10;
        let mut text = String::with_capacity(1024);
        text.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        if style < 3 {
            text.push_str(
                "<!--\n  For more information on how to configure your ASP.NET application, please visit\n  https://go.microsoft.com/fwlink/?LinkId=301880\n  -->\n",
            );
        }
        root.write(&mut text, 0, if style < 8 { "  " } else { "    " });
        if wc.malformed {
            // Cut off before its last closing tags, as a failed deployment leaves it.
            let keep = text.trim_end().rfind("</").unwrap_or(text.len());
            let keep = text[..keep].trim_end().rfind("</").unwrap_or(keep);
            text.truncate(keep);
        }
        out.push((format!("{}\\web.config", wc.dir), text));
    }
    out
}

// --------------------------------------------------------------------------------------
// Accounts, registry, logs
// --------------------------------------------------------------------------------------

fn fact(name: &str, sid: &str, groups: Vec<String>) -> AccountFact {
    AccountFact {
        name: name.to_string(),
        sid: Some(sid.to_string()),
        groups,
        enabled: None,
        error: None,
    }
}

fn accounts(h: &HostModel) -> Vec<AccountFact> {
    let mut out = vec![
        fact("IUSR", sid::IUSR, sid::iusr_groups()),
        fact("IIS_IUSRS", sid::IIS_IUSRS, Vec::new()),
        fact("Everyone", sid::EVERYONE, Vec::new()),
        fact(
            "NT AUTHORITY\\Authenticated Users",
            sid::AUTHENTICATED_USERS,
            Vec::new(),
        ),
        fact("BUILTIN\\Users", sid::USERS, Vec::new()),
    ];
    if h.domain_joined {
        out.push(fact(
            "CONTOSO\\Domain Users",
            &sid::domain_users_sid(),
            Vec::new(),
        ));
    }
    let mut network_service = false;
    let mut local_system = false;
    for p in &h.pools {
        out.push(fact(
            &format!("IIS APPPOOL\\{}", p.name),
            &sid::app_pool_sid(&p.name),
            sid::pool_identity_groups(),
        ));
        network_service |= p.identity == Identity::NetworkService;
        local_system |= p.identity == Identity::LocalSystem;
    }
    if network_service {
        out.push(fact(
            "NT AUTHORITY\\NETWORK SERVICE",
            sid::NETWORK_SERVICE,
            [
                sid::EVERYONE,
                sid::USERS,
                sid::SERVICE,
                sid::AUTHENTICATED_USERS,
                sid::THIS_ORGANIZATION,
                sid::IIS_IUSRS,
                sid::LOCAL,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ));
    }
    if local_system {
        out.push(fact(
            "NT AUTHORITY\\SYSTEM",
            sid::LOCAL_SYSTEM,
            [
                sid::ADMINISTRATORS,
                sid::EVERYONE,
                sid::AUTHENTICATED_USERS,
                sid::IIS_IUSRS,
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ));
    }
    out.extend(h.accounts.iter().cloned());
    out
}

fn dword(key: &str, name: &str, value: Option<u64>) -> RegistryFact {
    RegistryFact {
        key: key.to_string(),
        name: name.to_string(),
        kind: value.map(|_| "REG_DWORD".to_string()),
        data: value.map(RegistryData::Number),
    }
}

fn registry(h: &HostModel) -> Vec<RegistryFact> {
    let r = &h.reg;
    vec![
        dword(LSA, "DisableLoopbackCheck", r.disable_loopback_check),
        dword(LSA, "LmCompatibilityLevel", r.lm_compatibility),
        RegistryFact {
            key: MSV1_0.to_string(),
            name: "BackConnectionHostNames".to_string(),
            kind: r.bchn.as_ref().map(|_| "REG_MULTI_SZ".to_string()),
            data: r.bchn.clone().map(RegistryData::Lines),
        },
        dword(
            MSV1_0,
            "RestrictReceivingNTLMTraffic",
            r.restrict_receiving_ntlm,
        ),
    ]
}

fn logs(h: &HostModel) -> LogSummary {
    let mut sites = Vec::new();
    for site in &h.sites {
        if site.log == SiteLog::Disabled {
            continue;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(mix64(h.seed ^ mix64(h.index as u64) ^ site.id));
        let substatus_logged = match &site.log {
            SiteLog::Flags(f) => f.contains("HttpSubStatus") && f.contains("Win32Status"),
            _ => true,
        };
        let mut counts: Vec<StatusCount> = Vec::new();
        if substatus_logged {
            let windows = site.locs.iter().any(|l| l.loc.auth.windows == Some(true));
            if site.challenge_traffic || windows {
                let n = rng.random_range(200..20_000u64);
                counts.push(StatusCount {
                    status: 401,
                    substatus: 2,
                    win32: 5,
                    count: n,
                });
                if windows {
                    counts.push(StatusCount {
                        status: 401,
                        substatus: 1,
                        win32: 2_148_074_254,
                        count: n * rng.random_range(70..100u64) / 100,
                    });
                }
                if rng.random_bool(0.3) {
                    counts.push(StatusCount {
                        status: 401,
                        substatus: 1,
                        win32: 1326,
                        count: rng.random_range(1..40),
                    });
                }
            }
            for c in &site.log_counts {
                match counts.iter_mut().find(|x| {
                    x.status == c.status && x.substatus == c.substatus && x.win32 == c.win32
                }) {
                    Some(x) => x.count += c.count,
                    None => counts.push(c.clone()),
                }
            }
        }
        let files = rng.random_range(3..=14u32);
        let bytes = rng.random_range(40_000..(files as u64 * 4_000_000));
        sites.push(SiteLogSummary {
            site_id: site.id,
            counts,
            first: Some(rfc3339(h.collected_at - files as i64 * 86_400)),
            last: Some(rfc3339(h.collected_at - rng.random_range(30..3_600i64))),
            bytes_scanned: bytes,
            files_scanned: files,
            truncated: false,
            // Summarised counts, as collectors before raw lines shipped them (still read):
            // tens of thousands of challenge lines per site would bloat every demo snapshot.
            raw: Vec::new(),
        });
    }
    LogSummary { sites }
}
