//! The JSON that `ansible-inventory -i SOURCE --list` prints. It is the way to bring anything
//! Ansible can read (directories with `group_vars/` and `host_vars/`, dynamic inventory
//! plugins for AD or clouds) to iis-sweep:
//!
//! ```json
//! {
//!   "_meta": { "hostvars": { "web01": { "ansible_host": "10.0.0.11" } } },
//!   "all":   { "children": ["ungrouped", "web"] },
//!   "web":   { "hosts": ["web01"], "vars": { "ansible_winrm_transport": "ntlm" } }
//! }
//! ```
//!
//! Without `--export` Ansible has already merged group variables into `_meta.hostvars`; with
//! it, group `vars` are kept and merged here with the usual precedence. A group given as a
//! bare list is a list of hosts (the older dynamic-inventory script form). JSON carries no
//! line numbers, so errors name the host and variable (and, for a refused password, the first
//! line that mentions it).

use std::path::Path;

use serde_json::Value;

use super::ansible::{Model, Ordered, Var};
use super::{Format, Inventory, InventoryError};

/// Parses `ansible-inventory --list` output; `path` is named in errors.
pub fn parse(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    let syntax = |line: Option<usize>, message: String| InventoryError::Syntax {
        path: path.into(),
        line,
        message,
    };
    let root: Ordered<String, Value> =
        serde_json::from_str(text).map_err(|e| syntax(Some(e.line()), e.to_string()))?;
    let mut model = Model::new();
    let var = |value: &Value| Var {
        value: value.clone(),
        line: None,
        file: None,
    };
    let strings =
        |v: Option<&Value>, what: &str, group: &str| -> Result<Vec<String>, InventoryError> {
            match v {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str().map(str::to_string).ok_or_else(|| {
                            syntax(
                                None,
                                format!("group {group}: {what} must be a list of names"),
                            )
                        })
                    })
                    .collect(),
                Some(_) => Err(syntax(
                    None,
                    format!("group {group}: {what} must be a list of names"),
                )),
            }
        };

    let mut hostvars = None;
    for (name, value) in &root.0 {
        if name == "_meta" {
            hostvars = value.get("hostvars");
            continue;
        }
        let g = model.group(name);
        let (hosts, children, vars) = match value {
            Value::Array(_) => (strings(Some(value), "hosts", name)?, Vec::new(), None),
            Value::Object(o) => (
                strings(o.get("hosts"), "hosts", name)?,
                strings(o.get("children"), "children", name)?,
                o.get("vars"),
            ),
            _ => {
                return Err(syntax(
                    None,
                    format!("group {name}: expected an object with hosts, children and vars"),
                ))
            }
        };
        for h in hosts {
            let h = model.host(&h, None);
            model.add_to_group(h, g);
        }
        for c in children {
            let c = model.group(&c);
            model.tree.add_child(g, c);
        }
        match vars {
            None | Some(Value::Null) => {}
            Some(Value::Object(vars)) => {
                for (k, v) in vars {
                    model.set_group_var(g, k, var(v));
                }
            }
            Some(_) => {
                return Err(syntax(
                    None,
                    format!("group {name}: vars must be an object"),
                ))
            }
        }
    }
    match hostvars {
        None | Some(Value::Null) => {}
        Some(Value::Object(hosts)) => {
            for (host, vars) in hosts {
                let h = model.host(host, None);
                match vars {
                    Value::Object(vars) => {
                        for (k, v) in vars {
                            model.set_host_var(h, k, var(v));
                        }
                    }
                    Value::Null => {}
                    _ => {
                        return Err(syntax(
                            None,
                            format!("_meta.hostvars.{host} must be an object"),
                        ))
                    }
                }
            }
        }
        Some(_) => return Err(syntax(None, "_meta.hostvars must be an object".into())),
    }
    // group_vars/ and host_vars/ beside the inventory override what the inventory sets.
    super::vars_dirs::VarsDirs::beside(path)?.apply(&mut model);
    model.finish(path, text, Format::AnsibleJson, None)
}
