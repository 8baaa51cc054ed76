//! Math functions: `abs`, `round`, `sqrt`, `pow`, `log`, `min_of`,
//! `geo_distance_2points`, ...

use super::{arg, arity, as_real, expect, numeric_like, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels;
use crate::kernels::access::{self, reals_of, rows_for};
use crate::types::DataType;
use crate::value::Value;
use kqlite_parser::ast::{BinaryOp, UnaryOp};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain("abs", same_numeric, abs),
        Func::plain(
            "round",
            |a| {
                arity(a, 1, 2)?;
                expect(a, 0, "a number", numeric_like)?;
                Ok(DataType::Real)
            },
            round,
        ),
        Func::plain("ceiling", real_of_one, |a, r, _| {
            Ok(real_map(a, r, f64::ceil))
        }),
        Func::plain("sqrt", real_of_one, |a, r, _| Ok(real_map(a, r, f64::sqrt))),
        Func::plain("exp", real_of_one, |a, r, _| Ok(real_map(a, r, f64::exp))),
        Func::plain("exp2", real_of_one, |a, r, _| Ok(real_map(a, r, f64::exp2))),
        Func::plain("exp10", real_of_one, |a, r, _| {
            Ok(real_map(a, r, |x| 10f64.powf(x)))
        }),
        Func::plain("log", real_of_one, |a, r, _| Ok(real_map(a, r, f64::ln))),
        Func::plain("log10", real_of_one, |a, r, _| {
            Ok(real_map(a, r, f64::log10))
        }),
        Func::plain("log2", real_of_one, |a, r, _| Ok(real_map(a, r, f64::log2))),
        Func::plain("sign", real_of_one, |a, r, _| {
            Ok(real_map(a, r, |x| {
                if x == 0.0 || x.is_nan() {
                    x
                } else {
                    x.signum()
                }
            }))
        }),
        Func::plain(
            "pow",
            |a| {
                arity(a, 2, 2)?;
                Ok(DataType::Real)
            },
            pow,
        ),
        Func::plain("isnan", bool_of_one, |a, r, _| {
            Ok(real_test(a, r, f64::is_nan))
        }),
        Func::plain("isfinite", bool_of_one, |a, r, _| {
            Ok(real_test(a, r, f64::is_finite))
        }),
        Func::plain("isinf", bool_of_one, |a, r, _| {
            Ok(real_test(a, r, f64::is_infinite))
        }),
        Func::plain("min_of", extreme_type, |a, r, _| {
            extreme_of(a, r, BinaryOp::Lt)
        }),
        Func::plain("max_of", extreme_type, |a, r, _| {
            extreme_of(a, r, BinaryOp::Gt)
        }),
        Func::plain(
            "geo_distance_2points",
            |a| arity(a, 4, 4).map(|_| DataType::Real),
            geo_distance,
        ),
        Func::plain("binary_and", two_longs, |a, r, _| {
            Ok(bitwise(a, r, |x, y| Some(x & y)))
        }),
        Func::plain("binary_or", two_longs, |a, r, _| {
            Ok(bitwise(a, r, |x, y| Some(x | y)))
        }),
        Func::plain("binary_xor", two_longs, |a, r, _| {
            Ok(bitwise(a, r, |x, y| Some(x ^ y)))
        }),
        Func::plain("binary_shift_left", two_longs, |a, r, _| {
            Ok(bitwise(a, r, |x, y| {
                u32::try_from(y).ok().filter(|y| *y < 64).map(|y| x << y)
            }))
        }),
        Func::plain("binary_shift_right", two_longs, |a, r, _| {
            Ok(bitwise(a, r, |x, y| {
                u32::try_from(y).ok().filter(|y| *y < 64).map(|y| x >> y)
            }))
        }),
        Func::plain(
            "binary_not",
            |a| arity(a, 1, 1).map(|_| DataType::Long),
            |a, r, _| {
                let x = kernels::cast(&arg(a, 0), DataType::Long, r);
                let (n, scalar) = rows_for(&[&x], r);
                Ok(match access::ints(&x) {
                    Some(v) => access::longs(n, scalar, |i| v.get(i).map(|x| !x)),
                    None => ColumnarValue::Scalar(Value::Null, DataType::Long),
                })
            },
        ),
        Func::plain("sin", real_of_one, |a, r, _| Ok(real_map(a, r, f64::sin))),
        Func::plain("cos", real_of_one, |a, r, _| Ok(real_map(a, r, f64::cos))),
        Func::plain("tan", real_of_one, |a, r, _| Ok(real_map(a, r, f64::tan))),
        Func::plain("asin", real_of_one, |a, r, _| Ok(real_map(a, r, f64::asin))),
        Func::plain("acos", real_of_one, |a, r, _| Ok(real_map(a, r, f64::acos))),
        Func::plain("atan", real_of_one, |a, r, _| Ok(real_map(a, r, f64::atan))),
        Func::plain("cot", real_of_one, |a, r, _| {
            Ok(real_map(a, r, |x: f64| 1.0 / x.tan()))
        }),
        Func::plain("degrees", real_of_one, |a, r, _| {
            Ok(real_map(a, r, f64::to_degrees))
        }),
        Func::plain("radians", real_of_one, |a, r, _| {
            Ok(real_map(a, r, f64::to_radians))
        }),
        Func::plain(
            "pi",
            |a| arity(a, 0, 0).map(|_| DataType::Real),
            |_, _, _| {
                Ok(ColumnarValue::Scalar(
                    Value::Real(std::f64::consts::PI),
                    DataType::Real,
                ))
            },
        ),
        Func::plain(
            "atan2",
            |a| arity(a, 2, 2).map(|_| DataType::Real),
            |a, r, _| {
                let y = kernels::cast(&arg(a, 0), DataType::Real, r);
                let x = kernels::cast(&arg(a, 1), DataType::Real, r);
                let (n, scalar) = rows_for(&[&y, &x], r);
                Ok(match (reals_of(&y), reals_of(&x)) {
                    (Some(p), Some(q)) => {
                        access::reals(n, scalar, |i| Some(p.get(i)?.atan2(q.get(i)?)))
                    }
                    _ => ColumnarValue::Scalar(Value::Null, DataType::Real),
                })
            },
        ),
        Func::plain("gamma", real_of_one, |a, r, _| {
            Ok(real_map(a, r, libm::tgamma))
        }),
        Func::plain(
            "bitset_count_ones",
            |a| {
                arity(a, 1, 1)?;
                expect(a, 0, "an integer", |t| {
                    matches!(
                        t,
                        DataType::Int | DataType::Long | DataType::Bool | DataType::Dynamic
                    )
                })?;
                Ok(DataType::Long)
            },
            |a, r, _| {
                let x = kernels::cast(&arg(a, 0), DataType::Long, r);
                let (n, scalar) = rows_for(&[&x], r);
                Ok(match access::ints(&x) {
                    Some(v) => {
                        access::longs(n, scalar, |i| v.get(i).map(|x| i64::from(x.count_ones())))
                    }
                    None => ColumnarValue::Scalar(Value::Null, DataType::Long),
                })
            },
        ),
    ]
}

