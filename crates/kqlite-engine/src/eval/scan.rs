//! `scan` (a row-by-row state machine over the serialized input) and
//! `sample`.
//!
//! `scan` is inherently sequential: each row is checked against the steps
//! from last to first, and a step's state feeds the next row's checks. A
//! check evaluates the step's bound expressions over a one-row context table
//! (input columns, declared columns, then every step's state).
//!
//! For step `k` and row `r`:
//! 1. if step `k-1` holds a sequence and `r` meets step `k`'s condition in
//!    that context, the sequence moves to step `k` with `r` (extended by the
//!    assignments) as step `k`'s values, and `r` is output;
//! 2. otherwise, if step `k` holds a sequence (or `k` is the first step) and
//!    `r` meets the condition in step `k`'s context, `r` replaces step `k`'s
//!    values and is output; on the first step with no sequence this starts a
//!    new sequence (a new match id).

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use super::{build_table, EvalError, Executor};
use crate::bind::plan::{BoundExpr, ScanSpec};
use crate::column::{Column, ColumnBuilder, ColumnData};
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// A sequence in progress: its match id and each step's values (input
/// columns then declared columns), `None` for steps not reached.
#[derive(Clone)]
struct Sequence {
    id: i64,
    slots: Vec<Option<Vec<Value>>>,
}

/// The rows `scan` outputs.
#[derive(Default)]
struct ScanOutput {
    rows: Vec<u32>,
    declared: Vec<Vec<Value>>,
    ids: Vec<i64>,
}

fn one_row(values: &[Value], types: &[DataType]) -> Result<Table, EvalError> {
    let mut cols = Vec::with_capacity(values.len());
    for (i, (v, ty)) in values.iter().zip(types).enumerate() {
        let mut b = ColumnBuilder::new(*ty, 1);
        if v.is_null() || b.push(v).is_err() {
            b = ColumnBuilder::new(*ty, 1);
            b.push_null();
        }
        cols.push((format!("c{i}"), Arc::new(b.finish())));
    }
    build_table(cols, 1)
}

