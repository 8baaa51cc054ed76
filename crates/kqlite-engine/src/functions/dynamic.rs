//! Dynamic (array and property bag) functions, and `prev`/`next`.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{arg, arity, as_long, as_text, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    let mut v = vec![
        Func {
            name: "array_length",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Long),
            evaluate: array_length,
        },
        Func {
            name: "bag_keys",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            evaluate: bag_keys,
        },
        Func {
            name: "bag_has_key",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Bool),
            evaluate: bag_has_key,
        },
        Func {
            name: "pack_array",
            signature: |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            evaluate: pack_array,
        },
        Func {
            name: "bag_pack",
            signature: bag_pack_type,
            evaluate: bag_pack,
        },
        Func {
            name: "array_concat",
            signature: |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            evaluate: array_concat,
        },
        Func {
            name: "array_index_of",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Long),
            evaluate: array_index_of,
        },
        Func {
            name: "set_has_element",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Bool),
            evaluate: set_has_element,
        },
        Func {
            name: "array_slice",
            signature: |a| arity(a, 3, 3).map(|_| DataType::Dynamic),
            evaluate: array_slice,
        },
        Func {
            name: "prev",
            signature: shift_type,
            evaluate: |a, r, _| shift(a, r, true),
        },
        Func {
            name: "next",
            signature: shift_type,
            evaluate: |a, r, _| shift(a, r, false),
        },
    ];
    v.extend([
        Func {
            name: "set_union",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            evaluate: |a, r, _| Ok(set_op(a, r, SetOp::Union)),
        },
        Func {
            name: "set_intersect",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            evaluate: |a, r, _| Ok(set_op(a, r, SetOp::Intersect)),
        },
        Func {
            name: "set_difference",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            evaluate: |a, r, _| Ok(set_op(a, r, SetOp::Difference)),
        },
        Func {
            name: "array_sort_asc",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            evaluate: |a, r, _| Ok(sort_array(a, r, false)),
        },
        Func {
            name: "array_sort_desc",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            evaluate: |a, r, _| Ok(sort_array(a, r, true)),
        },
        Func {
            name: "array_reverse",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            evaluate: array_reverse,
        },
        Func {
            name: "array_sum",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Real),
            evaluate: array_sum,
        },
        Func {
            name: "strcat_array",
            signature: |a| arity(a, 2, 2).map(|_| DataType::String),
            evaluate: strcat_array,
        },
        Func {
            name: "bag_merge",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            evaluate: bag_merge,
        },
        Func {
            name: "bag_remove_keys",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            evaluate: bag_remove_keys,
        },
    ]);
    v.push(Func {
        name: "repeat",
        signature: |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
        evaluate: repeat,
    });
    v.push(Func {
        name: "zip",
        signature: |a| arity(a, 2, 16).map(|_| DataType::Dynamic),
        evaluate: zip,
    });
    if let Some(f) = v.iter().find(|f| f.name == "bag_pack").copied() {
        v.push(Func { name: "pack", ..f });
    }
    v
}

fn dynamic_arg(args: &[ColumnarValue], i: usize, rows: usize) -> ColumnarValue {
    kernels::cast(&arg(args, i), DataType::Dynamic, rows)
}

fn array_of(v: &Value) -> Option<&Arc<Vec<Dynamic>>> {
    match v {
        Value::Dynamic(Dynamic::Array(a)) => Some(a),
        _ => None,
    }
}

/// `array_length(x)`: the element count, or null for non-arrays.
fn array_length(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &[dynamic_arg(args, 0, rows)],
        rows,
        DataType::Long,
        |v| {
            v.first()
                .and_then(array_of)
                .map_or(Value::Null, |a| Value::Long(a.len() as i64))
        },
    ))
}

fn bag_keys(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &[dynamic_arg(args, 0, rows)],
        rows,
        DataType::Dynamic,
        |v| match v.first() {
            Some(Value::Dynamic(Dynamic::Bag(b))) => Value::Dynamic(Dynamic::Array(Arc::new(
                b.keys().map(|k| Dynamic::String(k.clone())).collect(),
            ))),
            _ => Value::Null,
        },
    ))
}

