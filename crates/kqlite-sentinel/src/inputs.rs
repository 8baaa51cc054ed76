//! What a detection reads from outside its tables: the files behind its
//! `externaldata` operators, the watchlists behind `_GetWatchlist('name')`
//! and the geo-IP table behind `geo_info_from_ip_address`. `kqlite run`
//! takes them as flags and `kqlite test` as TOML keys; both build one
//! [`ExternalInputs`] and [`ExternalInputs::install`] it into the engine,
//! so they behave the same. Nothing is fetched: every input is a local file
//! or inline text, so a run is offline and deterministic.
//!
//! ```toml
//! # in a test file, for every case (a case may add or replace entries)
//! geoip = "fixtures/geo.csv"   # header: cidr,country,state,city,latitude,longitude
//! externaldata."https://example.invalid/iocs.csv" = { file = "fixtures/iocs.csv" }
//! externaldata."https://example.invalid/ua.txt" = { text = "curl/8.0\nxmrig/6.1\n" }
//! externaldata."https://example.invalid/list.json" = { rows = [{ Ip = "10.0.0.1" }] }
//! watchlists.VIPUsers = "fixtures/vip.csv"
//! watchlists.HighValueHosts = { file = "fixtures/hosts.csv", search_key = "Hostname" }
//! ```
//!
//! A watchlist CSV has a header row; `_GetWatchlist('name')` returns, as
//! Sentinel does, the columns [`WATCHLIST_COLUMNS`] (`_DTItemId`,
//! `LastUpdatedTimeUTC`, `SearchKey`, `WatchlistItem`) followed by the file's
//! own columns as strings. `SearchKey` holds the value of the search-key
//! column (the first column unless one is named); `WatchlistItem` is a
//! bag of every column of the item.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kqlite_engine::catalog::{FunctionParam, TabularFunction};
use kqlite_engine::GeoIpTable;
use kqlite_engine::{Column, DataType, Engine, Table};
use kqlite_parser::ast::StatementKind;
use kqlite_parser::Diagnostic;
use serde::Deserialize;

/// The workspace function that reads a watchlist.
pub const GET_WATCHLIST: &str = "_GetWatchlist";

/// The columns Sentinel's `_GetWatchlist` puts before a watchlist's own
/// columns, in its order and types.
pub const WATCHLIST_COLUMNS: [(&str, DataType); 4] = [
    ("_DTItemId", DataType::String),
    ("LastUpdatedTimeUTC", DataType::DateTime),
    ("SearchKey", DataType::String),
    ("WatchlistItem", DataType::Dynamic),
];

/// The data behind one `externaldata` URI or one watchlist.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A local file, read when installed.
    File(PathBuf),
    /// The contents, written inline.
    Text(String),
    /// Rows written inline (TOML tables as JSON objects).
    Rows(Vec<serde_json::Map<String, serde_json::Value>>),
}

/// A watchlist: its rows and the column `SearchKey` copies.
#[derive(Debug, Clone, PartialEq)]
pub struct Watchlist {
    /// A CSV file with a header, CSV text, or rows.
    pub source: Source,
    /// The search-key column; `None` takes the first column.
    pub search_key: Option<String>,
}

/// Everything a run reads besides its tables; see the module docs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExternalInputs {
    /// `externaldata` contents by URI, as the query writes it.
    pub externaldata: Vec<(String, Source)>,
    /// Watchlists by name (alias).
    pub watchlists: Vec<(String, Watchlist)>,
    /// A geo-IP CSV (`cidr,country,state,city,latitude,longitude`).
    pub geoip: Option<PathBuf>,
    /// The watchlist items' `LastUpdatedTimeUTC` (datetime ticks), e.g.
    /// the run's `now`; null when not set.
    pub now: Option<i64>,
}

impl ExternalInputs {
    /// The local files these inputs read.
    pub fn files(&self) -> impl Iterator<Item = &Path> + '_ {
        let data = self.externaldata.iter().map(|(_, s)| s);
        let lists = self.watchlists.iter().map(|(_, w)| &w.source);
        data.chain(lists)
            .filter_map(|s| match s {
                Source::File(p) => Some(p.as_path()),
                _ => None,
            })
            .chain(self.geoip.as_deref())
    }
}

