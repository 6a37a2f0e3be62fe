//! OneDrive/SharePoint files, Outlook attachments and small files, end to end: the uploader
//! against the real emulator, checked through the service's own reads (`content`, `$value`).

use graph_upload::models::ConflictBehavior;
use graph_upload::{DriveLocation, DriveOwner, EndpointProfile, OutlookItem, UploadError};
use graph_upload_server::fixtures::{
    EVENT_ID, GROUP_DRIVE_ID, GROUP_ID, LIST_ID, MESSAGE_ID, SITE_DOCUMENTS_ID, SITE_DRIVE_ID,
    SITE_ID, TASK_ID, USER_DOCUMENTS_ID, USER_DRIVE_ID, USER_ID,
};
use graph_upload_testkit::e2e_harness::{Emulator, MakeTransport, download};
use graph_upload_testkit::e2e_transport::Recorder;
use graph_upload_testkit::emulator::{event_path, message_path};
use std::sync::Arc;

const QUANTUM: u64 = 320 * 1024;

/// Every owner form and both address forms; the bytes come back through the drive's
/// `content`, and the pre-authenticated upload URL never gets the token.
pub(crate) async fn drive_files_arrive_through_every_owner_and_address_form(make: MakeTransport) {
    let graph = Emulator::start().await;
    let cases = [
        (
            DriveOwner::Me,
            DriveLocation::path("/Documents/me.bin"),
            USER_DRIVE_ID,
        ),
        (
            DriveOwner::User(USER_ID.into()),
            DriveLocation::child(USER_DOCUMENTS_ID, "user.bin"),
            USER_DRIVE_ID,
        ),
        (
            DriveOwner::Drive(USER_DRIVE_ID.into()),
            DriveLocation::path("/by drive id.bin"),
            USER_DRIVE_ID,
        ),
        (
            DriveOwner::Group(GROUP_ID.into()),
            DriveLocation::path("/Documents/group.bin"),
            GROUP_DRIVE_ID,
        ),
        (
            DriveOwner::Site(SITE_ID.into()),
            DriveLocation::child(SITE_DOCUMENTS_ID, "site.bin"),
            SITE_DRIVE_ID,
        ),
    ];
    for (n, (owner, location, drive)) in cases.into_iter().enumerate() {
        let file = graph.file(&format!("drive-{n}.bin"), 3 * QUANTUM + 7, 40 + n as u64);
        let transport = make();
        let recorder = Recorder::new(Arc::clone(&transport));
        let uploaded = graph
            .uploader(recorder.clone())
            .drive_item(owner.clone(), location.clone())
            .profile(EndpointProfile::drive().with_max_fragment(QUANTUM))
            .upload(&file.source())
            .await
            .unwrap_or_else(|error| panic!("{owner:?} {location:?}: {error}"));
        assert_eq!(uploaded.bytes_sent, file.len, "{owner:?}");
        let item = uploaded.item;
        assert_eq!(item.size, file.len, "{item:?}");
        let bytes = graph
            .drive_content(&format!("/drives/{drive}/items/{}", item.id))
            .await;
        file.assert_same(&bytes, "drive content");
        let puts: Vec<_> = recorder
            .log()
            .into_iter()
            .filter(|sent| sent.url.contains("/uploadSessions/"))
            .collect();
        assert_eq!(puts.len(), 4, "four fragments, in order");
        assert!(
            puts.iter().all(|sent| !sent.authorized),
            "no token on the upload URL"
        );
    }
    graph.stop().await;
}

