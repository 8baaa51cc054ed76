//! `kqlite gen`: write synthetic Sentinel tables and their ground-truth
//! labels to files. The six Entra ID tables come from the scenario
//! generator; any other table of the built-in catalog gets schema-correct
//! rows from `kqlite_sentinel::synthetic`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use kqlite_engine::{DataType, Table};
use kqlite_sentinel::catalog::Environment;
use kqlite_sentinel::{GenError, GenOptions, ScenarioId, ScenarioSelection, UnknownScenario};

use crate::{usage_error, Outcome};

/// Arguments of `kqlite gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Tables to generate, comma-separated: any table or parser output of
    /// the built-in Sentinel catalog (default: the six Entra ID tables).
    /// Only the Entra ID tables carry labelled scenarios.
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...")]
    tables: Vec<String>,
    /// Rows of SigninLogs and of every table outside the six Entra ID
    /// tables; the other Entra ID tables scale from it (non-interactive
    /// sign-ins 1/2, service principal 1/5, managed identity 1/10, AuditLogs
    /// 1/20, AADUserRiskEvents 1/500). Scenario rows come on top.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    rows: usize,
    /// Random seed: the same seed gives the same rows on every machine.
    #[arg(long, value_name = "SEED", default_value_t = 42)]
    seed: u64,
    /// The end of the generated time window (RFC 3339); defaults to the
    /// built-in data's `now`.
    #[arg(long, value_name = "RFC3339")]
    now: Option<String>,
    /// Labelled scenarios to inject: `all`, `none` or a comma-separated list
    /// of scenario ids (see the labels file).
    #[arg(long, value_name = "all|none|LIST", default_value = "all")]
    scenarios: String,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// File format.
    #[arg(long, value_enum, default_value_t = FileFormat::Jsonl)]
    format: FileFormat,
    /// The data's shape. `default` is the synthetic tenant with its
    /// labelled scenarios, in time order. `wide-unordered` writes
    /// SigninLogs and AADServicePrincipalSignInLogs (a fifth as many rows)
    /// as a busy tenant's export looks: random time order over 48 hours,
    /// 28 columns, nested `LocationDetails` with per-sign-in coordinates,
    /// 5,000 users, 45,000 IPs, no scenarios.
    #[arg(long, value_enum, default_value_t = GenShape::Default)]
    shape: GenShape,
    /// Writes only the columns this query file reads from each table (and,
    /// without --tables, only the tables it reads). Values are those of the
    /// full tables.
    #[arg(long, value_name = "QUERY")]
    columns_of: Option<PathBuf>,
    /// Writes only these columns of each generated table that has them
    /// (comma-separated; added to the columns --columns-of picks).
    #[arg(long, value_delimiter = ',', value_name = "COLUMN,...")]
    columns: Vec<String>,
}

/// Data shapes (see `--shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GenShape {
    /// The synthetic tenant with labelled scenarios.
    Default,
    /// Random time order, wide rows, nested locations.
    WideUnordered,
}

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FileFormat {
    /// JSON Lines.
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// Apache Parquet (`dynamic` columns as JSON text; see the README).
    Parquet,
    /// Arrow IPC files (`.arrow`).
    Arrow,
}

impl FileFormat {
    fn extension(self) -> &'static str {
        match self {
            FileFormat::Jsonl => "jsonl",
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
            FileFormat::Arrow => "arrow",
        }
    }
}

