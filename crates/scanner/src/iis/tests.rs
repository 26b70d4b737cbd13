//! Unit tests of the merge rules, each built from a small configuration written for it.

use super::*;
use crate::snapshot::{ConfigFile, FileRole, Snapshot};

const APPHOST: &str = r"C:\Windows\System32\inetsrv\config\applicationHost.config";
const WIN: &str = sections::WINDOWS_AUTHENTICATION;
const ANON: &str = sections::ANONYMOUS_AUTHENTICATION;
const AUTHZ: &str = sections::AUTHORIZATION;

/// `<configSections>` as shipped (trimmed to what the tests use).
const CONFIG_SECTIONS: &str = r#"
  <configSections>
    <sectionGroup name="system.applicationHost">
      <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
      <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
    </sectionGroup>
    <sectionGroup name="system.webServer">
      <section name="directoryBrowse" overrideModeDefault="Allow" />
      <section name="globalModules" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
      <section name="handlers" overrideModeDefault="Deny" />
      <section name="httpErrors" overrideModeDefault="Allow" />
      <section name="isapiFilters" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />
      <section name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />
      <sectionGroup name="security">
        <section name="access" overrideModeDefault="Deny" />
        <section name="authorization" overrideModeDefault="Allow" />
        <section name="ipSecurity" overrideModeDefault="Deny" />
        <sectionGroup name="authentication">
          <section name="anonymousAuthentication" overrideModeDefault="Deny" />
          <section name="basicAuthentication" overrideModeDefault="Deny" />
          <section name="windowsAuthentication" overrideModeDefault="Deny" />
        </sectionGroup>
      </sectionGroup>
    </sectionGroup>
  </configSections>"#;

fn apphost(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>{CONFIG_SECTIONS}
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
      <add name="Shop" managedPipelineMode="Classic">
        <processModel identityType="SpecificUser" userName="CONTOSO\svc" password="hunter2" />
      </add>
      <add name="Locked" enableConfigurationOverride="false" />
      <applicationPoolDefaults managedRuntimeVersion="v4.0">
        <processModel identityType="ApplicationPoolIdentity" loadUserProfile="true" />
      </applicationPoolDefaults>
    </applicationPools>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <application path="/app" applicationPool="Shop">
          <virtualDirectory path="/" physicalPath="D:\sites\app" />
          <virtualDirectory path="/static" physicalPath="D:\static" allowSubDirConfig="false" userName="CONTOSO\files" password="[enc:AesProvider:abc:enc]" />
        </application>
        <application path="/legacy" applicationPool="Locked">
          <virtualDirectory path="/" physicalPath="D:\legacy" />
        </application>
        <bindings>
          <binding protocol="http" bindingInformation="*:80:" />
          <binding protocol="https" bindingInformation="10.0.0.5:443:www.contoso.com" sslFlags="1" />
        </bindings>
      </site>
      <siteDefaults>
        <logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />
      </siteDefaults>
      <applicationDefaults applicationPool="DefaultAppPool" />
      <virtualDirectoryDefaults allowSubDirConfig="true" />
    </sites>
  </system.applicationHost>
  <system.webServer>
    <globalModules>
      <add name="AnonymousAuthenticationModule" image="%windir%\System32\inetsrv\authanon.dll" />
      <add name="WindowsAuthenticationModule" image="%windir%\System32\inetsrv\authsspi.dll" />
    </globalModules>
    <security>
      <authentication>
        <anonymousAuthentication enabled="true" userName="IUSR" />
        <windowsAuthentication enabled="false">
          <providers>
            <add value="Negotiate" />
            <add value="NTLM" />
          </providers>
        </windowsAuthentication>
      </authentication>
      <authorization>
        <add accessType="Allow" users="*" />
      </authorization>
    </security>
  </system.webServer>
  <location path="" overrideMode="Allow">
    <system.webServer>
      <modules>
        <add name="AnonymousAuthenticationModule" lockItem="true" />
        <add name="WindowsAuthenticationModule" lockItem="true" />
      </modules>
    </system.webServer>
  </location>
{body}
</configuration>"#
    )
}

