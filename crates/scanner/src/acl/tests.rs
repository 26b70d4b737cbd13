//! Tests of the ACL and identity engine.

use super::access::*;
use super::identity::*;
use super::render::*;
use super::sddl::*;
use super::sid::{well_known as wk, RelativeScope, Sid, SID_ALIASES};
use crate::snapshot::AccountFact;

const TI: &str = "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464";

fn wwwroot() -> String {
    format!(
        "O:{TI}G:{TI}D:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)\
         (A;;0x1200a9;;;IS)(A;OICIIO;GXGR;;;IS)(A;;FA;;;{TI})(A;OICIIO;GA;;;{TI})"
    )
}

fn sid(s: &str) -> Sid {
    s.parse().unwrap()
}

fn sd(s: &str) -> SecurityDescriptor {
    parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn dacl(s: &str) -> Acl {
    sd(s).dacl.unwrap()
}

fn roundtrip(s: &str) -> SecurityDescriptor {
    let a = sd(s);
    let printed = a.to_string();
    let b = parse(&printed).unwrap_or_else(|e| panic!("reparse of {printed}: {e}"));
    assert_eq!(a, b, "{s} → {printed}");
    a
}

fn err(s: &str) -> SddlError {
    match parse(s) {
        Ok(v) => panic!("{s} parsed as {v:?}"),
        Err(e) => e,
    }
}

fn user(groups: &[Sid]) -> Principal {
    Principal::new(
        "CONTOSO\\web",
        sid("S-1-5-21-1-2-3-1001"),
        groups.iter().copied(),
    )
}

fn fact(name: &str, sid: &str, groups: &[&str]) -> AccountFact {
    AccountFact {
        name: name.to_string(),
        sid: Some(sid.to_string()),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        enabled: Some(true),
        error: None,
    }
}

// ---------------------------------------------------------------------------------------------
// SIDs and identities

#[test]
fn app_pool_sids_match_published_values() {
    assert_eq!(
        app_pool_sid("DefaultAppPool").to_string(),
        "S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415"
    );
    assert_eq!(
        app_pool_sid(".NET v4.5").to_string(),
        "S-1-5-82-271721585-897601226-2024613209-625570482-296978595"
    );
    assert_eq!(
        app_pool_sid(".NET v4.5 Classic").to_string(),
        "S-1-5-82-3876422241-1344743610-1729199087-774402673-2621913236"
    );
    // The name is lower-cased first.
    assert_eq!(
        app_pool_sid("DEFAULTAPPPOOL"),
        app_pool_sid("defaultapppool")
    );
    assert!(app_pool_sid("x").is_app_pool_account());
    assert!(!wk::APP_POOL_GROUP.is_app_pool_account());
}

#[test]
fn sid_parse_and_print() {
    for s in [
        "S-1-5-17",
        "S-1-1-0",
        "S-1-5-32-568",
        "S-1-5",
        TI,
        "S-1-5-21-4294967295-1-2-500",
        "S-1-0x123456789ABC-7",
    ] {
        assert_eq!(sid(s).to_string(), s);
    }
    assert_eq!(sid("s-1-5-18"), wk::LOCAL_SYSTEM);
    assert_eq!(sid("S-1-0x5-18"), wk::LOCAL_SYSTEM);
    assert_eq!(wk::IIS_IUSRS.rid(), Some(568));
    assert!(Sid::parse("S-1-5-4294967296").is_err());
    assert!(Sid::parse("S-1-281474976710656").is_err());
    assert!(Sid::parse("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16").is_err());
    assert!(Sid::parse("S-1-5-").is_err());
    assert!(Sid::parse("S-1-5-17x").is_err());
    let json = serde_json::to_string(&wk::IUSR).unwrap();
    assert_eq!(json, "\"S-1-5-17\"");
    assert_eq!(serde_json::from_str::<Sid>(&json).unwrap(), wk::IUSR);
}

#[test]
fn friendly_names() {
    assert_eq!(
        super::sid::well_known_name(&wk::IUSR),
        Some("NT AUTHORITY\\IUSR")
    );
    assert_eq!(
        display_sid(&wk::IIS_IUSRS, &[] as &[&str]),
        "BUILTIN\\IIS_IUSRS"
    );
    assert_eq!(
        display_sid(&sid(TI), &[] as &[&str]),
        "NT SERVICE\\TrustedInstaller"
    );
    assert_eq!(
        display_sid(&app_pool_sid("Shop"), &["DefaultAppPool", "Shop"]),
        "IIS APPPOOL\\Shop"
    );
    assert_eq!(
        display_sid(&sid("S-1-5-21-1-2-3-1001"), &[] as &[&str]),
        "S-1-5-21-1-2-3-1001"
    );
    assert_eq!(
        display_trustee(
            &Trustee::Relative {
                scope: RelativeScope::Domain,
                rid: 513
            },
            &[] as &[&str]
        ),
        "<domain>\\Domain Users"
    );
}

#[test]
fn stale_pool_sids() {
    let old = app_pool_sid("OldShop");
    let sids = [
        app_pool_sid("DefaultAppPool"),
        wk::APP_POOL_GROUP,
        old,
        wk::BUILTIN_USERS,
        old,
        app_pool_sid("Shop"),
    ];
    assert_eq!(
        stale_app_pool_sids(&sids, &["DefaultAppPool", "Shop"]),
        vec![old]
    );
    // Pool names compare case-insensitively, like the SID algorithm.
    assert!(stale_app_pool_sids(&sids[..1], &["defaultapppool"]).is_empty());
    let acl = sd(&format!("D:(A;OICI;0x1200a9;;;{old})(A;;FA;;;S-1-5-82-0)"));
    assert_eq!(stale_app_pool_sids(&acl.sids(), &["Shop"]), vec![old]);
    assert_eq!(
        stale_app_pool_sids(&acl.dacl.unwrap().sids(), &["Shop"]),
        vec![old]
    );
}

#[test]
fn iusr_token() {
    let p = iusr();
    assert_eq!(p.user_sid, wk::IUSR);
    for g in [wk::EVERYONE, wk::BUILTIN_USERS, wk::AUTHENTICATED_USERS] {
        assert!(p.has_sid(&g), "{g}");
    }
    assert!(!p.has_sid(&wk::IIS_IUSRS));
    assert!(!p.has_sid(&wk::NETWORK));
    assert!(!p.generic);
}

#[test]
fn app_pool_token() {
    let p = app_pool_identity("DefaultAppPool", false);
    assert_eq!(p.user_sid, app_pool_sid("DefaultAppPool"));
    assert_eq!(p.description, "IIS APPPOOL\\DefaultAppPool");
    for g in [
        wk::EVERYONE,
        wk::BUILTIN_USERS,
        wk::SERVICE,
        wk::CONSOLE_LOGON,
        wk::AUTHENTICATED_USERS,
        wk::THIS_ORGANIZATION,
        wk::IIS_IUSRS,
        wk::LOCAL,
        wk::APP_POOL_GROUP,
    ] {
        assert!(p.has_sid(&g), "{g}");
    }
    assert!(!app_pool_identity("DefaultAppPool", true).has_sid(&wk::IIS_IUSRS));
    assert!(network_service(false).has_sid(&wk::IIS_IUSRS));
    assert_eq!(local_service(false).user_sid, wk::LOCAL_SERVICE);
    assert!(local_system(true).has_sid(&wk::BUILTIN_ADMINISTRATORS));
    assert!(!local_system(true).has_sid(&wk::IIS_IUSRS));
}

#[test]
fn authenticated_user_logon_sids() {
    let w = authenticated_user(LogonMethod::Network);
    assert!(w.generic);
    assert!(w.has_sid(&wk::NETWORK) && w.has_sid(&wk::BUILTIN_USERS));
    assert!(!w.has_sid(&wk::INTERACTIVE));
    assert!(authenticated_user(LogonMethod::Interactive).has_sid(&wk::INTERACTIVE));
    assert!(authenticated_user(LogonMethod::Batch).has_sid(&wk::BATCH));
    assert!(authenticated_user(LogonMethod::ClearText).has_sid(&wk::NETWORK));
    assert_eq!(
        "clearText".parse::<LogonMethod>(),
        Ok(LogonMethod::ClearText)
    );
    assert_eq!(
        "specificuser".parse::<PoolIdentityType>(),
        Ok(PoolIdentityType::SpecificUser)
    );
    assert!("bogus".parse::<PoolIdentityType>().is_err());
}

#[test]
fn account_resolution() {
    let accounts = vec![
        fact(
            "CONTOSO\\svc-web",
            "S-1-5-21-1-2-3-1105",
            &["S-1-5-21-1-2-3-513", "S-1-5-32-545", "not-a-sid"],
        ),
        AccountFact {
            name: "CONTOSO\\gone".into(),
            sid: None,
            groups: vec![],
            enabled: None,
            error: Some("No mapping between account names and security IDs".into()),
        },
        AccountFact {
            name: "CONTOSO\\nosid".into(),
            sid: None,
            groups: vec![],
            enabled: None,
            error: None,
        },
    ];
    let p = account_principal("contoso\\SVC-WEB", &accounts, &[wk::NETWORK]).unwrap();
    assert_eq!(p.user_sid, sid("S-1-5-21-1-2-3-1105"));
    assert!(p.has_sid(&sid("S-1-5-21-1-2-3-513")) && p.has_sid(&wk::NETWORK));
    assert!(p.notes.iter().any(|n| n.contains("not-a-sid")));
    let e = account_principal("CONTOSO\\other", &accounts, &[]).unwrap_err();
    assert!(e.reason.contains("not in the snapshot"), "{e}");
    let e = account_principal("CONTOSO\\gone", &accounts, &[]).unwrap_err();
    assert!(e.reason.contains("No mapping"), "{e}");
    assert!(account_principal("CONTOSO\\nosid", &accounts, &[]).is_err());
}

#[test]
fn content_identities_per_mode() {
    let base = AppIdentityInputs {
        anonymous_enabled: true,
        pool_name: "DefaultAppPool".into(),
        ..Default::default()
    };
    // Attribute absent → IUSR.
    let ids = content_identities(&base, &[]);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].source, IdentitySource::Iusr);
    assert_eq!(ids[0].modes, vec![AuthMode::Anonymous]);
    assert_eq!(ids[0].principal.as_ref().unwrap().user_sid, wk::IUSR);

    // userName="" → the pool identity.
    let app = AppIdentityInputs {
        anonymous_user: Some(String::new()),
        ..base.clone()
    };
    let ids = content_identities(&app, &[]);
    assert_eq!(ids[0].source, IdentitySource::PoolIdentity);
    let p = ids[0].principal.as_ref().unwrap();
    assert_eq!(p.user_sid, app_pool_sid("DefaultAppPool"));
    assert!(p.has_sid(&wk::IIS_IUSRS));

    // userName="" with a SpecificUser pool that the table does not know → unresolved.
    let app = AppIdentityInputs {
        anonymous_user: Some(String::new()),
        pool_identity: PoolIdentityType::SpecificUser,
        pool_user: Some("CONTOSO\\apppool".into()),
        ..base.clone()
    };
    assert!(content_identities(&app, &[])[0].principal.is_err());
    let accounts = [fact("CONTOSO\\apppool", "S-1-5-21-1-2-3-2000", &[])];
    let p = content_identities(&app, &accounts)[0]
        .principal
        .clone()
        .unwrap();
    assert!(p.has_sid(&wk::BATCH) && p.has_sid(&wk::IIS_IUSRS));
    let app = AppIdentityInputs {
        pool_user: None,
        ..app
    };
    assert!(content_identities(&app, &accounts)[0].principal.is_err());

    // A custom anonymous account.
    let app = AppIdentityInputs {
        anonymous_user: Some("CONTOSO\\anon".into()),
        ..base.clone()
    };
    let ids = content_identities(&app, &[]);
    assert_eq!(
        ids[0].source,
        IdentitySource::AnonymousAccount("CONTOSO\\anon".into())
    );
    assert!(ids[0].principal.is_err());
    let accounts = [fact(
        "CONTOSO\\anon",
        "S-1-5-21-1-2-3-3000",
        &["S-1-5-32-545"],
    )];
    let p = content_identities(&app, &accounts)[0]
        .principal
        .clone()
        .unwrap();
    assert!(p.has_sid(&wk::NETWORK) && p.has_sid(&wk::BUILTIN_USERS));
    // userName="IUSR" explicitly → built-in IUSR.
    let app = AppIdentityInputs {
        anonymous_user: Some("IUSR".into()),
        ..base.clone()
    };
    assert_eq!(
        content_identities(&app, &[])[0].source,
        IdentitySource::Iusr
    );

    // Windows + Basic (interactive) + Digest, anonymous off.
    let app = AppIdentityInputs {
        anonymous_enabled: false,
        windows_auth: true,
        basic_auth: true,
        basic_logon: LogonMethod::Interactive,
        digest_auth: true,
        ..base.clone()
    };
    let ids = content_identities(&app, &[]);
    assert_eq!(ids.len(), 3);
    assert!(ids
        .iter()
        .all(|i| i.source == IdentitySource::AuthenticatedUser));
    assert!(ids[1].principal.as_ref().unwrap().has_sid(&wk::INTERACTIVE));
    assert!(ids[2].principal.as_ref().unwrap().has_sid(&wk::NETWORK));

    // Connect-as replaces file access for every mode.
    let app = AppIdentityInputs {
        windows_auth: true,
        connect_as: Some("CONTOSO\\share".into()),
        ..base.clone()
    };
    let ids = content_identities(&app, &[]);
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].modes, vec![AuthMode::Anonymous, AuthMode::Windows]);
    assert_eq!(
        ids[0].source,
        IdentitySource::ConnectAs("CONTOSO\\share".into())
    );
    assert!(ids[0].principal.is_err());
    let accounts = [fact("CONTOSO\\share", "S-1-5-21-1-2-3-4000", &[])];
    assert!(content_identities(&app, &accounts)[0].principal.is_ok());

    // Nothing enabled → nobody reads.
    let app = AppIdentityInputs {
        anonymous_enabled: false,
        ..base
    };
    assert!(content_identities(&app, &[]).is_empty());
}

