//! Uploaded bytes on disk: one file per upload, named by an id the server generated, written
//! at each fragment's offset and fsynced before the fragment is acknowledged.

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// At most this many bytes of a request body are held in memory before they are written.
pub const WRITE_BUFFER: usize = 1024 * 1024;

/// The directory of blobs.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// Why a fragment's bytes were not all stored.
#[derive(Debug)]
pub enum WriteError {
    /// The body ended before `expected` bytes (the client stopped sending or lied).
    Short {
        /// Bytes received.
        received: u64,
    },
    /// The body carried more than `expected` bytes.
    Long,
    /// Reading the request failed (the client went away).
    Client(String),
    /// The disk failed.
    Disk(io::Error),
}

impl Blobs {
    /// Blobs kept in `dir` (created if missing).
    pub fn open(dir: PathBuf) -> io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Blobs { dir })
    }

    /// A fresh blob id: a UUID, so it is safe as a file name.
    pub fn new_id() -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// The file of a blob. Only ids that parse as UUIDs map to a path: nothing from a request
    /// can point outside the directory.
    pub fn path(&self, id: &str) -> io::Result<PathBuf> {
        let id = uuid::Uuid::parse_str(id).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{id:?} is not a blob id"),
            )
        })?;
        Ok(self.dir.join(id.hyphenated().to_string()))
    }

    /// Creates an empty blob of `size` bytes (sparse), durably.
    pub fn create(&self, id: &str, size: u64) -> io::Result<()> {
        let path = self.path(id)?;
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.set_len(size)?;
        file.sync_all()?;
        sync_dir(&self.dir)
    }

    /// Opens a blob for positional writes.
    pub fn open_for_write(&self, id: &str) -> io::Result<Arc<File>> {
        Ok(Arc::new(
            OpenOptions::new().write(true).open(self.path(id)?)?,
        ))
    }

    /// Opens a blob for reading.
    pub fn open_for_read(&self, id: &str) -> io::Result<File> {
        File::open(self.path(id)?)
    }

    /// Deletes a blob; a missing one is not an error.
    pub fn remove(&self, id: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(id)?) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }

    /// Ids of every blob on disk (to find orphans after a crash).
    pub fn ids(&self) -> io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            if let Some(name) = entry?.file_name().to_str()
                && uuid::Uuid::parse_str(name).is_ok()
            {
                ids.push(name.to_owned());
            }
        }
        Ok(ids)
    }
}

/// Streams `body` into `file` at `offset`, expecting exactly `expected` bytes, holding at most
/// [`WRITE_BUFFER`] bytes of it in its batch, then fsyncs the data. Returns only once the bytes
/// are durable.
///
/// The body's frames are kept as they arrived (no copy into a buffer of our own) and each batch
/// goes to the disk in one vectored write: the copy it saves was a tenth of the emulator's CPU.
/// A frame larger than [`WRITE_BUFFER`] is written in pieces of at most that size.
pub async fn write_fragment(
    file: Arc<File>,
    offset: u64,
    expected: u64,
    body: Body,
    sync: &SyncGate,
) -> Result<(), WriteError> {
    write_fragment_measured(file, offset, expected, body, sync, &mut |_| {}).await
}

/// [`write_fragment`], telling `held` how many bytes its batch holds after each frame or piece
/// joins it (so that a test can measure the most it ever holds).
async fn write_fragment_measured(
    file: Arc<File>,
    offset: u64,
    expected: u64,
    body: Body,
    sync: &SyncGate,
    held: &mut (dyn FnMut(usize) + Send),
) -> Result<(), WriteError> {
    let mut body = body;
    let mut batch = Batch::default();
    let mut written = 0u64;
    let mut received = 0u64;
    loop {
        let chunk = match body.frame().await {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => Some(data),
                Err(_) => continue, // trailers carry no bytes
            },
            Some(Err(error)) => return Err(WriteError::Client(error.to_string())),
            None => None,
        };
        let Some(mut chunk) = chunk else {
            if batch.len > 0 {
                write_batch(&file, &mut batch, offset + written).await?;
            }
            break;
        };
        received += chunk.len() as u64;
        if received > expected {
            return Err(WriteError::Long);
        }
        // Written before it would grow past WRITE_BUFFER (or MAX_BLOCKS pieces).
        if batch.len > 0 && !batch.has_room_for(chunk.len()) {
            written += write_batch(&file, &mut batch, offset + written).await?;
        }
        // A frame larger than the bound (the batch is empty then) goes in bounded pieces.
        while chunk.len() > WRITE_BUFFER {
            batch.push(chunk.split_to(WRITE_BUFFER));
            held(batch.len);
            written += write_batch(&file, &mut batch, offset + written).await?;
        }
        batch.push(chunk);
        held(batch.len);
    }
    if received < expected {
        return Err(WriteError::Short { received });
    }
    #[cfg(all(test, unix))]
    crate::sync_log::record(crate::sync_log::Event::Written {
        file: crate::sync_log::file_id(&file),
        start: offset,
        end: offset + expected,
    });
    sync.sync_after_write(&file).await.map_err(WriteError::Disk)
}

