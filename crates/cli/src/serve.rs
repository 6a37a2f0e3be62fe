//! `graph-upload serve`: the emulator, with the start-up contract other tools rely on.
//!
//! The first stdout line is exactly `listening on http://HOST:PORT` (`https://` with `--tls`;
//! the real port, also with `--listen 127.0.0.1:0`), flushed at once. When no token was given,
//! the second line is `token: ...`: the token kept in the data directory (generated on its
//! first use), so that it survives restarts; when one was, it says so without showing it. The
//! third line is `dashboard: URL` (`/_emulator/`, with `#token=...` when the token is the
//! generated one already printed above, so that opening it signs in). SIGINT/SIGTERM stop it
//! gracefully.

use crate::size::{parse_nonzero_size, parse_size};
use clap::Args;
use graph_upload_server::{FaultRule, ServerConfig, TlsConfig, TokenGrant};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::TcpListener;

/// Options of `graph-upload serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Where state and uploaded bytes are kept (created if missing).
    #[arg(long, default_value = "graph-upload-data")]
    data_dir: PathBuf,
    /// A bearer token API calls may present; repeatable. A plain TOKEN is the all-powerful
    /// token (at most one; when absent, the data directory's own token, generated on first use
    /// and kept in DATA_DIR/token, is used and printed). NAME:TOKEN:KIND:SCOPES adds a token of
    /// KIND `delegated` or `application` with comma-separated SCOPES (such as
    /// `app:s3cret:application:PrintJob.ReadWrite.All,Tasks.ReadWrite.All`): it may make only
    /// the calls whose Graph reference page grants one of its scopes to its kind (403
    /// otherwise; print job cancel is delegated only, abort application only).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "GRAPH_UPLOAD_TOKEN",
        hide_env_values = true
    )]
    token: Vec<String>,
    /// Base URL written into upload URLs and Location headers (default: http://LISTEN-ADDRESS,
    /// https:// with TLS).
    #[arg(long)]
    public_url: Option<String>,
    /// Largest print fragment per PUT: bytes or KiB/MiB/GiB (Graph: 10 MiB).
    #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = parse_nonzero_size)]
    print_max_fragment: u64,
    /// Largest print document: bytes or KiB/MiB/GiB.
    #[arg(long, value_name = "SIZE", default_value = "16GiB", value_parser = parse_nonzero_size)]
    print_max_size: u64,
    /// Largest To Do fragment per PUT: bytes or KiB/MiB/GiB (Graph: 4 MiB).
    #[arg(long, value_name = "SIZE", default_value = "4MiB", value_parser = parse_nonzero_size)]
    todo_max_fragment: u64,
    /// Largest To Do attachment: bytes or KiB/MiB/GiB (Graph: 25 MiB).
    #[arg(long, value_name = "SIZE", default_value = "25MiB", value_parser = parse_nonzero_size)]
    todo_max_size: u64,
    /// Bytes each drive (OneDrive, SharePoint) may hold: bytes or KiB/MiB/GiB; past it,
    /// uploads get 507 insufficientStorage.
    #[arg(long, value_name = "SIZE", default_value = "1024GiB", value_parser = parse_nonzero_size)]
    drive_quota: u64,
    /// Session lifetime in seconds, renewed by each accepted fragment.
    #[arg(long, default_value_t = graph_upload_server::DEFAULT_SESSION_TTL.as_secs())]
    session_ttl: u64,
    /// Milliseconds a started print job stays `processing` before it is `completed`.
    #[arg(long, value_name = "MS",
          default_value_t = graph_upload_server::DEFAULT_JOB_PROCESSING.as_millis() as u64)]
    job_processing_ms: u64,
    /// Seconds the download URL that a print document's `$value` redirects to stays valid.
    #[arg(long, value_name = "SECS",
          default_value_t = graph_upload_server::DEFAULT_DOWNLOAD_URL_TTL.as_secs())]
    download_url_ttl: u64,
    /// Fault rules to inject from the start: a JSON array such as
    /// `[{"route": "put", "every": 3, "status": 503, "retryAfter": 1}]`
    /// (`PUT /_emulator/faults` replaces them at runtime).
    #[arg(long, value_name = "FILE")]
    faults: Option<PathBuf>,
    /// Seed of the `probability` triggers, for runs that repeat request for request.
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// Milliseconds added before every answer, to look like a distant server.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency: u64,
    /// Caps each connection's upload rate, in bytes per second (`512KiB`, `10MiB`).
    #[arg(long, value_name = "BYTES_PER_SEC", value_parser = parse_size)]
    bandwidth: Option<u64>,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, value_name = "SECS",
          default_value_t = graph_upload_server::DEFAULT_HEADER_READ_TIMEOUT.as_secs())]
    header_read_timeout: u64,
    /// Seconds a kept-alive connection may stay idle between requests.
    #[arg(long, value_name = "SECS",
          default_value_t = graph_upload_server::DEFAULT_IDLE_TIMEOUT.as_secs())]
    idle_timeout: u64,
    /// Connections served at once; more wait until one closes.
    #[arg(long, value_name = "N", default_value_t = graph_upload_server::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Serve https with a self-signed certificate, generated on first use and kept in the data
    /// directory (DATA_DIR/cert.pem, DATA_DIR/key.pem); clients trust it with
    /// `--ca-cert DATA_DIR/cert.pem`.
    #[arg(long)]
    tls: bool,
    /// Serve https with this PEM certificate chain instead (with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

