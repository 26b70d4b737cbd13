//! What the three Ansible formats share: the parsed inventory (groups, hosts, variables), host
//! pattern expansion (`web[01:20].contoso.com`), variable precedence, and the mapping of
//! `ansible_*` / `ansible_winrm_*` / `iis_sweep_*` variables onto target settings.

use foldhash::{HashMap, HashMapExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::groups::{GroupTree, ALL, UNGROUPED};
use super::settings::{parse_bool, parse_delivery, Settings};
use super::{Format, Inventory, InventoryError, SkippedHost, Warnings, PASSWORD_VARS};
use crate::target::{AuthMethod, Scheme};

/// Hosts one range may expand to; a typo such as `[0:99999999]` is an error, not a stall.
const MAX_RANGE_HOSTS: usize = 100_000;

/// A map that keeps its entries in document order (inventories list hosts in an order users
/// expect to see again).
#[derive(Debug)]
pub(crate) struct Ordered<K, V>(pub Vec<(K, V)>);

impl<K, V> Default for Ordered<K, V> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::Deserialize<'de>
    for Ordered<K, V>
{
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<K, V>(std::marker::PhantomData<(K, V)>);
        impl<'de, K: serde::Deserialize<'de>, V: serde::Deserialize<'de>> serde::de::Visitor<'de>
            for Visit<K, V>
        {
            type Value = Ordered<K, V>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// The YAML core-schema tags Ansible inventories use to force a type (`ansible_port: !!int
/// "5985"`), blanked out: Ansible reads the value either way, and the settings parse ports,
/// booleans and numbers from text. Blanks of the same width keep every line and column where
/// errors point.
pub(crate) fn without_core_tags(text: &str) -> std::borrow::Cow<'_, str> {
    const TAGS: [&str; 5] = ["!!int ", "!!str ", "!!float ", "!!bool ", "!!null "];
    if !text.contains("!!") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for tag in TAGS {
        out = out.replace(tag, &" ".repeat(tag.len()));
    }
    std::borrow::Cow::Owned(out)
}

/// Whether a variable holds an Ansible Vault payload: `$ANSIBLE_VAULT;…` text (YAML `!vault`
/// blocks and INI values) or `{"__ansible_vault": …}` (JSON inventories), at any depth.
fn vaulted(v: &Value) -> bool {
    match v {
        Value::String(s) => s.trim_start().starts_with(crate::credentials::VAULT_PREFIX),
        Value::Array(a) => a.iter().any(vaulted),
        Value::Object(o) => o.contains_key("__ansible_vault") || o.values().any(vaulted),
        _ => false,
    }
}

/// One variable value and the line it was written on (when the format tells).
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub value: Value,
    pub line: Option<usize>,
    /// The file it was written in, when not the inventory itself (`group_vars/web.yml`).
    pub file: Option<Arc<Path>>,
}

#[derive(Debug)]
struct HostDef {
    name: String,
    line: Option<usize>,
    groups: Vec<usize>,
    vars: Vec<(String, Var)>,
}

/// An Ansible inventory as parsed, before precedence is applied.
#[derive(Debug)]
pub(crate) struct Model {
    pub tree: GroupTree,
    group_vars: HashMap<usize, Vec<(String, Var)>>,
    hosts: Vec<HostDef>,
    host_index: HashMap<String, usize>,
}

impl Model {
    pub fn new() -> Self {
        Model {
            tree: GroupTree::new(),
            group_vars: HashMap::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
        }
    }

    pub fn group(&mut self, name: &str) -> usize {
        self.tree.add(name)
    }

    /// The host `name`, created (at `line`) if new.
    pub fn host(&mut self, name: &str, line: Option<usize>) -> usize {
        if let Some(&h) = self.host_index.get(name) {
            return h;
        }
        let h = self.hosts.len();
        self.hosts.push(HostDef {
            name: name.to_string(),
            line,
            groups: Vec::new(),
            vars: Vec::new(),
        });
        self.host_index.insert(name.to_string(), h);
        h
    }

    /// The group `name` if the inventory has it.
    pub fn existing_group(&self, name: &str) -> Option<usize> {
        self.tree.find(name)
    }

    /// The host `name` if the inventory lists it.
    pub fn existing_host(&self, name: &str) -> Option<usize> {
        self.host_index.get(name).copied()
    }

    pub fn add_to_group(&mut self, host: usize, group: usize) {
        let groups = &mut self.hosts[host].groups;
        if !groups.contains(&group) {
            groups.push(group);
        }
    }

    pub fn set_group_var(&mut self, group: usize, key: &str, var: Var) {
        set(self.group_vars.entry(group).or_default(), key, var);
    }

    pub fn set_host_var(&mut self, host: usize, key: &str, var: Var) {
        set(&mut self.hosts[host].vars, key, var);
    }

    /// Applies precedence (all < parent groups < child groups < host) and builds the targets.
    /// `text` finds lines the format did not record; `base` resolves relative paths.
    pub fn finish(
        mut self,
        path: &Path,
        text: &str,
        format: Format,
        base: Option<&Path>,
    ) -> Result<Inventory, InventoryError> {
        let mut warnings = Warnings::default();

        let mut priorities = Vec::new();
        for (&g, vars) in &self.group_vars {
            if let Some((_, v)) = vars.iter().find(|(k, _)| k == "ansible_group_priority") {
                let p = scalar(v)
                    .ok()
                    .flatten()
                    .and_then(|s| s.trim().parse::<i64>().ok())
                    .ok_or_else(|| InventoryError::Syntax {
                        path: path.into(),
                        line: v.line,
                        message: format!(
                            "group {}: ansible_group_priority must be an integer",
                            self.tree.name(g)
                        ),
                    })?;
                priorities.push((g, p));
            }
        }
        for (g, p) in priorities {
            self.tree.set_priority(g, p);
        }

        let depths = self.tree.finish().map_err(|cycle| InventoryError::Syntax {
            path: path.into(),
            line: None,
            message: format!("groups form a cycle: {}", cycle.join(" → ")),
        })?;
        let ungrouped = self.group(UNGROUPED);

        let mut targets = Vec::with_capacity(self.hosts.len());
        let mut skipped = Vec::new();
        let no_vars = Vec::new();
        for host in &mut self.hosts {
            // As Ansible: a host in no group but `all` is `ungrouped`.
            if host.groups.iter().all(|&g| self.tree.name(g) == ALL) {
                host.groups = vec![ungrouped];
            }
            let order = self.tree.apply_order(&host.groups, &depths);
            // Each variable with where it was set, for messages.
            let mut sources: HashMap<&str, (&Var, Option<usize>)> = HashMap::new();
            for g in &order {
                for (k, v) in self.group_vars.get(g).unwrap_or(&no_vars) {
                    sources.insert(k, (v, Some(*g)));
                }
            }
            for (k, v) in &host.vars {
                sources.insert(k, (v, None));
            }
            let merged: HashMap<&str, &Var> = sources.iter().map(|(k, (v, _))| (*k, *v)).collect();
            let settings = match settings_from_vars(&merged, &mut warnings, &host.name) {
                Ok(Mapped::Settings(s)) => *s,
                Ok(Mapped::Skip(reason)) => {
                    skipped.push(SkippedHost {
                        name: host.name.clone(),
                        reason,
                    });
                    continue;
                }
                Err(e) => {
                    if let Some(v) = merged.get(e.var.as_str()).filter(|v| vaulted(&v.value)) {
                        return Err(vault_error(path, text, &e.var, v, host.line));
                    }
                    let message = format!("{}: {}", e.var, e.message);
                    let line = e.line.or(host.line);
                    let path: &Path = e.file.as_deref().unwrap_or(path);
                    return Err(if e.transport {
                        InventoryError::UnsupportedTransport {
                            path: path.into(),
                            line,
                            owner: format!("host {}", host.name),
                            message,
                        }
                    } else {
                        InventoryError::InvalidHost {
                            path: path.into(),
                            line,
                            host: host.name.clone(),
                            message,
                        }
                    });
                }
            };
            // A vaulted value is refused for a host that would be swept (iis-sweep does not
            // decrypt vault); on a skipped host (ssh, local, …) it is never read, so it is fine.
            // A vaulted password is ignored like a templated one: iis-sweep never takes the
            // password from an inventory, and vault files in group_vars/ usually hold just that.
            if let Some((var, (v, _))) = sources
                .iter()
                .find(|(k, (v, _))| vaulted(&v.value) && !PASSWORD_VARS.contains(*k))
            {
                return Err(vault_error(path, text, var, v, host.line));
            }
            // A password in the inventory is refused for every host that would use it (a
            // `{{ template }}` is only warned about: it is no plain-text secret, and the
            // password comes from elsewhere anyway).
            for var in PASSWORD_VARS {
                let Some((v, from)) = sources.get(var) else {
                    continue;
                };
                match &v.value {
                    Value::Null => {}
                    value if vaulted(value) => warnings.host(
                        &host.name,
                        format!(
                            "{var} is encrypted with Ansible Vault and ignored; the password comes \
                             from IIS_SWEEP_PASSWORD (or password_env), a password file or the prompt"
                        ),
                    ),
                    Value::String(s) if s.contains("{{") => warnings.host(
                        &host.name,
                        format!(
                            "{var} is a template and is ignored; the password comes from \
                             IIS_SWEEP_PASSWORD (or password_env), a password file or the prompt"
                        ),
                    ),
                    _ => {
                        return Err(InventoryError::PlainTextPassword {
                            path: v.file.as_deref().unwrap_or(path).into(),
                            line: v
                                .line
                                .or_else(|| v.file.is_none().then(|| find_key_line(text, var))?),
                            owner: match from {
                                Some(g) => {
                                    format!("group {} (for host {})", self.tree.name(*g), host.name)
                                }
                                None => format!("host {}", host.name),
                            },
                            var: var.to_string(),
                        })
                    }
                }
            }
            let groups = self.tree.member_names(&order);
            let target = settings
                .into_target(&host.name, groups, base, &mut warnings)
                .map_err(|message| InventoryError::InvalidHost {
                    path: path.into(),
                    line: host.line,
                    host: host.name.clone(),
                    message,
                })?;
            targets.push(target);
        }
        Ok(Inventory {
            source: path.into(),
            format,
            targets,
            groups: self.tree.names(),
            skipped,
            warnings: warnings.into_lines(),
        })
    }
}

/// The error for a vaulted variable `var` of a host that would be swept, pointing at its key.
fn vault_error(
    path: &Path,
    text: &str,
    var: &str,
    v: &Var,
    host_line: Option<usize>,
) -> InventoryError {
    if let Some(file) = &v.file {
        // Lines of vars files are the keys' own lines already.
        return InventoryError::Vault {
            path: file.to_path_buf(),
            line: v.line.unwrap_or(1),
        };
    }
    // A `!vault |` block starts on the line after its key: point at the key.
    let key_line = v.line.map(|l| {
        let on = |n: usize| text.lines().nth(n.wrapping_sub(1)).unwrap_or("");
        if !on(l).contains(var) && l > 1 && on(l - 1).contains(var) {
            l - 1
        } else {
            l
        }
    });
    InventoryError::Vault {
        path: path.into(),
        line: key_line
            .or_else(|| find_key_line(text, var))
            .or(host_line)
            .unwrap_or(1),
    }
}

pub(crate) fn set(vars: &mut Vec<(String, Var)>, key: &str, var: Var) {
    match vars.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = var,
        None => vars.push((key.to_string(), var)),
    }
}

