//! The reqwest backend: rustls, HTTP/1.1 (or HTTP/2 when configured), pooled connections, no
//! system proxy, no redirects.

use crate::body::Body;
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
use bytes::Bytes;
use std::time::Duration;

/// A [`Transport`] over a `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_response_bytes: usize,
    request_timeout: Option<Duration>,
}

impl ReqwestTransport {
    /// A client built from `config`: rustls with the platform's roots (and the config's
    /// [`extra_root_certificates`](TransportConfig::extra_root_certificates)), HTTP/1.1
    /// keep-alive (or HTTP/2, see [`TransportConfig::http2`]), `TCP_NODELAY`, no proxy,
    /// redirects returned as responses. The roots are read at the first https handshake, once
    /// per process for every transport with the same extra roots.
    pub fn new(config: TransportConfig) -> Result<Self, TransportError> {
        let extra_roots = parse_extra_roots(&config.extra_root_certificates)?;
        check_extra(&extra_roots)?;
        // The platform's roots are read at the first https handshake, once per process.
        let mut tls = client_config(Roots::Platform, extra_roots)?;
        tls.alpn_protocols = config.http2.alpn();
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .tcp_nodelay(true)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(config.user_agent.as_str());
        builder = match config.http2 {
            Http2::Off => builder.http1_only(),
            Http2::Prefer => builder,
            Http2::PriorKnowledge => builder.http2_prior_knowledge(),
        };
        let client = builder.build().map_err(|error| {
            TransportError::new(
                ErrorKind::Other,
                false,
                format!("cannot build the reqwest client: {}", describe(&error)),
            )
            .with_source(error)
        })?;
        Ok(ReqwestTransport::from_client(client, &config))
    }

    /// Uses a client you configured yourself (proxy, custom roots, HTTP/2...). Its own
    /// timeouts apply; `config` supplies the request timeout and the response size cap.
    pub fn from_client(client: reqwest::Client, config: &TransportConfig) -> Self {
        ReqwestTransport {
            client,
            max_response_bytes: config.max_response_bytes,
            request_timeout: config.request_timeout,
        }
    }

    /// The client underneath, to share its connection pool with requests this trait does
    /// not cover (a streamed download).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

#[async_trait]
impl Transport for ReqwestTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let (method, uri, mut headers, body, limit) = request.into_parts();
        let limit = limit.unwrap_or(self.max_response_bytes);
        if let Some(length) = crate::content_length(&method, &body) {
            // Replaces a caller's value: one Content-Length, always the body's real length.
            headers.insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(length),
            );
        }
        let builder = self
            .client
            .request(method, uri.to_string())
            .headers(headers);
        let builder = builder.body(match body {
            Body::Empty => reqwest::Body::from(Bytes::new()),
            Body::Bytes(bytes) => reqwest::Body::from(bytes),
            file @ Body::File(_) => reqwest::Body::wrap(file.into_stream()),
        });
        let exchange = async {
            let response = builder.send().await.map_err(classify)?;
            let response: http::Response<reqwest::Body> = response.into();
            let (parts, body) = response.into_parts();
            let body = read_capped(body, limit, classify_response_body).await?;
            Ok(Response::new(parts.status, parts.headers, body))
        };
        with_timeout(self.request_timeout, exchange).await
    }
}

/// Maps reqwest's error to a kind and a "may have been sent" flag. reqwest names the URL in
/// its errors; an upload URL carries a token, so it is dropped (callers name the URL redacted).
fn classify(error: reqwest::Error) -> TransportError {
    let error = error.without_url();
    let message = describe(&error);
    let (kind, sent) = if error.is_builder() {
        (ErrorKind::InvalidRequest, false)
    } else if error.is_connect() {
        let kind = if is_tls(&error) {
            ErrorKind::Tls
        } else {
            ErrorKind::Connect
        };
        (kind, false)
    } else if is_request_body_failure(&error) {
        (ErrorKind::Body, true)
    } else if error.is_timeout() {
        (ErrorKind::Timeout, true)
    } else if is_tls(&error) {
        (ErrorKind::Tls, true)
    } else if error.is_body() {
        (ErrorKind::Body, true)
    } else if error.is_request() {
        (ErrorKind::Io, true)
    } else {
        (ErrorKind::Other, true)
    };
    TransportError::new(kind, sent, message).with_source(error)
}

/// A failure while reading the response body: the request was certainly sent.
fn classify_response_body(error: reqwest::Error) -> TransportError {
    let error = error.without_url();
    let kind = if error.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Body
    };
    TransportError::new(
        kind,
        true,
        format!("reading the response body failed: {}", describe(&error)),
    )
    .with_source(error)
}