/// Runs `kqlite gen`.
pub fn gen(args: GenArgs) -> Outcome {
    let mut opts = kqlite_sentinel::default_dataset_options();
    opts.seed = args.seed;
    opts.rows = args.rows;
    if let Some(text) = &args.now {
        match crate::parse_now(text) {
            Some(t) => opts.now = t,
            None => return usage_error(format!("--now: `{text}` is not a datetime")),
        }
    }
    if args.tables.is_empty() {
        opts.tables = kqlite_sentinel::schema::table_names()
            .map(str::to_string)
            .collect();
    } else {
        for t in &args.tables {
            if let Err(e) = generated_columns(t) {
                return usage_error(e);
            }
        }
        opts.tables = args.tables.clone();
    }
    if let Some(path) = &args.columns_of {
        let query = match std::fs::read_to_string(path) {
            Ok(q) => q,
            Err(e) => {
                errln!("error: cannot read query `{}`: {e}", path.display());
                return Outcome::Failure;
            }
        };
        let mut engine = kqlite_engine::Engine::new();
        for (name, schema) in kqlite_sentinel::schema::schemas() {
            engine.add_schema(name, schema);
        }
        kqlite_sentinel::catalog::install(&mut engine, ENVIRONMENT);
        match engine.columns_read(&query) {
            Ok(read) => {
                if args.tables.is_empty() {
                    opts.tables = read.iter().map(|(t, _)| t.clone()).collect();
                }
                opts.columns = read;
            }
            Err(e) => {
                return crate::run::report_query_error(&path.display().to_string(), &query, &e)
            }
        }
    }
    if let Err(e) = add_listed_columns(&mut opts, &args.columns) {
        return usage_error(format!("--columns: {e}"));
    }
    opts.scenarios = match parse_scenarios(&args.scenarios) {
        Ok(s) => s,
        Err(e) => return usage_error(format!("--scenarios: {e}")),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        errln!("error: cannot create `{}`: {e}", args.out.display());
        return Outcome::Failure;
    }
    if args.shape == GenShape::WideUnordered {
        return wide_unordered(&opts, &args);
    }
    match generate_and_write(&opts, &args.out, args.format) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            errln!("error: {e}");
            Outcome::Failure
        }
    }
}

/// `kqlite gen --shape wide-unordered`: its two tables (or those of them
/// --tables names), projected as --columns-of/--columns ask.
fn wide_unordered(opts: &GenOptions, args: &GenArgs) -> Outcome {
    let shape_tables = ["SigninLogs", "AADServicePrincipalSignInLogs"];
    if !args.tables.is_empty() {
        if let Some(t) = args
            .tables
            .iter()
            .find(|t| !shape_tables.contains(&t.as_str()))
        {
            return usage_error(format!(
                "--shape wide-unordered writes only SigninLogs and AADServicePrincipalSignInLogs, not `{t}`"
            ));
        }
    }
    let start = Instant::now();
    let tables = kqlite_sentinel::shapes::wide_unordered(opts.rows, opts.seed, opts.now);
    let gen_secs = start.elapsed().as_secs_f64();
    for (name, table) in tables {
        let wanted = if args.tables.is_empty() {
            args.columns_of.is_none() || opts.tables.contains(&name)
        } else {
            args.tables.contains(&name)
        };
        if !wanted {
            continue;
        }
        let table = match opts.columns.iter().find(|(t, _)| *t == name) {
            Some((_, keep)) => project(&table, keep),
            None => table,
        };
        let path = args.out.join(format!("{name}.{}", args.format.extension()));
        match write_table(&table, &path, args.format, &name) {
            Ok(bytes) => outln!(
                "wrote {:>10} rows {:>12} bytes  {}",
                table.num_rows(),
                bytes,
                path.display()
            ),
            Err(e) => {
                errln!("error: {e}");
                return Outcome::Failure;
            }
        }
    }
    outln!(
        "shape wide-unordered (no labelled scenarios), seed {}, now {}, generated in {:.2}s, total {:.2}s",
        opts.seed,
        kqlite_engine::time::format_datetime(opts.now),
        gen_secs,
        start.elapsed().as_secs_f64()
    );
    Outcome::Success
}

/// The columns of `table` named in `keep`, in the table's order.
fn project(table: &Table, keep: &[String]) -> Table {
    let columns = table
        .columns()
        .filter(|(n, _)| keep.iter().any(|k| k == n))
        .map(|(n, c)| (n.to_string(), std::sync::Arc::clone(c)));
    Table::try_new(columns).unwrap_or_else(|_| table.clone())
}

/// A `--columns` name that no generated table has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoSuchColumn(String);

impl std::fmt::Display for NoSuchColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no generated table has a column `{}`", self.0)
    }
}

impl std::error::Error for NoSuchColumn {}

