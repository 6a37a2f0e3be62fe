//! One limit on requests in flight, shared by every upload that sends through it: a
//! [`Transport`] wrapper that holds a semaphore permit for the whole of each `send`.
//!
//! Many files uploaded at once through one [`Uploader`](crate::Uploader) share its transport,
//! so wrapping that transport bounds the whole run, whatever each file's own `parallel` says.
//! A backend's `send` returns only once the response is read in full, so a fragment streamed
//! from a file keeps its permit until its reply is in; a retry's wait holds none.

use async_trait::async_trait;
use graph_upload_transport::{Request, Response, Transport, TransportError};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A [`Transport`] that lets at most `limit` requests be in flight through it at once; more
/// wait, in order, for a free place. Cheap to share: wrap it in an `Arc` and hand that to
/// [`UploaderBuilder::transport`](crate::UploaderBuilder::transport).
///
/// ```
/// # #[cfg(feature = "reqwest")] {
/// use graph_upload::transport::{ReqwestTransport, TransportConfig};
/// use graph_upload::{LimitedTransport, Uploader};
/// use std::sync::Arc;
///
/// let backend = Arc::new(ReqwestTransport::new(TransportConfig::default()).unwrap());
/// let shared = Arc::new(LimitedTransport::new(backend, 8));
/// let uploader = Uploader::builder("https://graph.microsoft.com/v1.0")
///     .token("TOKEN")
///     .transport(shared)
///     .build()
///     .unwrap();
/// # }
/// ```
#[derive(Debug)]
pub struct LimitedTransport {
    inner: Arc<dyn Transport>,
    permits: Arc<Semaphore>,
    limit: usize,
}

impl LimitedTransport {
    /// `inner`, with at most `limit` requests in flight (values below 1 mean 1).
    pub fn new(inner: Arc<dyn Transport>, limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        LimitedTransport {
            inner,
            permits: Arc::new(Semaphore::new(limit)),
            limit,
        }
    }

    /// The most requests in flight at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.limit - self.permits.available_permits()
    }
}

#[async_trait]
impl Transport for LimitedTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        // The semaphore is never closed, so acquiring fails only in theory; sending without a
        // permit then is better than failing the upload.
        let _permit = Arc::clone(&self.permits).acquire_owned().await.ok();
        self.inner.send(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use graph_upload_transport::{HeaderMap, StatusCode};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Counts the requests inside `send` at once, each held until released by the test.
    #[derive(Debug, Default)]
    struct Counting {
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    #[async_trait]
    impl Transport for Counting {
        async fn send(&self, _request: Request) -> Result<Response, TransportError> {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            Ok(Response::new(
                StatusCode::OK,
                HeaderMap::new(),
                bytes::Bytes::new(),
            ))
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_limit_are_in_flight_and_all_complete() {
        let counting = Arc::new(Counting::default());
        let limited = Arc::new(LimitedTransport::new(counting.clone(), 3));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let limited = Arc::clone(&limited);
            tasks.spawn(async move {
                let request = Request::get("http://127.0.0.1:9/x").unwrap();
                limited
                    .send(request)
                    .await
                    .map(|response| response.status())
            });
        }
        let mut done = 0;
        while let Some(result) = tasks.join_next().await {
            assert_eq!(result.unwrap().unwrap(), StatusCode::OK);
            done += 1;
        }
        assert_eq!(done, 40);
        assert_eq!(
            counting.peak.load(Ordering::SeqCst),
            3,
            "the limit is reached, never passed"
        );
        assert_eq!(limited.in_flight(), 0, "every permit is returned");
        assert_eq!(LimitedTransport::new(counting, 0).limit(), 1);
    }
}
