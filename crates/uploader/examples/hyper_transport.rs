//! Uploads over the hyper backend instead of the default reqwest one, with its own timeouts
//! and user agent: the uploader talks to any HTTP stack through the one-method `Transport`
//! trait, and `Uploader::builder(..).transport(..)` picks it.
//!
//! In your own crate, enable the backend you want and drop the other:
//! `graph-upload = { version = "0.1", default-features = false, features = ["hyper"] }`.
//!
//! Against the emulator, with the emulator running in another terminal:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! cargo run -p graph-upload --features hyper --example hyper_transport -- report.pdf
//! ```
//!
//! Settings come from the environment: `GRAPH_UPLOAD_BASE_URL` (default
//! `http://127.0.0.1:8080/v1.0`), `GRAPH_UPLOAD_TOKEN` (required) and `GRAPH_UPLOAD_SHARE_ID`
//! (default: the emulator's share).

use graph_upload::transport::{HyperTransport, TransportConfig};
use graph_upload::{InvalidInput, PrintedDocument, UploadError, UploadSource, Uploaded, Uploader};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// The PDF document.
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
            file: std::env::args_os()
                .nth(1)
                .map(PathBuf::from)
                .ok_or("usage: hyper_transport FILE")?,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Prints the document through an uploader whose requests go through hyper.
pub async fn run(settings: &Settings) -> Result<Uploaded<PrintedDocument>, UploadError> {
    let config = TransportConfig::default()
        .connect_timeout(Duration::from_secs(5))
        // No single request (one fragment of at most 10 MiB) should take longer than this.
        .request_timeout(Some(Duration::from_secs(120)))
        .user_agent("hyper-transport-example/0.1");
    let transport = HyperTransport::new(config).map_err(InvalidInput::Client)?;
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .transport(Arc::new(transport))
        .build()?;
    let source = UploadSource::from_path(&settings.file).map_err(UploadError::Source)?;
    uploader
        .print_to_share(&settings.share_id)
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
    println!(
        "document {} of job {} sent over hyper: {} bytes",
        uploaded.item.document.id, uploaded.item.job_id, uploaded.bytes_sent
    );
    Ok(())
}