impl Executor<'_> {
    /// The context row for checking `row` against a state.
    fn scan_context(&self, spec: &ScanSpec, row: &[Value], seq: Option<&Sequence>) -> Vec<Value> {
        let defaults = spec.declared.iter().map(|(_, _, v)| v.clone());
        let mut ctx: Vec<Value> = row.to_vec();
        ctx.extend(defaults.clone());
        for k in 0..spec.steps.len() {
            match seq.and_then(|s| s.slots.get(k)).and_then(Option::as_ref) {
                Some(values) => ctx.extend(values.iter().cloned()),
                None => {
                    ctx.extend(std::iter::repeat_n(Value::Null, spec.input_width));
                    ctx.extend(defaults.clone());
                }
            }
        }
        ctx
    }

    fn scan_eval(&mut self, e: &BoundExpr, ctx: &Table) -> Result<Value, EvalError> {
        Ok(self.eval(e, ctx)?.get(0))
    }

    /// Checks step `k` in context `seq`; on a match, the declared values.
    fn scan_try(
        &mut self,
        spec: &ScanSpec,
        types: &[DataType],
        row: &[Value],
        seq: Option<&Sequence>,
        k: usize,
    ) -> Result<Option<Vec<Value>>, EvalError> {
        let Some(step) = spec.steps.get(k) else {
            return Ok(None);
        };
        let ctx = one_row(&self.scan_context(spec, row, seq), types)?;
        if self.scan_eval(&step.condition, &ctx)? != Value::Bool(true) {
            return Ok(None);
        }
        let mut declared: Vec<Value> = spec.declared.iter().map(|d| d.2.clone()).collect();
        for (i, e) in &step.assignments {
            let v = self.scan_eval(e, &ctx)?;
            if let Some(slot) = declared.get_mut(*i) {
                *slot = v;
            }
        }
        Ok(Some(declared))
    }

    /// Runs `scan` over `input`.
    pub(crate) fn scan_steps(
        &mut self,
        input: &Table,
        spec: &ScanSpec,
    ) -> Result<Table, EvalError> {
        let mut types: Vec<DataType> = input.schema().into_iter().map(|(_, t)| t).collect();
        let declared_types: Vec<DataType> = spec.declared.iter().map(|d| d.1).collect();
        let row_types = [types.clone(), declared_types.clone()].concat();
        types.extend(declared_types.iter().copied());
        for _ in &spec.steps {
            types.extend(row_types.iter().copied());
        }
        let n = spec.steps.len();
        let mut state: Vec<Option<Sequence>> = vec![None; n];
        let mut next_id = 0i64;
        let mut out = ScanOutput::default();
        for r in 0..input.num_rows() {
            self.guard.tick(r)?;
            let row = input.row(r);
            for k in (0..n).rev() {
                let output = spec.steps.get(k).is_some_and(|s| s.output);
                let extended = |decl: &[Value]| [row.clone(), decl.to_vec()].concat();
                // Check 1: the sequence of the previous step moves here.
                if k > 0 {
                    let prev = state.get(k - 1).cloned().flatten();
                    if let Some(mut seq) = prev {
                        if let Some(decl) = self.scan_try(spec, &types, &row, Some(&seq), k)? {
                            if let Some(slot) = seq.slots.get_mut(k) {
                                *slot = Some(extended(&decl));
                            }
                            if output {
                                out.rows.push(r as u32);
                                out.declared.push(decl);
                                out.ids.push(seq.id);
                            }
                            if let Some(s) = state.get_mut(k - 1) {
                                *s = None;
                            }
                            if let Some(s) = state.get_mut(k) {
                                *s = Some(seq);
                            }
                            continue;
                        }
                    }
                }
                // Check 2: the sequence at this step (or a new one) goes on.
                let current = state.get(k).cloned().flatten();
                if current.is_none() && k > 0 {
                    continue;
                }
                let Some(decl) = self.scan_try(spec, &types, &row, current.as_ref(), k)? else {
                    continue;
                };
                let mut seq = current.unwrap_or_else(|| {
                    let id = next_id;
                    next_id += 1;
                    Sequence {
                        id,
                        slots: vec![None; n],
                    }
                });
                if let Some(slot) = seq.slots.get_mut(k) {
                    *slot = Some(extended(&decl));
                }
                if output {
                    out.rows.push(r as u32);
                    out.declared.push(decl);
                    out.ids.push(seq.id);
                }
                if let Some(s) = state.get_mut(k) {
                    *s = Some(seq);
                }
            }
            self.check_rows(out.rows.len(), kqlite_parser::Span::default())?;
        }
        let mut t = input.take(&out.rows);
        let count = out.rows.len();
        for (j, (name, ty, _)) in spec.declared.iter().enumerate() {
            let mut b = ColumnBuilder::new(*ty, count);
            for decl in &out.declared {
                match decl.get(j) {
                    Some(v) if !v.is_null() && b.push(v).is_ok() => {}
                    _ => b.push_null(),
                }
            }
            t = append(t, name, b.finish(), count)?;
        }
        if let Some(name) = &spec.match_id {
            let col = Column::new(ColumnData::Long(out.ids));
            t = append(t, name, col, count)?;
        }
        Ok(t)
    }

    /// `sample n`: `n` rows at random (all rows when there are fewer).
    pub(crate) fn sample(&mut self, t: Table, n: usize) -> Table {
        let rows = t.num_rows();
        if n >= rows {
            return t;
        }
        let mut rng = std::collections::hash_map::RandomState::new().build_hasher();
        rng.write_i64(self.ctx.now);
        let mut order: Vec<u32> = (0..rows as u32).collect();
        for i in 0..n {
            rng.write_usize(i);
            let span = (rows - i) as u64;
            let j = i + (rng.finish() % span) as usize;
            order.swap(i, j);
        }
        order.truncate(n);
        t.take(&order)
    }
}

fn append(t: Table, name: &str, col: Column, rows: usize) -> Result<Table, EvalError> {
    let mut cols: Vec<(String, Arc<Column>)> = t
        .columns()
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    cols.push((name.to_string(), Arc::new(col)));
    build_table(cols, rows)
}
