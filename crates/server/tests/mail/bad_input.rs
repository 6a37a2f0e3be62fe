//! Bad input on the Outlook routes: unknown users, messages and events (`404`), bodies that
//! are not Graph's (`400`), session URLs of another item or kind (`404`). Nothing is stored.

use graph_upload_models::error_codes;
use graph_upload_server::fixtures::{EVENT_ID, MESSAGE_ID, USER_ID};
use graph_upload_testkit::emulator::{
    Emulator, assert_graph_error, base64, event_path, message_path,
};
use serde_json::json;

#[tokio::test]
async fn unknown_users_messages_and_events_are_404() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    let session =
        json!({"AttachmentItem": {"attachmentType": "file", "name": "a", "size": 3_000_000}});
    let small = json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "a",
        "contentBytes": base64(b"abc")});
    for item in [
        "/me/messages/AAMkADnope=".to_string(),
        "/me/events/AAMkADnope=".to_string(),
        format!("/me/messages/{EVENT_ID}"),
        format!("/me/events/{MESSAGE_ID}"),
        format!("/users/someone-else/messages/{MESSAGE_ID}"),
        format!("/users/someone-else/events/{EVENT_ID}"),
    ] {
        for (path, body) in [
            (format!("{item}/attachments/createUploadSession"), &session),
            (format!("{item}/attachments"), &small),
        ] {
            let reply = emu.post_json(&path, body).await;
            assert_graph_error(&reply, 404, error_codes::ITEM_NOT_FOUND, None);
        }
        for path in [
            item.clone(),
            format!("{item}/attachments"),
            format!("{item}/attachments/x"),
            format!("{item}/attachments/x/$value"),
        ] {
            assert_graph_error(
                &emu.get(&path).await,
                404,
                error_codes::ITEM_NOT_FOUND,
                None,
            );
        }
    }
    assert_eq!(emu.snapshot().await, before);
    // An attachment id of another item.
    let created = emu
        .post_json(&format!("{}/attachments", message_path()), &small)
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.value()["id"].as_str().unwrap().to_string();
    assert_graph_error(
        &emu.get(&format!("{}/attachments/{id}", event_path())).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert_eq!(emu.outlook_attachments(&message_path()).await.len(), 1);
    emu.stop().await;
}

#[tokio::test]
async fn bad_session_bodies_are_400_and_store_nothing() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    let file = |extra: serde_json::Value| {
        let mut item = json!({"attachmentType": "file", "name": "a.bin", "size": 3_500_000});
        for (key, value) in extra.as_object().unwrap() {
            item[key] = value.clone();
        }
        json!({ "AttachmentItem": item })
    };
    for body in [
        // Wrong casing of the wrapper (Graph's key is PascalCase), or none at all.
        json!({"attachmentItem": {"attachmentType": "file", "name": "a", "size": 3_500_000}}),
        json!({"attachmentInfo": {"attachmentType": "file", "name": "a", "size": 3_500_000}}),
        json!({}),
        json!([]),
        json!({"AttachmentItem": {"attachmentType": "file", "name": "a"}}),
        json!({"AttachmentItem": {"attachmentType": "file", "size": 3_500_000}}),
        file(json!({"size": -1})),
        file(json!({"size": "big"})),
        file(json!({"attachmentType": "item"})),
        file(json!({"attachmentType": "reference"})),
        file(json!({"name": ""})),
        file(json!({"name": "   "})),
        file(json!({"isInline": "yes"})),
    ] {
        let reply = emu.create_outlook_session_raw(&message_path(), &body).await;
        assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
    }
    for raw in [&b"{"[..], b"not json", b""] {
        let reply = emu
            .send(
                emu.api(
                    reqwest::Method::POST,
                    &format!("{}/attachments/createUploadSession", event_path()),
                )
                .header("content-type", "application/json")
                .body(raw.to_vec()),
            )
            .await;
        assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
    }
    assert_eq!(emu.snapshot().await, before);
    assert!(emu.open_sessions().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn bad_one_shot_bodies_are_400_and_store_nothing() {
    let emu = Emulator::start().await;
    let before = emu.snapshot().await;
    let path = format!("{}/attachments", message_path());
    for body in [
        json!({"name": "a", "contentBytes": base64(b"x")}),
        json!({"@odata.type": "#microsoft.graph.itemAttachment", "name": "a",
            "contentBytes": base64(b"x")}),
        json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": "a",
            "contentBytes": base64(b"x")}),
        json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "a"}),
        json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "",
            "contentBytes": base64(b"x")}),
        json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "a",
            "contentBytes": "%%% not base64"}),
    ] {
        let reply = emu.post_json(&path, &body).await;
        assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
    }
    assert_eq!(emu.snapshot().await, before);
    emu.stop().await;
}

#[tokio::test]
async fn session_urls_of_another_item_or_kind_are_404() {
    let emu = Emulator::start().await;
    let session = emu
        .create_outlook_session(&message_path(), "a.bin", 3_000_000)
        .await;
    let url = session.upload_url.as_str().to_string();
    let (path, query) = url.split_once('?').unwrap();
    let session_id = graph_upload_testkit::emulator::last_segment(path);
    for other in [
        path.replace("/Messages/", "/Events/"),
        path.replace(MESSAGE_ID, "AAMkADnope="),
        path.replace(USER_ID, "someone-else"),
        // The print upload URL, even with a valid signature for this session.
        format!("{}/uploadSessions/{session_id}", emu.base),
    ] {
        let token = if other.contains("/uploadSessions/") {
            query.replace("authtoken", "tempauthtoken")
        } else {
            query.to_string()
        };
        let reply = emu.send(emu.client.get(format!("{other}?{token}"))).await;
        assert_graph_error(&reply, 404, error_codes::ITEM_NOT_FOUND, None);
    }
    // The session itself is untouched.
    assert_eq!(emu.missing(&url).await, ["0"]);
    emu.stop().await;
}
