//! Snapshots of rendered parse errors for typical mistakes: the parser's
//! messages and their rendering by [`kqlite_parser::render`], checked
//! together.

use kqlite_parser::render;

fn rendered(query: &str) -> String {
    let err = match kqlite_parser::parse(query) {
        Ok(_) => panic!("expected {query:?} to be rejected"),
        Err(e) => e,
    };
    render::render("query.kql", query, &err.diagnostics()[0])
}

#[test]
fn missing_pipe_points_at_the_operator_name() {
    let expected = r#"error[E0011]: expected `|` before `where`
 --> query.kql:1:12
  |
1 | SigninLogs where ResultType == 0
  |            ^^^^^
  |
  = help: tabular operators are chained with `|`: `| where ...`
"#;
    assert_eq!(rendered("SigninLogs where ResultType == 0"), expected);
}

#[test]
fn unclosed_string_points_at_the_opening_quote() {
    let expected = r#"error[E0002]: unterminated string literal
 --> query.kql:2:30
  |
2 | | where UserPrincipalName == "alice
  |                              ^^^^^^
  |
  = help: add the closing `"`; use ``` for text spanning lines
"#;
    assert_eq!(
        rendered("SigninLogs\n| where UserPrincipalName == \"alice"),
        expected
    );
}

#[test]
fn bad_timespan_unit_is_named() {
    let expected = r#"error[E0003]: invalid timespan literal `5x`
 --> query.kql:2:29
  |
2 | | where TimeGenerated > ago(5x)
  |                             ^^
  |
  = help: timespan units are d, h, m, s, ms, microsecond and tick (also day(s), hour(s), min, minute(s), sec, second(s), millisecond(s))
"#;
    assert_eq!(
        rendered("SigninLogs\n| where TimeGenerated > ago(5x)"),
        expected
    );
}

#[test]
fn unknown_operator_suggests_the_closest_name() {
    let expected = r#"error[E0004]: unknown operator `wher`
 --> query.kql:2:3
  |
2 | | wher ResultType == 0
  |   ^^^^
  |
  = help: did you mean `where`?
"#;
    assert_eq!(rendered("SigninLogs\n| wher ResultType == 0"), expected);
}

#[test]
fn single_equals_in_where_suggests_double_equals() {
    let expected = r#"error[E0005]: `=` is assignment; use `==` to compare
 --> query.kql:2:20
  |
2 | | where ResultType = 0
  |                    ^
  |
  = help: write `==` (or `=~` to ignore case)
"#;
    assert_eq!(rendered("SigninLogs\n| where ResultType = 0"), expected);
}

#[test]
fn trailing_comma_points_at_the_comma() {
    let expected = r#"error[E0006]: trailing comma
 --> query.kql:2:39
  |
2 | | project UserPrincipalName, IPAddress,
  |                                       ^
  |
  = help: remove the `,` or add the missing item after it
"#;
    assert_eq!(
        rendered("SigninLogs\n| project UserPrincipalName, IPAddress,"),
        expected
    );
}

#[test]
fn two_queries_without_a_semicolon_are_rejected() {
    let expected = r#"error[E0007]: two query statements must be separated by `;`
 --> query.kql:4:1
  |
2 | | take 5
  |         - the previous query ends here
  |
4 | AuditLogs
  | ^^^^^^^^^
  |
  = help: a query text holds one query (its result is the output); delete one, or end the first with `;`
"#;
    assert_eq!(
        rendered("SigninLogs\n| take 5\n\nAuditLogs\n| take 5"),
        expected
    );
}

#[test]
fn unbalanced_parenthesis_points_at_the_opener() {
    let expected = r#"error[E0008]: unclosed `(`
 --> query.kql:2:9
  |
2 | | where (ResultType == 0
  |         ^
  |
3 | | take 5
  |         - expected `)` before the end of the query
  |
  = help: add the missing `)`
"#;
    assert_eq!(
        rendered("SigninLogs\n| where (ResultType == 0\n| take 5"),
        expected
    );
}

#[test]
fn missing_by_expression_points_after_by() {
    let expected = r#"error[E0009]: expected an expression after `by`, found end of input
 --> query.kql:2:23
  |
2 | | summarize count() by
  |                       ^
"#;
    assert_eq!(rendered("SigninLogs\n| summarize count() by"), expected);
}

#[test]
fn empty_where_points_after_the_keyword() {
    let expected = r#"error[E0009]: expected an expression after `where`, found `|`
 --> query.kql:2:8
  |
2 | | where
  |        ^
"#;
    assert_eq!(rendered("SigninLogs\n| where\n| take 5"), expected);
}

#[test]
fn unknown_join_kind_suggests_the_closest_kind() {
    let expected = r#"error[E0010]: unknown join kind `lefouter`
 --> query.kql:2:13
  |
2 | | join kind=lefouter (AuditLogs) on CorrelationId
  |             ^^^^^^^^
  |
  = help: did you mean `leftouter`?
"#;
    assert_eq!(
        rendered("SigninLogs\n| join kind=lefouter (AuditLogs) on CorrelationId"),
        expected
    );
}

#[test]
fn let_without_equals_points_at_the_value() {
    let expected = r#"error[E0001]: expected `=` after `let Lookback`, found `24h`
 --> query.kql:1:14
  |
1 | let Lookback 24h;
  |              ^^^
  |     -------- the name being bound
  |
  = help: write `let Lookback = <value>;`
"#;
    assert_eq!(rendered("let Lookback 24h;\nSigninLogs"), expected);
}

#[test]
fn stray_closing_parenthesis_is_reported() {
    let expected = r#"error[E0008]: unexpected `)` with no matching `(`
 --> query.kql:1:18
  |
1 | print x = (1 + 2))
  |                  ^
"#;
    assert_eq!(rendered("print x = (1 + 2))"), expected);
}

#[test]
fn mismatched_bracket_in_dynamic_names_the_opener() {
    let expected = r#"error[E0008]: expected `]` to close `[`, found `)`
 --> query.kql:1:38
  |
1 | SigninLogs | extend x = dynamic([1, 2)
  |                                      ^
  |                                 - this `[` is not closed
"#;
    assert_eq!(rendered("SigninLogs | extend x = dynamic([1, 2)"), expected);
}

#[test]
fn color_output_wraps_the_same_text_in_ansi_codes() {
    let query = "SigninLogs\n| wher ResultType == 0";
    let err = kqlite_parser::parse(query).unwrap_err();
    let colored = render::render_color("query.kql", query, &err.diagnostics()[0]);
    assert!(colored.contains("\x1b[1;31merror[E0004]\x1b[0m"));
    let stripped: String = strip_ansi(&colored);
    assert_eq!(stripped, rendered(query));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn columns_count_characters_not_bytes() {
    let query = "print s = \"é\", t = 5x";
    let err = kqlite_parser::parse(query).unwrap_err();
    let text = render::render("q.kql", query, &err.diagnostics()[0]);
    assert!(text.contains(" --> q.kql:1:20"), "{text}");
}
