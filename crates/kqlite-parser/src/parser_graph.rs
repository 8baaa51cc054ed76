//! The graph operators: `make-graph`, `graph-match`,
//! `graph-shortest-paths`, `graph-to-table` and `graph-mark-components`,
//! with the pattern notation `(a)-[e*1..3]->(b)`.

use super::*;

impl<'a> Parser<'a> {
    /// `make-graph Src --> Dst [with T on k, ...] [with_node_id=N]
    /// [partitioned-by C (operators)]`, after the keyword.
    pub(super) fn make_graph(&mut self) -> PResult<MakeGraph> {
        let source = self.ident()?;
        self.expect("-->", "`-->` between the source and target columns")?;
        let target = self.ident()?;
        let mut nodes = Vec::new();
        let mut params = Vec::new();
        if self.eat_word("with").is_some() {
            loop {
                let table = self.right_table("with")?;
                self.expect_word("on", "after the nodes table")?;
                let key = self.ident()?;
                nodes.push((table, key));
                if !self.comma(&[])? {
                    break;
                }
            }
        }
        params.extend(self.params(&["with_node_id"])?);
        let mut partitioned_by = None;
        if self.starts("partitioned-by") {
            self.pos += "partitioned-by".len();
            let column = self.ident()?;
            let body = self.subquery()?;
            partitioned_by = Some((column, body));
        }
        Ok(MakeGraph {
            source,
            target,
            nodes,
            params,
            partitioned_by,
        })
    }

    /// `graph-match` / `graph-shortest-paths` after the keyword.
    pub(super) fn graph_match(&mut self, shortest: bool) -> PResult<GraphMatch> {
        let params = self.params(if shortest { &["output"] } else { &["cycles"] })?;
        let mut pattern = vec![self.graph_path()?];
        while self.comma(&[])? {
            pattern.push(self.graph_path()?);
        }
        let predicate = if self.eat_word("where").is_some() {
            Some(self.expr_np("where")?)
        } else {
            None
        };
        let project = if self.eat_word("project").is_some() {
            self.named_list("project", &[])?
        } else {
            Vec::new()
        };
        Ok(GraphMatch {
            shortest,
            params,
            pattern,
            predicate,
            project,
        })
    }

    fn graph_node(&mut self) -> PResult<GraphNodePattern> {
        self.skip_ws();
        let start = self.pos;
        let open = self.expect("(", "`(` starting a node of the graph pattern")?;
        let name = if self.peek() == Some(b')') {
            None
        } else {
            Some(self.ident()?)
        };
        self.close(")", "(", open)?;
        Ok(GraphNodePattern {
            name,
            span: self.span_from(start),
        })
    }

    /// `-->`, `<--`, `--`, `-[e]->`, `<-[e]-`, `-[e]-`, with an optional
    /// `*min..max` inside the brackets.
    fn graph_edge(&mut self) -> PResult<GraphEdgePattern> {
        self.skip_ws();
        let start = self.pos;
        let left = self.eat("<").is_some();
        if self.at(0) != Some(b'-') {
            return Err(self.expected("an edge (`-->`, `<--`, `--`, `-[e]->`)"));
        }
        self.pos += 1;
        let mut name = None;
        let mut range = None;
        if self.at(0) == Some(b'[') {
            let open = Span::new(self.pos, self.pos + 1);
            self.pos += 1;
            if self
                .peek()
                .is_some_and(|b| lex::is_ident_start(b) || b == b'[')
            {
                name = Some(self.ident()?);
            }
            if self.eat("*").is_some() {
                let min = self.graph_bound()?;
                let max = if self.eat("..").is_some() {
                    self.graph_bound()?
                } else {
                    min
                };
                range = Some((min, max));
            }
            self.close("]", "[", open)?;
        }
        if self.at(0) != Some(b'-') {
            return Err(self.expected("`-` closing the edge"));
        }
        self.pos += 1;
        let right = if !left && self.at(0) == Some(b'>') {
            self.pos += 1;
            true
        } else {
            false
        };
        let direction = match (left, right) {
            (true, _) => EdgeDirection::Left,
            (false, true) => EdgeDirection::Right,
            (false, false) => EdgeDirection::Any,
        };
        Ok(GraphEdgePattern {
            name,
            direction,
            range,
            span: self.span_from(start),
        })
    }

    fn graph_bound(&mut self) -> PResult<i64> {
        self.skip_ws();
        let start = self.pos;
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        let text = self.rest().get(..digits).unwrap_or("");
        match text.parse::<i64>() {
            Ok(n) => {
                self.pos += digits;
                Ok(n)
            }
            Err(_) => Err(err(
                codes::UNEXPECTED,
                "expected a whole number of edges (`*1..3`)",
                Span::new(start, start + digits.max(1)),
            )),
        }
    }

    fn graph_path(&mut self) -> PResult<GraphPath> {
        let first = self.graph_node()?;
        let mut steps = Vec::new();
        while matches!(self.peek(), Some(b'-' | b'<')) {
            let edge = self.graph_edge()?;
            let node = self.graph_node()?;
            steps.push((edge, node));
        }
        Ok(GraphPath { first, steps })
    }

    /// `graph-to-table` after the keyword: `nodes`/`edges`, each with
    /// `as Name` and its `with_*_id=` parameters, comma separated.
    pub(super) fn graph_to_table(&mut self) -> PResult<Vec<GraphToTableItem>> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            let start = self.pos;
            let kind = match self.peek_word() {
                Some("nodes" | "edges") => self.ident()?,
                _ => return Err(self.expected("`nodes` or `edges`")),
            };
            let mut params = self.params(&["with_node_id", "with_source_id", "with_target_id"])?;
            let mut alias = None;
            if self.eat_word("as").is_some() {
                alias = Some(self.ident()?);
                params.extend(self.params(&[
                    "with_node_id",
                    "with_source_id",
                    "with_target_id",
                ])?);
            }
            items.push(GraphToTableItem {
                kind,
                alias,
                params,
                span: self.span_from(start),
            });
            if !self.comma(&[])? {
                break;
            }
        }
        Ok(items)
    }
}
