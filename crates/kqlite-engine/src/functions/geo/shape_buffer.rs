//! `geo_line_buffer` and `geo_polygon_buffer`: every point within a radius
//! of a line or polygon, as a polygon.
//!
//! The buffer of an edge is a capsule: the geodesics joining the points at
//! the radius to either side of its ends, and half circles around the ends
//! whose vertices are one fixed angle apart, starting from the side points
//! (the angle keeps each chord within the tolerance of the circle). A line
//! buffer is the union of its edges' capsules. A convex polygon's buffer
//! is its edges' outer offsets joined by such arcs around the vertices;
//! any other polygon's is the union of the polygon and its edges' capsules.
//! The offset sides are geodesics, so on edges much longer than the radius
//! they run slightly inside the true offset curve.

use super::boolean::{self, Region};
use super::buffer::{circle, tolerance_for};
use super::shapes::{self, cross, xyz, Pt, V3};
use super::{real_arg, sig, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::Value;

/// The sphere radius of the buffer computations, in meters.
const EARTH_RADIUS: f64 = 6_371_010.0;

/// The default tolerance, in meters.
const DEFAULT_TOLERANCE: f64 = 10.0;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_line_buffer",
            |a| sig(a, 2, 3, DataType::Dynamic),
            line_buffer,
        ),
        Func::plain(
            "geo_polygon_buffer",
            |a| sig(a, 2, 3, DataType::Dynamic),
            polygon_buffer,
        ),
    ]
}

fn unit(v: V3) -> V3 {
    let n = shapes::norm(v);
    [v[0] / n, v[1] / n, v[2] / n]
}

/// The point at angle `r` from `p` towards the unit vector `n`
/// (perpendicular to `p`).
fn offset(p: V3, n: V3, r: f64) -> V3 {
    std::array::from_fn(|k| p[k] * r.cos() + n[k] * r.sin())
}

/// `p` rotated counterclockwise (seen from outside the sphere) by `theta`
/// radians about the unit axis `axis`.
fn rotate(p: V3, axis: V3, theta: f64) -> V3 {
    let (c, s) = (theta.cos(), theta.sin());
    let k = cross(axis, p);
    let d = shapes::dot(axis, p) * (1.0 - c);
    std::array::from_fn(|i| p[i] * c + k[i] * s + axis[i] * d)
}

/// The angle between two offset directions at a vertex, counterclockwise
/// from `from` to `to`, in `[0, 2π)`.
fn turn(at: V3, from: V3, to: V3) -> f64 {
    let a = shapes::dot(at, cross(from, to)).atan2(shapes::dot(from, to));
    if a < 0.0 {
        a + std::f64::consts::TAU
    } else {
        a
    }
}

/// The vertices strictly inside the arc around `center` that starts at
/// `start` and turns counterclockwise by `sweep`, one every `step` radians
/// from the start.
fn arc(center: V3, start: V3, sweep: f64, step: f64, out: &mut Vec<V3>) {
    let mut k = 1.0;
    while k * step < sweep && out.len() < MAX_VERTICES {
        out.push(rotate(start, center, k * step));
        k += 1.0;
    }
}

/// Most vertices of one buffer ring.
const MAX_VERTICES: usize = 1 << 20;

/// The angle between successive arc vertices around a center that keeps
/// each chord (a geodesic) within `tolerance` of the circle of `radius`
/// (both in meters): on the sphere, the chord between points of a circle
/// of angular radius ρ, φ apart, passes at angle atan(tan ρ · cos(φ/2))
/// from the center.
fn arc_step(radius: f64, tolerance: f64) -> f64 {
    let (rho, t) = (radius / EARTH_RADIUS, tolerance / EARTH_RADIUS);
    2.0 * ((rho - t).tan() / rho.tan()).clamp(-1.0, 1.0).acos()
}

/// The unit normal of the great circle through `a` and `b` (their left).
fn left_normal(a: V3, b: V3) -> Option<V3> {
    let c = cross(a, b);
    (shapes::norm(c) >= 1e-15).then(|| unit(c))
}

/// The buffer of one edge: two half circles joined by the edge's offsets,
/// counterclockwise, starting at the left offset of `a`.
fn capsule(a: V3, b: V3, r: f64, step: f64) -> Option<Region> {
    let n = left_normal(a, b)?;
    let m = n.map(|x| -x);
    let mut ring = vec![offset(a, n, r)];
    arc(a, offset(a, n, r), std::f64::consts::PI, step, &mut ring);
    ring.push(offset(a, m, r));
    ring.push(offset(b, m, r));
    arc(b, offset(b, m, r), std::f64::consts::PI, step, &mut ring);
    ring.push(offset(b, n, r));
    Some(Region {
        loops: vec![(ring, 0)],
    })
}

