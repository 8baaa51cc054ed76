//! Golden tests through the built `kqlite` binary: exit codes, output shapes
//! and the detection test harness itself.

mod support;

use support::{empty_scratch, kqlite_at_root, stderr, stdout, workspace, write};

#[test]
fn the_shipped_detection_runs_on_built_in_data_and_reports_scenarios() {
    let o = kqlite_at_root(&[
        "run",
        "queries/t1078_004_cloud_accounts.kql",
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let first: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("some rows")).expect("JSON lines");
    assert!(first.get("UserPrincipalName").is_some());
    let err = stderr(&o);
    assert!(err.contains("legacy-smtp-basic-auth"), "{err}");
    assert!(err.contains("caught"), "{err}");
}

#[test]
fn json_output_has_the_log_analytics_shape() {
    let o = kqlite_at_root(&["run", "-", "--format", "json"]);
    // `-` with no stdin reads an empty query: an error, not a panic.
    assert_ne!(o.status.code(), Some(101));

    let q = write(
        &empty_scratch("json_shape"),
        "q.kql",
        "print x = 1, s = 'a', t = datetime(2024-01-01), d = dynamic({\"k\": [1]})",
    );
    let o = kqlite_at_root(&["run", &q, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let table = &v["tables"][0];
    assert_eq!(table["name"], "PrimaryResult");
    let columns: Vec<(String, String)> = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("x".to_string(), "long".to_string()),
            ("s".to_string(), "string".to_string()),
            ("t".to_string(), "datetime".to_string()),
            ("d".to_string(), "dynamic".to_string()),
        ]
    );
    assert_eq!(table["rows"][0][0], 1);
    assert_eq!(table["rows"][0][3]["k"][0], 1);
}

#[test]
fn a_query_error_exits_with_one_and_points_into_the_query() {
    let q = write(
        &empty_scratch("query_error"),
        "bad.kql",
        "SigninLogs\n| where ResultTyp == \"0\"\n",
    );
    let o = kqlite_at_root(&["run", &q, "--table", "SigninLogs=/nonexistent.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    let o = kqlite_at_root(&["check", &q]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("ResultTyp"), "{err}");
    assert!(err.contains("ResultType"), "did-you-mean expected: {err}");
    assert!(err.contains(":2:"), "line number expected: {err}");
}

#[test]
fn usage_errors_exit_with_two() {
    assert_eq!(kqlite_at_root(&["run"]).status.code(), Some(2));
    assert_eq!(kqlite_at_root(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        kqlite_at_root(&[
            "run",
            "queries/t1078_004_cloud_accounts.kql",
            "--let",
            "nonsense"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn check_warns_about_the_shipped_query_but_passes_it() {
    let o = kqlite_at_root(&["check", "queries/t1078_004_cloud_accounts.kql"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("SPSignins"),
        "unused let warning expected: {err}"
    );
    assert!(
        err.contains("ResultType"),
        "string vs number warning expected: {err}"
    );
}

#[test]
fn check_emits_sarif_for_code_scanning() {
    let o = kqlite_at_root(&[
        "check",
        "--format",
        "sarif",
        "queries/t1078_004_cloud_accounts.kql",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert!(results[0]["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64());
}

#[test]
fn detection_tests_pass_on_the_shipped_queries() {
    let o = kqlite_at_root(&["test", "queries"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"));
}

#[test]
fn a_wrong_expectation_fails_with_a_readable_diff_and_junit() {
    let dir = empty_scratch("wrong_expectation");
    // The shipped query, next to the test (a test reads only files inside
    // its own repository or folder).
    let shipped = workspace().join("queries/t1078_004_cloud_accounts.kql");
    std::fs::copy(&shipped, dir.join("q.kql")).unwrap();
    let test = format!(
        r#"
query = {query:?}
now = "2026-01-15T12:00:00Z"

[[case]]
name = "claims IMAP4 is flagged, which it is not"
tables.SigninLogs.rows = [
  {{ TimeGenerated = "2026-01-15T05:00:00Z", ResultType = "0", UserPrincipalName = "helpdesk@contoso.com", ClientAppUsed = "IMAP4" }},
  {{ TimeGenerated = "2026-01-15T05:00:00Z", ResultType = "0", UserPrincipalName = "other@contoso.com", ClientAppUsed = "POP3" }},
]
expect.contains = [{{ UserPrincipalName = "helpdesk@contoso.com", IsLegacyAuth = true }}]
"#,
        query = "q.kql"
    );
    let path = dir.join("wrong.test.toml");
    std::fs::write(&path, test).unwrap();
    let junit = dir.join("junit.xml");
    let o = kqlite_at_root(&[
        "test",
        path.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL"), "{out}");
    assert!(
        out.contains(
            "missing row { UserPrincipalName = \"helpdesk@contoso.com\", IsLegacyAuth = true }"
        ),
        "{out}"
    );
    // The diff shows what the query did return.
    assert!(out.contains("other@contoso.com"), "{out}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<failure"), "{xml}");
    assert!(xml.contains("tests=\"1\" failures=\"1\""), "{xml}");
}

#[test]
fn gen_writes_every_table_and_the_labels() {
    let dir = empty_scratch("gen");
    let o = kqlite_at_root(&[
        "gen",
        "--tables",
        "SigninLogs,AADServicePrincipalSignInLogs",
        "--rows",
        "2000",
        "--seed",
        "7",
        "--now",
        "2026-01-15T12:00:00Z",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in [
        "SigninLogs.jsonl",
        "AADServicePrincipalSignInLogs.jsonl",
        "labels.jsonl",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(text.lines().count() > 0, "{f} is empty");
    }
    // The generated files load back and the detection runs on them.
    let signins = format!("SigninLogs={}", dir.join("SigninLogs.jsonl").display());
    let o = kqlite_at_root(&[
        "run",
        "queries/t1078_004_cloud_accounts.kql",
        "--table",
        &signins,
        "--now",
        "2026-01-15T12:00:00Z",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).lines().count() > 1);
}

#[test]
fn repeat_prints_timings_as_one_json_line() {
    let o = kqlite_at_root(&[
        "run",
        "queries/t1078_004_cloud_accounts.kql",
        "--repeat",
        "3",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let line = err
        .lines()
        .find(|l| l.starts_with("{\"load_ms\""))
        .expect("a timing line");
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["query_ms"].as_array().unwrap().len(), 3);
    assert!(v["rows"].as_u64().unwrap() > 0);
}

#[test]
fn the_coverage_table_in_queries_readme_is_current() {
    let o = kqlite_at_root(&["test", "--coverage", "queries"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = stdout(&o);
    let readme = std::fs::read_to_string(workspace().join("queries/README.md")).unwrap();
    assert!(
        readme.contains(table.trim()),
        "queries/README.md is stale; regenerate it with `kqlite test --coverage queries`:\n{table}"
    );
    // Every attack is caught by at least one shipped detection.
    for line in table.lines().filter(|l| l.contains("| attack |")) {
        assert!(line.trim_end().ends_with("| caught |"), "{line}");
    }
}

#[test]
fn run_prints_both_tables_of_evaluate_preview() {
    let q = write(
        &empty_scratch("preview_tables"),
        "preview.kql",
        "range x from 1 to 10 step 1 | evaluate preview(2)\n",
    );
    let o = kqlite_at_root(&["run", &q]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let (first, second) = out.split_once("-- result 2").expect("a second table");
    assert!(first.contains('2') && !first.contains("10"), "{out}");
    assert!(second.contains("Count") && second.contains("10"), "{out}");
}
