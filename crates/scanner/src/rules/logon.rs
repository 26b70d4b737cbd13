//! 401.1 — logon failed: credentials arrived but the Windows logon refused them. The causes a
//! configuration shows: the NTLM loopback check, NTLM restrictions, the LAN Manager level,
//! Kerberos tickets the kernel-mode listener cannot decrypt, digest on a workgroup server and
//! a custom anonymous account.
//!
//! Registry-level causes (U101, U102, U103) are reported once per affected site — the site is
//! where users see the 401.1 — at the shallowest path where Windows authentication offers NTLM;
//! their fix commands are host-wide and identical across the sites of a host.

use crate::finding::{EvidenceKind, Severity, Substatus};
use crate::iis::{sections, Effective, Origin, SecretState, Value};
use crate::snapshot::RegistryData;

use super::common::{
    challenge_steps, display_path, enabled_methods, located, set_at, value_evidence, Reported,
    SitePath, MS_STATUS,
};
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[
    &NTLM_LOOPBACK_CHECK,
    &NTLM_INCOMING_RESTRICTED,
    &LM_COMPATIBILITY_EXTREME,
    &KERBEROS_KERNEL_MODE_CUSTOM_IDENTITY,
    &DIGEST_ON_WORKGROUP,
    &ANONYMOUS_CUSTOM_ACCOUNT,
    &ANONYMOUS_ACCOUNT_LOGON_FAILS,
];

/// `HKLM\SYSTEM\CurrentControlSet\Control\Lsa`.
pub(super) const LSA: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
/// `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0`.
pub(super) const MSV1_0: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0";

const MS_KERB: &str =
    "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-authentication-authorization/troubleshoot-kerberos-failures-ie";

/// Windows authentication at a path and what it offers.
pub(super) struct WindowsAuth {
    pub enabled: Option<Value>,
    pub section: std::sync::Arc<Effective>,
    pub providers: Vec<String>,
}

impl WindowsAuth {
    /// The provider that lets NTLM in: `NTLM`, else `Negotiate` (which falls back to NTLM when
    /// Kerberos cannot be used). `Negotiate:Kerberos` never uses NTLM.
    pub fn ntlm_provider(&self) -> Option<&str> {
        self.providers
            .iter()
            .find(|p| p.eq_ignore_ascii_case("NTLM"))
            .or_else(|| {
                self.providers
                    .iter()
                    .find(|p| p.eq_ignore_ascii_case("Negotiate"))
            })
            .map(String::as_str)
    }

    pub fn negotiate(&self) -> bool {
        self.providers
            .iter()
            .any(|p| p.to_ascii_lowercase().starts_with("negotiate"))
    }
}

/// Windows authentication at a path, when enabled.
pub(super) fn windows_auth(ctx: &HostContext, p: &SitePath) -> Option<WindowsAuth> {
    let (on, enabled) = ctx.method_enabled(p, sections::WINDOWS_AUTHENTICATION);
    if !on {
        return None;
    }
    let section = ctx.section(p, sections::WINDOWS_AUTHENTICATION);
    let providers = section
        .child("providers")
        .collection()
        .iter()
        .filter_map(|i| i.value("value"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some(WindowsAuth {
        enabled,
        section,
        providers,
    })
}

/// The shallowest path of each site where Windows authentication offers NTLM.
fn ntlm_sites<'c>(ctx: &'c HostContext) -> Vec<(&'c SitePath, WindowsAuth)> {
    let mut out: Vec<(&SitePath, WindowsAuth)> = Vec::new();
    for p in ctx.site_paths() {
        if out
            .iter()
            .any(|(q, _)| q.site.eq_ignore_ascii_case(&p.site))
        {
            continue;
        }
        if let Some(w) = windows_auth(ctx, p) {
            if w.ntlm_provider().is_some() {
                out.push((p, w));
            }
        }
    }
    out
}

fn windows_evidence(d: FindingDraft, w: &WindowsAuth) -> FindingDraft {
    let d = value_evidence(d, "windowsAuthentication", "enabled", w.enabled.as_ref());
    let providers = w.section.child("providers");
    let text = format!(
        "windowsAuthentication providers: {}",
        w.providers.join(", ")
    );
    match providers.defined_at.last() {
        Some(Origin::File { path, line }) => d.config_line(path, *line, text),
        _ => d.fact(EvidenceKind::Default, None, text),
    }
}

/// A registry value's name as collected, or why it cannot be judged. `Err` = not looked up.
fn looked_up<'a>(
    ctx: &'a HostContext,
    key: &str,
    name: &str,
) -> Result<Option<&'a RegistryData>, String> {
    match ctx.snapshot.registry_value(key, name) {
        Some(r) => Ok(r.data.as_ref()),
        None => Err(format!("{key}\\{name} was not collected")),
    }
}

// ---------------------------------------------------------------------------------------------

