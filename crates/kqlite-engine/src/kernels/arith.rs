//! Arithmetic: `+ - * / %` across int, long, real and decimal with
//! promotion, plus datetime and timespan arithmetic.
//!
//! Integer division truncates toward zero and `%` is the non-negative
//! (Euclidean) remainder; integer division or modulo by zero is null. Real
//! division by zero follows IEEE (`inf`, `-inf`, `NaN`). Integer overflow
//! wraps, as .NET unchecked arithmetic does.

use kqlite_parser::ast::BinaryOp;
use rust_decimal::Decimal;

use super::access::{self, finish, ints, map_rows, reals_of, rows_for};
use super::convert;
use crate::column::ColumnData;
use crate::function::{ColumnarValue, FunctionError};
use crate::types::DataType;

/// The result type of an arithmetic operator, or `None` if invalid.
pub(crate) fn arith_type(op: BinaryOp, l: DataType, r: DataType) -> Option<DataType> {
    use DataType::*;
    let num = |t: DataType| t.is_numeric() || t == Dynamic;
    match (op, l, r) {
        (_, Dynamic, Dynamic) => Some(Real),
        (_, a, b) if num(a) && num(b) => Some(crate::type_rules::numeric_promotion(a, b)),
        (BinaryOp::Sub, DateTime, DateTime) => Some(TimeSpan),
        (BinaryOp::Add | BinaryOp::Sub, DateTime, TimeSpan) => Some(DateTime),
        (BinaryOp::Add, TimeSpan, DateTime) => Some(DateTime),
        (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mod, TimeSpan, TimeSpan) => Some(TimeSpan),
        (BinaryOp::Div, TimeSpan, TimeSpan) => Some(Real),
        (BinaryOp::Mul | BinaryOp::Div, TimeSpan, b) if num(b) => Some(TimeSpan),
        (BinaryOp::Mul, a, TimeSpan) if num(a) => Some(TimeSpan),
        _ => None,
    }
}

/// Evaluates an arithmetic operator.
pub(crate) fn arith(
    op: BinaryOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    use DataType::*;
    let (lt, rt) = (l.data_type(), r.data_type());
    let Some(out) = arith_type(op, lt, rt) else {
        return Err(FunctionError::Invalid(format!(
            "operator {op:?} cannot be applied to {lt} and {rt}"
        )));
    };
    let (n, scalar) = rows_for(&[l, r], rows);
    let bad = || FunctionError::Invalid(format!("operator {op:?} on {lt} and {rt}"));
    // A typed null constant (`real(null) + 1`) makes every row null.
    if is_null_constant(l) || is_null_constant(r) {
        return Ok(all_null(out, n, scalar));
    }

    // Numbers: convert both sides to the result type first.
    if (lt.is_numeric() || lt == Dynamic) && (rt.is_numeric() || rt == Dynamic) {
        let l2 = convert::convert(l, out, rows);
        let r2 = convert::convert(r, out, rows);
        return numeric(op, out, &l2, &r2, n, scalar).ok_or_else(bad);
    }
    let (Some(a), Some(b)) = (ints(l), ints(r)) else {
        // timespan * real, timespan / real
        return ticks_by_real(op, l, r, n, scalar).ok_or_else(bad);
    };
    Ok(match (op, lt, rt) {
        (BinaryOp::Div, TimeSpan, TimeSpan) => {
            access::reals(n, scalar, |i| Some(a.get(i)? as f64 / b.get(i)? as f64))
        }
        (BinaryOp::Mul | BinaryOp::Div, TimeSpan, _) | (BinaryOp::Mul, _, TimeSpan) => {
            access::ticks(TimeSpan, n, scalar, |i| int_op(op, a.get(i)?, b.get(i)?))
        }
        _ => access::ticks(out, n, scalar, |i| int_op(op, a.get(i)?, b.get(i)?)),
    })
}

