//! `graph-match` and `graph-shortest-paths`: finding a pattern's matches,
//! laying them out as a table (a column per variable property the query
//! reads) and filtering and projecting that table.
//!
//! Matches are found depth first, path by path in pattern order: the first
//! node runs over the nodes in node order, and a variable length edge
//! tries its shorter lengths first, so the matches of one start node come
//! shortest first. Conditions on one variable alone (and `all(e, ...)`)
//! prune the search; the rest of `where` filters the matches.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kqlite_parser::ast::EdgeDirection;

use super::{bag_of, Graph};
use crate::bind::graph::{node_var_schema, Cycles, GraphMatchSpec, MatchColumn, PathFunc};
use crate::bind::plan::BoundExpr;
use crate::column::{Column, ColumnBuilder, ColumnData};
use crate::eval::{EvalError, Executor};
use crate::kernels::access::value_to_dynamic;
use crate::table::Table;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// One match: the node of each node variable, and the nodes walked by each
/// edge variable (its first node, then the node after each edge) with the
/// edges.
#[derive(Debug, Clone)]
struct Match {
    nodes: Vec<u32>,
    walks: Vec<(Vec<u32>, Vec<u32>)>,
}

impl Match {
    fn length(&self) -> usize {
        self.walks.iter().map(|(_, e)| e.len()).sum()
    }
}

fn truthy(v: &Value) -> bool {
    matches!(v, Value::Bool(true) | Value::Dynamic(Dynamic::Bool(true)))
}

/// A mask over rows where every condition is true; `None` without any.
fn all_true(columns: &[Arc<Column>], rows: usize) -> Option<Vec<bool>> {
    if columns.is_empty() {
        return None;
    }
    Some(
        (0..rows)
            .map(|r| columns.iter().all(|c| truthy(&c.get(r))))
            .collect(),
    )
}

/// Search state.
struct Search<'g> {
    g: &'g Graph,
    spec: &'g GraphMatchSpec,
    cycles: Cycles,
    node_ok: Vec<Option<Vec<bool>>>,
    edge_ok: Vec<Option<Vec<bool>>>,
    inner_ok: Vec<Option<Vec<bool>>>,
    bound: Vec<Option<u32>>,
    walks: Vec<(Vec<u32>, Vec<u32>)>,
    used: Vec<bool>,
    out: Vec<Match>,
    max: usize,
    steps: usize,
}

/// What stops a search.
enum Stop {
    TooMany,
    Eval(EvalError),
}

