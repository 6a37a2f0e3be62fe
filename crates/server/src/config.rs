//! What the emulator can be told: where it keeps data, the token, its public URL, Graph's
//! limits (with Graph's values as defaults), injected faults, network shaping and the limits
//! that protect it from abusive connections.

use crate::clock::{Clock, SystemClock};
use crate::faults::FaultRule;
use crate::tls::TlsConfig;
use crate::token_grant::TokenGrant;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Graph's largest print fragment: 10 MiB (defined once, in `graph-upload-models`).
pub const DEFAULT_PRINT_MAX_FRAGMENT: u64 = graph_upload_models::PRINT_MAX_FRAGMENT_SIZE;
/// Graph's largest To Do fragment: 4 MiB.
pub const DEFAULT_TODO_MAX_FRAGMENT: u64 = graph_upload_models::TODO_MAX_FRAGMENT_SIZE;
/// Graph's largest To Do attachment: 25 MiB.
pub const DEFAULT_TODO_MAX_SIZE: u64 = graph_upload_models::TODO_MAX_ATTACHMENT_SIZE;
/// Largest print document accepted (printers differ; Graph documents of hundreds of MB are
/// normal).
pub const DEFAULT_PRINT_MAX_SIZE: u64 = 16 * 1024 * 1024 * 1024;
/// Largest drive fragment accepted: Graph wants fragments under 60 MiB.
pub const DEFAULT_DRIVE_MAX_FRAGMENT: u64 = 60 * 1024 * 1024 - 1;
/// Each drive's quota: 1 TiB, OneDrive for Business's usual quota.
pub const DEFAULT_DRIVE_QUOTA: u64 = 1 << 40;
/// How long a session lives without activity (each accepted fragment extends it).
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(60 * 60);
/// How long a client may take to send a request's headers once it started them.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a kept-alive connection may wait for its next request.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How many connections are served at once; more wait in the listen backlog.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// How long a started print job stays `processing` before it is `completed`.
pub const DEFAULT_JOB_PROCESSING: Duration = Duration::from_secs(3);
/// How long the download URL that a print document's `$value` redirects to stays valid.
pub const DEFAULT_DOWNLOAD_URL_TTL: Duration = Duration::from_secs(5 * 60);

/// The emulator's settings.
///
/// Built with [`ServerConfig::new`] (Graph's defaults), then changed field by field: the
/// fields are public, and the struct is `#[non_exhaustive]` so that new settings do not break
/// callers.
///
/// ```
/// use graph_upload_server::ServerConfig;
/// use std::time::Duration;
///
/// let mut config = ServerConfig::new("/tmp/graph-data", "secret-token");
/// config.session_ttl = Duration::from_secs(600);
/// config.fault_seed = Some(7);
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub struct ServerConfig {
    /// Where state (`state.redb`) and uploaded bytes (`blobs/`) live; created if missing.
    pub data_dir: PathBuf,
    /// The emulator's own bearer token: every API call is allowed with it.
    pub token: String,
    /// Extra tokens, each of a kind (delegated or application) with scopes; the calls they may
    /// make follow the Permissions sections of Graph's reference pages (`403` otherwise).
    pub tokens: Vec<TokenGrant>,
    /// The base URL written into upload URLs and `Location` headers (`http://127.0.0.1:8080`).
    /// `None`: taken from the listening address.
    pub public_url: Option<String>,
    /// Largest print fragment accepted in one PUT.
    pub print_max_fragment: u64,
    /// Largest print document.
    pub print_max_size: u64,
    /// Largest To Do fragment accepted in one PUT.
    pub todo_max_fragment: u64,
    /// Largest To Do attachment.
    pub todo_max_size: u64,
    /// Largest drive (OneDrive, SharePoint) fragment accepted in one PUT.
    pub drive_max_fragment: u64,
    /// Bytes each drive may hold; uploads past it are refused with `507 insufficientStorage`.
    pub drive_quota: u64,
    /// Session lifetime, renewed by each accepted fragment.
    pub session_ttl: Duration,
    /// How often expired sessions are swept away.
    pub sweep_interval: Duration,
    /// The clock (tests inject a manual one).
    pub clock: Arc<dyn Clock>,
    /// Faults injected from the start (`serve --faults FILE`); `PUT /_emulator/faults`
    /// replaces them at runtime.
    pub faults: Vec<FaultRule>,
    /// Seeds the `probability` triggers, so that a run can be repeated request for request.
    /// `None`: a random seed.
    pub fault_seed: Option<u64>,
    /// Added before every answer, to look like a distant server (`serve --latency`).
    pub latency: Duration,
    /// Caps how fast each connection's request bytes are read, in bytes per second, to look
    /// like a slow uplink (`serve --bandwidth`). `None`: as fast as the socket goes.
    pub bandwidth: Option<u64>,
    /// A connection that started a request but has not finished its headers within this time
    /// is closed (half-sent headers would otherwise hold a connection forever).
    pub header_read_timeout: Duration,
    /// A kept-alive connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// At most this many connections are served at once; the next ones wait in the listen
    /// backlog until one closes, and a warning is logged.
    pub max_connections: usize,
    /// Serve https with this certificate (`serve --tls`, `--tls-cert`/`--tls-key`); the
    /// default public URL is then `https://...`. `None`: plain http.
    pub tls: Option<TlsConfig>,
    /// How long a started print job is `processing` before it is `completed`
    /// (`serve --job-processing-ms`).
    pub job_processing: Duration,
    /// How long a print document's download URL (the `Location` of `$value`) is valid.
    pub download_url_ttl: Duration,
}

