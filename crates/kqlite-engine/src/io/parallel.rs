//! Parallel JSON Lines loading: the input is cut at line breaks into one
//! part per core, each part is loaded on its own thread, and the part
//! tables are concatenated. When the parts disagree on an inferred column
//! type, the input is loaded again sequentially, so the result is always
//! what the sequential loader returns.

use std::sync::Arc;

use crate::bitmap::Bitmap;

use crate::column::{encode_strings, Column, ColumnData, StringArray, StringColumn};
use crate::table::Table;
use crate::types::DataType;

use super::{json, LoadError, Loaded};

/// Inputs smaller than this load on one thread.
pub(crate) const MIN_PARALLEL_BYTES: usize = 32 << 20;

/// Loads JSON Lines from memory using up to `parts` threads.
pub(crate) fn load_jsonl(
    bytes: &[u8],
    schema: Option<&[(String, DataType)]>,
    path: &str,
    parts: usize,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    let chunks = split_lines(bytes, parts);
    if chunks.len() < 2 {
        return json::load_jsonl(bytes, schema, path, lenient);
    }
    let results: Vec<Result<Loaded, LoadError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|&(chunk, first_line)| {
                scope
                    .spawn(move || json::load_jsonl_lines(chunk, schema, path, first_line, lenient))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| json::load_jsonl(bytes, schema, path, lenient))
            })
            .collect()
    });
    let mut tables = Vec::with_capacity(results.len());
    let mut rejected = Vec::new();
    for r in results {
        // Parts are in input order, so the first error is the one a
        // sequential load reports, and rejected rows stay in line order.
        let part = r?;
        tables.push(part.table);
        rejected.extend(part.rejected);
    }
    match concat(&tables) {
        Some(table) => Ok(Loaded { table, rejected }),
        None => json::load_jsonl(bytes, schema, path, lenient),
    }
}

/// Cuts `bytes` into about `parts` pieces ending at line breaks, each with
/// the 1-based number of its first line.
fn split_lines(bytes: &[u8], parts: usize) -> Vec<(&[u8], usize)> {
    let parts = parts.max(1);
    let target = bytes.len().div_ceil(parts).max(1);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    let mut line = 1;
    while start < bytes.len() {
        let tentative = (start + target).min(bytes.len());
        let end = match bytes
            .get(tentative..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        {
            Some(k) => tentative + k + 1,
            None => bytes.len(),
        };
        let chunk = bytes.get(start..end).unwrap_or_default();
        out.push((chunk, line));
        line += chunk.iter().filter(|&&b| b == b'\n').count();
        start = end;
    }
    out
}

/// Concatenates tables row-wise, uniting their columns in first-seen order
/// (missing columns are null). `None` when a column's type differs between
/// tables.
fn concat(tables: &[Table]) -> Option<Table> {
    let mut names: Vec<(String, DataType)> = Vec::new();
    for t in tables {
        for (name, col) in t.columns() {
            match names.iter().find(|(n, _)| n == name) {
                Some((_, ty)) if *ty != col.data_type() => return None,
                Some(_) => {}
                None => names.push((name.to_string(), col.data_type())),
            }
        }
    }
    let rows: usize = tables.iter().map(Table::num_rows).sum();
    if names.is_empty() {
        return Some(Table::empty(rows));
    }
    let mut columns = Vec::with_capacity(names.len());
    for (name, ty) in names {
        let parts: Vec<Arc<Column>> = tables
            .iter()
            .map(|t| {
                t.column(&name)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(Column::nulls(ty, t.num_rows())))
            })
            .collect();
        columns.push((name, Arc::new(concat_columns(&parts)?)));
    }
    Table::try_new(columns).ok()
}

fn concat_columns(parts: &[Arc<Column>]) -> Option<Column> {
    let total: usize = parts.iter().map(|c| c.len()).sum();
    let validity = if parts.iter().all(|c| c.validity.is_none()) {
        None
    } else {
        let mut bits = Bitmap::default();
        for c in parts {
            match &c.validity {
                Some(v) => (0..c.len()).for_each(|i| bits.push(v.get(i))),
                None => (0..c.len()).for_each(|_| bits.push(true)),
            }
        }
        Some(bits)
    };
    fn gather<T: Clone>(
        parts: &[Arc<Column>],
        total: usize,
        pick: impl Fn(&ColumnData) -> Option<&Vec<T>>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(total);
        for c in parts {
            out.extend_from_slice(pick(&c.data)?);
        }
        Some(out)
    }
    let first = parts.first()?;
    let data = match &first.data {
        ColumnData::Bool(_) => ColumnData::Bool(gather(parts, total, |d| match d {
            ColumnData::Bool(v) => Some(v),
            _ => None,
        })?),
        ColumnData::Int(_) => ColumnData::Int(gather(parts, total, |d| match d {
            ColumnData::Int(v) => Some(v),
            _ => None,
        })?),
        ColumnData::Long(_) => ColumnData::Long(gather(parts, total, |d| match d {
            ColumnData::Long(v) => Some(v),
            _ => None,
        })?),
        ColumnData::Real(_) => ColumnData::Real(gather(parts, total, |d| match d {
            ColumnData::Real(v) => Some(v),
            _ => None,
        })?),
        ColumnData::Decimal(_) => ColumnData::Decimal(gather(parts, total, |d| match d {
            ColumnData::Decimal(v) => Some(v),
            _ => None,
        })?),
        ColumnData::DateTime(_) => ColumnData::DateTime(gather(parts, total, |d| match d {
            ColumnData::DateTime(v) => Some(v),
            _ => None,
        })?),
        ColumnData::TimeSpan(_) => ColumnData::TimeSpan(gather(parts, total, |d| match d {
            ColumnData::TimeSpan(v) => Some(v),
            _ => None,
        })?),
        ColumnData::Guid(_) => ColumnData::Guid(gather(parts, total, |d| match d {
            ColumnData::Guid(v) => Some(v),
            _ => None,
        })?),
        ColumnData::Dynamic(_) => ColumnData::Dynamic(gather(parts, total, |d| match d {
            ColumnData::Dynamic(v) => Some(v),
            _ => None,
        })?),
        ColumnData::String(_)
            if parts
                .iter()
                .all(|c| matches!(c.data, ColumnData::String(StringColumn::Dict { .. }))) =>
        {
            ColumnData::String(merge_dictionaries(parts, total)?)
        }
        ColumnData::String(_) => {
            let mut strings = StringArray::with_capacity(total, 0);
            for c in parts {
                let ColumnData::String(s) = &c.data else {
                    return None;
                };
                for i in 0..s.len() {
                    strings.push(s.get(i));
                }
            }
            ColumnData::String(encode_strings(strings))
        }
    };
    Some(Column::with_validity(data, validity))
}

