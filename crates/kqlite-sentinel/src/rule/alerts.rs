//! What Sentinel raises when a scheduled rule's query returns a result:
//! whether the rule fires, its alerts, and each alert's entities, custom
//! details, name, description and severity.
//!
//! [`evaluate`] follows Microsoft's Sentinel documentation for scheduled
//! rules:
//!
//! - **Firing.** The rule fires when the number of result rows compared with
//!   `triggerThreshold` by `triggerOperator` holds (`gt`, `lt`, `eq`, `ne`,
//!   or the ARM names `GreaterThan`, `LessThan`, `Equal`, `NotEqual`). A rule
//!   that gives neither (an NRT rule) fires on any row, as `gt 0`. A rule
//!   that does not fire raises no alert.
//! - **Event grouping.** `eventGroupingSettings.aggregationKind:
//!   SingleAlert` (the default) raises one alert for all rows;
//!   `AlertPerResult` raises one alert per row, at most
//!   [`MAX_ALERTS_PER_RUN`] (150) per run: beyond 150 rows, the first 149
//!   rows each raise an alert and the 150th alert summarizes every row, as a
//!   single alert would.
//! - **Entities.** Each `entityMappings` entry makes one entity per row from
//!   its `identifier: columnName` pairs. Identifiers whose cell is empty (or
//!   null) are left out, and an entity with no identifier left is not
//!   raised. An alert holds at most [`MAX_ENTITIES_PER_ALERT`] (500)
//!   entities, divided equally across the rule's mappings: with two
//!   mappings each one contributes at most 250. The same entity (same type
//!   and identifiers) is listed once per alert.
//! - **Custom details.** Each `customDetails` key lists the values of its
//!   column over the alert's rows (one row for `AlertPerResult`), empty
//!   cells left out, as Sentinel's `Custom Details` property holds a list
//!   per key.
//! - **Alert details.** `alertDetailsOverride.alertDisplayNameFormat` and
//!   `alertDescriptionFormat` fill `{{Column}}` placeholders from the
//!   alert's first row; when a placeholder's cell is empty the whole name
//!   (or description) reverts to the rule's `name` (or `description`).
//!   `alertSeverityColumnName` overrides the rule's `severity` when its cell
//!   holds one of Informational, Low, Medium or High.
//!
//! Where the documentation is silent this module makes a choice and says so:
//! which rows' values fill the name of a `SingleAlert` alert (the first
//! row's), that identical entities are merged within an alert, and that
//! empty custom-detail cells are left out.

use std::fmt::Write as _;

use kqlite_engine::{Table, Value};
use kqlite_parser::Diagnostic;

use super::{codes, Rule};

/// Most alerts one run of a rule raises.
pub const MAX_ALERTS_PER_RUN: usize = 150;

/// Most entities one alert holds, shared equally by the entity mappings.
pub const MAX_ENTITIES_PER_ALERT: usize = 500;

/// Severities an `alertSeverityColumnName` cell may name.
const SEVERITIES: [&str; 4] = ["Informational", "Low", "Medium", "High"];

/// How the result count is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerOperator {
    /// `gt` / `GreaterThan`.
    GreaterThan,
    /// `lt` / `LessThan`.
    LessThan,
    /// `eq` / `Equal`.
    Equal,
    /// `ne` / `NotEqual`.
    NotEqual,
}

impl TriggerOperator {
    /// Reads `gt`, `lt`, `eq`, `ne` or the ARM names `GreaterThan`,
    /// `LessThan`, `Equal`, `NotEqual` (case-insensitive).
    pub fn parse(text: &str) -> Option<TriggerOperator> {
        match text.trim().to_ascii_lowercase().as_str() {
            "gt" | "greaterthan" => Some(TriggerOperator::GreaterThan),
            "lt" | "lessthan" => Some(TriggerOperator::LessThan),
            "eq" | "equal" => Some(TriggerOperator::Equal),
            "ne" | "notequal" => Some(TriggerOperator::NotEqual),
            _ => None,
        }
    }

