//! What a host's result rests on. Each kind of fact is evaluated, partly evaluated or not
//! collected; each site whose delegated sections live in a web.config that was not seen (not
//! collected, or unreadable) is listed; and a finding that cites such a section says that it
//! holds only "unless overridden in <file>". A host where nothing could be judged is "not
//! evaluated", never "clean".

use crate::finding::{Coverage, CoveragePart, CoverageState, Finding, NotSeen};
use crate::iis::{sections, HostConfig};
use crate::rules::common::url_within;
use crate::snapshot::{FileRole, Snapshot};

/// Sections the rules read that a web.config may set, when they are not locked.
const DELEGABLE: [&str; 13] = [
    sections::ANONYMOUS_AUTHENTICATION,
    sections::BASIC_AUTHENTICATION,
    sections::WINDOWS_AUTHENTICATION,
    sections::DIGEST_AUTHENTICATION,
    sections::CLIENT_CERTIFICATE_MAPPING_AUTHENTICATION,
    sections::AUTHORIZATION,
    sections::IP_SECURITY,
    sections::DYNAMIC_IP_SECURITY,
    sections::ACCESS,
    sections::HANDLERS,
    sections::MODULES,
    sections::ISAPI_FILTERS,
    sections::ASPNET_AUTHENTICATION,
];

/// At most this many applications are examined for delegated sections: the list is for people,
/// and a 100,000-site host given without its web.config files says so once in the detail.
const MAX_NOT_SEEN: usize = 500;

/// The coverage of one host. `rules_evaluated` is how many rules ran.
pub fn of_host(snapshot: &Snapshot, config: &HostConfig, rules_evaluated: usize) -> Coverage {
    let c = &snapshot.collected;
    let errors_of = |stages: &[&str]| -> Vec<String> {
        snapshot
            .errors
            .iter()
            .filter(|e| stages.contains(&e.stage.as_str()))
            .map(|e| match &e.target {
                Some(t) => format!("{t}: {}", e.message),
                None => e.message.clone(),
            })
            .collect()
    };
    let part = |name: &str, collected: bool, errors: Vec<String>, seen: Option<String>| {
        let (state, detail) = if !collected {
            (
                CoverageState::NotCollected,
                Some("not collected".to_string()),
            )
        } else if !errors.is_empty() {
            (CoverageState::Partial, Some(summarise(&errors)))
        } else {
            (CoverageState::Evaluated, seen)
        };
        CoveragePart {
            part: name.to_string(),
            state,
            detail,
        }
    };

    let apphost_error = config
        .file_errors()
        .iter()
        .find(|e| e.role == FileRole::ApplicationHost);
    let apphost = CoveragePart {
        part: "applicationHost.config".into(),
        state: if config.has_application_host() && apphost_error.is_none() {
            CoverageState::Evaluated
        } else {
            CoverageState::NotCollected
        },
        detail: match apphost_error {
            Some(e) => Some(format!("could not be read: {}", e.message)),
            None if !config.has_application_host() => Some("not collected".into()),
            None => Some(format!(
                "{} sites, {} applications",
                config.sites().len(),
                config.applications().count()
            )),
        },
    };

    let web_configs = snapshot
        .files
        .iter()
        .filter(|f| f.role == FileRole::WebConfig)
        .count();
    let unreadable: Vec<String> = unreadable_web_configs(snapshot)
        .map(|(path, why)| format!("{path}: {why}"))
        .chain(errors_of(&["file", "limit"]))
        .collect();
    let web = if !c.web_configs {
        CoveragePart {
            part: "web.config files".into(),
            state: CoverageState::NotCollected,
            detail: Some(
                "not given: only applicationHost.config was read; sections the sites delegate \
                 to their web.config files are listed under not_seen"
                    .into(),
            ),
        }
    } else {
        part(
            "web.config files",
            c.config,
            unreadable,
            Some(format!("{web_configs} read")),
        )
    };

    let mut parts = vec![apphost, web];
    parts.push(part("folder ACLs", c.acls, errors_of(&["acl"]), None));
    parts.push(part(
        "account SIDs",
        c.accounts,
        errors_of(&["accounts"]),
        None,
    ));
    parts.push(part(
        "registry values",
        c.registry,
        errors_of(&["registry"]),
        None,
    ));
    parts.push(part("IIS logs", c.logs, errors_of(&["logs"]), None));
    let security = snapshot.security.as_ref();
    let mut security_gaps = errors_of(&["security"]);
    if security.is_some_and(|s| s.truncated) {
        security_gaps
            .push("more failed logons than the collector ships; the newest were read".into());
    }
    parts.push(part(
        "Security log",
        c.security_log,
        security_gaps,
        security.map(|s| format!("{} failed logons in {} days", s.events.len(), s.days)),
    ));

    Coverage {
        evaluated: rules_evaluated > 0 && config.has_application_host() && apphost_error.is_none(),
        parts,
        not_seen: not_seen(snapshot, config),
    }
}

