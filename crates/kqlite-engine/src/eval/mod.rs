//! The columnar evaluator: runs a bound plan over catalog tables.
//!
//! Every operator consumes and produces whole [`Table`]s. Columns are
//! `Arc`-shared, so `project`/`extend` never copy untouched columns, and
//! `where` computes one mask and gathers every column once.

mod basket;
mod distinct;
mod expr;
mod external;
mod graph;
mod join;
mod keys;
pub(crate) mod limits;
mod make_series;
pub(crate) mod memory;
mod mv_expand;
mod parallel;
mod parse;
mod parse_kv;
mod partition;
pub(crate) mod physical;
mod pivot;
mod plugins;
mod plugins_more;
mod reduce;
mod row_local;
mod scan;
mod select;
mod sort;
mod streaming;
mod summarize;
mod threads;

use std::collections::HashMap;
use std::sync::Arc;

use kqlite_parser::Span;

use crate::bind::plan::{BoundExpr, Plan};
use crate::catalog::Catalog;
use crate::column::{Column, ColumnData};
use crate::function::{EvalContext, FunctionError};

use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

pub(crate) use crate::concat::concat_columns;
pub(crate) use crate::concat::concat_tables;
pub use external::{ExternalSource, ExternalSources};
pub use limits::{
    estimated_bytes, CancelHandle, Limits, ResultOverflow, DEFAULT_MAX_DEPTH, DEFAULT_MAX_MEMORY,
    DEFAULT_MAX_RESULT_ROWS, MAX_SUPPORTED_DEPTH,
};
pub(crate) use limits::{query_stack, WORKER_STACK};
pub(crate) use memory::row_width;
pub(crate) use memory::MemoryReservation;
pub use memory::{default_max_memory, MAX_VALUE_BYTES};
pub use threads::Threads;

/// Why evaluation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum EvalError {
    /// A function or operator rejected its input.
    #[error("{source}")]
    Function {
        /// The expression that failed.
        span: Span,
        /// What the function said.
        source: FunctionError,
    },
    /// The query reads a table whose data was not supplied.
    #[error("table `{table}` has a schema but no data")]
    MissingData {
        /// The table.
        table: String,
    },
    /// An `externaldata` URI has no data supplied for it.
    #[error("externaldata `{uri}` was not given")]
    MissingExternalData {
        /// The URI as written in the query.
        uri: String,
        /// The `externaldata` operator.
        span: Span,
    },
    /// An operator's input is out of range (e.g. a `range` with step 0).
    #[error("{message}")]
    Invalid {
        /// The offending expression.
        span: Span,
        /// What is wrong.
        message: String,
    },
    /// A result would exceed [`Limits::max_rows`].
    #[error("the query would produce more than {limit} rows")]
    TooManyRows {
        /// The limit.
        limit: usize,
        /// The operator that hit it.
        span: Span,
    },
    /// The query's [`CancelHandle`] was cancelled.
    #[error("the query was cancelled")]
    Cancelled,
    /// The query ran longer than [`Limits::timeout`].
    #[error("the query ran longer than its time limit of {limit:?}")]
    TimedOut {
        /// The limit.
        limit: std::time::Duration,
    },
    /// The query's live data would exceed [`Limits::max_memory`].
    #[error("the query needs about {estimate} bytes, more than the memory limit of {limit} bytes")]
    OutOfMemory {
        /// The estimated size.
        estimate: usize,
        /// The limit.
        limit: usize,
        /// The operator that hit it.
        span: Span,
    },
    /// A plan invariant did not hold (a bug).
    #[error("{0}")]
    Internal(String),
}

