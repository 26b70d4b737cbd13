//! The committed JSON Schemas match the types, and real output validates against them.

use std::path::Path;

fn committed(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("docs/{name}: {e}"))
}

fn assert_fresh(which: &str, file: &str) {
    let generated = iis_sweep::schema::json_schema(which).unwrap();
    let on_disk = committed(file);
    assert_eq!(
        on_disk.trim(),
        generated.trim(),
        "docs/{file} is stale: regenerate it with `cargo run --ignore-rust-version -- schema {which} > docs/{file}`"
    );
}

#[test]
fn snapshot_schema_is_fresh() {
    assert_fresh("snapshot", "snapshot.schema.json");
}

#[test]
fn report_schema_is_fresh() {
    assert_fresh("report", "report.schema.json");
}

#[test]
fn example_snapshots_validate_against_the_snapshot_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&committed("snapshot.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("inventory/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            seen += 1;
        }
    }
    assert!(seen >= 2, "expected example snapshots in {}", dir.display());
}

#[test]
fn rules_doc_is_fresh() {
    let generated = iis_sweep::rules::rules_markdown();
    let on_disk = committed("rules.md");
    assert_eq!(
        on_disk, generated,
        "docs/rules.md is stale: regenerate it with `cargo run --ignore-rust-version -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn every_rule_is_declared_completely_and_once() {
    let rules = iis_sweep::rules::all();
    assert!(rules.len() >= 30, "only {} rules", rules.len());
    let mut codes = std::collections::BTreeSet::new();
    let mut names = std::collections::BTreeSet::new();
    for r in rules {
        assert!(codes.insert(r.code), "duplicate code {}", r.code);
        assert!(names.insert(r.name), "duplicate name {}", r.name);
        assert!(
            r.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}: name must be kebab-case",
            r.code
        );
        for (part, text) in [
            ("what", r.docs.what),
            ("why", r.docs.why),
            ("example", r.docs.example),
            ("fix", r.docs.fix),
        ] {
            assert!(
                text.trim().len() > 20,
                "{}: docs.{part} is too short",
                r.code
            );
        }
        assert!(!r.references.is_empty(), "{}: no references", r.code);
        assert!(!r.substatus.is_empty(), "{}: no substatus", r.code);
        assert!(!r.needs.is_empty(), "{}: declares no facts", r.code);
    }
}