/// `timespan * real` and `timespan / real` (and `real * timespan`).
fn ticks_by_real(
    op: BinaryOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    n: usize,
    scalar: bool,
) -> Option<ColumnarValue> {
    let (span, factor, span_left) = if l.data_type() == DataType::TimeSpan {
        (ints(l)?, reals_of(r)?, true)
    } else {
        (ints(r)?, reals_of(l)?, false)
    };
    Some(access::ticks(DataType::TimeSpan, n, scalar, |i| {
        let t = span.get(i)? as f64;
        let f = factor.get(i)?;
        let v = match op {
            BinaryOp::Mul => t * f,
            BinaryOp::Div if span_left => t / f,
            _ => return None,
        };
        convert::real_to_long(v)
    }))
}

#[inline]
fn int_op(op: BinaryOp, a: i64, b: i64) -> Option<i64> {
    match op {
        BinaryOp::Add => Some(a.wrapping_add(b)),
        BinaryOp::Sub => Some(a.wrapping_sub(b)),
        BinaryOp::Mul => Some(a.wrapping_mul(b)),
        BinaryOp::Div => (b != 0).then(|| a.wrapping_div(b)),
        BinaryOp::Mod => (b != 0).then(|| a.wrapping_rem(b).rem_euclid_fix(b)),
        _ => None,
    }
}

/// Kusto's `%` is the Euclidean remainder: never negative.
trait RemEuclidFix {
    fn rem_euclid_fix(self, b: i64) -> i64;
}

impl RemEuclidFix for i64 {
    #[inline]
    fn rem_euclid_fix(self, b: i64) -> i64 {
        if self < 0 {
            self.wrapping_add(b.wrapping_abs())
        } else {
            self
        }
    }
}

#[inline]
fn real_op(op: BinaryOp, a: f64, b: f64) -> Option<f64> {
    Some(match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Mod => a.rem_euclid(b),
        _ => return None,
    })
}

#[inline]
fn dec_op(op: BinaryOp, a: Decimal, b: Decimal) -> Option<Decimal> {
    match op {
        BinaryOp::Add => a.checked_add(b),
        BinaryOp::Sub => a.checked_sub(b),
        BinaryOp::Mul => a.checked_mul(b),
        BinaryOp::Div => a.checked_div(b),
        BinaryOp::Mod => a
            .checked_rem(b)
            .map(|m| if m.is_sign_negative() { m + b.abs() } else { m }),
        _ => None,
    }
}

fn numeric(
    op: BinaryOp,
    out: DataType,
    l: &ColumnarValue,
    r: &ColumnarValue,
    n: usize,
    scalar: bool,
) -> Option<ColumnarValue> {
    Some(match out {
        DataType::Int => {
            let (a, b) = (ints(l)?, ints(r)?);
            let (v, valid) = map_rows(n, |i| {
                let (x, y) = (a.get(i)? as i32, b.get(i)? as i32);
                match op {
                    BinaryOp::Add => Some(x.wrapping_add(y)),
                    BinaryOp::Sub => Some(x.wrapping_sub(y)),
                    BinaryOp::Mul => Some(x.wrapping_mul(y)),
                    BinaryOp::Div => (y != 0).then(|| x.wrapping_div(y)),
                    BinaryOp::Mod => (y != 0).then(|| x.wrapping_rem(y)).map(|m| {
                        if m < 0 {
                            m.wrapping_add(y.wrapping_abs())
                        } else {
                            m
                        }
                    }),
                    _ => None,
                }
            });
            finish(ColumnData::Int(v), valid, scalar)
        }
        DataType::Long => {
            let (a, b) = (ints(l)?, ints(r)?);
            access::longs(n, scalar, |i| int_op(op, a.get(i)?, b.get(i)?))
        }
        DataType::Real => {
            let (a, b) = (reals_of(l)?, reals_of(r)?);
            access::reals(n, scalar, |i| real_op(op, a.get(i)?, b.get(i)?))
        }
        DataType::Decimal => {
            let (a, b) = (access::decs(l)?, access::decs(r)?);
            let (v, valid) = map_rows(n, |i| dec_op(op, a.get(i)?, b.get(i)?));
            finish(ColumnData::Decimal(v), valid, scalar)
        }
        _ => return None,
    })
}

