//! How each Graph endpoint wants its bytes: fragment sizes, order, where to PUT, whether the PUT
//! carries the token, and the limits that are checked before anything is created.

use graph_upload_models::{
    DRIVE_MAX_FRAGMENT_SIZE, OUTLOOK_MAX_ATTACHMENT_SIZE, OUTLOOK_MAX_FRAGMENT_SIZE,
    PRINT_MAX_FRAGMENT_SIZE, TODO_MAX_ATTACHMENT_SIZE, TODO_MAX_FRAGMENT_SIZE,
};
use graph_upload_ranges::GRAPH_QUANTUM;
use std::fmt;

/// Per-endpoint upload rules. Start from [`EndpointProfile::print`],
/// [`EndpointProfile::todo`], [`EndpointProfile::drive`] or [`EndpointProfile::outlook`] (`docs/protocol.md` section 2) and adjust with the `with_*`
/// setters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointProfile {
    /// The endpoint's name in messages (`print`, `To Do`).
    pub name: &'static str,
    /// Fragment lengths are multiples of this (Graph: 320 KiB), except the last.
    pub quantum: u64,
    /// Largest fragment this upload sends per PUT (default: the endpoint's limit). With
    /// [`auto_fragment`](Self::auto_fragment) the ceiling of the adaptive size, else the size.
    pub max_fragment: u64,
    /// The endpoint's own limit per PUT (print: 10 MiB, To Do: 4 MiB); `max_fragment` may not
    /// exceed it.
    pub max_request: u64,
    /// The endpoint's largest file, when it has one (To Do: 25 MiB; print: printer-dependent).
    pub max_file: Option<u64>,
    /// Fragments in flight at once; 1 means strictly in order (To Do requires it). With
    /// [`auto_parallel`](Self::auto_parallel) the ceiling of the adaptive parallelism.
    pub parallel: usize,
    /// Whether the fragment size adapts to the link (the default; see [`crate::adaptive`]).
    /// [`with_max_fragment`](Self::with_max_fragment) fixes it.
    pub auto_fragment: bool,
    /// Whether the parallelism adapts to the link (the default; see [`crate::adaptive`]).
    /// [`with_parallel`](Self::with_parallel) fixes it.
    pub auto_parallel: bool,
    /// Appended to the upload URL for PUTs (To Do: `/content`; print: nothing).
    pub put_suffix: &'static str,
    /// Whether the PUTs and status GETs carry `Authorization: Bearer` (print: never, the URL
    /// is pre-authenticated; To Do: always).
    pub auth_on_upload_url: bool,
    /// `Content-Type` of the PUTs, when the endpoint wants one.
    pub put_content_type: Option<&'static str>,
}

impl EndpointProfile {
    /// Universal Print documents: fragments up to 10 MiB, up to 4 in parallel (both adaptive),
    /// the URL exactly as given, no token.
    pub fn print() -> Self {
        EndpointProfile {
            name: "print",
            quantum: GRAPH_QUANTUM,
            max_fragment: PRINT_MAX_FRAGMENT_SIZE,
            max_request: PRINT_MAX_FRAGMENT_SIZE,
            max_file: None,
            parallel: 4,
            auto_fragment: true,
            auto_parallel: true,
            put_suffix: "",
            auth_on_upload_url: false,
            put_content_type: None,
        }
    }

    /// To Do attachments: fragments up to 4 MiB (adaptive), in order, `{uploadUrl}/content`, with the token.
    pub fn todo() -> Self {
        EndpointProfile {
            name: "To Do",
            quantum: GRAPH_QUANTUM,
            max_fragment: TODO_MAX_FRAGMENT_SIZE,
            max_request: TODO_MAX_FRAGMENT_SIZE,
            max_file: Some(TODO_MAX_ATTACHMENT_SIZE),
            parallel: 1,
            auto_fragment: true,
            auto_parallel: true,
            put_suffix: "/content",
            auth_on_upload_url: true,
            put_content_type: Some("application/octet-stream"),
        }
    }

    /// OneDrive and SharePoint files: fragments in order up to 60 MiB less one quantum, to the
    /// pre-authenticated `{uploadUrl}` without the token (it may answer `401` to one). The file
    /// size is bounded by the drive's quota, which only the service knows.
    pub fn drive() -> Self {
        EndpointProfile {
            name: "drive",
            quantum: GRAPH_QUANTUM,
            max_fragment: DRIVE_MAX_FRAGMENT_SIZE,
            max_request: DRIVE_MAX_FRAGMENT_SIZE,
            max_file: None,
            parallel: 1,
            auto_fragment: true,
            auto_parallel: true,
            put_suffix: "",
            auth_on_upload_url: false,
            put_content_type: None,
        }
    }

