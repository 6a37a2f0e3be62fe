//! The testkit's download helper (`e2e_harness::download`, which every end-to-end test uses to
//! read a print document back through `$value`) follows a `302` WITHOUT the bearer token, over
//! both transport backends (printdocument-get-file.md: the `Location` is pre-authenticated).
//! Two loopback servers stand in for Graph and the download host, and record what arrived.

use graph_upload_testkit::e2e_harness::{download, hyper_backend, reqwest_backend};
use graph_upload_testkit::raw_server::{Behaviour, Framing, RawServer};
use std::time::Duration;

#[tokio::test]
async fn the_redirect_of_value_is_followed_without_the_token() {
    for (name, transport) in [("reqwest", reqwest_backend()), ("hyper", hyper_backend())] {
        let mut files = RawServer::start(Behaviour::respond(
            200,
            b"document bytes".to_vec(),
            Framing::ContentLength,
        ))
        .await;
        let location = files.url("/printDocuments/j/d?tempauthtoken=1.secret");
        let mut graph = RawServer::start(Behaviour::Respond {
            status: 302,
            headers: vec![("Location".into(), location)],
            body: Vec::new(),
            framing: Framing::ContentLength,
        })
        .await;
        let bytes = download(&transport, &graph.url("/v1.0/print/.../$value")).await;
        assert_eq!(bytes, b"document bytes", "{name}");
        let asked = graph
            .next_request(Duration::from_secs(5))
            .await
            .expect("the $value request");
        assert_eq!(asked.header_values("authorization").len(), 1, "{name}");
        let fetched = files
            .next_request(Duration::from_secs(5))
            .await
            .expect("the download request");
        assert!(
            fetched.header_values("authorization").is_empty(),
            "{name}: the token was sent to the download URL: {:?}",
            fetched.headers
        );
        assert!(fetched.request_line.contains("tempauthtoken="), "{name}");
    }
}
