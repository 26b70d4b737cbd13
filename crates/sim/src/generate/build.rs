//! Builds one host model: identity, installed features, a clean baseline, then the plants.

use base64::Engine as _;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::acl;
use super::model::*;
use super::sid;
use super::PLANT_RATES;
use iis_sweep::snapshot::{AccountFact, StatusCount};

/// Authentication methods a U202 plant can leave without their module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Windows,
    Basic,
    Digest,
}

/// Builds host `index` of the fleet generated from `seed`.
pub(super) fn build_host(index: usize, seed: u64) -> HostModel {
    let rng = ChaCha8Rng::seed_from_u64(host_seed(seed, index));
    let mut b = Builder::new(index, seed, rng);
    b.choose_plan();
    b.choose_features();
    b.baseline();
    let plan = std::mem::take(&mut b.plan);
    for &rule in &plan {
        b.plant(rule);
    }
    // Plants added after the first fleets draw from their own stream, so every other host (and
    // every figure quoted from the demo fleet) stays as it was.
    let mut later = ChaCha8Rng::seed_from_u64(host_seed(seed, index) ^ 0x4830_3131);
    for &(rule, rate) in super::LATER_PLANT_RATES {
        if later.random_bool(rate) {
            match rule {
                "H011" => b.plant_h011(&mut later),
                other => unreachable!("no plant for {other}"),
            }
        }
    }
    b.finish();
    b.h
}

/// Builds host `index` with exactly the given plants (conflicts still resolved).
#[cfg(test)]
pub(super) fn build_with_plan(index: usize, seed: u64, rules: &[&'static str]) -> HostModel {
    let rng = ChaCha8Rng::seed_from_u64(host_seed(seed, index));
    let mut b = Builder::new(index, seed, rng);
    b.plan = rules.to_vec();
    b.resolve_plan();
    b.choose_features();
    b.baseline();
    let plan = std::mem::take(&mut b.plan);
    for &rule in &plan {
        b.plant(rule);
    }
    b.finish();
    b.h
}

/// SplitMix64 finaliser.
pub(super) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn host_seed(seed: u64, index: usize) -> u64 {
    mix64(mix64(seed) ^ mix64(index as u64 ^ 0xA5A5_5A5A_0F0F_F0F0))
}

/// The name of host `index` (deterministic per seed).
pub(super) fn host_name(index: usize, seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(host_seed(seed, index));
    name_for(index, &mut rng).0
}

fn name_for(index: usize, rng: &mut ChaCha8Rng) -> (String, bool) {
    const PREFIXES: &[(&str, usize, u32)] = &[
        ("WEB-", 4, 40),
        ("IIS-PRD-", 3, 30),
        ("IIS-UAT-", 3, 10),
        ("WEBAPP-", 3, 10),
        ("IIS-DMZ-", 3, 10),
    ];
    let (prefix, width, _) = *weighted(rng, PREFIXES, |p| p.2);
    (
        format!("{prefix}{:0width$}", index + 1, width = width),
        prefix == "IIS-DMZ-",
    )
}

fn weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.random_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    items.last().expect("non-empty")
}

const OSES: &[(OsInfo, u32)] = &[
    (
        OsInfo {
            caption: "Microsoft Windows Server 2012 R2",
            build: "6.3.9600",
            iis: "8.5",
            iis10: false,
        },
        15,
    ),
    (
        OsInfo {
            caption: "Microsoft Windows Server 2016",
            build: "10.0.14393",
            iis: "10.0",
            iis10: true,
        },
        30,
    ),
    (
        OsInfo {
            caption: "Microsoft Windows Server 2019",
            build: "10.0.17763",
            iis: "10.0",
            iis10: true,
        },
        35,
    ),
    (
        OsInfo {
            caption: "Microsoft Windows Server 2022",
            build: "10.0.20348",
            iis: "10.0",
            iis10: true,
        },
        20,
    ),
];

const PUBLIC_NAMES: &[&str] = &[
    "Shop",
    "Careers",
    "Blog",
    "Support",
    "Status",
    "Newsroom",
    "Investor",
    "Catalog",
    "Downloads",
    "Booking",
    "Tickets",
    "Events",
    "Community",
    "Partners",
    "Marketing",
    "Store",
    "Travel",
    "Dealer",
    "Supplier",
    "Learning",
    "Survey",
    "Forms",
    "Media",
    "Brand",
    "Promo",
    "Rewards",
    "Library",
    "Museum",
    "Visit",
    "Jobs",
];
const INTRANET_NAMES: &[&str] = &[
    "Intranet",
    "HR",
    "Wiki",
    "Timesheets",
    "Helpdesk",
    "Procurement",
    "Expenses",
    "Payroll",
    "Facilities",
    "Dashboard",
    "Inventory",
    "Portal",
    "Benefits",
    "Onboarding",
    "Assets",
    "Contracts",
    "Policies",
    "Training",
    "Reporting",
    "Planning",
];
const API_NAMES: &[&str] = &[
    "Api",
    "Orders",
    "Tracking",
    "Payments",
    "Quotes",
    "Search",
    "Gateway",
    "Identity",
    "Notifications",
    "Pricing",
    "Shipping",
    "Billing",
];
const STATIC_NAMES: &[&str] = &["Static", "Cdn", "Images", "Docs", "Archive", "Help"];
const LEGACY_NAMES: &[&str] = &[
    "Legacy",
    "ClassicAsp",
    "OldPortal",
    "Extranet",
    "Claims",
    "Crm",
];
const PLANT_SITE_NAMES: &[&str] = &[
    "Reports",
    "Partners2",
    "Vendor",
    "Kiosk",
    "Lab",
    "Finance",
    "Sales",
    "Ops",
    "Fleet",
    "Quality",
    "Research",
    "Warehouse",
    "Logistics",
    "Legal",
    "Compliance",
    "Audit",
    "Tenders",
    "Dealers",
    "Members",
    "Alumni",
];
const CHILD_APP_NAMES: &[&str] = &[
    "api", "admin", "account", "services", "mobile", "v2", "checkout", "help", "auth", "hooks",
    "export", "search", "cms", "forum",
];
const PLANT_APP_NAMES: &[&str] = &[
    "reports",
    "legacy",
    "finance",
    "backoffice",
    "partner",
    "upload",
    "tools",
    "staff",
    "archive",
    "billing",
    "secure",
    "internal",
    "crm",
    "survey",
    "orders",
    "docs",
    "beta",
    "members",
];
const SHARE_NAMES: &[&str] = &[
    "content",
    "files",
    "shared",
    "documents",
    "media",
    "downloads",
    "assets",
    "pdf",
];

/// Win32 codes of planted 401.1 evidence.
const SEC_E_LOGON_DENIED: u64 = 2_148_074_252;
const SEC_E_INVALID_TOKEN: u64 = 2_148_074_248;

/// Builds a host model.
pub(super) struct Builder {
    pub h: HostModel,
    rng: ChaCha8Rng,
    plan: Vec<&'static str>,
    u202: Option<Method>,
    local_rid: u32,
}

/// `svc-<pool>`, kept within the 20 characters of a sAMAccountName.
fn service_account(pool: &str) -> String {
    let s = slug(pool);
    if s.len() + 4 <= 20 {
        return format!("svc-{s}");
    }
    let hash = super::sid::domain_rid(&s) % 0x10000;
    format!("svc-{}-{hash:04x}", s[..10].trim_end_matches('-'))
}

fn slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

impl Builder {
    fn new(index: usize, seed: u64, mut rng: ChaCha8Rng) -> Builder {
        let (name, dmz) = name_for(index, &mut rng);
        let workgroup = rng.random_bool(if dmz { 0.6 } else { 0.04 });
        let (os, _) = *weighted(&mut rng, OSES, |o| o.1);
        let edition = if rng.random_bool(0.6) {
            "Standard"
        } else {
            "Datacenter"
        };
        let lower = name.to_lowercase();
        let (fqdn, prefix, sid_prefix) = if workgroup {
            let machine = format!(
                "S-1-5-21-{}-{}-{}",
                rng.random_range(1_000_000_000u32..4_000_000_000),
                rng.random_range(1_000_000_000u32..4_000_000_000),
                rng.random_range(100_000_000u32..4_000_000_000)
            );
            (format!("{lower}.dmz.contoso.com"), name.clone(), machine)
        } else {
            (
                format!("{lower}.contoso.local"),
                "CONTOSO".to_string(),
                sid::DOMAIN_SID.to_string(),
            )
        };
        // 2025-01-06T06:00:00Z plus up to a year, fixed by the seed.
        let base = 1_736_143_200i64 + (mix64(seed) % 360) as i64 * 86_400;
        let collected_at = base + index as i64 * 7 + rng.random_range(0..600i64);
        let h = HostModel {
            index,
            seed,
            name,
            fqdn,
            domain_joined: !workgroup,
            account_prefix: prefix,
            account_sid_prefix: sid_prefix,
            os,
            edition,
            feat: Features::default(),
            global_anon_pool: false,
            handlers_in_location: true,
            site_defaults_flags: false,
            site_defaults_log_dir: None,
            pools: Vec::new(),
            sites: Vec::new(),
            web_configs: Vec::new(),
            folders: Vec::new(),
            accounts: Vec::new(),
            reg: Reg::default(),
            root_web_config: false,
            isapi_cgi_extra: Vec::new(),
            answers: Vec::new(),
            next_site_id: 2,
            collected_at,
            enc_counter: 0,
            failed_logons: Vec::new(),
        };
        Builder {
            h,
            rng,
            plan: Vec::new(),
            u202: None,
            local_rid: 1000,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).expect("non-empty")
    }

    fn has(&self, rule: &str) -> bool {
        self.plan.contains(&rule)
    }

    fn drop_rule(&mut self, rule: &str) {
        self.plan.retain(|r| *r != rule);
    }

    // ----------------------------------------------------------------------------------
    // Plan and features
    // ----------------------------------------------------------------------------------

    fn choose_plan(&mut self) {
        for &(rule, rate) in PLANT_RATES {
            let p = match rule {
                // Digest on a workgroup server: only workgroup hosts qualify.
                "U105" if self.h.domain_joined => 0.0,
                "U105" => rate,
                _ => rate,
            };
            if self.chance(p) {
                self.plan.push(rule);
            }
        }
        self.resolve_plan();
    }

    /// Drops conflicting plants and picks the U202 variant.
    fn resolve_plan(&mut self) {
        if self.has("U105") && self.h.domain_joined {
            self.drop_rule("U105");
        }
        if self.has("U104") && !self.h.domain_joined {
            self.drop_rule("U104");
        }
        if self.has("H004") && self.has("U101") {
            let loser = if self.chance(0.5) { "H004" } else { "U101" };
            self.drop_rule(loser);
        }
        if self.has("H009") && self.has("U103") {
            let loser = if self.chance(0.5) { "H009" } else { "U103" };
            self.drop_rule(loser);
        }
        if self.has("H010") && (self.has("U204") || self.has("U205")) {
            self.drop_rule("H010");
        }
        if self.has("U202") {
            let mut options = Vec::new();
            if !["U101", "U102", "U103", "U104", "U203"]
                .iter()
                .any(|r| self.has(r))
            {
                options.push((Method::Windows, 50));
            }
            if !self.has("H001") {
                options.push((Method::Basic, 30));
            }
            if self.h.domain_joined {
                options.push((Method::Digest, 20));
            }
            if options.is_empty() {
                self.drop_rule("U202");
            } else {
                self.u202 = Some(weighted(&mut self.rng, &options, |o| o.1).0);
            }
        }
    }

