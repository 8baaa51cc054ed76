//! `--functions DIR` on `check` and `run`: rules calling a Sentinel parser
//! are checked and run against the parser's code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn kqlite(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(args)
        .output()
        .expect("the kqlite binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh scratch directory holding `parsers/FailedSignins.yaml` and
/// `rules/rule.kql`, which calls it.
fn setup(name: &str, rule: &str) -> (PathBuf, String, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let parsers = dir.join("parsers");
    let rules = dir.join("rules");
    std::fs::create_dir_all(&parsers).expect("scratch dir");
    std::fs::create_dir_all(&rules).expect("scratch dir");
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
    std::fs::write(parsers.join("FailedSignins.yaml"), parser).expect("write parser");
    let rule_path = rules.join("rule.kql");
    std::fs::write(&rule_path, rule).expect("write rule");
    (
        dir,
        parsers.display().to_string(),
        rule_path.display().to_string(),
    )
}

const RULE: &str = "FailedSignins(starttime = ago(1d), code = '50126')\n\
| summarize Failures = count() by UserPrincipalName, IPAddress\n\
| where Failures > 5\n";

#[test]
fn a_rule_calling_a_parser_checks_clean_with_functions_and_fails_without() {
    let (_dir, parsers, rule) = setup("wsfuncs-check", RULE);
    let with = kqlite(&["check", "--functions", &parsers, &rule]);
    assert!(with.status.success(), "{}", text(&with));
    let without = kqlite(&["check", &rule]);
    assert_eq!(without.status.code(), Some(1), "{}", text(&without));
    assert!(
        text(&without).contains("unknown function `FailedSignins`"),
        "{}",
        text(&without)
    );
}

#[test]
fn a_column_the_parser_does_not_return_is_an_error_in_the_rule() {
    let rule = "FailedSignins | project AppDisplayName\n";
    let (_dir, parsers, rule) = setup("wsfuncs-column", rule);
    let out = kqlite(&["check", "--functions", &parsers, &rule]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("AppDisplayName"), "{}", text(&out));
}

#[test]
fn an_error_inside_a_parser_names_its_file_and_line() {
    let (dir, parsers, rule) = setup("wsfuncs-inner", "FailedSignins | take 1\n");
    let broken =
        "ParserName: FailedSignins\nParserQuery: |\n  SigninLogs\n  | where ResultTyp == '0'\n";
    std::fs::write(dir.join("parsers/FailedSignins.yaml"), broken).expect("write parser");
    let out = kqlite(&["check", "--functions", &parsers, &rule]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("in workspace function `FailedSignins` (")
            && text(&out).contains("FailedSignins.yaml:4:11): unknown column `ResultTyp`"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_broken_function_file_is_listed_and_the_others_are_used() {
    let (dir, parsers, rule) = setup("wsfuncs-broken", RULE);
    std::fs::write(dir.join("parsers/Other.kql"), "SigninLogs\n| where (").expect("write");
    let out = kqlite(&["check", "--functions", &parsers, &rule]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Other.kql:2:"), "{}", text(&out));
}

#[test]
fn run_evaluates_a_rule_through_the_parser_code() {
    let rule = "FailedSignins | summarize n = countif(ResultType == '0')\n";
    let (_dir, parsers, rule) = setup("wsfuncs-run", rule);
    let out = kqlite(&[
        "run",
        "--functions",
        &parsers,
        "--rows",
        "500",
        "--format",
        "csv",
        &rule,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // The parser drops successful sign-ins.
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "n\n0");
}
