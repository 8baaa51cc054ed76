//! A Sentinel rule file as the subject of `kqlite run` and `kqlite test`:
//! its query runs over the rows inside its `queryPeriod`, errors point at
//! lines of the YAML file, and the output says what Sentinel would raise.
//! The rule and data are in `tests/rules/`.

mod support;

use std::path::{Path, PathBuf};

use std::process::Output;

use support::{empty_scratch, kqlite_at_root, stderr, stdout, write};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules")
}

fn fixture(name: &str) -> String {
    rules_dir().join(name).display().to_string()
}

const NOW: &str = "2026-01-15T12:00:00Z";

fn run_rule(extra: &[&str]) -> Output {
    let rule = fixture("high_risk_signin.yaml");
    let table = format!("SigninLogs={}", fixture("signins.jsonl"));
    let mut args = vec!["run", &rule, "--table", &table, "--now", NOW];
    args.extend_from_slice(extra);
    kqlite_at_root(&args)
}

#[test]
fn running_a_rule_prints_its_rows_then_the_alerts_it_raises() {
    let o = run_rule(&["--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let users: Vec<&str> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .collect();
    assert_eq!(users, ["alice@contoso.com", "bob@fabrikam.com"], "{out}");
    let err = stderr(&o);
    assert!(
        err.contains("rule fires: 2 result rows, trigger gt 0"),
        "{err}"
    );
    assert!(err.contains("2 alerts (AlertPerResult)"), "{err}");
    assert!(
        err.contains("alert 1: High-risk sign-in by alice@contoso.com from 198.51.100.7 [Medium]"),
        "{err}"
    );
    assert!(
        err.contains(r#"entity Account { Name = "bob", UPNSuffix = "fabrikam.com" }"#),
        "{err}"
    );
    assert!(err.contains(r#"detail Country = ["FR"]"#), "{err}");
}

#[test]
fn the_query_period_leaves_out_a_row_older_than_the_lookback_window() {
    let o = run_rule(&["--format", "csv"]);
    assert!(
        !stdout(&o).contains("dave@contoso.com"),
        "09:15 is before the 11:00 start of the window"
    );
    assert!(stderr(&o).contains(
        "rows with TimeGenerated from 2026-01-15T11:00:00.0000000Z to 2026-01-15T12:00:00.0000000Z"
    ));
    // A later `now` moves the window past every row.
    let rule = fixture("high_risk_signin.yaml");
    let table = format!("SigninLogs={}", fixture("signins.jsonl"));
    let o = kqlite_at_root(&[
        "run",
        &rule,
        "--table",
        &table,
        "--now",
        "2026-01-16T12:00:00Z",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("rule does not fire: 0 result rows"));
}

#[test]
fn alerts_flag_prints_the_outcome_as_json_instead_of_rows() {
    let o = run_rule(&["--alerts"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&stdout(&o)).expect("stdout is one JSON document");
    assert_eq!(doc["fires"], true);
    assert_eq!(doc["rule"], "Successful sign-in rated high risk");
    assert_eq!(doc["window"]["start"], "2026-01-15T11:00:00.0000000Z");
    let alerts = doc["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0]["entities"][0]["type"], "Account");
    assert_eq!(alerts[0]["entities"][0]["Name"], "alice");
    assert_eq!(alerts[0]["entities"][1]["Address"], "198.51.100.7");
    assert_eq!(
        alerts[1]["customDetails"]["Application"][0],
        "Office 365 Exchange Online"
    );
    assert_eq!(
        alerts[1]["description"],
        "bob@fabrikam.com signed in to Office 365 Exchange Online although the sign-in was rated high risk."
    );
}

#[test]
fn alerts_flag_without_a_rule_file_is_a_usage_error() {
    let q = write(&empty_scratch("no-rule"), "q.kql", "print 1");
    let o = kqlite_at_root(&["run", &q, "--alerts"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--alerts needs a rule file"));
}

/// The fixture rule with `ResultType` misspelt in the query, on line 20 of
/// the file, column 11.
fn broken_rule(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(rules_dir().join("high_risk_signin.yaml")).unwrap();
    let broken = text.replace("| where ResultType ==", "| where ResultTyp ==");
    assert_ne!(text, broken);
    let path = dir.join("broken.yaml");
    std::fs::write(&path, broken).unwrap();
    path
}

#[test]
fn a_query_error_in_a_rule_points_at_the_yaml_line_and_column() {
    let dir = empty_scratch("run-error");
    let rule = broken_rule(&dir);
    let table = format!("SigninLogs={}", fixture("signins.jsonl"));
    let o = kqlite_at_root(&[
        "run",
        rule.to_str().unwrap(),
        "--table",
        &table,
        "--now",
        NOW,
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("broken.yaml:20:11"), "{err}");
    assert!(err.contains("20 |   | where ResultTyp == \"0\""), "{err}");
    assert!(err.contains("did you mean `ResultType`?"), "{err}");
}

#[test]
fn rule_detection_tests_pass_with_fires_alerts_and_entities() {
    let o = kqlite_at_root(&["test", &fixture("high_risk_signin.test.toml")]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("3 passed, 0 failed, 0 errors"));
}

/// Copies the fixture rule into `dir` next to a test file of `cases`.
fn rule_test(dir: &Path, rule: Option<&Path>, cases: &str) -> PathBuf {
    let rule = match rule {
        Some(r) => r.to_path_buf(),
        None => {
            let to = dir.join("high_risk_signin.yaml");
            std::fs::copy(rules_dir().join("high_risk_signin.yaml"), &to).unwrap();
            to
        }
    };
    let toml = format!(
        "query = {:?}\nnow = \"{NOW}\"\n\n{cases}",
        rule.file_name().unwrap().to_str().unwrap()
    );
    let path = dir.join("rule.test.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

const ONE_HIGH_RISK_ROW: &str = r#"tables.SigninLogs.rows = [
  { TimeGenerated = "2026-01-15T11:20:00Z", ResultType = "0", RiskLevelDuringSignIn = "high",
    UserPrincipalName = "alice@contoso.com", IPAddress = "198.51.100.7", AppDisplayName = "Azure Portal", Location = "NL" },
]
"#;

#[test]
fn a_wrong_entity_expectation_fails_naming_the_entities_raised() {
    let dir = empty_scratch("wrong-entity");
    let cases = format!(
        "[[case]]\nname = \"alert names mallory\"\n{ONE_HIGH_RISK_ROW}expect.fires = true\n\
         expect.alerts = 1\nexpect.entities = [{{ type = \"Account\", Name = \"mallory\" }}]\n"
    );
    let path = rule_test(&dir, None, &cases);
    let o = kqlite_at_root(&["test", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL"), "{out}");
    let missing = out
        .lines()
        .find(|l| l.contains("missing entity {"))
        .unwrap_or_default();
    assert!(missing.contains(r#"Name = "mallory""#), "{out}");
    assert!(missing.contains(r#"type = "Account""#), "{out}");
    assert!(
        out.contains(r#"Account { Name = "alice", UPNSuffix = "contoso.com" }"#),
        "the failure lists what was raised: {out}"
    );
    assert!(out.contains("1 failed"), "fires and alerts held: {out}");
    assert!(!out.contains("expected 1 alert"), "{out}");
}

#[test]
fn a_case_expecting_no_alert_fails_when_the_rule_fires() {
    let dir = empty_scratch("fires");
    let cases = format!("[[case]]\nname = \"quiet\"\n{ONE_HIGH_RISK_ROW}expect.fires = false\n");
    let path = rule_test(&dir, None, &cases);
    let out = stdout(&kqlite_at_root(&["test", path.to_str().unwrap()]));
    assert!(
        out.contains("expected the rule not to fire, but it fires: 1 result row(s), trigger gt 0"),
        "{out}"
    );
}

#[test]
fn a_rule_query_error_in_a_test_is_printed_once_at_its_yaml_line() {
    let dir = empty_scratch("test-error");
    let rule = broken_rule(&dir);
    let cases = format!("[[case]]\nname = \"runs\"\n{ONE_HIGH_RISK_ROW}expect.fires = true\n");
    let path = rule_test(&dir, Some(&rule), &cases);
    let o = kqlite_at_root(&["test", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("ERROR"), "{out}");
    assert!(out.contains("broken.yaml:20:11: error["), "{out}");
    assert_eq!(out.matches("ResultTyp`").count(), 1, "printed once: {out}");
}

#[test]
fn alert_expectations_on_a_kql_query_are_an_error() {
    let dir = empty_scratch("kql");
    std::fs::write(dir.join("q.kql"), "print x = 1").unwrap();
    let path = dir.join("q.test.toml");
    std::fs::write(
        &path,
        "query = \"q.kql\"\n[[case]]\nname = \"n\"\nexpect.alerts = 1\n",
    )
    .unwrap();
    let out = stdout(&kqlite_at_root(&["test", path.to_str().unwrap()]));
    assert!(
        out.contains("expect.alerts need a rule file as the query"),
        "{out}"
    );
}

const ARM_RULE: &str = r#"{
  "resources": [
    {
      "type": "Microsoft.OperationalInsights/workspaces/providers/alertRules",
      "kind": "Scheduled",
      "properties": {
        "displayName": "High-risk sign-in",
        "query": "SigninLogs\r\n| where RiskLevelDuringSignIn == \"high\"\r\n| project UserPrincipalName, IPAddress",
        "queryFrequency": "PT1H",
        "queryPeriod": "PT1H",
        "triggerOperator": "GreaterThan",
        "triggerThreshold": 0,
        "entityMappings": [
          { "entityType": "IP", "fieldMappings": [{ "identifier": "Address", "columnName": "IPAddress" }] }
        ]
      }
    }
  ]
}"#;

#[test]
fn an_arm_template_rule_runs_and_is_tested_like_a_yaml_rule() {
    let dir = empty_scratch("arm_rule");
    let rule = write(&dir, "rule.json", ARM_RULE);
    let rows = write(
        &dir,
        "s.jsonl",
        "{\"TimeGenerated\":\"2026-01-15T11:30:00Z\",\"RiskLevelDuringSignIn\":\"high\",\"UserPrincipalName\":\"a@contoso.com\",\"IPAddress\":\"198.51.100.7\"}\n{\"TimeGenerated\":\"2026-01-15T09:00:00Z\",\"RiskLevelDuringSignIn\":\"high\",\"UserPrincipalName\":\"b@contoso.com\",\"IPAddress\":\"203.0.113.9\"}\n",
    );
    let table = format!("SigninLogs={rows}");
    let out = kqlite_at_root(&[
        "run", &rule, "--table", &table, "--now", NOW, "--format", "jsonl",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
    assert!(stderr(&out).contains("198.51.100.7"), "{}", stderr(&out));

    let broken = write(
        &dir,
        "broken.json",
        &ARM_RULE.replace("RiskLevelDuringSignIn ==", "RiskLevelDuringSignon =="),
    );
    let out = kqlite_at_root(&["run", &broken, "--table", &table, "--now", NOW]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("broken.json:8:41"),
        "{}",
        stderr(&out)
    );
}
