//! Ansible YAML inventories (the `yaml` inventory plugin's format), read with serde-saphyr.
//!
//! ```yaml
//! all:
//!   vars:
//!     ansible_winrm_transport: ntlm
//!   children:
//!     web:
//!       hosts:
//!         web[01:03].contoso.com:        # ranges as in INI; a host's value may be empty
//!         web04.contoso.com:
//!           ansible_host: 10.0.0.14
//!       children:
//!         web_eu:
//!           hosts:
//!             web-eu01:
//! ```
//!
//! Top-level keys are groups (normally just `all`); each group has `hosts`, `vars` and
//! `children` (nested groups, any depth). Other keys in a group are errors (Ansible only warns;
//! a typo such as `host:` would otherwise drop hosts silently).

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::ansible::{expand_host_pattern, find_key_line, without_core_tags, Model, Ordered, Var};
use super::{Format, Inventory, InventoryError};

type Vars = Ordered<String, Spanned<Value>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    #[serde(default)]
    hosts: Option<Ordered<Spanned<String>, Option<Vars>>>,
    #[serde(default)]
    vars: Option<Vars>,
    #[serde(default)]
    children: Option<Ordered<String, Option<Group>>>,
}

/// Parses Ansible YAML `text`; `path` is named in errors.
pub fn parse(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    // The parser's safety budget grows with the host cap, so that an inventory the cap allows
    // is never refused by the YAML budget (a host is a handful of nodes and events).
    let hosts = super::max_hosts();
    let defaults = serde_saphyr::Budget::default();
    let options = serde_saphyr::Options {
        budget: Some(serde_saphyr::Budget {
            max_nodes: defaults.max_nodes.max(hosts.saturating_mul(16)),
            max_events: defaults.max_events.max(hosts.saturating_mul(32)),
            ..defaults
        }),
        ..serde_saphyr::Options::default()
    };
    let text = &without_core_tags(text);
    let root: Option<Ordered<String, Option<Group>>> =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| {
            let message = e
                .without_snippet()
                .to_string()
                .lines()
                .next()
                .unwrap_or("invalid YAML")
                .trim_start_matches("error: ")
                .to_string();
            // serde-saphyr gives no location for an unknown field; find the key.
            let line = e.location().map(|l| l.line() as usize).or_else(|| {
                let field = message.strip_prefix("unknown field `")?.split('`').next()?;
                find_key_line(text, field)
            });
            InventoryError::Syntax {
                path: path.into(),
                line,
                message,
            }
        })?;
    let mut model = Model::new();
    for (name, group) in root.unwrap_or_default().0 {
        walk(
            path,
            &mut model,
            &name,
            group.as_ref().unwrap_or(&Group::default()),
            None,
        )?;
    }
    // group_vars/ and host_vars/ beside the inventory override what the inventory sets.
    super::vars_dirs::VarsDirs::beside(path)?.apply(&mut model);
    model.finish(path, text, Format::AnsibleYaml, None)
}

fn walk(
    path: &Path,
    model: &mut Model,
    name: &str,
    group: &Group,
    parent: Option<usize>,
) -> Result<(), InventoryError> {
    let g = model.group(name);
    if let Some(p) = parent {
        model.tree.add_child(p, g);
    }
    for (key, vars) in group.hosts.iter().flat_map(|h| &h.0) {
        let line = key.referenced.line() as usize;
        let (names, port) =
            expand_host_pattern(&key.value).map_err(|message| InventoryError::Syntax {
                path: path.into(),
                line: Some(line),
                message,
            })?;
        for host in names {
            let h = model.host(&host, Some(line));
            model.add_to_group(h, g);
            if let Some(p) = port {
                model.set_host_var(
                    h,
                    "ansible_port",
                    Var {
                        value: Value::from(p),
                        line: Some(line),
                        file: None,
                    },
                );
            }
            for (k, v) in vars.iter().flat_map(|v| &v.0) {
                model.set_host_var(h, k, var(v));
            }
        }
    }
    for (k, v) in group.vars.iter().flat_map(|v| &v.0) {
        model.set_group_var(g, k, var(v));
    }
    for (child, sub) in group.children.iter().flat_map(|c| &c.0) {
        match sub {
            Some(sub) => walk(path, model, child, sub, Some(g))?,
            None => {
                let c = model.group(child);
                model.tree.add_child(g, c);
            }
        }
    }
    Ok(())
}

fn var(v: &Spanned<Value>) -> Var {
    Var {
        value: v.value.clone(),
        line: Some(v.referenced.line() as usize),
        file: None,
    }
}