/// `fail` refuses a name that exists (and removes the session), `replace` keeps the item and
/// changes its bytes, `rename` keeps both; `deferCommit` commits with the empty POST.
pub(crate) async fn drive_conflict_behaviours_and_deferred_commit(make: MakeTransport) {
    let graph = Emulator::start().await;
    let uploader = graph.uploader(make());
    let first = graph.file("first.txt", 1000, 1);
    let second = graph.file("second.txt", 2000, 2);
    let path = || DriveLocation::path("/Documents/notes.txt");
    let original = uploader
        .drive_item(DriveOwner::Me, path())
        .upload(&first.source())
        .await
        .expect("the first upload")
        .item;

    let refused = uploader
        .drive_item(DriveOwner::Me, path())
        .conflict(ConflictBehavior::Fail)
        .upload(&second.source())
        .await
        .expect_err("the name exists");
    let refusal = refused
        .service_error()
        .unwrap_or_else(|| panic!("{refused:?}"));
    assert_eq!(
        (refusal.status(), refusal.code()),
        (409, Some("nameAlreadyExists"))
    );
    assert!(
        graph.open_sessions().await.is_empty(),
        "the refused session was removed"
    );

    let replaced = uploader
        .drive_item(DriveOwner::Me, path())
        .conflict(ConflictBehavior::Replace)
        .upload(&second.source())
        .await
        .expect("replace")
        .item;
    assert_eq!(replaced.id, original.id, "the same item");
    assert_eq!(replaced.size, second.len);
    let item = format!("/drives/{USER_DRIVE_ID}/items/{}", original.id);
    second.assert_same(&graph.drive_content(&item).await, "replaced content");

    let renamed = uploader
        .drive_item(DriveOwner::Me, path())
        .conflict(ConflictBehavior::Rename)
        .defer_commit(true)
        .upload(&first.source())
        .await
        .expect("rename, committed by the client")
        .item;
    assert_eq!(renamed.name, "notes 1.txt");
    assert_ne!(renamed.id, original.id);
    let renamed_item = format!("/drives/{USER_DRIVE_ID}/items/{}", renamed.id);
    first.assert_same(&graph.drive_content(&renamed_item).await, "renamed content");
    graph.stop().await;
}

/// A message and an event, for `/me` and another user: a file over 3 MB goes through a
/// session, one under 3 MB as one POST; both come back through `$value`.
pub(crate) async fn outlook_attachments_take_the_session_or_the_small_path(make: MakeTransport) {
    let graph = Emulator::start().await;
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let uploader = graph.uploader(recorder.clone());
    let large = graph.file("large.pdf", 3_100_000, 5);
    let small = graph.file("small.txt", 10_000, 6);
    let cases = [
        (
            OutlookItem::Message(MESSAGE_ID.into()),
            None,
            message_path(),
        ),
        (
            OutlookItem::Event(EVENT_ID.into()),
            Some(USER_ID),
            format!("/users/{USER_ID}/events/{EVENT_ID}"),
        ),
    ];
    for (item, user, path) in cases {
        for file in [&large, &small] {
            let mut upload = uploader
                .outlook_attachment(item.clone())
                .content_type("application/octet-stream");
            if let Some(user) = user {
                upload = upload.user(user);
            }
            let attachment = upload
                .upload(&file.source())
                .await
                .unwrap_or_else(|error| panic!("{item:?} {}: {error}", file.len))
                .item;
            let bytes = graph.outlook_value(&path, &attachment.id).await;
            file.assert_same(&bytes, "Outlook $value");
        }
    }
    let sessions = recorder
        .log()
        .into_iter()
        .filter(|sent| sent.url.contains("createUploadSession"))
        .count();
    assert_eq!(sessions, 2, "only the large files used a session");
    assert_eq!(graph.outlook_attachments(&event_path()).await.len(), 2);
    graph.stop().await;
}

/// A To Do file under 3 MB is one POST; `force_session` still takes a session; a file too
/// large for an Outlook attachment is refused before anything is sent.
pub(crate) async fn small_todo_files_are_one_post_and_limits_come_first(make: MakeTransport) {
    let graph = Emulator::start().await;
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let uploader = graph.uploader(recorder.clone());
    let small = graph.file("small.csv", 50_000, 7);
    for force in [false, true] {
        let attachment = uploader
            .todo_attachment(LIST_ID, TASK_ID)
            .force_session(force)
            .upload(&small.source())
            .await
            .expect("the To Do upload")
            .item;
        let bytes = download(&transport, &format!("{}/$value", attachment.location)).await;
        small.assert_same(&bytes, "To Do $value");
    }
    let sessions = recorder
        .log()
        .into_iter()
        .filter(|sent| sent.url.contains("createUploadSession"))
        .count();
    assert_eq!(sessions, 1, "only force_session made a session");

    let huge = tempfile::NamedTempFile::new().expect("temp file");
    huge.as_file().set_len(150_000_001).expect("a sparse file");
    let huge = graph_upload::UploadSource::from_path(huge.path()).expect("open it");
    let before = recorder.log().len();
    let error = uploader
        .outlook_attachment(OutlookItem::Message(MESSAGE_ID.into()))
        .upload(&huge)
        .await
        .expect_err("over Outlook's 150 MB");
    assert!(matches!(error, UploadError::Invalid(_)), "{error:?}");
    assert_eq!(recorder.log().len(), before, "nothing was sent");
    graph.stop().await;
}
