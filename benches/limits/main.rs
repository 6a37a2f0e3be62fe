//! `bench-limits`: how close the uploader gets to what the machine allows, in one run.
//!
//! ```sh
//! cargo run --release -p graph-upload-benches --bin bench-limits            # 1 GiB
//! cargo run --release -p graph-upload-benches --bin bench-limits -- --size-mib 256 --rounds 3
//! cargo run --release -p graph-upload-benches --bin bench-limits -- --data-dir /dev/shm --rss-sweep
//! ```
//!
//! Options: `--flows` (instead: every flow at the largest file its service allows, print and
//! drive 1 GiB, Outlook 150 MB, To Do 25 MiB, with throughput and client peak RSS),
//! `--shaped` (instead: every flow across shaped links, 20 ms and 80 ms round trips behind
//! 25 MiB/s per connection, against the bound the endpoint's rules allow there and the raw
//! loop; 3 rounds unless `--rounds` says otherwise, emulator data in `/dev/shm` unless
//! `--data-dir` says otherwise; see `shaped.rs` for the bound),
//! `--size-mib N` (default 1024), `--rounds N` (default 7), `--data-dir DIR` (where
//! the emulator keeps its data; default a temporary directory beside the test file; a tmpfs
//! such as `/dev/shm` takes the disk out of the figures), `--rss-sweep` (also upload 64 MiB to
//! 2 GiB files and print each uploader's peak RSS), `--variants raw,uploader-hyper` (a subset),
//! `--no-load` (skip the load run, which otherwise runs once per round), `--verbose` (print
//! every run as it ends).
//!
//! Every run is checked outside its timed part: the last PUT answered `201` and the bytes
//! through `$value` equal the file (`disk`: the written file equals it).
//!
//! It writes a test file, then for every run starts a fresh emulator in-process on a free port
//! with an empty data directory, runs one variant in a child process of itself (so that each
//! one's peak RSS and CPU time are its own), and stops the emulator. Variants are interleaved
//! round after round in a rotating order. It prints one table: throughput (median, min..max),
//! ratio to `raw` (of the medians, and of the best runs), CPU seconds per GiB for the client and
//! for the emulator (medians), and client peak RSS (the highest).
//!
//! - `raw`: the limit, the simplest fast client: inside the timed part it creates the job and
//!   the session with two plain requests, then PUTs the same 10 MiB fragments over 4 raw hyper
//!   connections (opened before the clock), each fragment streamed from the file in 1 MiB frames
//!   read with `pread` as hyper asks for them, into buffers allocated before the clock and
//!   returned when hyper drops a frame. No retries, ranges or progress.
//! - `disk`: the emulator's storage alone: the same bytes written with `pwrite` and an fsync
//!   per fragment, as the emulator does.
//! - `uploader-reqwest`, `uploader-hyper`: the uploader, 10 MiB fragments, 4 in parallel.
//! - `uploader-auto`: the uploader as it comes (reqwest, adaptive fragment size and
//!   parallelism: it starts at 2.5 MiB and 2 in flight and finds 10 MiB and 4 itself).
//!
//! Then the server load run, once per round: 64 concurrent sessions of 16 MiB each (4 MiB PUTs)
//! on a fresh emulator, reporting total throughput, p50/p99 PUT latency and errors.

#![forbid(unsafe_code)]

use bytes::Bytes;
use graph_upload::transport::{
    HyperTransport, Request, ReqwestTransport, Transport, TransportConfig, header,
};
use graph_upload::{EndpointProfile, UploadSource, Uploader};
use graph_upload_server::{ServerConfig, fixtures};
use http_body_util::BodyExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod disk;
mod flows;
mod load;
mod process;
mod raw;
mod report;
mod shaped;
mod uploader_run;
mod variants;

use disk::*;
use flows::*;
use load::*;
use process::*;
use raw::*;
use report::*;
use shaped::*;
use uploader_run::*;
use variants::*;

const MIB: u64 = 1024 * 1024;
const FRAGMENT: u64 = 10 * MIB;
const PARALLEL: usize = 4;
const TOKEN: &str = "bench";

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(at) = args.iter().position(|a| a == "--child") {
        // A variant, in its own process: print "seconds cpu-seconds peak-RSS-KiB".
        let variant = args.get(at + 1).ok_or("--child needs a variant")?;
        let target = args.get(at + 2).ok_or("--child needs its target")?;
        let file = args.get(at + 3).ok_or("--child needs the file")?;
        let timed = runtime.block_on(run_variant(variant, target, Path::new(file)))?;
        println!("{} {} {}", timed.seconds, timed.cpu_seconds, peak_rss_kib());
        return Ok(());
    }
    let options = Options::parse(&args)?;
    runtime.block_on(parent(options))
}

