//! Report writers: golden files per format, schema validation per format, and the safety rules
//! (escaping, CSV injection, XML legality, template hygiene).
//!
//! Golden files live in `tests/golden/`; after an intended change, regenerate them with
//! `UPDATE_GOLDEN=1 cargo test --ignore-rust-version --test reports` and review the diff.

#[path = "browser/fixture.rs"]
mod fixture;

use std::path::{Path, PathBuf};

use iis_sweep::finding::HostStatus;
use iis_sweep::report::html::{self, HtmlOptions};
use iis_sweep::report::model::Report;
use iis_sweep::report::{self, Format, OutputOptions};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn render(r: &Report, f: Format) -> String {
    String::from_utf8(report::render(r, f, None).unwrap()).unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Validates `instance` against the schema file; panics listing every error.
fn validate(schema_file: &str, instance: &Value) {
    let schema = read_json(&root().join(schema_file));
    let validator = jsonschema::validator_for(&schema)
        .unwrap_or_else(|e| panic!("{schema_file} does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "output does not match {schema_file}:\n{}",
        errors.join("\n")
    );
}

// ---- golden files ------------------------------------------------------------------------------

fn check_golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; create it with: UPDATE_GOLDEN=1 cargo test --ignore-rust-version --test reports",
            path.display()
        )
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from its golden file at line {}:\n  expected: {:?}\n  actual:   {:?}\n\
             If the change is intended: UPDATE_GOLDEN=1 cargo test --ignore-rust-version --test reports",
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

/// The page with our own stylesheet and script (and their CSP hashes) replaced by placeholders:
/// the golden HTML pins the server-rendered markup; the assets are checked by
/// `html_escapes_host_text_and_pins_its_own_style_and_script` and the browser test.
fn without_assets(page: &str) -> String {
    let css = between(page, "<style>", "</style>");
    let js = between(page, "<script>", "</script>");
    let mut out = page
        .replacen(css, "/* report-templates/style.css */", 1)
        .replacen(js, "/* report-templates/script.js */", 1);
    for (kind, placeholder) in [("style-src", "style.css"), ("script-src", "script.js")] {
        let hash = between(&out, &format!("{kind} 'sha256-"), "'").to_string();
        out = out.replacen(&hash, placeholder, 1);
    }
    out
}

#[test]
fn golden_files_per_format() {
    let r = fixture::report_with_baseline();
    for f in Format::ALL {
        let mut out = render(&r, *f);
        if *f == Format::Html {
            out = without_assets(&out);
        }
        check_golden(f.file_name(), &out);
    }
    // Without a baseline (no drift columns filled, no drift section).
    check_golden(
        "no-baseline/findings.csv",
        &render(&fixture::report(), Format::Csv),
    );
    check_golden(
        "no-baseline/report.html",
        &without_assets(&render(&fixture::report(), Format::Html)),
    );
}

#[test]
fn rendering_is_deterministic() {
    let r = fixture::report_with_baseline();
    for f in Format::ALL {
        assert_eq!(
            render(&r, *f),
            render(&r, *f),
            "{f} output changes between runs"
        );
    }
}

// ---- JSON --------------------------------------------------------------------------------------

#[test]
fn committed_report_schema_is_current() {
    let generated = iis_sweep::schema::json_schema("report").unwrap();
    let path = root().join("docs/report.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
        return;
    }
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/report.schema.json is stale (the report model changed). Regenerate it with:\n  \
         cargo run --ignore-rust-version -- schema report > docs/report.schema.json\n\
         or: UPDATE_SCHEMA=1 cargo test --ignore-rust-version --test reports committed_report_schema_is_current"
    );
}

#[test]
fn json_output_matches_the_committed_schema_and_round_trips() {
    for r in [fixture::report(), fixture::report_with_baseline()] {
        let text = render(&r, Format::Json);
        let value: Value = serde_json::from_str(&text).unwrap();
        validate("docs/report.schema.json", &value);
        let back: Report = serde_json::from_value(value).unwrap();
        assert_eq!(back, r);
    }
}

// ---- CSV ---------------------------------------------------------------------------------------

