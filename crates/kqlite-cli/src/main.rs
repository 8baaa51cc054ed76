//! The `kqlite` command: run, check and generate data for KQL detections
//! offline.
//!
//! Exit codes: 0 success, 1 a query, data or check error, 2 a usage error.
//! The command never panics on output: a closed standard output or error
//! (for example `kqlite check q.kql 2>&1 | head -1`) ends the output
//! quietly and the exit code still reports the command's outcome.

/// `eprint!` without the panic: when standard error is closed there is
/// nobody left to tell, so a failed write is ignored.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprintln!` without the panic; see `err!`.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// `print!` without the panic: output to a reader that has gone away is
/// dropped.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `println!` without the panic; see `out!`.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod check;
mod conformance;
mod gen;
mod inputs;
mod render;
mod rule_run;
mod run;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run Microsoft Sentinel KQL detections offline.
#[derive(Debug, Parser)]
#[command(name = "kqlite", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a query against tables loaded from files, or against built-in
    /// synthetic Sentinel data for every table not given with --table.
    Run(Box<run::RunArgs>),
    /// Check queries for syntax errors, unknown tables and columns, type
    /// errors and suspicious constructs.
    Check(check::CheckArgs),
    /// Generate synthetic Sentinel tables with labelled attack scenarios.
    Gen(gen::GenArgs),
    /// Run detection unit tests (`*.test.toml` files next to the queries).
    Test(test::TestArgs),
    /// Compare results with cases captured from Microsoft's Kusto engine.
    Conformance(conformance::ConformanceArgs),
}

/// What a subcommand reports back to `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything worked.
    Success,
    /// The query, the data or the check found a problem (already printed).
    Failure,
    /// The command line was wrong (already printed).
    Usage,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> ExitCode {
        match o {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
            Outcome::Usage => ExitCode::from(2),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors
            // to stderr with exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let outcome = match cli.command {
        Command::Run(args) => run::run(*args),
        Command::Check(args) => check::check(args),
        Command::Gen(args) => gen::gen(args),
        Command::Test(args) => test::test(args),
        Command::Conformance(args) => conformance::conformance(args),
    };
    outcome.into()
}

/// Prints a usage error the way clap would and returns [`Outcome::Usage`].
pub fn usage_error(message: impl std::fmt::Display) -> Outcome {
    errln!("error: {message}");
    errln!();
    errln!("For more information, try '--help'.");
    Outcome::Usage
}

/// Parses an RFC 3339 timestamp (or any form `todatetime` accepts) into
/// datetime ticks.
pub fn parse_now(text: &str) -> Option<i64> {
    kqlite_engine::time::parse_datetime(text)
}
