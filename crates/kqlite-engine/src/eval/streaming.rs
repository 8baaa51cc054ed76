//! Streaming runs and late materialization: a run of `where`/`extend`/
//! `project` keeps a selection vector and gathers each column once, for the
//! rows that survive. Over a large input with a filter and only row-local
//! expressions, the run goes chunk by chunk: each 64K-row chunk passes
//! through every operator as one task of the pool, and the chunks are
//! concatenated in order (`summarize` over such a run aggregates each chunk
//! and merges the groups instead).

use super::distinct::{distinct_dynamics, DistinctValues};
use super::limits::column_bytes;
use super::memory::{plan_span, MemoryReservation};
use super::parallel::{row_ranges, MAX_CHUNK_ROWS, MIN_PARALLEL_ROWS};
use super::row_local::narrow;
use super::select::{compare_scan, plain_i64};
use kqlite_parser::Span;
use std::sync::Arc;

use rayon::prelude::*;

use super::{build_table, concat_tables, EvalError, Executor};
use crate::bind::plan::{BoundExpr, BoundExprKind, Plan};
use crate::column::{Column, ColumnData};
use crate::function::ColumnarValue;
use crate::kernels;
use crate::table::Table;

impl Executor<'_> {
    /// A run of `where`, `extend` and `project` operators over one input,
    /// evaluated with late materialization: `where` only narrows a
    /// selection of the input's rows, expressions gather just the columns
    /// they read at the selected rows, and the remaining input columns are
    /// gathered once, for the rows that survive every predicate.
    pub(crate) fn streaming(&mut self, plan: &Plan) -> Result<Table, EvalError> {
        let (ops, input) = self.streaming_input(plan)?;
        self.stream_over(&ops, &input)
    }

    /// Runs the streaming operators `ops` over `input`, chunk by chunk
    /// when that pays.
    pub(super) fn stream_over(&mut self, ops: &[&Plan], input: &Table) -> Result<Table, EvalError> {
        if let Some(t) = self.streaming_chunks(ops, input)? {
            return Ok(t);
        }
        self.stream_run(ops, Lazy::new(input))
    }

    /// The operators of the streaming run `plan` ends with, in the order
    /// they apply, and the table they apply to.
    pub(super) fn streaming_input<'p>(
        &mut self,
        plan: &'p Plan,
    ) -> Result<(Vec<&'p Plan>, Table), EvalError> {
        let run = super::physical::streaming_run(plan);
        let input = match &run.scan {
            Some((table, idx, names)) => {
                let t = self.scan(table, Some(idx), None)?;
                rename(t, names.iter().cloned())?
            }
            None => self.run(run.bottom)?,
        };
        Ok((run.ops, input))
    }

    /// Whether the run `ops` over `input` is worth splitting into chunks
    /// and may be: a large input, a filter to drop rows early, and only
    /// row-local expressions.
    pub(super) fn chunkable(&self, ops: &[&Plan], input: &Table) -> bool {
        input.num_rows() >= MIN_PARALLEL_ROWS
            && self.inputs.is_empty()
            && super::physical::chunkable_shape(ops)
    }

    /// Input row ranges of the chunks of a chunked run.
    pub(super) fn chunk_ranges(rows: usize) -> Vec<(usize, usize)> {
        row_ranges(rows, MAX_CHUNK_ROWS)
    }

    /// Runs `f` on a worker for each chunk of `ops` over `input` (on the
    /// pool when there are several threads); results in chunk order.
    pub(super) fn for_each_chunk<R: Send>(
        &self,
        ops: &[&Plan],
        input: &Table,
        f: impl Fn(&mut Executor<'_>, Table) -> Result<R, EvalError> + Sync,
    ) -> Result<Vec<R>, EvalError> {
        let ranges = Self::chunk_ranges(input.num_rows());
        let run = |&(start, len): &(usize, usize)| -> Result<R, EvalError> {
            self.guard.check()?;
            let mut lazy = Lazy::new(input);
            lazy.selection = Some((start as u32..(start + len) as u32).collect());
            lazy.rows = len;
            let mut worker = self.worker();
            let t = worker.stream_run(ops, lazy)?;
            f(&mut worker, t)
        };
        if self.threads.count() > 1 {
            // Every chunk's outcome, so the error reported is the first in
            // row order, as on one thread.
            let all: Vec<Result<R, EvalError>> = self
                .threads
                .install(|| ranges.par_iter().map(run).collect());
            all.into_iter().collect()
        } else {
            ranges.iter().map(run).collect()
        }
    }

    /// A streaming run split into chunks of input rows, each run from its
    /// first operator to its last as one task (one chunk's intermediate
    /// columns stay in cache, and threads share the whole run rather than
    /// single operators). Only for runs that filter and whose expressions
    /// are row-local; `None` when the run does not qualify.
    pub(super) fn streaming_chunks(
        &mut self,
        ops: &[&Plan],
        input: &Table,
    ) -> Result<Option<Table>, EvalError> {
        if !self.chunkable(ops, input) {
            return Ok(None);
        }
        let span = ops.first().map_or_else(Span::default, |op| plan_span(op));
        let made = self.for_each_chunk(ops, input, |w, t| {
            let held = w.guard.reserve_table(&t, span)?;
            Ok((t, held))
        })?;
        let (parts, held): (Vec<Table>, Vec<_>) = made.into_iter().unzip();
        let bytes = held.iter().map(MemoryReservation::size).sum();
        let _whole = self.guard.reserve_bytes(bytes, span)?;
        // `None` when chunks disagree on a column type: the caller then
        // runs the whole input in one piece.
        Ok(concat_nonempty(parts))
    }

    /// Runs `ops` (in order) over `lazy`.
    pub(super) fn stream_run(&mut self, ops: &[&Plan], mut lazy: Lazy) -> Result<Table, EvalError> {
        // Columns computed so far stay paid for until the run's table is
        // handed on (its consumer reserves it then).
        let mut held: Vec<MemoryReservation> = Vec::new();
        for op in ops {
            match op {
                Plan::Filter { predicate, .. } => {
                    let keep = match lazy.select_in_place(self, predicate)? {
                        Some(kept) => kept,
                        None => match lazy.eval_distinct(self, predicate)? {
                            Some(mask) => {
                                let p = ColumnarValue::Column(mask);
                                let mask = kernels::filter_mask(&p, lazy.rows);
                                mask.ones().map(|i| i as u32).collect()
                            }
                            None => {
                                let (expr, t) = lazy.narrow(predicate)?;
                                self.select(&expr, &t)?
                            }
                        },
                    };
                    lazy.keep(self, &keep)?;
                }
                Plan::Extend { columns, .. } => {
                    for (name, _, e) in columns {
                        let col = lazy.eval(self, e)?;
                        held.push(self.hold_column(&col, e.span)?);
                        lazy.set(name, col);
                    }
                }
                Plan::Project { columns, .. } => {
                    let mut slots = Vec::with_capacity(columns.len());
                    for (name, e) in columns {
                        let slot = match &e.kind {
                            BoundExprKind::Column(i) => {
                                lazy.slots.get(*i).map(|(_, s)| s.clone()).ok_or_else(|| {
                                    EvalError::Internal(format!("column #{i} is out of range"))
                                })?
                            }
                            _ => {
                                let col = lazy.eval(self, e)?;
                                held.push(self.hold_column(&col, e.span)?);
                                Slot::Dense(col)
                            }
                        };
                        slots.push((name.clone(), slot));
                    }
                    lazy.slots = slots;
                }
                _ => return Err(EvalError::Internal("not a streaming operator".into())),
            }
        }
        lazy.finish(self)
    }

    /// A reservation of the bytes of `col` when it is new (held by no
    /// other table), failing at `span` when the budget cannot take it.
    fn hold_column(&self, col: &Arc<Column>, span: Span) -> Result<MemoryReservation, EvalError> {
        let bytes = if Arc::strong_count(col) == 1 {
            column_bytes(col)
        } else {
            0
        };
        self.guard.reserve_bytes(bytes, span)
    }

    /// Each column gathered at `rows`, in parallel across columns when
    /// the gather is large.
    pub(super) fn gather_par(
        &self,
        columns: impl Iterator<Item = Arc<Column>>,
        rows: &[u32],
    ) -> Vec<Arc<Column>> {
        let columns: Vec<Arc<Column>> = columns.collect();
        if !self.parallel_for(rows.len()) || columns.len() < 2 {
            return columns.iter().map(|c| Arc::new(c.take(rows))).collect();
        }
        self.threads
            .install(|| columns.par_iter().map(|c| Arc::new(c.take(rows))).collect())
    }
}

