use super::*;
use crate::registry::Registry;

fn col(values: &[Value], ty: DataType) -> ColumnarValue {
    let mut b = ColumnBuilder::new(ty, values.len());
    for v in values {
        b.push(v).unwrap();
    }
    ColumnarValue::Column(Arc::new(b.finish()))
}

fn strings(values: &[&str]) -> ColumnarValue {
    ColumnarValue::Column(Arc::new(Column::new(ColumnData::String(
        StringColumn::dictionary(values.iter().copied()),
    ))))
}

/// Runs aggregate `name` over `args` grouped by `groups`.
fn run(
    name: &str,
    args: &[ColumnarValue],
    constants: &[Option<Value>],
    groups: &[u32],
) -> Vec<Value> {
    let f = Registry::builtin().aggregate(name).unwrap();
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    let n = groups.iter().map(|&g| g as usize + 1).max().unwrap_or(1);
    let mut acc = f.accumulator(&types, constants).unwrap();
    acc.update(args, groups, n).unwrap();
    let out = acc.finish(n).unwrap();
    (0..n).map(|i| out.get(i)).collect()
}

fn json(v: serde_json::Value) -> Value {
    Value::Dynamic(Dynamic::from_json(&v))
}

#[test]
fn count_and_countif_count_rows_per_group() {
    assert_eq!(
        run("count", &[], &[], &[0, 1, 0]),
        [Value::Long(2), Value::Long(1)]
    );
    let p = col(
        &[Value::Bool(true), Value::Null, Value::Bool(true)],
        DataType::Bool,
    );
    assert_eq!(
        run("countif", &[p], &[], &[0, 0, 1]),
        [Value::Long(1), Value::Long(1)]
    );
}

#[test]
fn distinct_sets_stay_exact_when_a_second_batch_outgrows_the_bit_table() {
    // The first batch (a dictionary column, 2 groups) gets a bit table;
    // the second brings new values and groups, so the pairs move to a
    // hash set, and nothing seen before is counted twice.
    let f = Registry::builtin().aggregate("make_set").unwrap();
    let mut acc = f.accumulator(&[DataType::String], &[]).unwrap();
    let first = strings(&["a", "b", "a", "c"]);
    acc.update(&[first], &[0, 0, 1, 1], 2).unwrap();
    let second = strings(&["a", "d", "c", "e", "f"]);
    acc.update(&[second], &[0, 0, 1, 2, 2], 3).unwrap();
    let out = acc.finish(3).unwrap();
    assert_eq!(out.get(0), json(serde_json::json!(["a", "b", "d"])));
    assert_eq!(out.get(1), json(serde_json::json!(["a", "c"])));
    assert_eq!(out.get(2), json(serde_json::json!(["e", "f"])));
    let f = Registry::builtin().aggregate("dcount").unwrap();
    let mut acc = f.accumulator(&[DataType::String], &[]).unwrap();
    acc.update(&[strings(&["x", "y", "x"])], &[0, 0, 0], 1)
        .unwrap();
    acc.update(&[strings(&["y", "z", "x"])], &[0, 1, 1], 2)
        .unwrap();
    let out = acc.finish(2).unwrap();
    assert_eq!((out.get(0), out.get(1)), (Value::Long(2), Value::Long(2)));
}

#[test]
fn dcount_is_exact_and_skips_nulls() {
    let ips = strings(&["1.1.1.1", "2.2.2.2", "1.1.1.1", "3.3.3.3"]);
    assert_eq!(
        run("dcount", &[ips], &[], &[0, 0, 0, 1]),
        [Value::Long(2), Value::Long(1)]
    );
    let longs = col(
        &[Value::Long(1), Value::Null, Value::Long(1)],
        DataType::Long,
    );
    assert_eq!(run("dcount", &[longs], &[], &[0, 0, 0]), [Value::Long(1)]);
}

