//! `kqlite run --table`: files typed by the built-in catalog, no silent
//! mixing of real and synthetic rows, and a word when the clock is real.

mod support;

use support::{kqlite, printed, scratch, stderr, stdout};

/// Runs `kqlite run q.kql ARGS...` in a fresh scratch directory holding
/// `query` and `files`.
fn run(name: &str, query: &str, files: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut all = vec![("q.kql", query)];
    all.extend_from_slice(files);
    let dir = scratch(name, &all);
    let mut argv = vec!["run", "q.kql"];
    argv.extend_from_slice(args);
    kqlite(&dir, &argv)
}

const TWO_TABLES: &str = "SigninLogs\n| where ResultType == '0'\n| project UserPrincipalName\n| union (AADNonInteractiveUserSignInLogs | project UserPrincipalName)\n";
const SIGNIN: &str = "{\"TimeGenerated\":\"2026-01-15T10:00:00Z\",\"ResultType\":\"0\",\"UserPrincipalName\":\"a@contoso.com\"}\n";
const NOW: &str = "2026-01-15T12:00:00Z";

#[test]
fn a_table_the_query_reads_and_no_flag_gives_is_an_error_listing_it() {
    let args = ["--table", "SigninLogs=s.jsonl", "--now", NOW];
    let out = run(
        "run_missing_table",
        TWO_TABLES,
        &[("s.jsonl", SIGNIN)],
        &args,
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
    let args = [
        "--table",
        "SigninLogs=s.jsonl",
        "--synthetic-rest",
        "--rows",
        "500",
        "--format",
        "jsonl",
    ];
    let out = run(
        "run_synthetic_rest",
        TWO_TABLES,
        &[("s.jsonl", SIGNIN)],
        &args,
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
    let args = ["--table", "DeviceNetworkEvents=n.csv", "--format", "jsonl"];
    let out = run("run_catalog_typed", query, &[("n.csv", rows)], &args);
    assert!(out.status.success(), "{}", printed(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("\"RemotePort\":4444"), "{text}");
}

#[test]
fn a_misspelt_column_in_a_table_file_is_reported_with_the_real_name() {
    let rows = "{\"UserPrincipalName\":\"a@contoso.com\",\"ResultTyp\":\"0\"}\n";
    let query = "SigninLogs | project UserPrincipalName\n";
    let out = run(
        "run_misspelt_column",
        query,
        &[("s.jsonl", rows)],
        &["--table", "SigninLogs=s.jsonl"],
    );
    let err = stderr(&out);
    assert!(
        err.contains("table `SigninLogs` has no column `ResultTyp` (did you mean `ResultType`?)"),
        "{err}"
    );
}

#[test]
fn the_wall_clock_is_announced_once_when_the_query_reads_it() {
    let query = "SigninLogs | where TimeGenerated > ago(1d) | count\n";
    let files = [("s.jsonl", SIGNIN)];
    let out = run(
        "run_wall_clock",
        query,
        &files,
        &["--table", "SigninLogs=s.jsonl"],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("now() is the current time").count(), 1, "{err}");
    assert!(err.contains("--now"), "{err}");

    let args = ["--table", "SigninLogs=s.jsonl", "--now", NOW];
    let out = run("run_wall_clock_given", query, &files, &args);
    assert!(!stderr(&out).contains("current time"), "{}", stderr(&out));
}

#[test]
fn csv_output_defuses_spreadsheet_formulas_unless_raw_is_asked() {
    let query = "print CommandLine = \"=cmd|' /C calc'!A0\", Plain = \"calc.exe\", Minus = -5, Dash = \"-enc AAAA\"\n";
    let out = run("run_csv_guard", query, &[], &["--format", "csv"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(
        text.lines().nth(1),
        Some("'=cmd|' /C calc'!A0,calc.exe,-5,'-enc AAAA"),
        "{text}"
    );
    let out = run("run_csv_raw", query, &[], &["--format", "csv", "--raw-csv"]);
    assert_eq!(
        stdout(&out).lines().nth(1),
        Some("=cmd|' /C calc'!A0,calc.exe,-5,-enc AAAA"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn table_output_shows_bidi_overrides_as_codes() {
    let query = "print FileName = strcat(\"invoice\", unicode_codepoints_to_string(dynamic([8238])), \"fdp.exe\")\n";
    let out = run("run_bidi", query, &[], &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(text.contains("invoice\\u{202e}fdp.exe"), "{text}");
    assert!(!text.contains('\u{202e}'), "{text}");
}