/// A column of a [`Lazy`] table.
#[derive(Clone)]
pub(super) enum Slot {
    /// A column of the input, not yet gathered at the selection.
    Base(Arc<Column>),
    /// A column with one value per selected row.
    Dense(Arc<Column>),
}

/// A table during a streaming run: the input's columns plus computed ones,
/// and the selected input rows (`None` = all).
pub(super) struct Lazy {
    slots: Vec<(String, Slot)>,
    selection: Option<Vec<u32>>,
    rows: usize,
    /// Distinct values of a `dynamic` column at the current selection,
    /// kept while several expressions read the same column.
    distinct: Option<(usize, Arc<DistinctValues>)>,
}

impl Lazy {
    fn new(input: &Table) -> Lazy {
        Lazy {
            slots: input
                .columns()
                .map(|(n, c)| (n.to_string(), Slot::Base(c.clone())))
                .collect(),
            selection: None,
            rows: input.num_rows(),
            distinct: None,
        }
    }

    /// `e` evaluated once per distinct value when it is row-local, reads
    /// just one `dynamic` column, and that column repeats its values: the
    /// column is read through the selection without being gathered.
    fn eval_distinct(
        &mut self,
        exec: &mut Executor<'_>,
        e: &BoundExpr,
    ) -> Result<Option<Arc<Column>>, EvalError> {
        if self.rows < super::physical::MIN_DISTINCT_ROWS {
            return Ok(None);
        }
        let Some(only) = super::physical::distinct_column(e, self.slots.len()) else {
            return Ok(None);
        };
        let Some((expr, _)) = narrow(e, self.slots.len()) else {
            return Ok(None);
        };
        let i = &only;
        let Some((name, slot)) = self.slots.get(*i) else {
            return Ok(None);
        };
        let values = match self.distinct.as_ref() {
            Some((cached, values)) if cached == i => values.clone(),
            _ => {
                let (col, selection) = match slot {
                    Slot::Base(c) => (c, self.selection.as_deref()),
                    Slot::Dense(c) => (c, None),
                };
                let ColumnData::Dynamic(v) = &col.data else {
                    return Ok(None);
                };
                let Some(found) = distinct_dynamics(v, selection, self.rows / 8) else {
                    return Ok(None);
                };
                let found = Arc::new(found);
                self.distinct = Some((*i, found.clone()));
                found
            }
        };
        let name = name.clone();
        Ok(Some(exec.eval_on_distinct(&expr, &name, &values)?))
    }

