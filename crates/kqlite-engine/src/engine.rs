//! The embedding API: an [`Engine`] holds tables and runs queries on them.

use std::sync::Arc;

use kqlite_parser::ast::{Expr, StatementKind};
use kqlite_parser::diagnostic::Diagnostic;
use kqlite_parser::ParseOptions;

use crate::bind::{self, names, BindOptions, BoundQuery};
use crate::catalog::Catalog;
use crate::error::QueryError;
use crate::eval::{
    CancelHandle, EvalError, Executor, ExternalSource, ExternalSources, Limits, ResultOverflow,
    Threads,
};
use crate::function::{AggregateFunction, EvalContext, ScalarFunction};
use crate::functions::geoip::GeoIpTable;
use crate::registry::Registry;
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
    /// The query's cancel handle was cancelled.
    pub const CANCELLED: &str = "E1105";
    /// The query ran longer than its time limit.
    pub const TIMED_OUT: &str = "E1106";
    /// An intermediate result exceeds the memory limit.
    pub const TOO_MUCH_MEMORY: &str = "E1107";
    /// The result has more rows than the result-row limit allows.
    pub const RESULT_TOO_LARGE: &str = "E1108";
    /// An `externaldata` URI has no data supplied for it.
    pub const MISSING_EXTERNAL_DATA: &str = "E1109";
    /// A call to a function whose rows the embedder supplies names a key
    /// (e.g. a watchlist) that has none.
    pub const MISSING_FUNCTION_ROWS: &str = "E1110";
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
    /// Stops the run from another thread when cancelled (error `E1105`).
    pub cancel: Option<CancelHandle>,
}

/// A query's result and what the caller should know about it; see
/// [`Engine::execute`].
#[derive(Debug, Clone)]
pub struct QueryOutput {
    /// The result rows.
    pub table: Table,
    /// Things the run did to the result, e.g. truncation.
    pub warnings: Vec<RunWarning>,
    /// Further result tables, in order, each with its name (empty when
    /// unnamed): the legs of `fork` after the first, the tables of `facet`
    /// after the first. Most queries have none.
    pub more: Vec<(String, Table)>,
}

/// A query's first result table and the further ones (name, table).
type Results = (Table, Vec<(String, Table)>);

/// Something a run did to its result that the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunWarning {
    /// The result had more rows than [`Limits::max_result_rows`]; only the
    /// first `kept` are returned (Kusto's `E_QUERY_RESULT_SET_TOO_LARGE`
    /// truncation).
    #[error("the result was truncated to its first {kept} rows of {total} (the result-row limit)")]
    Truncated {
        /// Rows returned.
        kept: usize,
        /// Rows the query produced.
        total: usize,
    },
}

/// An embeddable KQL engine: a catalog of tables, a clock and limits.
///
/// Each query is parsed, bound and evaluated on a thread of its own whose
/// stack fits [`Limits::max_depth`] levels of nesting, so deep queries
/// never overflow the caller's stack; see [`Limits`] for time, row and
/// memory limits and [`RunOptions::cancel`] for stopping a query.
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
    threads: Threads,
    external: std::sync::Arc<ExternalSources>,
    functions: Functions,
}

/// An engine's functions: the shared built-in registry until the embedder
/// registers one, then the engine's own copy.
#[derive(Debug, Clone)]
struct Functions(Arc<Registry>);

impl Default for Functions {
    fn default() -> Functions {
        Functions(Arc::clone(Registry::builtin_shared()))
    }
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

    /// Adds (or replaces) a table with a declared schema whose data may hold
    /// only some of its columns (e.g. a file with just the columns a
    /// detection reads): the others read as nulls and take no memory.
    pub fn add_table_with_schema(
        &mut self,
        name: impl Into<String>,
        table: Table,
        schema: Vec<(String, DataType)>,
    ) {
        self.catalog.add_table_with_schema(name, table, schema);
    }

    /// Declares a table by schema only, so queries over it can be checked.
    pub fn add_schema(&mut self, name: impl Into<String>, schema: Vec<(String, DataType)>) {
        self.catalog.add_schema(name, schema);
    }