/// The command line of the parent process.
struct Options {
    size_mib: u64,
    rounds: usize,
    data_root: Option<PathBuf>,
    rss_sweep: bool,
    /// Every flow at its largest file instead of the print comparison.
    flows: bool,
    /// Every flow across shaped links instead of the print comparison.
    shaped: bool,
    /// Indexes into [`VARIANTS`] of the variants to run (all by default).
    variants: Vec<usize>,
    load: bool,
    verbose: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, Failure> {
        let value = |name: &str| -> Result<Option<&String>, Failure> {
            match args.iter().position(|a| a == name) {
                Some(at) => Ok(Some(
                    args.get(at + 1)
                        .ok_or_else(|| format!("{name} needs a value"))?,
                )),
                None => Ok(None),
            }
        };
        Ok(Options {
            size_mib: value("--size-mib")?.map_or(Ok(1024), |v| v.parse())?,
            rounds: value("--rounds")?
                .map_or(
                    Ok(if args.iter().any(|a| a == "--shaped") {
                        3
                    } else {
                        7
                    }),
                    |v| v.parse(),
                )?
                .max(1),
            data_root: value("--data-dir")?.map(PathBuf::from),
            rss_sweep: args.iter().any(|a| a == "--rss-sweep"),
            flows: args.iter().any(|a| a == "--flows"),
            shaped: args.iter().any(|a| a == "--shaped"),
            variants: match value("--variants")? {
                None => (0..VARIANTS.len()).collect(),
                Some(list) => {
                    list.split(',')
                        .filter(|name| !name.is_empty())
                        .map(|name| {
                            VARIANTS.iter().position(|v| *v == name).ok_or_else(|| {
                                format!("unknown variant {name}; known: {VARIANTS:?}")
                            })
                        })
                        .collect::<Result<_, _>>()?
                }
            },
            load: !args.iter().any(|a| a == "--no-load"),
            verbose: args.iter().any(|a| a == "--verbose"),
        })
    }
}

/// What one run of one variant measured.
#[derive(Clone, Copy)]
struct Sample {
    mib_per_s: f64,
    /// CPU time of the client process (user + system, every thread), seconds per GiB sent.
    client_cpu: f64,
    /// CPU time the emulator spent meanwhile (the parent's CPU delta), seconds per GiB.
    server_cpu: f64,
    peak_rss_kib: u64,
}

const VARIANTS: [&str; 5] = [
    "raw",
    "disk",
    "uploader-reqwest",
    "uploader-hyper",
    "uploader-auto",
];

async fn parent(options: Options) -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let data_root = match &options.data_root {
        Some(root) => tempfile::tempdir_in(root)?,
        // Shaped links are about the network: keep the disk out where a tmpfs is at hand.
        None if options.shaped && Path::new("/dev/shm").is_dir() => {
            tempfile::tempdir_in("/dev/shm")?
        }
        None => tempfile::tempdir_in(work.path())?,
    };
    if options.flows {
        return flows_table(work.path(), data_root.path(), options.rounds).await;
    }
    if options.shaped {
        return shaped_table(
            work.path(),
            data_root.path(),
            options.rounds,
            options.verbose,
        )
        .await;
    }
    let file = work.path().join("payload.bin");
    write_payload(&file, options.size_mib * MIB)?;
    println!(
        "{} MiB, {} MiB fragments, {PARALLEL} in parallel, emulator data in {}, {} cores, {} rounds",
        options.size_mib,
        FRAGMENT / MIB,
        data_root.path().display(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        options.rounds
    );
    // Variants interleaved round after round, the order rotating, so that the machine's
    // disturbances (fsync latency of a shared disk, a periodic slowdown of the VM) spread over
    // all of them. Every run gets a fresh emulator on an empty data directory, and dirty pages
    // are flushed between runs, so that no run pays for the writes of the one before.
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); VARIANTS.len()];
    let chosen = &options.variants;
    let began = Instant::now();
    let mut run = 0;
    for round in 0..options.rounds {
        for step in 0..chosen.len() {
            let index = chosen[(round + step) % chosen.len()];
            run += 1;
            let dir = data_root.path().join(format!("run-{run}"));
            let sample = measure(VARIANTS[index], &dir, &file).await?;
            if options.verbose {
                println!(
                    "{:7.1} s  round {round} {}: {:.0} MiB/s, client CPU {:.2} s/GiB, emulator CPU {:.2} s/GiB",
                    began.elapsed().as_secs_f64(),
                    VARIANTS[index],
                    sample.mib_per_s,
                    sample.client_cpu,
                    sample.server_cpu
                );
            }
            samples[index].push(sample);
        }
    }
    if !chosen.is_empty() {
        print_table(&samples);
    }
    if options.rss_sweep {
        rss_sweep(work.path(), data_root.path()).await?;
    }
    if options.load {
        let mut results = Vec::new();
        for round in 0..options.rounds {
            let dir = data_root.path().join(format!("load-{round}"));
            flush_dirty_pages();
            let server =
                graph_upload_server::spawn(ServerConfig::new(&dir, TOKEN), "127.0.0.1:0").await?;
            let result = load_run(&server.base_url()).await?;
            server.shutdown().await?;
            std::fs::remove_dir_all(&dir)?;
            if options.verbose {
                println!(
                    "load round {round}: {:.0} MiB/s, p50 {:.1} ms, p99 {:.1} ms, {} errors",
                    result.mib_per_s, result.p50_ms, result.p99_ms, result.errors
                );
            }
            results.push(result);
        }
        print_load(&results)?;
    }
    Ok(())
}

