//! `geo_info_from_ip_address(ip)`: where an IP address is, read from a
//! geo-IP table the embedder supplies.
//!
//! Kusto answers from a bundled GeoLite2 database; kqlite ships none, so an
//! embedder gives a [`GeoIpTable`] (rows of CIDR → country, state, city,
//! latitude, longitude) through `Engine::set_geoip`. Without one the call
//! still binds (so `check` passes) and evaluating it fails with a
//! diagnostic naming the fix.
//!
//! The result is a dynamic bag `{country, state, city, latitude,
//! longitude}`. An address the table does not cover gives an empty bag `{}`
//! (Kusto returns the fields only "if the information is available"); a null,
//! empty or malformed address gives a null dynamic.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::FxHashMap;

use super::{arity, expect, rowwise};
use crate::function::{
    ColumnarValue, EvalContext, FunctionError, FunctionProperties, ScalarFunction,
};
use crate::io::{self, Format, LoadError};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// The KQL name of the function.
pub const NAME: &str = "geo_info_from_ip_address";

/// The columns of a geo-IP CSV file, in this order in the header.
pub const CSV_COLUMNS: [&str; 6] = ["cidr", "country", "state", "city", "latitude", "longitude"];

/// Where a network is.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoLocation {
    /// Country name.
    pub country: String,
    /// State (subdivision) name.
    pub state: String,
    /// City name.
    pub city: String,
    /// Latitude in degrees (null when unknown).
    pub latitude: Option<f64>,
    /// Longitude in degrees (null when unknown).
    pub longitude: Option<f64>,
}

impl GeoLocation {
    /// The location as Kusto's bag `{country, state, city, latitude, longitude}`.
    fn to_bag(&self) -> Dynamic {
        let real = |x: Option<f64>| x.map_or(Dynamic::Null, Dynamic::Real);
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::with_capacity(5);
        bag.insert(
            Arc::from("country"),
            Dynamic::String(Arc::from(self.country.as_str())),
        );
        bag.insert(
            Arc::from("state"),
            Dynamic::String(Arc::from(self.state.as_str())),
        );
        bag.insert(
            Arc::from("city"),
            Dynamic::String(Arc::from(self.city.as_str())),
        );
        bag.insert(Arc::from("latitude"), real(self.latitude));
        bag.insert(Arc::from("longitude"), real(self.longitude));
        Dynamic::Bag(Arc::new(bag))
    }
}

/// Why a geo-IP table could not be built.
#[derive(Debug, thiserror::Error)]
pub enum GeoIpError {
    /// The file could not be read or is not well-formed CSV.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The header lacks one of [`CSV_COLUMNS`].
    #[error("{source_name}: the geo-IP header lacks the `{column}` column (expected `cidr,country,state,city,latitude,longitude`)")]
    MissingColumn {
        /// The file or source name.
        source_name: String,
        /// The missing column.
        column: &'static str,
    },
    /// A row's network is not an IPv4 or IPv6 address or CIDR block.
    #[error("{source_name}: data row {row}: `{cidr}` is not an IPv4 or IPv6 network (e.g. `20.53.0.0/16`)")]
    BadNetwork {
        /// The file or source name.
        source_name: String,
        /// 1-based data row (the header not counted).
        row: usize,
        /// The text found.
        cidr: String,
    },
}

/// IPv4 and IPv6 networks with their locations; a lookup picks the longest
/// prefix containing the address. IPv4 networks are kept in their
/// IPv4-mapped IPv6 form, so one table answers both families.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GeoIpTable {
    /// Prefix length → masked network address → index into `locations`.
    by_prefix: BTreeMap<u32, FxHashMap<u128, usize>>,
    locations: Vec<GeoLocation>,
}

/// `addr` with every bit past the first `bits` cleared.
fn mask(addr: u128, bits: u32) -> u128 {
    match bits {
        0 => 0,
        b if b >= 128 => addr,
        b => addr & (u128::MAX << (128 - b)),
    }
}

impl GeoIpTable {
    /// An empty table (every address is unknown).
    pub fn new() -> GeoIpTable {
        GeoIpTable::default()
    }

    /// Adds a network (`20.53.0.0/16`, `2a03:2880::/32`, or a single
    /// address) and its location; a later row for the same network replaces
    /// an earlier one. Returns `false` when `cidr` is not a network.
    pub fn insert(&mut self, cidr: &str, location: GeoLocation) -> bool {
        let Some((addr, bits)) = super::ipv6::parse_network(cidr) else {
            return false;
        };
        let index = self.locations.len();
        self.locations.push(location);
        self.by_prefix
            .entry(bits)
            .or_default()
            .insert(mask(addr, bits), index);
        true
    }

    /// The number of networks added.
    pub fn len(&self) -> usize {
        self.locations.len()
    }

