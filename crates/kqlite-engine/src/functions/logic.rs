//! Conversions (`tostring`, `tolong`, `todatetime`, `todynamic`, ...),
//! conditionals (`iff`, `case`, `coalesce`) and null tests.

use std::sync::Arc;

use super::{arg, arity, expect, rowwise, Func};
use crate::column::{Column, ColumnData};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::kernels::{self, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    let mut v = vec![
        Func::plain("tostring", one_to(DataType::String), |a, r, _| {
            let x = arg(a, 0);
            if let Some(done) = convert::shredded_to_string(&x, crate::function::MAX_VALUE_BYTES) {
                return done;
            }
            if x.data_type() == DataType::Dynamic {
                super::dynamic::check_text_sizes(&x, r)?;
            }
            Ok(convert::to_string(&x, r))
        }),
        Func::plain("toint", one_to(DataType::Int), |a, r, _| {
            Ok(kernels::cast(&arg(a, 0), DataType::Int, r))
        }),
        Func::plain("tolong", one_to(DataType::Long), |a, r, _| {
            Ok(kernels::cast(&arg(a, 0), DataType::Long, r))
        }),
        Func::plain("todecimal", one_to(DataType::Decimal), |a, r, _| {
            Ok(kernels::cast(&arg(a, 0), DataType::Decimal, r))
        }),
        Func::plain("todatetime", one_to(DataType::DateTime), |a, r, _| {
            Ok(kernels::cast(&arg(a, 0), DataType::DateTime, r))
        }),
        Func::plain("totimespan", one_to(DataType::TimeSpan), |a, r, _| {
            Ok(kernels::cast(&arg(a, 0), DataType::TimeSpan, r))
        }),
        Func::plain("toguid", one_to(DataType::Guid), |a, r, _| {
            Ok(kernels::cast(&arg(a, 0), DataType::Guid, r))
        }),
        Func::plain("todynamic", one_to(DataType::Dynamic), to_dynamic),
        Func::plain("isnull", one_to(DataType::Bool), |a, r, _| {
            Ok(null_test(&arg(a, 0), r, false, false))
        }),
        Func::plain("isnotnull", one_to(DataType::Bool), |a, r, _| {
            Ok(null_test(&arg(a, 0), r, true, false))
        }),
        Func::plain("isempty", one_to(DataType::Bool), |a, r, _| {
            Ok(null_test(&arg(a, 0), r, false, true))
        }),
        Func::plain("isnotempty", one_to(DataType::Bool), |a, r, _| {
            Ok(null_test(&arg(a, 0), r, true, true))
        }),
        Func::plain("not", one_to(DataType::Bool), |a, r, _| {
            Ok(kernels::not(&arg(a, 0), r))
        }),
        Func::plain("iff", iff_type, iff),
        Func::plain("case", case_type, case),
        Func::plain("coalesce", coalesce_type, coalesce),
        Func::plain("gettype", one_to(DataType::String), gettype),
    ];
    let aliases = [
        ("toreal", "todouble"),
        ("tobool", "toboolean"),
        ("todynamic", "parse_json"),
        ("iff", "iif"),
    ];
    v.push(Func {
        name: "toreal",
        signature: one_to(DataType::Real),
        properties: FunctionProperties::PLAIN,
        evaluate: |a, r, _| Ok(kernels::cast(&arg(a, 0), DataType::Real, r)),
    });
    v.push(Func {
        name: "tobool",
        signature: one_to(DataType::Bool),
        properties: FunctionProperties::PLAIN,
        evaluate: |a, r, _| Ok(kernels::cast(&arg(a, 0), DataType::Bool, r)),
    });
    for (canonical, alias) in aliases {
        if let Some(f) = v.iter().find(|f| f.name == canonical).copied() {
            v.push(Func { name: alias, ..f });
        }
    }
    v
}

