//! Resume across process restarts: a small JSON file that remembers the session of a file,
//! written atomically and locked against a second process.
//!
//! The journal is keyed by a fingerprint of the file (path, size, modification time, and a
//! hash of its first and last 64 KiB): a different or modified file never continues an old
//! session.
//!
//! A journal path is a place the user named, so nothing there is touched unless it is provably
//! ours: the file carries a format marker ([`JOURNAL_FORMAT`]) and its lock file another
//! ([`LOCK_MARKER`]). Anything else is refused before any request is sent, as is a path that is
//! the file being uploaded.

use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::fnv::Fnv;
use graph_upload_models::UploadUrl;

const EDGE: u64 = 64 * 1024;

/// The `format` member every journal file carries: a file without it is not ours.
pub const JOURNAL_FORMAT: &str = "graph-upload-journal";
/// The journal format this version writes.
pub const JOURNAL_VERSION: u32 = 2;
/// The content of a journal's lock file (`{journal}.lock`).
pub const LOCK_MARKER: &str = "graph-upload journal lock\n";

/// Why a journal cannot be used. Each is found before any request is sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The directory the journal would live in is missing.
    #[error("journal directory {} does not exist", .0.display())]
    MissingDirectory(PathBuf),
    /// Something is at the path that graph-upload did not write; it is left untouched.
    #[error(
        "{} is not a graph-upload journal (no {JOURNAL_FORMAT:?} marker); it was left untouched: choose another journal path",
        .0.display()
    )]
    NotAJournal(PathBuf),
    /// The journal path names the file being uploaded (however spelled).
    #[error("the journal {} is the file being uploaded; choose another journal path", .0.display())]
    SameAsSource(PathBuf),
    /// Another process holds the journal's lock.
    #[error("the journal {} is in use by another process uploading the same file", .0.display())]
    InUse(PathBuf),
    /// Reading or writing the journal failed.
    #[error("the journal {}: {source}", .path.display())]
    Io {
        /// The journal or its lock file.
        path: PathBuf,
        /// The failure.
        source: io::Error,
    },
}

impl JournalError {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> JournalError + '_ {
        move |source| JournalError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

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
            edges_hash: hash.finish(),
        })
    }
}

/// The saved state of one upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The file.
    pub fingerprint: Fingerprint,
    /// Where the upload goes (e.g. `print/shares/{id}` or `todo/me/{list}/{task}`): an entry for
    /// another destination is not resumed.
    pub destination: String,
    /// The session's upload URL (it prints redacted; the file keeps it whole).
    pub upload_url: UploadUrl,
    /// Flow-specific ids (print: job and document).
    pub ids: Vec<String>,
    /// Whether the upload created the job in `ids` itself (so that giving up may cancel it).
    #[serde(default)]
    pub created_job: bool,
}

/// What is on disk: the marker, the version and the entry's members, flat (serde's `flatten`
/// cannot carry the fingerprint's `u128`).
#[derive(Serialize, Deserialize)]
struct OnDisk {
    format: String,
    version: u32,
    fingerprint: Fingerprint,
    destination: String,
    upload_url: UploadUrl,
    ids: Vec<String>,
    #[serde(default)]
    created_job: bool,
}

impl OnDisk {
    fn new(entry: &JournalEntry) -> Self {
        let entry = entry.clone();
        OnDisk {
            format: JOURNAL_FORMAT.into(),
            version: JOURNAL_VERSION,
            fingerprint: entry.fingerprint,
            destination: entry.destination,
            upload_url: entry.upload_url,
            ids: entry.ids,
            created_job: entry.created_job,
        }
    }

    fn entry(self) -> JournalEntry {
        JournalEntry {
            fingerprint: self.fingerprint,
            destination: self.destination,
            upload_url: self.upload_url,
            ids: self.ids,
            created_job: self.created_job,
        }
    }
}

/// Only the marker, to tell our files from others before reading the rest.
#[derive(Deserialize)]
struct Marker {
    format: String,
}

/// What [`Journal::load`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// No journal yet.
    Nothing,
    /// An entry to resume (if it matches the file and destination).
    Entry(JournalEntry),
    /// A journal of ours that this version cannot read (another format version, or damaged):
    /// it will be replaced.
    Unreadable(String),
}

