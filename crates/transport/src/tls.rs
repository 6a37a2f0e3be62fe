//! The rustls client configuration of both backends, built once per process and per set of
//! extra roots, whose root store is only read when a TLS handshake needs it.
//!
//! Reading the platform's roots (reqwest: `rustls-platform-verifier`, which on Linux parses
//! every certificate of `/etc/ssl/certs`) costs about 17 M instructions, most of a short CLI
//! run. A transport that only ever talks `http://` (the emulator on loopback) never pays it;
//! every other transport of the process shares the first one's verifier.

use crate::error::{ErrorKind, TransportError};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// See [`root_stores_read`].
static ROOT_STORES_READ: AtomicUsize = AtomicUsize::new(0);

/// Which roots a backend trusts besides the extra ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Roots {
    /// The operating system's (reqwest's choice: `rustls-platform-verifier`).
    #[cfg(feature = "reqwest")]
    Platform,
    /// The Mozilla roots compiled into `webpki-roots` (hyper's choice).
    #[cfg(feature = "hyper")]
    Webpki,
}

/// One process-wide configuration: the roots it trusts and the verifier, once built.
struct Shared {
    roots: Roots,
    extra: Vec<CertificateDer<'static>>,
    config: rustls::ClientConfig,
}

/// Every configuration built so far, by roots and extra roots (a process has one or two).
static CONFIGS: Mutex<Vec<Shared>> = Mutex::new(Vec::new());

/// The client configuration trusting `roots` and `extra` (already parsed and checked by
/// [`check_extra`]), without ALPN: the caller sets the protocols it offers. Cheap after the
/// first call for the same roots; the root store itself is read at the first handshake.
pub(crate) fn client_config(
    roots: Roots,
    extra: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, TransportError> {
    let mut configs = CONFIGS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(shared) = configs
        .iter()
        .find(|shared| shared.roots == roots && shared.extra == extra)
    {
        return Ok(shared.config.clone());
    }
    let provider = provider();
    let verifier = Arc::new(LazyVerifier {
        roots,
        extra: extra.clone(),
        provider: Arc::clone(&provider),
        inner: OnceLock::new(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| {
            TransportError::new(ErrorKind::Tls, false, "cannot configure rustls").with_source(error)
        })?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    configs.push(Shared {
        roots,
        extra,
        config: config.clone(),
    });
    Ok(config)
}

/// Checks that each extra root can be a trust anchor, so that a bad file still fails the
/// constructor (as before the store became lazy) rather than the first https request.
pub(crate) fn check_extra(extra: &[CertificateDer<'static>]) -> Result<(), TransportError> {
    let mut store = RootCertStore::empty();
    for (index, root) in extra.iter().enumerate() {
        store.add(root.clone()).map_err(|error| {
            TransportError::new(
                ErrorKind::Tls,
                false,
                format!(
                    "extra root certificate #{} cannot be trusted: {error}",
                    index + 1
                ),
            )
            .with_source(error)
        })?;
    }
    Ok(())
}

/// The process's default crypto provider if one was installed, else aws-lc-rs (as reqwest
/// chooses).
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// A verifier that builds the real one (and reads the root store) at its first certificate.
/// Signatures need no roots: they are checked with the provider's algorithms, as
/// `WebPkiServerVerifier` and the platform verifier do.
#[derive(Debug)]
struct LazyVerifier {
    roots: Roots,
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    inner: OnceLock<Result<Arc<dyn ServerCertVerifier>, rustls::Error>>,
}

impl LazyVerifier {
    fn inner(&self) -> Result<&Arc<dyn ServerCertVerifier>, rustls::Error> {
        self.inner
            .get_or_init(|| build_verifier(self.roots, &self.extra, &self.provider))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Reads the roots: the expensive step, done once per configuration.
fn build_verifier(
    roots: Roots,
    extra: &[CertificateDer<'static>],
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
    ROOT_STORES_READ.fetch_add(1, Ordering::Relaxed);
    match roots {
        #[cfg(feature = "reqwest")]
        Roots::Platform => {
            let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
                extra.iter().cloned(),
                Arc::clone(provider),
            )?;
            Ok(Arc::new(verifier))
        }
        #[cfg(feature = "hyper")]
        Roots::Webpki => {
            let mut store = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            for root in extra {
                store.add(root.clone())?;
            }
            let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(store),
                Arc::clone(provider),
            )
            .build()
            .map_err(|error| rustls::Error::General(error.to_string()))?;
            Ok(verifier)
        }
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner()?
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// How many root stores this process has read so far: `0` while it only spoke `http://`,
/// then one per backend's roots and set of extra roots, however many transports share them.
/// A diagnostic for tests and benchmarks of start-up costs.
pub fn root_stores_read() -> usize {
    ROOT_STORES_READ.load(Ordering::Relaxed)
}
