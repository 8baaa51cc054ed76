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
            "column_ifexists" | "columnifexists" => {
                Some(self.bind_column_ifexists(call, span, row))
            }
            "ingestion_time" => Some(self.bind_ingestion_time(call, span, row)),
            // `percentile_tdigest(digest, p, typeof(T))` converts the same way.
            "extract_json" | "extractjson" | "percentile_tdigest" if call.args.len() == 3 => {
                Some(self.bind_extract_json_as(call, span, row))
            }
            crate::functions::geoip::NAME => Some(self.bind_geo_info(call, span, row)),
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

impl Binder<'_> {
    /// `column_ifexists(name, default)`: the input column `name` (with its
    /// own type) when the row has it, else `default`. Decided while binding,
    /// so `name` must be a constant string.
    fn bind_column_ifexists(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        let fname = call.name.name.as_str();
        let [name, default] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                format!(
                    "`{fname}` expects 2 arguments (a column name and a default), got {}",
                    call.args.len()
                ),
                span,
            )));
        };
        let bound_name = self.bind_scalar(name, row)?;
        let Some(Value::String(column)) = bound_name.as_literal() else {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::INVALID,
                    format!("`{fname}`: the column name must be a constant string"),
                    name.span,
                ),
                "write the name as a literal, e.g. `column_ifexists(\"Account\", \"\")`",
            )));
        };
        if let Some((i, (_, ty))) = row
            .into_iter()
            .flatten()
            .enumerate()
            .find(|(_, (n, _))| n.as_str() == &**column)
        {
            return Ok(BoundExpr {
                kind: BoundExprKind::Column(i),
                ty: *ty,
                span,
            });
        }
        self.bind_scalar(default, row)
    }

    /// `ingestion_time()`: Kusto's hidden per-row ingestion time. Offline
    /// data has none, so it reads the input's `_IngestionTime` column when
    /// there is one, else `TimeGenerated` (offline rows are taken as
    /// ingested when they were generated), else a null datetime.
    fn bind_ingestion_time(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        if !call.args.is_empty() {
            return Err(self.fail(names::error(
                codes::ARITY,
                format!(
                    "`ingestion_time` expects 0 arguments, got {}",
                    call.args.len()
                ),
                span,
            )));
        }
        let schema = row.map(Vec::as_slice).unwrap_or_default();
        let found = ["_IngestionTime", "TimeGenerated"].iter().find_map(|want| {
            schema
                .iter()
                .position(|(n, _)| n == want)
                .and_then(|i| schema.get(i).map(|(_, t)| (i, *t)))
        });
        let Some((i, ty)) = found else {
            return Ok(BoundExpr::literal(Value::Null, DataType::DateTime, span));
        };
        let column = BoundExpr {
            kind: BoundExprKind::Column(i),
            ty,
            span,
        };
        if ty == DataType::DateTime {
            return Ok(column);
        }
        Ok(BoundExpr {
            kind: BoundExprKind::Cast {
                expr: Box::new(column),
                to: DataType::DateTime,
            },
            ty: DataType::DateTime,
            span,
        })
    }

    /// `extract_json(path, json, typeof(T))`: the extracted text converted
    /// to `T`.
    fn bind_extract_json_as(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        let Some(Expr {
            kind: ExprKind::Literal(ast::Literal::TypeOf(t)),
            ..
        }) = call.args.get(2)
        else {
            let at = call.args.get(2).map_or(span, |a| a.span);
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "`{}`: the third argument must be a type such as `typeof(long)`",
                    call.name.name
                ),
                at,
            )));
        };
        let to = DataType::from(*t);
        let inner = Expr {
            kind: ExprKind::Call(ast::Call {
                name: call.name.clone(),
                args: call.args.iter().take(2).cloned().collect(),
                named: Vec::new(),
            }),
            span,
        };
        let text = self.bind_scalar(&inner, row)?;
        if to == DataType::String {
            return Ok(text);
        }
        Ok(BoundExpr {
            kind: BoundExprKind::Cast {
                expr: Box::new(text),
                to,
            },
            ty: to,
            span,
        })
    }

    /// `geo_info_from_ip_address(ip)`: bound to the catalog's geo-IP table
    /// (or to none, which fails only when evaluated).
    fn bind_geo_info(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<BoundExpr> {
        use crate::function::ScalarFunction;
        let func = crate::functions::geoip::GeoInfoFromIp {
            table: self.catalog.geoip().cloned(),
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(self.bind_scalar(a, row)?);
        }
        let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
        let ty = match func.return_type(&types) {
            Ok(t) => t,
            Err(err) => {
                return Err(self.fail(super::expr::function_diag(
                    crate::functions::geoip::NAME,
                    &err,
                    span,
                )))
            }
        };
        Ok(BoundExpr {
            kind: BoundExprKind::Call {
                func: Arc::new(func),
                args,
            },
            ty,
            span,
        })
    }

    /// Rewrites a call of user function `f` with named arguments
    /// (`f(b = now(), a = ago(1d))`, `f(12, c = 7)` or `f(a = 12, "x")`)
    /// into a positional call, filling skipped parameters with their
    /// defaults. As in Kusto, a named argument takes the parameter of its
    /// name and an unnamed one the parameter at its own place in the
    /// written list, wherever the named ones are. A call without named
    /// arguments is returned as is.
    pub(crate) fn positional_call(
        &mut self,
        f: &ast::FunctionDef,
        call: &ast::Call,
        span: Span,
    ) -> BResult<ast::Call> {
        if call.named.is_empty() {
            return Ok(call.clone());
        }
        let fname = call.name.name.as_str();
        let given = call.args.len() + call.named.len();
        let mut slots: Vec<Option<Expr>> = vec![None; f.params.len()];
        for (at, value) in written_places(call) {
            match slots.get_mut(at) {
                Some(slot) => *slot = Some(value.clone()),
                None => {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        format!(
                            "`{fname}` expects at most {} argument(s), got {given}",
                            f.params.len(),
                        ),
                        value.span,
                    )))
                }
            }
        }
        for (name, value) in &call.named {
            let Some(i) = f.params.iter().position(|p| p.name.name == name.name) else {
                let d = names::error(
                    codes::INVALID,
                    format!("`{fname}` has no parameter named `{}`", name.name),
                    name.span,
                );
                let d =
                    names::suggest(d, &name.name, f.params.iter().map(|p| p.name.name.as_str()));
                return Err(self.fail(d));
            };
            match slots.get_mut(i) {
                Some(slot @ None) => *slot = Some(value.clone()),
                _ => {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!("`{fname}`: parameter `{}` is given twice", name.name),
                            name.span,
                        ),
                        "an unnamed argument takes the parameter at its own place in the list",
                    )))
                }
            }
        }
        let last = slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        let mut args = Vec::with_capacity(last);
        for (slot, p) in slots.into_iter().zip(&f.params).take(last) {
            match slot.or_else(|| p.default.clone()) {
                Some(e) => args.push(e),
                None => {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::ARITY,
                            format!("`{fname}`: no value for parameter `{}`", p.name.name),
                            span,
                        ),
                        format!("pass it by position or as `{} = ...`", p.name.name),
                    )))
                }
            }
        }
        Ok(ast::Call {
            name: call.name.clone(),
            args,
            named: Vec::new(),
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
            // `percentilesw(x, weight, p1, ...)` splits the same way, keeping
            // both leading arguments.
            let (call, lead) = match &item.expr.kind {
                ExprKind::Call(c) if c.name.name == "percentiles" && c.args.len() > 2 => (c, 1),
                ExprKind::Call(c) if c.name.name == "percentilesw" && c.args.len() > 3 => (c, 2),
                _ => {
                    out.push(item.clone());
                    continue;
                }
            };
            let (value, points) = call.args.split_at(lead);
            if !item.names.is_empty() && item.names.len() != points.len() {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!(
                        "`{}` with {} percentiles needs {} output names, got {}",
                        call.name.name,
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

/// The error for a named argument (`substring(s, length = 3)`) to a
/// built-in function, whose arguments kqlite takes by position only: it is
/// never dropped silently.
pub(crate) fn named_builtin_arg(name: &str, arg: &ast::Ident) -> kqlite_parser::Diagnostic {
    names::with_hint(
        names::error(
            codes::NOT_SUPPORTED,
            format!(
                "not supported: the named argument `{}` of the built-in function `{name}`",
                arg.name
            ),
            arg.span,
        ),
        "pass the built-in function's arguments by position",
    )
}

/// Whether a call has a `*` argument.
pub(crate) fn has_star(call: &ast::Call) -> bool {
    call.args.iter().any(|a| matches!(a.kind, ExprKind::Star))
}

impl Binder<'_> {
    /// `call` with each `*` argument replaced by every column of the row,
    /// in order (`estimate_data_size(*)`).
    pub(crate) fn expand_star_args(
        &mut self,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<ast::Call> {
        let Some(schema) = row else {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "`{}(*)` needs a row: use it in an operator over a table",
                    call.name.name
                ),
                span,
            )));
        };
        let mut args = Vec::with_capacity(call.args.len() + schema.len());
        for a in &call.args {
            if !matches!(a.kind, ExprKind::Star) {
                args.push(a.clone());
                continue;
            }
            args.extend(schema.iter().map(|(n, _)| Expr {
                kind: ExprKind::Name(ast::Ident {
                    name: n.clone(),
                    span: a.span,
                }),
                span: a.span,
            }));
        }
        Ok(ast::Call {
            name: call.name.clone(),
            args,
            named: call.named.clone(),
        })
    }
}

