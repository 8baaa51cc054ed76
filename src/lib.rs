//! kqlite: an embeddable KQL engine.

pub use kqlite_engine as engine;
pub use kqlite_parser as parser;
pub use kqlite_sentinel as sentinel;
