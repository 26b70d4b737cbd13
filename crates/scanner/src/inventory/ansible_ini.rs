//! Ansible INI inventories, parsed by hand: generic INI crates split host lines such as
//! `web01 ansible_host=10.0.0.1` at the first `=`.
//!
//! ```ini
//! web-legacy.contoso.com            # before any section: group "ungrouped"
//!
//! [web]
//! web[01:20].contoso.com            # ranges: numeric (zero-padded), [a:f], [01:20:2]
//! web21.contoso.com:5985 ansible_user='CONTOSO\svc'   # host:port, inline key=value vars
//!
//! [web:vars]                        # group variables
//! ansible_winrm_transport=ntlm
//!
//! [iis:children]                    # child groups
//! web
//! ```
//!
//! As in Ansible: host lines are split like a POSIX shell (`shlex`, `#` starts a comment, so
//! quote values that contain one); inline values that are Python string literals are unquoted
//! (`'a b'`, `"x\\y"`); in `[group:vars]` the rest of the line after `=` is the value, a quoted
//! one is unquoted, and a ` #` outside quotes starts a comment. `[g:vars]` and `[p:children]`
//! naming a group that no `[g]` or `[g:children]` section declares are errors, as in Ansible.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::ansible::{expand_host_pattern, Model, Var};
use super::groups::{ALL, UNGROUPED};
use super::{Format, Inventory, InventoryError};

#[derive(Clone, Copy, PartialEq)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// Parses Ansible INI `text`; `path` is named in errors.
pub fn parse(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    let err = |line: usize, message: String| InventoryError::Syntax {
        path: path.into(),
        line: Some(line),
        message,
    };
    let mut model = Model::new();
    let mut declared: HashSet<String> = [ALL, UNGROUPED].iter().map(|s| s.to_string()).collect();
    // (group, line) of `[g:vars]`, and (child, parent, line) of children, checked at the end.
    let mut vars_sections: Vec<(String, usize)> = Vec::new();
    let mut children: Vec<(String, String, usize)> = Vec::new();

    let mut group = UNGROUPED.to_string();
    let mut gid = model.group(UNGROUPED);
    let mut state = State::Hosts;

    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && !looks_like_host_range(line) {
            let (name, kind) = section(line).map_err(|m| err(n, m))?;
            state = match kind {
                None => State::Hosts,
                Some("children") => State::Children,
                Some("vars") => State::Vars,
                Some(other) => {
                    return Err(err(
                        n,
                        format!("section [{name}:{other}] has unknown type {other:?} (expected children or vars)"),
                    ))
                }
            };
            if state == State::Vars {
                vars_sections.push((name.to_string(), n));
            } else {
                declared.insert(name.to_string());
            }
            group = name.to_string();
            gid = model.group(name);
            continue;
        }
        match state {
            State::Hosts => {
                let tokens = shlex_split(line)
                    .map_err(|m| err(n, format!("cannot split host line: {m}")))?;
                let Some((pattern, assignments)) = tokens.split_first() else {
                    continue; // only a comment after whitespace
                };
                let (names, port) = expand_host_pattern(pattern).map_err(|m| err(n, m))?;
                let mut vars = Vec::new();
                for t in assignments {
                    let (k, v) = t.split_once('=').ok_or_else(|| {
                        err(
                            n,
                            format!(
                                "expected key=value host variable after the host name, got {t:?}"
                            ),
                        )
                    })?;
                    if k.is_empty() {
                        return Err(err(n, format!("empty variable name in {t:?}")));
                    }
                    vars.push((k.to_string(), python_str(v)));
                }
                for name in names {
                    let h = model.host(&name, Some(n));
                    model.add_to_group(h, gid);
                    if let Some(p) = port {
                        model.set_host_var(h, "ansible_port", var(p.to_string(), n));
                    }
                    for (k, v) in &vars {
                        model.set_host_var(h, k, var(v.clone(), n));
                    }
                }
            }
            State::Children => {
                let child = strip_comment(line);
                if child.is_empty()
                    || child
                        .contains(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | ':' | '='))
                {
                    return Err(err(
                        n,
                        format!("expected a child group name in [{group}:children], got {line:?}"),
                    ));
                }
                let c = model.group(child);
                model.tree.add_child(gid, c);
                children.push((child.to_string(), group.clone(), n));
            }
            State::Vars => {
                let (k, v) = line.split_once('=').ok_or_else(|| {
                    err(
                        n,
                        format!("expected key=value in [{group}:vars], got {line:?}"),
                    )
                })?;
                let k = k.trim();
                if k.is_empty() || k.contains(char::is_whitespace) {
                    return Err(err(n, format!("invalid variable name {k:?}")));
                }
                model.set_group_var(gid, k, var(vars_value(v.trim()), n));
            }
        }
    }

    if let Some((g, n)) = vars_sections.iter().find(|(g, _)| !declared.contains(g)) {
        return Err(err(
            *n,
            format!("section [{g}:vars] is for group {g:?}, which no [{g}] or [{g}:children] section declares"),
        ));
    }
    if let Some((c, p, n)) = children.iter().find(|(c, _, _)| !declared.contains(c)) {
        return Err(err(
            *n,
            format!("section [{p}:children] includes group {c:?}, which no [{c}] or [{c}:children] section declares"),
        ));
    }
    // group_vars/ and host_vars/ beside the inventory override what the inventory sets.
    super::vars_dirs::VarsDirs::beside(path)?.apply(&mut model);
    model.finish(path, text, Format::AnsibleIni, None)
}

fn var(s: String, line: usize) -> Var {
    Var {
        value: Value::String(s),
        line: Some(line),
        file: None,
    }
}