    /// The positions kept by `column op constant` on a 64-bit input column
    /// when the selection is one contiguous run of input rows: the stored
    /// column is scanned in place over that run, with its zone map.
    fn select_in_place(
        &mut self,
        exec: &mut Executor<'_>,
        predicate: &BoundExpr,
    ) -> Result<Option<Vec<u32>>, EvalError> {
        let Some(rows) = self.selection.as_deref() else {
            return Ok(None);
        };
        let (Some(&first), Some(&last)) = (rows.first(), rows.last()) else {
            return Ok(None);
        };
        if (last - first) as usize + 1 != rows.len() {
            return Ok(None);
        }
        let Some((i, op, c)) = exec.constant_comparison(predicate, self.slots.len())? else {
            return Ok(None);
        };
        let Some((_, Slot::Base(col))) = self.slots.get(i) else {
            return Ok(None);
        };
        let Some(values) = plain_i64(col) else {
            return Ok(None);
        };
        let zones = exec.catalog.zones_of(col);
        let mut kept = compare_scan(values, zones, first as usize, rows.len(), op, c);
        for k in &mut kept {
            *k -= first;
        }
        Ok(Some(kept))
    }

    /// Column `i` at the selected rows (gathered once, then kept).
    fn column(&mut self, i: usize) -> Result<Arc<Column>, EvalError> {
        let (_, slot) = self
            .slots
            .get_mut(i)
            .ok_or_else(|| EvalError::Internal(format!("column #{i} is out of range")))?;
        let col = match (&*slot, &self.selection) {
            (Slot::Dense(c), _) | (Slot::Base(c), None) => return Ok(c.clone()),
            (Slot::Base(c), Some(rows)) => Arc::new(c.take(rows)),
        };
        *slot = Slot::Dense(col.clone());
        Ok(col)
    }

    /// `e` rewritten over a table of just the columns it reads.
    fn narrow(&mut self, e: &BoundExpr) -> Result<(BoundExpr, Table), EvalError> {
        let (expr, used) = narrow(e, self.slots.len())
            .ok_or_else(|| EvalError::Internal("expression column out of range".into()))?;
        let mut columns = Vec::with_capacity(used.len());
        for i in used {
            let col = self.column(i)?;
            let name = self
                .slots
                .get(i)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            columns.push((name, col));
        }
        let table = if columns.is_empty() {
            Table::empty(self.rows)
        } else {
            build_table(columns, self.rows)?
        };
        Ok((expr, table))
    }

