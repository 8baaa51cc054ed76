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

/// Ticks for a calendar date and time of day, if the date exists and the
/// result lies in the datetime range.
fn ticks_from_parts(year: i64, month: u32, day: u32, time_of_day: i64) -> Option<i64> {
    let year = i32::try_from(year).ok()?;
    if !(1..=9999).contains(&year) {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
    let days = i64::from(chrono::Datelike::num_days_from_ce(&date)) - 1;
    Some(days * TICKS_PER_DAY + time_of_day)
}

/// A byte cursor for the hand-written date and timespan parsers.
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Cursor<'a> {
        Cursor {
            b: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.b.len()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// Reads between `min` and `max` decimal digits.
    fn digits(&mut self, min: usize, max: usize) -> Option<(i64, usize)> {
        let start = self.pos;
        let mut v: i64 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(c) if c.is_ascii_digit() => {
                    v = v * 10 + i64::from(c - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let n = self.pos - start;
        if n < min {
            self.pos = start;
            return None;
        }
        Some((v, n))
    }

    /// Reads a run of ASCII letters.
    fn word(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        std::str::from_utf8(self.b.get(start..self.pos).unwrap_or_default()).unwrap_or_default()
    }
}

/// Reads `hh:mm[:ss[.fffffff]]` as ticks since midnight. Fraction digits
/// beyond the seventh are ignored.
fn parse_time_of_day(c: &mut Cursor<'_>) -> Option<i64> {
    let (h, _) = c.digits(1, 2)?;
    if !c.eat(b':') {
        return None;
    }
    let (m, _) = c.digits(2, 2)?;
    let mut s = 0;
    let mut frac = 0;
    if c.eat(b':') {
        s = c.digits(2, 2)?.0;
        if c.eat(b'.') || c.eat(b',') {
            frac = parse_fraction(c)?;
        }
    }
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE + s * TICKS_PER_SECOND + frac)
}

/// Reads one or more fraction digits as ticks (seven digits = one tick).
fn parse_fraction(c: &mut Cursor<'_>) -> Option<i64> {
    let start = c.pos;
    let mut ticks = 0;
    let mut scale = TICKS_PER_SECOND;
    while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
        scale /= 10;
        ticks += i64::from(d - b'0') * scale;
        c.pos += 1;
    }
    (c.pos > start).then_some(ticks)
}

/// Reads an optional zone suffix and returns its offset from UTC in ticks
/// (`Z`, `UTC`, `GMT`, `UT`, US zone abbreviations, `±hh:mm`, `±hhmm`, `±hh`).
/// `None` when something unrecognised follows.
fn parse_zone(c: &mut Cursor<'_>) -> Option<i64> {
    c.skip_spaces();
    if c.at_end() {
        return Some(0);
    }
    let offset = match c.peek()? {
        sign @ (b'+' | b'-') => {
            c.pos += 1;
            let (h, n) = c.digits(2, 4)?;
            let (h, m) = if n == 4 {
                (h / 100, h % 100)
            } else if n == 2 {
                if c.eat(b':') {
                    (h, c.digits(2, 2)?.0)
                } else {
                    (h, 0)
                }
            } else {
                return None;
            };
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * TICKS_PER_HOUR + m * TICKS_PER_MINUTE;
            if sign == b'-' {
                -off
            } else {
                off
            }
        }
        _ => {
            let hours = match c.word().to_ascii_uppercase().as_str() {
                "Z" | "UTC" | "GMT" | "UT" => 0,
                "EST" => -5,
                "EDT" => -4,
                "CST" => -6,
                "CDT" => -5,
                "MST" => -7,
                "MDT" => -6,
                "PST" => -8,
                "PDT" => -7,
                _ => return None,
            };
            hours * TICKS_PER_HOUR
        }
    };
    c.skip_spaces();
    c.at_end().then_some(offset)
}

/// Reads an optional ` time [zone]` tail after a date; returns (time of day,
/// zone offset).
fn parse_time_tail(c: &mut Cursor<'_>, allow_t: bool) -> Option<(i64, i64)> {
    let had_space = c.skip_spaces() > 0;
    if c.at_end() {
        return Some((0, 0));
    }
    let had_t = allow_t && !had_space && (c.eat(b'T') || c.eat(b't'));
    if !had_space && !had_t {
        // A zone directly after the date (`2015-12-31Z`).
        return parse_zone(c).map(|z| (0, z));
    }
    if had_t {
        c.skip_spaces();
    }
    if !c.peek().is_some_and(|b| b.is_ascii_digit()) {
        return if had_t {
            None
        } else {
            parse_zone(c).map(|z| (0, z))
        };
    }
    let tod = parse_time_of_day(c)?;
    let zone = parse_zone(c)?;
    Some((tod, zone))
}

fn finish_datetime(year: i64, month: i64, day: i64, tail: (i64, i64)) -> Option<i64> {
    let (tod, zone) = tail;
    let month = u32::try_from(month).ok()?;
    let day = u32::try_from(day).ok()?;
    let local = ticks_from_parts(year, month, day, tod)?;
    let utc = local.checked_sub(zone)?;
    (0..=MAX_DATETIME_TICKS).contains(&utc).then_some(utc)
}

/// Two-digit years map to 1930..=2029, as .NET's invariant calendar does.
fn expand_year(y: i64, digits: usize) -> i64 {
    match digits {
        2 if y < 30 => 2000 + y,
        2 => 1900 + y,
        _ => y,
    }
}

fn month_from_name(name: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let lower = name.to_ascii_lowercase();
    let short = lower.get(..3)?;
    let i = MONTHS.iter().position(|m| *m == short)?;
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (lower.len() == 3 || FULL.get(i).is_some_and(|f| *f == lower) || lower == "sept")
        .then_some(i as i64 + 1)
}

fn is_weekday_name(name: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = name.to_ascii_lowercase();
    DAYS.iter()
        .any(|d| *d == lower || (lower.len() == 3 && d.starts_with(lower.as_str())))
}

/// `YYYY-MM-DD` / `YYYY/MM/DD` / `YYYYMMDD`, then an optional time and zone.
fn parse_iso_like(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    let (year, n) = c.digits(4, 8)?;
    if n == 8 {
        // Sortable `YYYYMMDD`.
        let tail = parse_time_tail(&mut c, true)?;
        return finish_datetime(year / 10_000, year / 100 % 100, year % 100, tail);
    }
    if n != 4 {
        return None;
    }
    c.skip_spaces();
    let sep = c.peek().filter(|b| *b == b'-' || *b == b'/')?;
    c.pos += 1;
    c.skip_spaces();
    let (month, _) = c.digits(1, 2)?;
    c.skip_spaces();
    if !c.eat(sep) {
        return None;
    }
    c.skip_spaces();
    let (day, _) = c.digits(1, 2)?;
    let tail = parse_time_tail(&mut c, true)?;
    finish_datetime(year, month, day, tail)
}

/// US order `MM-DD-YYYY` / `MM/DD/YYYY`, then an optional time and zone.
fn parse_us_date(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    let (month, _) = c.digits(1, 2)?;
    let sep = c.peek().filter(|b| *b == b'-' || *b == b'/')?;
    c.pos += 1;
    let (day, _) = c.digits(1, 2)?;
    if !c.eat(sep) {
        return None;
    }
    let (year, n) = c.digits(4, 4)?;
    let tail = parse_time_tail(&mut c, false)?;
    finish_datetime(expand_year(year, n), month, day, tail)
}

/// RFC 822 / 1123 / 850: `[Sat,] 8 Nov 2014 15:05[:02] [GMT]` and
/// `Saturday, 08-Nov-14 15:05:02 GMT`.
fn parse_rfc(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    if c.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
        if !is_weekday_name(c.word()) {
            return None;
        }
        c.eat(b',');
        c.skip_spaces();
    }
    let (day, _) = c.digits(1, 2)?;
    let dashed = c.eat(b'-');
    if !dashed && c.skip_spaces() == 0 {
        return None;
    }
    let month = month_from_name(c.word())?;
    if dashed {
        if !c.eat(b'-') {
            return None;
        }
    } else if c.skip_spaces() == 0 {
        return None;
    }
    let (year, n) = c.digits(2, 4)?;
    if n == 3 {
        return None;
    }
    if c.skip_spaces() == 0 {
        return if c.at_end() {
            finish_datetime(expand_year(year, n), month, day, (0, 0))
        } else {
            None
        };
    }
    if c.at_end() {
        return finish_datetime(expand_year(year, n), month, day, (0, 0));
    }
    let tod = parse_time_of_day(&mut c)?;
    let zone = parse_zone(&mut c)?;
    finish_datetime(expand_year(year, n), month, day, (tod, zone))
}

