//! Security identifiers: the [`Sid`] value type, the well-known SIDs IIS cares about, the SDDL
//! two-letter aliases and friendly names for evidence text.
//!
//! Everything in this engine compares principals by SID, never by name: group and account names
//! are localized (`BUILTIN\Benutzer`, `NT-AUTORITÄT\…`) while SIDs are not.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::{SddlError, SddlErrorKind};

/// Most sub-authorities a SID may have (`SID_MAX_SUB_AUTHORITIES`).
pub const MAX_SUB_AUTHORITIES: usize = 15;

/// Largest identifier authority (48 bits).
pub const MAX_AUTHORITY: u64 = (1 << 48) - 1;

/// A Windows security identifier (revision 1), e.g. `S-1-5-32-545`.
///
/// Fixed-size and `Copy` so that well-known SIDs can be constants. Unused sub-authority slots are
/// always zero, so the derived comparisons are exact.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid {
    authority: u64,
    count: u8,
    subs: [u32; MAX_SUB_AUTHORITIES],
}

impl Sid {
    /// Builds a SID from its identifier authority and sub-authorities; `None` when the authority
    /// exceeds 48 bits or there are more than 15 sub-authorities.
    pub const fn from_parts(authority: u64, sub_authorities: &[u32]) -> Option<Sid> {
        if authority > MAX_AUTHORITY || sub_authorities.len() > MAX_SUB_AUTHORITIES {
            return None;
        }
        let mut subs = [0u32; MAX_SUB_AUTHORITIES];
        let mut i = 0;
        while i < sub_authorities.len() {
            subs[i] = sub_authorities[i];
            i += 1;
        }
        Some(Sid {
            authority,
            count: sub_authorities.len() as u8,
            subs,
        })
    }

    /// The identifier authority (`5` for NT AUTHORITY).
    pub fn authority(&self) -> u64 {
        self.authority
    }

    /// The sub-authorities, in order.
    pub fn sub_authorities(&self) -> &[u32] {
        &self.subs[..self.count as usize]
    }

    /// The last sub-authority (the relative identifier), if any.
    pub fn rid(&self) -> Option<u32> {
        self.sub_authorities().last().copied()
    }

    /// Parses the standard string form `S-1-<authority>-<sub>…` (case-insensitive `S`; the
    /// authority in decimal or `0x` hex).
    pub fn parse(s: &str) -> Result<Sid, SddlError> {
        let bytes = s.as_bytes();
        match parse_sid_at(bytes, 0) {
            Ok((sid, end)) if end == bytes.len() => Ok(sid),
            Ok((_, end)) => Err(SddlError::at(
                s,
                end,
                SddlErrorKind::Expected {
                    expected: "end of SID",
                    found: super::error::describe_at(s, end),
                },
            )),
            Err((pos, kind)) => Err(SddlError::at(s, pos, kind)),
        }
    }

    /// True for a domain or machine account SID `S-1-5-21-a-b-c[-rid]`.
    pub fn is_account_domain(&self) -> bool {
        self.authority == 5 && self.count >= 4 && self.subs[0] == 21
    }

    /// True when this is an application-pool virtual account SID `S-1-5-82-a-b-c-d-e`
    /// (not the `S-1-5-82-0` group).
    pub fn is_app_pool_account(&self) -> bool {
        self.authority == 5 && self.count == 6 && self.subs[0] == 82
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Windows prints authorities that do not fit 32 bits in hex.
        if self.authority >= 1 << 32 {
            write!(f, "S-1-0x{:012X}", self.authority)?;
        } else {
            write!(f, "S-1-{}", self.authority)?;
        }
        for s in self.sub_authorities() {
            write!(f, "-{s}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sid({self})")
    }
}

impl FromStr for Sid {
    type Err = SddlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sid::parse(s)
    }
}

