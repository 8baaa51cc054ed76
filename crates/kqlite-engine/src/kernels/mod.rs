//! Whole-column expression kernels: the operators of KQL scalar expressions.
//!
//! The binder type-checks an expression with the `*_type` functions and the
//! evaluator then calls the matching kernel once per batch. Every kernel
//! takes [`ColumnarValue`]s, so a literal operand costs nothing per row, and
//! an all-scalar call returns a scalar (constant folding reuses the kernels).
//!
//! String predicates on dictionary-encoded columns run once per distinct
//! value and map the codes, so `ClientApp has_any (...)` over millions of
//! rows costs a handful of term scans.

pub(crate) mod access;
mod arith;
mod compare;
pub mod convert;
pub(crate) mod list;
pub(crate) mod strings;

use std::sync::Arc;

use kqlite_parser::ast::{BinaryOp, ListOp, UnaryOp};

use crate::bitmap::Bitmap;
use crate::column::{Column, ColumnData};
use crate::function::{ColumnarValue, FunctionError};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(crate) use access::value_to_dynamic;
pub(crate) use compare::dynamic_order;
pub(crate) use strings::compile_regex;

pub use convert::{convert_value, parse_value};

/// The result type of `l op r`, or why the operands do not fit.
///
/// Arithmetic promotes int → long → real → decimal (a dynamic operand counts
/// as real) and knows datetime/timespan rules (`datetime - datetime` is a
/// timespan, `timespan / timespan` a real, ...). Comparisons, string
/// operators and `and`/`or` return `bool`. A string compared with `==`/`!=`
/// to a number is accepted (it compares against the number's text; the
/// binder should warn).
pub fn binary_type(op: BinaryOp, l: DataType, r: DataType) -> Result<DataType, FunctionError> {
    let ok = match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            return arith::arith_type(op, l, r).ok_or_else(|| operand_error(op, l, r));
        }
        BinaryOp::And | BinaryOp::Or => {
            matches!(l, DataType::Bool | DataType::Dynamic)
                && matches!(r, DataType::Bool | DataType::Dynamic)
        }
        BinaryOp::Str(_) => true,
        _ => compare::comparable(op, l, r),
    };
    if ok {
        Ok(DataType::Bool)
    } else {
        Err(operand_error(op, l, r))
    }
}

fn operand_error(op: BinaryOp, l: DataType, r: DataType) -> FunctionError {
    FunctionError::Invalid(format!("operator {op} cannot be applied to {l} and {r}"))
}

/// Evaluates `l op r` over `rows` rows (see [`binary_type`] for the types).
///
/// Null rules follow Kusto: arithmetic with a null is null; `==` with one
/// null operand is false and with two nulls null; `!=` with one null is
/// true; `<`, `>`, ... with a null are null; `and`/`or` use three-valued
/// logic (`null and false` is false, `null or true` is true).
pub fn binary(
    op: BinaryOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            arith::arith(op, l, r, rows)
        }
        BinaryOp::And | BinaryOp::Or => Ok(logic(op == BinaryOp::And, l, r, rows)),
        BinaryOp::Str(s) => strings::string_op(s, l, r, rows),
        _ => compare::compare(op, l, r, rows),
    }
}

/// Three-valued `and` / `or`.
fn logic(and: bool, l: &ColumnarValue, r: &ColumnarValue, rows: usize) -> ColumnarValue {
    let l = as_bool(l, rows);
    let r = as_bool(r, rows);
    let (n, scalar) = access::rows_for(&[&l, &r], rows);
    // Fast path: two non-null bool columns combine word-wise.
    if let (ColumnarValue::Column(a), ColumnarValue::Column(b)) = (&l, &r) {
        if let (ColumnData::Bool(x), ColumnData::Bool(y), None, None) =
            (&a.data, &b.data, &a.validity, &b.validity)
        {
            let v = x
                .iter()
                .zip(y)
                .map(|(p, q)| if and { *p && *q } else { *p || *q })
                .collect();
            return ColumnarValue::Column(Arc::new(Column::new(ColumnData::Bool(v))));
        }
    }
    let (Some(a), Some(b)) = (access::ints(&l), access::ints(&r)) else {
        return ColumnarValue::Scalar(Value::Null, DataType::Bool);
    };
    access::bools(n, scalar, |i| {
        let (x, y) = (a.get(i).map(|v| v != 0), b.get(i).map(|v| v != 0));
        if and {
            match (x, y) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            }
        } else {
            match (x, y) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        }
    })
}

