//! `kqlite test`: run detection test files and report per case.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use kqlite_sentinel::coverage;
use kqlite_sentinel::detection_test::{self, CaseResult, Outcome as CaseOutcome, TestFile};

use crate::Outcome;

/// Arguments of `kqlite test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files (`*.test.toml`) or directories to search (default `queries/`).
    paths: Vec<PathBuf>,
    /// Only run cases whose file or case name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// Also write a JUnit XML report to FILE, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Print the scenario × detection coverage table (Markdown) for the
    /// detections under the first path instead of running tests.
    #[arg(long)]
    coverage: bool,
    /// Declares tables for every case from a schema file (see `kqlite
    /// check --schema`); a test file's own `schema` key wins. Repeatable.
    #[arg(long = "schema", value_name = "[NAME=]FILE")]
    schemas: Vec<String>,
    /// Lets test files read queries, fixtures and inputs outside their
    /// repository (by default a path that leaves it is an error, so a test
    /// from an untrusted change cannot print other files).
    #[arg(long)]
    allow_outside: bool,
}

/// The results of one test file.
struct FileReport {
    path: PathBuf,
    results: Vec<CaseResult>,
    error: Option<String>,
}

/// Runs `kqlite test`.
pub fn test(args: TestArgs) -> Outcome {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("queries")]
    } else {
        args.paths.clone()
    };
    if args.coverage {
        return match coverage::coverage(&paths[0]) {
            Ok(table) => {
                out!("{}", table.to_markdown());
                Outcome::Success
            }
            Err(e) => {
                errln!("error: {e}");
                Outcome::Failure
            }
        };
    }
    let schemas = match crate::run::load_schemas(&args.schemas) {
        Ok(set) => set,
        Err(e) => {
            errln!("error: {e}");
            return Outcome::Failure;
        }
    };
    let start = Instant::now();
    let files = detection_test::discover(&paths);
    if files.is_empty() {
        errln!(
            "error: no test files (*.test.toml) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Outcome::Failure;
    }
    let mut reports = Vec::new();
    let (mut passed, mut failed, mut errors) = (0usize, 0usize, 0usize);
    for path in files {
        let access = if args.allow_outside {
            detection_test::FileAccess::Anywhere
        } else {
            detection_test::FileAccess::Repository
        };
        let file = match TestFile::load_with(&path, access) {
            Ok(f) => f.with_schemas(&schemas),
            Err(e) => {
                outln!("ERROR {}", path.display());
                outln!("      {e}");
                errors += 1;
                reports.push(FileReport {
                    path,
                    results: Vec::new(),
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        let mut results = Vec::new();
        for case in &file.cases {
            let label = format!("{} :: {}", path.display(), case.name);
            if let Some(f) = &args.filter {
                if !label.contains(f.as_str()) {
                    continue;
                }
            }
            let r = detection_test::run_case(case);
            match &r.outcome {
                CaseOutcome::Pass => {
                    passed += 1;
                    outln!("ok    {label} ({:.0} ms)", r.seconds * 1e3);
                }
                CaseOutcome::Fail(diff) => {
                    failed += 1;
                    outln!("FAIL  {label}");
                    for line in diff.lines() {
                        outln!("      {line}");
                    }
                }
                CaseOutcome::Error(msg) => {
                    errors += 1;
                    outln!("ERROR {label}");
                    for line in msg.lines() {
                        outln!("      {line}");
                    }
                }
            }
            results.push(r);
        }
        reports.push(FileReport {
            path,
            results,
            error: None,
        });
    }
    outln!(
        "test result: {}. {passed} passed, {failed} failed, {errors} errors; finished in {:.2}s",
        if failed + errors == 0 { "ok" } else { "FAILED" },
        start.elapsed().as_secs_f64()
    );
    if let Some(junit) = &args.junit {
        if let Err(e) = std::fs::File::create(junit)
            .and_then(|mut f| f.write_all(junit_xml(&reports).as_bytes()))
        {
            errln!("error: cannot write {}: {e}", junit.display());
            return Outcome::Failure;
        }
    }
    if failed + errors == 0 {
        Outcome::Success
    } else {
        Outcome::Failure
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// A JUnit XML report: one `<testsuite>` per file, one `<testcase>` per case.
fn junit_xml(reports: &[FileReport]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kqlite\">\n");
    for r in reports {
        let name = xml_escape(&r.path.display().to_string());
        let failures = r
            .results
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Fail(_)))
            .count();
        let errors = r
            .results
            .iter()
            .filter(|c| matches!(c.outcome, CaseOutcome::Error(_)))
            .count()
            + usize::from(r.error.is_some());
        let secs: f64 = r.results.iter().map(|c| c.seconds).sum();
        out.push_str(&format!(
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{secs:.3}\">\n",
            r.results.len()
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"(file)\"><error message=\"{}\"/></testcase>\n",
                xml_escape(e)
            ));
        }
        for c in &r.results {
            out.push_str(&format!(
                "    <testcase classname=\"{name}\" name=\"{}\" time=\"{:.3}\"",
                xml_escape(&c.name),
                c.seconds
            ));
            match &c.outcome {
                CaseOutcome::Pass => out.push_str("/>\n"),
                CaseOutcome::Fail(diff) => out.push_str(&format!(
                    "><failure message=\"expectation failed\">{}</failure></testcase>\n",
                    xml_escape(diff)
                )),
                CaseOutcome::Error(msg) => out.push_str(&format!(
                    "><error message=\"case could not run\">{}</error></testcase>\n",
                    xml_escape(msg)
                )),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
