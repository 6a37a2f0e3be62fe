//! The per-request deadline, applied the same way by every backend.

use crate::error::{ErrorKind, TransportError};
use std::future::Future;
use std::time::Duration;

/// Runs one request exchange within `limit` (when set).
pub(crate) async fn with_timeout<T>(
    limit: Option<Duration>,
    exchange: impl Future<Output = Result<T, TransportError>>,
) -> Result<T, TransportError> {
    let Some(limit) = limit else {
        return exchange.await;
    };
    match tokio::time::timeout(limit, exchange).await {
        Ok(result) => result,
        Err(_) => Err(TransportError::new(
            ErrorKind::Timeout,
            true,
            format!("no complete response within {limit:?}"),
        )),
    }
}
