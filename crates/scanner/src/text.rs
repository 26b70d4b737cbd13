//! Text files as Windows writes them: UTF-8 with or without a byte order mark, or UTF-16 (LE or
//! BE) with one, or UTF-16LE without — what Notepad, `icacls /save`, `reg export`, `wevtutil` and PowerShell's `>` produce. One
//! decoder for every reader of host files (inputs, offline bundles, exported event logs).

/// Decodes a text file: UTF-8 (with or without BOM), UTF-16 with a BOM, or UTF-16LE without one
/// when the text starts with an ASCII character.
pub fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|e| format!("invalid UTF-8: {e}"));
    }
    let utf16 = |rest: &[u8], le: bool| -> Result<String, String> {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|e| format!("invalid UTF-16: {e}"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    // No BOM but a NUL after an ASCII first character: UTF-16LE as `icacls /save` writes it.
    if bytes.len().is_multiple_of(2) && bytes.len() >= 2 && bytes[0] != 0 && bytes[1] == 0 {
        return utf16(bytes, true);
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| format!("invalid UTF-8: {e}"))
}

/// Characters a reader cannot see, or that change how what follows looks: C0 controls other
/// than tab, line feed and carriage return, DEL and C1 controls (`\u{9b}` is an 8-bit CSI),
/// the soft hyphen, bidi controls, zero-width and other invisible format characters, and the
/// line and paragraph separators. The HTML page's script keeps the same list (`HIDDEN`).
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f | 0x7f..=0x9f | 0xad | 0x61c | 0x115f | 0x1160
        | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f
        | 0xfeff | 0xfff9..=0xfffb)
}

/// `c` as the visible mark reports use: `⟦U+202E⟧`.
pub fn mark(c: char) -> String {
    format!("\u{27e6}U+{:04X}\u{27e7}", c as u32)
}

/// `text` with every character `hide` picks shown as its [`mark`].
pub fn marked(text: &str, hide: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if hide(c) {
            out.push_str(&mark(c));
        } else {
            out.push(c);
        }
    }
    out
}
