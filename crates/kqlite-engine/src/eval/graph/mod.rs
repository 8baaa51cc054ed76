//! Graphs: the value `make-graph` builds and the graph operators read.
//!
//! A [`Graph`] holds its nodes and its edges as tables of properties (one
//! row per node or edge), each edge's source and target node, and the
//! edges out of and into each node in edge order. Node order is the node
//! tables' rows first, then the nodes only edges name, in order of their
//! first appearance (source before target).

mod matching;

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use super::{EvalError, Executor};
use crate::bind::graph::{GraphToTableSpec, MakeGraphSpec};
use crate::bind::plan::Plan;
use crate::column::{Column, ColumnBuilder};
use crate::kernels::access::value_to_dynamic;
use crate::table::Table;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// A graph of nodes and directed edges, each with properties.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    /// Node properties, a row per node.
    pub nodes: Table,
    /// Each node's id.
    pub ids: Vec<Value>,
    /// Edge properties, a row per edge.
    pub edges: Table,
    /// Each edge's source node.
    pub source: Vec<u32>,
    /// Each edge's target node.
    pub target: Vec<u32>,
    /// The edges leaving each node, in edge order.
    pub outgoing: Vec<Vec<u32>>,
    /// The edges entering each node, in edge order.
    pub incoming: Vec<Vec<u32>>,
}

/// A node id as a hashable key: values equal in Kusto's `==` across
/// `int`/`long` are one node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum NodeKey {
    Null,
    Bool(bool),
    Long(i64),
    Real(u64),
    Text(Arc<str>),
    Time(i64),
    Span(i64),
    Guid(u128),
    Other(String),
}

/// The key of a node id (or of any value compared as node ids are).
pub(crate) fn node_key(v: &Value) -> NodeKey {
    match v {
        Value::Null => NodeKey::Null,
        Value::Bool(b) => NodeKey::Bool(*b),
        Value::Int(i) => NodeKey::Long(i64::from(*i)),
        Value::Long(i) => NodeKey::Long(*i),
        Value::Real(r) => NodeKey::Real(r.to_bits()),
        Value::Decimal(d) => NodeKey::Other(d.to_string()),
        Value::String(s) => NodeKey::Text(s.clone()),
        Value::DateTime(t) => NodeKey::Time(*t),
        Value::TimeSpan(t) => NodeKey::Span(*t),
        Value::Guid(g) => NodeKey::Guid(*g),
        Value::Dynamic(d) => match d {
            Dynamic::Null => NodeKey::Null,
            Dynamic::Bool(b) => NodeKey::Bool(*b),
            Dynamic::Long(i) => NodeKey::Long(*i),
            Dynamic::Real(r) => NodeKey::Real(r.to_bits()),
            Dynamic::String(s) => NodeKey::Text(s.clone()),
            Dynamic::DateTime(t) => NodeKey::Time(*t),
            Dynamic::TimeSpan(t) => NodeKey::Span(*t),
            Dynamic::Guid(g) => NodeKey::Guid(*g),
            other => NodeKey::Other(other.to_json().to_string()),
        },
    }
}

/// A node's hash id (`with_node_id`, `with_source_id`, `with_target_id`):
/// 64-bit FNV-1a of the id's kind and bytes. Stable across runs and
/// machines, but not the number Kusto's engine shows.
fn node_hash(v: &Value) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    match node_key(v) {
        NodeKey::Null => feed(&[0]),
        NodeKey::Bool(b) => feed(&[1, u8::from(b)]),
        NodeKey::Long(i) => {
            feed(&[2]);
            feed(&i.to_le_bytes());
        }
        NodeKey::Real(r) => {
            feed(&[3]);
            feed(&r.to_le_bytes());
        }
        NodeKey::Text(s) => {
            feed(&[4]);
            feed(s.as_bytes());
        }
        NodeKey::Time(t) => {
            feed(&[5]);
            feed(&t.to_le_bytes());
        }
        NodeKey::Span(t) => {
            feed(&[6]);
            feed(&t.to_le_bytes());
        }
        NodeKey::Guid(g) => {
            feed(&[7]);
            feed(&g.to_le_bytes());
        }
        NodeKey::Other(s) => {
            feed(&[8]);
            feed(s.as_bytes());
        }
    }
    h as i64
}

