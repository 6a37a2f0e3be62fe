//! Fault rules (`docs/protocol.md` section 8): which calls fail, how, and how often, so that
//! clients can test their retry handling against the emulator.
//!
//! A rule names a route, one trigger and one effect, in Graph's JSON casing:
//!
//! ```
//! use graph_upload_server::FaultRule;
//!
//! let rules = FaultRule::parse_list(br#"[
//!     {"route": "put", "probability": 0.2, "status": 503, "retryAfter": 1},
//!     {"route": "create", "every": 3, "status": 429, "retryAfter": 2},
//!     {"route": "put", "probability": 0.05, "action": "reset"},
//!     {"route": "status", "probability": 0.1, "delayMs": 1500}
//! ]"#).unwrap();
//! assert_eq!(rules.len(), 4);
//! assert!(FaultRule::parse_list(br#"[{"route": "put", "every": 0, "status": 503}]"#).is_err());
//! ```

mod plan;
mod written;

pub(crate) use plan::{FaultPlan, Fired};
pub use written::FaultRulesError;

use crate::route_kind::RouteKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Which calls a rule applies to.
///
/// The rule types are `#[non_exhaustive]`: `docs/protocol.md` section 8 grows with the
/// emulator (routes of more upload sessions, more effects), and a new one must not break a
/// match.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultRoute {
    /// `createUploadSession` and the print job, To Do task and attachment creates.
    Create,
    /// Fragment `PUT`s (print `/uploadSessions/{id}`, To Do `.../content`).
    Put,
    /// `GET` of an upload session.
    Status,
    /// `DELETE` calls.
    Delete,
    /// Starting a print job.
    Start,
    /// Every Graph call (never the emulator's own `/_emulator/...` routes).
    Any,
}

impl FaultRoute {
    /// Whether a request of `kind` is one of this route's.
    pub(crate) fn matches(self, kind: RouteKind) -> bool {
        match self {
            FaultRoute::Create => kind == RouteKind::Create,
            FaultRoute::Put => kind == RouteKind::Put,
            FaultRoute::Status => kind == RouteKind::Status,
            FaultRoute::Delete => kind == RouteKind::Delete,
            FaultRoute::Start => kind == RouteKind::Start,
            FaultRoute::Any => kind != RouteKind::Emulator,
        }
    }

    /// The name rules use.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultRoute::Create => "create",
            FaultRoute::Put => "put",
            FaultRoute::Status => "status",
            FaultRoute::Delete => "delete",
            FaultRoute::Start => "start",
            FaultRoute::Any => "any",
        }
    }
}

/// When a rule fires.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultTrigger {
    /// With this probability (0 to 1) for each matching request.
    Probability(f64),
    /// On every Nth matching request (the Nth, the 2Nth...).
    Every(u64),
}

/// What a firing rule does to the request.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultEffect {
    /// Answers this status with Graph's error JSON (`tooManyRequests` for 429,
    /// `serviceNotAvailable` for 503) and, when given, `Retry-After` in seconds. The request
    /// body is read and discarded: nothing is stored.
    Status {
        /// 400 to 599.
        status: u16,
        /// Seconds for `Retry-After`.
        retry_after: Option<u64>,
    },
    /// Closes the connection (with a TCP reset) before the body is read: nothing is stored,
    /// no answer.
    Reset,
    /// Lets the call do its work (a fragment is stored and recorded), then closes the
    /// connection without an answer.
    ResetAfterBody,
    /// Lets the call do its work, then answers this much later.
    Delay(Duration),
}

impl fmt::Display for FaultEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultEffect::Status {
                status,
                retry_after: Some(seconds),
            } => write!(f, "status {status}, Retry-After {seconds}"),
            FaultEffect::Status { status, .. } => write!(f, "status {status}"),
            FaultEffect::Reset => f.write_str("reset"),
            FaultEffect::ResetAfterBody => f.write_str("reset-after-body"),
            FaultEffect::Delay(delay) => write!(f, "delay {} ms", delay.as_millis()),
        }
    }
}

impl FaultEffect {
    /// A short name, the same for every rule with this kind of effect: `status`, `reset`,
    /// `reset-after-body`, `delay`.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultEffect::Status { .. } => "status",
            FaultEffect::Reset => "reset",
            FaultEffect::ResetAfterBody => "reset-after-body",
            FaultEffect::Delay(_) => "delay",
        }
    }
}

/// One fault rule: the calls it applies to, when it fires, what it does.
///
/// Rules are usually read from JSON ([`FaultRule::parse_list`]); [`FaultRule::new`] builds
/// one in code (the struct is `#[non_exhaustive]`: a rule may gain settings).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The calls it applies to.
    pub route: FaultRoute,
    /// When it fires.
    pub trigger: FaultTrigger,
    /// What it does.
    pub effect: FaultEffect,
}

impl FaultRule {
    /// A rule for `route` that does `effect` when `trigger` fires. Unlike
    /// [`parse_list`](Self::parse_list) it checks nothing: a probability outside 0 to 1 is
    /// taken as never (below 0) or always (above 1), `Every(0)` as never.
    pub fn new(route: FaultRoute, trigger: FaultTrigger, effect: FaultEffect) -> Self {
        FaultRule {
            route,
            trigger,
            effect,
        }
    }
}
