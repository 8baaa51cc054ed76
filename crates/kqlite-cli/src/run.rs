//! `kqlite run`: evaluate a query against tables from files or built-in
//! synthetic Sentinel data.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use kqlite_engine::{Engine, QueryError, RunOptions, Table};

use crate::{render, usage_error, Outcome};

/// Arguments of `kqlite run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The query file (`-` reads the query from standard input).
    query: String,
    /// Loads a table from a file (JSON Lines, JSON array, Log Analytics
    /// export or CSV). Tables not given are generated (see --seed, --rows).
    #[arg(long = "table", value_name = "NAME=PATH")]
    tables: Vec<String>,
    /// The query's `now()` (RFC 3339). Defaults to the built-in data's
    /// `now` when it is used, else the current time.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Evaluates the named tabular `let` instead of the final statement.
    #[arg(long, value_name = "NAME")]
    section: Option<String>,
    /// Overrides a `let` value, e.g. `--let LookbackPeriod=7d`.
    #[arg(long = "let", value_name = "NAME=LITERAL")]
    lets: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
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
}

/// Runs `kqlite run`.
pub fn run(args: RunArgs) -> Outcome {
    if args.repeat == 0 {
        return usage_error("--repeat must be at least 1");
    }
    let (query_name, query) = match read_query(&args.query) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: cannot read query `{}`: {e}", args.query);
            return Outcome::Failure;
        }
    };
    let mut lets = Vec::new();
    for item in &args.lets {
        match item.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                lets.push((name.trim().to_string(), value.to_string()))
            }
            _ => return usage_error(format!("--let expects NAME=LITERAL, got `{item}`")),
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
    for (name, schema) in kqlite_sentinel::schema::schemas() {
        engine.add_schema(name, schema);
    }
    let mut given = Vec::new();
    for item in &args.tables {
        let Some((name, path)) = item.split_once('=') else {
            return usage_error(format!("--table expects NAME=PATH, got `{item}`"));
        };
        let schema = kqlite_sentinel::schema::schema(name);
        match kqlite_engine::io::load_file(Path::new(path), schema.as_deref()) {
            Ok(table) => engine.add_table(name, table),
            Err(e) => {
                eprintln!("error: {e}");
                return Outcome::Failure;
            }
        }
        given.push(name.to_string());
    }

    // Generate built-in data for the tables the query reads and was not given.
    let needed = match engine.tables_read(&query) {
        Ok(tables) => tables,
        Err(e) => return report_query_error(&query_name, &query, &e),
    };
    let missing: Vec<&str> = needed
        .iter()
        .map(String::as_str)
        .filter(|t| !given.iter().any(|g| g == t))
        .collect();
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
        match kqlite_sentinel::generate_tables(&opts, &missing) {
            Ok(dataset) => {
                eprintln!(
                    "note: using built-in synthetic data for {} (seed {}, {} SigninLogs rows, now {})",
                    missing.join(", "),
                    opts.seed,
                    opts.rows,
                    kqlite_engine::time::format_datetime(opts.now)
                );
                for (name, table) in dataset.tables {
                    engine.add_table(name, table);
                }
                labels = Some(dataset.labels);
            }
            Err(e) => {
                eprintln!("error: generating built-in data: {e}");
                return Outcome::Failure;
            }
        }
    }
    let load_ms = load_start.elapsed().as_secs_f64() * 1e3;

    let options = RunOptions {
        section: args.section.clone(),
        lets,
        now: Some(now.unwrap_or_else(current_ticks)),
    };
    let mut query_ms = Vec::with_capacity(args.repeat);
    let mut result = None;
    for _ in 0..args.repeat {
        let start = Instant::now();
        match engine.run_with(&query, &options) {
            Ok(t) => result = Some(t),
            Err(e) => return report_query_error(&query_name, &query, &e),
        }
        query_ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let Some(result) = result else {
        return Outcome::Failure;
    };
    if let Err(e) = write_result(&result, args.format) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: writing the result: {e}");
            return Outcome::Failure;
        }
    }
    if args.repeat > 1 {
        let timing = serde_json::json!({
            "load_ms": round3(load_ms),
            "query_ms": query_ms.iter().map(|&m| round3(m)).collect::<Vec<_>>(),
            "rows": result.num_rows(),
        });
        eprintln!("{timing}");
    }
    if let Some(labels) = labels {
        eprint!("{}", kqlite_sentinel::score::summary(&labels, &result));
    }
    Outcome::Success
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

fn write_result(table: &Table, format: OutputFormat) -> io::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match format {
        OutputFormat::Table => kqlite_engine::io::write_table_text(
            table,
            &mut out,
            &kqlite_engine::io::TextOptions::default(),
        )?,
        OutputFormat::Json => kqlite_engine::io::write_json(table, &mut out)?,
        OutputFormat::Jsonl => kqlite_engine::io::write_jsonl(table, &mut out)?,
        OutputFormat::Csv => kqlite_engine::io::write_csv(table, &mut out)?,
    }
    out.flush()
}

/// Prints a query error with its source excerpt and returns
/// [`Outcome::Failure`].
pub fn report_query_error(name: &str, source: &str, err: &QueryError) -> Outcome {
    let diagnostics = err.diagnostics();
    if diagnostics.is_empty() {
        eprintln!("error: {err}");
    }
    for d in diagnostics {
        eprint!("{}", render::render_for_stderr(name, source, d));
    }
    Outcome::Failure
}
