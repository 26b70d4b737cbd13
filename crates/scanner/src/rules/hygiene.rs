//! Hygiene: settings that do not cause a 401 by themselves but weaken authentication or hide
//! the evidence needed to diagnose one (CIS Microsoft IIS 10 Benchmark items where one exists).
//!
//! Configuration rules report a cause once: a value inherited by child paths (or, when set at
//! server level, by every site) is reported where it first applies, keyed by the file:line of
//! the values that decide it, and the fix is written at the level the value comes from.

use crate::finding::fix::{Commit, FixStep, RegValue};
use crate::finding::{EvidenceKind, Severity, Substatus};
use crate::iis::{schema, sections, Origin, Value};
use crate::snapshot::{windows_path_eq, FileRole, RegistryData};

use super::common::{appcmd_path, value_evidence, SitePath};
use super::config_errors::site_of_file;
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[
    &BASIC_WITHOUT_TLS,
    &FORMS_WITHOUT_REQUIRE_SSL,
    &PLAINTEXT_PASSWORD,
    &LOOPBACK_CHECK_DISABLED,
    &DETAILED_ERRORS_REMOTE,
    &DIRECTORY_BROWSING,
    &LOG_WITHOUT_SUBSTATUS,
    &POOL_PRIVILEGED_IDENTITY,
    &LM_COMPATIBILITY_WEAK,
    &URL_AUTHORIZATION_NOT_ENFORCED,
    &super::logon::POOL_IDENTITY_LOGON_FAILS,
];

const APPCMD: &str = r"%windir%\system32\inetsrv\appcmd.exe";
const LSA: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
const MSV1_0: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0";

/// H001: Basic authentication without requiring SSL.
pub static BASIC_WITHOUT_TLS: Rule = Rule {
    code: "H001",
    name: "basic-without-tls",
    title: "Basic authentication is enabled without requiring SSL (CIS 2.6)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports site paths where `basicAuthentication` is enabled and the effective \
`system.webServer/security/access/@sslFlags` does not contain `Ssl`.",
        why: "Basic authentication sends the user name and password base64-encoded — readable by \
anyone on the path — with every request. Without `Ssl` in sslFlags IIS accepts those credentials \
over plain HTTP.",
        example: "<basicAuthentication enabled=\"true\" />\n<access sslFlags=\"None\" />",
        fix: "Require SSL where Basic is enabled (the site needs an https binding): \
`appcmd set config \"Site\" -section:system.webServer/security/access /sslFlags:\"Ssl\" \
/commit:apphost`.",
    },
    references: &[
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 2.6: Ensure transport layer security for 'basic authentication' is configured",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/basicauthentication",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/access",
    ],
    check: check_basic_without_tls,
};

/// H002: Forms authentication without requireSSL.
pub static FORMS_WITHOUT_REQUIRE_SSL: Rule = Rule {
    code: "H002",
    name: "forms-without-require-ssl",
    title: "Forms authentication does not require SSL (CIS 2.3)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what:
            "Reports site paths where the effective ASP.NET `system.web/authentication/@mode` is \
`Forms` and `forms/@requireSSL` is false (its default).",
        why: "Without requireSSL the forms-authentication ticket cookie is also sent over plain \
HTTP, where it can be captured and replayed to take over the session.",
        example: "<system.web><authentication mode=\"Forms\"><forms loginUrl=\"login.aspx\" />\
</authentication></system.web>",
        fix: "`appcmd set config \"Site/app\" -section:system.web/authentication \
/forms.requireSSL:\"True\"` (CIS 2.3's own appcmd remediation sets `/mode:Forms` instead, which \
does not implement it).",
    },
    references: &[
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 2.3: Ensure 'forms authentication' require SSL",
    ],
    check: check_forms_without_require_ssl,
};

/// H003: a password stored in plain text in a configuration file.
pub static PLAINTEXT_PASSWORD: Rule = Rule {
    code: "H003",
    name: "plaintext-password",
    title: "A password is stored in plain text in a configuration file",
    substatus: &[Substatus::Hygiene],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports every `password` attribute not of the form `[enc:<provider>:…:enc]` \
(application pool processModel, virtual directory connect-as, anonymous account, certificate \
mappings, `system.web/identity`, forms credentials) and every connection string holding \
`Password=`/`Pwd=`, with the file, line and element. The value itself is never read into the \
report: the parser replaces it on the way in.",
        why: "Configuration files are copied to backups, source control and support cases; a \
plaintext password there is a credential leak. IIS encrypts these attributes itself when they are \
set through appcmd or IIS Manager.",
        example: "<processModel identityType=\"SpecificUser\" userName=\"CONTOSO\\svc-shop\" \
password=\"…plain text…\" />",
        fix: "Set the password again through appcmd so IIS stores it encrypted, e.g. \
`appcmd set apppool \"Shop\" -processModel.password:\"<password>\"`; encrypt connection strings \
with `aspnet_regiis -pef \"connectionStrings\" \"<site folder>\"`; then change the password, \
since it has been exposed.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/applicationpools/add/processmodel",
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/application/virtualdirectory",
    ],
    check: check_plaintext_password,
};