impl ServerConfig {
    /// Graph's defaults, keeping data in `data_dir` and accepting `token`.
    pub fn new(data_dir: impl Into<PathBuf>, token: impl Into<String>) -> Self {
        ServerConfig {
            data_dir: data_dir.into(),
            token: token.into(),
            tokens: Vec::new(),
            public_url: None,
            print_max_fragment: DEFAULT_PRINT_MAX_FRAGMENT,
            print_max_size: DEFAULT_PRINT_MAX_SIZE,
            todo_max_fragment: DEFAULT_TODO_MAX_FRAGMENT,
            todo_max_size: DEFAULT_TODO_MAX_SIZE,
            drive_max_fragment: DEFAULT_DRIVE_MAX_FRAGMENT,
            drive_quota: DEFAULT_DRIVE_QUOTA,
            session_ttl: DEFAULT_SESSION_TTL,
            sweep_interval: Duration::from_secs(60),
            clock: Arc::new(SystemClock),
            faults: Vec::new(),
            fault_seed: None,
            latency: Duration::ZERO,
            bandwidth: None,
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            tls: None,
            job_processing: DEFAULT_JOB_PROCESSING,
            download_url_ttl: DEFAULT_DOWNLOAD_URL_TTL,
        }
    }
}

/// Every setting but the token, which is a credential (`<redacted>`).
impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("data_dir", &self.data_dir)
            .field("token", &"<redacted>")
            .field("tokens", &self.tokens)
            .field("public_url", &self.public_url)
            .field("print_max_fragment", &self.print_max_fragment)
            .field("print_max_size", &self.print_max_size)
            .field("todo_max_fragment", &self.todo_max_fragment)
            .field("todo_max_size", &self.todo_max_size)
            .field("drive_max_fragment", &self.drive_max_fragment)
            .field("drive_quota", &self.drive_quota)
            .field("session_ttl", &self.session_ttl)
            .field("sweep_interval", &self.sweep_interval)
            .field("clock", &self.clock)
            .field("faults", &self.faults)
            .field("fault_seed", &self.fault_seed)
            .field("latency", &self.latency)
            .field("bandwidth", &self.bandwidth)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_connections", &self.max_connections)
            .field("tls", &self.tls)
            .field("job_processing", &self.job_processing)
            .field("download_url_ttl", &self.download_url_ttl)
            .finish()
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_token() {
        let shown = format!("{:?}", ServerConfig::new("/tmp/x", "SECRET-TOKEN"));
        assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("max_connections"),
            "{shown}"
        );
    }
}
