//! Fixtures for the 401.1, 401.2, 401.4/401.5 and 401.50x rules: each fires on a host built for
//! it and stays silent on its negative twin (the same host with the cause fixed). Golden
//! findings in tests/fixtures/rules/. The seed scenarios of the support articles are marked.

mod support;

use iis_sweep::finding::{EvidenceKind, Finding, Substatus};
use iis_sweep::snapshot::{RegistryData, SecurityEvent, SecurityLog, Snapshot};
use support::*;

const MY_RULES: [&str; 16] = [
    "U101", "U102", "U103", "U104", "U105", "U106", "U202", "U203", "U204", "U205", "U206", "U207",
    "U401", "U402", "U501", "U502",
];

/// Anonymous off, Windows authentication on (applicationHost.config location tag).
const WINDOWS_ONLY: &str = r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="true" />
        </authentication></security></system.webServer>"#;

/// The shipped server-level URL authorization rule (installed with UrlAuthorizationModule).
const ALLOW_ALL: &str = r#"<authorization>
                <add accessType="Allow" users="*" />
            </authorization>"#;

fn not_evaluated(snap: &Snapshot, code: &str) -> Vec<String> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    iis_sweep::pipeline::analyze(
        snap,
        "fixture",
        &iis_sweep::rules::settings::RuleSettings::default(),
        today,
    )
    .host
    .not_evaluated
    .into_iter()
    .filter(|n| n.rule == code)
    .map(|n| n.reason)
    .collect()
}

fn has_evidence(f: &Finding, kind: EvidenceKind, needle: &str) -> bool {
    f.evidence
        .iter()
        .any(|e| e.kind == kind && e.text.contains(needle))
}

fn one(f: &[Finding], site: &str, path: &str, sub: Substatus) -> Finding {
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].site.as_deref(), Some(site), "{f:#?}");
    assert_eq!(f[0].url_path.as_deref(), Some(path), "{f:#?}");
    assert_eq!(f[0].substatus, sub, "{f:#?}");
    f[0].clone()
}

#[test]
fn baseline_host_triggers_none_of_these_rules() {
    let all = run_all(&Host::new("WEB-01").build());
    let mine: Vec<&Finding> = all
        .iter()
        .filter(|f| MY_RULES.contains(&f.rule.as_str()))
        .collect();
    assert!(mine.is_empty(), "{mine:#?}");
}

// ---------------------------------------------------------------- 401.1

/// Seed scenario 2: Windows authentication on a site with a host-name binding, browsed from the
/// server itself, and no BackConnectionHostNames.
#[test]
fn u101_fires_without_back_connection_host_names() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .registry(MSV1_0, "BackConnectionHostNames", None)
        .build();
    let f = one(
        &run_rule(&snap, "U101"),
        "Intranet",
        "/",
        Substatus::LogonFailed,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Registry,
        "BackConnectionHostNames is not set"
    ));
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        "intranet.contoso.com"
    ));
    assert_eq!(
        f.fix,
        r#"reg add "HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0" /v BackConnectionHostNames /t REG_MULTI_SZ /d "intranet.contoso.com" /f"#
    );
    assert_golden("U101-fires", &[f]);
}

#[test]
fn u101_silent_when_the_name_is_listed() {
    // The baseline lists intranet.contoso.com in BackConnectionHostNames.
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .build();
    assert!(run_rule(&snap, "U101").is_empty());
}

#[test]
fn u101_fires_when_the_value_has_the_wrong_type_and_keeps_existing_names() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .registry(
            MSV1_0,
            "BackConnectionHostNames",
            Some(RegistryData::Text("intranet.contoso.com".into())),
        )
        .build();
    let f = run_rule(&snap, "U101");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("REG_SZ"), "{}", f[0].message);
    assert!(f[0].fix.contains("/t REG_MULTI_SZ"));
}

#[test]
fn u101_fires_when_the_value_is_under_the_wrong_key() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .registry(MSV1_0, "BackConnectionHostNames", None)
        .registry(
            LSA,
            "BackConnectionHostNames",
            Some(RegistryData::Lines(vec!["intranet.contoso.com".into()])),
        )
        .build();
    let f = run_rule(&snap, "U101");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0]
        .evidence
        .iter()
        .any(|e| e.location.as_deref() == Some(LSA) && e.text.contains("BackConnectionHostNames")));
}

