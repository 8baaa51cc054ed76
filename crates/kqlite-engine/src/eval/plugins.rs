//! `evaluate` plugins with output columns fixed while binding.
//!
//! The binder projects each plugin's input to the columns it reads (see
//! [`PluginKind`] for the layouts), so these kernels address columns by
//! position. Ids and dimension tuples are mapped to dense codes once, then
//! every window is computed over sorted `(time, id)` pairs.

use std::collections::HashMap;
use std::sync::Arc;

use crate::bind::plan::{PluginKind, PluginSpec, Timeline};
use crate::column::{Column, ColumnBuilder, ColumnData};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

use super::keys::{group, KeyEncoder};
use super::EvalError;

/// Runs a bound plugin over its projected input and other tables.
pub(super) fn run(spec: &PluginSpec, input: &Table, others: &[Table]) -> Result<Table, EvalError> {
    let mut out = Output::new(spec);
    let mut codes = KeyEncoder::default();
    let groups = |codes: &mut KeyEncoder| Groups::of(input, codes);
    match &spec.kind {
        PluginKind::Narrow
        | PluginKind::DcountIntersect { .. }
        | PluginKind::FunnelSequenceCompletion { .. }
        | PluginKind::SequenceDetect { .. }
        | PluginKind::Basket { .. }
        | PluginKind::Autocluster { .. }
        | PluginKind::Diffpatterns { .. } => return super::plugins_more::run(spec, input),
        PluginKind::RowsNear { .. } | PluginKind::FunnelSequence(_) => {
            return super::plugins_extra::run(spec, input)
        }
        PluginKind::Reduce {
            threshold,
            separators,
            source,
        } => return super::reduce::reduce(input, *threshold, separators.as_deref(), *source),
        PluginKind::SlidingWindowCounts { timeline, lookback } => {
            for g in &groups(&mut codes)? {
                sliding_window_counts(g, timeline, *lookback, &mut out);
            }
        }
        PluginKind::ActiveUsersCount {
            timeline,
            lookback,
            period,
            active_periods,
        } => {
            for g in &groups(&mut codes)? {
                active_users_count(g, timeline, *lookback, *period, *active_periods, &mut out);
            }
        }
        PluginKind::SessionCount { timeline, lookback } => {
            for g in &groups(&mut codes)? {
                session_count(g, timeline, *lookback, &mut out);
            }
        }
        PluginKind::ActivityEngagement { timeline, outer } => {
            for g in &groups(&mut codes)? {
                activity_engagement(g, timeline, *outer, &mut out);
            }
        }
        PluginKind::ActivityMetrics { timeline } => {
            for g in &groups(&mut codes)? {
                activity_metrics(g, timeline, &mut out);
            }
        }
        PluginKind::ActivityCountsMetrics { timeline } => {
            for g in &groups(&mut codes)? {
                activity_counts_metrics(g, timeline, &mut out);
            }
        }
        PluginKind::NewActivityMetrics { timeline, cohort } => {
            let all = groups(&mut codes)?;
            let seen_before = match others.first() {
                Some(lookback) => lookback_ids(lookback, &mut codes)?,
                None => Vec::new(),
            };
            for g in &all {
                new_activity_metrics(g, timeline, *cohort, &seen_before, &mut out);
            }
        }
        PluginKind::RollingPercentile {
            percentile,
            step,
            bins,
        } => rolling_percentile(input, *percentile, *step, *bins, &mut out)?,
        PluginKind::IpLookup {
            v6,
            source_width,
            lookup_width,
            return_unmatched,
        } => {
            ip_lookup(
                input,
                lookup_table(spec, others)?,
                *v6,
                *source_width,
                *lookup_width,
                *return_unmatched,
                &mut out,
            );
        }
        PluginKind::GeoLookup {
            lines,
            radius,
            source_width,
            lookup_width,
            return_unmatched,
        } => {
            let shape = GeoShape {
                lines: *lines,
                radius: *radius,
            };
            let widths = (*source_width, *lookup_width);
            geo_lookup(
                input,
                lookup_table(spec, others)?,
                &shape,
                widths,
                *return_unmatched,
                &mut out,
            )
            .map_err(|e| EvalError::Function {
                span: spec.span,
                source: e,
            })?;
        }
        PluginKind::TopNested { levels } => top_nested(input, others, levels, &mut out),
        PluginKind::SchemaMerge { preserve_order } => {
            schema_merge(input, *preserve_order, &mut out).map_err(|m| invalid(spec, &m))?
        }
    }
    out.finish()
}

