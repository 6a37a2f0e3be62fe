//! To Do's resources as Graph's reference pages describe them: tasks with their documented
//! properties and `@odata.etag`, create/update/delete, attachments with `contentBytes`,
//! `hasAttachments` true to the data, the task's open attachment sessions, and Graph-shaped
//! ids (`=`, `-`, `_`) through every route, raw or percent-encoded.

use graph_upload_models::error_codes::{INVALID_REQUEST, ITEM_NOT_FOUND};
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::emulator::{
    Emulator, assert_graph_error, base64, share, test_data, todo_task_path,
};
use reqwest::Method;
use serde_json::{Value, json};

fn tasks_path() -> String {
    format!("/me/todo/lists/{LIST_ID}/tasks")
}

async fn send_json(
    emu: &Emulator,
    method: Method,
    path: &str,
    body: &Value,
) -> graph_upload_testkit::reply::Reply {
    emu.send(
        emu.api(method, path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap()),
    )
    .await
}

async fn task_count(emu: &Emulator) -> usize {
    emu.get_json(&tasks_path()).await["value"]
        .as_array()
        .unwrap()
        .len()
}

/// Attaches `bytes` to the task at `task` with one POST; the new attachment's id.
async fn attach(emu: &Emulator, task: &str, name: &str, bytes: &[u8]) -> String {
    let reply = emu
        .post_json(
            &format!("{task}/attachments"),
            &json!({"@odata.type": "#microsoft.graph.taskFileAttachment", "name": name,
                "contentType": "text/plain", "contentBytes": base64(bytes)}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.value()["id"].as_str().unwrap().to_owned()
}

/// todotasklist-post-tasks: the documented properties are kept, the defaults filled in (as in
/// the page's response: importance, isReminderOn, status, body), and `@odata.etag` is there.
#[tokio::test]
async fn create_keeps_the_documented_properties() {
    let emu = Emulator::start().await;
    let body = json!({
        "title": "Shop for dinner",
        "importance": "high",
        "isReminderOn": true,
        "status": "inProgress",
        "categories": ["Errands"],
        "body": {"content": "<p>bread</p>", "contentType": "html"},
        "dueDateTime": {"dateTime": "2020-07-25T16:00:00", "timeZone": "Eastern Standard Time"},
        "reminderDateTime": {"dateTime": "2020-07-25T09:00:00", "timeZone": "UTC"},
        "linkedResources": [{"webUrl": "http://microsoft.com", "applicationName": "Microsoft",
            "displayName": "Microsoft"}]
    });
    let reply = emu.post_json(&tasks_path(), &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let task = reply.value();
    for key in [
        "title",
        "importance",
        "isReminderOn",
        "status",
        "categories",
        "body",
        "dueDateTime",
        "reminderDateTime",
        "linkedResources",
    ] {
        assert_eq!(task[key], body[key], "{key} in {task:#}");
    }
    let id = task["id"].as_str().unwrap();
    assert!(id.starts_with("AAMkAD") && id.ends_with('='), "{id}");
    let etag = task["@odata.etag"].as_str().unwrap();
    assert!(etag.starts_with("W/\"") && etag.ends_with('"'), "{etag}");
    assert_eq!(task["hasAttachments"], false);
    for key in [
        "createdDateTime",
        "lastModifiedDateTime",
        "bodyLastModifiedDateTime",
    ] {
        assert!(task[key].is_string(), "{key} in {task:#}");
    }
    let read = emu.get_json(&format!("{}/{id}", tasks_path())).await;
    assert_eq!(read, task, "GET shows what POST answered");

    let minimal = emu
        .post_json(&tasks_path(), &json!({"title": "A new task"}))
        .await;
    assert_eq!(minimal.status, 201);
    let minimal = minimal.value();
    assert_eq!(minimal["importance"], "normal");
    assert_eq!(minimal["isReminderOn"], false);
    assert_eq!(minimal["status"], "notStarted");
    assert_eq!(
        minimal["body"],
        json!({"content": "", "contentType": "text"})
    );
    assert_eq!(minimal["categories"], json!([]));
    emu.stop().await;
}

/// Unknown properties and wrongly typed ones are refused with `400`, and nothing is created.
#[tokio::test]
async fn create_refuses_unknown_or_mistyped_properties() {
    let emu = Emulator::start().await;
    let before = task_count(&emu).await;
    for body in [
        json!({"title": "t", "colour": "red"}),
        json!({"title": "t", "importance": "urgent"}),
        json!({"title": "t", "isReminderOn": "yes"}),
        json!({"title": "t", "categories": "Errands"}),
        json!({"title": "t", "dueDateTime": "2020-07-25"}),
        json!({"title": "t", "status": 3}),
        json!({"title": 5}),
        json!({"title": "t", "@odata.type": "#microsoft.graph.message"}),
        json!({"importance": "low"}),
        json!(["not", "an", "object"]),
    ] {
        let reply = emu.post_json(&tasks_path(), &body).await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    }
    assert_eq!(task_count(&emu).await, before);
    emu.stop().await;
}

/// todotask-update: the page's example (a new dueDateTime) answers `200` with the whole task;
/// the etag and lastModifiedDateTime change, the rest stays; a bad PATCH changes nothing.
#[tokio::test]
async fn update_changes_the_given_properties_and_the_etag() {
    let (emu, clock) = Emulator::start_with_clock(|_| {}).await;
    let created = emu
        .post_json(
            &tasks_path(),
            &json!({"title": "Shop for dinner", "importance": "low"}),
        )
        .await
        .value();
    let path = format!("{}/{}", tasks_path(), created["id"].as_str().unwrap());
    clock.advance(std::time::Duration::from_secs(60));
    let due = json!({"dateTime": "2020-07-25T16:00:00", "timeZone": "Eastern Standard Time"});
    let reply = send_json(&emu, Method::PATCH, &path, &json!({"dueDateTime": due})).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let updated = reply.value();
    assert_eq!(updated["dueDateTime"], due);
    assert_eq!(updated["title"], "Shop for dinner");
    assert_eq!(updated["importance"], "low");
    assert_ne!(updated["@odata.etag"], created["@odata.etag"]);
    assert_ne!(
        updated["lastModifiedDateTime"],
        created["lastModifiedDateTime"]
    );
    assert_eq!(updated["createdDateTime"], created["createdDateTime"]);
    assert_eq!(
        updated["bodyLastModifiedDateTime"],
        created["bodyLastModifiedDateTime"]
    );
    assert_eq!(emu.get_json(&path).await, updated);

    // Even the same values again make a new version.
    let again = send_json(&emu, Method::PATCH, &path, &json!({"dueDateTime": due}))
        .await
        .value();
    assert_ne!(again["@odata.etag"], updated["@odata.etag"]);

    let reply = send_json(
        &emu,
        Method::PATCH,
        &path,
        &json!({"status": "completed", "priority": 1}),
    )
    .await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    let reply = send_json(&emu, Method::PATCH, &path, &json!({"status": "finished"})).await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    let reply = send_json(&emu, Method::PATCH, &path, &json!({"title": ""})).await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, None);
    assert_eq!(
        emu.get_json(&path).await,
        again,
        "refused updates changed nothing"
    );
    let reply = send_json(
        &emu,
        Method::PATCH,
        &format!("{}/AAMkADnone=", tasks_path()),
        &json!({"title": "x"}),
    )
    .await;
    assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    emu.stop().await;
}

/// todotask-delete: `204`; the task, its attachments, their bytes and its open sessions are
/// gone.
#[tokio::test]
async fn delete_removes_the_task_its_attachments_bytes_and_sessions() {
    let emu = Emulator::start().await;
    let blobs_before = emu.blob_count();
    let task = emu
        .post_json(&tasks_path(), &json!({"title": "doomed"}))
        .await
        .value();
    let path = format!("{}/{}", tasks_path(), task["id"].as_str().unwrap());
    let attachment = attach(&emu, &path, "a.txt", b"hello").await;
    let session = send_json(
        &emu,
        Method::POST,
        &format!("{path}/attachments/createUploadSession"),
        &json!({"attachmentInfo": {"attachmentType": "file", "name": "b.bin", "size": 100}}),
    )
    .await;
    assert_eq!(session.status, 200, "{}", session.text());
    let upload_url = session.upload_session().upload_url;
    assert_eq!(
        emu.put_fragment(&upload_url, 0, &[7; 10], 100).await.status,
        200
    );
    assert!(emu.blob_count() > blobs_before);

    let reply = emu.send(emu.api(Method::DELETE, &path)).await;
    assert_eq!(reply.status, 204, "{}", reply.text());
    assert_graph_error(&emu.get(&path).await, 404, ITEM_NOT_FOUND, None);
    assert_graph_error(
        &emu.get(&format!("{path}/attachments/{attachment}")).await,
        404,
        ITEM_NOT_FOUND,
        None,
    );
    assert_eq!(emu.get_status(&upload_url).await.status, 404);
    assert_eq!(emu.blob_count(), blobs_before, "no bytes left behind");
    let reply = emu.send(emu.api(Method::DELETE, &path)).await;
    assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
    // The fixture task is untouched.
    assert_eq!(emu.get(&todo_task_path()).await.status, 200);
    emu.stop().await;
}

/// taskfileattachment-get shows `contentBytes`; attachment-delete leaves `hasAttachments`
/// true while one is left, false after the last.
#[tokio::test]
async fn attachments_show_their_bytes_and_has_attachments_follows_them() {
    let emu = Emulator::start().await;
    let task = todo_task_path();
    let data = test_data(5000, 3);
    let first = attach(&emu, &task, "first.txt", &data).await;
    let second = attach(&emu, &task, "second.txt", b"two").await;
    let got = emu.get_json(&format!("{task}/attachments/{first}")).await;
    assert_eq!(got["contentBytes"], base64(&data));
    assert_eq!(got["size"], 5000);
    assert_eq!(got["@odata.type"], "#microsoft.graph.taskFileAttachment");
    assert_eq!(emu.get_json(&task).await["hasAttachments"], true);

    let reply = emu
        .send(emu.api(Method::DELETE, &format!("{task}/attachments/{first}")))
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        emu.get_json(&task).await["hasAttachments"],
        true,
        "one is left"
    );
    let reply = emu
        .send(emu.api(Method::DELETE, &format!("{task}/attachments/{second}")))
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        emu.get_json(&task).await["hasAttachments"],
        false,
        "none is left"
    );
    emu.stop().await;
}