/// U101: NTLM loopback check on a host-name binding.
pub static NTLM_LOOPBACK_CHECK: Rule = Rule {
    code: "U101",
    name: "ntlm-loopback-check",
    title: "Local Windows logons to a site host name are refused by the NTLM loopback check",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::Low,
    needs: &[Fact::Config, Fact::Registry],
    docs: RuleDocs {
        what: "For every site where Windows authentication offers NTLM (provider `NTLM` or \
`Negotiate`), takes the host names of its bindings that are neither the computer name nor its \
FQDN (nor `localhost`), and reports the site when `Lsa\\DisableLoopbackCheck` is absent or 0 and \
those names are not in `Lsa\\MSV1_0\\BackConnectionHostNames`. A `BackConnectionHostNames` of \
the wrong type (not REG_MULTI_SZ) counts as absent, and values written under the wrong key \
(`BackConnectionHostNames` under `Lsa`, `DisableLoopbackCheck` under `MSV1_0`) are shown as \
evidence — Windows ignores them. One finding per site, at the shallowest path with Windows \
authentication.",
        why: "The loopback check refuses an NTLM logon made from the server to itself under a \
name other than its own: browsing `http://intranet.contoso.com` on the web server (or a service \
on it calling the site) gets 401.1 (0xC000006D, event 4625) while remote users get in. Typical \
after a site gets a host-name binding, and for applications that call their own web services.",
        example: "site Intranet, binding *:80:intranet.contoso.com, Windows authentication on;\n\
computer WEB-01; HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0\\BackConnectionHostNames \
absent",
        fix: "List the host names in BackConnectionHostNames (REG_MULTI_SZ, all names in one \
value; the command rewrites the whole value, so it keeps the names already there) and restart \
as KB 896861 asks. Do not set DisableLoopbackCheck=1: it turns the protection off for every \
name (H004).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/accessing-server-locally-with-fqdn-cname-alias-denied",
        "https://support.microsoft.com/kb/896861",
        MS_STATUS,
    ],
    check: check_loopback,
};

fn check_loopback(ctx: &HostContext, sink: &mut Sink) {
    let host = &ctx.snapshot.host;
    let own: Vec<String> = [host.computer_name.as_deref(), host.fqdn.as_deref()]
        .into_iter()
        .flatten()
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let candidates = ntlm_sites(ctx);
    if candidates.is_empty() {
        return;
    }
    if own.is_empty() {
        sink.skip("the computer name and FQDN were not collected");
        return;
    }
    let disable = match looked_up(ctx, LSA, "DisableLoopbackCheck") {
        Ok(v) => v,
        Err(reason) => {
            sink.skip(reason);
            return;
        }
    };
    if disable.is_some() && ctx.registry_number(LSA, "DisableLoopbackCheck") != Some(0) {
        return; // The check is off (H004's concern), or the value is unreadable as a number.
    }
    let bchn = match ctx
        .snapshot
        .registry_value(MSV1_0, "BackConnectionHostNames")
    {
        Some(r) => r,
        None => {
            sink.skip(format!(
                "{MSV1_0}\\BackConnectionHostNames was not collected"
            ));
            return;
        }
    };
    let wrong_type = bchn.data.is_some()
        && !(matches!(bchn.data, Some(RegistryData::Lines(_)))
            && bchn
                .kind
                .as_deref()
                .is_none_or(|k| k.eq_ignore_ascii_case("REG_MULTI_SZ")));
    // Names already in the value (kept by the fix), and those Windows honours.
    let existing: Vec<String> = match &bchn.data {
        Some(RegistryData::Lines(l)) => l.iter().map(|s| s.trim().to_string()).collect(),
        Some(RegistryData::Text(t)) => t
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '\0')
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let existing: Vec<String> = existing.into_iter().filter(|s| !s.is_empty()).collect();
    let honoured: Vec<String> = if wrong_type {
        Vec::new()
    } else {
        existing.iter().map(|s| s.to_ascii_lowercase()).collect()
    };
    let fqdn_known = host.fqdn.as_deref().is_some_and(|f| !f.trim().is_empty());
    let computer = host.computer_name.as_deref().map(str::to_ascii_lowercase);
    let is_own = |name: &str| {
        own.iter().any(|o| o == name)
            // Without the FQDN, a name whose first label is the computer name may be it.
            || (!fqdn_known
                && computer
                    .as_deref()
                    .is_some_and(|c| name.split('.').next() == Some(c)))
    };
    let mut affected = Vec::new();
    for (p, w) in candidates {
        let Some(site) = ctx.config.site(&p.site) else {
            continue;
        };
        let mut names: Vec<(String, &crate::iis::Binding)> = Vec::new();
        for b in &site.bindings {
            if !(b.protocol.eq_ignore_ascii_case("http")
                || b.protocol.eq_ignore_ascii_case("https"))
            {
                continue;
            }
            let Some(h) = b.host.as_deref().map(|h| h.trim().to_ascii_lowercase()) else {
                continue;
            };
            if h.is_empty()
                || h == "localhost"
                || h.parse::<std::net::IpAddr>().is_ok()
                || is_own(&h)
                || honoured.contains(&h)
                || names.iter().any(|(n, _)| *n == h)
            {
                continue;
            }
            names.push((h, b));
        }
        if !names.is_empty() {
            affected.push((p, w, names));
        }
    }
    if affected.is_empty() {
        return;
    }
    // One value for the host: the names already there plus every missing one.
    let mut all = existing.clone();
    for (_, _, names) in &affected {
        for (n, _) in names {
            if !all.iter().any(|e| e.eq_ignore_ascii_case(n)) {
                all.push(n.clone());
            }
        }
    }
    let fix = format!(
        "reg add \"{MSV1_0}\" /v BackConnectionHostNames /t REG_MULTI_SZ /d \"{}\" /f",
        all.join("\\0")
    );
    let misplaced_bchn = ctx
        .snapshot
        .registry_value(LSA, "BackConnectionHostNames")
        .filter(|r| r.data.is_some());
    let misplaced_disable = ctx
        .snapshot
        .registry_value(MSV1_0, "DisableLoopbackCheck")
        .filter(|r| r.data.is_some());
    let who = host.computer_name.as_deref().unwrap_or(&host.name);
    let misplaced_names: Vec<String> = match misplaced_bchn.and_then(|r| r.data.as_ref()) {
        Some(RegistryData::Lines(l)) => l.iter().map(|s| s.trim().to_ascii_lowercase()).collect(),
        Some(RegistryData::Text(t)) => t
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '\0')
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    };
    for (p, w, names) in affected {
        let list: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        let (it, is, that) = if list.len() == 1 {
            ("it", "is", "that name")
        } else {
            ("they", "are", "those names")
        };
        let why = if wrong_type {
            format!(
                "BackConnectionHostNames is a {} instead of REG_MULTI_SZ, which Windows ignores",
                bchn.kind.as_deref().unwrap_or("value of another type")
            )
        } else if list.iter().any(|n| misplaced_names.iter().any(|m| m == n)) {
            format!(
                "the BackConnectionHostNames that lists {it} is under Lsa instead of \
Lsa\\MSV1_0, where Windows ignores it"
            )
        } else {
            format!("{it} {is} not listed in BackConnectionHostNames")
        };
        let ignored_disable = if misplaced_disable.is_some() {
            " (the DisableLoopbackCheck under Lsa\\MSV1_0 has no effect)"
        } else {
            ""
        };
        let mut d = located(
            FindingDraft::new(format!(
                "Windows authentication on {} answers to {}, which {is} not the computer's own \
name, and {why}: NTLM logons from {who} itself to {that} get 401.1 (loopback \
check){ignored_disable}.",
                p.site,
                list.join(", "),
            )),
            p,
        )
        .fix(fix.clone());
        for (_, b) in &names {
            let text = format!(
                "<binding protocol=\"{}\" bindingInformation=\"{}\" />",
                b.protocol, b.binding_information
            );
            d = match &b.origin {
                Origin::File { path, line } => d.config_line(path, *line, text),
                _ => d.fact(EvidenceKind::Config, None, text),
            };
        }
        d = windows_evidence(d, &w);
        d = d.fact(
            EvidenceKind::Host,
            None,
            format!(
                "computer name {}, FQDN {}",
                host.computer_name.as_deref().unwrap_or("(not collected)"),
                host.fqdn.as_deref().unwrap_or("(not collected)")
            ),
        );
        d = d.evidence(ctx.registry_evidence(LSA, "DisableLoopbackCheck"));
        d = d.evidence(ctx.registry_evidence(MSV1_0, "BackConnectionHostNames"));
        if misplaced_bchn.is_some() {
            d = d.evidence(ctx.registry_evidence(LSA, "BackConnectionHostNames"));
        }
        if misplaced_disable.is_some() {
            d = d.evidence(ctx.registry_evidence(MSV1_0, "DisableLoopbackCheck"));
        }
        sink.report(d);
    }
}

