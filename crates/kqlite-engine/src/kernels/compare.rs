//! Comparisons (`==`, `!=`, `<`, ..., `=~`, `!~`) with Kusto's null rules:
//! `==` with one null operand is false and with two nulls null, `!=` with one
//! null is true, ordering comparisons with a null are null.

use std::cmp::Ordering;

use kqlite_parser::ast::BinaryOp;

use std::sync::Arc;

use super::access::{
    self, dyns, guids, ints, reals_of, rows_for, string_predicate, strs, Ints, Strs,
};
use super::convert;
use crate::column::{Column, ColumnData};
use crate::function::{ColumnarValue, FunctionError};
use crate::types::DataType;
use crate::value::Dynamic;

/// Whether `l op r` is a valid comparison.
pub(crate) fn comparable(op: BinaryOp, l: DataType, r: DataType) -> bool {
    use DataType::*;
    if matches!(op, BinaryOp::EqTilde | BinaryOp::NotEqTilde) {
        return matches!(l, String | Dynamic) || matches!(r, String | Dynamic);
    }
    let equality = matches!(op, BinaryOp::Eq | BinaryOp::NotEq);
    l == r
        || l == Dynamic
        || r == Dynamic
        || (l.is_numeric() && r.is_numeric())
        // `IsLocalAdmin == 1`: a bool compares as 1 or 0.
        || (l == Bool && r.is_numeric())
        || (l.is_numeric() && r == Bool)
        || (equality && (l == String || r == String))
        || (l == Guid && r == String)
        || (l == String && r == Guid)
}

/// Applies an ordering to a comparison operator.
#[inline]
fn decide(op: BinaryOp, ord: Ordering) -> bool {
    match op {
        BinaryOp::Eq | BinaryOp::EqTilde => ord == Ordering::Equal,
        BinaryOp::NotEq | BinaryOp::NotEqTilde => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::LtEq => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        BinaryOp::GtEq => ord != Ordering::Less,
        _ => false,
    }
}

/// The result for a comparison where at least one side is null.
#[inline]
fn with_null(op: BinaryOp, l_null: bool, r_null: bool) -> Option<bool> {
    if l_null && r_null {
        return None;
    }
    match op {
        BinaryOp::Eq | BinaryOp::EqTilde => Some(false),
        BinaryOp::NotEq | BinaryOp::NotEqTilde => Some(true),
        _ => None,
    }
}

/// Compares two optional values of one type with `cmp`.
#[inline]
fn cmp_opt<T>(
    op: BinaryOp,
    a: Option<T>,
    b: Option<T>,
    cmp: impl Fn(&T, &T) -> Option<Ordering>,
) -> Option<bool> {
    match (a, b) {
        (Some(a), Some(b)) => cmp(&a, &b)
            .map(|o| decide(op, o))
            .or(Some(matches!(op, BinaryOp::NotEq | BinaryOp::NotEqTilde))),
        (a, b) => with_null(op, a.is_none(), b.is_none()),
    }
}

