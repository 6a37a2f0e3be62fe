//! Every owner form and every address form, under `/v1.0`, `/beta` and no prefix: the upload
//! commits into the right folder, and the file is found by id and by path, listed among the
//! children, and its content is the bytes sent.

use crate::support::{assert_item, upload};
use graph_upload_server::fixtures::{
    GROUP_DOCUMENTS_ID, GROUP_DRIVE_ID, GROUP_DRIVE_ROOT_ID, GROUP_ID, SITE_DOCUMENTS_ID,
    SITE_DRIVE_ID, SITE_DRIVE_ROOT_ID, SITE_ID, USER_DOCUMENTS_ID, USER_DRIVE_ID,
    USER_DRIVE_ROOT_ID, USER_ID,
};
use graph_upload_testkit::emulator::{Emulator, QUANTUM, TOKEN, test_data};
use reqwest::Method;

/// Each drive: its owner paths, its id, root and Documents folder.
fn drives() -> Vec<(Vec<String>, &'static str, &'static str, &'static str)> {
    vec![
        (
            vec![
                "/me/drive".into(),
                format!("/users/{USER_ID}/drive"),
                format!("/drives/{USER_DRIVE_ID}"),
            ],
            USER_DRIVE_ID,
            USER_DRIVE_ROOT_ID,
            USER_DOCUMENTS_ID,
        ),
        (
            vec![
                format!("/groups/{GROUP_ID}/drive"),
                format!("/drives/{GROUP_DRIVE_ID}"),
            ],
            GROUP_DRIVE_ID,
            GROUP_DRIVE_ROOT_ID,
            GROUP_DOCUMENTS_ID,
        ),
        (
            vec![
                format!("/sites/{SITE_ID}/drive"),
                format!("/drives/{SITE_DRIVE_ID}"),
            ],
            SITE_DRIVE_ID,
            SITE_DRIVE_ROOT_ID,
            SITE_DOCUMENTS_ID,
        ),
    ]
}

#[tokio::test]
async fn every_owner_and_address_form_uploads_into_its_folder() {
    let emu = Emulator::start().await;
    let data = test_data(2 * QUANTUM + 777, 41);
    let mut n = 0;
    for (owners, drive_id, root_id, documents_id) in drives() {
        let drive = emu.get_json(&owners[0]).await;
        assert_eq!(drive["id"], drive_id);
        assert!(drive["quota"]["remaining"].as_u64().unwrap() > 0, "{drive}");
        for owner in &owners {
            for (item_path, parent) in [
                (
                    format!("{owner}/root:/Documents/by-path {n}.pdf:"),
                    documents_id,
                ),
                (
                    format!("{owner}/items/{documents_id}:/by-id {n}.pdf:"),
                    documents_id,
                ),
                (format!("{owner}/root:/at-root {n}.bin:"), root_id),
                (
                    format!("{owner}/items/{root_id}:/root-id {n}.txt:"),
                    root_id,
                ),
            ] {
                n += 1;
                let session = emu.create_drive_session(&item_path, None).await;
                assert_eq!(session.next_expected_ranges, ["0-"]);
                assert!(session.upload_url.contains("tempauthtoken="));
                let reply = upload(&emu, &session.upload_url, &data).await;
                let name = item_path
                    .trim_end_matches(':')
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_owned();
                let item = assert_item(&reply, 201, &name, data.len(), parent);
                assert_eq!(item["parentReference"]["driveId"], drive_id);
                let id = item["id"].as_str().unwrap();
                // By id and by path, from every owner form of the drive.
                for other in &owners {
                    let by_id = emu.get_json(&format!("{other}/items/{id}")).await;
                    assert_eq!(by_id["name"], name.as_str());
                    let by_path = emu.get_json(&item_path.replacen(owner, other, 1)).await;
                    assert_eq!(by_path["id"], id);
                }
                assert_eq!(
                    emu.drive_content(&format!("{owner}/items/{id}")).await,
                    data
                );
                assert_eq!(emu.drive_content(&item_path).await, data);
                let children = emu.drive_children(&format!("{owner}/items/{parent}")).await;
                let listed: Vec<_> = children.iter().filter(|c| c["id"] == id).collect();
                assert_eq!(listed.len(), 1, "{children:?}");
                assert_eq!(listed[0]["size"], data.len() as u64);
            }
        }
        let root = emu.drive_children(&format!("{}/root", owners[0])).await;
        assert!(
            root.iter()
                .any(|c| c["name"] == "Documents" && c["folder"].is_object())
        );
    }
    // The same file from `/beta` and with no prefix; the drive's quota counts the files.
    for prefix in ["/beta", ""] {
        let reply = emu
            .send(
                emu.bare(
                    Method::GET,
                    &format!("{prefix}/me/drive/root:/Documents/by-path 0.pdf:"),
                )
                .bearer_auth(TOKEN),
            )
            .await;
        assert_eq!(reply.status, 200, "{prefix}: {}", reply.text());
    }
    let drive = emu.get_json("/me/drive").await;
    assert_eq!(drive["quota"]["used"], (12 * data.len()) as u64, "{drive}");
    emu.stop().await;
}

#[tokio::test]
async fn a_beta_session_and_the_fixture_folders() {
    let emu = Emulator::start().await;
    let reply = emu
        .send(
            emu.bare(
                Method::POST,
                "/beta/me/drive/root:/Documents/b.txt:/createUploadSession",
            )
            .bearer_auth(TOKEN)
            .header("content-length", "0"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let session = reply.upload_session();
    let reply = upload(&emu, &session.upload_url, b"hello").await;
    let item = assert_item(&reply, 201, "b.txt", 5, USER_DOCUMENTS_ID);
    assert_eq!(item["file"]["mimeType"], "text/plain");
    assert_eq!(item["parentReference"]["path"], "/drive/root:/Documents");
    let documents = emu.get_json("/me/drive/root:/Documents").await;
    assert_eq!(documents["id"], USER_DOCUMENTS_ID);
    assert_eq!(documents["folder"]["childCount"], 1);
    let root = emu.get_json("/me/drive/root").await;
    assert_eq!(root["id"], USER_DRIVE_ROOT_ID);
    // Paths are matched without case, as OneDrive does.
    let same = emu.get_json("/me/drive/root:/documents/B.TXT:").await;
    assert_eq!(same["id"], item["id"]);
    // The session was listed while open, as kind `drive`; now it is gone.
    assert!(emu.open_sessions().await.is_empty());
    emu.stop().await;
}
