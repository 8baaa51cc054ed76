//! JSON loaders: JSON Lines, arrays of objects and Log Analytics responses.
//!
//! Values are deserialized with serde seeds straight into the column
//! accumulators: no per-row map or `serde_json::Value` is built, and strings
//! without escapes are borrowed from the input.

use std::fmt;
use std::io::BufRead;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::accum::{Cell, CellError, TableAcc};
use super::dynamic::{DynamicSeed, DynamicVisitor};
use super::scan::Scanner;
use super::{read_line, LoadError, Loaded};
use crate::table::Table;
use crate::types::DataType;

/// A map key of the document structure.
struct KeyText;

impl<'de> DeserializeSeed<'de> for KeyText {
    type Value = Arc<str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(KeyTextVisitor)
    }
}

struct KeyTextVisitor;

impl Visitor<'_> for KeyTextVisitor {
    type Value = Arc<str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Arc<str>, E> {
        Ok(Arc::from(v))
    }
}

/// Loader state threaded through the seeds: the columns and the first
/// data error met (serde only carries a message).
struct State<'a> {
    acc: &'a mut TableAcc,
    error: Option<CellError>,
}

impl State<'_> {
    fn push<E: de::Error>(&mut self, col: usize, cell: &Cell<'_>) -> Result<(), E> {
        match self.acc.push(col, cell) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.error = Some(e);
                Err(E::custom("value does not fit its column"))
            }
        }
    }
}

/// Deserializes one value into column `col`.
struct CellSeed<'s, 'a> {
    state: &'s mut State<'a>,
    col: usize,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if !self.state.acc.is_dynamic(self.col) {
            return d.deserialize_any(self);
        }
        // A `dynamic` cell is read as its JSON text first, so a value seen
        // before (a `LocationDetails` bag repeats across millions of rows)
        // is neither parsed nor allocated again.
        let raw = <&'de serde_json::value::RawValue as serde::Deserialize<'de>>::deserialize(d)?;
        let text = raw.get();
        if !text.starts_with(['{', '[']) {
            let mut de = serde_json::Deserializer::from_str(text);
            return de::Deserializer::deserialize_any(&mut de, self).map_err(de::Error::custom);
        }
        if let Some(shared) = self.state.acc.shared_dynamic(self.col, text) {
            return self.state.push(self.col, &Cell::Nested(shared));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        let parsed = DynamicSeed(&mut self.state.acc.keys)
            .deserialize(&mut de)
            .map_err(de::Error::custom)?;
        self.state.acc.share_dynamic(self.col, text, &parsed);
        self.state.push(self.col, &Cell::Nested(parsed))
    }
}

