//! Table writers: aligned text, Log Analytics JSON, JSON Lines and CSV.
//!
//! The machine formats write each cell straight into a byte buffer that is
//! handed to the output in chunks of about 64 KiB, so they are fast on any
//! writer. Scalar cells never go through `serde_json::Value`.

use std::io::{self, Write};

use chrono::{Datelike, Timelike};

use crate::column::{Column, ColumnData};
use crate::shred::{Part, ShreddedColumn};
use crate::table::Table;
use crate::time::{format_datetime, format_timespan, to_chrono, TICKS_PER_SECOND};
use crate::types::DataType;
use crate::value::{format_guid, format_real, Dynamic};

const CHUNK: usize = 64 * 1024;

/// Options for [`write_table_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOptions {
    /// Cells longer than this many characters are cut and end in `…`.
    pub max_cell_width: usize,
    /// Print at most this many rows (then a line saying how many were left
    /// out); `None` prints all.
    pub max_rows: Option<usize>,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            max_cell_width: 60,
            max_rows: None,
        }
    }
}

/// Writes `s` as a JSON string literal (quotes included).
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Writes a decimal integer.
fn push_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(buf.get(i..).unwrap_or_default());
}

fn push_2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// Writes a datetime as ISO 8601 UTC with trailing zero fraction digits
/// trimmed (`2024-01-01T00:00:00Z`, `2015-12-31T23:59:59.9Z`), the form the
/// Log Analytics query API returns. Returns false when out of range.
fn push_datetime(out: &mut Vec<u8>, ticks: i64) -> bool {
    let Some(dt) = to_chrono(ticks) else {
        return false;
    };
    let year = dt.year().clamp(0, 9999) as u32;
    push_2(out, year / 100);
    push_2(out, year % 100);
    out.push(b'-');
    push_2(out, dt.month());
    out.push(b'-');
    push_2(out, dt.day());
    out.push(b'T');
    push_2(out, dt.hour());
    out.push(b':');
    push_2(out, dt.minute());
    out.push(b':');
    push_2(out, dt.second());
    let mut frac = ticks.rem_euclid(TICKS_PER_SECOND);
    if frac > 0 {
        let mut digits = 7;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        out.push(b'.');
        let mut buf = [b'0'; 7];
        for slot in buf.iter_mut().take(digits).rev() {
            *slot = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.extend_from_slice(buf.get(..digits).unwrap_or_default());
    }
    out.push(b'Z');
    true
}

/// Writes a finite real as JSON does (shortest round-trip form, `1.0` for
/// integral values); NaN and infinities as the strings Kusto uses.
fn push_json_real(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, &v);
    } else {
        push_json_str(out, &format_real(v));
    }
}

/// Writes a `dynamic` value as JSON, as [`Dynamic::to_json`] renders it.
pub(crate) fn push_dynamic(out: &mut Vec<u8>, d: &Dynamic) {
    match d {
        Dynamic::Null => out.extend_from_slice(b"null"),
        Dynamic::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Dynamic::Long(v) => push_i64(out, *v),
        Dynamic::Real(v) => push_json_real(out, *v),
        Dynamic::String(s) => push_json_str(out, s),
        Dynamic::DateTime(t) => push_json_str(out, &format_datetime(*t)),
        Dynamic::TimeSpan(t) => push_json_str(out, &format_timespan(*t)),
        Dynamic::Guid(g) => push_json_str(out, &format_guid(*g)),
        Dynamic::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_dynamic(out, item);
            }
            out.push(b']');
        }
        Dynamic::Bag(bag) => {
            out.push(b'{');
            for (i, (k, v)) in bag.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push_json_str(out, k);
                out.push(b':');
                push_dynamic(out, v);
            }
            out.push(b'}');
        }
    }
}

/// Writes row `row` of a shredded column as JSON, straight from its typed
/// parts: the same bytes as [`push_dynamic`] of the row's rebuilt value.
pub(crate) fn push_shredded(out: &mut Vec<u8>, s: &ShreddedColumn, row: usize) {
    if let Some(d) = s.off_part(row) {
        push_dynamic(out, d);
        return;
    }
    match s.part() {
        Part::Object { keys, children } => {
            out.push(b'{');
            for (j, (k, c)) in keys.iter().zip(children).enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                push_json_str(out, k);
                out.push(b':');
                push_shredded(out, c, row);
            }
            out.push(b'}');
        }
        Part::Strings(v) => push_json_str(out, v.get(row)),
        Part::Longs(v) => push_i64(out, v.get(row).copied().unwrap_or_default()),
        Part::Reals(v) => push_json_real(out, v.get(row).copied().unwrap_or_default()),
        Part::Bools(v) => {
            let b = v.get(row).copied().unwrap_or_default();
            out.extend_from_slice(if b { b"true" } else { b"false" });
        }
        Part::Values(v) => push_dynamic(out, v.get(row).unwrap_or(&Dynamic::Null)),
    }
}

