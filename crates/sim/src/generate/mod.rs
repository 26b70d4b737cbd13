//! Fleet generator: realistic host snapshots with planted misconfigurations and an answer key.
//!
//! [`generate`] writes a fleet directory (`fleet.toml`, `hosts/NAME.json`, `answers.json`,
//! see [`crate::fleet`]); [`generate_snapshot`] builds one host in memory. Everything is a
//! pure function of `(seed, host index)`: each host draws from its own ChaCha8 stream
//! (`seed_from_u64(mix(seed, index))`), so the same seed gives byte-identical output and hosts
//! can be generated independently and in any order (thousands per second).
//!
//! # What a host looks like
//!
//! * **Identity**: `WEB-0001`, `IIS-PRD-002`, `IIS-UAT-…`, `WEBAPP-…`, `IIS-DMZ-…` (the number is
//!   the host index + 1, so names are unique). About 10 % are workgroup servers (60 % of the
//!   `IIS-DMZ-` ones), FQDN `name.dmz.contoso.com`, local accounts `NAME\svc-…`; the others are
//!   in `CONTOSO` (`contoso.local`). OS Windows Server 2012 R2 (IIS 8.5, 15 %), 2016 (30 %),
//!   2019 (35 %), 2022 (20 %) (IIS 10.0). `collected_at` is a fixed instant derived from the
//!   seed and the index.
//! * **Installed role services** (`globalModules`/`modules`): anonymous always; Windows auth
//!   ~70 %, Basic ~25 %, Digest ~4 %, IIS client-certificate mapping ~5 %, AD certificate
//!   mapping ~4 %, URL Authorization ~35 %, IP and Domain Restrictions (both `IpRestrictionModule`
//!   and `DynamicIpRestrictionModule`) ~20 %, ASP.NET 4.x ~85 % (adds IsapiModule,
//!   IsapiFilterModule, the ASP.NET filters, handlers and managed modules), ASP.NET 3.5 ~10 %,
//!   CGI ~5 %, classic ASP ~10 %, URL Rewrite ~25 % (adds the `rewrite` section group).
//! * **applicationHost.config** as IIS ships it: the real `<configSections>` (authentication
//!   sections `overrideModeDefault="Deny"`, authorization/httpErrors/directoryBrowse `Allow`,
//!   access/ipSecurity/dynamicIpSecurity `Deny`, system.applicationHost `AppHostOnly`),
//!   `configProtectedData`, pools (`DefaultAppPool`, `.NET v4.5`, `.NET v4.5 Classic`, per-site
//!   pools: ApplicationPoolIdentity mostly, SpecificUser `CONTOSO\svc-…` with an
//!   `[enc:IISWASOnlyCngProvider:…:enc]` password (`IISWASOnlyAesProvider` on IIS 8.5), some
//!   NetworkService; LocalSystem only as an H008 plant), 1–50 sites (55 % of
//!   hosts 1–3, 30 % 4–8, 12 % 9–20, 3 % 21–50, plus plant sites), `siteDefaults`,
//!   `applicationDefaults`, `virtualDirectoryDefaults`, the global `system.webServer` defaults
//!   (anonymous `IUSR`, other methods `enabled="false"` when installed, Windows providers
//!   Negotiate+NTLM, `authorization` Allow `*` when URL Authorization is installed, `access
//!   sslFlags="None"`, shipped `httpErrors` with `lockAttributes`, `directoryBrowse` off,
//!   requestFiltering, staticContent…). On 80 % of hosts `modules` and `handlers` sit in
//!   `<location path="" overrideMode="Allow">` (as a full install writes them), else top level.
//!   Per-site settings are `<location path="Site">` / `<location path="Site/app">` tags as
//!   `appcmd … /commit:apphost` writes them. 8 % of hosts follow CIS 1.6 (global anonymous
//!   `userName=""`).
//! * **Sites**: Default Web Site (80 %, `*:80:`, `%SystemDrive%\inetpub\wwwroot`), public sites
//!   (`shop.contoso.com`, http+https), intranet sites (`wiki.contoso.local`, anonymous off,
//!   Windows on, provider variants, 10 % with the authentication in the site web.config unlocked
//!   by a `<location path="Site" overrideMode="Allow">` tag, `system.web` `deny ?`), API sites
//!   (IP restrictions with `denyAction` Forbidden/NotFound/AbortRequest or absent, dynamic IP
//!   restrictions, Basic over `sslFlags="Ssl"`), static and legacy sites. Content under
//!   `D:\Sites\X`, `%SystemDrive%\inetpub\x`, `E:\Web\x\wwwroot`, `D:\inetpub\wwwroot\x`; child
//!   applications with own or shared pools; connect-as virtual directories on
//!   `\\fs0N\content\…` (encrypted password, sometimes `allowSubDirConfig="false"`).
//! * **web.config files** at site roots, application roots and subfolders (`/images`,
//!   `/uploads`…): compilation, customErrors, defaultDocument (`<clear/>`+adds or new names),
//!   httpErrors Custom with `<remove>` before `<error>`, staticContent `<remove>`+`<mimeMap>`,
//!   httpProtocol, rewrite rules, Forms authentication (`requireSSL="true"`), intranet
//!   `<deny users="?"/>`, handlers `<clear/>` in upload folders (only when handlers are unlocked).
//! * **ACLs** for every virtual-directory folder and every folder holding a web.config: the
//!   shipped wwwroot descriptor, inherited (`AI`/`ID`) descriptors below it, `C:\inetpub\x`,
//!   data-drive inheritance (`(A;CIID;LC;;;BU)(A;CIID;DC;;;BU)`), protected `D:\Sites\X`
//!   descriptors with explicit pool-SID/deploy-account grants, share descriptors. Every clean
//!   descriptor grants `BUILTIN\Users` (or, on shares, Authenticated Users) Read & Execute.
//! * **Accounts**: IUSR (groups Everyone, Users, Authenticated Users), IIS_IUSRS, Everyone,
//!   Authenticated Users, Users, `CONTOSO\Domain Users`, `IIS APPPOOL\<pool>` for every pool
//!   (computed SID, pool token groups incl. IIS_IUSRS), NETWORK SERVICE / SYSTEM when used, and
//!   every custom account (`S-1-5-21-1409823152-2712386425-3168531029-<rid>`, stable per name;
//!   groups Domain Users, Everyone, Users, Authenticated Users, This Organization, plus
//!   IIS_IUSRS and BATCH for pool identities).
//! * **Registry** (always the four values, `data: null` when absent): `Lsa\DisableLoopbackCheck`
//!   (absent 85 %, 0 15 %), `Lsa\LmCompatibilityLevel` (absent 45 %, 3 45 %, 4 10 %),
//!   `Lsa\MSV1_0\BackConnectionHostNames`
//!   (REG_MULTI_SZ listing every binding host name of every site that enables Windows auth
//!   anywhere, except names equal to the computer name/FQDN, plus sometimes a stale name; absent
//!   when nothing needs it), `Lsa\MSV1_0\RestrictReceivingNTLMTraffic` (absent 88 %, 0 12 %).
//! * **Logs**: one entry per site with logging on: Windows/Basic sites log the normal handshake
//!   (`401 2 5`, and `401 1 2148074254` for Windows), sometimes a few `401 1 1326`; plants add
//!   their evidence triple (below). Sites whose log flags lack the substatus fields have no
//!   counts.
//!
//! # Planting
//!
//! Each rule of `docs/rule-codes.md` is planted independently per host with the probability in
//! [`PLANT_RATES`] (≈1.4 answers per host; ≈27 % of hosts carry no plant), at most once per
//! host. Each
//! plant gets its own scope so that nothing else leaks into it and it leaks into nothing: a new
//! dedicated *leaf site* (one application, one virtual directory, own pool) or a new *leaf
//! application* under a "plain" site (anonymous only, no auth settings in its root web.config,
//! no site-level security overrides), with its own folder and ACL. Answers name the site and
//! the URL path (`"/"` for a site, `"/app"` for an application, the vdir path for vdir plants);
//! host-level rules (U102, U103, H004, H009) have no site and no path. Pool-level plants
//! (H003 on a pool password, H008) are recorded against the only site whose root uses that
//! pool, path `"/"`. Conflicting plans are resolved before building (H004 vs U101, H009 vs U103,
//! H010 vs U204/U205, U104 needs a domain, U105 needs a workgroup host).
//!
//! Two plants record a second, unavoidable rule: U308 also records U302 (the pool identity
//! really cannot read) and U303 also records U106 (anonymous uses a custom account). U307 does
//! not record U301: the rule set reports that one cause once, as U307.
//!
//! | rule | rate | shape of the plant | log triple |
//! |---|---|---|---|
//! | U101 | 5 % | new site, one binding `x-intranet.contoso.local`, location `Site`: anonymous off, Windows on; BackConnectionHostNames lists every other Windows host name but not this one (absent or stale-only when there is none); DisableLoopbackCheck absent/0 | 401 1 2148074252 |
//! | U102 | 2.5 % | `MSV1_0\RestrictReceivingNTLMTraffic`=2 and at least one site with Windows auth (NTLM/Negotiate) | 401 1 2148074252 |
//! | U103 | 2.5 % | `LmCompatibilityLevel`=5 and at least one Windows site | 401 1 1326 |
//! | U104 | 3 % | new site, pool SpecificUser `CONTOSO\svc-…`, Windows on with providers `<clear/>` Negotiate, NTLM; `useKernelMode` absent or `true`, `useAppPoolCredentials` absent or `false` | 401 1 2148074248 |
//! | U105 | 25 % of workgroup hosts | new site, anonymous off, `digestAuthentication enabled="true"` | 401 1 1326 |
//! | U106 | 2.5 % | new app, `anonymousAuthentication userName="CONTOSO\svc-…" password="[enc:AesProvider:…:enc]"`; the account can read (via Users) | — |
//! | U107 | 2 % | as U106, plus 2–41 failed logons (4625, logon type 8, `w3wp.exe`) of that account in the Security log: disabled, locked out, password expired or wrong (also records U106) | 401 1 1331/1909/1330/1326 |
//! | U201 | 4 % | app (70 %) or new site: `anonymousAuthentication enabled="false"`, nothing else enabled | 401 2 5 |
//! | U202 | 2.5 % | anonymous off plus Windows (module absent on the host; providers written explicitly), Basic (module absent; `sslFlags="Ssl"`) or Digest (module absent, domain host) | 401 2 5 |
//! | U203 | 2 % | anonymous off, Windows on, `<providers><clear /></providers>` | 401 2 5 |
//! | U204 | 3 % | URL Authorization installed; `<remove users="*" roles="" verbs="" />` or `<clear />` in the app web.config or its location tag, so no Allow rule is left at all; 60 % anonymous only (seed scenario 3), 40 % Windows on and anonymous off. U205 must not fire on it (there is no Deny and no Allow) | 401 2 5 |
//! | U205 | 2.5 % | URL Authorization installed, anonymous only; `<add accessType="Deny" users="?" />` (70 %) or `<remove users="*" …/>` + Allow `roles="CONTOSO\Staff"` (30 %) | 401 2 5 |
//! | U206 | 3 % | anonymous only; app-root web.config `system.web` `<authorization><deny users="?" />[<allow users="*" />]` and `authentication mode="Windows"` or no mode (default Windows) | 401 2 5 |
//! | U207 | 2 % | new https-only site, anonymous off, `iisClientCertificateMappingAuthentication enabled="true"` with a many-to-one mapping (or AD `clientCertificateMappingAuthentication`), `access sslFlags="Ssl"` | 401 2 5 |
//! | U301 | 6 % | app or site, anonymous IUSR; folder `D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)[deploy account Modify]` (nobody else) | 401 3 5 |
//! | U302 | 3 % | own ApplicationPoolIdentity pool, anonymous `userName=""`; folder grants SY, BA and only IUSR (S-1-5-17) RX | 401 3 5 |
//! | U303 | 2 % | own pool, anonymous custom account; folder grants SY, BA, IS, pool SID only (also records U106) | 401 3 5 |
//! | U304 | 3 % | new vdir on a share with connect-as `CONTOSO\svc-content` whose folder grants only BA, SY and `svc-files` (path has anonymous off + Windows or Basic-over-Ssl), or (domain hosts, 40 %) a UNC vdir without connect-as under anonymous IUSR (folder grants AU) | 401 3 5 |
//! | U305 | 4 % | own pool, anonymous off, Windows (or Basic+Ssl) on; folder grants SY, BA, IS, pool SID [, IUSR] only | 401 3 5 |
//! | U306 | 2.5 % | app, anonymous IUSR; folder starts with `(D;OICI;FR;;;IS)` or `(D;OICI;0x1200a9;;;S-1-5-82-…)` (the app's ApplicationPoolIdentity pool), still grants BU RX | 401 3 5 |
//! | U307 | 4 % | own SpecificUser pool, anonymous IUSR; folder grants SY, BA and the pool account RX only (seed scenario 1) | 401 3 5 |
//! | U308 | 2.5 % | own pool `X`, anonymous `userName=""`; folder grants SY, BA and the SID of a pool name that does not exist (`X` renamed) (also records U302) | 401 3 5 |
//! | U401 | 2.5 % | new site, `<location path="Site">` `isapiFilters/filter` SiteMinder/ISAPI_Rewrite/jakarta/PingAccess DLL | 401 4 0 |
//! | U402 | 2 % | new site, `<location path="Site">` `handlers/add` with `modules="IsapiModule"` and a third-party `scriptProcessor` DLL (or `CgiModule` with perl.exe) | 401 5 0 |
//! | U501 | 2.5 % | app or site, `ipSecurity denyAction="Unauthorized"` with `allowUnlisted="false"`, deny entries, or `enableReverseDns="true"` + `domainName` deny | 401 503/504 0 |
//! | U502 | 2.5 % | new site, `dynamicIpSecurity denyAction="Unauthorized"` with `denyByConcurrentRequests` and/or `denyByRequestRate` enabled (seed scenario 5) | 401 501/502 0 |
//! | H001 | 8 % | app or site, `basicAuthentication enabled="true"`, no `access` override (global `sslFlags="None"`) | — |
//! | H002 | 6 % | app-root web.config `authentication mode="Forms"` with `requireSSL="false"` or no requireSSL | — |
//! | H003 | 6 % | a plain-text `password`: connect-as vdir on a share (path = vdir) or SpecificUser pool of a new site (path `/`) | — |
//! | H004 | 8 % | `Lsa\DisableLoopbackCheck`=1 (host) | — |
//! | H005 | 6 % | `httpErrors errorMode="Detailed"` in the web.config (70 %) or the location tag | — |
//! | H006 | 7 % | `directoryBrowse enabled="true"` in the web.config (70 %) or the location tag | — |
//! | H007 | 6 % | an existing site's `logFile`: `enabled="false"`, or `logExtFileFlags` without HttpSubStatus and Win32Status, or without HttpSubStatus | — |
//! | H008 | 4 % | new site whose own pool has `identityType="LocalSystem"` | — |
//! | H009 | 5 % | `Lsa\LmCompatibilityLevel`=2 (host) | — |
//! | H010 | 3 % | URL Authorization not installed; app web.config `system.webServer/security/authorization` Allow `roles="CONTOSO\Finance Users"` + Deny `?`; the path has anonymous off and Windows (or Basic+Ssl) on | — |
//! | H011 | 2 % (own random stream, drawn after the other plants) | new site whose pool runs as `CONTOSO\svc-…` (SpecificUser), plus 3–22 failed logons (4625, logon type 4, `svchost.exe`) of that account: password expired, disabled, locked out or wrong | — |
//! | C001 | 4 % | web.config (no unlock) with `anonymousAuthentication`/`windowsAuthentication`, `access sslFlags`, `ipSecurity`, or `httpErrors defaultPath` (locked attribute) | — |
//! | C002 | 4 % | web.config `<add>` duplicating an inherited key: default document of the site root, `httpErrors` 404, `.json` mimeMap (IIS 10), or URL-auth Allow `*` | — |
//! | C003 | 2.5 % | new site with its pool `enableConfigurationOverride="false"` and Forms + `deny ?` in its root web.config (path `/`), or root vdir `allowSubDirConfig="false"` with `system.web/authorization` in `\admin\web.config` (path `/admin`) | — |
//! | C004 | 2 % | new site whose root web.config is cut off before its closing tags (not well-formed XML; path `/`) | — |
//!
//! Clean hosts keep every trigger false: no LocalSystem pools, every password encrypted, no
//! deny ACEs, every content folder readable by Users, pool SIDs in ACLs only of existing pools,
//! Basic only with `sslFlags="Ssl"`, Forms only with `requireSSL="true"`, Windows only where
//! the module is installed and with a non-empty provider list, SpecificUser pools behind
//! Negotiate always with `useAppPoolCredentials="true"` (or `useKernelMode="false"`), IP
//! restrictions never with `denyAction="Unauthorized"`, only ASP.NET filters and standard
//! handlers (aspnet_isapi.dll, asp.dll, the generic `ISAPI-dll`/`CGI-exe` mappings), web.config
//! files never set locked sections unless the path is unlocked, collections use `<clear/>` or
//! `<remove>` before re-adding.

