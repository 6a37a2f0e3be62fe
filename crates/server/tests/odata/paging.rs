//! Server-driven paging: `@odata.nextLink` with an opaque `$skiptoken`, every other option
//! kept, until the last page. Follows <https://learn.microsoft.com/graph/paging> and
//! `api-reference/v1.0/api/todotasklist-list-tasks.md`.

use crate::support::{
    attach_to_message, attach_to_task, create_folders, create_tasks, distinct_ids,
    open_task_sessions, pages, read_all, tasks_path,
};
use graph_upload_server::fixtures::{PRINTER_ID, SHARE_ID};
use graph_upload_testkit::emulator::{
    Emulator, assert_graph_error, event_path, message_path, printer, share, todo_task_path,
};
use serde_json::Value;

#[tokio::test]
async fn tasks_come_in_pages_of_100_with_a_next_link_until_the_last() {
    let emu = Emulator::start().await;
    let mut created = create_tasks(&emu, 122).await;
    let first = emu.get_json(&tasks_path()).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 100);
    let next = first["@odata.nextLink"]
        .as_str()
        .expect("a nextLink on a full page");
    assert!(next.contains("$skiptoken="), "{next}");
    assert!(
        next.starts_with(&format!("{}/v1.0{}?", emu.base, tasks_path())),
        "same host, prefix and path: {next}"
    );
    let (items, pages) = read_all(&emu, &tasks_path()).await;
    assert_eq!(pages, 2);
    let mut ids = distinct_ids(&items);
    created.push(graph_upload_server::fixtures::TASK_ID.to_owned());
    created.sort();
    ids.sort();
    assert_eq!(ids, created, "each task exactly once");
    emu.stop().await;
}

#[tokio::test]
async fn next_links_keep_every_other_option() {
    let emu = Emulator::start().await;
    create_tasks(&emu, 122).await;
    // Tasks 100..=121 start with "Task 1": 22 of them, in pages of 7.
    let path = format!(
        "{}?$top=7&$select=title&$count=true&$orderby=title%20desc&$filter=startswith(title,'Task%201')",
        tasks_path()
    );
    let mut titles = Vec::new();
    let pages = pages(&emu, &emu.url(&path)).await;
    for page in &pages {
        assert_eq!(
            page["@odata.count"], 22,
            "the count is the whole filtered set's"
        );
        for item in page["value"].as_array().unwrap() {
            let mut keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .filter(|key| !key.starts_with('@'))
                .collect();
            keys.sort();
            assert_eq!(keys, ["id", "title"], "$select kept on every page");
            // Annotations are not properties: Graph keeps a task's etag under $select.
            assert!(item["@odata.etag"].is_string(), "{item}");
            titles.push(item["title"].as_str().unwrap().to_owned());
        }
        if let Some(next) = page["@odata.nextLink"].as_str() {
            for option in [
                "$top=7",
                "$select=title",
                "$count=true",
                "$orderby=",
                "$filter=",
            ] {
                assert!(next.contains(option), "{option} missing from {next}");
            }
        }
    }
    assert_eq!(pages.len(), 4);
    let expected: Vec<String> = (100..122).rev().map(|n| format!("Task {n:03}")).collect();
    assert_eq!(titles, expected, "ordered, filtered, each once");
    emu.stop().await;
}

#[tokio::test]
async fn skip_and_top_page_through_the_rest() {
    let emu = Emulator::start().await;
    create_tasks(&emu, 122).await;
    let (all, _) = read_all(&emu, &format!("{}?$orderby=title", tasks_path())).await;
    let (rest, pages) = read_all(
        &emu,
        &format!("{}?$orderby=title&$skip=5&$top=50", tasks_path()),
    )
    .await;
    assert_eq!(pages, 3, "118 items in pages of 50");
    assert_eq!(rest, all[5..].to_vec());
    // $top=0 is an empty page, and no link to follow.
    let empty = emu.get_json(&format!("{}?$top=0", tasks_path())).await;
    assert_eq!(empty["value"], Value::Array(vec![]));
    assert!(empty.get("@odata.nextLink").is_none());
    emu.stop().await;
}

#[tokio::test]
async fn a_bad_skiptoken_is_400() {
    let emu = Emulator::start().await;
    for token in ["nope", "%21%21", "Z3JhcGg"] {
        let reply = emu
            .get(&format!("{}?$skiptoken={token}", tasks_path()))
            .await;
        assert_graph_error(&reply, 400, "BadRequest", None);
    }
    emu.stop().await;
}

/// An SDK-style loop over every collection the emulator serves, in small pages and in the
/// server's own, collects each item exactly once.
#[tokio::test]
async fn every_collection_pages_each_item_exactly_once() {
    let emu = Emulator::start().await;
    create_tasks(&emu, 3).await;
    attach_to_task(&emu, 5).await;
    open_task_sessions(&emu, 3).await;
    attach_to_message(&emu, 12).await;
    create_folders(&emu, 4).await;
    let mut jobs = Vec::new();
    for parent in [share(SHARE_ID), printer(PRINTER_ID)] {
        for _ in 0..5 {
            jobs.push(emu.create_print_job(&parent).await);
        }
    }
    let collections = [
        "/print/printers".to_owned(),
        "/print/shares".to_owned(),
        format!("{}/jobs", share(SHARE_ID)),
        format!("{}/jobs", printer(PRINTER_ID)),
        format!("{}/documents", jobs[0].job_path()),
        "/me/todo/lists".to_owned(),
        tasks_path(),
        format!("{}/attachments", todo_task_path()),
        format!("{}/attachmentSessions", todo_task_path()),
        format!("{}/attachments", message_path()),
        format!("{}/attachments", event_path()),
        "/me/drive/root/children".to_owned(),
    ];
    for path in &collections {
        let (whole, _) = read_all(&emu, path).await;
        let (paged, pages) = read_all(&emu, &format!("{path}?$top=2")).await;
        assert_eq!(distinct_ids(&paged), distinct_ids(&whole), "{path}");
        assert_eq!(pages, whole.len().div_ceil(2).max(1), "{path}");
    }
    // Outlook pages at 10: twelve attachments take two pages without $top.
    let (mail, pages) = read_all(&emu, &format!("{}/attachments", message_path())).await;
    assert_eq!((mail.len(), pages), (12, 2));
    emu.stop().await;
}

/// Under `/beta` the `$` is optional (<https://learn.microsoft.com/graph/query-parameters>),
/// and the next link stays under `/beta`.
#[tokio::test]
async fn beta_takes_options_without_dollar() {
    let emu = Emulator::start().await;
    let url = format!("{}/beta/print/printers?top=1&select=displayName", emu.base);
    let pages = pages(&emu, &url).await;
    for page in &pages {
        assert_eq!(page["value"].as_array().unwrap().len(), 1);
        assert!(page["value"][0].get("model").is_none(), "select applied");
        if let Some(next) = page["@odata.nextLink"].as_str() {
            assert!(
                next.starts_with(&format!("{}/beta/print/printers?", emu.base)),
                "{next}"
            );
        }
    }
    assert_eq!(pages.len(), 3);
    emu.stop().await;
}
