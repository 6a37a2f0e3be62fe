//! Test-only seam around the calls that make an answer's promise true: the `fdatasync` of a
//! blob and the commit of a redb transaction. `kill -9` cannot show that a fragment was
//! acknowledged only after both (the page cache survives it), so each is recorded here in the
//! order it happened, with the answers, for a test to check the order.
//!
//! One log for the whole test process: events carry the ids of their file, records and session,
//! which are unique to the test that made them.

use std::sync::Mutex;

/// The identity of a blob file: device and inode (every open of one blob gives the same).
pub(crate) type FileId = (u64, u64);

/// Something that happened on the way to an answer.
#[derive(Debug, Clone)]
pub(crate) enum Event {
    /// A fragment's bytes `start..end` were written to the file (not yet synced).
    Written { file: FileId, start: u64, end: u64 },
    /// An `fdatasync` of the file began: it covers every write that finished before.
    SyncStarted { file: FileId },
    /// That `fdatasync` returned.
    Synced { file: FileId },
    /// A transaction committed these records: key, and the stored JSON (`None`: deleted).
    Committed {
        records: Vec<(String, Option<Vec<u8>>)>,
    },
    /// A fragment PUT of `start..end` to `session` is answered `status`.
    Answered {
        session: String,
        start: u64,
        end: u64,
        status: u16,
    },
}

static LOG: Mutex<Vec<Event>> = Mutex::new(Vec::new());

/// Appends `event`.
pub(crate) fn record(event: Event) {
    LOG.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(event);
}

/// How many events so far (a test's own events come after the length it read first).
pub(crate) fn len() -> usize {
    LOG.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .len()
}

/// The events from index `from` on.
pub(crate) fn since(from: usize) -> Vec<Event> {
    LOG.lock().unwrap_or_else(|poisoned| poisoned.into_inner())[from..].to_vec()
}

/// The identity of `file`.
pub(crate) fn file_id(file: &std::fs::File) -> FileId {
    use std::os::unix::fs::MetadataExt;
    let metadata = file.metadata().expect("metadata of a blob");
    (metadata.dev(), metadata.ino())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_app::TestApp;

    /// The session id in an upload URL's path.
    fn session_of(url: &str) -> String {
        let after = url.rsplit("Sessions/").next().unwrap();
        after.split(['?', '/']).next().unwrap().to_owned()
    }

    /// Whether a committed session record (JSON) has received all of `start..end`.
    fn covers(json: &[u8], start: u64, end: u64) -> bool {
        let record: serde_json::Value = serde_json::from_slice(json).unwrap();
        record["received"]
            .as_array()
            .unwrap()
            .iter()
            .any(|span| span[0].as_u64().unwrap() <= start && end <= span[1].as_u64().unwrap())
    }

    /// Checks every answer to a fragment of `session` in `events`: before it, its bytes were
    /// written, an fdatasync of their file began after that write and returned, and a commit
    /// after the write stored a record of the session that has the bytes (or, for the answer
    /// that completes the upload, deleted the session). Returns the statuses checked.
    fn check_answers(events: &[Event], session: &str) -> Vec<u16> {
        let mut statuses = Vec::new();
        for (at, event) in events.iter().enumerate() {
            let Event::Answered {
                session: answered,
                start,
                end,
                status,
            } = event
            else {
                continue;
            };
            if answered != session {
                continue;
            }
            let (start, end, status) = (*start, *end, *status);
            let before = &events[..at];
            let (written, file) = before
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, e)| match e {
                    Event::Written {
                        file,
                        start: s,
                        end: e,
                    } if (*s, *e) == (start, end) => Some((i, *file)),
                    _ => None,
                })
                .unwrap_or_else(|| {
                    panic!("{status} for {start}..{end} before its bytes were written")
                });
            let sync_began = before[written..]
                .iter()
                .position(|e| matches!(e, Event::SyncStarted { file: f } if *f == file))
                .map(|i| written + i)
                .unwrap_or_else(|| {
                    panic!(
                        "{status} for {start}..{end} before an fdatasync covering its bytes began"
                    )
                });
            assert!(
                before[sync_began..]
                    .iter()
                    .any(|e| matches!(e, Event::Synced { file: f } if *f == file)),
                "{status} for {start}..{end} before the fdatasync covering its bytes returned"
            );
            let committed = before[written..].iter().any(|e| match e {
                Event::Committed { records } => records.iter().any(|(key, value)| {
                    key == session
                        && match value {
                            Some(json) => covers(json, start, end),
                            None => status == 201,
                        }
                }),
                _ => false,
            });
            assert!(
                committed,
                "{status} for {start}..{end} before a commit recorded its bytes"
            );
            statuses.push(status);
        }
        statuses
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_fragment_is_acknowledged_before_its_bytes_are_synced_and_its_record_committed() {
        let app = TestApp::new().await;
        let from = len();
        // Print: three parallel fragments (they share fsyncs and commits), then the last.
        let fragment = 64 * 1024;
        let total = 4 * fragment;
        let bytes = vec![7u8; fragment as usize];
        let (_, _, print) = app.print_upload(total).await;
        let (a, b, c) = tokio::join!(
            app.put(&print, 0, &bytes, total),
            app.put(&print, fragment, &bytes, total),
            app.put(&print, 2 * fragment, &bytes, total),
        );
        let last = app.put(&print, 3 * fragment, &bytes, total).await;
        // To Do: two fragments in order.
        let todo = app.todo_upload(2 * fragment).await;
        let first = app.put(&todo, 0, &bytes, 2 * fragment).await;
        let second = app.put(&todo, fragment, &bytes, 2 * fragment).await;

        // The order first, then the answers themselves.
        let events = since(from);
        let mut print_statuses = check_answers(&events, &session_of(&print));
        print_statuses.sort();
        let todo_statuses = check_answers(&events, &session_of(&todo));
        let answered = [a.status, b.status, c.status, last.status];
        assert_eq!(answered, [202, 202, 202, 201], "{a:?} {b:?} {c:?} {last:?}");
        assert_eq!([first.status, second.status], [200, 201]);
        assert_eq!(
            print_statuses,
            [201, 202, 202, 202],
            "every answer was checked"
        );
        assert_eq!(todo_statuses, [200, 201], "every answer was checked");
    }
}
