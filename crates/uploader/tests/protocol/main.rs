//! The uploader against scripted Graph upload sessions, one test per protocol branch
//! (PROTOCOL.md sections 1, 2 and 5), each run over both transports.
//!
//! Every case is written once as an `async fn` over an `Arc<dyn Transport>` (or, for the
//! cases that need their own timeouts, over the backend's constructor); `uploader_suite!`
//! runs it in `reqwest_backend::…` and `hyper_backend::…`.
//!
//! The server side is `wiremock` with a stateful fake session (`support/uploader_mocks.rs`):
//! it answers each `PUT` from its `Content-Range` the way print (`202`, camelCase) or To Do
//! (`200`, PascalCase, `"s"`) does, and single requests can be scripted (`503`, `429` with
//! `Retry-After`, `416`, `404`, a reply held past the client's timeout...). Dropped
//! connections come from a small loopback proxy that hangs up on a chosen `PUT`. After each
//! upload the test reads back what the server received: exact `Content-Range` headers, bodies
//! equal to the file's bytes, who carried `Authorization`, which requests were repeated.
//! Backoffs and `Retry-After` go through `InstantClock`, so nothing really waits.

use graph_upload::models::{PrintDocument, UploadSession};
use graph_upload::ranges::GRAPH_QUANTUM;
use graph_upload::transport::{HyperTransport, ReqwestTransport, Transport, TransportConfig};
use graph_upload::{
    AccessToken, CancellationToken, CredentialError, EndpointProfile, InstantClock, InvalidInput,
    ProgressEvent, RetryPolicy, TokenFn, UploadError, UploadOutcome, UploadSource, Uploader,
};
use graph_upload_testkit::refused_port;
use graph_upload_testkit::uploader_mocks::{
    self, Completion, DropMode, DropProxy, EXPIRY, FakeSession, RangeStyle, Scripted, SessionSpec,
    Step, TOKEN, all_requests, assert_bodies_match, assert_no_byte_twice, assert_reassembles,
    content_ranges, count, cr, error_reply, pattern, print_document, puts, requests, transcript,
};
use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const Q: u64 = GRAPH_QUANTUM;

/// Builds a backend from a configuration.
type MakeTransport = fn(TransportConfig) -> Arc<dyn Transport>;

fn test_config() -> TransportConfig {
    TransportConfig::default()
        .connect_timeout(Duration::from_secs(2))
        .request_timeout(Some(Duration::from_secs(10)))
}

fn reqwest_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(ReqwestTransport::new(config).expect("build the reqwest backend"))
}

fn hyper_transport(config: TransportConfig) -> Arc<dyn Transport> {
    Arc::new(HyperTransport::new(config).expect("build the hyper backend"))
}

/// One module per backend, one test per case. A case may carry attributes (such as
/// `#[ignore = "uploader bug: ..."]`); they apply to both backends.
macro_rules! uploader_suite {
    (
        shared: $shared:tt,
        configured: $configured:tt,
        backends: { $($backend:ident => $make:path),+ $(,)? } $(,)?
    ) => {
        $(
            mod $backend {
                uploader_suite!(@shared $make; $shared);
                uploader_suite!(@configured $make; $configured);
            }
        )+
    };
    (@shared $make:path; [$($(#[$attribute:meta])* $case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::$case($make(super::test_config())).await;
            }
        )*
    };
    (@configured $make:path; [$($(#[$attribute:meta])* $case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                super::$case($make).await;
            }
        )*
    };
}

uploader_suite! {
    shared: [
        unsupported_content_type_is_refused_before_the_job_is_created,
        a_failed_print_upload_deletes_its_session_and_cancels_the_job_it_created,
        a_cancelled_print_upload_cancels_the_job_it_created,
        clean_up_can_be_turned_off,
        a_failed_todo_upload_deletes_its_session,
        an_unreachable_server_fails_fast_with_a_hint_before_anything_exists,
        a_server_speaking_another_protocol_is_given_up_within_the_first_contact_budget,
        retries_are_reported_with_the_url_redacted,
        print_flow_creates_the_job_uploads_without_the_token_and_starts_the_job,
        print_flow_into_an_existing_job_on_a_printer_does_not_start_it_when_asked,
        print_job_creation_is_retried_after_a_503_with_retry_after,
        print_default_profile_sends_ten_mib_then_the_last_byte,
        print_parallel_fragments_reassemble_to_the_file,
        a_stale_parallel_reply_does_not_resend_acknowledged_fragments,
        todo_flow_puts_to_content_with_the_token_and_returns_the_location,
        todo_flow_for_another_user_uses_the_users_path,
        the_token_provider_is_asked_before_each_request_that_carries_the_token,
        a_failing_token_provider_sends_nothing,
        todo_over_25_mib_is_too_large_before_anything_is_sent,
        print_document_name_defaults_to_the_file_name,
        empty_print_file_is_one_put_of_bytes_star_slash_zero,
        empty_todo_file_is_one_put_of_bytes_star_slash_zero_to_content,
        one_byte_file_is_one_put_of_bytes_0_0,
        k_quanta_plus_one_from_disk_ends_with_a_one_byte_fragment,
        pascal_case_200_with_a_start_only_range_moves_the_upload_on,
        open_ranges_are_followed_and_only_missing_parts_are_sent,
        closed_end_one_past_the_last_byte_is_clamped,
        server_ranges_win_when_an_earlier_range_is_missing_again,
        reply_without_next_expected_ranges_is_done,
        ranges_past_the_end_of_the_file_are_a_protocol_error_before_any_put,
        after_416_the_session_is_read_and_only_missing_ranges_are_sent,
        after_416_a_range_the_server_lacks_is_sent_again,
        a_404_on_a_put_is_session_gone,
        a_404_on_the_status_read_is_session_gone,
        refusals_400_401_403_413_are_never_retried,
        refused_job_creation_is_not_retried,
        retry_after_on_429_and_503_is_honoured,
        a_burst_of_5xx_within_the_budget_is_survived_and_the_budget_resets_on_progress,
        a_longer_burst_of_5xx_ends_in_server_error_with_the_last_status,
        the_time_budget_ends_retrying,
        a_retry_after_over_the_limit_ends_the_upload,
        dropped_connection_after_the_server_stored_the_fragment_is_not_resent,
        dropped_connection_before_the_server_got_the_fragment_resends_it,
        cancelling_a_print_upload_deletes_the_session_without_the_token,
        cancelling_a_todo_upload_deletes_the_session_with_the_token,
        a_token_cancelled_before_the_upload_sends_nothing,
        cancelling_during_a_retry_after_wait_stops_at_once,
    ],
    configured: [
        timeout_after_the_server_stored_the_fragment_reads_the_session_and_does_not_resend,
        timeout_before_the_server_stored_the_fragment_resends_it,
    ],
    backends: {
        reqwest_backend => super::reqwest_transport,
        hyper_backend => super::hyper_transport,
    },
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// An uploader for the mock server's `/v1.0`, with a timer that never really sleeps.
fn uploader(server: &MockServer, transport: Arc<dyn Transport>) -> (Uploader, Arc<InstantClock>) {
    uploader_with(server, transport, RetryPolicy::default())
}

/// [`uploader`] with a retry policy.
fn uploader_with(
    server: &MockServer,
    transport: Arc<dyn Transport>,
    retry: RetryPolicy,
) -> (Uploader, Arc<InstantClock>) {
    let clock = Arc::new(InstantClock::default());
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token(TOKEN)
        .transport(transport)
        .retry(retry)
        .clock(Arc::clone(&clock) as Arc<dyn graph_upload::Clock>)
        .build()
        .unwrap();
    (uploader, clock)
}

/// An `uploadSession` as `createUploadSession` answers it.
fn session_json(upload_url: &str, ranges: &[String]) -> serde_json::Value {
    serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.uploadSession",
        "uploadUrl": upload_url,
        "expirationDateTime": EXPIRY,
        "nextExpectedRanges": ranges,
    })
}

fn session(upload_url: &str, ranges: &[String]) -> UploadSession {
    serde_json::from_value(session_json(upload_url, ranges)).expect("an uploadSession")
}

/// The print job `POST .../jobs` answers: paused, one empty document.
fn job_json(job_id: &str, document_id: &str) -> serde_json::Value {
    serde_json::json!({
        "id": job_id,
        "createdDateTime": "2026-01-01T00:00:00.0000000Z",
        "status": {"state": "paused", "details": ["uploadPending"]},
        "documents": [{"id": document_id, "displayName": "", "contentType": "", "size": 0}],
        "configuration": {}
    })
}

fn typed_document(size: u64) -> PrintDocument {
    let document: PrintDocument =
        serde_json::from_value(print_document(size)).expect("a printDocument");
    assert_eq!(document.id, "doc-1");
    assert_eq!(document.size, size);
    document
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// A print profile cut in single quanta, one request at a time (deterministic order).
fn print_by_quantum() -> EndpointProfile {
    EndpointProfile::print()
        .with_max_fragment(Q)
        .with_parallel(1)
}

/// Collects progress events.
fn progress_log() -> (
    impl Fn(ProgressEvent) + Send + Sync + Clone + 'static,
    Arc<Mutex<Vec<ProgressEvent>>>,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let callback = move |event| {
        sink.lock().unwrap().push(event);
    };
    (callback, events)
}

/// Mounts `createUploadSession` for an existing print job on a share.
async fn mount_print_session(
    server: &MockServer,
    share: &str,
    upload_url: &str,
    ranges: &[String],
) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1.0/print/shares/{share}/jobs/job-1/documents/doc-1/createUploadSession"
        )))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(upload_url, ranges)))
        .expect(1)
        .mount(server)
        .await;
}

