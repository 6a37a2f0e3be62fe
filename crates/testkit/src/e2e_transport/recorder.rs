//! A transport layer that logs every request and can hold requests at a gate.

use async_trait::async_trait;
use graph_upload_ranges::ContentRange;
use graph_upload_transport::{Method, Request, Response, Transport, TransportError, header};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

/// One request as it was sent, and how it ended.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The method.
    pub method: Method,
    /// The URL, exactly as sent.
    pub url: String,
    /// The `Content-Range` header, if any.
    pub content_range: Option<String>,
    /// The bytes the `Content-Range` names (`None` for `bytes */N` or no header).
    pub span: Option<Range<u64>>,
    /// Length of the body sent.
    pub body_len: u64,
    /// Whether `Authorization` was sent.
    pub authorized: bool,
    /// The status, or the transport error; `None` if the uploader dropped the request before
    /// its answer was read (it aborts the requests still in flight once the upload is
    /// complete, fails or is cancelled).
    pub outcome: Option<Result<u16, String>>,
}

impl Sent {
    /// The status (`None`: dropped before the answer), panicking on a transport error.
    pub fn status(&self) -> Option<u16> {
        match &self.outcome {
            Some(Ok(status)) => Some(*status),
            Some(Err(error)) => panic!("{} {} failed: {error}", self.method, self.url),
            None => None,
        }
    }
}

/// Logs every request and can hold requests at a gate.
#[derive(Debug)]
pub struct Recorder {
    inner: Arc<dyn Transport>,
    log: Mutex<Vec<Sent>>,
    puts_answered: AtomicUsize,
    puts_in_flight: AtomicUsize,
    most_puts_in_flight: AtomicUsize,
    hold_after: AtomicUsize,
    holding: Notify,
    release: watch::Sender<bool>,
}

impl Recorder {
    /// A recorder in front of `inner`, holding nothing.
    pub fn new(inner: Arc<dyn Transport>) -> Arc<Self> {
        Arc::new(Recorder {
            inner,
            log: Mutex::new(Vec::new()),
            puts_answered: AtomicUsize::new(0),
            puts_in_flight: AtomicUsize::new(0),
            most_puts_in_flight: AtomicUsize::new(0),
            hold_after: AtomicUsize::new(usize::MAX),
            holding: Notify::new(),
            release: watch::channel(false).0,
        })
    }

    /// From now on, once `puts` `PUT`s have been answered, every request that starts waits at
    /// the gate until [`release`](Self::release) (requests already under way are not held).
    pub fn hold_after_puts(&self, puts: usize) {
        self.hold_after.store(puts, Ordering::SeqCst);
    }

    /// Waits until a request is held at the gate.
    pub async fn wait_until_holding(&self) {
        self.holding.notified().await;
    }

    /// Opens the gate: held requests go on (to whatever is now listening).
    pub fn release(&self) {
        self.release.send_replace(true);
    }

    /// Every request sent so far, in the order they started.
    pub fn log(&self) -> Vec<Sent> {
        self.log.lock().expect("log lock").clone()
    }

    /// The `PUT`s sent so far.
    pub fn puts(&self) -> Vec<Sent> {
        self.log()
            .into_iter()
            .filter(|sent| sent.method == Method::PUT)
            .collect()
    }

    /// The most `PUT`s that were under way at the same time.
    pub fn most_puts_in_flight(&self) -> usize {
        self.most_puts_in_flight.load(Ordering::SeqCst)
    }

    /// Bytes of every `PUT` body sent so far.
    pub fn put_bytes(&self) -> u64 {
        self.puts().iter().map(|sent| sent.body_len).sum()
    }

    /// The spans of the `PUT`s sent so far, sorted by offset.
    pub fn put_spans(&self) -> Vec<Range<u64>> {
        let mut spans: Vec<Range<u64>> = self
            .puts()
            .into_iter()
            .map(|sent| {
                sent.span
                    .clone()
                    .unwrap_or_else(|| panic!("a PUT without a byte range: {sent:?}"))
            })
            .collect();
        spans.sort_by_key(|span| (span.start, span.end));
        spans
    }
}

#[async_trait]
impl Transport for Recorder {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        if self.puts_answered.load(Ordering::SeqCst) >= self.hold_after.load(Ordering::SeqCst) {
            self.holding.notify_one();
            let mut open = self.release.subscribe();
            let _ = open.wait_for(|open| *open).await;
        }
        let method = request.method().clone();
        let url = request.uri().to_string();
        let content_range = request
            .headers()
            .get(header::CONTENT_RANGE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let span = content_range
            .as_deref()
            .and_then(|text| text.parse::<ContentRange>().ok())
            .and_then(|range| range.span());
        let body_len = request.body_ref().len();
        let authorized = request.headers().contains_key(header::AUTHORIZATION);
        let index = {
            let mut log = self.log.lock().expect("log lock");
            log.push(Sent {
                method: method.clone(),
                url,
                content_range,
                span,
                body_len,
                authorized,
                outcome: None,
            });
            log.len() - 1
        };
        let is_put = method == Method::PUT;
        if is_put {
            let now = self.puts_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_puts_in_flight.fetch_max(now, Ordering::SeqCst);
        }
        let result = self.inner.send(request).await;
        if is_put {
            self.puts_in_flight.fetch_sub(1, Ordering::SeqCst);
            if result.is_ok() {
                self.puts_answered.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.log.lock().expect("log lock")[index].outcome = Some(
            result
                .as_ref()
                .map(|response| response.status().as_u16())
                .map_err(ToString::to_string),
        );
        result
    }
}
