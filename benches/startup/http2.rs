//! `--http2`: the uploader over HTTP/1.1 and over HTTP/2 (h2c), reqwest, on shaped links.

use crate::summary;
use graph_upload::transport::{Http2, ReqwestTransport, TransportConfig};
use graph_upload::{UploadSource, Uploader};
use graph_upload_server::{ServerConfig, fixtures};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;
const TOKEN: &str = "http2-bench-token";

/// The shaped links: `serve --latency 20 --bandwidth 25MiB` and `serve --latency 80`.
const PROFILES: [(&str, u64, Option<u64>); 2] = [
    ("20 ms, 25 MiB/s per connection", 20, Some(25 * MIB)),
    ("80 ms, no cap", 80, None),
];

/// The flows: name, file size.
const FLOWS: [(&str, u64); 2] = [
    ("print 256 MiB, 4 parallel", 256 * MIB),
    ("To Do 25 MiB", 25 * MIB),
];

const VERSIONS: [(&str, Http2); 2] = [("HTTP/1.1", Http2::Off), ("HTTP/2", Http2::PriorKnowledge)];

pub async fn run(rounds: usize) -> Result<(), Box<dyn std::error::Error>> {
    // Emulator data on tmpfs when there is one: the link, not the disk, is measured.
    let shm = Path::new("/dev/shm");
    let work = if shm.is_dir() {
        tempfile::tempdir_in(shm)?
    } else {
        tempfile::tempdir()?
    };
    let mut rows = Vec::new();
    for (flow, size) in FLOWS {
        let file = work.path().join(format!("{size}.bin"));
        write_file(&file, size)?;
        for (profile, latency, bandwidth) in PROFILES {
            let mut speeds: Vec<Vec<f64>> = vec![Vec::new(); VERSIONS.len()];
            for round in 0..rounds {
                for (index, (_, http2)) in VERSIONS.iter().enumerate() {
                    let data_dir = work.path().join(format!("data-{round}-{index}"));
                    let mut config = ServerConfig::new(&data_dir, TOKEN);
                    config.latency = Duration::from_millis(latency);
                    config.bandwidth = bandwidth;
                    let server = graph_upload_server::spawn(config, "127.0.0.1:0").await?;
                    let seconds = upload(flow, &server.base_url(), &file, *http2).await?;
                    server.shutdown().await?;
                    std::fs::remove_dir_all(&data_dir)?;
                    speeds[index].push(size as f64 / MIB as f64 / seconds);
                }
            }
            let medians: Vec<f64> = speeds
                .iter()
                .map(|values| {
                    let mut sorted = values.clone();
                    sorted.sort_by(f64::total_cmp);
                    sorted[sorted.len() / 2]
                })
                .collect();
            rows.push(format!(
                "| {flow} | {profile} | {} | {} | {:.2}× |",
                summary(&mut speeds[0], "MiB/s", 1),
                summary(&mut speeds[1], "MiB/s", 1),
                medians[1] / medians[0]
            ));
        }
    }
    println!("reqwest, {rounds} rounds each, median MiB/s (min..max)\n");
    println!("| upload | link | HTTP/1.1 | HTTP/2 (h2c) | HTTP/2 ÷ HTTP/1.1 |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    Ok(())
}

/// One upload; its time in seconds.
async fn upload(
    flow: &str,
    base: &str,
    file: &Path,
    http2: Http2,
) -> Result<f64, Box<dyn std::error::Error>> {
    let source = UploadSource::from_path(file)?;
    let transport = ReqwestTransport::new(TransportConfig::default().http2(http2))?;
    let uploader = Uploader::builder(format!("{base}/v1.0"))
        .token(TOKEN)
        .transport(Arc::new(transport))
        .build()?;
    let started = Instant::now();
    if flow.starts_with("print") {
        let printed = uploader
            .print_to_share(fixtures::SHARE_ID)
            .start_job(false)
            .fragment_size(10 * MIB)
            .parallel(4)
            .upload(&source)
            .await?
            .item;
        if printed.document.size != source.len() {
            return Err(format!("print stored {} bytes", printed.document.size).into());
        }
    } else {
        uploader
            .todo_attachment(fixtures::LIST_ID, fixtures::TASK_ID)
            .fragment_size(4 * MIB)
            .upload(&source)
            .await?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// `size` bytes of a repeating pattern.
fn write_file(path: &Path, size: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let block: Vec<u8> = (0..MIB).map(|i| (i * 7 % 251) as u8).collect();
    let mut left = size;
    while left > 0 {
        let n = left.min(MIB);
        out.write_all(&block[..n as usize])?;
        left -= n;
    }
    out.flush()
}
