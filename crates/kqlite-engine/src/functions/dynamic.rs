//! Dynamic (array and property bag) functions, and `prev`/`next`.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{arg, arity, as_long, as_text, rowwise, Func};
use crate::function::{
    dynamic_size, value_size, ColumnarValue, EvalContext, FunctionError, FunctionProperties,
    ValueBudget, MAX_VALUE_BYTES,
};
use crate::kernels;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    let mut v = vec![
        Func::plain(
            "array_length",
            |a| arity(a, 1, 1).map(|_| DataType::Long),
            array_length,
        ),
        Func::plain(
            "bag_keys",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            bag_keys,
        ),
        Func::plain(
            "bag_has_key",
            |a| arity(a, 2, 2).map(|_| DataType::Bool),
            bag_has_key,
        ),
        Func::plain(
            "pack_array",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            pack_array,
        ),
        Func::plain("bag_pack", bag_pack_type, bag_pack),
        Func::plain(
            "array_concat",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            array_concat,
        ),
        Func::plain(
            "array_index_of",
            |a| arity(a, 2, 5).map(|_| DataType::Long),
            array_index_of,
        ),
        Func::plain(
            "set_has_element",
            |a| arity(a, 2, 2).map(|_| DataType::Bool),
            set_has_element,
        ),
        Func::plain(
            "array_slice",
            |a| arity(a, 3, 3).map(|_| DataType::Dynamic),
            array_slice,
        ),
        Func {
            name: "prev",
            signature: shift_type,
            properties: FunctionProperties::WINDOW,
            evaluate: |a, r, _| shift(a, r, true),
        },
        Func {
            name: "next",
            signature: shift_type,
            properties: FunctionProperties::WINDOW,
            evaluate: |a, r, _| shift(a, r, false),
        },
    ];
    v.extend([
        Func::plain(
            "set_union",
            |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(set_op(a, r, SetOp::Union)),
        ),
        Func::plain(
            "set_intersect",
            |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(set_op(a, r, SetOp::Intersect)),
        ),
        Func::plain(
            "set_difference",
            |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(set_op(a, r, SetOp::Difference)),
        ),
        Func::plain(
            "array_sort_asc",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(sort_array(a, r, false)),
        ),
        Func::plain(
            "array_sort_desc",
            |a| arity(a, 1, 64).map(|_| DataType::Dynamic),
            |a, r, _| Ok(sort_array(a, r, true)),
        ),
        Func::plain(
            "array_reverse",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            array_reverse,
        ),
        Func::plain(
            "array_sum",
            |a| arity(a, 1, 1).map(|_| DataType::Real),
            array_sum,
        ),
        Func::plain(
            "strcat_array",
            |a| arity(a, 2, 2).map(|_| DataType::String),
            strcat_array,
        ),
        Func::plain(
            "bag_merge",
            |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            bag_merge,
        ),
        Func::plain(
            "bag_set_key",
            |a| arity(a, 3, 3).map(|_| DataType::Dynamic),
            bag_set_key,
        ),
        Func::plain(
            "array_split",
            |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            array_split,
        ),
        Func::plain(
            "bag_remove_keys",
            |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            bag_remove_keys,
        ),
    ]);
    v.extend([
        Func::plain("range", range_type, range),
        Func::plain(
            "bag_zip",
            |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            bag_zip,
        ),
        Func::plain(
            "array_shift_left",
            |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            |a, r, _| Ok(shift_array(a, r, Move::ShiftLeft)),
        ),
        Func::plain(
            "array_shift_right",
            |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            |a, r, _| Ok(shift_array(a, r, Move::ShiftRight)),
        ),
        Func::plain(
            "array_rotate_left",
            |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            |a, r, _| Ok(shift_array(a, r, Move::RotateLeft)),
        ),
        Func::plain(
            "array_rotate_right",
            |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
            |a, r, _| Ok(shift_array(a, r, Move::RotateRight)),
        ),
        Func::plain(
            "array_iff",
            |a| arity(a, 3, 3).map(|_| DataType::Dynamic),
            array_iff,
        ),
    ]);
    v.extend([
        Func {
            name: "row_cumsum",
            signature: |a| {
                arity(a, 1, 2)?;
                Ok(
                    if matches!(a[0], DataType::Int | DataType::Long | DataType::Bool) {
                        DataType::Long
                    } else {
                        DataType::Real
                    },
                )
            },
            properties: FunctionProperties::WINDOW,
            evaluate: row_cumsum,
        },
        Func {
            name: "row_window_session",
            signature: |a| arity(a, 3, 4).map(|_| DataType::DateTime),
            properties: FunctionProperties::WINDOW,
            evaluate: row_window_session,
        },
        Func {
            name: "row_rank_dense",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Long),
            properties: FunctionProperties::WINDOW,
            evaluate: |a, r, _| row_rank(a, r, true),
        },
        Func {
            name: "row_rank_min",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Long),
            properties: FunctionProperties::WINDOW,
            evaluate: |a, r, _| row_rank(a, r, false),
        },
    ]);
    v.push(Func {
        name: "dynamic_to_json",
        signature: |a| arity(a, 1, 1).map(|_| DataType::String),
        properties: FunctionProperties::PLAIN,
        evaluate: dynamic_to_json,
    });
    v.push(Func {
        name: "repeat",
        signature: |a| arity(a, 2, 2).map(|_| DataType::Dynamic),
        properties: FunctionProperties::PLAIN,
        evaluate: repeat,
    });
    v.push(Func {
        name: "zip",
        signature: |a| arity(a, 2, 16).map(|_| DataType::Dynamic),
        properties: FunctionProperties::PLAIN,
        evaluate: zip,
    });
    v.push(Func {
        name: "jaccard_index",
        signature: |a| arity(a, 2, 2).map(|_| DataType::Real),
        properties: FunctionProperties::PLAIN,
        evaluate: jaccard_index,
    });
    v.push(Func {
        name: "treepath",
        signature: |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
        properties: FunctionProperties::PLAIN,
        evaluate: treepath,
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
        [Value::Dynamic(bag @ Dynamic::Bag(_)), key] => Value::Bool(has_path(bag, &as_text(key))),
        _ => Value::Bool(false),
    }))
}

/// Whether `key` (a plain key, or a JSONPath such as `$.a.b` or `$['a'][0]`)
/// exists in `bag`.
fn has_path(bag: &Dynamic, key: &str) -> bool {
    let Some(path) = key.strip_prefix('$') else {
        return matches!(bag, Dynamic::Bag(b) if b.contains_key(key));
    };
    let mut node = bag;
    let mut rest = path;
    while !rest.is_empty() {
        let (step, next) = if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            (PathStep::Key(&r[..end]), &r[end..])
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else { return false };
            let inner = r[..end].trim();
            let step = match inner.trim_matches(|c| c == '\'' || c == '"') {
                quoted if quoted.len() != inner.len() => PathStep::Key(quoted),
                _ => match inner.parse::<i64>() {
                    Ok(i) => PathStep::Index(i),
                    Err(_) => return false,
                },
            };
            (step, &r[end + 1..])
        } else {
            return false;
        };
        node = match (step, node) {
            (PathStep::Key(k), Dynamic::Bag(b)) => match b.get(k) {
                Some(n) => n,
                None => return false,
            },
            (PathStep::Index(i), Dynamic::Array(a)) => {
                let len = a.len() as i64;
                let j = if i < 0 { len.saturating_add(i) } else { i };
                match usize::try_from(j).ok().and_then(|j| a.get(j)) {
                    Some(n) => n,
                    None => return false,
                }
            }
            _ => return false,
        };
        rest = next;
    }
    true
}

