//! `evaluate pivot(...)`: turns each distinct value of the pivot column
//! into a column.
//!
//! The input is already summarized: the group keys, the pivot value as a
//! string, then the aggregate. Output rows are the key combinations in
//! first-seen order; pivot columns follow the keys in first-seen order of
//! their values (or the declared output schema's order), and a combination
//! with no rows reads the aggregate's empty value (`0` for counts and sums).

use std::collections::HashMap;
use std::sync::Arc;

use kqlite_parser::Span;

use super::{build_table, EvalError};
use crate::bind::plan::Schema;
use crate::column::{Column, ColumnBuilder};
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// Pivots `input` (keys, pivot value, aggregate) around its pivot column.
pub(crate) fn pivot(
    input: &Table,
    keys: usize,
    fill: &Value,
    declared: Option<&Schema>,
    span: Span,
) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let col = |i: usize| {
        input
            .column_at(i)
            .map(|(n, c)| (n.to_string(), c.clone()))
            .ok_or_else(|| EvalError::Internal("pivot input is too narrow".into()))
    };
    let key_cols: Vec<(String, Arc<Column>)> = (0..keys).map(col).collect::<Result<_, _>>()?;
    let (_, pivot_col) = col(keys)?;
    let (_, agg_col) = col(keys + 1)?;
    let agg_ty = agg_col.data_type();

    // Group rows by key values, and pivot values, both in first-seen order.
    let mut groups: HashMap<String, usize> = HashMap::new();
    let mut first_rows: Vec<u32> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut cells: Vec<(usize, usize, Value)> = Vec::with_capacity(rows);
    for row in 0..rows {
        let key: Vec<Value> = key_cols.iter().map(|(_, c)| c.get(row)).collect();
        let next = groups.len();
        let g = *groups.entry(format!("{key:?}")).or_insert(next);
        if g == first_rows.len() {
            first_rows.push(row as u32);
        }
        let name = match pivot_col.get(row) {
            Value::String(s) => s.to_string(),
            Value::Null => String::new(),
            other => format!("{other:?}"),
        };
        let p = match names.iter().position(|n| *n == name) {
            Some(p) => p,
            None => {
                names.push(name);
                names.len() - 1
            }
        };
        cells.push((g, p, agg_col.get(row)));
    }
    let n = first_rows.len();
    let mut out: Vec<(String, Arc<Column>)> = key_cols
        .iter()
        .map(|(name, c)| (name.clone(), Arc::new(c.take(&first_rows))))
        .collect();
    let mut grid: Vec<Vec<Value>> = vec![vec![fill.clone(); n]; names.len()];
    for (g, p, v) in cells {
        if let Some(slot) = grid.get_mut(p).and_then(|c| c.get_mut(g)) {
            *slot = v;
        }
    }
    let build = |values: &[Value], ty: DataType| {
        let mut b = ColumnBuilder::new(ty, values.len());
        for v in values {
            let v = if v.is_null() || v.data_type() == Some(ty) {
                v.clone()
            } else {
                crate::kernels::convert_value(v, ty)
            };
            if b.push(&v).is_err() {
                b.push_null();
            }
        }
        Arc::new(b.finish())
    };
    match declared {
        None => {
            for (name, values) in names.iter().zip(&grid) {
                if out.iter().any(|(o, _)| o == name) || name.is_empty() {
                    return Err(EvalError::Invalid {
                        span,
                        message: format!(
                            "`pivot` cannot make a column of the value `{name}`: the name is empty or taken"
                        ),
                    });
                }
                out.push((name.clone(), build(values, agg_ty)));
            }
        }
        Some(schema) => {
            let mut laid = Vec::with_capacity(schema.len());
            for (name, ty) in schema {
                let col = match out.iter().find(|(o, _)| o == name) {
                    Some((_, c)) if c.data_type() == *ty => c.clone(),
                    Some((_, c)) => {
                        let values: Vec<Value> = (0..n).map(|i| c.get(i)).collect();
                        build(&values, *ty)
                    }
                    None => match names.iter().position(|v| v == name) {
                        Some(p) => build(grid.get(p).map_or(&[][..], |v| v), *ty),
                        None => build(&vec![fill.clone(); n], *ty),
                    },
                };
                laid.push((name.clone(), col));
            }
            out = laid;
        }
    }
    build_table(out, n)
}
