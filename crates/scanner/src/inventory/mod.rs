//! Inventories: which hosts to sweep and how to reach them.
//!
//! [`load`] reads one file and returns every WinRM host as a [`Target`] with all settings
//! resolved. Formats (see `docs/inventory.md`):
//!
//! - `.toml`: the native format ([`native`]);
//! - `.ini` or no extension: an Ansible INI inventory ([`ansible_ini`], hand-written: generic
//!   INI crates mangle host lines);
//! - `.yml` / `.yaml`: an Ansible YAML inventory ([`ansible_yaml`]);
//! - `.json`: the output of `ansible-inventory --list` ([`ansible_json`]).
//!
//! Any other extension is recognised by content. [`apply_limit`] selects hosts with Ansible's
//! `--limit` patterns; [`credential_groups`] groups targets that can share one WinRM client.
//!
//! An inventory never holds a password: plain-text `ansible_password` values and Ansible Vault
//! payloads are refused with the file and line (see [`crate::credentials`]).

use std::path::{Path, PathBuf};

use serde::Serialize;

pub mod ansible_ini;
pub mod ansible_json;
pub mod ansible_yaml;
pub mod limit;
pub mod native;
pub mod shard;

mod ansible;
mod groups;
mod settings;
mod vars_dirs;

use crate::target::Target;
pub use limit::{apply_limit, LimitError};

/// A loaded inventory.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    /// The file it was read from.
    pub source: PathBuf,
    pub format: Format,
    /// Every WinRM host, in file order.
    pub targets: Vec<Target>,
    /// Every group name (`all` left out), sorted, including groups without hosts.
    pub groups: Vec<String>,
    /// Hosts left out (e.g. `ansible_connection=ssh`), with the reason.
    pub skipped: Vec<SkippedHost>,
    /// Things the user should know (disabled certificate validation, ignored settings). Each
    /// was also logged with `tracing::warn!`.
    pub warnings: Vec<String>,
}

/// A host the inventory lists but the sweep leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedHost {
    pub name: String,
    pub reason: String,
}

/// Inventory formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// iis-sweep's TOML.
    Native,
    AnsibleIni,
    AnsibleYaml,
    /// `ansible-inventory --list` output.
    AnsibleJson,
}

impl Format {
    /// The format for `path`'s extension; `None` when the content must decide.
    pub fn from_extension(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "toml" => Some(Format::Native),
            "ini" => Some(Format::AnsibleIni),
            "yml" | "yaml" => Some(Format::AnsibleYaml),
            "json" => Some(Format::AnsibleJson),
            _ => None,
        }
    }

    /// Guesses the format of `text` (files without a known extension, such as Ansible's
    /// `hosts`).
    pub fn sniff(text: &str) -> Format {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
        let Some(first) = lines.next() else {
            return Format::AnsibleIni;
        };
        if first.starts_with('{') {
            return Format::AnsibleJson;
        }
        if first == "---" || first.starts_with("all:") || first.ends_with(':') {
            return Format::AnsibleYaml;
        }
        let native_marker =
            |l: &str| l == "[defaults]" || l == "[[host]]" || l.starts_with("[group.");
        if text.lines().any(|l| native_marker(l.trim())) {
            return Format::Native;
        }
        Format::AnsibleIni
    }
}

