//! Dense codes for key columns, shared by `summarize`, `distinct` and `join`.
//!
//! Each key column is mapped to dense `u32` codes by a type-specialized hash
//! map (integers and datetimes by value, dictionary strings once per distinct
//! value), then several key columns are combined pairwise. An encoder keeps
//! its maps between calls, so a join encodes its left and right keys into
//! the same code space.

use rustc_hash::FxHashMap;

use crate::column::{Column, ColumnData, StringColumn};
use rust_decimal::Decimal;

/// Value-to-code maps for one key column.
#[derive(Default)]
struct ColumnEncoder {
    ints: FxHashMap<i64, u32>,
    wide: FxHashMap<u128, u32>,
    decimals: FxHashMap<Decimal, u32>,
    strings: crate::column::StrMap<String, u32>,
    null: Option<u32>,
    next: u32,
}

impl ColumnEncoder {
    fn fresh(next: &mut u32) -> u32 {
        let c = *next;
        *next += 1;
        c
    }

    fn null_code(&mut self) -> u32 {
        if let Some(c) = self.null {
            return c;
        }
        let c = Self::fresh(&mut self.next);
        self.null = Some(c);
        c
    }

    fn int(&mut self, v: i64) -> u32 {
        let next = &mut self.next;
        *self.ints.entry(v).or_insert_with(|| Self::fresh(next))
    }

    fn string(&mut self, s: &str) -> u32 {
        if let Some(c) = self.strings.get(s) {
            return *c;
        }
        let c = Self::fresh(&mut self.next);
        self.strings.insert(s.to_string(), c);
        c
    }

    fn encode(&mut self, col: &Column) -> Vec<u32> {
        let n = col.len();
        let valid = |i: usize| !col.is_null(i);
        let mut out = Vec::with_capacity(n);
        match &col.data {
            ColumnData::Bool(v) => {
                for (i, x) in v.iter().enumerate() {
                    out.push(if valid(i) {
                        self.int(i64::from(*x))
                    } else {
                        self.null_code()
                    });
                }
            }
            ColumnData::Int(v) => {
                for (i, x) in v.iter().enumerate() {
                    out.push(if valid(i) {
                        self.int(i64::from(*x))
                    } else {
                        self.null_code()
                    });
                }
            }
            ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => {
                if col.validity.is_none() {
                    // Runs of one value (binned timestamps of time-ordered
                    // rows) reuse the last code instead of probing.
                    let mut last: Option<(i64, u32)> = None;
                    out.extend(v.iter().map(|&x| match last {
                        Some((value, code)) if value == x => code,
                        _ => {
                            let code = self.int(x);
                            last = Some((x, code));
                            code
                        }
                    }));
                } else {
                    for (i, x) in v.iter().enumerate() {
                        out.push(if valid(i) {
                            self.int(*x)
                        } else {
                            self.null_code()
                        });
                    }
                }
            }
            ColumnData::Real(v) => {
                for (i, x) in v.iter().enumerate() {
                    let code = if valid(i) {
                        // -0.0 and 0.0 are one key; every NaN is one key.
                        let bits = if *x == 0.0 {
                            0
                        } else if x.is_nan() {
                            f64::NAN.to_bits()
                        } else {
                            x.to_bits()
                        };
                        let next = &mut self.next;
                        *self
                            .wide
                            .entry(u128::from(bits))
                            .or_insert_with(|| Self::fresh(next))
                    } else {
                        self.null_code()
                    };
                    out.push(code);
                }
            }
            ColumnData::Decimal(v) => {
                for (i, x) in v.iter().enumerate() {
                    let code = if valid(i) {
                        let next = &mut self.next;
                        *self
                            .decimals
                            .entry(x.normalize())
                            .or_insert_with(|| Self::fresh(next))
                    } else {
                        self.null_code()
                    };
                    out.push(code);
                }
            }
            ColumnData::Guid(v) => {
                for (i, x) in v.iter().enumerate() {
                    let code = if valid(i) {
                        let next = &mut self.next;
                        *self.wide.entry(*x).or_insert_with(|| Self::fresh(next))
                    } else {
                        self.null_code()
                    };
                    out.push(code);
                }
            }
            ColumnData::String(StringColumn::Dict { codes, dict }) => {
                // Each distinct value is hashed once; rows map through a table.
                let table: Vec<u32> = dict.iter().map(|s| self.string(s)).collect();
                out.extend(
                    codes
                        .iter()
                        .map(|c| table.get(*c as usize).copied().unwrap_or(0)),
                );
            }
            ColumnData::String(StringColumn::Plain(a)) => {
                out.extend(a.iter().map(|s| self.string(s)));
            }
            ColumnData::Dynamic(v) => {
                for d in v {
                    let code = if d.is_null() {
                        self.null_code()
                    } else {
                        self.string(&d.to_json().to_string())
                    };
                    out.push(code);
                }
            }
            ColumnData::Shredded(s) => {
                for i in 0..s.len() {
                    let code = if s.is_null(i) {
                        self.null_code()
                    } else {
                        self.string(&s.value(i).to_json().to_string())
                    };
                    out.push(code);
                }
            }
        }
        out
    }
}

