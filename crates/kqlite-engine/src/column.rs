//! Typed columns: one vector per type plus a validity bitmap.
//!
//! Strings have no nulls in KQL (a missing string is `""`), so string columns
//! carry no validity. Low-cardinality strings are dictionary-encoded: a
//! predicate such as `has_any` then runs once per distinct value, not once
//! per row.

use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::bitmap::Bitmap;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Strings stored back to back in one buffer, delimited by offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StringArray {
    offsets: Vec<u64>,
    bytes: String,
}

impl Default for StringArray {
    fn default() -> StringArray {
        StringArray {
            offsets: vec![0],
            bytes: String::new(),
        }
    }
}

impl StringArray {
    /// An empty array with room for `rows` strings of `bytes` total bytes.
    pub fn with_capacity(rows: usize, bytes: usize) -> StringArray {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringArray {
            offsets,
            bytes: String::with_capacity(bytes),
        }
    }

    /// Appends a string.
    #[inline]
    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.offsets.push(self.bytes.len() as u64);
    }

    /// Number of strings.
    #[inline]
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether there are no strings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// String `i`; out of range gives `""`.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.bytes.get(a as usize..b as usize).unwrap_or(""),
            _ => "",
        }
    }

    /// Iterates over the strings.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Total bytes of string data.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }
}

impl<'a> FromIterator<&'a str> for StringArray {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> StringArray {
        let mut a = StringArray::default();
        for s in iter {
            a.push(s);
        }
        a
    }
}

/// A string column, plain or dictionary-encoded.
#[derive(Debug, Clone, PartialEq)]
pub enum StringColumn {
    /// Every row's text stored in order.
    Plain(StringArray),
    /// Row `i` is `dict[codes[i]]`; the dictionary holds distinct values
    /// (in first-seen order when built by [`StringColumn::dictionary`]).
    Dict {
        /// Index into `dict` per row.
        codes: Vec<u32>,
        /// Distinct values.
        dict: Arc<StringArray>,
    },
}

impl StringColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            StringColumn::Plain(a) => a.len(),
            StringColumn::Dict { codes, .. } => codes.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `i`'s text.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        match self {
            StringColumn::Plain(a) => a.get(i),
            StringColumn::Dict { codes, dict } => {
                codes.get(i).map_or("", |&c| dict.get(c as usize))
            }
        }
    }

    /// Dictionary-encodes a sequence of strings (first-seen order).
    pub fn dictionary<'a>(values: impl IntoIterator<Item = &'a str>) -> StringColumn {
        let mut dict = StringArray::default();
        let mut index: FxHashMap<&'a str, u32> = FxHashMap::default();
        let codes = values
            .into_iter()
            .map(|s| {
                *index.entry(s).or_insert_with(|| {
                    dict.push(s);
                    (dict.len() - 1) as u32
                })
            })
            .collect();
        StringColumn::Dict {
            codes,
            dict: Arc::new(dict),
        }
    }

    /// The rows at `indices`, in that order. Dictionary columns stay encoded.
    pub fn take(&self, indices: &[u32]) -> StringColumn {
        match self {
            StringColumn::Plain(a) => {
                StringColumn::Plain(indices.iter().map(|&i| a.get(i as usize)).collect())
            }
            StringColumn::Dict { codes, dict } => StringColumn::Dict {
                codes: indices
                    .iter()
                    .map(|&i| codes.get(i as usize).copied().unwrap_or(0))
                    .collect(),
                dict: dict.clone(),
            },
        }
    }
}

/// The values of a column, one vector per type.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// `bool`
    Bool(Vec<bool>),
    /// `int`
    Int(Vec<i32>),
    /// `long`
    Long(Vec<i64>),
    /// `real`
    Real(Vec<f64>),
    /// `decimal`
    Decimal(Vec<Decimal>),
    /// `string`
    String(StringColumn),
    /// `datetime` ticks
    DateTime(Vec<i64>),
    /// `timespan` ticks
    TimeSpan(Vec<i64>),
    /// `guid`
    Guid(Vec<u128>),
    /// `dynamic` (nulls are `Dynamic::Null`, no validity needed)
    Dynamic(Vec<Dynamic>),
}

/// A typed column with an optional validity bitmap (`None` = no nulls).
///
/// Null slots hold an arbitrary placeholder value (zero) in `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The values.
    pub data: ColumnData,
    /// Bit `i` set = row `i` is not null. Always `None` for strings and dynamic.
    pub validity: Option<Bitmap>,
}

