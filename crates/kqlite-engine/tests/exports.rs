//! Query results exported the way people have them load with the right
//! names and types: the Azure portal's CSV (unit suffixes in the header,
//! US English dates, a byte-order mark), Log Analytics query-API JSON,
//! and Defender XDR advanced hunting CSV and API JSON. The shape is told
//! from the content, and a schema types every shape.

use std::path::PathBuf;

use kqlite_engine::io::{
    load_file, load_file_with, load_reader, load_reader_with, Format, LoadError, LoadOptions,
};
use kqlite_engine::time::parse_datetime;
use kqlite_engine::types::DataType;
use kqlite_engine::value::Value;
use kqlite_engine::Table;

fn scratch(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kqlite-exports-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("scratch file");
    path
}

fn schema(cols: &[(&str, DataType)]) -> Vec<(String, DataType)> {
    cols.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

fn names(t: &Table) -> Vec<&str> {
    t.column_names().collect()
}

fn column_type(t: &Table, name: &str) -> DataType {
    t.column(name)
        .unwrap_or_else(|| panic!("no column `{name}` in {:?}", names(t)))
        .data_type()
}

fn cell(t: &Table, name: &str, row: usize) -> Value {
    t.column(name).expect("column").get(row)
}

fn at(iso: &str) -> Value {
    Value::DateTime(parse_datetime(iso).expect("valid datetime"))
}

/// What the portal's "Export to CSV" writes for a SigninLogs query, with
/// the byte-order mark it starts with.
const PORTAL_CSV: &str =
    "\u{feff}TimeGenerated [UTC],UserPrincipalName,ResultType,CreatedDateTime [UTC]\r\n\
\"1/15/2026, 11:00:00.000 AM\",alice@contoso.com,0,\"1/15/2026, 10:59:58.120 AM\"\r\n\
\"1/13/2026, 9:05:07.391 PM\",bob@contoso.com,50126,\"1/13/2026, 9:05:06.000 PM\"\r\n";

#[test]
fn a_portal_csv_names_its_columns_without_the_unit_and_types_them_datetime() {
    let path = scratch("portal.csv", PORTAL_CSV);
    let t = load_file(&path, None).expect("loads");
    assert_eq!(
        names(&t),
        vec![
            "TimeGenerated",
            "UserPrincipalName",
            "ResultType",
            "CreatedDateTime"
        ]
    );
    assert_eq!(column_type(&t, "TimeGenerated"), DataType::DateTime);
    assert_eq!(column_type(&t, "CreatedDateTime"), DataType::DateTime);
    assert_eq!(cell(&t, "TimeGenerated", 0), at("2026-01-15T11:00:00Z"));
    assert_eq!(cell(&t, "TimeGenerated", 1), at("2026-01-13T21:05:07.391Z"));
    assert_eq!(
        cell(&t, "CreatedDateTime", 0),
        at("2026-01-15T10:59:58.12Z")
    );
}

#[test]
fn a_portal_csv_fills_the_schema_columns_named_without_the_unit() {
    let s = schema(&[
        ("TimeGenerated", DataType::DateTime),
        ("UserPrincipalName", DataType::String),
        ("ResultType", DataType::String),
        ("CreatedDateTime", DataType::DateTime),
        ("AppDisplayName", DataType::String),
    ]);
    let path = scratch("portal-typed.csv", PORTAL_CSV);
    for sparse in [false, true] {
        let options = LoadOptions {
            sparse,
            ..LoadOptions::default()
        };
        let t = load_file_with(&path, Some(&s), &options)
            .expect("loads")
            .table;
        assert!(
            !names(&t).iter().any(|n| n.contains('[')),
            "{:?}",
            names(&t)
        );
        assert_eq!(cell(&t, "TimeGenerated", 1), at("2026-01-13T21:05:07.391Z"));
        assert_eq!(cell(&t, "CreatedDateTime", 1), at("2026-01-13T21:05:06Z"));
        assert_eq!(cell(&t, "ResultType", 1), Value::String("50126".into()));
    }
}

#[test]
fn portal_dates_parse_in_datetime_columns_of_any_name() {
    let text = "When,Count\n\"6/15/2023, 12:09:31 PM\",1\n,2\n\"12/31/2024, 12:00:00 AM\",3\n";
    let t = load_reader(text.as_bytes(), Format::Csv, None, "dates").expect("loads");
    assert_eq!(column_type(&t, "When"), DataType::DateTime);
    assert_eq!(cell(&t, "When", 0), at("2023-06-15T12:09:31Z"));
    assert!(t.column("When").expect("column").is_null(1));
    assert_eq!(cell(&t, "When", 2), at("2024-12-31T00:00:00Z"));
    let s = schema(&[("When", DataType::DateTime)]);
    let t = load_reader(text.as_bytes(), Format::Csv, Some(&s), "dates").expect("loads");
    assert_eq!(cell(&t, "When", 0), at("2023-06-15T12:09:31Z"));
    // A column of dates mixed with other text stays a string.
    let text = "When\n\"6/15/2023, 12:09:31 PM\"\nyesterday\n";
    let t = load_reader(text.as_bytes(), Format::Csv, None, "mixed").expect("loads");
    assert_eq!(column_type(&t, "When"), DataType::String);
}

#[test]
fn a_unit_suffix_stays_when_the_cut_name_is_taken_or_the_schema_has_it() {
    let text = "TimeGenerated,TimeGenerated [UTC]\n2026-01-01T00:00:00Z,x\n";
    let t = load_reader(text.as_bytes(), Format::Csv, None, "both").expect("loads");
    assert_eq!(names(&t), vec!["TimeGenerated", "TimeGenerated [UTC]"]);
    let s = schema(&[("Seen [UTC]", DataType::String)]);
    let text = "Seen [UTC]\nnot a date\n";
    let t = load_reader(text.as_bytes(), Format::Csv, Some(&s), "kept").expect("loads");
    assert_eq!(names(&t), vec!["Seen [UTC]"]);
}

#[test]
fn log_analytics_json_takes_every_column_type_from_its_type_field() {
    let doc = r#"{"tables":[{"name":"PrimaryResult","columns":[
        {"name":"TimeGenerated","type":"datetime"},
        {"name":"Props","type":"dynamic"},
        {"name":"Duration","type":"timespan"},
        {"name":"CorrelationId","type":"guid"},
        {"name":"IsInteractive","type":"bool"},
        {"name":"IsRisky","type":"boolean"},
        {"name":"Attempts","type":"int"},
        {"name":"Bytes","type":"long"},
        {"name":"Score","type":"real"},
        {"name":"Cost","type":"decimal"},
        {"name":"Extra","type":"Dynamic"},
        {"name":"Port","type":"Int16"}],
      "rows":[["2026-01-15T11:00:00Z","{\"city\":\"Paris\"}","01:30:00",
               "6f0c2a6e-4a4a-4c4c-9d9d-0123456789ab",true,"false",7,"12","2",
               "1.25",{"a":[1]},443]]}]}"#;
    let path = scratch("la.json", doc);
    let t = load_file(&path, None).expect("loads");
    let want = [
        ("TimeGenerated", DataType::DateTime),
        ("Props", DataType::Dynamic),
        ("Duration", DataType::TimeSpan),
        ("CorrelationId", DataType::Guid),
        ("IsInteractive", DataType::Bool),
        ("IsRisky", DataType::Bool),
        ("Attempts", DataType::Int),
        ("Bytes", DataType::Long),
        ("Score", DataType::Real),
        ("Cost", DataType::Decimal),
        ("Extra", DataType::Dynamic),
        ("Port", DataType::Int),
    ];
    for (name, ty) in want {
        assert_eq!(column_type(&t, name), ty, "{name}");
    }
    assert_eq!(cell(&t, "TimeGenerated", 0), at("2026-01-15T11:00:00Z"));
    assert_eq!(cell(&t, "IsRisky", 0), Value::Bool(false));
    assert_eq!(cell(&t, "Bytes", 0), Value::Long(12));
    assert_eq!(cell(&t, "Port", 0), Value::Int(443));
    assert_eq!(
        cell(&t, "Props", 0).to_string(),
        r#"{"city":"Paris"}"#,
        "a dynamic value written as JSON text is parsed"
    );
}

