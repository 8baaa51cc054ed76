//! S2 cells: `geo_point_to_s2cell`, `geo_s2cell_*`.
//!
//! The S2 grid projects the sphere onto the six faces of a cube, maps each
//! face with a quadratic (u, v) → (s, t) transform and orders the leaf
//! cells of a face along a Hilbert curve. A cell id packs the face (3 bits),
//! the curve position (2 bits per level) and a terminating 1 bit; a token is
//! the id in hex without trailing zeros.

use super::{level_arg, point_arg, point_value, polygon_value, sig, string_array, text_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::Value;

/// Deepest S2 level.
const MAX_LEVEL: u32 = 30;
/// Leaf cells along a face edge.
const MAX_SIZE: i64 = 1 << MAX_LEVEL;
/// Kusto's default S2 level.
const DEFAULT_LEVEL: i64 = 11;

/// `(i, j)` bit pair → curve position, per orientation.
const IJ_TO_POS: [[u8; 4]; 4] = [[0, 1, 3, 2], [0, 3, 1, 2], [2, 3, 1, 0], [2, 1, 3, 0]];
/// Curve position → `(i, j)` bit pair, per orientation.
const POS_TO_IJ: [[u8; 4]; 4] = [[0, 1, 3, 2], [0, 2, 3, 1], [3, 2, 0, 1], [3, 1, 0, 2]];
/// Orientation change after taking a sub-square at a curve position.
const POS_TO_ORIENTATION: [u8; 4] = [1, 0, 0, 3];

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_point_to_s2cell",
            |a| sig(a, 2, 3, DataType::String),
            point_to_cell,
        ),
        Func::plain(
            "geo_s2cell_to_central_point",
            |a| sig(a, 1, 1, DataType::Dynamic),
            central_point,
        ),
        Func::plain(
            "geo_s2cell_to_polygon",
            |a| sig(a, 1, 1, DataType::Dynamic),
            to_polygon,
        ),
        Func::plain(
            "geo_s2cell_neighbors",
            |a| sig(a, 1, 1, DataType::Dynamic),
            neighbors,
        ),
    ]
}

/// A unit vector for a point in degrees.
fn to_xyz(lon: f64, lat: f64) -> [f64; 3] {
    let (phi, theta) = (lat.to_radians(), lon.to_radians());
    [phi.cos() * theta.cos(), phi.cos() * theta.sin(), phi.sin()]
}

/// `(lon, lat)` in degrees of a (not necessarily unit) vector.
fn to_lon_lat(p: [f64; 3]) -> (f64, f64) {
    let [x, y, z] = p;
    (y.atan2(x).to_degrees(), z.atan2(x.hypot(y)).to_degrees())
}

/// The cube face a vector points at and its `(u, v)` on that face.
fn xyz_to_face_uv(p: [f64; 3]) -> (u8, f64, f64) {
    let [x, y, z] = p;
    let (ax, ay, az) = (x.abs(), y.abs(), z.abs());
    let axis = if ax > ay {
        if ax > az {
            0
        } else {
            2
        }
    } else if ay > az {
        1
    } else {
        2
    };
    let negative = [x, y, z].get(axis).is_some_and(|c| *c < 0.0);
    let face = axis as u8 + if negative { 3 } else { 0 };
    let (u, v) = match face {
        0 => (y / x, z / x),
        1 => (-x / y, z / y),
        2 => (-x / z, -y / z),
        3 => (z / x, y / x),
        4 => (z / y, -x / y),
        _ => (-y / z, -x / z),
    };
    (face, u, v)
}

/// The vector of `(u, v)` on a face.
fn face_uv_to_xyz(face: u8, u: f64, v: f64) -> [f64; 3] {
    match face {
        0 => [1.0, u, v],
        1 => [-u, 1.0, v],
        2 => [-u, -v, 1.0],
        3 => [-1.0, -v, -u],
        4 => [v, -1.0, -u],
        _ => [v, u, -1.0],
    }
}

