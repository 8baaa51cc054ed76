//! Source operators (`print`, `range`, `datatable`, ...) and the tabular
//! operators after `|`, each parsed from its keyword.

use super::*;

/// Every tabular operator name, for the dispatch in `operator` below,
/// "missing pipe" and "did you mean".
pub(super) const OPERATORS: &[&str] = &[
    "where",
    "filter",
    "extend",
    "project",
    "project-away",
    "project-keep",
    "project-rename",
    "project-reorder",
    "summarize",
    "sort",
    "order",
    "take",
    "limit",
    "top",
    "top-nested",
    "top-hitters",
    "count",
    "distinct",
    "join",
    "lookup",
    "union",
    "mv-expand",
    "mv-apply",
    "mvexpand",
    "mvapply",
    "parse",
    "parse-kv",
    "parse-where",
    "make-series",
    "evaluate",
    "render",
    "serialize",
    "as",
    "invoke",
    "getschema",
    "sample",
    "sample-distinct",
    "partition",
    "scan",
    "facet",
    "fork",
    "search",
    "reduce",
    "consume",
    "make-graph",
    "graph-match",
    "graph-shortest-paths",
    "graph-to-table",
    "graph-mark-components",
    "graph-merge",
];

impl<'a> Parser<'a> {
    // ----- sources --------------------------------------------------------------------

    /// A source operator starting a query (`print`, `range`, `datatable`,
    /// `union`, `externaldata`, `find`, `search`), if `word` starts one here.
    /// Where `allowed` is false (an operand position) any source but a
    /// `datatable`, which ends at its `]`, is an error.
    pub(super) fn source(
        &mut self,
        word: &str,
        start: usize,
        allowed: bool,
    ) -> PResult<Option<Expr>> {
        let save = self.pos;
        self.pos += word.len();
        let next = self.peek();
        let starts_item = next.is_some_and(|b| {
            lex::is_ident_start(b)
                || b.is_ascii_digit()
                || matches!(
                    b,
                    b'"' | b'\'' | b'(' | b'[' | b'-' | b'+' | b'@' | b'$' | b'`'
                )
        });
        let is_source = match word {
            "print" => starts_item && !self.at_op_word(),
            "range" => {
                let w = self.peek_word().map_or(0, str::len);
                let s2 = self.pos;
                self.pos += w;
                let ok = w > 0 && self.is_word("from");
                self.pos = s2;
                ok
            }
            "datatable" | "externaldata" => next == Some(b'(') || self.is_word("with"),
            "union" => (starts_item || next == Some(b'*')) && !self.at_op_word(),
            "search" => starts_item || next == Some(b'*'),
            // `find [withsource=C] [in (T1, ...)] where P` or just `find P`.
            "find" => starts_item || next == Some(b'*'),
            _ => false,
        };
        self.pos = save;
        if !is_source {
            return Ok(None);
        }
        if !allowed && word != "datatable" {
            return Err(source_operand_error(Span::new(start, start + word.len())));
        }
        let op = self.operator()?;
        Ok(Some(Expr {
            kind: ExprKind::Source(Box::new(op)),
            span: self.span_from(start),
        }))
    }

    pub(super) fn at_op_word(&mut self) -> bool {
        self.peek_op().is_some_and(|(op, _, _)| {
            matches!(
                op,
                Op::List(_)
                    | Op::Between(_)
                    | Op::Bin(BinaryOp::Str(_) | BinaryOp::And | BinaryOp::Or)
            )
        })
    }

    // ----- tabular operators ----------------------------------------------------------

