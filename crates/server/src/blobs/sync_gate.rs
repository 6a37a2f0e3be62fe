//! The group commit of a blob's fsyncs: parallel fragments of one upload share them.

use std::fs::File;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Coalesces the fsyncs of one file (group commit). Each fragment must be durable before it
/// is acknowledged, but one `fdatasync` covers every write that finished before it started:
/// a fragment whose bytes were covered by an fsync that began after its write waits for that
/// one instead of starting its own. Parallel fragments of one upload share the flushes.
#[derive(Debug, Default)]
pub struct SyncGate {
    /// Writes finished so far (each takes a ticket).
    written: AtomicU64,
    /// Held while an fsync runs; the highest ticket known durable.
    durable: tokio::sync::Mutex<u64>,
    /// fsyncs actually run, for tests and figures.
    flushes: AtomicU64,
}

impl SyncGate {
    /// Returns once every byte written to `file` before this call is durable.
    pub async fn sync_after_write(&self, file: &Arc<File>) -> io::Result<()> {
        let ticket = self.written.fetch_add(1, Ordering::SeqCst) + 1;
        let mut durable = self.durable.lock().await;
        if *durable >= ticket {
            return Ok(());
        }
        // Every write with a ticket up to here finished before this fsync starts.
        let covering = self.written.load(Ordering::SeqCst);
        let file = Arc::clone(file);
        tokio::task::spawn_blocking(move || {
            #[cfg(all(test, unix))]
            let id = crate::sync_log::file_id(&file);
            #[cfg(all(test, unix))]
            crate::sync_log::record(crate::sync_log::Event::SyncStarted { file: id });
            file.sync_data()?;
            #[cfg(all(test, unix))]
            crate::sync_log::record(crate::sync_log::Event::Synced { file: id });
            Ok::<_, io::Error>(())
        })
        .await
        .map_err(io::Error::other)??;
        self.flushes.fetch_add(1, Ordering::Relaxed);
        *durable = covering;
        Ok(())
    }

    /// How many fsyncs ran.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn flushes(&self) -> u64 {
        self.flushes.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_waiting_on_one_fsync_share_the_next_and_later_writes_get_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let file = Arc::new(File::create(dir.path().join("blob")).unwrap());
        let gate = Arc::new(SyncGate::default());
        // An fsync is "running": five fragments finish their writes meanwhile.
        let running = gate.durable.lock().await;
        let mut waiting = Vec::new();
        for _ in 0..5 {
            let (gate, file) = (Arc::clone(&gate), Arc::clone(&file));
            waiting.push(tokio::spawn(
                async move { gate.sync_after_write(&file).await },
            ));
        }
        while gate.written.load(Ordering::SeqCst) < 5 {
            tokio::task::yield_now().await;
        }
        drop(running);
        for task in waiting {
            task.await.unwrap().unwrap();
        }
        assert_eq!(gate.flushes(), 1, "one fsync covers the five writes");
        // A write after that fsync started is not covered by it.
        gate.sync_after_write(&file).await.unwrap();
        assert_eq!(gate.flushes(), 2);
    }
}