fn snapshot(apphost_body: &str, web: &[(&str, &str)]) -> Snapshot {
    let mut s = Snapshot::new("web01");
    s.host
        .env
        .insert("SystemDrive".to_string(), "C:".to_string());
    s.files.push(ConfigFile {
        path: APPHOST.to_string(),
        role: FileRole::ApplicationHost,
        text: Some(apphost(apphost_body)),
        error: None,
        truncated: false,
    });
    for (path, text) in web {
        s.files.push(ConfigFile {
            path: (*path).to_string(),
            role: FileRole::WebConfig,
            text: Some((*text).to_string()),
            error: None,
            truncated: false,
        });
    }
    s
}

fn host(apphost_body: &str, web: &[(&str, &str)]) -> HostConfig {
    HostConfig::from_snapshot(&snapshot(apphost_body, web))
}

/// 1-based line of the first line of the apphost text containing `needle`.
fn apphost_line(needle: &str) -> u32 {
    apphost("")
        .lines()
        .position(|l| l.contains(needle))
        .unwrap() as u32
        + 1
}

fn wc(body: &str) -> String {
    format!("<?xml version=\"1.0\"?>\n<configuration>\n{body}\n</configuration>")
}

const SITE: &str = "Default Web Site";

#[test]
fn inventory_sites_apps_vdirs_pools() {
    let h = host("", &[]);
    assert!(h.file_errors().is_empty(), "{:?}", h.file_errors());
    assert_eq!(h.sites().len(), 1);
    let s = h.site("default web site").unwrap();
    assert_eq!(s.id, Some(1));
    assert_eq!(s.bindings.len(), 2);
    let b = &s.bindings[1];
    assert!(b.https);
    assert_eq!(b.port, Some(443));
    assert_eq!(b.host.as_deref(), Some("www.contoso.com"));
    assert_eq!(b.ip.as_deref(), Some("10.0.0.5"));
    assert_eq!(b.ssl_flags, 1);
    assert_eq!(s.applications.len(), 3);
    let root = s.application("/").unwrap();
    // applicationDefaults inheritance
    assert_eq!(root.pool_name(), "DefaultAppPool");
    assert!(root.application_pool.origin.path().is_some());
    let v = &root.virtual_directories[0];
    assert_eq!(v.physical_path_expanded, r"C:\inetpub\wwwroot");
    let app = s.application("/app").unwrap();
    let st = &app.virtual_directories[1];
    assert_eq!(st.url_path, "/app/static");
    assert!(st.has_connect_as());
    assert_eq!(st.password, SecretState::Encrypted("AesProvider".into()));
    assert!(!st.allows_sub_dir_config());
    assert_eq!(st.logon_method.value, "ClearText");
    assert!(st.logon_method.origin.is_schema_default());
    // log file from siteDefaults, flags from schema
    assert_eq!(s.log_file.log_format.value, "W3C");
    assert!(s.log_file.log_format.origin.path().is_some());
    assert!(s.log_file.has_ext_flag("HttpSubStatus"));
    assert_eq!(s.log_file.directory_expanded, r"C:\inetpub\logs\LogFiles");
    assert_eq!(h.applications().count(), 3);
}

#[test]
fn application_pool_defaults_then_schema() {
    let h = host("", &[]);
    let d = h.pool("defaultapppool").unwrap();
    assert_eq!(d.identity(), "ApplicationPoolIdentity");
    assert!(d.identity_type.origin.path().is_some()); // from applicationPoolDefaults
    assert_eq!(d.load_user_profile.value, "true"); // applicationPoolDefaults
    assert_eq!(d.managed_runtime_version.value, "v4.0");
    assert_eq!(d.managed_pipeline_mode.value, "Integrated"); // schema
    assert!(d.managed_pipeline_mode.origin.is_schema_default());
    assert_eq!(d.password, SecretState::Absent);
    let shop = h.pool("Shop").unwrap();
    assert_eq!(shop.identity(), "SpecificUser");
    assert_eq!(shop.user_name.as_ref().unwrap().value, r"CONTOSO\svc");
    assert_eq!(shop.password, SecretState::Plaintext);
    assert_eq!(shop.managed_pipeline_mode.value, "Classic");
    assert!(!h.pool("Locked").unwrap().config_override_enabled());
    // plaintext secret flagged, value never stored
    assert_eq!(h.plaintext_secrets().len(), 1);
    let ps = &h.plaintext_secrets()[0];
    assert_eq!(ps.attribute, "password");
    assert!(ps.element_path.contains("add[@name='Shop']/processModel"));
    assert!(!format!("{h:?}").contains("hunter2"));
}

