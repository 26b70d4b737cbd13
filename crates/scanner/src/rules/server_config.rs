//! 401.2 — logon failed due to server configuration: no authentication module can produce a
//! user for the request, or an authorization rule refuses it with no way to challenge.

use crate::finding::fix::FixStep;
use crate::finding::{EvidenceKind, Severity, Substatus};
use crate::iis::{sections, Item, ModuleState, Origin};

use super::common::*;
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[
    &NO_AUTHENTICATION_METHOD,
    &AUTH_MODULE_MISSING,
    &WINDOWS_AUTH_NO_PROVIDER,
    &URL_AUTHORIZATION_ALLOWS_NOBODY,
    &ANONYMOUS_DENIED_NO_CHALLENGE,
    &ASPNET_DENY_ANONYMOUS_NO_CHALLENGE,
    &CLIENT_CERT_WITHOUT_NEGOTIATE,
];

/// U201: every authentication method is disabled for a path.
pub static NO_AUTHENTICATION_METHOD: Rule = Rule {
    code: "U201",
    name: "no-authentication-method",
    title: "No authentication method is enabled",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Checks every site, application and configured path for an effective configuration \
in which anonymous, basic, Windows, digest and both client-certificate mapping authentications \
are all disabled.",
        why: "With no authentication method enabled, no IIS module can produce a user for the \
request, so every request fails with 401.2 \"Logon failed due to server configuration\" — for \
everyone, including administrators browsing on the server. It usually happens when anonymous \
authentication is switched off to \"secure\" a path without enabling Windows or basic \
authentication in its place.",
        example: "<location path=\"Intranet/hr\">\n  <system.webServer><security><authentication>\n    \
<anonymousAuthentication enabled=\"false\" />\n    <windowsAuthentication enabled=\"false\" />\n  \
</authentication></security></system.webServer>\n</location>",
        fix: "Enable the method the application is meant to use — Windows authentication for an \
intranet application, anonymous authentication for public content — in applicationHost.config \
(the authentication sections are locked to it by default): `appcmd set config \"Site/app\" \
-section:system.webServer/security/authentication/windowsAuthentication /enabled:\"True\" \
/commit:apphost`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/",
    ],
    check: check_no_authentication_method,
};

fn check_no_authentication_method(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        let states: Vec<_> = METHODS
            .iter()
            .map(|(section, element)| (*element, ctx.method_enabled(p, section)))
            .collect();
        if states.iter().any(|(_, (enabled, _))| *enabled) {
            continue;
        }
        let target = appcmd_path(&p.site, &p.url_path);
        let suggested =
            if ctx
                .config
                .module_state(&p.site, &p.url_path, "WindowsAuthenticationModule")
                == ModuleState::Enabled
            {
                "windowsAuthentication"
            } else {
                "anonymousAuthentication"
            };
        let mut d = FindingDraft::new(format!(
            "Every authentication method is disabled for {target}: all requests get 401.2."
        ))
        .at(&p.site, p.application.as_deref(), Some(&p.url_path))
        .fix(format!(
            "%windir%\\system32\\inetsrv\\appcmd.exe set config \"{target}\" \
-section:system.webServer/security/authentication/{suggested} /enabled:\"True\" /commit:apphost"
        ));
        if let Some(pp) = &p.physical_path {
            d = d.physical(pp);
        }
        // The explicit settings first: they are what someone changed.
        let mut states = states;
        states.sort_by_key(|(_, (_, v))| v.as_ref().is_none_or(|v| v.origin.is_schema_default()));
        for (element, (_, v)) in &states {
            d = value_evidence(d, element, "enabled", v.as_ref());
        }
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}

const MS_URLAUTH: &str =
    "https://learn.microsoft.com/en-us/iis/manage/configuring-security/understanding-iis-url-authorization";

