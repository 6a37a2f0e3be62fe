//! The print flow: job creation, session creation, the upload without the token, the start.

use crate::helpers::{
    Q, assert_no_put_has_authorization, job_json, mount_print_session, mount_start, session_json,
    session_of, sorted, strings, typed_document, uploader,
};
use graph_upload::transport::Transport;
use graph_upload::{EndpointProfile, UploadOutcome, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, Scripted, SessionSpec, Step, TOKEN, assert_bodies_match, assert_no_byte_twice,
    assert_reassembles, content_ranges, cr, error_reply, pattern, puts, requests, transcript,
};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) async fn print_flow_creates_the_job_uploads_without_the_token_and_starts_the_job(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let data = pattern(3 * Q as usize + 7, 1);
    let size = data.len() as u64;
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(job_json("job-1", "doc-1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/print/shares/share-1/jobs/job-1/documents/doc-1/createUploadSession",
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(serde_json::json!({"properties": {
            "documentName": "report.pdf", "contentType": "application/pdf", "size": size
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/upload/1?tempauthtoken=x", server.uri()),
            &[format!("0-{}", size - 1)],
        )))
        .expect(1)
        .mount(&server)
        .await;
    mount_start(&server, "shares/share-1", 1).await;
    let (uploader, timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .document_name("report.pdf")
        // Two fragments in parallel (more would hit the stale-reply bug, see
        // `a_stale_parallel_reply_does_not_resend_acknowledged_fragments`).
        .profile(EndpointProfile::print().with_max_fragment(2 * Q))
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the print upload succeeds")
        .item;

    assert_eq!(result.job_id, "job-1");
    assert_eq!(result.document, typed_document(size));
    assert!(result.started);
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        sorted(content_ranges(&puts)),
        vec![cr(0..2 * Q, size), cr(2 * Q..size, size)],
        "{:?}",
        transcript(&requests)
    );
    for put in &puts {
        assert_eq!(put.path, "/upload/1");
        assert_eq!(
            put.query.as_deref(),
            Some("tempauthtoken=x"),
            "URL used as given"
        );
    }
    assert_no_put_has_authorization(&puts);
    assert_bodies_match(&puts, &data);
    assert_reassembles(&puts, &data);
    assert_no_byte_twice(&puts);
    // Job, session, bytes, start: in that order.
    let order = transcript(&requests);
    assert!(
        order[0].ends_with("/print/shares/share-1/jobs"),
        "{order:?}"
    );
    assert!(order[1].ends_with("/createUploadSession"), "{order:?}");
    assert!(
        order.last().unwrap().ends_with("/jobs/job-1/start"),
        "{order:?}"
    );
    assert_eq!(order.len(), 2 + 2 + 1, "{order:?}");
    assert!(fake.completed());
    assert!(timer.sleeps().is_empty(), "{:?}", timer.sleeps());
}

pub(crate) async fn print_flow_into_an_existing_job_on_a_printer_does_not_start_it_when_asked(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let data = pattern(1000, 2);
    let size = data.len() as u64;
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/printers/printer-9/jobs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(job_json("job-x", "doc-x")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/print/printers/printer-9/jobs/job-1/documents/doc-1/createUploadSession",
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(serde_json::json!({"properties": {
            "documentName": "scan.oxps", "contentType": "application/oxps", "size": 1000
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/upload/1?tempauthtoken=x", server.uri()),
            &strings(&["0-999"]),
        )))
        .expect(1)
        .mount(&server)
        .await;
    mount_start(&server, "printers/printer-9", 0).await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .print_to_printer("printer-9")
        .job("job-1", "doc-1")
        .document_name("scan.oxps")
        .content_type("application/oxps")
        .start_job(false)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the print upload succeeds")
        .item;

    assert_eq!(result.job_id, "job-1");
    assert!(!result.started);
    assert_eq!(result.document, typed_document(size));
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec![cr(0..1000, 1000)]);
    assert_no_put_has_authorization(&puts);
    assert_bodies_match(&puts, &data);
}

pub(crate) async fn print_job_creation_is_retried_after_a_503_with_retry_after(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let data = pattern(500, 3);
    let fake = FakeSession::new(SessionSpec::print(500));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(Scripted::new([
            error_reply(503, "serviceNotAvailable", "busy").insert_header("Retry-After", "2"),
            ResponseTemplate::new(201).set_body_json(job_json("job-1", "doc-1")),
        ]))
        .expect(2)
        .mount(&server)
        .await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1", server.uri()),
        &strings(&["0-499"]),
    )
    .await;
    mount_start(&server, "shares/share-1", 1).await;
    let (uploader, timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the job is created on the second try")
        .item;

    assert!(result.started);
    assert_eq!(timer.sleeps(), vec![Duration::from_secs(2)]);
    let requests = requests(&server).await;
    assert_eq!(content_ranges(&puts(&requests)), vec![cr(0..500, 500)]);
}

pub(crate) async fn print_default_profile_starts_small_and_grows_to_ten_mib(
    transport: Arc<dyn Transport>,
) {
    // The adaptive default starts at 8 quanta (2.5 MiB), grows on each fast acknowledgement
    // and never goes over 32 quanta = 10 MiB, print's largest fragment; one more byte makes a
    // short last fragment of exactly 1 byte.
    let server = MockServer::start().await;
    let data = pattern(112 * Q as usize + 1, 4);
    let size = data.len() as u64;
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        &[format!("0-{}", size - 1)],
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the print upload succeeds")
        .item;

    assert_eq!(result.document, typed_document(size));
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        sorted(content_ranges(&puts)),
        vec![
            cr(0..8 * Q, size),
            cr(8 * Q..16 * Q, size),
            cr(16 * Q..48 * Q, size),
            cr(48 * Q..80 * Q, size),
            cr(80 * Q..112 * Q, size),
            cr(112 * Q..size, size)
        ]
    );
    assert_no_put_has_authorization(&puts);
    assert_bodies_match(&puts, &data);
    assert_reassembles(&puts, &data);
}

pub(crate) async fn print_parallel_fragments_reassemble_to_the_file(transport: Arc<dyn Transport>) {
    // Small quanta so that many fragments are in flight at once (print allows 4).
    let server = MockServer::start().await;
    let data = pattern(16_500, 5);
    let size = data.len() as u64;
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    let (uploader, timer) = uploader(&server, transport);
    let profile = EndpointProfile::print()
        .with_quantum(1000)
        .with_max_fragment(1000);
    assert_eq!(profile.parallel, 4);

    let outcome = uploader
        .existing_session(session_of(&server, &fake), profile)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the parallel upload succeeds")
        .item;

    assert!(
        matches!(&outcome, UploadOutcome::PrintDocument(_)),
        "{outcome:?}"
    );
    let requests = requests(&server).await;
    let puts = puts(&requests);
    let expected: Vec<String> = (0..17)
        .map(|i| cr(i * 1000..((i + 1) * 1000).min(size), size))
        .collect();
    assert_eq!(
        sorted(content_ranges(&puts)),
        expected,
        "{:?}",
        transcript(&requests)
    );
    assert_bodies_match(&puts, &data);
    assert_reassembles(&puts, &data);
    assert_no_byte_twice(&puts);
    assert!(fake.completed());
    assert!(timer.sleeps().is_empty());
}

pub(crate) async fn a_stale_parallel_reply_does_not_resend_acknowledged_fragments(
    transport: Arc<dyn Transport>,
) {
    // Two fragments in flight, A and B. The server stores A and computes its reply ("B and C
    // missing") but that reply travels slowly (300 ms); B's reply ("C missing") arrives first
    // and C is sent (the server stores it, completing the session; its 201 travels for 1 s).
    // A's reply, older than B's, then says B is missing: B is acknowledged and must not go
    // again. (Sending it again gets a 404 from the completed session, and the upload fails
    // with SessionGone although the server has the whole file.)
    let server = MockServer::start().await;
    let size = 3 * Q;
    let data = pattern(size as usize, 31);
    let fake = FakeSession::new(SessionSpec::print(size))
        .on_put(1, Step::StoreThenDelay(Duration::from_millis(300)))
        .on_put(3, Step::StoreThenDelay(Duration::from_millis(1000)));
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    let outcome = uploader
        .existing_session(
            session_of(&server, &fake),
            EndpointProfile::print()
                .with_max_fragment(Q)
                .with_parallel(2),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .map(|uploaded| uploaded.item);

    let requests = requests(&server).await;
    assert!(
        matches!(&outcome, Ok(UploadOutcome::PrintDocument(_))),
        "{outcome:?}; requests: {:?}",
        transcript(&requests)
    );
    let puts = puts(&requests);
    // A and B travel in parallel: the server may see them in either order.
    let mut sent = content_ranges(&puts);
    sent.sort_by_key(|range| {
        range
            .trim_start_matches("bytes ")
            .split('-')
            .next()
            .and_then(|start| start.parse::<u64>().ok())
    });
    assert_eq!(
        sent,
        vec![cr(0..Q, size), cr(Q..2 * Q, size), cr(2 * Q..size, size)],
        "{:?}",
        transcript(&requests)
    );
    assert_no_byte_twice(&puts);
}

pub(crate) async fn print_document_name_defaults_to_the_file_name(transport: Arc<dyn Transport>) {
    // `PrintUpload::document_name`: "default: the file name, or `document`".
    let server = MockServer::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("quarterly-report.pdf");
    std::fs::write(&file, pattern(100, 32)).expect("write the file");
    let fake = FakeSession::new(SessionSpec::print(100));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/print/shares/share-1/jobs/job-1/documents/doc-1/createUploadSession",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/upload/1", server.uri()),
            &strings(&["0-99"]),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .upload(&UploadSource::from_path(&file).expect("open the file"))
        .await
        .expect("the upload succeeds");

    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(
        create["properties"]["documentName"], "quarterly-report.pdf",
        "{create}"
    );
}