#[test]
fn u101_silent_when_the_loopback_check_is_off_or_the_name_is_the_computer_name() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .registry(MSV1_0, "BackConnectionHostNames", None)
        .registry(LSA, "DisableLoopbackCheck", Some(RegistryData::Number(1)))
        .build();
    assert!(run_rule(&snap, "U101").is_empty());
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .registry(MSV1_0, "BackConnectionHostNames", None)
        .replace("*:80:intranet.contoso.com", "*:80:web-01.contoso.local")
        .build();
    assert!(run_rule(&snap, "U101").is_empty());
}

#[test]
fn u101_not_evaluated_without_registry() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .with(|s| {
            s.collected.registry = false;
            s.registry.clear();
        })
        .build();
    assert!(run_rule(&snap, "U101").is_empty());
    assert!(!not_evaluated(&snap, "U101").is_empty());
}

#[test]
fn u102_fires_when_incoming_ntlm_is_denied() {
    let snap = Host::new("WEB-02")
        .location("Intranet", WINDOWS_ONLY)
        .registry(
            MSV1_0,
            "RestrictReceivingNTLMTraffic",
            Some(RegistryData::Number(2)),
        )
        .build();
    let f = one(
        &run_rule(&snap, "U102"),
        "Intranet",
        "/",
        Substatus::LogonFailed,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Registry,
        "RestrictReceivingNTLMTraffic = 2"
    ));
    assert!(f.fix.starts_with("reg add "));
    assert_golden("U102-fires", &[f]);
}

#[test]
fn u102_silent_when_ntlm_is_allowed() {
    let snap = Host::new("WEB-02")
        .location("Intranet", WINDOWS_ONLY)
        .registry(
            MSV1_0,
            "RestrictReceivingNTLMTraffic",
            Some(RegistryData::Number(0)),
        )
        .build();
    assert!(run_rule(&snap, "U102").is_empty());
    // 1 only refuses domain accounts: nothing to refuse on a workgroup host.
    let snap = Host::new("WEB-02")
        .location("Intranet", WINDOWS_ONLY)
        .registry(
            MSV1_0,
            "RestrictReceivingNTLMTraffic",
            Some(RegistryData::Number(1)),
        )
        .with(|s| s.host.part_of_domain = Some(false))
        .build();
    assert!(run_rule(&snap, "U102").is_empty());
}

#[test]
fn u103_fires_at_level_5_with_ntlm_offered() {
    let snap = Host::new("WEB-02")
        .location("Intranet", WINDOWS_ONLY)
        .registry(LSA, "LmCompatibilityLevel", Some(RegistryData::Number(5)))
        .build();
    let f = one(
        &run_rule(&snap, "U103"),
        "Intranet",
        "/",
        Substatus::LogonFailed,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Registry,
        "LmCompatibilityLevel = 5"
    ));
    assert_golden("U103-fires", &[f]);
}

#[test]
fn u103_silent_at_level_3() {
    let snap = Host::new("WEB-02")
        .location("Intranet", WINDOWS_ONLY)
        .build();
    assert!(run_rule(&snap, "U103").is_empty());
}

const INTRANET_POOL_DOMAIN_ACCOUNT: &str = r#"<add name="Intranet">
                <processModel identityType="SpecificUser" userName="CONTOSO\svc-intranet" password="[enc:IISWASOnlyCngProvider:c2VjcmV0:enc]" />
            </add>"#;

#[test]
fn u104_fires_for_kernel_mode_with_a_domain_pool_account() {
    let snap = Host::new("WEB-04")
        .replace(r#"<add name="Intranet" />"#, INTRANET_POOL_DOMAIN_ACCOUNT)
        .location("Intranet", WINDOWS_ONLY)
        .build();
    // /hr runs in the same pool: one finding for the site.
    let f = one(
        &run_rule(&snap, "U104"),
        "Intranet",
        "/",
        Substatus::LogonFailed,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        "CONTOSO\\svc-intranet"
    ));
    assert!(f
        .fix
        .contains("/useAppPoolCredentials:\"True\" /commit:apphost"));
    assert!(f.message.contains("HTTP/intranet.contoso.com"));
    assert_golden("U104-fires", &[f]);
}