/// Whether `v` is a null constant such as `real(null)`.
pub(crate) fn is_null_constant(v: &ColumnarValue) -> bool {
    matches!(v, ColumnarValue::Scalar(x, _) if x.is_null())
}

/// `n` nulls of type `ty` (one scalar null when `scalar`).
fn all_null(ty: DataType, n: usize, scalar: bool) -> ColumnarValue {
    if scalar {
        ColumnarValue::Scalar(crate::value::Value::Null, ty)
    } else {
        ColumnarValue::Column(std::sync::Arc::new(crate::column::Column::nulls(ty, n)))
    }
}

/// Unary minus.
pub(crate) fn negate(v: &ColumnarValue, rows: usize) -> Result<ColumnarValue, FunctionError> {
    let (n, scalar) = rows_for(&[v], rows);
    let t = v.data_type();
    if is_null_constant(v) {
        return match t {
            DataType::Int | DataType::Long | DataType::TimeSpan | DataType::Decimal => {
                Ok(all_null(t, n, scalar))
            }
            DataType::Real | DataType::Dynamic => Ok(all_null(DataType::Real, n, scalar)),
            _ => Err(neg_err(t)),
        };
    }
    Ok(match t {
        DataType::Int => {
            let a = ints(v).ok_or_else(|| neg_err(t))?;
            let (vals, valid) = map_rows(n, |i| a.get(i).map(|x| (x as i32).wrapping_neg()));
            finish(ColumnData::Int(vals), valid, scalar)
        }
        DataType::Long => {
            let a = ints(v).ok_or_else(|| neg_err(t))?;
            access::longs(n, scalar, |i| a.get(i).map(i64::wrapping_neg))
        }
        DataType::TimeSpan => {
            let a = ints(v).ok_or_else(|| neg_err(t))?;
            access::ticks(t, n, scalar, |i| a.get(i).map(i64::wrapping_neg))
        }
        DataType::Real | DataType::Dynamic => {
            let v2 = convert::convert(v, DataType::Real, rows);
            let a = reals_of(&v2).ok_or_else(|| neg_err(t))?;
            access::reals(n, scalar, |i| a.get(i).map(|x| -x))
        }
        DataType::Decimal => {
            let a = access::decs(v).ok_or_else(|| neg_err(t))?;
            let (vals, valid) = map_rows(n, |i| a.get(i).map(|x| -x));
            finish(ColumnData::Decimal(vals), valid, scalar)
        }
        _ => return Err(neg_err(t)),
    })
}