/// Mounts `POST .../jobs/job-1/start`, expected `times` times.
async fn mount_start(server: &MockServer, collection_and_id: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1.0/print/{collection_and_id}/jobs/job-1/start"
        )))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"state": "processing", "details": []})),
        )
        .expect(times)
        .mount(server)
        .await;
}

/// Mounts To Do's `createUploadSession` for `/me`.
async fn mount_todo_session(server: &MockServer, owner: &str, upload_url: &str, ranges: &[String]) {
    Mock::given(method("POST"))
        .and(path(format!(
            "/v1.0/{owner}/todo/lists/list-1/tasks/task-1/attachments/createUploadSession"
        )))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(upload_url, ranges)))
        .expect(1)
        .mount(server)
        .await;
}

fn assert_no_put_has_authorization(puts: &[uploader_mocks::SeenPut]) {
    for put in puts {
        assert_eq!(
            put.authorization, None,
            "the token went to the pre-authenticated print URL with {:?}",
            put.content_range
        );
    }
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort_by_key(|s| {
        s.trim_start_matches("bytes ")
            .split('-')
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    });
    items
}

// ---------------------------------------------------------------------------------------------
// Flows: job creation, session creation, upload, start
// ---------------------------------------------------------------------------------------------

async fn print_flow_creates_the_job_uploads_without_the_token_and_starts_the_job(
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

async fn print_flow_into_an_existing_job_on_a_printer_does_not_start_it_when_asked(
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

async fn print_job_creation_is_retried_after_a_503_with_retry_after(transport: Arc<dyn Transport>) {
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

async fn print_default_profile_sends_ten_mib_then_the_last_byte(transport: Arc<dyn Transport>) {
    // 32 quanta = 10 MiB, the print profile's largest fragment; one more byte makes a short
    // last fragment of exactly 1 byte.
    let server = MockServer::start().await;
    let data = pattern(32 * Q as usize + 1, 4);
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
        vec![cr(0..10 * 1024 * 1024, size), cr(32 * Q..size, size)]
    );
    assert_no_put_has_authorization(&puts);
    assert_bodies_match(&puts, &data);
    assert_reassembles(&puts, &data);
}

async fn print_parallel_fragments_reassemble_to_the_file(transport: Arc<dyn Transport>) {
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
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            profile,
        )
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

async fn a_stale_parallel_reply_does_not_resend_acknowledged_fragments(
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
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
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

async fn todo_flow_puts_to_content_with_the_token_and_returns_the_location(
    transport: Arc<dyn Transport>,
) {
    // 12 quanta is To Do's largest fragment under 4 MiB; one more byte is a 1-byte last fragment.
    let server = MockServer::start().await;
    let data = pattern(12 * Q as usize + 1, 6);
    let size = data.len() as u64;
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-1",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/createUploadSession",
        ))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(serde_json::json!({"attachmentInfo": {
            "attachmentType": "file", "name": "photo.jpg", "size": size,
            "contentType": "image/jpeg"
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/attachmentSessions/abc", server.uri()),
            &strings(&["0-"]),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    let result = uploader
        .todo_attachment("list-1", "task-1")
        .name("photo.jpg")
        .content_type("image/jpeg")
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the To Do upload succeeds")
        .item;

    assert_eq!(result.location, location);
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![cr(0..12 * Q, size), cr(12 * Q..size, size)],
        "in order, 12 quanta then 1 byte"
    );
    for put in &puts {
        assert_eq!(put.path, "/attachmentSessions/abc/content");
        assert_eq!(
            put.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(
            put.content_type.as_deref(),
            Some("application/octet-stream")
        );
    }
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    assert_eq!(count(&requests, "GET", None), 0);
    assert!(timer.sleeps().is_empty());
    let events = events.lock().unwrap().clone();
    assert!(
        matches!(
            events.first(),
            Some(ProgressEvent::SessionReady { total, acknowledged: 0, .. }) if *total == size
        ),
        "{events:?}"
    );
    assert!(
        events.contains(&ProgressEvent::FragmentAcknowledged {
            span: 0..12 * Q,
            acknowledged: 12 * Q,
            total: size
        }),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&ProgressEvent::Completed { total: size }),
        "{events:?}"
    );
}

async fn todo_flow_for_another_user_uses_the_users_path(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let data = pattern(1000, 7);
    let location = format!(
        "{}/v1.0/users/user-5/todo/lists/list-1/tasks/task-1/attachments/att-2",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(1000, &location));
    fake.mount(&server).await;
    mount_todo_session(
        &server,
        "users/user-5",
        &format!("{}/attachmentSessions/abc", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .todo_attachment_for_user("user-5", "list-1", "task-1")
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the To Do upload succeeds")
        .item;

    assert_eq!(result.location, location);
    let requests = requests(&server).await;
    let create: serde_json::Value = requests[0].body_json().expect("JSON body");
    assert_eq!(create["attachmentInfo"]["attachmentType"], "file");
    assert_eq!(create["attachmentInfo"]["size"], 1000);
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec![cr(0..1000, 1000)]);
    assert_eq!(puts[0].path, "/attachmentSessions/abc/content");
    assert_bodies_match(&puts, &data);
}

/// The uploader asks the provider before every request with a token (the create, each PUT),
/// so an upload that outlives a token keeps working; requests without one never ask.
async fn the_token_provider_is_asked_before_each_request_that_carries_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 2 * Q + 1;
    let data = pattern(size as usize, 8);
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-3",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location));
    fake.mount(&server).await;
    mount_todo_session(
        &server,
        "me",
        &format!("{}/attachmentSessions/abc", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&asked);
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token_provider(TokenFn::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { Ok(AccessToken::new(TOKEN, None)) }
        }))
        .transport(transport)
        .build()
        .unwrap();

    let uploaded = uploader
        .todo_attachment("list-1", "task-1")
        .profile(EndpointProfile::todo().with_max_fragment(Q))
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the To Do upload succeeds");

    assert_eq!(uploaded.item.id, "att-3");
    assert_eq!((uploaded.bytes_sent, uploaded.bytes_resent), (size, 0));
    let requests = requests(&server).await;
    let authorized = requests
        .iter()
        .filter(|r| r.headers.get("authorization").is_some())
        .count();
    assert_eq!(
        authorized,
        1 + 3,
        "the create and three PUTs carry the token"
    );
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        authorized,
        "one question per request with a token"
    );
}

/// A provider that cannot give a token fails the upload before anything is sent, with its
/// error as the source.
async fn a_failing_token_provider_sends_nothing(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token_provider(TokenFn::new(|| async {
            Err(CredentialError::new("az: not logged in; run az login"))
        }))
        .transport(transport)
        .build()
        .unwrap();

    let error = uploader
        .todo_attachment("list-1", "task-1")
        .upload(&UploadSource::from_bytes(pattern(10, 9)))
        .await
        .expect_err("no token");

    assert!(matches!(error, UploadError::Credential(_)), "{error:?}");
    assert!(error.to_string().contains("run az login"), "{error}");
    assert!(
        all_requests(&server).await.is_empty(),
        "nothing may be sent"
    );
}

async fn todo_over_25_mib_is_too_large_before_anything_is_sent(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    // A sparse file one byte over To Do's 25 MiB limit.
    let file = tempfile::NamedTempFile::new().expect("temp file");
    file.as_file()
        .set_len(25 * 1024 * 1024 + 1)
        .expect("size the file");
    let source = UploadSource::from_path(file.path()).expect("open the file");
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .todo_attachment("list-1", "task-1")
        .upload(&source)
        .await
        .expect_err("over the limit");

    assert!(
        matches!(
            error,
            UploadError::Invalid(InvalidInput::Limit(
                graph_upload::LimitError::FileOverLimit { .. }
            ))
        ),
        "{error:?}"
    );
    assert!(
        all_requests(&server).await.is_empty(),
        "nothing may be sent"
    );
}

async fn print_document_name_defaults_to_the_file_name(transport: Arc<dyn Transport>) {
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

// ---------------------------------------------------------------------------------------------
// Edge sizes
// ---------------------------------------------------------------------------------------------

async fn empty_print_file_is_one_put_of_bytes_star_slash_zero(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(0));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .upload(&UploadSource::from_bytes(Vec::new()))
        .await
        .expect("the empty print upload succeeds")
        .item;

    assert_eq!(result.document, typed_document(0));
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec!["bytes */0".to_string()]);
    assert!(puts[0].body.is_empty());
    assert_eq!(puts[0].content_length.as_deref(), Some("0"));
    assert_eq!(puts[0].query.as_deref(), Some("tempauthtoken=x"));
    assert_no_put_has_authorization(&puts);
    assert_eq!(
        count(&requests, "GET", None),
        0,
        "{:?}",
        transcript(&requests)
    );
    assert!(fake.completed());
}

async fn empty_todo_file_is_one_put_of_bytes_star_slash_zero_to_content(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/att-0",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(0, &location));
    fake.mount(&server).await;
    mount_todo_session(
        &server,
        "me",
        &format!("{}/attachmentSessions/abc", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .todo_attachment("list-1", "task-1")
        .name("empty.txt")
        .upload(&UploadSource::from_bytes(Vec::new()))
        .await
        .expect("the empty To Do upload succeeds")
        .item;

    assert_eq!(result.location, location);
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec!["bytes */0".to_string()]);
    assert!(puts[0].body.is_empty());
    assert_eq!(puts[0].content_length.as_deref(), Some("0"));
    assert_eq!(puts[0].path, "/attachmentSessions/abc/content");
    assert_eq!(
        puts[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

async fn one_byte_file_is_one_put_of_bytes_0_0(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(1));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1", server.uri()),
        &strings(&["0-0"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    let result = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .upload(&UploadSource::from_bytes(vec![0xA5u8]))
        .await
        .expect("the 1-byte upload succeeds")
        .item;

    assert_eq!(result.document, typed_document(1));
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(content_ranges(&puts), vec!["bytes 0-0/1".to_string()]);
    assert_eq!(puts[0].body, vec![0xA5u8]);
    assert_eq!(puts[0].content_length.as_deref(), Some("1"));
}

async fn k_quanta_plus_one_from_disk_ends_with_a_one_byte_fragment(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let data = pattern(3 * Q as usize + 1, 8);
    let size = data.len() as u64;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(&data).expect("write the file");
    file.flush().expect("flush");
    let source = UploadSource::from_path(file.path()).expect("open the file");
    assert_eq!(source.len(), size);
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    let outcome = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&source)
        .await
        .expect("the upload from disk succeeds")
        .item;

    assert!(
        matches!(&outcome, UploadOutcome::PrintDocument(document) if document.id == "doc-1"),
        "{outcome:?}"
    );
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        content_ranges(&puts),
        vec![
            cr(0..Q, size),
            cr(Q..2 * Q, size),
            cr(2 * Q..3 * Q, size),
            cr(3 * Q..size, size),
        ]
    );
    assert_eq!(puts[3].body.len(), 1, "the last fragment is the last byte");
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
}

// ---------------------------------------------------------------------------------------------
// Range forms and trusting the server
// ---------------------------------------------------------------------------------------------

async fn pascal_case_200_with_a_start_only_range_moves_the_upload_on(
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

async fn open_ranges_are_followed_and_only_missing_parts_are_sent(transport: Arc<dyn Transport>) {
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

async fn closed_end_one_past_the_last_byte_is_clamped(transport: Arc<dyn Transport>) {
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

async fn server_ranges_win_when_an_earlier_range_is_missing_again(transport: Arc<dyn Transport>) {
    // After the second fragment the server reports the first one missing again: the client,
    // which "knows" it sent it, must send it again.
    let server = MockServer::start().await;
    let data = pattern(3 * Q as usize, 12);
    let size = data.len() as u64;
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(2, Step::StoreThenForget(0..Q));
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
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

async fn reply_without_next_expected_ranges_is_done(transport: Arc<dyn Transport>) {
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

async fn ranges_past_the_end_of_the_file_are_a_protocol_error_before_any_put(
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

// ---------------------------------------------------------------------------------------------
// 416, 404 and refusals
// ---------------------------------------------------------------------------------------------

async fn after_416_the_session_is_read_and_only_missing_ranges_are_sent(
    transport: Arc<dyn Transport>,
) {
    // To Do: the server stores the second fragment but answers 416; the client asks (GET on the
    // upload URL, with the token, without /content), learns it has two fragments, and sends
    // only the third.
    let server = MockServer::start().await;
    let size = 3 * Q;
    let data = pattern(size as usize, 15);
    let location = format!(
        "{}/v1.0/me/todo/lists/l/tasks/t/attachments/a",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location)).on_put(
        2,
        Step::StoreThenReply(error_reply(416, "invalidRange", "fragmentOverlap")),
    );
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    let outcome = uploader
        .existing_session(
            session(
                &format!("{}/attachmentSessions/abc", server.uri()),
                &strings(&["0-"]),
            ),
            EndpointProfile::todo().with_max_fragment(Q),
        )
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds")
        .item;

    assert_eq!(outcome, UploadOutcome::Attachment { location });
    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /attachmentSessions/abc/content {}", cr(0..Q, size)),
            format!("PUT /attachmentSessions/abc/content {}", cr(Q..2 * Q, size)),
            "GET /attachmentSessions/abc".to_string(),
            format!(
                "PUT /attachmentSessions/abc/content {}",
                cr(2 * Q..size, size)
            ),
        ]
    );
    let get = requests
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    assert_eq!(
        get.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let puts = puts(&requests);
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    assert!(
        events.lock().unwrap().contains(&ProgressEvent::Resumed {
            acknowledged: 2 * Q
        }),
        "{:?}",
        events.lock().unwrap()
    );
}

async fn after_416_a_range_the_server_lacks_is_sent_again(transport: Arc<dyn Transport>) {
    // Print: the first fragment is refused with 416 without being stored; the status says it is
    // still missing, so it goes again (and no token goes to the upload URL, GET included).
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 16);
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(
        1,
        Step::Reply(error_reply(416, "invalidRange", "fragmentOutOfOrder")),
    );
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds");

    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            "GET /upload/1".to_string(),
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ]
    );
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("authorization").is_none()),
        "no token to the print upload URL"
    );
    assert_bodies_match(&puts(&requests), &data);
    assert!(fake.completed());
}

async fn a_404_on_a_put_is_session_gone(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(1000)).on_put(
        1,
        Step::Reply(error_reply(404, "itemNotFound", "sessionExpired")),
    );
    fake.mount(&server).await;
    let (uploader, timer) = uploader(&server, transport);

    let error = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            EndpointProfile::print(),
        )
        .upload(&UploadSource::from_bytes(pattern(1000, 17)))
        .await
        .expect_err("the session is gone");

    assert!(matches!(error, UploadError::SessionGone), "{error:?}");
    assert!(error.is_session_gone());
    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![format!("PUT /upload/1 {}", cr(0..1000, 1000))],
        "no retry, no status read"
    );
    assert!(timer.sleeps().is_empty());
}

