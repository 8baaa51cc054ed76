//! The embedding API: an [`Engine`] holds tables and runs queries on them.

use kqlite_parser::ast::{Expr, StatementKind};
use kqlite_parser::diagnostic::Diagnostic;

use crate::bind::{self, names, BindOptions, BoundQuery};
use crate::catalog::Catalog;
use crate::error::QueryError;
use crate::eval::{EvalError, Executor, Limits};
use crate::function::EvalContext;
use crate::table::Table;
use crate::time;
use crate::types::DataType;

/// Diagnostic codes for evaluation failures.
pub mod codes {
    /// A function or operator rejected its input.
    pub const FUNCTION_FAILED: &str = "E1100";
    /// A table the query reads has no data.
    pub const MISSING_DATA: &str = "E1101";
    /// An operator's input is out of range.
    pub const INVALID_INPUT: &str = "E1102";
    /// A result exceeds the row limit.
    pub const TOO_MANY_ROWS: &str = "E1103";
    /// A `--let` override is not a single expression.
    pub const BAD_OVERRIDE: &str = "E1104";
}

/// Per-run choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Evaluate the named tabular `let` instead of the final statement.
    pub section: Option<String>,
    /// `let` overrides: name and KQL expression text, e.g.
    /// `("LookbackPeriod", "7d")`.
    pub lets: Vec<(String, String)>,
    /// `now()` for this run, in datetime ticks (overrides the engine's clock).
    pub now: Option<i64>,
}

/// An embeddable KQL engine: a catalog of tables, a clock and limits.
///
/// ```
/// use kqlite_engine::{Engine, Value};
///
/// let mut engine = Engine::new();
/// let logins = engine
///     .run(r#"datatable(User: string, Country: string) ["ana", "KP", "bo", "US"]"#)
///     .unwrap();
/// engine.add_table("Logins", logins);
/// let suspicious = engine
///     .run(r#"Logins | where Country in ("KP", "IR") | project User"#)
///     .unwrap();
/// assert_eq!(suspicious.row(0), vec![Value::string("ana")]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Engine {
    catalog: Catalog,
    now: Option<i64>,
    limits: Limits,
}

impl Engine {
    /// An engine with no tables, using the wall clock for `now()`.
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Adds (or replaces) a table with its data.
    pub fn add_table(&mut self, name: impl Into<String>, table: Table) {
        self.catalog.add_table(name, table);
    }

    /// Declares a table by schema only, so queries over it can be checked.
    pub fn add_schema(&mut self, name: impl Into<String>, schema: Vec<(String, DataType)>) {
        self.catalog.add_schema(name, schema);
    }

    /// Fixes `now()` (datetime ticks) for every later query.
    pub fn set_now(&mut self, ticks: i64) {
        self.now = Some(ticks);
    }

    /// Sets evaluation limits.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The tables known to the engine.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The tables known to the engine, for changes.
    pub fn catalog_mut(&mut self) -> &mut Catalog {
        &mut self.catalog
    }

    /// Runs `query` and returns its result table.
    pub fn run(&self, query: &str) -> Result<Table, QueryError> {
        self.run_with(query, &RunOptions::default())
    }

    /// Runs `query` with a section, `let` overrides or a clock.
    pub fn run_with(&self, query: &str, opts: &RunOptions) -> Result<Table, QueryError> {
        let bound = self.bind(query, opts)?;
        let now = opts
            .now
            .or(self.now)
            .unwrap_or_else(|| time::from_chrono(chrono::Utc::now()));
        let plan = crate::bind::prune::prune_columns(&bound.plan, &self.catalog);
        let mut exec = Executor::new(&self.catalog, EvalContext { now }, self.limits);
        exec.run(&plan).map_err(eval_error)
    }

    /// Binds `query` without reading data: the plan, its schema and warnings.
    pub fn bind(&self, query: &str, opts: &RunOptions) -> Result<BoundQuery, QueryError> {
        let script = kqlite_parser::parse(query)?;
        let overrides = parse_overrides(&opts.lets)?;
        let options = BindOptions {
            section: opts.section.as_deref(),
            overrides: &overrides,
        };
        bind::bind(&script, &self.catalog, &options).map_err(|diags| {
            QueryError::Bind(diags.into_iter().filter(Diagnostic::is_error).collect())
        })
    }

    /// Every error and warning in `query`, without reading data.
    pub fn check(&self, query: &str) -> Vec<Diagnostic> {
        match kqlite_parser::parse(query) {
            Ok(script) => bind::check(&script, &self.catalog),
            Err(e) => e.diagnostics().to_vec(),
        }
    }

    /// The catalog tables `query` reads, in its final statement and in every
    /// tabular `let` (so a caller can load or generate just those).
    pub fn tables_read(&self, query: &str) -> Result<Vec<String>, QueryError> {
        let script = kqlite_parser::parse(query)?;
        let mut out = Vec::new();
        let mut sections: Vec<Option<String>> = vec![None];
        sections.extend(script.statements.iter().filter_map(|s| match &s.kind {
            StatementKind::Let(l) => Some(Some(l.name.name.clone())),
            _ => None,
        }));
        for section in sections {
            let options = BindOptions {
                section: section.as_deref(),
                overrides: &[],
            };
            match bind::bind(&script, &self.catalog, &options) {
                Ok(b) => b.plan.tables(&mut out),
                Err(diags) if section.is_none() => {
                    return Err(QueryError::Bind(
                        diags.into_iter().filter(Diagnostic::is_error).collect(),
                    ))
                }
                // Scalar lets are not sections; skip them.
                Err(_) => {}
            }
        }
        Ok(out)
    }
}

/// Parses each override's text as one KQL expression.
fn parse_overrides(lets: &[(String, String)]) -> Result<Vec<(String, Expr)>, QueryError> {
    let mut out = Vec::with_capacity(lets.len());
    for (name, text) in lets {
        let script = kqlite_parser::parse(text)?;
        match script.statements.as_slice() {
            [s] => match &s.kind {
                StatementKind::Query(e) => out.push((name.clone(), e.clone())),
                _ => return Err(bad_override(name, script.span)),
            },
            _ => return Err(bad_override(name, script.span)),
        }
    }
    Ok(out)
}

fn bad_override(name: &str, span: kqlite_parser::Span) -> QueryError {
    QueryError::Bind(vec![names::error(
        codes::BAD_OVERRIDE,
        format!("the value given for `{name}` is not a single expression"),
        span,
    )])
}

fn eval_error(e: EvalError) -> QueryError {
    let message = e.to_string();
    match e {
        EvalError::Function { span, .. } => {
            QueryError::Eval(names::error(codes::FUNCTION_FAILED, message, span))
        }
        EvalError::MissingData { table } => QueryError::Eval(names::with_hint(
            names::error(codes::MISSING_DATA, message, kqlite_parser::Span::default()),
            format!("add rows for `{table}` with `Engine::add_table`"),
        )),
        EvalError::Invalid { span, .. } => {
            QueryError::Eval(names::error(codes::INVALID_INPUT, message, span))
        }
        EvalError::TooManyRows { span, .. } => {
            QueryError::Eval(names::error(codes::TOO_MANY_ROWS, message, span))
        }
        EvalError::Internal(m) => QueryError::Internal(m),
    }
}
