//! iis-sweep's own inventory format (TOML). See `docs/inventory.md` and
//! `inventory/example.toml`.
//!
//! ```toml
//! [defaults]                     # every host
//! auth = "ntlm"
//! username = 'CONTOSO\svc-iis-audit'
//! password_env = "IIS_SWEEP_PASSWORD"
//!
//! [group.web]                    # members of "web" (and of its children)
//! children = ["web_eu"]
//! port = 5986
//!
//! [[host]]
//! name = "web01"
//! address = "10.0.0.11"
//! groups = ["web"]
//! ```
//!
//! Every setting may appear in `[defaults]`, in `[group.NAME]` and in a `[[host]]`; the most
//! specific wins: defaults < parent group < child group < host (groups of equal depth by
//! name). Relative paths are relative to the inventory file's directory.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::groups::{GroupTree, ALL, UNGROUPED};
use super::settings::{parse_delivery, Settings};
use super::{Format, Inventory, InventoryError, LineIndex, Warnings};
use crate::target::{AuthMethod, Scheme};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    defaults: Option<Spanned<Entry>>,
    #[serde(default)]
    group: BTreeMap<String, Spanned<Entry>>,
    #[serde(default)]
    host: Vec<Spanned<Entry>>,
}

/// One `[defaults]`, `[group.NAME]` or `[[host]]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    // Structure.
    name: Option<String>,
    groups: Option<Vec<String>>,
    children: Option<Vec<String>>,
    // Connection.
    address: Option<String>,
    port: Option<u16>,
    scheme: Option<Spanned<String>>,
    auth: Option<Spanned<String>>,
    // Credentials (references only).
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    client_cert: Option<PathBuf>,
    client_key: Option<PathBuf>,
    /// Refused: read only to say so with its line.
    password: Option<Spanned<toml::Value>>,
    // TLS.
    verify: Option<bool>,
    ca_file: Option<PathBuf>,
    pin_sha256: Option<String>,
    // Collection.
    delivery: Option<Spanned<String>>,
    connect_timeout_secs: Option<u64>,
    operation_timeout_secs: Option<u64>,
    host_timeout_secs: Option<u64>,
    allow_unencrypted_basic: Option<bool>,
}

