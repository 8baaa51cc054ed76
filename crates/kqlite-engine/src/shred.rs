//! Shredded `dynamic` columns: object-valued cells of a stable shape held
//! as typed child columns.
//!
//! A column such as `LocationDetails` holds one JSON object per row, and
//! nearly every row has the same keys in the same order. Stored as one tree
//! per row, reading `LocationDetails.countryOrRegion` walks a million bags;
//! shredded, the property is a column of its own (a dictionary of strings),
//! so member access is a pointer copy and `tostring()` of it is the string
//! column itself.
//!
//! A [`ShreddedColumn`] is a typed [`Part`] (an object with one child per
//! key, or a column of strings, longs, reals or bools, or plain values)
//! plus, per row, whether the part holds the row's value. A row the part
//! cannot hold (another set of keys, another type) keeps its exact value in
//! a sorted list of exceptions; a row that is neither is null. Every row's
//! value can be rebuilt exactly (key order, integer versus real), so
//! anything that needs a row's [`Dynamic`] materializes it, and output is
//! byte for byte what the unshredded column gives.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::bitmap::Bitmap;
use crate::column::{Column, ColumnBuilder, ColumnData, StringArray, StringColumn};
use crate::types::DataType;
use crate::value::Dynamic;

/// Rows a `dynamic` column needs before a load shreds it.
pub const SHRED_MIN_ROWS: usize = 1024;

/// Values sampled (from the start of a column) to choose a part's type.
const SAMPLE: usize = 1024;

/// Nesting depth below which objects are shredded; deeper values stay
/// plain.
const MAX_DEPTH: usize = 8;

/// The typed storage of a [`ShreddedColumn`]'s rows.
#[derive(Debug, Clone)]
pub enum Part {
    /// Property bags with exactly these keys in this order; child `j` holds
    /// the values of key `j`.
    Object {
        /// The keys, in order.
        keys: Arc<[Arc<str>]>,
        /// One column per key.
        children: Vec<ShreddedColumn>,
    },
    /// Dynamic strings.
    Strings(StringColumn),
    /// Dynamic integers.
    Longs(Vec<i64>),
    /// Dynamic reals.
    Reals(Vec<f64>),
    /// Dynamic bools.
    Bools(Vec<bool>),
    /// Any values (placeholders `Null` where the part holds no row).
    Values(Vec<Dynamic>),
}

/// A `dynamic` column stored as a typed [`Part`] plus exceptions.
#[derive(Debug, Clone)]
pub struct ShreddedColumn {
    len: usize,
    part: Arc<Part>,
    /// Bit `i` set: the part holds row `i` (never a null). `None`: every row.
    present: Option<Bitmap>,
    /// Rows the part does not hold and that are not null, by ascending row.
    others: Arc<Vec<(u32, Dynamic)>>,
}

static NULL: Dynamic = Dynamic::Null;

impl ShreddedColumn {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The typed storage.
    pub fn part(&self) -> &Part {
        &self.part
    }

    /// Whether the part holds row `i`.
    #[inline]
    pub fn is_present(&self, i: usize) -> bool {
        i < self.len && self.present.as_ref().is_none_or(|p| p.get(i))
    }

    /// Whether every row is held by the part (no nulls, no exceptions).
    pub fn is_dense(&self) -> bool {
        self.present.is_none()
    }

    /// The exception at row `i`, if any.
    fn other(&self, i: usize) -> Option<&Dynamic> {
        let i = u32::try_from(i).ok()?;
        self.others
            .binary_search_by_key(&i, |(r, _)| *r)
            .ok()
            .and_then(|k| self.others.get(k))
            .map(|(_, d)| d)
    }