impl Serialize for Sid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Sid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Sid::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Parses a SID string starting at byte `pos`; returns the SID and the byte offset after it, or
/// the byte offset and kind of the first error. Never reads past `bytes`.
pub(crate) fn parse_sid_at(
    bytes: &[u8],
    mut pos: usize,
) -> Result<(Sid, usize), (usize, SddlErrorKind)> {
    let expect = |pos: usize, c: u8, what: &'static str| -> Result<(), (usize, SddlErrorKind)> {
        match bytes.get(pos) {
            Some(b) if b.eq_ignore_ascii_case(&c) => Ok(()),
            _ => Err((pos, SddlErrorKind::BadSid(what))),
        }
    };
    expect(pos, b'S', "expected `S-` at the start of a SID")?;
    pos += 1;
    expect(pos, b'-', "expected `-` after `S`")?;
    pos += 1;
    let (rev, end) = decimal(bytes, pos, u64::from(u8::MAX))
        .map_err(|p| (p, SddlErrorKind::BadSid("expected the revision digits")))?;
    if rev != 1 {
        return Err((pos, SddlErrorKind::BadSid("SID revision must be 1")));
    }
    pos = end;
    expect(pos, b'-', "expected `-` before the identifier authority")?;
    pos += 1;
    let authority;
    if bytes.get(pos) == Some(&b'0') && matches!(bytes.get(pos + 1), Some(b'x') | Some(b'X')) {
        let start = pos + 2;
        let mut end = start;
        let mut value: u64 = 0;
        // At most 12 digits, so that `O:S-1-0x…` followed by `D:` stays unambiguous.
        while let Some(d) = bytes
            .get(end)
            .filter(|_| end - start < 12)
            .and_then(|b| (*b as char).to_digit(16))
        {
            value = value
                .checked_mul(16)
                .and_then(|v| v.checked_add(u64::from(d)))
                .filter(|v| *v <= MAX_AUTHORITY)
                .ok_or((
                    start,
                    SddlErrorKind::BadSid("identifier authority exceeds 48 bits"),
                ))?;
            end += 1;
        }
        if end == start {
            return Err((
                start,
                SddlErrorKind::BadSid("expected hex digits of the identifier authority"),
            ));
        }
        authority = value;
        pos = end;
    } else {
        let (value, end) = decimal(bytes, pos, MAX_AUTHORITY).map_err(|p| {
            (
                p,
                SddlErrorKind::BadSid("expected the identifier authority (at most 48 bits)"),
            )
        })?;
        authority = value;
        pos = end;
    }
    let mut subs = [0u32; MAX_SUB_AUTHORITIES];
    let mut count = 0usize;
    // A `-` followed by a digit continues the SID; anything else ends it.
    while bytes.get(pos) == Some(&b'-') && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) {
        if count == MAX_SUB_AUTHORITIES {
            return Err((pos, SddlErrorKind::BadSid("more than 15 sub-authorities")));
        }
        let (value, end) = decimal(bytes, pos + 1, u64::from(u32::MAX))
            .map_err(|p| (p, SddlErrorKind::BadSid("sub-authority exceeds 32 bits")))?;
        subs[count] = value as u32;
        count += 1;
        pos = end;
    }
    if bytes.get(pos) == Some(&b'-') {
        return Err((
            pos + 1,
            SddlErrorKind::BadSid("expected sub-authority digits after `-`"),
        ));
    }
    let sid = Sid {
        authority,
        count: count as u8,
        subs,
    };
    Ok((sid, pos))
}

/// Reads decimal digits at `pos` up to `max`; `Err(pos)` when there are none or the value is
/// too large (the error offset is where the number starts).
fn decimal(bytes: &[u8], pos: usize, max: u64) -> Result<(u64, usize), usize> {
    let mut end = pos;
    let mut value: u64 = 0;
    while let Some(b) = bytes.get(end).filter(|b| b.is_ascii_digit()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .filter(|v| *v <= max)
            .ok_or(pos)?;
        end += 1;
    }
    if end == pos {
        Err(pos)
    } else {
        Ok((value, end))
    }
}

const fn wk(authority: u64, subs: &[u32]) -> Sid {
    match Sid::from_parts(authority, subs) {
        Some(s) => s,
        None => panic!("invalid well-known SID"),
    }
}

/// Well-known SIDs (MS-SDDL sid-strings, Microsoft "Well-known SIDs").
pub mod well_known {
    use super::{wk, Sid};

