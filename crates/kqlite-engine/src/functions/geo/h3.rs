//! H3 hexagon cells: `geo_point_to_h3cell`, `geo_h3cell_*`.
//!
//! Cell arithmetic comes from the `h3o` crate (a complete port of Uber's H3
//! library); this module maps Kusto's argument conventions onto it.

use h3o::{CellIndex, LatLng, Resolution};

use super::{level_arg, point_arg, point_value, polygon_value, sig, string_array, text_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Kusto's default H3 resolution.
const DEFAULT_RESOLUTION: i64 = 6;
/// Largest ring distance `geo_h3cell_rings` accepts.
const MAX_RING_DISTANCE: i64 = 142;
/// Largest resolution gap `geo_h3cell_children` accepts.
const MAX_CHILDREN_GAP: u8 = 5;

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "geo_point_to_h3cell",
            |a| sig(a, 2, 3, DataType::String),
            point_to_cell,
        ),
        Func::plain("geo_h3cell_level", |a| sig(a, 1, 1, DataType::Int), level),
        Func::plain(
            "geo_h3cell_parent",
            |a| sig(a, 1, 2, DataType::String),
            parent,
        ),
        Func::plain(
            "geo_h3cell_children",
            |a| sig(a, 1, 2, DataType::Dynamic),
            children,
        ),
        Func::plain(
            "geo_h3cell_rings",
            |a| sig(a, 2, 2, DataType::Dynamic),
            rings,
        ),
        Func::plain(
            "geo_h3cell_neighbors",
            |a| sig(a, 1, 1, DataType::Dynamic),
            neighbors,
        ),
        Func::plain(
            "geo_h3cell_to_central_point",
            |a| sig(a, 1, 1, DataType::Dynamic),
            central_point,
        ),
        Func::plain(
            "geo_h3cell_to_polygon",
            |a| sig(a, 1, 1, DataType::Dynamic),
            to_polygon,
        ),
    ]
}

/// Parses an H3 token (15 hex digits, case-insensitive).
pub(super) fn parse_cell(token: &str) -> Option<CellIndex> {
    if token.is_empty() || token.len() > 16 {
        return None;
    }
    let raw = u64::from_str_radix(token, 16).ok()?;
    CellIndex::try_from(raw).ok()
}

/// Argument `i` as a cell.
fn cell_arg(v: &[Value], i: usize) -> Option<CellIndex> {
    parse_cell(text_arg(v, i)?)
}

/// A resolution number as an `h3o` resolution.
fn resolution(r: i64) -> Option<Resolution> {
    u8::try_from(r)
        .ok()
        .and_then(|r| Resolution::try_from(r).ok())
}

/// The cell containing a point at a resolution.
pub(super) fn point_cell(lon: f64, lat: f64, res: i64) -> Option<CellIndex> {
    let ll = LatLng::new(lat, lon).ok()?;
    Some(ll.to_cell(resolution(res)?))
}

/// The token of the cell containing a point at a resolution.
fn point_token(lon: f64, lat: f64, res: i64) -> Option<String> {
    point_cell(lon, lat, res).map(|c| c.to_string())
}

fn point_to_cell(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let token = point_arg(v, 0).and_then(|(lon, lat)| {
            let res = level_arg(v, 2, DEFAULT_RESOLUTION, 0..=15)?;
            point_token(lon, lat, res)
        });
        Value::string(token.unwrap_or_default())
    }))
}

fn level(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Int, |v| {
        cell_arg(v, 0).map_or(Value::Null, |c| {
            Value::Int(i32::from(u8::from(c.resolution())))
        })
    }))
}

fn parent(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let token = cell_arg(v, 0).and_then(|c| {
            let own = i64::from(u8::from(c.resolution()));
            let res = level_arg(v, 1, own - 1, 0..=15)?;
            c.parent(resolution(res)?).map(|p| p.to_string())
        });
        Value::string(token.unwrap_or_default())
    }))
}

fn children(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let kids = cell_arg(v, 0).and_then(|c| {
            let own = u8::from(c.resolution());
            let res = level_arg(v, 1, i64::from(own) + 1, 0..=15)?;
            let res = resolution(res)?;
            let gap = u8::from(res).checked_sub(own)?;
            (gap <= MAX_CHILDREN_GAP).then(|| string_array(c.children(res).map(|k| k.to_string())))
        });
        kids.map_or(Value::Null, Value::Dynamic)
    }))
}

/// The cells up to `k` steps away, grouped by distance (ring 0 is the cell).
fn ring_groups(cell: CellIndex, k: u32) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = vec![Vec::new(); k as usize + 1];
    for (c, d) in cell.grid_disk_distances::<Vec<_>>(k) {
        if let Some(g) = groups.get_mut(d as usize) {
            g.push(c.to_string());
        }
    }
    groups
}

fn rings(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let Some(cell) = cell_arg(v, 0) else {
            return Value::Null;
        };
        let Some(k) = level_arg(v, 1, -1, 0..=MAX_RING_DISTANCE) else {
            return Value::Null;
        };
        let groups = ring_groups(cell, k as u32);
        Value::Dynamic(Dynamic::Array(std::sync::Arc::new(
            groups.into_iter().map(string_array).collect(),
        )))
    }))
}

/// The cells sharing an edge with `c`, in the order Kusto lists them (for
/// hexagons a fixed permutation of the edge-direction order).
fn neighbor_tokens(c: CellIndex) -> Vec<String> {
    const ORDER: [usize; 6] = [0, 2, 1, 5, 4, 3];
    let by_direction: Vec<String> = c.edges().map(|e| e.destination().to_string()).collect();
    if by_direction.len() != ORDER.len() {
        return by_direction;
    }
    ORDER
        .iter()
        .filter_map(|&k| by_direction.get(k).cloned())
        .collect()
}

