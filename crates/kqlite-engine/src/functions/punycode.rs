//! Punycode (RFC 3492): `punycode_from_string`, `punycode_to_string`, and
//! the per-label domain forms `punycode_domain_to_string` /
//! `punycode_domain_from_string`.
//!
//! As in Kusto, no IDNA mapping happens: case and spaces are kept, and
//! labels are separated by `.` or the ideographic/fullwidth full stops.

use super::{arity, as_text, rowwise, Func};
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    let sig: super::Signature = |a| arity(a, 1, 1).map(|_| DataType::String);
    vec![
        Func::plain("punycode_from_string", sig, |a, r, _| Ok(map(a, r, encode))),
        Func::plain("punycode_to_string", sig, |a, r, _| Ok(map(a, r, decode))),
        Func::plain("punycode_domain_to_string", sig, |a, r, _| {
            Ok(map(a, r, encode_domain))
        }),
        Func::plain("punycode_domain_from_string", sig, |a, r, _| {
            Ok(map(a, r, decode_domain))
        }),
    ]
}

/// Applies `f` per row; failures give the empty string.
fn map(
    args: &[crate::function::ColumnarValue],
    rows: usize,
    f: fn(&str) -> Option<String>,
) -> crate::function::ColumnarValue {
    rowwise(args, rows, DataType::String, |v| {
        let text = v.first().map(as_text).unwrap_or_default();
        Value::string(f(&text).unwrap_or_default())
    })
}

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points.max(1);
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit_char(d: u32) -> Option<char> {
    match d {
        0..=25 => char::from_u32(u32::from(b'a') + d),
        26..=35 => char::from_u32(u32::from(b'0') + d - 26),
        _ => None,
    }
}

fn char_digit(c: char) -> Option<u32> {
    match c {
        'a'..='z' => Some(c as u32 - u32::from(b'a')),
        'A'..='Z' => Some(c as u32 - u32::from(b'A')),
        '0'..='9' => Some(c as u32 - u32::from(b'0') + 26),
        _ => None,
    }
}

fn threshold(k: u32, bias: u32) -> u32 {
    if k <= bias {
        T_MIN
    } else if k >= bias + T_MAX {
        T_MAX
    } else {
        k - bias
    }
}

/// Encodes a Unicode string as Punycode (`None` on overflow).
fn encode(input: &str) -> Option<String> {
    let chars: Vec<u32> = input.chars().map(|c| c as u32).collect();
    let mut out: String = input.chars().filter(char::is_ascii).collect();
    let basic = out.chars().count() as u32;
    let mut handled = basic;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let total = chars.len() as u32;
    while handled < total {
        let m = chars.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    out.push(digit_char(t + (q - t) % (BASE - t))?);
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit_char(q)?);
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

/// Decodes Punycode to Unicode (`None` when malformed).
fn decode(input: &str) -> Option<String> {
    let (basic, rest) = match input.rfind('-') {
        Some(i) => (input.get(..i)?, input.get(i + 1..)?),
        None => ("", input),
    };
    if !basic.is_ascii() {
        return None;
    }
    let mut out: Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut digits = rest.chars().peekable();
    while digits.peek().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let d = char_digit(digits.next()?)?;
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = threshold(k, bias);
            if d < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
    }
    Some(out.into_iter().collect())
}

fn labels(domain: &str) -> impl Iterator<Item = &str> {
    domain.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}'])
}

fn encode_domain(domain: &str) -> Option<String> {
    let parts: Option<Vec<String>> = labels(domain)
        .map(|l| {
            if l.is_ascii() {
                Some(l.to_string())
            } else {
                encode(l).map(|e| format!("xn--{e}"))
            }
        })
        .collect();
    Some(parts?.join("."))
}

fn decode_domain(domain: &str) -> Option<String> {
    let parts: Option<Vec<String>> = labels(domain)
        .map(|l| match l.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("xn--") => decode(l.get(4..)?),
            _ => Some(l.to_string()),
        })
        .collect();
    Some(parts?.join("."))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::{call, s};

    #[test]
    fn punycode_round_trips_kusto_samples() {
        assert_eq!(
            call("punycode_from_string", &[s("académie-française")]),
            s("acadmie-franaise-npb1a")
        );
        assert_eq!(
            call("punycode_to_string", &[s("acadmie-franaise-npb1a")]),
            s("académie-française")
        );
    }

    #[test]
    fn domains_encode_each_non_ascii_label_and_keep_case() {
        assert_eq!(
            call(
                "punycode_domain_to_string",
                &[s("Lê Lợi。Thuận Thiên。com")]
            ),
            s("xn--L Li-gpa4517b.xn--Thun Thin-s4a7194f.com")
        );
        assert_eq!(
            call(
                "punycode_domain_from_string",
                &[s("xn--Ry-lja8c.xn--Jng-uta63a.xn--Bng-9ka.com")]
            ),
            s("Rúyì.Jīngū.Bàng.com")
        );
    }

    #[test]
    fn malformed_punycode_gives_empty() {
        assert_eq!(call("punycode_to_string", &[s("a-!!")]), s(""));
    }
}
