//! A fast path for the common JSON Lines line: one flat object whose keys
//! are known columns and whose values are unescaped strings, integers,
//! `true`/`false`/`null`, or nested values whose exact text was parsed
//! before in the same column.
//!
//! The line is scanned without side effects; anything else (an escape, a
//! float, a key not seen yet, new nested text, any syntax error) gives
//! `None` and the line goes through the full serde parser, which stays the
//! reference: the fast path pushes exactly the cells, in the same order,
//! that the full parser would.

use super::accum::{Cell, TableAcc};
use crate::value::Dynamic;

#[cfg(test)]
thread_local! {
    /// Tests turn the fast path off to get the full parser's answer.
    static DISABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether lines may take the fast path (always, outside tests).
#[inline]
pub(super) fn enabled() -> bool {
    #[cfg(test)]
    {
        !DISABLED.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

/// A value found by the scan.
pub(super) enum Value<'a> {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    Str(&'a str),
    Shared(Dynamic),
}

/// The (column, value) pairs of `text` in order, or `None` when the line
/// needs the full parser.
pub(super) fn scan<'a>(text: &'a str, acc: &TableAcc) -> Option<Vec<(usize, Value<'a>)>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut pairs = Vec::with_capacity(16);
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(pairs);
    }
    let mut guess = 0;
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, next) = string(text, i + 1)?;
        let col = acc.find_column(key, guess)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (value, next) = value(text, i, col, acc)?;
        pairs.push((col, value));
        guess = col.saturating_add(1);
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => break,
            _ => return None,
        }
    }
    (skip_ws(b, i + 1) == b.len()).then_some(pairs)
}

/// Pushes scanned pairs as one row; the first cell that does not fit its
/// column stops it, as in the full parser.
pub(super) fn push(
    acc: &mut TableAcc,
    pairs: Vec<(usize, Value<'_>)>,
) -> Result<(), super::accum::CellError> {
    for (col, v) in pairs {
        let cell = match v {
            Value::Null => Cell::Null,
            Value::Bool(x) => Cell::Bool(x),
            Value::Long(x) => Cell::Long(x),
            Value::Real(x) => Cell::Real(x),
            Value::Str(s) => Cell::Str(s),
            Value::Shared(d) => Cell::Nested(d),
        };
        acc.push(col, &cell)?;
    }
    acc.end_row();
    Ok(())
}

#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The string starting after its opening quote at `start`, and the
/// position after its closing quote; `None` for escapes and raw control
/// characters (both for the full parser).
#[inline]
fn string(text: &str, start: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let end = start + special(b.get(start..)?)?;
    if b.get(end) != Some(&b'"') {
        return None;
    }
    Some((text.get(start..end)?, end + 1))
}

/// The offset of the first byte of `b` that is a quote, a backslash or a
/// control character, eight bytes at a time.
#[inline]
fn special(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    let mut words = b.chunks_exact(8);
    for w in words.by_ref() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(w);
        let x = u64::from_le_bytes(bytes);
        let quote = x ^ (ONES * u64::from(b'"'));
        let slash = x ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero (for the two XORs) or below
        // 0x20; the lowest flag is exact.
        let flags = (quote.wrapping_sub(ONES) & !quote
            | slash.wrapping_sub(ONES) & !slash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGHS;
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|k| at + k)
}

/// The value at `i` (for column `col`) and the position after it.
fn value<'a>(text: &'a str, i: usize, col: usize, acc: &TableAcc) -> Option<(Value<'a>, usize)> {
    let b = text.as_bytes();
    match *b.get(i)? {
        b'"' => string(text, i + 1).map(|(s, next)| (Value::Str(s), next)),
        b't' => literal(b, i, b"true", Value::Bool(true)),
        b'f' => literal(b, i, b"false", Value::Bool(false)),
        b'n' => literal(b, i, b"null", Value::Null),
        b'{' | b'[' if acc.is_dynamic(col) => {
            let end = nested_end(b, i)?;
            let raw = text.get(i..end)?;
            acc.shared_dynamic(col, raw)
                .map(|d| (Value::Shared(d), end))
        }
        b'-' | b'0'..=b'9' => integer(b, i),
        _ => None,
    }
}

