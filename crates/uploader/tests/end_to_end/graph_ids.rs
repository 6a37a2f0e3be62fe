//! Ids in Graph's own shapes through every flow: To Do and Outlook ids are base64url with `=`,
//! `-` and `_` (todotask, taskfileattachment-get examples: `AAMkAGUzY5QKjAAABEgAQAMkpJI_X-LBFgvrv1PlZYd8=`),
//! print job ids are numeric strings (printjob examples), and drive names hold anything. The
//! uploader percent-encodes every path segment it builds (`=` is sent as `%3D`), and the
//! emulator decodes them back.

use graph_upload::{DriveLocation, DriveOwner, OutlookItem};
use graph_upload_server::fixtures::{
    LIST_ID, MESSAGE_ID, SHARE_ID, TASK_ID, USER_DRIVE_ID, USER_ID,
};
use graph_upload_testkit::e2e_harness::{Emulator, MakeTransport, download};
use graph_upload_testkit::e2e_transport::Recorder;
use graph_upload_testkit::emulator::message_path;
use std::sync::Arc;

/// The part of a URL between the authority and the query.
fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("", |at| &rest[at..]);
    path.split('?').next().unwrap_or(path)
}

pub(crate) async fn graph_shaped_ids_go_through_every_flow_encoded(make: MakeTransport) {
    let graph = Emulator::start().await;
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let uploader = graph.uploader(recorder.clone());
    assert!(LIST_ID.contains('=') && LIST_ID.contains('-') && LIST_ID.contains('_'));

    // To Do, for /me and /users/{id}, the one-POST path and the session path.
    let small = graph.file("small.txt", 20_000, 1);
    let large = graph.file("large.bin", 3_200_000, 2);
    for (file, user) in [(&small, None), (&large, None), (&small, Some(USER_ID))] {
        let upload = match user {
            Some(user) => uploader.todo_attachment_for_user(user, LIST_ID, TASK_ID),
            None => uploader.todo_attachment(LIST_ID, TASK_ID),
        };
        let attachment = upload
            .upload(&file.source())
            .await
            .unwrap_or_else(|error| panic!("To Do {}: {error}", file.len))
            .item;
        assert!(
            attachment.id.starts_with("AAMkAD") && attachment.id.ends_with('='),
            "a Graph-shaped attachment id: {}",
            attachment.id
        );
        let bytes = download(&transport, &format!("{}/$value", attachment.location)).await;
        file.assert_same(&bytes, "To Do $value");
    }

    // Outlook: the message id ends with `=`; the new attachment's id is Graph-shaped too.
    let attachment = uploader
        .outlook_attachment(OutlookItem::Message(MESSAGE_ID.into()))
        .upload(&large.source())
        .await
        .expect("the Outlook upload")
        .item;
    assert!(attachment.id.ends_with('='), "{}", attachment.id);
    let bytes = graph.outlook_value(&message_path(), &attachment.id).await;
    large.assert_same(&bytes, "Outlook $value");

    // Print: a numeric job id.
    let printed = uploader
        .print_to_share(SHARE_ID)
        .content_type("application/pdf")
        .upload(&large.source())
        .await
        .expect("the print upload")
        .item;
    assert!(
        printed.job_id.bytes().all(|b| b.is_ascii_digit()),
        "a numeric job id: {}",
        printed.job_id
    );
    let bytes = download(
        &transport,
        &graph.print_value_url(&printed.job_id, &printed.document.id),
    )
    .await;
    large.assert_same(&bytes, "print $value");

    // Drive: a name with `=`, `+`, `#`, `%` and a space.
    let item = uploader
        .drive_item(
            DriveOwner::Drive(USER_DRIVE_ID.into()),
            DriveLocation::path("/Documents/a=b+c #1 100%.bin"),
        )
        .upload(&small.source())
        .await
        .expect("the drive upload")
        .item;
    assert_eq!(item.name, "a=b+c #1 100%.bin");
    let bytes = graph
        .drive_content(&format!("/drives/{USER_DRIVE_ID}/items/{}", item.id))
        .await;
    small.assert_same(&bytes, "drive content");

    // Every Graph call the uploader built had its `=` encoded; none reached the server raw.
    // (Upload URLs are the service's, used as given: Graph's own hold raw `=`.)
    let log = recorder.log();
    let graph_calls: Vec<&str> = log
        .iter()
        .map(|sent| path_of(&sent.url))
        .filter(|path| path.starts_with("/v1.0/") && !path.contains("/attachmentSessions/"))
        .collect();
    assert!(
        graph_calls
            .iter()
            .any(|path| path.contains("/todo/lists/AAMk"))
    );
    for path in &graph_calls {
        assert!(!path.contains('='), "an unencoded `=` in {path}");
        assert!(!path.contains(' ') && !path.contains('+'), "{path}");
    }
    assert!(
        graph_calls.iter().any(
            |path| path.contains(&format!("/users/{USER_ID}/todo/lists/")) && path.contains("%3D")
        ),
        "{graph_calls:#?}"
    );
    graph.stop().await;
}
