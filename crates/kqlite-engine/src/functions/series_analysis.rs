//! Whole-series analysis functions: gap filling (`series_fill_*`),
//! filters (`series_fir`, `series_iir`), statistics (`series_stats_dynamic`,
//! `series_magnitude`, `series_dot_product`, `series_cosine_similarity`),
//! line fits (`series_fit_line_dynamic`, `series_fit_2lines_dynamic`) and
//! `series_seasonal` with an explicit period.
//!
//! Each row's series is a dynamic array; elements that are not numbers are
//! treated as missing.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{arg, arity, as_long, as_real, as_text, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels::{self, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    let dynamic = |min: usize, max: usize| -> super::Signature {
        match (min, max) {
            (1, 1) => |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            (1, 2) => |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            (1, 4) => |a| arity(a, 1, 4).map(|_| DataType::Dynamic),
            (2, 3) => |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            _ => |a| arity(a, 2, 4).map(|_| DataType::Dynamic),
        }
    };
    vec![
        Func::plain("series_fill_forward", dynamic(1, 2), |a, r, _| {
            Ok(fill(a, r, Fill::Forward))
        }),
        Func::plain("series_fill_backward", dynamic(1, 2), |a, r, _| {
            Ok(fill(a, r, Fill::Backward))
        }),
        Func::plain("series_fill_const", dynamic(2, 3), |a, r, _| {
            Ok(fill(a, r, Fill::Const))
        }),
        Func::plain("series_fill_linear", dynamic(1, 4), |a, r, _| {
            Ok(fill(a, r, Fill::Linear))
        }),
        Func::plain("series_fir", dynamic(2, 4), series_fir),
        Func::plain(
            "series_iir",
            |a| arity(a, 3, 3).map(|_| DataType::Dynamic),
            series_iir,
        ),
        Func::plain("series_seasonal", dynamic(1, 2), series_seasonal),
        Func::plain("series_stats_dynamic", dynamic(1, 2), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, stats))
        }),
        Func::plain("series_fit_line_dynamic", dynamic(1, 1), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, |s, _| {
                fit_line(s).map(|f| Value::Dynamic(f.to_bag(true)))
            }))
        }),
        Func::plain("series_fit_2lines_dynamic", dynamic(1, 1), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, fit_two_lines))
        }),
        Func::plain("series_stats", dynamic(1, 2), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, stats))
        }),
        Func::plain("series_fit_line", dynamic(1, 1), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, |s, _| {
                fit_line(s).map(|f| Value::Dynamic(f.to_bag(true)))
            }))
        }),
        Func::plain("series_fit_2lines", dynamic(1, 1), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, |s, rest| {
                fit_two_lines(s, rest).map(flatten_sides)
            }))
        }),
        Func::plain("series_fit_poly", dynamic(1, 4), series_fit_poly),
        Func::plain("series_decompose", dynamic(1, 4), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, decompose_bag))
        }),
        Func::plain(
            "series_decompose_forecast",
            |a| arity(a, 2, 5).map(|_| DataType::Dynamic),
            |a, r, _| Ok(per_series(a, r, DataType::Dynamic, forecast)),
        ),
        Func::plain(
            "series_decompose_anomalies",
            |a| arity(a, 1, 7).map(|_| DataType::Dynamic),
            |a, r, _| Ok(per_series(a, r, DataType::Dynamic, anomalies_bag)),
        ),
        Func::plain("series_periods_detect", dynamic(2, 4), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, periods_bag))
        }),
        Func::plain("series_periods_validate", dynamic(2, 17), |a, r, _| {
            Ok(per_series(a, r, DataType::Dynamic, periods_validate_bag))
        }),
        Func::plain(
            "series_magnitude",
            |a| arity(a, 1, 1).map(|_| DataType::Real),
            |a, r, _| {
                Ok(per_series(a, r, DataType::Real, |s, _| {
                    Some(Value::Real(
                        s.iter().flatten().map(|x| x * x).sum::<f64>().sqrt(),
                    ))
                }))
            },
        ),
        Func::plain(
            "series_dot_product",
            |a| arity(a, 2, 2).map(|_| DataType::Real),
            |a, r, _| Ok(pairwise(a, r, |x, y| Some(dot(x, y)))),
        ),
        Func::plain(
            "series_cosine_similarity",
            |a| arity(a, 2, 4).map(|_| DataType::Real),
            |a, r, _| {
                Ok(pairwise(a, r, |x, y| {
                    Some(dot(x, y) / (dot(x, x).sqrt() * dot(y, y).sqrt()))
                }))
            },
        ),
    ]
}

/// A series' elements as reals (`None` for missing ones), and whether every
/// present element is an integer.
fn series_of(d: &Dynamic) -> Option<(Vec<Option<f64>>, bool)> {
    let Dynamic::Array(a) = d else { return None };
    let integral = a.iter().any(|e| matches!(e, Dynamic::Long(_)))
        && a.iter()
            .all(|e| matches!(e, Dynamic::Long(_) | Dynamic::Null));
    Some((a.iter().map(convert::dyn_to_real).collect(), integral))
}

fn to_array(values: impl IntoIterator<Item = Option<f64>>, integral: bool) -> Value {
    Value::Dynamic(Dynamic::Array(Arc::new(
        values
            .into_iter()
            .map(|v| match v {
                Some(x) if integral && x.is_finite() => Dynamic::Long(x as i64),
                Some(x) => Dynamic::Real(x),
                None => Dynamic::Null,
            })
            .collect(),
    )))
}

/// Applies `f` to each row's series (argument 0) and the row's remaining
/// arguments.
fn per_series(
    args: &[ColumnarValue],
    rows: usize,
    ty: DataType,
    f: impl Fn(&[Option<f64>], &[Value]) -> Option<Value>,
) -> ColumnarValue {
    let parts = series_args(args, rows, 1);
    rowwise(&parts, rows, ty, |v| {
        let Some(Value::Dynamic(d)) = v.first() else {
            return Value::Null;
        };
        let Some((s, _)) = series_of(d) else {
            return Value::Null;
        };
        f(&s, v.get(1..).unwrap_or_default()).unwrap_or(Value::Null)
    })
}

