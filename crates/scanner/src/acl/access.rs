//! Effective access: does a principal hold the requested rights (by default Read & Execute,
//! `0x1200A9`) on a folder, and on the files inside it?
//!
//! The walk follows AccessCheck (MS-SDDL "How DACLs control access"): ACEs are
//! visited **in the order they appear** (canonical or not); a deny ACE matching a token SID that
//! covers any requested bit not yet granted denies the request; allow ACEs accumulate granted bits
//! until all requested bits are granted. No DACL or a null DACL (`NO_ACCESS_CONTROL`) grants
//! everything; an empty DACL grants nothing. Inherit-only (`IO`) ACEs do not apply to the object
//! itself. Generic bits in ACE masks are mapped through the file generic mapping
//! (GR→0x120089, GX→0x1200A0, GW→0x120116, GA→0x1F01FF).
//!
//! Files: only an object's own DACL is checked (traverse checking is bypassed by default,
//! Microsoft docs), so "files inside the folder" are judged on the DACL a file inherits from the
//! folder ([`inherit_aces`]). **Assumption:** content files have no explicit ACEs of their own and
//! inherit the folder's inheritable ACEs (the normal result of copying or deploying into the
//! folder). A file with a protected or explicit ACL needs its own [`check_access`].
//!
//! Every decision carries evidence: the index and SDDL text of each ACE that decided it, the bits
//! missing, and the ACEs whose effect could not be determined (conditional ACEs, domain-relative
//! aliases, domain groups for a generic principal), which the caller should report rather than
//! guess about.

use super::identity::Principal;
use super::sddl::{mask, Ace, AceFlags, AceType, Acl, SecurityDescriptor, Trustee};
use super::sid::{well_known, Sid};

/// Read & Execute (`0x1200A9`), what IIS needs on content.
pub const READ_EXECUTE: u32 = mask::READ_EXECUTE;

/// Maps the generic bits of an access mask to file-specific rights and clears them.
pub fn map_generic(m: u32) -> u32 {
    let mut out = m & !mask::GENERIC_MASK;
    if m & mask::GENERIC_READ != 0 {
        out |= mask::FILE_GENERIC_READ;
    }
    if m & mask::GENERIC_WRITE != 0 {
        out |= mask::FILE_GENERIC_WRITE;
    }
    if m & mask::GENERIC_EXECUTE != 0 {
        out |= mask::FILE_GENERIC_EXECUTE;
    }
    if m & mask::GENERIC_ALL != 0 {
        out |= mask::FILE_ALL_ACCESS;
    }
    out
}

/// What the child object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// A file (non-container): receives `OI` ACEs.
    File,
    /// A subfolder (container): receives `CI` ACEs, and `OI`-only ACEs as inherit-only copies.
    Folder,
}

/// An ACE a new child receives from its parent, with the index of the parent ACE it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InheritedAce {
    /// Index of the source ACE in the parent's ACL.
    pub source_index: usize,
    /// The ACE as the child gets it (flagged `ID`).
    pub ace: Ace,
}

