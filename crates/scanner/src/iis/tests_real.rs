//! Real applicationHost.config files (see `tests/fixtures/iis/real/README.md`), a property
//! test that resolution never panics, and the replay of the fuzz seed corpus.

use proptest::prelude::*;

use super::*;
use crate::snapshot::{ConfigFile, FileRole, Snapshot};

const IIS10_APPHOST: &str = include_str!("../../assets/iis10-host/applicationHost.config");
const IIS10_WEB: &str =
    include_str!("../../../../tests/fixtures/iis/real/iis10-server2019/web.config");
const EXPRESS_APPHOST: &str =
    include_str!("../../../../tests/fixtures/iis/real/iisexpress/applicationhost.config");

fn file(path: &str, role: FileRole, text: &str) -> ConfigFile {
    ConfigFile {
        path: path.to_string(),
        role,
        text: Some(text.to_string()),
        error: None,
        truncated: false,
    }
}

/// Evaluates every section at every path worth evaluating, text and JSON rendering included.
fn evaluate_everything(h: &HostConfig) -> usize {
    let mut n = 0;
    for site in h.sites() {
        for p in h.paths_to_evaluate(&site.name) {
            let r = ConfigReport::build(h, &site.name, &p, None);
            assert!(r.resolved.is_some());
            let _ = r.to_text();
            let _ = serde_json::to_string(&r).unwrap();
            n += r.sections.len();
        }
    }
    n
}

#[test]
fn real_iis10_server_config() {
    let mut s = Snapshot::new("ec2");
    s.host.env.insert("SystemDrive".into(), "C:".into());
    s.host.env.insert("SystemRoot".into(), r"C:\Windows".into());
    s.files.push(file(
        r"C:\Windows\System32\inetsrv\config\applicationHost.config",
        FileRole::ApplicationHost,
        IIS10_APPHOST,
    ));
    s.files.push(file(
        r"C:\inetpub\wwwroot\web.config",
        FileRole::WebConfig,
        IIS10_WEB,
    ));
    let h = HostConfig::from_snapshot(&s);
    assert!(h.file_errors().is_empty(), "{:?}", h.file_errors());
    assert!(h.issues().is_empty(), "{:?}", h.issues());
    assert!(h.plaintext_secrets().is_empty());
    assert_eq!(h.sites().len(), 1);
    let site = &h.sites()[0];
    assert_eq!(site.name, "Default Web Site");
    assert_eq!(site.applications[0].pool_name(), "DefaultAppPool");
    let pool = h.pool("DefaultAppPool").unwrap();
    assert_eq!(pool.identity(), "ApplicationPoolIdentity");
    assert_eq!(pool.managed_runtime_version.value, "v4.0");
    let r = h.resolve_path("Default Web Site", "/").unwrap();
    assert_eq!(r.physical_path.as_deref(), Some(r"C:\inetpub\wwwroot"));
    assert_eq!(
        r.web_configs[0].file.as_deref(),
        Some(r"C:\inetpub\wwwroot\web.config")
    );
    let anon = h.effective("Default Web Site", "/", sections::ANONYMOUS_AUTHENTICATION);
    assert_eq!(anon.bool("enabled"), Some(true));
    assert_eq!(anon.value("userName"), Some("IUSR"));
    let win = h.effective("Default Web Site", "/", sections::WINDOWS_AUTHENTICATION);
    assert_eq!(win.bool("enabled"), Some(false));
    // URL Rewrite: the section group comes from the real <configSections>.
    let rules = h.effective("Default Web Site", "/", "system.webServer/rewrite/rules");
    assert_eq!(rules.collection().len(), 1);
    assert_eq!(
        rules.collection()[0].value("name"),
        Some("ReverseProxyInboundRule1")
    );
    let vars = h.effective(
        "Default Web Site",
        "/",
        "system.webServer/rewrite/allowedServerVariables",
    );
    assert_eq!(vars.collection().len(), 2);
    assert_eq!(vars.override_mode.mode, OverrideMode::Deny);
    assert!(evaluate_everything(&h) > 20);
}

