//! The hyper backend: hyper 1.x through hyper-util's pooled client (HTTP/1.1, or HTTP/2 when
//! configured), hyper-rustls for https.

use crate::body::BodyStream;
use crate::config::TransportConfig;
use crate::error::{ErrorKind, TransportError, describe, is_request_body_failure, is_tls};
use crate::http2::Http2;
use crate::request::Request;
use crate::response::{Response, read_capped};
use crate::roots::parse_extra_roots;
use crate::timeout::with_timeout;
use crate::tls::{Roots, check_extra, client_config};
use crate::transport::Transport;
use async_trait::async_trait;
use http::HeaderValue;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::time::Duration;

/// A [`Transport`] over hyper 1.x (HTTP/1.1 keep-alive, `TCP_NODELAY`, rustls with the
/// webpki roots), for users who want hyper without reqwest in their tree.
#[derive(Debug, Clone)]
pub struct HyperTransport {
    client: Client<HttpsConnector<HttpConnector>, BodyStream>,
    user_agent: HeaderValue,
    max_response_bytes: usize,
    request_timeout: Option<Duration>,
}

impl HyperTransport {
    /// A client built from `config`, trusting the Mozilla roots of `webpki-roots` and the
    /// config's [`extra_root_certificates`](TransportConfig::extra_root_certificates). The
    /// root store is built at the first https handshake, once per process for every
    /// transport with the same extra roots.
    pub fn new(config: TransportConfig) -> Result<Self, TransportError> {
        let extra_roots = parse_extra_roots(&config.extra_root_certificates)?;
        check_extra(&extra_roots)?;
        let tls = client_config(Roots::Webpki, extra_roots)?;
        HyperTransport::with_tls_config(config, tls)
    }

    /// Like [`new`](Self::new) with your own rustls configuration (private roots, client
    /// certificates): its roots are the ones trusted, `extra_root_certificates` is not read.
    /// Its ALPN protocols are replaced by those of [`TransportConfig::http2`].
    pub fn with_tls_config(
        config: TransportConfig,
        mut tls: rustls::ClientConfig,
    ) -> Result<Self, TransportError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(config.connect_timeout));
        // hyper-rustls sets the ALPN protocols itself, and refuses a configuration with some.
        tls.alpn_protocols.clear();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        let https = match config.http2 {
            Http2::Off => https.enable_http1().wrap_connector(http),
            Http2::Prefer => https.enable_all_versions().wrap_connector(http),
            Http2::PriorKnowledge => https.enable_http2().wrap_connector(http),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .http2_only(config.http2 == Http2::PriorKnowledge)
            .build(https);
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|error| {
            TransportError::new(ErrorKind::InvalidRequest, false, "invalid user agent")
                .with_source(error)
        })?;
        Ok(HyperTransport {
            client,
            user_agent,
            max_response_bytes: config.max_response_bytes,
            request_timeout: config.request_timeout,
        })
    }
}

#[async_trait]
impl Transport for HyperTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let (method, uri, headers, body, limit) = request.into_parts();
        let limit = limit.unwrap_or(self.max_response_bytes);
        let content_length = crate::content_length(&method, &body);
        let mut outgoing = http::Request::new(body.into_stream());
        *outgoing.method_mut() = method;
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = headers;
        let out_headers = outgoing.headers_mut();
        if !out_headers.contains_key(http::header::USER_AGENT) {
            out_headers.insert(http::header::USER_AGENT, self.user_agent.clone());
        }
        if let Some(length) = content_length {
            out_headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        let exchange = async {
            let response = self.client.request(outgoing).await.map_err(classify)?;
            let (parts, body) = response.into_parts();
            let body = read_capped(body, limit, classify_response_body).await?;
            Ok(Response::new(parts.status, parts.headers, body))
        };
        with_timeout(self.request_timeout, exchange).await
    }
}

/// Maps hyper-util's error to a kind and a "may have been sent" flag.
fn classify(error: hyper_util::client::legacy::Error) -> TransportError {
    let message = describe(&error);
    let hyper_error = crate::error::chain(&error).find_map(|e| e.downcast_ref::<hyper::Error>());
    let (kind, sent) = if error.is_connect() {
        let kind = if is_tls(&error) {
            ErrorKind::Tls
        } else {
            ErrorKind::Connect
        };
        (kind, false)
    } else if is_tls(&error) {
        (ErrorKind::Tls, true)
    } else if is_request_body_failure(&error)
        || hyper_error.is_some_and(|e| e.is_user() || e.is_body_write_aborted())
    {
        (ErrorKind::Body, true)
    } else if hyper_error.is_some_and(hyper::Error::is_timeout) {
        (ErrorKind::Timeout, true)
    } else {
        (ErrorKind::Io, true)
    };
    TransportError::new(kind, sent, message).with_source(error)
}

/// A failure while reading the response body: the request was certainly sent.
fn classify_response_body(error: hyper::Error) -> TransportError {
    TransportError::new(
        ErrorKind::Body,
        true,
        format!("reading the response body failed: {}", describe(&error)),
    )
    .with_source(error)
}
