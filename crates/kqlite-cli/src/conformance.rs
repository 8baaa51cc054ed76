//! `kqlite conformance`: run query/result cases captured from Microsoft's
//! Kusto engine and compare kqlite's results, type-aware.
//!
//! A case file is JSON Lines, one case per line:
//!
//! ```json
//! {"id": "abs-00", "kql": "print abs(-5)",
//!  "expected": {"columns": ["print_0"], "column_types": ["Int64"], "rows": [[5]]},
//!  "ordered": false, "nondeterministic": false, "tags": {"operators": [], "functions": ["abs"]}}
//! ```
//!
//! `expected` may instead be a Log Analytics query API response
//! (`{"tables": [{"name", "columns": [{"name", "type"}], "rows"}]}`), which is
//! what a workspace returns; its first table is the expected result. Column
//! types may be .NET names (`Int64`, `DateTime`, ...) or KQL names (`long`,
//! `datetime`, ...).
//!
//! Comparison: datetimes and timespans as ticks, reals with a relative
//! tolerance of 1e-9, dynamic values as JSON trees, rows as a multiset
//! unless `ordered`; `nondeterministic` cases compare column names and types
//! only.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use kqlite_engine::value::format_guid;
use kqlite_engine::{time, DataType, Engine, RunOptions, Table, Value};
use serde_json::{json, Value as J};

use crate::{usage_error, Outcome};

/// Arguments of `kqlite conformance`.
#[derive(Debug, Args)]
pub struct ConformanceArgs {
    /// A JSON Lines file of cases.
    file: PathBuf,
    /// Exit with 1 unless at least this percentage of cases pass.
    #[arg(long, value_name = "PCT")]
    min_pass: Option<f64>,
    /// Exit with 1 unless at least this many cases pass (a CI floor).
    #[arg(long, value_name = "N")]
    min_count: Option<usize>,
    /// Only run cases whose id contains this text.
    #[arg(long, value_name = "ID")]
    filter: Option<String>,
    /// Show the query, the expected and actual tables and every difference
    /// for the case with this id.
    #[arg(long, value_name = "ID")]
    explain: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    format: ReportFormat,
    /// Per-case time limit in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    timeout: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

/// One case as read from the file.
#[derive(Debug, Clone)]
struct Case {
    id: String,
    kql: String,
    tags: Vec<String>,
    expected: Expected,
    ordered: bool,
    nondeterministic: bool,
}

#[derive(Debug, Clone)]
struct Expected {
    columns: Vec<String>,
    types: Vec<Option<DataType>>,
    rows: Vec<Vec<J>>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    Pass,
    /// The first difference.
    Fail(String),
    /// The query failed, panicked or timed out.
    Error(String),
}

/// Maps a .NET or KQL type name to a KQL type.
fn type_from_name(name: &str) -> Option<DataType> {
    Some(match name {
        "Int64" => DataType::Long,
        "Int32" => DataType::Int,
        "Double" | "Single" => DataType::Real,
        "String" => DataType::String,
        "DateTime" => DataType::DateTime,
        "TimeSpan" => DataType::TimeSpan,
        "SByte" | "Boolean" => DataType::Bool,
        "Object" => DataType::Dynamic,
        "Guid" => DataType::Guid,
        "SqlDecimal" | "Decimal" => DataType::Decimal,
        other => return DataType::from_name(other),
    })
}

fn parse_case(line: &str, lineno: usize) -> Result<Case, String> {
    let v: J = serde_json::from_str(line).map_err(|e| format!("line {lineno}: {e}"))?;
    let id = v["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("line-{lineno}"));
    let kql = v["kql"]
        .as_str()
        .or_else(|| v["query"].as_str())
        .ok_or_else(|| format!("line {lineno}: no `kql`"))?
        .to_string();
    let mut tags = Vec::new();
    for (kind, prefix) in [("operators", "op"), ("functions", "fn")] {
        if let Some(list) = v["tags"][kind].as_array() {
            tags.extend(
                list.iter()
                    .filter_map(|t| t.as_str())
                    .map(|t| format!("{prefix}:{t}")),
            );
        }
    }
    let e = &v["expected"];
    let expected = if let Some(table) = e["tables"].as_array().and_then(|t| t.first()) {
        let cols = table["columns"].as_array().cloned().unwrap_or_default();
        Expected {
            columns: cols
                .iter()
                .map(|c| {
                    c["name"]
                        .as_str()
                        .or(c["ColumnName"].as_str())
                        .unwrap_or("")
                        .to_string()
                })
                .collect(),
            types: cols
                .iter()
                .map(|c| {
                    c["type"]
                        .as_str()
                        .or(c["ColumnType"].as_str())
                        .and_then(type_from_name)
                })
                .collect(),
            rows: rows_of(&table["rows"]),
        }
    } else {
        Expected {
            columns: e["columns"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|c| c.as_str().unwrap_or("").to_string())
                        .collect()
                })
                .unwrap_or_default(),
            types: e["column_types"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|t| t.as_str().and_then(type_from_name))
                        .collect()
                })
                .unwrap_or_default(),
            rows: rows_of(&e["rows"]),
        }
    };
    Ok(Case {
        id,
        kql,
        tags,
        expected,
        ordered: v["ordered"].as_bool().unwrap_or(false),
        nondeterministic: v["nondeterministic"].as_bool().unwrap_or(false),
    })
}

