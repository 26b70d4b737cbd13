//! Configuration errors (HTTP 500.19 on the server) and ignored web.config files: the setting an
//! administrator wrote — often an authentication setting meant to fix a 401 — is not in force.
//!
//! C001 and C002 report the host's [`crate::iis::ConfigIssue`]s (one finding per file:line);
//! C003 reports web.config files whose security sections IIS skips.

use crate::finding::{EvidenceKind, Severity, Substatus};
use crate::iis::{sections, ConfigIssue, FileErrorKind, IgnoredReason, IssueKind, Origin};
use crate::snapshot::normalize_windows_path;
use crate::snapshot::FileRole;

use super::common::{appcmd_path, value_evidence};
use super::{Fact, FindingDraft, HostContext, Rule, RuleDocs, Sink};

pub(super) static RULES: &[&Rule] = &[
    &LOCKED_SECTION_OVERRIDDEN,
    &DUPLICATE_COLLECTION_KEY,
    &WEB_CONFIG_IGNORED,
    &WEB_CONFIG_MALFORMED,
];

const APPCMD: &str = r"%windir%\system32\inetsrv\appcmd.exe";

/// C001: a lower level sets a locked section, attribute, element or item.
pub static LOCKED_SECTION_OVERRIDDEN: Rule = Rule {
    code: "C001",
    name: "locked-section-overridden",
    title: "A web.config sets a section or attribute locked at a higher level",
    substatus: &[Substatus::ConfigError],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports configuration that IIS rejects because a higher level locked it: a section \
whose effective override mode is Deny (the six authentication sections, ipSecurity, access, \
handlers and modules are locked by default), an attribute or element locked with \
`lockAttributes`/`lockElements`, an entry locked with `lockItem`, or a section set where its \
`allowDefinition` forbids it. One finding per offending file and line.",
        why: "IIS answers HTTP 500.19 for every request below the file and applies none of its \
settings. Typically an application ships `<windowsAuthentication enabled=\"true\" />` in its \
web.config to fix a 401 — and gets a 500.19 instead, because authentication is locked to \
applicationHost.config.",
        example: "D:\\Sites\\Intranet\\hr\\web.config:\n<system.webServer><security><authentication>\n  \
<windowsAuthentication enabled=\"true\" />   ← overrideModeDefault=\"Deny\"\n\
</authentication></security></system.webServer>",
        fix: "Remove the setting from the web.config and set it in applicationHost.config \
(`appcmd set config \"Site/app\" -section:<section> /<attribute>:<value> /commit:apphost`), or \
delegate the section to that path deliberately: `appcmd unlock config \"Site/app\" \
-section:<section>`.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/get-started/planning-for-security/how-to-use-locking-in-iis-configuration",
        "https://learn.microsoft.com/en-us/iis/manage/managing-your-configuration-settings/understanding-iis-configuration-delegation",
    ],
    check: check_locked,
};

/// C002: a collection entry whose key already exists (or a section set twice).
pub static DUPLICATE_COLLECTION_KEY: Rule = Rule {
    code: "C002",
    name: "duplicate-collection-key",
    title: "A collection <add> duplicates an existing key",
    substatus: &[Substatus::ConfigError],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports collection entries (`<add>`) whose key attributes match an inherited or \
earlier entry — e.g. an authorization rule for `users=\"*\"` added below the inherited allow-all \
without `<remove>`, a second `Negotiate` provider, a site or application pool defined twice — and \
sections set twice for the same location in one file. One finding per offending file and line.",
        why: "IIS rejects the whole configuration file with HTTP 500.19 (0x800700b7, \"Cannot add \
duplicate collection entry\"): none of its settings apply, including the authorization or \
authentication change that was meant to fix a 401.",
        example: "<authorization>\n  <add accessType=\"Deny\" users=\"*\" />   ← key (users, roles, verbs) \
already inherited from <add accessType=\"Allow\" users=\"*\" />\n</authorization>",
        fix: "Put `<remove>` with the same key before the `<add>` (`<remove users=\"*\" roles=\"\" \
verbs=\"\" />`), or delete the duplicate entry.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/get-started/planning-your-iis-architecture/iis-7-and-iis-8-configuration-reference",
        "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/www-administration-management/http-status-code",
    ],
    check: check_duplicates,
};