#[test]
fn observed_groups_are_merged_for_builtins() {
    let accounts = [fact("IUSR", "S-1-5-17", &["S-1-5-21-9-9-9-1234"])];
    let ids = content_identities(
        &AppIdentityInputs {
            anonymous_enabled: true,
            ..Default::default()
        },
        &accounts,
    );
    assert!(ids[0]
        .principal
        .as_ref()
        .unwrap()
        .has_sid(&sid("S-1-5-21-9-9-9-1234")));
    // A table entry with another SID is not trusted for a built-in.
    let accounts = [fact("IUSR", "S-1-5-21-9-9-9-1", &["S-1-5-21-9-9-9-1234"])];
    let ids = content_identities(
        &AppIdentityInputs {
            anonymous_enabled: true,
            ..Default::default()
        },
        &accounts,
    );
    assert!(!ids[0]
        .principal
        .as_ref()
        .unwrap()
        .has_sid(&sid("S-1-5-21-9-9-9-1234")));
}

// ---------------------------------------------------------------------------------------------
// SDDL parsing and printing

#[test]
fn wwwroot_default_acl() {
    let text = wwwroot();
    let d = roundtrip(&text);
    assert_eq!(d.owner, Some(Trustee::Sid(sid(TI))));
    assert_eq!(d.group, Some(Trustee::Sid(sid(TI))));
    let acl = d.dacl.as_ref().unwrap();
    assert!(acl.flags.protected && acl.flags.auto_inherited && !acl.flags.null_acl);
    assert_eq!(acl.aces.len(), 8);
    let a0 = &acl.aces[0];
    assert_eq!(a0.ace_type, AceType::Allow);
    assert_eq!(
        a0.flags.0,
        AceFlags::OBJECT_INHERIT | AceFlags::CONTAINER_INHERIT | AceFlags::INHERIT_ONLY
    );
    assert_eq!(a0.mask, mask::GENERIC_ALL);
    assert_eq!(a0.trustee, Trustee::Sid(wk::CREATOR_OWNER));
    assert_eq!(acl.aces[3].mask, 0x1200a9);
    assert_eq!(acl.aces[3].trustee, Trustee::Sid(wk::BUILTIN_USERS));
    assert_eq!(acl.aces[4].trustee, Trustee::Sid(wk::IIS_IUSRS));
    assert_eq!(acl.aces[5].mask, mask::GENERIC_EXECUTE | mask::GENERIC_READ);
    assert_eq!(acl.aces[6].mask, mask::FILE_ALL_ACCESS);
    // Printing keeps everything but spells GXGR in table order.
    assert_eq!(d.to_sddl(), text.replace("GXGR", "GRGX"));
}

