//! Ids that look like paths (`..`, encoded slashes) or are not UTF-8.

use crate::scene::Scene;
use graph_upload_models::error_codes::{
    INVALID_AUTHENTICATION_TOKEN, INVALID_REQUEST, ITEM_NOT_FOUND,
};
use graph_upload_server::fixtures::LIST_ID;
use graph_upload_testkit::emulator::{
    Emulator, TOKEN, assert_graph_error, printer, raw_exchange, raw_request, share, todo_task_path,
};
use reqwest::Method;

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
