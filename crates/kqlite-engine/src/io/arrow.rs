//! Arrow record batches and Arrow IPC files and streams (`.arrow`,
//! `.feather`, `.arrows`), and the type mapping Parquet shares.
//!
//! Built with the engine's `arrow` feature. An Arrow column becomes the
//! kqlite column below; a declared schema (`--schema`, a catalog table)
//! then wins, converting each value as the KQL `to<type>()` function would
//! (a non-null value that does not convert fails the load, naming the
//! column and row).
//!
//! | Arrow (and Parquet) type | kqlite type |
//! |---|---|
//! | `Int8`, `Int16`, `Int32`, `UInt8`, `UInt16` | `int` |
//! | `Int64`, `UInt32`, `UInt64` (above `long`'s range: an error) | `long` |
//! | `Float16`, `Float32`, `Float64` | `real` |
//! | `Decimal32/64/128/256` (up to 28 fraction digits, 96-bit mantissa) | `decimal` |
//! | `Boolean` | `bool` |
//! | `Utf8`, `LargeUtf8`, `Utf8View` (null reads as `""`) | `string` |
//! | `Dictionary` of strings | `string`, dictionary-encoded |
//! | `Dictionary` of another type | that type's column |
//! | `Timestamp` of any unit, with or without a time zone; `Date32`, `Date64` | `datetime` (UTC) |
//! | `Duration` of any unit; `Time32`, `Time64` (time of day) | `timespan` |
//! | `FixedSizeBinary(16)` with the `arrow.uuid` extension (Parquet `UUID`) | `guid` |
//! | `Binary`, `LargeBinary`, `BinaryView`, other `FixedSizeBinary` | `string`, base64 |
//! | `Utf8` with the `arrow.json` extension (Parquet `JSON`) | `dynamic`, parsed |
//! | `Struct`, `List`, `LargeList`, `FixedSizeList`, `Map`, `Null` | `dynamic` |
//!
//! Datetimes and timespans are 100 ns ticks: nanosecond values are rounded
//! down to a whole tick (`…00.123456789` reads as `…00.1234567`); a value
//! outside `datetime`'s range (years 1 to 9999) fails the load.
//!
//! Binary becomes base64 text rather than `dynamic`: Kusto has no binary
//! type, base64 text keeps every byte, and KQL's `base64_decode_toarray()`
//! gives the bytes back.
//!
//! Inside `dynamic` values, structs become property bags (fields in
//! schema order, a null field kept as `null`), lists arrays, maps bags
//! keyed by the key's text, timestamps `datetime`s, durations `timespan`s,
//! decimals `real`s, binary base64 strings.
//!
//! Writing maps kqlite types back: `bool` → `Boolean`, `int` → `Int32`,
//! `long` → `Int64`, `real` → `Float64`, `decimal` → `Decimal128(38, s)`
//! with `s` the largest scale in the column (`Decimal256(76, s)` when a
//! value would not fit), `string` → `Utf8` (a dictionary-encoded column →
//! `Dictionary(Int32, Utf8)`), `datetime` → `Timestamp(ns, "UTC")`,
//! `timespan` → `Duration(ns)` (both in microseconds, with the sub-µs digits
//! dropped, when a value lies beyond nanoseconds' ±292 years), `guid` →
//! `FixedSizeBinary(16)` with the `arrow.uuid` extension, and `dynamic` →
//! JSON text in a `Utf8` column with the `arrow.json` extension (a JSON
//! `null` is a null). `dynamic` goes out as JSON text because a column's
//! values may differ in shape from row to row (an object here, an array or
//! a number there), which no single Arrow struct type holds; JSON text keeps
//! every value and its key order, the extension tells readers (kqlite,
//! pyarrow, and through Parquet's `JSON` logical type DuckDB) that it is
//! JSON, and readers that do not know it still see a string column.

use std::collections::HashMap;
use std::io::{self, Read, Seek, Write};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Decimal128Type, Decimal256Type, Decimal32Type,
    Decimal64Type, DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType,
    DurationSecondType, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Decimal128Array, Decimal256Array, DictionaryArray,
    DurationMicrosecondArray, DurationNanosecondArray, FixedSizeBinaryArray, Float64Array,
    Int32Array, Int64Array, PrimitiveArray, RecordBatch, StringArray as ArrowStrings,
    TimestampMicrosecondArray, TimestampNanosecondArray,
};
use arrow_buffer::{i256, BooleanBuffer, Buffer, NullBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType as ArrowType, Field, Schema, SchemaRef, TimeUnit};
use base64::Engine as _;
use indexmap::IndexMap;
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::dynamic::{parse_dynamic, KeyCache};
use super::{LoadError, LoadOptions, Loaded};
use crate::bitmap::Bitmap;
use crate::column::{encode_strings, Column, ColumnBuilder, ColumnData, StringArray, StringColumn};
use crate::table::{Table, TableError};
use crate::time::{
    MAX_DATETIME_TICKS, TICKS_PER_DAY, TICKS_PER_MICROSECOND, TICKS_PER_MILLISECOND,
    TICKS_PER_SECOND, UNIX_EPOCH_TICKS,
};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// The field metadata key naming an Arrow extension type.
const EXTENSION_KEY: &str = "ARROW:extension:name";
/// The canonical extension type for JSON text.
const JSON_EXTENSION: &str = "arrow.json";
/// The canonical extension type for UUIDs.
const UUID_EXTENSION: &str = "arrow.uuid";