mod acl;
mod build;
mod model;
mod render;
mod sid;
mod texts;

use std::path::{Path, PathBuf};

use crate::fleet::{host_address, Answer, AnswerKey, Fleet, FleetHost, ANSWERS_FILE};
use iis_sweep::snapshot::Snapshot;

pub use render::{APPHOST_PATH, ROOT_WEB_CONFIG_PATH};
pub use sid::app_pool_sid;

/// Plants of rules added after the first fleets, with their rates: drawn from a stream of their
/// own after the others, so the hosts (and figures) made with [`PLANT_RATES`] do not change.
pub const LATER_PLANT_RATES: &[(&str, f64)] = &[("H011", 0.02)];

/// Probability that a host gets each rule planted (see the module documentation).
pub const PLANT_RATES: &[(&str, f64)] = &[
    ("U101", 0.05),
    ("U102", 0.025),
    ("U103", 0.025),
    ("U104", 0.03),
    ("U105", 0.25),
    ("U106", 0.025),
    ("U107", 0.02),
    ("U201", 0.04),
    ("U202", 0.025),
    ("U203", 0.02),
    ("U204", 0.03),
    ("U205", 0.025),
    ("U206", 0.03),
    ("U207", 0.02),
    ("U301", 0.06),
    ("U302", 0.03),
    ("U303", 0.02),
    ("U304", 0.03),
    ("U305", 0.04),
    ("U306", 0.025),
    ("U307", 0.04),
    ("U308", 0.025),
    ("U401", 0.025),
    ("U402", 0.02),
    ("U501", 0.025),
    ("U502", 0.025),
    ("H001", 0.08),
    ("H002", 0.06),
    ("H003", 0.06),
    ("H004", 0.08),
    ("H005", 0.06),
    ("H006", 0.07),
    ("H007", 0.06),
    ("H008", 0.04),
    ("H009", 0.05),
    ("H010", 0.03),
    ("C001", 0.04),
    ("C002", 0.04),
    ("C003", 0.025),
    ("C004", 0.02),
];

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Number of hosts.
    pub hosts: usize,
    /// Seed: same seed, same fleet (byte for byte).
    pub seed: u64,
    /// Faults to assign: each `(fault, fraction)` goes to about `fraction` of the hosts,
    /// chosen deterministically from the seed, the host index and the fault string.
    pub faults: Vec<(String, f64)>,
    /// Pretty-print the snapshot JSON (default) or write it compact.
    pub pretty: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            hosts: 10,
            seed: 1,
            faults: Vec::new(),
            pretty: true,
        }
    }
}

