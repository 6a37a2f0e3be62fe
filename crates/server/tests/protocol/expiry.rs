//! Session expiry: expired sessions answer `404`, accepted fragments extend the expiry, and the
//! sweeper removes expired sessions from disk.

use crate::checks::{assert_print_done, assert_todo_done, expiration};
use graph_upload_models::error_codes;
use graph_upload_testkit::emulator::{self, Emulator, assert_graph_error, test_data};
use graph_upload_testkit::urls::is_todo;
use std::time::Duration;

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
