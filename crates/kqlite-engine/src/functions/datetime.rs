//! Date and time functions: `ago`, `now`, `bin`, `startofday`,
//! `datetime_add`, `format_datetime`, ...
//!
//! Datetimes are 100 ns ticks since 0001-01-01 UTC; calendar parts come from
//! chrono. Out-of-range results are null.

use chrono::{Datelike, Months, NaiveDate, Timelike};

use super::{arg, arity, as_long, as_real, expect, rowwise, scalar_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::kernels::access::{self, ints, reals_of, rows_for};
use crate::time::{
    self, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MILLISECOND, TICKS_PER_MINUTE, TICKS_PER_SECOND,
    UNIX_EPOCH_TICKS,
};
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    let dt_to = |ty| -> super::Signature {
        match ty {
            DataType::DateTime => |a| {
                arity(a, 1, 1)?;
                expect(a, 0, "a datetime", |t| {
                    matches!(t, DataType::DateTime | DataType::Dynamic | DataType::String)
                })?;
                Ok(DataType::DateTime)
            },
            DataType::Int => |a| arity(a, 1, 1).map(|_| DataType::Int),
            DataType::Long => |a| arity(a, 1, 1).map(|_| DataType::Long),
            _ => |a| arity(a, 1, 1).map(|_| DataType::TimeSpan),
        }
    };
    let mut v = vec![
        Func {
            name: "now",
            signature: |a| arity(a, 0, 1).map(|_| DataType::DateTime),
            properties: FunctionProperties::STABLE,
            evaluate: now,
        },
        Func {
            name: "ago",
            signature: ago_type,
            properties: FunctionProperties::STABLE,
            evaluate: ago,
        },
        Func::plain("bin", bin_type, bin),
        Func::plain(
            "bin_at",
            |a| {
                arity(a, 3, 3)?;
                bin_type(&a[..2])
            },
            bin_at,
        ),
        Func::plain(
            "startofday",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Day, false)),
        ),
        Func::plain(
            "startofweek",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Week, false)),
        ),
        Func::plain(
            "startofmonth",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Month, false)),
        ),
        Func::plain(
            "startofyear",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Year, false)),
        ),
        Func::plain(
            "endofday",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Day, true)),
        ),
        Func::plain(
            "endofweek",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Week, true)),
        ),
        Func::plain(
            "endofmonth",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Month, true)),
        ),
        Func::plain(
            "endofyear",
            |a| arity(a, 1, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(calendar(a, r, Trunc::Year, true)),
        ),
        Func::plain("dayofweek", dt_to(DataType::TimeSpan), |a, r, _| {
            Ok(part(a, r, DataType::TimeSpan, |t| {
                Some(days_since_sunday(t)? * TICKS_PER_DAY)
            }))
        }),
        Func::plain("dayofmonth", dt_to(DataType::Long), |a, r, _| {
            Ok(part(a, r, DataType::Long, |t| {
                Some(time::to_chrono(t)?.day() as i64)
            }))
        }),
        Func::plain("dayofyear", dt_to(DataType::Long), |a, r, _| {
            Ok(part(a, r, DataType::Long, |t| {
                Some(time::to_chrono(t)?.ordinal() as i64)
            }))
        }),
        Func::plain("hourofday", dt_to(DataType::Long), |a, r, _| {
            Ok(part(a, r, DataType::Long, |t| {
                Some(time::to_chrono(t)?.hour() as i64)
            }))
        }),
        Func::plain("getyear", dt_to(DataType::Long), |a, r, _| {
            Ok(part(a, r, DataType::Long, |t| {
                Some(time::to_chrono(t)?.year() as i64)
            }))
        }),
        Func::plain("getmonth", dt_to(DataType::Long), |a, r, _| {
            Ok(part(a, r, DataType::Long, |t| {
                Some(time::to_chrono(t)?.month() as i64)
            }))
        }),
        Func::plain("week_of_year", dt_to(DataType::Long), |a, r, _| {
            Ok(part(a, r, DataType::Long, |t| {
                Some(time::to_chrono(t)?.iso_week().week() as i64)
            }))
        }),
        Func::plain(
            "datetime_part",
            |a| arity(a, 2, 2).map(|_| DataType::Long),
            datetime_part,
        ),
        Func::plain(
            "datetime_add",
            |a| arity(a, 3, 3).map(|_| DataType::DateTime),
            datetime_add,
        ),
        Func::plain(
            "datetime_diff",
            |a| arity(a, 3, 3).map(|_| DataType::Long),
            datetime_diff,
        ),
        Func::plain(
            "format_datetime",
            |a| arity(a, 2, 2).map(|_| DataType::String),
            format_datetime,
        ),
        Func::plain(
            "format_timespan",
            |a| arity(a, 2, 2).map(|_| DataType::String),
            format_timespan,
        ),
        Func::plain(
            "make_datetime",
            |a| arity(a, 1, 7).map(|_| DataType::DateTime),
            make_datetime,
        ),
        Func::plain(
            "make_timespan",
            |a| arity(a, 2, 4).map(|_| DataType::TimeSpan),
            make_timespan,
        ),
        Func::plain(
            "unixtime_seconds_todatetime",
            |a| arity(a, 1, 1).map(|_| DataType::DateTime),
            |a, r, _| Ok(from_unix(a, r, TICKS_PER_SECOND)),
        ),
        Func::plain(
            "unixtime_milliseconds_todatetime",
            |a| arity(a, 1, 1).map(|_| DataType::DateTime),
            |a, r, _| Ok(from_unix(a, r, TICKS_PER_MILLISECOND)),
        ),
        Func::plain(
            "unixtime_microseconds_todatetime",
            |a| arity(a, 1, 1).map(|_| DataType::DateTime),
            |a, r, _| Ok(from_unix(a, r, 10)),
        ),
        Func::plain(
            "unixtime_nanoseconds_todatetime",
            |a| arity(a, 1, 1).map(|_| DataType::DateTime),
            |a, r, _| Ok(from_unix(a, r, 0)),
        ),
    ];
    let aliases = [
        ("bin", "floor"),
        ("getmonth", "monthofyear"),
        ("now", "utcnow"),
    ];
    for (canonical, alias) in aliases {
        if let Some(f) = v.iter().find(|f| f.name == canonical).copied() {
            v.push(Func { name: alias, ..f });
        }
    }
    v
}

