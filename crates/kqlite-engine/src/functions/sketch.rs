//! Scalar functions over the `hll` and `tdigest` sketches: `hll_merge`,
//! `dcount_hll`, `tdigest_merge`/`merge_tdigest`, `percentile_tdigest`,
//! `percentiles_array_tdigest`/`percentile_array_tdigest`, `rank_tdigest` and
//! `percentrank_tdigest`.
//!
//! The sketches are exact (see the `hll` and `tdigest` aggregates): an
//! `hll` is the array of distinct values and a `tdigest` the array of all
//! values, so merges are a union and a concatenation.

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::{arg, arity, as_real, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels::{self, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "hll_merge",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(merge(a, r, true)),
        ),
        Func::plain(
            "tdigest_merge",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(merge(a, r, false)),
        ),
        Func::plain(
            "merge_tdigest",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(merge(a, r, false)),
        ),
        Func::plain(
            "dcount_hll",
            |a| arity(a, 1, 1).map(|_| DataType::Long),
            dcount_hll,
        ),
        Func::plain(
            "percentile_tdigest",
            |a| arity(a, 2, 3).map(|_| DataType::Real),
            |a, r, _| Ok(with_sorted(a, r, DataType::Real, percentile)),
        ),
        Func::plain(
            "percentiles_array_tdigest",
            |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(with_sorted(a, r, DataType::Dynamic, percentiles)),
        ),
        Func::plain(
            "percentile_array_tdigest",
            |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(with_sorted(a, r, DataType::Dynamic, percentiles)),
        ),
        Func::plain(
            "percentrank_tdigest",
            |a| arity(a, 2, 2).map(|_| DataType::Real),
            |a, r, _| Ok(with_sorted(a, r, DataType::Real, percent_rank)),
        ),
        Func::plain(
            "rank_tdigest",
            |a| arity(a, 2, 2).map(|_| DataType::Real),
            |a, r, _| Ok(with_sorted(a, r, DataType::Real, rank)),
        ),
    ]
}

fn dynamic_args(args: &[ColumnarValue], rows: usize) -> Vec<ColumnarValue> {
    (0..args.len())
        .map(|i| kernels::cast(&arg(args, i), DataType::Dynamic, rows))
        .collect()
}

/// Unions (`distinct`) or concatenates the sketch arrays of each row.
fn merge(args: &[ColumnarValue], rows: usize, distinct: bool) -> ColumnarValue {
    rowwise(&dynamic_args(args, rows), rows, DataType::Dynamic, |v| {
        let mut out: Vec<Dynamic> = Vec::new();
        let mut seen: FxHashSet<String> = FxHashSet::default();
        for cell in v {
            let Value::Dynamic(Dynamic::Array(items)) = cell else {
                continue;
            };
            for d in items.iter() {
                if !distinct || seen.insert(format!("{d:?}")) {
                    out.push(d.clone());
                }
            }
        }
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    })
}

fn dcount_hll(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &dynamic_args(args, rows),
        rows,
        DataType::Long,
        |v| match v.first() {
            Some(Value::Dynamic(Dynamic::Array(items))) => Value::Long(items.len() as i64),
            _ => Value::Null,
        },
    ))
}

/// A digest's values sorted, each with its weight (1 unless the digest came
/// from `tdigest(x, weight)`, whose elements are `[x, weight]` pairs).
struct Sorted {
    values: Vec<(f64, f64)>,
    total: f64,
}

impl Sorted {
    fn new(items: &[Dynamic]) -> Sorted {
        let mut values: Vec<(f64, f64)> = items
            .iter()
            .filter_map(|d| match d {
                Dynamic::Array(pair) => match pair.as_slice() {
                    [x, w] => Some((convert::dyn_to_real(x)?, convert::dyn_to_real(w)?)),
                    _ => None,
                },
                d => Some((convert::dyn_to_real(d)?, 1.0)),
            })
            .filter(|(x, w)| !x.is_nan() && *w > 0.0)
            .collect();
        values.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total = values.iter().map(|(_, w)| w).sum();
        Sorted { values, total }
    }

    /// Nearest-rank percentile, as `percentile` computes it.
    fn percentile(&self, p: f64) -> Option<f64> {
        if self.values.is_empty() || !(0.0..=100.0).contains(&p) {
            return None;
        }
        let rank = ((p / 100.0) * self.total).ceil().max(1.0);
        let mut seen = 0.0;
        for &(x, w) in &self.values {
            seen += w;
            if seen >= rank {
                return Some(x);
            }
        }
        self.values.last().map(|&(x, _)| x)
    }

