//! Binding scalar expressions.

use kqlite_parser::ast::{self, BinaryOp, Expr, ExprKind, ListOp, UnaryOp};
use kqlite_parser::Span;

use super::literal::{self, flatten_into};
use super::names::{self, codes};
use super::plan::{BoundExpr, BoundExprKind, ListItems, Schema};
use super::{BResult, Binder, Binding, Reported};
use crate::function::{ColumnarValue, FunctionError};
use crate::kernels;
use crate::types::DataType;
use crate::value::Value;

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq
    )
}

/// Converts a function's complaint into a diagnostic at `span`.
pub(crate) fn function_diag(
    name: &str,
    err: &FunctionError,
    span: Span,
) -> kqlite_parser::diagnostic::Diagnostic {
    let code = match err {
        FunctionError::Arity { .. } => codes::ARITY,
        FunctionError::ArgType { .. } => codes::TYPE_MISMATCH,
        FunctionError::TooLarge { .. } => crate::engine::codes::TOO_MUCH_MEMORY,
        FunctionError::TooManyElements { .. } => crate::engine::codes::TOO_MUCH_MEMORY,
        _ => codes::INVALID,
    };
    names::error(code, format!("`{name}`: {err}"), span)
}

impl Binder<'_> {
    /// Binds a scalar expression; `row` is the schema of the rows it is
    /// evaluated over (`None` where no columns are in scope).
    pub(crate) fn bind_scalar(&mut self, e: &Expr, row: Option<&Schema>) -> BResult<BoundExpr> {
        let before = self.error_counts();
        let bound = self.bind_scalar_inner(e, row);
        match bound {
            // Every error inside followed from a name that failed to
            // resolve: stand in for the whole expression and go on.
            Err(Reported) if self.only_followed_since(before) => Ok(self.stand_in(e.span)),
            other => other,
        }
    }

    fn bind_scalar_inner(&mut self, e: &Expr, row: Option<&Schema>) -> BResult<BoundExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Literal(lit) => match literal::literal_value(lit) {
                Ok((v, t)) => Ok(BoundExpr::literal(v, t, span)),
                Err(err) => Err(self.fail(names::error(codes::INVALID, err.to_string(), span))),
            },
            ExprKind::Name(id) => self.bind_name(id, row),
            ExprKind::Paren(inner) => self.bind_scalar(inner, row),
            ExprKind::JoinSide(_) => Err(self.fail(names::error(
                codes::INVALID,
                "`$left` / `$right` are only allowed in join conditions",
                span,
            ))),
            ExprKind::Star => Err(self.fail(names::error(
                codes::INVALID,
                "`*` is only allowed as an argument of aggregates such as `count(*)` or `arg_max(x, *)`",
                span,
            ))),
            ExprKind::Member { target, member } => {
                // `step.column` inside `scan` names a column of the context row.
                if let (ExprKind::Name(id), Some(schema)) = (&target.kind, row) {
                    let dotted = format!("{}.{}", id.name, member.name);
                    if let Some(i) = schema.iter().position(|(n, _)| *n == dotted) {
                        let ty = schema.get(i).map_or(DataType::Dynamic, |(_, t)| *t);
                        return Ok(BoundExpr {
                            kind: BoundExprKind::Column(i),
                            ty,
                            span,
                        });
                    }
                }
                let t = self.bind_scalar(target, row)?;
                if t.ty != DataType::Dynamic {
                    return Err(self.fail(names::error(
                        codes::TYPE_MISMATCH,
                        format!("member access `.{}` needs a dynamic value, got {}", member.name, t.ty),
                        span,
                    )));
                }
                let key = member.name.clone();
                if let Some(v) = t.as_literal() {
                    let out = kernels::member(&ColumnarValue::Scalar(v.clone(), t.ty), &key, 1);
                    if let ColumnarValue::Scalar(v, ty) = out {
                        return Ok(BoundExpr::literal(v, ty, span));
                    }
                }
                Ok(BoundExpr {
                    kind: BoundExprKind::Member {
                        target: Box::new(t),
                        key,
                    },
                    ty: DataType::Dynamic,
                    span,
                })
            }
            ExprKind::Index { target, index } => {
                let t = self.bind_scalar(target, row)?;
                let i = self.bind_scalar(index, row)?;
                if t.ty != DataType::Dynamic {
                    return Err(self.fail(names::error(
                        codes::TYPE_MISMATCH,
                        format!("indexing needs a dynamic value, got {}", t.ty),
                        span,
                    )));
                }
                if let (Some(tv), Some(iv)) = (t.as_literal(), i.as_literal()) {
                    let out = kernels::index(
                        &ColumnarValue::Scalar(tv.clone(), t.ty),
                        &ColumnarValue::Scalar(iv.clone(), i.ty),
                        1,
                    );
                    if let ColumnarValue::Scalar(v, ty) = out {
                        return Ok(BoundExpr::literal(v, ty, span));
                    }
                }
                Ok(BoundExpr {
                    kind: BoundExprKind::Index {
                        target: Box::new(t),
                        index: Box::new(i),
                    },
                    ty: DataType::Dynamic,
                    span,
                })
            }
            ExprKind::Unary { op, operand } => {
                let o = self.bind_scalar(operand, row)?;
                if !(o.ty.is_numeric() || o.ty == DataType::TimeSpan || o.ty == DataType::Dynamic) {
                    let sign = if *op == UnaryOp::Neg { "-" } else { "+" };
                    return Err(self.fail(names::error(
                        codes::TYPE_MISMATCH,
                        format!("cannot apply unary `{sign}` to {}", o.ty),
                        span,
                    )));
                }
                if let Some(v) = o.as_literal() {
                    if let Ok(ColumnarValue::Scalar(v, ty)) =
                        kernels::unary(*op, &ColumnarValue::Scalar(v.clone(), o.ty), 1)
                    {
                        return Ok(BoundExpr::literal(v, ty, span));
                    }
                }
                let ty = o.ty;
                Ok(BoundExpr {
                    kind: BoundExprKind::Unary {
                        op: *op,
                        operand: Box::new(o),
                    },
                    ty,
                    span,
                })
            }
            ExprKind::Binary { op, left, right } => {
                let l = self.bind_scalar(left, row)?;
                let r = self.bind_scalar(right, row)?;
                if is_comparison(*op) {
                    self.warn_string_number(&l, names::derived_name(left), &r, *op, span);
                    self.warn_string_number(&r, names::derived_name(right), &l, *op, span);
                }
                self.bind_binary(*op, l, r, span)
            }
            ExprKind::List { op, expr, list } => self.bind_list(*op, expr, list, span, row),
            ExprKind::Between {
                negated,
                expr,
                low,
                high,
            } => {
                let x = self.bind_scalar(expr, row)?;
                let lo = self.bind_scalar(low, row)?;
                let hi = self.bind_scalar(high, row)?;
                // `t between (start .. 1d)`: a timespan high bound is a width.
                let width = x.ty == DataType::DateTime && hi.ty == DataType::TimeSpan;
                for (bound, op) in [(&lo, BinaryOp::GtEq), (&hi, BinaryOp::LtEq)] {
                    let bound_ty = if width && op == BinaryOp::LtEq {
                        DataType::DateTime
                    } else {
                        bound.ty
                    };
                    if let Err(err) = kernels::binary_type(op, x.ty, bound_ty) {
                        return Err(self.fail(names::error(
                            codes::TYPE_MISMATCH,
                            format!("`between` cannot compare {} with {}: {err}", x.ty, bound.ty),
                            span,
                        )));
                    }
                }
                Ok(BoundExpr {
                    kind: BoundExprKind::Between {
                        negated: *negated,
                        expr: Box::new(x),
                        low: Box::new(lo),
                        high: Box::new(hi),
                    },
                    ty: DataType::Bool,
                    span,
                })
            }
            ExprKind::Call(call) => self.bind_call(call, span, row),
            ExprKind::Pipe { .. } | ExprKind::Source(_) => Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    "a tabular expression is used where a scalar is expected",
                    span,
                ),
                "wrap it in `toscalar(...)` to use its first value",
            ))),
        }
    }

    fn bind_name(&mut self, id: &ast::Ident, row: Option<&Schema>) -> BResult<BoundExpr> {
        if let Some(schema) = row {
            if let Some(i) = schema.iter().position(|(n, _)| *n == id.name) {
                let ty = schema.get(i).map_or(DataType::Dynamic, |(_, t)| *t);
                // In an open schema the column's place is known only when
                // the query runs: find it by name.
                if self.is_open(schema) {
                    return Ok(BoundExpr {
                        kind: BoundExprKind::ColumnByName(id.name.clone()),
                        ty,
                        span: id.span,
                    });
                }
                return Ok(BoundExpr {
                    kind: BoundExprKind::Column(i),
                    ty,
                    span: id.span,
                });
            }
        }
        match self.lookup(&id.name) {
            Some(Binding::Scalar(b)) => Ok(BoundExpr { span: id.span, ..b }),
            Some(Binding::Failed) => Err(Reported),
            Some(Binding::Tabular(..)) => Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    format!("`{}` is a table, used where a scalar is expected", id.name),
                    id.span,
                ),
                "wrap it in `toscalar(...)` to use its first value",
            ))),
            Some(Binding::Function(_)) => Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    format!("`{}` is a function", id.name),
                    id.span,
                ),
                format!("call it: `{}()`", id.name),
            ))),
            None if self.catalog.get(&id.name).is_some() => Err(self.fail(names::error(
                codes::WRONG_KIND,
                format!("`{}` is a table, used where a scalar is expected", id.name),
                id.span,
            ))),
            None if row.is_some_and(|s| self.is_open(s)) => Ok(BoundExpr {
                kind: BoundExprKind::ColumnByName(id.name.clone()),
                ty: DataType::Dynamic,
                span: id.span,
            }),
            None => {
                let mut cands: Vec<String> = row
                    .map(|s| s.iter().map(|(n, _)| n.clone()).collect())
                    .unwrap_or_default();
                cands.extend(self.let_names());
                let what = if row.is_some() { "column" } else { "name" };
                let d = names::error(
                    codes::UNKNOWN_COLUMN,
                    format!("unknown {what} `{}`", id.name),
                    id.span,
                );
                let d = names::suggest(d, &id.name, cands.iter().map(String::as_str));
                Ok(self.unresolved(d))
            }
        }
    }

    pub(crate) fn bind_binary(
        &mut self,
        op: BinaryOp,
        l: BoundExpr,
        r: BoundExpr,
        span: Span,
    ) -> BResult<BoundExpr> {
        let ty = match kernels::binary_type(op, l.ty, r.ty) {
            Ok(t) => t,
            Err(err) => {
                return Err(self.fail(names::error(
                    codes::TYPE_MISMATCH,
                    format!("cannot apply `{}` to {} and {}: {err}", op, l.ty, r.ty),
                    span,
                )))
            }
        };
        if let (Some(a), Some(b)) = (l.as_literal(), r.as_literal()) {
            if let Ok(ColumnarValue::Scalar(v, t)) = kernels::binary(
                op,
                &ColumnarValue::Scalar(a.clone(), l.ty),
                &ColumnarValue::Scalar(b.clone(), r.ty),
                1,
            ) {
                return Ok(BoundExpr::literal(v, t, span));
            }
        }
        Ok(BoundExpr {
            kind: BoundExprKind::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
            ty,
            span,
        })
    }

    /// `W0001`: a string column compared with a number literal compares the
    /// number's text, which is rarely what the author meant.
    fn warn_string_number(
        &mut self,
        column: &BoundExpr,
        column_name: Option<String>,
        number: &BoundExpr,
        op: BinaryOp,
        span: Span,
    ) {
        if column.ty != DataType::String || column.as_literal().is_some() {
            return;
        }
        let Some(v) = number.as_literal() else {
            return;
        };
        if !number.ty.is_numeric() || v.is_null() {
            return;
        }
        let what = match &column_name {
            Some(n) => format!("string column `{n}`"),
            None => "a string".to_string(),
        };
        let d = names::warning(
            codes::STRING_NUMBER_COMPARE,
            format!("{what} is compared with the number {v} using `{}`", op),
            span,
        )
        .with_label(
            number.span,
            "this number is compared as the text \"".to_string() + &v.to_string() + "\"",
        );
        let hint = match &column_name {
            Some(n) => format!(
                "Kusto compares the number's text; write `{n} {} \"{v}\"` to say so",
                op
            ),
            None => format!("quote the number to compare text explicitly: \"{v}\""),
        };
        self.warn(names::with_hint(d, hint));
    }

    fn bind_list(
        &mut self,
        op: ListOp,
        expr: &Expr,
        list: &[Expr],
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        let x = self.bind_scalar(expr, row)?;
        let (items, types) = match list {
            [single] if self.is_tabular(single) => {
                let (plan, schema) = self.bind_tabular(single)?;
                let Some((_, ty)) = schema.first() else {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        "the table on the right of the list operator has no columns",
                        single.span,
                    )));
                };
                (ListItems::Table(plan), vec![*ty])
            }
            _ => {
                let mut bound = Vec::with_capacity(list.len());
                for item in list {
                    bound.push(self.bind_scalar(item, row)?);
                }
                if bound.iter().any(|b| b.as_literal().is_none()) {
                    // Items known only per row (or per query): evaluated
                    // with the rows, dynamic arrays flattened.
                    let mut args = Vec::with_capacity(bound.len() + 1);
                    args.push(x);
                    args.extend(bound);
                    return Ok(BoundExpr {
                        kind: BoundExprKind::Call {
                            func: std::sync::Arc::new(kernels::list::ListCall::new(op)),
                            args,
                        },
                        ty: DataType::Bool,
                        span,
                    });
                }
                let mut values = Vec::new();
                for b in bound {
                    if let BoundExprKind::Literal(v) = b.kind {
                        flatten_into(v, &mut values);
                    }
                }
                let types: Vec<DataType> = values.iter().filter_map(Value::data_type).collect();
                (ListItems::Values(values), types)
            }
        };
        if let Err(err) = kernels::list_type(op, x.ty, &types) {
            return Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!("invalid list operator operands: {err}"),
                span,
            )));
        }
        Ok(BoundExpr {
            kind: BoundExprKind::List {
                op,
                expr: Box::new(x),
                items,
            },
            ty: DataType::Bool,
            span,
        })
    }

    fn bind_call(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        let name = call.name.name.as_str();
        match name {
            // `extract(re, group, text, typeof(T))`: the text converted to T.
            "extract" if call.args.len() == 4 => {
                if let Some(Expr {
                    kind: ExprKind::Literal(ast::Literal::TypeOf(t)),
                    ..
                }) = call.args.get(3)
                {
                    let to = DataType::from(*t);
                    let inner = ast::Call {
                        name: call.name.clone(),
                        args: call.args.iter().take(3).cloned().collect(),
                        named: Vec::new(),
                    };
                    let b = self.bind_call(&inner, span, row)?;
                    if b.ty == to {
                        return Ok(b);
                    }
                    return Ok(BoundExpr {
                        kind: BoundExprKind::Cast {
                            expr: Box::new(b),
                            to,
                        },
                        ty: to,
                        span,
                    });
                }
            }
            "estimate_data_size" if super::calls::has_star(call) => {
                let inner = self.expand_star_args(call, span, row)?;
                return self.bind_call(&inner, span, row);
            }
            // `pack_all()`: a bag of every column of the row.
            "pack_all" if call.args.is_empty() => {
                let Some(schema) = row else {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        "`pack_all()` needs a row: use it in an operator over a table",
                        span,
                    )));
                };
                let mut args = Vec::with_capacity(schema.len() * 2);
                for (n, _) in schema.iter() {
                    args.push(Expr {
                        kind: ExprKind::Literal(ast::Literal::String(n.clone())),
                        span,
                    });
                    args.push(Expr {
                        kind: ExprKind::Name(ast::Ident {
                            name: n.clone(),
                            span,
                        }),
                        span,
                    });
                }
                let inner = ast::Call {
                    name: ast::Ident {
                        name: "bag_pack".to_string(),
                        span: call.name.span,
                    },
                    args,
                    named: Vec::new(),
                };
                return self.bind_call(&inner, span, Some(schema));
            }
            // `bag_pack_columns(c1, c2, ...)`: a bag keyed by the columns' names.
            "bag_pack_columns" => {
                let mut args = Vec::with_capacity(call.args.len() * 2);
                for a in &call.args {
                    let ExprKind::Name(id) = &a.kind else {
                        return Err(self.fail(names::with_hint(
                            names::error(
                                codes::INVALID,
                                "`bag_pack_columns` takes column names",
                                a.span,
                            ),
                            "for a computed value use `bag_pack(\"key\", value)`",
                        )));
                    };
                    args.push(Expr {
                        kind: ExprKind::Literal(ast::Literal::String(id.name.clone())),
                        span: a.span,
                    });
                    args.push(a.clone());
                }
                let inner = ast::Call {
                    name: ast::Ident {
                        name: "bag_pack".to_string(),
                        span: call.name.span,
                    },
                    args,
                    named: Vec::new(),
                };
                return self.bind_call(&inner, span, row);
            }
            "toscalar" => {
                let [arg] = call.args.as_slice() else {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        "`toscalar` expects 1 argument",
                        span,
                    )));
                };
                if !self.is_tabular(arg) {
                    // toscalar of a scalar is the scalar itself.
                    return self.bind_scalar(arg, row);
                }
                let (plan, schema) = self.bind_tabular(arg)?;
                let Some((_, ty)) = schema.first() else {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        "`toscalar` of a table with no columns",
                        span,
                    )));
                };
                return Ok(BoundExpr {
                    kind: BoundExprKind::ToScalar(plan),
                    ty: *ty,
                    span,
                });
            }
            "row_number" => {
                if call.args.len() > 2 {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        "`row_number` expects 0 to 2 arguments",
                        span,
                    )));
                }
                let start = match call.args.first() {
                    Some(a) => self.const_long(a, "row_number start")?,
                    None => 1,
                };
                let restart = match call.args.get(1) {
                    Some(a) => {
                        let r = self.bind_scalar(a, row)?;
                        if r.ty != DataType::Bool {
                            return Err(self.fail(names::error(
                                codes::TYPE_MISMATCH,
                                format!(
                                    "`row_number` restart condition must be bool, got {}",
                                    r.ty
                                ),
                                a.span,
                            )));
                        }
                        Some(Box::new(r))
                    }
                    None => None,
                };
                return Ok(BoundExpr {
                    kind: BoundExprKind::RowNumber { start, restart },
                    ty: DataType::Long,
                    span,
                });
            }
            "prev" | "next" => {
                let Some(first) = call.args.first() else {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        format!("`{name}` expects 1 to 3 arguments"),
                        span,
                    )));
                };
                if call.args.len() > 3 {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        format!("`{name}` expects 1 to 3 arguments"),
                        span,
                    )));
                }
                let x = self.bind_scalar(first, row)?;
                let offset = match call.args.get(1) {
                    Some(a) => self.const_long(a, "offset")?,
                    None => 1,
                };
                let default = match call.args.get(2) {
                    Some(a) => Some(Box::new(self.bind_scalar(a, row)?)),
                    None => None,
                };
                let ty = x.ty;
                return Ok(BoundExpr {
                    kind: BoundExprKind::Shift {
                        expr: Box::new(x),
                        offset: usize::try_from(offset).unwrap_or(0),
                        default,
                        forward: name == "next",
                    },
                    ty,
                    span,
                });
            }
            "materialize" | "table" | "view" => {
                return Err(self.fail(names::error(
                    codes::WRONG_KIND,
                    format!("`{name}(...)` is tabular, used where a scalar is expected"),
                    span,
                )))
            }
            _ => {
                if let Some(bound) = self.bind_special_call(call, span, row) {
                    return bound;
                }
            }
        }
        match self.lookup(name) {
            Some(Binding::Function(f)) => {
                let result = self.call_user_function(&f, call, span, row)?;
                return self.scalar_result(result, name, span);
            }
            Some(Binding::Failed) => return Err(Reported),
            _ => {}
        }
        if let Some(func) = self.registry.scalar(name).cloned() {
            if let Some((n, _)) = call.named.first() {
                return Err(self.fail(super::calls::named_builtin_arg(name, n)));
            }
            let mut args = Vec::with_capacity(call.args.len());
            for a in &call.args {
                args.push(self.bind_scalar(a, row)?);
            }
            let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
            let ty = match func.return_type(&types) {
                Ok(t) => t,
                Err(err) => return Err(self.fail(function_diag(name, &err, span))),
            };
            return Ok(BoundExpr {
                kind: BoundExprKind::Call { func, args },
                ty,
                span,
            });
        }
        if let Some(f) = self.catalog.stored_function(name).cloned() {
            let result = self.call_stored_function(&f, call, span, row)?;
            return self.scalar_result(result, name, span);
        }
        if self.registry.aggregate(name).is_some() {
            return Err(self.fail(names::error(
                codes::WRONG_KIND,
                format!("aggregate function `{name}` is only allowed in `summarize`"),
                span,
            )));
        }
        if let Some(feature) = crate::functions::missing_feature(name) {
            return Err(self.fail(names::not_in_build(name, feature, call.name.span)));
        }
        let mut cands: Vec<String> = self.registry.scalar_names().map(str::to_string).collect();
        cands.extend(self.let_names());
        let d = names::error(
            codes::UNKNOWN_FUNCTION,
            format!("unknown function `{name}`"),
            call.name.span,
        );
        Err(self.fail(names::suggest(d, name, cands.iter().map(String::as_str))))
    }

    /// Binds an expression that must fold to an integer constant.
    pub(crate) fn const_long(&mut self, e: &Expr, what: &str) -> BResult<i64> {
        let b = self.bind_scalar(e, None)?;
        match b.as_literal() {
            Some(Value::Long(v)) => Ok(*v),
            Some(Value::Int(v)) => Ok(i64::from(*v)),
            _ => Err(self.fail(names::error(
                codes::INVALID,
                format!("{what} must be a constant integer"),
                e.span,
            ))),
        }
    }
}
