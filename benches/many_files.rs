//! `bench-many-files`: many files through the `graph-upload` command, by ONE process given them
//! all against one process PER FILE run one after the other (a shell loop), side by side.
//!
//! ```sh
//! cargo build --release -p graph-upload-cli -p graph-upload-benches --bin graph-upload --bin bench-many-files
//! target/release/bench-many-files                     # 1,000 x 64 KiB and 20 x 50 MiB: drive, todo, print
//! target/release/bench-many-files --small 200 --large 4 --flows drive --max-in-flight 16
//! ```
//!
//! Options: `--small N` (default 1000) files of `--small-kib K` (default 64), `--large N`
//! (default 20) files of `--large-mib M` (default 50); `--flows drive,todo,print,mail` (default
//! `drive,todo,print`; To Do takes files up to 25 MiB only, so it skips the large set);
//! `--max-in-flight N` (default: the command's, 8); `--data-dir DIR` (where the emulator keeps
//! its data; default a temporary directory); `--bin PATH` (default `graph-upload` beside this
//! binary).
//!
//! Every run gets a fresh emulator, in this process, on a free loopback port with an empty
//! data directory. One process: `graph-upload upload FLOW ... FILE...` (drive: the directory),
//! `-q`. Per file: the same command with one file, once per file, in order. The timed part is
//! the command(s) alone; afterwards every file's stored bytes are read back through the
//! service's download and compared with the file.

#![forbid(unsafe_code)]

use graph_upload::transport::{Request, ReqwestTransport, Transport, TransportConfig, header};
use graph_upload_server::{ServerConfig, fixtures};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

type Failure = Box<dyn std::error::Error + Send + Sync>;

const TOKEN: &str = "bench-many-files";
const MIB: u64 = 1024 * 1024;

/// A set of files of one size.
struct Set {
    name: &'static str,
    dir: PathBuf,
    files: Vec<PathBuf>,
    size: u64,
}

/// What one way of uploading one set through one flow took.
struct Timing {
    seconds: f64,
}

struct Options {
    small: usize,
    small_kib: u64,
    large: usize,
    large_mib: u64,
    flows: Vec<String>,
    max_in_flight: Option<String>,
    data_root: Option<PathBuf>,
    bin: PathBuf,
}

impl Options {
    fn parse() -> Result<Self, Failure> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |name: &str| -> Option<String> {
            let at = args.iter().position(|a| a == name)?;
            args.get(at + 1).cloned()
        };
        let number = |name: &str, default: u64| -> Result<u64, Failure> {
            Ok(value(name).map_or(Ok(default), |v| v.parse())?)
        };
        let beside = std::env::current_exe()?.with_file_name("graph-upload");
        Ok(Options {
            small: number("--small", 1000)? as usize,
            small_kib: number("--small-kib", 64)?,
            large: number("--large", 20)? as usize,
            large_mib: number("--large-mib", 50)?,
            flows: value("--flows")
                .unwrap_or_else(|| "drive,todo,print".into())
                .split(',')
                .filter(|flow| !flow.is_empty())
                .map(str::to_owned)
                .collect(),
            max_in_flight: value("--max-in-flight"),
            data_root: value("--data-dir").map(PathBuf::from),
            bin: value("--bin").map_or(beside, PathBuf::from),
        })
    }
}

