use kqlite_parser::diagnostic::Diagnostic;

use super::names::codes;
use super::*;
use crate::types::DataType;

fn signin_catalog() -> Catalog {
    let mut c = Catalog::new();
    c.add_schema(
        "SigninLogs",
        vec![
            ("TimeGenerated".into(), DataType::DateTime),
            ("ResultType".into(), DataType::String),
            ("UserPrincipalName".into(), DataType::String),
            ("LocationDetails".into(), DataType::Dynamic),
            ("Count".into(), DataType::Long),
        ],
    );
    c
}

fn diags(q: &str) -> Vec<Diagnostic> {
    let script = kqlite_parser::parse(q).expect("test query parses");
    check(
        &script,
        &signin_catalog(),
        crate::registry::Registry::builtin(),
    )
}

fn codes_of(q: &str) -> Vec<&'static str> {
    diags(q).iter().map(|d| d.code).collect()
}

#[test]
fn an_unknown_column_suggests_the_closest_name() {
    let d = diags("SigninLogs | where ResultTyp == \"0\"");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, codes::UNKNOWN_COLUMN);
    assert_eq!(d[0].hint.as_deref(), Some("did you mean `ResultType`?"));
    assert_eq!(d[0].span, kqlite_parser::Span::new(19, 28));
}

#[test]
fn an_unknown_table_suggests_a_catalog_table() {
    let d = diags("SigninLog | take 1");
    assert_eq!(d[0].code, codes::UNKNOWN_TABLE);
    assert_eq!(d[0].hint.as_deref(), Some("did you mean `SigninLogs`?"));
}

#[test]
fn comparing_a_string_column_with_a_number_warns_with_a_hint() {
    let d = diags("SigninLogs | where ResultType == 0");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, codes::STRING_NUMBER_COMPARE);
    assert!(!d[0].is_error());
    assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("\"0\"")));
}

#[test]
fn a_let_that_is_never_used_warns() {
    let d =
        diags("let Unused = SigninLogs | take 1;\nlet Used = 1;\nSigninLogs | where Count > Used");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, codes::UNUSED_LET);
    assert!(d[0].message.contains("Unused"));
}

#[test]
fn unsupported_operators_are_named_not_approximated() {
    let d = diags("SigninLogs | evaluate sql_request('Server=x', 'select 1')");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, codes::NOT_SUPPORTED);
    assert!(d[0].message.contains("evaluate"), "{}", d[0].message);
}

#[test]
fn member_access_on_a_non_dynamic_value_is_a_type_error() {
    assert_eq!(
        codes_of("SigninLogs | extend x = ResultType.foo"),
        vec![codes::TYPE_MISMATCH]
    );
}

#[test]
fn a_scalar_let_is_folded_into_a_literal() {
    let script = kqlite_parser::parse("let N = 2 + 3;\nprint x = N").expect("parses");
    let bound = bind(&script, &Catalog::new(), &BindOptions::default()).expect("binds");
    let Plan::Print { columns } = bound.plan.as_ref() else {
        panic!("expected a print plan, got {:?}", bound.plan);
    };
    assert_eq!(
        columns[0].1.as_literal(),
        Some(&crate::value::Value::Long(5))
    );
}

#[test]
fn a_section_names_a_tabular_let() {
    let script = kqlite_parser::parse("let A = SigninLogs | take 1;\nprint 1").expect("parses");
    let opts = BindOptions {
        section: Some("A"),
        ..BindOptions::default()
    };
    let bound = bind(&script, &signin_catalog(), &opts).expect("binds");
    assert_eq!(bound.schema.len(), 5);
    let opts = BindOptions {
        section: Some("B"),
        ..BindOptions::default()
    };
    let errs = bind(&script, &signin_catalog(), &opts).expect_err("no section B");
    assert_eq!(errs[0].code, codes::UNKNOWN_SECTION);
}

#[test]
fn summarize_names_keys_first_and_suffixes_clashes() {
    let script = kqlite_parser::parse(
        "SigninLogs | summarize count(), count() by bin(TimeGenerated, 1h), UserPrincipalName",
    )
    .expect("parses");
    let bound = bind(&script, &signin_catalog(), &BindOptions::default()).expect("binds");
    let names: Vec<&str> = bound.schema.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec!["TimeGenerated", "UserPrincipalName", "count_", "count_1"]
    );
}