    /// `Everyone` (SDDL `WD`).
    pub const EVERYONE: Sid = wk(1, &[0]);
    /// `LOCAL` — logged on locally, incl. services.
    pub const LOCAL: Sid = wk(2, &[0]);
    /// `CONSOLE LOGON`.
    pub const CONSOLE_LOGON: Sid = wk(2, &[1]);
    /// `CREATOR OWNER` (`CO`): placeholder replaced by the creator on inheritance.
    pub const CREATOR_OWNER: Sid = wk(3, &[0]);
    /// `CREATOR GROUP` (`CG`).
    pub const CREATOR_GROUP: Sid = wk(3, &[1]);
    /// `OWNER RIGHTS` (`OW`).
    pub const OWNER_RIGHTS: Sid = wk(3, &[4]);
    /// `NT AUTHORITY\NETWORK` (`NU`): added to network logons.
    pub const NETWORK: Sid = wk(5, &[2]);
    /// `NT AUTHORITY\BATCH`: added to batch logons.
    pub const BATCH: Sid = wk(5, &[3]);
    /// `NT AUTHORITY\INTERACTIVE` (`IU` — not IUSR!).
    pub const INTERACTIVE: Sid = wk(5, &[4]);
    /// `NT AUTHORITY\SERVICE` (`SU`).
    pub const SERVICE: Sid = wk(5, &[6]);
    /// `NT AUTHORITY\ANONYMOUS LOGON` (`AN`).
    pub const ANONYMOUS: Sid = wk(5, &[7]);
    /// `NT AUTHORITY\ENTERPRISE DOMAIN CONTROLLERS` (`ED`).
    pub const ENTERPRISE_DCS: Sid = wk(5, &[9]);
    /// `NT AUTHORITY\SELF` (`PS`).
    pub const PRINCIPAL_SELF: Sid = wk(5, &[10]);
    /// `NT AUTHORITY\Authenticated Users` (`AU`).
    pub const AUTHENTICATED_USERS: Sid = wk(5, &[11]);
    /// `NT AUTHORITY\RESTRICTED` (`RC` in SID position).
    pub const RESTRICTED: Sid = wk(5, &[12]);
    /// `NT AUTHORITY\This Organization`.
    pub const THIS_ORGANIZATION: Sid = wk(5, &[15]);
    /// `NT AUTHORITY\IUSR` — the anonymous IIS account (no SDDL alias).
    pub const IUSR: Sid = wk(5, &[17]);
    /// `NT AUTHORITY\SYSTEM` (`SY`), LocalSystem.
    pub const LOCAL_SYSTEM: Sid = wk(5, &[18]);
    /// `NT AUTHORITY\LOCAL SERVICE` (`LS`).
    pub const LOCAL_SERVICE: Sid = wk(5, &[19]);
    /// `NT AUTHORITY\NETWORK SERVICE` (`NS`).
    pub const NETWORK_SERVICE: Sid = wk(5, &[20]);
    /// `NT AUTHORITY\WRITE RESTRICTED` (`WR`).
    pub const WRITE_RESTRICTED: Sid = wk(5, &[33]);
    /// `NT AUTHORITY\Local account`.
    pub const LOCAL_ACCOUNT: Sid = wk(5, &[113]);
    /// `NT AUTHORITY\Local account and member of Administrators group`.
    pub const LOCAL_ACCOUNT_AND_ADMIN: Sid = wk(5, &[114]);
    /// `BUILTIN\Administrators` (`BA`).
    pub const BUILTIN_ADMINISTRATORS: Sid = wk(5, &[32, 544]);
    /// `BUILTIN\Users` (`BU`).
    pub const BUILTIN_USERS: Sid = wk(5, &[32, 545]);
    /// `BUILTIN\Guests` (`BG`).
    pub const BUILTIN_GUESTS: Sid = wk(5, &[32, 546]);
    /// `BUILTIN\IIS_IUSRS` (`IS`).
    pub const IIS_IUSRS: Sid = wk(5, &[32, 568]);
    /// `S-1-5-82-0`: the group every application-pool identity carries.
    pub const APP_POOL_GROUP: Sid = wk(5, &[82, 0]);
    /// `NT SERVICE\TrustedInstaller`.
    pub const TRUSTED_INSTALLER: Sid = wk(
        5,
        &[
            80, 956008885, 3418522649, 1831038044, 1853292631, 2271478464,
        ],
    );
}

