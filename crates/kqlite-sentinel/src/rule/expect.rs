//! Expectations about what a rule raises, for detection tests whose query
//! is a rule file (`query = "rule.yaml"`):
//!
//! ```toml
//! expect.fires = true                 # the result count passes the threshold
//! expect.alerts = 2                   # alerts raised (0 when it does not fire)
//! expect.entities = [                 # entities some alert must hold
//!   { type = "Account", Name = "alice", UPNSuffix = "contoso.com" },
//!   { type = "IP", Address = "198.51.100.7" },
//! ]
//! expect.custom_details = { Country = ["NL"] }   # values some alert lists
//! ```
//!
//! An expected entity matches an alert's entity of the same `type` (case
//! ignored) whose identifiers include every one it names (names
//! case-insensitive, values exact, as text). Each expected custom-detail
//! value must be among the values the alerts list for that key.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::alerts::{Entity, RuleOutcome};

/// What a test expects a rule to raise; every part is optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertExpectations<'a> {
    /// `expect.fires`.
    pub fires: Option<bool>,
    /// `expect.alerts`.
    pub alerts: Option<usize>,
    /// `expect.entities`.
    pub entities: &'a [toml::Table],
    /// `expect.custom_details`.
    pub custom_details: Option<&'a BTreeMap<String, Vec<toml::Value>>>,
}

impl AlertExpectations<'_> {
    /// Whether nothing is expected.
    pub fn is_empty(&self) -> bool {
        self.fires.is_none()
            && self.alerts.is_none()
            && self.entities.is_empty()
            && self.custom_details.is_none_or(BTreeMap::is_empty)
    }

    /// The keys given, for the error when the query is not a rule file.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        if self.fires.is_some() {
            keys.push("expect.fires");
        }
        if self.alerts.is_some() {
            keys.push("expect.alerts");
        }
        if !self.entities.is_empty() {
            keys.push("expect.entities");
        }
        if !self.custom_details.is_none_or(BTreeMap::is_empty) {
            keys.push("expect.custom_details");
        }
        keys
    }

    /// The failed expectations, each explained, with what was raised.
    pub fn check(&self, outcome: &RuleOutcome) -> Vec<String> {
        let mut failures = Vec::new();
        if let Some(fires) = self.fires {
            if fires != outcome.fires {
                failures.push(format!(
                    "expected the rule {}, but it {}: {} result row(s), trigger {} {}",
                    if fires { "to fire" } else { "not to fire" },
                    if outcome.fires {
                        "fires"
                    } else {
                        "does not fire"
                    },
                    outcome.result_count,
                    outcome.trigger.operator.short_name(),
                    outcome.trigger.threshold
                ));
            }
        }
        if let Some(want) = self.alerts {
            let got = outcome.alerts.len();
            if want != got {
                failures.push(format!(
                    "expected {want} alert(s), got {got} ({}, {} result row(s){})",
                    outcome.aggregation.name(),
                    outcome.result_count,
                    if outcome.fires {
                        ""
                    } else {
                        ", rule does not fire"
                    }
                ));
            }
        }
        let raised: Vec<&Entity> = outcome.alerts.iter().flat_map(|a| &a.entities).collect();
        for expected in self.entities {
            match entity_matcher(expected) {
                Err(message) => failures.push(message),
                Ok((ty, ids)) => {
                    let found = raised.iter().any(|e| {
                        e.entity_type.eq_ignore_ascii_case(&ty)
                            && ids.iter().all(|(k, v)| e.identifier(k) == Some(v.as_str()))
                    });
                    if !found {
                        failures.push(missing_entity(expected, &raised));
                    }
                }
            }
        }
        for (key, values) in self.custom_details.into_iter().flatten() {
            let listed: Vec<&String> = outcome
                .alerts
                .iter()
                .flat_map(|a| &a.custom_details)
                .filter(|(k, _)| k == key)
                .flat_map(|(_, vs)| vs)
                .collect();
            for v in values {
                let want = text(v);
                if !listed.iter().any(|l| **l == want) {
                    failures.push(format!(
                        "custom detail `{key}` lacks {want:?}; the alerts list {listed:?}"
                    ));
                }
            }
        }
        failures
    }
}

/// The type and identifiers of an expected entity.
type Matcher = (String, Vec<(String, String)>);