/// The lookup table of a lookup plugin.
fn lookup_table<'t>(spec: &PluginSpec, others: &'t [Table]) -> Result<&'t Table, EvalError> {
    others
        .first()
        .ok_or_else(|| invalid(spec, "the lookup table is missing"))
}

fn invalid(spec: &PluginSpec, message: &str) -> EvalError {
    EvalError::Invalid {
        span: spec.span,
        message: format!("evaluate: {message}"),
    }
}

/// Output rows under construction, one builder per column.
struct Output {
    names: Vec<String>,
    builders: Vec<ColumnBuilder>,
    rows: usize,
}

impl Output {
    fn new(spec: &PluginSpec) -> Output {
        Output {
            names: spec.columns.iter().map(|(n, _)| n.clone()).collect(),
            builders: spec
                .columns
                .iter()
                .map(|(_, t)| ColumnBuilder::new(*t, 0))
                .collect(),
            rows: 0,
        }
    }

    /// Appends one row; a value of the wrong type for its column is null.
    fn push(&mut self, row: &[Value]) {
        for (b, v) in self.builders.iter_mut().zip(row) {
            if v.is_null() || b.push(v).is_err() {
                b.push_null();
            }
        }
        self.rows += 1;
    }

    fn finish(self) -> Result<Table, EvalError> {
        let cols: Vec<(String, Arc<Column>)> = self
            .names
            .into_iter()
            .zip(self.builders)
            .map(|(n, b)| (n, Arc::new(b.finish())))
            .collect();
        if cols.is_empty() {
            return Ok(Table::empty(self.rows));
        }
        Table::try_new(cols).map_err(|e| EvalError::Internal(e.to_string()))
    }
}

/// A timeline value as an integer: datetime and timespan ticks, numbers.
fn ticks(col: &Column, row: usize) -> Option<i64> {
    if col.is_null(row) {
        return None;
    }
    match &col.data {
        ColumnData::DateTime(v) | ColumnData::TimeSpan(v) | ColumnData::Long(v) => {
            v.get(row).copied()
        }
        ColumnData::Int(v) => v.get(row).map(|x| i64::from(*x)),
        _ => None,
    }
}

/// The value of timeline integer `t` in a column of type `ty`.
fn time_value(ty: DataType, t: i64) -> Value {
    match ty {
        DataType::DateTime => Value::DateTime(t),
        DataType::TimeSpan => Value::TimeSpan(t),
        DataType::Int => i32::try_from(t).map_or(Value::Null, Value::Int),
        _ => Value::Long(t),
    }
}

/// `t` rounded down to a multiple of `step` counted from `origin`.
fn floor_to(t: i64, step: i64, origin: i64) -> i64 {
    if step <= 0 {
        return t;
    }
    let d = t.saturating_sub(origin);
    origin.saturating_add(d.div_euclid(step).saturating_mul(step))
}

/// The bins of a timeline, first to last.
fn bins(tl: &Timeline) -> impl Iterator<Item = i64> + '_ {
    let step = tl.step.max(1);
    std::iter::successors(Some(tl.start), move |b| b.checked_add(step)).take_while(|b| *b <= tl.end)
}

/// The rows of one dimension group: `(time, id code)` sorted by time, and
/// the group's dimension values.
struct Group {
    events: Vec<(i64, u32)>,
    dims: Vec<Value>,
    time_type: DataType,
}

/// The input split by dimension values.
struct Groups(Vec<Group>);

