//! Golden cases: every `tests/kql/*.kqltest` file holds input tables, a query
//! and the output expected from it (a table, or the rendered diagnostics of
//! an error). This test runs each file and compares; run it with
//! `KQLITE_BLESS=1` to write the expected sections from what the engine
//! produces instead. The format is described in `tests/kql/README.md`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kqlite_engine::io::{load_reader, Format};
use kqlite_engine::{DataType, Dynamic, Engine, Table, Value};
use kqlite_parser::render::render;

/// The line between the query and the expected output.
const SEPARATOR: &str = "----";
/// `now()` when a case does not set it.
const DEFAULT_NOW: &str = "2024-01-15T12:00:00Z";
/// The file name that rendered diagnostics point into (line numbers count
/// from the first line of the query).
const QUERY_NAME: &str = "query";

/// One table a case declares: its name, optional column types, and rows as
/// JSON Lines.
struct InputTable {
    name: String,
    schema: Option<Vec<(String, DataType)>>,
    rows: String,
}

/// A parsed case file.
struct Case {
    now: String,
    tables: Vec<InputTable>,
    query: String,
    /// The file up to and including the separator line, kept for blessing.
    head: String,
    expected: String,
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kql")
}

/// Every `.kqltest` file under `dir`, subfolders included, in path order.
fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).expect("a readable folder of cases");
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|x| x == "kqltest") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// `a:string, n:long` as column names and types.
fn parse_schema(text: &str) -> Result<Vec<(String, DataType)>, String> {
    text.split(',')
        .map(|col| {
            let (name, ty) = col
                .split_once(':')
                .ok_or_else(|| format!("column `{}` needs a type: `name:type`", col.trim()))?;
            let ty = DataType::from_name(ty.trim())
                .ok_or_else(|| format!("unknown type `{}`", ty.trim()))?;
            Ok((name.trim().to_string(), ty))
        })
        .collect()
}

/// `table Name` or `table Name (a:string, n:long)`.
fn parse_table_line(rest: &str) -> Result<InputTable, String> {
    let rest = rest.trim();
    let (name, schema) = match rest.split_once('(') {
        Some((name, cols)) => {
            let cols = cols
                .trim_end()
                .strip_suffix(')')
                .ok_or("the column list needs a closing `)`")?;
            (name.trim(), Some(parse_schema(cols)?))
        }
        None => (rest, None),
    };
    if name.is_empty() {
        return Err("`table` needs a name".into());
    }
    Ok(InputTable {
        name: name.to_string(),
        schema,
        rows: String::new(),
    })
}

fn parse_case(text: &str) -> Result<Case, String> {
    let mut now = DEFAULT_NOW.to_string();
    let mut tables: Vec<InputTable> = Vec::new();
    let mut query_lines: Vec<&str> = Vec::new();
    let mut in_rows = false;
    let mut in_query = false;
    let mut head = String::new();
    let mut lines = text.split_inclusive('\n');
    for raw in lines.by_ref() {
        head.push_str(raw);
        let line = raw.trim_end_matches(['\n', '\r']);
        if in_query {
            if line == SEPARATOR {
                let query = query_lines.join("\n").trim_end().to_string();
                if query.trim().is_empty() {
                    return Err("the `query` section is empty".into());
                }
                let expected: String = lines.collect();
                if !head.ends_with('\n') {
                    head.push('\n');
                }
                return Ok(Case {
                    now,
                    tables,
                    query,
                    head,
                    expected,
                });
            }
            query_lines.push(line);
            continue;
        }
        if in_rows && line.trim_start().starts_with('{') {
            if let Some(t) = tables.last_mut() {
                t.rows.push_str(line);
                t.rows.push('\n');
            }
            continue;
        }
        in_rows = false;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("now ") {
            now = rest.trim().to_string();
        } else if let Some(rest) = trimmed.strip_prefix("table ") {
            tables.push(parse_table_line(rest)?);
            in_rows = true;
        } else if trimmed == "query" {
            in_query = true;
        } else {
            return Err(format!(
                "unexpected line `{trimmed}`: expected `#`, `now`, `table` or `query`"
            ));
        }
    }
    Err(format!("no `{SEPARATOR}` line after the query"))
}

