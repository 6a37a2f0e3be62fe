//! Where the bearer token comes from: a [`TokenProvider`], asked before each request that
//! carries the token, so that an upload that outlives a token keeps working. A fixed token
//! ([`StaticToken`]) and a closure ([`TokenFn`]) are ready-made providers; caching belongs to
//! the provider. Tokens never print: `Debug` shows `<redacted>`, and the header is marked
//! sensitive for the HTTP stack.

use crate::error::{InvalidInput, UploadError};
use async_trait::async_trait;
use graph_upload_transport::{HeaderValue, Request, header};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

/// A bearer token and when it expires.
#[derive(Clone)]
pub struct AccessToken {
    secret: Arc<str>,
    expires_on: Option<SystemTime>,
}

impl AccessToken {
    /// A token; `expires_on` is `None` when unknown.
    pub fn new(secret: impl Into<String>, expires_on: Option<SystemTime>) -> Self {
        AccessToken {
            secret: secret.into().into(),
            expires_on,
        }
    }

    /// The token itself, for the `Authorization` header.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// When it expires, if known.
    pub fn expires_on(&self) -> Option<SystemTime> {
        self.expires_on
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// Why a provider could not give a token.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CredentialError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl CredentialError {
    /// An error with a message (which must not contain the token).
    pub fn new(message: impl Into<String>) -> Self {
        CredentialError {
            message: message.into(),
            source: None,
        }
    }

    /// An error caused by `source`.
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        CredentialError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

/// Gives the token for the next request. Called before every request that carries it: cache
/// inside the provider when getting one is expensive.
#[async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token valid now.
    async fn token(&self) -> Result<AccessToken, CredentialError>;
}

/// A shared provider is a provider: one `Arc<dyn TokenProvider>` can serve an uploader and the
/// caller's own requests (and share its cache).
#[async_trait]
impl<P: TokenProvider + ?Sized> TokenProvider for Arc<P> {
    async fn token(&self) -> Result<AccessToken, CredentialError> {
        (**self).token().await
    }
}

/// A fixed token.
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// A token that never changes (and whose expiry is unknown).
    pub fn new(secret: impl Into<String>) -> Self {
        StaticToken(AccessToken::new(secret, None))
    }
}

#[async_trait]
impl TokenProvider for StaticToken {
    async fn token(&self) -> Result<AccessToken, CredentialError> {
        Ok(self.0.clone())
    }
}

/// A provider from an async closure: `TokenFn::new(|| async { Ok(AccessToken::new(..)) })`.
pub struct TokenFn<F>(F);

impl<F, Fut> TokenFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<AccessToken, CredentialError>> + Send,
{
    /// Wraps `get`, called before each request that carries the token.
    pub fn new(get: F) -> Self {
        TokenFn(get)
    }
}

impl<F> fmt::Debug for TokenFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenFn(<closure>)")
    }
}

#[async_trait]
impl<F, Fut> TokenProvider for TokenFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<AccessToken, CredentialError>> + Send,
{
    async fn token(&self) -> Result<AccessToken, CredentialError> {
        (self.0)().await
    }
}

/// The uploader's provider, shared by every request.
#[derive(Debug, Clone)]
pub(crate) struct Credential(pub(crate) Arc<dyn TokenProvider>);

impl Credential {
    /// `request` with `Authorization: Bearer {token}` (asked of the provider now), marked
    /// sensitive.
    pub(crate) async fn authorize(&self, request: Request) -> Result<Request, UploadError> {
        let token = self.0.token().await.map_err(UploadError::Credential)?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
            .map_err(|_| InvalidInput::Token)?;
        value.set_sensitive(true);
        Ok(request.header(header::AUTHORIZATION, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn a_closure_is_asked_before_each_request() {
        let calls = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&calls);
        let credential = Credential(Arc::new(TokenFn::new(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move { Ok(AccessToken::new(format!("t{n}"), None)) }
        })));
        for expected in ["Bearer t0", "Bearer t1"] {
            let request = Request::get("http://127.0.0.1/x").unwrap();
            let request = credential.authorize(request).await.unwrap();
            let value = request.headers().get(header::AUTHORIZATION).unwrap();
            assert_eq!(value.to_str().unwrap(), expected);
            assert!(value.is_sensitive());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn tokens_never_print_and_bad_ones_are_refused_before_sending() {
        let token = AccessToken::new("SECRET", None);
        assert!(!format!("{token:?} {:?}", StaticToken::new("SECRET")).contains("SECRET"));
        let credential = Credential(Arc::new(StaticToken::new("bad\ntoken")));
        let request = Request::get("http://127.0.0.1/x").unwrap();
        let error = credential.authorize(request).await.unwrap_err();
        assert!(
            matches!(error, UploadError::Invalid(InvalidInput::Token)),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_failing_provider_is_a_credential_error_with_its_source() {
        let credential = Credential(Arc::new(TokenFn::new(|| async {
            Err(CredentialError::with_source(
                "az is not logged in",
                std::io::Error::other("exit 1"),
            ))
        })));
        let request = Request::get("http://127.0.0.1/x").unwrap();
        let error = credential.authorize(request).await.unwrap_err();
        assert!(matches!(&error, UploadError::Credential(_)), "{error}");
        let source = std::error::Error::source(&error).unwrap();
        assert!(std::error::Error::source(source).is_some());
    }
}
