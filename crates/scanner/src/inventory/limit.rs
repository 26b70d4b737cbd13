//! `--limit PATTERN`: the subset of Ansible's host patterns that selects hosts.
//!
//! - `all` or `*`: every host;
//! - a host or group name: `web01`, `web` (a group includes the hosts of its child groups);
//! - a glob over host and group names: `web*`, `web0?`, `db-[ab]*`;
//! - a regular expression after `~`, matched from the start of the name: `~^web\d+`;
//! - a subscript of what a term matched, in inventory order: `web[0]`, `web[-1]`, `web[0:9]`
//!   (inclusive, as in Ansible);
//! - terms joined by `,` (or `:` when there is no comma): `a,b` is the union, `a,&b` the
//!   intersection, `a,!b` the exclusion.
//!
//! As in Ansible the order of terms does not matter: unions are taken first, then
//! intersections, then exclusions; a pattern of only `&`/`!` terms starts from `all`. A term
//! that matches nothing is warned about and ignored; a pattern that selects nothing is an
//! error. The selected hosts come back in inventory order.

use std::collections::HashSet;

use regex::Regex;

use super::{Inventory, Target};

/// Why a `--limit` pattern cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("--limit {pattern:?}: {message}")]
    Invalid { pattern: String, message: String },
    #[error("--limit {pattern:?} selects no hosts in {inventory}")]
    NoHosts { pattern: String, inventory: String },
}

/// The targets of `inv` that `pattern` selects, in inventory order.
pub fn apply_limit(inv: &Inventory, pattern: &str) -> Result<Vec<Target>, LimitError> {
    let invalid = |message: String| LimitError::Invalid {
        pattern: pattern.to_string(),
        message,
    };
    let terms = split(pattern);
    if terms.is_empty() {
        return Err(invalid("the pattern is empty".into()));
    }
    let mut regular: Vec<&str> = Vec::new();
    let mut intersect: Vec<&str> = Vec::new();
    let mut exclude: Vec<&str> = Vec::new();
    for t in &terms {
        if let Some(rest) = t.strip_prefix('&') {
            intersect.push(rest);
        } else if let Some(rest) = t.strip_prefix('!') {
            exclude.push(rest);
        } else {
            regular.push(t);
        }
    }
    if regular.is_empty() {
        regular.push("all");
    }

    let n = inv.targets.len();
    let mut selected = vec![false; n];
    for t in regular {
        for i in matches(inv, t).map_err(invalid)? {
            selected[i] = true;
        }
    }
    for t in intersect {
        let keep: HashSet<usize> = matches(inv, t).map_err(invalid)?.into_iter().collect();
        for (i, s) in selected.iter_mut().enumerate() {
            *s &= keep.contains(&i);
        }
    }
    for t in exclude {
        for i in matches(inv, t).map_err(invalid)? {
            selected[i] = false;
        }
    }
    let out: Vec<Target> = inv
        .targets
        .iter()
        .zip(selected)
        .filter(|(_, s)| *s)
        .map(|(t, _)| t.clone())
        .collect();
    if out.is_empty() {
        return Err(LimitError::NoHosts {
            pattern: pattern.to_string(),
            inventory: inv.source.display().to_string(),
        });
    }
    Ok(out)
}

