//! IPv4 functions: `parse_ipv4`, `ipv4_is_private`, `ipv4_is_in_range`,
//! `ipv4_compare`, `ipv4_is_match`.
//!
//! Addresses may carry a `/prefix` (CIDR) suffix; invalid text gives null.

use super::{arity, as_long, as_text, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "parse_ipv4",
            |a| arity(a, 1, 1).map(|_| DataType::Long),
            parse_ipv4,
        ),
        Func::plain(
            "ipv4_is_private",
            |a| arity(a, 1, 1).map(|_| DataType::Bool),
            is_private,
        ),
        Func::plain(
            "ipv4_is_in_range",
            |a| arity(a, 2, 2).map(|_| DataType::Bool),
            in_range,
        ),
        Func::plain(
            "ipv4_compare",
            |a| arity(a, 2, 3).map(|_| DataType::Long),
            |a, r, _| Ok(compare(a, r, false)),
        ),
        Func::plain(
            "ipv4_is_match",
            |a| arity(a, 2, 3).map(|_| DataType::Bool),
            |a, r, _| Ok(compare(a, r, true)),
        ),
        Func::plain(
            "ipv4_is_in_any_range",
            |a| arity(a, 2, 64).map(|_| DataType::Bool),
            in_any_range,
        ),
        Func::plain(
            "format_ipv4",
            |a| arity(a, 1, 2).map(|_| DataType::String),
            |a, r, _| Ok(format_ipv4(a, r, false)),
        ),
        Func::plain(
            "format_ipv4_mask",
            |a| arity(a, 1, 2).map(|_| DataType::String),
            |a, r, _| Ok(format_ipv4(a, r, true)),
        ),
        Func::plain(
            "has_ipv4",
            |a| arity(a, 2, 2).map(|_| DataType::Bool),
            |a, r, _| Ok(has_ipv4(a, r, false)),
        ),
        Func::plain(
            "has_ipv4_prefix",
            |a| arity(a, 2, 2).map(|_| DataType::Bool),
            |a, r, _| Ok(has_ipv4(a, r, true)),
        ),
        Func::plain(
            "has_any_ipv4",
            |a| arity(a, 2, 64).map(|_| DataType::Bool),
            |a, r, _| Ok(has_ipv4(a, r, false)),
        ),
        Func::plain(
            "has_any_ipv4_prefix",
            |a| arity(a, 2, 64).map(|_| DataType::Bool),
            |a, r, _| Ok(has_ipv4(a, r, true)),
        ),
        Func::plain(
            "ipv4_netmask_suffix",
            |a| super::arity(a, 1, 1).map(|_| DataType::Long),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::Long, |v| {
                    match v.first().map(as_text).as_deref().and_then(parse_cidr) {
                        Some((_, prefix)) => Value::Long(i64::from(prefix)),
                        None => Value::Null,
                    }
                }))
            },
        ),
        Func::plain(
            "parse_ipv4_mask",
            |a| arity(a, 2, 2).map(|_| DataType::Long),
            parse_ipv4_mask,
        ),
    ]
}

/// Parses `a.b.c.d` or `a.b.c.d/prefix` into (address, prefix length).
pub(crate) fn parse_cidr(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, p.trim().parse::<u32>().ok().filter(|p| *p <= 32)?),
        None => (text, 32),
    };
    let mut parts = addr.trim().split('.');
    let mut value = 0u32;
    for _ in 0..4 {
        let octet = parts.next()?;
        if octet.is_empty() || octet.len() > 3 || !octet.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        value = (value << 8) | octet.parse::<u8>().ok()? as u32;
    }
    if parts.next().is_some() {
        return None;
    }
    Some((value, prefix))
}

fn mask(prefix: u32) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

fn parse_ipv4(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Long, |v| {
        match v.first().map(as_text).as_deref().and_then(parse_cidr) {
            Some((ip, p)) => Value::Long((ip & mask(p)) as i64),
            None => Value::Null,
        }
    }))
}

/// `parse_ipv4_mask(ip, prefix)`: the address masked to `prefix` bits.
fn parse_ipv4_mask(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Long, |v| {
        let ip = v.first().map(as_text).as_deref().and_then(parse_cidr);
        let bits = v
            .get(1)
            .and_then(as_long)
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p <= 32);
        match (ip, bits) {
            (Some((ip, p)), Some(b)) => Value::Long((ip & mask(p.min(b))) as i64),
            _ => Value::Null,
        }
    }))
}

fn is_private(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    const PRIVATE: [(u32, u32); 3] = [(0x0A00_0000, 8), (0xAC10_0000, 12), (0xC0A8_0000, 16)];
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        match v.first().map(as_text).as_deref().and_then(parse_cidr) {
            Some((ip, p)) => Value::Bool(
                PRIVATE
                    .iter()
                    .any(|&(net, bits)| p >= bits && ip & mask(bits) == net),
            ),
            None => Value::Null,
        }
    }))
}

