//! `geo_union_lines_array`: the union of lines that meet only at shared
//! vertices, their common edges merged into as few lines as possible.
//!
//! Lines that cross, touch inside an edge or overlap along part of an edge
//! would need their edges split first; such unions are reported as not
//! supported rather than answered approximately.

use std::collections::HashMap;
use std::sync::Arc;

use super::shapes::{self, cross, dot, norm, segment_crossing, xyz, Pt, V3};
use super::{bag, coord, sig, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![Func {
        name: "geo_union_lines_array",
        signature: |a| sig(a, 1, 1, DataType::Dynamic),
        properties: FunctionProperties::PLAIN,
        evaluate: union_lines_array,
    }]
}

/// A vertex key: the exact bits of its coordinates.
fn key(p: Pt) -> (u64, u64) {
    (p.0.to_bits(), p.1.to_bits())
}

/// Whether `p` lies on the geodesic segment `s`–`e` (great circle normal
/// `n`), ends included.
fn on_segment(p: V3, s: V3, e: V3, n: V3) -> bool {
    let tol = 1e-15;
    dot(p, n).abs() <= 1e-12 && dot(cross(s, p), n) >= -tol && dot(cross(p, e), n) >= -tol
}

/// Whether two edges meet anywhere but at a shared end vertex.
fn edges_conflict(a: (Pt, Pt), b: (Pt, Pt)) -> bool {
    let (pa, pb, pc, pd) = (xyz(a.0), xyz(a.1), xyz(b.0), xyz(b.1));
    let (n1, n2) = (cross(pa, pb), cross(pc, pd));
    let shared = [a.0, a.1].iter().any(|p| *p == b.0 || *p == b.1);
    let same_circle = norm(cross(n1, n2)) < 1e-12 * norm(n1).max(norm(n2)).max(1e-300);
    if same_circle {
        // Overlap: an end of one edge strictly inside the other, or equal
        // edges (already merged, so never here).
        let inside = |p: Pt, s: V3, e: V3, n: V3| {
            on_segment(xyz(p), s, e, n) && p != a.0 && p != a.1 && p != b.0 && p != b.1
        };
        return inside(b.0, pa, pb, n1)
            || inside(b.1, pa, pb, n1)
            || inside(a.0, pc, pd, n2)
            || inside(a.1, pc, pd, n2)
            || (shared && dot(n1, n2) != 0.0 && {
                // Both edges leave the shared vertex in the same direction.
                let (s, x, y) = if a.0 == b.0 {
                    (pa, pb, pd)
                } else if a.0 == b.1 {
                    (pa, pb, pc)
                } else if a.1 == b.0 {
                    (pb, pa, pd)
                } else {
                    (pb, pa, pc)
                };
                dot(cross(s, x), cross(s, y)) > 0.0
            });
    }
    if shared {
        return false;
    }
    segment_crossing(pa, pb, pc, pd).is_some()
}

/// The merged paths of `edges` (undirected, distinct): maximal chains
/// through vertices of degree two, then the remaining cycles.
fn chains(edges: &[(Pt, Pt)]) -> Vec<Vec<Pt>> {
    let mut adjacent: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (i, (a, b)) in edges.iter().enumerate() {
        adjacent.entry(key(*a)).or_default().push(i);
        adjacent.entry(key(*b)).or_default().push(i);
    }
    let degree = |p: Pt| adjacent.get(&key(p)).map_or(0, Vec::len);
    let mut used = vec![false; edges.len()];
    let mut out = Vec::new();
    let walk = |start: Pt, first: usize, used: &mut Vec<bool>| -> Vec<Pt> {
        let mut path = vec![start];
        let (mut at, mut edge) = (start, Some(first));
        while let Some(e) = edge {
            let Some(slot) = used.get_mut(e) else { break };
            *slot = true;
            let Some(&(a, b)) = edges.get(e) else { break };
            at = if a == at { b } else { a };
            path.push(at);
            edge = if degree(at) == 2 {
                adjacent.get(&key(at)).and_then(|es| {
                    es.iter()
                        .copied()
                        .find(|x| !used.get(*x).copied().unwrap_or(true))
                })
            } else {
                None
            };
        }
        path
    };
    // Open chains start at vertices of degree other than two, in edge order.
    for (i, (a, b)) in edges.iter().enumerate() {
        for p in [*a, *b] {
            if !used.get(i).copied().unwrap_or(true) && degree(p) != 2 {
                out.push(walk(p, i, &mut used));
            }
        }
    }
    for (i, (a, _)) in edges.iter().enumerate() {
        if !used.get(i).copied().unwrap_or(true) {
            out.push(walk(*a, i, &mut used));
        }
    }
    out
}