/// What an SDDL two-letter SID alias stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AliasTarget {
    /// A fixed SID.
    Sid(Sid),
    /// A RID relative to a domain (or the machine) that the SDDL string does not name.
    Relative(RelativeScope, u32),
}

/// Which domain a relative alias is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RelativeScope {
    /// The domain of the computer.
    Domain,
    /// The forest root domain (`EA`, `SA`, `PA`, `RO`, `EK`).
    RootDomain,
    /// The local machine's account domain (`LA`, `LG`).
    Machine,
}

/// SDDL SID aliases (MS-SDDL sid-strings; MS-DTYP 2.5.1.1). Letter pairs here mean SIDs; the same
/// letters in the rights field mean access rights (`WD` = Everyone vs WRITE_DAC).
pub const SID_ALIASES: &[(&str, AliasTarget)] = {
    use well_known as w;
    use AliasTarget::{Relative as R, Sid as S};
    use RelativeScope::{Domain as D, Machine as M, RootDomain as RD};
    &[
        ("AA", S(wk(5, &[32, 579]))),
        ("AC", S(wk(15, &[2, 1]))),
        ("AN", S(w::ANONYMOUS)),
        ("AO", S(wk(5, &[32, 548]))),
        ("AP", R(D, 525)),
        ("AS", S(wk(18, &[1]))),
        ("AU", S(w::AUTHENTICATED_USERS)),
        ("BA", S(w::BUILTIN_ADMINISTRATORS)),
        ("BG", S(w::BUILTIN_GUESTS)),
        ("BO", S(wk(5, &[32, 551]))),
        ("BU", S(w::BUILTIN_USERS)),
        ("CA", R(D, 517)),
        ("CD", S(wk(5, &[32, 574]))),
        ("CG", S(w::CREATOR_GROUP)),
        ("CN", R(D, 522)),
        ("CO", S(w::CREATOR_OWNER)),
        ("CY", S(wk(5, &[32, 569]))),
        ("DA", R(D, 512)),
        ("DC", R(D, 515)),
        ("DD", R(D, 516)),
        ("DG", R(D, 514)),
        ("DU", R(D, 513)),
        ("EA", R(RD, 519)),
        ("ED", S(w::ENTERPRISE_DCS)),
        ("EK", R(RD, 527)),
        ("ER", S(wk(5, &[32, 573]))),
        ("ES", S(wk(5, &[32, 576]))),
        ("HA", S(wk(5, &[32, 578]))),
        ("HI", S(wk(16, &[12288]))),
        ("IS", S(w::IIS_IUSRS)),
        ("IU", S(w::INTERACTIVE)),
        ("KA", R(D, 526)),
        ("LA", R(M, 500)),
        ("LG", R(M, 501)),
        ("LS", S(w::LOCAL_SERVICE)),
        ("LU", S(wk(5, &[32, 559]))),
        ("LW", S(wk(16, &[4096]))),
        ("ME", S(wk(16, &[8192]))),
        ("MP", S(wk(16, &[8448]))),
        ("MS", S(wk(5, &[32, 577]))),
        ("MU", S(wk(5, &[32, 558]))),
        ("NO", S(wk(5, &[32, 556]))),
        ("NS", S(w::NETWORK_SERVICE)),
        ("NU", S(w::NETWORK)),
        ("OW", S(w::OWNER_RIGHTS)),
        ("PA", R(RD, 520)),
        ("PO", S(wk(5, &[32, 550]))),
        ("PS", S(w::PRINCIPAL_SELF)),
        ("PU", S(wk(5, &[32, 547]))),
        ("RA", S(wk(5, &[32, 575]))),
        ("RC", S(w::RESTRICTED)),
        ("RD", S(wk(5, &[32, 555]))),
        ("RE", S(wk(5, &[32, 552]))),
        ("RM", S(wk(5, &[32, 580]))),
        ("RO", R(RD, 498)),
        ("RS", R(D, 553)),
        ("RU", S(wk(5, &[32, 554]))),
        ("SA", R(RD, 518)),
        ("SI", S(wk(16, &[16384]))),
        ("SO", S(wk(5, &[32, 549]))),
        ("SS", S(wk(18, &[2]))),
        ("SU", S(w::SERVICE)),
        ("SY", S(w::LOCAL_SYSTEM)),
        ("UD", S(wk(5, &[84, 0, 0, 0, 0, 0]))),
        ("WD", S(w::EVERYONE)),
        ("WR", S(w::WRITE_RESTRICTED)),
    ]
};

