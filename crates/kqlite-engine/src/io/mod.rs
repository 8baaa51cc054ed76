//! Table loaders and writers.
//!
//! Loaders read JSON Lines, a JSON array of objects, the Log Analytics
//! query-API response shape and CSV into columnar [`Table`]s, pushing values
//! straight into column builders. Column types come from a known schema when
//! one is given, else from the file (the Log Analytics shape carries its own
//! types) or are inferred conservatively; see [`load_reader`].
//!
//! Writers print a [`Table`] as an aligned text table, as Log Analytics JSON,
//! as JSON Lines or as CSV. Each formats cells straight into a byte buffer
//! that is handed to the output in large chunks.
//!
//! Datetimes are written in ISO 8601 UTC with trailing zero fraction digits
//! trimmed, as the Log Analytics query API returns them
//! (`2024-01-01T00:00:00Z`, `2015-12-31T23:59:59.9Z`); timespans as
//! `[-][d.]hh:mm:ss[.fffffff]`.

mod accum;
#[cfg(feature = "arrow")]
pub mod arrow;
mod blocks;
pub mod csv;
mod dynamic;
mod exports;
mod guard;
mod json;
#[cfg(feature = "arrow")]
pub mod parquet;
mod scan;
mod write;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

pub use guard::MAX_LINE_BYTES;

use crate::eval::memory::{MemoryPool, MemoryReservation};
use crate::table::{Table, TableError};
use crate::types::DataType;

pub use write::{
    write_csv, write_csv_with, write_json, write_jsonl, write_table_text, CsvOptions, TextOptions,
};

/// An input file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    JsonLines,
    /// A JSON array of objects.
    JsonArray,
    /// The Log Analytics query-API response:
    /// `{"tables":[{"name":..,"columns":[{"name":..,"type":..}],"rows":[[..]]}]}`
    /// (the Kusto v1 REST form with `Tables`/`Columns`/`Rows`, `ColumnName`
    /// and `ColumnType`/`DataType` keys is accepted too), and the Defender
    /// XDR advanced hunting API response
    /// `{"Schema":[{"Name":..,"Type":..}],"Results":[{..}]}` (or Microsoft
    /// Graph's `schema`/`results`).
    LogAnalytics,
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// Apache Parquet (`.parquet`); needs the `arrow` feature.
    Parquet,
    /// An Arrow IPC file (`.arrow`, Feather v2 `.feather`) or stream
    /// (`.arrows`); needs the `arrow` feature.
    ArrowIpc,
}

