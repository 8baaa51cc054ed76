//! Scalar values: literals, single cells and `dynamic` trees.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;

use crate::time;
use crate::types::DataType;

/// One scalar value of any KQL type.
///
/// Used for literals, constants folded by the binder and cell access on
/// results. Columns never store `Value`s; see [`crate::column::Column`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A null of any type except `string` (strings are never null).
    Null,
    /// `bool`
    Bool(bool),
    /// `int`
    Int(i32),
    /// `long`
    Long(i64),
    /// `real`
    Real(f64),
    /// `decimal`
    Decimal(Decimal),
    /// `string`
    String(Arc<str>),
    /// `datetime` in ticks.
    DateTime(i64),
    /// `timespan` in ticks.
    TimeSpan(i64),
    /// `guid`
    Guid(u128),
    /// `dynamic`
    Dynamic(Dynamic),
}

impl Value {
    /// The value's type, or `None` for an untyped null.
    pub fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => DataType::Bool,
            Value::Int(_) => DataType::Int,
            Value::Long(_) => DataType::Long,
            Value::Real(_) => DataType::Real,
            Value::Decimal(_) => DataType::Decimal,
            Value::String(_) => DataType::String,
            Value::DateTime(_) => DataType::DateTime,
            Value::TimeSpan(_) => DataType::TimeSpan,
            Value::Guid(_) => DataType::Guid,
            Value::Dynamic(_) => DataType::Dynamic,
        })
    }

    /// Whether the value is null (a `dynamic` null counts).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::Dynamic(Dynamic::Null))
    }

    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }
}

impl fmt::Display for Value {
    /// Formats as KQL's `tostring()` would.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Bool(b) => f.write_str(if *b { "True" } else { "False" }),
            Value::Int(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::Real(v) => f.write_str(&format_real(*v)),
            Value::Decimal(v) => write!(f, "{v}"),
            Value::String(s) => f.write_str(s),
            Value::DateTime(t) => f.write_str(&time::format_datetime(*t)),
            Value::TimeSpan(t) => f.write_str(&time::format_timespan(*t)),
            Value::Guid(g) => f.write_str(&format_guid(*g)),
            Value::Dynamic(Dynamic::String(s)) => f.write_str(s),
            Value::Dynamic(Dynamic::Null) => Ok(()),
            Value::Dynamic(d) => write!(f, "{}", d.to_json()),
        }
    }
}

/// Formats a real the way Kusto prints it: integral values without a
/// fraction, `NaN`, `Infinity`, `-Infinity`, otherwise the shortest
/// round-tripping decimal form.
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format!("{v}")
    }
}

/// Formats a guid in its canonical `8-4-4-4-12` lowercase form (the same
/// text guid literals print with).
pub use kqlite_parser::format_guid;

/// Parses a guid in `8-4-4-4-12` form (hex digits, any case), or 32 hex digits.
pub fn parse_guid(s: &str) -> Option<u128> {
    let s = s.trim();
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s);
    let groups: Vec<&str> = s.split('-').collect();
    let hex: String = match groups.as_slice() {
        [a, b, c, d, e]
            if a.len() == 8 && b.len() == 4 && c.len() == 4 && d.len() == 4 && e.len() == 12 =>
        {
            groups.concat()
        }
        [one] if one.len() == 32 => one.to_string(),
        _ => return None,
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}

/// A `dynamic` value: a JSON-like tree that can also hold KQL scalars.
///
/// Arrays and property bags are reference-counted so that copying a
/// `dynamic` cell (for example through `extend` or `mv-expand`) is cheap.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Dynamic {
    /// JSON `null`, or a missing value.
    #[default]
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer (JSON numbers without fraction or exponent).
    Long(i64),
    /// A real.
    Real(f64),
    /// A string.
    String(Arc<str>),
    /// A datetime (ticks); arises from `pack`/`bag_pack` of datetime values.
    DateTime(i64),
    /// A timespan (ticks).
    TimeSpan(i64),
    /// A guid.
    Guid(u128),
    /// An array.
    Array(Arc<Vec<Dynamic>>),
    /// A property bag, keys in insertion order.
    Bag(Arc<IndexMap<Arc<str>, Dynamic>>),
}

impl Dynamic {
    /// Converts parsed JSON into a `dynamic` value.
    pub fn from_json(v: &serde_json::Value) -> Dynamic {
        match v {
            serde_json::Value::Null => Dynamic::Null,
            serde_json::Value::Bool(b) => Dynamic::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Dynamic::Long(i),
                None => Dynamic::Real(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Dynamic::String(s.as_str().into()),
            serde_json::Value::Array(a) => {
                Dynamic::Array(Arc::new(a.iter().map(Dynamic::from_json).collect()))
            }
            serde_json::Value::Object(o) => Dynamic::Bag(Arc::new(
                o.iter()
                    .map(|(k, v)| (Arc::from(k.as_str()), Dynamic::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// Converts to JSON as Kusto serializes it (datetimes and timespans as
    /// strings, NaN and infinities as strings).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Dynamic::Null => J::Null,
            Dynamic::Bool(b) => J::Bool(*b),
            Dynamic::Long(i) => J::from(*i),
            Dynamic::Real(r) => serde_json::Number::from_f64(*r)
                .map(J::Number)
                .unwrap_or_else(|| J::String(format_real(*r))),
            Dynamic::String(s) => J::String(s.to_string()),
            Dynamic::DateTime(t) => J::String(time::format_datetime(*t)),
            Dynamic::TimeSpan(t) => J::String(time::format_timespan(*t)),
            Dynamic::Guid(g) => J::String(format_guid(*g)),
            Dynamic::Array(a) => J::Array(a.iter().map(Dynamic::to_json).collect()),
            Dynamic::Bag(b) => J::Object(
                b.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Property lookup; missing keys and non-bags give `Null`.
    pub fn get(&self, key: &str) -> &Dynamic {
        match self {
            Dynamic::Bag(b) => b.get(key).unwrap_or(&Dynamic::Null),
            _ => &Dynamic::Null,
        }
    }

    /// Array index; negative indexes count from the end; out of range gives `Null`.
    pub fn at(&self, i: i64) -> &Dynamic {
        match self {
            Dynamic::Array(a) => {
                let len = a.len() as i64;
                let j = if i < 0 { len + i } else { i };
                if (0..len).contains(&j) {
                    &a[j as usize]
                } else {
                    &Dynamic::Null
                }
            }
            _ => &Dynamic::Null,
        }
    }

    /// Whether the value is JSON null.
    pub fn is_null(&self) -> bool {
        matches!(self, Dynamic::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_format_and_parse_in_canonical_form() {
        let text = "74be27de-1e4e-49d9-b579-fe0b331d3642";
        let g = parse_guid(text).unwrap();
        assert_eq!(format_guid(g), text);
        assert_eq!(parse_guid("74BE27DE-1E4E-49D9-B579-FE0B331D3642"), Some(g));
        assert_eq!(parse_guid("not-a-guid"), None);
    }

    #[test]
    fn dynamic_navigation_never_fails() {
        let d = Dynamic::from_json(&serde_json::json!({"a": [1, 2, 3]}));
        assert_eq!(d.get("a").at(-1), &Dynamic::Long(3));
        assert_eq!(d.get("a").at(9), &Dynamic::Null);
        assert_eq!(d.get("missing").get("deeper"), &Dynamic::Null);
    }

    #[test]
    fn bools_print_capitalized_like_kusto() {
        assert_eq!(Value::Bool(true).to_string(), "True");
        assert_eq!(Value::Null.to_string(), "");
    }
}