/// The ACEs a new child of a folder with DACL `parent` gets by inheritance
/// (MS-SDDL ace-inheritance-rules):
///
/// * file: every `OI` ACE, as an effective ACE with no inheritance flags, generic rights mapped;
/// * folder: every `CI` ACE effective (with `NP` it stops there; otherwise it keeps propagating,
///   split into an effective mapped copy plus an inherit-only original when it has generic
///   rights or a creator trustee); `OI`-only ACEs become inherit-only (`OI IO`) unless `NP`.
///
/// `CREATOR OWNER` is replaced by `creator` when given (the account creating the child); without
/// it the `CO` placeholder is kept and then matches nobody, which is right unless the principal
/// itself created the file. Object ACEs with an inherited-object GUID are skipped: files and
/// folders have no object type.
pub fn inherit_aces(parent: &Acl, child: ChildKind, creator: Option<&Sid>) -> Vec<InheritedAce> {
    let mut out = Vec::new();
    if parent.is_null() {
        return out;
    }
    for (i, ace) in parent.aces.iter().enumerate() {
        let f = ace.flags;
        if !(f.object_inherit() || f.container_inherit()) || ace.inherited_object_type.is_some() {
            continue;
        }
        let audit = f.0 & (AceFlags::SUCCESSFUL_ACCESS | AceFlags::FAILED_ACCESS);
        let is_creator = matches!(ace.trustee, Trustee::Sid(s) if s == well_known::CREATOR_OWNER);
        let effective = |extra_flags: u16| {
            let mut a = ace.clone();
            a.flags = AceFlags(AceFlags::INHERITED | audit | extra_flags);
            a.mask = map_generic(ace.mask);
            if is_creator {
                if let Some(c) = creator {
                    a.trustee = Trustee::Sid(*c);
                }
            }
            a
        };
        let mut push = |a: Ace| {
            out.push(InheritedAce {
                source_index: i,
                ace: a,
            })
        };
        match child {
            ChildKind::File => {
                if f.object_inherit() {
                    push(effective(0));
                }
            }
            ChildKind::Folder => {
                let propagate = !f.no_propagate();
                if f.container_inherit() {
                    let needs_split = ace.mask & mask::GENERIC_MASK != 0
                        || matches!(ace.trustee, Trustee::Sid(s)
                            if s == well_known::CREATOR_OWNER || s == well_known::CREATOR_GROUP);
                    if !propagate {
                        push(effective(0));
                    } else if needs_split {
                        push(effective(0));
                        let mut io = ace.clone();
                        io.flags = AceFlags(
                            (f.0 & (AceFlags::OBJECT_INHERIT | AceFlags::CONTAINER_INHERIT))
                                | AceFlags::INHERIT_ONLY
                                | AceFlags::INHERITED
                                | audit,
                        );
                        push(io);
                    } else {
                        let mut a = ace.clone();
                        a.flags = AceFlags(
                            (f.0 & (AceFlags::OBJECT_INHERIT | AceFlags::CONTAINER_INHERIT))
                                | AceFlags::INHERITED
                                | audit,
                        );
                        push(a);
                    }
                } else if propagate {
                    // OI only: not effective on the subfolder, carried on for its files.
                    let mut io = ace.clone();
                    io.flags = AceFlags(
                        AceFlags::OBJECT_INHERIT
                            | AceFlags::INHERIT_ONLY
                            | AceFlags::INHERITED
                            | audit,
                    );
                    push(io);
                }
            }
        }
    }
    out
}

/// The DACL a new child would get from `parent` (flags `AI`, ACEs from [`inherit_aces`]).
pub fn inherited_acl(parent: &Acl, child: ChildKind, creator: Option<&Sid>) -> Acl {
    Acl {
        flags: super::sddl::AclFlags {
            auto_inherited: true,
            ..Default::default()
        },
        aces: inherit_aces(parent, child, creator)
            .into_iter()
            .map(|i| i.ace)
            .collect(),
    }
}

/// How the access check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every requested bit is granted.
    Granted,
    /// A deny ACE denied a requested bit (see the last evidence entry).
    Denied,
    /// The ACL ran out before every requested bit was granted (implicit deny).
    NotGranted,
    /// The DACL the object would have cannot be known (see `notes`).
    Undetermined,
}

/// What an evidence ACE did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// It granted `bits`.
    Allowed,
    /// It denied `bits`.
    Denied,
    /// It might grant or deny `bits`; the engine could not tell (see `reason`).
    Uncertain,
}

/// One ACE that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Index of the ACE in the DACL as read (for files: in the folder's DACL it was inherited from).
    pub index: usize,
    /// The ACE as printed SDDL, e.g. `(A;OICI;0x1200a9;;;S-1-5-17)`.
    pub ace: String,
    /// Its type.
    pub ace_type: AceType,
    /// What it did.
    pub effect: Effect,
    /// The requested bits it granted, denied or might affect.
    pub bits: u32,
    /// Why the effect is uncertain.
    pub reason: Option<String>,
}

/// The answer to "does this principal hold these rights", with evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    /// The requested rights (generic bits mapped).
    pub desired: u32,
    /// Requested bits granted.
    pub granted: u32,
    /// Requested bits not granted (`desired & !granted`).
    pub missing: u32,
    /// How it ended.
    pub outcome: Outcome,
    /// The deciding ACEs in walk order: the allows that granted bits, then the deny if any.
    pub evidence: Vec<Evidence>,
    /// ACEs matching the principal whose effect could not be determined; when non-empty the
    /// outcome is only as good as the assumption that they do not apply.
    pub uncertain: Vec<Evidence>,
    /// Bits granted implicitly because the principal owns the object (READ_CONTROL, WRITE_DAC).
    pub owner_implicit: u32,
    /// Explanations (null DACL, ignored object ACEs, …).
    pub notes: Vec<String>,
}

impl AccessDecision {
    /// Every requested bit is granted.
    pub fn is_granted(&self) -> bool {
        self.outcome == Outcome::Granted
    }

    /// No ACE of uncertain effect matched and the outcome is determined.
    pub fn is_definite(&self) -> bool {
        self.uncertain.is_empty() && self.outcome != Outcome::Undetermined
    }