/// Why a table could not be loaded. Every variant names the source (a file
/// path or the name given to [`load_reader`]); bad data also names the line.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The source.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The file extension names no supported format.
    #[error("{path}: cannot tell the format from the extension (expected .jsonl, .ndjson, .json, .csv, .parquet, .arrow, .feather or .arrows)")]
    UnknownFormat {
        /// The source.
        path: String,
    },
    /// The text is not valid UTF-8.
    #[error("{path}:{line}: the text is not valid UTF-8")]
    InvalidUtf8 {
        /// The source.
        path: String,
        /// 1-based line number.
        line: usize,
    },
    /// The text is not well-formed JSON or CSV.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The source.
        path: String,
        /// 1-based line number.
        line: usize,
        /// 1-based byte column within the line (0 when unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A JSON Lines line or JSON array element is not an object.
    #[error("{path}:{line}:{column}: expected a JSON object, found {found}")]
    NotAnObject {
        /// The source.
        path: String,
        /// 1-based line number.
        line: usize,
        /// 1-based byte column where the value starts.
        column: usize,
        /// What was there instead.
        found: String,
    },
    /// A quoted CSV field is never closed, so everything from its opening
    /// quote to the end of the input was read into it.
    #[error("{path}:{line}:{column}: this quoted field is never closed: the {lines} line{s} from here to the end of the input were read into it", s = if *lines == 1 { "" } else { "s" })]
    UnclosedQuote {
        /// The source.
        path: String,
        /// 1-based line of the opening quote.
        line: usize,
        /// 1-based byte column of the opening quote.
        column: usize,
        /// Lines from the opening quote's through the last.
        lines: usize,
    },
    /// A value does not fit its column's type.
    #[error("{path}:{line}: column `{column}`: expected {expected}, found {found}")]
    Value {
        /// The source.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The column name.
        column: String,
        /// The column type.
        expected: DataType,
        /// The offending value.
        found: String,
    },
    /// A record has a different number of fields than the header declares.
    #[error("{path}:{line}: expected {expected} fields, found {found}")]
    FieldCount {
        /// The source.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The header's field count.
        expected: usize,
        /// The record's field count.
        found: usize,
    },
    /// A record names the same column twice.
    #[error("{path}:{line}: column `{column}` appears twice")]
    DuplicateColumn {
        /// The source.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The repeated name.
        column: String,
    },
    /// A Log Analytics column declares a type kqlite does not know.
    #[error("{path}: column `{column}` has unknown type `{found}`")]
    UnknownType {
        /// The source.
        path: String,
        /// The column name.
        column: String,
        /// The declared type.
        found: String,
    },
    /// The document is valid JSON but not of the expected shape (for
    /// example a Log Analytics response without tables, or rows before
    /// columns).
    #[error("{path}: {message}")]
    Shape {
        /// The source.
        path: String,
        /// What is missing or misplaced.
        message: String,
    },
    /// Loading would take more memory than the budget
    /// ([`LoadOptions::max_memory`]) allows; nothing past it was built.
    #[error("{path}: E1107: loading this table would take more memory than the budget of {} allows; raise the memory budget or load a smaller file", mib(*limit))]
    OutOfMemory {
        /// The source.
        path: String,
        /// The budget in bytes.
        limit: usize,
    },
    /// The columns could not be assembled into a table.
    #[error("{path}: {source}")]
    Table {
        /// The source.
        path: String,
        /// The underlying error.
        source: TableError,
    },
}

/// How a load treats records it cannot use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Leave out (and report in [`Loaded::rejected`]) each JSON Lines line
    /// or CSV record that cannot be used: invalid UTF-8, bad syntax, not an
    /// object, a value of the wrong type, a repeated key, the wrong number of
    /// fields. Without it (the default) the first such record fails the
    /// load. Problems with a whole file (unreadable, unknown format, a CSV
    /// header, the shape or syntax of a JSON array or Log Analytics
    /// document, which cannot be resumed after an error) always fail it.
    /// A rejected record's values may still have counted toward the column
    /// types inferred for a file without a schema.
    pub lenient: bool,
    /// With a schema, create only the schema columns the input has (typed
    /// by the schema) instead of adding the others as all-null columns.
    /// Register the result with
    /// [`Engine::add_table_with_schema`](crate::Engine::add_table_with_schema),
    /// which reads the missing columns as nulls without storing them.
    pub sparse: bool,
    /// Threads parsing JSON Lines files (`0` = every core, up to 8).
    pub threads: usize,
    /// Fail (an I/O error of kind `TimedOut`) once this instant passes,
    /// checked on every read of the input.
    pub deadline: Option<std::time::Instant>,
    /// The load's memory budget in bytes (`None`: no budget). Text is
    /// reserved from it as it is read, before it becomes columns (a table
    /// takes about as much memory as its text), and a Parquet file's
    /// decoded size before its row groups are decoded; past the budget the
    /// load fails with [`LoadError::OutOfMemory`] (E1107).
    pub max_memory: Option<usize>,
}

/// A loaded table and every record left out of it.
#[derive(Debug)]
pub struct Loaded {
    /// The rows that loaded, in file order.
    pub table: Table,
    /// Why each left-out record was unusable, in file order (each error
    /// names the file and line). Always empty for a strict load.
    pub rejected: Vec<LoadError>,
}

/// `bytes` as MiB for messages (`200 MiB`, `0.5 MiB`).
fn mib(bytes: usize) -> String {
    let m = bytes as f64 / f64::from(1u32 << 20);
    if m >= 10.0 {
        format!("{m:.0} MiB")
    } else {
        format!("{m:.1} MiB")
    }
}