fn two_longs(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 2)?;
    expect(a, 0, "an integer", |t| {
        matches!(t, DataType::Int | DataType::Long | DataType::Dynamic)
    })?;
    expect(a, 1, "an integer", |t| {
        matches!(t, DataType::Int | DataType::Long | DataType::Dynamic)
    })?;
    Ok(DataType::Long)
}

/// A bitwise operator on two longs.
fn bitwise(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(i64, i64) -> Option<i64>,
) -> ColumnarValue {
    let x = kernels::cast(&arg(args, 0), DataType::Long, rows);
    let y = kernels::cast(&arg(args, 1), DataType::Long, rows);
    let (n, scalar) = rows_for(&[&x, &y], rows);
    match (access::ints(&x), access::ints(&y)) {
        (Some(a), Some(b)) => access::longs(n, scalar, |i| f(a.get(i)?, b.get(i)?)),
        _ => ColumnarValue::Scalar(Value::Null, DataType::Long),
    }
}

fn same_numeric(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    expect(a, 0, "a number or timespan", |t| {
        numeric_like(t) || t == DataType::TimeSpan
    })?;
    Ok(if a[0] == DataType::Dynamic {
        DataType::Real
    } else {
        a[0]
    })
}

fn real_of_one(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    expect(a, 0, "a number", numeric_like)?;
    Ok(DataType::Real)
}

fn bool_of_one(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    expect(a, 0, "a number", numeric_like)?;
    Ok(DataType::Bool)
}

/// `abs(x)`: keeps the argument's type.
fn abs(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let x = arg(args, 0);
    let neg = kernels::unary(UnaryOp::Neg, &x, rows)?;
    let zero = kernels::cast(
        &ColumnarValue::Scalar(Value::Long(0), DataType::Long),
        x.data_type(),
        rows,
    );
    let is_neg = kernels::binary(BinaryOp::Lt, &x, &zero, rows)?;
    let out_type = x.data_type();
    Ok(rowwise(&[is_neg, neg, x], rows, out_type, |v| match v {
        [Value::Bool(true), n, _] => n.clone(),
        [_, _, x] => x.clone(),
        _ => Value::Null,
    }))
}

