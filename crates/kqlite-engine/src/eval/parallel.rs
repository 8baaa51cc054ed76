//! Parallelism across row chunks, and late materialization for `where`.
//!
//! A run of `where`/`extend`/`project` keeps a selection vector and gathers
//! each column once, for the rows that survive. Over a large input with a
//! filter and only row-local expressions (no `row_number()`, `prev()`,
//! `toscalar()` or `row_*` window functions), the run goes chunk by chunk:
//! each 64K-row chunk passes through every operator as one task of a rayon
//! pool, and the chunks are concatenated in order (`summarize` over such a
//! run aggregates each chunk and merges the groups instead). Otherwise an
//! expensive row-local expression alone is split into chunks. A comparison
//! of a stored 64-bit column with a constant reads the column in place,
//! with its zone map.

use std::sync::Arc;

use rayon::prelude::*;

use super::limits::column_bytes;
use super::memory::{plan_span, MemoryReservation};
use super::{build_table, concat_columns, concat_tables, EvalError, Executor};
use crate::bind::plan::{BoundExpr, BoundExprKind, ListItems, Plan};
use crate::bind::prune::mark;
use crate::column::{Column, ColumnData};
use crate::function::{ColumnarValue, RowDependence, Volatility};
use crate::kernels;
use crate::table::Table;
use crate::types::DataType;
use crate::value::{Dynamic, Value};
use crate::zones::{Verdict, ZoneMap, ZONE_ROWS};
use kqlite_parser::ast::BinaryOp;
use kqlite_parser::Span;

/// Largest chunk a task evaluates (rows).
const MAX_CHUNK_ROWS: usize = super::physical::CHUNK_ROWS;
/// Smallest chunk worth a task (rows).
const MIN_CHUNK_ROWS: usize = 1 << 13;
/// Inputs with fewer rows run on the calling thread.
const MIN_PARALLEL_ROWS: usize = super::physical::MIN_PARALLEL_ROWS;

/// The threads a query may use: the global rayon pool (all cores), a
/// dedicated pool of a fixed size, or only the calling thread.
#[derive(Debug, Clone)]
pub struct Threads {
    pool: Option<Arc<rayon::ThreadPool>>,
    /// 0 = the global pool.
    count: usize,
}

impl Default for Threads {
    fn default() -> Threads {
        Threads::all()
    }
}

impl Threads {
    /// Every core (a shared pool whose threads have stacks deep enough for
    /// the deepest expressions; rayon's global pool if it cannot start).
    pub fn all() -> Threads {
        static SHARED: std::sync::OnceLock<Option<Arc<rayon::ThreadPool>>> =
            std::sync::OnceLock::new();
        let pool = SHARED.get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("kqlite-{i}"))
                .stack_size(super::WORKER_STACK)
                .build()
                .ok()
                .map(Arc::new)
        });
        Threads {
            pool: pool.clone(),
            count: 0,
        }
    }

    /// Only the calling thread.
    pub fn sequential() -> Threads {
        Threads {
            pool: None,
            count: 1,
        }
    }

    /// `n` threads (`0` = every core). Falls back to every core if the
    /// operating system refuses to start a dedicated pool.
    pub fn fixed(n: usize) -> Threads {
        match n {
            0 => Threads::all(),
            1 => Threads::sequential(),
            n => match rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .stack_size(super::WORKER_STACK)
                .build()
            {
                Ok(pool) => Threads {
                    pool: Some(Arc::new(pool)),
                    count: n,
                },
                Err(_) => Threads::all(),
            },
        }
    }

    /// How many threads work on a query.
    pub fn count(&self) -> usize {
        match self.count {
            0 => self
                .pool
                .as_ref()
                .map_or_else(rayon::current_num_threads, |p| p.current_num_threads()),
            n => n,
        }
    }

    /// Runs `f` inside this pool (so its parallel iterators use it).
    pub(super) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }
}

/// Whether `f` holds for `e` or any expression inside it (subplans of
/// `toscalar()` and `in (T)` are not entered).
fn any_node(e: &BoundExpr, f: &impl Fn(&BoundExpr) -> bool) -> bool {
    e.exists(f)
}

/// Whether `e` gives each row a value that depends on that row alone, so
/// it can be evaluated chunk by chunk.
pub(crate) fn row_local(e: &BoundExpr) -> bool {
    !any_node(e, &|x| match &x.kind {
        BoundExprKind::ToScalar(_)
        | BoundExprKind::RowNumber { .. }
        | BoundExprKind::Shift { .. } => true,
        BoundExprKind::List { items, .. } => !matches!(items, ListItems::Values(_)),
        BoundExprKind::Call { func, .. } => func.properties().rows == RowDependence::Window,
        BoundExprKind::Literal(_)
        | BoundExprKind::Column(_)
        | BoundExprKind::ColumnByName(_)
        | BoundExprKind::OptionalColumn(_)
        | BoundExprKind::Binary { .. }
        | BoundExprKind::Unary { .. }
        | BoundExprKind::Between { .. }
        | BoundExprKind::Member { .. }
        | BoundExprKind::Index { .. }
        | BoundExprKind::Cast { .. } => false,
    })
}

