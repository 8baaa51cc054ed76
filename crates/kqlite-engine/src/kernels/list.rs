//! List operators: `in`, `!in`, `in~`, `!in~`, `has_any`, `has_all`.

use kqlite_parser::ast::ListOp;
use rustc_hash::FxHashSet;

use super::access::{self, ints, reals_of, rows_for, string_predicate, strs};
use super::compare::cmp_str;
use super::convert;
use super::strings::{as_string, Needle};
use std::sync::Arc;

use crate::column::ColumnBuilder;
use crate::function::{
    ColumnarValue, EvalContext, FunctionError, FunctionProperties, ScalarFunction,
};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Flattens list items: dynamic arrays contribute their elements (nested
/// arrays too); nulls are dropped.
pub(crate) fn flatten_items(items: &[Value]) -> Vec<Value> {
    fn push_dynamic(d: &Dynamic, out: &mut Vec<Value>) {
        match d {
            Dynamic::Array(a) => a.iter().for_each(|x| push_dynamic(x, out)),
            Dynamic::Null => {}
            other => out.push(access::dynamic_to_value(other)),
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Dynamic(d) => push_dynamic(d, &mut out),
            Value::Null => {}
            other => out.push(other.clone()),
        }
    }
    out
}

/// Evaluates a list operator; see [`super::list`].
pub(crate) fn list(
    op: ListOp,
    v: &ColumnarValue,
    items: &[Value],
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    let items = flatten_items(items);
    let (n, scalar) = rows_for(&[v], rows);
    match op {
        ListOp::HasAny | ListOp::HasAll => {
            let s = as_string(v, rows);
            let hay =
                strs(&s).ok_or_else(|| FunctionError::Invalid("has_any on non-string".into()))?;
            let needles: Vec<Needle> = items
                .iter()
                .map(|it| Needle::new(&it.to_string(), false))
                .collect();
            let any = op == ListOp::HasAny;
            Ok(string_predicate(hay, n, scalar, |x| {
                if any {
                    needles.iter().any(|nd| nd.has(x))
                } else {
                    needles.iter().all(|nd| nd.has(x))
                }
            }))
        }
        ListOp::In | ListOp::NotIn | ListOp::InCi | ListOp::NotInCi => {
            let negated = matches!(op, ListOp::NotIn | ListOp::NotInCi);
            let ci = matches!(op, ListOp::InCi | ListOp::NotInCi);
            in_list(v, &items, negated, ci, n, scalar, rows)
        }
    }
}

/// A list operator whose items are not all constants (a column, a `let`
/// bound to `pack_array(...)`, `split(...)`, ...), bound as a call
/// `op(value, item1, item2, ...)`. Items that are the same for every row
/// are evaluated once and matched like a constant list; otherwise each row
/// is matched against its own items, dynamic arrays flattened.
pub(crate) struct ListCall {
    op: ListOp,
}

impl ListCall {
    /// The call for `op`.
    pub(crate) fn new(op: ListOp) -> ListCall {
        ListCall { op }
    }
}

impl ScalarFunction for ListCall {
    fn name(&self) -> &'static str {
        match self.op {
            ListOp::In => "in",
            ListOp::NotIn => "!in",
            ListOp::InCi => "in~",
            ListOp::NotInCi => "!in~",
            ListOp::HasAny => "has_any",
            ListOp::HasAll => "has_all",
        }
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        if args.is_empty() {
            return Err(FunctionError::Arity {
                expected: "at least 1".into(),
                got: 0,
            });
        }
        Ok(DataType::Bool)
    }

    fn properties(&self) -> FunctionProperties {
        FunctionProperties::PLAIN
    }

    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        _: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError> {
        let Some((v, items)) = args.split_first() else {
            return Ok(ColumnarValue::Scalar(Value::Null, DataType::Bool));
        };
        if items.iter().all(|a| matches!(a, ColumnarValue::Scalar(..))) {
            let values: Vec<Value> = items.iter().map(|a| a.get(0)).collect();
            return list(self.op, v, &values, rows);
        }
        let t = v.data_type();
        let mut out = ColumnBuilder::new(DataType::Bool, rows);
        let mut values = Vec::with_capacity(items.len());
        for i in 0..rows {
            values.clear();
            values.extend(items.iter().map(|a| a.get(i)));
            let r = list(self.op, &ColumnarValue::Scalar(v.get(i), t), &values, 1)?;
            if out.push(&r.get(0)).is_err() {
                out.push_null();
            }
        }
        Ok(ColumnarValue::Column(Arc::new(out.finish())))
    }
}

