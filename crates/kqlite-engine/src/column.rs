//! Typed columns: one vector per type plus a validity bitmap.
//!
//! Strings have no nulls in KQL (a missing string is `""`), so string columns
//! carry no validity. Low-cardinality strings are dictionary-encoded: a
//! predicate such as `has_any` then runs once per distinct value, not once
//! per row.

use std::hash::BuildHasher;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::bitmap::Bitmap;
use crate::shred::ShreddedColumn;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// A hash map for string keys: foldhash spreads similar strings (GUIDs,
/// timestamps, user agents) well where FxHash clusters them.
pub(crate) type StrMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

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

    /// Strings `start..start + len` (clamped), copied contiguously.
    pub fn slice(&self, start: usize, len: usize) -> StringArray {
        let end = start.saturating_add(len).min(self.len());
        let start = start.min(end);
        let (Some(&from), Some(&to)) = (self.offsets.get(start), self.offsets.get(end)) else {
            return StringArray::default();
        };
        let Some(bytes) = self.bytes.get(from as usize..to as usize) else {
            return (start..end).map(|i| self.get(i)).collect();
        };
        StringArray {
            offsets: self.offsets[start..=end].iter().map(|o| o - from).collect(),
            bytes: bytes.to_string(),
        }
    }

    /// Appends every string of `other`.
    pub fn extend_from(&mut self, other: &StringArray) {
        let base = self.bytes.len() as u64;
        self.bytes.push_str(&other.bytes);
        self.offsets
            .extend(other.offsets.iter().skip(1).map(|o| o + base));
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

    /// Rows `start..start + len` (clamped); a dictionary column keeps
    /// sharing its dictionary.
    pub fn slice(&self, start: usize, len: usize) -> StringColumn {
        match self {
            StringColumn::Plain(a) => StringColumn::Plain(a.slice(start, len)),
            StringColumn::Dict { codes, dict } => {
                let end = start.saturating_add(len).min(codes.len());
                StringColumn::Dict {
                    codes: codes[start.min(end)..end].to_vec(),
                    dict: dict.clone(),
                }
            }
        }
    }

    /// Dictionary-encodes a sequence of strings (first-seen order).
    pub fn dictionary<'a>(values: impl IntoIterator<Item = &'a str>) -> StringColumn {
        let mut dict = StringArray::default();
        let mut index: StrMap<&'a str, u32> = StrMap::default();
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
                let bytes = indices.iter().map(|&i| a.get(i as usize).len()).sum();
                let mut out = StringArray::with_capacity(indices.len(), bytes);
                for &i in indices {
                    out.push(a.get(i as usize));
                }
                StringColumn::Plain(out)
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
#[derive(Debug, Clone)]
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
    /// `dynamic` objects of a stable shape held as typed child columns
    /// (see [`crate::shred`]); no validity needed.
    Shredded(Arc<ShreddedColumn>),
}

impl PartialEq for ColumnData {
    /// Equal types and equal values; a shredded `dynamic` column equals a
    /// plain one holding the same values.
    fn eq(&self, other: &ColumnData) -> bool {
        use ColumnData as D;
        match (self, other) {
            (D::Bool(a), D::Bool(b)) => a == b,
            (D::Int(a), D::Int(b)) => a == b,
            (D::Long(a), D::Long(b)) => a == b,
            (D::Real(a), D::Real(b)) => a == b,
            (D::Decimal(a), D::Decimal(b)) => a == b,
            (D::String(a), D::String(b)) => a == b,
            (D::DateTime(a), D::DateTime(b)) => a == b,
            (D::TimeSpan(a), D::TimeSpan(b)) => a == b,
            (D::Guid(a), D::Guid(b)) => a == b,
            (D::Dynamic(a), D::Dynamic(b)) => a == b,
            (D::Shredded(a), D::Shredded(b)) => a == b,
            (D::Shredded(s), D::Dynamic(v)) | (D::Dynamic(v), D::Shredded(s)) => {
                s.len() == v.len() && v.iter().enumerate().all(|(i, d)| s.value(i) == *d)
            }
            _ => false,
        }
    }
}

impl ColumnData {
    /// The values of a `dynamic` column: borrowed when stored as values,
    /// rebuilt when shredded; `None` for other types.
    pub fn dynamic_values(&self) -> Option<std::borrow::Cow<'_, [Dynamic]>> {
        match self {
            ColumnData::Dynamic(v) => Some(std::borrow::Cow::Borrowed(v)),
            ColumnData::Shredded(s) => Some(std::borrow::Cow::Owned(s.to_values())),
            _ => None,
        }
    }
}

