//! Operators that return several tables (`fork`, `facet`) and
//! `sample-distinct`, pinned from Microsoft's reference pages.

use kqlite_engine::{Engine, RunOptions, Table, Value};

const T: &str = "let T = datatable(x: long, s: string)[1, \"a\", 2, \"b\", 3, \"a\"];\n";

fn rows(t: &Table) -> Vec<Vec<Value>> {
    t.rows().collect()
}

fn names(t: &Table) -> Vec<String> {
    t.column_names().map(str::to_string).collect()
}

fn run(q: &str) -> kqlite_engine::engine::QueryOutput {
    Engine::new()
        .execute(&format!("{T}{q}"), &RunOptions::default())
        .expect("query runs")
}

#[test]
fn fork_returns_one_table_per_leg_with_the_first_as_the_result() {
    let out = run("T | fork (where x > 1) (take 1 | project s)");
    assert_eq!(rows(&out.table).len(), 2);
    assert_eq!(out.more.len(), 1);
    let (name, second) = &out.more[0];
    assert_eq!(name, "");
    assert_eq!(names(second), vec!["s"]);
    assert_eq!(rows(second), vec![vec![Value::String("a".into())]]);
}

#[test]
fn fork_legs_take_their_names_from_name_equals_or_a_final_as() {
    let out = run("T | fork (take 1) Errors=(where x == 2) (count | as Counted)");
    let leg_names: Vec<&str> = out.more.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(leg_names, vec!["Errors", "Counted"]);
}

#[test]
fn operators_after_fork_apply_to_every_leg() {
    let out = run("T | fork (where x > 1) (where x == 1) | project s");
    assert_eq!(names(&out.table), vec!["s"]);
    assert_eq!(names(&out.more[0].1), vec!["s"]);
    assert_eq!(rows(&out.more[0].1), vec![vec![Value::String("a".into())]]);
}

#[test]
fn fork_inside_a_join_leg_is_reported_as_not_supported() {
    let err = Engine::new()
        .execute(
            &format!("{T}T | join (T | fork (take 1) (take 2)) on x"),
            &RunOptions::default(),
        )
        .expect_err("fork whose tables are not the result");
    assert!(err.to_string().contains("not supported"), "{err}");
}

#[test]
fn facet_returns_the_values_of_each_column_with_counts_then_the_with_table() {
    let out = run("T | facet by s, x with (where x == 3)");
    assert_eq!(names(&out.table), vec!["s", "count_"]);
    assert_eq!(
        rows(&out.table),
        vec![
            vec![Value::String("a".into()), Value::Long(2)],
            vec![Value::String("b".into()), Value::Long(1)],
        ]
    );
    assert_eq!(out.more.len(), 2);
    assert_eq!(out.more[0].0, "x");
    assert_eq!(rows(&out.more[0].1).len(), 3);
    assert_eq!(
        rows(&out.more[1].1),
        vec![vec![Value::Long(3), Value::String("a".into())]]
    );
}

#[test]
fn facet_of_an_empty_input_returns_empty_tables() {
    let out = run("T | where x > 10 | facet by s");
    assert!(rows(&out.table).is_empty());
    assert_eq!(names(&out.table), vec!["s", "count_"]);
}

#[test]
fn sample_distinct_returns_up_to_n_distinct_values_in_one_column() {
    let out = run("T | sample-distinct 5 of s");
    assert_eq!(names(&out.table), vec!["s"]);
    assert_eq!(rows(&out.table).len(), 2);
    let one = run("T | sample-distinct 1 of s");
    assert_eq!(rows(&one.table).len(), 1);
    let none = run("T | where x > 10 | sample-distinct 3 of s");
    assert!(rows(&none.table).is_empty());
}

#[test]
fn a_query_without_fork_has_no_further_tables() {
    assert!(run("T | take 1").more.is_empty());
}
