//! Group commit: the progress records of concurrent uploads share one transaction and its
//! fsync ([`Store::put_grouped`]); a record waits for the commit running, then goes with
//! every other record that arrived meanwhile.

use super::{Store, StoreError, Table, encode};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// Records waiting for the next grouped commit, and where the committing is.
#[derive(Debug, Default)]
pub(super) struct Group {
    /// Upserts for the batch now collecting.
    pending: Vec<(Table, String, Vec<u8>)>,
    /// Number of the batch now collecting; batches commit in order.
    collecting: u64,
    /// The highest batch number whose commit has ended, well or not.
    ended: u64,
    /// Whether a caller is committing a batch right now.
    committing: bool,
    /// Batches that failed: why, and how many of their callers have yet to read it.
    failures: HashMap<u64, (Arc<StoreError>, usize)>,
    /// Batches committed and records they carried, for tests and figures.
    commits: u64,
    records: u64,
}

impl Group {
    /// Nothing pending; batch 1 collecting.
    pub(super) fn new() -> Self {
        Group {
            collecting: 1,
            ..Group::default()
        }
    }
}

impl Store {
    /// Inserts or replaces one record durably, sharing the commit (and its fsync) with every
    /// other `put_grouped` waiting at the same time (group commit). Returns once the record is
    /// durable; a failed commit fails every record of its batch, none of which is written.
    pub fn put_grouped<T: Serialize>(
        &self,
        table: Table,
        id: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = encode(value)?;
        let mut group = self.lock_group();
        group.pending.push((table, id.to_owned(), bytes));
        let mine = group.collecting;
        loop {
            if group.ended >= mine {
                let Some((why, unread)) = group.failures.get_mut(&mine) else {
                    return Ok(());
                };
                let error = StoreError::Batch(Arc::clone(why));
                *unread -= 1;
                if *unread == 0 {
                    group.failures.remove(&mine);
                }
                return Err(error);
            }
            if group.committing {
                group = self
                    .group_done
                    .wait(group)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                continue;
            }
            // Nobody is committing: commit the collecting batch (ours among it) for everyone.
            group.committing = true;
            let batch = std::mem::take(&mut group.pending);
            let number = group.collecting;
            group.collecting += 1;
            drop(group);
            let count = batch.len() as u64;
            let result = self.commit_batch(batch);
            group = self.lock_group();
            group.committing = false;
            group.ended = number;
            match result {
                Ok(()) => {
                    group.commits += 1;
                    group.records += count;
                }
                Err(error) => {
                    group
                        .failures
                        .insert(number, (Arc::new(error), count as usize));
                }
            }
            self.group_done.notify_all();
        }
    }

    fn commit_batch(&self, batch: Vec<(Table, String, Vec<u8>)>) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(StoreError::db)?;
        #[cfg(test)]
        if self
            .fail_next_commit
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Err(StoreError::Injected);
        }
        for (table, id, bytes) in &batch {
            let mut handle = txn.open_table(table.definition()).map_err(StoreError::db)?;
            handle
                .insert(id.as_str(), bytes.as_slice())
                .map_err(StoreError::db)?;
        }
        txn.commit().map_err(StoreError::db)?;
        #[cfg(all(test, unix))]
        crate::sync_log::record(crate::sync_log::Event::Committed {
            records: batch
                .into_iter()
                .map(|(_, id, bytes)| (id, Some(bytes)))
                .collect(),
        });
        Ok(())
    }

    fn lock_group(&self) -> std::sync::MutexGuard<'_, Group> {
        self.group
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Grouped commits so far and the records they carried.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn grouped_commits(&self) -> (u64, u64) {
        let group = self.lock_group();
        (group.commits, group.records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrent_grouped_puts_share_commits_and_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        {
            let store = std::sync::Arc::new(Store::open(&path).unwrap());
            let start = std::sync::Arc::new(std::sync::Barrier::new(16));
            let threads: Vec<_> = (0..16)
                .map(|t| {
                    let store = std::sync::Arc::clone(&store);
                    let start = std::sync::Arc::clone(&start);
                    std::thread::spawn(move || {
                        start.wait();
                        for n in 0..20u64 {
                            store
                                .put_grouped(Table::Sessions, &format!("s{t}"), &n)
                                .unwrap();
                            // Once put_grouped returns, the record is there.
                            assert_eq!(
                                store.get::<u64>(Table::Sessions, &format!("s{t}")).unwrap(),
                                Some(n)
                            );
                        }
                    })
                })
                .collect();
            for thread in threads {
                thread.join().unwrap();
            }
            let (commits, records) = store.grouped_commits();
            assert_eq!(records, 16 * 20);
            // Sixteen writers at once: records wait for the commit running and go together in
            // the next, so there are far fewer commits than records (about 40 for 320 here).
            assert!(
                commits <= records / 2,
                "{commits} commits for {records} records: none shared"
            );
        }
        let store = Store::open(&path).unwrap();
        let all: Vec<u64> = store.list(Table::Sessions).unwrap();
        assert_eq!(all, vec![19; 16], "every last value is durable");
    }

    /// `count` grouped puts (`j0`, `j1`, ...) that arrive while a commit is "running", so that
    /// they all queue for the next one; their results once it ends.
    fn puts_queued_behind_a_commit(
        store: &std::sync::Arc<Store>,
        count: u32,
    ) -> Vec<Result<(), StoreError>> {
        store.lock_group().committing = true;
        let threads: Vec<_> = (0..count)
            .map(|n| {
                let store = std::sync::Arc::clone(store);
                std::thread::spawn(move || store.put_grouped(Table::Jobs, &format!("j{n}"), &n))
            })
            .collect();
        while store.lock_group().pending.len() < count as usize {
            std::thread::yield_now();
        }
        store.lock_group().committing = false;
        store.group_done.notify_all();
        threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .collect()
    }

    #[test]
    fn records_queued_behind_a_commit_go_together_in_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(&dir.path().join("state.redb")).unwrap());
        for result in puts_queued_behind_a_commit(&store, 8) {
            result.unwrap();
        }
        assert_eq!(store.grouped_commits(), (1, 8), "one commit for the eight");
        let all: Vec<u32> = store.list(Table::Jobs).unwrap();
        assert_eq!(all, (0..8).collect::<Vec<u32>>());
    }

    #[test]
    fn a_failed_group_commit_fails_every_record_in_it_and_writes_none() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(&dir.path().join("state.redb")).unwrap());
        store
            .fail_next_commit
            .store(true, std::sync::atomic::Ordering::SeqCst);
        for result in puts_queued_behind_a_commit(&store, 3) {
            let error = result.unwrap_err();
            assert!(error.to_string().contains("injected"), "{error}");
            let cause = std::error::Error::source(&error).expect("the commit's own error");
            assert_eq!(cause.to_string(), "injected commit failure");
        }
        assert!(store.list::<u32>(Table::Jobs).unwrap().is_empty());
        assert!(
            store.lock_group().failures.is_empty(),
            "every caller read it"
        );
        store.put_grouped(Table::Jobs, "j9", &9u32).unwrap();
        assert_eq!(store.list::<u32>(Table::Jobs).unwrap(), vec![9]);
    }
}