/// todotask-list-attachmentsessions: the task's open sessions with their expiry and missing
/// ranges; a deleted session leaves the list.
#[tokio::test]
async fn attachment_sessions_lists_the_open_sessions() {
    let emu = Emulator::start().await;
    let path = format!("{}/attachmentSessions", todo_task_path());
    assert_eq!(emu.get_json(&path).await["value"], json!([]));
    let first = emu.create_todo_session("a.bin", 1000).await;
    let second = emu.create_todo_session("b.bin", 2000).await;
    assert_eq!(
        emu.put_fragment(&second.upload_url, 0, &[1; 500], 2000)
            .await
            .status,
        200
    );
    let listed = emu.get_json(&path).await["value"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 2, "{listed:#?}");
    let find = |url: &str| {
        listed
            .iter()
            .find(|s| url.ends_with(s["id"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("{url} not in {listed:#?}"))
            .clone()
    };
    assert_eq!(
        find(&first.upload_url)["nextExpectedRanges"],
        json!(["0-999"])
    );
    assert_eq!(
        find(&second.upload_url)["nextExpectedRanges"],
        json!(["500-1999"])
    );
    assert!(find(&first.upload_url)["expirationDateTime"].is_string());
    assert_eq!(emu.delete_session(&first.upload_url).await.status, 204);
    let listed = emu.get_json(&path).await["value"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(listed.len(), 1);
    emu.stop().await;
}

/// Graph-shaped ids (`=`, `-`, `_`) reach every To Do route, written raw or percent-encoded
/// (`%3D`), and numeric print job ids every job route.
#[tokio::test]
async fn graph_shaped_ids_match_every_route_raw_or_encoded() {
    let emu = Emulator::start().await;
    assert!(LIST_ID.contains('=') && LIST_ID.contains('-') && LIST_ID.contains('_'));
    let attachment = attach(&emu, &todo_task_path(), "a.txt", b"abc").await;
    assert!(attachment.ends_with('='), "{attachment}");
    let session = emu.create_todo_session("s.bin", 10).await;
    let session_id = session.upload_url.rsplit('/').next().unwrap().to_owned();
    let encode = |id: &str| {
        id.replace('=', "%3D")
            .replace('-', "%2D")
            .replace('_', "%5F")
    };
    for (list, task, attachment) in [
        (LIST_ID.to_string(), TASK_ID.to_string(), attachment.clone()),
        (encode(LIST_ID), encode(TASK_ID), encode(&attachment)),
    ] {
        let task_path = format!("/me/todo/lists/{list}/tasks/{task}");
        for path in [
            format!("/me/todo/lists/{list}"),
            format!("/me/todo/lists/{list}/tasks"),
            task_path.clone(),
            format!("{task_path}/attachments"),
            format!("{task_path}/attachments/{attachment}"),
            format!("{task_path}/attachments/{attachment}/$value"),
            format!("{task_path}/attachmentSessions"),
            format!("{task_path}/attachmentSessions/{session_id}"),
        ] {
            let reply = emu.get(&path).await;
            assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
        }
        let reply = send_json(
            &emu,
            Method::PATCH,
            &task_path,
            &json!({"importance": "high"}),
        )
        .await;
        assert_eq!(reply.status, 200, "PATCH {task_path}: {}", reply.text());
        assert_eq!(reply.value()["id"], TASK_ID, "the id comes back decoded");
    }
    let target = emu.create_print_job(&share(SHARE_ID)).await;
    assert!(
        target.job.bytes().all(|b| b.is_ascii_digit()),
        "{}",
        target.job
    );
    assert_eq!(emu.get(&target.job_path()).await.status, 200);
    assert_eq!(
        emu.get(&format!("{}/documents", target.job_path()))
            .await
            .status,
        200
    );
    emu.stop().await;
}
