//! Inventory formats, `--limit` patterns and credential sources.
//!
//! Expected values for the Ansible formats were checked against ansible-core 2.19
//! (`ansible-inventory --list`, `ansible PATTERN --list-hosts`); `inventory/example-list.json`
//! is that command's output for `inventory/example.ini`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use iis_sweep::credentials::{
    CredentialError, CredentialRef, Credentials, NoPrompt, PasswordSource, Prompter,
    DEFAULT_PASSWORD_ENV,
};
use iis_sweep::inventory::{self, apply_limit, Format, Inventory, InventoryError, LimitError};
use iis_sweep::target::{credential_groups, AuthMethod, Delivery, Scheme, Target};
use secrecy::{ExposeSecret, SecretString};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("inventory")
        .join(name)
}

fn load_example(name: &str) -> Inventory {
    inventory::load(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Writes `text` to `dir/name` and loads it.
fn load_text(dir: &tempfile::TempDir, name: &str, text: &str) -> Result<Inventory, InventoryError> {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    inventory::load(&path)
}

fn load_ok(name: &str, text: &str) -> Inventory {
    let dir = tempfile::tempdir().unwrap();
    load_text(&dir, name, text).unwrap_or_else(|e| panic!("{e}"))
}

fn load_err(name: &str, text: &str) -> (InventoryError, String) {
    let dir = tempfile::tempdir().unwrap();
    let e = load_text(&dir, name, text).expect_err("should fail");
    let msg = e.to_string();
    (e, msg)
}

fn target<'a>(inv: &'a Inventory, name: &str) -> &'a Target {
    inv.targets
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no target {name}"))
}

fn names(targets: &[Target]) -> Vec<&str> {
    targets.iter().map(|t| t.name.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Native TOML
// ---------------------------------------------------------------------------------------------

#[test]
fn native_example_applies_defaults_groups_and_hosts_in_order() {
    let inv = load_example("example.toml");
    assert_eq!(inv.format, Format::Native);
    assert_eq!(inv.targets.len(), 8);

    let web01 = target(&inv, "web01.contoso.com");
    assert_eq!(web01.address, "web01.contoso.com");
    assert_eq!((web01.scheme, web01.port), (Scheme::Https, 5986));
    assert_eq!(web01.auth, AuthMethod::Ntlm);
    assert_eq!(web01.timeouts.host_timeout_secs, Some(300)); // web (child) over iis
    assert_eq!(web01.groups, ["iis", "web"]);
    assert_eq!(
        web01.credential.username.as_deref(),
        Some(r"CONTOSO\svc-iis-audit")
    );
    assert_eq!(
        web01.credential.password_env.as_deref(),
        Some("IIS_SWEEP_PASSWORD")
    );

    let web05 = target(&inv, "web05.contoso.com");
    assert_eq!(web05.address, "10.1.0.15");
    assert_eq!(web05.timeouts.host_timeout_secs, Some(900)); // host over groups

    let eu = target(&inv, "web-eu-a.contoso.com");
    assert_eq!(eu.groups, ["iis", "web", "web_eu"]);
    assert_eq!(eu.timeouts.host_timeout_secs, Some(300)); // inherited through web
    assert_eq!(
        eu.tls.ca_file.as_deref(),
        Some(Path::new("/etc/pki/contoso-eu-root.pem"))
    );

    let api = target(&inv, "api01.contoso.com");
    assert_eq!(api.auth, AuthMethod::Kerberos);
    assert_eq!(api.delivery, Delivery::Staged);
    assert_eq!(
        api.credential.username.as_deref(),
        Some("svc-iis-audit@CONTOSO.COM")
    );

    let legacy = target(&inv, "iis2012.contoso.com");
    assert_eq!((legacy.scheme, legacy.port), (Scheme::Http, 5985));
    assert_eq!(legacy.timeouts.connect_secs, 10);
    assert_eq!(legacy.timeouts.operation_secs, 60);

    let dmz = target(&inv, "dmz-web01");
    assert_eq!(
        dmz.credential.password_file.as_deref(),
        Some(example("secrets/dmz-password").as_path()),
        "relative paths are relative to the inventory file"
    );
    assert_eq!(dmz.tls.pin_sha256.as_ref().unwrap().len(), 64);
    assert_eq!(dmz.groups, ["dmz"]);

    let lab = target(&inv, "lab-web01");
    assert!(!lab.tls.verify);
    assert_eq!(lab.groups, ["ungrouped"]);
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.starts_with("lab-web01: ") && w.contains("DISABLED")));
}

#[test]
fn native_accepts_the_simulator_shape() {
    let inv = load_ok(
        "fleet-inventory.toml",
        r#"
[defaults]
port = 5985
scheme = "http"
auth = "ntlm"
username = "sim-admin"
password_env = "IIS_SWEEP_SIM_PASSWORD"

[[host]]
name = "sim-web-0001"
address = "127.1.0.1"

[[host]]
name = "sim-web-0002"
address = "127.1.0.2"
"#,
    );
    assert_eq!(names(&inv.targets), ["sim-web-0001", "sim-web-0002"]);
    let t = &inv.targets[1];
    assert_eq!(t.endpoint(), "http://127.1.0.2:5985/wsman");
    assert_eq!(t.credential.username.as_deref(), Some("sim-admin"));
    assert_eq!(t.credential.env_name(), "IIS_SWEEP_SIM_PASSWORD");
    assert_eq!(t.delivery, Delivery::Stdin);
    assert_eq!(credential_groups(&inv.targets).len(), 1);
}

