//! Boolean operations on polygons with geodesic edges: union and
//! intersection, as `geo_union_polygons_array` and
//! `geo_intersection_2polygons` compute them.
//!
//! The work happens on the unit sphere: edges are great-circle arcs, and
//! where two edges cross the crossing is the exact intersection of their
//! great circles. Every edge is split at the crossings and touching
//! vertices of the other operand, each piece is kept or dropped by whether
//! its midpoint lies inside the other operand, and the kept pieces are
//! joined into loops.
//!
//! The result is assembled the way S2 (which Kusto's geospatial functions
//! are built on) assembles it, so that outputs agree vertex for vertex:
//! vertices are numbered in the order the kept edges reach them, loops are
//! found from the lowest-numbered edge, each loop starts after the input
//! edge with the highest id, and loops nest in the order they are found. A
//! union of many polygons merges the two smallest first.

use std::collections::HashMap;

use super::shapes::{self, cross, dot, in_ring, lon_lat, norm, segment_crossing, xyz, Pt, V3};
use super::{bag, coord, sig, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::{Dynamic, Value};
use std::sync::Arc;

/// Most edge pairs one operation compares (bounds the quadratic crossing
/// search on huge inputs).
const MAX_EDGE_PAIRS: usize = 10_000_000;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_union_polygons_array",
            |a| sig(a, 1, 1, DataType::Dynamic),
            union_polygons_array,
        ),
        Func::plain(
            "geo_intersection_2polygons",
            |a| sig(a, 2, 2, DataType::Dynamic),
            intersection_2polygons,
        ),
    ]
}

/// A closed loop of vertices (the first not repeated), its interior on the
/// left: shells run counterclockwise, holes clockwise.
pub(super) type Loop = Vec<V3>;

/// A polygon as an ordered list of loops with their nesting depth (even:
/// shell, odd: hole), each hole right after its shell or sibling holes.
#[derive(Clone, Debug, Default)]
pub(super) struct Region {
    /// The loops with their depths, in nesting pre-order.
    pub(super) loops: Vec<(Loop, usize)>,
}

impl Region {
    /// The region as polygons of `(lon, lat)` rings (shell, then holes).
    pub(super) fn as_polygons(&self) -> Vec<Vec<Vec<Pt>>> {
        let mut out: Vec<Vec<Vec<Pt>>> = Vec::new();
        for (l, depth) in &self.loops {
            let ring: Vec<Pt> = l.iter().map(|p| lon_lat(*p)).collect();
            if depth % 2 == 0 || out.is_empty() {
                out.push(vec![ring]);
            } else if let Some(p) = out.last_mut() {
                p.push(ring);
            }
        }
        out
    }

    /// The loops as `(lon, lat)` rings, for containment tests.
    fn rings(&self) -> Vec<Vec<Pt>> {
        self.loops
            .iter()
            .map(|(l, _)| l.iter().map(|p| lon_lat(*p)).collect())
            .collect()
    }
}

/// Whether `p` is inside a region given as rings (crossing parity over
/// every loop, which is right for properly nested loops).
fn inside(p: V3, rings: &[Vec<Pt>]) -> bool {
    let q = lon_lat(p);
    rings.iter().filter(|r| in_ring(q, r)).count() % 2 == 1
}

fn unit(v: V3) -> V3 {
    let n = norm(v);
    if n == 0.0 {
        v
    } else {
        [v[0] / n, v[1] / n, v[2] / n]
    }
}

fn bits(p: V3) -> [u64; 3] {
    p.map(f64::to_bits)
}

/// The angle between two unit vectors.
fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

/// Vertices closer than this (radians) are one vertex.
const MERGE: f64 = 1e-11;

/// Whether `p` lies on the arc `a`–`b` strictly between its ends.
fn strictly_on_arc(p: V3, a: V3, b: V3) -> bool {
    let n = cross(a, b);
    let nn = norm(n);
    if nn == 0.0 || angle(p, a) < MERGE || angle(p, b) < MERGE {
        return false;
    }
    (dot(p, n) / nn).abs() < 1e-11 && dot(cross(a, p), n) > 0.0 && dot(cross(p, b), n) > 0.0
}

