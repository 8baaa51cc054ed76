//! `estimate_data_size(columns)`: the estimated size in bytes of a row's
//! values.
//!
//! Microsoft's reference gives two sizes: a long is 8 bytes and a string
//! its length (its UTF-8 bytes). For the other types it gives none, so
//! kqlite counts their storage width: a bool 1 byte, an int 4, a real,
//! datetime or timespan 8, a guid or decimal 16. A dynamic value counts the
//! bytes of its JSON text (the reference says Kusto's estimate of a
//! dynamic value is larger than that of the same text as a string). A null
//! counts 0. The binder expands `estimate_data_size(*)` to every column of
//! the row.

use super::{arity, rowwise, Func};
use crate::function::FunctionProperties;
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    vec![Func {
        name: "estimate_data_size",
        signature: |a| arity(a, 1, usize::MAX).map(|_| DataType::Long),
        properties: FunctionProperties::PLAIN,
        evaluate: |args, rows, _| {
            Ok(rowwise(args, rows, DataType::Long, |cells| {
                let total = cells.iter().map(size_of).fold(0i64, i64::saturating_add);
                Value::Long(total)
            }))
        },
    }]
}

/// The estimated size of one value, in bytes.
fn size_of(v: &Value) -> i64 {
    let bytes = match v {
        Value::Null | Value::Dynamic(crate::value::Dynamic::Null) => 0,
        Value::Bool(_) => 1,
        Value::Int(_) => 4,
        Value::Long(_) | Value::Real(_) | Value::DateTime(_) | Value::TimeSpan(_) => 8,
        Value::Guid(_) | Value::Decimal(_) => 16,
        Value::String(s) => s.len(),
        Value::Dynamic(d) => d.to_json().to_string().len(),
    };
    i64::try_from(bytes).unwrap_or(i64::MAX)
}
