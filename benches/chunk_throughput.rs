//! Whole uploads through the uploader to the in-process emulator over loopback, both
//! transports side by side in one run.
//!
//! `cargo bench -p graph-upload-benches --bench chunk_throughput` runs a small default set
//! (print: 10 MiB chunks with 4 in parallel, and 1 MiB chunks with 4 in parallel; To Do:
//! 4 MiB chunks in order) in a few minutes. `GRAPH_UPLOAD_FULL_BENCH=1` sweeps print chunk
//! sizes 320 KiB, 1 MiB, 4 MiB, 10 MiB × parallel 1, 2, 4, 8.
//!
//! The emulator fsyncs every fragment before acknowledging it, as it must; the figures include
//! that cost. Each iteration is a complete upload: job, session, every PUT, confirmation.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use graph_upload::{EndpointProfile, UploadSource, Uploader};
use graph_upload_server::{ServerConfig, fixtures};
use std::io::Write;
use std::time::Duration;

const MIB: u64 = 1024 * 1024;
const PRINT_SIZE: u64 = 32 * MIB;
const TODO_SIZE: u64 = 20 * MIB;

fn test_file(dir: &std::path::Path, name: &str, size: u64) -> UploadSource {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
    let block: Vec<u8> = (0..MIB).map(|i| (i * 7 % 251) as u8).collect();
    for _ in 0..size / MIB {
        file.write_all(&block).unwrap_or_else(|e| panic!("{e}"));
    }
    file.write_all(&block[..(size % MIB) as usize])
        .unwrap_or_else(|e| panic!("{e}"));
    UploadSource::from_path(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn print_cases() -> Vec<(u64, usize)> {
    if std::env::var_os("GRAPH_UPLOAD_FULL_BENCH").is_some() {
        let mut cases = Vec::new();
        for chunk in [320 * 1024, MIB, 4 * MIB, 10 * MIB] {
            for parallel in [1, 2, 4, 8] {
                cases.push((chunk, parallel));
            }
        }
        cases
    } else {
        vec![(10 * MIB, 4), (MIB, 4)]
    }
}

fn uploads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = runtime
        .block_on(graph_upload_server::spawn(
            ServerConfig::new(work.path().join("data"), "bench"),
            "127.0.0.1:0",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("{}/v1.0", server.base_url());
    let print_source = test_file(work.path(), "print.bin", PRINT_SIZE);
    let todo_source = test_file(work.path(), "todo.bin", TODO_SIZE);

    let mut group = c.benchmark_group("print_upload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(PRINT_SIZE));
    for (chunk, parallel) in print_cases() {
        for (name, transport) in graph_upload_benches::both_transports() {
            let uploader = Uploader::new(&base, "bench", transport);
            let id = BenchmarkId::new(name, format!("{}KiB_x{parallel}", chunk / 1024));
            group.bench_function(id, |b| {
                b.to_async(&runtime).iter(|| async {
                    uploader
                        .print_to_share(fixtures::SHARE_ID)
                        .start_job(false)
                        .profile(
                            EndpointProfile::print()
                                .with_max_chunk(chunk)
                                .with_parallel(parallel),
                        )
                        .upload(&print_source)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"))
                });
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("todo_upload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(TODO_SIZE));
    for (name, transport) in graph_upload_benches::both_transports() {
        let uploader = Uploader::new(&base, "bench", transport);
        group.bench_function(BenchmarkId::new(name, "4096KiB_x1"), |b| {
            b.to_async(&runtime).iter(|| async {
                uploader
                    .todo_attachment(fixtures::LIST_ID, fixtures::TASK_ID)
                    .upload(&todo_source)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
            });
        });
    }
    group.finish();
    runtime
        .block_on(server.shutdown())
        .unwrap_or_else(|e| panic!("{e}"));
}

criterion_group!(benches, uploads);
criterion_main!(benches);