#[test]
fn roundtrip_real_strings() {
    for s in [
        "D:(A;;FA;;;WD)",
        "D:(D;OICI;FA;;;AN)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;S-1-5-17)",
        "O:BAG:SYD:AI(A;ID;FA;;;SY)(A;OICIID;0x1200a9;;;BU)(A;OICIIOID;GA;;;CO)(A;CIID;0x100004;;;BU)",
        "D:PAI(A;OICI;0x1200a9;;;S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415)",
        "D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)\
         (OD;CI;RPWP;bf967a86-0de6-11d0-a285-00aa003049e2;bf967aba-0de6-11d0-a285-00aa003049e2;PS)",
        "D:(XA;;FX;;;S-1-1-0;(@User.Title==\"PM\" && (@User.Division==\"Finance\" || @User.Division ==\" Sales\")))",
        "D:(XD;OICI;FA;;;AU;(Member_of {SID(BA)}))(ZA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD;(x==1))",
        "S:AI(AU;SAFA;FA;;;WD)(ML;;NW;;;LW)",
        "S:(RA;CI;;;;S-1-1-0;(\"Project\",TS,0,\"Windows\",\"SQL\"))(SP;;;;;S-1-17-1)",
        "D:NO_ACCESS_CONTROL",
        "D:PARAI",
        "D:",
        "",
        "O:DAG:DUD:(A;;FA;;;DA)(A;;FR;;;LA)(A;;FR;;;EA)",
        "D:(A;;WD;;;WD)(A;;RC;;;RC)(A;;SD;;;SY)(A;CR;0x1;;;IU)(A;TP;0x1;;;IS)",
        "D:(A;;KAKRKWKX;;;BU)(A;;CCDCLCSWRPWPDTLOCR;;;BU)(A;;NRNWNX;;;BU)",
    ] {
        roundtrip(s);
    }
}