fn entity_matcher(expected: &toml::Table) -> Result<Matcher, String> {
    let ty = match expected.get("type") {
        Some(toml::Value::String(s)) => s.clone(),
        _ => {
            return Err(format!(
                "expected entity {} needs a `type`, e.g. type = \"Account\"",
                show_table(expected)
            ))
        }
    };
    let ids = expected
        .iter()
        .filter(|(k, _)| k.as_str() != "type")
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    Ok((ty, ids))
}

fn missing_entity(expected: &toml::Table, raised: &[&Entity]) -> String {
    let mut out = format!("missing entity {}", show_table(expected));
    if raised.is_empty() {
        out.push_str("\n  the alerts hold no entities");
    } else {
        out.push_str("\n  entities raised:");
        for e in raised.iter().take(20) {
            let _ = write!(out, "\n    {e}");
        }
        if raised.len() > 20 {
            let _ = write!(out, "\n    ... and {} more", raised.len() - 20);
        }
    }
    out
}

fn show_table(t: &toml::Table) -> String {
    let cells: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", cells.join(", "))
}

/// A TOML value as the text Sentinel would show (Kusto's `tostring`).
fn text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Boolean(true) => "True".to_string(),
        toml::Value::Boolean(false) => "False".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::alerts::{AggregationKind, Alert, RuleOutcome, Trigger, TriggerOperator};

    fn outcome() -> RuleOutcome {
        RuleOutcome {
            result_count: 1,
            trigger: Trigger {
                operator: TriggerOperator::GreaterThan,
                threshold: 0,
            },
            fires: true,
            aggregation: AggregationKind::AlertPerResult,
            alerts: vec![Alert {
                display_name: "x".into(),
                description: String::new(),
                severity: "High".into(),
                entities: vec![Entity {
                    entity_type: "Account".into(),
                    identifiers: vec![
                        ("Name".into(), "alice".into()),
                        ("UPNSuffix".into(), "contoso.com".into()),
                    ],
                }],
                custom_details: vec![("Port".into(), vec!["443".into()])],
                rows: vec![0],
            }],
        }
    }

    fn entities(text: &str) -> Vec<toml::Table> {
        let t: toml::Table = toml::from_str(&format!("e = [{text}]")).unwrap();
        t["e"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_table().unwrap().clone())
            .collect()
    }

    #[test]
    fn an_entity_matches_on_type_and_the_identifiers_it_names() {
        let want = entities(r#"{ type = "account", name = "alice" }"#);
        let e = AlertExpectations {
            entities: &want,
            ..Default::default()
        };
        assert!(e.check(&outcome()).is_empty());
        let wrong = entities(r#"{ type = "Account", Name = "Alice" }"#);
        let e = AlertExpectations {
            entities: &wrong,
            ..Default::default()
        };
        let failures = e.check(&outcome());
        assert_eq!(failures.len(), 1);
        assert!(failures[0].contains("missing entity"), "{failures:?}");
        assert!(
            failures[0].contains(r#"Account { Name = "alice""#),
            "{failures:?}"
        );
    }

    #[test]
    fn an_entity_without_a_type_is_reported() {
        let want = entities(r#"{ Name = "alice" }"#);
        let e = AlertExpectations {
            entities: &want,
            ..Default::default()
        };
        assert!(e.check(&outcome())[0].contains("needs a `type`"));
    }

    #[test]
    fn fires_and_alert_counts_explain_what_happened() {
        let e = AlertExpectations {
            fires: Some(false),
            alerts: Some(2),
            ..Default::default()
        };
        let failures = e.check(&outcome());
        assert_eq!(failures.len(), 2);
        assert!(failures[0].contains("not to fire"), "{failures:?}");
        assert!(
            failures[1].contains("expected 2 alert(s), got 1"),
            "{failures:?}"
        );
    }

    #[test]
    fn custom_detail_values_compare_as_text() {
        let mut want = BTreeMap::new();
        want.insert("Port".to_string(), vec![toml::Value::Integer(443)]);
        let e = AlertExpectations {
            custom_details: Some(&want),
            ..Default::default()
        };
        assert!(e.check(&outcome()).is_empty());
        want.insert("Port".to_string(), vec![toml::Value::Integer(80)]);
        let e = AlertExpectations {
            custom_details: Some(&want),
            ..Default::default()
        };
        assert_eq!(e.check(&outcome()).len(), 1);
        assert_eq!(e.keys(), ["expect.custom_details"]);
    }
}