fn bag_has_key(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), arg(args, 1)];
    Ok(rowwise(&parts, rows, DataType::Bool, |v| match v {
        [Value::Dynamic(Dynamic::Bag(b)), key] => {
            Value::Bool(b.contains_key(as_text(key).as_str()))
        }
        _ => Value::Bool(false),
    }))
}

fn pack_array(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        Value::Dynamic(Dynamic::Array(Arc::new(
            v.iter().map(kernels::value_to_dynamic).collect(),
        )))
    }))
}

fn bag_pack_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    if a.len() % 2 == 1 {
        return Err(FunctionError::Arity {
            expected: "an even number".into(),
            got: a.len(),
        });
    }
    Ok(DataType::Dynamic)
}

/// `bag_pack(key1, value1, ...)`: a property bag.
fn bag_pack(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::with_capacity(v.len() / 2);
        for pair in v.chunks_exact(2) {
            if let [k, x] = pair {
                bag.insert(as_text(k).into(), kernels::value_to_dynamic(x));
            }
        }
        Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
    }))
}

/// `array_concat(a, b, ...)`: null when any argument is not an array.
fn array_concat(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let dyns: Vec<ColumnarValue> = (0..args.len())
        .map(|i| dynamic_arg(args, i, rows))
        .collect();
    Ok(rowwise(&dyns, rows, DataType::Dynamic, |v| {
        let mut out = Vec::new();
        for x in v {
            match array_of(x) {
                Some(a) => out.extend(a.iter().cloned()),
                None => return Value::Null,
            }
        }
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    }))
}

/// The index of the first element equal to `x` (numbers compare across
/// long and real), or -1.
fn position(a: &[Dynamic], x: &Value) -> i64 {
    let needle = kernels::value_to_dynamic(x);
    a.iter()
        .position(|e| {
            *e == needle
                || matches!((e, &needle), (Dynamic::Long(p), Dynamic::Real(q)) | (Dynamic::Real(q), Dynamic::Long(p)) if (*p as f64) == *q)
        })
        .map_or(-1, |p| p as i64)
}

fn array_index_of(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), arg(args, 1)];
    Ok(rowwise(&parts, rows, DataType::Long, |v| match v {
        [a, x] => array_of(a).map_or(Value::Null, |a| Value::Long(position(a, x))),
        _ => Value::Null,
    }))
}

fn set_has_element(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), arg(args, 1)];
    Ok(rowwise(&parts, rows, DataType::Bool, |v| match v {
        [a, x] => array_of(a).map_or(Value::Null, |a| Value::Bool(position(a, x) >= 0)),
        _ => Value::Null,
    }))
}

/// `array_slice(a, start, end)`: inclusive indexes, negative from the end.
fn array_slice(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), arg(args, 1), arg(args, 2)];
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let [a, s, e] = v else { return Value::Null };
        let (Some(a), Some(s), Some(e)) = (array_of(a), as_long(s), as_long(e)) else {
            return Value::Null;
        };
        let len = a.len() as i64;
        let fix = |i: i64| if i < 0 { len + i } else { i };
        let (s, e) = (fix(s).max(0), fix(e).min(len - 1));
        let out: Vec<Dynamic> = if s > e {
            Vec::new()
        } else {
            a.iter()
                .skip(s as usize)
                .take((e - s + 1) as usize)
                .cloned()
                .collect()
        };
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    }))
}

#[derive(Clone, Copy, PartialEq)]
enum SetOp {
    Union,
    Intersect,
    Difference,
}

/// `set_union`/`set_intersect`/`set_difference`: distinct elements, in
/// first-seen order; null when an argument is not an array.
fn set_op(args: &[ColumnarValue], rows: usize, op: SetOp) -> ColumnarValue {
    let dyns: Vec<ColumnarValue> = (0..args.len())
        .map(|i| dynamic_arg(args, i, rows))
        .collect();
    rowwise(&dyns, rows, DataType::Dynamic, |v| {
        let arrays: Option<Vec<&Arc<Vec<Dynamic>>>> = v.iter().map(array_of).collect();
        let Some(arrays) = arrays else {
            return Value::Null;
        };
        let contains = |a: &[Dynamic], x: &Dynamic| a.iter().any(|y| y == x);
        let mut out: Vec<Dynamic> = Vec::new();
        let candidates: Vec<&Dynamic> = match op {
            SetOp::Union => arrays.iter().flat_map(|a| a.iter()).collect(),
            _ => arrays
                .first()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
        };
        for x in candidates {
            let rest = arrays.iter().skip(1);
            let keep = match op {
                SetOp::Union => true,
                SetOp::Intersect => rest.clone().all(|a| contains(a, x)),
                SetOp::Difference => !rest.clone().any(|a| contains(a, x)),
            };
            if keep && !contains(&out, x) {
                out.push(x.clone());
            }
        }
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    })
}

