//! Streaming a fragment's body into its blob: at most [`WRITE_BUFFER`] bytes held, each
//! batch written with one vectored write at its offset, then made durable through the
//! session's [`SyncGate`].

use super::batch::Batch;
use super::sync_gate::SyncGate;
use axum::body::Body;
use bytes::Bytes;
use http_body_util::BodyExt;
use std::fs::File;
use std::io;
use std::sync::Arc;

/// At most this many bytes of a request body are held in memory before they are written.
pub const WRITE_BUFFER: usize = 1024 * 1024;

/// Why a fragment's bytes were not all stored.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The body ended before `expected` bytes (the client stopped sending or lied).
    #[error("the body ended after {received} bytes")]
    Short {
        /// Bytes received.
        received: u64,
    },
    /// The body carried more than `expected` bytes.
    #[error("the body is longer than its range")]
    Long,
    /// Reading the request failed (the client went away): the body's own error.
    #[error("reading the request body failed: {0}")]
    Client(#[source] axum::Error),
    /// The disk failed.
    #[error("the disk failed: {0}")]
    Disk(#[source] io::Error),
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
        let data = match body.frame().await {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => Some(data),
                Err(_) => continue, // trailers carry no bytes
            },
            Some(Err(error)) => return Err(WriteError::Client(error)),
            None => None,
        };
        let Some(mut data) = data else {
            if batch.len() > 0 {
                write_batch(&file, &mut batch, offset + written).await?;
            }
            break;
        };
        received += data.len() as u64;
        if received > expected {
            return Err(WriteError::Long);
        }
        // Written before it would grow past WRITE_BUFFER (or MAX_BLOCKS pieces).
        if batch.len() > 0 && !batch.has_room_for(data.len()) {
            written += write_batch(&file, &mut batch, offset + written).await?;
        }
        // A frame larger than the bound (the batch is empty then) goes in bounded pieces.
        while data.len() > WRITE_BUFFER {
            batch.push(data.split_to(WRITE_BUFFER));
            held(batch.len());
            written += write_batch(&file, &mut batch, offset + written).await?;
        }
        batch.push(data);
        held(batch.len());
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
        super::write_all_at(file, block, offset)?;
        offset += block.len() as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blobs::Blobs;

    /// A new blob of `size` zero bytes in a temporary directory, open for writing.
    struct TestBlob {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
        file: Arc<File>,
    }

    impl TestBlob {
        fn new(size: u64) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let blobs = Blobs::open(dir.path().to_path_buf()).unwrap();
            let id = Blobs::new_id();
            blobs.create(&id, size).unwrap();
            TestBlob {
                path: blobs.path(&id).unwrap(),
                file: blobs.open_for_write(&id).unwrap(),
                _dir: dir,
            }
        }
    }

    #[tokio::test]
    async fn fragment_lands_at_its_offset_and_length_is_enforced() {
        let blob = TestBlob::new(10);
        write_fragment(
            Arc::clone(&blob.file),
            3,
            4,
            Body::from("abcd"),
            &SyncGate::default(),
        )
        .await
        .unwrap();
        let stored = std::fs::read(&blob.path).unwrap();
        assert_eq!(stored, b"\0\0\0abcd\0\0\0");
        assert!(matches!(
            write_fragment(
                Arc::clone(&blob.file),
                0,
                4,
                Body::from("abc"),
                &SyncGate::default()
            )
            .await,
            Err(WriteError::Short { received: 3 })
        ));
        assert!(matches!(
            write_fragment(blob.file, 0, 2, Body::from("abc"), &SyncGate::default()).await,
            Err(WriteError::Long)
        ));
    }

    /// A body that yields exactly the given frames, as a client's packets would (an error:
    /// the client went away).
    struct Frames(std::collections::VecDeque<io::Result<Bytes>>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = io::Error;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
            std::task::Poll::Ready(
                self.0
                    .pop_front()
                    .map(|next| next.map(http_body::Frame::data)),
            )
        }
    }

    /// A body of frames of the given sizes, and all its bytes.
    fn framed_body(sizes: &[usize]) -> (Body, Vec<u8>) {
        let mut all = Vec::new();
        let mut frames = std::collections::VecDeque::new();
        for (n, size) in sizes.iter().enumerate() {
            let frame: Vec<u8> = (0..*size).map(|i| (i * 7 + n * 13) as u8).collect();
            all.extend_from_slice(&frame);
            frames.push_back(Ok(Bytes::from(frame)));
        }
        (Body::new(Frames(frames)), all)
    }

    #[tokio::test]
    async fn a_body_that_fails_keeps_the_clients_error_as_its_source() {
        let blob = TestBlob::new(10);
        let gone = io::Error::new(io::ErrorKind::ConnectionReset, "the client went away");
        let body = Body::new(Frames([Ok(Bytes::from_static(b"abc")), Err(gone)].into()));
        let error = write_fragment(blob.file, 0, 10, body, &SyncGate::default())
            .await
            .unwrap_err();
        assert!(matches!(error, WriteError::Client(_)), "{error:?}");
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        let mut found = None;
        while let Some(error) = cause {
            found = found.or(error.downcast_ref::<io::Error>());
            cause = error.source();
        }
        let found = found.expect("the client's io::Error is in the source chain");
        assert_eq!(found.kind(), io::ErrorKind::ConnectionReset);
        assert!(
            error.to_string().contains("the client went away"),
            "{error}"
        );
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
        let offset = 5;
        let blob = TestBlob::new(offset + expected.len() as u64);
        write_fragment(
            blob.file,
            offset,
            expected.len() as u64,
            body,
            &SyncGate::default(),
        )
        .await
        .unwrap();
        let stored = std::fs::read(&blob.path).unwrap();
        assert_eq!(&stored[..offset as usize], &[0u8; 5]);
        assert!(stored[offset as usize..] == expected[..], "bytes differ");
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
            let blob = TestBlob::new(offset + expected.len() as u64);
            let mut peak = 0usize;
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime
                .block_on(write_fragment_measured(
                    blob.file,
                    offset,
                    expected.len() as u64,
                    body,
                    &SyncGate::default(),
                    &mut |held| peak = peak.max(held),
                ))
                .unwrap();
            proptest::prop_assert!(peak <= WRITE_BUFFER, "{} bytes held at once", peak);
            let stored = std::fs::read(&blob.path).unwrap();
            proptest::prop_assert_eq!(stored.len() as u64, offset + expected.len() as u64);
            proptest::prop_assert!(stored[..offset as usize].iter().all(|&b| b == 0));
            proptest::prop_assert!(stored[offset as usize..] == expected[..], "bytes differ");
        }
    }
}
