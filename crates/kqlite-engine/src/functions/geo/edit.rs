//! Shape rewriting: `geo_line_densify`, `geo_polygon_densify`,
//! `geo_line_simplify`, `geo_polygon_simplify`, `geo_simplify_polygons_array`.

use std::sync::Arc;

use super::boolean;
use super::shapes::{self, Pt};
use super::{bag, coord, real_arg, sig, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Default densify and simplify tolerance, in meters.
const DEFAULT_TOLERANCE_M: f64 = 10.0;
/// Most points a densified shape may have.
const MAX_POINTS: usize = 10_485_760;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_line_densify",
            |a| sig(a, 1, 3, DataType::Dynamic),
            line_densify,
        ),
        Func::plain(
            "geo_polygon_densify",
            |a| sig(a, 1, 3, DataType::Dynamic),
            polygon_densify,
        ),
        Func::plain(
            "geo_line_simplify",
            |a| sig(a, 1, 2, DataType::Dynamic),
            line_simplify,
        ),
        Func::plain(
            "geo_polygon_simplify",
            |a| sig(a, 1, 2, DataType::Dynamic),
            polygon_simplify,
        ),
        Func::plain(
            "geo_simplify_polygons_array",
            |a| sig(a, 1, 2, DataType::Dynamic),
            simplify_polygons_array,
        ),
    ]
}

/// Largest tolerance of `geo_simplify_polygons_array`, in meters.
const MAX_ARRAY_TOLERANCE_M: f64 = 7_800_000.0;

/// The tolerance argument `i`: the default when absent, `None` when null or
/// outside `range`.
fn tolerance(v: &[Value], i: usize, range: std::ops::RangeInclusive<f64>) -> Option<f64> {
    let t = match v.get(i) {
        None => DEFAULT_TOLERANCE_M,
        Some(_) => real_arg(v, i)?,
    };
    range.contains(&t).then_some(t)
}

/// Splits the planar edge `a`–`b` into 2^k equal parts, the fewest for
/// which every part's geodesic stays within `tol` meters of it (measured at
/// the part's midpoint). Pushes every point but `b`.
fn densify_edge(a: Pt, b: Pt, tol: f64, out: &mut Vec<Pt>) -> Option<()> {
    let lerp = |t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
    let mut parts: usize = 1;
    loop {
        let ok = (0..parts).all(|k| {
            let (t0, t1) = (k as f64 / parts as f64, (k + 1) as f64 / parts as f64);
            let planar = lerp((t0 + t1) / 2.0);
            let geodesic = shapes::geodesic_midpoint(lerp(t0), lerp(t1));
            shapes::distance(planar, geodesic) <= tol
        });
        if ok {
            break;
        }
        parts *= 2;
        if out.len() + parts > MAX_POINTS {
            return None;
        }
    }
    out.extend((0..parts).map(|k| lerp(k as f64 / parts as f64)));
    Some(())
}

/// Densifies a path.
fn densify_path(path: &[Pt], tol: f64) -> Option<Vec<Pt>> {
    let mut out = Vec::with_capacity(path.len());
    for w in path.windows(2) {
        let [a, b] = w else { continue };
        densify_edge(*a, *b, tol, &mut out)?;
    }
    out.extend(path.last());
    Some(out)
}

/// A coordinate array.
fn coords(path: &[Pt]) -> Dynamic {
    Dynamic::Array(Arc::new(
        path.iter()
            .map(|&p| {
                let (lon, lat) = shapes::round_trip(p);
                coord(lon, lat)
            })
            .collect(),
    ))
}

/// A GeoJSON geometry of `kind` with `coordinates`.
fn geometry(kind: &str, coordinates: Dynamic) -> Value {
    Value::Dynamic(bag(vec![
        ("type", Dynamic::String(kind.into())),
        ("coordinates", coordinates),
    ]))
}

/// Lines back to GeoJSON (a `LineString` when there is one).
fn lines_value(ls: &[Vec<Pt>], multi: bool) -> Value {
    match ls {
        [one] if !multi => geometry("LineString", coords(one)),
        _ => geometry(
            "MultiLineString",
            Dynamic::Array(Arc::new(ls.iter().map(|l| coords(l)).collect())),
        ),
    }
}