#[test]
fn make_set_keeps_first_seen_order_and_honours_the_limit() {
    let ips = strings(&["b", "a", "b", "c"]);
    assert_eq!(
        run("make_set", std::slice::from_ref(&ips), &[], &[0, 0, 0, 0]),
        [json(serde_json::json!(["b", "a", "c"]))]
    );
    let limited = run(
        "make_set",
        &[ips, ColumnarValue::Scalar(Value::Long(2), DataType::Long)],
        &[None, Some(Value::Long(2))],
        &[0, 0, 0, 0],
    );
    assert_eq!(limited, [json(serde_json::json!(["b", "a"]))]);
}

#[test]
fn make_set_unions_arrays_element_wise() {
    let arrays = col(
        &[
            json(serde_json::json!(["A1", "A2", "A3"])),
            json(serde_json::json!(["A2", "C1"])),
            json(serde_json::json!(["C2", "A3"])),
            json(serde_json::json!(["C2", "A1"])),
        ],
        DataType::Dynamic,
    );
    assert_eq!(
        run("make_set", &[arrays], &[], &[0, 0, 0, 0]),
        [json(serde_json::json!(["A1", "A2", "A3", "C1", "C2"]))]
    );
}

#[test]
fn make_set_of_reals_skips_nulls() {
    let reals = col(
        &[Value::Null, Value::Real(5.0), Value::Real(5.0)],
        DataType::Real,
    );
    assert_eq!(
        run("make_set", &[reals], &[], &[0, 0, 0]),
        [json(serde_json::json!([5.0]))]
    );
}

#[test]
fn make_list_with_nulls_keeps_nulls_and_count_distinct_is_exact() {
    let xs = col(
        &[Value::Long(1), Value::Null, Value::Long(1)],
        DataType::Long,
    );
    assert_eq!(
        run(
            "make_list_with_nulls",
            std::slice::from_ref(&xs),
            &[],
            &[0, 0, 0]
        ),
        [json(serde_json::json!([1, null, 1]))]
    );
    assert_eq!(
        run("count_distinct", &[xs], &[], &[0, 0, 0]),
        [Value::Long(1)]
    );
}

#[test]
fn make_list_spreads_array_values_into_the_list() {
    let arr = |items: &[i64]| {
        Value::Dynamic(Dynamic::Array(Arc::new(
            items.iter().map(|i| Dynamic::Long(*i)).collect(),
        )))
    };
    let values = col(&[arr(&[1]), arr(&[2, 3])], DataType::Dynamic);
    assert_eq!(
        run("make_list", &[values], &[], &[0, 0]),
        [json(serde_json::json!([1, 2, 3]))]
    );
}

#[test]
fn make_list_keeps_duplicates_in_order() {
    let names = strings(&["x", "y", "x"]);
    assert_eq!(
        run("make_list", &[names], &[], &[0, 0, 0]),
        [json(serde_json::json!(["x", "y", "x"]))]
    );
}

#[test]
fn sum_and_avg_skip_nulls() {
    let ys = col(
        &[
            Value::Null,
            Value::Real(5.0),
            Value::Real(5.0),
            Value::Real(5.0),
        ],
        DataType::Real,
    );
    assert_eq!(
        run("sum", std::slice::from_ref(&ys), &[], &[0, 0, 0, 0]),
        [Value::Real(15.0)]
    );
    assert_eq!(run("avg", &[ys], &[], &[0, 0, 0, 0]), [Value::Real(5.0)]);
    let ints = col(&[Value::Int(2), Value::Int(3)], DataType::Int);
    assert_eq!(
        run("sum", &[ints], &[], &[0, 1]),
        [Value::Long(2), Value::Long(3)]
    );
    let nulls = col(&[Value::Null], DataType::Long);
    assert_eq!(run("sum", &[nulls], &[], &[0]), [Value::Null]);
}

