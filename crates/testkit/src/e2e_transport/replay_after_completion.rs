//! A transport layer that makes the uploader read a `404` while the completing `201` is on its
//! way.

use super::{PATIENCE, PutOrdinals};
use async_trait::async_trait;
use bytes::Bytes;
use graph_upload_transport::{Request, Response, Transport, TransportError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

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
    puts: PutOrdinals,
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
            puts: PutOrdinals::default(),
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
}

#[async_trait]
impl Transport for ReplayFirstAfterCompletion {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        match self.puts.next(&request) {
            Some(0) => {
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
            Some(2) => {
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
