//! Geospatial functions: `geo_*`.
//!
//! Points are given as separate longitude and latitude arguments (degrees,
//! WGS-84) and shapes as GeoJSON `dynamic` values, as in Kusto. Grid cells
//! come in three systems: S2 cells ([`s2`], hand-written: only the cell-id
//! arithmetic is needed), H3 hexagons ([`h3`], through the `h3o` crate) and
//! geohashes ([`geohash`]). Invalid coordinates, tokens or levels give null
//! (or an empty string for string results), never an error.

mod boolean;
mod buffer;
mod cover;
mod edit;
mod geohash;
mod h3;
mod s2;
mod shape_buffer;
mod shapes;
mod union;
mod wkt;

use std::sync::Arc;

use indexmap::IndexMap;

use super::{arity, as_long, as_real, Func};
use crate::function::FunctionError;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Every `geo_*` scalar function.
pub(super) fn functions() -> Vec<Func> {
    let mut all = Vec::new();
    all.extend(s2::functions());
    all.extend(h3::functions());
    all.extend(geohash::functions());
    all.extend(shapes::functions());
    all.extend(wkt::functions());
    all.extend(edit::functions());
    all.extend(cover::functions());
    all.extend(buffer::functions());
    all.extend(union::functions());
    all.extend(boolean::functions());
    all.extend(shape_buffer::functions());
    all
}

/// A signature rule: `min..=max` arguments, result of type `ty`.
fn sig(args: &[DataType], min: usize, max: usize, ty: DataType) -> Result<DataType, FunctionError> {
    arity(args, min, max).map(|_| ty)
}

/// Whether `(lon, lat)` are valid WGS-84 degrees.
fn valid_point(lon: f64, lat: f64) -> bool {
    (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// Argument `i` as a finite real (`None` when null, absent or not numeric).
fn real_arg(v: &[Value], i: usize) -> Option<f64> {
    v.get(i).and_then(as_real).filter(|r| r.is_finite())
}

/// Argument `i` as a valid point starting at `i` (longitude, latitude).
fn point_arg(v: &[Value], i: usize) -> Option<(f64, f64)> {
    let lon = real_arg(v, i)?;
    let lat = real_arg(v, i + 1)?;
    valid_point(lon, lat).then_some((lon, lat))
}

/// Optional integer argument `i`: `default` when absent, `None` when null or
/// outside `range`.
fn level_arg(
    v: &[Value],
    i: usize,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Option<i64> {
    let level = match v.get(i) {
        None => default,
        Some(x) => as_long(x)?,
    };
    range.contains(&level).then_some(level)
}

/// Argument `i` as text (a string, or a string inside a `dynamic`).
fn text_arg(v: &[Value], i: usize) -> Option<&str> {
    match v.get(i)? {
        Value::String(s) => Some(s),
        Value::Dynamic(Dynamic::String(s)) => Some(s),
        _ => None,
    }
}

/// A property bag from key/value pairs.
fn bag(entries: Vec<(&str, Dynamic)>) -> Dynamic {
    let map: IndexMap<Arc<str>, Dynamic> = entries
        .into_iter()
        .map(|(k, v)| (Arc::from(k), v))
        .collect();
    Dynamic::Bag(Arc::new(map))
}

/// A `[lon, lat]` coordinate pair.
fn coord(lon: f64, lat: f64) -> Dynamic {
    Dynamic::Array(Arc::new(vec![Dynamic::Real(lon), Dynamic::Real(lat)]))
}

/// A GeoJSON point.
fn point_value(lon: f64, lat: f64) -> Value {
    Value::Dynamic(bag(vec![
        ("type", Dynamic::String("Point".into())),
        ("coordinates", coord(lon, lat)),
    ]))
}

/// A GeoJSON polygon with one ring, closed by repeating its first vertex.
fn polygon_value(ring: &[(f64, f64)]) -> Value {
    let mut coords: Vec<Dynamic> = ring.iter().map(|&(lon, lat)| coord(lon, lat)).collect();
    if let Some(&(lon, lat)) = ring.first() {
        coords.push(coord(lon, lat));
    }
    Value::Dynamic(bag(vec![
        ("type", Dynamic::String("Polygon".into())),
        (
            "coordinates",
            Dynamic::Array(Arc::new(vec![Dynamic::Array(Arc::new(coords))])),
        ),
    ]))
}

/// A `dynamic` array of strings.
fn string_array(items: impl IntoIterator<Item = String>) -> Dynamic {
    Dynamic::Array(Arc::new(
        items
            .into_iter()
            .map(|s| Dynamic::String(s.into()))
            .collect(),
    ))
}

#[cfg(test)]
mod test_support {
    use crate::value::{Dynamic, Value};

    /// The `[lon, lat]` of a GeoJSON point value.
    pub(super) fn point_coords(v: &Value) -> Option<(f64, f64)> {
        let Value::Dynamic(d) = v else { return None };
        let c = d.get("coordinates");
        match (c.at(0), c.at(1)) {
            (Dynamic::Real(lon), Dynamic::Real(lat)) => Some((*lon, *lat)),
            _ => None,
        }
    }

    /// The strings of a `dynamic` array value.
    pub(super) fn strings(v: &Value) -> Vec<String> {
        match v {
            Value::Dynamic(Dynamic::Array(a)) => a
                .iter()
                .map(|d| match d {
                    Dynamic::String(s) => s.to_string(),
                    other => format!("{other:?}"),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether two reals agree to 1e-9 (relative).
    pub(super) fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }
}
