//! Transport layers for the end-to-end tests. They wrap a real backend (reqwest or hyper) and
//! change nothing on the wire:
//!
//! - [`Recorder`] logs every request the uploader sends (method, URL, `Content-Range`, body
//!   length, whether it carried the token, the answer), so that a test can count the bytes
//!   sent; it can also hold every request after the N-th answered `PUT` at a gate, so that a
//!   test can stop the server or "kill" the client at a known point of the upload.
//! - [`SwapFirstTwoAnswers`] makes the answers to the first two `PUT`s reach the uploader in
//!   the opposite order from the one in which the server produced them (what two parallel
//!   connections can do on any network).
//! - [`ReplayFirstAfterCompletion`] makes the uploader read a `404` for a fragment while the `201`
//!   that completed the upload is still on its way.

use bytes::Bytes;
use graph_upload_ranges::ContentRange;
use graph_upload_transport::{Method, Request, Response, Transport, TransportError, header};
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// What `#[async_trait]` turns `Transport::send` into.
type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<Response, TransportError>> + Send + 'a>>;

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

    async fn send_recorded(&self, request: Request) -> Result<Response, TransportError> {
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

impl Transport for Recorder {
    fn send<'life0, 'async_trait>(&'life0 self, request: Request) -> SendFuture<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.send_recorded(request))
    }
}

/// How long a held answer waits for an event that may never come.
const PATIENCE: Duration = Duration::from_secs(10);

/// Delivers the answer to the second `PUT` before the answer to the first, although the server
/// answered the first one first. The second `PUT` is only sent once the first is answered,
/// and the first answer is held back until a third `PUT` starts. With two fragments in flight at
/// most, the third `PUT` starts only once the uploader has read the second answer, so it then
/// reads the first (older) answer, which still lists the second fragment as missing.
/// [`swapped`](Self::swapped) tells whether that really happened.
#[derive(Debug)]
pub struct SwapFirstTwoAnswers {
    inner: Arc<dyn Transport>,
    puts: AtomicUsize,
    first_answered: Notify,
    second_delivered: AtomicBool,
    third_started: Notify,
    swapped: AtomicBool,
}

impl SwapFirstTwoAnswers {
    /// In front of `inner`.
    pub fn new(inner: Arc<dyn Transport>) -> Arc<Self> {
        Arc::new(SwapFirstTwoAnswers {
            inner,
            puts: AtomicUsize::new(0),
            first_answered: Notify::new(),
            second_delivered: AtomicBool::new(false),
            third_started: Notify::new(),
            swapped: AtomicBool::new(false),
        })
    }

    /// Whether the answer to the second `PUT` was handed over first and the answer to the
    /// first only once the third `PUT` had started (not after giving up waiting for it): a
    /// test that relies on the swap asserts this, so that it cannot pass without it.
    pub fn swapped(&self) -> bool {
        self.swapped.load(Ordering::SeqCst)
    }

    async fn send_swapped(&self, request: Request) -> Result<Response, TransportError> {
        if request.method() != Method::PUT {
            return self.inner.send(request).await;
        }
        match self.puts.fetch_add(1, Ordering::SeqCst) {
            0 => {
                let answer = self.inner.send(request).await;
                self.first_answered.notify_one();
                // Not forever: if no third PUT comes, the answer goes late rather than never
                // (and the swap did not happen).
                let third = tokio::time::timeout(PATIENCE, self.third_started.notified()).await;
                if third.is_ok() && self.second_delivered.load(Ordering::SeqCst) {
                    self.swapped.store(true, Ordering::SeqCst);
                }
                answer
            }
            1 => {
                self.first_answered.notified().await;
                let answer = self.inner.send(request).await;
                self.second_delivered.store(true, Ordering::SeqCst);
                answer
            }
            2 => {
                self.third_started.notify_one();
                self.inner.send(request).await
            }
            _ => self.inner.send(request).await,
        }
    }
}

impl Transport for SwapFirstTwoAnswers {
    fn send<'life0, 'async_trait>(&'life0 self, request: Request) -> SendFuture<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.send_swapped(request))
    }
}

/// Makes the uploader read a `404` for a fragment while the `201` of the `PUT` that completed
/// the upload is still on its way. The first `PUT` is sent and stored (`202`), but its answer
/// is held; once the third `PUT` has completed the upload (`201`, held too), the first request
/// is sent again, as a proxy that replays a request would, and its `404` (the session is gone:
/// it is complete) is what the uploader reads for the first fragment; the `201` follows
/// once the uploader has dropped the `404` (it has read it). With two fragments in flight at
/// most and three fragments in all, the third `PUT` is the last one.
/// [`read_404_first`](Self::read_404_first) tells whether that really happened.
#[derive(Debug)]
pub struct ReplayFirstAfterCompletion {
    inner: Arc<dyn Transport>,
    puts: AtomicUsize,
    third_answered: Notify,
    first_read: Arc<Notify>,
    read_404_first: AtomicBool,
}

/// The body of an answer, which signals when the uploader drops it: it has read the answer.
struct SignalWhenDropped {
    body: Bytes,
    dropped: Arc<Notify>,
}

impl AsRef<[u8]> for SignalWhenDropped {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for SignalWhenDropped {
    fn drop(&mut self) {
        self.dropped.notify_one();
    }
}

impl ReplayFirstAfterCompletion {
    /// In front of `inner`.
    pub fn new(inner: Arc<dyn Transport>) -> Arc<Self> {
        Arc::new(ReplayFirstAfterCompletion {
            inner,
            puts: AtomicUsize::new(0),
            third_answered: Notify::new(),
            first_read: Arc::new(Notify::new()),
            read_404_first: AtomicBool::new(false),
        })
    }

    /// Whether the `201` was handed over only once the uploader had read and dropped the
    /// `404` of the replayed first `PUT` (not after giving up waiting for it).
    pub fn read_404_first(&self) -> bool {
        self.read_404_first.load(Ordering::SeqCst)
    }

    async fn send_replayed(&self, request: Request) -> Result<Response, TransportError> {
        if request.method() != Method::PUT {
            return self.inner.send(request).await;
        }
        match self.puts.fetch_add(1, Ordering::SeqCst) {
            0 => {
                let again = request.clone();
                let stored = self.inner.send(request).await;
                if tokio::time::timeout(PATIENCE, self.third_answered.notified())
                    .await
                    .is_err()
                {
                    return stored;
                }
                // The replayed answer tells when the uploader is done with it.
                self.inner.send(again).await.map(|response| {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = Bytes::from_owner(SignalWhenDropped {
                        body: response.into_body(),
                        dropped: Arc::clone(&self.first_read),
                    });
                    Response::new(status, headers, body)
                })
            }
            2 => {
                let answer = self.inner.send(request).await;
                self.third_answered.notify_one();
                // The uploader reads the 404 first: the 201 waits until it has dropped it.
                if tokio::time::timeout(PATIENCE, self.first_read.notified())
                    .await
                    .is_ok()
                {
                    self.read_404_first.store(true, Ordering::SeqCst);
                }
                answer
            }
            _ => self.inner.send(request).await,
        }
    }
}

impl Transport for ReplayFirstAfterCompletion {
    fn send<'life0, 'async_trait>(&'life0 self, request: Request) -> SendFuture<'async_trait>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(self.send_replayed(request))
    }
}
