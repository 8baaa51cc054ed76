//! The `evaluate` plugins `narrow`, `dcount_intersect` and
//! `funnel_sequence_completion`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kqlite_parser::Span;

use super::EvalError;
use crate::bind::plan::{PluginKind, PluginSpec, Timeline};
use crate::column::{Column, ColumnBuilder};
use crate::kernels::convert_value;
use crate::table::Table;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

fn internal(e: crate::table::TableError) -> EvalError {
    EvalError::Internal(format!("plugin output: {e}"))
}

/// A value as text, as `tostring()` writes it.
fn text(v: &Value) -> String {
    match convert_value(v, DataType::String) {
        Value::String(s) => s.to_string(),
        _ => String::new(),
    }
}

/// Runs one of this module's plugins over `input`.
pub(super) fn run(spec: &PluginSpec, input: &Table) -> Result<Table, EvalError> {
    let span = spec.span;
    let t = match &spec.kind {
        PluginKind::Narrow => narrow(input, span),
        PluginKind::DcountIntersect { count } => dcount_intersect(input, *count),
        PluginKind::FunnelSequenceCompletion {
            timeline,
            sequence,
            periods,
        } => funnel_completion(input, timeline, sequence, periods),
        PluginKind::SequenceDetect {
            steps,
            dims,
            step_window,
            span: max_span,
        } => sequence_detect(input, *steps, *dims, *step_window, *max_span, span),
        PluginKind::Basket {
            threshold,
            weight,
            max_dimensions,
            wildcards,
        } => super::basket::basket(input, *threshold, *weight, *max_dimensions, wildcards, span),
        PluginKind::Autocluster {
            size_weight,
            weight,
            seeds,
            wildcards,
        } => super::basket::autocluster(input, *size_weight, *weight, *seeds, wildcards),
        PluginKind::Diffpatterns {
            split,
            a,
            b,
            weight,
            threshold,
            max_dimensions,
            wildcards,
        } => {
            let options = super::basket::DiffOptions {
                split: *split,
                a,
                b,
                weight: *weight,
                threshold: *threshold,
                max_dimensions: *max_dimensions,
            };
            super::basket::diffpatterns(input, &options, wildcards, span)
        }
        _ => Err(EvalError::Internal("not a plugin of plugins_more".into())),
    }?;
    // Named as bound.
    let columns: Vec<(String, Arc<Column>)> = spec
        .columns
        .iter()
        .zip(t.columns())
        .map(|((n, _), (_, c))| (n.clone(), c.clone()))
        .collect();
    if columns.len() != t.num_columns() || columns.is_empty() {
        return Ok(t);
    }
    Table::try_new(columns).map_err(internal)
}

/// `narrow`: a row per cell, rows in order and columns in order within a
/// row; the row number counts from 0.
fn narrow(input: &Table, span: Span) -> Result<Table, EvalError> {
    let cells = input.num_rows().saturating_mul(input.num_columns());
    if cells > super::DEFAULT_MAX_RESULT_ROWS.saturating_mul(1000) {
        return Err(EvalError::TooManyRows {
            limit: super::DEFAULT_MAX_RESULT_ROWS.saturating_mul(1000),
            span,
        });
    }
    let mut row = ColumnBuilder::new(DataType::Long, cells);
    let mut column = ColumnBuilder::new(DataType::String, cells);
    let mut value = ColumnBuilder::new(DataType::String, cells);
    for r in 0..input.num_rows() {
        for (name, col) in input.columns() {
            let _ = row.push(&Value::Long(r as i64));
            column.push_str(name);
            value.push_str(&text(&col.get(r)));
        }
    }
    Table::try_new(vec![
        ("Row".to_string(), Arc::new(row.finish())),
        ("Column".to_string(), Arc::new(column.finish())),
        ("Value".to_string(), Arc::new(value.finish())),
    ])
    .map_err(internal)
}

/// The distinct values an `hll` sketch holds (kqlite's sketches are exact:
/// the array of values); anything else holds none.
fn sketch_values(v: &Value) -> HashSet<String> {
    match v {
        Value::Dynamic(Dynamic::Array(items)) => {
            items.iter().map(|d| d.to_json().to_string()).collect()
        }
        _ => HashSet::new(),
    }
}

