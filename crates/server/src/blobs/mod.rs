//! Uploaded bytes on disk: one file per upload, named by an id the server generated, written
//! at each fragment's offset and fsynced before the fragment is acknowledged.

//!
//! [`write`](mod@write) streams a fragment's body into its blob in bounded [`batch`]es; [`sync_gate`]
//! shares the fsyncs that make them durable between the parallel fragments of one upload.

mod batch;
mod sync_gate;
mod write;

pub use sync_gate::SyncGate;
pub use write::{WriteError, write_fragment};

use std::fs::{File, OpenOptions};
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// The directory of blobs.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
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
        crate::durable_fs::sync_dir(&self.dir)
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
}
