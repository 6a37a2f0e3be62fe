//! Durable state in one redb database: every change is in an ACID transaction, fsynced before
//! it returns, so what was acknowledged survives `kill -9`. Progress records of concurrent
//! uploads may share one transaction (group commit, [`Store::put_grouped`]).
//!
//! Values are JSON (the records of [`crate::records`]) keyed by id. Ids from request paths are
//! only ever database keys: they never become file names.

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Condvar, Mutex};

/// One kind of record, one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `PrinterRecord` by printer id.
    Printers,
    /// `ShareRecord` by share id.
    Shares,
    /// `JobRecord` by job id.
    Jobs,
    /// `ListRecord` by list id.
    Lists,
    /// `TaskRecord` by task id.
    Tasks,
    /// `AttachmentRecord` by attachment id.
    Attachments,
    /// `SessionRecord` by session id.
    Sessions,
}

impl Table {
    fn definition(self) -> TableDefinition<'static, &'static str, &'static [u8]> {
        TableDefinition::new(match self {
            Table::Printers => "printers",
            Table::Shares => "shares",
            Table::Jobs => "jobs",
            Table::Lists => "lists",
            Table::Tasks => "tasks",
            Table::Attachments => "attachments",
            Table::Sessions => "sessions",
        })
    }

    const ALL: [Table; 7] = [
        Table::Printers,
        Table::Shares,
        Table::Jobs,
        Table::Lists,
        Table::Tasks,
        Table::Attachments,
        Table::Sessions,
    ];
}

/// The database failed, or a stored record no longer parses.
#[derive(Debug)]
pub struct StoreError(String);

impl StoreError {
    fn db(error: impl Into<redb::Error>) -> Self {
        StoreError(error.into().to_string())
    }