/// Why an input could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A file could not be read.
    #[error("{what}: cannot read {}: {source}", path.display())]
    Io {
        /// What the file was for (e.g. "watchlist `VIP`").
        what: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file or inline value does not have the expected shape.
    #[error("{what}: {message}")]
    Invalid {
        /// What the input was for.
        what: String,
        /// What is wrong, with the line when known.
        message: String,
    },
}

fn invalid(what: &str, message: impl Into<String>) -> InputError {
    InputError::Invalid {
        what: what.to_string(),
        message: message.into(),
    }
}

impl ExternalInputs {
    /// Whether no input is given.
    pub fn is_empty(&self) -> bool {
        self.externaldata.is_empty() && self.watchlists.is_empty() && self.geoip.is_none()
    }

    /// Gives every input to `engine`. `_GetWatchlist` is declared if the
    /// engine does not know it yet, and serves watchlists only from these
    /// inputs: a query reading a watchlist not given fails while binding,
    /// naming the watchlist and the flag and key that give it.
    pub fn install(&self, engine: &mut Engine) -> Result<(), InputError> {
        for (uri, source) in &self.externaldata {
            let what = format!("externaldata `{uri}`");
            match source {
                Source::File(path) => engine.add_external_data(uri.clone(), read(&what, path)?),
                Source::Text(text) => engine.add_external_data(uri.clone(), text.clone().into()),
                Source::Rows(rows) => {
                    engine.add_external_table(uri.clone(), rows_table(&what, rows)?)
                }
            }
        }
        if engine.catalog().function(GET_WATCHLIST).is_none() {
            engine.catalog_mut().add_function(
                GET_WATCHLIST,
                TabularFunction {
                    params: vec![FunctionParam {
                        name: "watchlistAlias".into(),
                        ty: DataType::String,
                        required: true,
                    }],
                    schema: watchlist_columns(),
                },
            );
        }
        engine.serve_function_rows(
            GET_WATCHLIST,
            "pass --watchlist '{key}=PATH' (in a test: watchlists.{key} = \"PATH\"), a CSV file with a header",
        );
        for (name, list) in &self.watchlists {
            let table = watchlist_table(name, list, self.now)?;
            engine.add_function_rows(GET_WATCHLIST, name.clone(), table);
        }
        if let Some(path) = &self.geoip {
            let table =
                GeoIpTable::from_csv_file(path).map_err(|e| invalid("--geoip", e.to_string()))?;
            engine.set_geoip(table);
        }
        Ok(())
    }
}

/// `_GetWatchlist`'s columns before a watchlist's own ([`WATCHLIST_COLUMNS`]).
pub fn watchlist_columns() -> Vec<(String, DataType)> {
    WATCHLIST_COLUMNS
        .iter()
        .map(|(n, t)| (n.to_string(), *t))
        .collect()
}

fn read(what: &str, path: &Path) -> Result<Vec<u8>, InputError> {
    std::fs::read(path).map_err(|source| InputError::Io {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    })
}

/// Inline rows as a table of `dynamic` columns (in first-seen order): the
/// engine converts them to the types the query declares.
fn rows_table(
    what: &str,
    rows: &[serde_json::Map<String, serde_json::Value>],
) -> Result<Table, InputError> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        for k in row.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let schema: Vec<(String, DataType)> =
        names.into_iter().map(|n| (n, DataType::Dynamic)).collect();
    json_rows_table(what, rows, &schema)
}

/// Rows as JSON objects, typed by `schema` (columns in its order).
fn json_rows_table(
    what: &str,
    rows: &[serde_json::Map<String, serde_json::Value>],
    schema: &[(String, DataType)],
) -> Result<Table, InputError> {
    if rows.is_empty() {
        let columns = schema
            .iter()
            .map(|(n, t)| (n.clone(), Arc::new(Column::nulls(*t, 0))));
        return Table::try_new(columns).map_err(|e| invalid(what, e.to_string()));
    }
    let mut jsonl = String::new();
    for row in rows {
        jsonl.push_str(&serde_json::Value::Object(row.clone()).to_string());
        jsonl.push('\n');
    }
    kqlite_engine::io::load_reader(
        jsonl.as_bytes(),
        kqlite_engine::io::Format::JsonLines,
        Some(schema),
        what,
    )
    .map_err(|e| invalid(what, e.to_string()))
}