#[test]
fn user_functions_inline_their_arguments_and_defaults() {
    let script = kqlite_parser::parse(
        "let f = (x: long, y: long = 10) { x * y };\nprint a = f(2), b = f(2, 3)",
    )
    .expect("parses");
    let bound = bind(&script, &Catalog::new(), &BindOptions::default()).expect("binds");
    let Plan::Print { columns } = bound.plan.as_ref() else {
        panic!("expected print");
    };
    assert_eq!(
        columns[0].1.as_literal(),
        Some(&crate::value::Value::Long(20))
    );
    assert_eq!(
        columns[1].1.as_literal(),
        Some(&crate::value::Value::Long(6))
    );
}

#[test]
fn wrong_arity_of_a_user_function_is_reported() {
    let d = diags("let f = (x: long) { x };\nprint f(1, 2)");
    assert_eq!(d[0].code, codes::ARITY);
}

#[test]
fn an_unknown_function_suggests_a_builtin() {
    let d = diags("SigninLogs | extend x = tostrin(ResultType)");
    assert_eq!(d[0].code, codes::UNKNOWN_FUNCTION);
    assert_eq!(d[0].hint.as_deref(), Some("did you mean `tostring`?"));
}

#[test]
fn an_aggregate_outside_summarize_is_rejected() {
    let d = diags("SigninLogs | extend n = count()");
    assert_eq!(d[0].code, codes::WRONG_KIND);
    assert!(d[0].message.contains("summarize"));
}

#[test]
fn adding_a_string_to_a_datetime_is_a_type_error() {
    let d = diags("SigninLogs | extend x = TimeGenerated + ResultType");
    assert_eq!(d[0].code, codes::TYPE_MISMATCH);
    assert!(d[0].message.contains("datetime"), "{}", d[0].message);
}

#[test]
fn a_table_used_as_a_scalar_suggests_toscalar() {
    let d = diags("let T = SigninLogs | count;\nprint x = T");
    assert_eq!(d[0].code, codes::WRONG_KIND);
    assert!(d[0].hint.as_deref().is_some_and(|h| h.contains("toscalar")));
}

#[test]
fn join_keys_must_exist_on_both_sides() {
    let d = diags(
        "SigninLogs | join (SigninLogs | project Other = Count) on $left.Count == $right.Missing",
    );
    assert_eq!(d[0].code, codes::UNKNOWN_COLUMN);
    assert_eq!(d[0].hint.as_deref(), None);
}

#[test]
fn a_where_predicate_must_be_bool() {
    assert_eq!(
        codes_of("SigninLogs | where Count"),
        vec![codes::TYPE_MISMATCH]
    );
}

#[test]
fn errors_in_a_let_do_not_cascade_into_its_uses() {
    let d = diags("let T = SigninLogs | where Nope > 1;\nT | take 1");
    assert_eq!(codes_of_all(&d), vec![codes::UNKNOWN_COLUMN]);
}

fn codes_of_all(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|x| x.code).collect()
}

#[test]
fn a_builtin_called_with_the_wrong_number_of_arguments_is_an_arity_error() {
    let d = diags("SigninLogs | extend x = tostring(ResultType, ResultType)");
    assert_eq!(d[0].code, codes::ARITY, "{d:?}");
    assert_eq!(d[0].span, kqlite_parser::Span::new(24, 56));
}

#[test]
fn four_column_typos_give_four_errors() {
    let q = "SigninLogs\n| where ResultTyp == \"0\"\n| extend Upn = tolower(UserPrincipalNam)\n\
             | where TimeGenerate > ago(1d)\n| summarize n = count() by Upn\n| project Upn, n, Cuont";
    let d = diags(q);
    let unknown: Vec<&str> = d
        .iter()
        .filter(|d| d.code == codes::UNKNOWN_COLUMN)
        .filter_map(|d| q.get(d.span.start as usize..d.span.end as usize))
        .collect();
    assert_eq!(
        unknown,
        vec!["ResultTyp", "UserPrincipalNam", "TimeGenerate", "Cuont"]
    );
    assert_eq!(d.len(), 4, "{d:?}");
}