    /// Whether the table has no networks.
    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }

    /// The location of the most specific network containing `ip` (an IPv4
    /// or IPv6 address); `None` when no network does or `ip` is not an
    /// address.
    pub fn lookup(&self, ip: &str) -> Option<&GeoLocation> {
        let (addr, _) = super::ipv6::parse_network(ip.trim())?;
        self.by_prefix.iter().rev().find_map(|(bits, nets)| {
            nets.get(&mask(addr, *bits))
                .and_then(|i| self.locations.get(*i))
        })
    }

    /// Reads a table from CSV whose header names the columns `cidr`,
    /// `country`, `state`, `city`, `latitude` and `longitude` (any order;
    /// other columns are ignored). Empty coordinates read as null.
    pub fn from_csv(mut reader: impl Read, source_name: &str) -> Result<GeoIpTable, GeoIpError> {
        let mut text = String::new();
        reader
            .read_to_string(&mut text)
            .map_err(|source| LoadError::Io {
                path: source_name.to_string(),
                source,
            })?;
        let header: Vec<String> = text
            .trim_start_matches('\u{feff}')
            .lines()
            .next()
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().trim_matches('"').to_string())
            .collect();
        for column in CSV_COLUMNS {
            if !header.iter().any(|h| h == column) {
                return Err(GeoIpError::MissingColumn {
                    source_name: source_name.to_string(),
                    column,
                });
            }
        }
        // Declared types, so a city called `True` or a numeric state code
        // stays text.
        let schema: Vec<(String, DataType)> = CSV_COLUMNS
            .iter()
            .map(|c| {
                let ty = if matches!(*c, "latitude" | "longitude") {
                    DataType::Real
                } else {
                    DataType::String
                };
                (c.to_string(), ty)
            })
            .collect();
        let table = io::load_reader(text.as_bytes(), Format::Csv, Some(&schema), source_name)?;
        let columns: Vec<_> = CSV_COLUMNS
            .iter()
            .map(|c| table.column(c).cloned())
            .collect();
        let text = |c: usize, row: usize| -> String {
            columns
                .get(c)
                .and_then(Option::as_ref)
                .map_or(Value::Null, |col| col.get(row))
                .to_string()
        };
        let real = |c: usize, row: usize| -> Option<f64> {
            super::as_real(
                &columns
                    .get(c)
                    .and_then(Option::as_ref)
                    .map_or(Value::Null, |col| col.get(row)),
            )
        };
        let mut out = GeoIpTable::new();
        for row in 0..table.num_rows() {
            let cidr = text(0, row);
            let location = GeoLocation {
                country: text(1, row),
                state: text(2, row),
                city: text(3, row),
                latitude: real(4, row),
                longitude: real(5, row),
            };
            if !out.insert(&cidr, location) {
                return Err(GeoIpError::BadNetwork {
                    source_name: source_name.to_string(),
                    row: row + 1,
                    cidr,
                });
            }
        }
        Ok(out)
    }

    /// Reads a table from a CSV file; see [`GeoIpTable::from_csv`].
    pub fn from_csv_file(path: &Path) -> Result<GeoIpTable, GeoIpError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| LoadError::Io {
            path: name.clone(),
            source,
        })?;
        GeoIpTable::from_csv(std::io::BufReader::new(file), &name)
    }
}

/// `geo_info_from_ip_address` over a given table (or none).
#[derive(Debug, Clone, Default)]
pub struct GeoInfoFromIp {
    /// The table lookups read; `None` fails evaluation with a hint.
    pub table: Option<Arc<GeoIpTable>>,
}

impl ScalarFunction for GeoInfoFromIp {
    fn name(&self) -> &'static str {
        NAME
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        arity(args, 1, 1)?;
        expect(args, 0, "a string", |t| {
            matches!(t, DataType::String | DataType::Dynamic)
        })?;
        Ok(DataType::Dynamic)
    }

    fn properties(&self) -> FunctionProperties {
        FunctionProperties::PLAIN
    }

    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        _: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError> {
        let Some(table) = &self.table else {
            return Err(FunctionError::Invalid(format!(
                "`{NAME}` needs a geo-IP table, and none was given: pass --geoip PATH \
                 (in a test: geoip = \"PATH\"), a CSV with the header \
                 `cidr,country,state,city,latitude,longitude`, or use `Engine::set_geoip` when embedding"
            )));
        };
        let x = super::arg(args, 0);
        Ok(rowwise(&[x], rows, DataType::Dynamic, |v| {
            let text = match v.first() {
                None | Some(Value::Null) => return Value::Null,
                Some(other) => other.to_string(),
            };
            if super::ipv6::parse_network(text.trim()).is_none() || text.contains('/') {
                return Value::Null;
            }
            match table.lookup(&text) {
                Some(loc) => Value::Dynamic(loc.to_bag()),
                None => Value::Dynamic(Dynamic::Bag(Arc::new(IndexMap::new()))),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(country: &str, city: &str) -> GeoLocation {
        GeoLocation {
            country: country.into(),
            state: String::new(),
            city: city.into(),
            latitude: Some(1.5),
            longitude: None,
        }
    }

    #[test]
    fn the_longest_matching_prefix_wins_for_both_families() {
        let mut t = GeoIpTable::new();
        assert!(t.insert("20.0.0.0/8", place("A", "wide")));
        assert!(t.insert("20.53.0.0/16", place("A", "narrow")));
        assert!(t.insert("2a03:2880::/32", place("B", "v6")));
        assert!(!t.insert("not a network", place("C", "x")));
        assert_eq!(
            t.lookup("20.53.203.50").map(|l| l.city.as_str()),
            Some("narrow")
        );
        assert_eq!(t.lookup("20.1.2.3").map(|l| l.city.as_str()), Some("wide"));
        assert_eq!(
            t.lookup("2a03:2880:f12c:83:face:b00c::25de")
                .map(|l| l.city.as_str()),
            Some("v6")
        );
        assert!(t.lookup("21.0.0.1").is_none());
        assert!(t.lookup("").is_none());
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn a_csv_without_the_cidr_column_is_rejected() {
        let err =
            GeoIpTable::from_csv("net,country\n1.2.3.0/24,X\n".as_bytes(), "geo.csv").unwrap_err();
        assert!(err.to_string().contains("`cidr`"), "{err}");
        let err = GeoIpTable::from_csv(
            "cidr,country,state,city,latitude,longitude\nnope,X,,,,\n".as_bytes(),
            "geo.csv",
        )
        .unwrap_err();
        assert!(err.to_string().contains("data row 1"), "{err}");
    }
}
