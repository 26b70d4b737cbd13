//! SDDL (Security Descriptor Definition Language) parser and printer.
//!
//! [`parse`] turns a string such as `(Get-Acl C:\inetpub\wwwroot).Sddl` into a
//! [`SecurityDescriptor`]; `Display` prints it back so that parse → print → parse gives the same
//! value (the text may differ: hex masks that are exactly `FA`/`FR`/`FW`/`FX` or pure
//! generic/standard rights print as letters, fixed SIDs with an alias print as the alias).
//!
//! Grammar (MS-SDDL, MS-DTYP 2.5.1): `O:sid G:sid D:flags(ace)… S:flags(ace)…`, each component
//! optional, in any order, at most once. An ACE is
//! `(type;flags;rights;object_guid;inherit_object_guid;sid[;(extra)])`, where the extra field holds
//! the condition of callback (conditional) ACEs or the attribute of a resource-attribute ACE; it
//! is kept as raw text, not interpreted.
//!
//! Errors are an [`SddlError`] naming the character offset of the offending input and what was
//! expected there. Inputs over [`MAX_SDDL_LEN`] bytes or with more than [`MAX_ACES`] ACEs are
//! rejected. The parser never panics.

use std::fmt;

use super::error::describe_at;
pub use super::error::{SddlError, SddlErrorKind};
use super::sid::{
    alias_target, parse_sid_at, relative_alias, sid_alias, AliasTarget, RelativeScope, Sid,
};

/// Longest SDDL string accepted, in bytes (64 KiB).
pub const MAX_SDDL_LEN: usize = 64 * 1024;

/// Most ACEs accepted in one security descriptor (DACL and SACL together).
pub const MAX_ACES: usize = 2000;

/// Access-mask bits and composites (winnt.h; Microsoft docs).
pub mod mask {
    /// FILE_READ_DATA / FILE_LIST_DIRECTORY.
    pub const FILE_READ_DATA: u32 = 0x1;
    /// FILE_WRITE_DATA / FILE_ADD_FILE.
    pub const FILE_WRITE_DATA: u32 = 0x2;
    /// FILE_APPEND_DATA / FILE_ADD_SUBDIRECTORY.
    pub const FILE_APPEND_DATA: u32 = 0x4;
    /// FILE_READ_EA.
    pub const FILE_READ_EA: u32 = 0x8;
    /// FILE_WRITE_EA.
    pub const FILE_WRITE_EA: u32 = 0x10;
    /// FILE_EXECUTE / FILE_TRAVERSE.
    pub const FILE_EXECUTE: u32 = 0x20;
    /// FILE_DELETE_CHILD.
    pub const FILE_DELETE_CHILD: u32 = 0x40;
    /// FILE_READ_ATTRIBUTES.
    pub const FILE_READ_ATTRIBUTES: u32 = 0x80;
    /// FILE_WRITE_ATTRIBUTES.
    pub const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
    /// DELETE.
    pub const DELETE: u32 = 0x10000;
    /// READ_CONTROL.
    pub const READ_CONTROL: u32 = 0x20000;
    /// WRITE_DAC.
    pub const WRITE_DAC: u32 = 0x40000;
    /// WRITE_OWNER.
    pub const WRITE_OWNER: u32 = 0x80000;
    /// SYNCHRONIZE.
    pub const SYNCHRONIZE: u32 = 0x100000;
    /// ACCESS_SYSTEM_SECURITY.
    pub const ACCESS_SYSTEM_SECURITY: u32 = 0x0100_0000;
    /// MAXIMUM_ALLOWED.
    pub const MAXIMUM_ALLOWED: u32 = 0x0200_0000;
    /// GENERIC_ALL.
    pub const GENERIC_ALL: u32 = 0x1000_0000;
    /// GENERIC_EXECUTE.
    pub const GENERIC_EXECUTE: u32 = 0x2000_0000;
    /// GENERIC_WRITE.
    pub const GENERIC_WRITE: u32 = 0x4000_0000;
    /// GENERIC_READ.
    pub const GENERIC_READ: u32 = 0x8000_0000;
    /// All four generic bits.
    pub const GENERIC_MASK: u32 = GENERIC_ALL | GENERIC_EXECUTE | GENERIC_WRITE | GENERIC_READ;
    /// FILE_GENERIC_READ (`FR`).
    pub const FILE_GENERIC_READ: u32 = 0x120089;
    /// FILE_GENERIC_WRITE (`FW`).
    pub const FILE_GENERIC_WRITE: u32 = 0x120116;
    /// FILE_GENERIC_EXECUTE (`FX`).
    pub const FILE_GENERIC_EXECUTE: u32 = 0x1200A0;
    /// FILE_ALL_ACCESS (`FA`, icacls `F`).
    pub const FILE_ALL_ACCESS: u32 = 0x1F01FF;
    /// Read & Execute (icacls `RX`) = FR | FX.
    pub const READ_EXECUTE: u32 = 0x1200A9;
    /// Modify (icacls `M`).
    pub const MODIFY: u32 = 0x1301BF;
    /// KEY_ALL_ACCESS (`KA`).
    pub const KEY_ALL_ACCESS: u32 = 0xF003F;
    /// KEY_READ (`KR`; `KX` has the same value).
    pub const KEY_READ: u32 = 0x20019;
    /// KEY_WRITE (`KW`).
    pub const KEY_WRITE: u32 = 0x20006;
}

