//! The Graph emulator against bad input, over plain HTTP (and a raw TCP stream for requests
//! reqwest will not send: lying `Content-Length`, chunked bodies, bodies cut short, literal
//! `..` segments). Each case checks the exact status and Graph error JSON (code, and the inner
//! code where PROTOCOL.md names one) and that the stored data did not change: the session's
//! `GET {uploadUrl}` answer, the files under the data directory and the resources the API
//! lists. Where a rejected fragment carried different bytes over a range already received, the
//! upload is then finished and `$value` must equal the original file.
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

use graph_upload_models::error_codes::{
    FRAGMENT_LENGTH_MISMATCH, FRAGMENT_OUT_OF_ORDER, FRAGMENT_OVERLAP,
    INVALID_AUTHENTICATION_TOKEN, INVALID_RANGE, INVALID_REQUEST, ITEM_NOT_FOUND,
    MAX_FRAGMENT_LENGTH_EXCEEDED, NOT_ALLOWED, NOT_SUPPORTED, QUOTA_LIMIT_REACHED,
};
use graph_upload_server::fixtures::{
    LIST_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID, TASK_ID, USER_ID,
};
use graph_upload_testkit::emulator::{
    self, Emulator, PrintTarget, Snapshot, TOKEN, assert_graph_error, base64, printer,
    raw_exchange, raw_request, share, test_data, todo_task_path,
};
use graph_upload_testkit::reply::Reply;
use graph_upload_testkit::urls::{self, rebase};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

/// The file every scene uploads: 4 KiB.
const SIZE: usize = 4096;

/// A session with some bytes received, and what must not change.
struct Scene {
    emu: Emulator,
    /// The print job, for print scenes.
    target: Option<PrintTarget>,
    url: String,
    data: Vec<u8>,
    status: serde_json::Value,
    snapshot: Snapshot,
}