    /// Adds a workspace function given by its code (a Sentinel parser, a
    /// saved function): queries that name or call it bind its body in
    /// place, and it hides a table or function signature of the same name.
    ///
    /// ```
    /// use kqlite_engine::catalog::StoredFunction;
    /// use kqlite_engine::Engine;
    ///
    /// let mut engine = Engine::new();
    /// let f = StoredFunction::parse("n: long = 2", "range x from 1 to n step 1", "f.kql").unwrap();
    /// engine.add_stored_function("Numbers", f);
    /// assert_eq!(engine.run("Numbers(n = 5)").unwrap().num_rows(), 5);
    /// assert_eq!(engine.run("Numbers | count").unwrap().num_rows(), 1);
    /// ```
    pub fn add_stored_function(
        &mut self,
        name: impl Into<String>,
        function: crate::catalog::StoredFunction,
    ) {
        self.catalog.add_stored_function(name, function);
    }

    /// Supplies the contents of an `externaldata` URI (as written in the
    /// query, e.g. `https://host/list.csv`): queries parse `bytes` in the
    /// operator's `format=` (else the URI's extension, else CSV), honouring
    /// `ignoreFirstRecord`. Replaces earlier data for the URI.
    ///
    /// ```
    /// use kqlite_engine::{Engine, Value};
    ///
    /// let mut engine = Engine::new();
    /// engine.add_external_data("https://example.invalid/ips.csv", b"ip,score\n10.0.0.1,7\n".to_vec());
    /// let t = engine
    ///     .run(r#"externaldata(ip: string, score: long) ["https://example.invalid/ips.csv"] with (ignoreFirstRecord=true)"#)
    ///     .unwrap();
    /// assert_eq!(t.row(0), vec![Value::string("10.0.0.1"), Value::Long(7)]);
    /// ```
    pub fn add_external_data(&mut self, uri: impl Into<String>, bytes: Vec<u8>) {
        std::sync::Arc::make_mut(&mut self.external)
            .insert(uri, ExternalSource::Bytes(std::sync::Arc::new(bytes)));
    }

    /// Supplies the rows of an `externaldata` URI as a table: its columns
    /// are matched to the declared schema by name (converted to the declared
    /// types; absent ones are null), whatever the query's `format=`.
    pub fn add_external_table(&mut self, uri: impl Into<String>, table: Table) {
        std::sync::Arc::make_mut(&mut self.external)
            .insert(uri, ExternalSource::Table(std::sync::Arc::new(table)));
    }

    /// Gives the geo-IP table `geo_info_from_ip_address(ip)` reads (Kusto
    /// bundles one; kqlite ships none). Without a table the function still
    /// binds, so `check` passes, but evaluating it fails with a diagnostic
    /// at the call. Build the table row by row with
    /// [`GeoIpTable::insert`](crate::functions::geoip::GeoIpTable::insert)
    /// or from a CSV with the header `cidr,country,state,city,latitude,longitude`
    /// with [`GeoIpTable::from_csv`](crate::functions::geoip::GeoIpTable::from_csv).
    ///
    /// ```
    /// use kqlite_engine::GeoIpTable;
    /// let csv = "cidr,country,state,city,latitude,longitude\n\
    ///            20.53.0.0/16,Australia,New South Wales,Sydney,-33.8715,151.2006\n";
    /// let mut engine = kqlite_engine::Engine::new();
    /// engine.set_geoip(GeoIpTable::from_csv(csv.as_bytes(), "geo.csv").unwrap());
    /// let t = engine
    ///     .run("print c = tostring(geo_info_from_ip_address('20.53.203.50').city)")
    ///     .unwrap();
    /// assert_eq!(t.row(0), vec![kqlite_engine::Value::string("Sydney")]);
    /// ```
    pub fn set_geoip(&mut self, table: GeoIpTable) {
        self.catalog.set_geoip(table);
    }

