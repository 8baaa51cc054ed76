//! `graph-merge` (Microsoft's KQL reference, `graph-merge-operator.md`):
//! `LeftGraph | graph-merge RightGraph [on Conditions]` combines the nodes
//! and edges of two graphs into one graph.
//!
//! What the reference documents, and how kqlite keeps it:
//! - Nodes with the same id are one node. Its properties are those of both
//!   graphs (the left graph's first); where both give one, the left
//!   graph's value is kept, and the right's fills a null or empty one.
//! - Without conditions, the edges are the union of both graphs' edges,
//!   each keeping its own properties; a property only the other graph has
//!   is null.
//! - With conditions (`on Column` for the same edge property on both
//!   sides, `on $left.a == $right.b` otherwise; all of them must hold), a
//!   left edge and a right edge that agree merge into one edge carrying
//!   both edges' properties, the left edge's first as for nodes. Edges
//!   that agree with none stay as they are.
//! - The reference does not say what happens when several edges of one
//!   side agree: kqlite pairs them in order, the first left edge with the
//!   first right edge, so no edge is lost. A null never agrees.
//! - A property the two graphs give different types is `dynamic`.
//!
//! Order: the left graph's nodes, then the right graph's new ones; the
//! left graph's edges (merged or not), then the right graph's unmerged
//! ones, each in its graph's order.
//!
//! This operator is on the [`PlanOperator`] shape: binding, the plan node
//! and evaluation are all here.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use kqlite_parser::ast::Expr;
use kqlite_parser::Span;

use super::super::graph::{add_properties, graph_schema, GraphSchema};
use super::super::names::{self, codes};
use super::super::operator::PlanOperator;
use super::super::plan::{BoundExpr, Plan, Schema};
use super::super::{BResult, Binder, Reported};
use super::Bound;
use crate::catalog::Catalog;
use crate::column::{Column, ColumnBuilder};
use crate::eval::graph::{is_given, node_key, push_value, Graph, NodeKey};
use crate::eval::{EvalError, Executor};
use crate::table::Table;
use crate::value::Value;

/// A bound `graph-merge`: a graph made of two graphs.
#[derive(Debug)]
pub(crate) struct GraphMerge {
    /// The left graph.
    left: Arc<Plan>,
    /// The right graph.
    right: Arc<Plan>,
    /// Edge properties of the left graph that must equal `right_keys`
    /// for two edges to merge; empty: edges are not merged.
    left_keys: Vec<usize>,
    /// Edge properties of the right graph, pairwise with `left_keys`.
    right_keys: Vec<usize>,
    /// The conditions by name, for `--explain`.
    on: Vec<(String, String)>,
    /// The merged graph's node properties.
    nodes: Schema,
    /// The merged graph's edge properties.
    edges: Schema,
    /// The operator, for errors.
    span: Span,
}

impl Binder<'_> {
    /// Binds `graph-merge right [on ...]` over the graph `left`.
    pub(crate) fn bind_graph_merge(
        &mut self,
        right: &Expr,
        on: &[Expr],
        left: Arc<Plan>,
        span: Span,
    ) -> BResult<Bound> {
        // `bind_operator` has already reported a left side that is a table.
        let left_graph = graph_schema(&left).ok_or(Reported)?;
        let (right, _) = self.bind_tabular(right)?;
        let Some(right_graph) = graph_schema(&right) else {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    "`graph-merge` needs a graph on its right side, not a table",
                    span,
                ),
                "build one with `make-graph`, e.g. `let G2 = T | make-graph Source --> Target;`",
            )));
        };
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        let mut named = Vec::new();
        for (l, r, _) in self.key_pairs(on, "graph-merge")? {
            let Some(li) = left_graph.edges.iter().position(|(n, _)| *n == l.name) else {
                return Err(self.unknown_column(&l.name, l.span, &left_graph.edges));
            };
            let Some(ri) = right_graph.edges.iter().position(|(n, _)| *n == r.name) else {
                return Err(self.unknown_column(&r.name, r.span, &right_graph.edges));
            };
            left_keys.push(li);
            right_keys.push(ri);
            named.push((l.name, r.name));
        }
        let mut nodes = left_graph.nodes;
        add_properties(&mut nodes, &right_graph.nodes);
        let mut edges = left_graph.edges;
        add_properties(&mut edges, &right_graph.edges);
        let merge = GraphMerge {
            left,
            right,
            left_keys,
            right_keys,
            on: named,
            nodes,
            edges,
            span,
        };
        Ok((Arc::new(Plan::Extension(Arc::new(merge))), Vec::new()))
    }
}

