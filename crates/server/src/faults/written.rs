//! Fault rules as JSON, in Graph's casing: parsed and checked field against field, and
//! written back the same way (`GET /_emulator/faults`).

use super::{FaultEffect, FaultRoute, FaultRule, FaultTrigger};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// The longest `delayMs` accepted: ten minutes.
const MAX_DELAY_MS: u64 = 600_000;

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
}
