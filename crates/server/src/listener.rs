//! The accept loop: at most `max_connections` connections are served at once (the next ones
//! wait in the listen backlog, and a warning says so), each in its own task; on shutdown it
//! stops accepting, lets every connection finish its request in flight, and waits for them.

use crate::connection::{self, Shared};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The limit warning is repeated at most this often while connections keep arriving.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// How long to wait after an accept error that is not the client's (out of file
/// descriptors): the loop must not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Accepts and serves connections until `shutdown` completes, then waits for them to end.
pub async fn run(
    listener: TcpListener,
    shared: Shared,
    max_connections: usize,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let max_connections = max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max_connections));
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let counters = Arc::clone(&shared.stats);
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                counters
                    .connections
                    .limit_reached
                    .fetch_add(1, Ordering::Relaxed);
                if last_warning.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
                    last_warning = Some(Instant::now());
                    tracing::warn!(
                        max_connections,
                        "connection limit reached: new connections wait until one closes"
                    );
                }
                tokio::select! {
                    permit = Arc::clone(&permits).acquire_owned() => {
                        permit.map_err(io::Error::other)?
                    }
                    () = &mut shutdown => break,
                }
            }
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) if is_client_error(&error) => continue,
                Err(error) => {
                    tracing::error!(%error, "cannot accept connections; retrying");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        counters
            .connections
            .accepted
            .fetch_add(1, Ordering::Relaxed);
        let shared = shared.clone();
        let stop = stop.clone();
        let counters = Arc::clone(&counters);
        connections.spawn(async move {
            counters.connections.open.fetch_add(1, Ordering::Relaxed);
            connection::serve(stream, shared, stop, permit).await;
            counters.connections.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    // No new connections: a client connecting now is refused rather than left waiting.
    drop(listener);
    tracing::info!(
        open_connections = counters.connections.open.load(Ordering::Relaxed),
        "stopping: no new connections; finishing the requests in flight"
    );
    stop.cancel();
    connections.close();
    connections.wait().await;
    Ok(())
}

/// Errors of one incoming connection (it went away before it was accepted), not of the
/// listener.
fn is_client_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
