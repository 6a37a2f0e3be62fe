//! A property test of the whole HTTP surface: random methods, paths, headers and bodies sent
//! through the router in-process (huge and malformed `Content-Range`, bad JSON, odd Unicode
//! ids, `..%2F` and other traversal attempts, wrong casing, upload URLs of live sessions with
//! random fragments). Whatever arrives, the emulator never panics, never answers 5xx, answers
//! every error with Graph's error JSON, and leaves stored data alone: a print document and a
//! To Do attachment uploaded before the loop read back byte-identical through `$value` after
//! it, and no file outside the data directory is touched.
//!
//! 10,000 cases by default (`PROPTEST_CASES` overrides); one million with the workspace's
//! long-fuzz switch, best run optimised:
//!
//! ```text
//! GRAPH_UPLOAD_LONG_FUZZ=1 cargo test --release -p graph-upload-server router_fuzz
//! ```

//!
//! The case ([`case`]) and its strategies ([`paths`], [`strategies`]), the live sessions it
//! aims at ([`live`]), the request made of it ([`request`]) and what the answers and the
//! stored data must be ([`checks`]).

mod case;
mod checks;
mod live;
mod paths;
mod request;
mod strategies;

use crate::test_app::TestApp;
use axum::http::Method;
use checks::{check_answer, files_outside, keep};
use live::{live_state, refill};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use request::request_of;
use std::collections::BTreeMap;
use std::time::Instant;
use strategies::case;

/// The variable of the long mode (shared with the other property tests of the workspace).
const LONG_FUZZ_VAR: &str = "GRAPH_UPLOAD_LONG_FUZZ";
/// Cases in the long mode.
const LONG_CASES: u32 = 1_000_000;
/// Cases in a normal run.
const DEFAULT_CASES: u32 = 10_000;

fn cases() -> u32 {
    if std::env::var(LONG_FUZZ_VAR).ok().as_deref().map(str::trim) == Some("1") {
        return LONG_CASES;
    }
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

#[test]
fn random_requests_never_panic_never_fail_the_server_and_leave_stored_data_alone() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::with(|config| {
        // Sessions of any size are files; keep the largest sparse file small.
        config.print_max_size = 64 * 1024 * 1024;
        // Small enough that random fragments of the live sessions can be too large.
        config.print_max_fragment = 600;
        config.todo_max_fragment = 500;
    }));
    let root = app.dir.path().to_path_buf();
    let data_dir = root.join("data");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc").join("passwd"), b"root:x:0:0").unwrap();
    std::fs::write(root.join("sentinel.txt"), b"outside the data directory").unwrap();
    let kept = runtime.block_on(keep(&app));
    let job_before = runtime
        .block_on(app.api(Method::GET, &kept.job, None))
        .json();
    let outside_before = files_outside(&root, &data_dir);
    let live = std::cell::RefCell::new(runtime.block_on(live_state(&app)));

    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let statuses = std::cell::RefCell::new(BTreeMap::<u16, u64>::new());
    let skipped = std::cell::Cell::new(0u64);
    let started = Instant::now();
    let result = runner.run(&case(), |case| {
        let Some((method, request)) = request_of(&case, &live.borrow()) else {
            skipped.set(skipped.get() + 1);
            return Ok(());
        };
        let answer = runtime.block_on(app.send(request));
        *statuses
            .borrow_mut()
            .entry(answer.status.as_u16())
            .or_default() += 1;
        if let Err(why) = check_answer(&method, &answer) {
            return Err(TestCaseError::fail(format!(
                "{why}; body: {}",
                String::from_utf8_lossy(&answer.body)
            )));
        }
        if matches!(answer.status.as_u16(), 201 | 204) {
            runtime.block_on(refill(&app, &mut live.borrow_mut()));
        }
        Ok(())
    });
    let elapsed = started.elapsed();
    eprintln!(
        "router fuzz: {cases} cases ({} not valid HTTP) in {elapsed:.1?}; answers by status: {:?}",
        skipped.get(),
        statuses.borrow()
    );
    if let Err(error) = result {
        panic!("{error}");
    }

    // Stored data is unchanged.
    let value = runtime.block_on(app.print_value(&kept.document));
    assert_eq!(value.status, 200, "{value:?}");
    assert!(value.body == kept.print_bytes, "the print document changed");
    let value = runtime.block_on(app.api(Method::GET, &kept.attachment_value, None));
    assert_eq!(value.status, 200, "{value:?}");
    assert!(value.body == kept.todo_bytes, "the attachment changed");
    let job_after = runtime
        .block_on(app.api(Method::GET, &kept.job, None))
        .json();
    assert_eq!(job_after, job_before, "the kept job changed");
    // Nothing outside the data directory was touched; inside, only the emulator's own files.
    assert!(
        files_outside(&root, &data_dir) == outside_before,
        "a file outside the data directory changed"
    );
    let mut names: Vec<String> = std::fs::read_dir(&data_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["blobs", "state.redb", "upload-url.key"]);
    for entry in std::fs::read_dir(data_dir.join("blobs")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            uuid::Uuid::parse_str(&name).is_ok() && entry.file_type().unwrap().is_file(),
            "blobs/{name} is not a blob"
        );
    }
    // Statuses the fuzz must have reached, or it did not test much.
    let statuses = statuses.into_inner();
    if cases >= 1000 {
        for status in [200, 201, 202, 204, 400, 401, 404, 405, 409, 413, 416] {
            assert!(
                statuses.contains_key(&status),
                "no {status} answer in {cases} cases: {statuses:?}"
            );
        }
    }
}
