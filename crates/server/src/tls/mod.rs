//! https: where the certificate comes from ([`TlsConfig`]), and the rustls configuration the
//! accept loop hands each connection's handshake to.
//!
//! The emulator serves HTTP/1.1 only, with rustls' safe defaults (TLS 1.2 and 1.3) and the
//! aws-lc-rs provider the clients' backends use too.

mod self_signed;

pub use self_signed::{CERT_FILE, KEY_FILE};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// Where the emulator's TLS certificate comes from (`ServerConfig::tls`).
#[derive(Clone)]
#[non_exhaustive]
pub enum TlsConfig {
    /// A self-signed certificate kept in the data directory ([`CERT_FILE`], [`KEY_FILE`],
    /// the key readable by its owner only), generated on first use and reused afterwards, so
    /// that a client told to trust it once keeps trusting it across restarts. It names
    /// `localhost`, `127.0.0.1`, `::1`, the listening address (unless it is `0.0.0.0` or
    /// `::`), the public URL's host, and `names`.
    SelfSigned {
        /// More host names or IP addresses to name.
        names: Vec<String>,
    },
    /// Your own certificate chain (leaf first) and private key, PEM.
    Pem {
        /// The certificates, PEM.
        certificate_chain: Vec<u8>,
        /// The private key (PKCS#8, PKCS#1 or SEC1), PEM.
        private_key: Vec<u8>,
    },
}

impl TlsConfig {
    /// A self-signed certificate in the data directory, naming the usual local names.
    pub fn self_signed() -> Self {
        TlsConfig::SelfSigned { names: Vec::new() }
    }

    /// Reads a PEM certificate chain and private key (`serve --tls-cert FILE --tls-key
    /// FILE`) and checks that they are PEM; errors name the file.
    pub fn from_files(certificate_chain: &Path, private_key: &Path) -> io::Result<Self> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("cannot read {}: {error}", path.display()),
                )
            })
        };
        let config = TlsConfig::Pem {
            certificate_chain: read(certificate_chain)?,
            private_key: read(private_key)?,
        };
        if let TlsConfig::Pem {
            certificate_chain: chain,
            private_key: key,
        } = &config
        {
            parse_chain(chain).map_err(|error| named(certificate_chain, error))?;
            parse_key(key).map_err(|error| named(private_key, error))?;
        }
        Ok(config)
    }
}

/// The key is never shown.
impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsConfig::SelfSigned { names } => {
                f.debug_struct("SelfSigned").field("names", names).finish()
            }
            TlsConfig::Pem {
                certificate_chain, ..
            } => f
                .debug_struct("Pem")
                .field(
                    "certificate_chain",
                    &format!("{} bytes", certificate_chain.len()),
                )
                .field("private_key", &"<redacted>")
                .finish(),
        }
    }
}

fn named(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// The rustls configuration for `tls`: the certificate of the data directory (created if
/// needed) or the one given. Called once the data directory is open (and locked).
pub(crate) fn server_config(
    tls: &TlsConfig,
    data_dir: &Path,
    address: SocketAddr,
    public_url: &str,
) -> io::Result<Arc<rustls::ServerConfig>> {
    let (chain, key) = match tls {
        TlsConfig::SelfSigned { names } => {
            let names = self_signed::names(address, public_url, names);
            let pem = self_signed::load_or_create(data_dir, &names)?;
            (pem.certificate_chain, pem.private_key)
        }
        TlsConfig::Pem {
            certificate_chain,
            private_key,
        } => (certificate_chain.clone(), private_key.clone()),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(parse_chain(&chain)?, parse_key(&key)?)
        .map_err(|error| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the TLS certificate and key do not go together: {error}"),
            )
        })?;
    // HTTP/2 for the clients that offer it, HTTP/1.1 for the others (Microsoft's SDKs).
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Every certificate of a PEM chain; at least one.
fn parse_chain(pem: &[u8]) -> io::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(format!("the certificate is not valid PEM: {error}")))?;
    if chain.is_empty() {
        return Err(invalid(
            "no PEM certificate in it (`-----BEGIN CERTIFICATE-----`)".to_owned(),
        ));
    }
    Ok(chain)
}

/// The private key of a PEM file.
fn parse_key(pem: &[u8]) -> io::Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|error| {
        invalid(format!(
            "no PEM private key in it (PKCS#8, PKCS#1 or SEC1): {error}"
        ))
    })
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}
