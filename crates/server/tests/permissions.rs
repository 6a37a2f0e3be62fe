//! Tokens with a kind and scopes (`ServerConfig::tokens`, `serve --token NAME:TOKEN:KIND:SCOPES`)
//! against the Permissions sections of Graph's reference pages, and the bearer check coming
//! before the method check (Graph answers 401, not 405, to a caller without a valid token).

use graph_upload_server::fixtures::{LIST_ID, PRINTER_ID, SHARE_ID};
use graph_upload_server::{TokenGrant, TokenKind};
use graph_upload_testkit::emulator::{Emulator, TOKEN, assert_graph_error, printer, share};
use reqwest::Method;
use serde_json::json;

const READER: &str = "reader-token";
const WRITER: &str = "writer-token";
const USER: &str = "user-token";
const APP: &str = "app-token";
const NOBODY: &str = "nobody-token";

async fn emulator() -> Emulator {
    Emulator::start_with(|config| {
        config.tokens = vec![
            TokenGrant::new("reader", READER, TokenKind::Delegated, ["Tasks.Read"]),
            TokenGrant::new("writer", WRITER, TokenKind::Delegated, ["Tasks.ReadWrite"]),
            TokenGrant::new(
                "user",
                USER,
                TokenKind::Delegated,
                [
                    "PrintJob.ReadWriteBasic",
                    "PrintJob.Create",
                    "PrinterShare.ReadBasic.All",
                ],
            ),
            TokenGrant::new(
                "app",
                APP,
                TokenKind::Application,
                ["PrintJob.ReadWrite.All", "Tasks.ReadWrite.All"],
            ),
            TokenGrant::new("nobody", NOBODY, TokenKind::Delegated, Vec::<String>::new()),
        ];
    })
    .await
}

async fn call(
    emu: &Emulator,
    token: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> graph_upload_testkit::reply::Reply {
    let mut request = emu.bare(method, &format!("/v1.0{path}")).bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap());
    }
    emu.send(request).await
}

