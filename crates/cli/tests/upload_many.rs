//! `graph-upload upload ... FILE...`: several files (or a directory, for drive) in one run,
//! against the real emulator: each lands byte for byte, stdout is one JSON line per file in
//! the order given, a failing file does not stop the others, `--max-in-flight` bounds the
//! requests of the whole run, `--journal DIR` resumes each unfinished file after a kill, and
//! one file prints exactly what it always printed.

#![cfg(unix)]
use graph_upload_server::fixtures::{LIST_ID, MESSAGE_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::child_guard::ChildGuard;
use graph_upload_testkit::serve_process::{MIB, Serve, serve_command};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");
const TOKEN: &str = "many-files-token";

/// Writes `size` bytes of a pattern that differs per `seed` and returns them.
fn pattern_file(path: &Path, size: u64, seed: u64) -> Vec<u8> {
    let bytes: Vec<u8> = (0..size)
        .map(|i| ((i * 31 + i / 4093 + seed * 7) % 251) as u8)
        .collect();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, &bytes).unwrap();
    bytes
}

fn upload_command(serve: &Serve, args: &[&str], files: &[&Path]) -> Command {
    let mut command = Command::new(BIN);
    command
        .arg("upload")
        .args(args)
        .arg("--base-url")
        .arg(&serve.base)
        .args(files)
        .env("GRAPH_UPLOAD_TOKEN", &serve.token)
        .env_remove("GRAPH_UPLOAD_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn upload(serve: &Serve, args: &[&str], files: &[&Path]) -> Output {
    upload_command(serve, args, files).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout as JSON Lines: one object per line.
fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    text(&output.stdout)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON line: {line}: {e}"))
        })
        .collect()
}