/// Parses a datetime the way `todatetime()` and `datetime(...)` literals do,
/// returning UTC ticks, or `None` when the text is not a datetime.
///
/// Accepted forms:
/// - ISO 8601 with `T` or a space: `2014-05-25T08:20:03.123456Z`,
///   `2014-11-08 15:55:55`, `2014-11-08 15:55`, `2014-11-08`; fractions of
///   any length (digits past the seventh are ignored); `Z`, `UTC`/`GMT` or a
///   `±hh:mm`/`±hhmm`/`±hh` offset, converted to UTC; `/` instead of `-`;
/// - sortable `20141108`, `20141108 15:05:02`;
/// - US order `12-31-2015`, `12/31/2015 10:00`;
/// - RFC 822/1123 `Sat, 8 Nov 2014 15:05:02 GMT` (weekday and seconds
///   optional, two-digit years map to 1930..=2029) and RFC 850
///   `Saturday, 08-Nov-14 15:05:02 GMT`.
///
/// Never panics; out-of-range dates give `None`.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let first = *s.as_bytes().first()?;
    if first.is_ascii_alphabetic() {
        return parse_rfc(s);
    }
    if !first.is_ascii_digit() {
        return None;
    }
    parse_iso_like(s)
        .or_else(|| parse_us_date(s))
        .or_else(|| parse_rfc(s))
}