    /// Whether `count` compared with `threshold` holds.
    pub fn holds(self, count: u64, threshold: u64) -> bool {
        match self {
            TriggerOperator::GreaterThan => count > threshold,
            TriggerOperator::LessThan => count < threshold,
            TriggerOperator::Equal => count == threshold,
            TriggerOperator::NotEqual => count != threshold,
        }
    }

    /// The YAML short name: `gt`, `lt`, `eq` or `ne`.
    pub fn short_name(self) -> &'static str {
        match self {
            TriggerOperator::GreaterThan => "gt",
            TriggerOperator::LessThan => "lt",
            TriggerOperator::Equal => "eq",
            TriggerOperator::NotEqual => "ne",
        }
    }
}

/// The alert threshold of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// The comparison.
    pub operator: TriggerOperator,
    /// The number of result rows compared with.
    pub threshold: u64,
}

impl Trigger {
    /// The rule's trigger: `gt 0` when it gives no operator and no
    /// threshold (NRT rules); an error at the field when one is malformed
    /// or only one of the two is given.
    pub fn of(rule: &Rule) -> Result<Trigger, Diagnostic> {
        let operator = match &rule.trigger_operator {
            None => TriggerOperator::GreaterThan,
            Some(f) => TriggerOperator::parse(&f.value).ok_or_else(|| {
                Diagnostic::error(
                    codes::BAD_TRIGGER_OPERATOR,
                    format!("`{}` is not a trigger operator", f.value),
                    f.span(),
                )
                .with_hint("use gt, lt, eq or ne (GreaterThan, LessThan, Equal, NotEqual in ARM)")
            })?,
        };
        let threshold = match &rule.trigger_threshold {
            None => 0,
            Some(f) => f.value.trim().parse::<u64>().map_err(|_| {
                Diagnostic::error(
                    codes::BAD_TRIGGER_THRESHOLD,
                    format!(
                        "`triggerThreshold` must be a whole number of 0 or more, not `{}`",
                        f.value
                    ),
                    f.span(),
                )
            })?,
        };
        Ok(Trigger {
            operator,
            threshold,
        })
    }
}

/// How a rule groups result rows into alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregationKind {
    /// One alert for all rows (the default).
    SingleAlert,
    /// One alert per row, up to [`MAX_ALERTS_PER_RUN`].
    AlertPerResult,
}

impl AggregationKind {
    /// The rule's `eventGroupingSettings.aggregationKind`; `SingleAlert`
    /// when absent, an error at the field when it is neither kind.
    pub fn of(rule: &Rule) -> Result<AggregationKind, Diagnostic> {
        let Some(f) = &rule.aggregation_kind else {
            return Ok(AggregationKind::SingleAlert);
        };
        match f.value.trim().to_ascii_lowercase().as_str() {
            "singlealert" => Ok(AggregationKind::SingleAlert),
            "alertperresult" => Ok(AggregationKind::AlertPerResult),
            _ => Err(Diagnostic::error(
                codes::BAD_AGGREGATION_KIND,
                format!("`{}` is not an event grouping", f.value),
                f.span(),
            )
            .with_hint("use SingleAlert or AlertPerResult")),
        }
    }

    /// `SingleAlert` or `AlertPerResult`.
    pub fn name(self) -> &'static str {
        match self {
            AggregationKind::SingleAlert => "SingleAlert",
            AggregationKind::AlertPerResult => "AlertPerResult",
        }
    }
}

/// An entity of an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// The entity type as the mapping writes it, e.g. `Account`.
    pub entity_type: String,
    /// Identifier names and their (non-empty) values, in mapping order.
    pub identifiers: Vec<(String, String)>,
}

