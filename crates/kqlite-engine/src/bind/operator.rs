//! Operators outside the core plan: [`PlanOperator`], implemented once per
//! operator and held by [`Plan::Extension`].
//!
//! The core variants of [`Plan`] are matched exhaustively by every pass
//! (the walk, the schema, pruning, the physical choices, the printer, the
//! evaluator), so a new core variant does not compile until each pass
//! handles it. An operator the passes need not understand one by one
//! instead implements this trait: it names its child plans and
//! expressions (so the shared walk, the tables a query reads and the
//! subquery analyses see below it), its output columns, its line in
//! `--explain` and how it runs. The passes treat every extension alike:
//! pruning stops at it, it is never part of a streamed run, and the
//! evaluator reserves memory for its result like any other operator's.
//!
//! An operator on this shape lives in one file: its binding (called from
//! `bind_operator` in `bind/ops.rs`), its node type and this trait's
//! implementation, whose `evaluate` reads its inputs through
//! [`Executor::run`] and checks the limits through the executor's guard.

use std::sync::Arc;

use kqlite_parser::Span;

use super::graph::GraphSchema;
use super::plan::{BoundExpr, Plan, Schema};
use crate::catalog::Catalog;
use crate::eval::{EvalError, Executor, Graph};
use crate::table::Table;

/// A plan node that brings its own walk, schema, explain line and
/// evaluation (the shape of DataFusion's user-defined logical nodes).
pub(crate) trait PlanOperator: std::fmt::Debug + Send + Sync {
    /// The operator's name in plans and messages, e.g. `Sample`.
    fn name(&self) -> &'static str;

    /// The plans this operator reads rows from, in order.
    fn inputs(&self) -> Vec<&Arc<Plan>>;

    /// The expressions this operator holds (over its first input's rows,
    /// or constant arguments), in order. None by default.
    fn exprs(&self) -> Vec<&BoundExpr> {
        Vec::new()
    }

    /// The columns this operator outputs, in order; `None` when they are
    /// known only once the query runs or a table is missing from
    /// `catalog`. Its inputs' schemas come from [`Plan::schema`].
    fn schema(&self, catalog: &Catalog) -> Option<Schema>;

    /// Its line in `--explain` (without the column count), given a printer
    /// of expressions over the first input's columns. The name by default.
    fn explain(&self, expr: &dyn Fn(&BoundExpr) -> String) -> String {
        let _ = expr;
        self.name().to_string()
    }

    /// Where the operator is in the query text, for limits that blame an
    /// operator. By default the span of its expressions.
    fn span(&self) -> Span {
        self.exprs()
            .into_iter()
            .map(|e| e.span)
            .filter(|s| !s.is_empty())
            .reduce(|a, b| a.to(b))
            .unwrap_or_default()
    }

    /// Runs the operator: evaluates its inputs with `exec` and computes
    /// its table, going through the executor's limits guard for rows it
    /// builds.
    fn evaluate(&self, exec: &mut Executor<'_>) -> Result<Table, EvalError>;

    /// The properties of the graph this operator makes, or `None` (the
    /// default) when it makes a table. An operator that makes a graph is
    /// read by the graph operators through [`PlanOperator::evaluate_graph`].
    fn graph_schema(&self) -> Option<GraphSchema> {
        None
    }

    /// Makes the graph of an operator whose [`PlanOperator::graph_schema`]
    /// is known.
    fn evaluate_graph(&self, exec: &mut Executor<'_>) -> Result<Arc<Graph>, EvalError> {
        let _ = exec;
        Err(EvalError::Internal(format!(
            "{} makes no graph",
            self.name()
        )))
    }
}