/// Multiplies a decimal number `int.frac` (frac digits given as text) by
/// `unit` ticks, truncating below one tick.
fn scale_decimal(int: i128, frac: &[u8], unit: i128) -> Option<i128> {
    let mut total = int.checked_mul(unit)?;
    let mut denom: i128 = 1;
    let mut num: i128 = 0;
    for d in frac.iter().take(20) {
        num = num * 10 + i128::from(d - b'0');
        denom *= 10;
    }
    total = total.checked_add(num.checked_mul(unit)? / denom)?;
    Some(total)
}

/// Parses a timespan as `totimespan()` and timespan literals do, returning
/// ticks, or `None` when the text is not a timespan.
///
/// Accepted forms:
/// - .NET constant format `[-][d.]hh:mm[:ss[.fffffff]]` (hours 0-23,
///   minutes and seconds 0-59);
/// - KQL literals: a number (optionally with a fraction, optionally
///   negative) and a unit: `d`/`day`/`days`, `h`/`hr`/`hrs`/`hour`/`hours`,
///   `m`/`min`/`minute`/`minutes`, `s`/`sec`/`second`/`seconds`,
///   `ms`/`milli`/`millis`/`millisecond`/`milliseconds`,
///   `microsecond`/`microseconds`, `tick`/`ticks` — `1.5d`, `100ms`, `1tick`,
///   `15 seconds`; a bare integer counts days (`timespan(2)` is two days).
///
/// Never panics; values outside the `long` range give `None`.
pub fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let ticks = if body.contains(':') {
        parse_clock_timespan(body)?
    } else {
        parse_unit_timespan(body)?
    };
    let ticks = if neg { -ticks } else { ticks };
    i64::try_from(ticks).ok()
}

fn parse_clock_timespan(body: &str) -> Option<i128> {
    let mut c = Cursor::new(body);
    let (first, _) = c.digits(1, 9)?;
    let (days, hours) = if c.eat(b'.') {
        (first, c.digits(1, 2)?.0)
    } else {
        (0, first)
    };
    if !c.eat(b':') {
        return None;
    }
    let (mins, _) = c.digits(1, 2)?;
    let mut secs = 0;
    let mut frac = 0;
    if c.eat(b':') {
        secs = c.digits(1, 2)?.0;
        if c.eat(b'.') {
            frac = parse_fraction(&mut c)?;
        }
    }
    if !c.at_end() || hours > 23 || mins > 59 || secs > 59 {
        return None;
    }
    Some(
        i128::from(days) * i128::from(TICKS_PER_DAY)
            + i128::from(
                hours * TICKS_PER_HOUR + mins * TICKS_PER_MINUTE + secs * TICKS_PER_SECOND + frac,
            ),
    )
}

