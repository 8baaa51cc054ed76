//! The CSV loader: a header row, then records (RFC 4180 quoting: fields
//! may be quoted with `"`, quotes inside are doubled, and quoted fields may
//! span lines). Written by hand: it is small, streams from any `BufRead`,
//! and pushes fields straight into the column accumulators.

use std::io::BufRead;

use super::accum::{Cell, CellError, TableAcc};
use super::{read_line, LoadError, Loaded};
use crate::table::Table;
use crate::types::DataType;

/// Reads records one at a time into a reusable buffer.
struct Records<R> {
    reader: R,
    /// The field separator (`,` for CSV).
    delimiter: char,
    /// The current line, validated once as UTF-8.
    text: String,
    line: usize,
    path: String,
}

impl<R: BufRead> Records<R> {
    fn next_line(&mut self) -> Result<bool, LoadError> {
        // Reuse the line's allocation for the next read.
        let mut buf = std::mem::take(&mut self.text).into_bytes();
        if !read_line(&mut self.reader, &mut buf, &self.path)? {
            return Ok(false);
        }
        self.line += 1;
        if self.line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
            buf.drain(..3);
        }
        match String::from_utf8(buf) {
            Ok(text) => {
                self.text = text;
                Ok(true)
            }
            Err(_) => Err(LoadError::InvalidUtf8 {
                path: self.path.clone(),
                line: self.line,
            }),
        }
    }

    /// A syntax error at 1-based byte `column` of `line`.
    fn syntax(&self, line: usize, column: usize, message: &str) -> LoadError {
        LoadError::Syntax {
            path: self.path.clone(),
            line,
            column,
            message: message.to_string(),
        }
    }

    /// Reads the next record's fields into `text`, with `ends[i]` the end of
    /// field `i`. Returns the record's first line, or `None` at the end.
    fn next(
        &mut self,
        text: &mut String,
        ends: &mut Vec<usize>,
    ) -> Result<Option<usize>, LoadError> {
        text.clear();
        ends.clear();
        if !self.next_line()? {
            return Ok(None);
        }
        let start = self.line;
        let mut pos = 0;
        loop {
            let line = self.text.as_str();
            let rest = line.get(pos..).unwrap_or_default();
            if let Some(quoted) = rest.strip_prefix('"') {
                let (open_line, open_column) = (self.line, pos + 1);
                pos += 1;
                let mut chunk = quoted;
                // Copy the quoted field, reading more lines as needed.
                loop {
                    match chunk.find('"') {
                        Some(k) => {
                            text.push_str(chunk.get(..k).unwrap_or_default());
                            pos += k + 1;
                            let line = self.text.as_str();
                            if line.as_bytes().get(pos) == Some(&b'"') {
                                text.push('"');
                                pos += 1;
                                chunk = line.get(pos..).unwrap_or_default();
                                continue;
                            }
                            break;
                        }
                        None => {
                            text.push_str(chunk);
                            if !self.next_line()? {
                                return Err(LoadError::UnclosedQuote {
                                    path: self.path.clone(),
                                    line: open_line,
                                    column: open_column,
                                    lines: self.line + 1 - open_line,
                                });
                            }
                            pos = 0;
                            chunk = self.text.as_str();
                        }
                    }
                }
                ends.push(text.len());
                let line = self.text.as_str();
                let after = line.get(pos..).unwrap_or_default();
                if after.starts_with(self.delimiter) {
                    pos += self.delimiter.len_utf8();
                    continue;
                }
                if matches!(after, "" | "\n" | "\r\n" | "\r") {
                    return Ok(Some(start));
                }
                return Err(self.syntax(
                    self.line,
                    pos + 1,
                    "unexpected text after a closing quote",
                ));
            }
            match rest.find(self.delimiter) {
                Some(k) => {
                    text.push_str(rest.get(..k).unwrap_or_default());
                    ends.push(text.len());
                    pos += k + self.delimiter.len_utf8();
                }
                None => {
                    let field = rest.strip_suffix('\n').unwrap_or(rest);
                    let field = field.strip_suffix('\r').unwrap_or(field);
                    text.push_str(field);
                    ends.push(text.len());
                    return Ok(Some(start));
                }
            }
        }
    }
}

