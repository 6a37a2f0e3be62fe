//! The drive flow (OneDrive, SharePoint): every address form, the create body, PUTs in order
//! to the pre-authenticated URL without the token, a create without `nextExpectedRanges`,
//! replies that do not list every missing range, the deferred commit, the fragment limit.

use crate::helpers::{Q, progress_log, uploader};
use graph_upload::models::{ConflictBehavior, DRIVE_MAX_FRAGMENT_SIZE};
use graph_upload::transport::Transport;
use graph_upload::{
    DriveLocation, DriveOwner, EndpointProfile, InvalidInput, LimitError, ProgressEvent,
    UploadError, UploadSource,
};
use graph_upload_testkit::uploader_mocks::{
    Completion, EXPIRY, FakeSession, RangeStyle, SessionSpec, Step, all_requests,
    assert_bodies_match, assert_no_byte_twice, content_ranges, count, cr, pattern, puts, requests,
};
use std::sync::Arc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SESSION: &str = "/drive/upload/1";

fn drive_item(size: u64) -> serde_json::Value {
    serde_json::json!({
        "id": "01ITEM", "name": "report.pdf", "size": size,
        "file": {"mimeType": "application/pdf"},
        "parentReference": {"driveId": "b!drive", "path": "/drive/root:/Documents"},
        "eTag": "\"{1},1\""
    })
}

/// A drive session: `202` with closed camelCase ranges, `201` with the driveItem, `401` to a
/// request that carries `Authorization` (the URL is pre-authenticated).
fn drive_session(size: u64) -> SessionSpec {
    SessionSpec {
        size,
        style: RangeStyle::Closed,
        completion: Completion::PrintDocument(drive_item(size)),
        session_path: SESSION.into(),
        put_path: SESSION.into(),
        bearer: None,
        preloaded: Vec::new(),
    }
}

/// Mounts `POST {address}/createUploadSession`, answering `200` with an uploadSession that has
/// no `nextExpectedRanges` (drive sessions may omit it).
async fn mount_create(server: &MockServer, address: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v1.0{address}/createUploadSession")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "uploadUrl": format!("{}{SESSION}?tempauth=secret", server.uri()),
            "expirationDateTime": EXPIRY,
        })))
        .expect(1)
        .mount(server)
        .await;
}

pub(crate) async fn every_drive_address_form_creates_at_its_url(transport: Arc<dyn Transport>) {
    let cases = [
        (
            DriveOwner::Me,
            DriveLocation::path("/Documents/report.pdf"),
            "/me/drive/root:/Documents/report.pdf:",
        ),
        (
            DriveOwner::User("user 5".into()),
            DriveLocation::path("Documents/Q1 #2.pdf"),
            "/users/user%205/drive/root:/Documents/Q1%20%232.pdf:",
        ),
        (
            DriveOwner::Drive("b!abc".into()),
            DriveLocation::child("01PARENT", "report.pdf"),
            "/drives/b%21abc/items/01PARENT:/report.pdf:",
        ),
        (
            DriveOwner::Group("g-1".into()),
            DriveLocation::path("/report.pdf"),
            "/groups/g-1/drive/root:/report.pdf:",
        ),
        (
            DriveOwner::Site("contoso.sharepoint.com,1,2".into()),
            DriveLocation::child("01P", "été.pdf"),
            "/sites/contoso.sharepoint.com%2C1%2C2/drive/items/01P:/%C3%A9t%C3%A9.pdf:",
        ),
    ];
    for (owner, location, address) in cases {
        let server = MockServer::start().await;
        let data = pattern(1000, 3);
        FakeSession::new(drive_session(1000)).mount(&server).await;
        mount_create(&server, address).await;
        let (uploader, _timer) = uploader(&server, Arc::clone(&transport));

        let item = uploader
            .drive_item(owner, location)
            .upload(&UploadSource::from_bytes(data.clone()))
            .await
            .unwrap_or_else(|error| panic!("{address}: {error}"))
            .item;

        assert_eq!(item.id, "01ITEM");
        let requests = requests(&server).await;
        // The raw request line keeps the encoding the client chose.
        assert_eq!(
            requests[0].url.path(),
            format!("/v1.0{address}/createUploadSession")
        );
        assert_bodies_match(&puts(&requests), &data);
    }
}

