//! `parse` / `parse-where`: extract typed columns from text with a pattern.

use std::sync::Arc;

use regex::Regex;

use super::{build_table, EvalError};
use crate::column::{Column, ColumnBuilder};
use crate::function::ColumnarValue;
use crate::kernels;
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// Runs `pattern` over each row's `text` and adds (or replaces) `columns`.
pub(crate) fn parse(
    input: Table,
    text: ColumnarValue,
    pattern: &Regex,
    columns: &[(String, DataType)],
    relaxed: bool,
    drop_unmatched: bool,
) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let text = kernels::cast(&text, DataType::String, rows).into_column(rows);
    let mut builders: Vec<ColumnBuilder> = columns
        .iter()
        .map(|(_, t)| ColumnBuilder::new(*t, rows))
        .collect();
    let group_names: Vec<String> = (0..columns.len()).map(|i| format!("c{i}")).collect();
    let mut kept: Vec<u32> = Vec::with_capacity(rows);
    let mut values: Vec<Value> = Vec::with_capacity(columns.len());
    for row in 0..rows {
        let s = match text.get(row) {
            Value::String(s) => s,
            _ => Arc::from(""),
        };
        values.clear();
        let mut ok = false;
        if let Some(caps) = pattern.captures(&s) {
            ok = true;
            for ((_, ty), group) in columns.iter().zip(&group_names) {
                let raw = caps.name(group).map_or("", |m| m.as_str());
                match kernels::parse_value(raw, *ty) {
                    Some(v) => values.push(v),
                    None if relaxed => values.push(Value::Null),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
        }
        if !ok {
            if drop_unmatched {
                continue;
            }
            values.clear();
            values.resize(columns.len(), Value::Null);
        }
        kept.push(row as u32);
        for (b, v) in builders.iter_mut().zip(&values) {
            if b.push(v).is_err() {
                b.push_null();
            }
        }
    }
    let base = if kept.len() == rows {
        input
    } else {
        input.take(&kept)
    };
    let n = kept.len();
    let mut out: Vec<(String, Arc<Column>)> = base
        .columns()
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    for ((name, _), b) in columns.iter().zip(builders) {
        let col = Arc::new(b.finish());
        match out.iter_mut().find(|(o, _)| o == name) {
            Some(slot) => slot.1 = col,
            None => out.push((name.clone(), col)),
        }
    }
    build_table(out, n)
}