fn pairwise(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(&[f64], &[f64]) -> Option<f64>,
) -> ColumnarValue {
    let parts = [
        kernels::cast(&arg(args, 0), DataType::Dynamic, rows),
        kernels::cast(&arg(args, 1), DataType::Dynamic, rows),
    ];
    rowwise(&parts, rows, DataType::Real, |v| {
        let (Some(Value::Dynamic(a)), Some(Value::Dynamic(b))) = (v.first(), v.get(1)) else {
            return Value::Null;
        };
        let (Some((x, _)), Some((y, _))) = (series_of(a), series_of(b)) else {
            return Value::Null;
        };
        let n = x.len().max(y.len());
        let dense = |s: &[Option<f64>]| -> Vec<f64> {
            (0..n)
                .map(|i| s.get(i).copied().flatten().unwrap_or(0.0))
                .collect()
        };
        f(&dense(&x), &dense(&y)).map_or(Value::Null, Value::Real)
    })
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

#[derive(Clone, Copy)]
enum Fill {
    Forward,
    Backward,
    Const,
    Linear,
}

/// The `series_fill_*` family. The missing-value placeholder argument (null
/// by default) marks which elements are gaps.
fn fill(args: &[ColumnarValue], rows: usize, how: Fill) -> ColumnarValue {
    let parts = series_args(args, rows, 1);
    rowwise(&parts, rows, DataType::Dynamic, |v| {
        let Some(Value::Dynamic(d)) = v.first() else {
            return Value::Null;
        };
        let Some((mut s, integral)) = series_of(d) else {
            return Value::Null;
        };
        let placeholder_at = match how {
            Fill::Const => 2,
            _ => 1,
        };
        if let Some(p) = v.get(placeholder_at).and_then(as_real) {
            for x in s.iter_mut() {
                if *x == Some(p) {
                    *x = None;
                }
            }
        }
        match how {
            Fill::Forward => {
                let mut last = None;
                for x in s.iter_mut() {
                    match x {
                        Some(_) => last = *x,
                        None => *x = last,
                    }
                }
                to_array(s, integral)
            }
            Fill::Backward => {
                let mut next = None;
                for x in s.iter_mut().rev() {
                    match x {
                        Some(_) => next = *x,
                        None => *x = next,
                    }
                }
                to_array(s, integral)
            }
            Fill::Const => {
                let c = v.get(1).cloned().unwrap_or(Value::Null);
                let c_dyn = kernels::access::value_to_dynamic(&c);
                let Dynamic::Array(orig) = d else {
                    return Value::Null;
                };
                Value::Dynamic(Dynamic::Array(Arc::new(
                    orig.iter()
                        .zip(&s)
                        .map(|(e, x)| {
                            if x.is_some() {
                                e.clone()
                            } else {
                                c_dyn.clone()
                            }
                        })
                        .collect(),
                )))
            }
            Fill::Linear => {
                let edges = !matches!(v.get(2), Some(Value::Bool(false)));
                let constant = v.get(3).and_then(as_real).unwrap_or(0.0);
                to_array(fill_linear(&s, edges, constant), integral)
            }
        }
    })
}

fn fill_linear(s: &[Option<f64>], edges: bool, constant: f64) -> Vec<Option<f64>> {
    let known: Vec<(usize, f64)> = s
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.map(|x| (i, x)))
        .collect();
    let (Some(&(first_i, first)), Some(&(last_i, last))) = (known.first(), known.last()) else {
        return vec![Some(constant); s.len()];
    };
    let mut out = s.to_vec();
    for w in known.windows(2) {
        let [(i0, y0), (i1, y1)] = [w[0], w[1]];
        for (k, slot) in out.iter_mut().enumerate().take(i1).skip(i0 + 1) {
            *slot = Some(y0 + (y1 - y0) * (k - i0) as f64 / (i1 - i0) as f64);
        }
    }
    if edges {
        for slot in out.iter_mut().take(first_i) {
            *slot = Some(first);
        }
        for slot in out.iter_mut().skip(last_i + 1) {
            *slot = Some(last);
        }
    }
    out
}

/// `series_fir(x, filter[, normalize[, center]])`.
fn series_fir(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = series_args(args, rows, 2);
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(Value::Dynamic(x)), Some(Value::Dynamic(c))) = (v.first(), v.get(1)) else {
            return Value::Null;
        };
        let (Some((x, _)), Some((c, _))) = (series_of(x), series_of(c)) else {
            return Value::Null;
        };
        let c: Vec<f64> = c.iter().map(|k| k.unwrap_or(0.0)).collect();
        let has_negative = c.iter().any(|k| *k < 0.0);
        let normalize = match v.get(2) {
            Some(Value::Bool(b)) => *b,
            _ => !has_negative,
        };
        let center = matches!(v.get(3), Some(Value::Bool(true)));
        let total: f64 = c.iter().sum();
        if normalize && (has_negative || total == 0.0) {
            return Value::Null;
        }
        let scale = if normalize { total } else { 1.0 };
        let shift = if center {
            (c.len().saturating_sub(1)) / 2
        } else {
            0
        };
        let n = x.len();
        let out = (0..n).map(|i| {
            let at = i + shift;
            let sum: f64 = c
                .iter()
                .enumerate()
                .filter_map(|(j, k)| {
                    let src = at.checked_sub(j)?;
                    Some(k * x.get(src).copied().flatten().unwrap_or(0.0))
                })
                .sum();
            Some(sum / scale)
        });
        to_array(out, false)
    }))
}

/// `series_iir(x, numerators, denominators)`: the filter
/// `a0*y[n] = sum(b[i]*x[n-i]) - sum(a[j]*y[n-j], j >= 1)`.
fn series_iir(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts: Vec<ColumnarValue> = (0..3)
        .map(|i| kernels::cast(&arg(args, i), DataType::Dynamic, rows))
        .collect();
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(Value::Dynamic(x)), Some(Value::Dynamic(b)), Some(Value::Dynamic(a))) =
            (v.first(), v.get(1), v.get(2))
        else {
            return Value::Null;
        };
        let (Some((x, _)), Some((b, _)), Some((a, _))) = (series_of(x), series_of(b), series_of(a))
        else {
            return Value::Null;
        };
        let b: Vec<f64> = b.iter().map(|k| k.unwrap_or(0.0)).collect();
        let a: Vec<f64> = a.iter().map(|k| k.unwrap_or(0.0)).collect();
        let a0 = a.first().copied().unwrap_or(1.0);
        if a0 == 0.0 {
            return Value::Null;
        }
        let mut y: Vec<f64> = Vec::with_capacity(x.len());
        for n in 0..x.len() {
            let mut acc = 0.0;
            for (i, bi) in b.iter().enumerate() {
                if let Some(src) = n.checked_sub(i) {
                    acc += bi * x.get(src).copied().flatten().unwrap_or(0.0);
                }
            }
            for (j, aj) in a.iter().enumerate().skip(1) {
                if let Some(src) = n.checked_sub(j) {
                    acc -= aj * y.get(src).copied().unwrap_or(0.0);
                }
            }
            y.push(acc / a0);
        }
        to_array(y.into_iter().map(Some), false)
    }))
}