/// A one-argument function returning `ty`, accepting any argument type.
fn one_to(ty: DataType) -> super::Signature {
    macro_rules! sig {
        ($t:expr) => {
            |args: &[DataType]| arity(args, 1, 1).map(|_| $t)
        };
    }
    match ty {
        DataType::Bool => sig!(DataType::Bool),
        DataType::Int => sig!(DataType::Int),
        DataType::Long => sig!(DataType::Long),
        DataType::Real => sig!(DataType::Real),
        DataType::Decimal => sig!(DataType::Decimal),
        DataType::String => sig!(DataType::String),
        DataType::DateTime => sig!(DataType::DateTime),
        DataType::TimeSpan => sig!(DataType::TimeSpan),
        DataType::Guid => sig!(DataType::Guid),
        DataType::Dynamic => sig!(DataType::Dynamic),
    }
}

/// `todynamic`/`parse_json`: parses JSON text; text that is not valid JSON
/// becomes a dynamic string. Non-string values are wrapped as they are.
fn to_dynamic(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let a = arg(args, 0);
    Ok(rowwise(&[a], rows, DataType::Dynamic, |v| {
        match v.first() {
            Some(Value::String(s)) => Value::Dynamic(parse_json_text(s)),
            Some(other) => Value::Dynamic(kernels::value_to_dynamic(other)),
            None => Value::Null,
        }
    }))
}

/// Parses JSON into a dynamic value; invalid JSON becomes a dynamic string.
pub(crate) fn parse_json_text(s: &str) -> Dynamic {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(j) => Dynamic::from_json(&j),
        Err(_) => Dynamic::String(s.into()),
    }
}

/// `isnull`/`isnotnull` (`empty` false) and `isempty`/`isnotempty`
/// (`empty` true: the empty string also counts).
fn null_test(v: &ColumnarValue, rows: usize, negate: bool, empty: bool) -> ColumnarValue {
    let scalar = matches!(v, ColumnarValue::Scalar(..));
    let n = if scalar { 1 } else { rows };
    let hit = |i: usize| -> bool {
        let null = match v {
            ColumnarValue::Column(c) => match &c.data {
                ColumnData::String(s) => empty && s.get(i).is_empty(),
                _ => c.is_null(i),
            },
            ColumnarValue::Scalar(Value::String(s), _) => empty && s.is_empty(),
            ColumnarValue::Scalar(Value::Null, DataType::String) => empty,
            ColumnarValue::Scalar(x, _) => {
                x.is_null()
                    || (empty && matches!(x, Value::Dynamic(Dynamic::String(s)) if s.is_empty()))
            }
        };
        null != negate
    };
    let out: Vec<bool> = (0..n).map(hit).collect();
    if scalar {
        ColumnarValue::Scalar(
            Value::Bool(out.first().copied().unwrap_or(false)),
            DataType::Bool,
        )
    } else {
        ColumnarValue::Column(Arc::new(Column::new(ColumnData::Bool(out))))
    }
}

use crate::type_rules::{branch_type, common_type};

fn iff_type(args: &[DataType]) -> Result<DataType, FunctionError> {
    arity(args, 3, 3)?;
    expect(args, 0, "a bool", |t| {
        matches!(t, DataType::Bool | DataType::Dynamic)
    })?;
    branch_type(&args[1..]).ok_or(FunctionError::ArgType {
        index: 2,
        expected: format!("the same type as argument 1 ({})", args[1]),
        got: args[2],
    })
}

/// `iff(cond, then, else)`: a null condition takes the else branch.
fn iff(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    let ty = iff_type(&types)?;
    choose(&[arg(args, 0)], &[arg(args, 1)], &arg(args, 2), ty, rows)
}

fn case_type(args: &[DataType]) -> Result<DataType, FunctionError> {
    arity(args, 3, usize::MAX)?;
    if args.len() % 2 == 0 {
        return Err(FunctionError::Arity {
            expected: "an odd number".to_string(),
            got: args.len(),
        });
    }
    let mut results: Vec<DataType> = args.iter().skip(1).step_by(2).copied().collect();
    if let Some(last) = args.last() {
        results.push(*last);
    }
    branch_type(&results).ok_or(FunctionError::Invalid(
        "case() branches must have the same type".to_string(),
    ))
}

