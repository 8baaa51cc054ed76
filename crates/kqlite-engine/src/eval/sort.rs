//! `sort` / `order by` / `top`: a stable multi-key sort producing one gather.

use std::cmp::Ordering;
use std::sync::Arc;

use super::{EvalError, Executor};
use crate::bind::plan::SortSpec;
use crate::column::{Column, ColumnData, StringColumn};
use crate::table::Table;

/// Compares rows `a` and `b` of one column, nulls first (the caller flips
/// the order for descending keys and places nulls separately).
pub(crate) fn compare_values(col: &Column, a: usize, b: usize) -> Ordering {
    match &col.data {
        ColumnData::Bool(v) => v.get(a).cmp(&v.get(b)),
        ColumnData::Int(v) => v.get(a).cmp(&v.get(b)),
        ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => {
            v.get(a).cmp(&v.get(b))
        }
        ColumnData::Real(v) => match (v.get(a), v.get(b)) {
            (Some(x), Some(y)) => x.total_cmp(y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        },
        ColumnData::Decimal(v) => v.get(a).cmp(&v.get(b)),
        ColumnData::String(s) => s.get(a).cmp(s.get(b)),
        ColumnData::Guid(v) => v.get(a).cmp(&v.get(b)),
        ColumnData::Dynamic(v) => {
            let text = |i: usize| {
                v.get(i)
                    .map(|d| d.to_json().to_string())
                    .unwrap_or_default()
            };
            text(a).cmp(&text(b))
        }
        ColumnData::Shredded(s) => {
            let text = |i: usize| s.value(i).to_json().to_string();
            text(a).cmp(&text(b))
        }
    }
}

/// A single integer-like key as one `i128` per row that sorts in the
/// requested order with nulls placed, so the sort compares plain numbers.
fn integer_keys(col: &Column, spec: &SortSpec) -> Option<Vec<i128>> {
    let ranked: Vec<i64>;
    let values: &[i64] = match &col.data {
        ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => v,
        // Dictionary strings sort by the rank of their code: the distinct
        // values are compared once, not once per row comparison.
        ColumnData::String(StringColumn::Dict { codes, dict }) => {
            let mut order: Vec<usize> = (0..dict.len()).collect();
            order.sort_by(|a, b| dict.get(*a).cmp(dict.get(*b)));
            let mut rank = vec![0i64; dict.len()];
            for (r, d) in order.iter().enumerate() {
                if let Some(slot) = rank.get_mut(*d) {
                    *slot = r as i64;
                }
            }
            ranked = codes
                .iter()
                .map(|c| rank.get(*c as usize).copied().unwrap_or(0))
                .collect();
            &ranked
        }
        _ => return None,
    };
    let null_key = if spec.nulls_first {
        i128::MIN
    } else {
        i128::MAX
    };
    Some(
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if col.is_null(i) {
                    null_key
                } else if spec.descending {
                    -i128::from(*v)
                } else {
                    i128::from(*v)
                }
            })
            .collect(),
    )
}

/// Row order for `keys`: stable (ties keep input order). With `limit`, only
/// the first `limit` rows are selected and ordered (`top`, `sort | take`).
fn sort_indices(cols: &[(Arc<Column>, &SortSpec)], rows: usize, limit: Option<usize>) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..rows as u32).collect();
    let k = limit.unwrap_or(rows).min(rows);
    if let [(col, spec)] = cols {
        if let Some(keys) = integer_keys(col, spec) {
            let key = |i: &u32| (keys.get(*i as usize).copied().unwrap_or(0), *i);
            if k < rows {
                if k == 0 {
                    return Vec::new();
                }
                idx.select_nth_unstable_by_key(k - 1, key);
                idx.truncate(k);
            }
            idx.sort_unstable_by_key(key);
            return idx;
        }
    }
    let cmp = |a: &u32, b: &u32| -> Ordering {
        let (ra, rb) = (*a as usize, *b as usize);
        for (col, spec) in cols {
            let (na, nb) = (col.is_null(ra), col.is_null(rb));
            let ord = match (na, nb) {
                (true, true) => Ordering::Equal,
                (true, false) => {
                    if spec.nulls_first {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (false, true) => {
                    if spec.nulls_first {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                (false, false) => {
                    let o = compare_values(col, ra, rb);
                    if spec.descending {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        // Ties keep input order, which makes the unstable sorts stable.
        a.cmp(b)
    };
    if k < rows {
        if k == 0 {
            return Vec::new();
        }
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_unstable_by(cmp);
    idx
}

impl Executor<'_> {
    /// Sorts `input` by `keys`, keeping only the first `limit` rows if given.
    pub(crate) fn sort(
        &mut self,
        input: Table,
        keys: &[SortSpec],
        limit: Option<usize>,
    ) -> Result<Table, EvalError> {
        let rows = input.num_rows();
        let mut cols: Vec<(Arc<Column>, &SortSpec)> = Vec::with_capacity(keys.len());
        for k in keys {
            cols.push((self.eval(&k.expr, &input)?.into_column(rows), k));
        }
        self.guard.check()?;
        // The order (a row number per row, and sort keys) and the sorted
        // copy of the kept rows, before they exist.
        let kept = limit.map_or(rows, |l| l.min(rows));
        let width = input
            .columns()
            .map(|(_, c)| super::row_width(c))
            .fold(0usize, usize::saturating_add);
        let span = keys.first().map(|k| k.expr.span).unwrap_or_default();
        let _held = self.guard.reserve_bytes(
            rows.saturating_mul(24)
                .saturating_add(kept.saturating_mul(width)),
            span,
        )?;
        let idx = sort_indices(&cols, rows, limit);
        self.guard.check()?;
        Ok(input.take(&idx))
    }
}
