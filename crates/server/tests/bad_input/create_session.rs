//! Bad `createUploadSession` bodies, and sessions for a document already uploaded.

use crate::scene::{attachment_info, intruder, print_properties};
use graph_upload_models::error_codes::{
    INVALID_REQUEST, NOT_ALLOWED, NOT_SUPPORTED, QUOTA_LIMIT_REACHED,
};
use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{
    Emulator, assert_graph_error, printer, share, test_data, todo_task_path,
};
use reqwest::Method;
use serde_json::json;

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
            // Graph: 415 RequestBodyRead for a body that is not sent as JSON.
            assert_graph_error(&reply, 415, "RequestBodyRead", None);
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
