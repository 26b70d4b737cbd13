//! 401.501–401.504 — IP and domain restrictions configured to answer "Unauthorized".

use crate::finding::{Severity, Substatus};
use crate::iis::sections;

use super::common::{
    display_path, global_module_evidence, item_evidence, located, module_use, ModuleUse, Reported,
    MS_STATUS,
};
use super::common::{set_at, value_evidence};
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[
    &IP_RESTRICTION_UNAUTHORIZED,
    &DYNAMIC_IP_RESTRICTION_UNAUTHORIZED,
];

/// U501: static IP/domain restrictions deny with 401.
pub static IP_RESTRICTION_UNAUTHORIZED: Rule = Rule {
    code: "U501",
    name: "ip-restriction-unauthorized",
    title: "IP and domain restrictions deny clients with 401 instead of 403",
    substatus: &[Substatus::IpDenied, Substatus::HostNameDenied],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Where `IpRestrictionModule` is installed, reports a path whose effective \
`system.webServer/security/ipSecurity` has `denyAction=\"Unauthorized\"` and denies someone: deny \
rules for IP addresses or `allowUnlisted=\"false\"` (401.503), deny rules for domain names with \
`enableReverseDns=\"true\"` (401.504; without reverse DNS they never match). One finding per \
site, substatus and shallowest path.",
        why: "A denied client gets 401.503 (IP address) or 401.504 (host name) instead of \
403.503/403.504: the browser treats it as a logon problem and prompts for credentials that can \
never help (\"spurious authentication attempts\"), and the 401 is mistaken for an authentication \
failure.",
        example: "<ipSecurity denyAction=\"Unauthorized\" allowUnlisted=\"false\">\n  \
<add ipAddress=\"10.0.0.0\" subnetMask=\"255.0.0.0\" allowed=\"true\" />\n</ipSecurity>",
        fix: "Answer denied clients with 403: `appcmd set config \"Site\" \
-section:system.webServer/security/ipSecurity /denyAction:\"Forbidden\" /commit:apphost` — and \
check that the denied client really should be denied.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/ipsecurity/",
        MS_STATUS,
    ],
    check: check_ip_restriction,
};

fn check_ip_restriction(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let ip = ctx.section(p, sections::IP_SECURITY);
        if ip.enum_value("denyAction") != Some("Unauthorized") {
            continue;
        }
        if module_use(ctx, p, "IpRestrictionModule") != ModuleUse::Usable {
            continue;
        }
        let denies = |by_domain: bool| {
            ip.collection()
                .iter()
                .filter(move |i| !i.bool("allowed").unwrap_or(false))
                .filter(move |i| {
                    let domain = i.value("domainName").is_some_and(|d| !d.trim().is_empty());
                    domain == by_domain
                })
        };
        let unlisted_denied = ip.bool("allowUnlisted") == Some(false);
        let reverse_dns = ip.bool("enableReverseDns").unwrap_or(false);
        let target = display_path(p);
        let fix = vec![set_at(
            p,
            "system.webServer/security/ipSecurity",
            "denyAction",
            "Forbidden",
        )];
        // 401.503: IP rules or allowUnlisted=false.
        if (denies(false).next().is_some() || unlisted_denied)
            && !reported.covers(&p.site, &p.url_path, "ip")
        {
            let ranges: Vec<String> = denies(false)
                .map(|i| {
                    let ip = i.value("ipAddress").unwrap_or("");
                    match i.value("subnetMask").map(str::trim) {
                        Some(m) if !m.is_empty() && m != "255.255.255.255" => format!("{ip}/{m}"),
                        _ => ip.to_string(),
                    }
                })
                .collect();
            let listed = if ranges.len() > 3 {
                format!("{} address ranges", ranges.len())
            } else {
                ranges.join(", ")
            };
            let what = match (ranges.is_empty(), unlisted_denied) {
                (true, _) => "every client not listed as allowed".to_string(),
                (false, true) => format!("{listed} and every client not listed as allowed"),
                (false, false) => listed,
            };
            let mut d = located(
                FindingDraft::new(format!(
                    "IP restrictions at {target} deny {what} with denyAction=\"Unauthorized\": \
those clients get 401.503 (and a pointless logon prompt) instead of 403.503."
                )),
                p,
            )
            .substatus(Substatus::IpDenied)
            .key("ip")
            .steps(fix.clone());
            d = value_evidence(d, "ipSecurity", "denyAction", ip.attribute("denyAction"));
            if unlisted_denied {
                d = value_evidence(
                    d,
                    "ipSecurity",
                    "allowUnlisted",
                    ip.attribute("allowUnlisted"),
                );
            }
            for i in denies(false) {
                d = item_evidence(d, i);
            }
            d = global_module_evidence(ctx, d, "IpRestrictionModule");
            sink.report(d);
            reported.add(&p.site, &p.url_path, "ip");
        }
        // 401.504: domain-name rules, which only match with reverse DNS on.
        if reverse_dns
            && denies(true).next().is_some()
            && !reported.covers(&p.site, &p.url_path, "domain")
        {
            let names: Vec<&str> = denies(true).filter_map(|i| i.value("domainName")).collect();
            let mut d = located(
                FindingDraft::new(format!(
                    "Domain restrictions at {target} deny {} with denyAction=\"Unauthorized\": \
those clients get 401.504 (and a pointless logon prompt) instead of 403.504.",
                    names.join(", ")
                )),
                p,
            )
            .substatus(Substatus::HostNameDenied)
            .key("domain")
            .steps(fix);
            d = value_evidence(d, "ipSecurity", "denyAction", ip.attribute("denyAction"));
            d = value_evidence(
                d,
                "ipSecurity",
                "enableReverseDns",
                ip.attribute("enableReverseDns"),
            );
            for i in denies(true) {
                d = item_evidence(d, i);
            }
            d = global_module_evidence(ctx, d, "IpRestrictionModule");
            sink.report(d);
            reported.add(&p.site, &p.url_path, "domain");
        }
    }
}

