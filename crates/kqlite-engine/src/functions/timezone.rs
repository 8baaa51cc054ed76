//! Time zone functions over the IANA database: `datetime_utc_to_local`,
//! `datetime_local_to_utc` and `datetime_list_timezones`.
//!
//! Zone names are matched exactly first, then case-insensitively; unknown
//! zones give null.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{LocalResult, Offset, TimeZone};
use chrono_tz::Tz;

use super::{arg, arity, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::kernels::{self, access};
use crate::time;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "datetime_utc_to_local",
            |a| arity(a, 2, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(shift(a, r, utc_to_local)),
        ),
        Func::plain(
            "datetime_local_to_utc",
            |a| arity(a, 2, 2).map(|_| DataType::DateTime),
            |a, r, _| Ok(shift(a, r, local_to_utc)),
        ),
        Func::plain(
            "datetime_list_timezones",
            |a| arity(a, 0, 0).map(|_| DataType::Dynamic),
            list_timezones,
        ),
    ]
}

fn zone(name: &str) -> Option<Tz> {
    Tz::from_str(name).ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .find(|z| z.name().eq_ignore_ascii_case(name))
            .copied()
    })
}

fn shift(args: &[ColumnarValue], rows: usize, f: fn(i64, Tz) -> Option<i64>) -> ColumnarValue {
    let t = kernels::cast(&arg(args, 0), DataType::DateTime, rows);
    let z = kernels::strings::as_string(&arg(args, 1), rows);
    let (n, scalar) = access::rows_for(&[&t, &z], rows);
    let (Some(t), Some(z)) = (access::ints(&t), access::strs(&z)) else {
        return ColumnarValue::Scalar(Value::Null, DataType::DateTime);
    };
    // Zone lookups repeat: remember the last one.
    let mut last: Option<(String, Option<Tz>)> = None;
    access::ticks(DataType::DateTime, n, scalar, |i| {
        let ticks = t.get(i)?;
        let name = z.get(i);
        let tz = match &last {
            Some((cached, tz)) if cached == name => *tz,
            _ => {
                let tz = zone(name);
                last = Some((name.to_string(), tz));
                tz
            }
        }?;
        f(ticks, tz)
    })
}

/// The zone's UTC offset at the UTC instant `ticks`, added.
fn utc_to_local(ticks: i64, tz: Tz) -> Option<i64> {
    let utc = time::to_chrono(ticks)?;
    let offset = tz
        .offset_from_utc_datetime(&utc.naive_utc())
        .fix()
        .local_minus_utc();
    ticks.checked_add(offset as i64 * time::TICKS_PER_SECOND)
}

/// The UTC instant of local wall time `ticks`; an ambiguous time takes the
/// earlier instant, a skipped one the offset in force before the gap.
fn local_to_utc(ticks: i64, tz: Tz) -> Option<i64> {
    let local = time::to_chrono(ticks)?.naive_utc();
    let offset = match tz.offset_from_local_datetime(&local) {
        LocalResult::Single(o) => o.fix(),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.fix(), b.fix());
            if a.local_minus_utc() >= b.local_minus_utc() {
                a
            } else {
                b
            }
        }
        LocalResult::None => tz.offset_from_utc_datetime(&local).fix(),
    };
    ticks.checked_sub(offset.local_minus_utc() as i64 * time::TICKS_PER_SECOND)
}

fn list_timezones(
    _: &[ColumnarValue],
    _: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    names.sort_unstable();
    let arr = names
        .into_iter()
        .map(|n| Dynamic::String(Arc::from(n)))
        .collect();
    Ok(ColumnarValue::Scalar(
        Value::Dynamic(Dynamic::Array(Arc::new(arr))),
        DataType::Dynamic,
    ))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::{call, s};
    use crate::value::{Dynamic, Value};

    fn at(text: &str) -> Value {
        Value::DateTime(crate::time::parse_datetime(text).unwrap())
    }

    #[test]
    fn local_times_convert_to_utc_with_the_zone_offset() {
        let local = at("2020-02-02 20:02:20");
        assert_eq!(
            call("datetime_local_to_utc", &[local.clone(), s("US/Pacific")]),
            at("2020-02-03 04:02:20")
        );
        assert_eq!(
            call("datetime_local_to_utc", &[local, s("Europe/Paris")]),
            at("2020-02-02 19:02:20")
        );
    }

    #[test]
    fn utc_converts_to_local_and_unknown_zones_give_null() {
        let utc = at("2020-07-01 12:00:00");
        assert_eq!(
            call("datetime_utc_to_local", &[utc.clone(), s("Europe/Paris")]),
            at("2020-07-01 14:00:00")
        );
        assert_eq!(
            call("datetime_utc_to_local", &[utc, s("Mars/Olympus")]),
            Value::Null
        );
    }

    #[test]
    fn the_zone_list_is_sorted_and_includes_links() {
        let Value::Dynamic(Dynamic::Array(zones)) = call("datetime_list_timezones", &[]) else {
            panic!("expected an array")
        };
        assert!(zones.contains(&Dynamic::String("US/Pacific".into())));
        assert!(zones
            .windows(2)
            .all(|w| format!("{:?}", w[0]) < format!("{:?}", w[1])));
    }
}
