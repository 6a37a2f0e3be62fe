//! Failing fast: a server that is not there, or that does not speak HTTP.

use crate::helpers::progress_log;
use graph_upload::transport::Transport;
use graph_upload::{InstantClock, ProgressEvent, UploadError, UploadSource, Uploader};
use graph_upload_testkit::refused_port;
use graph_upload_testkit::uploader_mocks::{TOKEN, pattern};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) async fn an_unreachable_server_fails_fast_with_a_hint_before_anything_exists(
    transport: Arc<dyn Transport>,
) {
    // A port nothing listens on (bound, not listening, for the whole test).
    let refused = refused_port::RefusedPort::bind();
    let port = refused.port();
    let base = format!("http://127.0.0.1:{port}/v1.0");
    let (callback, events) = progress_log();
    for flow in ["print", "todo"] {
        // A real clock: the budget for a server that never answers is 3 s of real time.
        let client = Uploader::builder(&base)
            .token(TOKEN)
            .transport(Arc::clone(&transport))
            .build()
            .unwrap();
        let source = UploadSource::from_bytes(pattern(1000, 46));
        let started = Instant::now();
        let error = match flow {
            "print" => client
                .print_to_share("share-1")
                .on_progress(callback.clone())
                .upload(&source)
                .await
                .map(|_| ()),
            _ => client
                .todo_attachment("list-1", "task-1")
                .force_session(true)
                .on_progress(callback.clone())
                .upload(&source)
                .await
                .map(|_| ()),
        }
        .expect_err("nothing listens");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(error, UploadError::Unreachable { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("nothing answers at {base}"))
                && message.ends_with("is the emulator running? is it http or https?"),
            "{message}"
        );
    }
    assert!(events.lock().unwrap().is_empty(), "no retry was made");
}

pub(crate) async fn a_server_speaking_another_protocol_is_given_up_within_the_first_contact_budget(
    transport: Arc<dyn Transport>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Something that is not an HTTP server (here: a TLS alert) on the base URL's port.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut head = [0u8; 1024];
            let _ = socket.read(&mut head).await;
            let _ = socket
                .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                .await;
        }
    });
    let timer = Arc::new(InstantClock::default());
    let client = Uploader::builder(format!("http://127.0.0.1:{port}/v1.0"))
        .token(TOKEN)
        .transport(transport)
        .clock(Arc::clone(&timer) as Arc<dyn graph_upload::Clock>)
        .build()
        .unwrap();
    let (callback, events) = progress_log();

    let error = client
        .todo_attachment("list-1", "task-1")
        .force_session(true)
        .on_progress(callback)
        .upload(&UploadSource::from_bytes(pattern(1000, 48)))
        .await
        .expect_err("no HTTP answer");

    assert!(
        matches!(error, UploadError::Unreachable { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("is it http or https?"),
        "{error}"
    );
    let waited: Duration = timer.sleeps().iter().sum();
    assert!(waited <= Duration::from_millis(2500), "{waited:?}");
    let retries = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::Retrying { .. }))
        .count();
    assert!(
        retries > 0,
        "the failure was retried, and each retry reported"
    );
}