/// `now([offset])`: the query's fixed clock.
fn now(
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    if args.is_empty() {
        return Ok(ColumnarValue::Scalar(
            Value::DateTime(ctx.now),
            DataType::DateTime,
        ));
    }
    let off = arg(args, 0);
    let (n, scalar) = rows_for(&[&off], rows);
    let o = ints(&off).ok_or(FunctionError::ArgType {
        index: 0,
        expected: "a timespan".into(),
        got: off.data_type(),
    })?;
    Ok(access::ticks(DataType::DateTime, n, scalar, |i| {
        ctx.now.checked_add(o.get(i)?)
    }))
}

fn ago_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    expect(a, 0, "a timespan", |t| {
        matches!(t, DataType::TimeSpan | DataType::Dynamic)
    })?;
    Ok(DataType::DateTime)
}

/// `ago(span)` = `now() - span`.
fn ago(
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let span = crate::kernels::cast(&arg(args, 0), DataType::TimeSpan, rows);
    let (n, scalar) = rows_for(&[&span], rows);
    let s = ints(&span).ok_or(FunctionError::ArgType {
        index: 0,
        expected: "a timespan".into(),
        got: span.data_type(),
    })?;
    Ok(access::ticks(DataType::DateTime, n, scalar, |i| {
        ctx.now.checked_sub(s.get(i)?)
    }))
}

fn bin_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 2)?;
    let (x, size) = (a[0], a[1]);
    match (x, size) {
        (DataType::DateTime, DataType::TimeSpan) => Ok(DataType::DateTime),
        (DataType::TimeSpan, DataType::TimeSpan) => Ok(DataType::TimeSpan),
        (DataType::Int | DataType::Long, DataType::Int | DataType::Long) => Ok(DataType::Long),
        (x, s) if super::numeric_like(x) && super::numeric_like(s) => Ok(DataType::Real),
        _ => Err(FunctionError::ArgType {
            index: 1,
            expected: format!("a bin size that fits {x}"),
            got: size,
        }),
    }
}

