//! Whole uploads through the uploader to the in-process emulator over loopback, both
//! transports side by side in one run.
//!
//! `cargo bench -p graph-upload-benches --bench fragment_throughput` runs a small default set
//! (print: 10 MiB fragments with 4 in parallel, and 1 MiB, sent as 960 KiB, with 4 in parallel;
//! To Do: 4 MiB, sent as 3840 KiB, in order) in a few minutes. `GRAPH_UPLOAD_FULL_BENCH=1` sweeps print fragment
//! sizes 320 KiB, 1 MiB, 4 MiB, 10 MiB × parallel 1, 2, 4, 8.
//!
//! The emulator fsyncs every fragment before acknowledging it, as it must; the figures include
//! that cost. Each iteration is a complete upload: job, session, every PUT, confirmation. Each
//! case gets a fresh emulator and data directory (removed after it), the transports' order
//! alternates from case to case, cases are labelled with the fragment size actually sent (after
//! rounding down to the 320 KiB quantum: `1024 KiB` runs as 960 KiB), and after each case the
//! last upload is read back through `$value` and compared with the file.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use graph_upload::ranges::{FragmentSize, GRAPH_QUANTUM};
use graph_upload::transport::{Request, Transport, header};
use graph_upload::{EndpointProfile, UploadSource, Uploader};
use graph_upload_server::{ServerConfig, fixtures};
use std::io::Write;
use std::sync::Arc;
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
        for fragment in [320 * 1024, MIB, 4 * MIB, 10 * MIB] {
            for parallel in [1, 2, 4, 8] {
                cases.push((fragment, parallel));
            }
        }
        cases
    } else {
        vec![(10 * MIB, 4), (MIB, 4)]
    }
}

/// A fresh emulator on an empty data directory, for one case: nothing piles up across cases.
struct Emulator {
    server: graph_upload_server::RunningServer,
    _data: tempfile::TempDir,
}

impl Emulator {
    /// An uploader for this emulator over `transport`.
    fn uploader(&self, transport: Arc<dyn Transport>) -> Uploader {
        Uploader::builder(self.base())
            .token("bench")
            .transport(transport)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn start(runtime: &tokio::runtime::Runtime) -> Self {
        let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let server = runtime
            .block_on(graph_upload_server::spawn(
                ServerConfig::new(data.path(), "bench"),
                "127.0.0.1:0",
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        Emulator {
            server,
            _data: data,
        }
    }

    fn base(&self) -> String {
        format!("{}/v1.0", self.server.base_url())
    }

    fn stop(self, runtime: &tokio::runtime::Runtime) {
        runtime
            .block_on(self.server.shutdown())
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Outside the timed part: the last upload's bytes, read back through `$value`, are the file.
fn verify(runtime: &tokio::runtime::Runtime, value_url: &str, file: &std::path::Path) {
    let expected = std::fs::read(file).unwrap_or_else(|e| panic!("{e}"));
    let (_, transport) = graph_upload_benches::both_transports().remove(0);
    let request = Request::get(value_url)
        .and_then(|r| r.header_str(header::AUTHORIZATION, "Bearer bench"))
        .unwrap_or_else(|e| panic!("{e}"))
        .max_response_bytes(expected.len() + 1);
    let response = runtime
        .block_on(transport.send(request))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status().as_u16(), 200, "GET {value_url}");
    assert!(
        response.body()[..] == expected[..],
        "the bytes through $value differ from the file"
    );
}

/// Both transports, the order alternating from case to case so that neither always runs
/// first on a machine that drifts.
fn transports_in_turn(
    case: usize,
) -> Vec<(
    &'static str,
    std::sync::Arc<dyn graph_upload::transport::Transport>,
)> {
    let mut both = graph_upload_benches::both_transports();
    if case % 2 == 1 {
        both.reverse();
    }
    both
}

fn uploads(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let print_path = work.path().join("print.bin");
    let todo_path = work.path().join("todo.bin");
    let print_source = test_file(work.path(), "print.bin", PRINT_SIZE);
    let todo_source = test_file(work.path(), "todo.bin", TODO_SIZE);

    let mut group = c.benchmark_group("print_upload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(PRINT_SIZE));
    let mut case = 0;
    for (fragment, parallel) in print_cases() {
        // Labelled with the fragment size actually sent: rounded down to the 320 KiB quantum.
        let planned = FragmentSize::new(GRAPH_QUANTUM, fragment)
            .unwrap_or_else(|e| panic!("{e}"))
            .get();
        for (name, transport) in transports_in_turn(case) {
            case += 1;
            let emulator = Emulator::start(&runtime);
            let uploader = emulator.uploader(transport);
            let last = std::sync::Mutex::new(None);
            let id = BenchmarkId::new(name, format!("{}KiB_x{parallel}", planned / 1024));
            group.bench_function(id, |b| {
                b.to_async(&runtime).iter(|| async {
                    let result = uploader
                        .print_to_share(fixtures::SHARE_ID)
                        .start_job(false)
                        .profile(
                            EndpointProfile::print()
                                .with_max_fragment(fragment)
                                .with_parallel(parallel),
                        )
                        .upload(&print_source)
                        .await
                        .unwrap_or_else(|e| panic!("{e}"))
                        .item;
                    *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                });
            });
            let result = last
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| panic!("no upload ran"));
            verify(
                &runtime,
                &format!(
                    "{}/print/shares/{}/jobs/{}/documents/{}/$value",
                    emulator.base(),
                    fixtures::SHARE_ID,
                    result.job_id,
                    result.document.id
                ),
                &print_path,
            );
            emulator.stop(&runtime);
        }
    }
    group.finish();

    let mut group = c.benchmark_group("todo_upload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(TODO_SIZE));
    for (name, transport) in transports_in_turn(case) {
        let emulator = Emulator::start(&runtime);
        let uploader = emulator.uploader(transport);
        let last = std::sync::Mutex::new(None);
        group.bench_function(BenchmarkId::new(name, "3840KiB_x1"), |b| {
            b.to_async(&runtime).iter(|| async {
                let location = uploader
                    .todo_attachment(fixtures::LIST_ID, fixtures::TASK_ID)
                    .upload(&todo_source)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"))
                    .item
                    .location;
                *last.lock().unwrap_or_else(|e| e.into_inner()) = Some(location);
            });
        });
        let location = last
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(|| panic!("no upload ran"));
        verify(&runtime, &format!("{location}/$value"), &todo_path);
        emulator.stop(&runtime);
    }
    group.finish();
}

criterion_group!(benches, uploads);
criterion_main!(benches);
