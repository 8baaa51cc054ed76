//! Binding the graph operators. `make-graph` turns an edges table (and
//! node tables) into a graph, which is not a table: only the graph
//! operators (`graph-match`, `graph-shortest-paths`, `graph-to-table`,
//! `graph-mark-components`) read it. Their expressions name pattern
//! variables (`n.name`); binding rewrites each such reference into a column
//! of a per-match table the evaluator lays out ([`MatchColumn`]).

use std::sync::Arc;

use kqlite_parser::ast::{self, BinaryOp, EdgeDirection, Expr, ExprKind, Ident, OperatorKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::ops::{names_in, param_text};
use super::plan::{BoundExpr, Plan, Schema};
use super::{BResult, Binder, Reported};
use crate::types::DataType;

type Bound = (Arc<Plan>, Schema);

/// Longest variable length edge a pattern may ask for.
pub const MAX_EDGE_LENGTH: i64 = 64;

/// A bound `make-graph`.
#[derive(Debug, Clone)]
pub struct MakeGraphSpec {
    /// Edge column of each edge's source node id.
    pub source: usize,
    /// Edge column of each edge's target node id.
    pub target: usize,
    /// The id column of each node table.
    pub node_keys: Vec<usize>,
    /// `with_node_id=Name`: nodes get one property, their id, so named.
    pub node_id: Option<String>,
    /// The nodes' properties.
    pub node_schema: Schema,
    /// The edges' properties (the edge table's columns).
    pub edge_schema: Schema,
    /// The operator, for errors.
    pub span: Span,
    /// Stands for the graph of the current `partitioned-by` partition.
    pub partition: bool,
}

/// A bound `graph-to-table`.
#[derive(Debug, Clone)]
pub struct GraphToTableSpec {
    /// Nodes (else edges).
    pub nodes: bool,
    /// `with_node_id=` (nodes) or `with_source_id=` (edges).
    pub first_id: Option<String>,
    /// `with_target_id=` (edges).
    pub second_id: Option<String>,
    /// Output columns.
    pub columns: Schema,
}

/// How `graph-match` treats a path that comes back to where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycles {
    /// No edge twice in one match (the default).
    UniqueEdges,
    /// No node twice along one variable length edge, and no edge twice.
    None,
    /// Anything.
    All,
}

/// A node variable of a pattern (anonymous ones get a name of their own).
#[derive(Debug, Clone)]
pub struct NodeVar {
    /// Its name.
    pub name: String,
    /// Conditions on this node alone, over [`node_var_schema`].
    pub filters: Vec<BoundExpr>,
}

/// An edge variable of a pattern.
#[derive(Debug, Clone)]
pub struct EdgeVar {
    /// Its name.
    pub name: String,
    /// Which way it points.
    pub direction: EdgeDirection,
    /// `*min..max`; `None` for one edge.
    pub range: Option<(usize, usize)>,
    /// Conditions on this edge alone (single edges), over [`edge_var_schema`].
    pub filters: Vec<BoundExpr>,
    /// `all(e, cond)`: each edge of the path, over the edge properties.
    pub each_edge: Vec<BoundExpr>,
    /// `all(inner_nodes(e), cond)`: each inner node, over the node properties.
    pub each_inner: Vec<BoundExpr>,
}

/// A function over the elements of a variable length edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFunc {
    /// `all(e, cond)`: true when every element's condition is true.
    All,
    /// `any(e, cond)`: true when some element's condition is true.
    Any,
    /// `map(e, expr)`: the values, as a dynamic array.
    Map,
}

/// A column of the per-match table.
#[derive(Debug, Clone)]
pub enum MatchColumn {
    /// A node variable's property.
    NodeProperty {
        /// Node variable.
        var: usize,
        /// Property (node column).
        property: usize,
    },
    /// A node variable as a bag of its properties.
    NodeBag {
        /// Node variable.
        var: usize,
    },
    /// An edge variable's property (an array over a variable length edge).
    EdgeProperty {
        /// Edge variable.
        var: usize,
        /// Property (edge column).
        property: usize,
    },
    /// An edge variable as a bag (an array of bags over a variable length edge).
    EdgeBag {
        /// Edge variable.
        var: usize,
    },
    /// `all`/`any`/`map` over a variable length edge's edges or inner nodes.
    Path {
        /// Edge variable.
        var: usize,
        /// Which function.
        func: PathFunc,
        /// Over the inner nodes rather than the edges.
        inner: bool,
        /// The condition or value, over the element's properties.
        expr: BoundExpr,
    },
    /// `node_degree_in(n)` / `node_degree_out(n)`.
    Degree {
        /// Node variable.
        var: usize,
        /// Incoming edges (else outgoing).
        incoming: bool,
    },
}

