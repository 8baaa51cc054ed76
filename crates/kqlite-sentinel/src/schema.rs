//! Typed schemas of the Sentinel tables, built from the published column
//! lists in [`crate::schema_data`].

use kqlite_engine::DataType;

use crate::schema_data::{TableColumns, TABLES};

/// The published table called `table` (exact, case-sensitive name).
pub(crate) fn table_columns(table: &str) -> Option<&'static TableColumns> {
    TABLES.iter().find(|t| t.name == table)
}

/// Converts one published column list into engine types. Every type name in
/// [`TABLES`] is a KQL name (a unit test checks it), so nothing is dropped.
fn typed(t: &TableColumns) -> Vec<(String, DataType)> {
    t.columns
        .iter()
        .filter_map(|&(name, ty)| DataType::from_name(ty).map(|ty| (name.to_string(), ty)))
        .collect()
}

/// The typed schema of `table` — (column, type) in reference order — or
/// `None` for a table kqlite has no schema for. Names are case-sensitive, as
/// in KQL.
pub fn schema(table: &str) -> Option<Vec<(String, DataType)>> {
    table_columns(table).map(typed)
}

/// Names of every table with a schema, in a fixed order (SigninLogs first).
pub fn table_names() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|t| t.name)
}

/// Every table's typed schema, ready for `Engine::add_schema(name, columns)`.
pub fn schemas() -> Vec<(&'static str, Vec<(String, DataType)>)> {
    TABLES.iter().map(|t| (t.name, typed(t))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_published_type_name_converts_to_an_engine_type() {
        for t in TABLES {
            for (c, ty) in t.columns {
                assert!(DataType::from_name(ty).is_some(), "{}.{c}: {ty}", t.name);
            }
            assert_eq!(typed(t).len(), t.columns.len());
        }
    }

    #[test]
    fn signinlogs_location_details_is_dynamic_but_service_principal_one_is_string() {
        let find = |table: &str, col: &str| {
            schema(table)
                .and_then(|s| s.into_iter().find(|(c, _)| c == col))
                .map(|(_, t)| t)
        };
        assert_eq!(
            find("SigninLogs", "LocationDetails"),
            Some(DataType::Dynamic)
        );
        assert_eq!(
            find("AADServicePrincipalSignInLogs", "LocationDetails"),
            Some(DataType::String)
        );
        assert_eq!(
            find("SigninLogs", "TimeGenerated"),
            Some(DataType::DateTime)
        );
    }

    #[test]
    fn unknown_and_miscased_tables_have_no_schema() {
        assert!(schema("signinlogs").is_none());
        assert!(schema("NoSuchTable").is_none());
    }

    #[test]
    fn schemas_lists_every_table_name_once() {
        let names: Vec<&str> = schemas().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, table_names().collect::<Vec<_>>());
        assert_eq!(names.first(), Some(&"SigninLogs"));
    }
}
