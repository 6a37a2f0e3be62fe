//! `Content-Length` and the body, on the wire: lying lengths, chunked bodies, bodies cut short.

use crate::scene::{Scene, both_scenes, intruder};
use graph_upload_models::error_codes::{FRAGMENT_LENGTH_MISMATCH, INVALID_REQUEST};
use graph_upload_testkit::emulator::{TOKEN, assert_graph_error, raw_exchange, raw_request};
use graph_upload_testkit::reply::Reply;
use graph_upload_testkit::urls::{self};

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
