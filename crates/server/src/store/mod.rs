//! Durable state in one redb database: every change is in an ACID transaction, fsynced before
//! it returns, so what was acknowledged survives `kill -9`. Progress records of concurrent
//! uploads may share one transaction (group commit, [`Store::put_grouped`]).
//!
//! Values are JSON (the records of [`crate::records`]) keyed by id. Ids from request paths are
//! only ever database keys: they never become file names.

mod error;
mod group;

pub use error::StoreError;

use group::Group;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
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
    /// `DriveItemRecord` (files and folders of every drive) by item id.
    DriveItems,
    /// `MailAttachmentRecord` (Outlook file attachments) by attachment id.
    MailAttachments,
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
            Table::DriveItems => "drive_items",
            Table::MailAttachments => "mailAttachments",
        })
    }

    const ALL: [Table; 9] = [
        Table::Printers,
        Table::Shares,
        Table::Jobs,
        Table::Lists,
        Table::Tasks,
        Table::Attachments,
        Table::Sessions,
        Table::DriveItems,
        Table::MailAttachments,
    ];
}

/// The database. Calls block (they fsync): call them from `spawn_blocking`.
#[derive(Debug)]
pub struct Store {
    db: Database,
    /// Records waiting for the next grouped commit ([`group`]).
    group: Mutex<Group>,
    /// Signalled whenever a grouped commit ends.
    group_done: Condvar,
    /// Makes the next grouped commit fail, to test what its callers see.
    #[cfg(test)]
    fail_next_commit: std::sync::atomic::AtomicBool,
    /// Reads of session records so far, to test how often a request reads one.
    #[cfg(test)]
    session_reads: std::sync::atomic::AtomicU64,
}

impl Store {
    /// Opens (or creates) the database at `path` and its tables.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(|error| match error {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse,
            other => StoreError::db(other),
        })?;
        let txn = db.begin_write().map_err(StoreError::db)?;
        for table in Table::ALL {
            txn.open_table(table.definition()).map_err(StoreError::db)?;
        }
        txn.commit().map_err(StoreError::db)?;
        Ok(Store {
            db,
            group: Mutex::new(Group::new()),
            group_done: Condvar::new(),
            #[cfg(test)]
            fail_next_commit: std::sync::atomic::AtomicBool::new(false),
            #[cfg(test)]
            session_reads: std::sync::atomic::AtomicU64::new(0),
        })
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
        read_one(
            &txn.open_table(table.definition()).map_err(StoreError::db)?,
            id,
        )
    }

    /// Every record of a table, in id order.
    pub fn list<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>, StoreError> {
        self.count_read(table);
        let txn = self.db.begin_read().map_err(StoreError::db)?;
        read_all(&txn.open_table(table.definition()).map_err(StoreError::db)?)
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
        read_one(&self.open(table)?, id)
    }

    /// Every record of a table, in id order (sees this transaction's own writes).
    pub fn list<T: DeserializeOwned>(&self, table: Table) -> Result<Vec<T>, StoreError> {
        self.store.count_read(table);
        read_all(&self.open(table)?)
    }

    fn open(
        &self,
        table: Table,
    ) -> Result<redb::Table<'_, &'static str, &'static [u8]>, StoreError> {
        self.txn
            .open_table(table.definition())
            .map_err(StoreError::db)
    }

    /// Inserts or replaces a record.
    pub fn put<T: Serialize>(
        &mut self,
        table: Table,
        id: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = encode(value)?;
        self.open(table)?
            .insert(id, bytes.as_slice())
            .map_err(StoreError::db)?;
        #[cfg(test)]
        self.touched.push((id.to_owned(), Some(bytes)));
        Ok(())
    }

    /// Deletes a record; returns whether it existed.
    pub fn delete(&mut self, table: Table, id: &str) -> Result<bool, StoreError> {
        let removed = self
            .open(table)?
            .remove(id)
            .map_err(StoreError::db)?
            .is_some();
        #[cfg(test)]
        self.touched.push((id.to_owned(), None));
        Ok(removed)
    }
}

/// The record `id` of an open table, if it exists.
fn read_one<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    id: &str,
) -> Result<Option<T>, StoreError> {
    let value = table.get(id).map_err(StoreError::db)?;
    value.map(|guard| decode(guard.value())).transpose()
}

/// Every record of an open table, in id order.
fn read_all<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    for entry in table.iter().map_err(StoreError::db)? {
        let (_, value) = entry.map_err(StoreError::db)?;
        out.push(decode(value.value())?);
    }
    Ok(out)
}

/// A stored record.
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(StoreError::Decode)
}

/// A record to store.
fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(StoreError::Encode)
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
            Err(StoreError::Injected)
        });
        assert!(result.is_err());
        assert_eq!(store.get::<u32>(Table::Jobs, "a").unwrap(), None);
    }

    #[test]
    fn errors_keep_their_cause_as_source() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        // redb's: a database where a directory is.
        let error = Store::open(dir.path()).unwrap_err();
        assert!(matches!(error, StoreError::Database(_)), "{error:?}");
        let source = error.source().expect("redb's error");
        assert!(source.downcast_ref::<redb::Error>().is_some(), "{source:?}");
        // serde_json's: a record read as what it is not.
        let store = Store::open(&dir.path().join("state.redb")).unwrap();
        store.write(|tx| tx.put(Table::Jobs, "a", &"text")).unwrap();
        let error = store.get::<u32>(Table::Jobs, "a").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("a stored record does not parse: "),
            "{error}"
        );
        let source = error.source().expect("serde_json's error");
        assert!(
            source.downcast_ref::<serde_json::Error>().is_some(),
            "{source:?}"
        );
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
}
