//! `kqlite check`: diagnostics for query files, Sentinel rule files and
//! folders of them, as text, JSON or SARIF.

use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use kqlite_engine::Engine;
use kqlite_parser::diagnostic::{Diagnostic, Severity};
use kqlite_parser::span::LineIndex;
use kqlite_sentinel::rule::{check_rule, read_rules, RuleFormat};
use rayon::prelude::*;
use serde_json::json;

use crate::{render, Outcome};

/// Arguments of `kqlite check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Query files, Sentinel rule files (`.yaml`, `.yml`, ARM `.json`) and
    /// folders to check recursively (`-` reads a query from standard input).
    #[arg(required = true, value_name = "PATH")]
    files: Vec<String>,
    /// Only check syntax: no table, column or type checks.
    #[arg(long)]
    syntax_only: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Deepest nesting of brackets, calls and subqueries in the query text
    /// (E0012 beyond it; at most 4096). The stages of one pipeline are a
    /// flat chain, not nesting.
    #[arg(long, value_name = "N", default_value_t = kqlite_engine::eval::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
    /// Whose tables and column types to check against.
    #[arg(long, value_enum, default_value_t = EnvironmentArg::Sentinel)]
    environment: EnvironmentArg,
    /// Adds or replaces tables (custom `_CL` tables) from a schema file:
    /// `.show database schema as json` output, `getschema` output (CSV or
    /// JSON; the table is named after the file, or give `NAME=FILE`), or
    /// `{"Table": {"Column": "type"}}`. Repeatable.
    #[arg(long = "schema", value_name = "[NAME=]FILE")]
    schemas: Vec<String>,
    /// Reads workspace functions and Sentinel parsers (`.kql` files, parser
    /// `.yaml`) from a folder, so queries calling them are checked against
    /// their real code (repeatable).
    #[arg(long = "functions", value_name = "DIR")]
    functions: Vec<PathBuf>,
}

/// The `--environment` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvironmentArg {
    /// Microsoft Sentinel: every table, Sentinel's column types.
    Sentinel,
    /// Defender XDR advanced hunting: the Defender tables and types.
    Defender,
}

impl From<EnvironmentArg> for kqlite_sentinel::catalog::Environment {
    fn from(e: EnvironmentArg) -> Self {
        match e {
            EnvironmentArg::Sentinel => kqlite_sentinel::catalog::Environment::Sentinel,
            EnvironmentArg::Defender => kqlite_sentinel::catalog::Environment::Defender,
        }
    }
}

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// rustc-style text with the source line and a caret.
    Text,
    /// A JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// Extensions of query files.
const QUERY_EXTENSIONS: [&str; 3] = ["kql", "csl", "kusto"];
/// Extensions of rule files.
const RULE_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// One file's text and its diagnostics.
struct Checked {
    name: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
    /// Rules the file held (0 for a query file).
    rules: usize,
    /// A rule file that holds no rule.
    skipped: bool,
    /// The file could not be read.
    unreadable: bool,
}

/// The engine every file is checked against. Its catalog is the one place
/// that decides which tables and columns exist: the built-in catalog, then
/// the `--schema` files, whose tables take precedence over built-in ones.
fn checking_engine(args: &CheckArgs) -> Result<Engine, String> {
    let mut engine = Engine::new();
    engine.set_limits(kqlite_engine::eval::Limits {
        max_depth: args.max_depth,
        ..kqlite_engine::eval::Limits::default()
    });
    kqlite_sentinel::catalog::install(&mut engine, args.environment.into());
    let schemas = crate::run::load_schemas(&args.schemas)?;
    for note in schemas.install(&mut engine) {
        errln!("note: {note}");
    }
    crate::run::install_functions(&mut engine, &args.functions);
    Ok(engine)
}

