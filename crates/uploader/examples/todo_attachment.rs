//! Attaches a file (up to 25 MiB) to a Microsoft To Do task through an upload session: the
//! fragments go in order, each with the bearer token.
//!
//! Against the emulator, with the emulator running in another terminal:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! cargo run -p graph-upload --example todo_attachment -- notes.txt
//! ```
//!
//! Settings come from the environment: `GRAPH_UPLOAD_BASE_URL` (default
//! `http://127.0.0.1:8080/v1.0`), `GRAPH_UPLOAD_TOKEN` (required), `GRAPH_UPLOAD_LIST_ID` and
//! `GRAPH_UPLOAD_TASK_ID` (default: the emulator's list and task), and
//! `GRAPH_UPLOAD_CONTENT_TYPE` (optional). For Microsoft Graph, set the base URL to
//! `https://graph.microsoft.com/v1.0` and use a delegated token with `Tasks.ReadWrite`.

use graph_upload::{TodoAttachment, UploadError, UploadSource, Uploaded, Uploader};
use std::path::PathBuf;

/// The emulator's To Do list (`graph_upload_server::fixtures::LIST_ID`).
pub const EMULATOR_LIST: &str = "AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774=";
/// The emulator's task in that list (`graph_upload_server::fixtures::TASK_ID`).
pub const EMULATOR_TASK: &str = "AAMkAGVtdWxhdG9yIFRvIERvIHRhc2sAA-_7774=";

/// What to attach, and to which task.
pub struct Settings {
    /// Graph's base URL, with its version.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// The signed-in user's To Do list.
    pub list_id: String,
    /// The task in that list.
    pub task_id: String,
    /// The attachment's media type, if known.
    pub content_type: Option<String>,
    /// The file.
    pub file: PathBuf,
}

impl Settings {
    /// From the environment and the command line.
    fn from_env() -> Result<Self, String> {
        Ok(Settings {
            base_url: env_or("GRAPH_UPLOAD_BASE_URL", "http://127.0.0.1:8080/v1.0"),
            token: std::env::var("GRAPH_UPLOAD_TOKEN")
                .map_err(|_| "set GRAPH_UPLOAD_TOKEN to the bearer token".to_string())?,
            list_id: env_or("GRAPH_UPLOAD_LIST_ID", EMULATOR_LIST),
            task_id: env_or("GRAPH_UPLOAD_TASK_ID", EMULATOR_TASK),
            content_type: std::env::var("GRAPH_UPLOAD_CONTENT_TYPE").ok(),
            file: std::env::args_os()
                .nth(1)
                .map(PathBuf::from)
                .ok_or("usage: todo_attachment FILE")?,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Uploads the file as a new attachment of the task (named after the file).
pub async fn run(settings: &Settings) -> Result<Uploaded<TodoAttachment>, UploadError> {
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .build()?;
    let source = UploadSource::from_path(&settings.file).map_err(UploadError::Source)?;
    uploader
        .todo_attachment(&settings.list_id, &settings.task_id)
        .set_content_type(settings.content_type.clone())
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
        "attachment {} ({} bytes sent): {}",
        uploaded.item.id, uploaded.bytes_sent, uploaded.item.location
    );
    Ok(())
}