impl<'a> IntoIterator for &'a Groups {
    type Item = &'a Group;
    type IntoIter = std::slice::Iter<'a, Group>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Groups {
    /// Splits rows laid out as `[id, time, dims...]`; ids are coded by
    /// `codes`.
    fn of(input: &Table, codes: &mut KeyEncoder) -> Result<Groups, EvalError> {
        let (dims_from, time_at) = (2, 1);
        let rows = input.num_rows();
        let cols: Vec<&Arc<Column>> = input.columns().map(|(_, c)| c).collect();
        let (Some(id), Some(time)) = (cols.first(), cols.get(time_at)) else {
            return Err(EvalError::Internal("plugin input lacks columns".into()));
        };
        let ids = codes.encode(&[id.as_ref()], rows);
        let dim_cols: Vec<&Column> = cols.iter().skip(dims_from).map(|c| c.as_ref()).collect();
        let (gids, firsts) = if dim_cols.is_empty() {
            (vec![0u32; rows], vec![0u32])
        } else {
            let g = group(&dim_cols, rows);
            (g.ids, g.first_rows)
        };
        let mut groups: Vec<Group> = firsts
            .iter()
            .map(|&r| Group {
                events: Vec::new(),
                dims: dim_cols.iter().map(|c| c.get(r as usize)).collect(),
                time_type: time.data_type(),
            })
            .collect();
        for r in 0..rows {
            if id.is_null(r) {
                continue;
            }
            let (Some(t), Some(&g), Some(&code)) = (ticks(time, r), gids.get(r), ids.get(r)) else {
                continue;
            };
            if let Some(grp) = groups.get_mut(g as usize) {
                grp.events.push((t, code));
            }
        }
        for g in &mut groups {
            g.events.sort_unstable();
        }
        if rows == 0 {
            groups.clear();
        }
        Ok(Groups(groups))
    }
}

impl Group {
    /// The events with `lo <= time < hi`.
    fn between(&self, lo: i64, hi: i64) -> &[(i64, u32)] {
        let a = self.events.partition_point(|(t, _)| *t < lo);
        let b = self.events.partition_point(|(t, _)| *t < hi);
        self.events.get(a..b.max(a)).unwrap_or(&[])
    }