/// Runs `kqlite check`.
pub fn check(args: CheckArgs) -> Outcome {
    let engine = match checking_engine(&args) {
        Ok(engine) => engine,
        Err(e) => {
            errln!("error: {e}");
            return Outcome::Failure;
        }
    };
    let parse_options = kqlite_parser::ParseOptions {
        max_depth: args.max_depth.min(kqlite_engine::eval::MAX_SUPPORTED_DEPTH),
    };
    let mut inputs = Vec::new();
    let mut unreadable = false;
    for path in &args.files {
        if let Err(e) = collect(path, &mut inputs) {
            errln!("error: cannot read `{path}`: {e}");
            unreadable = true;
        }
    }
    let check_one = |input: &Input| -> Checked {
        let name = input.name();
        let source = match input.read() {
            Ok(s) => s,
            Err(e) => {
                errln!("error: cannot read `{name}`: {e}");
                return Checked {
                    name,
                    source: String::new(),
                    diagnostics: Vec::new(),
                    rules: 0,
                    skipped: false,
                    unreadable: true,
                };
            }
        };
        match input.rule_format() {
            Some(format) => {
                let syntax_only = args.syntax_only.then_some(&parse_options);
                check_rule_file(&engine, name, source, format, syntax_only)
            }
            None => {
                let diagnostics = if args.syntax_only {
                    match kqlite_parser::parse_with(&source, &parse_options) {
                        Ok(_) => Vec::new(),
                        Err(e) => e.diagnostics().to_vec(),
                    }
                } else {
                    engine.check(&source)
                };
                Checked {
                    name,
                    source,
                    diagnostics,
                    rules: 0,
                    skipped: false,
                    unreadable: false,
                }
            }
        }
    };
    // Files are independent: check them in parallel; `collect` keeps the
    // sorted input order, so output never depends on scheduling.
    let checked: Vec<Checked> = inputs.par_iter().map(check_one).collect();
    unreadable |= checked.iter().any(|c| c.unreadable);

    match args.format {
        CheckFormat::Text => print_text(&checked),
        CheckFormat::Json => outln!("{}", to_json(&checked)),
        CheckFormat::Sarif => outln!("{}", to_sarif(&checked)),
    }
    if args.format != CheckFormat::Text {
        errln!("{}", summary(&checked));
    }
    let errors = checked
        .iter()
        .flat_map(|c| &c.diagnostics)
        .any(|d| d.severity == Severity::Error);
    if errors || unreadable {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// A file to check.
enum Input {
    /// Standard input (a query).
    Stdin,
    /// A file named on the command line or found in a folder.
    File(PathBuf),
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_string(),
            Input::File(p) => p.display().to_string(),
        }
    }

    fn read(&self) -> io::Result<String> {
        match self {
            Input::Stdin => {
                let mut s = String::new();
                io::stdin().read_to_string(&mut s).map(|_| s)
            }
            Input::File(p) => std::fs::read_to_string(p),
        }
    }

    fn rule_format(&self) -> Option<RuleFormat> {
        let Input::File(p) = self else { return None };
        match extension(p).as_deref() {
            Some("yaml" | "yml") => Some(RuleFormat::Yaml),
            Some("json") => Some(RuleFormat::Json),
            _ => None,
        }
    }
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Adds `path` to `inputs`: a file as it is, a folder as every query and
/// rule file under it, in sorted order.
fn collect(path: &str, inputs: &mut Vec<Input>) -> io::Result<()> {
    if path == "-" {
        inputs.push(Input::Stdin);
        return Ok(());
    }
    let p = PathBuf::from(path);
    if std::fs::metadata(&p)?.is_dir() {
        let mut visited = HashSet::new();
        walk(&p, &mut visited, inputs)
    } else {
        inputs.push(Input::File(p));
        Ok(())
    }
}

/// Walks a folder depth-first in name order. Each real folder is entered
/// once (by its canonical path), so symbolic-link loops end.
fn walk(dir: &Path, visited: &mut HashSet<PathBuf>, inputs: &mut Vec<Input>) -> io::Result<()> {
    if !visited.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        // Follows links; a broken link is skipped.
        let Ok(meta) = std::fs::metadata(&entry) else {
            continue;
        };
        if meta.is_dir() {
            // A folder that cannot be read is reported and skipped.
            if let Err(e) = walk(&entry, visited, inputs) {
                errln!("warning: cannot read `{}`: {e}", entry.display());
            }
        } else if extension(&entry).is_some_and(|e| {
            QUERY_EXTENSIONS.contains(&e.as_str()) || RULE_EXTENSIONS.contains(&e.as_str())
        }) {
            inputs.push(Input::File(entry));
        }
    }
    Ok(())
}