/// H004: the NTLM loopback check is disabled host-wide.
pub static LOOPBACK_CHECK_DISABLED: Rule = Rule {
    code: "H004",
    name: "loopback-check-disabled",
    title: "The NTLM loopback check is disabled (DisableLoopbackCheck = 1)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::Medium,
    needs: &[Fact::Registry],
    docs: RuleDocs {
        what: "Reports `HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\DisableLoopbackCheck` set to a \
non-zero value.",
        why: "The loopback check protects NTLM against reflection attacks. Disabling it host-wide \
(usually to stop 401.1 when browsing a host-header site on the server itself) \"opens the server \
for man-in-the-middle attacks on NTLM\"; Microsoft recommends listing the host names in \
`MSV1_0\\BackConnectionHostNames` instead.",
        example: "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa  DisableLoopbackCheck = 1 (REG_DWORD)",
        fix: "List the site host names in BackConnectionHostNames, then remove the value: \
`reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0\" /v BackConnectionHostNames /t \
REG_MULTI_SZ /d \"intranet.contoso.com\\0shop.contoso.com\" /f && reg delete \
\"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\" /v DisableLoopbackCheck /f`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/accessing-server-locally-with-fqdn-cname-alias-denied",
    ],
    check: check_loopback_disabled,
};

/// H005: detailed errors shown to remote clients.
pub static DETAILED_ERRORS_REMOTE: Rule = Rule {
    code: "H005",
    name: "detailed-errors-remote",
    title: "Detailed HTTP errors are shown to remote clients (CIS 3.4)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports site paths whose effective `system.webServer/httpErrors/@errorMode` is \
`Detailed`.",
        why: "Detailed error pages show physical paths, configuration excerpts, the module and \
handler, and the logon method and user to any client — reconnaissance for an attacker. The \
default (`DetailedLocalOnly`) keeps them for browsers on the server itself, which is where 401 \
substatus diagnosis belongs.",
        example: "<httpErrors errorMode=\"Detailed\" />",
        fix: "`appcmd set config \"Site\" -section:system.webServer/httpErrors \
/errorMode:\"DetailedLocalOnly\"` (or `Custom`).",
    },
    references: &[
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 3.4: Ensure IIS HTTP detailed errors are hidden from displaying remotely",
        "https://learn.microsoft.com/en-us/iis/troubleshoot/diagnosing-http-errors/how-to-use-http-detailed-errors-in-iis",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/httperrors/",
    ],
    check: check_detailed_errors,
};

/// H006: directory browsing enabled.
pub static DIRECTORY_BROWSING: Rule = Rule {
    code: "H006",
    name: "directory-browsing",
    title: "Directory browsing is enabled (CIS 1.3)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports site paths whose effective `system.webServer/directoryBrowse/@enabled` is \
true.",
        why: "Directory listings expose every file name in a folder, including backups, \
configuration copies and content never linked from the site.",
        example: "<directoryBrowse enabled=\"true\" />",
        fix: "`appcmd set config \"Site\" -section:system.webServer/directoryBrowse \
/enabled:\"False\"`.",
    },
    references: &[
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 1.3: Ensure 'directory browsing' is set to disabled",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/directorybrowse",
    ],
    check: check_directory_browsing,
};

/// H007: site logs without the substatus or win32 status, or no logs at all.
pub static LOG_WITHOUT_SUBSTATUS: Rule = Rule {
    code: "H007",
    name: "log-without-substatus",
    title: "Site logs do not record the HTTP substatus and Win32 status",
    substatus: &[Substatus::Hygiene],
    severity: Severity::Low,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports sites whose effective `logFile` is disabled, is not in W3C format, or whose \
`logExtFileFlags` lack `HttpSubStatus` or `Win32Status` (both are in the IIS default).",
        why: "The browser shows a generic 401 page; only the log's `sc-substatus` and \
`sc-win32-status` tell 401.1 from 401.2 or 401.3, and a logon failure from a normal challenge leg \
(`401 2 5`, `401 1 2148074254`). Without them neither an administrator nor this tool's log \
evidence can tell the causes apart.",
        example: "<siteDefaults><logFile logExtFileFlags=\"Date, Time, ClientIP, UriStem, HttpStatus\" />\
</siteDefaults>",
        fix: "`appcmd set config -section:system.applicationHost/sites \
-siteDefaults.logFile.logExtFileFlags:\"Date, Time, ClientIP, UserName, ServerIP, Method, UriStem, \
UriQuery, HttpStatus, Win32Status, TimeTaken, ServerPort, UserAgent, Referer, HttpSubStatus\" \
/commit:apphost` (or per site with `/[name='Site'].logFile.…`).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/logfile/",
        "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code",
    ],
    check: check_log_without_substatus,
};

/// H008: an application pool runs as LocalSystem.
pub static POOL_PRIVILEGED_IDENTITY: Rule = Rule {
    code: "H008",
    name: "pool-privileged-identity",
    title: "An application pool runs as LocalSystem (CIS 1.4)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports application pools whose effective `processModel/@identityType` is \
`LocalSystem` (one finding when `applicationPoolDefaults` sets it for several pools).",
        why: "A worker process running as SYSTEM turns any code-execution flaw in the application \
into full control of the server; CIS 1.4 asks for the ApplicationPoolIdentity virtual account.",
        example: "<add name=\"Shop\"><processModel identityType=\"LocalSystem\" /></add>",
        fix: "`appcmd set apppool \"Shop\" -processModel.identityType:ApplicationPoolIdentity`, \
then grant `IIS AppPool\\Shop` what the application needs.",
    },
    references: &[
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 1.4: Ensure 'application pool identity' is configured for all application pools",
        "https://learn.microsoft.com/en-us/iis/manage/configuring-security/application-pool-identities",
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/applicationpools/add/processmodel",
    ],
    check: check_pool_privileged_identity,
};

