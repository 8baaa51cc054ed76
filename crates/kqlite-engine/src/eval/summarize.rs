//! `summarize` and `distinct`: hash aggregation over dense group ids.

use std::cmp::Ordering;
use std::sync::Arc;

use super::join::take_optional;
use super::keys::group;
use super::sort::compare_values;
use super::{build_table, EvalError, Executor};
use crate::bind::plan::{Aggregate, BoundExpr, SummarizeItem};
use crate::column::Column;
use crate::function::ColumnarValue;
use crate::table::Table;

impl Executor<'_> {
    pub(crate) fn summarize(
        &mut self,
        input: &Table,
        keys: &[(String, BoundExpr)],
        items: &[SummarizeItem],
    ) -> Result<Table, EvalError> {
        let rows = input.num_rows();
        let mut key_cols: Vec<Arc<Column>> = Vec::with_capacity(keys.len());
        for (_, e) in keys {
            key_cols.push(self.eval(e, input)?.into_column(rows));
        }
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
            let columns: Result<Vec<Column>, EvalError> = self.threads.install(|| {
                use rayon::prelude::*;
                prepared
                    .par_iter()
                    .map(|(agg, args)| accumulate(agg, args, ids, num_groups))
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
        accumulate(agg, &args, ids, num_groups)
    }

    fn aggregate_args(
        &mut self,
        input: &Table,
        agg: &Aggregate,
    ) -> Result<Vec<ColumnarValue>, EvalError> {
        let mut args = Vec::with_capacity(agg.args.len());
        for a in &agg.args {
            args.push(self.eval(a, input)?);
        }
        Ok(args)
    }
}

/// Runs one aggregate over rows grouped by `ids`.
fn accumulate(
    agg: &Aggregate,
    args: &[ColumnarValue],
    ids: &[u32],
    num_groups: usize,
) -> Result<Column, EvalError> {
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
