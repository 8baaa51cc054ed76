//! Conversions between KQL types: implicit casts and the `to*()` functions.
//!
//! Every conversion that can fail yields null, never an error, as in Kusto.

use std::fmt::Write as _;
use std::sync::Arc;

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::Decimal;

use super::access::{self, dyns, finish, map_rows, rows_for, strs};
use crate::column::{ColumnBuilder, ColumnData};
use crate::function::ColumnarValue;
use crate::time;
use crate::types::DataType;
use crate::value::{self, Dynamic, Value};

/// Converts `v` to type `to` over `rows` rows; failed conversions are null.
pub fn convert(v: &ColumnarValue, to: DataType, rows: usize) -> ColumnarValue {
    if v.data_type() == to {
        return v.clone();
    }
    let (n, scalar) = rows_for(&[v], rows);
    match to {
        DataType::String => to_string(v, rows),
        DataType::Long => match access::ints(v) {
            Some(a) if matches!(v.data_type(), DataType::Int | DataType::Bool) => {
                access::longs(n, scalar, |i| a.get(i))
            }
            _ => generic(v, to, n, scalar),
        },
        DataType::Real => match access::reals_of(v) {
            Some(r) => access::reals(n, scalar, |i| r.get(i)),
            None => generic(v, to, n, scalar),
        },
        _ => generic(v, to, n, scalar),
    }
}

/// `tostring()`: datetimes in ISO form with 7 fraction digits, bools as
/// `True`/`False`, dynamic strings unquoted, other dynamic values as JSON,
/// nulls as `""`. Dictionary-encoded inputs stay cheap.
pub fn to_string(v: &ColumnarValue, rows: usize) -> ColumnarValue {
    if v.data_type() == DataType::String {
        // Already text: share it rather than copy every row.
        return v.clone();
    }
    let (n, scalar) = rows_for(&[v], rows);
    if let Some(s) = strs(v) {
        return access::map_strings(s, n, scalar, |x, out| out.push_str(x));
    }
    // No limit asked: the text always fits.
    if let Some(Ok(col)) = shredded_to_string(v, usize::MAX) {
        return col;
    }
    if let (ColumnarValue::Column(c), false) = (v, scalar) {
        if let ColumnData::Dynamic(d) = &c.data {
            if let Some(col) = dynamic_strings_encoded(d) {
                return col;
            }
        }
    }
    if let Some(d) = dyns(v) {
        return access::strings(n, scalar, |i, out| write_dynamic_text(&d.get(i), out));
    }
    access::strings(n, scalar, |i, out| {
        let _ = write!(out, "{}", v.get(i));
    })
}

/// `tostring()` of a shredded column, read from its typed parts (a column
/// of strings is shared as it is); `None` for other values. Fails when a
/// row's text would pass `limit` bytes.
pub(crate) fn shredded_to_string(
    v: &ColumnarValue,
    limit: usize,
) -> Option<Result<ColumnarValue, crate::function::FunctionError>> {
    use crate::column::Column;
    let ColumnarValue::Column(c) = v else {
        return None;
    };
    let ColumnData::Shredded(s) = &c.data else {
        return None;
    };
    Some(match s.to_strings(limit) {
        Ok(col) => Ok(ColumnarValue::Column(Arc::new(Column::new(
            ColumnData::String(col),
        )))),
        Err(bytes) => Err(crate::function::FunctionError::TooLarge { bytes, limit }),
    })
}