#[test]
fn native_basic_over_http_needs_explicit_consent() {
    let text = |extra: &str| {
        format!(
            "[defaults]\nscheme = \"http\"\nauth = \"basic\"\nusername = \"a\"\n{extra}\n\
             [[host]]\nname = \"h\"\naddress = \"127.0.0.5\"\n"
        )
    };
    let (e, msg) = load_err("i.toml", &text(""));
    assert!(
        matches!(e, InventoryError::InvalidHost { line: Some(6), .. }),
        "{msg}"
    );
    assert!(msg.contains("allow_unencrypted_basic"), "{msg}");
    let inv = load_ok("i.toml", &text("allow_unencrypted_basic = true"));
    assert!(inv.targets[0].allow_unencrypted_basic);
    assert!(inv.warnings[0].contains("clear text"));
}

#[test]
fn native_errors_name_the_line() {
    // An unknown key.
    let (e, msg) = load_err("i.toml", "[defaults]\nauth = \"ntlm\"\nprot = 5986\n");
    assert_eq!(e.line(), Some(3), "{msg}");
    assert!(msg.contains("i.toml:3:"), "{msg}");
    // A plain-text password.
    let (e, msg) = load_err(
        "i.toml",
        "[[host]]\nname = \"a\"\n\n[[host]]\nname = \"b\"\npassword = \"hunter2-secret\"\n",
    );
    assert!(
        matches!(e, InventoryError::PlainTextPassword { line: Some(6), .. }),
        "{msg}"
    );
    assert!(!msg.contains("hunter2-secret"), "{msg}");
    assert!(
        msg.contains("host b") && msg.contains("environment variable"),
        "{msg}"
    );
    // An unsupported transport.
    let (e, msg) = load_err(
        "i.toml",
        "[defaults]\nauth = \"credssp\"\n[[host]]\nname = \"a\"\n",
    );
    assert!(
        matches!(
            e,
            InventoryError::UnsupportedTransport { line: Some(2), .. }
        ),
        "{msg}"
    );
    // A duplicate host.
    let (e, _) = load_err("i.toml", "[[host]]\nname = \"a\"\n[[host]]\nname = \"a\"\n");
    assert_eq!(e.line(), Some(3));
}

// ---------------------------------------------------------------------------------------------
// Ansible INI
// ---------------------------------------------------------------------------------------------

const EXAMPLE_HOSTS: [&str; 17] = [
    "iis-standalone.contoso.com",
    "web01.contoso.com",
    "web02.contoso.com",
    "web03.contoso.com",
    "web04.contoso.com",
    "web05.contoso.com",
    "web-eu-a.contoso.com",
    "web-eu-b.contoso.com",
    "web-eu-c.contoso.com",
    "api01.contoso.com",
    "api03.contoso.com",
    "api05.contoso.com",
    "api07.contoso.com",
    "api09.contoso.com",
    "iis2012.contoso.com",
    "lab-web01",
    "proxy01.contoso.com",
];

#[test]
fn ini_example_expands_ranges_and_applies_precedence() {
    let inv = load_example("example.ini");
    assert_eq!(inv.format, Format::AnsibleIni);
    // Everything but the ssh host, in file order.
    assert_eq!(names(&inv.targets), &EXAMPLE_HOSTS[..16]);
    assert_eq!(inv.skipped.len(), 1);
    assert_eq!(inv.skipped[0].name, "proxy01.contoso.com");
    assert!(inv.skipped[0].reason.contains("ansible_connection=ssh"));

    let standalone = target(&inv, "iis-standalone.contoso.com");
    assert_eq!(standalone.groups, ["ungrouped"]);
    assert_eq!(
        standalone.credential.username.as_deref(),
        Some(r"CONTOSO\svc-iis-audit"),
        "'…' in :vars is a Python literal: unquoted, unknown escapes kept"
    );
    assert_eq!(standalone.timeouts.host_timeout_secs, None);

    // all < iis (600) < web (300) < host (900); web_eu inherits web's.
    assert_eq!(
        target(&inv, "web01.contoso.com").timeouts.host_timeout_secs,
        Some(300)
    );
    assert_eq!(
        target(&inv, "web05.contoso.com").timeouts.host_timeout_secs,
        Some(900)
    );
    assert_eq!(target(&inv, "web05.contoso.com").address, "10.1.0.15");
    let eu = target(&inv, "web-eu-b.contoso.com");
    assert_eq!(eu.timeouts.host_timeout_secs, Some(300));
    assert_eq!(eu.groups, ["iis", "web", "web_eu"]);
    assert_eq!(
        eu.tls.ca_file.as_deref(),
        Some(Path::new("/etc/pki/contoso-eu-root.pem"))
    );

    let api = target(&inv, "api05.contoso.com");
    assert_eq!(api.auth, AuthMethod::Kerberos);
    assert_eq!(api.delivery, Delivery::Staged);
    assert_eq!(api.timeouts.host_timeout_secs, Some(600));

    let legacy = target(&inv, "iis2012.contoso.com");
    assert_eq!((legacy.scheme, legacy.port), (Scheme::Http, 5985));
    assert_eq!(legacy.timeouts.connect_secs, 10);

    let lab = target(&inv, "lab-web01");
    assert_eq!(lab.address, "192.0.2.10");
    assert!(
        !lab.tls.verify,
        "ansible_winrm_server_cert_validation=ignore"
    );
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.contains("lab-web01") && w.contains("DISABLED")));
}

