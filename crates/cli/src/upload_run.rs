//! Runs the files of one `upload` command: one file as the command always did (its progress,
//! its JSON on stdout, its failure as the command's), several concurrently with one progress
//! display, a JSON line per uploaded file on stdout (`{"file", "item"}`) in the order the
//! files were given, a
//! summary on stderr, and every failure listed at the end.
//!
//! At most `max_in_flight` files are started at once; the requests of all of them share the
//! limit of the transport (`graph_upload::LimitedTransport`), so a file's parallel fragments
//! count against it too. A failed file does not stop the others; Ctrl-C stops them all.

use crate::progress_view::{RunView, reporter};
use crate::upload::Failure;
use crate::upload_files::LocalFile;
use graph_upload::{CancellationToken, ProgressEvent};
use indicatif::HumanBytes;
use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One file's upload, as a flow runs it.
pub struct FileTask {
    /// The file.
    pub file: LocalFile,
    /// Its journal: `--journal FILE` for one file, a file in `--journal DIR` for several.
    pub journal: Option<PathBuf>,
    /// Where its progress goes.
    pub progress: Arc<dyn Fn(ProgressEvent) + Send + Sync>,
    /// Cancelled by Ctrl-C (for every file of the run).
    pub cancel: CancellationToken,
}

/// What an uploaded file prints on stdout.
pub struct Printed {
    /// The item's JSON.
    pub value: serde_json::Value,
    /// Whether one file prints it indented (every flow's item does; To Do's `{"location"}`
    /// fallback has always been one line).
    pub pretty: bool,
}

/// The future of one file's upload.
pub type Upload = Pin<Box<dyn Future<Output = Result<Printed, Failure>> + Send>>;

/// Uploads one file: what a flow gives [`run`].
pub type UploadOne = Arc<dyn Fn(FileTask) -> Upload + Send + Sync>;

/// The files of a run and how to show them.
pub struct Plan {
    /// The flow's name in progress lines (`print`, `todo`, `drive`, `mail`).
    pub label: &'static str,
    /// The files, checked.
    pub files: Vec<LocalFile>,
    /// Several files (or a directory) were given: JSON Lines, one progress display, a
    /// summary. Otherwise exactly one file, shown as before.
    pub several: bool,
    /// `--quiet`.
    pub quiet: bool,
    /// `--max-in-flight`: files started at once (requests in flight are bounded by the
    /// transport).
    pub max_in_flight: usize,
    /// `--journal`: a file for one file, a directory (prepared) for several.
    pub journal: Option<PathBuf>,
}

/// How one file ended.
struct Outcome {
    result: Result<Printed, Failure>,
    elapsed: Duration,
}

/// Runs the plan; the error is the command's failure line (for several files, after each
/// failed file's own line on stderr).
pub async fn run(plan: Plan, cancel: CancellationToken, upload: UploadOne) -> Result<(), Failure> {
    if !plan.several {
        return run_one(plan, cancel, upload).await;
    }
    let started = Instant::now();
    let total_bytes: u64 = plan.files.iter().map(|file| file.size).sum();
    let view = RunView::new(plan.label, plan.quiet, plan.files.len(), total_bytes);
    let slots = Arc::new(Semaphore::new(plan.max_in_flight.max(1)));
    let mut outcomes: Vec<Option<Outcome>> = (0..plan.files.len()).map(|_| None).collect();
    let mut printer = Printer::default();
    let mut tasks = JoinSet::new();
    let mut indexes = HashMap::new();
    for (index, file) in plan.files.iter().enumerate() {
        let slot = tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            slot = Arc::clone(&slots).acquire_owned() => slot.ok(),
        };
        while let Some(joined) = tasks.try_join_next_with_id() {
            settle(joined, &indexes, &plan, &view, &mut outcomes, &mut printer);
        }
        let Some(slot) = slot else { break };
        let task = FileTask {
            file: file.clone(),
            journal: plan
                .journal
                .as_deref()
                .map(|directory| crate::journal_dir::journal_for(directory, &file.path)),
            progress: Arc::new(view.file(file.path.display().to_string())),
            cancel: cancel.clone(),
        };
        let upload = Arc::clone(&upload);
        let handle = tasks.spawn(async move {
            let began = Instant::now();
            let result = upload(task).await;
            drop(slot);
            Outcome {
                result,
                elapsed: began.elapsed(),
            }
        });
        indexes.insert(handle.id(), index);
    }
    while let Some(joined) = tasks.join_next_with_id().await {
        settle(joined, &indexes, &plan, &view, &mut outcomes, &mut printer);
    }
    view.clear();
    summarize(&plan, outcomes, started.elapsed())
}

