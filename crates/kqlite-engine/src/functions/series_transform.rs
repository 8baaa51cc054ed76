//! Series functions over whole arrays: `series_pearson_correlation`,
//! `series_outliers`, and the Fourier transforms `series_fft` and
//! `series_ifft`.

use std::f64::consts::PI;
use std::sync::Arc;

use indexmap::IndexMap;

use super::{arg, arity, as_real, as_text, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels::{self, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "series_pearson_correlation",
            |a| arity(a, 2, 2).map(|_| DataType::Real),
            pearson,
        ),
        Func::plain(
            "series_outliers",
            |a| arity(a, 1, 5).map(|_| DataType::Dynamic),
            outliers,
        ),
        Func::plain(
            "series_fft",
            |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            |a, r, _| Ok(transform(a, r, false)),
        ),
        Func::plain(
            "series_ifft",
            |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            |a, r, _| Ok(transform(a, r, true)),
        ),
    ]
}

/// Arguments `0..n` as dynamic values.
fn dynamic_args(args: &[ColumnarValue], rows: usize, n: usize) -> Vec<ColumnarValue> {
    (0..n.min(args.len()))
        .map(|i| kernels::cast(&arg(args, i), DataType::Dynamic, rows))
        .collect()
}

/// Every element of an array as a real; `None` when the value is not an
/// array or an element is not a number.
fn strict_series(v: Option<&Value>) -> Option<Vec<f64>> {
    let Some(Value::Dynamic(Dynamic::Array(items))) = v else {
        return None;
    };
    items
        .iter()
        .map(|d| match d {
            Dynamic::Long(_) | Dynamic::Real(_) => convert::dyn_to_real(d),
            _ => None,
        })
        .collect()
}

/// `series_pearson_correlation(a, b)`: null when either holds a non-number
/// or their lengths differ.
fn pearson(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &dynamic_args(args, rows, 2),
        rows,
        DataType::Real,
        |v| {
            let (Some(x), Some(y)) = (strict_series(v.first()), strict_series(v.get(1))) else {
                return Value::Null;
            };
            if x.len() != y.len() || x.is_empty() {
                return Value::Null;
            }
            let n = x.len() as f64;
            let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
            let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
            for (a, b) in x.iter().zip(&y) {
                sxy += (a - mx) * (b - my);
                sxx += (a - mx) * (a - mx);
                syy += (b - my) * (b - my);
            }
            Value::Real(sxy / (sxx * syy).sqrt())
        },
    ))
}

/// `series_outliers(series[, kind[, ignore_val[, min_percentile[,
/// max_percentile]]]])`: Tukey scores. With the quantiles `lo`/`hi` of the
/// present values (25/75 for `"tukey"`, 10/90 or the given ones for the
/// default `"ctukey"`), a value above `hi` scores `(x - hi) / (hi - lo)`, one
/// below `lo` scores `(x - lo) / (hi - lo)`, others `0`; nulls and
/// `ignore_val` elements score `0`.
fn outliers(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut parts = dynamic_args(args, rows, 1);
    parts.extend(args.iter().skip(1).cloned());
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let Some(Value::Dynamic(Dynamic::Array(items))) = v.first() else {
            return Value::Null;
        };
        let kind = match v.get(1) {
            None | Some(Value::Null) => "ctukey".to_string(),
            Some(k) => as_text(k).to_ascii_lowercase(),
        };
        let ignore = v.get(2).and_then(as_real);
        let custom = |i: usize, default: f64| -> Option<f64> {
            match v.get(i) {
                None | Some(Value::Null) => Some(default),
                Some(p) => as_real(p).filter(|p| (2.0..=98.0).contains(p)),
            }
        };
        let (lo_p, hi_p) = match kind.as_str() {
            "tukey" => (25.0, 75.0),
            "ctukey" => match (custom(3, 10.0), custom(4, 90.0)) {
                (Some(lo), Some(hi)) if lo < hi => (lo, hi),
                _ => return Value::Null,
            },
            _ => return Value::Null,
        };
        let values: Vec<Option<f64>> = items
            .iter()
            .map(|d| convert::dyn_to_real(d).filter(|x| !x.is_nan() && Some(*x) != ignore))
            .collect();
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let scores = score_values(&values, &present, lo_p, hi_p);
        Value::Dynamic(Dynamic::Array(Arc::new(
            scores.into_iter().map(Dynamic::Real).collect(),
        )))
    }))
}

/// Tukey scores of `values` against the `lo_p`/`hi_p` percentiles of
/// `learned`, as `series_outliers` gives them (`series_decompose_anomalies`
/// scores its residual with it).
pub(super) fn tukey_scores(values: &[f64], learned: &[f64], lo_p: f64, hi_p: f64) -> Vec<f64> {
    let values: Vec<Option<f64>> = values.iter().map(|x| Some(*x)).collect();
    score_values(&values, learned, lo_p, hi_p)
}

