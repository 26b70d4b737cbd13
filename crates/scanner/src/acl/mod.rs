//! ACL and identity engine: SDDL, effective access, IIS identities.
//!
//! Answers the question behind 401.3 ("access denied by ACL"): which Windows identity does IIS
//! use to read this content, and does the folder's DACL give it Read & Execute? Everything is
//! decided by SID, never by name (group names are localized).
//!
//! * [`sddl`] — SDDL parser and printer ([`sddl::parse`] → [`SecurityDescriptor`], `Display`
//!   back), typed errors with character offsets, size bounds.
//! * [`sid`] — the [`Sid`] type, well-known SIDs ([`sid::well_known`]), SDDL SID aliases,
//!   friendly names.
//! * [`access`] — AccessCheck-style evaluation of a DACL for a [`Principal`] on the folder and on
//!   files inheriting from it, with the deciding ACEs as evidence.
//! * [`identity`] — app-pool virtual-account SIDs, the built-in IIS identities and their token
//!   groups, resolution through the snapshot's accounts table, the content-reading identities of
//!   an application, stale pool SIDs.
//! * [`icacls`] — `icacls /save` files and plain `icacls` listings (offline bundles) → SDDL.
//! * [`render`] — friendly SID names and `icacls`-style ACE text for messages.
//!
//! Typical use:
//!
//! ```
//! use iis_sweep::acl::{identity, sddl, access};
//! let sd = sddl::parse("D:PAI(A;OICI;FA;;;SY)(A;OICI;0x1200a9;;;BU)").unwrap();
//! let re = access::read_execute(&sd, &identity::iusr());
//! assert!(re.folder.is_granted() && re.files.is_granted());
//! assert_eq!(re.files.evidence[0].ace, "(A;OICI;0x1200a9;;;BU)");
//! ```

pub mod access;
pub mod error;
pub mod icacls;
pub mod identity;
pub mod render;
pub mod sddl;
pub mod sid;

#[cfg(test)]
mod tests;

pub use access::{
    check_access, check_child_access, inherit_aces, inherited_acl, map_generic, read_execute,
    AccessDecision, ChildKind, Effect, Evidence, InheritedAce, Outcome, ReadExecute, READ_EXECUTE,
};
pub use identity::{
    account_principal, app_pool_identity, app_pool_name, app_pool_sid, authenticated_user,
    content_identities, iusr, local_service, local_system, network_service, pool_principal,
    stale_app_pool_sids, AppIdentityInputs, AuthMode, ContentIdentity, IdentitySource, LogonMethod,
    PoolIdentityType, PoolLogonType, Principal, Unresolved,
};
pub use render::{display_sid, display_trustee, icacls_ace, icacls_rights};
pub use sddl::{
    parse, parse_ace, parse_acl, Ace, AceFlags, AceType, Acl, AclFlags, Guid, SddlError,
    SddlErrorKind, SecurityDescriptor, Trustee,
};
pub use sid::{well_known, well_known_name, RelativeScope, Sid};

/// Fuzzing entry point (`fuzz/fuzz_targets/parse_sddl.rs`; its seed corpus is replayed by
/// `cargo test`). Never panics: parse, print, parse again, compare, evaluate access.
#[doc(hidden)]
pub fn fuzz_sddl(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(sd) = parse(&text) else {
        return;
    };
    let printed = sd.to_sddl();
    let again =
        parse(&printed).unwrap_or_else(|e| panic!("printed SDDL does not parse: {e}: {printed}"));
    assert_eq!(sd, again, "round trip changed the descriptor: {printed}");
    for principal in [
        iusr(),
        app_pool_identity("DefaultAppPool", false),
        network_service(false),
    ] {
        let _ = read_execute(&sd, &principal);
    }
}

#[cfg(test)]
mod fuzz_corpus {
    #[test]
    fn seed_corpus_replays_without_panic() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_sddl");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            super::fuzz_sddl(&bytes);
            n += 1;
        }
        assert!(n >= 5, "seed corpus missing in {}", dir.display());
    }
}