    /// Whether row `i` is null.
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        !self.is_present(i) && self.other(i).is_none()
    }

    /// Row `i`'s value, rebuilt.
    pub fn value(&self, i: usize) -> Dynamic {
        if !self.is_present(i) {
            return self.other(i).cloned().unwrap_or_default();
        }
        match self.part.as_ref() {
            Part::Object { keys, children } => Dynamic::Bag(Arc::new(
                keys.iter()
                    .zip(children)
                    .map(|(k, c)| (k.clone(), c.value(i)))
                    .collect(),
            )),
            Part::Strings(s) => Dynamic::String(s.get(i).into()),
            Part::Longs(v) => v.get(i).map_or(Dynamic::Null, |x| Dynamic::Long(*x)),
            Part::Reals(v) => v.get(i).map_or(Dynamic::Null, |x| Dynamic::Real(*x)),
            Part::Bools(v) => v.get(i).map_or(Dynamic::Null, |x| Dynamic::Bool(*x)),
            Part::Values(v) => v.get(i).cloned().unwrap_or_default(),
        }
    }

    /// Every row's value, rebuilt (equal strings of a dictionary share one
    /// allocation).
    pub fn to_values(&self) -> Vec<Dynamic> {
        let mut out: Vec<Dynamic> = match self.part.as_ref() {
            Part::Object { keys, children } => {
                let mut kids: Vec<std::vec::IntoIter<Dynamic>> =
                    children.iter().map(|c| c.to_values().into_iter()).collect();
                (0..self.len)
                    .map(|i| {
                        let bag: IndexMap<Arc<str>, Dynamic> = keys
                            .iter()
                            .zip(kids.iter_mut())
                            .map(|(k, c)| (k.clone(), c.next().unwrap_or_default()))
                            .collect();
                        if self.is_present(i) {
                            Dynamic::Bag(Arc::new(bag))
                        } else {
                            Dynamic::Null
                        }
                    })
                    .collect()
            }
            Part::Strings(StringColumn::Dict { codes, dict }) => {
                let shared: Vec<Arc<str>> = dict.iter().map(Arc::from).collect();
                codes
                    .iter()
                    .map(|&c| {
                        shared
                            .get(c as usize)
                            .map_or(Dynamic::Null, |s| Dynamic::String(s.clone()))
                    })
                    .collect()
            }
            Part::Strings(s) => (0..self.len)
                .map(|i| Dynamic::String(s.get(i).into()))
                .collect(),
            Part::Longs(v) => v.iter().map(|x| Dynamic::Long(*x)).collect(),
            Part::Reals(v) => v.iter().map(|x| Dynamic::Real(*x)).collect(),
            Part::Bools(v) => v.iter().map(|x| Dynamic::Bool(*x)).collect(),
            Part::Values(v) => v.clone(),
        };
        out.resize(self.len, Dynamic::Null);
        if let Some(p) = &self.present {
            for (i, slot) in out.iter_mut().enumerate() {
                if !p.get(i) {
                    *slot = Dynamic::Null;
                }
            }
        }
        for (r, d) in self.others.iter() {
            if let Some(slot) = out.get_mut(*r as usize) {
                *slot = d.clone();
            }
        }
        out
    }

    /// The rows at `indices`, in that order.
    pub fn take(&self, indices: &[u32]) -> ShreddedColumn {
        fn gather<T: Copy + Default>(v: &[T], idx: &[u32]) -> Vec<T> {
            idx.iter()
                .map(|&i| v.get(i as usize).copied().unwrap_or_default())
                .collect()
        }
        let part = match self.part.as_ref() {
            Part::Object { keys, children } => Part::Object {
                keys: keys.clone(),
                children: children.iter().map(|c| c.take(indices)).collect(),
            },
            Part::Strings(s) => Part::Strings(s.take(indices)),
            Part::Longs(v) => Part::Longs(gather(v, indices)),
            Part::Reals(v) => Part::Reals(gather(v, indices)),
            Part::Bools(v) => Part::Bools(gather(v, indices)),
            Part::Values(v) => Part::Values(
                indices
                    .iter()
                    .map(|&i| v.get(i as usize).cloned().unwrap_or_default())
                    .collect(),
            ),
        };
        let present = self.present.as_ref().map(|p| p.take(indices));
        let mut others = Vec::new();
        if !self.others.is_empty() {
            for (k, &i) in indices.iter().enumerate() {
                if !self.is_present(i as usize) {
                    if let Some(d) = self.other(i as usize) {
                        others.push((k as u32, d.clone()));
                    }
                }
            }
        }
        ShreddedColumn::from_parts(indices.len(), part, present, others)
    }

    /// Rows `start..start + len` (clamped).
    pub fn slice(&self, start: usize, len: usize) -> ShreddedColumn {
        let end = start.saturating_add(len).min(self.len);
        let start = start.min(end);
        let indices: Vec<u32> = (start..end).map(|i| i as u32).collect();
        self.take(&indices)
    }

    fn from_parts(
        len: usize,
        part: Part,
        present: Option<Bitmap>,
        others: Vec<(u32, Dynamic)>,
    ) -> ShreddedColumn {
        let present = present.filter(|p| !p.all());
        ShreddedColumn {
            len,
            part: Arc::new(part),
            present,
            others: Arc::new(others),
        }
    }

    /// The column of `d.key` for every row `d` of this column.
    pub fn member(&self, key: &str) -> ColumnData {
        let Part::Object { keys, children } = self.part.as_ref() else {
            return self.map_rows(|d| d.get(key).clone());
        };
        let Some(child) = keys
            .iter()
            .position(|k| k.as_ref() == key)
            .and_then(|j| children.get(j))
        else {
            return self.map_rows(|d| d.get(key).clone());
        };
        if self.present.is_none() {
            return ColumnData::Shredded(Arc::new(child.clone()));
        }
        // Rows the parent does not hold: null, or an exception's property.
        let present = match (&self.present, &child.present) {
            (Some(p), Some(c)) => Some(p.and(c)),
            (Some(p), None) => Some(p.clone()),
            (None, c) => c.clone(),
        };
        let mut others: Vec<(u32, Dynamic)> = child
            .others
            .iter()
            .filter(|(r, _)| self.is_present(*r as usize))
            .cloned()
            .collect();
        others.extend(self.others.iter().filter_map(|(r, d)| {
            let v = d.get(key);
            (!v.is_null()).then(|| (*r, v.clone()))
        }));
        others.sort_by_key(|(r, _)| *r);
        ColumnData::Shredded(Arc::new(ShreddedColumn {
            len: self.len,
            part: child.part.clone(),
            present: present.filter(|p| !p.all()),
            others: Arc::new(others),
        }))
    }

    /// A plain dynamic column of `f(row)` for every row.
    fn map_rows(&self, f: impl Fn(&Dynamic) -> Dynamic) -> ColumnData {
        ColumnData::Dynamic((0..self.len).map(|i| f(&self.value(i))).collect())
    }

    /// `tostring()` of every row: strings unquoted, null empty, other
    /// values as JSON. `Err(bytes)` when a row's text would be larger than
    /// `limit` bytes.
    pub fn to_strings(&self, limit: usize) -> Result<StringColumn, usize> {
        if let (Part::Strings(s), true) = (self.part.as_ref(), self.others.is_empty()) {
            match (&self.present, s) {
                (None, s) => return Ok(s.clone()),
                (Some(p), StringColumn::Dict { codes, dict }) => {
                    let (empty, dict) = match dict.iter().position(str::is_empty) {
                        Some(c) => (c as u32, dict.clone()),
                        None => {
                            let mut d: StringArray = (**dict).clone();
                            d.push("");
                            ((d.len() - 1) as u32, Arc::new(d))
                        }
                    };
                    let codes = codes
                        .iter()
                        .enumerate()
                        .map(|(i, &c)| if p.get(i) { c } else { empty })
                        .collect();
                    return Ok(StringColumn::Dict { codes, dict });
                }
                _ => {}
            }
        }
        let mut b = ColumnBuilder::new(DataType::String, self.len);
        let mut text = String::new();
        for i in 0..self.len {
            text.clear();
            if self.is_present(i) {
                match self.part.as_ref() {
                    Part::Strings(s) => {
                        b.push_str(s.get(i));
                        continue;
                    }
                    Part::Longs(v) => push_display(&mut text, v.get(i)),
                    Part::Reals(v) => {
                        if let Some(x) = v.get(i) {
                            text.push_str(&crate::value::format_real(*x));
                        }
                    }
                    Part::Bools(v) => {
                        if let Some(x) = v.get(i) {
                            text.push_str(if *x { "true" } else { "false" });
                        }
                    }
                    _ => crate::kernels::convert::write_dynamic_text(&self.value(i), &mut text),
                }
            } else if let Some(d) = self.other(i) {
                crate::kernels::convert::write_dynamic_text(d, &mut text);
            }
            if text.len() > limit {
                return Err(text.len());
            }
            b.push_str(&text);
        }
        match b.finish().data {
            ColumnData::String(s) => Ok(s),
            _ => Ok(StringColumn::Plain(StringArray::default())),
        }
    }

    /// The exception at row `row` when the part does not hold it
    /// (`Some(Null)` for a null row), else `None`.
    pub(crate) fn off_part(&self, row: usize) -> Option<&Dynamic> {
        (!self.is_present(row)).then(|| self.other(row).unwrap_or(&NULL))
    }

    /// Estimated bytes held: typed data, dictionaries and exceptions.
    pub fn byte_size(&self) -> usize {
        let data = match self.part.as_ref() {
            Part::Object { children, .. } => children.iter().map(ShreddedColumn::byte_size).sum(),
            Part::Strings(StringColumn::Plain(a)) => a.byte_len() + 8 * a.len(),
            Part::Strings(StringColumn::Dict { codes, dict }) => 4 * codes.len() + dict.byte_len(),
            Part::Longs(v) => 8 * v.len(),
            Part::Reals(v) => 8 * v.len(),
            Part::Bools(v) => v.len(),
            Part::Values(v) => std::mem::size_of::<Dynamic>() * v.len(),
        };
        let others = self.others.len() * (std::mem::size_of::<Dynamic>() + 64);
        data + self.len / 8 + others
    }

    /// Bytes one row costs when gathered into a new column.
    pub fn row_width(&self) -> usize {
        match self.part.as_ref() {
            Part::Object { children, .. } => children.iter().map(ShreddedColumn::row_width).sum(),
            Part::Strings(StringColumn::Plain(a)) => {
                8 + a.byte_len().checked_div(a.len()).unwrap_or(0)
            }
            Part::Strings(StringColumn::Dict { .. }) => 4,
            Part::Bools(_) => 1,
            Part::Longs(_) | Part::Reals(_) => 8,
            Part::Values(_) => std::mem::size_of::<Dynamic>(),
        }
    }

    /// Joins pieces of the same shape (same part type, same keys) into one
    /// column; `None` when their shapes differ.
    pub fn concat(pieces: &[&ShreddedColumn]) -> Option<ShreddedColumn> {
        let first = pieces.first()?;
        let len: usize = pieces.iter().map(|p| p.len).sum();
        let part = match first.part.as_ref() {
            Part::Object { keys, children } => {
                let mut kids = Vec::with_capacity(children.len());
                for j in 0..children.len() {
                    let parts: Option<Vec<&ShreddedColumn>> = pieces
                        .iter()
                        .map(|p| match p.part.as_ref() {
                            Part::Object { keys: k, children } if k == keys => children.get(j),
                            _ => None,
                        })
                        .collect();
                    kids.push(ShreddedColumn::concat(&parts?)?);
                }
                Part::Object {
                    keys: keys.clone(),
                    children: kids,
                }
            }
            Part::Strings(_) => {
                let mut all = StringArray::with_capacity(len, 0);
                for p in pieces {
                    let Part::Strings(s) = p.part.as_ref() else {
                        return None;
                    };
                    (0..p.len).for_each(|i| all.push(s.get(i)));
                }
                Part::Strings(crate::column::encode_strings(all))
            }
            Part::Longs(_) => Part::Longs(join(pieces, |p| match p {
                Part::Longs(v) => Some(v),
                _ => None,
            })?),
            Part::Reals(_) => Part::Reals(join(pieces, |p| match p {
                Part::Reals(v) => Some(v),
                _ => None,
            })?),
            Part::Bools(_) => Part::Bools(join(pieces, |p| match p {
                Part::Bools(v) => Some(v),
                _ => None,
            })?),
            Part::Values(_) => Part::Values(join(pieces, |p| match p {
                Part::Values(v) => Some(v),
                _ => None,
            })?),
        };
        let mut present = Bitmap::default();
        let mut others = Vec::new();
        let mut base = 0u32;
        for p in pieces {
            match &p.present {
                Some(b) => (0..p.len).for_each(|i| present.push(b.get(i))),
                None => (0..p.len).for_each(|_| present.push(true)),
            }
            others.extend(p.others.iter().map(|(r, d)| (r + base, d.clone())));
            base = base.saturating_add(p.len as u32);
        }
        Some(ShreddedColumn::from_parts(len, part, Some(present), others))
    }
}