#[test]
fn real_iis_express_config() {
    let mut s = Snapshot::new("dev");
    s.files.push(file(
        r"C:\Users\dev\Documents\IISExpress\config\applicationhost.config",
        FileRole::ApplicationHost,
        EXPRESS_APPHOST,
    ));
    let h = HostConfig::from_snapshot(&s);
    assert!(h.file_errors().is_empty(), "{:?}", h.file_errors());
    assert!(h.issues().is_empty(), "{:?}", h.issues());
    let site = h.site("SampleApp").unwrap();
    assert_eq!(site.bindings[0].port, Some(8088));
    assert_eq!(site.bindings[0].host.as_deref(), Some("localhost"));
    assert_eq!(site.log_file.enabled.value, "false");
    assert_eq!(
        h.module_state("SampleApp", "/", "WindowsAuthenticationModule"),
        ModuleState::Enabled
    );
    assert!(h
        .effective("SampleApp", "/", sections::MODULES)
        .collection()
        .iter()
        .any(|i| i.locked));
    let anon = h.effective("SampleApp", "/", sections::ANONYMOUS_AUTHENTICATION);
    assert_eq!(anon.value("userName"), Some(""));
    assert!(evaluate_everything(&h) > 10);
}

// ----- property test ----------------------------------------------------------------------

fn arb_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("app".to_string()),
        Just("App".to_string()),
        Just("sub".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just(String::new()),
        "[a-zA-Z0-9 _.%~-]{1,8}",
        "\\PC{1,4}",
    ]
}

fn arb_path() -> impl Strategy<Value = String> {
    prop::collection::vec(arb_segment(), 0..5).prop_map(|v| v.join("/"))
}

fn arb_attr() -> impl Strategy<Value = String> {
    let names = prop_oneof![
        Just("enabled"),
        Just("userName"),
        Just("password"),
        Just("lockAttributes"),
        Just("lockElements"),
        Just("lockAllAttributesExcept"),
        Just("lockItem"),
        Just("users"),
        Just("value"),
        Just("name"),
        Just("sslFlags"),
    ];
    let values = prop_oneof![
        Just("true".to_string()),
        Just("false".to_string()),
        Just("*".to_string()),
        Just("enabled,clear".to_string()),
        "[a-zA-Z0-9,]{0,6}",
    ];
    (names, values).prop_map(|(n, v)| format!(" {n}=\"{v}\""))
}

fn arb_element(depth: u32) -> BoxedStrategy<String> {
    let names = prop_oneof![
        Just("add"),
        Just("remove"),
        Just("clear"),
        Just("providers"),
        Just("allow"),
        Just("deny"),
        Just("forms"),
        Just("rule"),
        Just("location"),
    ];
    let leaf = (names.clone(), prop::collection::vec(arb_attr(), 0..3))
        .prop_map(|(n, a)| format!("<{n}{}/>", a.concat()))
        .boxed();
    if depth == 0 {
        return leaf;
    }
    prop_oneof![
        leaf,
        (
            names,
            prop::collection::vec(arb_attr(), 0..3),
            prop::collection::vec(arb_element(depth - 1), 0..3)
        )
            .prop_map(|(n, a, c)| format!("<{n}{}>{}</{n}>", a.concat(), c.concat()))
    ]
    .boxed()
}

fn arb_section() -> impl Strategy<Value = String> {
    let sections = prop_oneof![
        Just("system.webServer/security/authentication/windowsAuthentication"),
        Just("system.webServer/security/authentication/anonymousAuthentication"),
        Just("system.webServer/security/authorization"),
        Just("system.webServer/modules"),
        Just("system.webServer/directoryBrowse"),
        Just("system.web/authorization"),
        Just("system.web/authentication"),
        Just("appSettings"),
    ];
    (
        sections,
        prop::collection::vec(arb_attr(), 0..3),
        prop::collection::vec(arb_element(2), 0..3),
    )
        .prop_map(|(path, attrs, children)| {
            let parts: Vec<&str> = path.split('/').collect();
            let (last, groups) = parts.split_last().unwrap();
            let mut s = String::new();
            for g in groups {
                s.push_str(&format!("<{g}>"));
            }
            s.push_str(&format!(
                "<{last}{}>{}</{last}>",
                attrs.concat(),
                children.concat()
            ));
            for g in groups.iter().rev() {
                s.push_str(&format!("</{g}>"));
            }
            s
        })
}