/// Polygons back to GeoJSON; rings are given open and written closed.
fn polygons_value(ps: &[Vec<Vec<Pt>>], multi: bool) -> Value {
    let polygon = |rings: &Vec<Vec<Pt>>| {
        Dynamic::Array(Arc::new(
            rings.iter().map(|r| coords(&shapes::closed(r))).collect(),
        ))
    };
    match ps {
        [one] if !multi => geometry("Polygon", polygon(one)),
        _ => geometry(
            "MultiPolygon",
            Dynamic::Array(Arc::new(ps.iter().map(polygon).collect())),
        ),
    }
}

/// Whether a shape argument is a multi-geometry.
fn is_multi(d: &Dynamic) -> bool {
    shapes::kind(d).starts_with("Multi")
}

fn line_densify(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(d), Some(tol)) = (shapes::shape_arg(v, 0), tolerance(v, 1, 0.1..=10_000.0))
        else {
            return Value::Null;
        };
        let preserve_crossing = match v.get(2) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Value::Null,
        };
        let Some(ls) = lenient_lines(&d) else {
            return Value::Null;
        };
        let dense: Option<Vec<Vec<Pt>>> = ls.iter().map(|l| densify_path(l, tol)).collect();
        let Some(dense) = dense else {
            return Value::Null;
        };
        let mut out: Vec<Vec<Pt>> = Vec::new();
        for line in dense {
            let line: Vec<Pt> = line
                .into_iter()
                .map(|(lon, lat)| (wrap_lon(lon), lat))
                .collect();
            if preserve_crossing {
                out.push(line);
            } else {
                out.extend(split_at_antimeridian(&line));
            }
        }
        let multi = is_multi(&d) || out.len() > 1;
        lines_value(&out, multi)
    }))
}

/// The lines of a `LineString` or `MultiLineString` whose longitudes may
/// lie outside [-180, 180] (Kusto reads them modulo 360 here; the planar
/// edges run between the longitudes as given).
fn lenient_lines(d: &Dynamic) -> Option<Vec<Vec<Pt>>> {
    let position = |p: &Dynamic| -> Option<Pt> {
        let num = |d: &Dynamic| match d {
            Dynamic::Long(i) => Some(*i as f64),
            Dynamic::Real(r) if r.is_finite() => Some(*r),
            _ => None,
        };
        let Dynamic::Array(a) = p else { return None };
        let (lon, lat) = (num(a.first()?)?, num(a.get(1)?)?);
        (-90.0..=90.0).contains(&lat).then_some((lon, lat))
    };
    let line = |l: &Dynamic| -> Option<Vec<Pt>> {
        let Dynamic::Array(a) = l else { return None };
        let pts: Option<Vec<Pt>> = a.iter().map(position).collect();
        pts.filter(|p| p.len() >= 2)
    };
    let c = d.get("coordinates");
    match shapes::kind(d) {
        "LineString" => Some(vec![line(c)?]),
        "MultiLineString" => {
            let Dynamic::Array(a) = c else { return None };
            let ls: Option<Vec<Vec<Pt>>> = a.iter().map(line).collect();
            ls.filter(|l| !l.is_empty())
        }
        _ => None,
    }
}

/// A longitude carried into [-180, 180].
fn wrap_lon(lon: f64) -> f64 {
    if (-180.0..=180.0).contains(&lon) {
        lon
    } else {
        (lon + 180.0).rem_euclid(360.0) - 180.0
    }
}

/// The longitude that stands for the antimeridian on either side of it.
const ANTIMERIDIAN: f64 = 180.0 - 1e-12;

