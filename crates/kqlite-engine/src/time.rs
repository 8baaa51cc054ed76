//! Datetime and timespan arithmetic on 100-nanosecond ticks.
//!
//! Datetimes count ticks since 0001-01-01T00:00:00Z (as .NET does); the Unix
//! epoch is [`UNIX_EPOCH_TICKS`].

use chrono::{DateTime, NaiveDateTime, Utc};

/// Ticks per microsecond.
pub const TICKS_PER_MICROSECOND: i64 = 10;
/// Ticks per millisecond.
pub const TICKS_PER_MILLISECOND: i64 = 10_000;
/// Ticks per second.
pub const TICKS_PER_SECOND: i64 = 10_000_000;
/// Ticks per minute.
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
/// Ticks per hour.
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
/// Ticks per day.
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;
/// Ticks from 0001-01-01 to 1970-01-01.
pub const UNIX_EPOCH_TICKS: i64 = 621_355_968_000_000_000;
/// The largest valid datetime (9999-12-31T23:59:59.9999999Z).
pub const MAX_DATETIME_TICKS: i64 = 3_155_378_975_999_999_999;

/// Converts a chrono UTC datetime to ticks.
pub fn from_chrono(dt: DateTime<Utc>) -> i64 {
    let secs = dt.timestamp();
    let sub = i64::from(dt.timestamp_subsec_nanos()) / 100;
    UNIX_EPOCH_TICKS + secs * TICKS_PER_SECOND + sub
}

/// Converts ticks to a chrono UTC datetime, if in range.
pub fn to_chrono(ticks: i64) -> Option<DateTime<Utc>> {
    if !(0..=MAX_DATETIME_TICKS).contains(&ticks) {
        return None;
    }
    let rel = ticks - UNIX_EPOCH_TICKS;
    let secs = rel.div_euclid(TICKS_PER_SECOND);
    let nanos = (rel.rem_euclid(TICKS_PER_SECOND) * 100) as u32;
    DateTime::from_timestamp(secs, nanos)
}

/// Converts a naive (assumed UTC) datetime to ticks.
pub fn from_naive(dt: NaiveDateTime) -> i64 {
    from_chrono(dt.and_utc())
}

/// Formats a datetime as Kusto does, always with seven fraction digits:
/// `2020-01-01T00:00:00.0000000Z`. Out-of-range ticks print empty.
pub fn format_datetime(ticks: i64) -> String {
    match to_chrono(ticks) {
        Some(dt) => {
            let frac = ticks.rem_euclid(TICKS_PER_SECOND);
            format!("{}.{:07}Z", dt.format("%Y-%m-%dT%H:%M:%S"), frac)
        }
        None => String::new(),
    }
}

/// Formats a timespan as `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(ticks: i64) -> String {
    let neg = ticks < 0;
    let t = ticks.unsigned_abs();
    let tps = TICKS_PER_SECOND as u64;
    let days = t / TICKS_PER_DAY as u64;
    let hours = (t / TICKS_PER_HOUR as u64) % 24;
    let mins = (t / TICKS_PER_MINUTE as u64) % 60;
    let secs = (t / tps) % 60;
    let frac = t % tps;
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if days > 0 {
        s.push_str(&format!("{days}."));
    }
    s.push_str(&format!("{hours:02}:{mins:02}:{secs:02}"));
    if frac > 0 {
        s.push_str(&format!(".{frac:07}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unix_epoch_prints_with_seven_fraction_digits() {
        assert_eq!(
            format_datetime(UNIX_EPOCH_TICKS),
            "1970-01-01T00:00:00.0000000Z"
        );
    }

    #[test]
    fn timespans_print_days_and_fractions_only_when_present() {
        assert_eq!(format_timespan(TICKS_PER_HOUR), "01:00:00");
        assert_eq!(format_timespan(TICKS_PER_DAY + 1), "1.00:00:00.0000001");
        assert_eq!(format_timespan(-TICKS_PER_MINUTE), "-00:01:00");
    }

    #[test]
    fn chrono_conversion_round_trips() {
        let t = UNIX_EPOCH_TICKS + 123_456_789;
        assert_eq!(from_chrono(to_chrono(t).unwrap()), t);
    }
}