#[test]
fn letters_mean_different_things_in_rights_and_sid_positions() {
    let a = &dacl("D:(A;;WD;;;WD)").aces[0];
    assert_eq!(a.mask, mask::WRITE_DAC);
    assert_eq!(a.trustee, Trustee::Sid(wk::EVERYONE));
    let a = &dacl("D:(A;;RC;;;RC)").aces[0];
    assert_eq!(a.mask, mask::READ_CONTROL);
    assert_eq!(a.trustee, Trustee::Sid(wk::RESTRICTED));
    let a = &dacl("D:(A;;SD;;;SA)").aces[0];
    assert_eq!(a.mask, mask::DELETE);
    assert_eq!(
        a.trustee,
        Trustee::Relative {
            scope: RelativeScope::RootDomain,
            rid: 518
        }
    );
    // IU is INTERACTIVE, not IUSR; IS is IIS_IUSRS.
    assert_eq!(
        dacl("D:(A;;FA;;;IU)").aces[0].trustee,
        Trustee::Sid(wk::INTERACTIVE)
    );
    assert_eq!(
        dacl("D:(A;;FA;;;IS)").aces[0].trustee,
        Trustee::Sid(wk::IIS_IUSRS)
    );
}

#[test]
fn every_alias_parses_and_prints_back() {
    for (alias, target) in SID_ALIASES {
        let d = dacl(&format!("D:(A;;FA;;;{alias})"));
        let t = d.aces[0].trustee;
        match target {
            super::sid::AliasTarget::Sid(s) => assert_eq!(t, Trustee::Sid(*s), "{alias}"),
            super::sid::AliasTarget::Relative(scope, rid) => assert_eq!(
                t,
                Trustee::Relative {
                    scope: *scope,
                    rid: *rid
                },
                "{alias}"
            ),
        }
        assert_eq!(t.to_string(), *alias);
        assert_eq!(sd(&format!("O:{alias}")).owner, Some(t));
    }
    let spot = [
        ("BA", "S-1-5-32-544"),
        ("SY", "S-1-5-18"),
        ("BU", "S-1-5-32-545"),
        ("AU", "S-1-5-11"),
        ("WD", "S-1-1-0"),
        ("IS", "S-1-5-32-568"),
        ("NS", "S-1-5-20"),
        ("LS", "S-1-5-19"),
        ("CO", "S-1-3-0"),
        ("CG", "S-1-3-1"),
        ("AN", "S-1-5-7"),
        ("BG", "S-1-5-32-546"),
        ("PU", "S-1-5-32-547"),
        ("BO", "S-1-5-32-551"),
        ("SO", "S-1-5-32-549"),
        ("SU", "S-1-5-6"),
        ("NU", "S-1-5-2"),
        ("RD", "S-1-5-32-555"),
        ("RE", "S-1-5-32-552"),
        ("RC", "S-1-5-12"),
        ("IU", "S-1-5-4"),
        ("OW", "S-1-3-4"),
    ];
    for (alias, s) in spot {
        assert_eq!(
            dacl(&format!("D:(A;;FA;;;{alias})")).aces[0].trustee,
            Trustee::Sid(sid(s)),
            "{alias}"
        );
    }
}

#[test]
fn relative_trustee_resolution() {
    let t = sd("O:DU").owner.unwrap();
    let domain = sid("S-1-5-21-10-20-30");
    assert_eq!(
        t.resolve(|_| Some(domain)),
        Some(sid("S-1-5-21-10-20-30-513"))
    );
    assert_eq!(t.resolve(|_| None), None);
}

#[test]
fn rights_letters_and_hex() {
    let m = |r: &str| dacl(&format!("D:(A;;{r};;;WD)")).aces[0].mask;
    assert_eq!(m("FA"), 0x1F01FF);
    assert_eq!(m("FR"), 0x120089);
    assert_eq!(m("FW"), 0x120116);
    assert_eq!(m("FX"), 0x1200A0);
    assert_eq!(m("FRFX"), 0x1200A9);
    assert_eq!(m("GA"), 0x1000_0000);
    assert_eq!(m("GRGWGX"), 0xE000_0000);
    assert_eq!(m("RCSDWDWO"), 0xF0000);
    assert_eq!(m("KA"), 0xF003F);
    assert_eq!(m("KR"), 0x20019);
    assert_eq!(m("KX"), 0x20019);
    assert_eq!(m("KW"), 0x20006);
    assert_eq!(m("CCDCLCSWRPWPDTLOCR"), 0x1FF);
    assert_eq!(m("0x1200A9"), 0x1200A9);
    assert_eq!(m("0X1200a9"), 0x1200A9);
    assert_eq!(m("1179817"), 0x1200A9);
    assert_eq!(m(""), 0);
    assert_eq!(format_rights(0x1200a9), "0x1200a9");
    assert_eq!(format_rights(0x1F01FF), "FA");
    assert_eq!(format_rights(0xA000_0000), "GRGX");
    assert_eq!(format_rights(0x30), "0x30");
}

#[test]
fn parse_single_ace_and_acl() {
    let a = parse_ace("(A;OICI;0x1200a9;;;S-1-5-17)").unwrap();
    assert_eq!(a.to_string(), "(A;OICI;0x1200a9;;;S-1-5-17)");
    assert_eq!(a, Ace::new(AceType::Allow, 0x3, 0x1200a9, wk::IUSR));
    let acl = parse_acl("PAI(A;;FA;;;SY)").unwrap();
    assert!(acl.flags.protected && acl.aces.len() == 1);
    assert!(parse_ace("(A;;FA;;;SY)x").is_err());
}

#[test]
fn whitespace_and_case() {
    assert_eq!(sd("  D:(A;;FA;;;WD)\r\n"), sd("D:(A;;FA;;;WD)"));
    // Error offsets count from the start of the untrimmed input.
    assert_eq!(err("  D:(A;;FA;;;XY)").offset, 13);
}

