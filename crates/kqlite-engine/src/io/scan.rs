//! The JSON Lines scanner: one pass over a line's bytes that looks each key
//! up among the table's columns and reads its value straight into the cell
//! that column's builder takes, with no `serde_json::Value` or other tree
//! per cell.
//!
//! - Strings without escapes are borrowed from the line; escaped ones are
//!   decoded into one buffer reused for every line.
//! - Integers are read in place; other numbers go through serde_json's own
//!   number reader (so a float has exactly the bits the full parser gives).
//! - Objects and arrays become `dynamic` values built from the slice, with
//!   property names and short strings interned; in a `dynamic` column, text
//!   parsed before in the same column is shared instead of parsed again.
//! - A key that names no column yet is kept as text and its column created
//!   when the row is pushed, in the same order the full parser would.
//!
//! A line is scanned whole before any cell is pushed, so a line the scanner
//! does not take (bad syntax, an escape it does not decode, a nesting deeper
//! than it follows, a number serde_json refuses) leaves the table untouched
//! and goes to the full serde parser, which stays the reference for what
//! each line loads and for every error message.

use std::sync::Arc;

use indexmap::IndexMap;

use super::accum::{Cell, CellError, TableAcc};
use super::dynamic::KeyCache;
use crate::value::Dynamic;

#[cfg(test)]
thread_local! {
    /// Tests turn the scanner off to get the full parser's answer.
    static DISABLED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether lines may be scanned (always, outside tests).
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

/// Deepest nesting of objects and arrays the scanner follows itself (the
/// row counts as one). serde_json stops at 128; deeper values go to it so
/// that its error is the one reported.
const MAX_DEPTH: usize = 100;

/// Text of a key or string value: a range of the line, or of the decoded
/// buffer when it held escapes.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    decoded: bool,
}

/// A key as scanned: a known column, or a name to create a column for.
#[derive(Debug)]
enum Key {
    Column(usize),
    New(Piece),
}

/// A value as scanned.
#[derive(Debug)]
enum Val {
    Null,
    Bool(bool),
    Long(i64),
    Real(f64),
    Str(Piece),
    Nested(Dynamic),
}

/// Buffers reused from line to line.
#[derive(Debug, Default)]
pub(super) struct Scanner {
    pairs: Vec<(Key, Val)>,
    /// Decoded text of escaped keys and strings of the current line.
    decoded: String,
    nested: Bufs,
}

/// Buffers for building nested values.
#[derive(Debug, Default)]
struct Bufs {
    /// Decoded text of one string.
    tmp: String,
    /// Properties of the bags being read, innermost last (so each bag is
    /// allocated once, at its final size).
    entries: Vec<(Arc<str>, Dynamic)>,
    /// Items of the arrays being read, innermost last.
    items: Vec<Dynamic>,
}

impl Scanner {
    /// Scans `text` (one line) and pushes it as a row. `None` when the
    /// scanner does not take the line (nothing was pushed); `Some(Err)`
    /// for a value that does not fit its column, as the full parser would
    /// report it (cells before it are pushed, as the full parser does).
    pub(super) fn load_line(
        &mut self,
        text: &str,
        acc: &mut TableAcc,
    ) -> Option<Result<(), CellError>> {
        self.pairs.clear();
        self.decoded.clear();
        let scanned = self.scan(text, acc);
        if scanned.is_none() {
            self.pairs.clear();
            return None;
        }
        Some(self.push(text, acc))
    }