/// `bin(value, size)`: rounds down to a multiple of `size` (from the Unix
/// epoch for datetimes). A null, zero or negative size gives null.
fn bin(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let (x, size) = (arg(args, 0), arg(args, 1));
    let out = bin_type(&[x.data_type(), size.data_type()])?;
    let (n, scalar) = rows_for(&[&x, &size], rows);
    match out {
        DataType::DateTime | DataType::TimeSpan | DataType::Long => {
            let (Some(v), Some(s)) = (ints(&x), ints(&size)) else {
                return Err(FunctionError::Invalid("bin on unsupported types".into()));
            };
            let origin = if out == DataType::DateTime {
                UNIX_EPOCH_TICKS
            } else {
                0
            };
            if let Some(col) = bin_column_fast(&x, &size, out, origin) {
                return Ok(col);
            }
            let f = |i: usize| {
                let (v, s) = (v.get(i)?, s.get(i)?);
                if s <= 0 {
                    return None;
                }
                let rel = v.checked_sub(origin)?;
                rel.checked_sub(rel.rem_euclid(s))?.checked_add(origin)
            };
            Ok(if out == DataType::Long {
                access::longs(n, scalar, f)
            } else {
                access::ticks(out, n, scalar, f)
            })
        }
        _ => {
            let xr = crate::kernels::cast(&x, DataType::Real, rows);
            let sr = crate::kernels::cast(&size, DataType::Real, rows);
            let (Some(v), Some(s)) = (reals_of(&xr), reals_of(&sr)) else {
                return Err(FunctionError::Invalid("bin on unsupported types".into()));
            };
            Ok(access::reals(n, scalar, |i| {
                let (v, s) = (v.get(i)?, s.get(i)?);
                (s > 0.0).then(|| (v / s).floor() * s)
            }))
        }
    }
}

/// `bin` of a column without nulls by a positive constant size, in one
/// tight loop; `None` for any other shape (the general path handles it).
fn bin_column_fast(
    x: &ColumnarValue,
    size: &ColumnarValue,
    out: DataType,
    origin: i64,
) -> Option<ColumnarValue> {
    use crate::column::{Column, ColumnData};
    let ColumnarValue::Column(col) = x else {
        return None;
    };
    let s = match size {
        ColumnarValue::Scalar(Value::Long(s) | Value::TimeSpan(s), _) if *s > 0 => *s,
        ColumnarValue::Scalar(Value::Int(s), _) if *s > 0 => i64::from(*s),
        _ => return None,
    };
    let values = match (&col.data, &col.validity) {
        (ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v), None) => v,
        _ => return None,
    };
    // An overflow anywhere hands the column to the general path, which
    // makes that row null.
    let mut binned = Vec::with_capacity(values.len());
    for &v in values {
        let rel = v.checked_sub(origin)?;
        binned.push(rel.checked_sub(rel.rem_euclid(s))?.checked_add(origin)?);
    }
    let data = match out {
        DataType::Long => ColumnData::Long(binned),
        DataType::TimeSpan => ColumnData::TimeSpan(binned),
        _ => ColumnData::DateTime(binned),
    };
    Some(ColumnarValue::Column(std::sync::Arc::new(Column::new(
        data,
    ))))
}

/// `bin_at(value, size, fixed_point)`: like `bin`, but bins are aligned so
/// that `fixed_point` starts one.
fn bin_at(
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    use kqlite_parser::ast::BinaryOp;
    let (x, size, at) = (arg(args, 0), arg(args, 1), arg(args, 2));
    // bin(x - at, size) + at; for datetimes the difference is a timespan,
    // binned from zero, so the bins start at `at`.
    let shifted = crate::kernels::binary(BinaryOp::Sub, &x, &at, rows)?;
    let binned = bin(&[shifted, size], rows, ctx)?;
    crate::kernels::binary(BinaryOp::Add, &binned, &at, rows)
}

#[derive(Clone, Copy)]
enum Trunc {
    Day,
    Week,
    Month,
    Year,
}

fn days_since_sunday(t: i64) -> Option<i64> {
    Some(time::to_chrono(t)?.weekday().num_days_from_sunday() as i64)
}

/// Start (or end, the last tick) of the day/week/month/year holding `t`,
/// shifted by `offset` units.
fn calendar_at(t: i64, unit: Trunc, offset: i64, end: bool) -> Option<i64> {
    let dt = time::to_chrono(t)?.date_naive();
    let start = match unit {
        Trunc::Day => dt.checked_add_signed(chrono::Duration::try_days(offset)?)?,
        Trunc::Week => {
            let d = dt.checked_sub_signed(chrono::Duration::try_days(
                dt.weekday().num_days_from_sunday() as i64,
            )?)?;
            d.checked_add_signed(chrono::Duration::try_days(offset.checked_mul(7)?)?)?
        }
        Trunc::Month => add_months(NaiveDate::from_ymd_opt(dt.year(), dt.month(), 1)?, offset)?,
        Trunc::Year => {
            NaiveDate::from_ymd_opt(dt.year().checked_add(i32::try_from(offset).ok()?)?, 1, 1)?
        }
    };
    let start_ticks = time::from_naive(start.and_hms_opt(0, 0, 0)?);
    if !end {
        return Some(start_ticks);
    }
    let next = calendar_at(start_ticks, unit, 1, false)?;
    Some(next - 1)
}