async fn a_404_on_the_status_read_is_session_gone(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(1000))
        .on_put(
            1,
            Step::Reply(error_reply(416, "invalidRange", "fragmentOverlap")),
        )
        .on_get(
            1,
            Step::Reply(error_reply(404, "itemNotFound", "sessionExpired")),
        );
    fake.mount(&server).await;
    let (uploader, _timer) = uploader(&server, transport);

    let error = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            EndpointProfile::print(),
        )
        .upload(&UploadSource::from_bytes(pattern(1000, 18)))
        .await
        .expect_err("the session is gone");

    assert!(matches!(error, UploadError::SessionGone), "{error:?}");
    let requests = requests(&server).await;
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /upload/1 {}", cr(0..1000, 1000)),
            "GET /upload/1".to_string()
        ]
    );
}

async fn refusals_400_401_403_413_are_never_retried(transport: Arc<dyn Transport>) {
    for (status, code) in [
        (400u16, "invalidRequest"),
        (401, "unauthenticated"),
        (403, "accessDenied"),
        (413, "maxFragmentLengthExceeded"),
    ] {
        let server = MockServer::start().await;
        let fake = FakeSession::new(SessionSpec::print(2 * Q))
            .on_put(1, Step::Reply(error_reply(status, code, "refused")));
        fake.mount(&server).await;
        let (uploader, timer) = uploader(&server, Arc::clone(&transport));

        let error = uploader
            .existing_session(
                session(
                    &format!("{}/upload/1", server.uri()),
                    &fake.expected_ranges(),
                ),
                print_by_quantum(),
            )
            .upload(&UploadSource::from_bytes(pattern(2 * Q as usize, 19)))
            .await
            .expect_err("a refusal ends the upload");

        let refusal = error
            .service_error()
            .unwrap_or_else(|| panic!("HTTP {status} gave {error:?}"));
        assert_eq!(refusal.status(), status, "{error:?}");
        assert!(refusal.graph_error().is_some(), "{error:?}");
        assert_eq!(
            error.graph_error().map(|g| g.error.code.as_str()),
            Some(code),
            "HTTP {status}"
        );
        let requests = requests(&server).await;
        assert_eq!(
            transcript(&requests),
            vec![format!("PUT /upload/1 {}", cr(0..Q, 2 * Q))],
            "HTTP {status} must not be retried"
        );
        assert!(
            timer.sleeps().is_empty(),
            "HTTP {status}: {:?}",
            timer.sleeps()
        );
    }
}