fn as_bool(v: &ColumnarValue, rows: usize) -> ColumnarValue {
    if v.data_type() == DataType::Bool {
        v.clone()
    } else {
        convert::convert(v, DataType::Bool, rows)
    }
}

/// Logical `not()`: null stays null.
pub fn not(v: &ColumnarValue, rows: usize) -> ColumnarValue {
    let b = as_bool(v, rows);
    let (n, scalar) = access::rows_for(&[&b], rows);
    match access::ints(&b) {
        Some(a) => access::bools(n, scalar, |i| a.get(i).map(|x| x == 0)),
        None => ColumnarValue::Scalar(Value::Null, DataType::Bool),
    }
}

/// Evaluates a unary operator: `-x` on numbers and timespans, `+x` (identity).
pub fn unary(op: UnaryOp, v: &ColumnarValue, rows: usize) -> Result<ColumnarValue, FunctionError> {
    match op {
        UnaryOp::Neg => arith::negate(v, rows),
        UnaryOp::Plus => {
            let t = v.data_type();
            if t.is_numeric() || matches!(t, DataType::TimeSpan | DataType::Dynamic) {
                Ok(v.clone())
            } else {
                Err(FunctionError::Invalid(format!(
                    "unary plus cannot be applied to {t}"
                )))
            }
        }
    }
}

/// The type of a list operator (`in`, `!in`, `in~`, `!in~`, `has_any`,
/// `has_all`): always `bool`. Any element types are accepted (they are
/// flattened and compared by the rules of [`list`]).
pub fn list_type(op: ListOp, v: DataType, items: &[DataType]) -> Result<DataType, FunctionError> {
    let _ = (op, v, items);
    Ok(DataType::Bool)
}

/// Evaluates a list operator against already evaluated, constant `items`.
///
/// Dynamic array items are flattened (recursively); null items are
/// ignored. `in` is case-sensitive exact text for strings, `in~`
/// case-insensitive; numbers compare numerically across int/long/real; a
/// dynamic left operand compares its text against string items. `has_any`
/// is true when any item is a term of the value (false for an empty list);
/// `has_all` when all are (true for an empty list). A null left operand is
/// never `in` a list.
pub fn list(
    op: ListOp,
    v: &ColumnarValue,
    items: &[Value],
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    list::list(op, v, items, rows)
}

/// `v between (low .. high)` (inclusive), or `!between` when `negated`.
///
/// For datetimes, a timespan `high` means `low + high`. A null operand gives
/// null.
pub fn between(
    v: &ColumnarValue,
    low: &ColumnarValue,
    high: &ColumnarValue,
    negated: bool,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    let high = if v.data_type() == DataType::DateTime && high.data_type() == DataType::TimeSpan {
        arith::arith(BinaryOp::Add, low, high, rows)?
    } else {
        high.clone()
    };
    let ge = compare::compare(BinaryOp::GtEq, v, low, rows)?;
    let le = compare::compare(BinaryOp::LtEq, v, &high, rows)?;
    let both = logic(true, &ge, &le, rows);
    Ok(if negated { not(&both, rows) } else { both })
}

/// Member access `v.key` / `v["key"]` on a dynamic value; missing keys,
/// non-bags and non-dynamic operands give a null dynamic.
pub fn member(v: &ColumnarValue, key: &str, rows: usize) -> ColumnarValue {
    let _ = rows;
    match v {
        ColumnarValue::Column(c) => match &c.data {
            ColumnData::Dynamic(d) => {
                // Rows parsed from the same log source share their key order,
                // so the key's position in the previous bag is tried first
                // (one string comparison instead of a hash lookup).
                let mut hint: Option<usize> = None;
                let out: Vec<Dynamic> = d
                    .iter()
                    .map(|x| match x {
                        Dynamic::Bag(bag) => {
                            if let Some((k, v)) = hint.and_then(|h| bag.get_index(h)) {
                                if k.as_ref() == key {
                                    return v.clone();
                                }
                            }
                            match bag.get_full(key) {
                                Some((i, _, v)) => {
                                    hint = Some(i);
                                    v.clone()
                                }
                                None => Dynamic::Null,
                            }
                        }
                        _ => Dynamic::Null,
                    })
                    .collect();
                ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(out))))
            }
            // The key's child column, shared rather than rebuilt per row.
            ColumnData::Shredded(s) => ColumnarValue::Column(Arc::new(Column::new(s.member(key)))),
            _ => ColumnarValue::Scalar(Value::Dynamic(Dynamic::Null), DataType::Dynamic),
        },
        ColumnarValue::Scalar(Value::Dynamic(d), _) => {
            ColumnarValue::Scalar(Value::Dynamic(d.get(key).clone()), DataType::Dynamic)
        }
        ColumnarValue::Scalar(..) => {
            ColumnarValue::Scalar(Value::Dynamic(Dynamic::Null), DataType::Dynamic)
        }
    }
}

