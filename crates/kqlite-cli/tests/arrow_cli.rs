//! Parquet and Arrow through the binary: `--table T=x.parquet`, `--format
//! parquet|arrow`, `kqlite gen --format parquet` and `--shape wide-unordered`.
#![cfg(feature = "arrow")]

mod support;

use support::{empty_scratch, kqlite_at_root, stderr, stdout, write};

const QUERY: &str = "queries/t1078_004_cloud_accounts.kql";
const NOW: &str = "2026-01-15T12:00:00Z";

fn run_shipped(dir: &std::path::Path, ext: &str, section: Option<&str>) -> String {
    let signins = format!(
        "SigninLogs={}",
        dir.join(format!("SigninLogs.{ext}")).display()
    );
    let sp = format!(
        "AADServicePrincipalSignInLogs={}",
        dir.join(format!("AADServicePrincipalSignInLogs.{ext}"))
            .display()
    );
    let mut args = vec![
        "run", QUERY, "--table", &signins, "--table", &sp, "--now", NOW, "--format", "jsonl",
    ];
    if let Some(s) = section {
        args.extend(["--section", s]);
    }
    let o = kqlite_at_root(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn the_shipped_query_returns_the_same_rows_from_parquet_as_from_json_lines() {
    let dir = empty_scratch("arrow_cli_shape");
    for format in ["jsonl", "parquet", "arrow"] {
        let o = kqlite_at_root(&[
            "gen",
            "--shape",
            "wide-unordered",
            "--rows",
            "4000",
            "--format",
            format,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            stdout(&o).contains("shape wide-unordered"),
            "{}",
            stdout(&o)
        );
    }
    let json = run_shipped(&dir, "jsonl", None);
    assert!(json.lines().count() > 100, "{json}");
    assert_eq!(run_shipped(&dir, "parquet", None), json);
    assert_eq!(run_shipped(&dir, "arrow", None), json);
    let sp = run_shipped(&dir, "jsonl", Some("SPSignins"));
    assert_eq!(run_shipped(&dir, "parquet", Some("SPSignins")), sp);
}

#[test]
fn a_parquet_result_loads_back_with_its_types_and_values() {
    let dir = empty_scratch("arrow_cli_out");
    let q = write(
        &dir,
        "make.kql",
        r#"datatable(n: long, s: string, t: datetime, d: dynamic, g: guid, x: real)
[
    9223372036854775807, "héllo", datetime(2024-01-02T03:04:05.1234567Z), dynamic({"b": 1, "a": [true, null]}), guid(74be27de-1e4e-49d9-b579-fe0b331d3642), 0.5,
    long(null), "", datetime(null), dynamic(null), guid(null), real(null)
]"#,
    );
    let out = dir.join("r.parquet");
    let o = kqlite_at_root(&[
        "run",
        &q,
        "--format",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "the result goes to --out only");
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"PAR1"), "a Parquet file");
    let read = write(
        &dir,
        "read.kql",
        "T | extend tn = gettype(n), ts = gettype(t), td = gettype(d), tg = gettype(g)",
    );
    let table = format!("T={}", out.display());
    let o = kqlite_at_root(&["run", &read, "--table", &table, "--format", "jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let first = text.lines().next().unwrap();
    assert!(first.contains(r#""n":9223372036854775807"#), "{first}");
    assert!(first.contains(r#""s":"héllo""#), "{first}");
    assert!(
        first.contains(r#""t":"2024-01-02T03:04:05.1234567Z""#),
        "{first}"
    );
    assert!(first.contains(r#""d":{"b":1,"a":[true,null]}"#), "{first}");
    assert!(
        first.contains(r#""g":"74be27de-1e4e-49d9-b579-fe0b331d3642""#),
        "{first}"
    );
    assert!(
        first.contains(r#""tn":"long","ts":"datetime","td":"dictionary","tg":"guid""#),
        "{first}"
    );
    let second = text.lines().nth(1).unwrap();
    assert!(second.contains(r#""n":null"#), "{second}");
    assert!(second.contains(r#""t":null"#), "{second}");
}

#[test]
fn arrow_output_goes_to_a_pipe_as_an_ipc_file() {
    let dir = empty_scratch("arrow_cli_pipe");
    let q = write(&dir, "q.kql", "print a = 1, b = 'x'");
    let o = kqlite_at_root(&["run", &q, "--format", "arrow"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        o.stdout.starts_with(b"ARROW1"),
        "{:?}",
        &o.stdout[..8.min(o.stdout.len())]
    );
}

#[test]
fn a_catalog_type_wins_over_the_parquet_type() {
    let dir = empty_scratch("arrow_cli_catalog");
    let q = write(
        &dir,
        "make.kql",
        "datatable(ResultType: long, TimeGenerated: datetime) [50126, datetime(2026-01-15T11:00:00Z)]",
    );
    let out = dir.join("SigninLogs.parquet");
    let o = kqlite_at_root(&[
        "run",
        &q,
        "--format",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = write(
        &dir,
        "read.kql",
        "SigninLogs | project ResultType, t = gettype(ResultType)",
    );
    let table = format!("SigninLogs={}", out.display());
    let o = kqlite_at_root(&["run", &read, "--table", &table, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("50126,string"), "{}", stdout(&o));
}

#[test]
fn a_broken_parquet_table_is_an_error_naming_the_file() {
    let dir = empty_scratch("arrow_cli_broken");
    let bad = write(&dir, "T.parquet", "this is not parquet");
    let q = write(&dir, "q.kql", "T | count");
    let table = format!("T={bad}");
    let o = kqlite_at_root(&["run", &q, "--table", &table]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("T.parquet"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not a readable Parquet file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_wide_unordered_shape_refuses_tables_it_does_not_write() {
    let dir = empty_scratch("arrow_cli_shape_tables");
    let o = kqlite_at_root(&[
        "gen",
        "--shape",
        "wide-unordered",
        "--tables",
        "AuditLogs",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not `AuditLogs`"), "{}", stderr(&o));
}