async fn refused_job_creation_is_not_retried(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(error_reply(403, "accessDenied", "missingPermission"))
        .expect(1)
        .mount(&server)
        .await;
    let (uploader, timer) = uploader(&server, transport);

    let error = uploader
        .print_to_share("share-1")
        .upload(&UploadSource::from_bytes(pattern(100, 20)))
        .await
        .expect_err("the job cannot be created");

    assert!(
        matches!(error.service_error().map(|e| e.status()), Some(403)),
        "{error:?}"
    );
    assert_eq!(requests(&server).await.len(), 1);
    assert!(timer.sleeps().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

async fn retry_after_on_429_and_503_is_honoured(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 21);
    let fake = FakeSession::new(SessionSpec::print(size))
        .on_put(
            1,
            Step::Reply(
                error_reply(429, "tooManyRequests", "throttled").insert_header("Retry-After", "7"),
            ),
        )
        .on_put(
            3,
            Step::Reply(
                error_reply(503, "serviceNotAvailable", "busy").insert_header("Retry-After", "3"),
            ),
        );
    fake.mount(&server).await;
    let (uploader, timer) = uploader(&server, transport);

    uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload succeeds after waiting");

    assert_eq!(
        timer.sleeps(),
        vec![Duration::from_secs(7), Duration::from_secs(3)],
        "Retry-After replaces the backoff"
    );
    let requests = requests(&server).await;
    let puts = puts(&requests);
    assert_eq!(
        transcript(&requests),
        vec![
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ],
        "throttled fragments are replayed, no status read"
    );
    assert_bodies_match(&puts, &data);
    assert_eq!(
        puts[0].body, puts[1].body,
        "the replay sends the same bytes"
    );
}

async fn a_burst_of_5xx_within_the_budget_is_survived_and_the_budget_resets_on_progress(
    transport: Arc<dyn Transport>,
) {
    // Four failures in a row are allowed; each fragment gets four, so the budget must start
    // again once the first fragment is accepted.
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 22);
    let mut fake = FakeSession::new(SessionSpec::print(size));
    for (ordinal, status) in [
        (1, 500u16),
        (2, 502),
        (3, 503),
        (4, 504),
        (6, 500),
        (7, 503),
        (8, 502),
        (9, 500),
    ] {
        fake = fake.on_put(
            ordinal,
            Step::Reply(error_reply(status, "generalException", "burst")),
        );
    }
    fake.mount(&server).await;
    let policy = RetryPolicy::default().with_max_retries(4);
    let (uploader, timer) = uploader_with(&server, transport, policy.clone());

    uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the bursts are within the budget");

    let requests = requests(&server).await;
    let puts = puts(&requests);
    let mut expected = vec![cr(0..Q, size); 5];
    expected.extend(vec![cr(Q..size, size); 5]);
    assert_eq!(content_ranges(&puts), expected);
    assert_eq!(
        count(&requests, "GET", None),
        0,
        "a 5xx answer needs no status read"
    );
    assert_bodies_match(&puts, &data);
    // Exponential backoff with full jitter: the n-th wait is at most initial * 2^(n-1), and
    // it starts from the initial ceiling again after progress.
    let sleeps = timer.sleeps();
    assert_eq!(sleeps.len(), 8, "{sleeps:?}");
    for (i, sleep) in sleeps.iter().enumerate() {
        let ceiling = policy.initial_backoff * 2u32.pow((i % 4) as u32);
        assert!(*sleep <= ceiling, "wait #{i} {sleep:?} over {ceiling:?}");
    }
}

