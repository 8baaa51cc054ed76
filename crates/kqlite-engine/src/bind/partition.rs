//! The `partition` operator (Microsoft's KQL reference,
//! `partition-operator.md`), and `consume`.
//!
//! `T | partition [hint.strategy=native|shuffle|legacy] [hints] by Column
//! (subquery)` runs the subquery once per distinct value of `Column`, over
//! the rows holding that value, and returns the union of the results. The
//! legacy form `T | partition by Column { expression }` evaluates a query
//! with its own source once per value, where `Column` names the partition's
//! key value as a scalar (also `toscalar(Column)`).
//!
//! What the reference documents, and how kqlite keeps it:
//! - The strategy only changes how Kusto spreads the work, not the result.
//!   `legacy` (the default) allows at most 64 partitions, an error when
//!   the query runs; `native` and `shuffle` allow any number.
//! - `native` and `shuffle` accept only a transformation of the partition
//!   built from the operators listed in [`NATIVE_OPERATORS`]; a query with
//!   its own source (`{ ... }`) needs `legacy`.
//! - `fork` (and `facet`) cannot appear in the subquery under any strategy:
//!   it must return one table.
//! - Hints: `hint.shufflekey` names a column, `hint.concurrency` and
//!   `hint.spread` are positive integers, `hint.materialized` a bool; they
//!   tune Kusto's execution and change nothing in kqlite.
//! - In the subquery, `as Name` names the partition, so that
//!   `toscalar(Name | summarize ...)` reads the partition's rows.

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind, Operator, OperatorKind, PartitionBody};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::operator::PlanOperator;
use super::ops::{param_text, Bound};
use super::plan::{BoundExpr, BoundExprKind, Plan};
use super::{BResult, Binder, Binding, LetEntry, Schema};
use crate::catalog::Catalog;
use crate::eval::{EvalError, Executor};
use crate::table::Table;
use crate::types::DataType;

/// `partition by Key (subquery)`: runs `subquery` (which reads
/// [`Plan::Input`]) once per distinct value of the input's key column,
/// over that value's rows, and concatenates the results.
#[derive(Debug)]
pub(crate) struct Partition {
    /// Input.
    pub input: Arc<Plan>,
    /// The key column (an index into the input).
    pub key: usize,
    /// The subquery run for each partition.
    pub subquery: Arc<Plan>,
    /// Names and types of the subquery's output columns.
    pub columns: Schema,
    /// At most this many partitions (the `legacy` strategy's limit).
    pub max_partitions: Option<usize>,
    /// The `partition` operator, for errors.
    pub span: Span,
}

impl PlanOperator for Partition {
    fn name(&self) -> &'static str {
        "Partition"
    }

    fn inputs(&self) -> Vec<&Arc<Plan>> {
        vec![&self.input, &self.subquery]
    }

    fn schema(&self, _catalog: &Catalog) -> Option<Schema> {
        Some(self.columns.clone())
    }

    fn explain(&self, _expr: &dyn Fn(&BoundExpr) -> String) -> String {
        match self.max_partitions {
            Some(n) => format!("Partition (subquery once per key value, at most {n})"),
            None => "Partition (subquery once per key value)".to_string(),
        }
    }

    fn evaluate(&self, exec: &mut Executor<'_>) -> Result<Table, EvalError> {
        let t = exec.run(&self.input)?;
        exec.partition(&t, self)
    }
}

/// Partitions the `legacy` strategy allows.
pub(crate) const LEGACY_MAX_PARTITIONS: usize = 64;

/// The operators a `native` or `shuffle` subquery may use, as the
/// reference lists them.
const NATIVE_OPERATORS: &[&str] = &[
    "count",
    "distinct",
    "extend",
    "make-series",
    "mv-apply",
    "mv-expand",
    "parse",
    "parse-where",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "reduce",
    "sample",
    "sample-distinct",
    "scan",
    "search",
    "serialize",
    "sort",
    "summarize",
    "take",
    "top",
    "top-hitters",
    "top-nested",
    "where",
];

