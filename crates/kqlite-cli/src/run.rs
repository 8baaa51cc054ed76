//! `kqlite run`: evaluate a query against tables from files or built-in
//! synthetic Sentinel data.

use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use kqlite_engine::eval::{Limits, ResultOverflow};
use kqlite_engine::{Engine, QueryError, RunOptions, Table};
use kqlite_sentinel::catalog::Environment;
use kqlite_sentinel::tables::TableSchemas;

use crate::{render, usage_error, Outcome};

/// Arguments of `kqlite run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The query file (`-` reads the query from standard input), or a
    /// Sentinel analytic rule (`.yaml`/`.yml`, ARM `.json`): its `query` runs over the
    /// rows with TimeGenerated in its `queryPeriod` window ending at now,
    /// and stderr then tells whether the rule fires and lists its alerts
    /// with their entities and custom details.
    query: String,
    /// Loads a table from a file (JSON Lines, JSON array, Log Analytics
    /// export or CSV), typed by its catalog or --schema columns. With no
    /// --table, every table comes from built-in synthetic data (see --seed,
    /// --rows); with some, the query must not read others (see
    /// --synthetic-rest).
    #[arg(long = "table", value_name = "NAME=PATH")]
    tables: Vec<String>,
    /// Declares tables from a schema file (see `kqlite check --schema`):
    /// they type the --table files of that name, and a table declared but
    /// not given reads as empty. Repeatable.
    #[arg(long = "schema", value_name = "[NAME=]FILE")]
    schemas: Vec<String>,
    /// The query's `now()` (RFC 3339). Defaults to the built-in data's
    /// `now` when it is used, else the current time.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Evaluates the named tabular `let` instead of the final statement.
    #[arg(long, value_name = "NAME")]
    section: Option<String>,
    /// Overrides a `let` (or query parameter) with a KQL expression, scalar
    /// or tabular, e.g. `--let LookbackPeriod=7d` or
    /// `--let 'Allowed=datatable(Ip: string) ["10.0.0.1"]'` (repeatable).
    #[arg(long = "let", value_name = "NAME=EXPR")]
    lets: Vec<String>,
    /// Gives the contents of an `externaldata` URL (as the query writes it)
    /// from a local file, parsed in the query's `format` (repeatable).
    #[arg(long = "externaldata", value_name = "URL=PATH")]
    externaldata: Vec<String>,
    /// Gives the watchlist `_GetWatchlist('NAME')` reads, from a CSV file
    /// with a header; SEARCHKEY names the column `SearchKey` copies (default:
    /// the first) (repeatable).
    #[arg(long = "watchlist", value_name = "NAME[:SEARCHKEY]=PATH")]
    watchlists: Vec<String>,
    /// Gives the geo-IP table `geo_info_from_ip_address` reads: a CSV with
    /// the header `cidr,country,state,city,latitude,longitude`.
    #[arg(long, value_name = "PATH")]
    geoip: Option<PathBuf>,
    /// Output format. `parquet` and `arrow` (an Arrow IPC file) are binary:
    /// give --out, or redirect stdout to a file or pipe.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Writes the result to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// With `--format csv`, writes text cells that start with `=`, `+`,
    /// `-`, `@`, a tab or a carriage return as they are. By default they
    /// get a leading `'`, so a spreadsheet opening the file does not run
    /// attacker-written text (a command line, a URL) as a formula.
    #[arg(long)]
    raw_csv: bool,
    /// Loads once, runs the query N times and prints timings as one JSON
    /// line on stderr.
    #[arg(long, value_name = "N", default_value_t = 1)]
    repeat: usize,
    /// Seed of the built-in synthetic data.
    #[arg(long, value_name = "SEED")]
    seed: Option<u64>,
    /// SigninLogs rows of the built-in synthetic data (other tables scale).
    #[arg(long, value_name = "N")]
    rows: Option<usize>,
    /// When some tables come from --table, fills the other tables the
    /// query reads with built-in synthetic rows (by default that is an
    /// error listing them, so real and synthetic rows never mix unasked).
    #[arg(long)]
    synthetic_rest: bool,
    /// Threads for loading and evaluation (0 = every core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Leaves out, and lists on stderr, the JSON Lines lines and CSV records
    /// of --table files that cannot be used (bad syntax, wrong types, ...),
    /// instead of failing on the first one.
    #[arg(long)]
    lenient: bool,
    /// Reads workspace functions and Sentinel parsers (`.kql` files, parser
    /// `.yaml`) from a folder, so the query runs their real code (repeatable).
    #[arg(long = "functions", value_name = "DIR")]
    functions: Vec<PathBuf>,
    /// With a rule file: print what the rule raises (fires, alerts,
    /// entities, custom details) as one JSON document on stdout, instead of
    /// the result rows.
    #[arg(long)]
    alerts: bool,
    /// Prints the plan the query would run (operators, columns read, zone
    /// maps, streamed and chunked runs) instead of running it.
    #[arg(long)]
    explain: bool,
    /// Limits on the query.
    #[command(flatten)]
    limits: LimitArgs,
}