/// Pushes `v` into a builder of type `ty`, as `dynamic` when the column is
/// and as null when the types differ.
pub(crate) fn push_value(b: &mut ColumnBuilder, ty: DataType, v: &Value) {
    let v = if ty == DataType::Dynamic && !matches!(v, Value::Dynamic(_) | Value::Null) {
        Value::Dynamic(value_to_dynamic(v))
    } else {
        v.clone()
    };
    if b.push(&v).is_err() {
        b.push_null();
    }
}

/// Whether a property value counts as given where several rows describe
/// one node or edge: not null and not the empty string.
pub(crate) fn is_given(v: &Value) -> bool {
    !v.is_null() && *v != Value::String("".into())
}

fn table_error(e: crate::table::TableError) -> EvalError {
    EvalError::Internal(format!("graph table: {e}"))
}

impl Graph {
    /// A graph of these nodes and edges, each edge from `source` to
    /// `target` (node positions); the adjacency lists are worked out here.
    pub(crate) fn from_parts(
        nodes: Table,
        ids: Vec<Value>,
        edges: Table,
        source: Vec<u32>,
        target: Vec<u32>,
    ) -> Graph {
        let mut outgoing = vec![Vec::new(); ids.len()];
        let mut incoming = vec![Vec::new(); ids.len()];
        for (e, (s, t)) in source.iter().zip(&target).enumerate() {
            if let Some(list) = outgoing.get_mut(*s as usize) {
                list.push(e as u32);
            }
            if let Some(list) = incoming.get_mut(*t as usize) {
                list.push(e as u32);
            }
        }
        Graph {
            nodes,
            ids,
            edges,
            source,
            target,
            outgoing,
            incoming,
        }
    }
}