#[test]
fn the_ansible_examples_describe_the_same_fleet() {
    fn key(t: &Target) -> String {
        format!("{t:?}")
    }
    let ini = load_example("example.ini");
    let yml = load_example("example.yml");
    let json = load_example("example-list.json");
    assert_eq!(yml.format, Format::AnsibleYaml);
    assert_eq!(json.format, Format::AnsibleJson);
    let dir = tempfile::tempdir().unwrap();
    let export = load_text(&dir, "export.json", EXAMPLE_EXPORT_JSON).unwrap();
    let mut expected: Vec<String> = ini.targets.iter().map(key).collect();
    expected.sort();
    for (label, inv) in [("yaml", &yml), ("json", &json), ("json --export", &export)] {
        let mut got: Vec<String> = inv.targets.iter().map(key).collect();
        got.sort();
        assert_eq!(got, expected, "{label}");
        assert_eq!(inv.skipped, ini.skipped, "{label}");
    }
    assert_eq!(
        names(&yml.targets),
        names(&ini.targets),
        "YAML keeps file order"
    );
}

/// `ansible-inventory -i inventory/example.ini --list --export` (ansible-core 2.19): group
/// variables stay in their groups instead of being merged into `_meta.hostvars`.
const EXAMPLE_EXPORT_JSON: &str = r#"{"_meta":{"hostvars":{"iis2012.contoso.com":{"ansible_port":5985},"lab-web01":{"ansible_host":"192.0.2.10","ansible_winrm_server_cert_validation":"ignore"},"proxy01.contoso.com":{"ansible_connection":"ssh"},"web05.contoso.com":{"ansible_host":"10.1.0.15","iis_sweep_host_timeout_secs":900}}},"all":{"children":["ungrouped","linux","iis"],"vars":{"ansible_connection":"winrm","ansible_user":"CONTOSO\\svc-iis-audit","ansible_winrm_transport":"ntlm"}},"api":{"hosts":["api01.contoso.com","api03.contoso.com","api05.contoso.com","api07.contoso.com","api09.contoso.com"],"vars":{"ansible_user":"svc-iis-audit@CONTOSO.COM","ansible_winrm_transport":"kerberos","iis_sweep_delivery":"staged"}},"iis":{"children":["web","api","legacy","lab"],"vars":{"iis_sweep_host_timeout_secs":600}},"lab":{"hosts":["lab-web01"]},"legacy":{"hosts":["iis2012.contoso.com"],"vars":{"iis_sweep_connect_timeout_secs":10}},"linux":{"hosts":["proxy01.contoso.com"],"vars":{"ansible_user":"root"}},"ungrouped":{"hosts":["iis-standalone.contoso.com"]},"web":{"children":["web_eu"],"hosts":["web01.contoso.com","web02.contoso.com","web03.contoso.com","web04.contoso.com","web05.contoso.com"],"vars":{"iis_sweep_host_timeout_secs":300}},"web_eu":{"hosts":["web-eu-a.contoso.com","web-eu-b.contoso.com","web-eu-c.contoso.com"],"vars":{"ansible_winrm_ca_trust_path":"/etc/pki/contoso-eu-root.pem"}}}"#;

#[test]
fn ini_ranges_numeric_padded_alpha_and_stride() {
    let inv = load_ok(
        "hosts",
        "[a]\nweb[08:11].x\n[b]\ndb-[a:c]\n[c]\nn[1:9:4]\nw[001:010:3]\n[d]\nm[8:10]\n",
    );
    assert_eq!(
        names(&inv.targets),
        [
            "web08.x", "web09.x", "web10.x", "web11.x", "db-a", "db-b", "db-c", "n1", "n5", "n9",
            "w001", "w004", "w007", "w010", "m8", "m9", "m10"
        ]
    );
}

#[test]
fn ini_vars_precedence_matches_ansible() {
    // Checked with ansible-inventory: h1 300, h2 400, h3 300, h4 100, h5 999.
    let inv = load_ok(
        "prec.ini",
        "h4\n[a]\nh1\nh2\n[b]\nh1\nh2\nh3\nh5 iis_sweep_host_timeout_secs=999\n[c]\nh2\n\
         [a:children]\nc\n[all:vars]\niis_sweep_host_timeout_secs=100\n\
         iis_sweep_connect_timeout_secs=5\n[a:vars]\niis_sweep_host_timeout_secs=200\n\
         [b:vars]\niis_sweep_host_timeout_secs=300\n[c:vars]\niis_sweep_host_timeout_secs=400\n",
    );
    let got: Vec<(&str, Option<u64>)> = inv
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.timeouts.host_timeout_secs))
        .collect();
    assert_eq!(
        got,
        [
            ("h4", Some(100)),
            ("h1", Some(300)), // siblings a and b: the later name wins
            ("h2", Some(400)), // c is a child of a: deeper wins
            ("h3", Some(300)),
            ("h5", Some(999)), // host wins
        ]
    );
    assert!(inv.targets.iter().all(|t| t.timeouts.connect_secs == 5));
    assert_eq!(target(&inv, "h2").groups, ["a", "b", "c"]);
}

#[test]
fn ini_inline_values_are_unquoted_like_ansible() {
    let inv = load_ok(
        "q.ini",
        "[w]\n\
         h1 ansible_user='CONTOSO\\svc' ansible_port=5985 # a comment\n\
         h2 ansible_user=\"CONTOSO\\\\svc\" ansible_winrm_scheme=http\n\
         h3:5990 ansible_winrm_scheme=https ansible_user=\"a b\"\n",
    );
    let h1 = target(&inv, "h1");
    assert_eq!(h1.credential.username.as_deref(), Some(r"CONTOSO\svc"));
    assert_eq!((h1.scheme, h1.port), (Scheme::Http, 5985));
    let h2 = target(&inv, "h2");
    assert_eq!(h2.credential.username.as_deref(), Some(r"CONTOSO\svc"));
    assert_eq!((h2.scheme, h2.port), (Scheme::Http, 5985));
    let h3 = target(&inv, "h3");
    assert_eq!((h3.scheme, h3.port), (Scheme::Https, 5990));
    assert_eq!(h3.credential.username.as_deref(), Some("a b"));
}

