//! One walk over bound plans and expressions.
//!
//! Every variant of [`Plan`] and [`BoundExprKind`] is matched here, once,
//! to list its child plans and expressions; passes (pruning, the tables a
//! query reads, row-locality, the plan printer) go through these methods
//! instead of matching every variant themselves. The matches are
//! exhaustive, so a new variant does not compile until it says what its
//! children are.

use std::sync::Arc;

use super::plan::{BoundExpr, BoundExprKind, ListItems, Plan, SummarizeItem};

impl BoundExpr {
    /// The expressions directly inside this one, in evaluation order.
    /// Tabular subqueries (`toscalar(T)`, `x in (T)`) are not among them:
    /// see [`BoundExpr::subplan`].
    pub fn children(&self) -> Vec<&BoundExpr> {
        match &self.kind {
            BoundExprKind::Literal(_)
            | BoundExprKind::Column(_)
            | BoundExprKind::ColumnByName(_)
            | BoundExprKind::OptionalColumn(_)
            | BoundExprKind::ToScalar(_) => Vec::new(),
            BoundExprKind::Binary { left, right, .. } => vec![left, right],
            BoundExprKind::Unary { operand, .. } => vec![operand],
            BoundExprKind::List { expr, .. } => vec![expr],
            BoundExprKind::Between {
                expr, low, high, ..
            } => vec![expr, low, high],
            BoundExprKind::Member { target, .. } => vec![target],
            BoundExprKind::Index { target, index } => vec![target, index],
            BoundExprKind::Call { args, .. } => args.iter().collect(),
            BoundExprKind::Cast { expr, .. } => vec![expr],
            BoundExprKind::RowNumber { restart, .. } => restart.iter().map(|r| &**r).collect(),
            BoundExprKind::Shift { expr, default, .. } => std::iter::once(&**expr)
                .chain(default.iter().map(|d| &**d))
                .collect(),
        }
    }

    /// The tabular subquery this node itself holds (`toscalar(T)`,
    /// `x in (T)`), evaluated once per query rather than per row.
    pub fn subplan(&self) -> Option<&Arc<Plan>> {
        match &self.kind {
            BoundExprKind::ToScalar(p) => Some(p),
            BoundExprKind::List { items, .. } => match items {
                ListItems::Table(p) => Some(p),
                ListItems::Values(_) => None,
            },
            BoundExprKind::Literal(_)
            | BoundExprKind::Column(_)
            | BoundExprKind::ColumnByName(_)
            | BoundExprKind::OptionalColumn(_)
            | BoundExprKind::Binary { .. }
            | BoundExprKind::Unary { .. }
            | BoundExprKind::Between { .. }
            | BoundExprKind::Member { .. }
            | BoundExprKind::Index { .. }
            | BoundExprKind::Call { .. }
            | BoundExprKind::Cast { .. }
            | BoundExprKind::RowNumber { .. }
            | BoundExprKind::Shift { .. } => None,
        }
    }

    /// Calls `f` on this expression and on every expression inside it,
    /// parents before children (subqueries are not entered).
    pub fn apply(&self, f: &mut impl FnMut(&BoundExpr)) {
        f(self);
        for c in self.children() {
            c.apply(f);
        }
    }

    /// Whether `f` holds for this expression or any expression inside it
    /// (subqueries are not entered).
    pub fn exists(&self, f: &impl Fn(&BoundExpr) -> bool) -> bool {
        f(self) || self.children().into_iter().any(|c| c.exists(f))
    }

    /// Calls `f` on every tabular subquery inside this expression, those of
    /// the children before the node's own.
    pub fn for_each_subplan(&self, f: &mut impl FnMut(&Arc<Plan>)) {
        for c in self.children() {
            c.for_each_subplan(f);
        }
        if let Some(p) = self.subplan() {
            f(p);
        }
    }