/// C003: a web.config with security settings that IIS does not read.
pub static WEB_CONFIG_IGNORED: Rule = Rule {
    code: "C003",
    name: "web-config-ignored",
    title: "A web.config with authentication or authorization settings is ignored",
    substatus: &[Substatus::ConfigError],
    severity: Severity::Medium,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports web.config files holding authentication, authorization, access or IP \
restriction sections (IIS or ASP.NET) that IIS skips because the application pool has \
`enableConfigurationOverride=\"false\"` or the file lies below a virtual directory with \
`allowSubDirConfig=\"false\"`. One finding per file.",
        why: "The settings look right in the file but are not in force: no error is shown, IIS \
simply uses the inherited configuration — so a 401 that the file should fix persists, or content \
it should protect is open.",
        example: "<add name=\"Shop\" enableConfigurationOverride=\"false\" />\n\
D:\\Sites\\Shop\\web.config: <authorization><deny users=\"?\" /></authorization>   ← never read",
        fix: "`appcmd set apppool \"Shop\" /enableConfigurationOverride:\"True\"` (or `appcmd set \
vdir \"Site/\" /allowSubDirConfig:\"True\"`), or move the settings into applicationHost.config.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/applicationpools/add/",
        "https://learn.microsoft.com/en-us/iis/configuration/system.applicationhost/sites/site/application/virtualdirectory",
    ],
    check: check_web_config_ignored,
};

/// The site and URL path of a configuration file, from the site folders that contain it
/// (deepest virtual directory first).
pub(super) fn site_of_file(ctx: &HostContext, file: &str) -> Option<(String, String)> {
    let norm = normalize_windows_path(file);
    let folder = norm.rsplit_once('\\').map(|(f, _)| f)?;
    let mut best: Option<(usize, String, String)> = None;
    for site in ctx.config.sites() {
        for app in &site.applications {
            for v in &app.virtual_directories {
                if v.physical_path_expanded.is_empty() {
                    continue;
                }
                let root = normalize_windows_path(&v.physical_path_expanded);
                let rest = if folder == root {
                    ""
                } else if let Some(r) = folder.strip_prefix(&format!("{root}\\")) {
                    r
                } else {
                    continue;
                };
                if best.as_ref().is_some_and(|(len, _, _)| *len >= root.len()) {
                    continue;
                }
                // Segments keep the file's own case.
                let original = file.replace('/', "\\");
                let segs: Vec<&str> = if rest.is_empty() {
                    Vec::new()
                } else {
                    let parts: Vec<&str> = original.split('\\').collect();
                    let n = rest.split('\\').count();
                    parts[parts.len().saturating_sub(n + 1)..parts.len() - 1].to_vec()
                };
                let mut url = v.url_path.trim_end_matches('/').to_string();
                for s in segs {
                    url.push('/');
                    url.push_str(s);
                }
                if url.is_empty() {
                    url.push('/');
                }
                best = Some((root.len(), site.name.clone(), url));
            }
        }
    }
    best.map(|(_, s, u)| (s, u))
}

/// The site and URL path of an issue: from its config path, else from its file.
fn issue_location(ctx: &HostContext, i: &ConfigIssue) -> Option<(String, String)> {
    if let Some(rest) = i.config_path.strip_prefix("MACHINE/WEBROOT/APPHOST/") {
        let (site, url) = rest.split_once('/').unwrap_or((rest, ""));
        if let Some(s) = ctx.config.site(site) {
            return Some((s.name.clone(), format!("/{url}")));
        }
    }
    if i.file.to_lowercase().ends_with("web.config") {
        return site_of_file(ctx, &i.file);
    }
    None
}

fn issue_draft(ctx: &HostContext, i: &ConfigIssue, fix: String) -> FindingDraft {
    let what = match i.kind {
        IssueKind::LockedSection => "locked section",
        IssueKind::LockedAttribute => "locked attribute",
        IssueKind::LockedElement => "locked element",
        IssueKind::LockedItem => "locked collection entry",
        IssueKind::DefinitionNotAllowed => "section not allowed at this level",
        IssueKind::DuplicateKey => "duplicate collection key",
        IssueKind::DuplicateSection => "section set twice",
        IssueKind::MissingKey => "collection entry without its key",
        IssueKind::MissingApplicationPool => "missing application pool",
    };
    let section = if i.section.is_empty() {
        String::new()
    } else {
        format!(" in {}", i.section)
    };
    let mut d = FindingDraft::new(format!("{} line {}: {}.", i.file, i.line, i.message))
        .config_line(&i.file, i.line, format!("{what}{section}"))
        .fix(fix)
        .key(format!(
            "{:?}|{}|{}|{}",
            i.kind,
            i.file.to_lowercase(),
            i.section,
            i.message
                .split(" at ")
                .next()
                .unwrap_or("")
                .split(" (")
                .next()
                .unwrap_or("")
        ));
    if let Some((site, url)) = issue_location(ctx, i) {
        d = d.at(&site, None, Some(&url));
    }
    if i.file.to_lowercase().ends_with("\\web.config") {
        if let Some((folder, _)) = i.file.rsplit_once('\\') {
            d = d.physical(folder);
        }
    }
    if !i.config_path.is_empty() {
        d = d.fact(
            EvidenceKind::Config,
            None,
            format!("applies at {}", i.config_path),
        );
    }
    d
}