/// The Defender XDR advanced hunting API's response, as its documentation
/// shows it: statistics, then the schema, then the rows as objects.
const HUNTING_JSON: &str = r#"{
  "Stats": {"ExecutionTime": 4.62, "dataset_statistics": [{"table_row_count": 2}]},
  "Schema": [
    {"Name": "Timestamp", "Type": "DateTime"},
    {"Name": "DeviceName", "Type": "String"},
    {"Name": "RemotePort", "Type": "Int32"},
    {"Name": "ReportId", "Type": "Int64"},
    {"Name": "IsLocalAdmin", "Type": "Boolean"},
    {"Name": "AdditionalFields", "Type": "Object"}
  ],
  "Results": [
    {"Timestamp": "2020-08-30T06:38:35.7664356Z", "DeviceName": "ws-01",
     "RemotePort": 443, "ReportId": 9001, "IsLocalAdmin": true,
     "AdditionalFields": "{\"Command\":\"whoami\"}"},
    {"Timestamp": "2020-08-30T06:38:30.5163363Z", "DeviceName": "ws-02",
     "RemotePort": null, "ReportId": 9002, "IsLocalAdmin": false,
     "AdditionalFields": null}
  ]
}"#;

fn assert_hunting_table(t: &Table) {
    assert_eq!(
        names(t),
        vec![
            "Timestamp",
            "DeviceName",
            "RemotePort",
            "ReportId",
            "IsLocalAdmin",
            "AdditionalFields"
        ]
    );
    assert_eq!(column_type(t, "Timestamp"), DataType::DateTime);
    assert_eq!(column_type(t, "RemotePort"), DataType::Int);
    assert_eq!(column_type(t, "ReportId"), DataType::Long);
    assert_eq!(column_type(t, "IsLocalAdmin"), DataType::Bool);
    assert_eq!(column_type(t, "AdditionalFields"), DataType::Dynamic);
    assert_eq!(cell(t, "Timestamp", 0), at("2020-08-30T06:38:35.7664356Z"));
    assert_eq!(cell(t, "DeviceName", 1), Value::String("ws-02".into()));
    assert!(t.column("RemotePort").expect("column").is_null(1));
    assert_eq!(
        cell(t, "AdditionalFields", 0).to_string(),
        r#"{"Command":"whoami"}"#
    );
}