impl LoadError {
    /// The error as [`LoadError::OutOfMemory`] when it is a read that the
    /// memory budget of `limit` bytes stopped.
    fn over_budget(self, limit: Option<usize>) -> LoadError {
        match (self, limit) {
            (LoadError::Io { path, source }, Some(limit))
                if source.kind() == io::ErrorKind::OutOfMemory =>
            {
                LoadError::OutOfMemory { path, limit }
            }
            (e, _) => e,
        }
    }

    /// Moves the error's line number `by` lines down (for a part of a file
    /// parsed as if it started at line 1).
    pub(crate) fn shift_line(&mut self, by: usize) {
        match self {
            LoadError::InvalidUtf8 { line, .. }
            | LoadError::Syntax { line, .. }
            | LoadError::NotAnObject { line, .. }
            | LoadError::UnclosedQuote { line, .. }
            | LoadError::Value { line, .. }
            | LoadError::FieldCount { line, .. }
            | LoadError::DuplicateColumn { line, .. } => *line += by,
            _ => {}
        }
    }
}

impl LoadError {
    /// Whether the error is about one record (a JSON Lines line or a CSV
    /// record) rather than the whole input: such a record is what a lenient
    /// load of JSON Lines or CSV leaves out.
    pub fn is_record_error(&self) -> bool {
        matches!(
            self,
            LoadError::InvalidUtf8 { .. }
                | LoadError::Syntax { .. }
                | LoadError::NotAnObject { .. }
                | LoadError::UnclosedQuote { .. }
                | LoadError::Value { .. }
                | LoadError::FieldCount { .. }
                | LoadError::DuplicateColumn { .. }
        )
    }

    /// The input lines the error's record takes up: more than one for a
    /// quoted field that is never closed, else 1.
    pub fn lines_spanned(&self) -> usize {
        match self {
            LoadError::UnclosedQuote { lines, .. } => (*lines).max(1),
            _ => 1,
        }
    }
}

impl Loaded {
    /// A table with nothing left out.
    fn strict(table: Table) -> Loaded {
        Loaded {
            table,
            rejected: Vec::new(),
        }
    }
}

/// Loads a table from a file, choosing the format from the extension:
/// `.jsonl`/`.ndjson` are JSON Lines, `.csv` is CSV, and `.json` is sniffed
/// (a JSON array, a Log Analytics response, or JSON Lines). JSON Lines files
/// of 32 MiB to 2 GiB load on all cores, with the same result as one pass.
///
/// `schema` gives known column types; see [`load_reader`].
pub fn load_file(path: &Path, schema: Option<&[(String, DataType)]>) -> Result<Table, LoadError> {
    load_file_with(path, schema, &LoadOptions::default()).map(|l| l.table)
}

/// [`load_file`], optionally leaving out (and reporting) records it cannot
/// use; see [`LoadOptions`].
///
/// ```
/// use kqlite_engine::io::{load_file_with, LoadOptions};
///
/// let path = std::env::temp_dir().join("kqlite-doc-lenient.jsonl");
/// std::fs::write(&path, "{\"a\":1}\n{\"a\":\n{\"a\":3}\n").unwrap();
/// let loaded = load_file_with(&path, None, &LoadOptions { lenient: true, ..LoadOptions::default() }).unwrap();
/// assert_eq!(loaded.table.num_rows(), 2);
/// assert_eq!(loaded.rejected.len(), 1);
/// assert!(loaded.rejected[0].to_string().contains("kqlite-doc-lenient.jsonl:2:"));
/// ```
pub fn load_file_with(
    path: &Path,
    schema: Option<&[(String, DataType)]>,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let pool = options.max_memory.map(MemoryPool::new);
    load_file_budgeted(path, schema, options, pool.as_ref())
        .map_err(|e| e.over_budget(options.max_memory))
}

/// A fresh reservation from the load's budget, if it has one.
fn reservation(pool: Option<&Arc<MemoryPool>>) -> Option<MemoryReservation> {
    pool.map(MemoryReservation::new)
}

