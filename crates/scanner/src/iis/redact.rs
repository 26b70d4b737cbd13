//! Secrets are hidden as configuration text is read ([`super::xml`]), so no report, `config`
//! output or log can print them: the same kinds the collector hides on the host, for files that
//! did not come through it (a bare web.config, an old snapshot). Empty, encrypted
//! (`[enc:…:enc]`) and `AutoGenerate` values are kept: the rules and the reader need to tell
//! "no password" and "encrypted" from plain text.

/// What replaces a plain-text secret.
pub const REDACTED: &str = "[plaintext:redacted]";

/// Attribute names whose whole value is a secret (compared case-insensitively).
const SECRET_ATTRIBUTES: &[&str] = &["password", "validationkey", "decryptionkey"];

/// Parts of an appSettings-style key that mark its `value` as a secret.
const SECRET_KEY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "apikey",
    "api_key",
    "api-key",
    "token",
    "credential",
    "privatekey",
    "private_key",
    "sas",
    "accountkey",
];

fn keep(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || (v.starts_with("[enc:") && v.ends_with(":enc]"))
        || v.eq_ignore_ascii_case("AutoGenerate")
        || v.starts_with("AutoGenerate,")
        || v == REDACTED
}

/// Whether [`redact_text`] could change `text`: a `password`/`pwd` key or a URI with user
/// information. Cheap (no allocation), for the parser's path over every attribute.
pub fn may_hold_secret(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Both words start with a 'p': look only where one does.
    let word_at = |i: usize| {
        let rest = &bytes[i..];
        [&b"pwd"[..], b"password"]
            .iter()
            .any(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w))
    };
    bytes
        .iter()
        .enumerate()
        .any(|(i, b)| (*b | 0x20) == b'p' && word_at(i))
        || (text.contains("://") && text.contains('@'))
}

/// Hides the secrets inside a connection string or URI: `Password=…`, `Pwd=…`,
/// `Jet OLEDB:Database Password=…` (quoted values with `;` inside included), and
/// `scheme://user:password@host`.
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // One `key=value` pair (or a piece without '='), up to the ';' that ends it.
        let Some(eq) = rest.find('=').filter(|eq| !rest[..*eq].contains(';')) else {
            let end = rest.find(';').map_or(rest.len(), |i| i + 1);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        };
        let key = &rest[..eq];
        let after = &rest[eq + 1..];
        let lead = after.len() - after.trim_start().len();
        let value_len = match after.trim_start().chars().next() {
            Some(q @ ('"' | '\'')) => {
                // Quoted: up to the closing quote (a doubled quote is part of the value).
                let body = &after[lead + 1..];
                let mut i = 0;
                let bytes = body.as_bytes();
                let q = q as u8;
                loop {
                    match bytes.get(i) {
                        None => break lead + 1 + i,
                        Some(b) if *b == q && bytes.get(i + 1) == Some(&q) => i += 2,
                        Some(b) if *b == q => break lead + 1 + i + 1,
                        Some(_) => i += 1,
                    }
                }
            }
            _ => after.find(';').unwrap_or(after.len()),
        };
        let value = &after[..value_len];
        out.push_str(key);
        out.push('=');
        if is_password_key(key) && !keep(unquote(value)) {
            match value.trim_start().chars().next() {
                Some(q @ ('"' | '\'')) => {
                    out.push(q);
                    out.push_str(REDACTED);
                    out.push(q);
                }
                _ => out.push_str(REDACTED),
            }
        } else {
            out.push_str(value);
        }
        rest = &after[value_len..];
        if let Some(r) = rest.strip_prefix(';') {
            out.push(';');
            rest = r;
        }
    }
    redact_uri_passwords(&out)
}

fn unquote(v: &str) -> &str {
    v.trim().trim_matches(|c| c == '"' || c == '\'')
}

fn is_password_key(key: &str) -> bool {
    let k = key.trim().to_ascii_lowercase();
    k == "password" || k == "pwd" || k.ends_with(" password") || k.ends_with(":password")
}

/// `scheme://user:secret@host` → `scheme://user:[redacted]@host`.
fn redact_uri_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match (authority.rfind('@'), authority.find(':')) {
            (Some(atsign), Some(colon))
                if colon < atsign && !keep(&authority[colon + 1..atsign]) =>
            {
                out.push_str(&authority[..colon + 1]);
                out.push_str(REDACTED);
                out.push_str(&authority[atsign..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// Whether an attribute holds nothing but a secret: `password`, machineKey's `validationKey`
/// and `decryptionKey`.
pub fn is_secret_attribute(name: &str) -> bool {
    let n = name.as_bytes();
    SECRET_ATTRIBUTES
        .iter()
        .any(|s| n.len() >= s.len() && n[n.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes()))
}

/// Whether an appSettings-style `key` names a secret, making its `value` one.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    SECRET_KEY_WORDS.iter().any(|w| k.contains(w))
}

/// Whether a whole-secret value is worth hiding (not empty, encrypted or `AutoGenerate`).
pub fn is_plain_secret(value: &str) -> bool {
    !keep(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_strings_and_uris() {
        let cases = [
            ("Server=db;User Id=app;Password=Hunter2;", "Server=db;User Id=app;Password=[plaintext:redacted];"),
            ("Data Source=x;pwd='p;w'", "Data Source=x;pwd='[plaintext:redacted]'"),
            (
                "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=a.mdb;Jet OLEDB:Database Password=S3cr3t",
                "Provider=Microsoft.Jet.OLEDB.4.0;Data Source=a.mdb;Jet OLEDB:Database Password=[plaintext:redacted]",
            ),
            ("amqp://svc:Sup3r@mq.local:5672/vhost", "amqp://svc:[plaintext:redacted]@mq.local:5672/vhost"),
            ("Password=\"\"", "Password=\"\""),
            ("Password=[enc:AesProvider:abc:enc]", "Password=[enc:AesProvider:abc:enc]"),
            ("https://example.test/path?q=1", "https://example.test/path?q=1"),
        ];
        for (input, want) in cases {
            let got = redact_text(input);
            assert_eq!(got, want, "{input}");
            // The parser's cheap pre-check never skips a value that holds a secret.
            assert!(got == input || may_hold_secret(input), "{input}");
        }
    }
}