async fn a_longer_burst_of_5xx_ends_in_server_error_with_the_last_status(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let mut fake = FakeSession::new(SessionSpec::print(Q));
    for (ordinal, status) in [(1, 500u16), (2, 502), (3, 503), (4, 504), (5, 500)] {
        fake = fake.on_put(
            ordinal,
            Step::Reply(error_reply(status, "generalException", "burst")),
        );
    }
    fake.mount(&server).await;
    let (uploader, timer) = uploader_with(
        &server,
        transport,
        RetryPolicy::default().with_max_retries(3),
    );

    let error = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(pattern(Q as usize, 23)))
        .await
        .expect_err("the burst outlasts the budget");

    assert!(
        matches!(
            error
                .service_error()
                .map(|e| (e.status(), e.graph_error().is_some())),
            Some((504, true))
        ),
        "{error:?}"
    );
    let requests = requests(&server).await;
    assert_eq!(
        count(&requests, "PUT", None),
        4,
        "{:?}",
        transcript(&requests)
    );
    assert_eq!(timer.sleeps().len(), 3);
}

async fn the_time_budget_ends_retrying(transport: Arc<dyn Transport>) {
    // Plenty of attempts, but only 10 s of retrying: 429 with Retry-After 6 twice is 12 s.
    let server = MockServer::start().await;
    let mut fake = FakeSession::new(SessionSpec::print(Q));
    for ordinal in 1..=10 {
        fake = fake.on_put(
            ordinal,
            Step::Reply(
                error_reply(429, "tooManyRequests", "throttled").insert_header("Retry-After", "6"),
            ),
        );
    }
    fake.mount(&server).await;
    let (uploader, timer) = uploader_with(
        &server,
        transport,
        RetryPolicy::default()
            .with_max_retries(100)
            .with_retry_timeout(Duration::from_secs(10)),
    );

    let error = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(pattern(Q as usize, 24)))
        .await
        .expect_err("the time budget runs out");

    assert!(
        matches!(error.service_error().map(|e| e.status()), Some(429)),
        "{error:?}"
    );
    assert_eq!(
        timer.sleeps(),
        vec![Duration::from_secs(6), Duration::from_secs(6)]
    );
    assert_eq!(count(&requests(&server).await, "PUT", None), 3);
}

async fn a_retry_after_over_the_limit_ends_the_upload(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(Q)).on_put(
        1,
        Step::Reply(
            error_reply(503, "serviceNotAvailable", "maintenance")
                .insert_header("Retry-After", "3600"),
        ),
    );
    fake.mount(&server).await;
    let (uploader, timer) = uploader(&server, transport);

    let error = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(pattern(Q as usize, 25)))
        .await
        .expect_err("an hour is over the 5-minute limit");

    assert!(
        matches!(error.service_error().map(|e| e.status()), Some(503)),
        "{error:?}"
    );
    assert!(timer.sleeps().is_empty());
    assert_eq!(count(&requests(&server).await, "PUT", None), 1);
}

// ---------------------------------------------------------------------------------------------
// "May have been sent": dropped connections and timeouts
// ---------------------------------------------------------------------------------------------

