//! The dashboard (`GET /_emulator/`) and what it reads beyond the sessions and statistics:
//! what was stored (`GET /_emulator/items`), with download URLs a browser follows without a
//! token, and the last requests (`GET /_emulator/requests`). The page in a real browser is
//! tested in `crates/cli/tests/dashboard.rs`.

use graph_upload_server::fixtures::MESSAGE_ID;
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID, USER_ID};
use graph_upload_testkit::emulator::{Emulator, TOKEN, base64, message_path, share, test_data};
use graph_upload_testkit::reply::Reply;
use reqwest::Method;
use serde_json::{Value, json};

const KIB: usize = 1024;

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .header(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", reply.headers))
}

#[tokio::test]
async fn the_page_needs_no_token_and_carries_no_data() {
    let emu = Emulator::start().await;
    let (_, print) = emu.new_print_upload(1000).await;
    let sessions = emu.open_sessions().await;
    let session_id = sessions[0]["id"].as_str().expect("a session id").to_owned();
    assert!(print.upload_url.contains(&session_id));

    let page = emu.send(emu.bare(Method::GET, "/_emulator/")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert_eq!(header(&page, "content-type"), "text/html; charset=utf-8");
    let policy = header(&page, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
    ] {
        assert!(policy.contains(directive), "{policy}");
    }
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");
    let html = page.text();
    assert!(html.contains("<script src=\"dashboard.js\""), "{html}");
    assert!(html.contains("id=\"sign-in-form\""), "{html}");
    assert!(!html.contains(&session_id), "the page carries data: {html}");

    for (path, content_type) in [
        ("/_emulator/dashboard.js", "text/javascript; charset=utf-8"),
        ("/_emulator/dashboard.css", "text/css; charset=utf-8"),
    ] {
        let asset = emu.send(emu.bare(Method::GET, path)).await;
        assert_eq!(asset.status, 200, "{path}");
        assert_eq!(header(&asset, "content-type"), content_type, "{path}");
        assert!(!asset.text().contains(&session_id));
    }
    // The page is written for relative calls from `/_emulator/`: without the slash, go there.
    let bare = emu.send(emu.bare(Method::GET, "/_emulator")).await;
    assert_eq!(bare.status, 308);
    assert_eq!(header(&bare, "location"), "/_emulator/");

    // What the page reads needs the token.
    for path in [
        "/_emulator/items",
        "/_emulator/requests",
        "/_emulator/sessions",
    ] {
        let refused = emu.send(emu.bare(Method::GET, path)).await;
        assert_eq!(refused.status, 401, "{path}: {}", refused.text());
        assert!(!refused.text().contains(&session_id));
    }
}

/// The item of `kind` in `items`.
fn item<'a>(items: &'a Value, kind: &str) -> &'a Value {
    items["value"]
        .as_array()
        .expect("value array")
        .iter()
        .find(|item| item["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} item in {items:#}"))
}

