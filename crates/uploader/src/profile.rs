//! How each Graph endpoint wants its bytes: chunk sizes, order, where to PUT, whether the PUT
//! carries the token.

use graph_upload_ranges::GRAPH_QUANTUM;

/// Per-endpoint upload rules. The defaults follow PROTOCOL.md; every field can be overridden.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointProfile {
    /// Chunk lengths are multiples of this (Graph: 320 KiB), except the last.
    pub quantum: u64,
    /// Largest chunk per PUT (print: 10 MiB, To Do: 4 MiB).
    pub max_chunk: u64,
    /// Chunks in flight at once; 1 means strictly in order (To Do requires it).
    pub parallel: usize,
    /// Appended to the upload URL for PUTs (To Do: `/content`; print: nothing).
    pub put_suffix: &'static str,
    /// Whether the PUTs and status GETs carry `Authorization: Bearer` (print: never, the URL
    /// is pre-authenticated; To Do: always).
    pub auth_on_upload_url: bool,
    /// `Content-Type` of the PUTs, when the endpoint wants one.
    pub put_content_type: Option<&'static str>,
}

impl EndpointProfile {
    /// Universal Print documents: 10 MiB chunks, 4 in parallel, the URL exactly as given, no
    /// token.
    pub fn print() -> Self {
        EndpointProfile {
            quantum: GRAPH_QUANTUM,
            max_chunk: 10 * 1024 * 1024,
            parallel: 4,
            put_suffix: "",
            auth_on_upload_url: false,
            put_content_type: None,
        }
    }

    /// To Do attachments: 4 MiB chunks, in order, `{uploadUrl}/content`, with the token.
    pub fn todo() -> Self {
        EndpointProfile {
            quantum: GRAPH_QUANTUM,
            max_chunk: 4 * 1024 * 1024,
            parallel: 1,
            put_suffix: "/content",
            auth_on_upload_url: true,
            put_content_type: Some("application/octet-stream"),
        }
    }

    /// Sets the largest chunk (rounded down to the quantum when planning).
    pub fn with_max_chunk(mut self, bytes: u64) -> Self {
        self.max_chunk = bytes;
        self
    }

    /// Sets how many chunks may be in flight (values below 1 mean 1).
    pub fn with_parallel(mut self, parallel: usize) -> Self {
        self.parallel = parallel.max(1);
        self
    }
}
