//! Unit tests for detections: a TOML file of cases next to a `.kql` file,
//! each case naming its tables, clock, overrides and expected rows.
//!
//! ```toml
//! query = "t1078_004_cloud_accounts.kql"   # relative to this file
//! now = "2026-01-15T12:00:00Z"
//! schema = "schemas/custom.json"   # optional, a file or a list of them
//!
//! [[case]]
//! name = "legacy SMTP sign-in is flagged"
//! why = "`Authenticated SMTP` is in the legacy client list"
//! tables.SigninLogs.rows = [
//!   { TimeGenerated = "2026-01-15T11:00:00Z", ResultType = "0", ClientAppUsed = "Authenticated SMTP",
//!     UserPrincipalName = "svc-mail@contoso.com" },
//! ]
//! expect.rows = 1
//! expect.contains = [{ UserPrincipalName = "svc-mail@contoso.com", IsLegacyAuth = true }]
//! ```
//!
//! A case's tables come from a fixture file (`file = "fixtures/x.jsonl"`:
//! JSON Lines, JSON array, Log Analytics export or CSV), from rows written
//! inline (`rows = [...]`), or from the generator (`generate = { rows = 2000,
//! seed = 7, scenarios = ["legacy-smtp-basic-auth"] }`). Column types come
//! from the Sentinel schemas; columns a row leaves out are null (empty for
//! strings); a `schema` file (any format [`crate::schema_file`] reads)
//! declares further tables, or replaces built-in ones, and types their rows
//! the same way. Expectations: `empty`, `rows` (exact count), `contains` (rows that
//! must appear, matching on the columns given), `excludes` (rows that must
//! not), `table` (the exact result; order-aware only when the query's result
//! ends in `sort`, `order` or `top`). Datetimes compare as instants, numbers
//! numerically, arrays as multisets (Kusto leaves `make_set` order undefined).
//!
//! What the query reads from outside its tables comes from the keys
//! `externaldata`, `watchlists` and `geoip`, for the whole file or per case
//! (see [`crate::inputs`]); `lets` may replace a tabular `let` too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kqlite_engine::value::{format_guid, Dynamic};
use kqlite_engine::{time, DataType, Engine, RunOptions, Table, Value};
use kqlite_parser::ast::{ExprKind, LetValue, OperatorKind, StatementKind};
use serde::Deserialize;

use crate::generator::{default_dataset_options, generate_tables};
use crate::scenarios::{ScenarioId, ScenarioSelection};
use crate::schema_file::SchemaSet;

/// Why a test file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TestFileError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the expected shape.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column when TOML knows them.
        message: String,
    },
}

/// A parsed test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its cases, in file order.
    pub cases: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    query: Option<String>,
    now: Option<toml::Value>,
    #[serde(default)]
    schema: Option<SchemaFiles>,
    #[serde(default)]
    externaldata: BTreeMap<String, crate::inputs::DataSpec>,
    #[serde(default)]
    watchlists: BTreeMap<String, crate::inputs::WatchlistSpec>,
    #[serde(default)]
    geoip: Option<String>,
    #[serde(default, rename = "case")]
    cases: Vec<CaseSpec>,
}

/// The `schema` key: one file or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SchemaFiles {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseSpec {
    name: String,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    now: Option<toml::Value>,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    lets: BTreeMap<String, toml::Value>,
    #[serde(default)]
    tables: BTreeMap<String, TableSpec>,
    #[serde(default)]
    externaldata: BTreeMap<String, crate::inputs::DataSpec>,
    #[serde(default)]
    watchlists: BTreeMap<String, crate::inputs::WatchlistSpec>,
    #[serde(default)]
    geoip: Option<String>,
    #[serde(default)]
    expect: ExpectSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableSpec {
    file: Option<String>,
    rows: Option<Vec<toml::Table>>,
    generate: Option<GenerateSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct GenerateSpec {
    #[serde(default = "default_generated_rows")]
    rows: usize,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default)]
    scenarios: Option<Vec<String>>,
}

fn default_generated_rows() -> usize {
    2_000
}