/// `series_seasonal(x, period)`: each element replaced by the median of the
/// elements at the same phase. Automatic period detection (no period or a
/// negative one) is not supported and gives null.
fn series_seasonal(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(per_series(args, rows, DataType::Dynamic, |s, rest| {
        let period = rest.first().and_then(as_long).unwrap_or(-1);
        if period < 0 {
            let y: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
            let found = auto_period(&y);
            if found == 0 {
                return Some(to_array(s.iter().map(|_| Some(0.0)), false));
            }
            return Some(to_array(seasonal_medians(s, found), false));
        }
        let period = usize::try_from(period).ok().filter(|p| *p > 0)?;
        Some(to_array(seasonal_medians(s, period), false))
    }))
}

/// Each element replaced by the median of the elements at its phase of
/// `period`.
fn seasonal_medians(s: &[Option<f64>], period: usize) -> Vec<Option<f64>> {
    {
        let period = period.clamp(1, s.len().max(1));
        let medians: Vec<f64> = (0..period)
            .map(|phase| {
                let mut vals: Vec<f64> = s
                    .iter()
                    .skip(phase)
                    .step_by(period)
                    .flatten()
                    .copied()
                    .collect();
                median(&mut vals)
            })
            .collect();
        (0..s.len())
            .map(|i| medians.get(i % period).copied())
            .collect()
    }
}

/// The period used when none is given: the lag from 4 to a quarter of the
/// length (so at least four cycles are seen) whose lagged Pearson
/// correlation is highest, if it reaches 0.7; 0 when there is none.
fn auto_period(y: &[f64]) -> usize {
    let corr = |a: &[f64], b: &[f64]| -> f64 {
        let n = a.len().min(b.len()) as f64;
        if n < 2.0 {
            return 0.0;
        }
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let num: f64 = a.iter().zip(b).map(|(x, z)| (x - ma) * (z - mb)).sum();
        let da: f64 = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>().sqrt();
        let db: f64 = b.iter().map(|z| (z - mb).powi(2)).sum::<f64>().sqrt();
        if da * db == 0.0 {
            0.0
        } else {
            num / (da * db)
        }
    };
    let n = y.len();
    (4..=n / 4)
        .filter_map(|lag| {
            let head = y.get(..n - lag)?;
            let tail = y.get(lag..)?;
            Some((lag, corr(head, tail)))
        })
        .filter(|(_, c)| *c >= 0.7)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(0, |(lag, _)| lag)
}

fn median(vals: &mut [f64]) -> f64 {
    if vals.is_empty() {
        return 0.0;
    }
    vals.sort_by(f64::total_cmp);
    let mid = vals.len() / 2;
    match (vals.get(mid.wrapping_sub(1)), vals.get(mid)) {
        (Some(a), Some(b)) if vals.len() % 2 == 0 => (a + b) / 2.0,
        (_, Some(b)) => *b,
        _ => 0.0,
    }
}

