//! Evaluating an expression once per distinct `dynamic` value of the
//! column it reads, then spreading the results back to the rows.

use std::sync::Arc;

use super::{build_table, EvalError, Executor};
use crate::bind::plan::BoundExpr;
use crate::column::{Column, ColumnData};
use crate::value::Dynamic;

/// Identity of a `dynamic` value for [`distinct_dynamics`]: shared
/// allocations by address, scalars by value.
#[derive(PartialEq, Eq, Hash)]
pub(super) enum DynamicKey {
    Null,
    Scalar(u8, u128),
    Shared(u8, usize),
}

pub(super) fn dynamic_key(d: &Dynamic) -> DynamicKey {
    match d {
        Dynamic::Null => DynamicKey::Null,
        Dynamic::Bool(b) => DynamicKey::Scalar(1, u128::from(*b)),
        Dynamic::Long(x) => DynamicKey::Scalar(2, *x as u64 as u128),
        Dynamic::Real(x) => DynamicKey::Scalar(3, u128::from(x.to_bits())),
        Dynamic::DateTime(x) => DynamicKey::Scalar(4, *x as u64 as u128),
        Dynamic::TimeSpan(x) => DynamicKey::Scalar(5, *x as u64 as u128),
        Dynamic::Guid(x) => DynamicKey::Scalar(6, *x),
        Dynamic::String(s) => DynamicKey::Shared(7, Arc::as_ptr(s) as *const u8 as usize),
        Dynamic::Array(a) => DynamicKey::Shared(8, Arc::as_ptr(a) as usize),
        Dynamic::Bag(b) => DynamicKey::Shared(9, Arc::as_ptr(b) as usize),
    }
}

/// Each row's position among the distinct values of `values` (by shared
/// allocation or scalar value), and those values; `None` once there are
/// more than `limit` of them.
pub(super) fn distinct_dynamics(
    values: &[Dynamic],
    selection: Option<&[u32]>,
    limit: usize,
) -> Option<DistinctValues> {
    let rows = selection.map_or(values.len(), <[u32]>::len);
    // Shared allocations are told apart by address (the common case, one
    // cheap integer hash), scalars by value.
    let mut by_address: rustc_hash::FxHashMap<usize, u32> = Default::default();
    let mut by_value: rustc_hash::FxHashMap<DynamicKey, u32> = Default::default();
    let mut distinct = Vec::new();
    let mut codes = Vec::with_capacity(rows);
    let mut visit = |v: &Dynamic| -> bool {
        let next = distinct.len() as u32;
        let code = match dynamic_key(v) {
            DynamicKey::Shared(_, address) => *by_address.entry(address).or_insert(next),
            key => *by_value.entry(key).or_insert(next),
        };
        if code == next {
            if distinct.len() >= limit {
                return false;
            }
            distinct.push(v.clone());
        }
        codes.push(code);
        true
    };
    match selection {
        None => {
            for v in values {
                if !visit(v) {
                    return None;
                }
            }
        }
        Some(rows) => {
            for &r in rows {
                if !visit(values.get(r as usize).unwrap_or(&Dynamic::Null)) {
                    return None;
                }
            }
        }
    }
    Some(DistinctValues { codes, distinct })
}

/// A `dynamic` column as row codes into its distinct values.
pub(super) struct DistinctValues {
    codes: Vec<u32>,
    distinct: Vec<Dynamic>,
}

impl Executor<'_> {
    /// Evaluates `expr` (reading only column 0, named `name`) once per
    /// distinct value and spreads the results to the rows.
    pub(super) fn eval_on_distinct(
        &mut self,
        expr: &BoundExpr,
        name: &str,
        values: &DistinctValues,
    ) -> Result<Arc<Column>, EvalError> {
        let n = values.distinct.len();
        let table = build_table(
            vec![(
                name.to_string(),
                Arc::new(Column::new(ColumnData::Dynamic(values.distinct.clone()))),
            )],
            n,
        )?;
        let per_value = self.eval(expr, &table)?.into_column(n);
        Ok(Arc::new(per_value.take(&values.codes)))
    }
}
