//! The HTTP/1.1 server under the fake token sources: on `127.0.0.1:0`, over TLS or not, it
//! records each request and answers with what the source's function says. Its tasks belong
//! to the test's runtime and stop when the server is dropped.

use super::recorded::{Recorded, pairs};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An answer: status and JSON body.
pub(super) struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    pub(super) fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            body: body.to_string(),
        }
    }
}

/// What a source answers to a request.
pub(super) type Answer = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// A running server; dropping it stops accepting.
pub(super) struct TokenServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    accept: JoinHandle<()>,
}

impl TokenServer {
    /// Binds `127.0.0.1:0` and serves every connection (over TLS with `tls`).
    pub(super) async fn start(
        tls: Option<Arc<rustls::ServerConfig>>,
        answer: Answer,
    ) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (answer, log, acceptor) =
                    (Arc::clone(&answer), Arc::clone(&log), acceptor.clone());
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            // A client that does not trust the CA hangs up here: fine.
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve(TokioIo::new(stream), answer, log).await;
                            }
                        }
                        None => serve(TokioIo::new(stream), answer, log).await,
                    }
                });
            }
        });
        TokenServer {
            addr,
            requests,
            accept,
        }
    }

    pub(super) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(super) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("request log").clone()
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve<S>(io: TokioIo<S>, answer: Answer, log: Arc<Mutex<Vec<Recorded>>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let (answer, log) = (Arc::clone(&answer), Arc::clone(&log));
        async move {
            let recorded = record(request).await;
            let reply = answer(&recorded);
            log.lock().expect("request log").push(recorded);
            let response = hyper::Response::builder()
                .status(reply.status)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(reply.body)))
                .expect("a response");
            Ok::<_, Infallible>(response)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

async fn record(request: hyper::Request<Incoming>) -> Recorded {
    let (head, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let is_form = head
        .headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    Recorded {
        method: head.method.to_string(),
        path: head.uri.path().to_owned(),
        query: pairs(head.uri.query().unwrap_or_default().as_bytes()),
        headers: head
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        form: if is_form { pairs(&body) } else { Vec::new() },
    }
}
