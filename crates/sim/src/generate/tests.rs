//! Unit tests of the generator: determinism, single-rule plants, clean baselines.

use super::build::{build_host, build_with_plan};
use super::model::*;
use super::*;

fn companions(rule: &str) -> &'static [&'static str] {
    match rule {
        "U308" => &["U302"],
        "U303" => &["U106"],
        "U107" => &["U106"],
        _ => &[],
    }
}

fn xml_ok(text: &str) {
    if let Err(e) = roxmltree::Document::parse(text) {
        panic!("bad XML: {e}\n{text}");
    }
}

#[test]
fn same_seed_same_host_and_different_seed_differs() {
    for index in [0, 3, 17] {
        let a = generate_snapshot(index, 42);
        let b = generate_snapshot(index, 42);
        assert_eq!(a, b);
        let c = generate_snapshot(index, 43);
        assert_ne!(a.0, c.0);
    }
    assert_eq!(host_name(5, 9), generate_snapshot(5, 9).0.host.name);
}

#[test]
fn every_rule_plants_alone_and_only_itself() {
    for &(rule, _) in PLANT_RATES {
        let mut planted = 0;
        for index in 0..600 {
            let h = build_with_plan(index, 0xC0FFEE, &[rule]);
            if h.answers.is_empty() {
                // Not applicable on this host (e.g. U105 on a domain host).
                continue;
            }
            let mut got: Vec<&str> = h.answers.iter().map(|a| a.rule.as_str()).collect();
            got.sort();
            let mut want: Vec<&str> = vec![rule];
            want.extend(companions(rule));
            want.sort();
            assert_eq!(got, want, "host {index}: {:?}", h.answers);
            let snap = render::render(&h);
            let mut malformed = 0;
            for f in &snap.files {
                let text = f.text.as_deref().expect("text");
                if rule == "C004" && roxmltree::Document::parse(text).is_err() {
                    malformed += 1;
                    continue;
                }
                xml_ok(text);
            }
            // A C004 plant is exactly one cut-off web.config.
            assert_eq!(malformed, usize::from(rule == "C004"), "host {index}");
            planted += 1;
            if planted == 15 {
                break;
            }
        }
        assert_eq!(planted, 15, "{rule} could not be planted");
    }
}

#[test]
fn answers_point_at_existing_sites_and_paths() {
    for index in 0..300 {
        let h = build_host(index, 5);
        for a in &h.answers {
            assert_eq!(a.host, h.name);
            let Some(site) = &a.site else {
                assert!(a.path.is_none());
                assert!(["U102", "U103", "H004", "H009"].contains(&a.rule.as_str()));
                continue;
            };
            let s = h
                .sites
                .iter()
                .find(|s| &s.name == site)
                .unwrap_or_else(|| panic!("{a:?}"));
            let path = a.path.as_deref().expect("path");
            let known = path == "/"
                || s.url_paths().iter().any(|p| p == path)
                || h.web_configs
                    .iter()
                    .any(|w| h.sites[w.site].name == *site && w.url == path);
            assert!(known, "{a:?}");
        }
    }
}

#[test]
fn clean_hosts_have_clean_facts() {
    let mut clean = 0;
    for index in 0..400 {
        let h = build_host(index, 77);
        let planted = |r: &str| h.answers.iter().any(|a| a.rule == r);
        if !planted("H008") {
            assert!(h.pools.iter().all(|p| p.identity != Identity::LocalSystem));
        }
        if !planted("H003") {
            for p in &h.pools {
                assert!(!matches!(p.password, Some(Secret::Plain(_))), "{}", p.name);
            }
            for s in &h.sites {
                for app in &s.apps {
                    for v in &app.vdirs {
                        assert!(!matches!(v.user, Some((_, Secret::Plain(_)))));
                    }
                }
            }
        }
        if !planted("H004") {
            assert_ne!(h.reg.disable_loopback_check, Some(1));
        }
        if !planted("H009") {
            assert!(!matches!(h.reg.lm_compatibility, Some(0..=2)));
        }
        if !planted("U103") {
            assert_ne!(h.reg.lm_compatibility, Some(5));
        }
        for a in &h.accounts {
            let short = a.name.rsplit('\\').next().unwrap();
            assert!(short.len() <= 20, "{}", a.name);
        }
        if !planted("U102") {
            assert_ne!(h.reg.restrict_receiving_ntlm, Some(2));
        }
        let acl_rules = [
            "U301", "U302", "U303", "U304", "U305", "U306", "U307", "U308",
        ];
        if !acl_rules.iter().any(|r| planted(r)) {
            for f in &h.folders {
                assert!(!f.sddl.contains("(D;"), "{}", f.sddl);
                assert!(
                    f.sddl.contains(";0x1200a9;;;BU)") || f.sddl.contains(";0x1200a9;;;AU)"),
                    "{} {}",
                    f.path,
                    f.sddl
                );
            }
        }
        if h.answers.is_empty() {
            clean += 1;
        }
    }
    // About a quarter of the fleet carries no plant at all.
    assert!((50..200).contains(&clean), "{clean} clean hosts");
}

#[test]
fn sites_have_unique_names_ids_and_paths() {
    for index in 0..200 {
        let h = build_host(index, 3);
        let mut names: Vec<String> = h.sites.iter().map(|s| s.name.to_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), h.sites.len());
        let mut ids: Vec<u64> = h.sites.iter().map(|s| s.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), h.sites.len());
        let mut pools: Vec<String> = h.pools.iter().map(|p| p.name.to_lowercase()).collect();
        pools.sort();
        pools.dedup();
        assert_eq!(pools.len(), h.pools.len());
        for s in &h.sites {
            let mut paths = s.url_paths();
            let n = paths.len();
            paths.sort();
            paths.dedup();
            assert_eq!(paths.len(), n, "{}", s.name);
            for app in &s.apps {
                let pool = h.app_pool_name(s, app);
                assert!(h.pool(&pool).is_some(), "{pool}");
            }
        }
        assert!(h.sites.len() <= 60);
    }
}

#[test]
fn faults_follow_the_fraction() {
    let faults = vec![("delay-first-byte=2000".to_string(), 0.25)];
    let hits = (0..2000)
        .filter(|&i| !faults_for(i, 1, &faults).is_empty())
        .count();
    assert!((400..600).contains(&hits), "{hits}");
    assert_eq!(faults_for(3, 1, &faults), faults_for(3, 1, &faults));
    assert!(faults_for(3, 1, &[("x".into(), 0.0)]).is_empty());
    assert_eq!(
        faults_for(3, 1, &[("x".into(), 1.0)]),
        vec!["x".to_string()]
    );
}
