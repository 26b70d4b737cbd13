//! The collector script cannot run here (no Windows, no PowerShell), so these tests check
//! what can be checked without running it: it parses as PowerShell, it uses no PowerShell 7
//! syntax, it fits the delivery paths, and it writes the snapshot's field names.

use iis_sweep::collect::delivery::{stage_append_command, stage_payload, CMD_LINE_LIMIT};
use iis_sweep::collect::{COLLECTOR_SCRIPT, COLLECTOR_VERSION};
use std::collections::{BTreeMap, BTreeSet};

#[path = "support/powershell.rs"]
mod powershell;
use powershell::{code_only, parse, syntax_problems};
use tree_sitter::Node;

#[test]
fn the_grammar_catches_broken_powershell() {
    // Guards the guard: the checker must see an unbalanced block and a dangling operator.
    assert!(!syntax_problems("function f {\n  if ($x) { 'a'\n").is_empty());
    assert!(!syntax_problems("$a = (1 + \n").is_empty());
    assert!(syntax_problems("function f([string]$x) { return $x.Trim() }\nf ' a '\n").is_empty());
}

#[test]
fn collector_parses_as_powershell() {
    let problems = syntax_problems(COLLECTOR_SCRIPT);
    assert!(
        problems.is_empty(),
        "collector.ps1 has {} syntax problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn collector_uses_no_powershell_7_syntax() {
    let code = code_only(COLLECTOR_SCRIPT);
    for (n, line) in code.lines().enumerate() {
        let n = n + 1;
        // Null-coalescing and null-conditional member access (7.0+).
        assert!(!line.contains("??"), "line {n}: `??` is PowerShell 7 only");
        assert!(!line.contains("?."), "line {n}: `?.` is PowerShell 7 only");
        assert!(!line.contains("?["), "line {n}: `?[` is PowerShell 7 only");
        // Ternary `cond ? a : b` (7.0+). `?` alone is also the Where-Object alias: avoid both.
        assert!(
            !line.contains(" ? "),
            "line {n}: ` ? ` (ternary or Where-Object alias) — write if/else or Where-Object"
        );
        // Pipeline chain operators (7.0+).
        assert!(!line.contains("&&"), "line {n}: `&&` is PowerShell 7 only");
        assert!(!line.contains("||"), "line {n}: `||` is PowerShell 7 only");
        let lower = line.to_ascii_lowercase();
        for (token, why) in [
            ("-parallel", "ForEach-Object -Parallel is PowerShell 7 only"),
            (
                "-ashashtable",
                "ConvertFrom-Json -AsHashtable is PowerShell 6+",
            ),
            (
                "using namespace",
                "keep the script free of `using` statements",
            ),
            ("using module", "the collector uses no modules"),
            ("import-module", "the collector uses no modules"),
            (
                "webadministration",
                "read the XML files, not the WebAdministration module",
            ),
            (
                "iisadministration",
                "read the XML files, not the IISAdministration module",
            ),
            (
                "get-webconfiguration",
                "read the XML files, not the WebAdministration module",
            ),
            ("convertto-json", "the collector writes its JSON by hand"),
            ("get-content", "read files with bounded .NET streams"),
        ] {
            assert!(!lower.contains(token), "line {n}: `{token}`: {why}");
        }
        // Classes and enums are 5.0+, but the collector needs neither.
        let trimmed = lower.trim_start();
        assert!(
            !trimmed.starts_with("class ") && !trimmed.starts_with("enum "),
            "line {n}: no classes or enums"
        );
    }
}

/// Commands the collector may call besides its own functions: what ships with Windows
/// PowerShell 5.1 on Server 2012 R2 and later, spelled out (no aliases such as `%` or `?`).
const BUILT_IN_COMMANDS: [&str; 9] = [
    "foreach-object",
    "get-acl",
    "get-ciminstance",
    "get-command",
    // Microsoft.PowerShell.Diagnostics, in Windows PowerShell since 2.0.
    "get-winevent",
    "get-wmiobject",
    "new-object",
    "sort-object",
    "where-object",
];

/// Automatic variables the script may read without assigning them.
const AUTOMATIC_VARIABLES: [&str; 5] = ["_", "null", "true", "false", "matches"];

fn collect_nodes<'t>(root: Node<'t>, kind: &str, out: &mut Vec<Node<'t>>) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == kind {
            out.push(node);
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
}

fn text<'s>(node: Node, src: &'s str) -> &'s str {
    &src[node.byte_range()]
}

