//! The kqlite evaluator: KQL types, columnar tables, the binder, operators,
//! scalar and aggregate functions, and table loaders and writers.

pub mod bitmap;
pub mod column;
pub mod function;
pub mod table;
pub mod time;
pub mod types;
pub mod value;

pub use column::{Column, ColumnData};
pub use table::Table;
pub use types::DataType;
pub use value::{Dynamic, Value};
