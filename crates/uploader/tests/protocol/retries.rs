//! Retries: `Retry-After`, bursts of `5xx`, the retry and time budgets.

use crate::helpers::{Q, print_by_quantum, session_of, uploader, uploader_with};
use graph_upload::transport::Transport;
use graph_upload::{RetryPolicy, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, Step, assert_bodies_match, content_ranges, count, cr, error_reply,
    pattern, puts, requests, transcript,
};
use std::sync::Arc;
use std::time::Duration;
use wiremock::MockServer;

pub(crate) async fn retry_after_on_429_and_503_is_honoured(transport: Arc<dyn Transport>) {
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
        .existing_session(session_of(&server, &fake), print_by_quantum())
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

pub(crate) async fn a_burst_of_5xx_within_the_budget_is_survived_and_the_budget_resets_on_progress(
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
        .existing_session(session_of(&server, &fake), print_by_quantum())
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

pub(crate) async fn a_longer_burst_of_5xx_ends_in_server_error_with_the_last_status(
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
        .existing_session(session_of(&server, &fake), print_by_quantum())
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

pub(crate) async fn the_time_budget_ends_retrying(transport: Arc<dyn Transport>) {
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
        .existing_session(session_of(&server, &fake), print_by_quantum())
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

pub(crate) async fn a_retry_after_over_the_limit_ends_the_upload(transport: Arc<dyn Transport>) {
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
        .existing_session(session_of(&server, &fake), print_by_quantum())
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
