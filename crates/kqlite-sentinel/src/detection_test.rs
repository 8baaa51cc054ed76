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
//! seed = 7, scenarios = ["legacy-smtp-basic-auth"] }`).
//!
//! Fixtures cannot pass by accident. Column types come from the built-in
//! catalog of every Sentinel and Defender table ([`crate::tables`]); a
//! `schema` file (any format [`crate::schema_file`] reads) declares custom
//! tables, or replaces built-in ones, and types their rows the same way.
//! Columns a row leaves out are null (empty for strings), so partial rows
//! and `rows = []` just work; a column the table does not have, a value of
//! the wrong type, or a table that is neither in the catalog nor declared
//! is an error at the fixture's file and line, with the closest real name.
//! A case gives exactly the tables its query reads: one it leaves out is an
//! error (write `rows = []` for an empty table), and so is one the query
//! never reads, unless marked `unread = true` (to show that evidence in
//! another table is missed). Expectations: `empty`, `rows` (exact count), `contains` (rows that
//! must appear, matching on the columns given), `excludes` (rows that must
//! not), `table` (the exact result; order-aware only when the query's result
//! ends in `sort`, `order` or `top`). Datetimes compare as instants, numbers
//! numerically, arrays as multisets (Kusto leaves `make_set` order undefined).
//!
//! **A Sentinel rule file as the query.** With `query = "rule.yaml"` (a
//! `.yaml`/`.yml` analytic rule), a case runs the rule's `query` the way
//! one scheduled run does (see [`crate::rule::run`]): the tables it reads
//! keep only the rows with `TimeGenerated` in `[now - queryPeriod, now]`,
//! `now` being the case's. The row expectations above apply to the query's
//! result, and further keys assert what Sentinel would raise (see
//! [`crate::rule::alerts`] for the rules followed):
//!
//! ```toml
//! expect.fires = true        # triggerOperator/triggerThreshold on the row count
//! expect.alerts = 2          # by eventGroupingSettings (0 when it does not fire)
//! expect.entities = [        # entities some alert holds (type + identifiers)
//!   { type = "Account", Name = "alice", UPNSuffix = "contoso.com" },
//! ]
//! expect.custom_details = { Country = ["NL"] }   # values some alert lists
//! ```
//!
//! An error in the rule (its query, `queryPeriod`, trigger) is reported once,
//! at the rule file's line and column.
//!
//! What the query reads from outside its tables comes from the keys
//! `externaldata`, `watchlists` and `geoip`, for the whole file or per case
//! (see [`crate::inputs`]); `lets` may replace a tabular `let` too.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use kqlite_engine::value::{format_guid, Dynamic};
use kqlite_engine::{time, Engine, RunOptions, Table, Value};
use kqlite_parser::ast::{ExprKind, LetValue, OperatorKind, StatementKind};
use kqlite_parser::span::LineIndex;
use serde::Deserialize;

use crate::catalog::Environment;
use crate::generator::default_dataset_options;
use crate::scenarios::{ScenarioId, ScenarioSelection};
use crate::schema_file::SchemaSet;
use crate::tables::{SchemaSource, TableSchema, TableSchemas, UnknownColumn};
use kqlite_engine::did_you_mean;

/// Which files a test file may read (its query, fixtures, schemas and
/// inputs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileAccess {
    /// Only files inside the repository that holds the test file (the
    /// nearest folder above it with a `.git`, else the test file's own
    /// folder), after following symbolic links: a test from an untrusted
    /// change cannot show the contents of `~/.ssh/id_rsa` or
    /// `../../secrets.json` in its failure output.
    #[default]
    Repository,
    /// Any file the process can read.
    Anywhere,
}

/// Where a test file's files must be, per [`FileAccess`].
struct Fence {
    root: Option<PathBuf>,
}

impl Fence {
    fn new(test_file: &Path, access: FileAccess) -> Fence {
        if access == FileAccess::Anywhere {
            return Fence { root: None };
        }
        let dir = test_file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let root = dir
            .ancestors()
            .find(|a| a.join(".git").exists())
            .unwrap_or(&dir)
            .to_path_buf();
        Fence { root: Some(root) }
    }

