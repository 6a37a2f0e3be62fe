//! Fault rules (PROTOCOL.md section 8): which calls fail, how, and how often, so that clients
//! can test their retry handling against the emulator.
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

use crate::route_kind::RouteKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// The longest `delayMs` accepted: ten minutes.
const MAX_DELAY_MS: u64 = 600_000;

/// Which calls a rule applies to.
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
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultTrigger {
    /// With this probability (0 to 1) for each matching request.
    Probability(f64),
    /// On every Nth matching request (the Nth, the 2Nth...).
    Every(u64),
}

/// What a firing rule does to the request.
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
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The calls it applies to.
    pub route: FaultRoute,
    /// When it fires.
    pub trigger: FaultTrigger,
    /// What it does.
    pub effect: FaultEffect,
}

/// Why fault rules were refused; the message names the rule and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRulesError(String);

impl fmt::Display for FaultRulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultRulesError {}

/// `action` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Action {
    #[serde(rename = "reset")]
    Reset,
    #[serde(rename = "reset-after-body")]
    ResetAfterBody,
}

/// A rule as written, before its fields are checked against each other.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WrittenRule {
    #[serde(skip_serializing_if = "Option::is_none")]
    route: Option<FaultRoute>,
    #[serde(skip_serializing_if = "Option::is_none")]
    probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    every: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<u64>,
}

const EXAMPLE: &str = r#"[{"route": "put", "every": 3, "status": 503, "retryAfter": 1}]"#;

impl FaultRule {
    /// Parses and checks a JSON array of rules. Unknown fields, a missing route, no trigger or
    /// two, no effect or two, a probability outside 0 to 1, `every: 0`, a status outside
    /// 400 to 599 and `retryAfter` without `status` are refused, naming the rule.
    pub fn parse_list(json: &[u8]) -> Result<Vec<FaultRule>, FaultRulesError> {
        let values: Vec<serde_json::Value> = serde_json::from_slice(json).map_err(|error| {
            FaultRulesError(format!(
                "the fault rules are not a JSON array of rules ({error}); write for example {EXAMPLE}"
            ))
        })?;
        values
            .into_iter()
            .enumerate()
            .map(|(index, value)| {
                FaultRule::from_value(value)
                    .map_err(|problem| FaultRulesError(format!("rule {index}: {problem}")))
            })
            .collect()
    }

    fn from_value(value: serde_json::Value) -> Result<FaultRule, String> {
        if !value.is_object() {
            return Err(format!(
                "{value} is not an object; write for example {EXAMPLE}"
            ));
        }
        let written: WrittenRule = serde_json::from_value(value).map_err(|e| e.to_string())?;
        let route = written
            .route
            .ok_or("no `route`: give one of create, put, status, delete, start, any".to_owned())?;
        let trigger = match (written.probability, written.every) {
            (Some(_), Some(_)) => {
                return Err("both `probability` and `every`: give one trigger".into());
            }
            (None, None) => {
                return Err("no trigger: give `probability` (0 to 1) or `every` (N)".into());
            }
            (Some(p), None) if !(0.0..=1.0).contains(&p) => {
                return Err(format!("`probability` {p} is not between 0 and 1"));
            }
            (Some(p), None) => FaultTrigger::Probability(p),
            (None, Some(0)) => return Err("`every` must be at least 1".into()),
            (None, Some(n)) => FaultTrigger::Every(n),
        };
        let given = [
            written.status.is_some(),
            written.action.is_some(),
            written.delay_ms.is_some(),
        ];
        match given.iter().filter(|given| **given).count() {
            0 => {
                return Err(
                    "no effect: give `status` (with an optional `retryAfter`), `action` (reset or reset-after-body) or `delayMs`"
                        .into(),
                );
            }
            1 => {}
            _ => {
                return Err(
                    "more than one effect: give only one of `status`, `action` and `delayMs`"
                        .into(),
                );
            }
        }
        if written.retry_after.is_some() && written.status.is_none() {
            return Err("`retryAfter` goes only with `status`".into());
        }
        let effect = if let Some(status) = written.status {
            if !(400..=599).contains(&status) {
                return Err(format!(
                    "`status` {status} is not an error status (400 to 599)"
                ));
            }
            FaultEffect::Status {
                status,
                retry_after: written.retry_after,
            }
        } else if let Some(action) = written.action {
            match action {
                Action::Reset => FaultEffect::Reset,
                Action::ResetAfterBody => FaultEffect::ResetAfterBody,
            }
        } else {
            match written.delay_ms {
                Some(ms) if (1..=MAX_DELAY_MS).contains(&ms) => {
                    FaultEffect::Delay(Duration::from_millis(ms))
                }
                other => {
                    return Err(format!(
                        "`delayMs` {} is not between 1 and {MAX_DELAY_MS}",
                        other.unwrap_or(0)
                    ));
                }
            }
        };
        Ok(FaultRule {
            route,
            trigger,
            effect,
        })
    }