#[test]
fn malformed_sddl_positions() {
    let cases: &[(&str, usize, &str)] = &[
        // truncated
        ("D:(A;;FA;;;WD", 13, "`)` closing the ACE"),
        ("D:(A;;FA;;", 10, "`;` after the inherited object GUID"),
        ("D:(A", 4, "`;` after the ACE type"),
        ("D:(", 3, "an ACE type"),
        ("O:", 2, "SID string"),
        ("O:S-1-", 6, "identifier authority"),
        // unknown alias
        ("D:(A;;FA;;;XY)", 11, "unknown SID alias `XY`"),
        ("D:(A;;FA;;;IUSR)", 11, "unknown SID alias `IUSR`"),
        ("O:XXG:SY", 2, "unknown SID alias `XX`"),
        // bad hex
        ("D:(A;;0x12G4;;;WD)", 10, "not a hex digit"),
        ("D:(A;;0x;;;WD)", 8, "no hex digits"),
        ("D:(A;;0x100000000;;;WD)", 6, "exceeds 32 bits"),
        ("D:(A;;12a;;;WD)", 8, "not a decimal digit"),
        // unbalanced parentheses
        ("D:(A;;FA;;;WD))", 14, "expected an ACL flag"),
        ("D:A;;FA;;;WD)", 2, "expected an ACL flag"),
        ("D:(A;;FA;;;WD)(", 15, "an ACE type"),
        ("D:(A;;FA)", 8, "`;` after the access rights"),
        ("D:(XA;;FX;;;WD;((a)", 15, "unbalanced"),
        ("D:(XA;;FX;;;WD;(\")", 15, "unbalanced"),
        ("D:(XA;;FX;;;WD;(\")\")", 20, "`)` closing the ACE"),
        // other fields
        ("D:(Q;;FA;;;WD)", 3, "unknown ACE type `Q`"),
        ("D:(A;XX;FA;;;WD)", 5, "unknown ACE flag `XX`"),
        ("D:(A;OIC;FA;;;WD)", 7, "unknown ACE flag `C`"),
        ("D:(A;;FAZZ;;;WD)", 8, "unknown access right `ZZ`"),
        (
            "D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529;;WD)",
            45,
            "8-4-4-4-12",
        ),
        (
            "D:(OA;;CR;ab721a53_1e2f-11d0-9819-00aa0040529b;;WD)",
            18,
            "expected `-`",
        ),
        (
            "D:(A;;FA;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)",
            9,
            "takes no object GUIDs",
        ),
        ("D:(A;;FA;;;S-1-5-abc)", 17, "sub-authority digits"),
        ("D:(A;;FA;;;S-2-5-18)", 13, "revision"),
        (
            "D:(A;;FA;;;S-1-5-18x)",
            19,
            "`)` closing the ACE after the SID",
        ),
        ("D:(A;;FA;;;WD;(x))", 13, "`)` closing the ACE"),
        ("D:D:", 2, "duplicate `D:`"),
        ("X:", 0, "a component"),
        ("O:BAx", 4, "next component"),
        ("D:PX", 3, "expected an ACL flag"),
    ];
    for (input, offset, needle) in cases {
        let e = err(input);
        let msg = e.to_string();
        assert_eq!(e.offset, *offset, "{input}: {msg}");
        assert!(msg.contains(needle), "{input}: {msg} lacks {needle}");
    }
}

#[test]
fn error_offsets_are_in_characters() {
    // `é` is two bytes; the offset counts it once.
    let e = err("D:(A;;FA;;;ééé)");
    assert_eq!(e.offset, 11);
    let e = err("D:(A;;FA;;;WD)é");
    assert_eq!(e.offset, 14);
    assert!(e.to_string().contains("`é`"), "{e}");
}

#[test]
fn bounds() {
    let big = format!("D:{}", "(A;;FA;;;WD)".repeat(6000));
    assert!(matches!(err(&big).kind, SddlErrorKind::TooLong { .. }));
    let many = format!("D:{}", "(A;;FA;;;WD)".repeat(MAX_ACES + 1));
    let e = err(&many);
    assert_eq!(e.kind, SddlErrorKind::TooManyAces { max: MAX_ACES });
    assert_eq!(e.offset, 2 + 12 * MAX_ACES);
    let ok = format!("D:{}", "(A;;FA;;;WD)".repeat(MAX_ACES));
    assert_eq!(sd(&ok).dacl.unwrap().aces.len(), MAX_ACES);
}

// ---------------------------------------------------------------------------------------------
// Effective access

#[test]
fn generic_mapping() {
    assert_eq!(map_generic(mask::GENERIC_READ), 0x120089);
    assert_eq!(map_generic(mask::GENERIC_EXECUTE), 0x1200A0);
    assert_eq!(map_generic(mask::GENERIC_WRITE), 0x120116);
    assert_eq!(map_generic(mask::GENERIC_ALL), 0x1F01FF);
    assert_eq!(
        map_generic(mask::GENERIC_READ | mask::GENERIC_EXECUTE),
        READ_EXECUTE
    );
    assert_eq!(map_generic(0x1), 0x1);
    // An explicit GR alone lacks FILE_EXECUTE.
    let d = check_access(Some(&dacl("D:(A;;GR;;;BU)")), &iusr(), READ_EXECUTE, None);
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert_eq!(d.missing, mask::FILE_EXECUTE);
    let d = check_access(Some(&dacl("D:(A;;GRGX;;;BU)")), &iusr(), READ_EXECUTE, None);
    assert!(d.is_granted());
}

