//! `kill -9` at random moments under parallel uploads never loses an acknowledged byte.

use crate::common::{BIN, slice, tempdir};
use graph_upload_testkit::fragments::{
    assert_same_bytes, pattern, put_print, put_todo, session_status,
};
use graph_upload_testkit::rng::Rng;
use graph_upload_testkit::serve_process::{MIB, Serve};
use graph_upload_testkit::spans::{intersects, merge, pieces};
use graph_upload_testkit::urls::rebase;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the uploading tasks saw before the server was killed.
#[derive(Debug, Default)]
struct Progress {
    /// Spans whose PUT got a 2xx.
    acked: Vec<Range<u64>>,
    /// A PUT got `201`: the upload completed.
    completed: bool,
    /// Unexpected (non-2xx) answers, which no PUT should get before the kill.
    refused: Vec<(Range<u64>, u16, String)>,
}

/// One upload driven by background tasks: print with two uploaders in parallel, in the order
/// of `spans`; To Do with one, in order. They stop at the first connection error.
fn spawn_uploaders(
    server: &Serve,
    upload_url: &str,
    todo: bool,
    bytes: &Arc<Vec<u8>>,
    spans: Vec<Range<u64>>,
    progress: &Arc<Mutex<Progress>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let size = bytes.len() as u64;
    let queue = Arc::new(Mutex::new(spans.into_iter().rev().collect::<Vec<_>>()));
    let workers = if todo { 1 } else { 2 };
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (queue, progress, bytes) = (queue.clone(), progress.clone(), bytes.clone());
        let http = server.http.clone();
        let (url, token) = (upload_url.to_owned(), server.token.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(span) = queue.lock().unwrap().pop() else {
                    return;
                };
                let body = slice(&bytes, &span);
                let result = if todo {
                    put_todo(&http, &url, &token, size, span.clone(), body).await
                } else {
                    put_print(&http, &url, size, span.clone(), body).await
                };
                let Ok(reply) = result else {
                    return; // the server is gone
                };
                let mut progress = progress.lock().unwrap();
                if (200..300).contains(&reply.status) {
                    progress.acked.push(span);
                    progress.completed |= reply.status == 201;
                } else {
                    progress
                        .refused
                        .push((span, reply.status, reply.body.to_string()));
                    return;
                }
            }
        }));
    }
    tasks
}

async fn join_uploaders(tasks: Vec<tokio::task::JoinHandle<()>>, context: &str) {
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .unwrap_or_else(|_| panic!("{context}: an uploader hung"))
            .expect("uploader task");
    }
}