fn add_months(d: NaiveDate, months: i64) -> Option<NaiveDate> {
    let n = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        d.checked_add_months(n)
    } else {
        d.checked_sub_months(n)
    }
}

fn calendar(args: &[ColumnarValue], rows: usize, unit: Trunc, end: bool) -> ColumnarValue {
    let x = crate::kernels::cast(&arg(args, 0), DataType::DateTime, rows);
    let off = args
        .get(1)
        .cloned()
        .unwrap_or(ColumnarValue::Scalar(Value::Long(0), DataType::Long));
    let (n, scalar) = rows_for(&[&x, &off], rows);
    let (Some(v), Some(o)) = (ints(&x), ints(&off)) else {
        return ColumnarValue::Scalar(Value::Null, DataType::DateTime);
    };
    access::ticks(DataType::DateTime, n, scalar, |i| {
        calendar_at(v.get(i)?, unit, o.get(i)?, end)
    })
}

/// A per-row datetime part as `ty` (int, long or timespan).
fn part(
    args: &[ColumnarValue],
    rows: usize,
    ty: DataType,
    f: impl Fn(i64) -> Option<i64>,
) -> ColumnarValue {
    let x = crate::kernels::cast(&arg(args, 0), DataType::DateTime, rows);
    let (n, scalar) = rows_for(&[&x], rows);
    let Some(v) = ints(&x) else {
        return ColumnarValue::Scalar(Value::Null, ty);
    };
    match ty {
        DataType::Int => {
            let (vals, valid) =
                access::map_rows(n, |i| f(v.get(i)?).and_then(|x| i32::try_from(x).ok()));
            access::finish(crate::column::ColumnData::Int(vals), valid, scalar)
        }
        DataType::Long => access::longs(n, scalar, |i| f(v.get(i)?)),
        _ => access::ticks(ty, n, scalar, |i| f(v.get(i)?)),
    }
}

/// A constant part-name argument, lowercased.
fn part_name(args: &[ColumnarValue], i: usize) -> Result<String, FunctionError> {
    match scalar_arg(args, i) {
        Some(Value::String(s)) => Ok(s.to_ascii_lowercase()),
        _ => Err(FunctionError::NotConstant { index: i }),
    }
}

/// Fixed-length units in ticks.
fn unit_ticks(name: &str) -> Option<i64> {
    Some(match name {
        "week" | "weeks" => 7 * TICKS_PER_DAY,
        "day" | "days" => TICKS_PER_DAY,
        "hour" | "hours" => TICKS_PER_HOUR,
        "minute" | "minutes" => TICKS_PER_MINUTE,
        "second" | "seconds" => TICKS_PER_SECOND,
        "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND,
        "microsecond" | "microseconds" => 10,
        "nanosecond" | "nanoseconds" => 1,
        _ => return None,
    })
}

fn datetime_part(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let name = part_name(args, 0)?;
    let f: fn(i64) -> Option<i64> = match name.as_str() {
        "year" => |t| Some(time::to_chrono(t)?.year() as i64),
        "quarter" => |t| Some((time::to_chrono(t)?.month() as i64 - 1) / 3 + 1),
        "month" => |t| Some(time::to_chrono(t)?.month() as i64),
        "weekofyear" | "week_of_year" => |t| Some(time::to_chrono(t)?.iso_week().week() as i64),
        "day" => |t| Some(time::to_chrono(t)?.day() as i64),
        "dayofyear" => |t| Some(time::to_chrono(t)?.ordinal() as i64),
        "hour" => |t| Some(time::to_chrono(t)?.hour() as i64),
        "minute" => |t| Some(time::to_chrono(t)?.minute() as i64),
        "second" => |t| Some(time::to_chrono(t)?.second() as i64),
        "millisecond" => |t| Some(t.rem_euclid(TICKS_PER_SECOND) / TICKS_PER_MILLISECOND),
        "microsecond" => |t| Some(t.rem_euclid(TICKS_PER_SECOND) / 10),
        "nanosecond" => |t| Some(t.rem_euclid(TICKS_PER_SECOND) * 100),
        _ => {
            return Err(FunctionError::Invalid(format!(
                "unknown datetime part '{name}'"
            )))
        }
    };
    Ok(part(
        args.get(1..).unwrap_or_default(),
        rows,
        DataType::Long,
        f,
    ))
}

