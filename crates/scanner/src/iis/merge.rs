//! The merge: section occurrences along a path → one effective section.
//!
//! Order: config path by config path from the root down; at each level machine.config, root
//! web.config, applicationHost.config (top level or its `<location>` for that path), then the
//! web.config files' sections for that level (document order within a file). Within that order:
//! * attributes: later wins; absent everywhere → schema default ([`super::schema`]);
//! * collections: `add`/`remove`/`clear` by the schema's key (exact match on all key
//!   attributes, defaults included), `mergeAppend="false"` puts a level's items first,
//!   duplicate keys are a [`IssueKind::DuplicateKey`] (item skipped);
//! * locking, checked for web.config occurrences: section override mode (nearest explicit
//!   `overrideMode`/`allowOverride` from a higher file, else `overrideModeDefault`),
//!   `allowDefinition`, `lockAttributes`/`lockAllAttributesExcept`/`lockElements`/
//!   `lockAllElementsExcept` set by a higher file, `lockItem`. A violation is a
//!   [`ConfigIssue`] and the occurrence is not applied.

use foldhash::HashSet;
use std::sync::Arc;

use super::files::Instance;
use super::model::{
    Attribute, ConfigIssue, Effective, EffectiveElement, Ignored, IgnoredReason, IssueKind, Item,
    LockKind, LockRule, Origin, OverrideModeAt, Text, Value,
};
use super::schema::{self, AllowDefinition, CollectionSchema, ElementSchema, OverrideMode};
use super::xml::XmlElement;
use super::HostConfig;

/// Rank of web.config files: `WEB_RANK + depth of the file's folder`.
pub(crate) const WEB_RANK: u32 = 3;

/// A resolved target path and the files that apply to it.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// Site name as configured (empty for server level).
    pub site_name: String,
    /// URL segments as written (display case).
    pub segments: Vec<String>,
    /// Lower-case key `site/a/b` (empty for server level).
    pub key: String,
    /// `bounds[j]` = end of the depth-`j` prefix of `key` (`bounds[0] = 0`).
    pub bounds: Vec<usize>,
    /// Absolute depth of the target's application root (site root = 1; 0 = none).
    pub app_root_depth: u32,
    /// Absolute depths on the path that are application roots.
    pub app_roots: Vec<u32>,
    /// (file, rank) of machine.config, root web.config, applicationHost.config.
    pub global_files: Vec<(u32, u32)>,
    /// web.config files down the path.
    pub steps: Vec<Step>,
    /// Site name, URL path and config path as every answer at this target quotes them (made
    /// once, shared).
    pub names: std::sync::OnceLock<TargetNames>,
}

/// The names an [`Effective`] quotes, shared by the answers at one target.
#[derive(Debug, Clone)]
pub(crate) struct TargetNames {
    site: Arc<str>,
    url_path: Arc<str>,
    config_path: Arc<str>,
}

/// One web.config on the path.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub file: u32,
    /// Absolute depth of the folder's URL (site root = 1).
    pub depth: u32,
    pub ignored: Option<IgnoredReason>,
}

impl Target {
    fn depth(&self) -> u32 {
        u32::try_from(self.bounds.len().saturating_sub(1)).unwrap_or(0)
    }

    fn names(&self) -> &TargetNames {
        self.names.get_or_init(|| TargetNames {
            site: Arc::from(self.site_name.as_str()),
            url_path: Arc::from(self.url_path()),
            config_path: Arc::from(self.config_path_at(self.depth())),
        })
    }

    fn abs_key(&self, j: u32) -> &str {
        &self.key[..self.bounds[j as usize]]
    }

    fn rel_key(&self, d: u32, j: u32) -> &str {
        if j <= d {
            ""
        } else {
            &self.key[self.bounds[d as usize] + 1..self.bounds[j as usize]]
        }
    }

    /// URL path of the target (`/`, `/a/b`).
    pub fn url_path(&self) -> String {
        url_of(&self.segments)
    }

    /// IIS config path at absolute depth `j`.
    pub fn config_path_at(&self, j: u32) -> String {
        let mut s = String::from("MACHINE/WEBROOT/APPHOST");
        if j >= 1 && !self.site_name.is_empty() {
            s.push('/');
            s.push_str(&self.site_name);
            for seg in self.segments.iter().take((j - 1) as usize) {
                s.push('/');
                s.push_str(seg);
            }
        }
        s
    }
}