/// Indexing `v[idx]`: a long/int index into a dynamic array (negative
/// counts from the end), or a string key into a bag. Anything else gives a
/// null dynamic.
pub fn index(v: &ColumnarValue, idx: &ColumnarValue, rows: usize) -> ColumnarValue {
    if let (ColumnarValue::Column(c), ColumnarValue::Scalar(Value::String(key), _)) = (v, idx) {
        if matches!(c.data, ColumnData::Shredded(_)) {
            return member(v, key, rows);
        }
    }
    let (n, scalar) = access::rows_for(&[v, idx], rows);
    let Some(d) = access::dyns(v) else {
        return ColumnarValue::Scalar(Value::Dynamic(Dynamic::Null), DataType::Dynamic);
    };
    if let Some(s) = access::strs(idx) {
        return access::dynamics(n, scalar, |i| d.get(i).get(s.get(i)).clone());
    }
    match access::ints(idx) {
        Some(k) if matches!(idx.data_type(), DataType::Int | DataType::Long) => {
            access::dynamics(n, scalar, |i| match k.get(i) {
                Some(j) => d.get(i).at(j).clone(),
                None => Dynamic::Null,
            })
        }
        _ => ColumnarValue::Scalar(Value::Dynamic(Dynamic::Null), DataType::Dynamic),
    }
}

/// Converts `v` to `to` (implicit widening such as int → long → real, and
/// the conversions behind `tostring`, `tolong`, ...). Values that cannot be
/// converted become null.
pub fn cast(v: &ColumnarValue, to: DataType, rows: usize) -> ColumnarValue {
    convert::convert(v, to, rows)
}

/// The rows a `where` keeps: set where the predicate is a non-null `true`.
pub fn filter_mask(predicate: &ColumnarValue, rows: usize) -> Bitmap {
    match predicate {
        ColumnarValue::Scalar(Value::Bool(true), _) => Bitmap::new(rows, true),
        ColumnarValue::Scalar(Value::Dynamic(Dynamic::Bool(true)), _) => Bitmap::new(rows, true),
        ColumnarValue::Scalar(..) => Bitmap::new(rows, false),
        ColumnarValue::Column(c) => match &c.data {
            ColumnData::Bool(v) => {
                let bits = Bitmap::from_bools(v.iter().copied());
                match &c.validity {
                    Some(valid) => bits.and(valid),
                    None => bits,
                }
            }
            ColumnData::Dynamic(v) => {
                Bitmap::from_bools(v.iter().map(|d| matches!(d, Dynamic::Bool(true))))
            }
            ColumnData::Shredded(s) => match s.part() {
                crate::shred::Part::Bools(b) => Bitmap::from_bools(
                    (0..s.len()).map(|i| s.is_present(i) && b.get(i).copied().unwrap_or(false)),
                ),
                _ => Bitmap::from_bools(
                    (0..s.len()).map(|i| matches!(s.value(i), Dynamic::Bool(true))),
                ),
            },
            _ => Bitmap::new(rows, false),
        },
    }
}

#[cfg(test)]
mod tests {
    use kqlite_parser::ast::{StrOp, StrOpKind};

    use super::*;
    use crate::column::ColumnBuilder;

    fn bool_col(v: &[Option<bool>]) -> ColumnarValue {
        let mut b = ColumnBuilder::new(DataType::Bool, v.len());
        for x in v {
            b.push(&x.map_or(Value::Null, Value::Bool)).unwrap();
        }
        ColumnarValue::Column(Arc::new(b.finish()))
    }

    fn values(v: &ColumnarValue, n: usize) -> Vec<Value> {
        (0..n).map(|i| v.get(i)).collect()
    }

    fn dict(values: &[&str]) -> ColumnarValue {
        ColumnarValue::Column(Arc::new(Column::new(ColumnData::String(
            crate::column::StringColumn::dictionary(values.iter().copied()),
        ))))
    }

    fn lit(v: Value) -> ColumnarValue {
        let t = v.data_type().unwrap_or(DataType::Dynamic);
        ColumnarValue::Scalar(v, t)
    }

