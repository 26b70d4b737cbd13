//! Test support: build realistic host snapshots in a few lines, run the rule set on them, and
//! compare findings with golden files (ruff-style fixtures per rule code).
//!
//! ```ignore
//! let snap = Host::new("WEB-01")
//!     .location("Intranet", r#"<system.webServer><security><authentication>
//!         <anonymousAuthentication enabled="false" /></authentication></security></system.webServer>"#)
//!     .build();
//! let findings = run_rule(&snap, "U201");
//! ```
#![allow(dead_code)]

use std::path::PathBuf;

use iis_sweep::finding::Finding;
use iis_sweep::pipeline::analyze;
use iis_sweep::rules::settings::RuleSettings;
use iis_sweep::snapshot::{
    AccountFact, AclFact, Collected, ConfigFile, FileRole, RegistryData, RegistryFact, Snapshot,
};

/// The shipped-style applicationHost.config every fixture starts from; the markers are replaced
/// by the builder.
pub const APPHOST: &str = include_str!("apphost.template.config");

/// The default wwwroot ACL (Users RX, IIS_IUSRS RX, SYSTEM/Administrators/TrustedInstaller F).
pub const DEFAULT_SDDL: &str = "O:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464G:S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464D:PAI(A;OICIIO;GA;;;CO)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)(A;;0x1200a9;;;IS)(A;OICIIO;GXGR;;;IS)(A;;FA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)(A;OICIIO;GA;;;S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464)";

pub const LSA: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
pub const MSV1_0: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0";
pub const APPHOST_PATH: &str = r"C:\Windows\System32\inetsrv\config\applicationHost.config";

/// A host under construction. Defaults: three sites (`Default Web Site` → C:\inetpub\wwwroot,
/// `Intranet` → D:\Sites\Intranet with app `/hr`, `Shop` → D:\Sites\Shop over https), pools
/// `DefaultAppPool`, `Intranet`, `Shop` (ApplicationPoolIdentity), anonymous + IUSR, the default
/// ACL on every folder, registry values that trigger nothing, all facts collected.
pub struct Host {
    snapshot: Snapshot,
    apphost: String,
    locations: Vec<String>,
    extra_sites: Vec<String>,
    extra_pools: Vec<String>,
    extra_modules: Vec<String>,
}

impl Host {
    pub fn new(name: &str) -> Host {
        let mut s = Snapshot::new(name);
        s.host.computer_name = Some(name.to_string());
        s.host.fqdn = Some(format!("{}.contoso.local", name.to_lowercase()));
        s.host.part_of_domain = Some(true);
        s.host.domain = Some("contoso.local".into());
        s.host.iis_version = Some("10.0".into());
        s.host.env.insert("SystemDrive".into(), "C:".into());
        s.host.env.insert("SystemRoot".into(), r"C:\Windows".into());
        s.host.env.insert("windir".into(), r"C:\Windows".into());
        s.collected = Collected {
            config: true,
            web_configs: true,
            acls: true,
            accounts: true,
            registry: true,
            logs: true,
            security_log: true,
        };
        for folder in [
            r"C:\inetpub\wwwroot",
            r"D:\Sites\Intranet",
            r"D:\Sites\Intranet\hr",
            r"D:\Sites\Shop",
        ] {
            s.acls.push(AclFact {
                path: folder.into(),
                owner: Some(r"NT SERVICE\TrustedInstaller".into()),
                sddl: Some(DEFAULT_SDDL.into()),
                error: None,
            });
        }
        s.accounts.push(account(
            "IUSR",
            "S-1-5-17",
            &["S-1-1-0", "S-1-5-32-545", "S-1-5-11"],
        ));
        s.accounts.push(account("IIS_IUSRS", "S-1-5-32-568", &[]));
        for pool in ["DefaultAppPool", "Intranet", "Shop"] {
            let sid = iis_sweep::acl::app_pool_sid(pool).to_string();
            s.accounts.push(account(
                &format!("IIS APPPOOL\\{pool}"),
                &sid,
                &[
                    "S-1-1-0",
                    "S-1-5-32-545",
                    "S-1-5-6",
                    "S-1-5-11",
                    "S-1-5-32-568",
                ],
            ));
        }
        s.registry = vec![
            reg(LSA, "DisableLoopbackCheck", None),
            reg(LSA, "LmCompatibilityLevel", Some(RegistryData::Number(3))),
            reg(
                MSV1_0,
                "BackConnectionHostNames",
                Some(RegistryData::Lines(vec![
                    "intranet.contoso.com".into(),
                    "shop.contoso.com".into(),
                ])),
            ),
            reg(MSV1_0, "RestrictReceivingNTLMTraffic", None),
        ];
        Host {
            snapshot: s,
            apphost: APPHOST.to_string(),
            locations: Vec::new(),
            extra_sites: Vec::new(),
            extra_pools: Vec::new(),
            extra_modules: Vec::new(),
        }
    }