/// `$Name`, `${Name}`, `$script:Name` → `name`; `None` for `$env:X`.
fn variable_name(raw: &str) -> Option<String> {
    let v = raw
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("env:") {
        return None;
    }
    let bare = lower
        .strip_prefix("script:")
        .or_else(|| lower.strip_prefix("local:"))
        .or_else(|| lower.strip_prefix("global:"))
        .unwrap_or(&lower);
    Some(bare.to_string())
}

/// Commands that are neither functions of the script nor known built-ins.
fn unknown_commands(src: &str) -> Vec<String> {
    let tree = parse(src);
    let mut defs = Vec::new();
    collect_nodes(tree.root_node(), "function_name", &mut defs);
    let defined: Vec<String> = defs
        .iter()
        .map(|n| text(*n, src).to_ascii_lowercase())
        .collect();
    let mut commands = Vec::new();
    collect_nodes(tree.root_node(), "command_name", &mut commands);
    let mut out = Vec::new();
    for c in commands {
        let name = text(c, src).to_ascii_lowercase();
        if !defined.contains(&name) && !BUILT_IN_COMMANDS.contains(&name.as_str()) {
            out.push(format!(
                "line {}: `{name}` is neither defined in the script nor a known built-in command",
                c.start_position().row + 1
            ));
        }
    }
    out
}

/// Variables read somewhere but assigned nowhere (typos, in a language we cannot run here).
/// Scope is not modelled: this catches misspellings, not scoping mistakes.
fn unassigned_variables(src: &str) -> Vec<String> {
    let tree = parse(src);
    // Where a variable gets a value: assignments, foreach, parameters, ++/--, [ref] targets.
    let mut assigned: Vec<String> = AUTOMATIC_VARIABLES.iter().map(|s| s.to_string()).collect();
    let add_vars_under = |node: Node, assigned: &mut Vec<String>| {
        let mut vars = Vec::new();
        collect_nodes(node, "variable", &mut vars);
        assigned.extend(vars.iter().filter_map(|v| variable_name(text(*v, src))));
    };
    for kind in [
        "left_assignment_expression",
        "script_parameter",
        "post_increment_expression",
        "post_decrement_expression",
        "pre_increment_expression",
        "pre_decrement_expression",
    ] {
        let mut nodes = Vec::new();
        collect_nodes(tree.root_node(), kind, &mut nodes);
        for n in nodes {
            add_vars_under(n, &mut assigned);
        }
    }
    let mut loops = Vec::new();
    collect_nodes(tree.root_node(), "foreach_statement", &mut loops);
    for l in loops {
        let mut cursor = l.walk();
        let first_var = l.children(&mut cursor).find(|c| c.kind() == "variable");
        if let Some(v) = first_var {
            assigned.extend(variable_name(text(v, src)));
        }
    }
    let mut casts = Vec::new();
    collect_nodes(tree.root_node(), "cast_expression", &mut casts);
    for c in casts {
        if text(c, src).to_ascii_lowercase().starts_with("[ref]") {
            add_vars_under(c, &mut assigned);
        }
    }

    let mut used = Vec::new();
    collect_nodes(tree.root_node(), "variable", &mut used);
    let mut out = Vec::new();
    for v in used {
        if let Some(name) = variable_name(text(v, src)) {
            if !assigned.contains(&name) {
                out.push(format!(
                    "line {}: ${name} is read but never assigned",
                    v.start_position().row + 1
                ));
            }
        }
    }
    out
}

#[test]
fn the_name_checks_catch_typos() {
    assert!(!unknown_commands("function Get-A { 1 }\nGet-B\n").is_empty());
    assert!(unknown_commands("function Get-A { 1 }\nGet-A | Where-Object { $_ }\n").is_empty());
    // Aliases are not allowed either.
    assert!(!unknown_commands("1..3 | % { $_ }\n").is_empty());
    assert!(!unassigned_variables("$total = 1\n$totl + 1\n").is_empty());
    assert!(unassigned_variables(
        "function f([int]$n) { foreach ($i in 1..$n) { $s += $i }; $s }\n$env:windir; [long]::TryParse('1', [ref]$v); $v\n"
    )
    .is_empty());
}