fn join<T: Clone>(
    pieces: &[&ShreddedColumn],
    f: impl Fn(&Part) -> Option<&Vec<T>>,
) -> Option<Vec<T>> {
    let mut out = Vec::new();
    for p in pieces {
        out.extend_from_slice(f(&p.part)?);
    }
    Some(out)
}

fn push_display(out: &mut String, v: Option<&i64>) {
    use std::fmt::Write as _;
    if let Some(x) = v {
        let _ = write!(out, "{x}");
    }
}

impl PartialEq for ShreddedColumn {
    /// Equal when every row's value is equal.
    fn eq(&self, other: &ShreddedColumn) -> bool {
        self.len == other.len && (0..self.len).all(|i| self.value(i) == other.value(i))
    }
}

/// The type a part takes, chosen from a sample of values.
enum Kind {
    Object(Vec<Arc<str>>),
    Strings,
    Longs,
    Reals,
    Bools,
    Values,
}

fn same_keys(bag: &IndexMap<Arc<str>, Dynamic>, keys: &[Arc<str>]) -> bool {
    bag.len() == keys.len()
        && bag
            .keys()
            .zip(keys)
            .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
}

/// Picks the part type that at least 9 of 10 sampled non-null values fit.
fn choose(values: &[&Dynamic], depth: usize) -> Kind {
    let sample: Vec<&Dynamic> = values
        .iter()
        .copied()
        .filter(|d| !d.is_null())
        .take(SAMPLE)
        .collect();
    let n = sample.len();
    if n == 0 {
        return Kind::Values;
    }
    let most = |count: usize| count * 10 >= n * 9;
    let count = |f: fn(&Dynamic) -> bool| sample.iter().filter(|d| f(d)).count();
    if let (Some(Dynamic::Bag(first)), true) = (sample.first(), depth < MAX_DEPTH) {
        let keys: Vec<Arc<str>> = first.keys().cloned().collect();
        let fit = sample
            .iter()
            .filter(|d| matches!(d, Dynamic::Bag(b) if same_keys(b, &keys)))
            .count();
        if most(fit) {
            return Kind::Object(keys);
        }
    }
    if most(count(|d| matches!(d, Dynamic::String(_)))) {
        Kind::Strings
    } else if most(count(|d| matches!(d, Dynamic::Long(_)))) {
        Kind::Longs
    } else if most(count(|d| matches!(d, Dynamic::Real(_)))) {
        Kind::Reals
    } else if most(count(|d| matches!(d, Dynamic::Bool(_)))) {
        Kind::Bools
    } else {
        Kind::Values
    }
}

