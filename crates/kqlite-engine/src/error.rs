//! Query errors: what [`crate::engine::Engine::run`] returns when a query
//! cannot be answered.

use kqlite_parser::diagnostic::Diagnostic;
use kqlite_parser::ParseError;

/// Why a query produced no result.
///
/// User mistakes (bad syntax, unknown names, type errors, failures on the
/// data) carry spans into the query text; [`QueryError::Internal`] is a bug in
/// kqlite itself.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The text is not valid KQL.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// Names, types or constructs are wrong (errors only; warnings are
    /// reported by `check`).
    #[error("{}", first_message(.0))]
    Bind(Vec<Diagnostic>),
    /// Evaluation failed on the data (e.g. a function rejected its input, a
    /// table named in the query has no data).
    #[error("{}", .0.message)]
    Eval(Diagnostic),
    /// A bug in kqlite: an invariant the binder should have guaranteed did not
    /// hold during evaluation.
    #[error("internal error: {0}")]
    Internal(String),
}

fn first_message(diags: &[Diagnostic]) -> String {
    match diags.first() {
        Some(d) if diags.len() > 1 => format!("{} (and {} more)", d.message, diags.len() - 1),
        Some(d) => d.message.clone(),
        None => "query is invalid".to_string(),
    }
}

impl QueryError {
    /// The code of the first diagnostic, e.g.
    /// [`codes::TIMED_OUT`](crate::engine::codes::TIMED_OUT) for a query
    /// stopped by its time limit (`None` for an internal error).
    pub fn code(&self) -> Option<&'static str> {
        self.diagnostics().first().map(|d| d.code)
    }

    /// The diagnostics to show for this error (none for an internal error).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            QueryError::Parse(e) => e.diagnostics(),
            QueryError::Bind(d) => d,
            QueryError::Eval(d) => std::slice::from_ref(d),
            _ => &[],
        }
    }
}
