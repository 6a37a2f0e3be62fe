//! Graph's envelope for lists: `{"value": [...], "@odata.nextLink": "..."}`.

use serde::{Deserialize, Serialize};

/// One page of a Graph collection, as returned by `GET /print/printers`, `GET /me/todo/lists`...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection<T> {
    /// Graph's metadata annotation; kept when present, never required.
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_context: Option<String>,
    /// The items of this page.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// URL of the next page; absent on the last page.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub next_link: Option<String>,
}

impl<T> Collection<T> {
    /// A single, complete page holding `value`.
    pub fn new(value: Vec<T>) -> Self {
        Collection {
            odata_context: None,
            value,
            next_link: None,
        }
    }
}

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Collection::new(Vec::new())
    }
}