#[test]
fn schema_defaults_and_top_level() {
    let h = host("", &[]);
    let w = h.effective(SITE, "/", WIN);
    assert_eq!(w.bool("enabled"), Some(false));
    assert_eq!(
        w.attribute("enabled").unwrap().origin.line(),
        Some(apphost_line("<windowsAuthentication enabled=\"false\">"))
    );
    assert_eq!(w.bool("useKernelMode"), Some(true));
    assert!(w
        .attribute("useKernelMode")
        .unwrap()
        .origin
        .is_schema_default());
    assert_eq!(
        w.child("extendedProtection").enum_value("tokenChecking"),
        Some("None")
    );
    let prov: Vec<&str> = w
        .child("providers")
        .collection()
        .iter()
        .filter_map(|i| i.value("value"))
        .collect();
    assert_eq!(prov, ["Negotiate", "NTLM"]);
    let d = h.effective(SITE, "/", sections::DYNAMIC_IP_SECURITY);
    assert_eq!(d.child("denyByRequestRate").int("maxRequests"), Some(20));
    assert_eq!(d.enum_value("denyAction"), Some("Forbidden"));
    let f = h.effective(SITE, "/", sections::ASPNET_AUTHENTICATION);
    assert_eq!(f.enum_value("mode"), Some("Windows"));
    assert_eq!(f.child("forms").bool("requireSSL"), Some(false));
    assert_eq!(
        f.child("forms/credentials").enum_value("passwordFormat"),
        Some("SHA1")
    );
    let a = h.effective(SITE, "/", sections::ACCESS);
    assert!(!a.has_flag("sslFlags", "Ssl"));
}

#[test]
fn location_specificity_shallower_first() {
    let h = host(
        r#"
  <location path="Default Web Site/app">
    <system.webServer><security><authentication>
      <windowsAuthentication useKernelMode="false" />
    </authentication></security></system.webServer>
  </location>
  <location path="Default Web Site">
    <system.webServer><security><authentication>
      <windowsAuthentication enabled="true" useKernelMode="true" />
    </authentication></security></system.webServer>
  </location>"#,
        &[],
    );
    let root = h.effective(SITE, "/", WIN);
    assert_eq!(root.bool("enabled"), Some(true));
    assert_eq!(root.bool("useKernelMode"), Some(true));
    let app = h.effective("DEFAULT WEB SITE", "/APP/sub/page.aspx", WIN);
    assert_eq!(app.bool("enabled"), Some(true)); // inherited from the site location
    assert_eq!(app.bool("useKernelMode"), Some(false)); // deeper location wins
    let other = h.effective(SITE, "/application", WIN);
    assert_eq!(other.bool("useKernelMode"), Some(true)); // "/app" is not a prefix of "/application"
}

#[test]
fn location_dot_and_empty_mean_here() {
    let h = host(
        "",
        &[(
            r"C:\inetpub\wwwroot\web.config",
            &wc(
                r#"<location path="."><system.webServer><directoryBrowse enabled="true"/></system.webServer></location>"#,
            ),
        )],
    );
    assert_eq!(
        h.effective(SITE, "/x", sections::DIRECTORY_BROWSE)
            .bool("enabled"),
        Some(true)
    );
}

#[test]
fn collections_clear_remove_and_duplicate() {
    let h = host(
        r#"
  <location path="Default Web Site/app">
    <system.webServer><security><authentication>
      <windowsAuthentication enabled="true">
        <providers>
          <remove value="ntlm" />
          <add value="Negotiate:Kerberos" />
        </providers>
      </windowsAuthentication>
    </authentication></security></system.webServer>
  </location>
  <location path="Default Web Site/legacy">
    <system.webServer><security><authentication>
      <windowsAuthentication>
        <providers><clear /><add value="NTLM" /><add value="ntlm" /></providers>
      </windowsAuthentication>
    </authentication></security></system.webServer>
  </location>"#,
        &[],
    );
    let p: Vec<String> = h
        .effective(SITE, "/app", WIN)
        .child("providers")
        .collection()
        .iter()
        .map(|i| i.value("value").unwrap().to_string())
        .collect();
    assert_eq!(p, ["Negotiate", "Negotiate:Kerberos"]);
    let l = h.effective(SITE, "/legacy", WIN);
    let p: Vec<&str> = l
        .child("providers")
        .collection()
        .iter()
        .map(|i| i.value("value").unwrap())
        .collect();
    assert_eq!(p, ["NTLM"]);
    assert_eq!(l.issues.len(), 1);
    assert_eq!(l.issues[0].kind, IssueKind::DuplicateKey);
    assert!(h
        .issues()
        .iter()
        .any(|i| i.kind == IssueKind::DuplicateKey && i.section == WIN));
}