/// One directed input edge and the points it is split at.
struct Edge {
    a: V3,
    b: V3,
    id: usize,
    splits: Vec<V3>,
}

fn edges_of(region: &Region, first_id: usize) -> Vec<Edge> {
    let mut out = Vec::new();
    for (l, _) in &region.loops {
        for (k, &a) in l.iter().enumerate() {
            let Some(&b) = l.get((k + 1) % l.len()) else {
                continue;
            };
            out.push(Edge {
                a,
                b,
                id: first_id + out.len(),
                splits: Vec::new(),
            });
        }
    }
    out
}

/// Splits the edges of both operands where they cross or touch.
fn split(ea: &mut [Edge], eb: &mut [Edge]) {
    for x in ea.iter_mut() {
        for y in eb.iter_mut() {
            // A vertex of one edge inside the other.
            for p in [y.a, y.b] {
                if strictly_on_arc(p, x.a, x.b) {
                    x.splits.push(p);
                }
            }
            for p in [x.a, x.b] {
                if strictly_on_arc(p, y.a, y.b) {
                    y.splits.push(p);
                }
            }
            // Arcs along one great circle meet only at the vertices above.
            let n = unit(cross(x.a, x.b));
            if dot(n, y.a).abs() < 1e-11 && dot(n, y.b).abs() < 1e-11 {
                continue;
            }
            let Some(c) = segment_crossing(x.a, x.b, y.a, y.b) else {
                continue;
            };
            let near = |p: V3| angle(c, p) < MERGE;
            if near(x.a) || near(x.b) || near(y.a) || near(y.b) {
                continue;
            }
            x.splits.push(c);
            y.splits.push(c);
        }
    }
}

/// The pieces of an edge between its split points, in order.
fn pieces(e: &Edge) -> Vec<(V3, V3)> {
    let mut pts = e.splits.clone();
    pts.sort_by(|p, q| angle(e.a, *p).total_cmp(&angle(e.a, *q)));
    pts.dedup_by(|p, q| angle(*p, *q) < MERGE);
    let mut out = Vec::with_capacity(pts.len() + 1);
    let mut prev = e.a;
    for p in pts {
        out.push((prev, p));
        prev = p;
    }
    out.push((prev, e.b));
    out
}

/// The operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Intersection,
}

/// What a boolean operation leaves: the region, and the points where the
/// operands only touch.
struct Outcome {
    region: Region,
    touches: Vec<V3>,
}

fn operate(a: &Region, b: &Region, op: Op) -> Option<Outcome> {
    let mut ea = edges_of(a, 0);
    let mut eb = edges_of(b, ea.len());
    if ea.len().saturating_mul(eb.len()) > MAX_EDGE_PAIRS {
        return None;
    }
    split(&mut ea, &mut eb);
    let (ra, rb) = (a.rings(), b.rings());
    let pa: Vec<(V3, V3, usize)> = ea
        .iter()
        .flat_map(|e| pieces(e).into_iter().map(move |(p, q)| (p, q, e.id)))
        .collect();
    let pb: Vec<(V3, V3, usize)> = eb
        .iter()
        .flat_map(|e| pieces(e).into_iter().map(move |(p, q)| (p, q, e.id)))
        .collect();
    let key = |p: V3, q: V3| (bits(p), bits(q));
    let in_b: HashMap<_, usize> = pb
        .iter()
        .enumerate()
        .map(|(k, (p, q, _))| (key(*p, *q), k))
        .collect();
    let mut drop_b = vec![false; pb.len()];
    let mut kept: Vec<(V3, V3, usize)> = Vec::new();
    for &(p, q, id) in &pa {
        if let Some(&k) = in_b.get(&key(p, q)) {
            // Shared edge, same direction: kept once.
            if let Some(d) = drop_b.get_mut(k) {
                *d = true;
            }
            kept.push((p, q, id));
            continue;
        }
        if let Some(&k) = in_b.get(&key(q, p)) {
            // Shared edge, opposite directions: the operands lie on both
            // sides, so it is no boundary of either result.
            if let Some(d) = drop_b.get_mut(k) {
                *d = true;
            }
            continue;
        }
        let m = unit([p[0] + q[0], p[1] + q[1], p[2] + q[2]]);
        if inside(m, &rb) == (op == Op::Intersection) {
            kept.push((p, q, id));
        }
    }
    for (k, &(p, q, id)) in pb.iter().enumerate() {
        if drop_b.get(k).copied().unwrap_or(true) {
            continue;
        }
        let m = unit([p[0] + q[0], p[1] + q[1], p[2] + q[2]]);
        if inside(m, &ra) == (op == Op::Intersection) {
            kept.push((p, q, id));
        }
    }
    let region = assemble(&kept);
    let touches = if op == Op::Intersection {
        touch_points(&ea, &eb, &region)
    } else {
        Vec::new()
    };
    Some(Outcome { region, touches })
}