pub(crate) async fn drive_flow_sends_conflict_and_size_and_puts_in_order_without_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 3 * Q + 7;
    let data = pattern(size as usize, 4);
    let fake = FakeSession::new(drive_session(size));
    fake.mount(&server).await;
    mount_create(&server, "/me/drive/root:/Documents/report.pdf:").await;
    let (uploader, _timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    let uploaded = uploader
        .drive_item(DriveOwner::Me, DriveLocation::path("/Documents/report.pdf"))
        .conflict(ConflictBehavior::Rename)
        .description("Q1 numbers")
        .fragment_size(Q)
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the drive upload succeeds");

    assert_eq!(uploaded.item.size, size);
    assert_eq!(uploaded.bytes_sent, size);
    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(
        create,
        serde_json::json!({"item": {
            "@microsoft.graph.conflictBehavior": "rename",
            "description": "Q1 numbers",
            "fileSize": size
        }}),
        "no deferCommit unless asked"
    );
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(0..Q, size),
            cr(Q..2 * Q, size),
            cr(2 * Q..3 * Q, size),
            cr(3 * Q..size, size)
        ],
        "absent nextExpectedRanges at creation means everything, in order"
    );
    for put in &puts {
        assert_eq!(put.path, SESSION);
        assert_eq!(put.query.as_deref(), Some("tempauth=secret"));
        assert_eq!(put.authorization, None, "the URL is pre-authenticated");
    }
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    let events = events.lock().unwrap().clone();
    assert!(
        matches!(events.first(), Some(ProgressEvent::SessionReady { acknowledged: 0, total, .. }) if *total == size),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&ProgressEvent::Completed { total: size })
    );
}

pub(crate) async fn a_replacing_drive_upload_takes_the_200_with_the_item(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let data = pattern(500, 5);
    let fake = FakeSession::new(drive_session(500)).on_put(
        1,
        Step::StoreThenReply(ResponseTemplate::new(200).set_body_json(drive_item(500))),
    );
    fake.mount(&server).await;
    mount_create(&server, "/me/drive/items/01P:/report.pdf:").await;
    let (uploader, _timer) = uploader(&server, transport);

    let item = uploader
        .drive_item(DriveOwner::Me, DriveLocation::child("01P", "report.pdf"))
        .conflict(ConflictBehavior::Replace)
        .upload(&UploadSource::from_bytes(data))
        .await
        .expect("replaced")
        .item;

    assert_eq!(item.id, "01ITEM");
    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(
        create["item"]["@microsoft.graph.conflictBehavior"],
        "replace"
    );
}

pub(crate) async fn a_reply_that_lists_part_of_what_is_missing_is_trusted_and_the_rest_read(
    transport: Arc<dyn Transport>,
) {
    // 4 quanta, one per PUT. The first reply names only the second quantum, the second reply
    // names nothing: the client sends what was named, then asks the session, which lists the
    // rest.
    let server = MockServer::start().await;
    let size = 4 * Q;
    let data = pattern(size as usize, 6);
    let partial = |ranges: Vec<String>| {
        Step::StoreThenReply(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "expirationDateTime": EXPIRY, "nextExpectedRanges": ranges
        })))
    };
    let fake = FakeSession::new(drive_session(size))
        .on_put(1, partial(vec![format!("{}-{}", Q, 2 * Q - 1)]))
        .on_put(2, partial(vec![]));
    fake.mount(&server).await;
    mount_create(&server, "/me/drive/root:/big.bin:").await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .drive_item(DriveOwner::Me, DriveLocation::path("big.bin"))
        .fragment_size(Q)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the drive upload succeeds");

    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(0..Q, size),
            cr(Q..2 * Q, size),
            cr(2 * Q..3 * Q, size),
            cr(3 * Q..size, size)
        ]
    );
    assert_eq!(count(&requests, "GET", Some(SESSION)), 1, "one status read");
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    assert!(fake.completed());
}