    /// Supplies the rows a workspace function known by signature returns
    /// when called with the constant first argument `key` (for Sentinel's
    /// `_GetWatchlist('name')`: one table per watchlist). The call binds to
    /// `table` and has its columns. Once a function has rows, a call with
    /// another key fails with `E1110` naming it. See
    /// [`Catalog::add_function_rows`](crate::Catalog::add_function_rows).
    ///
    /// ```
    /// use kqlite_engine::catalog::{FunctionParam, TabularFunction};
    /// use kqlite_engine::{DataType, Engine, Value};
    ///
    /// let mut engine = Engine::new();
    /// let name = FunctionParam { name: "name".into(), ty: DataType::String, required: true };
    /// engine.catalog_mut().add_function(
    ///     "Lookup",
    ///     TabularFunction { params: vec![name], schema: Vec::new() },
    /// );
    /// let rows = engine.run(r#"datatable(Ip: string) ["10.0.0.1"]"#).unwrap();
    /// engine.add_function_rows("Lookup", "allowed", rows);
    /// let t = engine.run("Lookup('allowed') | project Ip").unwrap();
    /// assert_eq!(t.row(0), vec![Value::string("10.0.0.1")]);
    /// assert!(engine.run("Lookup('denied')").is_err());
    /// ```
    pub fn add_function_rows(
        &mut self,
        function: impl Into<String>,
        key: impl Into<String>,
        table: Table,
    ) {
        self.catalog.add_function_rows(function, key, table);
    }

    /// Declares that calls to `function` read rows given with
    /// [`Engine::add_function_rows`], even if none are given, so a call
    /// whose key has none fails at binding (`E1110`) with `hint` as its
    /// help; `{key}` in `hint` stands for the key.
    pub fn serve_function_rows(&mut self, function: impl Into<String>, hint: impl Into<String>) {
        self.catalog.serve_function_rows(function, hint);
    }

    /// Fixes `now()` (datetime ticks) for every later query.
    pub fn set_now(&mut self, ticks: i64) {
        self.now = Some(ticks);
    }

    /// Sets how many threads each query may use: `0` = every core (the
    /// default), `1` = only the calling thread. Large inputs are split into
    /// row chunks evaluated in parallel; results are identical either way.
    pub fn set_threads(&mut self, threads: usize) {
        self.threads = Threads::fixed(threads);
    }

    /// How many threads a query may use.
    pub fn threads(&self) -> usize {
        self.threads.count()
    }

    /// Sets the limits for every later query: rows, memory, nesting depth,
    /// time (see [`Limits`]).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The limits queries run under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The scalar functions and aggregates this engine's queries can call:
    /// the built-in ones plus any registered on this engine.
    pub fn functions(&self) -> &Registry {
        &self.functions.0
    }

    /// This engine's functions, for changes (adding, replacing). The first
    /// change copies the shared built-in registry, so other engines are not
    /// affected. See [`crate::registry`] for which names a registration can
    /// replace.
    pub fn functions_mut(&mut self) -> &mut Registry {
        Arc::make_mut(&mut self.functions.0)
    }

    /// Registers a scalar function for this engine's queries (replacing a
    /// function of the same name, a built-in included, in this engine only).
    ///
    /// ```
    /// use kqlite_engine::function::{
    ///     ColumnarValue, EvalContext, FunctionError, FunctionProperties, ScalarFunction,
    /// };
    /// use kqlite_engine::{DataType, Engine, Value};
    ///
    /// /// `answer()`: 42.
    /// struct Answer;
    ///
    /// impl ScalarFunction for Answer {
    ///     fn name(&self) -> &'static str {
    ///         "answer"
    ///     }
    ///     fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
    ///         match args.len() {
    ///             0 => Ok(DataType::Long),
    ///             got => Err(FunctionError::Arity { expected: "0".into(), got }),
    ///         }
    ///     }
    ///     fn properties(&self) -> FunctionProperties {
    ///         FunctionProperties::PLAIN
    ///     }
    ///     fn invoke(
    ///         &self,
    ///         _: &[ColumnarValue],
    ///         _: usize,
    ///         _: &EvalContext,
    ///     ) -> Result<ColumnarValue, FunctionError> {
    ///         Ok(ColumnarValue::Scalar(Value::Long(42), DataType::Long))
    ///     }
    /// }
    ///
    /// let mut engine = Engine::new();
    /// engine.register_scalar(Answer);
    /// let t = engine.run("print a = answer() + 1").unwrap();
    /// assert_eq!(t.row(0), vec![Value::Long(43)]);
    /// assert!(Engine::new().run("print answer()").is_err());
    /// ```
    pub fn register_scalar(&mut self, f: impl ScalarFunction + 'static) {
        self.functions_mut().add_scalar(Arc::new(f));
    }