#[derive(Clone, Copy)]
enum PathStep<'a> {
    Key(&'a str),
    Index(i64),
}

fn pack_array(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut held = PackMemory::default();
    let out = rowwise(args, rows, DataType::Dynamic, |v| {
        if !held.reserve(v.iter()) {
            return Value::Null;
        }
        Value::Dynamic(Dynamic::Array(Arc::new(
            v.iter().map(kernels::value_to_dynamic).collect(),
        )))
    });
    held.finish(out)
}

/// What `pack_array`, `bag_pack` and `bag_merge` have built in one call:
/// each row's value is measured against the cap on one value and reserved
/// from the query's memory budget before it is built, so a call building
/// large values over many rows fails (`E1107`) before the memory exists.
#[derive(Default)]
struct PackMemory {
    mem: crate::function::ValueMemory,
    failed: Option<FunctionError>,
}

impl PackMemory {
    /// Reserves a value made of `parts`; false (and the call fails) when
    /// it cannot.
    fn reserve<'v>(&mut self, parts: impl Iterator<Item = &'v Value>) -> bool {
        if self.failed.is_some() {
            return false;
        }
        let bytes = parts
            .map(|x| value_size(x, MAX_VALUE_BYTES).saturating_add(16))
            .fold(16usize, usize::saturating_add);
        match crate::function::check_value_size(bytes)
            .and_then(|()| self.mem.grow(bytes.saturating_mul(2)))
        {
            Ok(()) => true,
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    /// The call's result, or its failure.
    fn finish(self, out: ColumnarValue) -> Result<ColumnarValue, FunctionError> {
        self.failed.map_or(Ok(out), Err)
    }
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
    let mut held = PackMemory::default();
    let out = rowwise(args, rows, DataType::Dynamic, |v| {
        if !held.reserve(v.iter()) {
            return Value::Null;
        }
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::with_capacity(v.len() / 2);
        for pair in v.chunks_exact(2) {
            if let [k, x] = pair {
                bag.insert(as_text(k).into(), kernels::value_to_dynamic(x));
            }
        }
        Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
    });
    held.finish(out)
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
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(&dyns, rows, DataType::Dynamic, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let arrays: Option<Vec<&Arc<Vec<Dynamic>>>> = v.iter().map(array_of).collect();
        let Some(arrays) = arrays else {
            return Value::Null;
        };
        // The same array given twice doubles: measured before copying.
        let mut budget = ValueBudget::default();
        for a in &arrays {
            let bytes = dynamic_size(&Dynamic::Array(Arc::clone(a)), MAX_VALUE_BYTES);
            if let Err(e) = budget.add(a.len(), bytes) {
                failed = Some(e);
                return Value::Null;
            }
        }
        let mut out = Vec::new();
        for a in arrays {
            out.extend(a.iter().cloned());
        }
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    });
    failed.map_or(Ok(out), Err)
}

/// Element equality as `array_index_of` and `set_has_element` use it
/// (numbers compare across long and real).
fn same_element(e: &Dynamic, needle: &Dynamic) -> bool {
    e == needle
        || matches!((e, needle), (Dynamic::Long(p), Dynamic::Real(q)) | (Dynamic::Real(q), Dynamic::Long(p)) if (*p as f64) == *q)
}

/// The index of the first element equal to `x`, or -1.
fn position(a: &[Dynamic], x: &Value) -> i64 {
    let needle = kernels::value_to_dynamic(x);
    a.iter()
        .position(|e| same_element(e, &needle))
        .map_or(-1, |p| p as i64)
}

/// `array_index_of(array, value[, start[, length[, occurrence]]])`: the
/// index of the `occurrence`-th match within `length` elements from
/// `start` (negative counts from the end; length -1 = to the end), or -1.
fn array_index_of(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut parts = vec![dynamic_arg(args, 0, rows)];
    parts.extend(args.iter().skip(1).cloned());
    Ok(rowwise(&parts, rows, DataType::Long, |v| {
        let (Some(a), Some(x)) = (v.first().and_then(array_of), v.get(1)) else {
            return Value::Null;
        };
        let opt = |i: usize, default: i64| match v.get(i) {
            None => Some(default),
            Some(x) => as_long(x),
        };
        let (Some(start), Some(length), Some(occurrence)) = (opt(2, 0), opt(3, -1), opt(4, 1))
        else {
            return Value::Null;
        };
        let len = a.len() as i64;
        let start = if start < 0 {
            len.saturating_add(start).max(0)
        } else {
            start
        };
        if start > len || occurrence < 1 {
            return Value::Long(-1);
        }
        let end = if length < 0 {
            len
        } else {
            start.saturating_add(length).min(len)
        };
        let needle = kernels::value_to_dynamic(x);
        let hits =
            (start..end).filter(|&i| a.get(i as usize).is_some_and(|e| same_element(e, &needle)));
        Value::Long(
            hits.into_iter()
                .nth((occurrence - 1) as usize)
                .unwrap_or(-1),
        )
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
        let fix = |i: i64| if i < 0 { len.saturating_add(i) } else { i };
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
        let rest_sets: Vec<DynSet> = arrays
            .iter()
            .skip(1)
            .map(|a| {
                let mut set = DynSet::default();
                for (i, x) in a.iter().enumerate() {
                    set.insert_at(x, i);
                }
                set
            })
            .collect();
        let mut out: Vec<Dynamic> = Vec::new();
        let mut kept = DynSet::default();
        let candidates: Vec<&Dynamic> = match op {
            SetOp::Union => arrays.iter().flat_map(|a| a.iter()).collect(),
            _ => arrays
                .first()
                .map(|a| a.iter().collect())
                .unwrap_or_default(),
        };
        for x in candidates {
            let mut rest = arrays.iter().skip(1).zip(&rest_sets);
            let keep = match op {
                SetOp::Union => true,
                SetOp::Intersect => rest.all(|(a, set)| set.contains(x, a)),
                SetOp::Difference => !rest.any(|(a, set)| set.contains(x, a)),
            };
            if keep && !kept.contains(x, &out) {
                kept.insert_at(x, out.len());
                out.push(x.clone());
            }
        }
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    })
}

/// The positions of an array's elements by a shallow hash that agrees with
/// `==` (equal values hash alike), so membership is a lookup among the few
/// elements of one bucket rather than a scan of the array.
#[derive(Default)]
struct DynSet {
    buckets: rustc_hash::FxHashMap<u64, Vec<usize>>,
}

impl DynSet {
    /// Adds `x`, found at position `at` of the array this set describes.
    fn insert_at(&mut self, x: &Dynamic, at: usize) {
        self.buckets.entry(shallow_hash(x)).or_default().push(at);
    }

    /// Whether `array` (the one this set describes) holds a value equal to `x`.
    fn contains(&self, x: &Dynamic, array: &[Dynamic]) -> bool {
        self.buckets
            .get(&shallow_hash(x))
            .is_some_and(|at| at.iter().any(|&i| array.get(i) == Some(x)))
    }
}

/// A hash of a value's kind and, for scalars, its content (arrays and bags
/// by length only, as bags compare regardless of key order): equal values
/// always hash alike.
fn shallow_hash(x: &Dynamic) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    std::mem::discriminant(x).hash(&mut h);
    match x {
        Dynamic::Null => {}
        Dynamic::Bool(b) => b.hash(&mut h),
        Dynamic::Long(n) | Dynamic::DateTime(n) | Dynamic::TimeSpan(n) => n.hash(&mut h),
        // 0.0 and -0.0 are equal; NaN equals nothing, so any hash will do.
        Dynamic::Real(r) => (if *r == 0.0 { 0.0f64 } else { *r }).to_bits().hash(&mut h),
        Dynamic::String(s) => s.hash(&mut h),
        Dynamic::Guid(g) => g.hash(&mut h),
        Dynamic::Array(a) => a.len().hash(&mut h),
        Dynamic::Bag(b) => b.len().hash(&mut h),
    }
    h.finish()
}