impl Search<'_> {
    /// `graph-shortest-paths` over one variable length edge starting at 0
    /// or 1 edges, with every condition on single variables: a breadth
    /// first search from each start node that never walks to a node it
    /// reached in fewer edges (nor, for `output=any`, in as many), so each
    /// end is found by its shortest paths only. `None` for other patterns,
    /// which are searched in full.
    fn breadth_first(&mut self, ex: &Executor<'_>) -> Option<Result<(), Stop>> {
        let spec = self.spec;
        let [(first, steps)] = spec.paths.as_slice() else {
            return None;
        };
        let [(edge_var, to_var)] = steps.as_slice() else {
            return None;
        };
        let edge = spec.edges.get(*edge_var)?;
        let (min, max) = edge.range?;
        if !spec.shortest || spec.predicate.is_some() || min > 1 || first == to_var {
            return None;
        }
        Some(self.bfs(ex, (*first, *edge_var, *to_var), edge.direction, (min, max)))
    }

    fn bfs(
        &mut self,
        ex: &Executor<'_>,
        (first, edge_var, to_var): (usize, usize, usize),
        direction: EdgeDirection,
        (min, max): (usize, usize),
    ) -> Result<(), Stop> {
        let g = self.g;
        let nodes = g.ids.len();
        for s in 0..nodes as u32 {
            self.tick(ex)?;
            if !Self::allowed(&self.node_ok[first], s) {
                continue;
            }
            let mut depth_of: Vec<Option<usize>> = vec![None; nodes];
            if let Some(d) = depth_of.get_mut(s as usize) {
                *d = Some(0);
            }
            // Walks (nodes, edges) of the current length.
            let mut frontier: Vec<(Vec<u32>, Vec<u32>)> = vec![(vec![s], Vec::new())];
            if min == 0 {
                self.emit(first, edge_var, to_var, &frontier[0])?;
            }
            for depth in 1..=max {
                let mut next: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
                for (walk_nodes, walk_edges) in &frontier {
                    let at = walk_nodes.last().copied().unwrap_or(s);
                    if walk_nodes.len() > 1 && !Self::allowed(&self.inner_ok[edge_var], at) {
                        continue;
                    }
                    let out = g.outgoing.get(at as usize).map_or(&[][..], Vec::as_slice);
                    let inc = g.incoming.get(at as usize).map_or(&[][..], Vec::as_slice);
                    let forward = out
                        .iter()
                        .map(|e| (*e, g.target.get(*e as usize).copied().unwrap_or(0)));
                    let backward = inc
                        .iter()
                        .filter(|e| {
                            direction != EdgeDirection::Any
                                || g.source.get(**e as usize) != g.target.get(**e as usize)
                        })
                        .map(|e| (*e, g.source.get(*e as usize).copied().unwrap_or(0)));
                    let candidates: Vec<(u32, u32)> = match direction {
                        EdgeDirection::Right => forward.collect(),
                        EdgeDirection::Left => backward.collect(),
                        EdgeDirection::Any => forward.chain(backward).collect(),
                    };
                    for (e, n) in candidates {
                        self.tick(ex)?;
                        if !Self::allowed(&self.edge_ok[edge_var], e) || walk_nodes.contains(&n) {
                            continue;
                        }
                        let Some(slot) = depth_of.get_mut(n as usize) else {
                            continue;
                        };
                        match *slot {
                            Some(d) if d < depth || !self.spec.all_paths => continue,
                            _ => *slot = Some(depth),
                        }
                        let mut nn = walk_nodes.clone();
                        nn.push(n);
                        let mut ee = walk_edges.clone();
                        ee.push(e);
                        next.push((nn, ee));
                    }
                }
                for walk in &next {
                    self.emit(first, edge_var, to_var, walk)?;
                }
                frontier = next;
                if frontier.is_empty() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Records the walk as a match when its end may be the last node.
    fn emit(
        &mut self,
        first: usize,
        edge_var: usize,
        to_var: usize,
        walk: &(Vec<u32>, Vec<u32>),
    ) -> Result<(), Stop> {
        let (Some(&s), Some(&end)) = (walk.0.first(), walk.0.last()) else {
            return Ok(());
        };
        if !Self::allowed(&self.node_ok[to_var], end) {
            return Ok(());
        }
        if self.out.len() >= self.max {
            return Err(Stop::TooMany);
        }
        let mut nodes = vec![0u32; self.spec.nodes.len()];
        if let Some(x) = nodes.get_mut(first) {
            *x = s;
        }
        if let Some(x) = nodes.get_mut(to_var) {
            *x = end;
        }
        let mut walks = vec![(Vec::new(), Vec::new()); self.spec.edges.len()];
        if let Some(w) = walks.get_mut(edge_var) {
            *w = walk.clone();
        }
        self.out.push(Match { nodes, walks });
        Ok(())
    }

    fn allowed(mask: &Option<Vec<bool>>, i: u32) -> bool {
        mask.as_ref()
            .is_none_or(|m| m.get(i as usize).copied().unwrap_or(false))
    }

    fn tick(&mut self, ex: &Executor<'_>) -> Result<(), Stop> {
        self.steps += 1;
        ex.guard.tick(self.steps).map_err(Stop::Eval)
    }

    /// Matches path `p` from its start, then the paths after it.
    fn path(&mut self, ex: &Executor<'_>, p: usize) -> Result<(), Stop> {
        let Some((first, _)) = self.spec.paths.get(p) else {
            if self.out.len() >= self.max {
                return Err(Stop::TooMany);
            }
            self.out.push(Match {
                nodes: self.bound.iter().map(|b| b.unwrap_or(0)).collect(),
                walks: self.walks.clone(),
            });
            return Ok(());
        };
        let first = *first;
        match self.bound.get(first).copied().flatten() {
            Some(n) => self.step(ex, p, 0, n),
            None => {
                for n in 0..self.g.ids.len() as u32 {
                    self.tick(ex)?;
                    if !Self::allowed(&self.node_ok[first], n) {
                        continue;
                    }
                    self.bound[first] = Some(n);
                    self.step(ex, p, 0, n)?;
                    self.bound[first] = None;
                }
                Ok(())
            }
        }
    }

    /// Matches step `s` of path `p` from node `at`.
    fn step(&mut self, ex: &Executor<'_>, p: usize, s: usize, at: u32) -> Result<(), Stop> {
        let spec = self.spec;
        let Some((edge_var, to_var)) = spec.paths.get(p).and_then(|(_, st)| st.get(s)).copied()
        else {
            return self.path(ex, p + 1);
        };
        let Some(edge) = spec.edges.get(edge_var) else {
            return Ok(());
        };
        let (min, max) = edge.range.unwrap_or((1, 1));
        for length in min..=max {
            self.walks[edge_var] = (vec![at], Vec::new());
            self.walk(ex, p, s, edge_var, to_var, edge.direction, length)?;
        }
        self.walks[edge_var] = (Vec::new(), Vec::new());
        Ok(())
    }

    /// Extends the walk of `edge_var` by `left` more edges, then binds its
    /// end to `to_var` and goes on with the next step.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        ex: &Executor<'_>,
        p: usize,
        s: usize,
        edge_var: usize,
        to_var: usize,
        direction: EdgeDirection,
        left: usize,
    ) -> Result<(), Stop> {
        self.tick(ex)?;
        let at = self.walks[edge_var].0.last().copied().unwrap_or(0);
        if left == 0 {
            match self.bound.get(to_var).copied().flatten() {
                Some(n) if n == at => return self.step(ex, p, s + 1, at),
                Some(_) => return Ok(()),
                None => {
                    if !Self::allowed(&self.node_ok[to_var], at) {
                        return Ok(());
                    }
                    self.bound[to_var] = Some(at);
                    let r = self.step(ex, p, s + 1, at);
                    self.bound[to_var] = None;
                    return r;
                }
            }
        }
        // Leaving a node that is not the walk's first makes it inner.
        if self.walks[edge_var].0.len() > 1 && !Self::allowed(&self.inner_ok[edge_var], at) {
            return Ok(());
        }
        let g = self.g;
        let out = g.outgoing.get(at as usize).map_or(&[][..], Vec::as_slice);
        let inc = g.incoming.get(at as usize).map_or(&[][..], Vec::as_slice);
        let candidates: Vec<(u32, u32)> = match direction {
            EdgeDirection::Right => out
                .iter()
                .map(|e| (*e, g.target.get(*e as usize).copied().unwrap_or(0)))
                .collect(),
            EdgeDirection::Left => inc
                .iter()
                .map(|e| (*e, g.source.get(*e as usize).copied().unwrap_or(0)))
                .collect(),
            EdgeDirection::Any => out
                .iter()
                .map(|e| (*e, g.target.get(*e as usize).copied().unwrap_or(0)))
                .chain(
                    inc.iter()
                        .filter(|e| g.source.get(**e as usize) != g.target.get(**e as usize))
                        .map(|e| (*e, g.source.get(*e as usize).copied().unwrap_or(0))),
                )
                .collect(),
        };
        for (e, next) in candidates {
            if !Self::allowed(&self.edge_ok[edge_var], e) {
                continue;
            }
            let reused = self.used.get(e as usize).copied().unwrap_or(false);
            if reused && self.cycles != Cycles::All {
                continue;
            }
            if self.cycles == Cycles::None && self.walks[edge_var].0.contains(&next) {
                continue;
            }
            self.used[e as usize] = true;
            self.walks[edge_var].0.push(next);
            self.walks[edge_var].1.push(e);
            let r = self.walk(ex, p, s, edge_var, to_var, direction, left - 1);
            self.walks[edge_var].0.pop();
            self.walks[edge_var].1.pop();
            self.used[e as usize] = reused;
            r?;
        }
        Ok(())
    }
}

impl Executor<'_> {
    /// A mask over `table`'s rows from conditions bound over `schema`-named
    /// columns: `table`'s columns renamed `var.prop`, then `var` as a bag.
    fn var_mask(
        &mut self,
        var: &str,
        table: &Table,
        filters: &[BoundExpr],
    ) -> Result<Option<Vec<bool>>, EvalError> {
        if filters.is_empty() {
            return Ok(None);
        }
        let schema: Vec<(String, DataType)> = node_var_schema(var, &table.schema());
        let rows = table.num_rows();
        let mut columns: Vec<(String, Arc<Column>)> = Vec::new();
        for ((name, _), (_, col)) in schema.iter().zip(table.columns()) {
            columns.push((name.clone(), col.clone()));
        }
        let bags: Vec<Dynamic> = (0..rows).map(|r| bag_of(table, r)).collect();
        columns.push((
            var.to_string(),
            Arc::new(Column::new(ColumnData::Dynamic(bags))),
        ));
        let t = Table::try_new(columns).map_err(super::table_error)?;
        let mut results = Vec::new();
        for f in filters {
            results.push(self.eval(f, &t)?.into_column(rows));
        }
        Ok(all_true(&results, rows))
    }

    fn each_mask(
        &mut self,
        table: &Table,
        filters: &[BoundExpr],
    ) -> Result<Option<Vec<bool>>, EvalError> {
        let rows = table.num_rows();
        let mut results = Vec::new();
        for f in filters {
            results.push(self.eval(f, table)?.into_column(rows));
        }
        Ok(all_true(&results, rows))
    }

    /// Runs `graph-match` / `graph-shortest-paths` over `g`.
    pub(in crate::eval) fn graph_match(
        &mut self,
        g: &Graph,
        spec: &GraphMatchSpec,
    ) -> Result<Table, EvalError> {
        let mut node_ok = Vec::new();
        for v in &spec.nodes {
            node_ok.push(self.var_mask(&v.name, &g.nodes, &v.filters)?);
        }
        let mut edge_ok = Vec::new();
        let mut inner_ok = Vec::new();
        for e in &spec.edges {
            let single = self.var_mask(&e.name, &g.edges, &e.filters)?;
            let each = self.each_mask(&g.edges, &e.each_edge)?;
            edge_ok.push(match (single, each) {
                (Some(a), Some(b)) => Some(a.iter().zip(&b).map(|(x, y)| *x && *y).collect()),
                (a, b) => a.or(b),
            });
            inner_ok.push(self.each_mask(&g.nodes, &e.each_inner)?);
        }
        // Shortest paths are simple paths: a walk through a node twice is
        // never the shortest.
        let cycles = if spec.shortest {
            Cycles::None
        } else {
            spec.cycles
        };
        let mut search = Search {
            g,
            spec,
            cycles,
            node_ok,
            edge_ok,
            inner_ok,
            bound: vec![None; spec.nodes.len()],
            walks: vec![(Vec::new(), Vec::new()); spec.edges.len()],
            used: vec![false; g.source.len()],
            out: Vec::new(),
            max: self.limits.max_rows,
            steps: 0,
        };
        let found = match search.breadth_first(self) {
            Some(r) => r,
            None => search.path(self, 0),
        };
        match found {
            Ok(()) => {}
            Err(Stop::TooMany) => {
                return Err(EvalError::TooManyRows {
                    limit: self.limits.max_rows,
                    span: spec.span,
                })
            }
            Err(Stop::Eval(e)) => return Err(e),
        }
        let mut matches = search.out;
        let table = self.match_table(g, spec, &matches)?;
        // The rest of `where`.
        let (table, kept) = match &spec.predicate {
            Some(p) => {
                let rows = table.num_rows();
                let mask = self.eval(p, &table)?.into_column(rows);
                let keep: Vec<u32> = (0..rows)
                    .filter(|r| truthy(&mask.get(*r)))
                    .map(|r| r as u32)
                    .collect();
                (table.take(&keep), keep)
            }
            None => {
                let n = table.num_rows() as u32;
                (table, (0..n).collect())
            }
        };
        let table = if spec.shortest {
            matches = kept
                .iter()
                .filter_map(|i| matches.get(*i as usize).cloned())
                .collect();
            let keep = shortest(&matches, spec);
            table.take(&keep)
        } else {
            table
        };
        let rows = table.num_rows();
        let mut out = Vec::with_capacity(spec.project.len());
        for (name, e) in &spec.project {
            out.push((name.clone(), self.eval(e, &table)?.into_column(rows)));
        }
        if out.is_empty() {
            return Ok(Table::empty(rows));
        }
        Table::try_new(out).map_err(super::table_error)
    }

    /// The per-match table: a column per [`MatchColumn`] the query reads.
    fn match_table(
        &mut self,
        g: &Graph,
        spec: &GraphMatchSpec,
        matches: &[Match],
    ) -> Result<Table, EvalError> {
        let rows = matches.len();
        let mut columns = Vec::with_capacity(spec.columns.len());
        for (name, col, ty) in &spec.columns {
            let single = |var: usize| spec.edges.get(var).is_some_and(|e| e.range.is_none());
            let column = match col {
                MatchColumn::NodeProperty { var, property } => {
                    let idx: Vec<u32> = matches
                        .iter()
                        .map(|m| m.nodes.get(*var).copied().unwrap_or(0))
                        .collect();
                    match g.nodes.column_at(*property) {
                        Some((_, c)) => c.take(&idx),
                        None => Column::nulls(*ty, rows),
                    }
                }
                MatchColumn::NodeBag { var } => Column::new(ColumnData::Dynamic(
                    matches
                        .iter()
                        .map(|m| bag_of(&g.nodes, m.nodes.get(*var).copied().unwrap_or(0) as usize))
                        .collect(),
                )),
                MatchColumn::EdgeProperty { var, property } if single(*var) => {
                    let idx: Vec<u32> = matches
                        .iter()
                        .map(|m| {
                            m.walks
                                .get(*var)
                                .and_then(|(_, e)| e.first())
                                .copied()
                                .unwrap_or(0)
                        })
                        .collect();
                    match g.edges.column_at(*property) {
                        Some((_, c)) => c.take(&idx),
                        None => Column::nulls(*ty, rows),
                    }
                }
                MatchColumn::EdgeProperty { var, property } => {
                    let c = g.edges.column_at(*property).map(|(_, c)| c.clone());
                    Column::new(ColumnData::Dynamic(
                        matches
                            .iter()
                            .map(|m| {
                                let edges = m.walks.get(*var).map_or(&[][..], |(_, e)| e);
                                Dynamic::Array(Arc::new(
                                    edges
                                        .iter()
                                        .map(|e| {
                                            c.as_ref().map_or(Dynamic::Null, |c| {
                                                value_to_dynamic(&c.get(*e as usize))
                                            })
                                        })
                                        .collect(),
                                ))
                            })
                            .collect(),
                    ))
                }
                MatchColumn::EdgeBag { var } => Column::new(ColumnData::Dynamic(
                    matches
                        .iter()
                        .map(|m| {
                            let edges = m.walks.get(*var).map_or(&[][..], |(_, e)| e);
                            if single(*var) {
                                bag_of(&g.edges, edges.first().copied().unwrap_or(0) as usize)
                            } else {
                                Dynamic::Array(Arc::new(
                                    edges
                                        .iter()
                                        .map(|e| bag_of(&g.edges, *e as usize))
                                        .collect(),
                                ))
                            }
                        })
                        .collect(),
                )),
                MatchColumn::Path {
                    var,
                    func,
                    inner,
                    expr,
                } => {
                    let over = if *inner { &g.nodes } else { &g.edges };
                    let values = self.eval(expr, over)?.into_column(over.num_rows());
                    let mut b = ColumnBuilder::new(*ty, rows);
                    for m in matches {
                        let elements: Vec<u32> = match m.walks.get(*var) {
                            Some((nodes, _)) if *inner => nodes
                                .get(1..nodes.len().saturating_sub(1))
                                .unwrap_or(&[])
                                .to_vec(),
                            Some((_, edges)) => edges.clone(),
                            None => Vec::new(),
                        };
                        let v = match func {
                            PathFunc::All => Value::Bool(
                                elements.iter().all(|e| truthy(&values.get(*e as usize))),
                            ),
                            PathFunc::Any => Value::Bool(
                                elements.iter().any(|e| truthy(&values.get(*e as usize))),
                            ),
                            PathFunc::Map => Value::Dynamic(Dynamic::Array(Arc::new(
                                elements
                                    .iter()
                                    .map(|e| value_to_dynamic(&values.get(*e as usize)))
                                    .collect(),
                            ))),
                        };
                        if b.push(&v).is_err() {
                            b.push_null();
                        }
                    }
                    b.finish()
                }
                MatchColumn::Degree { var, incoming } => {
                    let lists = if *incoming { &g.incoming } else { &g.outgoing };
                    Column::new(ColumnData::Long(
                        matches
                            .iter()
                            .map(|m| {
                                let n = m.nodes.get(*var).copied().unwrap_or(0) as usize;
                                lists.get(n).map_or(0, |l| l.len() as i64)
                            })
                            .collect(),
                    ))
                }
            };
            columns.push((name.clone(), Arc::new(column)));
        }
        if columns.is_empty() {
            return Ok(Table::empty(rows));
        }
        Table::try_new(columns).map_err(super::table_error)
    }
}

/// For `graph-shortest-paths`: the matches of least length between each
/// start and end node (the first, or all with `output=all`), in the order
/// they were found.
fn shortest(matches: &[Match], spec: &GraphMatchSpec) -> Vec<u32> {
    let Some((first, steps)) = spec.paths.first() else {
        return Vec::new();
    };
    let last = steps.last().map_or(*first, |(_, n)| *n);
    let key = |m: &Match| {
        (
            m.nodes.get(*first).copied().unwrap_or(0),
            m.nodes.get(last).copied().unwrap_or(0),
        )
    };
    let mut best: HashMap<(u32, u32), usize> = HashMap::new();
    for m in matches {
        let b = best.entry(key(m)).or_insert(usize::MAX);
        *b = (*b).min(m.length());
    }
    let mut done: HashSet<(u32, u32)> = HashSet::new();
    let mut keep = Vec::new();
    for (i, m) in matches.iter().enumerate() {
        let k = key(m);
        if best.get(&k) != Some(&m.length()) {
            continue;
        }
        if !spec.all_paths && !done.insert(k) {
            continue;
        }
        keep.push(i as u32);
    }
    keep
}
