//! Operator-level semantics that must match Kusto (see "Kusto semantics"
//! under "Invariants" in ARCHITECTURE.md).

use kqlite_engine::{DataType, Engine, Table, Value};

fn run(q: &str) -> Table {
    Engine::new()
        .run(q)
        .unwrap_or_else(|e| panic!("query failed: {e:?}\n{q}"))
}

fn names(t: &Table) -> Vec<String> {
    t.column_names().map(str::to_string).collect()
}

fn rows(t: &Table) -> Vec<Vec<String>> {
    t.rows()
        .map(|r| {
            r.iter()
                .map(|v| {
                    if v.is_null() {
                        "null".to_string()
                    } else {
                        v.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

fn error(q: &str) -> String {
    match Engine::new().run(q) {
        Ok(_) => panic!("query should fail: {q}"),
        Err(e) => format!("{e:?}"),
    }
}

fn sorted_rows(t: &Table) -> Vec<Vec<String>> {
    let mut r = rows(t);
    r.sort();
    r
}

const USERS: &str = r#"datatable(User: string, Country: string, Logons: long) [
    "alice", "US", 3,
    "bob", "RU", 1,
    "alice", "RU", 2,
    "carol", "", 5
]"#;

#[test]
fn summarize_puts_group_keys_first_and_names_aggregates_by_default() {
    let t = run(&format!(
        "{USERS} | summarize count(), sum(Logons), dcount(Country), make_set(Country) by User"
    ));
    assert_eq!(
        names(&t),
        vec![
            "User",
            "count_",
            "sum_Logons",
            "dcount_Country",
            "set_Country"
        ]
    );
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec!["alice", "2", "5", "2", r#"["US","RU"]"#],
            vec!["bob", "1", "1", "1", r#"["RU"]"#],
            vec!["carol", "1", "5", "1", r#"[""]"#],
        ]
    );
}

#[test]
fn clashing_aggregate_names_get_numeric_suffixes() {
    let t = run(&format!("{USERS} | summarize count(), count(), count()"));
    assert_eq!(names(&t), vec!["count_", "count_1", "count_2"]);
}

#[test]
fn summarize_by_bin_keeps_the_column_name() {
    let t = run(
        "datatable(TimeGenerated: datetime) [datetime(2024-01-01 10:15), datetime(2024-01-01 10:45), datetime(2024-01-01 11:05)]
         | summarize count() by bin(TimeGenerated, 1h)",
    );
    assert_eq!(names(&t), vec!["TimeGenerated", "count_"]);
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec!["2024-01-01T10:00:00.0000000Z", "2"],
            vec!["2024-01-01T11:00:00.0000000Z", "1"],
        ]
    );
}

#[test]
fn a_null_key_is_its_own_group() {
    let t = run("datatable(k: long, v: long) [1, 10, long(null), 20, 1, 30, long(null), 40] | summarize sum(v) by k");
    assert_eq!(sorted_rows(&t), vec![vec!["1", "40"], vec!["null", "60"]]);
}

#[test]
fn summarize_without_by_on_empty_input_gives_one_row() {
    let t = run("datatable(x: long) [] | summarize count(), make_set(x), sum(x)");
    assert_eq!(rows(&t), vec![vec!["0", "[]", "null"]]);
}

#[test]
fn summarize_with_by_on_empty_input_gives_no_rows() {
    let t = run("datatable(x: long) [] | summarize count() by x");
    assert_eq!(t.num_rows(), 0);
    assert_eq!(names(&t), vec!["x", "count_"]);
}

#[test]
fn sort_is_descending_by_default_and_stable() {
    let t = run(&format!("{USERS} | sort by User | project User, Country"));
    assert_eq!(
        rows(&t),
        vec![
            vec!["carol", ""],
            vec!["bob", "RU"],
            vec!["alice", "US"],
            vec!["alice", "RU"]
        ]
    );
}

#[test]
fn nulls_sort_first_ascending_and_last_descending() {
    let t = run("datatable(x: long) [2, long(null), 1] | order by x asc");
    assert_eq!(rows(&t), vec![vec!["null"], vec!["1"], vec!["2"]]);
    let t = run("datatable(x: long) [2, long(null), 1] | order by x desc");
    assert_eq!(rows(&t), vec![vec!["2"], vec!["1"], vec!["null"]]);
}

#[test]
fn top_sorts_descending_by_default() {
    let t = run(&format!("{USERS} | top 2 by Logons | project Logons"));
    assert_eq!(rows(&t), vec![vec!["5"], vec!["3"]]);
}

const LEFT: &str = r#"datatable(Key: string, L: long) ["a", 1, "a", 2, "b", 3, "c", 4]"#;
const RIGHT: &str = r#"datatable(Key: string, R: long) ["a", 10, "a", 20, "b", 30, "d", 40]"#;

#[test]
fn join_defaults_to_innerunique_which_deduplicates_left_keys() {
    let t = run(&format!("{LEFT} | join ({RIGHT}) on Key"));
    assert_eq!(names(&t), vec!["Key", "L", "Key1", "R"]);
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec!["a", "1", "a", "10"],
            vec!["a", "1", "a", "20"],
            vec!["b", "3", "b", "30"]
        ]
    );
}

#[test]
fn inner_join_keeps_every_left_row() {
    let t = run(&format!("{LEFT} | join kind=inner ({RIGHT}) on Key"));
    assert_eq!(t.num_rows(), 5);
}

#[test]
fn outer_joins_fill_the_missing_side_with_nulls() {
    let t = run(&format!(
        "{LEFT} | join kind=leftouter ({RIGHT}) on Key | where Key == \"c\""
    ));
    assert_eq!(rows(&t), vec![vec!["c", "4", "", "null"]]);
    let t = run(&format!("{LEFT} | join kind=fullouter ({RIGHT}) on Key"));
    assert_eq!(t.num_rows(), 7);
    let t = run(&format!(
        "{LEFT} | join kind=rightouter ({RIGHT}) on Key | where Key1 == \"d\""
    ));
    assert_eq!(rows(&t), vec![vec!["", "null", "d", "40"]]);
}

#[test]
fn semi_and_anti_joins_keep_one_side() {
    let t = run(&format!("{LEFT} | join kind=leftanti ({RIGHT}) on Key"));
    assert_eq!(rows(&t), vec![vec!["c", "4"]]);
    let t = run(&format!("{LEFT} | join kind=leftsemi ({RIGHT}) on Key"));
    assert_eq!(t.num_rows(), 3);
    let t = run(&format!("{LEFT} | join kind=rightanti ({RIGHT}) on Key"));
    assert_eq!(rows(&t), vec![vec!["d", "40"]]);
    let t = run(&format!("{LEFT} | join kind=rightsemi ({RIGHT}) on Key"));
    assert_eq!(names(&t), vec!["Key", "R"]);
    assert_eq!(t.num_rows(), 3);
}

#[test]
fn join_on_differently_named_keys() {
    let t = run(&format!(
        "{LEFT} | join kind=inner ({RIGHT} | project-rename K2 = Key) on $left.Key == $right.K2"
    ));
    assert_eq!(names(&t), vec!["Key", "L", "K2", "R"]);
    assert_eq!(t.num_rows(), 5);
}

#[test]
fn lookup_defaults_to_leftouter_and_keeps_one_key_column() {
    let t = run(&format!(
        "{LEFT} | lookup ({RIGHT} | summarize R = max(R) by Key) on Key"
    ));
    assert_eq!(names(&t), vec!["Key", "L", "R"]);
    assert_eq!(
        rows(&t),
        vec![
            vec!["a", "1", "20"],
            vec!["a", "2", "20"],
            vec!["b", "3", "30"],
            vec!["c", "4", "null"]
        ]
    );
}

#[test]
fn union_matches_columns_by_name_and_unions_the_column_sets() {
    let t = run("union (datatable(a: long, b: string) [1, \"x\"]), (datatable(b: string, c: long) [\"y\", 2])");
    assert_eq!(names(&t), vec!["a", "b", "c"]);
    assert_eq!(
        sorted_rows(&t),
        vec![vec!["1", "x", "null"], vec!["null", "y", "2"]]
    );
}

#[test]
fn union_kind_inner_keeps_common_columns_and_withsource_names_inputs() {
    let t = run(
        "let A = datatable(a: long, b: string) [1, \"x\"]; let B = datatable(b: string, c: long) [\"y\", 2];
         union kind=inner withsource=Source A, B",
    );
    assert_eq!(names(&t), vec!["Source", "b"]);
    assert_eq!(sorted_rows(&t), vec![vec!["A", "x"], vec!["B", "y"]]);
}

#[test]
fn mv_expand_gives_a_row_per_element_one_for_null_and_none_for_empty() {
    let t = run(
        "datatable(id: long, xs: dynamic) [1, dynamic([10, 20]), 2, dynamic(null), 3, dynamic([])]
         | mv-expand xs",
    );
    assert_eq!(
        rows(&t),
        vec![vec!["1", "10"], vec!["1", "20"], vec!["2", "null"]]
    );
}

#[test]
fn mv_expand_of_a_bag_gives_a_row_per_key() {
    let t = run(r#"print b = dynamic({"x": 1, "y": 2}) | mv-expand b"#);
    assert_eq!(rows(&t), vec![vec![r#"{"x":1}"#], vec![r#"{"y":2}"#]]);
}

#[test]
fn mv_expand_converts_types_and_reports_item_indexes() {
    let t = run("print xs = dynamic([3, 4]) | mv-expand with_itemindex=i xs to typeof(long)");
    assert_eq!(names(&t), vec!["xs", "i"]);
    assert_eq!(t.row(1), vec![Value::Long(4), Value::Long(1)]);
}

#[test]
fn print_names_unnamed_columns_by_position() {
    let t = run("print 1, x = 2, \"a\"");
    assert_eq!(names(&t), vec!["print_0", "x", "print_2"]);
}

#[test]
fn range_includes_both_ends() {
    assert_eq!(
        rows(&run("range i from 1 to 3 step 1")),
        vec![vec!["1"], vec!["2"], vec!["3"]]
    );
    assert_eq!(run("range i from 10 to 1 step -3").num_rows(), 4);
    assert_eq!(run("range i from 1 to 0 step 1").num_rows(), 0);
}

#[test]
fn unnamed_computed_columns_are_numbered_and_member_access_is_named_by_path() {
    let t = run(
        r#"print d = dynamic({"city": "Oslo"}), s = "x" | project tostring(s), d.city, strlen(s)"#,
    );
    assert_eq!(names(&t), vec!["Column1", "d_city", "Column2"]);
}

#[test]
fn project_away_keep_rename_and_reorder_accept_wildcards() {
    let base = "print IsA = 1, IsB = 2, Name = 3";
    assert_eq!(
        names(&run(&format!("{base} | project-away Is*"))),
        vec!["Name"]
    );
    assert_eq!(
        names(&run(&format!("{base} | project-keep Is*"))),
        vec!["IsA", "IsB"]
    );
    assert_eq!(
        names(&run(&format!("{base} | project-rename N = Name"))),
        vec!["IsA", "IsB", "N"]
    );
    assert_eq!(
        names(&run(&format!("{base} | project-reorder Name, IsB"))),
        vec!["Name", "IsB", "IsA"]
    );
}

#[test]
fn distinct_keeps_one_row_per_value_tuple() {
    let t = run(&format!("{USERS} | distinct User"));
    assert_eq!(
        sorted_rows(&t),
        vec![vec!["alice"], vec!["bob"], vec!["carol"]]
    );
}

#[test]
fn let_materialize_and_toscalar_compose() {
    let t = run(&format!(
        "let U = materialize({USERS}); let Max = toscalar(U | summarize max(Logons)); U | where Logons == Max | project User"
    ));
    assert_eq!(rows(&t), vec![vec!["carol"]]);
}

#[test]
fn in_with_a_tabular_right_side_uses_its_first_column() {
    let t = run(&format!(
        "{USERS} | where User in ((datatable(n: string) [\"bob\", \"carol\"])) | project User"
    ));
    assert_eq!(rows(&t), vec![vec!["bob"], vec!["carol"]]);
}

#[test]
fn serialize_numbers_rows_and_prev_next_look_around() {
    let t = run(
        "range x from 1 to 3 step 1 | serialize n = row_number(), p = prev(x), q = next(x, 1, 0)",
    );
    assert_eq!(
        rows(&t),
        vec![
            vec!["1", "1", "null", "2"],
            vec!["2", "2", "1", "3"],
            vec!["3", "3", "2", "0"]
        ]
    );
}

#[test]
fn getschema_lists_names_and_types() {
    let t = run("print a = 1, b = \"x\" | getschema");
    assert_eq!(
        rows(&t),
        vec![
            vec!["a", "0", "System.Int64", "long"],
            vec!["b", "1", "System.String", "string"]
        ]
    );
}

#[test]
fn a_string_compared_with_a_number_compares_its_text() {
    let t = run("datatable(ResultType: string) [\"0\", \"50126\"] | where ResultType == 0");
    assert_eq!(rows(&t), vec![vec!["0"]]);
}

#[test]
fn user_functions_take_tables_and_scalars() {
    let t = run(&format!(
        "let over = (T: (Logons: long), n: long = 2) {{ T | where Logons > n }}; over({USERS}, 3) | project User"
    ));
    assert_eq!(rows(&t), vec![vec!["carol"]]);
}

#[test]
fn arg_max_star_returns_the_whole_row_without_repeating_group_keys() {
    let t = run(r#"datatable(Fruit: string, Color: string, Version: int) [
            "Apple", "Red", 1, "Apple", "Green", int(null),
            "Banana", "Yellow", int(null), "Banana", "Green", int(null),
            "Pear", "Brown", 1, "Pear", "Green", 2]
        | summarize arg_max(Version, *) by Fruit"#);
    assert_eq!(names(&t), vec!["Fruit", "Version", "Color"]);
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec!["Apple", "1", "Red"],
            vec!["Banana", "null", "Yellow"],
            vec!["Pear", "2", "Green"]
        ]
    );
}

#[test]
fn arg_min_with_listed_columns_returns_those_columns() {
    let t = run(&format!("{USERS} | summarize arg_min(Logons, User)"));
    assert_eq!(names(&t), vec!["Logons", "User"]);
    assert_eq!(rows(&t), vec![vec!["1", "bob"]]);
}

#[test]
fn parse_extracts_typed_columns_and_leaves_nulls_on_mismatch() {
    let t = run(
        r#"datatable(Line: string) ["user=alice id=42 rest of line", "garbage"]
        | parse Line with "user=" User " id=" Id:long " " Rest"#,
    );
    assert_eq!(names(&t), vec!["Line", "User", "Id", "Rest"]);
    assert_eq!(
        rows(&t)[0],
        vec![
            "user=alice id=42 rest of line",
            "alice",
            "42",
            "rest of line"
        ]
    );
    assert_eq!(rows(&t)[1], vec!["garbage", "", "null", ""]);
}

#[test]
fn parse_where_drops_rows_that_do_not_match() {
    let t = run(
        r#"datatable(Line: string) ["a=1", "b", "a=2"] | parse-where Line with * "=" N:long | project N"#,
    );
    assert_eq!(rows(&t), vec![vec!["1"], vec!["2"]]);
}

#[test]
fn expressions_around_aggregates_are_computed_per_group() {
    let t = run(&format!(
        "{USERS} | summarize Share = 100 * sum(Logons) / 11, count(), tolower(strcat(\"N\", tostring(dcount(Country)))) by User"
    ));
    assert_eq!(names(&t), vec!["User", "Share", "count_", "Column1"]);
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec!["alice", "45", "2", "n2"],
            vec!["bob", "9", "1", "n1"],
            vec!["carol", "45", "1", "n1"]
        ]
    );
}

#[test]
fn mv_apply_runs_the_subquery_on_each_record() {
    let t = run(
        "datatable(row: int, Arr: dynamic) [0, dynamic([5, 1, 3]), 1, dynamic([4, 10, 8, 7])]
         | mv-apply Arr2 = Arr to typeof(long) on (top 2 by Arr2 | summarize Top2 = make_list(Arr2))",
    );
    assert_eq!(names(&t), vec!["row", "Arr", "Top2"]);
    assert_eq!(
        rows(&t),
        vec![
            vec!["0", "[5,1,3]", "[5,3]"],
            vec!["1", "[4,10,8,7]", "[10,8]"]
        ]
    );
}

#[test]
fn mv_apply_in_place_drops_the_expanded_column() {
    let t =
        run("print xs = dynamic([1, 2, 3]) | mv-apply xs on (summarize total = sum(tolong(xs)))");
    assert_eq!(names(&t), vec!["total"]);
    assert_eq!(rows(&t), vec![vec!["6"]]);
}

#[test]
fn union_of_one_name_with_two_types_keeps_a_column_per_type() {
    let t = run("union (print x = 1), (print x = \"a\")");
    assert_eq!(names(&t), vec!["x_long", "x_string"]);
    assert_eq!(sorted_rows(&t), vec![vec!["1", ""], vec!["null", "a"]]);
}

#[test]
fn make_series_fills_empty_bins_with_the_default() {
    let t = run(
        "datatable(t: datetime, k: string, v: long) [
            datetime(2017-01-01 10:00), \"a\", 4, datetime(2017-01-01 20:00), \"a\", 2,
            datetime(2017-01-03), \"a\", 5, datetime(2017-01-02), \"b\", 1, datetime(2017-01-05), \"a\", 9]
         | make-series total = sum(v) default = -1 on t from datetime(2017-01-01) to datetime(2017-01-04) step 1d by k",
    );
    assert_eq!(names(&t), vec!["k", "total", "t"]);
    assert_eq!(
        sorted_rows(&t)[0],
        vec![
            "a",
            "[6,-1,5]",
            r#"["2017-01-01T00:00:00.0000000Z","2017-01-02T00:00:00.0000000Z","2017-01-03T00:00:00.0000000Z"]"#
        ]
    );
    assert_eq!(sorted_rows(&t)[1][1], "[-1,1,-1]");
}

#[test]
fn join_conditions_combine_with_and_or_commas() {
    let t = run(
        "datatable(a: long, b: long, l: string) [1, 1, \"x\", 1, 2, \"y\"]
         | join kind=inner (datatable(c: long, d: long, r: string) [1, 2, \"z\"]) on $left.a == $right.c and $left.b == $right.d
         | project l, r",
    );
    assert_eq!(rows(&t), vec![vec!["y", "z"]]);
}

#[test]
fn as_names_a_table_for_later_use_and_for_union_withsource() {
    let t = run(
        "range x from 1 to 2 step 1 | as hint.materialized=true R | union withsource=Source (R | extend y = 1)",
    );
    assert_eq!(names(&t), vec!["Source", "x", "y"]);
    assert_eq!(t.num_rows(), 4);
    let from_r: Vec<Vec<String>> = sorted_rows(&t)
        .into_iter()
        .filter(|r| r[0] == "R")
        .collect();
    assert_eq!(from_r, vec![vec!["R", "1", "null"], vec!["R", "2", "null"]]);
}

#[test]
fn fuzzy_union_skips_missing_tables() {
    let t = run("let A = print x = 1; union isfuzzy=true A, NoSuchTable");
    assert_eq!(rows(&t), vec![vec!["1"]]);
    assert!(Engine::new()
        .run("let A = print x = 1; union A, NoSuchTable")
        .is_err());
}

mod operators_added {
    use kqlite_engine::{Engine, Value};

    fn rows(q: &str) -> Vec<Vec<Value>> {
        match Engine::new().run(q) {
            Ok(t) => t.rows().collect(),
            Err(e) => panic!("{q}: {e}"),
        }
    }

    #[test]
    fn scan_accumulates_a_running_total() {
        let r = rows("range x from 1 to 4 step 1 | scan declare (c:long=0) with (step s: true => c = x + s.c;) | project c");
        assert_eq!(
            r,
            vec![
                vec![Value::Long(1)],
                vec![Value::Long(3)],
                vec![Value::Long(6)],
                vec![Value::Long(10)]
            ]
        );
    }

    #[test]
    fn bag_unpack_of_a_constant_table_makes_sorted_typed_columns() {
        let r = rows(
            r#"datatable(d:dynamic)[dynamic({"b":1,"a":"x"})] | evaluate bag_unpack(d) | project a, b"#,
        );
        assert_eq!(r, vec![vec![Value::String("x".into()), Value::Long(1)]]);
    }

    #[test]
    fn columns_from_bag_unpack_survive_parse_and_mv_expand() {
        let r = rows(
            r#"datatable(d:dynamic)[dynamic({"Cmd":"a /x:t1","User":"u1"})]
               | evaluate bag_unpack(d)
               | parse Cmd with * "/x:" token
               | mv-expand Item = dynamic([1, 2])
               | where User != "zz"
               | project User, token, Item"#,
        );
        let row = |i: i64| {
            vec![
                Value::String("u1".into()),
                Value::String("t1".into()),
                Value::Dynamic(kqlite_engine::Dynamic::Long(i)),
            ]
        };
        assert_eq!(r, vec![row(1), row(2)]);
    }

    #[test]
    fn sample_returns_at_most_the_requested_rows() {
        assert_eq!(rows("range x from 1 to 100 step 1 | sample 3").len(), 3);
    }

    #[test]
    fn declared_patterns_resolve_by_argument_and_path() {
        let r = rows(
            r#"declare pattern p = (a:string)[b:string] { ("x").["y"] = { print v = 1 }; ("x").["z"] = { print v = 2 }; }; p("x").z"#,
        );
        assert_eq!(r, vec![vec![Value::Long(2)]]);
    }

    #[test]
    fn extract_with_a_type_converts_the_group() {
        let r = rows(r#"print v = extract("-(\\d+)-", 1, "a-07-b", typeof(int))"#);
        assert_eq!(r, vec![vec![Value::Int(7)]]);
    }

    #[test]
    fn pack_all_packs_every_column() {
        let r = rows("print a = 1, b = 'x' | extend p = tostring(pack_all()) | project p");
        assert_eq!(r, vec![vec![Value::String(r#"{"a":1,"b":"x"}"#.into())]]);
    }
}

// Calls and plugins whose result depends on constants, schemas or `set`
// options.

#[test]
fn column_names_of_lists_a_tables_columns_in_order() {
    let t = run("let T = datatable(Zed: string, Alpha: long) []; print c = column_names_of(T)");
    assert_eq!(rows(&t), vec![vec![r#"["Zed","Alpha"]"#.to_string()]]);
}

#[test]
fn bin_auto_bins_by_the_size_and_origin_set_for_the_query() {
    let t = run(
        "set query_bin_auto_size = 1h;\nset query_bin_auto_at = datetime(2020-01-01 00:30);\n\
         range T from datetime(2020-01-01 00:30) to datetime(2020-01-01 02:00) step 30m\n\
         | summarize count() by bin_auto(T)",
    );
    assert_eq!(t.column_names().collect::<Vec<_>>(), vec!["T", "count_"]);
    assert_eq!(t.num_rows(), 2);
}

#[test]
fn bin_auto_without_a_size_option_is_an_error() {
    let e = error("range x from 1 to 3 step 1 | summarize count() by bin_auto(x)");
    assert!(e.contains("query_bin_auto_size"), "{e}");
}

#[test]
fn datetime_diff_in_weeks_is_typed_real() {
    let t = run(
        "print w = datetime_diff('week', datetime(2017-10-29), datetime(2017-09-30 23:59)), \
         d = datetime_diff('day', datetime(2017-10-29), datetime(2017-09-30 23:59))",
    );
    let types: Vec<DataType> = t.schema().into_iter().map(|(_, ty)| ty).collect();
    assert_eq!(types, vec![DataType::Real, DataType::Long]);
    assert_eq!(rows(&t), vec![vec!["5".to_string(), "29".to_string()]]);
}

#[test]
fn an_unnamed_dcount_hll_column_is_named_like_its_aggregate() {
    let t = run("range x from 1 to 5 step 1 | summarize h = hll(x) | project dcount_hll(h)");
    assert_eq!(t.column_names().collect::<Vec<_>>(), vec!["dcount_hll_h"]);
    assert_eq!(sorted_rows(&t), vec![vec!["5".to_string()]]);
}

#[test]
fn dynamic_calls_nested_in_a_dynamic_literal_keep_their_values() {
    let t = run("print d = dynamic({'a': dynamic({'b': 1}), 'e': dynamic({})})");
    assert_eq!(rows(&t), vec![vec![r#"{"a":{"b":1},"e":{}}"#.to_string()]]);
}

const VISITS: &str = r#"datatable(User: string, At: datetime) [
    "a", datetime(2021-03-01), "b", datetime(2021-03-01), "a", datetime(2021-03-01),
    "c", datetime(2021-03-02),
    "a", datetime(2021-03-03), "c", datetime(2021-03-03),
    "b", datetime(2021-03-05)
]"#;

#[test]
fn sliding_window_counts_count_rows_and_users_of_the_lookback_ending_each_bin() {
    let t = run(&format!(
        "{VISITS} | evaluate sliding_window_counts(User, At, datetime(2021-03-01), \
         datetime(2021-03-05), 2d, 1d)"
    ));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["At", "Count", "Dcount"]
    );
    let got: Vec<(String, String)> = sorted_rows(&t)
        .into_iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    // Mar 1: 3 rows/2 users; Mar 2: +1 row; Mar 3: Mar 2-3; Mar 4: Mar 3-4;
    // Mar 5: Mar 4-5.
    let want = [("3", "2"), ("4", "3"), ("3", "2"), ("2", "2"), ("1", "1")];
    assert_eq!(
        got,
        want.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
}

#[test]
fn active_users_count_counts_users_seen_in_enough_periods_of_the_lookback() {
    // "a" is seen on 3 days within 3 days on Mar 3 only.
    let t = run(&format!(
        "{VISITS} | evaluate active_users_count(User, At, datetime(2021-03-01), \
         datetime(2021-03-05), 3d, 1d, 2, 7d)"
    ));
    assert_eq!(t.column_names().collect::<Vec<_>>(), vec!["At", "dcount"]);
    // a (Mar 1 + Mar 3) and c (Mar 2 + Mar 3) are active in the week bin.
    assert_eq!(
        rows(&t),
        vec![vec![
            "2021-03-01T00:00:00.0000000Z".to_string(),
            "2".to_string()
        ]]
    );
}

#[test]
fn session_count_starts_a_session_after_a_gap_of_the_lookback() {
    let t = run("datatable(Id: long, T: long) [1, 1, 1, 3, 1, 9, 2, 12]\n\
         | evaluate session_count(Id, T, 0, 20, 10, 5)");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["T", "count_sessions"]
    );
    // Id 1: sessions start at 1 and 9 (gap 6); id 2 at 12.
    assert_eq!(
        rows(&t),
        vec![
            vec!["0".to_string(), "2".to_string()],
            vec!["10".to_string(), "1".to_string()]
        ]
    );
}

#[test]
fn rolling_percentile_names_its_column_after_the_window_value_and_percentile() {
    let t = run("range i from 1 to 6 step 1 | extend v = i * 10\n\
         | evaluate rolling_percentile(v, 50, i, 2, 2)");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["i", "rolling_2_percentile_v_50"]
    );
    // Bins 0 {10}, 2 {20,30} + {10}, 4 {40,50} + {20,30}, 6 {60} + {40,50}.
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec!["0".to_string(), "10".to_string()],
            vec!["2".to_string(), "20".to_string()],
            vec!["4".to_string(), "30".to_string()],
            vec!["6".to_string(), "50".to_string()]
        ]
    );
}

#[test]
fn activity_metrics_compare_each_window_with_the_previous_one() {
    let t = run(&format!(
        "{VISITS} | evaluate activity_metrics(User, At, datetime(2021-03-01), \
         datetime(2021-03-04), 2d)"
    ));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec![
            "At",
            "dcount_values",
            "dcount_newvalues",
            "retention_rate",
            "churn_rate"
        ]
    );
    // Window Mar 1-2: a, b, c. Window Mar 3-4: a, c (b churned).
    let r = rows(&t);
    assert_eq!(r[0][1..], ["3", "3", "1", "0"]);
    assert_eq!(r[1][1..3], ["2", "0"]);
    assert!(r[1][3].starts_with("0.666"), "{r:?}");
}

#[test]
fn new_activity_metrics_follow_each_cohort_of_first_seen_users() {
    let t = run(&format!(
        "{VISITS} | evaluate new_activity_metrics(User, At, datetime(2021-03-01), \
         datetime(2021-03-04), 2d)\n| project from_At, to_At, dcount_new_values, dcount_retained_values"
    ));
    let r = sorted_rows(&t);
    assert_eq!(r.len(), 3);
    // Cohort Mar 1 (a, b, c): 2 of them seen Mar 3-4. Cohort Mar 3 is empty.
    assert_eq!(r[0][2..], ["3", "3"]);
    assert_eq!(r[1][2..], ["3", "2"]);
    assert_eq!(r[2][2..], ["0", "0"]);
}

#[test]
fn activity_engagement_divides_inner_by_outer_distinct_counts() {
    let t = run(&format!(
        "{VISITS} | evaluate activity_engagement(User, At, datetime(2021-03-01), \
         datetime(2021-03-03), 1d, 2d) | project At, activity_ratio"
    ));
    // Mar 1: 2/2; Mar 2: c / {a,b,c}; Mar 3: {a,c} / {a,c}.
    let r = rows(&t);
    assert_eq!(r[0][1], "1");
    assert!(r[1][1].starts_with("0.333"), "{r:?}");
    assert_eq!(r[2][1], "1");
}

#[test]
fn ipv4_lookup_matches_the_most_specific_network() {
    let t = run("let nets = datatable(net: string, label: string) \
         ['10.0.0.0/8', 'wide', '10.1.0.0/16', 'narrow'];\n\
         datatable(ip: string) ['10.1.2.3', '10.9.9.9', '192.168.0.1']\n\
         | evaluate ipv4_lookup(nets, ip, net, return_unmatched = true)");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["ip", "net", "label"]
    );
    assert_eq!(
        sorted_rows(&t),
        vec![
            vec![
                "10.1.2.3".to_string(),
                "10.1.0.0/16".to_string(),
                "narrow".to_string()
            ],
            vec![
                "10.9.9.9".to_string(),
                "10.0.0.0/8".to_string(),
                "wide".to_string()
            ],
            vec!["192.168.0.1".to_string(), String::new(), String::new()],
        ]
    );
}

#[test]
fn ipv6_lookup_puts_the_lookup_columns_first_and_drops_unmatched_rows() {
    let t = run("let nets = datatable(net: string) ['2001:db8::/32'];\n\
         datatable(ip: string) ['2001:db8::1', 'fe80::1']\n\
         | evaluate ipv6_lookup(nets, ip, net)");
    assert_eq!(t.column_names().collect::<Vec<_>>(), vec!["net", "ip"]);
    assert_eq!(
        rows(&t),
        vec![vec!["2001:db8::/32".to_string(), "2001:db8::1".to_string()]]
    );
}

#[test]
fn schema_merge_flags_columns_whose_position_changed() {
    let q = "let a = datatable(X: string, Z: long) [] | getschema;\n\
             let b = datatable(X: string, Y: string, Z: long) [] | getschema;\n";
    let kept = run(&format!("{q}union a, b | evaluate schema_merge()"));
    let r = sorted_rows(&kept);
    assert_eq!(r[0][..2], ["X", "0"]);
    assert_eq!(r[1][..2], ["Y", "1"]);
    assert_eq!(r[2][..2], ["Z", "-1"]);
    let loose = run(&format!(
        "{q}union a, b | evaluate schema_merge(PreserveOrder = false)"
    ));
    assert_eq!(sorted_rows(&loose)[2][..2], ["Z", "2"]);
}

#[test]
fn lookup_plugins_reject_extra_keys_as_not_supported() {
    let e = error(
        "let nets = datatable(net: string, k: string) [];\n\
         datatable(ip: string, k2: string) [] | evaluate ipv4_lookup(nets, ip, net, k2)",
    );
    assert!(e.contains("not supported"), "{e}");
}

#[test]
fn geo_polygon_lookup_pairs_points_with_the_polygons_containing_them() {
    let t = run("let zones = datatable(zone: string, shape: dynamic) [\n\
         'square', dynamic({'type':'Polygon','coordinates':[[[0,0],[2,0],[2,2],[0,2],[0,0]]]})];\n\
         datatable(name: string, lon: real, lat: real) ['in', 1.0, 1.0, 'out', 5.0, 5.0]\n\
         | evaluate geo_polygon_lookup(zones, shape, lon, lat, return_unmatched = true)");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["name", "lon", "lat", "zone"]
    );
    let r = sorted_rows(&t);
    assert_eq!(r[0][0], "in");
    assert_eq!(r[0][3], "square");
    assert_eq!(r[1][0], "out");
    assert_eq!(r[1][3], "");
}

#[test]
fn geo_line_lookup_matches_lines_within_the_radius() {
    let q = |radius: u32| {
        format!(
            "let roads = datatable(road: string, line: dynamic) [\n\
             'r', dynamic({{'type':'LineString','coordinates':[[0,0],[0,1]]}})];\n\
             datatable(name: string, lon: real, lat: real) ['p', 0.001, 0.5]\n\
             | evaluate geo_line_lookup(roads, line, lon, lat, {radius}, return_lookup_key = true)"
        )
    };
    // The point is about 111 m east of the line.
    assert_eq!(run(&q(50)).num_rows(), 0);
    let t = run(&q(200));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["name", "lon", "lat", "road", "line"]
    );
    assert_eq!(t.num_rows(), 1);
}

#[test]
fn geo_lookup_columns_named_like_source_columns_get_a_suffix() {
    let t = run("let zones = datatable(lon: real, shape: dynamic) [\n\
         7.0, dynamic({'type':'Polygon','coordinates':[[[0,0],[2,0],[2,2],[0,2],[0,0]]]})];\n\
         datatable(lon: real, lat: real) [1.0, 1.0]\n\
         | evaluate geo_polygon_lookup(zones, shape, lon, lat)");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["lon", "lat", "lon1"]
    );
    assert_eq!(rows(&t)[0][2], "7");
}

const SALES: &str = r#"datatable(Region: string, City: string, Amount: long) [
    "east", "a", 5, "east", "b", 1, "east", "c", 3,
    "west", "d", 4, "west", "e", 2,
    "north", "f", 1
]"#;

#[test]
fn top_nested_keeps_the_best_values_of_each_level_under_each_parent() {
    let t = run(&format!(
        "{SALES} | top-nested 2 of Region by total = sum(Amount), \
         top-nested 1 of City by best = max(Amount)"
    ));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["Region", "total", "City", "best"]
    );
    // east (9) and west (6) survive; their best city follows each.
    assert_eq!(
        rows(&t),
        vec![vec!["east", "9", "a", "5"], vec!["west", "6", "d", "4"]]
    );
}

#[test]
fn top_nested_names_unnamed_aggregates_after_their_level_and_honours_asc() {
    let t = run(&format!(
        "{SALES} | top-nested 1 of Region by sum(Amount) asc"
    ));
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["Region", "aggregated_Region"]
    );
    assert_eq!(rows(&t), vec![vec!["north", "1"]]);
}

#[test]
fn top_nested_breaks_aggregate_ties_by_the_value_in_the_same_direction() {
    let t = run("datatable(k: string) ['a', 'b'] | top-nested of k by n = count()");
    assert_eq!(rows(&t), vec![vec!["b", "1"], vec!["a", "1"]]);
}

#[test]
fn top_nested_with_others_is_not_supported() {
    let e = error(&format!(
        "{SALES} | top-nested 1 of Region with others = 'rest' by sum(Amount)"
    ));
    assert!(e.contains("not supported"), "{e}");
}

#[test]
fn search_unions_the_views_in_scope_and_names_each_rows_table() {
    let t = run("let A = view () { datatable(n: long) [1, 5] };\n\
         let B = view () { datatable(n: long, s: string) [5, 'x'] };\n\
         let C = datatable(n: long) [5];\n\
         search n == 5");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["$table", "n", "s"]
    );
    // `C` is a plain `let`, not a view: it is not searched.
    assert_eq!(
        sorted_rows(&t),
        vec![vec!["A", "5", ""], vec!["B", "5", "x"]]
    );
}

#[test]
fn search_for_a_term_matches_any_column_as_text() {
    let t = run(
        "datatable(a: string, b: long) ['alpha beta', 1, 'gamma', 42]\n\
         | search '42'",
    );
    assert_eq!(rows(&t), vec![vec!["gamma", "42"]]);
    let t = run("datatable(a: string) ['Alpha'] | search kind=case_sensitive 'alpha'");
    assert_eq!(t.num_rows(), 0);
}

#[test]
fn search_with_a_trailing_wildcard_term_matches_term_prefixes() {
    let t = run("datatable(a: string) ['xy z', 'zx'] | search 'x*'");
    assert_eq!(rows(&t), vec![vec!["xy z".to_string()]]);
}

#[test]
fn time_window_plugins_refuse_timelines_with_too_many_bins() {
    let e = error(&format!(
        "{VISITS} | evaluate sliding_window_counts(User, At, datetime(2000-01-01), \
         datetime(2021-03-05), 1s, 1s)"
    ));
    assert!(e.contains("bins"), "{e}");
}

#[test]
fn percentiles_gives_a_column_per_percentile_named_after_it() {
    let t =
        run("range x from 1 to 100 step 1 | summarize percentiles(x, 50, 99.5), percentile(x, 10)");
    assert_eq!(
        names(&t),
        vec!["percentile_x_50", "percentile_x_99_5", "percentile_x_10"]
    );
    assert_eq!(rows(&t), vec![vec!["50", "100", "10"]]);
    let t = run(
        "range x from 1 to 100 step 1 | summarize (lo, hi) = percentiles(x, 5, 95) by odd = x % 2",
    );
    assert_eq!(names(&t), vec!["odd", "lo", "hi"]);
}

#[test]
fn percentiles_with_the_wrong_number_of_names_is_an_error() {
    let e = error("range x from 1 to 9 step 1 | summarize (a, b, c) = percentiles(x, 5, 95)");
    assert!(e.contains("output names"), "{e}");
}

#[test]
fn activity_counts_metrics_count_rows_users_new_users_and_users_so_far() {
    let t = run(&format!(
        "{VISITS} | evaluate activity_counts_metrics(User, At, datetime(2021-03-01), \
         datetime(2021-03-04), 2d)"
    ));
    assert_eq!(
        names(&t),
        vec!["At", "count", "dcount", "new_dcount", "aggregated_dcount"]
    );
    // Mar 1-2: 4 rows of a, b, c. Mar 3-4: 2 rows of a, c (none new).
    assert_eq!(
        sorted_rows(&t)
            .into_iter()
            .map(|r| r[1..].to_vec())
            .collect::<Vec<_>>(),
        vec![vec!["4", "3", "3", "3"], vec!["2", "2", "0", "3"]]
    );
}
