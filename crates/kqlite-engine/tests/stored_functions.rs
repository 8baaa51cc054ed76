//! Stored workspace functions: code the catalog holds by name, inlined
//! where a query names or calls it.

use kqlite_engine::catalog::{StoredFunction, StoredPart};
use kqlite_engine::{Engine, Table, Value};

fn stored(params: &str, body: &str) -> StoredFunction {
    StoredFunction::parse(params, body, "parsers/Test.kql")
        .unwrap_or_else(|e| panic!("does not parse: {e:?}"))
}

fn engine() -> Engine {
    let events = Engine::new()
        .run("datatable(User: string, Score: long) ['alice', 1, 'bob', 5, 'carol', 9]")
        .unwrap();
    let mut e = Engine::new();
    e.add_table("Events", events);
    e
}

fn users(t: &Table) -> Vec<String> {
    t.rows().map(|r| r[0].to_string()).collect()
}

#[test]
fn a_stored_function_takes_named_arguments_and_fills_in_defaults() {
    let mut e = engine();
    e.add_stored_function(
        "HighScores",
        stored(
            "min_score: long = 4, who: string = '*'",
            "Events | where Score >= min_score | where who == '*' or User == who",
        ),
    );
    assert_eq!(users(&e.run("HighScores()").unwrap()), vec!["bob", "carol"]);
    assert_eq!(
        users(&e.run("HighScores(who = 'carol')").unwrap()),
        vec!["carol"]
    );
    assert_eq!(
        users(&e.run("HighScores(who = 'alice', min_score = 0)").unwrap()),
        vec!["alice"]
    );
    assert_eq!(users(&e.run("HighScores(9)").unwrap()), vec!["carol"]);
}

#[test]
fn a_stored_function_without_parameters_is_used_as_a_table() {
    let mut e = engine();
    e.add_stored_function("Bobs", stored("", "Events | where User == 'bob'"));
    let t = e.run("Bobs | project Score").unwrap();
    assert_eq!(t.row(0), vec![Value::Long(5)]);
    let t = e.run("Bobs() | count").unwrap();
    assert_eq!(t.row(0), vec![Value::Long(1)]);
    let t = e
        .run("let b = Bobs; b | join kind=inner (Events) on User | count")
        .unwrap();
    assert_eq!(t.row(0), vec![Value::Long(1)]);
}

#[test]
fn an_error_inside_a_stored_body_is_reported_once_at_the_call() {
    let mut e = engine();
    e.add_stored_function(
        "Broken",
        stored("", "Events\n| where NoSuchColumn == 1\n| where Other > 2"),
    );
    let query = "Events | take 1;\nBroken | take 5";
    let diags = e.check(query);
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{diags:#?}");
    let d = errors[0];
    assert!(
        d.message.starts_with(
            "in workspace function `Broken` (parsers/Test.kql:2:9): unknown column `NoSuchColumn`"
        ),
        "{}",
        d.message
    );
    let at = query.find("Broken").unwrap();
    assert_eq!(d.span.start as usize, at);
    assert_eq!(d.span.end as usize, at + "Broken".len());
}

#[test]
fn a_stored_function_shadows_a_catalog_table_of_the_same_name() {
    let mut e = engine();
    e.add_stored_function("Events", stored("", "print User = 'from the function'"));
    let t = e.run("Events").unwrap();
    assert_eq!(users(&t), vec!["from the function"]);
}

#[test]
fn a_stored_body_does_not_see_the_query_lets() {
    let mut e = engine();
    e.add_stored_function("Scores", stored("", "Events | project Score"));
    let t = e
        .run("let Events = datatable(Score: long) [100]; Scores | count")
        .unwrap();
    assert_eq!(t.row(0), vec![Value::Long(3)]);
}

#[test]
fn stored_functions_call_each_other_and_recursion_is_an_error() {
    let mut e = engine();
    e.add_stored_function("Inner", stored("n: long", "Events | where Score > n"));
    e.add_stored_function("Outer", stored("", "Inner(n = 4) | count"));
    assert_eq!(e.run("Outer").unwrap().row(0), vec![Value::Long(2)]);
    e.add_stored_function("Loop", stored("", "Loop | take 1"));
    let diags = e.check("Loop");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert!(
        diags[0].message.contains("calls itself"),
        "{}",
        diags[0].message
    );
}

#[test]
fn a_stored_scalar_function_is_called_in_an_expression() {
    let mut e = engine();
    e.add_stored_function("Double", stored("x: long", "x * 2"));
    let t = e
        .run("Events | where Double(Score) > 10 | project User")
        .unwrap();
    assert_eq!(users(&t), vec!["carol"]);
}

#[test]
fn a_stored_function_that_does_not_parse_says_which_part_and_where() {
    let err = StoredFunction::parse("a: string", "Events\n| wher a", "f.kql").unwrap_err();
    assert_eq!(err.part, StoredPart::Body);
    assert_eq!(err.diagnostics[0].span.start, 9);
    let err = StoredFunction::parse("a: strin g", "Events", "f.kql").unwrap_err();
    assert_eq!(err.part, StoredPart::Params);
}

#[test]
fn a_missing_argument_of_a_stored_function_is_reported_at_the_call() {
    let mut e = engine();
    e.add_stored_function("Inner", stored("n: long", "Events | where Score > n"));
    let diags = e.check("Inner()");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].span.start, 0);
}
