//! Hostile loader input: malformed, truncated, oddly typed and deeply nested
//! files must load or fail with a `LoadError`, never panic, and a loaded
//! table must keep every row. Inputs the `load` fuzz target
//! (fuzz/fuzz_targets/load.rs) finds are added here once fixed.

use kqlite_engine::io::{load_reader, Format};
use kqlite_engine::{DataType, Table};

const FORMATS: [Format; 4] = [
    Format::JsonLines,
    Format::JsonArray,
    Format::LogAnalytics,
    Format::Csv,
];

fn schema() -> Vec<(String, DataType)> {
    DataType::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("c{i}"), *t))
        .collect()
}

/// Loads `bytes` in every format, with and without a schema; returns the
/// tables that loaded after checking their shape.
fn load_everywhere(bytes: &[u8]) -> Vec<Table> {
    let schema = schema();
    let mut out = Vec::new();
    for format in FORMATS {
        for with_schema in [false, true] {
            let s = with_schema.then_some(schema.as_slice());
            if let Ok(t) = load_reader(bytes, format, s, "hostile") {
                for (name, col) in t.columns() {
                    assert_eq!(col.len(), t.num_rows(), "column {name} in {format:?}");
                }
                out.push(t);
            }
        }
    }
    out
}

#[test]
fn malformed_and_truncated_input_is_an_error_not_a_panic() {
    for text in [
        "",
        "\n\n\n",
        "\u{feff}",
        "{",
        "[",
        "[{\"a\":1},",
        "{\"a\":1}\n{\"a\":",
        "{\"tables\":[{\"rows\":[[1]],\"columns\":[{\"name\":\"a\",\"type\":\"long\"}]}]}",
        "{\"tables\":[{\"columns\":[{\"name\":\"a\",\"type\":\"nosuchtype\"}],\"rows\":[[1]]}]}",
        "{\"tables\":[{\"columns\":[{\"name\":\"a\",\"type\":\"long\"}],\"rows\":[[1,2],[],null,7]}]}",
        "{\"tables\":[]}",
        "{\"Tables\":[{\"Columns\":[{\"ColumnName\":\"a\"}],\"Rows\":[[\"x\"]]}]}",
        "a,b\n1\n1,2,3\n",
        "a,a\n1,2\n",
        "\"a\nb\"\n",
        "a\n\"unterminated\n",
        ",,,\n,,,\n",
        "{\"a\":1,\"a\":2}",
        "[1, \"x\", null]",
        "{\"c0\":\"maybe\",\"c2\":1e400,\"c6\":\"10000-01-01T00:00:00Z\",\"c7\":\"99999999.00:00:00\",\"c8\":\"not-a-guid\"}",
        "{\"c1\":2147483648,\"c2\":9223372036854775808,\"c4\":\"1e30\",\"c3\":\"nan\"}",
    ] {
        load_everywhere(text.as_bytes());
    }
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic() {
    for bytes in [
        &b"{\"a\":\"\xff\"}\n"[..],
        &b"a,b\n\xc3\x28,1\n"[..],
        &b"[{\"a\":\"\xe2\x82\"}]"[..],
        &b"\xef\xbb"[..],
    ] {
        load_everywhere(bytes);
    }
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    load_everywhere(deep.as_bytes());
    let deep_string = format!(
        "{{\"c9\":\"{}1{}\"}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    load_everywhere(deep_string.as_bytes());
}

#[test]
fn every_row_of_a_ragged_json_lines_file_is_kept() {
    let text = "{\"a\":1}\n{\"b\":\"x\"}\n\n{\"a\":2,\"c\":[1]}\n{}\n";
    let t = load_reader(text.as_bytes(), Format::JsonLines, None, "ragged").expect("loads");
    assert_eq!(t.num_rows(), 4);
    assert_eq!(t.num_columns(), 3);
}