/// Adds the workspace functions found under each of `dirs` to `engine`.
/// A file that cannot be used is listed on stderr and the others are read
/// on; a query calling one of its functions then fails on the unknown name.
pub(crate) fn install_functions(engine: &mut Engine, dirs: &[PathBuf]) {
    for dir in dirs {
        let loaded = kqlite_sentinel::workspace_functions::load(dir);
        for e in &loaded.errors {
            errln!("warning: {e} (function file skipped)");
        }
        loaded.install(engine);
    }
}

/// Rejected records listed one per line before the rest are only counted.
const MAX_REJECTED_SHOWN: usize = 100;

/// Lists the records a lenient load left out of `path`.
fn report_rejected(path: &str, rejected: &[kqlite_engine::io::LoadError]) {
    if rejected.is_empty() {
        return;
    }
    for e in rejected.iter().take(MAX_REJECTED_SHOWN) {
        errln!("warning: {e} (left out)");
    }
    if rejected.len() > MAX_REJECTED_SHOWN {
        errln!(
            "warning: ... and {} more",
            rejected.len() - MAX_REJECTED_SHOWN
        );
    }
    // A quoted field that is never closed swallows every line after it:
    // say how many lines were left out, not just one record.
    let lines: usize = rejected.iter().map(|e| e.lines_spanned()).sum();
    let spanning = if lines > rejected.len() {
        format!(" spanning {lines} lines")
    } else {
        String::new()
    };
    errln!(
        "warning: {path}: left out {} unusable record{}{spanning} (--lenient)",
        rejected.len(),
        if rejected.len() == 1 { "" } else { "s" }
    );
}

/// Reports a `--table` file that failed to load; when the error is about
/// one JSON Lines line or CSV record, points at `--lenient`.
fn report_load_error(path: &Path, e: &kqlite_engine::io::LoadError, lenient: bool) {
    use kqlite_engine::io::{detect_format, Format};
    errln!("error: {e}");
    let unit = match detect_format(path) {
        Ok(Format::JsonLines) => "line",
        Ok(Format::Csv) => "record",
        _ => return,
    };
    if !lenient && e.is_record_error() {
        errln!("hint: --lenient leaves out each unusable {unit} (listing it on stderr) and loads the rest");
    }
}

/// Limits on one query, shared by the commands that run queries.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Cancels the run with E1106 after this long (loading --table files,
    /// binding and evaluating the query all count, down to one long
    /// function call), e.g. `30s`, `500ms`, `2m`, `1h` (a bare number is
    /// seconds; `0` = no limit). No limit by default.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Most rows printed; what happens beyond is --result-overflow.
    #[arg(long, value_name = "N", default_value_t = kqlite_engine::eval::DEFAULT_MAX_RESULT_ROWS)]
    max_result_rows: usize,
    /// When the result is longer than --max-result-rows: keep the first
    /// rows and warn on stderr, or fail.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Overflow::Truncate)]
    result_overflow: Overflow,
    /// The query's memory budget, e.g. `4GiB`, `512MB`, or bytes: operators,
    /// aggregate states (`make_list`, `make_set`, `make_bag`) and functions
    /// building values (`bag_pack`, ...) reserve from it before they grow,
    /// and the query fails with E1107 when the data it holds at once would
    /// exceed it (columns shared with loaded tables do not count). One
    /// string or dynamic value is capped at 32 MiB, one array a function
    /// builds at 1,048,576 elements (E1107 too). When given, it also bounds
    /// each --table load (the text read is reserved before it becomes
    /// columns). Default: half the
    /// machine's available memory, at most 8GiB.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_memory: Option<usize>,
    /// Deepest nesting of brackets, calls and subqueries in the query text
    /// (E0012 beyond it; at most 4096). The stages of one pipeline are a
    /// flat chain, not nesting: any number of consecutive `extend`s, and
    /// up to 512 other stages in a row (E1007 beyond).
    #[arg(long, value_name = "N", default_value_t = kqlite_engine::eval::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
}

