//! The kqlite evaluator: KQL types, columnar tables, the binder, operators,
//! scalar and aggregate functions, and table loaders and writers.

mod bind;
pub mod bitmap;
pub mod catalog;
pub mod column;
mod concat;
pub mod engine;
pub mod error;
pub mod eval;
mod explain;
pub mod function;
mod functions;
pub mod io;
mod kernels;
mod naming;
pub mod registry;
pub mod shred;
pub mod table;
pub mod time;
mod type_rules;
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

/// The closest of `candidates` to a misspelt `name`, for "did you mean"
/// hints (the same rule the binder's own hints use).
pub use bind::names::did_you_mean;
/// A geo-IP table for `geo_info_from_ip_address` (see
/// [`Engine::set_geoip`]).
pub use functions::geoip::{GeoIpTable, GeoLocation};