/// Whether `e` calls a function whose value differs between calls with
/// the same arguments (declared [`Volatility::Volatile`], as `rand()`).
pub(super) fn volatile(e: &BoundExpr) -> bool {
    any_node(e, &|x| {
        matches!(&x.kind, BoundExprKind::Call { func, .. }
            if func.properties().volatility == Volatility::Volatile)
    })
}

/// Whether evaluating `e` costs enough per row to repay copying its
/// columns into chunks and the results back: it reads plain (mostly
/// distinct) strings, or calls a function on columns that are not
/// dictionary-encoded. Kernels over dictionary strings already work once
/// per distinct value, and plain arithmetic is memory-bound.
fn worth_splitting(e: &BoundExpr, input: &Table, used: &[usize]) -> bool {
    let mut plain = false;
    let mut dictionary = false;
    for &i in used {
        match input.column_at(i).map(|(_, c)| &c.data) {
            Some(ColumnData::String(crate::column::StringColumn::Plain(_))) => plain = true,
            Some(ColumnData::String(crate::column::StringColumn::Dict { .. })) => dictionary = true,
            _ => {}
        }
    }
    plain || (!dictionary && any_node(e, &|x| matches!(x.kind, BoundExprKind::Call { .. })))
}

/// `e` rewritten to read a table of only the columns it uses, and those
/// columns' positions in the original input.
fn narrow(e: &BoundExpr, width: usize) -> Option<(BoundExpr, Vec<usize>)> {
    let mut needed = vec![false; width];
    mark(e, &mut needed);
    let mut map = vec![None; width];
    let mut used = Vec::new();
    for (i, keep) in needed.iter().enumerate() {
        if *keep {
            map[i] = Some(used.len());
            used.push(i);
        }
    }
    let expr = e.remap_columns(&|i| map.get(i).copied().flatten())?;
    Some((expr, used))
}

/// Row ranges `(start, len)` covering `rows`, sized so every thread gets
/// several chunks.
fn chunks(rows: usize, threads: usize) -> Vec<(usize, usize)> {
    let size = (rows / (threads.max(1) * 4)).clamp(MIN_CHUNK_ROWS, MAX_CHUNK_ROWS);
    (0..rows)
        .step_by(size)
        .map(|start| (start, size.min(rows - start)))
        .collect()
}