impl Column {
    /// The column with a shredded `dynamic` column rebuilt as plain values
    /// (for code that reads `dynamic` cells as values); others unchanged.
    pub fn unshredded(col: &Arc<Column>) -> Arc<Column> {
        match &col.data {
            ColumnData::Shredded(s) => Arc::new(Column::new(ColumnData::Dynamic(s.to_values()))),
            _ => col.clone(),
        }
    }
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
            (ColumnData::String(_) | ColumnData::Dynamic(_) | ColumnData::Shredded(_), _) => None,
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
            ColumnData::Dynamic(_) | ColumnData::Shredded(_) => DataType::Dynamic,
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
            ColumnData::Shredded(s) => s.len(),
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
            (ColumnData::Shredded(s), _) => s.is_null(i),
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
            ColumnData::Shredded(s) => Value::Dynamic(s.value(i)),
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
            ColumnData::Shredded(s) => ColumnData::Shredded(Arc::new(s.take(indices))),
        };
        Column::with_validity(data, self.validity.as_ref().map(|b| b.take(indices)))
    }

    /// Rows `start..start + len` (clamped to the column), copied
    /// contiguously: cheaper than [`Column::take`] of a range.
    pub fn slice(&self, start: usize, len: usize) -> Column {
        let end = start.saturating_add(len).min(self.len());
        let start = start.min(end);
        fn part<T: Clone>(v: &[T], start: usize, end: usize) -> Vec<T> {
            v.get(start..end).map(<[T]>::to_vec).unwrap_or_default()
        }
        let data = match &self.data {
            ColumnData::Bool(v) => ColumnData::Bool(part(v, start, end)),
            ColumnData::Int(v) => ColumnData::Int(part(v, start, end)),
            ColumnData::Long(v) => ColumnData::Long(part(v, start, end)),
            ColumnData::Real(v) => ColumnData::Real(part(v, start, end)),
            ColumnData::Decimal(v) => ColumnData::Decimal(part(v, start, end)),
            ColumnData::String(v) => ColumnData::String(v.slice(start, end - start)),
            ColumnData::DateTime(v) => ColumnData::DateTime(part(v, start, end)),
            ColumnData::TimeSpan(v) => ColumnData::TimeSpan(part(v, start, end)),
            ColumnData::Guid(v) => ColumnData::Guid(part(v, start, end)),
            ColumnData::Dynamic(v) => ColumnData::Dynamic(part(v, start, end)),
            ColumnData::Shredded(s) => ColumnData::Shredded(Arc::new(s.slice(start, end - start))),
        };
        let validity = self.validity.as_ref().map(|b| b.slice(start, end - start));
        Column::with_validity(data, validity)
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
    strings: Option<Box<StringsBuilder>>,
    /// Shares repeated `dynamic` values (one allocation per distinct bag).
    dynamics: Option<Box<DynamicInterner>>,
    validity: Bitmap,
}

/// Shares equal `dynamic` bags, arrays and strings between rows, so a
/// column such as `LocationDetails` (a few hundred distinct values over
/// millions of rows) holds one allocation per distinct value: less memory,
/// and kernels that read it stay in cache.
#[derive(Debug, Default)]
struct DynamicInterner {
    /// Structural hash → position in `values`.
    index: rustc_hash::FxHashMap<u64, u32>,
    /// Allocations already in `values` (a loader hands the same bag over
    /// again for repeated JSON text).
    known: rustc_hash::FxHashSet<usize>,
    values: Vec<Dynamic>,
    seen: usize,
    off: bool,
}

impl DynamicInterner {
    fn intern(&mut self, d: &Dynamic) -> Dynamic {
        if self.off || !matches!(d, Dynamic::Bag(_) | Dynamic::Array(_) | Dynamic::String(_)) {
            return d.clone();
        }
        self.seen += 1;
        let address = match d {
            Dynamic::Bag(b) => Arc::as_ptr(b) as usize,
            Dynamic::Array(a) => Arc::as_ptr(a) as usize,
            Dynamic::String(s) => Arc::as_ptr(s) as *const u8 as usize,
            _ => 0,
        };
        if self.known.contains(&address) {
            return d.clone();
        }
        let mut h = foldhash::fast::FixedState::default().build_hasher();
        hash_dynamic(d, &mut h);
        let h = std::hash::Hasher::finish(&h);
        if let Some(&i) = self.index.get(&h) {
            if let Some(v) = self.values.get(i as usize).filter(|v| *v == d) {
                return v.clone();
            }
            return d.clone();
        }
        if self.values.len() >= DICT_PROBATION && self.values.len() * 2 > self.seen {
            // Mostly distinct: sharing does not pay.
            self.off = true;
            self.index = Default::default();
            self.known = Default::default();
            self.values = Vec::new();
            return d.clone();
        }
        self.index.insert(h, self.values.len() as u32);
        self.known.insert(address);
        self.values.push(d.clone());
        d.clone()
    }
}

