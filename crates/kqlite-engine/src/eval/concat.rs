//! Concatenating columns (for `union`).

use std::sync::Arc;

use crate::bitmap::Bitmap;
use crate::column::{encode_strings, Column, ColumnBuilder, ColumnData, StringArray};
use crate::types::DataType;
use crate::value::Value;

/// The rows of `pieces` one after another, as a column of type `ty`.
/// Pieces of another type (which the binder rules out) contribute nulls.
pub fn concat_columns(pieces: &[Arc<Column>], ty: DataType) -> Column {
    let total: usize = pieces.iter().map(|c| c.len()).sum();
    let validity = Bitmap::from_bools(
        pieces
            .iter()
            .flat_map(|c| (0..c.len()).map(move |i| !c.is_null(i))),
    );
    macro_rules! primitive {
        ($variant:ident) => {{
            let mut v: Vec<_> = Vec::with_capacity(total);
            for c in pieces {
                match &c.data {
                    ColumnData::$variant(x) => v.extend_from_slice(x),
                    _ => v.resize(v.len() + c.len(), Default::default()),
                }
            }
            Column::with_validity(ColumnData::$variant(v), Some(validity))
        }};
    }
    match ty {
        DataType::Bool => primitive!(Bool),
        DataType::Int => primitive!(Int),
        DataType::Long => primitive!(Long),
        DataType::Real => primitive!(Real),
        DataType::Decimal => primitive!(Decimal),
        DataType::DateTime => primitive!(DateTime),
        DataType::TimeSpan => primitive!(TimeSpan),
        DataType::Guid => primitive!(Guid),
        DataType::String => {
            let mut a = StringArray::with_capacity(total, 0);
            for c in pieces {
                match &c.data {
                    ColumnData::String(s) => (0..s.len()).for_each(|i| a.push(s.get(i))),
                    _ => (0..c.len()).for_each(|_| a.push("")),
                }
            }
            Column::new(ColumnData::String(encode_strings(a)))
        }
        DataType::Dynamic => {
            let mut b = ColumnBuilder::new(DataType::Dynamic, total);
            for c in pieces {
                for i in 0..c.len() {
                    let v = c.get(i);
                    if !matches!(v, Value::Dynamic(_)) || b.push(&v).is_err() {
                        b.push_null();
                    }
                }
            }
            b.finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenation_keeps_nulls_from_each_piece() {
        let a = Arc::new(Column::new(ColumnData::Long(vec![1, 2])));
        let b = Arc::new(Column::nulls(DataType::Long, 1));
        let c = concat_columns(&[a, b], DataType::Long);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(1), Value::Long(2));
        assert!(c.is_null(2));
    }
}