    /// Fails when `path` (the file for `what`) is outside the root. A file
    /// that does not exist passes: reading it fails with its own error.
    fn check(&self, what: &str, path: &Path) -> Result<(), String> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let Ok(real) = path.canonicalize() else {
            return Ok(());
        };
        if real.starts_with(root) {
            return Ok(());
        }
        Err(format!(
            "the {what} file {} is outside the repository of the test ({}); \
             run `kqlite test --allow-outside` to read it anyway",
            path.display(),
            root.display()
        ))
    }
}

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
    cases: Vec<toml::Spanned<CaseSpec>>,
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
    tables: BTreeMap<String, toml::Spanned<TableSpec>>,
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
    rows: Option<Vec<toml::Spanned<toml::Table>>>,
    /// Given on purpose although the query never reads it (to show that
    /// evidence in another table is missed).
    #[serde(default)]
    unread: bool,
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
    fires: Option<bool>,
    alerts: Option<usize>,
    #[serde(default)]
    entities: Vec<toml::Table>,
    custom_details: Option<BTreeMap<String, Vec<toml::Value>>>,
}

impl ExpectSpec {
    /// The expectations about what a rule raises.
    fn alert_expectations(&self) -> crate::rule::expect::AlertExpectations<'_> {
        crate::rule::expect::AlertExpectations {
            fires: self.fires,
            alerts: self.alerts,
            entities: &self.entities,
            custom_details: self.custom_details.as_ref(),
        }
    }
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
    /// Where the case is written: the test file, its line index and the
    /// case's line.
    at: Arc<(PathBuf, LineIndex)>,
    line: usize,
}

impl TestCase {
    /// The labelled scenarios this case generates data for (for coverage).
    pub fn scenarios(&self) -> Vec<String> {
        self.spec
            .tables
            .values()
            .filter_map(|t| t.get_ref().generate.as_ref())
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
        TestFile::load_with(path, FileAccess::Repository)
    }