pub(crate) fn url_of(segments: &[String]) -> String {
    if segments.is_empty() {
        return "/".to_string();
    }
    let mut s = String::new();
    for seg in segments {
        s.push('/');
        s.push_str(seg);
    }
    s
}

#[derive(Debug, Clone, Copy)]
struct Cand {
    inst: u32,
    rank: u32,
    depth: u32,
    ignored: Option<IgnoredReason>,
}

/// Applied occurrences that carry an explicit override mode.
struct ModeMark {
    rank: u32,
    depth: u32,
    mode: OverrideMode,
    origin: Origin,
}

fn gather(h: &HostConfig, t: &Target, sid: u32) -> Vec<Cand> {
    let mut out = Vec::new();
    let n = t.depth();
    for &(file, rank) in &t.global_files {
        let Some(by_path) = h.files[file as usize].index.get(&sid) else {
            continue;
        };
        for j in 0..=n {
            if let Some(ids) = by_path.get(t.abs_key(j)) {
                out.extend(ids.iter().map(|&inst| Cand {
                    inst,
                    rank,
                    depth: j,
                    ignored: None,
                }));
            }
        }
    }
    for step in &t.steps {
        let Some(by_path) = h.files[step.file as usize].index.get(&sid) else {
            continue;
        };
        for j in step.depth..=n {
            if let Some(ids) = by_path.get(t.rel_key(step.depth, j)) {
                out.extend(ids.iter().map(|&inst| Cand {
                    inst,
                    rank: WEB_RANK + step.depth,
                    depth: j,
                    ignored: step.ignored,
                }));
            }
        }
    }
    // IIS merges one config path at a time, root first: at each level the applicationHost.config
    // `<location>` for that path, then the web.config that sits there. So an
    // applicationHost.config location for `Site/app` beats the site root's web.config, and the
    // app's own web.config beats both. Stable: document order within a file is kept.
    out.sort_by_key(|c| (c.depth, c.rank));
    out
}

/// What a merge depends on besides the host's files: the section, the occurrences on the path
/// with how the target's application roots treat each, and — only for a merge that raised
/// issues, whose texts quote it — the config path. Paths with equal keys have equal merged
/// sections, so the merge is done once per key: most paths of a site, and on a large host most
/// sites, only see the server-level occurrences and share one merge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct MergeKey {
    sid: u32,
    /// A section no file declares has no id: its name keys it (its merge is the defaults).
    undeclared: Option<String>,
    /// (instance, rank, depth, ignored, inheritance stops above it, depth is an app root).
    cands: Vec<(u32, u32, u32, Option<IgnoredReason>, bool, bool)>,
    /// The config path at the deepest occurrence, for a merge with issues (`None`: any path).
    config_path: Option<String>,
}

/// A merge's result, shared between the paths of one [`MergeKey`].
#[derive(Debug, Clone)]
pub(crate) struct Merged {
    section: Arc<str>,
    known_section: bool,
    element: Arc<EffectiveElement>,
    override_mode: OverrideModeAt,
    ignored: Vec<Ignored>,
    issues: Vec<ConfigIssue>,
}

/// Computes the effective section `section` at target `t`.
pub(crate) fn compute(h: &HostConfig, t: &Target, section: &str) -> Effective {
    effective(t, &merged(h, t, section))
}

/// The answer at `t` for a merge done for it (or shared with it).
pub(crate) fn effective(t: &Target, merged: &Merged) -> Effective {
    Effective {
        site: Arc::clone(&t.names().site),
        url_path: Arc::clone(&t.names().url_path),
        config_path: Arc::clone(&t.names().config_path),
        section: Arc::clone(&merged.section),
        known_section: merged.known_section,
        override_mode: merged.override_mode.clone(),
        element: Arc::clone(&merged.element),
        ignored: merged.ignored.clone(),
        issues: merged.issues.clone(),
    }
}

