//! `%VAR%` expansion from the host facts (`host.env`).

use std::collections::BTreeMap;

/// Environment variables of one host (names compared case-insensitively).
#[derive(Debug, Clone, Default)]
pub(crate) struct Env {
    vars: Vec<(String, String)>,
}

/// Fallbacks used when the host facts lack a variable (reported as an assumption).
const FALLBACKS: &[(&str, &str)] = &[
    ("systemdrive", "C:"),
    ("systemroot", "C:\\Windows"),
    ("windir", "C:\\Windows"),
];

impl Env {
    pub fn new(env: &BTreeMap<String, String>) -> Self {
        Env {
            vars: env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        }
    }

    /// Expands `%NAME%` references. Returns the text and notes about assumptions
    /// (fallback values, unknown variables left as written).
    pub fn expand(&self, s: &str) -> (String, Vec<String>) {
        let mut notes = Vec::new();
        if !s.contains('%') {
            return (s.to_string(), notes);
        }
        let mut out = String::with_capacity(s.len() + 16);
        let mut rest = s;
        while let Some(start) = rest.find('%') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            match after.find('%') {
                Some(end) if end > 0 => {
                    let name = &after[..end];
                    let found = self
                        .vars
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v);
                    if let Some(v) = found {
                        out.push_str(v);
                    } else if let Some((_, fb)) =
                        FALLBACKS.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))
                    {
                        out.push_str(fb);
                        notes.push(format!("%{name}% not in the host facts; assumed \"{fb}\""));
                    } else {
                        out.push('%');
                        out.push_str(name);
                        out.push('%');
                        notes.push(format!("%{name}% not in the host facts; left unexpanded"));
                    }
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('%');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        (out, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_and_notes() {
        let mut m = BTreeMap::new();
        m.insert("SystemDrive".to_string(), "D:".to_string());
        let e = Env::new(&m);
        assert_eq!(
            e.expand("%SYSTEMDRIVE%\\inetpub\\wwwroot"),
            ("D:\\inetpub\\wwwroot".to_string(), vec![])
        );
        let (s, notes) = e.expand("%windir%\\x\\%FOO%\\100%");
        assert_eq!(s, "C:\\Windows\\x\\%FOO%\\100%");
        assert_eq!(notes.len(), 2);
    }
}
