//! Measurements and predicates on points, lines and polygons: circles,
//! point-in-polygon, lengths, areas, azimuths and distances to lines.
//!
//! Kusto's geodetic datum is a sphere and shape edges are geodesics (great
//! circle arcs); the arithmetic here works on unit vectors.

use super::{point_arg, point_value, real_arg, sig, valid_point, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// The sphere radius Kusto measures distances on, in meters.
pub(super) const EARTH_RADIUS_M: f64 = 6_371_010.0;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_point_in_circle",
            |a| sig(a, 5, 5, DataType::Bool),
            point_in_circle,
        ),
        Func::plain(
            "geo_point_in_polygon",
            |a| sig(a, 3, 3, DataType::Bool),
            point_in_polygon,
        ),
        Func::plain(
            "geo_line_length",
            |a| sig(a, 1, 1, DataType::Real),
            line_length,
        ),
        Func::plain(
            "geo_polygon_perimeter",
            |a| sig(a, 1, 1, DataType::Real),
            polygon_perimeter,
        ),
        Func::plain(
            "geo_polygon_area",
            |a| sig(a, 1, 1, DataType::Real),
            polygon_area,
        ),
        Func::plain("geo_azimuth", |a| sig(a, 4, 4, DataType::Real), azimuth_fn),
        Func::plain("geo_angle", |a| sig(a, 6, 6, DataType::Real), angle_fn),
        Func::plain(
            "geo_distance_point_to_line",
            |a| sig(a, 3, 3, DataType::Real),
            distance_point_to_line,
        ),
        Func::plain(
            "geo_closest_point_on_line",
            |a| sig(a, 3, 3, DataType::Dynamic),
            closest_point_on_line,
        ),
        Func::plain(
            "geo_distance_point_to_polygon",
            |a| sig(a, 3, 3, DataType::Real),
            distance_point_to_polygon,
        ),
        Func::plain(
            "geo_closest_point_on_polygon",
            |a| sig(a, 3, 3, DataType::Dynamic),
            closest_point_on_polygon,
        ),
        Func::plain(
            "geo_line_interpolate_point",
            |a| sig(a, 2, 2, DataType::Dynamic),
            line_interpolate_point,
        ),
        Func::plain(
            "geo_line_locate_point",
            |a| sig(a, 3, 3, DataType::Real),
            line_locate_point,
        ),
        Func::plain(
            "geo_line_centroid",
            |a| sig(a, 1, 1, DataType::Dynamic),
            line_centroid,
        ),
        Func::plain(
            "geo_polygon_centroid",
            |a| sig(a, 1, 1, DataType::Dynamic),
            polygon_centroid,
        ),
        Func::plain(
            "geo_intersects_2lines",
            |a| sig(a, 2, 2, DataType::Bool),
            intersects_2lines,
        ),
        Func::plain(
            "geo_intersection_2lines",
            |a| sig(a, 2, 2, DataType::Dynamic),
            intersection_2lines,
        ),
        Func::plain(
            "geo_intersects_line_with_polygon",
            |a| sig(a, 2, 2, DataType::Bool),
            intersects_line_with_polygon,
        ),
        Func::plain(
            "geo_intersection_line_with_polygon",
            |a| sig(a, 2, 2, DataType::Dynamic),
            intersection_line_with_polygon,
        ),
        Func::plain(
            "geo_intersects_2polygons",
            |a| sig(a, 2, 2, DataType::Bool),
            intersects_2polygons,
        ),
    ]
}

/// A `(lon, lat)` point in degrees.
pub(super) type Pt = (f64, f64);

/// A position `[lon, lat]` of a GeoJSON coordinate array.
fn position(d: &Dynamic) -> Option<Pt> {
    let num = |d: &Dynamic| match d {
        Dynamic::Long(i) => Some(*i as f64),
        Dynamic::Real(r) if r.is_finite() => Some(*r),
        _ => None,
    };
    let Dynamic::Array(a) = d else { return None };
    if a.len() < 2 {
        return None;
    }
    let (lon, lat) = (num(d.at(0))?, num(d.at(1))?);
    valid_point(lon, lat).then_some((lon, lat))
}

/// A list of positions.
fn positions(d: &Dynamic) -> Option<Vec<Pt>> {
    let Dynamic::Array(a) = d else { return None };
    a.iter().map(position).collect()
}

/// A list of items parsed by `f`.
fn list<T>(d: &Dynamic, f: impl Fn(&Dynamic) -> Option<T>) -> Option<Vec<T>> {
    let Dynamic::Array(a) = d else { return None };
    a.iter().map(f).collect()
}

/// The `type` of a GeoJSON value.
pub(super) fn kind(d: &Dynamic) -> &str {
    match d.get("type") {
        Dynamic::String(s) => s,
        _ => "",
    }
}

/// A shape argument: a `dynamic` (or JSON text) value.
pub(super) fn shape_arg(v: &[Value], i: usize) -> Option<Dynamic> {
    match v.get(i)? {
        Value::Dynamic(Dynamic::String(s)) => {
            serde_json::from_str(s).ok().map(|j| Dynamic::from_json(&j))
        }
        Value::Dynamic(d) => Some(d.clone()),
        Value::String(s) => serde_json::from_str(s).ok().map(|j| Dynamic::from_json(&j)),
        _ => None,
    }
}