/// The first line that mentions `key` as a key (`key:`, `key=` or `"key"`).
pub(crate) fn find_key_line(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    text.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim_start();
        let hit = t.contains(&quoted)
            || t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with([':', '=']))
            || l.contains(&format!(" {key}="));
        hit.then_some(i + 1)
    })
}

enum Mapped {
    Settings(Box<Settings>),
    Skip(String),
}

struct VarError {
    var: String,
    line: Option<usize>,
    file: Option<Arc<Path>>,
    message: String,
    transport: bool,
}

/// A variable as text: strings as they are, numbers and booleans printed, `null` as unset.
pub(crate) fn scalar(v: &Var) -> Result<Option<String>, String> {
    fn of(value: &Value) -> Result<Option<String>, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) if s.contains("{{") => Err("is a Jinja2 template; iis-sweep does \
                 not evaluate templates: write the value itself"
                .into()),
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            // `ansible-inventory --list` marks some strings this way.
            Value::Object(m) if m.len() == 1 && m.contains_key("__ansible_unsafe") => {
                of(&m["__ansible_unsafe"])
            }
            Value::Array(_) | Value::Object(_) => Err("expected a single value".into()),
        }
    }
    of(&v.value)
}

/// The items of a list variable: a YAML/JSON list, or a string such as `ntlm,kerberos` or
/// `['ntlm', 'kerberos']`.
fn items(v: &Var) -> Result<Vec<String>, String> {
    if let Value::Array(a) = &v.value {
        return a
            .iter()
            .map(|x| {
                scalar(&Var {
                    value: x.clone(),
                    line: None,
                    file: None,
                })
                .map(Option::unwrap_or_default)
            })
            .collect();
    }
    let s = scalar(v)?.unwrap_or_default();
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    Ok(s.split(',')
        .map(|x| x.trim().trim_matches(['\'', '"']).trim().to_string())
        .filter(|x| !x.is_empty())
        .collect())
}