/// Concatenates dictionary-encoded string columns by merging their
/// dictionaries and renumbering codes (no per-row hashing).
fn merge_dictionaries(parts: &[Arc<Column>], total: usize) -> Option<StringColumn> {
    let mut dict = StringArray::default();
    let mut index: crate::column::StrMap<String, u32> = Default::default();
    let mut codes = Vec::with_capacity(total);
    for c in parts {
        let ColumnData::String(StringColumn::Dict {
            codes: part_codes,
            dict: part_dict,
        }) = &c.data
        else {
            return None;
        };
        let remap: Vec<u32> = part_dict
            .iter()
            .map(|s| {
                *index.entry(s.to_string()).or_insert_with(|| {
                    dict.push(s);
                    (dict.len() - 1) as u32
                })
            })
            .collect();
        for &code in part_codes {
            codes.push(remap.get(code as usize).copied()?);
        }
    }
    Some(StringColumn::Dict {
        codes,
        dict: Arc::new(dict),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::write_jsonl;

    fn sequential(text: &str, schema: Option<&[(String, DataType)]>) -> Result<Table, LoadError> {
        json::load_jsonl(text.as_bytes(), schema, "input", false).map(|l| l.table)
    }

    fn parallel(
        text: &str,
        schema: Option<&[(String, DataType)]>,
        parts: usize,
    ) -> Result<Table, LoadError> {
        load_jsonl(text.as_bytes(), schema, "input", parts, false).map(|l| l.table)
    }

    fn jsonl(t: &Table) -> String {
        let mut out = Vec::new();
        write_jsonl(t, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sample_text() -> String {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!(
                "{{\"n\":{i},\"app\":\"{}\",\"t\":\"2024-01-01T00:00:{:02}Z\",\"o\":{{\"k\":{i}}}}}\n",
                ["a", "b"][i % 2],
                i % 60
            ));
            if i == 150 {
                text.push_str("{\"late\":1.5}\n");
            }
        }
        text
    }

    #[test]
    fn lines_are_split_at_line_breaks_with_their_numbers() {
        let chunks = split_lines(b"a\nbb\nccc\nd", 3);
        let pieces: Vec<(&[u8], usize)> = chunks;
        assert_eq!(pieces.first(), Some(&(&b"a\nbb\n"[..], 1)));
        assert_eq!(pieces.last(), Some(&(&b"ccc\nd"[..], 3)));
        let joined: Vec<u8> = pieces.iter().flat_map(|p| p.0.iter().copied()).collect();
        assert_eq!(joined, b"a\nbb\nccc\nd");
    }

    #[test]
    fn dictionary_columns_merge_their_dictionaries() {
        let text = sample_text();
        let par = parallel(&text, None, 3).unwrap();
        let app = par.column("app").unwrap();
        assert!(
            matches!(&app.data, ColumnData::String(StringColumn::Dict { dict, .. }) if dict.len() == 3)
        );
        assert_eq!(app.get(0), crate::value::Value::string("a"));
        assert_eq!(app.get(199 + 1), crate::value::Value::string("b"));
    }

    #[test]
    fn a_parallel_load_equals_the_sequential_one() {
        let text = sample_text();
        let seq = sequential(&text, None).unwrap();
        for parts in [2, 3, 7] {
            let par = parallel(&text, None, parts).unwrap();
            assert_eq!(par.schema(), seq.schema());
            assert_eq!(jsonl(&par), jsonl(&seq));
        }
    }

    #[test]
    fn parts_that_infer_different_types_fall_back_to_one_pass() {
        let mut text = String::new();
        for i in 0..50 {
            text.push_str(&format!("{{\"x\":{i}}}\n"));
        }
        for _ in 0..50 {
            text.push_str("{\"x\":\"text\"}\n");
        }
        let par = parallel(&text, None, 2).unwrap();
        assert_eq!(par.column("x").unwrap().data_type(), DataType::Dynamic);
        assert_eq!(jsonl(&par), jsonl(&sequential(&text, None).unwrap()));
    }

    #[test]
    fn errors_in_later_parts_keep_their_line_numbers() {
        let mut text = sample_text();
        text.push_str("{\"n\":\"oops\"}\n");
        let schema = vec![("n".to_string(), DataType::Long)];
        let err = parallel(&text, Some(&schema), 4).unwrap_err();
        assert!(matches!(err, LoadError::Value { line: 202, .. }), "{err:?}");
    }
}