    fn fixed(desired: u32, outcome: Outcome, note: &str) -> AccessDecision {
        let granted = if outcome == Outcome::Granted {
            desired
        } else {
            0
        };
        AccessDecision {
            desired,
            granted,
            missing: desired & !granted,
            outcome,
            evidence: Vec::new(),
            uncertain: Vec::new(),
            owner_implicit: 0,
            notes: vec![note.to_string()],
        }
    }
}

/// Read & Execute on a folder and on the files it contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadExecute {
    /// On the folder itself.
    pub folder: AccessDecision,
    /// On a file created in the folder that inherits its ACL (the content-file assumption).
    pub files: AccessDecision,
}

/// Checks `desired` for `principal` against the DACL of an object. `dacl` is `None` when the
/// descriptor has no DACL at all (treated like a null DACL: full access). `owner` is the object's
/// owner, for the implicit owner rights and `OWNER RIGHTS` ACEs.
pub fn check_access(
    dacl: Option<&Acl>,
    principal: &Principal,
    desired: u32,
    owner: Option<&Sid>,
) -> AccessDecision {
    let desired = map_generic(desired);
    let Some(acl) = dacl else {
        return AccessDecision::fixed(
            desired,
            Outcome::Granted,
            "the security descriptor has no DACL: everyone has full access",
        );
    };
    if acl.is_null() {
        return AccessDecision::fixed(
            desired,
            Outcome::Granted,
            "null DACL (NO_ACCESS_CONTROL): everyone has full access",
        );
    }
    let entries = acl
        .aces
        .iter()
        .enumerate()
        .filter(|(_, a)| !a.flags.inherit_only())
        .map(|(i, a)| (i, a, a.clone()));
    let mut d = walk(entries, principal, desired, owner);
    if acl.aces.is_empty() {
        d.notes
            .push("empty DACL: nobody is granted any access".to_string());
    }
    d
}

/// Checks `desired` on a new child (file or subfolder) of a folder whose DACL is `parent`, using
/// the ACEs the child inherits. Evidence indexes point into the **parent's** DACL and show the
/// parent's ACE text. The child's owner (creator) is unknown, so no owner rights apply.
pub fn check_child_access(
    parent: Option<&Acl>,
    child: ChildKind,
    principal: &Principal,
    desired: u32,
) -> AccessDecision {
    let desired = map_generic(desired);
    let Some(parent) = parent.filter(|p| !p.is_null()) else {
        return AccessDecision::fixed(
            desired,
            Outcome::Undetermined,
            "the folder has no DACL or a null DACL, so it passes nothing on: a new item gets the \
             default DACL of the process creating it",
        );
    };
    let inherited = inherit_aces(parent, child, None);
    if inherited.is_empty() {
        return AccessDecision::fixed(
            desired,
            Outcome::Undetermined,
            match child {
                ChildKind::File => {
                    "no ACE of the folder is inherited by files (no OI ACEs): a new file gets the \
                     default DACL of the process creating it"
                }
                ChildKind::Folder => {
                    "no ACE of the folder is inherited by subfolders: a new subfolder gets the \
                     default DACL of the process creating it"
                }
            },
        );
    }
    let entries = inherited
        .into_iter()
        .filter(|i| !i.ace.flags.inherit_only())
        .filter_map(|i| {
            parent
                .aces
                .get(i.source_index)
                .map(|src| (i.source_index, src, i.ace))
        });
    let mut d = walk(entries, principal, desired, None);
    d.notes.push(format!(
        "judged on the DACL a new {} inherits from the folder (assumes content files carry no \
         explicit ACEs of their own)",
        match child {
            ChildKind::File => "file",
            ChildKind::Folder => "subfolder",
        }
    ));
    d
}

/// Read & Execute for `principal` on the folder described by `sd` and on the files inside it.
pub fn read_execute(sd: &SecurityDescriptor, principal: &Principal) -> ReadExecute {
    let owner = sd.owner.as_ref().and_then(Trustee::sid);
    ReadExecute {
        folder: check_access(sd.dacl.as_ref(), principal, READ_EXECUTE, owner),
        files: check_child_access(sd.dacl.as_ref(), ChildKind::File, principal, READ_EXECUTE),
    }
}

enum Match {
    Yes,
    No,
    Maybe(String),
}