/// One run of `variant` in a child process, against a fresh emulator whose data lives in `dir`
/// (for `disk`, the directory it writes in). The directory is removed afterwards.
async fn measure(variant: &str, dir: &Path, file: &Path) -> Result<Sample, Failure> {
    flush_dirty_pages();
    let server = if variant == "disk" {
        std::fs::create_dir_all(dir)?;
        None
    } else {
        Some(graph_upload_server::spawn(ServerConfig::new(dir, TOKEN), "127.0.0.1:0").await?)
    };
    let target = match &server {
        Some(server) => server.base_url(),
        None => dir.to_string_lossy().into_owned(),
    };
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--child", variant, &target]).arg(file);
    let server_cpu_before = cpu_seconds();
    // The child is awaited on the blocking pool so that the emulator keeps every worker.
    let output = tokio::task::spawn_blocking(move || command.output()).await??;
    let server_cpu = cpu_seconds() - server_cpu_before;
    if let Some(server) = server {
        server.shutdown().await?;
    }
    std::fs::remove_dir_all(dir)?;
    if !output.status.success() {
        return Err(format!(
            "{variant} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    // What a variant warns about (e.g. buffers allocated inside the timed part) is shown.
    let warnings = String::from_utf8_lossy(&output.stderr);
    if !warnings.trim().is_empty() {
        eprintln!("{}", warnings.trim_end());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut words = text.split_whitespace();
    let mut next = |what: &str| {
        words
            .next()
            .ok_or_else(|| format!("{variant} printed no {what}"))
    };
    let seconds: f64 = next("time")?.parse()?;
    let client_cpu: f64 = next("cpu time")?.parse()?;
    let peak_rss_kib: u64 = next("rss")?.parse()?;
    let mib = std::fs::metadata(file)?.len() as f64 / MIB as f64;
    Ok(Sample {
        mib_per_s: mib / seconds,
        client_cpu: client_cpu * 1024.0 / mib,
        server_cpu: server_cpu * 1024.0 / mib,
        peak_rss_kib,
    })
}

/// Peak client RSS of both uploaders for files from 64 MiB to 2 GiB: it must stay flat.
async fn rss_sweep(work: &Path, data_root: &Path) -> Result<(), Failure> {
    println!(
        "\n| file | uploader-reqwest peak RSS MiB (MiB/s) | uploader-hyper peak RSS MiB (MiB/s) |"
    );
    println!("|---|---|---|");
    for size_mib in [64u64, 256, 1024, 2048] {
        let file = work.join(format!("sweep-{size_mib}.bin"));
        write_payload(&file, size_mib * MIB)?;
        let mut cells = Vec::new();
        for variant in ["uploader-reqwest", "uploader-hyper"] {
            let dir = data_root.join(format!("sweep-{size_mib}-{variant}"));
            let sample = measure(variant, &dir, &file).await?;
            cells.push(format!(
                "{:.1} ({:.0})",
                sample.peak_rss_kib as f64 / 1024.0,
                sample.mib_per_s
            ));
        }
        std::fs::remove_file(&file)?;
        println!("| {size_mib} MiB | {} | {} |", cells[0], cells[1]);
    }
    Ok(())
}
