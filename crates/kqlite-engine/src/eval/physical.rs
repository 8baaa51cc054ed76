//! The physical choices a plan's shape decides: which operators run as one
//! streaming pass, which projection is folded into a table scan, which
//! filters compare a stored column in place (with its zone map), which
//! runs may be split into row chunks, which `summarize` merges per-chunk
//! groups, which expressions may run once per distinct value, and how a
//! `take` reads its input.
//!
//! The evaluator asks these functions, and so does the plan printer
//! ([`crate::explain`]), so the printed plan is the one that runs. What
//! only the data can decide (row counts, threads, nulls, how repetitive a
//! column is) is left to the evaluator and named in the printer's notes.

use crate::function::Merge;
use kqlite_parser::ast::BinaryOp;

use super::row_local::{row_local, volatile};
use crate::bind::plan::{Aggregate, BoundExpr, BoundExprKind, Plan, SummarizeItem};
use crate::bind::prune::mark;
use crate::types::DataType;

/// Largest number of input rows in one chunk of a chunked streaming run.
pub(crate) const CHUNK_ROWS: usize = 1 << 16;
/// Inputs with fewer rows are not split across threads.
pub(crate) const MIN_PARALLEL_ROWS: usize = 1 << 18;
/// Columns with fewer rows are never evaluated per distinct value.
pub(crate) const MIN_DISTINCT_ROWS: usize = 1024;

/// A run of `where`, `extend` and `project` operators over one input,
/// evaluated as one pass with late materialization.
pub(crate) struct StreamingRun<'p> {
    /// The operators, in the order they apply (a projection folded into
    /// the scan is not among them).
    pub ops: Vec<&'p Plan>,
    /// The plan the run reads.
    pub bottom: &'p Plan,
    /// When the run starts with a projection of distinct columns of a
    /// catalog table: the table, the schema positions read and their
    /// output names. Only those columns of the stored table are read.
    pub scan: Option<(&'p str, Vec<usize>, Vec<String>)>,
}

/// Whether `plan` is an operator of a streaming run.
pub(crate) fn is_streaming(plan: &Plan) -> bool {
    matches!(
        plan,
        Plan::Filter { .. } | Plan::Extend { .. } | Plan::Project { .. }
    )
}

/// The streaming run `plan` ends with.
pub(crate) fn streaming_run(plan: &Plan) -> StreamingRun<'_> {
    let mut ops = Vec::new();
    let mut bottom = plan;
    while let Plan::Filter { input, .. }
    | Plan::Extend { input, .. }
    | Plan::Project { input, .. } = bottom
    {
        ops.push(bottom);
        bottom = input;
    }
    // The projection that pruning puts right after a scan reads just
    // those columns of the stored table.
    let mut scan = None;
    if let (Plan::Scan { table }, Some(Plan::Project { columns, .. })) = (bottom, ops.last()) {
        let picked: Option<Vec<usize>> = columns
            .iter()
            .map(|(_, e)| {
                if let BoundExprKind::Column(i) = e.kind {
                    Some(i)
                } else {
                    None
                }
            })
            .collect();
        let distinct = picked.as_ref().is_some_and(|idx| {
            let mut seen = std::collections::HashSet::new();
            idx.iter().all(|i| seen.insert(*i))
        });
        if let Some(idx) = picked.filter(|_| distinct) {
            let names = columns.iter().map(|(n, _)| n.clone()).collect();
            ops.pop();
            scan = Some((table.as_str(), idx, names));
        }
    }
    ops.reverse();
    StreamingRun { ops, bottom, scan }
}

/// Whether `op` can run on chunks of rows independently: a `where`,
/// `extend` or `project` of row-local, repeatable expressions.
pub(crate) fn splittable(op: &Plan) -> bool {
    is_streaming(op) && op.exprs().into_iter().all(|e| row_local(e) && !volatile(e))
}

/// Whether a streaming run may go chunk by chunk over a large input: it
/// filters (so chunks drop rows early) and every operator is splittable.
pub(crate) fn chunkable_shape(ops: &[&Plan]) -> bool {
    ops.iter().any(|op| matches!(op, Plan::Filter { .. })) && ops.iter().all(|op| splittable(op))
}

/// A filter `column op constant` on a 64-bit column: the column's index,
/// the comparison with the column on the left, and the constant
/// expression. Such a filter compares the column in place, skipping or
/// taking whole blocks by the stored column's zone map.
pub(crate) fn constant_comparison(
    predicate: &BoundExpr,
    width: usize,
) -> Option<(usize, BinaryOp, &BoundExpr)> {
    use BinaryOp as Op;
    let BoundExprKind::Binary { op, left, right } = &predicate.kind else {
        return None;
    };
    if !matches!(
        op,
        Op::Eq | Op::NotEq | Op::Lt | Op::LtEq | Op::Gt | Op::GtEq
    ) || left.ty != right.ty
        || !matches!(
            left.ty,
            DataType::Long | DataType::DateTime | DataType::TimeSpan
        )
    {
        return None;
    }
    let constant = |e: &BoundExpr| row_local(e) && !volatile(e) && columns_read(e, width) == 0;
    let (column, other, flipped) = match (&left.kind, &right.kind) {
        (BoundExprKind::Column(i), _) if constant(right) => (*i, right, false),
        (_, BoundExprKind::Column(i)) if constant(left) => (*i, left, true),
        _ => return None,
    };
    // `c op x` is `x op' c` with the comparison mirrored.
    let op = match (op, flipped) {
        (Op::Lt, true) => Op::Gt,
        (Op::LtEq, true) => Op::GtEq,
        (Op::Gt, true) => Op::Lt,
        (Op::GtEq, true) => Op::LtEq,
        (op, _) => *op,
    };
    Some((column, op, other))
}

