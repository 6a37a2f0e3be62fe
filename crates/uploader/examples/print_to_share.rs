//! Prints a file through a Universal Print printer share: the uploader creates the job, sends
//! the document in parallel fragments and starts the job.
//!
//! Against the emulator, with the emulator running in another terminal:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! cargo run -p graph-upload --example print_to_share -- report.pdf
//! ```
//!
//! Settings come from the environment: `GRAPH_UPLOAD_BASE_URL` (default
//! `http://127.0.0.1:8080/v1.0`), `GRAPH_UPLOAD_TOKEN` (required), `GRAPH_UPLOAD_SHARE_ID`
//! (default: the emulator's share) and `GRAPH_UPLOAD_CONTENT_TYPE` (default
//! `application/pdf`; it must be one the printer takes). For Microsoft Graph, set the base URL
//! to `https://graph.microsoft.com/v1.0` and use a token with `PrintJob.Create`.

use graph_upload::{PrintedDocument, UploadError, UploadSource, Uploaded, Uploader};
use std::path::PathBuf;

/// The emulator's printer share (`graph_upload_server::fixtures::SHARE_ID`).
pub const EMULATOR_SHARE: &str = "1c879027-5120-4aaf-954a-ebfd509a3bcc";

/// What to print, and where.
pub struct Settings {
    /// Graph's base URL, with its version.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// The printer share.
    pub share_id: String,
    /// The document's media type.
    pub content_type: String,
    /// The document.
    pub file: PathBuf,
}

impl Settings {
    /// From the environment and the command line.
    fn from_env() -> Result<Self, String> {
        Ok(Settings {
            base_url: env_or("GRAPH_UPLOAD_BASE_URL", "http://127.0.0.1:8080/v1.0"),
            token: std::env::var("GRAPH_UPLOAD_TOKEN")
                .map_err(|_| "set GRAPH_UPLOAD_TOKEN to the bearer token".to_string())?,
            share_id: env_or("GRAPH_UPLOAD_SHARE_ID", EMULATOR_SHARE),
            content_type: env_or("GRAPH_UPLOAD_CONTENT_TYPE", "application/pdf"),
            file: std::env::args_os()
                .nth(1)
                .map(PathBuf::from)
                .ok_or("usage: print_to_share FILE")?,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Uploads the document into a new job on the share and starts the job.
pub async fn run(settings: &Settings) -> Result<Uploaded<PrintedDocument>, UploadError> {
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .build()?;
    let source = UploadSource::from_path(&settings.file).map_err(UploadError::Source)?;
    uploader
        .print_to_share(&settings.share_id)
        .content_type(&settings.content_type)
        .upload(&source)
        .await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2)
    });
    let uploaded = run(&settings).await?;
    let printed = uploaded.item;
    println!(
        "document {} of job {}: {} bytes, job started: {}",
        printed.document.id, printed.job_id, printed.document.size, printed.started
    );
    Ok(())
}
