//! `kqlite run --table` on exports as people have them, load errors that
//! say where and what to do, and `--timeout 0`.

mod support;

use support::{empty_scratch, kqlite_at_root, stderr, stdout, write};

/// SigninLogs as the Azure portal's "Export to CSV" writes them: a
/// byte-order mark, `[UTC]` after datetime column names, US English dates.
const PORTAL_SIGNINS: &str = "\u{feff}TimeGenerated [UTC],UserPrincipalName,ResultType\r\n\
\"1/15/2026, 11:00:00.000 AM\",alice@contoso.com,0\r\n\
\"1/14/2026, 1:30:00.000 PM\",bob@contoso.com,50126\r\n\
\"1/13/2026, 9:05:07.391 PM\",carol@contoso.com,0\r\n";

/// Runs `query` over [`PORTAL_SIGNINS`] loaded as `table` with `--now` fixed,
/// checks that it succeeds and returns its CSV output with `\n` line breaks.
fn run_on_portal_export(scratch_name: &str, table: &str, query: &str) -> String {
    let dir = empty_scratch(scratch_name);
    let csv = write(&dir, "export.csv", PORTAL_SIGNINS);
    let q = write(&dir, "q.kql", query);
    let table = format!("{table}={csv}");
    let o = kqlite_at_root(&[
        "run",
        &q,
        "--table",
        &table,
        "--now",
        "2026-01-15T12:00:00Z",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o).replace("\r\n", "\n")
}

#[test]
fn a_portal_csv_export_runs_with_a_time_filter() {
    let out = run_on_portal_export(
        "portal_csv",
        "SigninLogs",
        "SigninLogs | where TimeGenerated > ago(1d) | project TimeGenerated, UserPrincipalName",
    );
    assert_eq!(
        out,
        "TimeGenerated,UserPrincipalName\n\
         2026-01-15T11:00:00Z,alice@contoso.com\n\
         2026-01-14T13:30:00Z,bob@contoso.com\n"
    );
}

#[test]
fn a_portal_csv_export_of_an_unknown_table_is_typed_from_its_header() {
    let out = run_on_portal_export(
        "portal_csv_custom",
        "MyLogs_CL",
        "MyLogs_CL | where TimeGenerated between (ago(2d) .. ago(1d)) | project UserPrincipalName",
    );
    assert_eq!(out, "UserPrincipalName\ncarol@contoso.com\n");
}

#[test]
fn a_bad_json_lines_line_gives_its_line_and_column_and_points_at_lenient() {
    let dir = empty_scratch("bad_jsonl");
    let data = write(
        &dir,
        "t.jsonl",
        "{\"a\":1}\n{\"a\": 2, \"b\": tru}\n{\"a\":3}\n",
    );
    let q = write(&dir, "q.kql", "T | count");
    let table = format!("T={data}");
    let o = kqlite_at_root(&["run", &q, "--table", &table]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("error: {data}:2:18: ")), "{err}");
    assert!(
        err.contains("hint: --lenient leaves out each unusable line"),
        "{err}"
    );
    let o = kqlite_at_root(&["run", &q, "--table", &table, "--lenient"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("hint:"), "{}", stderr(&o));
}

#[test]
fn the_lenient_summary_counts_the_lines_an_unclosed_quote_swallowed() {
    let dir = empty_scratch("unclosed_quote");
    let data = write(&dir, "t.csv", "a,b\n1,x\n2,\"open\n3,y\n4,z\n5,w\n");
    let q = write(&dir, "q.kql", "T | count");
    let table = format!("T={data}");
    let o = kqlite_at_root(&["run", &q, "--table", &table, "--lenient"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "warning: {data}: left out 1 unusable record spanning 4 lines (--lenient)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{data}:3:3: this quoted field is never closed")),
        "{err}"
    );
}

#[test]
fn a_zero_timeout_means_no_limit() {
    let dir = empty_scratch("timeout_zero");
    let q = write(&dir, "q.kql", "range i from 1 to 200000 step 1 | count");
    let o = kqlite_at_root(&["run", &q, "--timeout", "0", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).replace("\r\n", "\n"), "Count\n200000\n");
}