/// Why an inventory could not be loaded. Messages name the file and, where known, the line;
/// none carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{}: cannot read the inventory: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {message}", at(path, *line))]
    Syntax {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error(
        "{}: value encrypted with Ansible Vault ($ANSIBLE_VAULT;); iis-sweep does not decrypt \
         vault. Keep secrets out of the inventory: give the password through an environment \
         variable (IIS_SWEEP_PASSWORD, or the one named by password_env), a chmod 600 \
         password_file, or the interactive prompt",
        at(path, Some(*line))
    )]
    Vault { path: PathBuf, line: usize },
    #[error(
        "{}: {owner} sets {var} in plain text; iis-sweep never reads passwords from an \
         inventory. Remove it and give the password through an environment variable \
         (IIS_SWEEP_PASSWORD, or name one with password_env / iis_sweep_password_env), a file \
         only you can read (password_file / iis_sweep_password_file, chmod 600), or the \
         interactive prompt",
        at(path, *line)
    )]
    PlainTextPassword {
        path: PathBuf,
        line: Option<usize>,
        /// `host web01` or `group web`.
        owner: String,
        var: String,
    },
    #[error("{}: {owner}: {message}", at(path, *line))]
    UnsupportedTransport {
        path: PathBuf,
        line: Option<usize>,
        /// `host web01`, `group web` or `[defaults]`.
        owner: String,
        message: String,
    },
    #[error("{}: host {host}: {message}", at(path, *line))]
    InvalidHost {
        path: PathBuf,
        line: Option<usize>,
        host: String,
        message: String,
    },
    #[error("{}: no WinRM hosts in the inventory{}", path.display(), skipped_note(*skipped))]
    NoHosts { path: PathBuf, skipped: usize },
    #[error(
        "{}: {hosts} hosts, more than the cap of {cap} per sweep; split the fleet (scan --shard \
         K/N, then merge) or raise the cap with {MAX_HOSTS_ENV}=N",
        path.display()
    )]
    TooManyHosts {
        path: PathBuf,
        hosts: usize,
        cap: usize,
    },
}

/// Hosts one inventory may hold, whatever its format ([`MAX_HOSTS_ENV`] overrides it).
pub const DEFAULT_MAX_HOSTS: usize = 250_000;
/// The environment variable that raises or lowers [`DEFAULT_MAX_HOSTS`].
pub const MAX_HOSTS_ENV: &str = "IIS_SWEEP_MAX_HOSTS";

pub(crate) fn max_hosts() -> usize {
    std::env::var(MAX_HOSTS_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_MAX_HOSTS)
}

fn at(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{}:{l}", path.display()),
        None => path.display().to_string(),
    }
}

fn skipped_note(skipped: usize) -> String {
    match skipped {
        0 => String::new(),
        n => format!(" ({n} non-WinRM hosts skipped)"),
    }
}

impl InventoryError {
    /// The inventory file.
    pub fn path(&self) -> &Path {
        match self {
            InventoryError::Read { path, .. }
            | InventoryError::Syntax { path, .. }
            | InventoryError::Vault { path, .. }
            | InventoryError::PlainTextPassword { path, .. }
            | InventoryError::UnsupportedTransport { path, .. }
            | InventoryError::InvalidHost { path, .. }
            | InventoryError::NoHosts { path, .. }
            | InventoryError::TooManyHosts { path, .. } => path,
        }
    }

    /// The 1-based line the problem is on, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            InventoryError::Syntax { line, .. }
            | InventoryError::PlainTextPassword { line, .. }
            | InventoryError::UnsupportedTransport { line, .. }
            | InventoryError::InvalidHost { line, .. } => *line,
            InventoryError::Vault { line, .. } => Some(*line),
            InventoryError::Read { .. }
            | InventoryError::NoHosts { .. }
            | InventoryError::TooManyHosts { .. } => None,
        }
    }
}

/// Reads the inventory at `path`, detecting its format by extension or content.
pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
    let read_err = |source| InventoryError::Read {
        path: path.into(),
        source,
    };
    if path.is_dir() {
        return load_dir(path);
    }
    let bytes = std::fs::read(path).map_err(read_err)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| read_err(std::io::Error::other("not valid UTF-8 text")))?;
    let format = Format::from_extension(path).unwrap_or_else(|| Format::sniff(&text));
    load_str(path, &text, format)
}

/// Loads several inventories as one (`-i a.yml -i b.ini`): hosts in the order given, groups
/// merged. A host listed in two of them is refused, naming both files.
pub fn load_all(paths: &[PathBuf]) -> Result<Inventory, InventoryError> {
    let mut loaded = Vec::with_capacity(paths.len());
    for path in paths {
        loaded.push((path.clone(), load(path)?));
    }
    merge(loaded)?.ok_or_else(|| InventoryError::Read {
        path: PathBuf::new(),
        source: std::io::Error::other("no inventory given"),
    })
}

/// Extensions Ansible skips in an inventory directory (its `inventory_ignore_extensions`
/// default, which includes `.ini`: an INI inventory in a directory must have no extension).
const IGNORED_IN_DIRECTORY: [&str; 13] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".ini", ".cfg",
    ".retry",
];

