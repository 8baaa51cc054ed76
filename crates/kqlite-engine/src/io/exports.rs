//! The shapes in which people export query results, recognised from the
//! content:
//!
//! - CSV from the Azure portal's Log Analytics "Export to CSV": datetime
//!   columns carry a unit in the header (`TimeGenerated [UTC]`, or
//!   `TimeGenerated [Local Time]` when the portal shows local time) and
//!   their values are written in the browser's US English form
//!   (`6/15/2023, 12:09:31 PM`, `2/25/2025, 9:19:25.391 AM`);
//! - JSON from the Log Analytics query API (`tables` / `columns` / `rows`),
//!   read by the Log Analytics loader;
//! - JSON from the Defender XDR advanced hunting API (`Schema` / `Results`,
//!   with `Stats` beside them) and from Microsoft Graph's `runHuntingQuery`
//!   (`schema` / `results`), read by the same loader;
//! - CSV from Defender XDR advanced hunting's Export button: a plain header
//!   (`Timestamp,DeviceId,...`) with ISO 8601 timestamps, which the CSV
//!   loader's inference already types.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

use super::Format;
use crate::time::{from_naive, TICKS_PER_SECOND};

/// Unit suffixes the portal appends to datetime column names.
const UNIT_SUFFIXES: [&str; 2] = [" [UTC]", " [Local Time]"];

/// The column name without a portal unit suffix (`TimeGenerated [UTC]` →
/// `TimeGenerated`), or `None` when the header has no such suffix. Such a
/// column holds datetimes.
pub(crate) fn strip_unit_suffix(header: &str) -> Option<&str> {
    UNIT_SUFFIXES.iter().find_map(|suffix| {
        let cut = header.len().checked_sub(suffix.len())?;
        let tail = header.get(cut..)?;
        let base = header.get(..cut)?.trim_end();
        (tail.eq_ignore_ascii_case(suffix) && !base.is_empty()).then_some(base)
    })
}

/// Parses the portal's datetime form `M/D/YYYY, h:mm:ss[.fff] AM|PM`
/// (month first; the comma, the seconds and the fraction are optional, and
/// without AM/PM the hour runs 0-23) as UTC ticks.
pub(crate) fn parse_portal_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, time) = s.split_once([',', ' '])?;
    let time = time.trim_start_matches([',', ' ']);
    let mut parts = date.split('/');
    let month = small_number(parts.next()?, 1, 2)?;
    let day = small_number(parts.next()?, 1, 2)?;
    let year_text = parts.next()?;
    if parts.next().is_some() || year_text.len() != 4 {
        return None;
    }
    let year = i32::try_from(small_number(year_text, 4, 4)?).ok()?;
    let (clock, meridiem) = split_meridiem(time)?;
    let mut fields = clock.split(':');
    let hour = small_number(fields.next()?, 1, 2)?;
    let minute = small_number(fields.next()?, 2, 2)?;
    let (second, fraction) = match fields.next() {
        Some(sec) => {
            let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
            if sec.contains('.') && frac.is_empty() {
                return None;
            }
            (small_number(whole, 2, 2)?, frac)
        }
        None => (0, ""),
    };
    if fields.next().is_some() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour = match meridiem {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => hour,
    };
    if year < 1 {
        return None;
    }
    let naive =
        chrono::NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, second)?;
    let mut ticks = 0i64;
    let mut unit = TICKS_PER_SECOND;
    for digit in fraction.bytes().take(7) {
        unit /= 10;
        ticks += i64::from(digit - b'0') * unit;
    }
    from_naive(naive).checked_add(ticks)
}

/// Splits a trailing ` AM` / ` PM` (any case, the space optional) off a
/// clock time: `Some(true)` for PM.
fn split_meridiem(time: &str) -> Option<(&str, Option<bool>)> {
    let time = time.trim_end();
    let cut = time.len().checked_sub(2);
    let tail = cut.and_then(|c| time.get(c..));
    let meridiem = match tail {
        Some(t) if t.eq_ignore_ascii_case("AM") => Some(false),
        Some(t) if t.eq_ignore_ascii_case("PM") => Some(true),
        _ => None,
    };
    match (meridiem, cut) {
        (Some(pm), Some(c)) => Some((time.get(..c)?.trim_end(), Some(pm))),
        _ => Some((time, None)),
    }
}

/// A number of `min..=max` ASCII digits.
fn small_number(text: &str, min: usize, max: usize) -> Option<u32> {
    if !(min..=max).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Which top-level keys of a JSON object hold arrays.
#[derive(Debug, Default)]
struct TopKeys {
    tables: bool,
    schema: bool,
    results: bool,
}

/// Tells the shape of a JSON document that is one object from its
/// top-level keys: a Log Analytics response (`tables`) or an advanced
/// hunting response (`Schema` and `Results`, either case) loads with the
/// Log Analytics loader; an object that is neither, or is followed by more
/// values, starts JSON Lines. `None` when the first object is not
/// well-formed JSON.
pub(crate) fn sniff_response(bytes: &[u8]) -> Option<Format> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let keys = TopKeysSeed.deserialize(&mut de).ok()?;
    let response = keys.tables || (keys.schema && keys.results);
    Some(if response && de.end().is_ok() {
        Format::LogAnalytics
    } else {
        Format::JsonLines
    })
}

