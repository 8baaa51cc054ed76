//! Scalar calls bound specially: their value or type depends on a constant
//! argument, a table's schema or a `set` option rather than on argument
//! types alone.

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::plan::{BoundExpr, BoundExprKind, Schema};
use super::{BResult, Binder};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

impl Binder<'_> {
    /// Binds `call` when it is one of the specially bound functions;
    /// `None` leaves it to the registry.
    pub(crate) fn bind_special_call(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> Option<BResult<BoundExpr>> {
        match call.name.name.as_str() {
            "column_names_of" => Some(self.bind_column_names_of(call, span)),
            "bin_auto" => Some(self.bind_bin_auto(call, span, row)),
            "datetime_diff" if is_week(call.args.first()) => {
                Some(self.bind_week_diff(call, span, row))
            }
            _ => None,
        }
    }

    /// `column_names_of(T)`: the column names of a tabular expression, as a
    /// dynamic array known while binding.
    fn bind_column_names_of(&mut self, call: &ast::Call, span: Span) -> BResult<BoundExpr> {
        let [arg] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`column_names_of` expects 1 argument",
                span,
            )));
        };
        if !self.is_tabular(arg) {
            return Err(self.fail(names::error(
                codes::WRONG_KIND,
                "`column_names_of` expects a tabular expression",
                arg.span,
            )));
        }
        let (_, schema) = self.bind_tabular(arg)?;
        let names: Vec<Dynamic> = schema
            .iter()
            .map(|(n, _)| Dynamic::String(Arc::from(n.as_str())))
            .collect();
        Ok(BoundExpr::literal(
            Value::Dynamic(Dynamic::Array(Arc::new(names))),
            DataType::Dynamic,
            span,
        ))
    }

    /// The value of a `set name = value;` option, last one winning.
    fn setting(&self, name: &str) -> Option<&Option<Expr>> {
        self.settings
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// `bin_auto(x)`: `bin_at(x, size, at)` with the size and origin taken
    /// from the `query_bin_auto_size` and `query_bin_auto_at` options.
    fn bind_bin_auto(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        let [arg] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`bin_auto` expects 1 argument",
                span,
            )));
        };
        let Some(Some(size)) = self.setting("query_bin_auto_size").cloned() else {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::INVALID,
                    "`bin_auto` needs the bin size from `set query_bin_auto_size = ...;`",
                    span,
                ),
                "add `set query_bin_auto_size = 1h;` before the query",
            )));
        };
        let mut args = vec![arg.clone(), size];
        let name = match self.setting("query_bin_auto_at").cloned() {
            Some(Some(at)) => {
                args.push(at);
                "bin_at"
            }
            _ => "bin",
        };
        let inner = ast::Call {
            name: ast::Ident {
                name: name.to_string(),
                span: call.name.span,
            },
            args,
            named: Vec::new(),
        };
        let e = Expr {
            kind: ExprKind::Call(inner),
            span,
        };
        self.bind_scalar(&e, row)
    }

    /// `datetime_diff('week', a, b)`: Kusto types the week count as real
    /// (a whole number), unlike every other part's long.
    fn bind_week_diff(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        let inner = ast::Call {
            name: ast::Ident {
                name: "datetime_diff".to_string(),
                span: call.name.span,
            },
            args: call.args.clone(),
            named: Vec::new(),
        };
        let Some(func) = self.registry.scalar("datetime_diff").cloned() else {
            return Err(self.fail(names::error(
                codes::UNKNOWN_FUNCTION,
                "unknown function `datetime_diff`",
                call.name.span,
            )));
        };
        let mut args = Vec::with_capacity(inner.args.len());
        for a in &inner.args {
            args.push(self.bind_scalar(a, row)?);
        }
        let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
        if let Err(err) = func.return_type(&types) {
            return Err(self.fail(super::expr::function_diag("datetime_diff", &err, span)));
        }
        let diff = BoundExpr {
            kind: BoundExprKind::Call { func, args },
            ty: DataType::Long,
            span,
        };
        Ok(BoundExpr {
            kind: BoundExprKind::Cast {
                expr: Box::new(diff),
                to: DataType::Real,
            },
            ty: DataType::Real,
            span,
        })
    }
}

/// Whether `e` is the string literal `'week'` (any case).
fn is_week(e: Option<&Expr>) -> bool {
    matches!(
        e.map(|e| &e.kind),
        Some(ExprKind::Literal(ast::Literal::String(s))) if s.eq_ignore_ascii_case("week")
    )
}

impl Binder<'_> {
    /// Splits `percentiles(x, p1, p2, ...)` into one `percentiles(x, p)`
    /// aggregate per percentile, each its own output column: named by the
    /// item's tuple of names `(a, b, ...)` when given, else by default
    /// (`percentile_x_p1`, ...).
    pub(crate) fn expand_percentiles(
        &mut self,
        items: &[ast::NamedExpr],
    ) -> BResult<Vec<ast::NamedExpr>> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let call = match &item.expr.kind {
                ExprKind::Call(c) if c.name.name == "percentiles" && c.args.len() > 2 => c,
                _ => {
                    out.push(item.clone());
                    continue;
                }
            };
            let (value, points) = call.args.split_at(1);
            if !item.names.is_empty() && item.names.len() != points.len() {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!(
                        "`percentiles` with {} percentiles needs {} output names, got {}",
                        points.len(),
                        points.len(),
                        item.names.len()
                    ),
                    item.span,
                )));
            }
            for (i, p) in points.iter().enumerate() {
                let mut args = value.to_vec();
                args.push(p.clone());
                out.push(ast::NamedExpr {
                    names: item.names.get(i).cloned().into_iter().collect(),
                    expr: Expr {
                        kind: ExprKind::Call(ast::Call {
                            name: call.name.clone(),
                            args,
                            named: Vec::new(),
                        }),
                        span: item.expr.span,
                    },
                    span: item.span,
                });
            }
        }
        Ok(out)
    }
}