/// SDDL rights letters and their mask values. Two-letter codes here are rights, not SIDs.
pub const RIGHTS_LETTERS: &[(&str, u32)] = &[
    ("GA", mask::GENERIC_ALL),
    ("GR", mask::GENERIC_READ),
    ("GW", mask::GENERIC_WRITE),
    ("GX", mask::GENERIC_EXECUTE),
    ("RC", mask::READ_CONTROL),
    ("SD", mask::DELETE),
    ("WD", mask::WRITE_DAC),
    ("WO", mask::WRITE_OWNER),
    ("RP", 0x10),
    ("WP", 0x20),
    ("CC", 0x1),
    ("DC", 0x2),
    ("LC", 0x4),
    ("SW", 0x8),
    ("LO", 0x80),
    ("DT", 0x40),
    ("CR", 0x100),
    ("FA", mask::FILE_ALL_ACCESS),
    ("FR", mask::FILE_GENERIC_READ),
    ("FW", mask::FILE_GENERIC_WRITE),
    ("FX", mask::FILE_GENERIC_EXECUTE),
    ("KA", mask::KEY_ALL_ACCESS),
    ("KR", mask::KEY_READ),
    ("KW", mask::KEY_WRITE),
    ("KX", mask::KEY_READ),
    ("NR", 0x1),
    ("NW", 0x2),
    ("NX", 0x4),
];

/// A parsed security descriptor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SecurityDescriptor {
    /// `O:` — the owner.
    pub owner: Option<Trustee>,
    /// `G:` — the primary group.
    pub group: Option<Trustee>,
    /// `D:` — the discretionary ACL. `None` when the string has no `D:` component.
    pub dacl: Option<Acl>,
    /// `S:` — the system ACL (audit, mandatory label, …).
    pub sacl: Option<Acl>,
}

/// An ACL with its control flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Acl {
    /// The `P`/`AI`/`AR`/`NO_ACCESS_CONTROL` flags.
    pub flags: AclFlags,
    /// The ACEs, in order.
    pub aces: Vec<Ace>,
}

impl Acl {
    /// True for a null ACL (`NO_ACCESS_CONTROL`): for a DACL, everyone has full access.
    pub fn is_null(&self) -> bool {
        self.flags.null_acl
    }

    /// The fixed SIDs of the ACE trustees, in ACE order (with repeats).
    pub fn sids(&self) -> Vec<Sid> {
        self.aces
            .iter()
            .filter_map(|a| a.trustee.sid().copied())
            .collect()
    }
}

/// ACL control flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AclFlags {
    /// `P`: protected — inheritance from the parent is blocked.
    pub protected: bool,
    /// `AR`: auto-inherit required.
    pub auto_inherit_req: bool,
    /// `AI`: auto-inherited.
    pub auto_inherited: bool,
    /// `NO_ACCESS_CONTROL`: a null ACL.
    pub null_acl: bool,
}

/// ACE types that SDDL can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AceType {
    /// `A` — access allowed.
    Allow,
    /// `D` — access denied.
    Deny,
    /// `OA` — object access allowed.
    ObjectAllow,
    /// `OD` — object access denied.
    ObjectDeny,
    /// `AU` — system audit.
    Audit,
    /// `AL` — system alarm.
    Alarm,
    /// `OU` — object audit.
    ObjectAudit,
    /// `OL` — object alarm.
    ObjectAlarm,
    /// `ML` — mandatory integrity label.
    MandatoryLabel,
    /// `XA` — callback (conditional) access allowed.
    CallbackAllow,
    /// `XD` — callback (conditional) access denied.
    CallbackDeny,
    /// `ZA` — callback object access allowed.
    CallbackObjectAllow,
    /// `XU` — callback audit.
    CallbackAudit,
    /// `RA` — resource attribute.
    ResourceAttribute,
    /// `SP` — central access policy id.
    ScopedPolicyId,
    /// `TL` — process trust label.
    ProcessTrustLabel,
    /// `FL` — access filter.
    AccessFilter,
}