/// `f` of each row's first argument as a real (null where that is null).
pub(super) fn real_map(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(f64) -> f64,
) -> ColumnarValue {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let (n, scalar) = rows_for(&[&x], rows);
    match reals_of(&x) {
        Some(v) => access::reals(n, scalar, |i| v.get(i).map(&f)),
        None => ColumnarValue::Scalar(Value::Null, DataType::Real),
    }
}

fn real_test(args: &[ColumnarValue], rows: usize, f: impl Fn(f64) -> bool) -> ColumnarValue {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let (n, scalar) = rows_for(&[&x], rows);
    match reals_of(&x) {
        Some(v) => access::bools(n, scalar, |i| v.get(i).map(&f)),
        None => ColumnarValue::Scalar(Value::Null, DataType::Bool),
    }
}

/// `round(x[, digits])`: half away from zero.
fn round(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let d = match args.get(1) {
        Some(d) => kernels::cast(d, DataType::Long, rows),
        None => ColumnarValue::Scalar(Value::Long(0), DataType::Long),
    };
    let (n, scalar) = rows_for(&[&x, &d], rows);
    let (Some(v), Some(p)) = (reals_of(&x), access::ints(&d)) else {
        return Ok(ColumnarValue::Scalar(Value::Null, DataType::Real));
    };
    Ok(access::reals(n, scalar, |i| {
        let (x, p) = (v.get(i)?, p.get(i)?.clamp(-15, 15) as i32);
        let scale = 10f64.powi(p);
        Some((x * scale).round() / scale)
    }))
}

fn pow(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let x = kernels::cast(&arg(args, 0), DataType::Real, rows);
    let y = kernels::cast(&arg(args, 1), DataType::Real, rows);
    let (n, scalar) = rows_for(&[&x, &y], rows);
    let (Some(a), Some(b)) = (reals_of(&x), reals_of(&y)) else {
        return Ok(ColumnarValue::Scalar(Value::Null, DataType::Real));
    };
    Ok(access::reals(n, scalar, |i| {
        Some(a.get(i)?.powf(b.get(i)?))
    }))
}

fn extreme_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 64)?;
    a.iter().skip(1).try_fold(a[0], |acc, &t| {
        if acc == t {
            Ok(acc)
        } else if acc.is_numeric() && t.is_numeric() {
            Ok(acc.max(t))
        } else {
            Err(FunctionError::ArgType {
                index: 1,
                expected: format!("{acc}"),
                got: t,
            })
        }
    })
}

/// `min_of`/`max_of`: the extreme non-null argument per row.
fn extreme_of(
    args: &[ColumnarValue],
    rows: usize,
    better: BinaryOp,
) -> Result<ColumnarValue, FunctionError> {
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    let ty = extreme_type(&types)?;
    let mut best = kernels::cast(&arg(args, 0), ty, rows);
    for a in args.iter().skip(1) {
        let a = kernels::cast(a, ty, rows);
        let take_new = kernels::binary(better, &a, &best, rows)?;
        let best_null = kernels::binary(BinaryOp::Eq, &best, &best, rows)?;
        best = rowwise(&[take_new, best_null, a, best], rows, ty, |v| match v {
            [Value::Bool(true), _, new, _] => new.clone(),
            [_, Value::Null, new, _] => new.clone(),
            [_, _, _, old] => old.clone(),
            _ => Value::Null,
        });
    }
    Ok(best)
}

