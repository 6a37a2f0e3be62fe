//! What the emulator counts for `GET /_emulator/stats`: requests by route and status, request
//! body bytes received, faults injected, and what happened to connections.

use crate::faults::FaultPlan;
use crate::route_kind::RouteKind;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters shared by the connection loop, the fault layer and the stats route.
#[derive(Debug, Default)]
pub struct Stats {
    /// `(route, status)` -> requests; status `"reset"` for a connection closed by a fault.
    requests: Mutex<BTreeMap<(RouteKind, String), u64>>,
    /// Request body bytes received, by [`RouteKind::index`].
    bytes: [AtomicU64; RouteKind::ALL.len()],
    /// Faults injected since the server started (across rule changes).
    faults_injected: AtomicU64,
    /// Connection events.
    pub connections: ConnectionCounters,
}

/// What happened to connections.
#[derive(Debug, Default)]
pub struct ConnectionCounters {
    /// Accepted since start.
    pub accepted: AtomicU64,
    /// Open now.
    pub open: AtomicU64,
    /// Times the connection limit was reached (new connections then wait).
    pub limit_reached: AtomicU64,
    /// Closed because their request headers did not arrive in time.
    pub header_timeouts: AtomicU64,
    /// Closed because they stayed idle between requests too long.
    pub idle_timeouts: AtomicU64,
    /// Closed because their TLS handshake failed (plain http to an https server, a client
    /// that does not trust the certificate).
    pub tls_failures: AtomicU64,
}

impl Stats {
    /// Counts one answered (or deliberately unanswered) request.
    pub fn record(&self, kind: RouteKind, status: &str) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *requests.entry((kind, status.to_owned())).or_default() += 1;
    }

    /// Counts `len` request body bytes of a `kind` request.
    pub fn received(&self, kind: RouteKind, len: u64) {
        self.bytes[kind.index()].fetch_add(len, Ordering::Relaxed);
    }

    /// Counts one injected fault.
    pub fn fault_injected(&self) {
        self.faults_injected.fetch_add(1, Ordering::Relaxed);
    }

    /// The JSON of `GET /_emulator/stats`, with the counters of the rules in force.
    pub fn snapshot(&self, faults: &FaultPlan) -> Value {
        let mut requests = Map::new();
        for ((kind, status), count) in self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
        {
            let by_status = requests
                .entry(kind.as_str())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(by_status) = by_status {
                by_status.insert(status.clone(), json!(count));
            }
        }
        let mut bytes = Map::new();
        let mut total = 0;
        for kind in RouteKind::ALL {
            let received = self.bytes[kind.index()].load(Ordering::Relaxed);
            total += received;
            if received > 0 {
                bytes.insert(kind.as_str().to_owned(), json!(received));
            }
        }
        bytes.insert("total".to_owned(), json!(total));
        let rules: Vec<Value> = faults
            .counts()
            .into_iter()
            .enumerate()
            .map(|(index, (rule, count))| {
                json!({
                    "rule": index,
                    "route": rule.route.as_str(),
                    "effect": rule.effect.kind(),
                    "detail": rule.effect.to_string(),
                    "matched": count.matched,
                    "fired": count.fired,
                })
            })
            .collect();
        let connections = &self.connections;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        json!({
            "requests": requests,
            "bytesReceived": bytes,
            "faults": {
                "injected": load(&self.faults_injected),
                "rules": rules,
            },
            "connections": {
                "accepted": load(&connections.accepted),
                "open": load(&connections.open),
                "limitReached": load(&connections.limit_reached),
                "headerTimeouts": load(&connections.header_timeouts),
                "idleTimeouts": load(&connections.idle_timeouts),
                "tlsHandshakeFailures": load(&connections.tls_failures),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultRule;

    #[test]
    fn snapshot_groups_requests_by_route_and_status() {
        let stats = Stats::default();
        stats.record(RouteKind::Put, "202");
        stats.record(RouteKind::Put, "202");
        stats.record(RouteKind::Put, "reset");
        stats.record(RouteKind::Create, "201");
        stats.received(RouteKind::Put, 100);
        stats.received(RouteKind::Create, 5);
        stats.fault_injected();
        let plan = FaultPlan::new(
            FaultRule::parse_list(br#"[{"route": "put", "every": 3, "action": "reset"}]"#).unwrap(),
            Some(1),
        );
        for _ in 0..3 {
            plan.decide(RouteKind::Put);
        }
        let snapshot = stats.snapshot(&plan);
        assert_eq!(
            snapshot["requests"],
            json!({"put": {"202": 2, "reset": 1}, "create": {"201": 1}})
        );
        assert_eq!(
            snapshot["bytesReceived"],
            json!({"put": 100, "create": 5, "total": 105})
        );
        assert_eq!(snapshot["faults"]["injected"], 1);
        assert_eq!(
            snapshot["faults"]["rules"],
            json!([{"rule": 0, "route": "put", "effect": "reset", "detail": "reset",
                    "matched": 3, "fired": 1}])
        );
        assert_eq!(snapshot["connections"]["open"], 0);
    }
}
