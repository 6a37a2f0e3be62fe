//! The extra roots of [`TransportConfig`](crate::TransportConfig), read from PEM once for
//! both backends, so that a bad file fails the same way on each: at construction, as a TLS
//! error naming the problem, before any request.

use crate::error::{ErrorKind, TransportError};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Every certificate of every PEM entry; an entry with none, or with a broken block, is an
/// error naming its position.
pub(crate) fn parse_extra_roots(
    pems: &[Vec<u8>],
) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let mut roots = Vec::new();
    for (index, pem) in pems.iter().enumerate() {
        let position = index + 1;
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| {
                TransportError::new(
                    ErrorKind::Tls,
                    false,
                    format!("extra root certificate {position} is not valid PEM: {error}"),
                )
            })?;
        if certificates.is_empty() {
            return Err(TransportError::new(
                ErrorKind::Tls,
                false,
                format!(
                    "extra root certificate {position} holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)"
                ),
            ));
        }
        roots.extend(certificates);
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_a_certificate_is_refused_with_its_position() {
        let error = parse_extra_roots(&[b"not a certificate".to_vec()]).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Tls);
        assert!(!error.may_have_been_sent());
        assert!(
            error
                .to_string()
                .contains("extra root certificate 1 holds no PEM certificate"),
            "{error}"
        );
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n".to_vec();
        let error = parse_extra_roots(&[broken]).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("extra root certificate 1 is not valid PEM"),
            "{error}"
        );
        assert!(parse_extra_roots(&[]).unwrap().is_empty());
    }
}