#[test]
fn min_and_max_work_on_numbers_strings_and_datetimes() {
    let xs = col(
        &[Value::Long(3), Value::Null, Value::Long(7)],
        DataType::Long,
    );
    assert_eq!(
        run("max", std::slice::from_ref(&xs), &[], &[0, 0, 0]),
        [Value::Long(7)]
    );
    assert_eq!(run("min", &[xs], &[], &[0, 0, 0]), [Value::Long(3)]);
    let names = strings(&["pear", "apple"]);
    assert_eq!(run("min", &[names], &[], &[0, 0]), [Value::string("apple")]);
    let times = col(
        &[Value::DateTime(5), Value::DateTime(9)],
        DataType::DateTime,
    );
    assert_eq!(run("max", &[times], &[], &[0, 0]), [Value::DateTime(9)]);
}

#[test]
fn arg_max_rows_fall_back_to_the_first_row_of_an_all_null_group() {
    // Apple: 1, null; Banana: null, null; Pear: 1, 2
    let versions = col(
        &[
            Value::Int(1),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Int(1),
            Value::Int(2),
        ],
        DataType::Int,
    );
    let groups = [0, 0, 1, 1, 2, 2];
    let mut max = ArgExtremeRows::new(DataType::Int, true);
    max.update(&versions, &groups, 3);
    assert_eq!(max.finish(3), [Some(0), Some(2), Some(5)]);
    let mut min = ArgExtremeRows::new(DataType::Int, false);
    min.update(&versions, &groups, 3);
    assert_eq!(min.finish(3), [Some(0), Some(2), Some(4)]);
}

#[test]
fn take_any_prefers_non_null_values() {
    let xs = col(&[Value::Null, Value::Long(4)], DataType::Long);
    assert_eq!(run("take_any", &[xs], &[], &[0, 0]), [Value::Long(4)]);
}

#[test]
fn percentile_uses_nearest_rank() {
    let xs = col(
        &(1..=10).map(Value::Long).collect::<Vec<_>>(),
        DataType::Long,
    );
    let p = |q: i64| {
        run(
            "percentile",
            &[
                xs.clone(),
                ColumnarValue::Scalar(Value::Long(q), DataType::Long),
            ],
            &[None, Some(Value::Long(q))],
            &[0; 10],
        )
    };
    assert_eq!(p(50), [Value::Long(5)]);
    assert_eq!(p(90), [Value::Long(9)]);
    assert_eq!(p(100), [Value::Long(10)]);
    assert_eq!(p(0), [Value::Long(1)]);
}

#[test]
fn variance_and_stdev_match_kusto_samples() {
    let xs = col(
        &(1..=5).map(Value::Long).collect::<Vec<_>>(),
        DataType::Long,
    );
    assert_eq!(
        run("variance", std::slice::from_ref(&xs), &[], &[0; 5]),
        [Value::Real(2.5)]
    );
    let evens = col(
        &(1..=100).map(Value::Long).collect::<Vec<_>>(),
        DataType::Long,
    );
    let pred = col(
        &(1..=100)
            .map(|x| Value::Bool(x % 2 == 0))
            .collect::<Vec<_>>(),
        DataType::Bool,
    );
    let Value::Real(s) = run("stdevif", &[evens, pred], &[], &[0; 100])[0] else {
        panic!()
    };
    assert!((s - 29.154759474226502).abs() < 1e-9, "{s}");
}

