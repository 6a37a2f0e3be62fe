//! The command line as people meet it: help texts with examples, the output shapes of
//! `upload print` and `upload todo`, the content type guessed from the extension, completions,
//! and the one-line errors of `serve` for a bare port, a zero size, a data directory that is a
//! file or is in use.

use graph_upload_server::fixtures::{LIST_ID, SHARE_ID, TASK_ID};
use graph_upload_testkit::serve_process::{self, Serve};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_graph-upload");
const TOKEN: &str = "surface-token-0123456789";

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run graph-upload")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn every_subcommand_help_ends_with_examples_and_shows_its_flow_defaults() {
    for args in [
        vec!["serve", "--help"],
        vec!["upload", "--help"],
        vec!["upload", "print", "--help"],
        vec!["upload", "todo", "--help"],
        vec!["upload", "drive", "--help"],
        vec!["upload", "mail", "--help"],
        vec!["demo", "--help"],
        vec!["completions", "--help"],
    ] {
        let output = run(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let help = stdout(&output);
        let examples = help
            .rfind("Examples:")
            .unwrap_or_else(|| panic!("{args:?} has no examples:\n{help}"));
        assert!(
            help[examples..].contains("graph-upload "),
            "{args:?}: the examples run graph-upload:\n{help}"
        );
    }
    let print = stdout(&run(&["upload", "print", "--help"]));
    assert!(print.contains("[default: auto]"), "{print}");
    assert!(print.contains("up to print's 10 MiB"), "{print}");
    assert!(print.contains("up to print's 4"), "{print}");
    assert!(
        print.contains("guessed from the file's extension"),
        "{print}"
    );
    assert!(
        print.contains("\"jobId\""),
        "the output shape is documented:\n{print}"
    );
    let todo = stdout(&run(&["upload", "todo", "--help"]));
    assert!(todo.contains("[default: auto]"), "{todo}");
    assert!(todo.contains("up to To Do's 4 MiB"), "{todo}");
    assert!(todo.contains("\"location\""), "{todo}");
    assert!(todo.contains("--force-session"), "{todo}");
    let drive = stdout(&run(&["upload", "drive", "--help"]));
    for expected in [
        "--path",
        "--site",
        "--group",
        "replace",
        "rename",
        "--defer-commit",
    ] {
        assert!(drive.contains(expected), "{expected}: {drive}");
    }
    assert!(drive.contains("\"parentReference\""), "{drive}");
    let mail = stdout(&run(&["upload", "mail", "--help"]));
    for expected in ["--message", "--event", "--inline", "--user"] {
        assert!(mail.contains(expected), "{expected}: {mail}");
    }
}

#[test]
fn print_needs_exactly_one_of_share_and_printer() {
    let missing = run(&[
        "upload",
        "print",
        "--base-url",
        "http://127.0.0.1:9",
        "--token",
        "t",
        "f.pdf",
    ]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("<--printer <PRINTER>|--share <SHARE>>"),
        "{}",
        stderr(&missing)
    );
    let both = run(&[
        "upload",
        "print",
        "--base-url",
        "http://127.0.0.1:9",
        "--token",
        "t",
        "--share",
        "s",
        "--printer",
        "p",
        "f.pdf",
    ]);
    assert!(!both.status.success());
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
}

#[test]
fn completions_are_printed_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef graph-upload"),
        ("fish", "complete -c graph-upload"),
    ] {
        let output = run(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        assert!(script.contains(marker), "{shell}:\n{script}");
        assert!(
            script.contains("upload"),
            "{shell} completes the subcommands"
        );
    }
}

#[test]
fn serve_explains_a_bare_port_a_zero_size_and_a_data_directory_that_is_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let bare = run(&[
        "serve",
        "--listen",
        "8080",
        "--data-dir",
        data,
        "--token",
        "t",
    ]);
    assert!(!bare.status.success());
    assert!(
        stderr(&bare)
            .contains("--listen 8080 is not HOST:PORT; did you mean --listen 127.0.0.1:8080?"),
        "{}",
        stderr(&bare)
    );
    let zero = run(&["serve", "--todo-max-size", "0", "--data-dir", data]);
    assert!(!zero.status.success());
    assert!(
        stderr(&zero).contains("give at least 1 byte"),
        "{}",
        stderr(&zero)
    );
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"mine").expect("write");
    let output = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        file.to_str().expect("utf-8 path"),
        "--token",
        "t",
    ]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is a file, not a directory"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read(&file).expect("read"),
        b"mine",
        "left untouched"
    );
}

#[test]
fn serve_size_flags_take_units_and_a_data_directory_in_use_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut command = serve_process::serve_command(BIN, &data);
    command.args(["--token", TOKEN, "--todo-max-size", "1KiB"]);
    let serve = Serve::launch(command, Some(TOKEN));
    let second = run(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8 path"),
        "--token",
        TOKEN,
    ]);
    assert!(!second.status.success());
    let message = stderr(&second);
    assert!(
        message.contains("in use by another process") && message.contains("another data directory"),
        "{message}"
    );
    // The first one still serves, with its 1 KiB To Do limit.
    let file = dir.path().join("two-kib.txt");
    std::fs::write(&file, vec![b'x'; 2048]).expect("write");
    let output = upload(
        &serve,
        &[
            "todo",
            "--list",
            LIST_ID,
            "--task",
            TASK_ID,
            "--force-session",
        ],
        &file,
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("over To Do's limit of 1024 bytes"),
        "--todo-max-size 1KiB is 1024 bytes: {message}"
    );
}

