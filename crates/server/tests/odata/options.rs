//! `$top`, `$skip`, `$select`, `$filter`, `$orderby`, `$count` and `$expand` on several
//! collections. Follows <https://learn.microsoft.com/graph/query-parameters>,
//! `api-reference/v1.0/api/todotasklist-list-tasks.md`, `api/print-list-printers.md`,
//! `api/printershare-list-jobs.md` (`$expand=documents`), `api/todotask-list-attachments.md`,
//! `api/driveitem-list-children.md` and `api/message-list-attachments.md`.

use crate::support::{attach_to_message, attach_to_task, create_folders, create_tasks, tasks_path};
use graph_upload_server::fixtures::{OXPS_PRINTER_ID, PRINTER_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::emulator::{Emulator, message_path, share, todo_task_path};
use serde_json::Value;

fn ids(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|item| item["id"].as_str().expect("id").to_owned())
        .collect()
}

fn strings(page: &Value, property: &str) -> Vec<String> {
    page["value"]
        .as_array()
        .expect("value")
        .iter()
        .map(|item| item[property].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn top_skip_orderby_and_count_on_tasks() {
    let emu = Emulator::start().await;
    create_tasks(&emu, 10).await;
    let page = emu
        .get_json(&format!(
            "{}?$orderby=title&$skip=2&$top=3&$count=true",
            tasks_path()
        ))
        .await;
    // "Attach the report" (the fixture task) sorts first.
    assert_eq!(
        strings(&page, "title"),
        ["Task 001", "Task 002", "Task 003"]
    );
    assert_eq!(page["@odata.count"], 11);
    let page = emu
        .get_json(&format!("{}?$orderby=title%20desc&$top=2", tasks_path()))
        .await;
    assert_eq!(strings(&page, "title"), ["Task 009", "Task 008"]);
    // Without $count there is no count.
    assert!(page.get("@odata.count").is_none());
    emu.stop().await;
}

#[tokio::test]
async fn select_keeps_the_named_properties_and_the_id() {
    let emu = Emulator::start().await;
    let page = emu
        .get_json("/print/printers?$select=displayName,model")
        .await;
    assert_eq!(page["value"].as_array().unwrap().len(), 3);
    for printer in page["value"].as_array().unwrap() {
        let mut keys: Vec<&str> = printer
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, ["displayName", "id", "model"]);
    }
    assert!(
        page["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("print/printers(displayName,model)"),
        "{}",
        page["@odata.context"]
    );
    let lists = emu
        .get_json("/me/todo/lists?$select=displayName&$count=true")
        .await;
    assert_eq!(lists["@odata.count"], 1);
    assert_eq!(lists["value"][0]["displayName"], "Tasks");
    assert!(lists["value"][0].get("wellknownListName").is_none());
    emu.stop().await;
}

#[tokio::test]
async fn filter_on_printers_shares_jobs_tasks_attachments_and_children() {
    let emu = Emulator::start().await;
    let page = emu
        .get_json("/print/printers?$filter=displayName%20eq%20'Emulated%20OXPS%20printer'")
        .await;
    assert_eq!(ids(&page), [OXPS_PRINTER_ID]);
    let page = emu
        .get_json("/print/printers?$filter=startswith(displayName,'Emulated')%20and%20not%20(contains(displayName,'photo')%20or%20contains(displayName,'OXPS'))")
        .await;
    assert_eq!(ids(&page), [PRINTER_ID]);
    let page = emu.get_json("/print/shares?$filter=id%20eq%20null").await;
    assert!(ids(&page).is_empty());
    let page = emu.get_json("/print/shares?$filter=id%20ne%20null").await;
    assert_eq!(ids(&page), [SHARE_ID]);

    let job = emu.create_print_job(&share(SHARE_ID)).await;
    let jobs = format!("{}/jobs", share(SHARE_ID));
    let page = emu
        .get_json(&format!("{jobs}?$filter=createdDateTime%20ge%202000-01-01T00:00:00Z%20and%20status/state%20eq%20'paused'"))
        .await;
    assert_eq!(ids(&page), [job.job.as_str()]);
    let page = emu
        .get_json(&format!(
            "{jobs}?$filter=createdDateTime%20lt%202000-01-01T00:00:00Z"
        ))
        .await;
    assert!(ids(&page).is_empty());

    create_tasks(&emu, 12).await;
    let page = emu
        .get_json(&format!("{}?$filter=title%20in%20('Task%20003','Task%20011')%20or%20id%20eq%20'{TASK_ID}'&$orderby=title", tasks_path()))
        .await;
    assert_eq!(
        strings(&page, "title"),
        ["Attach the report", "Task 003", "Task 011"]
    );

    attach_to_task(&emu, 3).await;
    let page = emu
        .get_json(&format!(
            "{}/attachments?$filter=endswith(name,'1.txt')%20and%20size%20gt%204",
            todo_task_path()
        ))
        .await;
    assert_eq!(strings(&page, "name"), ["file1.txt"]);

    attach_to_message(&emu, 3).await;
    let page = emu
        .get_json(&format!(
            "{}/attachments?$filter=contains(name,'MAIL2')&$orderby=name%20desc",
            message_path()
        ))
        .await;
    assert_eq!(strings(&page, "name"), ["mail2.txt"]);

    create_folders(&emu, 2).await;
    let page = emu
        .get_json("/me/drive/root/children?$filter=folder%20ne%20null%20and%20startswith(name,'folder')&$orderby=name%20desc")
        .await;
    assert_eq!(strings(&page, "name"), ["folder01", "folder00"]);
    emu.stop().await;
}

#[tokio::test]
async fn expand_inlines_documented_navigation_properties() {
    let emu = Emulator::start().await;
    let job = emu.create_print_job(&share(SHARE_ID)).await;
    let jobs = format!("{}/jobs", share(SHARE_ID));
    let plain = emu.get_json(&jobs).await;
    assert!(
        plain["value"][0].get("documents").is_none(),
        "documents only when expanded"
    );
    let expanded = emu.get_json(&format!("{jobs}?$expand=documents")).await;
    assert_eq!(
        expanded["value"][0]["documents"][0]["id"],
        job.document.as_str()
    );

    attach_to_task(&emu, 2).await;
    let tasks = emu
        .get_json(&format!(
            "{}?$expand=attachments&$filter=id%20eq%20'{TASK_ID}'",
            tasks_path()
        ))
        .await;
    let attachments = tasks["value"][0]["attachments"]
        .as_array()
        .expect("expanded");
    assert_eq!(attachments.len(), 2);
    let plain = emu.get_json(&tasks_path()).await;
    assert!(plain["value"][0].get("attachments").is_none());
    emu.stop().await;
}
