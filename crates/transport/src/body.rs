//! Request bodies that are cheap to clone and replay, so that a retry never rereads a whole
//! file or copies a fragment twice.

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use std::fs::File;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::task::JoinHandle;

/// How many bytes of a file slice are read from disk at a time: large enough for few
/// system calls, small enough that memory per request stays bounded.
pub const FILE_READ_BLOCK: usize = 1024 * 1024;

/// The body of a [`Request`](crate::Request).
///
/// Cloning is cheap (reference counts), and a clone sends the same bytes again: that is how
/// a retry replays a fragment.
#[derive(Debug, Clone, Default)]
pub enum Body {
    /// No body (`Content-Length: 0` on `PUT`/`POST`).
    #[default]
    Empty,
    /// Bytes in memory, sent without copying.
    Bytes(Bytes),
    /// A range of a file, read from disk by offset while it is sent.
    File(FileSlice),
}

impl Body {
    /// The exact number of bytes this body sends.
    pub fn len(&self) -> u64 {
        match self {
            Body::Empty => 0,
            Body::Bytes(bytes) => bytes.len() as u64,
            Body::File(slice) => slice.len(),
        }
    }

    /// Whether the body sends no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The streaming form that backends hand to hyper or reqwest.
    pub(crate) fn into_stream(self) -> BodyStream {
        let state = match self {
            Body::Empty => State::Done,
            Body::Bytes(bytes) if bytes.is_empty() => State::Done,
            Body::Bytes(bytes) => State::Bytes(bytes),
            Body::File(slice) if slice.len == 0 => State::Done,
            Body::File(slice) => State::File {
                file: slice.file,
                next: slice.offset,
                end: slice.offset + slice.len,
                pending: None,
                buffers: Arc::default(),
            },
        };
        BodyStream { state }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::Bytes(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Bytes(bytes.into())
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Bytes(text.into())
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Self {
        Body::Bytes(Bytes::from_static(bytes))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::Bytes(Bytes::from_static(text.as_bytes()))
    }
}

impl From<FileSlice> for Body {
    fn from(slice: FileSlice) -> Self {
        Body::File(slice)
    }
}

/// `len` bytes of a file from `offset`, shared by every clone and read with positional reads,
/// so concurrent fragments of one file never disturb each other's position.
#[derive(Debug, Clone)]
pub struct FileSlice {
    file: Arc<File>,
    offset: u64,
    len: u64,
}

impl FileSlice {
    /// A slice of an open file. Fails when the slice ends past the end of the file, so that a
    /// bad plan is caught before anything is sent.
    pub fn new(file: Arc<File>, offset: u64, len: u64) -> io::Result<Self> {
        let size = file.metadata()?.len();
        let end = offset.checked_add(len).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "file slice end overflows u64")
        })?;
        if end > size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file slice {offset}..{end} ends past the end of the file ({size} bytes)"),
            ));
        }
        Ok(FileSlice { file, offset, len })
    }

    /// Opens `path` and takes `len` bytes from `offset`.
    pub fn open(path: impl AsRef<Path>, offset: u64, len: u64) -> io::Result<Self> {
        FileSlice::new(Arc::new(File::open(path)?), offset, len)
    }

    /// Where the slice starts in the file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// How many bytes the slice holds.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the slice is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An `http_body::Body` over a [`Body`]: one frame for bytes, blocks of
/// [`FILE_READ_BLOCK`] for files (each read on the blocking pool, one at a time).
#[derive(Debug)]
pub(crate) struct BodyStream {
    state: State,
}

#[derive(Debug)]
enum State {
    Done,
    Bytes(Bytes),
    File {
        file: Arc<File>,
        next: u64,
        end: u64,
        pending: Option<JoinHandle<io::Result<Bytes>>>,
        buffers: Arc<BlockBuffers>,
    },
}

/// The read buffers of one body. A block hands its buffer back when the HTTP stack drops it
/// (once the bytes are on the socket), so a 10 MiB fragment reuses one or two 1 MiB buffers
/// instead of allocating, and page-faulting, ten.
#[derive(Debug, Default)]
struct BlockBuffers {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    /// Buffers allocated so far (for tests).
    allocated: std::sync::atomic::AtomicUsize,
}

impl BlockBuffers {
    /// Spare buffers kept; more in flight at once are freed when they come back.
    const KEEP: usize = 2;

    /// An empty buffer for a block of `want` bytes. Only full blocks reuse buffers: a shorter
    /// block (the end of a slice) gets one of its own size, so that no read runs past it.
    fn take(&self, want: usize) -> Vec<u8> {
        let reused = if want == FILE_READ_BLOCK {
            self.lock().pop()
        } else {
            None
        };
        reused.unwrap_or_else(|| {
            self.allocated
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Vec::with_capacity(want)
        })
    }