fn score_values(values: &[Option<f64>], learned: &[f64], lo_p: f64, hi_p: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = learned.iter().copied().filter(|x| !x.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (quantile(&sorted, lo_p), quantile(&sorted, hi_p));
    let range = hi - lo;
    values
        .iter()
        .map(|x| match x {
            Some(x) if *x > hi && range > 0.0 => (x - hi) / range,
            Some(x) if *x < lo && range > 0.0 => (x - lo) / range,
            _ => 0.0,
        })
        .collect()
}

/// The `p`-th percentile of sorted values, interpolating between ranks.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let pos = (p / 100.0) * sorted.len().saturating_sub(1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    match (sorted.get(lo), sorted.get(hi)) {
        (Some(a), Some(b)) => a + (b - a) * (pos - lo as f64),
        _ => 0.0,
    }
}

/// `series_fft(real[, imag])` / `series_ifft(real[, imag])`: a bag with the
/// transform's `real` and `imag` arrays, which `extend (re, im) = ...`
/// spreads over two columns. The inverse divides by the length, so
/// `series_ifft(series_fft(x))` is `x`. Non-numeric elements count as `0`;
/// arrays of different lengths give null.
fn transform(args: &[ColumnarValue], rows: usize, inverse: bool) -> ColumnarValue {
    rowwise(&dynamic_args(args, rows, 2), rows, DataType::Dynamic, |v| {
        let loose = |x: Option<&Value>| -> Option<Vec<f64>> {
            match x {
                Some(Value::Dynamic(Dynamic::Array(items))) => Some(
                    items
                        .iter()
                        .map(|d| convert::dyn_to_real(d).unwrap_or(0.0))
                        .collect(),
                ),
                _ => None,
            }
        };
        let Some(re) = loose(v.first()) else {
            return Value::Null;
        };
        let im = match v.get(1) {
            None | Some(Value::Null) => vec![0.0; re.len()],
            other => match loose(other) {
                Some(im) if im.len() == re.len() => im,
                _ => return Value::Null,
            },
        };
        let mut data: Vec<(f64, f64)> = re.into_iter().zip(im).collect();
        fft(&mut data, inverse);
        if inverse && !data.is_empty() {
            let n = data.len() as f64;
            data.iter_mut().for_each(|c| *c = (c.0 / n, c.1 / n));
        }
        let part = |f: fn(&(f64, f64)) -> f64| {
            Dynamic::Array(Arc::new(data.iter().map(|c| Dynamic::Real(f(c))).collect()))
        };
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
        bag.insert("real".into(), part(|c| c.0));
        bag.insert("imag".into(), part(|c| c.1));
        Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
    })
}

type Complex = (f64, f64);

