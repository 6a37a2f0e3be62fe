//! The `raw` variant: the simplest fast client over raw hyper connections, the limit the uploader is measured against.

use super::*;

/// The limit: the simplest fast client. Inside the timed part, like the uploader: create the
/// job and the session, then PUT 10 MiB fragments over `PARALLEL` raw hyper connections, each
/// fragment streamed from the file in 1 MiB frames read as hyper asks for them (`pread` into
/// buffers allocated before the clock, returned when hyper drops a frame), so reading and
/// sending overlap. No retries, no ranges, no progress: nothing but the bytes. The last answer
/// must be the `201`.
pub(crate) async fn raw_upload(base: &str, file: &Path) -> Result<(Timed, Document), Failure> {
    let size = std::fs::metadata(file)?.len();
    let file = Arc::new(std::fs::File::open(file)?);
    let authority = base.trim_start_matches("http://").to_owned();
    // Each connection's frames, ready before the clock: hyper holds at most a frame or two.
    let pools: Vec<Arc<Pool>> = (0..PARALLEL).map(|_| Arc::new(Pool::filled(4))).collect();
    let streams = {
        let mut streams = Vec::new();
        for _ in 0..PARALLEL {
            let stream = tokio::net::TcpStream::connect(&authority).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        streams
    };
    let api = HyperTransport::new(TransportConfig::default())?;
    let started = Stopwatch::start();
    let (url, document) = new_session(&api, base, size).await?;
    let uri: hyper::Uri = url.parse()?;
    let path = uri.path_and_query().ok_or("no path")?.to_string();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let created = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for (stream, pool) in streams.into_iter().zip(&pools) {
        let (authority, path, file, next, pool, created) = (
            authority.clone(),
            path.clone(),
            Arc::clone(&file),
            Arc::clone(&next),
            Arc::clone(pool),
            Arc::clone(&created),
        );
        workers.spawn(async move {
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            loop {
                let start = next.fetch_add(FRAGMENT, std::sync::atomic::Ordering::SeqCst);
                if start >= size {
                    return Ok::<(), Failure>(());
                }
                let end = (start + FRAGMENT).min(size);
                let body = FileFrames::new(Arc::clone(&file), start, end, Arc::clone(&pool));
                let request = hyper::Request::put(path.as_str())
                    .header("host", authority.as_str())
                    .header("content-range", format!("bytes {start}-{}/{size}", end - 1))
                    .header("content-length", end - start)
                    .body(body)?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                match status.as_u16() {
                    201 => {
                        created.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    200 | 202 => {}
                    _ => return Err(format!("raw PUT answered {status}").into()),
                }
            }
        });
    }
    while let Some(result) = workers.join_next().await {
        result??;
    }
    let timed = started.stop();
    if created.load(std::sync::atomic::Ordering::SeqCst) != 1 {
        return Err("no PUT of the raw loop answered 201".into());
    }
    let fresh: u64 = pools.iter().map(|p| p.fresh()).sum();
    if fresh > 0 {
        eprintln!("raw: {fresh} frame buffers had to be allocated inside the timed part");
    }
    Ok((timed, document))
}

/// Frame buffers of one connection, allocated before the clock starts.
pub(crate) struct Pool {
    pub(crate) free: std::sync::Mutex<Vec<Vec<u8>>>,
    pub(crate) fresh: std::sync::atomic::AtomicU64,
}

impl Pool {
    pub(crate) fn filled(count: usize) -> Self {
        Pool {
            free: std::sync::Mutex::new((0..count).map(|_| vec![0u8; FRAME]).collect()),
            fresh: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub(crate) fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        reused.unwrap_or_else(|| {
            self.fresh
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            vec![0u8; FRAME]
        })
    }

    pub(crate) fn give_back(&self, buffer: Vec<u8>) {
        if let Ok(mut free) = self.free.lock() {
            free.push(buffer);
        }
    }

    /// Buffers allocated because every pooled one was still held by hyper.
    pub(crate) fn fresh(&self) -> u64 {
        self.fresh.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A frame's bytes: a pooled buffer, handed back to its pool when hyper drops the frame.
pub(crate) struct Pooled {
    pub(crate) buffer: Vec<u8>,
    pub(crate) len: usize,
    pub(crate) pool: Arc<Pool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

/// A fragment of the file as a body, in 1 MiB frames read with `pread` on the blocking pool, one
/// block ahead: while hyper sends a frame, the next one is being read, so reading and sending
/// overlap.
pub(crate) struct FileFrames {
    pub(crate) file: Arc<std::fs::File>,
    pub(crate) offset: u64,
    pub(crate) end: u64,
    pub(crate) pool: Arc<Pool>,
    pub(crate) ahead: Option<tokio::task::JoinHandle<std::io::Result<Pooled>>>,
    /// Bytes not yet handed to hyper.
    pub(crate) remaining: u64,
}

impl FileFrames {
    pub(crate) fn new(file: Arc<std::fs::File>, start: u64, end: u64, pool: Arc<Pool>) -> Self {
        let mut frames = FileFrames {
            file,
            offset: start,
            end,
            pool,
            ahead: None,
            remaining: end - start,
        };
        frames.read_ahead();
        frames
    }

    /// Starts reading the next block, if any.
    pub(crate) fn read_ahead(&mut self) {
        if self.offset >= self.end {
            return;
        }
        let len = (self.end - self.offset).min(FRAME as u64) as usize;
        let (file, offset, pool) = (Arc::clone(&self.file), self.offset, Arc::clone(&self.pool));
        self.offset += len as u64;
        self.ahead = Some(tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buffer = pool.take();
            file.read_exact_at(&mut buffer[..len], offset)?;
            Ok(Pooled { buffer, len, pool })
        }));
    }
}

/// Frame size of the raw loop: the transports' file read block.
pub(crate) const FRAME: usize = graph_upload::transport::FILE_READ_BLOCK;

impl hyper::body::Body for FileFrames {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        use std::future::Future;
        let Some(ahead) = self.ahead.as_mut() else {
            return std::task::Poll::Ready(None);
        };
        let read = match std::pin::Pin::new(ahead).poll(cx) {
            std::task::Poll::Pending => return std::task::Poll::Pending,
            std::task::Poll::Ready(read) => read,
        };
        self.ahead = None;
        let pooled = match read {
            Ok(Ok(pooled)) => pooled,
            Ok(Err(error)) => return std::task::Poll::Ready(Some(Err(error))),
            Err(error) => return std::task::Poll::Ready(Some(Err(std::io::Error::other(error)))),
        };
        self.remaining -= pooled.len as u64;
        self.read_ahead();
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from_owner(
            pooled,
        )))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}
