//! `mv-expand`: a row per array element or property-bag entry.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{build_table, EvalError};
use crate::bind::plan::BagExpansion;
use crate::column::{Column, ColumnData};
use crate::function::ColumnarValue;
use crate::kernels;
use crate::table::Table;
use crate::types::DataType;
use crate::value::Dynamic;

/// The elements one cell expands to: an array's items, a bag's entries,
/// a scalar or null as itself (one row), an empty array as nothing.
fn elements(d: &Dynamic, bag: BagExpansion) -> Vec<Dynamic> {
    match d {
        Dynamic::Array(items) => items.as_ref().clone(),
        Dynamic::Bag(map) => map
            .iter()
            .map(|(k, v)| match bag {
                BagExpansion::Bag => {
                    let mut one = IndexMap::new();
                    one.insert(k.clone(), v.clone());
                    Dynamic::Bag(Arc::new(one))
                }
                BagExpansion::Array => {
                    Dynamic::Array(Arc::new(vec![Dynamic::String(k.clone()), v.clone()]))
                }
            })
            .collect(),
        other => vec![other.clone()],
    }
}

/// Reserves, before anything is built, the memory an expansion takes: a
/// copy of every expanded element, then the output rows (each a row of
/// every input column, an element per expanded column and the item index).
fn reserve_expansion(
    input: &Table,
    columns: &[(usize, Option<DataType>)],
    limit: Option<usize>,
    guard: &super::limits::Guard,
) -> Result<super::MemoryReservation, EvalError> {
    let count = |d: &Dynamic| match d {
        Dynamic::Array(items) => items.len(),
        Dynamic::Bag(map) => map.len(),
        _ => 1,
    };
    let slot = std::mem::size_of::<Dynamic>();
    let mut elements = 0usize;
    let mut out_rows = 0usize;
    let mut longest: Vec<usize> = vec![0; input.num_rows()];
    for (c, _) in columns {
        if let Some((_, col)) = input.column_at(*c) {
            if let Some(values) = col.data.dynamic_values() {
                for (d, most) in values.iter().zip(longest.iter_mut()) {
                    let n = count(d);
                    elements = elements.saturating_add(n);
                    *most = (*most).max(limit.map_or(n, |l| n.min(l)));
                }
            }
        }
    }
    for n in longest {
        out_rows = out_rows.saturating_add(n);
    }
    let width = input
        .columns()
        .map(|(_, c)| super::row_width(c))
        .fold(0usize, usize::saturating_add)
        .saturating_add(slot.saturating_mul(columns.len()))
        .saturating_add(16);
    let bytes = elements
        .saturating_mul(slot)
        .saturating_add(out_rows.saturating_mul(width));
    guard.reserve_bytes(bytes, kqlite_parser::Span::default())
}

/// Expands `columns` of `input` (indexes, optional target type).
pub(crate) fn mv_expand(
    input: &Table,
    columns: &[(usize, Option<DataType>)],
    bag: BagExpansion,
    item_index: Option<&str>,
    limit: Option<usize>,
    guard: &super::limits::Guard,
) -> Result<Table, EvalError> {
    let max_rows = guard.max_rows();
    let rows = input.num_rows();
    let _held = reserve_expansion(input, columns, limit, guard)?;
    let mut cells: Vec<Vec<Vec<Dynamic>>> = Vec::with_capacity(columns.len());
    for (c, _) in columns {
        let (_, col) = input
            .column_at(*c)
            .ok_or_else(|| EvalError::Internal("mv-expand column out of range".into()))?;
        let Some(values) = col.data.dynamic_values() else {
            return Err(EvalError::Internal(
                "mv-expand column is not dynamic".into(),
            ));
        };
        cells.push(values.iter().map(|d| elements(d, bag)).collect());
    }
    let mut source_rows: Vec<u32> = Vec::new();
    let mut positions: Vec<usize> = Vec::new();
    for row in 0..rows {
        guard.tick(row)?;
        let mut n = cells
            .iter()
            .map(|c| c.get(row).map_or(0, Vec::len))
            .max()
            .unwrap_or(0);
        if let Some(l) = limit {
            n = n.min(l);
        }
        for p in 0..n {
            source_rows.push(row as u32);
            positions.push(p);
        }
        if source_rows.len() > max_rows {
            return Err(EvalError::TooManyRows {
                limit: max_rows,
                span: kqlite_parser::Span::default(),
            });
        }
    }
    let n = source_rows.len();
    let mut out: Vec<(String, Arc<Column>)> = Vec::with_capacity(input.num_columns() + 1);
    for (i, (name, col)) in input.columns().enumerate() {
        match columns.iter().position(|(c, _)| *c == i) {
            Some(k) => {
                let expanded: Vec<Dynamic> = source_rows
                    .iter()
                    .zip(&positions)
                    .map(|(r, p)| {
                        cells
                            .get(k)
                            .and_then(|c| c.get(*r as usize))
                            .and_then(|e| e.get(*p))
                            .cloned()
                            .unwrap_or_default()
                    })
                    .collect();
                let col = Arc::new(Column::new(ColumnData::Dynamic(expanded)));
                let col = match columns.get(k).and_then(|(_, t)| *t) {
                    Some(t) if t != DataType::Dynamic => {
                        kernels::cast(&ColumnarValue::Column(col), t, n).into_column(n)
                    }
                    _ => col,
                };
                out.push((name.to_string(), col));
            }
            None => out.push((name.to_string(), Arc::new(col.take(&source_rows)))),
        }
    }
    if let Some(name) = item_index {
        let idx = positions.iter().map(|p| *p as i64).collect();
        out.push((
            name.to_string(),
            Arc::new(Column::new(ColumnData::Long(idx))),
        ));
    }
    build_table(out, n)
}