/// A watchlist's header and items, every value as text.
fn watchlist_records(
    what: &str,
    source: &Source,
) -> Result<(Vec<String>, Vec<Vec<String>>), InputError> {
    let text = match source {
        Source::File(path) => String::from_utf8_lossy(&read(what, path)?).into_owned(),
        Source::Text(t) => t.clone(),
        Source::Rows(rows) => {
            let mut header: Vec<String> = Vec::new();
            for row in rows {
                for k in row.keys() {
                    if !header.contains(k) {
                        header.push(k.clone());
                    }
                }
            }
            let items = rows
                .iter()
                .map(|row| {
                    header
                        .iter()
                        .map(|h| match row.get(h) {
                            None | Some(serde_json::Value::Null) => String::new(),
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                        })
                        .collect()
                })
                .collect();
            return Ok((header, items));
        }
    };
    let text = text.trim_start_matches('\u{feff}');
    let records = kqlite_engine::io::csv::split_records(text, ',', what)
        .map_err(|e| invalid(what, e.to_string()))?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(invalid(
            what,
            "the file is empty (a watchlist CSV needs a header row)",
        ));
    };
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
    let mut items = Vec::new();
    for (line, record) in records {
        if record.len() != header.len() {
            return Err(invalid(
                what,
                format!(
                    "line {line}: {} field(s), but the header has {}",
                    record.len(),
                    header.len()
                ),
            ));
        }
        items.push(record);
    }
    Ok((header, items))
}

/// The table `_GetWatchlist(name)` returns for `list`.
pub fn watchlist_table(
    name: &str,
    list: &Watchlist,
    updated: Option<i64>,
) -> Result<Table, InputError> {
    let what = format!("watchlist `{name}`");
    let (header, items) = watchlist_records(&what, &list.source)?;
    if let Some(h) = header.iter().find(|h| h.is_empty()) {
        let _ = h;
        return Err(invalid(&what, "the header has an empty column name"));
    }
    for (i, h) in header.iter().enumerate() {
        if WATCHLIST_COLUMNS.iter().any(|(c, _)| c == h) {
            return Err(invalid(
                &what,
                format!("column `{h}` clashes with a column `_GetWatchlist` adds"),
            ));
        }
        if header.iter().take(i).any(|p| p == h) {
            return Err(invalid(
                &what,
                format!("column `{h}` appears twice in the header"),
            ));
        }
    }
    let key = match &list.search_key {
        Some(k) => header.iter().position(|h| h == k).ok_or_else(|| {
            invalid(
                &what,
                format!(
                    "the search key `{k}` is not a column (the header has: {})",
                    header.join(", ")
                ),
            )
        })?,
        None if header.is_empty() => {
            return Err(invalid(&what, "the header names no column"));
        }
        None => 0,
    };
    let mut schema = watchlist_columns();
    schema.extend(header.iter().map(|h| (h.clone(), DataType::String)));
    let updated = updated.map(kqlite_engine::time::format_datetime);
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut bag = serde_json::Map::new();
            for (h, v) in header.iter().zip(item) {
                bag.insert(h.clone(), serde_json::Value::String(v.clone()));
            }
            let mut row = serde_json::Map::new();
            row.insert("_DTItemId".into(), item_id(name, i).into());
            row.insert(
                "LastUpdatedTimeUTC".into(),
                updated.clone().map_or(serde_json::Value::Null, Into::into),
            );
            row.insert(
                "SearchKey".into(),
                item.get(key).cloned().unwrap_or_default().into(),
            );
            row.insert(
                "WatchlistItem".into(),
                serde_json::Value::Object(bag.clone()),
            );
            row.extend(bag);
            row
        })
        .collect();
    json_rows_table(&what, &rows, &schema)
}

