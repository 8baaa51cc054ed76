//! Typed, allocation-free row access over [`ColumnarValue`]s.
//!
//! Kernels read their operands through these small enums so that one loop
//! serves columns and scalars alike, without boxing a value per row.

use std::borrow::Cow;
use std::sync::Arc;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use crate::bitmap::Bitmap;
use crate::column::{Column, ColumnData, StringArray, StringColumn};
use crate::function::ColumnarValue;
use crate::shred::ShreddedColumn;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Whether every operand is a scalar (the kernel then computes one row and
/// returns a scalar).
pub(crate) fn all_scalar(args: &[&ColumnarValue]) -> bool {
    args.iter().all(|a| matches!(a, ColumnarValue::Scalar(..)))
}

/// Wraps computed data as a column, or as a scalar when `scalar` is set (the
/// data then holds one row).
pub(crate) fn finish(data: ColumnData, validity: Option<Bitmap>, scalar: bool) -> ColumnarValue {
    let col = Column::with_validity(data, validity);
    if scalar {
        let ty = col.data_type();
        ColumnarValue::Scalar(col.get(0), ty)
    } else {
        ColumnarValue::Column(Arc::new(col))
    }
}

/// Collects `f(i)` for `i < n`; `None` results become nulls.
pub(crate) fn map_rows<T: Default>(
    n: usize,
    mut f: impl FnMut(usize) -> Option<T>,
) -> (Vec<T>, Option<Bitmap>) {
    let mut values = Vec::with_capacity(n);
    let mut validity: Option<Bitmap> = None;
    for i in 0..n {
        match f(i) {
            Some(v) => values.push(v),
            None => {
                validity
                    .get_or_insert_with(|| Bitmap::new(n, true))
                    .set(i, false);
                values.push(T::default());
            }
        }
    }
    (values, validity)
}

/// Builds a nullable bool result.
pub(crate) fn bools(n: usize, scalar: bool, f: impl FnMut(usize) -> Option<bool>) -> ColumnarValue {
    let (v, valid) = map_rows(n, f);
    finish(ColumnData::Bool(v), valid, scalar)
}

/// Builds a nullable long result.
pub(crate) fn longs(n: usize, scalar: bool, f: impl FnMut(usize) -> Option<i64>) -> ColumnarValue {
    let (v, valid) = map_rows(n, f);
    finish(ColumnData::Long(v), valid, scalar)
}

/// Builds a nullable real result.
pub(crate) fn reals(n: usize, scalar: bool, f: impl FnMut(usize) -> Option<f64>) -> ColumnarValue {
    let (v, valid) = map_rows(n, f);
    finish(ColumnData::Real(v), valid, scalar)
}

/// Builds a string result; strings are never null.
pub(crate) fn strings(
    n: usize,
    scalar: bool,
    mut f: impl FnMut(usize, &mut String),
) -> ColumnarValue {
    let mut out = StringArray::with_capacity(n, 0);
    let mut buf = String::new();
    for i in 0..n {
        buf.clear();
        f(i, &mut buf);
        out.push(&buf);
    }
    if scalar {
        ColumnarValue::Scalar(Value::string(out.get(0)), DataType::String)
    } else {
        let col = Column::new(ColumnData::String(crate::column::encode_strings(out)));
        ColumnarValue::Column(Arc::new(col))
    }
}

/// Builds a dynamic result.
pub(crate) fn dynamics(n: usize, scalar: bool, f: impl FnMut(usize) -> Dynamic) -> ColumnarValue {
    let v: Vec<Dynamic> = (0..n).map(f).collect();
    if scalar {
        let d = v.into_iter().next().unwrap_or_default();
        ColumnarValue::Scalar(Value::Dynamic(d), DataType::Dynamic)
    } else {
        ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(v))))
    }
}

/// Builds a result of tick-valued type (`datetime` or `timespan`).
pub(crate) fn ticks(
    ty: DataType,
    n: usize,
    scalar: bool,
    f: impl FnMut(usize) -> Option<i64>,
) -> ColumnarValue {
    let (v, valid) = map_rows(n, f);
    let data = if ty == DataType::TimeSpan {
        ColumnData::TimeSpan(v)
    } else {
        ColumnData::DateTime(v)
    };
    finish(data, valid, scalar)
}

/// Row count to compute: one for all-scalar inputs.
pub(crate) fn rows_for(args: &[&ColumnarValue], rows: usize) -> (usize, bool) {
    let s = all_scalar(args);
    (if s { 1 } else { rows }, s)
}

