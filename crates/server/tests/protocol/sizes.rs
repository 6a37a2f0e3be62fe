//! Edge sizes: 0-byte and 1-byte files, and files of whole fragments plus one byte.

use crate::checks::{
    assert_print_done, assert_print_progress, assert_todo_done, assert_todo_progress,
};
use graph_upload_testkit::emulator::{self, Emulator, QUANTUM, TOKEN, test_data};
use graph_upload_testkit::urls::{is_todo, rebase};

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
async fn files_of_whole_fragments_plus_one_byte() {
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

    let session = emu.create_todo_session("fragments.bin", size as u64).await;
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