    /// The operator name at the cursor, joining hyphenated names
    /// (`project-away`, `mv-expand`) when they name an operator.
    pub(super) fn operator_name_at(&mut self) -> Option<&'a str> {
        let first = self.peek_word()?;
        let start = self.pos;
        let mut end = start + first.len();
        while self.bytes.get(end) == Some(&b'-') {
            let Some(next) = lex::ident(self.src.get(end + 1..).unwrap_or("")) else {
                break;
            };
            let joined = &self.src[start..end + 1 + next.len()];
            if !OPERATORS
                .iter()
                .chain(["project-smart"].iter())
                .any(|o| o.starts_with(joined))
            {
                break;
            }
            end += 1 + next.len();
        }
        Some(&self.src[start..end])
    }

    /// One tabular operator, from its keyword.
    pub(super) fn operator(&mut self) -> PResult<Operator> {
        self.skip_ws();
        let start = self.pos;
        let Some(name) = self.operator_name_at() else {
            let found = self.found();
            let span = self.next_span();
            if self.peek() == Some(b'=') || found == "end of input" || self.peek() == Some(b'|') {
                return Err(err(
                    codes::EXPECTED_EXPR,
                    format!("expected a tabular operator after `|`, found {found}"),
                    span,
                ));
            }
            return Err(err(
                codes::UNEXPECTED,
                format!("expected a tabular operator after `|`, found {found}"),
                span,
            ));
        };
        let name_span = Span::new(start, start + name.len());
        self.pos += name.len();
        let kw = name;
        self.enter()?;
        let kind = match name {
            "where" | "filter" => OperatorKind::Where(self.expr_np(kw)?),
            "extend" => OperatorKind::Extend(self.named_list(kw, &[])?),
            "project" => OperatorKind::Project(self.named_list(kw, &[])?),
            "project-away" => OperatorKind::ProjectAway(self.ident_list(name, true)?),
            "project-keep" => OperatorKind::ProjectKeep(self.ident_list(name, true)?),
            "project-rename" => {
                let mut pairs = Vec::new();
                loop {
                    let new = self.ident()?;
                    if self.eat_assign().is_none() {
                        return Err(self.expected("`=` in `project-rename NewName = OldName`"));
                    }
                    let old = self.ident()?;
                    pairs.push((new, old));
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::ProjectRename(pairs)
            }
            "project-reorder" => {
                let mut cols = Vec::new();
                loop {
                    let c = self.wildcard_ident()?;
                    let order = self.sort_order();
                    if order.is_none() {
                        for w in ["granny-asc", "granny-desc"] {
                            if self.rest().starts_with(w) {
                                self.pos += w.len();
                            }
                        }
                    }
                    cols.push((c, order));
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::ProjectReorder(cols)
            }
            "summarize" => {
                let params = self.params(&[])?;
                let aggregates = if self.is_word("by") {
                    Vec::new()
                } else {
                    self.named_list(kw, &["by"])?
                };
                let by = if let Some(by) = self.eat_word("by") {
                    let _ = by;
                    self.named_list("by", &[])?
                } else {
                    Vec::new()
                };
                if aggregates.is_empty() && by.is_empty() {
                    return Err(self.expected_expr_after(kw));
                }
                OperatorKind::Summarize {
                    params,
                    aggregates,
                    by,
                }
            }
            "sort" | "order" => {
                let params = self.params(&[])?;
                self.expect_word("by", format_args!("after `{kw}`"))?;
                let mut keys = Vec::new();
                loop {
                    keys.push(self.sort_key("by")?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::Sort { params, keys }
            }
            "take" | "limit" => {
                let _ = self.params(&[])?;
                OperatorKind::Take(self.expr_np(kw)?)
            }
            "top" => {
                let _ = self.params(&[])?;
                let count = self.expr_np(kw)?;
                self.expect_word("by", "after the row count of `top`")?;
                OperatorKind::Top {
                    count,
                    key: self.sort_key("by")?,
                }
            }
            "top-nested" => {
                let mut clauses = vec![self.top_nested_clause(start)?];
                while self.peek() == Some(b',') {
                    self.pos += 1;
                    self.skip_ws();
                    let s = self.pos;
                    if self.rest().starts_with("top-nested") {
                        self.pos += "top-nested".len();
                    } else {
                        return Err(self.expected("`top-nested` after `,`"));
                    }
                    clauses.push(self.top_nested_clause(s)?);
                }
                OperatorKind::TopNested(clauses)
            }
            "count" => {
                if self.eat_word("as").is_some() {
                    self.ident()?;
                }
                OperatorKind::Count
            }
            "distinct" => {
                let _ = self.params(&[])?;
                let mut items = Vec::new();
                if let Some(s) = self.eat("*") {
                    items.push(Expr {
                        kind: ExprKind::Star,
                        span: s,
                    });
                } else {
                    loop {
                        items.push(self.expr_np(if items.is_empty() {
                            "distinct"
                        } else {
                            ","
                        })?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                }
                OperatorKind::Distinct(items)
            }
            "join" | "lookup" => {
                let params = self.params(&["kind", "withsource"])?;
                self.check_join_kind(&params, name)?;
                let right = self.right_table(kw)?;
                let on = if self.eat_word("on").is_some() {
                    let mut on = Vec::new();
                    loop {
                        on.push(self.expr_np(if on.is_empty() { "on" } else { "," })?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                    on
                } else {
                    return Err(self.expected(&format!(
                        "`on` and the join keys after the right side of `{kw}`"
                    )));
                };
                if name == "join" {
                    OperatorKind::Join { params, right, on }
                } else {
                    OperatorKind::Lookup { params, right, on }
                }
            }
            "union" => {
                let params = self.params(&["kind", "withsource", "isfuzzy"])?;
                let mut tables = Vec::new();
                loop {
                    tables.push(self.union_item()?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
                OperatorKind::Union { params, tables }
            }
            "mv-expand" | "mv-apply" | "mvexpand" | "mvapply" => {
                let params = self.params(&["bagexpansion", "with_itemindex", "kind"])?;
                let mut items = Vec::new();
                loop {
                    let expr = self.named_expr(kw)?;
                    let to_type = if self.eat_word("to").is_some() {
                        self.expect_word("typeof", "after `to`")?;
                        let open = self.expect("(", "`(`")?;
                        let ty = self.type_name()?;
                        self.close(")", "(", open)?;
                        Some(ty)
                    } else {
                        None
                    };
                    items.push(ExpandItem { expr, to_type });
                    if !self.comma(&[])? {
                        break;
                    }
                }
                let limit = if self.eat_word("limit").is_some() {
                    Some(self.expr_np("limit")?)
                } else {
                    None
                };
                if name == "mv-expand" || name == "mvexpand" {
                    OperatorKind::MvExpand {
                        params,
                        items,
                        limit,
                    }
                } else {
                    self.expect_word("on", "and a subquery after the `mv-apply` items")?;
                    let on = self.subquery()?;
                    OperatorKind::MvApply {
                        params,
                        items,
                        limit,
                        on,
                    }
                }
            }
            "parse" | "parse-where" => {
                let params = self.params(&["kind", "flags"])?;
                let expr = self.expr_np(kw)?;
                self.expect_word(
                    "with",
                    format_args!("and a pattern after the `{kw}` source"),
                )?;
                let pattern = self.parse_pattern()?;
                if name == "parse" {
                    OperatorKind::Parse {
                        params,
                        expr,
                        pattern,
                    }
                } else {
                    OperatorKind::ParseWhere {
                        params,
                        expr,
                        pattern,
                    }
                }
            }
            "parse-kv" => {
                let expr = self.expr_np(kw)?;
                self.expect_word("as", "and the output columns after the `parse-kv` source")?;
                let open = self.expect("(", "`(`")?;
                let columns = self.column_decls(open)?;
                let with = self.with_params()?;
                OperatorKind::ParseKv {
                    expr,
                    columns,
                    with,
                }
            }
            "make-series" => OperatorKind::MakeSeries(Box::new(self.make_series(kw)?)),
            "evaluate" => {
                let params = self.params(&[])?;
                if self.peek_word().is_none() {
                    return Err(self.expected("a plugin call after `evaluate`"));
                }
                let call = self.call()?;
                // `: (name: type, ...)` declares the plugin's output schema.
                let schema = if self.eat(":").is_some() {
                    let open = self.expect("(", "`(` and the output schema after `:`")?;
                    Some(self.column_decls(open)?)
                } else {
                    None
                };
                OperatorKind::Evaluate {
                    params,
                    call,
                    schema,
                }
            }
            "render" => {
                let chart = self.ident()?;
                let mut with = self.with_params()?;
                with.extend(self.params(&[
                    "kind",
                    "title",
                    "xcolumn",
                    "ycolumns",
                    "series",
                    "xtitle",
                    "ytitle",
                    "legend",
                    "ysplit",
                    "accumulate",
                ])?);
                OperatorKind::Render { chart, with }
            }
            "serialize" => {
                let items = if self.at_operator_end() {
                    Vec::new()
                } else {
                    self.named_list(kw, &[])?
                };
                OperatorKind::Serialize(items)
            }
            "as" => {
                let params = self.params(&[])?;
                OperatorKind::As {
                    params,
                    name: self.ident()?,
                }
            }
            "invoke" => OperatorKind::Invoke(self.call()?),
            "getschema" => OperatorKind::GetSchema,
            "sample" => {
                let _ = self.params(&[])?;
                OperatorKind::Sample(self.expr_np(kw)?)
            }
            "sample-distinct" => {
                let _ = self.params(&[])?;
                let count = self.expr_np(kw)?;
                self.expect_word("of", "after the count of `sample-distinct`")?;
                OperatorKind::SampleDistinct {
                    count,
                    of: self.expr_np("of")?,
                }
            }
            "top-hitters" => {
                let count = self.expr_np(kw)?;
                self.expect_word("of", "after the count of `top-hitters`")?;
                let of = self.expr_np("of")?;
                let by = if self.eat_word("by").is_some() {
                    Some(self.expr_np("by")?)
                } else {
                    None
                };
                OperatorKind::TopHitters { count, of, by }
            }
            "partition" => {
                let params = self.params(&[])?;
                self.expect_word("by", "after `partition`")?;
                let col = self.ident()?;
                let by = Expr {
                    span: col.span,
                    kind: ExprKind::Name(col),
                };
                let body = if let Some(open) = self.eat("{") {
                    let e = self.expr()?;
                    self.close("}", "{", open)?;
                    PartitionBody::Expr(e)
                } else {
                    PartitionBody::Subquery(self.subquery()?)
                };
                OperatorKind::Partition { params, by, body }
            }
            "scan" => OperatorKind::Scan(Box::new(self.scan()?)),
            "facet" => {
                self.expect_word("by", "after `facet`")?;
                let by = self.ident_list("by", false)?;
                let with = if self.eat_word("with").is_some() {
                    Some(self.subquery()?)
                } else {
                    None
                };
                OperatorKind::Facet { by, with }
            }
            "fork" => {
                let mut branches = Vec::new();
                loop {
                    let label = if self.peek_word().is_some() && self.named_arg_next() {
                        let n = self.ident()?;
                        self.eat_assign();
                        Some(n)
                    } else {
                        None
                    };
                    if self.peek() != Some(b'(') {
                        if branches.is_empty() {
                            return Err(self.expected("`(` and a subquery after `fork`"));
                        }
                        break;
                    }
                    branches.push((label, self.subquery()?));
                }
                OperatorKind::Fork(branches)
            }
            "search" => {
                let params = self.params(&["kind"])?;
                let tables = if self.is_word("in") {
                    self.pos += 2;
                    let open = self.expect("(", "`(` after `in`")?;
                    let mut t = Vec::new();
                    loop {
                        t.push(self.wildcard_ident()?);
                        if !self.comma(&[")"])? {
                            break;
                        }
                    }
                    self.close(")", "(", open)?;
                    t
                } else {
                    Vec::new()
                };
                let was = std::mem::replace(&mut self.in_search, true);
                let predicate = self.expr_np(kw);
                self.in_search = was;
                OperatorKind::Search {
                    params,
                    tables,
                    predicate: predicate?,
                }
            }
            "find" => self.find_operator(kw)?,
            "reduce" => {
                let params = self.params(&["kind"])?;
                self.expect_word("by", "after `reduce`")?;
                let by = self.expr_np("by")?;
                let mut with = Vec::new();
                if self.eat_word("with").is_some() {
                    loop {
                        with.push(self.operator_param()?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                }
                OperatorKind::Reduce { params, by, with }
            }
            "consume" => OperatorKind::Consume(self.params(&["decodeblocks"])?),
            "make-graph" => OperatorKind::MakeGraph(Box::new(self.make_graph()?)),
            "graph-match" => OperatorKind::GraphMatch(Box::new(self.graph_match(false)?)),
            "graph-shortest-paths" => OperatorKind::GraphMatch(Box::new(self.graph_match(true)?)),
            "graph-to-table" => OperatorKind::GraphToTable(self.graph_to_table()?),
            "graph-merge" => {
                let right = self.right_table(kw)?;
                let mut on = Vec::new();
                if self.eat_word("on").is_some() {
                    loop {
                        on.push(self.expr_np(if on.is_empty() { "on" } else { "," })?);
                        if !self.comma(&[])? {
                            break;
                        }
                    }
                }
                OperatorKind::GraphMerge { right, on }
            }
            "graph-mark-components" => {
                OperatorKind::GraphMarkComponents(self.params(&["kind", "with_component_id"])?)
            }
            "print" => OperatorKind::Print(self.named_list(kw, &[])?),
            "range" => {
                let name = self.ident()?;
                self.expect_word("from", format_args!("after `range {}`", name.name))?;
                let from = self.expr_np("from")?;
                self.expect_word("to", "after the start of `range`")?;
                let to = self.expr_np("to")?;
                self.expect_word("step", "after the end of `range`")?;
                let step = self.expr_np("step")?;
                OperatorKind::Range {
                    name,
                    from,
                    to,
                    step,
                }
            }
            "datatable" => {
                let _ = self.params(&[])?;
                let open = self.expect("(", "`(` and a schema after `datatable`")?;
                let columns = self.column_decls(open)?;
                let values = self.bracket_values("datatable")?;
                OperatorKind::Datatable(Datatable { columns, values })
            }
            "externaldata" => {
                let open = self.expect("(", "`(` and a schema after `externaldata`")?;
                let columns = self.column_decls_trailing(open)?;
                let uris = self.bracket_values("externaldata")?;
                let with = self.with_params()?;
                OperatorKind::Externaldata {
                    columns,
                    uris,
                    with,
                }
            }
            _ => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_OPERATOR,
                    format!("unknown operator `{name}`"),
                    name_span,
                );
                if let Some(s) = closest(name, OPERATORS) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                return Err(Box::new(d));
            }
        };
        self.leave();
        if let Some(d) = self.leftover_error() {
            return Err(d);
        }
        Ok(Operator {
            kind,
            span: self.span_from(start),
        })
    }

    fn expected_expr_after(&mut self, after: &str) -> Box<Diagnostic> {
        let found = self.found();
        let span = self.next_span();
        err(
            codes::EXPECTED_EXPR,
            format!("expected an expression after `{after}`, found {found}"),
            span,
        )
    }

    fn at_operator_end(&mut self) -> bool {
        matches!(self.peek(), None | Some(b'|' | b';' | b')' | b'}'))
    }

    fn check_join_kind(&mut self, params: &[OperatorParam], op: &str) -> PResult<()> {
        for p in params {
            if p.name.name != "kind" {
                continue;
            }
            let ExprKind::Name(kind) = &p.value.kind else {
                continue;
            };
            let known: &[&str] = if op == "lookup" {
                &["leftouter", "inner"]
            } else {
                JOIN_KINDS
            };
            if !known.contains(&kind.name.as_str()) {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_JOIN_KIND,
                    format!("unknown {op} kind `{}`", kind.name),
                    kind.span,
                );
                d = match closest(&kind.name, known) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d.with_hint(format!("{op} kinds are {}", known.join(", "))),
                };
                return Err(Box::new(d));
            }
        }
        Ok(())
    }

    /// The right side of `join`/`lookup`: `(T | ...)` (unwrapped) or a name.
    pub(super) fn right_table(&mut self, kw: &str) -> PResult<Expr> {
        if let Some(open) = self.eat("(") {
            self.need_expr("(")?;
            let e = self.expr()?;
            self.close(")", "(", open)?;
            return Ok(e);
        }
        self.need_expr(kw)?;
        self.postfix()
    }

    fn union_item(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if self.peek_word().is_some() || self.peek() == Some(b'*') {
            let len = self
                .rest()
                .bytes()
                .take_while(|b| lex::is_ident_char(*b) || *b == b'*')
                .count();
            if self.src[self.pos..self.pos + len].contains('*') {
                let id = self.wildcard_ident()?;
                return Ok(Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                });
            }
        }
        self.need_expr("union")?;
        self.postfix()
    }

    /// `[v, v, ...]` after a `datatable`/`externaldata` schema.
    fn bracket_values(&mut self, op: &str) -> PResult<Vec<Expr>> {
        let open = self.expect_lazy("[", || format!("`[` and the values of `{op}`"))?;
        let mut values = Vec::new();
        self.enter()?;
        loop {
            if self.eat("]").is_some() {
                break;
            }
            values.push(self.expr_np(if values.is_empty() { "[" } else { "," })?);
            if self.eat(",").is_some() {
                continue;
            }
            self.close("]", "[", open)?;
            break;
        }
        self.leave();
        Ok(values)
    }

    /// `with (name = value, ...)`, or nothing.
    fn with_params(&mut self) -> PResult<Vec<OperatorParam>> {
        let save = self.pos;
        if self.eat_word("with").is_none() {
            return Ok(Vec::new());
        }
        let Some(open) = self.eat("(") else {
            self.pos = save;
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if self.eat(")").is_some() {
            return Ok(out);
        }
        loop {
            out.push(self.operator_param()?);
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(out);
        }
    }

    fn operator_param(&mut self) -> PResult<OperatorParam> {
        self.skip_ws();
        let start = self.pos;
        let name = self.dotted_name()?;
        if self.eat_assign().is_none() {
            return Err(self.expected(&format!("`=` after `{}`", name.name)));
        }
        let value = self.param_value()?;
        Ok(OperatorParam {
            name,
            value,
            span: self.span_from(start),
        })
    }

    /// `name = value` parameters before an operator's arguments: names in
    /// `allowed` or starting with `hint.`.
    pub(super) fn params(&mut self, allowed: &[&str]) -> PResult<Vec<OperatorParam>> {
        let mut out = Vec::new();
        loop {
            let save = self.pos;
            // Only bare words: `['kind'] = x` is a named column, not a parameter.
            if self.peek_word().is_none() {
                return Ok(out);
            }
            let Ok(name) = self.dotted_name() else {
                self.pos = save;
                return Ok(out);
            };
            let known = allowed.contains(&name.name.as_str()) || name.name.starts_with("hint.");
            if !known || !self.at_assign() {
                self.pos = save;
                return Ok(out);
            }
            self.eat_assign();
            let value = self.param_value()?;
            out.push(OperatorParam {
                span: name.span.to(value.span),
                name,
                value,
            });
        }
    }

    /// `find [withsource=C] [in (T1, ...)] [where] Predicate [project-smart |
    /// project C[:type], ... [, pack_all()]]`, after the keyword.
    fn find_operator(&mut self, kw: &str) -> PResult<OperatorKind> {
        let params = self.params(&["withsource", "kind"])?;
        let tables = if self.is_word("in") {
            self.pos += 2;
            let open = self.expect("(", "`(` after `in`")?;
            let mut t = Vec::new();
            loop {
                t.push(self.union_item()?);
                if !self.comma(&[")"])? {
                    break;
                }
            }
            self.close(")", "(", open)?;
            t
        } else {
            Vec::new()
        };
        self.eat_word("where");
        // `* has "term"` and bare terms read as in `search`.
        let was = std::mem::replace(&mut self.in_search, true);
        let predicate = self.expr_np(kw);
        self.in_search = was;
        let predicate = predicate?;
        let mut project = Vec::new();
        self.skip_ws();
        if self.rest().starts_with("project-smart") {
            self.pos += "project-smart".len();
        } else if self.eat_word("project").is_some() {
            loop {
                self.skip_ws();
                let start = self.pos;
                if self.eat_word("pack_all").is_some() {
                    let open = self.expect("(", "`(` after `pack_all`")?;
                    self.close(")", "(", open)?;
                    project.push(FindItem::PackAll(self.span_from(start)));
                } else {
                    let name = self.ident()?;
                    let ty = if self.peek() == Some(b':') {
                        self.pos += 1;
                        self.skip_ws();
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    project.push(FindItem::Column(name, ty));
                }
                if !self.comma(&[])? {
                    break;
                }
            }
        }
        Ok(OperatorKind::Find {
            params,
            tables,
            predicate,
            project,
        })
    }

    /// A parameter value: a bare word (`inner`, `shuffle`), a literal, or an
    /// expression.
    fn param_value(&mut self) -> PResult<Expr> {
        self.skip_ws();
        if let Some(w) = self.peek_word() {
            let is_string_prefix =
                matches!(w, "h" | "H") && matches!(self.at(1), Some(b'"' | b'\'' | b'@'));
            if !is_string_prefix
                && !matches!(w, "true" | "false" | "True" | "False" | "TRUE" | "FALSE")
            {
                let id = self.dotted_name()?;
                return Ok(Expr {
                    span: id.span,
                    kind: ExprKind::Name(id),
                });
            }
        }
        self.need_expr("=")?;
        // A sign applies to a value of the same kind (`kind=-inner` is a
        // sign on a bare word, not a call `inner(...)` of what follows).
        if let Some(sign @ (b'-' | b'+')) = self.peek() {
            let start = self.pos;
            let op = if sign == b'-' {
                UnaryOp::Neg
            } else {
                UnaryOp::Plus
            };
            self.pos += 1;
            self.enter()?;
            let operand = self.param_value();
            self.leave();
            return Ok(Expr {
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(operand?),
                },
                span: self.span_from(start),
            });
        }
        // No postfix: `isfuzzy=true ["T*"]` is a value then a table.
        self.primary()
    }

    /// A comma list of `[Name =] expr` items, stopping at `stop` words.
    pub(super) fn named_list(&mut self, after: &str, stop: &[&str]) -> PResult<Vec<NamedExpr>> {
        let mut out = Vec::new();
        loop {
            let after_item = if out.is_empty() { after } else { "," };
            out.push(self.named_expr(after_item)?);
            if !self.comma(stop)? {
                return Ok(out);
            }
        }
    }

    fn named_expr(&mut self, after: &str) -> PResult<NamedExpr> {
        self.skip_ws();
        let start = self.pos;
        let mut names = Vec::new();
        if self.peek() == Some(b'(') {
            let save = self.pos;
            self.pos += 1;
            let mut tuple = Vec::new();
            let ok = loop {
                match self.ident() {
                    Ok(id) => tuple.push(id),
                    Err(_) => break false,
                }
                if self.eat(",").is_some() {
                    continue;
                }
                break self.eat(")").is_some() && self.eat_assign().is_some();
            };
            if ok {
                names = tuple;
            } else {
                self.pos = save;
            }
        } else if let Some(id) = self.digit_name_assign() {
            names.push(id);
        } else if self.peek_word().is_some() || self.peek() == Some(b'[') {
            let save = self.pos;
            match self.ident() {
                Ok(id) if self.at_assign() => {
                    self.eat_assign();
                    names.push(id);
                }
                _ => self.pos = save,
            }
        }
        let after = if names.is_empty() { after } else { "=" };
        let expr = self.expr_np(after)?;
        Ok(NamedExpr {
            names,
            expr,
            span: self.span_from(start),
        })
    }

    fn sort_order(&mut self) -> Option<SortOrder> {
        if self.eat_word("asc").is_some() {
            Some(SortOrder::Asc)
        } else if self.eat_word("desc").is_some() {
            Some(SortOrder::Desc)
        } else {
            None
        }
    }

    fn sort_key(&mut self, after: &str) -> PResult<SortKey> {
        self.skip_ws();
        let start = self.pos;
        let expr = self.expr_np(after)?;
        let order = self.sort_order();
        let nulls = if self.eat_word("nulls").is_some() {
            if self.eat_word("first").is_some() {
                Some(NullsOrder::First)
            } else if self.eat_word("last").is_some() {
                Some(NullsOrder::Last)
            } else {
                return Err(self.expected("`first` or `last` after `nulls`"));
            }
        } else {
            None
        };
        Ok(SortKey {
            expr,
            order,
            nulls,
            span: self.span_from(start),
        })
    }

    fn top_nested_clause(&mut self, start: usize) -> PResult<TopNestedClause> {
        let count = if self.is_word("of") {
            None
        } else {
            Some(self.expr_np("top-nested")?)
        };
        self.expect_word("of", "in `top-nested`")?;
        let of = self.named_expr("of")?;
        let with_others = if self.eat_word("with").is_some() {
            self.expect_word("others", "after `with`")?;
            self.expect("=", "`=` after `others`")?;
            Some(self.expr_np("=")?)
        } else {
            None
        };
        self.expect_word("by", "in `top-nested`")?;
        let by = self.named_expr("by")?;
        let order = self.sort_order();
        Ok(TopNestedClause {
            count,
            of,
            with_others,
            by,
            order,
            span: self.span_from(start),
        })
    }

    /// `( op | op ... )`: operators applied to an implicit input.
    pub(super) fn subquery(&mut self) -> PResult<Subquery> {
        self.skip_ws();
        let start = self.pos;
        let open = self.expect("(", "`(` and a subquery")?;
        self.enter()?;
        let mut ops = Vec::new();
        self.eat("|");
        loop {
            ops.push(self.operator()?);
            if self.eat("|").is_some() {
                continue;
            }
            break;
        }
        self.close(")", "(", open)?;
        self.leave();
        Ok(Subquery {
            ops,
            span: self.span_from(start),
        })
    }

    fn parse_pattern(&mut self) -> PResult<Vec<ParsePart>> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                Some(b'*') => {
                    self.pos += 1;
                    parts.push(ParsePart::Star);
                }
                Some(b'"' | b'\'' | b'`' | b'@') => {
                    parts.push(ParsePart::Text(self.string_literal()?))
                }
                Some(b'h' | b'H') if matches!(self.at(1), Some(b'"' | b'\'')) => {
                    parts.push(ParsePart::Text(self.string_literal()?))
                }
                Some(b) if lex::is_ident_start(b) || b == b'[' => {
                    let name = self.ident()?;
                    let ty = if self.eat(":").is_some() {
                        Some(self.type_name()?)
                    } else {
                        None
                    };
                    parts.push(ParsePart::Column { name, ty });
                }
                _ => break,
            }
        }
        if parts.is_empty() {
            return Err(self.expected("a pattern after `with`"));
        }
        Ok(parts)
    }

    fn make_series(&mut self, kw: &str) -> PResult<MakeSeries> {
        let params = self.params(&["kind"])?;
        let mut aggregates = Vec::new();
        loop {
            let agg = self.named_expr(if aggregates.is_empty() { kw } else { "," })?;
            let default = if self.eat_word("default").is_some() {
                self.expect("=", "`=` after `default`")?;
                Some(self.expr_np("default =")?)
            } else {
                None
            };
            aggregates.push((agg, default));
            if !self.comma(&[])? {
                break;
            }
        }
        self.expect_word("on", "and the axis column in `make-series`")?;
        self.need_expr("on")?;
        let on = self.binary(ADD)?;
        let (mut from, mut to, step);
        let in_range = self.is_word("in");
        if self.eat_word("in").is_some() {
            self.expect_word("range", "after `in`")?;
            let open = self.expect("(", "`(`")?;
            from = Some(self.expr_np("(")?);
            self.expect(",", "`,`")?;
            to = Some(self.expr_np(",")?);
            self.expect(",", "`,`")?;
            step = self.expr_np(",")?;
            self.close(")", "(", open)?;
        } else {
            from = None;
            to = None;
            if self.eat_word("from").is_some() {
                from = Some(self.expr_np("from")?);
            }
            if self.eat_word("to").is_some() {
                to = Some(self.expr_np("to")?);
            }
            self.expect_word("step", "in `make-series`")?;
            step = self.expr_np("step")?;
        }
        let by = if self.eat_word("by").is_some() {
            self.named_list("by", &[])?
        } else {
            Vec::new()
        };
        Ok(MakeSeries {
            params,
            aggregates,
            on,
            from,
            to,
            step,
            by,
            in_range,
        })
    }

    fn scan(&mut self) -> PResult<Scan> {
        let params = self.params(&["with_match_id"])?;
        let mut order_by = Vec::new();
        let mut partition_by = Vec::new();
        let mut declare = Vec::new();
        loop {
            if self.eat_word("order").is_some() {
                self.expect_word("by", "after `order`")?;
                loop {
                    order_by.push(self.sort_key("by")?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
            } else if self.eat_word("partition").is_some() {
                self.expect_word("by", "after `partition`")?;
                loop {
                    partition_by.push(self.expr_np("by")?);
                    if !self.comma(&[])? {
                        break;
                    }
                }
            } else if self.eat_word("declare").is_some() {
                let open = self.expect("(", "`(` after `declare`")?;
                declare = self.parameters(open)?;
            } else {
                break;
            }
        }
        self.expect_word("with", "and the steps of `scan`")?;
        let open = self.expect("(", "`(` after `with`")?;
        let mut steps = Vec::new();
        while self.is_word("step") {
            self.skip_ws();
            let start = self.pos;
            self.eat_word("step");
            let name = self.ident()?;
            let optional = self.eat_word("optional").is_some();
            let output = if self.eat_word("output").is_some() {
                self.expect("=", "`=` after `output`")?;
                Some(self.ident()?)
            } else {
                None
            };
            self.expect(":", "`:` after the step name")?;
            let predicate = self.expr_np(":")?;
            let mut assignments = Vec::new();
            if self.eat("=>").is_some() {
                loop {
                    let n = self.dotted_name()?;
                    if self.eat_assign().is_none() {
                        return Err(self.expected("`=` in a step assignment"));
                    }
                    let v = self.expr_np("=")?;
                    assignments.push((n, v));
                    if !self.comma(&[";", ")"])? {
                        break;
                    }
                }
            }
            self.expect(";", "`;` after the step")?;
            steps.push(ScanStep {
                name,
                optional,
                output,
                predicate,
                assignments,
                span: self.span_from(start),
            });
        }
        self.close(")", "(", open)?;
        Ok(Scan {
            params,
            order_by,
            partition_by,
            declare,
            steps,
        })
    }
}