#[test]
fn u104_silent_with_use_app_pool_credentials() {
    let snap = Host::new("WEB-04")
        .replace(r#"<add name="Intranet" />"#, INTRANET_POOL_DOMAIN_ACCOUNT)
        .location(
            "Intranet",
            r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="true" useAppPoolCredentials="true" />
        </authentication></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U104").is_empty());
}

const SHOP_DIGEST_ONLY: &str = r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <digestAuthentication enabled="true" />
        </authentication></security></system.webServer>"#;

#[test]
fn u105_fires_for_digest_on_a_workgroup_server() {
    let snap = Host::new("WEB-05")
        .location("Shop", SHOP_DIGEST_ONLY)
        .with(|s| {
            s.host.part_of_domain = Some(false);
            s.host.domain = Some("WORKGROUP".into());
        })
        .build();
    let f = one(
        &run_rule(&snap, "U105"),
        "Shop",
        "/",
        Substatus::LogonFailed,
    );
    assert!(has_evidence(&f, EvidenceKind::Host, "PartOfDomain = false"));
    assert!(f.fix.contains("windowsAuthentication /enabled:\"True\""));
    assert!(f.fix.contains("digestAuthentication /enabled:\"False\""));
    assert_golden("U105-fires", &[f]);
}

#[test]
fn u105_silent_on_a_domain_member_and_not_evaluated_when_unknown() {
    let snap = Host::new("WEB-05")
        .location("Shop", SHOP_DIGEST_ONLY)
        .build();
    assert!(run_rule(&snap, "U105").is_empty());
    let snap = Host::new("WEB-05")
        .location("Shop", SHOP_DIGEST_ONLY)
        .with(|s| s.host.part_of_domain = None)
        .build();
    assert!(run_rule(&snap, "U105").is_empty());
    assert!(!not_evaluated(&snap, "U105").is_empty());
}

const SHOP_CUSTOM_ANONYMOUS: &str = r#"        <system.webServer><security><authentication>
            <anonymousAuthentication userName="CONTOSO\web-anon" password="[enc:AesProvider:c2VjcmV0:enc]" />
        </authentication></security></system.webServer>"#;

#[test]
fn u106_fires_for_a_custom_anonymous_account() {
    let snap = Host::new("WEB-06")
        .location("Shop", SHOP_CUSTOM_ANONYMOUS)
        .account(
            r"CONTOSO\web-anon",
            "S-1-5-21-1004336348-1177238915-682003330-4211",
            &["S-1-1-0", "S-1-5-32-545", "S-1-5-11"],
        )
        .build();
    let f = one(
        &run_rule(&snap, "U106"),
        "Shop",
        "/",
        Substatus::LogonFailed,
    );
    assert!(has_evidence(&f, EvidenceKind::Config, "CONTOSO\\web-anon"));
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        "encrypted with AesProvider"
    ));
    assert!(f.fix.contains("/userName:\"\" /commit:apphost"));
    assert!(
        !f.evidence.iter().any(|e| e.text.contains("c2VjcmV0")),
        "never repeat the stored secret"
    );
    assert_golden("U106-fires", &[f]);
}

