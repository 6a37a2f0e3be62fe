//! The Graph emulator against PROTOCOL.md, over plain HTTP: the happy paths and every row of
//! its tables that a well-behaved client meets (creating sessions, uploading fragments in any
//! order or in parallel for print and in order for To Do, status, cancel, completion, `$value`,
//! 0-byte and 1-byte files, the OXPS rule, restarts in the middle of an upload, expiry).
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

use graph_upload_models::{GraphDateTime, PrintDocument, UploadSession, error_codes};
use graph_upload_server::fixtures::{
    LIST_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID, PRINTER_ID, SHARE_ID, TASK_ID, USER_ID,
};
use graph_upload_testkit::emulator::{
    self, Emulator, PrintTarget, QUANTUM, TOKEN, assert_graph_error, base64, last_segment, printer,
    share, test_data, todo_task_path,
};
use graph_upload_testkit::reply::Reply;
use graph_upload_testkit::urls::{is_todo, rebase};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

fn ids(list: &serde_json::Value) -> Vec<String> {
    list["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array in {list}"))
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_string())
        .collect()
}

fn ranges(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn expiration(reply: &Reply) -> GraphDateTime {
    reply
        .session_status()
        .expiration_date_time
        .unwrap_or_else(|| panic!("no expiration in {}", reply.text()))
}

/// Checks a print progress reply: `202`, exactly the camelCase members, these ranges.
#[track_caller]
fn assert_print_progress(reply: &Reply, expected: &[&str]) {
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(
        reply.keys(),
        ["expirationDateTime", "nextExpectedRanges"],
        "{}",
        reply.text()
    );
    assert_eq!(
        reply.session_status().next_expected_ranges,
        Some(ranges(expected)),
        "{}",
        reply.text()
    );
}

/// Checks a To Do progress reply: `200`, exactly the PascalCase members, the next start.
#[track_caller]
fn assert_todo_progress(reply: &Reply, next: u64) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.keys(),
        ["ExpirationDateTime", "NextExpectedRanges"],
        "{}",
        reply.text()
    );
    assert_eq!(
        reply.value()["NextExpectedRanges"],
        json!([next.to_string()]),
        "{}",
        reply.text()
    );
}

/// Checks the final print reply: `201` with the printDocument.
#[track_caller]
fn assert_print_done(
    reply: &Reply,
    target: &PrintTarget,
    name: &str,
    content_type: &str,
    size: u64,
) {
    assert_eq!(reply.status, 201, "{}", reply.text());
    let document: PrintDocument = serde_json::from_slice(&reply.body).expect("printDocument");
    assert_eq!(document.id, target.document);
    assert_eq!(document.document_name.as_deref(), Some(name));
    assert_eq!(document.content_type.as_deref(), Some(content_type));
    assert_eq!(document.size, size);
    let value = reply.value();
    for member in ["id", "documentName", "contentType", "size"] {
        assert!(value.get(member).is_some(), "{member} missing in {value}");
    }
}

/// Checks the final To Do reply (`201`, empty body, `Content-Length: 0`, `Location`) and
/// returns the attachment id.
#[track_caller]
fn assert_todo_done(reply: &Reply) -> String {
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(reply.body.is_empty(), "body: {}", reply.text());
    assert_eq!(reply.header("content-length"), Some("0"));
    let location = reply.header("location").expect("Location header");
    assert!(
        location.contains(&format!(
            "/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/"
        )),
        "{location}"
    );
    last_segment(location)
}