/// The union of the lines in `items`; `Ok(None)` when an item is not a line.
fn union(items: &[Dynamic]) -> Result<Option<Value>, FunctionError> {
    let mut edges: Vec<(Pt, Pt)> = Vec::new();
    for item in items {
        let Some(lines) = shapes::lines(item) else {
            return Ok(None);
        };
        for line in lines {
            if line.iter().any(|&(lon, lat)| !super::valid_point(lon, lat)) {
                return Ok(None);
            }
            for w in line.windows(2) {
                let [a, b] = w else { continue };
                let (a, b) = (shapes::round_trip(*a), shapes::round_trip(*b));
                if a == b || edges.iter().any(|e| *e == (a, b) || *e == (b, a)) {
                    continue;
                }
                edges.push((a, b));
            }
        }
    }
    if edges.is_empty() {
        return Ok(None);
    }
    for (i, e) in edges.iter().enumerate() {
        if edges.iter().skip(i + 1).any(|f| edges_conflict(*e, *f)) {
            return Err(FunctionError::Invalid(
                "not supported: `geo_union_lines_array` of lines that cross or overlap inside an edge"
                    .into(),
            ));
        }
    }
    let paths = chains(&edges);
    let coords =
        |path: &Vec<Pt>| Dynamic::Array(Arc::new(path.iter().map(|&(x, y)| coord(x, y)).collect()));
    let shape = match paths.as_slice() {
        [one] => bag(vec![
            ("type", Dynamic::String("LineString".into())),
            ("coordinates", coords(one)),
        ]),
        many => bag(vec![
            ("type", Dynamic::String("MultiLineString".into())),
            (
                "coordinates",
                Dynamic::Array(Arc::new(many.iter().map(coords).collect())),
            ),
        ]),
    };
    Ok(Some(Value::Dynamic(shape)))
}

/// `geo_union_lines_array(lines)`.
fn union_lines_array(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut failure = None;
    let out = rowwise(args, rows, DataType::Dynamic, |v| {
        let items = match v.first() {
            Some(Value::Dynamic(Dynamic::Array(items))) => items.clone(),
            _ => return Value::Null,
        };
        match union(&items) {
            Ok(Some(shape)) => shape,
            Ok(None) => Value::Null,
            Err(e) => {
                failure.get_or_insert(e);
                Value::Null
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(points: &[(f64, f64)]) -> Dynamic {
        bag(vec![
            ("type", Dynamic::String("LineString".into())),
            (
                "coordinates",
                Dynamic::Array(Arc::new(points.iter().map(|&(x, y)| coord(x, y)).collect())),
            ),
        ])
    }

    #[test]
    fn lines_sharing_edges_merge_into_one_line() {
        let a = line(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]);
        let b = line(&[(1.0, 0.0), (1.0, 1.0), (2.0, 1.0)]);
        let Ok(Some(Value::Dynamic(d))) = union(&[a, b]) else {
            panic!("no union")
        };
        assert_eq!(shapes::kind(&d), "LineString");
        let Some(paths) = shapes::lines(&d) else {
            panic!("not a line")
        };
        assert_eq!(paths[0].len(), 4);
    }

    #[test]
    fn disjoint_lines_make_a_multiline() {
        let a = line(&[(0.0, 0.0), (1.0, 0.0)]);
        let b = line(&[(5.0, 5.0), (6.0, 5.0)]);
        let Ok(Some(Value::Dynamic(d))) = union(&[a, b]) else {
            panic!("no union")
        };
        assert_eq!(shapes::kind(&d), "MultiLineString");
    }

    #[test]
    fn crossing_lines_are_not_supported_and_invalid_items_give_null() {
        let a = line(&[(0.0, -1.0), (0.0, 1.0)]);
        let b = line(&[(-1.0, 0.0), (1.0, 0.0)]);
        assert!(union(&[a.clone(), b]).is_err());
        let point_only = line(&[(1.0, 1.0)]);
        assert!(matches!(union(&[a, point_only]), Ok(None)));
    }

    #[test]
    fn an_edge_overlapping_part_of_another_is_not_supported() {
        let a = line(&[(0.0, 0.0), (2.0, 0.0)]);
        let b = line(&[(0.0, 0.0), (1.0, 0.0)]);
        assert!(union(&[a, b]).is_err());
    }
}
