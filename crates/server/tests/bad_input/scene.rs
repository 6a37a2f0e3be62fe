//! The scene most cases start from (a session with some bytes received, and what must not
//! change), and what several topics share: request bodies, an unknown id, the `404` check.

use graph_upload_models::error_codes::ITEM_NOT_FOUND;
use graph_upload_testkit::emulator::{
    self, Emulator, PrintTarget, Snapshot, assert_graph_error, test_data,
};
use graph_upload_testkit::reply::Reply;
use graph_upload_testkit::urls::rebase;
use reqwest::Method;
use serde_json::json;

/// The file every scene uploads: 4 KiB.
pub(crate) const SIZE: usize = 4096;

/// A session with some bytes received, and what must not change.
pub(crate) struct Scene {
    pub(crate) emu: Emulator,
    /// The print job, for print scenes.
    pub(crate) target: Option<PrintTarget>,
    pub(crate) url: String,
    pub(crate) data: Vec<u8>,
    pub(crate) status: serde_json::Value,
    snapshot: Snapshot,
}

impl Scene {
    /// A print session of [`SIZE`] bytes with bytes 1024..2048 received.
    pub(crate) async fn print(emu: Emulator) -> Self {
        let data = test_data(SIZE, 100);
        let (target, session) = emu.new_print_upload(SIZE as u64).await;
        let url = session.upload_url.as_str().to_owned();
        let reply = emu
            .put_fragment(&url, 1024, &data[1024..2048], SIZE as u64)
            .await;
        assert_eq!(reply.status, 202, "{}", reply.text());
        Self::settle(emu, Some(target), url, data).await
    }

    /// A To Do session of [`SIZE`] bytes with bytes 0..1024 received.
    pub(crate) async fn todo(emu: Emulator) -> Self {
        let data = test_data(SIZE, 200);
        let session = emu.create_todo_session("scene.bin", SIZE as u64).await;
        let url = session.upload_url.as_str().to_owned();
        let reply = emu.put_fragment(&url, 0, &data[..1024], SIZE as u64).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        Self::settle(emu, None, url, data).await
    }

    async fn settle(
        emu: Emulator,
        target: Option<PrintTarget>,
        url: String,
        data: Vec<u8>,
    ) -> Self {
        let status = emu.status_value(&url).await;
        let snapshot = emu.snapshot().await;
        Scene {
            emu,
            target,
            url,
            data,
            status,
            snapshot,
        }
    }

    /// The path and query of the upload URL (for raw requests).
    pub(crate) fn url_path(&self) -> String {
        rebase(&self.url, "")
    }

    /// Nothing changed: same session status (ranges and expiry), same files, same resources.
    pub(crate) async fn assert_unchanged(&self) {
        let status = self.emu.status_value(&self.url).await;
        assert_eq!(status, self.status, "the session's status changed");
        let snapshot = self.emu.snapshot().await;
        assert_eq!(snapshot, self.snapshot, "stored data changed");
    }

    /// Sends the missing bytes of the original file in 1 KiB fragments, then checks `$value`
    /// against it.
    pub(crate) async fn finish_and_compare(&self) {
        let emu = &self.emu;
        let total = SIZE as u64;
        let starts: &[usize] = if self.target.is_some() {
            &[0, 2048, 3072]
        } else {
            &[1024, 2048, 3072]
        };
        // Graph: 202 (print) or 200 (To Do) for each fragment but the last, 201 for the last.
        let progress = if self.target.is_some() { 202 } else { 200 };
        let mut last = None;
        for (n, &start) in starts.iter().enumerate() {
            let reply = emu
                .put_fragment(
                    &self.url,
                    start as u64,
                    &self.data[start..start + 1024],
                    total,
                )
                .await;
            let expected = if n + 1 == starts.len() { 201 } else { progress };
            assert_eq!(reply.status, expected, "{}", reply.text());
            last = Some(reply);
        }
        let reply = last.expect("a reply");
        if let Some(target) = &self.target {
            assert!(
                emu.print_value(target).await == self.data,
                "$value differs from the file: a rejected fragment overwrote bytes"
            );
        } else {
            let id = emulator::last_segment(reply.header("location").expect("Location"));
            assert!(
                emu.todo_value(&id).await == self.data,
                "$value differs from the file: a rejected fragment overwrote bytes"
            );
        }
    }

    /// A PUT to the session with this `Content-Range` and body.
    pub(crate) async fn put_range(&self, range: &str, body: Vec<u8>) -> Reply {
        self.emu
            .send(self.emu.put_request(&self.url, range, body))
            .await
    }

    pub(crate) async fn stop(self) {
        self.emu.stop().await;
    }
}

/// Other bytes than the file's, for fragments that must not land.
pub(crate) fn intruder(len: usize) -> Vec<u8> {
    test_data(len, 999)
}

/// A print scene and a To Do scene.
pub(crate) async fn both_scenes() -> [Scene; 2] {
    [
        Scene::print(Emulator::start().await).await,
        Scene::todo(Emulator::start().await).await,
    ]
}

/// A print `createUploadSession` body.
pub(crate) fn print_properties(
    name: &str,
    content_type: &str,
    size: serde_json::Value,
) -> serde_json::Value {
    json!({"properties": {"documentName": name, "contentType": content_type, "size": size}})
}

/// A To Do `createUploadSession` body.
pub(crate) fn attachment_info(
    kind: &str,
    name: &str,
    size: serde_json::Value,
) -> serde_json::Value {
    json!({"attachmentInfo": {"attachmentType": kind, "name": name, "size": size}})
}

/// A well-formed id that names nothing.
pub(crate) const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

/// `GET`/`POST` of `path` answers `404 itemNotFound` and changes nothing.
pub(crate) async fn not_found(
    emu: &Emulator,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) {
    let before = emu.snapshot().await;
    let mut request = emu.api(method.clone(), path);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
    }
    let reply = emu.send(request).await;
    assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    assert_eq!(
        emu.snapshot().await,
        before,
        "{method} {path} changed stored data"
    );
}