/// An open, locked journal file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl Journal {
    /// Opens the journal at `path` for an upload of `uploading`, taking its lock.
    ///
    /// Refuses, without touching anything: a missing directory, a path that is `uploading`
    /// itself, an existing file that is not a graph-upload journal (or a lock file that is not
    /// ours), and a journal another process holds.
    pub fn open(path: impl Into<PathBuf>, uploading: &Path) -> Result<Self, JournalError> {
        let path = path.into();
        let directory = directory_of(&path);
        if !directory.is_dir() {
            return Err(JournalError::MissingDirectory(directory));
        }
        let lock_path = lock_path(&path);
        for candidate in [&path, &lock_path] {
            if same_file::is_same_file(candidate, uploading).unwrap_or(false) {
                return Err(JournalError::SameAsSource(candidate.clone()));
            }
        }
        // Before creating a lock file beside it: is what is there ours?
        check_ours(&path)?;
        let lock = lock(&path, &lock_path)?;
        let journal = Journal {
            path,
            lock_path,
            _lock: lock,
        };
        // Under the lock, look again: another process may have written it meanwhile.
        check_ours(&journal.path)?;
        Ok(journal)
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the journal holds.
    pub fn load(&self) -> Result<Saved, JournalError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Saved::Nothing),
            Err(error) => return Err(JournalError::io(&self.path)(error)),
        };
        if !is_ours(&bytes) {
            return Err(JournalError::NotAJournal(self.path.clone()));
        }
        Ok(match serde_json::from_slice::<OnDisk>(&bytes) {
            Ok(disk) if disk.version == JOURNAL_VERSION => Saved::Entry(disk.entry()),
            Ok(disk) => Saved::Unreadable(format!("format version {}", disk.version)),
            Err(error) => Saved::Unreadable(error.to_string()),
        })
    }

    /// Saves `entry` atomically with `atomic-write-file` (the emulator's durable writes use
    /// it too): a new temporary file beside the journal, fsync, rename over the journal, fsync
    /// of the directory. No other file is written.
    pub fn save(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        let io = JournalError::io(&self.path);
        let bytes = serde_json::to_vec_pretty(&OnDisk::new(entry)).map_err(io::Error::other);
        bytes
            .and_then(|bytes| {
                let mut file = atomic_write_file::AtomicWriteFile::open(&self.path)?;
                file.write_all(&bytes)?;
                file.commit()
            })
            .map_err(io)
    }

    /// Forgets the entry (the upload finished, or its session is gone). Removes the file only
    /// while it is still a journal of ours.
    pub fn clear(&self) -> Result<(), JournalError> {
        match std::fs::read(&self.path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => return Err(JournalError::io(&self.path)(error)),
            Ok(bytes) if !is_ours(&bytes) => {
                return Err(JournalError::NotAJournal(self.path.clone()));
            }
            Ok(_) => {}
        }
        match std::fs::remove_file(&self.path) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                Err(JournalError::io(&self.path)(error))
            }
            _ => Ok(()),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Once the journal is gone its lock file can go too. It is removed while the lock is
        // still held (the file closes after this body): a process that opened the old lock
        // file and gets the lock later sees that the path no longer names it and starts over
        // (see `lock`), so two processes never both hold the journal.
        if cfg!(unix) && !self.path.exists() {
            let _ = std::fs::remove_file(&self.lock_path);
        }
    }
}

/// Whether `bytes` carry our marker.
fn is_ours(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Marker>(bytes).is_ok_and(|marker| marker.format == JOURNAL_FORMAT)
}

/// Refuses an existing file (or directory) at `path` that is not a journal of ours.
fn check_ours(path: &Path) -> Result<(), JournalError> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(JournalError::io(path)(error)),
        Ok(metadata) if !metadata.is_file() => Err(JournalError::NotAJournal(path.to_owned())),
        Ok(_) => {
            let bytes = std::fs::read(path).map_err(JournalError::io(path))?;
            if is_ours(&bytes) {
                Ok(())
            } else {
                Err(JournalError::NotAJournal(path.to_owned()))
            }
        }
    }
}

/// Takes the lock file at `lock_path`: creates it with our marker, or locks an existing one
/// that carries the marker. Retries when the file it locked was removed or replaced meanwhile
/// by the holder before (who removes it under the lock).
fn lock(journal: &Path, lock_path: &Path) -> Result<File, JournalError> {
    let io = JournalError::io(lock_path);
    for _ in 0..16 {
        // Only a file this call created, or one that carries the marker, is ours.
        let (mut file, created) = match OpenOptions::new()
            .create_new(true)
            .read(true)
            .write(true)
            .open(lock_path)
        {
            Ok(file) => (file, true),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                match OpenOptions::new().read(true).write(true).open(lock_path) {
                    Ok(file) => (file, false),
                    // Removed in between by the holder before: start over.
                    Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                    Err(error) => return Err(JournalError::io(lock_path)(error)),
                }
            }
            Err(error) => return Err(JournalError::io(lock_path)(error)),
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::InUse(journal.to_owned()));
            }
            Err(std::fs::TryLockError::Error(error)) => return Err(io(error)),
        }
        if !still_named_by(&file, lock_path) {
            continue;
        }
        let mut content = Vec::new();
        file.read_to_end(&mut content)
            .map_err(JournalError::io(lock_path))?;
        if content.is_empty() && created {
            file.write_all(LOCK_MARKER.as_bytes())
                .map_err(JournalError::io(lock_path))?;
        } else if content != LOCK_MARKER.as_bytes() {
            return Err(JournalError::NotAJournal(lock_path.to_owned()));
        }
        return Ok(file);
    }
    Err(io(io::Error::other(
        "the lock file keeps being replaced by another process",
    )))
}

/// Whether `path` still names the open `file` (same device and inode).
#[cfg(unix)]
fn still_named_by(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Elsewhere a lock file is never removed (see `Drop`), so the name cannot move.
#[cfg(not(unix))]
fn still_named_by(_file: &File, _path: &Path) -> bool {
    true
}

/// The directory a journal lives in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