fn trustee_matches(t: &Trustee, p: &Principal, owner: Option<&Sid>) -> Match {
    match t {
        Trustee::Sid(s) if *s == well_known::OWNER_RIGHTS => {
            if owner.is_some_and(|o| p.has_sid(o)) {
                Match::Yes
            } else {
                Match::No
            }
        }
        Trustee::Sid(s) => {
            if p.has_sid(s) {
                Match::Yes
            } else if p.generic && s.is_account_domain() {
                Match::Maybe(format!(
                    "{s} is a domain or machine account/group; whether a given authenticated \
                     user belongs to it is unknown"
                ))
            } else {
                Match::No
            }
        }
        Trustee::Relative { rid, .. } => {
            if p.generic {
                Match::Maybe(format!(
                    "`{t}` is a domain-relative group; membership of a given authenticated user \
                     is unknown"
                ))
            } else if p.sids().any(|s| {
                s.is_account_domain() && s.sub_authorities().len() == 5 && s.rid() == Some(*rid)
            }) {
                Match::Maybe(format!(
                    "`{t}` is domain-relative (RID {rid}); the principal has a domain SID with \
                     that RID but the SDDL does not name the domain"
                ))
            } else {
                Match::No
            }
        }
    }
}

fn walk<'a>(
    entries: impl Iterator<Item = (usize, &'a Ace, Ace)>,
    principal: &Principal,
    desired: u32,
    owner: Option<&Sid>,
) -> AccessDecision {
    let entries: Vec<(usize, &Ace, Ace)> = entries.collect();
    let mut d = AccessDecision {
        desired,
        granted: 0,
        missing: desired,
        outcome: Outcome::NotGranted,
        evidence: Vec::new(),
        uncertain: Vec::new(),
        owner_implicit: 0,
        notes: Vec::new(),
    };
    // The owner is implicitly granted READ_CONTROL and WRITE_DAC unless an OWNER RIGHTS ACE
    // applies to the object; AccessCheck takes these before walking, so no deny can remove them.
    let has_owner_rights = entries
        .iter()
        .any(|(_, _, a)| a.trustee == Trustee::Sid(well_known::OWNER_RIGHTS));
    if owner.is_some_and(|o| principal.has_sid(o)) && !has_owner_rights {
        d.owner_implicit = desired & (mask::READ_CONTROL | mask::WRITE_DAC);
        d.granted |= d.owner_implicit;
    }
    let mut ignored_object = false;
    let mut ignored_other = false;
    for (index, src, eff) in &entries {
        if d.granted == desired {
            break;
        }
        let t = eff.ace_type;
        if !(t.is_allow() || t.is_deny()) {
            ignored_other = true;
            continue;
        }
        if eff.object_type.is_some() {
            // File access checks pass no object-type list, so type-specific ACEs never apply.
            ignored_object = true;
            continue;
        }
        let bits = map_generic(eff.mask) & desired & !d.granted;
        if bits == 0 {
            continue;
        }
        let ev = |effect, reason| Evidence {
            index: *index,
            ace: src.to_string(),
            ace_type: src.ace_type,
            effect,
            bits,
            reason,
        };
        match trustee_matches(&eff.trustee, principal, owner) {
            Match::No => continue,
            Match::Maybe(r) => {
                d.uncertain.push(ev(Effect::Uncertain, Some(r)));
                continue;
            }
            Match::Yes => {}
        }
        if t.is_callback() {
            d.uncertain.push(ev(
                Effect::Uncertain,
                Some(format!(
                    "conditional ACE: applies only when its condition {} holds, which is not \
                     evaluated",
                    eff.extra.as_deref().unwrap_or("(none given)")
                )),
            ));
            continue;
        }
        if t.is_allow() {
            d.granted |= bits;
            d.evidence.push(ev(Effect::Allowed, None));
        } else {
            d.evidence.push(ev(Effect::Denied, None));
            d.missing = desired & !d.granted;
            d.outcome = Outcome::Denied;
            add_notes(&mut d, ignored_object, ignored_other);
            return d;
        }
    }
    d.missing = desired & !d.granted;
    d.outcome = if d.missing == 0 {
        // An allow of unknown effect cannot change a grant.
        d.uncertain.retain(|e| !e.ace_type.is_allow());
        Outcome::Granted
    } else {
        Outcome::NotGranted
    };
    add_notes(&mut d, ignored_object, ignored_other);
    d
}

fn add_notes(d: &mut AccessDecision, ignored_object: bool, ignored_other: bool) {
    if ignored_object {
        d.notes.push(
            "object ACEs with an object-type GUID were ignored: file access checks use no object types"
                .to_string(),
        );
    }
    if ignored_other {
        d.notes
            .push("audit, label or other non-access ACEs in the DACL were ignored".to_string());
    }
}