/// [`load_file_with`] against the budget `pool`.
fn load_file_budgeted(
    path: &Path,
    schema: Option<&[(String, DataType)]>,
    options: &LoadOptions,
    pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    let lenient = options.lenient;
    let name = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let format = match ext.as_str() {
        "jsonl" | "ndjson" => Some(Format::JsonLines),
        "csv" => Some(Format::Csv),
        "json" => None,
        "parquet" | "arrow" | "feather" | "arrows" => {
            return load_columnar_file(path, &ext, schema, options, pool)
        }
        _ => return Err(LoadError::UnknownFormat { path: name }),
    };
    let file = open_table_file(path, &name)?;
    let size = file.metadata().map_or(0, |m| m.len());
    // Line-based formats cap a line's length; a `.json` file may hold its
    // whole document on one line.
    let max_line = format.map(|_| MAX_LINE_BYTES);
    let file =
        guard::GuardedReader::new(file, options.deadline, max_line).with_budget(reservation(pool));
    let threads = match options.threads {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8),
        n => n,
    };
    // Small files parse in one block; large ones stream in parallel blocks.
    let threads = if size < blocks::MIN_PARALLEL_BYTES as u64 {
        1
    } else {
        threads
    };
    match format {
        Some(Format::JsonLines) => {
            let opts = blocks::StreamOptions {
                schema,
                sparse: options.sparse,
                lenient,
                threads,
                block_bytes: blocks::BLOCK_BYTES,
            };
            if let Some(loaded) = blocks::load_jsonl(file, &name, opts)? {
                return Ok(loaded);
            }
            // Blocks inferred different types for a column: one pass.
            let file = File::open(path).map_err(|source| LoadError::Io {
                path: name.clone(),
                source,
            })?;
            let acc = if options.sparse {
                accum::TableAcc::sparse(schema)
            } else {
                accum::TableAcc::new(schema)
            };
            let file = guard::GuardedReader::new(file, options.deadline, max_line)
                .with_budget(reservation(pool));
            let reader = BufReader::with_capacity(1 << 20, file);
            json::load_jsonl_lines_into(acc, reader, &name, 1, lenient)
        }
        Some(f) => load_reader_with(
            file,
            f,
            schema,
            &name,
            &LoadOptions {
                // Already guarded.
                deadline: None,
                max_memory: None,
                ..*options
            },
        ),
        None => {
            let bytes = read_all(file, &name)?;
            let format = sniff_json(&bytes);
            load_bytes(&bytes, format, schema, &name, lenient)
        }
    }
}

/// The format [`load_file`] reads `path` as: from the extension, and for
/// `.json` from the content (which is read whole).
pub fn detect_format(path: &Path) -> Result<Format, LoadError> {
    let name = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "jsonl" | "ndjson" => Ok(Format::JsonLines),
        "csv" => Ok(Format::Csv),
        "parquet" => Ok(Format::Parquet),
        "arrow" | "feather" | "arrows" => Ok(Format::ArrowIpc),
        "json" => {
            let file = File::open(path).map_err(|source| LoadError::Io {
                path: name.clone(),
                source,
            })?;
            Ok(sniff_json(&read_all(file, &name)?))
        }
        _ => Err(LoadError::UnknownFormat { path: name }),
    }
}

/// Loads a table from a reader in a known format. `source_name` names the
/// input in errors.
///
/// With a `schema`, its columns come first, in order, with its types; those
/// missing from the input are all null (`""` for strings). Input columns not
/// in the schema follow in first-seen order with the input's types (Log
/// Analytics) or inferred types: `long` when every value is an integer,
/// `real` when every value is a number, `bool`, `datetime` when every string
/// is a full ISO 8601 timestamp (`2024-01-01T10:00:00Z`), `dynamic` for
/// nested objects and arrays or mixed kinds, else `string`. CSV text is
/// inferred the same way (integers only when written canonically, so codes
/// like `007` stay strings).
///
/// In `dynamic` columns, JSON strings holding a JSON object or array (as Log
/// Analytics exports them) are parsed into trees; CSV cells are parsed as
/// JSON when they are valid JSON, else kept as strings.
pub fn load_reader(
    reader: impl Read,
    format: Format,
    schema: Option<&[(String, DataType)]>,
    source_name: &str,
) -> Result<Table, LoadError> {
    load_reader_with(reader, format, schema, source_name, &LoadOptions::default()).map(|l| l.table)
}