/// Writes the batch at `at` and empties it; returns how many bytes it held.
async fn write_batch(file: &Arc<File>, batch: &mut Batch, at: u64) -> Result<u64, WriteError> {
    let (blocks, len) = batch.take();
    let file = Arc::clone(file);
    tokio::task::spawn_blocking(move || write_blocks_at(&file, &blocks, at))
        .await
        .map_err(|error| WriteError::Disk(io::Error::other(error)))?
        .map_err(WriteError::Disk)?;
    Ok(len as u64)
}

/// Coalesces the fsyncs of one file (group commit). Each fragment must be durable before it
/// is acknowledged, but one `fdatasync` covers every write that finished before it started:
/// a fragment whose bytes were covered by an fsync that began after its write waits for that
/// one instead of starting its own. Parallel fragments of one upload share the flushes.
#[derive(Debug, Default)]
pub struct SyncGate {
    /// Writes finished so far (each takes a ticket).
    written: AtomicU64,
    /// Held while an fsync runs; the highest ticket known durable.
    durable: tokio::sync::Mutex<u64>,
    /// fsyncs actually run, for tests and figures.
    flushes: AtomicU64,
}

impl SyncGate {
    /// Returns once every byte written to `file` before this call is durable.
    pub async fn sync_after_write(&self, file: &Arc<File>) -> io::Result<()> {
        let ticket = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        let mut durable = self.durable.lock().await;
        if *durable >= ticket {
            return Ok(());
        }
        // Every write with a ticket up to here finished before this fsync starts.
        let covering = self.written.load(Ordering::SeqCst);
        let file = Arc::clone(file);
        tokio::task::spawn_blocking(move || {
            #[cfg(all(test, unix))]
            let id = crate::sync_log::file_id(&file);
            #[cfg(all(test, unix))]
            crate::sync_log::record(crate::sync_log::Event::SyncStarted { file: id });
            file.sync_data()?;
            #[cfg(all(test, unix))]
            crate::sync_log::record(crate::sync_log::Event::Synced { file: id });
            Ok::<_, io::Error>(())
        })
        .await
        .map_err(io::Error::other)??;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        *durable = covering;
        Ok(())
    }

    /// How many fsyncs ran.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

/// Frames of a body waiting to be written, in order. Large frames are kept as they are; small
/// ones (a client trickling bytes) are copied together, so that a batch never has more than
/// [`Batch::MAX_BLOCKS`] pieces and each piece keeps little else alive.
#[derive(Default)]
struct Batch {
    blocks: Vec<Bytes>,
    tail: BytesMut,
    len: usize,
}

impl Batch {
    /// Frames shorter than this are copied into the tail rather than kept.
    const COPY_BELOW: usize = 16 * 1024;
    /// Far below any platform's `IOV_MAX`.
    const MAX_BLOCKS: usize = 64;

    fn push(&mut self, block: Bytes) {
        self.len += block.len();
        if block.len() < Self::COPY_BELOW {
            self.tail.extend_from_slice(&block);
        } else {
            self.seal_tail();
            self.blocks.push(block);
        }
    }

    fn seal_tail(&mut self) {
        if !self.tail.is_empty() {
            self.blocks.push(self.tail.split().freeze());
        }
    }

    /// Whether a frame of `len` bytes fits without passing [`WRITE_BUFFER`] or
    /// [`Batch::MAX_BLOCKS`].
    fn has_room_for(&self, len: usize) -> bool {
        self.len + len <= WRITE_BUFFER && self.blocks.len() + 2 <= Self::MAX_BLOCKS
    }