    /// A copy of this expression with each child replaced by `f(child)`;
    /// `None` when `f` gives `None` for some child.
    pub fn map_children(
        &self,
        f: &mut impl FnMut(&BoundExpr) -> Option<BoundExpr>,
    ) -> Option<BoundExpr> {
        let mut b = |e: &BoundExpr| f(e).map(Box::new);
        let kind = match &self.kind {
            BoundExprKind::Literal(v) => BoundExprKind::Literal(v.clone()),
            BoundExprKind::Column(i) => BoundExprKind::Column(*i),
            BoundExprKind::ColumnByName(n) => BoundExprKind::ColumnByName(n.clone()),
            BoundExprKind::OptionalColumn(n) => BoundExprKind::OptionalColumn(n.clone()),
            BoundExprKind::ToScalar(p) => BoundExprKind::ToScalar(p.clone()),
            BoundExprKind::Binary { op, left, right } => BoundExprKind::Binary {
                op: *op,
                left: b(left)?,
                right: b(right)?,
            },
            BoundExprKind::Unary { op, operand } => BoundExprKind::Unary {
                op: *op,
                operand: b(operand)?,
            },
            BoundExprKind::List { op, expr, items } => BoundExprKind::List {
                op: *op,
                expr: b(expr)?,
                items: items.clone(),
            },
            BoundExprKind::Between {
                negated,
                expr,
                low,
                high,
            } => BoundExprKind::Between {
                negated: *negated,
                expr: b(expr)?,
                low: b(low)?,
                high: b(high)?,
            },
            BoundExprKind::Member { target, key } => BoundExprKind::Member {
                target: b(target)?,
                key: key.clone(),
            },
            BoundExprKind::Index { target, index } => BoundExprKind::Index {
                target: b(target)?,
                index: b(index)?,
            },
            BoundExprKind::Call { func, args } => BoundExprKind::Call {
                func: func.clone(),
                args: args.iter().map(&mut *f).collect::<Option<_>>()?,
            },
            BoundExprKind::Cast { expr, to } => BoundExprKind::Cast {
                expr: b(expr)?,
                to: *to,
            },
            BoundExprKind::RowNumber { start, restart } => BoundExprKind::RowNumber {
                start: *start,
                restart: match restart {
                    Some(r) => Some(b(r)?),
                    None => None,
                },
            },
            BoundExprKind::Shift {
                expr,
                offset,
                default,
                forward,
            } => BoundExprKind::Shift {
                expr: b(expr)?,
                offset: *offset,
                default: match default {
                    Some(d) => Some(b(d)?),
                    None => None,
                },
                forward: *forward,
            },
        };
        Some(BoundExpr {
            kind,
            ty: self.ty,
            span: self.span,
        })
    }
}