fn in_range(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let ip = v.first().map(as_text).as_deref().and_then(parse_cidr);
        let range = v.get(1).map(as_text).as_deref().and_then(parse_cidr);
        match (ip, range) {
            (Some((ip, _)), Some((net, p))) => Value::Bool(ip & mask(p) == net & mask(p)),
            _ => Value::Null,
        }
    }))
}

/// Texts of the arguments from index 1 on, with dynamic arrays flattened.
fn texts_from(v: &[Value], from: usize) -> Vec<String> {
    let mut out = Vec::new();
    for x in v.iter().skip(from) {
        match x {
            Value::Dynamic(crate::value::Dynamic::Array(a)) => {
                for d in a.iter() {
                    let mut t = String::new();
                    crate::kernels::convert::write_dynamic_text(d, &mut t);
                    out.push(t);
                }
            }
            other => out.push(as_text(other)),
        }
    }
    out
}

fn in_any_range(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let Some((ip, _)) = v.first().map(as_text).as_deref().and_then(parse_cidr) else {
            return Value::Null;
        };
        let ranges = texts_from(v, 1);
        Value::Bool(
            ranges
                .iter()
                .filter_map(|r| parse_cidr(r))
                .any(|(net, p)| ip & mask(p) == net & mask(p)),
        )
    }))
}

fn dotted(ip: u32) -> String {
    let b = ip.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// `format_ipv4(ip[, prefix])` / `format_ipv4_mask(...)`: the masked address,
/// with `/prefix` for the mask form; `""` for invalid input.
fn format_ipv4(args: &[ColumnarValue], rows: usize, with_mask: bool) -> ColumnarValue {
    rowwise(args, rows, DataType::String, |v| {
        // The address may also be its number (big-endian), as `parse_ipv4`
        // gives it.
        let parsed = match v.first() {
            Some(Value::Int(_) | Value::Long(_)) => v
                .first()
                .and_then(as_long)
                .and_then(|n| u32::try_from(n).ok())
                .map(|ip| (ip, 32)),
            other => other.map(as_text).as_deref().and_then(parse_cidr),
        };
        let Some((ip, p)) = parsed else {
            return Value::string("");
        };
        let extra = match v.get(1) {
            None => Some(32),
            Some(x) => as_long(x)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| *p <= 32),
        };
        let Some(extra) = extra else {
            return Value::string("");
        };
        let bits = p.min(extra);
        let text = dotted(ip & mask(bits));
        Value::string(if with_mask {
            format!("{text}/{bits}")
        } else {
            text
        })
    })
}

/// The valid IPv4 addresses appearing in `text` as whole tokens (not glued
/// to letters, digits or dots).
fn ipv4_tokens(text: &str) -> Vec<u32> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !(b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
            i += 1;
        }
        let glued_before = start > 0 && b[start - 1].is_ascii_alphanumeric();
        let glued_after = i < b.len() && b[i].is_ascii_alphanumeric();
        if !glued_before && !glued_after {
            if let Some((ip, 32)) = text.get(start..i).and_then(parse_cidr) {
                out.push(ip);
            }
        }
    }
    out
}

/// `has_ipv4`/`has_any_ipv4` (exact addresses) and the `_prefix` forms (a
/// prefix of whole octets ending in `.`, or a full address).
fn has_ipv4(args: &[ColumnarValue], rows: usize, prefix: bool) -> ColumnarValue {
    rowwise(args, rows, DataType::Bool, |v| {
        let text = v.first().map(as_text).unwrap_or_default();
        let wanted = texts_from(v, 1);
        let found = ipv4_tokens(&text);
        let hit = wanted.iter().any(|w| {
            if let Some((ip, 32)) = parse_cidr(w) {
                return found.contains(&ip);
            }
            if !prefix || !w.ends_with('.') {
                return false;
            }
            let octets: Option<Vec<u8>> = w
                .trim_end_matches('.')
                .split('.')
                .map(|o| o.parse::<u8>().ok())
                .collect();
            match octets {
                Some(o) if !o.is_empty() && o.len() < 4 => {
                    found.iter().any(|ip| ip.to_be_bytes().starts_with(&o))
                }
                _ => false,
            }
        });
        Value::Bool(hit)
    })
}

