//! The `top-hitters` operator (Microsoft's KQL reference,
//! `top-hitters-operator.md`): the most frequent values of an expression,
//! or those with the largest sum of another.
//!
//! The reference gives its meaning as `summarize` then `top`:
//! `T | top-hitters N of V` is `T | summarize approximate_count_V = count()
//! by V | top N by approximate_count_V desc`, and `... by S` sums `S`
//! instead (`approximate_sum_S = sum(S)`). Kusto approximates the counts
//! with a count-min sketch on large inputs; kqlite counts exactly, which is
//! what the sketch estimates.

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind, NamedExpr, Operator, OperatorKind, SortOrder};

use super::ops::Bound;
use super::plan::Plan;
use super::{BResult, Binder, Schema};
use crate::naming;

impl Binder<'_> {
    /// Binds `top-hitters N of V [by S]` as its `summarize` and `top`.
    pub(crate) fn bind_top_hitters(
        &mut self,
        count: &Expr,
        of: &Expr,
        by: Option<&Expr>,
        input: Arc<Plan>,
        schema: Schema,
    ) -> BResult<Bound> {
        let span = of.span;
        let (name, aggregate, args) = match by {
            None => (naming::top_hitters_count(of), "count", Vec::new()),
            Some(s) => (naming::top_hitters_sum(s), "sum", vec![s.clone()]),
        };
        let ident = |n: &str| ast::Ident {
            name: n.to_string(),
            span,
        };
        let summarize = Operator {
            kind: OperatorKind::Summarize {
                params: Vec::new(),
                aggregates: vec![NamedExpr {
                    names: vec![ident(&name)],
                    expr: Expr {
                        kind: ExprKind::Call(ast::Call {
                            name: ident(aggregate),
                            args,
                            named: Vec::new(),
                        }),
                        span,
                    },
                    span,
                }],
                by: vec![NamedExpr {
                    names: Vec::new(),
                    expr: of.clone(),
                    span,
                }],
            },
            span,
        };
        let top = Operator {
            kind: OperatorKind::Top {
                count: count.clone(),
                key: ast::SortKey {
                    expr: Expr {
                        kind: ExprKind::Name(ident(&name)),
                        span,
                    },
                    order: Some(SortOrder::Desc),
                    nulls: None,
                    span,
                },
            },
            span: count.span,
        };
        let (plan, schema) = self.bind_operator(&summarize, input, schema)?;
        self.bind_operator(&top, plan, schema)
    }
}