/// `case(c1, v1, c2, v2, ..., else)`.
fn case(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    let ty = case_type(&types)?;
    let pairs = (args.len() - 1) / 2;
    let conds: Vec<ColumnarValue> = (0..pairs).map(|p| arg(args, 2 * p)).collect();
    let values: Vec<ColumnarValue> = (0..pairs).map(|p| arg(args, 2 * p + 1)).collect();
    choose(&conds, &values, &arg(args, args.len() - 1), ty, rows)
}

/// Picks, per row, the value of the first true condition, else `otherwise`.
fn choose(
    conds: &[ColumnarValue],
    values: &[ColumnarValue],
    otherwise: &ColumnarValue,
    ty: DataType,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    let masks: Vec<crate::bitmap::Bitmap> = conds
        .iter()
        .map(|c| kernels::filter_mask(c, rows))
        .collect();
    let values: Vec<ColumnarValue> = values.iter().map(|v| kernels::cast(v, ty, rows)).collect();
    let otherwise = kernels::cast(otherwise, ty, rows);
    let all_scalar = conds
        .iter()
        .chain(values.iter())
        .chain(std::iter::once(&otherwise))
        .all(|a| matches!(a, ColumnarValue::Scalar(..)));
    if all_scalar {
        let v = masks
            .iter()
            .position(|m| m.get(0))
            .and_then(|p| values.get(p))
            .unwrap_or(&otherwise)
            .get(0);
        return Ok(ColumnarValue::Scalar(v, ty));
    }
    // Gather from the branches with one take per branch.
    let mut which: Vec<usize> = vec![values.len(); rows];
    for (p, m) in masks.iter().enumerate().rev() {
        for i in m.ones() {
            if let Some(w) = which.get_mut(i) {
                *w = p;
            }
        }
    }
    if ty == DataType::String {
        // Strings copy text straight from the branches, without boxing.
        let views: Vec<_> = values
            .iter()
            .chain(std::iter::once(&otherwise))
            .filter_map(crate::kernels::access::strs)
            .collect();
        return Ok(crate::kernels::access::strings(rows, false, |i, out| {
            if let Some(v) = which.get(i).and_then(|&w| views.get(w)) {
                out.push_str(v.get(i));
            }
        }));
    }
    let branches: Vec<Arc<Column>> = values
        .iter()
        .chain(std::iter::once(&otherwise))
        .map(|v| v.clone().into_column(rows))
        .collect();
    let mut b = crate::column::ColumnBuilder::new(ty, rows);
    for (i, &w) in which.iter().enumerate() {
        let v = branches.get(w).map_or(Value::Null, |c| c.get(i));
        if b.push(&v).is_err() {
            b.push_null();
        }
    }
    Ok(ColumnarValue::Column(Arc::new(b.finish())))
}

fn coalesce_type(args: &[DataType]) -> Result<DataType, FunctionError> {
    arity(args, 1, 64)?;
    common_type(args).ok_or(FunctionError::Invalid(
        "coalesce() arguments must have the same type".to_string(),
    ))
}

/// `coalesce(a, b, ...)`: the first non-null (for strings, non-empty) value.
fn coalesce(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
    let ty = coalesce_type(&types)?;
    let cast: Vec<ColumnarValue> = args.iter().map(|a| kernels::cast(a, ty, rows)).collect();
    Ok(rowwise(&cast, rows, ty, |vals| {
        vals.iter()
            .find(|v| !v.is_null() && !matches!(v, Value::String(s) if s.is_empty()))
            .cloned()
            .unwrap_or(if ty == DataType::String {
                Value::string("")
            } else {
                Value::Null
            })
    }))
}