/// The buffer of a convex counterclockwise ring: the edges' outer offsets
/// joined by arcs around the vertices (`None` when a vertex is not convex).
fn convex_buffer(ring: &[V3], r: f64, step: f64) -> Option<Region> {
    let n = ring.len();
    let mut outward = Vec::with_capacity(n);
    for k in 0..n {
        let (a, b) = (ring.get(k)?, ring.get((k + 1) % n)?);
        outward.push(left_normal(*a, *b)?.map(|x| -x));
    }
    let mut out = Vec::new();
    for k in 0..n {
        let (a, b) = (*ring.get(k)?, *ring.get((k + 1) % n)?);
        let (o, o_next) = (*outward.get(k)?, *outward.get((k + 1) % n)?);
        out.push(offset(a, o, r));
        out.push(offset(b, o, r));
        let sweep = turn(b, o, o_next);
        if sweep > std::f64::consts::PI {
            return None;
        }
        arc(b, offset(b, o, r), sweep, step, &mut out);
    }
    Some(Region {
        loops: vec![(out, 0)],
    })
}

/// The pieces whose union is the buffer of some paths: a capsule per edge.
fn capsules(paths: &[Vec<V3>], r: f64, step: f64) -> Vec<Region> {
    let mut out = Vec::new();
    for path in paths {
        for w in path.windows(2) {
            if let [a, b] = w {
                out.extend(capsule(*a, *b, r, step));
            }
        }
    }
    out
}

/// The circle around a point (an edge whose ends are equal).
fn disc(p: Pt, radius: f64, tolerance: f64) -> Region {
    let ring = circle(p.0, p.1, radius, tolerance)
        .into_iter()
        .map(xyz)
        .collect();
    Region {
        loops: vec![(ring, 0)],
    }
}

/// Radius and tolerance arguments at `i` and `i + 1`.
fn radius_args(v: &[Value], i: usize) -> Option<(f64, f64)> {
    let radius = real_arg(v, i)?;
    let tolerance = match v.get(i + 1) {
        None => DEFAULT_TOLERANCE,
        Some(_) => real_arg(v, i + 1)?,
    };
    Some((radius, tolerance_for(radius, tolerance)?))
}

fn result(region: Option<Region>) -> Value {
    match region {
        Some(r) => Value::Dynamic(
            boolean::region_geometry(&r).unwrap_or_else(|| boolean::collection(Vec::new())),
        ),
        None => Value::Null,
    }
}

fn line_buffer(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some(ls) = shapes::shape_arg(v, 0).as_ref().and_then(shapes::lines) else {
            return Value::Null;
        };
        let Some((radius, tolerance)) = radius_args(v, 1) else {
            return Value::Null;
        };
        let paths: Vec<Vec<V3>> = ls
            .iter()
            .map(|l| l.iter().map(|p| xyz(*p)).collect())
            .collect();
        let (r, step) = (radius / EARTH_RADIUS, arc_step(radius, tolerance));
        let mut parts = capsules(&paths, r, step);
        if parts.is_empty() {
            // Every edge has equal ends: the buffer of the points.
            parts = ls
                .iter()
                .flatten()
                .take(1)
                .map(|p| disc(*p, radius, tolerance))
                .collect();
        }
        result(boolean::union_all(parts))
    }))
}