/// Adds the `--columns` names to the projection of every generated table
/// that has them, keeping the columns already projected (from
/// `--columns-of`). Tables none of the names belong to keep their current
/// projection.
fn add_listed_columns(opts: &mut GenOptions, listed: &[String]) -> Result<(), NoSuchColumn> {
    if listed.is_empty() {
        return Ok(());
    }
    let mut used = vec![false; listed.len()];
    for table in &opts.tables {
        let Ok(schema) = generated_columns(table) else {
            continue;
        };
        let has: Vec<&String> = listed
            .iter()
            .zip(used.iter_mut())
            .filter(|(c, _)| schema.iter().any(|(n, _)| n == *c))
            .map(|(c, u)| {
                *u = true;
                c
            })
            .collect();
        if has.is_empty() {
            continue;
        }
        match opts.columns.iter_mut().find(|(t, _)| t == table) {
            Some((_, keep)) => {
                for c in has {
                    if !keep.contains(c) {
                        keep.push(c.clone());
                    }
                }
            }
            None => opts
                .columns
                .push((table.clone(), has.into_iter().cloned().collect())),
        }
    }
    match listed.iter().zip(&used).find(|(_, u)| !**u) {
        Some((c, _)) => Err(NoSuchColumn(c.clone())),
        None => Ok(()),
    }
}

/// The catalog `kqlite gen` generates tables of.
const ENVIRONMENT: Environment = Environment::Sentinel;

/// The columns `kqlite gen` writes for `table`, or why it cannot.
fn generated_columns(table: &str) -> Result<Vec<(String, DataType)>, GenError> {
    kqlite_sentinel::synthetic::generated_columns(table, ENVIRONMENT)
}