/// Feeds a `dynamic` value's structure into `h`.
fn hash_dynamic(d: &Dynamic, h: &mut impl std::hash::Hasher) {
    use std::hash::Hash;
    match d {
        Dynamic::Null => 0u8.hash(h),
        Dynamic::Bool(b) => (1u8, b).hash(h),
        Dynamic::Long(x) => (2u8, x).hash(h),
        Dynamic::Real(x) => (3u8, x.to_bits()).hash(h),
        Dynamic::String(s) => (4u8, s.as_ref()).hash(h),
        Dynamic::DateTime(x) => (5u8, x).hash(h),
        Dynamic::TimeSpan(x) => (6u8, x).hash(h),
        Dynamic::Guid(x) => (7u8, x).hash(h),
        Dynamic::Array(a) => {
            (8u8, a.len()).hash(h);
            a.iter().for_each(|x| hash_dynamic(x, h));
        }
        Dynamic::Bag(b) => {
            (9u8, b.len()).hash(h);
            for (k, v) in b.iter() {
                k.as_ref().hash(h);
                hash_dynamic(v, h);
            }
        }
    }
}

/// Distinct values a dynamic interner keeps before checking whether the
/// values repeat at all.
const DICT_PROBATION: usize = 1 << 16;

/// Distinct values a string builder encodes before it may decide that the
/// values are mostly distinct.
const DICT_GIVE_UP: usize = 1 << 13;

/// Distinct values after which a builder whose values so far are nearly
/// all distinct (ids, user names over a large tenant) stops encoding: the
/// dictionary would cost a hash probe per row and save nothing.
const DICT_EARLY_GIVE_UP: usize = 1 << 10;

/// Builds a string column, dictionary-encoding on the fly while values
/// repeat (so a load never holds every row's text at once), and switching
/// to plain storage once they clearly do not.
#[derive(Debug, Default)]
struct StringsBuilder {
    dict: Option<DictState>,
    plain: StringArray,
}

#[derive(Debug, Default)]
struct DictState {
    codes: Vec<u32>,
    values: StringArray,
    /// 64-bit hash of each distinct value → its code.
    index: rustc_hash::FxHashMap<u64, u32>,
    /// The code of the last value pushed: a repeat of it skips the hash.
    last: Option<u32>,
}

impl StringsBuilder {
    fn new(capacity: usize) -> StringsBuilder {
        StringsBuilder {
            dict: Some(DictState {
                codes: Vec::with_capacity(capacity),
                ..DictState::default()
            }),
            plain: StringArray::default(),
        }
    }

    #[inline]
    fn push(&mut self, s: &str) {
        if let Some(d) = &mut self.dict {
            if let Some(c) = d.last {
                if d.values.get(c as usize) == s {
                    d.codes.push(c);
                    return;
                }
            }
            let h = foldhash::fast::FixedState::default().hash_one(s);
            match d.index.get(&h) {
                Some(&c) if d.values.get(c as usize) == s => {
                    d.codes.push(c);
                    d.last = Some(c);
                    return;
                }
                // Two texts with one 64-bit hash: stop encoding.
                Some(_) => self.switch_to_plain(),
                // Three new values in four rows after thousands of them
                // (an id, a timestamp): the dictionary will not pay off.
                None if (d.values.len() >= DICT_GIVE_UP
                    && d.values.len() * 4 > d.codes.len() * 3)
                    || (d.values.len() >= DICT_EARLY_GIVE_UP
                        && d.values.len() * 20 > d.codes.len() * 19) =>
                {
                    self.switch_to_plain()
                }
                None => {
                    let c = d.values.len() as u32;
                    d.values.push(s);
                    d.index.insert(h, c);
                    d.codes.push(c);
                    d.last = Some(c);
                    return;
                }
            }
        }
        self.plain.push(s);
    }

    fn switch_to_plain(&mut self) {
        if let Some(d) = self.dict.take() {
            let bytes = d
                .codes
                .iter()
                .map(|&c| d.values.get(c as usize).len())
                .sum();
            let mut plain = StringArray::with_capacity(d.codes.len(), bytes);
            for &c in &d.codes {
                plain.push(d.values.get(c as usize));
            }
            self.plain = plain;
        }
    }