async fn dropped_connection(transport: Arc<dyn Transport>, mode: DropMode) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 26);
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    let proxy = DropProxy::start(*server.address(), HashMap::from([(1, mode)])).await;
    let (uploader, timer) = uploader(&server, transport);

    let outcome = uploader
        .existing_session(
            session(
                &proxy.url("/upload/1?tempauthtoken=x"),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload survives the dropped connection")
        .item;

    assert!(
        matches!(&outcome, UploadOutcome::PrintDocument(_)),
        "{outcome:?}"
    );
    let requests = requests(&server).await;
    let expected = match mode {
        // The server has the first fragment: after the status read only the second goes.
        DropMode::AfterForwarding => vec![
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            "GET /upload/1".to_string(),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ],
        // The server never saw it: the status says it is missing, so it goes again.
        DropMode::BeforeForwarding => vec![
            "GET /upload/1".to_string(),
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ],
    };
    assert_eq!(
        transcript(&requests),
        expected,
        "proxy saw {:?}",
        proxy.log()
    );
    let puts = puts(&requests);
    assert_bodies_match(&puts, &data);
    assert_no_byte_twice(&puts);
    assert_no_put_has_authorization(&puts);
    assert_eq!(
        timer.sleeps().len(),
        1,
        "one backoff before the status read"
    );
    let through_proxy = match mode {
        DropMode::AfterForwarding => 3,
        DropMode::BeforeForwarding => 4,
    };
    assert_eq!(proxy.log().len(), through_proxy, "{:?}", proxy.log());
}

async fn dropped_connection_after_the_server_stored_the_fragment_is_not_resent(
    transport: Arc<dyn Transport>,
) {
    dropped_connection(transport, DropMode::AfterForwarding).await;
}

async fn dropped_connection_before_the_server_got_the_fragment_resends_it(
    transport: Arc<dyn Transport>,
) {
    dropped_connection(transport, DropMode::BeforeForwarding).await;
}

/// Sends the first `PUT` through `first_put` and every other request through `rest`: a
/// deliberately short timeout can cut that `PUT` without the requests that follow inheriting
/// it (on a busy machine they would time out too).
#[derive(Debug)]
struct FirstPutThrough {
    first_put: Arc<dyn Transport>,
    rest: Arc<dyn Transport>,
    puts: std::sync::atomic::AtomicUsize,
}

impl Transport for FirstPutThrough {
    fn send<'life0, 'async_trait>(
        &'life0 self,
        request: graph_upload::transport::Request,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = Result<
                        graph_upload::transport::Response,
                        graph_upload::transport::TransportError,
                    >,
                > + Send
                + 'async_trait,
        >,
    >
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let first = request.method() == graph_upload::transport::Method::PUT
            && self.puts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
        let transport = if first { &self.first_put } else { &self.rest };
        transport.send(request)
    }
}

async fn timed_out(make: MakeTransport, stored: bool) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let data = pattern(size as usize, 27);
    let held = Duration::from_secs(5);
    let step = if stored {
        Step::StoreThenDelay(held)
    } else {
        Step::Reply(ResponseTemplate::new(202).set_delay(held))
    };
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(1, step);
    fake.mount(&server).await;
    let transport: Arc<dyn Transport> = Arc::new(FirstPutThrough {
        first_put: make(test_config().request_timeout(Some(Duration::from_millis(500)))),
        rest: make(test_config()),
        puts: std::sync::atomic::AtomicUsize::new(0),
    });
    let (uploader, timer) = uploader(&server, transport);
    let started = Instant::now();

    uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .upload(&UploadSource::from_bytes(data.clone()))
        .await
        .expect("the upload survives the timeout");

    assert!(
        started.elapsed() < held,
        "the client waited for the held reply"
    );
    let requests = requests(&server).await;
    let expected = if stored {
        vec![
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            "GET /upload/1".to_string(),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ]
    } else {
        vec![
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            "GET /upload/1".to_string(),
            format!("PUT /upload/1 {}", cr(0..Q, size)),
            format!("PUT /upload/1 {}", cr(Q..size, size)),
        ]
    };
    assert_eq!(transcript(&requests), expected);
    let puts = puts(&requests);
    assert_bodies_match(&puts, &data);
    assert_reassembles(&puts, &data);
    if stored {
        assert_no_byte_twice(&puts);
    }
    assert_eq!(timer.sleeps().len(), 1, "{:?}", timer.sleeps());
    assert!(fake.completed());
}

async fn timeout_after_the_server_stored_the_fragment_reads_the_session_and_does_not_resend(
    make: MakeTransport,
) {
    timed_out(make, true).await;
}

async fn timeout_before_the_server_stored_the_fragment_resends_it(make: MakeTransport) {
    timed_out(make, false).await;
}

// ---------------------------------------------------------------------------------------------
// Cancellation
// ---------------------------------------------------------------------------------------------

/// Cancels `token` once the server has received a PUT.
async fn cancel_after_first_put(server: &MockServer, token: CancellationToken) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if count(&requests(server).await, "PUT", None) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no PUT reached the server");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    token.cancel();
}

async fn cancelling_a_print_upload_deletes_the_session_without_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 3 * Q;
    let fake = FakeSession::new(SessionSpec::print(size))
        .on_put(1, Step::StoreThenDelay(Duration::from_secs(10)));
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        &[format!("0-{}", size - 1)],
    )
    .await;
    mount_start(&server, "shares/share-1", 0).await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(size as usize, 28));
    let upload = uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .profile(print_by_quantum())
        .cancel_on(token.clone());
    let started = Instant::now();
    let task = tokio::spawn(async move { upload.upload(&source).await });

    cancel_after_first_put(&server, token).await;
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the cancelled upload returns promptly")
        .expect("the upload task does not panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    let requests = requests(&server).await;
    let deletes: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{:?}", transcript(&requests));
    assert_eq!(deletes[0].url.path(), "/upload/1");
    assert_eq!(deletes[0].url.query(), Some("tempauthtoken=x"));
    assert!(deletes[0].headers.get("authorization").is_none());
    assert_eq!(
        count(&requests, "PUT", None),
        1,
        "{:?}",
        transcript(&requests)
    );
    assert!(fake.deleted());
}

async fn cancelling_a_todo_upload_deletes_the_session_with_the_token(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    let size = 3 * Q;
    let location = format!(
        "{}/v1.0/me/todo/lists/l/tasks/t/attachments/a",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location))
        .on_put(2, Step::StoreThenDelay(Duration::from_secs(10)));
    fake.mount(&server).await;
    mount_todo_session(
        &server,
        "me",
        &format!("{}/attachmentSessions/abc", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(size as usize, 29));
    let upload = uploader
        .todo_attachment("list-1", "task-1")
        .profile(EndpointProfile::todo().with_max_fragment(Q))
        .cancel_on(token.clone());
    let task = tokio::spawn(async move { upload.upload(&source).await });

    // Wait for the second (held) PUT.
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&requests(&server).await, "PUT", None) < 2 {
        assert!(Instant::now() < deadline, "the second PUT never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    token.cancel();
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the cancelled upload returns promptly")
        .expect("the upload task does not panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    let requests = requests(&server).await;
    let deletes: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 1, "{:?}", transcript(&requests));
    assert_eq!(
        deletes[0].url.path(),
        "/attachmentSessions/abc",
        "no /content"
    );
    assert_eq!(
        deletes[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(fake.deleted());
}

async fn a_token_cancelled_before_the_upload_sends_nothing(transport: Arc<dyn Transport>) {
    // Nothing should be created (a print job left "uploadPending" lingers on the printer)
    // and no byte sent once the caller has already cancelled.
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(Q));
    fake.mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(job_json("job-1", "doc-1")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1.0/print/shares/share-1/jobs/job-1/documents/doc-1/createUploadSession",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(session_json(
            &format!("{}/upload/1", server.uri()),
            &[format!("0-{}", Q - 1)],
        )))
        .mount(&server)
        .await;
    mount_start(&server, "shares/share-1", 0).await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    token.cancel();

    let result = uploader
        .print_to_share("share-1")
        .cancel_on(token)
        .upload(&UploadSource::from_bytes(pattern(Q as usize, 33)))
        .await
        .map(|uploaded| uploaded.item);

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    let requests = requests(&server).await;
    assert!(requests.is_empty(), "{:?}", transcript(&requests));
}