/// A line (at least two positions).
fn line_of(d: &Dynamic) -> Option<Vec<Pt>> {
    positions(d).filter(|l| l.len() >= 2)
}

/// The lines of a `LineString` or `MultiLineString`.
pub(super) fn lines(d: &Dynamic) -> Option<Vec<Vec<Pt>>> {
    let c = d.get("coordinates");
    match kind(d) {
        "LineString" => Some(vec![line_of(c)?]),
        "MultiLineString" => list(c, line_of).filter(|l| !l.is_empty()),
        _ => None,
    }
}

/// A closed ring with at least three distinct vertices (closing vertex
/// dropped).
fn ring_of(d: &Dynamic) -> Option<Vec<Pt>> {
    let mut r = positions(d)?;
    if r.len() < 4 || r.first() != r.last() {
        return None;
    }
    r.pop();
    let mut distinct: Vec<Pt> = Vec::with_capacity(3);
    for p in &r {
        if !distinct.contains(p) {
            distinct.push(*p);
            if distinct.len() == 3 {
                return Some(r);
            }
        }
    }
    None
}

/// The polygons (each an outer ring and holes) of a `Polygon` or
/// `MultiPolygon`.
pub(super) fn polygons(d: &Dynamic) -> Option<Vec<Vec<Vec<Pt>>>> {
    let one = |c: &Dynamic| list(c, ring_of).filter(|p| !p.is_empty());
    let c = d.get("coordinates");
    match kind(d) {
        "Polygon" => Some(vec![one(c)?]),
        "MultiPolygon" => list(c, one).filter(|p| !p.is_empty()),
        _ => None,
    }
}

/// Several paths (the lines of a multi-line, or polygon boundaries).
type Paths = Vec<Vec<Pt>>;

/// A unit vector.
pub(super) type V3 = [f64; 3];

pub(super) fn xyz(p: Pt) -> V3 {
    let (phi, theta) = (p.1.to_radians(), p.0.to_radians());
    [phi.cos() * theta.cos(), phi.cos() * theta.sin(), phi.sin()]
}

pub(super) fn lon_lat(v: V3) -> Pt {
    let planar = (v[0] * v[0] + v[1] * v[1]).sqrt();
    (
        v[1].atan2(v[0]).to_degrees(),
        v[2].atan2(planar).to_degrees(),
    )
}

/// A point carried to the unit sphere and back, with the rounding Kusto's
/// shape operations leave on their output vertices.
pub(super) fn round_trip(p: Pt) -> Pt {
    lon_lat(xyz(p))
}

pub(super) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(super) fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

