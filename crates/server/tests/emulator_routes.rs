//! The emulator's own routes that let a user watch it: `GET /_emulator/sessions` (every open
//! session, what it fills, what arrived, what is arriving) and `GET /_emulator/stats`, both
//! behind the bearer token.

use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID, USER_ID};
use graph_upload_testkit::emulator::{Emulator, assert_graph_error, test_data};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const KIB: usize = 1024;

#[tokio::test]
async fn open_sessions_are_listed_with_owner_size_received_ranges_and_expiry() {
    let (emu, clock) = Emulator::start_with_clock(|_| {}).await;
    assert!(emu.open_sessions().await.is_empty(), "a new emulator");
    let size = 1024 * KIB;
    let data = test_data(size, 5);
    let (target, print) = emu.new_print_upload(size as u64).await;
    let reply = emu
        .put_fragment(&print.upload_url, 0, &data[..320 * KIB], size as u64)
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let todo = emu.create_todo_session("notes.bin", 1000).await;

    let sessions = emu.open_sessions().await;
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    let find = |kind: &str| {
        sessions
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} session in {sessions:#?}"))
            .clone()
    };
    let listed = find("print");
    assert_eq!(
        listed["ownerPath"],
        format!(
            "/print/shares/{SHARE_ID}/jobs/{}/documents/{}",
            target.job, target.document
        )
    );
    assert_eq!(listed["name"], "report.pdf");
    assert_eq!(listed["contentType"], "application/pdf");
    assert_eq!(listed["size"], size);
    assert_eq!(listed["receivedRanges"], json!(["0-327679"]));
    assert_eq!(listed["bytesReceived"], 320 * KIB);
    assert_eq!(listed["inFlightRanges"], json!([]));
    assert_eq!(listed["nextExpectedRanges"], json!(["327680-1048575"]));
    assert_eq!(
        listed["expirationDateTime"].as_str(),
        Some(
            emu.status(&print.upload_url)
                .await
                .expiration_date_time
                .unwrap()
                .to_string()
                .as_str()
        ),
        "the expiry Graph answers for the session"
    );
    assert!(
        print.upload_url.contains(listed["id"].as_str().unwrap()),
        "the id is the upload URL's"
    );
    let listed = find("todo");
    assert_eq!(
        listed["ownerPath"],
        format!("/users/{USER_ID}/todo/lists/{LIST_ID}/tasks/{TASK_ID}")
    );
    assert_eq!(listed["size"], 1000);
    assert_eq!(listed["receivedRanges"], json!([]));
    assert_eq!(listed["bytesReceived"], 0);
    assert!(todo.upload_url.ends_with(listed["id"].as_str().unwrap()));

    // Completed and deleted sessions are no longer open.
    let reply = emu
        .upload_from(&print.upload_url, &data, 320 * KIB, 320 * KIB)
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    let kinds: Vec<_> = emu
        .open_sessions()
        .await
        .iter()
        .map(|s| s["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("todo")]);
    // An expired session is gone for Graph, and so from the list, before the sweeper runs.
    clock.advance(graph_upload_server::DEFAULT_SESSION_TTL + Duration::from_secs(1));
    assert!(emu.open_sessions().await.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn a_fragment_being_streamed_shows_as_in_flight_until_its_client_goes() {
    let emu = Emulator::start().await;
    let size = 640 * KIB;
    let data = test_data(size, 6);
    let (_, print) = emu.new_print_upload(size as u64).await;
    let at = print.upload_url.find("/uploadSessions/").unwrap();
    let mut stream = tokio::net::TcpStream::connect(emu.address()).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nContent-Range: bytes 0-327679/{size}\r\nContent-Length: 327680\r\n\r\n",
        &print.upload_url[at..],
        emu.address(),
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&data[..1000]).await.unwrap();
    emu.wait_for_put_bytes(1000).await;
    let listed = emu.open_sessions().await;
    assert_eq!(
        listed[0]["inFlightRanges"],
        json!(["0-327679"]),
        "{listed:#?}"
    );
    assert_eq!(listed[0]["receivedRanges"], json!([]));
    drop(stream);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while emu.open_sessions().await[0]["inFlightRanges"] != json!([]) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the abandoned fragment stayed in flight"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    emu.stop().await;
}

#[tokio::test]
async fn the_emulators_routes_need_the_bearer_token() {
    let emu = Emulator::start().await;
    for path in [
        "/_emulator/sessions",
        "/_emulator/stats",
        "/_emulator/faults",
    ] {
        let reply = emu.send(emu.bare(Method::GET, path)).await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", None);
        let reply = emu
            .send(emu.bare(Method::GET, path).bearer_auth("wrong-token"))
            .await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", None);
    }
    emu.stop().await;
}

#[tokio::test]
async fn stats_count_requests_by_route_and_status_bytes_and_faults() {
    let emu = Emulator::start_with(|config| {
        config.faults = graph_upload_server::FaultRule::parse_list(
            br#"[{"route": "status", "every": 1, "status": 503}]"#,
        )
        .unwrap();
    })
    .await;
    let size = 700usize;
    let (_, print) = emu.new_print_upload(size as u64).await;
    let reply = emu
        .put_fragment(&print.upload_url, 0, &test_data(size, 1), size as u64)
        .await;
    assert_eq!(reply.status, 201);
    let reply = emu.get_status(&print.upload_url).await;
    assert_eq!(reply.status, 503, "the fault rule answers");
    let unauthorized = emu.send(emu.bare(Method::GET, "/v1.0/print/shares")).await;
    assert_eq!(unauthorized.status, 401);

    let stats = emu.stats().await;
    assert_eq!(stats["requests"]["create"]["201"], 1, "{stats:#}");
    assert_eq!(stats["requests"]["create"]["200"], 1, "{stats:#}");
    assert_eq!(stats["requests"]["put"]["201"], 1, "{stats:#}");
    assert_eq!(stats["requests"]["status"]["503"], 1, "{stats:#}");
    assert_eq!(stats["requests"]["other"]["401"], 1, "{stats:#}");
    assert_eq!(stats["bytesReceived"]["put"], size, "{stats:#}");
    assert_eq!(stats["faults"]["injected"], 1, "{stats:#}");
    assert_eq!(stats["faults"]["rules"][0]["fired"], 1, "{stats:#}");
    emu.stop().await;
}