/// A bound `graph-match` or `graph-shortest-paths`.
#[derive(Debug, Clone)]
pub struct GraphMatchSpec {
    /// `graph-shortest-paths`.
    pub shortest: bool,
    /// `output=all` of `graph-shortest-paths`.
    pub all_paths: bool,
    /// `cycles=`.
    pub cycles: Cycles,
    /// Node variables.
    pub nodes: Vec<NodeVar>,
    /// Edge variables.
    pub edges: Vec<EdgeVar>,
    /// Each path: its first node variable, then (edge, node) variables.
    pub paths: Vec<(usize, Vec<(usize, usize)>)>,
    /// The per-match table's columns, named.
    pub columns: Vec<(String, MatchColumn, DataType)>,
    /// What is left of `where`, over the per-match table.
    pub predicate: Option<BoundExpr>,
    /// Output columns, over the per-match table.
    pub project: Vec<(String, BoundExpr)>,
    /// The operator, for errors.
    pub span: Span,
}

/// The properties of a graph's nodes and edges, from the plan making it.
pub struct GraphSchema {
    /// Node properties.
    pub nodes: Schema,
    /// Edge properties.
    pub edges: Schema,
}

/// The schema of the graph `plan` makes, or `None` when it makes a table.
pub fn graph_schema(plan: &Plan) -> Option<GraphSchema> {
    match plan {
        Plan::MakeGraph { spec, .. } => Some(GraphSchema {
            nodes: spec.node_schema.clone(),
            edges: spec.edge_schema.clone(),
        }),
        Plan::GraphMarkComponents { input, name, .. } => {
            let mut g = graph_schema(input)?;
            match g.nodes.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = DataType::Long,
                None => g.nodes.push((name.clone(), DataType::Long)),
            }
            Some(g)
        }
        Plan::Extension(op) => op.graph_schema(),
        _ => None,
    }
}

/// Adds `more`'s properties to `props`: a new name at the end, a name
/// already there with another type as `dynamic` (where several tables
/// describe the same nodes, or two graphs merge).
pub(crate) fn add_properties(props: &mut Schema, more: &Schema) {
    for (n, t) in more {
        match props.iter_mut().find(|(m, _)| m == n) {
            Some(slot) if slot.1 != *t => slot.1 = DataType::Dynamic,
            Some(_) => {}
            None => props.push((n.clone(), *t)),
        }
    }
}

/// The columns a filter on node variable `var` reads: `var.prop` for each
/// property, then the bag `var`.
pub fn node_var_schema(var: &str, props: &Schema) -> Schema {
    let mut s: Schema = props
        .iter()
        .map(|(p, t)| (format!("{var}.{p}"), *t))
        .collect();
    s.push((var.to_string(), DataType::Dynamic));
    s
}

/// Whether an operator reads a graph rather than a table: in KQL every
/// operator over a graph is named `graph-...` (`make-graph`, which reads a
/// table, is not), so a new graph operator needs no entry here.
pub(crate) fn is_graph_operator(kind: &OperatorKind) -> bool {
    super::ops::operator_name(kind).starts_with("graph-")
}

/// Where a pattern variable's name is bound.
#[derive(Clone, Copy)]
enum Var {
    Node(usize),
    Edge(usize, bool),
}

/// What rewriting graph expressions needs.
struct Rewrite<'s> {
    vars: Vec<(String, Var)>,
    graph: &'s GraphSchema,
    columns: Vec<(String, MatchColumn, DataType)>,
    /// Edge variables that are variable length.
    var_length: Vec<bool>,
}

impl Rewrite<'_> {
    fn var(&self, name: &str) -> Option<Var> {
        self.vars.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    fn column(&mut self, name: String, col: MatchColumn, ty: DataType, span: Span) -> Expr {
        if !self.columns.iter().any(|(n, _, _)| *n == name) {
            self.columns.push((name.clone(), col, ty));
        }
        Expr {
            kind: ExprKind::Name(Ident { name, span }),
            span,
        }
    }
}

fn split_and(e: Expr, out: &mut Vec<Expr>) {
    match e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            split_and(*left, out);
            split_and(*right, out);
        }
        ExprKind::Paren(inner)
            if matches!(
                inner.kind,
                ExprKind::Binary {
                    op: BinaryOp::And,
                    ..
                }
            ) =>
        {
            split_and(*inner, out)
        }
        kind => out.push(Expr { kind, span: e.span }),
    }
}