    /// Number of distinct ids among `events`.
    fn dcount(events: &[(i64, u32)]) -> usize {
        let mut ids: Vec<u32> = events.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// The distinct ids among `events`, sorted.
    fn id_set(events: &[(i64, u32)]) -> Vec<u32> {
        let mut ids: Vec<u32> = events.iter().map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// An output row: the bin, the dimensions, then `metrics`.
    fn row(&self, bin: i64, metrics: impl IntoIterator<Item = Value>) -> Vec<Value> {
        let mut row = vec![time_value(self.time_type, bin)];
        row.extend(self.dims.iter().cloned());
        row.extend(metrics);
        row
    }
}

/// Number of elements in both sorted, de-duplicated lists.
fn intersection_len(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn ratio(num: usize, den: usize) -> Value {
    Value::Real(num as f64 / den as f64)
}

fn sliding_window_counts(g: &Group, tl: &Timeline, lookback: i64, out: &mut Output) {
    let step = tl.step.max(1);
    // The look-back is rounded down to whole bins.
    let span = (lookback / step).max(1).saturating_mul(step);
    for b in bins(tl) {
        let hi = b.saturating_add(step);
        let window = g.between(hi.saturating_sub(span), hi);
        let count = window.len() as i64;
        let dcount = Group::dcount(window) as i64;
        out.push(&g.row(b, [Value::Long(count), Value::Long(dcount)]));
    }
}

fn active_users_count(
    g: &Group,
    tl: &Timeline,
    lookback: i64,
    period: i64,
    active_periods: i64,
    out: &mut Output,
) {
    // Events of each id, in time order.
    let mut by_id: Vec<(u32, i64)> = g.events.iter().map(|(t, id)| (*id, *t)).collect();
    by_id.sort_unstable();
    // (bin, id) pairs where the id was active at one of its appearances.
    let mut active: Vec<(i64, u32)> = Vec::new();
    for run in by_id.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(id, _)) = run.first() else {
            continue;
        };
        // changes[k]: number of period changes among the first k + 1
        // appearances, so a window's distinct periods are a difference.
        let mut changes = Vec::with_capacity(run.len());
        let mut prev_period = None;
        let mut n = 0i64;
        for &(_, t) in run {
            let p = floor_to(t, period, 0);
            if prev_period.is_some_and(|q| q != p) {
                n += 1;
            }
            prev_period = Some(p);
            changes.push(n);
        }
        let mut lo = 0;
        for (i, &(_, d)) in run.iter().enumerate() {
            let from = d.saturating_sub(lookback);
            while run.get(lo).is_some_and(|(_, t)| *t <= from) {
                lo += 1;
            }
            if d < tl.start || d > tl.end || lo > i {
                continue;
            }
            let distinct =
                changes.get(i).copied().unwrap_or(0) - changes.get(lo).copied().unwrap_or(0) + 1;
            if distinct >= active_periods {
                active.push((floor_to(d, tl.step, tl.start), id));
            }
        }
    }
    active.sort_unstable();
    active.dedup();
    let mut i = 0;
    while let Some(&(bin, _)) = active.get(i) {
        let n = active
            .get(i..)
            .unwrap_or(&[])
            .partition_point(|(b, _)| *b == bin);
        out.push(&g.row(bin, [Value::Long(n as i64)]));
        i += n.max(1);
    }
}

fn session_count(g: &Group, tl: &Timeline, lookback: i64, out: &mut Output) {
    let step = tl.step.max(1);
    // Last appearance of each id (codes are dense).
    let ids = g
        .events
        .iter()
        .map(|(_, id)| *id as usize + 1)
        .max()
        .unwrap_or(0);
    let mut last: Vec<Option<i64>> = vec![None; ids];
    let mut starts: Vec<i64> = Vec::new();
    let mut last_bin = None;
    for &(t, id) in &g.events {
        if t < tl.start || t > tl.end {
            continue;
        }
        let bin = floor_to(t, step, 0);
        last_bin = Some(bin);
        let new = match last.get_mut(id as usize) {
            Some(slot) => {
                let new = slot.is_none_or(|prev| t.saturating_sub(prev) >= lookback);
                *slot = Some(t);
                new
            }
            None => true,
        };
        if new {
            starts.push(bin);
        }
    }
    let Some(last_bin) = last_bin else {
        return;
    };
    let first = floor_to(tl.start, step, 0);
    let axis = Timeline {
        start: first,
        end: last_bin,
        step,
    };
    for b in bins(&axis) {
        let n = starts.partition_point(|s| *s <= b) - starts.partition_point(|s| *s < b);
        out.push(&g.row(b, [Value::Long(n as i64)]));
    }
}

fn activity_engagement(g: &Group, tl: &Timeline, outer: i64, out: &mut Output) {
    let inner = tl.step.max(1);
    for b in bins(tl) {
        let hi = b.saturating_add(inner);
        let n_in = Group::dcount(g.between(b, hi));
        let lo = hi.saturating_sub(outer).max(tl.start);
        let n_out = Group::dcount(g.between(lo, hi));
        out.push(&g.row(
            b,
            [
                Value::Long(n_in as i64),
                Value::Long(n_out as i64),
                ratio(n_in, n_out),
            ],
        ));
    }
}

fn activity_metrics(g: &Group, tl: &Timeline, out: &mut Output) {
    let step = tl.step.max(1);
    let mut seen: Vec<u32> = Vec::new();
    let mut prev: Option<Vec<u32>> = None;
    for b in bins(tl) {
        let hi = b.saturating_add(step).min(tl.end.saturating_add(1));
        let ids = Group::id_set(g.between(b, hi));
        let new = ids.len() - intersection_len(&ids, &seen);
        let (retention, churn) = match &prev {
            None => (Value::Real(1.0), Value::Real(0.0)),
            Some(p) => {
                let kept = intersection_len(p, &ids);
                (ratio(kept, p.len()), ratio(p.len() - kept, p.len()))
            }
        };
        out.push(&g.row(
            b,
            [
                Value::Long(ids.len() as i64),
                Value::Long(new as i64),
                retention,
                churn,
            ],
        ));
        seen.extend_from_slice(&ids);
        seen.sort_unstable();
        seen.dedup();
        prev = Some(ids);
    }
}

fn activity_counts_metrics(g: &Group, tl: &Timeline, out: &mut Output) {
    let step = tl.step.max(1);
    let mut seen: Vec<u32> = Vec::new();
    for b in bins(tl) {
        let hi = b.saturating_add(step).min(tl.end.saturating_add(1));
        let window = g.between(b, hi);
        let ids = Group::id_set(window);
        let new = ids.len() - intersection_len(&ids, &seen);
        seen.extend_from_slice(&ids);
        seen.sort_unstable();
        seen.dedup();
        out.push(&g.row(
            b,
            [
                Value::Long(window.len() as i64),
                Value::Long(ids.len() as i64),
                Value::Long(new as i64),
                Value::Long(seen.len() as i64),
            ],
        ));
    }
}

/// Codes of the ids of a lookback table (`[id, ...]`), sorted.
fn lookback_ids(lookback: &Table, codes: &mut KeyEncoder) -> Result<Vec<u32>, EvalError> {
    let Some((_, ids)) = lookback.column_at(0) else {
        return Err(EvalError::Internal("plugin input lacks columns".into()));
    };
    let mut before: Vec<u32> = codes.encode(&[ids.as_ref()], lookback.num_rows());
    before.sort_unstable();
    before.dedup();
    Ok(before)
}

fn new_activity_metrics(
    g: &Group,
    tl: &Timeline,
    cohort: Option<i64>,
    seen_before: &[u32],
    out: &mut Output,
) {
    let step = tl.step.max(1);
    let windows: Vec<(i64, Vec<u32>)> = bins(tl)
        .map(|b| {
            let hi = b.saturating_add(step).min(tl.end.saturating_add(1));
            (b, Group::id_set(g.between(b, hi)))
        })
        .collect();
    let mut seen: Vec<u32> = seen_before.to_vec();
    for (i, (from, ids)) in windows.iter().enumerate() {
        let fresh: Vec<u32> = ids
            .iter()
            .copied()
            .filter(|id| seen.binary_search(id).is_err())
            .collect();
        seen.extend_from_slice(ids);
        seen.sort_unstable();
        seen.dedup();
        if cohort.is_some_and(|c| floor_to(c, step, tl.start) != *from) {
            continue;
        }
        for (to, later) in windows.get(i..).unwrap_or(&[]) {
            let kept = intersection_len(&fresh, later);
            let lost = fresh.len() - kept;
            let mut row = vec![time_value(g.time_type, *from), time_value(g.time_type, *to)];
            row.extend(g.dims.iter().cloned());
            row.extend([
                Value::Long(fresh.len() as i64),
                Value::Long(kept as i64),
                Value::Long(lost as i64),
                ratio(kept, fresh.len()),
                ratio(lost, fresh.len()),
            ]);
            out.push(&row);
        }
    }
}

/// The nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[Value], p: f64) -> Value {
    let n = sorted.len();
    if n == 0 {
        return Value::Null;
    }
    let rank = ((p / 100.0) * n as f64).ceil().clamp(1.0, n as f64) as usize;
    sorted.get(rank - 1).cloned().unwrap_or(Value::Null)
}