/// [`load_reader`], optionally leaving out (and reporting) records it
/// cannot use; see [`LoadOptions`].
pub fn load_reader_with(
    reader: impl Read,
    format: Format,
    schema: Option<&[(String, DataType)]>,
    source_name: &str,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let pool = options.max_memory.map(MemoryPool::new);
    load_reader_budgeted(reader, format, schema, source_name, options, pool.as_ref())
        .map_err(|e| e.over_budget(options.max_memory))
}

/// [`load_reader_with`] against the budget `pool`.
fn load_reader_budgeted(
    reader: impl Read,
    format: Format,
    schema: Option<&[(String, DataType)]>,
    source_name: &str,
    options: &LoadOptions,
    pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    let lenient = options.lenient;
    let max_line = matches!(format, Format::JsonLines | Format::Csv).then_some(MAX_LINE_BYTES);
    let reader = guard::GuardedReader::new(reader, options.deadline, max_line)
        .with_budget(reservation(pool));
    match format {
        Format::JsonLines => json::load_jsonl(
            BufReader::with_capacity(1 << 20, reader),
            schema,
            source_name,
            lenient,
        ),
        Format::Csv => csv::load_csv(
            BufReader::with_capacity(1 << 20, reader),
            schema,
            source_name,
            lenient,
        ),
        Format::JsonArray | Format::LogAnalytics => {
            let bytes = read_all(reader, source_name)?;
            load_bytes(&bytes, format, schema, source_name, lenient)
        }
        Format::Parquet | Format::ArrowIpc => {
            load_columnar_reader(reader, format, schema, source_name, options, pool)
        }
    }
}

/// Loads a Parquet or Arrow IPC file (by extension `ext`).
#[cfg(feature = "arrow")]
fn load_columnar_file(
    path: &Path,
    ext: &str,
    schema: Option<&[(String, DataType)]>,
    options: &LoadOptions,
    pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if !meta.is_file() {
        return Err(LoadError::Shape {
            path: path.display().to_string(),
            message:
                "not a regular file (a folder, device, FIFO or socket); tables load from files"
                    .to_string(),
        });
    }
    // The file is read whole (Parquet) or decoded to about its size
    // (Arrow IPC) before anything else.
    let mut budget = reservation(pool);
    let size = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    if let Some(b) = &mut budget {
        b.try_grow(size)
            .map_err(|_| io_over_budget(&path.display().to_string(), 0))?;
    }
    match ext {
        "parquet" => parquet::load_parquet_pooled(path, schema, options, pool),
        _ => arrow::load_arrow_ipc(path, schema, options),
    }
}

/// The load error of a budget spent after `held` bytes.
#[cfg(feature = "arrow")]
fn io_over_budget(path: &str, held: usize) -> LoadError {
    LoadError::Io {
        path: path.to_string(),
        source: guard::over_budget(held),
    }
}

/// Loads Parquet or an Arrow IPC stream from a reader (read whole).
#[cfg(feature = "arrow")]
fn load_columnar_reader(
    reader: impl Read,
    format: Format,
    schema: Option<&[(String, DataType)]>,
    source_name: &str,
    options: &LoadOptions,
    pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    let table = if format == Format::Parquet {
        let bytes = read_all(reader, source_name)?;
        parquet::load_parquet_budgeted(bytes, source_name, 0, pool)?
    } else {
        arrow::load_arrow_stream(reader, source_name)?
    };
    let table = arrow::apply_schema(table, schema, options.sparse, source_name)?;
    Ok(Loaded::strict(table))
}

#[cfg(not(feature = "arrow"))]
fn load_columnar_file(
    path: &Path,
    _ext: &str,
    _schema: Option<&[(String, DataType)]>,
    _options: &LoadOptions,
    _pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    Err(without_arrow(&path.display().to_string()))
}

#[cfg(not(feature = "arrow"))]
fn load_columnar_reader(
    _reader: impl Read,
    _format: Format,
    _schema: Option<&[(String, DataType)]>,
    source_name: &str,
    _options: &LoadOptions,
    _pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    Err(without_arrow(source_name))
}

#[cfg(not(feature = "arrow"))]
fn without_arrow(path: &str) -> LoadError {
    LoadError::Shape {
        path: path.to_string(),
        message: "Parquet and Arrow files need kqlite-engine's `arrow` feature, which this build leaves out"
            .to_string(),
    }
}