#[test]
fn deny_before_allow() {
    let d = check_access(
        Some(&dacl("D:(D;;FA;;;BU)(A;;FA;;;BU)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.granted, 0);
    assert_eq!(d.missing, READ_EXECUTE);
    assert_eq!(d.evidence.len(), 1);
    assert_eq!(d.evidence[0].index, 0);
    assert_eq!(d.evidence[0].effect, Effect::Denied);
    assert_eq!(d.evidence[0].ace, "(D;;FA;;;BU)");
}

#[test]
fn deny_after_allow_non_canonical_order() {
    // The allow grants everything first; the later deny is never reached.
    let d = check_access(
        Some(&dacl("D:(A;;0x1200a9;;;BU)(D;;FA;;;WD)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert!(d.is_granted());
    assert_eq!(d.evidence.len(), 1);
    // Partial allow, then a deny of a remaining bit: denied.
    let d = check_access(
        Some(&dacl("D:(A;;FR;;;BU)(D;;FX;;;WD)(A;;FX;;;BU)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::Denied);
    assert_eq!(d.granted, 0x120089);
    assert_eq!(d.missing, mask::FILE_EXECUTE);
    assert_eq!(
        d.evidence
            .iter()
            .map(|e| (e.index, e.effect))
            .collect::<Vec<_>>(),
        vec![(0, Effect::Allowed), (1, Effect::Denied)]
    );
    assert_eq!(d.evidence[1].bits, mask::FILE_EXECUTE);
    // A deny covering only bits already granted does not deny.
    let d = check_access(
        Some(&dacl("D:(A;;FR;;;BU)(D;;RC;;;WD)(A;;FX;;;BU)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert!(d.is_granted());
}

#[test]
fn inherited_vs_explicit() {
    let d = check_access(
        Some(&dacl("D:AI(D;;FA;;;S-1-5-17)(A;ID;FA;;;WD)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::Denied);
    let d = check_access(
        Some(&dacl("D:AI(A;;0x1200a9;;;S-1-5-17)(D;ID;FA;;;WD)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert!(d.is_granted());
    // An inherited (ID) ACE on the folder applies to the folder like an explicit one.
    let d = check_access(
        Some(&dacl("D:AI(A;OICIID;0x1200a9;;;BU)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert!(d.is_granted());
}

#[test]
fn inherit_only_applies_to_files_not_folder() {
    let pool = app_pool_identity("DefaultAppPool", false);
    let s = sd("D:(A;OICIIO;GXGR;;;IS)");
    let re = read_execute(&s, &pool);
    assert_eq!(re.folder.outcome, Outcome::NotGranted);
    assert!(re.folder.evidence.is_empty());
    assert!(re.files.is_granted());
    assert_eq!(re.files.evidence[0].index, 0);
    assert_eq!(re.files.evidence[0].ace, "(A;OICIIO;GRGX;;;IS)");
    assert_eq!(re.files.evidence[0].bits, READ_EXECUTE);
}

#[test]
fn container_only_and_no_propagate() {
    // CI only: the folder, not its files.
    let s = sd("D:(A;CI;0x1200a9;;;BU)(A;OICI;FA;;;SY)");
    let re = read_execute(&s, &iusr());
    assert!(re.folder.is_granted());
    assert_eq!(re.files.outcome, Outcome::NotGranted);
    // OI+NP reaches the folder's own files but not files of subfolders.
    let parent = dacl("D:(A;OINP;0x1200a9;;;BU)(A;OICI;FA;;;SY)");
    let d = check_child_access(Some(&parent), ChildKind::File, &iusr(), READ_EXECUTE);
    assert!(d.is_granted());
    let sub = inherited_acl(&parent, ChildKind::Folder, None);
    assert_eq!(sub.to_string(), "AI(A;OICIID;FA;;;SY)");
    let d = check_child_access(Some(&sub), ChildKind::File, &iusr(), READ_EXECUTE);
    assert_eq!(d.outcome, Outcome::NotGranted);
    // OICINP: effective on the subfolder, not propagated further.
    let parent = dacl("D:(A;OICINP;0x1200a9;;;BU)");
    let sub = inherited_acl(&parent, ChildKind::Folder, None);
    assert_eq!(sub.to_string(), "AI(A;ID;0x1200a9;;;BU)");
    let d = check_child_access(Some(&sub), ChildKind::File, &iusr(), READ_EXECUTE);
    assert_eq!(d.outcome, Outcome::Undetermined);
}

#[test]
fn inheritance_of_the_wwwroot_acl() {
    let s = sd(&wwwroot());
    let parent = s.dacl.as_ref().unwrap();
    let files = inherited_acl(parent, ChildKind::File, None);
    assert_eq!(
        files.to_string(),
        format!(
            "AI(A;ID;FA;;;CO)(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)\
             (A;ID;0x1200a9;;;IS)(A;ID;FA;;;{TI})"
        )
    );
    let creator = sid("S-1-5-21-1-2-3-1001");
    let files = inherit_aces(parent, ChildKind::File, Some(&creator));
    assert_eq!(files[0].source_index, 0);
    assert_eq!(files[0].ace.trustee, Trustee::Sid(creator));
    assert_eq!(files[4].source_index, 5);
    let folders = inherited_acl(parent, ChildKind::Folder, None);
    assert_eq!(
        folders.to_string(),
        format!(
            "AI(A;ID;FA;;;CO)(A;OICIIOID;GA;;;CO)(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)\
             (A;OICIID;0x1200a9;;;BU)(A;ID;0x1200a9;;;IS)(A;OICIIOID;GRGX;;;IS)\
             (A;ID;FA;;;{TI})(A;OICIIOID;GA;;;{TI})"
        )
    );
    // A file two levels down gets the same effective rights.
    let deep = inherited_acl(&folders, ChildKind::File, None);
    assert_eq!(deep.aces.len(), files.len());
}

#[test]
fn wwwroot_for_every_iis_identity() {
    let s = sd(&wwwroot());
    for p in [
        iusr(),
        app_pool_identity("DefaultAppPool", false),
        app_pool_identity("DefaultAppPool", true),
        authenticated_user(LogonMethod::Network),
        network_service(false),
    ] {
        let re = read_execute(&s, &p);
        assert!(re.folder.is_granted(), "{}", p.description);
        assert!(re.files.is_granted(), "{}", p.description);
        // BUILTIN\Users decides it for all of them.
        assert_eq!(re.folder.evidence[0].index, 3, "{}", p.description);
        assert_eq!(re.folder.evidence[0].ace, "(A;OICI;0x1200a9;;;BU)");
        assert_eq!(re.files.evidence[0].index, 3);
        assert!(re.files.is_definite());
    }
    // Remove BUILTIN\Users: IUSR loses access, IIS_IUSRS members keep it.
    let s = sd(&wwwroot().replace("(A;OICI;0x1200a9;;;BU)", ""));
    let re = read_execute(&s, &iusr());
    assert_eq!(re.folder.outcome, Outcome::NotGranted);
    assert_eq!(re.files.outcome, Outcome::NotGranted);
    assert_eq!(re.files.missing, READ_EXECUTE);
    let re = read_execute(&s, &app_pool_identity("DefaultAppPool", false));
    assert!(re.folder.is_granted() && re.files.is_granted());
    assert_eq!(re.folder.evidence[0].ace, "(A;;0x1200a9;;;IS)");
    assert_eq!(re.files.evidence[0].ace, "(A;OICIIO;GRGX;;;IS)");
    // ... unless IIS_IUSRS is not injected.
    let re = read_execute(&s, &app_pool_identity("DefaultAppPool", true));
    assert!(!re.folder.is_granted());
}

#[test]
fn group_membership_via_token_groups() {
    let acl = dacl("D:(A;OICI;0x1200a9;;;S-1-5-21-1-2-3-7777)");
    let member = user(&[sid("S-1-5-21-1-2-3-7777")]);
    let stranger = user(&[wk::BUILTIN_USERS]);
    assert!(check_access(Some(&acl), &member, READ_EXECUTE, None).is_granted());
    let d = check_access(Some(&acl), &stranger, READ_EXECUTE, None);
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert!(d.is_definite());
    // The user SID itself matches too.
    let acl = dacl("D:(A;;0x1200a9;;;S-1-5-21-1-2-3-1001)");
    assert!(check_access(Some(&acl), &stranger, READ_EXECUTE, None).is_granted());
}

#[test]
fn unknown_sids() {
    let acl = dacl("D:(A;OICI;FA;;;S-1-5-21-9-9-9-4000)(A;;FA;;;S-1-5-99-1)");
    let d = check_access(Some(&acl), &iusr(), READ_EXECUTE, None);
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert!(d.is_definite());
    // For the generic authenticated user a domain SID might match.
    let d = check_access(
        Some(&acl),
        &authenticated_user(LogonMethod::Network),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert_eq!(d.uncertain.len(), 1);
    assert_eq!(d.uncertain[0].index, 0);
    assert!(!d.is_definite());
}

#[test]
fn domain_relative_aliases() {
    let acl = dacl("D:(D;;FA;;;DG)(A;;FA;;;DU)");
    // A principal with a domain SID of RID 513: uncertain, not silently matched.
    let p = user(&[sid("S-1-5-21-1-2-3-513")]);
    let d = check_access(Some(&acl), &p, READ_EXECUTE, None);
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert_eq!(d.uncertain.len(), 1);
    assert!(d.uncertain[0].reason.as_ref().unwrap().contains("RID 513"));
    // Without such a SID: definitely not matching.
    let d = check_access(Some(&acl), &iusr(), READ_EXECUTE, None);
    assert!(d.is_definite());
    // Generic user: both might apply.
    let d = check_access(
        Some(&acl),
        &authenticated_user(LogonMethod::Network),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.uncertain.len(), 2);
}

#[test]
fn null_empty_and_absent_dacl() {
    let d = check_access(
        Some(&dacl("D:NO_ACCESS_CONTROL")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert!(d.is_granted());
    assert!(d.notes[0].contains("null DACL"));
    let d = check_access(Some(&dacl("D:")), &iusr(), READ_EXECUTE, None);
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert!(d.notes.iter().any(|n| n.contains("empty DACL")));
    let d = check_access(
        Some(&dacl("D:PAI")),
        &local_system(false),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::NotGranted);
    let re = read_execute(&sd("O:BA"), &iusr());
    assert!(re.folder.is_granted());
    assert_eq!(re.files.outcome, Outcome::Undetermined);
    let re = read_execute(&sd("D:NO_ACCESS_CONTROL"), &iusr());
    assert_eq!(re.files.outcome, Outcome::Undetermined);
    assert!(!re.files.is_definite());
}

#[test]
fn owner_implicit_rights() {
    // Owner gets READ_CONTROL implicitly, completing RX.
    let s = sd("O:S-1-5-17D:(A;;0x1000a9;;;S-1-5-17)");
    let re = read_execute(&s, &iusr());
    assert!(re.folder.is_granted());
    assert_eq!(re.folder.owner_implicit, mask::READ_CONTROL);
    // An OWNER RIGHTS ACE replaces the implicit rights.
    let s = sd("O:S-1-5-17D:(A;;0x1000a9;;;S-1-5-17)(A;;0x1;;;OW)");
    let re = read_execute(&s, &iusr());
    assert_eq!(re.folder.outcome, Outcome::NotGranted);
    assert_eq!(re.folder.missing, mask::READ_CONTROL);
    let s = sd("O:S-1-5-17D:(A;;0x1000a9;;;S-1-5-17)(A;;RC;;;OW)");
    assert!(read_execute(&s, &iusr()).folder.is_granted());
    // Not the owner: OWNER RIGHTS does not apply.
    let s = sd("O:BAD:(A;;FA;;;OW)");
    assert!(!read_execute(&s, &iusr()).folder.is_granted());
}

#[test]
fn conditional_object_and_other_aces() {
    // A conditional deny that might apply is reported, not applied.
    let acl = dacl("D:(XD;;FA;;;WD;(@User.x==\"y\"))(A;;FA;;;WD)");
    let d = check_access(Some(&acl), &iusr(), READ_EXECUTE, None);
    assert!(d.is_granted());
    assert_eq!(d.uncertain.len(), 1);
    assert!(d.uncertain[0].reason.as_ref().unwrap().contains("@User.x"));
    assert!(!d.is_definite());
    // A conditional allow of unknown effect cannot change a grant, so it is dropped then.
    let acl = dacl("D:(XA;;FA;;;WD;(x))(A;;FA;;;WD)");
    let d = check_access(Some(&acl), &iusr(), READ_EXECUTE, None);
    assert!(d.is_granted() && d.is_definite());
    let d = check_access(
        Some(&dacl("D:(XA;;FA;;;WD;(x))")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert_eq!(d.uncertain.len(), 1);
    // Object ACEs with an object GUID never apply to files; without one they act as plain ACEs.
    let acl = dacl("D:(OD;;FA;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)(A;;FA;;;WD)");
    let d = check_access(Some(&acl), &iusr(), READ_EXECUTE, None);
    assert!(d.is_granted());
    assert!(d.notes.iter().any(|n| n.contains("object ACEs")));
    let d = check_access(Some(&dacl("D:(OA;;FA;;;WD)")), &iusr(), READ_EXECUTE, None);
    assert!(d.is_granted());
    // Audit ACEs in a DACL are ignored.
    let d = check_access(
        Some(&dacl("D:(AU;SA;FA;;;WD)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert_eq!(d.outcome, Outcome::NotGranted);
    assert!(d.notes.iter().any(|n| n.contains("audit")));
}

#[test]
fn stops_when_everything_is_granted() {
    let d = check_access(
        Some(&dacl("D:(A;;FR;;;BU)(A;;FX;;;WD)(A;;FA;;;AU)")),
        &iusr(),
        READ_EXECUTE,
        None,
    );
    assert!(d.is_granted());
    assert_eq!(
        d.evidence
            .iter()
            .map(|e| (e.index, e.bits))
            .collect::<Vec<_>>(),
        vec![(0, 0x120089), (1, mask::FILE_EXECUTE)]
    );
}

// ---------------------------------------------------------------------------------------------
// Rendering

#[test]
fn icacls_rendering() {
    let s = sd(&wwwroot());
    let acl = s.dacl.unwrap();
    let none: &[&str] = &[];
    let lines: Vec<String> = acl.aces.iter().map(|a| icacls_ace(a, none)).collect();
    assert_eq!(
        lines,
        vec![
            "CREATOR OWNER:(OI)(CI)(IO)(GA)",
            "NT AUTHORITY\\SYSTEM:(OI)(CI)(F)",
            "BUILTIN\\Administrators:(OI)(CI)(F)",
            "BUILTIN\\Users:(OI)(CI)(RX)",
            "BUILTIN\\IIS_IUSRS:(RX)",
            "BUILTIN\\IIS_IUSRS:(OI)(CI)(IO)(GR,GE)",
            "NT SERVICE\\TrustedInstaller:(F)",
            "NT SERVICE\\TrustedInstaller:(OI)(CI)(IO)(GA)",
        ]
    );
    let a =
        parse_ace("(D;OICIID;FA;;;S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415)")
            .unwrap();
    assert_eq!(
        icacls_ace(&a, &["DefaultAppPool"]),
        "IIS APPPOOL\\DefaultAppPool:(DENY)(I)(OI)(CI)(F)"
    );
    assert_eq!(
        icacls_ace(&parse_ace("(A;ID;0x1200a9;;;BU)").unwrap(), none),
        "BUILTIN\\Users:(I)(RX)"
    );
    assert_eq!(icacls_rights(0x1301bf), "M");
    assert_eq!(icacls_rights(0x1201bf), "RX,W");
    assert_eq!(icacls_rights(0x120089), "R");
    assert_eq!(icacls_rights(0x100116), "W");
    assert_eq!(icacls_rights(0x20000), "RC");
    assert_eq!(icacls_rights(0x1), "RD");
    assert_eq!(icacls_rights(0), "N");
}

// ---------------------------------------------------------------------------------------------
// Properties

mod props {
    use super::super::sddl::*;
    use super::super::sid::{AliasTarget, Sid, SID_ALIASES};
    use proptest::prelude::*;

    fn arb_sid() -> impl Strategy<Value = Sid> {
        (
            prop_oneof![0u64..=20, 0u64..=super::super::sid::MAX_AUTHORITY],
            prop::collection::vec(any::<u32>(), 0..=15),
        )
            .prop_map(|(a, subs)| Sid::from_parts(a, &subs).unwrap())
    }

    fn arb_trustee() -> impl Strategy<Value = Trustee> {
        prop_oneof![
            arb_sid().prop_map(Trustee::Sid),
            prop::sample::select(SID_ALIASES).prop_map(|(_, t)| match t {
                AliasTarget::Sid(s) => Trustee::Sid(s),
                AliasTarget::Relative(scope, rid) => Trustee::Relative { scope, rid },
            }),
        ]
    }

    const EXTRAS: &[&str] = &[
        "(@User.Title == \"PM\")",
        "(Member_of {SID(BA)})",
        "(\"Project\",TS,0,\"Windows\",\"SQL\")",
        "((a) || (b))",
        "(x == \")(\")",
    ];

    fn arb_ace() -> impl Strategy<Value = Ace> {
        (
            prop::sample::select(AceType::ALL.to_vec()),
            0u16..0x200,
            prop_oneof![
                any::<u32>(),
                prop::sample::select(vec![
                    0x1F01FFu32,
                    0x120089,
                    0x120116,
                    0x1200A0,
                    0xA000_0000,
                    0
                ])
            ],
            any::<Option<u128>>(),
            any::<Option<u128>>(),
            arb_trustee(),
            prop::option::of(prop::sample::select(EXTRAS)),
        )
            .prop_map(|(ace_type, flags, mask, o, i, trustee, extra)| Ace {
                ace_type,
                flags: AceFlags(flags),
                mask,
                object_type: o.filter(|_| ace_type.is_object()).map(Guid),
                inherited_object_type: i.filter(|_| ace_type.is_object()).map(Guid),
                trustee,
                extra: extra.filter(|_| ace_type.takes_extra()).map(str::to_string),
            })
    }

    fn arb_acl() -> impl Strategy<Value = Acl> {
        (any::<[bool; 4]>(), prop::collection::vec(arb_ace(), 0..8)).prop_map(|(f, aces)| Acl {
            flags: AclFlags {
                protected: f[0],
                auto_inherit_req: f[1],
                auto_inherited: f[2],
                null_acl: f[3],
            },
            aces,
        })
    }

    fn arb_sd() -> impl Strategy<Value = SecurityDescriptor> {
        (
            prop::option::of(arb_trustee()),
            prop::option::of(arb_trustee()),
            prop::option::of(arb_acl()),
            prop::option::of(arb_acl()),
        )
            .prop_map(|(owner, group, dacl, sacl)| SecurityDescriptor {
                owner,
                group,
                dacl,
                sacl,
            })
    }

    proptest! {
        #[test]
        fn print_parse_roundtrip(sd in arb_sd()) {
            let text = sd.to_string();
            let back = parse(&text);
            prop_assert_eq!(back.as_ref(), Ok(&sd), "{}", text);
        }

        #[test]
        fn sid_roundtrip(sid in arb_sid()) {
            prop_assert_eq!(Sid::parse(&sid.to_string()), Ok(sid));
        }

        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = parse(&s);
            let _ = parse_ace(&s);
            let _ = parse_acl(&s);
            let _ = Sid::parse(&s);
        }

        #[test]
        fn parse_never_panics_on_sddl_like_input(
            s in "[OGDSAPIXZTLRCWFNUKMYBx0-9a-f():;\"_ -]{0,120}"
        ) {
            if let Err(e) = parse(&s) {
                prop_assert!(e.offset <= s.chars().count());
            }
        }

        #[test]
        fn mutated_real_sddl_never_panics(cut in 0usize..400, insert in any::<char>()) {
            let base = super::wwwroot();
            let mut chars: Vec<char> = base.chars().collect();
            let at = cut % (chars.len() + 1);
            chars.insert(at, insert);
            let s: String = chars.into_iter().collect();
            if let Err(e) = parse(&s) {
                prop_assert!(e.offset <= s.chars().count());
            }
            let truncated: String = base.chars().take(at).collect();
            let _ = parse(&truncated);
        }
    }
}
