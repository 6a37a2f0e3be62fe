//! The byte protocol of an upload session: fragment `PUT`s, the status `GET`, the `DELETE`,
//! each with the credentials its kind of session wants (none for a print upload URL, the
//! bearer token for a To Do one).

use super::{Emulator, TOKEN};
use crate::fragments::content_range;
use crate::reply::Reply;
use crate::urls::{is_outlook, is_todo};
use graph_upload_models::UploadSessionStatus;
use reqwest::RequestBuilder;
use std::time::Duration;

impl Emulator {
    /// The PUT for `bytes` at `start` of a `total`-byte file: to the print `uploadUrl` as given
    /// without credentials (Outlook's too, with `Content-Type: application/octet-stream`), or to a To Do `{uploadUrl}/content` with the bearer and
    /// `Content-Type: application/octet-stream`.
    pub fn fragment_request(
        &self,
        url: &str,
        start: u64,
        bytes: &[u8],
        total: u64,
    ) -> RequestBuilder {
        if bytes.is_empty() {
            // reqwest (hyper) sends no Content-Length for an empty body; say it explicitly, as
            // the project's transports do.
            return self
                .put_request(url, &format!("bytes */{total}"), Vec::new())
                .header("content-length", "0");
        }
        let range = content_range(&(start..start + bytes.len() as u64), total);
        self.put_request(url, &range, bytes.to_vec())
    }

    /// A PUT of `body` with `Content-Range: {range}` to the session's PUT target.
    pub fn put_request(&self, url: &str, range: &str, body: Vec<u8>) -> RequestBuilder {
        self.put_target(url)
            .header("content-range", range)
            .body(body)
    }

    /// A PUT to the session's PUT target with its credentials, nothing else set.
    pub fn put_target(&self, url: &str) -> RequestBuilder {
        if is_todo(url) {
            self.client
                .put(format!("{url}/content"))
                .bearer_auth(TOKEN)
                .header("content-type", "application/octet-stream")
        } else if is_outlook(url) {
            self.client
                .put(url)
                .header("content-type", "application/octet-stream")
        } else {
            self.client.put(url)
        }
    }

    /// Sends one fragment (see [`fragment_request`](Self::fragment_request)).
    pub async fn put_fragment(&self, url: &str, start: u64, bytes: &[u8], total: u64) -> Reply {
        self.send(self.fragment_request(url, start, bytes, total))
            .await
    }

    /// The one empty PUT of a 0-byte file: `Content-Range: bytes */0`.
    pub async fn put_empty(&self, url: &str) -> Reply {
        self.put_fragment(url, 0, &[], 0).await
    }

    /// `GET {uploadUrl}` (with the bearer for To Do only).
    pub async fn get_status(&self, url: &str) -> Reply {
        self.send(self.with_session_auth(self.client.get(url), url))
            .await
    }

    /// `GET {uploadUrl}`, expecting `200`; the body as JSON.
    pub async fn status_value(&self, url: &str) -> serde_json::Value {
        let reply = self.get_status(url).await;
        assert_eq!(reply.status, 200, "GET uploadUrl: {}", reply.text());
        reply.value()
    }

    /// `GET {uploadUrl}`, expecting `200`.
    pub async fn status(&self, url: &str) -> UploadSessionStatus {
        let reply = self.get_status(url).await;
        assert_eq!(reply.status, 200, "GET uploadUrl: {}", reply.text());
        reply.session_status()
    }

    /// `nextExpectedRanges` of `GET {uploadUrl}`.
    pub async fn missing(&self, url: &str) -> Vec<String> {
        self.status(url)
            .await
            .next_expected_ranges
            .expect("nextExpectedRanges")
    }

    /// `DELETE {uploadUrl}` (with the bearer for To Do only).
    pub async fn delete_session(&self, url: &str) -> Reply {
        self.send(self.with_session_auth(self.client.delete(url), url))
            .await
    }

    fn with_session_auth(&self, request: RequestBuilder, url: &str) -> RequestBuilder {
        if is_todo(url) {
            request.bearer_auth(TOKEN)
        } else {
            request
        }
    }

    /// Uploads `data[from..]` in order in fragments of `fragment` bytes; returns the last reply
    /// (every earlier one must be a progress reply).
    pub async fn upload_from(&self, url: &str, data: &[u8], from: usize, fragment: usize) -> Reply {
        let total = data.len() as u64;
        if data.is_empty() {
            return self.put_empty(url).await;
        }
        let mut offset = from;
        loop {
            let end = (offset + fragment).min(data.len());
            let reply = self
                .put_fragment(url, offset as u64, &data[offset..end], total)
                .await;
            if end == data.len() {
                return reply;
            }
            assert!(
                reply.status == 200 || reply.status == 202,
                "fragment {offset}..{end}: {} {}",
                reply.status,
                reply.text()
            );
            offset = end;
        }
    }

    /// Uploads all of `data` in order; returns the final reply.
    pub async fn upload_all(&self, url: &str, data: &[u8], fragment: usize) -> Reply {
        self.upload_from(url, data, 0, fragment).await
    }

    /// Waits (at most 10 s) until the emulator has read at least `bytes` bytes of fragment
    /// PUT bodies in all (`bytesReceived.put` of `GET /_emulator/stats`). A fragment whose body
    /// the emulator has begun to read has its range reserved already.
    pub async fn wait_for_put_bytes(&self, bytes: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let read = self.stats().await["bytesReceived"]["put"]
                .as_u64()
                .unwrap_or(0);
            if read >= bytes {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the emulator read {read} of {bytes} fragment bytes"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