fn mul(a: Complex, b: Complex) -> Complex {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// `e^(sign · i · angle)`.
fn unit(angle: f64) -> Complex {
    (angle.cos(), angle.sin())
}

/// An unscaled discrete Fourier transform in place (`inverse` flips the
/// exponent's sign): radix-2 for powers of two, Bluestein's chirp
/// convolution otherwise, both `O(n log n)`.
fn fft(data: &mut [Complex], inverse: bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    if n.is_power_of_two() {
        radix2(data, inverse);
        return;
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    // w_k = e^(sign · iπ k² / n); X_k = w_k · Σ x_j w_j · conj(w_{k-j}).
    let chirp: Vec<Complex> = (0..n)
        .map(|k| {
            let k2 = ((k as u128 * k as u128) % (2 * n as u128)) as f64;
            unit(sign * PI * k2 / n as f64)
        })
        .collect();
    let m = (2 * n - 1).next_power_of_two();
    let mut a = vec![(0.0, 0.0); m];
    let mut b = vec![(0.0, 0.0); m];
    for (k, x) in data.iter().enumerate() {
        if let (Some(slot), Some(w)) = (a.get_mut(k), chirp.get(k)) {
            *slot = mul(*x, *w);
        }
    }
    for (k, w) in chirp.iter().enumerate() {
        let conj = (w.0, -w.1);
        if let Some(slot) = b.get_mut(k) {
            *slot = conj;
        }
        if k > 0 {
            if let Some(slot) = b.get_mut(m - k) {
                *slot = conj;
            }
        }
    }
    radix2(&mut a, false);
    radix2(&mut b, false);
    for (x, y) in a.iter_mut().zip(&b) {
        *x = mul(*x, *y);
    }
    radix2(&mut a, true);
    let scale = m as f64;
    for (k, out) in data.iter_mut().enumerate() {
        if let (Some(c), Some(w)) = (a.get(k), chirp.get(k)) {
            *out = mul((c.0 / scale, c.1 / scale), *w);
        }
    }
}

/// Iterative radix-2 Cooley–Tukey over a power-of-two length.
fn radix2(data: &mut [Complex], inverse: bool) {
    let n = data.len();
    let bits = n.trailing_zeros();
    if bits == 0 {
        return;
    }
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            data.swap(i, j);
        }
    }
    let sign = if inverse { 1.0 } else { -1.0 };
    let mut len = 2;
    while len <= n {
        let step = unit(sign * 2.0 * PI / len as f64);
        for chunk in data.chunks_mut(len) {
            let mut w = (1.0, 0.0);
            let (left, right) = chunk.split_at_mut(len / 2);
            for (a, b) in left.iter_mut().zip(right.iter_mut()) {
                let t = mul(w, *b);
                *b = (a.0 - t.0, a.1 - t.1);
                *a = (a.0 + t.0, a.1 + t.1);
                w = mul(w, step);
            }
        }
        len *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::test_util::call;

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    fn reals(v: &Value, key: &str) -> Vec<f64> {
        let Value::Dynamic(Dynamic::Bag(b)) = v else {
            panic!("a bag: {v:?}")
        };
        let Some(Dynamic::Array(items)) = b.get(key) else {
            panic!("an array at {key}")
        };
        items.iter().filter_map(convert::dyn_to_real).collect()
    }

    #[test]
    fn pearson_correlation_of_a_scaled_series_is_one() {
        let r = call(
            "series_pearson_correlation",
            &[
                json(serde_json::json!([1, 2, 3, 4, 5])),
                json(serde_json::json!([2, 4, 6, 8, 10])),
            ],
        );
        assert_eq!(r, Value::Real(1.0));
    }

    #[test]
    fn pearson_correlation_is_null_for_different_lengths_or_non_numbers() {
        let a = json(serde_json::json!([1, 2, 3]));
        assert_eq!(
            call(
                "series_pearson_correlation",
                &[a.clone(), json(serde_json::json!([1, 2]))]
            ),
            Value::Null
        );
        assert_eq!(
            call(
                "series_pearson_correlation",
                &[a, json(serde_json::json!([1, "x", 3]))]
            ),
            Value::Null
        );
    }

    #[test]
    fn outliers_score_distance_beyond_the_quantile_range() {
        let mut values: Vec<f64> = (0..20).map(|i| f64::from(i % 5)).collect();
        values.push(100.0);
        let scores = call("series_outliers", &[json(serde_json::json!(values))]);
        let Value::Dynamic(Dynamic::Array(items)) = scores else {
            panic!("an array")
        };
        assert_eq!(items.len(), 21);
        let last = items.last().and_then(convert::dyn_to_real).unwrap_or(0.0);
        assert!(last > 1.5, "{last}");
        assert_eq!(items.first(), Some(&Dynamic::Real(0.0)));
    }

    #[test]
    fn outliers_reject_an_unknown_kind_and_percentiles_out_of_range() {
        let s = json(serde_json::json!([1, 2, 3]));
        assert_eq!(
            call("series_outliers", &[s.clone(), Value::string("other")]),
            Value::Null
        );
        assert_eq!(
            call(
                "series_outliers",
                &[
                    s,
                    Value::string("ctukey"),
                    Value::Null,
                    Value::Long(1),
                    Value::Long(90)
                ]
            ),
            Value::Null
        );
    }

    #[test]
    fn fft_then_ifft_gives_back_the_series_for_any_length() {
        for n in [1usize, 2, 5, 8, 12, 13] {
            let re: Vec<f64> = (0..n).map(|i| (i as f64 * 0.7).sin()).collect();
            let im: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).cos()).collect();
            let f = call(
                "series_fft",
                &[json(serde_json::json!(re)), json(serde_json::json!(im))],
            );
            let back = call(
                "series_ifft",
                &[
                    json(serde_json::json!(reals(&f, "real"))),
                    json(serde_json::json!(reals(&f, "imag"))),
                ],
            );
            for (a, b) in reals(&back, "real").iter().zip(&re) {
                assert!((a - b).abs() < 1e-9, "n={n}: {a} vs {b}");
            }
            for (a, b) in reals(&back, "imag").iter().zip(&im) {
                assert!((a - b).abs() < 1e-9, "n={n}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn fft_of_a_constant_puts_everything_at_frequency_zero() {
        let f = call("series_fft", &[json(serde_json::json!([1, 1, 1]))]);
        let re = reals(&f, "real");
        assert!((re[0] - 3.0).abs() < 1e-12);
        assert!(re[1].abs() < 1e-12 && re[2].abs() < 1e-12);
    }
}
