//! IPv6 functions: `parse_ipv6`, `parse_ipv6_mask`, `ipv6_compare`,
//! `ipv6_is_match`, `ipv6_is_in_any_range`, and `ipv4_range_to_cidr_list`.
//!
//! IPv4 addresses take part as IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`). A `/prefix` written after an address in dotted IPv4
//! notation counts IPv4 bits (so `/24` covers 120 IPv6 bits).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::{as_long, as_text, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "parse_ipv6",
            |a| super::arity(a, 1, 1).map(|_| DataType::String),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::String, |v| {
                    canonical(v.first(), None).map_or(Value::Null, Value::string)
                }))
            },
        ),
        Func::plain(
            "parse_ipv6_mask",
            |a| super::arity(a, 2, 2).map(|_| DataType::String),
            |a, r, _| {
                Ok(rowwise(a, r, DataType::String, |v| {
                    let bits = v.get(1).and_then(as_long);
                    match bits {
                        Some(b) => canonical(v.first(), Some(b)).map_or(Value::Null, Value::string),
                        None => Value::Null,
                    }
                }))
            },
        ),
        Func::plain(
            "ipv6_compare",
            |a| super::arity(a, 2, 3).map(|_| DataType::Long),
            |a, r, _| Ok(compare(a, r, false)),
        ),
        Func::plain(
            "ipv6_is_match",
            |a| super::arity(a, 2, 3).map(|_| DataType::Bool),
            |a, r, _| Ok(compare(a, r, true)),
        ),
        Func::plain(
            "ipv6_is_in_range",
            |a| super::arity(a, 2, 2).map(|_| DataType::Bool),
            in_range,
        ),
        Func::plain(
            "ipv6_is_in_any_range",
            |a| super::arity(a, 2, 64).map(|_| DataType::Bool),
            in_any_range,
        ),
        Func::plain(
            "ipv4_range_to_cidr_list",
            |a| super::arity(a, 2, 2).map(|_| DataType::Dynamic),
            range_to_cidrs,
        ),
    ]
}

/// An address with its prefix length in IPv6 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Net {
    addr: u128,
    bits: u32,
}

impl Net {
    /// For comparisons, an IPv4-compatible address (`::a.b.c.d`) is taken
    /// as the IPv4-mapped one (`::ffff:a.b.c.d`), as Kusto compares them.
    fn as_mapped(self) -> Net {
        if self.addr >> 32 == 0 && self.addr > 0xffff {
            Net {
                addr: self.addr | (0xffffu128 << 32),
                bits: self.bits,
            }
        } else {
            self
        }
    }

    fn masked(self, bits: u32) -> u128 {
        self.addr & mask(bits)
    }
}

fn mask(bits: u32) -> u128 {
    match bits {
        0 => 0,
        b if b >= 128 => u128::MAX,
        b => u128::MAX << (128 - b),
    }
}

/// Parses `address[/prefix]` (IPv6, or IPv4 as a mapped address).
fn parse_net(text: &str) -> Option<Net> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a.trim(), Some(p.trim().parse::<u32>().ok()?)),
        None => (text, None),
    };
    let dotted = addr.contains('.');
    let value = if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        (0xffffu128 << 32) | u32::from(v4) as u128
    } else {
        u128::from(addr.parse::<Ipv6Addr>().ok()?)
    };
    let bits = match prefix {
        Some(p) if dotted => (p.min(32)) + 96,
        Some(p) => p.min(128),
        None => 128,
    };
    Some(Net { addr: value, bits })
}

/// Parses `address[/prefix]` into its 128-bit address and prefix length
/// (an IPv4 address as its IPv4-mapped IPv6 form).
pub(crate) fn parse_network(text: &str) -> Option<(u128, u32)> {
    parse_net(text).map(|n| (n.addr, n.bits))
}

fn net_of(v: Option<&Value>) -> Option<Net> {
    match v? {
        Value::Null => None,
        other => parse_net(&as_text(other)),
    }
}

/// The fully expanded lower-case form of an address, masked to its prefix
/// (and to `extra_bits` when given).
fn canonical(v: Option<&Value>, extra_bits: Option<i64>) -> Option<String> {
    let net = net_of(v)?;
    let bits = match extra_bits {
        Some(b) => net.bits.min(u32::try_from(b.clamp(0, 128)).ok()?),
        None => net.bits,
    };
    let addr = net.masked(bits);
    let groups: Vec<String> = (0..8)
        .map(|i| format!("{:04x}", (addr >> (112 - 16 * i)) & 0xffff))
        .collect();
    Some(groups.join(":"))
}

fn compare(args: &[ColumnarValue], rows: usize, is_match: bool) -> ColumnarValue {
    let ty = if is_match {
        DataType::Bool
    } else {
        DataType::Long
    };
    rowwise(args, rows, ty, |v| {
        let (Some(a), Some(b)) = (net_of(v.first()), net_of(v.get(1))) else {
            return Value::Null;
        };
        let (a, b) = (a.as_mapped(), b.as_mapped());
        let mut bits = a.bits.min(b.bits);
        if let Some(p) = v.get(2) {
            match as_long(p) {
                Some(p) if (0..=128).contains(&p) => bits = bits.min(p as u32),
                _ => return Value::Null,
            }
        }
        let order = a.masked(bits).cmp(&b.masked(bits));
        if is_match {
            Value::Bool(order.is_eq())
        } else {
            Value::Long(order as i64)
        }
    })
}