/// `ipv4_compare(a, b[, prefix])` (-1, 0, 1) or, with `is_match`,
/// `ipv4_is_match` (equality) using the smallest prefix given.
fn compare(args: &[ColumnarValue], rows: usize, is_match: bool) -> ColumnarValue {
    let ty = if is_match {
        DataType::Bool
    } else {
        DataType::Long
    };
    rowwise(args, rows, ty, |v| {
        let a = v.first().map(as_text).as_deref().and_then(parse_cidr);
        let b = v.get(1).map(as_text).as_deref().and_then(parse_cidr);
        let extra = match v.get(2) {
            None => Some(32),
            Some(x) => as_long(x)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|p| *p <= 32),
        };
        let (Some((a, pa)), Some((b, pb)), Some(pc)) = (a, b, extra) else {
            return Value::Null;
        };
        let m = mask(pa.min(pb).min(pc));
        let ord = (a & m).cmp(&(b & m));
        if is_match {
            Value::Bool(ord.is_eq())
        } else {
            Value::Long(ord as i64)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    #[test]
    fn parse_ipv4_reads_dotted_quads_and_masks_cidr() {
        assert_eq!(
            call("parse_ipv4", &[s("127.0.0.1")]),
            Value::Long(2_130_706_433)
        );
        assert_eq!(
            call("parse_ipv4", &[s("192.1.168.1/24")]),
            Value::Long(3_221_334_016)
        );
        assert_eq!(call("parse_ipv4", &[s("127.0.0.256")]), Value::Null);
        assert_eq!(call("parse_ipv4", &[s("1.2.3")]), Value::Null);
    }

    #[test]
    fn has_ipv4_finds_whole_addresses_only() {
        let line = s("05:04:54 127.0.0.1 GET /favicon.ico 404");
        assert_eq!(
            call("has_ipv4", &[line.clone(), s("127.0.0.1")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("has_ipv4", &[s("05:04:54127.0.0.1 GET"), s("127.0.0.1")]),
            Value::Bool(false)
        );
        assert_eq!(
            call("has_ipv4", &[s("x 127.0.0.256 y"), s("127.0.0.256")]),
            Value::Bool(false)
        );
        assert_eq!(
            call("has_ipv4_prefix", &[line.clone(), s("127.0.")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("has_ipv4_prefix", &[line.clone(), s("127.0")]),
            Value::Bool(false)
        );
        let list = Value::Dynamic(crate::value::Dynamic::from_json(&serde_json::json!([
            "127.0.0.1",
            "127.0.0.2"
        ])));
        assert_eq!(
            call("has_any_ipv4", &[line.clone(), list]),
            Value::Bool(true)
        );
        assert_eq!(
            call("has_any_ipv4_prefix", &[line, s("10."), s("127.0.")]),
            Value::Bool(true)
        );
    }

    #[test]
    fn format_ipv4_reads_an_address_given_as_its_number() {
        assert_eq!(
            call(
                "format_ipv4",
                &[Value::Long(3_232_236_031), Value::Long(24)]
            ),
            s("192.168.1.0")
        );
        assert_eq!(
            call("format_ipv4_mask", &[Value::Long(3_232_236_031)]),
            s("192.168.1.255/32")
        );
        assert_eq!(call("format_ipv4", &[Value::Long(-1)]), s(""));
    }

    #[test]
    fn ranges_and_formatting() {
        assert_eq!(
            call(
                "ipv4_is_in_any_range",
                &[s("192.168.1.6"), s("192.168.1.1/24"), s("10.0.0.1/8")]
            ),
            Value::Bool(true)
        );
        assert_eq!(
            call("format_ipv4", &[s("192.168.1.1"), Value::Long(24)]),
            s("192.168.1.0")
        );
        assert_eq!(
            call("format_ipv4_mask", &[s("192.168.1.1/24"), Value::Long(32)]),
            s("192.168.1.0/24")
        );
        assert_eq!(
            call("format_ipv4", &[s("192.168.1.1/24"), Value::Long(-1)]),
            s("")
        );
    }

    #[test]
    fn parse_ipv4_mask_masks_the_address() {
        assert_eq!(
            call("parse_ipv4_mask", &[s("127.0.0.1"), Value::Long(24)]),
            Value::Long(2_130_706_432)
        );
        assert_eq!(
            call("parse_ipv4_mask", &[s("127.0.0.1"), Value::Long(33)]),
            Value::Null
        );
    }

    #[test]
    fn private_ranges_and_ranges_match() {
        assert_eq!(call("ipv4_is_private", &[s("10.1.2.3")]), Value::Bool(true));
        assert_eq!(
            call("ipv4_is_private", &[s("172.31.0.1")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("ipv4_is_private", &[s("172.32.0.1")]),
            Value::Bool(false)
        );
        assert_eq!(call("ipv4_is_private", &[s("8.8.8.8")]), Value::Bool(false));
        assert_eq!(
            call("ipv4_is_in_range", &[s("192.168.1.6"), s("192.168.1.1/24")]),
            Value::Bool(true)
        );
        assert_eq!(
            call("ipv4_is_in_range", &[s("192.168.2.6"), s("192.168.1.1/24")]),
            Value::Bool(false)
        );
        assert_eq!(
            call("ipv4_compare", &[s("127.0.0.1"), s("127.0.0.2")]),
            Value::Long(-1)
        );
        assert_eq!(
            call("ipv4_is_match", &[s("192.168.1.1/24"), s("192.168.1.255")]),
            Value::Bool(true)
        );
    }
}
