//! The emulator's self-signed certificate, kept in its data directory so that a restart on
//! the same directory serves the same certificate: a client told to trust it once (`upload
//! --ca-cert DATA_DIR/cert.pem`) keeps trusting it.
//!
//! Generated with rcgen (an ECDSA P-256 key); the key is written first, readable by its owner
//! only, then the certificate, each whole and durable (the crate's atomic write). A directory
//! with only one of the two files (a crash between the writes) gets a new pair.

use crate::durable_fs::write_file_atomically;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io;
use std::net::SocketAddr;
use std::path::Path;

/// The certificate's file in the data directory: give it to clients as an extra root.
pub const CERT_FILE: &str = "cert.pem";

/// The private key's file in the data directory (mode 0600 on unix).
pub const KEY_FILE: &str = "key.pem";

/// The names every self-signed certificate carries.
const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A certificate chain and its key, PEM.
pub(super) struct PemPair {
    pub(super) certificate_chain: Vec<u8>,
    pub(super) private_key: Vec<u8>,
}

/// The names a new certificate gets: the local ones, the listening address unless it is
/// unspecified, the public URL's host, and `extra`; without repeats.
pub(super) fn names(address: SocketAddr, public_url: &str, extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = LOCAL_NAMES.iter().map(|name| (*name).to_owned()).collect();
    if !address.ip().is_unspecified() {
        names.push(address.ip().to_string());
    }
    if let Some(host) = url_host(public_url) {
        names.push(host);
    }
    names.extend(extra.iter().cloned());
    let mut unique = Vec::with_capacity(names.len());
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    unique
}

/// `host` of `scheme://host:port/path` (IPv6 without its brackets).
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_owned())
}

/// The pair kept in `data_dir`, or a new one naming `names`, stored there.
pub(super) fn load_or_create(data_dir: &Path, names: &[String]) -> io::Result<PemPair> {
    let cert_path = data_dir.join(CERT_FILE);
    let key_path = data_dir.join(KEY_FILE);
    match (std::fs::read(&cert_path), std::fs::read(&key_path)) {
        (Ok(certificate_chain), Ok(private_key)) => {
            warn_about_missing_names(&cert_path, &certificate_chain, names);
            tracing::info!(
                certificate = %cert_path.display(),
                "serving https with the data directory's certificate"
            );
            return Ok(PemPair {
                certificate_chain,
                private_key,
            });
        }
        (Err(error), _) | (_, Err(error)) if error.kind() != io::ErrorKind::NotFound => {
            return Err(io::Error::new(
                error.kind(),
                format!(
                    "cannot read the TLS certificate or key in {}: {error}",
                    data_dir.display()
                ),
            ));
        }
        _ => {}
    }
    let pair = generate(names)?;
    write_file_atomically(&key_path, &pair.private_key, true)?;
    write_file_atomically(&cert_path, &pair.certificate_chain, false)?;
    tracing::info!(
        certificate = %cert_path.display(),
        names = %names.join(", "),
        "generated a self-signed certificate; clients must trust it as an extra root (--ca-cert)"
    );
    Ok(pair)
}

/// A new self-signed certificate for `names`.
fn generate(names: &[String]) -> io::Result<PemPair> {
    let failed = |error: rcgen::Error| {
        io::Error::other(format!(
            "cannot generate a self-signed certificate: {error}"
        ))
    };
    let key = rcgen::KeyPair::generate().map_err(failed)?;
    let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(failed)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "graph-upload emulator (self-signed)",
    );
    let cert = params.self_signed(&key).map_err(failed)?;
    Ok(PemPair {
        certificate_chain: cert.pem().into_bytes(),
        private_key: key.serialize_pem().into_bytes(),
    })
}

/// A kept certificate is reused as it is; when it does not name a host this server is now
/// reached by, clients connecting by that name will refuse it: say so, and how to renew it.
fn warn_about_missing_names(path: &Path, pem: &[u8], names: &[String]) {
    let Some(Ok(der)) = CertificateDer::pem_slice_iter(pem).next() else {
        return;
    };
    let Ok(cert) = webpki::EndEntityCert::try_from(&der) else {
        return;
    };
    let missing: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| {
            ServerName::try_from(*name)
                .is_ok_and(|server| cert.verify_is_valid_for_subject_name(&server).is_err())
        })
        .collect();
    if !missing.is_empty() {
        tracing::warn!(
            certificate = %path.display(),
            missing = %missing.join(", "),
            "the kept certificate does not name every host of this server; remove {CERT_FILE} and {KEY_FILE} from the data directory to get a new one"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_certificate_names_the_local_hosts_the_listener_and_the_public_host() {
        let names = names(
            "192.168.1.5:8443".parse().unwrap(),
            "https://emulator.example:8443/v1.0",
            &["extra.example".to_owned(), "localhost".to_owned()],
        );
        assert_eq!(
            names,
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "192.168.1.5",
                "emulator.example",
                "extra.example"
            ]
        );
        let unspecified = super::names("0.0.0.0:8443".parse().unwrap(), "https://[::1]:1", &[]);
        assert_eq!(unspecified, LOCAL_NAMES);
    }

    #[test]
    fn the_certificate_is_kept_and_reused_and_its_key_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let first = load_or_create(dir.path(), &names).unwrap();
        let again = load_or_create(dir.path(), &names).unwrap();
        assert_eq!(first.certificate_chain, again.certificate_chain);
        assert_eq!(first.private_key, again.private_key);
        assert_eq!(
            std::fs::read(dir.path().join(CERT_FILE)).unwrap(),
            first.certificate_chain
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |name: &str| {
                std::fs::metadata(dir.path().join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode(KEY_FILE), 0o600);
        }
        let der = CertificateDer::from_pem_slice(&first.certificate_chain).unwrap();
        let cert = webpki::EndEntityCert::try_from(&der).unwrap();
        for name in ["localhost", "127.0.0.1"] {
            let server = ServerName::try_from(name).unwrap();
            assert!(
                cert.verify_is_valid_for_subject_name(&server).is_ok(),
                "{name}"
            );
        }
        let other = ServerName::try_from("other.example").unwrap();
        assert!(cert.verify_is_valid_for_subject_name(&other).is_err());
    }

    #[test]
    fn a_lone_certificate_or_key_gets_a_new_pair() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_owned()];
        let first = load_or_create(dir.path(), &names).unwrap();
        std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();
        let second = load_or_create(dir.path(), &names).unwrap();
        assert_ne!(first.certificate_chain, second.certificate_chain);
        assert!(dir.path().join(KEY_FILE).exists());
    }
}