/// The certificate the flags ask for, if any; errors name the flag and the file.
fn tls_config(args: &ServeArgs) -> Result<Option<TlsConfig>, String> {
    match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => TlsConfig::from_files(cert, key)
            .map(Some)
            .map_err(|error| format!("--tls-cert/--tls-key: {error}")),
        _ if args.tls => Ok(Some(TlsConfig::self_signed())),
        _ => Ok(None),
    }
}

/// Reads and checks a `--faults` file; the error is one line naming the file and the problem.
fn read_faults(path: &Path) -> Result<Vec<FaultRule>, String> {
    let text = std::fs::read(path)
        .map_err(|error| format!("--faults {}: cannot read it: {error}", path.display()))?;
    FaultRule::parse_list(&text).map_err(|error| format!("--faults {}: {error}", path.display()))
}

/// Lets the process hold `max_connections` sockets and some files: raises the soft limit of
/// open files towards the hard one when it is lower (it often is 1024).
#[cfg(unix)]
fn allow_connections(max_connections: usize) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let wanted = max_connections as u64 + 256;
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|current| current < wanted) {
        limit.current = Some(limit.maximum.map_or(wanted, |maximum| wanted.min(maximum)));
        if let Err(error) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(%error, "cannot raise the open-file limit");
        }
    }
    let current = getrlimit(Resource::Nofile).current;
    if current.is_some_and(|current| current < wanted) {
        tracing::warn!(
            max_connections,
            open_files = current,
            "the open-file limit is below --max-connections; fewer connections can be served"
        );
    }
}

#[cfg(not(unix))]
fn allow_connections(_max_connections: usize) {}

/// `--listen` as a socket address, with a hint for a bare port (`8080`).
fn check_listen(listen: &str) -> Result<(), String> {
    if !listen.is_empty() && listen.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "--listen {listen} is not HOST:PORT; did you mean --listen 127.0.0.1:{listen}?"
        ));
    }
    Ok(())
}

/// The `--token` values: at most one plain (all-powerful) token, and the scoped ones
/// (`NAME:TOKEN:KIND:SCOPES`). Errors never repeat a token.
fn split_tokens(values: &[String]) -> Result<(Option<String>, Vec<TokenGrant>), String> {
    let mut plain = None;
    let mut grants: Vec<TokenGrant> = Vec::new();
    for value in values {
        if value.trim().is_empty() {
            return Err("--token must not be empty".into());
        }
        if value.contains(':') {
            let grant = TokenGrant::parse(value).map_err(|error| format!("--token: {error}"))?;
            if grants.iter().any(|other| other.name == grant.name) {
                return Err(format!("--token: the name {:?} is given twice", grant.name));
            }
            grants.push(grant);
        } else if plain.replace(value.clone()).is_some() {
            return Err(
                "--token: only one plain (all-powerful) token; give the others as NAME:TOKEN:KIND:SCOPES"
                    .into(),
            );
        }
    }
    Ok((plain, grants))
}