/// Maps the merged variables of one host onto settings.
fn settings_from_vars(
    vars: &HashMap<&str, &Var>,
    warnings: &mut Warnings,
    host: &str,
) -> Result<Mapped, VarError> {
    let err = |key: &str, message: String| VarError {
        var: key.to_string(),
        line: vars.get(key).and_then(|v| v.line),
        file: vars.get(key).and_then(|v| v.file.clone()),
        message,
        transport: false,
    };
    let get = |key: &str| -> Result<Option<String>, VarError> {
        match vars.get(key) {
            None => Ok(None),
            Some(v) => scalar(v).map_err(|m| err(key, m)),
        }
    };
    let parsed = |key: &str| -> Result<Option<u64>, VarError> {
        get(key)?
            .map(|s| {
                let s = s.trim();
                // Ansible timeouts may be floats; whole seconds, rounded up.
                s.parse::<u64>()
                    .ok()
                    .or_else(|| {
                        s.parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite() && *f >= 0.0)
                            .map(|f| f.ceil() as u64)
                    })
                    .ok_or_else(|| err(key, format!("expected a number of seconds, got {s:?}")))
            })
            .transpose()
    };
    let boolean = |key: &str| -> Result<Option<bool>, VarError> {
        get(key)?
            .map(|s| {
                parse_bool(&s).ok_or_else(|| err(key, format!("expected true or false, got {s:?}")))
            })
            .transpose()
    };
    let path = |key: &str| -> Result<Option<PathBuf>, VarError> {
        Ok(get(key)?
            .filter(|s| !s.trim().is_empty())
            .map(PathBuf::from))
    };
    // The later name in each list wins, as in Ansible's option aliases.
    let first_of = |keys: &[&str]| -> Result<Option<String>, VarError> {
        let mut out = None;
        for k in keys {
            if let Some(v) = get(k)? {
                out = Some(v);
            }
        }
        Ok(out)
    };

    if let Some(conn) = get("ansible_connection")? {
        let conn = conn.trim();
        if !conn.eq_ignore_ascii_case("winrm") && !conn.is_empty() {
            return Ok(Mapped::Skip(format!(
                "ansible_connection={conn} (only winrm hosts are swept)"
            )));
        }
    }

    let mut s = Settings {
        address: first_of(&["ansible_host", "ansible_winrm_host"])?,
        username: first_of(&["ansible_user", "ansible_winrm_user"])?,
        ..Default::default()
    };
    for key in ["ansible_port", "ansible_winrm_port"] {
        if let Some(p) = get(key)? {
            s.port = Some(
                p.trim()
                    .parse::<u16>()
                    .map_err(|_| err(key, format!("{p:?} is not a TCP port")))?,
            );
        }
    }
    if let Some(v) = get("ansible_winrm_scheme")? {
        s.scheme = Some(
            v.parse::<Scheme>()
                .map_err(|m| err("ansible_winrm_scheme", m))?,
        );
    }
    if let Some(v) = vars.get("ansible_winrm_transport") {
        let list = items(v).map_err(|m| err("ansible_winrm_transport", m))?;
        if let Some(first) = list.first() {
            let auth = first.parse::<AuthMethod>().map_err(|message| VarError {
                transport: true,
                ..err("ansible_winrm_transport", message)
            })?;
            if list.len() > 1 {
                warnings.host(
                    host,
                    format!(
                        "ansible_winrm_transport lists {}; iis-sweep uses only the first, {auth}",
                        list.join(", ")
                    ),
                );
            }
            s.auth = Some(auth);
        }
    }
    if let Some(v) = get("ansible_winrm_server_cert_validation")? {
        s.verify = Some(match v.trim().to_ascii_lowercase().as_str() {
            "ignore" => false,
            "validate" => true,
            other => {
                return Err(err(
                    "ansible_winrm_server_cert_validation",
                    format!("expected validate or ignore, got {other:?}"),
                ))
            }
        });
    }
    s.ca_file = path("ansible_winrm_ca_trust_path")?;
    s.client_cert = path("ansible_winrm_cert_pem")?;
    s.client_key = path("ansible_winrm_cert_key_pem")?;
    s.operation_timeout_secs = parsed("ansible_winrm_connection_timeout")?;
    if let Some(t) = parsed("ansible_winrm_operation_timeout_sec")? {
        s.operation_timeout_secs = Some(t);
    }
    if let Some(p) = get("ansible_winrm_path")? {
        if p.trim().trim_end_matches('/') != "/wsman" {
            return Err(err(
                "ansible_winrm_path",
                format!("{p:?} is not supported: winrm-rs always uses /wsman"),
            ));
        }
    }
    if let Some(m) = get("ansible_winrm_message_encryption")? {
        // `never` is Ansible's way to consent to unencrypted traffic; it only matters for
        // Basic over HTTP (NTLM is always sealed over HTTP).
        if m.trim().eq_ignore_ascii_case("never") {
            s.allow_unencrypted_basic = Some(true);
        }
    }

    // iis-sweep's own settings, for what Ansible has no variable for.
    s.password_env = get("iis_sweep_password_env")?;
    s.password_file = path("iis_sweep_password_file")?;
    s.pin_sha256 = get("iis_sweep_pin_sha256")?;
    if let Some(d) = get("iis_sweep_delivery")? {
        s.delivery = Some(parse_delivery(&d).map_err(|m| err("iis_sweep_delivery", m))?);
    }
    if let Some(t) = parsed("iis_sweep_connect_timeout_secs")? {
        s.connect_timeout_secs = Some(t);
    }
    if let Some(t) = parsed("iis_sweep_operation_timeout_secs")? {
        s.operation_timeout_secs = Some(t);
    }
    s.host_timeout_secs = parsed("iis_sweep_host_timeout_secs")?;
    if let Some(b) = boolean("iis_sweep_allow_unencrypted_basic")? {
        s.allow_unencrypted_basic = Some(b);
    }
    Ok(Mapped::Settings(Box::new(s)))
}