    fn written(&self) -> WrittenRule {
        let mut rule = WrittenRule {
            route: Some(self.route),
            ..WrittenRule::default()
        };
        match self.trigger {
            FaultTrigger::Probability(p) => rule.probability = Some(p),
            FaultTrigger::Every(n) => rule.every = Some(n),
        }
        match self.effect {
            FaultEffect::Status {
                status,
                retry_after,
            } => {
                rule.status = Some(status);
                rule.retry_after = retry_after;
            }
            FaultEffect::Reset => rule.action = Some(Action::Reset),
            FaultEffect::ResetAfterBody => rule.action = Some(Action::ResetAfterBody),
            FaultEffect::Delay(delay) => {
                rule.delay_ms = Some(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
            }
        }
        rule
    }
}

/// Written back in the JSON it is read from.
impl Serialize for FaultRule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.written().serialize(serializer)
    }
}

/// A rule that fired for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fired {
    /// Its position in the rules in force.
    pub rule: usize,
    /// What to do.
    pub effect: FaultEffect,
}

/// How often a rule in force matched and fired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RuleCount {
    /// Requests of its route since the rules were set.
    pub matched: u64,
    /// Faults it injected.
    pub fired: u64,
}

/// The rules in force, their counters and the random source of their `probability`
/// triggers, reseeded whenever the rules are replaced so that a run repeats.
#[derive(Debug)]
pub(crate) struct FaultPlan {
    seed: u64,
    state: Mutex<PlanState>,
}

#[derive(Debug)]
struct PlanState {
    rules: Vec<FaultRule>,
    counts: Vec<RuleCount>,
    random: fastrand::Rng,
}