/// Splits a line where its geodesic edges cross the antimeridian; the
/// pieces end and start at the crossing's latitude.
fn split_at_antimeridian(line: &[Pt]) -> Vec<Vec<Pt>> {
    let mut out = Vec::new();
    let mut cur: Vec<Pt> = Vec::new();
    for (k, &p) in line.iter().enumerate() {
        if let Some(&q) = k.checked_sub(1).and_then(|j| line.get(j)) {
            if (p.0 - q.0).abs() > 180.0 {
                let n = shapes::cross(shapes::xyz(q), shapes::xyz(p));
                // The great circle meets the plane y = 0 on the far side.
                let x = shapes::cross(n, [0.0, 1.0, 0.0]);
                let x = if x[0] > 0.0 { x.map(|c| -c) } else { x };
                let lat = x[2].atan2(x[0].hypot(x[1])).to_degrees();
                cur.push((ANTIMERIDIAN.copysign(q.0), lat));
                out.push(std::mem::take(&mut cur));
                cur.push((ANTIMERIDIAN.copysign(p.0), lat));
            }
        }
        cur.push(p);
    }
    out.push(cur);
    out
}

/// A ring in counterclockwise order (the interior on the left), as Kusto
/// normalizes loops.
fn counterclockwise(ring: &[Pt]) -> Vec<Pt> {
    let mut r = ring.to_vec();
    if shapes::signed_ring_excess(&shapes::closed(ring)) < 0.0 {
        r.reverse();
    }
    r
}

fn polygon_densify(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(d), Some(tol)) = (shapes::shape_arg(v, 0), tolerance(v, 1, 0.1..=10_000.0))
        else {
            return Value::Null;
        };
        let Some(ps) = shapes::polygons(&d) else {
            return Value::Null;
        };
        let mut out = Vec::with_capacity(ps.len());
        for rings in &ps {
            let mut dense_rings = Vec::with_capacity(rings.len());
            for r in rings {
                let ccw = counterclockwise(r);
                let Some(mut dense) = densify_path(&shapes::closed(&ccw), tol) else {
                    return Value::Null;
                };
                dense.pop();
                dense_rings.push(dense);
            }
            out.push(dense_rings);
        }
        polygons_value(&out, is_multi(&d))
    }))
}

/// Douglas–Peucker simplification with geodesic distances: keeps the
/// endpoints and every vertex farther than `tol` meters from the simplified
/// chain.
fn simplify_path(path: &[Pt], tol: f64) -> Vec<Pt> {
    let n = path.len();
    if n < 3 {
        return path.to_vec();
    }
    let mut keep = vec![false; n];
    if let (Some(first), Some(last)) = (keep.first_mut(), Some(n - 1)) {
        *first = true;
        if let Some(l) = keep.get_mut(last) {
            *l = true;
        }
    }
    let mut stack = vec![(0usize, n - 1)];
    while let Some((s, e)) = stack.pop() {
        let (Some(&a), Some(&b)) = (path.get(s), path.get(e)) else {
            continue;
        };
        let mut far: Option<(usize, f64)> = None;
        for k in s + 1..e {
            let Some(&p) = path.get(k) else { continue };
            let d = shapes::distance_to_segment(p, a, b);
            if d > tol && far.is_none_or(|(_, fd)| d > fd) {
                far = Some((k, d));
            }
        }
        if let Some((k, _)) = far {
            if let Some(x) = keep.get_mut(k) {
                *x = true;
            }
            stack.push((s, k));
            stack.push((k, e));
        }
    }
    path.iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// Whether a path has at least `n` distinct points.
fn has_distinct(path: &[Pt], n: usize) -> bool {
    let mut seen: Vec<Pt> = Vec::with_capacity(n);
    for p in path {
        if !seen.contains(p) {
            seen.push(*p);
            if seen.len() >= n {
                return true;
            }
        }
    }
    false
}

fn line_simplify(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(d), Some(tol)) = (shapes::shape_arg(v, 0), tolerance(v, 1, 0.0..=f64::MAX))
        else {
            return Value::Null;
        };
        let Some(ls) = shapes::lines(&d) else {
            return Value::Null;
        };
        let mut out = Vec::with_capacity(ls.len());
        for l in &ls {
            let s = simplify_path(l, tol);
            // A line that fits within the tolerance collapses to a point.
            let spans = s
                .first()
                .is_some_and(|&a| s.iter().any(|&p| shapes::distance(a, p) > tol));
            if !has_distinct(&s, 2) || !spans {
                return Value::Null;
            }
            out.push(s);
        }
        lines_value(&out, is_multi(&d))
    }))
}

