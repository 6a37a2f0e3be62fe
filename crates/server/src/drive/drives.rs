//! The fixture drives: who owns each, its root and `Documents` folder. Drives are fixed (ids
//! in [`crate::fixtures`]); only their items live in the database.

use crate::errors::ApiError;
use crate::fixtures::{
    GROUP_DOCUMENTS_ID, GROUP_DRIVE_ID, GROUP_DRIVE_ROOT_ID, GROUP_ID, SITE_DOCUMENTS_ID,
    SITE_DRIVE_ID, SITE_DRIVE_ROOT_ID, SITE_ID, USER_DOCUMENTS_ID, USER_DRIVE_ID,
    USER_DRIVE_ROOT_ID, USER_ID,
};

/// One drive of the emulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drive {
    /// The drive id (`/drives/{id}`).
    pub id: &'static str,
    /// `business` (a user's OneDrive) or `documentLibrary` (group and site drives).
    pub drive_type: &'static str,
    /// Shown as the drive's name.
    pub name: &'static str,
    /// The id of its root folder.
    pub root_id: &'static str,
    /// The id of its `Documents` folder.
    pub documents_id: &'static str,
}

/// Every drive: the user's, the group's, the site's.
pub const DRIVES: [Drive; 3] = [
    Drive {
        id: USER_DRIVE_ID,
        drive_type: "business",
        name: "OneDrive",
        root_id: USER_DRIVE_ROOT_ID,
        documents_id: USER_DOCUMENTS_ID,
    },
    Drive {
        id: GROUP_DRIVE_ID,
        drive_type: "documentLibrary",
        name: "Documents",
        root_id: GROUP_DRIVE_ROOT_ID,
        documents_id: GROUP_DOCUMENTS_ID,
    },
    Drive {
        id: SITE_DRIVE_ID,
        drive_type: "documentLibrary",
        name: "Documents",
        root_id: SITE_DRIVE_ROOT_ID,
        documents_id: SITE_DOCUMENTS_ID,
    },
];

/// Who a request path names as the drive's owner (the path before `/drive` or the drive id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// `/me/drive`.
    Me,
    /// `/users/{id}/drive`.
    User(String),
    /// `/drives/{id}`.
    Drive(String),
    /// `/groups/{id}/drive`.
    Group(String),
    /// `/sites/{id}/drive`.
    Site(String),
}

impl Owner {
    /// The drive it names, or `404 itemNotFound`.
    pub fn drive(&self) -> Result<Drive, ApiError> {
        let by_id = |id: &str| DRIVES.iter().copied().find(|drive| drive.id == id);
        let found = match self {
            Owner::Me => by_id(USER_DRIVE_ID),
            Owner::User(user) if user == USER_ID => by_id(USER_DRIVE_ID),
            Owner::Group(group) if group == GROUP_ID => by_id(GROUP_DRIVE_ID),
            Owner::Site(site) if site == SITE_ID => by_id(SITE_DRIVE_ID),
            Owner::Drive(id) => by_id(id),
            _ => None,
        };
        found.ok_or_else(|| ApiError::not_found(format!("no drive for {self}")))
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Owner::Me => f.write_str("/me"),
            Owner::User(id) => write!(f, "user {id:?}"),
            Owner::Drive(id) => write!(f, "drive id {id:?}"),
            Owner::Group(id) => write!(f, "group {id:?}"),
            Owner::Site(id) => write!(f, "site {id:?}"),
        }
    }
}

/// The drive with this id (a record's `drive_id`), or `404`.
pub fn drive_by_id(id: &str) -> Result<Drive, ApiError> {
    Owner::Drive(id.to_owned()).drive()
}