#[test]
fn csv_has_documented_columns_one_row_per_finding_and_no_formulas() {
    let r = fixture::report_with_baseline();
    let text = render(&r, Format::Csv);
    assert!(text.contains("\r\n"), "RFC 4180 line ends");
    assert!(!text.starts_with('\u{feff}'), "no byte-order mark");
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, report::csv::COLUMNS);
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let resolved = r.baseline.as_ref().unwrap().resolved.len();
    assert_eq!(rows.len(), r.findings.len() + resolved);
    let col = |name: &str| {
        report::csv::COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap()
    };
    for row in &rows {
        assert_eq!(row.len(), report::csv::COLUMNS.len());
        for cell in row.iter() {
            assert!(
                !matches!(
                    cell.chars().next(),
                    Some('=' | '+' | '-' | '@' | '\t' | '\r')
                ),
                "formula-like cell {cell:?}"
            );
        }
    }
    let evil = rows
        .iter()
        .find(|row| &row[col("host")] == fixture::EVIL_HOST)
        .expect("hostile host row");
    assert_eq!(&evil[col("fix")], format!("'{}", fixture::CSV_FORMULA));
    assert!(evil[col("message")].contains(fixture::XSS_SCRIPT));
    let drifts: Vec<&str> = rows.iter().map(|row| &row[col("drift")]).collect();
    assert!(drifts.contains(&"new") && drifts.contains(&"unchanged"));
    assert_eq!(
        drifts.iter().filter(|d| **d == "resolved").count(),
        resolved
    );
    // The finding whose fix starts with '-' is neutralised too.
    assert!(rows
        .iter()
        .any(|row| row[col("fix")].starts_with("'-Remove")));
}

// ---- NDJSON ------------------------------------------------------------------------------------

#[test]
fn ndjson_is_one_flat_object_per_finding() {
    let r = fixture::report_with_baseline();
    let text = render(&r, Format::Ndjson);
    let all: Vec<&str> = text.lines().collect();
    let findings = r.findings.len() + r.baseline.as_ref().unwrap().resolved.len();
    // Findings first, then one line per host (every host of the report).
    assert_eq!(all.len(), findings + r.hosts.len());
    let (lines, host_lines) = all.split_at(findings);
    for (l, h) in host_lines.iter().zip(&r.hosts) {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["schema"], "iis-sweep/host/1");
        assert_eq!(v["host"], h.name.as_str());
        assert!(v.as_object().unwrap().values().all(|x| !x.is_object()));
    }
    let mut keys: Option<Vec<String>> = None;
    for l in lines {
        let v: Value = serde_json::from_str(l).unwrap();
        let obj = v.as_object().unwrap();
        for (k, val) in obj {
            match val {
                Value::Object(_) => panic!("{k} is nested"),
                Value::Array(a) => assert!(a.iter().all(Value::is_string), "{k} holds non-strings"),
                _ => {}
            }
        }
        let ks: Vec<String> = obj.keys().cloned().collect();
        match &keys {
            None => keys = Some(ks),
            Some(prev) => assert_eq!(prev, &ks, "every line has the same keys"),
        }
        assert_eq!(v["schema"], "iis-sweep/finding/1");
        assert_eq!(v["timestamp"], r.run.finished);
    }
    let evil: Value = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["host"] == fixture::EVIL_HOST)
        .unwrap();
    assert!(evil["message"].as_str().unwrap().contains('\u{2028}'));
    assert_eq!(evil["host_status"], "ok");
}

// ---- JUnit -------------------------------------------------------------------------------------