/// U102: incoming NTLM refused by policy while sites offer NTLM.
pub static NTLM_INCOMING_RESTRICTED: Rule = Rule {
    code: "U102",
    name: "ntlm-incoming-restricted",
    title: "Incoming NTLM is refused by policy while Windows authentication offers NTLM",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::Registry],
    docs: RuleDocs {
        what: "Reads `Lsa\\MSV1_0\\RestrictReceivingNTLMTraffic` (\"Network security: Restrict \
NTLM: Incoming NTLM traffic\"). With 2 (deny all accounts), or 1 (deny all domain accounts) on a \
domain-joined host, reports every site where Windows authentication offers NTLM — the `NTLM` \
provider, or `Negotiate`, which falls back to NTLM — once per site, at the shallowest such path.",
        why: "The policy makes the server refuse NTLM logons: with the `NTLM` provider every \
logon fails with 401.1; with `Negotiate` the logons that cannot use Kerberos (site reached by IP \
address or by an alias without an SPN, clients outside the domain, local browsing) fail with \
401.1 while the others work. Events land in Microsoft-Windows-NTLM/Operational.",
        example: "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0\\RestrictReceivingNTLMTraffic \
= 2\n<windowsAuthentication enabled=\"true\"><providers><add value=\"NTLM\" /></providers>",
        fix: "Prefer Kerberos (register the `HTTP/<host>` SPNs and use `Negotiate`), or allow \
NTLM for this server: change the GPO \"Network security: Restrict NTLM: Incoming NTLM traffic\" \
(or add exceptions); without a GPO, `reg add \
\"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0\" /v RestrictReceivingNTLMTraffic /t \
REG_DWORD /d 0 /f`. A GPO reapplies its value over the registry command.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/network-security-restrict-ntlm-incoming-ntlm-traffic",
        MS_STATUS,
    ],
    check: check_ntlm_incoming,
};

