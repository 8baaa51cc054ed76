//! The `evaluate` plugins `rows_near` and `funnel_sequence` (`preview` is
//! bound to `take` and `count`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::EvalError;
use crate::bind::plan::{PluginKind, PluginSpec};
use crate::bind::plugins_extra::{FunnelSequence, FunnelTable};
use crate::column::{Column, ColumnBuilder};
use crate::kernels::access::value_to_dynamic;
use crate::kernels::convert_value;
use crate::table::Table;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Most ids a `funnel_sequence` row lists in `samples`.
const MAX_SAMPLES: usize = 128;

/// Runs one of this module's plugins over `input`.
pub(super) fn run(spec: &PluginSpec, input: &Table) -> Result<Table, EvalError> {
    match &spec.kind {
        PluginKind::RowsNear { before, after } => rows_near(input, *before, *after),
        PluginKind::FunnelSequence(f) => funnel_sequence(input, f, spec),
        _ => Err(EvalError::Internal("not a plugin of plugins_extra".into())),
    }
}

fn internal(e: crate::table::TableError) -> EvalError {
    EvalError::Internal(format!("plugin output: {e}"))
}

/// `rows_near`: the rows within `before` rows before or `after` rows after
/// a row whose condition (the last column) is true, in input order.
fn rows_near(input: &Table, before: i64, after: i64) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let last = input.num_columns().saturating_sub(1);
    let Some((cond_name, cond)) = input.column_at(last) else {
        return Err(EvalError::Internal("rows_near input".into()));
    };
    let cond_name = cond_name.to_string();
    let before = usize::try_from(before).unwrap_or(usize::MAX);
    let after = usize::try_from(after).unwrap_or(usize::MAX);
    // Row r is kept when some true row lies in [r - after, r + before]:
    // mark the span each true row covers with a running count.
    let mut delta = vec![0i64; rows + 1];
    for r in 0..rows {
        if cond.get(r) == Value::Bool(true) {
            let from = r.saturating_sub(before);
            let to = r.saturating_add(after).saturating_add(1).min(rows);
            if let Some(d) = delta.get_mut(from) {
                *d += 1;
            }
            if let Some(d) = delta.get_mut(to) {
                *d -= 1;
            }
        }
    }
    let mut keep: Vec<u32> = Vec::new();
    let mut open = 0i64;
    for (r, d) in delta.iter().take(rows).enumerate() {
        open += d;
        if open > 0 {
            keep.push(u32::try_from(r).map_err(|_| EvalError::Internal("rows_near".into()))?);
        }
    }
    let mut out = input.take(&keep);
    out.remove_column(&cond_name);
    if out.num_columns() == 0 {
        return Ok(Table::empty(keep.len()));
    }
    Ok(out)
}

/// A value as text, as `tostring()` writes it.
fn text(v: &Value) -> String {
    match convert_value(v, DataType::String) {
        Value::String(s) => s.to_string(),
        _ => String::new(),
    }
}

/// The integer position of a timeline value.
fn ticks(v: &Value) -> Option<i64> {
    match v {
        Value::DateTime(t) | Value::TimeSpan(t) | Value::Long(t) => Some(*t),
        Value::Int(t) => Some(i64::from(*t)),
        _ => None,
    }
}

/// A run of events of one id with the same state: first and last time.
struct Run {
    first: i64,
    last: i64,
    state: String,
}

/// The (prev, next) states around each occurrence of `sequence` in `runs`:
/// consecutive runs with the sequence's states, each within `window` of
/// the one before; prev and next are the runs just before and after when
/// within `window`, else empty.
fn occurrences(runs: &[Run], sequence: &[String], window: i64) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let k = sequence.len();
    for i in 0..runs.len() {
        let Some(steps) = runs.get(i..i + k) else {
            break;
        };
        let matches = steps.iter().zip(sequence).all(|(r, s)| r.state == *s)
            && steps.windows(2).all(|w| match (w.first(), w.last()) {
                (Some(a), Some(b)) => b.first.saturating_sub(a.last) <= window,
                _ => true,
            });
        if !matches {
            continue;
        }
        let (Some(head), Some(tail)) = (steps.first(), steps.last()) else {
            continue;
        };
        let prev = i
            .checked_sub(1)
            .and_then(|p| runs.get(p))
            .filter(|p| head.first.saturating_sub(p.last) <= window)
            .map(|p| p.state.clone())
            .unwrap_or_default();
        let next = runs
            .get(i + k)
            .filter(|n| n.first.saturating_sub(tail.last) <= window)
            .map(|n| n.state.clone())
            .unwrap_or_default();
        out.push((prev, next));
    }
    out
}

