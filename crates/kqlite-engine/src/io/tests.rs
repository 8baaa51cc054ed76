//! Loader and writer tests: inference, schemas, round trips and errors.

use std::sync::Arc;

use super::*;
use crate::column::{Column, ColumnData};
use crate::column::{ColumnBuilder, StringColumn};
use crate::time::{parse_datetime, parse_timespan};
use crate::value::{parse_guid, Dynamic, Value};

fn load(
    text: &str,
    format: Format,
    schema: Option<&[(String, DataType)]>,
) -> Result<Table, LoadError> {
    load_reader(text.as_bytes(), format, schema, "input")
}

fn schema(cols: &[(&str, DataType)]) -> Vec<(String, DataType)> {
    cols.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

/// `text` loaded as JSON Lines in blocks parsed on `threads` threads.
fn parallel_load(text: &str, schema: &[(String, DataType)], threads: usize) -> Table {
    let opts = super::blocks::StreamOptions {
        schema: Some(schema),
        sparse: false,
        lenient: false,
        threads,
        block_bytes: super::blocks::BLOCK_BYTES,
    };
    super::blocks::load_jsonl(text.as_bytes(), "par", opts)
        .expect("loads")
        .expect("types agree")
        .table
}

fn jsonl(t: &Table) -> String {
    let mut out = Vec::new();
    write_jsonl(t, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn dt(s: &str) -> Value {
    Value::DateTime(parse_datetime(s).unwrap())
}

/// A table with every type, nulls and awkward strings.
fn sample() -> Table {
    fn col(ty: DataType, values: Vec<Value>) -> Arc<Column> {
        let mut b = ColumnBuilder::new(ty, values.len());
        for v in &values {
            b.push(v).unwrap();
        }
        Arc::new(b.finish())
    }
    let bag = Dynamic::from_json(&serde_json::json!({"city": "Paris", "n": [1, 2.5, null]}));
    Table::try_new([
        (
            "b".to_string(),
            col(
                DataType::Bool,
                vec![Value::Bool(true), Value::Null, Value::Bool(false)],
            ),
        ),
        (
            "i".to_string(),
            col(
                DataType::Int,
                vec![Value::Int(-7), Value::Int(i32::MAX), Value::Null],
            ),
        ),
        (
            "l".to_string(),
            col(
                DataType::Long,
                vec![Value::Long(i64::MIN), Value::Null, Value::Long(42)],
            ),
        ),
        (
            "r".to_string(),
            col(
                DataType::Real,
                vec![
                    Value::Real(1.0),
                    Value::Real(f64::INFINITY),
                    Value::Real(-0.125),
                ],
            ),
        ),
        (
            "d".to_string(),
            col(
                DataType::Decimal,
                vec![
                    Value::Decimal("12.3400".parse().unwrap()),
                    Value::Null,
                    Value::Decimal("-1".parse().unwrap()),
                ],
            ),
        ),
        (
            "s".to_string(),
            col(
                DataType::String,
                vec![
                    Value::string("plain"),
                    Value::string(""),
                    Value::string("q\"uo,te\nline é\t\\"),
                ],
            ),
        ),
        (
            "t".to_string(),
            col(
                DataType::DateTime,
                vec![
                    dt("2024-01-01T00:00:00Z"),
                    Value::Null,
                    dt("2015-12-31T23:59:59.1234567Z"),
                ],
            ),
        ),
        (
            "ts".to_string(),
            col(
                DataType::TimeSpan,
                vec![
                    Value::TimeSpan(parse_timespan("1.02:03:04.5").unwrap()),
                    Value::TimeSpan(-1),
                    Value::Null,
                ],
            ),
        ),
        (
            "g".to_string(),
            col(
                DataType::Guid,
                vec![
                    Value::Guid(parse_guid("74be27de-1e4e-49d9-b579-fe0b331d3642").unwrap()),
                    Value::Null,
                    Value::Guid(0),
                ],
            ),
        ),
        (
            "dyn".to_string(),
            col(
                DataType::Dynamic,
                vec![
                    Value::Dynamic(bag),
                    Value::Null,
                    Value::Dynamic(Dynamic::String("{not json".into())),
                ],
            ),
        ),
    ])
    .unwrap()
}

fn assert_same(a: &Table, b: &Table) {
    assert_eq!(a.schema(), b.schema());
    assert_eq!(a.num_rows(), b.num_rows());
    assert_eq!(jsonl(a), jsonl(b));
    for (x, y) in a.rows().zip(b.rows()) {
        for (u, v) in x.iter().zip(&y) {
            assert_eq!(u, v);
        }
    }
}

#[test]
fn jsonl_columns_are_inferred_from_their_values() {
    let text = r#"{"n":1,"x":1,"ok":true,"s":"a","t":"2024-01-01T10:00:00Z","o":{"k":[1]}}
{"n":2,"x":2.5,"ok":false,"s":"b","t":"2024-01-02T10:00:00.5Z","o":null}

{"n":null,"s":"c","late":"new"}
"#;
    let t = load(text, Format::JsonLines, None).unwrap();
    let types: Vec<_> = t.schema().into_iter().map(|(_, ty)| ty).collect();
    use DataType as D;
    assert_eq!(
        types,
        vec![
            D::Long,
            D::Real,
            D::Bool,
            D::String,
            D::DateTime,
            D::Dynamic,
            D::String
        ]
    );
    assert_eq!(t.num_rows(), 3);
    assert!(t.column("n").unwrap().is_null(2));
    assert_eq!(t.column("x").unwrap().get(0), Value::Real(1.0));
    assert!(t.column("t").unwrap().is_null(2));
    assert_eq!(t.column("t").unwrap().get(1), dt("2024-01-02T10:00:00.5Z"));
    assert_eq!(t.column("late").unwrap().get(0), Value::string(""));
    assert_eq!(t.column("late").unwrap().get(2), Value::string("new"));
    let o = t.column("o").unwrap().get(0);
    assert_eq!(
        o,
        Value::Dynamic(Dynamic::from_json(&serde_json::json!({"k": [1]})))
    );
}

#[test]
fn strings_that_are_not_all_timestamps_stay_strings() {
    let text = "{\"t\":\"2024-01-01T10:00:00Z\"}\n{\"t\":\"2024-01-01\"}\n";
    let t = load(text, Format::JsonLines, None).unwrap();
    assert_eq!(t.column("t").unwrap().data_type(), DataType::String);
}

#[test]
fn schema_columns_come_first_and_missing_ones_are_null() {
    let s = schema(&[
        ("TimeGenerated", DataType::DateTime),
        ("Count", DataType::Int),
        ("Props", DataType::Dynamic),
        ("Missing", DataType::String),
        ("MissingLong", DataType::Long),
    ]);
    let text = r#"{"Extra":5,"Props":"{\"city\":\"Paris\"}","Count":"3","TimeGenerated":"2024-01-01 10:00"}
{"Props":"just text","TimeGenerated":"","Count":4}
"#;
    let t = load(text, Format::JsonLines, Some(&s)).unwrap();
    let names: Vec<_> = t.column_names().collect();
    assert_eq!(
        names,
        [
            "TimeGenerated",
            "Count",
            "Props",
            "Missing",
            "MissingLong",
            "Extra"
        ]
    );
    assert_eq!(
        t.column("TimeGenerated").unwrap().get(0),
        dt("2024-01-01T10:00:00Z")
    );
    assert!(t.column("TimeGenerated").unwrap().is_null(1));
    assert_eq!(t.column("Count").unwrap().get(0), Value::Int(3));
    let props = t.column("Props").unwrap();
    assert_eq!(
        props.get(0),
        Value::Dynamic(Dynamic::from_json(&serde_json::json!({"city": "Paris"})))
    );
    assert_eq!(
        props.get(1),
        Value::Dynamic(Dynamic::String("just text".into()))
    );
    assert_eq!(t.column("Missing").unwrap().get(1), Value::string(""));
    assert!(t.column("MissingLong").unwrap().is_null(0));
    assert_eq!(t.column("Extra").unwrap().data_type(), DataType::Long);
    assert!(t.column("Extra").unwrap().is_null(1));
}

#[test]
fn low_cardinality_strings_are_dictionary_encoded() {
    let mut text = String::new();
    for i in 0..100 {
        text.push_str(&format!(
            "{{\"app\":\"{}\"}}\n",
            ["Browser", "IMAP4"][i % 2]
        ));
    }
    let t = load(&text, Format::JsonLines, None).unwrap();
    let col = t.column("app").unwrap();
    assert!(matches!(
        col.data,
        ColumnData::String(StringColumn::Dict { .. })
    ));
    assert_eq!(col.get(1), Value::string("IMAP4"));
}

#[test]
fn jsonl_round_trips_every_type_through_its_schema() {
    let t = sample();
    let text = jsonl(&t);
    let back = load(&text, Format::JsonLines, Some(&t.schema())).unwrap();
    assert_same(&t, &back);
}

#[test]
fn json_arrays_load_like_json_lines() {
    let t = sample();
    let lines = jsonl(&t);
    let array = format!("[{}]", lines.trim_end().replace('\n', ",\n"));
    let back = load(&array, Format::JsonArray, Some(&t.schema())).unwrap();
    assert_same(&t, &back);
}

#[test]
fn log_analytics_output_round_trips_with_its_own_types() {
    let t = sample();
    let mut out = Vec::new();
    write_json(&t, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(
        r#"{"tables":[{"name":"PrimaryResult","columns":[{"name":"b","type":"bool"}"#
    ));
    assert!(text.contains(r#""2024-01-01T00:00:00Z""#));
    assert!(text.contains(r#""1.02:03:04.5000000""#));
    assert!(text.contains(r#""Infinity""#));
    let back = load(&text, Format::LogAnalytics, None).unwrap();
    assert_same(&t, &back);
}

#[test]
fn log_analytics_exports_with_encoded_dynamics_load() {
    let text = r#"{"tables":[{"name":"PrimaryResult","columns":[
        {"name":"TimeGenerated","type":"datetime"},{"name":"LocationDetails","type":"dynamic"},
        {"name":"Duration","type":"timespan"},{"name":"Score","type":"real"},{"name":"N","type":"long"}],
      "rows":[["2024-05-01T12:00:00.123Z","{\"city\":\"Paris\"}","00:05:00","NaN",7],
              ["2024-05-01T13:00:00Z",null,null,1.5,null]]},
      {"name":"QueryStats","columns":[],"rows":[]}]}"#;
    let t = load(text, Format::LogAnalytics, None).unwrap();
    assert_eq!(t.num_rows(), 2);
    assert_eq!(
        t.column("TimeGenerated").unwrap().get(0),
        dt("2024-05-01T12:00:00.123Z")
    );
    assert_eq!(
        t.column("LocationDetails").unwrap().get(0),
        Value::Dynamic(Dynamic::from_json(&serde_json::json!({"city": "Paris"})))
    );
    assert!(t.column("LocationDetails").unwrap().is_null(1));
    assert_eq!(
        t.column("Duration").unwrap().get(0),
        Value::TimeSpan(5 * crate::time::TICKS_PER_MINUTE)
    );
    assert!(matches!(t.column("Score").unwrap().get(0), Value::Real(r) if r.is_nan()));
    assert!(t.column("N").unwrap().is_null(1));
}

#[test]
fn kusto_v1_responses_with_dotnet_types_load() {
    let text = r#"{"Tables":[{"TableName":"Table_0","Columns":[
        {"ColumnName":"a","DataType":"Int64"},{"ColumnName":"b","ColumnType":"string","DataType":"String"},
        {"ColumnName":"c","DataType":"SByte"}],
      "Rows":[[1,"x",true]]}]}"#;
    let t = load(text, Format::LogAnalytics, None).unwrap();
    assert_eq!(
        t.schema(),
        schema(&[
            ("a", DataType::Long),
            ("b", DataType::String),
            ("c", DataType::Bool)
        ])
    );
}

#[test]
fn csv_round_trips_every_type_through_its_schema() {
    let t = sample();
    let mut out = Vec::new();
    write_csv(&t, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"q\"\"uo,te\nline é\t\\\""));
    let back = load(&text, Format::Csv, Some(&t.schema())).unwrap();
    // The dynamic string "{not json" comes back as the same string; the
    // other cells match exactly.
    assert_same(&t, &back);
}

