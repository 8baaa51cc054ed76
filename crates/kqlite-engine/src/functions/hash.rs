//! `hash`/`hash_xxhash64`: XXH64 (seed 0) of the value's bytes, as Kusto
//! computes it: strings hash their UTF-8 bytes, numbers, datetimes and
//! timespans their little-endian binary form. `hash_sha256`: SHA-256 of the
//! value's text, in lowercase hex.

use super::{arity, as_long, rowwise, scalar_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::types::DataType;
use crate::value::Value;

pub(super) fn functions() -> Vec<Func> {
    let f = Func {
        name: "hash",
        signature: |a| arity(a, 1, 2).map(|_| DataType::Long),
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
            evaluate: hash_sha256,
        },
    ]
}

const P1: u64 = 11_400_714_785_074_694_791;
const P2: u64 = 14_029_467_366_897_019_727;
const P3: u64 = 1_609_587_929_392_839_161;
const P4: u64 = 9_650_029_242_287_828_579;
const P5: u64 = 2_870_177_450_012_600_261;

#[inline]
fn round(acc: u64, input: u64) -> u64 {
    acc.wrapping_add(input.wrapping_mul(P2))
        .rotate_left(31)
        .wrapping_mul(P1)
}

#[inline]
fn merge_round(acc: u64, val: u64) -> u64 {
    (acc ^ round(0, val)).wrapping_mul(P1).wrapping_add(P4)
}

fn word64(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.iter_mut().zip(b).for_each(|(d, s)| *d = *s);
    u64::from_le_bytes(w)
}

fn word32(b: &[u8]) -> u64 {
    let mut w = [0u8; 4];
    w.iter_mut().zip(b).for_each(|(d, s)| *d = *s);
    u32::from_le_bytes(w) as u64
}

/// XXH64 of `data` with seed 0.
pub(crate) fn xxh64(data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(32);
    let mut h = if data.len() >= 32 {
        let mut v = [P1.wrapping_add(P2), P2, 0, 0u64.wrapping_sub(P1)];
        for chunk in chunks.by_ref() {
            for (k, lane) in v.iter_mut().enumerate() {
                *lane = round(*lane, word64(chunk.get(k * 8..k * 8 + 8).unwrap_or(&[])));
            }
        }
        let mut h = v[0]
            .rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18));
        for lane in v {
            h = merge_round(h, lane);
        }
        h
    } else {
        P5
    };
    h = h.wrapping_add(data.len() as u64);
    let mut rest = chunks.remainder();
    while rest.len() >= 8 {
        h ^= round(0, word64(rest));
        h = h.rotate_left(27).wrapping_mul(P1).wrapping_add(P4);
        rest = rest.get(8..).unwrap_or(&[]);
    }
    if rest.len() >= 4 {
        h ^= word32(rest).wrapping_mul(P1);
        h = h.rotate_left(23).wrapping_mul(P2).wrapping_add(P3);
        rest = rest.get(4..).unwrap_or(&[]);
    }
    for &b in rest {
        h ^= (b as u64).wrapping_mul(P5);
        h = h.rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(P2);
    h ^= h >> 29;
    h = h.wrapping_mul(P3);
    h ^ (h >> 32)
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

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate().take(16) {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// `hash_sha256(x)`: lowercase hex SHA-256 of `tostring(x)`; null for null.
fn hash_sha256(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let x = args
        .first()
        .cloned()
        .unwrap_or(ColumnarValue::Scalar(Value::Null, DataType::String));
    Ok(rowwise(&[x], rows, DataType::String, |v| match v.first() {
        Some(x) if !x.is_null() => {
            let digest = sha256(x.to_string().as_bytes());
            Value::string(
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            )
        }
        _ => Value::string(""),
    }))
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
    fn long_inputs_use_every_lane() {
        let text = "The quick brown fox jumps over the lazy dog, twice over.";
        assert_ne!(xxh64(text.as_bytes()), xxh64(&text.as_bytes()[1..]));
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
    }
}
