//! OData on the emulator's collections, over loopback: the system query options
//! (<https://learn.microsoft.com/graph/query-parameters>), server-driven paging
//! (<https://learn.microsoft.com/graph/paging>), the annotations and headers of Graph's JSON
//! answers, and `415` for a body that is not JSON.

mod errors;
mod headers;
mod options;
mod paging;
mod support;