/// Waits until the uploaders have had `count` fragments acknowledged (or stopped).
async fn wait_for_acks(
    progress: &Arc<Mutex<Progress>>,
    tasks: &[tokio::task::JoinHandle<()>],
    count: usize,
    context: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        {
            let progress = progress.lock().unwrap();
            assert!(
                progress.refused.is_empty(),
                "{context}: refused PUTs {:?}",
                progress.refused
            );
            if progress.acked.len() >= count {
                return;
            }
        }
        assert!(
            !tasks.iter().all(tokio::task::JoinHandle::is_finished),
            "{context}: the uploaders stopped before {count} fragments were acknowledged: {:?}",
            progress.lock().unwrap()
        );
        assert!(
            Instant::now() < deadline,
            "{context}: {count} fragments were not acknowledged within 30 s: {:?}",
            progress.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_never_loses_acknowledged_bytes() {
    const SEED: u64 = 0x5eed_6a4f_2026;
    const ITERATIONS: u64 = 8;
    let dir = tempdir();
    let data_dir = dir.path().join("data");
    let token = "random-kill-token";
    let piece = 256 * 1024;
    let mut rng = Rng::new(SEED);
    let mut server = Serve::start(BIN, &data_dir, token);

    let mut interrupted = 0;
    for iteration in 0..ITERATIONS {
        let todo = iteration % 2 == 1;
        let size = 6 * MIB + rng.below(MIB);
        let bytes = Arc::new(pattern(size, SEED ^ iteration));
        let name = format!("random-{iteration}.bin");
        let context = format!("seed {SEED:#x}, iteration {iteration}, To Do {todo}, size {size}");
        let mut spans = pieces(0..size, piece);
        let (upload_url, print_upload) = if todo {
            (
                server.create_todo_upload(&name, size).await.upload_url,
                None,
            )
        } else {
            rng.shuffle(&mut spans);
            let upload = server.create_print_upload(size).await;
            (upload.upload_url.clone(), Some(upload))
        };
        let progress = Arc::new(Mutex::new(Progress::default()));
        // The kill comes once a random number of fragments were acknowledged, leaving at
        // least four of them to go: the upload is cut with acknowledged bytes behind it and
        // more in flight, whatever the speed of the machine.
        let kill_after = 1 + rng.below(spans.len() as u64 - 4) as usize;
        let tasks = spawn_uploaders(&server, &upload_url, todo, &bytes, spans, &progress);
        wait_for_acks(&progress, &tasks, kill_after, &context).await;
        server.kill9();
        join_uploaders(tasks, &context).await;
        drop(server);
        let Progress {
            acked,
            completed,
            refused,
        } = std::mem::take(&mut *progress.lock().unwrap());
        assert!(refused.is_empty(), "{context}: refused PUTs {refused:?}");
        let acked = merge(acked);
        let acked_bytes: u64 = acked.iter().map(|s| s.end - s.start).sum();
        eprintln!(
            "{context}: killed after {kill_after} acknowledged fragments, with {acked_bytes} bytes acknowledged{}",
            if completed { " (completed)" } else { "" }
        );

        server = Serve::start(BIN, &data_dir, token);
        let url = rebase(&upload_url, &server.base);
        let bearer = todo.then_some(token);
        let (status, missing, body) = session_status(&server.http, &url, bearer, size).await;
        if status == 404 {
            // The upload completed before the kill (its 201 may not have reached the client).
            let stored = match &print_upload {
                Some(upload) => server.print_value(upload).await,
                None => {
                    let location = server.find_attachment(&name).await.unwrap_or_else(|| {
                        panic!("{context}: the session is gone but no attachment exists")
                    });
                    server.attachment_value(&location).await
                }
            };
            assert_same_bytes(&stored, &bytes, &context);
            continue;
        }
        assert_eq!(status, 200, "{context}: GET session: {body}");
        assert!(
            !completed,
            "{context}: a PUT got 201 yet the session still exists: {body}"
        );
        assert!(
            !intersects(&missing, &acked),
            "{context}: acknowledged bytes {acked:?} are reported missing again: {missing:?}"
        );
        if acked_bytes > 0 {
            interrupted += 1;
        }

        // Finish the upload and compare.
        let rest: Vec<Range<u64>> = if todo {
            pieces(missing[0].start..size, piece)
        } else {
            missing.into_iter().flat_map(|s| pieces(s, piece)).collect()
        };
        let mut location = None;
        for (i, span) in rest.iter().enumerate() {
            let body = slice(&bytes, span);
            let reply = if todo {
                put_todo(&server.http, &url, token, size, span.clone(), body).await
            } else {
                put_print(&server.http, &url, size, span.clone(), body).await
            }
            .unwrap_or_else(|e| panic!("{context}: PUT {span:?} after restart: {e}"));
            let expected = match (i + 1 == rest.len(), todo) {
                (true, _) => 201,
                (false, true) => 200,
                (false, false) => 202,
            };
            assert_eq!(
                reply.status, expected,
                "{context}: {span:?}: {}",
                reply.body
            );
            location = reply.location;
        }
        let stored = match &print_upload {
            Some(upload) => server.print_value(upload).await,
            None => {
                let location = location.expect("Location of the attachment");
                server.attachment_value(&location).await
            }
        };
        assert_same_bytes(&stored, &bytes, &context);
    }
    eprintln!("{interrupted} of {ITERATIONS} uploads were killed midway with acknowledged bytes");
    assert!(
        interrupted * 5 >= ITERATIONS * 4,
        "only {interrupted} of {ITERATIONS} uploads were killed midway with acknowledged bytes: \
         the test did not test kills mid-upload"
    );
}