/// H009: LmCompatibilityLevel below 3.
pub static LM_COMPATIBILITY_WEAK: Rule = Rule {
    code: "H009",
    name: "lm-compatibility-weak",
    title: "LAN Manager authentication level allows LM or NTLMv1 (LmCompatibilityLevel < 3)",
    substatus: &[Substatus::Hygiene],
    severity: Severity::Medium,
    needs: &[Fact::Registry],
    docs: RuleDocs {
        what: "Reports `HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel` set \
below 3. An absent value is not reported: Windows Server 2008 R2 and later behave as 3.",
        why: "Levels 0–2 let the host send LM or NTLMv1 responses, which are cracked or relayed \
easily. Level 5 (CIS) additionally refuses LM and NTLMv1 on this host — make sure every client \
sends NTLMv2 first (see U103).",
        example: "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa  LmCompatibilityLevel = 1 (REG_DWORD)",
        fix: "`reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\" /v LmCompatibilityLevel /t \
REG_DWORD /d 5 /f` (\"Send NTLMv2 response only. Refuse LM & NTLM\", CIS Windows 2.3.11.7), \
normally by Group Policy.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/network-security-lan-manager-authentication-level",
    ],
    check: check_lm_compatibility,
};

/// H010: IIS URL authorization rules without the module that enforces them.
pub static URL_AUTHORIZATION_NOT_ENFORCED: Rule = Rule {
    code: "H010",
    name: "url-authorization-not-enforced",
    title: "IIS authorization rules are configured but UrlAuthorizationModule does not run",
    substatus: &[Substatus::Hygiene],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports site paths whose effective `system.webServer/security/authorization` holds \
rules other than the default `<add accessType=\"Allow\" users=\"*\" />` while \
`UrlAuthorizationModule` is not installed (globalModules) or not enabled (modules) there.",
        why: "Without the module the rules are silently ignored: content someone restricted to a \
group, or denied to anonymous users, is served to everyone (\"Authorization rules which protected \
content are no longer evaluated\").",
        example: "<authorization><remove users=\"*\" roles=\"\" verbs=\"\" />\
<add accessType=\"Allow\" roles=\"CONTOSO\\HR\" /></authorization>   ← no UrlAuthorizationModule",
        fix: "Install the URL Authorization role service: `Install-WindowsFeature Web-Url-Auth` \
(or enable the module: `appcmd set config \"Site\" -section:system.webServer/modules \
/+\"[name='UrlAuthorizationModule']\" /commit:apphost`).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/manage/configuring-security/understanding-iis-url-authorization",
        "https://learn.microsoft.com/en-us/iis/get-started/introduction-to-iis/iis-modules-overview",
    ],
    check: check_url_authorization_not_enforced,
};

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Where a configuration fix is written.
enum Scope {
    /// Server level: `/commit:apphost`, `/commit:WEBROOT` or `/commit:MACHINE`, no path.
    Server(&'static str),
    /// At a site path; `apphost` adds `/commit:apphost` (a location tag).
    Path { path: String, apphost: bool },
}

impl Scope {
    fn is_server(&self) -> bool {
        matches!(self, Scope::Server(_))
    }

    /// `appcmd set config` of one attribute at this scope.
    fn set(&self, section: &str, attribute: &str, value: &str) -> FixStep {
        let (location, commit) = match self {
            Scope::Server(commit) => (
                None,
                match *commit {
                    "WEBROOT" => Commit::RootWebConfig,
                    "MACHINE" => Commit::MachineConfig,
                    _ => Commit::Apphost,
                },
            ),
            Scope::Path { path, apphost } => (
                Some(path.clone()),
                if *apphost {
                    Commit::Apphost
                } else {
                    Commit::WebConfig
                },
            ),
        };
        FixStep::SetConfig {
            location,
            section: section.to_string(),
            attribute: attribute.to_string(),
            value: value.to_string(),
            commit,
        }
    }
}

fn file_role(ctx: &HostContext, path: &str) -> Option<FileRole> {
    ctx.config
        .config_files()
        .iter()
        .find(|f| windows_path_eq(&f.path, path))
        .map(|f| f.role)
}

/// The scope of a fix for a value found at `p`: server level when the value is the server-level
/// one (`server` = the same attribute of the server-level effective section), otherwise the
/// path, committed to applicationHost.config when the value is set there (or `apphost` forces it,
/// for locked sections).
fn scope_of(
    ctx: &HostContext,
    p: &SitePath,
    anchor: Option<&Value>,
    server: Option<&Value>,
    apphost: bool,
) -> Scope {
    let path = appcmd_path(&p.site, &p.url_path);
    let Some(Value {
        origin: Origin::File { path: file, .. },
        ..
    }) = anchor
    else {
        return Scope::Path { path, apphost };
    };
    match file_role(ctx, file) {
        Some(FileRole::MachineConfig) => Scope::Server("MACHINE"),
        Some(FileRole::RootWebConfig) => Scope::Server("WEBROOT"),
        Some(FileRole::ApplicationHost) => {
            if server.is_some_and(|s| Some(&s.origin) == anchor.map(|a| &a.origin)) {
                Scope::Server("apphost")
            } else {
                Scope::Path {
                    path,
                    apphost: true,
                }
            }
        }
        _ => Scope::Path { path, apphost },
    }
}

/// The provenance of a value, for de-duplication (never a value).
fn origin_key(v: Option<&Value>) -> String {
    v.map(|v| v.origin.to_string())
        .unwrap_or_else(|| "unset".into())
}

/// Signatures already reported by a rule.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    /// True the first time `sig` is seen.
    fn first(&mut self, sig: String) -> bool {
        if self.0.contains(&sig) {
            false
        } else {
            self.0.push(sig);
            true
        }
    }
}