pub(crate) async fn a_deferred_commit_posts_to_the_upload_url_after_the_last_202(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 8);
    Mock::given(method("POST"))
        .and(path(SESSION))
        .respond_with(ResponseTemplate::new(201).set_body_json(drive_item(size)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    let fake = FakeSession::new(drive_session(size)).on_put(
        2,
        Step::StoreThenReply(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "expirationDateTime": EXPIRY, "nextExpectedRanges": []
        }))),
    );
    fake.mount(&server).await;
    mount_create(&server, "/me/drive/root:/later.bin:").await;
    let (uploader, _timer) = uploader(&server, transport);

    let item = uploader
        .drive_item(DriveOwner::Me, DriveLocation::path("later.bin"))
        .defer_commit(true)
        .fragment_size(Q)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("committed")
        .item;

    assert_eq!(item.size, size);
    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(create["deferCommit"], true);
    let last = requests.last().expect("requests");
    assert_eq!(last.method.as_str(), "POST");
    assert_eq!(last.url.path(), SESSION);
    assert!(last.body.is_empty(), "the commit has an empty body");
    assert!(
        !last.headers.contains_key("authorization"),
        "the commit is pre-authenticated"
    );
    assert_eq!(count(&requests, "PUT", Some(SESSION)), 2);
    assert_bodies_match(&puts(&requests), &data);
}

pub(crate) async fn a_refused_commit_is_the_services_error(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SESSION))
        .respond_with(graph_upload_testkit::uploader_mocks::error_reply(
            409,
            "nameAlreadyExists",
            "nameAlreadyExists",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    let fake = FakeSession::new(drive_session(100)).on_put(
        1,
        Step::StoreThenReply(ResponseTemplate::new(202).set_body_json(serde_json::json!({
            "expirationDateTime": EXPIRY
        }))),
    );
    fake.mount(&server).await;
    mount_create(&server, "/me/drive/root:/taken.txt:").await;
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .drive_item(DriveOwner::Me, DriveLocation::path("taken.txt"))
        .conflict(ConflictBehavior::Fail)
        .defer_commit(true)
        .upload(&UploadSource::from_bytes(pattern(100, 9)))
        .await
        .expect_err("the name exists");

    let service = error.service_error().expect("a refusal");
    assert_eq!(service.status(), 409);
    assert_eq!(service.code(), Some("nameAlreadyExists"));
    let requests = requests(&server).await;
    assert_eq!(
        count(&requests, "DELETE", Some(SESSION)),
        1,
        "the failed upload deletes its session"
    );
}

pub(crate) async fn drive_limits_are_refused_before_anything_is_sent(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let (uploader, _timer) = uploader(&server, transport);
    let data = UploadSource::from_bytes(pattern(10, 1));

    let error = uploader
        .drive_item(DriveOwner::Me, DriveLocation::path("a.bin"))
        .fragment_size(DRIVE_MAX_FRAGMENT_SIZE + Q)
        .upload(&data)
        .await
        .expect_err("over 60 MiB per fragment");
    assert!(
        matches!(
            error,
            UploadError::Invalid(InvalidInput::Limit(LimitError::FragmentOverLimit { .. }))
        ),
        "{error:?}"
    );
    let error = uploader
        .drive_item(
            DriveOwner::Me,
            DriveLocation::path("/Documents/../secret.txt"),
        )
        .profile(EndpointProfile::drive())
        .upload(&data)
        .await
        .expect_err("a dot-dot segment");
    assert!(matches!(error, UploadError::Invalid(_)), "{error:?}");
    assert!(all_requests(&server).await.is_empty(), "nothing sent");
}