#[test]
fn ini_bad_lines_name_file_and_line() {
    let cases: [(&str, usize, &str); 8] = [
        ("[web]\nweb01\n[web servers]\n", 3, "invalid section header"),
        ("[web]\nweb01 ansible_port\n", 2, "expected key=value"),
        (
            "[web]\n\nweb01 ansible_user='x\n",
            3,
            "no closing quotation",
        ),
        ("[web]\nweb[05:1]\n", 2, "begin is after end"),
        (
            "[web]\nweb01\n[web:vars]\nno equals here\n",
            4,
            "expected key=value",
        ),
        ("[web]\nweb01\n[web:other]\n", 3, "unknown type"),
        ("[web]\nweb01\n[db:vars]\nx=1\n", 3, "declares"),
        ("[web:children]\ndb\n", 2, "declares"),
    ];
    for (text, line, what) in cases {
        let (e, msg) = load_err("bad.ini", text);
        assert_eq!(e.line(), Some(line), "{text:?}: {msg}");
        assert!(msg.contains(&format!("bad.ini:{line}:")), "{msg}");
        assert!(msg.contains(what), "{text:?}: {msg}");
    }
}

#[test]
fn ini_plain_text_password_is_refused_without_echoing_it() {
    let (e, msg) = load_err(
        "p.ini",
        "[web]\nweb01\n[web:vars]\nansible_user=svc\nansible_password=Sup3rS3cret!\n",
    );
    assert!(
        matches!(e, InventoryError::PlainTextPassword { line: Some(5), .. }),
        "{msg}"
    );
    assert!(
        msg.contains("p.ini:5:") && msg.contains("ansible_password"),
        "{msg}"
    );
    assert!(
        msg.contains("IIS_SWEEP_PASSWORD") && msg.contains("chmod 600"),
        "{msg}"
    );
    assert!(!msg.contains("Sup3rS3cret"), "{msg}");
    assert!(!format!("{e:?}").contains("Sup3rS3cret"));

    let (_, msg) = load_err("p.ini", "[web]\nweb01 ansible_winrm_password=hunter2\n");
    assert!(
        msg.contains("p.ini:2:") && !msg.contains("hunter2"),
        "{msg}"
    );

    // Set in a group: the message names the group and the host that would use it.
    let (_, msg) = load_err("p.ini", "[web]\nweb01\n[web:vars]\nansible_pass=pw-77\n");
    assert!(
        msg.contains("p.ini:4: group web (for host web01) sets ansible_pass"),
        "{msg}"
    );

    // Only hosts the sweep would contact matter: a plain-text ssh password is not ours.
    let inv = load_ok(
        "mixed.ini",
        "[linux]\nproxy ansible_connection=ssh ansible_password=ssh-pw\n[win]\nweb01\n",
    );
    assert_eq!(names(&inv.targets), ["web01"]);

    // A template is not a plain-text secret: warned about and ignored.
    let inv = load_ok("t.ini", "[web]\nweb01 ansible_password='{{ vault_pw }}'\n");
    assert!(inv.warnings.iter().any(|w| w.contains("template")));
}

#[test]
fn vault_values_are_refused_with_file_and_line() {
    let ini = "[web]\nweb01\n[web:vars]\nansible_become_pass=$ANSIBLE_VAULT;1.1;AES256\n";
    let (e, msg) = load_err("v.ini", ini);
    assert!(matches!(e, InventoryError::Vault { line: 4, .. }), "{msg}");
    assert!(
        msg.contains("v.ini:4:") && msg.contains("does not decrypt"),
        "{msg}"
    );

    let yml = "all:\n  hosts:\n    web01:\n      ansible_user: !vault |\n          \
               $ANSIBLE_VAULT;1.1;AES256\n          6162636465\n";
    let (e, msg) = load_err("v.yml", yml);
    assert!(matches!(e, InventoryError::Vault { line: 4, .. }), "{msg}");
    assert!(!msg.contains("6162636465"), "{msg}");

    let json = "{\n  \"_meta\": {\"hostvars\": {\"web01\": {\n    \"ansible_user\": \
                {\"__ansible_vault\": \"$ANSIBLE_VAULT;1.1;AES256\\n6162\"}}}},\n  \
                \"all\": {\"hosts\": [\"web01\"]}\n}\n";
    let (e, msg) = load_err("v.json", json);
    assert!(matches!(e, InventoryError::Vault { line: 3, .. }), "{msg}");

    // A vaulted password is ignored like a templated one (the password never comes from an
    // inventory), with a warning; nothing of it is shown.
    let yml = "all:\n  hosts:\n    web01:\n      ansible_password: !vault |\n          \
               $ANSIBLE_VAULT;1.1;AES256\n          6162636465\n";
    let inv = load_ok("p.yml", yml);
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.contains("Ansible Vault") && !w.contains("6162")),
        "{:?}",
        inv.warnings
    );

    let toml = "[defaults]\nusername = \"a\"\npassword_env = \"$ANSIBLE_VAULT;1.1;AES256\"\n";
    let (e, _) = load_err("v.toml", toml);
    assert!(matches!(e, InventoryError::Vault { line: 3, .. }));

    // A commented-out vault line is no value.
    load_ok(
        "c.ini",
        "# ansible_password=$ANSIBLE_VAULT;1.1;AES256\n[web]\nweb01\n",
    );
}