    /// Fills `pairs` with the line's keys and values.
    fn scan(&mut self, text: &str, acc: &mut TableAcc) -> Option<()> {
        let mut p = Parser::new(text);
        p.ws();
        p.eat(b'{')?;
        p.ws();
        if p.peek() == Some(b'}') {
            p.i += 1;
            return p.at_end();
        }
        let mut guess = 0;
        loop {
            p.eat(b'"')?;
            let piece = p.string(&mut self.decoded)?;
            let key = piece_text(text, &self.decoded, piece)?;
            let key = match acc.find_column(key, guess) {
                Some(col) => Key::Column(col),
                None => Key::New(piece),
            };
            p.ws();
            p.eat(b':')?;
            p.ws();
            let value = match p.peek()? {
                b'"' => {
                    p.i += 1;
                    Val::Str(p.string(&mut self.decoded)?)
                }
                b'{' | b'[' => {
                    let dynamic_col = match key {
                        Key::Column(col) if acc.is_dynamic(col) && acc.shares(col) => Some(col),
                        _ => None,
                    };
                    Val::Nested(p.nested(dynamic_col, acc, &mut self.nested)?)
                }
                _ => p.scalar()?,
            };
            if let Key::Column(col) = key {
                guess = col.saturating_add(1);
            }
            self.pairs.push((key, value));
            p.ws();
            match p.peek()? {
                b',' => {
                    p.i += 1;
                    p.ws();
                }
                b'}' => {
                    p.i += 1;
                    return p.at_end();
                }
                _ => return None,
            }
        }
    }

    /// Pushes the scanned pairs as one row, creating columns for new keys
    /// as it meets them; the first cell that does not fit stops it.
    fn push(&mut self, text: &str, acc: &mut TableAcc) -> Result<(), CellError> {
        let mut guess = 0;
        for (key, value) in self.pairs.drain(..) {
            let col = match key {
                Key::Column(col) => col,
                Key::New(piece) => {
                    let name = piece_text(text, &self.decoded, piece).unwrap_or_default();
                    acc.column_guess(name, guess)
                }
            };
            let cell = match value {
                Val::Null => Cell::Null,
                Val::Bool(x) => Cell::Bool(x),
                Val::Long(x) => Cell::Long(x),
                Val::Real(x) => Cell::Real(x),
                Val::Str(piece) => {
                    Cell::Str(piece_text(text, &self.decoded, piece).unwrap_or_default())
                }
                Val::Nested(d) => Cell::Nested(d),
            };
            acc.push(col, &cell)?;
            guess = col.saturating_add(1);
        }
        acc.end_row();
        Ok(())
    }
}

/// The text of `piece`.
#[inline]
fn piece_text<'a>(text: &'a str, decoded: &'a str, piece: Piece) -> Option<&'a str> {
    let source = if piece.decoded { decoded } else { text };
    source.get(piece.start..piece.end)
}

/// Parses the JSON text of one `dynamic` value (an object, an array or a
/// scalar, with surrounding whitespace) the way the scanner reads nested
/// values; `None` when it is not JSON the scanner takes.
pub(crate) fn parse_dynamic_text(text: &str, keys: &mut KeyCache) -> Option<Dynamic> {
    let mut p = Parser::new(text);
    p.ws();
    let d = p.value(1, keys, &mut Bufs::default())?;
    p.at_end()?;
    Some(d)
}

