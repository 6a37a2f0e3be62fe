//! What one fuzz case is: a request described with placeholders for the ids of the live
//! sessions it may aim at, filled in when the case is turned into a request.

/// Live jobs and sessions the placeholders name.
pub(super) const LIVE: usize = 2;

/// One request, with placeholders for the ids of the live sessions it may aim at.
#[derive(Debug, Clone)]
pub(super) struct Case {
    /// `None`: the method the target is made for.
    pub(super) method: Option<String>,
    pub(super) target: Target,
    pub(super) query: Query,
    pub(super) auth: Auth,
    pub(super) content_type: Option<Vec<u8>>,
    pub(super) content_range: Range,
    pub(super) content_length: Length,
    pub(super) extra: Vec<(&'static str, Vec<u8>)>,
    pub(super) body: Body,
    /// Which live job and sessions the placeholders name.
    pub(super) live: usize,
}

#[derive(Debug, Clone)]
pub(super) enum Target {
    /// One of Graph's paths (with placeholders), under a prefix, its literals cased somehow,
    /// its placeholders filled in order by `ids`.
    Route {
        prefix: &'static str,
        template: &'static str,
        casing: Casing,
        ids: Vec<Id>,
    },
    /// A live session's upload URL (To Do: `/content` or not), then `suffix`.
    Upload {
        todo: bool,
        id: Id,
        content: bool,
        suffix: &'static str,
    },
    /// A path as is.
    Raw(String),
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Casing {
    AsIs,
    Upper,
    Lower,
    Capitalized,
}

/// A path id: the one the live state has there, a job that finished before (canceled or
/// uploaded), or something else.
#[derive(Debug, Clone)]
pub(super) enum Id {
    Right,
    Retired,
    Other(String),
}

#[derive(Debug, Clone)]
pub(super) enum Query {
    /// What the target needs: the `tempauthtoken` on print upload URLs, nothing elsewhere.
    Natural,
    None,
    /// The live print session's `tempauthtoken`.
    Token,
    /// That token, changed.
    Tampered(u8),
    /// The token of the other live session.
    OtherToken,
    Raw(String),
}

#[derive(Debug, Clone)]
pub(super) enum Auth {
    /// What the target needs: nothing for print upload URLs, the bearer token elsewhere.
    Natural,
    None,
    Right,
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
pub(super) enum Range {
    None,
    /// A span of the live session's size (`bytes */0` for an empty file).
    Fit {
        start: u64,
        len: u64,
    },
    Numbers(u64, u64, u64, &'static str),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
pub(super) enum Length {
    /// The body's real length.
    Match,
    Absent,
    Number(u64),
    Raw(Vec<u8>),
}

#[derive(Debug, Clone)]
pub(super) enum Body {
    Bytes(Vec<u8>),
    Text(String),
    /// As many bytes as the `Fit` range names.
    Fit(u8),
    /// Over the 8 MiB JSON limit.
    Huge,
}
