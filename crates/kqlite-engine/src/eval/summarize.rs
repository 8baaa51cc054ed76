//! `summarize` and `distinct`: hash aggregation over dense group ids.

use std::cmp::Ordering;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::concat_tables;
use super::join::take_optional;
use super::keys::{group, KeyEncoder};
use super::sort::compare_values;
use super::{build_table, EvalError, Executor};
use crate::bind::plan::{Aggregate, BoundExpr, Plan, SummarizeItem};
use crate::column::Column;
use crate::function::{ColumnarValue, GroupsAccumulator};
use crate::table::Table;

impl Executor<'_> {
    pub(crate) fn summarize(
        &mut self,
        input: &Table,
        keys: &[(String, BoundExpr)],
        items: &[SummarizeItem],
    ) -> Result<Table, EvalError> {
        let rows = input.num_rows();
        let span = keys
            .first()
            .map(|(_, e)| e.span)
            .or_else(|| items.iter().find_map(item_span))
            .unwrap_or_default();
        let mut key_cols: Vec<Arc<Column>> = Vec::with_capacity(keys.len());
        for (_, e) in keys {
            key_cols.push(self.eval(e, input)?.into_column(rows));
        }
        // A group id per row and the grouping's hash table, before they exist.
        let mut held = self.guard.reserve(span);
        held.try_grow(rows.saturating_mul(if keys.is_empty() { 4 } else { 16 }))?;
        let (ids, first_rows, num_groups) = if keys.is_empty() {
            // Without `by` there is exactly one group, even over no rows.
            let first = if rows > 0 { vec![0] } else { Vec::new() };
            (vec![0u32; rows], first, 1)
        } else {
            let refs: Vec<&Column> = key_cols.iter().map(Arc::as_ref).collect();
            let g = group(&refs, rows);
            let n = g.first_rows.len();
            (g.ids, g.first_rows, n)
        };
        // The output's key columns and every aggregate's state, before the
        // aggregates run.
        held.try_grow(summarize_bytes(&key_cols, items, rows, num_groups))?;
        let mut out: Vec<(String, Arc<Column>)> = Vec::with_capacity(keys.len() + items.len());
        for ((name, _), col) in keys.iter().zip(&key_cols) {
            out.push((name.clone(), Arc::new(col.take(&first_rows))));
        }
        // Aggregates are independent: with several threads, each runs on
        // its own (their arguments are evaluated first, on this one).
        let mut aggregated: Vec<Option<Column>> = Vec::new();
        let parallel = self.parallel_for(rows)
            && items
                .iter()
                .filter(|i| matches!(i, SummarizeItem::Aggregate(..)))
                .count()
                > 1;
        if parallel {
            let mut prepared = Vec::new();
            for item in items {
                if let SummarizeItem::Aggregate(_, agg) = item {
                    prepared.push((agg, self.aggregate_args(input, agg)?));
                }
            }
            let ids = &ids;
            let guard = &self.guard;
            let columns: Result<Vec<Column>, EvalError> = self.threads.install(|| {
                use rayon::prelude::*;
                prepared
                    .par_iter()
                    .map(|(agg, args)| accumulate(agg, args, ids, num_groups, guard))
                    .collect()
            });
            aggregated = columns?.into_iter().map(Some).collect();
        }
        let mut next_aggregate = aggregated.iter_mut();
        for item in items {
            self.guard.check()?;
            match item {
                SummarizeItem::Aggregate(name, agg) => {
                    let col = match next_aggregate.next().and_then(Option::take) {
                        Some(col) => col,
                        None => self.aggregate(input, agg, &ids, num_groups)?,
                    };
                    out.push((name.clone(), Arc::new(col)));
                }
                SummarizeItem::Pick { max, key, columns } => {
                    let k = self.eval(&key.1, input)?.into_column(rows);
                    let picks = pick_rows(&k, *max, &ids, &first_rows, num_groups);
                    out.push((key.0.clone(), Arc::new(take_optional(&k, &picks))));
                    for (name, e) in columns {
                        let c = self.eval(e, input)?.into_column(rows);
                        out.push((name.clone(), Arc::new(take_optional(&c, &picks))));
                    }
                }
            }
        }
        build_table(out, num_groups)
    }

    fn aggregate(
        &mut self,
        input: &Table,
        agg: &Aggregate,
        ids: &[u32],
        num_groups: usize,
    ) -> Result<Column, EvalError> {
        let args = self.aggregate_args(input, agg)?;
        accumulate(agg, &args, ids, num_groups, &self.guard)
    }

    fn aggregate_args(
        &mut self,
        input: &Table,
        agg: &Aggregate,
    ) -> Result<Vec<ColumnarValue>, EvalError> {
        let mut args = Vec::with_capacity(agg.args.len());
        for a in &agg.args {
            args.push(crate::shred::plain_value(self.eval(a, input)?));
        }
        Ok(args)
    }
}

