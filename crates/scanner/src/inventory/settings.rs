//! The per-level option bag every format fills in, and the one place that turns the merged
//! options of a host into a checked [`Target`].

use std::path::{Path, PathBuf};

use crate::credentials::CredentialRef;
use crate::target::Delivery;

use super::Warnings;
use crate::target::{AuthMethod, Scheme, Target, Timeouts, TlsSettings, HTTP_PORT};
use crate::target::{DEFAULT_CONNECT_SECS, DEFAULT_OPERATION_SECS, MAX_TIMEOUT_SECS};

/// Settings given at one level (defaults/`all`, a group or a host); `None` = not set here.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Settings {
    pub address: Option<String>,
    pub port: Option<u16>,
    pub scheme: Option<Scheme>,
    pub auth: Option<AuthMethod>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub verify: Option<bool>,
    pub ca_file: Option<PathBuf>,
    pub pin_sha256: Option<String>,
    pub delivery: Option<Delivery>,
    pub connect_timeout_secs: Option<u64>,
    pub operation_timeout_secs: Option<u64>,
    pub host_timeout_secs: Option<u64>,
    pub allow_unencrypted_basic: Option<bool>,
}

macro_rules! overlay_fields {
    ($self:ident, $other:ident, $($f:ident),*) => {
        $( if $other.$f.is_some() { $self.$f = $other.$f.clone(); } )*
    };
}

impl Settings {
    /// Lays `other` over `self`: every field `other` sets wins.
    pub fn overlay(&mut self, other: &Settings) {
        overlay_fields!(
            self,
            other,
            address,
            port,
            scheme,
            auth,
            username,
            password_env,
            password_file,
            client_cert,
            client_key,
            verify,
            ca_file,
            pin_sha256,
            delivery,
            connect_timeout_secs,
            operation_timeout_secs,
            host_timeout_secs,
            allow_unencrypted_basic
        );
    }

    /// The checked target. `base` resolves relative paths (`None`: leave them as written).
    /// Errors are messages about this host; the caller adds file and line. Warnings (such as
    /// disabled certificate validation) go to `warnings`.
    pub fn into_target(
        self,
        name: &str,
        groups: Vec<String>,
        base: Option<&Path>,
        warnings: &mut Warnings,
    ) -> Result<Target, String> {
        let abs = |p: Option<PathBuf>| match (p, base) {
            (Some(p), Some(b)) if p.is_relative() => Some(b.join(p)),
            (p, _) => p,
        };
        let address = match self.address {
            Some(a) => a
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            None => name.to_string(),
        };
        if address.contains(':') && address.contains('%') {
            return Err(format!(
                "address {address:?}: IPv6 addresses with a zone (%interface) are not supported \
                 (the endpoint URL cannot carry one); use a global or unique-local address, or a \
                 host name"
            ));
        }
        if address.contains(':') && address.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!(
                "address {address:?} is neither a host name nor an IPv6 address (set the port \
                 separately: port = 5986)"
            ));
        }
        // winrm-rs takes a bare host name or address and refuses anything else per call;
        // say so now, with the line.
        if address.is_empty()
            || address.contains(|c: char| c.is_whitespace() || "/@\\?#".contains(c))
        {
            return Err(format!(
                "address {address:?} must be a bare host name or IP address (no scheme, user, \
                 port or path; set port and scheme separately)"
            ));
        }
        // As Ansible: without a scheme, port 5985 means HTTP and anything else HTTPS; without
        // a port, the scheme's default port.
        let scheme = self.scheme.unwrap_or(match self.port {
            Some(HTTP_PORT) => Scheme::Http,
            _ => Scheme::Https,
        });
        let port = self.port.unwrap_or(scheme.default_port());
        if port == 0 {
            return Err("port 0 is not a valid port".into());
        }
        // As Ansible: a user@REALM with no transport set logs on with Kerberos.
        let auth = self.auth.unwrap_or(
            match self.username.as_deref().is_some_and(|u| u.contains('@')) {
                true => AuthMethod::Kerberos,
                false => AuthMethod::default(),
            },
        );

        let mut tls = TlsSettings {
            verify: self.verify.unwrap_or(true),
            ca_file: abs(self.ca_file),
            pin_sha256: self.pin_sha256.map(|p| normalize_pin(&p)).transpose()?,
        };
        if scheme == Scheme::Http {
            // TLS settings mean nothing without TLS; the default keeps client groups together.
            tls = TlsSettings::default();
        } else if !tls.verify {
            if tls.pin_sha256.is_some() {
                return Err(
                    "pin_sha256 checks the certificate, so it cannot be combined with \
                     disabled certificate validation; drop one of them"
                        .into(),
                );
            }
            if auth == AuthMethod::Basic {
                return Err(
                    "basic authentication would send the password to a server whose \
                     certificate is not checked; enable certificate validation and trust the \
                     certificate with ca_file or pin_sha256"
                        .into(),
                );
            }
            warnings.host(
                name,
                "server certificate validation is DISABLED: anyone on the path can \
                 impersonate this host; prefer ca_file or pin_sha256",
            );
        }

        let credential = CredentialRef {
            username: self.username.filter(|u| !u.trim().is_empty()),
            password_env: self.password_env,
            password_file: abs(self.password_file),
            client_cert: abs(self.client_cert),
            client_key: abs(self.client_key),
        };
        if let Some(var) = &credential.password_env {
            if var.is_empty() || var.contains(['=', '\0']) || var.starts_with('$') {
                return Err(format!(
                    "password_env must name an environment variable (e.g. IIS_SWEEP_PASSWORD), \
                     got {:?}",
                    if var.starts_with('$') {
                        "$…"
                    } else {
                        var.as_str()
                    }
                ));
            }
        }

        let basic_over_http = auth == AuthMethod::Basic && scheme == Scheme::Http;
        let allow_unencrypted_basic = basic_over_http && self.allow_unencrypted_basic == Some(true);
        if basic_over_http && !allow_unencrypted_basic {
            return Err(
                "basic authentication over http sends the password and all traffic in \
                 clear text; use https (or ntlm, which seals messages over http), or set \
                 allow_unencrypted_basic = true for a lab"
                    .into(),
            );
        }
        if basic_over_http {
            warnings.host(
                name,
                "basic authentication over plain http: the password crosses the network in \
                 clear text (allow_unencrypted_basic)",
            );
        }
        if auth == AuthMethod::Certificate {
            if scheme != Scheme::Https {
                return Err("certificate authentication needs https".into());
            }
            if credential.client_cert.is_none() || credential.client_key.is_none() {
                return Err(
                    "certificate authentication needs client_cert and client_key \
                     (ansible_winrm_cert_pem and ansible_winrm_cert_key_pem)"
                        .into(),
                );
            }
        }

        let timeouts = Timeouts {
            connect_secs: self.connect_timeout_secs.unwrap_or(DEFAULT_CONNECT_SECS),
            operation_secs: self
                .operation_timeout_secs
                .unwrap_or(DEFAULT_OPERATION_SECS),
            host_timeout_secs: self.host_timeout_secs,
        };
        if timeouts.connect_secs == 0 || timeouts.operation_secs == 0 {
            return Err("timeouts must be at least 1 second".into());
        }
        if timeouts.host_timeout_secs == Some(0) {
            return Err("host_timeout_secs must be at least 1 second".into());
        }
        for (name, value) in [
            ("connect_timeout_secs", Some(timeouts.connect_secs)),
            ("operation_timeout_secs", Some(timeouts.operation_secs)),
            ("host_timeout_secs", timeouts.host_timeout_secs),
        ] {
            if value.is_some_and(|v| v > MAX_TIMEOUT_SECS) {
                return Err(format!(
                    "{name} = {} is more than a day ({MAX_TIMEOUT_SECS} s); give the deadline in \
                     seconds, e.g. 300",
                    value.unwrap_or_default()
                ));
            }
        }

        Ok(Target {
            name: name.to_string(),
            address,
            port,
            scheme,
            auth,
            tls,
            delivery: self.delivery.unwrap_or_default(),
            timeouts,
            credential,
            groups,
            allow_unencrypted_basic,
        })
    }
}

