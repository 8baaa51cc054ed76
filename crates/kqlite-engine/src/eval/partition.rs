//! `partition by Key (subquery)`: the subquery runs once per distinct value
//! of the key column, over that value's rows, and the results are
//! concatenated in the order the key values first appear.

use std::sync::Arc;

use super::{build_table, internal, keys, EvalError, Executor};
use crate::bind::partition::Partition;
use crate::column::Column;
use crate::concat::concat_columns;
use crate::table::Table;
use crate::types::DataType;

impl Executor<'_> {
    /// Runs `spec.subquery` over each partition of `input` and concatenates
    /// the results (a null key is a partition of its own).
    pub(crate) fn partition(
        &mut self,
        input: &Table,
        spec: &Partition,
    ) -> Result<Table, EvalError> {
        let rows = input.num_rows();
        let (key_name, key) = input
            .column_at(spec.key)
            .ok_or_else(|| internal("partition key column out of range"))?;
        let grouping = keys::group(&[key.as_ref()], rows);
        let partitions = grouping.first_rows.len();
        if let Some(max) = spec.max_partitions {
            if partitions > max {
                return Err(EvalError::Invalid {
                    span: spec.span,
                    message: format!(
                        "`partition` with the legacy strategy runs at most {max} partitions, \
                         and column `{key_name}` has {partitions} distinct values: \
                         use `hint.strategy=native` (or `shuffle`)"
                    ),
                });
            }
        }
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); partitions];
        for (row, id) in grouping.ids.iter().enumerate() {
            if let Some(m) = members.get_mut(*id as usize) {
                m.push(u32::try_from(row).unwrap_or(u32::MAX));
            }
        }
        let mut parts: Vec<Table> = Vec::with_capacity(partitions);
        let mut total = 0usize;
        for rows in &members {
            self.guard.check()?;
            self.inputs.push(input.take(rows));
            let result = self.run(&spec.subquery);
            self.inputs.pop();
            let part = result?;
            total += part.num_rows();
            self.check_rows(total, spec.span)?;
            parts.push(part);
        }
        build_table(stack_results(&parts, &spec.columns), total)
    }
}

/// The results of one subquery run several times (per partition, per
/// `mv-apply` record), stacked as the declared `columns`; a column a run
/// lacks reads as nulls there.
pub(super) fn stack_results(
    parts: &[Table],
    columns: &[(String, DataType)],
) -> Vec<(String, Arc<Column>)> {
    let mut out: Vec<(String, Arc<Column>)> = Vec::with_capacity(columns.len());
    for (j, (name, ty)) in columns.iter().enumerate() {
        let pieces: Vec<Arc<Column>> = parts
            .iter()
            .map(|p| match p.column_at(j) {
                Some((_, c)) => c.clone(),
                None => Arc::new(Column::nulls(*ty, p.num_rows())),
            })
            .collect();
        out.push((name.clone(), Arc::new(concat_columns(&pieces, *ty))));
    }
    out
}
