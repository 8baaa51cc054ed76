#![doc = include_str!("../README.md")]
//!
//! # Crate map
//!
//! This facade re-exports the small API most users need. The underlying
//! crates are available as [`parser`], [`engine`] and [`sentinel`].

pub use kqlite_engine as engine;
pub use kqlite_parser as parser;
pub use kqlite_sentinel as sentinel;

pub use kqlite_engine::io;
pub use kqlite_engine::{Column, ColumnData, DataType, Dynamic, Table, Value};
pub use kqlite_engine::{Engine, QueryError, RunOptions};
pub use kqlite_parser::diagnostic::{Diagnostic, Severity};
pub use kqlite_parser::parse;