const ACE_TYPES: &[(&str, AceType)] = &[
    ("A", AceType::Allow),
    ("D", AceType::Deny),
    ("OA", AceType::ObjectAllow),
    ("OD", AceType::ObjectDeny),
    ("AU", AceType::Audit),
    ("AL", AceType::Alarm),
    ("OU", AceType::ObjectAudit),
    ("OL", AceType::ObjectAlarm),
    ("ML", AceType::MandatoryLabel),
    ("XA", AceType::CallbackAllow),
    ("XD", AceType::CallbackDeny),
    ("ZA", AceType::CallbackObjectAllow),
    ("XU", AceType::CallbackAudit),
    ("RA", AceType::ResourceAttribute),
    ("SP", AceType::ScopedPolicyId),
    ("TL", AceType::ProcessTrustLabel),
    ("FL", AceType::AccessFilter),
];

impl AceType {
    /// Every ACE type.
    pub const ALL: [AceType; 17] = [
        AceType::Allow,
        AceType::Deny,
        AceType::ObjectAllow,
        AceType::ObjectDeny,
        AceType::Audit,
        AceType::Alarm,
        AceType::ObjectAudit,
        AceType::ObjectAlarm,
        AceType::MandatoryLabel,
        AceType::CallbackAllow,
        AceType::CallbackDeny,
        AceType::CallbackObjectAllow,
        AceType::CallbackAudit,
        AceType::ResourceAttribute,
        AceType::ScopedPolicyId,
        AceType::ProcessTrustLabel,
        AceType::AccessFilter,
    ];

    /// The SDDL code (`A`, `D`, `OA`, …).
    pub fn code(self) -> &'static str {
        ACE_TYPES
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(c, _)| *c)
            .unwrap_or("?")
    }

    /// The type for an SDDL code.
    pub fn from_code(code: &str) -> Option<AceType> {
        ACE_TYPES.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
    }

    /// Object ACE types carry object / inherited-object GUIDs.
    pub fn is_object(self) -> bool {
        matches!(
            self,
            AceType::ObjectAllow
                | AceType::ObjectDeny
                | AceType::ObjectAudit
                | AceType::ObjectAlarm
                | AceType::CallbackObjectAllow
        )
    }

    /// Types that may carry the trailing `;(…)` condition or attribute field.
    pub fn takes_extra(self) -> bool {
        matches!(
            self,
            AceType::CallbackAllow
                | AceType::CallbackDeny
                | AceType::CallbackObjectAllow
                | AceType::CallbackAudit
                | AceType::ResourceAttribute
                | AceType::AccessFilter
        )
    }

    /// Grants access when it matches (`A`, `OA`, `XA`, `ZA`).
    pub fn is_allow(self) -> bool {
        matches!(
            self,
            AceType::Allow
                | AceType::ObjectAllow
                | AceType::CallbackAllow
                | AceType::CallbackObjectAllow
        )
    }

    /// Denies access when it matches (`D`, `OD`, `XD`).
    pub fn is_deny(self) -> bool {
        matches!(
            self,
            AceType::Deny | AceType::ObjectDeny | AceType::CallbackDeny
        )
    }

    /// Callback (conditional) ACE: its effect depends on a condition this engine does not
    /// evaluate.
    pub fn is_callback(self) -> bool {
        matches!(
            self,
            AceType::CallbackAllow | AceType::CallbackDeny | AceType::CallbackObjectAllow
        )
    }
}

/// ACE flags. Bit values follow winnt.h for OI, CI, NP, IO, ID, CR, SA and FA;
/// `TRUST_PROTECTED_FILTER` (Windows reuses 0x40 on access-filter ACEs) gets its own bit here so
/// `SA` and `TP` stay distinct.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AceFlags(pub u16);