#[test]
fn collector_calls_only_known_commands() {
    let problems = unknown_commands(COLLECTOR_SCRIPT);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn collector_reads_only_variables_it_assigns() {
    let problems = unassigned_variables(COLLECTOR_SCRIPT);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn collector_never_asks_for_a_password() {
    let lower = COLLECTOR_SCRIPT.to_ascii_lowercase();
    for token in [
        "get-credential",
        "read-host",
        "convertfrom-securestring",
        "getnetworkcredential",
    ] {
        assert!(!lower.contains(token), "collector must not touch `{token}`");
    }
}

#[test]
fn collector_fits_both_delivery_paths() {
    assert!(
        COLLECTOR_SCRIPT.len() < 1 << 20,
        "collector is {} bytes; keep it under 1 MiB",
        COLLECTOR_SCRIPT.len()
    );
    for chunk in stage_payload(COLLECTOR_SCRIPT) {
        assert!(
            stage_append_command("0123456789abcdef", &chunk)
                .joined()
                .len()
                < CMD_LINE_LIMIT
        );
    }
    // The stdin bootstrap reads UTF-8; keep the script ASCII so no code page can bite.
    if let Some((n, line)) = COLLECTOR_SCRIPT
        .lines()
        .enumerate()
        .find(|(_, l)| !l.is_ascii())
    {
        panic!("line {}: non-ASCII character in {line:?}", n + 1);
    }
}

/// The key lists of every non-empty `[ordered]@{ ... }` literal, with the line it starts on.
/// The collector writes its JSON from exactly these literals (see `JAny` in the script).
fn ordered_literals(src: &str) -> Vec<(usize, BTreeSet<String>)> {
    let tree = parse(src);
    let mut casts = Vec::new();
    collect_nodes(tree.root_node(), "cast_expression", &mut casts);
    let mut out = Vec::new();
    for c in casts {
        if !text(c, src).to_ascii_lowercase().starts_with("[ordered]") {
            continue;
        }
        let mut literals = Vec::new();
        collect_nodes(c, "hash_literal_body", &mut literals);
        // The outermost body belongs to this cast (nested literals are not used).
        let Some(body) = literals.into_iter().min_by_key(|n| n.start_byte()) else {
            continue; // [ordered]@{}: filled at run time (host.env)
        };
        let mut cursor = body.walk();
        let keys: BTreeSet<String> = body
            .children(&mut cursor)
            .filter(|n| n.kind() == "hash_entry")
            .filter_map(|entry| {
                let mut ec = entry.walk();
                let key = entry
                    .children(&mut ec)
                    .find(|n| n.kind() == "key_expression");
                key.map(|k| text(k, src).trim().to_string())
            })
            .collect();
        out.push((c.start_position().row + 1, keys));
    }
    out
}

/// Property names of every object type in `Snapshot`'s JSON Schema, by type name.
fn snapshot_object_types() -> BTreeMap<String, BTreeSet<String>> {
    let schema =
        serde_json::to_value(schemars::schema_for!(iis_sweep::snapshot::Snapshot)).unwrap();
    let mut out = BTreeMap::new();
    let props = |v: &serde_json::Value| -> Option<BTreeSet<String>> {
        Some(v.get("properties")?.as_object()?.keys().cloned().collect())
    };
    out.insert("Snapshot".to_string(), props(&schema).unwrap());
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if let Some(p) = props(def) {
            out.insert(name.clone(), p);
        }
    }
    out
}

#[test]
fn the_literal_reader_sees_keys() {
    let lits =
        ordered_literals("$a = [ordered]@{ x = 1; y = @{ z = 2 }\n w = 'v' }\n$e = [ordered]@{}\n");
    assert_eq!(lits.len(), 1);
    assert_eq!(lits[0].0, 1);
    let expected: BTreeSet<String> = ["w", "x", "y"].iter().map(|s| s.to_string()).collect();
    assert_eq!(lits[0].1, expected);
}

/// serde ignores unknown fields, so a misspelt key would silently drop a fact: every record
/// the collector writes must carry exactly the fields of one snapshot type, and every snapshot
/// type must be written by some record.
#[test]
fn collector_records_match_the_snapshot_types() {
    let types = snapshot_object_types();
    assert!(types.len() >= 10, "unexpected schema shape: {types:?}");
    let mut written = BTreeSet::new();
    for (line, keys) in ordered_literals(COLLECTOR_SCRIPT) {
        let matching: Vec<&String> = types
            .iter()
            .filter(|(_, fields)| **fields == keys)
            .map(|(name, _)| name)
            .collect();
        assert!(
            !matching.is_empty(),
            "line {line}: the record {keys:?} matches no snapshot type; types are:\n{types:#?}"
        );
        written.extend(matching.into_iter().cloned());
    }
    // Filled by the scanner from the raw log lines the collector ships (older collectors wrote
    // them; snapshots from those still read).
    let scanner_made = ["StatusCount"];
    for name in types.keys().filter(|n| !scanner_made.contains(&n.as_str())) {
        assert!(
            written.contains(name),
            "no record in the collector writes {name}"
        );
    }
}

#[test]
fn collector_writes_the_schema_tag_roles_and_version() {
    let s = COLLECTOR_SCRIPT;
    // Every FileRole the collector emits, spelled as serde spells it.
    for role in [
        "application-host",
        "root-web-config",
        "machine-config",
        "web-config",
        "other",
    ] {
        let json = serde_json::to_string(role).unwrap();
        serde_json::from_str::<iis_sweep::snapshot::FileRole>(&json)
            .unwrap_or_else(|e| panic!("{role} is not a FileRole: {e}"));
        assert!(s.contains(&format!("'{role}'")), "role {role} missing");
    }
    assert!(s.contains(&format!(
        "schema = '{}'",
        iis_sweep::snapshot::SNAPSHOT_SCHEMA
    )));
    assert!(s.contains(&format!("collector_version = '{COLLECTOR_VERSION}'")));
}

#[test]
fn collector_reads_the_registry_values_the_rules_need() {
    let s = COLLECTOR_SCRIPT;
    for (key, name) in [
        (
            "SYSTEM\\CurrentControlSet\\Control\\Lsa",
            "DisableLoopbackCheck",
        ),
        (
            "SYSTEM\\CurrentControlSet\\Control\\Lsa",
            "LmCompatibilityLevel",
        ),
        (
            "SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0",
            "BackConnectionHostNames",
        ),
        (
            "SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0",
            "RestrictReceivingNTLMTraffic",
        ),
        (
            "SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters",
            "MaxFieldLength",
        ),
        (
            "SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters",
            "MaxRequestBytes",
        ),
    ] {
        assert!(
            s.contains(&format!("'{key}|{name}'")),
            "{key}\\{name} not read"
        );
    }
    // Reported as HKLM\SYSTEM\..., the spelling the rules look up.
    assert!(s.contains("key = 'HKLM\\' + $key"));
    for kind in [
        "REG_DWORD",
        "REG_QWORD",
        "REG_SZ",
        "REG_EXPAND_SZ",
        "REG_MULTI_SZ",
    ] {
        assert!(s.contains(&format!("'{kind}'")), "{kind} not mapped");
    }
}

/// A snapshot shaped exactly like the one the JSON writer builds deserializes into `Snapshot`.
/// (The writer's output itself cannot be produced here; this pins the shape it targets.)
#[test]
fn the_written_shape_deserializes() {
    let doc = r#"{"schema":"iis-sweep/snapshot/1","host":{"name":"WEB01","computer_name":"WEB01","fqdn":"web01.contoso.com","part_of_domain":true,"domain":"contoso.com","os":"Microsoft Windows Server 2016 Datacenter 10.0.14393","iis_version":"10.0","collector_version":"1","collected_at":"2026-01-02T03:04:05Z","env":{"SystemDrive":"C:","windir":"C:\\Windows"}},"collected":{"config":true,"acls":true,"accounts":true,"registry":true,"logs":true},"files":[{"path":"C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config","role":"application-host","text":"<configuration>\r\n<!-- \u00e9 -->\u0000</configuration>","error":null,"truncated":false},{"path":"D:\\web\\web.config","role":"web-config","text":null,"error":"Access is denied.","truncated":false}],"acls":[{"path":"D:\\web","owner":"BUILTIN\\Administrators","sddl":"O:BAG:SYD:(A;OICI;0x1200a9;;;IS)","error":null}],"accounts":[{"name":"IUSR","sid":"S-1-5-17","groups":[],"enabled":null,"error":null},{"name":"WEB01\\svc","sid":"S-1-5-21-1-2-3-1001","groups":["S-1-5-32-545"],"enabled":true,"error":null}],"registry":[{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa","name":"DisableLoopbackCheck","kind":"REG_DWORD","data":4294967295},{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\MSV1_0","name":"BackConnectionHostNames","kind":"REG_MULTI_SZ","data":["a","b"]},{"key":"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa","name":"LmCompatibilityLevel","kind":null,"data":null}],"logs":{"sites":[{"site_id":1,"counts":[{"status":401,"substatus":2,"win32":5,"count":10},{"status":401,"substatus":1,"win32":3221225581,"count":1}],"first":"2026-01-01T00:00:00Z","last":"2026-01-02T00:00:00Z","bytes_scanned":123,"files_scanned":1,"truncated":false}]},"errors":[{"stage":"limit","target":null,"message":"m"}]}"#;
    let snap: iis_sweep::snapshot::Snapshot = serde_json::from_str(doc).unwrap();
    assert_eq!(snap.files.len(), 2);
    assert!(snap.files[0].text.as_deref().unwrap().contains('\u{e9}'));
    assert_eq!(
        snap.registry[0].data,
        Some(iis_sweep::snapshot::RegistryData::Number(4294967295))
    );
    assert_eq!(snap.logs.unwrap().sites[0].counts[1].win32, 3221225581);
}

/// Constructs that script-block-logging detections flag, where a plain cmdlet or .NET call does
/// the job; none may appear in anything we run on a host.
const FLAGGED: &[&str] = &[
    "invokemember",
    "frombase64string",
    "gzipstream",
    "deflatestream",
    "reflection.assembly",
    "add-type",
    "invoke-expression",
    "iex ",
    "downloadstring",
    "net.webclient",
    "-encodedcommand",
    "virtualalloc",
];

fn everything_run_on_a_host() -> Vec<(String, String)> {
    use iis_sweep::collect::delivery::{
        encoded_script_of, stage_append_command, stage_run_command, stdin_bootstrap_command,
    };
    let mut out = vec![
        ("collector.ps1".to_string(), COLLECTOR_SCRIPT.to_string()),
        (
            "ping.ps1".to_string(),
            iis_sweep::collect::PING_SCRIPT.to_string(),
        ),
    ];
    for (name, cmd) in [
        ("stdin bootstrap", stdin_bootstrap_command()),
        (
            "staged append",
            stage_append_command("ab12", "Write-Output 'x'"),
        ),
        ("staged run", stage_run_command("ab12")),
    ] {
        out.push((
            name.into(),
            encoded_script_of(&cmd.program, &cmd.args).unwrap(),
        ));
    }
    out
}

#[test]
fn nothing_run_on_a_host_uses_flagged_constructs() {
    for (name, script) in everything_run_on_a_host() {
        let code = code_only(&script).to_lowercase();
        for f in FLAGGED {
            assert!(
                !code.contains(f),
                "{name} uses {f:?}, which detections flag"
            );
        }
    }
    // Guards the guard.
    assert!(
        code_only("$x.GetType().InvokeMember('a','GetProperty',$null,$x,$null)")
            .to_lowercase()
            .contains("invokemember")
    );
}

#[test]
fn everything_run_on_a_host_parses_as_powershell() {
    for (name, script) in everything_run_on_a_host() {
        let problems = syntax_problems(&script);
        assert!(problems.is_empty(), "{name}: {}", problems.join("\n"));
    }
}

#[test]
fn the_collector_writes_utf8_bytes_and_calls_no_script_per_character() {
    let code = code_only(COLLECTOR_SCRIPT);
    assert!(code.contains("OpenStandardOutput"), "raw UTF-8 output");
    // The per-character escape runs for control characters only, never for all non-ASCII.
    assert!(!COLLECTOR_SCRIPT.contains(r"[^\x20-\x7e]"));
}

#[test]
fn the_collector_hides_every_kind_of_secret() {
    for kind in [
        "validationKey",
        "decryptionKey",
        "apikey",
        "token",
        "://",
        "&quot;",
        "'(?:[^'']|'''')*'",
    ] {
        let needle = kind.replace("'(?:[^'']|'''')*'", "''(?:[^'']|'''')*''");
        assert!(
            COLLECTOR_SCRIPT.contains(&needle) || COLLECTOR_SCRIPT.contains(kind),
            "Hide-Secrets does not cover {kind}"
        );
    }
}

#[test]
fn the_collector_keeps_one_deadline_and_runs_phases_in_order_of_value() {
    use iis_sweep::collect::delivery::{strip_deadline, with_deadline};
    let sent = with_deadline(COLLECTOR_SCRIPT, 270);
    assert_eq!(strip_deadline(&sent), (Some(270), COLLECTOR_SCRIPT));
    assert_eq!(strip_deadline(COLLECTOR_SCRIPT), (None, COLLECTOR_SCRIPT));
    // The deadline line parses as PowerShell together with the script.
    assert!(syntax_problems(&sent).is_empty());
    let code = code_only(COLLECTOR_SCRIPT);
    assert!(
        code.contains("$IisSweepSeconds"),
        "the script reads the deadline"
    );
    // Phases after the configuration, in order of value, each behind the deadline check.
    let at = |needle: &str| {
        COLLECTOR_SCRIPT
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} not found"))
    };
    let order = [
        "Test-TimeLeft 'registry'",
        "Test-TimeLeft 'accounts'",
        "Test-TimeLeft 'ACLs'",
        "Test-TimeLeft 'logs'",
    ];
    for pair in order.windows(2) {
        assert!(
            at(pair[0]) < at(pair[1]),
            "{} must come before {}",
            pair[0],
            pair[1]
        );
    }
    // The web.config search stops at the deadline too, and logs get at most half the time left.
    assert!(COLLECTOR_SCRIPT.contains("Test-TimeLeft 'the rest of the web.config search'"));
    assert!(COLLECTOR_SCRIPT.contains("($Deadline - [DateTime]::UtcNow).TotalSeconds / 2"));
}

