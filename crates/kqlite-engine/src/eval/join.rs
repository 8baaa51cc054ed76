//! `join` and `lookup`: hash joins on equal key tuples.

use std::sync::Arc;

use super::keys::KeyEncoder;
use super::{build_table, EvalError};
use crate::bind::plan::{JoinKind, JoinSide};
use crate::bitmap::Bitmap;
use crate::column::{Column, ColumnBuilder, ColumnData};
use crate::table::Table;
use crate::types::DataType;
use kqlite_parser::Span;

/// Rows of `col` at `indices`, null where the index is `None` (the
/// unmatched side of an outer join).
pub(crate) fn take_optional(col: &Column, indices: &[Option<u32>]) -> Column {
    if indices.iter().all(Option::is_some) {
        let idx: Vec<u32> = indices.iter().map(|i| i.unwrap_or(0)).collect();
        return col.take(&idx);
    }
    if let ColumnData::String(s) = &col.data {
        let mut b = ColumnBuilder::new(DataType::String, indices.len());
        for i in indices {
            b.push_str(i.map_or("", |i| s.get(i as usize)));
        }
        return b.finish();
    }
    let idx: Vec<u32> = indices.iter().map(|i| i.unwrap_or(u32::MAX)).collect();
    let taken = col.take(&idx);
    let validity = Bitmap::from_bools(
        indices
            .iter()
            .map(|i| i.is_some_and(|i| !col.is_null(i as usize))),
    );
    Column::with_validity(taken.data, Some(validity))
}

/// Output rows a join reserves memory for at a time.
const RESERVE_ROWS: usize = 1 << 16;

/// Bytes one output row of a join costs: its two row numbers and a row of
/// each output column.
fn output_row_width(left: &Table, right: &Table, output: &[JoinSide]) -> usize {
    let columns: usize = output
        .iter()
        .filter_map(|side| match side {
            JoinSide::Left(i) => left.column_at(*i),
            JoinSide::Right(i) => right.column_at(*i),
        })
        .map(|(_, c)| super::row_width(c))
        .fold(0, usize::saturating_add);
    columns.saturating_add(2 * std::mem::size_of::<Option<u32>>())
}

