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
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::kernels::{self, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func {
            name: "hll_merge",
            signature: |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(merge(a, r, true)),
        },
        Func {
            name: "tdigest_merge",
            signature: |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(merge(a, r, false)),
        },
        Func {
            name: "merge_tdigest",
            signature: |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(merge(a, r, false)),
        },
        Func {
            name: "dcount_hll",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Long),
            properties: FunctionProperties::PLAIN,
            evaluate: dcount_hll,
        },
        Func {
            name: "percentile_tdigest",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Real),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(with_sorted(a, r, DataType::Real, percentile)),
        },
        Func {
            name: "percentiles_array_tdigest",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(with_sorted(a, r, DataType::Dynamic, percentiles)),
        },
        Func {
            name: "percentile_array_tdigest",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(with_sorted(a, r, DataType::Dynamic, percentiles)),
        },
        Func {
            name: "percentrank_tdigest",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Real),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(with_sorted(a, r, DataType::Real, percent_rank)),
        },
        Func {
            name: "rank_tdigest",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Real),
            properties: FunctionProperties::PLAIN,
            evaluate: |a, r, _| Ok(with_sorted(a, r, DataType::Real, rank)),
        },
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

/// Calls `f` with each row's sorted numeric digest values and the other
/// arguments.
fn with_sorted(
    args: &[ColumnarValue],
    rows: usize,
    ty: DataType,
    f: fn(&[f64], &[Value]) -> Value,
) -> ColumnarValue {
    let mut parts = vec![kernels::cast(&arg(args, 0), DataType::Dynamic, rows)];
    parts.extend(args.iter().skip(1).cloned());
    rowwise(&parts, rows, ty, |v| {
        let Some(Value::Dynamic(Dynamic::Array(items))) = v.first() else {
            return Value::Null;
        };
        let mut vals: Vec<f64> = items
            .iter()
            .filter_map(convert::dyn_to_real)
            .filter(|x| !x.is_nan())
            .collect();
        vals.sort_by(f64::total_cmp);
        f(&vals, v.get(1..).unwrap_or_default())
    })
}

/// Nearest-rank percentile, as `percentile` computes it.
fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

fn percentile(sorted: &[f64], rest: &[Value]) -> Value {
    rest.first()
        .and_then(as_real)
        .and_then(|p| nearest_rank(sorted, p))
        .map_or(Value::Null, Value::Real)
}

fn percentiles(sorted: &[f64], rest: &[Value]) -> Value {
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
            .map(|p| nearest_rank(sorted, p).map_or(Dynamic::Null, Dynamic::Real))
            .collect(),
    )))
}

/// How many digest values are at most the given value.
fn rank(sorted: &[f64], rest: &[Value]) -> Value {
    match rest.first().and_then(as_real) {
        Some(x) => Value::Real(sorted.partition_point(|v| *v <= x) as f64),
        None => Value::Null,
    }
}

/// The percentage of digest values at most the given value (null for an
/// empty digest).
fn percent_rank(sorted: &[f64], rest: &[Value]) -> Value {
    match rest.first().and_then(as_real) {
        Some(x) if !sorted.is_empty() => {
            Value::Real(100.0 * sorted.partition_point(|v| *v <= x) as f64 / sorted.len() as f64)
        }
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