#[test]
fn an_error_that_follows_from_an_unknown_column_is_not_reported_again() {
    // `ResultTyp + 1 > "x"` would also be a type error; only the name is.
    let d = diags("SigninLogs | where strlen(ResultTyp) + 1 > 2 and Cont > 1");
    let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![codes::UNKNOWN_COLUMN, codes::UNKNOWN_COLUMN]);
}

#[test]
fn lets_used_after_an_unknown_table_are_not_reported_unused() {
    let d = diags("let threshold = 5;\nSignInLogs | where Count > threshold");
    assert_eq!(codes_of_diags(&d), vec![codes::UNKNOWN_TABLE], "{d:?}");
}

#[test]
fn after_an_unknown_table_the_rest_of_the_query_is_still_checked() {
    let d = diags("SignInLogs | where Anything > 1 | extend x = no_such_function(1)");
    assert_eq!(
        codes_of_diags(&d),
        vec![codes::UNKNOWN_TABLE, codes::UNKNOWN_FUNCTION],
        "{d:?}"
    );
}

#[test]
fn a_failed_operator_does_not_hide_errors_in_later_statements() {
    let d = diags(
        "let a = SigninLogs | where Cuont > 1;\nlet b = SigninLogs | where ResultTyp == \"0\";\n\
         union a, b",
    );
    assert_eq!(
        codes_of_diags(&d),
        vec![codes::UNKNOWN_COLUMN, codes::UNKNOWN_COLUMN],
        "{d:?}"
    );
}

fn codes_of_diags(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

#[test]
fn a_failed_filter_does_not_hide_later_typos() {
    let d = diags("SigninLogs | where 1 + \"a\" | where Cuont > 1");
    assert_eq!(
        codes_of_diags(&d),
        vec![codes::TYPE_MISMATCH, codes::UNKNOWN_COLUMN],
        "{d:?}"
    );
}

#[test]
fn a_subquery_is_checked_afresh_after_an_unknown_table() {
    let d = diags("SignInLog | join (SigninLogs | where Cuont > 1) on UserPrincipalName");
    assert_eq!(
        codes_of_diags(&d),
        vec![codes::UNKNOWN_TABLE, codes::UNKNOWN_COLUMN],
        "{d:?}"
    );
}

#[test]
fn an_empty_open_schema_does_not_open_every_later_schema() {
    let d = diags(
        "let x = SigninLogs | project ResultType | evaluate pivot(ResultType);\n\
         SigninLogs | where Cuont > 1",
    );
    assert!(codes_of_diags(&d).contains(&codes::UNKNOWN_COLUMN), "{d:?}");
}

#[test]
fn columns_known_only_at_run_time_stay_open_through_parse_and_mv_expand() {
    // `bag_unpack` brings columns from the data; `parse` and `mv-expand`
    // keep them, so a later name may still be one of them.
    let d = diags(
        "SigninLogs | evaluate bag_unpack(LocationDetails)\n\
         | parse Cmd with * \"/x:\" token\n\
         | mv-expand Item = dynamic([1, 2])\n\
         | project User, Process, token, Item",
    );
    assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
}

#[test]
fn a_closed_schema_after_parse_still_reports_unknown_columns() {
    let d = diags("SigninLogs | parse ResultType with * \"x\" token | project Cuont");
    assert_eq!(codes_of_diags(&d), vec![codes::UNKNOWN_COLUMN], "{d:?}");
}

#[test]
fn a_missing_function_argument_is_an_error_not_a_silent_failure() {
    let d = diags("let f = (a: long = 1, b: long) { a + b };\nprint f(1)");
    assert_eq!(codes_of_diags(&d), vec![codes::ARITY], "{d:?}");
}

#[test]
fn bag_pack_columns_rejects_an_argument_that_is_not_a_column_name() {
    let d = diags("SigninLogs | extend b = bag_pack_columns(ResultType, strlen(ResultType))");
    assert_eq!(d[0].code, codes::INVALID);
    assert!(
        d[0].message.contains("bag_pack_columns"),
        "{}",
        d[0].message
    );
}
