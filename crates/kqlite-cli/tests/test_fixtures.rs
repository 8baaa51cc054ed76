//! `kqlite test` fixtures that cannot pass by accident: rows are typed by
//! the built-in catalog, a column or table the catalog does not know is an
//! error pointing at the fixture, and a case gives exactly the tables the
//! query reads.

mod support;

use support::{kqlite, printed, scratch};

const RISKY: &str =
    "SigninLogs\n| where RiskLevelDuringSignIn == 'high'\n| project UserPrincipalName\n";

/// Runs `kqlite test` on a test file holding `case_body` next to `query`,
/// in a fresh scratch directory with `extra` files; returns whether it
/// passed and everything it printed.
fn run_test(name: &str, query: &str, case_body: &str, extra: &[(&str, &str)]) -> (bool, String) {
    let toml = test_file(case_body);
    let mut files = vec![("q.kql", query), ("t.test.toml", toml.as_str())];
    files.extend_from_slice(extra);
    let dir = scratch(name, &files);
    let out = kqlite(&dir, &["test", "t.test.toml"]);
    (out.status.success(), printed(&out))
}

fn test_file(case_body: &str) -> String {
    format!(
        "query = \"q.kql\"\nnow = \"2026-01-15T12:00:00Z\"\n\n[[case]]\nname = \"the case\"\n{case_body}"
    )
}

#[test]
fn a_misspelt_column_in_an_inline_row_fails_the_case_instead_of_passing_vacuously() {
    let (passed, text) = run_test(
        "fixture_misspelt_column",
        RISKY,
        "tables.SigninLogs.rows = [\n  { UserPrincipalName = \"a@contoso.com\", RiskLevelDuringSignin = \"high\" },\n]\nexpect.empty = true\n",
        &[],
    );
    assert!(!passed && text.contains("ERROR"), "{text}");
    assert!(
        text.contains("t.test.toml:7: table `SigninLogs` has no column `RiskLevelDuringSignin` (did you mean `RiskLevelDuringSignIn`?)"),
        "{text}"
    );
}

#[test]
fn a_misspelt_column_in_a_fixture_file_names_the_file_and_line() {
    let rows = "{\"UserPrincipalName\":\"a@contoso.com\",\"RiskLevelDuringSignIn\":\"none\"}\n{\"UserPrincipalName\":\"b@contoso.com\",\"RiskLevelDuringSigin\":\"high\"}\n";
    let (passed, text) = run_test(
        "fixture_file_misspelt_column",
        RISKY,
        "tables.SigninLogs.file = \"rows.jsonl\"\nexpect.empty = true\n",
        &[("rows.jsonl", rows)],
    );
    assert!(!passed, "{text}");
    assert!(
        text.contains("rows.jsonl:2: table `SigninLogs` has no column `RiskLevelDuringSigin`"),
        "{text}"
    );
}

#[test]
fn a_misspelt_table_name_is_an_error_with_the_catalog_table_suggested() {
    let (passed, text) = run_test(
        "fixture_misspelt_table",
        RISKY,
        "tables.SignInLogs.rows = []\ntables.SigninLogs.rows = []\nexpect.empty = true\n",
        &[],
    );
    assert!(!passed, "{text}");
    assert!(
        text.contains(
            "`SignInLogs` is not a Sentinel or Defender table (did you mean `SigninLogs`?)"
        ),
        "{text}"
    );
    assert!(!text.contains("add_table"), "{text}");
}

#[test]
fn a_table_the_query_never_reads_is_an_error_unless_marked_unread() {
    let tables = "tables.SigninLogs.rows = []\ntables.AuditLogs.rows = []\n";
    let (passed, text) = run_test(
        "fixture_unread_table",
        RISKY,
        &format!("{tables}expect.empty = true\n"),
        &[],
    );
    assert!(!passed, "{text}");
    assert!(
        text.contains("table `AuditLogs` is given but the query never reads it"),
        "{text}"
    );

    let marked = format!("{tables}tables.AuditLogs.unread = true\nexpect.empty = true\n");
    let (passed, text) = run_test("fixture_unread_table_marked", RISKY, &marked, &[]);
    assert!(passed, "{text}");
}

#[test]
fn a_table_the_query_reads_but_the_case_leaves_out_is_an_error() {
    let (passed, text) = run_test("fixture_missing_table", RISKY, "expect.empty = true\n", &[]);
    assert!(!passed, "{text}");
    assert!(
        text.contains(
            "t.test.toml:4: the query reads table `SigninLogs`, which the case does not give"
        ),
        "{text}"
    );
    assert!(text.contains("tables.SigninLogs.rows = []"), "{text}");
}