/// `jaccard_index(set1, set2)`: the size of the intersection of the two
/// arrays' distinct values over the size of their union (a real; NaN when
/// both are empty, null when either is not an array).
fn jaccard_index(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), dynamic_arg(args, 1, rows)];
    Ok(rowwise(&parts, rows, DataType::Real, |v| {
        let (Some(a), Some(b)) = (v.first().and_then(array_of), v.get(1).and_then(array_of)) else {
            return Value::Null;
        };
        let mut union: Vec<&Dynamic> = Vec::new();
        for x in a.iter().chain(b.iter()) {
            if !union.contains(&x) {
                union.push(x);
            }
        }
        let common = union
            .iter()
            .filter(|x| a.contains(x) && b.contains(x))
            .count();
        Value::Real(common as f64 / union.len() as f64)
    }))
}

/// `treepath(object)`: the distinct paths (`['key']`, `[0]`) that lead to
/// every node of a dynamic value, in document order. Array elements share
/// one index, `[0]`, as in Kusto.
fn treepath(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    fn walk(node: &Dynamic, prefix: &str, out: &mut Vec<String>) {
        match node {
            Dynamic::Bag(b) => {
                for (k, child) in b.iter() {
                    let path = format!("{prefix}['{k}']");
                    if !out.contains(&path) {
                        out.push(path.clone());
                    }
                    walk(child, &path, out);
                }
            }
            Dynamic::Array(a) => {
                if a.is_empty() {
                    return;
                }
                let path = format!("{prefix}[0]");
                if !out.contains(&path) {
                    out.push(path.clone());
                }
                for child in a.iter() {
                    walk(child, &path, out);
                }
            }
            _ => {}
        }
    }
    Ok(rowwise(
        &[dynamic_arg(args, 0, rows)],
        rows,
        DataType::Dynamic,
        |v| match v.first() {
            Some(Value::Dynamic(d)) if !d.is_null() => {
                let mut out = Vec::new();
                walk(d, "", &mut out);
                Value::Dynamic(Dynamic::Array(Arc::new(
                    out.into_iter().map(|p| Dynamic::String(p.into())).collect(),
                )))
            }
            _ => Value::Null,
        },
    ))
}

/// `array_sort_asc`/`array_sort_desc(array1[, array2, ...][, nulls_last])`:
/// sorts the first array (numbers, strings, datetimes and timespans by
/// value; nulls last unless `nulls_last` is false). With several arrays the
/// result is an array of arrays, the others reordered to match the first.
fn sort_array(args: &[ColumnarValue], rows: usize, desc: bool) -> ColumnarValue {
    let mut parts: Vec<ColumnarValue> = Vec::with_capacity(args.len());
    for a in args {
        if a.data_type() == DataType::Bool {
            parts.push(a.clone());
        } else {
            parts.push(kernels::cast(a, DataType::Dynamic, rows));
        }
    }
    rowwise(&parts, rows, DataType::Dynamic, |v| {
        let nulls_last = !v.iter().any(|x| matches!(x, Value::Bool(false)));
        let arrays: Vec<&Arc<Vec<Dynamic>>> = v.iter().filter_map(array_of).collect();
        let Some(first) = arrays.first() else {
            return Value::Null;
        };
        let mut order: Vec<usize> = (0..first.len()).collect();
        order.sort_by(|&i, &j| {
            let (x, y) = (&first[i], &first[j]);
            match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) if nulls_last => std::cmp::Ordering::Greater,
                (true, false) => std::cmp::Ordering::Less,
                (false, true) if nulls_last => std::cmp::Ordering::Less,
                (false, true) => std::cmp::Ordering::Greater,
                _ => {
                    let o = kernels::dynamic_order(x, y);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            }
        });
        let reorder = |a: &Arc<Vec<Dynamic>>| {
            Dynamic::Array(Arc::new(
                order
                    .iter()
                    .map(|&i| a.get(i).cloned().unwrap_or_default())
                    .collect(),
            ))
        };
        if arrays.len() == 1 {
            Value::Dynamic(reorder(first))
        } else {
            Value::Dynamic(Dynamic::Array(Arc::new(
                arrays.iter().map(|a| reorder(a)).collect(),
            )))
        }
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
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(&parts, rows, DataType::String, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let delim = v.get(1).map(as_text).unwrap_or_default();
        let Some(a) = v.first().and_then(array_of) else {
            return Value::string("");
        };
        let mut out = String::new();
        for (i, d) in a.iter().enumerate() {
            // Elements can share one large value: each is measured before
            // it is written, and the text stops at the cap.
            let next = out
                .len()
                .saturating_add(delim.len())
                .saturating_add(dynamic_size(d, MAX_VALUE_BYTES));
            if let Err(e) = crate::function::check_value_size(next) {
                failed = Some(e);
                return Value::Null;
            }
            if i > 0 {
                out.push_str(&delim);
            }
            crate::kernels::convert::write_dynamic_text(d, &mut out);
        }
        Value::string(out)
    });
    failed.map_or(Ok(out), Err)
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
    let mut held = PackMemory::default();
    let out = rowwise(&dyns, rows, DataType::Dynamic, |v| {
        if !held.reserve(v.iter()) {
            return Value::Null;
        }
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
        for x in v {
            if let Value::Dynamic(Dynamic::Bag(b)) = x {
                for (k, d) in b.iter() {
                    bag.entry(k.clone()).or_insert_with(|| d.clone());
                }
            }
        }
        Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
    });
    held.finish(out)
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
        let mut out = Dynamic::Bag(b.clone());
        for k in keys.iter() {
            let mut text = String::new();
            crate::kernels::convert::write_dynamic_text(k, &mut text);
            if let Some(path) = bag_key_path(&text) {
                out = remove_path(&out, &path);
            }
        }
        Value::Dynamic(out)
    }))
}