fn load_bytes(
    bytes: &[u8],
    format: Format,
    schema: Option<&[(String, DataType)]>,
    source_name: &str,
    lenient: bool,
) -> Result<Loaded, LoadError> {
    match format {
        Format::JsonLines if bytes.len() >= blocks::MIN_PARALLEL_BYTES => {
            let opts = blocks::StreamOptions {
                schema,
                sparse: false,
                lenient,
                threads: std::thread::available_parallelism()
                    .map_or(1, |n| n.get())
                    .min(8),
                block_bytes: blocks::BLOCK_BYTES,
            };
            match blocks::load_jsonl(bytes, source_name, opts)? {
                Some(loaded) => Ok(loaded),
                // Blocks inferred different types for a column: one pass.
                None => json::load_jsonl(bytes, schema, source_name, lenient),
            }
        }
        Format::JsonLines => json::load_jsonl(bytes, schema, source_name, lenient),
        Format::Csv => csv::load_csv(bytes, schema, source_name, lenient),
        Format::JsonArray => json::load_array(bytes, schema, source_name).map(Loaded::strict),
        Format::LogAnalytics => {
            json::load_log_analytics(bytes, schema, source_name).map(Loaded::strict)
        }
        Format::Parquet | Format::ArrowIpc => load_columnar_reader(
            bytes,
            format,
            schema,
            source_name,
            &LoadOptions {
                lenient,
                ..LoadOptions::default()
            },
            None,
        ),
    }
}

/// Opens a table file: a regular file (not a device such as `/dev/zero`,
/// a FIFO or a socket, which could be endless or block), whose start holds
/// no NUL byte (text formats never do; a binary file would otherwise load
/// as one giant cell).
fn open_table_file(path: &Path, name: &str) -> Result<File, LoadError> {
    let io_error = |source| LoadError::Io {
        path: name.to_string(),
        source,
    };
    // Checked before opening: opening a FIFO waits for a writer.
    let meta = std::fs::metadata(path).map_err(io_error)?;
    if !meta.is_file() {
        return Err(LoadError::Shape {
            path: name.to_string(),
            message: "not a regular file (a folder, device, FIFO or socket); \
                      tables load from files"
                .to_string(),
        });
    }
    let mut file = File::open(path).map_err(io_error)?;
    let mut head = [0u8; 8192];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    if let Some(at) = head[..filled].iter().position(|&b| b == 0) {
        return Err(LoadError::Shape {
            path: name.to_string(),
            message: format!(
                "holds a NUL byte at offset {at}: a binary file, not JSON or CSV text"
            ),
        });
    }
    File::open(path).map_err(io_error)
}

fn read_all(mut reader: impl Read, source_name: &str) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| LoadError::Io {
            path: source_name.to_string(),
            source,
        })?;
    Ok(bytes)
}

/// Tells a JSON array, a query-API response (Log Analytics or advanced
/// hunting) and JSON Lines apart by the first character and, for an object,
/// its top-level keys (or, when it is not well-formed JSON, its first key,
/// so that a broken response reports what is wrong with it).
fn sniff_json(bytes: &[u8]) -> Format {
    let mut rest = trim_start(strip_bom(bytes));
    match rest.first() {
        Some(b'[') => Format::JsonArray,
        Some(b'{') => {
            if let Some(format) = exports::sniff_response(rest) {
                return format;
            }
            rest = trim_start(rest.get(1..).unwrap_or_default());
            let response_keys: [&[u8]; 4] =
                [b"\"tables\"", b"\"Tables\"", b"\"Stats\"", b"\"Schema\""];
            if response_keys.iter().any(|key| rest.starts_with(key)) {
                Format::LogAnalytics
            } else {
                Format::JsonLines
            }
        }
        _ => Format::JsonLines,
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let n = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes.get(n..).unwrap_or_default()
}

/// Reads one line (through `\n`) into `buf`, returning false at the end.
fn read_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    source_name: &str,
) -> Result<bool, LoadError> {
    buf.clear();
    let n = reader
        .read_until(b'\n', buf)
        .map_err(|source| LoadError::Io {
            path: source_name.to_string(),
            source,
        })?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests;