/// C004: a web.config that is not well-formed XML.
pub static WEB_CONFIG_MALFORMED: Rule = Rule {
    code: "C004",
    name: "web-config-malformed",
    title: "A web.config is not well-formed XML",
    substatus: &[Substatus::ConfigError],
    severity: Severity::High,
    needs: &[Fact::Config],
    docs: RuleDocs {
        what: "Reports a web.config file that does not parse as XML (an unclosed element, a stray \
`&`, a bad encoding, a cut-off file), with its file, line and column, at the site and path the \
file governs.",
        why: "IIS cannot read the file: every request at and below its folder gets HTTP 500.19 \
(0x8007000d, \"Configuration file is not well-formed XML\") and none of its settings — \
including the authentication or authorization change meant to fix a 401 — applies. A scanner \
that only lists the file as unreadable would call the path clean.",
        example: "D:\\Sites\\Intranet\\web.config line 9, column 3:\n<system.webServer>\n  <security>\n\
</configuration>          ← <security> and <system.webServer> never closed",
        fix: "Correct the XML at the line and column given (an XML editor or `[xml](Get-Content \
web.config)` in PowerShell shows the first error), then request the page again.",
    },
    references: &[
        "https://learn.microsoft.com/en-us/troubleshoot/developer/webapps/iis/health-diagnostic-performance/http-error-500-19-webpage",
    ],
    check: check_malformed,
};

fn check_malformed(ctx: &HostContext, sink: &mut Sink) {
    for e in ctx.config.file_errors() {
        if e.role != FileRole::WebConfig || !matches!(e.kind, FileErrorKind::Malformed) {
            continue;
        }
        let mut d = FindingDraft::new(format!(
            "{} line {}, column {}: not well-formed XML ({}); IIS answers 500.19 at and below this \
             folder and applies none of the file's settings.",
            e.file, e.line, e.column, e.message
        ))
        .config_line(
            &e.file,
            e.line,
            format!("column {}: {}", e.column, e.message),
        )
        .fix(format!(
            "correct the XML of {} at line {}, column {}",
            e.file, e.line, e.column
        ))
        .key(e.file.to_lowercase());
        if let Some((site, url)) = site_of_file(ctx, &e.file) {
            d = d.at(&site, None, Some(&url));
        }
        if let Some((folder, _)) = e.file.rsplit_once('\\') {
            d = d.physical(folder);
        }
        sink.report(d);
    }
}

fn check_locked(ctx: &HostContext, sink: &mut Sink) {
    for i in ctx.config.issues() {
        let fix = match i.kind {
            // As the documentation orders it: set it at the level that owns it first; unlock
            // (delegate) only as the alternative, saying what that hands over.
            IssueKind::LockedSection => match issue_location(ctx, i) {
                Some((site, url)) => {
                    let location = appcmd_path(&site, &url);
                    format!(
                        "remove <{element}> from {file} and set it in applicationHost.config for \
                         this path: {APPCMD} set config \"{location}\" -section:{section} \
                         /<attribute>:<value> /commit:apphost, or in PowerShell \
                         Set-WebConfigurationProperty -PSPath MACHINE/WEBROOT/APPHOST -Location \
                         '{location}' -Filter {section} -Name <attribute> -Value <value>. \
                         Alternatively delegate the section to this path: {APPCMD} unlock config \
                         \"{location}\" -section:{section} (every web.config at and below \
                         {location} may then set all of it, enabled included)",
                        element = i.section.rsplit('/').next().unwrap_or(&i.section),
                        file = i.file,
                        section = i.section,
                    )
                }
                None => format!(
                    "remove <{}> from {} (line {}) and set it in applicationHost.config with \
                     /commit:apphost",
                    i.section.rsplit('/').next().unwrap_or(&i.section),
                    i.file,
                    i.line
                ),
            },
            IssueKind::LockedAttribute | IssueKind::LockedElement | IssueKind::LockedItem => {
                format!(
                    "remove the locked setting at {} line {}, or change it at the level that \
                     locks it (see the message)",
                    i.file, i.line
                )
            }
            IssueKind::DefinitionNotAllowed => format!(
                "move <{}> from {} (line {}) to a level its allowDefinition permits",
                i.section.rsplit('/').next().unwrap_or(&i.section),
                i.file,
                i.line
            ),
            _ => continue,
        };
        sink.report(issue_draft(ctx, i, fix));
    }
}

