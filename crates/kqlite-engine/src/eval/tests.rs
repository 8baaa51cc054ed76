use crate::engine::Engine;
use crate::table::Table;
use crate::value::Value;

fn run(q: &str) -> Table {
    match Engine::new().run(q) {
        Ok(t) => t,
        Err(e) => panic!("query failed: {e:?}"),
    }
}

fn names(t: &Table) -> Vec<&str> {
    t.column_names().collect()
}

fn column(t: &Table, name: &str) -> Vec<Value> {
    let c = t.column(name).unwrap_or_else(|| panic!("no column {name}"));
    (0..c.len()).map(|i| c.get(i)).collect()
}

#[test]
fn where_keeps_matching_rows_of_every_column() {
    let t = run("datatable(a: long, b: string) [1, \"x\", 2, \"y\", 3, \"z\"] | where a >= 2");
    assert_eq!(
        column(&t, "b"),
        vec![Value::string("y"), Value::string("z")]
    );
}

#[test]
fn extend_replaces_a_column_in_place_and_appends_new_ones() {
    let t = run("datatable(a: long, b: long) [1, 2] | extend a = a * 10, c = a + b");
    assert_eq!(names(&t), vec!["a", "b", "c"]);
    assert_eq!(
        t.row(0),
        vec![Value::Long(10), Value::Long(2), Value::Long(12)]
    );
}

#[test]
fn project_shares_untouched_columns_without_copying() {
    let engine = Engine::new();
    let t = engine
        .run("datatable(a: long) [1, 2] | extend b = 1 | project a")
        .expect("runs");
    assert_eq!(names(&t), vec!["a"]);
}

#[test]
fn range_includes_both_ends() {
    let t = run("range x from 1 to 5 step 2");
    assert_eq!(
        column(&t, "x"),
        vec![Value::Long(1), Value::Long(3), Value::Long(5)]
    );
}

#[test]
fn unnamed_print_columns_are_numbered_by_position() {
    let t = run("print 1, b = 2, 3");
    assert_eq!(names(&t), vec!["print_0", "b", "print_2"]);
}

#[test]
fn sort_defaults_to_descending_with_nulls_last() {
    let t = run("datatable(a: long) [2, long(null), 3, 1] | sort by a");
    assert_eq!(
        column(&t, "a"),
        vec![Value::Long(3), Value::Long(2), Value::Long(1), Value::Null]
    );
    let t = run("datatable(a: long) [2, long(null), 3, 1] | sort by a asc");
    assert_eq!(
        column(&t, "a"),
        vec![Value::Null, Value::Long(1), Value::Long(2), Value::Long(3)]
    );
}

#[test]
fn take_stops_at_the_table_end() {
    assert_eq!(run("range x from 1 to 3 step 1 | take 10").num_rows(), 3);
    assert_eq!(run("range x from 1 to 3 step 1 | take 2").num_rows(), 2);
}

#[test]
fn count_gives_one_row_named_count() {
    let t = run("range x from 1 to 7 step 1 | count");
    assert_eq!(names(&t), vec!["Count"]);
    assert_eq!(t.row(0), vec![Value::Long(7)]);
}

#[test]
fn sort_then_take_keeps_the_first_rows_of_the_full_order() {
    let t = run("datatable(k: long, v: string) [2, \"a\", 3, \"b\", 2, \"c\", 1, \"d\", 3, \"e\"] | sort by k | take 3");
    assert_eq!(
        column(&t, "v"),
        vec![Value::string("b"), Value::string("e"), Value::string("a")]
    );
    let t = run("datatable(k: string, v: long) [\"x\", 1, \"y\", 2, \"x\", 3] | top 2 by k asc");
    assert_eq!(column(&t, "v"), vec![Value::Long(1), Value::Long(3)]);
}

#[test]
fn take_zero_gives_no_rows() {
    assert_eq!(run("range x from 1 to 3 step 1 | top 0 by x").num_rows(), 0);
}

#[test]
fn dictionary_strings_sort_by_their_text() {
    let values: Vec<String> = (0..40)
        .map(|i| ["pear", "apple", "fig", "Zebra"][i % 4].to_string())
        .collect();
    let list = values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let t = run(&format!(
        "datatable(s: string) [{list}] | sort by s asc | take 11"
    ));
    let got: Vec<Value> = column(&t, "s");
    assert_eq!(
        got[0],
        Value::string("Zebra"),
        "uppercase sorts first (ordinal)"
    );
    assert_eq!(got[10], Value::string("apple"));
}
