//! Polygon coverings: `geo_polygon_to_s2cells`, `geo_polygon_to_h3cells`.
//!
//! Both walk from the cell under each polygon's first vertex to neighbors
//! while cells intersect the polygon (cell edges are geodesics in both
//! grids, as are polygon edges). S2 keeps every cell met; H3, like its
//! polyfill, keeps the cells whose center lies inside.

use std::collections::VecDeque;

use rustc_hash::FxHashSet;

use super::shapes::{self, Pt};
use super::{level_arg, sig, string_array, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::Value;

/// Most cells a covering may have; larger coverings give null.
const MAX_CELLS: usize = 65_536;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_polygon_to_s2cells",
            |a| sig(a, 1, 3, DataType::Dynamic),
            polygon_to_s2cells,
        ),
        Func::plain(
            "geo_line_to_s2cells",
            |a| sig(a, 1, 3, DataType::Dynamic),
            line_to_s2cells,
        ),
        Func::plain(
            "geo_polygon_to_h3cells",
            |a| sig(a, 1, 3, DataType::Dynamic),
            polygon_to_h3cells,
        ),
    ]
}

/// Walks from `seeds` through `neighbors` over the cells `meets` accepts
/// and returns those `keep` accepts, in discovery order; `None` past
/// [`MAX_CELLS`].
fn walk<C: Copy + Eq + std::hash::Hash>(
    seeds: Vec<C>,
    meets: impl Fn(C) -> bool,
    neighbors: impl Fn(C) -> Vec<C>,
    keep: impl Fn(C) -> bool,
) -> Option<Vec<C>> {
    let mut seen: FxHashSet<C> = FxHashSet::default();
    let mut queue: VecDeque<C> = VecDeque::new();
    let mut out = Vec::new();
    for s in seeds {
        if seen.insert(s) {
            queue.push_back(s);
        }
    }
    while let Some(c) = queue.pop_front() {
        if !meets(c) {
            continue;
        }
        if keep(c) {
            out.push(c);
            if out.len() > MAX_CELLS {
                return None;
            }
        }
        for n in neighbors(c) {
            if seen.len() > 8 * MAX_CELLS {
                return None;
            }
            if seen.insert(n) {
                queue.push_back(n);
            }
        }
    }
    Some(out)
}

/// [`walk`] over the cells whose `boundary` intersects the polygons or
/// comes within `radius` meters of them.
fn flood<C: Copy + Eq + std::hash::Hash>(
    seeds: Vec<C>,
    polys: &[Vec<Vec<Pt>>],
    radius: f64,
    boundary: impl Fn(C) -> Vec<Pt>,
    neighbors: impl Fn(C) -> Vec<C>,
    keep: impl Fn(C) -> bool,
) -> Option<Vec<C>> {
    let edges = shapes::boundaries(polys);
    let meets = |c: C| {
        let cell = [vec![boundary(c)]];
        shapes::polygons_intersect(&cell, polys)
            || (radius > 0.0 && shapes::paths_within(&shapes::boundaries(&cell), &edges, radius))
    };
    walk(seeds, meets, neighbors, keep)
}

/// The optional buffer radius argument `i` (0 when absent; `None` when
/// null, negative or not a number).
fn radius_arg(v: &[Value], i: usize) -> Option<f64> {
    if v.len() <= i {
        return Some(0.0);
    }
    super::real_arg(v, i).filter(|r| *r >= 0.0)
}

/// `geo_line_to_s2cells(line, level, radius)`: the level-`level` cells the
/// line passes through or comes within `radius` meters of.
fn line_to_s2cells(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(ls), Some(level)) = (
            shapes::shape_arg(v, 0).as_ref().and_then(shapes::lines),
            level_arg(v, 1, 11, 0..=30),
        ) else {
            return Value::Null;
        };
        let Some(radius) = radius_arg(v, 2) else {
            return Value::Null;
        };
        let level = level as u32;
        let seeds = ls
            .iter()
            .filter_map(|l| l.first())
            .map(|&(lon, lat)| super::s2::point_cell(lon, lat, level))
            .collect();
        let meets = |c: u64| {
            let cell = [vec![super::s2::corners(c)]];
            shapes::line_meets_polygons(&ls, &cell)
                || (radius > 0.0 && shapes::paths_within(&shapes::boundaries(&cell), &ls, radius))
        };
        let cells = walk(seeds, meets, super::s2::neighbor_ids, |_| true);
        cells.map_or(Value::Null, |cs| {
            Value::Dynamic(string_array(cs.into_iter().map(super::s2::token)))
        })
    }))
}

/// Every vertex of the polygons (one seed per connected part).
fn vertices(polys: &[Vec<Vec<Pt>>]) -> Vec<Pt> {
    polys
        .iter()
        .filter_map(|rings| rings.first().and_then(|r| r.first()).copied())
        .collect()
}

