//! The child process's own measurements: peak RSS, CPU time, a stopwatch, and the test file.

use super::*;

/// Writes dirty pages back (the payload, the last run's data) so that the next run starts with
/// a quiet disk. Best effort: a missing `sync` only makes the figures noisier.
pub(crate) fn flush_dirty_pages() {
    let _ = Command::new("sync").status();
}

/// The test file: `size` bytes of noise (the whole size: Outlook's 150 MB is no whole MiB).
pub(crate) fn write_payload(path: &Path, size: u64) -> std::io::Result<()> {
    graph_upload_benches::payload::write_pattern(path, size, 0)
}

/// A field of `/proc/self/status`, such as `VmHWM` (in KiB).
pub(crate) fn proc_status_kib(field: &str) -> u64 {
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
pub(crate) fn peak_rss_kib() -> u64 {
    proc_status_kib("VmHWM:")
}

/// User + system CPU time of this process so far, every thread, in seconds (from
/// `/proc/self/stat`, in clock ticks of 1/100 s, the value Linux uses on every common
/// architecture).
pub(crate) fn cpu_seconds() -> f64 {
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
pub(crate) struct Timed {
    pub(crate) seconds: f64,
    pub(crate) cpu_seconds: f64,
}

/// Starts both clocks at once.
pub(crate) struct Stopwatch {
    pub(crate) wall: Instant,
    pub(crate) cpu: f64,
}

impl Stopwatch {
    pub(crate) fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    pub(crate) fn stop(self) -> Timed {
        Timed {
            seconds: self.wall.elapsed().as_secs_f64(),
            cpu_seconds: cpu_seconds() - self.cpu,
        }
    }
}