impl<'de> Visitor<'de> for CellSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.state.push(self.col, &Cell::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.state.push(self.col, &Cell::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.state.push(self.col, &Cell::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.state.push(self.col, &Cell::Long(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        let cell = i64::try_from(v).map_or(Cell::Real(v as f64), Cell::Long);
        self.state.push(self.col, &cell)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.state.push(self.col, &Cell::Real(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.state.push(self.col, &Cell::Str(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let d = DynamicVisitor(&mut self.state.acc.keys).visit_seq(seq)?;
        self.state.push(self.col, &Cell::Nested(d))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let d = DynamicVisitor(&mut self.state.acc.keys).visit_map(map)?;
        self.state.push(self.col, &Cell::Nested(d))
    }
}

/// Deserializes a key and returns its column index.
struct ColumnKeySeed<'s, 'a> {
    state: &'s mut State<'a>,
    guess: usize,
}

impl<'de> DeserializeSeed<'de> for ColumnKeySeed<'_, '_> {
    type Value = usize;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for ColumnKeySeed<'_, '_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E>(self, v: &str) -> Result<usize, E> {
        Ok(self.state.acc.column_guess(v, self.guess))
    }
}

/// Deserializes one JSON object as a row.
struct ObjectRowSeed<'s, 'a> {
    state: &'s mut State<'a>,
}

impl<'de> DeserializeSeed<'de> for ObjectRowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectRowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut guess = 0;
        while let Some(col) = map.next_key_seed(ColumnKeySeed {
            state: self.state,
            guess,
        })? {
            map.next_value_seed(CellSeed {
                state: self.state,
                col,
            })?;
            guess = col.saturating_add(1);
        }
        self.state.acc.end_row();
        Ok(())
    }
}

/// Converts a serde_json error into a load error, preferring the data error
/// stashed by the seeds.
fn json_error(
    e: &serde_json::Error,
    cell: Option<CellError>,
    path: &str,
    line: usize,
) -> LoadError {
    match cell {
        Some(cell) => cell_error(cell, path, line),
        None => LoadError::Syntax {
            path: path.to_string(),
            line,
            column: e.column(),
            message: strip_position(&e.to_string()),
        },
    }
}

/// The load error of a value that does not fit its column.
fn cell_error(cell: CellError, path: &str, line: usize) -> LoadError {
    let path = path.to_string();
    match cell {
        CellError::Mismatch {
            column,
            expected,
            found,
        } => LoadError::Value {
            path,
            line,
            column,
            expected,
            found,
        },
        CellError::Duplicate(column) => LoadError::DuplicateColumn { path, line, column },
    }
}

/// Drops serde_json's ` at line L column C` suffix (the error has its own).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message.get(..i).unwrap_or(message).to_string(),
        None => message.to_string(),
    }
}

fn describe_start(bytes: &[u8]) -> String {
    match bytes.first() {
        Some(b'[') => "an array".to_string(),
        Some(b'"') => "a string".to_string(),
        Some(b't' | b'f') => "a bool".to_string(),
        Some(b'n') => "null".to_string(),
        Some(b'-' | b'0'..=b'9') => "a number".to_string(),
        _ => "text that is not JSON".to_string(),
    }
}

/// Loads JSON Lines: one object per line; blank lines are skipped. When
/// `lenient`, a line that cannot be used is left out and reported instead of
/// failing the load.
pub(crate) fn load_jsonl(
    reader: impl BufRead,
    schema: Option<&[(String, DataType)]>,
    path: &str,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    load_jsonl_lines(reader, schema, path, 1, lenient)
}

/// Loads JSON Lines whose first line is line `first_line` of the source.
pub(crate) fn load_jsonl_lines(
    reader: impl BufRead,
    schema: Option<&[(String, DataType)]>,
    path: &str,
    first_line: usize,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    load_jsonl_lines_into(TableAcc::new(schema), reader, path, first_line, lenient)
}

/// [`load_jsonl_lines`] into a given accumulator (e.g. a sparse one).
pub(crate) fn load_jsonl_lines_into(
    mut acc: TableAcc,
    mut reader: impl BufRead,
    path: &str,
    first_line: usize,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    let mut rejected = Vec::new();
    let mut buf = Vec::with_capacity(4096);
    let mut line = first_line.saturating_sub(1);
    let mut scanner = Scanner::default();
    while read_line(&mut reader, &mut buf, path)? {
        line += 1;
        let text = if line == 1 { without_bom(&buf) } else { &buf };
        take_line(
            &mut acc,
            &mut scanner,
            &mut rejected,
            text,
            path,
            line,
            lenient,
        )?;
    }
    finish_lines(acc, rejected, path)
}

/// `bytes` without a leading UTF-8 byte-order mark.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// [`load_jsonl_lines_into`] over JSON Lines already in memory: each line
/// is parsed where it lies, without being copied. Also gives the number of
/// lines read. A byte-order mark is dropped only when `bytes` starts the
/// file.
pub(crate) fn load_jsonl_slice_into(
    mut acc: TableAcc,
    bytes: &[u8],
    path: &str,
    first_line: usize,
    starts_file: bool,
    lenient: bool,
) -> Result<(Loaded, usize), LoadError> {
    let mut rejected = Vec::new();
    let mut line = first_line.saturating_sub(1);
    let mut scanner = Scanner::default();
    let mut rest = if starts_file {
        without_bom(bytes)
    } else {
        bytes
    };
    while !rest.is_empty() {
        let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |k| k + 1);
        let (text, tail) = rest.split_at(end);
        rest = tail;
        line += 1;
        take_line(
            &mut acc,
            &mut scanner,
            &mut rejected,
            text,
            path,
            line,
            lenient,
        )?;
    }
    let lines = line + 1 - first_line.max(1);
    finish_lines(acc, rejected, path).map(|loaded| (loaded, lines))
}

/// Loads one line as a row; a lenient load sets an unusable line aside.
fn take_line(
    acc: &mut TableAcc,
    scanner: &mut Scanner,
    rejected: &mut Vec<LoadError>,
    text: &[u8],
    path: &str,
    line: usize,
    lenient: bool,
) -> Result<(), LoadError> {
    let row = acc.rows();
    if let Err(e) = load_json_line(acc, scanner, text, path, line) {
        if !lenient {
            return Err(e);
        }
        acc.reject_row(row);
        rejected.push(e);
    }
    Ok(())
}

fn finish_lines(acc: TableAcc, rejected: Vec<LoadError>, path: &str) -> Result<Loaded, LoadError> {
    let table = acc.finish().map_err(|source| LoadError::Table {
        path: path.to_string(),
        source,
    })?;
    Ok(Loaded { table, rejected })
}

/// Loads line `line` (its bytes `buf`) of a JSON Lines source as one row.
fn load_json_line(
    acc: &mut TableAcc,
    scanner: &mut Scanner,
    buf: &[u8],
    path: &str,
    line: usize,
) -> Result<(), LoadError> {
    let Ok(text) = std::str::from_utf8(buf) else {
        return Err(LoadError::InvalidUtf8 {
            path: path.to_string(),
            line,
        });
    };
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Ok(());
    }
    if !trimmed.starts_with('{') {
        return Err(LoadError::NotAnObject {
            path: path.to_string(),
            line,
            column: text.len() - trimmed.len() + 1,
            found: describe_start(trimmed.as_bytes()),
        });
    }
    if super::scan::enabled() {
        if let Some(pushed) = scanner.load_line(text, acc) {
            return pushed.map_err(|e| cell_error(e, path, line));
        }
    }
    let mut state = State { acc, error: None };
    let mut de = serde_json::Deserializer::from_str(text);
    let result = ObjectRowSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        return Err(json_error(&e, state.error, path, line));
    }
    Ok(())
}