fn check_ntlm_incoming(ctx: &HostContext, sink: &mut Sink) {
    let candidates = ntlm_sites(ctx);
    if candidates.is_empty() {
        return;
    }
    if let Err(reason) = looked_up(ctx, MSV1_0, "RestrictReceivingNTLMTraffic") {
        sink.skip(reason);
        return;
    }
    let level = ctx.registry_number(MSV1_0, "RestrictReceivingNTLMTraffic");
    let scope = match level {
        Some(2) => "for all accounts",
        Some(1) => match ctx.snapshot.host.part_of_domain {
            Some(true) => "for domain accounts",
            Some(false) => return,
            None => {
                sink.skip(
                    "RestrictReceivingNTLMTraffic = 1, but domain membership was not collected",
                );
                return;
            }
        },
        _ => return,
    };
    let who = ctx
        .snapshot
        .host
        .computer_name
        .as_deref()
        .unwrap_or(&ctx.snapshot.host.name);
    for (p, w) in candidates {
        let provider = w.ntlm_provider().unwrap_or("NTLM");
        let message = if provider.eq_ignore_ascii_case("NTLM") {
            format!(
                "{who} refuses incoming NTLM {scope} (RestrictReceivingNTLMTraffic = {}), and \
Windows authentication on {} offers NTLM: those logons get 401.1.",
                level.unwrap_or_default(),
                display_path(p)
            )
        } else {
            format!(
                "{who} refuses incoming NTLM {scope} (RestrictReceivingNTLMTraffic = {}), and \
Windows authentication on {} offers Negotiate: logons that cannot use Kerberos (by IP address, \
alias without SPN, non-domain clients) fall back to NTLM and get 401.1.",
                level.unwrap_or_default(),
                display_path(p)
            )
        };
        let mut d = located(FindingDraft::new(message), p).fix(format!(
            "reg add \"{MSV1_0}\" /v RestrictReceivingNTLMTraffic /t REG_DWORD /d 0 /f"
        ));
        d = d.evidence(ctx.registry_evidence(MSV1_0, "RestrictReceivingNTLMTraffic"));
        d = windows_evidence(d, &w);
        if level == Some(1) {
            d = d.fact(
                EvidenceKind::Host,
                None,
                format!(
                    "joined to domain {}",
                    ctx.snapshot
                        .host
                        .domain
                        .as_deref()
                        .unwrap_or("(name not collected)")
                ),
            );
        }
        sink.report(d);
    }
}

/// U103: LmCompatibilityLevel 5 refuses LM/NTLMv1 responses.
pub static LM_COMPATIBILITY_EXTREME: Rule = Rule {
    code: "U103",
    name: "lm-compatibility-extreme",
    title: "LAN Manager authentication level 5 refuses clients that send LM or NTLMv1",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::Low,
    needs: &[Fact::Config, Fact::Registry],
    docs: RuleDocs {
        what: "Reads `Lsa\\LmCompatibilityLevel`. At 5 (\"Send NTLMv2 response only. Refuse LM & \
NTLM\") reports every site where Windows authentication offers NTLM (provider `NTLM` or \
`Negotiate`), once per site at the shallowest such path. Levels 0–2 weaken authentication but \
refuse nobody; they are the hygiene rule H009's concern.",
        why: "At level 5 the authenticating server refuses LM and NTLMv1 responses: clients still \
configured below level 3 (old Windows versions, embedded devices, some non-Windows HTTP stacks) \
get 401.1 although their password is right. This server's level decides for its local accounts; \
for domain accounts the domain controllers' level decides, which the scanner does not see — so \
the finding is a lead, not a verdict. Level 5 is the recommended setting: fix the clients.",
        example: "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\LmCompatibilityLevel = 5\n\
<windowsAuthentication enabled=\"true\"> with providers Negotiate, NTLM",
        fix: "On the clients that are refused, send NTLMv2: `reg add \
\"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\" /v LmCompatibilityLevel /t REG_DWORD /d 3 /f` \
(or the GPO \"Network security: LAN Manager authentication level\"). Keep 5 on the server.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/network-security-lan-manager-authentication-level",
        "CIS Microsoft Windows Server Benchmark, 2.3.11.7 Network security: LAN Manager authentication level",
        MS_STATUS,
    ],
    check: check_lm_compatibility,
};

fn check_lm_compatibility(ctx: &HostContext, sink: &mut Sink) {
    let candidates = ntlm_sites(ctx);
    if candidates.is_empty() {
        return;
    }
    if let Err(reason) = looked_up(ctx, LSA, "LmCompatibilityLevel") {
        sink.skip(reason);
        return;
    }
    if ctx.registry_number(LSA, "LmCompatibilityLevel") != Some(5) {
        return;
    }
    let who = ctx
        .snapshot
        .host
        .computer_name
        .as_deref()
        .unwrap_or(&ctx.snapshot.host.name);
    for (p, w) in candidates {
        let mut d = located(
            FindingDraft::new(format!(
                "LmCompatibilityLevel is 5 on {who}: clients that still send LM or NTLMv1 \
responses get 401.1 from Windows authentication on {} (run the fix on those clients).",
                display_path(p)
            )),
            p,
        )
        .fix(format!(
            "reg add \"{LSA}\" /v LmCompatibilityLevel /t REG_DWORD /d 3 /f"
        ));
        d = d.evidence(ctx.registry_evidence(LSA, "LmCompatibilityLevel"));
        d = windows_evidence(d, &w);
        sink.report(d);
    }
}

/// U104: kernel-mode Kerberos with a custom domain pool identity.
pub static KERBEROS_KERNEL_MODE_CUSTOM_IDENTITY: Rule = Rule {
    code: "U104",
    name: "kerberos-kernel-mode-custom-identity",
    title: "Kernel-mode Kerberos decrypts with the machine account while the pool runs as a domain account",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports a path where Windows authentication is enabled with a `Negotiate` \
provider, `useKernelMode` is true (the default) and `useAppPoolCredentials` is false (the \
default), while the path's application pool runs as a specific domain account \
(`identityType=\"SpecificUser\"`, `DOMAIN\\user` or `user@domain`). One finding per pool and \
site, at the shallowest path.",
        why: "Kernel-mode authentication decrypts Kerberos tickets with the machine account's key. \
When the `HTTP/<host>` SPN is registered to the pool's domain account — the usual setup for a \
farm or a DNS alias — the ticket is encrypted for that account, the machine key cannot decrypt \
it (KRB_AP_ERR_MODIFIED) and the logon fails with 401.1, often as repeated prompts. Conclusive \
when `setspn -Q HTTP/<host>` shows the SPN on the pool account.",
        example: "<add name=\"Intranet\"><processModel identityType=\"SpecificUser\" \
userName=\"CONTOSO\\svc-intranet\" /></add>\n<windowsAuthentication enabled=\"true\" /> \
(useKernelMode and useAppPoolCredentials at their defaults)",
        fix: "Let kernel mode decrypt with the pool identity: `appcmd set config \"Site\" \
-section:system.webServer/security/authentication/windowsAuthentication \
/useAppPoolCredentials:\"True\" /commit:apphost` (and register the SPN once, on that account: \
`setspn -S HTTP/<host> DOMAIN\\account`).",
    },
    references: &[MS_KERB, MS_STATUS],
    check: check_kernel_mode_custom_identity,
};