/// `ipv6_is_in_range(address, range)`: whether the address falls in the
/// range's prefix; null when either does not parse.
fn in_range(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        match (net_of(v.first()), net_of(v.get(1))) {
            (Some(ip), Some(r)) => Value::Bool(ip.masked(r.bits) == r.masked(r.bits)),
            _ => Value::Null,
        }
    }))
}

fn in_any_range(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let Some(ip) = net_of(v.first()) else {
            return Value::Null;
        };
        let mut ranges: Vec<Net> = Vec::new();
        for r in v.iter().skip(1) {
            match r {
                Value::Dynamic(Dynamic::Array(items)) => {
                    for d in items.iter() {
                        if let Dynamic::String(s) = d {
                            ranges.extend(parse_net(s));
                        }
                    }
                }
                Value::Dynamic(Dynamic::String(s)) => ranges.extend(parse_net(s)),
                Value::String(s) => ranges.extend(parse_net(s)),
                _ => {}
            }
        }
        Value::Bool(ranges.iter().any(|r| ip.masked(r.bits) == r.masked(r.bits)))
    }))
}

/// `ipv4_range_to_cidr_list(start, end)`: the fewest CIDR blocks covering
/// the inclusive range.
fn range_to_cidrs(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let parse = |x: Option<&Value>| -> Option<u32> {
            as_text(x?).trim().parse::<Ipv4Addr>().ok().map(u32::from)
        };
        let (Some(start), Some(end)) = (parse(v.first()), parse(v.get(1))) else {
            return Value::Null;
        };
        if start > end {
            return Value::Null;
        }
        let mut out = Vec::new();
        let mut cur = start as u64;
        let end = end as u64;
        while cur <= end {
            // The largest aligned block starting at `cur` that fits.
            let mut size = if cur == 0 {
                1u64 << 32
            } else {
                cur & cur.wrapping_neg()
            };
            while cur + size - 1 > end {
                size /= 2;
            }
            let prefix = 32 - size.trailing_zeros();
            out.push(Dynamic::String(Arc::from(format!(
                "{}/{prefix}",
                Ipv4Addr::from(cur as u32)
            ))));
            cur += size;
        }
        Value::Dynamic(Dynamic::Array(Arc::new(out)))
    }))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::{call, s};
    use crate::value::{Dynamic, Value};

    #[test]
    fn mask_canonicalizes_with_ipv4_prefixes_counting_ipv4_bits() {
        let mask = |ip: &str, bits: i64| call("parse_ipv6_mask", &[s(ip), Value::Long(bits)]);
        assert_eq!(
            mask("192.168.255.255", 120),
            s("0000:0000:0000:0000:0000:ffff:c0a8:ff00")
        );
        assert_eq!(
            mask("fe80::85d:e82c:9446:7994/120", 124),
            s("fe80:0000:0000:0000:085d:e82c:9446:7900")
        );
        assert_eq!(
            mask("::192.168.255.255/24", 128),
            s("0000:0000:0000:0000:0000:0000:c0a8:ff00")
        );
    }

    #[test]
    fn compare_and_match_use_the_shortest_prefix() {
        let cmp = |a: &str, b: &str| call("ipv6_compare", &[s(a), s(b)]);
        assert_eq!(cmp("192.168.1.1/24", "192.168.1.255"), Value::Long(0));
        assert_eq!(cmp("192.168.1.1", "::ffff:c0a8:0101"), Value::Long(0));
        assert_eq!(cmp("::1", "::2"), Value::Long(-1));
        assert_eq!(cmp("::192.168.1.1/30", "192.168.1.255/24"), Value::Long(0));
        assert_eq!(
            call(
                "ipv6_is_match",
                &[
                    s("fe80::85d:e82c:9446:7994"),
                    s("fe80::85d:e82c:9446:7995"),
                    Value::Long(127)
                ]
            ),
            Value::Bool(true)
        );
    }

    #[test]
    fn any_range_checks_each_network() {
        let ranges = Value::Dynamic(Dynamic::from_json(&serde_json::json!([
            "a5e:f127:8a9d:146d:e102:b5d3:c755:f6cd/112"
        ])));
        assert_eq!(
            call(
                "ipv6_is_in_any_range",
                &[s("a5e:f127:8a9d:146d:e102:b5d3:c755:abcd"), ranges.clone()]
            ),
            Value::Bool(true)
        );
        assert_eq!(
            call(
                "ipv6_is_in_any_range",
                &[s("a5e:f127:8a9d:146d:e102:b5d3:c756:abd1"), ranges]
            ),
            Value::Bool(false)
        );
    }

    #[test]
    fn ipv4_ranges_split_into_aligned_blocks() {
        assert_eq!(
            call(
                "ipv4_range_to_cidr_list",
                &[s("1.1.128.0"), s("1.1.140.255")]
            ),
            Value::Dynamic(Dynamic::from_json(&serde_json::json!([
                "1.1.128.0/21",
                "1.1.136.0/22",
                "1.1.140.0/24"
            ])))
        );
    }
}
