//! `bench-limits`: how close the uploader gets to what the machine allows, in one run.
//!
//! ```sh
//! cargo run --release -p graph-upload-benches --bin bench-limits            # 1 GiB
//! cargo run --release -p graph-upload-benches --bin bench-limits -- --size-mib 256 --rounds 3
//! cargo run --release -p graph-upload-benches --bin bench-limits -- --data-dir /dev/shm --rss-sweep
//! ```
//!
//! Options: `--size-mib N` (default 1024), `--rounds N` (default 7), `--data-dir DIR` (where
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
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
            rounds: value("--rounds")?.map_or(Ok(7), |v| v.parse())?.max(1),
            data_root: value("--data-dir")?.map(PathBuf::from),
            rss_sweep: args.iter().any(|a| a == "--rss-sweep"),
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

const VARIANTS: [&str; 4] = ["raw", "disk", "uploader-reqwest", "uploader-hyper"];

async fn parent(options: Options) -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let data_root = match &options.data_root {
        Some(root) => tempfile::tempdir_in(root)?,
        None => tempfile::tempdir_in(work.path())?,
    };
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

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

/// One row per variant: throughput, its ratio to `raw`, CPU per GiB on each side, and peak RSS.
///
/// Ratios are taken between medians and between best runs, not within rounds: what disturbs
/// this machine is not a slow drift but a periodic slowdown (every 2 to 3 s, the same work
/// costs 2 to 3 times the CPU) that hits whichever run is going at the time.
fn print_table(samples: &[Vec<Sample>]) {
    let best = |runs: &[Sample]| runs.iter().map(|s| s.mib_per_s).fold(f64::NAN, f64::max);
    let speeds = |runs: &[Sample]| runs.iter().map(|s| s.mib_per_s).collect::<Vec<f64>>();
    let raw = &samples[0];
    let (raw_median, raw_best) = (median(speeds(raw)), best(raw));
    println!(
        "\n| variant | MiB/s, median (min..max) | ratio to raw: of medians, of best runs | client CPU s/GiB | emulator CPU s/GiB | client peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|");
    for (variant, runs) in VARIANTS.iter().zip(samples) {
        if runs.is_empty() {
            continue;
        }
        let (lo, hi) = min_max(&speeds(runs));
        let speed = median(speeds(runs));
        let ratio = if raw.is_empty() {
            "n/a (raw not run)".to_owned()
        } else {
            format!("{:.2}, {:.2}", speed / raw_median, best(runs) / raw_best)
        };
        let client: Vec<f64> = runs.iter().map(|s| s.client_cpu).collect();
        let server: Vec<f64> = runs.iter().map(|s| s.server_cpu).collect();
        let rss = runs.iter().map(|s| s.peak_rss_kib).max().unwrap_or(0);
        println!(
            "| {variant} | {speed:.0} ({lo:.0}..{hi:.0}) | {ratio} | {:.2} | {} | {:.1} |",
            median(client),
            if *variant == "disk" {
                "n/a".to_owned()
            } else {
                format!("{:.2}", median(server))
            },
            rss as f64 / 1024.0
        );
    }
}

