//! One list of rules: the registry (`iis_sweep::rules::all()`) is the source, and every other
//! place that names rule codes — the catalogue docs, the code table, the simulator's plant
//! table, the per-rule fixtures — must agree with it.

use std::collections::BTreeSet;
use std::path::Path;

fn registry() -> BTreeSet<String> {
    iis_sweep::rules::all()
        .iter()
        .map(|r| r.code.to_string())
        .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Codes in the first column of the markdown tables of `file`.
fn table_codes(file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split('|').next())
        .map(|c| c.trim().to_string())
        .filter(|c| {
            c.len() == 4
                && matches!(c.as_bytes()[0], b'U' | b'H' | b'C')
                && c[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .collect()
}

#[test]
fn registry_codes_are_unique_and_well_formed() {
    let all = iis_sweep::rules::all();
    let codes = registry();
    assert_eq!(codes.len(), all.len(), "a rule code is used twice");
    let names: BTreeSet<&str> = all.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), all.len(), "a rule name is used twice");
}

#[test]
fn rule_code_table_matches_the_registry() {
    assert_eq!(table_codes("docs/rule-codes.md"), registry());
}

#[test]
fn simulator_plants_exactly_the_registered_rules() {
    let planted: BTreeSet<String> = iis_sweep_sim::generate::PLANT_RATES
        .iter()
        .chain(iis_sweep_sim::generate::LATER_PLANT_RATES)
        .map(|(code, _)| code.to_string())
        .collect();
    assert_eq!(planted, registry());
}

#[test]
fn every_rule_has_a_fixture_test() {
    // ruff's rule: one fixture test per rule. Rule tests name their code in a golden file or in
    // the test name.
    let mut text = String::new();
    for f in [
        "tests/rules_401.rs",
        "tests/rules_acl_hygiene.rs",
        "tests/rules_core.rs",
    ] {
        text.push_str(&std::fs::read_to_string(root().join(f)).unwrap());
    }
    let lower = text.to_lowercase();
    let missing: Vec<String> = registry()
        .into_iter()
        .filter(|c| !text.contains(c.as_str()) && !lower.contains(&c.to_lowercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a fixture test: {missing:?}"
    );
}

/// Every rule carries NIST SP 800-53 controls (HDF `tags.nist`, SARIF, docs); the mapping names
/// only rules that exist, and only well-formed control ids (`AC-3`).
#[test]
fn every_rule_has_nist_controls() {
    let mapped: BTreeSet<String> = iis_sweep::rules::compliance::NIST_800_53
        .iter()
        .map(|(c, _)| c.to_string())
        .collect();
    assert_eq!(
        mapped,
        registry(),
        "the NIST table and the rule list differ"
    );
    for (code, controls) in iis_sweep::rules::compliance::NIST_800_53 {
        assert!(!controls.is_empty(), "{code}");
        for c in *controls {
            let (family, number) = c.split_once('-').unwrap_or_else(|| panic!("{code}: {c}"));
            assert!(
                family.len() == 2
                    && family.bytes().all(|b| b.is_ascii_uppercase())
                    && number.parse::<u32>().is_ok(),
                "{code}: {c}"
            );
        }
    }
}