fn default_seed() -> u64 {
    default_dataset_options().seed
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSpec {
    empty: Option<bool>,
    rows: Option<usize>,
    #[serde(default)]
    contains: Vec<toml::Table>,
    #[serde(default)]
    excludes: Vec<toml::Table>,
    table: Option<Vec<toml::Table>>,
}

/// One case of a test file, resolved against the file's defaults.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// The case's name.
    pub name: String,
    /// Why the expectation holds (shown on failure).
    pub why: Option<String>,
    /// The query file.
    pub query: PathBuf,
    /// The query's `now`, in ticks.
    pub now: i64,
    /// The section to run, if not the final statement.
    pub section: Option<String>,
    /// `let` overrides as KQL text.
    pub lets: Vec<(String, String)>,
    /// `externaldata` files, watchlists and the geo-IP table: the file's
    /// keys with the case's over them.
    pub inputs: crate::inputs::ExternalInputs,
    spec: CaseSpec,
    dir: PathBuf,
    /// Tables declared by schema files.
    schema: Arc<SchemaSet>,
}

impl TestCase {
    /// The labelled scenarios this case generates data for (for coverage).
    pub fn scenarios(&self) -> Vec<String> {
        self.spec
            .tables
            .values()
            .filter_map(|t| t.generate.as_ref())
            .flat_map(|g| g.scenarios.clone().unwrap_or_default())
            .collect()
    }
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every expectation held.
    Pass,
    /// Some expectation failed; the text explains which, with a diff.
    Fail(String),
    /// The case could not run (bad fixture, query error, ...).
    Error(String),
}

/// A case's outcome with its timing.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// What happened.
    pub outcome: Outcome,
    /// Wall time in seconds.
    pub seconds: f64,
}

fn format_error(path: &Path, message: impl std::fmt::Display) -> TestFileError {
    TestFileError::Format {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

fn parse_now(v: &toml::Value) -> Option<i64> {
    match v {
        toml::Value::String(s) => time::parse_datetime(s),
        toml::Value::Datetime(d) => time::parse_datetime(&d.to_string()),
        _ => None,
    }
}

fn let_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl TestFile {
    /// Reads and validates a test file.
    pub fn load(path: &Path) -> Result<TestFile, TestFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| TestFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        TestFile::parse(path, &text)
    }

    /// Parses test-file text; `path` locates relative query and fixture paths.
    pub fn parse(path: &Path, text: &str) -> Result<TestFile, TestFileError> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| format_error(path, e))?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let files = match spec.schema {
            None => Vec::new(),
            Some(SchemaFiles::One(f)) => vec![f],
            Some(SchemaFiles::Many(fs)) => fs,
        };
        let mut schema = SchemaSet::new();
        for file in files {
            let set = crate::schema_file::load_file(&dir.join(&file), None)
                .map_err(|e| format_error(path, format!("schema: {}", e.with_hint())))?;
            schema.merge(set);
        }
        let schema = Arc::new(schema);
        let file_inputs = crate::inputs::InputKeys {
            externaldata: spec.externaldata.clone(),
            watchlists: spec.watchlists.clone(),
            geoip: spec.geoip.clone(),
        }
        .resolve(&dir, &crate::inputs::ExternalInputs::default())
        .map_err(|e| format_error(path, e))?;
        let mut cases = Vec::new();
        for case in spec.cases {
            let inputs = crate::inputs::InputKeys {
                externaldata: case.externaldata.clone(),
                watchlists: case.watchlists.clone(),
                geoip: case.geoip.clone(),
            }
            .resolve(&dir, &file_inputs)
            .map_err(|e| format_error(path, format!("case `{}`: {e}", case.name)))?;
            let query = case
                .query
                .clone()
                .or_else(|| spec.query.clone())
                .ok_or_else(|| {
                    format_error(path, format!("case `{}` names no query file", case.name))
                })?;
            let now_value = case.now.as_ref().or(spec.now.as_ref());
            let now = match now_value {
                Some(v) => parse_now(v).ok_or_else(|| {
                    format_error(
                        path,
                        format!("case `{}`: `now` is not a datetime", case.name),
                    )
                })?,
                None => default_dataset_options().now,
            };
            cases.push(TestCase {
                name: case.name.clone(),
                why: case.why.clone(),
                query: dir.join(query),
                now,
                section: case.section.clone(),
                lets: case
                    .lets
                    .iter()
                    .map(|(k, v)| (k.clone(), let_text(v)))
                    .collect(),
                inputs,
                spec: case,
                dir: dir.clone(),
                schema: schema.clone(),
            });
        }
        Ok(TestFile {
            path: path.to_path_buf(),
            cases,
        })
    }
}