/// How many of the `width` input columns `e` reads.
fn columns_read(e: &BoundExpr, width: usize) -> usize {
    let mut needed = vec![false; width];
    mark(e, &mut needed);
    needed.iter().filter(|n| **n).count()
}

/// The one input column an expression reads when it may be evaluated once
/// per distinct value of that column: it is row-local, repeatable and
/// reads just that column. The evaluator does so when the column is
/// `dynamic` and repeats its values (at most one distinct value per eight
/// rows, from [`MIN_DISTINCT_ROWS`] rows).
pub(crate) fn distinct_column(e: &BoundExpr, width: usize) -> Option<usize> {
    if !row_local(e) || volatile(e) {
        return None;
    }
    let mut needed = vec![false; width];
    mark(e, &mut needed);
    let mut used = needed
        .iter()
        .enumerate()
        .filter(|(_, n)| **n)
        .map(|(i, _)| i);
    match (used.next(), used.next()) {
        (Some(i), None) => Some(i),
        _ => None,
    }
}

/// For a `summarize` over a streaming run whose group keys and aggregate
/// arguments are row-local and whose aggregates all merge exactly: the
/// aggregates with their names. Over a large input, each chunk of the
/// run is then aggregated on its own and the groups merged.
pub(crate) fn merged_summarize<'p>(
    input: &Plan,
    keys: &[(String, BoundExpr)],
    items: &'p [SummarizeItem],
) -> Option<Vec<(&'p String, &'p Aggregate)>> {
    let splittable = |e: &BoundExpr| row_local(e) && !volatile(e);
    let mut aggregates = Vec::with_capacity(items.len());
    for item in items {
        match item {
            SummarizeItem::Aggregate(name, agg)
                if agg.func.properties().merge == Merge::Exact
                    && agg.args.iter().all(splittable) =>
            {
                aggregates.push((name, agg));
            }
            SummarizeItem::Aggregate(..) | SummarizeItem::Pick { .. } => return None,
        }
    }
    if !is_streaming(input) || keys.is_empty() || !keys.iter().all(|(_, e)| splittable(e)) {
        return None;
    }
    Some(aggregates)
}

/// How a `take` reads its input.
pub(crate) enum TakeInput<'p> {
    /// `sort | take n` (and `top`): the first `n` rows of the sort are
    /// selected without sorting the whole input.
    TopOfSort(&'p Plan, &'p [crate::bind::plan::SortSpec]),
    /// `T | take n`: only the first `n` rows of the stored table are copied.
    HeadOfTable(&'p str),
    /// The input is computed whole, then cut.
    Whole(&'p Plan),
}

/// How `take` over `input` reads it.
pub(crate) fn take_input(input: &Plan) -> TakeInput<'_> {
    match input {
        Plan::Sort { input, keys } => TakeInput::TopOfSort(input, keys),
        Plan::Scan { table } => TakeInput::HeadOfTable(table),
        other => TakeInput::Whole(other),
    }
}

/// The filter of a streaming run of `width` input columns that reads a
/// stored column with its zone map: the run's first filter, over a
/// catalog table, comparing a column no earlier operator of the run
/// recomputed with a constant. Later filters see rows already narrowed,
/// so they compare without zone maps.
pub(crate) fn zone_map_filter<'p>(run: &StreamingRun<'p>, width: usize) -> Option<&'p Plan> {
    if !matches!(run.bottom, Plan::Scan { .. }) {
        return None;
    }
    let mut stored = vec![true; width];
    for op in &run.ops {
        match op {
            Plan::Filter { predicate, .. } => {
                let (column, _, _) = constant_comparison(predicate, stored.len())?;
                return stored.get(column).copied().unwrap_or(false).then_some(*op);
            }
            Plan::Extend { columns, .. } => {
                for (_, at, _) in columns {
                    match stored.get_mut(*at) {
                        Some(s) => *s = false,
                        None => stored.push(false),
                    }
                }
            }
            Plan::Project { columns, .. } => {
                stored = columns
                    .iter()
                    .map(|(_, e)| {
                        if let BoundExprKind::Column(i) = e.kind {
                            stored.get(i).copied().unwrap_or(false)
                        } else {
                            false
                        }
                    })
                    .collect();
            }
            // Not operators of a streaming run.
            Plan::Scan { .. }
            | Plan::Values(_)
            | Plan::Print { .. }
            | Plan::Range { .. }
            | Plan::Summarize { .. }
            | Plan::Sort { .. }
            | Plan::Take { .. }
            | Plan::Count { .. }
            | Plan::Union { .. }
            | Plan::Join { .. }
            | Plan::MvExpand { .. }
            | Plan::Parse { .. }
            | Plan::MakeSeries { .. }
            | Plan::Input
            | Plan::MvApply { .. }
            | Plan::Materialize { .. }
            | Plan::ScanSteps { .. }
            | Plan::ExternalData(_)
            | Plan::ParseKv { .. }
            | Plan::Pivot { .. }
            | Plan::BagUnpack { .. }
            | Plan::MakeGraph { .. }
            | Plan::GraphMarkComponents { .. }
            | Plan::GraphMatch { .. }
            | Plan::GraphToTable { .. }
            | Plan::GraphPartition { .. }
            | Plan::Plugin { .. }
            | Plan::Extension(_) => return None,
        }
    }
    None
}
