//! A loopback port where nothing listens, for "connection refused" cases.
//!
//! The port stays bound (but not listening) for as long as the [`RefusedPort`] lives, so no
//! other test can take it in the meantime; Linux answers a connection to it with a reset,
//! which clients see as "connection refused". A port that is bound, released and then handed
//! over (or a fixed one such as 9) can be taken by anything before the test connects.

use std::net::SocketAddr;

/// A loopback port bound without listening; refused until dropped.
#[derive(Debug)]
pub struct RefusedPort {
    /// Held, never read: the port stays bound until the guard is dropped.
    _socket: tokio::net::TcpSocket,
    addr: SocketAddr,
}

impl RefusedPort {
    /// Binds `127.0.0.1:0` and does not listen.
    pub fn bind() -> RefusedPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind a loopback port");
        let addr = socket.local_addr().expect("local address");
        RefusedPort {
            _socket: socket,
            addr,
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}