/// Deserializes a JSON array of objects as rows.
struct ArrayRowsSeed<'s, 'a> {
    state: &'s mut State<'a>,
}

impl<'de> DeserializeSeed<'de> for ArrayRowsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArrayRowsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(ObjectRowSeed { state: self.state })?
            .is_some()
        {}
        Ok(())
    }
}

fn utf8_error_line(bytes: &[u8], path: &str) -> LoadError {
    let valid = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |s| s.len());
    let line = 1 + bytes
        .get(..valid)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    LoadError::InvalidUtf8 {
        path: path.to_string(),
        line,
    }
}

/// Loads a JSON array of objects.
pub(crate) fn load_array(
    bytes: &[u8],
    schema: Option<&[(String, DataType)]>,
    path: &str,
) -> Result<Table, LoadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(utf8_error_line(bytes, path));
    };
    let mut acc = TableAcc::new(schema);
    let mut state = State {
        acc: &mut acc,
        error: None,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let result = ArrayRowsSeed { state: &mut state }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(e) = result {
        return Err(json_error(&e, state.error, path, e.line()));
    }
    acc.finish().map_err(|source| LoadError::Table {
        path: path.to_string(),
        source,
    })
}

/// Maps a Log Analytics / Kusto column type (KQL or .NET name, as the query
/// APIs and advanced hunting write them) to a type. Names are matched
/// without regard to case (`DateTime`, `Int64`, `Object`, `Dynamic`).
fn la_type(name: &str) -> Option<DataType> {
    if let Some(t) = DataType::from_name(name) {
        return Some(t);
    }
    let lower = name.trim().to_ascii_lowercase();
    let short = lower.strip_prefix("system.").unwrap_or(&lower);
    DataType::from_name(short).or(match short {
        "sbyte" => Some(DataType::Bool),
        "byte" | "int16" | "uint16" | "int32" => Some(DataType::Int),
        "uint32" | "int64" => Some(DataType::Long),
        "single" | "uint64" => Some(DataType::Real),
        "sqldecimal" | "data.sqltypes.sqldecimal" => Some(DataType::Decimal),
        "object" => Some(DataType::Dynamic),
        _ => None,
    })
}