    /// Outlook message and event attachments: fragments in order up to 4 MB, to the
    /// `{uploadUrl}` (it carries its own `authtoken`) without the token, as
    /// `application/octet-stream`; files up to 150 MB.
    pub fn outlook() -> Self {
        EndpointProfile {
            name: "Outlook",
            quantum: GRAPH_QUANTUM,
            max_fragment: OUTLOOK_MAX_FRAGMENT_SIZE,
            max_request: OUTLOOK_MAX_FRAGMENT_SIZE,
            max_file: Some(OUTLOOK_MAX_ATTACHMENT_SIZE),
            parallel: 1,
            auto_fragment: true,
            auto_parallel: true,
            put_suffix: "",
            auth_on_upload_url: false,
            put_content_type: Some("application/octet-stream"),
        }
    }

    /// The profile of a journal entry's destination (`print/...`, `todo/...`, `drive/...`,
    /// `outlook/...`), so that abandoning its session speaks that endpoint's rules.
    pub(crate) fn for_destination(destination: &str) -> Self {
        match destination.split('/').next() {
            Some("print") => Self::print(),
            Some("drive") => Self::drive(),
            Some("outlook") => Self::outlook(),
            _ => Self::todo(),
        }
    }

    /// Fixes the fragment size (rounded down to the quantum when planning): no adapting.
    pub fn with_max_fragment(mut self, bytes: u64) -> Self {
        self.max_fragment = bytes;
        self.auto_fragment = false;
        self
    }

    /// Fixes how many fragments may be in flight (values below 1 mean 1): no adapting.
    pub fn with_parallel(mut self, parallel: usize) -> Self {
        self.parallel = parallel.max(1);
        self.auto_parallel = false;
        self
    }

    /// Lets the fragment size adapt to the link, up to the endpoint's limit per request.
    pub fn with_auto_fragment(mut self) -> Self {
        self.max_fragment = self.max_request;
        self.auto_fragment = true;
        self
    }

    /// Lets the parallelism adapt to the link, up to `ceiling` fragments in flight (the
    /// endpoint's own limit: print 4, the others 1).
    pub fn with_auto_parallel(mut self, ceiling: usize) -> Self {
        self.parallel = ceiling.max(1);
        self.auto_parallel = true;
        self
    }

    /// Sets the quantum fragments are multiples of (Graph: 320 KiB).
    pub fn with_quantum(mut self, quantum: u64) -> Self {
        self.quantum = quantum;
        self
    }

    /// Sets the PUT target's suffix (`/content` for To Do).
    pub fn with_put_suffix(mut self, suffix: &'static str) -> Self {
        self.put_suffix = suffix;
        self
    }

    /// Sets whether PUTs and status reads carry the token.
    pub fn with_auth_on_upload_url(mut self, auth: bool) -> Self {
        self.auth_on_upload_url = auth;
        self
    }

    /// Sets the `Content-Type` of the PUTs.
    pub fn with_put_content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.put_content_type = content_type;
        self
    }

    /// Checks the fragment size against the quantum and the endpoint's per-PUT limit.
    pub fn check_fragment(&self) -> Result<(), LimitError> {
        if self.max_fragment < self.quantum.max(1) {
            return Err(LimitError::FragmentBelowQuantum {
                fragment: self.max_fragment,
                quantum: self.quantum,
            });
        }
        if self.max_fragment > self.max_request {
            return Err(LimitError::FragmentOverLimit {
                fragment: self.max_fragment,
                limit: self.max_request,
                endpoint: self.name,
            });
        }
        Ok(())
    }

    /// Checks a file of `size` bytes and the fragment size: everything that can be known before
    /// a request is sent.
    pub fn check(&self, size: u64) -> Result<(), LimitError> {
        self.check_fragment()?;
        match self.max_file {
            Some(limit) if size > limit => Err(LimitError::FileOverLimit {
                size,
                limit,
                endpoint: self.name,
            }),
            _ => Ok(()),
        }
    }
}

/// A fragment or file size the endpoint cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}", self.describe("fragment size"))]
pub enum LimitError {
    /// Fragments must hold at least one quantum (320 KiB).
    FragmentBelowQuantum {
        /// Requested fragment size.
        fragment: u64,
        /// The quantum.
        quantum: u64,
    },
    /// Fragments must fit the endpoint's per-request limit.
    FragmentOverLimit {
        /// Requested fragment size.
        fragment: u64,
        /// The endpoint's limit.
        limit: u64,
        /// Which endpoint.
        endpoint: &'static str,
    },
    /// The file is over the endpoint's size limit.
    FileOverLimit {
        /// File size.
        size: u64,
        /// The endpoint's limit.
        limit: u64,
        /// Which endpoint.
        endpoint: &'static str,
    },
}

