//! A loopback HTTP/1.1 server that reads and discards every request body, then answers
//! `202 Accepted`: the cheapest possible peer, so that a benchmark measures the client.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Starts the server on `127.0.0.1:0` in the current runtime and returns its address. It
/// stops with the runtime.
pub async fn start() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(|request: Request<hyper::body::Incoming>| async move {
                    let mut body = request.into_body();
                    let mut received = 0usize;
                    while let Some(Ok(frame)) = body.frame().await {
                        if let Some(data) = frame.data_ref() {
                            received += data.len();
                        }
                    }
                    let mut response = Response::new(Empty::<Bytes>::new());
                    *response.status_mut() = StatusCode::ACCEPTED;
                    response.headers_mut().insert(
                        "x-received-bytes",
                        hyper::header::HeaderValue::from(received),
                    );
                    Ok::<_, Infallible>(response)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(address)
}