    /// The pieces to write, in order, leaving the batch empty.
    fn take(&mut self) -> (Vec<Bytes>, usize) {
        self.seal_tail();
        let len = std::mem::take(&mut self.len);
        (std::mem::take(&mut self.blocks), len)
    }
}

/// Writes `blocks` back to back from `offset`: one `pwritev` per call where the platform has
/// it, resumed after short writes.
#[cfg(unix)]
fn write_blocks_at(file: &File, blocks: &[Bytes], offset: u64) -> io::Result<()> {
    use std::io::IoSlice;
    let mut blocks = blocks;
    let mut skip = 0; // bytes of blocks[0] already written
    let mut offset = offset;
    while let Some(first) = blocks.first() {
        let slices: Vec<IoSlice<'_>> = std::iter::once(IoSlice::new(&first[skip..]))
            .chain(blocks[1..].iter().map(|b| IoSlice::new(b)))
            .collect();
        let n = match rustix::io::pwritev(file, &slices, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "disk write returned 0",
                ));
            }
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(error) => return Err(error.into()),
        };
        offset += n as u64;
        let mut advance = skip + n;
        while let Some(first) = blocks.first() {
            if advance < first.len() {
                break;
            }
            advance -= first.len();
            blocks = &blocks[1..];
        }
        skip = advance;
    }
    Ok(())
}

#[cfg(not(unix))]
fn write_blocks_at(file: &File, blocks: &[Bytes], mut offset: u64) -> io::Result<()> {
    for block in blocks {
        write_all_at(file, block, offset)?;
        offset += block.len() as u64;
    }
    Ok(())
}

/// Writes all of `bytes` at `offset` (positional: concurrent writers never share a cursor).
#[cfg(unix)]
pub(crate) fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    while !bytes.is_empty() {
        match file.write_at(bytes, offset) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "disk write returned 0",
                ));
            }
            Ok(n) => {
                bytes = &bytes[n..];
                offset += n as u64;
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(windows)]
pub(crate) fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !bytes.is_empty() {
        let n = file.seek_write(bytes, offset)?;
        bytes = &bytes[n..];
        offset += n as u64;
    }
    Ok(())
}

/// Writes a small file so that readers see the old content or the new, never a mix:
/// temp file, fsync, rename, fsync the directory.
pub fn write_file_atomically(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let temp = path.with_extension("tmp");
    {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temp, path)?;
    sync_dir(dir)
}