    /// [`TestFile::load`], reading the files it names as `access` allows.
    pub fn load_with(path: &Path, access: FileAccess) -> Result<TestFile, TestFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| TestFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        TestFile::parse_with(path, &text, access)
    }

    /// Parses test-file text; `path` locates relative query and fixture
    /// paths, which must stay inside its repository
    /// ([`FileAccess::Repository`]).
    pub fn parse(path: &Path, text: &str) -> Result<TestFile, TestFileError> {
        TestFile::parse_with(path, text, FileAccess::Repository)
    }

    /// [`TestFile::parse`], reading the files it names as `access` allows.
    pub fn parse_with(
        path: &Path,
        text: &str,
        access: FileAccess,
    ) -> Result<TestFile, TestFileError> {
        let spec: FileSpec = toml::from_str(text).map_err(|e| format_error(path, e))?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let fence = Fence::new(path, access);
        let files = match spec.schema {
            None => Vec::new(),
            Some(SchemaFiles::One(f)) => vec![f],
            Some(SchemaFiles::Many(fs)) => fs,
        };
        let mut schema = SchemaSet::new();
        for file in files {
            fence
                .check("schema", &dir.join(&file))
                .map_err(|e| format_error(path, e))?;
            let set = crate::schema_file::load_file(&dir.join(&file), None)
                .map_err(|e| format_error(path, format!("schema: {}", e.with_hint())))?;
            schema.merge(set);
        }
        let schema = Arc::new(schema);
        let at = Arc::new((path.to_path_buf(), LineIndex::new(text)));
        let file_inputs = crate::inputs::InputKeys {
            externaldata: spec.externaldata.clone(),
            watchlists: spec.watchlists.clone(),
            geoip: spec.geoip.clone(),
        }
        .resolve(&dir, &crate::inputs::ExternalInputs::default())
        .map_err(|e| format_error(path, e))?;
        let mut cases = Vec::new();
        for spanned in spec.cases {
            let line = at.1.line_col(spanned.span().start).0;
            let case = spanned.into_inner();
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
            let in_case = |e: String| format_error(path, format!("case `{}`: {e}", case.name));
            fence.check("query", &dir.join(&query)).map_err(in_case)?;
            for file in inputs.files() {
                fence.check("input", file).map_err(in_case)?;
            }
            for (table, t) in &case.tables {
                if let Some(file) = &t.get_ref().file {
                    fence
                        .check(&format!("table `{table}`"), &dir.join(file))
                        .map_err(in_case)?;
                }
            }
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
                at: at.clone(),
                line,
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
    let source = std::fs::read_to_string(&case.query)
        .map_err(|e| format!("cannot read query {}: {e}", case.query.display()))?;
    let query_name = case.query.display().to_string();
    let rule = read_case_rule(case, &source)?;
    let query = match rule.as_ref().and_then(|r| r.query.as_ref()) {
        Some(q) => q.value.clone(),
        None => source.clone(),
    };
    let alert_expect = case.spec.expect.alert_expectations();
    if rule.is_none() && !alert_expect.is_empty() {
        return Err(format!(
            "{} need a rule file as the query (query = \"rule.yaml\")",
            alert_expect.keys().join(", ")
        ));
    }
    let mut engine = Engine::new();
    let schemas = TableSchemas::new(case.schema.clone(), Environment::Sentinel);
    // Notes about left-out functions do not fail a case: a query calling
    // one fails with its own error.
    let _ = schemas.install(&mut engine);
    load_tables(case, &schemas, &mut engine)?;
    crate::inputs::check_lets(&query, &case.lets).map_err(|e| e.to_string())?;
    let mut inputs = case.inputs.clone();
    inputs.now = Some(case.now);
    inputs.install(&mut engine).map_err(|e| e.to_string())?;
    if let Some(q) = rule.as_ref().and_then(|r| r.query.as_ref()) {
        // A rule's query errors read as lines of the rule file.
        if let Err(e) = engine.tables_read(&query) {
            let errors = crate::rule::run::query_error_in_file(q, &e);
            return Err(rule_errors(case, &source, &errors));
        }
    }
    check_tables_against_query(case, &engine, &query, &query_name)?;
    let opts = RunOptions {
        section: case.section.clone(),
        lets: case.lets.clone(),
        now: Some(case.now),
        ..RunOptions::default()
    };
    let (result, outcome) = match &rule {
        Some(rule) => {
            let run = crate::rule::run::run_rule(&mut engine, rule, case.now, &opts)
                .map_err(|ds| rule_errors(case, &source, &ds))?;
            (run.result, Some(run.outcome))
        }
        None => {
            let result = engine
                .run_with(&query, &opts)
                .map_err(|e| query_error_text(&query_name, &query, &e))?;
            (result, None)
        }
    };
    let ordered = result_is_sorted(&query, case.section.as_deref());
    let mut failures = check_expectations(&case.spec.expect, &result, ordered);
    if let Some(outcome) = &outcome {
        failures.extend(alert_expect.check(outcome));
    }
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

/// The rule when the case's query is a YAML rule file.
fn read_case_rule(case: &TestCase, source: &str) -> Result<Option<crate::rule::Rule>, String> {
    let Some(format) = crate::rule::run::rule_format(&case.query) else {
        return Ok(None);
    };
    crate::rule::run::read_rule_file_as(source, format)
        .map(Some)
        .map_err(|d| rule_errors(case, source, &[d]))
}

/// Errors about a rule file, each once, at its line and column.
fn rule_errors(case: &TestCase, source: &str, errors: &[kqlite_parser::Diagnostic]) -> String {
    let path = case.query.display().to_string();
    errors
        .iter()
        .map(|d| crate::rule::run::describe(&path, source, d))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A query error as `file:line:col: error[CODE]: message`, one line per
/// diagnostic (with its hint), each printed once.
pub fn query_error_text(name: &str, query: &str, err: &kqlite_engine::QueryError) -> String {
    let diagnostics = err.diagnostics();
    if diagnostics.is_empty() {
        return format!("{name}: query error: {err}");
    }
    let lines = LineIndex::new(query);
    let mut text = String::new();
    for d in diagnostics {
        if !text.is_empty() {
            text.push('\n');
        }
        if d.span.is_empty() && d.span.start == 0 {
            let _ = write!(text, "{name}: error[{}]: {}", d.code, d.message);
        } else {
            let (line, col) = lines.line_col(d.span.start as usize);
            let _ = write!(
                text,
                "{name}:{line}:{col}: error[{}]: {}",
                d.code, d.message
            );
        }
        if let Some(h) = &d.hint {
            let _ = write!(text, "\n  help: {h}");
        }
    }
    text
}

impl TestCase {
    /// `file:line` of a byte offset in the test file.
    fn location(&self, offset: usize) -> String {
        let (line, _) = self.at.1.line_col(offset);
        format!("{}:{line}", self.at.0.display())
    }

    /// `file:line` of the case itself.
    fn case_location(&self) -> String {
        format!("{}:{}", self.at.0.display(), self.line)
    }
}

/// Fails unless the case gives exactly the tables the query needs: every
/// table the run reads (an empty one is `rows = []`), and none that the
/// query never reads (a misnamed table would otherwise be ignored).
fn check_tables_against_query(
    case: &TestCase,
    engine: &Engine,
    query: &str,
    query_name: &str,
) -> Result<(), String> {
    let opts = RunOptions {
        section: case.section.clone(),
        lets: case.lets.clone(),
        ..RunOptions::default()
    };
    let anywhere = engine
        .tables_read_with(query, &opts)
        .map_err(|e| query_error_text(query_name, query, &e))?;
    let needed = engine
        .tables_read_by(query, &opts)
        .map_err(|e| query_error_text(query_name, query, &e))?;
    let mut problems = Vec::new();
    let missing: Vec<&String> = needed
        .iter()
        .filter(|t| !case.spec.tables.contains_key(*t))
        .collect();
    for (name, spec) in &case.spec.tables {
        if anywhere.contains(name) || spec.get_ref().unread {
            continue;
        }
        let mut text = format!(
            "{}: table `{name}` is given but the query never reads it",
            case.location(spec.span().start)
        );
        let hint =
            format!("; if that is the point of the case, mark it `tables.{name}.unread = true`");
        if let Some(m) = did_you_mean(name, missing.iter().map(|s| s.as_str())) {
            let _ = write!(text, " (did you mean `{m}`?)");
        } else {
            text.push_str(&hint);
        }
        problems.push(text);
    }
    for name in missing {
        problems.push(format!(
            "{}: the query reads table `{name}`, which the case does not give \
             (for an empty table: `tables.{name}.rows = []`)",
            case.case_location()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// The schema of a table the case gives, or an error naming the table and
/// the closest known one.
fn table_schema(
    case: &TestCase,
    schemas: &TableSchemas,
    name: &str,
    at: usize,
) -> Result<TableSchema, String> {
    schemas.get(name).ok_or_else(|| {
        let mut text = format!(
            "{}: `{name}` is not a Sentinel or Defender table",
            case.location(at)
        );
        if let Some(s) = schemas.suggest_table(name) {
            let _ = write!(text, " (did you mean `{s}`?)");
        }
        text.push_str("; a custom table needs its columns declared: `schema = \"FILE\"`");
        text
    })
}

/// The error for columns a fixture has and its table's schema lacks.
fn unknown_columns_error(
    location: &str,
    table: &str,
    schema: &TableSchema,
    unknown: &[UnknownColumn],
) -> String {
    let list: Vec<String> = unknown.iter().map(ToString::to_string).collect();
    let mut text = format!(
        "{location}: table `{table}` has no column{} {}",
        if unknown.len() == 1 { "" } else { "s" },
        list.join(", ")
    );
    if schema.source == SchemaSource::Catalog {
        text.push_str(
            "; if your workspace's table has it, declare the table with `schema = \"FILE\"`",
        );
    }
    text
}

/// The 1-based line of `path` where `column` first appears as a JSON key
/// or CSV header cell (1 when it cannot be found).
fn line_of_column(path: &Path, column: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else {
        return 1;
    };
    let quoted = format!("\"{column}\"");
    text.lines()
        .position(|l| l.contains(&quoted))
        .map_or(1, |i| i + 1)
}

fn load_tables(case: &TestCase, schemas: &TableSchemas, engine: &mut Engine) -> Result<(), String> {
    // Tables generated with the same options are generated together so that
    // a scenario spanning several tables stays consistent.
    let mut generated: Vec<(GenerateSpec, Vec<String>)> = Vec::new();
    let mut problems = Vec::new();
    for (name, spanned) in &case.spec.tables {
        let spec = spanned.get_ref();
        let sources = [
            spec.file.is_some(),
            spec.rows.is_some(),
            spec.generate.is_some(),
        ];
        if sources.iter().filter(|&&s| s).count() != 1 {
            problems.push(format!(
                "{}: table `{name}`: give exactly one of `file`, `rows` or `generate`",
                case.location(spanned.span().start)
            ));
            continue;
        }
        let schema = match table_schema(case, schemas, name, spanned.span().start) {
            Ok(s) => s,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let load = kqlite_engine::io::LoadOptions {
            sparse: true,
            ..Default::default()
        };
        if let Some(file) = &spec.file {
            let path = case.dir.join(file);
            let loaded = kqlite_engine::io::load_file_with(&path, Some(&schema.columns), &load)
                .map_err(|e| e.to_string())?;
            let names: Vec<String> = loaded.table.column_names().map(str::to_string).collect();
            let unknown = schemas.unknown_columns(&schema, names.iter().map(String::as_str));
            if let Some(first) = unknown.first() {
                let location = format!("{}:{}", path.display(), line_of_column(&path, &first.name));
                problems.push(unknown_columns_error(&location, name, &schema, &unknown));
                continue;
            }
            schemas.add_table(engine, name.clone(), loaded.table);
        } else if let Some(rows) = &spec.rows {
            let mut bad = false;
            for row in rows {
                let unknown =
                    schemas.unknown_columns(&schema, row.get_ref().keys().map(String::as_str));
                if !unknown.is_empty() {
                    let location = case.location(row.span().start);
                    problems.push(unknown_columns_error(&location, name, &schema, &unknown));
                    bad = true;
                }
            }
            if bad {
                continue;
            }
            let mut jsonl = String::new();
            for row in rows {
                let obj: serde_json::Map<String, serde_json::Value> = row
                    .get_ref()
                    .iter()
                    .map(|(k, v)| (k.clone(), toml_to_json(v)))
                    .collect();
                jsonl.push_str(&serde_json::Value::Object(obj).to_string());
                jsonl.push('\n');
            }
            let loaded = kqlite_engine::io::load_reader_with(
                jsonl.as_bytes(),
                kqlite_engine::io::Format::JsonLines,
                Some(&schema.columns),
                &format!(
                    "{} (case `{}`, table {name})",
                    case.location(spanned.span().start),
                    case.name
                ),
                &load,
            )
            .map_err(|e| match e {
                // Point at the row in the test file, not at a line of the
                // JSON the rows were turned into.
                kqlite_engine::io::LoadError::Value {
                    line,
                    column,
                    expected,
                    found,
                    ..
                } => {
                    let at = rows
                        .get(line.saturating_sub(1))
                        .map_or(spanned.span().start, |r| r.span().start);
                    format!(
                        "{}: table `{name}`, column `{column}`: expected {expected}, found {found}",
                        case.location(at)
                    )
                }
                other => other.to_string(),
            })?;
            schemas.add_table(engine, name.clone(), loaded.table);
        } else if let Some(g) = &spec.generate {
            match generated.iter_mut().find(|(s, _)| s == g) {
                Some((_, names)) => names.push(name.clone()),
                None => generated.push((g.clone(), vec![name.clone()])),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
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
        let data = schemas.generate(&opts, &refs).map_err(|e| e.to_string())?;
        for (name, table) in data.tables {
            schemas.add_table(engine, name, table);
        }
    }
    Ok(())
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
            ExprKind::Pipe { ops, .. } => {
                return ops.last().is_some_and(|op| {
                    matches!(
                        op.kind,
                        OperatorKind::Sort { .. } | OperatorKind::Top { .. }
                    )
                })
            }
            _ => return false,
        }
    }
}

/// A TOML value as JSON (datetimes as their RFC 3339 text).
pub(crate) fn toml_to_json(v: &toml::Value) -> serde_json::Value {
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
    /// Walks `dir` once: a directory reached again (a symbolic link to an
    /// ancestor, two links to one place) is not walked again.
    fn walk(dir: &Path, seen: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) {
        let Ok(real) = dir.canonicalize() else {
            return;
        };
        if !seen.insert(real) {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, seen, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.toml"))
            {
                out.push(p);
            }
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut seen, &mut out);
        } else {
            out.push(p.clone());
        }
    }
    // One file reached through two paths runs once.
    let mut files = HashSet::new();
    out.retain(|p| files.insert(p.canonicalize().unwrap_or_else(|_| p.clone())));
    out.sort();
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