/// A stable GUID-shaped id for item `index` of watchlist `name` (FNV-1a).
fn item_id(name: &str, index: usize) -> String {
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in name.bytes().chain((index as u64).to_le_bytes()) {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let hex = format!("{h:032x}");
    let part = |a: usize, b: usize| hex.get(a..b).unwrap_or("0");
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

// ----- TOML keys of test files ----------------------------------------------

/// An `externaldata."URI"` entry of a test file: a file path, or a table
/// with one of `file`, `text` or `rows`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum DataSpec {
    /// `"fixtures/list.csv"`: a file, relative to the test file.
    Path(String),
    /// `{ file = ... }`, `{ text = ... }` or `{ rows = [...] }`.
    Table(DataTable),
}

/// The table form of a [`DataSpec`].
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataTable {
    /// A file, relative to the test file.
    pub file: Option<String>,
    /// The contents, inline.
    pub text: Option<String>,
    /// Rows, inline.
    pub rows: Option<Vec<toml::Table>>,
}

/// A `watchlists.NAME` entry of a test file: a CSV path, or a table with
/// `file`, `text` or `rows` and an optional `search_key`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum WatchlistSpec {
    /// `"fixtures/vip.csv"`: a CSV file with a header.
    Path(String),
    /// `{ file = ..., search_key = "Column" }` (or `text`/`rows`).
    Table(WatchlistTable),
}

/// The table form of a [`WatchlistSpec`].
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WatchlistTable {
    /// A CSV file with a header, relative to the test file.
    pub file: Option<String>,
    /// CSV text with a header, inline.
    pub text: Option<String>,
    /// Items, inline.
    pub rows: Option<Vec<toml::Table>>,
    /// The column `SearchKey` copies (default: the first).
    pub search_key: Option<String>,
}

/// The input keys of a test file or case (`externaldata`, `watchlists`,
/// `geoip`), as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct InputKeys {
    /// `externaldata."URI" = ...`.
    #[serde(default)]
    pub externaldata: BTreeMap<String, DataSpec>,
    /// `watchlists.NAME = ...`.
    #[serde(default)]
    pub watchlists: BTreeMap<String, WatchlistSpec>,
    /// `geoip = "file.csv"`.
    #[serde(default)]
    pub geoip: Option<String>,
}

fn toml_rows(rows: &[toml::Table]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    rows.iter()
        .map(|row| {
            row.iter()
                .map(|(k, v)| (k.clone(), crate::detection_test::toml_to_json(v)))
                .collect()
        })
        .collect()
}

/// One source out of `file`, `text` and `rows`; `key` names the entry in
/// errors.
fn one_source(
    key: &str,
    dir: &Path,
    file: &Option<String>,
    text: &Option<String>,
    rows: &Option<Vec<toml::Table>>,
) -> Result<Source, String> {
    match (file, text, rows) {
        (Some(f), None, None) => Ok(Source::File(dir.join(f))),
        (None, Some(t), None) => Ok(Source::Text(t.clone())),
        (None, None, Some(r)) => Ok(Source::Rows(toml_rows(r))),
        _ => Err(format!(
            "{key}: give exactly one of `file`, `text` or `rows`"
        )),
    }
}

impl InputKeys {
    /// The inputs these keys give, over `base` (a case's keys over its
    /// file's): entries of the same URI or name replace the base's, and
    /// paths are relative to `dir`.
    pub fn resolve(&self, dir: &Path, base: &ExternalInputs) -> Result<ExternalInputs, String> {
        let mut out = base.clone();
        for (uri, spec) in &self.externaldata {
            let key = format!("externaldata.\"{uri}\"");
            let source = match spec {
                DataSpec::Path(p) => Source::File(dir.join(p)),
                DataSpec::Table(t) => one_source(&key, dir, &t.file, &t.text, &t.rows)?,
            };
            out.externaldata.retain(|(u, _)| u != uri);
            out.externaldata.push((uri.clone(), source));
        }
        for (name, spec) in &self.watchlists {
            let key = format!("watchlists.{name}");
            let list = match spec {
                WatchlistSpec::Path(p) => Watchlist {
                    source: Source::File(dir.join(p)),
                    search_key: None,
                },
                WatchlistSpec::Table(t) => Watchlist {
                    source: one_source(&key, dir, &t.file, &t.text, &t.rows)?,
                    search_key: t.search_key.clone(),
                },
            };
            out.watchlists.retain(|(n, _)| n != name);
            out.watchlists.push((name.clone(), list));
        }
        if let Some(g) = &self.geoip {
            out.geoip = Some(dir.join(g));
        }
        Ok(out)
    }
}

// ----- command-line flags ------------------------------------------------

