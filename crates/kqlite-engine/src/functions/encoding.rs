//! Text encodings: base64, URL percent-encoding and hexadecimal.

use super::{arg, arity, as_long, rowwise, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::kernels::{self, access};
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    let text = |a: &[DataType]| arity(a, 1, 1).map(|_| DataType::String);
    vec![
        Func::plain("base64_encode_tostring", text, |a, r, _| {
            Ok(map(a, r, |s, out| base64_encode(s.as_bytes(), out)))
        }),
        Func::plain("base64_decode_tostring", text, |a, r, _| {
            Ok(map(a, r, |s, out| {
                out.push_str(
                    &base64_decode(s)
                        .and_then(|b| String::from_utf8(b).ok())
                        .unwrap_or_default(),
                )
            }))
        }),
        Func::plain("url_encode", text, |a, r, _| {
            Ok(map(a, r, |s, out| percent_encode(s, true, out)))
        }),
        Func::plain("url_encode_component", text, |a, r, _| {
            Ok(map(a, r, |s, out| percent_encode(s, false, out)))
        }),
        Func::plain("url_decode", text, |a, r, _| {
            Ok(map(a, r, |s, out| {
                out.push_str(&percent_decode(s).unwrap_or_default())
            }))
        }),
        Func::plain("tohex", |a| arity(a, 1, 2).map(|_| DataType::String), tohex),
        Func::plain(
            "base64_decode_toarray",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            |a, r, _| {
                let text = kernels::strings::as_string(&arg(a, 0), r);
                Ok(super::rowwise(&[text], r, DataType::Dynamic, |v| {
                    let s = v.first().map(|x| x.to_string()).unwrap_or_default();
                    match base64_decode(&s) {
                        Some(bytes) => {
                            Value::Dynamic(crate::value::Dynamic::Array(std::sync::Arc::new(
                                bytes
                                    .into_iter()
                                    .map(|b| crate::value::Dynamic::Long(b as i64))
                                    .collect(),
                            )))
                        }
                        None => Value::Null,
                    }
                }))
            },
        ),
        // The GUID's 16 bytes in .NET's order (the first three groups
        // little-endian), the inverse of `base64_decode_toguid`.
        Func {
            name: "base64_encode_fromguid",
            signature: |a| {
                arity(a, 1, 1)?;
                super::expect(a, 0, "a guid", |t| t == DataType::Guid)?;
                Ok(DataType::String)
            },
            properties: FunctionProperties::NULL_PROPAGATING,
            evaluate: |a, r, _| {
                Ok(super::rowwise(a, r, DataType::String, |v| {
                    match v.first() {
                        Some(Value::Guid(g)) => {
                            let mut out = String::new();
                            base64_encode(&guid_to_net_bytes(*g), &mut out);
                            Value::string(out)
                        }
                        _ => Value::Null,
                    }
                }))
            },
        },
        Func::plain(
            "base64_encode_fromarray",
            |a| arity(a, 1, 1).map(|_| DataType::String),
            |a, r, _| {
                let bytes = kernels::cast(&arg(a, 0), DataType::Dynamic, r);
                Ok(super::rowwise(&[bytes], r, DataType::String, |v| {
                    let mut out = String::new();
                    if let Some(Value::Dynamic(crate::value::Dynamic::Array(items))) = v.first() {
                        let raw: Option<Vec<u8>> = items
                            .iter()
                            .map(|d| match d {
                                crate::value::Dynamic::Long(b) => u8::try_from(*b).ok(),
                                _ => None,
                            })
                            .collect();
                        if let Some(raw) = raw {
                            base64_encode(&raw, &mut out);
                        }
                    }
                    Value::string(out)
                }))
            },
        ),
        Func::plain(
            "base64_decode_toguid",
            |a| arity(a, 1, 1).map(|_| DataType::Guid),
            |a, r, _| {
                let text = kernels::strings::as_string(&arg(a, 0), r);
                Ok(super::rowwise(&[text], r, DataType::Guid, |v| {
                    let s = v.first().map(|x| x.to_string()).unwrap_or_default();
                    base64_decode(&s)
                        .and_then(|b| guid_from_net_bytes(&b))
                        .map_or(Value::Null, Value::Guid)
                }))
            },
        ),
    ]
}