fn datetime_add(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let name = part_name(args, 0)?;
    let rest = [
        arg(args, 1),
        crate::kernels::cast(&arg(args, 2), DataType::DateTime, rows),
    ];
    Ok(rowwise(&rest, rows, DataType::DateTime, |v| {
        let (Some(amount), Some(Value::DateTime(t))) = (v.first().and_then(as_long), v.get(1))
        else {
            return Value::Null;
        };
        let months = match name.as_str() {
            "year" | "years" => amount.checked_mul(12),
            "quarter" | "quarters" => amount.checked_mul(3),
            "month" | "months" => Some(amount),
            _ => None,
        };
        let r = match months {
            Some(m) => time::to_chrono(*t).and_then(|dt| {
                let tod = t.rem_euclid(TICKS_PER_DAY);
                let d = add_months(dt.date_naive(), m)?;
                Some(time::from_naive(d.and_hms_opt(0, 0, 0)?) + tod)
            }),
            None => unit_ticks(&name)
                .and_then(|u| amount.checked_mul(u))
                .and_then(|d| t.checked_add(d))
                .filter(|r| (0..=time::MAX_DATETIME_TICKS).contains(r)),
        };
        r.map_or(Value::Null, Value::DateTime)
    }))
}

/// `datetime_diff(part, a, b)`: the number of `part` boundaries between `b`
/// and `a` (`a - b`).
fn datetime_diff(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let name = part_name(args, 0)?;
    let rest = [
        crate::kernels::cast(&arg(args, 1), DataType::DateTime, rows),
        crate::kernels::cast(&arg(args, 2), DataType::DateTime, rows),
    ];
    Ok(rowwise(&rest, rows, DataType::Long, |v| {
        let (Some(Value::DateTime(a)), Some(Value::DateTime(b))) = (v.first(), v.get(1)) else {
            return Value::Null;
        };
        let (Some(x), Some(y)) = (time::to_chrono(*a), time::to_chrono(*b)) else {
            return Value::Null;
        };
        let months = |d: &chrono::DateTime<chrono::Utc>| d.year() as i64 * 12 + d.month0() as i64;
        let r = match name.as_str() {
            "year" => Some(x.year() as i64 - y.year() as i64),
            "quarter" => Some((months(&x)).div_euclid(3) - (months(&y)).div_euclid(3)),
            "month" => Some(months(&x) - months(&y)),
            "week" => match (
                calendar_at(*a, Trunc::Week, 0, false),
                calendar_at(*b, Trunc::Week, 0, false),
            ) {
                (Some(p), Some(q)) => Some((p - q) / (7 * TICKS_PER_DAY)),
                _ => None,
            },
            // Nanoseconds are finer than a tick: 100 per tick.
            "nanosecond" | "nanoseconds" => a.checked_sub(*b).and_then(|d| d.checked_mul(100)),
            other => unit_ticks(other).map(|u| a.div_euclid(u) - b.div_euclid(u)),
        };
        r.map_or(Value::Null, Value::Long)
    }))
}

/// Expands a .NET-style custom format (`yyyy-MM-dd HH:mm:ss.fff`, `tt`, ...).
fn format_with(fmt: &str, field: impl Fn(char, usize) -> Option<String>) -> String {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let mut run = 1;
        while chars.get(i + run) == Some(&c) {
            run += 1;
        }
        match field(c, run) {
            Some(s) => out.push_str(&s),
            None => (0..run).for_each(|_| out.push(c)),
        }
        i += run;
    }
    out
}

fn fraction(frac_ticks: i64, run: usize, trim: bool) -> String {
    let digits = format!("{frac_ticks:07}");
    let s = digits.get(..run.min(7)).unwrap_or("");
    if trim {
        s.trim_end_matches('0').to_string()
    } else {
        s.to_string()
    }
}

