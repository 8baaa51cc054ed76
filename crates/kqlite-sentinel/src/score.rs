//! Scoring a detection's result against the ground-truth labels: which
//! labelled scenarios it flagged and which it missed.
//!
//! A result row flags a scenario when its `CorrelationId` is one of the
//! scenario's labelled rows, or — for aggregated results that carry no
//! `CorrelationId`, such as the `SPSignins` section — when one of its
//! identity columns (`UserPrincipalName`, `ServicePrincipalName`,
//! `ServicePrincipalId`, `AppId`, ...) names the scenario's entity.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use kqlite_engine::Table;

use crate::scenarios::{ScenarioId, ScenarioKind};

/// Columns of a result row that can name a labelled entity.
const ENTITY_COLUMNS: &[&str] = &[
    "UserPrincipalName",
    "ServicePrincipalName",
    "ServicePrincipalId",
    "AppId",
    "Entity",
    "InitiatedByUser",
    "TargetServicePrincipal",
];

/// What a detection did with one labelled scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An attack the detection returned rows for.
    Caught,
    /// An attack the detection returned nothing for.
    Missed,
    /// A benign situation the detection returned rows for.
    FalsePositive,
    /// A benign situation the detection left alone.
    Quiet,
}

impl Verdict {
    /// A short lowercase word for tables and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Caught => "caught",
            Verdict::Missed => "missed",
            Verdict::FalsePositive => "false positive",
            Verdict::Quiet => "not flagged",
        }
    }
}

/// One scenario's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioScore {
    /// The scenario.
    pub scenario: ScenarioId,
    /// What the detection did.
    pub verdict: Verdict,
    /// How many result rows matched the scenario.
    pub rows: usize,
}

/// The score of one result table against a labels table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    /// One entry per scenario present in the labels, in [`ScenarioId::ALL`] order.
    pub scenarios: Vec<ScenarioScore>,
    /// Result rows that match no labelled scenario (background alerts).
    pub unlabelled_rows: usize,
}

fn strings(table: &Table, column: &str) -> Vec<String> {
    match table.column(column) {
        Some(c) => (0..table.num_rows())
            .map(|i| c.get(i).to_string().to_ascii_lowercase())
            .collect(),
        None => Vec::new(),
    }
}

/// Scores `result` against `labels` (the generator's ground-truth table).
pub fn score(labels: &Table, result: &Table) -> Score {
    let label_scenarios = strings(labels, "ScenarioId");
    let label_correlations = strings(labels, "CorrelationId");
    let label_entities = strings(labels, "Entity");

    let result_correlations = strings(result, "CorrelationId");
    let result_entities: Vec<Vec<String>> = ENTITY_COLUMNS
        .iter()
        .map(|c| strings(result, c))
        .filter(|v| !v.is_empty())
        .collect();

    let present: BTreeSet<ScenarioId> = label_scenarios
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    let mut counts = vec![0usize; ScenarioId::ALL.len()];
    let mut unlabelled = 0;
    for row in 0..result.num_rows() {
        let mut matched = BTreeSet::new();
        for (i, scenario) in label_scenarios.iter().enumerate() {
            let by_correlation = result_correlations
                .get(row)
                .is_some_and(|c| !c.is_empty() && label_correlations.get(i) == Some(c));
            let by_entity = result_correlations.is_empty()
                && label_entities.get(i).is_some_and(|e| {
                    !e.is_empty() && result_entities.iter().any(|col| col.get(row) == Some(e))
                });
            if by_correlation || by_entity {
                if let Ok(id) = scenario.parse::<ScenarioId>() {
                    matched.insert(id);
                }
            }
        }
        if matched.is_empty() {
            unlabelled += 1;
        }
        for id in matched {
            if let Some(pos) = ScenarioId::ALL.iter().position(|s| *s == id) {
                counts[pos] += 1;
            }
        }
    }
    let scenarios = ScenarioId::ALL
        .iter()
        .zip(counts)
        .filter(|(id, _)| present.contains(id))
        .map(|(&scenario, rows)| {
            let verdict = match (scenario.kind(), rows > 0) {
                (ScenarioKind::Attack, true) => Verdict::Caught,
                (ScenarioKind::Attack, false) => Verdict::Missed,
                (ScenarioKind::Benign, true) => Verdict::FalsePositive,
                (ScenarioKind::Benign, false) => Verdict::Quiet,
            };
            ScenarioScore {
                scenario,
                verdict,
                rows,
            }
        })
        .collect();
    Score {
        scenarios,
        unlabelled_rows: unlabelled,
    }
}

/// A human-readable summary of [`score`], one line per scenario.
pub fn summary(labels: &Table, result: &Table) -> String {
    let s = score(labels, result);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "labelled scenarios ({} result rows, {} not from a scenario):",
        result.num_rows(),
        s.unlabelled_rows
    );
    for sc in &s.scenarios {
        let _ = writeln!(
            out,
            "  {:<14} {:<6} {:<36} {} row(s)",
            sc.verdict.as_str(),
            sc.scenario.kind().as_str(),
            sc.scenario.as_str(),
            sc.rows
        );
    }
    out
}