    /// Registers an aggregate for this engine's `summarize` (replacing one of
    /// the same name, a built-in included, in this engine only). See
    /// `examples/custom_function.rs` for a complete aggregate.
    pub fn register_aggregate(&mut self, f: impl AggregateFunction + 'static) {
        self.functions_mut().add_aggregate(Arc::new(f));
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
    ///
    /// Every row of the result is returned: this entry point has no way to
    /// report a truncation, so [`Limits::max_result_rows`] applies only when
    /// [`Limits::result_overflow`] is [`ResultOverflow::Error`]. Use
    /// [`Engine::execute`] for Kusto's truncate-with-warning behaviour.
    pub fn run(&self, query: &str) -> Result<Table, QueryError> {
        self.run_with(query, &RunOptions::default())
    }

    /// Runs `query` with a section, `let` overrides, a clock or a cancel
    /// handle. Returns every row, like [`Engine::run`].
    pub fn run_with(&self, query: &str, opts: &RunOptions) -> Result<Table, QueryError> {
        let (table, _) = self.evaluate(query, opts)?;
        self.check_result_rows(&table)?;
        Ok(table)
    }

    /// Runs `query` under every limit, including the result-row limit: with
    /// [`ResultOverflow::Truncate`] (the default) a longer result is cut to
    /// [`Limits::max_result_rows`] rows and [`QueryOutput::warnings`] says
    /// so; with [`ResultOverflow::Error`] it is error `E1108`.
    ///
    /// ```
    /// use kqlite_engine::engine::RunWarning;
    /// use kqlite_engine::eval::Limits;
    /// use kqlite_engine::{Engine, RunOptions};
    ///
    /// let mut engine = Engine::new();
    /// engine.set_limits(Limits { max_result_rows: 3, ..Limits::default() });
    /// let out = engine
    ///     .execute("range x from 1 to 10 step 1", &RunOptions::default())
    ///     .unwrap();
    /// assert_eq!(out.table.num_rows(), 3);
    /// assert_eq!(out.warnings, vec![RunWarning::Truncated { kept: 3, total: 10 }]);
    /// ```
    pub fn execute(&self, query: &str, opts: &RunOptions) -> Result<QueryOutput, QueryError> {
        let (table, more) = self.evaluate(query, opts)?;
        self.check_result_rows(&table)?;
        for (_, t) in &more {
            self.check_result_rows(t)?;
        }
        let kept = self.limits.max_result_rows;
        let mut warnings = Vec::new();
        let mut cut = |table: Table| {
            let total = table.num_rows();
            if total <= kept {
                return table;
            }
            warnings.push(RunWarning::Truncated { kept, total });
            let idx: Vec<u32> = (0..kept).filter_map(|i| u32::try_from(i).ok()).collect();
            table.take(&idx)
        };
        let table = cut(table);
        let more = more.into_iter().map(|(n, t)| (n, cut(t))).collect();
        Ok(QueryOutput {
            table,
            warnings,
            more,
        })
    }

    /// Error `E1108` when the result is too long and the overflow policy is
    /// [`ResultOverflow::Error`].
    fn check_result_rows(&self, table: &Table) -> Result<(), QueryError> {
        let limit = self.limits.max_result_rows;
        if self.limits.result_overflow == ResultOverflow::Error && table.num_rows() > limit {
            return Err(QueryError::Eval(names::with_hint(
                names::error(
                    codes::RESULT_TOO_LARGE,
                    format!(
                        "the result has {} rows, more than the result-row limit of {limit}",
                        table.num_rows()
                    ),
                    kqlite_parser::Span::default(),
                ),
                "narrow the query (`take`, `summarize`, `where`) or raise the limit",
            )));
        }
        Ok(())
    }

    /// Binds and evaluates `query` under the limits, without the result-row
    /// limit.
    fn evaluate(&self, query: &str, opts: &RunOptions) -> Result<Results, QueryError> {
        self.on_query_stack(|| self.evaluate_here(query, opts))
            .unwrap_or_else(|| self.evaluate_here(query, opts))
    }

    /// Runs `f` on a thread with a stack deep enough for
    /// [`Limits::max_depth`] levels of nesting (the caller's stack may be
    /// small, e.g. a test thread's 2 MiB). `None` if the thread cannot
    /// start; a panic in `f` is resumed on the caller.
    fn on_query_stack<R: Send>(&self, f: impl FnOnce() -> R + Send) -> Option<R> {
        let size = crate::eval::query_stack(self.limits.max_depth);
        std::thread::scope(|scope| {
            let handle = std::thread::Builder::new()
                .name("kqlite-query".into())
                .stack_size(size)
                .spawn_scoped(scope, f)
                .ok()?;
            Some(
                handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        })
    }

    fn evaluate_here(&self, query: &str, opts: &RunOptions) -> Result<Results, QueryError> {
        // The clock starts before parsing: binding counts against the
        // timeout too.
        let guard =
            crate::eval::limits::Guard::start(&self.limits).with_cancel(opts.cancel.clone());
        let bound = self.bind_guarded(query, opts, Some(guard.clone()))?;
        let now = opts
            .now
            .or(self.now)
            .unwrap_or_else(|| time::from_chrono(chrono::Utc::now()));
        let plan = crate::bind::prune::prune_columns(&bound.plan, &self.catalog);
        let mut exec = Executor::new(&self.catalog, EvalContext { now }, self.limits)
            .with_threads(self.threads.clone())
            .with_guard(guard)
            .with_external(self.external.clone());
        let table = exec.run(&plan).map_err(eval_error)?;
        let mut more = Vec::with_capacity(bound.more.len());
        for (name, plan, _) in &bound.more {
            let plan = crate::bind::prune::prune_columns(plan, &self.catalog);
            more.push((name.clone(), exec.run(&plan).map_err(eval_error)?));
        }
        Ok((table, more))
    }

    /// The plan a run of `query` with `opts` evaluates, as indented text:
    /// one operator per line (children below, indented) with its key
    /// arguments and output column count, and in brackets the physical
    /// choices made from the plan's shape (columns read from each table,
    /// filters that use zone maps, streamed and chunked runs, merged
    /// per-chunk aggregation, per-distinct evaluation). Reads no data.
    ///
    /// ```
    /// use kqlite_engine::{DataType, Engine, RunOptions};
    ///
    /// let mut engine = Engine::new();
    /// engine.add_schema("T", vec![("a".into(), DataType::Long), ("b".into(), DataType::String)]);
    /// let plan = engine.explain("T | where a > 1 | project a", &RunOptions::default()).unwrap();
    /// assert!(plan.starts_with("Project a (1 column)"));
    /// ```
    pub fn explain(&self, query: &str, opts: &RunOptions) -> Result<String, QueryError> {
        let explain = || -> Result<String, QueryError> {
            let bound = self.bind_here(query, opts)?;
            let plan = crate::bind::prune::prune_columns(&bound.plan, &self.catalog);
            Ok(crate::explain::render(&plan, &self.catalog))
        };
        self.on_query_stack(explain).unwrap_or_else(explain)
    }

    /// Binds `query` without reading data: the plan, its schema and warnings.
    pub fn bind(&self, query: &str, opts: &RunOptions) -> Result<BoundQuery, QueryError> {
        self.on_query_stack(|| self.bind_here(query, opts))
            .unwrap_or_else(|| self.bind_here(query, opts))
    }

    fn bind_here(&self, query: &str, opts: &RunOptions) -> Result<BoundQuery, QueryError> {
        let guard =
            crate::eval::limits::Guard::start(&self.limits).with_cancel(opts.cancel.clone());
        self.bind_guarded(query, opts, Some(guard))
    }

    /// Parses and binds `query`, stopping once `guard` fires.
    fn bind_guarded(
        &self,
        query: &str,
        opts: &RunOptions,
        guard: Option<crate::eval::limits::Guard>,
    ) -> Result<BoundQuery, QueryError> {
        let script = self.parse(query)?;
        let overrides = parse_overrides(&opts.lets, self.parse_options())?;
        let options = BindOptions {
            section: opts.section.as_deref(),
            overrides: &overrides,
            registry: Some(self.functions()),
            limits: Some(self.limits),
        };
        bind::bind_guarded(&script, &self.catalog, &options, guard).map_err(|diags| {
            QueryError::Bind(diags.into_iter().filter(Diagnostic::is_error).collect())
        })
    }

    fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            max_depth: self.limits.max_depth.min(crate::eval::MAX_SUPPORTED_DEPTH),
        }
    }

