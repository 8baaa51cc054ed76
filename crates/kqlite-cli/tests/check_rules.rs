//! `kqlite check` over a folder of query files and Sentinel rule files:
//! every output format names the rule file and the line and column in it.

mod support;

use std::path::PathBuf;

use support::{kqlite_at_root, scratch, stderr, stdout};

const GOOD_RULE: &str = concat!(
    "id: 3f1c\n",
    "name: Sign-in from a new country\n",
    "kind: Scheduled\n",
    "severity: Low\n",
    "requiredDataConnectors:\n",
    "  - connectorId: AzureActiveDirectory\n",
    "    dataTypes:\n",
    "      - SigninLogs\n",
    "queryFrequency: 1h\n",
    "queryPeriod: 1d\n",
    "triggerOperator: gt\n",
    "triggerThreshold: 0\n",
    "query: |\n",
    "  SigninLogs\n",
    "  | where TimeGenerated > ago(1d)\n",
    "  | project UserPrincipalName, IPAddress\n",
    "entityMappings:\n",
    "  - entityType: Account\n",
    "    fieldMappings:\n",
    "      - identifier: FullName\n",
    "        columnName: UserPrincipalName\n",
);

/// A rule whose entity mapping names a column the query does not output:
/// `IPAdress` sits on line 19, column 21. CRLF line breaks and a BOM, as
/// some rule repositories have.
const BAD_RULE: &str = concat!(
    "\u{feff}id: 9e2d\r\n",
    "name: Risky IP\r\n",
    "kind: Scheduled\r\n",
    "queryFrequency: 1h\r\n",
    "queryPeriod: 1h\r\n",
    "triggerOperator: gt\r\n",
    "triggerThreshold: 0\r\n",
    "query: |\r\n",
    "  SigninLogs\r\n",
    "  | project IPAddress, UserPrincipalName\r\n",
    "entityMappings:\r\n",
    "  - entityType: Account\r\n",
    "    fieldMappings:\r\n",
    "      - identifier: FullName\r\n",
    "        columnName: UserPrincipalName\r\n",
    "  - entityType: IP\r\n",
    "    fieldMappings:\r\n",
    "      - identifier: Address\r\n",
    "        columnName: IPAdress\r\n",
);

/// A hunting query whose query has an error on line 5, column 11 of the
/// file.
const QUERY_ERROR_RULE: &str = concat!(
    "id: 1b2c\n",
    "name: Broken\n",
    "query: |\n",
    "  AuditLogs\n",
    "  | where OperationNam == \"Add user\"\n",
);

fn rules_folder(name: &str) -> PathBuf {
    scratch(
        name,
        &[
            ("a_query.kql", "AuditLogs\n| take 5\n"),
            ("Detections/good.yaml", GOOD_RULE),
            ("Detections/bad.yaml", BAD_RULE),
            ("Detections/broken_query.yml", QUERY_ERROR_RULE),
            (
                "Detections/workbook.yaml",
                "title: not a rule\nitems:\n  - a\n",
            ),
            ("Detections/notes.txt", "not read"),
        ],
    )
}

#[test]
fn checking_a_folder_reports_rule_errors_at_file_line_and_column_in_text() {
    let dir = rules_folder("check_rules_text");
    let o = kqlite_at_root(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let bad = dir.join("Detections").join("bad.yaml");
    assert!(
        err.contains(&format!("{}:19:21", bad.display())),
        "rule file line and column expected: {err}"
    );
    assert!(err.contains("E2003"), "{err}");
    assert!(err.contains("did you mean `IPAddress`?"), "{err}");
    let broken = dir.join("Detections").join("broken_query.yml");
    assert!(
        err.contains(&format!("{}:5:11", broken.display())),
        "query errors point into the rule file: {err}"
    );
    assert!(
        err.contains("checked 5 files (3 rules, 1 skipped): 2 errors, 0 warnings"),
        "summary expected: {err}"
    );
    assert!(!err.contains("good.yaml:"), "the good rule is clean: {err}");
}

#[test]
fn checking_a_folder_reports_rule_errors_at_file_line_and_column_in_json() {
    let dir = rules_folder("check_rules_json");
    let o = kqlite_at_root(&["check", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON output");
    let all = v.as_array().expect("an array of diagnostics");
    let found: Vec<(String, u64, u64, String)> = all
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
                d["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let bad = dir
        .join("Detections")
        .join("bad.yaml")
        .display()
        .to_string();
    let broken = dir
        .join("Detections")
        .join("broken_query.yml")
        .display()
        .to_string();
    assert_eq!(
        found,
        vec![
            (bad, 19, 21, "E2003".to_string()),
            (broken, 5, 11, "E1001".to_string()),
        ]
    );
}

#[test]
fn checking_a_folder_reports_rule_errors_at_file_line_and_column_in_sarif() {
    let dir = rules_folder("check_rules_sarif");
    let o = kqlite_at_root(&["check", "--format", "sarif", dir.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("SARIF is JSON");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    let first = &results[0];
    assert_eq!(first["ruleId"], "E2003");
    let location = &first["locations"][0]["physicalLocation"];
    assert!(location["artifactLocation"]["uri"]
        .as_str()
        .unwrap_or("")
        .ends_with("Detections/bad.yaml"));
    assert_eq!(location["region"]["startLine"], 19);
    assert_eq!(location["region"]["startColumn"], 21);
    assert_eq!(location["region"]["endColumn"], 29);
}

#[test]
fn a_folder_of_clean_rules_passes() {
    let dir = scratch("check_rules_clean", &[("nested/good.yaml", GOOD_RULE)]);
    let o = kqlite_at_root(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("checked 1 file (1 rule, 0 skipped): 0 errors, 0 warnings"));
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_loop_is_walked_once() {
    let dir = scratch("check_rules_loop", &[("rules/good.yaml", GOOD_RULE)]);
    std::os::unix::fs::symlink(&dir, dir.join("rules").join("back")).unwrap();
    let o = kqlite_at_root(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("checked 1 file"), "{}", stderr(&o));
}

#[test]
fn a_malformed_rule_file_is_one_error_on_its_line() {
    let dir = scratch(
        "check_rules_malformed",
        &[(
            "broken.yaml",
            "id: x\nquery: |\n  T\nentityMappings: [unclosed\n",
        )],
    );
    let file = dir.join("broken.yaml");
    let o = kqlite_at_root(&["check", "--format", "json", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let all = v.as_array().unwrap();
    assert_eq!(all.len(), 1, "{v}");
    assert_eq!(all[0]["code"], "E2001");
    assert!(all[0]["line"].as_u64().unwrap_or(0) >= 4, "{v}");
}