/// Shreds `values` into a part of the chosen kind.
fn build(values: &[&Dynamic], depth: usize) -> ShreddedColumn {
    build_as(values, choose(values, depth), &|c, _| build(c, depth + 1))
}

/// Shreds `values` into the shape of `like` (same part types and keys).
fn build_like(values: &[&Dynamic], like: &ShreddedColumn) -> ShreddedColumn {
    let kind = match like.part.as_ref() {
        Part::Object { keys, .. } => Kind::Object(keys.to_vec()),
        Part::Strings(_) => Kind::Strings,
        Part::Longs(_) => Kind::Longs,
        Part::Reals(_) => Kind::Reals,
        Part::Bools(_) => Kind::Bools,
        Part::Values(_) => Kind::Values,
    };
    build_as(values, kind, &|c, j| match like.part.as_ref() {
        Part::Object { children, .. } => match children.get(j) {
            Some(t) => build_like(c, t),
            None => build(c, MAX_DEPTH),
        },
        _ => build(c, MAX_DEPTH),
    })
}

/// Shreds `values` into a part of kind `kind`; `child(values, j)` shreds
/// the values of an object's key `j`.
fn build_as(
    values: &[&Dynamic],
    kind: Kind,
    child: &dyn Fn(&[&Dynamic], usize) -> ShreddedColumn,
) -> ShreddedColumn {
    let len = values.len();
    let mut present = Bitmap::new(len, true);
    let mut others: Vec<(u32, Dynamic)> = Vec::new();
    let mut miss = |i: usize, d: &Dynamic, present: &mut Bitmap| {
        present.set(i, false);
        if !d.is_null() {
            others.push((i as u32, d.clone()));
        }
    };
    let part = match kind {
        Kind::Object(keys) => {
            let mut columns: Vec<Vec<&Dynamic>> =
                keys.iter().map(|_| Vec::with_capacity(len)).collect();
            for (i, d) in values.iter().enumerate() {
                match d {
                    Dynamic::Bag(b) if same_keys(b, &keys) => {
                        for (c, v) in columns.iter_mut().zip(b.values()) {
                            c.push(v);
                        }
                    }
                    _ => {
                        miss(i, d, &mut present);
                        columns.iter_mut().for_each(|c| c.push(&NULL));
                    }
                }
            }
            Part::Object {
                keys: keys.into(),
                children: columns
                    .iter()
                    .enumerate()
                    .map(|(j, c)| child(c, j))
                    .collect(),
            }
        }
        Kind::Strings => {
            let mut b = ColumnBuilder::new(DataType::String, len);
            for (i, d) in values.iter().enumerate() {
                match d {
                    Dynamic::String(s) => b.push_str(s),
                    _ => {
                        miss(i, d, &mut present);
                        b.push_str("");
                    }
                }
            }
            match b.finish().data {
                ColumnData::String(s) => Part::Strings(s),
                _ => Part::Strings(StringColumn::Plain(StringArray::default())),
            }
        }
        Kind::Longs => Part::Longs(typed(values, &mut present, &mut miss, |d| match d {
            Dynamic::Long(x) => Some(*x),
            _ => None,
        })),
        Kind::Reals => Part::Reals(typed(values, &mut present, &mut miss, |d| match d {
            Dynamic::Real(x) => Some(*x),
            _ => None,
        })),
        Kind::Bools => Part::Bools(typed(values, &mut present, &mut miss, |d| match d {
            Dynamic::Bool(x) => Some(*x),
            _ => None,
        })),
        Kind::Values => Part::Values(
            values
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    if d.is_null() {
                        present.set(i, false);
                    }
                    (*d).clone()
                })
                .collect(),
        ),
    };
    ShreddedColumn::from_parts(len, part, Some(present), others)
}