/// Reads `--externaldata URL=PATH` (split at the last `=`, as URLs may hold
/// `=` in their query string).
pub fn parse_externaldata_flag(arg: &str) -> Result<(String, Source), String> {
    match arg.rsplit_once('=') {
        Some((uri, path)) if !uri.trim().is_empty() && !path.is_empty() => {
            Ok((uri.trim().to_string(), Source::File(PathBuf::from(path))))
        }
        _ => Err(format!("--externaldata expects URL=PATH, got `{arg}`")),
    }
}

/// Reads `--watchlist NAME=PATH` or `--watchlist NAME:SEARCHKEY=PATH`.
pub fn parse_watchlist_flag(arg: &str) -> Result<(String, Watchlist), String> {
    let Some((name, path)) = arg.split_once('=') else {
        return Err(format!(
            "--watchlist expects NAME=PATH or NAME:SEARCHKEY=PATH, got `{arg}`"
        ));
    };
    let (name, key) = match name.split_once(':') {
        Some((n, k)) => (n.trim(), Some(k.trim().to_string())),
        None => (name.trim(), None),
    };
    if name.is_empty() || path.is_empty() || key.as_deref() == Some("") {
        return Err(format!(
            "--watchlist expects NAME=PATH or NAME:SEARCHKEY=PATH, got `{arg}`"
        ));
    }
    Ok((
        name.to_string(),
        Watchlist {
            source: Source::File(PathBuf::from(path)),
            search_key: key,
        },
    ))
}

// ----- `let` overrides -----------------------------------------------------

/// A `let` override that cannot be used: it does not parse, is not one
/// expression, or names no `let` of the query.
#[derive(Debug, Clone, PartialEq)]
pub struct LetError {
    /// The overridden name.
    pub name: String,
    /// The override's text.
    pub text: String,
    /// What is wrong; spans point into `text` (empty when the override as a
    /// whole is at fault).
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for LetError {
    /// The reason, then the override with a caret under the fault.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(d) = self.diagnostics.first() else {
            return write!(f, "the value given for `{}` cannot be used", self.name);
        };
        let mut out = format!("the value given for `{}`: {}", self.name, d.message);
        let prefix = format!("{} = ", self.name);
        let line = self.text.lines().next().unwrap_or("");
        let _ = write!(out, "\n  {prefix}{line}");
        let start = (d.span.start as usize).min(line.len());
        let end = (d.span.end as usize).clamp(start, line.len());
        let pad = prefix.len() + line.get(..start).map_or(start, |s| s.chars().count());
        let width = line.get(start..end).map_or(1, |s| s.chars().count().max(1));
        let _ = write!(out, "\n  {}{}", " ".repeat(pad), "^".repeat(width));
        if let Some(h) = &d.hint {
            let _ = write!(out, "\n  help: {h}");
        }
        f.write_str(&out)
    }
}

