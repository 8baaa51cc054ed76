//! `hash`/`hash_xxhash64`: XXH64 (seed 0) of the value's bytes, as Kusto
//! computes it: strings hash their UTF-8 bytes, numbers, datetimes and
//! timespans their little-endian binary form; null (and dynamic) values
//! hash to a null long. `hash_sha256`, `hash_sha1` and `hash_md5`: the
//! digest of the value's `tostring` text, in lowercase hex; they are
//! declared null-propagating, so a null gives the string type's null, `""`
//! (a string has no null in Kusto), and the digest code never sees one.
//!
//! The algorithms come from maintained crates (`xxhash-rust`, `sha2`,
//! `sha1`, `md-5`); this file only chooses the bytes and the output form.

use super::{arity, as_long, rowwise, scalar_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    let f = Func {
        name: "hash",
        signature: |a| arity(a, 1, 2).map(|_| DataType::Long),
        properties: FunctionProperties::PLAIN,
        evaluate: hash,
    };
    vec![
        f,
        Func {
            name: "hash_xxhash64",
            ..f
        },
        Func {
            name: "hash_sha256",
            signature: |a| arity(a, 1, 1).map(|_| DataType::String),
            properties: FunctionProperties::NULL_PROPAGATING,
            evaluate: hash_sha256,
        },
        Func {
            name: "hash_sha1",
            signature: |a| arity(a, 1, 1).map(|_| DataType::String),
            properties: FunctionProperties::NULL_PROPAGATING,
            evaluate: hash_sha1,
        },
        Func {
            name: "hash_md5",
            signature: |a| arity(a, 1, 1).map(|_| DataType::String),
            properties: FunctionProperties::NULL_PROPAGATING,
            evaluate: hash_md5,
        },
    ]
}

/// XXH64 of `data` with seed 0.
pub(crate) fn xxh64(data: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(data, 0)
}

/// The bytes Kusto hashes for a value (`None` for null and dynamic values).
fn value_bytes(v: &Value) -> Option<Vec<u8>> {
    Some(match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Long(x) | Value::DateTime(x) | Value::TimeSpan(x) => x.to_le_bytes().to_vec(),
        Value::Int(x) => x.to_le_bytes().to_vec(),
        Value::Real(x) => x.to_le_bytes().to_vec(),
        Value::Bool(b) => vec![*b as u8],
        Value::Guid(g) => g.to_be_bytes().to_vec(),
        _ => return None,
    })
}

/// `hash(x[, mod])`: the hash as a long, or its non-negative remainder by `mod`.
fn hash(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let modulo = match args.get(1) {
        None => None,
        Some(_) => match scalar_arg(args, 1).and_then(as_long) {
            Some(m) if m > 0 => Some(m),
            Some(_) => {
                return Err(FunctionError::Invalid(
                    "hash modulo must be positive".into(),
                ))
            }
            None => return Err(FunctionError::NotConstant { index: 1 }),
        },
    };
    let x = args
        .first()
        .cloned()
        .unwrap_or(ColumnarValue::Scalar(Value::Null, DataType::Long));
    Ok(rowwise(&[x], rows, DataType::Long, |v| {
        match v.first().and_then(value_bytes) {
            Some(bytes) => {
                let h = xxh64(&bytes) as i64;
                Value::Long(modulo.map_or(h, |m| h.rem_euclid(m)))
            }
            None => Value::Null,
        }
    }))
}

/// Lowercase hex of a digest.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(data).to_vec()
}

/// SHA-1 of `data`.
fn sha1(data: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(data).to_vec()
}

/// MD5 of `data`.
fn md5(data: &[u8]) -> Vec<u8> {
    use md5::Digest;
    md5::Md5::digest(data).to_vec()
}

/// Hashes the `tostring` text of each value with `digest` into lowercase
/// hex (nulls never reach here: the digest functions are null-propagating).
fn text_digest(args: &[ColumnarValue], rows: usize, digest: fn(&[u8]) -> Vec<u8>) -> ColumnarValue {
    let x = args
        .first()
        .cloned()
        .unwrap_or(ColumnarValue::Scalar(Value::Null, DataType::String));
    rowwise(&[x], rows, DataType::String, |v| {
        let text = v.first().map(Value::to_string).unwrap_or_default();
        Value::string(hex(&digest(text.as_bytes())))
    })
}

/// `hash_sha256(x)`: lowercase hex SHA-256 of `tostring(x)`.
fn hash_sha256(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(text_digest(args, rows, sha256))
}

