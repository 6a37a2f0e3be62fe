//! One drive's items, read at once: lookups by id and by path, children, paths as Graph writes
//! them, the bytes in use. Drives of an emulator are small: reading them whole keeps every
//! lookup in one consistent snapshot (or one write transaction).

use super::address::{Address, Base};
use super::drives::Drive;
use super::item::DriveItemRecord;
use crate::errors::ApiError;
use crate::store::{Store, StoreError, Table, Tx};
use graph_upload_models::DriveItem;

/// The items of one drive.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The drive.
    pub drive: Drive,
    items: Vec<DriveItemRecord>,
}

impl Tree {
    fn of(drive: Drive, all: Vec<DriveItemRecord>) -> Self {
        let items = all
            .into_iter()
            .filter(|item| item.drive_id == drive.id)
            .collect();
        Tree { drive, items }
    }

    /// Every drive that holds items, each with its items, from one read of the table.
    pub fn every(store: &Store) -> Result<Vec<Self>, ApiError> {
        let mut by_drive: std::collections::BTreeMap<String, Vec<DriveItemRecord>> =
            std::collections::BTreeMap::new();
        for item in store.list::<DriveItemRecord>(Table::DriveItems)? {
            by_drive
                .entry(item.drive_id.clone())
                .or_default()
                .push(item);
        }
        by_drive
            .into_iter()
            .map(|(id, items)| Ok(Tree::of(super::drives::drive_by_id(&id)?, items)))
            .collect()
    }

    /// The drive's files (its folders left out).
    pub fn files(&self) -> impl Iterator<Item = &DriveItemRecord> {
        self.items.iter().filter(|item| !item.is_folder())
    }

    /// Reads the drive's items.
    pub fn load(store: &Store, drive: Drive) -> Result<Self, StoreError> {
        Ok(Tree::of(drive, store.list(Table::DriveItems)?))
    }

    /// Reads the drive's items inside a write transaction.
    pub fn load_tx(tx: &Tx<'_>, drive: Drive) -> Result<Self, StoreError> {
        Ok(Tree::of(drive, tx.list(Table::DriveItems)?))
    }

    /// The item with this id in this drive, or `404 itemNotFound`.
    pub fn item(&self, id: &str) -> Result<&DriveItemRecord, ApiError> {
        self.items
            .iter()
            .find(|item| item.id == id)
            .ok_or_else(|| ApiError::not_found(format!("no item {id:?} in this drive")))
    }

    /// The children of a folder, by name.
    pub fn children(&self, id: &str) -> Vec<&DriveItemRecord> {
        let mut children: Vec<_> = self
            .items
            .iter()
            .filter(|item| item.parent_id.as_deref() == Some(id))
            .collect();
        children.sort_by_key(|item| item.name.to_lowercase());
        children
    }

    /// The child of `parent` called `name`; names are compared without case, as OneDrive
    /// does.
    pub fn child_named(&self, parent: &str, name: &str) -> Option<&DriveItemRecord> {
        let wanted = name.to_lowercase();
        self.items.iter().find(|item| {
            item.parent_id.as_deref() == Some(parent) && item.name.to_lowercase() == wanted
        })
    }

    /// Where an address starts.
    pub fn base(&self, address: &Address) -> Result<&DriveItemRecord, ApiError> {
        match &address.base {
            Base::Root => self.item(self.drive.root_id),
            Base::Item(id) => self.item(id),
        }
    }

    /// Walks `names` down from `from`; every step must exist, and all but the last must be
    /// folders.
    pub fn walk<'a>(
        &'a self,
        from: &'a DriveItemRecord,
        names: &[String],
    ) -> Result<&'a DriveItemRecord, ApiError> {
        let mut at = from;
        for name in names {
            if !at.is_folder() {
                return Err(ApiError::not_found(format!(
                    "{:?} is a file: it has no item {name:?}",
                    at.name
                )));
            }
            at = self
                .child_named(&at.id, name)
                .ok_or_else(|| ApiError::not_found(format!("no item {name:?} in {:?}", at.name)))?;
        }
        Ok(at)
    }

    /// The item an address names.
    pub fn resolve(&self, address: &Address) -> Result<&DriveItemRecord, ApiError> {
        self.walk(self.base(address)?, &address.path)
    }

    /// The item's path as Graph writes it: `/drive/root:` for the root, then `/{name}` per
    /// level (`/drive/root:/Documents`).
    pub fn path_of(&self, item: &DriveItemRecord) -> String {
        let mut names = Vec::new();
        let mut at = item;
        while let Some(parent) = at.parent_id.as_deref() {
            names.push(at.name.as_str());
            match self.items.iter().find(|candidate| candidate.id == parent) {
                Some(found) => at = found,
                None => break,
            }
        }
        names.reverse();
        let mut path = "/drive/root:".to_owned();
        for name in names {
            path.push('/');
            path.push_str(name);
        }
        path
    }

    /// Graph's driveItem for a record of this drive.
    pub fn view(&self, item: &DriveItemRecord) -> DriveItem {
        let parent_path = item
            .parent_id
            .as_deref()
            .and_then(|parent| self.item(parent).ok())
            .map(|parent| self.path_of(parent));
        item.to_graph(parent_path, self.children(&item.id).len())
    }

    /// Bytes used by the drive's files.
    pub fn used(&self) -> u64 {
        self.items.iter().map(|item| item.size).sum()
    }

    /// The first free name for `name` in `parent` (`name.pdf`, then `name 1.pdf`,
    /// `name 2.pdf`...), for `conflictBehavior: rename`.
    pub fn free_name(&self, parent: &str, name: &str) -> String {
        if self.child_named(parent, name).is_none() {
            return name.to_owned();
        }
        let (stem, extension) = match name.rfind('.') {
            Some(dot) if dot > 0 => (&name[..dot], &name[dot..]),
            _ => (name, ""),
        };
        (1u64..)
            .map(|n| format!("{stem} {n}{extension}"))
            .find(|candidate| self.child_named(parent, candidate).is_none())
            .unwrap_or_else(|| name.to_owned())
    }
}