/// Splits on `,` when there is one, else on `:` outside brackets (so `web[0:3]` stays whole)
/// unless the whole pattern is an IP address.
fn split(pattern: &str) -> Vec<String> {
    let pattern = pattern.trim();
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if pattern.parse::<std::net::IpAddr>().is_ok() {
        vec![pattern.to_string()]
    } else {
        let mut parts = vec![String::new()];
        let mut depth = 0;
        for c in pattern.chars() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ':' if depth <= 0 => {
                    parts.push(String::new());
                    continue;
                }
                _ => {}
            }
            parts.last_mut().expect("never empty").push(c);
        }
        parts
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Indexes of the targets one term matches, in the order Ansible lists them (hosts of the
/// matching groups, then matching host names); a subscript picks from that list.
fn matches(inv: &Inventory, term: &str) -> Result<Vec<usize>, String> {
    if term.starts_with('@') {
        return Err(
            "limit files (@FILE) are not supported; list the hosts, separated by commas".into(),
        );
    }
    if let Some(i) = inv.targets.iter().position(|t| t.name == term) {
        return Ok(vec![i]);
    }
    if term == "all" || term == "*" {
        return Ok((0..inv.targets.len()).collect());
    }
    let (expr, subscript) = split_subscript(term)?;
    let re = if let Some(rx) = expr.strip_prefix('~') {
        Regex::new(&format!("^(?:{rx})")).map_err(|e| format!("invalid regex {rx:?}: {e}"))?
    } else {
        Regex::new(&glob_to_regex(expr)).map_err(|e| format!("invalid pattern {expr:?}: {e}"))?
    };

    let mut out = Vec::new();
    let mut seen = vec![false; inv.targets.len()];
    let mut push = |i: usize, out: &mut Vec<usize>| {
        if !std::mem::replace(&mut seen[i], true) {
            out.push(i);
        }
    };
    let groups: Vec<&String> = inv.groups.iter().filter(|g| re.is_match(g)).collect();
    for g in &groups {
        for (i, t) in inv.targets.iter().enumerate() {
            if t.groups.iter().any(|tg| tg == *g) {
                push(i, &mut out);
            }
        }
    }
    let special = expr.starts_with('~') || expr.contains(['.', '?', '*', '[']);
    if groups.is_empty() || special {
        for (i, t) in inv.targets.iter().enumerate() {
            if re.is_match(&t.name) {
                push(i, &mut out);
            }
        }
    }
    if out.is_empty() {
        let note = match inv.skipped.iter().find(|s| s.name == expr) {
            Some(s) => format!(" (host {} is skipped: {})", s.name, s.reason),
            None => String::new(),
        };
        tracing::warn!("--limit: could not match host pattern {term:?}, ignoring it{note}");
        return Ok(out);
    }
    match subscript {
        None => Ok(out),
        Some((start, end)) => {
            let len = out.len() as i64;
            let start = if start < 0 { len + start } else { start };
            let end = match end {
                Some(e) => e.min(len - 1),
                None => start,
            };
            if start < 0 || start >= len || end < start {
                return Err(format!(
                    "subscript of {expr:?} is out of range ({len} hosts match)"
                ));
            }
            Ok(out[start as usize..=end as usize].to_vec())
        }
    }
}

/// `web[0]`, `web[-1]`, `web[2:5]`, `web[2:]` → (`web`, (start, end)); regexes have none.
#[allow(clippy::type_complexity)]
fn split_subscript(term: &str) -> Result<(&str, Option<(i64, Option<i64>)>), String> {
    if term.starts_with('~') || !term.ends_with(']') {
        return Ok((term, None));
    }
    let Some(open) = term.rfind('[') else {
        return Ok((term, None));
    };
    let (expr, inner) = (&term[..open], &term[open + 1..term.len() - 1]);
    if expr.is_empty() {
        return Ok((term, None));
    }
    let num = |s: &str| s.parse::<i64>().ok();
    if let Some(i) = num(inner) {
        return Ok((expr, Some((i, None))));
    }
    if let Some((a, b)) = inner.split_once(':') {
        if let Some(a) = num(a).filter(|a| *a >= 0) {
            return match b {
                "" => Ok((expr, Some((a, Some(i64::MAX))))),
                _ => match num(b).filter(|b| *b >= 0) {
                    Some(b) => Ok((expr, Some((a, Some(b))))),
                    None => Err(format!("invalid subscript [{inner}]")),
                },
            };
        }
    }
    // Not a subscript: a glob character class such as `web[12]x` or `db-[ab]`.
    Ok((term, None))
}

/// Python's `fnmatch.translate`: `*`, `?`, `[seq]`, `[!seq]`, anchored at both ends.
fn glob_to_regex(glob: &str) -> String {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::from("^(?s:");
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if j < chars.len() && chars[j] == '!' {
                    j += 1;
                }
                if j < chars.len() && chars[j] == ']' {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                } else {
                    let mut class: String = chars[i..j].iter().collect();
                    i = j + 1;
                    class = class.replace('\\', "\\\\");
                    if let Some(rest) = class.strip_prefix('!') {
                        class = format!("^{rest}");
                    } else if class.starts_with('^') {
                        class = format!("\\{class}");
                    }
                    out.push('[');
                    out.push_str(&class.replace('[', "\\["));
                    out.push(']');
                }
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out.push_str(")$");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(split("a:b:&c:!d"), ["a", "b", "&c", "!d"]);
        assert_eq!(split("a, b ,&c"), ["a", "b", "&c"]);
        assert_eq!(split("web[0:2]:db"), ["web[0:2]", "db"]);
        assert_eq!(split("2001:db8::1"), ["2001:db8::1"]);
    }

    #[test]
    fn globs() {
        let m = |g: &str, s: &str| Regex::new(&glob_to_regex(g)).unwrap().is_match(s);
        assert!(m("web*", "web01"));
        assert!(!m("web*", "xweb01"));
        assert!(m("web0?", "web01"));
        assert!(m("db-[ab]", "db-a"));
        assert!(!m("db-[!ab]", "db-a"));
        assert!(m("a.b", "a.b") && !m("a.b", "axb"));
        assert!(m("x[", "x["));
    }

    #[test]
    fn subscripts() {
        assert_eq!(split_subscript("web[0]").unwrap(), ("web", Some((0, None))));
        assert_eq!(
            split_subscript("web[-1]").unwrap(),
            ("web", Some((-1, None)))
        );
        assert_eq!(
            split_subscript("web[1:3]").unwrap(),
            ("web", Some((1, Some(3))))
        );
        assert_eq!(split_subscript("db-[ab]").unwrap(), ("db-[ab]", None));
        assert_eq!(split_subscript("~web[0]").unwrap(), ("~web[0]", None));
    }
}