/// One table of `funnel_sequence`: per analysis window and (prev, next)
/// states (or prev only, or next only), the distinct ids whose events
/// went through the sequence, with up to 128 of them as samples. Each id's
/// events in a window are taken in time order with runs of one state made
/// one. Rows come by window, then by distinct count (most first), then by
/// the states' text.
fn funnel_sequence(
    input: &Table,
    f: &FunnelSequence,
    spec: &PluginSpec,
) -> Result<Table, EvalError> {
    let col = |i: usize| input.column_at(i).map(|(_, c)| c.clone());
    let (Some(ids), Some(times), Some(states)) = (col(0), col(1), col(2)) else {
        return Err(EvalError::Internal("funnel_sequence input columns".into()));
    };
    let tl = f.timeline;
    let mut events: Vec<(i64, usize)> = Vec::new();
    for r in 0..input.num_rows() {
        if ids.is_null(r) {
            continue;
        }
        if let Some(t) = ticks(&times.get(r)) {
            if t >= tl.start && t < tl.end {
                events.push((t, r));
            }
        }
    }
    events.sort_unstable();
    let time_ty = spec.columns.first().map_or(DataType::DateTime, |c| c.1);
    let key_count = match f.table {
        FunnelTable::PrevNext => 2,
        FunnelTable::Prev | FunnelTable::Next => 1,
    };
    let mut out_time = ColumnBuilder::new(time_ty, 0);
    let mut out_keys: Vec<ColumnBuilder> = (0..key_count)
        .map(|_| ColumnBuilder::new(DataType::String, 0))
        .collect();
    let mut out_count = ColumnBuilder::new(DataType::Long, 0);
    let mut out_samples = ColumnBuilder::new(DataType::Dynamic, 0);
    let mut window = tl.start;
    let mut at = 0usize;
    while window < tl.end {
        let until = window.saturating_add(tl.step).min(tl.end);
        // Per id (by its text): its value and its runs in the window.
        let mut per_id: HashMap<String, (Value, Vec<Run>)> = HashMap::new();
        while let Some(&(t, r)) = events.get(at) {
            if t >= until {
                break;
            }
            at += 1;
            let id = ids.get(r);
            let state = text(&states.get(r));
            let (_, runs) = per_id.entry(text(&id)).or_insert_with(|| (id, Vec::new()));
            match runs.last_mut() {
                Some(run) if run.state == state => run.last = t,
                _ => runs.push(Run {
                    first: t,
                    last: t,
                    state,
                }),
            }
        }
        // Group key -> ids (by text, sorted), with their values.
        let mut groups: BTreeMap<Vec<String>, BTreeMap<String, Dynamic>> = BTreeMap::new();
        for (key, (id, runs)) in &per_id {
            for (prev, next) in occurrences(runs, &f.sequence, f.step_window) {
                let group = match f.table {
                    FunnelTable::PrevNext => vec![prev, next],
                    FunnelTable::Prev => vec![prev],
                    FunnelTable::Next => vec![next],
                };
                groups
                    .entry(group)
                    .or_default()
                    .insert(key.clone(), value_to_dynamic(id));
            }
        }
        let mut rows: Vec<(Vec<String>, BTreeMap<String, Dynamic>)> = groups.into_iter().collect();
        rows.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        let window_value = match time_ty {
            DataType::DateTime => Value::DateTime(window),
            DataType::TimeSpan => Value::TimeSpan(window),
            DataType::Int => i32::try_from(window).map_or(Value::Null, Value::Int),
            _ => Value::Long(window),
        };
        for (group, members) in rows {
            if out_time.push(&window_value).is_err() {
                out_time.push_null();
            }
            for (b, k) in out_keys.iter_mut().zip(&group) {
                b.push_str(k);
            }
            let _ = out_count.push(&Value::Long(members.len() as i64));
            let samples: Vec<Dynamic> = members.into_values().take(MAX_SAMPLES).collect();
            let _ = out_samples.push(&Value::Dynamic(Dynamic::Array(Arc::new(samples))));
        }
        window = until;
    }
    let mut columns: Vec<(String, Arc<Column>)> = Vec::new();
    let mut names = spec.columns.iter().map(|(n, _)| n.clone());
    let mut name = |fallback: &str| names.next().unwrap_or_else(|| fallback.to_string());
    columns.push((name("Timeline"), Arc::new(out_time.finish())));
    for b in out_keys {
        columns.push((name("state"), Arc::new(b.finish())));
    }
    columns.push((name("dcount"), Arc::new(out_count.finish())));
    columns.push((name("samples"), Arc::new(out_samples.finish())));
    Table::try_new(columns).map_err(internal)
}