/// `array_sort_asc`/`array_sort_desc`: numbers, strings, datetimes and
/// timespans sort by value; nulls go last (unless `nulls_last` is false).
fn sort_array(args: &[ColumnarValue], rows: usize, desc: bool) -> ColumnarValue {
    let mut parts = vec![dynamic_arg(args, 0, rows)];
    if let Some(n) = args.get(1) {
        parts.push(n.clone());
    }
    rowwise(&parts, rows, DataType::Dynamic, |v| {
        let Some(a) = v.first().and_then(array_of) else {
            return Value::Null;
        };
        let nulls_last = !matches!(v.get(1), Some(Value::Bool(false)));
        let (mut vals, nulls): (Vec<Dynamic>, Vec<Dynamic>) =
            a.iter().cloned().partition(|d| !d.is_null());
        vals.sort_by(|x, y| {
            let o = crate::kernels::dynamic_order(x, y);
            if desc {
                o.reverse()
            } else {
                o
            }
        });
        let out = if nulls_last {
            vals.into_iter().chain(nulls).collect()
        } else {
            nulls.into_iter().chain(vals).collect()
        };
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    })
}

fn array_reverse(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &[dynamic_arg(args, 0, rows)],
        rows,
        DataType::Dynamic,
        |v| match v.first().and_then(array_of) {
            Some(a) => Value::Dynamic(Dynamic::Array(Arc::new(a.iter().rev().cloned().collect()))),
            None => Value::Null,
        },
    ))
}

/// `array_sum`: the sum of the numeric elements as a real.
fn array_sum(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        &[dynamic_arg(args, 0, rows)],
        rows,
        DataType::Real,
        |v| match v.first().and_then(array_of) {
            Some(a) => Value::Real(
                a.iter()
                    .filter_map(crate::kernels::convert::dyn_to_real)
                    .sum(),
            ),
            None => Value::Null,
        },
    ))
}

/// `strcat_array(array, delimiter)`.
fn strcat_array(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), arg(args, 1)];
    Ok(rowwise(&parts, rows, DataType::String, |v| {
        let delim = v.get(1).map(as_text).unwrap_or_default();
        let Some(a) = v.first().and_then(array_of) else {
            return Value::string("");
        };
        let mut out = String::new();
        for (i, d) in a.iter().enumerate() {
            if i > 0 {
                out.push_str(&delim);
            }
            crate::kernels::convert::write_dynamic_text(d, &mut out);
        }
        Value::string(out)
    }))
}

/// `bag_merge(b1, b2, ...)`: the first bag holding a key wins.
fn bag_merge(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let dyns: Vec<ColumnarValue> = (0..args.len())
        .map(|i| dynamic_arg(args, i, rows))
        .collect();
    Ok(rowwise(&dyns, rows, DataType::Dynamic, |v| {
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
        for x in v {
            if let Value::Dynamic(Dynamic::Bag(b)) = x {
                for (k, d) in b.iter() {
                    bag.entry(k.clone()).or_insert_with(|| d.clone());
                }
            }
        }
        Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
    }))
}

/// `bag_remove_keys(bag, keys)`.
fn bag_remove_keys(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), dynamic_arg(args, 1, rows)];
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(Value::Dynamic(Dynamic::Bag(b))), Some(keys)) =
            (v.first(), v.get(1).and_then(array_of))
        else {
            return Value::Null;
        };
        let drop: Vec<String> = keys
            .iter()
            .map(|k| {
                let mut s = String::new();
                crate::kernels::convert::write_dynamic_text(k, &mut s);
                s
            })
            .collect();
        let kept = b
            .iter()
            .filter(|(k, _)| !drop.iter().any(|d| d.as_str() == k.as_ref()))
            .map(|(k, d)| (k.clone(), d.clone()))
            .collect();
        Value::Dynamic(Dynamic::Bag(Arc::new(kept)))
    }))
}

