//! Default column names that real detections depend on: a conversion of a
//! column keeps the column's name inside `summarize` and `mv-expand`, so
//! later operators can name it.

use kqlite_engine::{Engine, Table};

fn run(q: &str) -> Table {
    Engine::new()
        .run(q)
        .unwrap_or_else(|err| panic!("query failed: {err:?}\n{q}"))
}

fn names(t: &Table) -> Vec<String> {
    t.schema().into_iter().map(|(n, _)| n).collect()
}

const ROWS: &str = r#"datatable(Tld: dynamic, Country: string, Props: string)
    [dynamic("com"), "NL", '[{"Name":"UserAgent","Value":"curl"}]',
     dynamic("org"), "DE", '[{"Name":"RequestType","Value":"Login"}]']"#;

#[test]
fn a_summarize_key_converted_with_tostring_keeps_the_columns_name() {
    let t = run(&format!("{ROWS} | summarize count() by tostring(Tld)"));
    assert_eq!(names(&t), ["Tld", "count_"]);
}

#[test]
fn an_aggregate_of_a_converted_column_is_named_after_the_column() {
    let t = run(&format!(
        "{ROWS} | summarize make_list(tostring(Country)), dcount(tostring(Tld))"
    ));
    assert_eq!(names(&t), ["list_Country", "dcount_Tld"]);
}

#[test]
fn a_converted_aggregate_keeps_the_aggregates_name() {
    let t = run(&format!("{ROWS} | summarize tostring(make_set(Country))"));
    assert_eq!(names(&t), ["set_Country"]);
}

#[test]
fn mv_expand_of_a_parsed_string_column_replaces_the_column() {
    let t = run(&format!(
        "{ROWS} | mv-expand parse_json(Props) | where Props.Name == 'RequestType' | project v = tostring(Props.Value)"
    ));
    assert_eq!(t.num_rows(), 1);
    assert_eq!(t.row(0), vec![kqlite_engine::Value::string("Login")]);
}

#[test]
fn bag_unpack_over_a_table_known_only_when_the_query_runs_binds_an_open_schema() {
    let mut e = Engine::new();
    let rows = e
        .run(r#"datatable(Id: long, Bag: dynamic) [1, dynamic({"a": "x", "b": 2}), 2, dynamic({"a": "y"})]"#)
        .expect("datatable");
    e.add_table("Events", rows);
    // `a` and `b` are not in the table's schema: they bind as columns found
    // when the query runs.
    let t = e
        .run("Events | evaluate bag_unpack(Bag) | where a == 'x' | project Id, a, b")
        .expect("runs");
    assert_eq!(t.num_rows(), 1);
    // Columns found only when the query runs are typed `dynamic`.
    let texts: Vec<String> = t.row(0).iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["1", "x", "2"]);
}

#[test]
fn bag_unpack_with_a_declared_schema_has_exactly_those_columns() {
    let mut e = Engine::new();
    let rows = e
        .run(r#"datatable(Id: long, Bag: dynamic) [1, dynamic({"a": "x", "b": 2})]"#)
        .expect("datatable");
    e.add_table("Events", rows);
    let t = e
        .run("Events | evaluate bag_unpack(Bag) : (Id: long, a: string, c: string)")
        .expect("runs");
    assert_eq!(names(&t), ["Id", "a", "c"]);
    assert!(t.row(0)[2].is_null() || t.row(0)[2] == kqlite_engine::Value::string(""));
}

#[test]
fn arg_max_outputs_can_be_named_in_order() {
    let t = run(
        "datatable(Dev: string, T: long, Ip: string, Port: long) ['a', 1, 'x', 80, 'a', 2, 'y', 443] \
         | summarize (Last, LastIp) = arg_max(T, Ip, Port) by Dev",
    );
    assert_eq!(names(&t), ["Dev", "Last", "LastIp", "Port"]);
    let texts: Vec<String> = t.row(0).iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["a", "2", "y", "443"]);
}