/// todotasklist-post-tasks and todotasklist-list-tasks: delegated `Tasks.Read` reads,
/// `Tasks.ReadWrite` is needed to create; Outlook-style `403 ErrorAccessDenied` otherwise.
#[tokio::test]
async fn to_do_scopes_decide_reads_and_writes() {
    let emu = emulator().await;
    let tasks = format!("/me/todo/lists/{LIST_ID}/tasks");
    let reply = call(&emu, READER, Method::GET, &tasks, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let reply = call(
        &emu,
        READER,
        Method::POST,
        &tasks,
        Some(json!({"title": "t"})),
    )
    .await;
    assert_graph_error(&reply, 403, "ErrorAccessDenied", None);
    assert!(!reply.text().contains(READER), "{}", reply.text());
    let reply = call(
        &emu,
        WRITER,
        Method::POST,
        &tasks,
        Some(json!({"title": "t"})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let reply = call(&emu, APP, Method::POST, &tasks, Some(json!({"title": "a"}))).await;
    assert_eq!(
        reply.status,
        201,
        "application Tasks.ReadWrite.All: {}",
        reply.text()
    );
    // A delegated token without scopes may call nothing that has a rule.
    let reply = call(&emu, NOBODY, Method::GET, "/me/todo/lists", None).await;
    assert_graph_error(&reply, 403, "ErrorAccessDenied", None);
    let reply = call(&emu, NOBODY, Method::GET, "/print/shares", None).await;
    assert_graph_error(&reply, 403, "Authorization_RequestDenied", None);
    // Print shares have no application permission (printershare-get: "Not supported").
    let reply = call(&emu, APP, Method::GET, "/print/shares", None).await;
    assert_graph_error(&reply, 403, "Authorization_RequestDenied", None);
    emu.stop().await;
}

/// printjob-cancel: "Print jobs can be canceled only on behalf of a user, using delegated
/// permissions" (least privileged PrintJob.ReadWriteBasic; application: not supported).
#[tokio::test]
async fn cancel_is_for_delegated_tokens_only() {
    let emu = emulator().await;
    let reply = call(
        &emu,
        USER,
        Method::POST,
        &format!("{}/jobs", share(SHARE_ID)),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "delegated PrintJob.Create: {}",
        reply.text()
    );
    let job = reply.value()["id"].as_str().unwrap().to_owned();
    let cancel = format!("{}/jobs/{job}/cancel", share(SHARE_ID));
    let reply = call(&emu, APP, Method::POST, &cancel, None).await;
    assert_graph_error(&reply, 403, "Authorization_RequestDenied", None);
    assert!(reply.text().contains("printjob-cancel"), "{}", reply.text());
    let reply = call(&emu, READER, Method::POST, &cancel, None).await;
    assert_graph_error(&reply, 403, "Authorization_RequestDenied", None);
    let reply = call(&emu, USER, Method::POST, &cancel, None).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    emu.stop().await;
}

/// The plain token stays all-powerful next to scoped ones: print, To Do and the emulator's
/// own routes.
/// printjob-abort: "Only applications using application permissions can abort a print job"
/// (`PrintJob.ReadWriteBasic.All`, `PrintJob.ReadWrite.All`); a delegated token gets 403.
#[tokio::test]
async fn abort_is_for_application_tokens_only() {
    let emu = emulator().await;
    let reply = call(
        &emu,
        USER,
        Method::POST,
        &format!("{}/jobs", printer(PRINTER_ID)),
        Some(json!({})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let job = reply.value()["id"].as_str().unwrap().to_owned();
    let abort = format!("{}/jobs/{job}/abort", printer(PRINTER_ID));
    let reply = call(&emu, USER, Method::POST, &abort, None).await;
    assert_graph_error(&reply, 403, "Authorization_RequestDenied", None);
    assert!(reply.text().contains("printjob-abort"), "{}", reply.text());
    let reply = call(&emu, APP, Method::POST, &abort, None).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    emu.stop().await;
}

#[tokio::test]
async fn the_plain_token_may_call_everything() {
    let emu = emulator().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let reply = call(
        &emu,
        TOKEN,
        Method::POST,
        &format!("{}/cancel", target.job_path()),
        None,
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    let reply = call(
        &emu,
        TOKEN,
        Method::POST,
        &format!("/me/todo/lists/{LIST_ID}/tasks"),
        Some(json!({"title": "t"})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let reply = emu
        .send(emu.bare(Method::GET, "/_emulator/stats").bearer_auth(TOKEN))
        .await;
    assert_eq!(reply.status, 200);
    emu.stop().await;
}

/// A method a route does not have: `401` without a valid token (the bearer check comes first,
/// as on Graph), `405` with one; upload URLs, which take no token, still answer `405`.
#[tokio::test]
async fn unauthenticated_calls_get_401_before_405() {
    let emu = emulator().await;
    for path in [
        "/v1.0/print/shares".to_string(),
        format!("/v1.0/me/todo/lists/{LIST_ID}"),
        format!("/beta/print/shares/{SHARE_ID}"),
        "/_emulator/stats".to_string(),
    ] {
        let reply = emu.send(emu.bare(Method::DELETE, &path)).await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", None);
        let reply = emu
            .send(emu.bare(Method::DELETE, &path).bearer_auth("wrong"))
            .await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", None);
        let reply = emu
            .send(emu.bare(Method::DELETE, &path).bearer_auth(TOKEN))
            .await;
        assert_eq!(reply.status, 405, "{path}: {}", reply.text());
        // A scoped token passes the bearer check too, and no rule names the missing method.
        let reply = emu
            .send(emu.bare(Method::DELETE, &path).bearer_auth(NOBODY))
            .await;
        assert_ne!(reply.status, 401, "{path}: {}", reply.text());
    }
    let reply = emu
        .send(emu.bare(Method::PATCH, "/uploadSessions/nothing"))
        .await;
    assert_eq!(reply.status, 405, "{}", reply.text());
    emu.stop().await;
}