fn polygon_to_s2cells(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(polys), Some(level), Some(radius)) = (
            shapes::shape_arg(v, 0).as_ref().and_then(shapes::polygons),
            level_arg(v, 1, 11, 0..=30),
            radius_arg(v, 2),
        ) else {
            return Value::Null;
        };
        let level = level as u32;
        // Cells per face at this level, from the mean cell area.
        let cell_area = 4.0 * std::f64::consts::PI * shapes::EARTH_RADIUS_M.powi(2)
            / (6.0 * 4f64.powi(level as i32));
        if shapes::polygons_area(&polys) / cell_area > MAX_CELLS as f64 {
            return Value::Null;
        }
        let seeds = vertices(&polys)
            .into_iter()
            .map(|(lon, lat)| super::s2::point_cell(lon, lat, level))
            .collect();
        let cells = flood(
            seeds,
            &polys,
            radius,
            super::s2::corners,
            super::s2::neighbor_ids,
            |_| true,
        );
        cells.map_or(Value::Null, |cs| {
            Value::Dynamic(string_array(cs.into_iter().map(super::s2::token)))
        })
    }))
}

fn polygon_to_h3cells(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let (Some(polys), Some(res)) = (
            shapes::shape_arg(v, 0).as_ref().and_then(shapes::polygons),
            level_arg(v, 1, 6, 0..=15),
        ) else {
            return Value::Null;
        };
        let seeds: Option<Vec<h3o::CellIndex>> = vertices(&polys)
            .into_iter()
            .map(|(lon, lat)| super::h3::point_cell(lon, lat, res))
            .collect();
        let Some(seeds) = seeds else {
            return Value::Null;
        };
        let too_many = seeds
            .first()
            .is_some_and(|c| shapes::polygons_area(&polys) / c.area_m2() > MAX_CELLS as f64);
        if too_many {
            return Value::Null;
        }
        // Like H3's polyfill, a cell belongs when its center is inside.
        let center_inside = |c: h3o::CellIndex| {
            let ll = h3o::LatLng::from(c);
            shapes::in_polygons((ll.lng(), ll.lat()), &polys)
        };
        let cells = flood(
            seeds,
            &polys,
            0.0,
            super::h3::cell_boundary,
            |c| c.grid_disk::<Vec<_>>(1),
            center_inside,
        );
        cells.map_or(Value::Null, |cs| {
            Value::Dynamic(string_array(cs.into_iter().map(|c| c.to_string())))
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::strings;
    use crate::functions::test_util::call;
    use crate::value::{Dynamic, Value};

    fn shape(json: &str) -> Value {
        let j: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
        Value::Dynamic(Dynamic::from_json(&j))
    }

    const MADRID: &str = r#"{"type":"Polygon","coordinates":[[[-3.659,40.553],[-3.913,40.409],[-3.729,40.273],[-3.524,40.440],[-3.659,40.553]]]}"#;

    #[test]
    fn h3_covering_holds_the_cells_kusto_lists() {
        let mut got = strings(&call("geo_polygon_to_h3cells", &[shape(MADRID)]));
        got.sort();
        let mut want = [
            "86390cbafffffff",
            "86390ca07ffffff",
            "86390cba7ffffff",
            "86390cb8fffffff",
            "86390cb1fffffff",
            "86390cb87ffffff",
            "86390cb17ffffff",
            "86390cb07ffffff",
            "86390ca2fffffff",
            "86390ca27ffffff",
            "86390cb0fffffff",
            "86390ca37ffffff",
            "86390cb57ffffff",
        ];
        want.sort();
        assert_eq!(got, want);
        let line = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}"#);
        assert_eq!(call("geo_polygon_to_h3cells", &[line]), Value::Null);
    }

    #[test]
    fn line_cells_follow_the_line() {
        let line = shape(r#"{"type":"LineString","coordinates":[[0,0],[1,0]]}"#);
        let cells = strings(&call("geo_line_to_s2cells", &[line, Value::Long(8)]));
        for lon in [0.1, 0.5, 0.9] {
            let c = call(
                "geo_point_to_s2cell",
                &[Value::Real(lon), Value::Real(0.0001), Value::Long(8)],
            );
            assert!(cells.contains(&c.to_string()), "{lon}");
        }
        let bad = shape(r#"{"type":"LineString","coordinates":[[[0,0],[0,0]]]}"#);
        assert_eq!(call("geo_line_to_s2cells", &[bad]), Value::Null);
    }

    #[test]
    fn a_buffer_radius_widens_the_covering() {
        let line = shape(r#"{"type":"LineString","coordinates":[[0,0],[1,0]]}"#);
        let plain = strings(&call(
            "geo_line_to_s2cells",
            &[line.clone(), Value::Long(10)],
        ));
        let wide = strings(&call(
            "geo_line_to_s2cells",
            &[line.clone(), Value::Long(10), Value::Long(20_000)],
        ));
        assert!(wide.len() > plain.len());
        assert!(plain.iter().all(|c| wide.contains(c)));
        let negative = [line, Value::Long(10), Value::Long(-1)];
        assert_eq!(call("geo_line_to_s2cells", &negative), Value::Null);
    }

    #[test]
    fn s2_covering_contains_the_cells_of_inner_points() {
        let cells = strings(&call(
            "geo_polygon_to_s2cells",
            &[shape(MADRID), Value::Long(8)],
        ));
        let inner = call(
            "geo_point_to_s2cell",
            &[Value::Real(-3.7), Value::Real(40.4), Value::Long(8)],
        );
        assert!(cells.contains(&inner.to_string()));
        let huge = shape(r#"{"type":"Polygon","coordinates":[[[0,0],[0,50],[100,50],[0,0]]]}"#);
        assert_eq!(
            call("geo_polygon_to_s2cells", &[huge, Value::Long(30)]),
            Value::Null
        );
    }
}