    /// Adds `<location path="PATH" overrideMode="Allow">INNER</location>` to applicationHost.config.
    pub fn location(mut self, path: &str, inner: &str) -> Host {
        self.locations.push(format!(
            "    <location path=\"{path}\" overrideMode=\"Allow\">\n{inner}\n    </location>"
        ));
        self
    }

    /// Replaces text in applicationHost.config (exactly once; panics otherwise so fixtures stay honest).
    pub fn replace(mut self, from: &str, to: &str) -> Host {
        assert_eq!(
            self.apphost.matches(from).count(),
            1,
            "fixture replace: {from:?} must occur exactly once"
        );
        self.apphost = self.apphost.replace(from, to);
        self
    }

    /// Adds a `<site>` element (full XML) to `<sites>`.
    pub fn site_xml(mut self, xml: &str) -> Host {
        self.extra_sites.push(xml.to_string());
        self
    }

    /// Adds an `<add name=… >` pool element (full XML) to `<applicationPools>`.
    pub fn pool_xml(mut self, xml: &str) -> Host {
        self.extra_pools.push(xml.to_string());
        self
    }

    /// Adds a `<globalModules>` entry, e.g. `BasicAuthenticationModule`.
    pub fn global_module(mut self, name: &str) -> Host {
        self.extra_modules.push(format!(
            "            <add name=\"{name}\" image=\"%windir%\\System32\\inetsrv\\{name}.dll\" />"
        ));
        self
    }

    /// Adds a web.config at a Windows path.
    pub fn web_config(mut self, path: &str, text: &str) -> Host {
        self.snapshot.files.push(ConfigFile {
            path: path.into(),
            role: FileRole::WebConfig,
            text: Some(text.into()),
            error: None,
            truncated: false,
        });
        self
    }

    /// Sets (or adds) the SDDL of a folder.
    pub fn acl(mut self, path: &str, sddl: &str) -> Host {
        self.snapshot
            .acls
            .retain(|a| !a.path.eq_ignore_ascii_case(path));
        self.snapshot.acls.push(AclFact {
            path: path.into(),
            owner: None,
            sddl: Some(sddl.into()),
            error: None,
        });
        self
    }

    /// Sets (or adds) a registry value; `None` = looked up, absent.
    pub fn registry(mut self, key: &str, name: &str, data: Option<RegistryData>) -> Host {
        self.snapshot
            .registry
            .retain(|r| !(r.key.eq_ignore_ascii_case(key) && r.name.eq_ignore_ascii_case(name)));
        self.snapshot.registry.push(reg(key, name, data));
        self
    }

    /// Adds an account with its SID and token groups.
    pub fn account(mut self, name: &str, sid: &str, groups: &[&str]) -> Host {
        self.snapshot
            .accounts
            .retain(|a| !a.name.eq_ignore_ascii_case(name));
        self.snapshot.accounts.push(account(name, sid, groups));
        self
    }

    /// Edits the snapshot directly (host facts, logs, collected flags, …).
    pub fn with(mut self, f: impl FnOnce(&mut Snapshot)) -> Host {
        f(&mut self.snapshot);
        self
    }