#[test]
fn authorization_key_excludes_access_type() {
    let wc_dup = wc(r#"<system.webServer><security><authorization>
        <add accessType="Deny" users="*" />
      </authorization></security></system.webServer>"#);
    let wc_ok = wc(r#"<system.webServer><security><authorization>
        <remove users="*" roles="" verbs="" />
        <add accessType="Deny" users="?" />
        <add accessType="Allow" roles="CONTOSO\Web Users" />
      </authorization></security></system.webServer>"#);
    let h = host(
        "",
        &[
            (r"D:\sites\app\web.config", &wc_dup),
            (r"D:\legacy\web.config", &wc_ok),
        ],
    );
    let a = h.effective(SITE, "/app", AUTHZ);
    assert_eq!(a.collection().len(), 1);
    assert_eq!(a.collection()[0].enum_value("accessType"), Some("Allow"));
    assert_eq!(a.issues[0].kind, IssueKind::DuplicateKey);
    // /legacy's pool disables configuration override: nothing from its web.config applies.
    let l = h.effective(SITE, "/legacy", AUTHZ);
    assert_eq!(l.collection().len(), 1);
    assert_eq!(
        l.ignored[0].reason,
        IgnoredReason::PoolConfigurationOverrideDisabled
    );
}

#[test]
fn remove_matches_with_defaults_in_key() {
    let h = host(
        r#"
  <location path="Default Web Site" overrideMode="Allow">
    <system.webServer><security><ipSecurity allowUnlisted="false" denyAction="Unauthorized">
      <add ipAddress="10.0.0.1" allowed="true" />
      <add ipAddress="10.0.0.0" subnetMask="255.0.0.0" allowed="true" />
    </ipSecurity></security></system.webServer>
  </location>"#,
        &[(
            r"C:\inetpub\wwwroot\web.config",
            &wc(r#"<system.webServer><security><ipSecurity>
                <remove ipAddress="10.0.0.1" subnetMask="255.255.255.255" />
                <remove ipAddress="10.0.0.0" />
            </ipSecurity></security></system.webServer>"#),
        )],
    );
    let ip = h.effective(SITE, "/", sections::IP_SECURITY);
    assert!(ip.issues.is_empty(), "{:?}", ip.issues);
    // the first remove matches (explicit default mask); the second does not (mask differs)
    assert_eq!(ip.collection().len(), 1);
    assert_eq!(ip.collection()[0].value("subnetMask"), Some("255.0.0.0"));
    assert_eq!(ip.collection()[0].bool("allowed"), Some(true));
    assert_eq!(ip.enum_value("denyAction"), Some("Unauthorized"));
}

#[test]
fn web_config_setting_locked_auth_section_is_issue_and_not_applied() {
    let h = host(
        "",
        &[(
            r"D:\sites\app\web.config",
            &wc(r#"<system.webServer>
    <security>
      <authentication>
        <windowsAuthentication enabled="true" />
      </authentication>
    </security>
  </system.webServer>"#),
        )],
    );
    let w = h.effective(SITE, "/app", WIN);
    assert_eq!(w.bool("enabled"), Some(false));
    assert_eq!(w.override_mode.mode, OverrideMode::Deny);
    assert_eq!(w.issues.len(), 1);
    let i = &w.issues[0];
    assert_eq!(i.kind, IssueKind::LockedSection);
    assert_eq!(i.file, r"D:\sites\app\web.config");
    assert_eq!(i.line, 6);
    assert_eq!(w.ignored[0].reason, IgnoredReason::ConfigError);
    assert!(h
        .issues()
        .iter()
        .any(|x| x.kind == IssueKind::LockedSection && x.file == i.file && x.line == 6));
}

#[test]
fn override_mode_allow_unlocks_for_site_only() {
    let web = wc(r#"<system.webServer><security><authentication>
        <windowsAuthentication enabled="true" />
        <anonymousAuthentication enabled="false" />
      </authentication></security></system.webServer>"#);
    let h = host(
        r#"
  <location path="Default Web Site/app" overrideMode="Allow">
    <system.webServer><security><authentication>
      <windowsAuthentication />
    </authentication></security></system.webServer>
  </location>"#,
        &[(r"D:\sites\app\web.config", &web)],
    );
    let w = h.effective(SITE, "/app", WIN);
    assert!(w.issues.is_empty(), "{:?}", w.issues);
    assert_eq!(w.bool("enabled"), Some(true));
    assert_eq!(
        w.attribute("enabled").unwrap().origin.path(),
        Some(r"D:\sites\app\web.config")
    );
    // anonymousAuthentication was not unlocked: issue, not applied.
    let a = h.effective(SITE, "/app", ANON);
    assert_eq!(a.bool("enabled"), Some(true));
    assert_eq!(a.issues[0].kind, IssueKind::LockedSection);
}

#[test]
fn legacy_allow_override_false_locks() {
    let h = host(
        r#"
  <location path="Default Web Site" allowOverride="false">
    <system.webServer><directoryBrowse enabled="false" /></system.webServer>
  </location>"#,
        &[(
            r"C:\inetpub\wwwroot\web.config",
            &wc(r#"<system.webServer><directoryBrowse enabled="true" /></system.webServer>"#),
        )],
    );
    let d = h.effective(SITE, "/", sections::DIRECTORY_BROWSE);
    assert_eq!(d.bool("enabled"), Some(false));
    assert_eq!(d.issues[0].kind, IssueKind::LockedSection);
}

#[test]
fn lock_attributes_elements_and_items() {
    let h = host(
        r#"
  <location path="Default Web Site">
    <system.webServer>
      <httpErrors lockAttributes="errorMode" />
      <security><authorization lockElements="clear" /></security>
    </system.webServer>
  </location>"#,
        &[
            (
                r"C:\inetpub\wwwroot\web.config",
                &wc(r#"<system.webServer>
  <httpErrors errorMode="Detailed" />
  <security><authorization><clear /></authorization></security>
  <modules><remove name="WindowsAuthenticationModule" /></modules>
</system.webServer>"#),
            ),
            (
                r"D:\sites\app\web.config",
                &wc(
                    r#"<system.webServer><httpErrors existingResponse="PassThrough" /></system.webServer>"#,
                ),
            ),
        ],
    );
    let e = h.effective(SITE, "/", sections::HTTP_ERRORS);
    assert_eq!(e.enum_value("errorMode"), Some("DetailedLocalOnly"));
    assert_eq!(e.issues[0].kind, IssueKind::LockedAttribute);
    assert_eq!(e.issues[0].line, 4);
    // another attribute of the same section is fine
    let e = h.effective(SITE, "/app", sections::HTTP_ERRORS);
    assert_eq!(e.enum_value("existingResponse"), Some("PassThrough"));
    let z = h.effective(SITE, "/", AUTHZ);
    assert_eq!(z.collection().len(), 1);
    assert_eq!(z.issues[0].kind, IssueKind::LockedElement);
    let m = h.effective(SITE, "/", sections::MODULES);
    assert_eq!(m.issues[0].kind, IssueKind::LockedItem);
    assert_eq!(
        h.module_state(SITE, "/", "WindowsAuthenticationModule"),
        ModuleState::Enabled
    );
    assert_eq!(
        h.module_state(SITE, "/", "BasicAuthenticationModule"),
        ModuleState::NotInstalled
    );
    let kinds: Vec<IssueKind> = h.issues().iter().map(|i| i.kind).collect();
    assert!(kinds.contains(&IssueKind::LockedAttribute));
    assert!(kinds.contains(&IssueKind::LockedElement));
    assert!(kinds.contains(&IssueKind::LockedItem));
}

#[test]
fn subfolder_web_config_and_parent_location_to_child() {
    let root = wc(
        r#"<system.webServer><directoryBrowse enabled="true" /></system.webServer>
<location path="docs/private"><system.webServer><directoryBrowse enabled="false" showFlags="Date" /></system.webServer></location>"#,
    );
    let docs = wc(r#"<system.webServer><directoryBrowse showFlags="Size" /></system.webServer>"#);
    let h = host(
        "",
        &[
            (r"C:\inetpub\wwwroot\web.config", &root),
            (r"C:\INETPUB\wwwroot\Docs\Web.config", &docs),
        ],
    );
    let d = h.effective(SITE, "/docs", sections::DIRECTORY_BROWSE);
    assert_eq!(d.bool("enabled"), Some(true));
    assert_eq!(d.flags("showFlags"), Some(vec!["Size"]));
    let p = h.effective(SITE, "/docs/private/x.txt", sections::DIRECTORY_BROWSE);
    assert_eq!(p.bool("enabled"), Some(false));
    // IIS merges config path by config path: /docs (docs\web.config) first, then /docs/private,
    // where the root file's <location path="docs/private"> applies. The deeper path wins.
    assert_eq!(p.flags("showFlags"), Some(vec!["Date"]));
    let r = h.resolve_path(SITE, "/docs/private").unwrap();
    assert_eq!(r.web_configs.len(), 3);
    assert_eq!(
        r.web_configs[1].file.as_deref(),
        Some(r"C:\INETPUB\wwwroot\Docs\Web.config")
    );
    assert_eq!(
        r.physical_path.as_deref(),
        Some(r"C:\inetpub\wwwroot\docs\private")
    );
    let paths = h.paths_to_evaluate(SITE);
    assert!(paths.contains(&"/docs".to_string()), "{paths:?}");
    assert!(paths.contains(&"/docs/private".to_string()), "{paths:?}");
    assert!(paths.contains(&"/app/static".to_string()), "{paths:?}");
}

#[test]
fn web_config_of_parent_application_inherited_unless_inherit_false() {
    let root = wc(r#"<location path="." inheritInChildApplications="false">
  <system.webServer><directoryBrowse enabled="true" /></system.webServer>
</location>
<system.web><authorization><deny users="?" /></authorization></system.web>"#);
    let h = host("", &[(r"C:\inetpub\wwwroot\web.config", &root)]);
    assert_eq!(
        h.effective(SITE, "/sub", sections::DIRECTORY_BROWSE)
            .bool("enabled"),
        Some(true)
    );
    let app = h.effective(SITE, "/app", sections::DIRECTORY_BROWSE);
    assert_eq!(app.bool("enabled"), Some(false));
    assert_eq!(
        app.ignored[0].reason,
        IgnoredReason::NotInheritedInChildApplication
    );
    // system.web/authorization outside the location flows into the child application
    let z = h.effective(SITE, "/app", sections::ASPNET_AUTHORIZATION);
    assert_eq!(z.collection()[0].element, "deny");
}

#[test]
fn aspnet_authorization_child_rules_first() {
    let root = wc(r#"<system.web><authorization><allow users="*" /></authorization></system.web>"#);
    let app = wc(r#"<system.web>
  <authentication mode="Forms"><forms requireSSL="true"><credentials passwordFormat="Clear"><user name="a" password="b"/></credentials></forms></authentication>
  <authorization><deny users="?" /><allow users="*" /></authorization>
</system.web>"#);
    let h = host(
        "",
        &[
            (r"C:\inetpub\wwwroot\web.config", &root),
            (r"D:\sites\app\web.config", &app),
        ],
    );
    let z = h.effective(SITE, "/app/x", sections::ASPNET_AUTHORIZATION);
    let rules: Vec<(String, &str)> = z
        .collection()
        .iter()
        .map(|i| (i.element.to_string(), i.value("users").unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("deny".to_string(), "?"),
            ("allow".to_string(), "*"),
            ("allow".to_string(), "*")
        ]
    );
    assert!(z.issues.is_empty());
    let a = h.effective(SITE, "/app", sections::ASPNET_AUTHENTICATION);
    assert_eq!(a.enum_value("mode"), Some("Forms"));
    assert_eq!(a.child("forms").bool("requireSSL"), Some(true));
    assert_eq!(
        a.child("forms/credentials").enum_value("passwordFormat"),
        Some("Clear")
    );
    assert_eq!(a.child("forms/credentials").collection().len(), 1);
    assert_eq!(h.plaintext_secrets().len(), 2); // pool Shop + forms user
}

#[test]
fn machine_to_application_in_subfolder_is_issue() {
    let sub = wc(r#"<system.web><authentication mode="Forms" /></system.web>"#);
    let h = host("", &[(r"D:\sites\app\sub\web.config", &sub)]);
    let a = h.effective(SITE, "/app/sub", sections::ASPNET_AUTHENTICATION);
    assert_eq!(a.enum_value("mode"), Some("Windows"));
    assert_eq!(a.issues[0].kind, IssueKind::DefinitionNotAllowed);
}

#[test]
fn allow_sub_dir_config_false_skips_below_vdir_root() {
    let top = wc(r#"<system.webServer><directoryBrowse enabled="true" /></system.webServer>"#);
    let below = wc(r#"<system.webServer><directoryBrowse showFlags="None" /></system.webServer>"#);
    let h = host(
        "",
        &[
            (r"D:\static\web.config", &top),
            (r"D:\static\img\web.config", &below),
        ],
    );
    let d = h.effective(SITE, "/app/static/img", sections::DIRECTORY_BROWSE);
    assert_eq!(d.bool("enabled"), Some(true));
    assert_eq!(
        d.flags("showFlags"),
        Some(vec!["Date", "Time", "Size", "Extension"])
    );
    assert_eq!(d.ignored[0].reason, IgnoredReason::SubDirConfigDisallowed);
    let r = h.resolve_path(SITE, "/app/static/img/a.png").unwrap();
    assert_eq!(r.connect_as.as_deref(), Some(r"CONTOSO\files"));
    assert_eq!(r.virtual_directory.as_deref(), Some("/app/static"));
    assert_eq!(r.application_pool.as_deref(), Some("Shop"));
}

#[test]
fn env_var_expansion_and_fallback() {
    let mut s = snapshot("", &[]);
    s.host.env.clear();
    let h = HostConfig::from_snapshot(&s);
    let v = &h.site(SITE).unwrap().applications[0].virtual_directories[0];
    assert_eq!(v.physical_path_expanded, r"C:\inetpub\wwwroot");
    assert_eq!(v.notes.len(), 1);
    assert!(v.notes[0].contains("SystemDrive"));
    s.host.env.insert("SYSTEMDRIVE".into(), "E:".into());
    let h = HostConfig::from_snapshot(&s);
    let v = &h.site(SITE).unwrap().applications[0].virtual_directories[0];
    assert_eq!(v.physical_path_expanded, r"E:\inetpub\wwwroot");
    assert!(v.notes.is_empty());
}

#[test]
fn file_errors_do_not_stop_other_files() {
    let mut s = snapshot(
        r#"<location path="Default Web Site"><system.webServer><directoryBrowse enabled="true" /></system.webServer></location>"#,
        &[
            (
                r"C:\inetpub\wwwroot\web.config",
                "<configuration>\n<system.webServer>\n</configuration>",
            ),
            (
                r"D:\sites\app\web.config",
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><configuration/>",
            ),
            (r"D:\legacy\web.config", "<notconfig/>"),
        ],
    );
    s.files.push(ConfigFile {
        path: r"D:\x\web.config".into(),
        role: FileRole::WebConfig,
        text: None,
        error: Some("access denied".into()),
        truncated: false,
    });
    let h = HostConfig::from_snapshot(&s);
    let kinds: Vec<FileErrorKind> = h.file_errors().iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            FileErrorKind::Malformed,
            FileErrorKind::Dtd,
            FileErrorKind::NotConfiguration,
            FileErrorKind::Unreadable
        ]
    );
    assert_eq!(h.file_errors()[0].line, 3);
    assert_eq!(
        h.effective(SITE, "/", sections::DIRECTORY_BROWSE)
            .bool("enabled"),
        Some(true)
    );
}

#[test]
fn unknown_sections_kept() {
    let web = wc(
        r#"<appSettings><add key="a" value="1"/><add key="b" value="2"/></appSettings>
<system.webServer><rewrite><rules><rule name="r1"><match url=".*"/></rule></rules></rewrite>
<staticContent><mimeMap fileExtension=".x" mimeType="a/b"/><mimeMap fileExtension=".y" mimeType="a/c"/></staticContent></system.webServer>"#,
    );
    let sub = wc(r#"<appSettings><remove key="a"/><add key="b" value="3"/></appSettings>"#);
    let h = host(
        "",
        &[
            (r"C:\inetpub\wwwroot\web.config", &web),
            (r"C:\inetpub\wwwroot\sub\web.config", &sub),
        ],
    );
    let a = h.effective(SITE, "/sub", "appSettings");
    assert!(!a.known_section);
    let v: Vec<(&str, &str)> = a
        .collection()
        .iter()
        .map(|i| (i.value("key").unwrap(), i.value("value").unwrap()))
        .collect();
    assert_eq!(v, [("b", "3")]);
    let r = h.effective(SITE, "/", "system.webServer/rewrite/rules");
    assert_eq!(r.collection()[0].children[0].element, "match");
    let m = h.effective(SITE, "/", "system.webServer/staticContent");
    assert_eq!(m.collection().len(), 2);
    assert!(h.issues().is_empty(), "{:?}", h.issues());
}

#[test]
fn duplicate_section_in_one_file() {
    let web = wc(
        r#"<system.webServer><directoryBrowse enabled="true" /></system.webServer>
<location path="."><system.webServer><directoryBrowse enabled="false" /></system.webServer></location>"#,
    );
    let h = host("", &[(r"C:\inetpub\wwwroot\web.config", &web)]);
    assert!(h
        .issues()
        .iter()
        .any(|i| i.kind == IssueKind::DuplicateSection));
    let d = h.effective(SITE, "/", sections::DIRECTORY_BROWSE);
    assert_eq!(d.bool("enabled"), Some(true));
}

#[test]
fn missing_pool_and_bom_and_utf16_declaration() {
    let body = r#"<location path="Default Web Site"><system.webServer><directoryBrowse enabled="true" /></system.webServer></location>"#;
    let mut s = snapshot(body, &[]);
    let t = s.files[0].text.take().unwrap();
    let t = t.replace("encoding=\"UTF-8\"", "encoding=\"utf-16\"");
    s.files[0].text = Some(format!("\u{feff}{t}").replace(
        r#"<application path="/legacy" applicationPool="Locked">"#,
        r#"<application path="/legacy" applicationPool="Gone">"#,
    ));
    let h = HostConfig::from_snapshot(&s);
    assert!(h.file_errors().is_empty(), "{:?}", h.file_errors());
    assert_eq!(
        h.effective(SITE, "/", sections::DIRECTORY_BROWSE)
            .bool("enabled"),
        Some(true)
    );
    let i = h
        .issues()
        .iter()
        .find(|i| i.kind == IssueKind::MissingApplicationPool)
        .unwrap();
    assert!(i.message.contains("Gone"));
}

#[test]
fn render_text_and_json() {
    let h = host("", &[]);
    let e = h.effective(SITE, "/app", WIN);
    let t = render_text(&e);
    assert!(t.contains("enabled"), "{t}");
    assert!(t.contains("schema default"), "{t}");
    let line = apphost_line("<windowsAuthentication enabled=\"false\">");
    assert!(t.contains(&format!("{APPHOST}:{line}")), "{t}");
    let j = serde_json::to_value(&*e).unwrap();
    assert_eq!(j["section"], WIN);
    assert_eq!(j["attributes"][0]["name"], "enabled");
    assert_eq!(j["attributes"][0]["origin"]["line"], line);
    let r = ConfigReport::build(&h, SITE, "/app", None);
    assert!(r.sections.len() >= 10);
    let text = r.to_text();
    assert!(text.contains("pool: Shop"), "{text}");
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("hunter2"));
}

#[test]
fn unknown_site_uses_server_level_and_location() {
    let h = host(
        r#"<location path="Ghost/app"><system.webServer><directoryBrowse enabled="true" /></system.webServer></location>"#,
        &[],
    );
    assert!(h.resolve_path("Ghost", "/").is_none());
    assert_eq!(
        h.effective("ghost", "/app", sections::DIRECTORY_BROWSE)
            .bool("enabled"),
        Some(true)
    );
    assert_eq!(
        h.effective_server(sections::DIRECTORY_BROWSE)
            .bool("enabled"),
        Some(false)
    );
}

#[test]
fn host_config_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<HostConfig>();
}

#[test]
fn aspnet_authorization_has_no_clear() {
    let root = wc(r#"<system.web><authorization><deny users="?" /></authorization></system.web>"#);
    let sub = wc(
        r#"<system.web><authorization><clear /><allow users="*" /></authorization></system.web>"#,
    );
    let h = host(
        "",
        &[
            (r"C:\inetpub\wwwroot\web.config", &root),
            (r"C:\inetpub\wwwroot\sub\web.config", &sub),
        ],
    );
    let z = h.effective(SITE, "/sub", sections::ASPNET_AUTHORIZATION);
    let rules: Vec<&str> = z.collection().iter().map(|i| &*i.element).collect();
    assert_eq!(rules, ["allow", "deny"]);
}

#[test]
fn too_large_file_is_an_error() {
    let big = format!(
        "<configuration>{}</configuration>",
        " ".repeat(xml::MAX_FILE_BYTES)
    );
    let h = host("", &[(r"C:\inetpub\wwwroot\web.config", &big)]);
    assert_eq!(h.file_errors()[0].kind, FileErrorKind::TooLarge);
    assert_eq!(h.sites().len(), 1);
}
