//! Which HTTP version a backend speaks: HTTP/1.1 unless the caller opts into HTTP/2.

/// Whether a transport uses HTTP/2 ([`TransportConfig::http2`](crate::TransportConfig::http2)).
///
/// HTTP/2 carries every request to a host on one connection (parallel fragments become
/// streams). Measured against the emulator (docs/performance.md, "HTTP/2") it does not beat
/// HTTP/1.1's pool of connections, and a server that caps the rate per connection makes it
/// slower, so the default stays [`Http2::Off`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Http2 {
    /// HTTP/1.1 only (the default): `http/1.1` offered by ALPN, one request per connection at
    /// a time.
    #[default]
    Off,
    /// HTTP/2 where the server offers it: `h2` then `http/1.1` offered by ALPN on https;
    /// `http://` stays HTTP/1.1 (there is no negotiation without TLS).
    Prefer,
    /// HTTP/2 only, without negotiation: h2c ("prior knowledge") on `http://`, ALPN `h2` alone
    /// on https. A server that does not speak it fails the first request.
    PriorKnowledge,
}

impl Http2 {
    /// The ALPN protocols offered in the TLS handshake (hyper-rustls sets its own).
    #[cfg(feature = "reqwest")]
    pub(crate) fn alpn(self) -> Vec<Vec<u8>> {
        match self {
            Http2::Off => vec![b"http/1.1".to_vec()],
            Http2::Prefer => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Http2::PriorKnowledge => vec![b"h2".to_vec()],
        }
    }
}