fn literal<'a>(b: &[u8], i: usize, word: &[u8], v: Value<'a>) -> Option<(Value<'a>, usize)> {
    let end = i + word.len();
    (b.get(i..end)? == word).then_some((v, end))
}

/// An integer as the full parser reads it: `u64` for non-negative values
/// (a `long` when it fits, else a `real`), `i64` for negative ones. Floats,
/// leading zeros, `-0` and overflow are left to the full parser.
fn integer<'a>(b: &[u8], i: usize) -> Option<(Value<'a>, usize)> {
    let negative = b.get(i) == Some(&b'-');
    let start = i + usize::from(negative);
    let mut end = start;
    let mut n: u64 = 0;
    while let Some(&d) = b.get(end) {
        if !d.is_ascii_digit() {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        end += 1;
    }
    let digits = end - start;
    if digits == 0 || (digits > 1 && b.get(start) == Some(&b'0')) {
        return None;
    }
    if matches!(b.get(end), Some(b'.' | b'e' | b'E')) {
        return None;
    }
    let v = if negative {
        if n == 0 {
            return None;
        }
        Value::Long(-i64::try_from(n).ok()?)
    } else {
        i64::try_from(n).map_or(Value::Real(n as f64), Value::Long)
    };
    Some((v, end))
}

/// The position after the object or array starting at `i` (brackets
/// counted outside strings; the text is only trusted when it matches text
/// the full parser accepted before).
fn nested_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while let Some(&c) = b.get(j) {
        match c {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            b'"' => {
                // Skip the string, escapes included.
                j += 1;
                loop {
                    j += special(b.get(j..)?)?;
                    match b.get(j) {
                        Some(b'"') => break,
                        Some(b'\\') => j += 2,
                        _ => j += 1,
                    }
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DataType;
    use proptest::prelude::*;

    /// Loads `text` as JSON Lines with or without the fast path: the table
    /// (schema and rows) and rejected lines, or the error, as text.
    fn load(
        text: &str,
        schema: Option<&[(String, DataType)]>,
        lenient: bool,
        fast: bool,
    ) -> String {
        DISABLED.with(|d| d.set(!fast));
        let r = super::super::json::load_jsonl_slice_into(
            TableAcc::new(schema),
            text.as_bytes(),
            "t",
            1,
            true,
            lenient,
        );
        DISABLED.with(|d| d.set(false));
        match r {
            Ok((loaded, lines)) => format!(
                "{:?}\n{:?}\n{:?}\n{lines}",
                loaded.table.schema(),
                loaded.table.rows().collect::<Vec<_>>(),
                loaded
                    .rejected
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ),
            Err(e) => format!("error: {e}"),
        }
    }

    fn pieces() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("\"a\""),
            Just("\"s\""),
            Just("\"d\""),
            Just("\"new\""),
            Just("\"q\\\"k\""),
        ];
        let value = prop_oneof![
            Just("0"),
            Just("-0"),
            Just("01"),
            Just("123"),
            Just("-5"),
            Just("9223372036854775807"),
            Just("9223372036854775808"),
            Just("-9223372036854775808"),
            Just("18446744073709551616"),
            Just("1.5"),
            Just("1e3"),
            Just("-"),
            Just("\"abc\""),
            Just("\"a\\nb\""),
            Just("\"tab\there\""),
            Just("\"\""),
            Just("{\"k\":1}"),
            Just("[1,\"]\"]"),
            Just("{\"k\": [true]}"),
            Just("true"),
            Just("false"),
            Just("null"),
            Just("tru"),
            Just("\"2026-01-15T12:00:00Z\""),
        ];
        let ws = prop_oneof![Just(""), Just(" "), Just("\t"), Just("  ")];
        (
            proptest::collection::vec((key, ws.clone(), value, ws), 0..5),
            prop_oneof![Just(""), Just(" "), Just(" x"), Just(","), Just("\r")],
            prop_oneof![Just("{"), Just("{"), Just("{"), Just("["), Just(" {")],
        )
            .prop_map(|(pairs, tail, open)| {
                let body: Vec<String> = pairs
                    .iter()
                    .map(|(k, w1, v, w2)| format!("{k}{w1}:{v}{w2}"))
                    .collect();
                format!("{open}{}}}{tail}", body.join(","))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any mix of flat, escaped, nested, malformed and mistyped lines
        /// loads exactly as the full parser alone loads it.
        #[test]
        fn the_fast_path_loads_exactly_what_the_full_parser_loads(
            lines in proptest::collection::vec(pieces(), 1..12),
            typed in any::<bool>(),
            lenient in any::<bool>(),
        ) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let schema = vec![
                ("a".to_string(), DataType::Long),
                ("s".to_string(), DataType::String),
                ("d".to_string(), DataType::Dynamic),
            ];
            let schema = typed.then_some(schema.as_slice());
            prop_assert_eq!(load(&text, schema, lenient, true), load(&text, schema, lenient, false));
        }
    }

    fn acc() -> TableAcc {
        let schema = vec![
            ("a".to_string(), DataType::Long),
            ("s".to_string(), DataType::String),
            ("d".to_string(), DataType::Dynamic),
        ];
        TableAcc::new(Some(&schema))
    }

    #[test]
    fn flat_lines_scan_and_unusual_ones_are_left_to_the_full_parser() {
        let acc = acc();
        let ok = scan("{\"a\": 12, \"s\":\"x y\",\"d\":null}\r\n", &acc).expect("flat");
        assert_eq!(ok.len(), 3);
        assert!(matches!(ok[0], (0, Value::Long(12))));
        assert!(matches!(ok[1], (1, Value::Str("x y"))));
        assert!(scan("{}", &acc).is_some_and(|p| p.is_empty()));
        for line in [
            "{\"a\":1.5}",
            "{\"a\":-0}",
            "{\"a\":01}",
            "{\"a\":1e3}",
            "{\"a\":99999999999999999999}",
            "{\"s\":\"tab\\there\"}",
            "{\"s\":\"raw\tcontrol\"}",
            "{\"new\":1}",
            "{\"d\":{\"k\":1}}",
            "{\"a\":1} x",
            "{\"a\":1,}",
            "{\"a\":tru}",
            "{\"a\" 1}",
            "[1]",
        ] {
            assert!(scan(line, &acc).is_none(), "{line}");
        }
    }

    #[test]
    fn special_bytes_are_found_at_any_offset() {
        for n in 0..40 {
            for c in [b'"', b'\\', b'\n', 0x1f, 0] {
                let mut v = vec![b'a'; n];
                v.push(c);
                v.extend_from_slice(b"xyz\"");
                assert_eq!(special(&v), Some(n), "{n} {c}");
            }
            assert_eq!(special(&vec![0x20; n]), None);
            assert_eq!(special(&vec![0xff; n]), None);
        }
    }

    #[test]
    fn integers_read_as_the_full_parser_reads_them() {
        let acc = acc();
        let v = scan(
            "{\"a\":-9223372036854775807,\"s\":18446744073709551615}",
            &acc,
        )
        .expect("flat");
        assert!(matches!(v[0].1, Value::Long(-9223372036854775807)));
        assert!(matches!(v[1].1, Value::Real(x) if x == 18446744073709551615u64 as f64));
    }

    #[test]
    fn nested_text_is_taken_only_once_parsed_before() {
        let mut acc = acc();
        let text = "{\"k\":[1,\"]\"]}";
        let line = format!("{{\"d\":{text}}}");
        assert!(scan(&line, &acc).is_none());
        let d = Dynamic::String("parsed".into());
        acc.share_dynamic(2, text, &d);
        let v = scan(&line, &acc).expect("shared");
        assert!(matches!(&v[0].1, Value::Shared(x) if *x == d));
    }
}