impl FaultPlan {
    /// `rules` in force, with `seed` (or a random one) for the probabilities.
    pub fn new(rules: Vec<FaultRule>, seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(random_seed);
        FaultPlan {
            seed,
            state: Mutex::new(PlanState::new(rules, seed)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PlanState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Puts `rules` in force: counters start again and the probabilities are reseeded.
    pub fn replace(&self, rules: Vec<FaultRule>) {
        *self.lock() = PlanState::new(rules, self.seed);
    }

    /// The rules in force.
    pub fn rules(&self) -> Vec<FaultRule> {
        self.lock().rules.clone()
    }

    /// The rules in force with their counters.
    pub fn counts(&self) -> Vec<(FaultRule, RuleCount)> {
        let state = self.lock();
        state
            .rules
            .iter()
            .cloned()
            .zip(state.counts.iter().copied())
            .collect()
    }

    /// Decides the fate of one request of `kind`. Every rule whose route matches counts the
    /// request (its `every` counter advances, its `probability` draw is made, in rule order),
    /// and the first of them that fires applies.
    pub fn decide(&self, kind: RouteKind) -> Option<Fired> {
        let mut state = self.lock();
        let PlanState {
            rules,
            counts,
            random,
        } = &mut *state;
        let mut fired = None;
        for (index, (rule, count)) in rules.iter().zip(counts.iter_mut()).enumerate() {
            if !rule.route.matches(kind) {
                continue;
            }
            count.matched += 1;
            let fires = match rule.trigger {
                FaultTrigger::Every(n) => count.matched % n == 0,
                FaultTrigger::Probability(p) => random.f64() < p,
            };
            if fires && fired.is_none() {
                count.fired += 1;
                fired = Some(Fired {
                    rule: index,
                    effect: rule.effect,
                });
            }
        }
        fired
    }
}

impl PlanState {
    fn new(rules: Vec<FaultRule>, seed: u64) -> Self {
        PlanState {
            counts: vec![RuleCount::default(); rules.len()],
            rules,
            random: fastrand::Rng::with_seed(seed),
        }
    }
}

fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    // Without OS randomness the runs are merely repeatable, which is harmless.
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Vec<FaultRule>, String> {
        FaultRule::parse_list(json.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn the_protocol_example_parses_and_writes_back_the_same() {
        let json = r#"[
          {"route": "put",    "probability": 0.2, "status": 503, "retryAfter": 1},
          {"route": "create", "every": 3,         "status": 429, "retryAfter": 2},
          {"route": "put",    "probability": 0.05, "action": "reset"},
          {"route": "put",    "probability": 0.05, "action": "reset-after-body"},
          {"route": "status", "probability": 0.1, "delayMs": 1500}
        ]"#;
        let rules = parse(json).unwrap();
        assert_eq!(
            rules[1],
            FaultRule {
                route: FaultRoute::Create,
                trigger: FaultTrigger::Every(3),
                effect: FaultEffect::Status {
                    status: 429,
                    retry_after: Some(2)
                },
            }
        );
        assert_eq!(rules[2].effect, FaultEffect::Reset);
        assert_eq!(rules[3].effect, FaultEffect::ResetAfterBody);
        assert_eq!(
            rules[4].effect,
            FaultEffect::Delay(Duration::from_millis(1500))
        );
        let written = serde_json::to_value(&rules).unwrap();
        let original: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(written, original);
        assert_eq!(parse("[]").unwrap(), vec![]);
    }

    #[test]
    fn bad_rules_are_refused_naming_the_rule_and_the_problem() {
        let ok = r#"{"route": "put", "every": 1, "status": 503}"#;
        let cases = [
            ("{}", "not a JSON array"),
            ("[1]", "rule 0: 1 is not an object"),
            ("not json", "not a JSON array"),
            (
                r#"[{"route": "put", "every": 1, "status": 503, "colour": 1}]"#,
                "rule 0: unknown field `colour`",
            ),
            (r#"[{"every": 1, "status": 503}]"#, "rule 0: no `route`"),
            (
                r#"[{"route": "upload", "every": 1, "status": 503}]"#,
                "rule 0: unknown variant `upload`",
            ),
            (
                r#"[{"route": "put", "every": 1, "probability": 0.5, "status": 503}]"#,
                "both `probability` and `every`",
            ),
            (r#"[{"route": "put", "status": 503}]"#, "no trigger"),
            (r#"[{"route": "put", "every": 2}]"#, "no effect"),
            (
                r#"[{"route": "put", "every": 2, "status": 503, "delayMs": 5}]"#,
                "more than one effect",
            ),
            (
                r#"[{"route": "put", "probability": 1.5, "status": 503}]"#,
                "`probability` 1.5 is not between 0 and 1",
            ),
            (
                r#"[{"route": "put", "probability": -0.1, "status": 503}]"#,
                "not between 0 and 1",
            ),
            (
                r#"[{"route": "put", "every": 0, "status": 503}]"#,
                "`every` must be at least 1",
            ),
            (
                r#"[{"route": "put", "every": -1, "status": 503}]"#,
                "invalid value: integer `-1`",
            ),
            (
                r#"[{"route": "put", "every": 1, "status": 200}]"#,
                "`status` 200 is not an error status",
            ),
            (
                r#"[{"route": "put", "every": 1, "action": "reset", "retryAfter": 1}]"#,
                "`retryAfter` goes only with `status`",
            ),
            (
                r#"[{"route": "put", "every": 1, "action": "explode"}]"#,
                "unknown variant `explode`",
            ),
            (
                r#"[{"route": "put", "every": 1, "delayMs": 0}]"#,
                "`delayMs` 0 is not between 1",
            ),
        ];
        for (json, expected) in cases {
            let error = parse(json).unwrap_err();
            assert!(
                error.contains(expected),
                "{json}: {error:?} does not say {expected:?}"
            );
        }
        // The index is the failing rule's, not the first one's.
        let error = parse(&format!(r#"[{ok}, {ok}, {{"route": "put"}}]"#)).unwrap_err();
        assert!(error.starts_with("rule 2: "), "{error}");
    }

    fn plan(json: &str, seed: u64) -> FaultPlan {
        FaultPlan::new(parse(json).unwrap(), Some(seed))
    }

    #[test]
    fn every_fires_on_exactly_every_nth_matching_request() {
        let plan = plan(r#"[{"route": "put", "every": 3, "status": 503}]"#, 1);
        let mut fired = Vec::new();
        for request in 1..=10 {
            // Requests of other routes do not count.
            assert_eq!(plan.decide(RouteKind::Status), None);
            if plan.decide(RouteKind::Put).is_some() {
                fired.push(request);
            }
        }
        assert_eq!(fired, vec![3, 6, 9]);
        assert_eq!(
            plan.counts()[0].1,
            RuleCount {
                matched: 10,
                fired: 3
            }
        );
        // Replacing the rules starts the count again.
        plan.replace(parse(r#"[{"route": "any", "every": 2, "action": "reset"}]"#).unwrap());
        assert_eq!(plan.decide(RouteKind::Create), None);
        assert_eq!(
            plan.decide(RouteKind::Put),
            Some(Fired {
                rule: 0,
                effect: FaultEffect::Reset
            })
        );
        // `any` never touches the emulator's own routes.
        assert_eq!(plan.decide(RouteKind::Emulator), None);
        assert_eq!(plan.decide(RouteKind::Emulator), None);
    }

    #[test]
    fn probability_draws_repeat_with_the_same_seed() {
        let json = r#"[{"route": "put", "probability": 0.3, "status": 503}]"#;
        let run = |seed| -> Vec<bool> {
            let plan = plan(json, seed);
            (0..200)
                .map(|_| plan.decide(RouteKind::Put).is_some())
                .collect()
        };
        let first = run(42);
        assert_eq!(first, run(42));
        assert_ne!(first, run(43));
        let fired = first.iter().filter(|f| **f).count();
        assert!((30..=90).contains(&fired), "{fired} of 200 at p = 0.3");
        // Replacing the rules reseeds: the same sequence again.
        let plan = plan(json, 42);
        let again: Vec<bool> = (0..200)
            .map(|_| plan.decide(RouteKind::Put).is_some())
            .collect();
        plan.replace(parse(json).unwrap());
        let after: Vec<bool> = (0..200)
            .map(|_| plan.decide(RouteKind::Put).is_some())
            .collect();
        assert_eq!(again, after);
    }

    #[test]
    fn probability_zero_never_fires_and_one_always_does() {
        let plan = plan(
            r#"[{"route": "any", "probability": 0, "status": 500},
                {"route": "any", "probability": 1, "delayMs": 5}]"#,
            7,
        );
        for _ in 0..100 {
            assert_eq!(
                plan.decide(RouteKind::Other).map(|f| f.rule),
                Some(1),
                "rule 0 never fires, rule 1 always"
            );
        }
    }

    #[test]
    fn the_first_firing_rule_wins_and_every_matching_rule_counts() {
        let plan = plan(
            r#"[{"route": "put", "every": 2, "status": 429},
                {"route": "put", "every": 1, "action": "reset"}]"#,
            1,
        );
        let rules: Vec<usize> = (0..4)
            .filter_map(|_| plan.decide(RouteKind::Put).map(|f| f.rule))
            .collect();
        assert_eq!(rules, vec![1, 0, 1, 0]);
        let counts: Vec<RuleCount> = plan.counts().into_iter().map(|(_, c)| c).collect();
        assert_eq!(counts[0].matched, 4);
        assert_eq!(counts[1].matched, 4);
        assert_eq!(counts[1].fired, 2);
    }
}
