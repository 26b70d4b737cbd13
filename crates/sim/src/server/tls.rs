//! HTTPS: one self-signed certificate (rcgen, ECDSA P-256) naming every virtual host (DNS names
//! and 127.x addresses), and a second one for another name that `tls-mismatch` hosts present.

use std::net::Ipv4Addr;
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// The name on the certificate that `tls-mismatch` hosts present.
pub const MISMATCH_NAME: &str = "not-this-host.invalid";

/// A certificate the simulator serves, and what a client needs to trust or pin it.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The certificate in PEM (self-signed, not a CA: usable as its own trust anchor).
    pub cert_pem: String,
    /// SHA-256 of the DER certificate, 64 lower-case hex digits.
    pub fingerprint_sha256: String,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("fingerprint_sha256", &self.fingerprint_sha256)
            .finish_non_exhaustive()
    }
}

impl TlsIdentity {
    /// A self-signed certificate for these names; strings that parse as IP addresses become IP
    /// SANs, the others DNS SANs.
    pub fn generate(names: Vec<String>) -> anyhow::Result<Self> {
        let mut params =
            rcgen::CertificateParams::new(names).context("certificate names are not valid")?;
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(rcgen::DnType::CommonName, "iis-sweep WinRM simulator");
        params.distinguished_name = dn;
        let key = rcgen::KeyPair::generate().context("generating the certificate key")?;
        let cert = params
            .self_signed(&key)
            .context("signing the certificate")?;
        let der = cert.der().clone();
        Ok(TlsIdentity {
            cert_pem: cert.pem(),
            fingerprint_sha256: hex(&Sha256::digest(der.as_ref())),
            cert_der: der,
            key_der: key.serialize_der(),
        })
    }

    /// The certificate for a fleet: every host's name and address, plus `localhost`/127.0.0.1.
    pub fn for_hosts<'a>(
        hosts: impl IntoIterator<Item = (&'a str, Ipv4Addr)>,
    ) -> anyhow::Result<Self> {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        for (name, addr) in hosts {
            if name.is_ascii() && !name.is_empty() {
                names.push(name.to_string());
            }
            names.push(addr.to_string());
        }
        names.sort();
        names.dedup();
        Self::generate(names)
    }

    /// The fingerprint as `AB:CD:…` (as `openssl x509 -fingerprint` prints it).
    pub fn fingerprint_colons(&self) -> String {
        self.fingerprint_sha256
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).to_uppercase())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// A rustls server configuration presenting this certificate (HTTP/1.1 only).
    pub fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert_der.clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
            )
            .context("TLS certificate")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_names_hosts_and_addresses_and_has_a_fingerprint() {
        let id = TlsIdentity::for_hosts([("web01", Ipv4Addr::new(127, 1, 0, 1))]).unwrap();
        assert!(id.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(id.fingerprint_sha256.len(), 64);
        assert_eq!(id.fingerprint_colons().len(), 95);
        assert!(id.server_config().is_ok());
        assert!(!format!("{id:?}").contains("key"));
    }
}