/// Why a record batch and a table could not be converted into one another.
#[derive(Debug, thiserror::Error)]
pub enum ArrowConvertError {
    /// The column's Arrow type has no kqlite counterpart.
    #[error("column `{column}`: the Arrow type {arrow_type} has no kqlite type")]
    Unsupported {
        /// The column name.
        column: String,
        /// The Arrow type, as Arrow prints it.
        arrow_type: String,
    },
    /// A value does not fit the kqlite type its column maps to.
    #[error("column `{column}`, row {row}: expected {expected}, found {found}")]
    Value {
        /// The column name.
        column: String,
        /// 0-based row within the batch.
        row: usize,
        /// The kqlite type.
        expected: DataType,
        /// The offending value.
        found: String,
    },
    /// The columns do not make a table (or a batch).
    #[error("{0}")]
    Table(#[from] TableError),
    /// Arrow refused the arrays (it should not: kqlite builds them valid).
    #[error("{0}")]
    Arrow(#[from] ArrowError),
}

/// A conversion problem before the column name is known.
enum Problem {
    Unsupported,
    Value {
        row: usize,
        expected: DataType,
        found: String,
    },
}

impl Problem {
    fn named(self, field: &Field) -> ArrowConvertError {
        match self {
            Problem::Unsupported => ArrowConvertError::Unsupported {
                column: field.name().clone(),
                arrow_type: field.data_type().to_string(),
            },
            Problem::Value {
                row,
                expected,
                found,
            } => ArrowConvertError::Value {
                column: field.name().clone(),
                row,
                expected,
                found,
            },
        }
    }
}

impl ArrowConvertError {
    /// The load error for a table read from `path`; `first_row` is the
    /// 0-based row of the batch's first row within the file.
    pub(crate) fn into_load_error(self, path: &str, first_row: usize) -> LoadError {
        match self {
            ArrowConvertError::Unsupported { column, arrow_type } => LoadError::UnknownType {
                path: path.to_string(),
                column,
                found: arrow_type,
            },
            ArrowConvertError::Value {
                column,
                row,
                expected,
                found,
            } => LoadError::Value {
                path: path.to_string(),
                line: first_row + row + 1,
                column,
                expected,
                found,
            },
            ArrowConvertError::Table(source) => LoadError::Table {
                path: path.to_string(),
                source,
            },
            ArrowConvertError::Arrow(e) => LoadError::Shape {
                path: path.to_string(),
                message: e.to_string(),
            },
        }
    }
}

impl Table {
    /// The table holding a record batch's columns, typed as the
    /// [module documentation](crate::io::arrow) lists. Fixed-width columns
    /// of the same layout (`Int32`, `Int64`, `Float64` and their validity)
    /// are copied as whole buffers.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use arrow_array::{Int64Array, RecordBatch, StringArray};
    /// use kqlite_engine::{Table, Value};
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("n", Arc::new(Int64Array::from(vec![Some(1), None])) as _),
    ///     ("s", Arc::new(StringArray::from(vec!["a", "b"])) as _),
    /// ]).unwrap();
    /// let table = Table::from_record_batch(&batch).unwrap();
    /// assert_eq!(table.row(1), vec![Value::Null, Value::string("b")]);
    /// assert_eq!(table.to_record_batch().unwrap().columns(), batch.columns());
    /// ```
    pub fn from_record_batch(batch: &RecordBatch) -> Result<Table, ArrowConvertError> {
        let schema = batch.schema();
        let columns = schema
            .fields()
            .iter()
            .zip(batch.columns())
            .map(|(field, array)| {
                column_from_arrow(array.as_ref(), field).map(|c| {
                    let c = crate::shred::shred_column(Arc::new(c), crate::shred::SHRED_MIN_ROWS);
                    (field.name().clone(), c)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut table = Table::try_new(columns)?;
        if table.num_columns() == 0 {
            table = Table::empty(batch.num_rows());
        }
        Ok(table)
    }

    /// The table as one record batch, typed as the
    /// [module documentation](crate::io::arrow) lists. Fixed-width columns
    /// of the same layout are copied as whole buffers; [`RecordBatch::try_from`]
    /// a `Table` it owns reuses them instead where no other table shares them.
    pub fn to_record_batch(&self) -> Result<RecordBatch, ArrowConvertError> {
        batch_from_columns(
            self.columns().map(|(n, c)| (n, Arc::clone(c))),
            self.num_rows(),
        )
    }
}

impl TryFrom<&RecordBatch> for Table {
    type Error = ArrowConvertError;

    fn try_from(batch: &RecordBatch) -> Result<Table, ArrowConvertError> {
        Table::from_record_batch(batch)
    }
}

impl TryFrom<&Table> for RecordBatch {
    type Error = ArrowConvertError;

    fn try_from(table: &Table) -> Result<RecordBatch, ArrowConvertError> {
        table.to_record_batch()
    }
}

impl TryFrom<Table> for RecordBatch {
    type Error = ArrowConvertError;

    /// Like [`Table::to_record_batch`], but a column the table alone holds
    /// hands its value vector to Arrow without copying (`int`, `long`,
    /// `real`).
    fn try_from(mut table: Table) -> Result<RecordBatch, ArrowConvertError> {
        let rows = table.num_rows();
        let names: Vec<String> = table.column_names().map(str::to_string).collect();
        let columns: Vec<(String, Arc<Column>)> = names
            .into_iter()
            .filter_map(|n| table.remove_column(&n).map(|c| (n, c)))
            .collect();
        batch_from_owned(columns, rows)
    }
}

/// The Arrow schema a table is written with.
pub fn arrow_schema(table: &Table) -> Schema {
    Schema::new(
        table
            .columns()
            .map(|(name, col)| field_for(name, col))
            .collect::<Vec<_>>(),
    )
}

fn batch_from_columns<'a>(
    columns: impl Iterator<Item = (&'a str, Arc<Column>)>,
    rows: usize,
) -> Result<RecordBatch, ArrowConvertError> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns
        .map(|(name, col)| {
            let field = field_for(name, &col);
            let array = array_for(&col, field.data_type());
            (field, array)
        })
        .unzip();
    finish_batch(fields, arrays, rows)
}

fn batch_from_owned(
    columns: Vec<(String, Arc<Column>)>,
    rows: usize,
) -> Result<RecordBatch, ArrowConvertError> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns
        .into_iter()
        .map(|(name, col)| {
            let field = field_for(&name, &col);
            let array = match Arc::try_unwrap(col) {
                Ok(owned) => array_for_owned(owned, field.data_type()),
                Err(shared) => array_for(&shared, field.data_type()),
            };
            (field, array)
        })
        .unzip();
    finish_batch(fields, arrays, rows)
}

fn finish_batch(
    fields: Vec<Field>,
    arrays: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, ArrowConvertError> {
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        Arc::new(Schema::new(fields)),
        arrays,
        &options,
    )?)
}

// ---------------------------------------------------------------------------
// Arrow -> kqlite

/// The kqlite column holding an Arrow array.
pub(crate) fn column_from_arrow(
    array: &dyn Array,
    field: &Field,
) -> Result<Column, ArrowConvertError> {
    convert(array, field).map_err(|p| p.named(field))
}

fn extension(field: &Field) -> Option<&str> {
    field.metadata().get(EXTENSION_KEY).map(String::as_str)
}

/// The validity of an Arrow array as a bitmap (`None` when nothing is null).
fn validity(array: &dyn Array) -> Option<Bitmap> {
    let nulls = array.logical_nulls()?;
    if nulls.null_count() == 0 {
        return None;
    }
    Some(bitmap_from_bits(nulls.inner()))
}

fn bitmap_from_bits(bits: &BooleanBuffer) -> Bitmap {
    let len = bits.len();
    let bytes = bits.sliced();
    let words = bytes
        .as_slice()
        .chunks(8)
        .map(|chunk| {
            let mut w = [0u8; 8];
            w.iter_mut().zip(chunk).for_each(|(d, s)| *d = *s);
            u64::from_le_bytes(w)
        })
        .collect();
    Bitmap::from_words(words, len)
}

fn primitive<T: ArrowPrimitiveType>(array: &dyn Array) -> Result<&PrimitiveArray<T>, Problem> {
    array.as_primitive_opt::<T>().ok_or(Problem::Unsupported)
}

/// A fixed-width column whose values convert one by one (`f` gives `None`
/// for a value out of the kqlite type's range).
fn mapped<T: ArrowPrimitiveType, U: Default>(
    array: &dyn Array,
    expected: DataType,
    wrap: fn(Vec<U>) -> ColumnData,
    f: impl Fn(T::Native) -> Option<U>,
) -> Result<Column, Problem> {
    let a = primitive::<T>(array)?;
    let valid = validity(array);
    let mut out = Vec::with_capacity(a.len());
    for (row, &v) in a.values().iter().enumerate() {
        match f(v) {
            Some(x) => out.push(x),
            None if valid.as_ref().is_some_and(|b| !b.get(row)) => out.push(U::default()),
            None => {
                return Err(Problem::Value {
                    row,
                    expected,
                    found: format!("{v:?}"),
                })
            }
        }
    }
    Ok(Column::with_validity(wrap(out), valid))
}

fn ticks_from(v: i64, ticks_per_unit: i64) -> Option<i64> {
    v.checked_mul(ticks_per_unit)
}

fn datetime_from(ticks: Option<i64>) -> Option<i64> {
    ticks
        .and_then(|t| t.checked_add(UNIX_EPOCH_TICKS))
        .filter(|t| (0..=MAX_DATETIME_TICKS).contains(t))
}

fn decimal_from_i128(mantissa: i128, scale: i8) -> Option<Decimal> {
    let (mut m, mut s) = if scale < 0 {
        let factor = 10i128.checked_pow(u32::from(scale.unsigned_abs()))?;
        (mantissa.checked_mul(factor)?, 0u32)
    } else {
        (mantissa, scale as u32)
    };
    // More fraction digits than decimal holds: drop trailing zeros first.
    while s > 28 && m % 10 == 0 {
        m /= 10;
        s -= 1;
    }
    Decimal::try_from_i128_with_scale(m, s).ok()
}

fn convert(array: &dyn Array, field: &Field) -> Result<Column, Problem> {
    use ArrowType as A;
    Ok(match array.data_type() {
        A::Int32 => {
            let a = primitive::<Int32Type>(array)?;
            Column::with_validity(ColumnData::Int(a.values().to_vec()), validity(array))
        }
        A::Int8 => {
            mapped::<Int8Type, _>(array, DataType::Int, ColumnData::Int, |v| Some(v.into()))?
        }
        A::Int16 => {
            mapped::<Int16Type, _>(array, DataType::Int, ColumnData::Int, |v| Some(v.into()))?
        }
        A::UInt8 => {
            mapped::<UInt8Type, _>(array, DataType::Int, ColumnData::Int, |v| Some(v.into()))?
        }
        A::UInt16 => {
            mapped::<UInt16Type, _>(array, DataType::Int, ColumnData::Int, |v| Some(v.into()))?
        }
        A::Int64 => {
            let a = primitive::<Int64Type>(array)?;
            Column::with_validity(ColumnData::Long(a.values().to_vec()), validity(array))
        }
        A::UInt32 => {
            mapped::<UInt32Type, _>(array, DataType::Long, ColumnData::Long, |v| Some(v.into()))?
        }
        A::UInt64 => mapped::<UInt64Type, _>(array, DataType::Long, ColumnData::Long, |v| {
            i64::try_from(v).ok()
        })?,
        A::Float64 => {
            let a = primitive::<Float64Type>(array)?;
            Column::with_validity(ColumnData::Real(a.values().to_vec()), validity(array))
        }
        A::Float32 => {
            mapped::<Float32Type, _>(array, DataType::Real, ColumnData::Real, |v| Some(v.into()))?
        }
        A::Float16 => mapped::<Float16Type, _>(array, DataType::Real, ColumnData::Real, |v| {
            Some(v.to_f64())
        })?,
        A::Decimal32(_, s) => {
            let s = *s;
            mapped::<Decimal32Type, _>(array, DataType::Decimal, ColumnData::Decimal, |v| {
                decimal_from_i128(v.into(), s)
            })?
        }
        A::Decimal64(_, s) => {
            let s = *s;
            mapped::<Decimal64Type, _>(array, DataType::Decimal, ColumnData::Decimal, |v| {
                decimal_from_i128(v.into(), s)
            })?
        }
        A::Decimal128(_, s) => {
            let s = *s;
            mapped::<Decimal128Type, _>(array, DataType::Decimal, ColumnData::Decimal, |v| {
                decimal_from_i128(v, s)
            })?
        }
        A::Decimal256(_, s) => {
            let s = *s;
            mapped::<Decimal256Type, _>(array, DataType::Decimal, ColumnData::Decimal, |v| {
                v.to_i128().and_then(|m| decimal_from_i128(m, s))
            })?
        }
        A::Boolean => {
            let a = array.as_boolean_opt().ok_or(Problem::Unsupported)?;
            Column::with_validity(
                ColumnData::Bool(a.values().iter().collect()),
                validity(array),
            )
        }
        A::Timestamp(unit, _) => {
            let dt = DataType::DateTime;
            let w = ColumnData::DateTime;
            match unit {
                TimeUnit::Second => mapped::<TimestampSecondType, _>(array, dt, w, |v| {
                    datetime_from(ticks_from(v, TICKS_PER_SECOND))
                })?,
                TimeUnit::Millisecond => {
                    mapped::<TimestampMillisecondType, _>(array, dt, w, |v| {
                        datetime_from(ticks_from(v, TICKS_PER_MILLISECOND))
                    })?
                }
                TimeUnit::Microsecond => {
                    mapped::<TimestampMicrosecondType, _>(array, dt, w, |v| {
                        datetime_from(ticks_from(v, TICKS_PER_MICROSECOND))
                    })?
                }
                TimeUnit::Nanosecond => mapped::<TimestampNanosecondType, _>(array, dt, w, |v| {
                    datetime_from(Some(v.div_euclid(100)))
                })?,
            }
        }
        A::Date32 => {
            mapped::<Date32Type, _>(array, DataType::DateTime, ColumnData::DateTime, |v| {
                datetime_from(ticks_from(v.into(), TICKS_PER_DAY))
            })?
        }
        A::Date64 => {
            mapped::<Date64Type, _>(array, DataType::DateTime, ColumnData::DateTime, |v| {
                datetime_from(ticks_from(v, TICKS_PER_MILLISECOND))
            })?
        }
        A::Duration(unit) => {
            let ts = DataType::TimeSpan;
            let w = ColumnData::TimeSpan;
            match unit {
                TimeUnit::Second => mapped::<DurationSecondType, _>(array, ts, w, |v| {
                    ticks_from(v, TICKS_PER_SECOND)
                })?,
                TimeUnit::Millisecond => mapped::<DurationMillisecondType, _>(array, ts, w, |v| {
                    ticks_from(v, TICKS_PER_MILLISECOND)
                })?,
                TimeUnit::Microsecond => mapped::<DurationMicrosecondType, _>(array, ts, w, |v| {
                    ticks_from(v, TICKS_PER_MICROSECOND)
                })?,
                TimeUnit::Nanosecond => {
                    mapped::<DurationNanosecondType, _>(array, ts, w, |v| Some(v.div_euclid(100)))?
                }
            }
        }
        A::Time32(TimeUnit::Second) => {
            mapped::<Time32SecondType, _>(array, DataType::TimeSpan, ColumnData::TimeSpan, |v| {
                ticks_from(v.into(), TICKS_PER_SECOND)
            })?
        }
        A::Time32(_) => mapped::<Time32MillisecondType, _>(
            array,
            DataType::TimeSpan,
            ColumnData::TimeSpan,
            |v| ticks_from(v.into(), TICKS_PER_MILLISECOND),
        )?,
        A::Time64(TimeUnit::Microsecond) => mapped::<Time64MicrosecondType, _>(
            array,
            DataType::TimeSpan,
            ColumnData::TimeSpan,
            |v| ticks_from(v, TICKS_PER_MICROSECOND),
        )?,
        A::Time64(_) => mapped::<Time64NanosecondType, _>(
            array,
            DataType::TimeSpan,
            ColumnData::TimeSpan,
            |v| Some(v.div_euclid(100)),
        )?,
        A::Utf8 | A::LargeUtf8 | A::Utf8View if extension(field) == Some(JSON_EXTENSION) => {
            let mut keys = KeyCache::default();
            // Equal texts (a location repeated on millions of rows) parse
            // once and share their tree, up to a bound on distinct texts.
            let mut seen: HashMap<&str, Dynamic> = HashMap::new();
            let mut values = Vec::with_capacity(array.len());
            for_each_string(array, |text| {
                values.push(match text {
                    None => Dynamic::Null,
                    Some(t) => match seen.get(t) {
                        Some(d) => d.clone(),
                        None => {
                            let d = parse_dynamic(t, &mut keys)
                                .unwrap_or_else(|| Dynamic::String(t.into()));
                            if seen.len() < MAX_SHARED_DYNAMIC {
                                seen.insert(t, d.clone());
                            }
                            d
                        }
                    },
                })
            });
            Column::new(ColumnData::Dynamic(values))
        }
        A::Utf8 | A::LargeUtf8 | A::Utf8View => {
            let mut plain = StringArray::with_capacity(array.len(), string_bytes(array));
            for_each_string(array, |text| plain.push(text.unwrap_or("")));
            Column::new(ColumnData::String(encode_strings(plain)))
        }
        A::FixedSizeBinary(16) if extension(field) == Some(UUID_EXTENSION) => {
            let a = array
                .as_fixed_size_binary_opt()
                .ok_or(Problem::Unsupported)?;
            let guids = (0..a.len())
                .map(|i| {
                    let mut b = [0u8; 16];
                    b.iter_mut().zip(a.value(i)).for_each(|(d, s)| *d = *s);
                    u128::from_be_bytes(b)
                })
                .collect();
            Column::with_validity(ColumnData::Guid(guids), validity(array))
        }
        A::Binary | A::LargeBinary | A::BinaryView | A::FixedSizeBinary(_) => {
            let mut plain = StringArray::with_capacity(array.len(), 0);
            let mut text = String::new();
            for i in 0..array.len() {
                text.clear();
                if let Some(bytes) = binary_at(array, i) {
                    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut text);
                }
                plain.push(&text);
            }
            Column::new(ColumnData::String(encode_strings(plain)))
        }
        A::Dictionary(_, value_type) => {
            let dict = array.as_any_dictionary_opt().ok_or(Problem::Unsupported)?;
            let keys = dict.normalized_keys();
            let valid = validity(array);
            let is_null = |row: usize| valid.as_ref().is_some_and(|b| !b.get(row));
            if matches!(value_type.as_ref(), A::Utf8 | A::LargeUtf8 | A::Utf8View)
                && extension(field) != Some(JSON_EXTENSION)
            {
                string_dictionary(dict.values().as_ref(), &keys, is_null)
            } else {
                let value_field = Field::new(field.name(), value_type.as_ref().clone(), true)
                    .with_metadata(field.metadata().clone());
                let values = convert(dict.values().as_ref(), &value_field)?;
                let indices: Vec<u32> = keys.iter().map(|&k| k as u32).collect();
                let taken = values.take(&indices);
                match valid {
                    Some(v) => {
                        let merged = match &taken.validity {
                            Some(t) => t.and(&v),
                            None => v,
                        };
                        Column::with_validity(taken.data, Some(merged))
                    }
                    None => taken,
                }
            }
        }
        A::Struct(_)
        | A::List(_)
        | A::LargeList(_)
        | A::FixedSizeList(_, _)
        | A::Map(_, _)
        | A::Null => Column::new(ColumnData::Dynamic(dynamic_values(array, field, 0)?)),
        _ => return Err(Problem::Unsupported),
    })
}

/// A dictionary of strings as a kqlite dictionary column (the Arrow
/// dictionary may repeat values or hold unused ones; kqlite's holds each
/// distinct value once).
fn string_dictionary<'a>(
    values: &'a dyn Array,
    keys: &[usize],
    is_null: impl Fn(usize) -> bool,
) -> Column {
    let mut dict = StringArray::default();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut code_of = |s: &'a str, dict: &mut StringArray| -> u32 {
        let next = dict.len() as u32;
        *index.entry(s).or_insert_with(|| {
            dict.push(s);
            next
        })
    };
    let translate: Vec<u32> = (0..values.len())
        .map(|i| code_of(string_at(values, i).unwrap_or(""), &mut dict))
        .collect();
    let mut empty = None;
    let codes = keys
        .iter()
        .enumerate()
        .map(|(row, &k)| {
            if is_null(row) {
                *empty.get_or_insert_with(|| code_of("", &mut dict))
            } else {
                translate.get(k).copied().unwrap_or(0)
            }
        })
        .collect::<Vec<u32>>();
    // An empty dictionary with rows can only come from all-null keys,
    // which pushed "" above.
    Column::new(ColumnData::String(StringColumn::Dict {
        codes,
        dict: Arc::new(dict),
    }))
}

