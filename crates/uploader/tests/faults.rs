//! The fault matrix: every fault effect of the emulator (`docs/protocol.md` section 8) x both flows
//! (print, To Do) x both transports (reqwest, hyper). Each case uploads a 3 MiB file in
//! 320 KiB fragments (ten PUTs) through the `graph-upload` library against the real emulator with
//! one fault rule on the fragment PUTs, checks the bytes through `$value`, and checks in
//! `GET /_emulator/stats` that the fault really fired.
//!
//! `every: 3` makes the faulted PUTs the same in every run; `retryAfter` is 0 or 1 so that the
//! matrix takes seconds.

use graph_upload::EndpointProfile;
use graph_upload_server::FaultRule;
use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::e2e_harness::{
    self as harness, Emulator, MIB, MakeTransport, QUANTUM, TestFile, download,
};
use graph_upload_testkit::e2e_transport::Recorder;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// No case may take longer than this (they take one to a few seconds).
const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// One module per backend, one test per (effect, flow).
macro_rules! matrix {
    (backends: [$($backend:ident),+], cases: $cases:tt) => {
        $(
            mod $backend {
                matrix!(@cases $backend; $cases);
            }
        )+
    };
    (@cases $backend:ident; [$($(#[$attribute:meta])* $case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$attribute])*
            async fn $case() {
                tokio::time::timeout(super::CASE_TIMEOUT, super::$case(super::harness::$backend))
                    .await
                    .expect("the case finished in time");
            }
        )*
    };
}

matrix! {
    backends: [reqwest_backend, hyper_backend],
    cases: [
        print_survives_429_with_retry_after,
        todo_survives_429_with_retry_after,
        print_survives_503_with_retry_after,
        todo_survives_503_with_retry_after,
        print_survives_resets_before_the_body,
        todo_survives_resets_before_the_body,
        print_survives_resets_after_the_body,
        todo_survives_resets_after_the_body,
        print_whose_completing_put_loses_its_answer_still_succeeds,
        print_survives_late_answers,
        todo_survives_late_answers,
    ]
}

/// Which flow a case uploads through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Print,
    Todo,
}

/// Uploads a 3 MiB file through `flow` with `rules` in force and the ten PUTs of 320 KiB;
/// checks `$value`; returns the statistics and the recorder.
async fn upload_with_faults(
    make: MakeTransport,
    flow: Flow,
    rules: &str,
) -> (serde_json::Value, Arc<Recorder>, Duration) {
    let rules = FaultRule::parse_list(rules.as_bytes()).expect("valid rules");
    let graph = Emulator::start_with(|config| {
        config.faults = rules;
        config.fault_seed = Some(11);
    })
    .await;
    let file = graph.file("faulted.bin", 3 * MIB, 3);
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let started = Instant::now();
    let bytes = match flow {
        Flow::Print => {
            let uploaded = graph
                .uploader(recorder.clone())
                .print_to_share(SHARE_ID)
                .document_name("faulted.pdf")
                .content_type("application/pdf")
                .profile(EndpointProfile::print().with_max_fragment(QUANTUM))
                .upload(&file.source())
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "the print upload failed: {error}; requests: {:#?}",
                        summary(&recorder)
                    )
                });
            // Every byte went at least once; what a fault lost went again, and is counted so.
            assert!(uploaded.bytes_sent >= file.len, "{uploaded:?}");
            assert_eq!(
                uploaded.bytes_sent - uploaded.bytes_resent,
                file.len,
                "{uploaded:?}"
            );
            let result = uploaded.item;
            assert!(result.started, "{result:?}");
            download(
                &transport,
                &graph.print_value_url(&result.job_id, &result.document.id),
            )
            .await
        }
        Flow::Todo => {
            let location = graph
                .uploader(recorder.clone())
                .todo_attachment(LIST_ID, TASK_ID)
                .name("faulted.bin")
                .content_type("application/octet-stream")
                .profile(EndpointProfile::todo().with_max_fragment(QUANTUM))
                .upload(&file.source())
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "the To Do upload failed: {error}; requests: {:#?}",
                        summary(&recorder)
                    )
                })
                .item
                .location;
            download(&transport, &format!("{location}/$value")).await
        }
    };
    let took = started.elapsed();
    file.assert_same(&bytes, "$value");
    let stats = graph.stats().await;
    check_one_document(&graph, flow, &file).await;
    graph.stop().await;
    (stats, recorder, took)
}

