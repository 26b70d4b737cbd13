//! Fleet generator: determinism, directory contract, well-formed facts, rule coverage, speed,
//! and a text-level oracle that re-derives many planted rules from the rendered files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use iis_sweep::snapshot::{FileRole, RegistryData, Snapshot, SNAPSHOT_SCHEMA};
use iis_sweep_sim::fleet::{host_address, Answer, AnswerKey, Fleet, ANSWERS_FILE};
use iis_sweep_sim::generate::{app_pool_sid, generate, generate_snapshot, GenerateOptions};
use roxmltree::{Document, Node};

/// Every rule code, from the registry (the one list of rules).
fn rule_codes() -> Vec<String> {
    iis_sweep::rules::all()
        .iter()
        .map(|r| r.code.to_string())
        .collect()
}

fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn writes_a_deterministic_fleet_directory() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let mut opts = GenerateOptions::new(25, 99);
    opts.faults = vec![("delay-first-byte=500".to_string(), 0.3)];
    let key_a = generate(&opts, a.path()).unwrap();
    let key_b = generate(&opts, b.path()).unwrap();
    assert_eq!(key_a, key_b);
    let files_a = files_under(a.path());
    let files_b = files_under(b.path());
    assert_eq!(files_a.len(), 25 + 2);
    assert_eq!(
        files_a, files_b,
        "same seed must give byte-identical output"
    );

    opts.seed = 100;
    generate(&opts, c.path()).unwrap();
    let files_c = files_under(c.path());
    assert_ne!(
        files_a, files_c,
        "a different seed must give a different fleet"
    );

    // fleet.toml: one entry per host, unique names and addresses, snapshot files exist.
    let fleet = Fleet::load(a.path()).unwrap();
    assert_eq!(fleet.hosts.len(), 25);
    let names: BTreeSet<&str> = fleet.hosts.iter().map(|h| h.name.as_str()).collect();
    let addrs: BTreeSet<_> = fleet.hosts.iter().map(|h| h.address).collect();
    assert_eq!(names.len(), 25);
    assert_eq!(addrs.len(), 25);
    let mut faulty = 0;
    for (i, h) in fleet.hosts.iter().enumerate() {
        assert_eq!(h.address, host_address(i));
        assert_eq!(
            h.snapshot,
            Path::new("hosts").join(format!("{}.json", h.name))
        );
        let snap: Snapshot =
            serde_json::from_slice(&std::fs::read(a.path().join(&h.snapshot)).unwrap()).unwrap();
        assert_eq!(snap.schema, SNAPSHOT_SCHEMA);
        assert_eq!(snap.host.name, h.name);
        faulty += usize::from(!h.faults.is_empty());
    }
    assert!(faulty > 0 && faulty < 25, "{faulty} hosts with faults");
    let key: AnswerKey =
        serde_json::from_slice(&std::fs::read(a.path().join(ANSWERS_FILE)).unwrap()).unwrap();
    assert_eq!(key, key_a);
    assert_eq!(key.seed, 99);
    assert_eq!(key.hosts, 25);
    assert!(key.answers.iter().all(|x| names.contains(x.host.as_str())));
}

/// Syntactic plausibility of an SDDL string.
fn sddl_plausible(s: &str) -> Result<(), String> {
    if !(s.starts_with("O:") || s.starts_with("D:")) {
        return Err("must start with O: or D:".into());
    }
    let dacl = s.find("D:").ok_or("no DACL")?;
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if !(0..=1).contains(&depth) {
            return Err("unbalanced or nested parentheses".into());
        }
    }
    if depth != 0 {
        return Err("unbalanced parentheses".into());
    }
    let body = &s[dacl + 2..];
    let flags_end = body.find('(').unwrap_or(body.len());
    let flags = &body[..flags_end];
    if !flags.chars().all(|c| "PAIR".contains(c)) {
        return Err(format!("DACL flags {flags}"));
    }
    let aces: Vec<&str> = body[flags_end..]
        .split(')')
        .filter(|x| !x.is_empty())
        .collect();
    if aces.is_empty() {
        return Err("no ACEs".into());
    }
    for ace in aces {
        let ace = ace.strip_prefix('(').ok_or("ACE without (")?;
        let parts: Vec<&str> = ace.split(';').collect();
        if parts.len() != 6 {
            return Err(format!("ACE {ace} has {} fields", parts.len()));
        }
        if !["A", "D"].contains(&parts[0]) {
            return Err(format!("ACE type {}", parts[0]));
        }
        let f = parts[1];
        if !f.len().is_multiple_of(2)
            || !f
                .as_bytes()
                .chunks(2)
                .all(|c| matches!(c, b"OI" | b"CI" | b"IO" | b"NP" | b"ID"))
        {
            return Err(format!("ACE flags {f}"));
        }
        let sid = parts[5];
        let alias = sid.len() == 2 && sid.bytes().all(|b| b.is_ascii_uppercase());
        if !(alias || sid.starts_with("S-1-")) {
            return Err(format!("SID {sid}"));
        }
        if parts[2].is_empty() {
            return Err("empty rights".into());
        }
    }
    Ok(())
}

