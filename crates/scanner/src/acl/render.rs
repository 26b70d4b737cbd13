//! Human-readable rendering for evidence text: friendly names of SIDs and `icacls`-style ACEs
//! (`BUILTIN\Users:(OI)(CI)(RX)`, MS-ICACLS).

use super::identity::app_pool_name;
use super::sddl::{mask, Ace, Trustee};
use super::sid::{relative_name, well_known_name, Sid};

/// A display name for a SID: the well-known English name, `IIS APPPOOL\<pool>` when it is the
/// SID of one of `pool_names`, otherwise the SID string.
pub fn display_sid<S: AsRef<str>>(sid: &Sid, pool_names: &[S]) -> String {
    if let Some(n) = well_known_name(sid) {
        return n.to_string();
    }
    if let Some(n) = app_pool_name(sid, pool_names) {
        return n;
    }
    sid.to_string()
}

/// A display name for an ACE trustee (see [`display_sid`]).
pub fn display_trustee<S: AsRef<str>>(t: &Trustee, pool_names: &[S]) -> String {
    match t {
        Trustee::Sid(s) => display_sid(s, pool_names),
        Trustee::Relative { scope, rid } => relative_name(*scope, *rid),
    }
}

/// icacls simple rights, largest first.
pub(super) const SIMPLE: &[(&str, u32)] = &[
    ("F", mask::FILE_ALL_ACCESS),
    ("M", mask::MODIFY),
    ("RX", mask::READ_EXECUTE),
    ("R", mask::FILE_GENERIC_READ),
];

/// icacls `W` (write-only): FILE_GENERIC_WRITE without READ_CONTROL.
pub(super) const WRITE: u32 = 0x100116;

/// The data bits of `W`: WRITE_DATA, APPEND_DATA, WRITE_EA, WRITE_ATTRIBUTES.
const WRITE_DATA_BITS: u32 = 0x116;

/// icacls specific rights.
pub(super) const SPECIFIC: &[(&str, u32)] = &[
    ("GR", mask::GENERIC_READ),
    ("GW", mask::GENERIC_WRITE),
    ("GE", mask::GENERIC_EXECUTE),
    ("GA", mask::GENERIC_ALL),
    ("D", mask::DELETE),
    ("RC", mask::READ_CONTROL),
    ("WDAC", mask::WRITE_DAC),
    ("WO", mask::WRITE_OWNER),
    ("S", mask::SYNCHRONIZE),
    ("AS", mask::ACCESS_SYSTEM_SECURITY),
    ("MA", mask::MAXIMUM_ALLOWED),
    ("RD", 0x1),
    ("WD", 0x2),
    ("AD", 0x4),
    ("REA", 0x8),
    ("WEA", 0x10),
    ("X", 0x20),
    ("DC", 0x40),
    ("RA", 0x80),
    ("WA", 0x100),
];

/// The rights part of an icacls line: `F`, `RX`, `(RX,W)`-style combinations, generic and
/// specific rights (`GR,GE`), or `N` for an empty mask.
pub fn icacls_rights(m: u32) -> String {
    if m == 0 {
        return "N".to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    let mut rest = m;
    if let Some((code, v)) = SIMPLE.iter().find(|(_, v)| m & v == *v) {
        parts.push(code);
        rest &= !v;
    }
    // `W` on its own or next to R/RX; Modify and Full already contain it.
    if rest & WRITE_DATA_BITS == WRITE_DATA_BITS {
        parts.push("W");
        rest &= !WRITE;
    }
    for (code, v) in SPECIFIC {
        if rest & v != 0 {
            parts.push(code);
            rest &= !v;
        }
    }
    if rest != 0 {
        return format!("{},0x{rest:x}", parts.join(","));
    }
    parts.join(",")
}

/// Renders an ACE like `icacls` does: `BUILTIN\Users:(I)(OI)(CI)(RX)`; deny ACEs carry
/// `(DENY)`; other ACE types are prefixed with their SDDL type (`[OA]`). Pool SIDs are named
/// through `pool_names`.
pub fn icacls_ace<S: AsRef<str>>(ace: &Ace, pool_names: &[S]) -> String {
    let mut out = display_trustee(&ace.trustee, pool_names);
    out.push(':');
    let t = ace.ace_type;
    if !(t == super::sddl::AceType::Allow || t == super::sddl::AceType::Deny) {
        out.push_str(&format!("[{}]", t.code()));
    }
    if t.is_deny() {
        out.push_str("(DENY)");
    }
    let f = ace.flags;
    for (on, code) in [
        (f.inherited(), "(I)"),
        (f.object_inherit(), "(OI)"),
        (f.container_inherit(), "(CI)"),
        (f.inherit_only(), "(IO)"),
        (f.no_propagate(), "(NP)"),
    ] {
        if on {
            out.push_str(code);
        }
    }
    out.push('(');
    out.push_str(&icacls_rights(ace.mask));
    out.push(')');
    out
}