/// The checks of the Ant/Jenkins JUnit schema (`tests/schemas/junit-windyroad.xsd`), applied with
/// roxmltree: element order, required attributes and their types, and consistent counts.
fn check_junit_structure(doc: &roxmltree::Document) {
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let is_int = |s: &str| s.parse::<i64>().is_ok();
    let is_decimal = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_ascii_digit() || c == '.')
            && s.matches('.').count() <= 1
    };
    let is_ts = |s: &str| {
        let b = s.as_bytes();
        b.len() == 19
            && s.chars().enumerate().all(|(i, c)| match i {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                _ => c.is_ascii_digit(),
            })
    };
    for (i, suite) in root.children().filter(|n| n.is_element()).enumerate() {
        assert_eq!(suite.tag_name().name(), "testsuite");
        for a in [
            "name",
            "package",
            "id",
            "hostname",
            "timestamp",
            "tests",
            "failures",
            "errors",
            "time",
        ] {
            assert!(suite.attribute(a).is_some(), "testsuite lacks @{a}");
        }
        assert!(!suite.attribute("name").unwrap().trim().is_empty());
        assert!(!suite.attribute("hostname").unwrap().trim().is_empty());
        assert_eq!(
            suite.attribute("id").unwrap(),
            i.to_string(),
            "ids count from 0"
        );
        assert!(
            is_ts(suite.attribute("timestamp").unwrap()),
            "timestamp pattern"
        );
        assert!(is_decimal(suite.attribute("time").unwrap()));
        for a in ["tests", "failures", "errors", "skipped"] {
            if let Some(v) = suite.attribute(a) {
                assert!(is_int(v), "@{a}={v}");
            }
        }
        let kids: Vec<roxmltree::Node> = suite.children().filter(|n| n.is_element()).collect();
        let names: Vec<&str> = kids.iter().map(|n| n.tag_name().name()).collect();
        assert_eq!(names.first(), Some(&"properties"));
        assert_eq!(&names[names.len() - 2..], &["system-out", "system-err"]);
        assert!(names[1..names.len() - 2].iter().all(|n| *n == "testcase"));
        for p in kids[0].children().filter(|n| n.is_element()) {
            assert_eq!(p.tag_name().name(), "property");
            assert!(!p.attribute("name").unwrap().is_empty());
            assert!(p.attribute("value").is_some());
        }
        let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
        for case in &kids[1..kids.len() - 2] {
            tests += 1;
            assert!(!case.attribute("name").unwrap().is_empty());
            assert!(!case.attribute("classname").unwrap().is_empty());
            assert!(is_decimal(case.attribute("time").unwrap()));
            let outcome: Vec<roxmltree::Node> =
                case.children().filter(|n| n.is_element()).collect();
            assert!(outcome.len() <= 1, "at most one of skipped/error/failure");
            if let Some(o) = outcome.first() {
                match o.tag_name().name() {
                    "failure" => failures += 1,
                    "error" => errors += 1,
                    "skipped" => skipped += 1,
                    other => panic!("unexpected <{other}> in testcase"),
                }
                if o.tag_name().name() != "skipped" {
                    assert!(o.attribute("type").is_some(), "failure/error need @type");
                }
            }
        }
        assert_eq!(suite.attribute("tests").unwrap(), tests.to_string());
        assert_eq!(suite.attribute("failures").unwrap(), failures.to_string());
        assert_eq!(suite.attribute("errors").unwrap(), errors.to_string());
        assert_eq!(
            suite.attribute("skipped").unwrap_or("0"),
            skipped.to_string()
        );
    }
}

#[test]
fn junit_has_a_suite_per_host_and_a_case_per_evaluated_rule() {
    let r = fixture::report_with_baseline();
    let text = render(&r, Format::Junit);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    check_junit_structure(&doc);
    assert!(
        !text.contains('\u{1}') && !text.contains('\u{FFFE}'),
        "illegal XML characters dropped"
    );
    let suites: Vec<roxmltree::Node> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .collect();
    assert_eq!(suites.len(), r.hosts.len());
    for (suite, host) in suites.iter().zip(&r.hosts) {
        assert_eq!(suite.attribute("name").unwrap(), host.name);
        let cases: Vec<roxmltree::Node> = suite
            .children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        if host.status.evaluated() {
            let evaluated = host.rules_evaluated.len() + host.not_evaluated.len();
            assert_eq!(cases.len(), evaluated, "{}", host.name);
            for f in r
                .findings
                .iter()
                .filter(|f| f.host == host.name && f.waived.is_none())
            {
                let case = cases
                    .iter()
                    .find(|c| {
                        c.attribute("name")
                            .unwrap()
                            .starts_with(&format!("{} ", f.rule))
                    })
                    .unwrap();
                let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
                assert!(failure
                    .text()
                    .unwrap()
                    .contains(&f.message.replace(['\u{1}', '\u{FFFE}'], "")));
            }
        } else {
            assert_eq!(cases.len(), 1);
            let err = cases[0]
                .children()
                .find(|n| n.has_tag_name("error"))
                .expect("errored testcase");
            assert_eq!(err.attribute("type").unwrap(), host.status.as_str());
        }
    }
    // The waived finding makes its testcase skipped; the not-evaluated rule too.
    assert!(text.contains("<skipped message=\"waived until 2026-06-30"));
    assert!(text.contains("<skipped message=\"not evaluated: not collected: folder ACLs\"/>"));
}

