//! The one-shot To Do attachment and other JSON calls with bad bodies.

use graph_upload_models::error_codes::{INVALID_REQUEST, MAX_FRAGMENT_LENGTH_EXCEEDED};
use graph_upload_server::fixtures::{PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{
    Emulator, assert_graph_error, base64, printer, share, test_data, todo_task_path,
};
use reqwest::Method;
use serde_json::json;

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