/// Most keys in a `bag_set_key`/`bag_remove_keys` JSONPath: the nesting
/// JSON text may have when it is parsed (`parse_json`, the loaders), so a
/// path cannot build a value deeper than any other `dynamic` value. Kusto
/// documents no limit; a longer path gives null, as an unusable path does.
pub(crate) const MAX_PATH_DEPTH: usize = 128;

/// A `bag_set_key`/`bag_remove_keys` key as the chain of bag keys it names:
/// a JSONPath (`$.a.b`, `$['a']["b"]`) or, without `$`, one root-level key
/// taken as written. `None` for the root itself, for array indexing,
/// which these functions do not support, and for a path of more than
/// [`MAX_PATH_DEPTH`] keys.
fn bag_key_path(key: &str) -> Option<Vec<String>> {
    let Some(mut rest) = key.strip_prefix('$') else {
        return Some(vec![key.to_string()]);
    };
    let mut path = Vec::new();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let name = r.get(..end)?;
            if name.is_empty() {
                return None;
            }
            if path.len() >= MAX_PATH_DEPTH {
                return None;
            }
            path.push(name.to_string());
            rest = r.get(end..)?;
        } else if let Some(r) = rest.strip_prefix('[') {
            let quote = r.chars().next().filter(|c| *c == '\'' || *c == '"')?;
            let body = r.get(1..)?;
            let end = body.find(quote)?;
            if path.len() >= MAX_PATH_DEPTH {
                return None;
            }
            path.push(body.get(..end)?.to_string());
            rest = body.get(end + 1..)?.strip_prefix(']')?;
        } else {
            return None;
        }
    }
    (!path.is_empty()).then_some(path)
}

/// `target` without the key at `path` (unchanged when it is absent).
fn remove_path(target: &Dynamic, path: &[String]) -> Dynamic {
    let (Dynamic::Bag(b), Some((first, rest))) = (target, path.split_first()) else {
        return target.clone();
    };
    let Some(inner) = b.get(first.as_str()) else {
        return target.clone();
    };
    let mut bag = b.as_ref().clone();
    if rest.is_empty() {
        bag.shift_remove(first.as_str());
    } else {
        let next = remove_path(inner, rest);
        bag.insert(Arc::from(first.as_str()), next);
    }
    Dynamic::Bag(Arc::new(bag))
}

/// `bag_set_key(bag, key, value)`: a copy of `bag` with `key` (a root-level
/// key, or a JSONPath whose missing levels become bags) set to `value`;
/// non-bags, the root path and array indexing give null.
fn bag_set_key(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let key = kernels::strings::as_string(&arg(args, 1), rows);
    let parts = [dynamic_arg(args, 0, rows), key, dynamic_arg(args, 2, rows)];
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(Value::Dynamic(bag @ Dynamic::Bag(_))), Some(key), Some(Value::Dynamic(value))) =
            (v.first(), v.get(1), v.get(2))
        else {
            return Value::Null;
        };
        let Some(path) = bag_key_path(&as_text(key)) else {
            return Value::Null;
        };
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        Value::Dynamic(set_path(bag, &path, value.clone()))
    }))
}

fn set_path(target: &Dynamic, path: &[&str], value: Dynamic) -> Dynamic {
    let Some((first, rest)) = path.split_first() else {
        return value;
    };
    let mut bag = match target {
        Dynamic::Bag(b) => b.as_ref().clone(),
        _ => IndexMap::new(),
    };
    let inner = bag.get(*first).cloned().unwrap_or(Dynamic::Null);
    bag.insert(Arc::from(*first), set_path(&inner, rest, value));
    Dynamic::Bag(Arc::new(bag))
}

/// `array_split(array, indices)`: the pieces between the split indices (a
/// long or an array of longs; negative ones count from the end).
fn array_split(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), dynamic_arg(args, 1, rows)];
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(items), Some(Value::Dynamic(at))) = (v.first().and_then(array_of), v.get(1))
        else {
            return Value::Null;
        };
        let len = items.len() as i64;
        let raw: Vec<&Dynamic> = match at {
            Dynamic::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        let mut cuts = Vec::with_capacity(raw.len());
        for d in raw {
            let Some(i) = kernels::convert::dyn_to_real(d) else {
                return Value::Null;
            };
            let i = i as i64;
            let i = if i < 0 { len + i } else { i };
            cuts.push(i.clamp(0, len) as usize);
        }
        let mut pieces = Vec::with_capacity(cuts.len() + 1);
        let mut start = 0usize;
        for cut in cuts.into_iter().chain(std::iter::once(items.len())) {
            let end = cut.max(start);
            pieces.push(Dynamic::Array(Arc::new(
                items
                    .get(start..end)
                    .map(<[Dynamic]>::to_vec)
                    .unwrap_or_default(),
            )));
            start = end;
        }
        Value::Dynamic(Dynamic::Array(Arc::new(pieces)))
    }))
}

fn range_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 3)?;
    Ok(DataType::Dynamic)
}

/// `range(start, stop[, step])`: an array from `start` to `stop` inclusive
/// (numbers, timespans, or datetimes with a timespan step), at most
/// 1,048,576 elements.
fn range(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let cap = super::aggregate::DEFAULT_MAX_SIZE;
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let out: Option<Vec<Dynamic>> = match (v.first(), v.get(1), v.get(2)) {
            (Some(Value::DateTime(a)), Some(Value::DateTime(b)), step) => {
                let step = match step {
                    Some(Value::TimeSpan(s)) => *s,
                    None => crate::time::TICKS_PER_DAY,
                    _ => 0,
                };
                ticks_range(*a, *b, step, cap)
                    .map(|t| t.into_iter().map(Dynamic::DateTime).collect())
            }
            (Some(Value::TimeSpan(a)), Some(Value::TimeSpan(b)), step) => {
                let step = match step {
                    Some(Value::TimeSpan(s)) => *s,
                    None => crate::time::TICKS_PER_HOUR,
                    _ => 0,
                };
                ticks_range(*a, *b, step, cap)
                    .map(|t| t.into_iter().map(Dynamic::TimeSpan).collect())
            }
            (Some(a), Some(b), step) if a.data_type().is_some_and(DataType::is_numeric) => {
                let integral = |x: &Value| matches!(x, Value::Int(_) | Value::Long(_));
                let step_v = step.cloned().unwrap_or(Value::Long(1));
                if integral(a) && integral(b) && integral(&step_v) {
                    match (as_long(a), as_long(b), as_long(&step_v)) {
                        (Some(a), Some(b), Some(st)) => ticks_range(a, b, st, cap)
                            .map(|t| t.into_iter().map(Dynamic::Long).collect()),
                        _ => None,
                    }
                } else {
                    match (
                        super::as_real(a),
                        super::as_real(b),
                        super::as_real(&step_v),
                    ) {
                        (Some(a), Some(b), Some(st)) if st != 0.0 && st.is_finite() => {
                            let mut out = Vec::new();
                            let mut k = 0.0;
                            loop {
                                let x = a + k * st;
                                if (st > 0.0 && x > b) || (st < 0.0 && x < b) || out.len() >= cap {
                                    break;
                                }
                                out.push(Dynamic::Real(x));
                                k += 1.0;
                            }
                            Some(out)
                        }
                        _ => None,
                    }
                }
            }
            _ => None,
        };
        out.map_or(Value::Null, |o| Value::Dynamic(Dynamic::Array(Arc::new(o))))
    }))
}