/// A cell as the expected output shows it: nulls as `null`, everything
/// else as `tostring()` prints it, with line breaks and tabs escaped.
fn cell(v: &Value) -> String {
    match v {
        Value::Null | Value::Dynamic(Dynamic::Null) => "null".into(),
        v => v
            .to_string()
            .replace('\n', "\\n")
            .replace('\r', "\\r")
            .replace('\t', "\\t"),
    }
}

/// The table as left-aligned text: `name:type` headers, a rule, one line
/// per row, columns two spaces apart, trailing spaces trimmed.
fn table_text(t: &Table) -> String {
    let mut grid: Vec<Vec<String>> = vec![t
        .columns()
        .map(|(name, col)| format!("{name}:{}", col.data_type().name()))
        .collect()];
    grid.extend(t.rows().map(|row| row.iter().map(cell).collect()));
    let widths: Vec<usize> = (0..t.num_columns())
        .map(|i| {
            grid.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (c, w) in cells.iter().zip(&widths) {
            let _ = write!(text, "{c:<w$}  ");
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    if let Some((header, rows)) = grid.split_first() {
        line(header);
        line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>());
        for row in rows {
            line(row);
        }
    }
    out
}

/// Runs a case: the result table as text, or its diagnostics rendered.
fn run_case(case: &Case) -> Result<String, String> {
    let mut engine = Engine::new();
    let now = kqlite_engine::time::parse_datetime(&case.now)
        .ok_or_else(|| format!("`now {}` is not a datetime", case.now))?;
    engine.set_now(now);
    for t in &case.tables {
        let table = load_reader(
            t.rows.as_bytes(),
            Format::JsonLines,
            t.schema.as_deref(),
            &t.name,
        )
        .map_err(|e| format!("table {}: {e}", t.name))?;
        engine.add_table(t.name.clone(), table);
    }
    Ok(match engine.run(&case.query) {
        Ok(table) => table_text(&table),
        Err(e) if e.diagnostics().is_empty() => format!("{e}\n"),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| render(QUERY_NAME, &case.query, d))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

#[test]
fn every_golden_case_produces_its_expected_output() {
    let bless = std::env::var_os("KQLITE_BLESS").is_some();
    let dir = cases_dir();
    let files = case_files(&dir);
    assert!(
        files.len() >= 30,
        "expected the golden cases in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .strip_prefix(&dir)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).expect("a readable case file");
        let outcome = parse_case(&text).and_then(|case| Ok((run_case(&case)?, case)));
        match outcome {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok((actual, case)) if actual != case.expected => {
                if bless {
                    std::fs::write(path, format!("{}{actual}", case.head)).expect("writable");
                } else {
                    failures.push(format!(
                        "{name}: output differs\n--- expected\n{}--- actual\n{actual}",
                        case.expected
                    ));
                }
            }
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed (KQLITE_BLESS=1 rewrites the expected output):\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn a_case_file_reads_as_tables_a_query_and_its_expected_output() {
    let text = "# a comment\nnow 2024-01-01\n\ntable T (a:long, s:string)\n{\"a\": 1, \"s\": \"x\"}\n\nquery\nT\n| take 1\n----\nexpected\n";
    let case = parse_case(text).expect("a valid case");
    assert_eq!(case.now, "2024-01-01");
    assert_eq!(case.tables.len(), 1);
    assert_eq!(case.tables[0].name, "T");
    assert_eq!(
        case.tables[0].schema,
        Some(vec![
            ("a".to_string(), DataType::Long),
            ("s".to_string(), DataType::String)
        ])
    );
    assert_eq!(case.tables[0].rows, "{\"a\": 1, \"s\": \"x\"}\n");
    assert_eq!(case.query, "T\n| take 1");
    assert_eq!(case.expected, "expected\n");
    assert!(case.head.ends_with("----\n"));
    assert_eq!(
        run_case(&case).expect("it runs"),
        "a:long  s:string\n------  --------\n1       x\n"
    );
}

#[test]
fn a_case_without_a_separator_is_rejected() {
    let err = parse_case("query\nprint 1\n").err().expect("an error");
    assert!(err.contains("----"), "{err}");
}

#[test]
fn nulls_are_shown_as_null_and_control_characters_escaped() {
    assert_eq!(cell(&Value::Null), "null");
    assert_eq!(cell(&Value::String("a\tb\nc".into())), "a\\tb\\nc");
    assert_eq!(cell(&Value::String("".into())), "");
}
