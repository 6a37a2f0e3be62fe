//! Uploaded bytes on disk: one file per upload, named by an id the server generated, written
//! at each fragment's offset and fsynced before the fragment is acknowledged.

use axum::body::Body;
use bytes::BytesMut;
use http_body_util::BodyExt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
/// [`WRITE_BUFFER`] bytes in memory, then fsyncs the data. Returns only once the bytes are
/// durable.
pub async fn write_fragment(
    file: Arc<File>,
    offset: u64,
    expected: u64,
    body: Body,
) -> Result<(), WriteError> {
    let mut body = body;
    let mut buffer = BytesMut::with_capacity(WRITE_BUFFER.min(expected as usize));
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
        let done = chunk.is_none();
        if let Some(chunk) = chunk {
            received += chunk.len() as u64;
            if received > expected {
                return Err(WriteError::Long);
            }
            buffer.extend_from_slice(&chunk);
        }
        if buffer.len() >= WRITE_BUFFER || (done && !buffer.is_empty()) {
            let block = buffer.split().freeze();
            let at = offset + written;
            written += block.len() as u64;
            let file = Arc::clone(&file);
            tokio::task::spawn_blocking(move || write_all_at(&file, &block, at))
                .await
                .map_err(|error| WriteError::Disk(io::Error::other(error)))?
                .map_err(WriteError::Disk)?;
        }
        if done {
            break;
        }
    }
    if received < expected {
        return Err(WriteError::Short { received });
    }
    tokio::task::spawn_blocking(move || file.sync_data())
        .await
        .map_err(|error| WriteError::Disk(io::Error::other(error)))?
        .map_err(WriteError::Disk)
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

fn sync_dir(dir: &Path) -> io::Result<()> {
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
        write_fragment(Arc::clone(&file), 3, 4, Body::from("abcd"))
            .await
            .unwrap();
        let stored = std::fs::read(blobs.path(&id).unwrap()).unwrap();
        assert_eq!(stored, b"\0\0\0abcd\0\0\0");
        assert!(matches!(
            write_fragment(Arc::clone(&file), 0, 4, Body::from("abc")).await,
            Err(WriteError::Short { received: 3 })
        ));
        assert!(matches!(
            write_fragment(file, 0, 2, Body::from("abc")).await,
            Err(WriteError::Long)
        ));
    }
}
