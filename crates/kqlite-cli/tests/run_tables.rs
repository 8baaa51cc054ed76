//! `kqlite run --table`: files typed by the built-in catalog, no silent
//! mixing of real and synthetic rows, and a word when the clock is real.

mod support;

use support::{kqlite, printed, scratch, stderr, stdout};

const TWO_TABLES: &str = "SigninLogs\n| where ResultType == '0'\n| project UserPrincipalName\n| union (AADNonInteractiveUserSignInLogs | project UserPrincipalName)\n";
const SIGNIN: &str = "{\"TimeGenerated\":\"2026-01-15T10:00:00Z\",\"ResultType\":\"0\",\"UserPrincipalName\":\"a@contoso.com\"}\n";

#[test]
fn a_table_the_query_reads_and_no_flag_gives_is_an_error_listing_it() {
    let dir = scratch(
        "run_missing_table",
        &[("q.kql", TWO_TABLES), ("s.jsonl", SIGNIN)],
    );
    let out = kqlite(
        &dir,
        &[
            "run",
            "q.kql",
            "--table",
            "SigninLogs=s.jsonl",
            "--now",
            "2026-01-15T12:00:00Z",
        ],
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("the query reads `AADNonInteractiveUserSignInLogs` but no --table gives it"),
        "{err}"
    );
    assert!(err.contains("--synthetic-rest"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn synthetic_rest_fills_the_other_tables_and_says_so() {
    let dir = scratch(
        "run_synthetic_rest",
        &[("q.kql", TWO_TABLES), ("s.jsonl", SIGNIN)],
    );
    let out = kqlite(
        &dir,
        &[
            "run",
            "q.kql",
            "--table",
            "SigninLogs=s.jsonl",
            "--synthetic-rest",
            "--rows",
            "500",
            "--format",
            "jsonl",
        ],
    );
    assert!(out.status.success(), "{}", printed(&out));
    assert!(
        stderr(&out).contains("built-in synthetic data for AADNonInteractiveUserSignInLogs"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("a@contoso.com"));
}

#[test]
fn a_catalog_table_file_is_typed_by_the_catalog_so_missing_columns_read_as_null() {
    let query = "DeviceNetworkEvents\n| where RemotePort == 4444\n| project DeviceName, RemotePort, InitiatingProcessFileName\n";
    let rows = "DeviceName,RemotePort\nws-01,4444\nws-02,0443\n";
    let dir = scratch("run_catalog_typed", &[("q.kql", query), ("n.csv", rows)]);
    let out = kqlite(
        &dir,
        &[
            "run",
            "q.kql",
            "--table",
            "DeviceNetworkEvents=n.csv",
            "--format",
            "jsonl",
        ],
    );
    assert!(out.status.success(), "{}", printed(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"RemotePort\":4444"), "{text}");
}

#[test]
fn a_misspelt_column_in_a_table_file_is_reported_with_the_real_name() {
    let rows = "{\"UserPrincipalName\":\"a@contoso.com\",\"ResultTyp\":\"0\"}\n";
    let query = "SigninLogs | project UserPrincipalName\n";
    let dir = scratch(
        "run_misspelt_column",
        &[("q.kql", query), ("s.jsonl", rows)],
    );
    let out = kqlite(&dir, &["run", "q.kql", "--table", "SigninLogs=s.jsonl"]);
    let err = stderr(&out);
    assert!(
        err.contains("table `SigninLogs` has no column `ResultTyp` (did you mean `ResultType`?)"),
        "{err}"
    );
}

#[test]
fn the_wall_clock_is_announced_once_when_the_query_reads_it() {
    let query = "SigninLogs | where TimeGenerated > ago(1d) | count\n";
    let dir = scratch("run_wall_clock", &[("q.kql", query), ("s.jsonl", SIGNIN)]);
    let out = kqlite(&dir, &["run", "q.kql", "--table", "SigninLogs=s.jsonl"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("now() is the current time").count(), 1, "{err}");
    assert!(err.contains("--now"), "{err}");

    let out = kqlite(
        &dir,
        &[
            "run",
            "q.kql",
            "--table",
            "SigninLogs=s.jsonl",
            "--now",
            "2026-01-15T12:00:00Z",
        ],
    );
    assert!(!stderr(&out).contains("current time"), "{}", stderr(&out));
}