/// The quadratic projection from `u` to `s`.
fn uv_to_st(u: f64) -> f64 {
    if u >= 0.0 {
        0.5 * (1.0 + 3.0 * u).sqrt()
    } else {
        1.0 - 0.5 * (1.0 - 3.0 * u).sqrt()
    }
}

/// The inverse of [`uv_to_st`].
fn st_to_uv(s: f64) -> f64 {
    if s >= 0.5 {
        (4.0 * s * s - 1.0) / 3.0
    } else {
        (1.0 - 4.0 * (1.0 - s) * (1.0 - s)) / 3.0
    }
}

/// The leaf coordinate of `s`, clamped to the face.
fn st_to_ij(s: f64) -> i64 {
    ((MAX_SIZE as f64 * s).floor() as i64).clamp(0, MAX_SIZE - 1)
}

/// The leaf cell id at `(i, j)` on a face.
fn from_face_ij(face: u8, i: i64, j: i64) -> u64 {
    let mut orientation = face & 1;
    let mut pos: u64 = 0;
    for bit in (0..MAX_LEVEL).rev() {
        let ij = (((i >> bit) & 1) << 1 | ((j >> bit) & 1)) as usize;
        let row = IJ_TO_POS
            .get(orientation as usize)
            .copied()
            .unwrap_or_default();
        let p = row.get(ij).copied().unwrap_or_default();
        pos = (pos << 2) | u64::from(p);
        orientation ^= POS_TO_ORIENTATION
            .get(p as usize)
            .copied()
            .unwrap_or_default();
    }
    (u64::from(face) << 61) | (pos << 1) | 1
}

