//! HTTP itself: methods not allowed, unknown paths, JSON bodies over the request limit.

use crate::scene::{Scene, intruder};
use graph_upload_models::error_codes::{INVALID_REQUEST, ITEM_NOT_FOUND, NOT_ALLOWED};
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::emulator::{Emulator, TOKEN, assert_graph_error, share, todo_task_path};
use reqwest::Method;

#[tokio::test]
async fn method_not_allowed() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    let requests = [
        emu.api(Method::DELETE, "/print/printers"),
        emu.api(Method::PUT, &format!("{}/jobs", share(SHARE_ID))),
        emu.api(Method::PUT, &todo_task_path()),
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
        "/v1.0/me/drive/special/approot",
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
