//! The files of one `upload` run: the `FILE...` arguments, a directory expanded into the files
//! under it (drive only), each checked before anything is sent (exists, is a regular file,
//! opens for reading, fits the flow's limits), so that a bad one is named before any upload
//! starts.

use std::fs::File;
use std::path::{Path, PathBuf};

/// One local file to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// The path as given, or below a directory as given (`photos/2024/a.jpg`).
    pub path: PathBuf,
    /// Size in bytes, when it was checked.
    pub size: u64,
    /// Its place below where the run uploads to: the file name for a file argument, the path
    /// below the directory (with `/`) for a file found in a directory argument.
    pub relative: String,
}

/// What a directory argument means for a flow.
#[derive(Debug, Clone, Copy)]
pub enum Directories {
    /// Its files, recursively (drive: a folder tree).
    Expand,
    /// A one-line error: the flow (named) takes files only.
    Refuse(&'static str),
}

/// Expands and checks `arguments`; `limit` checks a file's size against the flow's limits
/// (its error names the limit; among several files, the file's path is put before it). Files come in argument
/// order, a directory's files sorted by path.
pub fn collect(
    arguments: &[PathBuf],
    directories: Directories,
    limit: impl Fn(u64) -> Result<(), String>,
) -> Result<Vec<LocalFile>, String> {
    let mut files = Vec::new();
    for argument in arguments {
        let metadata = std::fs::metadata(argument)
            .map_err(|error| format!("cannot read {}: {error}", argument.display()))?;
        if metadata.is_dir() {
            match directories {
                Directories::Refuse(flow) => {
                    return Err(format!(
                        "{} is a directory: upload {flow} takes files (one item per file), give the files",
                        argument.display()
                    ));
                }
                Directories::Expand => files.extend(walk(argument)?),
            }
        } else {
            files.push(LocalFile {
                path: argument.clone(),
                size: metadata.len(),
                relative: file_name(argument),
            });
        }
    }
    // One file given: its limit error reads as it always did; among several, it names the file.
    let one = arguments.len() == 1 && files.len() == 1 && files[0].path == arguments[0];
    for file in &files {
        check_readable(&file.path)?;
        limit(file.size).map_err(|error| {
            if one {
                error
            } else {
                format!("{}: {error}", file.path.display())
            }
        })?;
    }
    Ok(files)
}

/// The regular files under `directory`, following links, sorted by name at each level.
fn walk(directory: &Path) -> Result<Vec<LocalFile>, String> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(directory)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|error| {
            let at = error.path().map_or_else(
                || directory.display().to_string(),
                |p| p.display().to_string(),
            );
            format!("cannot read {at}: {error}")
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let below = entry.path().strip_prefix(directory).unwrap_or(entry.path());
        let relative: Vec<String> = below
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        let size = entry
            .metadata()
            .map_err(|error| format!("cannot read {}: {error}", entry.path().display()))?
            .len();
        files.push(LocalFile {
            path: entry.path().to_owned(),
            size,
            relative: relative.join("/"),
        });
    }
    if files.is_empty() {
        return Err(format!("{} holds no files to upload", directory.display()));
    }
    Ok(files)
}

/// Fails unless `path` is a regular file that opens for reading (the handle is closed again:
/// a run of thousands of files keeps only the files in flight open).
fn check_readable(path: &Path) -> Result<(), String> {
    let file =
        File::open(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let metadata = file
        .metadata()
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    if metadata.is_file() {
        Ok(())
    } else {
        Err(format!("{} is not a regular file", path.display()))
    }
}

/// The last component of `path` (`document` when it has none).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "document".into(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_expands_to_its_files_with_paths_below_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("photos");
        std::fs::create_dir_all(root.join("2024/summer")).unwrap();
        std::fs::create_dir_all(root.join("empty")).unwrap();
        std::fs::write(root.join("b.jpg"), b"bb").unwrap();
        std::fs::write(root.join("2024/a.jpg"), b"a").unwrap();
        std::fs::write(root.join("2024/summer/c.jpg"), b"ccc").unwrap();
        let loose = dir.path().join("loose.txt");
        std::fs::write(&loose, b"l").unwrap();
        let files = collect(&[loose.clone(), root.clone()], Directories::Expand, |_| {
            Ok(())
        })
        .unwrap();
        let found: Vec<(&str, u64)> = files
            .iter()
            .map(|file| (file.relative.as_str(), file.size))
            .collect();
        assert_eq!(
            found,
            [
                ("loose.txt", 1),
                ("2024/a.jpg", 1),
                ("2024/summer/c.jpg", 3),
                ("b.jpg", 2)
            ]
        );
        assert_eq!(files[2].path, root.join("2024/summer/c.jpg"));
        let refused = collect(&[loose, root.clone()], Directories::Refuse("todo"), |_| {
            Ok(())
        })
        .unwrap_err();
        assert!(refused.contains("is a directory"), "{refused}");
        assert!(refused.contains("photos"), "{refused}");
        let empty = collect(&[root.join("empty")], Directories::Expand, |_| Ok(())).unwrap_err();
        assert!(empty.contains("holds no files"), "{empty}");
    }

    #[test]
    fn a_missing_or_oversized_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.bin");
        let big = dir.path().join("big.bin");
        std::fs::write(&small, b"s").unwrap();
        std::fs::write(&big, vec![0u8; 10]).unwrap();
        let missing = dir.path().join("missing.bin");
        let error =
            collect(&[small.clone(), missing], Directories::Expand, |_| Ok(())).unwrap_err();
        assert!(
            error.starts_with("cannot read ") && error.contains("missing.bin"),
            "{error}"
        );
        let limit = |size: u64| {
            if size > 5 {
                Err(format!("{size} bytes is over 5"))
            } else {
                Ok(())
            }
        };
        let error = collect(&[small, big], Directories::Expand, limit).unwrap_err();
        assert!(error.contains("big.bin: 10 bytes is over 5"), "{error}");
    }
}
