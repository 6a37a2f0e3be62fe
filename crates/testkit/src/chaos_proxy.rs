//! A TCP proxy on loopback that cuts connections on purpose: each new connection is picked
//! for a cut with a given probability, and a picked one is reset (`SO_LINGER` 0, so the peer
//! sees a reset, not a clean close) once a random number of request bytes has passed. It
//! counts what it forwarded and what it cut, so a test can report the damage it survived.
//! HTTP clients keep few connections alive, so a test can also force the next few cuts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy did so far.
#[derive(Debug, Default)]
pub struct ChaosStats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections reset on purpose.
    pub cut: AtomicU64,
    /// Client-to-server bytes forwarded.
    pub upstream_bytes: AtomicU64,
    /// Connections refused because the server was down (also reset).
    pub refused: AtomicU64,
    /// The next this many connections are cut whatever the draw (so that a run is sure to
    /// see cuts however few connections the client opens).
    pub force: AtomicU64,
}

/// The running proxy (stops with the test's runtime).
pub struct ChaosProxy {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its counters.
    pub stats: Arc<ChaosStats>,
}

impl ChaosProxy {
    /// Forwards to `upstream`, cutting a connection with `probability`, at a uniformly random
    /// point within its first `max_offset` request bytes. `seed` makes a run repeatable.
    pub async fn start(
        listener: TcpListener,
        upstream: SocketAddr,
        probability: f64,
        max_offset: u64,
        seed: u64,
    ) -> ChaosProxy {
        let addr = listener.local_addr().expect("proxy address");
        let stats = Arc::new(ChaosStats::default());
        let counters = Arc::clone(&stats);
        tokio::spawn(async move {
            let mut rng = seed | 1;
            while let Ok((client, _)) = listener.accept().await {
                counters.connections.fetch_add(1, Ordering::Relaxed);
                let draw = next(&mut rng);
                let forced = counters
                    .force
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                    .is_ok();
                let cut_at = (forced || (draw % 1_000_000) as f64 / 1_000_000.0 < probability)
                    .then(|| next(&mut rng) % max_offset.max(1));
                tokio::spawn(relay(client, upstream, cut_at, Arc::clone(&counters)));
            }
        });
        ChaosProxy {
            base: format!("http://{addr}"),
            addr,
            stats,
        }
    }
}

fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    cut_at: Option<u64>,
    stats: Arc<ChaosStats>,
) {
    let server = match TcpStream::connect(upstream).await {
        Ok(server) => server,
        Err(_) => {
            // The server is down (being restarted): the client sees a reset.
            stats.refused.fetch_add(1, Ordering::Relaxed);
            let _ = socket2::SockRef::from(&client).set_linger(Some(Duration::ZERO));
            return;
        }
    };
    if cut_at.is_some() {
        // A connection picked for a cut ends with a reset on both sides, not a clean close.
        for stream in [&client, &server] {
            let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
        }
    }
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up_stats = Arc::clone(&stats);
    let up = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        loop {
            let n = match client_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            let allowed = match cut_at {
                Some(cut) if sent + n as u64 >= cut => (cut - sent) as usize,
                _ => n,
            };
            if server_write.write_all(&buffer[..allowed]).await.is_err() {
                return false;
            }
            sent += allowed as u64;
            up_stats
                .upstream_bytes
                .fetch_add(allowed as u64, Ordering::Relaxed);
            if cut_at == Some(sent) {
                return true;
            }
        }
    };
    let down = async move {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match server_read.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    if client_write.write_all(&buffer[..n]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    // Whichever side ends first ends the relay; dropping the halves closes both sockets.
    let cut = tokio::select! {
        cut = up => cut,
        () = down => false,
    };
    if cut {
        stats.cut.fetch_add(1, Ordering::Relaxed);
    }
}