impl Executor<'_> {
    /// Evaluates a plan that makes a graph.
    pub(crate) fn graph(&mut self, plan: &Plan) -> Result<Arc<Graph>, EvalError> {
        self.guard.check()?;
        match plan {
            Plan::MakeGraph { spec, .. } if spec.partition => self
                .graph_inputs
                .last()
                .cloned()
                .ok_or_else(|| EvalError::Internal("partition graph read outside it".into())),
            Plan::MakeGraph { edges, nodes, spec } => {
                let edges = self.run(edges)?;
                let nodes = nodes
                    .iter()
                    .map(|p| self.run(p))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Arc::new(self.make_graph(edges, &nodes, spec)?))
            }
            Plan::GraphMarkComponents {
                input,
                strong,
                name,
            } => {
                let g = self.graph(input)?;
                let mut g = Graph::clone(&g);
                let ids = if *strong {
                    strong_components(&g)
                } else {
                    weak_components(&g)
                };
                let col = Column::new(crate::column::ColumnData::Long(ids));
                g.nodes
                    .set_column(name.clone(), Arc::new(col))
                    .map_err(table_error)?;
                Ok(Arc::new(g))
            }
            Plan::Extension(op) => op.evaluate_graph(self),
            _ => Err(EvalError::Internal("not a graph plan".into())),
        }
    }

    /// `make-graph ... partitioned-by`: the body over each partition's
    /// graph, partitions in order of their first edge, results
    /// concatenated.
    pub(in crate::eval) fn graph_partition(
        &mut self,
        edges: &Plan,
        nodes: &[Arc<Plan>],
        spec: &MakeGraphSpec,
        columns: &[usize],
        body: &Plan,
    ) -> Result<Table, EvalError> {
        let edges = self.run(edges)?;
        let nodes = nodes
            .iter()
            .map(|p| self.run(p))
            .collect::<Result<Vec<_>, _>>()?;
        // Rows of each table per partition value, values in order of
        // their first edge.
        let mut order: Vec<NodeKey> = Vec::new();
        let mut rows: HashMap<NodeKey, Vec<Vec<u32>>> = HashMap::new();
        let tables: Vec<&Table> = std::iter::once(&edges).chain(nodes.iter()).collect();
        for (t, (table, column)) in tables.iter().zip(columns).enumerate() {
            let Some((_, col)) = table.column_at(*column) else {
                continue;
            };
            for r in 0..table.num_rows() {
                self.guard.tick(r)?;
                let k = node_key(&col.get(r));
                if t > 0 && !rows.contains_key(&k) {
                    // Nodes of a partition without edges make no graph.
                    continue;
                }
                let entry = rows.entry(k.clone()).or_insert_with(|| {
                    order.push(k);
                    vec![Vec::new(); tables.len()]
                });
                if let Some(list) = entry.get_mut(t) {
                    list.push(r as u32);
                }
            }
        }
        let mut parts = Vec::new();
        for k in &order {
            let Some(lists) = rows.get(k) else {
                continue;
            };
            let part_edges = edges.take(lists.first().map_or(&[][..], Vec::as_slice));
            let part_nodes: Vec<Table> = nodes
                .iter()
                .enumerate()
                .map(|(i, t)| t.take(lists.get(i + 1).map_or(&[][..], Vec::as_slice)))
                .collect();
            let g = Arc::new(self.make_graph(part_edges, &part_nodes, spec)?);
            self.graph_inputs.push(g);
            let result = self.run(body);
            self.graph_inputs.pop();
            parts.push(result?);
        }
        if parts.is_empty() {
            let schema = body.schema(self.catalog).unwrap_or_default();
            let columns: Vec<(String, Arc<Column>)> = schema
                .iter()
                .map(|(n, t)| (n.clone(), Arc::new(Column::nulls(*t, 0))))
                .collect();
            if columns.is_empty() {
                return Ok(Table::empty(0));
            }
            return Table::try_new(columns).map_err(table_error);
        }
        crate::concat::concat_tables(parts)
            .ok_or_else(|| EvalError::Internal("partition results".into()))
    }

    fn make_graph(
        &mut self,
        edges: Table,
        node_tables: &[Table],
        spec: &MakeGraphSpec,
    ) -> Result<Graph, EvalError> {
        let mut index: HashMap<NodeKey, u32> = HashMap::new();
        let mut ids: Vec<Value> = Vec::new();
        // The rows of node tables each node merges: (table, row).
        let mut rows: Vec<Vec<(usize, usize)>> = Vec::new();
        for (t, (table, key)) in node_tables.iter().zip(&spec.node_keys).enumerate() {
            let Some((_, key_col)) = table.column_at(*key) else {
                continue;
            };
            for r in 0..table.num_rows() {
                self.guard.tick(r)?;
                let id = key_col.get(r);
                let k = node_key(&id);
                match index.get(&k) {
                    Some(n) => {
                        if let Some(list) = rows.get_mut(*n as usize) {
                            list.push((t, r));
                        }
                    }
                    None => {
                        index.insert(k, ids.len() as u32);
                        ids.push(id);
                        rows.push(vec![(t, r)]);
                    }
                }
            }
        }
        let source_col = edges.column_at(spec.source).map(|(_, c)| c.clone());
        let target_col = edges.column_at(spec.target).map(|(_, c)| c.clone());
        let (Some(source_col), Some(target_col)) = (source_col, target_col) else {
            return Err(EvalError::Internal("make-graph columns".into()));
        };
        let n_edges = edges.num_rows();
        let mut source = Vec::with_capacity(n_edges);
        let mut target = Vec::with_capacity(n_edges);
        for r in 0..n_edges {
            self.guard.tick(r)?;
            for (col, out) in [(&source_col, &mut source), (&target_col, &mut target)] {
                let id = col.get(r);
                let k = node_key(&id);
                let n = match index.get(&k) {
                    Some(n) => *n,
                    None => {
                        let n = ids.len() as u32;
                        index.insert(k, n);
                        ids.push(id);
                        rows.push(Vec::new());
                        n
                    }
                };
                out.push(n);
            }
        }
        self.check_rows(ids.len(), spec.span)?;
        // Node properties: each property from the first of the node's rows
        // that has it non-null; nodes only edges name get their id under
        // the first table's id column (or `with_node_id`'s name).
        let id_column: Option<&str> = match &spec.node_id {
            Some(n) => Some(n.as_str()),
            None => node_tables
                .first()
                .zip(spec.node_keys.first())
                .and_then(|(t, k)| t.column_at(*k))
                .map(|(n, _)| n),
        };
        let mut columns = Vec::with_capacity(spec.node_schema.len());
        for (name, ty) in &spec.node_schema {
            let mut b = ColumnBuilder::new(*ty, ids.len());
            let per_table: Vec<Option<&Arc<Column>>> =
                node_tables.iter().map(|t| t.column(name)).collect();
            for (n, id) in ids.iter().enumerate() {
                let merged = rows.get(n).and_then(|list| {
                    list.iter().find_map(|(t, r)| {
                        let c = per_table.get(*t).copied().flatten()?;
                        let v = c.get(*r);
                        is_given(&v).then_some(v)
                    })
                });
                let from_edges = rows.get(n).is_none_or(Vec::is_empty);
                let v = match merged {
                    Some(v) => v,
                    None if from_edges && id_column == Some(name.as_str()) => id.clone(),
                    None if spec.node_id.as_deref() == Some(name.as_str()) => id.clone(),
                    None => Value::Null,
                };
                push_value(&mut b, *ty, &v);
            }
            columns.push((name.clone(), Arc::new(b.finish())));
        }
        let nodes = super::build_table(columns, ids.len())?;
        Ok(Graph::from_parts(nodes, ids, edges, source, target))
    }
}

