//! Bad data files, one test per case: each either loads every row or
//! fails with an error naming the file and line. No load drops a row
//! silently, and nothing panics or overflows the stack.

use std::path::PathBuf;

use kqlite_engine::io::{load_file, load_file_with, LoadError, LoadOptions, Loaded};
use kqlite_engine::{DataType, Table, Value};

/// A file written for one test, deleted when dropped (some inputs here are
/// large, and a test run must not leave them behind).
struct TempFile(PathBuf);

impl std::ops::Deref for TempFile {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        if let Some(dir) = self.0.parent() {
            // Removed once the last file of this process is gone.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Writes `bytes` to a fresh file named `name` and returns it.
fn file(name: &str, bytes: &[u8]) -> TempFile {
    let dir = std::env::temp_dir().join(format!("kqlite-bad-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("temp file");
    TempFile(path)
}

fn load(name: &str, bytes: &[u8]) -> Result<Table, LoadError> {
    load_file(&file(name, bytes), None)
}

fn load_typed(name: &str, bytes: &[u8], schema: &[(&str, DataType)]) -> Result<Table, LoadError> {
    let schema: Vec<(String, DataType)> = schema.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    load_file(&file(name, bytes), Some(&schema))
}

/// The error's text, checked to start with `name:line:`.
fn error_at(result: Result<Table, LoadError>, name: &str, line: usize) -> String {
    let err = match result {
        Ok(t) => panic!("{name} loaded {} rows instead of failing", t.num_rows()),
        Err(e) => e.to_string(),
    };
    let at = format!("{name}:{line}:");
    assert!(err.contains(&at), "`{err}` does not point at {at}");
    err
}

#[test]
fn invalid_utf8_names_its_line_in_every_format() {
    error_at(
        load("utf8.jsonl", b"{\"a\":1}\n{\"a\":\"\xff\"}\n"),
        "utf8.jsonl",
        2,
    );
    error_at(load("utf8.csv", b"a,b\n1,2\n\xc3\x28,1\n"), "utf8.csv", 3);
    let err = error_at(
        load("utf8.json", b"[{\"a\":1},\n{\"a\":\"\xe2\x82\"}]"),
        "utf8.json",
        2,
    );
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn a_json_array_cut_midway_names_the_line_where_it_ends() {
    let err = error_at(
        load("cut.json", b"[{\"a\":1},\n{\"a\":2},\n{\"a\":"),
        "cut.json",
        3,
    );
    assert!(err.contains("EOF"), "{err}");
}

#[test]
fn a_json_lines_file_whose_last_line_is_cut_is_an_error_not_a_shorter_table() {
    error_at(
        load("cut.jsonl", b"{\"a\":1}\n{\"a\":2}\n{\"a\":3"),
        "cut.jsonl",
        3,
    );
    error_at(
        load("cut2.jsonl", b"{\"a\":1}\n{\"a\":2}\n{\"a\":\"unterminated"),
        "cut2.jsonl",
        3,
    );
}

#[test]
fn a_60_mb_line_loads_whole() {
    let big = "x".repeat(60 << 20);
    let text = format!("{{\"a\":1}}\n{{\"a\":2,\"s\":\"{big}\"}}\n{{\"a\":3}}\n");
    let t = load("big.jsonl", text.as_bytes()).expect("a long line is data");
    assert_eq!(t.num_rows(), 3);
    match t.column("s").map(|c| c.get(1)) {
        Some(Value::String(s)) => assert_eq!(s.len(), 60 << 20),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_100_mb_line_is_past_the_record_limit_and_names_its_line() {
    let big = "x".repeat(100 << 20);
    let text = format!("{{\"a\":1}}\n{{\"a\":2,\"s\":\"{big}\"}}\n{{\"a\":3}}\n");
    let err = load("huge.jsonl", text.as_bytes()).expect_err("past 64 MiB");
    let message = err.to_string();
    assert!(
        message.contains("line 2 is longer than 64 MiB"),
        "{message}"
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_line_and_column() {
    let schema = [("a", DataType::Long), ("t", DataType::DateTime)];
    let err = error_at(
        load_typed(
            "types.jsonl",
            b"{\"a\":1,\"t\":\"2024-01-01T00:00:00Z\"}\n{\"a\":\"one\"}\n",
            &schema,
        ),
        "types.jsonl",
        2,
    );
    assert!(err.contains("`a`") && err.contains("long"), "{err}");
    let err = error_at(
        load_typed("types.csv", b"a,t\n1,2024-01-01\n2,yesterday\n", &schema),
        "types.csv",
        3,
    );
    assert!(err.contains("`t`") && err.contains("datetime"), "{err}");
}

#[test]
fn without_a_schema_mixed_kinds_become_dynamic_and_keep_every_row() {
    let t = load("mixed.jsonl", b"{\"a\":1}\n{\"a\":\"x\"}\n{\"a\":[1]}\n").expect("loads");
    assert_eq!(t.num_rows(), 3);
    assert_eq!(t.schema(), vec![("a".to_string(), DataType::Dynamic)]);
}

#[test]
fn a_duplicate_column_is_an_error_not_a_silent_overwrite() {
    error_at(
        load("dup.jsonl", b"{\"a\":1}\n{\"a\":1,\"a\":2}\n"),
        "dup.jsonl",
        2,
    );
    error_at(load("dup.csv", b"a,b,a\n1,2,3\n"), "dup.csv", 1);
    error_at(load("dup.json", b"[{\"a\":1,\n\"a\":2}]"), "dup.json", 2);
}

#[test]
fn huge_numbers_load_as_reals_or_fail_with_their_line() {
    let t = load(
        "wide.jsonl",
        b"{\"a\":123456789012345678901234567890}\n{\"a\":1}\n",
    )
    .expect("an integer wider than 64 bits is a real");
    assert_eq!(t.num_rows(), 2);
    assert_eq!(t.row(0), vec![Value::Real(1.2345678901234568e29)]);
    error_at(
        load("inf.jsonl", b"{\"a\":1}\n{\"a\":1e400}\n"),
        "inf.jsonl",
        2,
    );
    // Into a `long` column, a number that does not fit is an error.
    let err = error_at(
        load_typed(
            "long.jsonl",
            b"{\"a\":1}\n{\"a\":9223372036854775808}\n",
            &[("a", DataType::Long)],
        ),
        "long.jsonl",
        2,
    );
    assert!(err.contains("long"), "{err}");
    let err = error_at(
        load_typed("int.csv", b"a\n1\n2147483648\n", &[("a", DataType::Int)]),
        "int.csv",
        3,
    );
    assert!(err.contains("int"), "{err}");
}

#[test]
fn json_nested_100000_deep_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    for (name, text) in [
        ("deep.jsonl", format!("{{\"a\":1}}\n{{\"a\":{deep}}}\n")),
        ("deep.json", format!("[{{\"a\":1}},\n{{\"a\":{deep}}}]")),
    ] {
        let err = error_at(load(name, text.as_bytes()), name, 2);
        assert!(err.contains("recursion"), "{err}");
    }
    // Nesting that deep inside a string stays a string.
    let quoted = format!("{{\"s\":\"{deep}\"}}\n");
    let t = load("deep-string.jsonl", quoted.as_bytes()).expect("a string");
    assert_eq!(t.num_rows(), 1);
}

#[test]
fn csv_with_ragged_rows_names_the_short_and_long_records() {
    let err = error_at(load("short.csv", b"a,b\n1,2\n3\n"), "short.csv", 3);
    assert!(err.contains("expected 2 fields, found 1"), "{err}");
    let err = error_at(load("long.csv", b"a,b\n1,2\n3,4,5\n"), "long.csv", 3);
    assert!(err.contains("found 3"), "{err}");
    error_at(load("open.csv", b"a,b\n1,\"open\n"), "open.csv", 2);
}

#[test]
fn odd_but_valid_files_keep_every_row() {
    // CRLF line ends, a BOM, blank lines between records, quoted newlines.
    let t = load("crlf.jsonl", b"\xef\xbb\xbf{\"a\":1}\r\n\r\n{\"a\":2}\r\n").expect("loads");
    assert_eq!(t.num_rows(), 2);
    let t = load("quoted.csv", b"a,b\r\n\"x\r\ny\",1\r\n\"\",2\r\n").expect("loads");
    assert_eq!(t.num_rows(), 2);
    let t = load("empty-rows.csv", b"a\n\n\n").expect("loads");
    assert_eq!(t.num_rows(), 2, "a one-column CSV keeps its empty records");
}

fn lenient(name: &str, bytes: &[u8], schema: Option<&[(&str, DataType)]>) -> Loaded {
    let schema: Option<Vec<(String, DataType)>> =
        schema.map(|s| s.iter().map(|(n, t)| (n.to_string(), *t)).collect());
    load_file_with(
        &file(name, bytes),
        schema.as_deref(),
        &LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        },
    )
    .expect("a lenient load of line-level problems succeeds")
}

/// Each rejection's `name:line:` prefix, in order.
fn rejected_lines(loaded: &Loaded, name: &str) -> Vec<usize> {
    loaded
        .rejected
        .iter()
        .map(|e| {
            let text = e.to_string();
            let at = text
                .find(&format!("{name}:"))
                .unwrap_or_else(|| panic!("`{text}` names no line of {name}"));
            text[at + name.len() + 1..]
                .split(':')
                .next()
                .and_then(|l| l.parse().ok())
                .unwrap_or_else(|| panic!("`{text}` has no line number"))
        })
        .collect()
}

#[test]
fn a_lenient_json_lines_load_reports_every_line_it_left_out() {
    let text = b"{\"a\":1,\"t\":\"2024-01-01T00:00:00Z\"}\n\
{\"a\":\"two\"}\n\
{\"a\":3\n\
[4]\n\
{\"a\":\"\xff\"}\n\
{\"a\":5,\"a\":6}\n\
\n\
{\"a\":7}\n\
{\"a\":8";
    let schema = [("a", DataType::Long), ("t", DataType::DateTime)];
    let loaded = lenient("lenient.jsonl", text, Some(&schema));
    let a: Vec<Value> = loaded.table.rows().map(|r| r[0].clone()).collect();
    assert_eq!(a, vec![Value::Long(1), Value::Long(7)]);
    assert_eq!(
        rejected_lines(&loaded, "lenient.jsonl"),
        vec![2, 3, 4, 5, 6, 9]
    );
    // Every line is accounted for: 2 rows + 6 rejections + 1 blank line.
    assert_eq!(loaded.table.num_rows() + loaded.rejected.len() + 1, 9);
}

#[test]
fn a_lenient_csv_load_reports_every_record_it_left_out() {
    let text = b"a,b\n1,x\n2\n3,y,z\n\xc3\x28,w\nfour,v\n5,\"q\"x\n6,u\n";
    let loaded = lenient("lenient.csv", text, Some(&[("a", DataType::Long)]));
    let a: Vec<Value> = loaded.table.rows().map(|r| r[0].clone()).collect();
    assert_eq!(a, vec![Value::Long(1), Value::Long(6)]);
    assert_eq!(rejected_lines(&loaded, "lenient.csv"), vec![3, 4, 5, 6, 7]);
}

#[test]
fn a_lenient_load_of_a_clean_file_rejects_nothing() {
    let loaded = lenient("clean.jsonl", b"{\"a\":1}\n{\"a\":2}\n", None);
    assert_eq!(loaded.table.num_rows(), 2);
    assert!(loaded.rejected.is_empty());
}

#[test]
fn a_lenient_load_still_fails_on_whole_file_problems() {
    let path = file("cut-array.json", b"[{\"a\":1},\n{\"a\":");
    assert!(load_file_with(
        &path,
        None,
        &LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        }
    )
    .is_err());
    let path = file("dup-header.csv", b"a,a\n1,2\n");
    assert!(load_file_with(
        &path,
        None,
        &LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        }
    )
    .is_err());
}

#[test]
fn a_large_lenient_json_lines_file_loads_in_parallel_with_the_same_rejections() {
    // Over the 32 MiB threshold for a parallel load.
    let mut text = String::new();
    let mut bad = Vec::new();
    let mut line = 0;
    while text.len() < 40 << 20 {
        line += 1;
        if line % 100_000 == 0 {
            text.push_str("{\"a\":\n");
            bad.push(line);
        } else {
            text.push_str(&format!(
                "{{\"a\":{line},\"s\":\"padding-padding-padding\"}}\n"
            ));
        }
    }
    let loaded = lenient("big-lenient.jsonl", text.as_bytes(), None);
    assert_eq!(rejected_lines(&loaded, "big-lenient.jsonl"), bad);
    assert_eq!(loaded.table.num_rows() + bad.len(), line);
}

mod lenient_properties {
    use super::*;
    use kqlite_engine::io::{load_reader_with, Format};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every non-blank JSON Lines line becomes a row or a rejection.
        #[test]
        fn lenient_json_lines_account_for_every_line(
            lines in proptest::collection::vec(
                prop_oneof![
                    Just("{\"a\":1}".to_string()),
                    Just("{\"a\":\"x\",\"b\":[1,2]}".to_string()),
                    Just("{\"a\":".to_string()),
                    Just("[1]".to_string()),
                    Just("{\"a\":1,\"a\":2}".to_string()),
                    Just("{\"a\":1e400}".to_string()),
                    "[{}\\[\\]\":,a0-9 ]{0,12}",
                ],
                0..30,
            ),
            typed in any::<bool>(),
        ) {
            let text = lines.join("\n");
            let schema = [("a".to_string(), DataType::Long)];
            let loaded = load_reader_with(
                text.as_bytes(),
                Format::JsonLines,
                typed.then_some(&schema[..]),
                "prop.jsonl",
                &LoadOptions { lenient: true, ..LoadOptions::default() },
            )
            .expect("line problems never fail a lenient load");
            let used = lines.iter().filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(loaded.table.num_rows() + loaded.rejected.len(), used);
            for (name, col) in loaded.table.columns() {
                prop_assert_eq!(col.len(), loaded.table.num_rows(), "column {}", name);
            }
        }

        /// Every CSV record becomes a row or a rejection.
        #[test]
        fn lenient_csv_accounts_for_every_record(
            records in proptest::collection::vec("[a-c0-9,]{0,8}", 0..30),
        ) {
            let text = format!("a,b\n{}\n", records.join("\n"));
            let loaded = load_reader_with(
                text.as_bytes(),
                Format::Csv,
                Some(&[("a".to_string(), DataType::Long)]),
                "prop.csv",
                &LoadOptions { lenient: true, ..LoadOptions::default() },
            )
            .expect("record problems never fail a lenient load");
            // A record with a single empty field is a blank line, skipped.
            let used = records.iter().filter(|r| !r.trim().is_empty()).count();
            prop_assert_eq!(loaded.table.num_rows() + loaded.rejected.len(), used);
        }
    }
}

/// Found by the `load_shapes` fuzz target (shape `WideRows`, CSV): the
/// duplicate-header check was quadratic in the number of columns (50,000
/// columns took seconds, 200,000 minutes).
#[test]
fn a_csv_header_of_two_hundred_thousand_columns_loads_in_linear_time() {
    let n = 200_000;
    let header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let row = vec!["1"; n].join(",");
    let text = format!("{}\n{row}\n{row}\n", header.join(","));
    let start = std::time::Instant::now();
    let t = load("wide.csv", text.as_bytes()).expect("loads");
    assert_eq!((t.num_rows(), t.num_columns()), (2, n));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
    assert!(load("dup.csv", b"a,b,a\n1,2,3\n").is_err());
}