#[test]
fn u106_silent_with_the_pool_identity_and_not_evaluated_when_unresolved() {
    let snap = Host::new("WEB-06")
        .location(
            "Shop",
            r#"        <system.webServer><security><authentication>
            <anonymousAuthentication userName="" />
        </authentication></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U106").is_empty());
    let snap = Host::new("WEB-06")
        .location("Shop", SHOP_CUSTOM_ANONYMOUS)
        .build();
    assert!(run_rule(&snap, "U106").is_empty());
    assert!(!not_evaluated(&snap, "U106").is_empty());
}

/// A 4625 event as the collector ships it (fields of Microsoft's event 4625 documentation).
fn failed_logon(
    user: &str,
    domain: &str,
    status: &str,
    substatus: &str,
    time: &str,
) -> SecurityEvent {
    let data = [
        ("TargetUserName", user),
        ("TargetDomainName", domain),
        ("Status", status),
        ("SubStatus", substatus),
        ("LogonType", "8"),
        ("ProcessName", r"C:\Windows\System32\inetsrv\w3wp.exe"),
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

/// The Security log shows the custom anonymous account disabled: U107 names it with the
/// events, and `why` would rank it above configuration guesses (tests/check.rs).
#[test]
fn u107_fires_when_the_security_log_shows_the_anonymous_account_failing() {
    let mut snap = Host::new("WEB-06")
        .location("Shop", SHOP_CUSTOM_ANONYMOUS)
        .build();
    snap.security = Some(SecurityLog {
        days: 7,
        events: vec![
            failed_logon(
                "web-anon",
                "CONTOSO",
                "0xC000006E",
                "0xC0000072",
                "2026-11-30T08:14:02Z",
            ),
            failed_logon(
                "web-anon",
                "CONTOSO",
                "0xC000006E",
                "0xC0000072",
                "2026-11-30T08:15:40Z",
            ),
            // Another user's wrong password: not the configured account.
            failed_logon(
                "jdoe",
                "CONTOSO",
                "0xC000006D",
                "0xC000006A",
                "2026-11-30T09:00:00Z",
            ),
        ],
        truncated: false,
    });
    let f = one(
        &run_rule(&snap, "U107"),
        "Shop",
        "/",
        Substatus::LogonFailed,
    );
    assert!(
        f.message.contains("2 failed logon(s)") && f.message.contains("account disabled"),
        "{}",
        f.message
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Event,
        "0xc0000072 (account disabled)"
    ));
    assert!(has_evidence(&f, EvidenceKind::Event, "w3wp.exe"));
    assert!(!f.evidence.iter().any(|e| e.text.contains("jdoe")));
    assert!(f.fix.contains("/userName:\"\" /commit:apphost"));
    assert_golden("U107-fires", &[f]);

    // No such user (the account was deleted) is the account's state too.
    snap.security.as_mut().unwrap().events.truncate(0);
    snap.security.as_mut().unwrap().events.push(failed_logon(
        "web-anon",
        "CONTOSO",
        "0xC000006D",
        "0xC0000064",
        "2026-11-30T08:14:02Z",
    ));
    assert_eq!(run_rule(&snap, "U107").len(), 1);
    snap.security = None;
    snap.collected.security_log = false;
    assert!(run_rule(&snap, "U107").is_empty());
    assert!(
        !not_evaluated(&snap, "U107").is_empty(),
        "no Security log: not evaluated"
    );
}

// ---------------------------------------------------------------- 401.2

const WINDOWS_AUTH_MODULE: &str = "            <add name=\"WindowsAuthenticationModule\" image=\"%windir%\\System32\\inetsrv\\authsspi.dll\" />\n";

/// Seed scenario (forum): anonymous disabled, Windows enabled, 401.2 from "IIS Web Core" — the
/// Windows Authentication role service is not installed.
#[test]
fn u202_fires_when_the_windows_auth_module_is_missing() {
    let snap = Host::new("WEB-07")
        .replace(WINDOWS_AUTH_MODULE, "")
        .location("Intranet", WINDOWS_ONLY)
        .build();
    let f = one(
        &run_rule(&snap, "U202"),
        "Intranet",
        "/",
        Substatus::ServerConfiguration,
    );
    assert_eq!(f.fix, "Install-WindowsFeature Web-Windows-Auth");
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        "<globalModules> has no WindowsAuthenticationModule"
    ));
    assert_golden("U202-fires", &[f]);
}

#[test]
fn u202_silent_with_the_module_or_another_usable_method() {
    let snap = Host::new("WEB-07")
        .location("Intranet", WINDOWS_ONLY)
        .build();
    assert!(run_rule(&snap, "U202").is_empty());
    // Anonymous still works: requests authenticate through it.
    let snap = Host::new("WEB-07")
        .replace(WINDOWS_AUTH_MODULE, "")
        .location(
            "Intranet",
            r#"        <system.webServer><security><authentication>
            <windowsAuthentication enabled="true" />
        </authentication></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U202").is_empty());
}

#[test]
fn u203_fires_when_windows_auth_has_no_provider() {
    let snap = Host::new("WEB-08")
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="true">
                <providers>
                    <clear />
                </providers>
            </windowsAuthentication>
        </authentication></security></system.webServer>"#,
        )
        .build();
    let f = one(
        &run_rule(&snap, "U203"),
        "Intranet",
        "/hr",
        Substatus::ServerConfiguration,
    );
    assert!(has_evidence(&f, EvidenceKind::Config, "<clear />"));
    assert!(f.fix.contains("\"/+providers.[value='Negotiate']\""));
    assert_golden("U203-fires", &[f]);
}

