//! Each drive's quota: `507 insufficientStorage` for a `fileSize` or a first fragment's total
//! that does not fit, and at commit; nothing is stored then.

use crate::support::{assert_item, in_documents, upload};
use graph_upload_server::fixtures::USER_DOCUMENTS_ID;
use graph_upload_testkit::emulator::{Emulator, assert_graph_error, test_data};
use serde_json::json;

const QUOTA: u64 = 100_000;

#[tokio::test]
async fn uploads_past_the_quota_are_refused() {
    let emu = Emulator::start_with(|config| config.drive_quota = QUOTA).await;
    // `fileSize` over the quota: refused at creation, no session.
    let reply = emu
        .create_drive_session_raw(
            &in_documents("big.bin"),
            Some(&json!({"item": {"fileSize": QUOTA + 1}})),
        )
        .await;
    assert_graph_error(&reply, 507, "insufficientStorage", None);
    assert!(emu.open_sessions().await.is_empty());
    // Without `fileSize`, the first fragment's total is checked.
    let session = emu
        .create_drive_session(&in_documents("big.bin"), None)
        .await;
    let reply = emu
        .put_fragment(&session.upload_url, 0, &[1; 100], QUOTA + 1)
        .await;
    assert_graph_error(&reply, 507, "insufficientStorage", None);
    assert_eq!(emu.open_sessions().await[0]["bytesReceived"], 0);
    assert_eq!(emu.delete_session(&session.upload_url).await.status, 204);
    // Up to the quota is fine...
    let first = test_data(60_000, 1);
    let session = emu.create_drive_session(&in_documents("a.bin"), None).await;
    assert_item(
        &upload(&emu, &session.upload_url, &first).await,
        201,
        "a.bin",
        first.len(),
        USER_DOCUMENTS_ID,
    );
    let drive = emu.get_json("/me/drive").await;
    assert_eq!(drive["quota"]["used"], 60_000);
    assert_eq!(drive["quota"]["remaining"], QUOTA - 60_000);
    // ...the next file is measured against what is left...
    let reply = emu
        .create_drive_session_raw(
            &in_documents("b.bin"),
            Some(&json!({"item": {"fileSize": 60_000}})),
        )
        .await;
    assert_graph_error(&reply, 507, "insufficientStorage", None);
    // ...and two sessions that each fit cannot both commit.
    let second = test_data(30_000, 2);
    let one = emu.create_drive_session(&in_documents("c.bin"), None).await;
    let two = emu.create_drive_session(&in_documents("d.bin"), None).await;
    let total = second.len() as u64;
    let started = emu
        .put_fragment(&two.upload_url, 0, &second[..20_000], total)
        .await;
    assert_eq!(started.status, 202, "{}", started.text());
    let whole = emu.put_fragment(&one.upload_url, 0, &second, total).await;
    assert_eq!(whole.status, 201, "{}", whole.text());
    let reply = emu
        .put_fragment(&two.upload_url, 20_000, &second[20_000..], total)
        .await;
    assert_graph_error(&reply, 507, "insufficientStorage", None);
    assert_graph_error(
        &emu.get(&in_documents("d.bin")).await,
        404,
        "itemNotFound",
        None,
    );
    assert_eq!(emu.delete_session(&two.upload_url).await.status, 204);
    // Replacing a file frees its bytes first.
    let bigger = test_data(65_000, 3);
    let session = emu
        .create_drive_session(
            &in_documents("a.bin"),
            Some(
                &json!({"item": {"@microsoft.graph.conflictBehavior": "replace",
                                  "fileSize": bigger.len()}}),
            ),
        )
        .await;
    assert_item(
        &upload(&emu, &session.upload_url, &bigger).await,
        200,
        "a.bin",
        bigger.len(),
        USER_DOCUMENTS_ID,
    );
    assert_eq!(emu.drive_content(&in_documents("a.bin")).await, bigger);
    // The other drives have their own quota.
    let drive = emu
        .get_json(&format!(
            "/groups/{}/drive",
            graph_upload_server::fixtures::GROUP_ID
        ))
        .await;
    assert_eq!(drive["quota"]["used"], 0);
    emu.stop().await;
}
