//! Resumes an interrupted upload in a later run: a journal file remembers the session, so the
//! next run with the same file sends only the bytes the service does not have yet.
//!
//! Against the emulator, with the emulator running in another terminal:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! head -c 50000000 /dev/urandom > big.pdf
//! # Stop after about 10 MB (or press Ctrl-C, or kill the process: the journal is on disk).
//! GRAPH_UPLOAD_STOP_AFTER=10000000 cargo run -p graph-upload --example resume_with_journal -- big.pdf
//! # The same command without the limit continues where the first run stopped.
//! cargo run -p graph-upload --example resume_with_journal -- big.pdf
//! ```
//!
//! Settings come from the environment: `GRAPH_UPLOAD_BASE_URL` (default
//! `http://127.0.0.1:8080/v1.0`), `GRAPH_UPLOAD_TOKEN` (required), `GRAPH_UPLOAD_SHARE_ID`
//! (default: the emulator's share), `GRAPH_UPLOAD_JOURNAL` (default: `FILE.journal`) and
//! `GRAPH_UPLOAD_STOP_AFTER` (bytes; default: never). A journal holds the session's upload
//! URL, whose query string is a credential: keep it where only you can read it.

use graph_upload::ranges::GRAPH_QUANTUM;
use graph_upload::{
    CancellationToken, PrintedDocument, ProgressEvent, UploadError, UploadSource, Uploaded,
    Uploader,
};
use std::path::PathBuf;

/// The emulator's printer share (`graph_upload_server::fixtures::SHARE_ID`).
pub const EMULATOR_SHARE: &str = "1c879027-5120-4aaf-954a-ebfd509a3bcc";

/// Fragments of 1.25 MiB (four quanta), so that a stop leaves a partial upload behind.
const FRAGMENT: u64 = 4 * GRAPH_QUANTUM;

/// What to print, where, with which journal, and when to stop.
pub struct Settings {
    /// Graph's base URL, with its version.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// The printer share.
    pub share_id: String,
    /// The PDF document.
    pub file: PathBuf,
    /// Where the session is remembered between runs.
    pub journal: PathBuf,
    /// Stops this run once the service has at least this many bytes (to try a resume).
    pub stop_after: Option<u64>,
}

impl Settings {
    /// From the environment and the command line.
    fn from_env() -> Result<Self, String> {
        let file: PathBuf = std::env::args_os()
            .nth(1)
            .map(PathBuf::from)
            .ok_or("usage: resume_with_journal FILE")?;
        let stop_after = match std::env::var("GRAPH_UPLOAD_STOP_AFTER") {
            Ok(bytes) => Some(
                bytes
                    .parse()
                    .map_err(|_| format!("GRAPH_UPLOAD_STOP_AFTER={bytes:?} is not a number"))?,
            ),
            Err(_) => None,
        };
        let journal = match std::env::var_os("GRAPH_UPLOAD_JOURNAL") {
            Some(path) => PathBuf::from(path),
            None => {
                let mut path = file.clone().into_os_string();
                path.push(".journal");
                PathBuf::from(path)
            }
        };
        Ok(Settings {
            base_url: env_or("GRAPH_UPLOAD_BASE_URL", "http://127.0.0.1:8080/v1.0"),
            token: std::env::var("GRAPH_UPLOAD_TOKEN")
                .map_err(|_| "set GRAPH_UPLOAD_TOKEN to the bearer token".to_string())?,
            share_id: env_or("GRAPH_UPLOAD_SHARE_ID", EMULATOR_SHARE),
            file,
            journal,
            stop_after,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Prints the document, continuing the journal's session when there is one. A run stopped by
/// `stop_after` ends with `Err(UploadError::Cancelled)` and keeps the session and the
/// journal; a run that finishes removes the journal.
pub async fn run(settings: &Settings) -> Result<Uploaded<PrintedDocument>, UploadError> {
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .build()?;
    let source = UploadSource::from_path(&settings.file).map_err(UploadError::Source)?;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let stop_after = settings.stop_after;
    let report = move |event: ProgressEvent| match event {
        ProgressEvent::SessionReady {
            acknowledged: 0,
            total,
            ..
        } => eprintln!("new session for {total} bytes"),
        ProgressEvent::SessionReady {
            acknowledged,
            total,
            ..
        } => eprintln!("resuming: the service has {acknowledged} of {total} bytes"),
        ProgressEvent::FragmentAcknowledged { acknowledged, .. }
            if stop_after.is_some_and(|limit| acknowledged >= limit) =>
        {
            stop.cancel()
        }
        _ => {}
    };
    uploader
        .print_to_share(&settings.share_id)
        .fragment_size(FRAGMENT)
        .journal(&settings.journal)
        .on_progress(report)
        .cancel_on(cancel)
        .upload(&source)
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2)
    });
    match run(&settings).await {
        Ok(uploaded) => {
            println!(
                "document {} of job {}: this run sent {} bytes",
                uploaded.item.document.id, uploaded.item.job_id, uploaded.bytes_sent
            );
            Ok(())
        }
        Err(UploadError::Cancelled) => {
            eprintln!(
                "stopped; {} remembers the session: run again to continue",
                settings.journal.display()
            );
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}
