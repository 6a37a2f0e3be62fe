//! The socket of a connection, wrapped: the header-read and idle limits, the bandwidth
//! throttle, and the TCP reset a `reset` fault closes with.

use super::Limits;
use super::state::{ConnState, Expired};
use crate::shaping::Throttle;
use crate::stats::Stats;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// The socket, with the time limits, the throttle and the reset-on-close of faults.
pub(super) struct ConnIo {
    stream: TcpStream,
    state: Arc<ConnState>,
    limits: Limits,
    stats: Arc<Stats>,
    timer: Option<Pin<Box<Sleep>>>,
    throttle: Option<Throttle>,
    /// Where throttled reads land first (only with a bandwidth cap).
    scratch: Vec<u8>,
}

impl ConnIo {
    pub(super) fn new(
        stream: TcpStream,
        state: Arc<ConnState>,
        limits: Limits,
        stats: Arc<Stats>,
    ) -> Self {
        ConnIo {
            stream,
            state,
            limits,
            stats,
            timer: None,
            throttle: limits.bandwidth.map(Throttle::new),
            scratch: Vec::new(),
        }
    }

    /// A read that would wait: fails instead when the phase's time is up.
    fn poll_time_limit(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some((deadline, expired)) = self.state.deadline(&self.limits) else {
            return Poll::Pending;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let counters = &self.stats.connections;
        let message = match expired {
            Expired::Header => {
                counters.header_timeouts.fetch_add(1, Ordering::Relaxed);
                "the request head did not arrive within the header-read timeout"
            }
            Expired::Idle => {
                counters.idle_timeouts.fetch_add(1, Ordering::Relaxed);
                "the kept-alive connection stayed idle past the idle timeout"
            }
        };
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, message)))
    }

    fn poll_read_throttled(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let Some(throttle) = &mut self.throttle else {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        };
        let allowed = match throttle.poll_allowance(cx, buf.remaining()) {
            Poll::Ready(allowed) => allowed,
            Poll::Pending => return Poll::Pending,
        };
        if allowed >= buf.remaining() {
            return Pin::new(&mut self.stream).poll_read(cx, buf);
        }
        self.scratch.resize(allowed, 0);
        let mut limited = ReadBuf::new(&mut self.scratch);
        let polled = Pin::new(&mut self.stream).poll_read(cx, &mut limited);
        if let Poll::Ready(Ok(())) = polled {
            buf.put_slice(limited.filled());
        }
        polled
    }
}

impl AsyncRead for ConnIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match this.poll_read_throttled(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                if let Some(throttle) = &mut this.throttle {
                    throttle.consume(read);
                }
                if read > 0 {
                    this.state.bytes_arrived();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                this.state.waiting(cx.waker());
                this.poll_time_limit(cx)
            }
        }
    }
}

impl AsyncWrite for ConnIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

impl Drop for ConnIo {
    /// A `reset` fault closes with a TCP reset, as a dropped connection looks to a client.
    fn drop(&mut self) {
        if self.state.resets() {
            let _ = self.stream.set_zero_linger();
        }
    }
}