impl TestFile {
    /// Adds the tables of `extra` (e.g. `kqlite test --schema`) to every
    /// case; the file's own `schema` tables win over them.
    pub fn with_schemas(mut self, extra: &SchemaSet) -> TestFile {
        if extra.is_empty() {
            return self;
        }
        for case in &mut self.cases {
            let mut set = extra.clone();
            set.merge((*case.schema).clone());
            case.schema = Arc::new(set);
        }
        self
    }
}

/// Runs one case.
pub fn run_case(case: &TestCase) -> CaseResult {
    let start = Instant::now();
    let outcome = match run_case_inner(case) {
        Ok(o) => o,
        Err(e) => Outcome::Error(e),
    };
    CaseResult {
        name: case.name.clone(),
        outcome,
        seconds: start.elapsed().as_secs_f64(),
    }
}

fn run_case_inner(case: &TestCase) -> Result<Outcome, String> {
    let query = std::fs::read_to_string(&case.query)
        .map_err(|e| format!("cannot read query {}: {e}", case.query.display()))?;
    let mut engine = Engine::new();
    for (name, schema) in crate::schema::schemas() {
        engine.add_schema(name, schema);
    }
    // Notes about left-out functions do not fail a case: a query calling
    // one fails with its own error.
    let _ = case.schema.install(&mut engine);
    load_tables(case, &mut engine)?;
    crate::inputs::check_lets(&query, &case.lets).map_err(|e| e.to_string())?;
    let mut inputs = case.inputs.clone();
    inputs.now = Some(case.now);
    inputs.install(&mut engine).map_err(|e| e.to_string())?;
    let opts = RunOptions {
        section: case.section.clone(),
        lets: case.lets.clone(),
        now: Some(case.now),
        ..RunOptions::default()
    };
    let result = engine.run_with(&query, &opts).map_err(|e| {
        let mut msg = format!("query error: {e}");
        for d in e.diagnostics() {
            let _ = write!(msg, "\n  {}", d.message);
            if let Some(h) = &d.hint {
                let _ = write!(msg, " (help: {h})");
            }
        }
        msg
    })?;
    let ordered = result_is_sorted(&query, case.section.as_deref());
    let failures = check_expectations(&case.spec.expect, &result, ordered);
    if failures.is_empty() {
        Ok(Outcome::Pass)
    } else {
        let mut text = failures.join("\n");
        if let Some(why) = &case.why {
            let _ = write!(text, "\nexpected because: {why}");
        }
        Ok(Outcome::Fail(text))
    }
}

