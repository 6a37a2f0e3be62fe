//! `bench-startup`: what one `graph-upload upload` process costs before its first byte, and
//! HTTP/2 against HTTP/1.1 on shaped links.
//!
//! ```sh
//! cargo build --release -p graph-upload-cli
//! cargo run --release -p graph-upload-benches --bin bench-startup -- \
//!     --cli before=/path/to/parent/graph-upload --cli after=target/release/graph-upload --runs 30
//! cargo run --release -p graph-upload-benches --bin bench-startup -- --http2 --rounds 3
//! ```
//!
//! Start-up (the default): for each `--cli NAME=PATH` (default `target/release/graph-upload`)
//! and each scheme, `--runs` times, interleaved, it spawns `graph-upload upload todo` of a
//! 1000-byte file (one `POST`, then the attachment read back) and measures from the spawn to
//! the first byte of the first request arriving, and to the process's exit (successful, else
//! the run fails). The requests reach a front on loopback that timestamps the first byte of
//! each connection (after its TLS handshake for https, with the emulator's self-signed
//! certificate, trusted through `--ca-cert`) and forwards the bytes to an in-process emulator.
//!
//! `--http2`: the uploader in-process, reqwest with HTTP/1.1 against reqwest with HTTP/2
//! (h2c), on the emulator shaped as `serve --latency 20 --bandwidth 25MiB` and
//! `serve --latency 80`: print 256 MiB (10 MiB fragments, 4 in parallel) and To Do 25 MiB
//! (4 MiB fragments, one at a time), `--rounds` times each, interleaved; median and
//! min..max MiB/s.

#![forbid(unsafe_code)]

mod front;
mod http2;

use std::path::PathBuf;
use std::time::Duration;

/// The options.
struct Options {
    clis: Vec<(String, PathBuf)>,
    runs: usize,
    http2: bool,
    rounds: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        clis: Vec::new(),
        runs: 20,
        http2: false,
        rounds: 3,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--cli" => {
                let given = value("--cli")?;
                let (name, path) = given.split_once('=').ok_or("--cli NAME=PATH".to_owned())?;
                options.clis.push((name.to_owned(), PathBuf::from(path)));
            }
            "--runs" => options.runs = value("--runs")?.parse().map_err(|e| format!("{e}"))?,
            "--rounds" => {
                options.rounds = value("--rounds")?.parse().map_err(|e| format!("{e}"))?;
            }
            "--http2" => options.http2 = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.clis.is_empty() {
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
            PathBuf::from,
        );
        options
            .clis
            .push(("graph-upload".into(), target.join("release/graph-upload")));
    }
    Ok(options)
}

/// Median and range of `values`, formatted with `unit`.
pub(crate) fn summary(values: &mut [f64], unit: &str, precision: usize) -> String {
    values.sort_by(f64::total_cmp);
    let Some((first, last)) = values.first().zip(values.last()) else {
        return "-".into();
    };
    let median = values[values.len() / 2];
    format!("{median:.precision$} {unit} ({first:.precision$}..{last:.precision$})")
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    if options.http2 {
        return http2::run(options.rounds).await;
    }
    let work = tempfile::tempdir()?;
    let file = work.path().join("notes.txt");
    std::fs::write(&file, vec![b'x'; 1000])?;
    let mut rows = Vec::new();
    for tls in [false, true] {
        let front = front::Front::start(work.path(), tls).await?;
        let mut first_byte: Vec<Vec<f64>> = vec![Vec::new(); options.clis.len()];
        let mut exit: Vec<Vec<f64>> = vec![Vec::new(); options.clis.len()];
        // One unmeasured run each: the binaries' pages in the page cache.
        for (_, cli) in &options.clis {
            front.run(cli, &file).await?;
        }
        for _ in 0..options.runs {
            for (index, (_, cli)) in options.clis.iter().enumerate() {
                let run = front.run(cli, &file).await?;
                first_byte[index].push(millis(run.first_byte));
                exit[index].push(millis(run.exit));
            }
        }
        for (index, (name, _)) in options.clis.iter().enumerate() {
            rows.push(format!(
                "| {} | {name} | {} | {} |",
                if tls { "https" } else { "http" },
                summary(&mut first_byte[index], "ms", 2),
                summary(&mut exit[index], "ms", 2),
            ));
        }
        front.stop().await;
    }
    println!(
        "`upload todo` of 1000 bytes, {} runs each, median (min..max)\n",
        options.runs
    );
    println!("| scheme | binary | spawn to first request byte | spawn to exit |");
    println!("|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}
