//! Limits that hold in every phase of a query, not only while operators
//! run: the timeout and cancellation reach binding, chains that are long
//! but flat are not mistaken for nesting, and deep values end in a clean
//! error rather than a stack overflow.

use std::time::{Duration, Instant};

use kqlite_engine::engine::codes;
use kqlite_engine::eval::{CancelHandle, Limits};
use kqlite_engine::{Engine, QueryError, RunOptions, Value};

fn engine(limits: Limits) -> Engine {
    let mut e = Engine::new();
    e.set_limits(limits);
    e.set_now(638_527_968_000_000_000);
    e
}

fn code(err: &QueryError) -> &'static str {
    err.code().unwrap_or("")
}

/// `n` chained `let`s, each one more than the last, and a `print` of the
/// last.
fn chained_lets(n: usize) -> String {
    let mut q = String::from("let v0 = 0;\n");
    for i in 1..n {
        q.push_str(&format!("let v{i} = v{} + 1;\n", i - 1));
    }
    q.push_str(&format!("print x = v{}", n - 1));
    q
}

#[test]
fn a_timeout_that_expires_while_binding_stops_the_query_with_e1106() {
    let e = engine(Limits {
        timeout: Some(Duration::ZERO),
        ..Limits::default()
    });
    let err = e.run(&chained_lets(10)).unwrap_err();
    assert_eq!(code(&err), codes::TIMED_OUT, "{err}");
    assert!(err.to_string().contains("binding"), "{err}");
}

#[test]
fn a_cancelled_handle_stops_binding_with_e1105() {
    let cancel = CancelHandle::new();
    cancel.cancel();
    let opts = RunOptions {
        cancel: Some(cancel),
        ..RunOptions::default()
    };
    let err = engine(Limits::default())
        .run_with(&chained_lets(10), &opts)
        .unwrap_err();
    assert_eq!(code(&err), codes::CANCELLED, "{err}");
}

#[test]
fn twenty_thousand_chained_lets_bind_and_run_in_linear_time() {
    let e = engine(Limits::default());
    let start = Instant::now();
    let t = e.run(&chained_lets(20_000)).unwrap();
    assert_eq!(t.num_rows(), 1);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}

/// `n` functions, each calling the one before, and a call of the last.
fn chained_functions(n: usize) -> String {
    let mut q = String::from("let f0 = () { 1 };\n");
    for i in 1..n {
        q.push_str(&format!("let f{i} = () {{ f{}() + 1 }};\n", i - 1));
    }
    q.push_str(&format!("print x = f{}()", n - 1));
    q
}

#[test]
fn two_hundred_chained_function_calls_are_not_recursion() {
    let t = engine(Limits::default())
        .run(&chained_functions(200))
        .unwrap();
    assert_eq!(t.row(0), vec![Value::Long(200)]);
}

#[test]
fn a_function_calling_itself_is_reported_as_recursion() {
    let err = engine(Limits::default())
        .run("let f = (n: long) { f(n) };\nprint f(1)")
        .unwrap_err();
    assert!(err.to_string().contains("calls itself"), "{err}");
}

#[test]
fn functions_calling_one_another_are_reported_as_recursion() {
    let err = engine(Limits::default())
        .run("let f = (n: long) { g(n) };\nlet g = (n: long) { f(n) };\nprint g(1)")
        .unwrap_err();
    assert!(err.to_string().contains("calls itself"), "{err}");
}

#[test]
fn a_chain_of_functions_deeper_than_the_limit_says_how_deep_calls_may_nest() {
    let err = engine(Limits::default())
        .run(&chained_functions(300))
        .unwrap_err();
    assert!(err.to_string().contains("256 functions deep"), "{err}");
}

/// A JSONPath of `n` keys: `$.a.a...a`.
fn deep_path(n: usize) -> String {
    format!("$.{}", vec!["a"; n].join("."))
}

#[test]
fn bag_set_key_with_a_path_of_fifty_thousand_keys_gives_null_not_a_stack_overflow() {
    let q = format!(
        "print x = bag_set_key(dynamic({{}}), '{}', 1)",
        deep_path(50_000)
    );
    let t = engine(Limits::default()).run(&q).unwrap();
    assert!(t.row(0).iter().all(Value::is_null), "{:?}", t.row(0));
    let q = format!(
        "print x = bag_remove_keys(dynamic({{\"a\": 1}}), dynamic(['{}']))",
        deep_path(50_000)
    );
    assert!(engine(Limits::default()).run(&q).is_ok());
}

#[test]
fn bag_set_key_builds_a_path_as_deep_as_json_may_nest() {
    let q = format!(
        "print x = tostring(bag_set_key(dynamic({{}}), '{}', 1))",
        deep_path(128)
    );
    let t = engine(Limits::default()).run(&q).unwrap();
    let text = t
        .row(0)
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert_eq!(text.matches("\"a\"").count(), 128, "{text}");
}

#[test]
fn parse_json_of_twenty_thousand_nested_arrays_does_not_overflow_the_stack() {
    let n = 20_000;
    let text = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let q = format!(
        "print x = dynamic_to_json(parse_json('{text}')), y = tostring(todynamic('{text}'))"
    );
    assert!(engine(Limits::default()).run(&q).is_ok());
}

#[test]
fn an_endless_line_ends_a_json_lines_or_csv_load_with_a_clean_error() {
    use kqlite_engine::io::{load_reader_with, Format, LoadOptions};
    for format in [Format::JsonLines, Format::Csv] {
        let endless = std::io::repeat(b'x');
        let err = load_reader_with(endless, format, None, "endless", &LoadOptions::default())
            .unwrap_err();
        assert!(err.to_string().contains("longer than 64 MiB"), "{err}");
    }
}

#[test]
fn a_load_stops_at_its_deadline() {
    use kqlite_engine::io::{load_reader_with, Format, LoadOptions};
    let options = LoadOptions {
        deadline: Some(Instant::now()),
        ..LoadOptions::default()
    };
    let endless = std::io::repeat(b'\n');
    let err = load_reader_with(endless, Format::JsonLines, None, "endless", &options).unwrap_err();
    assert!(err.to_string().contains("time limit"), "{err}");
}

#[test]
fn a_ten_thousand_term_or_chain_binds_and_runs() {
    let terms: Vec<String> = (0..10_000).map(|i| format!("x == {i}")).collect();
    let q = format!(
        "range x from 9990 to 10010 step 1 | where {} | count",
        terms.join(" or ")
    );
    let t = engine(Limits::default()).run(&q).unwrap();
    assert_eq!(t.row(0), vec![Value::Long(10)]);
}

#[test]
fn ten_thousand_term_and_and_plus_chains_bind_and_run() {
    let terms: Vec<String> = (0..10_000).map(|i| format!("x != {i}")).collect();
    let q = format!(
        "range x from 9990 to 10010 step 1 | where {} | count",
        terms.join(" and ")
    );
    let t = engine(Limits::default()).run(&q).unwrap();
    assert_eq!(t.row(0), vec![Value::Long(11)]);
    let q = format!("print x = 0{}", " + 1".repeat(10_000));
    let t = engine(Limits::default()).run(&q).unwrap();
    assert_eq!(t.row(0), vec![Value::Long(10_000)]);
}