impl LimitError {
    /// The message, naming the fragment size as `fragment` calls it (`fragment size` in the library,
    /// `--fragment-size` in the CLI): one wording for both.
    pub fn describe(&self, fragment: &str) -> String {
        match self {
            LimitError::FragmentBelowQuantum {
                fragment: size,
                quantum,
            } => format!(
                "{fragment} {} is below the {} that fragments are multiples of",
                Size(*size),
                Size(*quantum)
            ),
            LimitError::FragmentOverLimit {
                fragment: size,
                limit,
                endpoint,
            } => format!(
                "{fragment} {} is over {endpoint}'s {} per request",
                Size(*size),
                Size(*limit)
            ),
            LimitError::FileOverLimit {
                size,
                limit,
                endpoint,
            } => format!(
                "the file's {} is over {endpoint}'s {} limit",
                Size(*size),
                Size(*limit)
            ),
        }
    }
}

/// A byte count as people write it: `11 MiB`, `320 KiB`, `1000001 bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        for (unit, name) in UNITS {
            if self.0 >= unit && self.0.is_multiple_of(unit) {
                return write!(f, "{} {name}", self.0 / unit);
            }
        }
        if self.0 == 1 {
            f.write_str("1 byte")
        } else {
            write!(f, "{} bytes", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_sizes_are_checked_against_quantum_and_endpoint_limit() {
        let mib = 1024 * 1024;
        for bad in [0, 1, GRAPH_QUANTUM - 1] {
            let error = EndpointProfile::print()
                .with_max_fragment(bad)
                .check_fragment();
            assert!(
                matches!(error, Err(LimitError::FragmentBelowQuantum { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            EndpointProfile::print()
                .with_max_fragment(11 * mib)
                .check_fragment()
                .unwrap_err()
                .to_string(),
            "fragment size 11 MiB is over print's 10 MiB per request"
        );
        assert_eq!(
            EndpointProfile::todo()
                .with_max_fragment(5 * mib)
                .check_fragment()
                .unwrap_err()
                .to_string(),
            "fragment size 5 MiB is over To Do's 4 MiB per request"
        );
        assert!(
            EndpointProfile::print()
                .with_max_fragment(10 * mib)
                .check_fragment()
                .is_ok()
        );
        assert!(
            EndpointProfile::todo()
                .with_max_fragment(GRAPH_QUANTUM)
                .check_fragment()
                .is_ok()
        );
    }

    #[test]
    fn file_size_is_checked_where_the_endpoint_has_a_limit() {
        let todo = EndpointProfile::todo();
        assert!(todo.check(25 * 1024 * 1024).is_ok());
        assert_eq!(
            todo.check(25 * 1024 * 1024 + 1).unwrap_err().to_string(),
            "the file's 26214401 bytes is over To Do's 25 MiB limit"
        );
        assert!(EndpointProfile::print().check(1 << 40).is_ok());
    }

    #[test]
    fn drive_and_outlook_limits_are_checked_before_anything_is_sent() {
        let mib = 1024 * 1024;
        assert!(EndpointProfile::drive().check(1 << 40).is_ok());
        assert_eq!(
            EndpointProfile::drive()
                .with_max_fragment(60 * mib)
                .check_fragment()
                .unwrap_err()
                .to_string(),
            "fragment size 60 MiB is over drive's 61120 KiB per request"
        );
        let outlook = EndpointProfile::outlook();
        assert!(outlook.check(150_000_000).is_ok());
        assert!(matches!(
            outlook.check(150_000_001),
            Err(LimitError::FileOverLimit { .. })
        ));
        assert_eq!(outlook.put_content_type, Some("application/octet-stream"));
        assert!(!outlook.auth_on_upload_url && !EndpointProfile::drive().auth_on_upload_url);
        assert_eq!(
            EndpointProfile::for_destination("drive/me/drive/root:/a:"),
            EndpointProfile::drive()
        );
        assert_eq!(
            EndpointProfile::for_destination("outlook/me/messages/m"),
            EndpointProfile::outlook()
        );
    }

    #[test]
    fn sizes_print_in_the_largest_exact_unit() {
        assert_eq!(Size(327_680).to_string(), "320 KiB");
        assert_eq!(Size(11 * 1024 * 1024).to_string(), "11 MiB");
        assert_eq!(Size(1).to_string(), "1 byte");
        assert_eq!(Size(0).to_string(), "0 bytes");
        assert_eq!(Size(1_000_000).to_string(), "1000000 bytes");
    }
}
