//! `hash`/`hash_xxhash64`: XXH64 (seed 0) of the value's bytes, as Kusto
//! computes it: strings hash their UTF-8 bytes, numbers, datetimes and
//! timespans their little-endian binary form.

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
    fn long_inputs_use_every_lane() {
        let text = "The quick brown fox jumps over the lazy dog, twice over.";
        assert_ne!(xxh64(text.as_bytes()), xxh64(&text.as_bytes()[1..]));
        assert_eq!(xxh64(b""), 0xEF46_DB37_51D8_E999);
    }
}
