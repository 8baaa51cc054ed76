//! Typed null constants in arithmetic and comparisons give null (as Kusto
//! does), and `between` accepts a timespan width after a datetime start.

use kqlite_engine::{Engine, Value};

fn one(query: &str) -> Value {
    let t = Engine::new()
        .run(query)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    t.row(0).into_iter().next().unwrap_or(Value::Null)
}

#[test]
fn arithmetic_on_real_and_decimal_nulls_is_null() {
    for q in [
        "print real(null) + 1",
        "print 1.5 * real(null)",
        "print real(null) / 0",
        "print real(null) % 2",
        "print -real(null)",
        "print decimal(null) + 1",
        "print todecimal(1) - decimal(null)",
        "print -decimal(null)",
    ] {
        assert_eq!(one(q), Value::Null, "{q}");
    }
}

#[test]
fn comparisons_with_real_and_decimal_nulls_follow_the_null_rules() {
    assert_eq!(one("print real(null) == 1.0"), Value::Bool(false));
    assert_eq!(one("print real(null) != 1"), Value::Bool(true));
    assert_eq!(one("print real(null) > 1"), Value::Null);
    assert_eq!(one("print decimal(null) == decimal(1)"), Value::Bool(false));
    assert_eq!(one("print decimal(null) < 2.0"), Value::Null);
}

#[test]
fn a_null_real_constant_against_a_column_drops_rows_in_where() {
    let t = Engine::new()
        .run("range x from 1 to 3 step 1 | extend y = x * 1.0 + real(null) | where y > 0 or x == 2")
        .unwrap();
    assert_eq!(t.num_rows(), 1);
    assert_eq!(t.row(0)[1], Value::Null);
}

#[test]
fn between_a_datetime_and_a_timespan_width_is_inclusive() {
    let t = Engine::new()
        .run(
            "range t from datetime(2023-12-31) to datetime(2024-01-03) step 12h \
             | where t between (datetime(2024-01-01) .. 1d)",
        )
        .unwrap();
    let got: Vec<Value> = t.rows().map(|r| r[0].clone()).collect();
    let day = |s: &str| Value::DateTime(kqlite_engine::time::parse_datetime(s).unwrap());
    assert_eq!(
        got,
        vec![
            day("2024-01-01T00:00:00Z"),
            day("2024-01-01T12:00:00Z"),
            day("2024-01-02T00:00:00Z")
        ]
    );
    let outside = Engine::new()
        .run(
            "range t from datetime(2023-12-31) to datetime(2024-01-03) step 12h \
             | where t !between (datetime(2024-01-01) .. 1d) | count",
        )
        .unwrap();
    assert_eq!(outside.row(0), vec![Value::Long(4)]);
}

#[test]
fn between_still_rejects_mismatched_bounds() {
    assert!(Engine::new()
        .run("print datetime(2024-01-01) between (1 .. 1d)")
        .is_err());
    assert!(Engine::new().run("print 5 between (1d .. 2d)").is_err());
}
