//! One accepted connection: hyper's HTTP/1 serving the router (over TLS when the server has a
//! certificate), with the limits that keep an abusive client from holding it forever, the
//! upload throttle, and the connection-closing faults.
//!
//! With TLS the layers are socket, [`ConnIo`] (limits, throttle), rustls, hyper: the TLS
//! handshake is read in the first request head's time, so a client that never finishes it is
//! closed by the header-read timeout like one that never finishes its headers.
//!
//! Time limits are kept by the socket wrapper ([`ConnIo`]), which sees every read: a
//! connection must send a whole request head within the header-read timeout (counted from
//! the connection's start, or from the first byte of a later request), and a kept-alive
//! connection may wait for its next request for the idle timeout. While a request is being
//! handled no limit applies. (hyper's own `header_read_timeout` also counts the idle time
//! between requests, so it cannot tell the two limits apart.)
//!
//! Memory: hyper holds a read buffer (8 KiB, grown to 16 KiB by a second read of an
//! unfinished head) and an 8 KiB write buffer per connection; the router is shared, not
//! rebuilt per connection as `axum::serve` does (about 95 KiB per connection with this
//! router).

mod io;
mod state;

use crate::config::ServerConfig;
use crate::fault_layer::AbortConnection;
use crate::stats::Stats;
use axum::Router;
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use io::ConnIo;
use state::ConnState;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower_service::Service as _;

/// The largest request head, and the read buffer's bound: 64 KiB.
const MAX_BUF_SIZE: usize = 64 * 1024;

/// What every connection of a server shares.
#[derive(Clone)]
pub struct Shared {
    /// The application, its routes resolved once.
    pub router: Router,
    /// Counters.
    pub stats: Arc<Stats>,
    /// Limits and shaping.
    pub limits: Limits,
    /// The TLS handshake, when the server speaks https.
    pub tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("limits", &self.limits)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

/// The per-connection settings of [`ServerConfig`].
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See [`ServerConfig::header_read_timeout`].
    pub header_read: Duration,
    /// See [`ServerConfig::idle_timeout`].
    pub idle: Duration,
    /// See [`ServerConfig::bandwidth`].
    pub bandwidth: Option<u64>,
}

impl Limits {
    /// The limits `config` sets.
    pub fn of(config: &ServerConfig) -> Self {
        Limits {
            header_read: config.header_read_timeout,
            idle: config.idle_timeout,
            bandwidth: config.bandwidth,
        }
    }
}

/// Serves one connection until it closes, a limit closes it, or `stop` asks it to finish.
pub async fn serve(
    stream: TcpStream,
    shared: Shared,
    stop: CancellationToken,
    permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let peer = stream.peer_addr().ok();
    let state = Arc::new(ConnState::new());
    let io = ConnIo::new(
        stream,
        Arc::clone(&state),
        shared.limits,
        Arc::clone(&shared.stats),
    );
    let service = ConnService {
        router: shared.router,
        state,
    };
    match shared.tls {
        None => serve_http(TokioIo::new(io), service, &stop).await,
        Some(acceptor) => {
            let handshake = tokio::select! {
                handshake = acceptor.accept(io) => handshake,
                () = stop.cancelled() => return,
            };
            match handshake {
                Ok(tls) => serve_http(TokioIo::new(tls), service, &stop).await,
                Err(error) => {
                    shared
                        .stats
                        .connections
                        .tls_failures
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        target: crate::request_log::REQUEST_TARGET,
                        peer = %peer.map_or_else(|| "?".to_owned(), |peer| peer.to_string()),
                        %error,
                        "TLS handshake failed (a client speaking plain http, or one that does not trust the certificate)"
                    );
                }
            }
        }
    }
    drop(permit);
}

/// HTTP/1 over `io` until the connection closes or `stop` asks it to finish.
async fn serve_http<I>(io: I, service: ConnService, stop: &CancellationToken)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .header_read_timeout(None)
        .max_buf_size(MAX_BUF_SIZE)
        .keep_alive(true);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = stop.cancelled() => {
            // Idle connections close now; a request in flight is finished first.
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        tracing::debug!(%error, "connection closed");
    }
}

/// The router as hyper's service: marks the request cycle, and turns a fault's
/// [`AbortConnection`] into an error, on which hyper closes the connection unanswered.
struct ConnService {
    router: Router,
    state: Arc<ConnState>,
}

/// The error that closes a connection without an answer.
#[derive(Debug)]
struct Aborted;

impl std::fmt::Display for Aborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("closed without an answer by a fault rule")
    }
}

impl std::error::Error for Aborted {}

type ServiceFuture = Pin<Box<dyn Future<Output = Result<Response<Tracked>, Aborted>> + Send>>;

impl hyper::service::Service<hyper::Request<Incoming>> for ConnService {
    type Response = Response<Tracked>;
    type Error = Aborted;
    type Future = ServiceFuture;

    fn call(&self, request: hyper::Request<Incoming>) -> ServiceFuture {
        self.state.request_started();
        let mut router = self.router.clone();
        let state = Arc::clone(&self.state);
        Box::pin(async move {
            let response = router
                .call(request)
                .await
                .unwrap_or_else(|never| match never {});
            if let Some(how) = response.extensions().get::<AbortConnection>() {
                state.abort(*how);
                return Err(Aborted);
            }
            Ok(response.map(|inner| Tracked { inner, state }))
        })
    }
}

/// A response body that marks the connection idle once hyper is done with it.
struct Tracked {
    inner: Body,
    state: Arc<ConnState>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.state.answer_sent();
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
