//! The emulator's fault injection, network shaping and connection limits over plain HTTP
//! (`docs/protocol.md` section 8): the `/_emulator/faults` and `/_emulator/stats` routes, what each
//! effect looks like on the wire, latency and bandwidth, the header-read and idle timeouts and
//! the connection cap. (`crates/uploader/tests/faults.rs` runs the uploader through every
//! effect.)
//!
//! Each test starts its own server on `127.0.0.1:0` with a temporary data directory.

use graph_upload_server::FaultRule;
use graph_upload_testkit::emulator::{
    self, Emulator, QUANTUM, TOKEN, assert_graph_error, test_data,
};
use graph_upload_testkit::reply::Reply;
use reqwest::Method;
use serde_json::json;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn rules(json: &str) -> Vec<FaultRule> {
    FaultRule::parse_list(json.as_bytes()).expect("valid rules")
}

async fn with_faults(json: &str) -> Emulator {
    let rules = rules(json);
    Emulator::start_with(|config| {
        config.faults = rules;
        config.fault_seed = Some(5);
    })
    .await
}

/// `METHOD /_emulator/{path}` with the token and an optional body.
async fn emulator_call(emulator: &Emulator, method: Method, path: &str, body: &str) -> Reply {
    let mut request = emulator
        .bare(method, &format!("/_emulator/{path}"))
        .bearer_auth(TOKEN);
    if !body.is_empty() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    emulator.send(request).await
}

