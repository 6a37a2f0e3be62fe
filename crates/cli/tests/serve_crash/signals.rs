//! SIGTERM and SIGINT stop the server gracefully: an in-flight fragment finishes or is not
//! acknowledged.

use crate::common::{BIN, SHARES, slice, tempdir};
use graph_upload_testkit::fragments::{
    RawPut, assert_same_bytes, pattern, put_print, session_status, wait_for_bytes_on_disk,
};
use graph_upload_testkit::serve_process::{MIB, Serve};
use graph_upload_testkit::spans::{complement, pieces};
use graph_upload_testkit::urls::rebase;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

/// Sends half of a print fragment over a raw connection, then SIGTERM; returns the connection.
fn half_fragment_then_sigterm(
    server: &Serve,
    data_dir: &Path,
    upload_url: &str,
    bytes: &[u8],
    span: &Range<u64>,
) -> RawPut {
    let size = bytes.len() as u64;
    let start = span.start as usize;
    let half = ((span.end - span.start) / 2) as usize;
    let mut raw = RawPut::print_fragment(server.addr, upload_url, size, span)
        .expect("start the in-flight PUT");
    raw.send(&bytes[start..start + half])
        .expect("send half a fragment");
    if !wait_for_bytes_on_disk(
        data_dir,
        span.start,
        &bytes[start..start + 64 * 1024],
        Duration::from_secs(5),
    ) {
        eprintln!("note: the in-flight bytes were not seen on disk before SIGTERM");
    }
    server.signal("TERM");
    // The server closes its listener when it starts shutting down.
    assert!(
        server.wait_until_refusing(Duration::from_secs(10)),
        "the server still accepts connections 10 s after SIGTERM"
    );
    raw
}

fn assert_exits_zero(server: &mut Serve, within: Duration, what: &str) {
    let status = server
        .wait_exit(within)
        .unwrap_or_else(|| panic!("{what}: still running {within:?} after the signal"));
    assert_eq!(
        status.code(),
        Some(0),
        "{what}: exit status {status:?}; stderr:\n{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_in_flight_fragment_finish_or_not_be_acknowledged() {
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let token = "sigterm-token";
    let fragment = 4 * MIB;
    let size = 12 * MIB;
    let bytes = pattern(size, 0x7e_a3);
    let mut server = Serve::start(BIN, &data_dir, token);
    let upload = server.create_print_upload(size).await;
    let first = 0..fragment;
    let reply = put_print(
        &server.http,
        &upload.upload_url,
        size,
        first.clone(),
        slice(&bytes, &first),
    )
    .await
    .expect("PUT");
    assert_eq!(reply.status, 202, "{}", reply.body);
    let mut acked = vec![first];

    // 1. SIGTERM mid-body, then the client finishes sending.
    let span = fragment..2 * fragment;
    let mut raw = half_fragment_then_sigterm(&server, &data_dir, &upload.upload_url, &bytes, &span);
    let start = (span.start + fragment / 2) as usize;
    let answer = match raw.send(&bytes[start..span.end as usize]) {
        Ok(()) => raw.status(),
        Err(_) => None,
    };
    let acknowledged = answer.is_some_and(|code| (200..300).contains(&code));
    eprintln!("SIGTERM with a fragment in flight, body finished: answer {answer:?}");
    if acknowledged {
        acked.push(span.clone());
    }
    assert_exits_zero(
        &mut server,
        Duration::from_secs(15),
        "SIGTERM, body finished",
    );
    drop(server);

    let mut server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, None, size).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        missing,
        complement(&acked, size),
        "answer {answer:?}: the fragment must be stored iff it was acknowledged; {body}"
    );

    // 2. SIGTERM mid-body, then the client gives up: nothing acknowledged, and the server
    // still exits by itself once the connection is gone.
    let span = 2 * fragment..size;
    let raw = half_fragment_then_sigterm(&server, &data_dir, &url, &bytes, &span);
    drop(raw);
    assert_exits_zero(
        &mut server,
        Duration::from_secs(15),
        "SIGTERM, client gave up",
    );
    drop(server);

    let mut server = Serve::start(BIN, &data_dir, token);
    let url = rebase(&upload.upload_url, &server.base);
    let (status, missing, body) = session_status(&server.http, &url, None, size).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        missing,
        complement(&acked, size),
        "an abandoned fragment is not received: {body}"
    );
    let rest: Vec<Range<u64>> = missing
        .into_iter()
        .flat_map(|s| pieces(s, fragment))
        .collect();
    for (i, span) in rest.iter().enumerate() {
        let reply = put_print(&server.http, &url, size, span.clone(), slice(&bytes, span))
            .await
            .expect("PUT after restart");
        let expected = if i + 1 == rest.len() { 201 } else { 202 };
        assert_eq!(reply.status, expected, "{span:?}: {}", reply.body);
    }
    assert_same_bytes(&server.print_value(&upload).await, &bytes, "print $value");

    // 3. SIGTERM with nothing in flight (the client's pooled connection is idle).
    server.signal("TERM");
    assert_exits_zero(&mut server, Duration::from_secs(10), "SIGTERM, idle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_stops_the_server_gracefully() {
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let mut server = Serve::start(BIN, &data_dir, "sigint-token");
    let (status, _) = server.get(SHARES).await;
    assert_eq!(status, 200);
    server.signal("INT");
    assert_exits_zero(&mut server, Duration::from_secs(10), "SIGINT");
    drop(server);
    // The data directory is left in a state the next server opens.
    let server = Serve::start(BIN, &data_dir, "sigint-token");
    let (status, _) = server.get(SHARES).await;
    assert_eq!(status, 200, "stderr:\n{}", server.stderr());
}
