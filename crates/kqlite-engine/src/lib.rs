//! The kqlite evaluator: KQL types, columnar tables, the binder, operators,
//! scalar and aggregate functions, and table loaders and writers.

pub mod bind;
pub mod bitmap;
pub mod catalog;
pub mod column;
mod concat;
pub mod engine;
pub mod error;
pub mod eval;
mod explain;
pub mod function;
pub mod functions;
pub mod io;
pub mod kernels;
pub mod naming;
pub mod registry;
pub mod table;
pub mod time;
pub mod type_rules;
pub mod types;
pub mod value;
mod zones;

pub use column::{Column, ColumnData};
pub use table::Table;
pub use types::DataType;
pub use value::{Dynamic, Value};

pub use catalog::Catalog;
pub use engine::{Engine, QueryOutput, RunOptions, RunWarning};
pub use error::QueryError;
