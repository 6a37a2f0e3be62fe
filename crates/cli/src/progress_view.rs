//! Progress on stderr: a bar when stderr is a terminal, plain lines otherwise, nothing with
//! `--quiet`.

use graph_upload::ProgressEvent;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// A progress callback for an upload of `total` bytes labelled `label` (silent with `quiet`).
/// The bar knows the total from the start, and is cleared when the upload completes, so the
/// JSON printed on stdout afterwards never shares its line.
pub fn reporter(
    label: &str,
    quiet: bool,
    total: u64,
) -> impl Fn(ProgressEvent) + Send + Sync + 'static {
    let view = view(label, quiet, total);
    move |event| {
        if let Some(view) = &view {
            view(event);
        }
    }
}

/// Draws one upload's events on stderr.
type View = Arc<dyn Fn(ProgressEvent) + Send + Sync>;

fn view(label: &str, quiet: bool, total: u64) -> Option<View> {
    if quiet {
        return None;
    }
    let label = label.to_owned();
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label.clone());
        Some(Arc::new(move |event| match event {
            ProgressEvent::SessionReady {
                total,
                acknowledged,
                ..
            } => {
                bar.set_length(total);
                bar.set_position(acknowledged);
            }
            ProgressEvent::FragmentAcknowledged { acknowledged, .. }
            | ProgressEvent::Resumed { acknowledged } => bar.set_position(acknowledged),
            ProgressEvent::Retrying {
                attempt,
                delay,
                reason,
                url,
            } => bar.println(retry_line(&label, attempt, delay, &reason, &url)),
            ProgressEvent::Warning { message } => {
                bar.println(format!("{label}: warning: {message}"))
            }
            ProgressEvent::Completed { .. } => bar.finish_and_clear(),
            _ => {}
        }))
    } else {
        Some(Arc::new(move |event| match event {
            ProgressEvent::SessionReady {
                total,
                acknowledged,
                ..
            } => eprintln!("{label}: session ready, {acknowledged}/{total} bytes on the server"),
            ProgressEvent::FragmentAcknowledged {
                acknowledged,
                total,
                ..
            } => eprintln!("{label}: {acknowledged}/{total} bytes"),
            ProgressEvent::Resumed { acknowledged } => {
                eprintln!("{label}: resumed, the server has {acknowledged} bytes")
            }
            ProgressEvent::Retrying {
                attempt,
                delay,
                reason,
                url,
            } => eprintln!("{}", retry_line(&label, attempt, delay, &reason, &url)),
            ProgressEvent::Warning { message } => eprintln!("{label}: warning: {message}"),
            ProgressEvent::Completed { total } => eprintln!("{label}: done, {total} bytes"),
            _ => {}
        }))
    }
}

/// `print: retry 2 in 0.8 s after HTTP 503 from http://host/uploadSessions/1?...` (the URL
/// arrives redacted from the library).
fn retry_line(label: &str, attempt: u32, delay: Duration, reason: &str, url: &str) -> String {
    format!(
        "{label}: retry {attempt} in {:.1} s after {reason} from {url}",
        delay.as_secs_f64()
    )
}