impl Entity {
    /// The value of identifier `name` (case-insensitive).
    pub fn identifier(&self, name: &str) -> Option<&str> {
        self.identifiers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is the same entity as `other`: same type (ignoring
    /// case) and the same identifiers.
    fn same_as(&self, other: &Entity) -> bool {
        self.entity_type.eq_ignore_ascii_case(&other.entity_type)
            && self.identifiers == other.identifiers
    }
}

impl std::fmt::Display for Entity {
    /// `Account { Name = "alice", UPNSuffix = "contoso.com" }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cells: Vec<String> = self
            .identifiers
            .iter()
            .map(|(k, v)| format!("{k} = {v:?}"))
            .collect();
        write!(f, "{} {{ {} }}", self.entity_type, cells.join(", "))
    }
}

/// One alert a rule raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The alert's name: `alertDisplayNameFormat` filled in, else the
    /// rule's name.
    pub display_name: String,
    /// The alert's description: `alertDescriptionFormat` filled in, else
    /// the rule's description.
    pub description: String,
    /// The alert's severity: from `alertSeverityColumnName`, else the
    /// rule's.
    pub severity: String,
    /// Its entities, mapping by mapping.
    pub entities: Vec<Entity>,
    /// Each custom detail's key and its values over the alert's rows.
    pub custom_details: Vec<(String, Vec<String>)>,
    /// The result rows (0-based) the alert stands for.
    pub rows: Vec<usize>,
}

/// What one run of a rule raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOutcome {
    /// Rows in the query's result.
    pub result_count: usize,
    /// The rule's threshold.
    pub trigger: Trigger,
    /// Whether the result count passes the threshold.
    pub fires: bool,
    /// How rows are grouped into alerts.
    pub aggregation: AggregationKind,
    /// The alerts raised (none when the rule does not fire).
    pub alerts: Vec<Alert>,
}

impl RuleOutcome {
    /// A one-paragraph account for people: whether the rule fires and why,
    /// then each alert with its entities and custom details.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let rows = plural(self.result_count, "result row");
        let _ = writeln!(
            out,
            "rule {}: {rows}, trigger {} {}",
            if self.fires { "fires" } else { "does not fire" },
            self.trigger.operator.short_name(),
            self.trigger.threshold
        );
        if self.fires {
            let _ = writeln!(
                out,
                "{} ({})",
                plural(self.alerts.len(), "alert"),
                self.aggregation.name()
            );
        }
        for (i, alert) in self.alerts.iter().enumerate() {
            let _ = writeln!(
                out,
                "alert {}: {} [{}] ({})",
                i + 1,
                alert.display_name,
                if alert.severity.is_empty() {
                    "no severity"
                } else {
                    &alert.severity
                },
                plural(alert.rows.len(), "row")
            );
            for e in &alert.entities {
                let _ = writeln!(out, "  entity {e}");
            }
            for (key, values) in &alert.custom_details {
                let _ = writeln!(out, "  detail {key} = {values:?}");
            }
        }
        out
    }

    /// The outcome as JSON: `{ "fires", "resultCount", "triggerOperator",
    /// "triggerThreshold", "aggregationKind", "alerts": [{ "displayName",
    /// "description", "severity", "rows", "entities": [{ "type", ...
    /// identifiers }], "customDetails": { key: [values] } }] }`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value as J};
        let alerts: Vec<J> = self
            .alerts
            .iter()
            .map(|a| {
                let entities: Vec<J> = a
                    .entities
                    .iter()
                    .map(|e| {
                        let mut m = Map::new();
                        m.insert("type".into(), J::String(e.entity_type.clone()));
                        for (k, v) in &e.identifiers {
                            m.insert(k.clone(), J::String(v.clone()));
                        }
                        J::Object(m)
                    })
                    .collect();
                let details: Map<String, J> = a
                    .custom_details
                    .iter()
                    .map(|(k, vs)| (k.clone(), json!(vs)))
                    .collect();
                json!({
                    "displayName": a.display_name,
                    "description": a.description,
                    "severity": a.severity,
                    "rows": a.rows,
                    "entities": entities,
                    "customDetails": details,
                })
            })
            .collect();
        json!({
            "fires": self.fires,
            "resultCount": self.result_count,
            "triggerOperator": self.trigger.operator.short_name(),
            "triggerThreshold": self.trigger.threshold,
            "aggregationKind": self.aggregation.name(),
            "alerts": alerts,
        })
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What `rule` raises for the query result `result`. A malformed trigger or
/// event grouping is an error at its field in the rule file.
pub fn evaluate(rule: &Rule, result: &Table) -> Result<RuleOutcome, Diagnostic> {
    let trigger = Trigger::of(rule)?;
    let aggregation = AggregationKind::of(rule)?;
    let n = result.num_rows();
    let fires = trigger
        .operator
        .holds(u64::try_from(n).unwrap_or(u64::MAX), trigger.threshold);
    let mut alerts = Vec::new();
    if fires {
        let all: Vec<usize> = (0..n).collect();
        match aggregation {
            AggregationKind::SingleAlert => alerts.push(alert(rule, result, &all)),
            AggregationKind::AlertPerResult if n > MAX_ALERTS_PER_RUN => {
                for row in 0..MAX_ALERTS_PER_RUN - 1 {
                    alerts.push(alert(rule, result, &[row]));
                }
                alerts.push(alert(rule, result, &all));
            }
            AggregationKind::AlertPerResult => {
                for row in 0..n {
                    alerts.push(alert(rule, result, &[row]));
                }
            }
        }
    }
    Ok(RuleOutcome {
        result_count: n,
        trigger,
        fires,
        aggregation,
        alerts,
    })
}