fn is_valid(col: &Column, row: usize) -> bool {
    col.validity.as_ref().is_none_or(|v| v.get(row))
}

/// Writes cell `row` of `col` as a JSON value.
fn push_json_cell(out: &mut Vec<u8>, col: &Column, row: usize) {
    if !is_valid(col, row) {
        out.extend_from_slice(b"null");
        return;
    }
    let ok = match &col.data {
        ColumnData::Bool(v) => v
            .get(row)
            .map(|b| out.extend_from_slice(if *b { b"true" } else { b"false" })),
        ColumnData::Int(v) => v.get(row).map(|x| push_i64(out, i64::from(*x))),
        ColumnData::Long(v) => v.get(row).map(|x| push_i64(out, *x)),
        ColumnData::Real(v) => v.get(row).map(|x| push_json_real(out, *x)),
        ColumnData::Decimal(v) => v.get(row).map(|x| push_json_str(out, &x.to_string())),
        ColumnData::String(s) => {
            push_json_str(out, s.get(row));
            Some(())
        }
        ColumnData::DateTime(v) => v.get(row).map(|t| {
            out.push(b'"');
            if push_datetime(out, *t) {
                out.push(b'"');
            } else {
                out.pop();
                out.extend_from_slice(b"null");
            }
        }),
        ColumnData::TimeSpan(v) => v.get(row).map(|t| push_json_str(out, &format_timespan(*t))),
        ColumnData::Guid(v) => v.get(row).map(|g| push_json_str(out, &format_guid(*g))),
        ColumnData::Dynamic(v) => v.get(row).map(|d| push_dynamic(out, d)),
        ColumnData::Shredded(s) => {
            push_shredded(out, s, row);
            Some(())
        }
    };
    if ok.is_none() {
        out.extend_from_slice(b"null");
    }
}

/// Writes cell `row` of `col` as CSV field text (before quoting); nulls are
/// empty. Returns whether the text may need quoting (strings and dynamic).
fn push_text_cell(out: &mut Vec<u8>, col: &Column, row: usize) -> bool {
    if !is_valid(col, row) {
        return false;
    }
    match &col.data {
        ColumnData::Bool(v) => {
            if let Some(b) = v.get(row) {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
            }
        }
        ColumnData::Int(v) => {
            if let Some(x) = v.get(row) {
                push_i64(out, i64::from(*x));
            }
        }
        ColumnData::Long(v) => {
            if let Some(x) = v.get(row) {
                push_i64(out, *x);
            }
        }
        ColumnData::Real(v) => {
            if let Some(x) = v.get(row) {
                out.extend_from_slice(format_real(*x).as_bytes());
            }
        }
        ColumnData::Decimal(v) => {
            if let Some(x) = v.get(row) {
                out.extend_from_slice(x.to_string().as_bytes());
            }
        }
        ColumnData::String(s) => {
            out.extend_from_slice(s.get(row).as_bytes());
            return true;
        }
        ColumnData::DateTime(v) => {
            if let Some(t) = v.get(row) {
                push_datetime(out, *t);
            }
        }
        ColumnData::TimeSpan(v) => {
            if let Some(t) = v.get(row) {
                out.extend_from_slice(format_timespan(*t).as_bytes());
            }
        }
        ColumnData::Guid(v) => {
            if let Some(g) = v.get(row) {
                out.extend_from_slice(format_guid(*g).as_bytes());
            }
        }
        ColumnData::Dynamic(v) => {
            match v.get(row) {
                Some(Dynamic::String(s)) => out.extend_from_slice(s.as_bytes()),
                Some(Dynamic::Null) | None => {}
                Some(d) => push_dynamic(out, d),
            }
            return true;
        }
        ColumnData::Shredded(s) => {
            match (s.off_part(row), s.part()) {
                (None, Part::Strings(v)) => out.extend_from_slice(v.get(row).as_bytes()),
                (None, Part::Object { .. }) => push_shredded(out, s, row),
                (off, _) => match off.cloned().unwrap_or_else(|| s.value(row)) {
                    Dynamic::String(t) => out.extend_from_slice(t.as_bytes()),
                    Dynamic::Null => {}
                    d => push_dynamic(out, &d),
                },
            }
            return true;
        }
    }
    false
}