/// `gettype(x)`: the type name of the value (`string`, `long`, `int`, ...;
/// for dynamic values the JSON kind: `array`, `dictionary`, `null`, ...).
fn gettype(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let a = arg(args, 0);
    let ty = a.data_type();
    Ok(rowwise(&[a], rows, DataType::String, |v| {
        let name = match v.first() {
            Some(Value::Dynamic(d)) => match d {
                Dynamic::Null => "null",
                Dynamic::Bool(_) => "bool",
                Dynamic::Long(_) => "long",
                Dynamic::Real(_) => "real",
                Dynamic::String(_) => "string",
                Dynamic::DateTime(_) => "datetime",
                Dynamic::TimeSpan(_) => "timespan",
                Dynamic::Guid(_) => "guid",
                Dynamic::Array(_) => "array",
                Dynamic::Bag(_) => "dictionary",
            },
            _ => ty.name(),
        };
        Value::string(name)
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    #[test]
    fn isempty_treats_the_empty_string_and_null_as_empty() {
        assert_eq!(call("isempty", &[s("")]), Value::Bool(true));
        assert_eq!(call("isnull", &[s("")]), Value::Bool(false));
        assert_eq!(call("isnotempty", &[s("x")]), Value::Bool(true));
        let null_long = ColumnarValue::Scalar(Value::Null, DataType::Long);
        assert_eq!(
            null_test(&null_long, 1, false, true).get(0),
            Value::Bool(true)
        );
        assert_eq!(
            null_test(&null_long, 1, false, false).get(0),
            Value::Bool(true)
        );
    }

    #[test]
    fn iff_picks_per_row_and_a_null_condition_takes_else() {
        let mut b = crate::column::ColumnBuilder::new(DataType::Bool, 3);
        for v in [Value::Bool(true), Value::Null, Value::Bool(false)] {
            b.push(&v).unwrap();
        }
        let cond = ColumnarValue::Column(Arc::new(b.finish()));
        let args = [
            cond,
            ColumnarValue::Scalar(Value::string("yes"), DataType::String),
            ColumnarValue::Scalar(Value::string("no"), DataType::String),
        ];
        let r = iff(&args, 3, &EvalContext { now: 0 }).unwrap();
        assert_eq!(
            (0..3).map(|i| r.get(i)).collect::<Vec<_>>(),
            [s("yes"), s("no"), s("no")]
        );
    }

    #[test]
    fn case_returns_the_first_matching_branch() {
        let v = call(
            "case",
            &[
                Value::Bool(false),
                Value::Long(1),
                Value::Bool(true),
                Value::Long(2),
                Value::Long(3),
            ],
        );
        assert_eq!(v, Value::Long(2));
    }

    #[test]
    fn coalesce_skips_nulls_and_empty_strings() {
        assert_eq!(call("coalesce", &[s(""), s("b")]), s("b"));
        let args = [
            ColumnarValue::Scalar(Value::Null, DataType::Long),
            ColumnarValue::Scalar(Value::Long(7), DataType::Long),
        ];
        assert_eq!(
            coalesce(&args, 1, &EvalContext { now: 0 }).unwrap().get(0),
            Value::Long(7)
        );
    }

    #[test]
    fn parse_json_keeps_invalid_text_as_a_string() {
        assert_eq!(parse_json_text("{\"a\":1}").get("a"), &Dynamic::Long(1));
        assert_eq!(
            parse_json_text("not json"),
            Dynamic::String("not json".into())
        );
        assert_eq!(
            call("todynamic", &[s("[1,2]")]),
            Value::Dynamic(parse_json_text("[1,2]"))
        );
    }

    #[test]
    fn conversions_are_registered_under_their_aliases() {
        assert_eq!(call("todouble", &[s("1.5")]), Value::Real(1.5));
        assert_eq!(call("toboolean", &[s("false")]), Value::Bool(false));
        assert_eq!(call("tostring", &[Value::Bool(false)]), s("False"));
        assert_eq!(call("toint", &[s("12")]), Value::Int(12));
        assert_eq!(call("gettype", &[Value::Long(1)]), s("long"));
    }

    #[test]
    fn todatetime_parses_text_and_fails_to_null() {
        assert_eq!(
            call("todatetime", &[s("1970-01-01")]),
            Value::DateTime(crate::time::UNIX_EPOCH_TICKS)
        );
        assert_eq!(call("todatetime", &[s("garbage")]), Value::Null);
        assert_eq!(
            call("totimespan", &[s("01:00:00")]),
            Value::TimeSpan(crate::time::TICKS_PER_HOUR)
        );
    }
}
