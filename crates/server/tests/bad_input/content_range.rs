//! Fragments with a bad `Content-Range`, or a range that does not match the file or the body.

use crate::scene::{both_scenes, intruder};
use graph_upload_models::error_codes::{FRAGMENT_LENGTH_MISMATCH, INVALID_REQUEST};
use graph_upload_testkit::emulator::{TOKEN, assert_graph_error, raw_exchange, raw_request};
use graph_upload_testkit::urls::{self};

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