/// The merge of `section` at target `t`, from the host's memo when a path with the same
/// occurrences was merged before.
pub(crate) fn merged(h: &HostConfig, t: &Target, section: &str) -> Arc<Merged> {
    let sid = h.registry.id(section);
    let cands = sid.map(|sid| gather(h, t, sid)).unwrap_or_default();
    let mut key = MergeKey {
        sid: sid.unwrap_or(u32::MAX),
        undeclared: sid.is_none().then(|| section.to_string()),
        config_path: None,
        cands: cands
            .iter()
            .map(|c| {
                (
                    c.inst,
                    c.rank,
                    c.depth,
                    c.ignored,
                    t.app_root_depth > c.depth,
                    t.app_roots.contains(&c.depth),
                )
            })
            .collect(),
    };
    let path_key = |key: &MergeKey| MergeKey {
        config_path: Some(t.config_path_at(cands.iter().map(|c| c.depth).max().unwrap_or(0))),
        ..key.clone()
    };
    let memo = |key: &MergeKey| h.merged.lock().ok().and_then(|m| m.get(key).cloned());
    match memo(&key) {
        Some(m) if m.issues.is_empty() => m,
        // Same occurrences, but the issues name the path: a merge per config path.
        Some(_) => {
            key = path_key(&key);
            memo(&key).unwrap_or_else(|| remember(h, key, merge_cands(h, t, section, &cands)))
        }
        None => {
            let m = merge_cands(h, t, section, &cands);
            if m.issues.is_empty() {
                remember(h, key, m)
            } else {
                let path_key = path_key(&key);
                remember(h, key, m.clone());
                remember(h, path_key, m)
            }
        }
    }
}

fn remember(h: &HostConfig, key: MergeKey, merged: Merged) -> Arc<Merged> {
    let merged = Arc::new(merged);
    if let Ok(mut memo) = h.merged.lock() {
        memo.insert(key, Arc::clone(&merged));
    }
    merged
}

/// The merge itself: `cands` applied in order on top of the schema defaults.
fn merge_cands(h: &HostConfig, t: &Target, section: &str, cands: &[Cand]) -> Merged {
    let (_, info) = h.registry.info(section);
    let sch = info.schema;
    let name = info.name.clone();
    let root_schema = sch.map(|s| &s.root);
    let root_name: Text = match root_schema {
        Some(r) => Text::new_static(r.name),
        None => Text::new(name.rsplit('/').next().unwrap_or(&name)),
    };
    let mut root = EffectiveElement::with_schema(root_name, root_schema);
    let mut ignored = Vec::new();
    let mut issues = Vec::new();
    let (default_mode, default_origin) = (info.override_mode_default, info.override_origin.clone());
    let allow_def = info.allow_definition;
    let allow_location = info.allow_location;
    let mut marks: Vec<ModeMark> = Vec::new();

    for &c in cands {
        let inst: &Instance = &h.instances[c.inst as usize];
        let file = &h.files[inst.file as usize];
        let origin = Origin::file(&file.path, inst.location_line.unwrap_or(inst.element.line));
        if inst.duplicate {
            ignored.push(Ignored {
                origin,
                reason: IgnoredReason::ConfigError,
            });
            continue;
        }
        if let Some(reason) = c.ignored {
            ignored.push(Ignored { origin, reason });
            continue;
        }
        if !inst.inherit_in_child_apps && t.app_root_depth > c.depth {
            ignored.push(Ignored {
                origin,
                reason: IgnoredReason::NotInheritedInChildApplication,
            });
            continue;
        }
        if c.rank >= WEB_RANK {
            let file_depth = c.rank - WEB_RANK;
            let violation = check_definition(allow_def, allow_location, inst, c, t, file_depth)
                .or_else(|| {
                    let mode = marks
                        .iter()
                        .rev()
                        .find(|m| m.rank < c.rank && m.depth <= c.depth)
                        .map(|m| (m.mode, m.origin.clone()))
                        .unwrap_or((default_mode, default_origin.clone()));
                    (mode.0 == OverrideMode::Deny).then(|| {
                        (
                            IssueKind::LockedSection,
                            inst.element.line,
                            format!(
                                "section {name} is locked at this level (overrideMode Deny, decided at {}); \
                                 IIS answers 500.19 and the setting is not applied",
                                mode.1
                            ),
                        )
                    })
                })
                .or_else(|| check_locks(&root, &inst.element, root_schema, inst.file));
            if let Some((kind, line, message)) = violation {
                issues.push(ConfigIssue {
                    kind,
                    file: file.path.to_string(),
                    line,
                    section: name.to_string(),
                    config_path: t.config_path_at(c.depth),
                    message,
                });
                ignored.push(Ignored {
                    origin,
                    reason: IgnoredReason::ConfigError,
                });
                continue;
            }
        }
        if let Some(mode) = inst.override_mode {
            marks.push(ModeMark {
                rank: c.rank,
                depth: c.depth,
                mode,
                origin: Origin::file(&file.path, inst.location_line.unwrap_or(0)),
            });
        }
        let mut ctx = Ctx {
            path: &file.path,
            file: inst.file,
            section: &name,
            target: t,
            depth: c.depth,
            issues: &mut issues,
        };
        apply(&mut root, &inst.element, root_schema, &mut ctx);
    }
    if let Some(s) = root_schema {
        fill_defaults(&mut root, s);
    }
    let override_mode = marks
        .last()
        .map(|m| OverrideModeAt {
            mode: m.mode,
            origin: m.origin.clone(),
        })
        .unwrap_or(OverrideModeAt {
            mode: default_mode,
            origin: default_origin,
        });
    Merged {
        section: name,
        known_section: sch.is_some(),
        element: Arc::new(root),
        override_mode,
        ignored,
        issues,
    }
}

