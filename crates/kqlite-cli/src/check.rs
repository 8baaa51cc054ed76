//! `kqlite check`: diagnostics for query files, as text, JSON or SARIF.

use std::io::{self, Read};

use clap::{Args, ValueEnum};
use kqlite_engine::Engine;
use kqlite_parser::diagnostic::{Diagnostic, Severity};
use kqlite_parser::span::LineIndex;
use serde_json::json;

use crate::{render, Outcome};

/// Arguments of `kqlite check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Query files to check (`-` reads standard input).
    #[arg(required = true)]
    files: Vec<String>,
    /// Only check syntax: no table, column or type checks.
    #[arg(long)]
    syntax_only: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Deepest nesting of brackets and operators in the query text (at
    /// most 4096).
    #[arg(long, value_name = "N", default_value_t = kqlite_engine::eval::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
    /// Whose tables and column types to check against.
    #[arg(long, value_enum, default_value_t = EnvironmentArg::Sentinel)]
    environment: EnvironmentArg,
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

/// One file's text and its diagnostics.
struct Checked {
    name: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
}

/// Runs `kqlite check`.
pub fn check(args: CheckArgs) -> Outcome {
    let mut engine = Engine::new();
    engine.set_limits(kqlite_engine::eval::Limits {
        max_depth: args.max_depth,
        ..kqlite_engine::eval::Limits::default()
    });
    let parse_options = kqlite_parser::ParseOptions {
        max_depth: args.max_depth.min(kqlite_engine::eval::MAX_SUPPORTED_DEPTH),
    };
    kqlite_sentinel::catalog::install(&mut engine, args.environment.into());
    let mut checked = Vec::new();
    let mut unreadable = false;
    for file in &args.files {
        let source = if file == "-" {
            let mut s = String::new();
            io::stdin().read_to_string(&mut s).map(|_| s)
        } else {
            std::fs::read_to_string(file)
        };
        let source = match source {
            Ok(s) => s,
            Err(e) => {
                errln!("error: cannot read `{file}`: {e}");
                unreadable = true;
                continue;
            }
        };
        let diagnostics = if args.syntax_only {
            match kqlite_parser::parse_with(&source, &parse_options) {
                Ok(_) => Vec::new(),
                Err(e) => e.diagnostics().to_vec(),
            }
        } else {
            engine.check(&source)
        };
        let name = if file == "-" { "<stdin>" } else { file };
        checked.push(Checked {
            name: name.to_string(),
            source,
            diagnostics,
        });
    }

    match args.format {
        CheckFormat::Text => print_text(&checked),
        CheckFormat::Json => outln!("{}", to_json(&checked)),
        CheckFormat::Sarif => outln!("{}", to_sarif(&checked)),
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

fn print_text(checked: &[Checked]) {
    let (mut errors, mut warnings) = (0, 0);
    for c in checked {
        for d in &c.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            err!("{}", render::render_for_stderr(&c.name, &c.source, d));
        }
    }
    let files = checked.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    errln!(
        "checked {}: {}, {}",
        plural(files, "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    );
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