impl Column {
    /// A column without nulls.
    pub fn new(data: ColumnData) -> Column {
        Column {
            data,
            validity: None,
        }
    }

    /// A column with a validity bitmap (dropped if every row is valid, or if
    /// the type cannot be null).
    pub fn with_validity(data: ColumnData, validity: Option<Bitmap>) -> Column {
        let validity = match (&data, validity) {
            (ColumnData::String(_) | ColumnData::Dynamic(_), _) => None,
            (_, Some(v)) if v.all() => None,
            (_, v) => v,
        };
        Column { data, validity }
    }

    /// The column's type.
    pub fn data_type(&self) -> DataType {
        match &self.data {
            ColumnData::Bool(_) => DataType::Bool,
            ColumnData::Int(_) => DataType::Int,
            ColumnData::Long(_) => DataType::Long,
            ColumnData::Real(_) => DataType::Real,
            ColumnData::Decimal(_) => DataType::Decimal,
            ColumnData::String(_) => DataType::String,
            ColumnData::DateTime(_) => DataType::DateTime,
            ColumnData::TimeSpan(_) => DataType::TimeSpan,
            ColumnData::Guid(_) => DataType::Guid,
            ColumnData::Dynamic(_) => DataType::Dynamic,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Bool(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Long(v) => v.len(),
            ColumnData::Real(v) => v.len(),
            ColumnData::Decimal(v) => v.len(),
            ColumnData::String(v) => v.len(),
            ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => v.len(),
            ColumnData::Guid(v) => v.len(),
            ColumnData::Dynamic(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is null (a `dynamic` null counts; strings never are).
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        match (&self.data, &self.validity) {
            (ColumnData::Dynamic(v), _) => v.get(i).is_none_or(Dynamic::is_null),
            (_, Some(valid)) => !valid.get(i),
            _ => false,
        }
    }

    /// Row `i` as a [`Value`] (slow path: for results and tests, not kernels).
    pub fn get(&self, i: usize) -> Value {
        if i >= self.len() {
            return Value::Null;
        }
        if let Some(valid) = &self.validity {
            if !valid.get(i) {
                return Value::Null;
            }
        }
        match &self.data {
            ColumnData::Bool(v) => Value::Bool(v[i]),
            ColumnData::Int(v) => Value::Int(v[i]),
            ColumnData::Long(v) => Value::Long(v[i]),
            ColumnData::Real(v) => Value::Real(v[i]),
            ColumnData::Decimal(v) => Value::Decimal(v[i]),
            ColumnData::String(v) => Value::String(v.get(i).into()),
            ColumnData::DateTime(v) => Value::DateTime(v[i]),
            ColumnData::TimeSpan(v) => Value::TimeSpan(v[i]),
            ColumnData::Guid(v) => Value::Guid(v[i]),
            ColumnData::Dynamic(v) => Value::Dynamic(v[i].clone()),
        }
    }

    /// The rows at `indices`, in that order (a gather).
    pub fn take(&self, indices: &[u32]) -> Column {
        fn gather<T: Copy + Default>(v: &[T], idx: &[u32]) -> Vec<T> {
            idx.iter()
                .map(|&i| v.get(i as usize).copied().unwrap_or_default())
                .collect()
        }
        let data = match &self.data {
            ColumnData::Bool(v) => ColumnData::Bool(gather(v, indices)),
            ColumnData::Int(v) => ColumnData::Int(gather(v, indices)),
            ColumnData::Long(v) => ColumnData::Long(gather(v, indices)),
            ColumnData::Real(v) => ColumnData::Real(gather(v, indices)),
            ColumnData::Decimal(v) => ColumnData::Decimal(gather(v, indices)),
            ColumnData::String(v) => ColumnData::String(v.take(indices)),
            ColumnData::DateTime(v) => ColumnData::DateTime(gather(v, indices)),
            ColumnData::TimeSpan(v) => ColumnData::TimeSpan(gather(v, indices)),
            ColumnData::Guid(v) => ColumnData::Guid(gather(v, indices)),
            ColumnData::Dynamic(v) => ColumnData::Dynamic(
                indices
                    .iter()
                    .map(|&i| v.get(i as usize).cloned().unwrap_or_default())
                    .collect(),
            ),
        };
        Column::with_validity(data, self.validity.as_ref().map(|b| b.take(indices)))
    }

    /// A column of `len` nulls of type `ty` (`""` for strings).
    pub fn nulls(ty: DataType, len: usize) -> Column {
        let data = match ty {
            DataType::Bool => ColumnData::Bool(vec![false; len]),
            DataType::Int => ColumnData::Int(vec![0; len]),
            DataType::Long => ColumnData::Long(vec![0; len]),
            DataType::Real => ColumnData::Real(vec![0.0; len]),
            DataType::Decimal => ColumnData::Decimal(vec![Decimal::ZERO; len]),
            DataType::String => ColumnData::String(StringColumn::Dict {
                codes: vec![0; len],
                dict: Arc::new(std::iter::once("").collect()),
            }),
            DataType::DateTime => ColumnData::DateTime(vec![0; len]),
            DataType::TimeSpan => ColumnData::TimeSpan(vec![0; len]),
            DataType::Guid => ColumnData::Guid(vec![0; len]),
            DataType::Dynamic => ColumnData::Dynamic(vec![Dynamic::Null; len]),
        };
        Column::with_validity(data, Some(Bitmap::new(len, false)))
    }

    /// A column holding `value` in each of `len` rows, typed `ty`.
    /// Returns `None` when the value does not have type `ty`.
    pub fn repeat(value: &Value, ty: DataType, len: usize) -> Option<Column> {
        let mut b = ColumnBuilder::new(ty, len);
        for _ in 0..len {
            b.push(value).ok()?;
        }
        Some(b.finish())
    }
}

/// The error of pushing a value of the wrong type into a [`ColumnBuilder`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected a value of type {expected}, got {got}")]
pub struct TypeMismatch {
    /// The column type.
    pub expected: DataType,
    /// The value's type (`null` for untyped nulls).
    pub got: String,
}

/// Builds a column value by value, for loaders, `datatable` and tests.
#[derive(Debug)]
pub struct ColumnBuilder {
    data: ColumnData,
    plain: Option<StringArray>,
    validity: Bitmap,
}

impl ColumnBuilder {
    /// A builder for a column of type `ty`, expecting about `capacity` rows.
    pub fn new(ty: DataType, capacity: usize) -> ColumnBuilder {
        let data = match ty {
            DataType::Bool => ColumnData::Bool(Vec::with_capacity(capacity)),
            DataType::Int => ColumnData::Int(Vec::with_capacity(capacity)),
            DataType::Long => ColumnData::Long(Vec::with_capacity(capacity)),
            DataType::Real => ColumnData::Real(Vec::with_capacity(capacity)),
            DataType::Decimal => ColumnData::Decimal(Vec::with_capacity(capacity)),
            DataType::String => ColumnData::String(StringColumn::Plain(StringArray::default())),
            DataType::DateTime => ColumnData::DateTime(Vec::with_capacity(capacity)),
            DataType::TimeSpan => ColumnData::TimeSpan(Vec::with_capacity(capacity)),
            DataType::Guid => ColumnData::Guid(Vec::with_capacity(capacity)),
            DataType::Dynamic => ColumnData::Dynamic(Vec::with_capacity(capacity)),
        };
        let plain = (ty == DataType::String).then(|| StringArray::with_capacity(capacity, 0));
        ColumnBuilder {
            data,
            plain,
            validity: Bitmap::default(),
        }
    }

    /// Appends a null (`""` for strings, `Dynamic::Null` for dynamic).
    pub fn push_null(&mut self) {
        self.validity.push(false);
        match &mut self.data {
            ColumnData::Bool(v) => v.push(false),
            ColumnData::Int(v) => v.push(0),
            ColumnData::Long(v) => v.push(0),
            ColumnData::Real(v) => v.push(0.0),
            ColumnData::Decimal(v) => v.push(Decimal::ZERO),
            ColumnData::String(_) => {
                if let Some(p) = &mut self.plain {
                    p.push("");
                }
            }
            ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => v.push(0),
            ColumnData::Guid(v) => v.push(0),
            ColumnData::Dynamic(v) => v.push(Dynamic::Null),
        }
    }

    /// Appends a value of the builder's type (or a null).
    pub fn push(&mut self, value: &Value) -> Result<(), TypeMismatch> {
        match (&mut self.data, value) {
            (_, Value::Null) => {
                self.push_null();
                return Ok(());
            }
            (ColumnData::Bool(v), Value::Bool(x)) => v.push(*x),
            (ColumnData::Int(v), Value::Int(x)) => v.push(*x),
            (ColumnData::Long(v), Value::Long(x)) => v.push(*x),
            (ColumnData::Real(v), Value::Real(x)) => v.push(*x),
            (ColumnData::Decimal(v), Value::Decimal(x)) => v.push(*x),
            (ColumnData::String(_), Value::String(s)) => {
                if let Some(p) = &mut self.plain {
                    p.push(s);
                }
            }
            (ColumnData::DateTime(v), Value::DateTime(x)) => v.push(*x),
            (ColumnData::TimeSpan(v), Value::TimeSpan(x)) => v.push(*x),
            (ColumnData::Guid(v), Value::Guid(x)) => v.push(*x),
            (ColumnData::Dynamic(v), Value::Dynamic(x)) => v.push(x.clone()),
            (data, other) => {
                let expected = Column::new(data.clone_empty()).data_type();
                return Err(TypeMismatch {
                    expected,
                    got: other
                        .data_type()
                        .map_or("null".to_string(), |t| t.name().to_string()),
                });
            }
        }
        self.validity.push(true);
        Ok(())
    }

    /// Appends a string (string builders only; ignored otherwise).
    pub fn push_str(&mut self, s: &str) {
        if let Some(p) = &mut self.plain {
            p.push(s);
            self.validity.push(true);
        }
    }

    /// Number of rows so far.
    pub fn len(&self) -> usize {
        self.validity.len()
    }

    /// Whether no rows were pushed.
    pub fn is_empty(&self) -> bool {
        self.validity.is_empty()
    }

    /// Finishes the column. Strings with few distinct values (at most one
    /// distinct value per 4 rows) are dictionary-encoded.
    pub fn finish(self) -> Column {
        let data = match (self.data, self.plain) {
            (ColumnData::String(_), Some(plain)) => ColumnData::String(encode_strings(plain)),
            (data, _) => data,
        };
        Column::with_validity(data, Some(self.validity))
    }
}

/// Chooses the string layout for `plain`: dictionary-encoded when values
/// repeat enough for it to pay off, else plain.
pub fn encode_strings(plain: StringArray) -> StringColumn {
    let rows = plain.len();
    if rows < 16 {
        return StringColumn::Plain(plain);
    }
    let limit = rows / 4;
    let few_distinct = {
        let mut distinct: FxHashMap<&str, ()> = FxHashMap::default();
        plain.iter().all(|s| {
            distinct.insert(s, ());
            distinct.len() <= limit
        })
    };
    if few_distinct {
        StringColumn::dictionary(plain.iter())
    } else {
        StringColumn::Plain(plain)
    }
}

impl ColumnData {
    fn clone_empty(&self) -> ColumnData {
        match self {
            ColumnData::Bool(_) => ColumnData::Bool(Vec::new()),
            ColumnData::Int(_) => ColumnData::Int(Vec::new()),
            ColumnData::Long(_) => ColumnData::Long(Vec::new()),
            ColumnData::Real(_) => ColumnData::Real(Vec::new()),
            ColumnData::Decimal(_) => ColumnData::Decimal(Vec::new()),
            ColumnData::String(_) => {
                ColumnData::String(StringColumn::Plain(StringArray::default()))
            }
            ColumnData::DateTime(_) => ColumnData::DateTime(Vec::new()),
            ColumnData::TimeSpan(_) => ColumnData::TimeSpan(Vec::new()),
            ColumnData::Guid(_) => ColumnData::Guid(Vec::new()),
            ColumnData::Dynamic(_) => ColumnData::Dynamic(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_strings_are_dictionary_encoded_and_read_back() {
        let mut b = ColumnBuilder::new(DataType::String, 100);
        for i in 0..100 {
            b.push_str(["Browser", "IMAP4", "SMTP"][i % 3]);
        }
        let c = b.finish();
        assert!(matches!(
            c.data,
            ColumnData::String(StringColumn::Dict { .. })
        ));
        assert_eq!(c.get(4), Value::string("IMAP4"));
        let t = c.take(&[2, 0]);
        assert_eq!(t.get(0), Value::string("SMTP"));
    }

    #[test]
    fn nulls_survive_a_take() {
        let mut b = ColumnBuilder::new(DataType::Long, 3);
        b.push(&Value::Long(1)).unwrap();
        b.push(&Value::Null).unwrap();
        b.push(&Value::Long(3)).unwrap();
        let c = b.finish();
        let t = c.take(&[1, 2]);
        assert!(t.is_null(0));
        assert_eq!(t.get(1), Value::Long(3));
    }

    #[test]
    fn pushing_the_wrong_type_is_an_error_not_a_panic() {
        let mut b = ColumnBuilder::new(DataType::Long, 1);
        let err = b.push(&Value::string("x")).unwrap_err();
        assert_eq!(err.expected, DataType::Long);
    }
}
