//! Geohash cells: `geo_point_to_geohash`, `geo_geohash_*`.

use super::{level_arg, point_arg, point_value, polygon_value, sig, string_array, text_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::Value;

/// The geohash alphabet (base 32 without a, i, l, o).
const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
/// Kusto's default geohash length.
const DEFAULT_ACCURACY: i64 = 5;
/// Longest geohash Kusto produces.
const MAX_ACCURACY: i64 = 18;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_point_to_geohash",
            |a| sig(a, 2, 3, DataType::String),
            point_to_geohash,
        ),
        Func::plain(
            "geo_geohash_to_central_point",
            |a| sig(a, 1, 1, DataType::Dynamic),
            central_point,
        ),
        Func::plain(
            "geo_geohash_to_polygon",
            |a| sig(a, 1, 1, DataType::Dynamic),
            to_polygon,
        ),
        Func::plain(
            "geo_geohash_neighbors",
            |a| sig(a, 1, 1, DataType::Dynamic),
            neighbors,
        ),
    ]
}

/// Encodes a point as a geohash of `len` characters.
pub(super) fn encode(lon: f64, lat: f64, len: usize) -> String {
    let (mut lon_lo, mut lon_hi) = (-180.0_f64, 180.0_f64);
    let (mut lat_lo, mut lat_hi) = (-90.0_f64, 90.0_f64);
    let mut out = String::with_capacity(len);
    let mut even = true;
    for _ in 0..len {
        let mut idx = 0usize;
        for _ in 0..5 {
            let (lo, hi, x) = if even {
                (&mut lon_lo, &mut lon_hi, lon)
            } else {
                (&mut lat_lo, &mut lat_hi, lat)
            };
            let mid = (*lo + *hi) / 2.0;
            idx <<= 1;
            if x >= mid {
                idx |= 1;
                *lo = mid;
            } else {
                *hi = mid;
            }
            even = !even;
        }
        out.push(char::from(ALPHABET[idx & 31]));
    }
    out
}

/// The `(lon_lo, lat_lo, lon_hi, lat_hi)` box of a geohash, if valid.
pub(super) fn decode(hash: &str) -> Option<(f64, f64, f64, f64)> {
    if hash.is_empty() || hash.len() > MAX_ACCURACY as usize {
        return None;
    }
    let (mut lon_lo, mut lon_hi) = (-180.0_f64, 180.0_f64);
    let (mut lat_lo, mut lat_hi) = (-90.0_f64, 90.0_f64);
    let mut even = true;
    for b in hash.bytes() {
        let b = b.to_ascii_lowercase();
        let idx = ALPHABET.iter().position(|&a| a == b)?;
        for bit in (0..5).rev() {
            let set = (idx >> bit) & 1 == 1;
            let (lo, hi) = if even {
                (&mut lon_lo, &mut lon_hi)
            } else {
                (&mut lat_lo, &mut lat_hi)
            };
            let mid = (*lo + *hi) / 2.0;
            if set {
                *lo = mid;
            } else {
                *hi = mid;
            }
            even = !even;
        }
    }
    Some((lon_lo, lat_lo, lon_hi, lat_hi))
}

fn point_to_geohash(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let hash = point_arg(v, 0).and_then(|(lon, lat)| {
            let len = level_arg(v, 2, DEFAULT_ACCURACY, 1..=MAX_ACCURACY)?;
            Some(encode(lon, lat, len as usize))
        });
        Value::string(hash.unwrap_or_default())
    }))
}

fn central_point(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        args,
        rows,
        DataType::Dynamic,
        |v| match text_arg(v, 0).and_then(decode) {
            Some((x0, y0, x1, y1)) => point_value((x0 + x1) / 2.0, (y0 + y1) / 2.0),
            None => Value::Null,
        },
    ))
}

fn to_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        args,
        rows,
        DataType::Dynamic,
        |v| match text_arg(v, 0).and_then(decode) {
            Some((x0, y0, x1, y1)) => polygon_value(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]),
            None => Value::Null,
        },
    ))
}

/// The up-to-eight same-length neighbors of a geohash, in Kusto's order
/// (west, south-west, south, south-east, north-east, east, north,
/// north-west); neighbors past a pole are left out, longitudes wrap.
fn neighbor_hashes(hash: &str) -> Option<Vec<String>> {
    let (x0, y0, x1, y1) = decode(hash)?;
    let (w, h) = (x1 - x0, y1 - y0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    const STEPS: [(f64, f64); 8] = [
        (-1.0, 0.0),
        (-1.0, -1.0),
        (0.0, -1.0),
        (1.0, -1.0),
        (1.0, 1.0),
        (1.0, 0.0),
        (0.0, 1.0),
        (-1.0, 1.0),
    ];
    let mut out = Vec::with_capacity(8);
    for (dx, dy) in STEPS {
        let lat = cy + dy * h;
        if !(-90.0..=90.0).contains(&lat) {
            continue;
        }
        let mut lon = cx + dx * w;
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        let n = encode(lon, lat, hash.len());
        if n != hash && !out.contains(&n) {
            out.push(n);
        }
    }
    Some(out)
}

fn neighbors(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(
        args,
        rows,
        DataType::Dynamic,
        |v| match text_arg(v, 0).and_then(neighbor_hashes) {
            Some(list) => Value::Dynamic(string_array(list)),
            None => Value::Null,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{close, point_coords, strings};
    use super::*;
    use crate::functions::test_util::{call, s};

    #[test]
    fn point_to_geohash_matches_kusto() {
        let v = call(
            "geo_point_to_geohash",
            &[
                Value::Real(-80.195829),
                Value::Real(25.802215),
                Value::Long(8),
            ],
        );
        assert_eq!(v, s("dhwfz15h"));
        let bad = call(
            "geo_point_to_geohash",
            &[Value::Long(200), Value::Long(1), Value::Long(8)],
        );
        assert_eq!(bad, s(""));
        let null = call(
            "geo_point_to_geohash",
            &[Value::Long(1), Value::Long(1), Value::Null],
        );
        assert_eq!(null, s(""));
    }

    #[test]
    fn geohash_polygon_is_the_cell_box() {
        assert_eq!(
            decode("dr5ru"),
            Some((-74.00390625, 40.7373046875, -73.9599609375, 40.78125))
        );
        assert_eq!(call("geo_geohash_to_polygon", &[s("a")]), Value::Null);
    }

    #[test]
    fn central_point_is_the_box_center() {
        let p = call("geo_geohash_to_central_point", &[s("dr5ru")]);
        let (lon, lat) = point_coords(&p).unwrap_or_default();
        assert!(close(lon, -73.98193359375) && close(lat, 40.75927734375));
        assert_eq!(call("geo_geohash_to_central_point", &[s("a")]), Value::Null);
    }

    #[test]
    fn neighbors_come_in_kusto_order() {
        let v = call("geo_geohash_neighbors", &[s("sunny")]);
        assert_eq!(
            strings(&v),
            ["sunnv", "sunnt", "sunnw", "sunnx", "sunpp", "sunnz", "sunpn", "sunpj"]
        );
        assert_eq!(call("geo_geohash_neighbors", &[s("a")]), Value::Null);
    }
}