/// Vertices the operands' boundaries share that the result's boundary does
/// not pass through.
fn touch_points(ea: &[Edge], eb: &[Edge], region: &Region) -> Vec<V3> {
    let on_result = |p: V3| {
        region
            .loops
            .iter()
            .any(|(l, _)| l.iter().any(|v| angle(*v, p) < MERGE))
    };
    let mut out: Vec<V3> = Vec::new();
    let b_vertices: Vec<V3> = eb.iter().map(|e| e.a).collect();
    let a_vertices: Vec<V3> = ea.iter().map(|e| e.a).collect();
    let mut add = |p: V3| {
        if !on_result(p) && !out.iter().any(|q| angle(*q, p) < MERGE) {
            out.push(p);
        }
    };
    for &p in &a_vertices {
        if b_vertices.iter().any(|q| angle(*q, p) < MERGE)
            || eb.iter().any(|e| strictly_on_arc(p, e.a, e.b))
        {
            add(p);
        }
    }
    for &p in &b_vertices {
        if ea.iter().any(|e| strictly_on_arc(p, e.a, e.b)) {
            add(p);
        }
    }
    out
}

/// Joins directed edges `(from, to, input id)` into loops, numbered, found,
/// rotated and nested as S2 does.
fn assemble(edges: &[(V3, V3, usize)]) -> Region {
    // Vertices are numbered in the order the kept edges first reach them.
    let mut verts: Vec<V3> = edges.iter().flat_map(|(p, q, _)| [*p, *q]).collect();
    let mut seen = std::collections::HashSet::new();
    verts.retain(|p| seen.insert(bits(*p)));
    let index: HashMap<[u64; 3], usize> = verts
        .iter()
        .enumerate()
        .map(|(k, p)| (bits(*p), k))
        .collect();
    let vid = |p: V3| index.get(&bits(p)).copied().unwrap_or(0);
    let mut es: Vec<(usize, usize, usize)> = edges
        .iter()
        .map(|(p, q, id)| (vid(*p), vid(*q), *id))
        .filter(|(s, d, _)| s != d)
        .collect();
    es.sort_unstable();
    es.dedup_by(|x, y| x.0 == y.0 && x.1 == y.1);
    let mut out_of: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, e) in es.iter().enumerate() {
        out_of.entry(e.0).or_default().push(k);
    }
    let vertex = |k: usize| verts.get(k).copied().unwrap_or([0.0; 3]);
    let mut used = vec![false; es.len()];
    let mut loops: Vec<Vec<usize>> = Vec::new();
    for start in 0..es.len() {
        if used.get(start).copied().unwrap_or(true) {
            continue;
        }
        let mut path = vec![start];
        if let Some(u) = used.get_mut(start) {
            *u = true;
        }
        let mut cur = start;
        for _ in 0..=es.len() {
            let Some(&(s, d, _)) = es.get(cur) else { break };
            let (from, at) = (vertex(s), vertex(d));
            let start_src = es.get(start).map_or(usize::MAX, |e| e.0);
            let mut cands: Vec<usize> = out_of
                .get(&d)
                .map(|v| {
                    v.iter()
                        .copied()
                        .filter(|k| !used.get(*k).copied().unwrap_or(true))
                        .collect()
                })
                .unwrap_or_default();
            if d == start_src {
                cands.push(start);
            }
            // The sharpest left turn: the first outgoing edge clockwise
            // from the way back.
            let back = from;
            let next = cands.into_iter().max_by(|x, y| {
                let ax = ccw_angle(at, back, vertex(es.get(*x).map_or(0, |e| e.1)));
                let ay = ccw_angle(at, back, vertex(es.get(*y).map_or(0, |e| e.1)));
                ax.total_cmp(&ay)
            });
            match next {
                Some(n) if n == start => break,
                Some(n) => {
                    if let Some(u) = used.get_mut(n) {
                        *u = true;
                    }
                    path.push(n);
                    cur = n;
                }
                None => break,
            }
        }
        canonicalize(&mut path, &es);
        loops.push(path);
    }
    let loops: Vec<Loop> = loops
        .into_iter()
        .filter(|l| l.len() >= 3)
        .map(|l| {
            l.iter()
                .map(|k| vertex(es.get(*k).map_or(0, |e| e.0)))
                .collect()
        })
        .collect();
    nest(loops)
}