/// A cell as text (Kusto's `tostring`); a missing column reads as empty.
fn cell(result: &Table, column: &str, row: usize) -> String {
    match result.column(column.trim()) {
        Some(c) if row < c.len() => match c.get(row) {
            Value::Null => String::new(),
            v => v.to_string(),
        },
        _ => String::new(),
    }
}

/// The alert standing for `rows` (never empty for a firing rule; an
/// empty list gives an alert with the rule's defaults).
fn alert(rule: &Rule, result: &Table, rows: &[usize]) -> Alert {
    let first = rows.first().copied();
    let rule_name = rule.title().unwrap_or_default().to_string();
    let rule_description = rule
        .description
        .as_ref()
        .map(|f| f.value.trim_end().to_string())
        .unwrap_or_default();
    let details = &rule.alert_details;
    let display_name = details
        .display_name_format
        .as_ref()
        .and_then(|f| first.and_then(|row| fill(&f.value, result, row)))
        .unwrap_or(rule_name);
    let description = details
        .description_format
        .as_ref()
        .and_then(|f| first.and_then(|row| fill(&f.value, result, row)))
        .unwrap_or(rule_description);
    let severity = details
        .severity_column
        .as_ref()
        .and_then(|c| first.map(|row| cell(result, &c.value, row)))
        .and_then(|v| {
            SEVERITIES
                .iter()
                .find(|s| s.eq_ignore_ascii_case(v.trim()))
                .map(|s| s.to_string())
        })
        .or_else(|| rule.severity.as_ref().map(|f| f.value.clone()))
        .unwrap_or_default();
    Alert {
        display_name,
        description,
        severity,
        entities: entities(rule, result, rows),
        custom_details: rule
            .custom_details
            .iter()
            .map(|(key, column)| {
                let values = match column {
                    Some(c) => rows
                        .iter()
                        .map(|&row| cell(result, &c.value, row))
                        .filter(|v| !v.is_empty())
                        .collect(),
                    None => Vec::new(),
                };
                (key.value.clone(), values)
            })
            .collect(),
        rows: rows.to_vec(),
    }
}