/// Exactly one document or attachment came of the upload, of the file's size.
async fn check_one_document(graph: &Emulator, flow: Flow, file: &TestFile) {
    match flow {
        Flow::Print => {
            let jobs = graph
                // The list leaves `documents` out unless expanded (printershare-list-jobs.md).
                .get_json(&format!("/print/shares/{SHARE_ID}/jobs?$expand=documents"))
                .await;
            let uploaded: Vec<&serde_json::Value> = jobs["value"]
                .as_array()
                .expect("jobs")
                .iter()
                .filter(|job| job["documents"][0]["size"] == file.len)
                .collect();
            assert_eq!(uploaded.len(), 1, "{jobs:#}");
        }
        Flow::Todo => {
            let attachments = graph.todo_attachments().await;
            let uploaded = attachments
                .iter()
                .filter(|a| a["name"] == "faulted.bin")
                .count();
            assert_eq!(uploaded, 1, "{attachments:#?}");
        }
    }
}

/// `METHOD path -> outcome` of each request, for failure messages, with the upload URLs'
/// credentials (`tempauthtoken=...`) cut wherever they appear.
fn summary(recorder: &Recorder) -> Vec<String> {
    recorder
        .log()
        .iter()
        .map(|sent| {
            redact(&format!(
                "{} {} {} -> {:?}",
                sent.method,
                sent.url,
                sent.content_range.as_deref().unwrap_or(""),
                sent.outcome
            ))
        })
        .collect()
}

/// `text` with the value of every `tempauthtoken=` replaced by `...`.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("tempauthtoken=") {
        let value_start = at + "tempauthtoken=".len();
        out.push_str(&rest[..value_start]);
        out.push_str("...");
        let value = &rest[value_start..];
        let end = value
            .find(|c: char| c == '&' || c == ')' || c == '"' || c == '\\' || c.is_whitespace())
            .unwrap_or(value.len());
        rest = &value[end..];
    }
    out.push_str(rest);
    out
}

/// Asserts that rule `index` fired at least once and that the request counts show `status`
/// among the PUTs' answers.
fn assert_fired(stats: &serde_json::Value, index: usize, put_status: &str) -> u64 {
    let rule = &stats["faults"]["rules"][index];
    let fired = rule["fired"].as_u64().unwrap_or(0);
    assert!(fired > 0, "rule {index} never fired: {stats:#}");
    assert!(
        stats["faults"]["injected"].as_u64().unwrap_or(0) >= fired,
        "{stats:#}"
    );
    assert_eq!(
        stats["requests"]["put"][put_status].as_u64(),
        Some(fired),
        "PUTs answered {put_status}: {stats:#}"
    );
    fired
}

// ---- 429 and 503 -------------------------------------------------------------------------------

const THROTTLED: &str = r#"[{"route": "put", "every": 3, "status": 429, "retryAfter": 1}]"#;
const UNAVAILABLE: &str = r#"[{"route": "put", "every": 3, "status": 503, "retryAfter": 0}]"#;

async fn status_case(make: MakeTransport, flow: Flow, rules: &str, status: u16) {
    let (stats, recorder, took) = upload_with_faults(make, flow, rules).await;
    let fired = assert_fired(&stats, 0, &status.to_string());
    // The client saw the status and tried the same bytes again.
    let answered = recorder
        .puts()
        .iter()
        .filter(|put| put.status() == Some(status))
        .count() as u64;
    assert_eq!(answered, fired, "{:#?}", summary(&recorder));
    if rules.contains("\"retryAfter\": 1") {
        // Each throttled PUT waited its second (To Do: one after the other).
        let least = if flow == Flow::Todo { fired } else { 1 };
        assert!(
            took >= Duration::from_secs(least),
            "{took:?} for {fired} x Retry-After: 1"
        );
    }
}

async fn print_survives_429_with_retry_after(make: MakeTransport) {
    status_case(make, Flow::Print, THROTTLED, 429).await;
}

async fn todo_survives_429_with_retry_after(make: MakeTransport) {
    status_case(make, Flow::Todo, THROTTLED, 429).await;
}

async fn print_survives_503_with_retry_after(make: MakeTransport) {
    status_case(make, Flow::Print, UNAVAILABLE, 503).await;
}

async fn todo_survives_503_with_retry_after(make: MakeTransport) {
    status_case(make, Flow::Todo, UNAVAILABLE, 503).await;
}

