//! Evaluating one expression across threads, chunk by chunk.
//!
//! An expensive row-local expression over a large input is split into
//! chunks that run on the query's pool and are concatenated in order.
//! Streaming runs of several operators are in `streaming.rs`, row
//! selection with zone maps in `select.rs`, evaluation once per distinct
//! `dynamic` value in `distinct.rs`.

use super::distinct::distinct_dynamics;
use super::row_local::{narrow, row_local, volatile, worth_splitting};
use std::sync::Arc;

use rayon::prelude::*;

use super::limits::column_bytes;
use super::memory::MemoryReservation;
use super::{build_table, concat_columns, EvalError, Executor};
use crate::bind::plan::{BoundExpr, BoundExprKind};
use crate::column::{Column, ColumnData};
use crate::function::ColumnarValue;
use crate::table::Table;
use crate::types::DataType;

/// Largest chunk a task evaluates (rows).
pub(super) const MAX_CHUNK_ROWS: usize = super::physical::CHUNK_ROWS;
/// Smallest chunk worth a task (rows).
pub(super) const MIN_CHUNK_ROWS: usize = 1 << 13;
/// Inputs with fewer rows run on the calling thread.
pub(super) const MIN_PARALLEL_ROWS: usize = super::physical::MIN_PARALLEL_ROWS;

/// Row ranges `(start, len)` covering `rows`, sized so every thread gets
/// several chunks.
pub(super) fn chunks(rows: usize, threads: usize) -> Vec<(usize, usize)> {
    let size = (rows / (threads.max(1) * 4)).clamp(MIN_CHUNK_ROWS, MAX_CHUNK_ROWS);
    row_ranges(rows, size)
}

/// Row ranges `(start, len)` of `size` rows (the last one shorter)
/// covering `0..rows`: the one chunker behind expression chunks and
/// streaming runs.
pub(super) fn row_ranges(rows: usize, size: usize) -> Vec<(usize, usize)> {
    let size = size.max(1);
    (0..rows)
        .step_by(size)
        .map(|start| (start, size.min(rows - start)))
        .collect()
}

/// The columns `used` of `input`, rows `start..start + len`.
pub(super) fn slice_columns(
    input: &Table,
    used: &[usize],
    start: usize,
    len: usize,
) -> Result<Table, EvalError> {
    let mut columns = Vec::with_capacity(used.len());
    for &i in used {
        let (name, c) = input
            .column_at(i)
            .ok_or_else(|| EvalError::Internal(format!("column #{i} is out of range")))?;
        columns.push((name.to_string(), Arc::new(c.slice(start, len))));
    }
    build_table(columns, len)
}

impl Executor<'_> {
    /// Whether an input of `rows` rows is worth splitting across threads.
    pub(super) fn parallel_for(&self, rows: usize) -> bool {
        rows >= MIN_PARALLEL_ROWS && self.threads.count() > 1
    }

    /// Evaluates `e` over `input`, chunk by chunk on the pool when the
    /// input is large and `e` is row-local; same result as [`Executor::eval`].
    pub(crate) fn eval_par(
        &mut self,
        e: &BoundExpr,
        input: &Table,
    ) -> Result<ColumnarValue, EvalError> {
        let rows = input.num_rows();
        let trivial = matches!(e.kind, BoundExprKind::Column(_) | BoundExprKind::Literal(_));
        if trivial || !row_local(e) || rows < MIN_CHUNK_ROWS {
            return self.eval(e, input);
        }
        let Some((expr, used)) = narrow(e, input.num_columns()) else {
            return self.eval(e, input);
        };
        if let Some(v) = self.eval_per_distinct(&expr, input, &used)? {
            return Ok(v);
        }
        // Dynamic values are shared between rows: cloning them from several
        // threads would contend on their reference counts.
        let reads_dynamic = used.iter().any(|&i| {
            input
                .column_at(i)
                .is_some_and(|(_, c)| c.data_type() == DataType::Dynamic)
        });
        if used.is_empty()
            || reads_dynamic
            || !self.parallel_for(rows)
            || !worth_splitting(e, input, &used)
        {
            return self.eval(e, input);
        }
        let this = &*self;
        // Each chunk's result is paid for as it is made, so a result too
        // large for the budget stops within a chunk per thread.
        let made = this.par_chunks(rows, |start, len| {
            let t = slice_columns(input, &used, start, len)?;
            let col = this.worker().eval(&expr, &t)?.into_column(len);
            let held = this.guard.reserve_bytes(column_bytes(&col), e.span)?;
            Ok((col, held))
        })?;
        let (parts, held): (Vec<Arc<Column>>, Vec<_>) = made.into_iter().unzip();
        let ty = parts.first().map_or(e.ty, |c| c.data_type());
        if parts.iter().any(|c| c.data_type() != ty) {
            // Chunks disagree on the result type: take the one-pass path.
            return self.eval(e, input);
        }
        let bytes = held.iter().map(MemoryReservation::size).sum();
        let _whole = self.guard.reserve_bytes(bytes, e.span)?;
        let col = concat_columns(&parts, ty);
        drop((parts, held));
        Ok(ColumnarValue::Column(Arc::new(col)))
    }

    /// Evaluates a row-local `expr` that reads one `dynamic` column once per
    /// distinct value of it (values shared between rows, as loaders and the
    /// generator share repeated bags, count once) and spreads the results
    /// to the rows. `None` when the column is not that repetitive.
    pub(super) fn eval_per_distinct(
        &mut self,
        expr: &BoundExpr,
        input: &Table,
        used: &[usize],
    ) -> Result<Option<ColumnarValue>, EvalError> {
        let [only] = used else {
            return Ok(None);
        };
        if volatile(expr) {
            return Ok(None);
        }
        let Some((name, col)) = input.column_at(*only) else {
            return Ok(None);
        };
        let ColumnData::Dynamic(values) = &col.data else {
            return Ok(None);
        };
        let rows = values.len();
        if rows < 1024 {
            return Ok(None);
        }
        let Some(distinct) = distinct_dynamics(values, None, rows / 8) else {
            return Ok(None);
        };
        let col = self.eval_on_distinct(expr, name, &distinct)?;
        Ok(Some(ColumnarValue::Column(col)))
    }

    /// `f(start, len)` for each row chunk of `rows` rows on the pool, the
    /// deadline checked before each; the results in chunk order.
    pub(super) fn par_chunks<R: Send>(
        &self,
        rows: usize,
        f: impl Fn(usize, usize) -> Result<R, EvalError> + Sync,
    ) -> Result<Vec<R>, EvalError> {
        let ranges = chunks(rows, self.threads.count());
        self.threads.install(|| {
            ranges
                .par_iter()
                .map(|&(start, len)| {
                    self.guard.check()?;
                    f(start, len)
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_row_once_in_order() {
        for rows in [0, 1, 8191, 8192, 100_000, 1_000_003] {
            for threads in [1, 2, 8] {
                let c = chunks(rows, threads);
                let mut next = 0;
                for (start, len) in &c {
                    assert_eq!(*start, next);
                    assert!(*len > 0 && *len <= MAX_CHUNK_ROWS);
                    next += len;
                }
                assert_eq!(next, rows);
            }
        }
    }
}