/// A draft located at a path, or host-wide when the scope is the server.
fn located(d: FindingDraft, p: &SitePath, scope: &Scope) -> FindingDraft {
    if scope.is_server() {
        d
    } else {
        let d = d.at(&p.site, p.application.as_deref(), Some(&p.url_path));
        match &p.physical_path {
            Some(pp) => d.physical(pp),
            None => d,
        }
    }
}

/// "at Site/app" or "server-wide (every site inherits it)".
fn where_text(p: &SitePath, scope: &Scope) -> String {
    if scope.is_server() {
        "server-wide (every site inherits it)".to_string()
    } else {
        format!("at {}", appcmd_path(&p.site, &p.url_path))
    }
}

// ---------------------------------------------------------------------------------------------
// H001

fn check_basic_without_tls(ctx: &HostContext, sink: &mut Sink) {
    let mut seen = Seen::default();
    let server_basic = ctx.config.effective_server(sections::BASIC_AUTHENTICATION);
    for p in ctx.site_paths() {
        let (on, basic) = ctx.method_enabled(p, sections::BASIC_AUTHENTICATION);
        if !on {
            continue;
        }
        let access = ctx.section(p, sections::ACCESS);
        if access.has_flag("sslFlags", "Ssl") {
            continue;
        }
        let ssl = access.attribute("sslFlags");
        if !seen.first(format!(
            "{}|{}",
            origin_key(basic.as_ref()),
            origin_key(ssl)
        )) {
            continue;
        }
        let scope = scope_of(
            ctx,
            p,
            basic.as_ref(),
            server_basic.attribute("enabled"),
            true,
        );
        let mut flags: Vec<&str> = access
            .flags("sslFlags")
            .unwrap_or_default()
            .into_iter()
            .filter(|f| !f.eq_ignore_ascii_case("None"))
            .collect();
        flags.insert(0, "Ssl");
        let mut d = located(
            FindingDraft::new(format!(
                "Basic authentication is enabled {} without requiring SSL: user names and \
                 passwords can be sent over plain HTTP.",
                where_text(p, &scope)
            )),
            p,
            &scope,
        )
        .steps(vec![scope.set(
            "system.webServer/security/access",
            "sslFlags",
            &flags.join(", "),
        )]);
        d = value_evidence(d, "basicAuthentication", "enabled", basic.as_ref());
        d = value_evidence(d, "access", "sslFlags", ssl);
        if let Some(site) = ctx.config.site(&p.site).filter(|_| !scope.is_server()) {
            let https = site.has_https();
            let http = site
                .bindings
                .iter()
                .any(|b| b.protocol.eq_ignore_ascii_case("http"));
            let text = match (https, http) {
                (true, true) => format!("site {} has http and https bindings", site.name),
                (true, false) => format!("site {} has https bindings only", site.name),
                (false, _) => format!(
                    "site {} has no https binding: add one before requiring SSL",
                    site.name
                ),
            };
            d = match &site.origin {
                Origin::File { path, line } => d.config_line(path, *line, text),
                _ => d.fact(EvidenceKind::Config, None, text),
            };
        }
        sink.report(d.key("sslFlags"));
    }
}

// ---------------------------------------------------------------------------------------------
// H002

fn check_forms_without_require_ssl(ctx: &HostContext, sink: &mut Sink) {
    let mut seen = Seen::default();
    let server = ctx.config.effective_server(sections::ASPNET_AUTHENTICATION);
    for p in ctx.site_paths() {
        let auth = ctx.section(p, sections::ASPNET_AUTHENTICATION);
        if auth.enum_value("mode") != Some("Forms") {
            continue;
        }
        let forms = auth.child("forms");
        if forms.bool("requireSSL") != Some(false) {
            continue;
        }
        let mode = auth.attribute("mode");
        let require = forms.attribute("requireSSL");
        if !seen.first(format!("{}|{}", origin_key(mode), origin_key(require))) {
            continue;
        }
        // Write requireSSL where mode=Forms is set (or at the path when it is set lower).
        let anchor = match require {
            Some(v) if !v.origin.is_schema_default() => Some(v),
            _ => mode,
        };
        let server_anchor = if anchor == mode {
            server.attribute("mode")
        } else {
            server.child("forms").attribute("requireSSL")
        };
        let scope = scope_of(ctx, p, anchor, server_anchor, false);
        let mut d = located(
            FindingDraft::new(format!(
                "Forms authentication is used {} without requireSSL: the authentication cookie \
                 is also sent over plain HTTP.",
                where_text(p, &scope)
            )),
            p,
            &scope,
        )
        .steps(vec![scope.set(
            "system.web/authentication",
            "forms.requireSSL",
            "True",
        )]);
        d = value_evidence(d, "authentication", "mode", mode);
        d = value_evidence(d, "forms", "requireSSL", require);
        sink.report(d.key("requireSSL"));
    }
}