/// U202: the enabled authentication methods' modules are not installed (or not enabled).
pub static AUTH_MODULE_MISSING: Rule = Rule {
    code: "U202",
    name: "auth-module-missing",
    title: "The module of the enabled authentication method is not installed",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "For every site, application and configured path, takes the authentication methods \
that are enabled and checks that the native module implementing each one (e.g. \
`WindowsAuthenticationModule` for Windows authentication) is listed in `globalModules` and, when \
the configuration has a `<modules>` list, enabled at that path. Reports a path where no enabled \
method has a usable module (one usable method is enough for requests to authenticate). A module \
whose `preCondition` (on its `globalModules` or `<modules>` entry) does not hold in the path's \
application pool — `bitness32` in a 64-bit pool, `runtimeVersionv4.0` in a pool with no managed \
code, `classicMode` in an Integrated pool — is not loaded there, and the finding says so with the \
pool.",
        why: "The section saying `enabled=\"true\"` does nothing by itself: without the module no \
one populates the request's user, and IIS answers 401.2 (\"IIS Web Core\", AuthenticateRequest) \
for every request. It typically happens when a site that uses Windows authentication is copied \
to a new server where the \"Windows Authentication\" role service was never installed, or when \
configuration is deployed before the feature.",
        example: "<globalModules> has AnonymousAuthenticationModule and StaticFileModule only\n\
<location path=\"Intranet\">\n  <anonymousAuthentication enabled=\"false\" />\n  \
<windowsAuthentication enabled=\"true\" />\n</location>",
        fix: "Install the role service of the method (`Install-WindowsFeature Web-Windows-Auth`; \
`Web-Basic-Auth`, `Web-Digest-Auth`, `Web-Client-Auth`, `Web-Cert-Auth` for the others), or add \
the module back to the path's `<modules>` list when it was removed there.",
    },
    references: &[
        MS_MODULES,
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/windowsauthentication/",
        MS_STATUS,
    ],
    check: check_auth_module_missing,
};

fn check_auth_module_missing(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        let enabled: Vec<_> = enabled_methods(ctx, p)
            .into_iter()
            .map(|(m, v)| (m, v, module_use(ctx, p, m.module)))
            .collect();
        if enabled.is_empty() || enabled.iter().any(|(_, _, u)| *u == ModuleUse::Usable) {
            continue;
        }
        let target = display_path(p);
        let names: Vec<String> = enabled
            .iter()
            .map(|(m, _, u)| {
                let why = match u {
                    ModuleUse::NotEnabled => "removed from <modules>".to_string(),
                    ModuleUse::NotLoaded => format!(
                        "not loaded: {}",
                        module_precondition(ctx, p, m.module).unwrap_or_default()
                    ),
                    _ => "not installed".to_string(),
                };
                format!("{} ({} {why})", m.label, m.module)
            })
            .collect();
        // The method to repair: the first challenge-capable one, anonymous last.
        let (m, _, u) = enabled
            .iter()
            .find(|(m, _, _)| m.feature.is_some())
            .unwrap_or(&enabled[0]);
        let modules = ctx.section(p, sections::MODULES);
        let fix = match (u, m.feature) {
            (ModuleUse::NotEnabled, _) => format!(
                "{APPCMD} set config \"{target}\" -section:system.webServer/modules /+\"[name='{}']\"{}",
                m.module,
                commit_for(ctx, modules.defined_at.last())
            ),
            (_, Some(feature)) => format!("Install-WindowsFeature {feature}"),
            (_, None) => format!(
                "{APPCMD} install module /name:{} /image:{}",
                m.module, m.image
            ),
        };
        let mut d = located(
            FindingDraft::new(format!(
                "{target} enables only {}: no module can authenticate the request, so every \
request gets 401.2.",
                names.join(", ")
            )),
            p,
        )
        .fix(fix);
        for (m, v, u) in &enabled {
            d = value_evidence(d, m.element, "enabled", v.as_ref());
            d = match u {
                ModuleUse::NotEnabled => {
                    let text = format!("<modules> at this path has no {}", m.module);
                    match modules.defined_at.last() {
                        Some(Origin::File { path, line }) => d.config_line(path, *line, text),
                        _ => d.fact(EvidenceKind::Config, None, text),
                    }
                }
                ModuleUse::NotLoaded => {
                    let d = global_module_evidence(ctx, d, m.module);
                    let why = module_precondition(ctx, p, m.module).unwrap_or_default();
                    d.fact(EvidenceKind::Config, None, format!("{} {why}", m.module))
                }
                _ => global_module_evidence(ctx, d, m.module),
            };
        }
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}

