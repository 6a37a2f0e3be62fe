//! HTTP/2: h2c (prior knowledge) on plain http, ALPN `h2` on https, HTTP/1.1 clients unchanged,
//! parallel fragments as streams of one connection, and the connection-closing faults, which
//! reset only their stream over HTTP/2.

use graph_upload_server::{CERT_FILE, FaultRule, TlsConfig};
use graph_upload_testkit::emulator::{Emulator, QUANTUM, TOKEN, test_data};
use reqwest::{Client, Version};
use std::time::Duration;

/// A client speaking HTTP/2: h2c on http://, ALPN on https:// (trusting `pem`).
fn h2_client(pem: Option<&[u8]>) -> Client {
    // No automatic redirects: `$value` is followed without the token (testkit).
    let mut builder = Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20));
    builder = match pem {
        None => builder.http2_prior_knowledge(),
        Some(pem) => builder.tls_certs_merge(
            reqwest::Certificate::from_pem_bundle(pem).expect("the emulator's certificate"),
        ),
    };
    builder.build().expect("reqwest client")
}

/// `GET /v1.0/print/shares` through `client`: its status and HTTP version.
async fn shares(client: &Client, base: &str) -> (u16, Version) {
    let response = client
        .get(format!("{base}/v1.0/print/shares"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("answered");
    (response.status().as_u16(), response.version())
}

async fn connections_accepted(emulator: &Emulator) -> u64 {
    let reply = emulator
        .send(
            emulator
                .bare(reqwest::Method::GET, "/_emulator/stats")
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.value()["connections"]["accepted"]
        .as_u64()
        .expect("a count")
}

#[tokio::test]
async fn an_h2c_request_is_answered_and_http1_clients_keep_http1() {
    let emulator = Emulator::start().await;
    let h2 = h2_client(None);
    assert_eq!(shares(&h2, &emulator.base).await, (200, Version::HTTP_2));
    assert_eq!(
        shares(&emulator.client, &emulator.base).await,
        (200, Version::HTTP_11)
    );
    emulator.stop().await;
}

#[tokio::test]
async fn https_offers_h2_by_alpn_and_http1_clients_keep_http1() {
    let emulator = Emulator::start_with(|config| config.tls = Some(TlsConfig::self_signed())).await;
    let pem = std::fs::read(emulator.data_dir.join(CERT_FILE)).expect("cert.pem");
    let h2 = h2_client(Some(&pem));
    assert_eq!(shares(&h2, &emulator.base).await, (200, Version::HTTP_2));
    let http1 = Client::builder()
        .no_proxy()
        .http1_only()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).expect("pem"))
        .build()
        .expect("client");
    assert_eq!(
        shares(&http1, &emulator.base).await,
        (200, Version::HTTP_11)
    );
    emulator.stop().await;
}

#[tokio::test]
async fn a_parallel_print_upload_over_one_h2_connection_completes() {
    let mut emulator = Emulator::start().await;
    emulator.client = h2_client(None);
    let fragment = 4 * QUANTUM;
    let size = 4 * fragment + 1000;
    let data = test_data(size, 9);
    let (target, session) = emulator.new_print_upload(size as u64).await;
    let before = connections_accepted(&emulator).await;
    let put = |index: usize| {
        let start = index * fragment;
        let end = (start + fragment).min(size);
        emulator.put_fragment(
            &session.upload_url,
            start as u64,
            &data[start..end],
            size as u64,
        )
    };
    let (a, b, c, d, e) = tokio::join!(put(0), put(1), put(2), put(3), put(4));
    let replies = [a, b, c, d, e];
    let mut statuses: Vec<u16> = replies.iter().map(|reply| reply.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 202, 202, 202, 202],
        "one completes the upload"
    );
    assert_eq!(emulator.print_value(&target).await, data);
    assert_eq!(
        connections_accepted(&emulator).await,
        before,
        "every fragment was a stream of the one connection"
    );
    emulator.stop().await;
}

#[tokio::test]
async fn connection_closing_faults_reset_only_their_stream_over_h2() {
    for action in ["reset", "reset-after-body"] {
        let rules = FaultRule::parse_list(
            format!(r#"[{{"route": "put", "every": 1, "action": "{action}"}}]"#).as_bytes(),
        )
        .expect("valid rules");
        let mut emulator = Emulator::start_with(|config| {
            config.faults = rules;
            config.fault_seed = Some(5);
        })
        .await;
        emulator.client = h2_client(None);
        let size = 3 * QUANTUM as u64;
        let data = test_data(size as usize, 4);
        let (_, session) = emulator.new_print_upload(size).await;
        let before = connections_accepted(&emulator).await;
        let error = emulator
            .fragment_request(&session.upload_url, 0, &data[..QUANTUM], size)
            .send()
            .await
            .expect_err("the stream is reset, not answered");
        assert!(error.status().is_none(), "{action}: {error:?}");
        let shown = format!("{error:?}");
        assert!(shown.contains("INTERNAL_ERROR"), "{action}: {shown}");
        // The connection goes on: the next requests are answered on it.
        let missing = emulator.missing(&session.upload_url).await;
        let expected = match action {
            "reset" => format!("0-{}", size - 1),
            _ => format!("{QUANTUM}-{}", size - 1),
        };
        assert_eq!(missing, vec![expected], "{action}");
        assert_eq!(
            connections_accepted(&emulator).await,
            before,
            "{action}: the same connection"
        );
        emulator.stop().await;
    }
}