impl AceFlags {
    /// `OI` — files inherit this ACE.
    pub const OBJECT_INHERIT: u16 = 0x1;
    /// `CI` — subfolders inherit this ACE.
    pub const CONTAINER_INHERIT: u16 = 0x2;
    /// `NP` — inherited only by immediate children.
    pub const NO_PROPAGATE: u16 = 0x4;
    /// `IO` — does not apply to the object itself, only to children.
    pub const INHERIT_ONLY: u16 = 0x8;
    /// `ID` — this ACE was inherited from the parent.
    pub const INHERITED: u16 = 0x10;
    /// `CR` — critical ACE.
    pub const CRITICAL: u16 = 0x20;
    /// `SA` — audit successful access.
    pub const SUCCESSFUL_ACCESS: u16 = 0x40;
    /// `FA` — audit failed access.
    pub const FAILED_ACCESS: u16 = 0x80;
    /// `TP` — trust-protected filter.
    pub const TRUST_PROTECTED_FILTER: u16 = 0x100;

    /// Every flag, in printing order, with its SDDL code.
    pub const CODES: [(&'static str, u16); 9] = [
        ("OI", Self::OBJECT_INHERIT),
        ("CI", Self::CONTAINER_INHERIT),
        ("NP", Self::NO_PROPAGATE),
        ("IO", Self::INHERIT_ONLY),
        ("ID", Self::INHERITED),
        ("CR", Self::CRITICAL),
        ("SA", Self::SUCCESSFUL_ACCESS),
        ("FA", Self::FAILED_ACCESS),
        ("TP", Self::TRUST_PROTECTED_FILTER),
    ];

    /// All bits of `flag` are set.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag == flag
    }

    /// `OI`.
    pub fn object_inherit(self) -> bool {
        self.has(Self::OBJECT_INHERIT)
    }
    /// `CI`.
    pub fn container_inherit(self) -> bool {
        self.has(Self::CONTAINER_INHERIT)
    }
    /// `NP`.
    pub fn no_propagate(self) -> bool {
        self.has(Self::NO_PROPAGATE)
    }
    /// `IO`.
    pub fn inherit_only(self) -> bool {
        self.has(Self::INHERIT_ONLY)
    }
    /// `ID`.
    pub fn inherited(self) -> bool {
        self.has(Self::INHERITED)
    }
}

impl fmt::Display for AceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (code, bit) in Self::CODES {
            if self.has(bit) {
                f.write_str(code)?;
            }
        }
        Ok(())
    }
}

/// A GUID as written in SDDL (`ab721a53-1e2f-11d0-9819-00aa0040529b`); the 32 hex digits in text
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(pub u128);

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

/// The trustee of an ACE, or an owner/group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trustee {
    /// A SID (from `S-1-…` or a fixed alias such as `BU`).
    Sid(Sid),
    /// A domain- or machine-relative alias (`DU`, `DA`, `LA`, …) whose domain the string does not
    /// name. Use [`Trustee::resolve`] with the domain SID when it is known.
    Relative {
        /// Relative to which domain.
        scope: RelativeScope,
        /// The RID appended to the domain SID.
        rid: u32,
    },
}

impl Trustee {
    /// The SID, when fixed.
    pub fn sid(&self) -> Option<&Sid> {
        match self {
            Trustee::Sid(s) => Some(s),
            Trustee::Relative { .. } => None,
        }
    }

    /// Resolves a relative alias given the domain SID (`S-1-5-21-a-b-c`) for its scope.
    pub fn resolve(&self, domain_of: impl Fn(RelativeScope) -> Option<Sid>) -> Option<Sid> {
        match self {
            Trustee::Sid(s) => Some(*s),
            Trustee::Relative { scope, rid } => {
                let d = domain_of(*scope)?;
                let mut subs = d.sub_authorities().to_vec();
                subs.push(*rid);
                Sid::from_parts(d.authority(), &subs)
            }
        }
    }
}

impl fmt::Display for Trustee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trustee::Sid(s) => match sid_alias(s) {
                Some(a) => f.write_str(a),
                None => write!(f, "{s}"),
            },
            Trustee::Relative { scope, rid } => match relative_alias(*scope, *rid) {
                Some(a) => f.write_str(a),
                // Not constructible by the parser; printed so that it is visibly unresolved.
                None => write!(f, "?{rid}"),
            },
        }
    }
}

impl From<Sid> for Trustee {
    fn from(s: Sid) -> Self {
        Trustee::Sid(s)
    }
}

/// One access control entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ace {
    /// `A`, `D`, `OA`, …
    pub ace_type: AceType,
    /// Inheritance and audit flags.
    pub flags: AceFlags,
    /// The access mask as written (generic bits not mapped).
    pub mask: u32,
    /// Object type GUID (object ACEs only).
    pub object_type: Option<Guid>,
    /// Inherited object type GUID (object ACEs only).
    pub inherited_object_type: Option<Guid>,
    /// Whom the ACE is about.
    pub trustee: Trustee,
    /// The raw condition (callback ACEs) or attribute (resource ACEs), parentheses included.
    pub extra: Option<String>,
}