fn format_datetime(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let fmt = match scalar_arg(args, 1) {
        Some(v) => v.to_string(),
        None => return Err(FunctionError::NotConstant { index: 1 }),
    };
    let x = crate::kernels::cast(&arg(args, 0), DataType::DateTime, rows);
    Ok(rowwise(&[x], rows, DataType::String, |v| {
        let Some(Value::DateTime(t)) = v.first() else {
            return Value::string("");
        };
        let Some(dt) = time::to_chrono(*t) else {
            return Value::string("");
        };
        let frac = t.rem_euclid(TICKS_PER_SECOND);
        Value::string(format_with(&fmt, |c, run| {
            Some(match (c, run) {
                ('y', 1) => format!("{}", dt.year() % 100),
                ('y', 2) => format!("{:02}", dt.year() % 100),
                ('y', n) => format!("{:0n$}", dt.year()),
                ('M', 1) => dt.month().to_string(),
                ('M', _) => format!("{:02}", dt.month()),
                ('d', 1) => dt.day().to_string(),
                ('d', _) => format!("{:02}", dt.day()),
                ('H', 1) => dt.hour().to_string(),
                ('H', _) => format!("{:02}", dt.hour()),
                ('h', 1) => (((dt.hour() + 11) % 12) + 1).to_string(),
                ('h', _) => format!("{:02}", ((dt.hour() + 11) % 12) + 1),
                ('m', 1) => dt.minute().to_string(),
                ('m', _) => format!("{:02}", dt.minute()),
                ('s', 1) => dt.second().to_string(),
                ('s', _) => format!("{:02}", dt.second()),
                ('f', n) => fraction(frac, n, false),
                ('F', n) => fraction(frac, n, true),
                ('t', 1) => (if dt.hour() < 12 { "A" } else { "P" }).to_string(),
                ('t', _) => (if dt.hour() < 12 { "AM" } else { "PM" }).to_string(),
                _ => return None,
            })
        }))
    }))
}

fn format_timespan(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let fmt = match scalar_arg(args, 1) {
        Some(v) => v.to_string(),
        None => return Err(FunctionError::NotConstant { index: 1 }),
    };
    let x = crate::kernels::cast(&arg(args, 0), DataType::TimeSpan, rows);
    Ok(rowwise(&[x], rows, DataType::String, |v| {
        let Some(Value::TimeSpan(t)) = v.first() else {
            return Value::string("");
        };
        let a = t.unsigned_abs() as i64;
        let body = format_with(&fmt, |c, run| {
            let val = match c {
                'd' => a / TICKS_PER_DAY,
                'h' | 'H' => (a / TICKS_PER_HOUR) % 24,
                'm' => (a / TICKS_PER_MINUTE) % 60,
                's' => (a / TICKS_PER_SECOND) % 60,
                'f' => return Some(fraction(a % TICKS_PER_SECOND, run, false)),
                'F' => return Some(fraction(a % TICKS_PER_SECOND, run, true)),
                _ => return None,
            };
            Some(format!("{val:0run$}"))
        });
        Value::string(if *t < 0 { format!("-{body}") } else { body })
    }))
}

/// `make_datetime(year, month, day[, hour, minute, second])`.
fn make_datetime(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::DateTime, |v| {
        let num = |i: usize, default: i64| match v.get(i) {
            None => Some(default),
            Some(x) => as_long(x),
        };
        let secs = match v.get(5) {
            None => Some(0.0),
            Some(x) => as_real(x),
        };
        let made = (|| {
            let date = NaiveDate::from_ymd_opt(
                i32::try_from(num(0, 1)?).ok()?,
                u32::try_from(num(1, 1)?).ok()?,
                u32::try_from(num(2, 1)?).ok()?,
            )?;
            let (h, m, s) = (num(3, 0)?, num(4, 0)?, secs?);
            if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..60.0).contains(&s) {
                return None;
            }
            let base = time::from_naive(date.and_hms_opt(0, 0, 0)?);
            Some(
                base + h * TICKS_PER_HOUR
                    + m * TICKS_PER_MINUTE
                    + (s * TICKS_PER_SECOND as f64).round() as i64,
            )
        })();
        made.map_or(Value::Null, Value::DateTime)
    }))
}

/// `make_timespan(hour, minute[, second])` or `(day, hour, minute, second)`.
fn make_timespan(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::TimeSpan, |v| {
        let nums: Option<Vec<f64>> = v.iter().map(as_real).collect();
        let Some(nums) = nums else {
            return Value::Null;
        };
        let (d, h, m, s) = match nums.as_slice() {
            [h, m] => (0.0, *h, *m, 0.0),
            [h, m, s] => (0.0, *h, *m, *s),
            [d, h, m, s] => (*d, *h, *m, *s),
            _ => return Value::Null,
        };
        let ticks = d * TICKS_PER_DAY as f64
            + h * TICKS_PER_HOUR as f64
            + m * TICKS_PER_MINUTE as f64
            + s * TICKS_PER_SECOND as f64;
        crate::kernels::convert::real_to_long(ticks.round()).map_or(Value::Null, Value::TimeSpan)
    }))
}

