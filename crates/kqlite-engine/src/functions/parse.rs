//! Text parsers producing structured values: `parse_csv`, `parse_version`,
//! `parse_path` and `parse_urlquery`.

use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::{arity, as_text, rowwise, Func};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "parse_csv",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::Dynamic, |v| {
                    let text = v.first().map(as_text).unwrap_or_default();
                    Value::Dynamic(strings_array(parse_csv_record(&text)))
                }))
            },
        ),
        Func::plain(
            "parse_version",
            |a| arity(a, 1, 1).map(|_| DataType::Decimal),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::Decimal, |v| {
                    let text = v.first().map(as_text).unwrap_or_default();
                    parse_version(&text).map_or(Value::Null, Value::Decimal)
                }))
            },
        ),
        Func::plain(
            "parse_path",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::Dynamic, |v| {
                    let text = v.first().map(as_text).unwrap_or_default();
                    Value::Dynamic(parse_path(&text))
                }))
            },
        ),
        Func::plain(
            "parse_urlquery",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::Dynamic, |v| {
                    let text = v.first().map(as_text).unwrap_or_default();
                    Value::Dynamic(parse_urlquery(&text))
                }))
            },
        ),
    ]
}

fn strings_array(items: Vec<String>) -> Dynamic {
    Dynamic::Array(Arc::new(
        items
            .into_iter()
            .map(|s| Dynamic::String(s.into()))
            .collect(),
    ))
}

/// The fields of the first CSV record: commas separate, double quotes
/// enclose fields (which may then hold commas and newlines), and `""`
/// inside quotes is a literal quote.
fn parse_csv_record(text: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if field.is_empty() => quoted = true,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\r' | '\n' if !quoted => break,
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A version of one to four dot-separated parts (each up to 8 digits) as a
/// decimal with 8 digits per part, e.g. `1.2` → `1000000020000000000000000`.
fn parse_version(text: &str) -> Option<Decimal> {
    let parts: Vec<&str> = text.trim().split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut value: i128 = 0;
    for i in 0..4 {
        let part = match parts.get(i) {
            Some(p) => {
                if p.is_empty() || p.len() > 8 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                p.parse::<i128>().ok()?
            }
            None => 0,
        };
        value = value.checked_mul(100_000_000)?.checked_add(part)?;
    }
    Decimal::try_from_i128_with_scale(value, 0).ok()
}

/// Splits a file path into scheme, root, directory, file name, extension
/// and NTFS alternate data stream.
fn parse_path(text: &str) -> Dynamic {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric()) => (s, r),
        _ => ("", text),
    };
    let is_sep = |c: char| c == '/' || c == '\\';
    let bytes = rest.as_bytes();
    let root = match (bytes.first(), bytes.get(1), bytes.get(2)) {
        (Some(d), Some(b':'), Some(s)) if d.is_ascii_alphabetic() && is_sep(*s as char) => {
            rest.get(..3).unwrap_or("")
        }
        _ => "",
    };
    let (dir, file) = match rest.rfind(is_sep) {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i + 1..).unwrap_or("")),
        None => ("", rest),
    };
    let (file, stream) = match file.split_once(':') {
        Some((f, s)) => (f, s),
        None => (file, ""),
    };
    let dir_name = dir.rsplit(is_sep).next().unwrap_or("");
    let extension = file.rsplit_once('.').map_or("", |(_, e)| e);
    let text = |s: &str| Dynamic::String(s.into());
    let bag: IndexMap<Arc<str>, Dynamic> = [
        ("Scheme", text(scheme)),
        ("RootPath", text(root)),
        ("DirectoryPath", text(dir)),
        ("DirectoryName", text(dir_name)),
        ("Filename", text(file)),
        ("Extension", text(extension)),
        ("AlternateDataStreamName", text(stream)),
    ]
    .into_iter()
    .map(|(k, v)| (Arc::from(k), v))
    .collect();
    Dynamic::Bag(Arc::new(bag))
}

/// `{"Query Parameters": {name: value, ...}}` with values percent-decoded.
fn parse_urlquery(text: &str) -> Dynamic {
    let query = text.strip_prefix('?').unwrap_or(text);
    let mut params: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |s: &str| super::encoding::percent_decode(s).unwrap_or_else(|| s.to_string());
        params.insert(decode(k).into(), Dynamic::String(decode(v).into()));
    }
    let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    bag.insert("Query Parameters".into(), Dynamic::Bag(Arc::new(params)));
    Dynamic::Bag(Arc::new(bag))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::{call, s};
    use crate::value::{Dynamic, Value};

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    #[test]
    fn csv_handles_quotes_escapes_and_stops_after_the_first_record() {
        assert_eq!(
            call(
                "parse_csv",
                &[s(
                    "aa,\"b,b,b\",cc,\"Escaping quotes: \"\"Title\"\"\",\"line1\nline2\""
                )]
            ),
            json(serde_json::json!([
                "aa",
                "b,b,b",
                "cc",
                "Escaping quotes: \"Title\"",
                "line1\nline2"
            ]))
        );
        assert_eq!(
            call("parse_csv", &[s("record1,a\nrecord2,x")]),
            json(serde_json::json!(["record1", "a"]))
        );
    }

    #[test]
    fn versions_pad_each_part_to_eight_digits() {
        let v = |t: &str| call("parse_version", &[s(t)]).to_string();
        assert_eq!(v("1.2.3.4"), "1000000020000000300000004");
        assert_eq!(v("0.0.3"), "300000000");
        assert_eq!(v("0.0.0.5"), "5");
        assert_eq!(call("parse_version", &[s("1.x")]), Value::Null);
    }

    #[test]
    fn paths_split_into_their_parts() {
        assert_eq!(
            call("parse_path", &[s("file://C:/temp/file.txt:some.exe")]),
            json(serde_json::json!({
                "Scheme": "file", "RootPath": "C:/", "DirectoryPath": "C:/temp",
                "DirectoryName": "temp", "Filename": "file.txt", "Extension": "txt",
                "AlternateDataStreamName": "some.exe"
            }))
        );
        assert_eq!(
            call("parse_path", &[s("\\\\shared\\users\\file.txt.gz")]),
            json(serde_json::json!({
                "Scheme": "", "RootPath": "", "DirectoryPath": "\\\\shared\\users",
                "DirectoryName": "users", "Filename": "file.txt.gz", "Extension": "gz",
                "AlternateDataStreamName": ""
            }))
        );
    }

    #[test]
    fn url_queries_become_a_parameter_bag() {
        assert_eq!(
            call("parse_urlquery", &[s("view=vs-2019&preserve-view=true")]),
            json(serde_json::json!({
                "Query Parameters": {"view": "vs-2019", "preserve-view": "true"}
            }))
        );
    }
}