/// `hash_sha1(x)`: lowercase hex SHA-1 of `tostring(x)`.
fn hash_sha1(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(text_digest(args, rows, sha1))
}

/// `hash_md5(x)`: lowercase hex MD5 of `tostring(x)`.
fn hash_md5(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(text_digest(args, rows, md5))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    #[test]
    fn hash_matches_kusto_for_strings_and_datetimes() {
        assert_eq!(
            call("hash_xxhash64", &[s("World")]),
            Value::Long(1_846_988_464_401_551_951)
        );
        assert_eq!(
            call("hash", &[s("World"), Value::Long(100)]),
            Value::Long(51)
        );
        let dt = Value::DateTime(crate::time::parse_datetime("2015-01-01").unwrap());
        assert_eq!(call("hash", &[dt]), Value::Long(1_380_966_698_541_616_202));
    }

    #[test]
    fn sha256_matches_kusto() {
        assert_eq!(
            call("hash_sha256", &[s("World")]),
            s("78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524")
        );
        let dt = Value::DateTime(crate::time::parse_datetime("2020-01-01").unwrap());
        assert_eq!(
            call("hash_sha256", &[dt]),
            s("ba666752dc1a20eb750b0eb64e780cc4c968bc9fb8813461c1d7e750f302d71d")
        );
        let long_input = "x".repeat(200);
        assert_eq!(
            sha256(long_input.as_bytes())[..4],
            [0xaa, 0x20, 0xc2, 0x3e][..],
            "multi-block input"
        );
    }

    #[test]
    fn sha1_and_md5_match_the_documented_examples() {
        assert_eq!(
            call("hash_sha1", &[s("World")]),
            s("70c07ec18ef89c5309bbb0937f3a6342411e1fdd")
        );
        let dt = Value::DateTime(crate::time::parse_datetime("2020-01-01").unwrap());
        assert_eq!(
            call("hash_sha1", std::slice::from_ref(&dt)),
            s("e903e533f4d636b4fc0dcf3cf81e7b7f330de776")
        );
        assert_eq!(
            call("hash_md5", &[s("World")]),
            s("f5a7924e621e84c9280a9a27e1bcb7f6")
        );
        assert_eq!(
            call("hash_md5", &[dt]),
            s("786c530672d1f8db31fee25ea8a9390b")
        );
        assert_eq!(
            call("hash_md5", &[s("TEXAS")]),
            s("3b00dbe6e07e7485a1c12d36c8e9910a")
        );
    }

    #[test]
    fn digests_of_null_are_empty_strings() {
        for name in ["hash_sha1", "hash_md5", "hash_sha256"] {
            assert_eq!(call(name, &[Value::Null]), s(""), "{name}");
            let dynamic_null = Value::Dynamic(crate::value::Dynamic::Null);
            assert_eq!(call(name, &[dynamic_null]), s(""), "{name}");
        }
        // The empty string is a value, not a null: it has a digest.
        assert_eq!(
            call("hash_md5", &[s("")]),
            s("d41d8cd98f00b204e9800998ecf8427e")
        );
    }

    #[test]
    fn null_rows_of_a_digest_column_are_empty_and_the_rest_hashed() {
        use crate::column::ColumnBuilder;
        use crate::function::{call_scalar, EvalContext};
        let mut b = ColumnBuilder::new(DataType::Long, 3);
        b.push_null();
        let _ = b.push(&Value::Long(1));
        b.push_null();
        let col = ColumnarValue::Column(std::sync::Arc::new(b.finish()));
        let f = crate::registry::Registry::builtin()
            .scalar("hash_md5")
            .unwrap();
        let out = call_scalar(f.as_ref(), &[col], 3, &EvalContext { now: 0 }).unwrap();
        assert_eq!(out.get(0), s(""));
        assert_eq!(out.get(1), s("c4ca4238a0b923820dcc509a6f75849b"));
        assert_eq!(out.get(2), s(""));
    }

    #[test]
    fn xxh64_matches_the_reference_vectors_across_every_input_length_class() {
        // Empty, under 4, under 8, under 32 and over 32 bytes (the four-lane
        // path), from the reference implementation's published values.
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
        assert_eq!(xxh64(b"a"), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(xxh64(b"abc"), 0x44BC_2CF5_AD77_0999);
        let text = "The quick brown fox jumps over the lazy dog, twice over.";
        assert_ne!(xxh64(text.as_bytes()), xxh64(&text.as_bytes()[1..]));
        assert_eq!(
            call("hash", &[Value::Long(0)]),
            Value::Long(xxh64(&0i64.to_le_bytes()) as i64)
        );
    }
}
