//! 401.4 / 401.5 — authorization failed by an ISAPI filter, or by an ISAPI/CGI application.
//! The logic lives in third-party code; what the configuration shows is where such code runs.

use crate::finding::{EvidenceKind, Severity, Substatus};
use crate::iis::{sections, Item, Origin};

use super::common::{
    commit_for, display_path, excluded_by, global_module_evidence, item_evidence, list, loaded_in,
    located, module_use, ModuleUse, Reported, APPCMD, MS_STATUS,
};
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[&THIRD_PARTY_ISAPI_FILTER, &ISAPI_CGI_HANDLER];

/// The file name of a Windows path, lower-cased (`%windir%\…\aspnet_filter.dll` → `aspnet_filter.dll`).
fn file_name(path: &str) -> String {
    path.trim()
        .trim_matches('"')
        .rsplit(['\\', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// U401: an enabled ISAPI filter other than ASP.NET's.
pub static THIRD_PARTY_ISAPI_FILTER: Rule = Rule {
    code: "U401",
    name: "third-party-isapi-filter",
    title: "A third-party ISAPI filter sees every request",
    substatus: &[Substatus::Filter],
    severity: Severity::Info,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Where `IsapiFilterModule` is installed, lists the enabled entries of the effective \
`system.webServer/isapiFilters` collection other than ASP.NET's own filter \
(`aspnet_filter.dll`), once per site and filter, at the shallowest path where the filter applies. \
A filter whose `preCondition` (`bitness32`/`bitness64`, `runtimeVersionv2.0`/`v4.0`, \
`integratedMode`/`classicMode`) does not hold in the path's application pool is not loaded there \
and not reported; a reported one names the pool its precondition holds in.",
        why: "Only an ISAPI filter produces 401.4 (\"Authorization failed by filter\"). Filters \
are typically single sign-on agents, URL rewriters or security products from IIS 6 days; their \
decision logic is not in the IIS configuration, so the scanner can only point at them. When 401.4 \
shows up in the logs, this is where to look — the filter's own logs and settings.",
        example: "<isapiFilters>\n  <filter name=\"SiteMinderAgent\" \
path=\"C:\\Program Files\\CA\\webagent\\bin\\ISAPI6WebAgent.dll\" />\n</isapiFilters>",
        fix: "Check the filter's configuration and logs; if the filter is no longer needed, \
remove it: `appcmd set config \"Site\" -section:system.webServer/isapiFilters \
/-\"[name='Filter']\" /commit:apphost`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/isapifilters/",
        MS_STATUS,
    ],
    check: check_isapi_filters,
};

fn is_aspnet_filter(i: &Item) -> bool {
    file_name(i.value("path").unwrap_or("")) == "aspnet_filter.dll"
}

fn check_isapi_filters(ctx: &HostContext, sink: &mut Sink) {
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let filters = ctx.section(p, sections::ISAPI_FILTERS);
        let third_party: Vec<&Item> = filters
            .collection()
            .iter()
            .filter(|i| i.bool("enabled").unwrap_or(true) && !is_aspnet_filter(i))
            .collect();
        if third_party.is_empty() {
            continue;
        }
        if module_use(ctx, p, "IsapiFilterModule") != ModuleUse::Usable {
            continue;
        }
        for f in third_party {
            let name = f.value("name").unwrap_or("").to_string();
            if reported.covers(&p.site, &p.url_path, &name) {
                continue;
            }
            // A filter its preCondition keeps out of this path's pool never sees the request.
            let pre = f.value("preCondition").unwrap_or("");
            if excluded_by(ctx, p, pre).is_some() {
                continue;
            }
            let target = display_path(p);
            let mut d = located(
                FindingDraft::new(format!(
                    "ISAPI filter \"{name}\" ({}) runs for every request to {target}{}; a 401.4 \
there is its decision — check the filter's own configuration and logs.",
                    f.value("path").unwrap_or(""),
                    loaded_in(ctx, p, pre)
                )),
                p,
            )
            .key(name.clone())
            .fix(format!(
                "{APPCMD} set config \"{target}\" -section:system.webServer/isapiFilters \
/-\"[name='{name}']\"{}",
                commit_for(ctx, Some(&f.origin))
            ));
            d = item_evidence(d, f);
            d = global_module_evidence(ctx, d, "IsapiFilterModule");
            sink.report(d);
            reported.add(&p.site, &p.url_path, &name);
        }
    }
}

/// U402: a handler runs a non-standard ISAPI extension or CGI program.
pub static ISAPI_CGI_HANDLER: Rule = Rule {
    code: "U402",
    name: "isapi-cgi-handler",
    title: "A handler runs a third-party ISAPI extension or CGI program",
    substatus: &[Substatus::IsapiCgi],
    severity: Severity::Info,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Lists the effective `system.webServer/handlers` entries mapped to `IsapiModule` or \
`CgiModule` whose `scriptProcessor` is not one of IIS's or ASP.NET's own (`asp.dll`, \
`aspnet_isapi.dll`), when that module is installed and `isapiCgiRestriction` lets the DLL/EXE run \
(listed with `allowed=\"true\"`, or `notListedIsapisAllowed`/`notListedCgisAllowed`), and its \
`preCondition` holds in the path's application pool (the finding names the pool). Once per site \
and handler, at the shallowest path.",
        why: "Only an ISAPI extension or a CGI program produces 401.5 (\"Authorization failed by \
ISAPI/CGI application\"): the program itself answered 401. Its reasons are in its own code and \
configuration; the scanner points at the handlers that can do it.",
        example: "<add name=\"LegacyReports\" path=\"*.rpt\" verb=\"*\" modules=\"IsapiModule\" \
scriptProcessor=\"D:\\Apps\\Reports\\reports.dll\" resourceType=\"File\" />",
        fix: "Check the extension's own configuration and logs for why it refuses the request; \
if the handler is not needed, remove it: `appcmd set config \"Site\" \
-section:system.webServer/handlers /-\"[name='Handler']\" /commit:apphost`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/handlers/",
        "https://learn.microsoft.com/en-us/iis/configuration/system.webserver/security/isapicgirestriction/",
        "CIS Microsoft IIS 10 Benchmark v1.2.1, 4.9/4.10 notListedIsapisAllowed / notListedCgisAllowed set to false",
        MS_STATUS,
    ],
    check: check_isapi_cgi_handlers,
};