fn arb_config() -> impl Strategy<Value = String> {
    let block = prop_oneof![
        arb_section(),
        (
            arb_path(),
            prop_oneof![
                Just(""),
                Just(" overrideMode=\"Allow\""),
                Just(" allowOverride=\"false\""),
                Just(" inheritInChildApplications=\"false\"")
            ],
            prop::collection::vec(arb_section(), 0..3)
        )
            .prop_map(|(p, a, s)| format!(
                "<location path=\"{}\"{a}>{}</location>",
                p.replace(['"', '&', '<'], ""),
                s.concat()
            )),
    ];
    prop::collection::vec(block, 0..6)
        .prop_map(|b| format!("<configuration>{}</configuration>", b.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn resolving_arbitrary_paths_never_panics(
        apphost_extra in arb_config(),
        web_root in arb_config(),
        web_sub in arb_config(),
        paths in prop::collection::vec(arb_path(), 1..6),
    ) {
        let apphost = IIS10_APPHOST.replacen(
            "</configuration>",
            &apphost_extra
                .trim_start_matches("<configuration>")
                .replace("</configuration>", "")
                .replace("<configuration>", ""),
            1,
        ) + "</configuration>";
        let mut s = Snapshot::new("p");
        s.files.push(file("C:\\a\\applicationHost.config", FileRole::ApplicationHost, &apphost));
        s.files.push(file(r"C:\inetpub\wwwroot\web.config", FileRole::WebConfig, &web_root));
        s.files.push(file(r"C:\inetpub\wwwroot\app\web.config", FileRole::WebConfig, &web_sub));
        let h = HostConfig::from_snapshot(&s);
        for p in &paths {
            for site in ["Default Web Site", "default web site", "nope", ""] {
                let _ = h.resolve_path(site, p);
                for sec in sections::AUTHENTICATION.iter().chain([sections::AUTHORIZATION, sections::ASPNET_AUTHORIZATION, sections::MODULES, "appSettings"].iter()) {
                    let e = h.effective(site, p, sec);
                    let _ = render_text(&e);
                }
            }
        }
        let _ = h.paths_to_evaluate("Default Web Site");
        let _ = h.issues();
    }

    #[test]
    fn mutated_real_config_never_panics(
        edits in prop::collection::vec((0usize..50_000, 0usize..40, "\\PC{0,12}"), 1..8),
    ) {
        // Random cut-and-insert edits of a real applicationHost.config and web.config.
        let mut text = format!("{EXPRESS_APPHOST}\0{IIS10_WEB}");
        for (at, cut, ins) in edits {
            let mut at = at % text.len().max(1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let mut end = (at + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, &ins);
        }
        fuzz_parse_config(text.as_bytes());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}", path in arb_path()) {
        let mut s = Snapshot::new("p");
        s.files.push(file("C:\\a\\applicationHost.config", FileRole::ApplicationHost, &text));
        s.files.push(file(r"C:\inetpub\wwwroot\web.config", FileRole::WebConfig, &format!("<configuration>{text}</configuration>")));
        let h = HostConfig::from_snapshot(&s);
        let _ = h.effective("Default Web Site", &path, sections::WINDOWS_AUTHENTICATION);
    }
}

// ----- fuzz corpus replay -----------------------------------------------------------------

#[test]
fn fuzz_corpus_replays_without_panic() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/parse_config");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz corpus directory") {
        let path = entry.unwrap().path();
        if path.is_file() {
            fuzz_parse_config(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 5, "seed corpus has {n} files");
}