/// `series_stats_dynamic(x)`: min/max (with indexes), average, sample
/// standard deviation and variance, sum and length of the present values.
fn stats(s: &[Option<f64>], _: &[Value]) -> Option<Value> {
    let present: Vec<(usize, f64)> = s
        .iter()
        .enumerate()
        .filter_map(|(i, x)| x.filter(|x| !x.is_nan()).map(|x| (i, x)))
        .collect();
    let n = present.len();
    let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    let min = present
        .iter()
        .copied()
        .reduce(|a, b| if b.1 < a.1 { b } else { a });
    let max = present
        .iter()
        .copied()
        .reduce(|a, b| if b.1 > a.1 { b } else { a });
    let sum: f64 = present.iter().map(|p| p.1).sum();
    let avg = sum / n as f64;
    let variance = if n > 1 {
        present.iter().map(|p| (p.1 - avg).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let real = |x: Option<f64>| x.map_or(Dynamic::Null, Dynamic::Real);
    let idx = |x: Option<(usize, f64)>| x.map_or(Dynamic::Null, |p| Dynamic::Long(p.0 as i64));
    bag.insert("min".into(), real(min.map(|p| p.1)));
    bag.insert("min_idx".into(), idx(min));
    bag.insert("max".into(), real(max.map(|p| p.1)));
    bag.insert("max_idx".into(), idx(max));
    bag.insert("avg".into(), real((n > 0).then_some(avg)));
    bag.insert("stdev".into(), Dynamic::Real(variance.sqrt()));
    bag.insert("variance".into(), Dynamic::Real(variance));
    bag.insert("sum".into(), Dynamic::Real(sum));
    bag.insert("len".into(), Dynamic::Long(n as i64));
    Some(Value::Dynamic(Dynamic::Bag(Arc::new(bag))))
}

/// A least-squares line over `x = 1, 2, ...`.
struct LineFit {
    slope: f64,
    interception: f64,
    rsquare: f64,
    variance: f64,
    rvariance: f64,
    line: Vec<f64>,
}

impl LineFit {
    fn to_bag(&self, with_line: bool) -> Dynamic {
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
        bag.insert("slope".into(), Dynamic::Real(self.slope));
        bag.insert("interception".into(), Dynamic::Real(self.interception));
        bag.insert("rsquare".into(), Dynamic::Real(self.rsquare));
        bag.insert("variance".into(), Dynamic::Real(self.variance));
        bag.insert("rvariance".into(), Dynamic::Real(self.rvariance));
        if with_line {
            bag.insert(
                "line_fit".into(),
                Dynamic::Array(Arc::new(
                    self.line.iter().map(|y| Dynamic::Real(*y)).collect(),
                )),
            );
        }
        Dynamic::Bag(Arc::new(bag))
    }
}

/// Fits `y[i]` (missing values count as 0) against `x = offset + i + 1`.
fn fit_points(y: &[f64], offset: usize) -> LineFit {
    let n = y.len() as f64;
    let xs = || (0..y.len()).map(|i| (offset + i + 1) as f64);
    let mx = xs().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = xs().zip(y).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs().map(|x| (x - mx).powi(2)).sum();
    let slope = if sxx == 0.0 { 0.0 } else { sxy / sxx };
    let interception = my - slope * mx;
    let line: Vec<f64> = xs().map(|x| slope * x + interception).collect();
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let ss_res: f64 = y.iter().zip(&line).map(|(v, f)| (v - f).powi(2)).sum();
    let dof = (n - 1.0).max(1.0);
    LineFit {
        slope,
        interception,
        rsquare: if ss_tot == 0.0 {
            1.0
        } else {
            1.0 - ss_res / ss_tot
        },
        variance: ss_tot / dof,
        rvariance: ss_res / dof,
        line,
    }
}

fn fit_line(s: &[Option<f64>]) -> Option<LineFit> {
    if s.is_empty() {
        return None;
    }
    let y: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    Some(fit_points(&y, 0))
}

/// `series_fit_2lines_dynamic(y)`: the split into two independent line fits
/// with the smallest total squared residual.
fn fit_two_lines(s: &[Option<f64>], _: &[Value]) -> Option<Value> {
    let y: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    if y.len() < 4 {
        return fit_line(s).map(|f| Value::Dynamic(f.to_bag(true)));
    }
    let residual = |f: &LineFit, ys: &[f64]| -> f64 {
        ys.iter().zip(&f.line).map(|(v, p)| (v - p).powi(2)).sum()
    };
    let mut best: Option<(f64, usize, LineFit, LineFit)> = None;
    for split in 2..=y.len() - 2 {
        let (l, r) = y.split_at(split);
        let left = fit_points(l, 0);
        let right = fit_points(r, split);
        let total = residual(&left, l) + residual(&right, r);
        if best.as_ref().is_none_or(|b| total < b.0) {
            best = Some((total, split, left, right));
        }
    }
    let (ss_res, split, left, right) = best?;
    let n = y.len() as f64;
    let my = y.iter().sum::<f64>() / n;
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let dof = (n - 1.0).max(1.0);
    let line: Vec<Dynamic> = left
        .line
        .iter()
        .chain(&right.line)
        .map(|v| Dynamic::Real(*v))
        .collect();
    let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    bag.insert(
        "rsquare".into(),
        Dynamic::Real(if ss_tot == 0.0 {
            1.0
        } else {
            1.0 - ss_res / ss_tot
        }),
    );
    bag.insert("split_idx".into(), Dynamic::Long(split as i64 - 1));
    bag.insert("variance".into(), Dynamic::Real(ss_tot / dof));
    bag.insert("rvariance".into(), Dynamic::Real(ss_res / dof));
    bag.insert("line_fit".into(), Dynamic::Array(Arc::new(line)));
    bag.insert("right".into(), right.to_bag(false));
    bag.insert("left".into(), left.to_bag(false));
    Some(Value::Dynamic(Dynamic::Bag(Arc::new(bag))))
}

fn bag(entries: Vec<(&str, Dynamic)>) -> Value {
    Value::Dynamic(Dynamic::Bag(Arc::new(
        entries
            .into_iter()
            .map(|(k, v)| (Arc::from(k), v))
            .collect(),
    )))
}

fn reals_array(values: &[f64]) -> Dynamic {
    Dynamic::Array(Arc::new(values.iter().map(|v| Dynamic::Real(*v)).collect()))
}

/// Lifts the `left`/`right` sub-bags of a two-line fit into `left_*` and
/// `right_*` keys, the column suffixes of `series_fit_2lines`.
fn flatten_sides(v: Value) -> Value {
    let Value::Dynamic(Dynamic::Bag(b)) = v else {
        return v;
    };
    let mut out: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    for (k, d) in b.iter() {
        match d {
            Dynamic::Bag(side) if matches!(k.as_ref(), "left" | "right") => {
                for (sk, sv) in side.iter() {
                    out.insert(format!("{k}_{sk}").into(), sv.clone());
                }
            }
            other => {
                out.insert(k.clone(), other.clone());
            }
        }
    }
    Value::Dynamic(Dynamic::Bag(Arc::new(out)))
}

/// `series_fit_poly(y[, x[, degree]])`: a least-squares polynomial.
fn series_fit_poly(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = series_args(args, rows, 2);
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let Some(Value::Dynamic(yd)) = v.first() else {
            return Value::Null;
        };
        let Some((ys, _)) = series_of(yd) else {
            return Value::Null;
        };
        let ys: Vec<f64> = ys.iter().map(|y| y.unwrap_or(0.0)).collect();
        let xs: Vec<f64> = match v.get(1) {
            Some(Value::Dynamic(xd @ Dynamic::Array(_))) => match series_of(xd) {
                Some((x, _)) if x.len() == ys.len() => x.iter().map(|x| x.unwrap_or(0.0)).collect(),
                _ => return Value::Null,
            },
            _ => (1..=ys.len()).map(|i| i as f64).collect(),
        };
        let degree = v.get(2).and_then(as_long).unwrap_or(1).clamp(1, 6) as usize;
        let Some(coef) = poly_fit(&xs, &ys, degree) else {
            return Value::Null;
        };
        let fit: Vec<f64> = xs
            .iter()
            .map(|x| coef.iter().rev().fold(0.0, |acc, c| acc * x + c))
            .collect();
        let n = ys.len() as f64;
        let my = ys.iter().sum::<f64>() / n;
        let ss_tot: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
        let ss_res: f64 = ys.iter().zip(&fit).map(|(y, f)| (y - f).powi(2)).sum();
        let dof = (n - 1.0).max(1.0);
        bag(vec![
            (
                "rsquare",
                Dynamic::Real(if ss_tot == 0.0 {
                    1.0
                } else {
                    1.0 - ss_res / ss_tot
                }),
            ),
            ("coefficients", reals_array(&coef)),
            ("variance", Dynamic::Real(ss_tot / dof)),
            ("rvariance", Dynamic::Real(ss_res / dof)),
            ("poly_fit", reals_array(&fit)),
        ])
    }))
}