impl Ace {
    /// A plain ACE of `ace_type` with no GUIDs or extra field.
    pub fn new(ace_type: AceType, flags: u16, mask: u32, trustee: impl Into<Trustee>) -> Ace {
        Ace {
            ace_type,
            flags: AceFlags(flags),
            mask,
            object_type: None,
            inherited_object_type: None,
            trustee: trustee.into(),
            extra: None,
        }
    }
}

/// Formats an access mask the way this crate prints SDDL: `FA`/`FR`/`FW`/`FX` when the mask is
/// exactly one of them, letters when it consists only of generic and standard rights
/// (`GA GR GW GX RC SD WD WO`), hex otherwise. Directory-service and registry letters are parsed
/// but never printed: on files they would only mislead.
pub fn format_rights(m: u32) -> String {
    for (code, value) in [
        ("FA", mask::FILE_ALL_ACCESS),
        ("FR", mask::FILE_GENERIC_READ),
        ("FW", mask::FILE_GENERIC_WRITE),
        ("FX", mask::FILE_GENERIC_EXECUTE),
    ] {
        if m == value {
            return code.to_string();
        }
    }
    let letters = &RIGHTS_LETTERS[..8];
    let all: u32 = letters.iter().fold(0, |a, (_, v)| a | v);
    if m != 0 && m & !all == 0 {
        return letters
            .iter()
            .filter(|(_, v)| m & v != 0)
            .map(|(c, _)| *c)
            .collect();
    }
    format!("0x{m:x}")
}

impl fmt::Display for Ace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({};{};{};",
            self.ace_type.code(),
            self.flags,
            format_rights(self.mask)
        )?;
        if let Some(g) = self.object_type {
            write!(f, "{g}")?;
        }
        f.write_str(";")?;
        if let Some(g) = self.inherited_object_type {
            write!(f, "{g}")?;
        }
        write!(f, ";{}", self.trustee)?;
        if let Some(x) = &self.extra {
            write!(f, ";{x}")?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for AclFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.protected {
            f.write_str("P")?;
        }
        if self.auto_inherit_req {
            f.write_str("AR")?;
        }
        if self.auto_inherited {
            f.write_str("AI")?;
        }
        if self.null_acl {
            f.write_str("NO_ACCESS_CONTROL")?;
        }
        Ok(())
    }
}

impl fmt::Display for Acl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.flags)?;
        for a in &self.aces {
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SecurityDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(o) = &self.owner {
            write!(f, "O:{o}")?;
        }
        if let Some(g) = &self.group {
            write!(f, "G:{g}")?;
        }
        if let Some(d) = &self.dacl {
            write!(f, "D:{d}")?;
        }
        if let Some(s) = &self.sacl {
            write!(f, "S:{s}")?;
        }
        Ok(())
    }
}

impl SecurityDescriptor {
    /// The SDDL text (same as `to_string()`).
    pub fn to_sddl(&self) -> String {
        self.to_string()
    }

    /// Every fixed SID appearing as owner, group or ACE trustee (in order, with repeats).
    pub fn sids(&self) -> Vec<Sid> {
        let mut out = Vec::new();
        out.extend(self.owner.iter().filter_map(|t| t.sid().copied()));
        out.extend(self.group.iter().filter_map(|t| t.sid().copied()));
        for acl in self.dacl.iter().chain(self.sacl.iter()) {
            out.extend(acl.sids());
        }
        out
    }
}

