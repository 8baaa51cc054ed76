//! Literal conversion: AST literals to typed values.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use indexmap::IndexMap;
use kqlite_parser::ast::{DynamicLiteral, Literal};
use rust_decimal::Decimal;

use crate::time;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Why a literal has no value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiteralError {
    /// `datetime(...)` text kqlite cannot read.
    #[error("invalid datetime literal `{0}`")]
    DateTime(String),
    /// `decimal(...)` text out of range.
    #[error("invalid decimal literal `{0}`")]
    Decimal(String),
    /// `typeof(...)` used as a value.
    #[error("`typeof(...)` is not a value")]
    TypeOf,
}

/// Parses the text of a `datetime(...)` literal to ticks.
pub fn parse_datetime(text: &str) -> Option<i64> {
    let t = text.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let spaced;
    let t = if t.contains(" - ") {
        spaced = t.replace(" - ", "-");
        spaced.as_str()
    } else {
        t
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(time::from_chrono(dt.to_utc()));
    }
    let t = t.trim_end_matches('Z').trim_end_matches('z');
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(time::from_naive(dt));
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Some(time::from_naive(d.and_hms_opt(0, 0, 0)?));
        }
    }
    // Everything else `todatetime` accepts (e.g. `12-02-2022`).
    match crate::kernels::parse_value(t, DataType::DateTime) {
        Some(Value::DateTime(ticks)) => Some(ticks),
        _ => None,
    }
}

/// Converts a `dynamic(...)` literal's contents.
pub fn dynamic_value(d: &DynamicLiteral) -> Result<Dynamic, LiteralError> {
    Ok(match d {
        DynamicLiteral::Null => Dynamic::Null,
        DynamicLiteral::Bool(b) => Dynamic::Bool(*b),
        DynamicLiteral::Long(i) => Dynamic::Long(*i),
        DynamicLiteral::Real(r) => Dynamic::Real(*r),
        DynamicLiteral::String(s) => Dynamic::String(Arc::from(s.as_str())),
        DynamicLiteral::DateTime(s) => {
            Dynamic::DateTime(parse_datetime(s).ok_or_else(|| LiteralError::DateTime(s.clone()))?)
        }
        DynamicLiteral::TimeSpan(t) => Dynamic::TimeSpan(*t),
        DynamicLiteral::Guid(g) => Dynamic::Guid(*g),
        DynamicLiteral::Array(items) => Dynamic::Array(Arc::new(
            items.iter().map(dynamic_value).collect::<Result<_, _>>()?,
        )),
        DynamicLiteral::Object(pairs) => {
            let mut map = IndexMap::new();
            for (k, v) in pairs {
                map.insert(Arc::from(k.as_str()), dynamic_value(v)?);
            }
            Dynamic::Bag(Arc::new(map))
        }
    })
}

/// Converts a literal to its value and type.
pub fn literal_value(lit: &Literal) -> Result<(Value, DataType), LiteralError> {
    fn opt<T>(v: &Option<T>, f: impl Fn(&T) -> Value) -> Value {
        v.as_ref().map_or(Value::Null, f)
    }
    Ok(match lit {
        Literal::Bool(v) => (opt(v, |b| Value::Bool(*b)), DataType::Bool),
        Literal::Int(v) => (opt(v, |i| Value::Int(*i)), DataType::Int),
        Literal::Long(v) => (opt(v, |i| Value::Long(*i)), DataType::Long),
        Literal::Real(v) => (opt(v, |r| Value::Real(*r)), DataType::Real),
        Literal::Decimal(v) => {
            let value = match v {
                Some(text) => Value::Decimal(
                    Decimal::from_str(text)
                        .or_else(|_| Decimal::from_scientific(text))
                        .map_err(|_| LiteralError::Decimal(text.clone()))?,
                ),
                None => Value::Null,
            };
            (value, DataType::Decimal)
        }
        Literal::String(s) => (Value::String(Arc::from(s.as_str())), DataType::String),
        Literal::DateTime(v) => {
            let value = match v {
                Some(text) => Value::DateTime(
                    parse_datetime(text).ok_or_else(|| LiteralError::DateTime(text.clone()))?,
                ),
                None => Value::Null,
            };
            (value, DataType::DateTime)
        }
        Literal::TimeSpan(v) => (opt(v, |t| Value::TimeSpan(*t)), DataType::TimeSpan),
        Literal::Guid(v) => (opt(v, |g| Value::Guid(*g)), DataType::Guid),
        Literal::Dynamic(d) => (Value::Dynamic(dynamic_value(d)?), DataType::Dynamic),
        Literal::TypeOf(_) => return Err(LiteralError::TypeOf),
    })
}

/// Flattens a constant list item: a dynamic array contributes its elements
/// (as dynamic values unwrapped to scalars where possible).
pub fn flatten_into(value: Value, out: &mut Vec<Value>) {
    match value {
        Value::Dynamic(Dynamic::Array(items)) => {
            out.extend(items.iter().map(crate::kernels::access::dynamic_to_value));
        }
        v => out.push(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_literals_accept_dates_times_and_offsets() {
        let day = parse_datetime("2024-01-01").unwrap();
        assert_eq!(time::format_datetime(day), "2024-01-01T00:00:00.0000000Z");
        let t = parse_datetime("2024-01-01 10:30").unwrap();
        assert_eq!(
            t - day,
            10 * time::TICKS_PER_HOUR + 30 * time::TICKS_PER_MINUTE
        );
        assert_eq!(parse_datetime("2024-01-01T10:30:00Z"), Some(t));
        assert_eq!(parse_datetime("2024-01-01T12:30:00+02:00"), Some(t));
        assert_eq!(parse_datetime("yesterday"), None);
        assert_eq!(parse_datetime("\"2024-01-01\""), Some(day));
    }

    #[test]
    fn dynamic_arrays_flatten_into_list_items() {
        let mut out = Vec::new();
        let arr = dynamic_value(&DynamicLiteral::Array(vec![
            DynamicLiteral::String("KP".into()),
            DynamicLiteral::Long(1),
        ]))
        .unwrap();
        flatten_into(Value::Dynamic(arr), &mut out);
        assert_eq!(out, vec![Value::string("KP"), Value::Long(1)]);
    }
}