/// The execution strategy of a `partition`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Legacy,
    Native,
    Shuffle,
}

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Legacy => "legacy",
            Strategy::Native => "native",
            Strategy::Shuffle => "shuffle",
        }
    }
}

impl Binder<'_> {
    /// Binds `partition [hints] by Column (subquery)` or `{ expression }`
    /// over `input`.
    pub(crate) fn bind_partition(
        &mut self,
        params: &[ast::OperatorParam],
        by: &Expr,
        body: &PartitionBody,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let strategy = self.partition_hints(params, &schema)?;
        let key_expr = self.bind_scalar(by, Some(&schema))?;
        let BoundExprKind::Column(key) = key_expr.kind else {
            return Err(self.fail(names::error(
                codes::INVALID,
                "`partition by` takes a column of its input",
                by.span,
            )));
        };
        if key_expr.ty == DataType::Dynamic {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::TYPE_MISMATCH,
                    "`partition by` needs a column of a scalar type, not dynamic",
                    by.span,
                ),
                "convert it in an `extend` first, e.g. `extend k = tostring(Column)`",
            )));
        }
        let key_name = schema.get(key).map(|(n, _)| n.clone()).unwrap_or_default();
        let mark = self.lets.len();
        let bound = match body {
            PartitionBody::Subquery(sub) => {
                self.bind_partition_subquery(&sub.ops, strategy, &schema)
            }
            PartitionBody::Expr(e) => {
                if strategy != Strategy::Legacy {
                    self.lets.truncate(mark);
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!(
                                "a `partition` subquery with its own source (`{{ ... }}`) needs the legacy strategy, not `{}`",
                                strategy.name()
                            ),
                            e.span,
                        ),
                        "drop `hint.strategy`, or write the subquery as `( ... )` over the partition's rows",
                    )));
                }
                self.bind_partition_expr(e, key, &key_name, &key_expr)
            }
        };
        self.lets.truncate(mark);
        let (subquery, columns) = bound?;
        let max_partitions = (strategy == Strategy::Legacy).then_some(LEGACY_MAX_PARTITIONS);
        Ok((
            Arc::new(Plan::Extension(Arc::new(Partition {
                input,
                key,
                subquery,
                columns: columns.clone(),
                max_partitions,
                span,
            }))),
            columns,
        ))
    }

    /// Binds `consume [decodeblocks=bool]`: the input is read and nothing
    /// is returned (a table with no columns and no rows), as Kusto's
    /// `consume` delivers no results to the caller (`consume-operator.md`).
    pub(crate) fn bind_consume(
        &mut self,
        params: &[ast::OperatorParam],
        input: Arc<Plan>,
    ) -> BResult<Bound> {
        for p in params {
            if p.name.name != "decodeblocks" {
                return Err(self.fail(names::with_hint(
                    names::error(
                        codes::INVALID,
                        format!("unknown `consume` parameter `{}`", p.name.name),
                        p.name.span,
                    ),
                    "`consume` takes only `decodeblocks`",
                )));
            }
            if !matches!(param_text(&p.value).as_deref(), Some("true" | "false")) {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    "`decodeblocks` takes `true` or `false`",
                    p.value.span,
                )));
            }
        }
        let none = Arc::new(Plan::Take {
            input,
            count: BoundExpr::literal(
                crate::value::Value::Long(0),
                DataType::Long,
                Span::default(),
            ),
        });
        Ok((
            Arc::new(Plan::Project {
                input: none,
                columns: Vec::new(),
            }),
            Vec::new(),
        ))
    }

    /// Checks the hints and returns the strategy.
    fn partition_hints(
        &mut self,
        params: &[ast::OperatorParam],
        schema: &Schema,
    ) -> BResult<Strategy> {
        let mut strategy = Strategy::Legacy;
        for p in params {
            let text = param_text(&p.value);
            match p.name.name.as_str() {
                "hint.strategy" => {
                    strategy = match text.as_deref() {
                        Some("legacy") => Strategy::Legacy,
                        Some("native") => Strategy::Native,
                        Some("shuffle") => Strategy::Shuffle,
                        _ => {
                            return Err(self.fail(names::with_hint(
                                names::error(
                                    codes::INVALID,
                                    "unknown `partition` strategy",
                                    p.value.span,
                                ),
                                "use `native`, `shuffle` or `legacy`",
                            )))
                        }
                    }
                }
                "hint.shufflekey" => {
                    let known = text
                        .as_deref()
                        .is_some_and(|t| schema.iter().any(|(n, _)| n == t));
                    if !known {
                        let d = names::error(
                            codes::UNKNOWN_COLUMN,
                            "`hint.shufflekey` names no column of the input",
                            p.value.span,
                        );
                        let d = match text.as_deref() {
                            Some(t) => names::suggest(d, t, schema.iter().map(|(n, _)| n.as_str())),
                            None => d,
                        };
                        return Err(self.fail(d));
                    }
                }
                "hint.concurrency" | "hint.spread" => {
                    let positive = matches!(
                        &p.value.kind,
                        ExprKind::Literal(ast::Literal::Long(Some(n))) if *n > 0
                    ) || matches!(
                        &p.value.kind,
                        ExprKind::Literal(ast::Literal::Int(Some(n))) if *n > 0
                    );
                    if !positive {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            format!("`{}` takes a positive integer", p.name.name),
                            p.value.span,
                        )));
                    }
                }
                "hint.materialized" => {
                    if !matches!(text.as_deref(), Some("true" | "false")) {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "`hint.materialized` takes `true` or `false`",
                            p.value.span,
                        )));
                    }
                }
                other => {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!("unknown `partition` hint `{other}`"),
                            p.name.span,
                        ),
                        "`partition` takes hint.strategy, hint.shufflekey, hint.concurrency, hint.spread and hint.materialized",
                    )))
                }
            }
        }
        Ok(strategy)
    }

    /// Binds `( operators )` over the partition's rows.
    fn bind_partition_subquery(
        &mut self,
        ops: &[Operator],
        strategy: Strategy,
        schema: &Schema,
    ) -> BResult<Bound> {
        for op in ops {
            let name = super::ops::operator_name(&op.kind);
            if matches!(op.kind, OperatorKind::Fork(_) | OperatorKind::Facet { .. }) {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("`{name}` cannot run inside `partition`: the subquery must return one table"),
                    op.span,
                )));
            }
            if strategy != Strategy::Legacy && !NATIVE_OPERATORS.contains(&name) {
                return Err(self.fail(names::with_hint(
                    names::error(
                        codes::INVALID,
                        format!(
                            "`{name}` cannot run in a `partition` subquery with the {} strategy",
                            strategy.name()
                        ),
                        op.span,
                    ),
                    "use the legacy strategy (drop `hint.strategy`), which allows any operator",
                )));
            }
        }
        let mut plan = Arc::new(Plan::Input);
        let mut out = schema.clone();
        for op in ops {
            let (p, s) = self.bind_operator(op, plan, out)?;
            plan = p;
            out = s;
        }
        Ok((plan, out))
    }

    /// Binds the legacy `{ expression }` body: `key_name` is the
    /// partition's key value, read from the partition's first row.
    fn bind_partition_expr(
        &mut self,
        e: &Expr,
        key: usize,
        key_name: &str,
        key_expr: &BoundExpr,
    ) -> BResult<Bound> {
        let first_key = Arc::new(Plan::Project {
            input: Arc::new(Plan::Take {
                input: Arc::new(Plan::Input),
                count: BoundExpr::literal(crate::value::Value::Long(1), DataType::Long, e.span),
            }),
            columns: vec![(
                key_name.to_string(),
                BoundExpr {
                    kind: BoundExprKind::Column(key),
                    ty: key_expr.ty,
                    span: key_expr.span,
                },
            )],
        });
        let value = BoundExpr {
            kind: BoundExprKind::ToScalar(first_key),
            ty: key_expr.ty,
            span: key_expr.span,
        };
        self.lets.push(LetEntry {
            name: key_name.to_string(),
            span: key_expr.span,
            binding: Binding::Scalar(value),
            used: true,
            top_level: false,
        });
        self.bind_tabular(e)
    }
}
