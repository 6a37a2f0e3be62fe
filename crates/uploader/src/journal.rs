//! Resume across process restarts: a small JSON file that remembers the session of a file,
//! written atomically and locked against a second process.
//!
//! The journal is keyed by a fingerprint of the file (path, size, modification time, and a
//! hash of its first and last 64 KiB): a different or modified file never continues an old
//! session.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

const EDGE: u64 = 64 * 1024;

/// What identifies a file's content well enough to resume its upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Absolute path.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub modified_ns: u128,
    /// FNV-1a of the first and last 64 KiB (a cheap content check, not a security one).
    pub edges_hash: u64,
}

impl Fingerprint {
    /// Fingerprints the file at `path`.
    pub fn of(path: &Path) -> io::Result<Self> {
        let path = std::fs::canonicalize(path)?;
        let mut file = File::open(&path)?;
        let metadata = file.metadata()?;
        let size = metadata.len();
        let modified_ns = metadata
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let mut hash = Fnv::default();
        let mut buffer = vec![0u8; EDGE.min(size) as usize];
        file.read_exact(&mut buffer)?;
        hash.write(&buffer);
        if size > EDGE {
            let tail = EDGE.min(size - EDGE);
            file.seek(SeekFrom::Start(size - tail))?;
            buffer.resize(tail as usize, 0);
            file.read_exact(&mut buffer)?;
            hash.write(&buffer);
        }
        Ok(Fingerprint {
            path,
            size,
            modified_ns,
            edges_hash: hash.0,
        })
    }
}

#[derive(Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// The saved state of one upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// Format version.
    pub version: u32,
    /// The file.
    pub fingerprint: Fingerprint,
    /// Where the upload goes (e.g. `print/shares/{id}` or `todo/me/{list}/{task}`): an entry for
    /// another destination is not resumed.
    pub destination: String,
    /// The session's upload URL.
    pub upload_url: String,
    /// Flow-specific ids (print: job and document).
    pub ids: Vec<String>,
}

/// An open, locked journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    _lock: File,
}

impl Journal {
    /// Opens (creating the lock) the journal at `path`. Fails when another process holds it.
    pub fn open(path: impl Into<PathBuf>) -> io::Result<Self> {
        let path = path.into();
        let lock_path = lock_path(&path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        match lock.try_lock() {
            Ok(()) => Ok(Journal { path, _lock: lock }),
            Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "the journal {} is in use by another process uploading the same file",
                    path.display()
                ),
            )),
            Err(std::fs::TryLockError::Error(error)) => Err(error),
        }
    }

    /// The saved entry, if there is one and it can be read.
    pub fn load(&self) -> io::Result<Option<JournalEntry>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|error| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the journal {} is not valid: {error}", self.path.display()),
                )
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Saves `entry` atomically (temp file, fsync, rename).
    pub fn save(&self, entry: &JournalEntry) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(entry).map_err(io::Error::other)?;
        let temp = self.path.with_extension("tmp");
        {
            let mut file = File::create(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&temp, &self.path)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            #[cfg(unix)]
            File::open(dir)?.sync_all()?;
            #[cfg(not(unix))]
            let _ = dir;
        }
        Ok(())
    }

    /// Forgets the entry (the upload finished, or its session is gone).
    pub fn clear(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
            _ => Ok(()),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // The lock itself is released by closing the file; the lock file can go once the
        // journal is gone.
        if !self.path.exists() {
            let _ = std::fs::remove_file(lock_path(&self.path));
        }
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn fingerprint_changes_with_content_and_size() {
        let dir = std::env::temp_dir().join(format!("gu-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.bin");
        write(&file, &vec![1u8; 200_000]);
        let first = Fingerprint::of(&file).unwrap();
        assert_eq!(first, Fingerprint::of(&file).unwrap());
        let mut changed = vec![1u8; 200_000];
        changed[199_999] = 2;
        write(&file, &changed);
        let second = Fingerprint::of(&file).unwrap();
        assert_ne!(first.edges_hash, second.edges_hash);
        write(&file, &[1u8; 10]);
        assert_eq!(Fingerprint::of(&file).unwrap().size, 10);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn saved_entries_load_back_and_a_second_holder_is_refused() {
        let dir = std::env::temp_dir().join(format!("gu-journal-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.bin");
        write(&file, b"hello");
        let path = dir.join("upload.journal");
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.load().unwrap(), None);
        let entry = JournalEntry {
            version: 1,
            fingerprint: Fingerprint::of(&file).unwrap(),
            destination: "print/shares/x".into(),
            upload_url: "http://127.0.0.1/upload/1".into(),
            ids: vec!["job".into(), "doc".into()],
        };
        journal.save(&entry).unwrap();
        assert_eq!(journal.load().unwrap(), Some(entry));
        let second = Journal::open(&path).unwrap_err();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        journal.clear().unwrap();
        drop(journal);
        assert!(Journal::open(&path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