async fn stats(emulator: &Emulator) -> serde_json::Value {
    let reply = emulator_call(emulator, Method::GET, "stats", "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.value()
}

// ---- the routes --------------------------------------------------------------------------------

#[tokio::test]
async fn emulator_routes_need_the_bearer_token() {
    let emulator = Emulator::start().await;
    for (method, path) in [
        (Method::GET, "/_emulator/faults"),
        (Method::PUT, "/_emulator/faults"),
        (Method::DELETE, "/_emulator/faults"),
        (Method::GET, "/_emulator/stats"),
    ] {
        let none = emulator
            .send(emulator.bare(method.clone(), path).body("[]"))
            .await;
        assert_graph_error(&none, 401, "InvalidAuthenticationToken", None);
        let wrong = emulator
            .send(
                emulator
                    .bare(method.clone(), path)
                    .bearer_auth("not-the-token")
                    .body("[]"),
            )
            .await;
        assert_graph_error(&wrong, 401, "InvalidAuthenticationToken", None);
    }
    // Nothing was changed by the refused calls.
    let reply = emulator_call(&emulator, Method::GET, "faults", "").await;
    assert_eq!(reply.value(), json!([]));
    emulator.stop().await;
}

#[tokio::test]
async fn fault_rules_are_read_replaced_and_cleared() {
    let emulator =
        with_faults(r#"[{"route": "put", "every": 3, "status": 503, "retryAfter": 1}]"#).await;
    let reply = emulator_call(&emulator, Method::GET, "faults", "").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.value(),
        json!([{"route": "put", "every": 3, "status": 503, "retryAfter": 1}])
    );
    let replacement = json!([
        {"route": "create", "probability": 0.5, "status": 429},
        {"route": "status", "every": 1, "delayMs": 10},
        {"route": "any", "every": 7, "action": "reset-after-body"},
    ]);
    let reply = emulator_call(&emulator, Method::PUT, "faults", &replacement.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.value(), replacement);
    let reply = emulator_call(&emulator, Method::GET, "faults", "").await;
    assert_eq!(reply.value(), replacement);
    assert_eq!(
        stats(&emulator).await["faults"]["rules"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let reply = emulator_call(&emulator, Method::DELETE, "faults", "").await;
    assert_eq!(reply.status, 204);
    let reply = emulator_call(&emulator, Method::GET, "faults", "").await;
    assert_eq!(reply.value(), json!([]));
    emulator.stop().await;
}

#[tokio::test]
async fn bad_fault_rules_get_graphs_error_naming_the_problem_and_change_nothing() {
    let kept = r#"[{"route": "put", "every": 2, "action": "reset"}]"#;
    let emulator = with_faults(kept).await;
    let cases = [
        ("{not json", "not a JSON array"),
        (r#"{"route": "put"}"#, "not a JSON array"),
        (
            r#"[{"route": "put", "every": 2, "probability": 0.5, "status": 503}]"#,
            "rule 0: both `probability` and `every`",
        ),
        (
            r#"[{"route": "put", "every": 2, "status": 503}, {"route": "put", "every": 2}]"#,
            "rule 1: no effect",
        ),
        (
            r#"[{"route": "put", "probability": 2, "status": 503}]"#,
            "not between 0 and 1",
        ),
        (
            r#"[{"route": "put", "every": 0, "status": 503}]"#,
            "`every` must be at least 1",
        ),
        (
            r#"[{"route": "put", "every": 1, "status": 503, "when": "always"}]"#,
            "unknown field `when`",
        ),
    ];
    for (body, expected) in cases {
        let reply = emulator_call(&emulator, Method::PUT, "faults", body).await;
        let error = assert_graph_error(&reply, 400, "invalidRequest", None);
        assert!(
            error.error.message.contains(expected),
            "{body}: {:?} does not say {expected:?}",
            error.error.message
        );
    }
    let reply = emulator_call(&emulator, Method::GET, "faults", "").await;
    assert_eq!(
        reply.value(),
        serde_json::from_str::<serde_json::Value>(kept).unwrap()
    );
    emulator.stop().await;
}

// ---- the effects on the wire -------------------------------------------------------------------

#[tokio::test]
async fn an_injected_status_is_graphs_error_with_retry_after_and_stores_nothing() {
    let emulator = with_faults(
        r#"[{"route": "put", "every": 1, "status": 503, "retryAfter": 2},
            {"route": "create", "every": 2, "status": 429, "retryAfter": 0}]"#,
    )
    .await;
    let size = 2 * QUANTUM as u64;
    let data = test_data(size as usize, 1);
    // The job is create 1; its upload session is create 2: throttled.
    let target = emulator
        .create_print_job(&emulator::share(graph_upload_server::fixtures::SHARE_ID))
        .await;
    let body = json!({"properties": {"documentName": "a.pdf", "contentType": "application/pdf", "size": size}});
    let throttled = emulator.create_print_session_raw(&target, &body).await;
    assert_graph_error(&throttled, 429, "tooManyRequests", None);
    assert_eq!(throttled.header("retry-after"), Some("0"));
    let session = emulator.create_print_session_raw(&target, &body).await;
    assert_eq!(session.status, 200, "{}", session.text());
    let url = session.upload_session().upload_url;

    let reply = emulator
        .send(
            emulator
                .fragment_request(&url, 0, &data[..QUANTUM], size)
                .header("client-request-id", "abc-123"),
        )
        .await;
    let error = assert_graph_error(&reply, 503, "serviceNotAvailable", None);
    assert!(error.error.message.contains("fault rule 0"), "{error:?}");
    assert_eq!(reply.header("retry-after"), Some("2"));
    assert_eq!(reply.header("client-request-id"), Some("abc-123"));
    assert_eq!(
        emulator.missing(&url).await,
        vec![format!("0-{}", size - 1)]
    );
    let stats = stats(&emulator).await;
    assert_eq!(stats["requests"]["put"], json!({"503": 1}), "{stats:#}");
    assert_eq!(stats["requests"]["create"]["429"], 1, "{stats:#}");
    assert_eq!(stats["faults"]["injected"], 2, "{stats:#}");
    assert_eq!(stats["faults"]["rules"][0]["fired"], 1, "{stats:#}");
    assert_eq!(stats["faults"]["rules"][1]["fired"], 1, "{stats:#}");
    // The body was read (and thrown away), so the answer came as an answer.
    assert_eq!(stats["bytesReceived"]["put"], QUANTUM, "{stats:#}");
    emulator.stop().await;
}

/// Sends a print fragment PUT on a raw connection and reads whatever comes back.
async fn raw_put(
    address: SocketAddr,
    url: &str,
    data: &[u8],
    total: u64,
) -> Result<Vec<u8>, String> {
    let path = url
        .split_once("//")
        .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
        .expect("a path");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nContent-Range: bytes 0-{}/{total}\r\n\r\n",
        data.len(),
        data.len() - 1
    );
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("write head");
    // The server may close before the body is read: a failed write is part of the outcome.
    let _ = stream.write_all(data).await;
    let mut answer = Vec::new();
    match tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await {
        Ok(Ok(_)) => Ok(answer),
        Ok(Err(error)) => Err(error.kind().to_string()),
        Err(_) => panic!("no end of the connection within 10 s"),
    }
}

#[tokio::test]
async fn a_reset_closes_the_connection_unanswered_before_the_body_and_stores_nothing() {
    let emulator = with_faults(r#"[{"route": "put", "every": 1, "action": "reset"}]"#).await;
    let size = 4 * QUANTUM as u64;
    let data = test_data(size as usize, 2);
    let (_, session) = emulator.new_print_upload(size).await;
    // reqwest sees a failed request, not a status.
    let error = emulator
        .fragment_request(&session.upload_url, 0, &data, size)
        .send()
        .await
        .expect_err("a reset, not an answer");
    assert!(error.status().is_none(), "{error:?}");
    assert!(
        error.is_request() || error.is_connect() || error.is_body(),
        "{error:?}"
    );
    // On the wire: no status line, the connection reset or ended.
    let raw = raw_put(emulator.address(), &session.upload_url, &data, size).await;
    assert!(
        raw.as_ref().map_or(true, |bytes| bytes.is_empty()),
        "an answer came: {:?}",
        raw.map(|b| String::from_utf8_lossy(&b).into_owned())
    );
    let stats = stats(&emulator).await;
    assert_eq!(stats["requests"]["put"], json!({"reset": 2}), "{stats:#}");
    assert_eq!(stats["faults"]["rules"][0]["fired"], 2, "{stats:#}");
    assert!(
        stats["bytesReceived"]["put"].as_u64().unwrap_or(0) < size,
        "the body was not read: {stats:#}"
    );
    // Nothing was stored.
    let reply = emulator_call(&emulator, Method::DELETE, "faults", "").await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        emulator.missing(&session.upload_url).await,
        vec![format!("0-{}", size - 1)]
    );
    emulator.stop().await;
}

#[tokio::test]
async fn reset_after_body_stores_the_fragment_then_closes_unanswered() {
    let emulator =
        with_faults(r#"[{"route": "put", "every": 1, "action": "reset-after-body"}]"#).await;
    let size = 3 * QUANTUM as u64;
    let data = test_data(size as usize, 3);
    let (_, session) = emulator.new_print_upload(size).await;
    let error = emulator
        .fragment_request(&session.upload_url, 0, &data[..QUANTUM], size)
        .send()
        .await
        .expect_err("no answer");
    assert!(error.status().is_none(), "{error:?}");
    // The fragment was stored and recorded: only the rest is missing.
    assert_eq!(
        emulator.missing(&session.upload_url).await,
        vec![format!("{QUANTUM}-{}", size - 1)]
    );
    let stats = stats(&emulator).await;
    assert_eq!(stats["requests"]["put"], json!({"reset": 1}), "{stats:#}");
    assert_eq!(stats["bytesReceived"]["put"], QUANTUM, "{stats:#}");
    emulator.stop().await;
}

#[tokio::test]
async fn delay_answers_late_and_only_on_its_route() {
    let emulator = with_faults(r#"[{"route": "status", "every": 1, "delayMs": 400}]"#).await;
    let size = QUANTUM as u64;
    let (_, session) = emulator.new_print_upload(size).await;
    let started = Instant::now();
    assert_eq!(emulator.get_status(&session.upload_url).await.status, 200);
    let late = started.elapsed();
    assert!(late >= Duration::from_millis(400), "{late:?}");
    // Other calls are not delayed, and `any` or not, the emulator's routes never are.
    let started = Instant::now();
    assert_eq!(emulator.get("/print/shares").await.status, 200);
    assert!(started.elapsed() < Duration::from_millis(400));
    assert_eq!(stats(&emulator).await["faults"]["rules"][0]["fired"], 1);
    emulator.stop().await;
}

#[tokio::test]
async fn any_faults_every_graph_call_but_never_the_emulators_routes() {
    let emulator = with_faults(r#"[{"route": "any", "every": 1, "status": 500}]"#).await;
    let reply = emulator.get("/print/shares").await;
    assert_graph_error(&reply, 500, "generalException", None);
    let reply = emulator_call(&emulator, Method::GET, "faults", "").await;
    assert_eq!(reply.status, 200);
    let reply = emulator_call(&emulator, Method::DELETE, "faults", "").await;
    assert_eq!(reply.status, 204);
    assert_eq!(emulator.get("/print/shares").await.status, 200);
    let stats = stats(&emulator).await;
    assert_eq!(
        stats["requests"]["other"],
        json!({"500": 1, "200": 1}),
        "{stats:#}"
    );
    emulator.stop().await;
}

// ---- shaping -----------------------------------------------------------------------------------

#[tokio::test]
async fn latency_is_added_before_every_answer() {
    let emulator = Emulator::start_with(|config| config.latency = Duration::from_millis(300)).await;
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(emulator.get("/print/shares").await.status, 200);
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
    }
    emulator.stop().await;
}

#[tokio::test]
async fn bandwidth_caps_the_upload_rate_of_a_connection() {
    let rate = 256 * 1024;
    let emulator = Emulator::start_with(|config| config.bandwidth = Some(rate)).await;
    let size = 2 * QUANTUM as u64;
    let data = test_data(size as usize, 4);
    let (_, session) = emulator.new_print_upload(size).await;
    let started = Instant::now();
    let reply = emulator
        .put_fragment(&session.upload_url, 0, &data, size)
        .await;
    let took = started.elapsed();
    assert_eq!(reply.status, 201, "{}", reply.text());
    // 640 KiB at 256 KiB/s, less the first quarter second's burst: at least 2.25 s.
    assert!(took >= Duration::from_millis(2200), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    emulator.stop().await;
}

// ---- connection limits -------------------------------------------------------------------------

/// Reads one HTTP/1.1 answer with a `Content-Length` from a kept-alive connection: its status.
async fn read_answer(stream: &mut TcpStream) -> u16 {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().expect("a length"));
            if bytes.len() >= end + 4 + length {
                let status = head.split(' ').nth(1).expect("status");
                return status.parse().expect("a status code");
            }
        }
        let read = stream.read(&mut buffer).await.expect("read an answer");
        assert!(read > 0, "the connection ended before the answer");
        bytes.extend_from_slice(&buffer[..read]);
    }
}

fn keep_alive_get(address: SocketAddr) -> Vec<u8> {
    format!(
        "GET /v1.0/print/shares HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    )
    .into_bytes()
}

/// Waits until the server ends the connection; returns how long that took.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 256];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection stayed open for 10 s"),
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_head_is_closed_after_the_header_read_timeout() {
    let emulator = Emulator::start_with(|config| {
        config.header_read_timeout = Duration::from_millis(400);
    })
    .await;
    let mut stream = TcpStream::connect(emulator.address())
        .await
        .expect("connect");
    stream
        .write_all(b"GET /v1.0/print/shares HTTP/1.1\r\nHost: loc")
        .await
        .expect("half a head");
    let took = time_until_closed(&mut stream).await;
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // A connection that never sends a byte is closed the same way.
    let mut silent = TcpStream::connect(emulator.address())
        .await
        .expect("connect");
    time_until_closed(&mut silent).await;
    let stats = stats(&emulator).await;
    assert_eq!(stats["connections"]["headerTimeouts"], 2, "{stats:#}");
    emulator.stop().await;
}

#[tokio::test]
async fn a_slow_body_is_not_cut_by_the_header_read_timeout() {
    let emulator = Emulator::start_with(|config| {
        config.header_read_timeout = Duration::from_millis(300);
    })
    .await;
    let size = 3000u64;
    let data = test_data(size as usize, 5);
    let (_, session) = emulator.new_print_upload(size).await;
    let path = session
        .upload_url
        .split_once("//")
        .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
        .expect("a path");
    let address = emulator.address();
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "PUT {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {size}\r\nContent-Range: bytes 0-{}/{size}\r\n\r\n",
        size - 1
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    for piece in data.chunks(1000) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        stream.write_all(piece).await.expect("a piece of the body");
    }
    assert_eq!(read_answer(&mut stream).await, 201);
    emulator.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let emulator = Emulator::start_with(|config| {
        config.header_read_timeout = Duration::from_millis(200);
        config.idle_timeout = Duration::from_millis(1200);
    })
    .await;
    let address = emulator.address();
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream
        .write_all(&keep_alive_get(address))
        .await
        .expect("request");
    assert_eq!(read_answer(&mut stream).await, 200);
    // Idle for longer than the header-read timeout: still open, and it serves the next one.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stream
        .write_all(&keep_alive_get(address))
        .await
        .expect("request");
    assert_eq!(read_answer(&mut stream).await, 200);
    let took = time_until_closed(&mut stream).await;
    assert!(took >= Duration::from_millis(1000), "{took:?}");
    let stats = stats(&emulator).await;
    assert_eq!(stats["connections"]["idleTimeouts"], 1, "{stats:#}");
    assert_eq!(stats["connections"]["headerTimeouts"], 0, "{stats:#}");
    emulator.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let emulator = Emulator::start_with(|config| {
        config.max_connections = 2;
        config.idle_timeout = Duration::from_millis(800);
    })
    .await;
    let address = emulator.address();
    // Two kept-alive connections hold both places (each answered, so surely accepted).
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(address).await.expect("connect");
        stream
            .write_all(&keep_alive_get(address))
            .await
            .expect("request");
        assert_eq!(read_answer(&mut stream).await, 200);
        held.push(stream);
    }
    // A third client waits in the backlog until the idle timeout frees a place.
    let started = Instant::now();
    assert_eq!(emulator.get("/print/shares").await.status, 200);
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    for stream in &mut held {
        time_until_closed(stream).await;
    }
    let stats = stats(&emulator).await;
    assert!(
        stats["connections"]["limitReached"].as_u64().unwrap_or(0) >= 1,
        "{stats:#}"
    );
    assert_eq!(stats["connections"]["idleTimeouts"], 2, "{stats:#}");
    emulator.stop().await;
}