impl std::str::FromStr for SecurityDescriptor {
    type Err = SddlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

/// Parses an SDDL security descriptor string. Leading and trailing ASCII whitespace is ignored;
/// error offsets count from the start of `input`.
pub fn parse(input: &str) -> Result<SecurityDescriptor, SddlError> {
    if input.len() > MAX_SDDL_LEN {
        return Err(SddlError::at(
            input,
            MAX_SDDL_LEN,
            SddlErrorKind::TooLong {
                len: input.len(),
                max: MAX_SDDL_LEN,
            },
        ));
    }
    let trimmed = input.trim_end_matches(|c: char| c.is_ascii_whitespace());
    let start = trimmed.len()
        - trimmed
            .trim_start_matches(|c: char| c.is_ascii_whitespace())
            .len();
    let mut p = Parser {
        input,
        b: trimmed.as_bytes(),
        pos: start,
        aces: 0,
    };
    p.descriptor()
}

/// Parses just an ACL body (`PAI(A;;FA;;;SY)…`, what follows `D:`).
pub fn parse_acl(input: &str) -> Result<Acl, SddlError> {
    if input.len() > MAX_SDDL_LEN {
        return Err(SddlError::at(
            input,
            MAX_SDDL_LEN,
            SddlErrorKind::TooLong {
                len: input.len(),
                max: MAX_SDDL_LEN,
            },
        ));
    }
    let mut p = Parser {
        input,
        b: input.as_bytes(),
        pos: 0,
        aces: 0,
    };
    let acl = p.acl()?;
    if p.pos < p.b.len() {
        return Err(p.expected("`(` starting an ACE, or end of input"));
    }
    Ok(acl)
}

/// Parses one ACE string such as `(A;OICI;0x1200a9;;;S-1-5-17)`.
pub fn parse_ace(input: &str) -> Result<Ace, SddlError> {
    if input.len() > MAX_SDDL_LEN {
        return Err(SddlError::at(
            input,
            MAX_SDDL_LEN,
            SddlErrorKind::TooLong {
                len: input.len(),
                max: MAX_SDDL_LEN,
            },
        ));
    }
    let mut p = Parser {
        input,
        b: input.as_bytes(),
        pos: 0,
        aces: 0,
    };
    let ace = p.ace()?;
    if p.pos < p.b.len() {
        return Err(p.expected("end of input after the ACE"));
    }
    Ok(ace)
}

struct Parser<'a> {
    input: &'a str,
    /// The input bytes up to the trimmed end.
    b: &'a [u8],
    pos: usize,
    aces: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, pos: usize, kind: SddlErrorKind) -> SddlError {
        SddlError::at(self.input, pos, kind)
    }

    fn found(&self, pos: usize) -> String {
        if pos >= self.b.len() {
            "end of input".to_string()
        } else {
            describe_at(self.input, pos)
        }
    }

    fn expected(&self, what: &'static str) -> SddlError {
        self.err(
            self.pos,
            SddlErrorKind::Expected {
                expected: what,
                found: self.found(self.pos),
            },
        )
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn at_component(&self, pos: usize) -> bool {
        matches!(self.b.get(pos), Some(b'O' | b'G' | b'D' | b'S'))
            && self.b.get(pos + 1) == Some(&b':')
    }

    fn eat(&mut self, c: u8, what: &'static str) -> Result<(), SddlError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    fn descriptor(&mut self) -> Result<SecurityDescriptor, SddlError> {
        let mut sd = SecurityDescriptor::default();
        let mut seen = [false; 4];
        while self.pos < self.b.len() {
            if !self.at_component(self.pos) {
                return Err(self.expected("a component `O:`, `G:`, `D:` or `S:`"));
            }
            let tag = self.b[self.pos];
            let slot = match tag {
                b'O' => 0,
                b'G' => 1,
                b'D' => 2,
                _ => 3,
            };
            if seen[slot] {
                return Err(self.err(self.pos, SddlErrorKind::DuplicateComponent(tag as char)));
            }
            seen[slot] = true;
            self.pos += 2;
            match tag {
                b'O' => sd.owner = Some(self.owner_sid()?),
                b'G' => sd.group = Some(self.owner_sid()?),
                b'D' => sd.dacl = Some(self.acl()?),
                _ => sd.sacl = Some(self.acl()?),
            }
        }
        Ok(sd)
    }

    /// The SID of `O:` or `G:`: a SID string or exactly two alias letters, followed by the next
    /// component or the end.
    fn owner_sid(&mut self) -> Result<Trustee, SddlError> {
        let start = self.pos;
        let t = if matches!(self.peek(), Some(b'S' | b's')) && self.b.get(start + 1) == Some(&b'-')
        {
            let (sid, end) = parse_sid_at(self.b, start).map_err(|(p, k)| self.err(p, k))?;
            self.pos = end;
            Trustee::Sid(sid)
        } else {
            let alias = self
                .b
                .get(start..start + 2)
                .filter(|a| a.iter().all(u8::is_ascii_uppercase));
            let Some(alias) = alias else {
                return Err(self.expected("a SID string (S-1-…) or a two-letter SID alias"));
            };
            let alias = std::str::from_utf8(alias).unwrap_or_default();
            let t = trustee_for_alias(alias).ok_or_else(|| {
                self.err(start, SddlErrorKind::UnknownSidAlias(alias.to_string()))
            })?;
            self.pos += 2;
            t
        };
        if self.pos < self.b.len() && !self.at_component(self.pos) {
            return Err(self
                .expected("the next component (`G:`, `D:`, `S:`) or end of input after the SID"));
        }
        Ok(t)
    }

    fn acl(&mut self) -> Result<Acl, SddlError> {
        let mut acl = Acl::default();
        // Flags come first, in any order.
        loop {
            let rest = &self.b[self.pos..];
            if rest.starts_with(b"NO_ACCESS_CONTROL") {
                acl.flags.null_acl = true;
                self.pos += 17;
            } else if rest.starts_with(b"AI") {
                acl.flags.auto_inherited = true;
                self.pos += 2;
            } else if rest.starts_with(b"AR") {
                acl.flags.auto_inherit_req = true;
                self.pos += 2;
            } else if rest.starts_with(b"P") && !self.at_component(self.pos) {
                acl.flags.protected = true;
                self.pos += 1;
            } else {
                break;
            }
        }
        while self.peek() == Some(b'(') {
            self.aces += 1;
            if self.aces > MAX_ACES {
                return Err(self.err(self.pos, SddlErrorKind::TooManyAces { max: MAX_ACES }));
            }
            acl.aces.push(self.ace()?);
        }
        if self.pos < self.b.len() && !self.at_component(self.pos) {
            return Err(self.expected(
                "an ACL flag (P, AI, AR, NO_ACCESS_CONTROL), `(` starting an ACE, or the next component",
            ));
        }
        Ok(acl)
    }

    /// Bytes up to (not including) the next `;` or `)`, or the end.
    fn field(&mut self) -> (usize, &'a [u8]) {
        let b = self.b;
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == b';' || c == b')' {
                break;
            }
            self.pos += 1;
        }
        (start, &b[start..self.pos])
    }

    fn ace(&mut self) -> Result<Ace, SddlError> {
        self.eat(b'(', "`(` starting an ACE")?;

        let (start, code) = self.field();
        if code.is_empty() {
            return Err(self.err(
                start,
                SddlErrorKind::Expected {
                    expected: "an ACE type (A, D, OA, OD, XA, XD, AU, ML, …)",
                    found: self.found(start),
                },
            ));
        }
        let code_str = String::from_utf8_lossy(code).into_owned();
        let ace_type = AceType::from_code(&code_str)
            .ok_or_else(|| self.err(start, SddlErrorKind::UnknownAceType(code_str)))?;
        self.eat(b';', "`;` after the ACE type")?;

        let (start, text) = self.field();
        let mut flags = 0u16;
        for (i, pair) in text.chunks(2).enumerate() {
            let bit = AceFlags::CODES
                .iter()
                .find(|(c, _)| c.as_bytes() == pair)
                .map(|(_, b)| *b)
                .ok_or_else(|| {
                    self.err(
                        start + 2 * i,
                        SddlErrorKind::UnknownAceFlag(String::from_utf8_lossy(pair).into_owned()),
                    )
                })?;
            flags |= bit;
        }
        self.eat(b';', "`;` after the ACE flags")?;

        let (start, text) = self.field();
        let m = self.rights(start, text)?;
        self.eat(b';', "`;` after the access rights")?;

        let object_type = self.guid_field(ace_type)?;
        self.eat(b';', "`;` after the object GUID")?;
        let inherited_object_type = self.guid_field(ace_type)?;
        self.eat(b';', "`;` after the inherited object GUID")?;

        let trustee = self.ace_sid()?;
        let mut extra = None;
        if self.peek() == Some(b';') && ace_type.takes_extra() {
            self.pos += 1;
            while self.peek() == Some(b' ') {
                self.pos += 1;
            }
            extra = Some(self.parenthesised()?);
        }
        self.eat(b')', "`)` closing the ACE")?;
        Ok(Ace {
            ace_type,
            flags: AceFlags(flags),
            mask: m,
            object_type,
            inherited_object_type,
            trustee,
            extra,
        })
    }

    fn rights(&self, start: usize, text: &[u8]) -> Result<u32, SddlError> {
        if text.is_empty() {
            return Ok(0);
        }
        let (radix, digits_at) = if text.len() >= 2 && text[0] == b'0' && (text[1] | 0x20) == b'x' {
            (16u32, 2)
        } else if text[0].is_ascii_digit() {
            (10, 0)
        } else {
            let mut m = 0u32;
            for (i, pair) in text.chunks(2).enumerate() {
                let v = RIGHTS_LETTERS
                    .iter()
                    .find(|(c, _)| c.as_bytes() == pair)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| {
                        self.err(
                            start + 2 * i,
                            SddlErrorKind::UnknownRight(String::from_utf8_lossy(pair).into_owned()),
                        )
                    })?;
                m |= v;
            }
            return Ok(m);
        };
        if text.len() == digits_at {
            return Err(self.err(
                start + digits_at,
                SddlErrorKind::BadMask("no hex digits after `0x`"),
            ));
        }
        let mut v: u64 = 0;
        for (i, c) in text.iter().enumerate().skip(digits_at) {
            let d = (*c as char).to_digit(radix).ok_or_else(|| {
                self.err(
                    start + i,
                    SddlErrorKind::BadMask(if radix == 16 {
                        "not a hex digit"
                    } else {
                        "not a decimal digit"
                    }),
                )
            })?;
            v = v * u64::from(radix) + u64::from(d);
            if v > u64::from(u32::MAX) {
                return Err(self.err(start, SddlErrorKind::BadMask("the mask exceeds 32 bits")));
            }
        }
        Ok(v as u32)
    }

    fn guid_field(&mut self, ace_type: AceType) -> Result<Option<Guid>, SddlError> {
        let (start, text) = self.field();
        if text.is_empty() {
            return Ok(None);
        }
        if !ace_type.is_object() {
            return Err(self.err(start, SddlErrorKind::UnexpectedGuid(ace_type.code())));
        }
        // 8-4-4-4-12 hex digits.
        let mut v: u128 = 0;
        let mut digits = 0;
        for (i, c) in text.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if *c != b'-' {
                    return Err(self.err(start + i, SddlErrorKind::BadGuid("expected `-`")));
                }
                continue;
            }
            let Some(d) = (*c as char).to_digit(16) else {
                return Err(self.err(start + i, SddlErrorKind::BadGuid("not a hex digit")));
            };
            if digits == 32 {
                return Err(self.err(start + i, SddlErrorKind::BadGuid("too long")));
            }
            v = (v << 4) | u128::from(d);
            digits += 1;
        }
        if digits != 32 || text.len() != 36 {
            return Err(self.err(
                start + text.len(),
                SddlErrorKind::BadGuid("expected 8-4-4-4-12 hex digits"),
            ));
        }
        Ok(Some(Guid(v)))
    }

    fn ace_sid(&mut self) -> Result<Trustee, SddlError> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'S' | b's')) && self.b.get(start + 1) == Some(&b'-') {
            let (sid, end) = parse_sid_at(self.b, start).map_err(|(p, k)| self.err(p, k))?;
            self.pos = end;
            if !matches!(self.peek(), Some(b';' | b')')) {
                return Err(self.expected("`)` closing the ACE after the SID"));
            }
            return Ok(Trustee::Sid(sid));
        }
        let (_, text) = self.field();
        if text.is_empty() {
            return Err(self.err(
                start,
                SddlErrorKind::Expected {
                    expected: "a SID string (S-1-…) or a two-letter SID alias",
                    found: self.found(start),
                },
            ));
        }
        let alias = String::from_utf8_lossy(text).into_owned();
        trustee_for_alias(&alias)
            .ok_or_else(|| self.err(start, SddlErrorKind::UnknownSidAlias(alias)))
    }

    /// A `(…)` group with nested parentheses and `"…"` strings, returned verbatim.
    fn parenthesised(&mut self) -> Result<String, SddlError> {
        let start = self.pos;
        if self.peek() != Some(b'(') {
            return Err(self.expected("`(` starting the condition or attribute"));
        }
        let mut depth = 0usize;
        let mut in_str = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                b'"' => in_str = !in_str,
                b'(' if !in_str => depth += 1,
                b')' if !in_str => {
                    depth -= 1;
                    if depth == 0 {
                        // Slicing at ASCII delimiters keeps UTF-8 boundaries.
                        return Ok(self
                            .input
                            .get(start..self.pos)
                            .unwrap_or_default()
                            .to_string());
                    }
                }
                _ => {}
            }
        }
        Err(self.err(start, SddlErrorKind::Unbalanced))
    }
}

fn trustee_for_alias(alias: &str) -> Option<Trustee> {
    alias_target(alias).map(|t| match t {
        AliasTarget::Sid(s) => Trustee::Sid(s),
        AliasTarget::Relative(scope, rid) => Trustee::Relative { scope, rid },
    })
}