fn compare_values(a: &Value, b: &Value) -> std::cmp::Ordering {
    let num = |v: &Value| match v {
        Value::Int(x) => Some(f64::from(*x)),
        Value::Long(x) => Some(*x as f64),
        Value::Real(x) => Some(*x),
        Value::DateTime(x) | Value::TimeSpan(x) => Some(*x as f64),
        _ => None,
    };
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        _ => std::cmp::Ordering::Equal,
    }
}

/// Input: `[value, index, dims...]`.
fn rolling_percentile(
    input: &Table,
    percentile: f64,
    step: i64,
    window: i64,
    out: &mut Output,
) -> Result<(), EvalError> {
    let rows = input.num_rows();
    let cols: Vec<&Arc<Column>> = input.columns().map(|(_, c)| c).collect();
    let (Some(values), Some(index)) = (cols.first(), cols.get(1)) else {
        return Err(EvalError::Internal("plugin input lacks columns".into()));
    };
    let dim_cols: Vec<&Column> = cols.iter().skip(2).map(|c| c.as_ref()).collect();
    let (gids, firsts) = if dim_cols.is_empty() {
        (
            vec![0u32; rows],
            if rows == 0 { vec![] } else { vec![0u32] },
        )
    } else {
        let g = group(&dim_cols, rows);
        (g.ids, g.first_rows)
    };
    let step = step.max(1);
    let index_type = index.data_type();
    // Per group, (bin, row) of its rows with a value.
    let mut by_group: Vec<Vec<(i64, usize)>> = vec![Vec::new(); firsts.len()];
    for r in (0..rows).filter(|r| !values.is_null(*r)) {
        if let (Some(g), Some(t)) = (gids.get(r), ticks(index, r)) {
            if let Some(list) = by_group.get_mut(*g as usize) {
                list.push((floor_to(t, step, 0), r));
            }
        }
    }
    for (&first, mut binned) in firsts.iter().zip(by_group) {
        binned.sort_unstable();
        let mut present: Vec<i64> = binned.iter().map(|(b, _)| *b).collect();
        present.dedup();
        let dims: Vec<Value> = dim_cols.iter().map(|c| c.get(first as usize)).collect();
        for b in present {
            let lo = b.saturating_sub(step.saturating_mul(window.max(1) - 1));
            let a = binned.partition_point(|(x, _)| *x < lo);
            let z = binned.partition_point(|(x, _)| *x <= b);
            let mut vals: Vec<Value> = binned
                .get(a..z.max(a))
                .unwrap_or(&[])
                .iter()
                .map(|(_, r)| values.get(*r))
                .collect();
            vals.sort_by(compare_values);
            let mut row = vec![time_value(index_type, b)];
            row.extend(dims.iter().cloned());
            row.push(nearest_rank(&vals, percentile));
            out.push(&row);
        }
    }
    Ok(())
}