/// A data directory must be a directory (it is created when missing).
fn check_data_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "--data-dir {} is a file, not a directory; pass a directory (it is created if missing)",
            dir.display()
        ));
    }
    Ok(())
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    check_listen(&args.listen)?;
    check_data_dir(&args.data_dir)?;
    if let Some(url) = &args.public_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(format!(
            "--public-url {url:?} must start with http:// or https://"
        ));
    }
    if args.session_ttl == 0 {
        return Err("--session-ttl must be at least 1 second".into());
    }
    if args.header_read_timeout == 0 {
        return Err("--header-read-timeout must be at least 1 second".into());
    }
    if args.idle_timeout == 0 {
        return Err("--idle-timeout must be at least 1 second".into());
    }
    if args.max_connections == 0 {
        return Err("--max-connections must be at least 1".into());
    }
    if args.bandwidth == Some(0) {
        return Err("--bandwidth must be at least 1 byte per second".into());
    }
    let faults = match &args.faults {
        Some(path) => read_faults(path)?,
        None => Vec::new(),
    };
    let tls = tls_config(&args)?;
    allow_connections(args.max_connections);
    let listener = TcpListener::bind(&args.listen).await.map_err(|error| {
        format!(
            "cannot listen on {}: {error} (give HOST:PORT, such as 127.0.0.1:8080 or 0.0.0.0:8080)",
            args.listen
        )
    })?;
    let (plain, grants) = split_tokens(&args.token)?;
    let (token, generated) = match plain {
        Some(token) => (token, false),
        None => (
            graph_upload_server::load_or_create_token(&args.data_dir).map_err(|error| {
                format!("cannot use the data directory's token: {error} (with --token or GRAPH_UPLOAD_TOKEN)")
            })?,
            true,
        ),
    };
    let mut config = ServerConfig::new(args.data_dir, token.clone());
    config.tokens = grants;
    config.public_url = args.public_url;
    config.print_max_fragment = args.print_max_fragment;
    config.print_max_size = args.print_max_size;
    config.todo_max_fragment = args.todo_max_fragment;
    config.todo_max_size = args.todo_max_size;
    config.drive_quota = args.drive_quota;
    config.session_ttl = Duration::from_secs(args.session_ttl);
    config.job_processing = Duration::from_millis(args.job_processing_ms);
    config.download_url_ttl = Duration::from_secs(args.download_url_ttl);
    config.faults = faults;
    config.fault_seed = args.fault_seed;
    config.latency = Duration::from_millis(args.latency);
    config.bandwidth = args.bandwidth;
    config.header_read_timeout = Duration::from_secs(args.header_read_timeout);
    config.idle_timeout = Duration::from_secs(args.idle_timeout);
    config.max_connections = args.max_connections;
    config.tls = tls;

    // Open the data directory before announcing the address: a tool that reads the first
    // line may rely on the server being usable.
    let server = graph_upload_server::Server::open(listener, config)
        .await
        .map_err(|error| error.to_string())?;
    let base_url = server.base_url().to_owned();
    let mut stdout = std::io::stdout().lock();
    let announce = |out: &mut std::io::StdoutLock<'_>| -> std::io::Result<()> {
        writeln!(out, "listening on {base_url}")?;
        if generated {
            writeln!(out, "token: {token}")?;
            writeln!(out, "dashboard: {base_url}/_emulator/#token={token}")?;
        } else {
            writeln!(
                out,
                "token: given with --token or GRAPH_UPLOAD_TOKEN (not shown)"
            )?;
            writeln!(out, "dashboard: {base_url}/_emulator/")?;
        }
        out.flush()
    };
    announce(&mut stdout).map_err(|error| format!("cannot write to stdout: {error}"))?;
    drop(stdout);
    server
        .serve(shutdown_signal())
        .await
        .map_err(|error| format!("the server failed: {error}"))
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_defaults_are_the_emulator_constants() {
        assert_eq!(
            parse_size("10MiB"),
            Ok(graph_upload_server::DEFAULT_PRINT_MAX_FRAGMENT)
        );
        assert_eq!(
            parse_size("16GiB"),
            Ok(graph_upload_server::DEFAULT_PRINT_MAX_SIZE)
        );
        assert_eq!(
            parse_size("4MiB"),
            Ok(graph_upload_server::DEFAULT_TODO_MAX_FRAGMENT)
        );
        assert_eq!(
            parse_size("25MiB"),
            Ok(graph_upload_server::DEFAULT_TODO_MAX_SIZE)
        );
    }

    #[test]
    fn tokens_split_into_one_plain_and_scoped_ones() {
        let values = |list: &[&str]| list.iter().map(|v| v.to_string()).collect::<Vec<_>>();
        let (plain, grants) = split_tokens(&values(&[
            "owner",
            "user:u1:delegated:PrintJob.ReadWriteBasic",
            "app:a1:application:PrintJob.Manage.All,Tasks.ReadWrite.All",
        ]))
        .unwrap();
        assert_eq!(plain.as_deref(), Some("owner"));
        assert_eq!(grants.len(), 2);
        assert_eq!(
            grants[1].scopes,
            ["PrintJob.Manage.All", "Tasks.ReadWrite.All"]
        );
        let (plain, grants) = split_tokens(&values(&["user:u1:delegated:X"])).unwrap();
        assert!(plain.is_none() && grants.len() == 1);
        for bad in [
            &["one", "two"][..],
            &["a:x:delegated:X", "a:y:delegated:X"],
            &["a:s3cret:nobody:X"],
            &[" "],
        ] {
            let error = split_tokens(&values(bad)).unwrap_err();
            assert!(!error.contains("s3cret"), "{error}");
        }
    }

    #[test]
    fn a_bare_port_gets_a_host_port_hint_and_a_file_is_not_a_data_directory() {
        let error = check_listen("8080").unwrap_err();
        assert!(error.contains("--listen 127.0.0.1:8080"), "{error}");
        assert!(check_listen("127.0.0.1:0").is_ok());
        let file = tempfile::NamedTempFile::new().unwrap();
        let error = check_data_dir(file.path()).unwrap_err();
        assert!(error.contains("is a file, not a directory"), "{error}");
        assert!(check_data_dir(&file.path().with_extension("missing")).is_ok());
    }
}
