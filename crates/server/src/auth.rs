//! Who may call what: the bearer token of API calls, and the signed, pre-authenticated print
//! upload URLs.

use crate::errors::ApiError;
use crate::token_grant::TokenGrant;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::io;
use std::path::Path;
use subtle::ConstantTimeEq;

/// Who presented a valid bearer token.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// The emulator's own token ([`ServerConfig::token`](crate::ServerConfig::token)): every
    /// call is allowed.
    Owner,
    /// A scoped token: the permission table decides.
    Granted(&'a TokenGrant),
}

fn same_secret(presented: &[u8], token: &str) -> bool {
    Sha256::digest(presented)
        .ct_eq(&Sha256::digest(token.as_bytes()))
        .into()
}

/// Checks `Authorization: Bearer <token>` against the owner token and the scoped ones, in
/// constant time (hashes are compared, and every token is compared, so neither a token's
/// length nor which one matched leaks through timing).
pub fn authenticate<'a>(
    header: Option<&str>,
    token: &str,
    grants: &'a [TokenGrant],
) -> Result<Caller<'a>, ApiError> {
    let Some(value) = header else {
        return Err(ApiError::unauthorized(
            "Access token is empty: send `Authorization: Bearer <token>`.",
        ));
    };
    let presented = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or("");
    let mut caller = None;
    if same_secret(presented.as_bytes(), token) {
        caller = Some(Caller::Owner);
    }
    for grant in grants {
        if same_secret(presented.as_bytes(), &grant.token) && caller.is_none() {
            caller = Some(Caller::Granted(grant));
        }
    }
    match caller {
        Some(caller) if !presented.is_empty() => Ok(caller),
        _ => Err(ApiError::unauthorized(
            "Access token validation failure: the bearer token is not one of the emulator's tokens.",
        )),
    }
}

/// [`authenticate`] with the owner token alone.
#[cfg(test)]
pub fn check_bearer(header: Option<&str>, token: &str) -> Result<(), ApiError> {
    authenticate(header, token, &[]).map(|_| ())
}

/// Signs upload URLs: `tempauthtoken = {expiry}.{HMAC-SHA256(key, session id, expiry)}`.
///
/// The key is kept in the data directory, so URLs stay valid across restarts, and is never
/// sent anywhere.
#[derive(Clone)]
pub struct UploadSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UploadSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UploadSigner { key: <hidden> }")
    }
}

impl UploadSigner {
    /// Loads the key from `path`, creating a random one (readable by the owner only) if absent.
    pub fn load_or_create(path: &Path) -> io::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() == 32 => {
                let mut key = [0u8; 32];
                key.copy_from_slice(&bytes);
                Ok(UploadSigner { key })
            }
            Ok(_) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a 32-byte key", path.display()),
            )),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|error| io::Error::other(error.to_string()))?;
                crate::durable_fs::write_file_atomically(path, &key, true)?;
                Ok(UploadSigner { key })
            }
            Err(error) => Err(error),
        }
    }

    /// A signer with a fixed key (tests).
    #[cfg(test)]
    pub fn with_key(key: [u8; 32]) -> Self {
        UploadSigner { key }
    }

    fn mac(&self, session_id: &str, expiry: u64) -> Hmac<Sha256> {
        // `new_from_slice` accepts any key length for HMAC; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(session_id.as_bytes());
        mac.update(b"\n");
        mac.update(expiry.to_string().as_bytes());
        mac
    }

    /// The token for a session's URL.
    pub fn sign(&self, session_id: &str, expiry: u64) -> String {
        let tag = self.mac(session_id, expiry).finalize().into_bytes();
        format!("{expiry}.{}", URL_SAFE_NO_PAD.encode(tag))
    }

    /// Verifies a token in constant time; returns the signed expiry.
    pub fn verify(&self, session_id: &str, token: &str) -> Option<u64> {
        let (expiry_text, tag) = token.split_once('.')?;
        let expiry: u64 = expiry_text.parse().ok()?;
        // Only the text we signed: `0123` or `+123` would parse to the same number.
        if expiry.to_string() != expiry_text {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(session_id, expiry)
            .verify_slice(&tag)
            .ok()
            .map(|()| expiry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_must_match_exactly() {
        assert!(check_bearer(Some("Bearer secret"), "secret").is_ok());
        for header in [
            None,
            Some("Bearer"),
            Some("Bearer "),
            Some("Bearer secreT"),
            Some("Basic secret"),
            Some("secret"),
        ] {
            let error = check_bearer(header, "secret").unwrap_err();
            assert_eq!(error.status, 401, "{header:?}");
        }
    }

    #[test]
    fn scoped_tokens_are_told_apart_from_the_owner() {
        let grants = [crate::token_grant::TokenGrant::parse("app:apptoken:application:X").unwrap()];
        assert!(matches!(
            authenticate(Some("Bearer secret"), "secret", &grants),
            Ok(Caller::Owner)
        ));
        assert!(matches!(
            authenticate(Some("Bearer apptoken"), "secret", &grants),
            Ok(Caller::Granted(grant)) if grant.name == "app"
        ));
        assert_eq!(
            authenticate(Some("Bearer other"), "secret", &grants)
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn signed_tokens_verify_and_tampering_fails() {
        let signer = UploadSigner::with_key([7; 32]);
        let token = signer.sign("session-1", 1_900_000_000);
        assert_eq!(signer.verify("session-1", &token), Some(1_900_000_000));
        assert_eq!(signer.verify("session-2", &token), None);
        let later = token.replacen("1900000000", "1900000001", 1);
        assert_eq!(signer.verify("session-1", &later), None);
        let mut flipped = token.clone();
        let last = flipped
            .pop()
            .map(|c| if c == 'A' { 'B' } else { 'A' })
            .unwrap();
        flipped.push(last);
        assert_eq!(signer.verify("session-1", &flipped), None);
        assert_eq!(signer.verify("session-1", "garbage"), None);
        assert_eq!(signer.verify("session-1", &format!("0{token}")), None);
        assert_eq!(signer.verify("session-1", &format!("+{token}")), None);
        assert_eq!(
            UploadSigner::with_key([8; 32]).verify("session-1", &token),
            None
        );
    }

    #[test]
    fn key_persists_across_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload-url.key");
        let first = UploadSigner::load_or_create(&path).unwrap();
        let second = UploadSigner::load_or_create(&path).unwrap();
        assert_eq!(first.sign("s", 1), second.sign("s", 1));
    }
}