/// Integer steps from `a` to `b` inclusive; `None` for a zero step.
fn ticks_range(a: i64, b: i64, step: i64, cap: usize) -> Option<Vec<i64>> {
    if step == 0 {
        return None;
    }
    let mut out = Vec::new();
    let mut x = a;
    while ((step > 0 && x <= b) || (step < 0 && x >= b)) && out.len() < cap {
        out.push(x);
        match x.checked_add(step) {
            Some(n) => x = n,
            None => break,
        }
    }
    Some(out)
}

/// `bag_zip(keys, values)`: a bag from parallel arrays; missing values are
/// null, extra values and non-string keys are dropped.
fn bag_zip(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [dynamic_arg(args, 0, rows), dynamic_arg(args, 1, rows)];
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(keys), Some(vals)) = (v.first().and_then(array_of), v.get(1).and_then(array_of))
        else {
            return Value::Null;
        };
        let bag: IndexMap<Arc<str>, Dynamic> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| match k {
                Dynamic::String(k) => Some((k.clone(), vals.get(i).cloned().unwrap_or_default())),
                _ => None,
            })
            .collect();
        Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
    }))
}

#[derive(Clone, Copy)]
enum Move {
    ShiftLeft,
    ShiftRight,
    RotateLeft,
    RotateRight,
}

/// `array_shift_left/right(a, n[, fill])` and `array_rotate_left/right(a, n)`.
fn shift_array(args: &[ColumnarValue], rows: usize, how: Move) -> ColumnarValue {
    let mut parts = vec![dynamic_arg(args, 0, rows), arg(args, 1)];
    if let Some(f) = args.get(2) {
        parts.push(f.clone());
    }
    rowwise(&parts, rows, DataType::Dynamic, |v| {
        let (Some(a), Some(n)) = (v.first().and_then(array_of), v.get(1).and_then(as_long)) else {
            return Value::Null;
        };
        let len = a.len();
        let fill = v.get(2).map_or(Dynamic::Null, kernels::value_to_dynamic);
        // Negative counts move the other way.
        let (how, n) = match (how, n < 0) {
            (Move::ShiftLeft, true) => (Move::ShiftRight, n.unsigned_abs()),
            (Move::ShiftRight, true) => (Move::ShiftLeft, n.unsigned_abs()),
            (Move::RotateLeft, true) => (Move::RotateRight, n.unsigned_abs()),
            (Move::RotateRight, true) => (Move::RotateLeft, n.unsigned_abs()),
            (h, false) => (h, n as u64),
        };
        let k = usize::try_from(n).unwrap_or(usize::MAX);
        let out: Vec<Dynamic> = match how {
            Move::ShiftLeft => (0..len)
                .map(|i| {
                    i.checked_add(k)
                        .and_then(|j| a.get(j))
                        .cloned()
                        .unwrap_or_else(|| fill.clone())
                })
                .collect(),
            Move::ShiftRight => (0..len)
                .map(|i| {
                    i.checked_sub(k)
                        .and_then(|j| a.get(j))
                        .cloned()
                        .unwrap_or_else(|| fill.clone())
                })
                .collect(),
            Move::RotateLeft if len > 0 => (0..len)
                .filter_map(|i| a.get((i + k % len) % len).cloned())
                .collect(),
            Move::RotateRight if len > 0 => (0..len)
                .filter_map(|i| a.get((i + len - k % len) % len).cloned())
                .collect(),
            _ => Vec::new(),
        };
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    })
}

/// `array_iff(conditions, when_true, when_false)`: element-wise choice; a
/// scalar branch applies to every element; the result has the length of
/// the condition array.
fn array_iff(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [
        dynamic_arg(args, 0, rows),
        dynamic_arg(args, 1, rows),
        dynamic_arg(args, 2, rows),
    ];
    Ok(rowwise(&parts, rows, DataType::Dynamic, |v| {
        let Some(conds) = v.first().and_then(array_of) else {
            return Value::Null;
        };
        let pick = |branch: Option<&Value>, i: usize| match branch {
            Some(Value::Dynamic(Dynamic::Array(a))) => a.get(i).cloned().unwrap_or_default(),
            Some(Value::Dynamic(d)) => d.clone(),
            _ => Dynamic::Null,
        };
        let out = conds
            .iter()
            .enumerate()
            .map(|(i, c)| match crate::kernels::convert::dyn_to_bool(c) {
                Some(true) => pick(v.get(1), i),
                Some(false) => pick(v.get(2), i),
                None => Dynamic::Null,
            })
            .collect();
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    }))
}

/// Fails with [`FunctionError::TooLarge`] when a `dynamic` value of `x`
/// would be longer than [`MAX_VALUE_BYTES`] written out as text: arrays
/// and bags can share one large value many times over, so their text can
/// be far larger than the memory they take.
pub(super) fn check_text_sizes(x: &ColumnarValue, rows: usize) -> Result<(), FunctionError> {
    let measure = |v: &Value| match v {
        Value::Dynamic(d @ (Dynamic::Array(_) | Dynamic::Bag(_))) => {
            crate::function::check_value_size(dynamic_size(d, MAX_VALUE_BYTES))
        }
        _ => Ok(()),
    };
    match x {
        ColumnarValue::Scalar(v, _) => measure(v),
        ColumnarValue::Column(_) => {
            let mut failed = None;
            rowwise(std::slice::from_ref(x), rows, DataType::Bool, |v| {
                if failed.is_none() {
                    failed = v.first().map(measure).and_then(Result::err);
                }
                Value::Null
            });
            failed.map_or(Ok(()), Err)
        }
    }
}