    pub fn build(mut self) -> Snapshot {
        let text = self
            .apphost
            .replace("<!--LOCATIONS-->", &self.locations.join("\n"))
            .replace("<!--SITES-->", &self.extra_sites.join("\n"))
            .replace("<!--POOLS-->", &self.extra_pools.join("\n"))
            .replace("<!--GLOBALMODULES-->", &self.extra_modules.join("\n"));
        self.snapshot.files.insert(
            0,
            ConfigFile {
                path: APPHOST_PATH.into(),
                role: FileRole::ApplicationHost,
                text: Some(text),
                error: None,
                truncated: false,
            },
        );
        self.snapshot
    }
}

fn account(name: &str, sid: &str, groups: &[&str]) -> AccountFact {
    AccountFact {
        name: name.into(),
        sid: Some(sid.into()),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        enabled: Some(true),
        error: None,
    }
}

fn reg(key: &str, name: &str, data: Option<RegistryData>) -> RegistryFact {
    let kind = data.as_ref().map(|d| {
        match d {
            RegistryData::Number(_) => "REG_DWORD",
            RegistryData::Text(_) => "REG_SZ",
            RegistryData::Lines(_) => "REG_MULTI_SZ",
        }
        .to_string()
    });
    RegistryFact {
        key: key.into(),
        name: name.into(),
        kind,
        data,
    }
}

/// All findings of the whole rule set on a snapshot.
pub fn run_all(snapshot: &Snapshot) -> Vec<Finding> {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    analyze(snapshot, "fixture", &RuleSettings::default(), today).findings
}

/// The findings of one rule.
pub fn run_rule(snapshot: &Snapshot, code: &str) -> Vec<Finding> {
    run_all(snapshot)
        .into_iter()
        .filter(|f| f.rule == code)
        .collect()
}

/// Compares findings with `tests/fixtures/rules/NAME.json`; `UPDATE_GOLDEN=1` rewrites it.
pub fn assert_golden(name: &str, findings: &[Finding]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(format!("{name}.json"));
    let actual = serde_json::to_string_pretty(findings).unwrap() + "\n";
    // Written only on request: a missing golden file is a failure, never a silent pass.
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        expected,
        actual,
        "findings differ from {} (UPDATE_GOLDEN=1 to accept)",
        path.display()
    );
}

// ---- simulated fleets ---------------------------------------------------------------------------

/// A fleet directory for the simulator: each host (name, address, faults) serves a copy of one
/// of the example snapshots (`inventory/examples/WEB-0{1,2,3}.json`, in turn) renamed to it.
pub fn write_fleet_at(dir: &std::path::Path, hosts: &[(&str, std::net::Ipv4Addr, &[&str])]) {
    use iis_sweep_sim::fleet::{Fleet, FleetHost};
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/examples");
    std::fs::create_dir_all(dir.join("hosts")).unwrap();
    let sources = ["WEB-01.json", "WEB-02.json", "WEB-03.json"];
    let mut fleet = Fleet::default();
    for (i, (name, address, faults)) in hosts.iter().enumerate() {
        let text = std::fs::read_to_string(examples.join(sources[i % 3])).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["host"]["name"] = (*name).into();
        let file = PathBuf::from(format!("hosts/{name}.json"));
        std::fs::write(dir.join(&file), v.to_string()).unwrap();
        fleet.hosts.push(FleetHost {
            name: name.to_string(),
            address: *address,
            snapshot: file,
            faults: faults.iter().map(|f| f.to_string()).collect(),
        });
    }
    fleet.save(dir).unwrap();
}

/// [`write_fleet_at`] with the hosts on 127.`net`.0.1, .2, … in order.
pub fn write_fleet(dir: &std::path::Path, net: u8, hosts: &[(&str, &[&str])]) {
    let placed: Vec<(&str, std::net::Ipv4Addr, &[&str])> = hosts
        .iter()
        .enumerate()
        .map(|(i, (name, faults))| {
            (
                *name,
                std::net::Ipv4Addr::new(127, net, 0, (i + 1) as u8),
                *faults,
            )
        })
        .collect();
    write_fleet_at(dir, &placed);
}