#[test]
fn transports() {
    let (e, msg) = load_err(
        "t.ini",
        "[web]\nweb01\n[web:vars]\nansible_winrm_transport=credssp\n",
    );
    assert!(
        matches!(
            e,
            InventoryError::UnsupportedTransport { line: Some(4), .. }
        ),
        "{msg}"
    );
    assert!(msg.contains("credssp is not supported"), "{msg}");
    let (e, msg) = load_err("t.ini", "[web]\nweb01 ansible_winrm_transport=digest\n");
    assert!(
        matches!(
            e,
            InventoryError::UnsupportedTransport { line: Some(2), .. }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("host web01") && msg.contains("unknown WinRM transport"),
        "{msg}"
    );

    let inv = load_ok(
        "t.ini",
        "[w]\na ansible_winrm_transport=basic\nb ansible_winrm_transport=kerberos\n\
         c ansible_winrm_transport=ntlm,kerberos\n\
         d ansible_winrm_transport=certificate ansible_winrm_cert_pem=/c.pem \
         ansible_winrm_cert_key_pem=/k.pem\n\
         e ansible_winrm_transport=plaintext ansible_port=5985 \
         ansible_winrm_message_encryption=never\n",
    );
    let auth: Vec<AuthMethod> = inv.targets.iter().map(|t| t.auth).collect();
    use AuthMethod::*;
    assert_eq!(auth, [Basic, Kerberos, Ntlm, Certificate, Basic]);
    assert_eq!(
        inv.targets[3].credential.client_key.as_deref(),
        Some(Path::new("/k.pem"))
    );
    assert!(inv.targets[4].allow_unencrypted_basic);
    assert!(inv.warnings.iter().any(|w| w.contains("only the first")));
}

#[test]
fn non_winrm_hosts_are_skipped_and_an_inventory_of_none_is_an_error() {
    let (e, msg) = load_err(
        "s.ini",
        "[linux]\na ansible_connection=ssh\nb ansible_connection=local\n",
    );
    assert!(
        matches!(e, InventoryError::NoHosts { skipped: 2, .. }),
        "{msg}"
    );
    assert!(msg.contains("2 non-WinRM hosts skipped"), "{msg}");
}

#[test]
fn missing_file_names_the_path() {
    let e = inventory::load(Path::new("/nonexistent/dir/fleet.ini")).unwrap_err();
    assert!(matches!(e, InventoryError::Read { .. }));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/dir/fleet.ini: cannot read"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Ansible YAML and JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn yaml_nested_children_and_errors_with_lines() {
    let inv = load_ok(
        "n.yaml",
        "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            \
         c:\n              hosts:\n                deep[1:2]:\n                  \
         ansible_port: 5985\n      vars:\n        iis_sweep_delivery: staged\n",
    );
    assert_eq!(names(&inv.targets), ["deep1", "deep2"]);
    let t = &inv.targets[0];
    assert_eq!(t.groups, ["a", "b", "c"]);
    assert_eq!((t.scheme, t.port), (Scheme::Http, 5985));
    assert_eq!(t.delivery, Delivery::Staged);

    let (e, msg) = load_err(
        "bad.yml",
        "all:\n  hosts:\n    web01:\n  host:\n    web02:\n",
    );
    assert_eq!(e.line(), Some(4), "{msg}");
    let (e, msg) = load_err(
        "p.yml",
        "all:\n  hosts:\n    web01:\n      ansible_user: a\n      ansible_password: pw-123\n",
    );
    assert!(
        matches!(e, InventoryError::PlainTextPassword { line: Some(5), .. }),
        "{msg}"
    );
    assert!(!msg.contains("pw-123"));
    let (e, msg) = load_err(
        "t.yml",
        "all:\n  vars:\n    ansible_winrm_transport: credssp\n  hosts:\n    web01:\n",
    );
    assert!(
        matches!(
            e,
            InventoryError::UnsupportedTransport { line: Some(3), .. }
        ),
        "{msg}"
    );
}

#[test]
fn json_password_line_is_found() {
    let json =
        "{\n \"_meta\": {\"hostvars\": {\"h\": {\n  \"ansible_password\": \"zz-secret\"}}},\n \
                \"all\": {\"hosts\": [\"h\"]}\n}\n";
    let (e, msg) = load_err("p.json", json);
    assert!(
        matches!(e, InventoryError::PlainTextPassword { line: Some(3), .. }),
        "{msg}"
    );
    assert!(!msg.contains("zz-secret"));
}

// ---------------------------------------------------------------------------------------------
// --limit
// ---------------------------------------------------------------------------------------------

#[test]
fn limit_patterns_match_ansible() {
    // Expected lists from `ansible -i inventory/example.ini PATTERN --list-hosts`, minus the
    // ssh host the sweep skips.
    let inv = load_example("example.ini");
    let web: Vec<&str> = EXAMPLE_HOSTS[1..9].to_vec();
    let api: Vec<&str> = EXAMPLE_HOSTS[9..14].to_vec();
    let limit = |p: &str| {
        apply_limit(&inv, p)
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(limit("all").len(), 16);
    assert_eq!(limit("*").len(), 16);
    assert_eq!(limit("web"), web);
    assert_eq!(limit("web*"), web);
    assert_eq!(limit("web:!web_eu"), &web[..5]);
    assert_eq!(limit("web,!web_eu"), &web[..5]);
    assert_eq!(
        limit("!web_eu:web"),
        &web[..5],
        "order of terms does not matter"
    );
    assert_eq!(limit("iis:&web_eu"), &web[5..]);
    assert_eq!(limit("*.contoso.com:&api"), api);
    assert_eq!(
        limit("~^api0[13]"),
        ["api01.contoso.com", "api03.contoso.com"]
    );
    assert_eq!(limit(r"~api\d+"), api);
    assert_eq!(limit("api,legacy").len(), 6);
    assert_eq!(limit("api:legacy").len(), 6);
    assert_eq!(limit("lab-web01"), ["lab-web01"]);
    assert_eq!(limit("web0?.contoso.com").len(), 5);
    assert_eq!(limit("!iis"), ["iis-standalone.contoso.com"]);
    assert_eq!(limit("all:!iis"), ["iis-standalone.contoso.com"]);
    assert_eq!(limit("ungrouped"), ["iis-standalone.contoso.com"]);
    assert_eq!(limit("web[0]"), ["web01.contoso.com"]);
    assert_eq!(
        limit("web[1:2]"),
        ["web02.contoso.com", "web03.contoso.com"]
    );
    assert_eq!(limit("web[-1]"), ["web-eu-c.contoso.com"]);
    assert_eq!(
        limit("nomatch,lab"),
        ["lab-web01"],
        "unmatched terms are ignored"
    );

    assert!(matches!(
        apply_limit(&inv, "nomatch"),
        Err(LimitError::NoHosts { .. })
    ));
    assert!(matches!(
        apply_limit(&inv, "web:&api"),
        Err(LimitError::NoHosts { .. })
    ));
    assert!(matches!(
        apply_limit(&inv, "~web(["),
        Err(LimitError::Invalid { .. })
    ));
    assert!(matches!(
        apply_limit(&inv, "web[99]"),
        Err(LimitError::Invalid { .. })
    ));
    assert!(matches!(
        apply_limit(&inv, " , "),
        Err(LimitError::Invalid { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Client groups
// ---------------------------------------------------------------------------------------------

#[test]
fn credential_groups_split_on_everything_a_client_is_configured_with() {
    let inv = load_example("example.ini");
    let groups = credential_groups(&inv.targets);
    let sizes: Vec<(usize, &str)> = groups
        .iter()
        .map(|g| (g.targets.len(), g.targets[0].name.as_str()))
        .collect();
    assert_eq!(
        sizes,
        [
            (6, "iis-standalone.contoso.com"), // + web01-05: same user, ntlm, https
            (3, "web-eu-a.contoso.com"),       // own CA
            (5, "api01.contoso.com"),          // kerberos, other user
            (1, "iis2012.contoso.com"),        // http, 5985, connect timeout
            (1, "lab-web01"),                  // certificate not verified
        ]
    );
    // The deadline and delivery are per call, not per client.
    assert!(groups[0]
        .targets
        .iter()
        .any(|t| t.timeouts.host_timeout_secs == Some(900)));
    let total: usize = groups.iter().map(|g| g.targets.len()).sum();
    assert_eq!(total, inv.targets.len());
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

const SECRET: &str = "c0rrect-H0rse-Battery-Staple";

fn cred(username: &str) -> CredentialRef {
    CredentialRef {
        username: Some(username.into()),
        ..Default::default()
    }
}

#[test]
fn password_from_the_named_environment_variable() {
    let var = "IIS_SWEEP_TEST_PASSWORD_FROM_ENV";
    std::env::set_var(var, SECRET);
    let r = CredentialRef {
        password_env: Some(var.into()),
        ..cred(r"CONTOSO\svc")
    };
    let c = r.resolve(&mut NoPrompt).unwrap();
    std::env::remove_var(var);
    assert_eq!(c.password.expose_secret(), SECRET);
    assert_eq!(c.source, PasswordSource::Env(var.into()));
    assert_eq!(c.domain_and_user(), (Some("CONTOSO"), "svc"));
}

#[test]
fn password_file_0600_is_accepted_and_0644_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pw");
    std::fs::write(&path, format!("{SECRET}\r\nsecond line ignored\n")).unwrap();
    let r = CredentialRef {
        password_file: Some(path.clone()),
        // The file wins over the environment.
        password_env: Some("PATH".into()),
        ..cred("svc")
    };

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let c = r.resolve(&mut NoPrompt).unwrap();
    assert_eq!(c.password.expose_secret(), SECRET);
    assert_eq!(c.source, PasswordSource::File(path.clone()));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = r.resolve(&mut NoPrompt).unwrap_err();
    assert!(matches!(
        e,
        CredentialError::FileTooOpen { mode: 0o644, .. }
    ));
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("chmod 600 {}", path.display())),
        "{msg}"
    );
    assert!(!msg.contains(SECRET) && !format!("{e:?}").contains(SECRET));

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(matches!(
        r.resolve(&mut NoPrompt),
        Err(CredentialError::FileTooOpen { mode: 0o640, .. })
    ));
}

#[test]
fn vault_in_a_password_file_or_variable_is_refused_without_echoing_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vaulted");
    let payload = "$ANSIBLE_VAULT;1.1;AES256\n3961643533613064643865";
    std::fs::write(&path, payload).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = CredentialRef {
        password_file: Some(path),
        ..cred("svc")
    };
    let e = r.resolve(&mut NoPrompt).unwrap_err();
    assert!(matches!(e, CredentialError::Vault { .. }));
    let text = format!("{e} {e:?}");
    assert!(text.contains("does not decrypt"));
    assert!(!text.contains("3961643533613064643865"), "{text}");

    let env = |_: &str| Some(OsString::from(payload));
    let e = cred("svc").resolve_with(&env, &mut NoPrompt).unwrap_err();
    assert!(e.to_string().contains(DEFAULT_PASSWORD_ENV));
    assert!(!format!("{e} {e:?}").contains("3961643533613064643865"));
}

#[test]
fn without_a_terminal_the_error_names_every_option() {
    let r = CredentialRef {
        password_env: Some("IIS_SWEEP_TEST_SURELY_UNSET_7F3A".into()),
        ..cred("svc")
    };
    let e = r.resolve(&mut NoPrompt).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, CredentialError::NoPassword { .. }));
    for needle in [
        "IIS_SWEEP_TEST_SURELY_UNSET_7F3A",
        "password_file",
        "chmod 600",
        "terminal",
    ] {
        assert!(msg.contains(needle), "{needle}: {msg}");
    }
    // The real terminal prompter refuses too when stdin is not a terminal (as under CI).
    let e = cred("").resolve(&mut NoPrompt).unwrap_err();
    assert!(matches!(e, CredentialError::NoUsername));
}

#[test]
fn the_prompt_is_used_when_interactive() {
    struct Typed;
    impl Prompter for Typed {
        fn is_interactive(&self) -> bool {
            true
        }
        fn prompt_password(&mut self, prompt: &str) -> std::io::Result<SecretString> {
            assert_eq!(prompt, r"Password for CONTOSO\svc: ");
            Ok(SecretString::from(SECRET))
        }
    }
    let c = cred(r"CONTOSO\svc")
        .resolve_with(&|_| None, &mut Typed)
        .unwrap();
    assert_eq!(c.password.expose_secret(), SECRET);
    assert_eq!(c.source, PasswordSource::Prompt);
}

#[test]
fn the_password_never_appears_in_debug_or_display() {
    let c = Credentials {
        username: "x".into(),
        password: SecretString::from(SECRET),
        source: PasswordSource::Env("V".into()),
    };
    assert_eq!(
        format!("{c:?}"),
        r#"Credentials { username: "x", password: "[redacted]" }"#
    );
    assert_eq!(format!("{c:#?}").matches(SECRET).count(), 0);
    assert_eq!(c.to_string(), "x (password from environment variable V)");
    let r = CredentialRef {
        password_env: Some("V".into()),
        ..cred("x")
    };
    assert_eq!(r.to_string(), "x (password from $V or prompt)");
}

/// Loading is linear: a 20,000-host TOML inventory (the old line counting was quadratic) loads,
/// every host with its line numbers right, and a total host cap applies to every format.
#[test]
fn large_inventories_load_and_the_host_cap_applies_to_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("[defaults]\nusername = \"svc\"\n\n");
    let mut ini = String::from("[web]\n");
    for i in 0..20_000 {
        toml.push_str(&format!(
            "[[host]]\nname = \"web{i:05}\"\naddress = \"10.0.{}.{}\"\n\n",
            i / 250,
            i % 250
        ));
        ini.push_str(&format!(
            "web{i:05} ansible_host=10.1.{}.{}\n",
            i / 250,
            i % 250
        ));
    }
    // A mistake on the last host is reported on its own line.
    toml.push_str("[[host]]\nname = \"bad\"\nport = 0\n");
    let t = dir.path().join("big.toml");
    std::fs::write(&t, &toml).unwrap();
    let err = inventory::load(&t).unwrap_err();
    let last_line = toml.lines().count();
    assert!(
        matches!(err.line(), Some(l) if l + 2 >= last_line && l <= last_line),
        "{err} (file has {last_line} lines)"
    );
    std::fs::write(&t, toml.rsplit_once("[[host]]\nname = \"bad\"").unwrap().0).unwrap();
    assert_eq!(inventory::load(&t).unwrap().targets.len(), 20_000);
    let i = dir.path().join("big.ini");
    std::fs::write(&i, &ini).unwrap();
    assert_eq!(inventory::load(&i).unwrap().targets.len(), 20_000);
    // The cap, lowered for the test, applies to both formats and says what to do.
    for f in [&t, &i] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
            .args(["scan", "--list-hosts", "-i"])
            .arg(f)
            .env("IIS_SWEEP_MAX_HOSTS", "1000")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("20000 hosts") && err.contains("--shard"),
            "{err}"
        );
    }
}

