//! Files → section occurrences ("instances"), indexed by section and normalized location path.
//!
//! Each configuration file contributes instances: one per section element, either at the top
//! level (location path `""`) or inside `<location path=…>`. A file's index maps
//! `section id → normalized path → instances in document order`, so resolving a target path
//! costs one hash lookup per ancestor of the target, however many location tags exist.
//!
//! Paths are normalized to lower case, `/`-separated, without leading/trailing separators,
//! `.`/empty segments dropped. In applicationHost.config (and machine.config / root
//! web.config) a path is `site[/url/path]`; in a web.config it is relative to the file's folder.

use std::collections::HashSet;

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use super::model::{ConfigIssue, IssueKind, Origin};
use super::schema::{self, AllowDefinition, OverrideMode};
use super::xml::XmlElement;
use crate::snapshot::FileRole;

/// One parsed configuration file.
#[derive(Debug)]
pub(crate) struct FileEntry {
    pub path: Arc<str>,
    pub role: FileRole,
    /// `section id → normalized location path → instance ids` (document order).
    pub index: HashMap<u32, HashMap<Box<str>, Vec<u32>>>,
}

/// One section element in one file, at one location path.
#[derive(Debug)]
pub(crate) struct Instance {
    pub file: u32,
    /// The location path as written.
    pub raw_path: Box<str>,
    /// `<location>` line, when inside one.
    pub location_line: Option<u32>,
    /// Explicit `overrideMode` / `allowOverride` of the enclosing location tag.
    pub override_mode: Option<OverrideMode>,
    /// `inheritInChildApplications` of the enclosing location tag (default true).
    pub inherit_in_child_apps: bool,
    /// Rejected: the same section twice for the same path in this file.
    pub duplicate: bool,
    pub element: XmlElement,
}

/// A `<section>` declaration from some `<configSections>`.
#[derive(Debug, Clone)]
pub(crate) struct SectionDecl {
    pub override_mode_default: Option<OverrideMode>,
    pub allow_definition: Option<AllowDefinition>,
    pub allow_location: bool,
    pub origin: Origin,
}

/// Everything the merge needs to know about one section, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct SectionInfo {
    /// Canonical name (schema spelling when known).
    pub name: std::sync::Arc<str>,
    pub schema: Option<&'static schema::SectionSchema>,
    pub override_mode_default: OverrideMode,
    pub override_origin: Origin,
    pub allow_definition: AllowDefinition,
    pub allow_location: bool,
}

/// Section names, ids, groups and declarations for one host.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub groups: HashSet<String>,
    pub decls: HashMap<String, SectionDecl>,
    ids: HashMap<String, u32>,
    /// `ids` by lower-cased name, for the case-insensitive fallback; filled by
    /// [`Registry::finalize`] with `infos`.
    ids_lower: HashMap<String, u32>,
    names: Vec<String>,
    /// `infos[id]`, filled by [`Registry::finalize`].
    infos: Vec<SectionInfo>,
}

