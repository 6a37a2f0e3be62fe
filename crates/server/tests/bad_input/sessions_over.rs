//! Sessions that are over: expired, completed, deleted; a job started before its upload.

use crate::scene::{SIZE, Scene, intruder};
use graph_upload_models::error_codes::{INVALID_REQUEST, ITEM_NOT_FOUND};
use graph_upload_testkit::emulator::{self, Emulator, assert_graph_error, test_data};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn expired_session() {
    let (emu, clock) = Emulator::start_with_clock(|config| {
        config.session_ttl = Duration::from_secs(60);
    })
    .await;
    let data = test_data(SIZE, 5);
    let (target, print) = emu.new_print_upload(SIZE as u64).await;
    let todo = emu.create_todo_session("late.bin", SIZE as u64).await;
    for (url, status) in [(&print.upload_url, 202), (&todo.upload_url, 200)] {
        assert_eq!(
            emu.put_fragment(url, 0, &data[..1024], SIZE as u64)
                .await
                .status,
            status
        );
    }
    clock.advance(Duration::from_secs(61));
    let snapshot = emu.snapshot().await;
    for url in [&print.upload_url, &todo.upload_url] {
        let reply = emu
            .put_fragment(url, 1024, &data[1024..2048], SIZE as u64)
            .await;
        assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
        assert_graph_error(&emu.get_status(url).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, snapshot);
    // The document still waits for an upload; the task has no attachment.
    let job = emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["details"], json!(["uploadPending"]));
    assert!(emu.todo_attachments().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn put_after_completion() {
    let emu = Emulator::start().await;
    let data = test_data(SIZE, 6);
    let (target, print) = emu.new_print_upload(SIZE as u64).await;
    assert_eq!(
        emu.upload_all(&print.upload_url, &data, 2048).await.status,
        201
    );
    let todo = emu.create_todo_session("done.bin", SIZE as u64).await;
    let done = emu.upload_all(&todo.upload_url, &data, 2048).await;
    assert_eq!(done.status, 201);
    let id = emulator::last_segment(done.header("location").unwrap());
    let snapshot = emu.snapshot().await;
    for url in [&print.upload_url, &todo.upload_url] {
        for start in [0usize, 2048] {
            let reply = emu
                .put_fragment(url, start as u64, &intruder(2048), SIZE as u64)
                .await;
            assert_graph_error(&reply, 404, ITEM_NOT_FOUND, None);
        }
        assert_graph_error(&emu.get_status(url).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, snapshot);
    assert_eq!(emu.print_value(&target).await, data);
    assert_eq!(emu.todo_value(&id).await, data);
    emu.stop().await;
}

#[tokio::test]
async fn delete_of_a_session_that_is_over() {
    let emu = Emulator::start().await;
    let data = test_data(100, 7);
    let (_, print) = emu.new_print_upload(100).await;
    assert_eq!(
        emu.upload_all(&print.upload_url, &data, 100).await.status,
        201
    );
    let todo = emu.create_todo_session("x.bin", 100).await;
    assert_eq!(emu.delete_session(&todo.upload_url).await.status, 204);
    let snapshot = emu.snapshot().await;
    for url in [&print.upload_url, &todo.upload_url] {
        assert_graph_error(&emu.delete_session(url).await, 404, ITEM_NOT_FOUND, None);
    }
    assert_eq!(emu.snapshot().await, snapshot);
    emu.stop().await;
}

#[tokio::test]
async fn job_start_before_upload() {
    let scene = Scene::print(Emulator::start().await).await;
    let target = scene.target.clone().unwrap();
    let reply = scene
        .emu
        .send(
            scene
                .emu
                .api(Method::POST, &format!("{}/start", target.job_path())),
        )
        .await;
    assert_graph_error(&reply, 400, INVALID_REQUEST, Some("uploadPending"));
    scene.assert_unchanged().await;
    let job = scene.emu.get_json(&target.job_path()).await;
    assert_eq!(job["status"]["state"], "paused");
    scene.finish_and_compare().await;
    scene.stop().await;
}