/// `tostring` of a dynamic column whose values are all strings or nulls
/// (the usual shape of a JSON property such as `countryOrRegion`): builds a
/// dictionary straight from the borrowed texts. `None` when another kind of
/// value appears or the values are too distinct for a dictionary to pay off.
fn dynamic_strings_encoded(d: &[Dynamic]) -> Option<ColumnarValue> {
    use crate::column::{Column, StringArray, StringColumn};
    let rows = d.len();
    let limit = if rows < 16 { 0 } else { rows / 4 };
    let mut index: crate::column::StrMap<&str, u32> = Default::default();
    let mut dict = StringArray::default();
    let mut codes = Vec::with_capacity(rows);
    for x in d {
        let text: &str = match x {
            Dynamic::String(s) => s,
            Dynamic::Null => "",
            _ => return None,
        };
        let code = match index.get(text) {
            Some(&c) => c,
            None => {
                if index.len() >= limit {
                    return None;
                }
                dict.push(text);
                let c = (dict.len() - 1) as u32;
                index.insert(text, c);
                c
            }
        };
        codes.push(code);
    }
    let col = StringColumn::Dict {
        codes,
        dict: Arc::new(dict),
    };
    Some(ColumnarValue::Column(Arc::new(Column::new(
        ColumnData::String(col),
    ))))
}

/// Writes `tostring(dynamic)`: strings unquoted, null empty, others as JSON.
pub(crate) fn write_dynamic_text(d: &Dynamic, out: &mut String) {
    match d {
        Dynamic::Null => {}
        Dynamic::String(s) => out.push_str(s),
        Dynamic::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Dynamic::Long(i) => {
            let _ = write!(out, "{i}");
        }
        Dynamic::Real(r) => out.push_str(&value::format_real(*r)),
        Dynamic::DateTime(t) => out.push_str(&time::format_datetime(*t)),
        Dynamic::TimeSpan(t) => out.push_str(&time::format_timespan(*t)),
        Dynamic::Guid(g) => out.push_str(&value::format_guid(*g)),
        other => write_json(other, false, out),
    }
}