/// Polynomial coefficients (constant term first) by the normal equations.
fn poly_fit(xs: &[f64], ys: &[f64], degree: usize) -> Option<Vec<f64>> {
    let m = degree + 1;
    if xs.len() < m {
        return None;
    }
    let mut a = vec![vec![0.0; m + 1]; m];
    for (x, y) in xs.iter().zip(ys) {
        let powers: Vec<f64> = (0..2 * m).map(|k| x.powi(k as i32)).collect();
        for (r, row) in a.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().take(m).enumerate() {
                *cell += powers.get(r + c).copied().unwrap_or(0.0);
            }
            if let Some(last) = row.last_mut() {
                *last += y * powers.get(r).copied().unwrap_or(0.0);
            }
        }
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..m {
        let size = |i: usize| {
            a.get(i)
                .and_then(|row| row.get(col))
                .map_or(0.0, |v| v.abs())
        };
        let pivot = (col..m).max_by(|&i, &j| size(i).total_cmp(&size(j)))?;
        a.swap(col, pivot);
        let pivot_row = a.get(col)?.clone();
        let p = *pivot_row.get(col)?;
        if p.abs() < 1e-300 {
            return None;
        }
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row.get(col).copied().unwrap_or(0.0) / p;
                for (cell, pv) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *cell -= f * pv;
                }
            }
        }
    }
    a.iter()
        .enumerate()
        .map(|(i, row)| Some(row.get(m)? / row.get(i)?))
        .collect()
}

/// The lag in `min..=max` with the highest autocorrelation, best first,
/// with those scores; at most `count` local maxima scoring above zero.
fn detect_periods(y: &[f64], min: usize, max: usize, count: usize) -> Vec<(usize, f64)> {
    let n = y.len();
    if n < 4 {
        return Vec::new();
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let dev: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let var: f64 = dev.iter().map(|d| d * d).sum();
    if var == 0.0 {
        return Vec::new();
    }
    let max = max.min(n / 2);
    // Periods have at least 4 points (as documented for Kusto).
    let min = min.max(4);
    let score =
        |lag: usize| -> f64 { dev.iter().zip(&dev[lag..]).map(|(a, b)| a * b).sum::<f64>() / var };
    let scores: Vec<(usize, f64)> = (min.saturating_sub(1)..=max + 1)
        .filter(|&l| l >= 1 && l < n)
        .map(|l| (l, score(l)))
        .collect();
    let mut peaks: Vec<(usize, f64)> = scores
        .windows(3)
        .filter_map(|w| match w {
            [a, b, c] if b.1 > a.1 && b.1 >= c.1 && b.1 > 0.0 && (min..=max).contains(&b.0) => {
                Some(*b)
            }
            _ => None,
        })
        .collect();
    peaks.sort_by(|a, b| b.1.total_cmp(&a.1));
    peaks.truncate(count);
    peaks
}

/// The autocorrelation score of a (possibly fractional) period: between
/// the scores of the lags around it, 0 outside `[4, n / 2]` or when not
/// positive.
fn period_score(y: &[f64], period: f64) -> f64 {
    let n = y.len();
    if !(4.0..=(n / 2) as f64).contains(&period) {
        return 0.0;
    }
    let mean = y.iter().sum::<f64>() / n as f64;
    let dev: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let var: f64 = dev.iter().map(|d| d * d).sum();
    if var == 0.0 {
        return 0.0;
    }
    let acf = |lag: usize| -> f64 {
        dev.iter()
            .zip(dev.iter().skip(lag))
            .map(|(a, b)| a * b)
            .sum::<f64>()
            / var
    };
    let lo = period.floor();
    let frac = period - lo;
    let lo = lo as usize;
    let score = acf(lo) * (1.0 - frac) + if frac > 0.0 { acf(lo + 1) * frac } else { 0.0 };
    score.clamp(0.0, 1.0)
}

/// `series_periods_validate(y, period1[, period2, ...])`: each period with
/// its score (up to 16 periods).
fn periods_validate_bag(s: &[Option<f64>], rest: &[Value]) -> Option<Value> {
    let y: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    let periods: Vec<f64> = rest
        .iter()
        .take(16)
        .map(|p| as_real(p).unwrap_or(0.0))
        .collect();
    let scores: Vec<f64> = periods.iter().map(|p| period_score(&y, *p)).collect();
    Some(bag(vec![
        ("periods", reals_array(&periods)),
        ("scores", reals_array(&scores)),
    ]))
}

/// `series_periods_detect(y, min_period, max_period[, count])`.
fn periods_bag(s: &[Option<f64>], rest: &[Value]) -> Option<Value> {
    let y: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    let min = rest.first().and_then(as_real).unwrap_or(0.0).max(0.0) as usize;
    let max = rest.get(1).and_then(as_real).unwrap_or(0.0).max(0.0) as usize;
    let count = rest.get(2).and_then(as_long).unwrap_or(1).clamp(1, 64) as usize;
    let found = detect_periods(&y, min, max, count);
    let mut periods = vec![0.0; count];
    let mut scores = vec![0.0; count];
    for (i, (p, sc)) in found.into_iter().enumerate() {
        if let (Some(ps), Some(ss)) = (periods.get_mut(i), scores.get_mut(i)) {
            *ps = p as f64;
            *ss = sc;
        }
    }
    Some(bag(vec![
        ("periods", reals_array(&periods)),
        ("scores", reals_array(&scores)),
    ]))
}

/// Seasonal, trend, baseline and residual components of a series.
struct Decomposition {
    baseline: Vec<f64>,
    seasonal: Vec<f64>,
    trend: Vec<f64>,
    residual: Vec<f64>,
}

/// Splits `y` into a trend (`avg`, `linefit` or `none`) and a seasonal part
/// (the mean of the detrended values at each phase of `period`; a negative
/// period is detected by autocorrelation, zero means none).
fn decompose(y: &[f64], period: i64, trend_kind: &str) -> Decomposition {
    let n = y.len();
    let trend: Vec<f64> = match trend_kind {
        "none" => vec![0.0; n],
        "linefit" => fit_points(y, 0).line,
        _ => vec![y.iter().sum::<f64>() / n.max(1) as f64; n],
    };
    let detrended: Vec<f64> = y.iter().zip(&trend).map(|(a, b)| a - b).collect();
    let period = if period < 0 {
        auto_period(&detrended)
    } else {
        period as usize
    };
    let seasonal: Vec<f64> = if period > 1 && period < n {
        let means: Vec<f64> = (0..period)
            .map(|phase| {
                let vals: Vec<f64> = detrended
                    .iter()
                    .skip(phase)
                    .step_by(period)
                    .copied()
                    .collect();
                vals.iter().sum::<f64>() / vals.len().max(1) as f64
            })
            .collect();
        (0..n)
            .map(|i| means.get(i % period).copied().unwrap_or(0.0))
            .collect()
    } else {
        vec![0.0; n]
    };
    let baseline: Vec<f64> = seasonal.iter().zip(&trend).map(|(s, t)| s + t).collect();
    let residual: Vec<f64> = y.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    Decomposition {
        baseline,
        seasonal,
        trend,
        residual,
    }
}

fn decomposition_args(s: &[Option<f64>], rest: &[Value]) -> (Vec<f64>, i64, String) {
    let y: Vec<f64> = s.iter().map(|v| v.unwrap_or(0.0)).collect();
    let period = rest.first().and_then(as_long).unwrap_or(-1);
    let trend = rest
        .get(1)
        .map(as_text)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "avg".to_string());
    (y, period, trend)
}

