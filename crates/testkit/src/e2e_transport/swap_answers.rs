//! A transport layer that hands the uploader the answers to the first two `PUT`s swapped.

use super::{PATIENCE, PutOrdinals};
use async_trait::async_trait;
use graph_upload_transport::{Request, Response, Transport, TransportError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Notify;

/// Delivers the answer to the second `PUT` before the answer to the first, although the server
/// answered the first one first. The second `PUT` is only sent once the first is answered,
/// and the first answer is held back until a third `PUT` starts. With two fragments in flight at
/// most, the third `PUT` starts only once the uploader has read the second answer, so it then
/// reads the first (older) answer, which still lists the second fragment as missing.
/// [`swapped`](Self::swapped) tells whether that really happened.
#[derive(Debug)]
pub struct SwapFirstTwoAnswers {
    inner: Arc<dyn Transport>,
    puts: PutOrdinals,
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
            puts: PutOrdinals::default(),
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
}

#[async_trait]
impl Transport for SwapFirstTwoAnswers {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        match self.puts.next(&request) {
            Some(0) => {
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
            Some(1) => {
                self.first_answered.notified().await;
                let answer = self.inner.send(request).await;
                self.second_delivered.store(true, Ordering::SeqCst);
                answer
            }
            Some(2) => {
                self.third_started.notify_one();
                self.inner.send(request).await
            }
            _ => self.inner.send(request).await,
        }
    }
}