#[tokio::test]
async fn list_endpoints_find_the_fixtures_under_every_prefix() {
    let emu = Emulator::start().await;
    for prefix in ["/v1.0", "/beta", ""] {
        let get = |path: String| {
            let emu = &emu;
            async move {
                let reply = emu
                    .send(emu.bare(Method::GET, &path).bearer_auth(TOKEN))
                    .await;
                assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
                assert!(
                    reply
                        .header("content-type")
                        .is_some_and(|t| t.starts_with("application/json")),
                    "GET {path}"
                );
                reply.value()
            }
        };
        let printers = get(format!("{prefix}/print/printers")).await;
        let printer_ids = ids(&printers);
        for id in [PRINTER_ID, OXPS_PRINTER_ID, PHOTO_PRINTER_ID] {
            assert!(
                printer_ids.contains(&id.to_string()),
                "{prefix}: {printers}"
            );
        }
        let main = printers["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == PRINTER_ID)
            .unwrap();
        let types = main["capabilities"]["contentTypes"].as_array().unwrap();
        assert!(types.contains(&json!("application/pdf")), "{main}");
        assert!(!types.contains(&json!("application/oxps")), "{main}");

        let shares = get(format!("{prefix}/print/shares")).await;
        assert!(ids(&shares).contains(&SHARE_ID.to_string()), "{shares}");
        let one = get(format!("{prefix}/print/shares/{SHARE_ID}")).await;
        assert_eq!(one["id"], SHARE_ID);
        let one = get(format!("{prefix}/print/printers/{PHOTO_PRINTER_ID}")).await;
        assert_eq!(one["id"], PHOTO_PRINTER_ID);

        for owner in ["/me".to_string(), format!("/users/{USER_ID}")] {
            let lists = get(format!("{prefix}{owner}/todo/lists")).await;
            assert!(ids(&lists).contains(&LIST_ID.to_string()), "{lists}");
            let list = get(format!("{prefix}{owner}/todo/lists/{LIST_ID}")).await;
            assert_eq!(list["id"], LIST_ID);
            let tasks = get(format!("{prefix}{owner}/todo/lists/{LIST_ID}/tasks")).await;
            assert!(ids(&tasks).contains(&TASK_ID.to_string()), "{tasks}");
            let task = get(format!(
                "{prefix}{owner}/todo/lists/{LIST_ID}/tasks/{TASK_ID}"
            ))
            .await;
            assert_eq!(task["id"], TASK_ID);
            let attachments = get(format!(
                "{prefix}{owner}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments"
            ))
            .await;
            assert_eq!(attachments["value"], json!([]));
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn print_jobs_are_created_paused_with_one_empty_document() {
    let emu = Emulator::start().await;
    let configuration = json!({"configuration": {"copies": 2, "colorMode": "grayscale"}});
    for (parent, body) in [
        (share(SHARE_ID), json!({})),
        (share(SHARE_ID), configuration.clone()),
        (printer(PRINTER_ID), json!({})),
        (printer(PRINTER_ID), configuration.clone()),
    ] {
        let reply = emu.post_json(&format!("{parent}/jobs"), &body).await;
        assert_eq!(reply.status, 201, "{parent}: {}", reply.text());
        let job = reply.value();
        assert_eq!(job["status"]["state"], "paused", "{job}");
        assert_eq!(job["status"]["details"], json!(["uploadPending"]), "{job}");
        let documents = job["documents"].as_array().expect("documents");
        assert_eq!(documents.len(), 1, "{job}");
        let document = &documents[0];
        assert!(!document["id"].as_str().unwrap().is_empty());
        assert_eq!(document["displayName"], "", "{document}");
        assert_eq!(document["contentType"], "", "{document}");
        assert_eq!(document["size"], 0, "{document}");
        if body.get("configuration").is_some() {
            assert_eq!(job["configuration"], body["configuration"], "{job}");
        }

        let target = PrintTarget::from_job(&parent, &job);
        let fetched = emu.get_json(&target.job_path()).await;
        assert_eq!(fetched, job, "GET job equals the created job");
        let listed = emu.get_json(&format!("{parent}/jobs")).await;
        assert!(ids(&listed).contains(&target.job));
        let docs = emu
            .get_json(&format!("{}/documents", target.job_path()))
            .await;
        assert_eq!(docs["value"], json!([document.clone()]));
        let doc = emu.get_json(&target.document_path()).await;
        assert_eq!(&doc, document);
    }
    // An empty request body is the same as `{}`.
    let reply = emu
        .send(emu.api(Method::POST, &format!("{}/jobs", share(SHARE_ID))))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    emu.stop().await;
}

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
    let value = emu.get(&format!("{}/$value", target.document_path())).await;
    assert_eq!(value.status, 200);
    assert_eq!(value.header("content-type"), Some("application/pdf"));
    assert_eq!(value.body, data);
    let document = emu.get_json(&target.document_path()).await;
    assert_eq!(document["documentName"], "report.pdf", "{document}");
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
async fn todo_upload_in_order_then_location_and_value() {
    let emu = Emulator::start().await;
    let size = 2 * QUANTUM + 12_345;
    let data = test_data(size, 5);
    let total = size as u64;
    let session = emu.create_todo_session("flower.jpg", total).await;
    assert_eq!(session.next_expected_ranges, ["0-"]);
    let url = &session.upload_url;
    assert!(
        url.starts_with(&emu.base)
            && url.contains(&format!(
                "/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachmentSessions/"
            )),
        "{url}"
    );
    assert!(!url.contains('?'), "{url}");
    // `.../attachmentSessions/{id}`: the id is the last segment.
    let id = last_segment(url);
    assert!(!id.is_empty(), "{url}");
    assert!(url.ends_with(&format!("/attachmentSessions/{id}")), "{url}");
    let first = emu.put_fragment(url, 0, &data[..QUANTUM], total).await;
    assert_todo_progress(&first, QUANTUM as u64);
    // GET {uploadUrl} mid-upload: what is missing.
    assert_eq!(emu.missing(url).await, [format!("{QUANTUM}-{}", size - 1)]);
    let second = emu
        .put_fragment(url, QUANTUM as u64, &data[QUANTUM..2 * QUANTUM], total)
        .await;
    assert_todo_progress(&second, 2 * QUANTUM as u64);
    assert!(expiration(&second) >= expiration(&first));
    let last = emu
        .put_fragment(url, 2 * QUANTUM as u64, &data[2 * QUANTUM..], total)
        .await;
    let id = assert_todo_done(&last);

    // The Location answers the attachment (with the bearer).
    let location = last.header("location").unwrap().to_string();
    assert!(location.starts_with(&emu.base), "{location}");
    let attachment = emu.send(emu.client.get(&location).bearer_auth(TOKEN)).await;
    assert_eq!(attachment.status, 200, "{}", attachment.text());
    let attachment = attachment.value();
    assert_eq!(attachment["id"], id.as_str());
    assert_eq!(attachment["name"], "flower.jpg");
    assert_eq!(attachment["size"], total);
    assert_eq!(attachment["contentType"], "application/octet-stream");
    // It is listed, its bytes are the file, the task knows it has attachments.
    let listed = emu.todo_attachments().await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(emu.todo_value(&id).await, data);
    let task = emu.get_json(&todo_task_path()).await;
    assert_eq!(task["hasAttachments"], true, "{task}");
    // The session is gone.
    assert_graph_error(
        &emu.get_status(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    emu.stop().await;
}

#[tokio::test]
async fn todo_put_straight_to_the_upload_url_works_too() {
    let emu = Emulator::start().await;
    let data = test_data(70_000, 6);
    let total = data.len() as u64;
    let session = emu.create_todo_session("sdk.bin", total).await;
    let url = session.upload_url.as_str();
    // What Graph SDKs do: PUT {uploadUrl} itself (with the bearer).
    let put = |start: usize, end: usize| {
        emu.client
            .put(url)
            .bearer_auth(TOKEN)
            .header("content-type", "application/octet-stream")
            .header(
                "content-range",
                format!("bytes {start}-{}/{total}", end - 1),
            )
            .body(data[start..end].to_vec())
    };
    assert_todo_progress(&emu.send(put(0, 40_000)).await, 40_000);
    let id = assert_todo_done(&emu.send(put(40_000, 70_000)).await);
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn todo_cancel_deletes_the_session_and_its_bytes() {
    let emu = Emulator::start().await;
    let data = test_data(50_000, 7);
    let session = emu.create_todo_session("cancel.bin", 50_000).await;
    let url = &session.upload_url;
    assert_todo_progress(
        &emu.put_fragment(url, 0, &data[..20_000], 50_000).await,
        20_000,
    );
    assert_eq!(emu.blob_count(), 1);
    let deleted = emu.delete_session(url).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(emu.blob_count(), 0);
    assert_graph_error(
        &emu.get_status(url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert_graph_error(
        &emu.put_fragment(url, 20_000, &data[20_000..], 50_000).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    assert!(emu.todo_attachments().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn todo_sessions_under_users_path_and_beta_keep_their_prefix() {
    let emu = Emulator::start().await;
    let data = test_data(1234, 8);
    let path = format!(
        "/beta/users/{USER_ID}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/createUploadSession"
    );
    let reply = emu
        .send(
            emu.bare(Method::POST, &path)
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(
                    serde_json::to_vec(&json!({"attachmentInfo": {
                        "attachmentType": "file", "name": "beta.txt", "size": 1234}}))
                    .unwrap(),
                ),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let session = reply.upload_session();
    assert_eq!(session.next_expected_ranges, ["0-"]);
    assert!(
        session
            .upload_url
            .starts_with(&format!("{}/beta/users/{USER_ID}/", emu.base)),
        "{}",
        session.upload_url
    );
    let done = emu.upload_all(&session.upload_url, &data, 1000).await;
    let id = assert_todo_done(&done);
    let location = done.header("location").unwrap();
    assert!(location.contains("/beta/"), "{location}");
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn zero_byte_files_complete_on_one_empty_put() {
    let emu = Emulator::start().await;
    // Print.
    let (target, session) = emu.new_print_upload(0).await;
    assert_eq!(session.next_expected_ranges.len(), 1);
    let reply = emu.put_empty(&session.upload_url).await;
    assert_print_done(&reply, &target, "report.pdf", "application/pdf", 0);
    assert_eq!(emu.print_value(&target).await, Vec::<u8>::new());
    // To Do.
    let session = emu.create_todo_session("empty.txt", 0).await;
    assert_eq!(session.next_expected_ranges, ["0-"]);
    let reply = emu.put_empty(&session.upload_url).await;
    let id = assert_todo_done(&reply);
    assert_eq!(emu.todo_value(&id).await, Vec::<u8>::new());
    let listed = emu.todo_attachments().await;
    assert_eq!(listed[0]["size"], 0);
    emu.stop().await;
}

#[tokio::test]
async fn zero_byte_files_complete_on_an_empty_put_without_content_length() {
    let emu = Emulator::start().await;
    let (target, print) = emu.new_print_upload(0).await;
    let todo = emu.create_todo_session("empty.txt", 0).await;
    for url in [&print.upload_url, &todo.upload_url] {
        let mut path = rebase(url, "");
        let mut headers = vec![("Content-Range", "bytes */0".to_string())];
        if is_todo(url) {
            path.push_str("/content");
            headers.push(("Authorization", format!("Bearer {TOKEN}")));
            headers.push(("Content-Type", "application/octet-stream".to_string()));
        }
        let request = emulator::raw_request(emu.address(), "PUT", &path, &headers, b"");
        let reply = emulator::raw_exchange(emu.address(), &request, false).await;
        if is_todo(url) {
            let id = assert_todo_done(&reply);
            assert_eq!(emu.todo_value(&id).await, Vec::<u8>::new());
        } else {
            assert_print_done(&reply, &target, "report.pdf", "application/pdf", 0);
        }
    }
    // reqwest's own empty PUT, as a client would write it without thinking of the header.
    let session = emu.create_todo_session("empty2.txt", 0).await;
    let reply = emu
        .send(emu.put_request(&session.upload_url, "bytes */0", Vec::new()))
        .await;
    assert_todo_done(&reply);
    emu.stop().await;
}

#[tokio::test]
async fn one_byte_files() {
    let emu = Emulator::start().await;
    let (target, session) = emu.new_print_upload(1).await;
    assert_eq!(session.next_expected_ranges, ["0-0"]);
    let reply = emu.put_fragment(&session.upload_url, 0, b"x", 1).await;
    assert_print_done(&reply, &target, "report.pdf", "application/pdf", 1);
    assert_eq!(emu.print_value(&target).await, b"x");

    let session = emu.create_todo_session("one.txt", 1).await;
    let id = assert_todo_done(&emu.put_fragment(&session.upload_url, 0, b"y", 1).await);
    assert_eq!(emu.todo_value(&id).await, b"y");
    emu.stop().await;
}

#[tokio::test]
async fn files_of_whole_chunks_plus_one_byte() {
    let emu = Emulator::start().await;
    let size = 3 * QUANTUM + 1;
    let data = test_data(size, 9);

    let (target, session) = emu.new_print_upload(size as u64).await;
    let url = &session.upload_url;
    for k in 0..3 {
        let reply = emu
            .put_fragment(
                url,
                (k * QUANTUM) as u64,
                &data[k * QUANTUM..(k + 1) * QUANTUM],
                size as u64,
            )
            .await;
        assert_print_progress(&reply, &[&format!("{}-{}", (k + 1) * QUANTUM, size - 1)]);
    }
    let reply = emu
        .put_fragment(url, (3 * QUANTUM) as u64, &data[3 * QUANTUM..], size as u64)
        .await;
    assert_print_done(
        &reply,
        &target,
        "report.pdf",
        "application/pdf",
        size as u64,
    );
    assert_eq!(emu.print_value(&target).await, data);

    let session = emu.create_todo_session("chunks.bin", size as u64).await;
    let url = &session.upload_url;
    for k in 0..3 {
        let reply = emu
            .put_fragment(
                url,
                (k * QUANTUM) as u64,
                &data[k * QUANTUM..(k + 1) * QUANTUM],
                size as u64,
            )
            .await;
        assert_todo_progress(&reply, ((k + 1) * QUANTUM) as u64);
    }
    let reply = emu
        .put_fragment(url, (3 * QUANTUM) as u64, &data[3 * QUANTUM..], size as u64)
        .await;
    let id = assert_todo_done(&reply);
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn small_todo_attachment_in_one_post() {
    let emu = Emulator::start().await;
    let data = test_data(4099, 10);
    let reply = emu
        .post_json(
            &format!("{}/attachments", todo_task_path()),
            &json!({"@odata.type": "#microsoft.graph.taskFileAttachment",
                "name": "small.bin", "contentType": "application/zip",
                "contentBytes": base64(&data)}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let attachment = reply.value();
    assert_eq!(attachment["name"], "small.bin");
    assert_eq!(attachment["size"], 4099);
    assert_eq!(attachment["contentType"], "application/zip");
    let id = attachment["id"].as_str().unwrap().to_string();
    let value = emu
        .get(&format!("{}/attachments/{id}/$value", todo_task_path()))
        .await;
    assert_eq!(value.status, 200);
    assert_eq!(value.header("content-type"), Some("application/zip"));
    assert_eq!(value.body, data);
    assert_eq!(emu.todo_attachments().await.len(), 1);
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

#[tokio::test]
async fn print_upload_survives_a_restart() {
    let mut emu = Emulator::start().await;
    let size = 200_000usize;
    let data = test_data(size, 12);
    let (target, session) = emu.new_print_upload(size as u64).await;
    let old_base = emu.base.clone();
    assert_print_progress(
        &emu.put_fragment(&session.upload_url, 0, &data[..60_000], size as u64)
            .await,
        &["60000-199999"],
    );
    assert_print_progress(
        &emu.put_fragment(
            &session.upload_url,
            120_000,
            &data[120_000..150_000],
            size as u64,
        )
        .await,
        &["60000-119999", "150000-199999"],
    );
    emu.restart().await;
    assert_ne!(emu.base, old_base, "a new port");
    // Same path and query (same tempauthtoken) on the new server.
    let url = rebase(&session.upload_url, &emu.base);
    assert_eq!(emu.missing(&url).await, ["60000-119999", "150000-199999"]);
    assert_print_progress(
        &emu.put_fragment(&url, 60_000, &data[60_000..120_000], size as u64)
            .await,
        &["150000-199999"],
    );
    let reply = emu
        .put_fragment(&url, 150_000, &data[150_000..], size as u64)
        .await;
    assert_print_done(
        &reply,
        &target,
        "report.pdf",
        "application/pdf",
        size as u64,
    );
    assert_eq!(emu.print_value(&target).await, data);
    // And the finished document survives another restart.
    emu.restart().await;
    assert_eq!(emu.print_value(&target).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn todo_upload_survives_a_restart() {
    let mut emu = Emulator::start().await;
    let size = 100_000usize;
    let data = test_data(size, 13);
    let session = emu.create_todo_session("restart.bin", size as u64).await;
    assert_todo_progress(
        &emu.put_fragment(&session.upload_url, 0, &data[..40_000], size as u64)
            .await,
        40_000,
    );
    emu.restart().await;
    let url = rebase(&session.upload_url, &emu.base);
    assert_eq!(emu.missing(&url).await, ["40000-99999"]);
    assert_todo_progress(
        &emu.put_fragment(&url, 40_000, &data[40_000..80_000], size as u64)
            .await,
        80_000,
    );
    let reply = emu
        .put_fragment(&url, 80_000, &data[80_000..], size as u64)
        .await;
    let id = assert_todo_done(&reply);
    let location = reply.header("location").unwrap();
    assert!(location.starts_with(&emu.base), "{location}");
    assert_eq!(emu.todo_value(&id).await, data);
    emu.restart().await;
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn expired_sessions_answer_not_found() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(600);
    })
    .await;
    let data = test_data(1000, 14);
    let (_, print) = emu.new_print_upload(1000).await;
    let todo = emu.create_todo_session("late.bin", 1000).await;
    for (url, status) in [(&print.upload_url, 202), (&todo.upload_url, 200)] {
        assert_eq!(
            emu.put_fragment(url, 0, &data[..100], 1000).await.status,
            status
        );
    }
    clock.advance(Duration::from_secs(599));
    for url in [&print.upload_url, &todo.upload_url] {
        assert_eq!(emu.get_status(url).await.status, 200, "{url}");
    }
    clock.advance(Duration::from_secs(2));
    for url in [&print.upload_url, &todo.upload_url] {
        assert_graph_error(
            &emu.get_status(url).await,
            404,
            error_codes::ITEM_NOT_FOUND,
            None,
        );
        assert_graph_error(
            &emu.put_fragment(url, 100, &data[100..200], 1000).await,
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
    emu.stop().await;
}

#[tokio::test]
async fn an_accepted_fragment_extends_the_expiry() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(600);
    })
    .await;
    let data = test_data(1000, 15);
    let (target, print) = emu.new_print_upload(1000).await;
    let todo = emu.create_todo_session("extend.bin", 1000).await;
    let created = CLOCK_START_SECS + 600;
    assert_eq!(print.expiration_date_time.unix_timestamp(), created);
    assert_eq!(todo.expiration_date_time.unix_timestamp(), created);

    clock.advance(Duration::from_secs(300));
    for (url, start, status) in [
        (&print.upload_url, 500usize, 202),
        (&todo.upload_url, 0, 200),
    ] {
        let reply = emu
            .put_fragment(url, start as u64, &data[start..start + 500], 1000)
            .await;
        assert_eq!(reply.status, status, "{}", reply.text());
        assert_eq!(
            expiration(&reply).unix_timestamp(),
            created + 300,
            "{}",
            reply.text()
        );
    }
    // Past the first expiry, the sessions live on.
    clock.advance(Duration::from_secs(400));
    for url in [&print.upload_url, &todo.upload_url] {
        let status = emu.get_status(url).await;
        assert_eq!(status.status, 200, "{url}: {}", status.text());
        assert_eq!(expiration(&status).unix_timestamp(), created + 300);
    }
    assert_print_done(
        &emu.put_fragment(&print.upload_url, 0, &data[..500], 1000)
            .await,
        &target,
        "report.pdf",
        "application/pdf",
        1000,
    );
    let id = assert_todo_done(
        &emu.put_fragment(&todo.upload_url, 500, &data[500..], 1000)
            .await,
    );
    assert_eq!(emu.print_value(&target).await, data);
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

const CLOCK_START_SECS: i64 = emulator::CLOCK_START.as_secs() as i64;

#[tokio::test]
async fn the_sweeper_removes_expired_sessions_from_disk() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(600);
        config.sweep_interval = Duration::from_millis(50);
    })
    .await;
    let data = test_data(1000, 16);
    // A finished document, which must stay.
    let (done_target, done) = emu.new_print_upload(1000).await;
    assert_eq!(
        emu.upload_all(&done.upload_url, &data, 1000).await.status,
        201
    );
    // A session that expires first: its removal shows that a sweep ran.
    let (_, early) = emu.new_print_upload(1000).await;
    assert_eq!(
        emu.put_fragment(&early.upload_url, 0, &data[..100], 1000)
            .await
            .status,
        202
    );
    clock.advance(Duration::from_secs(400));
    // Two sessions with some bytes, which expire 400 s later.
    let (_, print) = emu.new_print_upload(1000).await;
    let todo = emu.create_todo_session("swept.bin", 1000).await;
    for (url, status) in [(&print.upload_url, 202), (&todo.upload_url, 200)] {
        assert_eq!(
            emu.put_fragment(url, 0, &data[..100], 1000).await.status,
            status
        );
    }
    assert_eq!(emu.blob_count(), 4);
    // Only the early session has expired: a sweep removes it and leaves the other two.
    clock.advance(Duration::from_secs(201));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while emu.blob_count() > 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no sweep removed the expired session"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(emu.blob_count(), 3, "a sweep removed unexpired sessions");
    assert_graph_error(
        &emu.get_status(&early.upload_url).await,
        404,
        error_codes::ITEM_NOT_FOUND,
        None,
    );
    for url in [&print.upload_url, &todo.upload_url] {
        assert_eq!(emu.get_status(url).await.status, 200);
    }

    // Past every expiry, even one a status GET would have extended.
    clock.advance(Duration::from_secs(1000));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while emu.blob_count() > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sweeper left {} blobs",
            emu.blob_count()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(emu.blob_count(), 1);
    assert_eq!(emu.print_value(&done_target).await, data);
    for url in [&print.upload_url, &todo.upload_url] {
        assert_graph_error(
            &emu.get_status(url).await,
            404,
            error_codes::ITEM_NOT_FOUND,
            None,
        );
    }
    assert!(is_todo(&todo.upload_url));
    emu.stop().await;
}

/// A client that vanishes mid-fragment (its connection dropped, the server's handler dropped
/// with it) must not leave its range reserved: the same range is accepted again right away.
#[tokio::test]
async fn a_fragment_abandoned_mid_body_does_not_block_its_range() {
    use tokio::io::AsyncWriteExt;
    let emu = Emulator::start().await;
    let size = 64 * 1024u64;
    let data = emulator::test_data(size as usize, 9);
    let (target, session) = emu.new_print_upload(size).await;
    let at = session.upload_url.find("/uploadSessions/").unwrap();
    let path = session.upload_url[at..].to_owned();
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Range: bytes 0-{}/{size}\r\nContent-Length: {size}\r\n\r\n",
        emu.address(),
        size - 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&data[..1000]).await.unwrap();
    // The emulator is reading the body (its range reserved) when the client vanishes.
    emu.wait_for_put_bytes(1000).await;
    drop(stream);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let reply = emu.put_fragment(&session.upload_url, 0, &data, size).await;
        if reply.status == 201 {
            break;
        }
        assert_eq!(
            reply.status,
            416,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the abandoned fragment's range stayed reserved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(emu.print_value(&target).await == data);
    emu.stop().await;
}