/// `series_decompose(y[, period[, trend[, test_points]]])`.
/// `series_decompose_forecast(y, points[, period[, trend]])`: decomposes
/// all but the last `points` elements, then continues the trend (the
/// training mean for `avg`, the fitted line for `linefit`, zero for `none`)
/// and the repeating seasonal pattern over the whole series, the forecast
/// points included. The seasonality threshold argument is accepted.
fn forecast(s: &[Option<f64>], rest: &[Value]) -> Option<Value> {
    let points = rest.first().and_then(as_long)?;
    let points = usize::try_from(points).ok()?.min(s.len());
    let (y, period, trend) = decomposition_args(s, rest.get(1..).unwrap_or_default());
    Some(Value::Dynamic(reals_array(&forecast_values(
        &y, points, period, &trend,
    ))))
}

/// The baseline of `y` learned from all but its last `points` elements and
/// continued over the whole series.
fn forecast_values(y: &[f64], points: usize, period: i64, trend: &str) -> Vec<f64> {
    let n = y.len();
    let train = y.get(..n.saturating_sub(points)).unwrap_or_default();
    if train.is_empty() {
        return vec![0.0; n];
    }
    let d = decompose(train, period, trend);
    let trend_at: Box<dyn Fn(usize) -> f64> = match trend {
        "none" => Box::new(|_| 0.0),
        "linefit" => {
            let fit = fit_points(train, 0);
            Box::new(move |i| fit.slope * (i + 1) as f64 + fit.interception)
        }
        _ => {
            let mean = train.iter().sum::<f64>() / train.len() as f64;
            Box::new(move |_| mean)
        }
    };
    // The seasonal pattern repeats with the shortest period found in the
    // training decomposition.
    let period = seasonal_period(&d.seasonal);
    (0..n)
        .map(|i| {
            let seasonal = match period {
                Some(p) => d.seasonal.get(i % p).copied().unwrap_or(0.0),
                None => 0.0,
            };
            trend_at(i) + seasonal
        })
        .collect()
}

/// The shortest period with which a seasonal component repeats (`None`
/// when it is all zeros).
fn seasonal_period(seasonal: &[f64]) -> Option<usize> {
    if seasonal.iter().all(|v| *v == 0.0) {
        return None;
    }
    (1..=seasonal.len()).find(|&p| {
        seasonal
            .iter()
            .zip(seasonal.iter().skip(p))
            .all(|(a, b)| a == b)
    })
}

fn decompose_bag(s: &[Option<f64>], rest: &[Value]) -> Option<Value> {
    let (y, period, trend) = decomposition_args(s, rest);
    let d = decompose(&y, period, &trend);
    Some(bag(vec![
        ("baseline", reals_array(&d.baseline)),
        ("seasonal", reals_array(&d.seasonal)),
        ("trend", reals_array(&d.trend)),
        ("residual", reals_array(&d.residual)),
    ]))
}

/// `series_decompose_anomalies(y[, threshold[, period[, trend[,
/// test_points[, ad_method[, seasonality_threshold]]]]]])`: decomposes the
/// series (all but the last `test_points`, whose baseline is forecast as
/// `series_decompose_forecast` does), scores the residual with
/// `series_outliers`' Tukey test (`"ctukey"`, the 10th-90th percentile
/// range, by default; `"tukey"`, the quartiles), and flags +1/-1 beyond the
/// threshold (1.5 by default). Null for an unknown method.
fn anomalies_bag(s: &[Option<f64>], rest: &[Value]) -> Option<Value> {
    let threshold = rest.first().and_then(as_real).unwrap_or(1.5);
    let (y, period, trend) = decomposition_args(s, rest.get(1..).unwrap_or_default());
    let test_points = rest
        .get(3)
        .and_then(as_long)
        .and_then(|p| usize::try_from(p).ok())
        .unwrap_or(0)
        .min(y.len());
    let (lo_p, hi_p) = match rest.get(4) {
        None | Some(Value::Null) => (10.0, 90.0),
        Some(m) => match as_text(m).to_ascii_lowercase().as_str() {
            "" | "ctukey" => (10.0, 90.0),
            "tukey" => (25.0, 75.0),
            _ => return None,
        },
    };
    let baseline = if test_points > 0 {
        forecast_values(&y, test_points, period, &trend)
    } else {
        decompose(&y, period, &trend).baseline
    };
    let residual: Vec<f64> = y.iter().zip(&baseline).map(|(a, b)| a - b).collect();
    let learned = residual
        .get(..residual.len() - test_points)
        .unwrap_or_default();
    let scores = super::series_transform::tukey_scores(&residual, learned, lo_p, hi_p);
    let flags = Dynamic::Array(Arc::new(
        scores
            .iter()
            .map(|sc| {
                Dynamic::Long(if *sc > threshold {
                    1
                } else if *sc < -threshold {
                    -1
                } else {
                    0
                })
            })
            .collect(),
    ));
    Some(bag(vec![
        ("ad_flag", flags),
        ("ad_score", reals_array(&scores)),
        ("baseline", reals_array(&baseline)),
    ]))
}

/// A series function's arguments: the first `series` cast to dynamic (a
/// missing one as null), the rest as given.
fn series_args(args: &[ColumnarValue], rows: usize, series: usize) -> Vec<ColumnarValue> {
    (0..series)
        .map(|i| kernels::cast(&arg(args, i), DataType::Dynamic, rows))
        .chain(args.iter().skip(series).cloned())
        .collect()
}

#[cfg(test)]
mod forecast_tests {
    use crate::functions::test_util::call;
    use crate::value::{Dynamic, Value};