struct TopKeysSeed;

impl<'de> DeserializeSeed<'de> for TopKeysSeed {
    type Value = TopKeys;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<TopKeys, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopKeysSeed {
    type Value = TopKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopKeys, A::Error> {
        let mut keys = TopKeys::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let is_array = map.next_value::<IsArray>()?.0;
            match &*key {
                "tables" | "Tables" => keys.tables |= is_array,
                "Schema" | "schema" => keys.schema |= is_array,
                "Results" | "results" => keys.results |= is_array,
                _ => {}
            }
        }
        Ok(keys)
    }
}

/// Any JSON value, remembering only whether it was an array.
struct IsArray(bool);

impl<'de> de::Deserialize<'de> for IsArray {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<IsArray, D::Error> {
        d.deserialize_any(IsArrayVisitor)
    }
}

struct IsArrayVisitor;

impl<'de> Visitor<'de> for IsArrayVisitor {
    type Value = IsArray;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<IsArray, E> {
        Ok(IsArray(false))
    }

    fn visit_i64<E>(self, _: i64) -> Result<IsArray, E> {
        Ok(IsArray(false))
    }

    fn visit_u64<E>(self, _: u64) -> Result<IsArray, E> {
        Ok(IsArray(false))
    }

    fn visit_f64<E>(self, _: f64) -> Result<IsArray, E> {
        Ok(IsArray(false))
    }

    fn visit_str<E>(self, _: &str) -> Result<IsArray, E> {
        Ok(IsArray(false))
    }

    fn visit_unit<E>(self) -> Result<IsArray, E> {
        Ok(IsArray(false))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IsArray, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(IsArray(true))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<IsArray, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(IsArray(false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_datetime;

    fn iso(s: &str) -> i64 {
        parse_datetime(s).unwrap_or(-1)
    }

    #[test]
    fn portal_unit_suffixes_are_cut_from_header_names() {
        assert_eq!(
            strip_unit_suffix("TimeGenerated [UTC]"),
            Some("TimeGenerated")
        );
        assert_eq!(
            strip_unit_suffix("TimeGenerated [Local Time]"),
            Some("TimeGenerated")
        );
        assert_eq!(strip_unit_suffix("StartTime [utc]"), Some("StartTime"));
        assert_eq!(strip_unit_suffix("TimeGenerated"), None);
        assert_eq!(strip_unit_suffix(" [UTC]"), None);
        assert_eq!(strip_unit_suffix("Name [x]"), None);
    }

    #[test]
    fn the_portal_date_form_parses_in_12_and_24_hour_clocks() {
        let cases = [
            ("1/15/2026, 11:00:00.000 AM", "2026-01-15T11:00:00Z"),
            ("1/15/2026, 12:00:00.000 AM", "2026-01-15T00:00:00Z"),
            ("1/15/2026, 12:30:00 PM", "2026-01-15T12:30:00Z"),
            ("6/15/2023, 12:09:31 PM", "2023-06-15T12:09:31Z"),
            ("2/25/2025, 9:19:25.391 PM", "2025-02-25T21:19:25.391Z"),
            (
                "12/31/2024 23:59:59.1234567",
                "2024-12-31T23:59:59.1234567Z",
            ),
            ("12/31/2024, 7:05 pm", "2024-12-31T19:05:00Z"),
        ];
        for (text, want) in cases {
            assert_eq!(parse_portal_datetime(text), Some(iso(want)), "{text}");
        }
    }

    #[test]
    fn text_that_only_resembles_the_portal_date_form_is_refused() {
        for text in [
            "13/15/2026, 11:00:00 AM",
            "1/15/26, 11:00:00 AM",
            "1/15/2026, 13:00:00 PM",
            "1/15/2026, 0:00:00 AM",
            "1/15/2026, 11:00:00.",
            "1/15/2026, 11:0:00 AM",
            "2/30/2026, 11:00:00 AM",
            "1/15/2026",
            "1/15/2026, noon",
            "",
        ] {
            assert_eq!(parse_portal_datetime(text), None, "{text}");
        }
    }

    #[test]
    fn response_documents_are_told_by_their_top_level_keys() {
        let la = br#"{"tables":[{"name":"PrimaryResult","columns":[],"rows":[]}]}"#;
        let ah = br#"{"Stats":{"ExecutionTime":1.0},"Schema":[],"Results":[]}"#;
        let graph = br#"{"@odata.context":"x","schema":[],"results":[]}"#;
        for doc in [&la[..], &ah[..], &graph[..]] {
            assert_eq!(sniff_response(doc), Some(Format::LogAnalytics));
        }
        let lines = Some(Format::JsonLines);
        assert_eq!(sniff_response(br#"{"Schema":"x","Results":[]}"#), lines);
        assert_eq!(sniff_response(b"{\"a\":1}\n{\"tables\":[]}\n"), lines);
        assert_eq!(
            sniff_response(b"{\"tables\":[1]}\n{\"tables\":[2]}\n"),
            lines
        );
        assert_eq!(sniff_response(b"{\"a\":"), None);
    }
}