/// The load runs in one line each for throughput and latency; any failed PUT fails the bench.
fn print_load(results: &[LoadResult]) -> Result<(), Failure> {
    let column = |pick: fn(&LoadResult) -> f64| {
        let values: Vec<f64> = results.iter().map(pick).collect();
        let (lo, hi) = min_max(&values);
        format!("{:.0} ({lo:.0}..{hi:.0})", median(values))
    };
    let errors: u32 = results.iter().map(|r| r.errors).sum();
    println!(
        "\n| server load: 64 sessions x 16 MiB, 4 MiB PUTs, {} runs | median (min..max) |\n|---|---|",
        results.len()
    );
    println!("| total MiB/s | {} |", column(|r| r.mib_per_s));
    println!("| PUT latency p50, ms | {} |", column(|r| r.p50_ms));
    println!("| PUT latency p99, ms | {} |", column(|r| r.p99_ms));
    println!("| failed PUTs, all runs | {errors} |");
    if errors > 0 {
        return Err(format!("{errors} PUTs failed in the load runs").into());
    }
    Ok(())
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

/// Writes dirty pages back (the payload, the last run's data) so that the next run starts with
/// a quiet disk. Best effort: a missing `sync` only makes the figures noisier.
fn flush_dirty_pages() {
    let _ = Command::new("sync").status();
}

fn write_payload(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut block = vec![0u8; MIB as usize];
    for _ in 0..size / MIB {
        for word in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        out.write_all(&block)?;
    }
    out.flush()
}

/// A field of `/proc/self/status`, such as `VmHWM` (in KiB).
fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Peak resident set of this process (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    proc_status_kib("VmHWM:")
}

/// User + system CPU time of this process so far, every thread, in seconds (from
/// `/proc/self/stat`, in clock ticks of 1/100 s, the value Linux uses on every common
/// architecture).
fn cpu_seconds() -> f64 {
    const TICKS_PER_SECOND: f64 = 100.0;
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // The command name may hold spaces; the fields after it are plain numbers.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; the state (field 3) is index 0 here.
    let ticks = |at: usize| {
        fields
            .get(at)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / TICKS_PER_SECOND
}

/// Wall-clock and CPU time of the timed part of a variant (set-up excluded).
struct Timed {
    seconds: f64,
    cpu_seconds: f64,
}

/// Starts both clocks at once.
struct Stopwatch {
    wall: Instant,
    cpu: f64,
}

impl Stopwatch {
    fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    fn stop(self) -> Timed {
        Timed {
            seconds: self.wall.elapsed().as_secs_f64(),
            cpu_seconds: cpu_seconds() - self.cpu,
        }
    }
}

async fn run_variant(variant: &str, target: &str, file: &Path) -> Result<Timed, Failure> {
    let (timed, document) = match variant {
        "raw" => raw_upload(target, file).await?,
        "disk" => return disk_write(Path::new(target), file),
        "uploader-reqwest" => {
            uploader_upload(
                target,
                file,
                Arc::new(ReqwestTransport::new(TransportConfig::default())?),
            )
            .await?
        }
        "uploader-hyper" => {
            uploader_upload(
                target,
                file,
                Arc::new(HyperTransport::new(TransportConfig::default())?),
            )
            .await?
        }
        other => return Err(format!("unknown variant {other}").into()),
    };
    // Outside the timed part: what the emulator stored is the file, byte for byte.
    verify_stored(target, &document, file).await?;
    Ok(timed)
}

/// A print job and its document.
struct Document {
    job_id: String,
    document_id: String,
}

/// Streams `GET .../documents/{id}/$value` and compares it with the file block by block
/// (so that checking a 1 GiB upload does not hold it in memory).
async fn verify_stored(base: &str, document: &Document, file: &Path) -> Result<(), Failure> {
    use std::os::unix::fs::FileExt;
    let url = format!(
        "{base}/v1.0/print/shares/{}/jobs/{}/documents/{}/$value",
        fixtures::SHARE_ID,
        document.job_id,
        document.document_id
    );
    let uri: hyper::Uri = url.parse()?;
    let authority = uri.authority().ok_or("no authority")?.to_string();
    let stream = tokio::net::TcpStream::connect(&authority).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(uri.path_and_query().ok_or("no path")?.as_str())
        .header("host", authority.as_str())
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(http_body_util::Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if response.status() != hyper::StatusCode::OK {
        return Err(format!("$value answered {}", response.status()).into());
    }
    let source = std::fs::File::open(file)?;
    let size = source.metadata()?.len();
    let mut body = response.into_body();
    let mut offset = 0u64;
    let mut expected = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        expected.resize(data.len(), 0);
        source.read_exact_at(&mut expected, offset)?;
        if data[..] != expected[..] {
            return Err(format!("$value differs from the file near byte {offset}").into());
        }
        offset += data.len() as u64;
    }
    if offset != size {
        return Err(format!("$value has {offset} bytes, the file {size}").into());
    }
    Ok(())
}

/// Creates a print job and session with plain requests; returns the upload URL and the
/// document.
async fn new_session(
    transport: &HyperTransport,
    base: &str,
    size: u64,
) -> Result<(String, Document), Failure> {
    let bearer = format!("Bearer {TOKEN}");
    let jobs = format!("{base}/v1.0/print/shares/{}/jobs", fixtures::SHARE_ID);
    let job = transport
        .send(
            Request::post(&jobs)?
                .json(&serde_json::json!({}))?
                .header_str(header::AUTHORIZATION, &bearer)?,
        )
        .await?;
    let job: serde_json::Value = job.json()?;
    let job_id = job["id"].as_str().ok_or("no job id")?;
    let document_id = job["documents"][0]["id"].as_str().ok_or("no document id")?;
    let body = serde_json::json!({"properties": {"documentName": "bench.bin", "contentType": "application/pdf", "size": size}});
    let session = transport
        .send(
            Request::post(&format!(
                "{jobs}/{job_id}/documents/{document_id}/createUploadSession"
            ))?
            .json(&body)?
            .header_str(header::AUTHORIZATION, &bearer)?,
        )
        .await?;
    let session: serde_json::Value = session.json()?;
    let url = session["uploadUrl"]
        .as_str()
        .ok_or("no uploadUrl")?
        .to_owned();
    Ok((
        url,
        Document {
            job_id: job_id.to_owned(),
            document_id: document_id.to_owned(),
        },
    ))
}

/// The limit: the simplest fast client. Inside the timed part, like the uploader: create the
/// job and the session, then PUT 10 MiB fragments over `PARALLEL` raw hyper connections, each
/// fragment streamed from the file in 1 MiB frames read as hyper asks for them (`pread` into
/// buffers allocated before the clock, returned when hyper drops a frame), so reading and
/// sending overlap. No retries, no ranges, no progress: nothing but the bytes. The last answer
/// must be the `201`.
async fn raw_upload(base: &str, file: &Path) -> Result<(Timed, Document), Failure> {
    let size = std::fs::metadata(file)?.len();
    let file = Arc::new(std::fs::File::open(file)?);
    let authority = base.trim_start_matches("http://").to_owned();
    // Each connection's frames, ready before the clock: hyper holds at most a frame or two.
    let pools: Vec<Arc<Pool>> = (0..PARALLEL).map(|_| Arc::new(Pool::filled(4))).collect();
    let streams = {
        let mut streams = Vec::new();
        for _ in 0..PARALLEL {
            let stream = tokio::net::TcpStream::connect(&authority).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        streams
    };
    let api = HyperTransport::new(TransportConfig::default())?;
    let started = Stopwatch::start();
    let (url, document) = new_session(&api, base, size).await?;
    let uri: hyper::Uri = url.parse()?;
    let path = uri.path_and_query().ok_or("no path")?.to_string();
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let created = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for (stream, pool) in streams.into_iter().zip(&pools) {
        let (authority, path, file, next, pool, created) = (
            authority.clone(),
            path.clone(),
            Arc::clone(&file),
            Arc::clone(&next),
            Arc::clone(pool),
            Arc::clone(&created),
        );
        workers.spawn(async move {
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            loop {
                let start = next.fetch_add(FRAGMENT, std::sync::atomic::Ordering::SeqCst);
                if start >= size {
                    return Ok::<(), Failure>(());
                }
                let end = (start + FRAGMENT).min(size);
                let body = FileFrames::new(Arc::clone(&file), start, end, Arc::clone(&pool));
                let request = hyper::Request::put(path.as_str())
                    .header("host", authority.as_str())
                    .header("content-range", format!("bytes {start}-{}/{size}", end - 1))
                    .header("content-length", end - start)
                    .body(body)?;
                let response = sender.send_request(request).await?;
                let status = response.status();
                response.into_body().collect().await?;
                match status.as_u16() {
                    201 => {
                        created.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    200 | 202 => {}
                    _ => return Err(format!("raw PUT answered {status}").into()),
                }
            }
        });
    }
    while let Some(result) = workers.join_next().await {
        result??;
    }
    let timed = started.stop();
    if created.load(std::sync::atomic::Ordering::SeqCst) != 1 {
        return Err("no PUT of the raw loop answered 201".into());
    }
    let fresh: u64 = pools.iter().map(|p| p.fresh()).sum();
    if fresh > 0 {
        eprintln!("raw: {fresh} frame buffers had to be allocated inside the timed part");
    }
    Ok((timed, document))
}

/// Frame buffers of one connection, allocated before the clock starts.
struct Pool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    fresh: std::sync::atomic::AtomicU64,
}

impl Pool {
    fn filled(count: usize) -> Self {
        Pool {
            free: std::sync::Mutex::new((0..count).map(|_| vec![0u8; FRAME]).collect()),
            fresh: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        reused.unwrap_or_else(|| {
            self.fresh
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            vec![0u8; FRAME]
        })
    }

    fn give_back(&self, buffer: Vec<u8>) {
        if let Ok(mut free) = self.free.lock() {
            free.push(buffer);
        }
    }

    /// Buffers allocated because every pooled one was still held by hyper.
    fn fresh(&self) -> u64 {
        self.fresh.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A frame's bytes: a pooled buffer, handed back to its pool when hyper drops the frame.
struct Pooled {
    buffer: Vec<u8>,
    len: usize,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buffer));
    }
}

/// A fragment of the file as a body, in 1 MiB frames read with `pread` on the blocking pool, one
/// block ahead: while hyper sends a frame, the next one is being read, so reading and sending
/// overlap.
struct FileFrames {
    file: Arc<std::fs::File>,
    offset: u64,
    end: u64,
    pool: Arc<Pool>,
    ahead: Option<tokio::task::JoinHandle<std::io::Result<Pooled>>>,
    /// Bytes not yet handed to hyper.
    remaining: u64,
}

impl FileFrames {
    fn new(file: Arc<std::fs::File>, start: u64, end: u64, pool: Arc<Pool>) -> Self {
        let mut frames = FileFrames {
            file,
            offset: start,
            end,
            pool,
            ahead: None,
            remaining: end - start,
        };
        frames.read_ahead();
        frames
    }

    /// Starts reading the next block, if any.
    fn read_ahead(&mut self) {
        if self.offset >= self.end {
            return;
        }
        let len = (self.end - self.offset).min(FRAME as u64) as usize;
        let (file, offset, pool) = (Arc::clone(&self.file), self.offset, Arc::clone(&self.pool));
        self.offset += len as u64;
        self.ahead = Some(tokio::task::spawn_blocking(move || {
            use std::os::unix::fs::FileExt;
            let mut buffer = pool.take();
            file.read_exact_at(&mut buffer[..len], offset)?;
            Ok(Pooled { buffer, len, pool })
        }));
    }
}

/// Frame size of the raw loop: the transports' file read block.
const FRAME: usize = graph_upload::transport::FILE_READ_BLOCK;

impl hyper::body::Body for FileFrames {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        use std::future::Future;
        let Some(ahead) = self.ahead.as_mut() else {
            return std::task::Poll::Ready(None);
        };
        let read = match std::pin::Pin::new(ahead).poll(cx) {
            std::task::Poll::Pending => return std::task::Poll::Pending,
            std::task::Poll::Ready(read) => read,
        };
        self.ahead = None;
        let pooled = match read {
            Ok(Ok(pooled)) => pooled,
            Ok(Err(error)) => return std::task::Poll::Ready(Some(Err(error))),
            Err(error) => return std::task::Poll::Ready(Some(Err(std::io::Error::other(error)))),
        };
        self.remaining -= pooled.len as u64;
        self.read_ahead();
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from_owner(
            pooled,
        )))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}

/// The emulator's storage alone: pwrite each fragment and fsync it, sequentially.
fn disk_write(data_dir: &Path, file: &Path) -> Result<Timed, Failure> {
    use std::os::unix::fs::FileExt;
    let source = std::fs::File::open(file)?;
    let size = source.metadata()?.len();
    let target_path = data_dir.join("disk-bench.tmp");
    let target = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&target_path)?;
    target.set_len(size)?;
    let mut buffer = vec![0u8; FRAGMENT as usize];
    let started = Stopwatch::start();
    let mut offset = 0;
    while offset < size {
        let n = (size - offset).min(FRAGMENT) as usize;
        source.read_exact_at(&mut buffer[..n], offset)?;
        target.write_all_at(&buffer[..n], offset)?;
        target.sync_data()?;
        offset += n as u64;
    }
    let timed = started.stop();
    // Outside the timed part: what was written is the file.
    let mut written = vec![0u8; FRAGMENT as usize];
    let mut offset = 0;
    while offset < size {
        let n = (size - offset).min(FRAGMENT) as usize;
        source.read_exact_at(&mut buffer[..n], offset)?;
        target.read_exact_at(&mut written[..n], offset)?;
        if buffer[..n] != written[..n] {
            return Err(format!("disk: the written bytes differ near byte {offset}").into());
        }
        offset += n as u64;
    }
    std::fs::remove_file(&target_path)?;
    Ok(timed)
}