#[test]
fn a_vaulted_variable_of_a_skipped_ssh_host_does_not_reject_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("hosts.yml");
    std::fs::write(
        &inv,
        "all:\n  children:\n    web:\n      hosts:\n        web01:\n          ansible_host: 10.0.0.1\n          ansible_connection: winrm\n          ansible_port: !!int \"5985\"\n        lin01:\n          ansible_host: 10.0.0.9\n          ansible_connection: ssh\n          ansible_become_password: !vault |\n            $ANSIBLE_VAULT;1.1;AES256\n            62313365396662343061393464336163383764373764613633653634306231386433626436623361\n",
    )
    .unwrap();
    let a = assert_cmd::Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "--list-hosts", "--json", "--inventory"])
        .arg(&inv)
        .assert()
        .success();
    let hosts: serde_json::Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    let names: Vec<&str> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web01"]);
    assert_eq!(hosts[0]["port"], 5985);
    // The same variable on the WinRM host is refused, with its line.
    let swept = std::fs::read_to_string(&inv)
        .unwrap()
        .replace("ansible_connection: ssh", "ansible_connection: winrm");
    std::fs::write(&inv, swept).unwrap();
    let a = assert_cmd::Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "--list-hosts", "--inventory"])
        .arg(&inv)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(stderr.contains("Ansible Vault"), "{stderr}");
    assert!(stderr.contains("hosts.yml:1"), "{stderr}");
}