impl Plan {
    /// The plans this operator reads rows from, in order (a join's left
    /// then right side, a union's legs, an `mv-apply` subquery after its
    /// input, a plugin's lookup tables after its input).
    pub fn inputs(&self) -> Vec<&Arc<Plan>> {
        match self {
            Plan::Scan { .. } | Plan::Values(_) | Plan::Input | Plan::ExternalData(_) => Vec::new(),
            Plan::Print { .. } | Plan::Range { .. } => Vec::new(),
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::Extend { input, .. }
            | Plan::Summarize { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Take { input, .. }
            | Plan::Count { input }
            | Plan::MvExpand { input, .. }
            | Plan::Parse { input, .. }
            | Plan::MakeSeries { input, .. }
            | Plan::Materialize { input, .. }
            | Plan::ScanSteps { input, .. }
            | Plan::ParseKv { input, .. }
            | Plan::Pivot { input, .. }
            | Plan::BagUnpack { input, .. }
            | Plan::GraphMarkComponents { input, .. }
            | Plan::GraphMatch { input, .. }
            | Plan::GraphToTable { input, .. } => vec![input],
            Plan::MakeGraph { edges, nodes, .. } => std::iter::once(edges).chain(nodes).collect(),
            Plan::GraphPartition {
                edges, nodes, body, ..
            } => std::iter::once(edges)
                .chain(nodes)
                .chain(std::iter::once(body))
                .collect(),
            Plan::Union { inputs, .. } => inputs.iter().map(|(p, _)| p).collect(),
            Plan::Join { left, right, .. } => vec![left, right],
            Plan::MvApply {
                input, subquery, ..
            } => vec![input, subquery],
            Plan::Plugin { input, others, .. } => std::iter::once(input).chain(others).collect(),
            Plan::Extension(op) => op.inputs(),
        }
    }

    /// The expressions this operator holds, in order: those computed over
    /// its input rows and its constant arguments (`take` count, `range`
    /// bounds). A `scan`'s step expressions read its context row.
    pub fn exprs(&self) -> Vec<&BoundExpr> {
        match self {
            Plan::Scan { .. }
            | Plan::Values(_)
            | Plan::Input
            | Plan::ExternalData(_)
            | Plan::Count { .. }
            | Plan::Union { .. }
            | Plan::Join { .. }
            | Plan::MvExpand { .. }
            | Plan::MvApply { .. }
            | Plan::Materialize { .. }
            | Plan::Pivot { .. }
            | Plan::BagUnpack { .. }
            // A graph operator's expressions read its per-match table,
            // not its input's columns.
            | Plan::MakeGraph { .. }
            | Plan::GraphMarkComponents { .. }
            | Plan::GraphMatch { .. }
            | Plan::GraphToTable { .. }
            | Plan::GraphPartition { .. }
            | Plan::Plugin { .. } => Vec::new(),
            Plan::Print { columns } | Plan::Project { columns, .. } => {
                columns.iter().map(|(_, e)| e).collect()
            }
            Plan::Range { from, to, step, .. } => vec![from, to, step],
            Plan::Filter { predicate, .. } => vec![predicate],
            Plan::Extend { columns, .. } => columns.iter().map(|(_, _, e)| e).collect(),
            Plan::Summarize {
                keys, aggregates, ..
            } => {
                let mut out: Vec<&BoundExpr> = keys.iter().map(|(_, e)| e).collect();
                for item in aggregates {
                    match item {
                        SummarizeItem::Aggregate(_, a) => out.extend(&a.args),
                        SummarizeItem::Pick { key, columns, .. } => {
                            out.push(&key.1);
                            out.extend(columns.iter().map(|(_, e)| e));
                        }
                    }
                }
                out
            }
            Plan::Sort { keys, .. } => keys.iter().map(|k| &k.expr).collect(),
            Plan::Take { count, .. } => vec![count],
            Plan::Parse { expr, .. } | Plan::ParseKv { expr, .. } => vec![expr],
            Plan::MakeSeries {
                keys,
                aggregates,
                axis,
                from,
                to,
                step,
                ..
            } => {
                let mut out: Vec<&BoundExpr> = keys.iter().map(|(_, e)| e).collect();
                out.extend(aggregates.iter().flat_map(|(_, a, _)| &a.args));
                out.push(&axis.1);
                out.extend(from.iter().chain(to.iter()));
                out.push(step);
                out
            }
            Plan::Extension(op) => op.exprs(),
            Plan::ScanSteps { spec, .. } => spec
                .steps
                .iter()
                .flat_map(|s| {
                    std::iter::once(&s.condition).chain(s.assignments.iter().map(|(_, e)| e))
                })
                .collect(),
        }
    }

    /// Calls `f` on this plan and on every plan below it, parents first:
    /// its inputs in order, then the subqueries of its expressions.
    pub fn apply(&self, f: &mut impl FnMut(&Plan)) {
        f(self);
        for input in self.inputs() {
            input.apply(f);
        }
        for e in self.exprs() {
            e.for_each_subplan(&mut |p| p.apply(f));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::types::DataType;

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        for t in ["T", "U"] {
            c.add_schema(
                t,
                vec![
                    ("a".into(), DataType::Long),
                    ("s".into(), DataType::String),
                    ("d".into(), DataType::Dynamic),
                    ("t".into(), DataType::DateTime),
                ],
            );
        }
        c
    }

    fn tables(q: &str) -> Vec<String> {
        let script = kqlite_parser::parse(q).expect("parses");
        let bound = super::super::bind(&script, &catalog(), &super::super::BindOptions::default())
            .unwrap_or_else(|d| panic!("{q}: {d:?}"));
        let mut out = Vec::new();
        bound.plan.tables(&mut out);
        out
    }

    #[test]
    fn the_walk_reaches_a_subquery_in_every_operator_that_holds_expressions() {
        let u = "toscalar(U | count)";
        let queries = [
            format!("print x = {u}"),
            format!("range x from 1 to {u} step 1"),
            format!("T | where a > {u}"),
            format!("T | project b = a + {u}"),
            format!("T | extend b = a + {u}"),
            format!("T | summarize count() by b = a + {u}"),
            format!("T | summarize sum(a + {u})"),
            format!("T | summarize arg_max(a + {u}, s)"),
            format!("T | sort by a + {u}"),
            format!("T | take {u}"),
            format!("T | parse tostring(a + {u}) with x:long"),
            format!("T | parse-kv tostring(a + {u}) as (k: string)"),
            format!("T | make-series sum(a) on t step 1d by s = tostring({u})"),
            format!("T | scan declare (n: long = 0) with (step s1: a > {u} => n = a;)"),
            "T | where a in (U | project a)".to_string(),
            "T | join (U) on a".to_string(),
            "union T, U".to_string(),
            "T | mv-apply d on (where d != toscalar(U | count))".to_string(),
        ];
        for q in &queries {
            let got = tables(q);
            assert!(got.contains(&"U".to_string()), "{q}: {got:?}");
        }
    }

    #[test]
    fn tables_are_listed_in_first_seen_order_without_repeats() {
        assert_eq!(
            tables("T | where a in (U | project a) | join (T) on a"),
            vec!["T".to_string(), "U".to_string()]
        );
        assert_eq!(
            tables("U | where a > toscalar(T | count)"),
            vec!["U".to_string(), "T".to_string()]
        );
    }
}