#[test]
fn covariance_matches_kusto() {
    let reals = |v: &[f64]| {
        col(
            &v.iter().map(|x| Value::Real(*x)).collect::<Vec<_>>(),
            DataType::Real,
        )
    };
    let x = reals(&[1.0, 2.0, 3.0, 4.0, 5.0]);
    let y = reals(&[14.0, 10.0, 17.0, 20.0, 50.0]);
    assert_eq!(
        run("covariance", &[x.clone(), y.clone()], &[], &[0; 5]),
        [Value::Real(20.5)]
    );
    let Value::Real(p) = run("covariancep", &[x, y], &[], &[0; 5])[0] else {
        panic!()
    };
    assert!((p - 16.4).abs() < 1e-9);
    let xs: Vec<i64> = (1..=100).collect();
    let ys: Vec<i64> = xs
        .iter()
        .map(|x| if x % 2 == 0 { x * 2 } else { x * 3 })
        .collect();
    let pred = col(
        &xs.iter()
            .map(|x| Value::Bool(x % 3 == 0))
            .collect::<Vec<_>>(),
        DataType::Bool,
    );
    let longs = |v: &[i64]| {
        col(
            &v.iter().map(|x| Value::Long(*x)).collect::<Vec<_>>(),
            DataType::Long,
        )
    };
    let Value::Real(c) = run(
        "covarianceif",
        &[longs(&xs), longs(&ys), pred],
        &[],
        &[0; 100],
    )[0] else {
        panic!()
    };
    assert!((c - 2142.0).abs() < 1e-6, "{c}");
    let name = Registry::builtin()
        .aggregate("covariance")
        .unwrap()
        .default_name(&[Some("x"), Some("y")]);
    assert_eq!(name, "covariance_x_y");
}

#[test]
fn make_bag_merges_property_bags() {
    let bags = col(
        &[
            json(serde_json::json!({"prop01": "val_a"})),
            json(serde_json::json!({"prop03": "val_c"})),
        ],
        DataType::Dynamic,
    );
    assert_eq!(
        run("make_bag", &[bags], &[], &[0, 0]),
        [json(
            serde_json::json!({"prop01": "val_a", "prop03": "val_c"})
        )]
    );
}

#[test]
fn merging_accumulators_combines_groups() {
    let f = Registry::builtin().aggregate("dcount").unwrap();
    let mut a = f.accumulator(&[DataType::String], &[]).unwrap();
    let mut b = f.accumulator(&[DataType::String], &[]).unwrap();
    a.update(&[strings(&["x", "y"])], &[0, 0], 1).unwrap();
    b.update(&[strings(&["y", "z"])], &[0, 0], 1).unwrap();
    a.merge(b, &[0], 1).unwrap();
    assert_eq!(a.finish(1).unwrap().get(0), Value::Long(3));
}

#[test]
fn percentiles_array_gives_nearest_rank_values_per_group() {
    let xs = col(
        &(1..=10).map(Value::Long).collect::<Vec<_>>(),
        DataType::Long,
    );
    let p = |v: i64| ColumnarValue::Scalar(Value::Long(v), DataType::Long);
    assert_eq!(
        run(
            "percentiles_array",
            &[xs, p(50), p(90)],
            &[None, Some(Value::Long(50)), Some(Value::Long(90))],
            &[0; 10]
        ),
        [json(serde_json::json!([5, 9]))]
    );
}

#[test]
fn binary_all_folds_bits_per_group() {
    let xs = col(
        &[
            Value::Long(0xFFFF_FFFF),
            Value::Long(0xFFFF_F00F),
            Value::Long(0xCFFF_FFFD),
            Value::Long(0xFAFE_FFFF),
            Value::Null,
        ],
        DataType::Long,
    );
    let groups = [0, 0, 0, 0, 1];
    assert_eq!(
        run(
            "binary_all_and",
            std::slice::from_ref(&xs),
            &[None],
            &groups
        ),
        [Value::Long(0xCAFE_F00D), Value::Null]
    );
    assert_eq!(
        run("binary_all_or", std::slice::from_ref(&xs), &[None], &groups)[0],
        Value::Long(0xFFFF_FFFF)
    );
    assert_eq!(
        run("binary_all_xor", &[xs], &[None], &[0, 0, 1, 1, 1]),
        [
            Value::Long(0xFFFF_FFFF ^ 0xFFFF_F00F),
            Value::Long(0xCFFF_FFFD ^ 0xFAFE_FFFF)
        ]
    );
}

