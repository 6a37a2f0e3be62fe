//! Bad input on the drive routes: unknown drives, items and folders (`404 itemNotFound`), bad
//! bodies and names, traversal in paths, files used as folders (`400`), wrong methods and
//! credentials; each answered with Graph's error JSON, and nothing stored.

use crate::support::{in_documents, upload};
use graph_upload_models::error_codes::{INVALID_REQUEST, ITEM_NOT_FOUND, NOT_ALLOWED};
use graph_upload_server::fixtures::{USER_DOCUMENTS_ID, USER_DRIVE_ROOT_ID};
use graph_upload_testkit::emulator::{
    Emulator, TOKEN, assert_graph_error, raw_exchange, raw_request,
};
use reqwest::Method;
use serde_json::json;

/// Nothing but the fixture folders and one file, and no session.
async fn assert_nothing_stored(emu: &Emulator) {
    assert!(emu.open_sessions().await.is_empty());
    let children = emu.drive_children("/me/drive/root:/Documents:").await;
    assert_eq!(children.len(), 1, "{children:?}");
    let root = emu.drive_children("/me/drive/root").await;
    assert_eq!(root.len(), 1, "{root:?}");
}

#[tokio::test]
async fn unknown_owners_items_and_folders_are_not_found() {
    let emu = Emulator::start().await;
    let session = emu
        .create_drive_session(&in_documents("file.txt"), None)
        .await;
    assert_eq!(upload(&emu, &session.upload_url, b"data").await.status, 201);
    let missing = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/drives/{missing}/root:/Documents/a.txt:"),
        format!("/users/{missing}/drive/root:/a.txt:"),
        format!("/groups/{missing}/drive/root:/a.txt:"),
        format!("/sites/{missing}/drive/root:/a.txt:"),
        format!("/me/drive/items/{missing}:/a.txt:"),
        "/me/drive/root:/Nowhere/a.txt:".to_owned(),
        "/me/drive/root:/Documents/Sub/a.txt:".to_owned(),
        // An item of another drive, through this one.
        format!(
            "/groups/{}/drive/items/{USER_DOCUMENTS_ID}:/a.txt:",
            graph_upload_server::fixtures::GROUP_ID
        ),
    ] {
        let reply = emu.create_drive_session_raw(&path, None).await;
        assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    }
    for path in [
        format!("/drives/{missing}"),
        format!("/me/drive/items/{missing}"),
        format!("/me/drive/items/{missing}/children"),
        format!("/me/drive/items/{missing}/content"),
        "/me/drive/root:/Documents/none.txt:".to_owned(),
        "/me/drive/root:/Documents/none.txt:/content".to_owned(),
        "/me/drive/recent".to_owned(),
        "/me/drive/root/permissions".to_owned(),
    ] {
        assert_graph_error(&emu.get(&path).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_nothing_stored(&emu).await;
    emu.stop().await;
}

#[tokio::test]
async fn bad_bodies_names_and_paths_are_refused() {
    let emu = Emulator::start().await;
    let session = emu
        .create_drive_session(&in_documents("file.txt"), None)
        .await;
    assert_eq!(upload(&emu, &session.upload_url, b"data").await.status, 201);
    let target = in_documents("new.txt");
    for body in [
        json!({"item": {"@microsoft.graph.conflictBehavior": "Replace"}}),
        json!({"item": {"@microsoft.graph.conflictBehavior": "overwrite"}}),
        json!({"item": {"name": "other.txt"}}),
        json!({"item": {"fileSize": -1}}),
        json!({"item": {"fileSize": "ten"}}),
        json!({"item": "new.txt"}),
        json!({"deferCommit": "yes"}),
        json!([1, 2]),
    ] {
        let reply = emu.create_drive_session_raw(&target, Some(&body)).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    }
    let not_json = emu
        .send(
            emu.api(Method::POST, &format!("{target}/createUploadSession"))
                .header("content-type", "application/json")
                .body("{\"item\": "),
        )
        .await;
    assert_graph_error(&not_json, 400, INVALID_REQUEST, None);
    let not_a_json_type = emu
        .send(
            emu.api(Method::POST, &format!("{target}/createUploadSession"))
                .header("content-type", "text/plain")
                .body("{}"),
        )
        .await;
    // Graph answers a body it cannot read as JSON with 415 RequestBodyRead.
    assert_graph_error(&not_a_json_type, 415, "RequestBodyRead", None);
    for path in [
        // No file name.
        "/me/drive/root".to_owned(),
        format!("/me/drive/items/{USER_DOCUMENTS_ID}"),
        // Names a drive refuses.
        in_documents("a|b.txt"),
        in_documents("what%3F.txt"),
        in_documents(" lead.txt"),
        in_documents(&"x".repeat(256)),
        "/me/drive/root:Documents/a.txt:".to_owned(),
        "/me/drive/root:/Documents//a.txt:".to_owned(),
        // A file as the folder.
        "/me/drive/root:/Documents/file.txt/a.txt:".to_owned(),
    ] {
        let reply = emu.create_drive_session_raw(&path, None).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    }
    let below_file = format!("/me/drive/items/{}:/x.txt:", file_id(&emu).await);
    let reply = emu.create_drive_session_raw(&below_file, None).await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    // Traversal, sent raw (HTTP clients remove dot segments themselves).
    for target in [
        "/v1.0/me/drive/root:/../x.txt:/createUploadSession",
        "/v1.0/me/drive/root:/Documents/../../x.txt:/createUploadSession",
        "/v1.0/me/drive/root:/Documents/./x.txt:/createUploadSession",
        "/v1.0/me/drive/root:/%2E%2E/x.txt:/createUploadSession",
        "/v1.0/me/drive/root:/../x.txt:",
    ] {
        let method = if target.ends_with("Session") {
            "POST"
        } else {
            "GET"
        };
        let request = raw_request(
            emu.address(),
            method,
            target,
            &[
                ("Authorization", format!("Bearer {TOKEN}")),
                ("Content-Length", "0".to_owned()),
            ],
            b"",
        );
        let reply = raw_exchange(emu.address(), &request, false).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    }
    assert_nothing_stored(&emu).await;
    emu.stop().await;
}

/// The id of `Documents/file.txt`.
async fn file_id(emu: &Emulator) -> String {
    emu.get_json(&in_documents("file.txt")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn wrong_methods_credentials_and_reads() {
    let emu = Emulator::start().await;
    let session = emu
        .create_drive_session(&in_documents("file.txt"), None)
        .await;
    assert_eq!(upload(&emu, &session.upload_url, b"data").await.status, 201);
    // No bearer token on the API.
    let reply = emu
        .send(
            emu.bare(
                Method::POST,
                "/v1.0/me/drive/root:/Documents/x.txt:/createUploadSession",
            )
            .header("content-length", "0"),
        )
        .await;
    assert_eq!(reply.status, 401, "{}", reply.text());
    assert_eq!(
        emu.get_json("/me/drive/root:/Documents:").await["folder"]["childCount"],
        1
    );
    // Methods the routes do not have.
    for (method, path) in [
        (Method::PUT, in_documents("x.txt")),
        (Method::DELETE, "/me/drive/root".to_owned()),
        (
            Method::GET,
            format!("{}/createUploadSession", in_documents("x.txt")),
        ),
        // POST .../children makes a folder (folders.rs); PATCH is not a route.
        (Method::PATCH, "/me/drive/root/children".to_owned()),
    ] {
        let reply = emu
            .send(emu.api(method.clone(), &path).header("content-length", "0"))
            .await;
        assert_graph_error(&reply, 405, NOT_ALLOWED, None);
    }
    // Children of a file, content of a folder.
    assert_graph_error(
        &emu.get(&format!("{}/children", in_documents("file.txt")))
            .await,
        400,
        INVALID_REQUEST,
        None,
    );
    assert_graph_error(
        &emu.get(&format!("/me/drive/items/{USER_DRIVE_ROOT_ID}/content"))
            .await,
        400,
        INVALID_REQUEST,
        None,
    );
    // A print upload URL takes no commit.
    let (_, print) = emu.new_print_upload(10).await;
    let reply = emu.commit_drive_session(&print.upload_url).await;
    assert_graph_error(&reply, 405, NOT_ALLOWED, None);
    assert_eq!(emu.delete_session(&print.upload_url).await.status, 204);
    assert_nothing_stored(&emu).await;
    emu.stop().await;
}