impl Scene {
    /// A print session of [`SIZE`] bytes with bytes 1024..2048 received.
    async fn print(emu: Emulator) -> Self {
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
    async fn todo(emu: Emulator) -> Self {
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
    fn url_path(&self) -> String {
        rebase(&self.url, "")
    }

    /// Nothing changed: same session status (ranges and expiry), same files, same resources.
    async fn assert_unchanged(&self) {
        let status = self.emu.status_value(&self.url).await;
        assert_eq!(status, self.status, "the session's status changed");
        let snapshot = self.emu.snapshot().await;
        assert_eq!(snapshot, self.snapshot, "stored data changed");
    }

    /// Sends the missing bytes of the original file in 1 KiB fragments, then checks `$value`
    /// against it.
    async fn finish_and_compare(&self) {
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
    async fn put_range(&self, range: &str, body: Vec<u8>) -> Reply {
        self.emu
            .send(self.emu.put_request(&self.url, range, body))
            .await
    }

    async fn stop(self) {
        self.emu.stop().await;
    }
}

/// Other bytes than the file's, for fragments that must not land.
fn intruder(len: usize) -> Vec<u8> {
    test_data(len, 999)
}

/// A print scene and a To Do scene.
async fn both_scenes() -> [Scene; 2] {
    [
        Scene::print(Emulator::start().await).await,
        Scene::todo(Emulator::start().await).await,
    ]
}

/// Checks a fragment PUT with a bad `Content-Range` on both kinds of session.
async fn bad_range(range: &str, status: u16, code: &str, inner: Option<&str>) {
    for scene in both_scenes().await {
        let reply = scene.put_range(range, intruder(10)).await;
        assert_graph_error(&reply, status, code, inner);
        scene.assert_unchanged().await;
        scene.finish_and_compare().await;
        scene.stop().await;
    }
}

// ---- Content-Range ------------------------------------------------------------------------

#[tokio::test]
async fn content_range_missing() {
    for scene in both_scenes().await {
        let request = scene.emu.put_target(&scene.url).body(intruder(10));
        let reply = scene.emu.send(request).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        scene.assert_unchanged().await;
        scene.stop().await;
    }
}

#[tokio::test]
async fn content_range_garbage() {
    bad_range("bytes abc", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_without_unit() {
    bad_range("0-9/4096", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_other_unit() {
    bad_range("items 0-9/4096", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_reversed() {
    bad_range("bytes 9-0/4096", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_unknown_total() {
    bad_range("bytes 0-9/*", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_negative_start() {
    bad_range("bytes -5-4/4096", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_past_the_end() {
    // Right total, but the bytes lie beyond it.
    bad_range("bytes 4096-4105/4096", 400, INVALID_REQUEST, None).await;
}

#[tokio::test]
async fn content_range_number_overflows() {
    bad_range(
        "bytes 0-99999999999999999999999/4096",
        400,
        INVALID_REQUEST,
        None,
    )
    .await;
}

#[tokio::test]
async fn content_range_not_text() {
    for scene in both_scenes().await {
        let mut headers = vec![
            ("Content-Length", "10".to_string()),
            ("Content-Type", "application/octet-stream".to_string()),
        ];
        let mut target = scene.url_path();
        if urls::is_todo(&scene.url) {
            target.push_str("/content");
            headers.push(("Authorization", format!("Bearer {TOKEN}")));
        }
        let mut request = raw_request(scene.emu.address(), "PUT", &target, &headers, b"");
        // Insert a header whose value is not ASCII text, before the blank line.
        let head_end = request.len() - 2;
        request.splice(
            head_end..head_end,
            b"Content-Range: bytes 0-9/4096\xff\xfe\r\n".iter().copied(),
        );
        request.extend_from_slice(&intruder(10));
        let reply = raw_exchange(scene.emu.address(), &request, false).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        scene.assert_unchanged().await;
        scene.stop().await;
    }
}

#[tokio::test]
async fn total_differs_from_declared_size() {
    bad_range(
        "bytes 0-9/4097",
        400,
        INVALID_REQUEST,
        Some(FRAGMENT_LENGTH_MISMATCH),
    )
    .await;
}

#[tokio::test]
async fn total_differs_from_declared_size_smaller() {
    bad_range(
        "bytes 0-9/10",
        400,
        INVALID_REQUEST,
        Some(FRAGMENT_LENGTH_MISMATCH),
    )
    .await;
}

#[tokio::test]
async fn body_longer_than_range() {
    // reqwest sends Content-Length = the body's 10 bytes; the range names 5.
    bad_range(
        "bytes 0-4/4096",
        400,
        INVALID_REQUEST,
        Some(FRAGMENT_LENGTH_MISMATCH),
    )
    .await;
}

#[tokio::test]
async fn star_range_for_a_non_empty_file() {
    for scene in both_scenes().await {
        let reply = scene
            .emu
            .send(
                scene
                    .emu
                    .put_request(&scene.url, "bytes */4096", Vec::new())
                    .header("content-length", "0"),
            )
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        scene.assert_unchanged().await;
        scene.stop().await;
    }
}

// ---- Content-Length and the body, on the wire ---------------------------------------------

/// A raw PUT to the scene's session (with the bearer for To Do).
fn raw_put(scene: &Scene, extra: &[(&str, String)], body: &[u8]) -> Vec<u8> {
    let mut target = scene.url_path();
    let mut headers: Vec<(&str, String)> =
        vec![("Content-Type", "application/octet-stream".to_string())];
    if urls::is_todo(&scene.url) {
        target.push_str("/content");
        headers.push(("Authorization", format!("Bearer {TOKEN}")));
    }
    headers.extend(extra.iter().cloned());
    raw_request(scene.emu.address(), "PUT", &target, &headers, body)
}

#[tokio::test]
async fn content_length_smaller_than_range() {
    for scene in both_scenes().await {
        let request = raw_put(
            &scene,
            &[
                ("Content-Range", "bytes 2048-3071/4096".to_string()),
                ("Content-Length", "512".to_string()),
            ],
            &intruder(512),
        );
        let reply = raw_exchange(scene.emu.address(), &request, false).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        scene.assert_unchanged().await;
        scene.finish_and_compare().await;
        scene.stop().await;
    }
}

#[tokio::test]
async fn content_length_larger_than_range() {
    for scene in both_scenes().await {
        let request = raw_put(
            &scene,
            &[
                ("Content-Range", "bytes 2048-3071/4096".to_string()),
                ("Content-Length", "2048".to_string()),
            ],
            &intruder(2048),
        );
        let reply = raw_exchange(scene.emu.address(), &request, false).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        scene.assert_unchanged().await;
        scene.finish_and_compare().await;
        scene.stop().await;
    }
}

#[tokio::test]
async fn content_length_missing_with_a_chunked_body() {
    for scene in both_scenes().await {
        let bytes = intruder(1024);
        let mut body = format!("{:x}\r\n", bytes.len()).into_bytes();
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n0\r\n\r\n");
        let request = raw_put(
            &scene,
            &[
                ("Content-Range", "bytes 2048-3071/4096".to_string()),
                ("Transfer-Encoding", "chunked".to_string()),
            ],
            &body,
        );
        let reply = raw_exchange(scene.emu.address(), &request, false).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        scene.assert_unchanged().await;
        scene.finish_and_compare().await;
        scene.stop().await;
    }
}

#[tokio::test]
async fn content_length_not_a_number() {
    for scene in both_scenes().await {
        // Hyper refuses an unparsable Content-Length before the emulator sees it; whoever
        // answers, it must be a 400 and nothing may change.
        let request = raw_put(
            &scene,
            &[
                ("Content-Range", "bytes 2048-3071/4096".to_string()),
                ("Content-Length", "lots".to_string()),
            ],
            &intruder(16),
        );
        let reply = raw_exchange(scene.emu.address(), &request, false).await;
        assert_eq!(reply.status, 400, "{}", reply.text());
        scene.assert_unchanged().await;
        scene.stop().await;
    }
}

/// Declares 1024 missing bytes, sends 300, then closes its side; returns the answer.
async fn cut_short(scene: &Scene) -> Reply {
    let range = if urls::is_todo(&scene.url) {
        "bytes 1024-2047/4096"
    } else {
        "bytes 2048-3071/4096"
    };
    let request = raw_put(
        scene,
        &[
            ("Content-Range", range.to_string()),
            ("Content-Length", "1024".to_string()),
        ],
        &intruder(300),
    );
    raw_exchange(scene.emu.address(), &request, true).await
}

#[tokio::test]
async fn body_cut_short_then_the_client_hangs_up() {
    for scene in both_scenes().await {
        let reply = cut_short(&scene).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        // The bytes that did arrive are not counted as received; the range can be sent again.
        scene.assert_unchanged().await;
        scene.finish_and_compare().await;
        scene.stop().await;
    }
}

#[tokio::test]
async fn body_cut_short_is_a_fragment_length_mismatch() {
    for scene in both_scenes().await {
        let reply = cut_short(&scene).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        scene.assert_unchanged().await;
        scene.stop().await;
    }
}

// ---- ranges already received, order, size per request ------------------------------------

#[tokio::test]
async fn print_fragment_overlapping_received_bytes() {
    let scene = Scene::print(Emulator::start().await).await;
    // Exactly the received range, with other bytes.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 1024, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_fragment_partly_overlapping_received_bytes() {
    let scene = Scene::print(Emulator::start().await).await;
    // Straddles the end of the received range into missing bytes.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 1500, &intruder(1100), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    // ...and the start.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 0, &intruder(1025), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_fragment_overlapping_a_fragment_in_flight() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    // A fragment of bytes 2048..4096 whose body arrives slowly.
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    let head = raw_request(
        emu.address(),
        "PUT",
        &scene.url_path(),
        &[
            ("Content-Range", "bytes 2048-4095/4096".to_string()),
            ("Content-Length", "2048".to_string()),
        ],
        b"",
    );
    use tokio::io::AsyncWriteExt;
    stream.write_all(&head).await.unwrap();
    stream.write_all(&scene.data[2048..2548]).await.unwrap();
    // Once the emulator reads the slow body (after the scene's 1024 bytes), its range is
    // reserved.
    emu.wait_for_put_bytes(1024 + 500).await;
    // Meanwhile another request for some of those bytes.
    let reply = emu
        .put_fragment(&scene.url, 3000, &intruder(500), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    // The slow fragment completes and is acknowledged.
    stream.write_all(&scene.data[2548..4096]).await.unwrap();
    let mut answer = Vec::new();
    use tokio::io::AsyncReadExt;
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("answer in time")
        .unwrap();
    let reply = emulator::parse_response(&answer);
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(emu.missing(&scene.url).await, ["0-1023"]);
    let reply = emu
        .put_fragment(&scene.url, 0, &scene.data[..1024], SIZE as u64)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(emu.print_value(scene.target.as_ref().unwrap()).await == scene.data);
    scene.stop().await;
}

#[tokio::test]
async fn todo_fragment_resent() {
    let scene = Scene::todo(Emulator::start().await).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 0, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    let reply = scene
        .emu
        .put_fragment(&scene.url, 512, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn todo_fragment_out_of_order() {
    let scene = Scene::todo(Emulator::start().await).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 2048, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OUT_OF_ORDER));
    // The last byte alone, too.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 4095, &intruder(1), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OUT_OF_ORDER));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_fragment_over_the_limit() {
    let emu = Emulator::start_with(|config| config.print_max_fragment = 1024).await;
    let scene = Scene::print(emu).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 2048, &intruder(1025), SIZE as u64)
        .await;
    assert_graph_error(&reply, 413, MAX_FRAGMENT_LENGTH_EXCEEDED, None);
    scene.assert_unchanged().await;
    // Fragments of exactly the limit are fine.
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn todo_fragment_over_the_limit() {
    let emu = Emulator::start_with(|config| config.todo_max_fragment = 1024).await;
    let scene = Scene::todo(emu).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 1024, &intruder(1025), SIZE as u64)
        .await;
    assert_graph_error(&reply, 413, MAX_FRAGMENT_LENGTH_EXCEEDED, None);
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

// ---- 0-byte files -------------------------------------------------------------------------

#[tokio::test]
async fn zero_byte_file_with_wrong_ranges() {
    let emu = Emulator::start().await;
    let (_, print) = emu.new_print_upload(0).await;
    let todo = emu.create_todo_session("empty.txt", 0).await;
    for url in [&print.upload_url, &todo.upload_url] {
        let status = emu.status_value(url).await;
        let snapshot = emu.snapshot().await;
        // A byte range cannot lie inside a 0-byte file.
        let reply = emu
            .send(emu.put_request(url, "bytes 0-0/0", b"x".to_vec()))
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        // The total must be 0.
        let reply = emu
            .send(
                emu.put_request(url, "bytes */1", Vec::new())
                    .header("content-length", "0"),
            )
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        // `bytes */0` carries no body.
        let reply = emu
            .send(emu.put_request(url, "bytes */0", b"body".to_vec()))
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        assert_eq!(emu.status_value(url).await, status);
        assert_eq!(emu.snapshot().await, snapshot);
        // The right empty PUT still completes it.
        assert_eq!(emu.put_empty(url).await.status, 201);
    }
    emu.stop().await;
}

// ---- createUploadSession bodies -----------------------------------------------------------

/// Sends a bad createUploadSession body for print (to a fresh job on `parent`), expects the
/// error, and checks that nothing was stored.
async fn bad_print_create(
    emu: &Emulator,
    parent: &str,
    body: &serde_json::Value,
    status: u16,
    code: &str,
    inner: Option<&str>,
) {
    let target = emu.create_print_job(parent).await;
    let before = emu.snapshot().await;
    let reply = emu.create_print_session_raw(&target, body).await;
    assert_graph_error(&reply, status, code, inner);
    assert_eq!(emu.snapshot().await, before, "stored data changed");
}

/// The same for To Do, on the fixture task.
async fn bad_todo_create(
    emu: &Emulator,
    body: &serde_json::Value,
    status: u16,
    code: &str,
    inner: Option<&str>,
) {
    let before = emu.snapshot().await;
    let reply = emu.create_todo_session_raw(body).await;
    assert_graph_error(&reply, status, code, inner);
    assert_eq!(emu.snapshot().await, before, "stored data changed");
}

fn print_properties(name: &str, content_type: &str, size: serde_json::Value) -> serde_json::Value {
    json!({"properties": {"documentName": name, "contentType": content_type, "size": size}})
}

fn attachment_info(kind: &str, name: &str, size: serde_json::Value) -> serde_json::Value {
    json!({"attachmentInfo": {"attachmentType": kind, "name": name, "size": size}})
}

#[tokio::test]
async fn create_session_bad_json() {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let todo_path = format!("{}/attachments/createUploadSession", todo_task_path());
    for path in [target.create_session_path(), todo_path] {
        for body in [&b"{\"properties\": "[..], b"not json", b"", b"[]"] {
            let before = emu.snapshot().await;
            let reply = emu
                .send(
                    emu.api(Method::POST, &path)
                        .header("content-type", "application/json")
                        .body(body.to_vec()),
                )
                .await;
            assert_graph_error(&reply, 400, INVALID_REQUEST, None);
            assert_eq!(emu.snapshot().await, before);
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn create_session_missing_properties() {
    let emu = Emulator::start().await;
    for body in [
        json!({}),
        json!({"attachmentInfo": {"attachmentType": "file", "name": "x", "size": 1}}),
        json!({"properties": {"contentType": "application/pdf", "size": 10}}),
        json!({"properties": {"documentName": "a.pdf", "size": 10}}),
        json!({"properties": {"documentName": "a.pdf", "contentType": "application/pdf"}}),
    ] {
        bad_print_create(&emu, &share(SHARE_ID), &body, 400, INVALID_REQUEST, None).await;
    }
    for body in [
        json!({}),
        json!({"properties": {"documentName": "a.pdf", "contentType": "application/pdf", "size": 1}}),
        json!({"attachmentInfo": {"name": "x", "size": 1}}),
        json!({"attachmentInfo": {"attachmentType": "file", "size": 1}}),
        json!({"attachmentInfo": {"attachmentType": "file", "name": "x"}}),
    ] {
        bad_todo_create(&emu, &body, 400, INVALID_REQUEST, None).await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn create_session_wrong_request_content_type() {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let print_body = print_properties("a.pdf", "application/pdf", json!(10));
    let todo_body = attachment_info("file", "a.bin", json!(10));
    let todo_path = format!("{}/attachments/createUploadSession", todo_task_path());
    for (path, body) in [
        (target.create_session_path(), print_body),
        (todo_path, todo_body),
    ] {
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let before = emu.snapshot().await;
            let reply = emu
                .send(
                    emu.api(Method::POST, &path)
                        .header("content-type", content_type)
                        .body(serde_json::to_vec(&body).unwrap()),
                )
                .await;
            assert_graph_error(&reply, 400, INVALID_REQUEST, None);
            assert_eq!(emu.snapshot().await, before);
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn create_session_content_type_the_printer_does_not_take() {
    let emu = Emulator::start().await;
    for (parent, content_type) in [
        (share(SHARE_ID), "application/zip"),
        (printer(PRINTER_ID), "text/plain"),
        (printer(OXPS_PRINTER_ID), "application/pdf"),
        (printer(PHOTO_PRINTER_ID), "application/pdf"),
    ] {
        bad_print_create(
            &emu,
            &parent,
            &print_properties("a.doc", content_type, json!(10)),
            400,
            INVALID_REQUEST,
            Some(NOT_SUPPORTED),
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn create_session_oxps_for_a_printer_without_pdf() {
    let emu = Emulator::start().await;
    bad_print_create(
        &emu,
        &printer(PHOTO_PRINTER_ID),
        &print_properties("page.oxps", "application/oxps", json!(10)),
        400,
        INVALID_REQUEST,
        Some(NOT_SUPPORTED),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn create_session_negative_size() {
    let emu = Emulator::start().await;
    let size = json!(-1);
    bad_print_create(
        &emu,
        &share(SHARE_ID),
        &print_properties("a.pdf", "application/pdf", size.clone()),
        400,
        INVALID_REQUEST,
        None,
    )
    .await;
    bad_todo_create(
        &emu,
        &attachment_info("file", "a.bin", size),
        400,
        INVALID_REQUEST,
        None,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn create_session_size_not_a_whole_number() {
    let emu = Emulator::start().await;
    for size in [json!("100"), json!(10.5), json!(null), json!(true)] {
        bad_print_create(
            &emu,
            &share(SHARE_ID),
            &print_properties("a.pdf", "application/pdf", size.clone()),
            400,
            INVALID_REQUEST,
            None,
        )
        .await;
        bad_todo_create(
            &emu,
            &attachment_info("file", "a.bin", size),
            400,
            INVALID_REQUEST,
            None,
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn create_session_size_beyond_u64() {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let before = emu.snapshot().await;
    let body = br#"{"properties": {"documentName": "a.pdf", "contentType": "application/pdf", "size": 18446744073709551616}}"#;
    let reply = emu
        .send(
            emu.api(Method::POST, &target.create_session_path())
                .header("content-type", "application/json")
                .body(body.to_vec()),
        )
        .await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn print_size_over_the_printer_limit() {
    let emu = Emulator::start().await;
    let limit = graph_upload_server::DEFAULT_PRINT_MAX_SIZE;
    bad_print_create(
        &emu,
        &share(SHARE_ID),
        &print_properties("huge.pdf", "application/pdf", json!(limit + 1)),
        400,
        INVALID_REQUEST,
        None,
    )
    .await;
    bad_print_create(
        &emu,
        &share(SHARE_ID),
        &print_properties("huge.pdf", "application/pdf", json!(u64::MAX)),
        400,
        INVALID_REQUEST,
        None,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn todo_size_over_25_mib() {
    let emu = Emulator::start().await;
    let limit = 25 * 1024 * 1024u64;
    bad_todo_create(
        &emu,
        &attachment_info("file", "big.bin", json!(limit + 1)),
        400,
        INVALID_REQUEST,
        Some(QUOTA_LIMIT_REACHED),
    )
    .await;
    bad_todo_create(
        &emu,
        &attachment_info("file", "big.bin", json!(u64::MAX)),
        400,
        INVALID_REQUEST,
        Some(QUOTA_LIMIT_REACHED),
    )
    .await;
    // Exactly 25 MiB is allowed.
    let session = emu.create_todo_session("limit.bin", limit).await;
    assert_eq!(session.next_expected_ranges, ["0-"]);
    assert_eq!(emu.delete_session(&session.upload_url).await.status, 204);
    emu.stop().await;
}

#[tokio::test]
async fn todo_attachment_type_not_file() {
    let emu = Emulator::start().await;
    for kind in ["item", "reference"] {
        bad_todo_create(
            &emu,
            &attachment_info(kind, "a.bin", json!(10)),
            400,
            INVALID_REQUEST,
            None,
        )
        .await;
    }
    // Not an attachment type at all.
    bad_todo_create(
        &emu,
        &attachment_info("folder", "a.bin", json!(10)),
        400,
        INVALID_REQUEST,
        None,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn empty_names() {
    let emu = Emulator::start().await;
    for name in ["", "   "] {
        bad_todo_create(
            &emu,
            &attachment_info("file", name, json!(10)),
            400,
            INVALID_REQUEST,
            None,
        )
        .await;
        bad_print_create(
            &emu,
            &share(SHARE_ID),
            &print_properties(name, "application/pdf", json!(10)),
            400,
            INVALID_REQUEST,
            None,
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn create_session_for_a_document_already_uploaded() {
    let emu = Emulator::start().await;
    let data = test_data(100, 1);
    let (target, session) = emu.new_print_upload(100).await;
    assert_eq!(
        emu.upload_all(&session.upload_url, &data, 100).await.status,
        201
    );
    let before = emu.snapshot().await;
    let reply = emu
        .create_print_session_raw(
            &target,
            &print_properties("b.pdf", "application/pdf", json!(5)),
        )
        .await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, Some(NOT_ALLOWED));
    assert_eq!(emu.snapshot().await, before);
    assert_eq!(emu.print_value(&target).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn second_session_completing_a_document_already_uploaded() {
    let emu = Emulator::start().await;
    let first = test_data(100, 11);
    let (target, one) = emu.new_print_upload(100).await;
    // A second session for the same document, opened while it was still pending.
    let two = emu
        .create_print_session(&target, "other.pdf", "application/pdf", 100)
        .await;
    assert_eq!(
        emu.put_fragment(&two.upload_url, 0, &intruder(50), 100)
            .await
            .status,
        202
    );
    assert_eq!(
        emu.upload_all(&one.upload_url, &first, 100).await.status,
        201
    );
    let document = emu.get_json(&target.document_path()).await;
    let reply = emu
        .put_fragment(&two.upload_url, 50, &intruder(50), 100)
        .await;
    assert_graph_error(&reply, 409, NOT_ALLOWED, None);
    assert_eq!(emu.get_json(&target.document_path()).await, document);
    assert_eq!(emu.print_value(&target).await, first);
    emu.stop().await;
}

// ---- unknown ids --------------------------------------------------------------------------

const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";

/// `GET`/`POST` of `path` answers `404 itemNotFound` and changes nothing.
async fn not_found(emu: &Emulator, method: Method, path: &str, body: Option<serde_json::Value>) {
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

#[tokio::test]
async fn unknown_printer() {
    let emu = Emulator::start().await;
    let parent = printer(UNKNOWN);
    not_found(&emu, Method::GET, &parent, None).await;
    not_found(&emu, Method::GET, &format!("{parent}/jobs"), None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{parent}/jobs"),
        Some(json!({})),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_share() {
    let emu = Emulator::start().await;
    let parent = share(UNKNOWN);
    not_found(&emu, Method::GET, &parent, None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{parent}/jobs"),
        Some(json!({})),
    )
    .await;
    // A printer id is not a share id.
    not_found(
        &emu,
        Method::POST,
        &format!("{}/jobs", share(PRINTER_ID)),
        Some(json!({})),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_job() {
    let emu = Emulator::start().await;
    let real = emu.create_print_job(&share(SHARE_ID)).await;
    let target = PrintTarget {
        job: UNKNOWN.to_string(),
        ..real.clone()
    };
    let body = print_properties("a.pdf", "application/pdf", json!(10));
    not_found(&emu, Method::GET, &target.job_path(), None).await;
    not_found(
        &emu,
        Method::GET,
        &format!("{}/documents", target.job_path()),
        None,
    )
    .await;
    not_found(&emu, Method::GET, &target.document_path(), None).await;
    not_found(
        &emu,
        Method::POST,
        &target.create_session_path(),
        Some(body),
    )
    .await;
    not_found(
        &emu,
        Method::POST,
        &format!("{}/start", target.job_path()),
        None,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn job_through_another_printer_or_share() {
    let emu = Emulator::start().await;
    let real = emu.create_print_job(&share(SHARE_ID)).await;
    let body = print_properties("a.pdf", "application/pdf", json!(10));
    for parent in [
        printer(PRINTER_ID),
        printer(OXPS_PRINTER_ID),
        printer(UNKNOWN),
    ] {
        let target = PrintTarget {
            parent,
            ..real.clone()
        };
        not_found(&emu, Method::GET, &target.job_path(), None).await;
        not_found(
            &emu,
            Method::POST,
            &target.create_session_path(),
            Some(body.clone()),
        )
        .await;
        not_found(
            &emu,
            Method::POST,
            &format!("{}/start", target.job_path()),
            None,
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn unknown_document() {
    let emu = Emulator::start().await;
    let real = emu.create_print_job(&share(SHARE_ID)).await;
    let other = emu.create_print_job(&share(SHARE_ID)).await;
    for document in [UNKNOWN.to_string(), other.document.clone()] {
        let target = PrintTarget {
            document,
            ..real.clone()
        };
        let body = print_properties("a.pdf", "application/pdf", json!(10));
        not_found(&emu, Method::GET, &target.document_path(), None).await;
        not_found(
            &emu,
            Method::GET,
            &format!("{}/$value", target.document_path()),
            None,
        )
        .await;
        not_found(
            &emu,
            Method::POST,
            &target.create_session_path(),
            Some(body),
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn value_of_a_document_not_uploaded_yet() {
    let emu = Emulator::start().await;
    let (target, session) = emu.new_print_upload(100).await;
    let reply = emu
        .put_fragment(&session.upload_url, 0, &test_data(50, 3), 100)
        .await;
    assert_eq!(reply.status, 202);
    not_found(
        &emu,
        Method::GET,
        &format!("{}/$value", target.document_path()),
        None,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_list() {
    let emu = Emulator::start().await;
    let body = attachment_info("file", "a.bin", json!(10));
    not_found(
        &emu,
        Method::GET,
        &format!("/me/todo/lists/{UNKNOWN}"),
        None,
    )
    .await;
    not_found(
        &emu,
        Method::GET,
        &format!("/me/todo/lists/{UNKNOWN}/tasks"),
        None,
    )
    .await;
    not_found(
        &emu,
        Method::POST,
        &format!("/me/todo/lists/{UNKNOWN}/tasks/{TASK_ID}/attachments/createUploadSession"),
        Some(body),
    )
    .await;
    not_found(
        &emu,
        Method::POST,
        &format!("/me/todo/lists/{UNKNOWN}/tasks"),
        Some(json!({"title": "t"})),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_task() {
    let emu = Emulator::start().await;
    let task = format!("/me/todo/lists/{LIST_ID}/tasks/{UNKNOWN}");
    let body = attachment_info("file", "a.bin", json!(10));
    not_found(&emu, Method::GET, &task, None).await;
    not_found(&emu, Method::GET, &format!("{task}/attachments"), None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{task}/attachments/createUploadSession"),
        Some(body),
    )
    .await;
    let small = json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "a.txt",
        "contentBytes": base64(b"hello")});
    not_found(
        &emu,
        Method::POST,
        &format!("{task}/attachments"),
        Some(small),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_user() {
    let emu = Emulator::start().await;
    let owner = format!("/users/{UNKNOWN}");
    let body = attachment_info("file", "a.bin", json!(10));
    not_found(&emu, Method::GET, &format!("{owner}/todo/lists"), None).await;
    not_found(
        &emu,
        Method::POST,
        &format!("{owner}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/createUploadSession"),
        Some(body),
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_attachment() {
    let emu = Emulator::start().await;
    let path = format!("{}/attachments/{UNKNOWN}", todo_task_path());
    not_found(&emu, Method::GET, &path, None).await;
    not_found(&emu, Method::GET, &format!("{path}/$value"), None).await;
    not_found(&emu, Method::DELETE, &path, None).await;
    emu.stop().await;
}

#[tokio::test]
async fn unknown_todo_session() {
    let emu = Emulator::start().await;
    let path = format!("{}/attachmentSessions/{UNKNOWN}", todo_task_path());
    not_found(&emu, Method::GET, &path, None).await;
    not_found(&emu, Method::DELETE, &path, None).await;
    let before = emu.snapshot().await;
    let reply = emu
        .send(
            emu.api(Method::PUT, &format!("{path}/content"))
                .header("content-range", "bytes 0-9/10")
                .body(vec![0u8; 10]),
        )
        .await;
    assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn todo_session_through_another_task_or_user() {
    let emu = Emulator::start().await;
    let scene = Scene::todo(emu).await;
    let emu = &scene.emu;
    let created = emu
        .post_json(
            &format!("/me/todo/lists/{LIST_ID}/tasks"),
            &json!({"title": "other"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let other_task = created.value()["id"].as_str().unwrap().to_string();
    let snapshot = emu.snapshot().await;
    let session = emulator::last_segment(&scene.url);
    for owner in [format!("/users/{USER_ID}"), format!("/users/{UNKNOWN}")] {
        for task in [other_task.as_str(), UNKNOWN] {
            let url = emu.url(&format!(
                "{owner}/todo/lists/{LIST_ID}/tasks/{task}/attachmentSessions/{session}"
            ));
            assert_graph_error(&emu.get_status(&url).await, 404, ITEM_NOT_FOUND, None);
            assert_graph_error(
                &emu.put_fragment(&url, 1024, &intruder(1024), SIZE as u64)
                    .await,
                404,
                ITEM_NOT_FOUND,
                None,
            );
            assert_graph_error(&emu.delete_session(&url).await, 404, ITEM_NOT_FOUND, None);
        }
    }
    assert_eq!(emu.status_value(&scene.url).await, scene.status);
    assert_eq!(emu.snapshot().await, snapshot);
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_session_through_a_todo_url() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    let session = emulator::last_segment(&scene.url);
    let url = emu.url(&format!(
        "{}/attachmentSessions/{session}",
        todo_task_path()
    ));
    assert_graph_error(&emu.get_status(&url).await, 404, ITEM_NOT_FOUND, None);
    assert_graph_error(
        &emu.put_fragment(&url, 0, &intruder(1024), SIZE as u64)
            .await,
        404,
        ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(&emu.delete_session(&url).await, 404, ITEM_NOT_FOUND, None);
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn ids_that_look_like_paths() {
    let scene = Scene::todo(Emulator::start().await).await;
    let emu = &scene.emu;
    let sentinel = std::fs::read(emu.root().join("sentinel.txt")).unwrap();
    let task = todo_task_path();
    for id in [
        "..%2F..%2Fsentinel.txt",
        "..%2Fstate.redb",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "..%5C..%5Cstate.redb",
    ] {
        for path in [
            printer(id),
            format!("{}/jobs", share(id)),
            format!("/me/todo/lists/{id}/tasks"),
            format!("/me/todo/lists/{LIST_ID}/tasks/{id}"),
            format!("{task}/attachments/{id}/$value"),
            format!("{task}/attachmentSessions/{id}"),
        ] {
            assert_graph_error(&emu.get(&path).await, 404, ITEM_NOT_FOUND, None);
        }
        let path = format!("{task}/attachmentSessions/{id}");
        assert_graph_error(
            &emu.send(emu.api(Method::DELETE, &path)).await,
            404,
            ITEM_NOT_FOUND,
            None,
        );
        assert_graph_error(
            &emu.send(
                emu.api(Method::PUT, &format!("{path}/content"))
                    .header("content-range", "bytes 0-3/4")
                    .body(b"evil".to_vec()),
            )
            .await,
            404,
            ITEM_NOT_FOUND,
            None,
        );
        assert_graph_error(
            &emu.send(emu.api(Method::DELETE, &format!("{task}/attachments/{id}")))
                .await,
            404,
            ITEM_NOT_FOUND,
            None,
        );
        // The print upload URL checks its token first.
        let reply = emu
            .send(emu.bare(
                Method::DELETE,
                &format!("/uploadSessions/{id}?tempauthtoken=1.AAAA"),
            ))
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    }
    // Literal `..` segments, which reqwest would normalise away: raw requests.
    // No route has these paths (404), but the print upload URL checks its token first (401).
    for (target, status, code) in [
        (
            format!("/v1.0{task}/attachmentSessions/../../../../../sentinel.txt"),
            404,
            ITEM_NOT_FOUND,
        ),
        (
            format!("/v1.0{task}/attachments/../../../../../../state.redb"),
            404,
            ITEM_NOT_FOUND,
        ),
        (
            "/uploadSessions/..?tempauthtoken=1.AAAA".to_string(),
            401,
            INVALID_AUTHENTICATION_TOKEN,
        ),
        (
            "/v1.0/print/printers/../../../sentinel.txt".to_string(),
            404,
            ITEM_NOT_FOUND,
        ),
    ] {
        let request = raw_request(
            emu.address(),
            "DELETE",
            &target,
            &[("Authorization", format!("Bearer {TOKEN}"))],
            b"",
        );
        let reply = raw_exchange(emu.address(), &request, false).await;
        assert_eq!(reply.status, status, "{target}: {}", reply.text());
        assert_graph_error(&reply, status, code, None);
    }
    assert_eq!(
        std::fs::read(emu.root().join("sentinel.txt")).unwrap(),
        sentinel
    );
    assert!(emu.data_dir.join("state.redb").exists());
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn ids_that_are_not_utf8() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    // An id that is not UTF-8 makes the URL invalid: 400, before any token is checked.
    for (path, status, code) in [
        (
            "/v1.0/print/printers/%FF%FE".to_string(),
            400,
            INVALID_REQUEST,
        ),
        (
            format!("/v1.0/me/todo/lists/{LIST_ID}/tasks/%C0%AF"),
            400,
            INVALID_REQUEST,
        ),
        (
            "/uploadSessions/%FF?tempauthtoken=1.AAAA".to_string(),
            400,
            INVALID_REQUEST,
        ),
    ] {
        let mut request = emu.bare(Method::GET, &path);
        if path.starts_with("/v1.0") {
            request = request.bearer_auth(TOKEN);
        }
        let reply = emu.send(request).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text());
        assert_graph_error(&reply, status, code, None);
    }
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

// ---- the bearer token ---------------------------------------------------------------------

/// Calls that need the bearer token, with what they would change.
fn api_calls() -> Vec<(Method, String, Option<serde_json::Value>)> {
    let task = todo_task_path();
    vec![
        (Method::GET, "/print/printers".to_string(), None),
        (Method::GET, "/print/shares".to_string(), None),
        (
            Method::POST,
            format!("{}/jobs", share(SHARE_ID)),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("{}/jobs", printer(PRINTER_ID)),
            Some(json!({})),
        ),
        (Method::GET, "/me/todo/lists".to_string(), None),
        (
            Method::POST,
            format!("{task}/attachments/createUploadSession"),
            Some(attachment_info("file", "a.bin", json!(10))),
        ),
        (
            Method::POST,
            format!("{task}/attachments"),
            Some(json!({"@odata.type": "#microsoft.graph.taskFileAttachment",
                "name": "a.txt", "contentBytes": base64(b"hello")})),
        ),
        (
            Method::POST,
            format!("/me/todo/lists/{LIST_ID}/tasks"),
            Some(json!({"title": "t"})),
        ),
    ]
}

/// Every API call with this `Authorization` (or none) answers 401 and changes nothing.
async fn refused_bearer(authorization: Option<&str>) {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let mut calls = api_calls();
    calls.push((
        Method::POST,
        target.create_session_path(),
        Some(print_properties("a.pdf", "application/pdf", json!(10))),
    ));
    calls.push((Method::POST, format!("{}/start", target.job_path()), None));
    calls.push((Method::GET, target.job_path(), None));
    let before = emu.snapshot().await;
    for prefix in ["/v1.0", "/beta", ""] {
        for (method, path, body) in &calls {
            let mut request = emu.bare(method.clone(), &format!("{prefix}{path}"));
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            if let Some(body) = body {
                request = request
                    .header("content-type", "application/json")
                    .body(serde_json::to_vec(body).unwrap());
            }
            let reply = emu.send(request).await;
            assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        }
    }
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn missing_bearer() {
    refused_bearer(None).await;
}

#[tokio::test]
async fn wrong_bearer() {
    refused_bearer(Some("Bearer not-the-token")).await;
}

#[tokio::test]
async fn bearer_with_a_suffix() {
    refused_bearer(Some(&format!("Bearer {TOKEN}x"))).await;
}

#[tokio::test]
async fn empty_bearer() {
    refused_bearer(Some("Bearer ")).await;
}

#[tokio::test]
async fn token_without_the_bearer_scheme() {
    refused_bearer(Some(TOKEN)).await;
}

#[tokio::test]
async fn basic_authorization() {
    refused_bearer(Some("Basic dXNlcjpwYXNz")).await;
}

#[tokio::test]
async fn todo_upload_url_without_or_with_a_wrong_bearer() {
    let scene = Scene::todo(Emulator::start().await).await;
    let emu = &scene.emu;
    for authorization in [None, Some("Bearer wrong")] {
        let with = |request: reqwest::RequestBuilder| match authorization {
            Some(value) => request.header("authorization", value),
            None => request,
        };
        for target in [format!("{}/content", scene.url), scene.url.clone()] {
            let reply = emu
                .send(with(
                    emu.client
                        .put(&target)
                        .header("content-range", "bytes 1024-2047/4096")
                        .header("content-type", "application/octet-stream")
                        .body(intruder(1024)),
                ))
                .await;
            assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        }
        let reply = emu.send(with(emu.client.get(&scene.url))).await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        let reply = emu.send(with(emu.client.delete(&scene.url))).await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    }
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

// ---- the print upload URL's own credentials -----------------------------------------------

#[tokio::test]
async fn bearer_sent_to_the_print_upload_url() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    for value in [format!("Bearer {TOKEN}"), "Bearer other".to_string()] {
        let reply = emu
            .send(
                emu.put_request(&scene.url, "bytes 2048-3071/4096", intruder(1024))
                    .header("authorization", &value),
            )
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        let reply = emu
            .send(emu.client.get(&scene.url).header("authorization", &value))
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
        let reply = emu
            .send(
                emu.client
                    .delete(&scene.url)
                    .header("authorization", &value),
            )
            .await;
        assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    }
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

/// The upload URL with its `tempauthtoken` replaced by `token` (`None`: no query at all).
fn with_token(url: &str, token: Option<&str>) -> String {
    let base = url.split('?').next().unwrap();
    match token {
        Some(token) => format!("{base}?tempauthtoken={token}"),
        None => base.to_string(),
    }
}

fn token_of(url: &str) -> String {
    url.split("tempauthtoken=")
        .nth(1)
        .expect("tempauthtoken")
        .to_string()
}

/// PUT, GET and DELETE on `url` answer 401 and the scene is unchanged.
async fn refused_upload_url(scene: &Scene, url: &str) {
    let emu = &scene.emu;
    let reply = emu
        .send(emu.put_request(url, "bytes 2048-3071/4096", intruder(1024)))
        .await;
    assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    assert_graph_error(
        &emu.get_status(url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert_graph_error(
        &emu.delete_session(url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    scene.assert_unchanged().await;
}

#[tokio::test]
async fn tampered_tempauthtoken() {
    let scene = Scene::print(Emulator::start().await).await;
    let token = token_of(&scene.url);
    let (expiry, tag) = token.split_once('.').unwrap();
    let flipped_tag = {
        let mut chars: Vec<char> = tag.chars().collect();
        chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let later: u64 = expiry.parse::<u64>().unwrap() + 3600;
    for bad in [
        format!("{expiry}.{flipped_tag}"),
        format!("{later}.{tag}"),
        format!("{expiry}.{}", &tag[..tag.len() - 1]),
        format!("{expiry}.{tag}A"),
        format!("{expiry}{tag}"),
        expiry.to_string(),
        tag.to_string(),
        "garbage".to_string(),
    ] {
        refused_upload_url(&scene, &with_token(&scene.url, Some(&bad))).await;
    }
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn tempauthtoken_with_its_expiry_rewritten() {
    // The same number written another way is still a different token: the URL must be used
    // exactly as given.
    let scene = Scene::print(Emulator::start().await).await;
    let token = token_of(&scene.url);
    let (expiry, tag) = token.split_once('.').unwrap();
    for bad in [format!("0{expiry}.{tag}"), format!("%2B{expiry}.{tag}")] {
        refused_upload_url(&scene, &with_token(&scene.url, Some(&bad))).await;
    }
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn tempauthtoken_of_another_session() {
    let scene = Scene::print(Emulator::start().await).await;
    let (_, other) = scene.emu.new_print_upload(10).await;
    let snapshot = scene.emu.snapshot().await;
    let url = with_token(&scene.url, Some(&token_of(&other.upload_url)));
    let emu = &scene.emu;
    let reply = emu
        .send(emu.put_request(&url, "bytes 2048-3071/4096", intruder(1024)))
        .await;
    assert_graph_error(&reply, 401, INVALID_AUTHENTICATION_TOKEN, None);
    assert_graph_error(
        &emu.get_status(&url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert_graph_error(
        &emu.delete_session(&url).await,
        401,
        INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    assert_eq!(emu.status_value(&scene.url).await, scene.status);
    assert_eq!(emu.snapshot().await, snapshot);
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn tempauthtoken_missing() {
    let scene = Scene::print(Emulator::start().await).await;
    refused_upload_url(&scene, &with_token(&scene.url, None)).await;
    refused_upload_url(&scene, &with_token(&scene.url, Some(""))).await;
    let other_param = format!(
        "{}?token={}",
        with_token(&scene.url, None),
        token_of(&scene.url)
    );
    refused_upload_url(&scene, &other_param).await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn unknown_print_session_with_a_foreign_token() {
    // A session id that does not exist cannot have a valid token: 401 before anything else.
    let scene = Scene::print(Emulator::start().await).await;
    let url = format!(
        "{}/uploadSessions/{UNKNOWN}?tempauthtoken={}",
        scene.emu.base,
        token_of(&scene.url)
    );
    refused_upload_url(&scene, &url).await;
    scene.stop().await;
}

// ---- sessions that are over ---------------------------------------------------------------

#[tokio::test]
async fn expired_session() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(60);
    })
    .await;
    let data = test_data(SIZE, 5);
    let (target, print) = emu.new_print_upload(SIZE as u64).await;
    let todo = emu.create_todo_session("late.bin", SIZE as u64).await;
    for (url, status) in [(&print.upload_url, 202), (&todo.upload_url, 200)] {
        assert_eq!(
            emu.put_fragment(url, 0, &data[..1024], SIZE as u64)
                .await
                .status,
            status
        );
    }
    clock.advance(Duration::from_secs(61));
    let snapshot = emu.snapshot().await;
    for url in [&print.upload_url, &todo.upload_url] {
        let reply = emu
            .put_fragment(url, 1024, &data[1024..2048], SIZE as u64)
            .await;
        assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
        assert_graph_error(&emu.get_status(url).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, snapshot);
    // The document still waits for an upload; the task has no attachment.
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["details"], json!(["uploadPending"]));
    assert!(emu.todo_attachments().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn put_after_completion() {
    let emu = Emulator::start().await;
    let data = test_data(SIZE, 6);
    let (target, print) = emu.new_print_upload(SIZE as u64).await;
    assert_eq!(
        emu.upload_all(&print.upload_url, &data, 2048).await.status,
        201
    );
    let todo = emu.create_todo_session("done.bin", SIZE as u64).await;
    let done = emu.upload_all(&todo.upload_url, &data, 2048).await;
    assert_eq!(done.status, 201);
    let id = emulator::last_segment(done.header("location").unwrap());
    let snapshot = emu.snapshot().await;
    for url in [&print.upload_url, &todo.upload_url] {
        for start in [0usize, 2048] {
            let reply = emu
                .put_fragment(url, start as u64, &intruder(2048), SIZE as u64)
                .await;
            assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
        }
        assert_graph_error(&emu.get_status(url).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, snapshot);
    assert_eq!(emu.print_value(&target).await, data);
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn delete_of_a_session_that_is_over() {
    let emu = Emulator::start().await;
    let data = test_data(100, 7);
    let (_, print) = emu.new_print_upload(100).await;
    assert_eq!(
        emu.upload_all(&print.upload_url, &data, 100).await.status,
        201
    );
    let todo = emu.create_todo_session("x.bin", 100).await;
    assert_eq!(emu.delete_session(&todo.upload_url).await.status, 204);
    let snapshot = emu.snapshot().await;
    for url in [&print.upload_url, &todo.upload_url] {
        assert_graph_error(&emu.delete_session(url).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, snapshot);
    emu.stop().await;
}

#[tokio::test]
async fn job_start_before_upload() {
    let scene = Scene::print(Emulator::start().await).await;
    let target = scene.target.clone().unwrap();
    let reply = scene
        .emu
        .send(
            scene
                .emu
                .api(Method::POST, &format!("{}/start", target.job_path())),
        )
        .await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, Some("uploadPending"));
    scene.assert_unchanged().await;
    let job = scene.emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "paused");
    scene.finish_and_compare().await;
    scene.stop().await;
}

// ---- HTTP itself --------------------------------------------------------------------------

#[tokio::test]
async fn method_not_allowed() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    let requests = [
        emu.api(Method::DELETE, "/print/printers"),
        emu.api(Method::PUT, &format!("{}/jobs", share(SHARE_ID))),
        emu.api(Method::PATCH, &todo_task_path()),
        emu.api(
            Method::GET,
            &scene.target.as_ref().unwrap().create_session_path(),
        ),
        emu.client
            .post(&scene.url)
            .header("content-range", "bytes 0-1023/4096")
            .body(intruder(1024)),
        emu.client.patch(&scene.url),
    ];
    for request in requests {
        let reply = emu.send(request).await;
        assert_graph_error(&reply, 405, NOT_ALLOWED, None);
    }
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn unknown_paths() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    for path in [
        "/v1.0/print/scanners",
        "/v1.0/me/drive/root",
        "/v2.0/print/printers",
        "/uploadSessions",
        "/uploadSessions/",
        "/",
        "/nothing/here",
    ] {
        let reply = emu
            .send(emu.bare(Method::GET, path).bearer_auth(TOKEN))
            .await;
        assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn json_body_over_the_request_limit() {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let before = emu.snapshot().await;
    // A valid JSON object of 9 MiB.
    let mut body = br#"{"properties": {"documentName": "a.pdf", "contentType": "application/pdf", "size": 10}, "padding": ""#.to_vec();
    body.extend(std::iter::repeat_n(b'a', 9 * 1024 * 1024));
    body.extend_from_slice(b"\"}");
    let reply = emu
        .send(
            emu.api(Method::POST, &target.create_session_path())
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
    // Graph's error JSON, with the emulator's code for a body its extractor refuses.
    assert_graph_error(&reply, 413, INVALID_REQUEST, None);
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

// ---- the one-shot To Do attachment and other JSON calls -----------------------------------

async fn bad_small_attachment(emu: &Emulator, body: serde_json::Value, status: u16, code: &str) {
    let before = emu.snapshot().await;
    let reply = emu
        .post_json(&format!("{}/attachments", todo_task_path()), &body)
        .await;
    assert_graph_error(&reply, status, code, None);
    assert_eq!(emu.snapshot().await, before);
}

#[tokio::test]
async fn small_attachment_bad_base64() {
    let emu = Emulator::start().await;
    for bytes in ["***not base64***", "aGVsbG8", "aGVsbG8=="] {
        bad_small_attachment(
            &emu,
            json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "a.txt",
                "contentBytes": bytes}),
            400,
            INVALID_REQUEST,
        )
        .await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn small_attachment_missing_bytes_name_or_wrong_type() {
    let emu = Emulator::start().await;
    for body in [
        json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "a.txt"}),
        json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "",
            "contentBytes": base64(b"x")}),
        json!({"@odata.type": "#microsoft.graph.itemAttachment", "name": "a.txt",
            "contentBytes": base64(b"x")}),
    ] {
        bad_small_attachment(&emu, body, 400, INVALID_REQUEST).await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn small_attachment_over_3_mb() {
    let emu = Emulator::start().await;
    let bytes = test_data(3_000_001, 8);
    bad_small_attachment(
        &emu,
        json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "big.bin",
            "contentBytes": base64(&bytes)}),
        413,
        MAX_FRAGMENT_LENGTH_EXCEEDED,
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn create_job_bad_json() {
    let emu = Emulator::start().await;
    for parent in [share(SHARE_ID), printer(PRINTER_ID)] {
        for body in [&b"{"[..], b"nope", b"[1]", b"{\"documents\": 5}"] {
            let before = emu.snapshot().await;
            let reply = emu
                .send(
                    emu.api(Method::POST, &format!("{parent}/jobs"))
                        .header("content-type", "application/json")
                        .body(body.to_vec()),
                )
                .await;
            assert_graph_error(&reply, 400, INVALID_REQUEST, None);
            assert_eq!(emu.snapshot().await, before);
        }
    }
    emu.stop().await;
}