async fn uploader_upload(
    base: &str,
    file: &Path,
    transport: Arc<dyn Transport>,
) -> Result<(Timed, Document), Failure> {
    let source = UploadSource::from_path(file)?;
    let uploader = Uploader::builder(format!("{base}/v1.0"))
        .token(TOKEN)
        .transport(transport)
        .build()?;
    let started = Stopwatch::start();
    let result = uploader
        .print_to_share(fixtures::SHARE_ID)
        .start_job(false)
        .profile(
            EndpointProfile::print()
                .with_max_fragment(FRAGMENT)
                .with_parallel(PARALLEL),
        )
        .upload(&source)
        .await?
        .item;
    let timed = started.stop();
    Ok((
        timed,
        Document {
            job_id: result.job_id,
            document_id: result.document.id,
        },
    ))
}

/// 64 concurrent sessions of 16 MiB each, 4 MiB PUTs, straight through the transport.
async fn load_run(base: &str) -> Result<LoadResult, Failure> {
    const SESSIONS: usize = 64;
    const SIZE: u64 = 16 * MIB;
    const PUT: u64 = 4 * MIB;
    let transport: Arc<dyn Transport> = Arc::new(HyperTransport::new(
        TransportConfig::default().pool_max_idle_per_host(SESSIONS),
    )?);
    let payload = Bytes::from(vec![7u8; PUT as usize]);
    let api = HyperTransport::new(TransportConfig::default())?;
    let mut urls = Vec::new();
    let mut documents = Vec::new();
    for _ in 0..SESSIONS {
        let (url, document) = new_session(&api, base, SIZE).await?;
        urls.push(url);
        documents.push(document);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls {
        let (transport, payload) = (Arc::clone(&transport), payload.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u32;
            for start in (0..SIZE).step_by(PUT as usize) {
                let request = Request::put(&url)
                    .and_then(|r| {
                        r.header_str(
                            header::CONTENT_RANGE,
                            &format!("bytes {start}-{}/{SIZE}", start + PUT - 1),
                        )
                    })
                    .map(|r| r.body(payload.clone()));
                let Ok(request) = request else {
                    errors += 1;
                    continue;
                };
                let sent = Instant::now();
                // Every fragment is accepted, and the last one completes the document.
                let expected = if start + PUT >= SIZE { 201 } else { 202 };
                match transport.send(request).await {
                    Ok(response) if response.status().as_u16() == expected => {
                        latencies.push(sent.elapsed())
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies: Vec<Duration> = Vec::new();
    let mut errors = 0;
    while let Some(result) = tasks.join_next().await {
        let (mut l, e) = result?;
        latencies.append(&mut l);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Outside the timed part: every document holds its 16 MiB.
    let expected = tempfile::NamedTempFile::new()?;
    std::fs::write(expected.path(), vec![7u8; SIZE as usize])?;
    for document in &documents {
        verify_stored(base, document, expected.path()).await?;
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    Ok(LoadResult {
        mib_per_s: (SESSIONS as u64 * SIZE) as f64 / MIB as f64 / seconds,
        p50_ms: pick(0.5).as_secs_f64() * 1000.0,
        p99_ms: pick(0.99).as_secs_f64() * 1000.0,
        errors,
    })
}

/// What one load run measured.
struct LoadResult {
    mib_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u32,
}