#[tokio::test]
async fn stored_files_of_every_kind_are_listed_with_download_urls_that_need_no_token() {
    let emu = Emulator::start().await;
    // A print document, uploaded.
    let print_data = test_data(700 * KIB, 1);
    let (target, print) = emu.new_print_upload(print_data.len() as u64).await;
    let reply = emu
        .upload_all(&print.upload_url, &print_data, 320 * KIB)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    // A To Do attachment, a drive file and an Outlook attachment, each through a session.
    let todo_data = test_data(5000, 2);
    let todo = emu
        .create_todo_session("notes.bin", todo_data.len() as u64)
        .await;
    let reply = emu.upload_all(&todo.upload_url, &todo_data, 4096).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let drive_data = test_data(4000, 3);
    let drive = emu
        .create_drive_session("/me/drive/root:/Documents/q3 final é.txt:", None)
        .await;
    let reply = emu.upload_all(&drive.upload_url, &drive_data, 4000).await;
    assert!(
        reply.status == 200 || reply.status == 201,
        "{}",
        reply.text()
    );
    let mail_data = test_data(3000, 4);
    // (Outlook sessions start at 3 MB: a small attachment is one POST.)
    let reply = emu
        .post_json(
            &format!("{}/attachments", message_path()),
            &json!({"@odata.type": "#microsoft.graph.fileAttachment", "name": "slides.pdf",
                    "contentType": "application/pdf", "contentBytes": base64(&mail_data)}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    // And a print job whose document never came.
    let pending = emu.create_print_job(&share(SHARE_ID)).await;

    let items = emu.emulator_json("/_emulator/items").await;
    assert_eq!(items["count"], 5, "{items:#}");

    let listed = item(&items, "print");
    let listed = if listed["id"] == pending.job {
        items["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["kind"] == "print" && item["id"] == target.job)
            .expect("the uploaded job")
    } else {
        listed
    };
    assert_eq!(listed["id"], target.job);
    assert_eq!(listed["documentId"], target.document);
    assert_eq!(listed["name"], "report.pdf");
    assert_eq!(listed["size"], print_data.len());
    // Uploaded but not started: `paused` (printjob-start.md starts it).
    assert_eq!(listed["state"]["processingState"], "paused");
    assert!(
        listed["ownerPath"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/jobs/{}", target.job)),
        "{listed:#}"
    );
    let waiting = items["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"] == pending.job)
        .expect("the job without its document");
    assert_eq!(waiting["size"], Value::Null);
    assert_eq!(waiting["downloadUrl"], Value::Null);

    let todo_item = item(&items, "todo");
    assert_eq!(
        todo_item["ownerPath"],
        format!(
            "/users/{USER_ID}/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/{}",
            todo_item["id"].as_str().unwrap()
        )
    );
    let drive_item = item(&items, "drive");
    assert!(
        drive_item["ownerPath"]
            .as_str()
            .unwrap()
            .ends_with("/root:/Documents/q3 final é.txt"),
        "{drive_item:#}"
    );
    let mail_item = item(&items, "outlook");
    assert!(
        mail_item["ownerPath"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "/users/{USER_ID}/messages/{MESSAGE_ID}/attachments/"
            )),
        "{mail_item:#}"
    );

    for (listed, data, name) in [
        (listed, &print_data, "report.pdf"),
        (todo_item, &todo_data, "notes.bin"),
        (drive_item, &drive_data, "q3 final é.txt"),
        (mail_item, &mail_data, "slides.pdf"),
    ] {
        assert_eq!(listed["name"], name);
        assert_eq!(listed["size"], data.len());
        let url = listed["downloadUrl"].as_str().expect("a download URL");
        assert!(url.contains("tempauthtoken="), "{url}");
        let download = emu.get_download(url).await;
        assert_eq!(download.status, 200, "{name}: {}", download.text());
        assert_eq!(&download.body, data, "{name}: the bytes stored");
        let disposition = header(&download, "content-disposition");
        assert!(
            disposition.starts_with("attachment; filename="),
            "{disposition}"
        );
        // With the bearer token, as a client that forwards it would: refused.
        let forwarded = emu.send(emu.client.get(url).bearer_auth(TOKEN)).await;
        assert_eq!(forwarded.status, 401, "{name}");
        // A tampered token: refused.
        let tampered = emu.get_download(&format!("{url}x")).await;
        assert_eq!(tampered.status, 401, "{name}");
        // A range, as a resumed download asks.
        let range = emu
            .send(emu.client.get(url).header("range", "bytes=10-19"))
            .await;
        assert_eq!(range.status, 206, "{name}");
        assert_eq!(range.body, data[10..20], "{name}");
    }
    // One kind's URL does not open another's file.
    let todo_url = todo_item["downloadUrl"].as_str().unwrap();
    let swapped = todo_url.replacen("/downloads/todo/", "/downloads/outlook/", 1);
    assert_eq!(emu.get_download(&swapped).await.status, 401);

    // A deleted file's URL answers 404.
    let deleted = emu
        .send(emu.api(
            Method::DELETE,
            &format!(
                "/me/todo/lists/{LIST_ID}/tasks/{TASK_ID}/attachments/{}",
                todo_item["id"].as_str().unwrap()
            ),
        ))
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_eq!(emu.get_download(todo_url).await.status, 404);

    // `top` takes the newest; a bad one is refused with Graph's error JSON.
    let newest = emu.emulator_json("/_emulator/items?top=2").await;
    assert_eq!(newest["count"], 4);
    assert_eq!(newest["value"].as_array().unwrap().len(), 2);
    for bad in ["0", "abc", "1001"] {
        let reply = emu
            .send(
                emu.bare(Method::GET, &format!("/_emulator/items?top={bad}"))
                    .bearer_auth(TOKEN),
            )
            .await;
        assert_eq!(reply.status, 400, "top={bad}");
        assert_eq!(
            reply.value()["error"]["code"],
            "invalidRequest",
            "{}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn the_last_requests_are_listed_newest_first_with_their_query_hidden_and_faults_named() {
    let emu = Emulator::start().await;
    let data = test_data(640 * KIB, 9);
    let (_, print) = emu.new_print_upload(data.len() as u64).await;
    let accepted = emu
        .put_fragment(&print.upload_url, 0, &data[..320 * KIB], data.len() as u64)
        .await;
    assert_eq!(accepted.status, 202);
    let reply = emu
        .send(
            emu.bare(Method::PUT, "/_emulator/faults")
                .bearer_auth(TOKEN)
                .header("content-type", "application/json")
                .body(
                    json!([{"route": "put", "every": 1, "status": 503, "retryAfter": 1}])
                        .to_string(),
                ),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let faulted = emu
        .put_fragment(
            &print.upload_url,
            320 * KIB as u64,
            &data[320 * KIB..],
            data.len() as u64,
        )
        .await;
    assert_eq!(faulted.status, 503);

    let requests = emu.emulator_json("/_emulator/requests").await;
    let requests = requests["value"].as_array().expect("value array");
    // Job, session, two PUTs: the emulator's own calls (the fault rules, this read) are not kept.
    assert_eq!(requests.len(), 4, "{requests:#?}");
    assert!(
        requests
            .iter()
            .all(|request| !request["path"].as_str().unwrap().starts_with("/_emulator")),
        "{requests:#?}"
    );
    let seqs: Vec<u64> = requests
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [4, 3, 2, 1], "newest first");

    let newest = &requests[0];
    assert_eq!(newest["method"], "PUT");
    assert_eq!(newest["status"], 503);
    assert_eq!(newest["faultRule"], 0);
    assert_eq!(newest["requestId"], header(&faulted, "request-id"));
    let path = newest["path"].as_str().unwrap();
    assert!(
        path.starts_with("/uploadSessions/") && path.ends_with("?..."),
        "{path}"
    );
    assert!(!path.contains("tempauthtoken"), "{path}");
    assert_eq!(newest["bytesIn"], 320 * KIB);
    assert!(newest["durationMs"].as_f64().unwrap() >= 0.0);
    assert!(newest["timeMs"].as_u64().unwrap() > 1_600_000_000_000);

    let earlier = &requests[1];
    assert_eq!(earlier["status"], 202);
    assert_eq!(earlier["faultRule"], Value::Null);
    assert_eq!(earlier["requestId"], header(&accepted, "request-id"));
    assert_eq!(requests[3]["method"], "POST");
    assert!(
        requests[3]["path"].as_str().unwrap().ends_with("/jobs"),
        "{requests:#?}"
    );
}

#[tokio::test]
async fn changes_answers_as_soon_as_the_app_makes_a_request_and_after_a_second_otherwise() {
    let emu = Emulator::start().await;
    let version = |body: &Value| body["version"].as_u64().expect("a version");
    let now = version(&emu.emulator_json("/_emulator/changes").await);

    // Nothing happens (the emulator's own routes do not count): the wait ends after a second.
    let started = std::time::Instant::now();
    emu.emulator_json("/_emulator/stats").await;
    let waited = emu
        .emulator_json(&format!("/_emulator/changes?after={now}"))
        .await;
    let elapsed = started.elapsed();
    assert_eq!(version(&waited), now);
    assert!(
        elapsed >= std::time::Duration::from_millis(900),
        "answered after {elapsed:?} without a change"
    );

    // A request of the app wakes the waiter at once.
    let waiter = {
        let client = emu.client.clone();
        let url = format!("{}/_emulator/changes?after={now}", emu.base);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let reply = client.get(url).bearer_auth(TOKEN).send().await.unwrap();
            let body: Value = serde_json::from_slice(&reply.bytes().await.unwrap()).unwrap();
            (body, started.elapsed())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(emu.get("/print/shares").await.status, 200);
    let (body, elapsed) = waiter.await.unwrap();
    assert!(version(&body) > now, "{body}");
    assert!(
        elapsed < std::time::Duration::from_millis(900),
        "woken after {elapsed:?}, not by the request"
    );

    // A version from before a restart (above the current one) answers at once; a bad one is
    // refused.
    let started = std::time::Instant::now();
    emu.emulator_json("/_emulator/changes?after=999999").await;
    assert!(started.elapsed() < std::time::Duration::from_millis(900));
    let reply = emu
        .send(
            emu.bare(Method::GET, "/_emulator/changes?after=soon")
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.text());
}