impl Registry {
    pub fn new() -> Self {
        let mut r = Registry::default();
        for g in schema::KNOWN_GROUPS {
            r.groups.insert((*g).to_string());
        }
        r
    }

    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// Section id by name: exact, then ASCII case-insensitive.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.exact_id(name).or_else(|| self.id_ignoring_case(name))
    }

    /// Section id by name as spelled.
    pub fn exact_id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// Section id by name, ignoring ASCII case.
    pub fn id_ignoring_case(&self, name: &str) -> Option<u32> {
        // A short list is scanned faster than a name is lower-cased and hashed; before
        // `finalize` (files still being read) the map does not cover every name yet.
        let finalized = self.infos.len() == self.names.len();
        if finalized && self.names.len() > 16 {
            self.ids_lower.get(&name.to_ascii_lowercase()).copied()
        } else {
            self.names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
                .and_then(|p| u32::try_from(p).ok())
        }
    }

    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", |s| s.as_str())
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Reads one file's `<configSections>`; the first declaration of a name wins.
    pub fn read_config_sections(&mut self, root: &XmlElement, path: &Arc<str>) {
        for cs in root.children_named("configSections") {
            self.read_group(cs, "", path);
        }
    }

    fn read_group(&mut self, el: &XmlElement, prefix: &str, path: &Arc<str>) {
        for c in &el.children {
            let Some(name) = c.attr_value("name") else {
                continue;
            };
            let full = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            match &*c.name {
                "sectionGroup" => {
                    self.groups.insert(full.clone());
                    self.read_group(c, &full, path);
                }
                "section" => {
                    if self.decls.contains_key(&full) {
                        continue;
                    }
                    let omd = c
                        .attr_value("overrideModeDefault")
                        .and_then(parse_override_mode);
                    let ad = c
                        .attr_value("allowDefinition")
                        .and_then(AllowDefinition::parse);
                    let al = c
                        .attr_value("allowLocation")
                        .and_then(schema::parse_bool)
                        .unwrap_or(true);
                    self.decls.insert(
                        full,
                        SectionDecl {
                            override_mode_default: omd,
                            allow_definition: ad,
                            allow_location: al,
                            origin: Origin::file(path, c.line),
                        },
                    );
                }
                _ => {}
            }
        }
    }

    /// Resolves [`SectionInfo`] for every interned section (call after extraction).
    pub fn finalize(&mut self) {
        self.infos = self.names.iter().map(|n| self.make_info(n)).collect();
        self.ids_lower = HashMap::with_capacity(self.names.len());
        for (id, n) in self.names.iter().enumerate().rev() {
            // The first name of a spelling wins, as in the scan it replaces.
            if let Ok(id) = u32::try_from(id) {
                self.ids_lower.insert(n.to_ascii_lowercase(), id);
            }
        }
    }

    /// Section info for `name`: cached when the section occurs in some file.
    pub fn info(&self, name: &str) -> (Option<u32>, std::borrow::Cow<'_, SectionInfo>) {
        let id = self.id(name);
        match id.and_then(|i| self.infos.get(i as usize)) {
            Some(info) => (id, std::borrow::Cow::Borrowed(info)),
            None => (id, std::borrow::Cow::Owned(self.make_info(name))),
        }
    }

    fn make_info(&self, name: &str) -> SectionInfo {
        let sch = schema::section(name);
        let canonical = sch.map_or_else(|| name.to_string(), |s| s.name.to_string());
        let (m, o) = self.override_mode_default(&canonical);
        SectionInfo {
            allow_definition: self.allow_definition(&canonical),
            allow_location: self.allow_location(&canonical),
            name: canonical.as_str().into(),
            schema: sch,
            override_mode_default: m,
            override_origin: o,
        }
    }

    /// `overrideModeDefault` for a section: declaration, then the built-in table, then Allow.
    pub fn override_mode_default(&self, section: &str) -> (OverrideMode, Origin) {
        if let Some(d) = self.decls.get(section) {
            if let Some(m) = d.override_mode_default {
                return (m, d.origin.clone());
            }
            // Declared without the attribute: the documented default is Allow.
            return (OverrideMode::Allow, d.origin.clone());
        }
        match schema::section(section) {
            Some(s) => (s.override_mode_default, Origin::SchemaDefault),
            None => (OverrideMode::Allow, Origin::SchemaDefault),
        }
    }

    /// `allowDefinition` for a section: declaration, then the built-in table, then Everywhere.
    pub fn allow_definition(&self, section: &str) -> AllowDefinition {
        if let Some(d) = self.decls.get(section) {
            if let Some(a) = d.allow_definition {
                return a;
            }
            return AllowDefinition::Everywhere;
        }
        schema::section(section).map_or(AllowDefinition::Everywhere, |s| s.allow_definition)
    }

    pub fn allow_location(&self, section: &str) -> bool {
        self.decls.get(section).is_none_or(|d| d.allow_location)
    }
}

pub(crate) fn parse_override_mode(v: &str) -> Option<OverrideMode> {
    match v.trim().to_ascii_lowercase().as_str() {
        "allow" => Some(OverrideMode::Allow),
        "deny" => Some(OverrideMode::Deny),
        _ => None,
    }
}

/// Normalizes a location path (see the module docs). Returns the path and its depth.
pub(crate) fn normalize_location_path(p: &str) -> (String, u32) {
    let mut out = String::with_capacity(p.len());
    let mut depth = 0u32;
    for seg in p.split(['/', '\\']) {
        let seg = seg.trim();
        if seg.is_empty() || seg == "." || seg == "~" {
            continue;
        }
        if !out.is_empty() {
            out.push('/');
        }
        for ch in seg.chars() {
            out.extend(ch.to_lowercase());
        }
        depth += 1;
    }
    (out, depth)
}