/// `dynamic_to_json(x)`: compact JSON with property bag keys sorted, so
/// equal values give equal text.
fn dynamic_to_json(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let x = dynamic_arg(args, 0, rows);
    check_text_sizes(&x, rows)?;
    Ok(rowwise(&[x], rows, DataType::String, |v| match v.first() {
        Some(Value::Dynamic(d)) => {
            let mut text = String::new();
            kernels::convert::write_json(d, true, &mut text);
            Value::string(text)
        }
        _ => Value::string("null"),
    }))
}

/// `repeat(value, count)`: an array of `count` copies (at most 1,048,576).
fn repeat(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(args, rows, DataType::Dynamic, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let (Some(x), Some(n)) = (v.first(), v.get(1).and_then(as_long)) else {
            return Value::Null;
        };
        let n = n.clamp(0, super::aggregate::DEFAULT_MAX_SIZE as i64) as usize;
        // The copies share memory, but not once the array is written out
        // (`tostring`, `strcat_array`): its text must fit in one value.
        let each = value_size(x, MAX_VALUE_BYTES).saturating_add(1);
        if n > 0 {
            if let Err(e) = ValueBudget::default().add(n, each.saturating_mul(n)) {
                failed = Some(e);
                return Value::Null;
            }
        }
        Value::Dynamic(Dynamic::Array(Arc::new(vec![
            kernels::value_to_dynamic(x);
            n
        ])))
    });
    failed.map_or(Ok(out), Err)
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
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(&dyns, rows, DataType::Dynamic, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let arrays: Option<Vec<&Arc<Vec<Dynamic>>>> = v.iter().map(array_of).collect();
        let Some(arrays) = arrays else {
            return Value::Null;
        };
        let len = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
        // Short arrays are padded with nulls to the longest one: the
        // tuples' size is known before they are built.
        let bytes = arrays.iter().fold(0usize, |n, a| {
            n.saturating_add(dynamic_size(
                &Dynamic::Array(Arc::clone(a)),
                MAX_VALUE_BYTES,
            ))
            .saturating_add(len.saturating_sub(a.len()).saturating_mul(5))
        });
        if let Err(e) = ValueBudget::default().add(len.saturating_mul(arrays.len().max(1)), bytes) {
            failed = Some(e);
            return Value::Null;
        }
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
    });
    failed.map_or(Ok(out), Err)
}

/// The restart flags of a window function's optional last argument.
fn restarts(args: &[ColumnarValue], index: usize, rows: usize) -> crate::bitmap::Bitmap {
    match args.get(index) {
        Some(r) => kernels::filter_mask(r, rows),
        None => crate::bitmap::Bitmap::new(rows, false),
    }
}

/// `row_cumsum(x[, restart])`: the running sum over the batch's rows in
/// order, starting again where `restart` is true; nulls add nothing.
fn row_cumsum(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let x = arg(args, 0);
    let restart = restarts(args, 1, rows);
    let integral = matches!(
        x.data_type(),
        DataType::Int | DataType::Long | DataType::Bool
    );
    if integral {
        let a = kernels::access::ints(&x)
            .ok_or(FunctionError::Invalid("row_cumsum expects a number".into()))?;
        let mut sum = 0i64;
        return Ok(kernels::access::longs(rows, false, |i| {
            if restart.get(i) {
                sum = 0;
            }
            sum = sum.wrapping_add(a.get(i).unwrap_or(0));
            Some(sum)
        }));
    }
    let x = kernels::cast(&x, DataType::Real, rows);
    let a = kernels::access::reals_of(&x)
        .ok_or(FunctionError::Invalid("row_cumsum expects a number".into()))?;
    let mut sum = 0.0;
    Ok(kernels::access::reals(rows, false, |i| {
        if restart.get(i) {
            sum = 0.0;
        }
        sum += a.get(i).unwrap_or(0.0);
        Some(sum)
    }))
}

/// `row_window_session(t, max_from_first, max_between[, restart])`: the
/// start time of each row's session over the batch's rows in order. A new
/// session starts at the first row, where `restart` is true, or where `t` is
/// more than `max_from_first` after the session start or more than
/// `max_between` after the previous row.
fn row_window_session(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let t = kernels::cast(&arg(args, 0), DataType::DateTime, rows);
    let first = kernels::cast(&arg(args, 1), DataType::TimeSpan, rows);
    let between = kernels::cast(&arg(args, 2), DataType::TimeSpan, rows);
    let restart = restarts(args, 3, rows);
    let (Some(t), Some(first), Some(between)) = (
        kernels::access::ints(&t),
        kernels::access::ints(&first),
        kernels::access::ints(&between),
    ) else {
        return Err(FunctionError::Invalid(
            "row_window_session expects a datetime and two timespans".into(),
        ));
    };
    let mut start: Option<i64> = None;
    let mut prev: Option<i64> = None;
    Ok(kernels::access::ticks(
        DataType::DateTime,
        rows,
        false,
        |i| {
            let Some(ts) = t.get(i) else {
                return start;
            };
            let new_session = match (start, prev) {
                (Some(s), Some(p)) => {
                    restart.get(i)
                        || first.get(i).is_some_and(|m| ts.saturating_sub(s) > m)
                        || between.get(i).is_some_and(|m| ts.saturating_sub(p) > m)
                }
                _ => true,
            };
            if new_session {
                start = Some(ts);
            }
            prev = Some(ts);
            start
        },
    ))
}

