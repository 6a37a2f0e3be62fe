//! The table and the load summary printed at the end of a run.

use super::*;

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub(crate) fn min_max(values: &[f64]) -> (f64, f64) {
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
pub(crate) fn print_table(samples: &[Vec<Sample>]) {
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
pub(crate) fn print_load(results: &[LoadResult]) -> Result<(), Failure> {
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
