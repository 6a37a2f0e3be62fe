//! An emulator inside the test process, driven through its router without a socket: what the
//! crate's own tests use to send real requests and look at the state behind them.

use crate::config::ServerConfig;
use crate::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use std::sync::Arc;
use tower::ServiceExt;

/// The bearer token of the test emulator.
pub const TOKEN: &str = "test-app-token";

/// The base URL written into upload URLs (never connected to).
pub const PUBLIC_URL: &str = "http://emulator.test";

/// A test emulator: its temporary directory (data in `data/`), state and router.
pub struct TestApp {
    /// Holds `data/` and anything a test puts beside it.
    pub dir: tempfile::TempDir,
    /// The shared state, to look behind the API.
    pub state: Arc<AppState>,
    router: Router,
}

/// A whole answer.
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: bytes::Bytes,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

impl TestApp {
    /// A fresh emulator with Graph's defaults.
    pub async fn new() -> TestApp {
        Self::with(|_| {}).await
    }

    /// A fresh emulator whose configuration `adjust` changes first.
    pub async fn with(adjust: impl FnOnce(&mut ServerConfig)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new(dir.path().join("data"), TOKEN);
        adjust(&mut config);
        let state = crate::open(config, PUBLIC_URL.to_owned())
            .await
            .expect("open the data directory");
        let router = crate::routes::router(Arc::clone(&state));
        TestApp { dir, state, router }
    }

    /// Sends one request through the router.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("read the body");
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A Graph call with the bearer token and, when given, a JSON body.
    pub async fn api(&self, method: Method, path: &str, json: Option<serde_json::Value>) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {TOKEN}"));
        let body = match json {
            Some(value) => {
                request = request.header("content-type", "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// `GET {document}/$value` with the token, and when it answers `302`, its `Location`
    /// without the token (printdocument-get-file.md): the download's answer.
    pub async fn print_value(&self, document: &str) -> Answer {
        let answer = self
            .api(Method::GET, &format!("{document}/$value"), None)
            .await;
        if answer.status != StatusCode::FOUND {
            return answer;
        }
        let location = answer
            .headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .expect("a Location on the 302");
        let path = location
            .strip_prefix(PUBLIC_URL)
            .expect("the download URL is on the emulator");
        let request = Request::get(path).body(Body::empty()).expect("request");
        self.send(request).await
    }

    /// A job on `parent` (`/v1.0/print/shares/{id}`...): its path and its document's id.
    pub async fn print_job(&self, parent: &str) -> (String, String) {
        let answer = self
            .api(
                Method::POST,
                &format!("{parent}/jobs"),
                Some(serde_json::json!({})),
            )
            .await;
        assert_eq!(answer.status, 201, "{answer:?}");
        let job = answer.json();
        let id = job["id"].as_str().expect("job id");
        let document = job["documents"][0]["id"].as_str().expect("document id");
        (format!("{parent}/jobs/{id}"), document.to_owned())
    }

    /// A PDF upload session of `size` bytes for a new job on the fixture share: the job's
    /// path, the document's path and the upload URL's path and query.
    pub async fn print_upload(&self, size: u64) -> (String, String, String) {
        let (job, document) = self
            .print_job(&format!("/v1.0/print/shares/{SHARE_ID}"))
            .await;
        let document = format!("{job}/documents/{document}");
        let answer = self
            .api(
                Method::POST,
                &format!("{document}/createUploadSession"),
                Some(serde_json::json!({"properties": {
                    "documentName": "a.pdf", "contentType": "application/pdf", "size": size}})),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        let url = answer.json()["uploadUrl"]
            .as_str()
            .expect("uploadUrl")
            .strip_prefix(PUBLIC_URL)
            .expect("on the public URL")
            .to_owned();
        (job, document, url)
    }

    /// A To Do upload session of `size` bytes on the fixture task: the upload URL's path.
    pub async fn todo_upload(&self, size: u64) -> String {
        let answer = self
            .api(
                Method::POST,
                &format!("{}/attachments/createUploadSession", todo_task()),
                Some(serde_json::json!({"attachmentInfo": {
                    "attachmentType": "file", "name": "a.bin", "size": size}})),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        answer.json()["uploadUrl"]
            .as_str()
            .expect("uploadUrl")
            .strip_prefix(PUBLIC_URL)
            .expect("on the public URL")
            .to_owned()
    }

    /// A fragment PUT: `bytes` at `start` of a `total`-byte file, to a print upload URL (no
    /// credentials) or to a To Do one (`/content`, with the bearer).
    pub async fn put(&self, url: &str, start: u64, bytes: &[u8], total: u64) -> Answer {
        let todo = url.contains("/attachmentSessions/");
        let range = if bytes.is_empty() {
            format!("bytes */{total}")
        } else {
            format!("bytes {start}-{}/{total}", start + bytes.len() as u64 - 1)
        };
        let mut request = Request::builder()
            .method(Method::PUT)
            .uri(if todo {
                format!("{url}/content")
            } else {
                url.to_owned()
            })
            .header("content-range", range)
            .header("content-length", bytes.len());
        if todo {
            request = request
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("content-type", "application/octet-stream");
        }
        self.send(request.body(Body::from(bytes.to_vec())).expect("request"))
            .await
    }
}

/// `/v1.0/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}`.
pub fn todo_task() -> String {
    format!("/v1.0/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}")
}