/// `row_rank_dense(x[, restart])` (consecutive ranks) and
/// `row_rank_min(x[, restart])` (the position of the first equal row) over
/// the batch's rows, which are expected to be sorted by `x`.
fn row_rank(
    args: &[ColumnarValue],
    rows: usize,
    dense: bool,
) -> Result<ColumnarValue, FunctionError> {
    let x = arg(args, 0).into_column(rows);
    let restart = restarts(args, 1, rows);
    let mut prev: Option<Value> = None;
    let (mut rank, mut position) = (0i64, 0i64);
    Ok(kernels::access::longs(rows, false, |i| {
        let v = x.get(i);
        if restart.get(i) || i == 0 {
            prev = None;
            position = 0;
            rank = 0;
        }
        position += 1;
        if prev.as_ref() != Some(&v) {
            rank = if dense { rank + 1 } else { position };
            prev = Some(v);
        }
        Some(rank)
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
    fn jaccard_index_divides_the_intersection_by_the_union() {
        let j = |a, b| call("jaccard_index", &[json(a), json(b)]);
        use serde_json::json as j_;
        assert_eq!(j(j_!([1, 2, 3]), j_!([1, 2, 3, 4])), Value::Real(0.75));
        assert_eq!(j(j_!([1, 1, 2]), j_!([2, 2, 5])), Value::Real(1.0 / 3.0));
        assert_eq!(j(j_!(["a"]), j_!([])), Value::Real(0.0));
        assert!(matches!(j(j_!([]), j_!([])), Value::Real(x) if x.is_nan()));
        assert_eq!(j(j_!(1), j_!([1])), Value::Null);
        assert_eq!(
            call("jaccard_index", &[Value::Null, json(j_!([1]))]),
            Value::Null
        );
    }

    #[test]
    fn treepath_lists_the_paths_of_the_reference_examples() {
        use serde_json::json as j_;
        let t = |v| call("treepath", &[json(v)]);
        assert_eq!(t(j_!({"a": "b", "c": 123})), json(j_!(["['a']", "['c']"])));
        assert_eq!(
            t(j_!({"prop1": [1, 2, 3, 4], "prop2": "value2"})),
            json(j_!(["['prop1']", "['prop1'][0]", "['prop2']"]))
        );
        assert_eq!(
            t(j_!({"listProperty": [100, 200, 300, "abcde", {"x": "y"}]})),
            json(j_!([
                "['listProperty']",
                "['listProperty'][0]",
                "['listProperty'][0]['x']"
            ]))
        );
        assert_eq!(t(j_!({"e": []})), json(j_!(["['e']"])));
        assert_eq!(t(j_!(5)), json(j_!([])));
        assert_eq!(call("treepath", &[Value::Null]), Value::Null);
    }

    #[test]
    fn extreme_array_indexes_never_panic() {
        let a = json(serde_json::json!([1, 2, 3]));
        assert_eq!(
            call(
                "array_slice",
                &[a.clone(), Value::Long(i64::MIN), Value::Long(i64::MAX)]
            ),
            a
        );
        assert_eq!(
            call(
                "array_index_of",
                &[
                    a.clone(),
                    Value::Long(3),
                    Value::Long(i64::MIN),
                    Value::Long(i64::MAX)
                ]
            ),
            Value::Long(2)
        );
        assert_eq!(
            call("array_shift_left", &[a.clone(), Value::Long(i64::MIN)]),
            json(serde_json::json!([null, null, null]))
        );
        assert_eq!(
            call("array_rotate_left", &[a, Value::Long(i64::MAX)]),
            json(serde_json::json!([2, 3, 1]))
        );
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
    fn set_functions_over_a_million_elements_finish_and_match_equal_bags() {
        // Distinct elements are found by hash, not by scanning what was
        // kept: a million distinct elements used to take hours.
        let big: Vec<serde_json::Value> = (0..1_000_000).map(|i| serde_json::json!(i)).collect();
        let big = json(serde_json::Value::Array(big));
        let out = call(
            "set_union",
            &[big.clone(), json(serde_json::json!([5, -1]))],
        );
        let Value::Dynamic(Dynamic::Array(items)) = out else {
            panic!("not an array: {out:?}")
        };
        assert_eq!(items.len(), 1_000_001);
        assert_eq!(
            call("set_difference", &[big, json(serde_json::json!([]))]),
            call(
                "set_union",
                &[json(serde_json::json!([])), {
                    let v: Vec<serde_json::Value> =
                        (0..1_000_000).map(|i| serde_json::json!(i)).collect();
                    json(serde_json::Value::Array(v))
                }]
            )
        );
        // Bags are equal whatever their key order; 0.0 and -0.0 are one value.
        assert_eq!(
            call(
                "set_union",
                &[
                    json(serde_json::json!([{"a": 1, "b": 2}, 0.0])),
                    json(serde_json::json!([{"b": 2, "a": 1}, -0.0]))
                ]
            ),
            json(serde_json::json!([{"a": 1, "b": 2}, 0.0]))
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
    fn range_builds_inclusive_sequences() {
        assert_eq!(
            call("range", &[Value::Long(1), Value::Long(8), Value::Long(3)]),
            json(serde_json::json!([1, 4, 7]))
        );
        assert_eq!(
            call("range", &[Value::Long(1), Value::Long(3)]),
            json(serde_json::json!([1, 2, 3]))
        );
        let h = crate::time::TICKS_PER_HOUR;
        let r = call("range", &[Value::TimeSpan(h), Value::TimeSpan(3 * h)]);
        let want = Dynamic::Array(Arc::new(
            (1..=3).map(|k| Dynamic::TimeSpan(k * h)).collect(),
        ));
        assert_eq!(r, Value::Dynamic(want));
        let Value::Dynamic(Dynamic::Array(big)) =
            call("range", &[Value::Long(1), Value::Long(1_000_000_000)])
        else {
            panic!()
        };
        assert_eq!(big.len(), 1_048_576);
    }

    #[test]
    fn bag_zip_pairs_keys_with_values() {
        let keys = json(serde_json::json!(["a", 8, "b"]));
        assert_eq!(
            call("bag_zip", &[keys, json(serde_json::json!([1, "2", 2.5]))]),
            json(serde_json::json!({"a": 1, "b": 2.5}))
        );
        let keys = json(serde_json::json!(["a", "b", "c"]));
        assert_eq!(
            call("bag_zip", &[keys, json(serde_json::json!([1]))]),
            json(serde_json::json!({"a": 1, "b": null, "c": null}))
        );
    }

    #[test]
    fn arrays_shift_and_rotate() {
        let a = json(serde_json::json!([1, 2, 3, 4, 5]));
        assert_eq!(
            call("array_shift_left", &[a.clone(), Value::Long(2)]),
            json(serde_json::json!([3, 4, 5, null, null]))
        );
        assert_eq!(
            call(
                "array_shift_right",
                &[a.clone(), Value::Long(1), Value::Long(-1)]
            ),
            json(serde_json::json!([-1, 1, 2, 3, 4]))
        );
        assert_eq!(
            call("array_rotate_left", &[a.clone(), Value::Long(2)]),
            json(serde_json::json!([3, 4, 5, 1, 2]))
        );
        assert_eq!(
            call("array_rotate_right", &[a, Value::Long(-2)]),
            json(serde_json::json!([3, 4, 5, 1, 2]))
        );
    }

    #[test]
    fn array_iff_chooses_element_wise() {
        let conds = json(serde_json::json!([true, false, true]));
        let r = call(
            "array_iff",
            &[
                conds,
                json(serde_json::json!([1, 2, 3])),
                json(serde_json::json!([4, 5, 6])),
            ],
        );
        assert_eq!(r, json(serde_json::json!([1, 5, 3])));
    }

    #[test]
    fn sort_with_several_arrays_reorders_them_together() {
        let times = json(serde_json::json!([3, 1, 2]));
        let names = json(serde_json::json!(["c", "a", "b"]));
        let r = call("array_sort_desc", &[times, names]);
        assert_eq!(r, json(serde_json::json!([[3, 2, 1], ["c", "b", "a"]])));
    }

    #[test]
    fn array_index_of_honours_start_length_and_occurrence() {
        let a = json(serde_json::json!([
            "this", "is", "an", "example", "an", "example"
        ]));
        let idx = |extra: &[Value]| {
            let mut args = vec![a.clone()];
            args.extend_from_slice(extra);
            call("array_index_of", &args)
        };
        assert_eq!(idx(&[s("an")]), Value::Long(2));
        assert_eq!(
            idx(&[s("example"), Value::Long(1), Value::Long(3)]),
            Value::Long(3)
        );
        assert_eq!(
            idx(&[s("example"), Value::Long(1), Value::Long(2)]),
            Value::Long(-1)
        );
        assert_eq!(
            idx(&[s("an"), Value::Long(1), Value::Long(-1), Value::Long(2)]),
            Value::Long(4)
        );
        assert_eq!(
            idx(&[s("an"), Value::Long(1), Value::Long(-1), Value::Long(3)]),
            Value::Long(-1)
        );
    }

    #[test]
    fn bag_has_key_accepts_json_paths() {
        let bag =
            json(serde_json::json!({"key1": 123, "key2": {"prop1": "abc"}, "key3": [100, 200]}));
        assert_eq!(
            call("bag_has_key", &[bag.clone(), s("$.key2.prop1")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("bag_has_key", &[bag.clone(), s("$.key3[1]")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("bag_has_key", &[bag.clone(), s("$['key2']['nope']")]),
            Value::Bool(false)
        );
        assert_eq!(call("bag_has_key", &[bag, s("key1")]), Value::Bool(true));
    }

    #[test]
    fn row_cumsum_restarts_where_asked() {
        let salary = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            crate::column::ColumnData::Long(vec![1000, 2000, 1400, 1000, 1950]),
        )));
        let restart = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            crate::column::ColumnData::Bool(vec![true, false, false, true, false]),
        )));
        let r = row_cumsum(&[salary, restart], 5, &EvalContext { now: 0 }).unwrap();
        let got: Vec<Value> = (0..5).map(|i| r.get(i)).collect();
        assert_eq!(got, [1000, 3000, 4400, 1000, 2950].map(Value::Long));
    }

    #[test]
    fn row_ranks_follow_runs_of_equal_values() {
        let departures = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            crate::column::ColumnData::Long(vec![2, 3, 3, 3, 100]),
        )));
        let dense = row_rank(std::slice::from_ref(&departures), 5, true).unwrap();
        assert_eq!(
            (0..5).map(|i| dense.get(i)).collect::<Vec<_>>(),
            [1, 2, 2, 2, 3].map(Value::Long)
        );
        let min = row_rank(&[departures], 5, false).unwrap();
        assert_eq!(
            (0..5).map(|i| min.get(i)).collect::<Vec<_>>(),
            [1, 2, 2, 2, 5].map(Value::Long)
        );
    }

    #[test]
    fn dynamic_to_json_sorts_keys() {
        let bag = json(serde_json::json!({"b": 1, "a": {"d": 2, "c": [3]}}));
        assert_eq!(
            call("dynamic_to_json", &[bag]),
            s(r#"{"a":{"c":[3],"d":2},"b":1}"#)
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
    fn row_window_session_starts_on_gaps_and_restarts() {
        use crate::function::{ColumnarValue, EvalContext};
        let minute = crate::time::TICKS_PER_MINUTE;
        let times = [0, 2 * minute, 60 * minute, 61 * minute];
        let col = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            crate::column::ColumnData::DateTime(times.to_vec()),
        )));
        let restart = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            crate::column::ColumnData::Bool(vec![false, false, false, true]),
        )));
        let f = crate::registry::Registry::builtin()
            .scalar("row_window_session")
            .unwrap();
        let args = [
            col,
            ColumnarValue::Scalar(Value::TimeSpan(60 * minute), DataType::TimeSpan),
            ColumnarValue::Scalar(Value::TimeSpan(5 * minute), DataType::TimeSpan),
            restart,
        ];
        let out = f.invoke(&args, 4, &EvalContext { now: 0 }).unwrap();
        let got: Vec<Value> = (0..4).map(|i| out.get(i)).collect();
        assert_eq!(
            got,
            [0, 0, 60 * minute, 61 * minute]
                .map(Value::DateTime)
                .to_vec()
        );
    }

    #[test]
    fn bag_set_key_adds_replaces_and_nests() {
        let bag = json(serde_json::json!({"key1": 1, "key3": "abc"}));
        assert_eq!(
            call("bag_set_key", &[bag.clone(), s("key3"), Value::Long(3)]),
            json(serde_json::json!({"key1": 1, "key3": 3}))
        );
        assert_eq!(
            call("bag_set_key", &[bag.clone(), s("$.a.b"), Value::Long(3)]),
            json(serde_json::json!({"key1": 1, "key3": "abc", "a": {"b": 3}}))
        );
        assert_eq!(
            call("bag_set_key", &[bag.clone(), s("a.b"), Value::Long(3)]),
            json(serde_json::json!({"key1": 1, "key3": "abc", "a.b": 3}))
        );
        assert_eq!(
            call("bag_set_key", &[bag.clone(), s("$['a']"), Value::Long(3)]),
            json(serde_json::json!({"key1": 1, "key3": "abc", "a": 3}))
        );
        assert_eq!(
            call("bag_set_key", &[bag.clone(), s("$"), Value::Long(3)]),
            Value::Null
        );
        assert_eq!(
            call("bag_set_key", &[bag, s("$.a[0]"), Value::Long(3)]),
            Value::Null
        );
    }

    #[test]
    fn bag_set_key_follows_the_reference_json_path_example() {
        let set = |b| call("bag_set_key", &[json(b), s("$.key2.prop1"), s("abc")]);
        assert_eq!(
            set(serde_json::json!({"key1": 123, "key2": {"prop1": 123, "prop2": "xyz"}})),
            json(serde_json::json!({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}}))
        );
        assert_eq!(
            set(serde_json::json!({"key1": 123})),
            json(serde_json::json!({"key1": 123, "key2": {"prop1": "abc"}}))
        );
    }

    #[test]
    fn bag_remove_keys_follows_the_reference_examples() {
        let rm = |b, k| call("bag_remove_keys", &[json(b), json(k)]);
        use serde_json::json as j;
        assert_eq!(
            rm(j!({"key1": 123, "key2": "abc"}), j!(["key2", "key4"])),
            json(j!({"key1": 123}))
        );
        assert_eq!(
            rm(
                j!({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}, "key3": [100, 200]}),
                j!(["$.key2.prop1", "key3"])
            ),
            json(j!({"key1": 123, "key2": {"prop2": "xyz"}}))
        );
        assert_eq!(
            rm(j!({"a": {"b": 1}}), j!(["$.a.b.c", "$.x.y", "$[0]"])),
            json(j!({"a": {"b": 1}}))
        );
        assert_eq!(rm(j!([1]), j!(["a"])), Value::Null);
    }

    #[test]
    fn array_split_cuts_at_each_index() {
        let arr = json(serde_json::json!([1, 2, 3, 4, 5]));
        assert_eq!(
            call(
                "array_split",
                &[arr.clone(), json(serde_json::json!([1, 3]))]
            ),
            json(serde_json::json!([[1], [2, 3], [4, 5]]))
        );
        assert_eq!(
            call("array_split", &[arr, Value::Long(-1)]),
            json(serde_json::json!([[1, 2, 3, 4], [5]]))
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