/// `repeat(value, count)`: an array of `count` copies (at most 1,048,576).
fn repeat(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(x), Some(n)) = (v.first(), v.get(1).and_then(as_long)) else {
            return Value::Null;
        };
        let n = n.clamp(0, super::aggregate::DEFAULT_MAX_SIZE as i64) as usize;
        Value::Dynamic(Dynamic::Array(Arc::new(vec![
            kernels::value_to_dynamic(x);
            n
        ])))
    }))
}

/// `zip(a1, a2, ...)`: an array of tuples, padded with nulls to the longest
/// array; null when an argument is not an array.
fn zip(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let dyns: Vec<ColumnarValue> = (0..args.len())
        .map(|i| dynamic_arg(args, i, rows))
        .collect();
    Ok(rowwise(&dyns, rows, DataType::Dynamic, |v| {
        let arrays: Option<Vec<&Arc<Vec<Dynamic>>>> = v.iter().map(array_of).collect();
        let Some(arrays) = arrays else {
            return Value::Null;
        };
        let len = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
        let tuples = (0..len)
            .map(|i| {
                Dynamic::Array(Arc::new(
                    arrays
                        .iter()
                        .map(|a| a.get(i).cloned().unwrap_or_default())
                        .collect(),
                ))
            })
            .collect();
        Value::Dynamic(Dynamic::Array(Arc::new(tuples)))
    }))
}

fn shift_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 3)?;
    Ok(a[0])
}

