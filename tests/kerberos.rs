//! Kerberos end to end against a real MIT KDC: a throwaway realm on loopback (its own krb5.conf,
//! kdc.conf, database and keytab in a temporary folder), a user with a ticket from `kinit`, and
//! `HTTP/<address>` service principals for simulated hosts that accept Kerberos with that keytab
//! and seal messages with the Kerberos session key. The sweep goes through the real binary, the
//! real client (winrm-rs with GSSAPI) and the real protocol. When the KDC cannot be started this
//! test fails: it is never skipped (`.ci/run` installs krb5-kdc, krb5-admin-server, krb5-user).

#![cfg(feature = "kerberos")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use iis_sweep_sim::server::{serve, AuthMode, ServerConfig, ServerHandle};
use serde_json::Value;

mod support;

const REALM: &str = "SWEEP.TEST";
const USER: &str = "scanner";
const USER_PASSWORD: &str = "Kdc-User-Pass-5e1";

/// The Debian locations first, then the PATH.
fn tool(name: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p;
        }
    }
    PathBuf::from(name)
}

struct Kdc {
    dir: tempfile::TempDir,
    process: Child,
    port: u16,
}

impl Drop for Kdc {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Kdc {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn krb5_conf(&self) -> PathBuf {
        self.path("krb5.conf")
    }

    fn ccache(&self) -> PathBuf {
        self.path("ccache")
    }

    fn keytab(&self) -> PathBuf {
        self.path("http.keytab")
    }

    fn run(&self, program: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = Command::new(tool(program));
        cmd.args(args)
            .env("KRB5_CONFIG", self.krb5_conf())
            .env("KRB5_KDC_PROFILE", self.path("kdc.conf"))
            .env("KRB5CCNAME", format!("FILE:{}", self.ccache().display()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "{program} cannot run ({e}): apt-get install krb5-kdc krb5-admin-server krb5-user"
            )
        });
        if let Some(text) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    }