fn upload(serve: &Serve, args: &[&str], file: &std::path::Path) -> Output {
    Command::new(BIN)
        .arg("upload")
        .args(args)
        .args(["--base-url", &serve.base, "--token", TOKEN, "--quiet"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run graph-upload upload")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_carry_the_job_id_and_the_attachment_and_content_types_are_guessed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);

    let pdf = dir.path().join("report.pdf");
    std::fs::write(&pdf, vec![7u8; 1000]).expect("write");
    let output = upload(&serve, &["print", "--share", SHARE_ID], &pdf);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(printed["size"], 1000, "{printed:#}");
    assert_eq!(
        printed["contentType"], "application/pdf",
        "guessed from .pdf"
    );
    assert_eq!(printed["jobStarted"], true, "{printed:#}");
    let job_id = printed["jobId"].as_str().expect("jobId");
    let (status, body) = serve
        .get(&format!("/v1.0/print/shares/{SHARE_ID}/jobs/{job_id}"))
        .await;
    assert_eq!(status, 200, "the printed job id names the job");
    let job: serde_json::Value = serde_json::from_slice(&body).expect("job JSON");
    assert_eq!(job["documents"][0]["id"], printed["id"], "{job:#}");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"hello").expect("write");
    let output = upload(
        &serve,
        &["todo", "--list", LIST_ID, "--task", TASK_ID],
        &text,
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let attachment: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(attachment["name"], "notes.txt", "{attachment:#}");
    assert_eq!(attachment["size"], 5, "{attachment:#}");
    assert_eq!(attachment["contentType"], "text/plain", "guessed from .txt");
    let location = attachment["location"].as_str().expect("location");
    // The location names the attachment; its Graph-shaped id (`=`) is percent-encoded in it.
    let id = attachment["id"].as_str().expect("id");
    assert!(id.ends_with('='), "{attachment:#}");
    assert!(
        location.ends_with(&graph_upload::encode_path_segment(id)),
        "{attachment:#}"
    );
    assert!(
        attachment.get("contentBytes").is_none(),
        "the bytes are not printed: {attachment:#}"
    );

    // A type the printer does not take is refused before the job exists.
    let image = dir.path().join("photo.tiff");
    std::fs::write(&image, vec![1u8; 100]).expect("write");
    let output = upload(&serve, &["print", "--share", SHARE_ID], &image);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("does not accept \"image/tiff\""),
        "{}",
        stderr(&output)
    );
    drop(serve);
}

#[test]
fn demo_prints_its_results_and_json_on_stdout_and_nothing_on_stderr_when_quiet() {
    let output = run(&[
        "demo",
        "--size",
        "3MiB",
        "--todo-size",
        "1MiB",
        "--drive-size",
        "2MiB",
        "--fragment-size",
        "640KiB",
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("bytes verified through $value"), "{out}");
    assert!(
        out.contains("\"jobId\"") && out.contains("\"location\""),
        "{out}"
    );
    assert!(
        out.contains("onedrive file") && out.contains("\"report.bin\""),
        "{out}"
    );
    assert!(out.trim_end().ends_with("demo passed"), "{out}");
    assert_eq!(stderr(&output), "", "--quiet keeps stderr empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drive_and_mail_uploads_print_their_items() {
    use graph_upload_server::fixtures::MESSAGE_ID;
    let dir = tempfile::tempdir().expect("temp dir");
    let serve = Serve::start(BIN, &dir.path().join("data"), TOKEN);
    let file = dir.path().join("plan.txt");
    std::fs::write(&file, b"the plan").expect("write");

    let drive = [
        "drive",
        "--path",
        "/Documents/plan.txt",
        "--conflict",
        "rename",
    ];
    let first = upload(&serve, &drive, &file);
    assert!(first.status.success(), "{}", stderr(&first));
    let item: serde_json::Value = serde_json::from_slice(&first.stdout).expect("JSON");
    assert_eq!(
        (item["name"].as_str(), item["size"].as_u64()),
        (Some("plan.txt"), Some(8))
    );
    let second = upload(&serve, &drive, &file);
    assert!(second.status.success(), "{}", stderr(&second));
    let renamed: serde_json::Value = serde_json::from_slice(&second.stdout).expect("JSON");
    assert_eq!(renamed["name"], "plan 1.txt", "{renamed:#}");
    let refused = upload(&serve, &["drive", "--path", "/Documents/plan.txt"], &file);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("nameAlreadyExists"),
        "{}",
        stderr(&refused)
    );

    let mail = upload(&serve, &["mail", "--message", MESSAGE_ID], &file);
    assert!(mail.status.success(), "{}", stderr(&mail));
    let attachment: serde_json::Value = serde_json::from_slice(&mail.stdout).expect("JSON");
    assert_eq!(attachment["size"], 8, "{attachment:#}");
    let id = attachment["id"].as_str().expect("id");
    let (status, body) = serve
        .get(&format!(
            "/v1.0/me/messages/{MESSAGE_ID}/attachments/{id}/$value"
        ))
        .await;
    assert_eq!((status, body.as_slice()), (200, b"the plan".as_slice()));
}

#[test]
fn demo_over_https_trusts_its_own_certificate_for_uploads_and_checks() {
    let output = run(&[
        "demo",
        "--tls",
        "--size",
        "1MiB",
        "--todo-size",
        "1MiB",
        "--drive-size",
        "1MiB",
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("emulator listening on https://"), "{out}");
    assert_eq!(out.matches("bytes verified").count(), 3, "{out}");
}