/// Makes a directory's entries (files created, renamed or removed) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_are_not_uuids_never_become_paths() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path().join("blobs")).unwrap();
        for id in ["../state.redb", "/etc/passwd", "a/b", "", ".."] {
            assert!(blobs.path(id).is_err(), "{id}");
        }
        let id = Blobs::new_id();
        assert!(
            blobs
                .path(&id)
                .unwrap()
                .starts_with(dir.path().join("blobs"))
        );
    }

    #[tokio::test]
    async fn fragment_lands_at_its_offset_and_length_is_enforced() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path().to_path_buf()).unwrap();
        let id = Blobs::new_id();
        blobs.create(&id, 10).unwrap();
        let file = blobs.open_for_write(&id).unwrap();
        write_fragment(
            Arc::clone(&file),
            3,
            4,
            Body::from("abcd"),
            &SyncGate::default(),
        )
        .await
        .unwrap();
        let stored = std::fs::read(blobs.path(&id).unwrap()).unwrap();
        assert_eq!(stored, b"\0\0\0abcd\0\0\0");
        assert!(matches!(
            write_fragment(
                Arc::clone(&file),
                0,
                4,
                Body::from("abc"),
                &SyncGate::default()
            )
            .await,
            Err(WriteError::Short { received: 3 })
        ));
        assert!(matches!(
            write_fragment(file, 0, 2, Body::from("abc"), &SyncGate::default()).await,
            Err(WriteError::Long)
        ));
    }

    /// A body that yields exactly the given frames, as a client's packets would.
    struct Frames(std::collections::VecDeque<Bytes>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
            std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
        }
    }

    /// A body of frames of the given sizes, and all its bytes.
    fn framed_body(sizes: &[usize]) -> (Body, Vec<u8>) {
        let mut all = Vec::new();
        let mut frames = std::collections::VecDeque::new();
        for (n, size) in sizes.iter().enumerate() {
            let frame: Vec<u8> = (0..*size).map(|i| (i * 7 + n * 13) as u8).collect();
            all.extend_from_slice(&frame);
            frames.push_back(Bytes::from(frame));
        }
        (Body::new(Frames(frames)), all)
    }

    #[tokio::test]
    async fn frames_of_every_size_land_in_order_without_gaps() {
        // Tiny frames (copied together), large ones (kept), empty ones, and more pieces than
        // one vectored write takes.
        let mut sizes = vec![1usize; 300];
        sizes.extend([0, 70_000, 3, 5, 200_000, 0, 16 * 1024, 16 * 1024 - 1]);
        sizes.extend(std::iter::repeat_n(20_000, 100));
        sizes.extend([1024 * 1024 + 17, 9]);
        let (body, expected) = framed_body(&sizes);
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path().to_path_buf()).unwrap();
        let id = Blobs::new_id();
        let offset = 5;
        blobs.create(&id, offset + expected.len() as u64).unwrap();
        let file = blobs.open_for_write(&id).unwrap();
        write_fragment(
            file,
            offset,
            expected.len() as u64,
            body,
            &SyncGate::default(),
        )
        .await
        .unwrap();
        let stored = std::fs::read(blobs.path(&id).unwrap()).unwrap();
        assert_eq!(&stored[..offset as usize], &[0u8; 5]);
        assert!(stored[offset as usize..] == expected[..], "bytes differ");
    }

    #[test]
    fn a_batch_keeps_few_pieces_however_the_body_is_framed() {
        let mut batch = Batch::default();
        for _ in 0..10_000 {
            batch.push(Bytes::from_static(b"x"));
            assert!(batch.blocks.len() <= 1, "tiny frames are copied together");
        }
        batch.push(Bytes::from(vec![1u8; 20_000]));
        batch.push(Bytes::from_static(b"yz"));
        let (blocks, len) = batch.take();
        assert_eq!(len, 10_000 + 20_000 + 2);
        let lens: Vec<usize> = blocks.iter().map(Bytes::len).collect();
        assert_eq!(lens, [10_000, 20_000, 2]);
        // Pieces: never more than MAX_BLOCKS.
        let mut batch = Batch::default();
        let frame = Bytes::from(vec![0u8; 16 * 1024]);
        while batch.has_room_for(frame.len()) {
            batch.push(frame.clone());
        }
        assert!(batch.blocks.len() < Batch::MAX_BLOCKS);
    }

    /// Frame sizes a body may come in: trickles, hyper-sized frames, and frames around and far
    /// past the bound.
    fn frame_size() -> impl proptest::strategy::Strategy<Value = usize> {
        use proptest::prelude::*;
        prop_oneof![
            4 => 0usize..64,
            4 => 1_000usize..40_000,
            3 => 100_000usize..450_000,
            2 => WRITE_BUFFER - 8..WRITE_BUFFER + 8,
            2 => WRITE_BUFFER + 8..3 * WRITE_BUFFER,
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(24))]

        /// `write_fragment` itself never holds more than WRITE_BUFFER bytes in its batch,
        /// whatever the framing (frames over the bound included), and stores exactly the body.
        #[test]
        fn write_fragment_never_holds_more_than_the_bound_and_stores_every_byte(
            sizes in proptest::collection::vec(frame_size(), 0..12),
            offset in 0u64..5_000,
        ) {
            let (body, expected) = framed_body(&sizes);
            let dir = tempfile::tempdir().unwrap();
            let blobs = Blobs::open(dir.path().to_path_buf()).unwrap();
            let id = Blobs::new_id();
            blobs.create(&id, offset + expected.len() as u64).unwrap();
            let file = blobs.open_for_write(&id).unwrap();
            let mut peak = 0usize;
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime
                .block_on(write_fragment_measured(
                    file,
                    offset,
                    expected.len() as u64,
                    body,
                    &SyncGate::default(),
                    &mut |held| peak = peak.max(held),
                ))
                .unwrap();
            proptest::prop_assert!(peak <= WRITE_BUFFER, "{} bytes held at once", peak);
            let stored = std::fs::read(blobs.path(&id).unwrap()).unwrap();
            proptest::prop_assert_eq!(stored.len() as u64, offset + expected.len() as u64);
            proptest::prop_assert!(stored[..offset as usize].iter().all(|&b| b == 0));
            proptest::prop_assert!(stored[offset as usize..] == expected[..], "bytes differ");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_waiting_on_one_fsync_share_the_next_and_later_writes_get_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create(dir.path().join("blob")).unwrap());
        let gate = Arc::new(SyncGate::default());
        // An fsync is "running": five fragments finish their writes meanwhile.
        let running = gate.durable.lock().await;
        let mut waiting = Vec::new();
        for _ in 0..5 {
            let (gate, file) = (Arc::clone(&gate), Arc::clone(&file));
            waiting.push(tokio::spawn(
                async move { gate.sync_after_write(&file).await },
            ));
        }
        while gate.written.load(Ordering::SeqCst) < 5 {
            tokio::task::yield_now().await;
        }
        drop(running);
        for task in waiting {
            task.await.unwrap().unwrap();
        }
        assert_eq!(gate.flushes(), 1, "one fsync covers the five writes");
        // A write after that fsync started is not covered by it.
        gate.sync_after_write(&file).await.unwrap();
        assert_eq!(gate.flushes(), 2);
    }
}