    /// Dictionary-encoded when there is at most one distinct value per 4
    /// rows (as [`encode_strings`] decides), else plain.
    fn finish(mut self) -> StringColumn {
        match self.dict.take() {
            Some(d) if d.codes.len() >= 16 && d.values.len() <= d.codes.len() / 4 => {
                StringColumn::Dict {
                    codes: d.codes,
                    dict: Arc::new(d.values),
                }
            }
            Some(d) => {
                self.dict = Some(d);
                self.switch_to_plain();
                StringColumn::Plain(self.plain)
            }
            None => StringColumn::Plain(self.plain),
        }
    }
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
        let strings = (ty == DataType::String).then(|| Box::new(StringsBuilder::new(capacity)));
        let dynamics = (ty == DataType::Dynamic).then(Box::default);
        ColumnBuilder {
            data,
            strings,
            dynamics,
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
                if let Some(p) = &mut self.strings {
                    p.push("");
                }
            }
            ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => v.push(0),
            ColumnData::Guid(v) => v.push(0),
            ColumnData::Dynamic(v) => v.push(Dynamic::Null),
            ColumnData::Shredded(_) => {}
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
                if let Some(p) = &mut self.strings {
                    p.push(s);
                }
            }
            (ColumnData::DateTime(v), Value::DateTime(x)) => v.push(*x),
            (ColumnData::TimeSpan(v), Value::TimeSpan(x)) => v.push(*x),
            (ColumnData::Guid(v), Value::Guid(x)) => v.push(*x),
            (ColumnData::Dynamic(v), Value::Dynamic(x)) => v.push(match &mut self.dynamics {
                Some(interner) => interner.intern(x),
                None => x.clone(),
            }),
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

    /// Stops sharing equal `dynamic` values between the rows pushed from
    /// now on, for values known to be mostly distinct (hashing each would
    /// cost time and save nothing).
    pub fn stop_sharing(&mut self) {
        if let Some(interner) = &mut self.dynamics {
            **interner = DynamicInterner {
                off: true,
                ..DynamicInterner::default()
            };
        }
    }

    /// Appends a string (string builders only; ignored otherwise).
    pub fn push_str(&mut self, s: &str) {
        if let Some(p) = &mut self.strings {
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
        let data = match (self.data, self.strings) {
            (ColumnData::String(_), Some(strings)) => ColumnData::String(strings.finish()),
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
        let mut distinct: StrMap<&str, ()> = StrMap::default();
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
            ColumnData::Dynamic(_) | ColumnData::Shredded(_) => ColumnData::Dynamic(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(values: &[String]) -> Column {
        let mut b = ColumnBuilder::new(DataType::String, 0);
        values.iter().for_each(|v| b.push_str(v));
        b.finish()
    }

    #[test]
    fn a_builder_shares_equal_dynamic_bags_between_rows() {
        let bag = |city: &str| {
            let text = format!("{{\"city\":\"{city}\",\"geo\":{{\"lat\":1.5}}}}");
            Value::Dynamic(Dynamic::from_json(
                &serde_json::from_str(&text).expect("json"),
            ))
        };
        let mut b = ColumnBuilder::new(DataType::Dynamic, 4);
        for city in ["Oslo", "Lima", "Oslo", "Oslo"] {
            b.push(&bag(city)).expect("dynamic");
        }
        let c = b.finish();
        let ColumnData::Dynamic(v) = &c.data else {
            panic!("dynamic column")
        };
        let (Dynamic::Bag(a), Dynamic::Bag(x), Dynamic::Bag(y)) = (&v[0], &v[2], &v[1]) else {
            panic!("bags")
        };
        assert!(Arc::ptr_eq(a, x), "equal bags share one allocation");
        assert!(!Arc::ptr_eq(a, y));
        assert_eq!(c.get(1), bag("Lima"));
    }

    #[test]
    fn a_string_builder_encodes_repeated_values_as_a_dictionary() {
        let values: Vec<String> = (0..1000).map(|i| format!("user{}", i % 10)).collect();
        let c = built(&values);
        assert!(
            matches!(&c.data, ColumnData::String(StringColumn::Dict { dict, .. }) if dict.len() == 10)
        );
        assert!((0..1000).all(|i| c.get(i) == Value::string(values[i].as_str())));
    }

    #[test]
    fn a_mid_cardinality_column_in_random_order_stays_encoded() {
        // 2,000 distinct values drawn at random: repeats start early enough
        // that the early give-up does not fire.
        let mut x: u64 = 1;
        let values: Vec<String> = (0..20_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("user-{}", (x >> 33) % 2000)
            })
            .collect();
        let c = built(&values);
        assert!(matches!(
            &c.data,
            ColumnData::String(StringColumn::Dict { .. })
        ));
        assert!((0..20_000)
            .step_by(101)
            .all(|i| c.get(i) == Value::string(values[i].as_str())));
    }

    #[test]
    fn a_string_builder_stores_mostly_distinct_values_plainly() {
        for n in [100, DICT_EARLY_GIVE_UP + 10, DICT_GIVE_UP * 3] {
            let values: Vec<String> = (0..n).map(|i| format!("id-{i}")).collect();
            let c = built(&values);
            assert!(
                matches!(&c.data, ColumnData::String(StringColumn::Plain(_))),
                "{n}"
            );
            assert_eq!(c.len(), n);
            assert!((0..n)
                .step_by(97)
                .all(|i| c.get(i) == Value::string(values[i].as_str())));
        }
    }

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
