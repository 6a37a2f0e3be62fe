//! The last requests the emulator answered, newest first, for the dashboard
//! (`GET /_emulator/requests`): what the request log writes of each (method, path with its
//! query hidden, status, duration), plus the fault rule that answered it, if one did.
//!
//! The emulator's own routes are left out: an open dashboard reads them several times a
//! second and would push the calls of the app under test out of the ring.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// How many requests are kept.
pub const CAPACITY: usize = 200;

/// One answered (or deliberately unanswered) request.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RecentRequest {
    /// Its position since the server started (1 for the first), so that a reader can tell
    /// new entries from old.
    pub seq: u64,
    /// The `request-id` it was answered with.
    pub request_id: String,
    /// When it was answered, in milliseconds since the epoch (the server's clock).
    pub time_ms: u64,
    /// `GET`, `PUT`...
    pub method: String,
    /// The path, its query replaced by `?...` (a download or upload URL's query is its
    /// credential).
    pub path: String,
    /// The status answered; `None` when a fault rule closed the connection instead.
    pub status: Option<u16>,
    /// How a fault rule closed the connection (`reset`, `reset-after-body`).
    pub closed: Option<&'static str>,
    /// The index of the fault rule that fired on it, if one did.
    pub fault_rule: Option<usize>,
    /// Request body bytes received.
    pub bytes_in: u64,
    /// From the request's arrival to its answer.
    pub duration_ms: f64,
}

/// The ring of the last [`CAPACITY`] requests.
#[derive(Debug, Default)]
pub struct RecentRequests {
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<RecentRequest>,
    seq: u64,
}

impl RecentRequests {
    /// Keeps `entry` (its `seq` is given here), dropping the oldest past [`CAPACITY`].
    pub fn push(&self, mut entry: RecentRequest) {
        let mut ring = self
            .ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ring.seq += 1;
        entry.seq = ring.seq;
        if ring.entries.len() == CAPACITY {
            ring.entries.pop_back();
        }
        ring.entries.push_front(entry);
    }

    /// The requests kept, newest first.
    pub fn snapshot(&self) -> Vec<RecentRequest> {
        let ring = self
            .ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        ring.entries.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> RecentRequest {
        RecentRequest {
            seq: 0,
            request_id: "id".to_owned(),
            time_ms: 0,
            method: "GET".to_owned(),
            path: path.to_owned(),
            status: Some(200),
            closed: None,
            fault_rule: None,
            bytes_in: 0,
            duration_ms: 0.5,
        }
    }

    #[test]
    fn keeps_the_newest_first_and_drops_the_oldest() {
        let recent = RecentRequests::default();
        for index in 0..CAPACITY + 5 {
            recent.push(entry(&format!("/{index}")));
        }
        let kept = recent.snapshot();
        assert_eq!(kept.len(), CAPACITY);
        assert_eq!(kept[0].path, format!("/{}", CAPACITY + 4));
        assert_eq!(kept[0].seq, CAPACITY as u64 + 5);
        assert_eq!(kept[CAPACITY - 1].path, "/5");
        assert_eq!(kept[CAPACITY - 1].seq, 6);
    }
}
