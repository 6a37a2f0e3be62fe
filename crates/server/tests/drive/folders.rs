//! `POST .../children` with a `folder` facet makes a folder: `201` with the driveItem, `409
//! nameAlreadyExists` for a taken name (`fail`, the default), a free name for `rename`, the
//! existing folder for `replace`; files can then be uploaded into it by path. Bad bodies are
//! `400` and create nothing.

use crate::support::{assert_item, upload};
use graph_upload_server::fixtures::USER_DOCUMENTS_ID;
use graph_upload_testkit::emulator::{Emulator, assert_graph_error, test_data};
use serde_json::json;

fn folder(name: &str, conflict: Option<&str>) -> serde_json::Value {
    let mut body = json!({"name": name, "folder": {}});
    if let Some(conflict) = conflict {
        body["@microsoft.graph.conflictBehavior"] = json!(conflict);
    }
    body
}

#[tokio::test]
async fn a_new_folder_takes_files_and_a_taken_name_follows_the_conflict_behaviour() {
    let emu = Emulator::start().await;
    let created = emu
        .post_json(
            "/me/drive/root:/Documents:/children",
            &folder("photos", None),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let photos = created.value();
    assert_eq!(photos["name"], "photos");
    assert_eq!(photos["folder"]["childCount"], 0, "{photos}");
    assert_eq!(photos["parentReference"]["id"], USER_DOCUMENTS_ID);
    // A folder inside it, by the parent's id this time.
    let id = photos["id"].as_str().unwrap();
    let nested = emu
        .post_json(
            &format!("/me/drive/items/{id}/children"),
            &folder("2024", None),
        )
        .await;
    assert_eq!(nested.status, 201, "{}", nested.text());
    let data = test_data(1000, 3);
    let session = emu
        .create_drive_session("/me/drive/root:/Documents/photos/2024/a.jpg:", None)
        .await;
    let item = assert_item(
        &upload(&emu, &session.upload_url, &data).await,
        201,
        "a.jpg",
        data.len(),
        nested.value()["id"].as_str().unwrap(),
    );
    assert_eq!(
        item["parentReference"]["path"],
        "/drive/root:/Documents/photos/2024"
    );
    assert_eq!(
        emu.drive_content("/me/drive/root:/Documents/photos/2024/a.jpg:")
            .await,
        data
    );

    let path = "/me/drive/root:/Documents:/children";
    for conflict in [None, Some("fail")] {
        let taken = emu.post_json(path, &folder("PHOTOS", conflict)).await;
        assert_graph_error(&taken, 409, "nameAlreadyExists", None);
    }
    let kept = emu
        .post_json(path, &folder("photos", Some("replace")))
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text());
    assert_eq!(
        kept.value()["id"],
        photos["id"],
        "the same folder, content kept"
    );
    assert_eq!(kept.value()["folder"]["childCount"], 1);
    let renamed = emu.post_json(path, &folder("photos", Some("rename"))).await;
    assert_eq!(renamed.status, 201, "{}", renamed.text());
    assert_eq!(renamed.value()["name"], "photos 1");
}

#[tokio::test]
async fn bad_folder_requests_are_refused_and_create_nothing() {
    let emu = Emulator::start().await;
    let path = "/me/drive/root:/Documents:/children";
    let before = emu.drive_children("/me/drive/root:/Documents:").await.len();
    for body in [
        json!({"name": "no facet"}),
        json!({"name": "a:b", "folder": {}}),
        json!({"name": "", "folder": {}}),
        json!({"name": "x", "folder": {}, "size": 3}),
        json!({"folder": {}}),
    ] {
        let reply = emu.post_json(path, &body).await;
        assert_graph_error(&reply, 400, "invalidRequest", None);
    }
    let missing = emu
        .post_json("/me/drive/root:/Nowhere:/children", &folder("x", None))
        .await;
    assert_graph_error(&missing, 404, "itemNotFound", None);
    assert_eq!(
        emu.drive_children("/me/drive/root:/Documents:").await.len(),
        before
    );
}
