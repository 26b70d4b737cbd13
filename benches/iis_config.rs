//! Benchmark of the IIS configuration engine: a generated applicationHost.config with 10,000
//! sites, 10,000 application pools and 2,000 location tags; parse it, then resolve the
//! effective authentication and authorization sections for every application.
//!
//! Run: `cargo bench --bench iis_config --ignore-rust-version` (release profile).
//! Target: under 250 ms on one core for parse + resolve.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use iis_sweep::iis::{sections, HostConfig};
use iis_sweep::snapshot::{ConfigFile, FileRole, Snapshot};

const SITES: usize = 10_000;
const POOLS: usize = 10_000;
const LOCATIONS: usize = 2_000;

fn generate() -> String {
    let mut s = String::with_capacity(8 << 20);
    s.push_str(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <configSections>
    <sectionGroup name="system.applicationHost">
      <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
      <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
    </sectionGroup>
    <sectionGroup name="system.webServer">
      <section name="globalModules" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
      <section name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />
      <sectionGroup name="security">
        <section name="authorization" overrideModeDefault="Allow" />
        <sectionGroup name="authentication">
          <section name="anonymousAuthentication" overrideModeDefault="Deny" />
          <section name="basicAuthentication" overrideModeDefault="Deny" />
          <section name="windowsAuthentication" overrideModeDefault="Deny" />
          <section name="digestAuthentication" overrideModeDefault="Deny" />
          <section name="clientCertificateMappingAuthentication" overrideModeDefault="Deny" />
          <section name="iisClientCertificateMappingAuthentication" overrideModeDefault="Deny" />
        </sectionGroup>
      </sectionGroup>
    </sectionGroup>
  </configSections>
  <system.applicationHost>
    <applicationPools>
"#,
    );
    for p in 0..POOLS {
        if p % 10 == 0 {
            let _ = writeln!(
                s,
                r#"      <add name="Pool{p}" managedRuntimeVersion="v4.0"><processModel identityType="SpecificUser" userName="CONTOSO\svc{p}" password="[enc:IISWASOnlyAesProvider:AAAA{p}:enc]" /></add>"#
            );
        } else {
            let _ = writeln!(s, r#"      <add name="Pool{p}" />"#);
        }
    }
    s.push_str(r#"      <applicationPoolDefaults managedRuntimeVersion="v4.0"><processModel identityType="ApplicationPoolIdentity" /></applicationPoolDefaults>
    </applicationPools>
    <sites>
"#);
    for i in 0..SITES {
        let _ = write!(
            s,
            r#"      <site name="Site{i}" id="{id}">
        <application path="/" applicationPool="Pool{i}">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\sites\site{i}" />
        </application>
"#,
            id = i + 1
        );
        if i % 5 == 0 {
            let _ = write!(
                s,
                r#"        <application path="/api" applicationPool="Pool{p}">
          <virtualDirectory path="/" physicalPath="D:\apps\site{i}\api" />
        </application>
"#,
                p = (i + 1) % POOLS
            );
        }
        let _ = write!(
            s,
            r#"        <bindings>
          <binding protocol="http" bindingInformation="*:80:site{i}.contoso.com" />
          <binding protocol="https" bindingInformation="*:443:site{i}.contoso.com" sslFlags="1" />
        </bindings>
      </site>
"#
        );
    }
    s.push_str(r#"      <siteDefaults><logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" /></siteDefaults>
      <applicationDefaults applicationPool="DefaultAppPool" />
      <virtualDirectoryDefaults allowSubDirConfig="true" />
    </sites>
  </system.applicationHost>
  <system.webServer>
    <globalModules>
      <add name="AnonymousAuthenticationModule" image="%windir%\System32\inetsrv\authanon.dll" />
      <add name="WindowsAuthenticationModule" image="%windir%\System32\inetsrv\authsspi.dll" />
      <add name="UrlAuthorizationModule" image="%windir%\System32\inetsrv\urlauthz.dll" />
    </globalModules>
    <security>
      <authentication>
        <anonymousAuthentication enabled="true" userName="IUSR" />
        <basicAuthentication enabled="false" />
        <windowsAuthentication enabled="false" authPersistNonNTLM="true">
          <providers><add value="Negotiate" /><add value="NTLM" /></providers>
        </windowsAuthentication>
      </authentication>
      <authorization><add accessType="Allow" users="*" /></authorization>
    </security>
  </system.webServer>
"#);
    for l in 0..LOCATIONS {
        // Spread over sites; every 5th site's /api application gets its own location.
        let site = (l * 5) % SITES;
        let path = if l % 2 == 0 {
            format!("Site{site}")
        } else {
            format!("Site{site}/api")
        };
        let _ = write!(
            s,
            r#"  <location path="{path}">
    <system.webServer>
      <security>
        <authentication>
          <anonymousAuthentication enabled="false" />
          <windowsAuthentication enabled="true" useAppPoolCredentials="true">
            <providers><remove value="NTLM" /><add value="Negotiate:Kerberos" /></providers>
          </windowsAuthentication>
        </authentication>
        <authorization>
          <remove users="*" roles="" verbs="" />
          <add accessType="Allow" roles="CONTOSO\Web{l}" />
          <add accessType="Deny" users="?" />
        </authorization>
      </security>
    </system.webServer>
  </location>
"#
        );
    }
    s.push_str("</configuration>\n");
    s
}

/// Nanoseconds this thread has spent on a CPU (Linux `schedstat`), if available: unlike wall
/// time it does not grow when other processes compete for the cores.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let text = generate();
    let mut snap = Snapshot::new("bench");
    snap.host
        .env
        .insert("SystemDrive".to_string(), "C:".to_string());
    snap.files.push(ConfigFile {
        path: r"C:\Windows\System32\inetsrv\config\applicationHost.config".to_string(),
        role: FileRole::ApplicationHost,
        text: Some(text),
        error: None,
        truncated: false,
    });
    let size = snap.files[0].text.as_ref().map_or(0, |t| t.len());
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let wanted: Vec<&str> = sections::AUTHENTICATION
        .iter()
        .copied()
        .chain([sections::AUTHORIZATION])
        .collect();
    let mut parse_t = Vec::new();
    let mut resolve_t = Vec::new();
    let mut total_t = Vec::new();
    let mut cpu_parse = Vec::new();
    let mut cpu_total = Vec::new();
    let mut checks = 0usize;
    for _ in 0..runs {
        let c0 = cpu_ns();
        let t0 = Instant::now();
        let host = HostConfig::from_snapshot(&snap);
        let t1 = Instant::now();
        let c1 = cpu_ns();
        let mut apps = 0usize;
        let mut enabled = 0usize;
        for (site, app) in host.applications() {
            let view = host.at(&site.name, &app.path).expect("site");
            for sec in &wanted {
                let e = view.effective(sec);
                if e.bool("enabled") == Some(true) {
                    enabled += 1;
                }
                checks += e.collection().len() + e.child("providers").collection().len();
            }
            apps += 1;
        }
        let t2 = Instant::now();
        let c2 = cpu_ns();
        if let (Some(a), Some(b), Some(c)) = (c0, c1, c2) {
            cpu_parse.push(Duration::from_nanos(b - a));
            cpu_total.push(Duration::from_nanos(c - a));
        }
        assert!(host.file_errors().is_empty());
        assert_eq!(host.sites().len(), SITES);
        assert_eq!(host.app_pools().len(), POOLS);
        assert_eq!(apps, SITES + SITES / 5);
        assert!(enabled > 0);
        parse_t.push(t1 - t0);
        resolve_t.push(t2 - t1);
        total_t.push(t2 - t0);
    }
    let med = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!(
        "iis_config: applicationHost.config {:.1} MiB, {SITES} sites, {POOLS} pools, {LOCATIONS} locations, {} applications x {} sections",
        size as f64 / (1024.0 * 1024.0),
        SITES + SITES / 5,
        wanted.len()
    );
    println!(
        "  parse (from_snapshot): median {:?}  min {:?}",
        med(&mut parse_t),
        parse_t[0]
    );
    println!(
        "  resolve all apps:      median {:?}  min {:?}",
        med(&mut resolve_t),
        resolve_t[0]
    );
    println!(
        "  total:                 median {:?}  min {:?}  ({runs} runs, checksum {checks})",
        med(&mut total_t),
        total_t[0]
    );
    if !cpu_total.is_empty() {
        println!(
            "  on-CPU time (schedstat): parse median {:?}  total median {:?}  min {:?}",
            med(&mut cpu_parse),
            med(&mut cpu_total),
            cpu_total[0]
        );
    }
}