/// Loads CSV with a header row. Blank lines are skipped. When `lenient`, a
/// record that cannot be used is left out and reported instead of failing
/// the load (a bad header still fails it).
pub(crate) fn load_csv(
    reader: impl BufRead,
    schema: Option<&[(String, DataType)]>,
    path: &str,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    let mut records = Records {
        reader,
        delimiter: ',',
        text: String::with_capacity(4096),
        line: 0,
        path: path.to_string(),
    };
    let mut acc = TableAcc::new(schema);
    let mut text = String::new();
    let mut ends = Vec::new();
    let Some(header_line) = records.next(&mut text, &mut ends)? else {
        return finish(acc, path).map(Loaded::strict);
    };
    let mut columns = Vec::with_capacity(ends.len());
    // Seen columns, for the duplicate check in time linear in the header.
    let mut seen = rustc_hash::FxHashSet::default();
    let headers = header_names(&text, &ends, &acc);
    for (name, hint) in &headers {
        if name.chars().count() > MAX_COLUMN_NAME {
            return Err(LoadError::Shape {
                path: path.to_string(),
                message: format!(
                    "a header name on line {header_line} is {} characters long; \
                     column names have at most {MAX_COLUMN_NAME} (is this a CSV file?)",
                    name.chars().count()
                ),
            });
        }
        let col = acc.column_hinted(name, *hint);
        if !seen.insert(col) {
            return Err(LoadError::DuplicateColumn {
                path: path.to_string(),
                line: header_line,
                column: name.clone(),
            });
        }
        columns.push(col);
    }
    let mut rejected = Vec::new();
    loop {
        let line = match records.next(&mut text, &mut ends) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            // A record that cannot be read is skipped; the next one starts
            // on the following line.
            Err(e) if lenient && !matches!(e, LoadError::Io { .. }) => {
                rejected.push(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        if ends.len() == 1 && text.trim().is_empty() && columns.len() > 1 {
            continue;
        }
        let row = acc.rows();
        if let Err(e) = load_record(&mut acc, &text, &ends, &columns, path, line) {
            if !lenient {
                return Err(e);
            }
            acc.reject_row(row);
            rejected.push(e);
        }
    }
    let table = finish(acc, path)?;
    Ok(Loaded { table, rejected })
}

/// The longest column name a header may hold, as in Kusto, whose entity
/// names are at most 1,024 characters.
const MAX_COLUMN_NAME: usize = 1024;

/// The column names of a header record (fields `text` cut at `ends`), each
/// with a type for a column the schema does not type. An Azure portal unit
/// suffix (`TimeGenerated [UTC]`) is cut, and the column typed `datetime`,
/// unless the schema has the name as written or the cut name is another
/// header's.
fn header_names(text: &str, ends: &[usize], acc: &TableAcc) -> Vec<(String, Option<DataType>)> {
    let mut raw = Vec::with_capacity(ends.len());
    let mut start = 0;
    for &end in ends {
        raw.push(text.get(start..end).unwrap_or_default().trim());
        start = end;
    }
    let names: rustc_hash::FxHashSet<&str> = raw.iter().copied().collect();
    raw.iter()
        .map(|&name| match super::exports::strip_unit_suffix(name) {
            Some(base) if !acc.knows(name) && !names.contains(base) => {
                (base.to_string(), Some(DataType::DateTime))
            }
            _ => (name.to_string(), None),
        })
        .collect()
}

/// Splits delimited text into records of fields, each with the line it
/// starts on: the CSV rules above with `delimiter` between fields (`,`, tab,
/// `|`, `;`); blank lines are skipped. For small files read whole, such as
/// schema exports and `externaldata` contents.
pub fn split_records(
    text: &str,
    delimiter: char,
    path: &str,
) -> Result<Vec<(usize, Vec<String>)>, LoadError> {
    let mut records = Records {
        reader: text.as_bytes(),
        delimiter,
        text: String::new(),
        line: 0,
        path: path.to_string(),
    };
    let (mut fields, mut ends) = (String::new(), Vec::new());
    let mut out = Vec::new();
    while let Some(line) = records.next(&mut fields, &mut ends)? {
        if ends.len() == 1 && fields.trim().is_empty() {
            continue;
        }
        let mut start = 0;
        let record = ends
            .iter()
            .map(|&end| {
                let f = fields.get(start..end).unwrap_or_default().to_string();
                start = end;
                f
            })
            .collect();
        out.push((line, record));
    }
    Ok(out)
}

/// Loads one record (fields `text` cut at `ends`) that starts on `line`.
fn load_record(
    acc: &mut TableAcc,
    text: &str,
    ends: &[usize],
    columns: &[usize],
    path: &str,
    line: usize,
) -> Result<(), LoadError> {
    if ends.len() != columns.len() {
        return Err(LoadError::FieldCount {
            path: path.to_string(),
            line,
            expected: columns.len(),
            found: ends.len(),
        });
    }
    let mut start = 0;
    for (&end, &col) in ends.iter().zip(columns) {
        let field = text.get(start..end).unwrap_or_default();
        start = end;
        if let Err(e) = acc.push(col, &Cell::Text(field)) {
            return Err(match e {
                CellError::Mismatch {
                    column,
                    expected,
                    found,
                } => LoadError::Value {
                    path: path.to_string(),
                    line,
                    column,
                    expected,
                    found,
                },
                CellError::Duplicate(column) => LoadError::DuplicateColumn {
                    path: path.to_string(),
                    line,
                    column,
                },
            });
        }
    }
    acc.end_row();
    Ok(())
}

fn finish(acc: TableAcc, path: &str) -> Result<Table, LoadError> {
    acc.finish().map_err(|source| LoadError::Table {
        path: path.to_string(),
        source,
    })
}
