//! Outlook attachment sessions that succeed: messages and events, `/me` and `/users/{id}`,
//! mixed-case replies, `Location`, listing and `$value`, fixed expiry, cancel, restarts,
//! `/_emulator/sessions` and the statistics.

use crate::{MIN, assert_outlook_done, assert_outlook_progress};
use graph_upload_models::error_codes;
use graph_upload_server::fixtures::{EVENT_ID, MESSAGE_ID, USER_ID};
use graph_upload_testkit::emulator::{
    Emulator, TOKEN, assert_graph_error, base64, event_path, message_path, test_data,
};
use std::time::Duration;

#[tokio::test]
async fn message_session_uploads_in_order_then_location_listing_and_value() {
    let emu = Emulator::start().await;
    let item = message_path();
    let data = test_data(MIN + 500_000, 11);
    let total = data.len() as u64;
    let created = emu
        .create_outlook_session_raw(
            &item,
            &serde_json::json!({"AttachmentItem": {"attachmentType": "file",
                "name": "report.pdf", "size": total, "contentType": "application/pdf",
                "isInline": false}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(
        created.keys(),
        [
            "@odata.context",
            "expirationDateTime",
            "nextExpectedRanges",
            "uploadUrl"
        ]
    );
    let session = created.upload_session();
    assert_eq!(session.next_expected_ranges, ["0-"]);
    let url = session.upload_url.as_str().to_string();
    assert!(
        url.starts_with(&emu.base)
            && url.contains(&format!(
                "/Users/{USER_ID}/Messages/{MESSAGE_ID}/AttachmentSessions/"
            ))
            && url.contains("?authtoken="),
        "{url}"
    );
    // Listed by the emulator's own route as an `outlook` session.
    let open = emu.open_sessions().await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["kind"], "outlook");
    assert_eq!(
        open[0]["ownerPath"],
        format!("/users/{USER_ID}/messages/{MESSAGE_ID}")
    );

    let first = emu.put_fragment(&url, 0, &data[..2_000_000], total).await;
    assert_outlook_progress(&first, 2_000_000);
    // The expiry is the one given at creation: fragments do not extend it.
    assert_eq!(
        first.value()["ExpirationDateTime"],
        serde_json::to_value(session.expiration_date_time).unwrap()
    );
    // GET {uploadUrl}: the same mixed-case status.
    let status = emu.send(emu.client.get(&url)).await;
    assert_outlook_progress(&status, 2_000_000);
    let last = emu
        .put_fragment(&url, 2_000_000, &data[2_000_000..], total)
        .await;
    let id = assert_outlook_done(&last, &item);

    // The Location answers the attachment, with its bytes in base64.
    let location = last.header("location").unwrap().to_string();
    assert!(location.starts_with(&emu.base), "{location}");
    let attachment = emu.send(emu.client.get(&location).bearer_auth(TOKEN)).await;
    assert_eq!(attachment.status, 200, "{}", attachment.text());
    let attachment = attachment.value();
    assert_eq!(attachment["@odata.type"], "#microsoft.graph.fileAttachment");
    assert_eq!(attachment["id"], id.as_str());
    assert_eq!(attachment["name"], "report.pdf");
    assert_eq!(attachment["size"], total);
    assert_eq!(attachment["contentType"], "application/pdf");
    assert_eq!(attachment["isInline"], false);
    assert_eq!(attachment["contentBytes"], base64(&data));
    // Listed without the bytes; `$value` is the file byte for byte.
    let listed = emu.outlook_attachments(&item).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert!(listed[0].get("contentBytes").is_none(), "{}", listed[0]);
    assert_eq!(emu.outlook_value(&item, &id).await, data);
    assert_eq!(emu.get_json(&item).await["hasAttachments"], true);
    // The event has none; the session is gone.
    assert!(emu.outlook_attachments(&event_path()).await.is_empty());
    assert!(emu.open_sessions().await.is_empty());
    assert_graph_error(
        &emu.send(emu.client.get(&url)).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    // The statistics counted each call by kind.
    let requests = &emu.stats().await["requests"];
    assert_eq!(requests["create"]["201"], 1, "{requests}");
    assert_eq!(requests["put"]["200"], 1, "{requests}");
    assert_eq!(requests["put"]["201"], 1, "{requests}");
    assert_eq!(requests["status"]["200"], 1, "{requests}");
    emu.stop().await;
}

#[tokio::test]
async fn event_session_under_users_and_beta_keeps_its_prefix() {
    let emu = Emulator::start().await;
    let item = format!("/users/{USER_ID}/events/{EVENT_ID}");
    let data = test_data(MIN, 12);
    let total = data.len() as u64;
    let path = format!("/beta{item}/attachments/createUploadSession");
    let created = emu
        .send(
            emu.bare(reqwest::Method::POST, &path)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(
                    serde_json::json!({"AttachmentItem": {"attachmentType": "file",
                        "name": "agenda.docx", "size": total, "isInline": true,
                        "contentId": "agenda"}})
                    .to_string(),
                ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert!(
        created.value()["@odata.context"]
            .as_str()
            .unwrap()
            .contains("/beta/"),
        "{}",
        created.text()
    );
    let url = created.upload_session().upload_url.as_str().to_string();
    assert!(url.contains(&format!("/Events/{EVENT_ID}/")), "{url}");
    let last = emu.upload_all(&url, &data, 1_048_576).await;
    let id = assert_outlook_done(&last, &item);
    let location = last.header("location").unwrap();
    assert!(
        location.starts_with(&format!("{}/beta{item}/attachments/", emu.base)),
        "{location}"
    );
    let listed = emu.outlook_attachments(&event_path()).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["isInline"], true);
    assert_eq!(listed[0]["contentId"], "agenda");
    assert_eq!(emu.outlook_value(&item, &id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn message_session_under_users_path_and_event_under_me() {
    let emu = Emulator::start().await;
    for item in [
        format!("/users/{USER_ID}/messages/{MESSAGE_ID}"),
        event_path(),
    ] {
        let data = test_data(MIN + 1, 13);
        let session = emu
            .create_outlook_session(&item, "x.bin", data.len() as u64)
            .await;
        let last = emu
            .upload_all(session.upload_url.as_str(), &data, 4_000_000)
            .await;
        let id = assert_outlook_done(&last, &item);
        assert_eq!(emu.outlook_value(&item, &id).await, data);
    }
    assert_eq!(emu.outlook_attachments(&message_path()).await.len(), 1);
    assert_eq!(emu.outlook_attachments(&event_path()).await.len(), 1);
    emu.stop().await;
}

#[tokio::test]
async fn delete_ends_the_session_and_its_bytes() {
    let emu = Emulator::start().await;
    let data = test_data(MIN, 14);
    let total = data.len() as u64;
    let session = emu
        .create_outlook_session(&message_path(), "c.bin", total)
        .await;
    let url = session.upload_url.as_str().to_string();
    assert_outlook_progress(
        &emu.put_fragment(&url, 0, &data[..1_000_000], total).await,
        1_000_000,
    );
    assert_eq!(emu.blob_count(), 1);
    let deleted = emu.send(emu.client.delete(&url)).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(emu.blob_count(), 0);
    assert_graph_error(
        &emu.put_fragment(&url, 1_000_000, &data[1_000_000..], total)
            .await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(
        &emu.send(emu.client.delete(&url)).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert!(emu.outlook_attachments(&message_path()).await.is_empty());
    let requests = &emu.stats().await["requests"];
    assert_eq!(requests["delete"]["204"], 1, "{requests}");
    emu.stop().await;
}

#[tokio::test]
async fn a_restart_mid_upload_keeps_the_session_and_its_bytes() {
    let mut emu = Emulator::start().await;
    let data = test_data(MIN + 123, 15);
    let total = data.len() as u64;
    let session = emu
        .create_outlook_session(&event_path(), "r.bin", total)
        .await;
    let url = session.upload_url.as_str().to_string();
    emu.put_fragment(&url, 0, &data[..1_500_000], total).await;
    emu.restart().await;
    let url = graph_upload_testkit::urls::rebase(&url, &emu.base);
    assert_eq!(emu.missing(&url).await, ["1500000"]);
    let last = emu.upload_from(&url, &data, 1_500_000, 4_000_000).await;
    let id = assert_outlook_done(&last, &event_path());
    emu.restart().await;
    // The attachment's bytes survive a restart (not swept as orphans).
    assert_eq!(emu.outlook_value(&event_path(), &id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn expiry_is_fixed_at_creation_and_an_expired_session_is_gone() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(600);
    })
    .await;
    let data = test_data(MIN, 16);
    let total = data.len() as u64;
    let session = emu
        .create_outlook_session(&message_path(), "e.bin", total)
        .await;
    let url = session.upload_url.as_str().to_string();
    clock.advance(Duration::from_secs(400));
    let first = emu.put_fragment(&url, 0, &data[..1_000_000], total).await;
    assert_outlook_progress(&first, 1_000_000);
    assert_eq!(
        first.value()["ExpirationDateTime"],
        serde_json::to_value(session.expiration_date_time).unwrap(),
        "a fragment moved the expiry"
    );
    // 400 + 300 s: past the creation's 600 s, although a fragment came 300 s ago.
    clock.advance(Duration::from_secs(300));
    assert_graph_error(
        &emu.put_fragment(&url, 1_000_000, &data[1_000_000..], total)
            .await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert!(emu.open_sessions().await.is_empty());
    emu.stop().await;
}