/// An Ansible inventory directory (`-i inventory/`): every file in it is an inventory source,
/// read in name order, as Ansible reads one — hidden files, `group_vars/`, `host_vars/` and
/// other folders, files with an ignored extension and executable (dynamic inventory) scripts
/// are skipped, with a warning naming them. The directory's `group_vars/` and `host_vars/`
/// apply to every file. A file with no WinRM host is fine as long as the directory has some.
pub fn load_dir(dir: &Path) -> Result<Inventory, InventoryError> {
    let entries = std::fs::read_dir(dir).map_err(|source| InventoryError::Read {
        path: dir.into(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut ignored = Vec::new();
    let mut loaded = Vec::new();
    let mut without_hosts = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || path.is_dir() {
            continue;
        }
        if IGNORED_IN_DIRECTORY.iter().any(|x| name.ends_with(x)) {
            ignored.push(format!("{name} (extension ignored, as by Ansible)"));
            continue;
        }
        if is_executable(&path) {
            ignored.push(format!("{name} (a dynamic inventory script; iis-sweep runs none: save its --list output as .json)"));
            continue;
        }
        match load(&path) {
            Ok(inv) => loaded.push((path, inv)),
            Err(InventoryError::NoHosts { .. }) => without_hosts.push(name),
            Err(e) => return Err(e),
        }
    }
    let mut inv = merge(loaded)?.ok_or_else(|| InventoryError::NoHosts {
        path: dir.into(),
        skipped: 0,
    })?;
    inv.source = dir.into();
    if !ignored.is_empty() {
        let w = format!("{}: skipped {}", dir.display(), ignored.join(", "));
        tracing::warn!("{w}");
        inv.warnings.push(w);
    }
    if !without_hosts.is_empty() {
        inv.warnings.push(format!(
            "{}: no WinRM hosts in {}",
            dir.display(),
            without_hosts.join(", ")
        ));
    }
    Ok(inv)
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// Inventories as one, in the order given (`None` when there are none). A host in two of them
/// is refused, naming both files.
fn merge(loaded: Vec<(PathBuf, Inventory)>) -> Result<Option<Inventory>, InventoryError> {
    let mut all: Option<Inventory> = None;
    let mut seen: std::collections::HashMap<String, PathBuf> = std::collections::HashMap::new();
    for (path, inv) in loaded {
        for t in &inv.targets {
            if let Some(first) = seen.insert(t.name.to_lowercase(), path.clone()) {
                return Err(InventoryError::Syntax {
                    path,
                    line: None,
                    message: format!(
                        "host {} is also listed in {}; list each host in one inventory",
                        t.name,
                        first.display()
                    ),
                });
            }
        }
        all = Some(match all {
            None => inv,
            Some(mut acc) => {
                acc.targets.extend(inv.targets);
                acc.groups.extend(inv.groups);
                acc.groups.sort();
                acc.groups.dedup();
                acc.skipped.extend(inv.skipped);
                acc.warnings.extend(inv.warnings);
                acc
            }
        });
    }
    Ok(all)
}

/// Parses `text` as `format`; `path` is used in messages and to resolve relative paths.
pub fn load_str(path: &Path, text: &str, format: Format) -> Result<Inventory, InventoryError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Ansible inventories are checked per host (a vaulted variable of a host that is skipped,
    // e.g. an ssh one, is never read); a native inventory has no such hosts.
    if let Some(line) = (format == Format::Native)
        .then(|| find_vault(text))
        .flatten()
    {
        return Err(InventoryError::Vault {
            path: path.into(),
            line,
        });
    }
    let inv = match format {
        Format::Native => native::parse(path, text)?,
        Format::AnsibleIni => ansible_ini::parse(path, text)?,
        Format::AnsibleYaml => ansible_yaml::parse(path, text)?,
        Format::AnsibleJson => ansible_json::parse(path, text)?,
    };
    if inv.targets.is_empty() {
        return Err(InventoryError::NoHosts {
            path: path.into(),
            skipped: inv.skipped.len(),
        });
    }
    let cap = max_hosts();
    if inv.targets.len() > cap {
        return Err(InventoryError::TooManyHosts {
            path: path.into(),
            hosts: inv.targets.len(),
            cap,
        });
    }
    for s in &inv.skipped {
        tracing::warn!(host = %s.name, "skipped: {}", s.reason);
    }
    for w in &inv.warnings {
        tracing::warn!("{w}");
    }
    Ok(inv)
}

/// The first line (1-based) of a native (TOML) inventory, outside a comment, that holds an
/// Ansible Vault payload.
fn find_vault(text: &str) -> Option<usize> {
    text.lines().enumerate().find_map(|(i, line)| {
        let t = line.trim_start();
        (!t.starts_with('#') && t.contains(crate::credentials::VAULT_PREFIX)).then_some(i + 1)
    })
}

/// Line numbers of byte offsets in one text: the newlines are found once, then each lookup is
/// a binary search — a 200,000-host inventory would otherwise be read again from the top for
/// every host (quadratic).
pub(crate) struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        LineIndex {
            newlines: text
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// The 1-based line of byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

/// Ansible variables that would hold a WinRM password; refused wherever they appear.
pub(crate) const PASSWORD_VARS: [&str; 3] =
    ["ansible_password", "ansible_pass", "ansible_winrm_password"];

/// Warnings collected while loading. The same message for many hosts becomes one line: a
/// fleet of 10,000 hosts with certificate validation off should not print 10,000 lines.
#[derive(Debug, Default)]
pub(crate) struct Warnings(Vec<(String, String)>);

impl Warnings {
    /// A warning about one host.
    pub fn host(&mut self, host: &str, message: impl Into<String>) {
        self.0.push((host.to_string(), message.into()));
    }

    /// One line per distinct message, naming up to five hosts.
    pub fn into_lines(self) -> Vec<String> {
        let mut order: Vec<String> = Vec::new();
        let mut hosts: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (host, message) in self.0 {
            let list = hosts.entry(message.clone()).or_insert_with(|| {
                order.push(message);
                Vec::new()
            });
            list.push(host);
        }
        order
            .into_iter()
            .map(|message| {
                let who = &hosts[&message];
                match who.len() {
                    1 => format!("{}: {message}", who[0]),
                    n => {
                        let shown = who[..n.min(5)].join(", ");
                        let more = if n > 5 {
                            format!(" and {} more", n - 5)
                        } else {
                            String::new()
                        };
                        format!("{n} hosts ({shown}{more}): {message}")
                    }
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_warning_for_many_hosts_is_one_line() {
        let mut w = Warnings::default();
        for i in 0..8 {
            w.host(&format!("h{i}"), "cert off");
        }
        w.host("z", "something else");
        assert_eq!(
            w.into_lines(),
            [
                "8 hosts (h0, h1, h2, h3, h4 and 3 more): cert off",
                "z: something else"
            ]
        );
    }

    #[test]
    fn format_by_extension_and_content() {
        assert_eq!(
            Format::from_extension(Path::new("a/b.YML")),
            Some(Format::AnsibleYaml)
        );
        assert_eq!(Format::from_extension(Path::new("hosts")), None);
        assert_eq!(Format::sniff("[web]\nweb01\n"), Format::AnsibleIni);
        assert_eq!(Format::sniff("# c\nall:\n  hosts:\n"), Format::AnsibleYaml);
        assert_eq!(Format::sniff("{\"_meta\": {}}"), Format::AnsibleJson);
        assert_eq!(
            Format::sniff("[defaults]\nport = 5985\n[[host]]\nname = \"a\"\n"),
            Format::Native
        );
    }
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    #[test]
    fn the_host_cap_names_the_file_and_the_way_out() {
        let e = InventoryError::TooManyHosts {
            path: "fleet.ini".into(),
            hosts: 300_000,
            cap: DEFAULT_MAX_HOSTS,
        };
        let text = e.to_string();
        assert!(
            text.contains("fleet.ini") && text.contains("--shard") && text.contains(MAX_HOSTS_ENV)
        );
    }

    #[test]
    fn line_index_matches_counting() {
        let text = "a\nbb\n\nccc\n";
        let idx = LineIndex::new(text);
        for off in 0..=text.len() {
            let counted = text.as_bytes()[..off]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            assert_eq!(idx.line(off), counted, "offset {off}");
        }
    }
}