fn parse_unit_timespan(body: &str) -> Option<i128> {
    let b = body.as_bytes();
    let int_end = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    let (int_digits, rest) = b.split_at(int_end);
    let (frac_digits, rest) = match rest.split_first() {
        Some((b'.', after)) => {
            let n = after
                .iter()
                .position(|c| !c.is_ascii_digit())
                .unwrap_or(after.len());
            after.split_at(n)
        }
        _ => (&rest[..0], rest),
    };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let unit_text = std::str::from_utf8(rest).ok()?.trim_start();
    let unit = match unit_text {
        // `timespan(2)` is two days.
        "" if frac_digits.is_empty() => TICKS_PER_DAY,
        "d" | "day" | "days" => TICKS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND,
        "microsecond" | "microseconds" => TICKS_PER_MICROSECOND,
        "tick" | "ticks" => 1,
        _ => return None,
    };
    let mut int: i128 = 0;
    for d in int_digits {
        int = int.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
    }
    scale_decimal(int, frac_digits, i128::from(unit))
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

    fn ymd(y: i32, m: u32, d: u32) -> i64 {
        ticks_from_parts(i64::from(y), m, d, 0).unwrap()
    }

    #[test]
    fn iso_datetimes_parse_with_or_without_t_and_fraction() {
        let day = ymd(2014, 5, 25);
        let t = day + 8 * TICKS_PER_HOUR + 20 * TICKS_PER_MINUTE + 3 * TICKS_PER_SECOND;
        assert_eq!(
            parse_datetime("2014-05-25T08:20:03.123456Z"),
            Some(t + 1_234_560)
        );
        assert_eq!(
            parse_datetime("2014-05-25T08:20:03.1234567"),
            Some(t + 1_234_567)
        );
        assert_eq!(parse_datetime("2014-05-25 08:20:03"), Some(t));
        assert_eq!(
            parse_datetime("2014-05-25 08:20"),
            Some(t - 3 * TICKS_PER_SECOND)
        );
        assert_eq!(parse_datetime("2014-05-25"), Some(day));
        assert_eq!(parse_datetime("  2014-05-25  "), Some(day));
        assert_eq!(parse_datetime("2014/05/25"), Some(day));
        assert_eq!(parse_datetime("2017 - 08 - 01"), Some(ymd(2017, 8, 1)));
        assert_eq!(
            parse_datetime("2015-12-31 23:59:59.9"),
            Some(ymd(2015, 12, 31) + TICKS_PER_DAY - TICKS_PER_SECOND / 10)
        );
    }

    #[test]
    fn offsets_are_converted_to_utc() {
        let base = ymd(2014, 11, 8) + 15 * TICKS_PER_HOUR;
        assert_eq!(parse_datetime("2014-11-08T17:00:00+02:00"), Some(base));
        assert_eq!(parse_datetime("2014-11-08T10:00:00-0500"), Some(base));
        assert_eq!(parse_datetime("2014-11-08 15:00:00.000Z"), Some(base));
        assert_eq!(parse_datetime("2014-11-08 15:00 UTC"), Some(base));
    }

    #[test]
    fn rfc_822_and_850_dates_parse() {
        let t =
            ymd(2014, 11, 8) + 15 * TICKS_PER_HOUR + 5 * TICKS_PER_MINUTE + 2 * TICKS_PER_SECOND;
        assert_eq!(parse_datetime("Sat, 8 Nov 2014 15:05:02 GMT"), Some(t));
        assert_eq!(parse_datetime("Sat, 8 Nov 14 15:05:02 GMT"), Some(t));
        assert_eq!(parse_datetime("8 Nov 14 15:05:02"), Some(t));
        assert_eq!(
            parse_datetime("Sat, 8 Nov 14 15:05"),
            Some(t - 2 * TICKS_PER_SECOND)
        );
        assert_eq!(parse_datetime("Saturday, 08-Nov-14 15:05:02 GMT"), Some(t));
        assert_eq!(parse_datetime("Sat, 8 Nov 2014 16:05:02 +0100"), Some(t));
    }

    #[test]
    fn sortable_and_us_dates_parse() {
        assert_eq!(parse_datetime("20141108"), Some(ymd(2014, 11, 8)));
        assert_eq!(
            parse_datetime("20141108 15:05"),
            Some(ymd(2014, 11, 8) + 15 * TICKS_PER_HOUR + 5 * TICKS_PER_MINUTE)
        );
        assert_eq!(parse_datetime("12-02-2022"), Some(ymd(2022, 12, 2)));
        assert_eq!(
            parse_datetime("01/16/2022 00:00:00"),
            Some(ymd(2022, 1, 16))
        );
        assert_eq!(parse_datetime("10 MAY 2021"), Some(ymd(2021, 5, 10)));
        assert_eq!(parse_datetime("1970-5-12"), Some(ymd(1970, 5, 12)));
        assert_eq!(
            parse_datetime("01/01/2022 10:00"),
            Some(ymd(2022, 1, 1) + 10 * TICKS_PER_HOUR)
        );
    }

    #[test]
    fn malformed_or_impossible_datetimes_are_rejected_without_panicking() {
        for bad in [
            "",
            "x",
            "2014-13-01",
            "2014-02-30",
            "2014-05-25T25:00",
            "2014-05-25T",
            "2014-05-25 08",
            "2014-05-25 08:20:03 junk",
            "0000-01-01",
            "9999-12-31T23:00:00-05:00",
            "1",
            "--",
            "é",
            "2014-05-25T08:20:03.",
            "Sat,",
            "Sat, 8 Foo 2014",
            "99999999999999999999",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad:?}");
        }
        assert_eq!(
            parse_datetime("9999-12-31 23:59:59.9999999"),
            Some(MAX_DATETIME_TICKS)
        );
        assert_eq!(parse_datetime("0001-01-01"), Some(0));
    }

    #[test]
    fn clock_timespans_parse() {
        assert_eq!(parse_timespan("01:00:00"), Some(TICKS_PER_HOUR));
        assert_eq!(
            parse_timespan("1.00:00:00.0000001"),
            Some(TICKS_PER_DAY + 1)
        );
        assert_eq!(parse_timespan("-00:01:00"), Some(-TICKS_PER_MINUTE));
        assert_eq!(parse_timespan("00:30"), Some(30 * TICKS_PER_MINUTE));
        assert_eq!(
            parse_timespan("2.03:04:05.5"),
            Some(
                2 * TICKS_PER_DAY
                    + 3 * TICKS_PER_HOUR
                    + 4 * TICKS_PER_MINUTE
                    + 5 * TICKS_PER_SECOND
                    + TICKS_PER_SECOND / 2
            )
        );
        for t in [
            TICKS_PER_HOUR,
            TICKS_PER_DAY + 1,
            -TICKS_PER_MINUTE,
            123_456_789_012_345,
        ] {
            assert_eq!(parse_timespan(&format_timespan(t)), Some(t));
        }
    }

    #[test]
    fn literal_timespans_parse_with_every_unit() {
        assert_eq!(parse_timespan("1d"), Some(TICKS_PER_DAY));
        assert_eq!(parse_timespan("1.5d"), Some(TICKS_PER_DAY * 3 / 2));
        assert_eq!(parse_timespan("2h"), Some(2 * TICKS_PER_HOUR));
        assert_eq!(parse_timespan("30m"), Some(30 * TICKS_PER_MINUTE));
        assert_eq!(parse_timespan("10s"), Some(10 * TICKS_PER_SECOND));
        assert_eq!(parse_timespan("0.1s"), Some(TICKS_PER_SECOND / 10));
        assert_eq!(parse_timespan("100ms"), Some(100 * TICKS_PER_MILLISECOND));
        assert_eq!(parse_timespan("10microseconds"), Some(100));
        assert_eq!(parse_timespan("1tick"), Some(1));
        assert_eq!(parse_timespan("-5minutes"), Some(-5 * TICKS_PER_MINUTE));
        assert_eq!(parse_timespan(".5h"), Some(TICKS_PER_HOUR / 2));
        assert_eq!(parse_timespan("15 seconds"), Some(15 * TICKS_PER_SECOND));
        assert_eq!(parse_timespan("2"), Some(2 * TICKS_PER_DAY));
        assert_eq!(parse_timespan("2.5"), None);
    }

    #[test]
    fn malformed_timespans_are_rejected_without_panicking() {
        for bad in [
            "",
            "d",
            "1x",
            "24:00:00",
            "00:60",
            "1.2.3",
            "1:2:3:4",
            "99999999999999999999d",
            "-",
            "é",
            "1.:00",
        ] {
            assert_eq!(parse_timespan(bad), None, "{bad:?}");
        }
    }
}