/// Parses native TOML `text`; `path` is named in errors and anchors relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    let lines = LineIndex::new(text);
    let line = |offset: usize| Some(lines.line(offset));
    let syntax = |line: Option<usize>, message: String| InventoryError::Syntax {
        path: path.into(),
        line,
        message,
    };
    let file: File = toml::from_str(text).map_err(|e| {
        syntax(
            e.span().and_then(|s| line(s.start)),
            e.message().trim().to_string(),
        )
    })?;

    let mut tree = GroupTree::new();
    let mut group_settings: HashMap<usize, Settings> = HashMap::new();
    let all = tree.add(ALL);

    if let Some(d) = &file.defaults {
        let at = line(d.span().start);
        let e = d.get_ref();
        if e.name.is_some() || e.groups.is_some() || e.children.is_some() || e.address.is_some() {
            return Err(syntax(
                at,
                "[defaults] cannot set name, groups, children or address".into(),
            ));
        }
        group_settings.insert(all, settings(path, &lines, "[defaults]", e)?);
    }
    for (name, g) in &file.group {
        let at = line(g.span().start);
        let e = g.get_ref();
        if name == ALL || name == UNGROUPED {
            return Err(syntax(
                at,
                format!("[group.{name}] is reserved: use [defaults] for every host"),
            ));
        }
        if e.name.is_some() || e.groups.is_some() || e.address.is_some() {
            return Err(syntax(
                at,
                format!(
                    "[group.{name}] cannot set name, groups or address (hosts list their groups)"
                ),
            ));
        }
        let id = tree.add(name);
        for c in e.children.iter().flatten() {
            if c == ALL || c == UNGROUPED {
                return Err(syntax(at, format!("[group.{name}]: {c} cannot be a child")));
            }
            let cid = tree.add(c);
            tree.add_child(id, cid);
        }
        group_settings.insert(id, settings(path, &lines, &format!("[group.{name}]"), e)?);
    }

    struct HostDef {
        name: String,
        line: Option<usize>,
        groups: Vec<usize>,
        settings: Settings,
    }
    let mut hosts = Vec::with_capacity(file.host.len());
    let mut seen = HashSet::new();
    for h in &file.host {
        let at = line(h.span().start);
        let e = h.get_ref();
        let name = match e.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => return Err(syntax(at, "[[host]] needs a name".into())),
        };
        if !seen.insert(name.clone()) {
            return Err(syntax(at, format!("host {name} is listed twice")));
        }
        if e.children.is_some() {
            return Err(syntax(
                at,
                format!("host {name}: children belong to [group.NAME] tables"),
            ));
        }
        let mut groups = Vec::new();
        for g in e.groups.iter().flatten() {
            if g == ALL {
                continue;
            }
            groups.push(tree.add(g));
        }
        if groups.is_empty() {
            groups.push(tree.add(UNGROUPED));
        }
        hosts.push(HostDef {
            settings: settings(path, &lines, &format!("host {name}"), e)?,
            name,
            line: at,
            groups,
        });
    }

    let depths = tree.finish().map_err(|cycle| {
        syntax(
            None,
            format!("group children form a cycle: {}", cycle.join(" → ")),
        )
    })?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty());
    let mut warnings = Warnings::default();
    let mut targets = Vec::with_capacity(hosts.len());
    for h in hosts {
        let order = tree.apply_order(&h.groups, &depths);
        let mut merged = Settings::default();
        for s in order.iter().filter_map(|g| group_settings.get(g)) {
            merged.overlay(s);
        }
        merged.overlay(&h.settings);
        let groups = tree.member_names(&order);
        let target = merged
            .into_target(&h.name, groups, base, &mut warnings)
            .map_err(|message| InventoryError::InvalidHost {
                path: path.into(),
                line: h.line,
                host: h.name.clone(),
                message,
            })?;
        targets.push(target);
    }
    Ok(Inventory {
        source: path.into(),
        format: Format::Native,
        targets,
        groups: tree.names(),
        skipped: Vec::new(),
        warnings: warnings.into_lines(),
    })
}

/// The settings of one table; `owner` names it in errors.
fn settings(
    path: &Path,
    lines: &LineIndex,
    owner: &str,
    e: &Entry,
) -> Result<Settings, InventoryError> {
    let line = |offset: usize| Some(lines.line(offset));
    if let Some(p) = &e.password {
        return Err(InventoryError::PlainTextPassword {
            path: path.into(),
            line: line(p.span().start),
            owner: owner.to_string(),
            var: "password".into(),
        });
    }
    let invalid = |at: Option<usize>, message: String| InventoryError::Syntax {
        path: path.into(),
        line: at,
        message: format!("{owner}: {message}"),
    };
    let scheme = e
        .scheme
        .as_ref()
        .map(|s| {
            s.get_ref()
                .parse::<Scheme>()
                .map_err(|m| invalid(line(s.span().start), m))
        })
        .transpose()?;
    let auth = e
        .auth
        .as_ref()
        .map(|s| {
            s.get_ref().parse::<AuthMethod>().map_err(|message| {
                InventoryError::UnsupportedTransport {
                    path: path.into(),
                    line: line(s.span().start),
                    owner: owner.to_string(),
                    message,
                }
            })
        })
        .transpose()?;
    let delivery = e
        .delivery
        .as_ref()
        .map(|s| parse_delivery(s.get_ref()).map_err(|m| invalid(line(s.span().start), m)))
        .transpose()?;
    Ok(Settings {
        address: e.address.clone(),
        port: e.port,
        scheme,
        auth,
        username: e.username.clone(),
        password_env: e.password_env.clone(),
        password_file: e.password_file.clone(),
        client_cert: e.client_cert.clone(),
        client_key: e.client_key.clone(),
        verify: e.verify,
        ca_file: e.ca_file.clone(),
        pin_sha256: e.pin_sha256.clone(),
        delivery,
        connect_timeout_secs: e.connect_timeout_secs,
        operation_timeout_secs: e.operation_timeout_secs,
        host_timeout_secs: e.host_timeout_secs,
        allow_unencrypted_basic: e.allow_unencrypted_basic,
    })
}
