//! Sessions created elsewhere: `existing_session` on a print session.

use graph_upload::{EndpointProfile, UploadOutcome};
use graph_upload_testkit::e2e_harness::{Emulator, MakeTransport, QUANTUM, download};
use graph_upload_testkit::emulator::PrintTarget;
use std::sync::Arc;

/// `existing_session` on a print session (created by hand, uploaded with the print profile)
/// ends with the printDocument of the `201`, as `print_to_share` does.
pub(crate) async fn existing_print_session_returns_the_print_document(make: MakeTransport) {
    let graph = Emulator::start().await;
    let file = graph.file("elsewhere.pdf", QUANTUM + 5, 11);
    let (PrintTarget { job, document, .. }, session) = graph.new_print_upload(file.len).await;
    let transport = make();
    let outcome = graph
        .uploader(Arc::clone(&transport))
        .existing_session(session, EndpointProfile::print())
        .upload(&file.source())
        .await
        .expect("the upload succeeds")
        .item;
    match &outcome {
        UploadOutcome::PrintDocument(doc) => {
            assert_eq!(doc.id, document);
            assert_eq!(doc.size, file.len);
            assert_eq!(doc.document_name.as_deref(), Some("report.pdf"));
        }
        other => panic!("a print session ended without its printDocument: {other:?}"),
    }
    let bytes = download(&transport, &graph.print_value_url(&job, &document)).await;
    file.assert_same(&bytes, "$value");
    graph.stop().await;
}