    #[test]
    fn the_shipped_query_predicates_evaluate_over_a_batch() {
        let rows = 4;
        let location = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(
            ["KP", "US", "RU", "FR"]
                .iter()
                .map(|c| Dynamic::from_json(&serde_json::json!({ "countryOrRegion": c })))
                .collect(),
        ))));
        let result_type = dict(&["0", "0", "50126", "0"]);
        let client_app = dict(&[
            "Browser",
            "IMAP4",
            "Exchange ActiveSync",
            "Authenticated SMTP",
        ]);

        let success = binary(BinaryOp::Eq, &result_type, &lit(Value::Long(0)), rows).unwrap();
        let country = cast(
            &member(&location, "countryOrRegion", rows),
            DataType::String,
            rows,
        );
        let suspicious = Value::Dynamic(Dynamic::from_json(&serde_json::json!([
            "KP", "IR", "RU", "CN", "BY"
        ])));
        let in_list = list(ListOp::In, &country, &[suspicious], rows).unwrap();
        let legacy = Value::Dynamic(Dynamic::from_json(&serde_json::json!([
            "IMAP",
            "SMTP",
            "ActiveSync"
        ])));
        let is_legacy = list(ListOp::HasAny, &client_app, &[legacy], rows).unwrap();
        let flagged = binary(BinaryOp::Or, &in_list, &is_legacy, rows).unwrap();
        let keep = binary(BinaryOp::And, &success, &flagged, rows).unwrap();

        assert_eq!(
            values(&is_legacy, rows),
            [false, false, true, true].map(Value::Bool)
        );
        assert_eq!(filter_mask(&keep, rows).ones().collect::<Vec<_>>(), [0, 3]);
    }

    #[test]
    fn and_or_use_three_valued_logic() {
        let l = bool_col(&[None, None, None, Some(true)]);
        let r = bool_col(&[Some(false), Some(true), None, Some(true)]);
        let and = binary(BinaryOp::And, &l, &r, 4).unwrap();
        assert_eq!(
            values(&and, 4),
            [
                Value::Bool(false),
                Value::Null,
                Value::Null,
                Value::Bool(true)
            ]
        );
        let or = binary(BinaryOp::Or, &l, &r, 4).unwrap();
        assert_eq!(
            values(&or, 4),
            [
                Value::Null,
                Value::Bool(true),
                Value::Null,
                Value::Bool(true)
            ]
        );
    }

    #[test]
    fn where_drops_null_and_false() {
        let p = bool_col(&[Some(true), None, Some(false), Some(true)]);
        let m = filter_mask(&p, 4);
        assert_eq!(m.ones().collect::<Vec<_>>(), [0, 3]);
    }

    #[test]
    fn member_access_walks_dynamic_bags() {
        let bag =
            Dynamic::from_json(&serde_json::json!({"countryOrRegion": "KP", "city": "Pyongyang"}));
        let col = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(vec![
            bag,
            Dynamic::Null,
        ]))));
        let m = member(&col, "countryOrRegion", 2);
        assert_eq!(
            values(&m, 2),
            [
                Value::Dynamic(Dynamic::String("KP".into())),
                Value::Dynamic(Dynamic::Null)
            ]
        );
        let s = ColumnarValue::Scalar(Value::string("x"), DataType::String);
        assert_eq!(member(&s, "a", 1).get(0), Value::Dynamic(Dynamic::Null));
    }

    #[test]
    fn index_reads_arrays_from_the_end_and_bags_by_key() {
        let d = ColumnarValue::Scalar(
            Value::Dynamic(Dynamic::from_json(&serde_json::json!([1, 2, 3]))),
            DataType::Dynamic,
        );
        let i = ColumnarValue::Scalar(Value::Long(-1), DataType::Long);
        assert_eq!(index(&d, &i, 1).get(0), Value::Dynamic(Dynamic::Long(3)));
    }

    #[test]
    fn binary_type_accepts_string_against_number_for_equality_only() {
        assert_eq!(
            binary_type(BinaryOp::Eq, DataType::String, DataType::Long),
            Ok(DataType::Bool)
        );
        assert!(binary_type(BinaryOp::Lt, DataType::String, DataType::Long).is_err());
        assert_eq!(
            binary_type(BinaryOp::Sub, DataType::DateTime, DataType::DateTime),
            Ok(DataType::TimeSpan)
        );
        assert!(binary_type(BinaryOp::Add, DataType::String, DataType::Long).is_err());
    }

    #[test]
    fn string_operators_run_through_binary() {
        let op = BinaryOp::Str(StrOp {
            kind: StrOpKind::Has,
            negated: true,
            case_sensitive: false,
        });
        let l = ColumnarValue::Scalar(Value::string("KustoExplorerQueryRun"), DataType::String);
        let r = ColumnarValue::Scalar(Value::string("Explorer"), DataType::String);
        assert_eq!(binary(op, &l, &r, 1).unwrap().get(0), Value::Bool(true));
    }

    #[test]
    fn between_is_inclusive_and_accepts_a_timespan_width() {
        let v = ColumnarValue::Scalar(Value::Long(5), DataType::Long);
        let lo = ColumnarValue::Scalar(Value::Long(1), DataType::Long);
        let hi = ColumnarValue::Scalar(Value::Long(5), DataType::Long);
        assert_eq!(
            between(&v, &lo, &hi, false, 1).unwrap().get(0),
            Value::Bool(true)
        );
        assert_eq!(
            between(&v, &lo, &hi, true, 1).unwrap().get(0),
            Value::Bool(false)
        );
        let d = ColumnarValue::Scalar(Value::DateTime(100), DataType::DateTime);
        let start = ColumnarValue::Scalar(Value::DateTime(50), DataType::DateTime);
        let width = ColumnarValue::Scalar(Value::TimeSpan(50), DataType::TimeSpan);
        assert_eq!(
            between(&d, &start, &width, false, 1).unwrap().get(0),
            Value::Bool(true)
        );
    }
}

