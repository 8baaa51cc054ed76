//! `make-series`: aggregates per group and axis bin, as arrays.

use std::sync::Arc;

use super::keys::group;
use super::{build_table, EvalError, Executor};
use crate::bind::plan::{Aggregate, BoundExpr, SeriesOptions};
use crate::column::{Column, ColumnData};
use crate::kernels::value_to_dynamic;
use crate::table::Table;
use crate::time::UNIX_EPOCH_TICKS;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// The parts of a `make-series` plan.
pub(crate) struct Series<'p> {
    pub keys: &'p [(String, BoundExpr)],
    pub aggregates: &'p [(String, Aggregate, Value)],
    pub axis: &'p (String, BoundExpr),
    pub from: Option<&'p BoundExpr>,
    pub to: Option<&'p BoundExpr>,
    pub step: &'p BoundExpr,
    pub options: SeriesOptions,
}

fn ticks(v: &Value) -> Option<i64> {
    match v {
        Value::Int(x) => Some(i64::from(*x)),
        Value::Long(x) | Value::DateTime(x) | Value::TimeSpan(x) => Some(*x),
        _ => None,
    }
}

impl Executor<'_> {
    pub(crate) fn make_series(
        &mut self,
        input: &Table,
        s: &Series<'_>,
    ) -> Result<Table, EvalError> {
        let rows = input.num_rows();
        let span = s.step.span;
        let invalid = |message: &str| EvalError::Invalid {
            span,
            message: message.to_string(),
        };
        let step = ticks(&self.scalar_of(s.step)?)
            .filter(|st| *st > 0)
            .ok_or_else(|| invalid("make-series step must be a positive timespan or integer"))?;
        let axis = self.eval(&s.axis.1, input)?.into_column(rows);
        let values: Vec<Option<i64>> = (0..rows)
            .map(|i| {
                if axis.is_null(i) {
                    None
                } else {
                    ticks(&axis.get(i))
                }
            })
            .collect();
        let origin = if s.axis.1.ty == DataType::DateTime {
            UNIX_EPOCH_TICKS
        } else {
            0
        };
        let floor = |v: i64| origin + (v - origin).div_euclid(step) * step;
        let start = match s.from {
            // `in range(...)` bins from multiples of the step (`bin()`).
            Some(e) if s.options.in_range => ticks(&self.scalar_of(e)?).map(floor),
            Some(e) => ticks(&self.scalar_of(e)?),
            None => values
                .iter()
                .flatten()
                .min()
                .map(|m| origin + (m - origin).div_euclid(step) * step),
        };
        // No `from` and no data: no bins (and no rows, unless nonempty).
        let known_start = start.is_some();
        let start = start.unwrap_or(origin);
        let bins: i64 = match s.to {
            _ if !known_start => 0,
            // `in range(...)`: the stop value's bin is the last one.
            Some(e) if s.options.in_range => match ticks(&self.scalar_of(e)?) {
                Some(stop) if stop >= start => (floor(stop) - start) / step + 1,
                _ => 0,
            },
            Some(e) => match ticks(&self.scalar_of(e)?) {
                Some(end) if end > start => (end - start + step - 1) / step,
                _ => 0,
            },
            None => values
                .iter()
                .flatten()
                .max()
                .map_or(0, |m| (m - start).div_euclid(step) + 1),
        };
        let bins = usize::try_from(bins).unwrap_or(0);
        self.check_rows(bins, span)?;
        // Rows inside the axis range, and their bins.
        let mut kept: Vec<u32> = Vec::new();
        let mut bucket: Vec<usize> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let b = (v - start).div_euclid(step);
                if (0..bins as i64).contains(&b) && *v >= start {
                    kept.push(i as u32);
                    bucket.push(b as usize);
                }
            }
        }
        let kept_table = input.take(&kept);
        let n = kept.len();
        let mut key_cols: Vec<Arc<Column>> = Vec::new();
        for (_, e) in s.keys {
            key_cols.push(self.eval(e, &kept_table)?.into_column(n));
        }
        // Empty input gives no rows, unless `kind=nonempty` asks for one
        // row of defaults (with null keys).
        let nonempty_row = rows == 0 && s.options.nonempty;
        let (ids, first_rows, groups) = if nonempty_row {
            (Vec::new(), Vec::new(), 1)
        } else if s.keys.is_empty() {
            let groups = usize::from(rows > 0);
            (vec![0u32; n], Vec::new(), groups)
        } else {
            let refs: Vec<&Column> = key_cols.iter().map(Arc::as_ref).collect();
            let g = group(&refs, n);
            let count = g.first_rows.len();
            (g.ids, g.first_rows, count)
        };
        let cells = groups.saturating_mul(bins);
        self.check_rows(cells, span)?;
        // Every aggregate and the axis become one `dynamic` per cell.
        let slots = cells.saturating_mul(s.aggregates.len().saturating_add(1));
        self.guard
            .check_bytes(slots.saturating_mul(std::mem::size_of::<Dynamic>()), span)?;
        let cell_ids: Vec<u32> = ids
            .iter()
            .zip(&bucket)
            .map(|(g, b)| (*g as usize * bins + b) as u32)
            .collect();
        let mut seen = vec![false; cells];
        for c in &cell_ids {
            if let Some(x) = seen.get_mut(*c as usize) {
                *x = true;
            }
        }
        let mut out: Vec<(String, Arc<Column>)> = Vec::new();
        for ((name, e), col) in s.keys.iter().zip(&key_cols) {
            let keys = if nonempty_row {
                Column::nulls(e.ty, 1)
            } else {
                col.take(&first_rows)
            };
            out.push((name.clone(), Arc::new(keys)));
        }
        for (name, agg, default) in s.aggregates {
            self.guard.check()?;
            let mut args = Vec::with_capacity(agg.args.len());
            for a in &agg.args {
                args.push(crate::shred::plain_value(self.eval(a, &kept_table)?));
            }
            let types: Vec<_> = agg.args.iter().map(|a| a.ty).collect();
            let wrap = |source| EvalError::Function { span, source };
            let mut acc = agg.func.accumulator(&types, &agg.constants).map_err(wrap)?;
            if n > 0 {
                acc.update(&args, &cell_ids, cells).map_err(wrap)?;
            }
            let col = acc.finish(cells).map_err(wrap)?;
            let fill = value_to_dynamic(default);
            let arrays = (0..groups)
                .map(|g| {
                    let items = (0..bins)
                        .map(|b| {
                            let c = g * bins + b;
                            if seen.get(c).copied().unwrap_or(false) {
                                value_to_dynamic(&col.get(c))
                            } else {
                                fill.clone()
                            }
                        })
                        .collect();
                    Dynamic::Array(Arc::new(items))
                })
                .collect();
            out.push((
                name.clone(),
                Arc::new(Column::new(ColumnData::Dynamic(arrays))),
            ));
        }
        let axis_items: Vec<Dynamic> = (0..bins as i64)
            .map(|b| {
                let v = start + b * step;
                match s.axis.1.ty {
                    DataType::DateTime => Dynamic::DateTime(v),
                    DataType::TimeSpan => Dynamic::TimeSpan(v),
                    _ => Dynamic::Long(v),
                }
            })
            .collect();
        let axis_array = Dynamic::Array(Arc::new(axis_items));
        out.push((
            s.axis.0.clone(),
            Arc::new(Column::new(ColumnData::Dynamic(vec![axis_array; groups]))),
        ));
        build_table(out, groups)
    }
}
