//! SDDL strings for content folders, shaped like what `(Get-Acl path).Sddl` returns.

use super::sid::TRUSTED_INSTALLER;

pub const OWNER_TI: &str = "NT SERVICE\\TrustedInstaller";
pub const OWNER_BA: &str = "BUILTIN\\Administrators";

/// One ACE: `(type;flags;rights;;;sid)`.
pub fn ace(kind: &str, flags: &str, rights: &str, sid: &str) -> String {
    format!("({kind};{flags};{rights};;;{sid})")
}

/// The shipped `%SystemDrive%\inetpub\wwwroot` descriptor.
pub fn wwwroot() -> String {
    let ti = TRUSTED_INSTALLER;
    format!(
        "O:{ti}G:{ti}D:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)\
         (A;;0x1200a9;;;IS)(A;OICIIO;GXGR;;;IS)(A;;FA;;;{ti})(A;OICIIO;GA;;;{ti})"
    )
}

/// A folder created below wwwroot: inherited ACEs (plus an optional explicit one).
pub fn wwwroot_child(extra: Option<&str>) -> String {
    let ti = TRUSTED_INSTALLER;
    format!(
        "O:BAG:SYD:AI{}(A;OICIIOID;GA;;;CO)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)\
         (A;OICIID;0x1200a9;;;BU)(A;ID;0x1200a9;;;IS)(A;OICIIOID;GXGR;;;IS)(A;OICIIOID;GA;;;{ti})",
        extra.unwrap_or("")
    )
}

/// A folder created below `C:\inetpub`.
pub fn inetpub_child(extra: Option<&str>) -> String {
    let ti = TRUSTED_INSTALLER;
    format!(
        "O:BAG:SYD:AI{}(A;OICIIOID;GA;;;CO)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)\
         (A;OICIID;0x1200a9;;;BU)(A;OICIIOID;GA;;;{ti})",
        extra.unwrap_or("")
    )
}

/// A folder on a data drive inheriting the drive root's default descriptor.
pub fn data_drive_child(extra: Option<&str>) -> String {
    format!(
        "O:BAG:SYD:AI{}(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIIOID;GA;;;CO)\
         (A;OICIID;0x1200a9;;;BU)(A;CIID;LC;;;BU)(A;CIID;DC;;;BU)",
        extra.unwrap_or("")
    )
}

/// Content on a file share (or a shared data folder): Authenticated Users read, the
/// connect-as account (if any) modify.
pub fn unc(account: Option<&str>, domain: bool) -> String {
    let group = if domain { "DU" } else { "SY" };
    let mut s =
        format!("O:BAG:{group}D:AI(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)(A;OICIID;0x1200a9;;;AU)");
    if let Some(a) = account {
        s.push_str(&ace("A", "OICIID", "0x1301bf", a));
    }
    s
}

/// A protected DACL with explicit ACEs only.
pub fn protected(aces: &[String]) -> String {
    let mut s = String::from("O:BAG:SYD:PAI");
    for a in aces {
        s.push_str(a);
    }
    s
}

/// An auto-inherited DACL with the given (already `ID`-flagged) ACEs.
pub fn inherited(aces: &[String]) -> String {
    let mut s = String::from("O:BAG:SYD:AI");
    for a in aces {
        s.push_str(a);
    }
    s
}

/// The descriptor a new subfolder gets from `parent`: every container-inheritable ACE is
/// copied with the `ID` flag; non-inheritable ACEs are dropped.
pub fn inherit_child(parent: &str) -> String {
    let dacl = match parent.find("D:") {
        Some(i) => &parent[i + 2..],
        None => "",
    };
    let mut out = String::from("O:BAG:SYD:AI");
    for ace_text in dacl.split('(').skip(1) {
        let body = ace_text.trim_end_matches(')');
        let parts: Vec<&str> = body.split(';').collect();
        if parts.len() < 6 {
            continue;
        }
        let flags = parts[1];
        if !flags.contains("CI") && !flags.contains("OI") {
            continue;
        }
        let mut new_flags = flags.replace("ID", "");
        if !new_flags.contains("CI") {
            // Object-inherit only: the subfolder keeps it inherit-only for its files.
            new_flags.push_str("IO");
        }
        new_flags.push_str("ID");
        out.push('(');
        out.push_str(parts[0]);
        out.push(';');
        out.push_str(&new_flags);
        for p in &parts[2..] {
            out.push(';');
            out.push_str(p);
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wwwroot_matches_the_shipped_descriptor() {
        assert_eq!(
            wwwroot(),
            "O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464G:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;;0x1200a9;;;IS)(A;OICIIO;GXGR;;;IS)(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;OICIIO;GA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)"
        );
    }

    #[test]
    fn subfolders_inherit() {
        let child = inherit_child("O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;CO)");
        assert_eq!(child, "O:BAG:SYD:AI(A;OICIID;FA;;;SY)(A;OICIIOID;GA;;;CO)");
        let again = inherit_child(&child);
        assert_eq!(again, child);
    }
}