/// Splits an inventory host entry into its names (ranges expanded) and optional port:
/// `web[01:03].contoso.com:5986`, `db-[a:c]`, `[2001:db8::1]:5986`, `2001:db8::1`.
pub(crate) fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (host, port) = split_port(pattern.trim())?;
    if host.is_empty() {
        return Err(format!("empty host name in {pattern:?}"));
    }
    let names = expand_ranges(&host)?;
    Ok((names, port))
}

fn split_port(s: &str) -> Result<(String, Option<u16>), String> {
    let port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| format!("invalid port {p:?} in host {s:?}"))
    };
    // Bracketed IPv6 address, with or without a port.
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((inner, after)) = rest.split_once(']') {
            if inner.matches(':').count() >= 2 && inner.parse::<std::net::Ipv6Addr>().is_ok() {
                return match after {
                    "" => Ok((inner.to_string(), None)),
                    _ => match after.strip_prefix(':') {
                        Some(p) => Ok((inner.to_string(), Some(port(p)?))),
                        None => Err(format!("unexpected text after IPv6 address in {s:?}")),
                    },
                };
            }
        }
    }
    // Colons outside range brackets.
    let mut depth = 0i32;
    let colons: Vec<usize> = s
        .char_indices()
        .filter_map(|(i, c)| {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ':' if depth == 0 => return Some(i),
                _ => {}
            }
            None
        })
        .collect();
    match colons.as_slice() {
        [] => Ok((s.to_string(), None)),
        [i] => {
            let p = &s[i + 1..];
            if p.is_empty() {
                return Err(format!(
                    "invalid host {s:?}: a trailing ':' must be followed by a port"
                ));
            }
            Ok((s[..*i].to_string(), Some(port(p)?)))
        }
        // A bare IPv6 address has no port.
        _ if s.parse::<std::net::Ipv6Addr>().is_ok() => Ok((s.to_string(), None)),
        _ => Err(format!("invalid host {s:?}")),
    }
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Expands every `[begin:end]` / `[begin:end:step]` range, numeric (zero-padded when `begin`
/// has a leading zero) or alphabetic.
fn expand_ranges(s: &str) -> Result<Vec<String>, String> {
    let Some(open) = s.find('[') else {
        if s.contains(']') {
            return Err(format!("unbalanced ']' in host {s:?}"));
        }
        return Ok(vec![s.to_string()]);
    };
    let close = s[open..]
        .find(']')
        .map(|c| open + c)
        .ok_or_else(|| format!("unterminated range in host {s:?}"))?;
    let (head, body, tail) = (&s[..open], &s[open + 1..close], &s[close + 1..]);
    let bounds: Vec<&str> = body.split(':').collect();
    if !(2..=3).contains(&bounds.len()) {
        return Err(format!(
            "host range [{body}] must be [begin:end] or [begin:end:step]"
        ));
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err(format!("host range [{body}] has no end"));
    }
    let step = match bounds.get(2) {
        None => 1,
        Some(st) => st
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("host range [{body}]: step must be a positive integer"))?,
    };
    let values: Vec<String> = if let (Some(b), Some(e)) = (letter(beg), letter(end)) {
        if b > e {
            return Err(format!("host range [{body}]: begin is after end"));
        }
        LETTERS[b..=e]
            .chars()
            .step_by(step)
            .map(String::from)
            .collect()
    } else {
        let parse = |x: &str| {
            x.parse::<u64>()
                .map_err(|_| format!("host range [{body}]: {x:?} is neither a number nor a letter"))
        };
        let (b, e) = (parse(beg)?, parse(end)?);
        if b > e {
            return Err(format!("host range [{body}]: begin is after end"));
        }
        if (e - b) / step as u64 >= MAX_RANGE_HOSTS as u64 {
            return Err(format!(
                "host range [{body}] expands to more than {MAX_RANGE_HOSTS} hosts"
            ));
        }
        let width = if beg.len() > 1 && beg.starts_with('0') {
            if beg.len() != end.len() {
                return Err(format!(
                    "host range [{body}]: a zero-padded begin needs an end of the same width"
                ));
            }
            beg.len()
        } else {
            0
        };
        (b..=e)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect()
    };
    let tails = expand_ranges(tail)?;
    if values.len().saturating_mul(tails.len()) > MAX_RANGE_HOSTS {
        return Err(format!(
            "host pattern {s:?} expands to more than {MAX_RANGE_HOSTS} hosts"
        ));
    }
    let mut out = Vec::with_capacity(values.len() * tails.len());
    for v in &values {
        for t in &tails {
            out.push(format!("{head}{v}{t}"));
        }
    }
    Ok(out)
}

