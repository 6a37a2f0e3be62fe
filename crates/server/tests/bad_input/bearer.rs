//! The bearer token: missing, wrong, padded, or in another scheme.

use crate::scene::{Scene, attachment_info, intruder, print_properties};
use graph_upload_models::error_codes::INVALID_AUTHENTICATION_TOKEN;
use graph_upload_server::fixtures::{LIST_ID, PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{
    Emulator, TOKEN, assert_graph_error, base64, printer, share, todo_task_path,
};
use reqwest::Method;
use serde_json::json;

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
