//! Print documents: creating the upload session, fragments in any order and in parallel,
//! status, cancel, starting the job, and the OXPS rule.

use crate::checks::{assert_print_done, assert_print_progress};
use graph_upload_models::{UploadSession, error_codes};
use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{
    Emulator, TOKEN, assert_graph_error, printer, share, test_data,
};
use graph_upload_testkit::reply::Reply;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn print_create_upload_session_answers_an_upload_session() {
    let emu = Emulator::start().await;
    for parent in [share(SHARE_ID), printer(PRINTER_ID)] {
        let target = emu.create_print_job(&parent).await;
        let reply = emu
            .create_print_session_raw(
                &target,
                &json!({"properties": {"documentName": "TestFile.pdf",
                    "contentType": "application/pdf", "size": 4_533_322}}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(
            reply
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/json"))
        );
        // `@odata.context` may be there and must be tolerated: the typed read ignores it.
        let value = reply.value();
        if let Some(context) = value.get("@odata.context") {
            assert!(
                context.as_str().unwrap().contains("uploadSession"),
                "{value}"
            );
        }
        let session: UploadSession = reply.upload_session();
        assert!(
            session
                .upload_url
                .starts_with(&format!("{}/uploadSessions/", emu.base)),
            "{}",
            session.upload_url
        );
        assert!(
            session.upload_url.contains("tempauthtoken="),
            "{}",
            session.upload_url
        );
        assert_eq!(session.next_expected_ranges, ["0-4533321"]);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(session.expiration_date_time.unix_timestamp() > now);
        // The status says the same.
        let status = emu.status_value(&session.upload_url).await;
        assert_eq!(status["nextExpectedRanges"], json!(["0-4533321"]));
        assert_eq!(emu.delete_session(&session.upload_url).await.status, 204);
    }
    // Under /beta too.
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    let reply = emu
        .send(
            emu.bare(
                Method::POST,
                &format!("/beta{}", target.create_session_path()),
            )
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(
                serde_json::to_vec(&json!({"properties": {"documentName": "b.pdf",
                    "contentType": "application/pdf", "size": 10}}))
                .unwrap(),
            ),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.upload_session().next_expected_ranges, ["0-9"]);
    emu.stop().await;
}

#[tokio::test]
async fn print_fragments_in_any_order_list_every_missing_range() {
    let emu = Emulator::start().await;
    let size = 10 * 1024 + 7;
    let data = test_data(size, 1);
    let (target, session) = emu.new_print_upload(size as u64).await;
    let url = &session.upload_url;
    let total = size as u64;

    // The middle first.
    let reply = emu.put_fragment(url, 4096, &data[4096..8192], total).await;
    assert_print_progress(&reply, &["0-4095", "8192-10246"]);
    // Then a piece in the middle of the first gap.
    let reply = emu.put_fragment(url, 1000, &data[1000..2000], total).await;
    assert_print_progress(&reply, &["0-999", "2000-4095", "8192-10246"]);
    // The end.
    let reply = emu.put_fragment(url, 8192, &data[8192..], total).await;
    assert_print_progress(&reply, &["0-999", "2000-4095"]);
    // GET says the same.
    assert_eq!(emu.missing(url).await, ["0-999", "2000-4095"]);
    // Graph's own example form `bytes=`.
    let reply = emu
        .send(emu.put_request(
            url,
            &format!("bytes=2000-4095/{total}"),
            data[2000..4096].to_vec(),
        ))
        .await;
    assert_print_progress(&reply, &["0-999"]);
    let reply = emu.put_fragment(url, 0, &data[..1000], total).await;
    assert_print_done(&reply, &target, "report.pdf", "application/pdf", total);

    // The session is gone: GET, PUT and DELETE answer 404 itemNotFound.
    let gone = emu.get_status(url).await;
    assert_graph_error(&gone, 404, error_codes::ITEM_NOT_FOUND, None);
    let gone = emu.put_fragment(url, 0, &data[..10], total).await;
    assert_graph_error(&gone, 404, error_codes::ITEM_NOT_FOUND, None);
    let gone = emu.delete_session(url).await;
    assert_graph_error(&gone, 404, error_codes::ITEM_NOT_FOUND, None);

    // The bytes, the document and the job.
    let location = emu.print_download_url(&target).await;
    let value = emu.get_download(&location).await;
    assert_eq!(value.status, 200);
    assert_eq!(value.header("content-type"), Some("application/pdf"));
    assert_eq!(value.body, data);
    let document = emu.get_json(&target.document_path()).await;
    assert_eq!(document["displayName"], "report.pdf", "{document}");
    assert_eq!(document["size"], total, "{document}");
    assert_eq!(document["contentType"], "application/pdf", "{document}");
    let job = emu.get_json(&target.job_path()).await;
    assert!(
        !job["status"]["details"]
            .as_array()
            .unwrap()
            .contains(&json!("uploadPending")),
        "{job}"
    );
    emu.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_print_fragments_then_value_matches() {
    let emu = Emulator::start().await;
    let fragments = 8;
    let fragment = 1024 * 1024 + 4321;
    let size = fragments * fragment - 999;
    let data = std::sync::Arc::new(test_data(size, 2));
    let (target, session) = emu.new_print_upload(size as u64).await;
    let url = session.upload_url.clone();
    // Sent in a scrambled order, all at once.
    let order = [5usize, 0, 7, 2, 4, 1, 6, 3];
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(fragments));
    let mut tasks = Vec::new();
    for index in order {
        let start = index * fragment;
        let end = ((index + 1) * fragment).min(size);
        let request = emu.fragment_request(&url, start as u64, &data[start..end], size as u64);
        let barrier = std::sync::Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            Reply::read(request.send().await.expect("fragment sent")).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let reply = task.await.expect("task");
        match reply.status {
            202 => assert_eq!(
                reply.keys(),
                ["expirationDateTime", "nextExpectedRanges"],
                "{}",
                reply.text()
            ),
            201 => {
                created += 1;
                assert_print_done(
                    &reply,
                    &target,
                    "report.pdf",
                    "application/pdf",
                    size as u64,
                );
            }
            other => panic!("fragment answered {other}: {}", reply.text()),
        }
    }
    assert_eq!(created, 1, "exactly one fragment completes the upload");
    assert!(
        emu.print_value(&target).await == *data,
        "$value differs from the file sent"
    );
    emu.stop().await;
}

#[tokio::test]
async fn print_status_mid_upload_and_cancel() {
    let emu = Emulator::start().await;
    let size = 5000u64;
    let data = test_data(size as usize, 3);
    let (target, session) = emu.new_print_upload(size).await;
    let url = &session.upload_url;
    assert_eq!(emu.blob_count(), 1, "the session has its file");
    assert_print_progress(
        &emu.put_fragment(url, 100, &data[100..200], size).await,
        &["0-99", "200-4999"],
    );
    assert_print_progress(
        &emu.put_fragment(url, 4000, &data[4000..], size).await,
        &["0-99", "200-3999"],
    );
    let status = emu.get_status(url).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.keys(), ["expirationDateTime", "nextExpectedRanges"]);
    assert_eq!(
        status.value()["nextExpectedRanges"],
        json!(["0-99", "200-3999"])
    );

    let deleted = emu.delete_session(url).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert!(deleted.body.is_empty());
    assert_eq!(emu.blob_count(), 0, "the session's bytes are gone");
    assert_graph_error(
        &emu.get_status(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(
        &emu.put_fragment(url, 0, &data[..100], size).await,
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

    // The document still waits for its upload; a new session completes it.
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["details"], json!(["uploadPending"]));
    let session = emu
        .create_print_session(&target, "again.pdf", "application/pdf", size)
        .await;
    let reply = emu.upload_all(&session.upload_url, &data, 2048).await;
    assert_print_done(&reply, &target, "again.pdf", "application/pdf", size);
    assert_eq!(emu.print_value(&target).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn print_job_starts_only_after_the_upload() {
    let emu = Emulator::start().await;
    let data = test_data(3000, 4);
    let (target, session) = emu.new_print_upload(3000).await;
    let start_path = format!("{}/start", target.job_path());
    let early = emu.send(emu.api(Method::POST, &start_path)).await;
    assert_graph_error(
        &early,
        400,
        error_codes::INVALID_REQUEST,
        Some("uploadPending"),
    );
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "paused");

    let reply = emu.upload_all(&session.upload_url, &data, 1024).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let started = emu.send(emu.api(Method::POST, &start_path)).await;
    assert_eq!(started.status, 200, "{}", started.text());
    assert_eq!(started.value()["state"], "processing", "{}", started.text());
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "processing", "{job}");
    assert_eq!(job["status"]["details"], json!([]), "{job}");
    emu.stop().await;
}

#[tokio::test]
async fn oxps_is_converted_for_pdf_printers_and_refused_for_photo_printers() {
    let emu = Emulator::start().await;
    let data = test_data(2000, 11);
    // A PDF printer without OXPS: accepted (the service converts).
    for parent in [printer(PRINTER_ID), share(SHARE_ID)] {
        let target = emu.create_print_job(&parent).await;
        let session = emu
            .create_print_session(&target, "page.oxps", "application/oxps", 2000)
            .await;
        let reply = emu.upload_all(&session.upload_url, &data, 1500).await;
        assert_print_done(&reply, &target, "page.oxps", "application/oxps", 2000);
        assert_eq!(emu.print_value(&target).await, data);
    }
    // The OXPS printer: accepted as is.
    let target = emu.create_print_job(&printer(OXPS_PRINTER_ID)).await;
    let session = emu
        .create_print_session(&target, "page.oxps", "application/oxps", 2000)
        .await;
    assert_eq!(session.next_expected_ranges, ["0-1999"]);
    // The photo printer (neither OXPS nor PDF): refused.
    let target = emu.create_print_job(&printer(PHOTO_PRINTER_ID)).await;
    let before = emu.blob_count();
    let reply = emu
        .create_print_session_raw(
            &target,
            &json!({"properties": {"documentName": "page.oxps",
                "contentType": "application/oxps", "size": 2000}}),
        )
        .await;
    assert_graph_error(&reply, 400, error_codes::INVALID_REQUEST, None);
    assert_eq!(emu.blob_count(), before);
    // ...but it takes what it supports.
    let session = emu
        .create_print_session(&target, "photo.png", "image/png", 2000)
        .await;
    assert_eq!(session.next_expected_ranges, ["0-1999"]);
    emu.stop().await;
}