/// Joins `left` and `right` on key columns; `output` lists the result columns.
pub(crate) fn join(
    left: &Table,
    right: &Table,
    kind: JoinKind,
    (left_keys, right_keys): (&[usize], &[usize]),
    output: &[JoinSide],
    guard: &super::limits::Guard,
    span: Span,
) -> Result<Table, EvalError> {
    let max_rows = guard.max_rows();
    let key_cols = |t: &Table, keys: &[usize]| -> Result<Vec<Arc<Column>>, EvalError> {
        keys.iter()
            .map(|k| {
                t.column_at(*k)
                    .map(|(_, c)| c.clone())
                    .ok_or_else(|| EvalError::Internal(format!("join key #{k} is out of range")))
            })
            .collect()
    };
    let lk = key_cols(left, left_keys)?;
    let rk = key_cols(right, right_keys)?;
    let mut enc = KeyEncoder::default();
    let lrefs: Vec<&Column> = lk.iter().map(Arc::as_ref).collect();
    let rrefs: Vec<&Column> = rk.iter().map(Arc::as_ref).collect();
    // The key codes, the right side's hash table and the match flags:
    // about 13 bytes per input row, reserved before they exist.
    let mut held = guard.reserve(span);
    held.try_grow(
        left.num_rows()
            .saturating_add(right.num_rows())
            .saturating_mul(13),
    )?;
    let lcodes = enc.encode(&lrefs, left.num_rows());
    let rcodes = enc.encode(&rrefs, right.num_rows());
    let ncodes = lcodes
        .iter()
        .chain(&rcodes)
        .copied()
        .max()
        .map_or(0, |m| m as usize + 1);
    // Right rows grouped by code (counting sort keeps row order).
    let mut offsets = vec![0usize; ncodes + 1];
    for c in &rcodes {
        if let Some(o) = offsets.get_mut(*c as usize + 1) {
            *o += 1;
        }
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    let mut fill = offsets.clone();
    let mut by_code = vec![0u32; rcodes.len()];
    for (row, c) in rcodes.iter().enumerate() {
        if let Some(slot) = fill.get_mut(*c as usize) {
            if let Some(dst) = by_code.get_mut(*slot) {
                *dst = row as u32;
            }
            *slot += 1;
        }
    }
    let matches = |code: u32| -> &[u32] {
        let c = code as usize;
        match (offsets.get(c), offsets.get(c + 1)) {
            (Some(&a), Some(&b)) => by_code.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    };
    let mut lidx: Vec<Option<u32>> = Vec::new();
    let mut ridx: Vec<Option<u32>> = Vec::new();
    // Each output row costs its two row numbers and a row of every output
    // column; memory for output rows is reserved a block ahead of them.
    let width = output_row_width(left, right, output);
    let mut reserved_rows = 0usize;
    let mut right_matched = vec![false; rcodes.len()];
    let mut left_seen = vec![false; ncodes];
    // The deadline is checked every 4,096 left rows and whenever 64K
    // output rows have been added since (one left row may match millions).
    let mut checked_at = 0usize;
    for (row, code) in lcodes.iter().enumerate() {
        if row % 4096 == 0 || lidx.len() - checked_at >= 1 << 16 {
            guard.check()?;
            checked_at = lidx.len();
        }
        if lidx.len() > max_rows {
            return Err(EvalError::TooManyRows {
                limit: max_rows,
                span: kqlite_parser::Span::default(),
            });
        }
        let m = matches(*code);
        // The rows this left row may add are paid for before they exist.
        let adds = match kind {
            JoinKind::LeftSemi | JoinKind::LeftAnti | JoinKind::RightSemi | JoinKind::RightAnti => {
                1
            }
            _ => m.len().max(1),
        };
        let need = lidx.len().saturating_add(adds);
        if need > reserved_rows {
            let more = (need - reserved_rows).max(RESERVE_ROWS);
            held.try_grow(more.saturating_mul(width))?;
            reserved_rows = reserved_rows.saturating_add(more);
        }
        match kind {
            JoinKind::InnerUnique => {
                let seen = left_seen.get_mut(*code as usize);
                if let Some(s) = seen {
                    if *s {
                        continue;
                    }
                    *s = true;
                }
                for r in m {
                    lidx.push(Some(row as u32));
                    ridx.push(Some(*r));
                }
            }
            JoinKind::Inner | JoinKind::LeftOuter | JoinKind::RightOuter | JoinKind::FullOuter => {
                for r in m {
                    lidx.push(Some(row as u32));
                    ridx.push(Some(*r));
                    if let Some(f) = right_matched.get_mut(*r as usize) {
                        *f = true;
                    }
                }
                if m.is_empty() && matches!(kind, JoinKind::LeftOuter | JoinKind::FullOuter) {
                    lidx.push(Some(row as u32));
                    ridx.push(None);
                }
            }
            JoinKind::LeftSemi => {
                if !m.is_empty() {
                    lidx.push(Some(row as u32));
                }
            }
            JoinKind::LeftAnti => {
                if m.is_empty() {
                    lidx.push(Some(row as u32));
                }
            }
            JoinKind::RightSemi | JoinKind::RightAnti => {
                for r in m {
                    if let Some(f) = right_matched.get_mut(*r as usize) {
                        *f = true;
                    }
                }
            }
        }
    }
    match kind {
        JoinKind::RightOuter | JoinKind::FullOuter => {
            for (r, matched) in right_matched.iter().enumerate() {
                if !matched {
                    lidx.push(None);
                    ridx.push(Some(r as u32));
                }
            }
        }
        JoinKind::RightSemi | JoinKind::RightAnti => {
            let want = kind == JoinKind::RightSemi;
            for (r, matched) in right_matched.iter().enumerate() {
                if *matched == want {
                    ridx.push(Some(r as u32));
                }
            }
        }
        _ => {}
    }
    let rows = lidx.len().max(ridx.len());
    held.try_grow(rows.saturating_sub(reserved_rows).saturating_mul(width))?;
    let mut out = Vec::with_capacity(output.len());
    let lnames: Vec<&str> = left.column_names().collect();
    let mut taken: Vec<String> = Vec::new();
    for side in output {
        let (name, col) = match side {
            JoinSide::Left(i) => {
                let (n, c) = left
                    .column_at(*i)
                    .ok_or_else(|| EvalError::Internal("join output column out of range".into()))?;
                (n.to_string(), take_optional(c, &lidx))
            }
            JoinSide::Right(i) => {
                let (n, c) = right
                    .column_at(*i)
                    .ok_or_else(|| EvalError::Internal("join output column out of range".into()))?;
                let _ = &lnames;
                (n.to_string(), take_optional(c, &ridx))
            }
        };
        let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
        let name = crate::bind::names::unique_name(&name, &refs);
        taken.push(name.clone());
        out.push((name, Arc::new(col)));
    }
    build_table(out, rows)
}