/// Whether `user` names a domain account (not a local one, not a built-in).
fn domain_account(user: &str, computer: Option<&str>) -> bool {
    let user = user.trim();
    if let Some((dom, name)) = user.split_once('\\') {
        let dom = dom.trim();
        !name.trim().is_empty()
            && !dom.is_empty()
            && dom != "."
            && !dom.eq_ignore_ascii_case("NT AUTHORITY")
            && !dom.eq_ignore_ascii_case("BUILTIN")
            && !dom.eq_ignore_ascii_case("IIS APPPOOL")
            && !computer.is_some_and(|c| c.eq_ignore_ascii_case(dom))
    } else {
        user.split_once('@')
            .is_some_and(|(n, d)| !n.is_empty() && d.contains('.'))
    }
}

fn check_kernel_mode_custom_identity(ctx: &HostContext, sink: &mut Sink) {
    if ctx.snapshot.host.part_of_domain == Some(false) {
        return;
    }
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let Some(pool_name) = p.pool.as_deref() else {
            continue;
        };
        if reported.covers(&p.site, &p.url_path, &pool_name.to_lowercase()) {
            continue;
        }
        let Some(w) = windows_auth(ctx, p) else {
            continue;
        };
        if !w.negotiate() {
            continue;
        }
        let kernel = w.section.bool("useKernelMode").unwrap_or(true);
        let pool_creds = w.section.bool("useAppPoolCredentials").unwrap_or(false);
        if !kernel || pool_creds {
            continue;
        }
        let Some(pool) = ctx.config.pool(pool_name) else {
            continue;
        };
        if pool.identity() != "SpecificUser" {
            continue;
        }
        let Some(user) = pool
            .user_name
            .as_ref()
            .filter(|u| domain_account(&u.value, ctx.snapshot.host.computer_name.as_deref()))
        else {
            continue;
        };
        let target = display_path(p);
        let hosts: Vec<String> = ctx
            .config
            .site(&p.site)
            .map(|s| {
                let mut v: Vec<String> = Vec::new();
                for h in s.bindings.iter().filter_map(|b| b.host.clone()) {
                    if !v.iter().any(|x| x.eq_ignore_ascii_case(&h)) {
                        v.push(h);
                    }
                }
                v
            })
            .unwrap_or_default();
        let spn_host = hosts
            .first()
            .cloned()
            .or_else(|| ctx.snapshot.host.fqdn.clone())
            .unwrap_or_else(|| "<host>".into());
        let mut d = located(
            FindingDraft::new(format!(
                "{target} uses kernel-mode Windows authentication with Negotiate, which decrypts \
Kerberos tickets with the machine account, but pool {} runs as {}: if HTTP/{spn_host} is \
registered to that account (setspn -Q HTTP/{spn_host}), Kerberos logons get 401.1.",
                pool.name, user.value
            )),
            p,
        )
        .key(pool.name.to_lowercase())
        .steps(vec![set_at(
            p,
            sections::WINDOWS_AUTHENTICATION,
            "useAppPoolCredentials",
            "True",
        )]);
        d = windows_evidence(d, &w);
        d = value_evidence(
            d,
            "windowsAuthentication",
            "useKernelMode",
            w.section.attribute("useKernelMode"),
        );
        d = value_evidence(
            d,
            "windowsAuthentication",
            "useAppPoolCredentials",
            w.section.attribute("useAppPoolCredentials"),
        );
        d = value_evidence(d, "processModel", "identityType", Some(&pool.identity_type));
        d = value_evidence(d, "processModel", "userName", Some(user));
        sink.report(d);
        reported.add(&p.site, &p.url_path, &pool_name.to_lowercase());
    }
}

/// U105: digest authentication on a server outside a domain.
pub static DIGEST_ON_WORKGROUP: Rule = Rule {
    code: "U105",
    name: "digest-on-workgroup",
    title: "Digest authentication is enabled on a server that is not in a domain",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports the shallowest path of each site where digest authentication is enabled \
when the host is not joined to an Active Directory domain (`PartOfDomain` false). A host whose \
domain membership was not collected is listed as not evaluated.",
        why: "IIS digest authentication validates the digest against Active Directory (\"the IIS \
server must be part of an Active Directory domain\"): on a workgroup server no logon can succeed \
and every digest logon gets 401.1.",
        example: "host WEB-07, PartOfDomain = false\n<digestAuthentication enabled=\"true\" />",
        fix: "Use Windows authentication (local accounts over NTLM) or basic authentication over \
TLS instead, then disable digest: `appcmd set config \"Site\" \
-section:system.webServer/security/authentication/digestAuthentication /enabled:\"False\" \
/commit:apphost`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/digestauthentication",
        "https://learn.microsoft.com/en-us/iis/get-started/introduction-to-iis/iis-modules-overview",
        MS_STATUS,
    ],
    check: check_digest_on_workgroup,
};