#[test]
fn repeated_inventories_are_swept_as_one_and_a_host_in_two_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("web.ini");
    let b = dir.path().join("app.yml");
    std::fs::write(
        &a,
        "[web]\nweb01 ansible_host=10.0.0.1\nweb02 ansible_host=10.0.0.2\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "all:\n  children:\n    app:\n      hosts:\n        app01:\n          ansible_host: 10.0.1.1\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "--list-hosts", "--json", "--limit", "web:app", "-i"])
        .arg(&a)
        .arg("-i")
        .arg(&b)
        .assert()
        .success();
    let hosts: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let names: Vec<&str> = hosts
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web01", "web02", "app01"]);
    // Where iis-sweep's default transport differs from Ansible's, the listing says so.
    let text = assert_cmd::Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "--list-hosts", "-i"])
        .arg(&a)
        .assert()
        .success();
    let text = String::from_utf8_lossy(&text.get_output().stdout).to_string();
    assert!(text.contains("Ansible would use basic"), "{text}");
    std::fs::write(
        &b,
        "all:\n  hosts:\n    WEB01:\n      ansible_host: 10.0.1.1\n",
    )
    .unwrap();
    let out = assert_cmd::Command::cargo_bin("iis-sweep")
        .unwrap()
        .args(["scan", "--list-hosts", "-i"])
        .arg(&a)
        .arg("-i")
        .arg(&b)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.contains("app.yml") && stderr.contains("web.ini"),
        "{stderr}"
    );
    assert!(stderr.contains("also listed"), "{stderr}");
}

