//! `group_vars/` and `host_vars/` beside an Ansible inventory (its directory, or the inventory
//! directory itself), read as Ansible reads them: `group_vars/<group>` is a YAML (or JSON) file
//! named after the group, with or without `.yml`/`.yaml`/`.json`, or a folder of such files
//! read in name order; `host_vars/<host>` likewise. Their variables override the ones the
//! inventory sets for the same group or host, and precedence between groups is unchanged
//! (all < parent groups < child groups < host). Files for groups or hosts the inventory does
//! not have are ignored, as Ansible does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::ansible::{find_key_line, set, without_core_tags, Model, Ordered, Var};
use super::InventoryError;

/// Variables of one group or host, each with the file and line it came from.
type Named = Vec<(String, Vec<(String, Var)>)>;

/// Bytes one vars file may hold (they are small; a mistake should not read a disk image).
const MAX_VARS_FILE: u64 = 16 << 20;

#[derive(Default)]
pub(crate) struct VarsDirs {
    groups: Named,
    hosts: Named,
}

impl VarsDirs {
    /// The vars directories beside `inventory` (a file or an inventory directory).
    pub fn beside(inventory: &Path) -> Result<Self, InventoryError> {
        let dir = if inventory.is_dir() {
            inventory.to_path_buf()
        } else {
            match inventory.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            }
        };
        Ok(VarsDirs {
            groups: read_dir(&dir.join("group_vars"))?,
            hosts: read_dir(&dir.join("host_vars"))?,
        })
    }

    /// Sets the variables on the model's groups and hosts (over the inventory's own).
    pub fn apply(&self, model: &mut Model) {
        for (group, vars) in &self.groups {
            if let Some(g) = model.existing_group(group) {
                for (k, v) in vars {
                    model.set_group_var(g, k, v.clone());
                }
            }
        }
        for (host, vars) in &self.hosts {
            if let Some(h) = model.existing_host(host) {
                for (k, v) in vars {
                    model.set_host_var(h, k, v.clone());
                }
            }
        }
    }
}

/// The group or host a file in a vars directory is for (`web.yml` → `web`), or `None` for
/// hidden files and backups. Host names have dots (`web01.contoso.com`): another extension is part of the name.
fn readable(name: &str) -> Option<&str> {
    const BACKUPS: [&str; 6] = ["~", ".bak", ".orig", ".swp", ".retry", ".md"];
    if name.starts_with('.') || BACKUPS.iter().any(|b| name.ends_with(b)) {
        return None;
    }
    match name.rsplit_once('.') {
        Some((stem, "yml" | "yaml" | "json")) => Some(stem),
        _ => Some(name),
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, InventoryError> {
    let read = std::fs::read_dir(dir).map_err(|source| InventoryError::Read {
        path: dir.into(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = read.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

fn read_dir(dir: &Path) -> Result<Named, InventoryError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out: Named = Vec::new();
    for path in sorted_entries(dir)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (owner, files) = if path.is_dir() {
            if name.starts_with('.') {
                continue;
            }
            let files = sorted_entries(&path)?
                .into_iter()
                .filter(|p| {
                    p.is_file()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .and_then(readable)
                            .is_some()
                })
                .collect();
            (name.to_string(), files)
        } else {
            match readable(name) {
                Some(stem) => (stem.to_string(), vec![path.clone()]),
                None => continue,
            }
        };
        let mut vars = Vec::new();
        for file in files {
            for (k, v) in read_file(&file)? {
                set(&mut vars, &k, v);
            }
        }
        match out.iter_mut().find(|(o, _)| *o == owner) {
            Some(slot) => slot.1.extend(vars),
            None => out.push((owner, vars)),
        }
    }
    Ok(out)
}

/// One vars file: a mapping of variable names to values.
fn read_file(path: &Path) -> Result<Vec<(String, Var)>, InventoryError> {
    let read_err = |source| InventoryError::Read {
        path: path.into(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_VARS_FILE {
        return Err(read_err(std::io::Error::other(format!(
            "{size} bytes; a vars file over {MAX_VARS_FILE} bytes is refused"
        ))));
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let text = without_core_tags(text.strip_prefix('\u{feff}').unwrap_or(&text)).into_owned();
    let file: Arc<Path> = Arc::from(path);
    let parsed: Option<Ordered<String, Spanned<Value>>> =
        serde_saphyr::from_str(&text).map_err(|e| InventoryError::Syntax {
            path: path.into(),
            line: e.location().map(|l| l.line() as usize),
            message: format!(
                "not a mapping of variables: {}",
                e.without_snippet()
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("invalid YAML")
            ),
        })?;
    Ok(parsed
        .map(|o| o.0)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            // The key's own line (a `!vault |` value starts on the next one).
            let line = find_key_line(&text, &k).or(Some(v.referenced.line() as usize));
            let var = Var {
                value: v.value,
                line,
                file: Some(file.clone()),
            };
            (k, var)
        })
        .collect())
}