/// U203: Windows authentication is the only method and offers no provider.
pub static WINDOWS_AUTH_NO_PROVIDER: Rule = Rule {
    code: "U203",
    name: "windows-auth-no-provider",
    title: "Windows authentication is enabled with no provider",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports a path where Windows authentication is enabled, its effective `providers` \
collection is empty (typically a `<clear />` with nothing added back), and no other \
authentication method is enabled.",
        why: "Windows authentication requires at least one provider (`Negotiate`, `NTLM`): with \
none it sends no `WWW-Authenticate` challenge the browser can answer, and every request ends in \
401.2 — browsers do not even prompt.",
        example: "<windowsAuthentication enabled=\"true\">\n  <providers>\n    <clear />\n  \
</providers>\n</windowsAuthentication>",
        fix: "Add the providers back in applicationHost.config: `appcmd set config \"Site\" \
-section:system.webServer/security/authentication/windowsAuthentication \
/+\"providers.[value='Negotiate']\" /+\"providers.[value='NTLM']\" /commit:apphost`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/windowsauthentication/providers/",
        MS_STATUS,
    ],
    check: check_windows_auth_no_provider,
};

fn check_windows_auth_no_provider(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        let on = enabled_methods(ctx, p);
        let [(m, v)] = on.as_slice() else {
            continue;
        };
        if m.section != sections::WINDOWS_AUTHENTICATION {
            continue;
        }
        let win = ctx.section(p, sections::WINDOWS_AUTHENTICATION);
        let providers = win.child("providers");
        if providers
            .collection()
            .iter()
            .any(|i| i.value("value").is_some_and(|s| !s.trim().is_empty()))
        {
            continue;
        }
        let target = display_path(p);
        let mut d = located(
            FindingDraft::new(format!(
                "Windows authentication is the only method for {target} and has no provider: \
no challenge is sent and every request gets 401.2."
            )),
            p,
        )
        .steps(
            ["Negotiate", "NTLM"]
                .into_iter()
                .map(|provider| FixStep::AddToCollection {
                    location: target.clone(),
                    section: sections::WINDOWS_AUTHENTICATION.to_string(),
                    collection: Some("providers".to_string()),
                    entry: vec![("value".to_string(), provider.to_string())],
                })
                .collect(),
        );
        d = value_evidence(d, m.element, "enabled", v.as_ref());
        if providers.defined_at.is_empty() {
            d = d.fact(
                EvidenceKind::Default,
                None,
                "windowsAuthentication/providers is empty (no provider is configured anywhere)",
            );
        } else {
            d = defined_at_evidence(ctx, d, &providers.defined_at, "providers");
        }
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}

/// One IIS URL Authorization rule.
struct UrlRule<'a> {
    item: &'a Item,
    allow: bool,
    users: Vec<String>,
    roles: Vec<String>,
    verbs: Vec<String>,
}

impl UrlRule<'_> {
    fn names_user(&self, u: &str) -> bool {
        self.users.iter().any(|x| x == u)
    }

    /// Matches someone: a user list or a role list.
    fn matches_someone(&self) -> bool {
        !self.users.is_empty() || !self.roles.is_empty()
    }
}

fn url_rules(e: &crate::iis::EffectiveElement) -> Vec<UrlRule<'_>> {
    e.collection()
        .iter()
        .map(|i| UrlRule {
            item: i,
            allow: i
                .enum_value("accessType")
                .map(|a| a == "Allow")
                .unwrap_or_else(|| {
                    i.value("accessType")
                        .is_none_or(|a| a.eq_ignore_ascii_case("allow"))
                }),
            users: list(i.value("users")),
            roles: list(i.value("roles")),
            verbs: list(i.value("verbs")),
        })
        .collect()
}

/// What IIS URL Authorization lets through at a path (deny rules first).
struct UrlAuthz<'a> {
    rules: Vec<UrlRule<'a>>,
}