// ---------------------------------------------------------------------------------------------
// H003

/// The segments of an element path, `/` inside `[@key='…']` kept (`application[@path='/']`).
fn segments(element_path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in element_path.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '/' if depth == 0 => {
                out.push(&element_path[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&element_path[start..]);
    out
}

/// The `[@attr='value']` key of the element named `name` in an element path.
fn path_key<'a>(element_path: &'a str, name: &str) -> Option<&'a str> {
    segments(element_path).into_iter().find_map(|seg| {
        let (el, rest) = seg.split_once('[')?;
        if el != name {
            return None;
        }
        let v = rest.split_once("='")?.1;
        v.strip_suffix("']")
    })
}

/// The section an element path lies in (`system.web/identity`), without location tags.
fn section_of(element_path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in segments(element_path) {
        let name = seg.split('[').next().unwrap_or(seg);
        if name == "configuration" || name == "location" {
            continue;
        }
        parts.push(name);
        let joined = parts.join("/");
        if !schema::KNOWN_GROUPS.contains(&joined.as_str()) {
            return Some(joined);
        }
    }
    None
}

/// The appcmd attribute path of `attribute` on an element inside `section`:
/// `password`, `manyToOneMappings.[name='x'].password`.
fn appcmd_attribute(element_path: &str, section: &str, attribute: &str) -> String {
    let depth = section.split('/').count();
    let mut parts: Vec<String> = segments(element_path)
        .into_iter()
        .filter(|seg| *seg != "configuration" && !seg.starts_with("location["))
        .skip(depth)
        .map(|seg| match seg.split_once("[@") {
            Some((_, key)) => format!("[{}", key),
            None => seg.to_string(),
        })
        .collect();
    parts.push(attribute.to_string());
    parts.join(".")
}

fn check_plaintext_password(ctx: &HostContext, sink: &mut Sink) {
    for s in ctx.config.plaintext_secrets() {
        let segs = segments(&s.element_path);
        let el = segs
            .last()
            .copied()
            .unwrap_or("")
            .split('[')
            .next()
            .unwrap_or("");
        let section = section_of(&s.element_path);
        let role = file_role(ctx, &s.file);
        let folder = s
            .file
            .rsplit_once('\\')
            .map(|(f, _)| f.to_string())
            .unwrap_or_default();
        let location = path_key(&s.element_path, "location");
        let fix = if s.attribute.eq_ignore_ascii_case("connectionString") {
            if role == Some(FileRole::WebConfig) {
                format!(
                    "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_regiis.exe -pef \
                     \"connectionStrings\" \"{folder}\""
                )
            } else {
                "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_regiis.exe -pe \
                 \"connectionStrings\" (or move the password out of the connection string)"
                    .to_string()
            }
        } else if el == "processModel" {
            let pool = path_key(&s.element_path, "add").unwrap_or("<pool>");
            if s.element_path.contains("applicationPoolDefaults") {
                format!(
                    "{APPCMD} set config -section:system.applicationHost/applicationPools \
                     /applicationPoolDefaults.processModel.password:\"<password>\" /commit:apphost"
                )
            } else {
                format!("{APPCMD} set apppool \"{pool}\" -processModel.password:\"<password>\"")
            }
        } else if el == "virtualDirectory" && s.element_path.contains("/sites/site") {
            let site = path_key(&s.element_path, "site").unwrap_or("<site>");
            let app = path_key(&s.element_path, "application").unwrap_or("/");
            let vdir = path_key(&s.element_path, "virtualDirectory").unwrap_or("/");
            format!(
                "{APPCMD} set vdir \"{}\" -password:\"<password>\"",
                super::acl::appcmd_vdir(site, app, vdir)
            )
        } else if let (Some(FileRole::ApplicationHost), Some(section)) = (role, section.as_ref()) {
            let attr = appcmd_attribute(&s.element_path, section, &s.attribute);
            match location {
                Some(loc) if !loc.is_empty() => format!(
                    "{APPCMD} set config \"{loc}\" -section:{section} /{attr}:\"<password>\" \
                     /commit:apphost"
                ),
                _ => format!(
                    "{APPCMD} set config -section:{section} /{attr}:\"<password>\" /commit:apphost"
                ),
            }
        } else if role == Some(FileRole::WebConfig) && section.is_some() {
            format!(
                "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_regiis.exe -pef \
                 \"{}\" \"{folder}\"",
                section.clone().unwrap_or_default()
            )
        } else {
            format!(
                "re-enter the password through IIS Manager or appcmd so it is stored \
                 encrypted, and remove the plain-text value from {} line {}",
                s.file, s.line
            )
        };
        let mut d = FindingDraft::new(format!(
            "A {} is stored in plain text in {} line {} (<{el}> {}): anyone who can read the file \
             has the credential.",
            if s.attribute.eq_ignore_ascii_case("connectionString") {
                "connection-string password"
            } else {
                "password"
            },
            s.file,
            s.line,
            s.attribute
        ))
        .config_line(
            &s.file,
            s.line,
            format!(
                "{} @{} is plain text (value not shown)",
                s.element_path, s.attribute
            ),
        )
        .fix(fix)
        .key(format!(
            "{}|{}|{}",
            s.file.to_lowercase(),
            s.element_path,
            s.attribute
        ));
        let site = path_key(&s.element_path, "site")
            .map(|n| (n.to_string(), "/".to_string()))
            .or_else(|| {
                location.and_then(|l| {
                    let (site, rest) = l.split_once('/').unwrap_or((l, ""));
                    (!site.is_empty()).then(|| (site.to_string(), format!("/{rest}")))
                })
            })
            .or_else(|| site_of_file(ctx, &s.file));
        if let Some((site, url)) = site {
            if let Some(real) = ctx.config.site(&site) {
                d = d.at(&real.name, None, Some(&url));
            }
        }
        sink.report(d);
    }
}

