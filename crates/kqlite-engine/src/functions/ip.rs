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
        Func {
            name: "parse_ipv4",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Long),
            evaluate: parse_ipv4,
        },
        Func {
            name: "ipv4_is_private",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Bool),
            evaluate: is_private,
        },
        Func {
            name: "ipv4_is_in_range",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Bool),
            evaluate: in_range,
        },
        Func {
            name: "ipv4_compare",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Long),
            evaluate: |a, r, _| Ok(compare(a, r, false)),
        },
        Func {
            name: "ipv4_is_match",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Bool),
            evaluate: |a, r, _| Ok(compare(a, r, true)),
        },
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
