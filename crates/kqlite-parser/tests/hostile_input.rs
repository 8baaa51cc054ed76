//! Hostile input: deep nesting returns an error, never a stack overflow.

use kqlite_parser::{parse, parse_with, ParseOptions};

#[test]
fn hundred_thousand_nested_parentheses_are_an_error_not_a_crash() {
    let n = 100_000;
    let query = format!("print {}1{}", "(".repeat(n), ")".repeat(n));
    let err = parse(&query).unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "E0012");
    assert!(d.span.start > 0);
}

#[test]
fn hundred_thousand_unary_minuses_are_an_error_not_a_crash() {
    let query = format!("print {}1", "-".repeat(100_000));
    let err = parse(&query).unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "E0012");
}

#[test]
fn deeply_nested_dynamic_arrays_are_an_error_not_a_crash() {
    let n = 100_000;
    let query = format!("print dynamic({}1{})", "[".repeat(n), "]".repeat(n));
    assert_eq!(parse(&query).unwrap_err().diagnostics()[0].code, "E0012");
}

#[test]
fn deeply_nested_calls_and_subqueries_are_an_error_not_a_crash() {
    let n = 50_000;
    let calls = format!("print {}1{}", "f(".repeat(n), ")".repeat(n));
    assert_eq!(parse(&calls).unwrap_err().diagnostics()[0].code, "E0012");
    // Long chains make deep trees too, and every consumer of the tree
    // recurses (even `Drop`), so they count against the same limit.
    let members = format!("print {}", "x".to_string() + &".a".repeat(n));
    assert_eq!(parse(&members).unwrap_err().diagnostics()[0].code, "E0012");
    let differences = format!("print 1{}", " - 1".repeat(n));
    assert_eq!(
        parse(&differences).unwrap_err().diagnostics()[0].code,
        "E0012"
    );
}

#[test]
fn a_fifty_thousand_stage_pipeline_is_a_flat_chain_not_nesting() {
    let pipes = format!("T{}", " | take 1".repeat(50_000));
    let script = parse(&pipes).expect("parses");
    let Some(kqlite_parser::ast::StatementKind::Query(q)) =
        script.statements.first().map(|s| &s.kind)
    else {
        panic!("not a query");
    };
    let kqlite_parser::ast::ExprKind::Pipe { ops, .. } = &q.kind else {
        panic!("not a pipeline");
    };
    assert_eq!(ops.len(), 50_000);
    // Printing, cloning, comparing and dropping walk the stages in a loop.
    let printed = script.to_string();
    assert_eq!(printed.matches("| take 1").count(), 50_000);
    assert!(script.clone() == script);
}

#[test]
fn a_fifty_thousand_term_sum_is_a_flat_chain_not_nesting() {
    // A run of one associative operator is rebalanced into a shallow tree.
    let sums = format!("print 1{}", " + 1".repeat(50_000));
    assert!(parse(&sums).is_ok());
}

#[test]
fn nesting_within_the_limit_parses() {
    let query = format!("print {}1{}", "(".repeat(200), ")".repeat(200));
    assert!(parse(&query).is_ok());
    assert!(parse(&format!("T{}", " | take 1".repeat(200))).is_ok());
    assert!(parse(&format!("print 1{}", " + 1".repeat(200))).is_ok());
    let opts = ParseOptions { max_depth: 10 };
    assert!(parse_with(&query, &opts).is_err());
}

#[test]
fn arbitrary_bytes_never_panic() {
    let samples = [
        "",
        ";",
        ";;",
        "|",
        "T |",
        "T | where",
        "((",
        "))",
        "[",
        "['",
        "\"",
        "@'",
        "```",
        "h'",
        "datetime(",
        "dynamic([",
        "dynamic({'a':",
        "let",
        "let x",
        "let x =",
        "let f = (",
        "let f = (x:",
        "T | join (",
        "T | scan with (step",
        "print 1e",
        "print 0x",
        "print 99999999999999999999",
        "print 1.5e400d",
        "print time(",
        "print guid(zz)",
        "$",
        "$left.",
        "T | parse x with",
        "T | mv-apply x on (",
        "print 'a' 'b",
        "T | summarize by",
        "T | top",
        "T | sort",
        "é",
        "\u{200b}",
        "T | where x between (1",
        "T | where x in (",
        "print -",
        "print +",
        "T | render",
        "T | evaluate",
        "print x.",
    ];
    for s in samples {
        let _ = parse(s);
        for cut in 0..s.len() {
            if let Some(prefix) = s.get(..cut) {
                let _ = parse(prefix);
            }
        }
    }
}

mod generated {
    use proptest::prelude::*;

    /// Fragments that keep random text close to KQL, so the parser goes deep.
    fn kqlish() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "T",
            " | ",
            "where",
            "extend",
            "summarize",
            " by ",
            "project",
            "join",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            ",",
            ";",
            "=",
            "==",
            "!",
            "-",
            "*",
            "'",
            "\"",
            "@",
            "h'",
            "```",
            "1",
            "1.5",
            "1d",
            "5x",
            "0x",
            ".",
            "..",
            "$left",
            "dynamic(",
            "datetime(",
            "time(",
            "let ",
            "x",
            " in ",
            "has",
            "between",
            "\n",
            "//",
            "é",
            "\u{200b}",
            ":",
            "=>",
            "step",
            "mv-apply",
            "on",
            "with",
            "kind=",
            "typeof(",
        ]);
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn random_kql_like_text_never_panics(text in kqlish()) {
            if let Err(e) = kqlite_parser::parse(&text) {
                let d = &e.diagnostics()[0];
                prop_assert!(d.span.end as usize <= text.len());
                prop_assert!(text.is_char_boundary(d.span.start as usize));
                prop_assert!(text.is_char_boundary(d.span.end as usize));
            }
        }

        #[test]
        fn random_text_that_parses_also_round_trips(text in kqlish()) {
            if let Ok(script) = kqlite_parser::parse(&text) {
                let printed = script.to_string();
                let again = kqlite_parser::parse(&printed)
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{text:?}\n{printed}")))?;
                prop_assert_eq!(again.without_spans(), script.without_spans(), "{:?}\n{}", text, printed);
            }
        }

        #[test]
        fn random_bytes_never_panic(text in "\\PC{0,64}") {
            let _ = kqlite_parser::parse(&text);
        }
    }
}