#[test]
fn csv_quoting_edge_cases_parse() {
    let text = "\u{feff}a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\r\n\"multi\nline\",,\"\"\r\n\nplain, spaced ,\"\"\"\"";
    let t = load(text, Format::Csv, None).unwrap();
    assert_eq!(t.column_names().collect::<Vec<_>>(), ["a", "b", "c"]);
    assert_eq!(t.num_rows(), 3);
    let a = t.column("a").unwrap();
    let b = t.column("b").unwrap();
    let c = t.column("c").unwrap();
    assert_eq!(a.get(0), Value::string("x,1"));
    assert_eq!(b.get(0), Value::string("say \"hi\""));
    assert_eq!(c.get(0), Value::string(""));
    assert_eq!(a.get(1), Value::string("multi\nline"));
    assert_eq!(b.get(2), Value::string(" spaced "));
    assert_eq!(c.get(2), Value::string("\""));
}

#[test]
fn csv_text_is_inferred_conservatively() {
    let text = "n,x,flag,code,t,mixed\n1,1.5,true,007,2024-01-01T00:00:00Z,1\n-2,,False,010,,a\n,3,,1,2024-01-02 10:00:00,\n";
    let t = load(text, Format::Csv, None).unwrap();
    use DataType::*;
    let types: Vec<_> = t.schema().into_iter().map(|(_, ty)| ty).collect();
    assert_eq!(types, vec![Long, Real, Bool, String, DateTime, String]);
    assert!(t.column("n").unwrap().is_null(2));
    assert_eq!(t.column("code").unwrap().get(0), Value::string("007"));
    assert_eq!(t.column("flag").unwrap().get(1), Value::Bool(false));
}