fn typed<T: Default>(
    values: &[&Dynamic],
    present: &mut Bitmap,
    miss: &mut impl FnMut(usize, &Dynamic, &mut Bitmap),
    f: impl Fn(&Dynamic) -> Option<T>,
) -> Vec<T> {
    values
        .iter()
        .enumerate()
        .map(|(i, d)| match f(d) {
            Some(x) => x,
            None => {
                miss(i, d, present);
                T::default()
            }
        })
        .collect()
}

/// Shreds a column of values when most of them are objects of one shape
/// (at least `min_rows` rows; at most one row in ten off the shape).
pub fn shred_values(values: &[Dynamic], min_rows: usize) -> Option<ShreddedColumn> {
    if values.len() < min_rows.max(1) || u32::try_from(values.len()).is_err() {
        return None;
    }
    let refs: Vec<&Dynamic> = values.iter().collect();
    let Kind::Object(keys) = choose(&refs, 0) else {
        return None;
    };
    let col = build_as(&refs, Kind::Object(keys), &|c, _| build(c, 1));
    (col.others.len() * 10 <= col.len).then_some(col)
}

/// Joins `dynamic` pieces (plain or shredded) into one column, shredded
/// when any piece is: plain pieces are shredded into the first shredded
/// piece's shape, and pieces whose shapes differ are rebuilt and shredded
/// again. `None` when a piece is not `dynamic` or none is shredded.
pub(crate) fn concat_dynamic(pieces: &[Arc<Column>]) -> Option<Column> {
    let like = pieces.iter().find_map(|c| match &c.data {
        ColumnData::Shredded(s) => Some(s.clone()),
        _ => None,
    })?;
    let mut parts: Vec<Arc<ShreddedColumn>> = Vec::with_capacity(pieces.len());
    for c in pieces {
        match &c.data {
            ColumnData::Shredded(s) => parts.push(s.clone()),
            ColumnData::Dynamic(v) => {
                let refs: Vec<&Dynamic> = v.iter().collect();
                parts.push(Arc::new(build_like(&refs, &like)));
            }
            _ => return None,
        }
    }
    let refs: Vec<&ShreddedColumn> = parts.iter().map(Arc::as_ref).collect();
    if let Some(joined) = ShreddedColumn::concat(&refs) {
        return Some(Column::new(ColumnData::Shredded(Arc::new(joined))));
    }
    let all: Vec<Dynamic> = parts.iter().flat_map(|p| p.to_values()).collect();
    Some(match shred_values(&all, 0) {
        Some(s) => Column::new(ColumnData::Shredded(Arc::new(s))),
        None => Column::new(ColumnData::Dynamic(all)),
    })
}