/// Checks every rule in a rule file; diagnostics are spanned in the file.
fn check_rule_file(
    engine: &Engine,
    name: String,
    source: String,
    format: RuleFormat,
    syntax_only: Option<&kqlite_parser::ParseOptions>,
) -> Checked {
    let (diagnostics, rules, skipped) = match read_rules(&source, format) {
        Err(d) => (vec![d], 1, false),
        Ok(rules) if rules.is_empty() => (Vec::new(), 0, true),
        Ok(rules) => {
            let mut diagnostics = Vec::new();
            for rule in &rules {
                if let Some(options) = syntax_only {
                    if let Some(q) = &rule.query {
                        if let Err(e) = kqlite_parser::parse_with(&q.value, options) {
                            diagnostics.extend(e.diagnostics().iter().map(|d| {
                                let mut d = d.clone();
                                d.span = q.map.span(d.span);
                                d
                            }));
                        }
                    }
                } else {
                    diagnostics.extend(check_rule(engine, rule));
                }
            }
            (diagnostics, rules.len(), false)
        }
    };
    Checked {
        name,
        source,
        diagnostics,
        rules,
        skipped,
        unreadable: false,
    }
}

/// `checked 12 files (10 rules, 1 skipped): 2 errors, 1 warning`.
fn summary(checked: &[Checked]) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let count = |severity| {
        checked
            .iter()
            .flat_map(|c| &c.diagnostics)
            .filter(|d| d.severity == severity)
            .count()
    };
    let rules: usize = checked.iter().map(|c| c.rules).sum();
    let skipped = checked.iter().filter(|c| c.skipped).count();
    let files = checked.iter().filter(|c| !c.unreadable).count();
    let rule_part = if rules > 0 || skipped > 0 {
        format!(" ({}, {skipped} skipped)", plural(rules, "rule"))
    } else {
        String::new()
    };
    format!(
        "checked {}{rule_part}: {}, {}",
        plural(files, "file"),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning")
    )
}

fn print_text(checked: &[Checked]) {
    for c in checked {
        err!(
            "{}",
            render::render_all_for_stderr(&c.name, &c.source, &c.diagnostics)
        );
    }
    errln!("{}", summary(checked));
}

/// A span's 1-based start and end (line, column) with columns in UTF-16
/// code units, as SARIF counts them by default.
fn region(source: &str, index: &LineIndex, d: &Diagnostic) -> [usize; 4] {
    let col16 = |offset: usize| {
        let (line, _) = index.line_col(offset);
        let start = index.line_range(source, line).start;
        let prefix = source.get(start..offset.min(source.len())).unwrap_or("");
        (line, prefix.encode_utf16().count() + 1)
    };
    let (sl, sc) = col16(d.span.start as usize);
    let (el, ec) = col16(d.span.end as usize);
    [sl, sc, el, ec]
}

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn to_json(checked: &[Checked]) -> serde_json::Value {
    let mut out = Vec::new();
    for c in checked {
        let index = LineIndex::new(&c.source);
        for d in &c.diagnostics {
            let [line, column, end_line, end_column] = region(&c.source, &index, d);
            out.push(json!({
                "file": c.name,
                "severity": severity_name(d.severity),
                "code": d.code,
                "message": d.message,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "hint": d.hint,
            }));
        }
    }
    serde_json::Value::Array(out)
}

fn to_sarif(checked: &[Checked]) -> serde_json::Value {
    let mut rules: Vec<&'static str> = Vec::new();
    let mut results = Vec::new();
    for c in checked {
        let index = LineIndex::new(&c.source);
        for d in &c.diagnostics {
            if !rules.contains(&d.code) {
                rules.push(d.code);
            }
            let [start_line, start_column, end_line, end_column] = region(&c.source, &index, d);
            let mut text = d.message.clone();
            if let Some(hint) = &d.hint {
                text.push_str(" (help: ");
                text.push_str(hint);
                text.push(')');
            }
            results.push(json!({
                "ruleId": d.code,
                "level": severity_name(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": c.name.replace('\\', "/") },
                        "region": {
                            "startLine": start_line,
                            "startColumn": start_column,
                            "endLine": end_line,
                            "endColumn": end_column,
                        }
                    }
                }],
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "kqlite",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|r| json!({ "id": r })).collect::<Vec<_>>(),
            }},
            "results": results,
        }]
    })
}