fn and_all(parts: Vec<Expr>) -> Option<Expr> {
    parts.into_iter().reduce(|l, r| Expr {
        span: l.span.to(r.span),
        kind: ExprKind::Binary {
            op: BinaryOp::And,
            left: Box::new(l),
            right: Box::new(r),
        },
    })
}

impl Binder<'_> {
    /// An error unless `input` makes a graph and `op` reads one, or neither.
    pub(crate) fn check_graph_input(
        &mut self,
        op: &ast::Operator,
        input: &Plan,
    ) -> Result<(), Reported> {
        let graph = graph_schema(input).is_some();
        let wants = is_graph_operator(&op.kind);
        if graph && !wants {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    "a graph is used where a table is expected",
                    op.span,
                ),
                "follow `make-graph` with `graph-match`, `graph-shortest-paths`, \
                 `graph-to-table` or `graph-mark-components`",
            )));
        }
        if wants && !graph {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    "this graph operator needs a graph as its input",
                    op.span,
                ),
                "build one first with `| make-graph Source --> Target`",
            )));
        }
        Ok(())
    }

    /// An error when a query's result is a graph rather than a table.
    pub(crate) fn check_not_graph(&mut self, plan: &Plan, span: Span) -> Result<(), Reported> {
        if graph_schema(plan).is_some() {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    "the query ends with a graph, not a table",
                    span,
                ),
                "follow `make-graph` with `graph-match` or `graph-to-table`",
            )));
        }
        Ok(())
    }

    fn column_index(&mut self, id: &Ident, schema: &Schema) -> BResult<usize> {
        match schema.iter().position(|(n, _)| *n == id.name) {
            Some(i) => Ok(i),
            None => Err(self.unknown_column(&id.name, id.span, schema)),
        }
    }

    /// `make-graph` over the edges `input`.
    pub(crate) fn bind_make_graph(
        &mut self,
        g: &ast::MakeGraph,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let source = self.column_index(&g.source, &schema)?;
        let target = self.column_index(&g.target, &schema)?;
        let mut node_id = None;
        for p in &g.params {
            match (p.name.name.as_str(), param_text(&p.value)) {
                ("with_node_id", Some(n)) => node_id = Some(n),
                _ => {
                    return Err(self
                        .not_supported(&format!("make-graph parameter `{}`", p.name.name), p.span))
                }
            }
        }
        if node_id.is_some() && !g.nodes.is_empty() {
            return Err(self.fail(names::error(
                codes::INVALID,
                "`with_node_id` and node tables (`with T on Id`) cannot be used together",
                span,
            )));
        }
        let source_type = schema.get(source).map_or(DataType::Dynamic, |c| c.1);
        let target_type = schema.get(target).map_or(DataType::Dynamic, |c| c.1);
        let id_type = if source_type == target_type {
            source_type
        } else {
            DataType::Dynamic
        };
        let mut node_schema: Schema = Vec::new();
        let mut node_plans = Vec::new();
        let mut node_keys = Vec::new();
        for (table, key) in &g.nodes {
            let (plan, nodes) = self.bind_tabular(table)?;
            if graph_schema(&plan).is_some() {
                return Err(self.fail(names::error(
                    codes::WRONG_KIND,
                    "a node table must be a table, not a graph",
                    table.span,
                )));
            }
            let k = self.column_index(key, &nodes)?;
            node_keys.push(k);
            add_properties(&mut node_schema, &nodes);
            node_plans.push(plan);
        }
        if let Some(n) = &node_id {
            node_schema.push((n.clone(), id_type));
        }
        let spec = MakeGraphSpec {
            source,
            target,
            node_keys,
            node_id,
            node_schema,
            edge_schema: schema,
            span,
            partition: false,
        };
        if let Some((column, body)) = &g.partitioned_by {
            return self.bind_graph_partition(input, node_plans, spec, column, body, &g.nodes);
        }
        Ok((
            Arc::new(Plan::MakeGraph {
                edges: input,
                nodes: node_plans,
                spec: Arc::new(spec),
            }),
            Vec::new(),
        ))
    }

    /// `make-graph ... partitioned-by Column (operators)`.
    fn bind_graph_partition(
        &mut self,
        input: Arc<Plan>,
        node_plans: Vec<Arc<Plan>>,
        spec: MakeGraphSpec,
        column: &Ident,
        body: &ast::Subquery,
        node_exprs: &[(Expr, Ident)],
    ) -> BResult<Bound> {
        let mut columns = vec![self.column_index(column, &spec.edge_schema)?];
        for (plan, (table, _)) in node_plans.iter().zip(node_exprs) {
            let schema = plan.schema(self.catalog).unwrap_or_default();
            match schema.iter().position(|(n, _)| *n == column.name) {
                Some(i) => columns.push(i),
                None => {
                    return Err(self.fail(names::error(
                        codes::UNKNOWN_COLUMN,
                        format!(
                            "a node table of `make-graph ... partitioned-by` lacks the column `{}`",
                            column.name
                        ),
                        table.span,
                    )))
                }
            }
        }
        let mut inner = spec.clone();
        inner.partition = true;
        let mut plan = Arc::new(Plan::MakeGraph {
            edges: Arc::new(Plan::Input),
            nodes: Vec::new(),
            spec: Arc::new(inner),
        });
        let mut schema: Schema = Vec::new();
        for op in &body.ops {
            let (p, s) = self.bind_operator(op, plan, schema)?;
            plan = p;
            schema = s;
        }
        if graph_schema(&plan).is_some() {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    "the operators after `partitioned-by` end with a graph, not a table",
                    body.span,
                ),
                "end them with `graph-match` or `graph-to-table`",
            )));
        }
        Ok((
            Arc::new(Plan::GraphPartition {
                edges: input,
                nodes: node_plans,
                spec: Arc::new(spec),
                columns,
                body: plan,
            }),
            schema,
        ))
    }

    /// `graph-mark-components`.
    pub(crate) fn bind_mark_components(
        &mut self,
        params: &[ast::OperatorParam],
        input: Arc<Plan>,
    ) -> BResult<Bound> {
        let mut strong = false;
        let mut name = "ComponentId".to_string();
        for p in params {
            match (p.name.name.as_str(), param_text(&p.value)) {
                ("kind", Some(k)) if k == "weak" => strong = false,
                ("kind", Some(k)) if k == "strong" => strong = true,
                ("kind", _) => {
                    return Err(self.fail(names::with_hint(
                        names::error(codes::INVALID, "unknown component kind", p.value.span),
                        "use `kind=weak` or `kind=strong`",
                    )))
                }
                ("with_component_id", Some(n)) => name = n,
                _ => {
                    return Err(self.not_supported(
                        &format!("graph-mark-components parameter `{}`", p.name.name),
                        p.span,
                    ))
                }
            }
        }
        Ok((
            Arc::new(Plan::GraphMarkComponents {
                input,
                strong,
                name,
            }),
            Vec::new(),
        ))
    }

    /// `graph-to-table`: the first table is the result; with `as`, each
    /// table is also bound to its name for later statements.
    pub(crate) fn bind_graph_to_table(
        &mut self,
        items: &[ast::GraphToTableItem],
        input: Arc<Plan>,
    ) -> BResult<Bound> {
        let Some(graph) = graph_schema(&input) else {
            return Err(Reported);
        };
        let mut first: Option<Bound> = None;
        for item in items {
            let nodes = item.kind.name == "nodes";
            let mut first_id = None;
            let mut second_id = None;
            for p in &item.params {
                let value = param_text(&p.value);
                match (p.name.name.as_str(), nodes, value) {
                    ("with_node_id", true, Some(v)) | ("with_source_id", false, Some(v)) => {
                        first_id = Some(v)
                    }
                    ("with_target_id", false, Some(v)) => second_id = Some(v),
                    _ => {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            format!(
                                "`{}` does not apply to `graph-to-table {}`",
                                p.name.name, item.kind.name
                            ),
                            p.span,
                        )))
                    }
                }
            }
            let mut columns: Schema = Vec::new();
            for id in first_id.iter().chain(&second_id) {
                columns.push((id.clone(), DataType::Long));
            }
            let props = if nodes { &graph.nodes } else { &graph.edges };
            for (n, t) in props {
                if columns.iter().any(|(c, _)| c == n) {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        format!("`graph-to-table` would produce column `{n}` twice"),
                        item.span,
                    )));
                }
                columns.push((n.clone(), *t));
            }
            let plan = Arc::new(Plan::GraphToTable {
                input: input.clone(),
                spec: Arc::new(GraphToTableSpec {
                    nodes,
                    first_id,
                    second_id,
                    columns: columns.clone(),
                }),
            });
            if let Some(alias) = &item.alias {
                self.name_plan(alias, &plan, &columns);
            }
            if first.is_none() {
                first = Some((plan, columns));
            }
        }
        first.ok_or(Reported)
    }

    /// `graph-match` or `graph-shortest-paths`.
    pub(crate) fn bind_graph_match(
        &mut self,
        m: &ast::GraphMatch,
        input: Arc<Plan>,
        span: Span,
    ) -> BResult<Bound> {
        let Some(graph) = graph_schema(&input) else {
            return Err(Reported);
        };
        let mut cycles = Cycles::UniqueEdges;
        let mut all_paths = false;
        for p in &m.params {
            match (p.name.name.as_str(), param_text(&p.value).as_deref()) {
                ("cycles", Some("unique_edges")) => cycles = Cycles::UniqueEdges,
                ("cycles", Some("none")) => cycles = Cycles::None,
                ("cycles", Some("all")) => cycles = Cycles::All,
                ("output", Some("any")) => all_paths = false,
                ("output", Some("all")) => all_paths = true,
                (name, _) => {
                    let allowed = if m.shortest {
                        "`output=any` or `output=all`"
                    } else {
                        "`cycles=unique_edges`, `cycles=none` or `cycles=all`"
                    };
                    return Err(self.fail(names::with_hint(
                        names::error(codes::INVALID, format!("bad value for `{name}`"), p.span),
                        format!("use {allowed}"),
                    )));
                }
            }
        }
        // Variables, in pattern order.
        let mut vars: Vec<(String, Var)> = Vec::new();
        let mut nodes: Vec<NodeVar> = Vec::new();
        let mut edges: Vec<EdgeVar> = Vec::new();
        let mut paths = Vec::new();
        let mut anonymous = 0usize;
        let mut node_var = |this: &mut Self,
                            n: &ast::GraphNodePattern,
                            vars: &mut Vec<(String, Var)>,
                            nodes: &mut Vec<NodeVar>|
         -> BResult<usize> {
            let name = match &n.name {
                Some(id) => id.name.clone(),
                None => {
                    anonymous += 1;
                    format!("#node{anonymous}")
                }
            };
            match vars.iter().find(|(v, _)| *v == name) {
                Some((_, Var::Node(i))) => return Ok(*i),
                Some((_, Var::Edge(..))) => {
                    return Err(this.fail(names::error(
                        codes::INVALID,
                        format!("`{name}` names both an edge and a node of the pattern"),
                        n.span,
                    )))
                }
                None => {}
            }
            nodes.push(NodeVar {
                name: name.clone(),
                filters: Vec::new(),
            });
            vars.push((name, Var::Node(nodes.len() - 1)));
            Ok(nodes.len() - 1)
        };
        let mut var_length = Vec::new();
        for path in &m.pattern {
            let first = node_var(self, &path.first, &mut vars, &mut nodes)?;
            let mut steps = Vec::new();
            for (edge, node) in &path.steps {
                let name = match &edge.name {
                    Some(id) => {
                        if vars.iter().any(|(v, _)| *v == id.name) {
                            return Err(self.fail(names::error(
                                codes::INVALID,
                                format!("the pattern names `{}` twice", id.name),
                                id.span,
                            )));
                        }
                        id.name.clone()
                    }
                    None => format!("#edge{}", edges.len() + 1),
                };
                let range = match edge.range {
                    None => None,
                    Some((min, max)) => {
                        if min > max || max > MAX_EDGE_LENGTH {
                            return Err(self.fail(names::with_hint(
                                names::error(
                                    codes::INVALID,
                                    format!("bad variable length edge range *{min}..{max}"),
                                    edge.span,
                                ),
                                format!(
                                    "the range goes from a smaller to a larger count, at most {MAX_EDGE_LENGTH}"
                                ),
                            )));
                        }
                        Some((min as usize, max as usize))
                    }
                };
                var_length.push(range.is_some());
                edges.push(EdgeVar {
                    name: name.clone(),
                    direction: edge.direction,
                    range,
                    filters: Vec::new(),
                    each_edge: Vec::new(),
                    each_inner: Vec::new(),
                });
                vars.push((name, Var::Edge(edges.len() - 1, range.is_some())));
                let to = node_var(self, node, &mut vars, &mut nodes)?;
                steps.push((edges.len() - 1, to));
            }
            paths.push((first, steps));
        }
        if m.shortest {
            if m.pattern.len() != 1 {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    "`graph-shortest-paths` takes one path, not several",
                    span,
                )));
            }
            if !var_length.iter().any(|v| *v) {
                return Err(self.fail(names::with_hint(
                    names::error(
                        codes::INVALID,
                        "`graph-shortest-paths` needs a variable length edge in its pattern",
                        span,
                    ),
                    "write the edge as `-[e*1..5]->`",
                )));
            }
        }
        let mut rw = Rewrite {
            vars,
            graph: &graph,
            columns: Vec::new(),
            var_length,
        };
        // `where`: conditions on one variable run before matching.
        let mut rest = Vec::new();
        if let Some(pred) = &m.predicate {
            let pred = self.graph_rewrite(pred, &mut rw)?;
            let mut parts = Vec::new();
            split_and(pred, &mut parts);
            for part in parts {
                if !self.push_down(&part, &mut rw, &mut nodes, &mut edges)? {
                    rest.push(part);
                }
            }
        }
        let rest = and_all(rest);
        let mut project_items = Vec::new();
        for item in &m.project {
            let expr = self.graph_rewrite(&item.expr, &mut rw)?;
            project_items.push((item, expr));
        }
        // The per-match table: only the columns what is left reads.
        let mut used = Vec::new();
        if let Some(r) = &rest {
            names_in(r, &mut used);
        }
        for (_, e) in &project_items {
            names_in(e, &mut used);
        }
        if m.project.is_empty() {
            // No `project`: each named variable as a bag (an array of bags
            // for a variable length edge).
            for (name, var) in rw.vars.clone() {
                if name.starts_with('#') {
                    continue;
                }
                let col = match var {
                    Var::Node(v) => MatchColumn::NodeBag { var: v },
                    Var::Edge(v, _) => MatchColumn::EdgeBag { var: v },
                };
                rw.column(name.clone(), col, DataType::Dynamic, span);
                used.push(name);
            }
        }
        let columns: Vec<(String, MatchColumn, DataType)> = rw
            .columns
            .iter()
            .filter(|(n, _, _)| used.contains(n))
            .cloned()
            .collect();
        let schema: Schema = columns.iter().map(|(n, _, t)| (n.clone(), *t)).collect();
        let predicate = match &rest {
            Some(r) => {
                let b = self.bind_scalar(r, Some(&schema))?;
                if !matches!(b.ty, DataType::Bool | DataType::Dynamic) {
                    return Err(self.fail(names::error(
                        codes::TYPE_MISMATCH,
                        format!("`where` needs a bool predicate, got {}", b.ty),
                        r.span,
                    )));
                }
                Some(b)
            }
            None => None,
        };
        let mut project: Vec<(String, BoundExpr)> = Vec::new();
        let mut unnamed = 0;
        for (item, expr) in &project_items {
            let b = self.bind_scalar(expr, Some(&schema))?;
            let name = match item.names.as_slice() {
                [n] => n.name.clone(),
                [] => names::projected_name(&item.expr).unwrap_or_else(|| {
                    unnamed += 1;
                    format!("Column{unnamed}")
                }),
                _ => {
                    return Err(
                        self.not_supported("several output names for one expression", item.span)
                    )
                }
            };
            if project.iter().any(|(n, _)| *n == name) {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("`project` produces column `{name}` twice"),
                    item.span,
                )));
            }
            project.push((name, b));
        }
        if m.project.is_empty() {
            for (i, (n, _, t)) in columns.iter().enumerate() {
                project.push((
                    n.clone(),
                    BoundExpr {
                        kind: super::plan::BoundExprKind::Column(i),
                        ty: *t,
                        span,
                    },
                ));
            }
        }
        let out: Schema = project.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
        Ok((
            Arc::new(Plan::GraphMatch {
                input,
                spec: Arc::new(GraphMatchSpec {
                    shortest: m.shortest,
                    all_paths,
                    cycles,
                    nodes,
                    edges,
                    paths,
                    columns,
                    predicate,
                    project,
                    span,
                }),
            }),
            out,
        ))
    }

    /// Moves a `where` conjunct that reads one variable into that
    /// variable's filters; false when it reads more.
    fn push_down(
        &mut self,
        part: &Expr,
        rw: &mut Rewrite<'_>,
        nodes: &mut [NodeVar],
        edges: &mut [EdgeVar],
    ) -> BResult<bool> {
        let mut read = Vec::new();
        names_in(part, &mut read);
        let cols: Vec<&MatchColumn> = read
            .iter()
            .filter_map(|n| {
                rw.columns
                    .iter()
                    .find(|(c, _, _)| c == n)
                    .map(|(_, m, _)| m)
            })
            .collect();
        if cols.len() != read.len() || cols.is_empty() {
            return Ok(false);
        }
        // `all(e, cond)` alone: a condition on each element of the path.
        if let (
            [MatchColumn::Path {
                var,
                func: PathFunc::All,
                inner,
                expr,
            }],
            ExprKind::Name(_),
        ) = (cols.as_slice(), &part.kind)
        {
            if let Some(e) = edges.get_mut(*var) {
                if *inner {
                    e.each_inner.push(expr.clone());
                } else {
                    e.each_edge.push(expr.clone());
                }
                return Ok(true);
            }
        }
        let node_of = |c: &MatchColumn| match c {
            MatchColumn::NodeProperty { var, .. } | MatchColumn::NodeBag { var } => Some(*var),
            _ => None,
        };
        let edge_of = |c: &MatchColumn| match c {
            MatchColumn::EdgeProperty { var, .. } | MatchColumn::EdgeBag { var } => Some(*var),
            _ => None,
        };
        if let Some(Some(v)) = cols.first().map(|c| node_of(c)) {
            if cols.iter().all(|c| node_of(c) == Some(v)) {
                let Some(var) = nodes.get_mut(v) else {
                    return Ok(false);
                };
                let schema = node_var_schema(&var.name, &rw.graph.nodes);
                let b = self.bind_scalar(part, Some(&schema))?;
                var.filters.push(b);
                return Ok(true);
            }
        }
        if let Some(Some(v)) = cols.first().map(|c| edge_of(c)) {
            let single = !rw.var_length.get(v).copied().unwrap_or(true);
            if single && cols.iter().all(|c| edge_of(c) == Some(v)) {
                let Some(var) = edges.get_mut(v) else {
                    return Ok(false);
                };
                let schema = node_var_schema(&var.name, &rw.graph.edges);
                let b = self.bind_scalar(part, Some(&schema))?;
                var.filters.push(b);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Rewrites references to pattern variables into per-match columns.
    fn graph_rewrite(&mut self, e: &Expr, rw: &mut Rewrite<'_>) -> BResult<Expr> {
        let span = e.span;
        let boxed = |this: &mut Self, x: &Expr, rw: &mut Rewrite<'_>| -> BResult<Box<Expr>> {
            Ok(Box::new(this.graph_rewrite(x, rw)?))
        };
        let kind = match &e.kind {
            ExprKind::Name(id) => match rw.var(&id.name) {
                Some(Var::Node(v)) => {
                    return Ok(rw.column(
                        id.name.clone(),
                        MatchColumn::NodeBag { var: v },
                        DataType::Dynamic,
                        span,
                    ))
                }
                Some(Var::Edge(v, _)) => {
                    return Ok(rw.column(
                        id.name.clone(),
                        MatchColumn::EdgeBag { var: v },
                        DataType::Dynamic,
                        span,
                    ))
                }
                None => e.kind.clone(),
            },
            ExprKind::Member { target, member } => {
                if let ExprKind::Name(id) = &target.kind {
                    if let Some(var) = rw.var(&id.name) {
                        return self.graph_property(&id.name, var, member, span, rw);
                    }
                }
                ExprKind::Member {
                    target: boxed(self, target, rw)?,
                    member: member.clone(),
                }
            }
            ExprKind::Index { target, index } => ExprKind::Index {
                target: boxed(self, target, rw)?,
                index: boxed(self, index, rw)?,
            },
            ExprKind::Call(c) => {
                if let Some(x) = self.graph_call(c, span, rw)? {
                    return Ok(x);
                }
                let mut c = c.clone();
                for a in &mut c.args {
                    *a = self.graph_rewrite(a, rw)?;
                }
                for (_, a) in &mut c.named {
                    *a = self.graph_rewrite(a, rw)?;
                }
                ExprKind::Call(c)
            }
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: boxed(self, operand, rw)?,
            },
            ExprKind::Binary { op, left, right } => ExprKind::Binary {
                op: *op,
                left: boxed(self, left, rw)?,
                right: boxed(self, right, rw)?,
            },
            ExprKind::List { op, expr, list } => {
                let mut items = Vec::with_capacity(list.len());
                for x in list {
                    items.push(self.graph_rewrite(x, rw)?);
                }
                ExprKind::List {
                    op: *op,
                    expr: boxed(self, expr, rw)?,
                    list: items,
                }
            }
            ExprKind::Between {
                negated,
                expr,
                low,
                high,
            } => ExprKind::Between {
                negated: *negated,
                expr: boxed(self, expr, rw)?,
                low: boxed(self, low, rw)?,
                high: boxed(self, high, rw)?,
            },
            ExprKind::Paren(inner) => ExprKind::Paren(boxed(self, inner, rw)?),
            other => other.clone(),
        };
        Ok(Expr { kind, span })
    }

    fn graph_property(
        &mut self,
        var_name: &str,
        var: Var,
        member: &Ident,
        span: Span,
        rw: &mut Rewrite<'_>,
    ) -> BResult<Expr> {
        let (props, what) = match var {
            Var::Node(_) => (&rw.graph.nodes, "node"),
            Var::Edge(..) => (&rw.graph.edges, "edge"),
        };
        let Some(p) = props.iter().position(|(n, _)| *n == member.name) else {
            let d = names::error(
                codes::UNKNOWN_COLUMN,
                format!(
                    "the {what}s of the graph have no property `{}`",
                    member.name
                ),
                member.span,
            );
            let d = names::suggest(d, &member.name, props.iter().map(|(n, _)| n.as_str()));
            return Err(self.fail(d));
        };
        let ty = props.get(p).map_or(DataType::Dynamic, |c| c.1);
        let name = format!("{var_name}.{}", member.name);
        Ok(match var {
            Var::Node(v) => rw.column(
                name,
                MatchColumn::NodeProperty {
                    var: v,
                    property: p,
                },
                ty,
                span,
            ),
            Var::Edge(v, long) => rw.column(
                name,
                MatchColumn::EdgeProperty {
                    var: v,
                    property: p,
                },
                if long { DataType::Dynamic } else { ty },
                span,
            ),
        })
    }

    /// `all`, `any`, `map`, `node_degree_in`, `node_degree_out` over
    /// pattern variables; `None` for any other call.
    fn graph_call(
        &mut self,
        c: &ast::Call,
        span: Span,
        rw: &mut Rewrite<'_>,
    ) -> BResult<Option<Expr>> {
        let name = c.name.name.as_str();
        let var_of = |e: &Expr, rw: &Rewrite<'_>| match &e.kind {
            ExprKind::Name(id) => rw.var(&id.name).map(|v| (id.name.clone(), v)),
            _ => None,
        };
        match name {
            "node_degree_in" | "node_degree_out" => {
                let [arg] = c.args.as_slice() else {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        format!("`{name}` takes one node of the pattern"),
                        span,
                    )));
                };
                let Some((n, Var::Node(v))) = var_of(arg, rw) else {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        format!("`{name}` takes a node variable of the pattern"),
                        arg.span,
                    )));
                };
                let incoming = name == "node_degree_in";
                Ok(Some(rw.column(
                    format!("{name}({n})"),
                    MatchColumn::Degree { var: v, incoming },
                    DataType::Long,
                    span,
                )))
            }
            "all" | "any" | "map" => {
                let [target, body] = c.args.as_slice() else {
                    return Ok(None);
                };
                let (target, inner) = match &target.kind {
                    ExprKind::Call(inner) if inner.name.name == "inner_nodes" => {
                        match inner.args.as_slice() {
                            [x] => (x, true),
                            _ => {
                                return Err(self.fail(names::error(
                                    codes::ARITY,
                                    "`inner_nodes` takes one variable length edge",
                                    target.span,
                                )))
                            }
                        }
                    }
                    _ => (target, false),
                };
                let Some((edge_name, var)) = var_of(target, rw) else {
                    if inner {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "`inner_nodes` takes a variable length edge of the pattern",
                            target.span,
                        )));
                    }
                    return Ok(None);
                };
                let Var::Edge(v, true) = var else {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        format!("`{name}` takes a variable length edge (`-[e*1..3]->`)"),
                        target.span,
                    )));
                };
                let props = if inner {
                    rw.graph.nodes.clone()
                } else {
                    rw.graph.edges.clone()
                };
                let expr = self.bind_scalar(body, Some(&props))?;
                let func = match name {
                    "all" => PathFunc::All,
                    "any" => PathFunc::Any,
                    _ => PathFunc::Map,
                };
                if func != PathFunc::Map && !matches!(expr.ty, DataType::Bool | DataType::Dynamic) {
                    return Err(self.fail(names::error(
                        codes::TYPE_MISMATCH,
                        format!("the condition of `{name}` must be a bool, got {}", expr.ty),
                        body.span,
                    )));
                }
                let ty = if func == PathFunc::Map {
                    DataType::Dynamic
                } else {
                    DataType::Bool
                };
                let n = rw.columns.len();
                Ok(Some(rw.column(
                    format!("{name}({edge_name})#{n}"),
                    MatchColumn::Path {
                        var: v,
                        func,
                        inner,
                        expr,
                    },
                    ty,
                    span,
                )))
            }
            "inner_nodes" => Err(self.fail(names::with_hint(
                names::error(
                    codes::INVALID,
                    "`inner_nodes` is used inside `all`, `any` or `map`",
                    span,
                ),
                "write `map(inner_nodes(e), name)`",
            ))),
            _ => Ok(None),
        }
    }
}