fn letter(s: &str) -> Option<usize> {
    let mut chars = s.chars();
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    LETTERS.find(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(p: &str) -> Vec<String> {
        expand_host_pattern(p).unwrap().0
    }

    #[test]
    fn numeric_ranges_keep_padding() {
        assert_eq!(
            names("web[01:03].contoso.com"),
            [
                "web01.contoso.com",
                "web02.contoso.com",
                "web03.contoso.com"
            ]
        );
        assert_eq!(names("db[8:10]"), ["db8", "db9", "db10"]);
        assert_eq!(names("w[001:007:3]"), ["w001", "w004", "w007"]);
    }

    #[test]
    fn alpha_ranges_and_products() {
        assert_eq!(names("db-[a:c]"), ["db-a", "db-b", "db-c"]);
        assert_eq!(names("[a:b][1:2]"), ["a1", "a2", "b1", "b2"]);
        assert_eq!(names("x[a:e:2]"), ["xa", "xc", "xe"]);
    }

    #[test]
    fn ports_and_ipv6() {
        assert_eq!(
            expand_host_pattern("web[1:2]:5986").unwrap(),
            (vec!["web1".to_string(), "web2".to_string()], Some(5986))
        );
        assert_eq!(
            expand_host_pattern("[2001:db8::1]:5986").unwrap(),
            (vec!["2001:db8::1".to_string()], Some(5986))
        );
        assert_eq!(
            expand_host_pattern("2001:db8::1").unwrap(),
            (vec!["2001:db8::1".to_string()], None)
        );
    }

    #[test]
    fn bad_ranges_are_errors() {
        for p in [
            "web[01:3]",
            "web[3:1]",
            "web[1:]",
            "web[1:5:0]",
            "web[1:2",
            "web:",
            "web[0:9999999]",
            "web[a:3]",
        ] {
            assert!(expand_host_pattern(p).is_err(), "{p}");
        }
    }
}