// ---------------------------------------------------------------------------------------------
// H004 / H009

fn check_loopback_disabled(ctx: &HostContext, sink: &mut Sink) {
    if ctx
        .snapshot
        .registry_value(LSA, "DisableLoopbackCheck")
        .is_none()
    {
        sink.skip(format!("{LSA}\\DisableLoopbackCheck was not looked up"));
        return;
    }
    let Some(n) = ctx.registry_number(LSA, "DisableLoopbackCheck") else {
        return;
    };
    if n == 0 {
        return;
    }
    // Keep local Windows-authentication browsing working: every binding host name, plus the
    // names already listed.
    let mut names: Vec<String> = match ctx
        .snapshot
        .registry_value(MSV1_0, "BackConnectionHostNames")
        .and_then(|r| r.data.as_ref())
    {
        Some(RegistryData::Lines(l)) => l.clone(),
        Some(RegistryData::Text(t)) if !t.trim().is_empty() => vec![t.trim().to_string()],
        _ => Vec::new(),
    };
    for site in ctx.config.sites() {
        for b in &site.bindings {
            if let Some(h) = b.host.as_deref() {
                if !names.iter().any(|n| n.eq_ignore_ascii_case(h)) {
                    names.push(h.to_string());
                }
            }
        }
    }
    let mut steps = Vec::new();
    if !names.is_empty() {
        steps.push(FixStep::SetRegistry {
            key: MSV1_0.to_string(),
            name: "BackConnectionHostNames".to_string(),
            value: RegValue::MultiSz(names),
        });
    }
    steps.push(FixStep::RemoveRegistry {
        key: LSA.to_string(),
        name: "DisableLoopbackCheck".to_string(),
    });
    sink.report(
        FindingDraft::new(format!(
            "The NTLM loopback check is disabled for the whole host (DisableLoopbackCheck = {n}): \
             NTLM reflection protection is off."
        ))
        .evidence(ctx.registry_evidence(LSA, "DisableLoopbackCheck"))
        .evidence(ctx.registry_evidence(MSV1_0, "BackConnectionHostNames"))
        .steps(steps),
    );
}

fn check_lm_compatibility(ctx: &HostContext, sink: &mut Sink) {
    let Some(fact) = ctx.snapshot.registry_value(LSA, "LmCompatibilityLevel") else {
        sink.skip(format!("{LSA}\\LmCompatibilityLevel was not looked up"));
        return;
    };
    if fact.data.is_none() {
        // Absent: the OS default (3 since Windows Server 2008 R2).
        return;
    }
    let Some(n) = ctx.registry_number(LSA, "LmCompatibilityLevel") else {
        sink.skip(format!(
            "{LSA}\\LmCompatibilityLevel is not a number; not judged"
        ));
        return;
    };
    if n >= 3 {
        return;
    }
    let sends = match n {
        0 => "LM and NTLM responses",
        1 => "LM and NTLM responses (NTLMv2 session security if negotiated)",
        _ => "NTLM (v1) responses",
    };
    sink.report(
        FindingDraft::new(format!(
            "LmCompatibilityLevel is {n}: this host sends {sends}, which are easily cracked or \
             relayed."
        ))
        .evidence(ctx.registry_evidence(LSA, "LmCompatibilityLevel"))
        .steps(vec![FixStep::SetRegistry {
            key: LSA.to_string(),
            name: "LmCompatibilityLevel".to_string(),
            value: RegValue::Dword(5),
        }]),
    );
}

// ---------------------------------------------------------------------------------------------
// H005 / H006

fn check_detailed_errors(ctx: &HostContext, sink: &mut Sink) {
    let mut seen = Seen::default();
    let server = ctx.config.effective_server(sections::HTTP_ERRORS);
    for p in ctx.site_paths() {
        let e = ctx.section(p, sections::HTTP_ERRORS);
        if e.enum_value("errorMode") != Some("Detailed") {
            continue;
        }
        let v = e.attribute("errorMode");
        if !seen.first(origin_key(v)) {
            continue;
        }
        let scope = scope_of(ctx, p, v, server.attribute("errorMode"), false);
        let d = located(
            FindingDraft::new(format!(
                "Detailed error pages are sent to remote clients {}: paths, configuration and \
                 logon details are disclosed.",
                where_text(p, &scope)
            )),
            p,
            &scope,
        )
        .steps(vec![scope.set(
            "system.webServer/httpErrors",
            "errorMode",
            "DetailedLocalOnly",
        )]);
        sink.report(value_evidence(d, "httpErrors", "errorMode", v).key("errorMode"));
    }
}