/// Compares strings, ignoring case for `=~`/`!~`.
#[inline]
pub(crate) fn cmp_str(a: &str, b: &str, ci: bool) -> Ordering {
    if !ci {
        return a.cmp(b);
    }
    if a.is_ascii() && b.is_ascii() {
        let (x, y) = (a.as_bytes(), b.as_bytes());
        for (p, q) in x.iter().zip(y) {
            match p.to_ascii_lowercase().cmp(&q.to_ascii_lowercase()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        return x.len().cmp(&y.len());
    }
    a.to_lowercase().cmp(&b.to_lowercase())
}

/// Evaluates a comparison.
pub(crate) fn compare(
    op: BinaryOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    use DataType as T;
    let (lt, rt) = (l.data_type(), r.data_type());
    if (lt == T::Bool && rt.is_numeric()) || (lt.is_numeric() && rt == T::Bool) {
        let as_long = |v: &ColumnarValue, t: T| match t {
            T::Bool => convert::convert(v, T::Long, rows),
            _ => v.clone(),
        };
        return compare(op, &as_long(l, lt), &as_long(r, rt), rows);
    }
    let (n, scalar) = rows_for(&[l, r], rows);
    let ci = matches!(op, BinaryOp::EqTilde | BinaryOp::NotEqTilde);

    // Case-insensitive comparisons and string-vs-anything compare as text.
    if ci || lt == T::String || rt == T::String {
        if lt == T::Dynamic && rt == T::Dynamic {
            return compare_dynamic(op, l, r, n, scalar);
        }
        let ls = convert::to_string(l, rows);
        let rs = convert::to_string(r, rows);
        let (Some(a), Some(b)) = (strs(&ls), strs(&rs)) else {
            return Err(mismatch(op, lt, rt));
        };
        // A non-string null operand (e.g. `long(null) == "x"`) keeps null rules.
        // A non-null scalar cannot be null in any row.
        let nullable = |v: &ColumnarValue, t: T| {
            t != T::String && !matches!(v, ColumnarValue::Scalar(x, _) if !x.is_null())
        };
        let l_nullable = nullable(l, lt);
        let r_nullable = nullable(r, rt);
        if !l_nullable && !r_nullable {
            if let Strs::Scalar(needle) = b {
                return Ok(string_predicate(a, n, scalar, |s| {
                    decide(op, cmp_str(s, needle, ci))
                }));
            }
            if let Strs::Scalar(needle) = a {
                return Ok(string_predicate(b, n, scalar, |s| {
                    decide(op, cmp_str(needle, s, ci))
                }));
            }
        }
        return Ok(access::bools(n, scalar, |i| {
            let ln = l_nullable && access::is_null_at(l, i);
            let rn = r_nullable && access::is_null_at(r, i);
            if ln || rn {
                return with_null(op, ln, rn);
            }
            Some(decide(op, cmp_str(a.get(i), b.get(i), ci)))
        }));
    }

    // Dynamic operands take the other side's type.
    if lt == T::Dynamic || rt == T::Dynamic {
        if lt == rt {
            return compare_dynamic(op, l, r, n, scalar);
        }
        let (l2, r2) = if lt == T::Dynamic {
            (convert::convert(l, dynamic_target(rt), rows), r.clone())
        } else {
            (l.clone(), convert::convert(r, dynamic_target(lt), rows))
        };
        return compare(op, &l2, &r2, rows);
    }

    if lt.is_numeric() && rt.is_numeric() {
        // A typed null constant (`real(null) > 1`) follows the null rules
        // in every row.
        if super::arith::is_null_constant(l) || super::arith::is_null_constant(r) {
            return Ok(access::bools(n, scalar, |i| {
                with_null(op, access::is_null_at(l, i), access::is_null_at(r, i))
            }));
        }
        let integral = |t: T| matches!(t, T::Int | T::Long);
        if integral(lt) && integral(rt) {
            if let Some(v) = longs_against_constant(op, l, r) {
                return Ok(v);
            }
            if let (Some(a), Some(b)) = (ints(l), ints(r)) {
                return Ok(access::bools(n, scalar, |i| {
                    cmp_opt(op, a.get(i), b.get(i), |x, y| Some(x.cmp(y)))
                }));
            }
        }
        if lt == T::Decimal || rt == T::Decimal {
            if let (Some(a), Some(b)) = (access::decs(l), access::decs(r)) {
                return Ok(access::bools(n, scalar, |i| {
                    cmp_opt(op, a.get(i), b.get(i), |x, y| Some(x.cmp(y)))
                }));
            }
        }
        if let (Some(a), Some(b)) = (reals_of(l), reals_of(r)) {
            return Ok(access::bools(n, scalar, |i| {
                cmp_opt(op, a.get(i), b.get(i), |x, y| x.partial_cmp(y))
            }));
        }
    }
    if lt == rt {
        if let Some(v) = longs_against_constant(op, l, r) {
            return Ok(v);
        }
        if let (Some(a), Some(b)) = (ints(l), ints(r)) {
            return Ok(access::bools(n, scalar, |i| {
                cmp_opt(op, a.get(i), b.get(i), |x, y| Some(x.cmp(y)))
            }));
        }
        if let (Some(a), Some(b)) = (guids(l), guids(r)) {
            return Ok(access::bools(n, scalar, |i| {
                cmp_opt(op, a.get(i), b.get(i), |x, y| Some(x.cmp(y)))
            }));
        }
    }
    Err(mismatch(op, lt, rt))
}

/// The hot case of `where TimeGenerated > ago(1d)`: a 64-bit column
/// without nulls against a non-null constant, as one tight loop.
fn longs_against_constant(
    op: BinaryOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
) -> Option<ColumnarValue> {
    let (values, constant, flipped) = match (ints(l)?, ints(r)?) {
        (Ints::I64(v, None), Ints::Scalar(Some(c))) => (v, c, false),
        (Ints::Scalar(Some(c)), Ints::I64(v, None)) => (v, c, true),
        _ => return None,
    };
    let out: Vec<bool> = if flipped {
        values.iter().map(|x| decide(op, constant.cmp(x))).collect()
    } else {
        values
            .iter()
            .map(|x| decide(op, x.cmp(&constant)))
            .collect()
    };
    Some(ColumnarValue::Column(Arc::new(Column::new(
        ColumnData::Bool(out),
    ))))
}

/// The type a dynamic operand is converted to when compared with `other`:
/// numbers compare as reals (so a dynamic `1.5` never equals `1`).
fn dynamic_target(other: DataType) -> DataType {
    if matches!(other, DataType::Int | DataType::Long) {
        DataType::Real
    } else {
        other
    }
}

fn mismatch(op: BinaryOp, l: DataType, r: DataType) -> FunctionError {
    FunctionError::Invalid(format!("cannot compare {l} with {r} using {op:?}"))
}

fn compare_dynamic(
    op: BinaryOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    n: usize,
    scalar: bool,
) -> Result<ColumnarValue, FunctionError> {
    let (Some(a), Some(b)) = (dyns(l), dyns(r)) else {
        return Err(mismatch(op, l.data_type(), r.data_type()));
    };
    let ci = matches!(op, BinaryOp::EqTilde | BinaryOp::NotEqTilde);
    Ok(access::bools(n, scalar, |i| {
        let (x, y) = (a.get(i), b.get(i));
        if x.is_null() || y.is_null() {
            return with_null(op, x.is_null(), y.is_null());
        }
        match dynamic_cmp(&x, &y, ci) {
            Some(o) => Some(decide(op, o)),
            None => match op {
                BinaryOp::Eq | BinaryOp::EqTilde => Some(false),
                BinaryOp::NotEq | BinaryOp::NotEqTilde => Some(true),
                _ => None,
            },
        }
    }))
}

/// Orders two dynamic values of compatible kinds (numbers across long and
/// real, strings, bools, datetimes, timespans, guids; arrays and bags only
/// for equality).
pub(crate) fn dynamic_cmp(x: &Dynamic, y: &Dynamic, ci: bool) -> Option<Ordering> {
    use Dynamic as D;
    match (x, y) {
        (D::Long(a), D::Long(b)) => Some(a.cmp(b)),
        (D::Long(a), D::Real(b)) => (*a as f64).partial_cmp(b),
        (D::Real(a), D::Long(b)) => a.partial_cmp(&(*b as f64)),
        (D::Real(a), D::Real(b)) => a.partial_cmp(b),
        (D::String(a), D::String(b)) => Some(cmp_str(a, b, ci)),
        (D::Bool(a), D::Bool(b)) => Some(a.cmp(b)),
        (D::DateTime(a), D::DateTime(b)) | (D::TimeSpan(a), D::TimeSpan(b)) => Some(a.cmp(b)),
        (D::Guid(a), D::Guid(b)) => Some(a.cmp(b)),
        (D::Array(_), D::Array(_)) | (D::Bag(_), D::Bag(_)) => (x == y).then_some(Ordering::Equal),
        _ => None,
    }
}

/// A total order over dynamic values for sorting: values of one kind by
/// [`dynamic_cmp`], different kinds by kind (null, bool, number, datetime,
/// timespan, guid, string, array, bag).
pub(crate) fn dynamic_order(x: &Dynamic, y: &Dynamic) -> Ordering {
    fn rank(d: &Dynamic) -> u8 {
        match d {
            Dynamic::Null => 0,
            Dynamic::Bool(_) => 1,
            Dynamic::Long(_) | Dynamic::Real(_) => 2,
            Dynamic::DateTime(_) => 3,
            Dynamic::TimeSpan(_) => 4,
            Dynamic::Guid(_) => 5,
            Dynamic::String(_) => 6,
            Dynamic::Array(_) => 7,
            Dynamic::Bag(_) => 8,
        }
    }
    match dynamic_cmp(x, y, false) {
        Some(o) => o,
        None => rank(x).cmp(&rank(y)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::column::{Column, ColumnBuilder};
    use crate::value::Value;

    fn longs(v: &[Option<i64>]) -> ColumnarValue {
        let mut b = ColumnBuilder::new(DataType::Long, v.len());
        for x in v {
            b.push(&x.map_or(Value::Null, Value::Long)).unwrap();
        }
        ColumnarValue::Column(Arc::new(b.finish()))
    }

    fn s(x: &str) -> ColumnarValue {
        ColumnarValue::Scalar(Value::string(x), DataType::String)
    }

    #[test]
    fn typed_null_real_and_decimal_constants_follow_the_null_rules() {
        for ty in [DataType::Real, DataType::Decimal] {
            let null = ColumnarValue::Scalar(Value::Null, ty);
            let one = ColumnarValue::Scalar(Value::Real(1.0), DataType::Real);
            let got = |op, l: &ColumnarValue, r: &ColumnarValue| compare(op, l, r, 1).unwrap();
            let is = |v: ColumnarValue, want: Value| {
                assert!(
                    matches!(&v, ColumnarValue::Scalar(x, _) if *x == want),
                    "{ty}: {v:?}"
                );
            };
            is(got(BinaryOp::Eq, &null, &one), Value::Bool(false));
            is(got(BinaryOp::NotEq, &one, &null), Value::Bool(true));
            is(got(BinaryOp::Gt, &null, &one), Value::Null);
            is(got(BinaryOp::Eq, &null, &null), Value::Null);
            let col = longs(&[Some(1), None]);
            let ColumnarValue::Column(c) = compare(BinaryOp::Eq, &col, &null, 2).unwrap() else {
                panic!("a column");
            };
            assert_eq!(c.get(0), Value::Bool(false));
            assert!(c.is_null(1));
        }
    }

    fn null_long() -> ColumnarValue {
        ColumnarValue::Scalar(Value::Null, DataType::Long)
    }

    fn get(v: ColumnarValue, i: usize) -> Value {
        v.get(i)
    }

    #[test]
    fn equality_with_one_null_is_false_and_two_nulls_null() {
        let col = longs(&[Some(1), None]);
        let eq = compare(BinaryOp::Eq, &col, &null_long(), 2).unwrap();
        assert_eq!(get(eq.clone(), 0), Value::Bool(false));
        assert_eq!(get(eq, 1), Value::Null);
        let ne = compare(BinaryOp::NotEq, &col, &null_long(), 2).unwrap();
        assert_eq!(get(ne, 0), Value::Bool(true));
    }

    #[test]
    fn ordering_with_a_null_is_null() {
        let col = longs(&[Some(1), None]);
        let one = ColumnarValue::Scalar(Value::Long(0), DataType::Long);
        let gt = compare(BinaryOp::Gt, &col, &one, 2).unwrap();
        assert_eq!(gt.get(0), Value::Bool(true));
        assert_eq!(gt.get(1), Value::Null);
    }

    #[test]
    fn a_string_equals_a_number_by_its_text() {
        let zero = ColumnarValue::Scalar(Value::Long(0), DataType::Long);
        let r = compare(BinaryOp::Eq, &s("0"), &zero, 1).unwrap();
        assert_eq!(r, ColumnarValue::Scalar(Value::Bool(true), DataType::Bool));
        let r = compare(BinaryOp::Eq, &s("50126"), &zero, 1).unwrap();
        assert_eq!(r.get(0), Value::Bool(false));
    }

    #[test]
    fn string_equality_is_case_sensitive_and_tilde_is_not() {
        assert_eq!(
            compare(BinaryOp::Eq, &s("High"), &s("high"), 1)
                .unwrap()
                .get(0),
            Value::Bool(false)
        );
        assert_eq!(
            compare(BinaryOp::EqTilde, &s("High"), &s("high"), 1)
                .unwrap()
                .get(0),
            Value::Bool(true)
        );
        assert_eq!(
            compare(BinaryOp::NotEqTilde, &s("High"), &s("hIgh"), 1)
                .unwrap()
                .get(0),
            Value::Bool(false)
        );
    }

    #[test]
    fn dictionary_string_columns_compare_once_per_entry() {
        let col = Column::new(crate::column::ColumnData::String(
            crate::column::StringColumn::dictionary(["a", "b", "a", "c"]),
        ));
        let r = compare(
            BinaryOp::NotEq,
            &ColumnarValue::Column(Arc::new(col)),
            &s("a"),
            4,
        )
        .unwrap();
        let got: Vec<Value> = (0..4).map(|i| r.get(i)).collect();
        assert_eq!(got, [false, true, false, true].map(Value::Bool));
    }

    #[test]
    fn numbers_compare_across_int_long_and_real() {
        let a = ColumnarValue::Scalar(Value::Int(2), DataType::Int);
        let b = ColumnarValue::Scalar(Value::Real(2.5), DataType::Real);
        assert_eq!(
            compare(BinaryOp::Lt, &a, &b, 1).unwrap().get(0),
            Value::Bool(true)
        );
    }

    #[test]
    fn dynamic_compares_with_the_other_sides_type() {
        let d = ColumnarValue::Scalar(Value::Dynamic(Dynamic::Long(5)), DataType::Dynamic);
        let five = ColumnarValue::Scalar(Value::Long(5), DataType::Long);
        assert_eq!(
            compare(BinaryOp::Eq, &d, &five, 1).unwrap().get(0),
            Value::Bool(true)
        );
        let half = ColumnarValue::Scalar(Value::Dynamic(Dynamic::Real(1.5)), DataType::Dynamic);
        let one = ColumnarValue::Scalar(Value::Long(1), DataType::Long);
        assert_eq!(
            compare(BinaryOp::Eq, &half, &one, 1).unwrap().get(0),
            Value::Bool(false)
        );
        let ds = ColumnarValue::Scalar(
            Value::Dynamic(Dynamic::String("US".into())),
            DataType::Dynamic,
        );
        assert_eq!(
            compare(BinaryOp::Eq, &ds, &s("US"), 1).unwrap().get(0),
            Value::Bool(true)
        );
    }
}
