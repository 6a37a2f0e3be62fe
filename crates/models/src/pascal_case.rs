//! To Do answers intermediate PUTs in PascalCase (`NextExpectedRanges`); print in camelCase.
//!
//! Reading both is done with serde aliases in the generated types. Writing PascalCase, which
//! the emulator needs to answer like To Do, goes through [`PascalCase`].

use serde::{Serialize, Serializer};

/// Types that can also be written with PascalCase member names.
pub trait SerializePascalCase {
    /// Serializes `self` with every member name in PascalCase.
    fn serialize_pascal_case<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;
}

/// Serializes the wrapped value with PascalCase member names:
/// `serde_json::to_string(&PascalCase(&status))`.
#[derive(Debug, Clone, Copy)]
pub struct PascalCase<'a, T>(pub &'a T);

impl<T: SerializePascalCase> Serialize for PascalCase<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_pascal_case(serializer)
    }
}