pub(super) fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// The angle between two unit vectors, in radians.
fn angle_between(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Whether `p` is inside a ring whose edges are geodesics: counts crossings
/// of the meridian arc from `p` to the north pole.
pub(super) fn in_ring(p: Pt, ring: &[Pt]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for k in 0..n {
        let (Some(&a), Some(&b)) = (ring.get(k), ring.get((k + 1) % n)) else {
            continue;
        };
        // Longitudes relative to p, in (-180, 180].
        let rel = |x: f64| {
            let d = (x - p.0).rem_euclid(360.0);
            if d > 180.0 {
                d - 360.0
            } else {
                d
            }
        };
        let (da, db) = (rel(a.0), rel(b.0));
        if (da > 0.0) == (db > 0.0) || (da - db).abs() >= 180.0 {
            continue;
        }
        // Latitude of the edge's great circle at p's longitude.
        let (ta, tb) = (a.1.to_radians().tan(), b.1.to_radians().tan());
        let (la, lb) = (da.to_radians(), db.to_radians());
        let lat = ((ta * (-lb).sin() + tb * la.sin()) / (la - lb).sin()).atan();
        if lat.to_degrees() > p.1 {
            inside = !inside;
        }
    }
    inside
}

/// Whether `p` lies in any of the polygons (inside the outer ring and
/// outside every hole).
pub(super) fn in_polygons(p: Pt, polys: &[Vec<Vec<Pt>>]) -> bool {
    polys.iter().any(|rings| {
        let mut it = rings.iter();
        it.next().is_some_and(|outer| in_ring(p, outer)) && !it.any(|hole| in_ring(p, hole))
    })
}

/// The length in meters of a path.
fn path_length(path: &[Pt]) -> f64 {
    path.windows(2)
        .map(|w| match w {
            [a, b] => distance(*a, *b),
            _ => 0.0,
        })
        .sum()
}

/// The signed spherical excess of a closed ring: positive when its
/// vertices run counterclockwise around the smaller region.
pub(super) fn signed_ring_excess(ring: &[Pt]) -> f64 {
    let Some(&o) = ring.first() else { return 0.0 };
    let o = xyz(o);
    let mut total = 0.0;
    for w in ring.windows(2).skip(1) {
        if let [b, c] = w {
            let (b, c) = (xyz(*b), xyz(*c));
            let num = dot(o, cross(b, c));
            let den = 1.0 + dot(o, b) + dot(b, c) + dot(c, o);
            total += 2.0 * num.atan2(den);
        }
    }
    total
}

/// The area in square meters enclosed by a ring of geodesic edges (the
/// smaller of the two regions it bounds).
fn ring_area(ring: &[Pt]) -> f64 {
    let total = signed_ring_excess(ring);
    let a = total.abs().min(4.0 * std::f64::consts::PI - total.abs());
    a * EARTH_RADIUS_M * EARTH_RADIUS_M
}

/// The initial bearing from `a` to `b`, radians clockwise from north in
/// `[0, 2π)`; `None` for equal or antipodal points.
fn azimuth(a: Pt, b: Pt) -> Option<f64> {
    let (va, vb) = (xyz(a), xyz(b));
    if norm(cross(va, vb)) < 1e-15 {
        return None;
    }
    let (p1, p2) = (a.1.to_radians(), b.1.to_radians());
    let dl = (b.0 - a.0).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    Some(y.atan2(x).rem_euclid(2.0 * std::f64::consts::PI))
}

/// The point of the geodesic segment `a`–`b` nearest to `p`.
fn closest_on_segment(p: V3, a: V3, b: V3) -> V3 {
    let n = cross(a, b);
    let nn = norm(n);
    if nn < 1e-15 {
        return a;
    }
    let n = [n[0] / nn, n[1] / nn, n[2] / nn];
    // Project p onto the great circle's plane.
    let d = dot(p, n);
    let q = [p[0] - d * n[0], p[1] - d * n[1], p[2] - d * n[2]];
    let qn = norm(q);
    if qn > 1e-15 {
        let q = [q[0] / qn, q[1] / qn, q[2] / qn];
        // q lies on the arc when it is between a and b.
        if dot(cross(a, q), n) >= 0.0 && dot(cross(q, b), n) >= 0.0 {
            return q;
        }
    }
    if angle_between(p, a) <= angle_between(p, b) {
        a
    } else {
        b
    }
}

/// The midpoint of the geodesic from `a` to `b`.
pub(super) fn geodesic_midpoint(a: Pt, b: Pt) -> Pt {
    lon_lat(slerp(xyz(a), xyz(b), 0.5))
}

/// The distance in meters from `p` to the geodesic segment `a`–`b`.
pub(super) fn distance_to_segment(p: Pt, a: Pt, b: Pt) -> f64 {
    let pv = xyz(p);
    angle_between(pv, closest_on_segment(pv, xyz(a), xyz(b))) * EARTH_RADIUS_M
}

/// The point of a set of paths nearest to `p`, with its distance in meters.
fn closest_on_lines(p: Pt, paths: &[Vec<Pt>]) -> Option<(Pt, f64)> {
    let pv = xyz(p);
    let mut best: Option<(V3, f64)> = None;
    for path in paths {
        for w in path.windows(2) {
            let [a, b] = w else { continue };
            let q = closest_on_segment(pv, xyz(*a), xyz(*b));
            let d = angle_between(pv, q);
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((q, d));
            }
        }
    }
    best.map(|(q, d)| (lon_lat(q), d * EARTH_RADIUS_M))
}

/// Great-circle distance in meters between two points in degrees.
pub(super) fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.1.to_radians(), b.1.to_radians());
    let dp = (b.1 - a.1).to_radians();
    let dl = (b.0 - a.0).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn point_in_circle(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let (Some(p), Some(c), Some(r)) = (point_arg(v, 0), point_arg(v, 2), real_arg(v, 4)) else {
            return Value::Null;
        };
        if r < 0.0 {
            return Value::Null;
        }
        Value::Bool(distance(p, c) <= r)
    }))
}

fn point_in_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let (Some(p), Some(polys)) = (point_arg(v, 0), shape_arg(v, 2).as_ref().and_then(polygons))
        else {
            return Value::Null;
        };
        Value::Bool(in_polygons(p, &polys))
    }))
}

fn line_length(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        shape_arg(v, 0)
            .as_ref()
            .and_then(lines)
            .map_or(Value::Null, |ls| {
                Value::Real(ls.iter().map(|l| path_length(l)).sum())
            })
    }))
}

/// Closes a ring by repeating its first vertex.
pub(super) fn closed(ring: &[Pt]) -> Vec<Pt> {
    let mut r = ring.to_vec();
    if let Some(&first) = ring.first() {
        r.push(first);
    }
    r
}

fn polygon_perimeter(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        shape_arg(v, 0)
            .as_ref()
            .and_then(united_polygons)
            .map_or(Value::Null, |ps| {
                Value::Real(
                    ps.iter()
                        .flat_map(|rings| rings.first())
                        .map(|outer| path_length(&closed(outer)))
                        .sum(),
                )
            })
    }))
}

/// The polygons of a `Polygon` or `MultiPolygon`; a multipolygon's members
/// may overlap, so they are united first (areas, perimeters and centroids
/// are those of the union).
pub(super) fn united_polygons(d: &Dynamic) -> Option<Vec<Vec<Vec<Pt>>>> {
    let ps = polygons(d)?;
    if ps.len() > 1 {
        super::boolean::region_of(d).map(|r| r.as_polygons())
    } else {
        Some(ps)
    }
}

