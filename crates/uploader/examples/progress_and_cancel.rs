//! Shows an upload's progress as it happens and stops it on Ctrl-C, or by itself once a given
//! number of bytes is on the service. A cancelled upload removes what it created: the session
//! is deleted and the print job cancelled.
//!
//! Against the emulator, with the emulator running in another terminal:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! head -c 50000000 /dev/urandom > big.pdf
//! cargo run -p graph-upload --example progress_and_cancel -- big.pdf              # Ctrl-C stops it
//! GRAPH_UPLOAD_CANCEL_AFTER=5000000 cargo run -p graph-upload --example progress_and_cancel -- big.pdf
//! ```
//!
//! Settings come from the environment: `GRAPH_UPLOAD_BASE_URL` (default
//! `http://127.0.0.1:8080/v1.0`), `GRAPH_UPLOAD_TOKEN` (required), `GRAPH_UPLOAD_SHARE_ID`
//! (default: the emulator's share) and `GRAPH_UPLOAD_CANCEL_AFTER` (bytes; default: never).

use graph_upload::ranges::GRAPH_QUANTUM;
use graph_upload::{
    CancellationToken, PrintedDocument, ProgressEvent, UploadError, UploadSource, Uploaded,
    Uploader,
};
use std::path::PathBuf;

/// The emulator's printer share (`graph_upload_server::fixtures::SHARE_ID`).
pub const EMULATOR_SHARE: &str = "1c879027-5120-4aaf-954a-ebfd509a3bcc";

/// Fragments of 1.25 MiB (four quanta), so that progress shows often.
const FRAGMENT: u64 = 4 * GRAPH_QUANTUM;

/// What to print, where, and when to give up.
pub struct Settings {
    /// Graph's base URL, with its version.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// The printer share.
    pub share_id: String,
    /// The PDF document.
    pub file: PathBuf,
    /// Cancels the upload once the service has at least this many bytes.
    pub cancel_after: Option<u64>,
}

impl Settings {
    /// From the environment and the command line.
    fn from_env() -> Result<Self, String> {
        let cancel_after = match std::env::var("GRAPH_UPLOAD_CANCEL_AFTER") {
            Ok(bytes) => Some(
                bytes
                    .parse()
                    .map_err(|_| format!("GRAPH_UPLOAD_CANCEL_AFTER={bytes:?} is not a number"))?,
            ),
            Err(_) => None,
        };
        Ok(Settings {
            base_url: env_or("GRAPH_UPLOAD_BASE_URL", "http://127.0.0.1:8080/v1.0"),
            token: std::env::var("GRAPH_UPLOAD_TOKEN")
                .map_err(|_| "set GRAPH_UPLOAD_TOKEN to the bearer token".to_string())?,
            share_id: env_or("GRAPH_UPLOAD_SHARE_ID", EMULATOR_SHARE),
            file: std::env::args_os()
                .nth(1)
                .map(PathBuf::from)
                .ok_or("usage: progress_and_cancel FILE")?,
            cancel_after,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Prints the document, reporting progress on stderr, until it is done or `cancel` fires
/// (`Err(UploadError::Cancelled)`).
pub async fn run(
    settings: &Settings,
    cancel: CancellationToken,
) -> Result<Uploaded<PrintedDocument>, UploadError> {
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .build()?;
    let source = UploadSource::from_path(&settings.file).map_err(UploadError::Source)?;
    let cancel_after = settings.cancel_after;
    let stop = cancel.clone();
    // The callback runs on the upload's task: it only prints and, maybe, cancels.
    let report = move |event: ProgressEvent| match event {
        ProgressEvent::SessionReady { total, .. } => eprintln!("session ready: {total} bytes"),
        ProgressEvent::FragmentAcknowledged {
            acknowledged,
            total,
            ..
        } => {
            eprintln!(
                "{acknowledged} of {total} bytes ({:.0} %)",
                acknowledged as f64 * 100.0 / total.max(1) as f64
            );
            if cancel_after.is_some_and(|limit| acknowledged >= limit) {
                eprintln!("{acknowledged} bytes are enough: cancelling");
                stop.cancel();
            }
        }
        ProgressEvent::Retrying { reason, delay, .. } => {
            eprintln!("retrying in {delay:?}: {reason}")
        }
        ProgressEvent::Warning { message } => eprintln!("warning: {message}"),
        ProgressEvent::Completed { total } => eprintln!("all {total} bytes are there"),
        _ => {}
    };
    uploader
        .print_to_share(&settings.share_id)
        .fragment_size(FRAGMENT)
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
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Ctrl-C: cancelling");
            on_ctrl_c.cancel();
        }
    });
    match run(&settings, cancel).await {
        Ok(uploaded) => {
            println!(
                "document {} of job {} printed",
                uploaded.item.document.id, uploaded.item.job_id
            );
            Ok(())
        }
        Err(UploadError::Cancelled) => {
            eprintln!("cancelled: the session was deleted and the job cancelled");
            std::process::exit(130);
        }
        Err(error) => Err(error.into()),
    }
}
