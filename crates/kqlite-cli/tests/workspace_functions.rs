//! `--functions DIR` on `check` and `run`: rules calling a Sentinel parser
//! are checked and run against the parser's code.

mod support;

use std::path::PathBuf;

use support::{kqlite_at_root, printed, scratch};

/// A fresh scratch directory holding `parsers/FailedSignins.yaml` and
/// `rules/rule.kql`, which calls it.
fn setup(name: &str, rule: &str) -> (PathBuf, String, String) {
    let parser = "\
Parser:
  Title: Failed sign-ins
ParserName: FailedSignins
ParserParams:
  - Name: starttime
    Type: datetime
    Default: datetime(null)
  - Name: code
    Type: string
    Default: '*'
ParserQuery: |
  SigninLogs
  | where isnull(starttime) or TimeGenerated >= starttime
  | where ResultType != '0'
  | where code == '*' or ResultType == code
  | project TimeGenerated, UserPrincipalName, IPAddress, ResultType
";
    let dir = scratch(
        name,
        &[
            ("parsers/FailedSignins.yaml", parser),
            ("rules/rule.kql", rule),
        ],
    );
    let parsers = dir.join("parsers").display().to_string();
    let rule_path = dir.join("rules").join("rule.kql").display().to_string();
    (dir, parsers, rule_path)
}

const RULE: &str = "FailedSignins(starttime = ago(1d), code = '50126')\n\
| summarize Failures = count() by UserPrincipalName, IPAddress\n\
| where Failures > 5\n";

#[test]
fn a_rule_calling_a_parser_checks_clean_with_functions_and_fails_without() {
    let (_dir, parsers, rule) = setup("wsfuncs-check", RULE);
    let with = kqlite_at_root(&["check", "--functions", &parsers, &rule]);
    assert!(with.status.success(), "{}", printed(&with));
    let without = kqlite_at_root(&["check", &rule]);
    assert_eq!(without.status.code(), Some(1), "{}", printed(&without));
    assert!(
        printed(&without).contains("unknown function `FailedSignins`"),
        "{}",
        printed(&without)
    );
}

#[test]
fn a_column_the_parser_does_not_return_is_an_error_in_the_rule() {
    let rule = "FailedSignins | project AppDisplayName\n";
    let (_dir, parsers, rule) = setup("wsfuncs-column", rule);
    let out = kqlite_at_root(&["check", "--functions", &parsers, &rule]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(
        printed(&out).contains("AppDisplayName"),
        "{}",
        printed(&out)
    );
}

#[test]
fn an_error_inside_a_parser_names_its_file_and_line() {
    let (dir, parsers, rule) = setup("wsfuncs-inner", "FailedSignins | take 1\n");
    let broken =
        "ParserName: FailedSignins\nParserQuery: |\n  SigninLogs\n  | where ResultTyp == '0'\n";
    std::fs::write(dir.join("parsers/FailedSignins.yaml"), broken).expect("write parser");
    let out = kqlite_at_root(&["check", "--functions", &parsers, &rule]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(
        printed(&out).contains("in workspace function `FailedSignins` (")
            && printed(&out).contains("FailedSignins.yaml:4:11): unknown column `ResultTyp`"),
        "{}",
        printed(&out)
    );
}

#[test]
fn a_broken_function_file_is_listed_and_the_others_are_used() {
    let (dir, parsers, rule) = setup("wsfuncs-broken", RULE);
    std::fs::write(dir.join("parsers/Other.kql"), "SigninLogs\n| where (").expect("write");
    let out = kqlite_at_root(&["check", "--functions", &parsers, &rule]);
    assert!(out.status.success(), "{}", printed(&out));
    assert!(printed(&out).contains("Other.kql:2:"), "{}", printed(&out));
}

#[test]
fn run_evaluates_a_rule_through_the_parser_code() {
    let rule = "FailedSignins | summarize n = countif(ResultType == '0')\n";
    let (_dir, parsers, rule) = setup("wsfuncs-run", rule);
    let out = kqlite_at_root(&[
        "run",
        "--functions",
        &parsers,
        "--rows",
        "500",
        "--format",
        "csv",
        &rule,
    ]);
    assert!(out.status.success(), "{}", printed(&out));
    // The parser drops successful sign-ins.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "n\n0");
}