/// One chunk's groups: each group's key values and aggregate states.
struct Partial {
    keys: Vec<Arc<Column>>,
    states: Vec<Box<dyn GroupsAccumulator>>,
    groups: usize,
    /// The query memory its group table, keys and states take.
    _held: super::memory::MemoryReservation,
}

impl Executor<'_> {
    /// `summarize ... by ...` over a streaming run: each chunk of input
    /// rows is filtered, extended and aggregated on its own (in parallel
    /// when there are threads), then the chunks' groups are merged. `None`
    /// when the input is not a streaming run or an aggregate cannot merge
    /// exactly; the caller then runs it whole.
    pub(super) fn summarize_streaming(
        &mut self,
        input: &Plan,
        keys: &[(String, BoundExpr)],
        items: &[SummarizeItem],
    ) -> Result<Option<Table>, EvalError> {
        let Some(aggregates) = super::physical::merged_summarize(input, keys, items) else {
            return Ok(None);
        };
        let (ops, table) = self.streaming_input(input)?;
        if !self.chunkable(&ops, &table) {
            let t = self.stream_over(&ops, &table)?;
            return self.summarize(&t, keys, items).map(Some);
        }
        let aggs: Vec<&Aggregate> = aggregates.iter().map(|(_, a)| *a).collect();
        let chunks = self.for_each_chunk(&ops, &table, |w, t| {
            if t.num_rows() == 0 {
                return Ok(Err(t));
            }
            w.partial_aggregate(&t, keys, &aggs).map(Ok)
        })?;
        let mut partials = Vec::with_capacity(chunks.len());
        let mut empty = None;
        for c in chunks {
            match c {
                Ok(p) => partials.push(p),
                Err(t) => {
                    empty.get_or_insert(t);
                }
            }
        }
        if partials.is_empty() {
            let t = empty.unwrap_or_else(|| Table::empty(0));
            return self.summarize(&t, keys, items).map(Some);
        }
        merge_partials(partials, keys, &aggregates, &self.guard)
    }

    /// Groups `input` by `keys` and folds each aggregate into its state.
    fn partial_aggregate(
        &mut self,
        input: &Table,
        keys: &[(String, BoundExpr)],
        aggs: &[&Aggregate],
    ) -> Result<Partial, EvalError> {
        let rows = input.num_rows();
        let mut key_cols: Vec<Arc<Column>> = Vec::with_capacity(keys.len());
        for (_, e) in keys {
            key_cols.push(self.eval(e, input)?.into_column(rows));
        }
        // The chunk's group ids and hash table before they exist, then its
        // groups' keys and states (a chunk of unique keys holds as many
        // groups as rows until the merge).
        let span = keys.first().map(|(_, e)| e.span).unwrap_or_default();
        let mut held = self.guard.reserve(span);
        held.try_grow(rows.saturating_mul(16))?;
        let refs: Vec<&Column> = key_cols.iter().map(Arc::as_ref).collect();
        let g = group(&refs, rows);
        let groups = g.first_rows.len();
        held.try_grow(partial_bytes(&key_cols, aggs.len(), groups))?;
        let _scope = crate::function::QueryScope::enter(&self.guard);
        let mut states = Vec::with_capacity(aggs.len());
        for agg in aggs {
            let args = self.aggregate_args(input, agg)?;
            let mut state = new_state(agg)?;
            state
                .update(&args, &g.ids, groups)
                .map_err(|source| function_error(agg, source))?;
            states.push(state);
        }
        Ok(Partial {
            keys: key_cols
                .iter()
                .map(|c| Arc::new(c.take(&g.first_rows)))
                .collect(),
            states,
            groups,
            _held: held,
        })
    }
}

