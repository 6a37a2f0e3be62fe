use super::*;

fn entry(file: &Path) -> JournalEntry {
    JournalEntry {
        fingerprint: Fingerprint::of(file).unwrap(),
        destination: "print/shares/x".into(),
        upload_url: "http://127.0.0.1/upload/1?tempauthtoken=SECRET".into(),
        ids: vec!["job".into(), "doc".into()],
        created_job: true,
    }
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.bin");
    std::fs::write(&file, b"hello").unwrap();
    (dir, file)
}

#[test]
fn fingerprint_changes_with_content_and_size() {
    let (dir, file) = setup();
    std::fs::write(&file, vec![1u8; 200_000]).unwrap();
    let first = Fingerprint::of(&file).unwrap();
    assert_eq!(first, Fingerprint::of(&file).unwrap());
    let mut changed = vec![1u8; 200_000];
    changed[199_999] = 2;
    std::fs::write(&file, &changed).unwrap();
    assert_ne!(first.edges_hash, Fingerprint::of(&file).unwrap().edges_hash);
    std::fs::write(&file, [1u8; 10]).unwrap();
    assert_eq!(Fingerprint::of(&file).unwrap().size, 10);
    drop(dir);
}

#[test]
fn saved_entries_load_back_with_the_marker_and_a_second_holder_is_refused() {
    let (dir, file) = setup();
    let path = dir.path().join("upload.journal");
    let journal = Journal::open(&path, &file).unwrap();
    assert_eq!(journal.load().unwrap(), Saved::Nothing);
    journal.save(&entry(&file)).unwrap();
    assert_eq!(journal.load().unwrap(), Saved::Entry(entry(&file)));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(r#""format": "graph-upload-journal""#),
        "{text}"
    );
    assert!(
        text.contains("tempauthtoken=SECRET"),
        "the file keeps the whole URL"
    );
    assert!(!format!("{:?}", entry(&file)).contains("SECRET"));
    assert!(matches!(
        Journal::open(&path, &file),
        Err(JournalError::InUse(_))
    ));
    journal.clear().unwrap();
    drop(journal);
    assert!(
        !lock_path(&path).exists(),
        "the lock file goes with the journal"
    );
    // Only the journal and its lock were ever written in the directory.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["f.bin"]);
    assert!(Journal::open(&path, &file).is_ok());
}

#[test]
fn a_file_that_is_not_a_journal_is_refused_and_left_untouched() {
    let (dir, file) = setup();
    for content in [
        &b"precious user data"[..],
        b"",
        b"{\"format\": \"other\"}",
        b"[1,2]",
    ] {
        let path = dir.path().join("precious.bin");
        std::fs::write(&path, content).unwrap();
        let error = Journal::open(&path, &file).unwrap_err();
        assert!(matches!(error, JournalError::NotAJournal(_)), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), content);
        assert!(
            !lock_path(&path).exists(),
            "no lock file beside a file not ours"
        );
    }
    let error = Journal::open(dir.path(), &file).unwrap_err();
    assert!(matches!(error, JournalError::NotAJournal(_)), "{error}");
}

#[test]
fn a_lock_file_that_is_not_ours_is_refused_and_left_untouched() {
    let (dir, file) = setup();
    let path = dir.path().join("j.journal");
    for content in [&b"someone's notes"[..], b""] {
        std::fs::write(lock_path(&path), content).unwrap();
        let error = Journal::open(&path, &file).unwrap_err();
        assert!(matches!(error, JournalError::NotAJournal(_)), "{error}");
        assert_eq!(std::fs::read(lock_path(&path)).unwrap(), content);
    }
}

#[test]
fn the_file_being_uploaded_is_refused_however_spelled() {
    let (dir, file) = setup();
    let spelled = dir.path().join(".").join("f.bin");
    let error = Journal::open(&spelled, &file).unwrap_err();
    assert!(matches!(error, JournalError::SameAsSource(_)), "{error}");
    #[cfg(unix)]
    {
        let link = dir.path().join("link.bin");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let error = Journal::open(&link, &file).unwrap_err();
        assert!(matches!(error, JournalError::SameAsSource(_)), "{error}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"hello");
}

#[test]
fn a_missing_directory_is_named() {
    let (dir, file) = setup();
    let error = Journal::open(dir.path().join("nope/j.journal"), &file).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "journal directory {} does not exist",
            dir.path().join("nope").display()
        )
    );
}

#[test]
fn a_journal_of_another_version_is_ours_but_unreadable() {
    let (dir, file) = setup();
    let path = dir.path().join("old.journal");
    std::fs::write(
        &path,
        br#"{"format": "graph-upload-journal", "version": 99}"#,
    )
    .unwrap();
    let journal = Journal::open(&path, &file).unwrap();
    assert!(matches!(journal.load().unwrap(), Saved::Unreadable(_)));
}

#[cfg(unix)]
#[test]
fn a_waiter_on_a_removed_lock_file_does_not_share_the_lock() {
    // Process A holds the journal; B has opened the same lock file and waits. A finishes:
    // it removes the lock file under the lock, then releases it. B gets the lock on the
    // removed file, and C creates a new lock file. B must notice and start over, so that
    // B and C never both hold the journal.
    let (dir, file) = setup();
    let path = dir.path().join("race.journal");
    let a = Journal::open(&path, &file).unwrap();
    let waiting = OpenOptions::new()
        .read(true)
        .write(true)
        .open(lock_path(&path))
        .unwrap();
    drop(a);
    assert!(!lock_path(&path).exists());
    waiting.lock().unwrap();
    assert!(!still_named_by(&waiting, &lock_path(&path)));
    let c = Journal::open(&path, &file).unwrap();
    assert!(still_named_by(&c._lock, &lock_path(&path)));
    // B starting over now finds C's lock held.
    assert!(matches!(
        Journal::open(&path, &file),
        Err(JournalError::InUse(_))
    ));
}