/// `dcount_intersect`: per row, `s0` = |S1|, `s1` = |S1 ∩ S2|, ...
fn dcount_intersect(input: &Table, count: usize) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let width = input.num_columns();
    let first = width.saturating_sub(count);
    let mut out: Vec<Vec<i64>> = vec![Vec::with_capacity(rows); count];
    for r in 0..rows {
        let mut running: Option<HashSet<String>> = None;
        for (k, slot) in out.iter_mut().enumerate() {
            let set = input
                .column_at(first + k)
                .map_or_else(HashSet::new, |(_, c)| sketch_values(&c.get(r)));
            let next = match running.take() {
                None => set,
                Some(prev) => prev.intersection(&set).cloned().collect(),
            };
            slot.push(next.len() as i64);
            running = Some(next);
        }
    }
    let mut columns: Vec<(String, Arc<Column>)> = Vec::new();
    let names: Vec<String> = (0..count).map(|i| format!("s{i}")).collect();
    for (name, col) in input.columns().take(first) {
        if !names.iter().any(|n| n == name) {
            columns.push((name.to_string(), col.clone()));
        }
    }
    for (name, values) in names.into_iter().zip(out) {
        columns.push((
            name,
            Arc::new(Column::new(crate::column::ColumnData::Long(values))),
        ));
    }
    if columns.is_empty() {
        return Ok(Table::empty(rows));
    }
    Table::try_new(columns).map_err(internal)
}

/// `funnel_sequence_completion`: per analysis window (from `Start` by
/// `Step`, before `End`) and per step window `P`, how many distinct ids
/// reach each state of the sequence: an id reaches state k+1 when it has
/// an event in that state after an event that reached state k and at most
/// `P` later. Rows come by window, then `P`, then state.
fn funnel_completion(
    input: &Table,
    timeline: &Timeline,
    sequence: &[String],
    periods: &[i64],
) -> Result<Table, EvalError> {
    let col = |i: usize| input.column_at(i).map(|(_, c)| c.clone());
    let (Some(ids), Some(times), Some(states)) = (col(0), col(1), col(2)) else {
        return Err(EvalError::Internal("funnel input columns".into()));
    };
    // Events: (time, row), with the state's step in the sequence (if any).
    let mut events: Vec<(i64, usize)> = Vec::new();
    for r in 0..input.num_rows() {
        if let Value::DateTime(t) = times.get(r) {
            if t >= timeline.start && t < timeline.end {
                events.push((t, r));
            }
        }
    }
    events.sort_unstable();
    let step_of: Vec<Option<usize>> = (0..input.num_rows())
        .map(|r| {
            let s = text(&states.get(r));
            sequence.iter().position(|x| *x == s)
        })
        .collect();
    let mut out_time = ColumnBuilder::new(DataType::DateTime, 0);
    let mut out_state = ColumnBuilder::new(DataType::String, 0);
    let mut out_period = ColumnBuilder::new(DataType::TimeSpan, 0);
    let mut out_count = ColumnBuilder::new(DataType::Long, 0);
    let mut window = timeline.start;
    while window < timeline.end {
        let until = window.saturating_add(timeline.step).min(timeline.end);
        // Per id (by its text), its events in the window, in time order.
        let mut per_id: HashMap<String, Vec<(i64, usize)>> = HashMap::new();
        for (t, r) in events.iter().filter(|(t, _)| *t >= window && *t < until) {
            per_id.entry(text(&ids.get(*r))).or_default().push((*t, *r));
        }
        for period in periods {
            let mut reached = vec![0i64; sequence.len()];
            for list in per_id.values() {
                // reach[i]: whether event i reached its step.
                let mut reach = vec![false; list.len()];
                let mut best: Option<usize> = None;
                for i in 0..list.len() {
                    let (t, r) = list[i];
                    let Some(k) = step_of.get(r).copied().flatten() else {
                        continue;
                    };
                    let ok = k == 0
                        || (0..i).any(|j| {
                            let (tj, rj) = list[j];
                            reach[j]
                                && step_of.get(rj).copied().flatten() == Some(k - 1)
                                && t - tj <= *period
                        });
                    if ok {
                        reach[i] = true;
                        best = Some(best.map_or(k, |b: usize| b.max(k)));
                    }
                }
                if let Some(b) = best {
                    for slot in reached.iter_mut().take(b + 1) {
                        *slot += 1;
                    }
                }
            }
            for (k, state) in sequence.iter().enumerate() {
                let _ = out_time.push(&Value::DateTime(window));
                out_state.push_str(state);
                let _ = out_period.push(&Value::TimeSpan(*period));
                let _ = out_count.push(&Value::Long(reached.get(k).copied().unwrap_or(0)));
            }
        }
        window = until;
    }
    Table::try_new(vec![
        ("t".to_string(), Arc::new(out_time.finish())),
        ("s".to_string(), Arc::new(out_state.finish())),
        ("Period".to_string(), Arc::new(out_period.finish())),
        ("dcount".to_string(), Arc::new(out_count.finish())),
    ])
    .map_err(internal)
}

/// Most occurrences `sequence_detect` reports.
const MAX_OCCURRENCES: usize = 10_000_000;