/// `geo_distance_2points(lon1, lat1, lon2, lat2)`: great-circle distance in
/// meters (haversine on a sphere of radius 6,371,010 m, which reproduces
/// Kusto's results); invalid coordinates give null.
fn geo_distance(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    const EARTH_RADIUS_M: f64 = 6_371_010.0;
    Ok(rowwise(args, rows, DataType::Real, |v| {
        let nums: Option<Vec<f64>> = v.iter().map(as_real).collect();
        let Some([lon1, lat1, lon2, lat2]) =
            nums.as_deref().and_then(|n| <[f64; 4]>::try_from(n).ok())
        else {
            return Value::Null;
        };
        let valid =
            |lon: f64, lat: f64| (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
        if !valid(lon1, lat1) || !valid(lon2, lat2) {
            return Value::Null;
        }
        let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
        let dp = (lat2 - lat1).to_radians();
        let dl = (lon2 - lon1).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        Value::Real(2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin())
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::call;
    use super::*;

    #[test]
    fn abs_keeps_the_argument_type() {
        assert_eq!(call("abs", &[Value::Long(-5)]), Value::Long(5));
        assert_eq!(call("abs", &[Value::Real(-1.5)]), Value::Real(1.5));
        assert_eq!(call("abs", &[Value::TimeSpan(-3)]), Value::TimeSpan(3));
    }

    #[test]
    fn rounding_and_powers() {
        assert_eq!(call("round", &[Value::Real(2.5)]), Value::Real(3.0));
        assert_eq!(
            call("round", &[Value::Real(1.2345), Value::Long(2)]),
            Value::Real(1.23)
        );
        assert_eq!(call("ceiling", &[Value::Real(1.1)]), Value::Real(2.0));
        assert_eq!(
            call("pow", &[Value::Long(2), Value::Long(10)]),
            Value::Real(1024.0)
        );
        assert_eq!(call("sqrt", &[Value::Long(-1)]).to_string(), "NaN");
        assert_eq!(call("log10", &[Value::Long(100)]), Value::Real(2.0));
        assert_eq!(call("sign", &[Value::Long(-4)]), Value::Real(-1.0));
        assert_eq!(call("isnan", &[Value::Real(f64::NAN)]), Value::Bool(true));
    }

    #[test]
    fn trigonometry_works_in_radians() {
        assert_eq!(call("sin", &[Value::Real(0.0)]), Value::Real(0.0));
        assert_eq!(call("cos", &[Value::Long(0)]), Value::Real(1.0));
        assert_eq!(
            call("degrees", &[Value::Real(std::f64::consts::PI)]),
            Value::Real(180.0)
        );
        assert_eq!(
            call("atan2", &[Value::Real(1.0), Value::Real(1.0)]),
            Value::Real(std::f64::consts::FRAC_PI_4)
        );
        assert_eq!(call("pi", &[]), Value::Real(std::f64::consts::PI));
    }

    #[test]
    fn gamma_of_five_is_twenty_four_and_of_null_is_null() {
        let g = call("gamma", &[Value::Long(5)]);
        assert!(
            matches!(g, Value::Real(x) if (x - 24.0).abs() < 1e-9),
            "{g:?}"
        );
        assert!(matches!(call("gamma", &[Value::Real(0.5)]),
            Value::Real(x) if (x - std::f64::consts::PI.sqrt()).abs() < 1e-12));
        assert_eq!(call("gamma", &[Value::Null]), Value::Null);
    }

    #[test]
    fn bitset_count_ones_counts_the_set_bits_of_a_long() {
        assert_eq!(
            call("bitset_count_ones", &[Value::Long(42)]),
            Value::Long(3)
        );
        assert_eq!(call("bitset_count_ones", &[Value::Long(0)]), Value::Long(0));
        assert_eq!(
            call("bitset_count_ones", &[Value::Long(-1)]),
            Value::Long(64)
        );
        assert_eq!(call("bitset_count_ones", &[Value::Null]), Value::Null);
    }

    #[test]
    fn bitwise_functions_work_on_longs() {
        assert_eq!(
            call("binary_and", &[Value::Long(6), Value::Long(3)]),
            Value::Long(2)
        );
        assert_eq!(
            call("binary_or", &[Value::Long(6), Value::Long(3)]),
            Value::Long(7)
        );
        assert_eq!(
            call("binary_xor", &[Value::Long(6), Value::Long(3)]),
            Value::Long(5)
        );
        assert_eq!(call("binary_not", &[Value::Long(0)]), Value::Long(-1));
        assert_eq!(
            call("binary_shift_left", &[Value::Long(1), Value::Long(4)]),
            Value::Long(16)
        );
        assert_eq!(
            call("binary_shift_right", &[Value::Long(16), Value::Long(99)]),
            Value::Null
        );
    }

    #[test]
    fn min_of_and_max_of_skip_nulls() {
        assert_eq!(
            call("max_of", &[Value::Long(1), Value::Long(9), Value::Long(3)]),
            Value::Long(9)
        );
        assert_eq!(
            call("min_of", &[Value::Long(4), Value::Real(2.5)]),
            Value::Real(2.5)
        );
        let args = [
            ColumnarValue::Scalar(Value::Null, DataType::Long),
            ColumnarValue::Scalar(Value::Long(2), DataType::Long),
        ];
        assert_eq!(
            extreme_of(&args, 1, BinaryOp::Gt).unwrap().get(0),
            Value::Long(2)
        );
    }

    #[test]
    fn geo_distance_is_in_meters() {
        let d = call(
            "geo_distance_2points",
            &[
                Value::Real(-122.407628),
                Value::Real(47.578557),
                Value::Real(-118.275287),
                Value::Real(34.019056),
            ],
        );
        let Value::Real(m) = d else { panic!("{d:?}") };
        assert!((m - 1546754.3519738095).abs() < 1e-3, "{m}");
        assert_eq!(
            call(
                "geo_distance_2points",
                &[
                    Value::Long(300),
                    Value::Long(1),
                    Value::Long(1),
                    Value::Long(1)
                ]
            ),
            Value::Null
        );
    }
}
