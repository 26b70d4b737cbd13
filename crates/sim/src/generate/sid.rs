//! SIDs the generator needs: well-known principals, app-pool virtual accounts, domain and
//! machine accounts.

use std::fmt::Write as _;

use sha1::{Digest, Sha1};

/// IUSR (`NT AUTHORITY\IUSR`).
pub const IUSR: &str = "S-1-5-17";
/// `BUILTIN\IIS_IUSRS` (SDDL alias `IS`).
pub const IIS_IUSRS: &str = "S-1-5-32-568";
/// Everyone (`WD`).
pub const EVERYONE: &str = "S-1-1-0";
/// Authenticated Users (`AU`).
pub const AUTHENTICATED_USERS: &str = "S-1-5-11";
/// `BUILTIN\Users` (`BU`).
pub const USERS: &str = "S-1-5-32-545";
/// `BUILTIN\Administrators` (`BA`).
pub const ADMINISTRATORS: &str = "S-1-5-32-544";
/// LocalSystem (`SY`).
pub const LOCAL_SYSTEM: &str = "S-1-5-18";
/// NetworkService (`NS`).
pub const NETWORK_SERVICE: &str = "S-1-5-20";
/// `NT AUTHORITY\SERVICE`.
pub const SERVICE: &str = "S-1-5-6";
/// `NT AUTHORITY\BATCH`.
pub const BATCH: &str = "S-1-5-3";
/// `NT AUTHORITY\This Organization`.
pub const THIS_ORGANIZATION: &str = "S-1-5-15";
/// `LOCAL`.
pub const LOCAL: &str = "S-1-2-0";
/// `CONSOLE LOGON`.
pub const CONSOLE_LOGON: &str = "S-1-2-1";
/// `IIS APPPOOL` authority group present in every pool token.
pub const APPPOOL_GROUP: &str = "S-1-5-82-0";
/// `NT SERVICE\TrustedInstaller`.
pub const TRUSTED_INSTALLER: &str =
    "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

/// The CONTOSO domain SID shared by every domain-joined host of every generated fleet.
pub const DOMAIN_SID: &str = "S-1-5-21-1409823152-2712386425-3168531029";

/// `IIS APPPOOL\<pool>`: `S-1-5-82-` + SHA-1 of the lower-cased UTF-16LE pool name read as five
/// little-endian u32 values.
pub fn app_pool_sid(pool: &str) -> String {
    let mut hasher = Sha1::new();
    for unit in pool.to_lowercase().encode_utf16() {
        hasher.update(unit.to_le_bytes());
    }
    let digest = hasher.finalize();
    let mut sid = String::from("S-1-5-82");
    for chunk in digest.chunks_exact(4) {
        let value = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let _ = write!(sid, "-{value}");
    }
    sid
}

/// A stable relative id for a domain account name (same name → same RID on every host).
pub fn domain_rid(account: &str) -> u32 {
    let digest = Sha1::digest(account.to_lowercase().as_bytes());
    let n = u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]);
    1_100 + n % 900_000
}

/// SID of a domain account `CONTOSO\name`.
pub fn domain_account_sid(account: &str) -> String {
    format!("{DOMAIN_SID}-{}", domain_rid(account))
}

/// SID of the CONTOSO `Domain Users` group.
pub fn domain_users_sid() -> String {
    format!("{DOMAIN_SID}-513")
}

/// Token groups of a pool running as ApplicationPoolIdentity (observed `whoami /all`).
pub fn pool_identity_groups() -> Vec<String> {
    [
        EVERYONE,
        USERS,
        SERVICE,
        CONSOLE_LOGON,
        AUTHENTICATED_USERS,
        THIS_ORGANIZATION,
        IIS_IUSRS,
        LOCAL,
        APPPOOL_GROUP,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Token groups of IUSR.
pub fn iusr_groups() -> Vec<String> {
    [EVERYONE, USERS, AUTHENTICATED_USERS]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_sids_match_published_values() {
        assert_eq!(
            app_pool_sid("DefaultAppPool"),
            "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415"
        );
        assert_eq!(
            app_pool_sid(".NET v4.5"),
            "S-1-5-82-271721585-897601226-2024613209-625570482-296978595"
        );
        assert_eq!(
            app_pool_sid(".NET v4.5 Classic"),
            "S-1-5-82-3876422241-1344743610-1729199087-774402673-2621913236"
        );
        // Case-insensitive by construction.
        assert_eq!(
            app_pool_sid("defaultapppool"),
            app_pool_sid("DEFAULTAPPPOOL")
        );
    }

    #[test]
    fn domain_rids_are_stable() {
        assert_eq!(
            domain_rid("CONTOSO\\svc-web"),
            domain_rid("contoso\\SVC-WEB")
        );
        assert!(domain_account_sid("CONTOSO\\svc-web").starts_with(DOMAIN_SID));
    }
}