impl LimitArgs {
    /// When --timeout runs out for a command that started at `start`
    /// (loading its tables counts).
    pub fn deadline(&self, start: Instant) -> Option<Instant> {
        self.timeout
            .filter(|t| !t.is_zero())
            .and_then(|t| start.checked_add(t))
    }

    /// The engine limits these flags ask for.
    pub fn limits(&self) -> Limits {
        Limits {
            max_result_rows: self.max_result_rows,
            result_overflow: match self.result_overflow {
                Overflow::Truncate => ResultOverflow::Truncate,
                Overflow::Error => ResultOverflow::Error,
            },
            max_memory: self
                .max_memory
                .unwrap_or_else(kqlite_engine::eval::default_max_memory),
            max_depth: self.max_depth,
            timeout: self.timeout.filter(|t| !t.is_zero()),
            ..Limits::default()
        }
    }
}

/// What to do with a result over --max-result-rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Overflow {
    /// Keep the first rows and print a warning on stderr (Kusto's default).
    Truncate,
    /// Fail with an error.
    Error,
}

/// Splits `30s` or `1.5 GiB` into its number and its (trimmed) unit.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    Some((number.parse().ok()?, unit.trim()))
}

/// Parses `30s`, `500ms`, `2m`, `1h`, `1d` or a bare number of seconds
/// (fractions allowed).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (value, unit) = number_and_unit(text)
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. 30s, 500ms, 2m)"))?;
    let seconds = match unit {
        "" | "s" | "sec" => 1.0,
        "ms" => 1e-3,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` (use ms, s, m, h or d)"
            ))
        }
    };
    Duration::try_from_secs_f64(value * seconds).map_err(|e| format!("`{text}`: {e}"))
}

/// Parses `4GiB`, `512MB`, `64k` or a bare number of bytes. Binary (`KiB`,
/// `MiB`, `GiB`, `TiB`) and decimal (`KB`, `MB`, `GB`, `TB`) units are both
/// accepted, case-insensitively; `K`/`M`/`G`/`T` alone are binary.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let (value, unit) = number_and_unit(text)
        .ok_or_else(|| format!("`{text}` is not a size (e.g. 4GiB, 512MB)"))?;
    let scale: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "m" | "mib" => 1024f64.powi(2),
        "g" | "gib" => 1024f64.powi(3),
        "t" | "tib" => 1024f64.powi(4),
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        other => {
            return Err(format!(
                "unknown size unit `{other}` (use KiB, MiB, GiB, MB, GB)"
            ))
        }
    };
    let bytes = (value * scale).round();
    if !bytes.is_finite() || bytes < 0.0 || bytes >= usize::MAX as f64 {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(bytes as usize)
}

/// Result output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    /// An aligned text table.
    Table,
    /// The Log Analytics query API response shape.
    Json,
    /// One JSON object per row.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// Apache Parquet (binary).
    Parquet,
    /// An Arrow IPC file, as `.arrow` and Feather v2 files hold (binary).
    Arrow,
}

impl OutputFormat {
    fn is_binary(self) -> bool {
        matches!(self, OutputFormat::Parquet | OutputFormat::Arrow)
    }
}

/// Runs `kqlite run`.
pub fn run(args: RunArgs) -> Outcome {
    if args.repeat == 0 {
        return usage_error("--repeat must be at least 1");
    }
    if args.format.is_binary() && args.out.is_none() && io::stdout().is_terminal() {
        return usage_error(format!(
            "--format {} writes binary data, which a terminal cannot show: give --out FILE, or redirect stdout",
            if args.format == OutputFormat::Parquet { "parquet" } else { "arrow" }
        ));
    }
    let (query_name, query) = match read_query(&args.query) {
        Ok(q) => q,
        Err(e) => {
            errln!("error: cannot read query `{}`: {e}", args.query);
            return Outcome::Failure;
        }
    };
    let rule = match crate::rule_run::RuleSource::read(&query_name, &query) {
        Ok(rule) => rule,
        Err(outcome) => return outcome,
    };
    if args.alerts && rule.is_none() {
        return usage_error("--alerts needs a rule file (.yaml, .yml or ARM .json) as the query");
    }
    let query = rule.as_ref().map_or(query, |r| r.query());
    let report_query_error = |name: &str, source: &str, e: &QueryError| match &rule {
        Some(r) => r.report_query_error(e),
        None => report_query_error(name, source, e),
    };
    let mut lets = Vec::new();
    for item in &args.lets {
        match item.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                lets.push((name.trim().to_string(), value.to_string()))
            }
            _ => return usage_error(format!("--let expects NAME=EXPR, got `{item}`")),
        }
    }
    let explicit_now = match &args.now {
        Some(text) => match crate::parse_now(text) {
            Some(t) => Some(t),
            None => return usage_error(format!("--now: `{text}` is not a datetime")),
        },
        None => None,
    };

    let load_start = Instant::now();
    let mut engine = Engine::new();
    engine.set_threads(args.threads);
    engine.set_limits(args.limits.limits());
    let custom = match load_schemas(&args.schemas) {
        Ok(set) => set,
        Err(e) => {
            errln!("error: {e}");
            return Outcome::Failure;
        }
    };
    let schemas = TableSchemas::new(std::sync::Arc::new(custom), Environment::Sentinel);
    for note in schemas.install(&mut engine) {
        errln!("note: {note}");
    }
    install_functions(&mut engine, &args.functions);
    let flags = crate::inputs::InputFlags {
        externaldata: &args.externaldata,
        watchlists: &args.watchlists,
        geoip: args.geoip.as_deref(),
        now: explicit_now,
    };
    if let Err(outcome) = crate::inputs::install(&mut engine, &flags, &query, &lets) {
        return outcome;
    }
    let mut given = Vec::new();
    for item in &args.tables {
        let (name, path) = match item.split_once('=') {
            Some((name, path)) if !name.trim().is_empty() && !path.is_empty() => {
                (name.trim(), path)
            }
            _ => return usage_error(format!("--table expects NAME=PATH, got `{item}`")),
        };
        let deadline = args.limits.deadline(load_start);
        if let Err(e) = load_table(&mut engine, &schemas, name, path, &args, deadline) {
            report_load_error(Path::new(path), &e, args.lenient);
            return Outcome::Failure;
        }
        given.push(name.to_string());
    }

    if args.explain {
        let opts = RunOptions {
            section: args.section.clone(),
            lets: lets.clone(),
            ..RunOptions::default()
        };
        return match engine.explain(&query, &opts) {
            Ok(plan) => {
                out!("{plan}");
                Outcome::Success
            }
            Err(e) => report_query_error(&query_name, &query, &e),
        };
    }

    // The tables the query reads and was not given: all of them come from
    // the built-in synthetic data, or, when some tables were given, only
    // with --synthetic-rest (mixing real and synthetic rows is a choice).
    let read_options = RunOptions {
        section: args.section.clone(),
        lets: lets.clone(),
        ..RunOptions::default()
    };
    let needed = match engine.tables_read_by(&query, &read_options) {
        Ok(tables) => tables,
        Err(e) => return report_query_error(&query_name, &query, &e),
    };
    let missing: Vec<&str> = needed
        .iter()
        .map(String::as_str)
        .filter(|t| !given.iter().any(|g| g == t))
        .collect();
    if !given.is_empty() && !missing.is_empty() && !args.synthetic_rest {
        errln!(
            "error: the query reads {} but no --table gives {}",
            list_names(&missing),
            if missing.len() == 1 { "it" } else { "them" }
        );
        errln!(
            "  = help: give each with --table NAME=PATH, or fill the rest with built-in synthetic rows: --synthetic-rest"
        );
        return Outcome::Failure;
    }
    let mut labels = None;
    let mut now = explicit_now;
    if !missing.is_empty() {
        let mut opts = kqlite_sentinel::default_dataset_options();
        if let Some(seed) = args.seed {
            opts.seed = seed;
        }
        if let Some(rows) = args.rows {
            opts.rows = rows;
        }
        if let Some(t) = explicit_now {
            opts.now = t;
        }
        now.get_or_insert(opts.now);
        match schemas.generate(&opts, &missing) {
            Ok(dataset) => {
                errln!(
                    "note: using built-in synthetic data for {} (seed {}, --rows {}, now {})",
                    missing.join(", "),
                    opts.seed,
                    opts.rows,
                    kqlite_engine::time::format_datetime(opts.now)
                );
                for (name, table) in dataset.tables {
                    schemas.add_table(&mut engine, name, table);
                }
                if missing
                    .iter()
                    .any(|t| kqlite_sentinel::synthetic::has_scenarios(t))
                {
                    labels = Some(dataset.labels);
                }
            }
            Err(e) => {
                errln!("error: generating built-in data: {e}");
                return Outcome::Failure;
            }
        }
    }
    let now = now.unwrap_or_else(|| {
        let t = current_ticks();
        if rule.is_some() || query_reads_clock(&query) {
            errln!(
                "note: now() is the current time, {} (pass --now for a repeatable run)",
                kqlite_engine::time::format_datetime(t)
            );
        }
        t
    });
    let load_ms = load_start.elapsed().as_secs_f64() * 1e3;

    let prepared = match &rule {
        Some(r) => match r.prepare(&mut engine, now) {
            Ok(p) => p,
            Err(outcome) => return outcome,
        },
        None => Default::default(),
    };
    let options = RunOptions {
        section: args.section.clone(),
        lets,
        now: Some(now),
        ..RunOptions::default()
    };
    // --timeout covers loading too: the query gets what is left of it.
    if let Some(deadline) = args.limits.deadline(load_start) {
        let left = deadline.saturating_duration_since(Instant::now());
        engine.set_limits(Limits {
            timeout: Some(left),
            ..args.limits.limits()
        });
    }
    let mut query_ms = Vec::with_capacity(args.repeat);
    let mut output = None;
    for _ in 0..args.repeat {
        let start = Instant::now();
        match engine.execute(&query, &options) {
            Ok(o) => output = Some(o),
            Err(e) => return report_query_error(&query_name, &query, &e),
        }
        query_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let Some(output) = output else {
        return Outcome::Failure;
    };
    for w in &output.warnings {
        errln!("warning: {w}");
        errln!("  = help: raise it with --max-result-rows N, or fail instead with --result-overflow error");
    }
    let result = output.table;
    let written = if args.alerts {
        Ok(())
    } else {
        write_result(&result, args.format, !args.raw_csv, args.out.as_deref()).and_then(|()| {
            write_more_results(
                &output.more,
                args.format,
                !args.raw_csv,
                args.out.as_deref(),
            )
        })
    };
    if let Err(e) = written {
        if e.kind() != io::ErrorKind::BrokenPipe {
            errln!("error: writing the result: {e}");
            return Outcome::Failure;
        }
    }
    if args.repeat > 1 {
        let timing = serde_json::json!({
            "load_ms": round3(load_ms),
            "query_ms": query_ms.iter().map(|&m| round3(m)).collect::<Vec<_>>(),
            "rows": result.num_rows(),
        });
        errln!("{timing}");
    }
    if let Some(labels) = labels {
        err!("{}", kqlite_sentinel::score::summary(&labels, &result));
    }
    match &rule {
        Some(r) => r.finish(&result, args.alerts, &prepared),
        None => Outcome::Success,
    }
}

/// Loads `--table NAME=PATH`, typed by the table's declared or catalog
/// schema. A column a catalog table does not have is kept (typed from the
/// data) with a warning naming the closest real column; a table kqlite
/// does not know takes its types from the data, with a note.
fn load_table(
    engine: &mut Engine,
    schemas: &TableSchemas,
    name: &str,
    path: &str,
    args: &RunArgs,
    deadline: Option<Instant>,
) -> Result<(), kqlite_engine::io::LoadError> {
    let schema = schemas.get(name);
    let load = kqlite_engine::io::LoadOptions {
        lenient: args.lenient,
        sparse: schema.is_some(),
        threads: args.threads,
        deadline,
        max_memory: args.limits.max_memory,
    };
    let columns = schema.as_ref().map(|s| s.columns.as_slice());
    let loaded = kqlite_engine::io::load_file_with(Path::new(path), columns, &load)?;
    report_rejected(path, &loaded.rejected);
    match schema {
        Some(schema) => {
            let names: Vec<&str> = loaded.table.column_names().collect();
            let unknown = schemas.unknown_columns(&schema, names);
            if !unknown.is_empty() {
                let list: Vec<String> = unknown.iter().map(ToString::to_string).collect();
                errln!(
                    "warning: {path}: table `{name}` has no column{} {}; kept with types from the data (declare them with --schema)",
                    if unknown.len() == 1 { "" } else { "s" },
                    list.join(", ")
                );
            }
            schemas.add_table(engine, name, loaded.table);
        }
        None => {
            let mut note = format!("note: `{name}` is not a Sentinel or Defender table");
            if let Some(s) = schemas.suggest_table(name) {
                note.push_str(&format!(" (did you mean `{s}`?)"));
            }
            errln!("{note}; its column types come from {path} (declare them with --schema)");
            engine.add_table(name, loaded.table);
        }
    }
    Ok(())
}

/// `A`, `A and B`, `A, B and C`, with backquotes.
fn list_names(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Whether the query's text calls `now()` or `ago(...)`, the functions
/// whose result depends on the clock.
fn query_reads_clock(query: &str) -> bool {
    let lower = query.to_ascii_lowercase();
    ["now(", "ago("].iter().any(|f| {
        lower.match_indices(f).any(|(i, _)| {
            i == 0
                || !lower.as_bytes()[..i]
                    .last()
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
    })
}

/// Reads every `--schema` argument (`FILE` or `NAME=FILE`) into one set;
/// a later file's table replaces an earlier one of the same name. The error
/// names the file and line, with the hint when there is one.
pub fn load_schemas(args: &[String]) -> Result<kqlite_sentinel::schema_file::SchemaSet, String> {
    let mut set = kqlite_sentinel::schema_file::SchemaSet::new();
    for arg in args {
        set.merge(kqlite_sentinel::schema_file::load(arg).map_err(|e| e.with_hint())?);
    }
    Ok(set)
}

fn round3(x: f64) -> f64 {
    (x * 1e3).round() / 1e3
}

fn current_ticks() -> i64 {
    kqlite_engine::time::from_chrono(chrono::Utc::now())
}

fn read_query(arg: &str) -> io::Result<(String, String)> {
    if arg == "-" {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        Ok(("<stdin>".to_string(), text))
    } else {
        let path = PathBuf::from(arg);
        Ok((arg.to_string(), std::fs::read_to_string(path)?))
    }
}

/// Writes the further result tables of a query (`fork`, `facet`) after
/// the first: on stdout each after a blank line (as a text table headed by
/// its number and name); with `--out FILE`, the N-th into `FILE-N` (before
/// the extension: `result.parquet`, `result-2.parquet`, ...).
fn write_more_results(
    more: &[(String, Table)],
    format: OutputFormat,
    guard_formulas: bool,
    path: Option<&Path>,
) -> io::Result<()> {
    for (i, (name, table)) in more.iter().enumerate() {
        if let Some(p) = path {
            write_result(
                table,
                format,
                guard_formulas,
                Some(&numbered_path(p, i + 2)),
            )?;
            continue;
        }
        {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            writeln!(out)?;
            if matches!(format, OutputFormat::Table) {
                let label = if name.is_empty() {
                    String::new()
                } else {
                    format!(": {name}")
                };
                writeln!(out, "-- result {}{label}", i + 2)?;
            }
        }
        write_result(table, format, guard_formulas, None)?;
    }
    Ok(())
}

/// `path` with `-n` before its extension (`out.csv` → `out-2.csv`).
fn numbered_path(path: &Path, n: usize) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

fn write_result(
    table: &Table,
    format: OutputFormat,
    guard_formulas: bool,
    path: Option<&Path>,
) -> io::Result<()> {
    let file = match path {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot create `{}`: {e}", p.display()))
        })?),
        None => None,
    };
    if format.is_binary() {
        return write_binary(table, format, file);
    }
    let stdout = io::stdout();
    let mut out: io::BufWriter<Box<dyn Write>> = io::BufWriter::with_capacity(
        1 << 16,
        match file {
            Some(f) => Box::new(f),
            None => Box::new(stdout.lock()),
        },
    );
    match format {
        OutputFormat::Table => kqlite_engine::io::write_table_text(
            table,
            &mut out,
            &kqlite_engine::io::TextOptions::default(),
        )?,
        OutputFormat::Json => kqlite_engine::io::write_json(table, &mut out)?,
        OutputFormat::Jsonl => kqlite_engine::io::write_jsonl(table, &mut out)?,
        OutputFormat::Csv => kqlite_engine::io::write_csv_with(
            table,
            &mut out,
            &kqlite_engine::io::CsvOptions { guard_formulas },
        )?,
        OutputFormat::Parquet | OutputFormat::Arrow => {}
    }
    out.flush()
}

/// Writes a Parquet or Arrow IPC result to `file`, or else to stdout
/// (buffered whole: the writers need a sendable sink).
#[cfg(feature = "arrow")]
fn write_binary(
    table: &Table,
    format: OutputFormat,
    file: Option<std::fs::File>,
) -> io::Result<()> {
    fn write_to(table: &Table, format: OutputFormat, out: impl Write + Send) -> io::Result<()> {
        match format {
            OutputFormat::Parquet => kqlite_engine::io::parquet::write_parquet(table, out),
            _ => kqlite_engine::io::arrow::write_arrow_ipc(table, out),
        }
    }
    match file {
        Some(f) => {
            let mut w = io::BufWriter::with_capacity(1 << 20, f);
            write_to(table, format, &mut w)?;
            w.flush()
        }
        None => {
            let mut bytes = Vec::new();
            write_to(table, format, &mut bytes)?;
            let mut out = io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()
        }
    }
}

#[cfg(not(feature = "arrow"))]
fn write_binary(_: &Table, _: OutputFormat, _: Option<std::fs::File>) -> io::Result<()> {
    Err(io::Error::other(
        "this kqlite was built without the `arrow` feature: Parquet and Arrow output are not available",
    ))
}

/// Prints a query error with its source excerpt and returns
/// [`Outcome::Failure`].
pub fn report_query_error(name: &str, source: &str, err: &QueryError) -> Outcome {
    use kqlite_engine::engine::codes;
    let diagnostics = err.diagnostics();
    if diagnostics.is_empty() {
        errln!("error: {err}");
    }
    let renderer = render::stderr_renderer(name, source);
    for d in diagnostics {
        // Limits concern the whole query, not a place in its text.
        let whole_query = [codes::CANCELLED, codes::TIMED_OUT, codes::RESULT_TOO_LARGE]
            .contains(&d.code)
            || (d.code == codes::TOO_MUCH_MEMORY && d.span.is_empty());
        if whole_query {
            errln!("error[{}]: {}", d.code, d.message);
            if let Some(hint) = &d.hint {
                errln!("  = help: {hint}");
            }
        } else {
            err!("{}", renderer.render(d));
        }
    }
    Outcome::Failure
}

#[cfg(test)]
mod limit_flag_tests {
    use super::*;

    #[test]
    fn durations_take_kusto_style_units_and_bare_seconds() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration(" 10 "), Ok(Duration::from_secs(10)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 weeks").is_err());
        assert!(parse_duration("1e999s").is_err());
    }

    #[test]
    fn sizes_take_binary_and_decimal_units() {
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("4g"), Ok(4 << 30));
        assert_eq!(parse_size("512MB"), Ok(512_000_000));
        assert_eq!(parse_size("1.5 KiB"), Ok(1536));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999TB").is_err());
    }
}