fn rows_of(v: &J) -> Vec<Vec<J>> {
    v.as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r.as_array().cloned().unwrap_or_default())
                .collect()
        })
        .unwrap_or_default()
}

/// A fixed clock for cases (their `now()` results are nondeterministic
/// anyway): 2024-01-01T00:00:00Z.
fn case_now() -> i64 {
    time::parse_datetime("2024-01-01T00:00:00Z").unwrap_or(time::UNIX_EPOCH_TICKS)
}

/// Runs a query on a worker thread with a time limit, turning panics into
/// errors.
fn run_limited(kql: &str, timeout: Duration) -> Result<Table, String> {
    let (tx, rx) = mpsc::channel();
    let kql = kql.to_string();
    let spawned = std::thread::Builder::new()
        .name("conformance-case".into())
        .stack_size(64 << 20)
        .spawn(move || {
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let engine = Engine::new();
                let opts = RunOptions {
                    now: Some(case_now()),
                    ..RunOptions::default()
                };
                engine.run_with(&kql, &opts).map_err(|e| {
                    let first = e.diagnostics().first().map(|d| d.message.clone());
                    first.unwrap_or_else(|| e.to_string())
                })
            }));
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Err(format!("could not start a worker: {e}"));
    }
    match rx.recv_timeout(timeout) {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err("PANIC (a bug: the engine must not panic)".to_string()),
        Err(_) => Err(format!("timed out after {}s", timeout.as_secs())),
    }
}

fn cell_to_json(v: &Value) -> J {
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => json!(i),
        Value::Long(i) => json!(i),
        Value::Real(r) => serde_json::Number::from_f64(*r)
            .map(J::Number)
            .unwrap_or_else(|| J::String(kqlite_engine::value::format_real(*r))),
        Value::Decimal(d) => J::String(d.to_string()),
        Value::String(s) => J::String(s.to_string()),
        Value::DateTime(t) => J::String(time::format_datetime(*t)),
        Value::TimeSpan(t) => J::String(time::format_timespan(*t)),
        Value::Guid(g) => J::String(format_guid(*g)),
        Value::Dynamic(d) => d.to_json(),
    }
}

