//! Inventories for a served fleet, so any client can target it: the native TOML inventory and
//! an Ansible INI inventory. One small function each; the inventory owner may adjust the shapes.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// What an inventory needs to know about the running simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorySpec {
    /// `(name, address)` of every host, in fleet order.
    pub hosts: Vec<(String, Ipv4Addr)>,
    /// The port all hosts listen on.
    pub port: u16,
    /// `http` or `https`.
    pub scheme: String,
    /// `ntlm` or `basic` (the transport a client should use).
    pub auth: String,
    /// User name.
    pub username: String,
    /// Environment variable holding the password.
    pub password_env: String,
}

/// The native TOML inventory:
///
/// ```toml
/// [defaults]
/// port = 5985
/// scheme = "http"
/// auth = "ntlm"
/// username = "scanner"
/// password_env = "IIS_SWEEP_PASSWORD"
///
/// [[host]]
/// name = "web01"
/// address = "127.1.0.1"
/// ```
pub fn native_toml(spec: &InventorySpec) -> String {
    #[derive(serde::Serialize)]
    struct Defaults<'a> {
        port: u16,
        scheme: &'a str,
        auth: &'a str,
        username: &'a str,
        password_env: &'a str,
    }
    #[derive(serde::Serialize)]
    struct Host<'a> {
        name: &'a str,
        address: String,
    }
    #[derive(serde::Serialize)]
    struct Inventory<'a> {
        defaults: Defaults<'a>,
        host: Vec<Host<'a>>,
    }
    let inv = Inventory {
        defaults: Defaults {
            port: spec.port,
            scheme: &spec.scheme,
            auth: &spec.auth,
            username: &spec.username,
            password_env: &spec.password_env,
        },
        host: spec
            .hosts
            .iter()
            .map(|(name, address)| Host {
                name,
                address: address.to_string(),
            })
            .collect(),
    };
    toml::to_string(&inv).expect("an inventory always serialises")
}

/// The Ansible INI inventory (group `iis`). The password is not written: pass it with
/// `-e ansible_password=…`.
pub fn ansible_ini(spec: &InventorySpec) -> String {
    let mut out = String::from("[iis]\n");
    for (name, address) in &spec.hosts {
        let _ = writeln!(out, "{name} ansible_host={address}");
    }
    let _ = write!(
        out,
        "\n[iis:vars]\nansible_connection=winrm\nansible_port={}\nansible_winrm_transport={}\n\
ansible_winrm_scheme={}\nansible_user={}\nansible_winrm_message_encryption=auto\n\
ansible_winrm_server_cert_validation=ignore\n",
        spec.port, spec.auth, spec.scheme, spec.username
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> InventorySpec {
        InventorySpec {
            hosts: vec![
                ("web01".into(), Ipv4Addr::new(127, 1, 0, 1)),
                ("web02".into(), Ipv4Addr::new(127, 1, 0, 2)),
            ],
            port: 5985,
            scheme: "http".into(),
            auth: "ntlm".into(),
            username: "scanner".into(),
            password_env: "SIM_PASSWORD".into(),
        }
    }

    #[test]
    fn toml_inventory_has_defaults_and_hosts() {
        let text = native_toml(&spec());
        let v: toml::Value = toml::from_str(&text).unwrap();
        assert_eq!(v["defaults"]["port"].as_integer(), Some(5985));
        assert_eq!(v["defaults"]["password_env"].as_str(), Some("SIM_PASSWORD"));
        assert_eq!(v["host"][1]["address"].as_str(), Some("127.1.0.2"));
    }

    #[test]
    fn ini_inventory_lists_hosts_and_winrm_vars() {
        let text = ansible_ini(&spec());
        assert!(
            text.starts_with("[iis]\nweb01 ansible_host=127.1.0.1\nweb02 ansible_host=127.1.0.2\n")
        );
        assert!(text.contains("[iis:vars]\nansible_connection=winrm\nansible_port=5985\n"));
        assert!(text.contains("ansible_winrm_transport=ntlm\n"));
        assert!(text.contains("ansible_winrm_server_cert_validation=ignore\n"));
    }
}