/// Row `i` of a string array of any offset width, `None` when null.
fn string_at(array: &dyn Array, i: usize) -> Option<&str> {
    if array.is_null(i) || i >= array.len() {
        return None;
    }
    if let Some(a) = array.as_string_opt::<i32>() {
        return Some(a.value(i));
    }
    if let Some(a) = array.as_string_opt::<i64>() {
        return Some(a.value(i));
    }
    array.as_string_view_opt().map(|a| a.value(i))
}

/// Calls `f` with every row of a string array of any offset width, in
/// order (`None` for a null), downcasting once.
fn for_each_string<'a>(array: &'a dyn Array, mut f: impl FnMut(Option<&'a str>)) {
    if let Some(a) = array.as_string_opt::<i32>() {
        a.iter().for_each(f);
    } else if let Some(a) = array.as_string_opt::<i64>() {
        a.iter().for_each(f);
    } else if let Some(a) = array.as_string_view_opt() {
        a.iter().for_each(f);
    } else {
        (0..array.len()).for_each(|_| f(None));
    }
}

/// Bytes of string data in a string array (a capacity hint).
fn string_bytes(array: &dyn Array) -> usize {
    if let Some(a) = array.as_string_opt::<i32>() {
        return a.values().len();
    }
    if let Some(a) = array.as_string_opt::<i64>() {
        return a.values().len();
    }
    0
}