/// Runs plans for one query: holds the clock, limits and materialized results.
pub(crate) struct Executor<'a> {
    catalog: &'a Catalog,
    ctx: EvalContext,
    limits: Limits,
    materialized: HashMap<usize, Arc<Table>>,
    /// The current `mv-apply` record expansions, innermost last.
    inputs: Vec<Table>,
    /// The graphs of the current `make-graph ... partitioned-by`
    /// partitions, innermost last.
    graph_inputs: Vec<Arc<graph::Graph>>,
    /// Threads for chunked evaluation.
    threads: Threads,
    /// Deadline, cancellation and memory cap.
    guard: limits::Guard,
    /// Data for `externaldata` URIs.
    external: Arc<ExternalSources>,
    /// Memory held for the results of the operators evaluated so far whose
    /// consumers are still running (a stack: a finished operator frees its
    /// inputs' reservations and pushes its own).
    live: Vec<memory::MemoryReservation>,
    /// Memory held for `materialize` results, alive for the whole query.
    pinned: Vec<memory::MemoryReservation>,
}

fn internal(what: &str) -> EvalError {
    EvalError::Internal(what.to_string())
}

impl<'a> Executor<'a> {
    /// A fresh executor.
    pub fn new(catalog: &'a Catalog, ctx: EvalContext, limits: Limits) -> Executor<'a> {
        Executor {
            catalog,
            ctx,
            limits,
            materialized: HashMap::new(),
            inputs: Vec::new(),
            graph_inputs: Vec::new(),
            threads: Threads::sequential(),
            guard: limits::Guard::start(&limits),
            external: Arc::default(),
            live: Vec::new(),
            pinned: Vec::new(),
        }
    }

    /// Lets `externaldata` read the URIs `sources` holds data for.
    pub fn with_external(mut self, sources: Arc<ExternalSources>) -> Executor<'a> {
        self.external = sources;
        self
    }