/// Bytes the groups of one chunk hold until they are merged: each
/// group's keys and a state slot per aggregate.
fn partial_bytes(key_cols: &[Arc<Column>], aggregates: usize, groups: usize) -> usize {
    let keys = key_cols
        .iter()
        .map(|c| super::row_width(c))
        .fold(0, usize::saturating_add);
    groups.saturating_mul(keys.saturating_add(aggregates.saturating_mul(32)))
}

/// The groups of `partials` (in chunk order) merged into one table: keys
/// equal across chunks become one group, first-seen order kept. `None`
/// when the chunks disagree on a key column's type.
fn merge_partials(
    partials: Vec<Partial>,
    keys: &[(String, BoundExpr)],
    aggregates: &[(&String, &Aggregate)],
    guard: &super::limits::Guard,
) -> Result<Option<Table>, EvalError> {
    // The merged table's hash entries, group owners and states grow with
    // each chunk's groups: reserved before each chunk is merged (its own
    // reservation is given back once it is merged in).
    let span = keys.first().map(|(_, e)| e.span).unwrap_or_default();
    let mut held = guard.reserve(span);
    let _scope = crate::function::QueryScope::enter(guard);
    let mut encoder = KeyEncoder::default();
    let mut global: FxHashMap<u32, u32> = FxHashMap::default();
    // Each merged group's row in the concatenated per-chunk key tables.
    let mut owners: Vec<u32> = Vec::new();
    let mut states: Vec<Box<dyn GroupsAccumulator>> = Vec::with_capacity(aggregates.len());
    for (_, agg) in aggregates {
        states.push(new_state(agg)?);
    }
    let mut key_tables = Vec::with_capacity(partials.len());
    let mut offset = 0u32;
    for part in partials {
        guard.check()?;
        held.try_grow(
            part.groups
                .saturating_mul(16usize.saturating_add(aggregates.len().saturating_mul(32))),
        )?;
        let refs: Vec<&Column> = part.keys.iter().map(Arc::as_ref).collect();
        let codes = encoder.encode(&refs, part.groups);
        let group_map: Vec<u32> = codes
            .iter()
            .enumerate()
            .map(|(row, c)| {
                let next = owners.len() as u32;
                let id = *global.entry(*c).or_insert(next);
                if id == next {
                    owners.push(offset + row as u32);
                }
                id
            })
            .collect();
        for ((_, agg), (state, other)) in aggregates.iter().zip(states.iter_mut().zip(part.states))
        {
            state
                .merge(other, &group_map, owners.len())
                .map_err(|source| function_error(agg, source))?;
        }
        offset += part.groups as u32;
        let columns = keys
            .iter()
            .zip(part.keys)
            .map(|((name, _), c)| (name.clone(), c));
        key_tables.push(build_table(columns.collect(), part.groups)?);
    }
    let Some(all_keys) = concat_tables(key_tables) else {
        return Ok(None);
    };
    let groups = owners.len();
    let mut out: Vec<(String, Arc<Column>)> = all_keys
        .columns()
        .map(|(n, c)| (n.to_string(), Arc::new(c.take(&owners))))
        .collect();
    for ((name, agg), state) in aggregates.iter().zip(states) {
        let col = state
            .finish(groups)
            .map_err(|source| function_error(agg, source))?;
        out.push(((*name).clone(), Arc::new(col)));
    }
    build_table(out, groups).map(Some)
}