#[test]
fn an_advanced_hunting_api_response_loads_with_its_schema_types() {
    let path = scratch("hunting.json", HUNTING_JSON);
    assert_hunting_table(&load_file(&path, None).expect("loads from a .json file"));
    let t = load_reader(
        HUNTING_JSON.as_bytes(),
        Format::LogAnalytics,
        None,
        "hunting",
    )
    .expect("loads as a query-API response");
    assert_hunting_table(&t);
}

#[test]
fn a_graph_hunting_response_with_lower_case_keys_loads() {
    let doc = r#"{"@odata.context":"x","schema":[{"name":"Timestamp","type":"DateTime"},
        {"name":"FileName","type":"String"}],
        "results":[{"Timestamp":"2020-08-30T06:38:35.7664356Z","FileName":"conhost.exe"}]}"#;
    let path = scratch("graph.json", doc);
    let t = load_file(&path, None).expect("loads");
    assert_eq!(column_type(&t, "Timestamp"), DataType::DateTime);
    assert_eq!(cell(&t, "FileName", 0), Value::String("conhost.exe".into()));
}

#[test]
fn a_schema_types_an_advanced_hunting_response_columns_it_declares() {
    let s = schema(&[
        ("Timestamp", DataType::DateTime),
        ("DeviceId", DataType::String),
        ("RemotePort", DataType::Int),
    ]);
    let path = scratch("hunting-typed.json", HUNTING_JSON);
    let t = load_file(&path, Some(&s)).expect("loads");
    assert_eq!(&names(&t)[..3], &["Timestamp", "DeviceId", "RemotePort"]);
    assert_eq!(cell(&t, "DeviceId", 0), Value::String(String::new().into()));
    assert_eq!(cell(&t, "RemotePort", 0), Value::Int(443));
}