#[inline]
fn valid_at(v: Option<&Bitmap>, i: usize) -> bool {
    v.is_none_or(|b| b.get(i))
}

/// Integer view (`int`, `long`, `bool`, `datetime`, `timespan` ticks).
#[derive(Clone, Copy)]
pub(crate) enum Ints<'a> {
    I32(&'a [i32], Option<&'a Bitmap>),
    I64(&'a [i64], Option<&'a Bitmap>),
    Bool(&'a [bool], Option<&'a Bitmap>),
    Scalar(Option<i64>),
}

impl Ints<'_> {
    /// Row `i` or null.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<i64> {
        match self {
            Ints::I32(v, b) => valid_at(*b, i)
                .then(|| v.get(i).map(|x| *x as i64))
                .flatten(),
            Ints::I64(v, b) => valid_at(*b, i).then(|| v.get(i).copied()).flatten(),
            Ints::Bool(v, b) => valid_at(*b, i)
                .then(|| v.get(i).map(|x| *x as i64))
                .flatten(),
            Ints::Scalar(x) => *x,
        }
    }
}

/// An integer view of `v`, if its type is integral (int, long, bool,
/// datetime, timespan).
pub(crate) fn ints(v: &ColumnarValue) -> Option<Ints<'_>> {
    Some(match v {
        ColumnarValue::Column(c) => {
            let b = c.validity.as_ref();
            match &c.data {
                ColumnData::Int(x) => Ints::I32(x, b),
                ColumnData::Long(x) | ColumnData::DateTime(x) | ColumnData::TimeSpan(x) => {
                    Ints::I64(x, b)
                }
                ColumnData::Bool(x) => Ints::Bool(x, b),
                _ => return None,
            }
        }
        ColumnarValue::Scalar(s, t) => Ints::Scalar(match s {
            Value::Null => None,
            Value::Int(x) => Some(*x as i64),
            Value::Long(x) | Value::DateTime(x) | Value::TimeSpan(x) => Some(*x),
            Value::Bool(x) => Some(*x as i64),
            _ if matches!(
                t,
                DataType::Int
                    | DataType::Long
                    | DataType::Bool
                    | DataType::DateTime
                    | DataType::TimeSpan
            ) =>
            {
                None
            }
            _ => return None,
        }),
    })
}

/// Real view of any numeric operand.
#[derive(Clone, Copy)]
pub(crate) enum Reals<'a> {
    Ints(Ints<'a>),
    F64(&'a [f64], Option<&'a Bitmap>),
    Dec(&'a [Decimal], Option<&'a Bitmap>),
    DecScalar(Option<Decimal>),
    Scalar(Option<f64>),
}

impl Reals<'_> {
    /// Row `i` or null.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<f64> {
        match self {
            Reals::Ints(x) => x.get(i).map(|v| v as f64),
            Reals::F64(v, b) => valid_at(*b, i).then(|| v.get(i).copied()).flatten(),
            Reals::Dec(v, b) => valid_at(*b, i)
                .then(|| v.get(i).and_then(|d| d.to_f64()))
                .flatten(),
            Reals::DecScalar(d) => d.and_then(|d| d.to_f64()),
            Reals::Scalar(x) => *x,
        }
    }
}

/// A real view of `v`, if numeric (or bool).
pub(crate) fn reals_of(v: &ColumnarValue) -> Option<Reals<'_>> {
    if let Some(i) = ints(v) {
        if matches!(
            v.data_type(),
            DataType::Int | DataType::Long | DataType::Bool
        ) {
            return Some(Reals::Ints(i));
        }
        return None;
    }
    Some(match v {
        ColumnarValue::Column(c) => {
            let b = c.validity.as_ref();
            match &c.data {
                ColumnData::Real(x) => Reals::F64(x, b),
                ColumnData::Decimal(x) => Reals::Dec(x, b),
                _ => return None,
            }
        }
        ColumnarValue::Scalar(s, t) => Reals::Scalar(match s {
            Value::Real(x) => Some(*x),
            Value::Null if *t == DataType::Real => None,
            Value::Decimal(d) => return Some(Reals::DecScalar(Some(*d))),
            Value::Null if *t == DataType::Decimal => return Some(Reals::DecScalar(None)),
            _ => return None,
        }),
    })
}

/// Decimal view of any numeric operand.
#[derive(Clone, Copy)]
pub(crate) struct Decs<'a>(Reals<'a>);

