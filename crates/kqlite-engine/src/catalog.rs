//! The catalog: the tables a query may read, by name.
//!
//! A table's schema is known before its data is read, so `kqlite check` can
//! bind a query against Sentinel's schemas without generating any rows.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::column::Column;
use crate::functions::geoip::GeoIpTable;
use crate::table::Table;
use crate::types::DataType;
use crate::zones::{table_zones, TableZones, ZoneMap};

/// One catalog table: its schema and, when loaded, its data.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogTable {
    /// Column names and types, in order.
    pub schema: Vec<(String, DataType)>,
    /// The rows, if the caller supplied them.
    pub data: Option<Arc<Table>>,
    /// Zone maps of the data's 64-bit columns.
    zones: TableZones,
}

/// Named tables with their schemas and optional data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    tables: IndexMap<String, CatalogTable>,
    /// The table `geo_info_from_ip_address` reads, when one was given.
    geoip: Option<Arc<GeoIpTable>>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Sets the geo-IP table `geo_info_from_ip_address` reads.
    pub fn set_geoip(&mut self, table: GeoIpTable) {
        self.geoip = Some(Arc::new(table));
    }

    /// The geo-IP table, if one was given.
    pub fn geoip(&self) -> Option<&Arc<GeoIpTable>> {
        self.geoip.as_ref()
    }

    /// Declares a table by schema only (no rows yet). Replaces any table of
    /// the same name.
    pub fn add_schema(&mut self, name: impl Into<String>, schema: Vec<(String, DataType)>) {
        self.tables.insert(
            name.into(),
            CatalogTable {
                schema,
                data: None,
                zones: Vec::new(),
            },
        );
    }

    /// Adds a table with its data; the schema is taken from the data.
    /// Replaces any table of the same name.
    pub fn add_table(&mut self, name: impl Into<String>, table: Table) {
        let schema = table.schema();
        self.add_table_with_schema(name, table, schema);
    }

    /// Adds (or replaces) a table whose data may hold only some of the
    /// schema's columns, in any order: the others read as nulls, and cost
    /// nothing until a query reads them. A data column of another type than
    /// the schema's also reads as nulls.
    pub fn add_table_with_schema(
        &mut self,
        name: impl Into<String>,
        table: Table,
        schema: Vec<(String, DataType)>,
    ) {
        let zones = table_zones(table.columns().map(|(_, c)| c));
        self.tables.insert(
            name.into(),
            CatalogTable {
                schema,
                data: Some(Arc::new(table)),
                zones,
            },
        );
    }

    /// The zone map of a stored column, found by identity (`col` must be
    /// the very column the catalog holds, not a copy).
    pub(crate) fn zones_of(&self, col: &Arc<Column>) -> Option<&ZoneMap> {
        self.tables
            .values()
            .flat_map(|t| &t.zones)
            .find(|(c, _)| Arc::ptr_eq(c, col))
            .map(|(_, z)| z.as_ref())
    }

    /// The table named `name` (names are case-sensitive, as in Kusto).
    pub fn get(&self, name: &str) -> Option<&CatalogTable> {
        self.tables.get(name)
    }

    /// The schema of table `name`.
    pub fn schema(&self, name: &str) -> Option<&[(String, DataType)]> {
        self.tables.get(name).map(|t| t.schema.as_slice())
    }

    /// The data of table `name`, if loaded.
    pub fn data(&self, name: &str) -> Option<&Arc<Table>> {
        self.tables.get(name).and_then(|t| t.data.as_ref())
    }

    /// Table names in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.tables.keys().map(String::as_str)
    }

    /// Number of tables.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether the catalog has no tables.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_only_table_has_no_data_until_one_is_added() {
        let mut c = Catalog::new();
        c.add_schema("SigninLogs", vec![("ResultType".into(), DataType::String)]);
        assert_eq!(c.schema("SigninLogs").map(<[_]>::len), Some(1));
        assert!(c.data("SigninLogs").is_none());
        c.add_table("SigninLogs", Table::empty(0));
        assert!(c.data("SigninLogs").is_some());
        assert_eq!(c.names().collect::<Vec<_>>(), vec!["SigninLogs"]);
    }
}
