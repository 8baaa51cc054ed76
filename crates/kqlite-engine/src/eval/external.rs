//! `externaldata`: the rows of each storage URI come from data the embedder
//! supplied ([`ExternalSources`]), parsed in the declared format and laid
//! out as the declared schema.
//!
//! Delimited formats (`csv`, `tsv`, `psv`, `scsv`) map fields to columns by
//! position, as Kusto's ingestion does without a mapping; JSON formats map
//! properties to columns by name; `txt` makes each line a record and `raw`
//! the whole text one record, both in the first column.

use std::collections::HashMap;
use std::sync::Arc;

use crate::bind::plan::ExternalSpec;
use crate::column::Column;
use crate::function::ColumnarValue;
use crate::io::{self, Format};
use crate::table::Table;

use super::{build_table, concat_tables, EvalError};

/// Data for `externaldata` URIs, keyed by the URI text as written in the
/// query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExternalSources {
    sources: HashMap<String, ExternalSource>,
}

/// The data behind one `externaldata` URI.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalSource {
    /// Raw file contents, parsed with the query's `format=` (or the URI's
    /// extension) when the query runs.
    Bytes(Arc<Vec<u8>>),
    /// Rows already loaded: columns are matched to the declared schema by
    /// name (missing ones read as nulls).
    Table(Arc<Table>),
}

impl ExternalSources {
    /// No data for any URI.
    pub fn new() -> ExternalSources {
        ExternalSources::default()
    }

    /// Supplies (or replaces) the data of `uri`.
    pub fn insert(&mut self, uri: impl Into<String>, source: ExternalSource) {
        self.sources.insert(uri.into(), source);
    }

    /// The data supplied for `uri`.
    pub fn get(&self, uri: &str) -> Option<&ExternalSource> {
        self.sources.get(uri)
    }

    /// Whether no URI has data.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// How a URI's bytes are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataFormat {
    Delimited(u8),
    Json,
    Text,
    Raw,
}

fn data_format(name: &str) -> Option<DataFormat> {
    Some(match name.to_ascii_lowercase().as_str() {
        "csv" => DataFormat::Delimited(b','),
        "tsv" | "tsve" => DataFormat::Delimited(b'\t'),
        "psv" => DataFormat::Delimited(b'|'),
        "scsv" => DataFormat::Delimited(b';'),
        "sohsv" => DataFormat::Delimited(0x01),
        "json" | "multijson" | "singlejson" => DataFormat::Json,
        "txt" => DataFormat::Text,
        "raw" => DataFormat::Raw,
        _ => return None,
    })
}

/// The format named by `uri`'s extension (before any `?` or `;`), else CSV.
fn format_from_uri(uri: &str) -> DataFormat {
    let path = uri.split(['?', ';']).next().unwrap_or(uri);
    let path = path.strip_suffix(".gz").unwrap_or(path);
    let path = path.strip_suffix(".zip").unwrap_or(path);
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.')
        .and_then(|(_, ext)| data_format(ext))
        .unwrap_or(DataFormat::Delimited(b','))
}

/// Reads every URI of `spec` from `sources` and concatenates the rows.
pub(crate) fn read(spec: &ExternalSpec, sources: &ExternalSources) -> Result<Table, EvalError> {
    let format = match &spec.format {
        Some(f) => Some(data_format(f).ok_or_else(|| EvalError::Invalid {
            span: spec.span,
            message: format!("`externaldata` format `{f}` is not supported"),
        })?),
        None => None,
    };
    let mut parts = Vec::with_capacity(spec.uris.len());
    for uri in &spec.uris {
        let source = sources
            .get(uri)
            .ok_or_else(|| EvalError::MissingExternalData {
                uri: uri.clone(),
                span: spec.span,
            })?;
        let table = match source {
            ExternalSource::Table(t) => Table::clone(t),
            ExternalSource::Bytes(bytes) => {
                let format = format.unwrap_or_else(|| format_from_uri(uri));
                parse_bytes(bytes, format, spec, uri)?
            }
        };
        parts.push(align(&table, spec)?);
    }
    match parts.len() {
        0 => align(&Table::empty(0), spec),
        1 => parts
            .pop()
            .ok_or_else(|| EvalError::Internal("externaldata part".into())),
        _ => concat_tables(parts)
            .ok_or_else(|| EvalError::Internal("externaldata parts disagree".into())),
    }
}

/// `table`'s columns in the declared order and types; absent ones null.
fn align(table: &Table, spec: &ExternalSpec) -> Result<Table, EvalError> {
    let rows = table.num_rows();
    let columns = spec
        .columns
        .iter()
        .map(|(name, ty)| {
            let col = match table.column(name) {
                Some(c) if c.data_type() == *ty => c.clone(),
                Some(c) => {
                    crate::kernels::convert::convert(&ColumnarValue::Column(c.clone()), *ty, rows)
                        .into_column(rows)
                }
                None => Arc::new(Column::nulls(*ty, rows)),
            };
            (name.clone(), col)
        })
        .collect();
    build_table(columns, rows)
}

