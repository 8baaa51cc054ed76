//! `geo_point_buffer`: the circle of a radius around a point, as a polygon.
//!
//! The circle is sampled at evenly spaced angles on the sphere (radius
//! 6,371,010 m, as Kusto's geodesy uses), starting from a fixed direction
//! perpendicular to the center so results are reproducible.

use super::{point_arg, polygon_value, real_arg, sig, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::Value;

/// The sphere radius of the buffer computations, in meters.
const EARTH_RADIUS: f64 = 6_371_010.0;

/// Most vertices of a buffer circle (the smallest tolerance, a millionth of
/// the radius, needs about 2,222).
const MAX_VERTICES: usize = 4096;

/// The default tolerance, in meters.
const DEFAULT_TOLERANCE: f64 = 10.0;

/// The smallest tolerance, as a fraction of the radius.
const MIN_TOLERANCE_FRACTION: f64 = 1e-6;

pub(super) fn functions() -> Vec<Func> {
    vec![Func {
        name: "geo_point_buffer",
        signature: |a| sig(a, 3, 4, DataType::Dynamic),
        properties: FunctionProperties::PLAIN,
        evaluate: point_buffer,
    }]
}

type V3 = [f64; 3];

fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(a: V3) -> V3 {
    let n = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    if n == 0.0 {
        return a;
    }
    [a[0] / n, a[1] / n, a[2] / n]
}

/// A unit vector perpendicular to `a`, chosen deterministically from the
/// largest component of `a`.
pub(super) fn ortho(a: V3) -> V3 {
    let abs = a.map(f64::abs);
    let largest = if abs[0] > abs[1] {
        if abs[0] > abs[2] {
            0
        } else {
            2
        }
    } else if abs[1] > abs[2] {
        1
    } else {
        2
    };
    let k = if largest == 0 { 2 } else { largest - 1 };
    let mut t = [0.012, 0.0053, 0.00457];
    if let Some(slot) = t.get_mut(k) {
        *slot = 1.0;
    }
    normalize(cross(a, t))
}

/// Number of vertices keeping the polygon within `tolerance` meters of
/// the circle of `radius` meters.
pub(super) fn vertex_count(radius: f64, tolerance: f64) -> usize {
    let ratio = (1.0 - tolerance / radius).clamp(-1.0, 1.0);
    let step = ratio.acos();
    if step <= 0.0 || !step.is_finite() {
        return MAX_VERTICES;
    }
    ((std::f64::consts::PI / step).ceil() as usize).clamp(4, MAX_VERTICES)
}

/// The buffer ring around `(lon, lat)`: `(lon, lat)` vertices, open.
pub(super) fn circle(lon: f64, lat: f64, radius: f64, tolerance: f64) -> Vec<(f64, f64)> {
    let (lo, la) = (lon.to_radians(), lat.to_radians());
    let c = [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()];
    let u = ortho(c);
    let v = cross(c, u);
    let r = radius / EARTH_RADIUS;
    let n = vertex_count(radius, tolerance);
    (0..n)
        .map(|i| {
            let th = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
            let p: V3 = std::array::from_fn(|k| {
                r.cos() * c[k] + r.sin() * (th.cos() * u[k] + th.sin() * v[k])
            });
            (
                p[1].atan2(p[0]).to_degrees(),
                p[2].clamp(-1.0, 1.0).asin().to_degrees(),
            )
        })
        .collect()
}

/// The tolerance to buffer `radius` meters with: `None` when the radius is
/// not positive or the tolerance is below a millionth of the radius; a
/// tolerance above the radius is lowered to just below it.
pub(super) fn tolerance_for(radius: f64, tolerance: f64) -> Option<f64> {
    let valid = radius > 0.0 && tolerance >= radius * MIN_TOLERANCE_FRACTION;
    if !valid {
        return None;
    }
    Some(tolerance.min(radius * (1.0 - 1e-9)))
}

/// `geo_point_buffer(lon, lat, radius [, tolerance])`.
fn point_buffer(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some((lon, lat)), Some(radius)) = (point_arg(v, 0), real_arg(v, 2)) else {
            return Value::Null;
        };
        let tolerance = match v.get(3) {
            None => Some(DEFAULT_TOLERANCE),
            Some(_) => real_arg(v, 3),
        };
        match tolerance.and_then(|t| tolerance_for(radius, t)) {
            Some(t) => polygon_value(&circle(lon, lat, radius, t)),
            None => Value::Null,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_starts_from_a_fixed_direction_at_the_radius() {
        let ring = circle(-115.1745008278, 36.1497251277, 20_000.0, 10.0);
        assert_eq!(ring.len(), 100);
        let (lon, lat) = ring[0];
        assert!((lon - -115.235_723_425_044_3).abs() < 1e-9, "{lon}");
        assert!((lat - 36.322_677_605_687_1).abs() < 1e-9, "{lat}");
    }

    #[test]
    fn the_vertex_count_keeps_the_ring_within_the_tolerance() {
        // Kusto's outputs: 100, 50 and 39 vertices at the default tolerance.
        assert_eq!(vertex_count(20_000.0, DEFAULT_TOLERANCE), 100);
        assert_eq!(vertex_count(5_000.0, DEFAULT_TOLERANCE), 50);
        assert_eq!(vertex_count(3_000.0, DEFAULT_TOLERANCE), 39);
        assert!(vertex_count(5.0, 0.1) < 20);
    }

    #[test]
    fn tolerances_below_a_millionth_of_the_radius_are_rejected() {
        assert_eq!(tolerance_for(1000.0, 0.0001), None);
        assert_eq!(tolerance_for(1000.0, 0.001), Some(0.001));
        assert_eq!(tolerance_for(-1.0, 10.0), None);
        assert!(tolerance_for(5.0, 10.0).is_some_and(|t| t < 5.0));
    }

    #[test]
    fn invalid_points_and_radii_give_null() {
        let run = |args: Vec<Value>| {
            let cols: Vec<ColumnarValue> = args
                .into_iter()
                .map(|v| ColumnarValue::Scalar(v, DataType::Real))
                .collect();
            point_buffer(&cols, 1, &EvalContext { now: 0 })
                .map(|c| c.get(0))
                .unwrap_or(Value::Null)
        };
        assert!(run(vec![Value::Real(200.0), Value::Real(1.0), Value::Real(0.1)]).is_null());
        assert!(run(vec![Value::Real(0.0), Value::Real(1.0), Value::Real(-5.0)]).is_null());
        assert!(!run(vec![Value::Real(0.0), Value::Real(1.0), Value::Real(5.0)]).is_null());
    }
}