impl GenerateOptions {
    /// `hosts` hosts from `seed`, no faults, pretty JSON.
    pub fn new(hosts: usize, seed: u64) -> Self {
        GenerateOptions {
            hosts,
            seed,
            ..GenerateOptions::default()
        }
    }
}

/// The name host `index` gets in the fleet generated from `seed`.
pub fn host_name(index: usize, seed: u64) -> String {
    build::host_name(index, seed)
}

/// Builds host `index` of the fleet generated from `seed`, with the problems planted on it.
pub fn generate_snapshot(index: usize, seed: u64) -> (Snapshot, Vec<Answer>) {
    let model = build::build_host(index, seed);
    let snapshot = render::render(&model);
    (snapshot, model.answers)
}

/// Faults assigned to host `index`.
pub fn faults_for(index: usize, seed: u64, faults: &[(String, f64)]) -> Vec<String> {
    faults
        .iter()
        .filter(|(fault, fraction)| {
            let mut h = build::mix64(seed ^ 0xFA17_FA17);
            h = build::mix64(h ^ index as u64);
            for b in fault.bytes() {
                h = build::mix64(h ^ b as u64);
            }
            let u = (h >> 11) as f64 / (1u64 << 53) as f64;
            u < *fraction
        })
        .map(|(fault, _)| fault.clone())
        .collect()
}