#[test]
fn u203_silent_with_a_provider() {
    let snap = Host::new("WEB-08")
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authentication>
            <anonymousAuthentication enabled="false" />
            <windowsAuthentication enabled="true">
                <providers>
                    <clear />
                    <add value="NTLM" />
                </providers>
            </windowsAuthentication>
        </authentication></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U203").is_empty());
}

fn url_auth_host(name: &str) -> Host {
    Host::new(name)
        .global_module("UrlAuthorizationModule")
        .replace("<authorization />", ALLOW_ALL)
}

/// Seed scenario 3: anonymous only, URL Authorization installed, the default "Allow all users"
/// rule removed.
#[test]
fn u204_fires_when_allow_all_is_removed() {
    let snap = url_auth_host("WEB-09")
        .location(
            "Shop",
            r#"        <system.webServer><security><authorization>
            <remove users="*" roles="" verbs="" />
        </authorization></security></system.webServer>"#,
        )
        .build();
    let f = one(
        &run_rule(&snap, "U204"),
        "Shop",
        "/",
        Substatus::ServerConfiguration,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        r#"<remove users="*" roles="" verbs="" />"#
    ));
    assert!(f
        .fix
        .contains(r#"/+"[accessType='Allow',users='*']" /commit:apphost"#));
    // Anonymous-only there, but "nobody" is U204's, not U205's.
    assert!(run_rule(&snap, "U205").is_empty());
    assert_golden("U204-fires", &[f]);
}

#[test]
fn u204_silent_with_allow_all_or_without_the_module() {
    assert!(run_rule(&url_auth_host("WEB-09").build(), "U204").is_empty());
    // Without UrlAuthorizationModule the rules are inert (H010's concern).
    let snap = Host::new("WEB-09")
        .location(
            "Shop",
            r#"        <system.webServer><security><authorization>
            <clear />
        </authorization></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U204").is_empty());
}

#[test]
fn u204_fires_on_a_deny_for_everyone() {
    let snap = url_auth_host("WEB-09")
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authorization>
            <remove users="*" roles="" verbs="" />
            <add accessType="Deny" users="*" />
        </authorization></security></system.webServer>"#,
        )
        .build();
    let f = one(
        &run_rule(&snap, "U204"),
        "Intranet",
        "/hr",
        Substatus::ServerConfiguration,
    );
    assert!(
        f.fix.contains(r#"/-"[users='*',roles='',verbs='']""#),
        "{}",
        f.fix
    );
}

const DENY_ANONYMOUS: &str = r#"        <system.webServer><security><authorization>
            <add accessType="Deny" users="?" />
        </authorization></security></system.webServer>"#;

#[test]
fn u205_fires_when_anonymous_is_denied_and_nothing_challenges() {
    let snap = url_auth_host("WEB-10")
        .location("Intranet/hr", DENY_ANONYMOUS)
        .build();
    let f = one(
        &run_rule(&snap, "U205"),
        "Intranet",
        "/hr",
        Substatus::ServerConfiguration,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        r#"<add accessType="Deny" users="?" />"#
    ));
    assert!(f.fix.contains("windowsAuthentication /enabled:\"True\""));
    assert_golden("U205-fires", &[f]);
}

#[test]
fn u205_silent_when_windows_auth_can_challenge() {
    let snap = url_auth_host("WEB-10")
        .location("Intranet/hr", DENY_ANONYMOUS)
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authentication>
            <windowsAuthentication enabled="true" />
        </authentication></security></system.webServer>"#,
        )
        .build();
    assert!(run_rule(&snap, "U205").is_empty());
}

const SHOP_WEB_CONFIG_DENY: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.web>
    <authorization>
      <deny users="?" />
    </authorization>
  </system.web>
</configuration>
"#;