/// Up to three messages, then a count.
fn summarise(errors: &[String]) -> String {
    let mut s = errors
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > 3 {
        s.push_str(&format!("; and {} more", errors.len() - 3));
    }
    s
}

/// The web.config files the snapshot holds but that could not be read in full, with why.
fn unreadable_web_configs(snapshot: &Snapshot) -> impl Iterator<Item = (&str, &str)> {
    snapshot
        .files
        .iter()
        .filter(|f| f.role == FileRole::WebConfig && (f.text.is_none() || f.truncated))
        .map(|f| {
            let why = f
                .error
                .as_deref()
                .unwrap_or("cut at the collector's size bound");
            (f.path.as_str(), why)
        })
}

/// Each application whose web.config was not seen, with the sections it may set there.
fn not_seen(snapshot: &Snapshot, config: &HostConfig) -> Vec<NotSeen> {
    let mut out = Vec::new();
    if !snapshot.collected.config || !config.has_application_host() {
        return out;
    }
    let unreadable: Vec<(&str, &str)> = unreadable_web_configs(snapshot).collect();
    if snapshot.collected.web_configs && unreadable.is_empty() {
        return out;
    }
    for (site, app) in config.applications() {
        if out.len() >= MAX_NOT_SEEN {
            break;
        }
        let Some(root) = app.virtual_directories.iter().find(|v| v.path == "/") else {
            continue;
        };
        let folder = root.physical_path_expanded.trim_end_matches('\\');
        if folder.is_empty() {
            continue;
        }
        let file = format!("{folder}\\web.config");
        let reason = if !snapshot.collected.web_configs {
            "web.config files were not given".to_string()
        } else if let Some((_, why)) = unreadable
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(&file))
        {
            format!("could not be read: {why}")
        } else {
            continue;
        };
        let Some(view) = config.at(&site.name, &app.path) else {
            continue;
        };
        let delegated: Vec<String> = DELEGABLE
            .iter()
            .filter(|s| view.effective(s).override_mode.mode == crate::iis::OverrideMode::Allow)
            .map(|s| s.to_string())
            .collect();
        if !delegated.is_empty() {
            out.push(NotSeen {
                site: site.name.clone(),
                url_path: app.path.clone(),
                file,
                reason,
                sections: delegated,
            });
        }
    }
    out
}

/// Marks each finding whose evidence cites a section delegated to a file that was not seen, at
/// or above the finding's path.
pub fn qualify(findings: &mut [Finding], coverage: &Coverage) {
    if coverage.not_seen.is_empty() {
        return;
    }
    for f in findings.iter_mut() {
        let (Some(site), Some(path)) = (&f.site, &f.url_path) else {
            continue;
        };
        let cited: Vec<&str> = f
            .evidence
            .iter()
            .filter_map(|e| element_of(&e.text))
            .collect();
        let overriding: Vec<&str> = coverage
            .not_seen
            .iter()
            .filter(|n| n.site.eq_ignore_ascii_case(site) && url_within(path, &n.url_path))
            .filter(|n| n.sections.iter().any(|s| cited.iter().any(|c| cites(s, c))))
            .map(|n| n.file.as_str())
            .collect();
        if !overriding.is_empty() {
            f.confidence = format!("unless overridden in {}", overriding.join(" or "));
        }
    }
}

/// Whether evidence quoting `element` shows a setting of `section`: the section's own element
/// or one of its collection entries.
fn cites(section: &str, element: &str) -> bool {
    let leaf = section.rsplit('/').next().unwrap_or(section);
    let children: &[&str] = match leaf {
        "authorization" => &["add", "remove", "clear", "allow", "deny"],
        "ipSecurity" | "handlers" | "modules" => &["add", "remove", "clear"],
        "isapiFilters" => &["filter", "remove", "clear"],
        "authentication" if section.starts_with("system.web/") => &["forms", "passport"],
        "windowsAuthentication" => &["providers", "extendedProtection"],
        "dynamicIpSecurity" => &["denyByConcurrentRequests", "denyByRequestRate"],
        _ => &[],
    };
    element.eq_ignore_ascii_case(leaf) || children.iter().any(|c| element.eq_ignore_ascii_case(c))
}

/// The element a piece of evidence quotes: `<anonymousAuthentication enabled="false" />` or
/// `anonymousAuthentication enabled="false" (schema default)` → `anonymousAuthentication`.
fn element_of(text: &str) -> Option<&str> {
    let t = text.trim_start().trim_start_matches('<');
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    (end > 0).then(|| &t[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_element_is_found_in_both_evidence_forms() {
        assert_eq!(
            element_of(r#"<anonymousAuthentication enabled="false" />"#),
            Some("anonymousAuthentication")
        );
        assert_eq!(
            element_of(r#"authorization add accessType="Deny" (schema default)"#),
            Some("authorization")
        );
        assert_eq!(element_of("  "), None);
    }

    #[test]
    fn paths_are_under_their_application_by_segment() {
        assert!(url_within("/App/Sub", "/app"));
        assert!(url_within("/anything", "/"));
        assert!(!url_within("/application", "/app"));
    }
}