/// Writes `d` as compact JSON, exactly as `d.to_json().to_string()` would
/// (keys in their order, or sorted by `sort_keys`), but straight into
/// `out`: no JSON tree is built (a tree of a million small bags took a
/// gigabyte) and nesting is walked with a stack, not recursion.
pub(crate) fn write_json(d: &Dynamic, sort_keys: bool, out: &mut String) {
    /// A container being written and whether its first item is still to
    /// come.
    enum Open<'a> {
        Array(std::slice::Iter<'a, Dynamic>),
        Bag(std::vec::IntoIter<(&'a Arc<str>, &'a Dynamic)>),
    }
    let mut stack: Vec<(Open<'_>, bool)> = Vec::new();
    let mut next = Some(d);
    loop {
        match next.take() {
            Some(Dynamic::Array(a)) => {
                out.push('[');
                stack.push((Open::Array(a.iter()), true));
            }
            Some(Dynamic::Bag(b)) => {
                out.push('{');
                let mut entries: Vec<(&Arc<str>, &Dynamic)> = b.iter().collect();
                if sort_keys {
                    entries.sort_by(|x, y| x.0.cmp(y.0));
                }
                stack.push((Open::Bag(entries.into_iter()), true));
            }
            Some(scalar) => write_json_scalar(scalar, out),
            None => {}
        }
        let Some((open, first)) = stack.last_mut() else {
            return;
        };
        let comma = !std::mem::replace(first, false);
        match open {
            Open::Array(items) => match items.next() {
                Some(x) => {
                    if comma {
                        out.push(',');
                    }
                    next = Some(x);
                }
                None => {
                    out.push(']');
                    stack.pop();
                }
            },
            Open::Bag(entries) => match entries.next() {
                Some((k, x)) => {
                    if comma {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    next = Some(x);
                }
                None => {
                    out.push('}');
                    stack.pop();
                }
            },
        }
    }
}

/// A JSON scalar as [`Dynamic::to_json`] gives it, written out.
fn write_json_scalar(d: &Dynamic, out: &mut String) {
    match d {
        Dynamic::Null | Dynamic::Array(_) | Dynamic::Bag(_) => out.push_str("null"),
        Dynamic::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Dynamic::Long(i) => {
            let _ = write!(out, "{i}");
        }
        Dynamic::Real(r) => match serde_json::Number::from_f64(*r) {
            Some(n) => {
                let _ = write!(out, "{n}");
            }
            None => write_json_string(&value::format_real(*r), out),
        },
        Dynamic::String(s) => write_json_string(s, out),
        Dynamic::DateTime(t) => write_json_string(&time::format_datetime(*t), out),
        Dynamic::TimeSpan(t) => write_json_string(&time::format_timespan(*t), out),
        Dynamic::Guid(g) => write_json_string(&value::format_guid(*g), out),
    }
}

/// `s` as a JSON string literal, escaped as serde_json escapes it.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn generic(v: &ColumnarValue, to: DataType, n: usize, scalar: bool) -> ColumnarValue {
    if scalar {
        let value = match v {
            ColumnarValue::Scalar(s, _) => convert_value(s, to),
            ColumnarValue::Column(c) => convert_value(&c.get(0), to),
        };
        return ColumnarValue::Scalar(value, to);
    }
    // Fast paths for the common column conversions.
    if let Some(s) = strs(v) {
        let parsed: Option<ColumnarValue> = match to {
            DataType::Long => Some(access::longs(n, false, |i| parse_long(s.get(i)))),
            DataType::Int => {
                let (vals, valid) = map_rows(n, |i| {
                    parse_long(s.get(i)).and_then(|x| i32::try_from(x).ok())
                });
                Some(finish(ColumnData::Int(vals), valid, false))
            }
            DataType::Real => Some(access::reals(n, false, |i| parse_real(s.get(i)))),
            DataType::DateTime => Some(access::ticks(to, n, false, |i| {
                time::parse_datetime(s.get(i))
            })),
            DataType::TimeSpan => Some(access::ticks(to, n, false, |i| {
                time::parse_timespan(s.get(i))
            })),
            DataType::Bool => Some(access::bools(n, false, |i| parse_bool(s.get(i)))),
            _ => None,
        };
        if let Some(p) = parsed {
            return p;
        }
    }
    if let Some(d) = dyns(v) {
        let data: Option<ColumnarValue> = match to {
            DataType::Long => Some(access::longs(n, false, |i| dyn_to_long(&d.get(i)))),
            DataType::Real => Some(access::reals(n, false, |i| dyn_to_real(&d.get(i)))),
            DataType::Bool => Some(access::bools(n, false, |i| dyn_to_bool(&d.get(i)))),
            DataType::DateTime => Some(access::ticks(to, n, false, |i| dyn_to_datetime(&d.get(i)))),
            _ => None,
        };
        if let Some(p) = data {
            return p;
        }
    }
    let mut b = ColumnBuilder::new(to, n);
    for i in 0..n {
        let converted = convert_value(&v.get(i), to);
        if b.push(&converted).is_err() {
            b.push_null();
        }
    }
    ColumnarValue::Column(Arc::new(b.finish()))
}

/// Converts one value to type `to` (null when it cannot be converted).
pub fn convert_value(v: &Value, to: DataType) -> Value {
    let converted = match (v, to) {
        (Value::Null, DataType::String) => Some(Value::string("")),
        (Value::Null, _) => None,
        (v, t) if v.data_type() == Some(t) => Some(v.clone()),
        (Value::Dynamic(d), DataType::Dynamic) => Some(Value::Dynamic(d.clone())),
        (v, DataType::Dynamic) => Some(Value::Dynamic(access::value_to_dynamic(v))),
        (Value::Dynamic(d), DataType::String) => {
            let mut s = String::new();
            write_dynamic_text(d, &mut s);
            Some(Value::string(s))
        }
        (Value::Dynamic(Dynamic::String(s)), t) => {
            return convert_value(&Value::String(s.clone()), t)
        }
        (Value::Dynamic(d), t) => match access::dynamic_to_value(d) {
            Value::Dynamic(_) => None,
            inner => return convert_value(&inner, t),
        },
        (v, DataType::String) => Some(Value::string(v.to_string())),
        (Value::String(s), t) => parse_value(s, t),
        (v, DataType::Long) => numeric_long(v).map(Value::Long),
        (v, DataType::Int) => numeric_long(v)
            .and_then(|x| i32::try_from(x).ok())
            .map(Value::Int),
        (v, DataType::Real) => numeric_real(v).map(Value::Real),
        (v, DataType::Decimal) => match v {
            Value::Int(i) => Some(Value::Decimal(Decimal::from(*i))),
            Value::Long(i) => Some(Value::Decimal(Decimal::from(*i))),
            Value::Real(r) => Decimal::from_f64(*r).map(Value::Decimal),
            Value::Bool(b) => Some(Value::Decimal(Decimal::from(*b as i64))),
            _ => None,
        },
        (v, DataType::Bool) => match v {
            Value::Int(i) => Some(Value::Bool(*i != 0)),
            Value::Long(i) => Some(Value::Bool(*i != 0)),
            Value::Real(r) => Some(Value::Bool(*r != 0.0)),
            Value::Decimal(d) => Some(Value::Bool(!d.is_zero())),
            _ => None,
        },
        (v, DataType::TimeSpan) => match v {
            Value::Int(i) => Some(Value::TimeSpan(*i as i64)),
            Value::Long(i) => Some(Value::TimeSpan(*i)),
            Value::Real(r) if r.is_finite() => Some(Value::TimeSpan(*r as i64)),
            _ => None,
        },
        _ => None,
    };
    converted.unwrap_or(Value::Null)
}

fn numeric_long(v: &Value) -> Option<i64> {
    match v {
        Value::Bool(b) => Some(*b as i64),
        Value::Int(i) => Some(*i as i64),
        Value::Long(i) | Value::DateTime(i) | Value::TimeSpan(i) => Some(*i),
        Value::Real(r) => real_to_long(*r),
        Value::Decimal(d) => d.trunc().to_i64(),
        _ => None,
    }
}

fn numeric_real(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(*b as i64 as f64),
        Value::Int(i) => Some(*i as f64),
        Value::Long(i) | Value::DateTime(i) | Value::TimeSpan(i) => Some(*i as f64),
        Value::Real(r) => Some(*r),
        Value::Decimal(d) => d.to_f64(),
        _ => None,
    }
}

