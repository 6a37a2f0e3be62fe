//! One whole HTTP answer read with reqwest, shared by the test harnesses.

use graph_upload_models::{GraphErrorBody, UploadSession, UploadSessionStatus};
use http::HeaderMap;

/// A whole answer: status, headers, body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Reads a reqwest response to the end.
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("response body").to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as (lossy) text, for messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as a JSON value.
    pub fn value(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// The body as an `uploadSession`.
    pub fn upload_session(&self) -> UploadSession {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not an uploadSession ({e}): {}", self.text()))
    }

    /// The body as a session status (either casing).
    pub fn session_status(&self) -> UploadSessionStatus {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not a session status ({e}): {}", self.text()))
    }

    /// The body as Graph's error body.
    pub fn graph_error(&self) -> GraphErrorBody {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not a Graph error ({e}): {}", self.text()))
    }

    /// The keys of a JSON object body, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .value()
            .as_object()
            .unwrap_or_else(|| panic!("not a JSON object: {}", self.text()))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }
}