    fn json(error: serde_json::Error) -> Self {
        StoreError(format!("a stored record does not parse: {error}"))
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// The database. Calls block (they fsync): call them from `spawn_blocking`.
#[derive(Debug)]
pub struct Store {
    db: Database,
    group: Mutex<Group>,
    group_done: Condvar,
    /// Makes the next grouped commit fail, to test what its callers see.
    #[cfg(test)]
    fail_next_commit: std::sync::atomic::AtomicBool,
    /// Reads of session records so far, to test how often a request reads one.
    #[cfg(test)]
    session_reads: std::sync::atomic::AtomicU64,
}

/// Records waiting for the next grouped commit, and where the committing is.
#[derive(Debug, Default)]
struct Group {
    /// Upserts for the batch now collecting.
    pending: Vec<(Table, String, Vec<u8>)>,
    /// Number of the batch now collecting; batches commit in order.
    collecting: u64,
    /// The highest batch number whose commit has ended, well or not.
    ended: u64,
    /// Whether a caller is committing a batch right now.
    committing: bool,
    /// Batches that failed: why, and how many of their callers have yet to read it.
    failures: HashMap<u64, (String, usize)>,
    /// Batches committed and records they carried, for tests and figures.
    commits: u64,
    records: u64,
}

impl Store {
    /// Opens (or creates) the database at `path` and its tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(StoreError::db)?;
        let txn = db.begin_write().map_err(StoreError::db)?;
        for table in Table::ALL {
            txn.open_table(table.definition()).map_err(StoreError::db)?;
        }
        txn.commit().map_err(StoreError::db)?;
        Ok(Store {
            db,
            group: Mutex::new(Group {
                collecting: 1,
                ..Group::default()
            }),
            group_done: Condvar::new(),
            #[cfg(test)]
            fail_next_commit: std::sync::atomic::AtomicBool::new(false),
            #[cfg(test)]
            session_reads: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Inserts or replaces one record durably, sharing the commit (and its fsync) with every
    /// other `put_grouped` waiting at the same time (group commit). Returns once the record is
    /// durable; a failed commit fails every record of its batch, none of which is written.
    pub fn put_grouped<T: Serialize>(
        &self,
        table: Table,
        id: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(StoreError::json)?;
        let mut group = self.lock_group();
        group.pending.push((table, id.to_owned(), bytes));
        let mine = group.collecting;
        loop {
            if group.ended >= mine {
                let Some((why, unread)) = group.failures.get_mut(&mine) else {
                    return Ok(());
                };
                let error = StoreError(why.clone());
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
                    group.failures.insert(number, (error.0, count as usize));
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
            return Err(StoreError("injected commit failure".into()));
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

    /// Session records read so far (by `get`, `list` and transactions).
    #[cfg(test)]
    pub fn session_reads(&self) -> u64 {
        self.session_reads.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn count_read(&self, table: Table) {
        #[cfg(test)]
        if table == Table::Sessions {
            self.session_reads
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        #[cfg(not(test))]
        let _ = table;
    }

    /// One record, if it exists.
    pub fn get<T: DeserializeOwned>(
        &self,
        table: Table,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        self.count_read(table);
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let handle = txn.open_table(table.definition()).map_err(StoreError::db)?;
        let value = handle.get(id).map_err(StoreError::db)?;
        value
            .map(|guard| serde_json::from_slice(guard.value()).map_err(StoreError::json))
            .transpose()
    }

    /// Every record of a table, in id order.
    pub fn list<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>, StoreError> {
        self.count_read(table);
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        let handle = txn.open_table(table.definition()).map_err(StoreError::db)?;
        let mut out = Vec::new();
        for entry in handle.iter().map_err(StoreError::db)? {
            let (_, value) = entry.map_err(StoreError::db)?;
            out.push(serde_json::from_slice(value.value()).map_err(StoreError::json)?);
        }
        Ok(out)
    }

    /// Runs `change` in one write transaction and commits it durably; nothing is written when
    /// `change` fails.
    pub fn write<R, E>(&self, change: impl FnOnce(&mut Tx<'_>) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let txn = self.db.begin_write().map_err(StoreError::db)?;
        #[cfg(test)]
        let mut touched = Vec::new();
        let result = {
            let mut tx = Tx {
                txn: &txn,
                store: self,
                #[cfg(test)]
                touched: &mut touched,
            };
            change(&mut tx)
        };
        match result {
            Ok(value) => {
                txn.commit().map_err(StoreError::db)?;
                #[cfg(all(test, unix))]
                crate::sync_log::record(crate::sync_log::Event::Committed { records: touched });
                Ok(value)
            }
            Err(error) => {
                txn.abort().map_err(StoreError::db)?;
                Err(error)
            }
        }
    }
}

/// An open write transaction.
pub struct Tx<'a> {
    txn: &'a redb::WriteTransaction,
    store: &'a Store,
    /// Records put (their JSON) or deleted (`None`), for the sync log of tests.
    #[cfg(test)]
    touched: &'a mut Vec<(String, Option<Vec<u8>>)>,
}

impl Tx<'_> {
    /// One record, if it exists (sees this transaction's own writes).
    pub fn get<T: DeserializeOwned>(
        &self,
        table: Table,
        id: &str,
    ) -> Result<Option<T>, StoreError> {
        self.store.count_read(table);
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(StoreError::db)?;
        let value = handle.get(id).map_err(StoreError::db)?;
        value
            .map(|guard| serde_json::from_slice(guard.value()).map_err(StoreError::json))
            .transpose()
    }

    /// Every record of a table, in id order (sees this transaction's own writes).
    pub fn list<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>, StoreError> {
        self.store.count_read(table);
        let handle = self
            .txn
            .open_table(table.definition())
            .map_err(StoreError::db)?;
        let mut out = Vec::new();
        for entry in handle.iter().map_err(StoreError::db)? {
            let (_, value) = entry.map_err(StoreError::db)?;
            out.push(serde_json::from_slice(value.value()).map_err(StoreError::json)?);
        }
        Ok(out)
    }

    /// Inserts or replaces a record.
    pub fn put<T: Serialize>(
        &mut self,
        table: Table,
        id: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(StoreError::json)?;
        let mut handle = self
            .txn
            .open_table(table.definition())
            .map_err(StoreError::db)?;
        handle
            .insert(id, bytes.as_slice())
            .map_err(StoreError::db)?;
        #[cfg(test)]
        self.touched.push((id.to_owned(), Some(bytes)));
        Ok(())
    }

    /// Deletes a record; returns whether it existed.
    pub fn delete(&mut self, table: Table, id: &str) -> Result<bool, StoreError> {
        let mut handle = self
            .txn
            .open_table(table.definition())
            .map_err(StoreError::db)?;
        let removed = handle.remove(id).map_err(StoreError::db)?.is_some();
        #[cfg(test)]
        self.touched.push((id.to_owned(), None));
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_change_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        let result: Result<(), StoreError> = store.write(|tx| {
            tx.put(Table::Jobs, "a", &1u32)?;
            Err(StoreError("refused".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.get::<u32>(Table::Jobs, "a").unwrap(), None);
    }

    #[test]
    fn committed_records_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        {
            let store = Store::open(&path).unwrap();
            store
                .write(|tx| {
                    tx.put(Table::Sessions, "s1", &vec![1u64, 2])?;
                    tx.put(Table::Sessions, "s2", &vec![3u64])?;
                    Ok::<_, StoreError>(())
                })
                .unwrap();
            store
                .write(|tx| tx.delete(Table::Sessions, "s2").map(|_| ()))
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let all: Vec<Vec<u64>> = store.list(Table::Sessions).unwrap();
        assert_eq!(all, vec![vec![1, 2]]);
    }

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