/// The area in square meters of polygons (holes subtracted).
pub(super) fn polygons_area(ps: &[Vec<Vec<Pt>>]) -> f64 {
    ps.iter()
        .map(|rings| {
            let mut it = rings.iter().map(|r| ring_area(&closed(r)));
            let outer = it.next().unwrap_or(0.0);
            outer - it.sum::<f64>()
        })
        .sum()
}

fn polygon_area(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        shape_arg(v, 0)
            .as_ref()
            .and_then(united_polygons)
            .map_or(Value::Null, |ps| Value::Real(polygons_area(&ps)))
    }))
}

fn azimuth_fn(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        match (point_arg(v, 0), point_arg(v, 2)) {
            (Some(a), Some(b)) => azimuth(a, b).map_or(Value::Null, Value::Real),
            _ => Value::Null,
        }
    }))
}

fn angle_fn(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        let (Some(p1), Some(p2), Some(p3)) = (point_arg(v, 0), point_arg(v, 2), point_arg(v, 4))
        else {
            return Value::Null;
        };
        match (azimuth(p2, p1), azimuth(p2, p3)) {
            (Some(back), Some(fwd)) => {
                Value::Real((fwd - back).rem_euclid(2.0 * std::f64::consts::PI))
            }
            _ => Value::Null,
        }
    }))
}

fn distance_point_to_line(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        let (Some(p), Some(ls)) = (point_arg(v, 0), shape_arg(v, 2).as_ref().and_then(lines))
        else {
            return Value::Null;
        };
        closest_on_lines(p, &ls).map_or(Value::Null, |(_, d)| Value::Real(d))
    }))
}

fn closest_point_on_line(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(p), Some(ls)) = (point_arg(v, 0), shape_arg(v, 2).as_ref().and_then(lines))
        else {
            return Value::Null;
        };
        closest_on_lines(p, &ls).map_or(Value::Null, |((lon, lat), _)| point_value(lon, lat))
    }))
}

/// The boundary rings of polygons as closed paths.
pub(super) fn boundaries(polys: &[Vec<Vec<Pt>>]) -> Vec<Vec<Pt>> {
    polys.iter().flatten().map(|r| closed(r)).collect()
}

/// Whether two path sets come within `radius` meters of each other (for
/// geodesic segments that do not cross, the closest pair of points
/// includes a segment endpoint).
pub(super) fn paths_within(a: &[Vec<Pt>], b: &[Vec<Pt>], radius: f64) -> bool {
    let near = |from: &[Vec<Pt>], to: &[Vec<Pt>]| {
        from.iter()
            .flatten()
            .any(|p| closest_on_lines(*p, to).is_some_and(|(_, d)| d <= radius))
    };
    near(a, b) || near(b, a) || !crossings(a, b).is_empty()
}

/// The nearest point of polygons to `p` (the point itself when inside) and
/// its distance.
fn closest_on_polygons(p: Pt, polys: &[Vec<Vec<Pt>>]) -> Option<(Pt, f64)> {
    if in_polygons(p, polys) {
        return Some((p, 0.0));
    }
    closest_on_lines(p, &boundaries(polys))
}

fn distance_point_to_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        let (Some(p), Some(ps)) = (point_arg(v, 0), shape_arg(v, 2).as_ref().and_then(polygons))
        else {
            return Value::Null;
        };
        closest_on_polygons(p, &ps).map_or(Value::Null, |(_, d)| Value::Real(d))
    }))
}

fn closest_point_on_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(p), Some(ps)) = (point_arg(v, 0), shape_arg(v, 2).as_ref().and_then(polygons))
        else {
            return Value::Null;
        };
        closest_on_polygons(p, &ps).map_or(Value::Null, |((lon, lat), _)| point_value(lon, lat))
    }))
}

/// The point a fraction `t` of the way along the geodesic from `a` to `b`.
fn slerp(a: V3, b: V3, t: f64) -> V3 {
    let theta = angle_between(a, b);
    if theta < 1e-15 {
        return a;
    }
    let (wa, wb) = (((1.0 - t) * theta).sin(), (t * theta).sin());
    let sin = theta.sin();
    [
        (wa * a[0] + wb * b[0]) / sin,
        (wa * a[1] + wb * b[1]) / sin,
        (wa * a[2] + wb * b[2]) / sin,
    ]
}

/// A single `LineString` argument.
fn single_line(v: &[Value], i: usize) -> Option<Vec<Pt>> {
    let d = shape_arg(v, i)?;
    (kind(&d) == "LineString").then(|| line_of(d.get("coordinates")))?
}

fn line_interpolate_point(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(line), Some(f)) = (single_line(v, 0), real_arg(v, 1)) else {
            return Value::Null;
        };
        if !(0.0..=1.0).contains(&f) {
            return Value::Null;
        }
        let total = path_length(&line);
        let mut left = f * total;
        for w in line.windows(2) {
            let [a, b] = w else { continue };
            let d = distance(*a, *b);
            if left <= d && d > 0.0 {
                let (lon, lat) = lon_lat(slerp(xyz(*a), xyz(*b), left / d));
                return point_value(lon, lat);
            }
            left -= d;
        }
        line.last()
            .map_or(Value::Null, |&(lon, lat)| point_value(lon, lat))
    }))
}