async fn cancelling_during_a_retry_after_wait_stops_at_once(transport: Arc<dyn Transport>) {
    // The real timer: a 429 asks for 60 s. Cancelling during that wait must not take 60 s.
    let server = MockServer::start().await;
    let fake = FakeSession::new(SessionSpec::print(Q)).on_put(
        1,
        Step::Reply(
            error_reply(429, "tooManyRequests", "throttled").insert_header("Retry-After", "60"),
        ),
    );
    fake.mount(&server).await;
    let uploader = Uploader::builder(format!("{}/v1.0", server.uri()))
        .token(TOKEN)
        .transport(transport)
        .build()
        .unwrap();
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(Q as usize, 30));
    let upload = uploader
        .existing_session(
            session(
                &format!("{}/upload/1", server.uri()),
                &fake.expected_ranges(),
            ),
            print_by_quantum(),
        )
        .cancel_on(token.clone());
    // Cancel once the uploader reports that it is waiting the 60 s (not after a guessed delay).
    let waiting = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&waiting);
    let upload = upload.on_progress(move |event| {
        if let ProgressEvent::Retrying { delay, .. } = event {
            *seen.lock().unwrap() = Some(delay);
            token.cancel();
        }
    });
    let task = tokio::spawn(async move { upload.upload(&source).await });

    let result = tokio::time::timeout(Duration::from_secs(3), task)
        .await
        .expect("cancelling must interrupt the Retry-After wait")
        .expect("the upload task does not panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    assert_eq!(*waiting.lock().unwrap(), Some(Duration::from_secs(60)));
    let requests = requests(&server).await;
    assert_eq!(count(&requests, "DELETE", Some("/upload/1")), 1);
    assert_eq!(count(&requests, "PUT", None), 1);
}

#[test]
fn completion_of_the_fake_session_is_what_the_protocol_says() {
    // A guard on the test double itself: print answers 201 with the printDocument, To Do
    // with a Location, and the range styles write what PROTOCOL.md shows.
    let print = FakeSession::new(SessionSpec::print(4_533_322).preloaded(0..72_797));
    assert_eq!(print.expected_ranges(), strings(&["72797-4533321"]));
    let quirk = FakeSession::new(
        SessionSpec::print(4_533_322)
            .style(RangeStyle::ClosedPastEnd)
            .preloaded(0..78_929),
    );
    assert_eq!(quirk.expected_ranges(), strings(&["78929-4533322"]));
    let todo = FakeSession::new(SessionSpec::todo(3_483_322, "x").preloaded(0..2_097_152));
    assert_eq!(todo.expected_ranges(), strings(&["2097152"]));
    let open = FakeSession::new(SessionSpec::print(10).style(RangeStyle::Open));
    assert_eq!(open.expected_ranges(), strings(&["0-"]));
    assert!(matches!(
        SessionSpec::todo(1, "loc").completion,
        Completion::Location(_)
    ));
}

// ---------------------------------------------------------------------------------------------
// Checks before anything is created, clean-up after a failure, fail fast, redacted reports
// ---------------------------------------------------------------------------------------------

/// Mounts `GET /v1.0/print/shares/{share}` answering `capabilities.contentTypes`.
async fn mount_capabilities(server: &MockServer, share: &str, types: &[&str]) {
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/print/shares/{share}")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": share,
            "displayName": "share",
            "capabilities": {"contentTypes": types},
        })))
        .mount(server)
        .await;
}

/// Mounts job creation (`job-1`/`doc-1`) and the session of `upload_url`, and `cancel`.
async fn mount_created_job(server: &MockServer, upload_url: &str, size: u64) {
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs"))
        .respond_with(ResponseTemplate::new(201).set_body_json(job_json("job-1", "doc-1")))
        .expect(1)
        .mount(server)
        .await;
    mount_print_session(server, "share-1", upload_url, &[format!("0-{}", size - 1)]).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/print/shares/share-1/jobs/job-1/cancel"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;
}

fn cancels(requests: &[wiremock::Request]) -> usize {
    count(
        requests,
        "POST",
        Some("/v1.0/print/shares/share-1/jobs/job-1/cancel"),
    )
}

