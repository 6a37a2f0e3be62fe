//! A certificate authority made for one test, and a server certificate it signs for
//! `127.0.0.1` and `localhost`: what a client trusts (its PEM, as a file for `SSL_CERT_FILE`,
//! or as bytes for a client's extra root) to reach a fake https endpoint.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::Path;
use std::sync::Arc;

/// A test CA and the server certificate and key it issued.
pub struct TestCa {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server_der: CertificateDer<'static>,
    server_key: Vec<u8>,
    pem_file: tempfile::NamedTempFile,
}

impl TestCa {
    /// A new CA, and a server certificate for `127.0.0.1` and `localhost`.
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "graph-upload test CA");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("CA key"))
            .expect("self-signed CA");
        let server_key = KeyPair::generate().expect("server key");
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .expect("server parameters")
            .signed_by(&server_key, &ca)
            .expect("server certificate");
        let ca_pem = ca.pem();
        let pem_file = tempfile::NamedTempFile::new().expect("a temp file for the CA");
        std::fs::write(pem_file.path(), &ca_pem).expect("write the CA's PEM");
        TestCa {
            ca_der: ca.der().clone(),
            ca_pem,
            server_der: server.der().clone(),
            server_key: server_key.serialize_der(),
            pem_file,
        }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.ca_pem
    }

    /// A file holding only the CA's PEM (for `SSL_CERT_FILE`), removed with this value.
    pub fn pem_path(&self) -> &Path {
        self.pem_file.path()
    }

    /// A rustls server configuration presenting the server certificate (and the CA).
    pub(super) fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.server_der.clone(), self.ca_der.clone()], key)
            .expect("server certificate and key");
        Arc::new(config)
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}