/// Truncates a real to a long; NaN and out-of-range values give null.
pub(crate) fn real_to_long(r: f64) -> Option<i64> {
    (r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64).then_some(r.trunc() as i64)
}

/// Parses a string as the given type (as `tolong("12")`, `todatetime("...")`).
pub fn parse_value(s: &str, to: DataType) -> Option<Value> {
    match to {
        DataType::String => Some(Value::string(s)),
        DataType::Long => parse_long(s).map(Value::Long),
        DataType::Int => parse_long(s)
            .and_then(|x| i32::try_from(x).ok())
            .map(Value::Int),
        DataType::Real => parse_real(s).map(Value::Real),
        DataType::Decimal => s
            .trim()
            .parse::<Decimal>()
            .ok()
            .map(Value::Decimal)
            .or_else(|| {
                parse_real(s)
                    .and_then(Decimal::from_f64)
                    .map(Value::Decimal)
            }),
        DataType::Bool => parse_bool(s).map(Value::Bool),
        DataType::DateTime => time::parse_datetime(s).map(Value::DateTime),
        DataType::TimeSpan => time::parse_timespan(s).map(Value::TimeSpan),
        DataType::Guid => parse_guid_lenient(s).map(Value::Guid),
        DataType::Dynamic => Some(Value::Dynamic(Dynamic::String(s.into()))),
    }
}

/// `toguid("...")`: the canonical forms, or 32 hex digits with dashes
/// anywhere (Kusto accepts `0123456789ab-cdef-0123-456789abcdef`).
pub(crate) fn parse_guid_lenient(s: &str) -> Option<u128> {
    value::parse_guid(s).or_else(|| {
        let t = s.trim();
        let t = t
            .strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(t);
        let hex: String = t.chars().filter(|&c| c != '-').collect();
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u128::from_str_radix(&hex, 16).ok())
            .flatten()
    })
}

