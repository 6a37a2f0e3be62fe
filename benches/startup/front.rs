//! The front the CLI talks to: it timestamps the first byte of each connection's first
//! request (decrypted, for https) and forwards the connection to an in-process emulator.

use graph_upload_server::{CERT_FILE, KEY_FILE, RunningServer, ServerConfig, TlsConfig, fixtures};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

const TOKEN: &str = "startup-bench-token";

/// One CLI run's times, from its spawn.
pub struct Run {
    pub first_byte: Duration,
    pub exit: Duration,
}

/// The front and the emulator behind it.
pub struct Front {
    base: String,
    ca_cert: Option<PathBuf>,
    arrivals: tokio::sync::Mutex<mpsc::UnboundedReceiver<Instant>>,
    server: RunningServer,
    accept: tokio::task::JoinHandle<()>,
}

impl Front {
    /// A front on a free port (https with a self-signed certificate when `tls`).
    pub async fn start(dir: &Path, tls: bool) -> Result<Self, Box<dyn std::error::Error>> {
        let scheme = if tls { "https" } else { "http" };
        let data_dir = dir.join(format!("data-{scheme}"));
        let (acceptor, ca_cert) = if tls {
            // The emulator writes its self-signed certificate (for 127.0.0.1) at start-up.
            let mut config = ServerConfig::new(&data_dir, TOKEN);
            config.tls = Some(TlsConfig::self_signed());
            graph_upload_server::spawn(config, "127.0.0.1:0")
                .await?
                .shutdown()
                .await?;
            let chain = CertificateDer::pem_file_iter(data_dir.join(CERT_FILE))?
                .collect::<Result<Vec<_>, _>>()?;
            let key = PrivateKeyDer::from_pem_file(data_dir.join(KEY_FILE))?;
            let mut server = rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
            server.alpn_protocols = vec![b"http/1.1".to_vec()];
            (
                Some(TlsAcceptor::from(Arc::new(server))),
                Some(data_dir.join(CERT_FILE)),
            )
        } else {
            (None, None)
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("{scheme}://{}", listener.local_addr()?);
        let mut config = ServerConfig::new(&data_dir, TOKEN);
        config.public_url = Some(base.clone());
        let server = graph_upload_server::spawn(config, "127.0.0.1:0").await?;
        let backend = server.address();
        let (sender, arrivals) = mpsc::unbounded_channel();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let sender = sender.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        None => forward(stream, backend, sender).await,
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                forward(stream, backend, sender).await;
                            }
                        }
                    }
                });
            }
        });
        Ok(Front {
            base,
            ca_cert,
            arrivals: tokio::sync::Mutex::new(arrivals),
            server,
            accept,
        })
    }

    /// Runs `graph-upload upload todo FILE` once against the front.
    pub async fn run(&self, cli: &Path, file: &Path) -> Result<Run, Box<dyn std::error::Error>> {
        let mut arrivals = self.arrivals.lock().await;
        while arrivals.try_recv().is_ok() {}
        let mut command = tokio::process::Command::new(cli);
        command
            .args(["upload", "todo", "--base-url", &self.base, "--token", TOKEN])
            .args([
                "--list",
                fixtures::LIST_ID,
                "--task",
                fixtures::TASK_ID,
                "-q",
            ])
            .stdout(std::process::Stdio::null());
        if let Some(cert) = &self.ca_cert {
            command.arg("--ca-cert").arg(cert);
        }
        command.arg(file);
        let started = Instant::now();
        let status = command.status().await?;
        let exit = started.elapsed();
        if !status.success() {
            return Err(format!("{} failed: {status}", cli.display()).into());
        }
        let first = arrivals
            .try_recv()
            .map_err(|_| "no request reached the front")?;
        Ok(Run {
            first_byte: first.saturating_duration_since(started),
            exit,
        })
    }

    pub async fn stop(self) {
        self.accept.abort();
        let _ = self.server.shutdown().await;
    }
}

/// Forwards `client` to the emulator at `backend`, reporting when its first byte arrived.
async fn forward<S>(
    mut client: S,
    backend: std::net::SocketAddr,
    arrived: mpsc::UnboundedSender<Instant>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut first = [0u8; 16 * 1024];
    let Ok(read) = client.read(&mut first).await else {
        return;
    };
    let _ = arrived.send(Instant::now());
    if read == 0 {
        return;
    }
    let Ok(mut server) = TcpStream::connect(backend).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    if server.write_all(&first[..read]).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