/// U502: dynamic IP restrictions deny with 401.
pub static DYNAMIC_IP_RESTRICTION_UNAUTHORIZED: Rule = Rule {
    code: "U502",
    name: "dynamic-ip-restriction-unauthorized",
    title: "Dynamic IP restrictions deny busy clients with 401 instead of 403",
    substatus: &[Substatus::DynamicIpConcurrent, Substatus::DynamicIpRate],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Where `DynamicIpRestrictionModule` is installed, reports a path whose effective \
`system.webServer/security/dynamicIpSecurity` has `denyAction=\"Unauthorized\"`, is not in \
logging-only mode, and enables `denyByConcurrentRequests` (401.501) or `denyByRequestRate` \
(401.502). One finding per site, substatus and shallowest path.",
        why: "A client over the limit gets 401.501/401.502 instead of 403.501/403.502, so the \
browser prompts for credentials that cannot help and the throttling looks like an \
authentication failure. Behind a load balancer or proxy without `enableProxyMode=\"true\"` all \
clients share the proxy's address and hit the limit together.",
        example: "<dynamicIpSecurity denyAction=\"Unauthorized\">\n  \
<denyByRequestRate enabled=\"true\" maxRequests=\"20\" requestIntervalInMilliseconds=\"200\" />\n\
</dynamicIpSecurity>",
        fix: "Answer throttled clients with 403: `appcmd set config \"Site\" \
-section:system.webServer/security/dynamicIpSecurity /denyAction:\"Forbidden\" /commit:apphost`. \
Only behind a load balancer or reverse proxy, also set `/enableProxyMode:\"True\"` (it trusts \
X-Forwarded-For, which direct clients can forge).",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/manage/configuring-security/using-dynamic-ip-restrictions",
        "https://learn.microsoft.com/en-us/iis/get-started/whats-new-in-iis-8/iis-80-dynamic-ip-address-restrictions",
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 4.11 Ensure 'Dynamic IP Address Restrictions' is enabled",
        MS_STATUS,
    ],
    check: check_dynamic_ip_restriction,
};

fn check_dynamic_ip_restriction(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let dip = ctx.section(p, sections::DYNAMIC_IP_SECURITY);
        if dip.enum_value("denyAction") != Some("Unauthorized")
            || dip.bool("enableLoggingOnlyMode").unwrap_or(false)
        {
            continue;
        }
        if module_use(ctx, p, "DynamicIpRestrictionModule") != ModuleUse::Usable {
            continue;
        }
        let target = display_path(p);
        for (child, key, substatus) in [
            (
                "denyByConcurrentRequests",
                "concurrent",
                Substatus::DynamicIpConcurrent,
            ),
            ("denyByRequestRate", "rate", Substatus::DynamicIpRate),
        ] {
            let c = dip.child(child);
            if !c.bool("enabled").unwrap_or(false) || reported.covers(&p.site, &p.url_path, key) {
                continue;
            }
            let limit = if key == "concurrent" {
                format!(
                    "more than {} concurrent requests",
                    c.value("maxConcurrentRequests").unwrap_or("5")
                )
            } else {
                format!(
                    "more than {} requests in {} ms",
                    c.value("maxRequests").unwrap_or("20"),
                    c.value("requestIntervalInMilliseconds").unwrap_or("200")
                )
            };
            let code = substatus.as_str();
            let mut d = located(
                FindingDraft::new(format!(
                    "Dynamic IP restrictions at {target} deny clients that send {limit} with \
denyAction=\"Unauthorized\": they get {code} (and a pointless logon prompt) instead of 403.{}.",
                    code.trim_start_matches("401.")
                )),
                p,
            )
            .substatus(substatus)
            .key(key)
            .steps(vec![set_at(
                p,
                "system.webServer/security/dynamicIpSecurity",
                "denyAction",
                "Forbidden",
            )]);
            d = value_evidence(
                d,
                "dynamicIpSecurity",
                "denyAction",
                dip.attribute("denyAction"),
            );
            d = value_evidence(d, child, "enabled", c.attribute("enabled"));
            d = value_evidence(
                d,
                "dynamicIpSecurity",
                "enableProxyMode",
                dip.attribute("enableProxyMode"),
            );
            d = global_module_evidence(ctx, d, "DynamicIpRestrictionModule");
            sink.report(d);
            reported.add(&p.site, &p.url_path, key);
        }
    }
}
