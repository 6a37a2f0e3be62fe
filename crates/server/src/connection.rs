//! One accepted connection: hyper's HTTP/1 serving the router, with the limits that keep an
//! abusive client from holding it forever, the upload throttle, and the connection-closing
//! faults.
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

use crate::config::ServerConfig;
use crate::fault_layer::AbortConnection;
use crate::shaping::Throttle;
use crate::stats::Stats;
use axum::Router;
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tower_service::Service as _;

/// The largest request head, and the read buffer's bound: 64 KiB.
const MAX_BUF_SIZE: usize = 64 * 1024;

/// What every connection of a server shares.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The application, its routes resolved once.
    pub router: Router,
    /// Counters.
    pub stats: Arc<Stats>,
    /// Limits and shaping.
    pub limits: Limits,
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
    let state = Arc::new(ConnState::new());
    let io = TokioIo::new(ConnIo::new(
        stream,
        Arc::clone(&state),
        shared.limits,
        Arc::clone(&shared.stats),
    ));
    let service = ConnService {
        router: shared.router,
        state,
    };
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
    drop(permit);
}

/// Where a connection is in its request cycle.
const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// No fault asked to close the connection.
const KEEP: u8 = 0;
const CLOSE: u8 = 1;
const RESET: u8 = 2;

/// A connection's phase, shared by its socket wrapper and its service (one task: relaxed
/// atomics are enough).
#[derive(Debug)]
struct ConnState {
    epoch: Instant,
    phase: AtomicU8,
    /// Milliseconds from `epoch` to the start of the phase.
    since: AtomicU64,
    abort: AtomicU8,
    /// The connection task, as its last read left it waiting: woken when an answer is sent,
    /// so that hyper reads again and the idle limit starts (hyper would otherwise wait for
    /// the socket without a read that could time out).
    reader: Mutex<Option<Waker>>,
}

impl ConnState {
    /// A new connection is waiting for its first request head.
    fn new() -> Self {
        ConnState {
            epoch: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since: AtomicU64::new(0),
            abort: AtomicU8::new(KEEP),
            reader: Mutex::new(None),
        }
    }

    fn reader(&self) -> std::sync::MutexGuard<'_, Option<Waker>> {
        self.reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers the task a read left waiting.
    fn waiting(&self, waker: &Waker) {
        let mut reader = self.reader();
        if !reader.as_ref().is_some_and(|known| known.will_wake(waker)) {
            *reader = Some(waker.clone());
        }
    }

    fn enter(&self, phase: u8) {
        let since = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since.store(since, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Relaxed);
    }

    /// Bytes arrived: an idle connection starts its next request head.
    fn bytes_arrived(&self) {
        if self.phase.load(Ordering::Relaxed) == IDLE {
            self.enter(HEAD);
        }
    }

    fn request_started(&self) {
        self.phase.store(BUSY, Ordering::Relaxed);
    }

    fn answer_sent(&self) {
        self.enter(IDLE);
        if let Some(reader) = self.reader().as_ref() {
            reader.wake_by_ref();
        }
    }

    /// When the current phase times out, and which limit that is.
    fn deadline(&self, limits: &Limits) -> Option<(Instant, Expired)> {
        let (limit, expired) = match self.phase.load(Ordering::Relaxed) {
            HEAD => (limits.header_read, Expired::Header),
            IDLE => (limits.idle, Expired::Idle),
            _ => return None,
        };
        let since = Duration::from_millis(self.since.load(Ordering::Relaxed));
        Some((self.epoch + since + limit, expired))
    }

    fn abort(&self, how: AbortConnection) {
        let code = match how {
            AbortConnection::Reset => RESET,
            AbortConnection::Close => CLOSE,
        };
        self.abort.store(code, Ordering::Relaxed);
    }
}

/// Which limit closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expired {
    Header,
    Idle,
}

/// The socket, with the time limits, the throttle and the reset-on-close of faults.
struct ConnIo {
    stream: TcpStream,
    state: Arc<ConnState>,
    limits: Limits,
    stats: Arc<Stats>,
    timer: Option<Pin<Box<Sleep>>>,
    throttle: Option<Throttle>,
    /// Where throttled reads land first (only with a bandwidth cap).
    scratch: Vec<u8>,
}

impl ConnIo {
    fn new(stream: TcpStream, state: Arc<ConnState>, limits: Limits, stats: Arc<Stats>) -> Self {
        ConnIo {
            stream,
            state,
            limits,
            stats,
            timer: None,
            throttle: limits.bandwidth.map(Throttle::new),
            scratch: Vec::new(),
        }
    }

    /// A read that would wait: fails instead when the phase's time is up.
    fn poll_time_limit(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((deadline, expired)) = self.state.deadline(&self.limits) else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let counters = &self.stats.connections;
        let message = match expired {
            Expired::Header => {
                counters.header_timeouts.fetch_add(1, Ordering::Relaxed);
                "the request head did not arrive within the header-read timeout"
            }
            Expired::Idle => {
                counters.idle_timeouts.fetch_add(1, Ordering::Relaxed);
                "the kept-alive connection stayed idle past the idle timeout"
            }
        };
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, message)))
    }

    fn poll_read_throttled(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(throttle) = &mut self.throttle else {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        };
        let allowed = match throttle.poll_allowance(cx, buf.remaining()) {
            Poll::Ready(allowed) => allowed,
            Poll::Pending => return Poll::Pending,
        };
        if allowed >= buf.remaining() {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        self.scratch.resize(allowed, 0);
        let mut limited = ReadBuf::new(&mut self.scratch);
        let polled = Pin::new(&mut self.stream).poll_read(cx, &mut limited);
        if let Poll::Ready(Ok(())) = polled {
            buf.put_slice(limited.filled());
        }
        polled
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match this.poll_read_throttled(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                if let Some(throttle) = &mut this.throttle {
                    throttle.consume(read);
                }
                if read > 0 {
                    this.state.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                this.state.waiting(cx.waker());
                this.poll_time_limit(cx)
            }
        }
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

impl Drop for ConnIo {
    /// A `reset` fault closes with a TCP reset, as a dropped connection looks to a client.
    fn drop(&mut self) {
        if self.state.abort.load(Ordering::Relaxed) == RESET {
            let _ = self.stream.set_zero_linger();
        }
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