/// Writes a fleet directory: `fleet.toml`, `hosts/NAME.json` and `answers.json`.
pub fn generate(opts: &GenerateOptions, out_dir: &Path) -> anyhow::Result<AnswerKey> {
    let hosts_dir = out_dir.join("hosts");
    std::fs::create_dir_all(&hosts_dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", hosts_dir.display()))?;
    // Snapshots of an earlier, larger fleet would linger next to the new ones.
    for entry in std::fs::read_dir(&hosts_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::remove_file(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        }
    }
    let mut fleet = Fleet::default();
    let mut key = AnswerKey {
        seed: opts.seed,
        hosts: opts.hosts,
        answers: Vec::new(),
    };
    for index in 0..opts.hosts {
        let (snapshot, answers) = generate_snapshot(index, opts.seed);
        let name = snapshot.host.name.clone();
        let rel = PathBuf::from("hosts").join(format!("{name}.json"));
        let bytes = if opts.pretty {
            serde_json::to_vec_pretty(&snapshot)?
        } else {
            serde_json::to_vec(&snapshot)?
        };
        let path = out_dir.join(&rel);
        std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        fleet.hosts.push(FleetHost {
            name,
            address: host_address(index),
            snapshot: rel,
            faults: faults_for(index, opts.seed, &opts.faults),
        });
        key.answers.extend(answers);
    }
    fleet.save(out_dir)?;
    let path = out_dir.join(ANSWERS_FILE);
    std::fs::write(&path, serde_json::to_vec_pretty(&key)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(key)
}

#[cfg(test)]
mod tests;