/// The column shredded when it is a `dynamic` column of objects of a
/// stable shape with at least `min_rows` rows; otherwise unchanged.
pub fn shred_column(col: Arc<Column>, min_rows: usize) -> Arc<Column> {
    match &col.data {
        ColumnData::Dynamic(v) => match shred_values(v, min_rows) {
            Some(s) => Arc::new(Column::new(ColumnData::Shredded(Arc::new(s)))),
            None => col,
        },
        _ => col,
    }
}

/// Every `dynamic` column of `table` that qualifies, shredded (see
/// [`shred_column`]).
pub fn shred_table(table: crate::table::Table) -> crate::table::Table {
    if !table
        .columns()
        .any(|(_, c)| matches!(c.data, ColumnData::Dynamic(_)))
    {
        return table;
    }
    let columns: Vec<(String, Arc<Column>)> = table
        .columns()
        .map(|(n, c)| (n.to_string(), shred_column(c.clone(), SHRED_MIN_ROWS)))
        .collect();
    crate::table::Table::try_new(columns).unwrap_or(table)
}

/// `v` with a shredded column rebuilt as plain values, for code that reads
/// `dynamic` cells as values.
pub(crate) fn plain_value(v: crate::function::ColumnarValue) -> crate::function::ColumnarValue {
    use crate::function::ColumnarValue;
    match v {
        ColumnarValue::Column(c) if matches!(c.data, ColumnData::Shredded(_)) => {
            ColumnarValue::Column(Column::unshredded(&c))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::ColumnarValue;
    use crate::value::Value;
    use proptest::prelude::*;

    fn json(text: &str) -> Dynamic {
        Dynamic::from_json(&serde_json::from_str(text).expect("json"))
    }

    /// Mostly `LocationDetails`-shaped rows, with the odd one out.
    fn locations(n: usize) -> Vec<Dynamic> {
        (0..n)
            .map(|i| match i % 97 {
                5 => Dynamic::Null,
                7 => json(r#"{"city":"Oslo","countryOrRegion":"NO"}"#),
                11 => json(r#"{"countryOrRegion":"NO","city":"Oslo","state":"","geoCoordinates":{"latitude":59,"longitude":10.75}}"#),
                13 => json(r#""not an object""#),
                17 => json(r#"{"city":null,"state":"Bavaria","countryOrRegion":"DE","geoCoordinates":null}"#),
                19 => json(r#"{"city":42,"state":[1,2],"countryOrRegion":"DE","geoCoordinates":{"latitude":"n/a","longitude":1e300}}"#),
                _ => json(&format!(
                    r#"{{"city":"City{}","state":"S","countryOrRegion":"{}","geoCoordinates":{{"latitude":{}.5,"longitude":-{}.25}}}}"#,
                    i % 7,
                    ["DE", "US", "KP"][i % 3],
                    i % 90,
                    i % 180
                )),
            })
            .collect()
    }

    fn shredded(values: &[Dynamic]) -> Arc<ShreddedColumn> {
        Arc::new(shred_values(values, 0).expect("shredded"))
    }

    #[test]
    fn objects_of_one_shape_are_shredded_and_every_row_is_rebuilt_exactly() {
        let values = locations(2000);
        let s = shredded(&values);
        let Part::Object { keys, children } = s.part() else {
            panic!("an object part")
        };
        assert_eq!(keys.len(), 4);
        assert!(matches!(
            children[2].part(),
            Part::Strings(StringColumn::Dict { .. })
        ));
        assert!(matches!(children[3].part(), Part::Object { .. }));
        for (i, v) in values.iter().enumerate() {
            assert_eq!(&s.value(i), v, "row {i}");
            // Key order is kept too, not only equality of bags.
            assert_eq!(s.value(i).to_json().to_string(), v.to_json().to_string());
        }
        assert_eq!(s.to_values(), values);
    }

    #[test]
    fn a_column_of_mixed_values_is_not_shredded() {
        let values: Vec<Dynamic> = (0..100)
            .map(|i| {
                if i % 2 == 0 {
                    json(r#"{"a":1}"#)
                } else {
                    json("[1]")
                }
            })
            .collect();
        assert!(shred_values(&values, 0).is_none());
        let short = locations(10);
        assert!(shred_values(&short, SHRED_MIN_ROWS).is_none());
    }

    #[test]
    fn member_access_reads_the_child_column_and_keeps_exceptions() {
        let values = locations(1000);
        let col = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Shredded(shredded(
            &values,
        )))));
        let city = crate::kernels::member(&col, "city", values.len());
        let ColumnarValue::Column(c) = &city else {
            panic!("a column")
        };
        assert!(matches!(c.data, ColumnData::Shredded(_)));
        let lat = crate::kernels::member(
            &crate::kernels::member(&col, "geoCoordinates", values.len()),
            "latitude",
            values.len(),
        );
        let missing = crate::kernels::member(&col, "nope", values.len());
        for (i, v) in values.iter().enumerate() {
            assert_eq!(
                city.get(i),
                Value::Dynamic(v.get("city").clone()),
                "row {i}"
            );
            assert_eq!(
                lat.get(i),
                Value::Dynamic(v.get("geoCoordinates").get("latitude").clone())
            );
            assert_eq!(missing.get(i), Value::Dynamic(Dynamic::Null));
        }
    }

    #[test]
    fn tostring_of_a_child_matches_tostring_of_the_plain_values() {
        let values = locations(1500);
        let plain =
            ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(values.clone()))));
        let shred = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Shredded(shredded(
            &values,
        )))));
        for path in [
            &["countryOrRegion"][..],
            &["city"],
            &["state"],
            &["geoCoordinates"],
            &["geoCoordinates", "latitude"],
            &["geoCoordinates", "longitude"],
            &[],
        ] {
            let (mut p, mut s) = (plain.clone(), shred.clone());
            for key in path {
                p = crate::kernels::member(&p, key, values.len());
                s = crate::kernels::member(&s, key, values.len());
            }
            let p = crate::kernels::convert::to_string(&p, values.len());
            let s = crate::kernels::convert::to_string(&s, values.len());
            for i in 0..values.len() {
                assert_eq!(p.get(i), s.get(i), "{path:?} row {i}");
            }
        }
    }

    #[test]
    fn take_slice_and_concat_keep_every_value() {
        let values = locations(3000);
        let s = shredded(&values);
        let idx: Vec<u32> = (0..3000).rev().step_by(7).collect();
        let t = s.take(&idx);
        for (k, &i) in idx.iter().enumerate() {
            assert_eq!(t.value(k), values[i as usize]);
        }
        let a = s.slice(0, 1234);
        let b = s.slice(1234, 5000);
        assert_eq!(b.len(), 3000 - 1234);
        let joined = ShreddedColumn::concat(&[&a, &b]).expect("same shape");
        assert_eq!(joined.to_values(), values);
        // A plain piece joins a shredded one in the shredded shape.
        let pieces = vec![
            Arc::new(Column::new(ColumnData::Shredded(Arc::new(a)))),
            Arc::new(Column::new(ColumnData::Dynamic(values[1234..].to_vec()))),
        ];
        let c = concat_dynamic(&pieces).expect("dynamic");
        assert!(matches!(c.data, ColumnData::Shredded(_)));
        assert_eq!(c.data, ColumnData::Dynamic(values));
    }

    fn written(col: &Column) -> (Vec<u8>, Vec<u8>) {
        let t = crate::table::Table::try_new(vec![("d".to_string(), Arc::new(col.clone()))])
            .expect("table");
        let mut jsonl = Vec::new();
        crate::io::write_jsonl(&t, &mut jsonl).expect("jsonl");
        let mut csv = Vec::new();
        crate::io::write_csv(&t, &mut csv).expect("csv");
        (jsonl, csv)
    }

    #[test]
    fn writers_give_the_same_bytes_for_a_shredded_column_as_for_its_values() {
        let values = locations(2500);
        let plain = Column::new(ColumnData::Dynamic(values.clone()));
        let shred = Column::new(ColumnData::Shredded(shredded(&values)));
        assert_eq!(written(&plain), written(&shred));
    }

    #[test]
    fn a_loaded_json_lines_file_shreds_its_object_column_and_writes_it_back_unchanged() {
        let mut text = String::new();
        for (i, v) in locations(3000).iter().enumerate() {
            text.push_str(&format!(
                "{{\"n\":{i},\"LocationDetails\":{}}}\n",
                v.to_json()
            ));
        }
        let t = crate::io::load_reader(
            text.as_bytes(),
            crate::io::Format::JsonLines,
            None,
            "t.jsonl",
        )
        .expect("loads");
        let c = t.column("LocationDetails").expect("column");
        assert!(matches!(c.data, ColumnData::Shredded(_)));
        let mut out = Vec::new();
        crate::io::write_jsonl(&t, &mut out).expect("jsonl");
        assert_eq!(String::from_utf8_lossy(&out), text);
    }

    fn leaf() -> impl Strategy<Value = Dynamic> {
        prop_oneof![
            Just(Dynamic::Null),
            any::<bool>().prop_map(Dynamic::Bool),
            any::<i64>().prop_map(Dynamic::Long),
            (-1e6f64..1e6).prop_map(Dynamic::Real),
            "[a-c\"\\\\é]{0,3}".prop_map(|s| Dynamic::String(s.into())),
        ]
    }

    fn value() -> impl Strategy<Value = Dynamic> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| Dynamic::Array(Arc::new(v))),
                proptest::collection::vec(
                    (prop_oneof![Just("a"), Just("b"), Just("c")], inner),
                    0..4
                )
                .prop_map(|kv| Dynamic::Bag(Arc::new(
                    kv.into_iter().map(|(k, v)| (Arc::from(k), v)).collect()
                ))),
            ]
        })
    }

    proptest! {
        #[test]
        fn random_mixed_shapes_rebuild_and_write_exactly(
            base in proptest::collection::vec(value(), 1..4),
            odd in proptest::collection::vec((0usize..200, value()), 0..30),
        ) {
            // A few shapes repeated, with random rows overwritten.
            let mut values: Vec<Dynamic> = (0..200)
                .map(|i| {
                    let b = &base[i % base.len()];
                    Dynamic::Bag(Arc::new(
                        [(Arc::from("k"), b.clone()), (Arc::from("i"), Dynamic::Long(i as i64))]
                            .into_iter()
                            .collect(),
                    ))
                })
                .collect();
            for (i, v) in odd {
                values[i] = v;
            }
            if let Some(s) = shred_values(&values, 0) {
                prop_assert_eq!(s.to_values(), values.clone());
                let idx: Vec<u32> = (0..200).rev().collect();
                let t = s.take(&idx);
                for (k, &i) in idx.iter().enumerate() {
                    prop_assert_eq!(t.value(k), values[i as usize].clone());
                }
                let plain = Column::new(ColumnData::Dynamic(values.clone()));
                let shred = Column::new(ColumnData::Shredded(Arc::new(s)));
                prop_assert_eq!(written(&plain), written(&shred));
                let key = ColumnarValue::Column(Arc::new(shred));
                let k = crate::kernels::member(&key, "k", 200);
                let ks = crate::kernels::convert::to_string(&k, 200);
                for (i, v) in values.iter().enumerate() {
                    prop_assert_eq!(k.get(i), Value::Dynamic(v.get("k").clone()));
                    let mut text = String::new();
                    crate::kernels::convert::write_dynamic_text(v.get("k"), &mut text);
                    prop_assert_eq!(ks.get(i), Value::string(text));
                }
            }
        }
    }
}