fn check_duplicates(ctx: &HostContext, sink: &mut Sink) {
    for i in ctx.config.issues() {
        let fix = match i.kind {
            IssueKind::DuplicateKey => format!(
                "in {} line {}: put a <remove> with the same key before the entry, or delete it",
                i.file, i.line
            ),
            IssueKind::DuplicateSection => format!(
                "in {} line {}: merge the second <{}> into the first",
                i.file,
                i.line,
                i.section.rsplit('/').next().unwrap_or(&i.section)
            ),
            _ => continue,
        };
        sink.report(issue_draft(ctx, i, fix));
    }
}

/// Sections whose being ignored changes who may read what.
const SECURITY_SECTIONS: [&str; 12] = [
    sections::ANONYMOUS_AUTHENTICATION,
    sections::BASIC_AUTHENTICATION,
    sections::WINDOWS_AUTHENTICATION,
    sections::DIGEST_AUTHENTICATION,
    sections::CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
    sections::IIS_CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
    sections::AUTHORIZATION,
    sections::ACCESS,
    sections::IP_SECURITY,
    sections::ASPNET_AUTHENTICATION,
    sections::ASPNET_AUTHORIZATION,
    sections::ASPNET_IDENTITY,
];

fn check_web_config_ignored(ctx: &HostContext, sink: &mut Sink) {
    // file → (first path, reason, ignored section occurrences)
    struct Hit {
        file: String,
        p: super::common::SitePath,
        reason: IgnoredReason,
        sections: Vec<(String, u32)>,
    }
    let mut hits: Vec<Hit> = Vec::new();
    for p in ctx.site_paths().iter().filter(|p| p.skips_web_config) {
        for section in SECURITY_SECTIONS {
            let e = ctx.section(p, section);
            for ig in &e.ignored {
                if !matches!(
                    ig.reason,
                    IgnoredReason::PoolConfigurationOverrideDisabled
                        | IgnoredReason::SubDirConfigDisallowed
                ) {
                    continue;
                }
                let Origin::File { path, line } = &ig.origin else {
                    continue;
                };
                let hit = match hits
                    .iter_mut()
                    .position(|h| h.file.eq_ignore_ascii_case(path))
                {
                    Some(i) => &mut hits[i],
                    None => {
                        hits.push(Hit {
                            file: path.to_string(),
                            p: p.clone(),
                            reason: ig.reason,
                            sections: Vec::new(),
                        });
                        hits.last_mut().expect("just pushed")
                    }
                };
                if !hit.sections.iter().any(|(s, l)| s == section && l == line) {
                    hit.sections.push((section.to_string(), *line));
                }
            }
        }
    }
    for h in hits {
        let p = &h.p;
        let target = appcmd_path(&p.site, &p.url_path);
        let names: Vec<&str> = h
            .sections
            .iter()
            .map(|(s, _)| s.rsplit('/').next().unwrap_or(s))
            .collect();
        let pool_name = p.pool.clone().unwrap_or_default();
        let vdir = super::acl::vdir_of(ctx, p);
        let vname = vdir
            .map(|(s, a, v)| super::acl::appcmd_vdir(&s.name, &a.path, &v.path))
            .unwrap_or_else(|| format!("{target}/"));
        let (why, fix) = match h.reason {
            IgnoredReason::PoolConfigurationOverrideDisabled => (
                format!("application pool {pool_name} has enableConfigurationOverride=\"false\""),
                format!(
                    "{APPCMD} set apppool \"{pool_name}\" /enableConfigurationOverride:\"True\""
                ),
            ),
            _ => (
                format!(
                    "it lies below virtual directory {vname}, which has allowSubDirConfig=\"false\""
                ),
                format!("{APPCMD} set vdir \"{vname}\" /allowSubDirConfig:\"True\""),
            ),
        };
        let mut d = FindingDraft::new(format!(
            "{} is ignored because {why}: its {} settings are not in force at {target}.",
            h.file,
            names.join(", ")
        ))
        .at(&p.site, p.application.as_deref(), Some(&p.url_path))
        .fix(fix)
        .key(h.file.to_lowercase());
        for (s, line) in &h.sections {
            d = d.config_line(&h.file, *line, format!("{s} (not applied)"));
        }
        match h.reason {
            IgnoredReason::PoolConfigurationOverrideDisabled => {
                if let Some(pool) = ctx.config.pool(&pool_name) {
                    d = value_evidence(
                        d,
                        &format!("add name=\"{}\"", pool.name),
                        "enableConfigurationOverride",
                        Some(&pool.enable_configuration_override),
                    );
                }
            }
            _ => {
                if let Some((_, _, v)) = vdir {
                    d = value_evidence(
                        d,
                        "virtualDirectory",
                        "allowSubDirConfig",
                        Some(&v.allow_sub_dir_config),
                    );
                }
            }
        }
        sink.report(d);
    }
}
