//! `--journal DIR` of a run with several files: one journal per file in that directory, named
//! after the file's absolute path, so that running the same command again finds each
//! unfinished file's session.
//!
//! Nothing else in the directory is touched: the uploader opens a journal only when the file
//! at its path is missing or carries the journal marker (and its lock file, the lock marker).

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Makes sure `directory` is a directory (creating it and its parents when missing).
pub fn prepare(directory: &Path) -> Result<(), String> {
    if directory.exists() && !directory.is_dir() {
        return Err(format!(
            "--journal {}: with several files --journal names a directory (one journal per file), and this is a file",
            directory.display()
        ));
    }
    std::fs::create_dir_all(directory)
        .map_err(|error| format!("--journal {}: {error}", directory.display()))
}

/// The journal of `file` in `directory`: `{name}-{hash}.journal`, the name (made safe, and
/// short) for people, the first 16 hex digits of the SHA-256 of the file's absolute path to
/// tell files of the same name apart. The same file gives the same name from any working
/// directory.
pub fn journal_for(directory: &Path, file: &Path) -> PathBuf {
    let absolute = std::fs::canonicalize(file)
        .or_else(|_| std::path::absolute(file))
        .unwrap_or_else(|_| file.to_owned());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let hash: String = digest[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let name: String = crate::upload_files::file_name(file)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    directory.join(format!("{name}-{hash}.journal"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_gets_its_own_stable_journal_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("same name.pdf"), b"1").unwrap();
        std::fs::write(b.join("same name.pdf"), b"2").unwrap();
        let journals = dir.path().join("journals");
        let first = journal_for(&journals, &a.join("same name.pdf"));
        let second = journal_for(&journals, &b.join("same name.pdf"));
        assert_ne!(first, second, "same name, other file");
        assert_eq!(first, journal_for(&journals, &a.join("../a/same name.pdf")));
        let name = first.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("same_name.pdf-") && name.ends_with(".journal"),
            "{name}"
        );
        prepare(&journals).unwrap();
        assert!(journals.is_dir());
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        assert!(prepare(&file).unwrap_err().contains("names a directory"));
    }
}