fn polygon_simplify(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(d), Some(tol)) = (shapes::shape_arg(v, 0), tolerance(v, 1, 0.0..=f64::MAX))
        else {
            return Value::Null;
        };
        let Some(ps) = shapes::polygons(&d) else {
            return Value::Null;
        };
        let mut out = Vec::with_capacity(ps.len());
        for rings in &ps {
            let mut simple = Vec::with_capacity(rings.len());
            for r in rings {
                let mut s = simplify_path(&shapes::closed(r), tol);
                s.pop();
                if !has_distinct(&s, 3) {
                    return Value::Null;
                }
                simple.push(s);
            }
            out.push(simple);
        }
        polygons_value(&out, is_multi(&d))
    }))
}

/// `geo_simplify_polygons_array(polygons [, tolerance])`: the union of the
/// polygons, each ring simplified; rings that collapse are dropped (a
/// shell with its holes), and nothing left gives null.
fn simplify_polygons_array(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(Dynamic::Array(items)), Some(tol)) = (
            shapes::shape_arg(v, 0),
            tolerance(v, 1, 0.0..=MAX_ARRAY_TOLERANCE_M),
        ) else {
            return Value::Null;
        };
        let mut regions = Vec::with_capacity(items.len());
        for item in items.iter() {
            let Some(r) = boolean::region_of(item) else {
                return Value::Null;
            };
            regions.push(r);
        }
        let Some(union) = boolean::union_all(regions) else {
            return Value::Null;
        };
        let mut out: Vec<Vec<Vec<Pt>>> = Vec::new();
        for rings in union.as_polygons() {
            let mut simple = Vec::with_capacity(rings.len());
            for (k, r) in rings.iter().enumerate() {
                let mut s = simplify_path(&shapes::closed(r), tol);
                s.pop();
                if has_distinct(&s, 3) {
                    simple.push(s);
                } else if k == 0 {
                    break;
                }
            }
            if !simple.is_empty() {
                out.push(simple);
            }
        }
        if out.is_empty() {
            return Value::Null;
        }
        let multi = out.len() > 1;
        polygons_value(&out, multi)
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

    fn points(v: &Value) -> Vec<(f64, f64)> {
        let Value::Dynamic(d) = v else {
            return Vec::new();
        };
        let mut c = d.get("coordinates");
        if d.get("type") == &Dynamic::String("Polygon".into()) {
            c = c.at(0);
        }
        let Dynamic::Array(a) = c else {
            return Vec::new();
        };
        a.iter()
            .filter_map(|p| match (p.at(0), p.at(1)) {
                (Dynamic::Real(x), Dynamic::Real(y)) => Some((*x, *y)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn long_edges_are_split_in_equal_planar_steps() {
        let v = call(
            "geo_line_densify",
            &[shape(
                r#"{"type":"LineString","coordinates":[[50,50],[51,51]]}"#,
            )],
        );
        let p = points(&v);
        assert_eq!(p.len(), 9);
        assert!((p[1].0 - 50.125).abs() < 1e-9 && (p[1].1 - 50.125).abs() < 1e-9);
        let short = call(
            "geo_line_densify",
            &[shape(
                r#"{"type":"LineString","coordinates":[[-73.949247,40.796860],[-73.973017,40.764323]]}"#,
            )],
        );
        assert_eq!(points(&short).len(), 2);
    }

    #[test]
    fn polygon_densify_splits_parallels_and_keeps_meridians() {
        let v = call(
            "geo_polygon_densify",
            &[shape(
                r#"{"type":"Polygon","coordinates":[[[10,10],[11,10],[11,11],[10,11],[10,10]]]}"#,
            )],
        );
        assert_eq!(points(&v).len(), 11);
        let bad = shape(
            r#"{"type":"Polygon","coordinates":[[[10,900],[11,10],[11,11],[10,11],[10,10]]]}"#,
        );
        assert_eq!(call("geo_polygon_densify", &[bad]), Value::Null);
    }

    #[test]
    fn clockwise_rings_are_reversed() {
        let v = call(
            "geo_polygon_densify",
            &[shape(
                r#"{"type":"Polygon","coordinates":[[[-73.958244,40.800719],[-73.949146,40.79695],[-73.973093,40.764226],[-73.982062,40.768159],[-73.958244,40.800719]]]}"#,
            )],
        );
        let p = points(&v);
        assert_eq!(p.first(), Some(&(-73.982062, 40.768159)));
        assert_eq!(p.get(3), Some(&(-73.958244, 40.800719)));
    }

    #[test]
    fn simplify_drops_close_vertices_and_rejects_degenerate_results() {
        let line = shape(r#"{"type":"LineString","coordinates":[[0,0],[0.5,0.00001],[1,0]]}"#);
        assert_eq!(points(&call("geo_line_simplify", &[line])).len(), 2);
        let tiny = shape(r#"{"type":"LineString","coordinates":[[1.1,1.1],[1.2,1.2]]}"#);
        assert_eq!(
            call("geo_line_simplify", &[tiny, Value::Long(100_000)]),
            Value::Null
        );
        let poly =
            shape(r#"{"type":"Polygon","coordinates":[[[5,48],[0,50],[0,47],[4,47],[5,48]]]}"#);
        assert_eq!(
            call("geo_polygon_simplify", &[poly, Value::Real(-0.1)]),
            Value::Null
        );
    }

    #[test]
    fn simplify_polygons_array_unites_then_simplifies() {
        let arr = shape(
            r#"[{"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807,40.80068],[-73.98201,40.76825],[-73.97317,40.76455],[-73.9495,40.7969]]]},{"type":"Polygon","coordinates":[[[-73.94622,40.79249],[-73.96888,40.79282],[-73.9577,40.7789],[-73.94622,40.79249]]]}]"#,
        );
        let out = call("geo_simplify_polygons_array", std::slice::from_ref(&arr));
        assert_eq!(points_of_ring(&out).len(), 12);
        // A tolerance that collapses everything gives null, as do invalid ones.
        assert_eq!(
            call(
                "geo_simplify_polygons_array",
                &[arr.clone(), Value::Long(10_000)]
            ),
            Value::Null
        );
        assert_eq!(
            call("geo_simplify_polygons_array", &[arr, Value::Long(-1)]),
            Value::Null
        );
        let bad = shape(r#"[{"type":"Polygon","coordinates":[[[-73.94622,40.79249]]]}]"#);
        assert_eq!(call("geo_simplify_polygons_array", &[bad]), Value::Null);
    }

    fn points_of_ring(v: &Value) -> Vec<serde_json::Value> {
        match v {
            Value::Dynamic(d) => d.to_json()["coordinates"][0]
                .as_array()
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn line_densify_reads_longitudes_modulo_360_and_splits_at_the_antimeridian() {
        let line = shape(r#"{"type":"LineString","coordinates":[[300,1],[1,1]]}"#);
        let Value::Dynamic(d) = call("geo_line_densify", std::slice::from_ref(&line)) else {
            panic!("null")
        };
        let j = d.to_json();
        assert_eq!(j["type"], "MultiLineString");
        let first = j["coordinates"][0].as_array().cloned().unwrap_or_default();
        let second = j["coordinates"][1].as_array().cloned().unwrap_or_default();
        assert!((first[0][0].as_f64().unwrap_or(0.0) + 60.0).abs() < 1e-9);
        let end = first.last().cloned().unwrap_or_default();
        assert_eq!(end[0].as_f64(), Some(-179.999999999999));
        assert!((end[1].as_f64().unwrap_or(0.0) - 1.0000397208212215).abs() < 1e-12);
        assert_eq!(second[0][0].as_f64(), Some(179.999999999999));
        // Keeping the crossing gives one line.
        let Value::Dynamic(kept) = call(
            "geo_line_densify",
            &[line, Value::Long(10), Value::Bool(true)],
        ) else {
            panic!("null")
        };
        assert_eq!(kept.to_json()["type"], "LineString");
    }
}