/// Encodes rows of several key columns into one code per row.
#[derive(Default)]
pub(crate) struct KeyEncoder {
    columns: Vec<ColumnEncoder>,
    pairs: Vec<FxHashMap<u64, u32>>,
}

impl KeyEncoder {
    /// Codes for each row of `cols` (all of length `rows`); equal key tuples
    /// get equal codes, across calls too.
    pub(crate) fn encode(&mut self, cols: &[&Column], rows: usize) -> Vec<u32> {
        while self.columns.len() < cols.len() {
            self.columns.push(ColumnEncoder::default());
        }
        while self.pairs.len() + 1 < cols.len() {
            self.pairs.push(FxHashMap::default());
        }
        let mut acc: Option<Vec<u32>> = None;
        for (i, col) in cols.iter().enumerate() {
            let Some(enc) = self.columns.get_mut(i) else {
                break;
            };
            let codes = enc.encode(col);
            acc = Some(match acc.take() {
                None => codes,
                Some(prev) => {
                    let Some(map) = self.pairs.get_mut(i - 1) else {
                        return prev;
                    };
                    prev.iter()
                        .zip(&codes)
                        .map(|(a, b)| {
                            let key = (u64::from(*a) << 32) | u64::from(*b);
                            let len = map.len() as u32;
                            *map.entry(key).or_insert(len)
                        })
                        .collect()
                }
            });
        }
        acc.unwrap_or_else(|| vec![0; rows])
    }
}

/// Group ids numbered in first-seen order, and each group's first row.
pub(crate) struct Grouping {
    /// Group of each row.
    pub ids: Vec<u32>,
    /// First row of each group.
    pub first_rows: Vec<u32>,
}

/// Groups the rows of `cols` by equal key tuples.
///
/// Each column is coded on its own; when the product of the columns'
/// distinct counts fits in 64 bits, a row's codes combine into one number
/// (mixed radix) and a single map assigns groups, else columns are
/// combined pairwise.
pub(crate) fn group(cols: &[&Column], rows: usize) -> Grouping {
    // Each column's codes and distinct count; a column whose code follows
    // from an earlier kept column's (an id next to its name) adds nothing
    // to the key and is left out of it.
    let mut parts: Vec<(Vec<u32>, u32)> = Vec::with_capacity(cols.len());
    for col in cols {
        let mut enc = ColumnEncoder::default();
        let codes = enc.encode(col);
        let cardinality = enc.next.max(1);
        if !parts.iter().any(|(a, n)| determines(a, *n, &codes)) {
            parts.push((codes, cardinality));
        }
    }
    let radix: Option<Vec<u64>> =
        parts
            .iter()
            .map(|(_, n)| u64::from(*n))
            .try_fold(Vec::new(), |mut acc: Vec<u64>, n| {
                let total = acc.last().copied().unwrap_or(1).checked_mul(n)?;
                acc.push(total);
                Some(acc)
            });
    let mut first_rows = Vec::new();
    let mut ids = Vec::with_capacity(rows);
    match (radix, parts.as_slice()) {
        (_, []) => ids.resize(rows, 0),
        (Some(sizes), _) if sizes.last().copied().unwrap_or(0) <= DIRECT_GROUPS => {
            // Few possible keys: a direct table instead of a hash map.
            let mut slot = vec![u32::MAX; sizes.last().copied().unwrap_or(0) as usize];
            for row in 0..rows {
                let key = combined(&parts, row) as usize;
                if let Some(s) = slot.get_mut(key) {
                    if *s == u32::MAX {
                        *s = first_rows.len() as u32;
                        first_rows.push(row as u32);
                    }
                    ids.push(*s);
                }
            }
        }
        (Some(_), _) => {
            let mut map: FxHashMap<u64, u32> = FxHashMap::default();
            for row in 0..rows {
                let key = combined(&parts, row);
                let next = first_rows.len() as u32;
                let id = *map.entry(key).or_insert(next);
                if id == next {
                    first_rows.push(row as u32);
                }
                ids.push(id);
            }
        }
        (None, _) => {
            let codes = KeyEncoder::default().encode(cols, rows);
            let max = codes.iter().copied().max().map_or(0, |m| m as usize + 1);
            let mut remap = vec![u32::MAX; max];
            for (row, c) in codes.iter().enumerate() {
                if let Some(s) = remap.get_mut(*c as usize) {
                    if *s == u32::MAX {
                        *s = first_rows.len() as u32;
                        first_rows.push(row as u32);
                    }
                    ids.push(*s);
                }
            }
        }
    }
    Grouping { ids, first_rows }
}