impl<'a> UrlAuthz<'a> {
    /// Deny rules for every user and every verb.
    fn deny_all(&self) -> Vec<&UrlRule<'a>> {
        self.rules
            .iter()
            .filter(|r| !r.allow && r.verbs.is_empty() && r.names_user("*"))
            .collect()
    }

    fn allows(&self) -> Vec<&UrlRule<'a>> {
        self.rules
            .iter()
            .filter(|r| r.allow && r.matches_someone())
            .collect()
    }

    /// Nobody gets through: no allow rule, or a deny of everyone.
    fn nobody(&self) -> bool {
        self.allows().is_empty() || !self.deny_all().is_empty()
    }

    /// Deny rules for anonymous users, every verb.
    fn deny_anonymous(&self) -> Vec<&UrlRule<'a>> {
        self.rules
            .iter()
            .filter(|r| !r.allow && r.verbs.is_empty() && r.names_user("?"))
            .collect()
    }

    fn allows_anonymous(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.allow && (r.names_user("*") || r.names_user("?")))
    }
}

/// U204: URL Authorization is installed and its effective rules allow nobody.
pub static URL_AUTHORIZATION_ALLOWS_NOBODY: Rule = Rule {
    code: "U204",
    name: "url-authorization-allows-nobody",
    title: "IIS URL authorization rules allow nobody",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Where `UrlAuthorizationModule` is installed (and enabled at the path when the \
configuration lists modules), evaluates the effective `system.webServer/security/authorization` \
rules the way IIS does — deny rules first, then allow rules — and reports a path where no allow \
rule names any user or role (the shipped `<add accessType=\"Allow\" users=\"*\" />` was removed \
or cleared), or where a deny rule for all users (`users=\"*\"`, all verbs) blocks everyone. \
Verb-specific deny rules are not counted as blocking everyone.",
        why: "With the URL Authorization role service installed, a request that no allow rule \
matches is refused with 401.2 (\"UrlAuthorizationModule\", AuthorizeRequest) — for anonymous and \
authenticated users alike. It happens when the default \"Allow All Users\" rule is deleted in IIS \
Manager, or when a hardening guide (CIS 2.1) replaces it without adding the rule the site needs.",
        example: "<location path=\"Shop\">\n  <system.webServer><security><authorization>\n    \
<remove users=\"*\" roles=\"\" verbs=\"\" />\n  </authorization></security></system.webServer>\n\
</location>",
        fix: "Add back an allow rule for the users the site serves (`appcmd set config \"Shop\" \
-section:system.webServer/security/authorization /+\"[accessType='Allow',users='*']\"`), or remove \
the deny rule for everyone. The command writes where the rules were changed (applicationHost.config \
with `/commit:apphost`, else the web.config of the path).",
    },
    references: &[
        MS_URLAUTH,
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authorization/",
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 2.1 Ensure 'global authorization rule' is set to restrict access",
    ],
    check: check_url_authorization_allows_nobody,
};

fn check_url_authorization_allows_nobody(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        if module_use(ctx, p, URL_AUTHORIZATION_MODULE) != ModuleUse::Usable {
            continue;
        }
        let section = ctx.section(p, sections::AUTHORIZATION);
        let authz = UrlAuthz {
            rules: url_rules(&section),
        };
        if !authz.nobody() {
            continue;
        }
        let target = display_path(p);
        let deny_all = authz.deny_all();
        let no_allow = authz.allows().is_empty();
        let message = if deny_all.is_empty() {
            format!(
                "No IIS URL authorization rule allows anyone at {target} (the default \
\"Allow all users\" rule is gone): every request gets 401.2."
            )
        } else {
            format!(
                "An IIS URL authorization rule denies all users at {target}: every request gets \
401.2, whatever the credentials."
            )
        };
        let mut fixes: Vec<String> = deny_all
            .iter()
            .map(|r| {
                format!(
                    "{APPCMD} set config \"{target}\" -section:system.webServer/security/authorization \
/-\"[users='{}',roles='{}',verbs='{}']\"{}",
                    r.item.value("users").unwrap_or(""),
                    r.item.value("roles").unwrap_or(""),
                    r.item.value("verbs").unwrap_or(""),
                    commit_for(ctx, Some(&r.item.origin))
                )
            })
            .collect();
        if no_allow {
            fixes.push(format!(
                "{APPCMD} set config \"{target}\" -section:system.webServer/security/authorization \
/+\"[accessType='Allow',users='*']\"{}",
                commit_for(ctx, section.defined_at.last())
            ));
        }
        let mut d = located(FindingDraft::new(message), p).fix(fixes.join(" && "));
        d = global_module_evidence(ctx, d, URL_AUTHORIZATION_MODULE);
        if deny_all.is_empty() {
            d = defined_at_evidence(ctx, d, &section.defined_at, "authorization");
        }
        for r in &deny_all {
            d = item_evidence(d, r.item);
        }
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}