impl PlanOperator for GraphMerge {
    fn name(&self) -> &'static str {
        "GraphMerge"
    }

    fn inputs(&self) -> Vec<&Arc<Plan>> {
        vec![&self.left, &self.right]
    }

    /// A graph is not a table: it has no columns.
    fn schema(&self, _catalog: &Catalog) -> Option<Schema> {
        Some(Vec::new())
    }

    fn explain(&self, _expr: &dyn Fn(&BoundExpr) -> String) -> String {
        if self.on.is_empty() {
            return "GraphMerge (edges unioned)".to_string();
        }
        let on: Vec<String> = self
            .on
            .iter()
            .map(|(l, r)| format!("$left.{l} == $right.{r}"))
            .collect();
        format!("GraphMerge on {}", on.join(", "))
    }

    fn span(&self) -> Span {
        self.span
    }

    fn evaluate(&self, _exec: &mut Executor<'_>) -> Result<Table, EvalError> {
        Err(EvalError::Invalid {
            span: self.span,
            message: "a graph must be followed by a graph operator".into(),
        })
    }

    fn graph_schema(&self) -> Option<GraphSchema> {
        Some(GraphSchema {
            nodes: self.nodes.clone(),
            edges: self.edges.clone(),
        })
    }

    fn evaluate_graph(&self, exec: &mut Executor<'_>) -> Result<Arc<Graph>, EvalError> {
        let left = exec.graph(&self.left)?;
        let right = exec.graph(&self.right)?;
        Ok(Arc::new(self.merge(&left, &right, exec)?))
    }
}

impl GraphMerge {
    fn merge(&self, left: &Graph, right: &Graph, exec: &Executor<'_>) -> Result<Graph, EvalError> {
        let guard = exec.guard();
        // Nodes: the left graph's, then the right graph's new ones, each
        // with its row in either graph's node table.
        let mut ids = left.ids.clone();
        let mut index: HashMap<NodeKey, u32> = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            index.entry(node_key(id)).or_insert(i as u32);
        }
        let mut left_rows: Vec<Option<usize>> = (0..ids.len()).map(Some).collect();
        let mut right_rows: Vec<Option<usize>> = vec![None; ids.len()];
        let mut right_node: Vec<u32> = Vec::with_capacity(right.ids.len());
        for (i, id) in right.ids.iter().enumerate() {
            guard.tick(i)?;
            let key = node_key(id);
            let n = match index.get(&key) {
                Some(n) => *n,
                None => {
                    let n = ids.len() as u32;
                    index.insert(key, n);
                    ids.push(id.clone());
                    left_rows.push(None);
                    right_rows.push(None);
                    n
                }
            };
            if let Some(slot @ None) = right_rows.get_mut(n as usize) {
                *slot = Some(i);
            }
            right_node.push(n);
        }
        exec.check_rows(ids.len(), self.span)?;
        let nodes = combine(
            &self.nodes,
            &left.nodes,
            &right.nodes,
            &left_rows,
            &right_rows,
        )?;

