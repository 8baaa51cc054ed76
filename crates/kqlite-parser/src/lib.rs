//! The KQL parser: query text to a spanned [`ast::Script`], [`Diagnostic`]s
//! for what does not parse, a printer (`Display` on every AST node) that
//! writes canonical KQL, and [`render`], which shows any diagnostic (the
//! parser's or the engine's) against its query text in rustc's style.
//!
//! ```
//! use kqlite_parser::{parse, ast::StatementKind};
//!
//! let script = parse("let n = 5;\nSigninLogs | where ResultType == 0 | take n").unwrap();
//! assert_eq!(script.statements.len(), 2);
//! assert!(matches!(script.statements[1].kind, StatementKind::Query(_)));
//!
//! // The printer writes KQL that parses back to the same tree.
//! let again = parse(&script.to_string()).unwrap();
//! assert_eq!(again.without_spans(), script.without_spans());
//!
//! // Errors carry a code, a span and often a hint.
//! let err = parse("SigninLogs | wher ResultType == 0").unwrap_err();
//! let d = &err.diagnostics()[0];
//! assert_eq!(d.message, "unknown operator `wher`");
//! assert_eq!(d.hint.as_deref(), Some("did you mean `where`?"));
//! ```

pub mod ast;
pub mod diagnostic;
mod lex;
mod parser;
mod printer;
pub mod render;
pub mod span;
mod strip;

pub use diagnostic::{Diagnostic, ParseError, Severity};
pub use parser::{parse, parse_with, ParseOptions, BALANCE_AFTER};
pub use printer::format_guid;
pub use span::Span;