/// U205: IIS URL authorization refuses anonymous users where nothing can challenge.
pub static ANONYMOUS_DENIED_NO_CHALLENGE: Rule = Rule {
    code: "U205",
    name: "anonymous-denied-no-challenge",
    title: "IIS URL authorization denies anonymous users, and only anonymous authentication is enabled",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Where `UrlAuthorizationModule` can run and anonymous authentication is the only \
enabled method, reports a path whose effective IIS authorization rules refuse anonymous users: a \
deny rule for `?` (all verbs), or allow rules that name only specific users or roles (none for \
`*` or `?`). Paths where the rules allow nobody at all are U204's.",
        why: "Denying anonymous users is meant to force a logon, but with only anonymous \
authentication enabled IIS has no method to challenge the browser: the request stays anonymous, \
is refused, and ends in 401.2 without a logon prompt.",
        example: "<anonymousAuthentication enabled=\"true\" />   (no other method)\n\
<authorization>\n  <add accessType=\"Deny\" users=\"?\" />\n</authorization>",
        fix: "Enable the method the users should log on with — `appcmd set config \"Site/app\" \
-section:system.webServer/security/authentication/windowsAuthentication /enabled:\"True\" \
/commit:apphost` (installing `Web-Windows-Auth` first when needed) — or, if the content is \
public, remove the deny rule for `?`.",
    },
    references: &[
        MS_URLAUTH,
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authorization/add",
        MS_STATUS,
    ],
    check: check_anonymous_denied_no_challenge,
};

fn check_anonymous_denied_no_challenge(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        if module_use(ctx, p, URL_AUTHORIZATION_MODULE) != ModuleUse::Usable {
            continue;
        }
        let Some(anon) = only_anonymous(ctx, p) else {
            continue;
        };
        let section = ctx.section(p, sections::AUTHORIZATION);
        let authz = UrlAuthz {
            rules: url_rules(&section),
        };
        if authz.nobody() {
            continue;
        }
        let deny = authz.deny_anonymous();
        if deny.is_empty() && authz.allows_anonymous() {
            continue;
        }
        let target = display_path(p);
        let message = if deny.is_empty() {
            format!(
                "IIS URL authorization at {target} allows only named users or roles, but only \
anonymous authentication is enabled: nobody can log on and requests get 401.2."
            )
        } else {
            format!(
                "IIS URL authorization denies anonymous users at {target}, but only anonymous \
authentication is enabled: no logon is offered and requests get 401.2."
            )
        };
        let mut d = located(FindingDraft::new(message), p).steps(challenge_steps(ctx, p));
        d = value_evidence(d, "anonymousAuthentication", "enabled", anon.as_ref());
        if deny.is_empty() {
            for r in authz.allows() {
                d = item_evidence(d, r.item);
            }
        } else {
            for r in &deny {
                d = item_evidence(d, r.item);
            }
        }
        d = global_module_evidence(ctx, d, URL_AUTHORIZATION_MODULE);
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}

