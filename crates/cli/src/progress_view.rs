//! Progress on stderr: a bar when stderr is a terminal, plain lines otherwise, nothing with
//! `--quiet`; for one file ([`reporter`]) or for a run of several ([`RunView`]).

use graph_upload::ProgressEvent;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// The one progress display of a run with several files: bytes the server has acknowledged of
/// all files, and files done of all, on one bar when stderr is a terminal; otherwise a line
/// per finished file (and each retry or warning, naming its file). Nothing with `--quiet`.
#[derive(Clone)]
pub struct RunView {
    state: Option<Arc<RunState>>,
}

struct RunState {
    label: String,
    bar: Option<ProgressBar>,
    files_total: usize,
    files_done: AtomicUsize,
    acknowledged: AtomicU64,
}

impl RunView {
    /// A view of a run of `files_total` files, `bytes_total` bytes in all, labelled `label`.
    pub fn new(label: &str, quiet: bool, files_total: usize, bytes_total: u64) -> Self {
        if quiet {
            return RunView { state: None };
        }
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(bytes_total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(format!("{label}: 0/{files_total} files"));
            bar
        });
        RunView {
            state: Some(Arc::new(RunState {
                label: label.to_owned(),
                bar,
                files_total,
                files_done: AtomicUsize::new(0),
                acknowledged: AtomicU64::new(0),
            })),
        }
    }

    /// The progress callback of one file, `name` in messages.
    pub fn file(&self, name: String) -> impl Fn(ProgressEvent) + Send + Sync + 'static {
        let state = self.state.clone();
        let seen = AtomicU64::new(0);
        move |event| {
            let Some(state) = &state else { return };
            let now = match event {
                ProgressEvent::SessionReady { acknowledged, .. }
                | ProgressEvent::FragmentAcknowledged { acknowledged, .. }
                | ProgressEvent::Resumed { acknowledged } => acknowledged,
                ProgressEvent::Completed { total } => total,
                ProgressEvent::Retrying {
                    attempt,
                    delay,
                    reason,
                    url,
                } => {
                    let label = format!("{}: {name}", state.label);
                    state.println(retry_line(&label, attempt, delay, &reason, &url));
                    return;
                }
                ProgressEvent::Warning { message } => {
                    state.println(format!("{}: {name}: warning: {message}", state.label));
                    return;
                }
                _ => return,
            };
            // The server's count for this file may go down (a resync): move the total by the
            // difference.
            let before = seen.swap(now, Ordering::Relaxed);
            if now >= before {
                state
                    .acknowledged
                    .fetch_add(now - before, Ordering::Relaxed);
            } else {
                state
                    .acknowledged
                    .fetch_sub(before - now, Ordering::Relaxed);
            }
            if let Some(bar) = &state.bar {
                bar.set_position(state.acknowledged.load(Ordering::Relaxed));
            }
        }
    }

    /// A file is done: `error` is its failure's line, if it failed.
    pub fn finished(&self, name: &str, size: u64, error: Option<&str>) {
        let Some(state) = &self.state else { return };
        let done = state.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = state.files_total;
        match &state.bar {
            Some(bar) => {
                bar.set_message(format!("{}: {done}/{total} files", state.label));
                if let Some(error) = error {
                    bar.println(format!("{}: {name}: {error}", state.label));
                }
            }
            None => match error {
                None => eprintln!(
                    "{}: [{done}/{total}] done {name} ({size} bytes)",
                    state.label
                ),
                Some(error) => eprintln!("{}: [{done}/{total}] {name}: {error}", state.label),
            },
        }
    }

    /// Removes the bar (before the summary is printed).
    pub fn clear(&self) {
        if let Some(bar) = self.state.as_ref().and_then(|state| state.bar.as_ref()) {
            bar.finish_and_clear();
        }
    }
}

impl RunState {
    fn println(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}
