//! The layering of the scanner library, enforced: each module imports only modules of a lower
//! layer (docs/ARCHITECTURE.md draws the same table), no module imports itself in a circle, and
//! the scanner never depends on the simulator.
//!
//! Imports are read from the source text: every `crate::<module>` path outside comments and
//! every `super::` path that leaves a file's top-level module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of `crates/scanner/src`, by layer. A module may name modules of lower
/// layers only.
const LAYERS: &[(&str, u8)] = &[
    // The contracts every stage shares, and how host text is decoded and shown.
    ("credentials", 0),
    ("snapshot", 0),
    ("text", 0),
    // What rules conclude (with fixes as data, which show host text safely); one host to sweep.
    ("finding", 1),
    ("target", 1),
    // Reading inputs into contracts.
    ("input", 2),
    ("inventory", 2),
    ("collect", 2),
    // The model of one host.
    ("acl", 2),
    ("iis", 2),
    ("events", 2),
    ("logs", 2),
    // Judging and showing.
    ("rules", 3),
    ("bundle", 3),
    ("report", 3),
    // One host through the rules; the report around a run.
    ("pipeline", 4),
    ("schema", 4),
    // The subcommands.
    ("commands", 5),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Source lines that are code: line comments (and doc comments) removed.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let code = match l.find("//") {
            Some(at) => &l[..at],
            None => l,
        };
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// `crate::name` references in `code`.
fn crate_refs(code: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().last();
        let tail = &rest[at + "crate::".len()..];
        let name: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // `iis_sweep_crate::` or `somecrate::` are not `crate::`.
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
            refs.push(name);
        }
        rest = tail;
    }
    refs
}

/// The top-level module a file of `crates/scanner/src` belongs to, and its path below it.
fn module_of(src: &Path, file: &Path) -> (String, Vec<String>) {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let top = parts.remove(0);
    (top, parts)
}

#[test]
fn scanner_modules_import_only_lower_layers() {
    let src = root().join("crates/scanner/src");
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut seen_modules = BTreeSet::new();
    for file in &files {
        let (top, _) = module_of(&src, file);
        if top == "lib" {
            continue;
        }
        seen_modules.insert(top.clone());
        let own = *layer
            .get(top.as_str())
            .unwrap_or_else(|| panic!("module {top} is in no layer: add it to LAYERS"));
        let text = std::fs::read_to_string(file).unwrap();
        for (line, code) in code_lines(&text) {
            for used in crate_refs(code) {
                if used == top {
                    continue;
                }
                match layer.get(used.as_str()) {
                    Some(&l) if l < own => {}
                    Some(&l) => violations.push(format!(
                        "{}:{line}: {top} (layer {own}) uses crate::{used} (layer {l})",
                        file.strip_prefix(root()).unwrap().display()
                    )),
                    None => violations.push(format!(
                        "{}:{line}: crate::{used} is no module of the layer table",
                        file.strip_prefix(root()).unwrap().display()
                    )),
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering broken:\n{}",
        violations.join("\n")
    );
    let listed: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(
        seen_modules, listed,
        "LAYERS and the modules of src/ disagree"
    );
}

/// Stated in the architecture issue, in so many words.
#[test]
fn the_named_boundaries_hold() {
    let src = root().join("crates/scanner/src");
    let forbidden: &[(&str, &[&str])] = &[
        ("report", &["rules", "pipeline", "collect", "commands"]),
        (
            "collect",
            &["pipeline", "rules", "report", "iis", "acl", "commands"],
        ),
        ("inventory", &["collect"]),
        ("rules", &["report", "pipeline", "commands"]),
    ];
    for (module, banned) in forbidden {
        let mut files = Vec::new();
        let dir = src.join(module);
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        }
        files.push(src.join(format!("{module}.rs")));
        for f in files.iter().filter(|f| f.exists()) {
            let text = std::fs::read_to_string(f).unwrap();
            for (line, code) in code_lines(&text) {
                for used in crate_refs(code) {
                    assert!(
                        !banned.contains(&used.as_str()),
                        "{}:{line}: {module} must not use crate::{used}",
                        f.display()
                    );
                }
            }
        }
    }
}

/// Within a module, files do not import each other in a circle (`mod.rs`, which declares and
/// re-exports its children, and test files are left out).
#[test]
fn no_import_cycle_between_sibling_files() {
    let src = root().join("crates/scanner/src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let top = dir.file_name().unwrap().to_string_lossy().to_string();
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        let stem = |p: &Path| p.file_stem().unwrap().to_string_lossy().to_string();
        let names: BTreeSet<String> = files
            .iter()
            .map(|f| stem(f))
            .filter(|s| s != "mod" && !s.starts_with("tests"))
            .collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &files {
            let from = stem(f);
            if !names.contains(&from) {
                continue;
            }
            let text = std::fs::read_to_string(f).unwrap();
            for (_, code) in code_lines(&text) {
                for name in &names {
                    let sibling = [
                        format!("super::{name}::"),
                        format!("crate::{top}::{name}::"),
                    ];
                    if *name != from && sibling.iter().any(|s| code.contains(s.as_str())) {
                        edges.entry(from.clone()).or_default().insert(name.clone());
                    }
                }
            }
        }
        // Depth-first search for a back edge.
        fn visit(
            n: &str,
            edges: &BTreeMap<String, BTreeSet<String>>,
            stack: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(at) = stack.iter().position(|s| s == n) {
                let mut cycle = stack[at..].to_vec();
                cycle.push(n.to_string());
                return Some(cycle);
            }
            if done.contains(n) {
                return None;
            }
            stack.push(n.to_string());
            for m in edges.get(n).into_iter().flatten() {
                if let Some(c) = visit(m, edges, stack, done) {
                    return Some(c);
                }
            }
            stack.pop();
            done.insert(n.to_string());
            None
        }
        let mut done = BTreeSet::new();
        for n in &names {
            if let Some(cycle) = visit(n, &edges, &mut Vec::new(), &mut done) {
                panic!("{top}: import cycle {}", cycle.join(" → "));
            }
        }
    }
}

#[test]
fn the_scanner_never_depends_on_the_simulator() {
    let manifest = std::fs::read_to_string(root().join("crates/scanner/Cargo.toml")).unwrap();
    let deps: toml::Table = toml::from_str(&manifest).unwrap();
    for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = deps.get(table).and_then(|t| t.as_table()) {
            assert!(
                !t.contains_key("iis-sweep-sim"),
                "crates/scanner/Cargo.toml [{table}] names the simulator"
            );
        }
    }
    let mut files = Vec::new();
    rust_files(&root().join("crates/scanner/src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            !text.contains("iis_sweep_sim"),
            "{} names the simulator crate",
            f.display()
        );
    }
}

#[test]
fn main_stays_small() {
    let main = std::fs::read_to_string(root().join("src/main.rs")).unwrap();
    let lines = main.lines().count();
    assert!(
        lines <= 120,
        "src/main.rs has {lines} lines; clap definitions belong in src/cli.rs"
    );
}