impl Decs<'_> {
    /// Row `i` or null.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<Decimal> {
        match self.0 {
            Reals::Dec(v, b) => valid_at(b, i).then(|| v.get(i).copied()).flatten(),
            Reals::DecScalar(d) => d,
            Reals::Ints(x) => x.get(i).map(Decimal::from),
            other => other.get(i).and_then(Decimal::from_f64),
        }
    }
}

/// A decimal view of `v`, if numeric.
pub(crate) fn decs(v: &ColumnarValue) -> Option<Decs<'_>> {
    reals_of(v).map(Decs)
}

/// String view (strings only; never null).
#[derive(Clone, Copy)]
pub(crate) enum Strs<'a> {
    Col(&'a StringColumn),
    Scalar(&'a str),
}

impl<'a> Strs<'a> {
    /// Row `i`'s text.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> &'a str {
        match self {
            Strs::Col(c) => c.get(i),
            Strs::Scalar(s) => s,
        }
    }
}

/// A string view of `v`, if it is a string.
pub(crate) fn strs(v: &ColumnarValue) -> Option<Strs<'_>> {
    match v {
        ColumnarValue::Column(c) => match &c.data {
            ColumnData::String(s) => Some(Strs::Col(s)),
            _ => None,
        },
        ColumnarValue::Scalar(Value::String(s), _) => Some(Strs::Scalar(s)),
        ColumnarValue::Scalar(Value::Null, DataType::String) => Some(Strs::Scalar("")),
        _ => None,
    }
}

/// Dynamic view.
#[derive(Clone, Copy)]
pub(crate) enum Dyns<'a> {
    Col(&'a [Dynamic]),
    /// A shredded column: each row is rebuilt when read.
    Shred(&'a ShreddedColumn),
    Scalar(&'a Dynamic),
}

static DYN_NULL: Dynamic = Dynamic::Null;

impl<'a> Dyns<'a> {
    /// Row `i`'s value.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Cow<'a, Dynamic> {
        match self {
            Dyns::Col(c) => Cow::Borrowed(c.get(i).unwrap_or(&DYN_NULL)),
            Dyns::Shred(s) => Cow::Owned(s.value(i)),
            Dyns::Scalar(s) => Cow::Borrowed(s),
        }
    }
}

/// A dynamic view of `v`, if it is dynamic.
pub(crate) fn dyns(v: &ColumnarValue) -> Option<Dyns<'_>> {
    match v {
        ColumnarValue::Column(c) => match &c.data {
            ColumnData::Dynamic(d) => Some(Dyns::Col(d)),
            ColumnData::Shredded(s) => Some(Dyns::Shred(s)),
            _ => None,
        },
        ColumnarValue::Scalar(Value::Dynamic(d), _) => Some(Dyns::Scalar(d)),
        ColumnarValue::Scalar(Value::Null, DataType::Dynamic) => Some(Dyns::Scalar(&DYN_NULL)),
        _ => None,
    }
}

/// Guid view.
#[derive(Clone, Copy)]
pub(crate) enum Guids<'a> {
    Col(&'a [u128], Option<&'a Bitmap>),
    Scalar(Option<u128>),
}

impl Guids<'_> {
    /// Row `i` or null.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<u128> {
        match self {
            Guids::Col(v, b) => valid_at(*b, i).then(|| v.get(i).copied()).flatten(),
            Guids::Scalar(x) => *x,
        }
    }
}

/// A guid view of `v`, if it is a guid.
pub(crate) fn guids(v: &ColumnarValue) -> Option<Guids<'_>> {
    match v {
        ColumnarValue::Column(c) => match &c.data {
            ColumnData::Guid(g) => Some(Guids::Col(g, c.validity.as_ref())),
            _ => None,
        },
        ColumnarValue::Scalar(Value::Guid(g), _) => Some(Guids::Scalar(Some(*g))),
        ColumnarValue::Scalar(Value::Null, DataType::Guid) => Some(Guids::Scalar(None)),
        _ => None,
    }
}

/// Whether row `i` of `v` is null (strings never are).
#[inline]
pub(crate) fn is_null_at(v: &ColumnarValue, i: usize) -> bool {
    match v {
        ColumnarValue::Column(c) => c.is_null(i),
        ColumnarValue::Scalar(s, _) => s.is_null(),
    }
}