#[test]
fn snapshots_are_complete_and_well_formed() {
    let mut web_configs = 0;
    let mut roots = 0;
    for index in 0..150 {
        let (snap, answers) = generate_snapshot(index, 31337);
        let json = serde_json::to_string(&snap).unwrap();
        let back: Snapshot = serde_json::from_str(&json).unwrap();
        assert_eq!(back, snap);
        assert_eq!(snap.schema, SNAPSHOT_SCHEMA);
        let c = snap.collected;
        assert!(c.config && c.acls && c.accounts && c.registry && c.logs);
        let h = &snap.host;
        assert!(h
            .fqdn
            .as_deref()
            .unwrap()
            .starts_with(&h.name.to_lowercase()));
        assert_eq!(h.collector_version.as_deref(), Some("1"));
        assert!(h.collected_at.as_deref().unwrap().ends_with('Z'));
        assert_eq!(h.env.get("SystemDrive").map(String::as_str), Some("C:"));
        let iis = h.iis_version.as_deref().unwrap();
        let os = h.os.as_deref().unwrap();
        assert_eq!(iis == "8.5", os.contains("2012 R2"), "{os} / {iis}");
        assert_eq!(
            snap.files
                .iter()
                .filter(|f| f.role == FileRole::ApplicationHost)
                .count(),
            1
        );
        for f in &snap.files {
            let text = f.text.as_deref().unwrap();
            let doc = match Document::parse(text) {
                Ok(d) => d,
                // Only a planted C004 (a cut-off web.config) may be malformed.
                Err(e) => {
                    assert_eq!(f.role, FileRole::WebConfig, "{} {}: {e}", h.name, f.path);
                    assert!(
                        answers.iter().any(|a| a.rule == "C004"),
                        "{} {}: {e} (no C004 planted)",
                        h.name,
                        f.path
                    );
                    continue;
                }
            };
            assert_eq!(doc.root_element().tag_name().name(), "configuration");
            match f.role {
                FileRole::WebConfig => {
                    web_configs += 1;
                    assert!(f.path.ends_with("\\web.config"));
                    let dir = f.path.trim_end_matches("\\web.config");
                    assert!(snap.acl_at(dir).is_some(), "no ACL for {dir}");
                }
                FileRole::RootWebConfig => roots += 1,
                _ => {}
            }
        }
        let apphost = Document::parse(
            snap.file(FileRole::ApplicationHost)
                .unwrap()
                .text
                .as_deref()
                .unwrap(),
        )
        .unwrap();
        for v in named(apphost.root_element(), "virtualDirectory") {
            let dir = expand(v.attribute("physicalPath").unwrap());
            assert!(
                snap.acl_at(&dir).is_some(),
                "{}: no ACL for vdir {dir}",
                h.name
            );
        }
        for a in &snap.acls {
            let sddl = a.sddl.as_deref().unwrap();
            sddl_plausible(sddl).unwrap_or_else(|e| panic!("{}: {sddl}: {e}", a.path));
        }
        let pool = snap.account("IIS APPPOOL\\DefaultAppPool").unwrap();
        assert_eq!(
            pool.sid.as_deref(),
            Some("S-1-5-82-3006700770-424185619-1745488364-794895919-4004696415")
        );
        for acct in &snap.accounts {
            if let Some(name) = acct.name.strip_prefix("IIS APPPOOL\\") {
                assert_eq!(acct.sid.as_deref(), Some(app_pool_sid(name).as_str()));
            }
        }
        assert_eq!(snap.registry.len(), 4);
        for r in &snap.registry {
            assert_eq!(r.kind.is_none(), r.data.is_none());
            match (&r.kind, &r.data) {
                (Some(k), Some(RegistryData::Number(_))) => assert_eq!(k, "REG_DWORD"),
                (Some(k), Some(RegistryData::Lines(_))) => assert_eq!(k, "REG_MULTI_SZ"),
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
        let logs = snap.logs.as_ref().unwrap();
        for s in &logs.sites {
            assert!(s.counts.iter().all(|c| c.status == 401 && c.count > 0));
        }
    }
    assert!(web_configs > 100, "{web_configs} web.config files");
    assert!(roots > 100, "{roots} root web.config files");
}

#[test]
fn answer_key_covers_every_rule_code() {
    let codes = rule_codes();
    for seed in [1u64, 2024] {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for index in 0..500 {
            for a in generate_snapshot(index, seed).1 {
                *counts.entry(a.rule).or_default() += 1;
            }
        }
        let missing: Vec<&String> = codes.iter().filter(|c| !counts.contains_key(*c)).collect();
        assert!(missing.is_empty(), "seed {seed}: no plant for {missing:?}");
        assert!(counts.keys().all(|k| codes.contains(k)), "{counts:?}");
        println!("seed {seed}: {counts:?}");
    }
}

#[test]
fn generation_is_fast() {
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut answers = 0usize;
    for index in 0..1000 {
        let (snap, a) = generate_snapshot(index, 7);
        bytes += snap
            .files
            .iter()
            .map(|f| f.text.as_ref().map_or(0, |t| t.len()))
            .sum::<usize>();
        answers += a.len();
    }
    let elapsed = start.elapsed();
    let clean = (0..1000)
        .filter(|&i| generate_snapshot(i, 7).1.is_empty())
        .count();
    println!("{clean} of 1000 hosts carry no plant");
    println!(
        "1000 hosts in memory: {:.1} ms ({:.3} ms/host), {} MB of config text, {answers} answers",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64(),
        bytes / 1_000_000
    );
}

// ------------------------------------------------------------------------------------------
// Text-level oracle
// ------------------------------------------------------------------------------------------

/// Rules the oracle re-derives from the rendered snapshot.
const ORACLE_RULES: &[&str] = &[
    "U101", "U102", "U103", "U104", "U105", "U106", "U201", "U202", "U203", "U204", "U207", "U306",
    "U308", "U401", "U402", "U501", "U502", "H001", "H002", "H003", "H004", "H005", "H006", "H007",
    "H008", "H009", "H010", "C001", "C003",
];

fn expand(p: &str) -> String {
    p.replace("%SystemDrive%", "C:")
        .replace("%windir%", "C:\\Windows")
        .replace("%SystemRoot%", "C:\\Windows")
}

fn attr<'a>(n: Node<'a, '_>, name: &str) -> Option<&'a str> {
    n.attribute(name)
}

fn is_true(n: Node, name: &str) -> bool {
    n.attribute(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn named<'a, 'i>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.descendants().filter(move |d| d.has_tag_name(name))
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

const AUTH_MODULES: &[(&str, &str)] = &[
    ("windowsAuthentication", "WindowsAuthenticationModule"),
    ("basicAuthentication", "BasicAuthenticationModule"),
    ("digestAuthentication", "DigestAuthenticationModule"),
    (
        "iisClientCertificateMappingAuthentication",
        "IISCertificateMappingAuthenticationModule",
    ),
    (
        "clientCertificateMappingAuthentication",
        "CertificateMappingAuthenticationModule",
    ),
];

struct Vd {
    site: String,
    url: String,
    dir: String,
    allow_sub: bool,
}

fn oracle(snap: &Snapshot) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let apphost_text = snap
        .file(FileRole::ApplicationHost)
        .unwrap()
        .text
        .as_deref()
        .unwrap();
    let apphost = Document::parse(apphost_text).unwrap();
    let root = apphost.root_element();
    let webs: Vec<(String, Document)> = snap
        .files
        .iter()
        .filter(|f| f.role == FileRole::WebConfig)
        // A cut-off web.config (planted C004) is left out: IIS cannot read it either.
        .filter_map(|f| {
            Some((
                f.path.trim_end_matches("\\web.config").to_lowercase(),
                Document::parse(f.text.as_deref().unwrap()).ok()?,
            ))
        })
        .collect();
    let all_docs: Vec<Node> = std::iter::once(root)
        .chain(webs.iter().map(|(_, d)| d.root_element()))
        .collect();

    let modules: BTreeSet<&str> = child(
        named(root, "system.webServer").next().unwrap(),
        "globalModules",
    )
    .unwrap()
    .children()
    .filter_map(|n| n.attribute("name"))
    .collect();

    // Pools.
    let mut pool_identity: BTreeMap<String, String> = BTreeMap::new();
    let mut pool_sids = BTreeSet::new();
    for p in named(root, "applicationPools")
        .next()
        .unwrap()
        .children()
        .filter(|n| n.has_tag_name("add"))
    {
        let name = p.attribute("name").unwrap();
        let id = child(p, "processModel")
            .and_then(|pm| pm.attribute("identityType"))
            .unwrap_or("ApplicationPoolIdentity");
        pool_identity.insert(name.to_lowercase(), id.to_string());
        pool_sids.insert(app_pool_sid(name));
        if p.attribute("enableConfigurationOverride") == Some("false") {
            out.insert("C003");
        }
        if id == "LocalSystem" {
            out.insert("H008");
        }
    }

    // Sites, applications, virtual directories.
    let mut vdirs: Vec<Vd> = Vec::new();
    let mut site_hosts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut app_pools: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for site in named(root, "site") {
        let sname = site.attribute("name").unwrap().to_string();
        for app in site.children().filter(|n| n.has_tag_name("application")) {
            let apath = app.attribute("path").unwrap();
            let pool = app.attribute("applicationPool").unwrap_or("DefaultAppPool");
            app_pools
                .entry(sname.clone())
                .or_default()
                .push((apath.to_string(), pool.to_lowercase()));
            for v in app
                .children()
                .filter(|n| n.has_tag_name("virtualDirectory"))
            {
                let vpath = v.attribute("path").unwrap();
                let url = match (apath, vpath) {
                    ("/", v) => v.to_string(),
                    (a, "/") => a.to_string(),
                    (a, v) => format!("{a}{v}"),
                };
                vdirs.push(Vd {
                    site: sname.clone(),
                    url,
                    dir: expand(v.attribute("physicalPath").unwrap()).to_lowercase(),
                    allow_sub: v.attribute("allowSubDirConfig") != Some("false"),
                });
            }
        }
        for b in named(site, "binding") {
            let info = b.attribute("bindingInformation").unwrap();
            let host = info.splitn(3, ':').nth(2).unwrap_or("");
            if !host.is_empty() {
                site_hosts
                    .entry(sname.clone())
                    .or_default()
                    .push(host.to_lowercase());
            }
        }
        if let Some(log) = child(site, "logFile") {
            let flags_bad = log
                .attribute("logExtFileFlags")
                .is_some_and(|f| !(f.contains("HttpSubStatus") && f.contains("Win32Status")));
            if log.attribute("enabled") == Some("false") || flags_bad {
                out.insert("H007");
            }
        }
    }
    // web.config → (site, url) by the longest containing vdir folder.
    let locate = |dir: &str| -> Option<(String, String, bool)> {
        let mut best: Option<&Vd> = None;
        for v in &vdirs {
            let inside = dir == v.dir || dir.starts_with(&format!("{}\\", v.dir));
            if inside && best.is_none_or(|b| v.dir.len() > b.dir.len()) {
                best = Some(v);
            }
        }
        let v = best?;
        let rest = dir[v.dir.len()..].replace('\\', "/");
        let url = if v.url == "/" {
            if rest.is_empty() {
                "/".to_string()
            } else {
                rest.clone()
            }
        } else {
            format!("{}{rest}", v.url)
        };
        Some((v.site.clone(), url, rest.is_empty() || v.allow_sub))
    };

    // Locations.
    struct Loc<'a, 'i> {
        site: String,
        url: String,
        unlock: bool,
        node: Node<'a, 'i>,
    }
    let site_names: Vec<String> = site_hosts
        .keys()
        .cloned()
        .chain(app_pools.keys().cloned())
        .collect();
    let mut locs: Vec<Loc> = Vec::new();
    let mut handlers_unlocked = false;
    for l in root.children().filter(|n| n.has_tag_name("location")) {
        let path = l.attribute("path").unwrap();
        let unlock = l.attribute("overrideMode") == Some("Allow");
        if path.is_empty() {
            handlers_unlocked |= unlock;
            continue;
        }
        let site = site_names
            .iter()
            .filter(|s| path == s.as_str() || path.starts_with(&format!("{s}/")))
            .max_by_key(|s| s.len())
            .unwrap()
            .clone();
        let url = if path.len() == site.len() {
            "/".to_string()
        } else {
            path[site.len()..].to_string()
        };
        locs.push(Loc {
            site,
            url,
            unlock,
            node: l,
        });
    }
    let under = |a: &str, b: &str| a == "/" || b == a || b.starts_with(&format!("{a}/"));
    let unlocked = |site: &str, url: &str| {
        locs.iter()
            .any(|l| l.unlock && l.site == site && under(&l.url, url))
    };

    // Attribute-level checks over every file.
    let mut windows_sites: BTreeSet<String> = BTreeSet::new();
    let mut windows_anywhere = false;
    for doc in &all_docs {
        for n in doc.descendants().filter(|n| n.is_element()) {
            if let Some(pw) = n.attribute("password") {
                if !(pw.starts_with("[enc:") && pw.ends_with(":enc]")) {
                    out.insert("H003");
                }
            }
            match n.tag_name().name() {
                "httpErrors" if attr(n, "errorMode") == Some("Detailed") => {
                    out.insert("H005");
                }
                "directoryBrowse" if is_true(n, "enabled") => {
                    out.insert("H006");
                }
                "ipSecurity" if attr(n, "denyAction") == Some("Unauthorized") => {
                    out.insert("U501");
                }
                "dynamicIpSecurity" if attr(n, "denyAction") == Some("Unauthorized") => {
                    out.insert("U502");
                }
                "filter"
                    if !n
                        .attribute("path")
                        .unwrap()
                        .to_lowercase()
                        .ends_with("aspnet_filter.dll") =>
                {
                    out.insert("U401");
                }
                "add" if n.parent().is_some_and(|p| p.has_tag_name("handlers")) => {
                    let m = n.attribute("modules").unwrap_or("");
                    if let (true, Some(sp)) = (
                        m == "IsapiModule" || m == "CgiModule",
                        n.attribute("scriptProcessor"),
                    ) {
                        let sp = sp.to_lowercase();
                        if !(sp.ends_with("aspnet_isapi.dll") || sp.ends_with("\\asp.dll")) {
                            out.insert("U402");
                        }
                    }
                }
                "digestAuthentication"
                    if is_true(n, "enabled") && snap.host.part_of_domain == Some(false) =>
                {
                    out.insert("U105");
                }
                "anonymousAuthentication" => {
                    if let Some(u) = n.attribute("userName") {
                        if !(u.is_empty() || u.eq_ignore_ascii_case("IUSR")) {
                            out.insert("U106");
                        }
                    }
                }
                "windowsAuthentication" if is_true(n, "enabled") => {
                    windows_anywhere = true;
                    if let Some(p) = child(n, "providers") {
                        if !p.children().any(|c| c.has_tag_name("add")) {
                            out.insert("U203");
                        }
                    }
                }
                "iisClientCertificateMappingAuthentication"
                | "clientCertificateMappingAuthentication"
                    if is_true(n, "enabled") =>
                {
                    out.insert("U207");
                }
                "forms" if !is_true(n, "requireSSL") => {
                    out.insert("H002");
                }
                "authorization" if n.parent().is_some_and(|p| p.has_tag_name("security")) => {
                    let kids: Vec<Node> = n.children().filter(|c| c.is_element()).collect();
                    if !kids.is_empty() {
                        if !modules.contains("UrlAuthorizationModule") {
                            out.insert("H010");
                        }
                        if kids
                            .iter()
                            .all(|k| k.has_tag_name("remove") || k.has_tag_name("clear"))
                        {
                            out.insert("U204");
                        }
                    }
                }
                _ => {}
            }
        }
    }

    // Locations: H001, U201, U202, Windows sites.
    for l in &locs {
        let Some(authn) = named(l.node, "authentication").next() else {
            continue;
        };
        if l.unlock
            && authn
                .children()
                .all(|c| !c.is_element() || c.attributes().len() == 0)
        {
            continue;
        }
        let enabled: Vec<&str> = authn
            .children()
            .filter(|c| is_true(*c, "enabled"))
            .map(|c| c.tag_name().name())
            .collect();
        if enabled.contains(&"windowsAuthentication") {
            windows_sites.insert(l.site.clone());
        }
        if enabled.contains(&"basicAuthentication") {
            let ssl = named(l.node, "access")
                .any(|a| a.attribute("sslFlags").is_some_and(|f| f.contains("Ssl")));
            if !ssl {
                out.insert("H001");
            }
        }
        let anon_off = child(authn, "anonymousAuthentication")
            .is_some_and(|a| a.attribute("enabled") == Some("false"));
        if anon_off && enabled.is_empty() {
            out.insert("U201");
        }
        for (section, module) in AUTH_MODULES {
            if enabled.contains(section) && !modules.contains(module) {
                out.insert("U202");
            }
        }
    }

    // web.config files: C001, C003, Windows sites.
    for (dir, doc) in &webs {
        let (site, url, read) = locate(dir).expect("web.config inside a site");
        if !read {
            out.insert("C003");
        }
        let r = doc.root_element();
        if named(r, "windowsAuthentication").any(|w| is_true(w, "enabled")) {
            windows_sites.insert(site.clone());
        }
        let Some(ws) = child(r, "system.webServer") else {
            continue;
        };
        let mut locked = false;
        if let Some(sec) = child(ws, "security") {
            for s in sec.children().filter(|c| c.is_element()) {
                let name = s.tag_name().name();
                if name == "authentication" && !unlocked(&site, &url) {
                    locked = true;
                }
                if ["access", "ipSecurity", "dynamicIpSecurity"].contains(&name) {
                    locked = true;
                }
            }
        }
        if child(ws, "isapiFilters").is_some() {
            locked = true;
        }
        if (child(ws, "handlers").is_some() || child(ws, "modules").is_some()) && !handlers_unlocked
        {
            locked = true;
        }
        if child(ws, "httpErrors").is_some_and(|h| {
            h.attribute("defaultPath").is_some()
                || h.attribute("allowAbsolutePathsWhenDelegated").is_some()
        }) {
            locked = true;
        }
        if locked {
            out.insert("C001");
        }
    }

    // ACLs: deny ACEs and SIDs of pools that no longer exist.
    for a in &snap.acls {
        let sddl = a.sddl.as_deref().unwrap();
        if sddl.contains("(D;") {
            out.insert("U306");
        }
        for part in sddl.split([';', ')', ':', 'G']) {
            if part.starts_with("S-1-5-82-") && !pool_sids.contains(part) {
                out.insert("U308");
            }
        }
    }

    // Registry.
    let reg = |key: &str, name: &str| {
        snap.registry
            .iter()
            .find(|r| r.key.ends_with(key) && r.name == name)
            .and_then(|r| r.data.clone())
    };
    let num = |d: Option<RegistryData>| match d {
        Some(RegistryData::Number(n)) => Some(n),
        _ => None,
    };
    let dlc = num(reg("\\Lsa", "DisableLoopbackCheck"));
    let lm = num(reg("\\Lsa", "LmCompatibilityLevel"));
    let rrnt = num(reg("\\MSV1_0", "RestrictReceivingNTLMTraffic"));
    if dlc == Some(1) {
        out.insert("H004");
    }
    if lm.is_some_and(|l| l < 3) {
        out.insert("H009");
    }
    if lm == Some(5) && windows_anywhere {
        out.insert("U103");
    }
    if rrnt == Some(2) && windows_anywhere {
        out.insert("U102");
    }
    let bchn: Vec<String> = match reg("\\MSV1_0", "BackConnectionHostNames") {
        Some(RegistryData::Lines(l)) => l.iter().map(|s| s.to_lowercase()).collect(),
        _ => Vec::new(),
    };
    let me = snap.host.computer_name.clone().unwrap().to_lowercase();
    let fqdn = snap.host.fqdn.clone().unwrap().to_lowercase();
    if dlc != Some(1) {
        for s in &windows_sites {
            for h in site_hosts.get(s).into_iter().flatten() {
                if *h != me && *h != fqdn && !bchn.contains(h) {
                    out.insert("U101");
                }
            }
        }
    }

    // U104: effective Windows settings per site path (locations, then unlocked web.configs).
    let global_win = named(root, "windowsAuthentication").next().unwrap();
    let global_providers: Vec<String> = named(global_win, "add")
        .filter_map(|a| a.attribute("value"))
        .map(str::to_string)
        .collect();
    for (site, apps) in &app_pools {
        let mut points: Vec<String> = apps.iter().map(|(p, _)| p.clone()).collect();
        points.extend(
            locs.iter()
                .filter(|l| &l.site == site)
                .map(|l| l.url.clone()),
        );
        for point in points {
            let mut sources: Vec<(usize, Node)> = Vec::new();
            for l in locs
                .iter()
                .filter(|l| &l.site == site && !l.unlock && under(&l.url, &point))
            {
                if let Some(w) = named(l.node, "windowsAuthentication").next() {
                    sources.push((if l.url == "/" { 0 } else { l.url.len() }, w));
                }
            }
            for (dir, doc) in &webs {
                let (s, url, read) = locate(dir).unwrap();
                if &s == site && read && under(&url, &point) && unlocked(&s, &url) {
                    if let Some(w) = named(doc.root_element(), "windowsAuthentication").next() {
                        sources.push((if url == "/" { 0 } else { url.len() } + 1, w));
                    }
                }
            }
            sources.sort_by_key(|s| s.0);
            let (mut on, mut kernel, mut creds, mut providers) =
                (false, true, false, global_providers.clone());
            for (_, w) in sources {
                if let Some(v) = w.attribute("enabled") {
                    on = v == "true";
                }
                if let Some(v) = w.attribute("useKernelMode") {
                    kernel = v == "true";
                }
                if let Some(v) = w.attribute("useAppPoolCredentials") {
                    creds = v == "true";
                }
                if let Some(p) = child(w, "providers") {
                    for c in p.children().filter(|c| c.is_element()) {
                        match c.tag_name().name() {
                            "clear" => providers.clear(),
                            "add" => providers.push(c.attribute("value").unwrap().to_string()),
                            _ => {}
                        }
                    }
                }
            }
            let pool = apps
                .iter()
                .filter(|(p, _)| under(p, &point))
                .max_by_key(|(p, _)| p.len())
                .map(|(_, pool)| pool.clone())
                .unwrap();
            let custom = pool_identity.get(&pool).map(String::as_str) == Some("SpecificUser");
            if on
                && custom
                && kernel
                && !creds
                && providers.iter().any(|p| p.starts_with("Negotiate"))
            {
                out.insert("U104");
            }
        }
    }
    out
}

#[test]
fn rendered_files_carry_exactly_the_planted_problems() {
    let acl_rules = [
        "U301", "U302", "U303", "U304", "U305", "U306", "U307", "U308",
    ];
    let mut checked = 0;
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in [5u64, 6] {
        for index in 0..300 {
            let (snap, answers) = generate_snapshot(index, seed);
            let planted: BTreeSet<&str> =
                answers.iter().map(|a: &Answer| a.rule.as_str()).collect();
            let expected: BTreeSet<&str> = planted
                .iter()
                .copied()
                .filter(|r| ORACLE_RULES.contains(r))
                .collect();
            let found: BTreeSet<&str> = oracle(&snap);
            assert_eq!(
                found, expected,
                "{} (seed {seed}): oracle {found:?} vs planted {expected:?}",
                snap.host.name
            );
            for r in &found {
                *seen.entry(r).or_default() += 1;
            }
            // Content folders: every clean descriptor lets Users (or, on shares, Authenticated
            // Users) read; a folder that does not is a planted 401.3 cause.
            let unreadable = snap.acls.iter().any(|a| {
                let s = a.sddl.as_deref().unwrap();
                !(s.contains(";0x1200a9;;;BU)") || s.contains(";0x1200a9;;;AU)"))
            });
            let acl_planted = acl_rules.iter().any(|r| planted.contains(r));
            if !acl_planted {
                assert!(
                    !unreadable,
                    "{}: unreadable folder without a plant",
                    snap.host.name
                );
            }
            for r in ["U301", "U302", "U303", "U305", "U307", "U308"] {
                if planted.contains(r) {
                    assert!(
                        unreadable,
                        "{}: {r} planted but every folder readable",
                        snap.host.name
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 600);
    for r in ORACLE_RULES {
        assert!(seen.contains_key(r), "oracle never saw {r}");
    }
}
