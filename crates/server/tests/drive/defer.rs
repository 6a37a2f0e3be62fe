//! `deferCommit: true`: the last fragment answers `202` with nothing missing, the item appears
//! only on the empty `POST {uploadUrl}`.

use crate::support::{assert_item, in_documents};
use graph_upload_models::error_codes;
use graph_upload_server::fixtures::USER_DOCUMENTS_ID;
use graph_upload_testkit::emulator::{Emulator, QUANTUM, TOKEN, assert_graph_error, test_data};
use serde_json::json;

#[tokio::test]
async fn the_last_fragment_waits_for_the_commit() {
    let emu = Emulator::start().await;
    let path = in_documents("later.docx");
    let data = test_data(2 * QUANTUM + 99, 8);
    let session = emu
        .create_drive_session(
            &path,
            Some(&json!({"item": {"name": "later.docx"}, "deferCommit": true})),
        )
        .await;
    let url = &session.upload_url;
    // Committing before every byte is there is refused, and changes nothing.
    emu.put_fragment(url, 0, &data[..QUANTUM], data.len() as u64)
        .await;
    assert_graph_error(
        &emu.commit_drive_session(url).await,
        400,
        error_codes::INVALID_REQUEST,
        None,
    );
    let last = emu.upload_from(url, &data, QUANTUM, QUANTUM).await;
    assert_eq!(last.status, 202, "{}", last.text());
    assert_eq!(last.value()["nextExpectedRanges"], json!([]));
    assert!(last.value()["expirationDateTime"].is_string());
    assert_eq!(emu.missing(url).await, Vec::<String>::new());
    assert_graph_error(
        &emu.get(&path).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    let sessions = emu.open_sessions().await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["kind"], "drive");
    assert_eq!(sessions[0]["bytesReceived"], data.len() as u64);
    // The commit: no body, no Authorization.
    let with_body = emu.send(emu.client.post(url.as_str()).body("{}")).await;
    assert_graph_error(&with_body, 400, error_codes::INVALID_REQUEST, None);
    let with_bearer = emu
        .send(
            emu.client
                .post(url.as_str())
                .bearer_auth(TOKEN)
                .header("content-length", "0"),
        )
        .await;
    assert_eq!(with_bearer.status, 401, "{}", with_bearer.text());
    let reply = emu.commit_drive_session(url).await;
    assert_item(&reply, 201, "later.docx", data.len(), USER_DOCUMENTS_ID);
    assert_eq!(emu.drive_content(&path).await, data);
    // Committed once: the session is gone.
    assert_graph_error(
        &emu.commit_drive_session(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert!(emu.open_sessions().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn an_empty_file_with_deferred_commit() {
    let emu = Emulator::start().await;
    let path = in_documents("empty.txt");
    let session = emu
        .create_drive_session(&path, Some(&json!({"deferCommit": true})))
        .await;
    let reply = emu.put_empty(&session.upload_url).await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(reply.value()["nextExpectedRanges"], json!([]));
    let reply = emu.commit_drive_session(&session.upload_url).await;
    assert_item(&reply, 201, "empty.txt", 0, USER_DOCUMENTS_ID);
    assert_eq!(emu.drive_content(&path).await, Vec::<u8>::new());
    emu.stop().await;
}
