//! Settings shared by every backend.

use crate::http2::Http2;
use std::time::Duration;

/// Timeouts, pool and limits for a backend. The defaults suit uploads of 10 MiB fragments over
/// slow links; tests shorten the timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// How long to wait for a TCP (and TLS) connection. Default 10 s.
    pub connect_timeout: Duration,
    /// How long one request may take, from sending to the last byte of the response body.
    /// Default 300 s, enough for 10 MiB at about 300 kbit/s. `None`: no limit.
    pub request_timeout: Option<Duration>,
    /// Largest response body read into memory. Default 16 MiB; Graph's JSON replies are a few
    /// kilobytes. Requests may override it (`Request::max_response_bytes`).
    pub max_response_bytes: usize,
    /// How long an idle pooled connection is kept. Default 90 s.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per host. Default 16.
    pub pool_max_idle_per_host: usize,
    /// The `User-Agent` header sent with every request.
    pub user_agent: String,
    /// Certificates to trust in addition to the backend's usual roots, PEM (each entry may
    /// hold several): the emulator's self-signed certificate (`graph-upload serve --tls`
    /// keeps it in `DATA_DIR/cert.pem`), or a corporate proxy's CA. Default: none.
    pub extra_root_certificates: Vec<Vec<u8>>,
    /// Whether to speak HTTP/2 (see [`Http2`]). Default [`Http2::Off`]: HTTP/1.1.
    pub http2: Http2,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Some(Duration::from_secs(300)),
            max_response_bytes: 16 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 16,
            user_agent: concat!("graph-upload/", env!("CARGO_PKG_VERSION")).to_string(),
            extra_root_certificates: Vec::new(),
            http2: Http2::Off,
        }
    }
}

impl TransportConfig {
    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets (or, with `None`, removes) the per-request timeout.
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the response body cap.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sets how long idle connections are kept.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// Sets how many idle connections are kept per host.
    pub fn pool_max_idle_per_host(mut self, count: usize) -> Self {
        self.pool_max_idle_per_host = count;
        self
    }

    /// Sets the `User-Agent`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets whether to speak HTTP/2: [`Http2::Prefer`] negotiates it on https,
    /// [`Http2::PriorKnowledge`] also speaks it on `http://` (h2c).
    ///
    /// ```
    /// use graph_upload_transport::{Http2, TransportConfig};
    ///
    /// let config = TransportConfig::default().http2(Http2::Prefer);
    /// assert_eq!(config.http2, Http2::Prefer);
    /// ```
    pub fn http2(mut self, http2: Http2) -> Self {
        self.http2 = http2;
        self
    }

    /// Trusts the certificates of `pem` (one or more `-----BEGIN CERTIFICATE-----` blocks)
    /// in addition to the usual roots. A file that holds no valid certificate makes the
    /// backend's constructor fail with an [`ErrorKind::Tls`](crate::ErrorKind::Tls) error.
    ///
    /// ```
    /// use graph_upload_transport::TransportConfig;
    ///
    /// # fn load() -> std::io::Result<()> {
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("cert.pem");
    /// # std::fs::write(&path, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")?;
    /// let config = TransportConfig::default().add_root_certificate(std::fs::read(&path)?);
    /// assert_eq!(config.extra_root_certificates.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_root_certificates.push(pem.into());
        self
    }

    /// Trusts every PEM of `pems` in addition to the usual roots (see
    /// [`add_root_certificate`](Self::add_root_certificate)).
    pub fn ca_certificates<I>(mut self, pems: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<Vec<u8>>,
    {
        self.extra_root_certificates
            .extend(pems.into_iter().map(Into::into));
        self
    }
}