fn check_directory_browsing(ctx: &HostContext, sink: &mut Sink) {
    let mut seen = Seen::default();
    let server = ctx.config.effective_server(sections::DIRECTORY_BROWSE);
    for p in ctx.site_paths() {
        let e = ctx.section(p, sections::DIRECTORY_BROWSE);
        if e.bool("enabled") != Some(true) {
            continue;
        }
        let v = e.attribute("enabled");
        if !seen.first(origin_key(v)) {
            continue;
        }
        let scope = scope_of(ctx, p, v, server.attribute("enabled"), false);
        let d = located(
            FindingDraft::new(format!(
                "Directory browsing is enabled {}: folder listings expose every file name.",
                where_text(p, &scope)
            )),
            p,
            &scope,
        )
        .steps(vec![scope.set(
            "system.webServer/directoryBrowse",
            "enabled",
            "False",
        )]);
        sink.report(value_evidence(d, "directoryBrowse", "enabled", v).key("enabled"));
    }
}

// ---------------------------------------------------------------------------------------------
// H007

const NEEDED_LOG_FLAGS: [&str; 2] = ["HttpSubStatus", "Win32Status"];

fn check_log_without_substatus(ctx: &HostContext, sink: &mut Sink) {
    // (problem kind, origin) → sites.
    let mut groups: Vec<(String, String, Vec<&crate::iis::Site>)> = Vec::new();
    for site in ctx.config.sites() {
        let lf = &site.log_file;
        let (kind, v) = if lf.enabled.as_bool() == Some(false) {
            ("disabled", &lf.enabled)
        } else if !lf.log_format.value.eq_ignore_ascii_case("W3C") {
            if lf.log_format.value.eq_ignore_ascii_case("Custom") {
                // A custom logging module: its fields are not in the configuration.
                sink.skip(format!(
                    "site {}: logFormat=\"Custom\" (custom logging module); fields unknown",
                    site.name
                ));
                continue;
            }
            ("format", &lf.log_format)
        } else if NEEDED_LOG_FLAGS.iter().any(|f| !lf.has_ext_flag(f)) {
            ("flags", &lf.log_ext_file_flags)
        } else {
            continue;
        };
        let origin = v.origin.to_string();
        match groups
            .iter_mut()
            .find(|(k, o, _)| *k == kind && *o == origin)
        {
            Some((_, _, sites)) => sites.push(site),
            None => groups.push((kind.to_string(), origin, vec![site])),
        }
    }
    for (kind, _, sites) in groups {
        let first = sites[0];
        let lf = &first.log_file;
        // A value shared by several sites comes from siteDefaults.
        let defaults = sites.len() > 1;
        let names: Vec<&str> = sites.iter().map(|s| s.name.as_str()).collect();
        let who = if defaults {
            format!("sites {} (siteDefaults)", names.join(", "))
        } else {
            format!("site {}", first.name)
        };
        let prefix = if defaults {
            "-siteDefaults.logFile".to_string()
        } else {
            format!("/[name='{}'].logFile", first.name)
        };
        let set = |args: String| {
            format!(
                "{APPCMD} set config -section:system.applicationHost/sites {args} /commit:apphost"
            )
        };
        let (message, fix, v) = match kind.as_str() {
            "disabled" => (
                format!(
                    "Logging is disabled for {who}: 401 substatus and Win32 status are recorded \
                     nowhere."
                ),
                set(format!("{prefix}.enabled:\"True\"")),
                &lf.enabled,
            ),
            "format" => (
                format!(
                    "The log format of {who} is {}: it has no substatus or Win32 status field.",
                    lf.log_format.value
                ),
                set(format!("{prefix}.logFormat:\"W3C\"")),
                &lf.log_format,
            ),
            _ => {
                let mut flags: Vec<&str> =
                    schema::flag_names(schema::LOG_EXT_FILE_FLAGS, &lf.log_ext_file_flags.value)
                        .unwrap_or_default();
                let missing: Vec<&str> = NEEDED_LOG_FLAGS
                    .iter()
                    .copied()
                    .filter(|f| !lf.has_ext_flag(f))
                    .collect();
                flags.extend(missing.iter().copied());
                (
                    format!(
                        "The logs of {who} lack {}: 401.1, 401.2 and 401.3 cannot be told apart \
                         from the logs.",
                        missing.join(" and ")
                    ),
                    set(format!("{prefix}.logExtFileFlags:\"{}\"", flags.join(", "))),
                    &lf.log_ext_file_flags,
                )
            }
        };
        let attr = match kind.as_str() {
            "disabled" => "enabled",
            "format" => "logFormat",
            _ => "logExtFileFlags",
        };
        let mut d = FindingDraft::new(message)
            .fix(fix)
            .key(format!("{kind}|{}", {
                if defaults {
                    "siteDefaults".to_string()
                } else {
                    String::new()
                }
            }));
        if !defaults {
            d = d.at(&first.name, None, Some("/"));
        }
        d = value_evidence(d, "logFile", attr, Some(v));
        sink.report(d);
    }
}

// ---------------------------------------------------------------------------------------------
// H008