/// A declared column of a Log Analytics table.
#[derive(Debug, Default)]
struct LaColumn {
    name: Option<String>,
    kql_type: Option<String>,
    dotnet_type: Option<String>,
}

struct LaColumnSeed;

impl<'de> DeserializeSeed<'de> for LaColumnSeed {
    type Value = LaColumn;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<LaColumn, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LaColumnSeed {
    type Value = LaColumn;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column object with a name and a type")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LaColumn, A::Error> {
        let mut c = LaColumn::default();
        while let Some(key) = map.next_key_seed(KeyText)? {
            match &*key {
                "name" | "Name" | "ColumnName" => c.name = Some(map.next_value()?),
                "type" | "Type" | "ColumnType" => c.kql_type = Some(map.next_value()?),
                "DataType" => c.dotnet_type = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(c)
    }
}

/// What went wrong while reading a Log Analytics document's structure.
#[derive(Debug)]
enum LaProblem {
    Shape(String),
    UnknownType { column: String, found: String },
    FieldCount { expected: usize, found: usize },
}

/// State for the Log Analytics reader.
struct LaState<'a> {
    state: State<'a>,
    /// Column index in the accumulator of each declared column, once seen.
    columns: Option<Vec<usize>>,
    problem: Option<LaProblem>,
    tables_seen: bool,
}

impl LaState<'_> {
    fn fail<E: de::Error>(&mut self, p: LaProblem) -> E {
        self.problem = Some(p);
        E::custom("malformed Log Analytics response")
    }
}

struct LaDocSeed<'s, 'a>(&'s mut LaState<'a>);