/// Resolves an SDDL SID alias (upper-case, as Windows writes them).
pub fn alias_target(alias: &str) -> Option<AliasTarget> {
    SID_ALIASES
        .iter()
        .find(|(a, _)| *a == alias)
        .map(|(_, t)| *t)
}

/// The SDDL alias of a fixed SID, if it has one (`S-1-5-32-545` → `BU`).
pub fn sid_alias(sid: &Sid) -> Option<&'static str> {
    SID_ALIASES
        .iter()
        .find(|(_, t)| *t == AliasTarget::Sid(*sid))
        .map(|(a, _)| *a)
}

/// The alias of a relative RID (`Domain, 513` → `DU`).
pub fn relative_alias(scope: RelativeScope, rid: u32) -> Option<&'static str> {
    SID_ALIASES
        .iter()
        .find(|(_, t)| *t == AliasTarget::Relative(scope, rid))
        .map(|(a, _)| *a)
}

/// English account names of well-known SIDs, as `icacls`/`whoami` print them on an en-US host.
/// For evidence text; the only match on them is [`well_known_sid`], for `icacls` listings that
/// carry names instead of SIDs.
const NAMES: &[(Sid, &str)] = {
    use well_known as w;
    &[
        (w::EVERYONE, "Everyone"),
        (w::LOCAL, "LOCAL"),
        (w::CONSOLE_LOGON, "CONSOLE LOGON"),
        (w::CREATOR_OWNER, "CREATOR OWNER"),
        (w::CREATOR_GROUP, "CREATOR GROUP"),
        (w::OWNER_RIGHTS, "OWNER RIGHTS"),
        (w::NETWORK, "NT AUTHORITY\\NETWORK"),
        (w::BATCH, "NT AUTHORITY\\BATCH"),
        (w::INTERACTIVE, "NT AUTHORITY\\INTERACTIVE"),
        (w::SERVICE, "NT AUTHORITY\\SERVICE"),
        (w::ANONYMOUS, "NT AUTHORITY\\ANONYMOUS LOGON"),
        (
            w::ENTERPRISE_DCS,
            "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS",
        ),
        (w::PRINCIPAL_SELF, "NT AUTHORITY\\SELF"),
        (w::AUTHENTICATED_USERS, "NT AUTHORITY\\Authenticated Users"),
        (w::RESTRICTED, "NT AUTHORITY\\RESTRICTED"),
        (w::THIS_ORGANIZATION, "NT AUTHORITY\\This Organization"),
        (w::IUSR, "NT AUTHORITY\\IUSR"),
        (w::LOCAL_SYSTEM, "NT AUTHORITY\\SYSTEM"),
        (w::LOCAL_SERVICE, "NT AUTHORITY\\LOCAL SERVICE"),
        (w::NETWORK_SERVICE, "NT AUTHORITY\\NETWORK SERVICE"),
        (w::WRITE_RESTRICTED, "NT AUTHORITY\\WRITE RESTRICTED"),
        (w::LOCAL_ACCOUNT, "NT AUTHORITY\\Local account"),
        (
            w::LOCAL_ACCOUNT_AND_ADMIN,
            "NT AUTHORITY\\Local account and member of Administrators group",
        ),
        (w::BUILTIN_ADMINISTRATORS, "BUILTIN\\Administrators"),
        (w::BUILTIN_USERS, "BUILTIN\\Users"),
        (w::BUILTIN_GUESTS, "BUILTIN\\Guests"),
        (wk(5, &[32, 547]), "BUILTIN\\Power Users"),
        (wk(5, &[32, 548]), "BUILTIN\\Account Operators"),
        (wk(5, &[32, 549]), "BUILTIN\\Server Operators"),
        (wk(5, &[32, 550]), "BUILTIN\\Print Operators"),
        (wk(5, &[32, 551]), "BUILTIN\\Backup Operators"),
        (wk(5, &[32, 552]), "BUILTIN\\Replicator"),
        (
            wk(5, &[32, 554]),
            "BUILTIN\\Pre-Windows 2000 Compatible Access",
        ),
        (wk(5, &[32, 555]), "BUILTIN\\Remote Desktop Users"),
        (
            wk(5, &[32, 556]),
            "BUILTIN\\Network Configuration Operators",
        ),
        (wk(5, &[32, 558]), "BUILTIN\\Performance Monitor Users"),
        (wk(5, &[32, 559]), "BUILTIN\\Performance Log Users"),
        (w::IIS_IUSRS, "BUILTIN\\IIS_IUSRS"),
        (wk(5, &[32, 569]), "BUILTIN\\Cryptographic Operators"),
        (wk(5, &[32, 573]), "BUILTIN\\Event Log Readers"),
        (
            wk(5, &[32, 574]),
            "BUILTIN\\Certificate Service DCOM Access",
        ),
        (wk(5, &[32, 575]), "BUILTIN\\RDS Remote Access Servers"),
        (wk(5, &[32, 576]), "BUILTIN\\RDS Endpoint Servers"),
        (wk(5, &[32, 577]), "BUILTIN\\RDS Management Servers"),
        (wk(5, &[32, 578]), "BUILTIN\\Hyper-V Administrators"),
        (
            wk(5, &[32, 579]),
            "BUILTIN\\Access Control Assistance Operators",
        ),
        (wk(5, &[32, 580]), "BUILTIN\\Remote Management Users"),
        (
            w::APP_POOL_GROUP,
            "IIS APPPOOL (all application pools, S-1-5-82-0)",
        ),
        (w::TRUSTED_INSTALLER, "NT SERVICE\\TrustedInstaller"),
        (
            wk(15, &[2, 1]),
            "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES",
        ),
        (wk(16, &[4096]), "Mandatory Label\\Low Mandatory Level"),
        (wk(16, &[8192]), "Mandatory Label\\Medium Mandatory Level"),
        (
            wk(16, &[8448]),
            "Mandatory Label\\Medium Plus Mandatory Level",
        ),
        (wk(16, &[12288]), "Mandatory Label\\High Mandatory Level"),
        (wk(16, &[16384]), "Mandatory Label\\System Mandatory Level"),
        (wk(18, &[1]), "Authentication authority asserted identity"),
        (wk(18, &[2]), "Service asserted identity"),
    ]
};