    fn admin(&self, query: &str) {
        let out = self.run("kadmin.local", &["-r", REALM, "-q", query], None);
        assert!(
            out.status.success(),
            "kadmin.local -q {query:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A realm with the user and one `HTTP/<ip>` principal per address, the keytab holding them.
    fn start(service_addresses: &[&str]) -> Kdc {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let d = dir.path().display().to_string();
        std::fs::write(
            dir.path().join("krb5.conf"),
            format!(
                "[libdefaults]\n default_realm = {REALM}\n dns_lookup_kdc = false\n \
                 dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n \
                 udp_preference_limit = 1\n\n[realms]\n {REALM} = {{\n  kdc = 127.0.0.1:{port}\n }}\n"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("kdc.conf"),
            format!(
                "[kdcdefaults]\n kdc_ports = {port}\n kdc_tcp_ports = {port}\n\n[realms]\n {REALM} = {{\n  \
                 database_name = {d}/principal\n  key_stash_file = {d}/stash\n  acl_file = {d}/kadm5.acl\n  \
                 supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal\n  \
                 max_life = 1h\n }}\n\n[logging]\n kdc = FILE:{d}/kdc.log\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join("kadm5.acl"), "").unwrap();
        let mut kdc = Kdc {
            dir,
            // Replaced below once the database exists.
            process: Command::new("true").spawn().unwrap(),
            port,
        };
        let out = kdc.run(
            "kdb5_util",
            &["create", "-s", "-r", REALM, "-P", "master-key-for-tests"],
            None,
        );
        assert!(
            out.status.success(),
            "kdb5_util create: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // As in Active Directory: pre-authentication required, so a wrong password is a failed logon.
        kdc.admin(&format!(
            "addprinc +requires_preauth -pw {USER_PASSWORD} {USER}@{REALM}"
        ));
        for a in service_addresses {
            kdc.admin(&format!("addprinc -randkey HTTP/{a}@{REALM}"));
            kdc.admin(&format!(
                "ktadd -k {} HTTP/{a}@{REALM}",
                kdc.keytab().display()
            ));
        }
        let _ = kdc.process.wait();
        kdc.process = Command::new(tool("krb5kdc"))
            .args(["-n", "-r", REALM])
            .env("KRB5_CONFIG", kdc.krb5_conf())
            .env("KRB5_KDC_PROFILE", kdc.path("kdc.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("krb5kdc cannot run: apt-get install krb5-kdc");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the KDC did not listen on 127.0.0.1:{port}: {}",
                std::fs::read_to_string(kdc.path("kdc.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        kdc
    }

    fn kinit(&self, password: &str) -> std::process::Output {
        self.run(
            "kinit",
            &[&format!("{USER}@{REALM}")],
            Some(&format!("{password}\n")),
        )
    }
}

async fn simulator(fleet: &Path) -> ServerHandle {
    let mut cfg = ServerConfig::new(fleet, USER, "unused-ntlm-password");
    cfg.port = 0;
    cfg.auth = AuthMode::Ntlm;
    cfg.allow_unencrypted = false;
    cfg.kerberos = true;
    serve(cfg).await.unwrap()
}

fn inventory(dir: &Path, handle: &ServerHandle) -> PathBuf {
    let mut text = format!(
        "[defaults]\nport = {}\nscheme = \"http\"\nauth = \"kerberos\"\nusername = \"{USER}@{REALM}\"\n\n",
        handle.port()
    );
    for (name, ip) in handle.hosts() {
        text.push_str(&format!(
            "[[host]]\nname = \"{name}\"\naddress = \"{ip}\"\n\n"
        ));
    }
    let p = dir.join("inventory.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn scan(kdc: &Kdc, inv: &Path, out: &Path, krb5_conf: &Path) -> (Option<i32>, Value, String) {
    let output = Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--host-timeout", "30", "-i"])
        .arg(inv)
        .arg("--out")
        .arg(out)
        .env("KRB5_CONFIG", krb5_conf)
        .env("KRB5CCNAME", format!("FILE:{}", kdc.ccache().display()))
        .env_remove("IIS_SWEEP_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("report.json"))
            .unwrap_or_else(|e| panic!("no report ({e}): {stderr}")),
    )
    .unwrap();
    (output.status.code(), report, stderr)
}

fn status(report: &Value, name: &str) -> (String, String) {
    let h = report["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing"));
    (
        h["status"].as_str().unwrap().to_string(),
        h["reason"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_sweep_against_a_real_kdc() {
    let with_spn = [
        ("krb01", std::net::Ipv4Addr::new(127, 88, 0, 1)),
        ("krb02", std::net::Ipv4Addr::new(127, 88, 0, 2)),
        ("krb03", std::net::Ipv4Addr::new(127, 88, 0, 3)),
    ];
    let no_spn = ("nospn", std::net::Ipv4Addr::new(127, 88, 0, 4));
    let addresses: Vec<String> = with_spn.iter().map(|(_, a)| a.to_string()).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let kdc = Kdc::start(&refs);
    // The in-process simulator is the GSSAPI acceptor: it reads its keys from the keytab.
    std::env::set_var("KRB5_KTNAME", kdc.keytab());
    std::env::set_var("KRB5_CONFIG", kdc.krb5_conf());

    let wrong = kdc.kinit("not-the-password");
    assert!(
        !wrong.status.success(),
        "kinit with a wrong password must fail"
    );
    let ok = kdc.kinit(USER_PASSWORD);
    assert!(
        ok.status.success(),
        "kinit: {}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("fleet");
    let hosts: Vec<(&str, std::net::Ipv4Addr, &[&str])> = with_spn
        .iter()
        .chain(std::iter::once(&no_spn))
        .map(|(name, address)| (*name, *address, &[][..]))
        .collect();
    support::write_fleet_at(&fleet, &hosts);
    let handle = simulator(&fleet).await;
    let inv = inventory(dir.path(), &handle);

    // 1. Kerberos with message sealing over HTTP: every host with an SPN is ok; the host
    //    without one says so, and is not "auth-failed".
    let out = dir.path().join("out");
    let (code, report, stderr) = scan(&kdc, &inv, &out, &kdc.krb5_conf());
    for (name, _) in &with_spn {
        assert_eq!(
            status(&report, name).0,
            "ok",
            "{name}: {:?}\n{stderr}",
            status(&report, name)
        );
        let s = handle.host_stats(name).unwrap();
        assert!(s.kerberos_logons >= 1, "{name}: {s:?}");
        assert_eq!(s.ntlm_handshakes, 0, "{name} used NTLM");
        assert_eq!(s.shells_open, 0);
    }
    let (st, reason) = status(&report, "nospn");
    assert_eq!(st, "kerberos-error", "{reason}");
    assert!(reason.contains("HTTP/127.88.0.4"), "{reason}");
    assert!(reason.contains("setspn"), "{reason}");
    assert_eq!(code, Some(3));
    assert!(report["findings"].as_array().unwrap().len() > 1);

    // 1b. Kerberos over HTTPS (channel bindings in the AP-REQ, TLS protects the bodies).
    let mut cfg = ServerConfig::new(&fleet, USER, "unused-ntlm-password");
    cfg.port = 0;
    cfg.auth = AuthMode::Ntlm;
    cfg.kerberos = true;
    cfg.tls = Some(iis_sweep_sim::server::TlsSettings::default());
    let tls_handle = serve(cfg).await.unwrap();
    let ca = dir.path().join("sim-ca.pem");
    std::fs::write(&ca, &tls_handle.tls().unwrap().cert_pem).unwrap();
    let mut text = format!(
        "[defaults]\nport = {}\nscheme = \"https\"\nauth = \"kerberos\"\n\
         username = \"{USER}@{REALM}\"\nca_file = \"{}\"\n\n",
        tls_handle.port(),
        ca.display()
    );
    for (name, ip) in &with_spn {
        text.push_str(&format!(
            "[[host]]\nname = \"{name}\"\naddress = \"{ip}\"\n\n"
        ));
    }
    let inv_tls = dir.path().join("tls.toml");
    std::fs::write(&inv_tls, text).unwrap();
    let (code, report, stderr) = scan(
        &kdc,
        &inv_tls,
        &dir.path().join("out-tls"),
        &kdc.krb5_conf(),
    );
    for (name, _) in &with_spn {
        assert_eq!(
            status(&report, name).0,
            "ok",
            "{name} over https: {:?}\n{stderr}",
            status(&report, name)
        );
        assert!(tls_handle.host_stats(name).unwrap().kerberos_logons >= 1);
    }
    assert_eq!(code.map(|c| c < 2), Some(true));
    tls_handle.shutdown().await;

    // 2. The KDC unreachable: a configuration that points elsewhere, and no ticket for the
    //    service yet (a fresh cache with only the TGT would still need the KDC).
    let dead_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead_conf = dir.path().join("dead-krb5.conf");
    std::fs::write(
        &dead_conf,
        std::fs::read_to_string(kdc.krb5_conf()).unwrap().replace(
            &format!("127.0.0.1:{}", kdc.port),
            &format!("127.0.0.1:{dead_port}"),
        ),
    )
    .unwrap();
    let out2 = dir.path().join("out2");
    let ccache2 = kdc.path("ccache-tgt-only");
    // A cache with the TGT only.
    let tgt_only = Command::new(tool("kinit"))
        .arg(format!("{USER}@{REALM}"))
        .env("KRB5_CONFIG", kdc.krb5_conf())
        .env("KRB5CCNAME", format!("FILE:{}", ccache2.display()))
        .stdin(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("{USER_PASSWORD}\n").as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(tgt_only.success());
    let output = Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--host-timeout", "30", "--limit", "krb01", "-i"])
        .arg(&inv)
        .arg("--out")
        .arg(&out2)
        .env("KRB5_CONFIG", &dead_conf)
        .env("KRB5CCNAME", format!("FILE:{}", ccache2.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report2: Value =
        serde_json::from_str(&std::fs::read_to_string(out2.join("report.json")).unwrap()).unwrap();
    let (st, reason) = status(&report2, "krb01");
    assert_ne!(st, "auth-failed", "{reason}");
    assert_eq!(st, "kerberos-error", "{reason}");
    assert!(reason.to_lowercase().contains("kdc"), "{reason}");
    assert_eq!(output.status.code(), Some(3));
    // A limited sweep says so in its scope.
    assert_eq!(report2["run"]["scope"]["limit"], "krb01");
    assert_eq!(report2["run"]["scope"]["complete"], false);

    // 3. No ticket at all: says to run kinit, not "auth-failed".
    let out3 = dir.path().join("out3");
    let empty = kdc.path("ccache-empty");
    let output = Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
        .args(["scan", "--host-timeout", "30", "--limit", "krb02", "-i"])
        .arg(&inv)
        .arg("--out")
        .arg(&out3)
        .env("KRB5_CONFIG", kdc.krb5_conf())
        .env("KRB5CCNAME", format!("FILE:{}", empty.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report3: Value =
        serde_json::from_str(&std::fs::read_to_string(out3.join("report.json")).unwrap()).unwrap();
    let (st, reason) = status(&report3, "krb02");
    assert_eq!(st, "kerberos-error", "{reason}");
    assert!(reason.contains("kinit"), "{reason}");
    assert_eq!(output.status.code(), Some(3));

    // 5. user@REALM plus a password, no ticket: the sweep gets one itself (once), hosts ok.
    let sweep_with_password = |user: &str, password: &str, out: &Path| {
        let inv = dir.path().join(format!(
            "pw-{}.toml",
            out.file_name().unwrap().to_string_lossy()
        ));
        let text = std::fs::read_to_string(dir.path().join("inventory.toml"))
            .unwrap()
            .replace(
                &format!("username = \"{USER}@{REALM}\""),
                &format!("username = \"{user}\""),
            );
        std::fs::write(&inv, text).unwrap();
        let output = Command::new(assert_cmd::cargo::cargo_bin("iis-sweep"))
            .args(["scan", "--host-timeout", "30", "--limit", "krb0*", "-i"])
            .arg(&inv)
            .arg("--out")
            .arg(out)
            .env("KRB5_CONFIG", kdc.krb5_conf())
            .env(
                "KRB5CCNAME",
                format!("FILE:{}", kdc.path("ccache-none").display()),
            )
            .env("IIS_SWEEP_PASSWORD", password)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(!stderr.contains(password), "the password is in the log");
        let report: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        (output.status.code(), report, stderr)
    };
    let failures = || {
        std::fs::read_to_string(kdc.path("kdc.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("AS_REQ") && l.contains("PREAUTH_FAILED"))
            .count()
    };
    let (_, report5, stderr5) = sweep_with_password(
        &format!("{USER}@{REALM}"),
        USER_PASSWORD,
        &dir.path().join("out5"),
    );
    for (name, _) in &with_spn {
        assert_eq!(status(&report5, name).0, "ok", "{name}: {stderr5}");
    }
    // 6. A wrong password: one failed logon at the KDC for the whole sweep, every host says why.
    let before = failures();
    let (code, report6, _) = sweep_with_password(
        &format!("{USER}@{REALM}"),
        "wrong-password",
        &dir.path().join("out6"),
    );
    for (name, _) in &with_spn {
        let (st, reason) = status(&report6, name);
        assert_eq!(st, "kerberos-error", "{reason}");
        assert!(reason.contains("refused the password"), "{reason}");
    }
    assert_eq!(
        failures() - before,
        1,
        "one failed pre-authentication, not one per host"
    );
    assert_eq!(code, Some(3));
    // 7. An unknown user principal.
    let (_, report7, _) = sweep_with_password(
        &format!("nobody@{REALM}"),
        "whatever",
        &dir.path().join("out7"),
    );
    let (st, reason) = status(&report7, "krb01");
    assert_eq!(st, "kerberos-error", "{reason}");
    assert!(reason.contains("does not know the user"), "{reason}");

    // 4. A Kerberos host whose port is closed is unreachable.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inv4 = dir.path().join("closed.toml");
    std::fs::write(
        &inv4,
        format!(
            "[[host]]\nname = \"gone\"\naddress = \"127.0.0.1\"\nport = {closed}\nscheme = \"http\"\n\
             auth = \"kerberos\"\nusername = \"{USER}@{REALM}\"\n"
        ),
    )
    .unwrap();
    let out4 = dir.path().join("out4");
    let (code, report4, _) = scan(&kdc, &inv4, &out4, &kdc.krb5_conf());
    assert_eq!(status(&report4, "gone").0, "unreachable");
    assert_eq!(code, Some(3));
    handle.shutdown().await;
}
