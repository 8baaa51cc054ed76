//! Which schema types each table a run or a test reads, and the checks that
//! keep user-supplied table data honest.
//!
//! A table's columns come from, in order: a schema file the user gave
//! (`--schema`, a test's `schema` key), then the built-in catalog (every
//! Sentinel and Defender XDR table, see [`crate::catalog`]). Data loaded
//! for a table is typed by that schema; a column the data has and the
//! schema lacks is almost always a misspelling, which would otherwise load
//! as an extra column while the query reads an all-null one, so a test
//! passes by accident. [`TableSchemas::unknown_columns`] finds them, with
//! the closest real name.
//!
//! ```
//! use std::sync::Arc;
//! use kqlite_sentinel::catalog::Environment;
//! use kqlite_sentinel::schema_file::SchemaSet;
//! use kqlite_sentinel::tables::TableSchemas;
//!
//! let schemas = TableSchemas::new(Arc::new(SchemaSet::new()), Environment::Sentinel);
//! let signins = schemas.get("SigninLogs").unwrap();
//! let unknown = schemas.unknown_columns(&signins, ["UserPrincipalName", "RiskLevelDuringSignin"]);
//! assert_eq!(unknown.len(), 1);
//! assert_eq!(unknown[0].to_string(), "`RiskLevelDuringSignin` (did you mean `RiskLevelDuringSignIn`?)");
//! assert_eq!(schemas.suggest_table("SignInLogs").as_deref(), Some("SigninLogs"));
//! ```

use std::fmt;
use std::sync::Arc;

use kqlite_engine::catalog::SchemaProvider;
use kqlite_engine::did_you_mean;
use kqlite_engine::{DataType, Engine, Table};

use crate::catalog::{builtin, BuiltinCatalog, EntryKind, Environment};
use crate::schema_file::SchemaSet;
use crate::{Dataset, GenError, GenOptions};

/// Columns Kusto keeps out of every table's schema but fixtures may set:
/// `_IngestionTime`, what `ingestion_time()` returns (when a row has none,
/// it falls back to `TimeGenerated`).
pub const HIDDEN_COLUMNS: [(&str, DataType); 1] = [("_IngestionTime", DataType::DateTime)];

/// Where a table's schema comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaSource {
    /// A schema file the user gave (a custom table, or a replacement for a
    /// built-in one).
    Declared,
    /// The built-in catalog.
    Catalog,
}

/// A table's columns and where they come from.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSchema {
    /// Column names and types, in order.
    pub columns: Vec<(String, DataType)>,
    /// Where they come from.
    pub source: SchemaSource,
}

/// A column that table data has but its schema does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownColumn {
    /// The column's name in the data.
    pub name: String,
    /// The schema column it most likely means.
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.name)?;
        if let Some(s) = &self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

/// The schemas of every table a run or test can read: the user's declared
/// tables over the built-in catalog of one [`Environment`].
#[derive(Debug, Clone)]
pub struct TableSchemas {
    declared: Arc<SchemaSet>,
    catalog: Arc<BuiltinCatalog>,
}

impl TableSchemas {
    /// The declared tables of `declared` over the built-in catalog as
    /// `environment` sees it.
    pub fn new(declared: Arc<SchemaSet>, environment: Environment) -> TableSchemas {
        TableSchemas {
            declared,
            catalog: builtin(environment),
        }
    }

    /// The tables the user declared.
    pub fn declared(&self) -> &SchemaSet {
        &self.declared
    }

    /// The schema of `table`, if it is declared or in the catalog (tables
    /// and the parser outputs that queries read as tables).
    pub fn get(&self, table: &str) -> Option<TableSchema> {
        if let Some(columns) = self.declared.table(table) {
            return Some(TableSchema {
                columns: columns.to_vec(),
                source: SchemaSource::Declared,
            });
        }
        self.catalog.table(table).map(|t| TableSchema {
            columns: t.schema.clone(),
            source: SchemaSource::Catalog,
        })
    }

    /// The known table `table` most likely means (a misspelling such as
    /// `SignInLogs`), if one is close.
    pub fn suggest_table(&self, table: &str) -> Option<String> {
        let catalog_tables = self
            .catalog
            .names()
            .into_iter()
            .filter(|n| self.catalog.kind(n) != Some(EntryKind::Function));
        let declared = self.declared.tables().map(|(n, _)| n);
        did_you_mean(table, declared.chain(catalog_tables)).map(str::to_string)
    }

    /// The columns among `names` that `schema` does not have, each with the
    /// schema column it most likely means. Names match exactly, as Kusto's
    /// column names do.
    pub fn unknown_columns<'a>(
        &self,
        schema: &TableSchema,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Vec<UnknownColumn> {
        names
            .into_iter()
            .filter(|n| !schema.columns.iter().any(|(c, _)| c == n))
            .filter(|n| !HIDDEN_COLUMNS.iter().any(|(h, _)| h == n))
            .map(|n| UnknownColumn {
                name: n.to_string(),
                suggestion: did_you_mean(n, schema.columns.iter().map(|(c, _)| c.as_str()))
                    .map(str::to_string),
            })
            .collect()
    }