#[test]
fn the_collector_reads_every_framework_config_folder() {
    for folder in [
        r"Framework64\v4.0.30319",
        r"Framework\v4.0.30319",
        r"Framework64\v2.0.50727",
        r"Framework\v2.0.50727",
    ] {
        assert!(COLLECTOR_SCRIPT.contains(folder), "{folder} is not read");
    }
}

/// The collector ships raw log lines and decides nothing: the lines it keeps (directives, the
/// first and last data line, every line holding its literal) must be all the scanner needs. The
/// filter is taken from the script itself and applied to real-shaped logs; what the scanner
/// reads from the shipped lines must equal what it reads from the whole file.
#[test]
fn the_collector_ships_the_log_lines_the_scanner_needs() {
    let src = COLLECTOR_SCRIPT;
    // The literal the collector matches, as written in the script.
    let at = src
        .find("$line.IndexOf('")
        .expect("the collector's literal match");
    let literal = &src[at + "$line.IndexOf('".len()..];
    let literal = &literal[..literal.find('\'').unwrap()];
    assert_eq!(literal, " 401 ", "the match the scanner relies on changed");
    assert!(
        !src.contains("Set-LogFields") && !src.contains("sc-win32-status"),
        "the collector parses fields again"
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs");
    for name in ["W3SVC1/u_ex230101.log", "AdvancedLogs/adv_230101.log"] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let data: Vec<&str> = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let shipped: Vec<String> = text
            .lines()
            .filter(|l| !l.is_empty())
            .filter(|l| {
                l.starts_with('#')
                    || l.contains(literal)
                    || Some(l) == data.first()
                    || Some(l) == data.last()
            })
            .map(String::from)
            .collect();
        let mut from_lines = iis_sweep::snapshot::SiteLogSummary {
            site_id: 1,
            raw: vec![iis_sweep::snapshot::RawLogFile {
                name: name.into(),
                lines: shipped,
                truncated: false,
            }],
            ..Default::default()
        };
        iis_sweep::logs::summarize_site(&mut from_lines);
        let mut whole = iis_sweep::snapshot::SiteLogSummary {
            site_id: 1,
            raw: vec![iis_sweep::snapshot::RawLogFile {
                name: name.into(),
                lines: text.lines().map(String::from).collect(),
                truncated: false,
            }],
            ..Default::default()
        };
        iis_sweep::logs::summarize_site(&mut whole);
        assert!(!whole.counts.is_empty(), "{name}: no 401 read at all");
        assert_eq!(from_lines.counts, whole.counts, "{name}");
        assert_eq!(
            (&from_lines.first, &from_lines.last),
            (&whole.first, &whole.last),
            "{name}"
        );
        assert!(from_lines.raw.is_empty(), "lines are dropped once read");
    }
}

/// The registry values the rules read are listed twice — in the collector and for offline
/// bundles (`collect::REGISTRY_VALUES`) — and must stay the same.
#[test]
fn the_collector_reads_the_registry_values_the_rules_need() {
    let start = COLLECTOR_SCRIPT.find("$RegistryValues = @(").unwrap();
    let end = start + COLLECTOR_SCRIPT[start..].find(')').unwrap();
    let listed: Vec<(String, String)> = COLLECTOR_SCRIPT[start..end]
        .lines()
        .filter_map(|l| {
            let t = l.trim().trim_end_matches(',').trim_matches('\'');
            let (k, n) = t.split_once('|')?;
            Some((k.to_string(), n.to_string()))
        })
        .collect();
    let rust: Vec<(String, String)> = iis_sweep::collect::REGISTRY_VALUES
        .iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect();
    assert_eq!(listed, rust);
}