#[test]
fn default_names_follow_kusto() {
    let r = Registry::builtin();
    let name = |f: &str, args: &[Option<&str>]| r.aggregate(f).unwrap().default_name(args);
    assert_eq!(name("count", &[]), "count_");
    assert_eq!(name("count", &[Some("y")]), "count_y");
    assert_eq!(name("countif", &[None]), "countif_");
    assert_eq!(name("dcount", &[Some("IPAddress")]), "dcount_IPAddress");
    assert_eq!(
        name("make_set", &[Some("IPAddress"), None]),
        "set_IPAddress"
    );
    assert_eq!(name("make_list", &[Some("x")]), "list_x");
    assert_eq!(name("sum", &[Some("y")]), "sum_y");
    assert_eq!(name("take_any", &[Some("State")]), "State");
    assert_eq!(name("stdevif", &[Some("x"), None]), "stdevif_x");
}

#[test]
fn empty_input_without_groups_gives_count_zero_and_an_empty_set() {
    let r = Registry::builtin();
    let count = r.aggregate("count").unwrap().accumulator(&[], &[]).unwrap();
    assert_eq!(count.finish(1).unwrap().get(0), Value::Long(0));
    let set = r
        .aggregate("make_set")
        .unwrap()
        .accumulator(&[DataType::String], &[])
        .unwrap();
    assert_eq!(set.finish(1).unwrap().get(0), json(serde_json::json!([])));
    let max = r
        .aggregate("max")
        .unwrap()
        .accumulator(&[DataType::Long], &[])
        .unwrap();
    assert_eq!(max.finish(1).unwrap().get(0), Value::Null);
}

#[test]
fn every_if_form_takes_the_predicate_after_its_values_and_skips_rows_where_it_is_not_true() {
    let reg = Registry::builtin();
    let (l, b, d) = (DataType::Long, DataType::Bool, DataType::Dynamic);
    // (plain, if form, plain argument types, the if form's result type)
    let forms = [
        ("sum", "sumif", vec![l], l),
        ("avg", "avgif", vec![l], DataType::Real),
        ("min", "minif", vec![l], l),
        ("max", "maxif", vec![l], l),
        ("dcount", "dcountif", vec![l], l),
        ("count_distinct", "count_distinctif", vec![l], l),
        ("make_set", "make_set_if", vec![l], d),
        ("make_list", "make_list_if", vec![l], d),
        ("make_bag", "make_bag_if", vec![d], d),
        ("hll", "hll_if", vec![l], d),
        ("stdev", "stdevif", vec![l], DataType::Real),
        ("variance", "varianceif", vec![l], DataType::Real),
        ("variancep", "variancepif", vec![l], DataType::Real),
        ("covariance", "covarianceif", vec![l, l], DataType::Real),
        ("covariancep", "covariancepif", vec![l, l], DataType::Real),
        ("take_any", "take_anyif", vec![l], l),
        ("any", "anyif", vec![l], l),
    ];
    for (plain, cond, args, ty) in forms {
        let p = reg.aggregate(plain).unwrap();
        let f = reg.aggregate(cond).unwrap();
        let mut with_predicate = args.clone();
        with_predicate.push(b);
        assert_eq!(p.return_type(&args), Ok(ty), "{plain}");
        assert_eq!(f.return_type(&with_predicate), Ok(ty), "{cond}");
        assert!(
            f.return_type(&args).is_err(),
            "{cond} without its predicate"
        );
    }
    let xs = col(&[Value::Long(1), Value::Long(2), Value::Long(4)], l);
    let keep = col(
        &[Value::Bool(true), Value::Bool(false), Value::Bool(true)],
        b,
    );
    assert_eq!(
        run(
            "sumif",
            &[xs.clone(), keep.clone()],
            &[None, None],
            &[0, 0, 0]
        ),
        vec![Value::Long(5)]
    );
    assert_eq!(
        run(
            "maxif",
            &[xs.clone(), keep.clone()],
            &[None, None],
            &[0, 0, 0]
        ),
        vec![Value::Long(4)]
    );
    assert_eq!(
        run(
            "make_list_if",
            &[xs, keep, col(&[const { Value::Long(1) }; 3], l)],
            &[None, None, Some(Value::Long(1))],
            &[0, 0, 0]
        ),
        vec![json(serde_json::json!([1]))]
    );
}