#[test]
fn results_before_their_schema_are_a_shape_error() {
    let doc = r#"{"Results":[{"a":1}],"Schema":[{"Name":"a","Type":"Int64"}]}"#;
    let err = load_reader(doc.as_bytes(), Format::LogAnalytics, None, "late").unwrap_err();
    assert!(
        matches!(&err, LoadError::Shape { message, .. } if message.contains("before their schema")),
        "{err:?}"
    );
}

/// What advanced hunting's Export button writes: a plain header, ISO 8601
/// timestamps with seven fraction digits, CRLF line ends.
const HUNTING_CSV: &str = "Timestamp,DeviceId,DeviceName,ActionType,RemoteIP,RemotePort,AdditionalFields\r\n\
2026-01-15T10:42:07.1234567Z,a1b2c3d4,ws-0142.contoso.com,ConnectionSuccess,203.0.113.7,443,\"{\"\"Direction\"\":\"\"Out\"\"}\"\r\n\
2026-01-15T10:43:00.0000000Z,e5f6a7b8,ws-0143.contoso.com,ConnectionFailed,198.51.100.2,80,\r\n";

#[test]
fn an_advanced_hunting_csv_export_loads_typed_with_and_without_a_schema() {
    let path = scratch("hunting.csv", HUNTING_CSV);
    let t = load_file(&path, None).expect("loads");
    assert_eq!(column_type(&t, "Timestamp"), DataType::DateTime);
    assert_eq!(column_type(&t, "RemotePort"), DataType::Long);
    assert_eq!(cell(&t, "Timestamp", 0), at("2026-01-15T10:42:07.1234567Z"));
    assert_eq!(
        cell(&t, "DeviceName", 1),
        Value::String("ws-0143.contoso.com".into())
    );
    let s = schema(&[
        ("Timestamp", DataType::DateTime),
        ("RemotePort", DataType::Int),
        ("AdditionalFields", DataType::Dynamic),
    ]);
    let t = load_file(&path, Some(&s)).expect("loads");
    assert_eq!(cell(&t, "RemotePort", 1), Value::Int(80));
    assert_eq!(
        cell(&t, "AdditionalFields", 0).to_string(),
        r#"{"Direction":"Out"}"#
    );
}

#[test]
fn a_bad_json_lines_line_names_its_line_and_byte_column() {
    let text = "{\"a\":1}\n{\"a\": 2, \"b\": tru}\n   [1]\n";
    let err = load_reader(text.as_bytes(), Format::JsonLines, None, "in.jsonl").unwrap_err();
    assert!(err.to_string().starts_with("in.jsonl:2:18: "), "{err}");
    assert!(err.is_record_error());
    let loaded = load_reader_with(
        text.as_bytes(),
        Format::JsonLines,
        None,
        "in.jsonl",
        &LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        },
    )
    .expect("a lenient load goes on");
    let messages: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1], "in.jsonl:3:4: expected a JSON object, found an array",
        "{messages:?}"
    );
}

#[test]
fn csv_syntax_errors_name_their_byte_column() {
    let err = load_reader("a,b\n1,\"x\"y\n".as_bytes(), Format::Csv, None, "in.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "in.csv:2:6: unexpected text after a closing quote"
    );
}

#[test]
fn an_unclosed_quote_reports_every_line_it_swallowed() {
    let text = "a,b\n1,x\n2,\"open\n3,y\n4,z\n";
    let options = LoadOptions {
        lenient: true,
        ..LoadOptions::default()
    };
    let loaded =
        load_reader_with(text.as_bytes(), Format::Csv, None, "in.csv", &options).expect("loads");
    assert_eq!(loaded.table.num_rows(), 1);
    assert_eq!(loaded.rejected.len(), 1);
    let e = &loaded.rejected[0];
    assert_eq!(e.lines_spanned(), 3);
    assert_eq!(
        e.to_string(),
        "in.csv:3:3: this quoted field is never closed: the 3 lines from here to the end of the input were read into it"
    );
}
