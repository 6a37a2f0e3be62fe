//! Uploads interrupted by a restart of the server, or by a client that vanishes mid-fragment.

use crate::checks::{
    assert_print_done, assert_print_progress, assert_todo_done, assert_todo_progress,
};
use graph_upload_testkit::emulator::{self, Emulator, test_data};
use graph_upload_testkit::urls::rebase;
use std::time::Duration;

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