#[test]
fn any_catalog_table_takes_partial_rows_typed_by_the_catalog() {
    let query = "DeviceNetworkEvents\n| where RemotePort == 4444\n| project-reorder InitiatingProcessFileName\n| project DeviceName, RemotePort, RemoteIP\n";
    let (passed, text) = run_test(
        "fixture_catalog_table",
        query,
        "tables.DeviceNetworkEvents.rows = [\n  { DeviceName = \"ws-01\", RemotePort = 4444, RemoteIP = \"198.51.100.7\" },\n  { DeviceName = \"ws-02\", RemotePort = 443 },\n]\nexpect.table = [{ DeviceName = \"ws-01\", RemotePort = 4444, RemoteIP = \"198.51.100.7\" }]\n\n[[case]]\nname = \"an empty table\"\ntables.DeviceNetworkEvents.rows = []\nexpect.empty = true\n",
        &[],
    );
    assert!(passed, "{text}");
}

#[test]
fn a_value_of_the_wrong_type_for_a_catalog_column_is_an_error_not_a_retyped_column() {
    let (passed, text) = run_test(
        "fixture_wrong_type",
        "DeviceNetworkEvents\n| where RemotePort == 4444\n",
        "tables.DeviceNetworkEvents.rows = [\n  { DeviceName = \"ws-01\", RemotePort = 4444 },\n  { DeviceName = \"ws-02\", RemotePort = \"http\" },\n]\nexpect.rows = 1\n",
        &[],
    );
    assert!(!passed, "{text}");
    assert!(
        text.contains("t.test.toml:8: table `DeviceNetworkEvents`, column `RemotePort`: expected int, found string \"http\""),
        "{text}"
    );
}

#[test]
fn a_query_error_in_a_test_has_its_line_and_column_and_is_printed_once() {
    let (passed, text) = run_test(
        "fixture_query_error",
        "SigninLogs\n| where UserPrincipalNam == 'x'\n",
        "tables.SigninLogs.rows = []\nexpect.empty = true\n",
        &[],
    );
    assert!(!passed, "{text}");
    assert!(text.contains("q.kql:2:9: error[E1001]"), "{text}");
    assert_eq!(text.matches("UserPrincipalNam`").count(), 1, "{text}");
}

#[test]
fn a_portal_csv_export_as_a_fixture_keeps_its_time_column() {
    let csv = "TimeGenerated [UTC],UserPrincipalName,RiskLevelDuringSignIn\n\"1/15/2026, 11:00:00.000 AM\",a@contoso.com,high\n\"1/10/2026, 11:00:00.000 AM\",b@contoso.com,high\n";
    let query = "SigninLogs\n| where TimeGenerated > ago(1d)\n| where RiskLevelDuringSignIn == 'high'\n| project UserPrincipalName\n";
    let (passed, text) = run_test(
        "fixture_portal_csv",
        query,
        "tables.SigninLogs.file = \"export.csv\"\nexpect.table = [{ UserPrincipalName = \"a@contoso.com\" }]\n",
        &[("export.csv", csv)],
    );
    assert!(passed, "{text}");
}

#[test]
fn any_catalog_table_can_be_generated_in_a_case() {
    let query =
        "DeviceProcessEvents\n| summarize Devices = dcount(DeviceId)\n| where Devices > 1\n";
    let (passed, text) = run_test(
        "fixture_generate_any_table",
        query,
        "tables.DeviceProcessEvents.generate = { rows = 300, seed = 7 }\nexpect.rows = 1\n",
        &[],
    );
    assert!(passed, "{text}");
}

#[test]
fn a_fixture_outside_the_repository_is_refused_unless_allowed() {
    let secret = std::env::temp_dir().join(format!("kqlite-secret-{}.jsonl", std::process::id()));
    std::fs::write(
        &secret,
        "{\"UserPrincipalName\":\"top-secret@contoso.com\"}\n",
    )
    .expect("temp file");
    let body = format!(
        "tables.SigninLogs.file = \"{}\"\nexpect.empty = true\n",
        secret.display()
    );
    let dir = scratch(
        "fixture_outside_repository",
        &[("q.kql", RISKY), ("t.test.toml", &test_file(&body))],
    );
    let out = kqlite(&dir, &["test", "t.test.toml"]);
    let text = printed(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("is outside the repository of the test"),
        "{text}"
    );
    assert!(text.contains("--allow-outside"), "{text}");
    assert!(!text.contains("top-secret"), "{text}");

    let out = kqlite(&dir, &["test", "--allow-outside", "t.test.toml"]);
    assert!(out.status.success(), "{}", printed(&out));
    let _ = std::fs::remove_file(&secret);
}

#[cfg(unix)]
#[test]
fn symbolic_links_to_a_parent_folder_neither_hang_nor_repeat_tests() {
    let toml = test_file("tables.SigninLogs.rows = []\nexpect.empty = true\n");
    let dir = scratch(
        "fixture_symlink_loop",
        &[("t/q.kql", RISKY), ("t/t.test.toml", &toml)],
    );
    std::os::unix::fs::symlink("..", dir.join("t/up")).expect("symlink");
    std::os::unix::fs::symlink("..", dir.join("t/up2")).expect("symlink");
    let out = kqlite(&dir, &["test", "t"]);
    let text = printed(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed, 0 failed, 0 errors"), "{text}");
}
