//! Continues an upload session created elsewhere: by another program, a script, or another
//! Graph call. It reads the `uploadSession` JSON that `createUploadSession` answered and sends
//! the file with the rules of its endpoint (`print` or `todo`).
//!
//! Against the emulator, with the emulator running in another terminal, a To Do session made
//! with curl:
//!
//! ```sh
//! export GRAPH_UPLOAD_TOKEN=secret
//! graph-upload serve &                      # or: cargo run -p graph-upload-cli -- serve
//! TASK=http://127.0.0.1:8080/v1.0/me/todo/lists/AAMkAGVtdWxhdG9yIFRvIERvIGxpc3QAA-_7774=/tasks/AAMkAGVtdWxhdG9yIFRvIERvIHRhc2sAA-_7774=
//! curl -s -X POST -H "Authorization: Bearer $GRAPH_UPLOAD_TOKEN" -H 'Content-Type: application/json' \
//!   -d "{\"attachmentInfo\": {\"attachmentType\": \"file\", \"name\": \"notes.txt\", \"size\": $(wc -c < notes.txt)}}" \
//!   "$TASK/attachments/createUploadSession" > session.json
//! cargo run -p graph-upload --example existing_session -- todo session.json notes.txt
//! ```
//!
//! The file must have the size the session was created for. Settings come from the
//! environment: `GRAPH_UPLOAD_BASE_URL` (default `http://127.0.0.1:8080/v1.0`) and
//! `GRAPH_UPLOAD_TOKEN` (required: To Do sends it with every fragment; print never sends it
//! to its pre-authenticated upload URL). A print session's JSON holds a credential in its
//! `uploadUrl`: keep the file private.

use graph_upload::models::UploadSession;
use graph_upload::{EndpointProfile, UploadOutcome, UploadSource, Uploaded, Uploader};
use std::error::Error;
use std::path::PathBuf;

/// Which session, for which endpoint, with which file.
pub struct Settings {
    /// Graph's base URL, with its version.
    pub base_url: String,
    /// The bearer token.
    pub token: String,
    /// The endpoint's rules: `EndpointProfile::print()` or `EndpointProfile::todo()`.
    pub profile: EndpointProfile,
    /// The `uploadSession` JSON, as `createUploadSession` answered it.
    pub session_json: PathBuf,
    /// The file.
    pub file: PathBuf,
}

impl Settings {
    /// From the environment and the command line: `PROFILE SESSION_JSON FILE`.
    fn from_env() -> Result<Self, String> {
        let usage = "usage: existing_session print|todo SESSION_JSON FILE";
        let mut args = std::env::args_os().skip(1);
        let profile = match args.next().as_ref().and_then(|kind| kind.to_str()) {
            Some("print") => EndpointProfile::print(),
            Some("todo") => EndpointProfile::todo(),
            _ => return Err(usage.into()),
        };
        Ok(Settings {
            base_url: std::env::var("GRAPH_UPLOAD_BASE_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:8080/v1.0".to_owned()),
            token: std::env::var("GRAPH_UPLOAD_TOKEN")
                .map_err(|_| "set GRAPH_UPLOAD_TOKEN to the bearer token".to_string())?,
            profile,
            session_json: args.next().map(PathBuf::from).ok_or(usage)?,
            file: args.next().map(PathBuf::from).ok_or(usage)?,
        })
    }
}

/// Sends the file to the session; answers what the service said when the last byte arrived.
pub async fn run(settings: &Settings) -> Result<Uploaded<UploadOutcome>, Box<dyn Error>> {
    let session: UploadSession = serde_json::from_slice(&std::fs::read(&settings.session_json)?)?;
    let uploader = Uploader::builder(&settings.base_url)
        .token(&settings.token)
        .build()?;
    let source = UploadSource::from_path(&settings.file)?;
    let uploaded = uploader
        .existing_session(session, settings.profile.clone())
        .upload(&source)
        .await?;
    Ok(uploaded)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let settings = Settings::from_env().unwrap_or_else(|message| {
        eprintln!("{message}");
        std::process::exit(2)
    });
    let uploaded = run(&settings).await?;
    match &uploaded.item {
        UploadOutcome::PrintDocument(document) => {
            println!("print document {} ({} bytes)", document.id, document.size)
        }
        UploadOutcome::Attachment { location } => println!("attachment at {location}"),
        other => println!("done: {other:?}"),
    }
    Ok(())
}