/// Evaluates a string predicate once per distinct value when the column is
/// dictionary-encoded, else once per row.
pub(crate) fn string_predicate(
    s: Strs<'_>,
    n: usize,
    scalar: bool,
    mut f: impl FnMut(&str) -> bool,
) -> ColumnarValue {
    let v: Vec<bool> = match s {
        Strs::Col(StringColumn::Dict { codes, dict }) if !scalar => {
            let per_entry: Vec<bool> = dict.iter().map(&mut f).collect();
            codes
                .iter()
                .map(|&c| per_entry.get(c as usize).copied().unwrap_or(false))
                .collect()
        }
        _ => (0..n).map(|i| f(s.get(i))).collect(),
    };
    finish(ColumnData::Bool(v), None, scalar)
}

/// Maps a string column to a string column, once per distinct value for
/// dictionary columns (the codes are kept).
pub(crate) fn map_strings(
    s: Strs<'_>,
    n: usize,
    scalar: bool,
    mut f: impl FnMut(&str, &mut String),
) -> ColumnarValue {
    if let (Strs::Col(StringColumn::Dict { codes, dict }), false) = (s, scalar) {
        // Map each distinct value once; entries that map to the same text
        // are merged so the dictionary stays distinct.
        let mut out = StringArray::with_capacity(dict.len(), dict.byte_len());
        let mut index: crate::column::StrMap<String, u32> = Default::default();
        let mut remap: Vec<u32> = Vec::with_capacity(dict.len());
        let mut buf = String::new();
        for entry in dict.iter() {
            buf.clear();
            f(entry, &mut buf);
            let code = match index.get(buf.as_str()) {
                Some(&c) => c,
                None => {
                    out.push(&buf);
                    let c = (out.len() - 1) as u32;
                    index.insert(buf.clone(), c);
                    c
                }
            };
            remap.push(code);
        }
        let codes = if out.len() == dict.len() {
            codes.clone()
        } else {
            codes
                .iter()
                .map(|&c| remap.get(c as usize).copied().unwrap_or(0))
                .collect()
        };
        let col = Column::new(ColumnData::String(StringColumn::Dict {
            codes,
            dict: Arc::new(out),
        }));
        return ColumnarValue::Column(Arc::new(col));
    }
    strings(n, scalar, |i, buf| f(s.get(i), buf))
}

/// Converts a `Value` to a `Dynamic` (used when packing values).
pub(crate) fn value_to_dynamic(v: &Value) -> Dynamic {
    match v {
        Value::Null => Dynamic::Null,
        Value::Bool(b) => Dynamic::Bool(*b),
        Value::Int(i) => Dynamic::Long(*i as i64),
        Value::Long(i) => Dynamic::Long(*i),
        Value::Real(r) => Dynamic::Real(*r),
        Value::Decimal(d) => d.to_f64().map_or(Dynamic::Null, Dynamic::Real),
        Value::String(s) => Dynamic::String(s.clone()),
        Value::DateTime(t) => Dynamic::DateTime(*t),
        Value::TimeSpan(t) => Dynamic::TimeSpan(*t),
        Value::Guid(g) => Dynamic::Guid(*g),
        Value::Dynamic(d) => d.clone(),
    }
}

/// Converts a `Dynamic` scalar to the closest `Value`.
pub(crate) fn dynamic_to_value(d: &Dynamic) -> Value {
    match d {
        Dynamic::Null => Value::Null,
        Dynamic::Bool(b) => Value::Bool(*b),
        Dynamic::Long(i) => Value::Long(*i),
        Dynamic::Real(r) => Value::Real(*r),
        Dynamic::String(s) => Value::String(s.clone()),
        Dynamic::DateTime(t) => Value::DateTime(*t),
        Dynamic::TimeSpan(t) => Value::TimeSpan(*t),
        Dynamic::Guid(g) => Value::Guid(*g),
        other => Value::Dynamic(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_a_dictionary_column_keeps_its_entries_distinct() {
        let col = StringColumn::dictionary(["A", "a", "b", "A"]);
        let out = map_strings(Strs::Col(&col), 4, false, |s, o| {
            o.push_str(&s.to_lowercase())
        });
        let ColumnarValue::Column(c) = out else {
            panic!("a column")
        };
        let ColumnData::String(StringColumn::Dict { codes, dict }) = &c.data else {
            panic!("dictionary")
        };
        assert_eq!(dict.len(), 2);
        assert_eq!(codes, &[0, 0, 1, 0]);
    }
}