fn check_pool_privileged_identity(ctx: &HostContext, sink: &mut Sink) {
    let mut groups: Vec<(String, Vec<&crate::iis::AppPool>)> = Vec::new();
    for pool in ctx.config.app_pools() {
        let t: Result<crate::acl::PoolIdentityType, _> = pool.identity_type.value.parse();
        if t != Ok(crate::acl::PoolIdentityType::LocalSystem) {
            continue;
        }
        let origin = pool.identity_type.origin.to_string();
        match groups.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, v)) => v.push(pool),
            None => groups.push((origin, vec![pool])),
        }
    }
    for (_, pools) in groups {
        let first = pools[0];
        let defaults = pools.len() > 1;
        let names: Vec<&str> = pools.iter().map(|p| p.name.as_str()).collect();
        let apps: Vec<String> = ctx
            .config
            .applications()
            .filter(|(_, a)| names.iter().any(|n| n.eq_ignore_ascii_case(a.pool_name())))
            .map(|(s, a)| appcmd_path(&s.name, &a.path))
            .collect();
        let serving = if apps.is_empty() {
            "no application uses it".to_string()
        } else {
            format!("it serves {}", apps.join(", "))
        };
        let (message, fix, key) = if defaults {
            (
                format!(
                    "Application pools {} run as LocalSystem (applicationPoolDefaults); {serving}.",
                    names.join(", ")
                ),
                FixStep::SetConfig {
                    location: None,
                    section: "system.applicationHost/applicationPools".to_string(),
                    attribute: "applicationPoolDefaults.processModel.identityType".to_string(),
                    value: "ApplicationPoolIdentity".to_string(),
                    commit: Commit::Apphost,
                },
                "applicationPoolDefaults".to_string(),
            )
        } else {
            (
                format!(
                    "Application pool {} runs as LocalSystem; {serving}.",
                    first.name
                ),
                FixStep::SetAppPool {
                    pool: first.name.clone(),
                    attribute: "processModel.identityType".to_string(),
                    value: "ApplicationPoolIdentity".to_string(),
                },
                first.name.to_lowercase(),
            )
        };
        let d = FindingDraft::new(message).steps(vec![fix]).key(key);
        let d = value_evidence(
            d,
            "processModel",
            "identityType",
            Some(&first.identity_type),
        );
        sink.report(d);
    }
}

// ---------------------------------------------------------------------------------------------
// H010

fn is_default_allow_all(i: &crate::iis::Item) -> bool {
    let empty = |n: &str| i.value(n).is_none_or(|v| v.trim().is_empty());
    i.element == "add"
        && i.enum_value("accessType")
            .or(i.value("accessType"))
            .is_some_and(|a| a.eq_ignore_ascii_case("Allow"))
        && i.value("users").is_some_and(|u| u.trim() == "*")
        && empty("roles")
        && empty("verbs")
}

fn check_url_authorization_not_enforced(ctx: &HostContext, sink: &mut Sink) {
    let mut seen = Seen::default();
    for p in ctx.site_paths() {
        let state = ctx
            .config
            .module_state(&p.site, &p.url_path, "UrlAuthorizationModule");
        if matches!(
            state,
            crate::iis::ModuleState::Enabled | crate::iis::ModuleState::Unknown
        ) {
            continue;
        }
        let authz = ctx.section(p, sections::AUTHORIZATION);
        let rules: Vec<&crate::iis::Item> = authz
            .collection()
            .iter()
            .filter(|i| !is_default_allow_all(i))
            .collect();
        if rules.is_empty() {
            continue;
        }
        let sig: Vec<String> = rules.iter().map(|i| i.origin.to_string()).collect();
        if !seen.first(sig.join("|")) {
            continue;
        }
        let target = appcmd_path(&p.site, &p.url_path);
        let (why, step) = if state == crate::iis::ModuleState::NotInstalled {
            (
                "UrlAuthorizationModule is not installed",
                FixStep::InstallFeature {
                    name: "Web-Url-Auth".to_string(),
                },
            )
        } else {
            (
                "UrlAuthorizationModule is installed but not enabled here",
                FixStep::AddToCollection {
                    location: target.clone(),
                    section: "system.webServer/modules".to_string(),
                    collection: None,
                    entry: vec![("name".to_string(), "UrlAuthorizationModule".to_string())],
                },
            )
        };
        let mut d = FindingDraft::new(format!(
            "IIS authorization rules are configured for {target}, but {why}: the rules are \
             ignored and the content is served to everyone they were meant to exclude."
        ))
        .at(&p.site, p.application.as_deref(), Some(&p.url_path))
        .steps(vec![step])
        .key("authorization");
        if let Some(pp) = &p.physical_path {
            d = d.physical(pp);
        }
        for i in rules {
            let text = format!(
                "<{} accessType=\"{}\" users=\"{}\" roles=\"{}\" verbs=\"{}\" />",
                i.element,
                i.value("accessType").unwrap_or(""),
                i.value("users").unwrap_or(""),
                i.value("roles").unwrap_or(""),
                i.value("verbs").unwrap_or("")
            );
            d = match &i.origin {
                Origin::File { path, line } => d.config_line(path, *line, text),
                o => d.fact(EvidenceKind::Default, None, format!("{text} ({o})")),
            };
        }
        d = d.fact(
            EvidenceKind::Config,
            None,
            format!(
                "UrlAuthorizationModule: {}",
                match state {
                    crate::iis::ModuleState::NotInstalled => "not in globalModules",
                    _ => "in globalModules, not in the modules list at this path",
                }
            ),
        );
        sink.report(d);
    }
}