fn line_locate_point(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Real, |v| {
        let (Some(line), Some(p)) = (single_line(v, 0), point_arg(v, 1)) else {
            return Value::Null;
        };
        let total = path_length(&line);
        if total <= 0.0 {
            return Value::Null;
        }
        let pv = xyz(p);
        let mut best: Option<(f64, f64)> = None;
        let mut before = 0.0;
        for w in line.windows(2) {
            let [a, b] = w else { continue };
            let q = closest_on_segment(pv, xyz(*a), xyz(*b));
            let d = angle_between(pv, q);
            let along = before + angle_between(xyz(*a), q) * EARTH_RADIUS_M;
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, along));
            }
            before += distance(*a, *b);
        }
        best.map_or(Value::Null, |(_, along)| {
            Value::Real((along / total).clamp(0.0, 1.0))
        })
    }))
}

/// Scales a vector.
fn scale(a: V3, k: f64) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// A point for a non-zero vector.
fn direction_point(c: V3) -> Value {
    if norm(c) < 1e-300 {
        return Value::Null;
    }
    let (lon, lat) = lon_lat(c);
    point_value(lon, lat)
}

/// The integral of position along a geodesic edge.
fn edge_moment(a: V3, b: V3) -> V3 {
    let sum = add(a, b);
    let ns = norm(sum);
    if ns < 1e-300 {
        return [0.0; 3];
    }
    scale(sum, norm(add(a, scale(b, -1.0))) / ns)
}

/// The integral of position over the region a ring encloses (the side its
/// vertices' mean points into).
fn ring_moment(ring: &[Pt]) -> V3 {
    let pts: Vec<V3> = closed(ring).into_iter().map(xyz).collect();
    let mut m = [0.0; 3];
    for w in pts.windows(2) {
        let [a, b] = w else { continue };
        let n = cross(*a, *b);
        let nn = norm(n);
        if nn > 1e-300 {
            m = add(m, scale(n, 0.5 * angle_between(*a, *b) / nn));
        }
    }
    let mean = pts.iter().fold([0.0; 3], |acc, p| add(acc, *p));
    if dot(m, mean) < 0.0 {
        scale(m, -1.0)
    } else {
        m
    }
}

fn line_centroid(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some(ls) = shape_arg(v, 0).as_ref().and_then(lines) else {
            return Value::Null;
        };
        let mut c = [0.0; 3];
        for l in &ls {
            for w in l.windows(2) {
                if let [a, b] = w {
                    c = add(c, edge_moment(xyz(*a), xyz(*b)));
                }
            }
        }
        direction_point(c)
    }))
}

fn polygon_centroid(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some(ps) = shape_arg(v, 0).as_ref().and_then(united_polygons) else {
            return Value::Null;
        };
        let mut c = [0.0; 3];
        for rings in &ps {
            for (k, r) in rings.iter().enumerate() {
                let m = ring_moment(r);
                c = add(c, if k == 0 { m } else { scale(m, -1.0) });
            }
        }
        direction_point(c)
    }))
}

/// Where geodesic segments `a`–`b` and `c`–`d` cross, if they do (`None`
/// also for segments along the same great circle).
pub(super) fn segment_crossing(a: V3, b: V3, c: V3, d: V3) -> Option<V3> {
    let (n1, n2) = (cross(a, b), cross(c, d));
    let x = cross(n1, n2);
    let nx = norm(x);
    if nx < 1e-15 {
        return None;
    }
    let x = scale(x, 1.0 / nx);
    let on =
        |p: V3, s: V3, e: V3, n: V3| dot(cross(s, p), n) >= -1e-15 && dot(cross(p, e), n) >= -1e-15;
    [x, scale(x, -1.0)]
        .into_iter()
        .find(|&p| on(p, a, b, n1) && on(p, c, d, n2))
}

/// Every crossing between the segments of two path sets.
fn crossings(p: &[Vec<Pt>], q: &[Vec<Pt>]) -> Vec<V3> {
    let mut out = Vec::new();
    for l1 in p {
        for w1 in l1.windows(2) {
            let [a, b] = w1 else { continue };
            for l2 in q {
                for w2 in l2.windows(2) {
                    let [c, d] = w2 else { continue };
                    if let Some(x) = segment_crossing(xyz(*a), xyz(*b), xyz(*c), xyz(*d)) {
                        out.push(x);
                    }
                }
            }
        }
    }
    out
}

/// Two line arguments.
fn two_lines(v: &[Value]) -> Option<(Paths, Paths)> {
    let a = shape_arg(v, 0).as_ref().and_then(lines)?;
    let b = shape_arg(v, 1).as_ref().and_then(lines)?;
    Some((a, b))
}

fn intersects_2lines(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        two_lines(v).map_or(Value::Null, |(a, b)| {
            Value::Bool(!crossings(&a, &b).is_empty())
        })
    }))
}

fn intersection_2lines(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some((a, b)) = two_lines(v) else {
            return Value::Null;
        };
        let xs = crossings(&a, &b);
        match xs.as_slice() {
            [] => Value::Dynamic(super::bag(vec![
                ("type", Dynamic::String("GeometryCollection".into())),
                (
                    "geometries",
                    Dynamic::Array(std::sync::Arc::new(Vec::new())),
                ),
            ])),
            [x] => direction_point(*x),
            many => Value::Dynamic(super::bag(vec![
                ("type", Dynamic::String("MultiPoint".into())),
                (
                    "coordinates",
                    Dynamic::Array(std::sync::Arc::new(
                        many.iter()
                            .map(|x| {
                                let (lon, lat) = lon_lat(*x);
                                super::coord(lon, lat)
                            })
                            .collect(),
                    )),
                ),
            ])),
        }
    }))
}