/// `[web01:03]`-style lines are host ranges at the start of a host line, not sections: a
/// section name cannot contain a range.
fn looks_like_host_range(line: &str) -> bool {
    match line.find(']') {
        Some(close) => {
            let after = line[close + 1..].trim_start();
            !(after.is_empty() || after.starts_with('#') || after.starts_with(';'))
        }
        None => false,
    }
}

/// `[name]` or `[name:kind]`, optionally followed by a comment.
fn section(line: &str) -> Result<(&str, Option<&str>), String> {
    let bad = || {
        format!(
            "invalid section header {line:?}: expected [group], [group:children] or \
             [group:vars] with no spaces"
        )
    };
    let inner = line
        .strip_prefix('[')
        .and_then(|l| l.split_once(']'))
        .map(|(inner, _)| inner)
        .ok_or_else(bad)?;
    let (name, kind) = match inner.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (inner, None),
    };
    let invalid = |s: &str| s.is_empty() || s.contains(|c: char| c.is_whitespace() || c == '[');
    if invalid(name) || kind.is_some_and(invalid) {
        return Err(bad());
    }
    Ok((name, kind))
}

fn strip_comment(line: &str) -> &str {
    let cut = line
        .char_indices()
        .find(|&(i, c)| {
            matches!(c, '#' | ';') && (i == 0 || line[..i].ends_with(char::is_whitespace))
        })
        .map_or(line.len(), |(i, _)| i);
    line[..cut].trim()
}

/// A `[group:vars]` value: a quoted Python string is unquoted (anything after it must be a
/// comment); otherwise the text up to a ` #` comment.
fn vars_value(v: &str) -> String {
    if v.starts_with(['\'', '"']) {
        if let Some(end) = closing_quote(v) {
            let rest = v[end + 1..].trim_start();
            if rest.is_empty() || rest.starts_with('#') {
                return python_str(&v[..=end]);
            }
        }
    }
    let cut = v
        .char_indices()
        .find(|&(i, c)| c == '#' && i > 0 && v[..i].ends_with(char::is_whitespace))
        .map_or(v.len(), |(i, _)| i);
    v[..cut].trim_end().to_string()
}

/// Byte index of the quote closing the string literal that starts `v`.
fn closing_quote(v: &str) -> Option<usize> {
    let q = v.chars().next()?;
    let mut escaped = false;
    for (i, c) in v.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            c if c == q => return Some(i),
            _ => {}
        }
    }
    None
}

/// What Ansible's `ast.literal_eval` makes of a string value: a quoted Python string literal
/// is unquoted and unescaped; anything else stays as written (numbers and booleans are read
/// from their text later).
fn python_str(v: &str) -> String {
    if !v.starts_with(['\'', '"']) || v.len() < 2 || closing_quote(v) != Some(v.len() - 1) {
        return v.to_string();
    }
    let body = &v[1..v.len() - 1];
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 2 => out.push(ch),
                    _ => {
                        out.push_str("\\x");
                        out.push_str(&hex);
                    }
                }
            }
            // Python keeps unknown escapes as written: 'CONTOSO\svc' stays CONTOSO\svc.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a host line like Python's `shlex.split(line, comments=True)` (POSIX mode).
fn shlex_split(line: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut in_token = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_token {
                    tokens.push(std::mem::take(&mut cur));
                    in_token = false;
                }
            }
            '#' => break,
            '\\' => {
                cur.push(
                    chars
                        .next()
                        .ok_or("no character after the final backslash")?,
                );
                in_token = true;
            }
            '\'' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_token = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\')) => cur.push(x),
                            Some(x) => {
                                cur.push('\\');
                                cur.push(x);
                            }
                            None => return Err("no closing quotation".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("no closing quotation".into()),
                    }
                }
            }
            c => {
                cur.push(c);
                in_token = true;
            }
        }
    }
    if in_token {
        tokens.push(cur);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_like_python() {
        assert_eq!(
            shlex_split(r#"web01 a=1 b="x y" c='p#q' d=e#comment"#).unwrap(),
            ["web01", "a=1", "b=x y", "c=p#q", "d=e"]
        );
        assert_eq!(
            shlex_split(r"h u=CONTOSO\\svc").unwrap(),
            ["h", r"u=CONTOSO\svc"]
        );
        assert_eq!(shlex_split(r#"h u="C\d\"""#).unwrap(), ["h", r#"u=C\d""#]);
        assert!(shlex_split("h a='x").is_err());
    }

    #[test]
    fn python_literals() {
        assert_eq!(python_str("'03#pa33'"), "03#pa33");
        assert_eq!(python_str(r"'CONTOSO\svc'"), r"CONTOSO\svc");
        assert_eq!(python_str(r#""a\\b""#), r"a\b");
        assert_eq!(python_str("plain"), "plain");
        assert_eq!(python_str("'unbalanced"), "'unbalanced");
    }

    #[test]
    fn vars_values() {
        assert_eq!(vars_value("8080 # all members"), "8080");
        assert_eq!(vars_value("'a # b'  # c"), "a # b");
        assert_eq!(vars_value(r"CONTOSO\svc"), r"CONTOSO\svc");
        assert_eq!(vars_value("a#b"), "a#b");
    }

    #[test]
    fn section_headers() {
        assert_eq!(section("[web]").unwrap(), ("web", None));
        assert_eq!(
            section("[web:children] # x").unwrap(),
            ("web", Some("children"))
        );
        assert!(section("[web servers]").is_err());
        assert!(section("[web").is_err());
        assert!(looks_like_host_range("[a:c]host ansible_port=1"));
        assert!(!looks_like_host_range("[web] ; comment"));
    }
}