/// `tolong("...")`: an integer, or a real truncated toward zero.
pub(crate) fn parse_long(s: &str) -> Option<i64> {
    let t = s.trim();
    t.parse::<i64>()
        .ok()
        .or_else(|| parse_real(t).and_then(real_to_long))
}

/// `toreal("...")`: decimal or exponent notation, `nan`, `inf`, `-inf`.
pub(crate) fn parse_real(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok().filter(|r| r.is_finite()),
    }
}

/// `tobool("...")`: `true`/`false` in any case, or an integer (non-zero is true).
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        t.parse::<i64>().ok().map(|i| i != 0)
    }
}

/// `tolong(dynamic)`.
pub(crate) fn dyn_to_long(d: &Dynamic) -> Option<i64> {
    match d {
        Dynamic::Long(i) => Some(*i),
        Dynamic::Real(r) => real_to_long(*r),
        Dynamic::Bool(b) => Some(*b as i64),
        Dynamic::String(s) => parse_long(s),
        Dynamic::DateTime(t) | Dynamic::TimeSpan(t) => Some(*t),
        _ => None,
    }
}

/// `toreal(dynamic)`.
pub(crate) fn dyn_to_real(d: &Dynamic) -> Option<f64> {
    match d {
        Dynamic::Long(i) => Some(*i as f64),
        Dynamic::Real(r) => Some(*r),
        Dynamic::Bool(b) => Some(*b as i64 as f64),
        Dynamic::String(s) => parse_real(s),
        _ => None,
    }
}

/// `tobool(dynamic)`.
pub(crate) fn dyn_to_bool(d: &Dynamic) -> Option<bool> {
    match d {
        Dynamic::Bool(b) => Some(*b),
        Dynamic::Long(i) => Some(*i != 0),
        Dynamic::Real(r) => Some(*r != 0.0),
        Dynamic::String(s) => parse_bool(s),
        _ => None,
    }
}

