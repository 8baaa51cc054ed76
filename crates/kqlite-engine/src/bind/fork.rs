//! Operators that return several result tables (`fork`, `facet`) and
//! `sample-distinct`.
//!
//! A query's first result is its plan; the further tables are kept beside
//! it ([`BoundQuery::more`](super::BoundQuery)). While a pipeline is bound,
//! the operators after a `fork` apply to every one of its legs, as in
//! Kusto (`T | fork (where a) (take 1) | render table`).

use std::sync::Arc;

use kqlite_parser::ast::{
    self, Expr, ExprKind, Ident, NamedExpr, Operator, OperatorKind, Subquery,
};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::ops::Bound;
use super::plan::Plan;
use super::{BResult, Binder, Schema};

/// The legs of a `fork` (or the tables of a `facet`) being bound.
pub(crate) struct ForkState {
    /// The first result's plan, as bound so far.
    main: Arc<Plan>,
    /// The other results, as bound so far: (name, plan, schema).
    legs: Vec<(String, Arc<Plan>, Schema)>,
    /// Where the operator is, for an error when its results are not the
    /// query's result.
    span: Span,
}

impl Binder<'_> {
    /// Binds `fork [name=](subquery) ...`: the first leg is the result, the
    /// others further result tables.
    pub(crate) fn bind_fork(
        &mut self,
        legs: &[(Option<Ident>, Subquery)],
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let mut bound = Vec::with_capacity(legs.len());
        for (name, sub) in legs {
            let (plan, leg_schema) = self.bind_leg(&sub.ops, &input, &schema)?;
            let name = name
                .as_ref()
                .map(|n| n.name.clone())
                .or_else(|| leg_name(&sub.ops))
                .unwrap_or_default();
            bound.push((name, plan, leg_schema));
        }
        self.start_results(bound, span)
    }

    /// Binds `facet by A, B [with (subquery)]`: one table per column with
    /// its values and their counts (`A`, `count_`), then the `with`
    /// subquery's table.
    pub(crate) fn bind_facet(
        &mut self,
        by: &[Ident],
        with: Option<&Subquery>,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let mut bound = Vec::with_capacity(by.len() + 1);
        for col in by {
            let summarize = Operator {
                kind: OperatorKind::Summarize {
                    params: Vec::new(),
                    aggregates: vec![NamedExpr {
                        names: Vec::new(),
                        expr: Expr {
                            kind: ExprKind::Call(ast::Call {
                                name: Ident {
                                    name: "count".to_string(),
                                    span: col.span,
                                },
                                args: Vec::new(),
                                named: Vec::new(),
                            }),
                            span: col.span,
                        },
                        span: col.span,
                    }],
                    by: vec![NamedExpr {
                        names: Vec::new(),
                        expr: Expr {
                            kind: ExprKind::Name(col.clone()),
                            span: col.span,
                        },
                        span: col.span,
                    }],
                },
                span: col.span,
            };
            let (plan, s) = self.bind_leg(std::slice::from_ref(&summarize), &input, &schema)?;
            bound.push((col.name.clone(), plan, s));
        }
        if let Some(sub) = with {
            let (plan, s) = self.bind_leg(&sub.ops, &input, &schema)?;
            bound.push((leg_name(&sub.ops).unwrap_or_default(), plan, s));
        }
        self.start_results(bound, span)
    }

    /// Binds `sample-distinct N of Col`: up to N distinct values of `Col`,
    /// in one column.
    pub(crate) fn bind_sample_distinct(
        &mut self,
        count: &Expr,
        of: &Expr,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let ops = [
            Operator {
                kind: OperatorKind::Distinct(vec![of.clone()]),
                span,
            },
            Operator {
                kind: OperatorKind::Take(count.clone()),
                span: count.span,
            },
        ];
        self.bind_leg(&ops, &input, &schema)
    }

    /// Binds operators in order over `input`.
    fn bind_leg(&mut self, ops: &[Operator], input: &Arc<Plan>, schema: &Schema) -> BResult<Bound> {
        let mut plan = Arc::clone(input);
        let mut schema = schema.clone();
        for op in ops {
            let (p, s) = self.bind_operator(op, plan, schema)?;
            plan = p;
            schema = s;
        }
        Ok((plan, schema))
    }

    /// Makes the first of `results` the operator's output and keeps the
    /// others as further result tables.
    pub(crate) fn start_results(
        &mut self,
        results: Vec<(String, Arc<Plan>, Schema)>,
        span: Span,
    ) -> BResult<Bound> {
        if self.fork.is_some() {
            return Err(self.not_supported("a second `fork` or `facet` in one query", span));
        }
        let mut results = results.into_iter();
        let Some((_, main, main_schema)) = results.next() else {
            return Err(self.fail(names::error(
                codes::INVALID,
                "the operator needs at least one subquery",
                span,
            )));
        };
        self.fork = Some(ForkState {
            main: Arc::clone(&main),
            legs: results.collect(),
            span,
        });
        Ok((main, main_schema))
    }

    /// After `op` was bound over `input` giving `bound`: when `input` is
    /// the first result of a `fork`, binds `op` over the other legs too.
    pub(crate) fn follow_fork(
        &mut self,
        op: &Operator,
        input: &Arc<Plan>,
        bound: Bound,
    ) -> BResult<Bound> {
        let Some(mut state) = self.fork.take() else {
            return Ok(bound);
        };
        if !Arc::ptr_eq(&state.main, input) || Arc::ptr_eq(&state.main, &bound.0) {
            self.fork = Some(state);
            return Ok(bound);
        }
        let mut legs = Vec::with_capacity(state.legs.len());
        for (name, plan, schema) in std::mem::take(&mut state.legs) {
            let (p, s) = self.bind_operator(op, plan, schema)?;
            legs.push((name, p, s));
        }
        state.legs = legs;
        state.main = Arc::clone(&bound.0);
        self.fork = Some(state);
        Ok(bound)
    }

    /// The further result tables of the query whose result is `result`.
    /// A `fork` or `facet` whose tables are not the query's result (inside
    /// a `let`, a `join` leg, ...) is not supported.
    pub(crate) fn take_more_results(
        &mut self,
        result: Option<&Arc<Plan>>,
        _script: Span,
    ) -> Vec<(String, Arc<Plan>, Schema)> {
        let Some(state) = self.fork.take() else {
            return Vec::new();
        };
        match result {
            Some(r) if Arc::ptr_eq(r, &state.main) => state.legs,
            Some(_) => {
                let d = names::error(
                    codes::NOT_SUPPORTED,
                    "not supported: a `fork` or `facet` whose tables are not the query's result",
                    state.span,
                );
                self.diags.push(d);
                Vec::new()
            }
            None => Vec::new(),
        }
    }
}

/// The name a leg gives itself with a final `as Name`.
fn leg_name(ops: &[Operator]) -> Option<String> {
    ops.iter().rev().find_map(|op| match &op.kind {
        OperatorKind::As { name, .. } => Some(name.name.clone()),
        _ => None,
    })
}
