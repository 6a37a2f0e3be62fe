//! `kill -9` in the middle of an upload: every range the server acknowledged survives.

use crate::common::{BIN, slice, tempdir};
use graph_upload_testkit::fragments::{
    PutReply, RawPut, assert_same_bytes, pattern, put_print, put_todo, session_status,
    wait_for_bytes_on_disk,
};
use graph_upload_testkit::serve_process::{MIB, Serve};
use graph_upload_testkit::spans::{complement, parse_ranges, pieces};
use graph_upload_testkit::urls::rebase;
use std::ops::Range;
use std::time::Duration;

/// The missing spans a fragment reply reports (`nextExpectedRanges`, or To Do's
/// `NextExpectedRanges`).
fn reply_missing(reply: &PutReply, size: u64) -> Vec<Range<u64>> {
    let list = reply.body["nextExpectedRanges"]
        .as_array()
        .or_else(|| reply.body["NextExpectedRanges"].as_array())
        .unwrap_or_else(|| panic!("no next expected ranges in {}", reply.body));
    let texts: Vec<String> = list
        .iter()
        .map(|v| v.as_str().expect("range string").to_owned())
        .collect();
    parse_ranges(&texts, size)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_upload_keeps_every_acknowledged_range() {
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let token = "kill-9-token";
    let fragment = 4 * MIB;

    // Print: three fragments acknowledged out of order, a fourth in flight.
    let size = 24 * MIB;
    let bytes = pattern(size, 0x9_1);
    let mut server = Serve::start(BIN, &data_dir, token);
    let upload = server.create_print_upload(size).await;
    let mut acked = Vec::new();
    for index in [0, 2, 3] {
        let span = index * fragment..(index + 1) * fragment;
        let reply = put_print(
            &server.http,
            &upload.upload_url,
            size,
            span.clone(),
            slice(&bytes, &span),
        )
        .await
        .expect("PUT fragment");
        assert_eq!(reply.status, 202, "{span:?}: {}", reply.body);
        acked.push(span);
        assert_eq!(reply_missing(&reply, size), complement(&acked, size));
    }
    let in_flight = 4 * fragment..5 * fragment;
    let half = (fragment / 2) as usize;
    let start = in_flight.start as usize;
    let mut raw = RawPut::print_fragment(server.addr, &upload.upload_url, size, &in_flight)
        .expect("start the in-flight PUT");
    raw.send(&bytes[start..start + half])
        .expect("send half a fragment");
    if !wait_for_bytes_on_disk(
        &data_dir,
        in_flight.start,
        &bytes[start..start + 64 * 1024],
        Duration::from_secs(5),
    ) {
        eprintln!("note: the in-flight bytes were not seen on disk before kill -9");
    }
    server.kill9();
    let answer = raw.status();
    assert!(
        !answer.is_some_and(|code| (200..300).contains(&code)),
        "a fragment whose body never ended was acknowledged: {answer:?}"
    );
    drop(server);

    let server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, None, size).await;
    assert_eq!(status, 200, "GET the session after restart: {body}");
    assert_eq!(
        missing,
        complement(&acked, size),
        "after kill -9: {body} (acknowledged {acked:?})"
    );
    let rest: Vec<Range<u64>> = missing
        .into_iter()
        .flat_map(|span| pieces(span, fragment))
        .collect();
    for (i, span) in rest.iter().enumerate() {
        let reply = put_print(&server.http, &url, size, span.clone(), slice(&bytes, span))
            .await
            .expect("PUT after restart");
        let expected = if i + 1 == rest.len() { 201 } else { 202 };
        assert_eq!(reply.status, expected, "{span:?}: {}", reply.body);
        if expected == 201 {
            assert_eq!(reply.body["size"], size, "{}", reply.body);
        }
    }
    assert_same_bytes(
        &server.print_value(&upload).await,
        &bytes,
        "print $value after kill -9",
    );

    // To Do: two fragments acknowledged in order, the third in flight.
    let size = 10 * MIB + 12_345;
    let bytes = pattern(size, 0x70_d0);
    let mut server = server;
    let upload = server.create_todo_upload("x.bin", size).await;
    let mut acked = Vec::new();
    for index in 0..2 {
        let span = index * fragment..(index + 1) * fragment;
        let reply = put_todo(
            &server.http,
            &upload.upload_url,
            token,
            size,
            span.clone(),
            slice(&bytes, &span),
        )
        .await
        .expect("PUT To Do fragment");
        assert_eq!(reply.status, 200, "{span:?}: {}", reply.body);
        assert_eq!(
            reply.body["NextExpectedRanges"],
            serde_json::json!([span.end.to_string()]),
            "{}",
            reply.body
        );
        acked.push(span);
    }
    let in_flight = 2 * fragment..size;
    let start = in_flight.start as usize;
    let mut raw = RawPut::todo_fragment(server.addr, &upload.upload_url, token, size, &in_flight)
        .expect("start the in-flight To Do PUT");
    raw.send(&bytes[start..start + half])
        .expect("send half a fragment");
    if !wait_for_bytes_on_disk(
        &data_dir,
        in_flight.start,
        &bytes[start..start + 64 * 1024],
        Duration::from_secs(5),
    ) {
        eprintln!("note: the in-flight To Do bytes were not seen on disk before kill -9");
    }
    server.kill9();
    let answer = raw.status();
    assert!(
        !answer.is_some_and(|code| (200..300).contains(&code)),
        "a To Do fragment whose body never ended was acknowledged: {answer:?}"
    );
    drop(server);

    let server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, Some(token), size).await;
    assert_eq!(status, 200, "GET the To Do session after restart: {body}");
    assert_eq!(missing, complement(&acked, size), "after kill -9: {body}");
    // Continue in order from where the server says.
    let rest = pieces(missing[0].start..size, fragment);
    let mut location = None;
    for (i, span) in rest.iter().enumerate() {
        let reply = put_todo(
            &server.http,
            &url,
            token,
            size,
            span.clone(),
            slice(&bytes, span),
        )
        .await
        .expect("PUT To Do after restart");
        if i + 1 == rest.len() {
            assert_eq!(reply.status, 201, "{span:?}: {}", reply.body);
            location = reply.location;
        } else {
            assert_eq!(reply.status, 200, "{span:?}: {}", reply.body);
        }
    }
    let location = location.expect("the completed To Do upload has a Location");
    assert!(
        location.starts_with(&server.base),
        "Location {location} is on the restarted server {}",
        server.base
    );
    assert_same_bytes(
        &server.attachment_value(&location).await,
        &bytes,
        "To Do $value after kill -9",
    );
}