        // Edges: right edges waiting for a left edge that agrees, by key.
        let mut waiting: HashMap<Vec<NodeKey>, VecDeque<usize>> = HashMap::new();
        if !self.right_keys.is_empty() {
            for e in 0..right.edges.num_rows() {
                guard.tick(e)?;
                if let Some(k) = edge_key(&right.edges, &self.right_keys, e) {
                    waiting.entry(k).or_default().push_back(e);
                }
            }
        }
        let total = left.edges.num_rows() + right.edges.num_rows();
        let mut left_edges: Vec<Option<usize>> = Vec::with_capacity(total);
        let mut right_edges: Vec<Option<usize>> = Vec::with_capacity(total);
        let mut source: Vec<u32> = Vec::with_capacity(total);
        let mut target: Vec<u32> = Vec::with_capacity(total);
        let mut merged = vec![false; right.edges.num_rows()];
        for (e, (s, t)) in left.source.iter().zip(&left.target).enumerate() {
            guard.tick(e)?;
            let partner = match edge_key(&left.edges, &self.left_keys, e) {
                Some(k) if !self.left_keys.is_empty() => {
                    waiting.get_mut(&k).and_then(VecDeque::pop_front)
                }
                _ => None,
            };
            if let Some(slot) = partner.and_then(|p| merged.get_mut(p)) {
                *slot = true;
            }
            left_edges.push(Some(e));
            right_edges.push(partner);
            source.push(*s);
            target.push(*t);
        }
        for (e, (s, t)) in right.source.iter().zip(&right.target).enumerate() {
            guard.tick(e)?;
            if merged.get(e).copied().unwrap_or(false) {
                continue;
            }
            let (Some(s), Some(t)) = (right_node.get(*s as usize), right_node.get(*t as usize))
            else {
                return Err(EvalError::Internal("graph-merge edge end".into()));
            };
            left_edges.push(None);
            right_edges.push(Some(e));
            source.push(*s);
            target.push(*t);
        }
        exec.check_rows(source.len(), self.span)?;
        let edges = combine(
            &self.edges,
            &left.edges,
            &right.edges,
            &left_edges,
            &right_edges,
        )?;
        Ok(Graph::from_parts(nodes, ids, edges, source, target))
    }
}

/// The key of edge `row` over the `columns` of `edges`; `None` when a
/// value is null (a null agrees with nothing).
fn edge_key(edges: &Table, columns: &[usize], row: usize) -> Option<Vec<NodeKey>> {
    columns
        .iter()
        .map(|c| {
            let v = edges.column_at(*c)?.1.get(row);
            (!v.is_null()).then(|| node_key(&v))
        })
        .collect()
}

/// The properties of merged nodes or edges, each made of a row of `left`,
/// a row of `right` or both: a property takes the left row's value when it
/// is given, else the right row's.
fn combine(
    schema: &Schema,
    left: &Table,
    right: &Table,
    left_rows: &[Option<usize>],
    right_rows: &[Option<usize>],
) -> Result<Table, EvalError> {
    let rows = left_rows.len();
    let mut columns = Vec::with_capacity(schema.len());
    for (name, ty) in schema {
        let (l, r) = (left.column(name), right.column(name));
        let value = |c: Option<&Arc<Column>>, row: Option<usize>| {
            c.zip(row).map(|(c, i)| c.get(i)).filter(is_given)
        };
        let mut b = ColumnBuilder::new(*ty, rows);
        for (lr, rr) in left_rows.iter().zip(right_rows) {
            let v = value(l, *lr)
                .or_else(|| value(r, *rr))
                .unwrap_or(Value::Null);
            push_value(&mut b, *ty, &v);
        }
        columns.push((name.clone(), Arc::new(b.finish())));
    }
    crate::eval::build_table(columns, rows)
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, RunOptions};

    fn explain(q: &str) -> String {
        let pre = "let E = datatable(a: long, b: long) [1, 2]; let G = E | make-graph a --> b;";
        Engine::new()
            .explain(&format!("{pre} {q}"), &RunOptions::default())
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
    }

    #[test]
    fn explain_prints_the_merge_with_its_conditions_above_both_graphs() {
        let plan = explain("G | graph-merge G on a, $left.b == $right.a | graph-to-table edges");
        assert!(
            plan.contains(
                "\n  GraphMerge on $left.a == $right.a, $left.b == $right.a (0 columns)\n    MakeGraph"
            ),
            "{plan}"
        );
        assert_eq!(plan.matches("MakeGraph").count(), 2, "{plan}");
        let plan = explain("G | graph-merge G | graph-to-table nodes");
        assert!(plan.contains("GraphMerge (edges unioned)"), "{plan}");
    }

    #[test]
    fn a_query_ending_with_the_merged_graph_is_an_error() {
        let err = Engine::new()
            .run("let E = datatable(a: long, b: long) [1, 2]; let G = E | make-graph a --> b; G | graph-merge G")
            .expect_err("a graph is not a result");
        assert!(format!("{err:?}").contains("ends with a graph"), "{err:?}");
    }
}
