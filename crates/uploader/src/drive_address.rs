//! Where a OneDrive or SharePoint file goes: whose drive ([`DriveOwner`]) and where in it
//! ([`DriveLocation`]), written as Graph's `.../drive/root:/{path}:` or
//! `.../items/{parentId}:/{name}:` address with every segment percent-encoded.

use crate::error::{InvalidInput, UploadError};
pub(crate) use crate::path_segment::encode;

/// Whose drive: the signed-in user's, another user's, a drive by id, a group's or a site's
/// default document library.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriveOwner {
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

impl DriveOwner {
    /// The drive's path under the Graph base URL (`/me/drive`, `/drives/{id}`...).
    pub fn drive_path(&self) -> String {
        match self {
            DriveOwner::Me => "/me/drive".into(),
            DriveOwner::User(id) => format!("/users/{}/drive", encode(id)),
            DriveOwner::Drive(id) => format!("/drives/{}", encode(id)),
            DriveOwner::Group(id) => format!("/groups/{}/drive", encode(id)),
            DriveOwner::Site(id) => format!("/sites/{}/drive", encode(id)),
        }
    }
}

/// Where in the drive: a path from the root, or a name in a folder known by id.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriveLocation {
    /// A path from the drive's root, `/Documents/report.pdf` (the last segment is the name).
    Path(String),
    /// A file `name` in the folder `parent_id`.
    Child {
        /// The folder's item id.
        parent_id: String,
        /// The file's name.
        name: String,
    },
}

impl DriveLocation {
    /// A path from the drive's root (`/Documents/report.pdf`).
    pub fn path(path: impl Into<String>) -> Self {
        DriveLocation::Path(path.into())
    }

    /// A file `name` in the folder with item id `parent_id`.
    pub fn child(parent_id: impl Into<String>, name: impl Into<String>) -> Self {
        DriveLocation::Child {
            parent_id: parent_id.into(),
            name: name.into(),
        }
    }

    /// The item's address under `owner`, ending in `:` (append `/createUploadSession`).
    /// Empty names and `.` or `..` segments are refused: nothing is sent.
    pub fn address(&self, owner: &DriveOwner) -> Result<String, UploadError> {
        let drive = owner.drive_path();
        match self {
            DriveLocation::Path(path) => {
                let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
                for segment in &segments {
                    check_name(segment)?;
                }
                let encoded: Vec<String> = segments.iter().map(|s| encode(s)).collect();
                Ok(format!("{drive}/root:/{}:", encoded.join("/")))
            }
            DriveLocation::Child { parent_id, name } => {
                if parent_id.is_empty() {
                    return Err(
                        InvalidInput::Unsupported("a drive folder id must not be empty").into(),
                    );
                }
                check_name(name)?;
                Ok(format!(
                    "{drive}/items/{}:/{}:",
                    encode(parent_id),
                    encode(name)
                ))
            }
        }
    }
}

fn check_name(segment: &str) -> Result<(), UploadError> {
    match segment {
        "" => Err(InvalidInput::Unsupported(
            "a drive path needs a file name and no empty segments",
        )
        .into()),
        "." | ".." => {
            Err(InvalidInput::Unsupported("a drive path may not hold `.` or `..` segments").into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_owner_and_both_locations_make_graph_addresses() {
        let path = DriveLocation::path("/Documents/report.pdf");
        let cases = [
            (DriveOwner::Me, "/me/drive"),
            (DriveOwner::User("u-1".into()), "/users/u-1/drive"),
            (DriveOwner::Drive("b!x".into()), "/drives/b%21x"),
            (DriveOwner::Group("g".into()), "/groups/g/drive"),
            (DriveOwner::Site("s".into()), "/sites/s/drive"),
        ];
        for (owner, prefix) in cases {
            assert_eq!(
                path.address(&owner).unwrap(),
                format!("{prefix}/root:/Documents/report.pdf:")
            );
        }
        assert_eq!(
            DriveLocation::child("01ABC", "a b#c?.pdf")
                .address(&DriveOwner::Me)
                .unwrap(),
            "/me/drive/items/01ABC:/a%20b%23c%3F.pdf:"
        );
        assert_eq!(
            DriveLocation::path("Dossier/été 100%.txt")
                .address(&DriveOwner::Me)
                .unwrap(),
            "/me/drive/root:/Dossier/%C3%A9t%C3%A9%20100%25.txt:"
        );
    }

    #[test]
    fn empty_and_dot_segments_are_refused() {
        for bad in ["", "/", "/a//b.txt", "/../x", "/a/./b", "a/.."] {
            assert!(
                DriveLocation::path(bad).address(&DriveOwner::Me).is_err(),
                "{bad:?}"
            );
        }
        assert!(
            DriveLocation::child("", "a")
                .address(&DriveOwner::Me)
                .is_err()
        );
        assert!(
            DriveLocation::child("p", "..")
                .address(&DriveOwner::Me)
                .is_err()
        );
    }
}
