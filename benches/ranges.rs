//! Benchmarks of `graph-upload-ranges`: parsing, set merge and subtraction,
//! `nextExpectedRanges` lists, and fragment planning.
//!
//! Run with `cargo bench -p graph-upload-benches --bench ranges`. Inputs are deterministic
//! (a fixed-seed xorshift), so runs compare.

use std::hint::black_box;
use std::ops::Range;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use graph_upload_ranges::{ByteRange, ContentRange, FragmentSize, RangeSet};

/// Set sizes for the merge, subtract and `from_expected` groups.
const SIZES: [usize; 4] = [1, 10, 100, 1000];

/// Marsaglia's xorshift64, enough for a deterministic shuffle.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = usize::try_from(self.next() % (i as u64 + 1)).unwrap_or(0);
            items.swap(i, j);
        }
    }
}

/// `n` disjoint, non-adjacent spans in order: `[i*100, i*100 + 50)`.
fn gapped_spans(n: usize) -> Vec<Range<u64>> {
    (0..n as u64).map(|i| i * 100..i * 100 + 50).collect()
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for text in ["0-4533321", "72797-", "2097152"] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("ByteRange", text), text, |b, text| {
            b.iter(|| black_box(text).parse::<ByteRange>());
        });
    }
    for text in [
        "bytes 0-72796/4533322",
        "bytes=0-72796/4533322",
        "bytes */0",
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("ContentRange", text), text, |b, text| {
            b.iter(|| black_box(text).parse::<ContentRange>());
        });
    }
    group.finish();
}

fn merge(c: &mut Criterion) {
    let mut group = c.benchmark_group("merge");
    for n in SIZES {
        let sorted = gapped_spans(n);
        let mut shuffled = sorted.clone();
        XorShift(0x9E37_79B9_7F4A_7C15).shuffle(&mut shuffled);
        // Fragments arriving one after the other, each extending the last: one span.
        let adjacent: Vec<Range<u64>> = (0..n as u64).map(|i| i * 100..(i + 1) * 100).collect();
        group.throughput(Throughput::Elements(n as u64));
        for (order, spans) in [
            ("sorted", &sorted),
            ("shuffled", &shuffled),
            ("adjacent", &adjacent),
        ] {
            group.bench_with_input(BenchmarkId::new(order, n), spans, |b, spans| {
                b.iter(|| {
                    let mut set = RangeSet::new();
                    for span in spans {
                        set.insert(black_box(span.clone()));
                    }
                    set
                });
            });
        }
    }
    group.finish();
}

fn subtract(c: &mut Criterion) {
    let mut group = c.benchmark_group("subtract");
    for n in SIZES {
        // Every span of `b` cuts the end of one span of `a` and the start of the next.
        let a: RangeSet = gapped_spans(n).into_iter().collect();
        let b: RangeSet = (0..n as u64).map(|i| i * 100 + 30..i * 100 + 120).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("difference", n), &n, |bench, _| {
            bench.iter(|| black_box(&a).difference(black_box(&b)));
        });
        group.bench_with_input(BenchmarkId::new("subtract_set", n), &n, |bench, _| {
            bench.iter_batched_ref(
                || a.clone(),
                |set| set.subtract_set(black_box(&b)),
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

fn from_expected(c: &mut Criterion) {
    let mut group = c.benchmark_group("from_expected");
    for n in SIZES {
        let size = n as u64 * 100;
        let texts: Vec<String> = gapped_spans(n)
            .into_iter()
            .map(|span| format!("{}-{}", span.start, span.end - 1))
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &texts, |b, texts| {
            b.iter(|| RangeSet::from_expected(black_box(texts), size));
        });
    }
    group.finish();
}

fn plan(c: &mut Criterion) {
    const GIB: u64 = 1 << 30;
    let mut group = c.benchmark_group("plan");
    let fragment = FragmentSize::graph(10 << 20).unwrap_or_else(|e| panic!("{e}"));
    let whole = RangeSet::from(0..GIB);
    // The same gigabyte with 1000 holes already received.
    let mut holes = whole.clone();
    for i in 0..1000u64 {
        holes.subtract(i * (GIB / 1000)..i * (GIB / 1000) + 4096);
    }
    for (name, missing) in [("1GiB_10MiB", &whole), ("1GiB_10MiB_1000_spans", &holes)] {
        // Planning touches no bytes: count fragments planned, not bytes covered.
        group.throughput(Throughput::Elements(fragment.plan(missing).count() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), missing, |b, missing| {
            b.iter(|| {
                fragment
                    .plan(black_box(missing))
                    .fold(0u64, |acc, span| acc + (span.end - span.start))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, parse, merge, subtract, from_expected, plan);
criterion_main!(benches);
