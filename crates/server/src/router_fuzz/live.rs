//! The live state cases aim at: print jobs and To Do tasks with open upload sessions,
//! replaced when a case completes or deletes one.

use crate::fixtures::{PRINTER_ID, SHARE_ID};
use crate::records::{SessionRecord, TaskRecord};
use crate::store::Table;
use crate::test_app::TestApp;
use axum::http::Method;

/// A print job with an upload session, and a To Do upload session.
#[derive(Debug, Clone)]
pub(super) struct Live {
    pub(super) kind: &'static str,
    pub(super) parent: &'static str,
    pub(super) job: String,
    pub(super) document: String,
    pub(super) print_session: String,
    pub(super) print_token: String,
    pub(super) print_size: u64,
    /// The job this entry had before its session went.
    pub(super) retired_job: Option<String>,
    pub(super) todo_url: String,
    pub(super) todo_session: String,
    pub(super) todo_size: u64,
}

pub(super) fn last_segment(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.rsplit('/').next().unwrap_or("").to_owned()
}

pub(super) async fn new_print(app: &TestApp, n: usize, live: &mut Live) {
    let (kind, parent) = if n.is_multiple_of(2) {
        ("printers", PRINTER_ID)
    } else {
        ("shares", SHARE_ID)
    };
    let (job, document) = app.print_job(&format!("/v1.0/print/{kind}/{parent}")).await;
    let answer = app
        .api(
            Method::POST,
            &format!("{job}/documents/{document}/createUploadSession"),
            Some(serde_json::json!({"properties": {
                "documentName": "live.pdf", "contentType": "application/pdf",
                "size": live.print_size}})),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let url = answer.json()["uploadUrl"]
        .as_str()
        .expect("uploadUrl")
        .to_owned();
    live.kind = kind;
    live.parent = parent;
    live.job = last_segment(&job);
    live.document = document;
    live.print_session = last_segment(&url);
    live.print_token = url
        .split_once("tempauthtoken=")
        .map(|(_, token)| token.to_owned())
        .expect("a tempauthtoken");
}

pub(super) async fn new_todo(app: &TestApp, live: &mut Live) {
    live.todo_url = app.todo_upload(live.todo_size).await;
    live.todo_session = last_segment(&live.todo_url);
}

pub(super) async fn live_state(app: &TestApp) -> Vec<Live> {
    let mut all = Vec::new();
    for (n, (print_size, todo_size)) in [(1000u64, 700u64), (0, 0)].into_iter().enumerate() {
        let mut live = Live {
            kind: "",
            parent: "",
            job: String::new(),
            document: String::new(),
            print_session: String::new(),
            print_token: String::new(),
            print_size,
            retired_job: None,
            todo_url: String::new(),
            todo_session: String::new(),
            todo_size,
        };
        new_print(app, n, &mut live).await;
        new_todo(app, &mut live).await;
        all.push(live);
    }
    all
}

/// Replaces sessions that completed or went away, so that later cases still reach live ones
/// (and the fixture task, which a case may delete).
pub(super) async fn refill(app: &TestApp, all: &mut [Live]) {
    let store = std::sync::Arc::clone(&app.state.store);
    tokio::task::spawn_blocking(move || {
        let task = crate::fixtures::task_record();
        if store
            .get::<TaskRecord>(Table::Tasks, &task.task.id)?
            .is_none()
        {
            store.write(|tx| tx.put(Table::Tasks, &task.task.id, &task))?;
        }
        Ok::<_, crate::store::StoreError>(())
    })
    .await
    .unwrap()
    .unwrap();
    for (n, live) in all.iter_mut().enumerate() {
        let session = |id: String| {
            let store = std::sync::Arc::clone(&app.state.store);
            move || store.get::<SessionRecord>(Table::Sessions, &id)
        };
        let print = tokio::task::spawn_blocking(session(live.print_session.clone()))
            .await
            .unwrap()
            .unwrap();
        if print.is_none() {
            live.retired_job = Some(live.job.clone());
            new_print(app, n, live).await;
        }
        let todo = tokio::task::spawn_blocking(session(live.todo_session.clone()))
            .await
            .unwrap()
            .unwrap();
        if todo.is_none() {
            new_todo(app, live).await;
        }
    }
}