fn main() -> Result<(), Failure> {
    let options = Options::parse()?;
    if !options.bin.is_file() {
        return Err(format!(
            "{} is missing: build it first (cargo build --release -p graph-upload-cli), or pass --bin",
            options.bin.display()
        )
        .into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let data_root = match &options.data_root {
        Some(root) => tempfile::tempdir_in(root)?,
        None => tempfile::tempdir_in(work.path())?,
    };
    let mut sets = Vec::new();
    if options.small > 0 {
        sets.push(write_set(
            work.path(),
            "small",
            options.small,
            options.small_kib * 1024,
        )?);
    }
    if options.large > 0 {
        sets.push(write_set(
            work.path(),
            "large",
            options.large,
            options.large_mib * MIB,
        )?);
    }
    println!(
        "graph-upload {} against an in-process emulator on loopback, {} cores, --max-in-flight {}",
        options.bin.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        options.max_in_flight.as_deref().unwrap_or("8 (default)")
    );
    let mut rows = Vec::new();
    let mut run_number = 0;
    for set in &sets {
        for flow in &options.flows {
            if flow == "todo" && set.size > graph_upload::models::TODO_MAX_ATTACHMENT_SIZE {
                continue;
            }
            let mut timings = Vec::new();
            for one_process in [true, false] {
                run_number += 1;
                let dir = data_root.path().join(format!("run-{run_number}"));
                let timing = measure(&options, set, flow, one_process, &dir).await?;
                eprintln!(
                    "{} x {} {flow} {}: {:.2} s",
                    set.files.len(),
                    size_text(set.size),
                    if one_process {
                        "one process"
                    } else {
                        "per file"
                    },
                    timing.seconds
                );
                timings.push(timing);
            }
            rows.push((set, flow.clone(), timings));
        }
    }
    println!();
    println!(
        "| files | flow | one process: files/s | MiB/s | s | one process per file: files/s | MiB/s | s | speed-up |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for (set, flow, timings) in rows {
        let count = set.files.len() as f64;
        let mib = count * set.size as f64 / MIB as f64;
        let (one, each) = (&timings[0], &timings[1]);
        println!(
            "| {} x {} | {flow} | {:.1} | {:.1} | {:.2} | {:.1} | {:.1} | {:.2} | {:.1}x |",
            set.files.len(),
            size_text(set.size),
            count / one.seconds,
            mib / one.seconds,
            one.seconds,
            count / each.seconds,
            mib / each.seconds,
            each.seconds,
            each.seconds / one.seconds
        );
    }
    Ok(())
}

fn size_text(size: u64) -> String {
    if size >= MIB {
        format!("{} MiB", size / MIB)
    } else {
        format!("{} KiB", size / 1024)
    }
}

/// `count` files of `size` bytes in `work/name/`, each with its own content.
fn write_set(work: &Path, name: &'static str, count: usize, size: u64) -> Result<Set, Failure> {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir)?;
    let mut files = Vec::with_capacity(count);
    for index in 0..count {
        let path = dir.join(format!("{name}-{index:05}.bin"));
        graph_upload_benches::payload::write_pattern(&path, size, index as u64 + 1)?;
        files.push(path);
    }
    Ok(Set {
        name,
        dir,
        files,
        size,
    })
}

/// The flow's arguments before the files, for `file` alone (`None`: all files at once).
fn flow_args(flow: &str, file: Option<&Path>) -> Result<Vec<String>, Failure> {
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Ok(match flow {
        "drive" => {
            let path = match file {
                Some(file) => format!(
                    "/Documents/{}",
                    file.file_name().ok_or("a file name")?.to_string_lossy()
                ),
                None => "/Documents".to_owned(),
            };
            owned(&["drive", "--path", &path])
        }
        "todo" => owned(&[
            "todo",
            "--list",
            fixtures::LIST_ID,
            "--task",
            fixtures::TASK_ID,
        ]),
        "print" => owned(&["print", "--share", fixtures::SHARE_ID]),
        "mail" => owned(&["mail", "--message", fixtures::MESSAGE_ID]),
        other => return Err(format!("unknown flow {other}").into()),
    })
}

fn command(options: &Options, base: &str, mut args: Vec<String>) -> Command {
    let mut command = Command::new(&options.bin);
    command.arg("upload");
    args.extend(["--base-url".into(), base.to_owned(), "-q".into()]);
    if let Some(limit) = &options.max_in_flight {
        args.extend(["--max-in-flight".into(), limit.clone()]);
    }
    command
        .args(args)
        .env("GRAPH_UPLOAD_TOKEN", TOKEN)
        .env_remove("GRAPH_UPLOAD_LOG");
    command
}

/// Uploads `set` through `flow`, by one process or one per file, against a fresh emulator in
/// `dir`; checks every stored file afterwards.
async fn measure(
    options: &Options,
    set: &Set,
    flow: &str,
    one_process: bool,
    dir: &Path,
) -> Result<Timing, Failure> {
    let _ = Command::new("sync").status();
    let server = graph_upload_server::spawn(ServerConfig::new(dir, TOKEN), "127.0.0.1:0").await?;
    let base = server.base_url();
    let mut commands = Vec::new();
    if one_process {
        let mut args = flow_args(flow, None)?;
        if flow == "drive" {
            args.push(set.dir.display().to_string());
        } else {
            args.extend(set.files.iter().map(|file| file.display().to_string()));
        }
        commands.push(command(options, &base, args));
    } else {
        for file in &set.files {
            let mut args = flow_args(flow, Some(file))?;
            args.push(file.display().to_string());
            commands.push(command(options, &base, args));
        }
    }
    // The commands run on the blocking pool, so that the emulator keeps every worker.
    let (seconds, outputs) = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let outputs: Vec<std::io::Result<std::process::Output>> =
            commands.iter_mut().map(Command::output).collect();
        (started.elapsed().as_secs_f64(), outputs)
    })
    .await?;
    let mut items = Vec::new();
    for output in outputs {
        let output = output?;
        if !output.status.success() {
            return Err(format!(
                "{flow} ({}) failed: {}",
                set.name,
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        if one_process {
            for line in stdout.lines() {
                let value: serde_json::Value = serde_json::from_str(line)?;
                items.push(value["item"].clone());
            }
        } else {
            items.push(serde_json::from_str(&stdout)?);
        }
    }
    if items.len() != set.files.len() {
        return Err(format!(
            "{flow}: {} items for {} files",
            items.len(),
            set.files.len()
        )
        .into());
    }
    verify(&base, flow, &set.files, &items).await?;
    server.shutdown().await?;
    std::fs::remove_dir_all(dir)?;
    Ok(Timing { seconds })
}

/// Reads every item's bytes back through the service and compares them with its file (items
/// come in the order of the files).
async fn verify(
    base: &str,
    flow: &str,
    files: &[PathBuf],
    items: &[serde_json::Value],
) -> Result<(), Failure> {
    let transport = ReqwestTransport::new(TransportConfig::default())?;
    for (file, item) in files.iter().zip(items) {
        let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
        let url = match flow {
            "drive" => format!("{base}/v1.0/me/drive/items/{}/content", text("id")),
            "todo" => format!("{}/$value", text("location")),
            "print" => format!(
                "{base}/v1.0/print/shares/{}/jobs/{}/documents/{}/$value",
                fixtures::SHARE_ID,
                text("jobId"),
                text("id")
            ),
            _ => format!(
                "{base}/v1.0/me/messages/{}/attachments/{}/$value",
                fixtures::MESSAGE_ID,
                text("id")
            ),
        };
        let request = Request::get(&url)?
            .header_str(header::AUTHORIZATION, &format!("Bearer {TOKEN}"))?
            .max_response_bytes(usize::MAX);
        let mut response = transport.send(request).await?;
        // A print document's `$value` answers `302` to a pre-authenticated download URL,
        // followed without the token.
        if response.status().as_u16() == 302 {
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or("a 302 without Location")?
                .to_owned();
            response = transport
                .send(Request::get(&location)?.max_response_bytes(usize::MAX))
                .await?;
        }
        let expected = std::fs::read(file)?;
        if !response.status().is_success() || response.body().as_ref() != expected.as_slice() {
            return Err(format!(
                "{flow}: {} was not stored as it is ({} from {url})",
                file.display(),
                response.status()
            )
            .into());
        }
    }
    Ok(())
}