fn ticks(v: &Value) -> Option<i64> {
    match v {
        Value::DateTime(t) | Value::TimeSpan(t) | Value::Long(t) => Some(*t),
        _ => None,
    }
}

/// `sequence_detect`: per combination of dimension values, every choice of
/// one row per step, in time order (a step at or after the one before it,
/// later in the input when at the same time), at most `step_window` after
/// the step before it and at most `max_span` after the first step. Rows
/// come ordered by their step times.
fn sequence_detect(
    input: &Table,
    steps: usize,
    dims: usize,
    step_window: i64,
    max_span: i64,
    span: Span,
) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let col = |i: usize| input.column_at(i).map(|(_, c)| c.clone());
    let Some(times) = col(0) else {
        return Err(EvalError::Internal("sequence_detect input".into()));
    };
    let preds: Vec<Arc<Column>> = (1..=steps).filter_map(col).collect();
    let dim_cols: Vec<Arc<Column>> = (steps + 1..steps + 1 + dims).filter_map(col).collect();
    // Groups of rows by their dimension values, in order of appearance.
    let mut group_of: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<Vec<(i64, usize)>> = Vec::new();
    for r in 0..rows {
        let Some(t) = ticks(&times.get(r)) else {
            continue;
        };
        let key: Vec<String> = dim_cols
            .iter()
            .map(|c| {
                let v = c.get(r);
                format!("{:?}\u{1}{}", v.data_type(), text(&v))
            })
            .collect();
        let next = groups.len();
        let g = *group_of.entry(key).or_insert(next);
        if g == next {
            groups.push(Vec::new());
        }
        if let Some(list) = groups.get_mut(g) {
            list.push((t, r));
        }
    }
    let holds = |k: usize, r: usize| {
        preds
            .get(k)
            .is_some_and(|c| matches!(c.get(r), Value::Bool(true)))
    };
    // Occurrences: (step times, first row of the group, rows).
    let mut found: Vec<(Vec<i64>, usize)> = Vec::new();
    for list in &mut groups {
        list.sort_unstable();
        let Some(&(_, first)) = list.first() else {
            continue;
        };
        // Positions in `list` where each step holds.
        let at: Vec<Vec<usize>> = (0..steps)
            .map(|k| (0..list.len()).filter(|i| holds(k, list[*i].1)).collect())
            .collect();
        let mut chosen: Vec<usize> = Vec::with_capacity(steps);
        fn walk(
            list: &[(i64, usize)],
            at: &[Vec<usize>],
            chosen: &mut Vec<usize>,
            limits: (i64, i64),
            first: usize,
            found: &mut Vec<(Vec<i64>, usize)>,
        ) -> bool {
            let k = chosen.len();
            let Some(candidates) = at.get(k) else {
                found.push((chosen.iter().map(|i| list[*i].0).collect(), first));
                return found.len() <= MAX_OCCURRENCES;
            };
            for &i in candidates {
                let t = list[i].0;
                if let (Some(&p), Some(&s)) = (chosen.last(), chosen.first()) {
                    if i <= p || t - list[p].0 > limits.0 || t - list[s].0 > limits.1 {
                        continue;
                    }
                }
                chosen.push(i);
                let ok = walk(list, at, chosen, limits, first, found);
                chosen.pop();
                if !ok {
                    return false;
                }
            }
            true
        }
        if !walk(
            list,
            &at,
            &mut chosen,
            (step_window, max_span),
            first,
            &mut found,
        ) {
            return Err(EvalError::TooManyRows {
                limit: MAX_OCCURRENCES,
                span,
            });
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let time_type = times.data_type();
    let mut columns: Vec<(String, Arc<Column>)> = Vec::new();
    let firsts: Vec<u32> = found.iter().map(|(_, r)| *r as u32).collect();
    for (i, c) in dim_cols.iter().enumerate() {
        columns.push((format!("d{i}"), Arc::new(c.take(&firsts))));
    }
    for k in 0..steps {
        let mut b = ColumnBuilder::new(time_type, found.len());
        for (ts, _) in &found {
            let t = ts.get(k).copied().unwrap_or(0);
            let v = match time_type {
                DataType::DateTime => Value::DateTime(t),
                DataType::TimeSpan => Value::TimeSpan(t),
                _ => Value::Long(t),
            };
            let _ = b.push(&v);
        }
        columns.push((format!("s{k}"), Arc::new(b.finish())));
    }
    let durations: Vec<i64> = found
        .iter()
        .map(|(ts, _)| ts.last().copied().unwrap_or(0) - ts.first().copied().unwrap_or(0))
        .collect();
    columns.push((
        "Duration".into(),
        Arc::new(Column::new(crate::column::ColumnData::TimeSpan(durations))),
    ));
    Table::try_new(columns).map_err(internal)
}
