//! What each collection the emulator serves allows: the properties its reference page
//! documents (the only names `$select`, `$filter` and `$orderby` take), the navigation
//! properties `$expand` takes, whether `$orderby` is documented, and the page size.

use super::query::bad_query;
use crate::errors::ApiError;

/// A resource type as its Graph reference page (`resources/*.md`) documents it.
#[derive(Debug)]
pub(crate) struct Resource {
    /// Graph's type name, as its error messages write it.
    pub(crate) type_name: &'static str,
    /// Its properties, structural and navigation alike.
    pub(crate) properties: &'static [&'static str],
    /// The navigation properties `$expand` may inline (and the emulator can).
    pub(crate) expand: &'static [&'static str],
    /// Whether the list call documents `$orderby`.
    pub(crate) order_by: bool,
    /// Whether the list call takes `$count` (the print job lists say they do not).
    pub(crate) count: bool,
    /// Server-driven page size: the most items one answer carries.
    pub(crate) page_size: usize,
}

impl Resource {
    /// `400` unless `name` is one of the type's properties.
    pub(crate) fn check_property(&self, name: &str) -> Result<(), ApiError> {
        if self.properties.contains(&name) {
            Ok(())
        } else {
            Err(self.unknown(name))
        }
    }

    /// `400` unless the first step of `path` is one of the type's properties (the steps
    /// below it are inside complex values the emulator does not describe).
    pub(crate) fn check_path(&self, path: &[String]) -> Result<(), ApiError> {
        match path.first() {
            Some(first) => self.check_property(first),
            None => Err(bad_query("an empty property path")),
        }
    }

    /// Graph's message for a name the type does not have.
    pub(crate) fn unknown(&self, name: &str) -> ApiError {
        bad_query(format!(
            "Could not find a property named '{name}' on type '{}'.",
            self.type_name
        ))
    }
}

/// The page size of the To Do and print collections.
pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;

/// `resources/printer.md`; list: `api/print-list-printers.md`.
pub(crate) const PRINTERS: Resource = Resource {
    type_name: "microsoft.graph.printer",
    properties: &[
        "id",
        "displayName",
        "manufacturer",
        "model",
        "isShared",
        "isAcceptingJobs",
        "hasPhysicalDevice",
        "registeredDateTime",
        "lastSeenDateTime",
        "status",
        "location",
        "defaults",
        "capabilities",
        "releaseMechanisms",
        "jobs",
        "shares",
        "connectors",
        "taskTriggers",
    ],
    expand: &[],
    order_by: false,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/printershare.md`; list: `api/print-list-shares.md`.
pub(crate) const SHARES: Resource = Resource {
    type_name: "microsoft.graph.printerShare",
    properties: &[
        "id",
        "displayName",
        "manufacturer",
        "model",
        "isAcceptingJobs",
        "createdDateTime",
        "status",
        "location",
        "defaults",
        "capabilities",
        "allowAllUsers",
        "viewPoint",
        "printer",
        "jobs",
        "allowedUsers",
        "allowedGroups",
    ],
    expand: &[],
    order_by: false,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/printjob.md`; list: `api/printer-list-jobs.md`, `api/printershare-list-jobs.md`
/// (`documents` only with `$expand=documents`; no `$count`, no `$search`).
pub(crate) const JOBS: Resource = Resource {
    type_name: "microsoft.graph.printJob",
    properties: &[
        "id",
        "displayName",
        "createdDateTime",
        "createdBy",
        "status",
        "configuration",
        "isFetchable",
        "redirectedFrom",
        "redirectedTo",
        "acknowledgedDateTime",
        "errorCode",
        "documents",
        "tasks",
    ],
    expand: &["documents"],
    order_by: true,
    // "Some operators are not supported: `$count`, `$search`."
    count: false,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/printdocument.md`; list: `api/printjob-list-documents.md`.
pub(crate) const DOCUMENTS: Resource = Resource {
    type_name: "microsoft.graph.printDocument",
    properties: &[
        "id",
        "displayName",
        "documentName",
        "contentType",
        "size",
        "uploadedDateTime",
        "configuration",
    ],
    expand: &[],
    order_by: false,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/todotasklist.md`; list: `api/todo-list-lists.md`.
pub(crate) const LISTS: Resource = Resource {
    type_name: "microsoft.graph.todoTaskList",
    properties: &[
        "id",
        "displayName",
        "isOwner",
        "isShared",
        "wellknownListName",
        "tasks",
        "extensions",
    ],
    expand: &[],
    order_by: false,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/todotask.md`; list: `api/todotasklist-list-tasks.md` (OData query parameters,
/// `$expand=attachments` among them).
pub(crate) const TASKS: Resource = Resource {
    type_name: "microsoft.graph.todoTask",
    properties: &[
        "id",
        "title",
        "body",
        "bodyLastModifiedDateTime",
        "categories",
        "completedDateTime",
        "createdDateTime",
        "dueDateTime",
        "hasAttachments",
        "importance",
        "isReminderOn",
        "lastModifiedDateTime",
        "recurrence",
        "reminderDateTime",
        "startDateTime",
        "status",
        "attachments",
        "attachmentSessions",
        "checklistItems",
        "extensions",
        "linkedResources",
    ],
    expand: &["attachments"],
    order_by: true,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/taskfileattachment.md`; list: `api/todotask-list-attachments.md`.
pub(crate) const TASK_ATTACHMENTS: Resource = Resource {
    type_name: "microsoft.graph.taskFileAttachment",
    properties: &[
        "id",
        "name",
        "contentType",
        "size",
        "lastModifiedDateTime",
        "contentBytes",
    ],
    expand: &[],
    order_by: false,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/attachmentsession.md`; list: `api/todotask-list-attachmentsessions.md`.
pub(crate) const ATTACHMENT_SESSIONS: Resource = Resource {
    type_name: "microsoft.graph.attachmentSession",
    properties: &["id", "content", "expirationDateTime", "nextExpectedRanges"],
    expand: &[],
    order_by: false,
    count: true,
    page_size: DEFAULT_PAGE_SIZE,
};

/// `resources/driveitem.md`; list: `api/driveitem-list-children.md` (OneDrive pages at 200).
pub(crate) const DRIVE_ITEMS: Resource = Resource {
    type_name: "microsoft.graph.driveItem",
    properties: &[
        "id",
        "name",
        "size",
        "eTag",
        "cTag",
        "file",
        "folder",
        "parentReference",
        "createdDateTime",
        "lastModifiedDateTime",
        "createdBy",
        "lastModifiedBy",
        "description",
        "webUrl",
        "webDavUrl",
        "fileSystemInfo",
        "root",
        "package",
        "deleted",
        "image",
        "photo",
        "video",
        "audio",
        "remoteItem",
        "shared",
        "specialFolder",
        "children",
        "permissions",
        "thumbnails",
        "versions",
    ],
    expand: &[],
    order_by: true,
    count: true,
    page_size: 200,
};

/// `resources/fileattachment.md`; list: `api/message-list-attachments.md`,
/// `api/event-list-attachments.md`. Outlook pages at 10 by default, as its lists do.
pub(crate) const OUTLOOK_ATTACHMENTS: Resource = Resource {
    type_name: "microsoft.graph.attachment",
    properties: &[
        "id",
        "name",
        "contentType",
        "size",
        "isInline",
        "lastModifiedDateTime",
        "contentBytes",
        "contentId",
        "contentLocation",
    ],
    expand: &[],
    order_by: true,
    count: true,
    page_size: 10,
};
