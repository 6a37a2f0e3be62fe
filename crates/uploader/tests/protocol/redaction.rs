//! Secrets stay out of reports: retry events and `Debug` output hide the token and the
//! upload URL's query.

use crate::helpers::{
    Q, mount_print_session, print_by_quantum, progress_log, session, test_config, uploader,
};
use graph_upload::transport::Transport;
use graph_upload::{EndpointProfile, ProgressEvent, UploadSource, Uploader};
use graph_upload_testkit::uploader_mocks::{
    FakeSession, SessionSpec, Step, TOKEN, error_reply, pattern,
};
use std::sync::Arc;
use wiremock::MockServer;

pub(crate) async fn retries_are_reported_with_the_url_redacted(transport: Arc<dyn Transport>) {
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