/// Extracts the instances of one file into `instances` and builds its index.
pub(crate) fn extract(
    file_id: u32,
    path: &Arc<str>,
    root: XmlElement,
    registry: &mut Registry,
    instances: &mut Vec<Instance>,
    issues: &mut Vec<ConfigIssue>,
) -> HashMap<u32, HashMap<Box<str>, Vec<u32>>> {
    let mut index: HashMap<u32, HashMap<Box<str>, Vec<u32>>> = HashMap::new();
    let mut seen: HashSet<(u32, Box<str>)> = HashSet::new();
    let mut ctx = ExtractCtx {
        file_id,
        path,
        registry,
        instances,
        issues,
        index: &mut index,
        seen: &mut seen,
    };
    for child in root.children {
        match &*child.name {
            "configSections" => {}
            "location" => {
                let raw: Box<str> = child
                    .attr_ci("path")
                    .map_or("".into(), |a| Box::from(&*a.value));
                let (lp, _) = normalize_location_path(&raw);
                let om = child
                    .attr_ci("overrideMode")
                    .and_then(|a| parse_override_mode(&a.value))
                    .or_else(|| {
                        child
                            .attr_ci("allowOverride")
                            .and_then(|a| schema::parse_bool(&a.value))
                            .map(|b| {
                                if b {
                                    OverrideMode::Allow
                                } else {
                                    OverrideMode::Deny
                                }
                            })
                    });
                let inherit = child
                    .attr_ci("inheritInChildApplications")
                    .and_then(|a| schema::parse_bool(&a.value))
                    .unwrap_or(true);
                let loc = Loc {
                    path: lp.into_boxed_str(),
                    raw,
                    line: Some(child.line),
                    override_mode: om,
                    inherit,
                };
                for c in child.children {
                    ctx.walk(c, "", &loc);
                }
            }
            _ => {
                let loc = Loc {
                    path: "".into(),
                    raw: "".into(),
                    line: None,
                    override_mode: None,
                    inherit: true,
                };
                ctx.walk(child, "", &loc);
            }
        }
    }
    index
}

struct Loc {
    path: Box<str>,
    raw: Box<str>,
    line: Option<u32>,
    override_mode: Option<OverrideMode>,
    inherit: bool,
}

struct ExtractCtx<'a> {
    file_id: u32,
    path: &'a Arc<str>,
    registry: &'a mut Registry,
    instances: &'a mut Vec<Instance>,
    issues: &'a mut Vec<ConfigIssue>,
    index: &'a mut HashMap<u32, HashMap<Box<str>, Vec<u32>>>,
    seen: &'a mut HashSet<(u32, Box<str>)>,
}

impl ExtractCtx<'_> {
    fn walk(&mut self, el: XmlElement, prefix: &str, loc: &Loc) {
        let full = if prefix.is_empty() {
            el.name.to_string()
        } else {
            format!("{prefix}/{}", el.name)
        };
        if self.registry.groups.contains(&full) {
            for c in el.children {
                self.walk(c, &full, loc);
            }
            return;
        }
        let section = self.registry.intern(&full);
        let duplicate = !self.seen.insert((section, loc.path.clone()));
        if duplicate {
            self.issues.push(ConfigIssue {
                kind: IssueKind::DuplicateSection,
                file: self.path.to_string(),
                line: el.line,
                section: full.clone(),
                config_path: String::new(),
                message: format!(
                    "section {full} is set twice for location path \"{}\" in this file; IIS rejects the file (500.19)",
                    loc.path
                ),
            });
        }
        let id = u32::try_from(self.instances.len()).unwrap_or(u32::MAX);
        self.instances.push(Instance {
            file: self.file_id,
            raw_path: loc.raw.clone(),
            location_line: loc.line,
            override_mode: loc.override_mode,
            inherit_in_child_apps: loc.inherit,
            duplicate,
            element: el,
        });
        self.index
            .entry(section)
            .or_default()
            .entry(loc.path.clone())
            .or_default()
            .push(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize_location_path(""), (String::new(), 0));
        assert_eq!(normalize_location_path("."), (String::new(), 0));
        assert_eq!(
            normalize_location_path("Default Web Site/App/"),
            ("default web site/app".to_string(), 2)
        );
        assert_eq!(
            normalize_location_path("/a\\B//c"),
            ("a/b/c".to_string(), 3)
        );
    }
}