    /// Runs under `guard` (a deadline already started, e.g. before the
    /// query was parsed and bound, and its cancel handle).
    pub(crate) fn with_guard(mut self, guard: limits::Guard) -> Executor<'a> {
        self.guard = guard;
        self
    }

    /// Lets large inputs be evaluated chunk by chunk on `threads`.
    pub fn with_threads(mut self, threads: Threads) -> Executor<'a> {
        self.threads = threads;
        self
    }

    /// An executor for one chunk of rows on a worker thread: same clock
    /// and limits, no parallelism of its own.
    fn worker(&self) -> Executor<'a> {
        let mut w = Executor::new(self.catalog, self.ctx, self.limits);
        w.guard = self.guard.clone();
        w.external = self.external.clone();
        w
    }

    fn check_rows(&self, rows: usize, span: Span) -> Result<(), EvalError> {
        if rows > self.limits.max_rows {
            return Err(EvalError::TooManyRows {
                limit: self.limits.max_rows,
                span,
            });
        }
        Ok(())
    }

    /// Evaluates a plan to a table.
    pub fn run(&mut self, plan: &Plan) -> Result<Table, EvalError> {
        self.guard.check()?;
        let mark = self.live.len();
        let out = self.run_operator(plan)?;
        // The inputs are consumed: their memory is now the output's.
        self.live.truncate(mark);
        // Tables read from the catalog or reused are not new allocations.
        if !matches!(
            plan,
            Plan::Scan { .. } | Plan::Values(_) | Plan::Input | Plan::Materialize { .. }
        ) {
            let held = self.guard.reserve_table(&out, memory::plan_span(plan))?;
            self.live.push(held);
        }
        Ok(out)
    }

    /// Evaluates one operator of a plan (its inputs first).
    fn run_operator(&mut self, plan: &Plan) -> Result<Table, EvalError> {
        let out = match plan {
            Plan::Scan { table } => self.scan(table, None, None),
            Plan::Values(t) => Ok(Table::clone(t)),
            Plan::Print { columns } => {
                let one = Table::empty(1);
                let mut out = Vec::with_capacity(columns.len());
                for (name, e) in columns {
                    let v = self.eval(e, &one)?;
                    out.push((name.clone(), v.into_column(1)));
                }
                build_table(out, 1)
            }
            Plan::Range {
                name,
                from,
                to,
                step,
            } => self.range(name, from, to, step),
            Plan::Filter { .. } | Plan::Project { .. } | Plan::Extend { .. } => {
                self.streaming(plan)
            }
            Plan::Summarize {
                input,
                keys,
                aggregates,
            } => {
                if let Some(t) = self.summarize_streaming(input, keys, aggregates)? {
                    return Ok(t);
                }
                let t = self.run(input)?;
                self.summarize(&t, keys, aggregates)
            }
            Plan::Sort { input, keys } => {
                let t = self.run(input)?;
                self.sort(t, keys, None)
            }
            Plan::Take { input, count } => {
                let n = self.count_value(count)?;
                let input = match physical::take_input(input) {
                    physical::TakeInput::TopOfSort(input, keys) => {
                        let t = self.run(input)?;
                        return self.sort(t, keys, Some(n));
                    }
                    physical::TakeInput::HeadOfTable(table) => {
                        return self.scan(table, None, Some(n));
                    }
                    physical::TakeInput::Whole(input) => input,
                };
                let t = self.run(input)?;
                if n >= t.num_rows() {
                    return Ok(t);
                }
                let idx: Vec<u32> = (0..n as u32).collect();
                Ok(t.take(&idx))
            }
            Plan::Count { input } => {
                let t = self.run(input)?;
                let c = Column::new(ColumnData::Long(vec![t.num_rows() as i64]));
                build_table(vec![("Count".to_string(), Arc::new(c))], 1)
            }
            Plan::Union {
                inputs,
                source,
                columns,
            } => self.union(inputs, source.as_ref(), columns),
            Plan::Join {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                output,
            } => {
                let l = self.run(left)?;
                let r = self.run(right)?;
                join::join(&l, &r, *kind, left_keys, right_keys, output, &self.guard)
            }
            Plan::MvExpand {
                input,
                columns,
                bag,
                item_index,
                limit,
            } => {
                let t = self.run(input)?;
                mv_expand::mv_expand(
                    &t,
                    columns,
                    *bag,
                    item_index.as_deref(),
                    *limit,
                    &self.guard,
                )
            }
            Plan::Parse {
                input,
                expr,
                pattern,
                columns,
                relaxed,
                drop_unmatched,
            } => {
                let t = self.run(input)?;
                let text = self.eval(expr, &t)?;
                parse::parse(t, text, pattern, columns, *relaxed, *drop_unmatched)
            }
            Plan::MakeSeries {
                input,
                keys,
                aggregates,
                axis,
                from,
                to,
                step,
                options,
            } => {
                let t = self.run(input)?;
                let spec = make_series::Series {
                    keys,
                    aggregates,
                    axis,
                    from: from.as_ref(),
                    to: to.as_ref(),
                    step,
                    options: *options,
                };
                self.make_series(&t, &spec)
            }
            Plan::Input => self
                .inputs
                .last()
                .cloned()
                .ok_or_else(|| internal("mv-apply input read outside mv-apply")),
            Plan::MvApply {
                input,
                subquery,
                keep,
                columns,
            } => {
                let t = self.run(input)?;
                self.mv_apply(&t, subquery, keep, columns)
            }
            Plan::Partition {
                input,
                key,
                subquery,
                columns,
                max_partitions,
                span,
            } => {
                let t = self.run(input)?;
                let spec = partition::Partitioned {
                    key: *key,
                    subquery,
                    columns,
                    max_partitions: *max_partitions,
                    span: *span,
                };
                self.partition(&t, &spec)
            }
            Plan::Sample { input, count } => {
                let n = self.count_value(count)?;
                let t = self.run(input)?;
                Ok(self.sample(t, n))
            }
            Plan::ScanSteps { input, spec } => {
                let t = self.run(input)?;
                self.scan_steps(&t, spec)
            }
            Plan::ExternalData(spec) => external::read(spec, &self.external),
            Plan::ParseKv { input, expr, spec } => {
                let t = self.run(input)?;
                let text = self.eval(expr, &t)?;
                parse_kv::parse_kv(t, text, spec)
            }
            Plan::Pivot {
                input,
                keys,
                fill,
                declared,
                span,
            } => {
                let t = self.run(input)?;
                pivot::pivot(&t, *keys, fill, declared.as_ref(), *span)
            }
            Plan::BagUnpack {
                input,
                spec,
                declared,
                span,
            } => {
                let t = self.run(input)?;
                let _held = self.reserve_unpack(&t, spec, *span)?;
                let unpacked =
                    crate::bind::evaluate::unpack_table(&t, spec).map_err(|message| {
                        EvalError::Invalid {
                            span: *span,
                            message,
                        }
                    })?;
                match declared {
                    Some(schema) => Ok(unpacked.conform_to(schema)),
                    None => Ok(unpacked),
                }
            }
            Plan::MakeGraph { .. } | Plan::GraphMarkComponents { .. } => Err(EvalError::Invalid {
                span: Span::default(),
                message: "a graph must be followed by a graph operator".into(),
            }),
            Plan::GraphMatch { input, spec } => {
                let g = self.graph(input)?;
                self.graph_match(&g, spec)
            }
            Plan::GraphPartition {
                edges,
                nodes,
                spec,
                columns,
                body,
            } => self.graph_partition(edges, nodes, spec, columns, body),
            Plan::GraphToTable { input, spec } => {
                let g = self.graph(input)?;
                graph::to_table(&g, spec)
            }
            Plan::Plugin {
                input,
                others,
                spec,
            } => {
                let t = self.run(input)?;
                let others = others
                    .iter()
                    .map(|p| self.run(p))
                    .collect::<Result<Vec<_>, _>>()?;
                plugins::run(spec, &t, &others)
            }
            Plan::Materialize { id, input } => {
                if let Some(t) = self.materialized.get(id) {
                    return Ok(Table::clone(t));
                }
                let mark = self.live.len();
                let t = Arc::new(self.run(input)?);
                // A cached result stays alive for the whole query.
                let held: Vec<_> = self.live.drain(mark..).collect();
                self.pinned.extend(held);
                self.materialized.insert(*id, t.clone());
                Ok(Table::clone(&t))
            }
        }?;
        Ok(out)
    }

    /// A catalog table's data laid out as its schema (or just the schema
    /// columns at `only`, or just its first `head` rows): columns the data
    /// lacks, or holds with another type, read as nulls.
    pub(crate) fn scan(
        &self,
        table: &str,
        only: Option<&[usize]>,
        head: Option<usize>,
    ) -> Result<Table, EvalError> {
        let missing = || EvalError::MissingData {
            table: table.to_string(),
        };
        let data = self.catalog.data(table).ok_or_else(missing)?;
        let schema = self.catalog.schema(table).ok_or_else(missing)?;
        let aligned = data.num_columns() == schema.len()
            && data
                .columns()
                .zip(schema)
                .all(|((n, c), (name, ty))| n == name && c.data_type() == *ty);
        let total = data.num_rows();
        let rows = head.map_or(total, |n| n.min(total));
        if aligned && only.is_none() && rows == total {
            return Ok(Table::clone(data));
        }
        let wanted: Vec<usize> = match only {
            Some(idx) => idx.to_vec(),
            None => (0..schema.len()).collect(),
        };
        let mut columns = Vec::with_capacity(wanted.len());
        for i in wanted {
            let (name, ty) = schema
                .get(i)
                .ok_or_else(|| internal("scan column out of range"))?;
            let col = match data.column(name) {
                Some(c) if c.data_type() == *ty && rows == total => c.clone(),
                Some(c) if c.data_type() == *ty => Arc::new(c.slice(0, rows)),
                _ => Arc::new(Column::nulls(*ty, rows)),
            };
            columns.push((name.clone(), col));
        }
        if columns.is_empty() {
            return Ok(Table::empty(rows));
        }
        build_table(columns, rows)
    }

    fn count_value(&mut self, e: &BoundExpr) -> Result<usize, EvalError> {
        let v = self.eval(e, &Table::empty(1))?.get(0);
        Ok(match v {
            Value::Long(n) => usize::try_from(n).unwrap_or(0),
            Value::Int(n) => usize::try_from(n).unwrap_or(0),
            _ => 0,
        })
    }

    fn scalar_of(&mut self, e: &BoundExpr) -> Result<Value, EvalError> {
        Ok(self.eval(e, &Table::empty(1))?.get(0))
    }

    fn range(
        &mut self,
        name: &str,
        from: &BoundExpr,
        to: &BoundExpr,
        step: &BoundExpr,
    ) -> Result<Table, EvalError> {
        let (f, t, s) = (
            self.scalar_of(from)?,
            self.scalar_of(to)?,
            self.scalar_of(step)?,
        );
        let span = from.span.to(step.span);
        let as_i64 = |v: &Value| match v {
            Value::Int(x) => Some(i64::from(*x)),
            Value::Long(x) | Value::DateTime(x) | Value::TimeSpan(x) => Some(*x),
            _ => None,
        };
        let as_f64 = |v: &Value| match v {
            Value::Int(x) => Some(f64::from(*x)),
            Value::Long(x) => Some(*x as f64),
            Value::Real(x) => Some(*x),
            _ => None,
        };
        let data = if matches!(f, Value::Real(_))
            || matches!(t, Value::Real(_))
            || matches!(s, Value::Real(_))
        {
            let (Some(a), Some(b), Some(st)) = (as_f64(&f), as_f64(&t), as_f64(&s)) else {
                return Ok(empty_range(name, DataType::Real));
            };
            if st == 0.0 || !st.is_finite() {
                return Err(EvalError::Invalid {
                    span,
                    message: "`range` step must be non-zero".into(),
                });
            }
            let n = ((b - a) / st).floor();
            if n < 0.0 || n.is_nan() {
                return Ok(empty_range(name, DataType::Real));
            }
            let count = (n as usize).saturating_add(1);
            self.check_rows(count, span)?;
            let _held = self.guard.reserve_bytes(count.saturating_mul(8), span)?;
            ColumnData::Real(self.guard.fill(count, |i| a + st * i as f64)?)
        } else {
            let (Some(a), Some(b), Some(st)) = (as_i64(&f), as_i64(&t), as_i64(&s)) else {
                return Ok(empty_range(name, from.ty));
            };
            if st == 0 {
                return Err(EvalError::Invalid {
                    span,
                    message: "`range` step must be non-zero".into(),
                });
            }
            let diff = i128::from(b) - i128::from(a);
            let n = diff / i128::from(st);
            if n < 0 || (diff != 0 && diff.signum() != i128::from(st).signum()) {
                return Ok(empty_range(name, from.ty));
            }
            let count = usize::try_from(n + 1).unwrap_or(usize::MAX);
            self.check_rows(count, span)?;
            let _held = self.guard.reserve_bytes(count.saturating_mul(8), span)?;
            let values = self.guard.fill(count, |i| a + st * i as i64)?;
            match from.ty {
                DataType::DateTime => ColumnData::DateTime(values),
                DataType::TimeSpan => ColumnData::TimeSpan(values),
                _ => ColumnData::Long(values),
            }
        };
        let col = Column::new(data);
        let rows = col.len();
        build_table(vec![(name.to_string(), Arc::new(col))], rows)
    }

    /// Reserves what `evaluate bag_unpack` builds over `input`, before it
    /// builds it: a cell per row for every distinct property (a new key
    /// per row makes rows x rows cells). Counting stops as soon as the
    /// estimate is over the budget.
    fn reserve_unpack(
        &self,
        input: &Table,
        spec: &crate::bind::evaluate::BagUnpack,
        span: Span,
    ) -> Result<memory::MemoryReservation, EvalError> {
        let rows = input.num_rows();
        let slot = std::mem::size_of::<crate::value::Dynamic>();
        let per_key = rows.saturating_mul(slot).max(1);
        let mut held = self.guard.reserve(span);
        held.try_grow(rows.saturating_mul(std::mem::size_of::<Value>()))?;
        let Some((_, col)) = input.column_at(spec.column()) else {
            return Ok(held);
        };
        let ColumnData::Dynamic(values) = &col.data else {
            return Ok(held);
        };
        let mut keys: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (i, v) in values.iter().enumerate() {
            self.guard.tick(i)?;
            if let crate::value::Dynamic::Bag(bag) = v {
                for k in bag.keys() {
                    if keys.insert(k.as_ref()) {
                        held.try_grow(per_key)?;
                    }
                }
            }
        }
        Ok(held)
    }

    fn mv_apply(
        &mut self,
        input: &Table,
        subquery: &Plan,
        keep: &[usize],
        columns: &[(String, DataType)],
    ) -> Result<Table, EvalError> {
        let mut parts: Vec<Table> = Vec::with_capacity(input.num_rows());
        let mut source_rows: Vec<u32> = Vec::new();
        for row in 0..input.num_rows() {
            self.guard.check()?;
            self.inputs.push(input.take(&[row as u32]));
            let result = self.run(subquery);
            self.inputs.pop();
            let sub = result?;
            source_rows.extend(std::iter::repeat_n(row as u32, sub.num_rows()));
            self.check_rows(source_rows.len(), Span::default())?;
            parts.push(sub);
        }
        let total = source_rows.len();
        let mut out: Vec<(String, Arc<Column>)> = Vec::with_capacity(keep.len() + columns.len());
        for i in keep {
            let (name, col) = input
                .column_at(*i)
                .ok_or_else(|| internal("mv-apply kept column out of range"))?;
            out.push((name.to_string(), Arc::new(col.take(&source_rows))));
        }
        for (j, (name, ty)) in columns.iter().enumerate() {
            let pieces: Vec<Arc<Column>> = parts
                .iter()
                .map(|p| match p.column_at(j) {
                    Some((_, c)) => c.clone(),
                    None => Arc::new(Column::nulls(*ty, p.num_rows())),
                })
                .collect();
            out.push((name.clone(), Arc::new(concat_columns(&pieces, *ty))));
        }
        build_table(out, total)
    }

    fn union(
        &mut self,
        inputs: &[(Arc<Plan>, Vec<Option<usize>>)],
        source: Option<&(String, Vec<String>)>,
        columns: &[(String, DataType)],
    ) -> Result<Table, EvalError> {
        let mut parts: Vec<Table> = Vec::with_capacity(inputs.len());
        for (p, _) in inputs {
            parts.push(self.run(p)?);
        }
        let total: usize = parts.iter().map(Table::num_rows).sum();
        let mut out: Vec<(String, Arc<Column>)> = Vec::new();
        if let Some((name, names)) = source {
            let mut b = crate::column::ColumnBuilder::new(DataType::String, total);
            for (t, n) in parts.iter().zip(names) {
                for _ in 0..t.num_rows() {
                    b.push_str(n);
                }
            }
            out.push((name.clone(), Arc::new(b.finish())));
        }
        for (j, (name, ty)) in columns.iter().enumerate() {
            let mut pieces: Vec<Arc<Column>> = Vec::with_capacity(parts.len());
            for (t, (_, map)) in parts.iter().zip(inputs) {
                match map.get(j).copied().flatten().and_then(|i| t.column_at(i)) {
                    Some((_, c)) => pieces.push(c.clone()),
                    None => pieces.push(Arc::new(Column::nulls(*ty, t.num_rows()))),
                }
            }
            let col = if pieces.len() == 1 {
                pieces
                    .pop()
                    .ok_or_else(|| internal("union lost its only input"))?
            } else {
                Arc::new(concat_columns(&pieces, *ty))
            };
            out.push((name.clone(), col));
        }
        build_table(out, total)
    }
}

fn empty_range(name: &str, ty: DataType) -> Table {
    let ty = if ty == DataType::Int {
        DataType::Long
    } else {
        ty
    };
    Table::try_new([(name.to_string(), Arc::new(Column::nulls(ty, 0)))]).unwrap_or_default()
}

/// Builds a table, keeping `rows` when there are no columns.
pub(crate) fn build_table(
    columns: Vec<(String, Arc<Column>)>,
    rows: usize,
) -> Result<Table, EvalError> {
    if columns.is_empty() {
        return Ok(Table::empty(rows));
    }
    Table::try_new(columns).map_err(|e| EvalError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests;
