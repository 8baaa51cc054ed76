//! The KQL parser: query text to a spanned [`ast::Script`].

pub mod ast;
pub mod span;

pub use span::Span;
