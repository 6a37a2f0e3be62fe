//! The harness of the uploader's end-to-end tests (`crates/uploader/tests/end_to_end`,
//! `crates/uploader/tests/faults.rs`): the [`Emulator`] with real test files next to its data
//! directory ([`TestFile`]), uploaders pointed at it over each transport backend, downloads of
//! `$value` through the transport under test, and a progress-event collector ([`Events`]).
//!
//! Plain-HTTP helpers (creating sessions, raw fragments, status, the data directory) are the
//! emulator harness's own; every test ends with [`Emulator::stop`].

mod events;
mod test_file;

pub use crate::emulator::Emulator;
pub use crate::{MIB, TOKEN};
pub use events::Events;
pub use test_file::TestFile;

use graph_upload::transport::{
    HyperTransport, Request, ReqwestTransport, Transport, TransportConfig, header,
};
use graph_upload::{Uploader, UploaderBuilder};
use graph_upload_ranges::GRAPH_QUANTUM;
use graph_upload_server::fixtures::SHARE_ID;
use std::sync::Arc;
use std::time::Duration;

/// 320 KiB, Graph's fragment quantum.
pub const QUANTUM: u64 = GRAPH_QUANTUM;

/// Builds the transport under test.
pub type MakeTransport = fn() -> Arc<dyn Transport>;

fn transport_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_secs(30)))
}

/// The reqwest backend.
pub fn reqwest_backend() -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(transport_config()).expect("build the reqwest backend"))
}

/// The hyper backend.
pub fn hyper_backend() -> Arc<dyn Transport> {
    Arc::new(HyperTransport::new(transport_config()).expect("build the hyper backend"))
}

/// What the uploader's tests add to the emulator harness.
impl Emulator {
    /// An uploader for this server's `/v1.0` with the test token.
    pub fn uploader(&self, transport: Arc<dyn Transport>) -> Uploader {
        self.uploader_builder(transport).build().expect("uploader")
    }

    /// [`uploader`](Self::uploader), left open for more settings.
    pub fn uploader_builder(&self, transport: Arc<dyn Transport>) -> UploaderBuilder {
        Uploader::builder(self.url(""))
            .token(TOKEN)
            .transport(transport)
    }

    /// A file of `len` deterministic pseudo-random bytes under `{root}/files`.
    pub fn file(&self, name: &str, len: u64, seed: u64) -> TestFile {
        let files = self.root().join("files");
        std::fs::create_dir_all(&files).expect("files directory");
        TestFile::create(files.join(name), len, seed)
    }

    /// A job on the fixture share, as `GET /print/shares/{share}/jobs/{job}` shows it.
    pub async fn print_job(&self, job: &str) -> serde_json::Value {
        self.get_json(&format!("/print/shares/{SHARE_ID}/jobs/{job}"))
            .await
    }

    /// `{base}/v1.0/print/shares/{share}/jobs/{job}/documents/{document}/$value`.
    pub fn print_value_url(&self, job: &str, document: &str) -> String {
        self.url(&format!(
            "/print/shares/{SHARE_ID}/jobs/{job}/documents/{document}/$value"
        ))
    }
}

/// `GET url` with the token through `transport`, expecting `200`; the whole body. A `302`
/// (a print document's `$value`) is followed to its `Location` WITHOUT the token.
pub async fn download(transport: &Arc<dyn Transport>, url: &str) -> Vec<u8> {
    let request = Request::get(url)
        .expect("a valid URL")
        .header_str(header::AUTHORIZATION, &format!("Bearer {TOKEN}"))
        .expect("a valid header")
        .max_response_bytes(128 * MIB as usize);
    let mut response = transport.send(request).await.expect("GET $value");
    if response.status().as_u16() == 302 {
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .expect("a Location on the 302")
            .to_owned();
        let request = Request::get(&location)
            .expect("a valid download URL")
            .max_response_bytes(128 * MIB as usize);
        response = transport.send(request).await.expect("GET the download URL");
    }
    assert_eq!(
        response.status().as_u16(),
        200,
        "GET {url}: {}",
        String::from_utf8_lossy(response.body())
    );
    response.into_body().to_vec()
}
