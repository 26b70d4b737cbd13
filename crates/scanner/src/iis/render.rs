//! Printing effective configuration: text for people, JSON (serde) for machines.
//!
//! Backs `iis-sweep config PATH --site NAME [--path /app/sub] [--section S] [--format json|text]`:
//! build a [`ConfigReport`] with [`ConfigReport::build`], then [`ConfigReport::to_text`] or
//! `serde_json::to_value(&report)`.

use std::fmt::Write as _;

use serde::Serialize;

use super::model::{Effective, EffectiveElement, Item, Origin};
use super::resolve::ResolvedPath;
use super::{ConfigIssue, HostConfig};

/// Effective configuration of one site path, for printing.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigReport {
    /// Host name.
    pub host: String,
    /// What the path resolves to (`None` when the site does not exist).
    pub resolved: Option<ResolvedPath>,
    /// The sections, each with every attribute and collection entry and its origin.
    pub sections: Vec<Effective>,
    /// Host-wide configuration issues in files on this path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<ConfigIssue>,
}

impl ConfigReport {
    /// Builds the report. With `section: None`, every section known to the schema table plus
    /// every section set in a file on the path is included.
    pub fn build(host: &HostConfig, site: &str, url_path: &str, section: Option<&str>) -> Self {
        let view = host.at(site, url_path);
        let resolved = view.as_ref().map(|v| v.resolved().clone());
        let names: Vec<String> = match section {
            Some(s) => vec![s.to_string()],
            None => {
                let mut n: Vec<String> = super::schema::SECTIONS
                    .iter()
                    .filter(|s| !s.name.starts_with("system.applicationHost/"))
                    .map(|s| s.name.to_string())
                    .collect();
                for extra in host.section_names() {
                    if !n.contains(&extra) && !extra.starts_with("system.applicationHost/") {
                        n.push(extra);
                    }
                }
                n.sort();
                n
            }
        };
        let mut sections = Vec::with_capacity(names.len());
        for n in &names {
            let eff = match &view {
                Some(v) => v.effective(n),
                None => (*host.effective(site, url_path, n)).clone(),
            };
            if section.is_none() && !eff.known_section && !eff.is_defined() {
                continue;
            }
            sections.push(eff);
        }
        let files: Vec<&str> = resolved
            .as_ref()
            .map(|r| {
                r.web_configs
                    .iter()
                    .filter_map(|w| w.file.as_deref())
                    .collect()
            })
            .unwrap_or_default();
        let issues = host
            .issues()
            .iter()
            .filter(|i| files.iter().any(|f| f.eq_ignore_ascii_case(&i.file)))
            .cloned()
            .collect();
        ConfigReport {
            host: host.host().to_string(),
            resolved,
            sections,
            issues,
        }
    }

    /// Human-readable rendering.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "host: {}", self.host);
        match &self.resolved {
            Some(r) => {
                let _ = writeln!(out, "site: {} (id {})", r.site, opt(r.site_id));
                let _ = writeln!(out, "path: {}  [{}]", r.url_path, r.config_path);
                let _ = writeln!(
                    out,
                    "application: {}  pool: {}{}",
                    r.application.as_deref().unwrap_or("-"),
                    r.application_pool.as_deref().unwrap_or("-"),
                    if r.application_pool_exists || r.application_pool.is_none() {
                        ""
                    } else {
                        " (missing)"
                    }
                );
                let _ = writeln!(
                    out,
                    "virtual directory: {}  physical path: {}{}",
                    r.virtual_directory.as_deref().unwrap_or("-"),
                    r.physical_path.as_deref().unwrap_or("-"),
                    r.connect_as
                        .as_deref()
                        .map(|u| format!("  connect as: {u}"))
                        .unwrap_or_default()
                );
                for w in &r.web_configs {
                    if let Some(f) = &w.file {
                        let _ = writeln!(
                            out,
                            "web.config: {f}{}",
                            w.ignored
                                .map(|i| format!("  (ignored: {})", serde_name(&i)))
                                .unwrap_or_default()
                        );
                    }
                }
            }
            None => {
                let _ = writeln!(out, "site not found; showing server-level settings");
            }
        }
        for i in &self.issues {
            let _ = writeln!(
                out,
                "issue: {} {}:{} {}: {}",
                serde_name(&i.kind),
                i.file,
                i.line,
                i.section,
                i.message
            );
        }
        for s in &self.sections {
            out.push('\n');
            out.push_str(&render_text(s));
        }
        out
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |x| x.to_string())
}

fn serde_name<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|j| j.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn origin_text(o: &Origin) -> String {
    o.to_string()
}

/// Renders one effective section as text: every attribute, child element and collection
/// entry with its origin.
pub fn render_text(e: &Effective) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "[{}]  {}  (override mode {} from {})",
        e.section,
        e.config_path,
        serde_name(&e.override_mode.mode),
        origin_text(&e.override_mode.origin)
    );
    element(&mut out, &e.element, 1);
    for ig in &e.ignored {
        let _ = writeln!(
            out,
            "  ignored: {} ({})",
            origin_text(&ig.origin),
            serde_name(&ig.reason)
        );
    }
    for i in &e.issues {
        let _ = writeln!(
            out,
            "  issue: {} {}:{}: {}",
            serde_name(&i.kind),
            i.file,
            i.line,
            i.message
        );
    }
    out
}

fn element(out: &mut String, el: &EffectiveElement, depth: usize) {
    let pad = "  ".repeat(depth);
    let width = el
        .attributes
        .iter()
        .map(|a| a.name.len())
        .max()
        .unwrap_or(0);
    for a in &el.attributes {
        let _ = writeln!(
            out,
            "{pad}{:<width$} = {:<24} ({})",
            a.name,
            quote(&a.value.value),
            origin_text(&a.value.origin)
        );
    }
    for c in &el.children {
        let _ = writeln!(out, "{pad}{}:", c.name);
        element(out, c, depth + 1);
    }
    for it in &el.collection {
        item(out, it, depth);
    }
}

fn item(out: &mut String, it: &Item, depth: usize) {
    let pad = "  ".repeat(depth);
    let attrs: Vec<String> = it
        .attributes
        .iter()
        .filter(|a| !a.value.origin.is_schema_default())
        .map(|a| format!("{}={}", a.name, quote(&a.value.value)))
        .collect();
    let _ = writeln!(
        out,
        "{pad}<{} {}>{}  ({})",
        it.element,
        attrs.join(" "),
        if it.locked { " [lockItem]" } else { "" },
        origin_text(&it.origin)
    );
    for c in &it.children {
        item(out, c, depth + 1);
    }
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\\\""))
}
