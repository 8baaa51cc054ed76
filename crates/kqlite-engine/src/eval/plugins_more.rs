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