fn polygon_buffer(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some(d) = shapes::shape_arg(v, 0) else {
            return Value::Null;
        };
        let (Some(ps), Some(region)) = (shapes::polygons(&d), boolean::region_of(&d)) else {
            return Value::Null;
        };
        let Some((radius, tolerance)) = radius_args(v, 1) else {
            return Value::Null;
        };
        let (r, step) = (radius / EARTH_RADIUS, arc_step(radius, tolerance));
        if let [(shell, 0)] = region.loops.as_slice() {
            if let Some(b) = convex_buffer(shell, r, step) {
                return result(Some(b));
            }
        }
        let rings: Vec<Vec<V3>> = ps
            .iter()
            .flatten()
            .map(|ring| shapes::closed(ring).into_iter().map(xyz).collect())
            .collect();
        let mut all = vec![region];
        all.extend(capsules(&rings, r, step));
        result(boolean::union_all(all))
    }))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::call;
    use crate::value::{Dynamic, Value};

    fn shape(json: &str) -> Value {
        let j: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        Value::Dynamic(Dynamic::from_json(&j))
    }

    fn ring(v: &Value) -> Vec<(f64, f64)> {
        let Value::Dynamic(d) = v else {
            return Vec::new();
        };
        let j = d.to_json();
        j["coordinates"][0]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0)))
            .collect()
    }

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() <= 1e-9 * a.0.abs() && (a.1 - b.1).abs() <= 1e-9 * a.1.abs()
    }

    #[test]
    fn a_line_buffer_is_a_capsule_with_arcs_one_step_apart() {
        let line = shape(
            r#"{"type":"LineString","coordinates":[[-80.66634997047466,24.894526340592122],[-80.67373241820246,24.890808090321286]]}"#,
        );
        let out = ring(&call(
            "geo_line_buffer",
            &[line, Value::Long(4), Value::Real(0.1)],
        ));
        // Kusto's output for this line: 18 vertices and the closing one.
        assert_eq!(out.len(), 19);
        let want = [
            (0, (-80.66633072022181, 24.894494890070384)),
            (1, (-80.6663175977799, 24.894505561911583)),
            (7, (-80.6663690631755, 24.89455787003908)),
            (8, (-80.66636922073731, 24.894557791111392)),
            (9, (-80.67375166976578, 24.890839539893484)),
            (17, (-80.67371316664895, 24.89077664074662)),
        ];
        for (k, p) in want {
            assert!(close(out[k], p), "vertex {k}: {:?} vs {p:?}", out[k]);
        }
    }

    #[test]
    fn invalid_lines_radii_and_tolerances_give_null_buffers() {
        let line = r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#;
        let run = |args: &[Value]| call("geo_line_buffer", args);
        assert_eq!(
            run(&[shape(r#"{"type":"LineString"}"#), Value::Long(5)]),
            Value::Null
        );
        assert_eq!(run(&[shape(line), Value::Long(0)]), Value::Null);
        assert_eq!(
            run(&[shape(line), Value::Long(1000), Value::Real(0.0001)]),
            Value::Null
        );
        assert_ne!(run(&[shape(line), Value::Long(1000)]), Value::Null);
    }

    #[test]
    fn a_convex_polygon_buffer_offsets_its_edges_and_rounds_its_corners() {
        let polygon = shape(
            r#"{"type":"Polygon","coordinates":[[[139.813757,35.719666],[139.72558,35.71813],[139.727471,35.653231],[139.818721,35.657264],[139.813757,35.719666]]]}"#,
        );
        let out = ring(&call("geo_polygon_buffer", &[polygon, Value::Long(10_000)]));
        assert_eq!(out.len(), 77);
        let want = [
            (0, (139.8114280519897, 35.80957816216173)),
            (1, (139.72315148622184, 35.808040426974344)),
            (2, (139.71325749406012, 35.80750442521031)),
            (18, (139.61485316726709, 35.720618690102874)),
            (19, (139.61484651921265, 35.715950643673175)),
        ];
        for (k, p) in want {
            assert!(close(out[k], p), "vertex {k}: {:?} vs {p:?}", out[k]);
        }
    }

    #[test]
    fn a_concave_polygon_buffer_contains_the_polygon() {
        let polygon =
            shape(r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[1,0.5],[0,2],[0,0]]]}"#);
        let out = call("geo_polygon_buffer", &[polygon, Value::Long(1000)]);
        let Value::Dynamic(d) = &out else {
            panic!("{out:?}")
        };
        assert_eq!(d.to_json()["type"], "Polygon");
        let inside = call(
            "geo_point_in_polygon",
            &[Value::Real(1.0), Value::Real(0.51), out.clone()],
        );
        assert_eq!(inside, Value::Bool(true));
        let outside = call(
            "geo_point_in_polygon",
            &[Value::Real(1.0), Value::Real(0.6), out],
        );
        assert_eq!(outside, Value::Bool(false));
    }

    #[test]
    fn invalid_polygons_and_radii_give_null_polygon_buffers() {
        assert_eq!(
            call(
                "geo_polygon_buffer",
                &[shape(r#"{"type":"p"}"#), Value::Long(1)]
            ),
            Value::Null
        );
        let polygon = shape(r#"{"type":"Polygon","coordinates":[[[10,10],[0,10],[0,0],[10,10]]]}"#);
        assert_eq!(
            call("geo_polygon_buffer", &[polygon, Value::Long(0)]),
            Value::Null
        );
    }
}
