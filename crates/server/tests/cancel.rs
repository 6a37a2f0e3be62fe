//! Cancelling a print job on the emulator (`docs/protocol.md` section 5), over plain HTTP:
//! `POST .../jobs/{id}/cancel` on printers and shares, under `/v1.0`, `/beta` and no prefix,
//! answers `204`, the job becomes `canceled`, its open upload session goes with its bytes,
//! and what a finished job can no longer do is refused with Graph's error JSON.
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

use graph_upload_models::error_codes;
use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{
    self, Emulator, PrintTarget, TOKEN, assert_graph_error, printer, share, test_data,
};
use graph_upload_testkit::reply::Reply;
use graph_upload_testkit::urls::rebase;
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `POST {prefix}{job}/cancel` with the bearer token and no body.
async fn cancel(emu: &Emulator, prefix: &str, target: &PrintTarget) -> Reply {
    emu.send(
        emu.bare(
            Method::POST,
            &format!("{prefix}{}/cancel", target.job_path()),
        )
        .bearer_auth(TOKEN),
    )
    .await
}

/// The job as `GET` shows it under `/v1.0`.
async fn job(emu: &Emulator, target: &PrintTarget) -> serde_json::Value {
    emu.get_json(&target.job_path()).await
}

#[tokio::test]
async fn cancel_answers_204_on_printers_and_shares_under_every_prefix() {
    let emu = Emulator::start().await;
    for parent in [printer(PRINTER_ID), share(SHARE_ID)] {
        for prefix in ["/v1.0", "/beta", ""] {
            let target = emu.create_print_job(&parent).await;
            let size = 4000u64;
            let data = test_data(size as usize, 1);
            let session = emu
                .create_print_session(&target, "doomed.pdf", "application/pdf", size)
                .await;
            let url = &session.upload_url;
            let reply = emu.put_fragment(url, 0, &data[..1000], size).await;
            assert_eq!(reply.status, 202, "{}", reply.text());
            let blobs = emu.blob_count();

            let reply = cancel(&emu, prefix, &target).await;
            assert_eq!(reply.status, 204, "{parent} {prefix}: {}", reply.text());
            assert!(reply.body.is_empty(), "204 with a body: {}", reply.text());
            assert!(reply.header("request-id").is_some());

            let job = job(&emu, &target).await;
            assert_eq!(job["status"]["state"], "canceled", "{job}");
            assert_eq!(job["status"]["details"], json!([]), "{job}");
            assert_eq!(
                job["status"]["description"], "The job was canceled.",
                "{job}"
            );
            // The session went with its temporary bytes.
            assert_eq!(emu.blob_count(), blobs - 1, "the session's bytes are gone");
            assert_graph_error(
                &emu.put_fragment(url, 1000, &data[1000..2000], size).await,
                404,
                error_codes::ITEM_NOT_FOUND,
                None,
            );
            assert_graph_error(
                &emu.get_status(url).await,
                404,
                error_codes::ITEM_NOT_FOUND,
                None,
            );
            assert_graph_error(
                &emu.delete_session(url).await,
                404,
                error_codes::ITEM_NOT_FOUND,
                None,
            );
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn a_finished_job_cannot_be_canceled_started_or_given_a_session() {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    assert_eq!(cancel(&emu, "/v1.0", &target).await.status, 204);
    let before = emu.snapshot().await;
    let again = cancel(&emu, "/v1.0", &target).await;
    let body = assert_graph_error(&again, 409, error_codes::NOT_ALLOWED, None);
    assert!(
        body.error.message.contains("already canceled"),
        "{}",
        body.error.message
    );
    let start = emu
        .send(emu.api(Method::POST, &format!("{}/start", target.job_path())))
        .await;
    assert_graph_error(&start, 409, error_codes::NOT_ALLOWED, None);
    let session = emu
        .create_print_session_raw(
            &target,
            &json!({"properties": {
                "documentName": "late.pdf", "contentType": "application/pdf", "size": 10}}),
        )
        .await;
    assert_graph_error(&session, 409, error_codes::NOT_ALLOWED, None);
    assert_eq!(emu.snapshot().await, before, "refusals change nothing");
    emu.stop().await;
}

#[tokio::test]
async fn unknown_jobs_and_jobs_of_another_parent_are_not_found() {
    let emu = Emulator::start().await;
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let unknown = PrintTarget {
        job: "00000000-0000-4000-8000-000000000000".into(),
        ..target.clone()
    };
    assert_graph_error(
        &cancel(&emu, "/v1.0", &unknown).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    // The share's job through another printer's path: not found (through the share's own
    // printer it is found: printerShare.md, tests/print/links.rs).
    let elsewhere = PrintTarget {
        parent: printer(OXPS_PRINTER_ID),
        ..target.clone()
    };
    assert_graph_error(
        &cancel(&emu, "/v1.0", &elsewhere).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    let unknown_parent = PrintTarget {
        parent: share("nope"),
        ..target.clone()
    };
    assert_graph_error(
        &cancel(&emu, "", &unknown_parent).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    // Without the token: 401; with GET: 405.
    let anonymous = emu
        .send(emu.bare(Method::POST, &format!("/v1.0{}/cancel", target.job_path())))
        .await;
    assert_graph_error(
        &anonymous,
        401,
        error_codes::INVALID_AUTHENTICATION_TOKEN,
        None,
    );
    let get = emu
        .send(emu.api(Method::GET, &format!("{}/cancel", target.job_path())))
        .await;
    assert_graph_error(&get, 405, error_codes::NOT_ALLOWED, None);
    assert_eq!(job(&emu, &target).await["status"]["state"], "paused");
    emu.stop().await;
}

#[tokio::test]
async fn uploaded_and_started_jobs_can_be_canceled_and_keep_their_document() {
    let emu = Emulator::start().await;
    let data = test_data(3000, 2);
    for start in [false, true] {
        let (target, session) = emu.new_print_upload(3000).await;
        let reply = emu.upload_all(&session.upload_url, &data, 1000).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        if start {
            let started = emu
                .send(emu.api(Method::POST, &format!("{}/start", target.job_path())))
                .await;
            assert_eq!(started.status, 200, "{}", started.text());
        }
        let blobs = emu.blob_count();
        assert_eq!(cancel(&emu, "/beta", &target).await.status, 204);
        assert_eq!(job(&emu, &target).await["status"]["state"], "canceled");
        assert_eq!(emu.blob_count(), blobs, "the uploaded document stays");
        assert!(emu.print_value(&target).await == data);
    }
    emu.stop().await;
}

#[tokio::test]
async fn every_session_of_the_job_goes_and_the_cancel_survives_a_restart() {
    let mut emu = Emulator::start().await;
    let target = emu.create_print_job(&printer(PRINTER_ID)).await;
    let mut urls = Vec::new();
    for n in 0..3u64 {
        let session = emu
            .create_print_session(&target, "a.pdf", "application/pdf", 100 + n)
            .await;
        urls.push(session.upload_url);
    }
    // Another job's session is left alone.
    let (other, other_session) = emu.new_print_upload(50).await;
    assert_eq!(emu.blob_count(), 4);
    assert_eq!(cancel(&emu, "", &target).await.status, 204);
    assert_eq!(emu.blob_count(), 1, "the job's three sessions are gone");
    emu.restart().await;
    let urls: Vec<String> = urls.iter().map(|u| rebase(u, &emu.base)).collect();
    for url in &urls {
        assert_graph_error(
            &emu.get_status(url).await,
            404,
            error_codes::ITEM_NOT_FOUND,
            None,
        );
    }
    assert_eq!(job(&emu, &target).await["status"]["state"], "canceled");
    let other_url = rebase(&other_session.upload_url, &emu.base);
    let data = test_data(50, 3);
    let reply = emu.upload_all(&other_url, &data, 50).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(emu.print_value(&other).await == data);
    emu.stop().await;
}

/// A fragment still streaming when its job is canceled: its bytes go to the deleted file,
/// and once its body ends it is answered `404`, not recorded.
#[tokio::test]
async fn a_fragment_streaming_during_the_cancel_is_not_found_when_it_ends() {
    let emu = Emulator::start().await;
    let size = 64 * 1024u64;
    let data = test_data(size as usize, 4);
    let (target, session) = emu.new_print_upload(size).await;
    let at = session.upload_url.find("/uploadSessions/").unwrap();
    let path = &session.upload_url[at..];
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Range: bytes 0-{}/{size}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n",
        emu.address(),
        size - 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&data[..1000]).await.unwrap();
    // Synchronise on the reservation: while the body streams, a probe over the same bytes is
    // refused at once (416). Before that, the probe is refused only once its body falls short
    // (400): it sends 5 of its 10 bytes, so it can never be stored.
    let probe = emulator::raw_request(
        emu.address(),
        "PUT",
        path,
        &[
            ("Content-Range", format!("bytes 0-9/{size}")),
            ("Content-Length", "10".to_owned()),
        ],
        b"01234",
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let reply = emulator::raw_exchange(emu.address(), &probe, true).await;
        if reply.status == 416 {
            break;
        }
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert!(
            std::time::Instant::now() < deadline,
            "the streaming fragment never reserved its range"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(cancel(&emu, "/v1.0", &target).await.status, 204);
    assert_eq!(emu.blob_count(), 0, "the session's bytes are gone");
    stream.write_all(&data[1000..]).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("the fragment is answered")
        .unwrap();
    let reply = emulator::parse_response(&answer);
    assert_graph_error(&reply, 404, error_codes::ITEM_NOT_FOUND, None);
    assert_eq!(emu.blob_count(), 0);
    assert_eq!(job(&emu, &target).await["status"]["state"], "canceled");
    emu.stop().await;
}