/// `prev(x[, offset[, default]])` / `next(...)` over the batch as given
/// (the serialized row order). Rows shifted past either end get `default`
/// (null when absent).
fn shift(args: &[ColumnarValue], rows: usize, back: bool) -> Result<ColumnarValue, FunctionError> {
    let x = arg(args, 0);
    let ty = x.data_type();
    let offset = match args.get(1) {
        None => 1,
        Some(ColumnarValue::Scalar(v, _)) => as_long(v).ok_or(FunctionError::Invalid(
            "prev/next offset must be a number".into(),
        ))?,
        Some(_) => return Err(FunctionError::NotConstant { index: 1 }),
    };
    let default = match args.get(2) {
        Some(d) => kernels::cast(d, ty, rows),
        None => ColumnarValue::Scalar(
            if ty == DataType::String {
                Value::string("")
            } else {
                Value::Null
            },
            ty,
        ),
    };
    let col = x.into_column(rows);
    let mut b = crate::column::ColumnBuilder::new(ty, rows);
    for i in 0..rows {
        let src = if back {
            (i as i64).checked_sub(offset)
        } else {
            (i as i64).checked_add(offset)
        };
        let v = match src {
            Some(j) if j >= 0 && (j as usize) < rows => col.get(j as usize),
            _ => default.get(i),
        };
        if b.push(&v).is_err() {
            b.push_null();
        }
    }
    Ok(ColumnarValue::Column(Arc::new(b.finish())))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    #[test]
    fn array_functions_handle_non_arrays_as_null() {
        assert_eq!(
            call("array_length", &[json(serde_json::json!([1, 2, 3]))]),
            Value::Long(3)
        );
        assert_eq!(
            call("array_length", &[json(serde_json::json!({"a": 1}))]),
            Value::Null
        );
        assert_eq!(
            call(
                "array_concat",
                &[
                    json(serde_json::json!([1])),
                    json(serde_json::json!([2, 3]))
                ]
            ),
            json(serde_json::json!([1, 2, 3]))
        );
        assert_eq!(
            call(
                "array_slice",
                &[
                    json(serde_json::json!([1, 2, 3, 4])),
                    Value::Long(1),
                    Value::Long(-2)
                ]
            ),
            json(serde_json::json!([2, 3]))
        );
        assert_eq!(
            call(
                "array_index_of",
                &[json(serde_json::json!(["a", "b"])), s("b")]
            ),
            Value::Long(1)
        );
        assert_eq!(
            call(
                "set_has_element",
                &[json(serde_json::json!([1, 2])), Value::Real(2.0)]
            ),
            Value::Bool(true)
        );
    }

    #[test]
    fn set_functions_keep_first_seen_order() {
        let a = json(serde_json::json!([1, 2, 3]));
        let b = json(serde_json::json!([3, 4, 1]));
        assert_eq!(
            call("set_union", &[a.clone(), b.clone()]),
            json(serde_json::json!([1, 2, 3, 4]))
        );
        assert_eq!(
            call("set_intersect", &[a.clone(), b.clone()]),
            json(serde_json::json!([1, 3]))
        );
        assert_eq!(
            call("set_difference", &[a, b]),
            json(serde_json::json!([2]))
        );
    }

    #[test]
    fn arrays_sort_reverse_sum_and_join() {
        let names = json(serde_json::json!(["John", "Paul", "Jane", "Kayo"]));
        assert_eq!(
            call("array_sort_desc", std::slice::from_ref(&names)),
            json(serde_json::json!(["Paul", "Kayo", "John", "Jane"]))
        );
        assert_eq!(
            call("array_sort_asc", &[json(serde_json::json!([3, null, 1]))]),
            json(serde_json::json!([1, 3, null]))
        );
        assert_eq!(
            call("array_reverse", &[json(serde_json::json!([1, 2]))]),
            json(serde_json::json!([2, 1]))
        );
        assert_eq!(
            call("array_sum", &[json(serde_json::json!([1, 2, 3, 4]))]),
            Value::Real(10.0)
        );
        assert_eq!(
            call("strcat_array", &[names, s(",")]),
            s("John,Paul,Jane,Kayo")
        );
    }

    #[test]
    fn repeat_builds_an_array_of_copies() {
        assert_eq!(
            call("repeat", &[s("x"), Value::Long(2)]),
            json(serde_json::json!(["x", "x"]))
        );
        assert_eq!(
            call("repeat", &[Value::Long(1), Value::Long(-1)]),
            json(serde_json::json!([]))
        );
    }

    #[test]
    fn zip_pairs_elements_and_pads_with_nulls() {
        let z = call(
            "zip",
            &[
                json(serde_json::json!([1, 2])),
                json(serde_json::json!(["one"])),
            ],
        );
        assert_eq!(z, json(serde_json::json!([[1, "one"], [2, null]])));
    }

    #[test]
    fn bags_merge_and_drop_keys() {
        let a = json(serde_json::json!({"a": 1, "b": 2}));
        let b = json(serde_json::json!({"b": 3, "c": 4}));
        assert_eq!(
            call("bag_merge", &[a.clone(), b]),
            json(serde_json::json!({"a": 1, "b": 2, "c": 4}))
        );
        assert_eq!(
            call("bag_remove_keys", &[a, json(serde_json::json!(["a"]))]),
            json(serde_json::json!({"b": 2}))
        );
    }

    #[test]
    fn packing_builds_arrays_and_bags() {
        assert_eq!(
            call("pack_array", &[Value::Long(1), s("x")]),
            json(serde_json::json!([1, "x"]))
        );
        assert_eq!(
            call("bag_pack", &[s("a"), Value::Long(1)]),
            json(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            call("pack", &[s("a"), s("b")]),
            json(serde_json::json!({"a": "b"}))
        );
        assert_eq!(
            call("bag_keys", &[json(serde_json::json!({"a": 1, "b": 2}))]),
            json(serde_json::json!(["a", "b"]))
        );
        assert_eq!(
            call("bag_has_key", &[json(serde_json::json!({"a": 1})), s("a")]),
            Value::Bool(true)
        );
    }

    #[test]
    fn prev_and_next_shift_within_the_batch() {
        let col = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            crate::column::ColumnData::Long(vec![1, 2, 3]),
        )));
        let p = shift(std::slice::from_ref(&col), 3, true).unwrap();
        assert_eq!(
            (0..3).map(|i| p.get(i)).collect::<Vec<_>>(),
            [Value::Null, Value::Long(1), Value::Long(2)]
        );
        let dflt = ColumnarValue::Scalar(Value::Long(0), DataType::Long);
        let one = ColumnarValue::Scalar(Value::Long(1), DataType::Long);
        let n = shift(&[col, one, dflt], 3, false).unwrap();
        assert_eq!(
            (0..3).map(|i| n.get(i)).collect::<Vec<_>>(),
            [Value::Long(2), Value::Long(3), Value::Long(0)]
        );
    }
}
