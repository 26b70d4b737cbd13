//! What the commands print to a terminal: host-supplied text may hold escape sequences (a site
//! named `\x1b]0;…\x07` retitles the window, `\x1b[2J` clears it), carriage returns that
//! overwrite a line, and bidi or zero-width characters that make one name look like another.
//! Everything printed goes through [`terminal_safe`] first.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: control characters other than newline and
/// tab (C0, DEL, C1 — `\u{9b}` is an 8-bit CSI), bidi controls, zero-width and invisible
/// characters, and the line and paragraph separators.
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c as u32,
            0xad | 0x61c | 0x115f | 0x1160 | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
            | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb)
}

/// `text` with every hidden character shown: as `\uXXXX` when the text is JSON (where it only
/// occurs inside strings, so the JSON stays valid and means the same), as `⟦U+XXXX⟧` otherwise
/// (the HTML report's marks). Text without such characters is returned as it is.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
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
            out.push_str(&format!("\u{27e6}U+{:04X}\u{27e7}", c as u32));
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
