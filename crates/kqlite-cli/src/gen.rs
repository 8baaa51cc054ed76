//! `kqlite gen`: write synthetic Sentinel tables and their ground-truth
//! labels to files.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use kqlite_engine::Table;
use kqlite_sentinel::{GenOptions, ScenarioId, ScenarioSelection, UnknownScenario};

use crate::{usage_error, Outcome};

/// Arguments of `kqlite gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// Tables to generate, comma-separated (default: every table kqlite knows).
    #[arg(long, value_delimiter = ',', value_name = "TABLE,...")]
    tables: Vec<String>,
    /// SigninLogs rows; the other tables scale from it.
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
}

/// Output file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FileFormat {
    /// JSON Lines.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

impl FileFormat {
    fn extension(self) -> &'static str {
        match self {
            FileFormat::Jsonl => "jsonl",
            FileFormat::Csv => "csv",
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
    let known: Vec<&str> = kqlite_sentinel::schema::table_names().collect();
    if args.tables.is_empty() {
        opts.tables = known.iter().map(|t| t.to_string()).collect();
    } else {
        for t in &args.tables {
            if !known.contains(&t.as_str()) {
                return usage_error(format!(
                    "unknown table `{t}`; known tables: {}",
                    known.join(", ")
                ));
            }
        }
        opts.tables = args.tables.clone();
    }
    opts.scenarios = match parse_scenarios(&args.scenarios) {
        Ok(s) => s,
        Err(e) => return usage_error(format!("--scenarios: {e}")),
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("error: cannot create `{}`: {e}", args.out.display());
        return Outcome::Failure;
    }
    match generate_and_write(&opts, &args.out, args.format) {
        Ok(()) => Outcome::Success,
        Err(e) => {
            eprintln!("error: {e}");
            Outcome::Failure
        }
    }
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
    let dataset = kqlite_sentinel::generate(opts, &mut |done, total| {
        progress.set_length(total as u64);
        progress.set_position(done as u64);
    })
    .map_err(io::Error::other)?;
    progress.finish_and_clear();
    let gen_secs = start.elapsed().as_secs_f64();

    let mut written = Vec::new();
    for (name, table) in dataset
        .tables
        .iter()
        .map(|(n, t)| (n.as_str(), t))
        .chain(std::iter::once(("labels", &dataset.labels)))
    {
        let path = out.join(format!("{name}.{}", format.extension()));
        let bytes = write_table(table, &path, format, name)?;
        written.push((path, table.num_rows(), bytes));
    }
    let total_secs = start.elapsed().as_secs_f64();
    for (path, rows, bytes) in &written {
        println!(
            "wrote {:>10} rows {:>12} bytes  {}",
            rows,
            bytes,
            path.display()
        );
    }
    println!(
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
    }
    w.flush()?;
    w.bar.finish_and_clear();
    Ok(w.bytes)
}