    /// `e` evaluated at the selected rows.
    fn eval(&mut self, exec: &mut Executor<'_>, e: &BoundExpr) -> Result<Arc<Column>, EvalError> {
        if let BoundExprKind::Column(i) = e.kind {
            return self.column(i);
        }
        if let Some(col) = self.eval_distinct(exec, e)? {
            return Ok(col);
        }
        let (expr, table) = self.narrow(e)?;
        Ok(exec.eval_par(&expr, &table)?.into_column(self.rows))
    }

    /// Replaces the column named `name`, or appends it.
    fn set(&mut self, name: &str, col: Arc<Column>) {
        if let Some((i, _)) = &self.distinct {
            if self.slots.get(*i).is_some_and(|(n, _)| n == name) {
                self.distinct = None;
            }
        }
        match self.slots.iter_mut().find(|(n, _)| n == name) {
            Some((_, slot)) => *slot = Slot::Dense(col),
            None => self.slots.push((name.to_string(), Slot::Dense(col))),
        }
    }

    /// Keeps the current rows at `keep` (ascending positions).
    fn keep(&mut self, exec: &Executor<'_>, keep: &[u32]) -> Result<(), EvalError> {
        if keep.len() == self.rows {
            return Ok(());
        }
        self.distinct = None;
        self.selection = Some(match &self.selection {
            None => keep.to_vec(),
            Some(rows) => keep
                .iter()
                .filter_map(|&k| rows.get(k as usize).copied())
                .collect(),
        });
        let dense: Vec<usize> = (0..self.slots.len())
            .filter(|&i| matches!(self.slots.get(i), Some((_, Slot::Dense(_)))))
            .collect();
        let gathered = exec.gather_par(
            dense.iter().filter_map(|&i| match self.slots.get(i) {
                Some((_, Slot::Dense(c))) => Some(c.clone()),
                _ => None,
            }),
            keep,
        );
        for (i, col) in dense.into_iter().zip(gathered) {
            if let Some((_, slot)) = self.slots.get_mut(i) {
                *slot = Slot::Dense(col);
            }
        }
        self.rows = keep.len();
        Ok(())
    }

    /// The table: every input column still pending gathered now.
    fn finish(self, exec: &Executor<'_>) -> Result<Table, EvalError> {
        let Some(rows) = &self.selection else {
            let columns = self
                .slots
                .into_iter()
                .map(|(n, Slot::Base(c) | Slot::Dense(c))| (n, c))
                .collect();
            return build_or_empty(columns, self.rows);
        };
        let pending: Vec<Arc<Column>> = self
            .slots
            .iter()
            .filter_map(|(_, s)| match s {
                Slot::Base(c) => Some(c.clone()),
                Slot::Dense(_) => None,
            })
            .collect();
        let mut gathered = exec.gather_par(pending.into_iter(), rows).into_iter();
        let mut columns = Vec::with_capacity(self.slots.len());
        for (name, slot) in self.slots {
            let col = match slot {
                Slot::Dense(c) => c,
                Slot::Base(_) => gathered
                    .next()
                    .ok_or_else(|| EvalError::Internal("gathered column missing".into()))?,
            };
            columns.push((name, col));
        }
        build_or_empty(columns, self.rows)
    }
}

/// The rows of `parts` (same columns) one after another, leaving out the
/// empty ones (the first part when all are); `None` when the parts
/// disagree on a column's type.
pub(super) fn concat_nonempty(parts: Vec<Table>) -> Option<Table> {
    let first = parts.first().cloned();
    let nonempty: Vec<Table> = parts.into_iter().filter(|t| t.num_rows() > 0).collect();
    if nonempty.is_empty() {
        return first;
    }
    concat_tables(nonempty)
}

/// `t` with its columns renamed, in order.
pub(super) fn rename(t: Table, names: impl Iterator<Item = String>) -> Result<Table, EvalError> {
    let rows = t.num_rows();
    let columns: Vec<(String, Arc<Column>)> =
        names.zip(t.columns().map(|(_, c)| c.clone())).collect();
    build_or_empty(columns, rows)
}

pub(super) fn build_or_empty(
    columns: Vec<(String, Arc<Column>)>,
    rows: usize,
) -> Result<Table, EvalError> {
    if columns.is_empty() {
        Ok(Table::empty(rows))
    } else {
        build_table(columns, rows)
    }
}