/// Appends `field` to `out` as a CSV field, quoting it when it holds a
/// comma, a quote, a line break or surrounding spaces.
fn push_csv_field(out: &mut Vec<u8>, field: &[u8]) {
    let needs_quotes = field
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
        || field.first() == Some(&b' ')
        || field.last() == Some(&b' ');
    if !needs_quotes {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn flush_chunk(out: &mut Vec<u8>, w: &mut impl Write) -> io::Result<()> {
    if out.len() >= CHUNK {
        w.write_all(out)?;
        out.clear();
    }
    Ok(())
}

/// Writes the table as JSON Lines: one object per row, keys in column
/// order, nulls as `null`. Datetimes are ISO 8601 UTC strings (trailing zero
/// fraction digits trimmed), timespans `[-][d.]hh:mm:ss[.fffffff]` strings,
/// guids and decimals strings, `dynamic` values inline JSON, and NaN or
/// infinite reals the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn write_jsonl(t: &Table, w: &mut impl Write) -> io::Result<()> {
    let columns: Vec<(Vec<u8>, &Column)> = t
        .columns()
        .map(|(name, col)| {
            let mut key = Vec::new();
            push_json_str(&mut key, name);
            key.push(b':');
            (key, col.as_ref())
        })
        .collect();
    let mut out = Vec::with_capacity(CHUNK + 4096);
    for row in 0..t.num_rows() {
        out.push(b'{');
        for (i, (key, col)) in columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(key);
            push_json_cell(&mut out, col, row);
        }
        out.extend_from_slice(b"}\n");
        flush_chunk(&mut out, w)?;
    }
    w.write_all(&out)
}

/// Writes the table in the Log Analytics query-API response shape:
/// `{"tables":[{"name":"PrimaryResult","columns":[{"name":..,"type":..}],"rows":[[..]]}]}`,
/// with KQL type names and cells formatted as by [`write_jsonl`] (`dynamic`
/// cells are inline JSON rather than JSON-encoded strings).
pub fn write_json(t: &Table, w: &mut impl Write) -> io::Result<()> {
    let mut out = Vec::with_capacity(CHUNK + 4096);
    out.extend_from_slice(b"{\"tables\":[{\"name\":\"PrimaryResult\",\"columns\":[");
    for (i, (name, col)) in t.columns().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        push_json_str(&mut out, name);
        out.extend_from_slice(b",\"type\":");
        push_json_str(&mut out, col.data_type().name());
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"rows\":[");
    let columns: Vec<&Column> = t.columns().map(|(_, c)| c.as_ref()).collect();
    for row in 0..t.num_rows() {
        if row > 0 {
            out.push(b',');
        }
        out.push(b'[');
        for (i, col) in columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_json_cell(&mut out, col, row);
        }
        out.push(b']');
        flush_chunk(&mut out, w)?;
    }
    out.extend_from_slice(b"]}]}\n");
    w.write_all(&out)
}

/// Writes the table as CSV: a header row, then one record per row (RFC 4180
/// quoting, `\n` line ends). Nulls are empty fields; datetimes are ISO 8601
/// UTC, reals as KQL prints them, `dynamic` strings raw and other `dynamic`
/// values as JSON.
pub fn write_csv(t: &Table, w: &mut impl Write) -> io::Result<()> {
    write_csv_with(t, w, &CsvOptions::default())
}

/// How [`write_csv_with`] writes cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Prefixes a `'` to a text cell starting with `=`, `+`, `-`, `@`, a
    /// tab or a carriage return, so a spreadsheet opening the file shows
    /// the text instead of running it as a formula (CSV injection: result
    /// cells often hold attacker-written text such as command lines).
    /// Numbers are never changed.
    pub guard_formulas: bool,
}

/// [`write_csv`] with [`CsvOptions`].
pub fn write_csv_with(t: &Table, w: &mut impl Write, options: &CsvOptions) -> io::Result<()> {
    let mut out = Vec::with_capacity(CHUNK + 4096);
    for (i, name) in t.column_names().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_csv_field(&mut out, name.as_bytes());
    }
    out.push(b'\n');
    let columns: Vec<&Column> = t.columns().map(|(_, c)| c.as_ref()).collect();
    let guarded: Vec<bool> = columns
        .iter()
        .map(|c| {
            options.guard_formulas && matches!(c.data_type(), DataType::String | DataType::Dynamic)
        })
        .collect();
    let mut field = Vec::new();
    for row in 0..t.num_rows() {
        for (i, col) in columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            field.clear();
            let mut quotable = push_text_cell(&mut field, col, row);
            if guarded[i]
                && matches!(
                    field.first(),
                    Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
                )
            {
                field.insert(0, b'\'');
                quotable = true;
            }
            if field.is_empty() && columns.len() == 1 {
                // A lone empty field would be a blank line, which readers skip.
                out.extend_from_slice(b"\"\"");
            } else if quotable {
                push_csv_field(&mut out, &field);
            } else {
                out.extend_from_slice(&field);
            }
        }
        out.push(b'\n');
        flush_chunk(&mut out, w)?;
    }
    w.write_all(&out)
}