/// The counterclockwise angle at `at` from the direction of `from` to the
/// direction of `to`, in `(0, 2π]`.
fn ccw_angle(at: V3, from: V3, to: V3) -> f64 {
    let (r, x) = (cross(at, from), cross(at, to));
    let a = dot(at, cross(r, x)).atan2(dot(r, x));
    if a <= 0.0 {
        a + std::f64::consts::TAU
    } else {
        a
    }
}

/// Rotates a loop to start right after its edge with the highest input id
/// (the last of a run of pieces of one edge), which keeps the input order.
fn canonicalize(path: &mut [usize], es: &[(usize, usize, usize)]) {
    let id = |k: usize| path.get(k).and_then(|e| es.get(*e)).map_or(0, |e| e.2);
    let mut pos = 0;
    let mut saw_gap = false;
    for i in 1..path.len() {
        let (a, b) = (id(i), id(pos));
        if a < b {
            saw_gap = true;
        } else if a > b || !saw_gap {
            pos = i;
            saw_gap = false;
        }
    }
    pos += 1;
    if pos >= path.len() {
        pos = 0;
    }
    path.rotate_left(pos);
}

/// Whether the (smaller) region of loop `outer` contains loop `inner`.
fn contains_loop(outer: &[Pt], inner: &[Pt]) -> bool {
    inner
        .iter()
        .find(|p| !outer.contains(p))
        .is_some_and(|p| in_ring(*p, outer))
}

/// Orders loops into S2's nesting pre-order, with depths.
fn nest(loops: Vec<Loop>) -> Region {
    let rings: Vec<Vec<Pt>> = loops
        .iter()
        .map(|l| l.iter().map(|p| lon_lat(*p)).collect())
        .collect();
    let ring = |k: usize| rings.get(k).map_or(&[][..], |r| r.as_slice());
    // children[0] holds the top level; loop k's children are at k + 1.
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); loops.len() + 1];
    for new in 0..loops.len() {
        let mut parent = 0;
        'descend: loop {
            let kids = children.get(parent).cloned().unwrap_or_default();
            for c in kids {
                if contains_loop(ring(c), ring(new)) {
                    parent = c + 1;
                    continue 'descend;
                }
            }
            break;
        }
        let kids = children.get(parent).cloned().unwrap_or_default();
        let (moved, stay): (Vec<usize>, Vec<usize>) = kids
            .into_iter()
            .partition(|c| contains_loop(ring(new), ring(*c)));
        if let Some(slot) = children.get_mut(new + 1) {
            slot.extend(moved);
        }
        if let Some(slot) = children.get_mut(parent) {
            *slot = stay;
            slot.push(new);
        }
    }
    let mut out = Vec::with_capacity(loops.len());
    let mut stack: Vec<(usize, usize)> = children
        .first()
        .map(|c| c.iter().rev().map(|k| (*k, 0)).collect())
        .unwrap_or_default();
    while let Some((k, depth)) = stack.pop() {
        if let Some(l) = loops.get(k) {
            out.push((l.clone(), depth));
        }
        if let Some(c) = children.get(k + 1) {
            stack.extend(c.iter().rev().map(|c| (*c, depth + 1)));
        }
    }
    Region { loops: out }
}