fn check_definition(
    allow_def: AllowDefinition,
    allow_location: bool,
    inst: &Instance,
    c: Cand,
    t: &Target,
    file_depth: u32,
) -> Option<(IssueKind, u32, String)> {
    let line = inst.element.line;
    let bad = match allow_def {
        AllowDefinition::Everywhere => None,
        AllowDefinition::MachineToApplication => (!t.app_roots.contains(&c.depth))
            .then_some("at application level (MachineToApplication)"),
        AllowDefinition::AppHostOnly => Some("in applicationHost.config only (AppHostOnly)"),
        AllowDefinition::MachineOnly => Some("in machine.config only (MachineOnly)"),
        AllowDefinition::MachineToWebRoot => {
            Some("in machine.config or the root web.config only (MachineToWebRoot)")
        }
    };
    if let Some(where_) = bad {
        return Some((
            IssueKind::DefinitionNotAllowed,
            line,
            format!("this section may be set {where_}; IIS answers 500.19 and the setting is not applied"),
        ));
    }
    if !allow_location && inst.location_line.is_some() && c.depth > file_depth {
        return Some((
            IssueKind::DefinitionNotAllowed,
            line,
            "this section may not be set inside a <location> tag (allowLocation=\"false\")"
                .to_string(),
        ));
    }
    None
}

struct Ctx<'a> {
    path: &'a Arc<str>,
    file: u32,
    section: &'a str,
    target: &'a Target,
    depth: u32,
    issues: &'a mut Vec<ConfigIssue>,
}

const LOCK_ATTRS: [&str; 4] = [
    "lockAttributes",
    "lockAllAttributesExcept",
    "lockElements",
    "lockAllElementsExcept",
];

fn is_meta(name: &str) -> bool {
    LOCK_ATTRS.contains(&name) || name == "lockItem"
}