/// The parts of lines inside polygons, as chains of points.
fn clip_lines(ls: &[Vec<Pt>], ps: &[Vec<Vec<Pt>>]) -> Vec<Vec<Pt>> {
    let bounds = boundaries(ps);
    let mut chains: Vec<Vec<Pt>> = Vec::new();
    for line in ls {
        let mut current: Vec<Pt> = Vec::new();
        for w in line.windows(2) {
            let [a, b] = w else { continue };
            let (va, vb) = (xyz(*a), xyz(*b));
            // Split the segment where it crosses the boundary.
            let mut cuts: Vec<(f64, V3)> = crossings(&[vec![*a, *b]], &bounds)
                .into_iter()
                .map(|x| (angle_between(va, x), x))
                .collect();
            cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
            let mut stops: Vec<V3> = vec![va];
            stops.extend(cuts.into_iter().map(|(_, x)| x));
            stops.push(vb);
            for piece in stops.windows(2) {
                let [s, e] = piece else { continue };
                if angle_between(*s, *e) < 1e-15 {
                    continue;
                }
                if in_polygons(lon_lat(slerp(*s, *e, 0.5)), ps) {
                    let (sp, ep) = (lon_lat(*s), lon_lat(*e));
                    if current.last() != Some(&sp) {
                        if current.len() >= 2 {
                            chains.push(std::mem::take(&mut current));
                        }
                        current = vec![sp];
                    }
                    current.push(ep);
                } else if current.len() >= 2 {
                    chains.push(std::mem::take(&mut current));
                } else {
                    current.clear();
                }
            }
        }
        if current.len() >= 2 {
            chains.push(current);
        }
    }
    chains
}

fn intersection_line_with_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(ls), Some(ps)) = (
            shape_arg(v, 0).as_ref().and_then(lines),
            shape_arg(v, 1).as_ref().and_then(polygons),
        ) else {
            return Value::Null;
        };
        let path = |c: &Vec<Pt>| {
            Dynamic::Array(std::sync::Arc::new(
                c.iter().map(|&(lon, lat)| super::coord(lon, lat)).collect(),
            ))
        };
        let chains = clip_lines(&ls, &ps);
        let (kind, coordinates) = match chains.as_slice() {
            [] => {
                return Value::Dynamic(super::bag(vec![
                    ("type", Dynamic::String("GeometryCollection".into())),
                    (
                        "geometries",
                        Dynamic::Array(std::sync::Arc::new(Vec::new())),
                    ),
                ]))
            }
            [one] => ("LineString", path(one)),
            many => (
                "MultiLineString",
                Dynamic::Array(std::sync::Arc::new(many.iter().map(path).collect())),
            ),
        };
        Value::Dynamic(super::bag(vec![
            ("type", Dynamic::String(kind.into())),
            ("coordinates", coordinates),
        ]))
    }))
}

/// Whether lines share any point with polygons.
pub(super) fn line_meets_polygons(ls: &[Vec<Pt>], ps: &[Vec<Vec<Pt>>]) -> bool {
    ls.iter().flatten().any(|p| in_polygons(*p, ps)) || !crossings(ls, &boundaries(ps)).is_empty()
}

fn intersects_line_with_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let (Some(ls), Some(ps)) = (
            shape_arg(v, 0).as_ref().and_then(lines),
            shape_arg(v, 1).as_ref().and_then(polygons),
        ) else {
            return Value::Null;
        };
        Value::Bool(line_meets_polygons(&ls, &ps))
    }))
}

/// Whether two polygon sets share any point.
pub(super) fn polygons_intersect(p: &[Vec<Vec<Pt>>], q: &[Vec<Vec<Pt>>]) -> bool {
    let (bp, bq) = (boundaries(p), boundaries(q));
    bp.iter().flatten().any(|x| in_polygons(*x, q))
        || bq.iter().flatten().any(|x| in_polygons(*x, p))
        || !crossings(&bp, &bq).is_empty()
}