/// A GeoJSON polygon or multipolygon argument as a region: shells made
/// counterclockwise and holes clockwise (the smaller side of each ring is
/// its inside); the members of a multipolygon are united.
pub(super) fn region_of(d: &Dynamic) -> Option<Region> {
    let ps = shapes::polygons(d)?;
    let members: Vec<Region> = ps.iter().map(|rings| member(rings)).collect();
    union_all(members)
}

fn member(rings: &[Vec<Pt>]) -> Region {
    let loops = rings
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let ccw = shapes::signed_ring_excess(&shapes::closed(r)) >= 0.0;
            let mut l: Loop = r.iter().map(|p| xyz(*p)).collect();
            if ccw != (k == 0) {
                l.reverse();
            }
            (l, usize::from(k > 0))
        })
        .collect();
    Region { loops }
}

/// The union of regions: repeatedly the two with the fewest vertices
/// (counting a union as the sum of its operands; the earlier first among
/// equals) are merged, as S2 merges many polygons.
pub(super) fn union_all(regions: Vec<Region>) -> Option<Region> {
    let mut queue: Vec<(usize, Region)> = regions
        .into_iter()
        .map(|r| (r.loops.iter().map(|(l, _)| l.len()).sum(), r))
        .collect();
    queue.sort_by_key(|(n, _)| *n);
    while queue.len() > 1 {
        let (na, a) = queue.remove(0);
        let (nb, b) = queue.remove(0);
        let merged = operate(&a, &b, Op::Union)?.region;
        let n = na + nb;
        let at = queue.partition_point(|(m, _)| *m <= n);
        queue.insert(at, (n, merged));
    }
    queue.pop().map(|(_, r)| r)
}

fn ring_coords(l: &[V3]) -> Dynamic {
    let mut c: Vec<Dynamic> = l
        .iter()
        .map(|p| {
            let (lon, lat) = lon_lat(*p);
            // `+ 0.0` turns a negative zero into zero.
            coord(lon + 0.0, lat + 0.0)
        })
        .collect();
    if let Some(first) = c.first().cloned() {
        c.push(first);
    }
    Dynamic::Array(Arc::new(c))
}

/// The polygons of a region as GeoJSON coordinate arrays (shell, holes).
fn polygon_coords(region: &Region) -> Vec<Dynamic> {
    let mut polys: Vec<Vec<Dynamic>> = Vec::new();
    for (l, depth) in &region.loops {
        if depth % 2 == 0 || polys.is_empty() {
            polys.push(vec![ring_coords(l)]);
        } else if let Some(p) = polys.last_mut() {
            p.push(ring_coords(l));
        }
    }
    polys
        .into_iter()
        .map(|p| Dynamic::Array(Arc::new(p)))
        .collect()
}

fn geometry(kind: &str, coordinates: Dynamic) -> Dynamic {
    bag(vec![
        ("type", Dynamic::String(kind.into())),
        ("coordinates", coordinates),
    ])
}

/// A region as a GeoJSON polygon or multipolygon (`None` when empty).
pub(super) fn region_geometry(region: &Region) -> Option<Dynamic> {
    let mut polys = polygon_coords(region);
    match polys.len() {
        0 => None,
        1 => polys.pop().map(|p| geometry("Polygon", p)),
        _ => Some(geometry("MultiPolygon", Dynamic::Array(Arc::new(polys)))),
    }
}

pub(super) fn collection(geometries: Vec<Dynamic>) -> Dynamic {
    bag(vec![
        ("type", Dynamic::String("GeometryCollection".into())),
        ("geometries", Dynamic::Array(Arc::new(geometries))),
    ])
}

fn union_polygons_array(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some(Dynamic::Array(items)) = shapes::shape_arg(v, 0) else {
            return Value::Null;
        };
        let mut regions = Vec::with_capacity(items.len());
        for item in items.iter() {
            let item = match item {
                Dynamic::String(s) => match serde_json::from_str(s) {
                    Ok(j) => Dynamic::from_json(&j),
                    Err(_) => return Value::Null,
                },
                other => other.clone(),
            };
            let Some(r) = region_of(&item) else {
                return Value::Null;
            };
            regions.push(r);
        }
        match union_all(regions) {
            Some(r) => {
                Value::Dynamic(region_geometry(&r).unwrap_or_else(|| collection(Vec::new())))
            }
            None => Value::Null,
        }
    }))
}