fn check_digest_on_workgroup(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    let mut skipped = false;
    for p in ctx.site_paths() {
        if reported.covers(&p.site, "/", "") {
            continue;
        }
        let (on, v) = ctx.method_enabled(p, sections::DIGEST_AUTHENTICATION);
        if !on {
            continue;
        }
        match ctx.snapshot.host.part_of_domain {
            Some(false) => {}
            Some(true) => return,
            None => {
                if !skipped {
                    sink.skip(
                        "digest authentication is enabled, but domain membership was not collected",
                    );
                    skipped = true;
                }
                continue;
            }
        }
        let target = display_path(p);
        let others = enabled_methods(ctx, p).into_iter().any(|(m, _)| {
            m.section == sections::WINDOWS_AUTHENTICATION
                || m.section == sections::BASIC_AUTHENTICATION
        });
        let disable = set_at(p, sections::DIGEST_AUTHENTICATION, "enabled", "False");
        let fix = if others {
            vec![disable]
        } else {
            let mut steps = challenge_steps(ctx, p);
            steps.push(disable);
            steps
        };
        let who = ctx
            .snapshot
            .host
            .computer_name
            .as_deref()
            .unwrap_or(&ctx.snapshot.host.name);
        let mut d = located(
            FindingDraft::new(format!(
                "Digest authentication is enabled for {target}, but {who} is not in an Active \
Directory domain: digest logons cannot be validated and get 401.1."
            )),
            p,
        )
        .steps(fix);
        d = value_evidence(d, "digestAuthentication", "enabled", v.as_ref());
        d = d.fact(
            EvidenceKind::Host,
            None,
            format!(
                "PartOfDomain = false (workgroup {})",
                ctx.snapshot
                    .host
                    .domain
                    .as_deref()
                    .unwrap_or("not collected")
            ),
        );
        sink.report(d);
        reported.add(&p.site, "/", "");
    }
}

/// U106: anonymous requests log on as a specific account with a stored password.
pub static ANONYMOUS_CUSTOM_ACCOUNT: Rule = Rule {
    code: "U106",
    name: "anonymous-custom-account",
    title: "Anonymous authentication logs on as a specific account",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::Medium,
    needs: &[Fact::Config, Fact::Accounts],
    docs: RuleDocs {
        what: "Reports the shallowest path where anonymous authentication is enabled with a \
`userName` that is a specific account — not IUSR and not `\"\"` (the pool identity). The \
account's state from the host (disabled) and whether a password is stored are evidence. An \
account that was not resolved on the host is listed as not evaluated.",
        why: "IIS logs every anonymous request on as that account with the password stored in \
the configuration. When the password is changed or expires, the account is disabled or locked \
out, or no password is stored, every anonymous request fails with 401.1 — the site breaks for \
everyone at the next password rotation.",
        example: "<anonymousAuthentication enabled=\"true\" userName=\"CONTOSO\\web-anon\" \
password=\"[enc:AesProvider:…:enc]\" />",
        fix: "Let anonymous requests run as the application pool identity (no password to \
keep in sync, CIS 1.6): `appcmd set config \"Site\" \
-section:system.webServer/security/authentication/anonymousAuthentication /userName:\"\" \
/commit:apphost` — and check the pool identity can read the content (U302).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/anonymousauthentication",
        "https://learn.microsoft.com/en-us/iis/web-hosting/web-server-for-shared-hosting/application-pool-identity-as-anonymous-user",
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 1.6 Ensure 'application pool identity' is configured for anonymous user identity",
    ],
    check: check_anonymous_custom_account,
};

fn check_anonymous_custom_account(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let anon = ctx.section(p, sections::ANONYMOUS_AUTHENTICATION);
        let Some((user, name)) = anonymous_user(&anon) else {
            continue;
        };
        if name.eq_ignore_ascii_case("IUSR") || name.eq_ignore_ascii_case(r"NT AUTHORITY\IUSR") {
            continue;
        }
        let key = name.to_lowercase();
        if reported.covers(&p.site, &p.url_path, &key) {
            continue;
        }
        let account = match ctx.snapshot.account(name) {
            Some(a) if a.error.is_none() && a.sid.is_some() => a,
            Some(a) => {
                sink.skip(format!(
                    "{} {}: anonymous account {name} did not resolve: {}",
                    p.site,
                    p.url_path,
                    a.error.as_deref().unwrap_or("no SID")
                ));
                reported.add(&p.site, &p.url_path, &key);
                continue;
            }
            None => {
                sink.skip(format!(
                    "{} {}: anonymous account {name} was not collected",
                    p.site, p.url_path
                ));
                reported.add(&p.site, &p.url_path, &key);
                continue;
            }
        };
        let password = SecretState::of(anon.attribute("password"));
        let target = display_path(p);
        let message = if account.enabled == Some(false) {
            format!(
                "Anonymous requests to {target} log on as {name}, which is disabled: every \
anonymous request gets 401.1."
            )
        } else if matches!(password, SecretState::Absent | SecretState::Empty) {
            format!(
                "Anonymous requests to {target} log on as {name}, but no password is stored for \
it: anonymous logons fail with 401.1."
            )
        } else {
            format!(
                "Anonymous requests to {target} log on as {name} with a password stored in the \
configuration: they get 401.1 as soon as that password changes or expires, or the account is \
disabled or locked out."
            )
        };
        let mut d = located(FindingDraft::new(message), p)
            .key(key.clone())
            .steps(vec![set_at(
                p,
                sections::ANONYMOUS_AUTHENTICATION,
                "userName",
                "",
            )]);
        d = value_evidence(d, "anonymousAuthentication", "userName", Some(user));
        let pw_text = match &password {
            SecretState::Absent => "anonymousAuthentication password is not set".to_string(),
            SecretState::Empty => "anonymousAuthentication password is empty".to_string(),
            SecretState::Encrypted(p) => {
                format!("anonymousAuthentication password is stored, encrypted with {p}")
            }
            SecretState::Plaintext => {
                "anonymousAuthentication password is stored in plain text (H003)".to_string()
            }
        };
        d = match anon.attribute("password").map(|v| &v.origin) {
            Some(Origin::File { path, line }) => d.config_line(path, *line, pw_text),
            _ => d.fact(EvidenceKind::Default, None, pw_text),
        };
        d = d.fact(
            EvidenceKind::Account,
            Some(name),
            format!(
                "{name} = {}{}",
                account.sid.as_deref().unwrap_or("?"),
                match account.enabled {
                    Some(true) => ", enabled",
                    Some(false) => ", disabled",
                    None => "",
                }
            ),
        );
        sink.report(d);
        reported.add(&p.site, &p.url_path, &key);
    }
}