fn load_tables(case: &TestCase, engine: &mut Engine) -> Result<(), String> {
    // Tables generated with the same options are generated together so that
    // a scenario spanning several tables stays consistent.
    let mut generated: Vec<(GenerateSpec, Vec<String>)> = Vec::new();
    for (name, spec) in &case.spec.tables {
        let schema = case
            .schema
            .table(name)
            .map(<[_]>::to_vec)
            .or_else(|| crate::schema::schema(name));
        let sources = [
            spec.file.is_some(),
            spec.rows.is_some(),
            spec.generate.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            return Err(format!(
                "table `{name}`: give exactly one of `file`, `rows` or `generate`"
            ));
        }
        if let Some(file) = &spec.file {
            let path = case.dir.join(file);
            let table = kqlite_engine::io::load_file(&path, schema.as_deref())
                .map_err(|e| e.to_string())?;
            engine.add_table(name.clone(), table);
        } else if let Some(rows) = &spec.rows {
            let mut jsonl = String::new();
            for row in rows {
                let obj: serde_json::Map<String, serde_json::Value> = row
                    .iter()
                    .map(|(k, v)| (k.clone(), toml_to_json(v)))
                    .collect();
                jsonl.push_str(&serde_json::Value::Object(obj).to_string());
                jsonl.push('\n');
            }
            let table = if rows.is_empty() {
                empty_table(schema.as_deref().unwrap_or(&[]))
            } else {
                kqlite_engine::io::load_reader(
                    jsonl.as_bytes(),
                    kqlite_engine::io::Format::JsonLines,
                    schema.as_deref(),
                    &format!("{} (case `{}`, table {name})", case.name, name),
                )
                .map_err(|e| e.to_string())?
            };
            engine.add_table(name.clone(), table);
        } else if let Some(g) = &spec.generate {
            match generated.iter_mut().find(|(s, _)| s == g) {
                Some((_, names)) => names.push(name.clone()),
                None => generated.push((g.clone(), vec![name.clone()])),
            }
        }
    }
    for (g, names) in generated {
        let mut opts = default_dataset_options();
        opts.rows = g.rows;
        opts.seed = g.seed;
        opts.now = case.now;
        opts.scenarios = match &g.scenarios {
            None => ScenarioSelection::All,
            Some(list) if list.is_empty() => ScenarioSelection::None,
            Some(list) => ScenarioSelection::List(
                list.iter()
                    .map(|s| s.parse::<ScenarioId>().map_err(|e| e.to_string()))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let data = generate_tables(&opts, &refs).map_err(|e| e.to_string())?;
        for (name, table) in data.tables {
            engine.add_table(name, table);
        }
    }
    Ok(())
}

fn empty_table(schema: &[(String, DataType)]) -> Table {
    Table::try_new(schema.iter().map(|(n, t)| {
        (
            n.clone(),
            std::sync::Arc::new(kqlite_engine::Column::nulls(*t, 0)),
        )
    }))
    .unwrap_or_default()
}

/// Whether the result of the query (or of `section`) ends in `sort`,
/// `order` or `top`, so that row order is part of the expectation.
fn result_is_sorted(query: &str, section: Option<&str>) -> bool {
    let Ok(script) = kqlite_parser::parse(query) else {
        return false;
    };
    let expr = script
        .statements
        .iter()
        .rev()
        .find_map(|s| match (&s.kind, section) {
            (StatementKind::Let(l), Some(name)) if l.name.name == name => match &l.value {
                LetValue::Expr(e) => Some(e),
                LetValue::Function(_) => None,
            },
            (StatementKind::Query(e), None) => Some(e),
            _ => None,
        });
    let mut expr = match expr {
        Some(e) => e,
        None => return false,
    };
    loop {
        match &expr.kind {
            ExprKind::Paren(inner) => expr = inner,
            ExprKind::Pipe { op, .. } => {
                return matches!(
                    op.kind,
                    OperatorKind::Sort { .. } | OperatorKind::Top { .. }
                )
            }
            _ => return false,
        }
    }
}

fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => serde_json::Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Whether an actual cell matches an expected TOML value.
fn cell_matches(expected: &toml::Value, actual: &Value) -> bool {
    use toml::Value as T;
    match (expected, actual) {
        (T::String(s), Value::Null) => s.is_empty(),
        (_, Value::Null) => false,
        (T::String(s), Value::String(a)) => s.as_str() == &**a,
        (T::String(s), Value::DateTime(t)) | (T::String(s), Value::TimeSpan(t)) => {
            let parsed = if matches!(actual, Value::DateTime(_)) {
                time::parse_datetime(s)
            } else {
                time::parse_timespan(s)
            };
            parsed == Some(*t)
        }
        (T::Datetime(d), Value::DateTime(t)) => time::parse_datetime(&d.to_string()) == Some(*t),
        (T::String(s), Value::Guid(g)) => s.eq_ignore_ascii_case(&format_guid(*g)),
        (T::String(s), Value::Dynamic(Dynamic::String(a))) => s.as_str() == &**a,
        (T::String(s), other) => *s == other.to_string(),
        (T::Integer(i), Value::Int(a)) => *i == i64::from(*a),
        (T::Integer(i), Value::Long(a)) => i == a,
        (T::Integer(i), Value::Real(a)) => (*i as f64 - a).abs() <= 1e-9 * a.abs().max(1.0),
        (T::Integer(i), Value::String(a)) => a.as_ref() == i.to_string(),
        (T::Integer(i), Value::Dynamic(Dynamic::Long(a))) => i == a,
        (T::Float(f), Value::Real(a)) => (f - a).abs() <= 1e-9 * a.abs().max(1.0),
        (T::Float(f), Value::Long(a)) => (f - *a as f64).abs() <= 1e-9,
        (T::Boolean(b), Value::Bool(a)) => b == a,
        (T::Boolean(b), Value::Dynamic(Dynamic::Bool(a))) => b == a,
        (T::Array(_) | T::Table(_), Value::Dynamic(d)) => {
            json_matches(&toml_to_json(expected), &d.to_json())
        }
        _ => false,
    }
}

/// JSON equality where arrays compare as multisets.
fn json_matches(expected: &serde_json::Value, actual: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (expected, actual) {
        (J::Array(e), J::Array(a)) => {
            if e.len() != a.len() {
                return false;
            }
            let mut used = vec![false; a.len()];
            e.iter().all(|ev| {
                let found = a
                    .iter()
                    .enumerate()
                    .find(|(i, av)| !used[*i] && json_matches(ev, av))
                    .map(|(i, _)| i);
                if let Some(i) = found {
                    used[i] = true;
                }
                found.is_some()
            })
        }
        (J::Object(e), J::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, ev)| a.get(k).is_some_and(|av| json_matches(ev, av)))
        }
        (J::Number(e), J::Number(a)) => match (e.as_f64(), a.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            _ => false,
        },
        _ => expected == actual,
    }
}