fn in_list(
    v: &ColumnarValue,
    items: &[Value],
    negated: bool,
    ci: bool,
    n: usize,
    scalar: bool,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    let t = v.data_type();
    let text_mode = t == DataType::String
        || ci
        || (t == DataType::Dynamic && items.iter().any(|x| matches!(x, Value::String(_))));
    if text_mode {
        let texts: Vec<String> = items.iter().map(|x| x.to_string()).collect();
        let s = as_string(v, rows);
        let hay = strs(&s).ok_or_else(|| FunctionError::Invalid("in on non-string".into()))?;
        let nullable = t != DataType::String;
        let found: Box<dyn Fn(&str) -> bool> = if ci {
            Box::new(move |x: &str| texts.iter().any(|t| cmp_str(x, t, true).is_eq()))
        } else {
            let set: FxHashSet<String> = texts.into_iter().collect();
            Box::new(move |x: &str| set.contains(x))
        };
        if !nullable {
            return Ok(string_predicate(hay, n, scalar, |x| found(x) != negated));
        }
        return Ok(access::bools(n, scalar, |i| {
            if access::is_null_at(v, i) {
                return Some(negated);
            }
            Some(found(hay.get(i)) != negated)
        }));
    }
    if matches!(t, DataType::Int | DataType::Long) {
        if let Some(a) = ints(v) {
            let exact: FxHashSet<i64> = items
                .iter()
                .filter_map(|x| match x {
                    Value::Int(i) => Some(*i as i64),
                    Value::Long(i) => Some(*i),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                })
                .collect();
            let reals: Vec<f64> = items
                .iter()
                .filter_map(|x| match x {
                    Value::Real(r) => Some(*r),
                    Value::Decimal(d) => rust_decimal::prelude::ToPrimitive::to_f64(d),
                    _ => None,
                })
                .collect();
            return Ok(access::bools(n, scalar, |i| {
                let hit = a
                    .get(i)
                    .is_some_and(|x| exact.contains(&x) || reals.contains(&(x as f64)));
                Some(hit != negated)
            }));
        }
    }
    if matches!(t, DataType::Real | DataType::Decimal) {
        if let Some(a) = reals_of(v) {
            let wanted: Vec<f64> = items
                .iter()
                .filter_map(|x| match convert::convert_value(x, DataType::Real) {
                    Value::Real(r) if x.data_type().is_some_and(DataType::is_numeric) => Some(r),
                    _ => None,
                })
                .collect();
            return Ok(access::bools(n, scalar, |i| {
                let hit = a.get(i).is_some_and(|x| wanted.contains(&x));
                Some(hit != negated)
            }));
        }
    }
    // Other types: compare values of the column's type.
    let wanted: Vec<Value> = items
        .iter()
        .map(|x| convert::convert_value(x, t))
        .filter(|x| !x.is_null())
        .collect();
    Ok(access::bools(n, scalar, |i| {
        let x = v.get(i);
        let hit = !x.is_null() && wanted.contains(&x);
        Some(hit != negated)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::{Column, ColumnData, StringColumn};

    fn dict(values: &[&str]) -> ColumnarValue {
        ColumnarValue::Column(Arc::new(Column::new(ColumnData::String(
            StringColumn::dictionary(values.iter().copied()),
        ))))
    }

    fn arr(values: &[&str]) -> Value {
        Value::Dynamic(Dynamic::Array(Arc::new(
            values
                .iter()
                .map(|s| Dynamic::String((*s).into()))
                .collect(),
        )))
    }

    fn bools(v: &ColumnarValue, n: usize) -> Vec<Value> {
        (0..n).map(|i| v.get(i)).collect()
    }

    #[test]
    fn in_is_case_sensitive_and_flattens_dynamic_arrays() {
        let col = dict(&["KP", "kp", "US", "IR"]);
        let r = list(ListOp::In, &col, &[arr(&["KP", "IR", "RU"])], 4).unwrap();
        assert_eq!(bools(&r, 4), [true, false, false, true].map(Value::Bool));
        let r = list(ListOp::InCi, &col, &[arr(&["KP"])], 4).unwrap();
        assert_eq!(bools(&r, 4), [true, true, false, false].map(Value::Bool));
        let r = list(ListOp::NotIn, &col, &[Value::string("US")], 4).unwrap();
        assert_eq!(bools(&r, 4), [true, true, false, true].map(Value::Bool));
    }

    #[test]
    fn has_any_of_an_empty_list_matches_nothing_and_has_all_everything() {
        let col = dict(&["IMAP", "Browser"]);
        let any = list(ListOp::HasAny, &col, &[arr(&[])], 2).unwrap();
        assert_eq!(bools(&any, 2), [false, false].map(Value::Bool));
        let all = list(ListOp::HasAll, &col, &[], 2).unwrap();
        assert_eq!(bools(&all, 2), [true, true].map(Value::Bool));
    }

    #[test]
    fn has_any_uses_term_matching() {
        let col = dict(&[
            "IMAP4",
            "Exchange ActiveSync",
            "Outlook Anywhere (RPC over HTTP)",
            "Browser",
        ]);
        let legacy = arr(&["IMAP", "ActiveSync", "Outlook Anywhere"]);
        let r = list(ListOp::HasAny, &col, &[legacy], 4).unwrap();
        assert_eq!(bools(&r, 4), [false, true, true, false].map(Value::Bool));
    }

    #[test]
    fn numbers_in_a_list_compare_numerically_across_types() {
        let col = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Int(vec![1, 2, 3]))));
        let r = list(ListOp::In, &col, &[Value::Long(1), Value::Real(3.0)], 3).unwrap();
        assert_eq!(bools(&r, 3), [true, false, true].map(Value::Bool));
        let r = list(ListOp::In, &col, &[Value::string("2")], 3).unwrap();
        assert_eq!(bools(&r, 3), [false, true, false].map(Value::Bool));
    }

    #[test]
    fn a_string_column_in_a_number_list_compares_text() {
        let col = dict(&["0", "50126", "0"]);
        let r = list(
            ListOp::In,
            &col,
            &[Value::Long(50126), Value::Long(50053)],
            3,
        )
        .unwrap();
        assert_eq!(bools(&r, 3), [false, true, false].map(Value::Bool));
    }

    #[test]
    fn a_list_call_matches_each_row_against_its_own_items() {
        let col = dict(&["a", "b", "c"]);
        let per_row = ColumnarValue::Column(Arc::new(Column::new(ColumnData::String(
            StringColumn::dictionary(["x", "b", "C"]),
        ))));
        let ctx = EvalContext { now: 0 };
        let f = ListCall::new(ListOp::In);
        let r = f.invoke(&[col.clone(), per_row.clone()], 3, &ctx).unwrap();
        assert_eq!(bools(&r, 3), [false, true, false].map(Value::Bool));
        let r = ListCall::new(ListOp::InCi)
            .invoke(&[col.clone(), per_row], 3, &ctx)
            .unwrap();
        assert_eq!(bools(&r, 3), [false, true, true].map(Value::Bool));
        let constant = ColumnarValue::Scalar(arr(&["a", "c"]), DataType::Dynamic);
        let r = ListCall::new(ListOp::NotIn)
            .invoke(&[col, constant], 3, &ctx)
            .unwrap();
        assert_eq!(bools(&r, 3), [false, true, false].map(Value::Bool));
    }

    #[test]
    fn a_dynamic_value_in_a_string_list_compares_its_text() {
        let d = ColumnarValue::Scalar(
            Value::Dynamic(Dynamic::String("RU".into())),
            DataType::Dynamic,
        );
        let r = list(ListOp::In, &d, &[arr(&["RU"])], 1).unwrap();
        assert_eq!(r.get(0), Value::Bool(true));
    }
}
