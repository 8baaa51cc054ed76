//! Tables: an ordered set of named, equally long columns.

use std::sync::Arc;

use indexmap::IndexMap;

use crate::column::Column;
use crate::types::DataType;
use crate::value::Value;

/// The error of building a table from columns of different lengths or with
/// duplicate names.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableError {
    /// A column's length differs from the others.
    #[error("column `{name}` has {len} rows, expected {expected}")]
    Length {
        /// Column name.
        name: String,
        /// Its length.
        len: usize,
        /// The table's row count.
        expected: usize,
    },
    /// Two columns share a name.
    #[error("duplicate column `{0}`")]
    Duplicate(String),
    /// An input names so many distinct columns for its size that the
    /// table would take memory quadratic in it (e.g. a new key in every
    /// JSON line).
    #[error(
        "the input names {columns} distinct columns by row {rows}, far more than its values fill; \
         keep keys that vary from row to row inside one `dynamic` column"
    )]
    TooWide {
        /// Columns when the load stopped.
        columns: usize,
        /// Rows read by then.
        rows: usize,
    },
}

/// A columnar table. Columns are reference-counted so that `project`,
/// `extend` and friends share them instead of copying.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: IndexMap<String, Arc<Column>>,
    num_rows: usize,
}

impl Table {
    /// A table with no columns and `num_rows` rows (the input of `print`).
    pub fn empty(num_rows: usize) -> Table {
        Table {
            columns: IndexMap::new(),
            num_rows,
        }
    }

    /// Builds a table from named columns, checking lengths and names.
    pub fn try_new(
        columns: impl IntoIterator<Item = (String, Arc<Column>)>,
    ) -> Result<Table, TableError> {
        let mut map: IndexMap<String, Arc<Column>> = IndexMap::new();
        let mut num_rows = None;
        for (name, col) in columns {
            let len = col.len();
            let expected = *num_rows.get_or_insert(len);
            if len != expected {
                return Err(TableError::Length {
                    name,
                    len,
                    expected,
                });
            }
            if map.contains_key(&name) {
                return Err(TableError::Duplicate(name));
            }
            map.insert(name, col);
        }
        Ok(Table {
            columns: map,
            num_rows: num_rows.unwrap_or(0),
        })
    }

    /// The table laid out as `schema`: its columns by name, in the schema's
    /// order, converted to the schema's types (a value that does not convert
    /// is null); a column it lacks is all null. Columns not in the schema are
    /// left out (as for a declared plugin output schema).
    pub fn conform_to(&self, schema: &[(String, DataType)]) -> Table {
        let n = self.num_rows;
        let mut columns: IndexMap<String, Arc<Column>> = IndexMap::new();
        for (name, ty) in schema {
            let col = match self.columns.get(name) {
                Some(c) if c.data_type() == *ty => Arc::clone(c),
                Some(c) => {
                    let mut b = crate::column::ColumnBuilder::new(*ty, n);
                    for i in 0..n {
                        let v = crate::kernels::convert_value(&c.get(i), *ty);
                        if b.push(&v).is_err() {
                            b.push_null();
                        }
                    }
                    Arc::new(b.finish())
                }
                None => Arc::new(Column::nulls(*ty, n)),
            };
            columns.insert(name.clone(), col);
        }
        Table {
            columns,
            num_rows: n,
        }
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }

    /// Number of columns.
    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Arc<Column>> {
        self.columns.get(name)
    }

    /// The position of column `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.get_index_of(name)
    }

    /// Column `i` with its name.
    pub fn column_at(&self, i: usize) -> Option<(&str, &Arc<Column>)> {
        self.columns.get_index(i).map(|(k, v)| (k.as_str(), v))
    }

    /// Columns in order with their names.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Arc<Column>)> + '_ {
        self.columns.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Column names in order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.columns.keys().map(String::as_str)
    }

    /// (name, type) of each column, in order.
    pub fn schema(&self) -> Vec<(String, DataType)> {
        self.columns
            .iter()
            .map(|(k, v)| (k.clone(), v.data_type()))
            .collect()
    }

    /// Adds or replaces a column. Replacing keeps the column's position.
    /// The column must have `num_rows` rows (or the table must have no
    /// columns yet, in which case it sets the row count).
    pub fn set_column(
        &mut self,
        name: impl Into<String>,
        col: Arc<Column>,
    ) -> Result<(), TableError> {
        let name = name.into();
        if self.columns.is_empty() && self.num_rows == 0 {
            self.num_rows = col.len();
        }
        if col.len() != self.num_rows {
            return Err(TableError::Length {
                name,
                len: col.len(),
                expected: self.num_rows,
            });
        }
        self.columns.insert(name, col);
        Ok(())
    }

    /// Removes a column, keeping the others in order.
    pub fn remove_column(&mut self, name: &str) -> Option<Arc<Column>> {
        self.columns.shift_remove(name)
    }

    /// The rows at `indices`, in that order, for every column.
    pub fn take(&self, indices: &[u32]) -> Table {
        Table {
            columns: self
                .columns
                .iter()
                .map(|(k, c)| (k.clone(), Arc::new(c.take(indices))))
                .collect(),
            num_rows: indices.len(),
        }
    }

    /// Row `i` as values (slow path: for results and tests).
    pub fn row(&self, i: usize) -> Vec<Value> {
        self.columns.values().map(|c| c.get(i)).collect()
    }

    /// Iterates over rows as values (slow path: for results and tests).
    pub fn rows(&self) -> impl Iterator<Item = Vec<Value>> + '_ {
        (0..self.num_rows).map(move |i| self.row(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::ColumnData;

    #[test]
    fn columns_of_different_lengths_are_rejected() {
        let a = Arc::new(Column::new(ColumnData::Long(vec![1, 2])));
        let b = Arc::new(Column::new(ColumnData::Long(vec![1])));
        let err = Table::try_new([("a".to_string(), a), ("b".to_string(), b)]).unwrap_err();
        assert!(matches!(err, TableError::Length { .. }));
    }

    #[test]
    fn take_reorders_every_column() {
        let a = Arc::new(Column::new(ColumnData::Long(vec![1, 2, 3])));
        let t = Table::try_new([("a".to_string(), a)]).unwrap();
        let t2 = t.take(&[2, 0]);
        assert_eq!(t2.row(0), vec![Value::Long(3)]);
        assert_eq!(t2.num_rows(), 2);
    }
}