// ---- SARIF -------------------------------------------------------------------------------------

#[test]
fn sarif_matches_the_oasis_schema_and_maps_findings() {
    let r = fixture::report_with_baseline();
    let v: Value = serde_json::from_str(&render(&r, Format::Sarif)).unwrap();
    validate("tests/schemas/sarif-schema-2.1.0.json", &v);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), r.rules.len());
    assert!(rules
        .iter()
        .all(|x| x["help"]["text"].as_str().is_some_and(|t| !t.is_empty())));
    let results = run["results"].as_array().unwrap();
    let resolved = r.baseline.as_ref().unwrap().resolved.len();
    assert_eq!(results.len(), r.findings.len() + resolved);
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(res["partialFingerprints"]["iisSweepFingerprint/v1"].is_string());
        assert!(res["properties"]["host"].is_string());
        assert!(res["properties"]["substatus"].is_string());
    }
    let f1 = results
        .iter()
        .find(|x| {
            x["partialFingerprints"]["iisSweepFingerprint/v1"]
                .as_str()
                .unwrap()
                .starts_with("6f1c2a9e")
        })
        .unwrap();
    assert_eq!(f1["level"], "error", "critical → error");
    let uris: Vec<&str> = f1["locations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        uris.contains(&"file:///C:/inetpub/wwwroot/web.config"),
        "{uris:?}"
    );
    assert!(results.iter().any(|x| x["baselineState"] == "absent"));
    assert!(results
        .iter()
        .any(|x| x["suppressions"][0]["status"] == "accepted"));
    assert_eq!(
        run["invocations"][0]["executionSuccessful"], false,
        "two hosts failed"
    );
}

// ---- InSpec / HDF ------------------------------------------------------------------------------

#[test]
fn inspec_matches_the_hdf_schema_with_a_control_per_rule() {
    let r = fixture::report_with_baseline();
    let v: Value = serde_json::from_str(&render(&r, Format::Inspec)).unwrap();
    validate("tests/schemas/hdf-exec-json.json", &v);
    let controls = v["profiles"][0]["controls"].as_array().unwrap();
    assert_eq!(controls.len(), r.rules.len());
    let u201 = controls.iter().find(|c| c["id"] == "U201").unwrap();
    assert_eq!(u201["impact"], 1.0);
    assert_eq!(u201["tags"]["substatus"][0], "401.2");
    assert_eq!(u201["tags"]["nist"], serde_json::json!(["AC-3", "IA-2"]));
    let u101 = controls.iter().find(|c| c["id"] == "U101").unwrap();
    assert!(u101["tags"]["cis"][0].as_str().unwrap().starts_with("CIS"));
    let statuses = |c: &Value| -> Vec<String> {
        c["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["status"].as_str().unwrap().to_string())
            .collect()
    };
    // U201: two failed findings (web01, evil host), web02 passed, two unevaluated hosts skipped.
    let s = statuses(u201);
    assert_eq!(s.iter().filter(|x| *x == "failed").count(), 2);
    assert_eq!(s.iter().filter(|x| *x == "passed").count(), 1);
    assert_eq!(s.iter().filter(|x| *x == "skipped").count(), 2);
    let u301 = controls.iter().find(|c| c["id"] == "U301").unwrap();
    assert!(
        statuses(u301).iter().all(|x| x != "failed"),
        "the only U301 finding is waived"
    );
    assert_eq!(v["statistics"]["controls"]["failed"]["total"], 3);
}

// ---- HTML --------------------------------------------------------------------------------------

/// The text between `open` and the next `close`, after `from`.
fn between<'a>(s: &'a str, open: &str, close: &str) -> &'a str {
    let start = s.find(open).unwrap_or_else(|| panic!("no {open}")) + open.len();
    let end = s[start..].find(close).unwrap() + start;
    &s[start..end]
}