/// U206: ASP.NET authorization denies anonymous users first, no challenge available.
pub static ASPNET_DENY_ANONYMOUS_NO_CHALLENGE: Rule = Rule {
    code: "U206",
    name: "aspnet-deny-anonymous-no-challenge",
    title:
        "ASP.NET authorization denies anonymous users, and only anonymous authentication is enabled",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "For paths served by a pool that loads the CLR (`managedRuntimeVersion` not empty) \
with only anonymous IIS authentication enabled and `system.web/authentication mode` other than \
Forms, evaluates the effective `system.web/authorization` rules as ASP.NET does — the most local \
rules first, first match wins, the root web.config's `<allow users=\"*\" />` last — for an \
anonymous GET request, and reports a path where the first matching rule is a `<deny>` (users `?` \
or `*`).",
        why: "ASP.NET refuses the anonymous request with 401; with Forms authentication that \
would become a redirect to the login page, but with Windows (the default) or None mode and no \
IIS method that can challenge, the browser is never asked for credentials and the request ends \
in 401.2.",
        example: "<system.web>\n  <authentication mode=\"Windows\" />\n  <authorization>\n    \
<deny users=\"?\" />\n  </authorization>\n</system.web>\n(IIS: anonymous authentication only)",
        fix: "Enable Windows authentication in IIS for the application (`appcmd set config \
\"Site/app\" -section:system.webServer/security/authentication/windowsAuthentication \
/enabled:\"True\" /commit:apphost`), or, for a login page, set `<authentication mode=\"Forms\">` \
(`appcmd set config \"Site/app\" -section:system.web/authentication /mode:\"Forms\"`).",
    },
    references: &[
        "https://learn.microsoft.com/previous-versions/dotnet/netframework-4.0/8d82143t(v=vs.100)",
        MS_URLAUTH,
        MS_STATUS,
    ],
    check: check_aspnet_deny_anonymous,
};

/// Whether an ASP.NET `<allow>`/`<deny>` rule applies to an anonymous GET.
fn aspnet_rule_matches_anonymous_get(i: &Item) -> bool {
    let users = list(i.value("users"));
    let verbs = list(i.value("verbs"));
    users.iter().any(|u| u == "?" || u == "*")
        && (verbs.is_empty() || verbs.iter().any(|v| v.eq_ignore_ascii_case("GET")))
}

fn check_aspnet_deny_anonymous(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        if let Some(pool) = p.pool.as_deref().and_then(|n| ctx.config.pool(n)) {
            if pool.managed_runtime_version.value.trim().is_empty() {
                continue; // No managed code: ASP.NET authorization never runs.
            }
        }
        let Some(anon) = only_anonymous(ctx, p) else {
            continue;
        };
        let authn = ctx.section(p, sections::ASPNET_AUTHENTICATION);
        if authn.enum_value("mode") == Some("Forms") {
            continue;
        }
        let authz = ctx.section(p, sections::ASPNET_AUTHORIZATION);
        let Some(first) = authz
            .collection()
            .iter()
            .find(|i| aspnet_rule_matches_anonymous_get(i))
        else {
            continue;
        };
        if first.element != "deny" {
            continue;
        }
        let target = display_path(p);
        let mode = authn.enum_value("mode").unwrap_or("Windows");
        let mut d = located(
            FindingDraft::new(format!(
                "ASP.NET authorization denies anonymous users at {target} (mode {mode}, not \
Forms), but only anonymous IIS authentication is enabled: requests get 401.2 with no logon prompt."
            )),
            p,
        )
        .steps(challenge_steps(ctx, p));
        d = item_evidence(d, first);
        d = value_evidence(d, "authentication", "mode", authn.attribute("mode"));
        d = value_evidence(d, "anonymousAuthentication", "enabled", anon.as_ref());
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}

