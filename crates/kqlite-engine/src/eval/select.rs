//! Selecting the rows a `where` keeps: a selection vector, and comparisons
//! of a stored 64-bit column with a constant read in place with the
//! column's zone map.

use super::parallel::slice_columns;
use super::row_local::{narrow, row_local};

use super::{EvalError, Executor};
use crate::bind::plan::BoundExpr;
use crate::column::{Column, ColumnData};
use crate::function::ColumnarValue;
use crate::kernels;
use crate::table::Table;
use crate::value::Value;
use crate::zones::{Verdict, ZoneMap, ZONE_ROWS};
use kqlite_parser::ast::BinaryOp;

impl Executor<'_> {
    /// The rows of `input` where `predicate` is true, ascending.
    pub(super) fn select(
        &mut self,
        predicate: &BoundExpr,
        input: &Table,
    ) -> Result<Vec<u32>, EvalError> {
        if let Some(rows) = self.select_by_constant(predicate, input)? {
            return Ok(rows);
        }
        let rows = input.num_rows();
        let narrowed = if self.parallel_for(rows) && row_local(predicate) {
            narrow(predicate, input.num_columns()).filter(|(_, used)| !used.is_empty())
        } else {
            None
        };
        let Some((expr, used)) = narrowed else {
            let p = match narrow(predicate, input.num_columns()) {
                Some((expr, used)) if row_local(predicate) => {
                    match self.eval_per_distinct(&expr, input, &used)? {
                        Some(p) => p,
                        None => self.eval(predicate, input)?,
                    }
                }
                _ => self.eval(predicate, input)?,
            };
            let mask = kernels::filter_mask(&p, rows);
            return Ok(mask.ones().map(|i| i as u32).collect());
        };
        let this = &*self;
        let parts = this.par_chunks(rows, |start, len| {
            let t = slice_columns(input, &used, start, len)?;
            let p = this.worker().eval(&expr, &t)?;
            let mask = kernels::filter_mask(&p, len);
            Ok(mask
                .ones()
                .map(|i| (start + i) as u32)
                .collect::<Vec<u32>>())
        })?;
        Ok(parts.concat())
    }

    /// `column op constant` (either side) with a 64-bit column (long,
    /// datetime, timespan): the column's index, the comparison with the
    /// column on the left, and the constant.
    pub(super) fn constant_comparison(
        &mut self,
        predicate: &BoundExpr,
        width: usize,
    ) -> Result<Option<(usize, BinaryOp, i64)>, EvalError> {
        let Some((column, op, other)) = super::physical::constant_comparison(predicate, width)
        else {
            return Ok(None);
        };
        let c = match self.eval(other, &Table::empty(1))? {
            ColumnarValue::Scalar(Value::Long(c) | Value::DateTime(c) | Value::TimeSpan(c), _) => c,
            _ => return Ok(None),
        };
        Ok(Some((column, op, c)))
    }

    /// `where t > ago(1d)` and the like: a 64-bit column without nulls
    /// compared with a constant is scanned in place (zone maps skip or
    /// take whole blocks), chunk by chunk, straight into row numbers.
    pub(super) fn select_by_constant(
        &mut self,
        predicate: &BoundExpr,
        input: &Table,
    ) -> Result<Option<Vec<u32>>, EvalError> {
        let Some((column, op, c)) = self.constant_comparison(predicate, input.num_columns())?
        else {
            return Ok(None);
        };
        let Some((_, col)) = input.column_at(column) else {
            return Ok(None);
        };
        let Some(values) = plain_i64(col) else {
            return Ok(None);
        };
        let zones = self.catalog.zones_of(col);
        if !self.parallel_for(values.len()) {
            return Ok(Some(compare_scan(values, zones, 0, values.len(), op, c)));
        }
        let parts = self.par_chunks(values.len(), |start, len| {
            Ok(compare_scan(values, zones, start, len, op, c))
        })?;
        Ok(Some(parts.concat()))
    }
}

/// The values of a 64-bit integer-like column without nulls.
pub(super) fn plain_i64(col: &Column) -> Option<&[i64]> {
    match (&col.data, &col.validity) {
        (ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v), None) => Some(v),
        _ => None,
    }
}

/// The rows in `start..start + len` where `values[row] op c`, zone by
/// zone: a zone the zone map settles is skipped or taken whole; the rest
/// is scanned branch-free (every row number is written, the cursor
/// advances past the kept ones).
pub(super) fn compare_scan(
    values: &[i64],
    zones: Option<&ZoneMap>,
    start: usize,
    len: usize,
    op: BinaryOp,
    c: i64,
) -> Vec<u32> {
    use BinaryOp as Op;
    let keep = move |x: i64| match op {
        Op::Eq => x == c,
        Op::NotEq => x != c,
        Op::Lt => x < c,
        Op::LtEq => x <= c,
        Op::Gt => x > c,
        _ => x >= c,
    };
    let mut out: Vec<u32> = Vec::new();
    let mut buf = vec![0u32; ZONE_ROWS];
    let end = start.saturating_add(len).min(values.len());
    let mut at = start;
    while at < end {
        let zone = at / ZONE_ROWS;
        let stop = ((zone + 1) * ZONE_ROWS).min(end);
        match zones.map_or(Verdict::Some, |z| z.verdict(zone, op, c)) {
            Verdict::None => {}
            Verdict::All => out.extend(at as u32..stop as u32),
            Verdict::Some => {
                let mut n = 0;
                for (j, &x) in values.get(at..stop).unwrap_or_default().iter().enumerate() {
                    if let Some(slot) = buf.get_mut(n) {
                        *slot = (at + j) as u32;
                    }
                    n += usize::from(keep(x));
                }
                out.extend_from_slice(buf.get(..n).unwrap_or_default());
            }
        }
        at = stop;
    }
    out
}