    fn give_back(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() != FILE_READ_BLOCK {
            return;
        }
        let mut free = self.lock();
        if free.len() < Self::KEEP {
            buffer.clear();
            free.push(buffer);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        self.free
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A block read from the file, owned by the `Bytes` sent; returns its buffer when dropped.
struct Block {
    data: Vec<u8>,
    buffers: Arc<BlockBuffers>,
}

impl AsRef<[u8]> for Block {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        self.buffers.give_back(std::mem::take(&mut self.data));
    }
}

/// Reading a request body from its file failed. A type of its own, so that every backend can
/// find it in an error's chain and report [`ErrorKind::Body`](crate::ErrorKind::Body).
#[derive(Debug)]
pub(crate) struct BodyReadError(pub(crate) io::Error);

impl std::fmt::Display for BodyReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "reading the request body failed: {}", self.0)
    }
}

impl std::error::Error for BodyReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl http_body::Body for BodyStream {
    type Data = Bytes;
    type Error = BodyReadError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyReadError>>> {
        let state = &mut self.state;
        match state {
            State::Done => Poll::Ready(None),
            State::Bytes(_) => match std::mem::replace(state, State::Done) {
                State::Bytes(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
                _ => Poll::Ready(None),
            },
            State::File {
                file,
                next,
                end,
                pending,
                buffers,
            } => {
                let task = pending.get_or_insert_with(|| spawn_read(file, *next, *end, buffers));
                let result = ready!(Pin::new(task).poll(cx));
                *pending = None;
                let block = match result {
                    Ok(Ok(block)) => block,
                    Ok(Err(error)) => {
                        *state = State::Done;
                        return Poll::Ready(Some(Err(BodyReadError(error))));
                    }
                    Err(join) => {
                        *state = State::Done;
                        return Poll::Ready(Some(Err(BodyReadError(io::Error::other(join)))));
                    }
                };
                *next += block.len() as u64;
                if *next >= *end {
                    *state = State::Done;
                }
                Poll::Ready(Some(Ok(Frame::data(block))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match &self.state {
            State::Done => SizeHint::with_exact(0),
            State::Bytes(bytes) => SizeHint::with_exact(bytes.len() as u64),
            State::File { next, end, .. } => SizeHint::with_exact(end - next),
        }
    }
}

use std::future::Future as _;

/// Starts reading the block of `file` that begins at `next` (at most [`FILE_READ_BLOCK`] bytes,
/// never past `end`) on the blocking pool.
fn spawn_read(
    file: &Arc<File>,
    next: u64,
    end: u64,
    buffers: &Arc<BlockBuffers>,
) -> JoinHandle<io::Result<Bytes>> {
    let want = (end - next).min(FILE_READ_BLOCK as u64) as usize;
    let (file, buffers) = (Arc::clone(file), Arc::clone(buffers));
    tokio::task::spawn_blocking(move || read_block(&file, next, want, buffers))
}

/// Reads exactly `want` bytes at `offset`; a file that shrank is an error, never a short body.
fn read_block(
    file: &File,
    offset: u64,
    want: usize,
    buffers: Arc<BlockBuffers>,
) -> io::Result<Bytes> {
    let mut buffer = buffers.take(want);
    while buffer.len() < want {
        let at = offset + buffer.len() as u64;
        if read_at(file, &mut buffer, at)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the file ended at byte {at} while a fragment up to byte {} was being sent (was it truncated?)",
                    offset + want as u64
                ),
            ));
        }
    }
    // A read fills the whole spare capacity; should the allocator have given more than asked,
    // the bytes past the block are not part of it.
    buffer.truncate(want);
    Ok(Bytes::from_owner(Block {
        data: buffer,
        buffers,
    }))
}

/// Reads at `offset` into the spare capacity of `buffer`, which grows by what was read. The
/// memory is not zeroed first: zeroing each 1 MiB block cost 5% of the client's CPU.
/// (`want` never passes the capacity, so the read never reaches past the block.)
#[cfg(unix)]
fn read_at(file: &File, buffer: &mut Vec<u8>, offset: u64) -> io::Result<usize> {
    loop {
        match rustix::io::pread(file, rustix::buffer::spare_capacity(buffer), offset) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

#[cfg(windows)]
fn read_at(file: &File, buffer: &mut Vec<u8>, offset: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    let filled = buffer.len();
    buffer.resize(buffer.capacity(), 0);
    let n = file.seek_read(&mut buffer[filled..], offset);
    buffer.truncate(filled + *n.as_ref().unwrap_or(&0));
    n
}

#[cfg(test)]
mod tests;