/// Unix time in some unit (`per` ticks per unit; 0 means nanoseconds).
fn from_unix(args: &[ColumnarValue], rows: usize, per: i64) -> ColumnarValue {
    let raw = arg(args, 0);
    if matches!(raw.data_type(), DataType::Int | DataType::Long) {
        // Exact integer arithmetic: nanosecond counts exceed f64 precision.
        let (n, scalar) = rows_for(&[&raw], rows);
        if let Some(v) = ints(&raw) {
            return access::ticks(DataType::DateTime, n, scalar, |i| {
                let units = v.get(i)?;
                let ticks = if per == 0 {
                    units.div_euclid(100)
                } else {
                    units.checked_mul(per)?
                };
                ticks
                    .checked_add(UNIX_EPOCH_TICKS)
                    .filter(|t| (0..=time::MAX_DATETIME_TICKS).contains(t))
            });
        }
    }
    let x = crate::kernels::cast(&raw, DataType::Real, rows);
    let (n, scalar) = rows_for(&[&x], rows);
    let Some(v) = reals_of(&x) else {
        return ColumnarValue::Scalar(Value::Null, DataType::DateTime);
    };
    access::ticks(DataType::DateTime, n, scalar, |i| {
        let units = v.get(i)?;
        let ticks = if per == 0 {
            units / 100.0
        } else {
            units * per as f64
        };
        crate::kernels::convert::real_to_long(ticks.trunc())
            .and_then(|t| t.checked_add(UNIX_EPOCH_TICKS))
            .filter(|t| (0..=time::MAX_DATETIME_TICKS).contains(t))
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s, NOW};
    use super::*;

    fn dt(text: &str) -> Value {
        Value::DateTime(time::parse_datetime(text).unwrap())
    }

    #[test]
    fn ago_subtracts_from_the_injected_clock() {
        assert_eq!(
            call("ago", &[Value::TimeSpan(TICKS_PER_DAY)]),
            Value::DateTime(NOW - TICKS_PER_DAY)
        );
        assert_eq!(call("now", &[]), Value::DateTime(NOW));
    }

    #[test]
    fn bin_floors_numbers_timespans_and_datetimes() {
        assert_eq!(
            call("bin", &[Value::Real(4.5), Value::Long(1)]),
            Value::Real(4.0)
        );
        assert_eq!(
            call("bin", &[Value::Long(-7), Value::Long(5)]),
            Value::Long(-10)
        );
        assert_eq!(
            call(
                "bin",
                &[dt("1970-05-11 13:45:07"), Value::TimeSpan(TICKS_PER_DAY)]
            ),
            dt("1970-05-11")
        );
        assert_eq!(
            call(
                "bin",
                &[dt("2024-01-02 03:59:59"), Value::TimeSpan(TICKS_PER_HOUR)]
            ),
            dt("2024-01-02 03:00")
        );
        assert_eq!(
            call(
                "bin",
                &[
                    Value::TimeSpan(90 * TICKS_PER_MINUTE),
                    Value::TimeSpan(TICKS_PER_HOUR)
                ]
            ),
            Value::TimeSpan(TICKS_PER_HOUR)
        );
        assert_eq!(
            call("floor", &[Value::Long(7), Value::Long(0)]),
            Value::Null
        );
        assert_eq!(call("bin", &[Value::Long(7), Value::Long(-2)]), Value::Null);
    }

    #[test]
    fn bin_at_aligns_bins_to_the_fixed_point() {
        let at = dt("2018-02-24 15:14:00");
        assert_eq!(
            call(
                "bin_at",
                &[
                    dt("2018-02-23 15:14:01"),
                    Value::TimeSpan(TICKS_PER_DAY),
                    at.clone()
                ]
            ),
            dt("2018-02-23 15:14:00")
        );
        assert_eq!(
            call(
                "bin_at",
                &[
                    dt("2018-02-23 16:14:00"),
                    Value::TimeSpan(TICKS_PER_DAY),
                    at
                ]
            ),
            dt("2018-02-23 15:14:00")
        );
        assert_eq!(
            call("bin_at", &[Value::Long(6), Value::Long(5), Value::Long(3)]),
            Value::Long(3)
        );
    }

    #[test]
    fn extreme_offsets_give_null_not_a_panic() {
        let t = dt("2024-03-14");
        assert_eq!(
            call("startofweek", &[t.clone(), Value::Long(i64::MAX)]),
            Value::Null
        );
        assert_eq!(
            call("startofday", &[t.clone(), Value::Long(i64::MIN)]),
            Value::Null
        );
        assert_eq!(
            call("startofmonth", &[t.clone(), Value::Long(i64::MIN)]),
            Value::Null
        );
        assert_eq!(
            call("datetime_add", &[s("year"), Value::Long(i64::MAX), t]),
            Value::Null
        );
    }

    #[test]
    fn start_and_end_of_calendar_units() {
        let t = dt("2024-03-14 15:09:26");
        assert_eq!(
            call("startofday", std::slice::from_ref(&t)),
            dt("2024-03-14")
        );
        assert_eq!(
            call("startofweek", std::slice::from_ref(&t)),
            dt("2024-03-10")
        );
        assert_eq!(
            call("startofmonth", std::slice::from_ref(&t)),
            dt("2024-03-01")
        );
        assert_eq!(
            call("startofyear", std::slice::from_ref(&t)),
            dt("2024-01-01")
        );
        assert_eq!(
            call("endofday", std::slice::from_ref(&t)),
            dt("2024-03-14 23:59:59.9999999")
        );
        assert_eq!(
            call("dayofweek", std::slice::from_ref(&t)),
            Value::TimeSpan(4 * TICKS_PER_DAY)
        );
        assert_eq!(call("getmonth", std::slice::from_ref(&t)), Value::Long(3));
        assert_eq!(call("dayofyear", std::slice::from_ref(&t)), Value::Long(74));
        assert_eq!(call("hourofday", std::slice::from_ref(&t)), Value::Long(15));
        assert_eq!(call("week_of_year", &[t]), Value::Long(11));
    }

    #[test]
    fn datetime_add_diff_and_part_work_in_calendar_units() {
        let t = dt("2024-01-31");
        assert_eq!(
            call("datetime_add", &[s("month"), Value::Long(1), t.clone()]),
            dt("2024-02-29")
        );
        assert_eq!(
            call("datetime_add", &[s("hour"), Value::Long(-1), t.clone()]),
            dt("2024-01-30 23:00")
        );
        assert_eq!(
            call(
                "datetime_diff",
                &[s("year"), dt("2017-01-01"), dt("2000-12-31")]
            ),
            Value::Long(17)
        );
        assert_eq!(
            call(
                "datetime_diff",
                &[
                    s("day"),
                    dt("2017-10-30 23:05:01"),
                    dt("2017-09-30 23:59:59")
                ]
            ),
            Value::Long(30)
        );
        assert_eq!(call("datetime_part", &[s("Year"), t]), Value::Long(2024));
    }

    #[test]
    fn format_datetime_and_timespan_follow_net_patterns() {
        let t = dt("2015-12-14 02:03:04.1234500");
        assert_eq!(
            call("format_datetime", &[t.clone(), s("yyyy-MM-dd [HH:mm:ss]")]),
            s("2015-12-14 [02:03:04]")
        );
        assert_eq!(
            call("format_datetime", &[t.clone(), s("yy-M-d h:m:s.fff tt")]),
            s("15-12-14 2:3:4.123 AM")
        );
        let span = Value::TimeSpan(TICKS_PER_DAY + 2 * TICKS_PER_HOUR + 3 * TICKS_PER_MINUTE);
        assert_eq!(
            call("format_timespan", &[span, s("d:hh:mm:ss")]),
            s("1:02:03:00")
        );
    }

    #[test]
    fn make_and_unix_conversions() {
        assert_eq!(
            call(
                "make_datetime",
                &[Value::Long(2017), Value::Long(10), Value::Long(1)]
            ),
            dt("2017-10-01")
        );
        assert_eq!(
            call(
                "make_datetime",
                &[Value::Long(2017), Value::Long(13), Value::Long(1)]
            ),
            Value::Null
        );
        assert_eq!(
            call("make_timespan", &[Value::Long(1), Value::Long(30)]),
            Value::TimeSpan(90 * TICKS_PER_MINUTE)
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[Value::Long(86400)]),
            dt("1970-01-02")
        );
        assert_eq!(
            call("unixtime_milliseconds_todatetime", &[Value::Long(1000)]),
            dt("1970-01-01 00:00:01")
        );
        assert_eq!(
            call(
                "unixtime_nanoseconds_todatetime",
                &[Value::Long(1_546_300_800_000_000_000)]
            ),
            dt("2019-01-01")
        );
        assert_eq!(
            call("unixtime_seconds_todatetime", &[Value::Real(1.5)]),
            dt("1970-01-01 00:00:01.5")
        );
    }
}