/// Unicode's bidirectional formatting characters (embeddings, overrides,
/// isolates and marks), which change how the text around them displays.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Makes a cell printable on one line: control characters are escaped and
/// text longer than `max` characters is cut, ending in `…`.
fn display_cell(text: &str, max: usize) -> String {
    let mut s = String::with_capacity(text.len().min(max * 4));
    let mut count = 0;
    let max = max.max(1);
    for c in text.chars() {
        let piece: &str = match c {
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            _ => "",
        };
        let width = if piece.is_empty() { 1 } else { 2 };
        if count + width > max {
            while count >= max {
                if s.pop().is_some() {
                    count -= 1;
                } else {
                    break;
                }
            }
            s.push('…');
            return s;
        }
        if piece.is_empty() {
            if c.is_control() {
                s.push('\u{fffd}');
            } else if is_bidi_control(c) {
                // Would reorder the text around it on screen (a filename
                // that reads `exe.txt` but is `txt.exe`): shown as its code.
                s.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
            } else {
                s.push(c);
            }
        } else {
            s.push_str(piece);
        }
        count += width;
    }
    s
}

/// Writes the table as aligned text: a header, a rule, then one line per
/// row. Cells read as KQL's `tostring()` prints them (nulls empty); numbers
/// are right-aligned; cells wider than [`TextOptions::max_cell_width`] are
/// cut with `…`.
pub fn write_table_text(t: &Table, w: &mut impl Write, opts: &TextOptions) -> io::Result<()> {
    if t.num_columns() == 0 {
        return Ok(());
    }
    let shown = opts.max_rows.map_or(t.num_rows(), |m| m.min(t.num_rows()));
    let columns: Vec<(&str, &Column)> = t.columns().map(|(n, c)| (n, c.as_ref())).collect();
    let mut cells: Vec<Vec<String>> = Vec::with_capacity(columns.len());
    let mut widths = Vec::with_capacity(columns.len());
    for (name, col) in &columns {
        let header = display_cell(name, opts.max_cell_width);
        let mut width = header.chars().count();
        let mut col_cells = Vec::with_capacity(shown + 1);
        col_cells.push(header);
        for row in 0..shown {
            let text = display_cell(&col.get(row).to_string(), opts.max_cell_width);
            width = width.max(text.chars().count());
            col_cells.push(text);
        }
        widths.push(width);
        cells.push(col_cells);
    }
    let right: Vec<bool> = columns
        .iter()
        .map(|(_, c)| c.data_type().is_numeric())
        .collect();
    let mut out = String::new();
    for line in 0..=shown {
        out.clear();
        for (i, col_cells) in cells.iter().enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let text = col_cells.get(line).map_or("", String::as_str);
            let width = widths.get(i).copied().unwrap_or(0);
            let pad = width.saturating_sub(text.chars().count());
            let last = i + 1 == cells.len();
            if right.get(i).copied().unwrap_or(false) && line > 0 {
                out.extend(std::iter::repeat_n(' ', pad));
                out.push_str(text);
            } else {
                out.push_str(text);
                if !last {
                    out.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        writeln!(w, "{}", out.trim_end())?;
        if line == 0 {
            let rule: Vec<String> = widths.iter().map(|&n| "-".repeat(n)).collect();
            writeln!(w, "{}", rule.join("  "))?;
        }
    }
    if shown < t.num_rows() {
        writeln!(w, "… {} more rows", t.num_rows() - shown)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_str(s: &str) -> String {
        let mut out = Vec::new();
        push_json_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        let s = "a\"b\\c\nd\u{1}é";
        let text = json_str(s);
        assert_eq!(text, "\"a\\\"b\\\\c\\nd\\u0001é\"");
        assert_eq!(serde_json::from_str::<String>(&text).unwrap(), s);
    }

    #[test]
    fn integers_print_at_the_extremes() {
        for v in [0, -1, 42, i64::MIN, i64::MAX] {
            let mut out = Vec::new();
            push_i64(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
    }

    #[test]
    fn datetimes_print_with_trimmed_fractions() {
        let t = crate::time::parse_datetime("2015-12-31T23:59:59.9Z").unwrap();
        let mut out = Vec::new();
        push_datetime(&mut out, t);
        assert_eq!(String::from_utf8(out).unwrap(), "2015-12-31T23:59:59.9Z");
        let mut out = Vec::new();
        push_datetime(&mut out, crate::time::UNIX_EPOCH_TICKS + 1);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "1970-01-01T00:00:00.0000001Z"
        );
        let mut out = Vec::new();
        push_datetime(&mut out, crate::time::UNIX_EPOCH_TICKS);
        assert_eq!(String::from_utf8(out).unwrap(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn long_cells_are_cut_with_an_ellipsis() {
        assert_eq!(display_cell("abcdef", 4), "abc…");
        assert_eq!(display_cell("abcd", 4), "abcd");
        assert_eq!(display_cell("a\nb", 10), "a\\nb");
    }
}