fn neighbors(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        cell_arg(v, 0).map_or(Value::Null, |c| {
            Value::Dynamic(string_array(neighbor_tokens(c)))
        })
    }))
}

fn central_point(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        cell_arg(v, 0).map_or(Value::Null, |c| {
            let ll = LatLng::from(c);
            point_value(ll.lng(), ll.lat())
        })
    }))
}

/// The boundary of a cell as `(lon, lat)` vertices, counterclockwise.
pub(super) fn cell_boundary(c: CellIndex) -> Vec<(f64, f64)> {
    c.boundary().iter().map(|ll| (ll.lng(), ll.lat())).collect()
}

fn to_polygon(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        cell_arg(v, 0).map_or(Value::Null, |c| polygon_value(&cell_boundary(c)))
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{close, point_coords, strings};
    use crate::functions::test_util::{call, s};
    use crate::value::Value;

    #[test]
    fn point_to_h3cell_matches_kusto_tokens() {
        let v = call(
            "geo_point_to_h3cell",
            &[
                Value::Real(-74.04450446039874),
                Value::Real(40.689250859314974),
                Value::Long(6),
            ],
        );
        assert_eq!(v, s("862a1072fffffff"));
    }

    #[test]
    fn point_to_h3cell_gives_empty_for_invalid_input() {
        let bad_lon = call(
            "geo_point_to_h3cell",
            &[Value::Long(300), Value::Long(1), Value::Long(8)],
        );
        assert_eq!(bad_lon, s(""));
        let null_res = call(
            "geo_point_to_h3cell",
            &[Value::Long(1), Value::Long(1), Value::Null],
        );
        assert_eq!(null_res, s(""));
    }

    #[test]
    fn parent_defaults_to_the_next_coarser_level() {
        assert_eq!(
            call("geo_h3cell_parent", &[s("862a1072fffffff")]),
            s("852a1073fffffff")
        );
        assert_eq!(
            call("geo_h3cell_parent", &[s("862a1072fffffff"), Value::Long(1)]),
            s("812a3ffffffffff")
        );
        assert_eq!(
            call(
                "geo_h3cell_parent",
                &[s("862a1072fffffff"), Value::Long(15)]
            ),
            s("")
        );
        assert_eq!(call("geo_h3cell_parent", &[s("123")]), s(""));
    }

    #[test]
    fn level_reads_the_resolution_and_nulls_bad_tokens() {
        assert_eq!(
            call("geo_h3cell_level", &[s("862a1072fffffff")]),
            Value::Int(6)
        );
        assert_eq!(call("geo_h3cell_level", &[s("abc")]), Value::Null);
    }

    #[test]
    fn children_lists_the_seven_sub_hexagons() {
        let v = call("geo_h3cell_children", &[s("862a1072fffffff")]);
        assert_eq!(
            strings(&v),
            [
                "872a10728ffffff",
                "872a10729ffffff",
                "872a1072affffff",
                "872a1072bffffff",
                "872a1072cffffff",
                "872a1072dffffff",
                "872a1072effffff"
            ]
        );
        let deep = call(
            "geo_h3cell_children",
            &[s("862a1072fffffff"), Value::Long(9)],
        );
        assert_eq!(strings(&deep).len(), 343);
        let too_deep = call(
            "geo_h3cell_children",
            &[s("892a1072fffffff"), Value::Long(15)],
        );
        assert_eq!(too_deep, Value::Null);
    }

    #[test]
    fn rings_group_cells_by_distance_in_kusto_order() {
        let v = call("geo_h3cell_rings", &[s("861f8894fffffff"), Value::Long(1)]);
        let Value::Dynamic(d) = v else {
            panic!("dynamic")
        };
        let ring1 = strings(&Value::Dynamic(d.at(1).clone()));
        assert_eq!(
            ring1,
            [
                "861f88947ffffff",
                "861f8895fffffff",
                "861f88867ffffff",
                "861f8d497ffffff",
                "861f8d4b7ffffff",
                "861f8896fffffff"
            ]
        );
        assert_eq!(
            call(
                "geo_h3cell_rings",
                &[s("861f8894fffffff"), Value::Long(150)]
            ),
            Value::Null
        );
    }

    #[test]
    fn neighbors_are_the_first_ring() {
        let v = call("geo_h3cell_neighbors", &[s("862a1072fffffff")]);
        assert_eq!(
            strings(&v),
            [
                "862a10777ffffff",
                "862a100d7ffffff",
                "862a100dfffffff",
                "862a1070fffffff",
                "862a10707ffffff",
                "862a10727ffffff"
            ]
        );
    }

    #[test]
    fn central_point_and_polygon_match_kusto() {
        let p = call("geo_h3cell_to_central_point", &[s("862a1072fffffff")]);
        let (lon, lat) = point_coords(&p).unwrap_or_default();
        assert!(close(lon, -74.01600847979243) && close(lat, 40.704167908350385));
        assert_eq!(call("geo_h3cell_to_central_point", &[s("1")]), Value::Null);
        let poly = call("geo_h3cell_to_polygon", &[s("862a1072fffffff")]);
        let Value::Dynamic(d) = poly else {
            panic!("dynamic")
        };
        let ring = d.get("coordinates").at(0);
        let first = ring.at(0);
        let (crate::value::Dynamic::Real(lon), crate::value::Dynamic::Real(lat)) =
            (first.at(0), first.at(1))
        else {
            panic!("coordinates")
        };
        assert!(close(*lon, -74.0022744646159) && close(*lat, 40.73537602621501));
        assert_eq!(ring.at(6), first);
    }
}