/// Like [`from_face_ij`], but `(i, j)` may lie just off the face: the point
/// is then carried onto the adjacent face.
fn from_face_ij_wrap(face: u8, i: i64, j: i64) -> u64 {
    let i = i.clamp(-1, MAX_SIZE);
    let j = j.clamp(-1, MAX_SIZE);
    let scale = 1.0 / MAX_SIZE as f64;
    let limit = 1.0 + f64::EPSILON;
    let u = (scale * (2 * (i - MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
    let v = (scale * (2 * (j - MAX_SIZE / 2) + 1) as f64).clamp(-limit, limit);
    let (f, u, v) = xyz_to_face_uv(face_uv_to_xyz(face, u, v));
    from_face_ij(f, st_to_ij(0.5 * (u + 1.0)), st_to_ij(0.5 * (v + 1.0)))
}

/// The lowest set bit of a cell id at `level`.
fn lsb_for_level(level: u32) -> u64 {
    1u64 << (2 * (MAX_LEVEL - level))
}

/// The ancestor of a cell id at `level`.
fn parent(id: u64, level: u32) -> u64 {
    let lsb = lsb_for_level(level);
    (id & lsb.wrapping_neg()) | lsb
}

/// The leaf cell containing a point.
fn leaf_of_point(lon: f64, lat: f64) -> u64 {
    let (face, u, v) = xyz_to_face_uv(to_xyz(lon, lat));
    from_face_ij(face, st_to_ij(uv_to_st(u)), st_to_ij(uv_to_st(v)))
}

/// The level-`level` cell id containing a point.
pub(super) fn point_cell(lon: f64, lat: f64, level: u32) -> u64 {
    parent(leaf_of_point(lon, lat), level.min(MAX_LEVEL))
}

/// The token of a cell id.
pub(super) fn token(id: u64) -> String {
    if id == 0 {
        return "X".to_string();
    }
    let digits = 16 - (id.trailing_zeros() / 4) as usize;
    let hex = format!("{id:016x}");
    hex.get(..digits).unwrap_or(&hex).to_string()
}

/// A valid cell id from a token.
fn parse_token(token: &str) -> Option<u64> {
    if token.is_empty() || token.len() > 16 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let raw = u64::from_str_radix(token, 16).ok()?;
    let id = raw.checked_shl(4 * (16 - token.len() as u32)).unwrap_or(0);
    let valid = (id >> 61) < 6 && id != 0 && (id & id.wrapping_neg() & 0x1555_5555_5555_5555) != 0;
    valid.then_some(id)
}

/// A cell's face, level and lower-left corner in leaf coordinates.
fn decode(id: u64) -> (u8, u32, i64, i64) {
    let face = (id >> 61) as u8;
    let level = MAX_LEVEL - id.trailing_zeros() / 2;
    let mut orientation = face & 1;
    let (mut i, mut j) = (0i64, 0i64);
    for k in 0..level {
        let pos = ((id >> (59 - 2 * k)) & 3) as usize;
        let row = POS_TO_IJ
            .get(orientation as usize)
            .copied()
            .unwrap_or_default();
        let ij = row.get(pos).copied().unwrap_or_default();
        i = (i << 1) | i64::from(ij >> 1);
        j = (j << 1) | i64::from(ij & 1);
        orientation ^= POS_TO_ORIENTATION.get(pos).copied().unwrap_or_default();
    }
    let shift = MAX_LEVEL - level;
    (face, level, i << shift, j << shift)
}

/// The `(lon, lat)` of the point at leaf coordinates `(i, j)` on a face.
fn face_ij_to_lon_lat(face: u8, i: f64, j: f64) -> (f64, f64) {
    let s = i / MAX_SIZE as f64;
    let t = j / MAX_SIZE as f64;
    to_lon_lat(face_uv_to_xyz(face, st_to_uv(s), st_to_uv(t)))
}

/// The token of the level-`level` cell containing a point.
pub(super) fn point_token(lon: f64, lat: f64, level: u32) -> String {
    token(parent(leaf_of_point(lon, lat), level))
}

/// A cell's center.
fn center(id: u64) -> (f64, f64) {
    let (face, level, i, j) = decode(id);
    let half = (1i64 << (MAX_LEVEL - level)) as f64 / 2.0;
    face_ij_to_lon_lat(face, i as f64 + half, j as f64 + half)
}

/// A cell's four corners, in Kusto's order.
pub(super) fn corners(id: u64) -> Vec<(f64, f64)> {
    let (face, level, i, j) = decode(id);
    let size = (1i64 << (MAX_LEVEL - level)) as f64;
    let (i0, j0) = (i as f64, j as f64);
    let (i1, j1) = (i0 + size, j0 + size);
    vec![
        face_ij_to_lon_lat(face, i0, j0),
        face_ij_to_lon_lat(face, i1, j0),
        face_ij_to_lon_lat(face, i1, j1),
        face_ij_to_lon_lat(face, i0, j1),
    ]
}

/// The cells around a cell id at its level.
pub(super) fn neighbor_ids(id: u64) -> Vec<u64> {
    all_neighbors(id)
}

/// The eight cells around a cell at its level (fewer at cube corners).
fn all_neighbors(id: u64) -> Vec<u64> {
    let (face, level, i, j) = decode(id);
    let size = 1i64 << (MAX_LEVEL - level);
    let at = |ni: i64, nj: i64, same_face: bool| {
        let leaf = if same_face {
            from_face_ij(face, ni, nj)
        } else {
            from_face_ij_wrap(face, ni, nj)
        };
        parent(leaf, level)
    };
    let mut out = Vec::with_capacity(8);
    let mut k = -size;
    loop {
        let same_face = if k < 0 {
            j + k >= 0
        } else if k >= size {
            j + k < MAX_SIZE
        } else {
            out.push(at(i + k, j - size, j - size >= 0));
            out.push(at(i + k, j + size, j + size < MAX_SIZE));
            true
        };
        out.push(at(i - size, j + k, same_face && i - size >= 0));
        out.push(at(i + size, j + k, same_face && i + size < MAX_SIZE));
        if k >= size {
            break;
        }
        k += size;
    }
    // Kusto lists a full set of eight in this order of the positions above.
    const KUSTO_ORDER: [usize; 8] = [7, 5, 4, 2, 6, 1, 3, 0];
    if out.len() == 8 {
        out = KUSTO_ORDER
            .iter()
            .filter_map(|&k| out.get(k).copied())
            .collect();
    }
    let mut unique: Vec<u64> = Vec::with_capacity(out.len());
    for n in out {
        if n != id && !unique.contains(&n) {
            unique.push(n);
        }
    }
    unique
}

fn point_to_cell(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let token = point_arg(v, 0).and_then(|(lon, lat)| {
            let level = level_arg(v, 2, DEFAULT_LEVEL, 0..=i64::from(MAX_LEVEL))?;
            Some(point_token(lon, lat, level as u32))
        });
        Value::string(token.unwrap_or_default())
    }))
}