/// The entities of the alert standing for `rows`.
fn entities(rule: &Rule, result: &Table, rows: &[usize]) -> Vec<Entity> {
    let mappings = rule.entity_mappings.len().max(1);
    let per_mapping = MAX_ENTITIES_PER_ALERT / mappings;
    let mut out: Vec<Entity> = Vec::new();
    for mapping in &rule.entity_mappings {
        let Some(entity_type) = &mapping.entity_type else {
            continue;
        };
        let mut taken = 0;
        for &row in rows {
            if taken >= per_mapping {
                break;
            }
            let identifiers: Vec<(String, String)> = mapping
                .field_mappings
                .iter()
                .filter_map(|f| {
                    let id = f.identifier.as_ref()?;
                    let column = f.column.as_ref()?;
                    let value = cell(result, &column.value, row);
                    (!value.is_empty()).then(|| (id.value.trim().to_string(), value))
                })
                .collect();
            if identifiers.is_empty() {
                continue;
            }
            let entity = Entity {
                entity_type: entity_type.value.trim().to_string(),
                identifiers,
            };
            taken += 1;
            if !out.iter().any(|e| e.same_as(&entity)) {
                out.push(entity);
            }
        }
    }
    out
}

/// `format` with each `{{Column}}` replaced by the row's cell; `None` when
/// a placeholder's cell is empty (the alert then keeps its default).
fn fill(format: &str, result: &Table, row: usize) -> Option<String> {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(open) = rest.find("{{") {
        let (before, after) = rest.split_at(open);
        out.push_str(before);
        let inner = after.get(2..).unwrap_or("");
        match inner.find("}}") {
            Some(close) => {
                let column = inner.get(..close).unwrap_or("").trim();
                let value = cell(result, column, row);
                if value.is_empty() {
                    return None;
                }
                out.push_str(&value);
                rest = inner.get(close + 2..).unwrap_or("");
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Some(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{read_rules, RuleFormat};
    use kqlite_engine::Engine;

    /// A rule over `SigninLogs`-like rows with two entity mappings, two
    /// custom details and alert details.
    fn rule(extra: &str) -> Rule {
        let lines = [
            "id: 7d0c",
            "name: Risky sign-in",
            "description: A risky sign-in happened.",
            "severity: Medium",
            "kind: Scheduled",
            "queryFrequency: 1h",
            "queryPeriod: 1h",
            extra.trim_end(),
            "query: |",
            "  T",
            "entityMappings:",
            "  - entityType: Account",
            "    fieldMappings:",
            "      - identifier: Name",
            "        columnName: User",
            "      - identifier: UPNSuffix",
            "        columnName: Suffix",
            "  - entityType: IP",
            "    fieldMappings:",
            "      - identifier: Address",
            "        columnName: IPAddress",
            "customDetails:",
            "  Country: Location",
            "  Outcome: ResultType",
            "alertDetailsOverride:",
            "  alertDisplayNameFormat: Risky sign-in by {{User}} from {{ IPAddress }}",
            "  alertSeverityColumnName: Sev",
        ];
        let text = lines.join("\n");
        read_rules(&text, RuleFormat::Yaml)
            .unwrap()
            .into_iter()
            .next()
            .unwrap()
    }

    fn table(rows: &[(&str, &str, &str, &str, &str)]) -> Table {
        let mut engine = Engine::new();
        engine.add_table("empty", Table::empty(0));
        let mut q = String::from(
            "datatable(User:string, Suffix:string, IPAddress:string, Location:string, Sev:string)[",
        );
        for (u, s, ip, loc, sev) in rows {
            let _ = write!(q, "'{u}','{s}','{ip}','{loc}','{sev}',");
        }
        q.push_str("] | extend ResultType = '0'");
        engine.run(&q).unwrap()
    }

    const ALICE: (&str, &str, &str, &str, &str) =
        ("alice", "contoso.com", "198.51.100.7", "NL", "High");
    const BOB: (&str, &str, &str, &str, &str) = ("bob", "contoso.com", "203.0.113.9", "FR", "");

    #[test]
    fn trigger_operators_read_short_and_arm_names() {
        for (text, op) in [
            ("gt", TriggerOperator::GreaterThan),
            ("GreaterThan", TriggerOperator::GreaterThan),
            ("lt", TriggerOperator::LessThan),
            ("LessThan", TriggerOperator::LessThan),
            ("eq", TriggerOperator::Equal),
            ("Equal", TriggerOperator::Equal),
            ("ne", TriggerOperator::NotEqual),
            ("NotEqual", TriggerOperator::NotEqual),
        ] {
            assert_eq!(TriggerOperator::parse(text), Some(op), "{text}");
        }
        assert_eq!(TriggerOperator::parse("ge"), None);
    }

    #[test]
    fn the_rule_fires_when_the_row_count_passes_the_threshold() {
        let two = table(&[ALICE, BOB]);
        let cases = [
            ("gt", "1", true),
            ("gt", "2", false),
            ("lt", "3", true),
            ("lt", "2", false),
            ("eq", "2", true),
            ("eq", "0", false),
            ("ne", "2", false),
            ("NotEqual", "5", true),
        ];
        for (op, threshold, fires) in cases {
            let r = rule(&format!(
                "triggerOperator: {op}\ntriggerThreshold: {threshold}\n"
            ));
            let outcome = evaluate(&r, &two).unwrap();
            assert_eq!(outcome.fires, fires, "{op} {threshold}");
            assert_eq!(outcome.alerts.is_empty(), !fires, "{op} {threshold}");
        }
    }

    #[test]
    fn a_rule_without_a_trigger_fires_on_any_row_as_nrt_rules_do() {
        let r = rule("");
        assert!(evaluate(&r, &table(&[ALICE])).unwrap().fires);
        assert!(!evaluate(&r, &table(&[])).unwrap().fires);
    }

    #[test]
    fn a_malformed_trigger_or_grouping_is_an_error_at_its_field() {
        let r = rule("triggerOperator: greater\ntriggerThreshold: 0\n");
        let e = evaluate(&r, &table(&[])).unwrap_err();
        assert_eq!(e.code, codes::BAD_TRIGGER_OPERATOR);
        let r = rule("triggerOperator: gt\ntriggerThreshold: -1\n");
        assert_eq!(
            evaluate(&r, &table(&[])).unwrap_err().code,
            codes::BAD_TRIGGER_THRESHOLD
        );
        let r = rule("eventGroupingSettings:\n  aggregationKind: PerRow\n");
        assert_eq!(
            evaluate(&r, &table(&[])).unwrap_err().code,
            codes::BAD_AGGREGATION_KIND
        );
    }

    #[test]
    fn single_alert_is_the_default_and_holds_every_rows_entities() {
        let outcome = evaluate(&rule(""), &table(&[ALICE, BOB])).unwrap();
        assert_eq!(outcome.aggregation, AggregationKind::SingleAlert);
        assert_eq!(outcome.alerts.len(), 1);
        let a = &outcome.alerts[0];
        assert_eq!(a.rows, vec![0, 1]);
        let shown: Vec<String> = a.entities.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                r#"Account { Name = "alice", UPNSuffix = "contoso.com" }"#,
                r#"Account { Name = "bob", UPNSuffix = "contoso.com" }"#,
                r#"IP { Address = "198.51.100.7" }"#,
                r#"IP { Address = "203.0.113.9" }"#,
            ]
        );
        assert_eq!(
            a.custom_details,
            vec![
                (
                    "Country".to_string(),
                    vec!["NL".to_string(), "FR".to_string()]
                ),
                (
                    "Outcome".to_string(),
                    vec!["0".to_string(), "0".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn alert_per_result_raises_one_alert_per_row_with_that_rows_entities() {
        let r = rule("eventGroupingSettings:\n  aggregationKind: AlertPerResult\n");
        let outcome = evaluate(&r, &table(&[ALICE, BOB])).unwrap();
        assert_eq!(outcome.alerts.len(), 2);
        let bob = &outcome.alerts[1];
        assert_eq!(bob.rows, vec![1]);
        assert_eq!(bob.entities.len(), 2);
        assert_eq!(bob.entities[0].identifier("name"), Some("bob"));
        assert_eq!(bob.entities[1].identifier("Address"), Some("203.0.113.9"));
        assert_eq!(bob.custom_details[0].1, vec!["FR".to_string()]);
    }

    #[test]
    fn more_than_150_rows_raise_149_alerts_and_one_summarizing_all_rows() {
        let r = rule("eventGroupingSettings:\n  aggregationKind: AlertPerResult\n");
        let rows = vec![ALICE; 151];
        let outcome = evaluate(&r, &table(&rows)).unwrap();
        assert_eq!(outcome.alerts.len(), MAX_ALERTS_PER_RUN);
        assert_eq!(outcome.alerts[148].rows, vec![148]);
        assert_eq!(outcome.alerts[149].rows.len(), 151);
        let exactly = evaluate(&r, &table(&vec![BOB; 150])).unwrap();
        assert_eq!(exactly.alerts.len(), 150);
        assert_eq!(exactly.alerts[149].rows, vec![149]);
    }

    #[test]
    fn entities_with_every_identifier_empty_are_not_raised() {
        let nobody = ("", "", "", "", "");
        let half = ("carol", "", "", "", "");
        let outcome = evaluate(&rule(""), &table(&[nobody, half])).unwrap();
        let shown: Vec<String> = outcome.alerts[0]
            .entities
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(shown, [r#"Account { Name = "carol" }"#]);
        assert!(outcome.alerts[0].custom_details[0].1.is_empty());
    }

    #[test]
    fn one_alert_holds_at_most_500_entities_shared_by_the_mappings() {
        let users: Vec<String> = (0..400).map(|i| format!("user{i}")).collect();
        let rows: Vec<(&str, &str, &str, &str, &str)> = users
            .iter()
            .map(|u| (u.as_str(), "contoso.com", u.as_str(), "", ""))
            .collect();
        let outcome = evaluate(&rule(""), &table(&rows)).unwrap();
        let entities = &outcome.alerts[0].entities;
        let accounts = entities
            .iter()
            .filter(|e| e.entity_type == "Account")
            .count();
        assert_eq!(accounts, 250, "two mappings share 500 entities");
        assert_eq!(entities.len(), 500);
    }

    #[test]
    fn the_same_entity_is_listed_once_per_alert() {
        let outcome = evaluate(&rule(""), &table(&[ALICE, ALICE])).unwrap();
        assert_eq!(outcome.alerts[0].entities.len(), 2);
    }

    #[test]
    fn alert_names_fill_placeholders_and_revert_when_a_value_is_empty() {
        let r = rule("eventGroupingSettings:\n  aggregationKind: AlertPerResult\n");
        let no_ip = ("dave", "contoso.com", "", "", "");
        let outcome = evaluate(&r, &table(&[ALICE, no_ip])).unwrap();
        assert_eq!(
            outcome.alerts[0].display_name,
            "Risky sign-in by alice from 198.51.100.7"
        );
        assert_eq!(outcome.alerts[1].display_name, "Risky sign-in");
        assert_eq!(outcome.alerts[0].description, "A risky sign-in happened.");
    }

    #[test]
    fn the_severity_column_overrides_the_rule_only_with_a_known_severity() {
        let r = rule("eventGroupingSettings:\n  aggregationKind: AlertPerResult\n");
        let odd = ("erin", "", "", "", "urgent");
        let outcome = evaluate(&r, &table(&[ALICE, BOB, odd])).unwrap();
        let sev: Vec<&str> = outcome.alerts.iter().map(|a| a.severity.as_str()).collect();
        assert_eq!(sev, ["High", "Medium", "Medium"]);
    }

    #[test]
    fn the_json_form_lists_alerts_with_entities_and_details() {
        let outcome = evaluate(&rule(""), &table(&[ALICE])).unwrap();
        let j = outcome.to_json();
        assert_eq!(j["fires"], true);
        assert_eq!(j["alerts"][0]["entities"][0]["type"], "Account");
        assert_eq!(j["alerts"][0]["entities"][0]["UPNSuffix"], "contoso.com");
        assert_eq!(j["alerts"][0]["customDetails"]["Country"][0], "NL");
    }
}
