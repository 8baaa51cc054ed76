//! Diagnostics: errors and warnings with a span, labels and a hint.
//!
//! The parser reports syntax errors with these, and the engine's binder
//! reports semantic errors and warnings with the same type, so one renderer
//! ([`crate::render`]) prints them all. A diagnostic is plain data; line and column
//! numbers are computed only when it is rendered.

use std::fmt;

use crate::span::Span;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The query cannot run.
    Error,
    /// The query runs, but probably not as intended.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One error or warning about a query text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code such as `E0004` (parser codes are listed in [`codes`]).
    pub code: &'static str,
    /// One-line reason, lower case, no trailing period.
    pub message: String,
    /// The primary location.
    pub span: Span,
    /// Secondary locations with a short note each.
    pub labels: Vec<(Span, String)>,
    /// A suggestion shown as `= help: ...`.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span,
            labels: Vec::new(),
            hint: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push((span, text.into()));
        self
    }

    /// Sets the hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// A one-line form: `error[E0004]: unknown operator `wher` at 12..16`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: {} at {}..{}",
            self.severity, self.code, self.message, self.span.start, self.span.end
        )
    }
}

/// A query text that does not parse: one or more error [`Diagnostic`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", first_message(.diagnostics))]
pub struct ParseError {
    diagnostics: Vec<Diagnostic>,
}

fn first_message(diagnostics: &[Diagnostic]) -> String {
    diagnostics.first().map_or_else(
        || "the query does not parse".to_string(),
        ToString::to_string,
    )
}

impl ParseError {
    /// An error made of these diagnostics.
    pub fn new(diagnostics: Vec<Diagnostic>) -> ParseError {
        ParseError { diagnostics }
    }

    /// The diagnostics, most important first.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The diagnostics, by value.
    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

impl From<Diagnostic> for ParseError {
    fn from(d: Diagnostic) -> ParseError {
        ParseError {
            diagnostics: vec![d],
        }
    }
}

/// The codes the parser emits. The engine uses codes from `E1000` up.
pub mod codes {
    /// Unexpected text: something else was expected here.
    pub const UNEXPECTED: &str = "E0001";
    /// A string literal with no closing quote.
    pub const UNTERMINATED_STRING: &str = "E0002";
    /// A number followed by an unknown timespan unit, or a bad `time(...)`.
    pub const BAD_TIMESPAN: &str = "E0003";
    /// An unknown tabular operator after `|`.
    pub const UNKNOWN_OPERATOR: &str = "E0004";
    /// `=` where a comparison was meant.
    pub const ASSIGN_NOT_COMPARE: &str = "E0005";
    /// A comma followed by nothing.
    pub const TRAILING_COMMA: &str = "E0006";
    /// Two statements with no `;` between them.
    pub const MISSING_SEMICOLON: &str = "E0007";
    /// A `(`, `[` or `{` that is never closed, or a stray closer.
    pub const UNBALANCED: &str = "E0008";
    /// An expression was expected.
    pub const EXPECTED_EXPR: &str = "E0009";
    /// An unknown `kind=` of `join` or `lookup`.
    pub const UNKNOWN_JOIN_KIND: &str = "E0010";
    /// An operator name with no `|` before it.
    pub const MISSING_PIPE: &str = "E0011";
    /// Nesting deeper than [`crate::ParseOptions::max_depth`].
    pub const TOO_DEEP: &str = "E0012";
    /// Query text longer than `u32::MAX` bytes.
    pub const TOO_LARGE: &str = "E0013";
    /// A malformed literal: number out of range, bad `datetime`, `guid`, `dynamic`.
    pub const BAD_LITERAL: &str = "E0014";
    /// An unknown type name.
    pub const UNKNOWN_TYPE: &str = "E0015";
    /// Comparisons chained without parentheses (`a < b < c`).
    pub const CHAINED_COMPARISON: &str = "E0016";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_fill_labels_and_hint() {
        let d = Diagnostic::error(codes::UNEXPECTED, "expected `)`", Span::new(3, 4))
            .with_label(Span::new(0, 1), "opened here")
            .with_hint("close it");
        assert!(d.is_error());
        assert_eq!(d.labels.len(), 1);
        assert_eq!(d.hint.as_deref(), Some("close it"));
        assert_eq!(d.to_string(), "error[E0001]: expected `)` at 3..4");
    }

    #[test]
    fn warnings_are_not_errors() {
        let d = Diagnostic::warning("E1001", "string compared with a number", Span::new(0, 1));
        assert!(!d.is_error());
        assert_eq!(d.severity.to_string(), "warning");
    }
}