/// A certificate SHA-256 as 64 lower-case hex digits; accepts `AA:BB:…` and spaces.
fn normalize_pin(pin: &str) -> Result<String, String> {
    let hex: String = pin
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(format!(
            "pin_sha256 must be the certificate's SHA-256 as 64 hex digits, got {pin:?}"
        ))
    }
}

/// Parses an Ansible-style boolean (`true/false`, `yes/no`, `on/off`, `1/0`).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "y" | "t" => Some(true),
        "false" | "no" | "off" | "0" | "n" | "f" => Some(false),
        _ => None,
    }
}

/// Parses `stdin` or `staged`.
pub(crate) fn parse_delivery(s: &str) -> Result<Delivery, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "stdin" => Ok(Delivery::Stdin),
        "staged" => Ok(Delivery::Staged),
        other => Err(format!(
            "unknown delivery {other:?} (expected stdin or staged)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(s: Settings) -> Result<Target, String> {
        s.into_target("web01", vec![], None, &mut Warnings::default())
    }

    #[test]
    fn defaults_are_https_5986_ntlm() {
        let t = target(Settings::default()).unwrap();
        assert_eq!(
            (t.scheme, t.port, t.auth, t.address.as_str()),
            (Scheme::Https, 5986, AuthMethod::Ntlm, "web01")
        );
        assert!(t.tls.verify);
        assert_eq!(t.delivery, Delivery::Stdin);
    }

    #[test]
    fn port_5985_alone_means_http_and_http_alone_means_5985() {
        let t = target(Settings {
            port: Some(5985),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::Http, 5985));
        let t = target(Settings {
            scheme: Some(Scheme::Http),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::Http, 5985));
    }

    #[test]
    fn basic_over_http_needs_consent() {
        let s = Settings {
            scheme: Some(Scheme::Http),
            auth: Some(AuthMethod::Basic),
            ..Default::default()
        };
        assert!(target(s.clone())
            .unwrap_err()
            .contains("allow_unencrypted_basic"));
        let t = target(Settings {
            allow_unencrypted_basic: Some(true),
            ..s
        })
        .unwrap();
        assert!(t.allow_unencrypted_basic);
    }

    #[test]
    fn pin_is_normalised_and_checked() {
        let t = target(Settings {
            pin_sha256: Some("AB:".repeat(31) + "CD"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(t.tls.pin_sha256.unwrap(), "ab".repeat(31) + "cd");
        assert!(target(Settings {
            pin_sha256: Some("abc".into()),
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn address_must_be_bare() {
        for bad in ["https://web01", "user@web01", "web01/wsman", "web 01", ""] {
            let s = Settings {
                address: Some(bad.into()),
                ..Default::default()
            };
            assert!(target(s).is_err(), "{bad}");
        }
        let t = target(Settings {
            address: Some("[2001:db8::5]".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(t.endpoint(), "https://[2001:db8::5]:5986/wsman");
    }

    #[test]
    fn verify_off_is_warned() {
        let mut w = Warnings::default();
        let t = Settings {
            verify: Some(false),
            ..Default::default()
        }
        .into_target("h", vec![], None, &mut w)
        .unwrap();
        assert!(!t.tls.verify);
        assert!(w.into_lines()[0].contains("DISABLED"));
    }
}
