//! "May have been sent": dropped connections and timeouts, after or before the server
//! stored the fragment.

use crate::helpers::{
    MakeTransport, Q, assert_no_put_has_authorization, print_by_quantum, session, session_of,
    test_config, uploader,
};
use async_trait::async_trait;
use graph_upload::transport::{Method, Request, Response, Transport, TransportError};
use graph_upload::{UploadOutcome, UploadSource};
use graph_upload_testkit::uploader_mocks::{
    DropMode, DropProxy, FakeSession, SessionSpec, Step, assert_bodies_match, assert_no_byte_twice,
    assert_reassembles, cr, pattern, puts, requests, transcript,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use wiremock::{MockServer, ResponseTemplate};

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

pub(crate) async fn dropped_connection_after_the_server_stored_the_fragment_is_not_resent(
    transport: Arc<dyn Transport>,
) {
    dropped_connection(transport, DropMode::AfterForwarding).await;
}

pub(crate) async fn dropped_connection_before_the_server_got_the_fragment_resends_it(
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
    puts: AtomicUsize,
}

#[async_trait]
impl Transport for FirstPutThrough {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let first =
            request.method() == Method::PUT && self.puts.fetch_add(1, Ordering::SeqCst) == 0;
        let transport = if first { &self.first_put } else { &self.rest };
        transport.send(request).await
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
        puts: AtomicUsize::new(0),
    });
    let (uploader, timer) = uploader(&server, transport);
    let started = Instant::now();

    uploader
        .existing_session(session_of(&server, &fake), print_by_quantum())
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

pub(crate) async fn timeout_after_the_server_stored_the_fragment_reads_the_session_and_does_not_resend(
    make: MakeTransport,
) {
    timed_out(make, true).await;
}

pub(crate) async fn timeout_before_the_server_stored_the_fragment_resends_it(make: MakeTransport) {
    timed_out(make, false).await;
}