async fn unsupported_content_type_is_refused_before_the_job_is_created(
    transport: Arc<dyn Transport>,
) {
    let server = MockServer::start().await;
    mount_capabilities(&server, "share-1", &["image/png", "image/jpeg"]).await;
    let (uploader, _timer) = uploader(&server, Arc::clone(&transport));

    let error = uploader
        .print_to_share("share-1")
        .content_type("application/pdf")
        .upload(&UploadSource::from_bytes(pattern(1000, 40)))
        .await
        .expect_err("a PNG printer does not take PDF");

    match &error {
        UploadError::Invalid(InvalidInput::UnsupportedContentType {
            content_type,
            supported,
        }) => {
            assert_eq!(content_type, "application/pdf");
            assert_eq!(supported, &["image/png", "image/jpeg"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("image/png, image/jpeg"),
        "{error}"
    );
    let all = all_requests(&server).await;
    assert_eq!(transcript(&all), ["GET /v1.0/print/shares/share-1"]);

    // OXPS goes to a PDF printer (the service converts it): the check lets it through.
    let server = MockServer::start().await;
    mount_capabilities(&server, "share-1", &["application/pdf"]).await;
    let size = Q;
    let fake = FakeSession::new(SessionSpec::print(size));
    fake.mount(&server).await;
    mount_created_job(
        &server,
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        size,
    )
    .await;
    let (oxps, _timer) = crate::uploader(&server, Arc::clone(&transport));
    oxps.print_to_share("share-1")
        .content_type("application/oxps")
        .start_job(false)
        .upload(&UploadSource::from_bytes(pattern(size as usize, 41)))
        .await
        .expect("OXPS to a PDF printer is accepted");
}

/// A print upload whose first fragment the service refuses (`400`), with clean-up on or off:
/// the error, the server's requests and the session.
async fn refused_print_upload(
    transport: Arc<dyn Transport>,
    clean_up: bool,
) -> (UploadError, Vec<wiremock::Request>, FakeSession) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(
        1,
        Step::Reply(error_reply(400, "invalidRequest", "badFragment")),
    );
    fake.mount(&server).await;
    mount_created_job(
        &server,
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        size,
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);
    let error = uploader
        .print_to_share("share-1")
        .profile(print_by_quantum())
        .clean_up_on_failure(clean_up)
        .upload(&UploadSource::from_bytes(pattern(size as usize, 42)))
        .await
        .expect_err("the service refuses the fragment");
    (error, requests(&server).await, fake)
}

async fn a_failed_print_upload_deletes_its_session_and_cancels_the_job_it_created(
    transport: Arc<dyn Transport>,
) {
    let (error, requests, fake) = refused_print_upload(transport, true).await;

    assert!(
        matches!(error.service_error().map(|e| e.status()), Some(400)),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(
        !shown.contains("tempauthtoken") && !shown.contains(TOKEN),
        "{shown}"
    );
    let order = transcript(&requests);
    let delete = order.iter().position(|r| r == "DELETE /upload/1");
    let cancel = order
        .iter()
        .position(|r| r == "POST /v1.0/print/shares/share-1/jobs/job-1/cancel");
    assert!(
        matches!((delete, cancel), (Some(d), Some(c)) if d < c),
        "the session is deleted, then the job cancelled: {order:?}"
    );
    assert!(fake.deleted());
    assert_eq!(cancels(&requests), 1);
}

async fn a_cancelled_print_upload_cancels_the_job_it_created(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let size = 3 * Q;
    let fake = FakeSession::new(SessionSpec::print(size))
        .on_put(1, Step::StoreThenDelay(Duration::from_secs(10)));
    fake.mount(&server).await;
    mount_created_job(
        &server,
        &format!("{}/upload/1?tempauthtoken=x", server.uri()),
        size,
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);
    let token = CancellationToken::new();
    let source = UploadSource::from_bytes(pattern(size as usize, 43));
    let upload = uploader
        .print_to_share("share-1")
        .profile(print_by_quantum())
        .cancel_on(token.clone());
    let task = tokio::spawn(async move { upload.upload(&source).await });
    cancel_after_first_put(&server, token).await;
    let result = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the cancelled upload returns promptly")
        .expect("no panic");

    assert!(matches!(result, Err(UploadError::Cancelled)), "{result:?}");
    let requests = requests(&server).await;
    assert!(fake.deleted(), "{:?}", transcript(&requests));
    assert_eq!(cancels(&requests), 1, "{:?}", transcript(&requests));
}

async fn clean_up_can_be_turned_off(transport: Arc<dyn Transport>) {
    let (_, requests, fake) = refused_print_upload(transport, false).await;

    assert!(!fake.deleted(), "{:?}", transcript(&requests));
    assert_eq!(cancels(&requests), 0, "{:?}", transcript(&requests));
}

async fn a_failed_todo_upload_deletes_its_session(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let location = format!(
        "{}/v1.0/me/todo/lists/list-1/tasks/task-1/attachments/a",
        server.uri()
    );
    let fake = FakeSession::new(SessionSpec::todo(size, &location)).on_put(
        1,
        Step::Reply(error_reply(400, "invalidRequest", "badFragment")),
    );
    fake.mount(&server).await;
    mount_todo_session(
        &server,
        "me",
        &format!("{}/attachmentSessions/abc", server.uri()),
        &strings(&["0-"]),
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);

    uploader
        .todo_attachment("list-1", "task-1")
        .upload(&UploadSource::from_bytes(pattern(size as usize, 45)))
        .await
        .expect_err("the service refuses the fragment");

    assert!(fake.deleted(), "{:?}", transcript(&requests(&server).await));
}

async fn an_unreachable_server_fails_fast_with_a_hint_before_anything_exists(
    transport: Arc<dyn Transport>,
) {
    // A port nothing listens on (bound, not listening, for the whole test).
    let refused = refused_port::RefusedPort::bind();
    let port = refused.port();
    let base = format!("http://127.0.0.1:{port}/v1.0");
    let (callback, events) = progress_log();
    for flow in ["print", "todo"] {
        // A real clock: the budget for a server that never answers is 3 s of real time.
        let client = Uploader::builder(&base)
            .token(TOKEN)
            .transport(Arc::clone(&transport))
            .build()
            .unwrap();
        let source = UploadSource::from_bytes(pattern(1000, 46));
        let started = Instant::now();
        let error = match flow {
            "print" => client
                .print_to_share("share-1")
                .on_progress(callback.clone())
                .upload(&source)
                .await
                .map(|_| ()),
            _ => client
                .todo_attachment("list-1", "task-1")
                .on_progress(callback.clone())
                .upload(&source)
                .await
                .map(|_| ()),
        }
        .expect_err("nothing listens");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(error, UploadError::Unreachable { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("nothing answers at {base}"))
                && message.ends_with("is the emulator running? is it http or https?"),
            "{message}"
        );
    }
    assert!(events.lock().unwrap().is_empty(), "no retry was made");
}

async fn retries_are_reported_with_the_url_redacted(transport: Arc<dyn Transport>) {
    let server = MockServer::start().await;
    let size = 2 * Q;
    let fake = FakeSession::new(SessionSpec::print(size)).on_put(
        1,
        Step::Reply(error_reply(503, "serviceNotAvailable", "busy")),
    );
    fake.mount(&server).await;
    mount_print_session(
        &server,
        "share-1",
        &format!("{}/upload/1?tempauthtoken=SECRET", server.uri()),
        &[format!("0-{}", size - 1)],
    )
    .await;
    let (uploader, _timer) = uploader(&server, transport);
    let (callback, events) = progress_log();

    uploader
        .print_to_share("share-1")
        .job("job-1", "doc-1")
        .start_job(false)
        .profile(print_by_quantum())
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(pattern(size as usize, 47)))
        .await
        .expect("the 503 is retried");

    let events = events.lock().unwrap().clone();
    let retry = events
        .iter()
        .find_map(|event| match event {
            ProgressEvent::Retrying { reason, url, .. } => Some((reason.clone(), url.clone())),
            _ => None,
        })
        .expect("the retry is reported");
    assert_eq!(retry.0, "HTTP 503 Service Unavailable");
    assert_eq!(retry.1, format!("{}/upload/1?...", server.uri()));
    let shown = format!("{events:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
}

async fn a_server_speaking_another_protocol_is_given_up_within_the_first_contact_budget(
    transport: Arc<dyn Transport>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Something that is not an HTTP server (here: a TLS alert) on the base URL's port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = [0u8; 1024];
            let _ = socket.read(&mut head).await;
            let _ = socket
                .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                .await;
        }
    });
    let timer = Arc::new(InstantClock::default());
    let client = Uploader::builder(format!("http://127.0.0.1:{port}/v1.0"))
        .token(TOKEN)
        .transport(transport)
        .clock(Arc::clone(&timer) as Arc<dyn graph_upload::Clock>)
        .build()
        .unwrap();
    let (callback, events) = progress_log();

    let error = client
        .todo_attachment("list-1", "task-1")
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(pattern(1000, 48)))
        .await
        .expect_err("no HTTP answer");

    assert!(
        matches!(error, UploadError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("is it http or https?"),
        "{error}"
    );
    let waited: Duration = timer.sleeps().iter().sum();
    assert!(waited <= Duration::from_millis(2500), "{waited:?}");
    let retries = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::Retrying { .. }))
        .count();
    assert!(
        retries > 0,
        "the failure was retried, and each retry reported"
    );
}

#[test]
fn debug_output_of_the_uploader_and_its_builders_hides_the_token_and_the_upload_url_query() {
    let transport: Arc<dyn Transport> =
        Arc::new(graph_upload::transport::ReqwestTransport::new(test_config()).unwrap());
    // Nothing is sent: the host only has to look like one.
    let uploader = Uploader::builder("http://graph.invalid/v1.0")
        .token(TOKEN)
        .transport(transport)
        .build()
        .unwrap();
    let session = session(
        "http://graph.invalid/upload/1?tempauthtoken=SECRET",
        &[String::from("0-")],
    );
    let shown = format!(
        "{uploader:?} {:?} {:?} {:?} {:?}",
        uploader.print_to_share("s"),
        uploader.todo_attachment("l", "t"),
        uploader.existing_session(session.clone(), EndpointProfile::todo()),
        session,
    );
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
}