// ---- resets ------------------------------------------------------------------------------------

const RESET: &str = r#"[{"route": "put", "every": 3, "action": "reset"}]"#;
const RESET_AFTER_BODY: &str = r#"[{"route": "put", "every": 3, "action": "reset-after-body"}]"#;

async fn reset_case(make: MakeTransport, flow: Flow, rules: &str) {
    let (stats, recorder, _) = upload_with_faults(make, flow, rules).await;
    let fired = assert_fired(&stats, 0, "reset");
    // The client saw a failed request (no status) for each reset.
    let failed = recorder
        .puts()
        .iter()
        .filter(|put| matches!(put.outcome, Some(Err(_))))
        .count() as u64;
    assert_eq!(failed, fired, "{:#?}", summary(&recorder));
}

async fn print_survives_resets_before_the_body(make: MakeTransport) {
    reset_case(make, Flow::Print, RESET).await;
}

async fn todo_survives_resets_before_the_body(make: MakeTransport) {
    reset_case(make, Flow::Todo, RESET).await;
}

async fn print_survives_resets_after_the_body(make: MakeTransport) {
    reset_case(make, Flow::Print, RESET_AFTER_BODY).await;
}

async fn todo_survives_resets_after_the_body(make: MakeTransport) {
    reset_case(make, Flow::Todo, RESET_AFTER_BODY).await;
}

// ---- late answers ------------------------------------------------------------------------------

const LATE: &str = r#"[{"route": "put", "every": 3, "delayMs": 400}]"#;

async fn late_case(make: MakeTransport, flow: Flow) {
    let (stats, recorder, took) = upload_with_faults(make, flow, LATE).await;
    let fired = stats["faults"]["rules"][0]["fired"].as_u64().unwrap_or(0);
    assert!(fired > 0, "{stats:#}");
    // A late answer is still an answer: no PUT failed, each byte was sent once. (In print's
    // parallel flow a late answer may still be on its way when the last PUT completes the
    // upload; the uploader then drops it unread.)
    let puts = recorder.puts();
    assert!(
        puts.iter()
            .all(|put| matches!(put.outcome, Some(Ok(200..=202)) | None)),
        "{:#?}",
        summary(&recorder)
    );
    assert_eq!(recorder.put_bytes(), 3 * MIB, "{:#?}", summary(&recorder));
    if flow == Flow::Todo {
        assert!(took >= Duration::from_millis(400 * fired), "{took:?}");
    }
}

async fn print_survives_late_answers(make: MakeTransport) {
    late_case(make, Flow::Print).await;
}

async fn todo_survives_late_answers(make: MakeTransport) {
    late_case(make, Flow::Todo).await;
}

// ---- the answer to the completing PUT is lost -----------------------------------------------

/// One PUT at a time, and the tenth (last) is stored, completing the document, then its
/// connection closed without an answer: the session is gone (`404`), yet the upload
/// succeeded. The uploader finds the complete document instead of failing.
async fn print_whose_completing_put_loses_its_answer_still_succeeds(make: MakeTransport) {
    let rules =
        FaultRule::parse_list(br#"[{"route": "put", "every": 10, "action": "reset-after-body"}]"#)
            .expect("valid rules");
    let graph = Emulator::start_with(|config| config.faults = rules).await;
    let file = graph.file("last.bin", 3 * MIB, 5);
    let transport = make();
    let recorder = Recorder::new(Arc::clone(&transport));
    let result = graph
        .uploader(recorder.clone())
        .print_to_share(SHARE_ID)
        .profile(
            EndpointProfile::print()
                .with_max_fragment(QUANTUM)
                .with_parallel(1),
        )
        .upload(&file.source())
        .await
        .unwrap_or_else(|error| panic!("{error}; requests: {:#?}", summary(&recorder)))
        .item;
    assert_eq!(result.document.size, file.len);
    let bytes = download(
        &transport,
        &graph.print_value_url(&result.job_id, &result.document.id),
    )
    .await;
    file.assert_same(&bytes, "$value");
    let log = summary(&recorder);
    assert!(
        log.iter()
            .any(|line| line.starts_with("GET ") && line.contains("Ok(404)")),
        "the session was gone when asked: {log:#?}"
    );
    check_one_document(&graph, Flow::Print, &file).await;
    graph.stop().await;
}
