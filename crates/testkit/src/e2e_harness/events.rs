//! A progress-event collector, and what the scenarios ask of the events.

use graph_upload::ProgressEvent;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Collects progress events.
#[derive(Debug, Clone, Default)]
pub struct Events(Arc<Mutex<Vec<ProgressEvent>>>);

impl Events {
    /// The callback to hand to the uploader.
    pub fn callback(&self) -> impl Fn(ProgressEvent) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |event| events.lock().expect("events lock").push(event)
    }

    /// A callback that records, then calls `also` with the event.
    pub fn callback_and(
        &self,
        also: impl Fn(&ProgressEvent) + Send + Sync + 'static,
    ) -> impl Fn(ProgressEvent) + Send + Sync + 'static {
        let events = Arc::clone(&self.0);
        move |event| {
            also(&event);
            events.lock().expect("events lock").push(event);
        }
    }

    /// Every event so far.
    pub fn all(&self) -> Vec<ProgressEvent> {
        self.0.lock().expect("events lock").clone()
    }

    /// `(upload_url, total, acknowledged)` of the `SessionReady` event.
    pub fn session_ready(&self) -> (String, u64, u64) {
        self.all()
            .into_iter()
            .find_map(|event| match event {
                ProgressEvent::SessionReady {
                    upload_url,
                    total,
                    acknowledged,
                } => Some((upload_url.as_str().to_owned(), total, acknowledged)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no SessionReady event in {:?}", self.all()))
    }

    /// The spans of the `FragmentStarted` events, in order.
    pub fn started(&self) -> Vec<Range<u64>> {
        self.all()
            .into_iter()
            .filter_map(|event| match event {
                ProgressEvent::FragmentStarted(span) => Some(span),
                _ => None,
            })
            .collect()
    }

    /// The largest `acknowledged` of the `FragmentAcknowledged` events (0 if none).
    pub fn acknowledged(&self) -> u64 {
        self.all()
            .into_iter()
            .filter_map(|event| match event {
                ProgressEvent::FragmentAcknowledged { acknowledged, .. } => Some(acknowledged),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// How many `Completed` events there were, and their totals.
    pub fn completed(&self) -> Vec<u64> {
        self.all()
            .into_iter()
            .filter_map(|event| match event {
                ProgressEvent::Completed { total } => Some(total),
                _ => None,
            })
            .collect()
    }
}