fn intersects_2polygons(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Bool, |v| {
        let (Some(p), Some(q)) = (
            shape_arg(v, 0).as_ref().and_then(polygons),
            shape_arg(v, 1).as_ref().and_then(polygons),
        ) else {
            return Value::Null;
        };
        Value::Bool(polygons_intersect(&p, &q))
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{close, point_coords};
    use crate::functions::test_util::{call, s};
    use crate::value::{Dynamic, Value};

    fn shape(json: &str) -> Value {
        let j: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        Value::Dynamic(Dynamic::from_json(&j))
    }

    const CENTRAL_PARK: &str = r#"{"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]]}"#;
    const WALK: &str = r#"{"type":"LineString","coordinates":[[-73.95807266235352,40.800426144169315],[-73.94966125488281,40.79691751000055],[-73.97317886352539,40.764486356930334],[-73.98210525512695,40.76786669510221],[-73.96004676818848,40.7980870753293]]}"#;

    fn real(v: Value) -> f64 {
        match v {
            Value::Real(r) => r,
            other => panic!("expected a real, got {other:?}"),
        }
    }

    #[test]
    fn point_in_circle_compares_great_circle_distance() {
        let args = |lon: f64| {
            [
                Value::Real(lon),
                Value::Real(0.0),
                Value::Real(0.0),
                Value::Real(0.0),
                Value::Real(112_000.0),
            ]
        };
        assert_eq!(call("geo_point_in_circle", &args(1.0)), Value::Bool(true));
        assert_eq!(call("geo_point_in_circle", &args(1.1)), Value::Bool(false));
        let mut bad = args(1.0);
        bad[1] = Value::Real(95.0);
        assert_eq!(call("geo_point_in_circle", &bad), Value::Null);
        bad = args(1.0);
        bad[4] = Value::Real(-1.0);
        assert_eq!(call("geo_point_in_circle", &bad), Value::Null);
    }

    #[test]
    fn point_in_polygon_uses_geodesic_edges_and_rejects_degenerate_rings() {
        let park = shape(CENTRAL_PARK);
        let inside = [Value::Real(-73.965), Value::Real(40.782), park.clone()];
        assert_eq!(call("geo_point_in_polygon", &inside), Value::Bool(true));
        let outside = [Value::Real(-73.995), Value::Real(40.734), park];
        assert_eq!(call("geo_point_in_polygon", &outside), Value::Bool(false));
        let flat = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,10],[0,0]]]}"#);
        let degenerate = [Value::Long(1), Value::Long(1), flat];
        assert_eq!(call("geo_point_in_polygon", &degenerate), Value::Null);
    }

    #[test]
    fn lengths_and_areas_match_kusto() {
        let len = real(call("geo_line_length", &[shape(WALK)]));
        assert!(len > 9000.0 && len < 10000.0, "{len}");
        let line = shape(
            r#"{"type":"LineString","coordinates":[[-73.95807266235352,40.800426144169315],[-73.94966125488281,40.79691751000055],[-73.97317886352539,40.764486356930334]]}"#,
        );
        assert!((real(call("geo_line_length", &[line])) - 4922.4801699208065).abs() < 0.01);
        let area = real(call("geo_polygon_area", &[shape(CENTRAL_PARK)]));
        assert!((area - 3_475_207.28346606).abs() < 1.0, "{area}");
        let perimeter = real(call("geo_polygon_perimeter", &[shape(CENTRAL_PARK)]));
        assert!(perimeter > 9000.0 && perimeter < 10000.0, "{perimeter}");
    }

    #[test]
    fn azimuth_and_angle_measure_clockwise_from_north() {
        let east = call(
            "geo_azimuth",
            &[
                Value::Long(0),
                Value::Long(0),
                Value::Long(1),
                Value::Long(0),
            ],
        );
        assert!(close(real(east), std::f64::consts::FRAC_PI_2));
        let same = [
            Value::Long(5),
            Value::Long(10),
            Value::Long(5),
            Value::Long(10),
        ];
        assert_eq!(call("geo_azimuth", &same), Value::Null);
        let angle = call("geo_angle", &[0, 10, 0, 5, 3, -10].map(Value::Long));
        assert!((real(angle) - 2.94493843406882).abs() < 1e-9);
        assert_eq!(
            call("geo_angle", &[0, 10, 0, 10, 3, -10].map(Value::Long)),
            Value::Null
        );
    }

    #[test]
    fn closest_points_and_distances_to_lines_and_polygons() {
        let line = shape(
            r#"{"type":"LineString","coordinates":[[-115.183289,36.175007],[-115.192612,36.176736],[-115.202485,36.173439]]}"#,
        );
        let p = call(
            "geo_closest_point_on_line",
            &[
                Value::Real(-115.199625),
                Value::Real(36.210419),
                line.clone(),
            ],
        );
        let (lon, lat) = point_coords(&p).unwrap_or_default();
        assert!((lon + 115.192612).abs() < 1e-9 && (lat - 36.176736).abs() < 1e-9);
        let d = real(call(
            "geo_distance_point_to_line",
            &[Value::Real(-115.192612), Value::Real(36.176736), line],
        ));
        assert!(d.abs() < 1e-3, "{d}");
        let empty = shape(r#"{"type":"LineString"}"#);
        assert_eq!(
            call(
                "geo_distance_point_to_line",
                &[Value::Long(1), Value::Long(1), empty]
            ),
            Value::Null
        );
        let near = call(
            "geo_closest_point_on_polygon",
            &[
                Value::Real(-73.9839),
                Value::Real(40.7705),
                shape(CENTRAL_PARK),
            ],
        );
        let (lon, lat) = point_coords(&near).unwrap_or_default();
        assert!((lon + 73.98120558015391).abs() < 1e-7 && (lat - 40.76935945284321).abs() < 1e-7);
        let inside = call(
            "geo_distance_point_to_polygon",
            &[
                Value::Real(-73.965),
                Value::Real(40.782),
                shape(CENTRAL_PARK),
            ],
        );
        assert_eq!(inside, Value::Real(0.0));
    }

    #[test]
    fn interpolation_location_and_centroids_follow_the_line() {
        let p = call(
            "geo_line_interpolate_point",
            &[shape(WALK), Value::Real(0.9)],
        );
        let (lon, _) = point_coords(&p).unwrap_or_default();
        assert!((lon + 73.96556545832799).abs() < 1e-7, "{lon}");
        let c = call("geo_line_centroid", &[shape(WALK)]);
        let (lon, _) = point_coords(&c).unwrap_or_default();
        assert!((lon + 73.96606756268372).abs() < 1e-7, "{lon}");
        let c = call("geo_polygon_centroid", &[shape(CENTRAL_PARK)]);
        let (lon, lat) = point_coords(&c).unwrap_or_default();
        assert!((lon + 73.96573568990762).abs() < 1e-7 && (lat - 40.78255053805781).abs() < 1e-7);
        let dot = shape(r#"{"type":"LineString","coordinates":[[1,1]]}"#);
        assert_eq!(
            call("geo_line_centroid", std::slice::from_ref(&dot)),
            Value::Null
        );
        let locate = [dot, Value::Long(1), Value::Long(1)];
        assert_eq!(call("geo_line_locate_point", &locate), Value::Null);
        let half = call(
            "geo_line_locate_point",
            &[
                shape(r#"{"type":"LineString","coordinates":[[0,0],[2,0]]}"#),
                Value::Long(1),
                Value::Long(1),
            ],
        );
        assert!((real(half) - 0.5).abs() < 1e-9);
    }

    #[test]
    fn line_intersections_are_found_on_geodesics() {
        let a = shape(
            r#"{"type":"LineString","coordinates":[[-73.978929,40.785155],[-73.980903,40.782621]]}"#,
        );
        let b = shape(
            r#"{"type":"LineString","coordinates":[[-73.985195,40.788275],[-73.974552,40.779761]]}"#,
        );
        assert_eq!(
            call("geo_intersects_2lines", &[a.clone(), b.clone()]),
            Value::Bool(true)
        );
        let x = call("geo_intersection_2lines", &[a, b]);
        let (lon, lat) = point_coords(&x).unwrap_or_default();
        assert!((lon + 73.97983711667098).abs() < 1e-7 && (lat - 40.783989289772165).abs() < 1e-7);
        let c = shape(r#"{"type":"LineString","coordinates":[[1,1],[2,2]]}"#);
        let d = shape(r#"{"type":"LineString","coordinates":[[3,3],[4,4]]}"#);
        let none = call("geo_intersection_2lines", &[c.clone(), d]);
        assert_eq!(
            none.to_string(),
            r#"{"type":"GeometryCollection","geometries":[]}"#
        );
        let lone = shape(r#"{"type":"LineString","coordinates":[[3,3]]}"#);
        assert_eq!(call("geo_intersects_2lines", &[c, lone]), Value::Null);
    }

    #[test]
    fn shapes_intersect_when_they_cross_or_contain() {
        let line = shape(
            r#"{"type":"LineString","coordinates":[[-73.985195,40.788275],[-73.974552,40.779761]]}"#,
        );
        let tri = shape(
            r#"{"type":"Polygon","coordinates":[[[-73.9712905883789,40.78580561168767],[-73.98004531860352,40.775276834803655],[-73.97000312805176,40.77852663535664],[-73.9712905883789,40.78580561168767]]]}"#,
        );
        assert_eq!(
            call("geo_intersects_line_with_polygon", &[line, tri.clone()]),
            Value::Bool(true)
        );
        assert_eq!(
            call(
                "geo_intersects_2polygons",
                &[tri.clone(), shape(CENTRAL_PARK)]
            ),
            Value::Bool(true)
        );
        let far = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}"#);
        assert_eq!(
            call("geo_intersects_2polygons", &[tri, far]),
            Value::Bool(false)
        );
        assert_eq!(
            call("geo_intersects_2polygons", &[s("x"), s("y")]),
            Value::Null
        );
    }

    #[test]
    fn line_is_clipped_to_the_polygon() {
        let line = shape(
            r#"{"type":"LineString","coordinates":[[-73.985195,40.788275],[-73.974552,40.779761]]}"#,
        );
        let tri = shape(
            r#"{"type":"Polygon","coordinates":[[[-73.9712905883789,40.78580561168767],[-73.98004531860352,40.775276834803655],[-73.97000312805176,40.77852663535664],[-73.9712905883789,40.78580561168767]]]}"#,
        );
        let v = call("geo_intersection_line_with_polygon", &[line, tri.clone()]);
        let Value::Dynamic(d) = v else {
            panic!("dynamic")
        };
        assert_eq!(d.get("type"), &Dynamic::String("LineString".into()));
        let start = d.get("coordinates").at(0);
        let (Dynamic::Real(lon), Dynamic::Real(lat)) = (start.at(0), start.at(1)) else {
            panic!("coordinates")
        };
        assert!((lon + 73.97561195657819).abs() < 1e-9 && (lat - 40.78060906714618).abs() < 1e-9);
        let away = shape(r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#);
        let none = call("geo_intersection_line_with_polygon", &[away, tri]);
        assert_eq!(
            none.to_string(),
            r#"{"type":"GeometryCollection","geometries":[]}"#
        );
    }
}
