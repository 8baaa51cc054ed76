//! The query's deadline and cancel flag while binding: a query with
//! thousands of statements or operators stops binding once its time is up,
//! as evaluation does.

use kqlite_parser::Span;

use super::names;
use super::Binder;
use crate::engine::codes;
use crate::eval::EvalError;

impl Binder<'_> {
    /// Whether binding must stop: the guard's deadline passed or its
    /// cancel handle fired. The first time, reports `E1106` (time) or
    /// `E1105` (cancelled) at `span`.
    pub(crate) fn out_of_time(&mut self, span: Span) -> bool {
        if self.stopped {
            return true;
        }
        let Some(Err(e)) = self.guard.as_ref().map(|g| g.check()) else {
            return false;
        };
        self.stopped = true;
        let code = match e {
            EvalError::Cancelled => codes::CANCELLED,
            _ => codes::TIMED_OUT,
        };
        let d = names::with_hint(
            names::error(code, format!("{e} (while binding the query)"), span),
            "narrow the query or raise the time limit",
        );
        self.fail(d);
        true
    }
}