#[cfg(test)]
mod properties {
    use kqlite_parser::ast::{StrOp, StrOpKind};
    use proptest::prelude::*;

    use super::*;
    use crate::column::{StringArray, StringColumn};

    fn plain_and_dict(values: &[String]) -> (ColumnarValue, ColumnarValue) {
        let plain: StringArray = values.iter().map(String::as_str).collect();
        let dict = StringColumn::dictionary(values.iter().map(String::as_str));
        let wrap = |s| ColumnarValue::Column(Arc::new(Column::new(ColumnData::String(s))));
        (wrap(StringColumn::Plain(plain)), wrap(dict))
    }

    fn kinds() -> impl Strategy<Value = StrOpKind> {
        prop_oneof![
            Just(StrOpKind::Has),
            Just(StrOpKind::HasPrefix),
            Just(StrOpKind::HasSuffix),
            Just(StrOpKind::Contains),
            Just(StrOpKind::StartsWith),
            Just(StrOpKind::EndsWith),
        ]
    }

    proptest! {
        #[test]
        fn dictionary_and_plain_columns_give_the_same_answers(
            values in proptest::collection::vec("[a-cA-C _-]{0,8}", 1..40),
            needle in "[a-cA-C _-]{0,4}",
            kind in kinds(),
            negated in any::<bool>(),
            case_sensitive in any::<bool>(),
        ) {
            let (plain, dict) = plain_and_dict(&values);
            let op = BinaryOp::Str(StrOp { kind, negated, case_sensitive });
            let r = ColumnarValue::Scalar(Value::string(needle.as_str()), DataType::String);
            let n = values.len();
            let a = binary(op, &plain, &r, n).unwrap();
            let b = binary(op, &dict, &r, n).unwrap();
            for i in 0..n {
                prop_assert_eq!(a.get(i), b.get(i));
            }
        }

        #[test]
        fn case_insensitive_operators_ignore_ascii_case(
            hay in "[a-zA-Z0-9 ._-]{0,16}",
            needle in "[a-zA-Z0-9 ._-]{0,6}",
            kind in kinds(),
        ) {
            let eval = |h: &str, n: &str| {
                let op = BinaryOp::Str(StrOp { kind, negated: false, case_sensitive: false });
                let l = ColumnarValue::Scalar(Value::string(h), DataType::String);
                let r = ColumnarValue::Scalar(Value::string(n), DataType::String);
                binary(op, &l, &r, 1).unwrap().get(0)
            };
            prop_assert_eq!(eval(&hay, &needle), eval(&hay.to_uppercase(), &needle.to_lowercase()));
        }

        #[test]
        fn has_implies_contains(hay in "[a-c ._]{0,12}", needle in "[a-c]{1,3}") {
            let has = super::strings::Needle::new(&needle, false);
            prop_assert!(!has.has(&hay) || has.contained_in(&hay));
        }
    }
}
