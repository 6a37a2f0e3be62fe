//! `graph-upload serve`: the emulator, with the start-up contract other tools rely on.
//!
//! The first stdout line is exactly `listening on http://HOST:PORT` (the real port, also with
//! `--listen 127.0.0.1:0`), flushed at once; when no token was given, the second line is
//! `token: ...`: the token kept in the data directory (generated on its first use), so that it
//! survives restarts. SIGINT/SIGTERM stop it gracefully.

use clap::Args;
use graph_upload_server::ServerConfig;
use std::io::Write;
use std::path::PathBuf;
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
    /// The bearer token API calls must present. When absent, the data directory's own token
    /// (generated on first use, kept in DATA_DIR/token) is used and printed.
    #[arg(long, env = "GRAPH_UPLOAD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Base URL written into upload URLs and Location headers (default: http://LISTEN-ADDRESS).
    #[arg(long)]
    public_url: Option<String>,
    /// Largest print fragment per PUT, in bytes (Graph: 10 MiB).
    #[arg(long, default_value_t = graph_upload_server::DEFAULT_PRINT_MAX_FRAGMENT)]
    print_max_fragment: u64,
    /// Largest print document, in bytes.
    #[arg(long, default_value_t = graph_upload_server::DEFAULT_PRINT_MAX_SIZE)]
    print_max_size: u64,
    /// Largest To Do fragment per PUT, in bytes (Graph: 4 MiB).
    #[arg(long, default_value_t = graph_upload_server::DEFAULT_TODO_MAX_FRAGMENT)]
    todo_max_fragment: u64,
    /// Largest To Do attachment, in bytes (Graph: 25 MiB).
    #[arg(long, default_value_t = graph_upload_server::DEFAULT_TODO_MAX_SIZE)]
    todo_max_size: u64,
    /// Session lifetime in seconds, renewed by each accepted fragment.
    #[arg(long, default_value_t = graph_upload_server::DEFAULT_SESSION_TTL.as_secs())]
    session_ttl: u64,
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), String> {
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
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.listen))?;
    let address = listener
        .local_addr()
        .map_err(|error| format!("cannot read the listening address: {error}"))?;
    let (token, generated) = match args.token {
        Some(token) if !token.trim().is_empty() => (token, false),
        Some(_) => return Err("--token must not be empty".into()),
        None => (
            graph_upload_server::load_or_create_token(&args.data_dir).map_err(|error| {
                format!("cannot use the data directory's token: {error} (with --token or GRAPH_UPLOAD_TOKEN)")
            })?,
            true,
        ),
    };
    let mut config = ServerConfig::new(args.data_dir, token.clone());
    config.public_url = args.public_url;
    config.print_max_fragment = args.print_max_fragment;
    config.print_max_size = args.print_max_size;
    config.todo_max_fragment = args.todo_max_fragment;
    config.todo_max_size = args.todo_max_size;
    config.session_ttl = Duration::from_secs(args.session_ttl);

    // Open the data directory before announcing the address: a tool that reads the first
    // line may rely on the server being usable.
    let server = graph_upload_server::Server::open(listener, config)
        .await
        .map_err(|error| error.to_string())?;
    let mut stdout = std::io::stdout().lock();
    let announce = |out: &mut std::io::StdoutLock<'_>| -> std::io::Result<()> {
        writeln!(out, "listening on http://{address}")?;
        if generated {
            writeln!(out, "token: {token}")?;
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