/// Whether row `row` of `result` matches every column given in `expected`.
/// Unknown columns never match.
fn row_matches(result: &Table, row: usize, expected: &toml::Table) -> bool {
    expected.iter().all(|(col, ev)| {
        result
            .column(col)
            .is_some_and(|c| cell_matches(ev, &c.get(row)))
    })
}

fn format_expected_row(row: &toml::Table) -> String {
    let cells: Vec<String> = row.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", cells.join(", "))
}

/// Renders the actual rows restricted to `columns` (all when empty), at
/// most `limit` rows.
fn format_actual(result: &Table, columns: &[&str], limit: usize) -> String {
    let names: Vec<&str> = if columns.is_empty() {
        result.column_names().collect()
    } else {
        columns
            .iter()
            .copied()
            .filter(|c| result.column(c).is_some())
            .collect()
    };
    let mut out = String::new();
    if result.num_rows() == 0 {
        out.push_str("    (no rows)\n");
        return out;
    }
    for row in 0..result.num_rows().min(limit) {
        let cells: Vec<String> = names
            .iter()
            .filter_map(|n| {
                result
                    .column(n)
                    .map(|c| format!("{n} = {}", show(&c.get(row))))
            })
            .collect();
        let _ = writeln!(out, "    {{ {} }}", cells.join(", "));
    }
    if result.num_rows() > limit {
        let _ = writeln!(out, "    ... and {} more", result.num_rows() - limit);
    }
    out
}

/// Shows a cell the way it would be written in a test file.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(_) | Value::Long(_) | Value::Real(_) | Value::Decimal(_) => v.to_string(),
        Value::Dynamic(d) if !matches!(d, Dynamic::String(_)) => d.to_json().to_string(),
        other => format!("{:?}", other.to_string()),
    }
}

