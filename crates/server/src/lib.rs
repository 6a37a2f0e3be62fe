#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod auth;
mod blobs;
mod clock;
mod config;
mod connection;
mod dashboard;
mod drive;
mod durable_fs;
mod errors;
mod fault_layer;
mod faults;
pub mod fixtures;
mod ids;
mod listener;
mod odata;
mod permissions;
mod print_config;
mod recent_requests;
mod records;
mod request_log;
mod route_kind;
#[cfg(test)]
mod router_fuzz;
mod routes;
mod shaping;
mod state;
mod stats;
mod store;
mod sweeper;
#[cfg(all(test, unix))]
mod sync_log;
#[cfg(test)]
mod test_app;
mod tls;
mod token_file;
mod token_grant;
mod upload;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    DEFAULT_DOWNLOAD_URL_TTL, DEFAULT_DRIVE_MAX_FRAGMENT, DEFAULT_DRIVE_QUOTA,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_JOB_PROCESSING,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_PRINT_MAX_FRAGMENT, DEFAULT_PRINT_MAX_SIZE,
    DEFAULT_SESSION_TTL, DEFAULT_TODO_MAX_FRAGMENT, DEFAULT_TODO_MAX_SIZE, ServerConfig,
};
pub use errors::ApiError;
pub use faults::{FaultEffect, FaultRoute, FaultRule, FaultRulesError, FaultTrigger};
pub use tls::{CERT_FILE, KEY_FILE, TlsConfig};
pub use token_file::{TOKEN_FILE, load_or_create_token};
pub use token_grant::{TokenGrant, TokenKind};

use auth::UploadSigner;
use blobs::Blobs;
use connection::{Limits, Shared};
use faults::FaultPlan;
use recent_requests::RecentRequests;
use state::{AppState, SessionLocks};
use stats::Stats;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Opens the data directory: creates it, opens the database, loads the URL-signing key, seeds
/// fixtures on a new directory and removes bytes no record refers to (left by a crash).
async fn open(config: ServerConfig, public_url: String) -> io::Result<Arc<AppState>> {
    let data_dir = config.data_dir.clone();
    let (store, blobs, signer) = tokio::task::spawn_blocking(move || -> io::Result<_> {
        std::fs::create_dir_all(&data_dir)?;
        let store = Store::open(&data_dir.join("state.redb")).map_err(io::Error::other)?;
        let blobs = Blobs::open(data_dir.join("blobs"))?;
        let signer = UploadSigner::load_or_create(&data_dir.join("upload-url.key"))?;
        fixtures::seed(&store).map_err(io::Error::other)?;
        sweeper::remove_orphan_blobs(&store, &blobs).map_err(io::Error::other)?;
        Ok((store, blobs, signer))
    })
    .await
    .map_err(io::Error::other)??;
    let faults = FaultPlan::new(config.faults.clone(), config.fault_seed);
    Ok(Arc::new(AppState {
        config,
        store: Arc::new(store),
        blobs,
        signer,
        public_url: public_url.trim_end_matches('/').to_owned(),
        sessions: SessionLocks::default(),
        faults,
        stats: Arc::new(Stats::default()),
        recent: RecentRequests::default(),
        changes: tokio::sync::watch::Sender::new(0),
    }))
}

/// An emulator whose data directory is open and whose listener is bound, ready to serve.
///
/// Opening first lets a command report a bad data directory before it announces its address.
pub struct Server {
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<Arc<rustls::ServerConfig>>,
    base_url: String,
}

/// Where it listens and whether with TLS (never the key, never the token).
impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("base_url", &self.base_url)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the data directory of `config` for a server on `listener`, and with
    /// [`ServerConfig::tls`] loads its certificate (a self-signed one is created in the data
    /// directory on first use).
    pub async fn open(listener: TcpListener, config: ServerConfig) -> io::Result<Self> {
        let address = listener.local_addr()?;
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let base_url = format!("{scheme}://{address}");
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| base_url.clone());
        let data_dir = config.data_dir.clone();
        let tls_config = config.tls.clone();
        let state = open(config, public_url).await.map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "cannot open the data directory {}: {error}",
                    data_dir.display()
                ),
            )
        })?;
        let tls = match tls_config {
            None => None,
            Some(tls) => {
                let public_url = state.public_url.clone();
                let config = tokio::task::spawn_blocking(move || {
                    tls::server_config(&tls, &data_dir, address, &public_url)
                })
                .await
                .map_err(io::Error::other)?
                .map_err(|error| {
                    io::Error::new(error.kind(), format!("cannot serve https: {error}"))
                })?;
                Some(config)
            }
        };
        Ok(Server {
            listener,
            state,
            tls,
            base_url,
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `http://HOST:PORT`, or `https://HOST:PORT` with TLS: the listening address.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (a fragment
    /// being written is either stored and acknowledged, or not acknowledged).
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let (stop_sweeper, sweeper_stopped) = oneshot::channel::<()>();
        let sweeper = tokio::spawn(sweeper::run(Arc::clone(&self.state), sweeper_stopped));
        let shared = Shared {
            // Resolving the routes once, here, rather than per connection (as `axum::serve`
            // does) saves about 95 KiB per connection.
            router: routes::router(Arc::clone(&self.state)).with_state(()),
            stats: Arc::clone(&self.state.stats),
            limits: Limits::of(&self.state.config),
            tls: self.tls.map(tokio_rustls::TlsAcceptor::from),
        };
        let max_connections = self.state.config.max_connections;
        let served = listener::run(self.listener, shared, max_connections, shutdown).await;
        let _ = stop_sweeper.send(());
        let _ = sweeper.await;
        served
    }
}

/// Opens the data directory, then serves on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    Server::open(listener, config).await?.serve(shutdown).await
}

/// A server running in the background of the current runtime (tests, the demo).
pub struct RunningServer {
    address: SocketAddr,
    base_url: String,
    token: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<io::Result<()>>,
}

impl std::fmt::Debug for RunningServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningServer")
            .field("address", &self.address)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl RunningServer {
    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://HOST:PORT`, or `https://HOST:PORT` with TLS.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The bearer token it accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Stops accepting, finishes requests in flight and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.map_err(io::Error::other)?
    }
}

/// Binds `listen` (port 0 picks a free port), opens the data directory and serves in the
/// background; the server is ready when this returns.
pub async fn spawn(config: ServerConfig, listen: &str) -> io::Result<RunningServer> {
    let listener = TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let token = config.token.clone();
    let server = Server::open(listener, config).await?;
    let base_url = server.base_url.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    Ok(RunningServer {
        address,
        base_url,
        token,
        stop: Some(stop),
        task,
    })
}