/// One file: the output and failure of the command before it took several.
async fn run_one(
    mut plan: Plan,
    cancel: CancellationToken,
    upload: UploadOne,
) -> Result<(), Failure> {
    let Some(file) = plan.files.pop() else {
        return Err(Failure::from("no file to upload".to_string()));
    };
    let progress = reporter(plan.label, plan.quiet, file.size);
    let printed = upload(FileTask {
        file,
        journal: plan.journal,
        progress: Arc::new(progress),
        cancel,
    })
    .await?;
    let text = if printed.pretty {
        serde_json::to_string_pretty(&printed.value)
    } else {
        serde_json::to_string(&printed.value)
    };
    println!(
        "{}",
        text.map_err(|error| Failure::from(error.to_string()))?
    );
    Ok(())
}

/// Records a finished task and prints the JSON lines now in order.
fn settle(
    joined: Result<(tokio::task::Id, Outcome), tokio::task::JoinError>,
    indexes: &HashMap<tokio::task::Id, usize>,
    plan: &Plan,
    view: &RunView,
    outcomes: &mut [Option<Outcome>],
    printer: &mut Printer,
) {
    let (id, outcome) = match joined {
        Ok((id, outcome)) => (id, outcome),
        Err(error) => (
            error.id(),
            Outcome {
                result: Err(Failure::from(format!("the upload task failed: {error}"))),
                elapsed: Duration::ZERO,
            },
        ),
    };
    let Some(&index) = indexes.get(&id) else {
        return;
    };
    let file = &plan.files[index];
    view.finished(
        &file.path.display().to_string(),
        file.size,
        outcome
            .result
            .as_ref()
            .err()
            .map(|failure| failure.message.as_str()),
    );
    outcomes[index] = Some(outcome);
    printer.flush(plan, outcomes);
}

/// Prints each uploaded file's JSON line once every file before it has finished.
#[derive(Default)]
struct Printer {
    next: usize,
}

impl Printer {
    fn flush(&mut self, plan: &Plan, outcomes: &[Option<Outcome>]) {
        let mut stdout = std::io::stdout().lock();
        while let Some(Some(outcome)) = outcomes.get(self.next) {
            if let Ok(printed) = &outcome.result {
                let line = json_line(&plan.files[self.next], &printed.value);
                // A closed stdout (`| head`) does not stop the uploads.
                let _ = writeln!(stdout, "{line}");
            }
            self.next += 1;
        }
        let _ = stdout.flush();
    }
}

/// One line: `{"file": LOCAL PATH, "item": THE ITEM}`. The item is nested, not merged: a
/// driveItem has a `file` member of its own (its facet).
fn json_line(file: &LocalFile, value: &serde_json::Value) -> String {
    serde_json::json!({
        "file": file.path.display().to_string(),
        "item": value,
    })
    .to_string()
}

/// The summary (unless `--quiet`), then a line per failed file; the command's failure when
/// any file failed or was not started.
fn summarize(
    plan: &Plan,
    outcomes: Vec<Option<Outcome>>,
    elapsed: Duration,
) -> Result<(), Failure> {
    let mut failed = Vec::new();
    let mut interrupted = false;
    let mut uploaded_bytes = 0;
    let mut rows = Vec::new();
    for (file, outcome) in plan.files.iter().zip(outcomes) {
        let name = file.path.display().to_string();
        let (result, time) = match outcome {
            Some(Outcome {
                result: Ok(_),
                elapsed,
            }) => {
                uploaded_bytes += file.size;
                ("ok".to_string(), Some(elapsed))
            }
            Some(Outcome {
                result: Err(failure),
                elapsed,
            }) => {
                interrupted |= failure.interrupted;
                failed.push(format!("{name}: {}", failure.message));
                (format!("failed: {}", failure.message), Some(elapsed))
            }
            None => {
                interrupted = true;
                failed.push(format!("{name}: interrupted before it started"));
                ("not started".to_string(), None)
            }
        };
        rows.push((name, file.size, result, time));
    }
    if !plan.quiet {
        let seconds = elapsed.as_secs_f64();
        eprintln!(
            "{}: {} of {} files, {} in {seconds:.2} s ({}/s)",
            plan.label,
            plan.files.len() - failed.len(),
            plan.files.len(),
            HumanBytes(uploaded_bytes),
            HumanBytes((uploaded_bytes as f64 / seconds.max(1e-9)) as u64),
        );
        for (name, size, result, time) in rows {
            let time =
                time.map_or_else(|| "-".to_string(), |t| format!("{:.2} s", t.as_secs_f64()));
            eprintln!("  {name}  {}  {time}  {result}", HumanBytes(size));
        }
    }
    if failed.is_empty() {
        return Ok(());
    }
    for line in &failed {
        eprintln!("graph-upload: {line}");
    }
    Err(Failure {
        message: format!("{} of {} files failed", failed.len(), plan.files.len()),
        interrupted,
    })
}