impl<'de> DeserializeSeed<'de> for LaDocSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LaDocSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Log Analytics response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeyText)? {
            let st = &mut *self.0;
            match &*key {
                "tables" | "Tables" if !st.tables_seen => {
                    st.tables_seen = true;
                    map.next_value_seed(LaTablesSeed(st))?;
                }
                // The advanced hunting response: `Schema`, then `Results`
                // as objects keyed by column name.
                "Schema" | "schema" if !st.tables_seen && st.columns.is_none() => {
                    let decl: Vec<LaColumn> = map.next_value_seed(LaColumnsSeed)?;
                    declare_columns(st, decl)?;
                }
                "Results" | "results" if !st.tables_seen => {
                    if st.columns.is_none() {
                        return Err(st.fail(LaProblem::Shape(
                            "the results come before their schema".into(),
                        )));
                    }
                    map.next_value_seed(ArrayRowsSeed {
                        state: &mut st.state,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct LaTablesSeed<'s, 'a>(&'s mut LaState<'a>);

impl<'de> DeserializeSeed<'de> for LaTablesSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LaTablesSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // The first table is the primary result; later ones (query
        // statistics, visualization hints) are skipped.
        if seq.next_element_seed(LaTableSeed(&mut *self.0))?.is_some() {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(())
    }
}

struct LaTableSeed<'s, 'a>(&'s mut LaState<'a>);

impl<'de> DeserializeSeed<'de> for LaTableSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LaTableSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key_seed(KeyText)? {
            match &*key {
                "columns" | "Columns" => {
                    let decl: Vec<LaColumn> = map.next_value_seed(LaColumnsSeed)?;
                    declare_columns(st, decl)?;
                }
                "rows" | "Rows" => {
                    if st.columns.is_none() {
                        return Err(st.fail(LaProblem::Shape(
                            "a table lists its rows before its columns".into(),
                        )));
                    }
                    map.next_value_seed(LaRowsSeed(&mut *st))?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Creates the declared columns (typed by their declared types).
fn declare_columns<E: de::Error>(st: &mut LaState<'_>, decl: Vec<LaColumn>) -> Result<(), E> {
    let mut idx = Vec::with_capacity(decl.len());
    for c in decl {
        let Some(name) = c.name else {
            return Err(st.fail(LaProblem::Shape("a column has no name".into())));
        };
        let type_name = c.kql_type.or(c.dotnet_type).unwrap_or_default();
        let Some(ty) = la_type(&type_name) else {
            return Err(st.fail(LaProblem::UnknownType {
                column: name,
                found: type_name,
            }));
        };
        idx.push(st.state.acc.column(&name, Some(ty)));
    }
    st.columns = Some(idx);
    Ok(())
}

struct LaColumnsSeed;

impl<'de> DeserializeSeed<'de> for LaColumnsSeed {
    type Value = Vec<LaColumn>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Vec<LaColumn>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LaColumnsSeed {
    type Value = Vec<LaColumn>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of columns")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<LaColumn>, A::Error> {
        let mut out = Vec::new();
        while let Some(c) = seq.next_element_seed(LaColumnSeed)? {
            out.push(c);
        }
        Ok(out)
    }
}

struct LaRowsSeed<'s, 'a>(&'s mut LaState<'a>);

impl<'de> DeserializeSeed<'de> for LaRowsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LaRowsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(LaRowSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct LaRowSeed<'s, 'a>(&'s mut LaState<'a>);

impl<'de> DeserializeSeed<'de> for LaRowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LaRowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        let columns = st.columns.take().unwrap_or_default();
        let mut n = 0;
        let result = (|| {
            loop {
                let Some(&col) = columns.get(n) else {
                    // More cells than columns?
                    return match seq.next_element::<IgnoredAny>()? {
                        Some(_) => {
                            let mut found = n + 1;
                            while seq.next_element::<IgnoredAny>()?.is_some() {
                                found += 1;
                            }
                            Err(st.fail(LaProblem::FieldCount {
                                expected: columns.len(),
                                found,
                            }))
                        }
                        None => Ok(()),
                    };
                };
                if seq
                    .next_element_seed(CellSeed {
                        state: &mut st.state,
                        col,
                    })?
                    .is_none()
                {
                    return Err(st.fail(LaProblem::FieldCount {
                        expected: columns.len(),
                        found: n,
                    }));
                }
                n += 1;
            }
        })();
        st.columns = Some(columns);
        result?;
        st.state.acc.end_row();
        Ok(())
    }
}

/// Loads a Log Analytics query-API response (its first table) or an
/// advanced hunting API response (`Schema` and `Results`).
pub(crate) fn load_log_analytics(
    bytes: &[u8],
    schema: Option<&[(String, DataType)]>,
    path: &str,
) -> Result<Table, LoadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(utf8_error_line(bytes, path));
    };
    let mut acc = TableAcc::new(schema);
    let mut la = LaState {
        state: State {
            acc: &mut acc,
            error: None,
        },
        columns: None,
        problem: None,
        tables_seen: false,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let result = LaDocSeed(&mut la)
        .deserialize(&mut de)
        .and_then(|()| de.end());
    let owned = path.to_string();
    if let Err(e) = result {
        return Err(match la.problem.take() {
            Some(LaProblem::Shape(message)) => LoadError::Shape {
                path: owned,
                message,
            },
            Some(LaProblem::UnknownType { column, found }) => LoadError::UnknownType {
                path: owned,
                column,
                found,
            },
            Some(LaProblem::FieldCount { expected, found }) => LoadError::FieldCount {
                path: owned,
                line: e.line(),
                expected,
                found,
            },
            None => json_error(&e, la.state.error.take(), path, e.line()),
        });
    }
    if la.columns.is_none() {
        return Err(LoadError::Shape {
            path: owned,
            message: "no table with columns found (expected {\"tables\":[{\"columns\":[..],\"rows\":[..]}]} or {\"Schema\":[..],\"Results\":[..]})".into(),
        });
    }
    acc.finish().map_err(|source| LoadError::Table {
        path: owned,
        source,
    })
}
