//! Writes to the data directory that survive a crash: whole small files replaced atomically,
//! and directory entries made durable.

use std::io::{self, Write};
use std::path::Path;

/// Writes a small file so that readers see the old content or the new, never a mix, and the
/// new content survives a crash once this returns: `atomic-write-file` writes a temporary file
/// in the same directory, fsyncs it, renames it over `path` and fsyncs the directory.
/// `private`: readable by the owner only (unix), whatever the file had before.
pub(crate) fn write_file_atomically(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    let mut options = atomic_write_file::OpenOptions::new();
    #[cfg(unix)]
    if private {
        use atomic_write_file::unix::OpenOptionsExt as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        options.preserve_mode(false).mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Makes a directory's entries (files created, linked or removed) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_written_atomically_replaces_the_old_one_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        write_file_atomically(&path, b"old", false).unwrap();
        write_file_atomically(&path, b"new content", true).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new content");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["key"], "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "private, whatever it was: {mode:o}");
        }
    }
}