    /// Parses `query` within [`Limits::max_depth`].
    fn parse(&self, query: &str) -> Result<kqlite_parser::ast::Script, kqlite_parser::ParseError> {
        kqlite_parser::parse_with(query, &self.parse_options())
    }

    /// Every error and warning in `query`, without reading data.
    pub fn check(&self, query: &str) -> Vec<Diagnostic> {
        let check = || match self.parse(query) {
            Ok(script) => bind::check(&script, &self.catalog, self.functions()),
            Err(e) => e.diagnostics().to_vec(),
        };
        self.on_query_stack(check).unwrap_or_else(check)
    }

    /// The catalog tables `query` reads, in its final statement and in every
    /// tabular `let` (so a caller can load or generate just those).
    pub fn tables_read(&self, query: &str) -> Result<Vec<String>, QueryError> {
        self.on_query_stack(|| self.tables_read_here(query, &[]))
            .unwrap_or_else(|| self.tables_read_here(query, &[]))
    }

    /// The catalog tables a run with `opts` reads: those of its section
    /// (a tabular `let`), or of the final statement when it names none,
    /// with its `let` overrides applied. What a run needs data for.
    pub fn tables_read_by(
        &self,
        query: &str,
        opts: &RunOptions,
    ) -> Result<Vec<String>, QueryError> {
        let read = || -> Result<Vec<String>, QueryError> {
            let overrides = parse_overrides(&opts.lets, self.parse_options())?;
            let script = self.parse(query)?;
            let options = BindOptions {
                section: opts.section.as_deref(),
                overrides: &overrides,
                registry: Some(self.functions()),
                limits: Some(self.limits),
            };
            let bound = bind::bind(&script, &self.catalog, &options).map_err(|diags| {
                QueryError::Bind(diags.into_iter().filter(Diagnostic::is_error).collect())
            })?;
            let mut out = Vec::new();
            bound.plan.tables(&mut out);
            Ok(out)
        };
        self.on_query_stack(read).unwrap_or_else(read)
    }