/// Row `i` of a binary array of any kind, `None` when null.
fn binary_at(array: &dyn Array, i: usize) -> Option<&[u8]> {
    if array.is_null(i) || i >= array.len() {
        return None;
    }
    if let Some(a) = array.as_binary_opt::<i32>() {
        return Some(a.value(i));
    }
    if let Some(a) = array.as_binary_opt::<i64>() {
        return Some(a.value(i));
    }
    if let Some(a) = array.as_binary_view_opt() {
        return Some(a.value(i));
    }
    array.as_fixed_size_binary_opt().map(|a| a.value(i))
}

/// Distinct JSON texts of one `arrow.json` column parsed once and shared.
const MAX_SHARED_DYNAMIC: usize = 16 * 1024;

/// The deepest nesting of structs, lists and maps read into `dynamic`
/// (deeper types are refused rather than risking the stack).
const MAX_NESTING: usize = 100;

/// Every row of an array as a `dynamic` value (a null row is `null`).
fn dynamic_values(array: &dyn Array, field: &Field, depth: usize) -> Result<Vec<Dynamic>, Problem> {
    use ArrowType as A;
    if depth > MAX_NESTING {
        return Err(Problem::Unsupported);
    }
    let n = array.len();
    let null_out = |mut v: Vec<Dynamic>| {
        if array.null_count() > 0 || matches!(array.data_type(), A::Null) {
            for (i, d) in v.iter_mut().enumerate() {
                if array.is_null(i) {
                    *d = Dynamic::Null;
                }
            }
        }
        v
    };
    let values = match array.data_type() {
        A::Null => vec![Dynamic::Null; n],
        A::Struct(fields) => {
            let s = array.as_struct_opt().ok_or(Problem::Unsupported)?;
            let names: Vec<Arc<str>> = fields
                .iter()
                .map(|f| Arc::from(f.name().as_str()))
                .collect();
            let children = s
                .columns()
                .iter()
                .zip(fields.iter())
                .map(|(c, f)| dynamic_values(c.as_ref(), f, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            (0..n)
                .map(|i| {
                    let bag: IndexMap<Arc<str>, Dynamic> = names
                        .iter()
                        .zip(&children)
                        .map(|(k, c)| (Arc::clone(k), c.get(i).cloned().unwrap_or_default()))
                        .collect();
                    Dynamic::Bag(Arc::new(bag))
                })
                .collect()
        }
        A::List(child) => {
            let l = array.as_list_opt::<i32>().ok_or(Problem::Unsupported)?;
            let items = dynamic_values(l.values().as_ref(), child, depth + 1)?;
            let offsets: Vec<usize> = l.offsets().iter().map(|&o| o.max(0) as usize).collect();
            lists(&items, &offsets)
        }
        A::LargeList(child) => {
            let l = array.as_list_opt::<i64>().ok_or(Problem::Unsupported)?;
            let items = dynamic_values(l.values().as_ref(), child, depth + 1)?;
            let offsets: Vec<usize> = l.offsets().iter().map(|&o| o.max(0) as usize).collect();
            lists(&items, &offsets)
        }
        A::FixedSizeList(child, size) => {
            let l = array.as_fixed_size_list_opt().ok_or(Problem::Unsupported)?;
            let items = dynamic_values(l.values().as_ref(), child, depth + 1)?;
            let size = (*size).max(0) as usize;
            let offsets: Vec<usize> = (0..=n).map(|i| i * size).collect();
            lists(&items, &offsets)
        }
        A::Map(entry, _) => {
            let m = array.as_map_opt().ok_or(Problem::Unsupported)?;
            let (key_field, value_field) = match entry.data_type() {
                A::Struct(f) => match (f.first(), f.get(1)) {
                    (Some(k), Some(v)) => (k.clone(), v.clone()),
                    _ => return Err(Problem::Unsupported),
                },
                _ => return Err(Problem::Unsupported),
            };
            let keys = dynamic_values(m.keys().as_ref(), &key_field, depth + 1)?;
            let values = dynamic_values(m.values().as_ref(), &value_field, depth + 1)?;
            let offsets: Vec<usize> = m.offsets().iter().map(|&o| o.max(0) as usize).collect();
            offsets
                .windows(2)
                .map(|w| {
                    let (from, to) = (w[0], w[1]);
                    let bag: IndexMap<Arc<str>, Dynamic> = (from..to)
                        .map(|j| {
                            let key: Arc<str> = match keys.get(j) {
                                Some(Dynamic::String(s)) => Arc::clone(s),
                                Some(other) => Value::Dynamic(other.clone()).to_string().into(),
                                None => Arc::from(""),
                            };
                            (key, values.get(j).cloned().unwrap_or_default())
                        })
                        .collect();
                    Dynamic::Bag(Arc::new(bag))
                })
                .collect()
        }
        A::Dictionary(_, value_type) => {
            let dict = array.as_any_dictionary_opt().ok_or(Problem::Unsupported)?;
            let value_field = Field::new(field.name(), value_type.as_ref().clone(), true)
                .with_metadata(field.metadata().clone());
            let values = dynamic_values(dict.values().as_ref(), &value_field, depth + 1)?;
            dict.normalized_keys()
                .iter()
                .map(|&k| values.get(k).cloned().unwrap_or_default())
                .collect()
        }
        _ => {
            // A scalar type: convert as a column, then read its cells.
            let col = convert(array, field)?;
            (0..n).map(|i| scalar_dynamic(&col, i)).collect()
        }
    };
    Ok(null_out(values))
}

fn lists(items: &[Dynamic], offsets: &[usize]) -> Vec<Dynamic> {
    offsets
        .windows(2)
        .map(|w| {
            let part = items.get(w[0]..w[1]).unwrap_or_default();
            Dynamic::Array(Arc::new(part.to_vec()))
        })
        .collect()
}

/// A scalar cell as a `dynamic` value (decimals as reals).
fn scalar_dynamic(col: &Column, i: usize) -> Dynamic {
    match col.get(i) {
        Value::Null => Dynamic::Null,
        Value::Bool(b) => Dynamic::Bool(b),
        Value::Int(v) => Dynamic::Long(v.into()),
        Value::Long(v) => Dynamic::Long(v),
        Value::Real(v) => Dynamic::Real(v),
        Value::Decimal(d) => {
            Dynamic::Real(rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(f64::NAN))
        }
        Value::String(s) => Dynamic::String(s),
        Value::DateTime(t) => Dynamic::DateTime(t),
        Value::TimeSpan(t) => Dynamic::TimeSpan(t),
        Value::Guid(g) => Dynamic::Guid(g),
        Value::Dynamic(d) => d,
    }
}

// ---------------------------------------------------------------------------
// kqlite -> Arrow

/// Nanoseconds hold ±292 years around 1970: datetimes within, in ticks.
const NANOS_MIN_DATETIME: i64 = UNIX_EPOCH_TICKS + i64::MIN / 100 + 1;
const NANOS_MAX_DATETIME: i64 = UNIX_EPOCH_TICKS + i64::MAX / 100;

/// Whether every non-null value lies in `lo..=hi` (a null's placeholder
/// does not count).
fn fits_nanos(ticks: &[i64], validity: Option<&Bitmap>, lo: i64, hi: i64) -> bool {
    ticks
        .iter()
        .enumerate()
        .all(|(i, t)| (lo..=hi).contains(t) || validity.is_some_and(|v| !v.get(i)))
}

fn decimal_scale(values: &[Decimal]) -> u32 {
    values.iter().map(Decimal::scale).max().unwrap_or(0)
}

pub(crate) fn field_for(name: &str, col: &Column) -> Field {
    let ty = match &col.data {
        ColumnData::Bool(_) => ArrowType::Boolean,
        ColumnData::Int(_) => ArrowType::Int32,
        ColumnData::Long(_) => ArrowType::Int64,
        ColumnData::Real(_) => ArrowType::Float64,
        ColumnData::Decimal(v) => {
            let scale = decimal_scale(v) as i8;
            if decimal128_values(v, scale as u32).is_some() {
                ArrowType::Decimal128(38, scale)
            } else {
                ArrowType::Decimal256(76, scale)
            }
        }
        ColumnData::String(StringColumn::Dict { dict, .. }) if dict.len() <= i32::MAX as usize => {
            ArrowType::Dictionary(Box::new(ArrowType::Int32), Box::new(ArrowType::Utf8))
        }
        ColumnData::String(_) => ArrowType::Utf8,
        ColumnData::DateTime(v) => {
            let unit = if fits_nanos(
                v,
                col.validity.as_ref(),
                NANOS_MIN_DATETIME,
                NANOS_MAX_DATETIME,
            ) {
                TimeUnit::Nanosecond
            } else {
                TimeUnit::Microsecond
            };
            ArrowType::Timestamp(unit, Some("UTC".into()))
        }
        ColumnData::TimeSpan(v) => {
            if fits_nanos(v, col.validity.as_ref(), i64::MIN / 100 + 1, i64::MAX / 100) {
                ArrowType::Duration(TimeUnit::Nanosecond)
            } else {
                ArrowType::Duration(TimeUnit::Microsecond)
            }
        }
        ColumnData::Guid(_) => ArrowType::FixedSizeBinary(16),
        ColumnData::Dynamic(_) | ColumnData::Shredded(_) => ArrowType::Utf8,
    };
    let field = Field::new(name, ty, true);
    let ext = match &col.data {
        ColumnData::Guid(_) => UUID_EXTENSION,
        ColumnData::Dynamic(_) | ColumnData::Shredded(_) => JSON_EXTENSION,
        _ => return field,
    };
    field.with_metadata(HashMap::from([(
        EXTENSION_KEY.to_string(),
        ext.to_string(),
    )]))
}

fn null_buffer(col: &Column) -> Option<NullBuffer> {
    let bits = col.validity.as_ref()?;
    let bytes: Vec<u8> = bits.words().iter().flat_map(|w| w.to_le_bytes()).collect();
    Some(NullBuffer::new(BooleanBuffer::new(
        Buffer::from_vec(bytes),
        0,
        bits.len(),
    )))
}

fn decimal128_values(values: &[Decimal], scale: u32) -> Option<Vec<i128>> {
    values
        .iter()
        .map(|d| {
            let up = scale.checked_sub(d.scale())?;
            d.mantissa().checked_mul(10i128.checked_pow(up)?)
        })
        .collect()
}

fn decimal256_values(values: &[Decimal], scale: u32) -> Vec<i256> {
    values
        .iter()
        .map(|d| {
            let up = scale.saturating_sub(d.scale());
            let mut m = i256::from_i128(d.mantissa());
            for _ in 0..up {
                m = m.wrapping_mul(i256::from_i128(10));
            }
            m
        })
        .collect()
}

fn datetime_values(ticks: &[i64], nanos: bool) -> Vec<i64> {
    if nanos {
        ticks
            .iter()
            .map(|t| t.wrapping_sub(UNIX_EPOCH_TICKS).wrapping_mul(100))
            .collect()
    } else {
        ticks
            .iter()
            .map(|t| {
                t.wrapping_sub(UNIX_EPOCH_TICKS)
                    .div_euclid(TICKS_PER_MICROSECOND)
            })
            .collect()
    }
}

fn timespan_values(ticks: &[i64], nanos: bool) -> Vec<i64> {
    if nanos {
        ticks.iter().map(|t| t.wrapping_mul(100)).collect()
    } else {
        ticks
            .iter()
            .map(|t| t.div_euclid(TICKS_PER_MICROSECOND))
            .collect()
    }
}

/// An Arrow array of type `ty` (as [`field_for`] chose for the whole
/// column) holding a column or a slice of it, copying its values.
pub(crate) fn array_for(col: &Column, ty: &ArrowType) -> ArrayRef {
    let nulls = null_buffer(col);
    match (&col.data, ty) {
        (ColumnData::Int(v), _) => Arc::new(Int32Array::new(ScalarBuffer::from(v.clone()), nulls)),
        (ColumnData::Long(v), _) => Arc::new(Int64Array::new(ScalarBuffer::from(v.clone()), nulls)),
        (ColumnData::Real(v), _) => {
            Arc::new(Float64Array::new(ScalarBuffer::from(v.clone()), nulls))
        }
        (ColumnData::Bool(v), _) => {
            Arc::new(BooleanArray::new(BooleanBuffer::from(v.as_slice()), nulls))
        }
        (ColumnData::Decimal(v), ArrowType::Decimal128(p, s)) => {
            let m = decimal128_values(v, (*s).max(0) as u32).unwrap_or_else(|| vec![0; v.len()]);
            Arc::new(
                Decimal128Array::new(ScalarBuffer::from(m), nulls)
                    .with_precision_and_scale(*p, *s)
                    .unwrap_or_else(|_| Decimal128Array::from(vec![0i128; v.len()])),
            )
        }
        (ColumnData::Decimal(v), ArrowType::Decimal256(p, s)) => {
            let m = decimal256_values(v, (*s).max(0) as u32);
            Arc::new(
                Decimal256Array::new(ScalarBuffer::from(m), nulls)
                    .with_precision_and_scale(*p, *s)
                    .unwrap_or_else(|_| Decimal256Array::from(vec![i256::ZERO; v.len()])),
            )
        }
        (ColumnData::Decimal(v), _) => Arc::new(Decimal128Array::from(vec![0i128; v.len()])),
        (ColumnData::String(s), ArrowType::Dictionary(..)) => {
            let encoded;
            let (codes, dict) = match s {
                StringColumn::Dict { codes, dict } => (codes, dict),
                StringColumn::Plain(_) => {
                    encoded = StringColumn::dictionary((0..s.len()).map(|i| s.get(i)));
                    match &encoded {
                        StringColumn::Dict { codes, dict } => (codes, dict),
                        StringColumn::Plain(_) => return plain_strings(&col.data),
                    }
                }
            };
            let keys = Int32Array::from(codes.iter().map(|&c| c as i32).collect::<Vec<i32>>());
            let values = Arc::new(ArrowStrings::from_iter_values(dict.iter()));
            match DictionaryArray::<Int32Type>::try_new(keys, values) {
                Ok(d) => Arc::new(d),
                Err(_) => plain_strings(&col.data),
            }
        }
        (ColumnData::String(_), _) => plain_strings(&col.data),
        (ColumnData::DateTime(v), ArrowType::Timestamp(TimeUnit::Nanosecond, _)) => {
            let values = ScalarBuffer::from(datetime_values(v, true));
            Arc::new(TimestampNanosecondArray::new(values, nulls).with_timezone("UTC"))
        }
        (ColumnData::DateTime(v), _) => {
            let values = ScalarBuffer::from(datetime_values(v, false));
            Arc::new(TimestampMicrosecondArray::new(values, nulls).with_timezone("UTC"))
        }
        (ColumnData::TimeSpan(v), ArrowType::Duration(TimeUnit::Nanosecond)) => Arc::new(
            DurationNanosecondArray::new(ScalarBuffer::from(timespan_values(v, true)), nulls),
        ),
        (ColumnData::TimeSpan(v), _) => Arc::new(DurationMicrosecondArray::new(
            ScalarBuffer::from(timespan_values(v, false)),
            nulls,
        )),
        (ColumnData::Guid(v), _) => {
            let bytes: Vec<u8> = v.iter().flat_map(|g| g.to_be_bytes()).collect();
            match FixedSizeBinaryArray::try_new(16, Buffer::from_vec(bytes), nulls) {
                Ok(a) => Arc::new(a),
                Err(_) => Arc::new(FixedSizeBinaryArray::new_null(16, v.len())),
            }
        }
        (ColumnData::Shredded(s), _) => {
            let mut buf = Vec::new();
            let texts: ArrowStrings = (0..s.len())
                .map(|i| {
                    if s.is_null(i) {
                        return None;
                    }
                    buf.clear();
                    super::write::push_shredded(&mut buf, s, i);
                    Some(String::from_utf8_lossy(&buf).into_owned())
                })
                .collect();
            Arc::new(texts)
        }
        (ColumnData::Dynamic(v), _) => {
            let mut buf = Vec::new();
            let texts: ArrowStrings = v
                .iter()
                .map(|d| {
                    if d.is_null() {
                        return None;
                    }
                    buf.clear();
                    super::write::push_dynamic(&mut buf, d);
                    Some(String::from_utf8_lossy(&buf).into_owned())
                })
                .collect();
            Arc::new(texts)
        }
    }
}

/// [`array_for`] of a column it may take apart: `int`, `long` and `real`
/// values move into the Arrow array without a copy.
fn array_for_owned(col: Column, ty: &ArrowType) -> ArrayRef {
    let nulls = null_buffer(&col);
    match col.data {
        ColumnData::Int(v) => Arc::new(Int32Array::new(ScalarBuffer::from(v), nulls)),
        ColumnData::Long(v) => Arc::new(Int64Array::new(ScalarBuffer::from(v), nulls)),
        ColumnData::Real(v) => Arc::new(Float64Array::new(ScalarBuffer::from(v), nulls)),
        _ => array_for(&col, ty),
    }
}

fn plain_strings(data: &ColumnData) -> ArrayRef {
    match data {
        ColumnData::String(s) => Arc::new(ArrowStrings::from_iter_values(
            (0..s.len()).map(|i| s.get(i)),
        )),
        _ => Arc::new(ArrowStrings::from(Vec::<&str>::new())),
    }
}

// ---------------------------------------------------------------------------
// Tables from batches, with a declared schema

/// Converts record batches (on all threads) and joins them into one table;
/// `path` names the source in errors.
pub(crate) fn table_from_batches(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    path: &str,
    first_row: usize,
) -> Result<Table, LoadError> {
    let mut starts = Vec::with_capacity(batches.len());
    let mut row = first_row;
    for b in batches {
        starts.push(row);
        row += b.num_rows();
    }
    let parts = batches
        .par_iter()
        .zip(starts.par_iter())
        .map(|(b, &start)| Table::from_record_batch(b).map_err(|e| e.into_load_error(path, start)))
        .collect::<Result<Vec<Table>, LoadError>>()?;
    if parts.is_empty() {
        // No rows: the columns still come from the schema.
        let empty = RecordBatch::new_empty(Arc::clone(schema));
        return Table::from_record_batch(&empty).map_err(|e| e.into_load_error(path, first_row));
    }
    let rows = row - first_row;
    match crate::concat::concat_tables(parts) {
        Some(t) if t.num_columns() > 0 => Ok(t),
        Some(_) => Ok(Table::empty(rows)),
        None => Err(LoadError::Shape {
            path: path.to_string(),
            message: "record batches disagree on a column's type".to_string(),
        }),
    }
}

/// Lays a loaded table out as a declared schema: its columns first, in
/// order, converted to its types as `to<type>()` would (a non-null value
/// that does not convert fails the load); a schema column the file lacks
/// is all null unless `sparse`; the file's other columns follow.
pub(crate) fn apply_schema(
    table: Table,
    schema: Option<&[(String, DataType)]>,
    sparse: bool,
    path: &str,
) -> Result<Table, LoadError> {
    let Some(schema) = schema else {
        return Ok(table);
    };
    let n = table.num_rows();
    let mut columns: Vec<(String, Arc<Column>)> = Vec::with_capacity(schema.len());
    for (name, ty) in schema {
        let col = match table.column(name) {
            Some(c) if c.data_type() == *ty => Arc::clone(c),
            Some(c) => Arc::new(convert_column(c, *ty, name, path)?),
            None if sparse => continue,
            None => Arc::new(Column::nulls(*ty, n)),
        };
        columns.push((name.clone(), col));
    }
    for (name, col) in table.columns() {
        if !schema.iter().any(|(s, _)| s == name) {
            columns.push((name.to_string(), Arc::clone(col)));
        }
    }
    if columns.is_empty() {
        return Ok(Table::empty(n));
    }
    Table::try_new(columns).map_err(|source| LoadError::Table {
        path: path.to_string(),
        source,
    })
}

fn convert_column(col: &Column, ty: DataType, name: &str, path: &str) -> Result<Column, LoadError> {
    let n = col.len();
    let mut b = ColumnBuilder::new(ty, n);
    for i in 0..n {
        let v = col.get(i);
        let converted = crate::kernels::convert_value(&v, ty);
        let lost = converted.is_null() && !v.is_null();
        if lost || b.push(&converted).is_err() {
            return Err(LoadError::Value {
                path: path.to_string(),
                line: i + 1,
                column: name.to_string(),
                expected: ty,
                found: v.to_string(),
            });
        }
    }
    Ok(b.finish())
}

// ---------------------------------------------------------------------------
// Arrow IPC files and streams

/// The magic bytes an Arrow IPC file starts with.
const IPC_FILE_MAGIC: &[u8] = b"ARROW1";

/// Loads an Arrow IPC file (`.arrow`, Feather v2 `.feather`) or stream
/// (`.arrows`), telling them apart by the file's first bytes. `schema`
/// and `options.sparse` lay the table out as [`super::load_reader`]
/// describes.
pub fn load_arrow_ipc(
    path: &std::path::Path,
    schema: Option<&[(String, DataType)]>,
    options: &LoadOptions,
) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let io_error = |source| LoadError::Io {
        path: name.clone(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut head = [0u8; 6];
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_error(e)),
        }
    }
    file.rewind().map_err(io_error)?;
    let reader = io::BufReader::with_capacity(1 << 20, file);
    let table = if head.get(..got) == Some(IPC_FILE_MAGIC) {
        read_ipc_file(reader, &name)?
    } else {
        read_ipc_stream(reader, &name)?
    };
    let table = apply_schema(table, schema, options.sparse, &name)?;
    Ok(Loaded {
        table,
        rejected: Vec::new(),
    })
}