#[test]
fn u206_fires_when_aspnet_denies_anonymous_without_forms() {
    let snap = Host::new("WEB-11")
        .web_config(r"D:\Sites\Shop\web.config", SHOP_WEB_CONFIG_DENY)
        .build();
    let f = one(
        &run_rule(&snap, "U206"),
        "Shop",
        "/",
        Substatus::ServerConfiguration,
    );
    assert!(f.evidence.iter().any(|e| e.kind == EvidenceKind::Config
        && e.location.as_deref() == Some(r"D:\Sites\Shop\web.config")
        && e.text == r#"<deny users="?" />"#));
    assert_golden("U206-fires", &[f]);
}

#[test]
fn u206_silent_with_forms_authentication() {
    let snap = Host::new("WEB-11")
        .web_config(
            r"D:\Sites\Shop\web.config",
            &SHOP_WEB_CONFIG_DENY.replace(
                "<system.web>",
                "<system.web>\n    <authentication mode=\"Forms\" />",
            ),
        )
        .build();
    assert!(run_rule(&snap, "U206").is_empty());
}

fn shop_cert_only(ssl_flags: &str) -> String {
    format!(
        r#"        <system.webServer><security>
            <access sslFlags="{ssl_flags}" />
            <authentication>
                <anonymousAuthentication enabled="false" />
                <iisClientCertificateMappingAuthentication enabled="true" />
            </authentication>
        </security></system.webServer>"#
    )
}

#[test]
fn u207_fires_when_client_certificates_are_not_negotiated() {
    let snap = Host::new("WEB-12")
        .location("Shop", &shop_cert_only("Ssl"))
        .build();
    let f = one(
        &run_rule(&snap, "U207"),
        "Shop",
        "/",
        Substatus::ServerConfiguration,
    );
    assert!(has_evidence(&f, EvidenceKind::Config, r#"sslFlags="Ssl""#));
    assert!(f
        .fix
        .ends_with(r#"-section:system.webServer/security/access /sslFlags:"Ssl, SslNegotiateCert" /commit:apphost"#));
    assert_golden("U207-fires", &[f]);
}

#[test]
fn u207_silent_when_certificates_are_negotiated() {
    let snap = Host::new("WEB-12")
        .location("Shop", &shop_cert_only("Ssl, SslNegotiateCert"))
        .build();
    assert!(run_rule(&snap, "U207").is_empty());
}

// ---------------------------------------------------------------- 401.4 / 401.5

fn shop_filter(name: &str, path: &str) -> String {
    format!(
        r#"        <system.webServer><isapiFilters>
            <filter name="{name}" path="{path}" />
        </isapiFilters></system.webServer>"#
    )
}

#[test]
fn u401_fires_for_a_third_party_filter() {
    let snap = Host::new("WEB-13")
        .global_module("IsapiFilterModule")
        .location(
            "Shop",
            &shop_filter("SsoAgent", r"C:\Program Files\Sso\sso_filter.dll"),
        )
        .build();
    let f = one(&run_rule(&snap, "U401"), "Shop", "/", Substatus::Filter);
    assert!(has_evidence(&f, EvidenceKind::Config, "SsoAgent"));
    assert!(f.fix.contains("/-\"[name='SsoAgent']\" /commit:apphost"));
    assert_golden("U401-fires", &[f]);
}

#[test]
fn u401_silent_for_the_aspnet_filter_or_without_the_module() {
    let snap = Host::new("WEB-13")
        .global_module("IsapiFilterModule")
        .location(
            "Shop",
            &shop_filter(
                "ASP.Net_4.0_64bit",
                r"%windir%\Microsoft.NET\Framework64\v4.0.30319\aspnet_filter.dll",
            ),
        )
        .build();
    assert!(run_rule(&snap, "U401").is_empty());
    let snap = Host::new("WEB-13")
        .location(
            "Shop",
            &shop_filter("SsoAgent", r"C:\Program Files\Sso\sso_filter.dll"),
        )
        .build();
    assert!(run_rule(&snap, "U401").is_empty());
}

fn isapi_host(allowed: bool) -> Host {
    Host::new("WEB-14")
        .global_module("IsapiModule")
        .location(
            "",
            &format!(
                r#"        <system.webServer><security><isapiCgiRestriction>
            <add path="D:\Apps\Reports\reports.dll" allowed="{allowed}" description="Reports" />
        </isapiCgiRestriction></security></system.webServer>"#
            ),
        )
        .location(
            "Intranet",
            r#"        <system.webServer><handlers>
            <add name="LegacyReports" path="*.rpt" verb="*" modules="IsapiModule" scriptProcessor="D:\Apps\Reports\reports.dll" resourceType="File" />
        </handlers></system.webServer>"#,
        )
}

#[test]
fn u402_fires_for_an_allowed_third_party_isapi_extension() {
    let snap = isapi_host(true).build();
    let f = one(
        &run_rule(&snap, "U402"),
        "Intranet",
        "/",
        Substatus::IsapiCgi,
    );
    assert!(has_evidence(&f, EvidenceKind::Config, "LegacyReports"));
    assert!(has_evidence(&f, EvidenceKind::Config, r#"allowed="true""#));
    assert_golden("U402-fires", &[f]);
}

#[test]
fn u402_silent_when_isapi_cgi_restriction_refuses_it() {
    assert!(run_rule(&isapi_host(false).build(), "U402").is_empty());
}

// ---------------------------------------------------------------- 401.501–504

fn ip_host(deny_action: &str, rules: &str, reverse_dns: bool) -> Snapshot {
    Host::new("WEB-15")
        .global_module("IpRestrictionModule")
        .location(
            "Shop",
            &format!(
                r#"        <system.webServer><security>
            <ipSecurity denyAction="{deny_action}" enableReverseDns="{reverse_dns}">
{rules}
            </ipSecurity>
        </security></system.webServer>"#
            ),
        )
        .build()
}

const IP_DENY: &str =
    r#"                <add ipAddress="192.168.5.0" subnetMask="255.255.255.0" allowed="false" />"#;
const DOMAIN_DENY: &str =
    r#"                <add domainName="*.badbots.example" allowed="false" />"#;

#[test]
fn u501_fires_for_ip_deny_rules_with_unauthorized() {
    let snap = ip_host("Unauthorized", IP_DENY, false);
    let f = one(&run_rule(&snap, "U501"), "Shop", "/", Substatus::IpDenied);
    assert!(has_evidence(&f, EvidenceKind::Config, "192.168.5.0"));
    assert!(f.fix.contains("/denyAction:\"Forbidden\" /commit:apphost"));
    assert_golden("U501-fires", &[f]);
}

#[test]
fn u501_silent_with_forbidden() {
    assert!(run_rule(&ip_host("Forbidden", IP_DENY, false), "U501").is_empty());
}

#[test]
fn u501_reports_domain_rules_as_401_504_only_with_reverse_dns() {
    let both = format!("{IP_DENY}\n{DOMAIN_DENY}");
    let f = run_rule(&ip_host("Unauthorized", &both, true), "U501");
    let subs: Vec<Substatus> = f.iter().map(|f| f.substatus).collect();
    assert_eq!(
        subs,
        [Substatus::IpDenied, Substatus::HostNameDenied],
        "{f:#?}"
    );
    assert_ne!(f[0].fingerprint, f[1].fingerprint);
    // Without reverse DNS the domain rule never matches.
    let f = run_rule(&ip_host("Unauthorized", DOMAIN_DENY, false), "U501");
    assert!(f.is_empty(), "{f:#?}");
}

fn dip_host(inner: &str) -> Snapshot {
    Host::new("WEB-16")
        .global_module("DynamicIpRestrictionModule")
        .location(
            "Shop",
            &format!(
                r#"        <system.webServer><security>
            {inner}
        </security></system.webServer>"#
            ),
        )
        .build()
}

/// Seed scenario 5: dynamic IP restriction with denyAction="Unauthorized" and the request-rate
/// limit enabled.
#[test]
fn u502_fires_for_request_rate_with_unauthorized() {
    let snap = dip_host(
        r#"<dynamicIpSecurity denyAction="Unauthorized">
                <denyByRequestRate enabled="true" maxRequests="20" requestIntervalInMilliseconds="200" />
            </dynamicIpSecurity>"#,
    );
    let f = one(
        &run_rule(&snap, "U502"),
        "Shop",
        "/",
        Substatus::DynamicIpRate,
    );
    assert!(has_evidence(
        &f,
        EvidenceKind::Config,
        "denyAction=\"Unauthorized\""
    ));
    assert!(f.message.contains("401.502") && f.message.contains("403.502"));
    assert_golden("U502-fires", &[f]);
}

#[test]
fn u502_concurrent_requests_are_401_501() {
    let snap = dip_host(
        r#"<dynamicIpSecurity denyAction="Unauthorized">
                <denyByConcurrentRequests enabled="true" maxConcurrentRequests="10" />
            </dynamicIpSecurity>"#,
    );
    let f = run_rule(&snap, "U502");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].substatus, Substatus::DynamicIpConcurrent);
}

#[test]
fn u502_silent_with_forbidden_or_logging_only() {
    let snap = dip_host(
        r#"<dynamicIpSecurity denyAction="Forbidden">
                <denyByRequestRate enabled="true" />
            </dynamicIpSecurity>"#,
    );
    assert!(run_rule(&snap, "U502").is_empty());
    let snap = dip_host(
        r#"<dynamicIpSecurity denyAction="Unauthorized" enableLoggingOnlyMode="true">
                <denyByRequestRate enabled="true" />
            </dynamicIpSecurity>"#,
    );
    assert!(run_rule(&snap, "U502").is_empty());
}

// ---------------------------------------------------------------- variants

#[test]
fn u204_reports_the_shallowest_path_only() {
    let snap = url_auth_host("WEB-09")
        .location(
            "Intranet",
            r#"        <system.webServer><security><authorization>
            <clear />
        </authorization></security></system.webServer>"#,
        )
        .build();
    let f = run_rule(&snap, "U204");
    assert_eq!(f.len(), 1, "not once more for /hr: {f:#?}");
    assert_eq!(f[0].url_path.as_deref(), Some("/"));
}

#[test]
fn u205_fires_when_only_a_role_is_allowed() {
    let snap = url_auth_host("WEB-10")
        .location(
            "Intranet/hr",
            r#"        <system.webServer><security><authorization>
            <remove users="*" roles="" verbs="" />
            <add accessType="Allow" roles="CONTOSO\HR" />
        </authorization></security></system.webServer>"#,
        )
        .build();
    let f = run_rule(&snap, "U205");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("only named users or roles"));
    assert!(run_rule(&snap, "U204").is_empty());
}

#[test]
fn u206_silent_when_the_pool_runs_no_managed_code() {
    let snap = Host::new("WEB-11")
        .replace(
            r#"<add name="Shop" />"#,
            r#"<add name="Shop" managedRuntimeVersion="" />"#,
        )
        .web_config(r"D:\Sites\Shop\web.config", SHOP_WEB_CONFIG_DENY)
        .build();
    assert!(run_rule(&snap, "U206").is_empty());
}

#[test]
fn u207_on_a_site_without_https_adds_a_binding_first() {
    let snap = Host::new("WEB-12")
        .location("Default Web Site", &shop_cert_only("None"))
        .build();
    let f = run_rule(&snap, "U207");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].message.contains("no https binding"),
        "{}",
        f[0].message
    );
    assert!(f[0].fix.starts_with(
        r#"%windir%\system32\inetsrv\appcmd.exe set site /site.name:"Default Web Site" /+bindings.[protocol='https',bindingInformation='*:443:']"#
    ));
    assert!(f[0].fix.contains(r#"/sslFlags:"Ssl, SslNegotiateCert""#));
}

#[test]
fn u101_one_fix_for_every_missing_name_on_the_host() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .location("Shop", WINDOWS_ONLY)
        .registry(
            MSV1_0,
            "BackConnectionHostNames",
            Some(RegistryData::Lines(vec!["legacy.contoso.com".into()])),
        )
        .build();
    let f = run_rule(&snap, "U101");
    assert_eq!(f.len(), 2, "{f:#?}");
    let want = r#"reg add "HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0" /v BackConnectionHostNames /t REG_MULTI_SZ /d "legacy.contoso.com\0intranet.contoso.com\0shop.contoso.com" /f"#;
    assert!(f.iter().all(|f| f.fix == want), "{f:#?}");
}

#[test]
fn u101_fires_when_disable_loopback_check_is_under_msv1_0() {
    let snap = Host::new("WEB-01")
        .location("Intranet", WINDOWS_ONLY)
        .registry(MSV1_0, "BackConnectionHostNames", None)
        .registry(
            MSV1_0,
            "DisableLoopbackCheck",
            Some(RegistryData::Number(1)),
        )
        .build();
    let f = run_rule(&snap, "U101");
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("has no effect"), "{}", f[0].message);
    assert!(f[0]
        .evidence
        .iter()
        .any(|e| e.location.as_deref() == Some(MSV1_0)
            && e.text.contains("DisableLoopbackCheck = 1")));
}
