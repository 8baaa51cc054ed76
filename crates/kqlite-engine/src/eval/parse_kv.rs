//! `parse-kv`: extract the declared keys' values from key/value text.
//!
//! Three modes, as in Kusto: explicit `pair_delimiter`/`kv_delimiter`
//! (optionally `greedy`), no delimiters (any character that is not a letter
//! or digit separates tokens), and a regex whose first group is the key and
//! second the value. Only declared keys are extracted, the first occurrence
//! of a key wins, keys and values are trimmed, and a missing key (or a value
//! that does not convert to the column's type) is null (`""` for strings).

use std::sync::Arc;

use super::{build_table, EvalError};
use crate::bind::plan::{ParseKvMode, ParseKvSpec};
use crate::column::{Column, ColumnBuilder};
use crate::function::ColumnarValue;
use crate::kernels;
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// Adds (or replaces) the spec's columns, extracted from each row's `text`.
pub(crate) fn parse_kv(
    input: Table,
    text: ColumnarValue,
    spec: &ParseKvSpec,
) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let text = kernels::cast(&text, DataType::String, rows).into_column(rows);
    let mut builders: Vec<ColumnBuilder> = spec
        .columns
        .iter()
        .map(|(_, t)| ColumnBuilder::new(*t, rows))
        .collect();
    let mut found: Vec<Option<String>> = vec![None; spec.columns.len()];
    for row in 0..rows {
        let s = match text.get(row) {
            Value::String(s) => s,
            _ => Arc::from(""),
        };
        found.iter_mut().for_each(|f| *f = None);
        for (key, value) in pairs(&s, &spec.mode, &spec.columns) {
            if let Some(i) = spec.columns.iter().position(|(n, _)| *n == key) {
                if let Some(slot) = found.get_mut(i) {
                    if slot.is_none() {
                        *slot = Some(value);
                    }
                }
            }
        }
        for ((b, f), (_, ty)) in builders.iter_mut().zip(&found).zip(&spec.columns) {
            let v = f
                .as_deref()
                .and_then(|raw| kernels::parse_value(raw, *ty))
                .unwrap_or(Value::Null);
            if b.push(&v).is_err() {
                b.push_null();
            }
        }
    }
    let mut out: Vec<(String, Arc<Column>)> = input
        .columns()
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    for ((name, _), b) in spec.columns.iter().zip(builders) {
        let col = Arc::new(b.finish());
        match out.iter_mut().find(|(o, _)| o == name) {
            Some(slot) => slot.1 = col,
            None => out.push((name.clone(), col)),
        }
    }
    build_table(out, rows)
}

/// The (key, value) pairs of `s`, in text order.
fn pairs(s: &str, mode: &ParseKvMode, columns: &[(String, DataType)]) -> Vec<(String, String)> {
    match mode {
        ParseKvMode::Regex(re) => re
            .captures_iter(s)
            .filter_map(|c| {
                let k = c.get(1)?.as_str().trim().to_string();
                let v = c.get(2).map_or("", |m| m.as_str()).trim().to_string();
                Some((k, v))
            })
            .collect(),
        ParseKvMode::Delimited {
            pair_delimiter,
            kv_delimiter,
            quotes,
            escapes,
            greedy,
        } if !pair_delimiter.is_empty() && !kv_delimiter.is_empty() => {
            delimited(s, pair_delimiter, kv_delimiter, quotes, escapes, *greedy)
        }
        ParseKvMode::Delimited {
            quotes, escapes, ..
        } => undelimited(s, quotes, escapes, columns),
    }
}

/// The closing quote for `open`, if it opens a quote.
fn closing(quotes: &[char], open: char) -> Option<char> {
    quotes
        .chunks(2)
        .find(|q| q.first() == Some(&open))
        .map(|q| q.get(1).copied().unwrap_or(open))
}

/// Reads a quoted text starting at `s` (whose first char opens a quote):
/// the unescaped text and the byte length consumed, or `None` if `s` does
/// not start with a quote.
fn quoted(s: &str, quotes: &[char], escapes: &[char]) -> Option<(String, usize)> {
    let mut chars = s.char_indices();
    let (_, open) = chars.next()?;
    let close = closing(quotes, open)?;
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if escapes.contains(&c) {
            if let Some((_, next)) = chars.next() {
                out.push(next);
            }
            continue;
        }
        if c == close {
            return Some((out, i + c.len_utf8()));
        }
        out.push(c);
    }
    Some((out, s.len()))
}