/// `take_any(a, b, ...)` and `take_any(*)` return their values from one
/// row of the group: they bind as `arg_min` over a constant (every row ties,
/// so the group's first row wins) whose key column, named
/// `__take_any_key_<offset>`, the caller drops. `None` for other items,
/// including the one-expression `take_any(x)`, which looks for a non-empty
/// value across rows.
pub(crate) fn take_any_row(item: &ast::NamedExpr) -> Option<ast::NamedExpr> {
    let ExprKind::Call(call) = &item.expr.kind else {
        return None;
    };
    let star = call.args.iter().any(|a| matches!(a.kind, ExprKind::Star));
    if call.name.name != "take_any" || (call.args.len() < 2 && !star) {
        return None;
    }
    let span = item.expr.span;
    let key_name = ast::Ident {
        name: format!("__take_any_key_{}", span.start),
        span,
    };
    let mut args = vec![Expr {
        kind: ExprKind::Literal(ast::Literal::Long(Some(0))),
        span,
    }];
    args.extend(call.args.iter().cloned());
    // Output names given (`(a, b) = take_any(x, y)`) follow the key's.
    let mut names = vec![key_name];
    names.extend(item.names.iter().cloned());
    Some(ast::NamedExpr {
        names,
        expr: Expr {
            kind: ExprKind::Call(ast::Call {
                name: ast::Ident {
                    name: "arg_min".into(),
                    span: call.name.span,
                },
                args,
                named: Vec::new(),
            }),
            span,
        },
        span: item.span,
    })
}

/// The unnamed arguments of `call` with their places in the written
/// argument list (named ones count too): `f(a = 1, x)` puts `x` at 1.
fn written_places(call: &ast::Call) -> Vec<(usize, &Expr)> {
    let mut starts: Vec<u32> = call
        .args
        .iter()
        .map(|e| e.span.start)
        .chain(call.named.iter().map(|(n, _)| n.span.start))
        .collect();
    starts.sort_unstable();
    if starts.windows(2).any(|w| w.first() == w.last()) {
        // Spans that do not tell the order (a rewritten call): unnamed
        // arguments first.
        return call.args.iter().enumerate().collect();
    }
    call.args
        .iter()
        .map(|e| {
            let at = starts.partition_point(|s| *s < e.span.start);
            (at, e)
        })
        .collect()
}