    /// [`Engine::tables_read`] with the `let` overrides of `opts` applied,
    /// so a table read only by a `let` an override replaces (e.g. `--let
    /// 'Feed=datatable(...)'`) is not listed.
    pub fn tables_read_with(
        &self,
        query: &str,
        opts: &RunOptions,
    ) -> Result<Vec<String>, QueryError> {
        let overrides = parse_overrides(&opts.lets, self.parse_options())?;
        self.on_query_stack(|| self.tables_read_here(query, &overrides))
            .unwrap_or_else(|| self.tables_read_here(query, &overrides))
    }

    fn tables_read_here(
        &self,
        query: &str,
        overrides: &[(String, Expr)],
    ) -> Result<Vec<String>, QueryError> {
        let script = self.parse(query)?;
        let mut out = Vec::new();
        let mut sections: Vec<Option<String>> = vec![None];
        sections.extend(script.statements.iter().filter_map(|s| match &s.kind {
            StatementKind::Let(l) => Some(Some(l.name.name.clone())),
            _ => None,
        }));
        for section in sections {
            let options = BindOptions {
                section: section.as_deref(),
                overrides,
                registry: Some(self.functions()),
                limits: Some(self.limits),
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

    /// The columns `query` reads from each table [`Engine::tables_read`]
    /// returns (same table order, columns in schema order), over its final
    /// statement and every tabular `let`.
    ///
    /// A column counts as read when, without it, some section no longer
    /// binds or binds to a different result schema. That is a superset of
    /// the columns evaluation touches, so a table cut down to these columns
    /// gives every section the same result — e.g. for generating or loading
    /// only what a detection needs.
    pub fn columns_read(&self, query: &str) -> Result<Vec<(String, Vec<String>)>, QueryError> {
        self.on_query_stack(|| self.columns_read_here(query))
            .unwrap_or_else(|| self.columns_read_here(query))
    }

    fn columns_read_here(&self, query: &str) -> Result<Vec<(String, Vec<String>)>, QueryError> {
        let tables = self.tables_read_here(query, &[])?;
        let script = self.parse(query)?;
        let mut schemas: Vec<(String, bind::Schema)> = tables
            .iter()
            .filter_map(|n| Some((n.clone(), self.catalog.schema(n)?.to_vec())))
            .collect();
        let bind_all = |schemas: &[(String, bind::Schema)], section: Option<&str>| {
            let mut catalog = self.catalog.clone();
            for (name, schema) in schemas {
                catalog.add_schema(name.clone(), schema.clone());
            }
            let options = BindOptions {
                section,
                overrides: &[],
                registry: Some(self.functions()),
                limits: Some(self.limits),
            };
            bind::bind(&script, &catalog, &options)
                .ok()
                .map(|b| b.schema)
        };
        let mut sections: Vec<Option<String>> = vec![None];
        sections.extend(script.statements.iter().filter_map(|s| match &s.kind {
            StatementKind::Let(l) => Some(Some(l.name.name.clone())),
            _ => None,
        }));
        // Scalar lets do not bind as sections; only tabular results count.
        let baseline: Vec<(Option<String>, bind::Schema)> = sections
            .into_iter()
            .filter_map(|s| bind_all(&schemas, s.as_deref()).map(|schema| (s, schema)))
            .collect();
        let mut out = Vec::with_capacity(tables.len());
        for table in tables {
            let Some(t) = schemas.iter().position(|(n, _)| *n == table) else {
                continue;
            };
            let full = schemas.get(t).map(|(_, s)| s.clone()).unwrap_or_default();
            let mut read = Vec::new();
            for (i, (column, _)) in full.iter().enumerate() {
                let mut without = full.clone();
                without.remove(i);
                if let Some(slot) = schemas.get_mut(t) {
                    slot.1 = without;
                }
                let needed = baseline
                    .iter()
                    .any(|(s, schema)| bind_all(&schemas, s.as_deref()).as_ref() != Some(schema));
                if needed {
                    read.push(column.clone());
                }
            }
            if let Some(slot) = schemas.get_mut(t) {
                slot.1 = full;
            }
            out.push((table, read));
        }
        Ok(out)
    }
}

/// Parses each override's text as one KQL expression.
fn parse_overrides(
    lets: &[(String, String)],
    options: ParseOptions,
) -> Result<Vec<(String, Expr)>, QueryError> {
    let mut out = Vec::with_capacity(lets.len());
    for (name, text) in lets {
        let script = kqlite_parser::parse_with(text, &options)?;
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
        EvalError::Function {
            span,
            source: crate::function::FunctionError::TooLarge { .. },
        } => QueryError::Eval(names::with_hint(
            names::error(codes::TOO_MUCH_MEMORY, message, span),
            "one string or dynamic value may hold at most 32 MiB (Kusto's largest cell)",
        )),
        EvalError::Function {
            span,
            source: crate::function::FunctionError::TooManyElements { .. },
        } => QueryError::Eval(names::with_hint(
            names::error(codes::TOO_MUCH_MEMORY, message, span),
            "one array built by a function may hold at most 1,048,576 elements (Kusto's make_list default)",
        )),
        EvalError::Function {
            span,
            source: crate::function::FunctionError::OutOfMemory { .. },
        } => QueryError::Eval(names::with_hint(
            names::error(codes::TOO_MUCH_MEMORY, message, span),
            "narrow the query before this call or raise the memory limit (--max-memory)",
        )),
        EvalError::Function { span, .. } => {
            QueryError::Eval(names::error(codes::FUNCTION_FAILED, message, span))
        }
        EvalError::MissingData { table } => QueryError::Eval(names::with_hint(
            names::error(codes::MISSING_DATA, message, kqlite_parser::Span::default()),
            format!("add rows for `{table}` with `Engine::add_table`"),
        )),
        EvalError::MissingExternalData { uri, span } => QueryError::Eval(names::with_hint(
            names::error(codes::MISSING_EXTERNAL_DATA, message, span),
            format!(
                "pass --externaldata '{uri}=PATH' (in a test: externaldata.\"{uri}\".file = \"PATH\"), \
                 or use `Engine::add_external_data` when embedding"
            ),
        )),
        EvalError::Invalid { span, .. } => {
            QueryError::Eval(names::error(codes::INVALID_INPUT, message, span))
        }
        EvalError::TooManyRows { span, .. } => {
            QueryError::Eval(names::error(codes::TOO_MANY_ROWS, message, span))
        }
        EvalError::Cancelled => QueryError::Eval(names::error(
            codes::CANCELLED,
            message,
            kqlite_parser::Span::default(),
        )),
        EvalError::TimedOut { .. } => QueryError::Eval(names::with_hint(
            names::error(codes::TIMED_OUT, message, kqlite_parser::Span::default()),
            "narrow the query or raise the time limit",
        )),
        EvalError::OutOfMemory { span, .. } => QueryError::Eval(names::with_hint(
            names::error(codes::TOO_MUCH_MEMORY, message, span),
            "narrow the query before this operator or raise the memory limit",
        )),
        EvalError::Internal(m) => QueryError::Internal(m),
    }
}

#[cfg(test)]
mod columns_read_tests {
    use super::*;

    fn engine() -> Engine {
        let mut e = Engine::new();
        e.add_schema(
            "T",
            vec![
                ("a".into(), DataType::Long),
                ("b".into(), DataType::String),
                ("c".into(), DataType::Dynamic),
            ],
        );
        e.add_schema("U", vec![("x".into(), DataType::Long)]);
        e
    }

    #[test]
    fn columns_read_lists_only_the_columns_a_projection_uses() {
        let got = engine()
            .columns_read("T | where a > 1 | project c.k")
            .unwrap();
        assert_eq!(got, vec![("T".to_string(), vec!["a".into(), "c".into()])]);
    }

    #[test]
    fn columns_read_keeps_every_column_a_star_result_shows() {
        let got = engine().columns_read("T | where a > 1").unwrap();
        assert_eq!(
            got,
            vec![("T".to_string(), vec!["a".into(), "b".into(), "c".into()])]
        );
    }

    #[test]
    fn a_table_read_only_by_an_overridden_let_is_not_read() {
        let q = "let Feed = U | project x; T | where a in (Feed)";
        let e = engine();
        assert_eq!(e.tables_read(q).unwrap(), ["T", "U"]);
        let opts = RunOptions {
            lets: vec![("Feed".into(), "datatable(x: long) [1]".into())],
            ..RunOptions::default()
        };
        assert_eq!(e.tables_read_with(q, &opts).unwrap(), ["T"]);
    }

    #[test]
    fn columns_read_covers_tabular_lets_that_the_final_statement_ignores() {
        let got = engine()
            .columns_read("let S = U | project x; let n = 3; T | project b")
            .unwrap();
        assert_eq!(
            got,
            vec![
                ("T".to_string(), vec!["b".into()]),
                ("U".to_string(), vec!["x".into()])
            ]
        );
    }
}
