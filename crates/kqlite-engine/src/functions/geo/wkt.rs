//! `geo_from_wkt`: Well-Known Text to GeoJSON.

use std::sync::Arc;

use super::{bag, coord, sig, text_arg, valid_point, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::functions::rowwise;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![Func {
        name: "geo_from_wkt",
        signature: |a| sig(a, 1, 1, DataType::Dynamic),
        properties: FunctionProperties::PLAIN,
        evaluate: from_wkt,
    }]
}

fn from_wkt(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        text_arg(v, 0)
            .and_then(parse)
            .map_or(Value::Null, Value::Dynamic)
    }))
}

/// Parses a whole WKT text into a GeoJSON geometry (`None` when invalid).
pub(super) fn parse(text: &str) -> Option<Dynamic> {
    let mut p = Parser {
        s: text.as_bytes(),
        at: 0,
    };
    let g = p.geometry(0)?;
    p.skip_ws();
    (p.at == p.s.len()).then_some(g)
}

/// Deepest nesting of geometry collections accepted.
const MAX_DEPTH: usize = 16;

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.s.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// Consumes `c` (after whitespace) if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.at) == Some(&c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// The next word, upper-cased.
    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.at;
        while self.s.get(self.at).is_some_and(u8::is_ascii_alphabetic) {
            self.at += 1;
        }
        self.s
            .get(start..self.at)
            .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
            .unwrap_or_default()
    }

    fn number(&mut self) -> Option<f64> {
        self.skip_ws();
        let start = self.at;
        while self
            .s
            .get(self.at)
            .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'))
        {
            self.at += 1;
        }
        std::str::from_utf8(self.s.get(start..self.at)?)
            .ok()?
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
    }

    /// `lon lat`, validated.
    fn position(&mut self) -> Option<Dynamic> {
        let lon = self.number()?;
        let lat = self.number()?;
        valid_point(lon, lat).then(|| coord(lon, lat))
    }

    /// `( item, item, ... )`
    fn list(&mut self, mut item: impl FnMut(&mut Self) -> Option<Dynamic>) -> Option<Dynamic> {
        if !self.eat(b'(') {
            return None;
        }
        let mut items = vec![item(self)?];
        while self.eat(b',') {
            items.push(item(self)?);
        }
        self.eat(b')').then(|| Dynamic::Array(Arc::new(items)))
    }

    /// A point inside MULTIPOINT, with or without its own parentheses.
    fn multi_point_item(&mut self) -> Option<Dynamic> {
        if self.eat(b'(') {
            let p = self.position()?;
            self.eat(b')').then_some(p)
        } else {
            self.position()
        }
    }

    fn line(&mut self, min: usize) -> Option<Dynamic> {
        let l = self.list(Self::position)?;
        match &l {
            Dynamic::Array(a) if a.len() >= min => Some(l),
            _ => None,
        }
    }

    fn ring(&mut self) -> Option<Dynamic> {
        let r = self.line(4)?;
        let closed = matches!(&r, Dynamic::Array(a) if a.first() == a.last());
        closed.then_some(r)
    }

    fn polygon(&mut self) -> Option<Dynamic> {
        self.list(Self::ring)
    }

    fn geometry(&mut self, depth: usize) -> Option<Dynamic> {
        if depth > MAX_DEPTH {
            return None;
        }
        let kind = self.word();
        let (name, body) = match kind.as_str() {
            "POINT" => ("Point", {
                if !self.eat(b'(') {
                    return None;
                }
                let p = self.position()?;
                self.eat(b')').then_some(p)?
            }),
            "LINESTRING" => ("LineString", self.line(2)?),
            "POLYGON" => ("Polygon", self.polygon()?),
            "MULTIPOINT" => ("MultiPoint", self.list(Self::multi_point_item)?),
            "MULTILINESTRING" => ("MultiLineString", self.list(|p| p.line(2))?),
            "MULTIPOLYGON" => ("MultiPolygon", self.list(Self::polygon)?),
            "GEOMETRYCOLLECTION" => {
                let parts = self.list(|p| p.geometry(depth + 1))?;
                return Some(bag(vec![
                    ("type", Dynamic::String("GeometryCollection".into())),
                    ("geometries", parts),
                ]));
            }
            _ => return None,
        };
        Some(bag(vec![
            ("type", Dynamic::String(name.into())),
            ("coordinates", body),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> String {
        parse(text)
            .map(|d| d.to_json().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn simple_shapes_become_geojson() {
        assert_eq!(
            json("POINT (1 2)"),
            r#"{"type":"Point","coordinates":[1.0,2.0]}"#
        );
        assert_eq!(
            json("LINESTRING (1 2, 3 4)"),
            r#"{"type":"LineString","coordinates":[[1.0,2.0],[3.0,4.0]]}"#
        );
        assert_eq!(
            json("POLYGON ((0 0, 2 0, 2 2, 0 0))"),
            r#"{"type":"Polygon","coordinates":[[[0.0,0.0],[2.0,0.0],[2.0,2.0],[0.0,0.0]]]}"#
        );
    }

    #[test]
    fn multi_shapes_and_collections_nest() {
        assert_eq!(
            json("MULTILINESTRING ((1 1, 2 2, 3 3), (4 4, 5 5))"),
            r#"{"type":"MultiLineString","coordinates":[[[1.0,1.0],[2.0,2.0],[3.0,3.0]],[[4.0,4.0],[5.0,5.0]]]}"#
        );
        assert_eq!(
            json("MULTIPOINT ((1 1), 2 2)"),
            r#"{"type":"MultiPoint","coordinates":[[1.0,1.0],[2.0,2.0]]}"#
        );
        let gc = json("GEOMETRYCOLLECTION (POINT (1 1),LINESTRING (2 2, 3 3))");
        assert_eq!(
            gc,
            r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1.0,1.0]},{"type":"LineString","coordinates":[[2.0,2.0],[3.0,3.0]]}]}"#
        );
    }

    #[test]
    fn malformed_text_gives_none() {
        for bad in [
            "LINESTRING",
            "POINT (1)",
            "POINT (200 1)",
            "POLYGON ((0 0, 1 1, 0 0))",
            "POINT (1 2) extra",
            "CIRCLE (1 2)",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
