//! Fragments over ranges already received or in flight, out of order, over the size limit; and
//! wrong ranges for a 0-byte file.

use crate::scene::{SIZE, Scene, intruder};
use graph_upload_models::error_codes::{
    FRAGMENT_LENGTH_MISMATCH, FRAGMENT_OUT_OF_ORDER, FRAGMENT_OVERLAP, INVALID_RANGE,
    INVALID_REQUEST, MAX_FRAGMENT_LENGTH_EXCEEDED,
};
use graph_upload_testkit::emulator::{self, Emulator, assert_graph_error, raw_request};
use std::time::Duration;

#[tokio::test]
async fn print_fragment_overlapping_received_bytes() {
    let scene = Scene::print(Emulator::start().await).await;
    // Exactly the received range, with other bytes.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 1024, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_fragment_partly_overlapping_received_bytes() {
    let scene = Scene::print(Emulator::start().await).await;
    // Straddles the end of the received range into missing bytes.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 1500, &intruder(1100), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    // ...and the start.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 0, &intruder(1025), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_fragment_overlapping_a_fragment_in_flight() {
    let scene = Scene::print(Emulator::start().await).await;
    let emu = &scene.emu;
    // A fragment of bytes 2048..4096 whose body arrives slowly.
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    let head = raw_request(
        emu.address(),
        "PUT",
        &scene.url_path(),
        &[
            ("Content-Range", "bytes 2048-4095/4096".to_string()),
            ("Content-Length", "2048".to_string()),
        ],
        b"",
    );
    use tokio::io::AsyncWriteExt;
    stream.write_all(&head).await.unwrap();
    stream.write_all(&scene.data[2048..2548]).await.unwrap();
    // Once the emulator reads the slow body (after the scene's 1024 bytes), its range is
    // reserved.
    emu.wait_for_put_bytes(1024 + 500).await;
    // Meanwhile another request for some of those bytes.
    let reply = emu
        .put_fragment(&scene.url, 3000, &intruder(500), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    // The slow fragment completes and is acknowledged.
    stream.write_all(&scene.data[2548..4096]).await.unwrap();
    let mut answer = Vec::new();
    use tokio::io::AsyncReadExt;
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("answer in time")
        .unwrap();
    let reply = emulator::parse_response(&answer);
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(emu.missing(&scene.url).await, ["0-1023"]);
    let reply = emu
        .put_fragment(&scene.url, 0, &scene.data[..1024], SIZE as u64)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert!(emu.print_value(scene.target.as_ref().unwrap()).await == scene.data);
    scene.stop().await;
}

#[tokio::test]
async fn todo_fragment_resent() {
    let scene = Scene::todo(Emulator::start().await).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 0, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    let reply = scene
        .emu
        .put_fragment(&scene.url, 512, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OVERLAP));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn todo_fragment_out_of_order() {
    let scene = Scene::todo(Emulator::start().await).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 2048, &intruder(1024), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OUT_OF_ORDER));
    // The last byte alone, too.
    let reply = scene
        .emu
        .put_fragment(&scene.url, 4095, &intruder(1), SIZE as u64)
        .await;
    assert_graph_error(&reply, 416, INVALID_RANGE, Some(FRAGMENT_OUT_OF_ORDER));
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn print_fragment_over_the_limit() {
    let emu = Emulator::start_with(|config| config.print_max_fragment = 1024).await;
    let scene = Scene::print(emu).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 2048, &intruder(1025), SIZE as u64)
        .await;
    assert_graph_error(&reply, 413, MAX_FRAGMENT_LENGTH_EXCEEDED, None);
    scene.assert_unchanged().await;
    // Fragments of exactly the limit are fine.
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn todo_fragment_over_the_limit() {
    let emu = Emulator::start_with(|config| config.todo_max_fragment = 1024).await;
    let scene = Scene::todo(emu).await;
    let reply = scene
        .emu
        .put_fragment(&scene.url, 1024, &intruder(1025), SIZE as u64)
        .await;
    assert_graph_error(&reply, 413, MAX_FRAGMENT_LENGTH_EXCEEDED, None);
    scene.assert_unchanged().await;
    scene.finish_and_compare().await;
    scene.stop().await;
}

#[tokio::test]
async fn zero_byte_file_with_wrong_ranges() {
    let emu = Emulator::start().await;
    let (_, print) = emu.new_print_upload(0).await;
    let todo = emu.create_todo_session("empty.txt", 0).await;
    for url in [&print.upload_url, &todo.upload_url] {
        let status = emu.status_value(url).await;
        let snapshot = emu.snapshot().await;
        // A byte range cannot lie inside a 0-byte file.
        let reply = emu
            .send(emu.put_request(url, "bytes 0-0/0", b"x".to_vec()))
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, None);
        // The total must be 0.
        let reply = emu
            .send(
                emu.put_request(url, "bytes */1", Vec::new())
                    .header("content-length", "0"),
            )
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        // `bytes */0` carries no body.
        let reply = emu
            .send(emu.put_request(url, "bytes */0", b"body".to_vec()))
            .await;
        assert_graph_error(&reply, 400, INVALID_REQUEST, Some(FRAGMENT_LENGTH_MISMATCH));
        assert_eq!(emu.status_value(url).await, status);
        assert_eq!(emu.snapshot().await, snapshot);
        // The right empty PUT still completes it.
        assert_eq!(emu.put_empty(url).await.status, 201);
    }
    emu.stop().await;
}
