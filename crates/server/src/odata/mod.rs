//! OData on the emulator's Graph answers: system query options and server-driven paging on
//! every collection (`$top`, `$skip`, `$select`, `$filter`, `$orderby`, `$count`,
//! `$expand`, `$skiptoken`), `@odata.context` and Graph's JSON `Content-Type`.
//! Reference: <https://learn.microsoft.com/graph/query-parameters> and
//! <https://learn.microsoft.com/graph/paging>.

mod context;
mod filter;
mod headers;
mod page;
mod query;
mod spec;

pub(crate) use headers::annotate;
pub(crate) use page::{respond, to_values};
pub(crate) use query::ODataQuery;
pub(crate) use spec::{
    ATTACHMENT_SESSIONS, DOCUMENTS, DRIVE_ITEMS, JOBS, LISTS, OUTLOOK_ATTACHMENTS, PRINTERS,
    Resource, SHARES, TASK_ATTACHMENTS, TASKS,
};

/// Parses the query of `uri` for a collection of `resource` (`400` when Graph would refuse it).
pub(crate) fn query(
    uri: &axum::http::Uri,
    resource: &Resource,
) -> Result<ODataQuery, crate::errors::ApiError> {
    ODataQuery::parse(uri.query(), resource, uri.path().starts_with("/beta/"))
}
