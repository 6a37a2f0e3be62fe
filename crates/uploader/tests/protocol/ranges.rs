//! Range forms (`nextExpectedRanges` closed, open, start-only, past the end) and trusting
//! the server's ranges.

use crate::helpers::{Q, print_by_quantum, session, session_of, strings, uploader};
use graph_upload::transport::Transport;
use graph_upload::{EndpointProfile, UploadError, UploadOutcome, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    EXPIRY, FakeSession, RangeStyle, Scripted, SessionSpec, Step, TOKEN, assert_bodies_match,
    content_ranges, cr, pattern, puts, requests, transcript,
};
use std::sync::Arc;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) async fn pascal_case_200_with_a_start_only_range_moves_the_upload_on(
    transport: Arc<dyn Transport>,
) {
    // To Do answers `200 {"ExpirationDateTime", "NextExpectedRanges": ["2097152"]}`: the
    // next fragment starts at 2097152 (not a 1-byte range), whatever the client sent.
    let server = MockServer::start().await;
    let size: u64 = 2_097_152 + 1000;
    let data = pattern(size as usize, 9);
    let location = format!(
        "{}/v1.0/me/todo/lists/l/tasks/t/attachments/a",
        server.uri()
    );
    Mock::given(method("PUT"))
        .and(path("/attachmentSessions/abc/content"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(Scripted::new([
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "ExpirationDateTime": EXPIRY, "NextExpectedRanges": ["2097152"]
            })),
            ResponseTemplate::new(201).insert_header("Location", location.as_str()),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    let (uploader, _timer) = uploader(&server, transport);

    let outcome = uploader
        .existing_session(
            session(
                &format!("{}/attachmentSessions/abc", server.uri()),
                &strings(&["0-"]),
            ),
            EndpointProfile::todo().with_max_fragment(Q),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds")
        .item;

    assert_eq!(outcome, UploadOutcome::Attachment { location });
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![cr(0..Q, size), cr(2_097_152..size, size)]
    );
    assert_bodies_match(&puts, &data);
    assert_eq!(requests.len(), 2, "{:?}", transcript(&requests));
}

pub(crate) async fn open_ranges_are_followed_and_only_missing_parts_are_sent(
    transport: Arc<dyn Transport>,
) {
    // The server already has 512..1024 and writes the tail as `"s-"`.
    let server = MockServer::start().await;
    let data = pattern(1300, 10);
    let fake = FakeSession::new(
        SessionSpec::print(1300)
            .style(RangeStyle::Open)
            .preloaded(512..1024),
    );
    fake.mount(&server).await;
    let initial = fake.expected_ranges();
    assert_eq!(initial, strings(&["0-511", "1024-"]));
    let (uploader, _timer) = uploader(&server, transport);
    let profile = EndpointProfile::print()
        .with_quantum(256)
        .with_max_fragment(512)
        .with_parallel(1);

    uploader
        .existing_session(
            session(&format!("{}/upload/1", server.uri()), &initial),
            profile,
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds");

    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![cr(0..512, 1300), cr(1024..1300, 1300)],
        "{:?}",
        transcript(&requests)
    );
    assert_bodies_match(&puts, &data);
    assert!(fake.completed());
}

pub(crate) async fn closed_end_one_past_the_last_byte_is_clamped(transport: Arc<dyn Transport>) {
    // Graph has been seen to write `"100-1000"` for a 1000-byte file; every reply here does.
    let server = MockServer::start().await;
    let data = pattern(1000, 11);
    let fake = FakeSession::new(
        SessionSpec::print(1000)
            .style(RangeStyle::ClosedPastEnd)
            .preloaded(0..100),
    );
    fake.mount(&server).await;
    let initial = fake.expected_ranges();
    assert_eq!(initial, strings(&["100-1000"]));
    let (uploader, _timer) = uploader(&server, transport);
    let profile = EndpointProfile::print()
        .with_quantum(256)
        .with_max_fragment(256)
        .with_parallel(1);

    uploader
        .existing_session(
            session(&format!("{}/upload/1", server.uri()), &initial),
            profile,
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds");

    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(100..356, 1000),
            cr(356..612, 1000),
            cr(612..868, 1000),
            cr(868..1000, 1000),
        ],
        "{:?}",
        transcript(&requests)
    );
    assert_bodies_match(&puts, &data);
    assert!(fake.completed());
}

pub(crate) async fn server_ranges_win_when_an_earlier_range_is_missing_again(
    transport: Arc<dyn Transport>,
) {
    // After the second fragment the server reports the first one missing again: the client,
    // which "knows" it sent it, must send it again.
    let server = MockServer::start().await;
    let data = pattern(3 * Q as usize, 12);
    let size = data.len() as u64;
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(2, Step::StoreThenForget(0..Q));
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .existing_session(session_of(&server, &fake), print_by_quantum())
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds");

    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(0..Q, size),
            cr(Q..2 * Q, size),
            cr(0..Q, size),
            cr(2 * Q..3 * Q, size),
        ],
        "{:?}",
        transcript(&requests)
    );
    assert_bodies_match(&puts, &data);
    assert!(fake.completed());
}

pub(crate) async fn reply_without_next_expected_ranges_is_done(transport: Arc<dyn Transport>) {
    let size = 2 * Q;
    let data = pattern(size as usize, 13);
    // 202 with a status body but no nextExpectedRanges; 200 with no body at all.
    for (status, body) in [
        (
            202u16,
            serde_json::json!({"expirationDateTime": EXPIRY}).to_string(),
        ),
        (200u16, String::new()),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("PUT"))
            .and(path("/upload/1"))
            .respond_with(ResponseTemplate::new(status).set_body_string(body.clone()))
            .expect(1)
            .mount(&server)
            .await;
        let (uploader, _timer) = uploader(&server, Arc::clone(&transport));

        let outcome = uploader
            .existing_session(
                session(
                    &format!("{}/upload/1", server.uri()),
                    &[format!("0-{}", size - 1)],
                ),
                print_by_quantum(),
            )
            .upload(&UploadSource::from_bytes(data.clone()))
            .await
            .expect("the reply counts as done")
            .item;

        assert_eq!(outcome, UploadOutcome::Other { status, body });
        let requests = requests(&server).await;
        assert_eq!(
            transcript(&requests),
            vec![format!("PUT /upload/1 {}", cr(0..Q, size))]
        );
    }
    // To Do: a 200 without NextExpectedRanges but with a Location is the attachment.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path("/attachmentSessions/abc/content"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"ExpirationDateTime": EXPIRY}))
                .insert_header("Location", "https://example.test/attachments/9"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, _timer) = uploader(&server, transport);
    let outcome = uploader
        .existing_session(
            session(
                &format!("{}/attachmentSessions/abc", server.uri()),
                &strings(&["0"]),
            ),
            EndpointProfile::todo().with_max_fragment(Q),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the reply counts as done")
        .item;
    assert_eq!(
        outcome,
        UploadOutcome::Attachment {
            location: "https://example.test/attachments/9".into()
        }
    );
}

pub(crate) async fn ranges_past_the_end_of_the_file_are_a_protocol_error_before_any_put(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .existing_session(
            session(&format!("{}/upload/1", server.uri()), &strings(&["2000-"])),
            EndpointProfile::print(),
        )
        .upload(&UploadSource::from_bytes(pattern(1000, 14)))
        .await
        .expect_err("a range past the end cannot be uploaded");

    assert!(matches!(error, UploadError::Protocol { .. }), "{error:?}");
    assert!(requests(&server).await.is_empty(), "nothing may be sent");
}
