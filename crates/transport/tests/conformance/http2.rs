//! HTTP/2 against the emulator, which offers it: h2c with prior knowledge on http://, ALPN
//! `h2` on https. A print upload's parallel fragments travel as streams of one connection
//! and the document reads back intact.

use crate::helpers::{
    MIB, MakeTransport, assert_same_bytes, bearer, pattern, read_print_document, send, temp_file,
    test_config,
};
use graph_upload_server::fixtures::SHARE_ID;
use graph_upload_server::{CERT_FILE, TlsConfig};
use graph_upload_testkit::emulator::Emulator;
use graph_upload_transport::{FileSlice, Http2, Request, StatusCode, Transport, header};

async fn connections_accepted(transport: &dyn Transport, base: &str) -> u64 {
    let stats = send(
        transport,
        bearer(Request::get(&format!("{base}/_emulator/stats")).unwrap()),
    )
    .await;
    assert_eq!(stats.status(), StatusCode::OK);
    let stats: serde_json::Value = stats.json().unwrap();
    stats["connections"]["accepted"].as_u64().unwrap()
}

/// A print upload of four fragments sent at once through `transport`, read back; the
/// connections the emulator accepted meanwhile.
async fn parallel_print_upload(transport: &dyn Transport, base: &str) -> u64 {
    let before = connections_accepted(transport, base).await;
    let share = format!("{base}/v1.0/print/shares/{SHARE_ID}");
    let job = send(
        transport,
        bearer(Request::post(&format!("{share}/jobs")).unwrap())
            .json(&serde_json::json!({}))
            .unwrap(),
    )
    .await;
    assert_eq!(job.status(), StatusCode::CREATED);
    let job: serde_json::Value = job.json().unwrap();
    let document = format!(
        "{share}/jobs/{}/documents/{}",
        job["id"].as_str().unwrap(),
        job["documents"][0]["id"].as_str().unwrap()
    );
    let data = pattern(2 * MIB + 1234, 11);
    let file = temp_file(&data);
    let session = send(
        transport,
        bearer(Request::post(&format!("{document}/createUploadSession")).unwrap())
            .json(&serde_json::json!({"properties": {
                "documentName": "a.pdf", "contentType": "application/pdf", "size": data.len()
            }}))
            .unwrap(),
    )
    .await;
    assert_eq!(session.status(), StatusCode::OK);
    let session: serde_json::Value = session.json().unwrap();
    let upload_url = session["uploadUrl"].as_str().unwrap().to_owned();
    let fragment = 640 * 1024;
    let put = |index: usize| {
        let start = index * fragment;
        let end = (start + fragment).min(data.len());
        let slice = FileSlice::open(file.path(), start as u64, (end - start) as u64).unwrap();
        let request = Request::put(&upload_url)
            .unwrap()
            .header_str(
                header::CONTENT_RANGE,
                &format!("bytes {start}-{}/{}", end - 1, data.len()),
            )
            .unwrap()
            .body(slice);
        transport.send(request)
    };
    let (a, b, c, d) = tokio::join!(put(0), put(1), put(2), put(3));
    let mut statuses: Vec<StatusCode> = [a, b, c, d]
        .into_iter()
        .map(|answer| answer.expect("a fragment is answered").status())
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED
        ]
    );
    let value = read_print_document(transport, &format!("{document}/$value")).await;
    assert_same_bytes(value.body(), &data, "the document read back over HTTP/2");
    connections_accepted(transport, base).await - before
}

pub(crate) async fn h2c_with_prior_knowledge_carries_parallel_fragments_on_one_connection(
    make: MakeTransport,
) {
    let emulator = Emulator::start().await;
    let transport = make(test_config().http2(Http2::PriorKnowledge));
    let opened = parallel_print_upload(&*transport, &emulator.base).await;
    assert_eq!(
        opened, 0,
        "the connection of the first stats request carried all"
    );
    // HTTP/1.1 needs a connection per fragment in flight.
    let transport = make(test_config());
    let opened = parallel_print_upload(&*transport, &emulator.base).await;
    assert!(opened >= 2, "HTTP/1.1 opened {opened} more connections");
    emulator.stop().await;
}

pub(crate) async fn alpn_negotiates_h2_over_https_and_carries_parallel_fragments_on_one_connection(
    make: MakeTransport,
) {
    let emulator = Emulator::start_with(|config| config.tls = Some(TlsConfig::self_signed())).await;
    let pem = std::fs::read(emulator.data_dir.join(CERT_FILE)).expect("the generated cert.pem");
    let transport = make(test_config().add_root_certificate(pem).http2(Http2::Prefer));
    let opened = parallel_print_upload(&*transport, &emulator.base).await;
    assert_eq!(
        opened, 0,
        "the connection of the first stats request carried all"
    );
    emulator.stop().await;
}
