//! Parquet files, read and written through Arrow with the `parquet` crate.
//!
//! Built with the engine's `arrow` feature. Columns map to kqlite types as
//! [`super::arrow`] lists (Parquet's logical types arrive as their Arrow
//! counterparts: `TIMESTAMP` of any unit as `Timestamp`, `DECIMAL` as
//! `Decimal128`, `UUID` as `arrow.uuid`, `JSON` as `arrow.json`, groups as
//! structs, lists and maps). Row groups decode on all the load's threads.
//! Files may be compressed with snappy, zstd, gzip or lz4 (not brotli).
//!
//! Written files hold one row group per 131,072 rows, compressed with
//! zstd, and carry the Arrow schema, so that a file kqlite wrote reads back
//! into the same column types (dictionary-encoded strings included).

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{Field, Schema};
use bytes::Bytes;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;

use super::arrow::{apply_schema, array_for, field_for, table_from_batches};
use super::{LoadError, LoadOptions, Loaded};
use crate::eval::memory::{MemoryPool, MemoryReservation};
use crate::table::Table;
use crate::types::DataType;

/// Rows per row group (and per record batch) in written files.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Rows per record batch when reading.
const READ_BATCH_ROWS: usize = 64 * 1024;

/// Loads a Parquet file. `schema` and `options.sparse` lay the table out as
/// [`super::load_reader`] describes; `options.threads` row groups decode at
/// once (`0` = every core, up to 8).
pub fn load_parquet(
    path: &Path,
    schema: Option<&[(String, DataType)]>,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let pool = options.max_memory.map(MemoryPool::new);
    load_parquet_pooled(path, schema, options, pool.as_ref())
        .map_err(|e| e.over_budget(options.max_memory))
}

/// [`load_parquet`] against the budget `pool`.
pub(crate) fn load_parquet_pooled(
    path: &Path,
    schema: Option<&[(String, DataType)]>,
    options: &LoadOptions,
    pool: Option<&Arc<MemoryPool>>,
) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: name.clone(),
        source,
    })?;
    let table = load_parquet_budgeted(bytes, &name, options.threads, pool)?;
    let table = apply_schema(table, schema, options.sparse, &name)?;
    Ok(Loaded {
        table,
        rejected: Vec::new(),
    })
}

/// Reads a Parquet file already in memory (`source_name` names it in
/// errors).
pub fn load_parquet_bytes(bytes: Vec<u8>, source_name: &str) -> Result<Table, LoadError> {
    read_parquet_bytes(Bytes::from(bytes), source_name, 0)
}

fn parquet_error(path: &str, e: impl std::fmt::Display) -> LoadError {
    LoadError::Shape {
        path: path.to_string(),
        message: format!("not a readable Parquet file: {e}"),
    }
}

/// [`load_parquet_bytes`] on `threads` threads (`0`: every core), the
/// decoded size of every row group reserved from `pool` first.
pub(crate) fn load_parquet_budgeted(
    bytes: Vec<u8>,
    source_name: &str,
    threads: usize,
    pool: Option<&Arc<MemoryPool>>,
) -> Result<Table, LoadError> {
    let data = Bytes::from(bytes);
    let mut budget = pool.map(MemoryReservation::new);
    if let Some(b) = &mut budget {
        let meta = ArrowReaderMetadata::load(&data, ArrowReaderOptions::new())
            .map_err(|e| parquet_error(source_name, e))?;
        let decoded: i64 = meta
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.total_byte_size().max(0))
            .fold(0i64, i64::saturating_add);
        b.try_grow(usize::try_from(decoded).unwrap_or(usize::MAX))
            .map_err(|_| LoadError::Io {
                path: source_name.to_string(),
                source: super::guard::over_budget(0),
            })?;
    }
    read_parquet_bytes(data, source_name, threads)
}

fn read_parquet_bytes(data: Bytes, path: &str, threads: usize) -> Result<Table, LoadError> {
    let meta = ArrowReaderMetadata::load(&data, ArrowReaderOptions::new())
        .map_err(|e| parquet_error(path, e))?;
    let schema = Arc::clone(meta.schema());
    let groups = meta.metadata().num_row_groups();
    let mut starts = Vec::with_capacity(groups);
    let mut row = 0usize;
    for g in meta.metadata().row_groups() {
        starts.push(row);
        row = row.saturating_add(usize::try_from(g.num_rows()).unwrap_or(0));
    }
    // Each row group's batches become tables as they are decoded, so only
    // a batch per thread is held in Arrow form.
    let read_group = |g: usize| -> Result<Vec<Table>, LoadError> {
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(data.clone(), meta.clone())
            .with_row_groups(vec![g])
            .with_batch_size(READ_BATCH_ROWS)
            .build()
            .map_err(|e| parquet_error(path, e))?;
        let mut first = starts.get(g).copied().unwrap_or(0);
        let mut tables = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| parquet_error(path, e))?;
            let table =
                Table::from_record_batch(&batch).map_err(|e| e.into_load_error(path, first))?;
            first += batch.num_rows();
            tables.push(table);
        }
        Ok(tables)
    };
    let threads = match threads {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8),
        n => n,
    };
    let groups: Vec<Vec<Table>> = if threads <= 1 || groups <= 1 {
        (0..groups).map(read_group).collect::<Result<_, _>>()?
    } else {
        match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
            Ok(pool) => pool.install(|| {
                (0..groups)
                    .into_par_iter()
                    .map(read_group)
                    .collect::<Result<_, _>>()
            })?,
            Err(_) => (0..groups).map(read_group).collect::<Result<_, _>>()?,
        }
    };
    let parts: Vec<Table> = groups.into_iter().flatten().collect();
    if parts.is_empty() {
        return table_from_batches(&schema, &[], path, 0);
    }
    match crate::concat::concat_tables(parts) {
        Some(t) if t.num_columns() > 0 => Ok(t),
        Some(_) => Ok(Table::empty(row)),
        None => Err(LoadError::Shape {
            path: path.to_string(),
            message: "row groups disagree on a column's type".to_string(),
        }),
    }
}

/// Writes a table as a Parquet file, typed as [`super::arrow`] lists.
pub fn write_parquet(table: &Table, out: impl Write + Send) -> io::Result<()> {
    let fields: Vec<Field> = table
        .columns()
        .map(|(name, col)| field_for(name, col))
        .collect();
    let schema = Arc::new(Schema::new(fields.clone()));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let mut writer =
        ArrowWriter::try_new(out, Arc::clone(&schema), Some(props)).map_err(io::Error::other)?;
    let rows = table.num_rows();
    let mut start = 0;
    while start < rows {
        let len = ROW_GROUP_ROWS.min(rows - start);
        let arrays = table
            .columns()
            .zip(&fields)
            .map(|((_, col), field)| array_for(&col.slice(start, len), field.data_type()))
            .collect();
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(len));
        let batch = RecordBatch::try_new_with_options(Arc::clone(&schema), arrays, &options)
            .map_err(io::Error::other)?;
        writer.write(&batch).map_err(io::Error::other)?;
        start += len;
    }
    writer.close().map(|_| ()).map_err(io::Error::other)
}