fn arrow_error(path: &str, e: ArrowError) -> LoadError {
    LoadError::Shape {
        path: path.to_string(),
        message: format!("not a readable Arrow IPC file or stream: {e}"),
    }
}

fn read_ipc_file(reader: impl Read + Seek, path: &str) -> Result<Table, LoadError> {
    let reader =
        arrow_ipc::reader::FileReader::try_new(reader, None).map_err(|e| arrow_error(path, e))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| arrow_error(path, e))?;
    table_from_batches(&schema, &batches, path, 0)
}

fn read_ipc_stream(reader: impl Read, path: &str) -> Result<Table, LoadError> {
    let reader =
        arrow_ipc::reader::StreamReader::try_new(reader, None).map_err(|e| arrow_error(path, e))?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| arrow_error(path, e))?;
    table_from_batches(&schema, &batches, path, 0)
}

/// Reads an Arrow IPC stream from any reader (`source_name` names it in
/// errors).
pub fn load_arrow_stream(reader: impl Read, source_name: &str) -> Result<Table, LoadError> {
    read_ipc_stream(io::BufReader::with_capacity(1 << 20, reader), source_name)
}

fn io_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes a table as an Arrow IPC file (the format of `.arrow` and Feather
/// v2 files), typed as the module documentation lists.
pub fn write_arrow_ipc(table: &Table, out: impl Write) -> io::Result<()> {
    let batch = table.to_record_batch().map_err(io_error)?;
    let mut w = arrow_ipc::writer::FileWriter::try_new(out, &batch.schema()).map_err(io_error)?;
    w.write(&batch).map_err(io_error)?;
    w.finish().map_err(io_error)
}

/// Writes a table as an Arrow IPC stream (`.arrows`).
pub fn write_arrow_stream(table: &Table, out: impl Write) -> io::Result<()> {
    let batch = table.to_record_batch().map_err(io_error)?;
    let mut w = arrow_ipc::writer::StreamWriter::try_new(out, &batch.schema()).map_err(io_error)?;
    w.write(&batch).map_err(io_error)?;
    w.finish().map_err(io_error)
}