/// Checks each override of `query` before it runs, so an error points at
/// the override (its name, its text, a caret inside it) rather than at the
/// query: it must parse as one expression, scalar or tabular (`7d`,
/// `datatable(Ip: string) ["10.0.0.1"]`), and the query must have a `let`
/// or query parameter of that name (when the query itself parses).
pub fn check_lets(query: &str, lets: &[(String, String)]) -> Result<(), LetError> {
    let defined: Option<Vec<String>> = kqlite_parser::parse(query).ok().map(|script| {
        let mut names = Vec::new();
        for s in &script.statements {
            match &s.kind {
                StatementKind::Let(l) => names.push(l.name.name.clone()),
                StatementKind::DeclareQueryParameters(ps) => {
                    names.extend(ps.iter().map(|p| p.name.name.clone()))
                }
                _ => {}
            }
        }
        names
    });
    for (name, text) in lets {
        let fail = |d: Diagnostic| LetError {
            name: name.clone(),
            text: text.clone(),
            diagnostics: vec![d],
        };
        let script = kqlite_parser::parse(text).map_err(|e| LetError {
            name: name.clone(),
            text: text.clone(),
            diagnostics: e.diagnostics().to_vec(),
        })?;
        let single = matches!(
            script.statements.as_slice(),
            [s] if matches!(s.kind, StatementKind::Query(_))
        );
        if !single {
            return Err(fail(Diagnostic::error(
                kqlite_engine::engine::codes::BAD_OVERRIDE,
                "not a single expression",
                script.span,
            )));
        }
        if let Some(defined) = &defined {
            if !defined.iter().any(|d| d == name) {
                let mut d = Diagnostic::error(
                    kqlite_engine::engine::codes::BAD_OVERRIDE,
                    format!("the query has no `let` or query parameter named `{name}`"),
                    kqlite_parser::Span::new(0, text.len()),
                );
                if let Some(c) =
                    kqlite_engine::did_you_mean(name, defined.iter().map(String::as_str))
                {
                    d = d.with_hint(format!("did you mean `{c}`?"));
                }
                return Err(fail(d));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv_list(text: &str, key: Option<&str>) -> Watchlist {
        Watchlist {
            source: Source::Text(text.to_string()),
            search_key: key.map(str::to_string),
        }
    }

    #[test]
    fn a_watchlist_has_sentinels_columns_then_its_own() {
        let t = watchlist_table(
            "VIP",
            &csv_list("Upn,Tier\nana@contoso.com,1\n", Some("Upn")),
            None,
        )
        .expect("loads");
        let names: Vec<&str> = t.column_names().collect();
        assert_eq!(
            names,
            [
                "_DTItemId",
                "LastUpdatedTimeUTC",
                "SearchKey",
                "WatchlistItem",
                "Upn",
                "Tier"
            ]
        );
        let types: Vec<DataType> = t.schema().into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            types,
            [
                DataType::String,
                DataType::DateTime,
                DataType::String,
                DataType::Dynamic,
                DataType::String,
                DataType::String
            ]
        );
        assert_eq!(
            t.column("Tier").map(|c| c.get(0).to_string()),
            Some("1".to_string())
        );
    }

    #[test]
    fn item_ids_are_stable_and_differ_between_items() {
        assert_eq!(item_id("VIP", 0), item_id("VIP", 0));
        assert_ne!(item_id("VIP", 0), item_id("VIP", 1));
        assert_ne!(item_id("VIP", 0), item_id("Other", 0));
        assert_eq!(item_id("VIP", 3).len(), 36);
    }

    #[test]
    fn a_watchlist_row_with_too_many_fields_names_its_line() {
        let err =
            watchlist_table("W", &csv_list("a,b\n1,2\n3,4,5\n", None), None).expect_err("bad row");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn an_unknown_search_key_lists_the_columns() {
        let err =
            watchlist_table("W", &csv_list("a,b\n1,2\n", Some("c")), None).expect_err("bad key");
        assert!(err.to_string().contains("the header has: a, b"), "{err}");
    }

    #[test]
    fn externaldata_flags_split_at_the_last_equals_sign() {
        let (uri, src) =
            parse_externaldata_flag("https://h/x.csv?sig=abc=iocs.csv").expect("parses");
        assert_eq!(uri, "https://h/x.csv?sig=abc");
        assert_eq!(src, Source::File(PathBuf::from("iocs.csv")));
        assert!(parse_externaldata_flag("no-equals").is_err());
    }

    #[test]
    fn a_watchlist_flag_may_name_its_search_key() {
        let (name, list) = parse_watchlist_flag("VIP:Upn=vip.csv").expect("parses");
        assert_eq!(name, "VIP");
        assert_eq!(list.search_key.as_deref(), Some("Upn"));
        assert!(parse_watchlist_flag("VIP:=vip.csv").is_err());
    }

    #[test]
    fn a_bad_override_names_itself_and_points_inside_its_text() {
        let err = check_lets("let X = 1; print X", &[("X".into(), "2x".into())])
            .expect_err("does not parse");
        let text = err.to_string();
        assert!(text.starts_with("the value given for `X`"), "{text}");
        assert!(text.contains("X = 2x"), "{text}");
        let caret = text.lines().nth(2).unwrap_or("");
        assert!(caret.trim_start().starts_with('^'), "{text}");
        assert!(caret.find('^') >= Some("  X = ".len()), "{text}");
    }

    #[test]
    fn an_override_of_a_missing_let_suggests_the_nearest_name() {
        let err = check_lets(
            "let Allowed = 1; print Allowed",
            &[("Alowed".into(), "2".into())],
        )
        .expect_err("unknown");
        assert!(err.to_string().contains("did you mean `Allowed`?"), "{err}");
        assert!(check_lets(
            "let Allowed = datatable(Ip: string) []; Allowed",
            &[(
                "Allowed".into(),
                "datatable(Ip: string) [\"10.0.0.1\"]".into()
            )]
        )
        .is_ok());
    }
}