    /// The total weight of the values at most `x`.
    fn rank(&self, x: f64) -> f64 {
        self.values
            .iter()
            .take_while(|(v, _)| *v <= x)
            .map(|(_, w)| w)
            .sum()
    }
}

/// Calls `f` with each row's sorted digest and the other arguments.
fn with_sorted(
    args: &[ColumnarValue],
    rows: usize,
    ty: DataType,
    f: fn(&Sorted, &[Value]) -> Value,
) -> ColumnarValue {
    let mut parts = vec![kernels::cast(&arg(args, 0), DataType::Dynamic, rows)];
    parts.extend(args.iter().skip(1).cloned());
    rowwise(&parts, rows, ty, |v| {
        let Some(Value::Dynamic(Dynamic::Array(items))) = v.first() else {
            return Value::Null;
        };
        f(&Sorted::new(items), v.get(1..).unwrap_or_default())
    })
}

fn percentile(sorted: &Sorted, rest: &[Value]) -> Value {
    rest.first()
        .and_then(as_real)
        .and_then(|p| sorted.percentile(p))
        .map_or(Value::Null, Value::Real)
}

fn percentiles(sorted: &Sorted, rest: &[Value]) -> Value {
    let mut ps: Vec<f64> = Vec::new();
    for r in rest {
        match r {
            Value::Dynamic(Dynamic::Array(items)) => {
                ps.extend(items.iter().filter_map(convert::dyn_to_real))
            }
            other => ps.extend(as_real(other)),
        }
    }
    Value::Dynamic(Dynamic::Array(Arc::new(
        ps.into_iter()
            .map(|p| sorted.percentile(p).map_or(Dynamic::Null, Dynamic::Real))
            .collect(),
    )))
}

/// How many digest values are at most the given value.
fn rank(sorted: &Sorted, rest: &[Value]) -> Value {
    match rest.first().and_then(as_real) {
        Some(x) => Value::Real(sorted.rank(x)),
        None => Value::Null,
    }
}

/// The percentage of digest values at most the given value (null for an
/// empty digest).
fn percent_rank(sorted: &Sorted, rest: &[Value]) -> Value {
    match rest.first().and_then(as_real) {
        Some(x) if sorted.total > 0.0 => Value::Real(100.0 * sorted.rank(x) / sorted.total),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::call;
    use crate::value::{Dynamic, Value};

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    #[test]
    fn hll_merge_unions_and_dcount_counts() {
        let merged = call(
            "hll_merge",
            &[
                json(serde_json::json!([1, 2, 3])),
                json(serde_json::json!([3, 4])),
            ],
        );
        assert_eq!(call("dcount_hll", &[merged]), Value::Long(4));
    }

    #[test]
    fn tdigest_estimates_percentiles_and_ranks() {
        let values: Vec<i64> = (1..=1000).collect();
        let digest = json(serde_json::json!(values));
        assert_eq!(
            call("rank_tdigest", &[digest.clone(), Value::Long(685)]),
            Value::Real(685.0)
        );
        assert_eq!(
            call("percentile_tdigest", &[digest.clone(), Value::Long(50)]),
            Value::Real(500.0)
        );
        assert_eq!(
            call(
                "percentiles_array_tdigest",
                &[digest, Value::Long(10), Value::Long(100)]
            ),
            json(serde_json::json!([100.0, 1000.0]))
        );
    }

    #[test]
    fn percentrank_tdigest_is_the_percentage_of_values_at_or_below() {
        let values: Vec<i64> = (1..=200).collect();
        let digest = json(serde_json::json!(values));
        assert_eq!(
            call("percentrank_tdigest", &[digest.clone(), Value::Long(170)]),
            Value::Real(85.0)
        );
        assert_eq!(
            call(
                "percentrank_tdigest",
                &[json(serde_json::json!([])), Value::Long(1)]
            ),
            Value::Null
        );
    }

    #[test]
    fn merge_tdigest_and_percentile_array_tdigest_are_the_other_spellings() {
        let merged = call(
            "merge_tdigest",
            &[
                json(serde_json::json!([1, 2])),
                json(serde_json::json!([3, 4])),
            ],
        );
        assert_eq!(merged, json(serde_json::json!([1, 2, 3, 4])));
        assert_eq!(
            call("percentile_array_tdigest", &[merged, Value::Long(50)]),
            json(serde_json::json!([2.0]))
        );
    }
}
