//! Stored workspace functions: functions the catalog holds as code (a
//! Sentinel parser, a saved function), inlined at each call like a `let`
//! function, but bound in their own scope and with their own source text.
//!
//! Diagnostics found inside a stored function have spans into its code, not
//! into the query: they are gathered and reported as one error at the call,
//! naming the function and where in its file the first one is.

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind, LetValue, StatementKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::{BResult, Binder, Binding, Reported, Schema};
use crate::catalog::StoredFunction;

/// How deep [`Binder::stored_is_tabular`] follows names to other functions.
const MAX_SHAPE_DEPTH: usize = 16;

/// A call of a stored function being inlined.
pub(crate) struct StoredCall<'f> {
    /// The name it was called by.
    pub(crate) name: &'f str,
    /// Its code.
    pub(crate) function: &'f StoredFunction,
}

impl<'a> Binder<'a> {
    /// Inlines a call of the stored function `function` (named or called
    /// as `call.name`).
    pub(crate) fn call_stored_function(
        &mut self,
        function: &Arc<StoredFunction>,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<Binding> {
        let name = call.name.name.as_str();
        if self.stored_stack.iter().any(|n| n == name) {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "workspace function `{name}` ({}) calls itself (recursion is not supported)",
                    function.origin()
                ),
                span,
            )));
        }
        self.stored_stack.push(name.to_string());
        let sc = StoredCall {
            name,
            function: function.as_ref(),
        };
        let def = Arc::clone(function.def());
        let result = self.inline_function(&def, call, span, row, Some(&sc));
        self.stored_stack.pop();
        result
    }

    /// Inlines a call of a stored function used where a table is expected,
    /// by name (`MyParser`) or called (`MyParser(...)`).
    pub(crate) fn bind_stored_table(
        &mut self,
        function: &Arc<StoredFunction>,
        call: &ast::Call,
        span: Span,
    ) -> BResult<(Arc<super::Plan>, Schema)> {
        let result = self.call_stored_function(function, call, span, None)?;
        let what = format!("workspace function `{}`", call.name.name);
        self.tabular_result(result, &what, span)
    }

    /// Runs `bind` on code of the stored function `sc`: only `let`s from
    /// `floor` on are in scope, and the diagnostics it reports become one
    /// error at `span` (its warnings are dropped: they are about the
    /// function's code, not the query).
    pub(crate) fn isolated<T>(
        &mut self,
        sc: &StoredCall<'_>,
        span: Span,
        floor: usize,
        bind: impl FnOnce(&mut Binder<'a>) -> BResult<T>,
    ) -> BResult<T> {
        let diags_before = self.diags.len();
        let errors_before = self.errors;
        let error_spans = std::mem::take(&mut self.error_spans);
        let recovering = std::mem::replace(&mut self.recovering, false);
        let scope_floor = std::mem::replace(&mut self.scope_floor, floor);
        let result = bind(self);
        self.scope_floor = scope_floor;
        self.recovering = recovering;
        self.error_spans = error_spans;
        let inner: Vec<_> = self.diags.drain(diags_before..).collect();
        let first = inner.into_iter().find(|d| d.is_error());
        let failed = self.errors > errors_before;
        match (first, result) {
            (Some(d), _) => {
                let mut wrapped = names::error(
                    d.code,
                    format!(
                        "in workspace function `{}` ({}): {}",
                        sc.name,
                        sc.function.location(d.span),
                        d.message
                    ),
                    span,
                );
                wrapped.hint = d.hint;
                Err(self.fail(wrapped))
            }
            (None, Ok(_)) if failed => Err(Reported),
            (None, r) => r,
        }
    }

    /// Whether the stored function `f` returns a table, judged from the
    /// shape of its body.
    pub(crate) fn stored_is_tabular(&self, f: &StoredFunction) -> bool {
        // `is_tabular` may come back here through `let` functions of the
        // query: bound the whole descent, not just this one.
        let depth = self.shape_depth.get();
        if depth > MAX_SHAPE_DEPTH {
            return false;
        }
        self.shape_depth.set(depth + 1);
        let tabular = self.body_is_tabular(&f.def().body, 0);
        self.shape_depth.set(depth);
        tabular
    }

    fn body_is_tabular(&self, body: &[ast::Statement], depth: usize) -> bool {
        let Some(StatementKind::Query(q)) = body.last().map(|s| &s.kind) else {
            return false;
        };
        self.shape_is_tabular(body, q, depth)
    }

    /// Whether `e`, with the `let`s of `body` in scope, denotes a table:
    /// names of the body's `let`s and of stored functions are followed, up
    /// to [`MAX_SHAPE_DEPTH`] deep.
    fn shape_is_tabular(&self, body: &[ast::Statement], e: &Expr, depth: usize) -> bool {
        if depth > MAX_SHAPE_DEPTH {
            return false;
        }
        let name = match &e.kind {
            ExprKind::Paren(inner) => return self.shape_is_tabular(body, inner, depth + 1),
            ExprKind::Name(id) => &id.name,
            ExprKind::Call(c) => &c.name.name,
            _ => return self.is_tabular(e),
        };
        let local = body.iter().rev().find_map(|s| match &s.kind {
            StatementKind::Let(l) if &l.name.name == name => Some(&l.value),
            _ => None,
        });
        match local {
            Some(LetValue::Function(f)) => self.body_is_tabular(&f.body, depth + 1),
            Some(LetValue::Expr(v)) => self.shape_is_tabular(body, v, depth + 1),
            None => match self.catalog.stored_function(name) {
                Some(f) => self.body_is_tabular(&f.def().body, depth + 1),
                None => self.is_tabular(e),
            },
        }
    }

    /// Reports a call, where a table is expected, of a name that is no
    /// function at all: most often a workspace function or parser whose
    /// code was not given.
    pub(crate) fn unknown_tabular_function(&mut self, call: &ast::Call) -> Reported {
        let name = call.name.name.as_str();
        let d = names::error(
            codes::UNKNOWN_FUNCTION,
            format!("unknown function `{name}`"),
            call.name.span,
        );
        let cands = self.table_names_in_scope();
        let d = names::suggest(d, name, cands.iter().map(String::as_str));
        let d = if d.hint.is_none() {
            names::with_hint(
                d,
                "a workspace function or parser binds once its code is loaded (`--functions DIR`)",
            )
        } else {
            d
        };
        self.fail(d)
    }
}