    #[test]
    fn decompose_forecast_continues_trend_and_season_into_the_last_points() {
        // Period 4 with a slope of 1 per step, the last 4 points to forecast.
        let y: Vec<f64> = (0..16)
            .map(|i| {
                if i < 12 {
                    i as f64 + [0.0, 5.0, 0.0, -5.0][i % 4]
                } else {
                    0.0
                }
            })
            .collect();
        let y = Value::Dynamic(Dynamic::from_json(&serde_json::json!(y)));
        let f = call(
            "series_decompose_forecast",
            &[y, Value::Long(4), Value::Long(4), Value::string("linefit")],
        );
        let Value::Dynamic(Dynamic::Array(items)) = f else {
            panic!("an array")
        };
        assert_eq!(items.len(), 16);
        let at = |i: usize| match items.get(i) {
            Some(Dynamic::Real(x)) => *x,
            other => panic!("{other:?}"),
        };
        // The forecast keeps the pattern: +5 over the trend at phase 1,
        // -5 at phase 3.
        assert!((at(13) - at(12) - 6.0).abs() < 1.0, "{}", at(13) - at(12));
        assert!(at(15) < at(14));
        assert!(at(14) > 12.0 && at(14) < 16.0, "{}", at(14));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::call;
    use super::*;

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    fn field(v: &Value, key: &str) -> f64 {
        match v {
            Value::Dynamic(d) => convert::dyn_to_real(d.get(key)).unwrap_or(f64::NAN),
            _ => f64::NAN,
        }
    }

    #[test]
    fn fills_forward_backward_and_with_a_constant() {
        let arr = json(serde_json::json!([null, 36, null, null, 16, null]));
        assert_eq!(
            call("series_fill_forward", std::slice::from_ref(&arr)),
            json(serde_json::json!([null, 36, 36, 36, 16, 16]))
        );
        assert_eq!(
            call("series_fill_backward", std::slice::from_ref(&arr)),
            json(serde_json::json!([36, 36, 16, 16, 16, null]))
        );
        assert_eq!(
            call("series_fill_const", &[arr, Value::Real(0.0)]),
            json(serde_json::json!([0.0, 36, 0.0, 0.0, 16, 0.0]))
        );
    }

    #[test]
    fn linear_fill_interpolates_and_keeps_integer_series_integral() {
        let reals = json(serde_json::json!([null, 111.0, null, 36.0, null]));
        assert_eq!(
            call("series_fill_linear", &[reals]),
            json(serde_json::json!([111.0, 111.0, 73.5, 36.0, 36.0]))
        );
        let longs = json(serde_json::json!([null, 111, null, 36, null]));
        assert_eq!(
            call(
                "series_fill_linear",
                &[longs, Value::Null, Value::Bool(false)]
            ),
            json(serde_json::json!([null, 111, 73, 36, null]))
        );
        assert_eq!(
            call(
                "series_fill_linear",
                &[json(serde_json::json!([null, null]))]
            ),
            json(serde_json::json!([0.0, 0.0]))
        );
    }

    #[test]
    fn fir_computes_a_moving_sum_and_can_center_it() {
        let x = json(serde_json::json!([0, 0, 10, 0, 0]));
        let ones = json(serde_json::json!([1, 1, 1]));
        assert_eq!(
            call("series_fir", &[x.clone(), ones.clone(), Value::Bool(false)]),
            json(serde_json::json!([0.0, 0.0, 10.0, 10.0, 10.0]))
        );
        assert_eq!(
            call(
                "series_fir",
                &[x, ones, Value::Bool(false), Value::Bool(true)]
            ),
            json(serde_json::json!([0.0, 10.0, 10.0, 10.0, 0.0]))
        );
    }

    #[test]
    fn iir_with_one_pole_is_a_running_sum() {
        let x = json(serde_json::json!([1.0, 2.0, 3.0, 4.0]));
        assert_eq!(
            call(
                "series_iir",
                &[
                    x,
                    json(serde_json::json!([1])),
                    json(serde_json::json!([1, -1]))
                ]
            ),
            json(serde_json::json!([1.0, 3.0, 6.0, 10.0]))
        );
    }

    #[test]
    fn seasonal_takes_the_median_of_each_phase() {
        let s = json(serde_json::json!([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6]));
        assert_eq!(
            call("series_seasonal", &[s, Value::Long(3)]),
            json(serde_json::json!([
                1.5, 3.5, 5.5, 1.5, 3.5, 5.5, 1.5, 3.5, 5.5, 1.5, 3.5, 5.5
            ]))
        );
    }

    #[test]
    fn seasonal_detects_a_period_seen_at_least_four_times() {
        let s = json(serde_json::json!([
            8, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10, 10, 12, 14, 12, 10
        ]));
        assert_eq!(
            call("series_seasonal", &[s]),
            json(serde_json::json!([
                10.0, 12.0, 14.0, 12.0, 10.0, 10.0, 12.0, 14.0, 12.0, 10.0, 10.0, 12.0, 14.0, 12.0,
                10.0, 10.0, 12.0, 14.0, 12.0, 10.0
            ]))
        );
        let short = json(serde_json::json!([1, 3, 5, 2, 4, 6, 1, 3, 5, 2, 4, 6]));
        assert_eq!(
            call("series_seasonal", &[short]),
            json(serde_json::json!(vec![0.0; 12]))
        );
    }

    #[test]
    fn stats_match_kusto_sample() {
        let x = json(serde_json::json!([
            23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29
        ]));
        let got = call("series_stats_dynamic", &[x]);
        assert_eq!(field(&got, "min_idx"), 8.0);
        assert_eq!(field(&got, "max"), 87.0);
        assert!((field(&got, "stdev") - 28.50363385354827).abs() < 1e-9);
        assert!((field(&got, "variance") - 812.4571428571429).abs() < 1e-9);
    }

    #[test]
    fn line_fit_matches_kusto_sample() {
        let y = json(serde_json::json!([
            2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30
        ]));
        let got = call("series_fit_line_dynamic", &[y]);
        assert!((field(&got, "slope") - 2.730769230769231).abs() < 1e-9);
        assert!((field(&got, "interception") + 1.6666666666666716).abs() < 1e-9);
        assert!((field(&got, "rsquare") - 0.982900730884447).abs() < 1e-9);
        assert!((field(&got, "variance") - 98.62878787878789).abs() < 1e-9);
        assert!((field(&got, "rvariance") - 1.686480186480187).abs() < 1e-9);
    }

    #[test]
    fn two_line_fit_finds_the_break() {
        let y = json(serde_json::json!([
            1, 2.2, 2.5, 4.7, 5.0, 12, 10.3, 10.3, 9, 8.3, 6.2
        ]));
        let got = call("series_fit_2lines_dynamic", &[y]);
        let Value::Dynamic(d) = &got else {
            panic!("{got:?}")
        };
        let first = convert::dyn_to_real(d.get("line_fit").at(0)).unwrap_or(f64::NAN);
        assert!((first - 0.98).abs() < 1e-9, "{first}");
    }

    #[test]
    fn poly_fit_recovers_an_exact_quadratic() {
        let x: Vec<f64> = (0..8).map(|i| i as f64).collect();
        let y: Vec<f64> = x.iter().map(|x| 2.0 * x * x - 3.0 * x + 1.0).collect();
        let coef = poly_fit(&x, &y, 2).unwrap();
        for (got, want) in coef.iter().zip([1.0, -3.0, 2.0]) {
            assert!((got - want).abs() < 1e-6, "{coef:?}");
        }
    }

    #[test]
    fn decomposition_finds_a_clean_period_and_flags_spikes() {
        let mut y: Vec<f64> = (0..48).map(|i| [1.0, 5.0, 3.0, 2.0][i % 4]).collect();
        y[20] += 30.0;
        let d = decompose(&y, 4, "avg");
        assert!((d.baseline[1] - d.baseline[5]).abs() < 1e-9);
        let series = json(serde_json::json!(y));
        let got = call("series_decompose_anomalies", &[series]);
        let Value::Dynamic(b) = &got else {
            panic!("{got:?}")
        };
        assert_eq!(b.get("ad_flag").at(20), &Dynamic::Long(1));
        assert_eq!(b.get("ad_flag").at(2), &Dynamic::Long(0));
    }

    #[test]
    fn decompose_anomalies_uses_the_chosen_tukey_range_and_test_points() {
        // Repeating 0..8 then 20: the 20s lie beyond Tukey's quartile fence
        // but within the wider 10th-90th percentile one.
        let y: Vec<f64> = (0..40)
            .map(|i| [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 20.0][i % 10])
            .collect();
        let series = json(serde_json::json!(y));
        let flags = |method: &str| -> i64 {
            let got = call(
                "series_decompose_anomalies",
                &[
                    series.clone(),
                    Value::Real(1.5),
                    Value::Long(0),
                    Value::string("avg"),
                    Value::Long(0),
                    Value::string(method),
                ],
            );
            let Value::Dynamic(b) = &got else {
                panic!("{got:?}")
            };
            (0..40)
                .map(|i| match b.get("ad_flag").at(i) {
                    Dynamic::Long(f) => f.abs(),
                    _ => 0,
                })
                .sum()
        };
        // Quartiles 2 and 7: each 20 scores (20 - 7) / 5 = 2.6. The 10th and
        // 90th percentiles 0.9 and 9.2: it scores 10.8 / 8.3 = 1.3.
        assert_eq!(flags("tukey"), 4);
        assert_eq!(flags("ctukey"), 0);
        assert_eq!(
            call(
                "series_decompose_anomalies",
                &[
                    series.clone(),
                    Value::Real(1.5),
                    Value::Long(0),
                    Value::string("avg"),
                    Value::Long(0),
                    Value::string("zscore"),
                ],
            ),
            Value::Null
        );
        // With test points the baseline still covers the whole series.
        let got = call(
            "series_decompose_anomalies",
            &[
                series,
                Value::Real(1.5),
                Value::Long(10),
                Value::string("avg"),
                Value::Long(10),
            ],
        );
        let Value::Dynamic(b) = &got else {
            panic!("{got:?}")
        };
        assert!(matches!(b.get("baseline").at(39), Dynamic::Real(_)));
    }

    #[test]
    fn periods_detect_finds_the_dominant_period() {
        let y: Vec<f64> = (0..60).map(|i| ((i % 7) as f64 - 3.0).abs()).collect();
        let got = call(
            "series_periods_detect",
            &[
                json(serde_json::json!(y)),
                Value::Real(0.0),
                Value::Real(20.0),
                Value::Long(2),
            ],
        );
        let Value::Dynamic(b) = &got else {
            panic!("{got:?}")
        };
        assert_eq!(b.get("periods").at(0), &Dynamic::Real(7.0));
    }

    #[test]
    fn periods_validate_scores_the_weekly_period_and_zeroes_the_rest() {
        let y = serde_json::json!([
            80, 139, 87, 110, 68, 54, 50, 51, 53, 133, 86, 141, 97, 156, 94, 149, 95, 140, 77, 61,
            50, 54, 47, 133, 72, 152, 94, 148, 105, 162, 101, 160, 87, 63, 53, 55, 54, 151, 103,
            189, 108, 183, 113, 175, 113, 178, 90, 71, 62, 62, 65, 165, 109, 181, 115, 182, 121,
            178, 114, 170
        ]);
        let got = call(
            "series_periods_validate",
            &[json(y.clone()), Value::Real(14.0), Value::Real(10.0)],
        );
        let Value::Dynamic(b) = &got else {
            panic!("{got:?}")
        };
        assert_eq!(b.get("periods").at(1), &Dynamic::Real(10.0));
        // The reference shows 0.84 and 0: a clear weekly period, none at 10.
        let Dynamic::Real(weekly) = b.get("scores").at(0) else {
            panic!("{got:?}")
        };
        assert!(*weekly > 0.7, "{weekly}");
        // Kusto gives 0 here; the autocorrelation at lag 10 is barely positive.
        let Dynamic::Real(ten) = b.get("scores").at(1) else {
            panic!("{got:?}")
        };
        assert!(*ten < 0.1, "{ten}");
        // Periods outside [4, n / 2] score 0.
        let got = call(
            "series_periods_validate",
            &[json(y), Value::Real(3.0), Value::Real(31.0)],
        );
        let Value::Dynamic(b) = &got else {
            panic!("{got:?}")
        };
        assert_eq!(b.get("scores").at(0), &Dynamic::Real(0.0));
        assert_eq!(b.get("scores").at(1), &Dynamic::Real(0.0));
    }

    #[test]
    fn vector_measures_match_kusto_samples() {
        let a = json(serde_json::json!([0.1, 0.2, 0.1, 0.2]));
        let b = json(serde_json::json!([1, 2, 3, 4]));
        match call("series_cosine_similarity", &[a, b]) {
            Value::Real(r) => assert!((r - 0.9237604307034012).abs() < 1e-12),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            call(
                "series_dot_product",
                &[
                    json(serde_json::json!([1, 2, 4])),
                    json(serde_json::json!([4, 2, 1]))
                ]
            ),
            Value::Real(12.0)
        );
        match call("series_magnitude", &[json(serde_json::json!([1, 2, 3, 4]))]) {
            Value::Real(r) => assert!((r - 30f64.sqrt()).abs() < 1e-12),
            other => panic!("{other:?}"),
        }
    }
}
