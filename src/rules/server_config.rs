//! 401.2 — logon failed due to server configuration: no authentication module can produce a
//! user for the request.

use crate::iis::ModuleState;
use crate::report::model::{Severity, Substatus};

use super::common::{appcmd_path, url_within, value_evidence, METHODS};
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[&NO_AUTHENTICATION_METHOD];

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
    let mut fired: Vec<(String, String)> = Vec::new();
    for p in ctx.site_paths() {
        if fired
            .iter()
            .any(|(s, u)| s.eq_ignore_ascii_case(&p.site) && url_within(&p.url_path, u))
        {
            continue;
        }
        let states: Vec<_> = METHODS
            .iter()
            .map(|(section, element)| (*element, ctx.method_enabled(&p, section)))
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
        fired.push((p.site.clone(), p.url_path.clone()));
    }
}
