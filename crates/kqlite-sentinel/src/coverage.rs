//! The scenario × detection coverage table: every shipped detection run on
//! the default synthetic data, scored against the labelled scenarios.
//!
//! Detections are found through their metadata sidecars (`*.meta.toml`),
//! which name the query file and, optionally, the sections to run
//! separately. A detection without sections is scored on its final result.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kqlite_engine::{Engine, RunOptions};
use serde::Deserialize;

use crate::generator::{default_dataset_options, generate};
use crate::scenarios::ScenarioId;
use crate::score::{score, Verdict};

#[derive(Debug, Deserialize)]
struct Meta {
    id: Option<String>,
    query: String,
    #[serde(default)]
    sections: Vec<String>,
}

/// One column of the table: a detection, or one section of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectionColumn {
    /// `id` from the sidecar, with `#Section` when a section was run.
    pub name: String,
    /// One verdict per scenario, in [`ScenarioId::ALL`] order.
    pub verdicts: Vec<Verdict>,
}

/// The coverage table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The seed the default data was generated with.
    pub seed: u64,
    /// SigninLogs rows of the default data.
    pub rows: usize,
    /// Detections (columns).
    pub detections: Vec<DetectionColumn>,
}

fn sidecars(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".meta.toml"))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Runs every detection described under `dir` on the default synthetic data
/// (all tables, all scenarios) and scores it.
pub fn coverage(dir: &Path) -> Result<Coverage, String> {
    let opts = default_dataset_options();
    let mut all = opts.clone();
    all.tables = crate::schema::table_names().map(str::to_string).collect();
    let data = generate(&all, &mut |_, _| {}).map_err(|e| e.to_string())?;
    let mut engine = Engine::new();
    for (name, schema) in crate::schema::schemas() {
        engine.add_schema(name, schema);
    }
    for (name, table) in data.tables {
        engine.add_table(name, table);
    }
    let mut detections = Vec::new();
    let metas = sidecars(dir);
    if metas.is_empty() {
        return Err(format!(
            "no detection metadata (*.meta.toml) in {}",
            dir.display()
        ));
    }
    for meta_path in metas {
        let text = std::fs::read_to_string(&meta_path)
            .map_err(|e| format!("{}: {e}", meta_path.display()))?;
        let meta: Meta =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", meta_path.display()))?;
        let query_path = meta_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&meta.query);
        let query = std::fs::read_to_string(&query_path)
            .map_err(|e| format!("{}: {e}", query_path.display()))?;
        let id = meta
            .id
            .unwrap_or_else(|| meta.query.trim_end_matches(".kql").to_string());
        let runs: Vec<Option<String>> = if meta.sections.is_empty() {
            vec![None]
        } else {
            meta.sections.iter().cloned().map(Some).collect()
        };
        for section in runs {
            let run = RunOptions {
                section: section.clone(),
                lets: Vec::new(),
                now: Some(opts.now),
                ..RunOptions::default()
            };
            let result = engine
                .run_with(&query, &run)
                .map_err(|e| format!("{}: {e}", query_path.display()))?;
            let s = score(&data.labels, &result);
            let verdicts = ScenarioId::ALL
                .iter()
                .map(|id| {
                    s.scenarios
                        .iter()
                        .find(|x| x.scenario == *id)
                        .map_or(Verdict::Quiet, |x| x.verdict)
                })
                .collect();
            let name = match &section {
                Some(sec) => format!("{id}#{sec}"),
                None => id.clone(),
            };
            detections.push(DetectionColumn { name, verdicts });
        }
    }
    Ok(Coverage {
        seed: opts.seed,
        rows: opts.rows,
        detections,
    })
}

impl Coverage {
    /// Renders the table as Markdown: one row per scenario, one column per
    /// detection, and whether any detection caught (or flagged) it.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Default synthetic data: seed {}, {} SigninLogs rows, all scenarios.\n",
            self.seed, self.rows
        );
        let _ = write!(out, "| scenario | kind |");
        for d in &self.detections {
            let _ = write!(out, " {} |", d.name);
        }
        let _ = writeln!(out, " any |");
        let _ = write!(out, "|---|---|");
        for _ in &self.detections {
            out.push_str("---|");
        }
        out.push_str("---|\n");
        for (i, id) in ScenarioId::ALL.iter().enumerate() {
            let _ = write!(out, "| {} | {} |", id.as_str(), id.kind().as_str());
            let mut any = false;
            for d in &self.detections {
                let v = d.verdicts.get(i).copied().unwrap_or(Verdict::Quiet);
                any |= matches!(v, Verdict::Caught | Verdict::FalsePositive);
                let _ = write!(out, " {} |", v.as_str());
            }
            let overall = match (id.kind(), any) {
                (crate::scenarios::ScenarioKind::Attack, true) => "caught",
                (crate::scenarios::ScenarioKind::Attack, false) => "MISSED",
                (crate::scenarios::ScenarioKind::Benign, true) => "false positive",
                (crate::scenarios::ScenarioKind::Benign, false) => "not flagged",
            };
            let _ = writeln!(out, " {overall} |");
        }
        out
    }
}
