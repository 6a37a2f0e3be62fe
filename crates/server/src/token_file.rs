//! The emulator's generated bearer token, kept in its data directory so that a restart on the
//! same directory accepts the same token: journals, scripts and shells that saved it keep
//! working.
//!
//! The file is `token` in the data directory: a marker line, then the token. It is created
//! readable by its owner only (unix), written whole under a staging name first and linked into
//! place only if no `token` exists, so that it is never half-written and never replaces a
//! file. A `token` file without the marker is someone else's: it is refused and left untouched.

use crate::durable_fs::{sync_dir, write_file_atomically};
use std::io;
use std::path::Path;

/// The file's name in the data directory.
pub const TOKEN_FILE: &str = "token";

/// The first line of a token file (the format and its version).
const MARKER: &str = "graph-upload emulator token v1";

/// What every version of the marker starts with.
const MARKER_STEM: &str = "graph-upload emulator token ";

/// The token stored in `data_dir` (created if missing), or a new random one, stored there.
///
/// Errors name the file and what to do, never its content.
pub fn load_or_create_token(data_dir: &Path) -> io::Result<String> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(TOKEN_FILE);
    match read_token(&path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let token = random_token()?;
    if store_new(data_dir, &path, &token)? {
        Ok(token)
    } else {
        // Another process stored its token first: use that one.
        read_token(&path)
    }
}

/// Reads and checks a token file.
fn read_token(path: &Path) -> io::Result<String> {
    let bytes = std::fs::read(path)?;
    let text = std::str::from_utf8(&bytes).unwrap_or("");
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    if first != MARKER {
        let why = if first.starts_with(MARKER_STEM) {
            "was written by another version of graph-upload"
        } else {
            "is not a graph-upload token file (its first line is not the marker)"
        };
        return Err(refused(path, why));
    }
    let token = lines.next().unwrap_or("");
    let valid = !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic());
    if !valid || lines.any(|line| !line.is_empty()) {
        return Err(refused(path, "is damaged (no token after its marker line)"));
    }
    Ok(token.to_owned())
}

fn refused(path: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "{} {why}; it was left untouched: move it away to get a new token, or give a token explicitly",
            path.display()
        ),
    )
}

/// Writes `token` to `path` unless a file is there already; returns whether it did.
///
/// The one atomic write of the crate ([`write_file_atomically`], `atomic-write-file`) replaces
/// whatever is at its path: that crate has no create-only-if-missing, since nothing could keep
/// the name free between its open and its commit. So the token is written whole and durable
/// under a staging name of its own, then published with a hard link, which fails rather than
/// replace; the staging name is removed either way.
fn store_new(dir: &Path, path: &Path, token: &str) -> io::Result<bool> {
    let content = format!("{MARKER}\n{token}\n");
    let staging = dir.join(format!(".{TOKEN_FILE}.{}.new", uuid::Uuid::new_v4()));
    let result = write_file_atomically(&staging, content.as_bytes(), true)
        .and_then(|()| publish(&staging, path, content.as_bytes()));
    let _ = std::fs::remove_file(&staging);
    let stored = result?;
    sync_dir(dir)?;
    Ok(stored)
}

/// Links the finished `staging` file at `path` only if `path` does not exist (a rename would
/// replace). Returns whether it did.
fn publish(staging: &Path, path: &Path, content: &[u8]) -> io::Result<bool> {
    match std::fs::hard_link(staging, path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        // A file system without hard links: the atomic write itself, after checking as late
        // as possible (two servers starting on one such directory at once may both write).
        Err(_) if !path.exists() => write_file_atomically(path, content, true).map(|()| true),
        Err(_) => Ok(false),
    }
}

/// 24 random bytes in hex.
fn random_token() -> io::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|error| io::Error::other(format!("no randomness for a token: {error}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_token_is_reused_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("new").join("data");
        let first = load_or_create_token(&data).unwrap();
        assert_eq!(first.len(), 48);
        assert_eq!(load_or_create_token(&data).unwrap(), first);
        let text = std::fs::read_to_string(data.join(TOKEN_FILE)).unwrap();
        assert_eq!(text, format!("{MARKER}\n{first}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(data.join(TOKEN_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        let names: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, [TOKEN_FILE], "no temporary file is left behind");
    }

    #[test]
    fn files_that_are_not_ours_are_refused_and_left_untouched() {
        let cases: [&[u8]; 6] = [
            b"hunter2\n",
            b"",
            b"\xff\xfe binary",
            b"graph-upload emulator token v9\nabc\n",
            b"graph-upload emulator token v1\n\n",
            b"graph-upload emulator token v1\nabc def\n",
        ];
        for content in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(TOKEN_FILE);
            std::fs::write(&path, content).unwrap();
            let error = load_or_create_token(dir.path()).unwrap_err();
            let message = error.to_string();
            assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{message}");
            assert!(message.contains("left untouched"), "{message}");
            assert!(!message.contains("hunter2"), "the content is never shown");
            assert_eq!(std::fs::read(&path).unwrap(), content, "never overwritten");
        }
    }

    #[test]
    fn the_first_of_two_racing_writers_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(TOKEN_FILE);
        assert!(store_new(dir.path(), &path, "first").unwrap());
        assert!(!store_new(dir.path(), &path, "second").unwrap());
        assert_eq!(load_or_create_token(dir.path()).unwrap(), "first");
    }
}