/// U207: client certificate mapping is the only method but no certificate is asked for.
pub static CLIENT_CERT_WITHOUT_NEGOTIATE: Rule = Rule {
    code: "U207",
    name: "client-cert-without-negotiate",
    title: "Client certificate mapping is the only method, but client certificates are not negotiated",
    substatus: &[Substatus::ServerConfiguration],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports a path where AD or IIS client certificate mapping authentication is the \
only enabled method while the effective `system.webServer/security/access sslFlags` contain \
neither `SslNegotiateCert` nor `SslRequireCert`, or the site has no https binding.",
        why: "Certificate mapping can only map a certificate the client sent; IIS asks for one \
only when `sslFlags` say so, over TLS. Without it no certificate arrives, nothing produces a \
user, and every request gets 401.2.",
        example: "<location path=\"Shop/api\">\n  <access sslFlags=\"Ssl\" />\n  \
<anonymousAuthentication enabled=\"false\" />\n  \
<iisClientCertificateMappingAuthentication enabled=\"true\" />\n</location>",
        fix: "Negotiate (or require) client certificates: `appcmd set config \"Site/app\" \
-section:system.webServer/security/access /sslFlags:\"Ssl, SslNegotiateCert\" /commit:apphost`; \
add an https binding (and bind a server certificate) first when the site has none.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/access",
        "https://learn.microsoft.com/en-us/iis/manage/configuring-security/configuring-one-to-one-client-certificate-mappings",
        MS_MODULES,
    ],
    check: check_client_cert_without_negotiate,
};

fn check_client_cert_without_negotiate(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        if reported.covers(&p.site, &p.url_path, "") {
            continue;
        }
        let on = enabled_methods(ctx, p);
        let is_cert = |m: &AuthMethod| {
            m.section == sections::CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION
                || m.section == sections::IIS_CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION
        };
        if on.is_empty() || !on.iter().all(|(m, _)| is_cert(m)) {
            continue;
        }
        let access = ctx.section(p, sections::ACCESS);
        let negotiates = access.has_flag("sslFlags", "SslNegotiateCert")
            || access.has_flag("sslFlags", "SslRequireCert");
        let site = ctx.config.site(&p.site);
        let https = site.is_some_and(|s| s.has_https());
        if negotiates && https {
            continue;
        }
        let target = display_path(p);
        let methods: Vec<&str> = on.iter().map(|(m, _)| m.label).collect();
        let why = match (negotiates, https) {
            (false, false) => {
                "the site has no https binding and sslFlags do not ask for a client certificate"
            }
            (false, true) => "sslFlags do not ask for a client certificate",
            _ => "the site has no https binding",
        };
        let mut fixes = Vec::new();
        if !https {
            let host = site
                .and_then(|s| s.bindings.iter().find_map(|b| b.host.clone()))
                .unwrap_or_default();
            fixes.push(format!(
                "{APPCMD} set site /site.name:\"{}\" /+bindings.[protocol='https',bindingInformation='*:443:{host}']",
                p.site
            ));
        }
        if !negotiates {
            let mut flags: Vec<&str> = access
                .flags("sslFlags")
                .unwrap_or_default()
                .into_iter()
                .filter(|f| *f != "None")
                .collect();
            for f in ["Ssl", "SslNegotiateCert"] {
                if !flags.contains(&f) {
                    flags.push(f);
                }
            }
            fixes.push(format!(
                "{APPCMD} set config \"{target}\" -section:system.webServer/security/access \
/sslFlags:\"{}\" /commit:apphost",
                flags.join(", ")
            ));
        }
        let mut d = located(
            FindingDraft::new(format!(
                "{target} authenticates only by {} but {why}: no certificate is sent and every \
request gets 401.2.",
                methods.join(" and ")
            )),
            p,
        )
        .fix(fixes.join(" && "));
        for (m, v) in &on {
            d = value_evidence(d, m.element, "enabled", v.as_ref());
        }
        d = value_evidence(d, "access", "sslFlags", access.attribute("sslFlags"));
        if let Some(s) = site {
            if https {
                for b in s.bindings.iter().filter(|b| b.https) {
                    let text = format!(
                        "<binding protocol=\"{}\" bindingInformation=\"{}\" />",
                        b.protocol, b.binding_information
                    );
                    d = match &b.origin {
                        Origin::File { path, line } => d.config_line(path, *line, text),
                        _ => d.fact(EvidenceKind::Config, None, text),
                    };
                }
            } else {
                let text = format!("site \"{}\" has no https binding", s.name);
                d = match &s.origin {
                    Origin::File { path, line } => d.config_line(path, *line, text),
                    _ => d.fact(EvidenceKind::Config, None, text),
                };
            }
        }
        sink.report(d);
        reported.add(&p.site, &p.url_path, "");
    }
}
