use super::*;
use graph_upload_ranges::GRAPH_QUANTUM;

const MIB: u64 = 1024 * 1024;

/// Acknowledges fragments one after the other over a link of `rate` bytes per second with
/// `round_trip` per request; returns the sizes sent.
fn sequential(adaptive: &mut Adaptive, rate: f64, round_trip: f64, count: usize) -> Vec<u64> {
    let mut now = Duration::from_secs(1);
    let mut sizes = Vec::new();
    for _ in 0..count {
        let bytes = adaptive.fragment();
        sizes.push(bytes);
        let sent = now;
        now += Duration::from_secs_f64(round_trip + bytes as f64 / rate);
        adaptive.acknowledged(bytes, sent, now);
    }
    sizes
}

#[test]
fn fragments_start_small_and_grow_up_to_the_endpoint_limit_on_a_fast_link() {
    let mut adaptive = Adaptive::new(&EndpointProfile::drive());
    let sizes = sequential(&mut adaptive, 2000.0 * MIB as f64, 0.0005, 8);
    assert_eq!(sizes[0], START_FRAGMENT_QUANTA * GRAPH_QUANTUM);
    for pair in sizes.windows(2) {
        assert!(
            pair[1] == GROWTH_PER_FRAGMENT * pair[0]
                || pair[1] == EndpointProfile::drive().max_fragment
        );
    }
    assert_eq!(
        *sizes.last().unwrap(),
        EndpointProfile::drive().max_fragment
    );
}

#[test]
fn fragments_settle_where_one_takes_the_target_time_on_a_slow_link() {
    // 1 MiB/s with 80 ms round trips: a fragment of about 2 s is about 1.9 MiB.
    let mut adaptive = Adaptive::new(&EndpointProfile::drive());
    let sizes = sequential(&mut adaptive, MIB as f64, 0.08, 10);
    let settled = *sizes.last().unwrap();
    assert_eq!(settled % GRAPH_QUANTUM, 0);
    let seconds = 0.08 + settled as f64 / MIB as f64;
    assert!(
        (1.0..=2.1).contains(&seconds),
        "{settled} bytes take {seconds} s"
    );
}

#[test]
fn fragments_stay_multiples_of_the_quantum_and_at_least_one() {
    let mut adaptive = Adaptive::new(&EndpointProfile::todo());
    // A link so slow that the target time holds less than a quantum.
    let sizes = sequential(&mut adaptive, 10_000.0, 0.08, 4);
    assert!(
        sizes
            .iter()
            .all(|s| *s >= GRAPH_QUANTUM && s % GRAPH_QUANTUM == 0)
    );
    assert_eq!(adaptive.fragment(), GRAPH_QUANTUM);
    for _ in 0..3 {
        adaptive.backed_off(Duration::ZERO);
    }
    assert_eq!(adaptive.fragment(), GRAPH_QUANTUM);
}

#[test]
fn a_fixed_fragment_size_and_parallelism_never_change() {
    let profile = EndpointProfile::print()
        .with_max_fragment(5 * MIB)
        .with_parallel(3);
    let mut adaptive = Adaptive::new(&profile);
    assert_eq!((adaptive.fragment(), adaptive.parallel()), (5 * MIB, 3));
    sequential(&mut adaptive, MIB as f64, 0.08, 5);
    assert!(!adaptive.backed_off(Duration::ZERO));
    assert_eq!((adaptive.fragment(), adaptive.parallel()), (5 * MIB, 3));
}

#[test]
fn a_failure_halves_the_fragment_and_the_parallelism() {
    let mut adaptive = Adaptive::new(&EndpointProfile::print());
    sequential(&mut adaptive, 2000.0 * MIB as f64, 0.0005, 6);
    assert_eq!(adaptive.fragment(), EndpointProfile::print().max_fragment);
    let parallel = adaptive.parallel();
    assert!(parallel > 1, "grew on the way");
    assert!(adaptive.backed_off(Duration::from_secs(9)));
    assert_eq!(
        adaptive.fragment(),
        (EndpointProfile::print().max_fragment / 2 / GRAPH_QUANTUM) * GRAPH_QUANTUM
    );
    assert_eq!(adaptive.parallel(), parallel / 2);
}

/// Windows of `parallel` fragments of 4 MiB over links of `per_connection` bytes per second
/// each, up to `cap` connections' worth in total; returns the parallelism after each window.
fn parallel_windows(
    adaptive: &mut Adaptive,
    per_connection: f64,
    cap: usize,
    windows: usize,
) -> Vec<usize> {
    let mut now = Duration::from_secs(1);
    let mut seen = Vec::new();
    for _ in 0..windows {
        let parallel = adaptive.parallel();
        let rate = per_connection * parallel.min(cap) as f64 / parallel as f64;
        let sent = now;
        now += Duration::from_secs_f64(0.02 + (4 * MIB) as f64 / rate);
        for _ in 0..parallel {
            adaptive.acknowledged(4 * MIB, sent, now);
        }
        seen.push(adaptive.parallel());
    }
    seen
}

#[test]
fn parallelism_grows_while_throughput_rises_up_to_the_endpoint_limit() {
    let mut adaptive = Adaptive::new(&EndpointProfile::print());
    assert_eq!(adaptive.parallel(), START_PARALLEL);
    // Every connection capped at 25 MiB/s: each one more adds throughput.
    let seen = parallel_windows(&mut adaptive, 25.0 * MIB as f64, usize::MAX, 6);
    assert_eq!(seen, [4, 4, 4, 4, 4, 4], "never above print's 4");
}

#[test]
fn parallelism_stops_growing_when_it_no_longer_helps() {
    let mut adaptive = Adaptive::new(&EndpointProfile::print());
    // The link carries 2 connections' worth: 4 add nothing, nor do 3; back to 2.
    let seen = parallel_windows(&mut adaptive, 25.0 * MIB as f64, 2, 6);
    assert_eq!(seen, [4, 3, 2, 2, 2, 2]);
}

#[test]
fn a_search_ends_at_the_best_and_a_failure_starts_it_again() {
    let mut adaptive = Adaptive::new(&EndpointProfile::print().with_auto_parallel(8));
    // The link carries 3 connections' worth: 2, then 4 (better), then 8 (no better), then 6
    // and 5 (no better), back to 4.
    let seen = parallel_windows(&mut adaptive, 25.0 * MIB as f64, 3, 6);
    assert_eq!(seen, [4, 8, 6, 5, 4, 4]);
    assert!(adaptive.backed_off(Duration::from_secs(1)));
    assert_eq!(adaptive.parallel(), 2);
    let seen = parallel_windows(&mut adaptive, 25.0 * MIB as f64, 3, 1);
    assert_eq!(seen, [4], "searching again");
}

#[test]
fn fragments_sent_before_a_change_do_not_count_towards_the_next_window() {
    let mut adaptive = Adaptive::new(&EndpointProfile::print());
    let second = Duration::from_secs(1);
    adaptive.acknowledged(4 * MIB, second, 2 * second);
    adaptive.acknowledged(4 * MIB, second, 2 * second);
    assert_eq!(adaptive.parallel(), 4);
    // Sent before the change, acknowledged after: the window at 4 has not begun.
    adaptive.acknowledged(4 * MIB, second, 10 * second);
    assert_eq!(adaptive.window.fragments, 0);
}