/// The account anonymous requests log on as, where anonymous authentication is enabled and
/// `userName` is set to one (not left at the schema default, not `""` = the pool identity):
/// the attribute and its trimmed name.
fn anonymous_user(anon: &Effective) -> Option<(&Value, &str)> {
    if !anon.bool("enabled").unwrap_or(true) {
        return None;
    }
    let user = anon
        .attribute("userName")
        .filter(|u| !u.origin.is_schema_default())?;
    let name = user.value.trim();
    (!name.is_empty()).then_some((user, name))
}

/// U107: the Security log shows the anonymous account's logons failing.
pub static ANONYMOUS_ACCOUNT_LOGON_FAILS: Rule = Rule {
    code: "U107",
    name: "anonymous-account-logon-fails",
    title: "The Security log shows the anonymous account's logons failing",
    substatus: &[Substatus::LogonFailed],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::SecurityLog],
    docs: RuleDocs {
        what: "Reads the failed logons of the host's Security log (event 4625, and 4776 with a \
non-zero status) and reports each path whose anonymous authentication logs on as a specific \
account when that account's logons fail for a reason of the account itself: disabled \
(0xC0000072), locked out (0xC0000234), password expired (0xC0000071) or wrong (0xC000006A — a \
stored password that no longer matches), account expired (0xC0000193), must change password \
(0xC0000224), logon type not granted (0xC000015B), no such user (0xC0000064). The events (count, \
status, logon type, process, first and last time) are the evidence.",
        why: "Configuration can only say that a stored password *may* go stale (U106); the \
Security log says it *has*: every anonymous request to the path is answered 401.1 now, and the \
status names the reason. This outranks every configuration guess in `why`.",
        example: "<anonymousAuthentication enabled=\"true\" userName=\"CONTOSO\\iisanon\" \
password=\"[enc:AesProvider:…:enc]\" />   +   4625 CONTOSO\\iisanon 0xC000006E/0xC0000072 \
(account disabled), logon type 8, w3wp.exe",
        fix: "Repair the account (enable or unlock it, set a new password and store it again \
with `appcmd set config … /password:…`), or stop depending on it: `appcmd set config \"Site\" \
-section:system.webServer/security/authentication/anonymousAuthentication /userName:\"\" \
/commit:apphost` makes anonymous requests run as the pool identity (then check U302).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-4625",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/authentication/anonymousauthentication",
    ],
    check: check_anonymous_account_logon_fails,
};

fn check_anonymous_account_logon_fails(ctx: &HostContext, sink: &mut Sink) {
    let events = ctx
        .snapshot
        .security
        .as_ref()
        .map(|s| s.events.as_slice())
        .unwrap_or_default();
    let failing: Vec<crate::events::FailedLogons> = crate::events::group(events)
        .into_iter()
        .filter(|g| g.account_state())
        .collect();
    if failing.is_empty() {
        return;
    }
    let computer = ctx.snapshot.host.computer_name.as_deref();
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let anon = ctx.section(p, sections::ANONYMOUS_AUTHENTICATION);
        let Some((user, name)) = anonymous_user(&anon) else {
            continue;
        };
        let groups: Vec<&crate::events::FailedLogons> = failing
            .iter()
            .filter(|g| crate::events::same_account(name, &g.account, computer))
            .collect();
        let Some(main) = groups.first() else {
            continue;
        };
        let key = name.to_lowercase();
        if reported.covers(&p.site, &p.url_path, &key) {
            continue;
        }
        let count: u64 = groups.iter().map(|g| g.count).sum();
        let target = display_path(p);
        let mut d = located(
            FindingDraft::new(format!(
                "Anonymous requests to {target} log on as {name}, and the Security log shows \
                 {count} failed logon(s) of that account ({}): every anonymous request gets 401.1.",
                main.meaning
            )),
            p,
        )
        .key(key.clone())
        .steps(vec![set_at(
            p,
            sections::ANONYMOUS_AUTHENTICATION,
            "userName",
            "",
        )]);
        d = value_evidence(d, "anonymousAuthentication", "userName", Some(user));
        d = event_evidence(d, &groups);
        sink.report(d);
        reported.add(&p.site, &p.url_path, &key);
    }
}