/// An Ansible inventory directory: every file is a source (INI without extension, YAML), the
/// directory's group_vars/ and host_vars/ (files and folders of files) override the inventory's
/// variables with Ansible's precedence, ignored extensions and scripts are skipped with a
/// warning, and errors in a vars file name that file and line.
#[test]
fn an_inventory_directory_with_group_vars_and_host_vars() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |rel: &str, text: &str| {
        let p = d.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    // INI inventory without an extension (Ansible ignores *.ini in a directory).
    w(
        "hosts",
        "[web]\nweb01.contoso.com\nweb02.contoso.com ansible_port=5986\n[web:vars]\nansible_winrm_transport=ntlm\n",
    );
    w(
        "dmz.yml",
        "all:\n  children:\n    dmz:\n      hosts:\n        dmz01.contoso.com:\n",
    );
    w("old.ini", "[web]\nstale01\n");
    w("README.md", "# notes\n");
    w(
        "group_vars/all.yml",
        "ansible_user: svc-iis@CONTOSO.COM\nansible_port: 5985\n",
    );
    w(
        "group_vars/web/main.yml",
        "ansible_winrm_transport: kerberos\n",
    );
    // The vault file Ansible users keep beside: the password is ignored, not refused.
    w(
        "group_vars/web/vault.yml",
        "ansible_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162636465\n",
    );
    w(
        "group_vars/dmz",
        "ansible_winrm_transport: ntlm\nansible_user: CONTOSO\\dmzscan\n",
    );
    w("group_vars/nosuchgroup.yml", "ansible_port: 1\n");
    w(
        "host_vars/web02.contoso.com.yml",
        "ansible_winrm_scheme: https\n",
    );

    let inv = iis_sweep::inventory::load(d).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        names(&inv.targets),
        [
            "dmz01.contoso.com",
            "web01.contoso.com",
            "web02.contoso.com"
        ]
    );
    let web01 = target(&inv, "web01.contoso.com");
    assert_eq!(
        web01.auth,
        AuthMethod::Kerberos,
        "group_vars/web/ over [web:vars]"
    );
    assert_eq!(web01.port, 5985, "group_vars/all.yml");
    let web02 = target(&inv, "web02.contoso.com");
    assert_eq!(web02.port, 5986, "the host's own variable beats group_vars");
    assert_eq!(web02.scheme, Scheme::Https, "host_vars");
    let dmz = target(&inv, "dmz01.contoso.com");
    assert_eq!(dmz.auth, AuthMethod::Ntlm, "group_vars/dmz (no extension)");
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.contains("old.ini") && w.contains("README.md")));
    assert!(inv.warnings.iter().any(|w| w.contains("Ansible Vault")));

    // The same group_vars apply to a file inventory in that directory.
    let one = iis_sweep::inventory::load(&d.join("hosts")).unwrap();
    assert_eq!(target(&one, "web01.contoso.com").auth, AuthMethod::Kerberos);

    // A plain-text password in a vars file is refused naming that file and line.
    w(
        "host_vars/web01.contoso.com",
        "ansible_port: 5985\nansible_password: hunter2\n",
    );
    let e = iis_sweep::inventory::load(d).expect_err("plain-text password");
    let msg = e.to_string();
    assert!(
        msg.contains("host_vars/web01.contoso.com:2") && !msg.contains("hunter2"),
        "{msg}"
    );
    // A broken vars file names itself.
    w("host_vars/web01.contoso.com", "ansible_port: [5985\n");
    let msg = iis_sweep::inventory::load(d)
        .expect_err("broken YAML")
        .to_string();
    assert!(msg.contains("host_vars/web01.contoso.com"), "{msg}");
}