/// `GET /_emulator/stats`.
async fn stats(serve: &Serve) -> serde_json::Value {
    let (status, body) = serve.get("/_emulator/stats").await;
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

/// Requests of `route` the emulator answered, any status.
fn requests(stats: &serde_json::Value, route: &str) -> u64 {
    stats["requests"][route].as_object().map_or(0, |by_status| {
        by_status.values().filter_map(|n| n.as_u64()).sum()
    })
}

async fn set_faults(serve: &Serve, rules: serde_json::Value) {
    let response = serve
        .api(reqwest::Method::PUT, "/_emulator/faults")
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(rules.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_files_reach_every_flow_byte_for_byte_with_one_json_line_each_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let sizes = [MIB + 7, 5, 700 * 1024, 3 * MIB + 1];
    let mut files = Vec::new();
    for (index, size) in sizes.iter().enumerate() {
        let path = dir.path().join(format!("file-{index}.bin"));
        let bytes = pattern_file(&path, *size, index as u64);
        files.push((path, bytes));
    }
    let paths: Vec<&Path> = files.iter().map(|(path, _)| path.as_path()).collect();
    let check_lines = |output: &Output, flow: &str| -> Vec<serde_json::Value> {
        assert!(output.status.success(), "{flow}: {}", text(&output.stderr));
        let lines = json_lines(output);
        let named: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
        let given: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(
            named, given,
            "{flow}: one line per file, in the order given"
        );
        lines.iter().map(|line| line["item"].clone()).collect()
    };

    let print = upload(
        &serve,
        &[
            "print",
            "--share",
            SHARE_ID,
            "--fragment-size",
            "320KiB",
            "-q",
        ],
        &paths,
    );
    for (line, (_, bytes)) in check_lines(&print, "print").iter().zip(&files) {
        let stored = serve
            .print_document_value(
                line["jobId"].as_str().unwrap(),
                line["id"].as_str().unwrap(),
            )
            .await;
        assert!(stored == *bytes, "print: {line}");
    }

    let todo = upload(
        &serve,
        &["todo", "--list", LIST_ID, "--task", TASK_ID, "-q"],
        &paths,
    );
    for (line, (_, bytes)) in check_lines(&todo, "todo").iter().zip(&files) {
        let stored = serve
            .attachment_value(line["location"].as_str().unwrap())
            .await;
        assert!(stored == *bytes, "todo: {line}");
    }

    let mail = upload(&serve, &["mail", "--message", MESSAGE_ID, "-q"], &paths);
    for (line, (_, bytes)) in check_lines(&mail, "mail").iter().zip(&files) {
        let (status, stored) = serve
            .get(&format!(
                "/v1.0/me/messages/{MESSAGE_ID}/attachments/{}/$value",
                line["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(status, 200);
        assert!(stored == *bytes, "mail: {line}");
    }

    let drive = upload(
        &serve,
        &["drive", "--path", "/Documents/batch", "-q"],
        &paths,
    );
    for (line, (path, bytes)) in check_lines(&drive, "drive").iter().zip(&files) {
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(line["name"], name);
        let (status, stored) = serve
            .get(&format!(
                "/v1.0/me/drive/root:/Documents/batch/{name}:/content"
            ))
            .await;
        assert_eq!(status, 200, "{}", text(&stored));
        assert!(stored == *bytes, "drive: {line}");
    }
    assert_eq!(text(&drive.stderr), "", "-q: nothing on stderr");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_tree_goes_to_the_drive_folder_keeping_its_paths() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let tree = dir.path().join("photos");
    let files = [
        ("a.jpg", 1000),
        ("2024/b.jpg", MIB + 3),
        ("2024/summer/c d.jpg", 10),
        ("2025/e.bin", 0),
    ];
    let mut expected = Vec::new();
    for (index, (relative, size)) in files.iter().enumerate() {
        let bytes = pattern_file(&tree.join(relative), *size, index as u64);
        expected.push((relative, bytes));
    }
    let output = upload(
        &serve,
        &["drive", "--path", "/Documents/photos"],
        &[tree.as_path()],
    );
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let lines = json_lines(&output);
    assert_eq!(lines.len(), files.len(), "{stderr}");
    assert!(
        stderr.contains("drive: 4 of 4 files, "),
        "the summary's first line: {stderr}"
    );
    // The summary names every file.
    for (relative, _) in &files {
        assert!(
            stderr.contains(relative),
            "{relative} in the summary: {stderr}"
        );
    }
    for (relative, bytes) in &expected {
        let encoded = relative.replace(' ', "%20");
        let (status, stored) = serve
            .get(&format!(
                "/v1.0/me/drive/root:/Documents/photos/{encoded}:/content"
            ))
            .await;
        assert_eq!(status, 200, "{relative}: {}", text(&stored));
        assert!(stored == *bytes, "{relative} differs");
        let line = lines
            .iter()
            .find(|line| line["file"] == tree.join(relative).display().to_string())
            .unwrap_or_else(|| panic!("no line for {relative}"));
        let parent = format!(
            "/drive/root:/Documents/photos{}",
            Path::new(relative)
                .parent()
                .map(|p| p.display().to_string())
                .filter(|p| !p.is_empty())
                .map_or_else(String::new, |p| format!("/{p}"))
        );
        assert_eq!(
            line["item"]["parentReference"]["path"],
            parent.as_str(),
            "{line}"
        );
    }
    // Running it again: the folders exist, the files are replaced.
    let again = upload(
        &serve,
        &[
            "drive",
            "--path",
            "/Documents/photos",
            "--conflict",
            "replace",
            "-q",
        ],
        &[tree.as_path()],
    );
    assert!(again.status.success(), "{}", text(&again.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_failing_in_the_middle_leaves_the_others_uploaded_and_the_exit_code_one() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let names = ["first.bin", "taken.bin", "last.bin"];
    let paths: Vec<PathBuf> = names.iter().map(|name| dir.path().join(name)).collect();
    let contents: Vec<Vec<u8>> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| pattern_file(path, 400 * 1024 + index as u64, index as u64))
        .collect();
    // `taken.bin` exists in the folder already: with --conflict fail its commit is refused.
    let taken = upload(
        &serve,
        &["drive", "--path", "/Documents/taken.bin", "-q"],
        &[&paths[1]],
    );
    assert!(taken.status.success(), "{}", text(&taken.stderr));
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let output = upload(
        &serve,
        &["drive", "--path", "/Documents", "--max-in-flight", "1"],
        &refs,
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines = json_lines(&output);
    let named: Vec<&str> = lines.iter().map(|l| l["file"].as_str().unwrap()).collect();
    assert_eq!(
        named,
        [
            paths[0].display().to_string(),
            paths[2].display().to_string()
        ],
        "the others are uploaded and printed"
    );
    let failure = stderr
        .lines()
        .find(|line| line.starts_with(&format!("graph-upload: {}: ", paths[1].display())))
        .unwrap_or_else(|| panic!("no line for the failed file: {stderr}"));
    assert!(failure.contains("nameAlreadyExists"), "{failure}");
    assert!(
        stderr
            .trim_end()
            .ends_with("graph-upload: 1 of 3 files failed"),
        "{stderr}"
    );
    for index in [0, 2] {
        let (status, stored) = serve
            .get(&format!(
                "/v1.0/me/drive/root:/Documents/{}:/content",
                names[index]
            ))
            .await;
        assert_eq!(status, 200);
        assert!(stored == contents[index]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_file_among_several_is_named_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let small = dir.path().join("small.txt");
    std::fs::write(&small, b"small").unwrap();
    let big = dir.path().join("big.bin");
    // Sparse: 26 MiB, over To Do's 25 MiB, without writing them.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(26 * MIB)
        .unwrap();
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    let missing = dir.path().join("missing.txt");
    let todo = ["todo", "--list", LIST_ID, "--task", TASK_ID];
    let cases: [(&[&Path], &str, &str); 4] = [
        (&[&small, &big], "todo", "big.bin: "),
        (&[&small, &missing], "todo", "cannot read "),
        (&[&small, &folder], "todo", "is a directory"),
        (&[&small, &folder], "mail", "is a directory"),
    ];
    for (files, flow, expected) in cases {
        let output = match flow {
            "todo" => upload(&serve, &todo, files),
            _ => upload(&serve, &["mail", "--message", MESSAGE_ID], files),
        };
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(output.stdout.is_empty());
    }
    let stats = stats(&serve).await;
    assert_eq!(requests(&stats, "create"), 0, "nothing was sent: {stats}");
    assert_eq!(requests(&stats, "put"), 0, "nothing was sent: {stats}");
}

/// The most fragments the emulator was receiving at once while `child` ran (the
/// `inFlightRanges` of every open session, summed).
async fn peak_fragments(serve: &Serve, mut child: ChildGuard) -> (usize, Output) {
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = serve.get("/_emulator/sessions").await;
        let sessions: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let receiving: usize = sessions["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|session| session["inFlightRanges"].as_array().map_or(0, Vec::len))
            .sum();
        peak = peak.max(receiving);
        if child.try_wait().unwrap().is_some() {
            return (peak, child.wait_with_output().unwrap());
        }
        assert!(Instant::now() < deadline, "the upload did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_in_flight_bounds_the_requests_of_all_files_together() {
    let dir = tempfile::tempdir().unwrap();
    // Each connection's request bytes are read at 4 MiB/s: a 320 KiB fragment takes 80 ms to
    // arrive, so the fragments in flight show in the emulator's session list.
    let mut command = serve_command(BIN, &dir.path().join("data"));
    command.args(["--token", TOKEN, "--bandwidth", "4MiB"]);
    let serve = Serve::launch(command, Some(TOKEN));
    let paths: Vec<PathBuf> = (0..6)
        .map(|index| {
            let path = dir.path().join(format!("doc-{index}.pdf"));
            pattern_file(&path, 4 * 320 * 1024, index);
            path
        })
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let print = |limit: &str| {
        let args = [
            "print",
            "--share",
            SHARE_ID,
            "--fragment-size",
            "320KiB",
            "--parallel",
            "4",
            "--max-in-flight",
            limit,
            "-q",
        ];
        ChildGuard::spawn(&mut upload_command(&serve, &args, &refs))
    };
    let (bounded, output) = peak_fragments(&serve, print("2")).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(json_lines(&output).len(), 6);
    let (wide, output) = peak_fragments(&serve, print("16")).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        (1..=2).contains(&bounded),
        "--max-in-flight 2 over 6 files of 4 parallel fragments: saw {bounded} at once"
    );
    assert!(
        wide > 2,
        "--max-in-flight 16: more fragments at once (the measure sees them), saw {wide}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_directory_resumes_every_unfinished_file_after_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let size = 6 * MIB + 5;
    let paths: Vec<PathBuf> = (0..3)
        .map(|index| dir.path().join(format!("part-{index}.bin")))
        .collect();
    let contents: Vec<Vec<u8>> = paths
        .iter()
        .enumerate()
        .map(|(index, path)| pattern_file(path, size, index as u64))
        .collect();
    let journals = dir.path().join("journals");
    std::fs::create_dir(&journals).unwrap();
    // Not ours: never touched.
    let foreign = journals.join("notes.txt");
    std::fs::write(&foreign, b"keep me").unwrap();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let args = [
        "todo",
        "--list",
        LIST_ID,
        "--task",
        TASK_ID,
        "--fragment-size",
        "320KiB",
        "--journal",
        journals.to_str().unwrap(),
        "-q",
    ];
    set_faults(
        &serve,
        serde_json::json!([{"route": "put", "every": 1, "delayMs": 40}]),
    )
    .await;
    let mut first = ChildGuard::spawn(&mut upload_command(&serve, &args, &refs));
    // Wait until every file has a journal and some bytes on the server, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let journal_count = std::fs::read_dir(&journals)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".journal"))
            .count();
        let (_, body) = serve.get("/_emulator/sessions").await;
        let sessions: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let started = sessions["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|session| session["bytesReceived"].as_u64().unwrap_or(0) > 0)
            .count();
        if journal_count == 3 && started == 3 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the three uploads never all started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill().unwrap();
    assert!(!first.wait().unwrap().success(), "finished before the kill");
    let creates_before = requests(&stats(&serve).await, "create");
    assert_eq!(creates_before, 3, "one session per file");

    set_faults(&serve, serde_json::json!([])).await;
    let second = upload(&serve, &args, &refs);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(json_lines(&second).len(), 3);
    assert_eq!(
        requests(&stats(&serve).await, "create"),
        creates_before,
        "every file continued its session: no new one"
    );
    for (path, bytes) in paths.iter().zip(&contents) {
        let name = path.file_name().unwrap().to_str().unwrap();
        let location = serve.find_attachment(name).await.expect("attached");
        assert!(serve.attachment_value(&location).await == *bytes, "{name}");
    }
    let left: Vec<String> = std::fs::read_dir(&journals)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        ["notes.txt"],
        "journals removed once done, the rest untouched"
    );
    assert_eq!(std::fs::read(&foreign).unwrap(), b"keep me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_file_prints_its_object_as_before_without_a_file_member() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("one.pdf");
    pattern_file(&file, 400 * 1024, 1);
    for args in [
        vec!["print", "--share", SHARE_ID, "-q"],
        vec!["todo", "--list", LIST_ID, "--task", TASK_ID, "-q"],
        vec!["drive", "--path", "/Documents/one.pdf", "-q"],
        vec!["mail", "--message", MESSAGE_ID, "-q"],
    ] {
        let output = upload(&serve, &args, &[&file]);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        let stdout = text(&output.stdout);
        let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            stdout,
            format!("{}\n", serde_json::to_string_pretty(&value).unwrap()),
            "{args:?}: one indented object"
        );
        assert!(
            value.get("item").is_none() && !value["file"].is_string(),
            "{args:?}: the item itself, not a line of several: {stdout}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_every_file_removes_their_sessions_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let paths: Vec<PathBuf> = (0..4)
        .map(|index| {
            let path = dir.path().join(format!("slow-{index}.bin"));
            pattern_file(&path, 4 * MIB, index);
            path
        })
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    set_faults(
        &serve,
        serde_json::json!([{"route": "put", "every": 1, "delayMs": 40}]),
    )
    .await;
    let args = [
        "todo",
        "--list",
        LIST_ID,
        "--task",
        TASK_ID,
        "--fragment-size",
        "320KiB",
        "--max-in-flight",
        "2",
        "-q",
    ];
    let child = ChildGuard::spawn(&mut upload_command(&serve, &args, &refs));
    let deadline = Instant::now() + Duration::from_secs(30);
    // Two files under way (the limit), the others waiting.
    while serve_sessions(&serve).await < 2 {
        assert!(Instant::now() < deadline, "the uploads never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing was uploaded");
    for path in &paths {
        assert!(
            stderr.contains(&format!("graph-upload: {}: ", path.display())),
            "every file is listed: {stderr}"
        );
    }
    assert!(
        stderr.contains("not started") || stderr.contains("before it started"),
        "{stderr}"
    );
    assert_eq!(
        serve_sessions(&serve).await,
        0,
        "the started files removed their sessions"
    );
}

/// Open upload sessions on the emulator.
async fn serve_sessions(serve: &Serve) -> usize {
    let (_, body) = serve.get("/_emulator/sessions").await;
    let sessions: serde_json::Value = serde_json::from_slice(&body).unwrap();
    sessions["value"].as_array().map_or(0, Vec::len)
}