    /// The columns to register data under: `schema`'s, then any of
    /// [`HIDDEN_COLUMNS`] the data has (`data_columns`).
    pub fn columns_for_data<'a>(
        &self,
        schema: &TableSchema,
        data_columns: impl IntoIterator<Item = &'a str>,
    ) -> Vec<(String, DataType)> {
        let mut columns = schema.columns.clone();
        for name in data_columns {
            if let Some((h, ty)) = HIDDEN_COLUMNS.iter().find(|(h, _)| *h == name) {
                if !columns.iter().any(|(c, _)| c == h) {
                    columns.push((h.to_string(), *ty));
                }
            }
        }
        columns
    }

    /// Adds `table` to `engine` as `name`, under the table's declared or
    /// catalog schema (columns the data lacks read as nulls; hidden columns
    /// the data has, such as `_IngestionTime`, are kept), or under its own
    /// columns when kqlite does not know the table.
    pub fn add_table(&self, engine: &mut Engine, name: impl Into<String>, table: Table) {
        let name = name.into();
        match self.get(&name) {
            Some(schema) => {
                let columns = self.columns_for_data(&schema, table.column_names());
                engine.add_table_with_schema(name, table, columns);
            }
            None => engine.add_table(name, table),
        }
    }

    /// Synthetic rows for `tables` from `opts`: a declared table from its
    /// declared columns ([`crate::generate_any`]), every other one from the
    /// built-in generators ([`crate::generate_dataset`]: the Entra ID
    /// tables with their labelled scenarios, any other catalog table from
    /// its columns). Labels cover the Entra ID tables only.
    pub fn generate(&self, opts: &GenOptions, tables: &[&str]) -> Result<Dataset, GenError> {
        let (declared, builtin): (Vec<&str>, Vec<&str>) = tables
            .iter()
            .copied()
            .partition(|t| self.declared.table(t).is_some());
        let mut dataset = if builtin.is_empty() {
            Dataset {
                tables: Vec::new(),
                labels: kqlite_engine::Table::default(),
            }
        } else {
            crate::generate_dataset(opts, &builtin, self.catalog.environment())?
        };
        for name in declared {
            let columns = self.declared.table(name).unwrap_or_default();
            let synthetic = crate::SyntheticOptions {
                rows: crate::synthetic::synthetic_rows(opts, name),
                seed: opts.seed,
                now: opts.now,
                window: opts.window,
                ..crate::SyntheticOptions::default()
            };
            let table = crate::generate_any(name, columns, &synthetic)?;
            dataset.tables.push((name.to_string(), table));
        }
        Ok(dataset)
    }

    /// Makes every catalog table and function and every declared table
    /// known to `engine` (by schema; data is added separately). Returns
    /// notes about declared functions that could not be used.
    pub fn install(&self, engine: &mut Engine) -> Vec<String> {
        engine
            .catalog_mut()
            .add_provider(Arc::clone(&self.catalog) as Arc<dyn SchemaProvider>);
        self.declared.install(engine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentinel() -> TableSchemas {
        TableSchemas::new(Arc::new(SchemaSet::new()), Environment::Sentinel)
    }

    #[test]
    fn any_catalog_table_has_a_schema_from_the_catalog() {
        let s = sentinel();
        let t = s.get("DeviceProcessEvents").expect("catalog table");
        assert_eq!(t.source, SchemaSource::Catalog);
        assert!(t
            .columns
            .iter()
            .any(|(c, ty)| c == "ProcessCommandLine" && *ty == DataType::String));
        assert!(s.get("NoSuchTable").is_none());
    }

    #[test]
    fn a_declared_table_wins_over_the_catalog() {
        let set =
            crate::schema_file::parse(r#"{"SigninLogs": {"Only": "string"}}"#, "s.json", None)
                .expect("schema");
        let s = TableSchemas::new(Arc::new(set), Environment::Sentinel);
        let t = s.get("SigninLogs").expect("declared");
        assert_eq!(t.source, SchemaSource::Declared);
        assert_eq!(t.columns, vec![("Only".to_string(), DataType::String)]);
    }

    #[test]
    fn a_misspelt_column_is_unknown_with_the_real_name_suggested() {
        let s = sentinel();
        let t = s.get("SecurityEvent").expect("catalog table");
        let unknown = s.unknown_columns(&t, ["EventID", "Acount", "Computer"]);
        assert_eq!(
            unknown,
            vec![UnknownColumn {
                name: "Acount".into(),
                suggestion: Some("Account".into())
            }]
        );
    }

    #[test]
    fn a_misspelt_table_suggests_the_catalog_table() {
        assert_eq!(
            sentinel().suggest_table("DeviceProcesEvents").as_deref(),
            Some("DeviceProcessEvents")
        );
        assert_eq!(sentinel().suggest_table("Zzzzqqqq"), None);
    }
}