/// Parses `all`, `none` or a comma-separated list of scenario ids.
pub fn parse_scenarios(text: &str) -> Result<ScenarioSelection, UnknownScenario> {
    match text.trim() {
        "all" => Ok(ScenarioSelection::All),
        "none" | "" => Ok(ScenarioSelection::None),
        list => list
            .split(',')
            .map(|s| s.trim().parse::<ScenarioId>())
            .collect::<Result<Vec<_>, _>>()
            .map(ScenarioSelection::List),
    }
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>24} [{bar:30}] {human_pos}/{human_len} rows ({per_sec}, {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

fn generate_and_write(opts: &GenOptions, out: &Path, format: FileFormat) -> io::Result<()> {
    let start = Instant::now();
    let progress = bar(opts.rows as u64, "generating");
    let dataset = kqlite_sentinel::synthetic::generate_dataset_with_progress(
        opts,
        &[],
        ENVIRONMENT,
        &mut |done, total| {
            progress.set_length(total as u64);
            progress.set_position(done as u64);
        },
    )
    .map_err(io::Error::other)?;
    progress.finish_and_clear();
    let gen_secs = start.elapsed().as_secs_f64();

    // Only the Entra ID tables have labelled scenarios: without one of
    // them there is no labels file.
    let labelled = dataset
        .tables
        .iter()
        .any(|(n, _)| kqlite_sentinel::synthetic::has_scenarios(n));
    let labels = labelled.then_some(("labels", &dataset.labels));
    let mut written = Vec::new();
    for (name, table) in dataset
        .tables
        .iter()
        .map(|(n, t)| (n.as_str(), t))
        .chain(labels)
    {
        let path = out.join(format!("{name}.{}", format.extension()));
        let bytes = write_table(table, &path, format, name)?;
        written.push((path, table.num_rows(), bytes));
    }
    let total_secs = start.elapsed().as_secs_f64();
    for (path, rows, bytes) in &written {
        outln!(
            "wrote {:>10} rows {:>12} bytes  {}",
            rows,
            bytes,
            path.display()
        );
    }
    let unlabelled: Vec<&str> = dataset
        .tables
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !kqlite_sentinel::synthetic::has_scenarios(n))
        .collect();
    if !unlabelled.is_empty() {
        outln!(
            "no labelled scenarios for {} (only the Entra ID tables have them)",
            unlabelled.join(", ")
        );
    }
    outln!(
        "seed {}, now {}, generated in {:.2}s, total {:.2}s",
        opts.seed,
        kqlite_engine::time::format_datetime(opts.now),
        gen_secs,
        total_secs
    );
    Ok(())
}

/// Counts rows (line breaks) and bytes as they are written, for progress.
struct Counting<W> {
    inner: W,
    bytes: u64,
    lines: u64,
    bar: ProgressBar,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        let lines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        if lines > 0 {
            self.lines += lines;
            self.bar.set_position(self.lines);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn write_table(table: &Table, path: &Path, format: FileFormat, name: &str) -> io::Result<u64> {
    let file = File::create(path).map_err(|e| {
        io::Error::new(e.kind(), format!("cannot create `{}`: {e}", path.display()))
    })?;
    let mut w = Counting {
        inner: BufWriter::with_capacity(1 << 20, file),
        bytes: 0,
        lines: 0,
        bar: bar(table.num_rows() as u64, &format!("writing {name}")),
    };
    match format {
        FileFormat::Jsonl => kqlite_engine::io::write_jsonl(table, &mut w)?,
        FileFormat::Csv => kqlite_engine::io::write_csv(table, &mut w)?,
        FileFormat::Parquet | FileFormat::Arrow => write_binary(table, format, &mut w)?,
    }
    w.flush()?;
    w.bar.finish_and_clear();
    Ok(w.bytes)
}

#[cfg(feature = "arrow")]
fn write_binary(table: &Table, format: FileFormat, out: impl Write + Send) -> io::Result<()> {
    match format {
        FileFormat::Parquet => kqlite_engine::io::parquet::write_parquet(table, out),
        _ => kqlite_engine::io::arrow::write_arrow_ipc(table, out),
    }
}

#[cfg(not(feature = "arrow"))]
fn write_binary(_: &Table, _: FileFormat, _: impl Write + Send) -> io::Result<()> {
    Err(io::Error::other(
        "this kqlite was built without the `arrow` feature: Parquet and Arrow files are not available",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(tables: &[&str]) -> GenOptions {
        GenOptions {
            tables: tables.iter().map(|t| t.to_string()).collect(),
            ..kqlite_sentinel::default_dataset_options()
        }
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn listed_columns_project_each_table_that_has_them() {
        let mut o = options(&["SigninLogs", "AADServicePrincipalSignInLogs"]);
        add_listed_columns(&mut o, &names(&["UserId", "AppId"])).unwrap();
        assert_eq!(
            o.columns,
            vec![
                ("SigninLogs".to_string(), names(&["UserId", "AppId"])),
                (
                    "AADServicePrincipalSignInLogs".to_string(),
                    names(&["AppId"])
                ),
            ]
        );
    }

    #[test]
    fn listed_columns_extend_a_query_projection_without_repeats() {
        let mut o = options(&["SigninLogs"]);
        o.columns = vec![("SigninLogs".to_string(), names(&["UserId"]))];
        add_listed_columns(&mut o, &names(&["UserId", "AppId"])).unwrap();
        assert_eq!(
            o.columns,
            vec![("SigninLogs".to_string(), names(&["UserId", "AppId"]))]
        );
    }

    #[test]
    fn a_listed_column_no_table_has_is_an_error() {
        let mut o = options(&["AADServicePrincipalSignInLogs"]);
        assert_eq!(
            add_listed_columns(&mut o, &names(&["UserId"])),
            Err(NoSuchColumn("UserId".to_string()))
        );
    }

    #[test]
    fn columns_of_the_shipped_detection_writes_only_what_it_reads() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = std::env::temp_dir().join(format!("kqlite-gen-columns-{}", std::process::id()));
        let args = GenArgs {
            tables: Vec::new(),
            rows: 200,
            seed: 42,
            now: None,
            scenarios: "none".to_string(),
            out: out.clone(),
            format: FileFormat::Jsonl,
            shape: GenShape::Default,
            columns_of: Some(root.join("queries/t1078_004_cloud_accounts.kql")),
            columns: Vec::new(),
        };
        assert_eq!(gen(args), Outcome::Success);
        let first_keys = |file: &str| -> Vec<String> {
            let text = std::fs::read_to_string(out.join(file)).unwrap();
            let line = text.lines().next().unwrap();
            let row: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap();
            let mut keys: Vec<String> = row.keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(
            first_keys("AADServicePrincipalSignInLogs.jsonl"),
            names(&[
                "AppId",
                "IPAddress",
                "ResultType",
                "ServicePrincipalId",
                "ServicePrincipalName",
                "TimeGenerated"
            ])
        );
        assert_eq!(first_keys("SigninLogs.jsonl").len(), 13);
        assert!(!out.join("AuditLogs.jsonl").exists());
        let _ = std::fs::remove_dir_all(&out);
    }
}