    fn choose_features(&mut self) {
        let needs = |b: &Builder, rules: &[&str]| rules.iter().any(|r| b.has(r));
        let mut f = Features {
            aspnet: self.chance(0.85) || needs(self, &["H002", "U206", "C003"]),
            ..Features::default()
        };
        f.aspnet35 = f.aspnet && self.chance(0.12);
        f.windows = needs(self, &["U101", "U102", "U103", "U104", "U203"]) || self.chance(0.7);
        f.basic = self.has("H001") || self.chance(0.25);
        f.digest = self.has("U105") || self.chance(0.04);
        f.iis_cert = self.has("U207") || self.chance(0.05);
        f.cert_ad = self.h.domain_joined && self.chance(0.04);
        f.url_auth = needs(self, &["U204", "U205"]) || self.chance(0.35);
        if self.has("H010") {
            f.url_auth = false;
        }
        f.ip = needs(self, &["U501", "U502"]) || self.chance(0.2);
        f.isapi_filter = f.aspnet || self.has("U401") || self.chance(0.1);
        f.isapi_ext = f.aspnet || self.chance(0.1);
        f.cgi = self.chance(0.05);
        f.asp = self.chance(0.1);
        f.isapi_ext |= f.asp;
        f.rewrite = self.chance(0.25);
        f.dyn_compression = self.chance(0.5);
        f.app_init = self.chance(0.2);
        f.websocket = self.chance(0.3);
        match self.u202 {
            Some(Method::Windows) => f.windows = false,
            Some(Method::Basic) => f.basic = false,
            Some(Method::Digest) => f.digest = false,
            None => {}
        }
        self.h.feat = f;
    }

    /// Installs a method's module unless a U202 plant needs it missing.
    fn can_use(&mut self, m: Method) -> bool {
        if self.u202 == Some(m) {
            return false;
        }
        match m {
            Method::Windows => self.h.feat.windows = true,
            Method::Basic => self.h.feat.basic = true,
            Method::Digest => self.h.feat.digest = true,
        }
        true
    }

    /// Windows if installed, else Basic if installed, else whichever can be installed.
    fn challenge_method(&mut self) -> Method {
        if self.h.feat.windows {
            Method::Windows
        } else if self.h.feat.basic {
            Method::Basic
        } else if self.can_use(Method::Windows) {
            Method::Windows
        } else {
            let ok = self.can_use(Method::Basic);
            debug_assert!(ok);
            Method::Basic
        }
    }

    // ----------------------------------------------------------------------------------
    // Secrets and accounts
    // ----------------------------------------------------------------------------------

    fn enc(&mut self, provider: &str) -> Secret {
        let len = self.rng.random_range(40..72usize);
        let bytes: Vec<u8> = (0..len).map(|_| self.rng.random::<u8>()).collect();
        self.h.enc_counter += 1;
        Secret::Enc(format!(
            "[enc:{provider}:{}:enc]",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    fn pool_secret(&mut self) -> Secret {
        let provider = if self.h.os.iis10 {
            "IISWASOnlyCngProvider"
        } else {
            "IISWASOnlyAesProvider"
        };
        self.enc(provider)
    }

    fn plain_password(&mut self) -> Secret {
        const WORDS: &[&str] = &["Summer", "Winter", "Contoso", "Welcome", "Spring", "Autumn"];
        let w = self.pick(WORDS);
        let n = self.rng.random_range(2015..2025);
        let tail = self.pick(&["!", "#", "$", "1"]);
        Secret::Plain(format!("{w}{n}{tail}"))
    }

    /// Registers (or returns) an account `PREFIX\short`; returns its full name.
    fn account(&mut self, short: &str, as_pool: bool) -> String {
        let full = format!("{}\\{}", self.h.account_prefix, short);
        if let Some(a) = self
            .h
            .accounts
            .iter_mut()
            .find(|a| a.name.eq_ignore_ascii_case(&full))
        {
            if as_pool && !a.groups.iter().any(|g| g == sid::IIS_IUSRS) {
                a.groups.push(sid::IIS_IUSRS.to_string());
            }
            return full;
        }
        let (sid_str, none_group) = if self.h.domain_joined {
            (sid::domain_account_sid(&full), sid::domain_users_sid())
        } else {
            self.local_rid += 1;
            (
                format!("{}-{}", self.h.account_sid_prefix, self.local_rid),
                format!("{}-513", self.h.account_sid_prefix),
            )
        };
        let mut groups = vec![
            none_group,
            sid::EVERYONE.to_string(),
            sid::USERS.to_string(),
            sid::AUTHENTICATED_USERS.to_string(),
        ];
        if self.h.domain_joined {
            groups.push(sid::THIS_ORGANIZATION.to_string());
        }
        if as_pool {
            groups.push(sid::BATCH.to_string());
            groups.push(sid::IIS_IUSRS.to_string());
        }
        self.h.accounts.push(AccountFact {
            name: full.clone(),
            sid: Some(sid_str),
            groups,
            enabled: Some(true),
            error: None,
        });
        full
    }

    fn account_sid(&self, full: &str) -> String {
        self.h
            .accounts
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(full))
            .and_then(|a| a.sid.clone())
            .expect("registered account")
    }

    // ----------------------------------------------------------------------------------
    // Pools, sites, folders
    // ----------------------------------------------------------------------------------

    fn add_pool(&mut self, pool: Pool) -> String {
        let name = pool.name.clone();
        self.h.pools.push(pool);
        name
    }

    fn unique_pool_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while self.h.pool(&name).is_some() {
            name = format!("{base}{n}");
            n += 1;
        }
        name
    }

    /// A new pool for `site` with an identity drawn from `weights` (AppPoolIdentity,
    /// SpecificUser, NetworkService).
    fn new_pool(&mut self, base: &str, weights: [u32; 3]) -> String {
        let style = self.rng.random_range(0..10);
        let base = match style {
            0..=5 => base.to_string(),
            6 | 7 => format!("{base}AppPool"),
            _ => format!("{base}_Pool"),
        };
        let name = self.unique_pool_name(&base);
        let mut pool = Pool::new(&name);
        let which = *weighted(&mut self.rng, &[0usize, 1, 2], |i| weights[*i]);
        match which {
            1 => {
                let user = self.account(&service_account(&name), true);
                pool.identity = Identity::SpecificUser;
                pool.user = Some(user);
                pool.password = Some(self.pool_secret());
                pool.load_user_profile = self.chance(0.5);
            }
            2 => pool.identity = Identity::NetworkService,
            _ => pool.explicit_identity = self.chance(0.2),
        }
        if self.chance(0.1) {
            pool.runtime = Some("");
        } else if self.chance(0.3) {
            pool.runtime = Some("v4.0");
        }
        pool.always_running = self.chance(0.15);
        self.add_pool(pool)
    }

    /// A dedicated pool with a given identity (plants).
    fn dedicated_pool(&mut self, base: &str, identity: Identity, plaintext: bool) -> String {
        let name = self.unique_pool_name(base);
        let mut pool = Pool::new(&name);
        pool.identity = identity;
        if identity == Identity::SpecificUser {
            let user = self.account(&service_account(&name), true);
            pool.user = Some(user);
            pool.password = Some(if plaintext {
                self.plain_password()
            } else {
                self.pool_secret()
            });
        }
        self.add_pool(pool)
    }

    /// SDDL principal that stands for a pool's identity in an ACE.
    fn pool_principal(&self, pool: &str) -> Option<String> {
        let p = self.h.pool(pool)?;
        match p.identity {
            Identity::AppPoolIdentity => Some(sid::app_pool_sid(&p.name)),
            Identity::SpecificUser => p.user.as_deref().map(|u| self.account_sid(u)),
            Identity::NetworkService => Some("NS".to_string()),
            Identity::LocalSystem => None,
        }
    }

    fn unique_site_name(&mut self, names: &[&str]) -> String {
        let free: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !self.site_name_taken(n))
            .collect();
        if let Some(n) = free.choose(&mut self.rng) {
            return n.to_string();
        }
        let base = self.pick(names);
        let mut n = 2;
        loop {
            let candidate = format!("{base}{n}");
            if !self.site_name_taken(&candidate) {
                return candidate;
            }
            n += 1;
        }
    }