/// `todatetime(dynamic)`.
pub(crate) fn dyn_to_datetime(d: &Dynamic) -> Option<i64> {
    match d {
        Dynamic::DateTime(t) => Some(*t),
        Dynamic::String(s) => time::parse_datetime(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn json_is_written_as_the_json_tree_would_print_it() {
        let text = r#"{"b": [1, -2.5, 1e300, "q\"\\\n\u0001é", null, true, {}, []], "a": {"z": 1, "y": [[]]}}"#;
        let d = Dynamic::from_json(&serde_json::from_str(text).expect("json"));
        let mut out = String::new();
        write_json(&d, false, &mut out);
        assert_eq!(out, d.to_json().to_string());
        let mut sorted = String::new();
        write_json(&d, true, &mut sorted);
        assert_eq!(
            sorted,
            r#"{"a":{"y":[[]],"z":1},"b":[1,-2.5,1e+300,"q\"\\\n\u0001é",null,true,{},[]]}"#
        );
        let odd = Dynamic::Array(Arc::new(vec![
            Dynamic::Real(f64::NAN),
            Dynamic::DateTime(0),
            Dynamic::Guid(1),
        ]));
        let mut out = String::new();
        write_json(&odd, false, &mut out);
        assert_eq!(out, odd.to_json().to_string());
    }

    #[test]
    fn json_forty_thousand_deep_is_written_without_recursion() {
        let mut d = Dynamic::Long(1);
        for _ in 0..40_000 {
            d = Dynamic::Array(Arc::new(vec![d]));
        }
        let mut out = String::new();
        write_json(&d, true, &mut out);
        assert_eq!(out.len(), 80_001);
        // Dropping the value recurses; leak-free teardown is not the point.
        let mut d = d;
        while let Dynamic::Array(a) = d {
            d = Arc::try_unwrap(a)
                .ok()
                .and_then(|mut v| v.pop())
                .unwrap_or(Dynamic::Null);
        }
    }

    use super::*;

    fn scalar(v: Value, t: DataType) -> ColumnarValue {
        ColumnarValue::Scalar(v, t)
    }

    #[test]
    fn tostring_formats_like_kusto() {
        let dt = time::UNIX_EPOCH_TICKS;
        let cases = [
            (
                Value::DateTime(dt),
                DataType::DateTime,
                "1970-01-01T00:00:00.0000000Z",
            ),
            (Value::Bool(true), DataType::Bool, "True"),
            (Value::Null, DataType::Long, ""),
            (
                Value::Dynamic(Dynamic::String("KP".into())),
                DataType::Dynamic,
                "KP",
            ),
            (Value::Dynamic(Dynamic::Null), DataType::Dynamic, ""),
            (Value::Real(1.5), DataType::Real, "1.5"),
        ];
        for (v, t, want) in cases {
            assert_eq!(to_string(&scalar(v, t), 1).get(0), Value::string(want));
        }
    }

    #[test]
    fn tostring_of_a_dynamic_array_is_compact_json() {
        let d = Dynamic::from_json(&serde_json::json!(["a", 1]));
        let s = to_string(&scalar(Value::Dynamic(d), DataType::Dynamic), 1);
        assert_eq!(s.get(0), Value::string(r#"["a",1]"#));
    }

    #[test]
    fn tostring_of_a_dynamic_string_column_is_dictionary_encoded() {
        let values: Vec<Dynamic> = (0..40)
            .map(|i| match i % 3 {
                0 => Dynamic::String("KP".into()),
                1 => Dynamic::Null,
                _ => Dynamic::String("US".into()),
            })
            .collect();
        let col = ColumnarValue::Column(Arc::new(crate::column::Column::new(ColumnData::Dynamic(
            values,
        ))));
        let s = to_string(&col, 40);
        let ColumnarValue::Column(c) = &s else {
            panic!("a column")
        };
        assert!(matches!(
            c.data,
            ColumnData::String(crate::column::StringColumn::Dict { .. })
        ));
        assert_eq!(s.get(0), Value::string("KP"));
        assert_eq!(s.get(1), Value::string(""));
        assert_eq!(s.get(2), Value::string("US"));
        let mixed = ColumnarValue::Column(Arc::new(crate::column::Column::new(
            ColumnData::Dynamic(vec![Dynamic::Long(1), Dynamic::String("a".into())]),
        )));
        assert_eq!(to_string(&mixed, 2).get(0), Value::string("1"));
    }

    #[test]
    fn failed_conversions_are_null_not_errors() {
        assert_eq!(
            convert_value(&Value::string("abc"), DataType::Long),
            Value::Null
        );
        assert_eq!(
            convert_value(&Value::string(" 42 "), DataType::Long),
            Value::Long(42)
        );
        assert_eq!(
            convert_value(&Value::Real(2.7), DataType::Long),
            Value::Long(2)
        );
        assert_eq!(
            convert_value(&Value::Real(f64::NAN), DataType::Long),
            Value::Null
        );
        assert_eq!(
            convert_value(&Value::string("TRUE"), DataType::Bool),
            Value::Bool(true)
        );
        let g = convert_value(
            &Value::string("0123456789ab-cdef-0123-456789abcdef"),
            DataType::Guid,
        );
        assert_eq!(g.to_string(), "01234567-89ab-cdef-0123-456789abcdef");
        assert_eq!(
            convert_value(&Value::string("not a guid"), DataType::Guid),
            Value::Null
        );
    }

    #[test]
    fn int_columns_widen_to_long_and_real() {
        let c = ColumnarValue::Column(Arc::new(crate::column::Column::new(ColumnData::Int(vec![
            1, -2,
        ]))));
        assert_eq!(convert(&c, DataType::Long, 2).get(1), Value::Long(-2));
        assert_eq!(convert(&c, DataType::Real, 2).get(0), Value::Real(1.0));
        let big = ColumnarValue::Scalar(Value::Long(i64::MAX), DataType::Long);
        assert_eq!(
            convert(&big, DataType::Long, 1).get(0),
            Value::Long(i64::MAX)
        );
    }
}