/// The columns `used` of `input`, rows `start..start + len`.
fn slice_columns(
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

impl<'a> Executor<'a> {
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
    fn eval_per_distinct(
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

    /// The rows of `input` where `predicate` is true, ascending.
    fn select(&mut self, predicate: &BoundExpr, input: &Table) -> Result<Vec<u32>, EvalError> {
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
    fn constant_comparison(
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
    fn select_by_constant(
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

    /// `f(start, len)` for each row chunk of `rows` rows on the pool, the
    /// deadline checked before each; the results in chunk order.
    fn par_chunks<R: Send>(
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
    fn chunk_ranges(rows: usize) -> Vec<(usize, usize)> {
        (0..rows)
            .step_by(MAX_CHUNK_ROWS)
            .map(|start| (start, MAX_CHUNK_ROWS.min(rows - start)))
            .collect()
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
    fn streaming_chunks(
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
    fn stream_run(&mut self, ops: &[&Plan], mut lazy: Lazy) -> Result<Table, EvalError> {
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
    fn gather_par(
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

/// The values of a 64-bit integer-like column without nulls.
fn plain_i64(col: &Column) -> Option<&[i64]> {
    match (&col.data, &col.validity) {
        (ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v), None) => Some(v),
        _ => None,
    }
}

/// The rows in `start..start + len` where `values[row] op c`, zone by
/// zone: a zone the zone map settles is skipped or taken whole; the rest
/// is scanned branch-free (every row number is written, the cursor
/// advances past the kept ones).
fn compare_scan(
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

/// Identity of a `dynamic` value for [`distinct_dynamics`]: shared
/// allocations by address, scalars by value.
#[derive(PartialEq, Eq, Hash)]
enum DynamicKey {
    Null,
    Scalar(u8, u128),
    Shared(u8, usize),
}

fn dynamic_key(d: &Dynamic) -> DynamicKey {
    match d {
        Dynamic::Null => DynamicKey::Null,
        Dynamic::Bool(b) => DynamicKey::Scalar(1, u128::from(*b)),
        Dynamic::Long(x) => DynamicKey::Scalar(2, *x as u64 as u128),
        Dynamic::Real(x) => DynamicKey::Scalar(3, u128::from(x.to_bits())),
        Dynamic::DateTime(x) => DynamicKey::Scalar(4, *x as u64 as u128),
        Dynamic::TimeSpan(x) => DynamicKey::Scalar(5, *x as u64 as u128),
        Dynamic::Guid(x) => DynamicKey::Scalar(6, *x),
        Dynamic::String(s) => DynamicKey::Shared(7, Arc::as_ptr(s) as *const u8 as usize),
        Dynamic::Array(a) => DynamicKey::Shared(8, Arc::as_ptr(a) as usize),
        Dynamic::Bag(b) => DynamicKey::Shared(9, Arc::as_ptr(b) as usize),
    }
}

/// Each row's position among the distinct values of `values` (by shared
/// allocation or scalar value), and those values; `None` once there are
/// more than `limit` of them.
fn distinct_dynamics(
    values: &[Dynamic],
    selection: Option<&[u32]>,
    limit: usize,
) -> Option<DistinctValues> {
    let rows = selection.map_or(values.len(), <[u32]>::len);
    // Shared allocations are told apart by address (the common case, one
    // cheap integer hash), scalars by value.
    let mut by_address: rustc_hash::FxHashMap<usize, u32> = Default::default();
    let mut by_value: rustc_hash::FxHashMap<DynamicKey, u32> = Default::default();
    let mut distinct = Vec::new();
    let mut codes = Vec::with_capacity(rows);
    let mut visit = |v: &Dynamic| -> bool {
        let next = distinct.len() as u32;
        let code = match dynamic_key(v) {
            DynamicKey::Shared(_, address) => *by_address.entry(address).or_insert(next),
            key => *by_value.entry(key).or_insert(next),
        };
        if code == next {
            if distinct.len() >= limit {
                return false;
            }
            distinct.push(v.clone());
        }
        codes.push(code);
        true
    };
    match selection {
        None => {
            for v in values {
                if !visit(v) {
                    return None;
                }
            }
        }
        Some(rows) => {
            for &r in rows {
                if !visit(values.get(r as usize).unwrap_or(&Dynamic::Null)) {
                    return None;
                }
            }
        }
    }
    Some(DistinctValues { codes, distinct })
}

/// A `dynamic` column as row codes into its distinct values.
struct DistinctValues {
    codes: Vec<u32>,
    distinct: Vec<Dynamic>,
}

impl Executor<'_> {
    /// Evaluates `expr` (reading only column 0, named `name`) once per
    /// distinct value and spreads the results to the rows.
    fn eval_on_distinct(
        &mut self,
        expr: &BoundExpr,
        name: &str,
        values: &DistinctValues,
    ) -> Result<Arc<Column>, EvalError> {
        let n = values.distinct.len();
        let table = build_table(
            vec![(
                name.to_string(),
                Arc::new(Column::new(ColumnData::Dynamic(values.distinct.clone()))),
            )],
            n,
        )?;
        let per_value = self.eval(expr, &table)?.into_column(n);
        Ok(Arc::new(per_value.take(&values.codes)))
    }
}

/// A column of a [`Lazy`] table.
#[derive(Clone)]
enum Slot {
    /// A column of the input, not yet gathered at the selection.
    Base(Arc<Column>),
    /// A column with one value per selected row.
    Dense(Arc<Column>),
}

/// A table during a streaming run: the input's columns plus computed ones,
/// and the selected input rows (`None` = all).
struct Lazy {
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
fn concat_nonempty(parts: Vec<Table>) -> Option<Table> {
    let first = parts.first().cloned();
    let nonempty: Vec<Table> = parts.into_iter().filter(|t| t.num_rows() > 0).collect();
    if nonempty.is_empty() {
        return first;
    }
    concat_tables(nonempty)
}

/// `t` with its columns renamed, in order.
fn rename(t: Table, names: impl Iterator<Item = String>) -> Result<Table, EvalError> {
    let rows = t.num_rows();
    let columns: Vec<(String, Arc<Column>)> =
        names.zip(t.columns().map(|(_, c)| c.clone())).collect();
    build_or_empty(columns, rows)
}

fn build_or_empty(columns: Vec<(String, Arc<Column>)>, rows: usize) -> Result<Table, EvalError> {
    if columns.is_empty() {
        Ok(Table::empty(rows))
    } else {
        build_table(columns, rows)
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

    #[test]
    fn a_fixed_pool_reports_its_size() {
        assert_eq!(Threads::fixed(1).count(), 1);
        assert_eq!(Threads::fixed(3).count(), 3);
        assert!(Threads::all().count() >= 1);
    }
}