fn check_expectations(expect: &ExpectSpec, result: &Table, ordered: bool) -> Vec<String> {
    let mut failures = Vec::new();
    let n = result.num_rows();
    if expect.empty == Some(true) && n != 0 {
        failures.push(format!(
            "expected no rows, got {n}:\n{}",
            format_actual(result, &[], 10)
        ));
    }
    if expect.empty == Some(false) && n == 0 {
        failures.push("expected some rows, got none".to_string());
    }
    if let Some(want) = expect.rows {
        if want != n {
            failures.push(format!(
                "expected {want} row(s), got {n}:\n{}",
                format_actual(result, &[], 10)
            ));
        }
    }
    for row in &expect.contains {
        if !(0..n).any(|i| row_matches(result, i, row)) {
            let cols: Vec<&str> = row.keys().map(String::as_str).collect();
            let missing: Vec<&str> = cols
                .iter()
                .copied()
                .filter(|c| result.column(c).is_none())
                .collect();
            let mut text = format!("missing row {}", format_expected_row(row));
            if !missing.is_empty() {
                let _ = write!(
                    text,
                    "\n  the result has no column(s): {}",
                    missing.join(", ")
                );
            }
            let _ = write!(
                text,
                "\n  actual rows:\n{}",
                format_actual(result, &cols, 10)
            );
            failures.push(text.trim_end().to_string());
        }
    }
    for row in &expect.excludes {
        let hits: Vec<usize> = (0..n).filter(|&i| row_matches(result, i, row)).collect();
        if !hits.is_empty() {
            let cols: Vec<&str> = row.keys().map(String::as_str).collect();
            let picked = result.take(&hits.iter().map(|&i| i as u32).collect::<Vec<_>>());
            failures.push(
                format!(
                    "unexpected row(s) matching {}:\n{}",
                    format_expected_row(row),
                    format_actual(&picked, &cols, 10)
                )
                .trim_end()
                .to_string(),
            );
        }
    }
    if let Some(table) = &expect.table {
        failures.extend(compare_table(table, result, ordered));
    }
    failures
}

fn compare_table(expected: &[toml::Table], result: &Table, ordered: bool) -> Option<String> {
    let n = result.num_rows();
    let mut text = String::new();
    if expected.len() != n {
        let _ = writeln!(text, "expected {} row(s), got {n}", expected.len());
    }
    let mut used = vec![false; n];
    for (i, row) in expected.iter().enumerate() {
        let hit = if ordered {
            (i < n && row_matches(result, i, row)).then_some(i)
        } else {
            (0..n).find(|&j| !used[j] && row_matches(result, j, row))
        };
        match hit {
            Some(j) => used[j] = true,
            None if ordered => {
                let _ = writeln!(text, "- row {i}: {}", format_expected_row(row));
                if i < n {
                    let cols: Vec<&str> = row.keys().map(String::as_str).collect();
                    let _ = write!(
                        text,
                        "+ row {i}:\n{}",
                        format_actual(&result.take(&[i as u32]), &cols, 1)
                    );
                }
            }
            None => {
                let _ = writeln!(text, "- {}", format_expected_row(row));
            }
        }
    }
    let extra: Vec<u32> = (0..n).filter(|&j| !used[j]).map(|j| j as u32).collect();
    if !extra.is_empty() && (!ordered || expected.len() < n) {
        let _ = write!(
            text,
            "+ unexpected:\n{}",
            format_actual(&result.take(&extra), &[], 10)
        );
    }
    (!text.is_empty()).then(|| {
        format!(
            "result differs from the expected table{}:\n{}",
            if ordered { " (in order)" } else { "" },
            text.trim_end()
        )
    })
}

/// Finds test files (`*.test.toml`) under `paths` (files are taken as given),
/// sorted for a stable order.
pub fn discover(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.toml"))
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_match_as_instants_not_text() {
        let t = time::parse_datetime("2026-01-15T12:00:00Z").unwrap();
        assert!(cell_matches(
            &toml::Value::String("2026-01-15 12:00".into()),
            &Value::DateTime(t)
        ));
    }

    #[test]
    fn arrays_match_as_multisets() {
        let d = Dynamic::from_json(&serde_json::json!(["10.0.0.1", "10.0.0.2"]));
        let expected = toml::Value::Array(vec!["10.0.0.2".into(), "10.0.0.1".into()]);
        assert!(cell_matches(&expected, &Value::Dynamic(d)));
    }

    #[test]
    fn a_string_cell_matches_a_number_by_text() {
        assert!(cell_matches(&toml::Value::Integer(0), &Value::string("0")));
        assert!(!cell_matches(
            &toml::Value::Integer(0),
            &Value::string("50126")
        ));
    }
}
