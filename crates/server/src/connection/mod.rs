//! One accepted connection: hyper serving the router over HTTP/1.1 or HTTP/2 (over TLS when the
//! server has a certificate, where ALPN offers `h2`; on plain http a client that opens with
//! the HTTP/2 preface gets h2c), with the limits that keep an abusive client from holding it
//! forever, the upload throttle, and the connection-closing faults. Over HTTP/2 a fault that
//! closes the connection resets its stream instead (`RST_STREAM`, `INTERNAL_ERROR`): the other
//! streams of the connection go on, as a server's stream failure looks to a client.
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
use hyper_util::rt::{TokioExecutor, TokioIo};
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

/// How much of one HTTP/2 request body a client may send ahead of the handler: 4 MiB, so
/// that a fragment is not held up by window updates on a link with a long round trip.
const H2_STREAM_WINDOW: u32 = 4 * 1024 * 1024;

/// The same for all the streams of a connection: four streams' worth.
const H2_CONNECTION_WINDOW: u32 = 4 * H2_STREAM_WINDOW;

/// Streams one HTTP/2 connection may have open at once (hyper's default is 200; uploads use a
/// handful).
const H2_MAX_STREAMS: u32 = 100;

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

/// HTTP/1.1 or HTTP/2 (by the client's first bytes) over `io` until the connection closes or
/// `stop` asks it to finish.
async fn serve_http<I>(io: I, service: ConnService, stop: &CancellationToken)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .header_read_timeout(None)
        .max_buf_size(MAX_BUF_SIZE)
        .keep_alive(true);
    builder
        .http2()
        .max_header_list_size(MAX_BUF_SIZE as u32)
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .max_concurrent_streams(H2_MAX_STREAMS);
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
/// [`AbortConnection`] into an error, on which hyper closes the connection unanswered
/// (HTTP/1.1) or resets the request's stream (HTTP/2).
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
        // Ends the request however it ends: answered, aborted, or its stream reset by the
        // client while it was handled (HTTP/2 drops the future).
        let in_flight = InFlight(Arc::clone(&self.state));
        let version = request.version();
        let mut router = self.router.clone();
        Box::pin(async move {
            let response = router
                .call(request)
                .await
                .unwrap_or_else(|never| match never {});
            if let Some(how) = response.extensions().get::<AbortConnection>() {
                // Over HTTP/2 hyper resets the stream; the connection and its other streams
                // go on, so nothing is recorded for the connection.
                if version != http::Version::HTTP_2 {
                    in_flight.0.abort(*how);
                }
                return Err(Aborted);
            }
            Ok(response.map(|inner| Tracked {
                inner,
                _in_flight: in_flight,
            }))
        })
    }
}

/// One request being handled; dropping it marks it done.
struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.answer_sent();
    }
}

/// A response body that marks the request done once hyper is done with it.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
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