fn delimited(
    s: &str,
    pair_delim: &str,
    kv_delim: &str,
    quotes: &[char],
    escapes: &[char],
    greedy: bool,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < s.len() {
        let rest = s.get(pos..).unwrap_or_default();
        let lead = rest.len() - rest.trim_start().len();
        let rest = rest.trim_start();
        pos += lead;
        if rest.is_empty() {
            break;
        }
        // The key: quoted, or up to the key/value delimiter (but not past
        // the next pair delimiter).
        let (key, after_key) = match quoted(rest, quotes, escapes) {
            Some((k, n)) => (k, n),
            None => {
                let kv = rest.find(kv_delim);
                let pd = rest.find(pair_delim);
                match (kv, pd) {
                    (Some(k), Some(p)) if p < k => {
                        pos += p + pair_delim.len();
                        continue;
                    }
                    (Some(k), _) => (rest.get(..k).unwrap_or_default().to_string(), k),
                    (None, _) => break,
                }
            }
        };
        let after = rest.get(after_key..).unwrap_or_default();
        let after_trim = after.trim_start();
        let Some(value_text) = after_trim.strip_prefix(kv_delim) else {
            // No delimiter after a quoted key: skip to the next pair.
            match after.find(pair_delim) {
                Some(p) => {
                    pos += after_key + p + pair_delim.len();
                    continue;
                }
                None => break,
            }
        };
        let value_start = pos + after_key + (after.len() - after_trim.len()) + kv_delim.len();
        let vt = value_text.trim_start_matches(' ');
        let value_start = value_start + (value_text.len() - vt.len());
        let (value, consumed) = match quoted(vt, quotes, escapes) {
            Some((v, n)) => {
                let tail = vt.get(n..).unwrap_or_default();
                let skip = tail
                    .find(pair_delim)
                    .map_or(tail.len(), |p| p + pair_delim.len());
                (v, n + skip)
            }
            None => {
                let end = if greedy {
                    greedy_end(vt, pair_delim, kv_delim)
                } else {
                    vt.find(pair_delim)
                };
                match end {
                    Some(e) => (
                        vt.get(..e).unwrap_or_default().trim().to_string(),
                        e + pair_delim.len(),
                    ),
                    None => (vt.trim().to_string(), vt.len()),
                }
            }
        };
        out.push((key.trim().to_string(), value));
        pos = value_start + consumed.max(1);
    }
    out
}

/// In greedy mode, where an unquoted value ends: at the first pair
/// delimiter whose next segment holds a key/value delimiter.
fn greedy_end(v: &str, pair_delim: &str, kv_delim: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = v.get(from..).and_then(|r| r.find(pair_delim)) {
        let at = from + p;
        let next = v.get(at + pair_delim.len()..).unwrap_or_default();
        let segment = match next.find(pair_delim) {
            Some(q) => next.get(..q).unwrap_or_default(),
            None => next,
        };
        if segment.contains(kv_delim) {
            return Some(at);
        }
        from = at + pair_delim.len().max(1);
    }
    None
}

/// No delimiters: each declared key found as a whole token is followed by
/// separators and then its value, a quoted text or a run of letters and
/// digits.
fn undelimited(
    s: &str,
    quotes: &[char],
    escapes: &[char],
    columns: &[(String, DataType)],
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, _) in columns {
        if key.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some(p) = s.get(from..).and_then(|r| r.find(key.as_str())) {
            let at = from + p;
            let end = at + key.len();
            from = end;
            let before_ok = s
                .get(..at)
                .and_then(|b| b.chars().next_back())
                .is_none_or(|c| !c.is_alphanumeric());
            let rest = s.get(end..).unwrap_or_default();
            let after_ok = rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
            if !before_ok || !after_ok {
                continue;
            }
            let v = rest
                .trim_start_matches(|c: char| !c.is_alphanumeric() && closing(quotes, c).is_none());
            let value = match quoted(v, quotes, escapes) {
                Some((q, _)) => q,
                None => v
                    .chars()
                    .take_while(|c| c.is_alphanumeric())
                    .collect::<String>(),
            };
            out.push((key.clone(), value.trim().to_string()));
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(
        s: &str,
        pd: &str,
        kd: &str,
        quotes: &str,
        escapes: &str,
        greedy: bool,
    ) -> Vec<(String, String)> {
        let q: Vec<char> = quotes.chars().collect();
        let e: Vec<char> = escapes.chars().collect();
        delimited(s, pd, kd, &q, &e, greedy)
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn delimited_pairs_are_trimmed() {
        assert_eq!(
            kv("a: 1, b :x y ,c:", ",", ":", "", "", false),
            p(&[("a", "1"), ("b", "x y"), ("c", "")])
        );
    }

    #[test]
    fn quoted_keys_and_values_may_hold_delimiters_and_escapes() {
        assert_eq!(
            kv(
                r#"x="a b" "k k"=(1 2) y="q\"r""#,
                " ",
                "=",
                "\"\"()",
                "\\",
                false
            ),
            p(&[("x", "a b"), ("k k", "1 2"), ("y", "q\"r")])
        );
    }

    #[test]
    fn greedy_values_run_to_the_next_key() {
        let s = "name=John Doe phone=555 5555 city=New York";
        assert_eq!(
            kv(s, " ", "=", "", "", true),
            p(&[
                ("name", "John Doe"),
                ("phone", "555 5555"),
                ("city", "New York")
            ])
        );
        assert_eq!(
            kv(s, " ", "=", "", "", false),
            p(&[("name", "John"), ("phone", "555"), ("city", "New")])
        );
    }
}
