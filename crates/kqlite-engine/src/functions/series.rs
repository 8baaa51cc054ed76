//! Element-wise `series_*` functions over dynamic numeric arrays.
//!
//! A scalar operand broadcasts over the other array; elements that are not
//! numbers give null elements.

use std::sync::Arc;

use super::{arity, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels::{self, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

macro_rules! unary {
    ($name:literal, $f:expr) => {
        Func::plain(
            $name,
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            |a, r, _| Ok(map_unary(a, r, $f)),
        )
    };
}

macro_rules! binary {
    ($name:literal, $op:expr) => {
        Func::plain(
            $name,
            |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            |a, r, _| Ok(map_binary(a, r, $op)),
        )
    };
}

pub(super) fn functions() -> Vec<Func> {
    vec![
        unary!("series_abs", f64::abs),
        unary!("series_acos", f64::acos),
        unary!("series_asin", f64::asin),
        unary!("series_atan", f64::atan),
        unary!("series_ceiling", f64::ceil),
        unary!("series_cos", f64::cos),
        unary!("series_exp", f64::exp),
        unary!("series_floor", f64::floor),
        unary!("series_log", f64::ln),
        unary!("series_sign", |x: f64| if x == 0.0 || x.is_nan() {
            x
        } else {
            x.signum()
        }),
        unary!("series_sin", f64::sin),
        unary!("series_tan", f64::tan),
        binary!("series_add", Op::Add),
        binary!("series_subtract", Op::Sub),
        binary!("series_multiply", Op::Mul),
        binary!("series_divide", Op::Div),
        binary!("series_pow", Op::Pow),
        binary!("series_equals", Op::Eq),
        binary!("series_not_equals", Op::Ne),
        binary!("series_greater", Op::Gt),
        binary!("series_greater_equals", Op::Ge),
        binary!("series_less", Op::Lt),
        binary!("series_less_equals", Op::Le),
        Func::plain(
            "series_sum",
            |a| arity(a, 1, 1).map(|_| DataType::Real),
            series_sum,
        ),
    ]
}

fn as_dynamic(args: &[ColumnarValue], i: usize, rows: usize) -> ColumnarValue {
    match args.get(i) {
        Some(a) => kernels::cast(a, DataType::Dynamic, rows),
        None => ColumnarValue::Scalar(Value::Dynamic(Dynamic::Null), DataType::Dynamic),
    }
}

fn map_unary(args: &[ColumnarValue], rows: usize, f: fn(f64) -> f64) -> ColumnarValue {
    rowwise(
        &[as_dynamic(args, 0, rows)],
        rows,
        DataType::Dynamic,
        |v| match v.first() {
            Some(Value::Dynamic(Dynamic::Array(a))) => Value::Dynamic(Dynamic::Array(Arc::new(
                a.iter()
                    .map(|d| convert::dyn_to_real(d).map_or(Dynamic::Null, |x| Dynamic::Real(f(x))))
                    .collect(),
            ))),
            _ => Value::Null,
        },
    )
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

fn element(op: Op, x: &Dynamic, y: &Dynamic) -> Dynamic {
    // Integer arithmetic stays integral (as Kusto's long series do).
    if let (Dynamic::Long(a), Dynamic::Long(b), Op::Add | Op::Sub | Op::Mul) = (x, y, op) {
        return Dynamic::Long(match op {
            Op::Add => a.wrapping_add(*b),
            Op::Sub => a.wrapping_sub(*b),
            _ => a.wrapping_mul(*b),
        });
    }
    let (Some(a), Some(b)) = (convert::dyn_to_real(x), convert::dyn_to_real(y)) else {
        return Dynamic::Null;
    };
    match op {
        Op::Add => Dynamic::Real(a + b),
        Op::Sub => Dynamic::Real(a - b),
        Op::Mul => Dynamic::Real(a * b),
        Op::Div => Dynamic::Real(a / b),
        Op::Pow => Dynamic::Real(a.powf(b)),
        Op::Eq => Dynamic::Bool(a == b),
        Op::Ne => Dynamic::Bool(a != b),
        Op::Gt => Dynamic::Bool(a > b),
        Op::Ge => Dynamic::Bool(a >= b),
        Op::Lt => Dynamic::Bool(a < b),
        Op::Le => Dynamic::Bool(a <= b),
    }
}

fn map_binary(args: &[ColumnarValue], rows: usize, op: Op) -> ColumnarValue {
    let parts = [as_dynamic(args, 0, rows), as_dynamic(args, 1, rows)];
    rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(Value::Dynamic(x)), Some(Value::Dynamic(y))) = (v.first(), v.get(1)) else {
            return Value::Null;
        };
        let out: Vec<Dynamic> = match (x, y) {
            (Dynamic::Array(a), Dynamic::Array(b)) => (0..a.len().max(b.len()))
                .map(|i| match (a.get(i), b.get(i)) {
                    (Some(p), Some(q)) => element(op, p, q),
                    _ => Dynamic::Null,
                })
                .collect(),
            (Dynamic::Array(a), s) => a.iter().map(|p| element(op, p, s)).collect(),
            (s, Dynamic::Array(b)) => b.iter().map(|q| element(op, s, q)).collect(),
            _ => return Value::Null,
        };
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    })
}

fn series_sum(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &[as_dynamic(args, 0, rows)],
        rows,
        DataType::Real,
        |v| match v.first() {
            Some(Value::Dynamic(Dynamic::Array(a))) => {
                Value::Real(a.iter().filter_map(convert::dyn_to_real).sum())
            }
            _ => Value::Null,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::call;
    use super::*;

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    #[test]
    fn unary_series_functions_map_each_element() {
        assert_eq!(
            call("series_abs", &[json(serde_json::json!([-6.5, 0, 8.2]))]),
            json(serde_json::json!([6.5, 0.0, 8.2]))
        );
        assert_eq!(
            call("series_floor", &[json(serde_json::json!([-1.5, 1, "x"]))]),
            json(serde_json::json!([-2.0, 1.0, null]))
        );
    }

    #[test]
    fn binary_series_functions_pair_elements_and_broadcast_scalars() {
        let s1 = json(serde_json::json!([1, 2, 4]));
        let s2 = json(serde_json::json!([4, 2, 1]));
        assert_eq!(
            call("series_add", &[s1.clone(), s2.clone()]),
            json(serde_json::json!([5, 4, 5]))
        );
        assert_eq!(
            call("series_divide", &[s1.clone(), s2.clone()]),
            json(serde_json::json!([0.25, 1.0, 4.0]))
        );
        assert_eq!(
            call("series_less", &[s1.clone(), s2]),
            json(serde_json::json!([true, false, false]))
        );
        assert_eq!(
            call("series_multiply", &[s1.clone(), json(serde_json::json!(2))]),
            json(serde_json::json!([2, 4, 8]))
        );
        assert_eq!(call("series_sum", &[s1]), Value::Real(7.0));
    }
}