fn real_of(v: &J) -> Option<f64> {
    match v {
        J::Number(n) => n.as_f64(),
        J::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

fn reals_equal(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Whether an actual cell equals an expected JSON cell.
fn cell_equal(expected: &J, actual: &Value) -> bool {
    match (expected, actual) {
        (J::Null, v) => v.is_null() || matches!(v, Value::String(s) if s.is_empty()),
        (_, Value::Null) => false,
        (J::String(s), Value::DateTime(t)) => time::parse_datetime(s) == Some(*t),
        (J::String(s), Value::TimeSpan(t)) => time::parse_timespan(s) == Some(*t),
        (J::String(s), Value::Guid(g)) => s.eq_ignore_ascii_case(&format_guid(*g)),
        (e, Value::Real(r)) => real_of(e).is_some_and(|x| reals_equal(x, *r)),
        (e, Value::Decimal(d)) => {
            let x = match e {
                J::String(s) => s.parse::<f64>().ok(),
                other => real_of(other),
            };
            x.zip(d.to_string().parse::<f64>().ok())
                .is_some_and(|(a, b)| reals_equal(a, b))
        }
        (J::Bool(b), Value::Bool(a)) => a == b,
        (J::Number(n), Value::Bool(a)) => n.as_i64() == Some(i64::from(*a)),
        (J::Number(n), Value::Long(a)) => n.as_i64() == Some(*a),
        (J::Number(n), Value::Int(a)) => n.as_i64() == Some(i64::from(*a)),
        (J::String(s), Value::String(a)) => s.as_str() == &**a,
        (e, Value::Dynamic(d)) => json_equal(e, &d.to_json()),
        _ => false,
    }
}

/// JSON equality with numbers compared as reals (within tolerance).
fn json_equal(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x
                .as_f64()
                .zip(y.as_f64())
                .is_some_and(|(p, q)| reals_equal(p, q)),
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

fn row_equal(expected: &[J], actual: &[Value]) -> bool {
    expected.len() == actual.len() && expected.iter().zip(actual).all(|(e, a)| cell_equal(e, a))
}

fn show_row(row: &[Value]) -> String {
    J::Array(row.iter().map(cell_to_json).collect()).to_string()
}

/// Compares a result with the expectation; `Err` holds every difference
/// found, first one first.
fn compare(case: &Case, actual: &Table) -> Result<(), Vec<String>> {
    let mut diffs = Vec::new();
    let names: Vec<&str> = actual.column_names().collect();
    if names
        != case
            .expected
            .columns
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    {
        diffs.push(format!(
            "columns: expected {:?}, got {:?}",
            case.expected.columns, names
        ));
        return Err(diffs);
    }
    for (i, (name, ty)) in actual.schema().iter().enumerate() {
        if let Some(Some(want)) = case.expected.types.get(i) {
            if want != ty {
                diffs.push(format!("column `{name}`: expected type {want}, got {ty}"));
            }
        }
    }
    if case.nondeterministic {
        return if diffs.is_empty() { Ok(()) } else { Err(diffs) };
    }
    let rows: Vec<Vec<Value>> = actual.rows().collect();
    let expected = &case.expected.rows;
    if rows.len() != expected.len() {
        diffs.push(format!(
            "row count: expected {}, got {}",
            expected.len(),
            rows.len()
        ));
    }
    if case.ordered {
        for (i, (e, a)) in expected.iter().zip(&rows).enumerate() {
            if !row_equal(e, a) {
                diffs.push(format!(
                    "row {i}: expected {}, got {}",
                    J::Array(e.clone()),
                    show_row(a)
                ));
            }
        }
    } else {
        let mut used = vec![false; rows.len()];
        for e in expected {
            match (0..rows.len()).find(|&j| !used[j] && row_equal(e, &rows[j])) {
                Some(j) => used[j] = true,
                None => diffs.push(format!("missing row {}", J::Array(e.clone()))),
            }
        }
        for (j, row) in rows.iter().enumerate() {
            if !used[j] {
                diffs.push(format!("unexpected row {}", show_row(row)));
            }
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(diffs)
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    pass: usize,
    fail: usize,
    error: usize,
}

impl Tally {
    fn add(&mut self, v: &Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail(_) => self.fail += 1,
            Verdict::Error(_) => self.error += 1,
        }
    }

    fn total(&self) -> usize {
        self.pass + self.fail + self.error
    }
}

/// Runs `kqlite conformance`.
pub fn conformance(args: ConformanceArgs) -> Outcome {
    let file = match std::fs::File::open(&args.file) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: cannot open {}: {e}", args.file.display());
            return Outcome::Failure;
        }
    };
    let mut cases = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                errln!("error: {}:{}: {e}", args.file.display(), i + 1);
                return Outcome::Failure;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse_case(&line, i + 1) {
            Ok(c) => cases.push(c),
            Err(e) => {
                errln!("error: {}: {e}", args.file.display());
                return Outcome::Failure;
            }
        }
    }
    if let Some(f) = &args.filter {
        cases.retain(|c| c.id.contains(f.as_str()));
    }
    let timeout = Duration::from_secs(args.timeout.max(1));

    if let Some(id) = &args.explain {
        let Some(case) = cases.iter().find(|c| &c.id == id) else {
            return usage_error(format!("no case with id `{id}`"));
        };
        explain(case, timeout);
        return Outcome::Success;
    }

    let mut overall = Tally::default();
    let mut by_tag: BTreeMap<String, Tally> = BTreeMap::new();
    let mut results = Vec::new();
    for case in &cases {
        let verdict = match run_limited(&case.kql, timeout) {
            Ok(table) => match compare(case, &table) {
                Ok(()) => Verdict::Pass,
                Err(diffs) => Verdict::Fail(diffs.into_iter().next().unwrap_or_default()),
            },
            Err(e) => Verdict::Error(e),
        };
        overall.add(&verdict);
        for t in &case.tags {
            by_tag.entry(t.clone()).or_default().add(&verdict);
        }
        results.push((case.id.clone(), verdict));
    }

    let pct = if overall.total() == 0 {
        0.0
    } else {
        100.0 * overall.pass as f64 / overall.total() as f64
    };
    match args.format {
        ReportFormat::Json => {
            let report = json!({
                "total": overall.total(),
                "pass": overall.pass,
                "fail": overall.fail,
                "error": overall.error,
                "pass_pct": (pct * 100.0).round() / 100.0,
                "areas": by_tag.iter().map(|(k, t)| (k.clone(), json!({"pass": t.pass, "fail": t.fail, "error": t.error}))).collect::<serde_json::Map<_, _>>(),
                "cases": results.iter().map(|(id, v)| match v {
                    Verdict::Pass => json!({"id": id, "verdict": "pass"}),
                    Verdict::Fail(d) => json!({"id": id, "verdict": "fail", "difference": d}),
                    Verdict::Error(e) => json!({"id": id, "verdict": "error", "error": e}),
                }).collect::<Vec<_>>(),
            });
            outln!("{report}");
        }
        ReportFormat::Text => {
            for (id, v) in &results {
                match v {
                    Verdict::Pass => {}
                    Verdict::Fail(d) => outln!("FAIL  {id}: {d}"),
                    Verdict::Error(e) => outln!("ERROR {id}: {}", e.lines().next().unwrap_or("")),
                }
            }
            outln!();
            outln!("{:<32} {:>5} {:>5} {:>5}", "area", "pass", "fail", "error");
            for (tag, t) in &by_tag {
                if t.total() >= 3 {
                    outln!("{tag:<32} {:>5} {:>5} {:>5}", t.pass, t.fail, t.error);
                }
            }
            outln!();
            outln!(
                "conformance: {} passed, {} failed, {} errors of {} cases ({pct:.1}% pass)",
                overall.pass,
                overall.fail,
                overall.error,
                overall.total()
            );
        }
    }
    let below_pct = args.min_pass.is_some_and(|m| pct + 1e-9 < m);
    let below_count = args.min_count.is_some_and(|m| overall.pass < m);
    if below_pct || below_count {
        errln!(
            "error: {} cases passed ({pct:.1}%), below the floor ({})",
            overall.pass,
            match (args.min_pass, args.min_count) {
                (Some(p), Some(c)) => format!("{p}% and {c} cases"),
                (Some(p), None) => format!("{p}%"),
                (None, Some(c)) => format!("{c} cases"),
                (None, None) => String::new(),
            }
        );
        return Outcome::Failure;
    }
    Outcome::Success
}

fn explain(case: &Case, timeout: Duration) {
    outln!("case {}", case.id);
    outln!("query:\n{}\n", case.kql);
    outln!("expected columns: {:?}", case.expected.columns);
    outln!(
        "expected types:   {:?}",
        case.expected
            .types
            .iter()
            .map(|t| t.map_or("?".to_string(), |t| t.to_string()))
            .collect::<Vec<_>>()
    );
    for r in &case.expected.rows {
        outln!("  {}", J::Array(r.clone()));
    }
    match run_limited(&case.kql, timeout) {
        Ok(table) => {
            outln!(
                "actual:           {:?}",
                table
                    .schema()
                    .iter()
                    .map(|(n, t)| format!("{n}:{t}"))
                    .collect::<Vec<_>>()
            );
            for r in table.rows() {
                outln!("  {}", show_row(&r));
            }
            match compare(case, &table) {
                Ok(()) => outln!("\nverdict: pass"),
                Err(diffs) => {
                    outln!("\nverdict: fail");
                    for d in diffs {
                        outln!("  {d}");
                    }
                }
            }
        }
        Err(e) => outln!("\nverdict: error\n  {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kqlite_engine::Dynamic;

    #[test]
    fn datetimes_compare_as_ticks_whatever_the_fraction_digits() {
        let t = time::parse_datetime("2018-07-01T00:00:00Z").unwrap();
        assert!(cell_equal(
            &json!("2018-07-01T00:00:00Z"),
            &Value::DateTime(t)
        ));
        assert!(cell_equal(
            &json!("2018-07-01T00:00:00.0000000Z"),
            &Value::DateTime(t)
        ));
    }

    #[test]
    fn reals_compare_with_relative_tolerance_and_nan_equals_nan() {
        assert!(cell_equal(&json!(0.1 + 0.2), &Value::Real(0.3)));
        assert!(cell_equal(&json!("NaN"), &Value::Real(f64::NAN)));
        assert!(!cell_equal(&json!(1.0), &Value::Real(1.001)));
    }

    #[test]
    fn dynamic_cells_compare_as_json_trees() {
        let d = Dynamic::from_json(&json!({"a": [1, 2.5]}));
        assert!(cell_equal(&json!({"a": [1, 2.5]}), &Value::Dynamic(d)));
    }

    #[test]
    fn log_analytics_shaped_expectations_are_accepted() {
        let line = r#"{"id": "x", "kql": "print 1", "expected": {"tables": [{"name": "PrimaryResult", "columns": [{"name": "print_0", "type": "long"}], "rows": [[1]]}]}}"#;
        let case = parse_case(line, 1).unwrap();
        assert_eq!(case.expected.columns, ["print_0"]);
        assert_eq!(case.expected.types, [Some(DataType::Long)]);
    }
}
