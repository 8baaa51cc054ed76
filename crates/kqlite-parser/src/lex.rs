//! Lexemes: the small nom parsers the recursive-descent parser is built on.
//!
//! Each function takes the remaining input and returns the rest and what it
//! recognized; none of nom's types leave this crate.

use nom::bytes::complete::take_while;
use nom::character::complete::{digit1, hex_digit1, multispace1, not_line_ending};
use nom::IResult;

type Lex<'a> = IResult<&'a str, &'a str, nom::error::Error<&'a str>>;

/// Whether `b` may start an identifier.
pub(crate) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Whether `b` may continue an identifier.
pub(crate) fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// An identifier: a letter or `_`, then letters, digits and `_`.
///
/// A plain byte loop: this runs at every token, so it skips nom's
/// per-character machinery.
pub(crate) fn ident(input: &str) -> Option<&str> {
    let bytes = input.as_bytes();
    if !is_ident_start(*bytes.first()?) {
        return None;
    }
    let len = bytes.iter().take_while(|b| is_ident_char(**b)).count();
    input.get(..len)
}

/// Length of the whitespace and `//` comments at the start of `input`.
pub(crate) fn trivia_len(input: &str) -> usize {
    // Fast path: most tokens are not preceded by trivia.
    match input.as_bytes().first() {
        Some(b) if b.is_ascii_whitespace() || *b == b'/' || !b.is_ascii() => {}
        _ => return 0,
    }
    let mut rest = input;
    loop {
        if let Ok((r, _)) = multispace1::<_, nom::error::Error<&str>>(rest) {
            rest = r;
            continue;
        }
        // Unicode spaces (no-break, zero-width) pasted from web pages.
        if let Some(c) = rest.chars().next().filter(|c| {
            !c.is_ascii() && (c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}'))
        }) {
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if rest.starts_with("//") {
            let r: Lex<'_> = not_line_ending(rest);
            match r {
                Ok((r, _)) => rest = r,
                Err(_) => rest = "",
            }
            continue;
        }
        break;
    }
    input.len() - rest.len()
}

/// Decimal digits.
pub(crate) fn digits(input: &str) -> Option<&str> {
    let r: Lex<'_> = digit1(input);
    r.ok().map(|(_, d)| d)
}

/// Hexadecimal digits.
pub(crate) fn hex_digits(input: &str) -> Option<&str> {
    let r: Lex<'_> = hex_digit1(input);
    r.ok().map(|(_, d)| d)
}

/// Letters only (a timespan unit after a number).
pub(crate) fn letters(input: &str) -> &str {
    let r: Lex<'_> = take_while(|c: char| c.is_ascii_alphabetic())(input);
    r.map(|(_, w)| w).unwrap_or("")
}

/// A number's text: `12`, `1.5`, `1e-3`, `2.5E+10` (no sign, no unit).
/// Returns the text and whether it is real.
pub(crate) fn number(input: &str) -> Option<(&str, bool)> {
    let int = digits(input)?;
    let mut len = int.len();
    let mut real = false;
    let bytes = input.as_bytes();
    if bytes.get(len) == Some(&b'.') {
        if let Some(frac) = input.get(len + 1..).and_then(digits) {
            len += 1 + frac.len();
            real = true;
        }
    }
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let mut k = len + 1;
        if matches!(bytes.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if let Some(exp) = input.get(k..).and_then(digits) {
            len = k + exp.len();
            real = true;
        }
    }
    Some((&input[..len], real))
}

/// Ticks (100 ns) per unit for a timespan suffix, in all of Kusto's spellings.
pub(crate) fn timespan_unit(unit: &str) -> Option<i64> {
    const TICK: i64 = 1;
    const MICRO: i64 = 10;
    const MILLI: i64 = 10_000;
    const SECOND: i64 = 10_000_000;
    const MINUTE: i64 = 60 * SECOND;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    Some(match unit {
        "d" | "day" | "days" => DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
        "m" | "min" | "minute" | "minutes" => MINUTE,
        "s" | "sec" | "second" | "seconds" => SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => MILLI,
        "microsecond" | "microseconds" => MICRO,
        "tick" | "ticks" => TICK,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trivia_skips_spaces_and_line_comments() {
        assert_eq!(trivia_len("  // hi\n  x"), 10);
        assert_eq!(trivia_len("// only a comment"), 17);
        assert_eq!(trivia_len("x"), 0);
    }

    #[test]
    fn number_stops_before_a_range_dot() {
        assert_eq!(number("1..10"), Some(("1", false)));
        assert_eq!(number("1.5d"), Some(("1.5", true)));
        assert_eq!(number("2e-3x"), Some(("2e-3", true)));
        assert_eq!(number("7eleven"), Some(("7", false)));
    }

    #[test]
    fn identifiers_start_with_a_letter_or_underscore() {
        assert_eq!(ident("_a1 b"), Some("_a1"));
        assert_eq!(ident("1a"), None);
    }

    #[test]
    fn every_timespan_spelling_is_known() {
        for unit in [
            "d",
            "days",
            "h",
            "hours",
            "m",
            "min",
            "s",
            "sec",
            "ms",
            "millisecond",
            "microseconds",
            "tick",
        ] {
            assert!(timespan_unit(unit).is_some(), "{unit}");
        }
        assert_eq!(timespan_unit("x"), None);
    }
}