fn neg_err(t: DataType) -> FunctionError {
    FunctionError::Invalid(format!("unary minus cannot be applied to {t}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{TICKS_PER_DAY, TICKS_PER_HOUR};
    use crate::value::Value;

    fn lit(v: Value) -> ColumnarValue {
        let t = v.data_type().unwrap_or(DataType::Long);
        ColumnarValue::Scalar(v, t)
    }

    fn eval(op: BinaryOp, a: Value, b: Value) -> Value {
        arith(op, &lit(a), &lit(b), 1).unwrap().get(0)
    }

    #[test]
    fn modulo_is_never_negative() {
        assert_eq!(
            eval(BinaryOp::Mod, Value::Long(14), Value::Long(12)),
            Value::Long(2)
        );
        assert_eq!(
            eval(BinaryOp::Mod, Value::Long(-14), Value::Long(12)),
            Value::Long(10)
        );
        assert_eq!(
            eval(BinaryOp::Mod, Value::Long(14), Value::Long(-12)),
            Value::Long(2)
        );
        assert_eq!(
            eval(BinaryOp::Mod, Value::Long(-14), Value::Long(-12)),
            Value::Long(10)
        );
    }

    #[test]
    fn integer_division_truncates_and_division_by_zero_is_null() {
        assert_eq!(
            eval(BinaryOp::Div, Value::Long(-7), Value::Long(2)),
            Value::Long(-3)
        );
        assert_eq!(
            eval(BinaryOp::Div, Value::Long(7), Value::Long(0)),
            Value::Null
        );
        assert_eq!(
            eval(BinaryOp::Div, Value::Real(1.0), Value::Long(0)),
            Value::Real(f64::INFINITY)
        );
    }

    #[test]
    fn mixed_numbers_promote() {
        assert_eq!(
            eval(BinaryOp::Add, Value::Int(1), Value::Long(2)),
            Value::Long(3)
        );
        assert_eq!(
            eval(BinaryOp::Mul, Value::Long(3), Value::Real(0.5)),
            Value::Real(1.5)
        );
        assert_eq!(
            eval(BinaryOp::Add, Value::Int(1), Value::Int(2)),
            Value::Int(3)
        );
    }

    #[test]
    fn datetime_arithmetic_follows_kusto() {
        let d = Value::DateTime(crate::time::UNIX_EPOCH_TICKS);
        let h = Value::TimeSpan(TICKS_PER_HOUR);
        assert_eq!(
            eval(BinaryOp::Sub, d.clone(), h.clone()),
            Value::DateTime(crate::time::UNIX_EPOCH_TICKS - TICKS_PER_HOUR)
        );
        assert_eq!(
            eval(
                BinaryOp::Sub,
                d.clone(),
                Value::DateTime(crate::time::UNIX_EPOCH_TICKS - TICKS_PER_DAY)
            ),
            Value::TimeSpan(TICKS_PER_DAY)
        );
        assert_eq!(
            eval(BinaryOp::Mul, h.clone(), Value::Long(3)),
            Value::TimeSpan(3 * TICKS_PER_HOUR)
        );
        assert_eq!(
            eval(BinaryOp::Mul, Value::Long(2), h.clone()),
            Value::TimeSpan(2 * TICKS_PER_HOUR)
        );
        assert_eq!(
            eval(BinaryOp::Div, Value::TimeSpan(TICKS_PER_DAY), h.clone()),
            Value::Real(24.0)
        );
        assert_eq!(
            eval(BinaryOp::Mul, h, Value::Real(0.5)),
            Value::TimeSpan(TICKS_PER_HOUR / 2)
        );
    }

    #[test]
    fn typed_null_constants_of_every_numeric_type_give_null() {
        for ty in [
            DataType::Real,
            DataType::Decimal,
            DataType::Int,
            DataType::Long,
        ] {
            let null = ColumnarValue::Scalar(Value::Null, ty);
            for op in [
                BinaryOp::Add,
                BinaryOp::Sub,
                BinaryOp::Mul,
                BinaryOp::Div,
                BinaryOp::Mod,
            ] {
                for (l, r) in [
                    (null.clone(), lit(Value::Long(2))),
                    (lit(Value::Real(1.5)), null.clone()),
                ] {
                    let got = arith(op, &l, &r, 1).unwrap();
                    assert!(
                        matches!(got, ColumnarValue::Scalar(Value::Null, _)),
                        "{ty} {op:?}: {got:?}"
                    );
                }
            }
            let neg = negate(&null, 1).unwrap();
            assert!(
                matches!(neg, ColumnarValue::Scalar(Value::Null, _)),
                "-{ty}"
            );
        }
    }

    #[test]
    fn a_null_constant_against_a_column_gives_a_null_column() {
        let col = ColumnarValue::Column(std::sync::Arc::new(crate::column::Column::new(
            ColumnData::Real(vec![1.0, 2.0]),
        )));
        let null = ColumnarValue::Scalar(Value::Null, DataType::Real);
        let ColumnarValue::Column(c) = arith(BinaryOp::Add, &col, &null, 2).unwrap() else {
            panic!("a column result");
        };
        assert_eq!(c.len(), 2);
        assert!(c.is_null(0) && c.is_null(1));
    }

    #[test]
    fn nulls_propagate_through_arithmetic() {
        let null = ColumnarValue::Scalar(Value::Null, DataType::Long);
        let r = arith(BinaryOp::Add, &null, &lit(Value::Long(1)), 1).unwrap();
        assert_eq!(r, ColumnarValue::Scalar(Value::Null, DataType::Long));
    }
}