/// The English display name of a well-known SID (`S-1-5-17` → `NT AUTHORITY\IUSR`).
pub fn well_known_name(sid: &Sid) -> Option<&'static str> {
    NAMES.iter().find(|(s, _)| s == sid).map(|(_, n)| *n)
}

/// The well-known SID an en-US host prints as `name` (case-insensitive): `BUILTIN\Users` →
/// `S-1-5-32-545`. Localised names are not known and return `None`.
pub fn well_known_sid(name: &str) -> Option<Sid> {
    NAMES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(s, _)| *s)
}

/// Display name of a relative alias's group (`DU` → `Domain Users`), for evidence text.
pub fn relative_name(scope: RelativeScope, rid: u32) -> String {
    let group = match rid {
        498 => "Enterprise Read-only Domain Controllers",
        500 => "Administrator",
        501 => "Guest",
        512 => "Domain Admins",
        513 => "Domain Users",
        514 => "Domain Guests",
        515 => "Domain Computers",
        516 => "Domain Controllers",
        517 => "Cert Publishers",
        518 => "Schema Admins",
        519 => "Enterprise Admins",
        520 => "Group Policy Creator Owners",
        522 => "Cloneable Domain Controllers",
        525 => "Protected Users",
        526 => "Key Admins",
        527 => "Enterprise Key Admins",
        553 => "RAS and IAS Servers",
        _ => return format!("{}-relative RID {rid}", scope_word(scope)),
    };
    match scope {
        RelativeScope::Machine => format!("<computer>\\{group}"),
        RelativeScope::Domain => format!("<domain>\\{group}"),
        RelativeScope::RootDomain => format!("<forest root>\\{group}"),
    }
}

fn scope_word(scope: RelativeScope) -> &'static str {
    match scope {
        RelativeScope::Domain => "domain",
        RelativeScope::RootDomain => "root-domain",
        RelativeScope::Machine => "machine",
    }
}
