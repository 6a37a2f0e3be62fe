//! What is uploaded: a file read by offset (never loaded whole), bytes in memory, or any
//! `AsyncRead + AsyncSeek`.

use bytes::Bytes;
use graph_upload_transport::{Body, FileSlice};
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

/// The bytes of an upload. Each fragment is a cheap view: a file slice reread from disk by
/// offset, or a slice of shared bytes; a retry replays the same view.
#[derive(Debug, Clone)]
pub struct UploadSource {
    inner: Inner,
    len: u64,
    path: Option<PathBuf>,
}

#[derive(Clone)]
enum Inner {
    File(Arc<File>),
    Bytes(Bytes),
    Reader(Arc<tokio::sync::Mutex<Box<dyn SeekableReader>>>),
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Inner::File(file) => f.debug_tuple("File").field(file).finish(),
            Inner::Bytes(bytes) => f.debug_tuple("Bytes").field(&bytes.len()).finish(),
            Inner::Reader(_) => f.write_str("Reader"),
        }
    }
}

/// A reader the uploader can seek in: any `AsyncRead + AsyncSeek`.
pub trait SeekableReader: AsyncRead + AsyncSeek + Send + Unpin {}

impl<T: AsyncRead + AsyncSeek + Send + Unpin> SeekableReader for T {}

impl UploadSource {
    /// A file on disk; its size is read now and must not change during the upload.
    pub fn from_path(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!("cannot open {}: {error}", path.display()),
            )
        })?;
        let metadata = file.metadata()?;
        if !metadata.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is not a regular file", path.display()),
            ));
        }
        Ok(UploadSource {
            len: metadata.len(),
            inner: Inner::File(Arc::new(file)),
            path: Some(path.to_path_buf()),
        })
    }

    /// Bytes in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        UploadSource {
            len: bytes.len() as u64,
            inner: Inner::Bytes(bytes),
            path: None,
        }
    }

    /// Any seekable async reader of `len` bytes. Each fragment is read into memory when it is
    /// sent (one fragment per request in flight) and kept for its retries; reads are serialised.
    pub fn from_reader(reader: impl SeekableReader + 'static, len: u64) -> Self {
        UploadSource {
            len,
            inner: Inner::Reader(Arc::new(tokio::sync::Mutex::new(Box::new(reader)))),
            path: None,
        }
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// The file's path, for sources read from disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every byte, for a small file sent in one request (callers bound `len` first).
    pub(crate) async fn read_all(&self) -> std::io::Result<Vec<u8>> {
        match &self.inner {
            Inner::Bytes(bytes) => Ok(bytes.to_vec()),
            Inner::File(file) => {
                let file = Arc::clone(file);
                let len = self.len;
                tokio::task::spawn_blocking(move || {
                    use std::io::{Read, Seek};
                    let mut reader = &*file;
                    reader.seek(std::io::SeekFrom::Start(0))?;
                    let mut buffer = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                    reader.take(len).read_to_end(&mut buffer)?;
                    if buffer.len() as u64 != len {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("the file is shorter than its {len} bytes"),
                        ));
                    }
                    Ok(buffer)
                })
                .await
                .map_err(std::io::Error::other)?
            }
            Inner::Reader(reader) => {
                let mut reader = reader.lock().await;
                reader.seek(std::io::SeekFrom::Start(0)).await?;
                let mut buffer = vec![0u8; usize::try_from(self.len).unwrap_or(0)];
                reader.read_exact(&mut buffer).await?;
                Ok(buffer)
            }
        }
    }

    /// The body of one fragment; nothing past the end is ever read.
    pub(crate) async fn body(&self, span: &Range<u64>) -> std::io::Result<Body> {
        if span.end > self.len || span.start > span.end {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("fragment {span:?} is outside the file's {} bytes", self.len),
            ));
        }
        Ok(match &self.inner {
            Inner::File(file) => Body::from(FileSlice::new(
                Arc::clone(file),
                span.start,
                span.end - span.start,
            )?),
            Inner::Bytes(bytes) => {
                // In bounds: checked above, and `len` is the length of `bytes`.
                Body::from(bytes.slice(span.start as usize..span.end as usize))
            }
            Inner::Reader(reader) => {
                let mut reader = reader.lock().await;
                reader.seek(std::io::SeekFrom::Start(span.start)).await?;
                let mut buffer = vec![0u8; (span.end - span.start) as usize];
                reader.read_exact(&mut buffer).await.map_err(|error| {
                    std::io::Error::new(
                        error.kind(),
                        format!("reading bytes {span:?} of the source failed (is it shorter than {} bytes?): {error}", self.len),
                    )
                })?;
                Body::from(buffer)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(body: Body) -> Vec<u8> {
        match body {
            Body::Bytes(bytes) => bytes.to_vec(),
            other => panic!("expected in-memory bytes, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn reader_fragments_are_read_at_their_offsets() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let source = UploadSource::from_reader(std::io::Cursor::new(data.clone()), 10_000);
        assert_eq!(
            bytes_of(source.body(&(5000..6000)).await.unwrap()),
            data[5000..6000]
        );
        assert_eq!(bytes_of(source.body(&(0..10)).await.unwrap()), data[..10]);
    }

    #[tokio::test]
    async fn nothing_past_the_end_is_read() {
        let source = UploadSource::from_bytes(vec![1u8; 10]);
        assert!(source.body(&(5..11)).await.is_err());
        let short = UploadSource::from_reader(std::io::Cursor::new(vec![1u8; 10]), 20);
        let error = short.body(&(0..20)).await.unwrap_err();
        assert!(error.to_string().contains("shorter"), "{error}");
    }
}