fn load_error(spec: &ExternalSpec, e: io::LoadError) -> EvalError {
    EvalError::Invalid {
        span: spec.span,
        message: format!("`externaldata`: {e}"),
    }
}

fn parse_bytes(
    bytes: &[u8],
    format: DataFormat,
    spec: &ExternalSpec,
    uri: &str,
) -> Result<Table, EvalError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    let mut records: Vec<Vec<String>> = match format {
        DataFormat::Delimited(d) => io::csv::split_records(&text, d as char, uri)
            .map_err(|e| load_error(spec, e))?
            .into_iter()
            .map(|(_, record)| record)
            .collect(),
        DataFormat::Text => text
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| vec![l.to_string()])
            .collect(),
        DataFormat::Raw => vec![vec![text.to_string()]],
        DataFormat::Json => return parse_json(&text, spec, uri),
    };
    if spec.ignore_first_record && !records.is_empty() {
        records.remove(0);
    }
    // Re-emit as CSV with the declared names as the header, read every
    // field as text (JSON for `dynamic` columns); `align` then converts
    // each column to its declared type. A field that does not convert is
    // null, as in Kusto (e.g. a header row read as data).
    let mut csv = String::with_capacity(text.len() + 64);
    let names: Vec<&str> = spec.columns.iter().map(|(n, _)| n.as_str()).collect();
    push_csv_record(&mut csv, names.iter().copied(), names.len());
    for r in &records {
        push_csv_record(&mut csv, r.iter().map(String::as_str), names.len());
    }
    io::load_reader(csv.as_bytes(), Format::Csv, Some(&as_text(spec)), uri)
        .map_err(|e| load_error(spec, e))
}

/// The declared columns read as text, except `dynamic` ones.
fn as_text(spec: &ExternalSpec) -> Vec<(String, crate::types::DataType)> {
    use crate::types::DataType;
    spec.columns
        .iter()
        .map(|(n, t)| {
            let t = if *t == DataType::Dynamic {
                DataType::Dynamic
            } else {
                DataType::String
            };
            (n.clone(), t)
        })
        .collect()
}

/// Appends one CSV record of exactly `width` fields (extra fields are
/// dropped, missing ones empty).
fn push_csv_record<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>, width: usize) {
    let mut n = 0;
    for f in fields.take(width) {
        if n > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
        n += 1;
    }
    for i in n..width {
        if i > 0 {
            out.push(',');
        }
    }
    out.push('\n');
}

/// JSON: an array of objects, or objects one after another (one per line,
/// or spread over lines as `multijson` allows).
fn parse_json(text: &str, spec: &ExternalSpec, uri: &str) -> Result<Table, EvalError> {
    let invalid = |message: String| EvalError::Invalid {
        span: spec.span,
        message: format!("`externaldata`: {uri}: {message}"),
    };
    let mut values: Vec<serde_json::Value> = Vec::new();
    for v in serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>() {
        match v {
            Ok(serde_json::Value::Array(items)) => values.extend(items),
            Ok(v) => values.push(v),
            Err(e) => return Err(invalid(e.to_string())),
        }
    }
    if spec.ignore_first_record && !values.is_empty() {
        values.remove(0);
    }
    let mut lines = String::new();
    for v in &values {
        if !v.is_object() {
            return Err(invalid(format!("expected a JSON object, found {v}")));
        }
        lines.push_str(&v.to_string());
        lines.push('\n');
    }
    // Every property is read as `dynamic` and converted by `align`, so a
    // value of another type is null rather than an error.
    let dynamic: Vec<(String, crate::types::DataType)> = spec
        .columns
        .iter()
        .map(|(n, _)| (n.clone(), crate::types::DataType::Dynamic))
        .collect();
    io::load_reader(lines.as_bytes(), Format::JsonLines, Some(&dynamic), uri)
        .map_err(|e| load_error(spec, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimited_text_splits_quoted_fields_and_skips_blank_lines() {
        let got = io::csv::split_records("a,\"b,\"\"c\"\"\"\n\n1,\"x\ny\"\r\n", ',', "t.csv")
            .expect("splits");
        assert_eq!(
            got,
            vec![
                (1, vec!["a".to_string(), "b,\"c\"".to_string()]),
                (3, vec!["1".to_string(), "x\ny".to_string()])
            ]
        );
        let tabs = io::csv::split_records("a\tb\n", '\t', "t.tsv").expect("splits");
        assert_eq!(tabs, vec![(1, vec!["a".to_string(), "b".to_string()])]);
    }

    #[test]
    fn the_format_comes_from_the_uri_extension_before_the_query_string() {
        assert_eq!(
            format_from_uri("https://h/a/b.tsv?sig=1.csv"),
            DataFormat::Delimited(b'\t')
        );
        assert_eq!(format_from_uri("https://h/a/b.json"), DataFormat::Json);
        assert_eq!(format_from_uri("https://h/a/b.txt"), DataFormat::Text);
        assert_eq!(
            format_from_uri("https://h/a/list"),
            DataFormat::Delimited(b',')
        );
    }
}