/// Key spaces up to this size are grouped through a direct table.
const DIRECT_GROUPS: u64 = 1 << 16;

/// Row `row`'s column codes as one mixed-radix number.
#[inline]
fn combined(parts: &[(Vec<u32>, u32)], row: usize) -> u64 {
    parts.iter().fold(0u64, |acc, (c, n)| {
        acc.wrapping_mul(u64::from(*n))
            .wrapping_add(u64::from(c.get(row).copied().unwrap_or(0)))
    })
}

/// Whether codes `b` are a function of codes `a` (`a` has `n` distinct
/// codes): equal `a` codes always come with equal `b` codes.
fn determines(a: &[u32], n: u32, b: &[u32]) -> bool {
    let mut seen = vec![u32::MAX; n as usize];
    a.iter()
        .zip(b)
        .all(|(&x, &y)| match seen.get_mut(x as usize) {
            Some(s) if *s == u32::MAX => {
                *s = y;
                true
            }
            Some(s) => *s == y,
            None => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitmap::Bitmap;

    #[test]
    fn equal_key_tuples_share_a_group_and_null_is_its_own_group() {
        let a = Column::with_validity(
            ColumnData::Long(vec![1, 1, 2, 0, 1]),
            Some(Bitmap::from_bools([true, true, true, false, true])),
        );
        let b = Column::new(ColumnData::String(StringColumn::Plain(
            ["x", "y", "x", "x", "x"].into_iter().collect(),
        )));
        let g = group(&[&a, &b], 5);
        assert_eq!(g.ids, vec![0, 1, 2, 3, 0]);
        assert_eq!(g.first_rows, vec![0, 1, 2, 3]);
    }

    #[test]
    fn a_key_column_that_follows_from_another_changes_no_group() {
        // `b` is a function of `a`; `c` is not (it splits a's groups).
        let a = Column::new(ColumnData::Long(vec![1, 2, 1, 3, 2, 1]));
        let b = Column::new(ColumnData::Long(vec![10, 20, 10, 10, 20, 10]));
        let c = Column::new(ColumnData::Long(vec![0, 0, 1, 0, 0, 0]));
        let g = group(&[&a, &b], 6);
        assert_eq!(g.ids, vec![0, 1, 0, 2, 1, 0]);
        let g = group(&[&a, &b, &c], 6);
        assert_eq!(g.ids, vec![0, 1, 2, 3, 1, 0]);
        assert_eq!(g.first_rows, vec![0, 1, 2, 3]);
        let g = group(&[&b, &a], 6);
        assert_eq!(g.ids, vec![0, 1, 0, 2, 1, 0]);
    }

    #[test]
    fn wide_key_spaces_group_like_narrow_ones() {
        // 3 columns of 5,000 distinct values: 1.25e11 possible keys, past
        // the direct table; 7 columns overflow 64 bits and go pairwise.
        let rows = 20_000;
        let a = Column::new(ColumnData::Long((0..rows).map(|i| i % 5000).collect()));
        let b = Column::new(ColumnData::Long(
            (0..rows).map(|i| (i * 7) % 5000).collect(),
        ));
        let c = Column::new(ColumnData::Long(
            (0..rows).map(|i| (i * 13) % 5000).collect(),
        ));
        let g = group(&[&a, &b, &c], rows as usize);
        assert_eq!(g.first_rows.len(), 5000);
        assert_eq!(g.ids[5000], 0);
        assert_eq!(g.ids[4999], 4999);
        let wide = Column::new(ColumnData::Long((0..rows).map(|i| (i % 3) << 40).collect()));
        let g = group(&[&a, &b, &c, &wide, &a, &b, &c], rows as usize);
        assert_eq!(g.first_rows.len(), 15000);
        assert_eq!(g.ids[15000], 0);
    }
}