/// IIS's and ASP.NET's own ISAPI extensions.
const STANDARD_EXTENSIONS: [&str; 2] = ["asp.dll", "aspnet_isapi.dll"];

const ISAPI_CGI_RESTRICTION: &str = "system.webServer/security/isapiCgiRestriction";

/// `%VAR%` expanded from the host facts, lower-cased, for comparing paths.
fn expand(ctx: &HostContext, path: &str) -> String {
    let mut out = path.trim().trim_matches('"').to_string();
    for (k, v) in &ctx.snapshot.host.env {
        let pat = format!("%{}%", k.to_ascii_lowercase());
        let lower = out.to_ascii_lowercase();
        if let Some(pos) = lower.find(&pat) {
            out.replace_range(pos..pos + pat.len(), v);
        }
    }
    out.to_ascii_lowercase().replace('/', "\\")
}

fn check_isapi_cgi_handlers(ctx: &HostContext, sink: &mut Sink) {
    let restriction = ctx.config.effective_server(ISAPI_CGI_RESTRICTION);
    let mut reported = Reported::default();
    for p in ctx.site_paths() {
        let handlers = ctx.section(p, sections::HANDLERS);
        for h in handlers.collection() {
            let modules = list(h.value("modules"));
            let module = if modules
                .iter()
                .any(|m| m.eq_ignore_ascii_case("IsapiModule"))
            {
                "IsapiModule"
            } else if modules.iter().any(|m| m.eq_ignore_ascii_case("CgiModule")) {
                "CgiModule"
            } else {
                continue;
            };
            let processor = h.value("scriptProcessor").unwrap_or("").trim();
            if processor.is_empty() {
                continue;
            }
            let exe = file_name(processor.split('|').next().unwrap_or(processor));
            if STANDARD_EXTENSIONS.contains(&exe.as_str()) {
                continue;
            }
            let name = h.value("name").unwrap_or("").to_string();
            if reported.covers(&p.site, &p.url_path, &name) {
                continue;
            }
            if module_use(ctx, p, module) != ModuleUse::Usable {
                continue;
            }
            let pre = h.value("preCondition").unwrap_or("");
            if excluded_by(ctx, p, pre).is_some() {
                continue; // not mapped in this path's pool: another handler serves the request
            }
            // isapiCgiRestriction: listed and allowed, or unlisted ones allowed.
            let wanted = expand(ctx, processor.split('|').next().unwrap_or(processor));
            let listed = restriction
                .collection()
                .iter()
                .find(|i| i.value("path").is_some_and(|v| expand(ctx, v) == wanted));
            let unlisted_attr = if module == "IsapiModule" {
                "notListedIsapisAllowed"
            } else {
                "notListedCgisAllowed"
            };
            let allowed = match listed {
                Some(i) => i.bool("allowed").unwrap_or(false),
                None => restriction.bool(unlisted_attr).unwrap_or(false),
            };
            if !allowed {
                continue; // IIS refuses it with 404.2 before it can answer 401.5.
            }
            let target = display_path(p);
            let kind = if module == "IsapiModule" {
                "ISAPI extension"
            } else {
                "CGI program"
            };
            let mut d = located(
                FindingDraft::new(format!(
                    "Handler \"{name}\" ({}) at {target} runs the {kind} {processor}{}; a \
401.5 there is that program's answer — check its own configuration and logs.",
                    h.value("path").unwrap_or(""),
                    loaded_in(ctx, p, pre)
                )),
                p,
            )
            .key(name.clone())
            .fix(format!(
                "{APPCMD} set config \"{target}\" -section:system.webServer/handlers \
/-\"[name='{name}']\"{}",
                commit_for(ctx, Some(&h.origin))
            ));
            d = item_evidence(d, h);
            d = match listed {
                Some(i) => item_evidence(d, i),
                None => {
                    let text = format!(
                        "isapiCgiRestriction {unlisted_attr}=\"true\" (the DLL/EXE is not listed)"
                    );
                    match restriction.attribute(unlisted_attr).map(|v| &v.origin) {
                        Some(Origin::File { path, line }) => d.config_line(path, *line, text),
                        _ => d.fact(EvidenceKind::Config, None, text),
                    }
                }
            };
            d = global_module_evidence(ctx, d, module);
            sink.report(d);
            reported.add(&p.site, &p.url_path, &name);
        }
    }
}
