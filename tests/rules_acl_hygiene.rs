//! Fixtures for the 401.3 (ACL) family beyond U301, the hygiene rules and the configuration-error
//! rules: each fires on a host built for it and stays silent on its negative twin. Golden
//! findings in tests/fixtures/rules/.

mod support;

use support::*;

use iis_sweep::finding::Finding;
use iis_sweep::snapshot::{RegistryData, SecurityEvent, SecurityLog};

const MY_RULES: &[&str] = &[
    "U302", "U303", "U304", "U305", "U306", "U307", "U308", "H001", "H002", "H003", "H004", "H005",
    "H006", "H007", "H008", "H009", "H010", "H011", "C001", "C002", "C003", "C004",
];

const SHOP: &str = r"D:\Sites\Shop";
const INTRANET: &str = r"D:\Sites\Intranet";
const SHOP_POOL_SID: &str = "S-1-5-82-634253208-2346237047-1867043872-2360698316-99401469";
/// `IIS APPPOOL\ShopOld`: a pool that was renamed to Shop.
const SHOP_OLD_POOL_SID: &str = "S-1-5-82-3538969933-3803576762-3355885621-311243084-1187670570";
const DOMAIN: &str = "S-1-5-21-1004336348-1177238915-682003330";

fn dom(rid: u32) -> String {
    format!("{DOMAIN}-{rid}")
}