/// A fresh state for `agg`.
fn new_state(agg: &Aggregate) -> Result<Box<dyn GroupsAccumulator>, EvalError> {
    let types: Vec<_> = agg.args.iter().map(|a| a.ty).collect();
    agg.func
        .accumulator(&types, &agg.constants)
        .map_err(|source| function_error(agg, source))
}

fn function_error(agg: &Aggregate, source: crate::function::FunctionError) -> EvalError {
    let span = agg.args.first().map(|a| a.span).unwrap_or_default();
    EvalError::Function { span, source }
}

/// Runs one aggregate over rows grouped by `ids`.
fn accumulate(
    agg: &Aggregate,
    args: &[ColumnarValue],
    ids: &[u32],
    num_groups: usize,
    guard: &super::limits::Guard,
) -> Result<Column, EvalError> {
    // The state reserves from the query's budget as it grows.
    let _scope = crate::function::QueryScope::enter(guard);
    let types: Vec<_> = agg.args.iter().map(|a| a.ty).collect();
    let span = agg.args.first().map(|a| a.span).unwrap_or_default();
    let wrap = |source| EvalError::Function { span, source };
    let mut acc = agg.func.accumulator(&types, &agg.constants).map_err(wrap)?;
    if !ids.is_empty() {
        acc.update(args, ids, num_groups).map_err(wrap)?;
    }
    acc.finish(num_groups).map_err(wrap)
}

/// For each group, the row whose `key` is largest (`max`) or smallest; the
/// first such row wins ties, and a group of null keys picks its first row.
fn pick_rows(
    key: &Column,
    max: bool,
    ids: &[u32],
    first_rows: &[u32],
    groups: usize,
) -> Vec<Option<u32>> {
    let mut best: Vec<Option<u32>> = vec![None; groups];
    for (row, g) in ids.iter().enumerate() {
        if key.is_null(row) {
            continue;
        }
        let Some(slot) = best.get_mut(*g as usize) else {
            continue;
        };
        let better = match slot {
            None => true,
            Some(b) => {
                let o = compare_values(key, row, *b as usize);
                if max {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            }
        };
        if better {
            *slot = Some(row as u32);
        }
    }
    best.iter()
        .enumerate()
        .map(|(g, b)| b.or_else(|| first_rows.get(g).copied()))
        .collect()
}

/// The first expression of a summarize item, for an error's span.
fn item_span(item: &SummarizeItem) -> Option<kqlite_parser::Span> {
    match item {
        SummarizeItem::Aggregate(_, agg) => agg.args.first().map(|e| e.span),
        SummarizeItem::Pick { key, .. } => Some(key.1.span),
    }
}

/// An estimate of the memory a summarize's output takes: a row of each
/// key column per group and a state per group for each aggregate. An
/// aggregate that collects values (`make_list`, `make_set`, `make_bag` and
/// their `_if` forms) may hold an element per input row.
fn summarize_bytes(
    key_cols: &[Arc<Column>],
    items: &[SummarizeItem],
    rows: usize,
    groups: usize,
) -> usize {
    let slot = std::mem::size_of::<crate::value::Dynamic>();
    let keys: usize = key_cols
        .iter()
        .map(|c| super::row_width(c))
        .fold(0, usize::saturating_add);
    let mut bytes = groups.saturating_mul(keys);
    for item in items {
        let per_group = match item {
            SummarizeItem::Aggregate(_, agg) => {
                if agg.func.name().starts_with("make_") {
                    bytes = bytes.saturating_add(rows.saturating_mul(slot));
                }
                32
            }
            SummarizeItem::Pick { columns, .. } => 8usize.saturating_mul(columns.len() + 2),
        };
        bytes = bytes.saturating_add(groups.saturating_mul(per_group));
    }
    bytes
}