/// One evidence line per group of failed logons: count, event, account, status (and
/// sub-status), meaning, logon type, process and time span.
fn event_evidence(mut d: FindingDraft, groups: &[&crate::events::FailedLogons]) -> FindingDraft {
    for g in groups {
        let mut text = format!(
            "{} × event {} {}: {}",
            g.count, g.event_id, g.account, g.status
        );
        if !g.substatus.is_empty() {
            text.push_str(&format!("/{}", g.substatus));
        }
        text.push_str(&format!(" ({})", g.meaning));
        if !g.logon_type.is_empty() {
            text.push_str(&format!(", logon type {}", g.logon_type));
        }
        if !g.process.is_empty() {
            text.push_str(&format!(", {}", g.process));
        }
        if let (Some(a), Some(b)) = (&g.first, &g.last) {
            text.push_str(&format!(", {a} – {b}"));
        }
        d = d.fact(EvidenceKind::Event, Some("Security log"), text);
    }
    d
}

/// H011: the Security log shows an application pool's own account failing to log on.
pub(super) static POOL_IDENTITY_LOGON_FAILS: Rule = Rule {
    code: "H011",
    name: "pool-identity-logon-fails",
    title: "The Security log shows an application pool's account failing to log on",
    substatus: &[Substatus::Hygiene],
    severity: Severity::High,
    needs: &[Fact::Config, Fact::SecurityLog],
    docs: RuleDocs {
        what: "Reads the failed logons of the host's Security log (event 4625, and 4776 with a \
non-zero status) and reports each application pool whose `processModel` runs as a specific \
account (`identityType=\"SpecificUser\"`) when that account's logons fail for a reason of the \
account itself: disabled, locked out, password expired or changed (the stored one no longer \
matches), account expired, logon type not granted, no such user. The events are the evidence; \
the finding sits at the first site path the pool serves and names the others.",
        why: "WAS logs on the pool's account to start its worker process. When that logon fails \
the pool cannot start: after a few attempts it is stopped (rapid-fail protection) and every \
request to its applications gets **503 Service Unavailable** — with no hint in IIS's own \
configuration, because the configuration is unchanged; only the account is not.",
        example: "<add name=\"Shop\"><processModel identityType=\"SpecificUser\" \
userName=\"CONTOSO\\svc-shop\" password=\"[enc:IISWASOnlyCngProvider:…:enc]\" /></add>   +   \
4625 CONTOSO\\svc-shop 0xC000006D/0xC0000071 (password expired), logon type 4 (batch)",
        fix: "Repair the account (enable or unlock it, or set a new password), store the \
password on the pool again — `appcmd set apppool \"Shop\" /processModel.password:\"…\"` — and \
start it (`appcmd start apppool \"Shop\"`); or run the pool as ApplicationPoolIdentity (then \
grant its `IIS AppPool\\Shop` identity what the account had).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/auditing/event-4625",
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/applicationpools/add/processmodel",
    ],
    check: check_pool_identity_logon_fails,
};

fn check_pool_identity_logon_fails(ctx: &HostContext, sink: &mut Sink) {
    let events = ctx
        .snapshot
        .security
        .as_ref()
        .map(|s| s.events.as_slice())
        .unwrap_or_default();
    let failing: Vec<crate::events::FailedLogons> = crate::events::group(events)
        .into_iter()
        .filter(|g| g.account_state())
        .collect();
    if failing.is_empty() {
        return;
    }
    let computer = ctx.snapshot.host.computer_name.as_deref();
    for pool in ctx.config.app_pools() {
        if !pool
            .identity_type
            .value
            .eq_ignore_ascii_case("SpecificUser")
        {
            continue;
        }
        let Some(user) = pool.user_name.as_ref() else {
            continue;
        };
        let name = user.value.trim();
        if name.is_empty() {
            continue;
        }
        let groups: Vec<&crate::events::FailedLogons> = failing
            .iter()
            .filter(|g| crate::events::same_account(name, &g.account, computer))
            .collect();
        let Some(main) = groups.first() else {
            continue;
        };
        let count: u64 = groups.iter().map(|g| g.count).sum();
        // The applications the pool serves, shallowest first (site paths come sorted).
        let served: Vec<&SitePath> = ctx
            .site_paths()
            .iter()
            .filter(|p| {
                p.pool
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&pool.name))
            })
            .collect();
        let mut apps: Vec<String> = Vec::new();
        for p in &served {
            let t = display_path(p);
            if !apps.contains(&t) {
                apps.push(t);
            }
        }
        let what = match apps.len() {
            0 => "no site uses it now".to_string(),
            1 => format!("{} answers 503", apps[0]),
            2 | 3 => format!("{} answer 503", apps.join(", ")),
            n => format!("{} and {} more answer 503", apps[..3].join(", "), n - 3),
        };
        let mut d = FindingDraft::new(format!(
            "Application pool {} runs as {name}, and the Security log shows {count} failed \
             logon(s) of that account ({}): the pool cannot start its worker process, so {what}.",
            pool.name, main.meaning
        ))
        .key(pool.name.to_lowercase())
        .fix(format!(
            "Repair {name} (enable or unlock it, or set a new password), then store the password \
             on the pool and start it: %windir%\\system32\\inetsrv\\appcmd.exe set apppool \"{}\" \
             /processModel.password:\"<the account's password>\" && \
             %windir%\\system32\\inetsrv\\appcmd.exe start apppool \"{}\"",
            pool.name, pool.name
        ));
        if let Some(p) = served.first() {
            d = located(d, p);
        }
        d = value_evidence(d, "processModel", "userName", Some(user));
        d = event_evidence(d, &groups);
        sink.report(d);
    }
}