/// A network: its masked address and prefix length, over 128 bits.
fn network(text: &str, v6: bool) -> Option<(u128, u32)> {
    if v6 {
        crate::functions::ipv6::parse_network(text)
    } else {
        let (addr, prefix) = crate::functions::ip::parse_cidr(text)?;
        Some((u128::from(addr), prefix + 96))
    }
}

fn mask128(bits: u32) -> u128 {
    match bits {
        0 => 0,
        b if b >= 128 => u128::MAX,
        b => u128::MAX << (128 - b),
    }
}

/// Source rows `[source..., key]`, lookup rows `[lookup..., key]`.
fn ip_lookup(
    input: &Table,
    lookup: &Table,
    v6: bool,
    source_width: usize,
    lookup_width: usize,
    return_unmatched: bool,
    out: &mut Output,
) {
    let text = |t: &Table, col: usize, r: usize| -> Option<String> {
        match t.column_at(col)?.1.get(r) {
            Value::String(s) => Some(s.to_string()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    };
    // Networks by prefix length, longest first.
    let mut by_len: Vec<(u32, HashMap<u128, usize>)> = Vec::new();
    for r in 0..lookup.num_rows() {
        let Some((addr, bits)) = text(lookup, lookup_width, r).and_then(|s| network(&s, v6)) else {
            continue;
        };
        let key = addr & mask128(bits);
        match by_len.iter_mut().find(|(b, _)| *b == bits) {
            Some((_, m)) => {
                m.entry(key).or_insert(r);
            }
            None => by_len.push((bits, HashMap::from([(key, r)]))),
        }
    }
    by_len.sort_by_key(|b| std::cmp::Reverse(b.0));
    for r in 0..input.num_rows() {
        let hit = text(input, source_width, r)
            .and_then(|s| network(&s, v6))
            .and_then(|(addr, _)| {
                by_len
                    .iter()
                    .find_map(|(bits, m)| m.get(&(addr & mask128(*bits))).copied())
            });
        if hit.is_none() && !return_unmatched {
            continue;
        }
        let source =
            (0..source_width).map(|c| input.column_at(c).map_or(Value::Null, |x| x.1.get(r)));
        let found: Vec<Value> = (0..lookup_width)
            .map(|c| match (hit, lookup.column_at(c)) {
                (Some(l), Some((_, col))) => col.get(l),
                (None, Some((_, col))) if col.data_type() == DataType::String => {
                    Value::String(Arc::from(""))
                }
                _ => Value::Null,
            })
            .collect();
        let row: Vec<Value> = if v6 {
            found.into_iter().chain(source).collect()
        } else {
            source.chain(found).collect()
        };
        out.push(&row);
    }
}

/// How source points match lookup shapes.
struct GeoShape {
    lines: bool,
    radius: Option<f64>,
}

/// Calls a built-in scalar function over whole columns (the built-in one
/// even where an engine registers its own under the same name: the plugin's
/// meaning must not change with the embedder's functions).
fn call_function(
    name: &str,
    args: &[ColumnarValue],
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    let f = crate::registry::Registry::builtin()
        .scalar(name)
        .ok_or_else(|| FunctionError::Invalid(format!("unknown function `{name}`")))?;
    crate::function::call_scalar(f.as_ref(), args, rows, &EvalContext { now: 0 })
}

/// Rows where a bool result is true, or a distance is at most `radius`.
fn hits(result: &ColumnarValue, rows: usize, radius: Option<f64>) -> Vec<bool> {
    (0..rows)
        .map(|r| match (result.get(r), radius) {
            (Value::Bool(b), _) => b,
            (Value::Real(d), Some(max)) => d <= max,
            _ => false,
        })
        .collect()
}

/// Source rows `[source..., longitude, latitude]`, lookup rows
/// `[lookup..., shape]`.
fn geo_lookup(
    input: &Table,
    lookup: &Table,
    shape: &GeoShape,
    (source_width, lookup_width): (usize, usize),
    return_unmatched: bool,
    out: &mut Output,
) -> Result<(), FunctionError> {
    let rows = input.num_rows();
    let arg = |c: usize| {
        input.column_at(c).map_or(
            ColumnarValue::Scalar(Value::Null, DataType::Real),
            |(_, col)| ColumnarValue::Column(col.clone()),
        )
    };
    let (lon, lat) = (arg(source_width), arg(source_width + 1));
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for l in 0..lookup.num_rows() {
        let key = lookup
            .column_at(lookup_width)
            .map_or(Value::Null, |(_, c)| c.get(l));
        if key.is_null() {
            continue;
        }
        let args = [
            lon.clone(),
            lat.clone(),
            ColumnarValue::Scalar(key, DataType::Dynamic),
        ];
        let mut matched = if shape.lines {
            let d = call_function("geo_distance_point_to_line", &args, rows)?;
            hits(&d, rows, shape.radius)
        } else {
            let inside = call_function("geo_point_in_polygon", &args, rows)?;
            hits(&inside, rows, None)
        };
        if let (false, Some(_)) = (shape.lines, shape.radius) {
            let d = call_function("geo_distance_point_to_polygon", &args, rows)?;
            for (m, near) in matched.iter_mut().zip(hits(&d, rows, shape.radius)) {
                *m |= near;
            }
        }
        pairs.extend(
            matched
                .iter()
                .enumerate()
                .filter(|(_, m)| **m)
                .map(|(r, _)| (r, l)),
        );
    }
    pairs.sort_unstable();
    let source_row = |r: usize| -> Vec<Value> {
        (0..source_width)
            .map(|c| input.column_at(c).map_or(Value::Null, |x| x.1.get(r)))
            .collect()
    };
    let mut next = 0;
    for r in 0..rows {
        let n = pairs
            .get(next..)
            .unwrap_or(&[])
            .partition_point(|(s, _)| *s == r);
        let mine = pairs.get(next..next + n).unwrap_or(&[]);
        next += n;
        if mine.is_empty() && return_unmatched {
            let mut row = source_row(r);
            row.extend((0..lookup_width).map(|c| match lookup.column_at(c) {
                Some((_, col)) if col.data_type() == DataType::String => {
                    Value::String(Arc::from(""))
                }
                _ => Value::Null,
            }));
            out.push(&row);
        }
        for (_, l) in mine {
            let mut row = source_row(r);
            row.extend(
                (0..lookup_width).map(|c| lookup.column_at(c).map_or(Value::Null, |x| x.1.get(*l))),
            );
            out.push(&row);
        }
    }
    Ok(())
}

/// Compares rows `a` and `b` of `col`, nulls smallest.
fn compare_rows(col: &Column, a: usize, b: usize) -> std::cmp::Ordering {
    match (col.is_null(a), col.is_null(b)) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => super::sort::compare_values(col, a, b),
    }
}

/// The rows of one level's summary, best first: by aggregate (the last
/// column) then key (the one before), in the level's direction.
fn rank_rows(level: &Table, rows: &mut [usize], desc: bool) {
    let width = level.num_columns();
    let (Some((_, agg)), Some((_, key))) = (
        level.column_at(width.saturating_sub(1)),
        level.column_at(width.saturating_sub(2)),
    ) else {
        return;
    };
    rows.sort_by(|&a, &b| {
        let o = compare_rows(agg, a, b).then_with(|| compare_rows(key, a, b));
        if desc {
            o.reverse()
        } else {
            o
        }
    });
}

/// Codes of the first `n` columns of `t` in `codes`' space.
fn prefix_codes(t: &Table, n: usize, codes: &mut KeyEncoder) -> Vec<u32> {
    let cols: Vec<&Column> = t.columns().take(n).map(|(_, c)| c.as_ref()).collect();
    codes.encode(&cols, t.num_rows())
}

fn top_nested(first: &Table, rest: &[Table], levels: &[(Option<usize>, bool)], out: &mut Output) {
    // Surviving paths: output values so far and the row in the last level.
    let mut paths: Vec<(Vec<Value>, usize)> = Vec::new();
    let level_cells = |t: &Table, row: usize| -> [Value; 2] {
        let w = t.num_columns();
        let cell = |c: usize| t.column_at(c).map_or(Value::Null, |(_, col)| col.get(row));
        [cell(w.saturating_sub(2)), cell(w.saturating_sub(1))]
    };
    let (count, desc) = levels.first().copied().unwrap_or((None, true));
    let mut rows: Vec<usize> = (0..first.num_rows()).collect();
    rank_rows(first, &mut rows, desc);
    rows.truncate(count.unwrap_or(usize::MAX));
    for r in rows {
        paths.push((level_cells(first, r).to_vec(), r));
    }
    let mut parent = first;
    for (k, level) in rest.iter().enumerate() {
        let (count, desc) = levels.get(k + 1).copied().unwrap_or((None, true));
        let mut codes = KeyEncoder::default();
        let parent_codes = prefix_codes(parent, k + 1, &mut codes);
        let child_codes = prefix_codes(level, k + 1, &mut codes);
        let mut children: HashMap<u32, Vec<usize>> = HashMap::new();
        for (r, c) in child_codes.iter().enumerate() {
            children.entry(*c).or_default().push(r);
        }
        for rows in children.values_mut() {
            rank_rows(level, rows, desc);
            rows.truncate(count.unwrap_or(usize::MAX));
        }
        let mut next = Vec::with_capacity(paths.len());
        for (values, r) in &paths {
            let Some(kids) = parent_codes.get(*r).and_then(|c| children.get(c)) else {
                continue;
            };
            for &c in kids {
                let mut v = values.clone();
                v.extend(level_cells(level, c));
                next.push((v, c));
            }
        }
        paths = next;
        parent = level;
    }
    for (values, _) in &paths {
        out.push(values);
    }
}

/// One merged column of `schema_merge`.
struct Merged {
    name: String,
    data_type: String,
    column_type: String,
    first_ordinal: i64,
    out_of_order: bool,
}

/// Input: `getschema` rows `[ColumnName, ColumnOrdinal, DataType,
/// ColumnType]` of several tables, each table's rows starting at ordinal 0.
fn schema_merge(input: &Table, preserve_order: bool, out: &mut Output) -> Result<(), String> {
    let cell = |c: usize, r: usize| input.column_at(c).map_or(Value::Null, |x| x.1.get(r));
    let mut merged: Vec<Merged> = Vec::new();
    // Position in `merged` of the previous column of the current schema.
    let mut cursor: Option<usize> = None;
    for r in 0..input.num_rows() {
        let name = cell(0, r).to_string();
        let ordinal = match cell(1, r) {
            Value::Long(o) => o,
            Value::Int(o) => i64::from(o),
            _ => return Err("schema_merge: `ColumnOrdinal` must be a number".into()),
        };
        if ordinal == 0 {
            cursor = None;
        }
        let data_type = cell(2, r).to_string();
        let column_type = cell(3, r).to_string();
        match merged.iter().position(|m| m.name == name) {
            Some(at) => {
                let m = merged.get_mut(at).ok_or("schema_merge: internal")?;
                if m.column_type != column_type && !m.out_of_order {
                    return Err(format!(
                        "not supported: schema_merge of column `{name}` with types `{}` and `{column_type}`",
                        m.column_type
                    ));
                }
                if preserve_order && m.first_ordinal != ordinal {
                    m.out_of_order = true;
                }
                cursor = Some(at);
            }
            None => {
                let at = cursor.map_or(merged.len(), |c| c + 1).min(merged.len());
                merged.insert(
                    at,
                    Merged {
                        name,
                        data_type,
                        column_type,
                        first_ordinal: ordinal,
                        out_of_order: false,
                    },
                );
                cursor = Some(at);
            }
        }
    }
    for (i, m) in merged.iter().enumerate() {
        if m.out_of_order {
            out.push(&[
                Value::String(Arc::from(m.name.as_str())),
                Value::Long(-1),
                Value::String(Arc::from(
                    "ERROR(unknown CSL type:ERROR(columns are out of order))",
                )),
                Value::String(Arc::from("ERROR(columns are out of order)")),
            ]);
        } else {
            out.push(&[
                Value::String(Arc::from(m.name.as_str())),
                Value::Long(i as i64),
                Value::String(Arc::from(m.data_type.as_str())),
                Value::String(Arc::from(m.column_type.as_str())),
            ]);
        }
    }
    Ok(())
}
