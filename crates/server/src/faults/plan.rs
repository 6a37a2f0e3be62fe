//! The rules in force: which rule fires for a request, counted per rule, with the random
//! draws of `probability` triggers seeded so that a run repeats.

use super::{FaultEffect, FaultRule, FaultTrigger};
use crate::route_kind::RouteKind;
use std::sync::Mutex;

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
                FaultTrigger::Every(n) => count.matched.checked_rem(n) == Some(0),
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

    fn parse(json: &str) -> Vec<FaultRule> {
        FaultRule::parse_list(json.as_bytes()).unwrap()
    }

    fn plan(json: &str, seed: u64) -> FaultPlan {
        FaultPlan::new(parse(json), Some(seed))
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
        plan.replace(parse(
            r#"[{"route": "any", "every": 2, "action": "reset"}]"#,
        ));
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
    fn rules_built_in_code_that_json_would_refuse_never_fire_and_never_panic() {
        use super::super::FaultRoute;
        let plan = FaultPlan::new(
            vec![
                FaultRule::new(FaultRoute::Put, FaultTrigger::Every(0), FaultEffect::Reset),
                FaultRule::new(
                    FaultRoute::Put,
                    FaultTrigger::Probability(f64::NAN),
                    FaultEffect::Reset,
                ),
            ],
            Some(3),
        );
        for _ in 0..10 {
            assert_eq!(plan.decide(RouteKind::Put), None);
        }
        assert_eq!(plan.counts()[0].1.matched, 10);
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
        plan.replace(parse(json));
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
