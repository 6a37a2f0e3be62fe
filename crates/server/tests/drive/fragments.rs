//! The fragment rules of a drive session: in order only, no fragment twice, under the size
//! limit, every `Content-Range` total the file's size; a middle fragment off the 320 KiB
//! quantum is accepted (Microsoft's SDKs send them); the upload URL takes no bearer token;
//! each accepted fragment pushes the expiry out.

use crate::support::{assert_item, in_documents, upload};
use graph_upload_models::error_codes;
use graph_upload_server::fixtures::USER_DOCUMENTS_ID;
use graph_upload_testkit::emulator::{Emulator, QUANTUM, assert_graph_error, test_data};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn fragments_arrive_in_order_once_each() {
    let emu = Emulator::start().await;
    let data = test_data(3 * QUANTUM, 5);
    let total = data.len() as u64;
    let session = emu
        .create_drive_session(&in_documents("order.bin"), None)
        .await;
    let url = &session.upload_url;
    // Out of order: refused before the first byte.
    let ahead = emu
        .put_fragment(url, QUANTUM as u64, &data[QUANTUM..2 * QUANTUM], total)
        .await;
    assert_graph_error(
        &ahead,
        416,
        error_codes::INVALID_RANGE,
        Some(error_codes::FRAGMENT_OUT_OF_ORDER),
    );
    let first = emu.put_fragment(url, 0, &data[..QUANTUM], total).await;
    assert_eq!(first.status, 202, "{}", first.text());
    assert_eq!(
        first.value()["nextExpectedRanges"],
        json!([format!("{QUANTUM}-{}", total - 1)])
    );
    // Sent again: overlap.
    assert_graph_error(
        &emu.put_fragment(url, 0, &data[..QUANTUM], total).await,
        416,
        error_codes::INVALID_RANGE,
        Some(error_codes::FRAGMENT_OVERLAP),
    );
    // The total is the file's size, learnt from the first fragment.
    assert_graph_error(
        &emu.put_fragment(url, QUANTUM as u64, &data[QUANTUM..2 * QUANTUM], total + 1)
            .await,
        400,
        error_codes::INVALID_REQUEST,
        Some(error_codes::FRAGMENT_LENGTH_MISMATCH),
    );
    // Skipping a fragment: out of order again.
    assert_graph_error(
        &emu.put_fragment(url, 2 * QUANTUM as u64, &data[2 * QUANTUM..], total)
            .await,
        416,
        error_codes::INVALID_RANGE,
        Some(error_codes::FRAGMENT_OUT_OF_ORDER),
    );
    assert_eq!(emu.missing(url).await, [format!("{QUANTUM}-{}", total - 1)]);
    let done = emu.upload_from(url, &data, QUANTUM, QUANTUM).await;
    assert_item(&done, 201, "order.bin", data.len(), USER_DOCUMENTS_ID);
    assert_eq!(emu.drive_content(&in_documents("order.bin")).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn fragment_sizes_limit_and_quantum() {
    let emu = Emulator::start_with(|config| config.drive_max_fragment = 4096).await;
    let data = test_data(20_000, 6);
    let total = data.len() as u64;
    let path = in_documents("sizes.bin");
    let session = emu
        .create_drive_session(&path, Some(&json!({"item": {"fileSize": total}})))
        .await;
    let url = &session.upload_url;
    assert_graph_error(
        &emu.put_fragment(url, 0, &data[..4097], total).await,
        413,
        error_codes::MAX_FRAGMENT_LENGTH_EXCEEDED,
        None,
    );
    // `fileSize` fixed the total.
    assert_graph_error(
        &emu.put_fragment(url, 0, &data[..1000], total - 1).await,
        400,
        error_codes::INVALID_REQUEST,
        Some(error_codes::FRAGMENT_LENGTH_MISMATCH),
    );
    // Middle fragments off the 320 KiB quantum are accepted (and logged as a warning).
    let reply = emu.put_fragment(url, 0, &data[..1000], total).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let done = emu.upload_from(url, &data, 1000, 4096).await;
    assert_item(&done, 201, "sizes.bin", data.len(), USER_DOCUMENTS_ID);
    assert_eq!(emu.drive_content(&path).await, data);
    assert_eq!(
        graph_upload_server::DEFAULT_DRIVE_MAX_FRAGMENT,
        60 * 1024 * 1024 - 1,
        "Graph: under 60 MiB"
    );
    emu.stop().await;
}

#[tokio::test]
async fn the_upload_url_is_pre_authenticated_and_empty_files_work() {
    let emu = Emulator::start().await;
    let session = emu
        .create_drive_session(&in_documents("auth.txt"), None)
        .await;
    let url = &session.upload_url;
    let with_bearer = emu
        .send(
            emu.fragment_request(url, 0, b"abc", 3)
                .bearer_auth(graph_upload_testkit::emulator::TOKEN),
        )
        .await;
    assert_graph_error(
        &with_bearer,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    let without_token = url.split('?').next().unwrap();
    assert_eq!(
        emu.put_fragment(without_token, 0, b"abc", 3).await.status,
        401
    );
    let done = upload(&emu, url, b"abc").await;
    assert_item(&done, 201, "auth.txt", 3, USER_DOCUMENTS_ID);
    // A 0-byte file: one empty PUT commits it.
    let session = emu
        .create_drive_session(&in_documents("zero.txt"), None)
        .await;
    let done = emu.put_empty(&session.upload_url).await;
    assert_item(&done, 201, "zero.txt", 0, USER_DOCUMENTS_ID);
    emu.stop().await;
}

#[tokio::test]
async fn each_fragment_pushes_the_expiry_out() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(600);
    })
    .await;
    let data = test_data(4 * QUANTUM, 7);
    let total = data.len() as u64;
    let session = emu
        .create_drive_session(&in_documents("slow.bin"), None)
        .await;
    let url = &session.upload_url;
    let mut previous = session.expiration_date_time.to_string();
    for n in 0..3 {
        // 500 s between fragments: past the first expiry, never past the renewed one.
        clock.advance(Duration::from_secs(500));
        let start = n * QUANTUM;
        let reply = emu
            .put_fragment(url, start as u64, &data[start..start + QUANTUM], total)
            .await;
        assert_eq!(reply.status, 202, "{}", reply.text());
        let expiry = reply.value()["expirationDateTime"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(expiry > previous, "{expiry} after {previous}");
        previous = expiry;
    }
    clock.advance(Duration::from_secs(601));
    assert_graph_error(
        &emu.get_status(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(
        &emu.put_fragment(url, 3 * QUANTUM as u64, &data[3 * QUANTUM..], total)
            .await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert!(emu.open_sessions().await.is_empty());
    emu.stop().await;
}
