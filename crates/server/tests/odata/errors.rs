//! Queries Graph refuses answer `400 BadRequest` with Graph's error body, and a JSON call
//! given a body of another media type answers `415 RequestBodyRead`.
//! Follows <https://learn.microsoft.com/graph/query-parameters> and
//! <https://learn.microsoft.com/graph/errors>.

use crate::support::tasks_path;
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_testkit::emulator::{Emulator, assert_graph_error, share, todo_task_path};
use reqwest::Method;

#[tokio::test]
async fn bad_options_are_400_with_graphs_body() {
    let emu = Emulator::start().await;
    let collections = [
        "/print/printers".to_owned(),
        format!("{}/jobs", share(SHARE_ID)),
        "/me/todo/lists".to_owned(),
        tasks_path(),
        format!("{}/attachments", todo_task_path()),
        "/me/drive/root/children".to_owned(),
    ];
    for path in &collections {
        for query in [
            "$top=abc",
            "$top=-3",
            "$skip=1.5",
            "$bogus=1",
            "$select=noSuchProperty",
            "$filter=id%20eq",
            "$filter=(id%20eq%20'x'",
            "$filter=id%20eq%20'x'%20extra",
            "$filter=noSuchProperty%20eq%201",
            "$filter=frob(id,'x')",
            "$count=yes",
            "$expand=noSuchProperty",
            "$top=1&$top=2",
            "$skiptoken=garbage",
        ] {
            let reply = emu.get(&format!("{path}?{query}")).await;
            assert_graph_error(&reply, 400, "BadRequest", None);
            assert!(
                !reply.graph_error().error.message.is_empty(),
                "{path}?{query}"
            );
        }
    }
    // $orderby where the list call does not document it, $expand of a property that is
    // not a navigation property.
    // $count on print jobs (printershare-list-jobs.md: "Some operators are not supported:
    // $count, $search").
    let no_count = format!("{}/jobs?$count=true", share(SHARE_ID));
    for query in [
        "/print/printers?$orderby=displayName",
        "/me/todo/lists?$expand=displayName",
        no_count.as_str(),
    ] {
        assert_graph_error(&emu.get(query).await, 400, "BadRequest", None);
    }
    // Parameters that are not system query options are ignored, as Graph does.
    assert_eq!(emu.get("/print/printers?foo=bar").await.status, 200);
    emu.stop().await;
}

#[tokio::test]
async fn a_non_json_body_on_a_json_call_is_415() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    for (path, content_type) in [
        (tasks_path(), "text/plain"),
        (tasks_path(), "application/x-www-form-urlencoded"),
        (format!("{}/jobs", share(SHARE_ID)), "text/plain"),
        (
            format!("{}/attachments", todo_task_path()),
            "application/xml",
        ),
    ] {
        let reply = emu
            .send(
                emu.api(Method::POST, &path)
                    .header("content-type", content_type)
                    .body(r#"{"title": "x"}"#),
            )
            .await;
        assert_graph_error(&reply, 415, "RequestBodyRead", None);
    }
    assert_eq!(emu.snapshot().await, before, "nothing was stored");
    // JSON with parameters, and JSON without a Content-Type, are read.
    for content_type in [Some("application/json; charset=utf-8"), None] {
        let request = emu
            .api(Method::POST, &tasks_path())
            .body(r#"{"title": "x"}"#);
        let request = match content_type {
            Some(value) => request.header("content-type", value),
            None => request,
        };
        assert_eq!(emu.send(request).await.status, 201);
    }
    emu.stop().await;
}