/// Weakly connected components, numbered from 0 in order of each
/// component's first node.
fn weak_components(g: &Graph) -> Vec<i64> {
    let n = g.ids.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while let Some(&p) = parent.get(x) {
            if p == x {
                break;
            }
            let gp = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(x) {
                *slot = gp;
            }
            x = p;
        }
        x
    }
    for (s, t) in g.source.iter().zip(&g.target) {
        let a = find(&mut parent, *s as usize);
        let b = find(&mut parent, *t as usize);
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            if let Some(slot) = parent.get_mut(hi) {
                *slot = lo;
            }
        }
    }
    number_components((0..n).map(|x| find(&mut parent, x)).collect())
}

/// Renumbers component labels 0, 1, ... in order of first appearance.
fn number_components(labels: Vec<usize>) -> Vec<i64> {
    let mut seen: HashMap<usize, i64> = HashMap::new();
    labels
        .into_iter()
        .map(|l| {
            let next = seen.len() as i64;
            *seen.entry(l).or_insert(next)
        })
        .collect()
}

/// Strongly connected components (Tarjan's algorithm without recursion),
/// numbered from 0 in order of each component's first node.
fn strong_components(g: &Graph) -> Vec<i64> {
    let n = g.ids.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut label = vec![usize::MAX; n];
    let mut next = 0usize;
    let mut components = 0usize;
    for root in 0..n {
        if index.get(root).copied() != Some(usize::MAX) {
            continue;
        }
        // (node, position in its outgoing list)
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some((v, i)) = work.last().copied() {
            if i == 0 && index.get(v).copied() == Some(usize::MAX) {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            let edge = g.outgoing.get(v).and_then(|l| l.get(i)).copied();
            if let Some(e) = edge {
                if let Some(top) = work.last_mut() {
                    top.1 += 1;
                }
                let w = g.target.get(e as usize).copied().unwrap_or(0) as usize;
                if index.get(w).copied() == Some(usize::MAX) {
                    work.push((w, 0));
                } else if on_stack.get(w).copied().unwrap_or(false) {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last().copied() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    label[w] = components;
                    if w == v {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    // Number by each component's first node.
    number_components(label)
}

/// `graph-to-table`: a row per node or per edge.
pub(super) fn to_table(g: &Graph, spec: &GraphToTableSpec) -> Result<Table, EvalError> {
    let mut columns: Vec<(String, Arc<Column>)> = Vec::new();
    let hashes = |nodes: &mut dyn Iterator<Item = u32>| -> Arc<Column> {
        let values: Vec<i64> = nodes
            .map(|n| g.ids.get(n as usize).map_or(0, node_hash))
            .collect();
        Arc::new(Column::new(crate::column::ColumnData::Long(values)))
    };
    let (table, rows) = if spec.nodes {
        if let Some(name) = &spec.first_id {
            columns.push((name.clone(), hashes(&mut (0..g.ids.len() as u32))));
        }
        (&g.nodes, g.ids.len())
    } else {
        if let Some(name) = &spec.first_id {
            columns.push((name.clone(), hashes(&mut g.source.iter().copied())));
        }
        if let Some(name) = &spec.second_id {
            columns.push((name.clone(), hashes(&mut g.target.iter().copied())));
        }
        (&g.edges, g.source.len())
    };
    for (name, col) in table.columns() {
        columns.push((name.to_string(), col.clone()));
    }
    if columns.is_empty() {
        return Ok(Table::empty(rows));
    }
    Table::try_new(columns).map_err(table_error)
}

/// A node or edge as a bag of its properties (nulls left out).
fn bag_of(table: &Table, row: usize) -> Dynamic {
    let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    for (name, col) in table.columns() {
        let d = value_to_dynamic(&col.get(row));
        if !matches!(d, Dynamic::Null) {
            bag.insert(name.into(), d);
        }
    }
    Dynamic::Bag(Arc::new(bag))
}