#[test]
fn a_wrong_type_names_the_line_column_and_expected_type() {
    let s = schema(&[("n", DataType::Long)]);
    let err = load(
        "{\"n\":1}\n\n{\"n\":\"abc\"}\n",
        Format::JsonLines,
        Some(&s),
    )
    .unwrap_err();
    match &err {
        LoadError::Value {
            path,
            line,
            column,
            expected,
            found,
        } => {
            assert_eq!(
                (path.as_str(), *line, column.as_str(), *expected),
                ("input", 3, "n", DataType::Long)
            );
            assert_eq!(found, "string \"abc\"");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "input:3: column `n`: expected long, found string \"abc\""
    );
}

#[test]
fn a_wrong_type_in_a_json_array_names_its_line() {
    let s = schema(&[("t", DataType::DateTime)]);
    let err = load(
        "[\n{\"t\":\"2024-01-01\"},\n{\"t\":\"yesterday\"}\n]",
        Format::JsonArray,
        Some(&s),
    )
    .unwrap_err();
    assert!(matches!(err, LoadError::Value { line: 3, .. }), "{err:?}");
}

#[test]
fn truncated_json_is_a_syntax_error_with_its_line() {
    let err = load("{\"a\":1}\n{\"a\":", Format::JsonLines, None).unwrap_err();
    assert!(matches!(err, LoadError::Syntax { line: 2, .. }), "{err:?}");
    let err = load("[{\"a\":1},\n{\"a\":", Format::JsonArray, None).unwrap_err();
    assert!(matches!(err, LoadError::Syntax { line: 2, .. }), "{err:?}");
    let err = load("{\"a\":1} trailing\n", Format::JsonLines, None).unwrap_err();
    assert!(matches!(err, LoadError::Syntax { line: 1, .. }), "{err:?}");
}

#[test]
fn invalid_utf8_names_its_line() {
    let bytes: &[u8] = b"{\"a\":\"x\"}\n{\"a\":\"\xff\"}\n";
    let err = load_reader(bytes, Format::JsonLines, None, "f.jsonl").unwrap_err();
    assert!(
        matches!(err, LoadError::InvalidUtf8 { line: 2, .. }),
        "{err:?}"
    );
    let err = load_reader(b"a\nx\n\xc3(\n" as &[u8], Format::Csv, None, "f.csv").unwrap_err();
    assert!(
        matches!(err, LoadError::InvalidUtf8 { line: 3, .. }),
        "{err:?}"
    );
    let err = load_reader(
        b"[\n{\"a\":\"\xff\"}]" as &[u8],
        Format::JsonArray,
        None,
        "f.json",
    )
    .unwrap_err();
    assert!(
        matches!(err, LoadError::InvalidUtf8 { line: 2, .. }),
        "{err:?}"
    );
}

#[test]
fn a_line_that_is_not_an_object_is_an_error() {
    let err = load("{\"a\":1}\n[1,2]\n", Format::JsonLines, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "input:2:1: expected a JSON object, found an array"
    );
    let err = load("[{\"a\":1}, 5]", Format::JsonArray, None).unwrap_err();
    assert!(matches!(err, LoadError::Syntax { line: 1, .. }), "{err:?}");
}

#[test]
fn a_repeated_key_is_an_error_not_a_silent_overwrite() {
    let err = load("{\"a\":1,\"a\":2}\n", Format::JsonLines, None).unwrap_err();
    assert!(
        matches!(err, LoadError::DuplicateColumn { line: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn csv_records_of_the_wrong_length_and_open_quotes_are_errors() {
    let err = load("a,b\n1,2\n3\n", Format::Csv, None).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::FieldCount {
                line: 3,
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = load("a,b\n1,\"open\n", Format::Csv, None).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::UnclosedQuote {
                line: 2,
                column: 3,
                lines: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = load("a,b\n\"x\"y,2\n", Format::Csv, None).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Syntax {
                line: 2,
                column: 4,
                ..
            }
        ),
        "{err:?}"
    );
    let s = schema(&[("b", DataType::Int)]);
    let err = load("a,b\n1,2\n1,x\n", Format::Csv, Some(&s)).unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::Value {
                line: 3,
                expected: DataType::Int,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn log_analytics_shape_problems_are_reported() {
    let err = load(
        r#"{"tables":[{"rows":[[1]],"columns":[]}]}"#,
        Format::LogAnalytics,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, LoadError::Shape { .. }), "{err:?}");
    let err = load(
        r#"{"tables":[{"columns":[{"name":"a","type":"blob"}],"rows":[]}]}"#,
        Format::LogAnalytics,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, LoadError::UnknownType { .. }), "{err:?}");
    let err = load(
        "{\"tables\":[{\"columns\":[{\"name\":\"a\",\"type\":\"long\"}],\"rows\":[[1],\n[1,2]]}]}",
        Format::LogAnalytics,
        None,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            LoadError::FieldCount {
                line: 2,
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    let err = load(r#"{"other":1}"#, Format::LogAnalytics, None).unwrap_err();
    assert!(matches!(err, LoadError::Shape { .. }), "{err:?}");
}

#[test]
fn load_file_picks_the_format_from_the_extension_and_content() {
    let dir = std::env::temp_dir().join(format!("kqlite-io-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = sample();
    let s = t.schema();
    let mut la = Vec::new();
    write_json(&t, &mut la).unwrap();
    let lines = jsonl(&t);
    let cases: [(&str, Vec<u8>); 4] = [
        ("a.json", la),
        ("b.json", lines.clone().into_bytes()),
        ("c.ndjson", lines.clone().into_bytes()),
        (
            "d.json",
            format!("  [{}]", lines.trim_end().replace('\n', ",")).into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let back = load_file(&path, Some(&s)).unwrap();
        assert_same(&t, &back);
    }
    let err = load_file(&dir.join("x.xlsx"), None).unwrap_err();
    assert!(matches!(err, LoadError::UnknownFormat { .. }));
    let err = load_file(&dir.join("missing.csv"), None).unwrap_err();
    assert!(matches!(err, LoadError::Io { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_inputs_give_the_schema_with_no_rows() {
    let s = schema(&[("a", DataType::Long)]);
    for format in [Format::JsonLines, Format::Csv] {
        let t = load("", format, Some(&s)).unwrap();
        assert_eq!(t.schema(), s);
        assert_eq!(t.num_rows(), 0);
    }
    let t = load("[]", Format::JsonArray, None).unwrap();
    assert_eq!(t.num_rows(), 0);
}

#[test]
fn the_text_table_aligns_columns_and_cuts_long_cells() {
    let t = load(
        "{\"Name\":\"alice\",\"Count\":3}\n{\"Name\":\"a very long name indeed\",\"Count\":12345}\n",
        Format::JsonLines,
        None,
    )
    .unwrap();
    let mut out = Vec::new();
    let opts = TextOptions {
        max_cell_width: 10,
        max_rows: None,
    };
    write_table_text(&t, &mut out, &opts).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        "Name        Count\n----------  -----\nalice           3\na very lo…  12345\n"
    );
    let mut out = Vec::new();
    let opts = TextOptions {
        max_rows: Some(1),
        ..TextOptions::default()
    };
    write_table_text(&t, &mut out, &opts).unwrap();
    assert!(String::from_utf8(out).unwrap().ends_with("… 1 more rows\n"));
}

#[test]
fn jsonl_output_is_one_object_per_row_in_column_order() {
    let t = load(
        "{\"b\":\"x\",\"a\":1.5}\n{\"a\":2}\n",
        Format::JsonLines,
        None,
    )
    .unwrap();
    assert_eq!(
        jsonl(&t),
        "{\"b\":\"x\",\"a\":1.5}\n{\"b\":\"\",\"a\":2.0}\n"
    );
}

/// Throughput check; run with
/// `cargo test --release -p kqlite-engine --lib io::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    use std::time::Instant;
    let rows = 1_000_000;
    let mut text = String::with_capacity(rows * 300);
    for i in 0..rows {
        text.push_str(&format!(
            "{{\"TimeGenerated\":\"2024-05-01T{:02}:{:02}:{:02}.{:03}Z\",\"UserPrincipalName\":\"user{}@contoso.com\",\"AppDisplayName\":\"{}\",\"IPAddress\":\"10.0.{}.{}\",\"ResultType\":\"{}\",\"LocationDetails\":{{\"city\":\"{}\",\"countryOrRegion\":\"FR\"}},\"DurationMs\":{},\"IsInteractive\":{}}}\n",
            i / 3600 % 24, i / 60 % 60, i % 60, i % 1000,
            i % 5000,
            ["Browser", "IMAP4", "Azure Portal"][i % 3],
            i % 256, i / 256 % 256,
            [0, 50126, 53003][i % 3],
            ["Paris", "Lyon"][i % 2],
            i * 7 % 1000,
            i % 2 == 0,
        ));
    }
    let mb = text.len() as f64 / 1e6;
    let start = Instant::now();
    let t = load(&text, Format::JsonLines, None).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "jsonl inferred: {rows} rows, {mb:.0} MB in {secs:.2}s = {:.0} MB/s",
        mb / secs
    );
    let s = t.schema();
    let start = Instant::now();
    let t = load(&text, Format::JsonLines, Some(&s)).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!("jsonl with schema: {secs:.2}s = {:.0} MB/s", mb / secs);
    let start = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let par = parallel_load(&text, &s, threads);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "jsonl with schema on {threads} threads: {secs:.2}s = {:.0} MB/s",
        mb / secs
    );
    assert_eq!(par.num_rows(), rows);
    let start = Instant::now();
    let mut out = Vec::with_capacity(text.len());
    write_jsonl(&t, &mut out).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "write_jsonl: {secs:.2}s = {:.0} MB/s",
        out.len() as f64 / 1e6 / secs
    );
    let start = Instant::now();
    let mut csv = Vec::with_capacity(text.len());
    write_csv(&t, &mut csv).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "write_csv: {secs:.2}s = {:.0} MB/s",
        csv.len() as f64 / 1e6 / secs
    );
    let start = Instant::now();
    let back = load_reader(&csv[..], Format::Csv, Some(&s), "csv").unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "csv with schema: {secs:.2}s = {:.0} MB/s",
        csv.len() as f64 / 1e6 / secs
    );
    assert_eq!(back.num_rows(), rows);
}

mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::time::{format_datetime, format_timespan, MAX_DATETIME_TICKS};

    fn any_format() -> impl Strategy<Value = Format> {
        prop_oneof![
            Just(Format::JsonLines),
            Just(Format::JsonArray),
            Just(Format::LogAnalytics),
            Just(Format::Csv),
        ]
    }

    proptest! {
        #[test]
        fn loaders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200), format in any_format()) {
            let _ = load_reader(&bytes[..], format, None, "fuzz");
            let s = schema(&[("a", DataType::DateTime), ("b", DataType::Dynamic), ("c", DataType::Int)]);
            let _ = load_reader(&bytes[..], format, Some(&s), "fuzz");
        }

        #[test]
        fn loaders_never_panic_on_json_like_text(text in r#"[\[\]{}",:0-9a-z\\ \n.\-eE]{0,120}"#, format in any_format()) {
            let _ = load_reader(text.as_bytes(), format, None, "fuzz");
        }

        #[test]
        fn datetime_and_timespan_parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_datetime(&s);
            let _ = parse_timespan(&s);
        }

        #[test]
        fn printed_datetimes_parse_back(ticks in 0..=MAX_DATETIME_TICKS) {
            prop_assert_eq!(parse_datetime(&format_datetime(ticks)), Some(ticks));
            let col = Arc::new(Column::new(ColumnData::DateTime(vec![ticks])));
            let t = Table::try_new([("t".to_string(), col)]).unwrap();
            let back = load(&jsonl(&t), Format::JsonLines, None).unwrap();
            prop_assert_eq!(back.column("t").unwrap().get(0), Value::DateTime(ticks));
        }

        #[test]
        fn printed_timespans_parse_back(ticks in any::<i64>()) {
            prop_assert_eq!(parse_timespan(&format_timespan(ticks)), Some(ticks));
        }

        #[test]
        fn csv_round_trips_arbitrary_strings(values in proptest::collection::vec("\\PC{0,12}|[,\"\r\n ]{0,4}", 1..20)) {
            let col = Arc::new(Column::new(ColumnData::String(StringColumn::Plain(values.iter().map(String::as_str).collect()))));
            let t = Table::try_new([("s".to_string(), col), ("n".to_string(), Arc::new(Column::new(ColumnData::Long(vec![1; values.len()]))))]).unwrap();
            let mut out = Vec::new();
            write_csv(&t, &mut out).unwrap();
            let back = load_reader(&out[..], Format::Csv, Some(&t.schema()), "csv").unwrap();
            prop_assert_eq!(back.num_rows(), values.len());
            for (i, v) in values.iter().enumerate() {
                prop_assert_eq!(back.column("s").unwrap().get(i), Value::string(v.as_str()));
            }
        }
    }
}

#[test]
fn a_single_column_csv_keeps_its_empty_rows() {
    let t = load(
        "{\"s\":\"a\"}\n{\"s\":\"\"}\n{\"s\":\"b\"}\n",
        Format::JsonLines,
        None,
    )
    .unwrap();
    let mut out = Vec::new();
    write_csv(&t, &mut out).unwrap();
    assert_eq!(String::from_utf8(out.clone()).unwrap(), "s\na\n\"\"\nb\n");
    let back = load_reader(&out[..], Format::Csv, None, "csv").unwrap();
    assert_same(&t, &back);
}

/// CPU-cost probe for the parallel loader; `KQLITE_PARTS` picks the parts.
#[test]
#[ignore]
fn parallel_probe() {
    let mut text = String::new();
    for i in 0..1_000_000 {
        text.push_str(&format!(
            "{{\"TimeGenerated\":\"2024-05-01T10:00:{:02}Z\",\"User\":\"user{}@contoso.com\",\"App\":\"{}\",\"Loc\":{{\"city\":\"Paris\"}},\"N\":{i}}}\n",
            i % 60, i % 5000, ["Browser", "IMAP4"][i % 2]
        ));
    }
    let parts: usize = std::env::var("KQLITE_PARTS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let s = schema(&[
        ("TimeGenerated", DataType::DateTime),
        ("User", DataType::String),
        ("App", DataType::String),
        ("Loc", DataType::Dynamic),
        ("N", DataType::Long),
    ]);
    let start = std::time::Instant::now();
    let t = parallel_load(&text, &s, parts);
    println!("parts={parts}: {:.2}s", start.elapsed().as_secs_f64());
    assert_eq!(t.num_rows(), 1_000_000);
}

#[test]
fn a_load_past_its_memory_budget_fails_with_e1107_and_within_it_loads() {
    let text: String = (0..20_000)
        .map(|i| format!("{{\"id\":{i},\"s\":\"value {i}\"}}\n"))
        .collect();
    for format in [Format::JsonLines, Format::JsonArray] {
        let input = if format == Format::JsonArray {
            format!("[{}]", text.trim_end().replace('\n', ","))
        } else {
            text.clone()
        };
        let tight = LoadOptions {
            max_memory: Some(64 << 10),
            ..LoadOptions::default()
        };
        let err = load_reader_with(input.as_bytes(), format, None, "big", &tight)
            .expect_err("over the budget");
        assert!(
            matches!(err, LoadError::OutOfMemory { limit, .. } if limit == 64 << 10),
            "{err}"
        );
        assert!(err.to_string().starts_with("big: E1107:"), "{err}");
        let roomy = LoadOptions {
            max_memory: Some(64 << 20),
            ..LoadOptions::default()
        };
        let loaded =
            load_reader_with(input.as_bytes(), format, None, "big", &roomy).expect("loads");
        assert_eq!(loaded.table.num_rows(), 20_000);
    }
    let csv: String = std::iter::once("id,s\n".to_string())
        .chain((0..20_000).map(|i| format!("{i},value {i}\n")))
        .collect();
    let tight = LoadOptions {
        max_memory: Some(64 << 10),
        ..LoadOptions::default()
    };
    let err = load_reader_with(csv.as_bytes(), Format::Csv, None, "big.csv", &tight)
        .expect_err("over the budget");
    assert!(matches!(err, LoadError::OutOfMemory { .. }), "{err}");
}

#[cfg(feature = "arrow")]
#[test]
fn a_parquet_file_whose_decoded_size_is_over_the_budget_is_refused_before_decoding() {
    let mut b = ColumnBuilder::new(DataType::String, 50_000);
    for i in 0..50_000 {
        b.push_str(&format!("a longer value that does not repeat {i}"));
    }
    let t = Table::try_new(vec![("s".to_string(), Arc::new(b.finish()))]).expect("table");
    let dir = std::env::temp_dir().join(format!("kqlite-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("t.parquet");
    let file = std::fs::File::create(&path).expect("create");
    parquet::write_parquet(&t, file).expect("writes");
    let file_size = std::fs::metadata(&path).expect("meta").len() as usize;
    // Room for the compressed file but not for its decoded columns.
    let tight = LoadOptions {
        max_memory: Some(file_size + (64 << 10)),
        ..LoadOptions::default()
    };
    let err = load_file_with(&path, None, &tight).expect_err("over the budget");
    let roomy = LoadOptions {
        max_memory: Some(256 << 20),
        ..LoadOptions::default()
    };
    let loaded = load_file_with(&path, None, &roomy);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(err, LoadError::OutOfMemory { .. }), "{err}");
    assert_eq!(loaded.expect("loads").table.num_rows(), 50_000);
}
