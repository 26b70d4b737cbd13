//! Fixtures for the foundation rules: each fires on a host built for it and stays silent on its
//! negative twin. Golden findings in tests/fixtures/rules/.

mod support;

use support::*;

const ALL_AUTH_OFF: &str = r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="false" />
        </authentication></security></system.webServer>"#;

#[test]
fn u201_fires_when_every_method_is_disabled() {
    let snap = Host::new("WEB-01")
        .location("Intranet/hr", ALL_AUTH_OFF)
        .build();
    let f = run_rule(&snap, "U201");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Intranet"));
    assert_eq!(f[0].url_path.as_deref(), Some("/hr"));
    assert!(f[0].fix.contains("/commit:apphost"));
    assert_golden("U201-fires", &f);
}

#[test]
fn u201_silent_when_windows_auth_replaces_anonymous() {
    let snap = Host::new("WEB-01")
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="true" />
        </authentication></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U201").is_empty());
}

#[test]
fn u201_reports_the_shallowest_path_only() {
    let snap = Host::new("WEB-01")
        .location("Intranet", ALL_AUTH_OFF)
        .build();
    let f = run_rule(&snap, "U201");
    assert_eq!(
        f.len(),
        1,
        "one finding for the site, not one per child path: {f:#?}"
    );
    assert_eq!(f[0].url_path.as_deref(), Some("/"));
}

const SHOP_POOL_ONLY: &str = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;S-1-5-82-634253208-2346237047-1867043872-2360698316-99401469)";

#[test]
fn u301_fires_when_iusr_cannot_read() {
    let snap = Host::new("WEB-03")
        .acl(r"D:\Sites\Shop", SHOP_POOL_ONLY)
        .build();
    let f = run_rule(&snap, "U301");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].physical_path.as_deref(), Some(r"D:\Sites\Shop"));
    assert!(f[0].fix.contains("*S-1-5-17"));
    assert_golden("U301-fires", &f);
}

#[test]
fn u301_silent_with_the_default_acl() {
    assert!(run_rule(&Host::new("WEB-03").build(), "U301").is_empty());
}

#[test]
fn u301_fires_on_a_deny_ace_for_users() {
    // An explicit deny comes first in canonical order, so it wins over the Users allow.
    let sddl = DEFAULT_SDDL.replacen("D:PAI", "D:PAI(D;OICI;0x1200a9;;;BU)", 1);
    let snap = Host::new("WEB-03").acl(r"D:\Sites\Shop", &sddl).build();
    let f = run_rule(&snap, "U301");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].evidence.iter().any(|e| e.text.contains("D;")),
        "{f:#?}"
    );
}

#[test]
fn u301_not_evaluated_without_acls() {
    let snap = Host::new("WEB-03")
        .acl(r"D:\Sites\Shop", SHOP_POOL_ONLY)
        .with(|s| {
            s.collected.acls = false;
            s.acls.clear();
        })
        .build();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let a = iis_sweep::pipeline::analyze(
        &snap,
        "fixture",
        &iis_sweep::rules::settings::RuleSettings::default(),
        today,
    );
    assert!(a.findings.iter().all(|f| f.rule != "U301"));
    assert!(a.host.not_evaluated.iter().any(|n| n.rule == "U301"));
}