#[test]
fn templates_only_triple_stash_our_own_assets() {
    for (name, text) in html::TEMPLATES.iter().filter(|(n, _)| n.ends_with(".hbs")) {
        let mut rest = *text;
        while let Some(i) = rest.find("{{{") {
            let inner = &rest[i + 3..];
            let end = inner.find("}}}").unwrap();
            let field = inner[..end].trim();
            assert!(
                html::RAW_FIELDS.contains(&field),
                "{name}: {{{{{{{field}}}}}}} renders unescaped; only {:?} may",
                html::RAW_FIELDS
            );
            rest = &inner[end..];
        }
        assert!(
            !text.contains("{{&"),
            "{name}: {{{{& …}}}} renders unescaped"
        );
    }
    let js = html::TEMPLATES
        .iter()
        .find(|(n, _)| *n == "script.js")
        .unwrap()
        .1;
    for bad in [
        ".innerHTML",
        ".outerHTML",
        "insertAdjacentHTML(",
        "document.write(",
        "eval(",
        "new Function(",
    ] {
        assert!(!js.contains(bad), "script.js uses {bad}");
    }
}

#[test]
fn html_escapes_host_text_and_pins_its_own_style_and_script() {
    let r = fixture::report_with_baseline();
    let page = render(&r, Format::Html);
    // Exactly our two inline elements run, and the CSP names their hashes.
    assert_eq!(page.matches("<script").count(), 2);
    assert_eq!(page.matches("<style").count(), 1);
    // (Handlebars writes `=` as `&#x3D;` in the attribute; the browser reads `=`.)
    let csp = between(
        &page,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    )
    .replace("&#x3D;", "=");
    use base64::Engine;
    use sha2::Digest;
    let hash = |t: &str| {
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(t.as_bytes()))
    };
    let css = between(&page, "<style>", "</style>");
    let js = between(&page, "<script>", "</script>");
    assert!(csp.contains(&format!("style-src 'sha256-{}'", hash(css))));
    assert!(csp.contains(&format!("script-src 'sha256-{}'", hash(js))));
    assert!(csp.contains("default-src 'none'"));
    // Nothing hostile survives as markup (the failed-hosts table and charts are server-rendered).
    for raw in [
        fixture::XSS_SCRIPT,
        fixture::XSS_IMG,
        fixture::EVIL_HOST,
        "<img",
        "<b>bold",
    ] {
        assert!(!page.contains(raw), "unescaped {raw:?}");
    }
    assert!(
        page.contains("&lt;script&gt;window.__pwned&#x3D;4&lt;/script&gt;evil01"),
        "chart label escaped"
    );
    assert!(
        !page.contains("http://") || !page.contains("src=\"http"),
        "no remote resources"
    );
    // The island is the report.
    let island = between(&page, "data-encoding=\"json\">", "</script>");
    assert!(!island.contains('<') && !island.contains('>') && !island.contains('&'));
    let back: Report = serde_json::from_str(island).unwrap();
    assert_eq!(back, r);
}

#[test]
fn big_islands_are_gzip_base64_and_unpack_to_the_report() {
    let r = fixture::report_with_baseline();
    let page = html::render_with(&r, None, &HtmlOptions { compress_over: 0 }).unwrap();
    let island = between(&page, "data-encoding=\"gzip+base64\">", "</script>");
    use base64::Engine;
    let gz = base64::engine::general_purpose::STANDARD
        .decode(island.trim())
        .unwrap();
    let mut json = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut json).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
}

#[test]
fn html_templates_can_be_overridden_and_typos_fail() {
    let dir = tempfile::tempdir().unwrap();
    html::export_templates(dir.path()).unwrap();
    let css = dir.path().join("style.css");
    std::fs::write(&css, "body{background:#123456}").unwrap();
    let page = html::render(&fixture::report(), Some(dir.path())).unwrap();
    assert!(page.contains("<style>body{background:#123456}</style>"));
    let hbs = dir.path().join("report.html.hbs");
    std::fs::write(&hbs, "<p>{{report.run.finsihed}}</p>").unwrap();
    let err = html::render(&fixture::report(), Some(dir.path())).unwrap_err();
    assert!(format!("{err:#}").contains("finsihed"), "{err:#}");
}

