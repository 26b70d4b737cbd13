//! What the commands print to a terminal: host-supplied text may hold escape sequences (a site
//! named `\x1b]0;…\x07` retitles the window, `\x1b[2J` clears it), carriage returns that
//! overwrite a line, and bidi or zero-width characters that make one name look like another.
//! Everything printed goes through [`terminal_safe`] first.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: what a reader cannot see
/// ([`crate::text::is_invisible`]) and the carriage return, which overwrites the line.
pub fn is_hidden(c: char) -> bool {
    crate::text::is_invisible(c) || c == '\r'
}

/// `text` with every hidden character shown: as `\uXXXX` when the text is JSON (where it only
/// occurs inside strings, so the JSON stays valid and means the same), as `⟦U+XXXX⟧` otherwise
/// (the HTML report's marks). Text without such characters is returned as it is.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    // Printable ASCII, tab and line feed are never hidden: most output is only that, and a byte
    // test is far cheaper than decoding characters (a 200,000-host listing is 30 MB).
    let plain = |b: &u8| matches!(b, b' '..=b'~' | b'\t' | b'\n');
    let first_other = text.bytes().position(|b| !plain(&b)).unwrap_or(text.len());
    if !text[first_other..].chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_hidden(c) {
            out.push(c);
        } else if json {
            // Outside the BMP none is hidden, so one \u escape always suffices.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push_str(&crate::text::mark(c));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_shown_not_sent() {
        let t = terminal_safe("site \u{1b}]0;pwned\u{7}x\r\u{9b}2J \u{202e}txt.exe\n");
        assert!(
            !t.contains(['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}']),
            "{t}"
        );
        assert!(t.contains("\u{27e6}U+001B\u{27e7}") && t.ends_with('\n'));
    }

    #[test]
    fn json_stays_json_with_the_same_meaning() {
        let v = serde_json::json!({"site": "a\u{9b}b\u{202e}c"});
        let text = serde_json::to_string(&v).unwrap();
        let safe = terminal_safe(&text);
        assert!(!safe.contains(['\u{9b}', '\u{202e}']));
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}