fn split_names(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn lock_covers(lock: &LockRule, name: &str, for_attrs: bool) -> bool {
    let has = |n: &str| lock.names.iter().any(|x| x == n || x == "*");
    match (lock.kind, for_attrs) {
        (LockKind::Attributes, true) | (LockKind::Elements, false) => has(name),
        (LockKind::AllAttributesExcept, true) | (LockKind::AllElementsExcept, false) => {
            !lock.names.iter().any(|x| x == name)
        }
        _ => false,
    }
}

/// What a child element of `schema` is.
enum ChildRole {
    Add(Option<&'static CollectionSchema>),
    Remove(Option<&'static CollectionSchema>),
    Clear,
    Element(Option<&'static ElementSchema>),
}

fn child_role(
    schema: Option<&'static ElementSchema>,
    parent: &XmlElement,
    child: &XmlElement,
) -> ChildRole {
    let n = &*child.name;
    match schema {
        Some(s) => {
            if let Some(cs) = &s.collection {
                if cs.add.contains(&n) {
                    return ChildRole::Add(Some(cs));
                }
                if cs.remove == Some(n) {
                    return ChildRole::Remove(Some(cs));
                }
                if cs.clear == Some(n) {
                    return ChildRole::Clear;
                }
            }
            match s.child(n) {
                Some(cs) => ChildRole::Element(Some(cs)),
                // A known collection only has the directives its schema names (e.g.
                // system.web/authorization has no clear/remove): keep anything else as an
                // unknown child element.
                None if s.collection.is_some() => ChildRole::Element(None),
                None => heuristic_role(parent, child),
            }
        }
        None => heuristic_role(parent, child),
    }
}

/// Unknown elements: `add`/`remove`/`clear` are collection directives; an element with a
/// `name` attribute or repeated among its siblings is a collection item; anything else is a
/// child element.
fn heuristic_role(parent: &XmlElement, child: &XmlElement) -> ChildRole {
    match &*child.name {
        "add" => ChildRole::Add(None),
        "remove" => ChildRole::Remove(None),
        "clear" => ChildRole::Clear,
        n => {
            if child.attr("name").is_some()
                || parent
                    .children
                    .iter()
                    .filter(|c| &*c.name == n)
                    .nth(1)
                    .is_some()
            {
                ChildRole::Add(None)
            } else {
                ChildRole::Element(None)
            }
        }
    }
}

/// Finds a lock violation of `src` (from file `file`) against locks accumulated in `acc`.
fn check_locks(
    acc: &EffectiveElement,
    src: &XmlElement,
    schema: Option<&'static ElementSchema>,
    file: u32,
) -> Option<(IssueKind, u32, String)> {
    let foreign = |l: &&LockRule| l.file != file;
    for a in &src.attrs {
        if is_meta(&a.name) {
            continue;
        }
        if let Some(l) = acc
            .locks
            .iter()
            .filter(foreign)
            .find(|l| lock_covers(l, &a.name, true))
        {
            return Some((
                IssueKind::LockedAttribute,
                a.line,
                format!(
                    "attribute {} of <{}> is locked at {}; IIS answers 500.19 and the section is not applied",
                    a.name, src.name, l.origin
                ),
            ));
        }
    }
    for c in &src.children {
        if let Some(l) = acc
            .locks
            .iter()
            .filter(foreign)
            .find(|l| lock_covers(l, &c.name, false))
        {
            return Some((
                IssueKind::LockedElement,
                c.line,
                format!(
                    "element <{}> inside <{}> is locked at {}; IIS answers 500.19 and the section is not applied",
                    c.name, src.name, l.origin
                ),
            ));
        }
        match child_role(schema, src, c) {
            ChildRole::Remove(cs) => {
                if let Some(it) = acc
                    .collection
                    .iter()
                    .find(|it| it.locked && it.lock_file != file && remove_matches(cs, it, c))
                {
                    return Some((
                        IssueKind::LockedItem,
                        c.line,
                        format!(
                            "<{}> removes an entry locked with lockItem at {}; IIS answers 500.19",
                            c.name, it.origin
                        ),
                    ));
                }
            }
            ChildRole::Clear => {
                if let Some(it) = acc
                    .collection
                    .iter()
                    .find(|it| it.locked && it.lock_file != file)
                {
                    return Some((
                        IssueKind::LockedItem,
                        c.line,
                        format!(
                            "<{}> would drop an entry locked with lockItem at {}; IIS answers 500.19",
                            c.name, it.origin
                        ),
                    ));
                }
            }
            ChildRole::Element(cs) => {
                if let Some(sub) = acc.children.iter().find(|x| x.name == *c.name) {
                    if let Some(v) = check_locks(sub, c, cs, file) {
                        return Some(v);
                    }
                }
            }
            ChildRole::Add(_) => {}
        }
    }
    None
}

/// Key text of `attr` for comparison.
fn key_part(cs: &CollectionSchema, attr: &str, v: Option<&str>) -> String {
    let raw = v
        .or_else(|| cs.item_attr(attr).and_then(|a| a.default))
        .unwrap_or("");
    if cs.case_sensitive_keys.contains(&attr) {
        raw.to_string()
    } else {
        raw.to_lowercase()
    }
}

fn item_key(cs: &CollectionSchema, it: &Item) -> Vec<String> {
    cs.keys
        .iter()
        .map(|k| key_part(cs, k, it.value(k)))
        .collect()
}

fn xml_key(cs: &CollectionSchema, el: &XmlElement) -> Vec<String> {
    cs.keys
        .iter()
        .map(|k| key_part(cs, k, el.attr_value(k)))
        .collect()
}

const HEURISTIC_KEYS: [&str; 6] = ["name", "key", "value", "path", "id", "fileExtension"];

fn heuristic_key_xml(el: &XmlElement) -> Option<(&'static str, String)> {
    HEURISTIC_KEYS
        .iter()
        .find_map(|k| el.attr_value(k).map(|v| (*k, v.to_lowercase())))
}

fn remove_matches(cs: Option<&CollectionSchema>, it: &Item, remove: &XmlElement) -> bool {
    match cs {
        Some(cs) if !cs.keys.is_empty() => item_key(cs, it) == xml_key(cs, remove),
        _ => match heuristic_key_xml(remove) {
            Some((k, v)) => it.value(k).is_some_and(|x| x.to_lowercase() == v),
            None => remove.attrs.iter().all(|a| {
                it.value(&a.name)
                    .is_some_and(|x| x.eq_ignore_ascii_case(&a.value))
            }),
        },
    }
}

fn make_item(el: &XmlElement, cs: Option<&'static CollectionSchema>, ctx: &Ctx<'_>) -> Item {
    let mut attributes = Vec::with_capacity(el.attrs.len() + 4);
    let mut locked = false;
    for a in &el.attrs {
        if &*a.name == "lockItem" {
            locked = schema::parse_bool(&a.value).unwrap_or(false);
            continue;
        }
        if is_meta(&a.name) {
            continue;
        }
        attributes.push(Attribute {
            name: a.name.clone(),
            value: Value::new(a.value.clone(), Origin::file(ctx.path, a.line)),
        });
    }
    if let Some(cs) = cs {
        for d in cs.item_attrs {
            if let Some(def) = d.default {
                if !attributes.iter().any(|x| x.name == d.name) {
                    attributes.push(Attribute {
                        name: Text::new_static(d.name),
                        value: Value::schema_default(def),
                    });
                }
            }
        }
    }
    Item {
        element: el.name.clone(),
        attributes,
        origin: Origin::file(ctx.path, el.line),
        children: el
            .children
            .iter()
            .map(|c| make_item(c, None, ctx))
            .collect(),
        locked,
        schema: cs,
        lock_file: ctx.file,
    }
}

fn set_attr(attrs: &mut Vec<Attribute>, name: &Text, value: Value) {
    if let Some(a) = attrs.iter_mut().find(|a| a.name == *name) {
        a.value = value;
    } else {
        attrs.push(Attribute {
            name: name.clone(),
            value,
        });
    }
}

/// Collection state while one element occurrence is applied.
struct CollState {
    inherited: Vec<Item>,
    added: Vec<Item>,
    append: bool,
    keys: Option<HashSet<Vec<String>>>,
    /// Heuristic keys present (unknown collections).
    hkeys: Option<HashSet<(&'static str, String)>>,
}

fn apply(
    acc: &mut EffectiveElement,
    src: &XmlElement,
    schema: Option<&'static ElementSchema>,
    ctx: &mut Ctx<'_>,
) {
    acc.defined_at.push(Origin::file(ctx.path, src.line));
    if acc.schema.is_none() {
        acc.schema = schema;
    }
    for a in &src.attrs {
        let kind = match &*a.name {
            "lockAttributes" => Some(LockKind::Attributes),
            "lockAllAttributesExcept" => Some(LockKind::AllAttributesExcept),
            "lockElements" => Some(LockKind::Elements),
            "lockAllElementsExcept" => Some(LockKind::AllElementsExcept),
            "lockItem" => continue,
            _ => None,
        };
        match kind {
            Some(kind) => acc.locks.push(LockRule {
                kind,
                names: split_names(&a.value),
                file: ctx.file,
                origin: Origin::file(ctx.path, a.line),
            }),
            None => set_attr(
                &mut acc.attributes,
                &a.name,
                Value::new(a.value.clone(), Origin::file(ctx.path, a.line)),
            ),
        }
    }
    let coll_schema = schema.and_then(|s| s.collection.as_ref());
    let mut state: Option<CollState> = None;
    for c in &src.children {
        let role = child_role(schema, src, c);
        if let ChildRole::Element(cs) = role {
            let idx = match acc.children.iter().position(|x| x.name == *c.name) {
                Some(i) => i,
                None => {
                    acc.children
                        .push(EffectiveElement::with_schema(c.name.clone(), cs));
                    acc.children.len() - 1
                }
            };
            apply(&mut acc.children[idx], c, cs, ctx);
            continue;
        }
        let st = state.get_or_insert_with(|| CollState {
            inherited: std::mem::take(&mut acc.collection),
            added: Vec::new(),
            append: coll_schema.is_none_or(|cs| cs.merge_append),
            keys: None,
            hkeys: None,
        });
        match role {
            ChildRole::Clear => {
                st.inherited.clear();
                st.added.clear();
                if let Some(k) = st.keys.as_mut() {
                    k.clear();
                }
                if let Some(k) = st.hkeys.as_mut() {
                    k.clear();
                }
            }
            ChildRole::Remove(cs) => {
                let cs = cs.or(coll_schema);
                st.inherited.retain(|it| !remove_matches(cs, it, c));
                st.added.retain(|it| !remove_matches(cs, it, c));
                if let (Some(cs), Some(k)) = (cs, st.keys.as_mut()) {
                    k.remove(&xml_key(cs, c));
                }
                if cs.is_none() {
                    // A heuristic remove may match by other attributes: rebuild lazily.
                    st.hkeys = None;
                }
            }
            ChildRole::Add(cs) => {
                let item = make_item(c, cs, ctx);
                match cs {
                    Some(cs) if !cs.keys.is_empty() && !cs.allow_duplicates => {
                        let keys = st.keys.get_or_insert_with(|| {
                            st.inherited
                                .iter()
                                .chain(st.added.iter())
                                .map(|it| item_key(cs, it))
                                .collect()
                        });
                        let key = item_key(cs, &item);
                        if keys.contains(&key) {
                            let desc: Vec<String> = cs
                                .keys
                                .iter()
                                .zip(key.iter())
                                .map(|(k, v)| format!("{k}='{v}'"))
                                .collect();
                            ctx.issues.push(ConfigIssue {
                                kind: IssueKind::DuplicateKey,
                                file: ctx.path.to_string(),
                                line: c.line,
                                section: ctx.section.to_string(),
                                config_path: ctx.target.config_path_at(ctx.depth),
                                message: format!(
                                    "<{}> with {} duplicates an inherited or earlier entry \
                                     (500.19, 0x800700b7); add <remove> first. Entry not applied",
                                    c.name,
                                    desc.join(" ")
                                ),
                            });
                            continue;
                        }
                        keys.insert(key);
                        st.added.push(item);
                    }
                    Some(_) => st.added.push(item),
                    None => {
                        // Unknown collection: a later entry with the same heuristic key
                        // replaces the earlier one.
                        if let Some((k, v)) = heuristic_key_xml(c) {
                            let same =
                                |it: &Item| it.value(k).is_some_and(|x| x.to_lowercase() == v);
                            st.inherited.retain(|it| !same(it));
                            st.added.retain(|it| !same(it));
                        }
                        st.added.push(item);
                    }
                }
            }
            ChildRole::Element(_) => {}
        }
    }
    if let Some(st) = state {
        acc.collection = if st.append {
            let mut v = st.inherited;
            v.extend(st.added);
            v
        } else {
            let mut v = st.added;
            v.extend(st.inherited);
            v
        };
    }
}

fn fill_defaults(el: &mut EffectiveElement, schema: &'static ElementSchema) {
    el.schema = Some(schema);
    for a in schema.attrs {
        if let Some(d) = a.default {
            if !el.attributes.iter().any(|x| x.name == a.name) {
                el.attributes.push(Attribute {
                    name: Text::new_static(a.name),
                    value: Value::schema_default(d),
                });
            }
        }
    }
    for cs in schema.children {
        let idx = match el.children.iter().position(|x| x.name == cs.name) {
            Some(i) => i,
            None => {
                el.children.push(EffectiveElement::with_schema(
                    Text::new_static(cs.name),
                    Some(cs),
                ));
                el.children.len() - 1
            }
        };
        fill_defaults(&mut el.children[idx], cs);
    }
}
