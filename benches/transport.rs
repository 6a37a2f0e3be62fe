//! PUT throughput of both transport backends, side by side in one run, to a loopback server
//! that discards the body.
//!
//! `cargo bench -p graph-upload-benches --bench transport`
//!
//! `bytes` bodies measure the HTTP stack alone; `file` bodies add reading the fragment from a
//! file by offset (`FileSlice`), as an upload from disk does.

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use graph_upload_benches::sink_server;
use graph_upload_transport::{Body, FileSlice, Request};
use std::io::Write;
use std::sync::Arc;

const MIB: usize = 1024 * 1024;

fn put(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let address = runtime
        .block_on(sink_server::start())
        .unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{address}/upload");

    let mut file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    let data: Vec<u8> = (0..10 * MIB + 7).map(|i| (i % 253) as u8).collect();
    file.write_all(&data).unwrap_or_else(|e| panic!("{e}"));
    let file = Arc::new(file.reopen().unwrap_or_else(|e| panic!("{e}")));

    let mut group = c.benchmark_group("put");
    group.sample_size(20);
    for size in [MIB, 4 * MIB, 10 * MIB] {
        group.throughput(Throughput::Bytes(size as u64));
        let bytes = Bytes::from(data[..size].to_vec());
        let slice =
            FileSlice::new(Arc::clone(&file), 7, size as u64).unwrap_or_else(|e| panic!("{e}"));
        for (name, transport) in graph_upload_benches::both_transports() {
            for (kind, body) in [
                ("bytes", Body::from(bytes.clone())),
                ("file", Body::from(slice.clone())),
            ] {
                let request = Request::put(&url)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .body(body);
                let id = BenchmarkId::new(format!("{name}/{kind}"), format!("{}MiB", size / MIB));
                group.bench_function(id, |b| {
                    b.to_async(&runtime).iter(|| async {
                        let response = transport
                            .send(request.clone())
                            .await
                            .unwrap_or_else(|e| panic!("{e}"));
                        assert_eq!(response.status(), 202);
                        response
                    });
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, put);
criterion_main!(benches);