#[test]
fn a_period_start_key_keeps_the_columns_name() {
    let t = run(
        "datatable(TimeGenerated: datetime) [datetime(2024-01-02 10:00), datetime(2024-01-02 11:00)] \
         | summarize n = count() by startofday(TimeGenerated) | sort by TimeGenerated desc",
    );
    assert_eq!(names(&t), ["TimeGenerated", "n"]);
}

#[test]
fn a_bool_compares_with_a_number_as_one_or_zero() {
    let t = run(
        "datatable(IsLocalAdmin: bool, n: long) [true, 1, false, 2, bool(null), 3] \
         | where IsLocalAdmin == 1 or IsLocalAdmin != 1 and n == 2 | project n",
    );
    let texts: Vec<String> = t.rows().map(|r| r[0].to_string()).collect();
    assert_eq!(texts, ["1", "2"]);
}

#[test]
fn a_wildcard_union_over_tables_known_only_by_schema_has_open_columns() {
    let mut e = Engine::new();
    e.add_schema(
        "AppEvents_CL",
        vec![("TimeGenerated".into(), kqlite_engine::DataType::DateTime)],
    );
    e.add_schema(
        "AppTraces_CL",
        vec![("TimeGenerated".into(), kqlite_engine::DataType::String)],
    );
    // The types clash, so the union's columns are `TimeGenerated_datetime`
    // and `TimeGenerated_string`; which tables a workspace has is not known,
    // so other names are accepted when checking.
    let d =
        e.check("union App* | where TimeGenerated > ago(1d) | summarize sum(_BilledSize) by Type");
    assert!(d.iter().all(|d| !d.is_error()), "{d:?}");
    let d = e.check("union AppEvents_CL | where TimeGenerate > ago(1d)");
    assert!(d.iter().any(|d| d.is_error()), "a plain union stays closed");
}

#[test]
fn a_distinct_conversion_keeps_the_columns_name() {
    let t = run(&format!("{ROWS} | distinct Country, tostring(Tld)"));
    assert_eq!(names(&t), ["Country", "Tld"]);
}

#[test]
fn later_items_of_an_extend_over_an_open_schema_see_open_columns() {
    let mut e = Engine::new();
    let rows = e
        .run(r##"datatable(Bag: dynamic) [dynamic({"@Name": "User", "#text": "ana"})]"##)
        .expect("datatable");
    e.add_table("Events", rows);
    let t = e
        .run("Events | evaluate bag_unpack(Bag) | extend Key = tostring(['@Name']), Value = ['#text'] | project Key, Value")
        .expect("runs");
    let texts: Vec<String> = t.row(0).iter().map(ToString::to_string).collect();
    assert_eq!(texts, ["User", "ana"]);
}

#[test]
fn a_union_with_an_open_leg_reads_that_leg_by_name_and_keeps_the_typed_columns() {
    let mut e = Engine::new();
    let events = e
        .run(r#"datatable(Host: string, Bag: dynamic) ["web1", dynamic({"Hash": "abc", "User": "ana"})]"#)
        .expect("datatable");
    e.add_table("Events", events);
    let procs = e
        .run(r#"datatable(Host: string, Hash: string) ["web2", "def"]"#)
        .expect("datatable");
    e.add_table("Procs", procs);
    let q = "union (Events | evaluate bag_unpack(Bag) | extend HashEntity = Hash), \
             (Procs | extend HashEntity = Hash) \
             | project Host, HashEntity | sort by Host asc";
    let t = e.run(q).unwrap_or_else(|err| panic!("{err:?}"));
    // `HashEntity` stays one string column, not `HashEntity_string` and
    // `HashEntity_dynamic`.
    assert_eq!(
        t.schema()
            .into_iter()
            .map(|(n, ty)| (n, ty.to_string()))
            .collect::<Vec<_>>(),
        [
            ("Host".to_string(), "string".to_string()),
            ("HashEntity".to_string(), "string".to_string())
        ]
    );
    let rows: Vec<Vec<String>> = t
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(rows, [["web1", "abc"], ["web2", "def"]]);
}