#[test]
fn html_summary_numbers_match_the_report() {
    let r = fixture::report_with_baseline();
    let page = render(&r, Format::Html);
    let num = |attr: &str| -> u32 { between(&page, &format!("{attr}\">"), "<").parse().unwrap() };
    assert_eq!(num("data-total=\"hosts"), r.totals.hosts);
    assert_eq!(num("data-total=\"findings"), r.totals.findings);
    assert_eq!(num("data-total=\"waived"), r.totals.waived);
    let failed = r.hosts.iter().filter(|h| !h.status.evaluated()).count() as u32;
    assert_eq!(num("data-total=\"failed"), failed);
    for (status, n) in &r.totals.hosts_by_status {
        assert_eq!(num(&format!("data-status=\"{status}")), *n);
    }
    assert!(page.contains("id=\"drift\""));
    assert!(!render(&fixture::report(), Format::Html).contains("id=\"drift\""));
}

// ---- the report command --------------------------------------------------------------------------

#[test]
fn rerender_reads_report_json_applies_a_baseline_and_writes_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    let out = dir.path().join("out");
    let mut old = fixture::report();
    old.findings.truncate(2);
    old.recompute_totals();
    report::write_all(
        &old,
        &OutputOptions {
            out_dir: first.clone(),
            formats: vec![Format::Json],
            templates: None,
            min_severity: None,
        },
    )
    .unwrap();
    report::write_all(
        &fixture::report(),
        &OutputOptions {
            out_dir: second.clone(),
            formats: vec![Format::Json],
            templates: None,
            min_severity: None,
        },
    )
    .unwrap();
    let opts = OutputOptions {
        out_dir: out.clone(),
        formats: Format::ALL.to_vec(),
        templates: None,
        min_severity: None,
    };
    let r = report::rerender(
        &second.join("report.json"),
        &opts,
        Some(&first.join("report.json")),
    )
    .unwrap();
    let b = r.baseline.as_ref().unwrap();
    assert_eq!((b.new, b.unchanged), (3, 2));
    for f in Format::ALL {
        let p = out.join(f.file_name());
        assert!(p.metadata().unwrap().len() > 0, "{} written", p.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Without a baseline the drift of the input is kept.
    let again = report::rerender(
        &out.join("report.json"),
        &OutputOptions {
            out_dir: dir.path().join("again"),
            formats: vec![Format::Csv],
            templates: None,
            min_severity: None,
        },
        None,
    )
    .unwrap();
    assert_eq!(again.baseline, r.baseline);
    // Not a report.
    std::fs::write(dir.path().join("x.json"), "{\"schema\":\"something/else\"}").unwrap();
    let err = report::rerender(&dir.path().join("x.json"), &opts, None).unwrap_err();
    assert!(err.to_string().contains("iis-sweep/report/1"));
}

#[test]
fn format_lists_parse() {
    assert_eq!(
        Format::parse_list("json, CSV,csv").unwrap(),
        vec![Format::Json, Format::Csv]
    );
    assert_eq!(Format::parse_list("all").unwrap(), Format::ALL.to_vec());
    assert!(Format::parse_list("pdf").unwrap_err().contains("sarif"));
    let names: Vec<&str> = Format::ALL.iter().map(|f| f.file_name()).collect();
    assert_eq!(
        names,
        [
            "report.json",
            "report.html",
            "findings.csv",
            "hosts.csv",
            "junit.xml",
            "report.sarif",
            "findings.ndjson",
            "inspec.json"
        ]
    );
}

#[test]
fn every_format_handles_an_empty_report() {
    let mut r = fixture::report();
    r.findings.clear();
    r.hosts.retain(|h| h.status == HostStatus::Ok);
    r.recompute_totals();
    for f in Format::ALL {
        let out = render(&r, *f);
        // NDJSON of no findings is an empty file.
        assert!(*f == Format::Ndjson || !out.is_empty(), "{f}");
    }
    validate(
        "tests/schemas/sarif-schema-2.1.0.json",
        &serde_json::from_str(&render(&r, Format::Sarif)).unwrap(),
    );
    validate(
        "tests/schemas/hdf-exec-json.json",
        &serde_json::from_str(&render(&r, Format::Inspec)).unwrap(),
    );
    check_junit_structure(&roxmltree::Document::parse(&render(&r, Format::Junit)).unwrap());
}