/// Groups of a domain user on a domain-joined member server.
fn domain_user_groups() -> Vec<String> {
    vec![
        dom(513),
        "S-1-1-0".into(),
        "S-1-5-32-545".into(),
        "S-1-5-11".into(),
    ]
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn anonymous(inner_attrs: &str) -> String {
    format!(
        r#"        <system.webServer><security><authentication>
            <anonymousAuthentication {inner_attrs} />
        </authentication></security></system.webServer>"#
    )
}

const WINDOWS_ONLY: &str = r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="true" />
        </authentication></security></system.webServer>"#;

/// Shop's pool runs as the domain account CONTOSO\svc-shop (the seed articles' setup).
fn shop_custom_pool(h: Host, password: &str) -> Host {
    let groups = domain_user_groups();
    h.replace(
        r#"<add name="Shop" />"#,
        &format!(
            r#"<add name="Shop"><processModel identityType="SpecificUser" userName="CONTOSO\svc-shop" password="{password}" /></add>"#
        ),
    )
    .account(r"CONTOSO\svc-shop", &dom(1105), &refs(&groups))
}

const ENC: &str = "[enc:IISWASOnlyAesProvider:QmFzZTY0Q2lwaGVy:enc]";

fn sddl(aces: &str) -> String {
    format!("O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA){aces}")
}

fn evidence_has(f: &Finding, needle: &str) -> bool {
    f.evidence.iter().any(|e| e.text.contains(needle))
}

fn analysis(snap: &iis_sweep::snapshot::Snapshot) -> iis_sweep::pipeline::Analysis {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    iis_sweep::pipeline::analyze(
        snap,
        "fixture",
        &iis_sweep::rules::settings::RuleSettings::default(),
        today,
    )
}

// ---------------------------------------------------------------------------------------------
// Baseline

#[test]
fn baseline_triggers_none_of_these_rules() {
    let a = analysis(&Host::new("WEB-01").build());
    let mine: Vec<&Finding> = a
        .findings
        .iter()
        .filter(|f| MY_RULES.contains(&f.rule.as_str()))
        .collect();
    assert!(mine.is_empty(), "{mine:#?}");
    let skipped: Vec<_> = a
        .host
        .not_evaluated
        .iter()
        .filter(|n| MY_RULES.contains(&n.rule.as_str()))
        .collect();
    assert!(skipped.is_empty(), "{skipped:#?}");
}

#[test]
fn every_rule_is_declared_once_with_docs() {
    for code in MY_RULES {
        let r = iis_sweep::rules::find(code).unwrap_or_else(|| panic!("{code} not declared"));
        assert_eq!(
            iis_sweep::rules::all()
                .iter()
                .filter(|x| x.code == *code)
                .count(),
            1
        );
        assert!(!r.docs.what.is_empty() && !r.docs.why.is_empty());
        assert!(!r.docs.example.is_empty() && !r.docs.fix.is_empty());
        assert!(!r.references.is_empty(), "{code}");
    }
}

// ---------------------------------------------------------------------------------------------
// U307 — the seed scenario, and U301 not duplicating it

fn seed_host() -> Host {
    shop_custom_pool(Host::new("WEB-05"), ENC)
        .acl(SHOP, &sddl(&format!("(A;OICI;0x1200a9;;;{})", dom(1105))))
}

#[test]
fn u307_fires_on_the_seed_scenario() {
    let snap = seed_host().build();
    let f = run_rule(&snap, "U307");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert_eq!(f[0].url_path.as_deref(), Some("/"));
    assert_eq!(f[0].physical_path.as_deref(), Some(SHOP));
    assert!(evidence_has(&f[0], &dom(1105)), "{f:#?}");
    assert!(evidence_has(&f[0], "no ACE grants IUSR"), "{f:#?}");
    assert!(f[0].fix.contains("/userName:\"\""), "{}", f[0].fix);
    assert!(f[0].fix.contains("*S-1-5-17:(OI)(CI)RX"), "{}", f[0].fix);
    assert!(
        run_rule(&snap, "U301").is_empty(),
        "U301 must not duplicate U307"
    );
    assert_golden("U307-fires", &f);
}

#[test]
fn u307_silent_when_iusr_is_granted_too() {
    let snap = shop_custom_pool(Host::new("WEB-05"), ENC)
        .acl(
            SHOP,
            &sddl(&format!(
                "(A;OICI;0x1200a9;;;{})(A;OICI;0x1200a9;;;S-1-5-17)",
                dom(1105)
            )),
        )
        .build();
    assert!(run_rule(&snap, "U307").is_empty());
    assert!(run_rule(&snap, "U301").is_empty());
}

#[test]
fn u307_unresolved_pool_account_leaves_the_finding_to_u301() {
    let snap = seed_host()
        .with(|s| s.accounts.retain(|a| !a.name.contains("svc-shop")))
        .build();
    let a = analysis(&snap);
    assert!(a.findings.iter().all(|f| f.rule != "U307"));
    assert_eq!(a.findings.iter().filter(|f| f.rule == "U301").count(), 1);
    assert!(a
        .host
        .not_evaluated
        .iter()
        .any(|n| n.rule == "U307" && n.reason.contains("svc-shop")));
}

#[test]
fn u307_silent_for_the_application_pool_identity_default() {
    // Only the pool's virtual account may read: U301 (rules_core) reports it, not U307.
    let snap = Host::new("WEB-05")
        .acl(SHOP, &sddl(&format!("(A;OICI;0x1200a9;;;{SHOP_POOL_SID})")))
        .build();
    assert!(run_rule(&snap, "U307").is_empty());
    assert_eq!(run_rule(&snap, "U301").len(), 1);
}

// ---------------------------------------------------------------------------------------------
// U302

#[test]
fn u302_fires_when_the_pool_identity_cannot_read() {
    let snap = Host::new("WEB-02")
        .location("Shop", &anonymous(r#"enabled="true" userName="""#))
        .acl(SHOP, &sddl("(A;OICI;0x1200a9;;;S-1-5-17)"))
        .build();
    let f = run_rule(&snap, "U302");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert_eq!(
        f[0].fix,
        r#"icacls "D:\Sites\Shop" /grant "IIS AppPool\Shop:(OI)(CI)RX""#
    );
    assert!(evidence_has(&f[0], "userName=\"\""), "{f:#?}");
    assert!(run_rule(&snap, "U301").is_empty());
    assert_golden("U302-fires", &f);
}

#[test]
fn u302_silent_with_the_default_acl() {
    // BUILTIN\Users and IIS_IUSRS may read; the pool identity is in both.
    let snap = Host::new("WEB-02")
        .location("Shop", &anonymous(r#"enabled="true" userName="""#))
        .build();
    assert!(run_rule(&snap, "U302").is_empty());
}

#[test]
fn u302_custom_pool_account_unresolved_is_not_evaluated() {
    let snap = shop_custom_pool(Host::new("WEB-02"), ENC)
        .location("Shop", &anonymous(r#"enabled="true" userName="""#))
        .acl(SHOP, &sddl("(A;OICI;0x1200a9;;;S-1-5-17)"))
        .with(|s| s.accounts.retain(|a| !a.name.contains("svc-shop")))
        .build();
    let a = analysis(&snap);
    assert!(a.findings.iter().all(|f| f.rule != "U302"));
    assert!(a.host.not_evaluated.iter().any(|n| n.rule == "U302"));
}

// ---------------------------------------------------------------------------------------------
// U303

fn custom_anonymous(h: Host) -> Host {
    h.location(
        "Shop",
        &anonymous(&format!(
            r#"enabled="true" userName="CONTOSO\web-anon" password="{ENC}""#
        )),
    )
}

#[test]
fn u303_fires_when_the_custom_anonymous_account_cannot_read() {
    let groups = domain_user_groups();
    let snap = custom_anonymous(Host::new("WEB-03"))
        .account(r"CONTOSO\web-anon", &dom(1201), &refs(&groups))
        .acl(
            SHOP,
            &sddl("(A;OICI;0x1200a9;;;S-1-5-17)(A;OICI;0x1200a9;;;IS)"),
        )
        .build();
    let f = run_rule(&snap, "U303");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert!(f[0].fix.contains(&format!("*{}:(OI)(CI)RX", dom(1201))));
    assert!(evidence_has(&f[0], &dom(1201)), "{f:#?}");
    assert_golden("U303-fires", &f);
}

#[test]
fn u303_silent_when_users_may_read() {
    let groups = domain_user_groups();
    let snap = custom_anonymous(Host::new("WEB-03"))
        .account(r"CONTOSO\web-anon", &dom(1201), &refs(&groups))
        .build();
    assert!(run_rule(&snap, "U303").is_empty());
}

#[test]
fn u303_unresolved_account_is_not_evaluated() {
    let snap = custom_anonymous(Host::new("WEB-03"))
        .acl(SHOP, &sddl("(A;OICI;0x1200a9;;;S-1-5-17)"))
        .build();
    let a = analysis(&snap);
    assert!(a.findings.iter().all(|f| f.rule != "U303"));
    assert!(a
        .host
        .not_evaluated
        .iter()
        .any(|n| n.rule == "U303" && n.reason.contains("web-anon")));
}

// ---------------------------------------------------------------------------------------------
// U304

fn connect_as_shop(h: Host) -> Host {
    let groups = domain_user_groups();
    h.replace(
        r#"<virtualDirectory path="/" physicalPath="D:\Sites\Shop" />"#,
        &format!(
            r#"<virtualDirectory path="/" physicalPath="D:\Sites\Shop" userName="CONTOSO\svc-content" password="{ENC}" />"#
        ),
    )
    .account(r"CONTOSO\svc-content", &dom(1301), &refs(&groups))
}

#[test]
fn u304_fires_when_the_connect_as_account_cannot_read() {
    let snap = connect_as_shop(Host::new("WEB-04"))
        .acl(
            SHOP,
            &sddl(&format!(
                "(A;OICI;0x1200a9;;;S-1-5-17)(A;OICI;0x1200a9;;;{SHOP_POOL_SID})"
            )),
        )
        .build();
    let f = run_rule(&snap, "U304");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].physical_path.as_deref(), Some(SHOP));
    assert!(f[0].fix.contains(&format!("*{}:(OI)(CI)RX", dom(1301))));
    assert!(evidence_has(&f[0], r"CONTOSO\svc-content"), "{f:#?}");
    // IUSR is not the reading identity with connect-as.
    assert!(run_rule(&snap, "U301").is_empty());
    assert_golden("U304-fires", &f);
}

#[test]
fn u304_silent_when_the_connect_as_account_may_read() {
    let snap = connect_as_shop(Host::new("WEB-04"))
        .acl(SHOP, &sddl(&format!("(A;OICI;0x1200a9;;;{})", dom(1301))))
        .build();
    assert!(run_rule(&snap, "U304").is_empty());
}

const BLOG_SITE: &str = r#"            <site name="Blog" id="4">
                <application path="/" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="\\files01\web\blog" USERNAME />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:blog.contoso.com" />
                </bindings>
            </site>"#;

#[test]
fn u304_fires_on_unc_content_read_as_iusr() {
    let snap = Host::new("WEB-04")
        .site_xml(&BLOG_SITE.replace(" USERNAME", ""))
        .build();
    let f = run_rule(&snap, "U304");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Blog"));
    assert_eq!(f[0].physical_path.as_deref(), Some(r"\\files01\web\blog"));
    assert!(f[0].fix.contains(r#"set vdir "Blog/""#), "{}", f[0].fix);
    assert!(evidence_has(&f[0], "no connect-as"), "{f:#?}");
    // U301 leaves UNC content to U304 (no ACL needed, none collected).
    let a = analysis(&snap);
    assert!(a.findings.iter().all(|x| x.rule != "U301"));
    assert_golden("U304-fires-unc", &f);
}

#[test]
fn u304_silent_on_unc_content_with_a_connect_as_account_that_may_read() {
    let groups = domain_user_groups();
    let snap = Host::new("WEB-04")
        .site_xml(&BLOG_SITE.replace(
            "USERNAME",
            &format!(r#"userName="CONTOSO\svc-content" password="{ENC}""#),
        ))
        .account(r"CONTOSO\svc-content", &dom(1301), &refs(&groups))
        .acl(
            r"\\files01\web\blog",
            &sddl(&format!("(A;OICI;0x1200a9;;;{})", dom(1301))),
        )
        .build();
    assert!(run_rule(&snap, "U304").is_empty());
}

// ---------------------------------------------------------------------------------------------
// U305

#[test]
fn u305_fires_when_only_service_identities_may_read() {
    let snap = Host::new("WEB-06")
        .location("Intranet", WINDOWS_ONLY)
        .acl(
            INTRANET,
            &sddl("(A;OICI;0x1200a9;;;IS)(A;OICI;0x1200a9;;;S-1-5-17)"),
        )
        .build();
    let f = run_rule(&snap, "U305");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Intranet"));
    assert_eq!(f[0].url_path.as_deref(), Some("/"));
    assert!(evidence_has(&f[0], "granted only to"), "{f:#?}");
    assert!(f[0].fix.contains("*S-1-5-11:(OI)(CI)RX"));
    assert_golden("U305-fires", &f);
}

#[test]
fn u305_silent_when_a_domain_group_may_grant() {
    // Membership of CONTOSO\Intranet-Readers is unknown: "may have access", no finding.
    let snap = Host::new("WEB-06")
        .location("Intranet", WINDOWS_ONLY)
        .acl(
            INTRANET,
            &sddl(&format!(
                "(A;OICI;0x1200a9;;;IS)(A;OICI;0x1200a9;;;{})",
                dom(2001)
            )),
        )
        .build();
    assert!(run_rule(&snap, "U305").is_empty());
}

#[test]
fn u305_silent_while_anonymous_serves_the_content() {
    let snap = Host::new("WEB-06")
        .location(
            "Intranet",
            r#"        <system.webServer><security><authentication>
            <windowsAuthentication enabled="true" />
        </authentication></security></system.webServer>"#,
        )
        .acl(INTRANET, &sddl("(A;OICI;0x1200a9;;;S-1-5-17)"))
        .build();
    assert!(run_rule(&snap, "U305").is_empty());
}

// ---------------------------------------------------------------------------------------------
// U306

#[test]
fn u306_fires_on_a_deny_for_authenticated_users() {
    let snap = Host::new("WEB-07")
        .location("Intranet", WINDOWS_ONLY)
        .acl(
            INTRANET,
            "O:BAG:SYD:PAI(D;OICI;0x1200a9;;;AU)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
        )
        .build();
    let f = run_rule(&snap, "U306");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Intranet"));
    assert!(evidence_has(&f[0], "(D;OICI;0x1200a9;;;AU)"), "{f:#?}");
    assert_eq!(
        f[0].fix,
        r#"icacls "D:\Sites\Intranet" /remove:d "*S-1-5-11""#
    );
    // U305 leaves deny ACEs to U306.
    assert!(run_rule(&snap, "U305").is_empty());
    assert_golden("U306-fires", &f);
}

#[test]
fn u306_silent_with_the_default_acl() {
    let snap = Host::new("WEB-07")
        .location("Intranet", WINDOWS_ONLY)
        .build();
    assert!(run_rule(&snap, "U306").is_empty());
}

#[test]
fn u306_leaves_a_deny_on_iusr_content_to_u301() {
    // Deny for Users on anonymous IUSR content: U301 reports it (with the deny as evidence and
    // a /remove:d fix); U306 does not report the same cause again.
    let sddl = DEFAULT_SDDL.replacen("D:PAI", "D:PAI(D;OICI;0x1200a9;;;BU)", 1);
    let snap = Host::new("WEB-07").acl(SHOP, &sddl).build();
    let u301 = run_rule(&snap, "U301");
    assert_eq!(u301.len(), 1, "{u301:#?}");
    assert!(
        u301[0].fix.contains(r#"/remove:d "*S-1-5-32-545""#),
        "{}",
        u301[0].fix
    );
    assert!(run_rule(&snap, "U306").is_empty());
}

#[test]
fn u306_fires_on_a_deny_that_only_blocks_subfolders() {
    let snap = Host::new("WEB-07")
        .acl(
            SHOP,
            "O:BAG:SYD:PAI(D;CIIO;0x1200a9;;;BU)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)",
        )
        .build();
    let f = run_rule(&snap, "U306");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(evidence_has(&f[0], "on the subfolders"), "{f:#?}");
    assert!(run_rule(&snap, "U301").is_empty());
}

// ---------------------------------------------------------------------------------------------
// U308

#[test]
fn u308_fires_on_a_stale_pool_sid() {
    let snap = Host::new("WEB-08")
        .acl(
            SHOP,
            &sddl(&format!(
                "(A;OICI;0x1200a9;;;{SHOP_OLD_POOL_SID})(A;OICI;0x1200a9;;;BU)"
            )),
        )
        .build();
    let f = run_rule(&snap, "U308");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(evidence_has(&f[0], SHOP_OLD_POOL_SID), "{f:#?}");
    assert!(f[0].fix.contains(r#"/grant "IIS AppPool\Shop:(OI)(CI)RX""#));
    assert!(f[0]
        .fix
        .contains(&format!(r#"/remove "*{SHOP_OLD_POOL_SID}""#)));
    assert_golden("U308-fires", &f);
}

#[test]
fn u308_silent_when_the_current_pool_is_granted() {
    let snap = Host::new("WEB-08")
        .acl(
            SHOP,
            &sddl(&format!(
                "(A;OICI;0x1200a9;;;{SHOP_OLD_POOL_SID})(A;OICI;0x1200a9;;;{SHOP_POOL_SID})(A;OICI;0x1200a9;;;BU)"
            )),
        )
        .build();
    assert!(run_rule(&snap, "U308").is_empty());
}

#[test]
fn u308_names_the_rename_beside_u302_when_anonymous_runs_as_the_pool() {
    let snap = Host::new("WEB-08")
        .location("Shop", &anonymous(r#"enabled="true" userName="""#))
        .acl(
            SHOP,
            &sddl(&format!("(A;OICI;0x1200a9;;;{SHOP_OLD_POOL_SID})")),
        )
        .build();
    let u302 = run_rule(&snap, "U302");
    assert_eq!(u302.len(), 1, "{u302:#?}");
    assert!(
        evidence_has(&u302[0], "matches no current pool"),
        "{u302:#?}"
    );
    // U302 says who cannot read; U308 says why (the grant went to the pool's old name).
    let u308 = run_rule(&snap, "U308");
    assert_eq!(u308.len(), 1, "{u308:#?}");
    assert_eq!(u308[0].physical_path, u302[0].physical_path);
}

// ---------------------------------------------------------------------------------------------
// Child folders inheriting the cause

#[test]
fn acl_rules_report_a_folder_once_not_its_inheriting_children() {
    // The Intranet root and its /hr application both lack a grant for authenticated users; /hr
    // inherits its ACL (not protected), so the root's fix covers it.
    let snap = Host::new("WEB-06")
        .location("Intranet", WINDOWS_ONLY)
        .acl(INTRANET, &sddl("(A;OICI;0x1200a9;;;IS)"))
        .acl(
            r"D:\Sites\Intranet\hr",
            "O:BAG:SYD:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;0x1200a9;;;IS)",
        )
        .build();
    let f = run_rule(&snap, "U305");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].url_path.as_deref(), Some("/"));
}

// ---------------------------------------------------------------------------------------------
// H001

#[test]
fn h001_fires_on_basic_without_ssl() {
    let snap = Host::new("WEB-11")
        .location(
            "Intranet",
            r#"        <system.webServer><security><authentication>
            <basicAuthentication enabled="true" />
        </authentication></security></system.webServer>"#,
        )
        .build();
    let f = run_rule(&snap, "H001");
    assert_eq!(
        f.len(),
        1,
        "one finding, /hr inherits the same setting: {f:#?}"
    );
    assert_eq!(f[0].site.as_deref(), Some("Intranet"));
    assert!(
        evidence_has(&f[0], "basicAuthentication enabled=\"true\""),
        "{f:#?}"
    );
    assert!(evidence_has(&f[0], "no https binding"), "{f:#?}");
    assert!(f[0].fix.contains(r#"set config "Intranet" -section:system.webServer/security/access /sslFlags:"Ssl" /commit:apphost"#), "{}", f[0].fix);
    assert_golden("H001-fires", &f);
}

#[test]
fn h001_silent_when_ssl_is_required() {
    let snap = Host::new("WEB-11")
        .location(
            "Shop",
            r#"        <system.webServer><security>
            <access sslFlags="Ssl" />
            <authentication><basicAuthentication enabled="true" /></authentication>
        </security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "H001").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H002

const SHOP_WEB_CONFIG: &str = r"D:\Sites\Shop\web.config";

fn forms(require: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.web>
    <authentication mode="Forms">
      <forms loginUrl="~/login.aspx" {require}/>
    </authentication>
  </system.web>
</configuration>"#
    )
}

#[test]
fn h002_fires_on_forms_without_require_ssl() {
    let snap = Host::new("WEB-12")
        .web_config(SHOP_WEB_CONFIG, &forms(""))
        .build();
    let f = run_rule(&snap, "H002");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert!(evidence_has(&f[0], "mode=\"Forms\""), "{f:#?}");
    assert!(
        f[0].fix.contains(
            r#"set config "Shop" -section:system.web/authentication /forms.requireSSL:"True""#
        ),
        "{}",
        f[0].fix
    );
    assert_golden("H002-fires", &f);
}

#[test]
fn h002_silent_with_require_ssl() {
    let snap = Host::new("WEB-12")
        .web_config(SHOP_WEB_CONFIG, &forms(r#"requireSSL="true" "#))
        .build();
    assert!(run_rule(&snap, "H002").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H003

#[test]
fn h003_fires_on_a_plaintext_password_and_never_shows_it() {
    let snap = shop_custom_pool(Host::new("WEB-13"), "Sup3rS3cret!")
        .web_config(
            SHOP_WEB_CONFIG,
            r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings>
    <add name="shop" connectionString="Server=sql01;Database=shop;User Id=web;Password=Sup3rS3cret!;" />
  </connectionStrings>
</configuration>"#,
        )
        .build();
    let f = run_rule(&snap, "H003");
    assert_eq!(f.len(), 2, "{f:#?}");
    let pool = f
        .iter()
        .find(|x| x.message.contains("applicationHost.config"))
        .expect("pool password finding");
    assert!(
        pool.fix
            .contains(r#"set apppool "Shop" -processModel.password:"<password>""#),
        "{}",
        pool.fix
    );
    assert!(evidence_has(pool, "processModel @password"), "{pool:#?}");
    let cs = f
        .iter()
        .find(|x| x.message.contains("web.config"))
        .expect("connection string finding");
    assert_eq!(cs.site.as_deref(), Some("Shop"));
    assert!(
        cs.fix
            .contains(r#"-pef "connectionStrings" "D:\Sites\Shop""#),
        "{}",
        cs.fix
    );
    // The secret appears nowhere in any finding of any rule.
    let all = serde_json::to_string(&run_all(&snap)).unwrap();
    assert!(!all.contains("Sup3rS3cret!"), "secret leaked: {all}");
    assert_golden("H003-fires", &f);
}

#[test]
fn h003_names_the_vdir_and_location_to_re_set() {
    let groups = domain_user_groups();
    let snap = Host::new("WEB-13")
        .replace(
            r#"<virtualDirectory path="/" physicalPath="D:\Sites\Shop" />"#,
            r#"<virtualDirectory path="/" physicalPath="D:\Sites\Shop" userName="CONTOSO\svc-content" password="Sup3rS3cret!" />"#,
        )
        .account(r"CONTOSO\svc-content", &dom(1301), &refs(&groups))
        .location(
            "Intranet/hr",
            &anonymous(r#"enabled="true" userName="CONTOSO\web-anon" password="Sup3rS3cret!""#),
        )
        .build();
    let f = run_rule(&snap, "H003");
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f.iter().any(|x| x
            .fix
            .ends_with(r#"set vdir "Shop/" -password:"<password>""#)),
        "{f:#?}"
    );
    assert!(
        f.iter().any(|x| x.site.as_deref() == Some("Intranet")
            && x.fix.ends_with(r#"set config "Intranet/hr" -section:system.webServer/security/authentication/anonymousAuthentication /password:"<password>" /commit:apphost"#)),
        "{f:#?}"
    );
    let all = serde_json::to_string(&analysis(&snap).findings).unwrap();
    assert!(!all.contains("Sup3rS3cret!"), "secret leaked: {all}");
}

#[test]
fn h003_silent_on_encrypted_passwords() {
    let snap = shop_custom_pool(Host::new("WEB-13"), ENC).build();
    assert!(run_rule(&snap, "H003").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H004

#[test]
fn h004_fires_when_the_loopback_check_is_disabled() {
    let snap = Host::new("WEB-14")
        .registry(LSA, "DisableLoopbackCheck", Some(RegistryData::Number(1)))
        .build();
    let f = run_rule(&snap, "H004");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(evidence_has(&f[0], "DisableLoopbackCheck = 1"), "{f:#?}");
    assert!(
        f[0].fix.contains(
            r#"reg delete "HKLM\SYSTEM\CurrentControlSet\Control\Lsa" /v DisableLoopbackCheck /f"#
        ),
        "{}",
        f[0].fix
    );
    assert!(
        f[0].fix.contains(r"intranet.contoso.com\0shop.contoso.com"),
        "{}",
        f[0].fix
    );
    assert_golden("H004-fires", &f);
}

#[test]
fn h004_silent_when_the_loopback_check_is_on() {
    let snap = Host::new("WEB-14")
        .registry(LSA, "DisableLoopbackCheck", Some(RegistryData::Number(0)))
        .build();
    assert!(run_rule(&snap, "H004").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H005

fn http_errors(mode: &str) -> String {
    format!(
        r#"        <system.webServer>
            <httpErrors errorMode="{mode}" />
        </system.webServer>"#
    )
}

#[test]
fn h005_fires_on_detailed_errors() {
    let snap = Host::new("WEB-15")
        .location("Shop", &http_errors("Detailed"))
        .build();
    let f = run_rule(&snap, "H005");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert!(evidence_has(&f[0], "errorMode=\"Detailed\""), "{f:#?}");
    assert!(f[0].fix.contains(r#"set config "Shop" -section:system.webServer/httpErrors /errorMode:"DetailedLocalOnly" /commit:apphost"#), "{}", f[0].fix);
    assert_golden("H005-fires", &f);
}

#[test]
fn h005_silent_on_custom_errors() {
    let snap = Host::new("WEB-15")
        .location("Shop", &http_errors("Custom"))
        .build();
    assert!(run_rule(&snap, "H005").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H006

#[test]
fn h006_fires_once_when_enabled_server_wide() {
    let snap = Host::new("WEB-16")
        .replace(
            r#"<directoryBrowse enabled="false" />"#,
            r#"<directoryBrowse enabled="true" />"#,
        )
        .build();
    let f = run_rule(&snap, "H006");
    assert_eq!(
        f.len(),
        1,
        "one finding for the server-level setting: {f:#?}"
    );
    assert!(f[0].site.is_none());
    assert!(f[0].message.contains("server-wide"));
    assert!(
        f[0].fix.ends_with(
            r#"-section:system.webServer/directoryBrowse /enabled:"False" /commit:apphost"#
        ),
        "{}",
        f[0].fix
    );
    assert_golden("H006-fires", &f);
}

#[test]
fn h006_silent_when_disabled() {
    assert!(run_rule(&Host::new("WEB-16").build(), "H006").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H007

fn site_defaults_flags(flags: &str) -> Host {
    Host::new("WEB-17").replace(
        r#"<logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />"#,
        &format!(
            r#"<logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" logExtFileFlags="{flags}" />"#
        ),
    )
}

#[test]
fn h007_fires_once_for_site_defaults_without_substatus() {
    let snap = site_defaults_flags(
        "Date, Time, ClientIP, UserName, Method, UriStem, HttpStatus, Win32Status",
    )
    .build();
    let f = run_rule(&snap, "H007");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("HttpSubStatus"), "{f:#?}");
    assert!(
        f[0].fix.contains("-siteDefaults.logFile.logExtFileFlags:"),
        "{}",
        f[0].fix
    );
    assert!(f[0].fix.contains("HttpSubStatus"), "{}", f[0].fix);
    assert_golden("H007-fires", &f);
}

#[test]
fn h007_silent_with_substatus_and_win32_status() {
    let snap = site_defaults_flags(
        "Date, Time, ClientIP, UriStem, HttpStatus, Win32Status, HttpSubStatus",
    )
    .build();
    assert!(run_rule(&snap, "H007").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H008

fn shop_identity(t: &str) -> Host {
    Host::new("WEB-18").replace(
        r#"<add name="Shop" />"#,
        &format!(r#"<add name="Shop"><processModel identityType="{t}" /></add>"#),
    )
}

#[test]
fn h008_fires_on_a_local_system_pool() {
    let snap = shop_identity("LocalSystem").build();
    let f = run_rule(&snap, "H008");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("Shop"));
    assert!(
        evidence_has(&f[0], "identityType=\"LocalSystem\""),
        "{f:#?}"
    );
    assert!(f[0]
        .fix
        .contains(r#"set apppool "Shop" /processModel.identityType:"ApplicationPoolIdentity""#));
    assert_golden("H008-fires", &f);
}

#[test]
fn h008_silent_on_network_service() {
    assert!(run_rule(&shop_identity("NetworkService").build(), "H008").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H009

#[test]
fn h009_fires_below_level_3() {
    let snap = Host::new("WEB-19")
        .registry(LSA, "LmCompatibilityLevel", Some(RegistryData::Number(1)))
        .build();
    let f = run_rule(&snap, "H009");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(evidence_has(&f[0], "LmCompatibilityLevel = 1"), "{f:#?}");
    assert!(f[0]
        .fix
        .contains("/v LmCompatibilityLevel /t REG_DWORD /d 5 /f"));
    assert_golden("H009-fires", &f);
}

#[test]
fn h009_silent_when_absent() {
    let snap = Host::new("WEB-19")
        .registry(LSA, "LmCompatibilityLevel", None)
        .build();
    assert!(run_rule(&snap, "H009").is_empty());
}

// ---------------------------------------------------------------------------------------------
// H010

const HR_AUTHZ: &str = r#"        <system.webServer><security>
            <authorization>
                <add accessType="Allow" roles="CONTOSO\HR" />
            </authorization>
        </security></system.webServer>"#;

#[test]
fn h010_fires_when_url_authorization_is_not_installed() {
    let snap = Host::new("WEB-20")
        .location("Intranet/hr", HR_AUTHZ)
        .build();
    let f = run_rule(&snap, "H010");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Intranet"));
    assert_eq!(f[0].url_path.as_deref(), Some("/hr"));
    assert!(evidence_has(&f[0], r#"roles="CONTOSO\HR""#), "{f:#?}");
    assert!(f[0].fix.contains("Install-WindowsFeature Web-Url-Auth"));
    assert_golden("H010-fires", &f);
}

#[test]
fn h010_silent_when_the_module_runs() {
    let snap = Host::new("WEB-20")
        .global_module("UrlAuthorizationModule")
        .location(
            "",
            r#"        <system.webServer><modules><add name="UrlAuthorizationModule" /></modules></system.webServer>"#,
        )
        .location("Intranet/hr", HR_AUTHZ)
        .build();
    assert!(run_rule(&snap, "H010").is_empty());
}

// ---------------------------------------------------------------------------------------------
// C001

const HR_WEB_CONFIG: &str = r"D:\Sites\Intranet\hr\web.config";
const HR_WINDOWS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <security>
      <authentication>
        <windowsAuthentication enabled="true" />
      </authentication>
    </security>
  </system.webServer>
</configuration>"#;

#[test]
fn c001_fires_on_a_locked_authentication_section_in_web_config() {
    let snap = Host::new("WEB-21")
        .web_config(HR_WEB_CONFIG, HR_WINDOWS)
        .build();
    let f = run_rule(&snap, "C001");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Intranet"));
    assert_eq!(f[0].url_path.as_deref(), Some("/hr"));
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.location.as_deref() == Some(HR_WEB_CONFIG) && e.line == Some(6)),
        "{f:#?}"
    );
    assert!(f[0].fix.contains(r#"unlock config "Intranet/hr" -section:system.webServer/security/authentication/windowsAuthentication"#), "{}", f[0].fix);
    // The documentation's order: set it in applicationHost.config first, unlock as the alternative.
    let apphost = f[0]
        .fix
        .find("/commit:apphost")
        .expect("appcmd /commit:apphost");
    let ps = f[0]
        .fix
        .find("-PSPath MACHINE/WEBROOT/APPHOST -Location")
        .expect("PowerShell");
    let unlock = f[0].fix.find("unlock config").expect("unlock");
    assert!(apphost < unlock && ps < unlock, "{}", f[0].fix);
    assert!(
        f[0].fix.contains("may then set all of it"),
        "says what unlocking delegates"
    );
    assert_golden("C001-fires", &f);
}

#[test]
fn c001_silent_when_the_section_is_delegated() {
    let snap = Host::new("WEB-21")
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authentication>
            <windowsAuthentication />
        </authentication></security></system.webServer>"#,
        )
        .web_config(HR_WEB_CONFIG, HR_WINDOWS)
        .build();
    assert!(run_rule(&snap, "C001").is_empty());
}

// ---------------------------------------------------------------------------------------------
// C002

fn shop_authz(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <security>
      <authorization>
{inner}
      </authorization>
    </security>
  </system.webServer>
</configuration>"#
    )
}

fn allow_all_server() -> Host {
    Host::new("WEB-22").replace(
        "<authorization />",
        r#"<authorization><add accessType="Allow" users="*" /></authorization>"#,
    )
}

#[test]
fn c002_fires_on_a_duplicate_authorization_key() {
    let snap = allow_all_server()
        .web_config(
            SHOP_WEB_CONFIG,
            &shop_authz(r#"        <add accessType="Deny" users="*" />"#),
        )
        .build();
    let f = run_rule(&snap, "C002");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert!(
        f[0].evidence
            .iter()
            .any(|e| e.location.as_deref() == Some(SHOP_WEB_CONFIG)),
        "{f:#?}"
    );
    assert!(f[0].message.contains("users='*'"), "{f:#?}");
    assert_golden("C002-fires", &f);
}

#[test]
fn c002_silent_with_remove_first() {
    let snap = allow_all_server()
        .web_config(
            SHOP_WEB_CONFIG,
            &shop_authz(
                r#"        <remove users="*" roles="" verbs="" />
        <add accessType="Deny" users="*" />"#,
            ),
        )
        .build();
    assert!(run_rule(&snap, "C002").is_empty());
}

// ---------------------------------------------------------------------------------------------
// C003

const SHOP_DENY_ANONYMOUS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.web>
    <authorization>
      <deny users="?" />
    </authorization>
  </system.web>
</configuration>"#;

#[test]
fn c003_fires_when_the_pool_ignores_web_config() {
    let snap = Host::new("WEB-23")
        .replace(
            r#"<add name="Shop" />"#,
            r#"<add name="Shop" enableConfigurationOverride="false" />"#,
        )
        .web_config(SHOP_WEB_CONFIG, SHOP_DENY_ANONYMOUS)
        .build();
    let f = run_rule(&snap, "C003");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert!(
        evidence_has(&f[0], "enableConfigurationOverride=\"false\""),
        "{f:#?}"
    );
    assert!(
        evidence_has(&f[0], "system.web/authorization (not applied)"),
        "{f:#?}"
    );
    assert!(f[0]
        .fix
        .contains(r#"set apppool "Shop" /enableConfigurationOverride:"True""#));
    assert_golden("C003-fires", &f);
}

#[test]
fn c003_silent_when_web_config_is_read() {
    let snap = Host::new("WEB-23")
        .web_config(SHOP_WEB_CONFIG, SHOP_DENY_ANONYMOUS)
        .build();
    assert!(run_rule(&snap, "C003").is_empty());
}

// ---------------------------------------------------------------------------------------------
// C004

#[test]
fn c004_fires_on_a_web_config_that_is_not_xml() {
    // Cut off after <system.web>: IIS answers 500.19 (0x8007000d) for the whole site.
    let broken = "<?xml version=\"1.0\"?>\n<configuration>\n  <system.web>\n    <authorization>\n      <deny users=\"?\" />\n";
    let snap = Host::new("WEB-24")
        .web_config(SHOP_WEB_CONFIG, broken)
        .build();
    let f = run_rule(&snap, "C004");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some("Shop"));
    assert_eq!(f[0].url_path.as_deref(), Some("/"));
    assert!(f[0].message.contains("never closed"), "{}", f[0].message);
    assert_golden("C004-fires", &f);
}

#[test]
fn c004_silent_on_a_well_formed_web_config() {
    let snap = Host::new("WEB-24")
        .web_config(SHOP_WEB_CONFIG, SHOP_DENY_ANONYMOUS)
        .build();
    assert!(run_rule(&snap, "C004").is_empty());
}

fn pool_logon_failure(user: &str, status: &str, substatus: &str, time: &str) -> SecurityEvent {
    let data = [
        ("TargetUserName", user),
        ("TargetDomainName", "CONTOSO"),
        ("Status", status),
        ("SubStatus", substatus),
        ("LogonType", "4"),
        ("ProcessName", r"C:\Windows\System32\svchost.exe"),
    ];
    SecurityEvent {
        id: 4625,
        time: Some(time.into()),
        data: data
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Shop's pool account has an expired password: H011 names the pool, the 503 and the events;
/// another account's failures and a pool without a specific account are not reported.
#[test]
fn h011_fires_when_the_security_log_shows_a_pool_account_failing() {
    let mut snap = shop_custom_pool(Host::new("WEB-11"), ENC).build();
    snap.security = Some(SecurityLog {
        days: 7,
        events: vec![
            pool_logon_failure(
                "svc-shop",
                "0xC000006D",
                "0xC0000071",
                "2026-11-30T08:14:02Z",
            ),
            pool_logon_failure(
                "svc-shop",
                "0xC000006D",
                "0xC0000071",
                "2026-11-30T08:19:02Z",
            ),
            pool_logon_failure(
                "svc-other",
                "0xC000006E",
                "0xC0000072",
                "2026-11-30T08:20:00Z",
            ),
        ],
        truncated: false,
    });
    snap.collected.security_log = true;
    let found = run_rule(&snap, "H011");
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = &found[0];
    assert!(
        f.message
            .contains("Application pool Shop runs as CONTOSO\\svc-shop")
            && f.message.contains("2 failed logon(s)")
            && f.message.contains("password expired")
            && f.message.contains("503"),
        "{}",
        f.message
    );
    assert_eq!(f.site.as_deref(), Some("Shop"));
    assert!(evidence_has(f, "logon type 4, svchost.exe"));
    assert!(!evidence_has(f, "svc-other"));
    assert!(f.fix.contains("appcmd.exe set apppool \"Shop\""));
    assert!(!f.fix.contains("QmFzZTY0"), "no stored secret in the fix");
    assert_golden("H011-fires", std::slice::from_ref(f));

    // The same failures, but the pool runs as its pool identity: nothing to say.
    let mut plain = Host::new("WEB-12").build();
    plain.security = snap.security.clone();
    plain.collected.security_log = true;
    assert!(run_rule(&plain, "H011").is_empty());
    // No Security log: not evaluated, never clean.
    snap.security = None;
    snap.collected.security_log = false;
    assert!(run_rule(&snap, "H011").is_empty());
    assert!(analysis(&snap)
        .host
        .not_evaluated
        .iter()
        .any(|n| n.rule == "H011"));
}