pub(super) fn map(
    args: &[ColumnarValue],
    rows: usize,
    f: impl FnMut(&str, &mut String),
) -> ColumnarValue {
    let text = kernels::strings::as_string(&arg(args, 0), rows);
    let (n, scalar) = access::rows_for(&[&text], rows);
    match access::strs(&text) {
        Some(s) => access::map_strings(s, n, scalar, f),
        None => ColumnarValue::Scalar(Value::string(""), DataType::String),
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn base64_encode(bytes: &[u8], out: &mut String) {
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

/// Decodes standard base64 (padding optional); `None` when malformed.
pub(super) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.trim().trim_end_matches('=').bytes().collect();
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut n = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            n |= v << (18 - 6 * k);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(bytes.get(..chunk.len() - 1).unwrap_or(&[]));
    }
    Some(out)
}

/// A guid from its 16-byte .NET layout (the first three groups little-endian).
fn guid_from_net_bytes(b: &[u8]) -> Option<u128> {
    let b: [u8; 16] = b.try_into().ok()?;
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    Some(
        order
            .iter()
            .fold(0u128, |acc, &i| (acc << 8) | b[i] as u128),
    )
}

/// A GUID's bytes as .NET's `Guid.ToByteArray` lays them out.
fn guid_to_net_bytes(g: u128) -> [u8; 16] {
    let be = g.to_be_bytes();
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut out = [0u8; 16];
    for (slot, &i) in out.iter_mut().zip(order.iter()) {
        *slot = be.get(i).copied().unwrap_or(0);
    }
    out
}

/// Percent-encodes with lowercase hex: `form` follows `url_encode` (space
/// as `+`, `-_.!*()` kept), otherwise `url_encode_component` (space as
/// `%20`, `-_.~` kept).
fn percent_encode(s: &str, form: bool, out: &mut String) {
    for &b in s.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || if form {
                b"-_.!*()".contains(&b)
            } else {
                b"-_.~".contains(&b)
            };
        if keep {
            out.push(b as char);
        } else if form && b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
}

/// Decodes `%xx` escapes and `+`; `None` when the result is not UTF-8.
pub(super) fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `tohex(x[, min_length])`: lowercase hex of a long (two's complement for
/// negatives), zero-padded to `min_length`.
fn tohex(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let Some(x) = v.first().and_then(as_long) else {
            return Value::string("");
        };
        let width = v.get(1).and_then(as_long).unwrap_or(0).clamp(0, 64) as usize;
        let digits = match v.first() {
            Some(Value::Int(i)) => format!("{:x}", *i as u32),
            _ => format!("{:x}", x as u64),
        };
        Value::string(format!("{digits:0>width$}"))
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_garbage() {
        assert_eq!(
            call("base64_encode_tostring", &[s("Kusto1")]),
            s("S3VzdG8x")
        );
        assert_eq!(call("base64_encode_tostring", &[s("ab")]), s("YWI="));
        assert_eq!(
            call("base64_decode_tostring", &[s("S3VzdG8x")]),
            s("Kusto1")
        );
        // Decoded bytes that are not UTF-8 give "" (Kusto conformance case).
        assert_eq!(
            call(
                "base64_decode_tostring",
                &[s("U3RyaW5n0KHR0tGA0L7Rh9C60LA=")]
            ),
            s("")
        );
        assert_eq!(call("base64_decode_tostring", &[s("!!")]), s(""));
    }

    #[test]
    fn base64_decodes_to_a_byte_array() {
        let want = Value::Dynamic(crate::value::Dynamic::from_json(&serde_json::json!([
            75, 117, 115, 116, 111
        ])));
        assert_eq!(call("base64_decode_toarray", &[s("S3VzdG8=")]), want);
    }

    #[test]
    fn base64_decodes_to_a_guid_in_net_byte_order() {
        let g = call("base64_decode_toguid", &[s("JpbpECu8dUy7Pv5gbeJXAA==")]);
        assert_eq!(g.to_string(), "10e99626-bc2b-4c75-bb3e-fe606de25700");
        assert_eq!(call("base64_decode_toguid", &[s("abcd1231")]), Value::Null);
    }

    #[test]
    fn base64_encode_fromguid_lays_out_bytes_as_dotnet_does() {
        let g = call("toguid", &[s("ae3133f2-6e22-49ae-b06a-16e6a9b212eb")]);
        let encoded = call("base64_encode_fromguid", std::slice::from_ref(&g));
        assert_eq!(encoded, s("8jMxriJurkmwahbmqbIS6w=="));
        assert_eq!(call("base64_decode_toguid", &[encoded]), g);
    }

    #[test]
    fn base64_encode_fromguid_rejects_a_string() {
        let f = crate::registry::Registry::builtin()
            .scalar("base64_encode_fromguid")
            .expect("registered");
        assert!(f.return_type(&[DataType::String]).is_err());
    }

    #[test]
    fn base64_encodes_from_a_byte_array() {
        let bytes = call("base64_decode_toarray", &[s("S3VzdG8=")]);
        assert_eq!(call("base64_encode_fromarray", &[bytes]), s("S3VzdG8="));
    }

    #[test]
    fn urls_encode_and_decode() {
        assert_eq!(
            call("url_encode", &[s("https://www.bing.com/hello world/")]),
            s("https%3a%2f%2fwww.bing.com%2fhello+world%2f")
        );
        assert_eq!(
            call(
                "url_encode_component",
                &[s("https://www.bing.com/hello world/")]
            ),
            s("https%3a%2f%2fwww.bing.com%2fhello%20world%2f")
        );
        assert_eq!(
            call("url_decode", &[s("https%3a%2f%2fwww.bing.com%2f")]),
            s("https://www.bing.com/")
        );
    }

    #[test]
    fn tohex_prints_twos_complement() {
        assert_eq!(call("tohex", &[Value::Long(256)]), s("100"));
        assert_eq!(call("tohex", &[Value::Long(-546)]), s("fffffffffffffdde"));
        assert_eq!(
            call("tohex", &[Value::Long(255), Value::Long(4)]),
            s("00ff")
        );
    }
}
