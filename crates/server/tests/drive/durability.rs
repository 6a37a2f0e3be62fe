//! Drive sessions and files live in the data directory: an upload resumes after a restart,
//! a deferred session commits after one, committed files survive them.

use crate::support::{assert_item, in_documents};
use graph_upload_server::fixtures::USER_DOCUMENTS_ID;
use graph_upload_testkit::emulator::{Emulator, QUANTUM, test_data};
use graph_upload_testkit::urls::rebase;
use serde_json::json;

#[tokio::test]
async fn uploads_resume_and_files_stay_across_restarts() {
    let mut emu = Emulator::start().await;
    let data = test_data(3 * QUANTUM + 5, 21);
    let total = data.len() as u64;
    let plain = emu
        .create_drive_session(&in_documents("kept.bin"), None)
        .await;
    let deferred = emu
        .create_drive_session(
            &in_documents("deferred.bin"),
            Some(&json!({"deferCommit": true})),
        )
        .await;
    let reply = emu
        .put_fragment(&plain.upload_url, 0, &data[..QUANTUM], total)
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let reply = emu
        .upload_from(&deferred.upload_url, &data, 0, QUANTUM)
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());

    emu.restart().await;
    let plain_url = rebase(&plain.upload_url, &emu.base);
    let deferred_url = rebase(&deferred.upload_url, &emu.base);
    assert_eq!(
        emu.missing(&plain_url).await,
        [format!("{QUANTUM}-{}", total - 1)]
    );
    assert_eq!(emu.missing(&deferred_url).await, Vec::<String>::new());
    let done = emu.upload_from(&plain_url, &data, QUANTUM, QUANTUM).await;
    assert_item(&done, 201, "kept.bin", data.len(), USER_DOCUMENTS_ID);
    let done = emu.commit_drive_session(&deferred_url).await;
    assert_item(&done, 201, "deferred.bin", data.len(), USER_DOCUMENTS_ID);

    // Committed files keep their bytes across a restart (start-up removes only bytes no
    // record refers to).
    emu.restart().await;
    assert_eq!(emu.drive_content(&in_documents("kept.bin")).await, data);
    assert_eq!(emu.drive_content(&in_documents("deferred.bin")).await, data);
    assert_eq!(
        emu.drive_children("/me/drive/root:/Documents:").await.len(),
        2
    );
    emu.stop().await;
}
