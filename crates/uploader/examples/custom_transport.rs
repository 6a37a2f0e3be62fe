//! Wraps the HTTP stack in a `Transport` of your own: here, a layer that gives every request
//! a fresh `client-request-id` (the GUID Microsoft support asks for when a request went
//! wrong; Graph echoes it back) and logs it, then hands the request to the default backend.
//! Retries, throttling and fault injection can be layers of the same shape.
//!
//! The layer logs only the method and the path: the query string of a print upload URL is a
//! credential and must never be printed.
//!
//! Against the emulator, with the emulator running in another terminal:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! cargo run -p graph-upload --example custom_transport -- notes.txt
//! ```
//!
//! Settings come from the environment: `GRAPH_UPLOAD_BASE_URL` (default
//! `http://127.0.0.1:8080/v1.0`), `GRAPH_UPLOAD_TOKEN` (required), `GRAPH_UPLOAD_LIST_ID` and
//! `GRAPH_UPLOAD_TASK_ID` (default: the emulator's list and task). Your crate needs
//! `async-trait` (and `uuid` for the ids) besides `graph-upload`.

use async_trait::async_trait;
use graph_upload::transport::{
    HeaderName, Request, ReqwestTransport, Response, Transport, TransportConfig, TransportError,
};
use graph_upload::{InvalidInput, TodoAttachment, UploadError, UploadSource, Uploaded, Uploader};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The emulator's To Do list (`graph_upload_server::fixtures::LIST_ID`).
pub const EMULATOR_LIST: &str = "AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774=";
/// The emulator's task in that list (`graph_upload_server::fixtures::TASK_ID`).
pub const EMULATOR_TASK: &str = "AAMkAGVtdWxhdG9yIFRvIERvIHRhc2sAA-_7774=";

const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// A transport layer: adds a `client-request-id` to each request, then lets `inner` send it.
#[derive(Debug)]
pub struct WithClientRequestId {
    inner: Arc<dyn Transport>,
    sent: AtomicU64,
    echoed: AtomicU64,
}

impl WithClientRequestId {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Transport>) -> Self {
        WithClientRequestId {
            inner,
            sent: AtomicU64::new(0),
            echoed: AtomicU64::new(0),
        }
    }

    /// Requests sent so far, and how many of their answers carried their id back.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.sent.load(Ordering::Relaxed),
            self.echoed.load(Ordering::Relaxed),
        )
    }
}

#[async_trait]
impl Transport for WithClientRequestId {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let id = uuid::Uuid::new_v4().to_string();
        let request = request.header_str(CLIENT_REQUEST_ID, &id)?;
        // The path only: never the query string, never the headers.
        let what = format!("{} {}", request.method(), request.uri().path());
        self.sent.fetch_add(1, Ordering::Relaxed);
        let result = self.inner.send(request).await;
        match &result {
            Ok(response) => {
                if response.header_str(CLIENT_REQUEST_ID.as_str()) == Some(id.as_str()) {
                    self.echoed.fetch_add(1, Ordering::Relaxed);
                }
                eprintln!("{what} -> {} (client-request-id {id})", response.status());
            }
            Err(error) => eprintln!("{what} failed: {error} (client-request-id {id})"),
        }
        result
    }
}

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
            file: std::env::args_os()
                .nth(1)
                .map(PathBuf::from)
                .ok_or("usage: custom_transport FILE")?,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Attaches the file through the layer; answers the attachment and the layer, for its counts.
pub async fn run(
    settings: &Settings,
) -> Result<(Uploaded<TodoAttachment>, Arc<WithClientRequestId>), UploadError> {
    let backend =
        ReqwestTransport::new(TransportConfig::default()).map_err(InvalidInput::Client)?;
    let layer = Arc::new(WithClientRequestId::new(Arc::new(backend)));
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .transport(layer.clone())
        .build()?;
    let source = UploadSource::from_path(&settings.file).map_err(UploadError::Source)?;
    let uploaded = uploader
        .todo_attachment(&settings.list_id, &settings.task_id)
        .upload(&source)
        .await?;
    Ok((uploaded, layer))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2)
    });
    let (uploaded, layer) = run(&settings).await?;
    let (sent, echoed) = layer.counts();
    println!(
        "attachment {}: {sent} requests, {echoed} answers echoed their client-request-id",
        uploaded.item.id
    );
    Ok(())
}
