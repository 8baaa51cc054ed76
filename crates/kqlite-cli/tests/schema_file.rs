//! `--schema FILE` through the built `kqlite` binary: custom tables for
//! `check`, `run` and `test`.

mod support;

use support::{kqlite, printed, scratch, stderr, stdout};

const CUSTOM: &str = r#"{
  "MyApp_CL": {
    "TimeGenerated": "datetime",
    "UserName_s": "string",
    "FailedCount_d": "real"
  }
}"#;

const QUERY: &str = "MyApp_CL\n| where FailedCount_d > 5\n| project TimeGenerated, UserName_s\n";

#[test]
fn check_passes_a_custom_table_query_once_its_schema_file_is_given() {
    let dir = scratch(
        "schema_check_pass",
        &[("custom.json", CUSTOM), ("q.kql", QUERY)],
    );
    let before = kqlite(&dir, &["check", "q.kql"]);
    assert_eq!(before.status.code(), Some(1));
    assert!(printed(&before).contains("E1000"), "{}", printed(&before));

    let after = kqlite(&dir, &["check", "--schema", "custom.json", "q.kql"]);
    assert_eq!(
        after.status.code(),
        Some(0),
        "{}{}",
        stdout(&after),
        stderr(&after)
    );
}

#[test]
fn a_column_typo_in_a_custom_table_is_caught_with_a_suggestion() {
    let typo = QUERY.replace("UserName_s\n", "UserNme_s\n");
    let dir = scratch(
        "schema_check_typo",
        &[("custom.json", CUSTOM), ("q.kql", &typo)],
    );
    let o = kqlite(&dir, &["check", "--schema", "custom.json", "q.kql"]);
    assert_eq!(o.status.code(), Some(1));
    let out = printed(&o);
    assert!(out.contains("E1001") && out.contains("UserNme_s"), "{out}");
    assert!(out.contains("did you mean `UserName_s`"), "{out}");
}

#[test]
fn a_schema_file_table_replaces_the_built_in_table_of_the_same_name() {
    let schema = r#"{"SigninLogs": {"TimeGenerated": "datetime", "MyEnrichment_s": "string"}}"#;
    let dir = scratch(
        "schema_check_override",
        &[
            ("signin.json", schema),
            ("q.kql", "SigninLogs | project MyEnrichment_s\n"),
            ("old.kql", "SigninLogs | project ResultType\n"),
        ],
    );
    let o = kqlite(&dir, &["check", "--schema", "signin.json", "q.kql"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = kqlite(&dir, &["check", "--schema", "signin.json", "old.kql"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}

#[test]
fn getschema_csv_names_its_table_after_the_file_or_the_name_given() {
    let csv = "ColumnName,ColumnOrdinal,DataType,ColumnType\n\
               TimeGenerated,0,System.DateTime,datetime\n\
               UserName_s,1,System.String,string\n\
               FailedCount_d,2,System.Double,real\n";
    let dir = scratch(
        "schema_check_csv",
        &[("MyApp_CL.csv", csv), ("export.csv", csv), ("q.kql", QUERY)],
    );
    let o = kqlite(&dir, &["check", "--schema", "MyApp_CL.csv", "q.kql"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = kqlite(&dir, &["check", "--schema", "MyApp_CL=export.csv", "q.kql"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_bad_schema_file_fails_naming_the_file_line_and_valid_types() {
    let bad = "{\n  \"MyApp_CL\": {\n    \"UserName_s\": \"text\"\n  }\n}";
    let dir = scratch("schema_check_bad", &[("bad.json", bad), ("q.kql", QUERY)]);
    let o = kqlite(&dir, &["check", "--schema", "bad.json", "q.kql"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.json:3: unknown type `text`"), "{err}");
    assert!(err.contains("help: valid types are bool, int"), "{err}");
    let o = kqlite(&dir, &["check", "--schema", "missing.json", "q.kql"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

#[test]
fn run_types_a_custom_table_s_rows_by_its_schema_file() {
    // FailedCount_d is text in the file; the schema makes it a real, so
    // the numeric filter keeps the row.
    let rows = "{\"TimeGenerated\": \"2026-01-01T00:00:00Z\", \"UserName_s\": \"bob\", \"FailedCount_d\": \"9\"}\n\
                {\"TimeGenerated\": \"2026-01-01T01:00:00Z\", \"UserName_s\": \"amy\", \"FailedCount_d\": \"2\"}\n";
    let dir = scratch(
        "schema_run",
        &[
            ("custom.json", CUSTOM),
            ("q.kql", QUERY),
            ("rows.jsonl", rows),
        ],
    );
    let o = kqlite(
        &dir,
        &[
            "run",
            "q.kql",
            "--schema",
            "custom.json",
            "--table",
            "MyApp_CL=rows.jsonl",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("bob"), "{out}");

    // Not given, the declared table gets synthetic rows of its declared
    // columns.
    let o = kqlite(
        &dir,
        &[
            "run",
            "q.kql",
            "--schema",
            "custom.json",
            "--rows",
            "200",
            "--format",
            "jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("built-in synthetic data for MyApp_CL"),
        "{}",
        stderr(&o)
    );
    let out = stdout(&o);
    assert!(out.lines().count() > 0, "{out}");
    assert!(out.lines().all(|l| l.contains("\"UserName_s\":")), "{out}");
}

#[test]
fn a_test_file_s_schema_key_types_its_fixture_rows() {
    let toml = r#"
query = "q.kql"
now = "2026-01-02T00:00:00Z"
schema = "schemas/custom.json"

[[case]]
name = "many failures are flagged"
tables.MyApp_CL.rows = [
  { TimeGenerated = "2026-01-01T00:00:00Z", UserName_s = "bob", FailedCount_d = "9" },
  { TimeGenerated = "2026-01-01T00:00:00Z", UserName_s = "amy", FailedCount_d = "2" },
]
expect.rows = 1
expect.contains = [{ UserName_s = "bob" }]
"#;
    let dir = scratch(
        "schema_test_key",
        &[
            ("schemas/custom.json", CUSTOM),
            ("q.kql", QUERY),
            ("custom.test.toml", toml),
        ],
    );
    let o = kqlite(&dir, &["test", "custom.test.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("ok    "), "{}", stdout(&o));

    // Without a schema the count is text and the query does not bind;
    // `kqlite test --schema` gives the same schema to every file.
    let untyped = toml.replace("schema = \"schemas/custom.json\"\n", "");
    assert_ne!(untyped, toml);
    let dir = scratch(
        "schema_test_flag",
        &[
            ("schemas/custom.json", CUSTOM),
            ("q.kql", QUERY),
            ("custom.test.toml", &untyped),
        ],
    );
    let o = kqlite(&dir, &["test", "custom.test.toml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = kqlite(
        &dir,
        &[
            "test",
            "custom.test.toml",
            "--schema",
            "schemas/custom.json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn a_test_file_naming_a_bad_schema_file_is_an_error() {
    let toml = "query = \"q.kql\"\nschema = [\"nope.json\"]\n\n[[case]]\nname = \"x\"\nexpect.empty = true\n";
    let dir = scratch(
        "schema_test_bad",
        &[("q.kql", QUERY), ("bad.test.toml", toml)],
    );
    let o = kqlite(&dir, &["test", "bad.test.toml"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("nope.json"), "{}", stdout(&o));
}
