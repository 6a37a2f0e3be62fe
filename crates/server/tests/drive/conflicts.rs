//! `conflictBehavior` at commit: `fail` (the default) answers `409 nameAlreadyExists` and keeps
//! the session, `replace` answers `200` with the same item and new content, `rename` gives
//! `name 1.pdf`, then `name 2.pdf`.

use crate::support::{assert_item, in_documents, upload};
use graph_upload_models::error_codes;
use graph_upload_server::fixtures::{USER_DOCUMENTS_ID, USER_DRIVE_ROOT_ID};
use graph_upload_testkit::emulator::{Emulator, QUANTUM, assert_graph_error, test_data};
use serde_json::json;

fn behaviour(conflict: &str) -> serde_json::Value {
    json!({"item": {"@microsoft.graph.conflictBehavior": conflict}})
}

#[tokio::test]
async fn fail_is_the_default_and_keeps_the_session() {
    let emu = Emulator::start().await;
    let path = in_documents("report.pdf");
    let first = test_data(QUANTUM + 10, 1);
    let session = emu.create_drive_session(&path, None).await;
    let original = assert_item(
        &upload(&emu, &session.upload_url, &first).await,
        201,
        "report.pdf",
        first.len(),
        USER_DOCUMENTS_ID,
    );
    for body in [None, Some(behaviour("fail"))] {
        let second = test_data(QUANTUM + 20, 2);
        let session = emu.create_drive_session(&path, body.as_ref()).await;
        let reply = upload(&emu, &session.upload_url, &second).await;
        assert_graph_error(&reply, 409, "nameAlreadyExists", None);
        // The session keeps its bytes: nothing is missing, a retried commit conflicts again.
        assert_eq!(emu.missing(&session.upload_url).await, Vec::<String>::new());
        assert_graph_error(
            &emu.commit_drive_session(&session.upload_url).await,
            409,
            "nameAlreadyExists",
            None,
        );
        assert_eq!(emu.delete_session(&session.upload_url).await.status, 204);
        assert_graph_error(
            &emu.get_status(&session.upload_url).await,
            404,
            error_codes::ITEM_NOT_FOUND,
            None,
        );
    }
    // The original is untouched.
    let item = emu.get_json(&path).await;
    assert_eq!(item["id"], original["id"]);
    assert_eq!(item["eTag"], original["eTag"]);
    assert_eq!(emu.drive_content(&path).await, first);
    assert_eq!(
        emu.drive_children("/me/drive/root:/Documents:").await.len(),
        1
    );
    emu.stop().await;
}

#[tokio::test]
async fn replace_keeps_the_item_and_changes_its_content() {
    let emu = Emulator::start().await;
    let path = in_documents("notes.txt");
    let first = test_data(1000, 3);
    let session = emu.create_drive_session(&path, None).await;
    let original = assert_item(
        &upload(&emu, &session.upload_url, &first).await,
        201,
        "notes.txt",
        first.len(),
        USER_DOCUMENTS_ID,
    );
    let second = test_data(2 * QUANTUM + 5, 4);
    // Another case of the same name replaces it too; the item keeps its name.
    let session = emu
        .create_drive_session(&in_documents("NOTES.txt"), Some(&behaviour("replace")))
        .await;
    let replaced = assert_item(
        &upload(&emu, &session.upload_url, &second).await,
        200,
        "notes.txt",
        second.len(),
        USER_DOCUMENTS_ID,
    );
    assert_eq!(replaced["id"], original["id"]);
    assert_ne!(replaced["eTag"], original["eTag"]);
    assert_ne!(replaced["cTag"], original["cTag"]);
    assert_eq!(emu.drive_content(&path).await, second);
    let children = emu.drive_children("/me/drive/root:/Documents:").await;
    assert_eq!(children.len(), 1, "{children:?}");
    let drive = emu.get_json("/me/drive").await;
    assert_eq!(drive["quota"]["used"], second.len() as u64);
    // A folder is never replaced by a file.
    let session = emu
        .create_drive_session("/me/drive/root:/Documents:", Some(&behaviour("replace")))
        .await;
    assert_graph_error(
        &upload(&emu, &session.upload_url, b"x").await,
        409,
        "nameAlreadyExists",
        None,
    );
    let documents = emu.get_json("/me/drive/root:/Documents").await;
    assert_eq!(documents["id"], USER_DOCUMENTS_ID);
    assert_eq!(documents["parentReference"]["id"], USER_DRIVE_ROOT_ID);
    emu.stop().await;
}

#[tokio::test]
async fn rename_picks_the_next_free_name() {
    let emu = Emulator::start().await;
    let path = in_documents("scan.pdf");
    let mut ids = Vec::new();
    for (n, expected) in ["scan.pdf", "scan 1.pdf", "scan 2.pdf"].iter().enumerate() {
        let data = test_data(100 + n, n as u64);
        let session = emu
            .create_drive_session(&path, Some(&behaviour("rename")))
            .await;
        let item = assert_item(
            &upload(&emu, &session.upload_url, &data).await,
            201,
            expected,
            data.len(),
            USER_DOCUMENTS_ID,
        );
        ids.push(item["id"].as_str().unwrap().to_owned());
        assert_eq!(emu.drive_content(&in_documents(expected)).await, data);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3);
    let names: Vec<_> = emu
        .drive_children("/me/drive/items/root:/Documents:")
        .await
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["scan 1.pdf", "scan 2.pdf", "scan.pdf"]);
    emu.stop().await;
}
