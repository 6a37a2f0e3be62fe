//! Progress on stderr: a bar when stderr is a terminal, plain lines otherwise, nothing with
//! `--quiet`.

use graph_upload::{ProgressEvent, ProgressFn};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// A progress callback for an upload labelled `label`.
pub fn reporter(label: &str, quiet: bool) -> Option<ProgressFn> {
    if quiet {
        return None;
    }
    let label = label.to_owned();
    if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label);
        Some(Arc::new(move |event| match event {
            ProgressEvent::SessionReady {
                total,
                acknowledged,
                ..
            } => {
                bar.set_length(total);
                bar.set_position(acknowledged);
            }
            ProgressEvent::ChunkAcknowledged { acknowledged, .. }
            | ProgressEvent::Resumed { acknowledged } => bar.set_position(acknowledged),
            ProgressEvent::Retrying { delay, reason, .. } => {
                bar.println(format!("retrying in {delay:?}: {reason}"));
            }
            ProgressEvent::Completed { total } => {
                bar.set_position(total);
                bar.finish();
            }
            _ => {}
        }))
    } else {
        Some(Arc::new(move |event| match event {
            ProgressEvent::SessionReady {
                total,
                acknowledged,
                ..
            } => eprintln!("{label}: session ready, {acknowledged}/{total} bytes on the server"),
            ProgressEvent::ChunkAcknowledged {
                acknowledged,
                total,
                ..
            } => eprintln!("{label}: {acknowledged}/{total} bytes"),
            ProgressEvent::Resumed { acknowledged } => {
                eprintln!("{label}: resumed, the server has {acknowledged} bytes")
            }
            ProgressEvent::Retrying { delay, reason, .. } => {
                eprintln!("{label}: retrying in {delay:?}: {reason}")
            }
            ProgressEvent::Completed { total } => eprintln!("{label}: done, {total} bytes"),
            _ => {}
        }))
    }
}