    fn site_name_taken(&self, name: &str) -> bool {
        self.h
            .sites
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(name))
    }

    fn site_root_path(&mut self, name: &str) -> String {
        let s = slug(name);
        match weighted(&mut self.rng, &[0u8, 1, 2, 3], |i| {
            [45, 25, 15, 15][*i as usize]
        }) {
            0 => format!("D:\\Sites\\{name}"),
            1 => format!("%SystemDrive%\\inetpub\\{s}"),
            2 => format!("E:\\Web\\{s}\\wwwroot"),
            _ => format!("D:\\inetpub\\wwwroot\\{s}"),
        }
    }

    fn http(host: &str) -> Binding {
        Binding {
            protocol: "http",
            ip: "*",
            port: 80,
            host: host.to_string(),
            ssl_flags: None,
        }
    }

    fn https(host: &str, sni: bool) -> Binding {
        Binding {
            protocol: "https",
            ip: "*",
            port: 443,
            host: host.to_string(),
            ssl_flags: if sni { Some(1) } else { None },
        }
    }

    fn public_host(&self, s: &str) -> String {
        if self.h.domain_joined {
            format!("{s}.contoso.com")
        } else {
            format!("{s}.dmz.contoso.com")
        }
    }

    fn internal_host(&self, s: &str) -> String {
        if self.h.domain_joined {
            format!("{s}.contoso.local")
        } else {
            format!("{s}.dmz.contoso.com")
        }
    }

    fn global_docs(&self) -> Vec<String> {
        let mut docs: Vec<String> = ["Default.htm", "Default.asp", "index.htm", "index.html"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        docs.push("iisstart.htm".to_string());
        if self.h.feat.aspnet {
            docs.push("default.aspx".to_string());
        }
        docs
    }

    fn push_site(
        &mut self,
        name: String,
        kind: SiteKind,
        bindings: Vec<Binding>,
        root: String,
        pool: Option<String>,
    ) -> usize {
        let id = if kind == SiteKind::DefaultWebSite {
            1
        } else {
            let id = self.h.next_site_id;
            self.h.next_site_id += 1;
            id
        };
        let docs = self.global_docs();
        self.h.sites.push(Site {
            name,
            id,
            kind,
            bindings,
            apps: vec![App {
                path: "/".to_string(),
                pool,
                vdirs: vec![Vdir {
                    path: "/".to_string(),
                    physical: root,
                    user: None,
                    logon_method: None,
                    allow_sub_dir_config: None,
                }],
                preload: false,
            }],
            locs: Vec::new(),
            log: SiteLog::Inherit,
            plain: false,
            loopback_planted: false,
            windows_intent: false,
            root_docs: docs,
            app_defaults_pool: None,
            auto_start: true,
            log_counts: Vec::new(),
            challenge_traffic: false,
        });
        self.h.sites.len() - 1
    }

    /// The clean descriptor of a content folder, by where it lives.
    fn clean_acl(&mut self, physical: &str, pool: Option<&str>) -> (String, String) {
        let exp = expand(physical);
        let lower = exp.to_lowercase();
        let grant = pool.and_then(|p| self.pool_principal(p));
        if lower == "c:\\inetpub\\wwwroot" {
            return (acl::OWNER_TI.to_string(), acl::wwwroot());
        }
        if lower.starts_with("c:\\inetpub\\wwwroot\\") {
            let extra = grant
                .filter(|_| self.chance(0.3))
                .map(|g| acl::ace("A", "OICI", "0x1200a9", &g));
            return (
                acl::OWNER_BA.to_string(),
                acl::wwwroot_child(extra.as_deref()),
            );
        }
        if lower.starts_with("c:\\inetpub\\") {
            let extra = grant
                .filter(|_| self.chance(0.4))
                .map(|g| acl::ace("A", "OICI", "0x1200a9", &g));
            return (
                acl::OWNER_BA.to_string(),
                acl::inetpub_child(extra.as_deref()),
            );
        }
        if lower.starts_with("\\\\") {
            return (
                acl::OWNER_BA.to_string(),
                acl::unc(None, self.h.domain_joined),
            );
        }
        if lower.starts_with("d:\\sites\\") && self.chance(0.6) {
            let mut aces = vec![
                acl::ace("A", "OICI", "FA", "SY"),
                acl::ace("A", "OICI", "FA", "BA"),
                acl::ace("A", "OICI", "0x1200a9", "BU"),
            ];
            if let Some(g) = grant {
                let mask = if self.chance(0.3) {
                    "0x1301bf"
                } else {
                    "0x1200a9"
                };
                aces.push(acl::ace("A", "OICI", mask, &g));
            }
            if self.h.domain_joined && self.chance(0.3) {
                let deploy = self.account("svc-deploy", false);
                let d = self.account_sid(&deploy);
                aces.push(acl::ace("A", "OICI", "0x1301bf", &d));
            }
            return (acl::OWNER_BA.to_string(), acl::protected(&aces));
        }
        let extra = grant
            .filter(|_| self.chance(0.5))
            .map(|g| acl::ace("A", "OICI", "0x1200a9", &g));
        (
            acl::OWNER_BA.to_string(),
            acl::data_drive_child(extra.as_deref()),
        )
    }

    fn set_clean_acl(&mut self, physical: &str, pool: Option<&str>) {
        let (owner, sddl) = self.clean_acl(physical, pool);
        self.h.set_folder(&expand(physical), &owner, sddl);
    }

    /// A subfolder of an existing folder: inherited ACEs only.
    fn set_inherited_acl(&mut self, parent: &str, child: &str) {
        let parent_sddl = self
            .h
            .folder(&expand(parent))
            .map(|f| f.sddl.clone())
            .unwrap_or_else(acl::wwwroot);
        let sddl = if expand(parent).eq_ignore_ascii_case("C:\\inetpub\\wwwroot") {
            acl::wwwroot_child(None)
        } else {
            acl::inherit_child(&parent_sddl)
        };
        self.h.set_folder(&expand(child), acl::OWNER_BA, sddl);
    }

    fn root_physical(&self, si: usize) -> String {
        self.h.sites[si].apps[0].vdirs[0].physical.clone()
    }

    fn root_pool(&self, si: usize) -> String {
        let site = &self.h.sites[si];
        self.h.app_pool_name(site, &site.apps[0])
    }

    /// Physical folder (config form) serving `url` (an application or vdir root).
    fn physical_of(&self, si: usize, url: &str) -> String {
        let site = &self.h.sites[si];
        for app in &site.apps {
            for v in &app.vdirs {
                if join_url(&app.path, &v.path).eq_ignore_ascii_case(url) {
                    return v.physical.clone();
                }
            }
        }
        // A subfolder below the root vdir.
        let root = self.root_physical(si);
        format!("{root}{}", url.replace('/', "\\"))
    }

    fn log_count(&mut self, si: usize, status: u16, substatus: u32, win32: u64) {
        let count = self.rng.random_range(12..900u64);
        self.h.sites[si].log_counts.push(StatusCount {
            status,
            substatus,
            win32,
            count,
        });
    }

    // ----------------------------------------------------------------------------------
    // Baseline
    // ----------------------------------------------------------------------------------

    fn baseline(&mut self) {
        self.h.global_anon_pool = self.chance(0.08);
        self.h.handlers_in_location = self.chance(0.8);
        self.h.site_defaults_flags = self.chance(0.25);
        if self.chance(0.2) {
            self.h.site_defaults_log_dir =
                Some(self.pick(&["D:\\IISLogs", "E:\\Logs\\IIS"]).into());
        }
        self.h.root_web_config = self.h.feat.aspnet && self.chance(0.9);

        self.add_pool(Pool::new("DefaultAppPool"));
        if self.h.feat.aspnet {
            let mut classic = Pool::new(".NET v4.5 Classic");
            classic.runtime = Some("v4.0");
            classic.classic = true;
            self.add_pool(classic);
            let mut v45 = Pool::new(".NET v4.5");
            v45.runtime = Some("v4.0");
            self.add_pool(v45);
        }
        if self.h.feat.aspnet35 {
            let mut classic = Pool::new(".NET v2.0 Classic");
            classic.runtime = Some("v2.0");
            classic.classic = true;
            self.add_pool(classic);
            let mut v2 = Pool::new(".NET v2.0");
            v2.runtime = Some("v2.0");
            self.add_pool(v2);
        }

        // Registry: clean values only (plants change them later).
        self.h.reg.disable_loopback_check = if self.chance(0.15) { Some(0) } else { None };
        let lm = self.rng.random_range(0..100);
        match lm {
            0..=44 => {}
            45..=89 => self.h.reg.lm_compatibility = Some(3),
            _ => self.h.reg.lm_compatibility = Some(4),
        }
        self.h.reg.restrict_receiving_ntlm = if self.chance(0.12) { Some(0) } else { None };
        if self.chance(0.15) {
            let stale = self.pick(&[
                "intranet-old.contoso.local",
                "sp2010.contoso.local",
                "webfarm.contoso.local",
            ]);
            self.h.reg.bchn_extra.push(stale.to_string());
        }

        let r: f64 = self.rng.random();
        let n_sites = if r < 0.55 {
            self.rng.random_range(1..=3)
        } else if r < 0.85 {
            self.rng.random_range(4..=8)
        } else if r < 0.97 {
            self.rng.random_range(9..=20)
        } else {
            self.rng.random_range(21..=50)
        };
        if self.chance(0.8) {
            self.add_default_web_site();
        }
        while self.h.sites.len() < n_sites {
            let windows = self.h.feat.windows;
            let kind = *weighted(
                &mut self.rng,
                &[
                    (SiteKind::Public, 45),
                    (SiteKind::Intranet, if windows { 25 } else { 0 }),
                    (SiteKind::Api, 12),
                    (SiteKind::Static, 10),
                    (SiteKind::Legacy, 8),
                ],
                |k| k.1,
            );
            match kind.0 {
                SiteKind::Intranet => self.add_intranet_site(),
                SiteKind::Api => self.add_api_site(),
                SiteKind::Static => self.add_static_site(),
                SiteKind::Legacy => self.add_legacy_site(),
                _ => self.add_public_site(),
            };
        }
    }

    fn add_default_web_site(&mut self) -> usize {
        let mut bindings = vec![Builder::http("")];
        if self.chance(0.25) {
            bindings.push(Builder::https("", false));
        }
        let pool = if self.chance(0.7) {
            None
        } else {
            Some("DefaultAppPool".to_string())
        };
        let si = self.push_site(
            "Default Web Site".to_string(),
            SiteKind::DefaultWebSite,
            bindings,
            "%SystemDrive%\\inetpub\\wwwroot".to_string(),
            pool,
        );
        self.h.sites[si].plain = true;
        self.set_clean_acl("%SystemDrive%\\inetpub\\wwwroot", Some("DefaultAppPool"));
        if self.chance(0.15) {
            self.baseline_root_web_config(si, false);
        }
        si
    }

    fn site_log(&mut self, si: usize) {
        let r = self.rng.random_range(0..100);
        self.h.sites[si].log = match r {
            0..=69 => SiteLog::Inherit,
            70..=89 => SiteLog::Directory(
                self.pick(&["D:\\Logs\\IIS", "E:\\IISLogs", "D:\\LogFiles"])
                    .to_string(),
            ),
            _ => SiteLog::Flags(
                "Date, Time, ClientIP, UserName, SiteName, ComputerName, ServerIP, Method, \
                 UriStem, UriQuery, HttpStatus, Win32Status, BytesSent, BytesRecv, TimeTaken, \
                 ServerPort, UserAgent, Cookie, Referer, ProtocolVersion, Host, HttpSubStatus"
                    .to_string(),
            ),
        };
    }

    fn add_public_site(&mut self) -> usize {
        let name = self.unique_site_name(PUBLIC_NAMES);
        let s = slug(&name);
        let pool = self.new_pool(&name, [78, 12, 10]);
        let root = self.site_root_path(&name);
        let host = self.public_host(&s);
        let mut bindings = vec![Builder::http(&host)];
        let https = self.chance(0.7);
        if https {
            let sni = self.chance(0.7);
            bindings.push(Builder::https(&host, sni));
        }
        if self.chance(0.2) {
            bindings.push(Builder::http(&format!("www.{host}")));
        }
        let si = self.push_site(
            name,
            SiteKind::Public,
            bindings,
            root.clone(),
            Some(pool.clone()),
        );
        self.h.sites[si].plain = true;
        self.set_clean_acl(&root, Some(&pool));
        if self.chance(0.7) {
            self.baseline_root_web_config(si, false);
        }
        let n_apps = self.rng.random_range(0..=3);
        for _ in 0..n_apps {
            self.add_child_app(si, CHILD_APP_NAMES);
        }
        if self.h.feat.aspnet && self.chance(0.25) {
            if let Some(path) = self.add_child_app(si, &["account", "members", "login"]) {
                self.forms_web_config(si, &path, true);
            }
        }
        if https && self.h.feat.basic && self.chance(0.3) {
            if let Some(path) = self.add_child_app(si, &["api", "feeds", "partner-api"]) {
                let loc = self.h.sites[si].loc_mut(&path);
                loc.auth.anon = Some(false);
                loc.auth.basic = Some(true);
                loc.access = Some("Ssl");
                self.h.sites[si].challenge_traffic = true;
            }
        }
        if self.h.domain_joined && self.chance(0.12) {
            self.add_share_vdir(si, false);
        }
        if self.chance(0.15) {
            self.subfolder_web_config(si);
        }
        if self.h.feat.ip && self.chance(0.15) {
            let el = self.clean_dynip();
            self.h.sites[si].loc_mut("/").security.push(el);
            self.h.sites[si].plain = false;
        }
        self.site_log(si);
        si
    }

    fn add_intranet_site(&mut self) -> usize {
        let name = self.unique_site_name(INTRANET_NAMES);
        let s = slug(&name);
        let pool = self.new_pool(&name, [60, 30, 10]);
        let root = self.site_root_path(&name);
        let host = self.internal_host(&s);
        let mut bindings = vec![Builder::http(&host)];
        if self.chance(0.4) {
            bindings.push(Builder::https(&host, self.chance(0.5)));
        }
        if self.chance(0.15) {
            bindings.push(Builder::http(&s));
        }
        if self.chance(0.1) {
            let fqdn = self.h.fqdn.clone();
            bindings.push(Binding {
                protocol: "http",
                ip: "*",
                port: 8080,
                host: fqdn,
                ssl_flags: None,
            });
        }
        let si = self.push_site(
            name,
            SiteKind::Intranet,
            bindings,
            root.clone(),
            Some(pool.clone()),
        );
        self.set_clean_acl(&root, Some(&pool));
        let providers = match self.rng.random_range(0..100) {
            0..=69 => None,
            70..=84 => Some(vec!["NTLM"]),
            _ => Some(vec!["Negotiate", "NTLM"]),
        };
        let ext = self.chance(0.1);
        let in_web_config = self.chance(0.1);
        {
            let site = &mut self.h.sites[si];
            site.windows_intent = true;
            site.challenge_traffic = true;
            let loc = site.loc_mut("/");
            loc.auth.anon = Some(false);
            loc.auth.windows = Some(true);
            loc.auth.providers = providers;
            if ext {
                loc.auth.ext_protection = Some("Allow");
            }
            loc.auth_in_web_config = in_web_config;
        }
        let dir = expand(&root);
        if self.chance(0.5) {
            let wc = self.h.web_config_mut(si, "/", &dir);
            wc.system_web
                .push(El::new("authentication").a("mode", "Windows"));
            wc.system_web
                .push(El::new("authorization").k(El::new("deny").a("users", "?")));
        }
        if self.h.feat.url_auth && self.chance(0.25) {
            let wc = self.h.web_config_mut(si, "/", &dir);
            wc.web_server.push(El::new("security").k(
                El::new("authorization").k(El::new("add").a("accessType", "Deny").a("users", "?")),
            ));
        }
        if in_web_config || self.chance(0.4) {
            // The web.config exists (auth lives there, or the app ships one).
            let aspnet = self.h.feat.aspnet;
            let wc = self.h.web_config_mut(si, "/", &dir);
            if wc.system_web.is_empty() && aspnet {
                wc.system_web.push(
                    El::new("compilation")
                        .a("debug", "false")
                        .a("targetFramework", "4.8"),
                );
            }
        }
        let n_apps = self.rng.random_range(0..=2);
        for _ in 0..n_apps {
            self.add_child_app(si, &["reports", "forms", "admin", "api", "search"]);
        }
        self.site_log(si);
        si
    }

    fn add_api_site(&mut self) -> usize {
        let name = self.unique_site_name(API_NAMES);
        let s = slug(&name);
        let pool = self.new_pool(&name, [80, 15, 5]);
        let root = self.site_root_path(&name);
        let host = self.public_host(&format!("{s}-api"));
        let mut bindings = vec![Builder::https(&host, self.chance(0.6))];
        if self.chance(0.5) {
            bindings.push(Builder::http(&host));
        }
        let si = self.push_site(
            name,
            SiteKind::Api,
            bindings,
            root.clone(),
            Some(pool.clone()),
        );
        self.set_clean_acl(&root, Some(&pool));
        if self.h.feat.ip && self.chance(0.5) {
            let action = self.pick(&[
                None,
                Some("Forbidden"),
                Some("NotFound"),
                Some("AbortRequest"),
            ]);
            let mut el = El::new("ipSecurity");
            if let Some(a) = action {
                el = el.a("denyAction", a);
            }
            el = el
                .a("allowUnlisted", "false")
                .k(El::new("add")
                    .a("ipAddress", "10.0.0.0")
                    .a("subnetMask", "255.0.0.0")
                    .a("allowed", "true"))
                .k(El::new("add")
                    .a("ipAddress", "127.0.0.1")
                    .a("allowed", "true"));
            self.h.sites[si].loc_mut("/").security.push(el);
        }
        if self.h.feat.ip && self.chance(0.3) {
            let el = self.clean_dynip();
            self.h.sites[si].loc_mut("/").security.push(el);
        }
        if self.h.feat.basic && self.chance(0.3) {
            let loc = self.h.sites[si].loc_mut("/");
            loc.auth.anon = Some(false);
            loc.auth.basic = Some(true);
            loc.auth.basic_realm = Some("contoso".to_string());
            loc.access = Some("Ssl");
            self.h.sites[si].challenge_traffic = true;
        }
        if self.chance(0.5) {
            self.baseline_root_web_config(si, false);
        }
        let n_apps = self.rng.random_range(0..=2);
        for _ in 0..n_apps {
            self.add_child_app(si, &["v1", "v2", "v3", "health", "swagger"]);
        }
        self.site_log(si);
        si
    }

    fn add_static_site(&mut self) -> usize {
        let name = self.unique_site_name(STATIC_NAMES);
        let s = slug(&name);
        let pool_name = self.unique_pool_name(&name);
        let mut pool = Pool::new(&pool_name);
        pool.runtime = Some("");
        self.add_pool(pool);
        let root = self.site_root_path(&name);
        let host = self.public_host(&s);
        let bindings = vec![Builder::http(&host), Builder::https(&host, true)];
        let si = self.push_site(
            name,
            SiteKind::Static,
            bindings,
            root.clone(),
            Some(pool_name.clone()),
        );
        self.h.sites[si].plain = true;
        self.set_clean_acl(&root, Some(&pool_name));
        if self.chance(0.6) {
            let dir = expand(&root);
            let wc = self.h.web_config_mut(si, "/", &dir);
            wc.web_server.push(
                El::new("staticContent").k(El::new("clientCache")
                    .a("cacheControlMode", "UseMaxAge")
                    .a("cacheControlMaxAge", "7.00:00:00")),
            );
            wc.web_server
                .push(El::new("directoryBrowse").a("enabled", "false"));
        }
        self.site_log(si);
        si
    }

    fn add_legacy_site(&mut self) -> usize {
        let name = self.unique_site_name(LEGACY_NAMES);
        let s = slug(&name);
        let pool = if self.h.feat.aspnet35 && self.chance(0.6) {
            ".NET v2.0 Classic".to_string()
        } else {
            let name = self.unique_pool_name(&format!("{name}Classic"));
            let mut p = Pool::new(&name);
            p.classic = true;
            p.runtime = Some(if self.h.feat.aspnet35 { "v2.0" } else { "v4.0" });
            self.add_pool(p)
        };
        let root = self.site_root_path(&name);
        let host = self.public_host(&s);
        let si = self.push_site(
            name,
            SiteKind::Legacy,
            vec![Builder::http(&host)],
            root.clone(),
            Some(pool.clone()),
        );
        self.h.sites[si].plain = true;
        self.set_clean_acl(&root, Some(&pool));
        if self.chance(0.5) {
            self.baseline_root_web_config(si, false);
        }
        self.site_log(si);
        si
    }

    /// A child application with a fresh name; returns its path.
    fn add_child_app(&mut self, si: usize, names: &[&str]) -> Option<String> {
        let free: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !self.h.sites[si].uses_top_segment(n))
            .collect();
        let name = *free.choose(&mut self.rng)?;
        let path = format!("/{name}");
        let site_name = self.h.sites[si].name.clone();
        let root = self.root_physical(si);
        let root_pool = self.root_pool(si);
        let pool = match self.rng.random_range(0..10) {
            0..=4 => {
                let id_weights = [88, 10, 2];
                Some(self.new_pool(&format!("{site_name}.{name}"), id_weights))
            }
            5..=8 => Some(root_pool),
            _ => None,
        };
        let pool_name = pool.clone().unwrap_or_else(|| "DefaultAppPool".to_string());
        let local_root = !root.starts_with("\\\\");
        let physical = if local_root && self.chance(0.6) {
            format!("{root}\\{name}")
        } else {
            format!("D:\\Apps\\{site_name}.{name}")
        };
        if physical.starts_with(&root) {
            self.set_inherited_acl(&root, &physical);
        } else {
            self.set_clean_acl(&physical, Some(&pool_name));
        }
        self.h.sites[si].apps.push(App {
            path: path.clone(),
            pool,
            vdirs: vec![Vdir {
                path: "/".to_string(),
                physical,
                user: None,
                logon_method: None,
                allow_sub_dir_config: None,
            }],
            preload: false,
        });
        if self.chance(0.1) {
            self.h.sites[si].apps.last_mut().expect("pushed").preload = true;
        }
        Some(path)
    }

    fn share_path(&mut self, name: &str, si: usize) -> String {
        let site = slug(&self.h.sites[si].name);
        if self.h.domain_joined {
            let n = self.rng.random_range(1..=3);
            format!("\\\\fs0{n}\\content\\{site}\\{name}")
        } else {
            format!("D:\\Shared\\{site}\\{name}")
        }
    }

    /// A "connect as" virtual directory on a share (clean unless the caller changes it).
    fn add_share_vdir(&mut self, si: usize, plaintext: bool) -> Option<String> {
        let free: Vec<&str> = SHARE_NAMES
            .iter()
            .copied()
            .filter(|n| !self.h.sites[si].uses_top_segment(n))
            .collect();
        let name = *free.choose(&mut self.rng)?;
        let physical = self.share_path(name, si);
        let user = self.account("svc-content", false);
        let password = if plaintext {
            self.plain_password()
        } else {
            self.enc("AesProvider")
        };
        let user_sid = self.account_sid(&user);
        let sddl = acl::unc(Some(&user_sid), self.h.domain_joined);
        self.h.set_folder(&expand(&physical), acl::OWNER_BA, sddl);
        let no_sub = physical.starts_with("\\\\") && self.chance(0.5);
        let logon = if self.chance(0.2) {
            Some("Network")
        } else {
            None
        };
        self.h.sites[si].apps[0].vdirs.push(Vdir {
            path: format!("/{name}"),
            physical,
            user: Some((user, password)),
            logon_method: logon,
            allow_sub_dir_config: if no_sub { Some(false) } else { None },
        });
        Some(format!("/{name}"))
    }

    fn clean_dynip(&mut self) -> El {
        let action = self.pick(&[
            None,
            Some("Forbidden"),
            Some("AbortRequest"),
            Some("NotFound"),
        ]);
        let mut el = El::new("dynamicIpSecurity");
        if let Some(a) = action {
            el = el.a("denyAction", a);
        }
        if self.chance(0.5) {
            el = el.a("enableProxyMode", "true");
        }
        el.k(El::new("denyByConcurrentRequests")
            .a("enabled", "true")
            .a("maxConcurrentRequests", "20"))
            .k(El::new("denyByRequestRate")
                .a("enabled", "true")
                .a("maxRequests", "50")
                .a("requestIntervalInMilliseconds", "1000"))
    }

    /// A benign root web.config (no authentication or authorization).
    fn baseline_root_web_config(&mut self, si: usize, _unused: bool) {
        let dir = expand(&self.root_physical(si));
        let aspnet = self.h.feat.aspnet;
        let framework = self.pick(&["4.5", "4.6.1", "4.7.2", "4.8"]);
        let mut system_web = Vec::new();
        if aspnet {
            system_web.push(
                El::new("compilation")
                    .a("debug", "false")
                    .a("targetFramework", framework),
            );
            system_web.push(El::new("httpRuntime").a("targetFramework", framework));
            if self.chance(0.6) {
                system_web.push(El::new("customErrors").a("mode", "RemoteOnly"));
            }
        }
        let mut web_server = Vec::new();
        match self.rng.random_range(0..10) {
            0..=3 => {
                let docs = ["index.html", "default.aspx"];
                web_server.push(
                    El::new("defaultDocument").k(El::new("files")
                        .k(El::new("clear"))
                        .ks(docs.iter().map(|d| El::new("add").a("value", *d)))),
                );
                self.h.sites[si].root_docs = docs.iter().map(|s| s.to_string()).collect();
            }
            4..=6 => {
                web_server.push(
                    El::new("defaultDocument")
                        .k(El::new("files").k(El::new("add").a("value", "home.html"))),
                );
                self.h.sites[si].root_docs.push("home.html".to_string());
            }
            _ => {}
        }
        if self.chance(0.3) {
            web_server.push(
                El::new("httpErrors")
                    .a("errorMode", "Custom")
                    .a("existingResponse", "Replace")
                    .k(El::new("remove")
                        .a("statusCode", "404")
                        .a("subStatusCode", "-1"))
                    .k(El::new("error")
                        .a("statusCode", "404")
                        .a("path", "/errors/404.html")
                        .a("responseMode", "ExecuteURL")),
            );
        }
        if self.chance(0.3) {
            web_server.push(
                El::new("staticContent")
                    .k(El::new("remove").a("fileExtension", ".woff2"))
                    .k(El::new("mimeMap")
                        .a("fileExtension", ".woff2")
                        .a("mimeType", "font/woff2")),
            );
        }
        if self.chance(0.2) {
            web_server.push(
                El::new("httpProtocol")
                    .k(El::new("customHeaders").k(El::new("remove").a("name", "X-Powered-By"))),
            );
        }
        if self.h.feat.rewrite && self.chance(0.3) {
            web_server.push(
                El::new("rewrite").k(El::new("rules").k(El::new("rule")
                    .a("name", "Redirect to HTTPS")
                    .a("stopProcessing", "true")
                    .k(El::new("match").a("url", "(.*)"))
                    .k(El::new("conditions")
                        .k(El::new("add").a("input", "{HTTPS}").a("pattern", "^OFF$")))
                    .k(El::new("action")
                        .a("type", "Redirect")
                        .a("url", "https://{HTTP_HOST}/{R:1}")
                        .a("redirectType", "Permanent")))),
            );
        }
        if self.chance(0.1) {
            web_server.push(El::new("directoryBrowse").a("enabled", "false"));
        }
        if aspnet && self.chance(0.1) {
            web_server
                .push(El::new("validation").a("validateIntegratedModeConfiguration", "false"));
        }
        let mut top = Vec::new();
        if aspnet && self.h.domain_joined && self.chance(0.3) {
            let db = slug(&self.h.sites[si].name);
            top.push(
                El::new("connectionStrings").k(
                    El::new("add")
                        .a("name", "DefaultConnection")
                        .a(
                            "connectionString",
                            format!(
                                "Data Source=sql01.contoso.local;Initial Catalog={db};Integrated Security=SSPI"
                            ),
                        )
                        .a("providerName", "System.Data.SqlClient"),
                ),
            );
        }
        if system_web.is_empty() && web_server.is_empty() && top.is_empty() {
            return;
        }
        let wc = self.h.web_config_mut(si, "/", &dir);
        wc.top.extend(top);
        wc.system_web.extend(system_web);
        wc.web_server.extend(web_server);
    }

    /// Forms authentication at an application root (clean: requireSSL true).
    fn forms_web_config(&mut self, si: usize, path: &str, clean: bool) {
        let dir = expand(&self.physical_of(si, path));
        let mut forms = El::new("forms")
            .a("loginUrl", "~/Account/Login")
            .a("timeout", "2880");
        if clean {
            forms = forms
                .a("requireSSL", "true")
                .a("cookieless", "UseCookies")
                .a("protection", "All");
        } else if self.chance(0.5) {
            forms = forms.a("requireSSL", "false");
        }
        let deny = self.chance(0.5);
        let wc = self.h.web_config_mut(si, path, &dir);
        wc.system_web
            .push(El::new("authentication").a("mode", "Forms").k(forms));
        if deny {
            wc.system_web
                .push(El::new("authorization").k(El::new("deny").a("users", "?")));
        }
    }

    /// A benign web.config in a subfolder of the site root.
    fn subfolder_web_config(&mut self, si: usize) {
        let names: Vec<&str> = ["images", "uploads", "scripts", "css"]
            .iter()
            .copied()
            .filter(|n| !self.h.sites[si].uses_top_segment(n))
            .collect();
        let Some(&name) = names.choose(&mut self.rng) else {
            return;
        };
        let root = self.root_physical(si);
        if root.starts_with("\\\\") {
            return;
        }
        let physical = format!("{root}\\{name}");
        self.set_inherited_acl(&root, &physical);
        let dir = expand(&physical);
        let handlers_ok = self.h.handlers_in_location && name == "uploads";
        let wc = self.h.web_config_mut(si, &format!("/{name}"), &dir);
        if handlers_ok {
            wc.web_server.push(
                El::new("handlers").k(El::new("clear")).k(El::new("add")
                    .a("name", "StaticFile")
                    .a("path", "*")
                    .a("verb", "*")
                    .a("modules", "StaticFileModule")
                    .a("resourceType", "File")
                    .a("requireAccess", "Read")),
            );
        } else {
            wc.web_server.push(
                El::new("staticContent").k(El::new("clientCache")
                    .a("cacheControlMode", "UseMaxAge")
                    .a("cacheControlMaxAge", "30.00:00:00")),
            );
        }
    }

    // ----------------------------------------------------------------------------------
    // Plant scaffolding
    // ----------------------------------------------------------------------------------

    /// A new dedicated leaf site (one application, one virtual directory, own pool).
    fn new_plant_site(&mut self, identity: Identity, internal: bool) -> usize {
        let name = self.unique_site_name(PLANT_SITE_NAMES);
        let s = slug(&name);
        let pool = self.dedicated_pool(&name, identity, false);
        let root = match self.rng.random_range(0..3) {
            0 => format!("D:\\Sites\\{name}"),
            1 => format!("%SystemDrive%\\inetpub\\{s}"),
            _ => format!("E:\\Web\\{s}\\wwwroot"),
        };
        let host = if internal {
            self.internal_host(&s)
        } else {
            self.public_host(&s)
        };
        let mut bindings = vec![Builder::http(&host)];
        if self.chance(0.5) {
            bindings.push(Builder::https(&host, true));
        }
        let si = self.push_site(
            name,
            SiteKind::Plant,
            bindings,
            root.clone(),
            Some(pool.clone()),
        );
        self.set_clean_acl(&root, Some(&pool));
        si
    }

    /// A plain site to hold application-level plants.
    fn plant_parent(&mut self) -> usize {
        let candidates: Vec<usize> = (0..self.h.sites.len())
            .filter(|&i| self.h.sites[i].plain)
            .collect();
        if !candidates.is_empty() && self.chance(0.8) {
            return *candidates.choose(&mut self.rng).expect("non-empty");
        }
        let name = self.unique_site_name(PUBLIC_NAMES);
        let s = slug(&name);
        let pool = self.new_pool(&name, [85, 10, 5]);
        let root = self.site_root_path(&name);
        let host = self.public_host(&s);
        let bindings = vec![Builder::http(&host), Builder::https(&host, true)];
        let si = self.push_site(
            name,
            SiteKind::Public,
            bindings,
            root.clone(),
            Some(pool.clone()),
        );
        self.h.sites[si].plain = true;
        self.set_clean_acl(&root, Some(&pool));
        self.site_log(si);
        si
    }

    /// A new application for a plant under a plain site. `pool`: None = the site's pool.
    fn plant_app(&mut self, pool: Option<(Identity, bool)>) -> (usize, String) {
        let si = self.plant_parent();
        let free: Vec<&str> = PLANT_APP_NAMES
            .iter()
            .copied()
            .filter(|n| !self.h.sites[si].uses_top_segment(n))
            .collect();
        let name = match free.choose(&mut self.rng) {
            Some(n) => n.to_string(),
            None => {
                let mut n = 2;
                loop {
                    let c = format!("app{n}");
                    if !self.h.sites[si].uses_top_segment(&c) {
                        break c;
                    }
                    n += 1;
                }
            }
        };
        let site_name = self.h.sites[si].name.clone();
        let pool_name = match pool {
            Some((identity, plaintext)) => {
                self.dedicated_pool(&format!("{site_name}.{name}"), identity, plaintext)
            }
            None => self.root_pool(si),
        };
        let root = self.root_physical(si);
        let physical = if !root.starts_with("\\\\") && self.chance(0.5) {
            format!("{root}\\{name}")
        } else {
            format!("D:\\Apps\\{site_name}.{name}")
        };
        if physical.starts_with(&root) {
            self.set_inherited_acl(&root, &physical);
        } else {
            self.set_clean_acl(&physical, Some(&pool_name));
        }
        let path = format!("/{name}");
        self.h.sites[si].apps.push(App {
            path: path.clone(),
            pool: Some(pool_name),
            vdirs: vec![Vdir {
                path: "/".to_string(),
                physical,
                user: None,
                logon_method: None,
                allow_sub_dir_config: None,
            }],
            preload: false,
        });
        (si, path)
    }

    /// Site-level or application-level scope for a plant.
    fn plant_scope(&mut self, site_share: f64, pool: Option<(Identity, bool)>) -> (usize, String) {
        if self.chance(site_share) {
            let (identity, plaintext) = pool.unwrap_or((Identity::AppPoolIdentity, false));
            let si = self.new_plant_site(identity, false);
            if plaintext {
                let pool = self.root_pool(si);
                let secret = self.plain_password();
                if let Some(p) = self.h.pools.iter_mut().find(|p| p.name == pool) {
                    p.password = Some(secret);
                }
            }
            (si, "/".to_string())
        } else {
            self.plant_app(pool)
        }
    }

    fn folder_of(&self, si: usize, url: &str) -> String {
        expand(&self.physical_of(si, url))
    }

    fn pool_of(&self, si: usize, url: &str) -> String {
        let site = &self.h.sites[si];
        self.h.app_pool_name(site, site.app_for(url))
    }

    /// Makes anonymous use IUSR at `url` (explicitly when the inherited user differs).
    fn force_iusr(&mut self, si: usize, url: &str) {
        if self.h.effective_auth(si, url).anon_user != AnonUser::Iusr {
            self.h.sites[si].loc_mut(url).auth.anon_user = Some(AnonUser::Iusr);
        }
    }

    /// Writes an element into the plant's web.config (or its location tag).
    fn web_config_el(&mut self, si: usize, url: &str, system_web: bool, el: El) {
        let dir = self.folder_of(si, url);
        let wc = self.h.web_config_mut(si, url, &dir);
        if system_web {
            wc.system_web.push(el);
        } else {
            wc.web_server.push(el);
        }
    }

    // ----------------------------------------------------------------------------------
    // Plants
    // ----------------------------------------------------------------------------------

    fn plant(&mut self, rule: &'static str) {
        match rule {
            "U101" => self.plant_u101(),
            "U102" => {
                let si = self.ensure_ntlm_site();
                self.h.reg.restrict_receiving_ntlm = Some(2);
                self.log_count(si, 401, 1, SEC_E_LOGON_DENIED);
                self.h.answer(None, None, "U102");
            }
            "U103" => {
                let si = self.ensure_ntlm_site();
                self.h.reg.lm_compatibility = Some(5);
                self.log_count(si, 401, 1, 1326);
                self.h.answer(None, None, "U103");
            }
            "U104" => self.plant_u104(),
            "U105" => self.plant_u105(),
            "U106" => {
                let (si, url) = self.plant_app(None);
                self.custom_anonymous(si, &url);
                self.h.answer(Some(si), Some(&url), "U106");
            }
            "U107" => self.plant_u107(),
            "U201" => self.plant_u201(),
            "U202" => self.plant_u202(),
            "U203" => {
                let (si, url) = self.plant_scope(0.3, None);
                let loc = self.h.sites[si].loc_mut(&url);
                loc.auth.anon = Some(false);
                loc.auth.windows = Some(true);
                loc.auth.providers = Some(Vec::new());
                self.h.sites[si].windows_intent = true;
                self.log_count(si, 401, 2, 5);
                self.h.answer(Some(si), Some(&url), "U203");
            }
            "U204" => self.plant_u204(),
            "U205" => self.plant_u205(),
            "U206" => self.plant_u206(),
            "U207" => self.plant_u207(),
            "U301" => self.plant_u301(),
            "U302" => self.plant_u302(),
            "U303" => self.plant_u303(),
            "U304" => self.plant_u304(),
            "U305" => self.plant_u305(),
            "U306" => self.plant_u306(),
            "U307" => self.plant_u307(),
            "U308" => self.plant_u308(),
            "U401" => self.plant_u401(),
            "U402" => self.plant_u402(),
            "U501" => self.plant_u501(),
            "U502" => self.plant_u502(),
            "H001" => self.plant_h001(),
            "H002" => {
                let (si, url) = self.plant_scope(0.3, None);
                self.forms_web_config(si, &url, false);
                self.h.answer(Some(si), Some(&url), "H002");
            }
            "H003" => self.plant_h003(),
            "H004" => {
                self.h.reg.disable_loopback_check = Some(1);
                if self.chance(0.5) {
                    self.h.reg.bchn_absent = true;
                }
                self.h.answer(None, None, "H004");
            }
            "H005" => {
                let (si, url) = self.plant_scope(0.3, None);
                if self.chance(0.7) {
                    self.web_config_el(
                        si,
                        &url,
                        false,
                        El::new("httpErrors").a("errorMode", "Detailed"),
                    );
                } else {
                    self.h.sites[si]
                        .loc_mut(&url)
                        .web_server
                        .push(El::new("httpErrors").a("errorMode", "Detailed"));
                }
                self.h.answer(Some(si), Some(&url), "H005");
            }
            "H006" => {
                let (si, url) = self.plant_scope(0.3, None);
                let el = El::new("directoryBrowse")
                    .a("enabled", "true")
                    .a("showFlags", "Date, Time, Size, Extension");
                if self.chance(0.7) {
                    self.web_config_el(si, &url, false, el);
                } else {
                    self.h.sites[si].loc_mut(&url).web_server.push(el);
                }
                self.h.answer(Some(si), Some(&url), "H006");
            }
            "H007" => self.plant_h007(),
            "H008" => {
                let si = self.new_plant_site(Identity::LocalSystem, false);
                self.h.answer(Some(si), Some("/"), "H008");
            }
            "H009" => {
                self.h.reg.lm_compatibility = Some(2);
                self.h.answer(None, None, "H009");
            }
            "H010" => self.plant_h010(),
            "C001" => self.plant_c001(),
            "C002" => self.plant_c002(),
            "C003" => self.plant_c003(),
            "C004" => self.plant_c004(),
            other => unreachable!("no plant for {other}"),
        }
    }

    /// A site where Windows authentication offers NTLM (existing or new).
    fn ensure_ntlm_site(&mut self) -> usize {
        let _ = self.can_use(Method::Windows);
        for si in 0..self.h.sites.len() {
            let eff = self.h.effective_auth(si, "/");
            if eff.windows
                && eff
                    .providers
                    .iter()
                    .any(|p| *p == "NTLM" || *p == "Negotiate")
            {
                return si;
            }
        }
        let si = self.new_plant_site(Identity::AppPoolIdentity, true);
        let site = &mut self.h.sites[si];
        site.windows_intent = true;
        site.challenge_traffic = true;
        let loc = site.loc_mut("/");
        loc.auth.anon = Some(false);
        loc.auth.windows = Some(true);
        si
    }

    fn plant_u101(&mut self) {
        let si = self.new_plant_site(Identity::AppPoolIdentity, true);
        let s = slug(&self.h.sites[si].name);
        let host = self.internal_host(&format!("{s}-intranet"));
        let site = &mut self.h.sites[si];
        site.bindings = vec![Builder::http(&host)];
        site.loopback_planted = true;
        site.windows_intent = true;
        site.challenge_traffic = true;
        let loc = site.loc_mut("/");
        loc.auth.anon = Some(false);
        loc.auth.windows = Some(true);
        self.log_count(si, 401, 1, SEC_E_LOGON_DENIED);
        self.h.answer(Some(si), Some("/"), "U101");
    }

    fn plant_u104(&mut self) {
        let si = self.new_plant_site(Identity::SpecificUser, true);
        let explicit_kernel = self.chance(0.5);
        let explicit_creds = self.chance(0.3);
        let site = &mut self.h.sites[si];
        site.windows_intent = true;
        site.challenge_traffic = true;
        let loc = site.loc_mut("/");
        loc.auth.anon = Some(false);
        loc.auth.windows = Some(true);
        loc.auth.providers = Some(vec!["Negotiate", "NTLM"]);
        if explicit_kernel {
            loc.auth.kernel = Some(true);
        }
        if explicit_creds {
            loc.auth.pool_creds = Some(false);
        }
        self.log_count(si, 401, 1, SEC_E_INVALID_TOKEN);
        self.h.answer(Some(si), Some("/"), "U104");
    }

    fn plant_u105(&mut self) {
        let si = self.new_plant_site(Identity::AppPoolIdentity, false);
        let loc = self.h.sites[si].loc_mut("/");
        loc.auth.anon = Some(false);
        loc.auth.digest = Some(true);
        self.h.sites[si].challenge_traffic = true;
        self.log_count(si, 401, 1, 1326);
        self.h.answer(Some(si), Some("/"), "U105");
    }

    /// Anonymous as a custom account with an encrypted password.
    fn custom_anonymous(&mut self, si: usize, url: &str) -> String {
        let short = self.pick(&["svc-iis-anon", "svc-web-anon", "iisanon", "svc-anonymous"]);
        let user = self.account(short, false);
        let password = self.enc("AesProvider");
        let loc = self.h.sites[si].loc_mut(url);
        loc.auth.anon = Some(true);
        loc.auth.anon_user = Some(AnonUser::Custom {
            user: user.clone(),
            password,
        });
        user
    }

    /// A custom anonymous account whose logons fail in the Security log: disabled, locked out
    /// or with an expired or changed password (also records U106).
    fn plant_u107(&mut self) {
        let (si, url) = self.plant_app(None);
        let user = self.custom_anonymous(si, &url);
        // (SubStatus, win32 status IIS logs for the 401.1)
        let (substatus, win32) = self.pick(&[
            ("0xc0000072", 1331u64), // account disabled
            ("0xc0000234", 1909),    // locked out
            ("0xc0000071", 1330),    // password expired
            ("0xc000006a", 1326),    // wrong password: the stored one changed
        ]);
        let (domain, name) = user.split_once('\\').unwrap_or(("", user.as_str()));
        let count = 2 + self.rng.random_range(0..40u32);
        for i in 0..count {
            let time = self.h.collected_at - 60 - i as i64 * 37;
            let data = [
                ("SubjectUserSid", "S-1-5-18"),
                ("TargetUserName", name),
                ("TargetDomainName", domain),
                (
                    "Status",
                    if substatus == "0xc000006a" {
                        "0xc000006d"
                    } else {
                        "0xc000006e"
                    },
                ),
                ("SubStatus", substatus),
                ("LogonType", "8"),
                ("LogonProcessName", "Advapi"),
                ("AuthenticationPackageName", "Negotiate"),
                ("ProcessName", r"C:\Windows\System32\inetsrv\w3wp.exe"),
                ("IpAddress", "-"),
            ];
            self.h
                .failed_logons
                .push(iis_sweep::snapshot::SecurityEvent {
                    id: 4625,
                    time: Some(super::render::rfc3339(time)),
                    data: data
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                });
        }
        self.log_count(si, 401, 1, win32);
        self.h.answer(Some(si), Some(&url), "U106");
        self.h.answer(Some(si), Some(&url), "U107");
    }

    /// H011: a new site whose pool runs as a domain account that the Security log shows
    /// failing to log on (WAS's batch logon, `svchost.exe`): the pool cannot start.
    fn plant_h011(&mut self, rng: &mut ChaCha8Rng) {
        let si = self.new_plant_site(Identity::SpecificUser, true);
        let Some(user) = self
            .h
            .pools
            .iter()
            .find(|p| {
                self.h.sites[si]
                    .apps
                    .iter()
                    .any(|a| a.pool.as_ref() == Some(&p.name))
            })
            .and_then(|p| p.user.clone())
        else {
            return;
        };
        let substatus =
            ["0xc0000071", "0xc0000072", "0xc0000234", "0xc000006a"][rng.random_range(0..4usize)];
        let (domain, name) = user.split_once('\\').unwrap_or(("", user.as_str()));
        let count = 3 + rng.random_range(0..20u32);
        for i in 0..count {
            let time = self.h.collected_at - 90 - i as i64 * 61;
            let data = [
                ("SubjectUserSid", "S-1-5-18"),
                ("TargetUserName", name),
                ("TargetDomainName", domain),
                (
                    "Status",
                    if substatus == "0xc000006a" {
                        "0xc000006d"
                    } else {
                        "0xc000006e"
                    },
                ),
                ("SubStatus", substatus),
                ("LogonType", "4"),
                ("LogonProcessName", "Advapi"),
                ("AuthenticationPackageName", "Negotiate"),
                ("ProcessName", r"C:\Windows\System32\svchost.exe"),
                ("IpAddress", "-"),
            ];
            self.h
                .failed_logons
                .push(iis_sweep::snapshot::SecurityEvent {
                    id: 4625,
                    time: Some(super::render::rfc3339(time)),
                    data: data
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                });
        }
        self.h.answer(Some(si), Some("/"), "H011");
    }

    fn plant_u201(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        let eff = self.h.effective_auth(si, &url);
        let loc = self.h.sites[si].loc_mut(&url);
        loc.auth.anon = Some(false);
        if eff.windows {
            loc.auth.windows = Some(false);
        }
        if eff.basic {
            loc.auth.basic = Some(false);
        }
        self.log_count(si, 401, 2, 5);
        self.h.answer(Some(si), Some(&url), "U201");
    }

    fn plant_u202(&mut self) {
        let method = self.u202.expect("variant chosen with the plan");
        let (si, url) = self.plant_scope(0.3, None);
        let loc = self.h.sites[si].loc_mut(&url);
        loc.auth.anon = Some(false);
        match method {
            Method::Windows => {
                loc.auth.windows = Some(true);
                loc.auth.providers = Some(vec!["Negotiate", "NTLM"]);
                self.h.sites[si].windows_intent = true;
            }
            Method::Basic => {
                loc.auth.basic = Some(true);
                loc.access = Some("Ssl");
            }
            Method::Digest => {
                loc.auth.digest = Some(true);
            }
        }
        self.log_count(si, 401, 2, 5);
        self.h.answer(Some(si), Some(&url), "U202");
    }

    fn plant_u204(&mut self) {
        let (si, url) = self.plant_scope(0.25, None);
        let with_windows = self.chance(0.4) && self.h.feat.windows;
        let rules = if self.chance(0.6) {
            El::new("remove")
                .a("users", "*")
                .a("roles", "")
                .a("verbs", "")
        } else {
            El::new("clear")
        };
        let authz = El::new("authorization").k(rules);
        if self.chance(0.5) {
            self.web_config_el(si, &url, false, El::new("security").k(authz));
        } else {
            self.h.sites[si].loc_mut(&url).security.push(authz);
        }
        if with_windows {
            let loc = self.h.sites[si].loc_mut(&url);
            loc.auth.anon = Some(false);
            loc.auth.windows = Some(true);
            self.h.sites[si].windows_intent = true;
        }
        self.log_count(si, 401, 2, 5);
        self.h.answer(Some(si), Some(&url), "U204");
    }

    fn plant_u205(&mut self) {
        let (si, url) = self.plant_scope(0.25, None);
        let authz = if self.chance(0.7) {
            El::new("authorization").k(El::new("add").a("accessType", "Deny").a("users", "?"))
        } else {
            let role = format!("{}\\Staff", self.h.account_prefix);
            El::new("authorization")
                .k(El::new("remove")
                    .a("users", "*")
                    .a("roles", "")
                    .a("verbs", ""))
                .k(El::new("add").a("accessType", "Allow").a("roles", role))
        };
        if self.chance(0.6) {
            self.web_config_el(si, &url, false, El::new("security").k(authz));
        } else {
            self.h.sites[si].loc_mut(&url).security.push(authz);
        }
        self.log_count(si, 401, 2, 5);
        self.h.answer(Some(si), Some(&url), "U205");
    }

    fn plant_u206(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        // ASP.NET authorization only runs in a pool with managed code.
        let pool = self.pool_of(si, &url);
        if let Some(p) = self.h.pools.iter_mut().find(|p| p.name == pool) {
            if p.runtime == Some("") {
                p.runtime = Some("v4.0");
            }
        }
        if self.chance(0.5) {
            self.web_config_el(
                si,
                &url,
                true,
                El::new("authentication").a("mode", "Windows"),
            );
        }
        let mut authz = El::new("authorization").k(El::new("deny").a("users", "?"));
        if self.chance(0.5) {
            authz = authz.k(El::new("allow").a("users", "*"));
        }
        self.web_config_el(si, &url, true, authz);
        self.log_count(si, 401, 2, 5);
        self.h.answer(Some(si), Some(&url), "U206");
    }

    fn plant_u207(&mut self) {
        let si = self.new_plant_site(Identity::AppPoolIdentity, false);
        let s = slug(&self.h.sites[si].name);
        let host = self.public_host(&format!("{s}-partners"));
        let ad = self.h.feat.cert_ad && self.h.domain_joined && self.chance(0.3);
        let mapping = if ad {
            None
        } else {
            let user = self.account("svc-partner-cert", false);
            let password = self.enc("AesProvider");
            Some(CertMapping {
                name: "Partners".to_string(),
                user,
                password,
                issuer_cn: "Contoso Partner CA".to_string(),
            })
        };
        let site = &mut self.h.sites[si];
        site.bindings = vec![Builder::https(&host, true)];
        let loc = site.loc_mut("/");
        loc.auth.anon = Some(false);
        if ad {
            loc.auth.cert_ad = Some(true);
        } else {
            loc.auth.iis_cert = Some(true);
            loc.auth.iis_cert_mapping = mapping;
        }
        loc.access = Some("Ssl");
        self.log_count(si, 401, 2, 5);
        self.h.answer(Some(si), Some("/"), "U207");
    }

    fn plant_u301(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        self.force_iusr(si, &url);
        let mut aces = vec![
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
        ];
        if self.h.domain_joined && self.chance(0.5) {
            let deploy = self.account("svc-deploy", false);
            let d = self.account_sid(&deploy);
            aces.push(acl::ace("A", "OICI", "0x1301bf", &d));
        }
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(&url), "U301");
    }

    fn plant_u302(&mut self) {
        let (si, url) = self.plant_scope(0.3, Some((Identity::AppPoolIdentity, false)));
        self.h.sites[si].loc_mut(&url).auth.anon_user = Some(AnonUser::Pool);
        let aces = [
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
            acl::ace("A", "OICI", "0x1200a9", sid::IUSR),
        ];
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(&url), "U302");
    }

    fn plant_u303(&mut self) {
        let (si, url) = self.plant_app(Some((Identity::AppPoolIdentity, false)));
        self.custom_anonymous(si, &url);
        let pool = self.pool_of(si, &url);
        let pool_sid = self.pool_principal(&pool).expect("pool identity");
        let aces = [
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
            acl::ace("A", "OICI", "0x1200a9", "IS"),
            acl::ace("A", "OICI", "0x1200a9", &pool_sid),
        ];
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(&url), "U303");
        self.h.answer(Some(si), Some(&url), "U106");
    }

    fn plant_u304(&mut self) {
        let si = self.plant_parent();
        // Variant b: UNC content, anonymous IUSR, no connect-as (domain hosts only).
        let variant_b = self.h.domain_joined && self.chance(0.4);
        let Some(url) = self.add_share_vdir(si, false) else {
            // No free share name: fall back to an application plant.
            let (si, url) = self.plant_app(None);
            return self.u304_connect_as(si, &url);
        };
        if variant_b {
            let site = &mut self.h.sites[si];
            let v = site.apps[0]
                .vdirs
                .iter_mut()
                .find(|v| v.path == url)
                .expect("vdir just added");
            v.user = None;
            v.logon_method = None;
            let folder = expand(&v.physical);
            let sddl = acl::unc(None, true);
            self.h.set_folder(&folder, acl::OWNER_BA, sddl);
            self.force_iusr(si, &url);
            self.log_count(si, 401, 3, 5);
            self.h.answer(Some(si), Some(&url), "U304");
        } else {
            self.u304_connect_as(si, &url);
        }
    }

    /// Connect-as account lacks RX; the path authenticates users with Windows/Basic.
    fn u304_connect_as(&mut self, si: usize, url: &str) {
        let site = &mut self.h.sites[si];
        let app_idx = site
            .apps
            .iter()
            .position(|a| {
                a.vdirs
                    .iter()
                    .any(|v| join_url(&a.path, &v.path).eq_ignore_ascii_case(url))
            })
            .expect("vdir exists");
        let vdir_idx = site.apps[app_idx]
            .vdirs
            .iter()
            .position(|v| join_url(&site.apps[app_idx].path, &v.path).eq_ignore_ascii_case(url))
            .expect("vdir exists");
        if site.apps[app_idx].vdirs[vdir_idx].user.is_none() {
            // An application root used as the plant: give it a connect-as account.
            let user = self.account("svc-content", false);
            let password = self.enc("AesProvider");
            self.h.sites[si].apps[app_idx].vdirs[vdir_idx].user = Some((user, password));
        }
        let other = self.account("svc-files", false);
        let other_sid = self.account_sid(&other);
        let folder = expand(&self.h.sites[si].apps[app_idx].vdirs[vdir_idx].physical);
        let aces = [
            acl::ace("A", "OICIID", "FA", "BA"),
            acl::ace("A", "OICIID", "FA", "SY"),
            acl::ace("A", "OICIID", "0x1301bf", &other_sid),
        ];
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::inherited(&aces));
        let method = self.challenge_method();
        let loc = self.h.sites[si].loc_mut(url);
        loc.auth.anon = Some(false);
        match method {
            Method::Windows => {
                loc.auth.windows = Some(true);
                self.h.sites[si].windows_intent = true;
            }
            _ => {
                loc.auth.basic = Some(true);
                loc.access = Some("Ssl");
            }
        }
        self.h.sites[si].challenge_traffic = true;
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(url), "U304");
    }

    fn plant_u305(&mut self) {
        let (si, url) = self.plant_app(Some((Identity::AppPoolIdentity, false)));
        let method = self.challenge_method();
        let loc = self.h.sites[si].loc_mut(&url);
        loc.auth.anon = Some(false);
        match method {
            Method::Windows => {
                loc.auth.windows = Some(true);
                self.h.sites[si].windows_intent = true;
            }
            _ => {
                loc.auth.basic = Some(true);
                loc.access = Some("Ssl");
            }
        }
        self.h.sites[si].challenge_traffic = true;
        let pool = self.pool_of(si, &url);
        let pool_sid = self.pool_principal(&pool).expect("pool identity");
        let mut aces = vec![
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
            acl::ace("A", "OICI", "0x1200a9", "IS"),
            acl::ace("A", "OICI", "0x1200a9", &pool_sid),
        ];
        if self.chance(0.4) {
            aces.push(acl::ace("A", "OICI", "0x1200a9", sid::IUSR));
        }
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(&url), "U305");
    }

    fn plant_u306(&mut self) {
        let (si, url) = self.plant_app(None);
        self.force_iusr(si, &url);
        let pool = self.pool_of(si, &url);
        // Deny IIS_IUSRS, or the pool's virtual-account SID (S-1-5-82-…) when it has one.
        let virtual_account = self
            .h
            .pool(&pool)
            .is_some_and(|p| p.identity == Identity::AppPoolIdentity);
        let deny = if virtual_account && self.chance(0.5) {
            acl::ace("D", "OICI", "0x1200a9", &sid::app_pool_sid(&pool))
        } else {
            acl::ace("D", "OICI", "FR", "IS")
        };
        let aces = [
            deny,
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
            acl::ace("A", "OICI", "0x1200a9", "BU"),
        ];
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(&url), "U306");
    }

    fn plant_u307(&mut self) {
        let (si, url) = self.plant_scope(0.4, Some((Identity::SpecificUser, false)));
        self.force_iusr(si, &url);
        let pool = self.pool_of(si, &url);
        let pool_sid = self.pool_principal(&pool).expect("custom identity");
        let aces = [
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
            acl::ace("A", "OICI", "0x1200a9", &pool_sid),
        ];
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        // One cause, one finding: U307 names it, U301 stays silent for this folder.
        self.h.answer(Some(si), Some(&url), "U307");
    }

    fn plant_u308(&mut self) {
        let (si, url) = self.plant_app(Some((Identity::AppPoolIdentity, false)));
        let pool = self.pool_of(si, &url);
        // The pool was renamed: the folder still grants the old name's SID.
        let mut old = format!("{pool}-old");
        for candidate in [
            pool.trim_end_matches(|c: char| c.is_ascii_digit())
                .to_string(),
            format!("{pool}2016"),
            format!("{}Pool", pool.replace('.', "")),
        ] {
            if !candidate.is_empty() && self.h.pool(&candidate).is_none() {
                old = candidate;
                break;
            }
        }
        let old_sid = sid::app_pool_sid(&old);
        self.h.sites[si].loc_mut(&url).auth.anon_user = Some(AnonUser::Pool);
        let mask = if self.chance(0.5) {
            "0x1200a9"
        } else {
            "0x1301bf"
        };
        let aces = [
            acl::ace("A", "OICI", "FA", "SY"),
            acl::ace("A", "OICI", "FA", "BA"),
            acl::ace("A", "OICI", mask, &old_sid),
        ];
        let folder = self.folder_of(si, &url);
        self.h
            .set_folder(&folder, acl::OWNER_BA, acl::protected(&aces));
        self.log_count(si, 401, 3, 5);
        self.h.answer(Some(si), Some(&url), "U308");
        self.h.answer(Some(si), Some(&url), "U302");
    }

    fn plant_u401(&mut self) {
        self.h.feat.isapi_filter = true;
        let si = self.new_plant_site(Identity::AppPoolIdentity, false);
        let (name, path) = self.pick(&[
            (
                "SiteMinderAgent",
                "C:\\Program Files\\CA\\webagent\\win64\\bin\\ISAPI6WebAgent.dll",
            ),
            (
                "ISAPI_Rewrite",
                "C:\\Program Files\\Helicon\\ISAPI_Rewrite3\\ISAPI_Rewrite.dll",
            ),
            ("jakarta", "D:\\Tomcat\\isapi\\isapi_redirect.dll"),
            (
                "PingAccessAgent",
                "C:\\Program Files\\Ping Identity\\PingAccess Agent\\PingAccessAgent.dll",
            ),
        ]);
        let mut filter = El::new("filter").a("name", name).a("path", path);
        if self.chance(0.5) {
            filter = filter.a("enabled", "true");
        }
        if self.chance(0.5) {
            filter = filter.a("preCondition", "bitness64");
        }
        self.h.sites[si]
            .loc_mut("/")
            .web_server
            .push(El::new("isapiFilters").k(filter));
        self.log_count(si, 401, 4, 0);
        self.h.answer(Some(si), Some("/"), "U401");
    }

    fn plant_u402(&mut self) {
        let cgi = self.chance(0.35);
        let si = self.new_plant_site(Identity::AppPoolIdentity, false);
        let handler = if cgi {
            self.h.feat.cgi = true;
            let exe = "C:\\Perl64\\bin\\perl.exe";
            self.h
                .isapi_cgi_extra
                .push((format!("{exe} \"%s\" %s"), "Perl CGI".to_string()));
            El::new("add")
                .a("name", "Perl-CGI")
                .a("path", "*.pl")
                .a("verb", "GET,HEAD,POST")
                .a("modules", "CgiModule")
                .a("scriptProcessor", format!("{exe} \"%s\" %s"))
                .a("resourceType", "File")
                .a("requireAccess", "Script")
        } else {
            self.h.feat.isapi_ext = true;
            let (name, path, dll) = self.pick(&[
                (
                    "LegacyReports-ISAPI",
                    "*.rpt",
                    "D:\\Apps\\LegacyReports\\bin\\rptisapi.dll",
                ),
                (
                    "ColdFusion",
                    "*.cfm",
                    "C:\\ColdFusion2016\\config\\wsconfig\\1\\isapi_redirect.dll",
                ),
                (
                    "CrystalImageHandler",
                    "*.cri",
                    "D:\\Apps\\Crystal\\crystalisapi.dll",
                ),
            ]);
            self.h
                .isapi_cgi_extra
                .push((dll.to_string(), name.to_string()));
            El::new("add")
                .a("name", name)
                .a("path", path)
                .a("verb", "GET,HEAD,POST")
                .a("modules", "IsapiModule")
                .a("scriptProcessor", dll)
                .a("resourceType", "File")
                .a("requireAccess", "Script")
                .a("preCondition", "bitness64")
        };
        self.h.sites[si]
            .loc_mut("/")
            .web_server
            .push(El::new("handlers").k(handler));
        self.log_count(si, 401, 5, 0);
        self.h.answer(Some(si), Some("/"), "U402");
    }

    fn plant_u501(&mut self) {
        self.h.feat.ip = true;
        let (si, url) = self.plant_scope(0.4, None);
        let variant = self.rng.random_range(0..3);
        let mut el = El::new("ipSecurity").a("denyAction", "Unauthorized");
        let sub = match variant {
            0 => {
                el = el
                    .a("allowUnlisted", "false")
                    .k(El::new("add")
                        .a("ipAddress", "10.0.0.0")
                        .a("subnetMask", "255.0.0.0")
                        .a("allowed", "true"))
                    .k(El::new("add")
                        .a("ipAddress", "127.0.0.1")
                        .a("allowed", "true"));
                503
            }
            1 => {
                el = el
                    .k(El::new("add")
                        .a("ipAddress", "203.0.113.0")
                        .a("subnetMask", "255.255.255.0"))
                    .k(El::new("add")
                        .a("ipAddress", "198.51.100.23")
                        .a("allowed", "false"));
                503
            }
            _ => {
                el = el.a("enableReverseDns", "true").k(El::new("add")
                    .a("domainName", "scanner.example.net")
                    .a("allowed", "false"));
                504
            }
        };
        self.h.sites[si].loc_mut(&url).security.push(el);
        self.log_count(si, 401, sub, 0);
        self.h.answer(Some(si), Some(&url), "U501");
    }

    fn plant_u502(&mut self) {
        self.h.feat.ip = true;
        let si = self.new_plant_site(Identity::AppPoolIdentity, false);
        let which = self.rng.random_range(0..3);
        let mut el = El::new("dynamicIpSecurity").a("denyAction", "Unauthorized");
        if which != 1 {
            el = el.k(El::new("denyByConcurrentRequests")
                .a("enabled", "true")
                .a("maxConcurrentRequests", "10"));
        }
        if which != 0 {
            el = el.k(El::new("denyByRequestRate")
                .a("enabled", "true")
                .a("maxRequests", "30")
                .a("requestIntervalInMilliseconds", "1000"));
        }
        self.h.sites[si].loc_mut("/").security.push(el);
        let sub = if which == 1 { 502 } else { 501 };
        self.log_count(si, 401, sub, 0);
        self.h.answer(Some(si), Some("/"), "U502");
    }

    fn plant_h001(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        let keep_anon = self.chance(0.3);
        let realm = self.chance(0.3);
        let loc = self.h.sites[si].loc_mut(&url);
        loc.auth.basic = Some(true);
        if realm {
            loc.auth.basic_realm = Some("contoso".to_string());
        }
        if !keep_anon {
            loc.auth.anon = Some(false);
        }
        self.h.sites[si].challenge_traffic = true;
        self.h.answer(Some(si), Some(&url), "H001");
    }

    fn plant_h003(&mut self) {
        if self.chance(0.4) {
            let si = self.new_plant_site(Identity::SpecificUser, false);
            let pool = self.root_pool(si);
            let secret = self.plain_password();
            if let Some(p) = self.h.pools.iter_mut().find(|p| p.name == pool) {
                p.password = Some(secret);
            }
            self.h.answer(Some(si), Some("/"), "H003");
            return;
        }
        let si = self.plant_parent();
        match self.add_share_vdir(si, true) {
            Some(url) => self.h.answer(Some(si), Some(&url), "H003"),
            None => {
                let si = self.new_plant_site(Identity::SpecificUser, true);
                let pool = self.root_pool(si);
                let secret = self.plain_password();
                if let Some(p) = self.h.pools.iter_mut().find(|p| p.name == pool) {
                    p.password = Some(secret);
                }
                self.h.answer(Some(si), Some("/"), "H003");
            }
        }
    }

    fn plant_h007(&mut self) {
        let candidates: Vec<usize> = (0..self.h.sites.len())
            .filter(|&i| self.h.sites[i].kind != SiteKind::Plant)
            .collect();
        let si = match candidates.choose(&mut self.rng) {
            Some(&i) => i,
            None => self.new_plant_site(Identity::AppPoolIdentity, false),
        };
        self.h.sites[si].log = match self.rng.random_range(0..3) {
            0 => SiteLog::Disabled,
            1 => SiteLog::Flags(
                "Date, Time, ClientIP, UserName, ServerIP, Method, UriStem, UriQuery, HttpStatus, \
                 TimeTaken, ServerPort, UserAgent, Referer"
                    .to_string(),
            ),
            _ => SiteLog::Flags(
                "Date, Time, ClientIP, UserName, ServerIP, Method, UriStem, UriQuery, HttpStatus, \
                 Win32Status, ServerPort, UserAgent"
                    .to_string(),
            ),
        };
        self.h.answer(Some(si), Some("/"), "H007");
    }

    fn plant_h010(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        let method = self.challenge_method();
        let loc = self.h.sites[si].loc_mut(&url);
        loc.auth.anon = Some(false);
        match method {
            Method::Windows => {
                loc.auth.windows = Some(true);
                self.h.sites[si].windows_intent = true;
            }
            _ => {
                loc.auth.basic = Some(true);
                loc.access = Some("Ssl");
            }
        }
        self.h.sites[si].challenge_traffic = true;
        let role = format!("{}\\Finance Users", self.h.account_prefix);
        let authz = El::new("authorization")
            .k(El::new("add").a("accessType", "Allow").a("roles", role))
            .k(El::new("add").a("accessType", "Deny").a("users", "?"));
        self.web_config_el(si, &url, false, El::new("security").k(authz));
        self.h.answer(Some(si), Some(&url), "H010");
    }

    fn plant_c001(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        let el = match self.rng.random_range(0..20) {
            0..=9 => {
                self.h.sites[si].windows_intent = true;
                El::new("security").k(El::new("authentication")
                    .k(El::new("anonymousAuthentication").a("enabled", "false"))
                    .k(El::new("windowsAuthentication").a("enabled", "true")))
            }
            10..=13 => {
                El::new("security").k(El::new("access").a("sslFlags", "Ssl, SslNegotiateCert"))
            }
            14..=16 => El::new("security").k(El::new("ipSecurity").a("allowUnlisted", "false").k(
                El::new("add")
                    .a("ipAddress", "10.0.0.0")
                    .a("subnetMask", "255.0.0.0")
                    .a("allowed", "true"),
            )),
            _ => El::new("httpErrors")
                .a("errorMode", "Custom")
                .a("defaultPath", "C:\\inetpub\\custerr\\en-US\\500.htm"),
        };
        self.web_config_el(si, &url, false, el);
        self.h.answer(Some(si), Some(&url), "C001");
    }

    fn plant_c002(&mut self) {
        let (si, url) = self.plant_scope(0.3, None);
        let mut variants = vec![0u8, 1];
        if self.h.os.iis10 {
            variants.push(2);
        }
        if self.h.feat.url_auth {
            variants.push(3);
        }
        let el = match self.pick(&variants) {
            0 => {
                let docs = self.h.sites[si].root_docs.clone();
                let doc = docs
                    .choose(&mut self.rng)
                    .cloned()
                    .unwrap_or_else(|| "index.html".into());
                El::new("defaultDocument").k(El::new("files").k(El::new("add").a("value", doc)))
            }
            1 => El::new("httpErrors").k(El::new("error")
                .a("statusCode", "404")
                .a("path", "/notfound.html")
                .a("responseMode", "ExecuteURL")),
            2 => El::new("staticContent").k(El::new("mimeMap")
                .a("fileExtension", ".json")
                .a("mimeType", "application/json")),
            _ => El::new("security")
                .k(El::new("authorization")
                    .k(El::new("add").a("accessType", "Allow").a("users", "*"))),
        };
        self.web_config_el(si, &url, false, el);
        self.h.answer(Some(si), Some(&url), "C002");
    }

    fn plant_c004(&mut self) {
        // A new site whose root web.config is cut off: nothing else on the site to find.
        let si = self.new_plant_site(Identity::AppPoolIdentity, false);
        self.web_config_el(
            si,
            "/",
            false,
            El::new("staticContent").k(El::new("clientCache")
                .a("cacheControlMode", "UseMaxAge")
                .a("cacheControlMaxAge", "1.00:00:00")),
        );
        let dir = self.folder_of(si, "/");
        self.h.web_config_mut(si, "/", &dir).malformed = true;
        self.h.answer(Some(si), Some("/"), "C004");
    }

    fn plant_c003(&mut self) {
        let method_ok = self.h.feat.windows || self.h.feat.basic;
        if !method_ok || self.chance(0.6) {
            // The pool ignores every web.config.
            let si = self.new_plant_site(Identity::AppPoolIdentity, false);
            let pool = self.root_pool(si);
            if let Some(p) = self.h.pools.iter_mut().find(|p| p.name == pool) {
                p.config_override = false;
            }
            let forms = El::new("forms")
                .a("loginUrl", "~/login.aspx")
                .a("requireSSL", "true")
                .a("cookieless", "UseCookies")
                .a("protection", "All");
            self.web_config_el(
                si,
                "/",
                true,
                El::new("authentication").a("mode", "Forms").k(forms),
            );
            self.web_config_el(
                si,
                "/",
                true,
                El::new("authorization").k(El::new("deny").a("users", "?")),
            );
            self.h.answer(Some(si), Some("/"), "C003");
        } else {
            // allowSubDirConfig=false: the subfolder web.config is never read.
            let si = self.new_plant_site(Identity::AppPoolIdentity, true);
            let method = self.challenge_method();
            let loc = self.h.sites[si].loc_mut("/");
            loc.auth.anon = Some(false);
            match method {
                Method::Windows => {
                    loc.auth.windows = Some(true);
                    self.h.sites[si].windows_intent = true;
                }
                _ => {
                    loc.auth.basic = Some(true);
                    loc.access = Some("Ssl");
                }
            }
            self.h.sites[si].challenge_traffic = true;
            self.h.sites[si].apps[0].vdirs[0].allow_sub_dir_config = Some(false);
            let root = self.root_physical(si);
            let sub = format!("{root}\\admin");
            self.set_inherited_acl(&root, &sub);
            let role = format!("{}\\Web Admins", self.h.account_prefix);
            let authz = El::new("authorization")
                .k(El::new("allow").a("roles", role))
                .k(El::new("deny").a("users", "*"));
            let dir = expand(&sub);
            self.h
                .web_config_mut(si, "/admin", &dir)
                .system_web
                .push(authz);
            self.h.answer(Some(si), Some("/admin"), "C003");
        }
    }

    // ----------------------------------------------------------------------------------
    // Finishing
    // ----------------------------------------------------------------------------------

    fn finish(&mut self) {
        // U104 guard: a custom (SpecificUser) pool behind Negotiate needs useAppPoolCredentials
        // (or kernel mode off) unless a U104 plant wants the mismatch.
        let planted: Vec<(usize, String)> = self
            .h
            .answers
            .iter()
            .filter(|a| a.rule == "U104")
            .filter_map(|a| {
                let si = self
                    .h
                    .sites
                    .iter()
                    .position(|s| Some(&s.name) == a.site.as_ref())?;
                Some((si, a.path.clone().unwrap_or_else(|| "/".into())))
            })
            .collect();
        for si in 0..self.h.sites.len() {
            let mut paths: Vec<String> = self.h.sites[si].url_paths();
            paths.extend(self.h.sites[si].locs.iter().map(|l| l.path.clone()));
            paths.sort();
            paths.dedup();
            for path in paths {
                if planted
                    .iter()
                    .any(|(s, p)| *s == si && is_ancestor_or_self(p, &path))
                {
                    continue;
                }
                let eff = self.h.effective_auth(si, &path);
                let pool = self.pool_of(si, &path);
                let custom = self
                    .h
                    .pool(&pool)
                    .map(|p| p.identity == Identity::SpecificUser)
                    .unwrap_or(false);
                if eff.windows
                    && custom
                    && eff.kernel
                    && !eff.pool_creds
                    && eff.providers.iter().any(|p| p.starts_with("Negotiate"))
                {
                    let kernel_off = self.chance(0.2);
                    let loc = self.h.sites[si].loc_mut(&path);
                    if kernel_off {
                        loc.auth.kernel = Some(false);
                    } else {
                        loc.auth.pool_creds = Some(true);
                    }
                }
            }
        }
        // BackConnectionHostNames: every host name of every Windows site, except U101 plants.
        let mut names: Vec<String> = Vec::new();
        let computer = self.h.name.to_lowercase();
        let fqdn = self.h.fqdn.to_lowercase();
        for si in 0..self.h.sites.len() {
            if self.h.sites[si].loopback_planted || !self.site_has_windows(si) {
                continue;
            }
            for b in &self.h.sites[si].bindings {
                let host = b.host.to_lowercase();
                if host.is_empty() || host == computer || host == fqdn {
                    continue;
                }
                if !names.iter().any(|n| n.eq_ignore_ascii_case(&host)) {
                    names.push(b.host.clone());
                }
            }
        }
        let loopback_plant = self.h.sites.iter().any(|s| s.loopback_planted);
        if !names.is_empty() || loopback_plant {
            if self.chance(0.3) {
                names.push(self.h.fqdn.clone());
            }
            names.extend(self.h.reg.bchn_extra.iter().cloned());
        }
        self.h.reg.bchn = if self.h.reg.bchn_absent && !loopback_plant {
            None
        } else if names.is_empty() {
            if loopback_plant && self.chance(0.5) {
                Some(vec!["intranet-old.contoso.local".to_string()])
            } else {
                None
            }
        } else {
            Some(names)
        };
    }

    fn site_has_windows(&self, si: usize) -> bool {
        let site = &self.h.sites[si];
        site.windows_intent || site.locs.iter().any(|l| l.loc.auth.windows == Some(true))
    }
}