fn central_point(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        text_arg(v, 0)
            .and_then(parse_token)
            .map_or(Value::Null, |id| {
                let (lon, lat) = center(id);
                point_value(lon, lat)
            })
    }))
}

fn to_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        text_arg(v, 0)
            .and_then(parse_token)
            .map_or(Value::Null, |id| polygon_value(&corners(id)))
    }))
}

fn neighbors(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        text_arg(v, 0)
            .and_then(parse_token)
            .map_or(Value::Null, |id| {
                Value::Dynamic(string_array(all_neighbors(id).into_iter().map(token)))
            })
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{close, point_coords, strings};
    use super::*;
    use crate::functions::test_util::{call, s};

    #[test]
    fn point_to_s2cell_matches_kusto_tokens() {
        assert_eq!(point_token(-80.195829, 25.802215, 8), "88d9b");
        assert_eq!(point_token(10.1234, 53.0, 8), "47b1d");
        assert_eq!(point_token(10.3579, 53.0, 8), "47b1d");
        assert_eq!(point_token(10.6842, 53.0, 8), "47ae3");
    }

    #[test]
    fn point_to_s2cell_gives_empty_for_invalid_input() {
        let v = |lon: i64, lat: i64, level: Value| {
            call(
                "geo_point_to_s2cell",
                &[Value::Long(lon), Value::Long(lat), level],
            )
        };
        assert_eq!(v(300, 1, Value::Long(8)), s(""));
        assert_eq!(v(1, 1, Value::Long(35)), s(""));
        assert_eq!(v(1, 1, Value::Null), s(""));
    }

    #[test]
    fn tokens_round_trip_through_cell_ids() {
        let id = parse_token("89c259").unwrap_or_default();
        assert_eq!(token(id), "89c259");
        assert_eq!(parse_token("a"), None);
        assert_eq!(parse_token("zz"), None);
    }

    #[test]
    fn central_point_matches_kusto() {
        let p = call("geo_s2cell_to_central_point", &[s("1234567")]);
        let (lon, lat) = point_coords(&p).unwrap_or_default();
        assert!(close(lon, 9.86830731850408), "{lon}");
        assert!(close(lat, 27.468392925827605), "{lat}");
        assert_eq!(call("geo_s2cell_to_central_point", &[s("a")]), Value::Null);
    }

    #[test]
    fn polygon_corners_match_kusto() {
        let c = corners(parse_token("89c259").unwrap_or_default());
        let expected = [
            (-74.03001224983848, 40.8012684339439),
            (-74.03001224983848, 40.7222262918358),
            (-73.93598211433742, 40.708880489804564),
            (-73.93598211433742, 40.78791713450684),
        ];
        assert_eq!(c.len(), 4);
        for ((x, y), (ex, ey)) in c.iter().zip(expected) {
            assert!(close(*x, ex) && close(*y, ey), "{x},{y} vs {ex},{ey}");
        }
        assert_eq!(call("geo_s2cell_to_polygon", &[s("a")]), Value::Null);
    }

    #[test]
    fn neighbors_come_in_kusto_order() {
        let v = call("geo_s2cell_neighbors", &[s("89c259")]);
        assert_eq!(
            strings(&v),
            ["89c25d", "89c25b", "89c2f7", "89c257", "89c2f5", "89c251", "89c25f", "89c2f9"]
        );
    }
}