/// A position in one line.
struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser {
            s,
            b: s.as_bytes(),
            i: 0,
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    #[inline]
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    /// Only whitespace is left.
    fn at_end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.b.len()).then_some(())
    }

    /// The string whose opening quote was just read. Escaped text is
    /// decoded onto the end of `out`.
    fn string(&mut self, out: &mut String) -> Option<Piece> {
        let start = self.i;
        self.i += special(self.b.get(start..)?)?;
        if self.peek()? == b'"' {
            let end = self.i;
            self.i += 1;
            return Some(Piece {
                start,
                end,
                decoded: false,
            });
        }
        let from = out.len();
        out.push_str(self.s.get(start..self.i)?);
        self.finish_escaped(out)?;
        Some(Piece {
            start: from,
            end: out.len(),
            decoded: true,
        })
    }

    /// Decodes the rest of a string from an escape or special byte at
    /// `self.i` through its closing quote.
    fn finish_escaped(&mut self, out: &mut String) -> Option<()> {
        loop {
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return Some(());
                }
                b'\\' => {
                    self.i += 1;
                    let c = match self.peek()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.i += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return None,
                    };
                    self.i += 1;
                    out.push(c);
                }
                // A raw control character: the full parser reports it.
                c if c < 0x20 => return None,
                _ => {
                    let run = special(self.b.get(self.i..)?)?;
                    out.push_str(self.s.get(self.i..self.i + run)?);
                    self.i += run;
                }
            }
        }
    }

    /// The character of a `\u` escape whose four digits start at
    /// `self.i` (a surrogate pair takes a second escape). Lone surrogates
    /// are left to the full parser.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.b.get(self.i..self.i + 2)? != b"\\u" {
                    return None;
                }
                self.i += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return None;
                }
                0x10000 + ((u32::from(first) - 0xD800) << 10) + (u32::from(second) - 0xDC00)
            }
            0xDC00..=0xDFFF => return None,
            c => u32::from(c),
        };
        char::from_u32(code)
    }

    fn hex4(&mut self) -> Option<u16> {
        let digits = self.b.get(self.i..self.i + 4)?;
        let mut v: u16 = 0;
        for &d in digits {
            let n = (d as char).to_digit(16)?;
            v = (v << 4) | n as u16;
        }
        self.i += 4;
        Some(v)
    }

    /// `true`, `false`, `null` or a number.
    fn scalar(&mut self) -> Option<Val> {
        match self.peek()? {
            b't' => self.word(b"true").map(|()| Val::Bool(true)),
            b'f' => self.word(b"false").map(|()| Val::Bool(false)),
            b'n' => self.word(b"null").map(|()| Val::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn word(&mut self, w: &[u8]) -> Option<()> {
        if self.b.get(self.i..self.i + w.len())? == w {
            self.i += w.len();
            Some(())
        } else {
            None
        }
    }

    /// A number as the full parser reads it: a non-negative integer is a
    /// `long` when it fits (else a `real`), a negative one a `long` when it
    /// fits; everything else is read by serde_json's number reader.
    fn number(&mut self) -> Option<Val> {
        let start = self.i;
        let negative = self.peek()? == b'-';
        if negative {
            self.i += 1;
        }
        let digits_start = self.i;
        let mut n: u64 = 0;
        let mut overflow = false;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            match n
                .checked_mul(10)
                .and_then(|x| x.checked_add(u64::from(d - b'0')))
            {
                Some(x) => n = x,
                None => overflow = true,
            }
            self.i += 1;
        }
        let digits = self.i - digits_start;
        if digits == 0 || (digits > 1 && self.b.get(digits_start) == Some(&b'0')) {
            return None;
        }
        let mut integer = true;
        // The digits as one integer and the count after the point, while
        // the integer stays below 2^53.
        let mut significand = (!overflow && n < 1 << 53).then_some(n);
        let mut fraction = 0usize;
        if self.peek() == Some(b'.') {
            integer = false;
            self.i += 1;
            let from = self.i;
            while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
                significand = significand
                    .and_then(|x| x.checked_mul(10))
                    .and_then(|x| x.checked_add(u64::from(d - b'0')))
                    .filter(|&x| x < 1 << 53);
                self.i += 1;
            }
            if self.i == from {
                return None;
            }
            fraction = self.i - from;
        }
        if !integer && !matches!(self.peek(), Some(b'e' | b'E')) {
            // Both operands exact, so the quotient is correctly rounded:
            // the value serde_json (and any exact reader) gives.
            if let (Some(x), Some(&scale)) = (significand, POW10.get(fraction)) {
                let f = x as f64 / scale;
                return Some(Val::Real(if negative { -f } else { f }));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digits()?;
        }
        if integer && !overflow {
            if !negative {
                return Some(i64::try_from(n).map_or(Val::Real(n as f64), Val::Long));
            }
            if n != 0 && n <= 1 << 63 {
                return Some(Val::Long((n as i64).wrapping_neg()));
            }
        }
        let text = self.s.get(start..self.i)?;
        serde_json::from_str::<f64>(text).ok().map(Val::Real)
    }

    /// One or more digits.
    fn digits(&mut self) -> Option<()> {
        let from = self.i;
        while self.peek().is_some_and(|d| d.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > from).then_some(())
    }

    /// The object or array at `self.i`, as a `dynamic` value. In a
    /// `dynamic` column (`col`), text parsed before is shared.
    fn nested(
        &mut self,
        col: Option<usize>,
        acc: &mut TableAcc,
        bufs: &mut Bufs,
    ) -> Option<Dynamic> {
        let Some(col) = col else {
            return self.value(2, &mut acc.keys, bufs);
        };
        let start = self.i;
        let end = nested_end(self.b, start)?;
        let raw = self.s.get(start..end)?;
        if let Some(shared) = acc.shared_dynamic(col, raw) {
            self.i = end;
            return Some(shared);
        }
        let d = self.value(2, &mut acc.keys, bufs)?;
        if self.i != end {
            return None;
        }
        acc.share_dynamic(col, raw, &d);
        Some(d)
    }

    /// Any value, at nesting `depth`, as `dynamic`.
    fn value(&mut self, depth: usize, keys: &mut KeyCache, bufs: &mut Bufs) -> Option<Dynamic> {
        match self.peek()? {
            b'{' => {
                if depth > MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                let from = bufs.entries.len();
                let read = self.properties(depth, keys, bufs);
                let n = bufs.entries.len().saturating_sub(from);
                let mut bag = IndexMap::with_capacity(n);
                // Drained even when the bag is bad, so the stack stays
                // balanced; a repeated name keeps its first place and
                // takes the last value, as serde_json's map does.
                for (k, v) in bufs.entries.drain(from..) {
                    bag.insert(k, v);
                }
                read?;
                Some(Dynamic::Bag(Arc::new(bag)))
            }
            b'[' => {
                if depth > MAX_DEPTH {
                    return None;
                }
                self.i += 1;
                self.ws();
                let from = bufs.items.len();
                let read = self.items(depth, keys, bufs);
                let items: Vec<Dynamic> = bufs.items.drain(from..).collect();
                read?;
                Some(Dynamic::Array(Arc::new(items)))
            }
            b'"' => {
                self.i += 1;
                bufs.tmp.clear();
                let piece = self.string(&mut bufs.tmp)?;
                Some(Dynamic::String(
                    keys.intern(piece_text(self.s, &bufs.tmp, piece)?),
                ))
            }
            _ => Some(match self.scalar()? {
                Val::Null => Dynamic::Null,
                Val::Bool(x) => Dynamic::Bool(x),
                Val::Long(x) => Dynamic::Long(x),
                Val::Real(x) => Dynamic::Real(x),
                Val::Str(_) | Val::Nested(_) => return None,
            }),
        }
    }

    /// The properties of a bag after its `{`, through its `}`, pushed onto
    /// `bufs.entries`.
    fn properties(&mut self, depth: usize, keys: &mut KeyCache, bufs: &mut Bufs) -> Option<()> {
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            bufs.tmp.clear();
            let piece = self.string(&mut bufs.tmp)?;
            let key = keys.intern(piece_text(self.s, &bufs.tmp, piece)?);
            self.ws();
            self.eat(b':')?;
            self.ws();
            let v = self.value(depth + 1, keys, bufs)?;
            bufs.entries.push((key, v));
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The items of an array after its `[`, through its `]`, pushed onto
    /// `bufs.items`.
    fn items(&mut self, depth: usize, keys: &mut KeyCache, bufs: &mut Bufs) -> Option<()> {
        if self.peek()? == b']' {
            self.i += 1;
            return Some(());
        }
        loop {
            let v = self.value(depth + 1, keys, bufs)?;
            bufs.items.push(v);
            self.ws();
            match self.peek()? {
                b',' => {
                    self.i += 1;
                    self.ws();
                }
                b']' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// Powers of ten a `f64` holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

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

/// The position after the object or array starting at `i` (brackets
/// counted outside strings; the text is parsed for real afterwards).
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
    use crate::value::Value;
    use proptest::prelude::*;

    /// Loads `text` as JSON Lines with or without the scanner: the table
    /// (schema and rows) and rejected lines, or the error, as text.
    fn load(
        text: &str,
        schema: Option<&[(String, DataType)]>,
        lenient: bool,
        scanner: bool,
    ) -> String {
        DISABLED.with(|d| d.set(!scanner));
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

    /// The rows of `text` loaded with the scanner, which must take every
    /// line, with their types.
    fn scanned(
        text: &str,
        schema: Option<&[(String, DataType)]>,
    ) -> (Vec<(String, DataType)>, Vec<Vec<Value>>) {
        let mut acc = TableAcc::new(schema);
        let mut s = Scanner::default();
        for line in text.lines() {
            let r = s.load_line(line, &mut acc);
            assert!(matches!(r, Some(Ok(()))), "the scanner takes {line}");
        }
        let t = acc.finish().expect("finishes");
        (t.schema(), t.rows().collect())
    }

    fn pieces() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            Just("\"a\""),
            Just("\"s\""),
            Just("\"d\""),
            Just("\"new\""),
            Just("\"q\\\"k\""),
            Just("\"\\u0061\""),
            Just("\"caf\u{e9}\""),
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
            Just("-9223372036854775809"),
            Just("18446744073709551615"),
            Just("18446744073709551616"),
            Just("9007199254740993"),
            Just("1.5"),
            Just("-0.0"),
            Just("1e3"),
            Just("1E-3"),
            Just("2.2250738585072014e-308"),
            Just("1.7976931348623157e308"),
            Just("1e400"),
            Just("0.1000000000000000055511151231257827"),
            Just("1."),
            Just("-"),
            Just("\"abc\""),
            Just("\"a\\nb\""),
            Just("\"tab\there\""),
            Just("\"\\ud83d\\ude00\""),
            Just("\"\\ud83d\""),
            Just("\"\\ude00x\""),
            Just("\"\\u00e9\\/\\b\\f\\r\\t\\\\\""),
            Just("\"\\x\""),
            Just("\"\""),
            Just("\"{\\\"k\\\":1}\""),
            Just("{\"k\":1}"),
            Just("{\"k\":1,\"k\":2}"),
            Just("[1,\"]\"]"),
            Just("{\"k\": [true, null, 1.25, -3, \"\\u00e9\"]}"),
            Just("{\"g\":{\"lat\":48.12924,\"lon\":-11.5}}"),
            Just("{\"k\":1,}"),
            Just("[1,]"),
            Just("{}"),
            Just("[]"),
            Just("true"),
            Just("false"),
            Just("null"),
            Just("tru"),
            Just("\"2026-01-15T12:00:00Z\""),
        ];
        let ws = prop_oneof![Just(""), Just(" "), Just("\t"), Just("  "), Just("\r")];
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

    /// Random JSON documents (as text) of any shape.
    fn document() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |x| x.is_finite())
                .prop_map(|x| format!("{x:e}")),
            (-1000i32..1000, 0u32..100000).prop_map(|(a, b)| format!("{a}.{b}")),
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
            "[a-z\\\\\"\u{e9}\u{1F600}]{0,12}"
                .prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                proptest::collection::vec(("[a-c]{1,2}", inner), 0..6).prop_map(|v| {
                    let body: Vec<String> =
                        v.iter().map(|(k, x)| format!("\"{k}\" : {x}")).collect();
                    format!("{{ {} }}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any mix of flat, escaped, nested, malformed and mistyped lines
        /// loads exactly as the full parser alone loads it.
        #[test]
        fn the_scanner_loads_exactly_what_the_full_parser_loads(
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

        /// A random JSON document parses to the same `dynamic` value as
        /// serde_json gives, in a `dynamic` column and as a value of its own.
        #[test]
        fn the_scanner_and_serde_json_agree_on_random_documents(doc in document()) {
            let line = format!("{{\"d\":{doc}}}\n");
            let schema = vec![("d".to_string(), DataType::Dynamic)];
            prop_assert_eq!(load(&line, Some(&schema), false, true), load(&line, Some(&schema), false, false));
            prop_assert_eq!(load(&line, None, false, true), load(&line, None, false, false));
            let parsed: serde_json::Value = serde_json::from_str(&doc).expect("valid JSON");
            let mine = parse_dynamic_text(&doc, &mut KeyCache::default());
            prop_assert_eq!(mine, Some(Dynamic::from_json(&parsed)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Decimals read in place have the bits serde_json gives them.
        #[test]
        fn decimals_read_in_place_equal_serde_json(text in "-?(0|[1-9][0-9]{0,18})\\.[0-9]{1,24}") {
            let mut p = Parser::new(&text);
            let mine = p.number();
            let theirs: f64 = serde_json::from_str(&text).expect("a number");
            prop_assert!(matches!(mine, Some(Val::Real(x)) if x.to_bits() == theirs.to_bits()), "{:?} vs {}", mine, theirs);
        }
    }

    #[test]
    fn a_column_of_distinct_bags_stops_looking_them_up_and_loads_the_same() {
        let schema = vec![("d".to_string(), DataType::Dynamic)];
        let text: String = (0..5000)
            .map(|i| format!("{{\"d\":{{\"n\":{},\"k\":\"x\"}}}}\n", i % 4000))
            .collect();
        let mut acc = TableAcc::new(Some(&schema));
        let mut s = Scanner::default();
        for line in text.lines() {
            assert!(matches!(s.load_line(line, &mut acc), Some(Ok(()))));
        }
        assert!(
            !acc.shares(0),
            "mostly distinct texts are no longer looked up"
        );
        let t = acc.finish().expect("finishes");
        let c = t.column("d").expect("d");
        assert_eq!(
            c.get(4999),
            Value::Dynamic(Dynamic::from_json(&serde_json::json!({"n": 999, "k": "x"})))
        );
        assert_eq!(
            load(&text, Some(&schema), false, true),
            load(&text, Some(&schema), false, false)
        );
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode_in_keys_and_values() {
        let (schema, rows) = scanned(
            "{\"k\\u0065y\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"}",
            None,
        );
        assert_eq!(schema, vec![("key".to_string(), DataType::String)]);
        assert_eq!(rows, vec![vec![Value::string("a\"b\\c/d\né\u{1F600}")]]);
    }

    #[test]
    fn lone_surrogates_and_bad_escapes_are_left_to_the_full_parser() {
        let mut acc = TableAcc::new(None);
        let mut s = Scanner::default();
        for line in [
            "{\"a\":\"\\ud83d\"}",
            "{\"a\":\"\\ude00\"}",
            "{\"a\":\"\\ud83d\\u0041\"}",
            "{\"a\":\"\\q\"}",
            "{\"a\":\"\\u12\"}",
            "{\"a\":\"raw\tcontrol\"}",
        ] {
            assert!(s.load_line(line, &mut acc).is_none(), "{line}");
        }
        assert_eq!(acc.rows(), 0, "nothing was pushed");
    }

    #[test]
    fn numbers_at_the_edges_of_i64_and_f64_read_as_serde_json_reads_them() {
        let (schema, rows) = scanned(
            "{\"x\":{\"max\":9223372036854775807,\"min\":-9223372036854775808,\"over\":9223372036854775808,\"under\":-9223372036854775809,\"u64\":18446744073709551615,\"big\":18446744073709551616,\"tiny\":5e-324,\"huge\":1.7976931348623157e308}}",
            None,
        );
        assert_eq!(schema, vec![("x".to_string(), DataType::Dynamic)]);
        let Value::Dynamic(d) = &rows[0][0] else {
            panic!("dynamic");
        };
        assert_eq!(d.get("max"), &Dynamic::Long(i64::MAX));
        assert_eq!(d.get("min"), &Dynamic::Long(i64::MIN));
        assert_eq!(d.get("over"), &Dynamic::Real(9_223_372_036_854_775_808.0));
        assert_eq!(d.get("under"), &Dynamic::Real(-9_223_372_036_854_775_809.0));
        assert_eq!(d.get("u64"), &Dynamic::Real(u64::MAX as f64));
        assert_eq!(d.get("big"), &Dynamic::Real(18_446_744_073_709_551_616.0));
        assert_eq!(d.get("tiny"), &Dynamic::Real(5e-324));
        assert_eq!(d.get("huge"), &Dynamic::Real(f64::MAX));
        let mut acc = TableAcc::new(None);
        assert!(Scanner::default()
            .load_line("{\"x\":1e400}", &mut acc)
            .is_none());
    }

    #[test]
    fn a_big_integer_beside_reals_keeps_its_value() {
        let (schema, rows) = scanned("{\"n\":9007199254740993}\n{\"n\":1.5}", None);
        assert_eq!(schema, vec![("n".to_string(), DataType::Dynamic)]);
        assert_eq!(
            rows[0][0],
            Value::Dynamic(Dynamic::Long(9_007_199_254_740_993))
        );
    }

    #[test]
    fn a_repeated_key_is_refused_and_a_repeated_property_keeps_the_last_value() {
        let mut acc = TableAcc::new(None);
        let r = Scanner::default().load_line("{\"a\":1,\"a\":2}", &mut acc);
        assert!(matches!(r, Some(Err(CellError::Duplicate(c))) if c == "a"));
        let (_, rows) = scanned("{\"d\":{\"k\":1,\"j\":2,\"k\":3}}", None);
        let Value::Dynamic(d) = &rows[0][0] else {
            panic!("dynamic");
        };
        assert_eq!(d.to_json().to_string(), "{\"k\":3,\"j\":2}");
    }

    #[test]
    fn keys_not_in_the_schema_become_columns_in_first_seen_order() {
        let schema = vec![("a".to_string(), DataType::Long)];
        let (names, rows) = scanned(
            "{\"z\":\"x\",\"a\":1,\"y\":true}\n{\"y\":false}",
            Some(&schema),
        );
        assert_eq!(
            names,
            vec![
                ("a".to_string(), DataType::Long),
                ("z".to_string(), DataType::String),
                ("y".to_string(), DataType::Bool),
            ]
        );
        assert_eq!(
            rows[1],
            vec![Value::Null, Value::string(""), Value::Bool(false)]
        );
    }

    #[test]
    fn nested_objects_become_dynamic_values_and_repeated_text_is_shared() {
        let schema = vec![("d".to_string(), DataType::Dynamic)];
        let text = "{\"d\":{\"city\":\"Oslo\",\"geo\":{\"lat\":59.9,\"lon\":10.7},\"tags\":[1,\"a\",null]}}\n\
                    {\"d\":{\"city\":\"Oslo\",\"geo\":{\"lat\":59.9,\"lon\":10.7},\"tags\":[1,\"a\",null]}}";
        let mut acc = TableAcc::new(Some(&schema));
        let mut s = Scanner::default();
        for line in text.lines() {
            assert!(matches!(s.load_line(line, &mut acc), Some(Ok(()))));
        }
        let t = acc.finish().expect("finishes");
        let c = t.column("d").expect("d");
        let crate::column::ColumnData::Dynamic(v) = &c.data else {
            panic!("dynamic column");
        };
        let (Dynamic::Bag(a), Dynamic::Bag(b)) = (&v[0], &v[1]) else {
            panic!("bags");
        };
        assert!(Arc::ptr_eq(a, b));
        assert_eq!(
            v[0].to_json().to_string(),
            "{\"city\":\"Oslo\",\"geo\":{\"lat\":59.9,\"lon\":10.7},\"tags\":[1,\"a\",null]}"
        );
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_load_as_without_them() {
        let plain = "{\"a\":1,\"s\":\"x\"}\n{\"a\":2,\"s\":\"y\"}\n";
        let marked = "\u{feff}{\"a\":1,\"s\":\"x\"}\r\n{\"a\":2,\"s\":\"y\"}\r\n";
        assert_eq!(
            load(plain, None, false, true),
            load(marked, None, false, true)
        );
        assert_eq!(
            load(marked, None, false, true),
            load(marked, None, false, false)
        );
        // A mark inside the file is not whitespace.
        let inner = "{\"a\":1}\n\u{feff}{\"a\":2}\n";
        assert_eq!(
            load(inner, None, true, true),
            load(inner, None, true, false)
        );
        assert!(load(inner, None, false, true).starts_with("error: t:2:1: expected a JSON object"));
    }

    #[test]
    fn nesting_deeper_than_the_scanner_follows_goes_to_the_full_parser() {
        let deep = format!("{{\"d\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let mut acc = TableAcc::new(None);
        assert!(Scanner::default().load_line(&deep, &mut acc).is_none());
        assert!(load(&deep, None, false, true).contains("recursion limit"));
        let ok = format!("{{\"d\":{}{}}}", "[".repeat(90), "]".repeat(90));
        assert!(Scanner::default().load_line(&ok, &mut acc).is_some());
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
}
