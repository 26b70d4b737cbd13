//! IPv6: literal addresses in the native and Ansible inventories connect (the simulator answers
//! on `[::1]` too); a closed IPv6 port is `unreachable`; a link-local address with a zone is
//! refused with a clear message.

use std::path::Path;
use std::process::{Command, Stdio};

use iis_sweep_sim::server::{serve, AuthMode, ServerConfig};
use serde_json::Value;

mod support;

const USER: &str = "scanner";
const PASSWORD: &str = "V6-Passw0rd-c3d";
const PASSWORD_ENV: &str = "IIS_SWEEP_V6_TEST_PASSWORD";

fn scan(inv: &Path, out: &Path) -> (Option<i32>, Value, String) {
    let o = Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--host-timeout", "20", "-i"])
        .arg(inv)
        .arg("--out")
        .arg(out)
        .env(PASSWORD_ENV, PASSWORD)
        .env("IIS_SWEEP_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let report = std::fs::read_to_string(out.join("report.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (o.status.code(), report, stderr)
}

fn status(report: &Value, name: &str) -> String {
    report["hosts"]
        .as_array()
        .unwrap_or_else(|| panic!("no report"))
        .iter()
        .find(|h| h["name"] == name)
        .map(|h| h["status"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{name} missing: {report:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_hosts_are_swept_from_every_inventory_format() {
    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    support::write_fleet_at(
        &fleet,
        &[("v6web", std::net::Ipv4Addr::new(127, 89, 0, 1), &[])],
    );
    let mut cfg = ServerConfig::new(&fleet, USER, PASSWORD);
    cfg.port = 0;
    cfg.auth = AuthMode::Ntlm;
    cfg.allow_unencrypted = false;
    cfg.ipv6_host = Some("v6web".into());
    let handle = serve(cfg).await.unwrap();
    let port = handle.port();
    let closed = std::net::TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let toml = dir.path().join("inv.toml");
    std::fs::write(
        &toml,
        format!(
            "[defaults]\nscheme = \"http\"\nauth = \"ntlm\"\nusername = \"{USER}\"\n\
             password_env = \"{PASSWORD_ENV}\"\n\n\
             [[host]]\nname = \"native\"\naddress = \"::1\"\nport = {port}\n\n\
             [[host]]\nname = \"bracketed\"\naddress = \"[::1]\"\nport = {port}\n\n\
             [[host]]\nname = \"closed\"\naddress = \"::1\"\nport = {closed}\n"
        ),
    )
    .unwrap();
    let (code, report, stderr) = scan(&toml, &dir.path().join("out-toml"));
    assert!(report.is_object(), "{stderr}");
    assert_eq!(status(&report, "native"), "ok", "{stderr}");
    assert_eq!(status(&report, "bracketed"), "ok", "{stderr}");
    assert_eq!(status(&report, "closed"), "unreachable", "{stderr}");
    assert_eq!(code, Some(3));
    let sources: Vec<&str> = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert!(
        sources.contains(&format!("http://[::1]:{port}/wsman").as_str()),
        "{sources:?}"
    );

    let ini = dir.path().join("inv.ini");
    std::fs::write(
        &ini,
        format!(
            "[web]\nv6ini ansible_host=::1 ansible_port={port}\n\n[web:vars]\n\
             ansible_connection=winrm\nansible_winrm_scheme=http\nansible_winrm_transport=ntlm\n\
             ansible_user={USER}\n"
        ),
    )
    .unwrap();
    let (code, report, stderr) = scan(&ini, &dir.path().join("out-ini"));
    assert!(report.is_object(), "{stderr}");
    assert_eq!(status(&report, "v6ini"), "ok", "{stderr}");
    assert_eq!(code.map(|c| c == 0 || c == 1), Some(true), "{stderr}");
    assert!(handle.host_stats("v6web").unwrap().requests > 0);
    handle.shutdown().await;
}

#[test]
fn a_zone_id_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.toml");
    std::fs::write(
        &inv,
        "[[host]]\nname = \"ll\"\naddress = \"fe80::1%eth0\"\n",
    )
    .unwrap();
    let o = Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--list-hosts", "-i"])
        .arg(&inv)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("zone") && err.contains("fe80::1%eth0"),
        "{err}"
    );
    assert!(err.contains("inv.toml"), "names the file: {err}");
}
