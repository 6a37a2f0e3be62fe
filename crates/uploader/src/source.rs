//! What is uploaded: a file read by offset (never loaded whole), or bytes in memory.

use bytes::Bytes;
use graph_upload_transport::{Body, FileSlice};
use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The bytes of an upload. Each chunk is a cheap view: a file slice reread from disk by
/// offset, or a slice of shared bytes; a retry replays the same view.
#[derive(Debug, Clone)]
pub struct UploadSource {
    inner: Inner,
    len: u64,
    path: Option<PathBuf>,
}

#[derive(Debug, Clone)]
enum Inner {
    File(Arc<File>),
    Bytes(Bytes),
}

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

    /// The body of one chunk; nothing past the end is ever read.
    pub(crate) fn body(&self, span: &Range<u64>) -> std::io::Result<Body> {
        if span.end > self.len || span.start > span.end {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("chunk {span:?} is outside the file's {} bytes", self.len),
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
        })
    }
}