fn intersection_2polygons(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let a = shapes::shape_arg(v, 0).as_ref().and_then(region_of);
        let b = shapes::shape_arg(v, 1).as_ref().and_then(region_of);
        let (Some(a), Some(b)) = (a, b) else {
            return Value::Null;
        };
        let Some(out) = operate(&a, &b, Op::Intersection) else {
            return Value::Null;
        };
        let mut parts: Vec<Dynamic> = out
            .touches
            .iter()
            .map(|p| {
                let (lon, lat) = lon_lat(*p);
                geometry("Point", coord(lon, lat))
            })
            .collect();
        parts.extend(region_geometry(&out.region));
        Value::Dynamic(match parts.len() {
            1 => parts.pop().unwrap_or_else(|| collection(Vec::new())),
            _ => collection(parts),
        })
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

    fn json(v: &Value) -> serde_json::Value {
        match v {
            Value::Dynamic(d) => d.to_json(),
            _ => serde_json::Value::Null,
        }
    }

    /// Whether two GeoJSON values agree, numbers to 1e-9 (relative).
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (a, b) {
            (J::Number(x), J::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
            }
            (J::Array(x), J::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
            (J::Object(x), J::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
            }
            _ => a == b,
        }
    }

    fn assert_shape(actual: &Value, expected: &str) {
        let want: serde_json::Value = serde_json::from_str(expected).unwrap_or_default();
        assert!(same(&json(actual), &want), "{}", json(actual));
    }

    fn array(items: &[&str]) -> Value {
        shape(&format!("[{}]", items.join(",")))
    }

    const P1: &str = r#"{"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807,40.80068],[-73.98201,40.76825],[-73.97317,40.76455],[-73.9495,40.7969]]]}"#;
    const P2: &str = r#"{"type":"Polygon","coordinates":[[[-73.94622,40.79249],[-73.96888,40.79282],[-73.9577,40.7789],[-73.94622,40.79249]]]}"#;
    const P3: &str = r#"{"type":"Polygon","coordinates":[[[-73.97335,40.77274],[-73.9936,40.76630],[-73.97171,40.75655],[-73.97335,40.77274]]]}"#;

    #[test]
    fn union_of_three_overlapping_polygons_matches_the_reference_example() {
        let out = call("geo_union_polygons_array", &[array(&[P1, P2, P3])]);
        assert_shape(
            &out,
            r#"{"type":"Polygon","coordinates":[[[-73.972599326729608,40.765330371902991],[-73.960302383706178,40.782140794645024],[-73.9577,40.7789],[-73.94622,40.79249],[-73.9526593223173,40.792584227716468],[-73.9495,40.7969],[-73.95807,40.80068],[-73.9639277517478,40.792748258673875],[-73.96888,40.792819999999992],[-73.9662719791645,40.7895734224338],[-73.9803360309571,40.770518810606404],[-73.9936,40.7663],[-73.97171,40.756550000000004],[-73.972599326729608,40.765330371902991]]]}"#,
        );
    }

    #[test]
    fn union_of_two_polygons_starts_where_the_reference_example_starts() {
        let out = call("geo_union_polygons_array", &[array(&[P1, P2])]);
        assert_shape(
            &out,
            r#"{"type":"Polygon","coordinates":[[[-73.9495,40.7969],[-73.95807,40.80068],[-73.9639277517478,40.792748258673875],[-73.96888,40.792819999999992],[-73.9662719791645,40.7895734224338],[-73.98201,40.76825],[-73.97317,40.76455],[-73.960302383706178,40.782140794645024],[-73.9577,40.7789],[-73.94622,40.79249],[-73.9526593223173,40.792584227716468],[-73.9495,40.7969]]]}"#,
        );
    }

    #[test]
    fn union_of_disjoint_polygons_is_a_multipolygon() {
        let out = call("geo_union_polygons_array", &[array(&[P2, P3])]);
        let j = json(&out);
        assert_eq!(j["type"], "MultiPolygon");
        assert_eq!(j["coordinates"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn union_of_adjacent_squares_drops_their_shared_edge() {
        let a = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
        let b = r#"{"type":"Polygon","coordinates":[[[1,0],[2,0],[2,1],[1,1],[1,0]]]}"#;
        let out = call("geo_union_polygons_array", &[array(&[a, b])]);
        let j = json(&out);
        assert_eq!(j["type"], "Polygon");
        assert_eq!(j["coordinates"][0].as_array().map(Vec::len), Some(7));
    }

    #[test]
    fn union_with_an_invalid_polygon_or_a_non_array_is_null() {
        let bad = r#"{"type":"Polygon","coordinates":[[[-73.94622,40.79249]]]}"#;
        assert_eq!(
            call("geo_union_polygons_array", &[array(&[P1, bad])]),
            Value::Null
        );
        assert_eq!(call("geo_union_polygons_array", &[shape(P1)]), Value::Null);
        assert_eq!(
            call("geo_union_polygons_array", &[Value::Null]),
            Value::Null
        );
    }

    #[test]
    fn intersection_of_overlapping_polygons_matches_the_reference_example() {
        let a = shape(
            r#"{"type":"Polygon","coordinates":[[[-73.9630937576294,40.77498840732385],[-73.963565826416,40.774383111780914],[-73.96205306053162,40.773745311181585],[-73.96160781383514,40.7743912365898],[-73.9630937576294,40.77498840732385]]]}"#,
        );
        let b = shape(
            r#"{"type":"Polygon","coordinates":[[[-73.96213352680206,40.775045280447145],[-73.9631313085556,40.774578106920345],[-73.96207988262177,40.77416780398293],[-73.96213352680206,40.775045280447145]]]}"#,
        );
        let out = call("geo_intersection_2polygons", &[a, b]);
        let j = json(&out);
        assert_eq!(j["type"], "Polygon", "{j}");
        let ring = j["coordinates"][0].as_array().cloned().unwrap_or_default();
        assert_eq!(ring.len(), 5);
        let want: serde_json::Value = serde_json::from_str(
            "[[-73.962105776437156,40.774591360999679],[-73.962642403166868,40.774807020251778],[-73.9631313085556,40.774578106920352],[-73.962079882621765,40.774167803982927]]",
        )
        .unwrap_or_default();
        // The same vertices, whichever one the ring starts at.
        for w in want.as_array().into_iter().flatten() {
            assert!(ring.iter().any(|v| same(v, w)), "{w} missing from {j}");
        }
    }

    #[test]
    fn polygons_touching_at_a_vertex_intersect_in_a_point() {
        let a = shape(r#"{"type":"Polygon","coordinates":[[[2,45],[0,45],[1,44],[2,45]]]}"#);
        let b = shape(r#"{"type":"Polygon","coordinates":[[[3,44],[2,45],[2,43],[3,44]]]}"#);
        assert_shape(
            &call("geo_intersection_2polygons", &[a, b]),
            r#"{"type":"Point","coordinates":[2,45]}"#,
        );
    }

    #[test]
    fn a_touch_and_an_overlap_make_a_geometry_collection() {
        let a = shape(r#"{"type":"Polygon","coordinates":[[[2,45],[0,45],[1,44],[2,45]]]}"#);
        let b = shape(
            r#"{"type":"MultiPolygon","coordinates":[[[[3,44],[2,45],[2,43],[3,44]]],[[[1.192,45.265],[1.005,44.943],[1.356,44.937],[1.192,45.265]]]]}"#,
        );
        let j = json(&call("geo_intersection_2polygons", &[a, b]));
        assert_eq!(j["type"], "GeometryCollection", "{j}");
        assert!(same(
            &j["geometries"][0],
            &serde_json::json!({"type":"Point","coordinates":[2,45]})
        ));
        let ring = j["geometries"][1]["coordinates"][0]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let want = serde_json::json!([
            [1.3227075526410679, 45.00390914506874],
            [1.0404565374899824, 45.00435640306655],
            [1.005, 44.943],
            [1.356, 44.937]
        ]);
        for w in want.as_array().into_iter().flatten() {
            assert!(ring.iter().any(|v| same(v, w)), "{w} missing from {j}");
        }
    }

    #[test]
    fn disjoint_polygons_intersect_in_an_empty_collection() {
        let a = shape(r#"{"type":"Polygon","coordinates":[[[2,45],[0,45],[1,44],[2,45]]]}"#);
        let b = shape(r#"{"type":"Polygon","coordinates":[[[3,44],[3,45],[2,43],[3,44]]]}"#);
        assert_shape(
            &call("geo_intersection_2polygons", &[a, b]),
            r#"{"type":"GeometryCollection","geometries":[]}"#,
        );
    }

    #[test]
    fn intersection_with_an_invalid_polygon_is_null() {
        let bad = shape(r#"{"type":"Polygon"}"#);
        assert_eq!(
            call("geo_intersection_2polygons", &[bad, shape(P1)]),
            Value::Null
        );
    }

    #[test]
    fn a_multipolygon_centroid_is_the_centroid_of_its_union() {
        let mp = shape(
            r#"{"type":"MultiPolygon","coordinates":[[[[-73.9495,40.7969],[-73.95807266235352,40.80068603561921],[-73.98201942443848,40.76825672305777],[-73.97317886352539,40.76455136505513],[-73.9495,40.7969]]],[[[-73.94262313842773,40.775991804565585],[-73.98107528686523,40.791849155467695],[-73.99600982666016,40.77092185281977],[-73.96150588989258,40.75609977566361],[-73.94262313842773,40.775991804565585]]]]}"#,
        );
        assert_shape(
            &call("geo_polygon_centroid", &[mp]),
            r#"{"type":"Point","coordinates":[-73.96856958782088,40.77631075255099]}"#,
        );
    }

    #[test]
    fn a_multipolygon_area_counts_overlaps_once() {
        let a = r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#;
        let b = r#"{"type":"Polygon","coordinates":[[[0.5,0],[1.5,0],[1.5,1],[0.5,1],[0.5,0]]]}"#;
        let both = shape(
            r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,1],[0,0]]],[[[0.5,0],[1.5,0],[1.5,1],[0.5,1],[0.5,0]]]]}"#,
        );
        let area = |v: Value| match call("geo_polygon_area", &[v]) {
            Value::Real(r) => r,
            other => panic!("{other:?}"),
        };
        let common = call("geo_intersection_2polygons", &[shape(a), shape(b)]);
        let want = area(shape(a)) + area(shape(b)) - area(common);
        let got = area(both);
        assert!((got - want).abs() < 1e-6 * want, "{got} vs {want}");
    }

    #[test]
    fn holes_stay_holes_and_islands_in_them_stay_separate() {
        let donut = r#"{"type":"Polygon","coordinates":[[[0,0],[3,0],[3,3],[0,3],[0,0]],[[1,1],[1,2],[2,2],[2,1],[1,1]]]}"#;
        let island = r#"{"type":"Polygon","coordinates":[[[1.2,1.2],[1.8,1.2],[1.8,1.8],[1.2,1.8],[1.2,1.2]]]}"#;
        let bar = r#"{"type":"Polygon","coordinates":[[[1.5,-1],[1.6,-1],[1.6,1.5],[1.5,1.5],[1.5,-1]]]}"#;
        let j = json(&call(
            "geo_union_polygons_array",
            &[array(&[donut, island])],
        ));
        assert_eq!(j["type"], "MultiPolygon", "{j}");
        assert_eq!(j["coordinates"][0].as_array().map(Vec::len), Some(2), "{j}");
        assert_eq!(j["coordinates"][1].as_array().map(Vec::len), Some(1), "{j}");
        // A bar reaching into the hole notches it: still one shell, one hole.
        let j = json(&call("geo_union_polygons_array", &[array(&[donut, bar])]));
        assert_eq!(j["type"], "Polygon", "{j}");
        assert_eq!(j["coordinates"].as_array().map(Vec::len), Some(2), "{j}");
        assert_eq!(j["coordinates"][1].as_array().map(Vec::len), Some(9), "{j}");
        assert_eq!(j["coordinates"][0][1][1], serde_json::json!(0.0), "{j}");
    }
}
