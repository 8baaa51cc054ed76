//! Binding tabular expressions and operators.

use std::sync::Arc;

use kqlite_parser::ast::{
    self, BinaryOp, Expr, ExprKind, NamedExpr, NullsOrder, Operator, OperatorKind, SortOrder,
};
use kqlite_parser::Span;

use super::calls::take_any_row;
use super::expr::function_diag;
use super::names::{self, codes};
use super::plan::{
    Aggregate, BagExpansion, BoundExpr, BoundExprKind, JoinKind, JoinSide, Plan, Schema, SortSpec,
    SummarizeItem,
};
use super::{BResult, Binder, Binding, Reported};
use crate::column::ColumnBuilder;
use crate::function::Fill;
use crate::kernels;
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

pub(crate) type Bound = (Arc<Plan>, Schema);

// Operators on the `PlanOperator` shape, one file each: binding, plan
// node and evaluation.
mod graph_merge;

/// Whether `name` matches a project-away style pattern with `*` wildcards.
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn column_ref(schema: &Schema, i: usize, span: Span) -> BoundExpr {
    BoundExpr {
        kind: BoundExprKind::Column(i),
        ty: schema.get(i).map_or(DataType::Dynamic, |(_, t)| *t),
        span,
    }
}

/// The keyword of an operator, as written in a query.
pub(crate) fn operator_name(kind: &OperatorKind) -> &'static str {
    match kind {
        OperatorKind::Where(_) => "where",
        OperatorKind::Extend(_) => "extend",
        OperatorKind::Project(_) => "project",
        OperatorKind::ProjectAway(_) => "project-away",
        OperatorKind::ProjectKeep(_) => "project-keep",
        OperatorKind::ProjectRename(_) => "project-rename",
        OperatorKind::ProjectReorder(_) => "project-reorder",
        OperatorKind::Summarize { .. } => "summarize",
        OperatorKind::Sort { .. } => "sort",
        OperatorKind::Take(_) => "take",
        OperatorKind::Top { .. } => "top",
        OperatorKind::TopNested(_) => "top-nested",
        OperatorKind::Count => "count",
        OperatorKind::Distinct(_) => "distinct",
        OperatorKind::Join { .. } => "join",
        OperatorKind::Lookup { .. } => "lookup",
        OperatorKind::Union { .. } => "union",
        OperatorKind::MvExpand { .. } => "mv-expand",
        OperatorKind::MvApply { .. } => "mv-apply",
        OperatorKind::Parse { .. } => "parse",
        OperatorKind::ParseWhere { .. } => "parse-where",
        OperatorKind::ParseKv { .. } => "parse-kv",
        OperatorKind::MakeSeries(_) => "make-series",
        OperatorKind::Evaluate { .. } => "evaluate",
        OperatorKind::Render { .. } => "render",
        OperatorKind::Serialize(_) => "serialize",
        OperatorKind::As { .. } => "as",
        OperatorKind::Invoke(_) => "invoke",
        OperatorKind::GetSchema => "getschema",
        OperatorKind::Sample(_) => "sample",
        OperatorKind::SampleDistinct { .. } => "sample-distinct",
        OperatorKind::Partition { .. } => "partition",
        OperatorKind::TopHitters { .. } => "top-hitters",
        OperatorKind::Scan(_) => "scan",
        OperatorKind::Facet { .. } => "facet",
        OperatorKind::Fork(_) => "fork",
        OperatorKind::Search { .. } => "search",
        OperatorKind::Find { .. } => "find",
        OperatorKind::Reduce { .. } => "reduce",
        OperatorKind::Consume(_) => "consume",
        OperatorKind::MakeGraph(_) => "make-graph",
        OperatorKind::GraphMatch(g) if g.shortest => "graph-shortest-paths",
        OperatorKind::GraphMatch(_) => "graph-match",
        OperatorKind::GraphToTable(_) => "graph-to-table",
        OperatorKind::GraphMarkComponents(_) => "graph-mark-components",
        OperatorKind::GraphMerge { .. } => "graph-merge",
        OperatorKind::Print(_) => "print",
        OperatorKind::Range { .. } => "range",
        OperatorKind::Datatable(_) => "datatable",
        OperatorKind::Externaldata { .. } => "externaldata",
    }
}

/// The name of a `kind=`-style parameter value.
pub(crate) fn param_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Name(id) => Some(id.name.clone()),
        ExprKind::Literal(ast::Literal::String(s)) => Some(s.clone()),
        ExprKind::Literal(ast::Literal::Bool(Some(b))) => Some(b.to_string()),
        _ => None,
    }
}

impl Binder<'_> {
    pub(crate) fn not_supported(&mut self, what: &str, span: Span) -> Reported {
        self.fail(names::error(
            codes::NOT_SUPPORTED,
            format!("not supported: {what}"),
            span,
        ))
    }

    /// Binds a tabular expression to a plan and its output schema.
    pub(crate) fn bind_tabular(&mut self, e: &Expr) -> BResult<Bound> {
        if self.out_of_time(e.span) {
            return Err(Reported);
        }
        // Function inlining can stack parser-limited nesting many times over;
        // bound the plan depth so evaluation cannot exhaust the stack.
        if self.plan_depth >= super::MAX_PLAN_DEPTH {
            return Err(self.fail(names::error(
                codes::INVALID,
                "the query's operators nest too deeply",
                e.span,
            )));
        }
        self.plan_depth += 1;
        // A subquery (a join's right side, a union leg, a function body)
        // starts checking afresh; a failure inside it still makes what
        // follows it lenient.
        let outer = std::mem::replace(&mut self.recovering, false);
        let result = self.bind_tabular_inner(e);
        self.recovering |= outer;
        self.plan_depth -= 1;
        result
    }

    fn bind_tabular_inner(&mut self, e: &Expr) -> BResult<Bound> {
        match &e.kind {
            ExprKind::Paren(inner) => self.bind_tabular(inner),
            ExprKind::Name(id) => match self.bind_table_name(id) {
                // An unknown table (or a `let` that failed): check the rest
                // of the query with no columns known.
                Err(Reported) => {
                    self.start_recovering();
                    Ok((
                        Arc::new(Plan::Values(Arc::new(Table::empty(0)))),
                        Vec::new(),
                    ))
                }
                ok => ok,
            },
            ExprKind::Pipe { .. } => self.bind_pipeline(e),
            ExprKind::Source(op) => self.bind_source(op),
            _ if self.is_pattern_ref(e) => self.bind_pattern_ref(e),
            ExprKind::Call(call) => self.bind_tabular_call(call, e.span),
            _ => Err(self.fail(names::error(
                codes::WRONG_KIND,
                "a scalar expression is used where a table is expected",
                e.span,
            ))),
        }
    }

    fn bind_table_name(&mut self, id: &ast::Ident) -> BResult<Bound> {
        match self.lookup(&id.name) {
            Some(Binding::Tabular(p, s)) => return Ok((p, s)),
            Some(Binding::Failed) => return Err(Reported),
            Some(Binding::Scalar(_)) => {
                return Err(self.fail(names::error(
                    codes::WRONG_KIND,
                    format!("`{}` is a scalar, used where a table is expected", id.name),
                    id.span,
                )))
            }
            Some(Binding::Function(f)) if f.params.iter().all(|p| p.default.is_some()) => {
                let call = ast::Call {
                    name: id.clone(),
                    args: Vec::new(),
                    named: Vec::new(),
                };
                let result = self.call_user_function(&f, &call, id.span, None)?;
                return self.tabular_result(result, &format!("`{}`", id.name), id.span);
            }
            _ => {}
        }
        if let Some(f) = self.catalog.stored_function(&id.name).cloned() {
            let call = ast::Call {
                name: id.clone(),
                args: Vec::new(),
                named: Vec::new(),
            };
            return self.bind_stored_table(&f, &call, id.span);
        }
        if let Some(schema) = self.catalog.schema(&id.name) {
            return Ok((
                Arc::new(Plan::Scan {
                    table: id.name.clone(),
                }),
                schema.to_vec(),
            ));
        }
        if let Some(f) = self.catalog.function(&id.name) {
            let call = ast::Call {
                name: id.clone(),
                args: Vec::new(),
                named: Vec::new(),
            };
            let f = f.clone();
            return self.bind_catalog_function(&f, &call, id.span);
        }
        let cands = self.table_names_in_scope();
        let d = names::error(
            codes::UNKNOWN_TABLE,
            format!("unknown table `{}`", id.name),
            id.span,
        );
        Err(self.fail(names::suggest(
            d,
            &id.name,
            cands.iter().map(String::as_str),
        )))
    }

    fn bind_tabular_call(&mut self, call: &ast::Call, span: Span) -> BResult<Bound> {
        let name = call.name.name.as_str();
        match name {
            "materialize" => {
                let [arg] = call.args.as_slice() else {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        "`materialize` expects 1 argument",
                        span,
                    )));
                };
                let (input, schema) = self.bind_tabular(arg)?;
                let id = self.next_materialize_id();
                Ok((Arc::new(Plan::Materialize { id, input }), schema))
            }
            "table" => match call.args.as_slice() {
                [Expr {
                    kind: ExprKind::Literal(ast::Literal::String(s)),
                    span: s_span,
                }] => self.bind_table_name(&ast::Ident {
                    name: s.clone(),
                    span: *s_span,
                }),
                [arg] => self.bind_table_by_name(arg, span),
                _ => Err(self.fail(names::error(
                    codes::INVALID,
                    "`table` expects one constant string argument",
                    span,
                ))),
            },
            _ => match self.lookup(name) {
                Some(Binding::Function(f)) => {
                    let result = self.call_user_function(&f, call, span, None)?;
                    self.tabular_result(result, &format!("`{name}`"), span)
                }
                Some(Binding::Failed) => Err(Reported),
                None if self.catalog.stored_function(name).is_some() => {
                    match self.catalog.stored_function(name).cloned() {
                        Some(f) => self.bind_stored_table(&f, call, span),
                        None => Err(Reported),
                    }
                }
                None => match self.catalog.function(name) {
                    Some(f) => {
                        let f = f.clone();
                        self.bind_catalog_function(&f, call, span)
                    }
                    None if self.registry.scalar(name).is_none()
                        && self.registry.aggregate(name).is_none() =>
                    {
                        Err(self.unknown_tabular_function(call))
                    }
                    None => Err(self.not_supported(&format!("`{name}(...)` as a table"), span)),
                },
                _ => Err(self.not_supported(&format!("`{name}(...)` as a table"), span)),
            },
        }
    }

    /// A call to a workspace function the catalog knows by signature: its
    /// arguments are checked against the parameters (positional first, then
    /// by name) and the result has the declared columns. Its rows are the
    /// catalog's data for the function's name, if any was given.
    fn bind_catalog_function(
        &mut self,
        f: &crate::catalog::TabularFunction,
        call: &ast::Call,
        span: Span,
    ) -> BResult<Bound> {
        let name = &call.name.name;
        let mut given = vec![false; f.params.len()];
        let mut failed = false;
        // The first argument, bound: it picks the rows the embedder gave.
        let mut first: Option<(BoundExpr, Span)> = None;
        if call.args.len() > f.params.len() {
            return Err(self.fail(names::error(
                codes::ARITY,
                format!(
                    "`{name}` takes at most {} argument(s), got {}",
                    f.params.len(),
                    call.args.len()
                ),
                span,
            )));
        }
        for (i, arg) in call.args.iter().enumerate() {
            if let Some(g) = given.get_mut(i) {
                *g = true;
            }
            match self.bind_scalar(arg, None) {
                Ok(b) if i == 0 => first = Some((b, arg.span)),
                Ok(_) => {}
                Err(_) => failed = true,
            }
        }
        for (param, arg) in &call.named {
            match f
                .params
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&param.name))
            {
                Some(i) => {
                    if let Some(g) = given.get_mut(i) {
                        *g = true;
                    }
                    match self.bind_scalar(arg, None) {
                        Ok(b) if i == 0 => first = Some((b, arg.span)),
                        Ok(_) => {}
                        Err(_) => failed = true,
                    }
                }
                None => {
                    let d = names::error(
                        codes::INVALID,
                        format!("`{name}` has no parameter `{}`", param.name),
                        param.span,
                    );
                    let d =
                        names::suggest(d, &param.name, f.params.iter().map(|p| p.name.as_str()));
                    self.fail(d);
                    failed = true;
                }
            }
        }
        let missing: Vec<&str> = f
            .params
            .iter()
            .zip(&given)
            .filter(|(p, g)| p.required && !**g)
            .map(|(p, _)| p.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(self.fail(names::error(
                codes::ARITY,
                format!("`{name}` needs the argument(s) {}", missing.join(", ")),
                span,
            )));
        }
        if failed {
            return Err(Reported);
        }
        if let Some(rows) = self.catalog.function_rows(name) {
            return self.bind_function_rows(name, f, rows, first, span);
        }
        Ok((
            Arc::new(Plan::Scan {
                table: name.clone(),
            }),
            f.schema.clone(),
        ))
    }

    /// A call to a function whose rows the embedder gave per value of its
    /// first argument (a constant string): those rows, with their columns.
    fn bind_function_rows(
        &mut self,
        name: &str,
        f: &crate::catalog::TabularFunction,
        rows: &crate::catalog::FunctionRows,
        first: Option<(BoundExpr, Span)>,
        span: Span,
    ) -> BResult<Bound> {
        let code = crate::engine::codes::MISSING_FUNCTION_ROWS;
        let key = match &first {
            Some((b, _)) => match b.as_literal() {
                Some(crate::value::Value::String(s)) => Some(s.to_string()),
                _ => None,
            },
            None => None,
        };
        let at = first.as_ref().map_or(span, |(_, s)| *s);
        let given = key.as_ref().and_then(|k| rows.tables.get(k));
        if rows.open && given.is_none() {
            return Ok(self.open_rows(f.schema.clone()));
        }
        let Some(key) = key else {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!("the first argument of `{name}` must be a constant string"),
                at,
            )));
        };
        if let Some(table) = rows.tables.get(&key) {
            let schema = table.schema();
            return Ok((Arc::new(Plan::Values(table.clone())), schema));
        }
        let hint = match &rows.missing_hint {
            Some(h) => h.replace("{key}", &key),
            None => format!(
                "give its rows with `Engine::add_function_rows(\"{name}\", \"{key}\", table)`"
            ),
        };
        let hint = match names::did_you_mean(&key, rows.tables.keys().map(String::as_str)) {
            Some(c) => format!("did you mean `{c}`? else {hint}"),
            None => hint,
        };
        let d = names::error(code, format!("`{name}('{key}')` was not given"), at);
        Err(self.fail(names::with_hint(d, hint)))
    }

    /// `table(name)` where `name` is a function parameter or `let` bound to
    /// a constant string.
    fn bind_table_by_name(&mut self, arg: &Expr, span: Span) -> BResult<Bound> {
        let name = self.bind_scalar(arg, None)?;
        match name.as_literal() {
            Some(crate::value::Value::String(s)) => self.bind_table_name(&ast::Ident {
                name: s.to_string(),
                span: arg.span,
            }),
            _ => Err(self.fail(names::error(
                codes::INVALID,
                "`table` expects one constant string argument",
                span,
            ))),
        }
    }

    fn bind_source(&mut self, op: &Operator) -> BResult<Bound> {
        match &op.kind {
            OperatorKind::Print(items) => {
                let mut columns: Vec<(String, BoundExpr)> = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let b = self.bind_scalar(&item.expr, None)?;
                    let name = match item.names.as_slice() {
                        [] => crate::naming::print_column(i),
                        [n] => n.name.clone(),
                        _ => {
                            return Err(
                                self.not_supported("several names for one print column", item.span)
                            )
                        }
                    };
                    columns.push((name, b));
                }
                let schema = columns.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
                Ok((Arc::new(Plan::Print { columns }), schema))
            }
            OperatorKind::Range {
                name,
                from,
                to,
                step,
            } => {
                let f = self.bind_scalar(from, None)?;
                let t = self.bind_scalar(to, None)?;
                let s = self.bind_scalar(step, None)?;
                let ty = match (f.ty, t.ty) {
                    (DataType::DateTime, _) => DataType::DateTime,
                    (DataType::TimeSpan, _) => DataType::TimeSpan,
                    (DataType::Real, _) | (_, DataType::Real) => DataType::Real,
                    (DataType::Int | DataType::Long, DataType::Int | DataType::Long) => {
                        DataType::Long
                    }
                    (a, _) => {
                        return Err(self.fail(names::error(
                            codes::TYPE_MISMATCH,
                            format!("`range` needs numbers, datetimes or timespans, got {a}"),
                            op.span,
                        )))
                    }
                };
                Ok((
                    Arc::new(Plan::Range {
                        name: name.name.clone(),
                        from: f,
                        to: t,
                        step: s,
                    }),
                    vec![(name.name.clone(), ty)],
                ))
            }
            OperatorKind::Datatable(dt) => self.bind_datatable(dt, op.span),
            OperatorKind::Union { params, tables } => {
                self.bind_union(params, None, tables, op.span)
            }
            OperatorKind::Search {
                params,
                tables,
                predicate,
            } => self.bind_search(params, tables, predicate, None, op.span),
            OperatorKind::Externaldata {
                columns,
                uris,
                with,
            } => self.bind_externaldata(columns, uris, with, op.span),
            OperatorKind::Find {
                params,
                tables,
                predicate,
                project,
            } => self.bind_find(params, tables, predicate, project, op.span),
            other => {
                Err(self
                    .not_supported(&format!("the `{}` operator", operator_name(other)), op.span))
            }
        }
    }

    fn bind_datatable(&mut self, dt: &ast::Datatable, span: Span) -> BResult<Bound> {
        let width = dt.columns.len();
        if width == 0 || dt.values.len() % width != 0 {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "`datatable` has {} values, not a multiple of its {width} columns",
                    dt.values.len()
                ),
                span,
            )));
        }
        let rows = dt.values.len() / width;
        let mut builders: Vec<ColumnBuilder> = dt
            .columns
            .iter()
            .map(|c| ColumnBuilder::new(DataType::from(c.ty), rows))
            .collect();
        for (i, e) in dt.values.iter().enumerate() {
            let b = self.bind_scalar(e, None)?;
            let Some(v) = b.as_literal() else {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    "`datatable` values must be constants",
                    e.span,
                )));
            };
            let col = i % width;
            let ty = dt
                .columns
                .get(col)
                .map_or(DataType::Dynamic, |c| DataType::from(c.ty));
            let v = if b.ty == ty || v.is_null() {
                v.clone()
            } else {
                kernels::convert_value(v, ty)
            };
            let pushed = builders.get_mut(col).map(|bd| bd.push(&v));
            if !matches!(pushed, Some(Ok(()))) {
                return Err(self.fail(names::error(
                    codes::TYPE_MISMATCH,
                    format!("a {} value in `datatable` column of type {ty}", b.ty),
                    e.span,
                )));
            }
        }
        let columns = dt
            .columns
            .iter()
            .zip(builders)
            .map(|(c, b)| (c.name.name.clone(), Arc::new(b.finish())));
        match Table::try_new(columns) {
            Ok(t) => {
                let schema = t.schema();
                Ok((Arc::new(Plan::Values(Arc::new(t))), schema))
            }
            Err(err) => Err(self.fail(names::error(codes::INVALID, err.to_string(), span))),
        }
    }

    pub(crate) fn bind_union(
        &mut self,
        params: &[ast::OperatorParam],
        input: Option<Bound>,
        tables: &[Expr],
        span: Span,
    ) -> BResult<Bound> {
        let mut inner = false;
        let mut fuzzy = false;
        let mut source_col = None;
        for p in params {
            match (p.name.name.as_str(), param_text(&p.value).as_deref()) {
                ("kind", Some("inner")) => inner = true,
                ("kind", Some("outer")) => inner = false,
                ("withsource", Some(n)) => source_col = Some(n.to_string()),
                ("isfuzzy", v) => fuzzy = v == Some("true"),
                _ => {
                    return Err(
                        self.not_supported(&format!("union parameter `{}`", p.name.name), p.span)
                    )
                }
            }
        }
        let mut inputs: Vec<(String, Bound)> = Vec::new();
        let mut open = false;
        if let Some(b) = input {
            let name = self
                .plan_name(&b.0)
                .unwrap_or_else(|| "union_arg0".to_string());
            inputs.push((name, b));
        }
        for t in tables {
            match &t.kind {
                ExprKind::Name(id) if id.name.contains('*') => {
                    // Matching tables known only by schema stand for a
                    // workspace whose tables are not known: its union's
                    // columns are open. Past a few dozen, the rows stand
                    // for any table (every table has `Type`).
                    let (mut matched, schema_only) = self.tables_matching(&id.name);
                    open |= schema_only > 0;
                    if schema_only > MAX_TABLES_BOUND_BY_WILDCARD {
                        let rows = self.open_rows(vec![("Type".to_string(), DataType::String)]);
                        inputs.push((id.name.clone(), rows));
                        continue;
                    }
                    for n in self.tabular_lets_matching(&id.name) {
                        if !matched.contains(&n) {
                            matched.push(n);
                        }
                    }
                    for n in matched {
                        let b = self.bind_table_name(&ast::Ident {
                            name: n.clone(),
                            span: id.span,
                        })?;
                        inputs.push((n, b));
                    }
                }
                ExprKind::Name(id) => {
                    // `isfuzzy=true` skips tables that do not exist.
                    let known = self.catalog.get(&id.name).is_some()
                        || self.catalog.function(&id.name).is_some()
                        || self.let_names().contains(&id.name);
                    if fuzzy && !known {
                        continue;
                    }
                    let b = self.bind_table_name(id)?;
                    inputs.push((id.name.clone(), b));
                }
                _ => {
                    // `isfuzzy=true` also skips a leg that reads a table
                    // that does not exist.
                    let b = match self.bind_tabular_trial(t) {
                        Ok(b) => b,
                        Err(found) if fuzzy && only_unknown_tables(&found) => continue,
                        Err(found) => return Err(self.keep(found)),
                    };
                    let name = self
                        .plan_name(&b.0)
                        .unwrap_or_else(|| format!("union_arg{}", inputs.len()));
                    inputs.push((name, b));
                }
            }
        }
        if inputs.is_empty() {
            return Err(self.fail(names::error(
                codes::UNKNOWN_TABLE,
                "`union` matched no tables",
                span,
            )));
        }
        let bound = self.union_of(inputs, inner, source_col)?;
        if open {
            self.open_schemas.push(bound.1.clone());
        }
        Ok(bound)
    }

    /// The union of bound inputs, named for a `withsource=` column.
    pub(crate) fn union_bound(
        &mut self,
        inputs: Vec<(String, Bound)>,
        source: Option<String>,
    ) -> BResult<Bound> {
        self.union_of(inputs, false, source)
    }

    fn union_of(
        &mut self,
        inputs: Vec<(String, Bound)>,
        inner: bool,
        source_col: Option<String>,
    ) -> BResult<Bound> {
        let (inputs, open) = self.lay_out_open_legs(inputs);
        let bound = self.union_of_laid_out(inputs, inner, source_col)?;
        if open {
            // Columns only the run knows may come from an open leg.
            self.open_schemas.push(bound.1.clone());
        }
        Ok(bound)
    }

    /// Union legs whose columns are known only when the query runs (open
    /// schemas) are laid out by name, so the union reads them by name: a
    /// column the run lacks reads as nulls, and one the leg knows only as
    /// `dynamic` takes the type a closed leg gives the same name. Also
    /// says whether any leg was open.
    fn lay_out_open_legs(&self, inputs: Vec<(String, Bound)>) -> (Vec<(String, Bound)>, bool) {
        let open: Vec<bool> = inputs.iter().map(|(_, (_, s))| self.is_open(s)).collect();
        if !open.contains(&true) {
            return (inputs, false);
        }
        let mut typed: Vec<(String, DataType)> = Vec::new();
        for ((_, (_, schema)), _) in inputs.iter().zip(&open).filter(|(_, o)| !**o) {
            for (n, t) in schema {
                if *t != DataType::Dynamic && !typed.iter().any(|(m, _)| m == n) {
                    typed.push((n.clone(), *t));
                }
            }
        }
        let laid = inputs
            .into_iter()
            .zip(&open)
            .map(|((name, (plan, schema)), open)| {
                if !*open {
                    return (name, (plan, schema));
                }
                let columns: Vec<(String, BoundExpr)> = schema
                    .iter()
                    .map(|(n, t)| {
                        let ty = match t {
                            DataType::Dynamic => typed
                                .iter()
                                .find(|(m, _)| m == n)
                                .map_or(DataType::Dynamic, |(_, t)| *t),
                            t => *t,
                        };
                        let e = BoundExpr {
                            kind: BoundExprKind::OptionalColumn(n.clone()),
                            ty,
                            span: Span::default(),
                        };
                        (n.clone(), e)
                    })
                    .collect();
                let out = columns.iter().map(|(n, e)| (n.clone(), e.ty)).collect();
                (
                    name,
                    (
                        Arc::new(Plan::Project {
                            input: plan,
                            columns,
                        }),
                        out,
                    ),
                )
            })
            .collect();
        (laid, true)
    }

    fn union_of_laid_out(
        &mut self,
        inputs: Vec<(String, Bound)>,
        inner: bool,
        source_col: Option<String>,
    ) -> BResult<Bound> {
        // Output columns: the union of the inputs' columns by name, in
        // first-seen order (only the common ones for kind=inner). A name
        // seen with several types becomes one column per type, `name_type`.
        let mut pairs: Schema = Vec::new();
        for (_, (_, schema)) in &inputs {
            for col in schema {
                if !pairs.contains(col) {
                    pairs.push(col.clone());
                }
            }
        }
        if inner {
            pairs.retain(|col| inputs.iter().all(|(_, (_, s))| s.contains(col)));
        }
        let plans = inputs
            .iter()
            .map(|(_, (p, s))| {
                let map = pairs
                    .iter()
                    .map(|col| s.iter().position(|c| c == col))
                    .collect();
                (p.clone(), map)
            })
            .collect();
        let mut out: Schema = pairs
            .iter()
            .map(|(n, t)| {
                let clash = pairs.iter().filter(|(m, _)| m == n).count() > 1;
                let name = if clash {
                    crate::naming::typed_column(n, *t)
                } else {
                    n.clone()
                };
                (name, *t)
            })
            .collect();
        let columns = out.clone();
        let source = source_col.map(|c| {
            out.insert(0, (c.clone(), DataType::String));
            (c, inputs.iter().map(|(n, _)| n.clone()).collect())
        });
        Ok((
            Arc::new(Plan::Union {
                inputs: plans,
                source,
                columns,
            }),
            out,
        ))
    }

    /// Binds one operator applied to `input`.
    pub(crate) fn bind_operator(
        &mut self,
        op: &Operator,
        input: Arc<Plan>,
        schema: Schema,
    ) -> BResult<Bound> {
        let span = op.span;
        self.check_graph_input(op, &input)?;
        match &op.kind {
            OperatorKind::Where(pred) => {
                let p = self.bind_scalar(pred, Some(&schema))?;
                if !matches!(p.ty, DataType::Bool | DataType::Dynamic) {
                    return Err(self.fail(names::error(
                        codes::TYPE_MISMATCH,
                        format!("`where` needs a bool predicate, got {}", p.ty),
                        pred.span,
                    )));
                }
                Ok((push_filter_into_join(input, p), schema))
            }
            OperatorKind::Extend(items) | OperatorKind::Serialize(items) => {
                // Later items see earlier ones; over open columns, so do
                // their schemas.
                let open = self.is_open(&schema);
                let mut schema = schema;
                let mut unnamed = 0;
                let mut columns = Vec::with_capacity(items.len());
                for item in items {
                    let outputs = match self.expand_multi_column(item, &schema)? {
                        Some(outputs) => outputs,
                        None => {
                            let b = self.bind_scalar(&item.expr, Some(&schema))?;
                            let taken = |n: &str| schema.iter().any(|(m, _)| m == n);
                            vec![(self.output_name(item, &mut unnamed, taken)?, b)]
                        }
                    };
                    for (name, b) in outputs {
                        let target = match schema.iter().position(|(n, _)| *n == name) {
                            Some(i) => {
                                if let Some(slot) = schema.get_mut(i) {
                                    slot.1 = b.ty;
                                }
                                i
                            }
                            None => {
                                schema.push((name.clone(), b.ty));
                                if open {
                                    self.open_schemas.push(schema.clone());
                                }
                                schema.len() - 1
                            }
                        };
                        columns.push((name, target, b));
                    }
                }
                Ok((Arc::new(Plan::Extend { input, columns }), schema))
            }
            OperatorKind::Project(items) => {
                let mut columns: Vec<(String, BoundExpr)> = Vec::new();
                let mut unnamed = 0;
                for item in items {
                    if let ExprKind::Star = item.expr.kind {
                        for (i, (n, _)) in schema.iter().enumerate() {
                            columns.push((n.clone(), column_ref(&schema, i, item.span)));
                        }
                        continue;
                    }
                    let outputs = match self.expand_multi_column(item, &schema)? {
                        Some(outputs) => outputs,
                        None => {
                            let b = self.bind_scalar(&item.expr, Some(&schema))?;
                            let taken = |n: &str| columns.iter().any(|(m, _)| m == n);
                            vec![(self.output_name(item, &mut unnamed, taken)?, b)]
                        }
                    };
                    for (name, b) in outputs {
                        if columns.iter().any(|(n, _)| *n == name) {
                            return Err(self.fail(names::error(
                                codes::INVALID,
                                format!("`project` produces column `{name}` twice"),
                                item.span,
                            )));
                        }
                        columns.push((name, b));
                    }
                }
                let out = columns.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
                Ok((Arc::new(Plan::Project { input, columns }), out))
            }
            OperatorKind::ProjectAway(ids) | OperatorKind::ProjectKeep(ids) => {
                let keep = matches!(op.kind, OperatorKind::ProjectKeep(_));
                let mut hit = vec![false; schema.len()];
                for id in ids {
                    let mut any = false;
                    for (i, (n, _)) in schema.iter().enumerate() {
                        if wildcard_match(&id.name, n) {
                            hit[i] = true;
                            any = true;
                        }
                    }
                    if !any && !id.name.contains('*') {
                        return Err(self.unknown_column(&id.name, id.span, &schema));
                    }
                }
                let columns: Vec<(String, BoundExpr)> = schema
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| hit.get(*i).copied().unwrap_or(false) == keep)
                    .map(|(i, (n, _))| (n.clone(), column_ref(&schema, i, span)))
                    .collect();
                let out = columns.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
                Ok((Arc::new(Plan::Project { input, columns }), out))
            }
            OperatorKind::ProjectRename(pairs) => {
                let mut names: Vec<String> = schema.iter().map(|(n, _)| n.clone()).collect();
                for (new, old) in pairs {
                    let Some(i) = schema.iter().position(|(n, _)| *n == old.name) else {
                        return Err(self.unknown_column(&old.name, old.span, &schema));
                    };
                    if let Some(slot) = names.get_mut(i) {
                        *slot = new.name.clone();
                    }
                }
                let columns: Vec<(String, BoundExpr)> = names
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| (n, column_ref(&schema, i, span)))
                    .collect();
                let out = columns.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
                Ok((Arc::new(Plan::Project { input, columns }), out))
            }
            OperatorKind::ProjectReorder(items) => {
                let mut order: Vec<usize> = Vec::new();
                for (id, dir) in items {
                    let mut matched: Vec<usize> = (0..schema.len())
                        .filter(|i| !order.contains(i))
                        .filter(|&i| {
                            schema
                                .get(i)
                                .is_some_and(|(n, _)| wildcard_match(&id.name, n))
                        })
                        .collect();
                    if matched.is_empty() && !id.name.contains('*') {
                        return Err(self.unknown_column(&id.name, id.span, &schema));
                    }
                    match dir {
                        Some(SortOrder::Asc) => {
                            matched.sort_by(|a, b| schema[*a].0.cmp(&schema[*b].0))
                        }
                        Some(SortOrder::Desc) => {
                            matched.sort_by(|a, b| schema[*b].0.cmp(&schema[*a].0))
                        }
                        None => {}
                    }
                    order.extend(matched);
                }
                order.extend(
                    (0..schema.len())
                        .filter(|i| !order.contains(i))
                        .collect::<Vec<_>>(),
                );
                let columns: Vec<(String, BoundExpr)> = order
                    .into_iter()
                    .filter_map(|i| {
                        schema
                            .get(i)
                            .map(|(n, _)| (n.clone(), column_ref(&schema, i, span)))
                    })
                    .collect();
                let out = columns.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
                Ok((Arc::new(Plan::Project { input, columns }), out))
            }
            OperatorKind::Summarize { aggregates, by, .. } => {
                self.bind_summarize(input, &schema, aggregates, by, span)
            }
            OperatorKind::Distinct(exprs) => {
                let mut keys = Vec::new();
                for e in exprs {
                    if let ExprKind::Star = e.kind {
                        for (i, (n, _)) in schema.iter().enumerate() {
                            keys.push((n.clone(), column_ref(&schema, i, e.span)));
                        }
                        continue;
                    }
                    let b = self.bind_scalar(e, Some(&schema))?;
                    // Named as a `summarize ... by` key would be.
                    let name = names::key_name(e)
                        .unwrap_or_else(|| crate::naming::unnamed_column(keys.len() + 1));
                    keys.push((name, b));
                }
                let out = keys.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
                Ok((
                    Arc::new(Plan::Summarize {
                        input,
                        keys,
                        aggregates: Vec::new(),
                    }),
                    out,
                ))
            }
            OperatorKind::Sort { keys, .. } => {
                let specs = keys
                    .iter()
                    .map(|k| self.bind_sort_key(k, &schema))
                    .collect::<BResult<Vec<_>>>()?;
                Ok((Arc::new(Plan::Sort { input, keys: specs }), schema))
            }
            OperatorKind::Take(n) => {
                let count = self.bind_count(n)?;
                Ok((Arc::new(Plan::Take { input, count }), schema))
            }
            OperatorKind::Top { count, key } => {
                let count = self.bind_count(count)?;
                let spec = self.bind_sort_key(key, &schema)?;
                let sorted = Arc::new(Plan::Sort {
                    input,
                    keys: vec![spec],
                });
                Ok((
                    Arc::new(Plan::Take {
                        input: sorted,
                        count,
                    }),
                    schema,
                ))
            }
            OperatorKind::Count => Ok((
                Arc::new(Plan::Count { input }),
                vec![("Count".to_string(), DataType::Long)],
            )),
            OperatorKind::Join { params, right, on } => {
                self.bind_join(input, schema, params, right, on, false, span)
            }
            OperatorKind::Lookup { params, right, on } => {
                self.bind_join(input, schema, params, right, on, true, span)
            }
            OperatorKind::Union { params, tables } => {
                self.bind_union(params, Some((input, schema)), tables, span)
            }
            OperatorKind::MvExpand {
                params,
                items,
                limit,
            } => self.bind_mv_expand(input, schema, params, items, limit.as_ref(), span),
            OperatorKind::Parse {
                params,
                expr,
                pattern,
            } => self.bind_parse(input, schema, params, expr, pattern, false),
            OperatorKind::ParseWhere {
                params,
                expr,
                pattern,
            } => self.bind_parse(input, schema, params, expr, pattern, true),
            OperatorKind::MakeSeries(ms) => self.bind_make_series(input, &schema, ms, span),
            OperatorKind::MvApply {
                params,
                items,
                limit,
                on,
            } => {
                let placeholder = Arc::new(Plan::Input);
                let (mut sub, mut sub_schema) = self.bind_mv_expand(
                    placeholder,
                    schema.clone(),
                    params,
                    items,
                    limit.as_ref(),
                    span,
                )?;
                for op in &on.ops {
                    let (p, s) = self.bind_operator(op, sub, sub_schema)?;
                    sub = p;
                    sub_schema = s;
                }
                // Columns expanded in place leave the output; the others stay
                // unless the subquery produces a column of the same name.
                let in_place: Vec<&str> = items
                    .iter()
                    .filter(|i| i.expr.names.is_empty())
                    .filter_map(|i| match &i.expr.expr.kind {
                        ExprKind::Name(id) => Some(id.name.as_str()),
                        _ => None,
                    })
                    .collect();
                let keep: Vec<usize> = schema
                    .iter()
                    .enumerate()
                    .filter(|(_, (n, _))| {
                        !in_place.contains(&n.as_str()) && !sub_schema.iter().any(|(s, _)| s == n)
                    })
                    .map(|(i, _)| i)
                    .collect();
                let mut out: Schema = keep
                    .iter()
                    .filter_map(|i| schema.get(*i).cloned())
                    .collect();
                out.extend(sub_schema.iter().cloned());
                Ok((
                    Arc::new(Plan::MvApply {
                        input,
                        subquery: sub,
                        keep,
                        columns: sub_schema,
                    }),
                    out,
                ))
            }
            OperatorKind::As { params, name } => {
                let materialized = params.iter().any(|p| {
                    p.name.name == "hint.materialized"
                        && param_text(&p.value).as_deref() == Some("true")
                });
                let plan = if materialized {
                    let id = self.next_materialize_id();
                    Arc::new(Plan::Materialize { id, input })
                } else {
                    input
                };
                self.name_plan(name, &plan, &schema);
                Ok((plan, schema))
            }
            OperatorKind::Render { .. } => Ok((input, schema)),
            OperatorKind::GetSchema => {
                let mut names = ColumnBuilder::new(DataType::String, schema.len());
                let mut ordinals = ColumnBuilder::new(DataType::Int, schema.len());
                let mut dotnet = ColumnBuilder::new(DataType::String, schema.len());
                let mut kql = ColumnBuilder::new(DataType::String, schema.len());
                for (i, (n, t)) in schema.iter().enumerate() {
                    names.push_str(n);
                    let _ = ordinals.push(&Value::Int(i32::try_from(i).unwrap_or(i32::MAX)));
                    dotnet.push_str(dotnet_type(*t));
                    kql.push_str(t.name());
                }
                let table = Table::try_new([
                    ("ColumnName".to_string(), Arc::new(names.finish())),
                    ("ColumnOrdinal".to_string(), Arc::new(ordinals.finish())),
                    ("DataType".to_string(), Arc::new(dotnet.finish())),
                    ("ColumnType".to_string(), Arc::new(kql.finish())),
                ])
                .map_err(|e| self.fail(names::error(codes::INVALID, e.to_string(), span)))?;
                let out = table.schema();
                Ok((Arc::new(Plan::Values(Arc::new(table))), out))
            }
            OperatorKind::Invoke(call) => match self.lookup(&call.name.name) {
                Some(Binding::Function(f)) => {
                    let Some(first) = f.params.first() else {
                        return Err(self.fail(names::error(
                            codes::ARITY,
                            "the invoked function takes no table",
                            span,
                        )));
                    };
                    let mark = self.lets.len();
                    self.lets.push(super::LetEntry {
                        name: "__invoke_input".to_string(),
                        span,
                        binding: Binding::Tabular(input, schema),
                        used: true,
                        top_level: false,
                    });
                    let mut args = vec![Expr {
                        kind: ExprKind::Name(ast::Ident {
                            name: "__invoke_input".to_string(),
                            span,
                        }),
                        span,
                    }];
                    args.extend(call.args.iter().cloned());
                    let full = ast::Call {
                        name: call.name.clone(),
                        args,
                        named: call.named.clone(),
                    };
                    let _ = first;
                    let r = self.call_user_function(&f, &full, span, None);
                    self.lets.truncate(mark);
                    match r? {
                        Binding::Tabular(p, s) => Ok((p, s)),
                        _ => Err(self.fail(names::error(
                            codes::WRONG_KIND,
                            "the invoked function returns a scalar",
                            span,
                        ))),
                    }
                }
                _ => Err(self.fail(names::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("unknown function `{}`", call.name.name),
                    call.name.span,
                ))),
            },
            OperatorKind::Evaluate {
                call,
                schema: declared,
                ..
            } if call.name.name == "pivot" => {
                self.bind_pivot(call, declared.as_deref(), input, schema, span)
            }
            OperatorKind::Evaluate {
                call,
                schema: declared,
                ..
            } => self.bind_evaluate(call, declared.as_deref(), input, schema, span),
            OperatorKind::ParseKv {
                expr,
                columns,
                with,
            } => self.bind_parse_kv(expr, columns, with, input, schema, span),
            OperatorKind::Sample(count) => self.bind_sample(count, input, schema),
            OperatorKind::Fork(legs) => self.bind_fork(legs, input, schema, span),
            OperatorKind::Partition { params, by, body } => {
                self.bind_partition(params, by, body, input, schema, span)
            }
            OperatorKind::Consume(params) => self.bind_consume(params, input),
            OperatorKind::TopHitters { count, of, by } => {
                self.bind_top_hitters(count, of, by.as_ref(), input, schema)
            }
            OperatorKind::Facet { by, with } => {
                self.bind_facet(by, with.as_ref(), input, schema, span)
            }
            OperatorKind::SampleDistinct { count, of } => {
                self.bind_sample_distinct(count, of, input, schema, span)
            }
            OperatorKind::Scan(scan) => self.bind_scan(scan, input, schema, span),
            OperatorKind::TopNested(clauses) => self.bind_top_nested(clauses, input, schema, span),
            OperatorKind::Search {
                params,
                tables,
                predicate,
            } => self.bind_search(params, tables, predicate, Some((input, schema)), span),
            OperatorKind::MakeGraph(g) => self.bind_make_graph(g, input, schema, span),
            OperatorKind::Reduce { params, by, with } => {
                self.bind_reduce(params, by, with, input, schema, span)
            }
            OperatorKind::GraphMatch(m) => self.bind_graph_match(m, input, span),
            OperatorKind::GraphToTable(items) => self.bind_graph_to_table(items, input),
            OperatorKind::GraphMarkComponents(params) => self.bind_mark_components(params, input),
            OperatorKind::GraphMerge { right, on } => self.bind_graph_merge(right, on, input, span),
            other => {
                Err(self.not_supported(&format!("the `{}` operator", operator_name(other)), span))
            }
        }
    }

    pub(crate) fn unknown_column(&mut self, name: &str, span: Span, schema: &Schema) -> Reported {
        let d = names::error(
            codes::UNKNOWN_COLUMN,
            format!("unknown column `{name}`"),
            span,
        );
        let d = names::suggest(d, name, schema.iter().map(|(n, _)| n.as_str()));
        self.fail_unless_recovering(d)
    }

    /// `f(x)` or `(a, b) = f(x)` for a function whose result spans several
    /// columns (see [`crate::registry::Registry::output_columns`]): one
    /// column per output, named `f_<x>_<suffix>` or by the given names.
    fn expand_multi_column(
        &mut self,
        item: &NamedExpr,
        schema: &Schema,
    ) -> BResult<Option<Vec<(String, BoundExpr)>>> {
        let ExprKind::Call(call) = &item.expr.kind else {
            return Ok(None);
        };
        if item.names.len() == 1 {
            return Ok(None);
        }
        let Some(outputs) = self.registry.output_columns(&call.name.name) else {
            return Ok(None);
        };
        let bag = self.bind_scalar(&item.expr, Some(schema))?;
        let base = call.args.first().and_then(names::derived_name).map_or_else(
            || call.name.name.clone(),
            |a| format!("{}_{a}", call.name.name),
        );
        let mut out = Vec::with_capacity(outputs.len());
        for (i, (suffix, ty)) in outputs.iter().enumerate() {
            let name = if item.names.is_empty() {
                format!("{base}_{suffix}")
            } else {
                match item.names.get(i) {
                    Some(n) => n.name.clone(),
                    None => break,
                }
            };
            let span = item.expr.span;
            let key = BoundExpr::literal(Value::String((*suffix).into()), DataType::String, span);
            let mut e = BoundExpr {
                kind: BoundExprKind::Index {
                    target: Box::new(bag.clone()),
                    index: Box::new(key),
                },
                ty: DataType::Dynamic,
                span,
            };
            if *ty != DataType::Dynamic {
                e = BoundExpr {
                    kind: BoundExprKind::Cast {
                        expr: Box::new(e),
                        to: *ty,
                    },
                    ty: *ty,
                    span,
                };
            }
            out.push((name, e));
        }
        Ok(Some(out))
    }

    fn output_name(
        &mut self,
        item: &NamedExpr,
        unnamed: &mut usize,
        taken: impl Fn(&str) -> bool,
    ) -> BResult<String> {
        match item.names.as_slice() {
            [n] => Ok(n.name.clone()),
            [] => Ok(names::projected_name(&item.expr)
                .unwrap_or_else(|| crate::naming::next_unnamed(unnamed, taken))),
            _ => Err(self.not_supported("several output names for one expression", item.span)),
        }
    }

    fn bind_count(&mut self, e: &Expr) -> BResult<BoundExpr> {
        let b = self.bind_scalar(e, None)?;
        if !matches!(b.ty, DataType::Int | DataType::Long) {
            return Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!("a row count must be an integer, got {}", b.ty),
                e.span,
            )));
        }
        Ok(b)
    }

    fn bind_sort_key(&mut self, k: &ast::SortKey, schema: &Schema) -> BResult<SortSpec> {
        let expr = self.bind_scalar(&k.expr, Some(schema))?;
        let descending = !matches!(k.order, Some(SortOrder::Asc));
        let nulls_first = match k.nulls {
            Some(NullsOrder::First) => true,
            Some(NullsOrder::Last) => false,
            None => !descending,
        };
        Ok(SortSpec {
            expr,
            descending,
            nulls_first,
        })
    }

    /// Whether `e` is a call of an aggregate (including `arg_max`/`arg_min`).
    fn is_aggregate_call(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Call(c) => {
                let n = c.name.name.as_str();
                matches!(n, "arg_max" | "arg_min") || self.registry.aggregate(n).is_some()
            }
            _ => false,
        }
    }

    /// Replaces each aggregate call inside `e` with a reference to a hidden
    /// column, collecting the calls.
    fn extract_aggregates(&self, e: &Expr, found: &mut Vec<NamedExpr>) -> Expr {
        if self.is_aggregate_call(e) {
            let name = ast::Ident {
                name: format!("__aggregate_{}", found.len()),
                span: e.span,
            };
            found.push(NamedExpr {
                names: vec![name.clone()],
                expr: e.clone(),
                span: e.span,
            });
            return Expr {
                kind: ExprKind::Name(name),
                span: e.span,
            };
        }
        let mut go = |x: &Expr| Box::new(self.extract_aggregates(x, found));
        let kind = match &e.kind {
            ExprKind::Binary { op, left, right } => ExprKind::Binary {
                op: *op,
                left: go(left),
                right: go(right),
            },
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: go(operand),
            },
            ExprKind::Paren(x) => ExprKind::Paren(go(x)),
            ExprKind::Member { target, member } => ExprKind::Member {
                target: go(target),
                member: member.clone(),
            },
            ExprKind::Index { target, index } => ExprKind::Index {
                target: go(target),
                index: go(index),
            },
            ExprKind::Between {
                negated,
                expr,
                low,
                high,
            } => ExprKind::Between {
                negated: *negated,
                expr: go(expr),
                low: go(low),
                high: go(high),
            },
            ExprKind::List { op, expr, list } => ExprKind::List {
                op: *op,
                expr: go(expr),
                list: list.iter().map(|x| *go(x)).collect(),
            },
            ExprKind::Call(c) => ExprKind::Call(ast::Call {
                name: c.name.clone(),
                args: c.args.iter().map(|x| *go(x)).collect(),
                named: c.named.clone(),
            }),
            other => other.clone(),
        };
        Expr { kind, span: e.span }
    }

    /// `summarize`, including expressions around aggregates
    /// (`count() * 2`, `toupper(make_set(x))`): the aggregates are computed
    /// into hidden columns and the expressions projected over them.
    pub(crate) fn bind_summarize(
        &mut self,
        input: Arc<Plan>,
        schema: &Schema,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> BResult<Bound> {
        let expanded = self.expand_percentiles(aggregates)?;
        let aggregates = expanded.as_slice();
        let any_rows = aggregates.iter().any(|a| take_any_row(a).is_some());
        if !any_rows && aggregates.iter().all(|a| self.is_aggregate_call(&a.expr)) {
            return self.bind_summarize_direct(input, schema, aggregates, by, span);
        }
        let mut inner: Vec<NamedExpr> = Vec::new();
        // For each item: how many inner items it owns, and the projection.
        let mut post: Vec<(usize, Option<Expr>)> = Vec::new();
        // Inner output columns dropped from the result (the constant key of
        // a multi-column `take_any`).
        let mut dropped: Vec<String> = Vec::new();
        let mut hidden: Vec<NamedExpr> = Vec::new();
        for item in aggregates {
            if let Some(pick) = take_any_row(item) {
                if let Some(key) = pick.names.first() {
                    dropped.push(key.name.clone());
                }
                inner.push(pick);
                post.push((1, None));
            } else if self.is_aggregate_call(&item.expr) {
                inner.push(item.clone());
                post.push((1, None));
            } else {
                let before = hidden.len();
                let rewritten = self.extract_aggregates(&item.expr, &mut hidden);
                post.push((hidden.len() - before, Some(rewritten)));
                inner.extend(hidden.iter().skip(before).cloned());
            }
        }
        let (plan, inner_schema) = self.bind_summarize_direct(input, schema, &inner, by, span)?;
        let Plan::Summarize {
            keys,
            aggregates: items,
            ..
        } = plan.as_ref()
        else {
            return Err(self.fail(names::error(codes::INVALID, "summarize did not bind", span)));
        };
        let widths: Vec<usize> = items.iter().map(|i| i.names().len()).collect();
        let mut columns: Vec<(String, BoundExpr)> = (0..keys.len())
            .map(|i| {
                (
                    inner_schema[i].0.clone(),
                    column_ref(&inner_schema, i, span),
                )
            })
            .collect();
        let mut next_item = 0;
        let mut next_col = keys.len();
        let mut unnamed = 0;
        for ((owned, rewritten), item) in post.iter().zip(aggregates) {
            let width: usize = widths.iter().skip(next_item).take(*owned).sum();
            next_item += owned;
            match rewritten {
                None => {
                    for i in next_col..next_col + width {
                        if dropped.contains(&inner_schema[i].0) {
                            continue;
                        }
                        columns.push((
                            inner_schema[i].0.clone(),
                            column_ref(&inner_schema, i, span),
                        ));
                    }
                }
                Some(e) => {
                    let b = self.bind_scalar(e, Some(&inner_schema))?;
                    let name = match item.names.as_slice() {
                        [n] => n.name.clone(),
                        // `tostring(make_set(X))` keeps the aggregate's name.
                        _ => match self
                            .aggregate_default_name(names::without_conversions(&item.expr))
                        {
                            Some(n) => n,
                            None => {
                                unnamed += 1;
                                crate::naming::unnamed_column(unnamed)
                            }
                        },
                    };
                    columns.push((name, b));
                }
            }
            next_col += width;
        }
        let out = columns.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
        Ok((
            Arc::new(Plan::Project {
                input: plan,
                columns,
            }),
            out,
        ))
    }

    /// The default column name of an aggregate call (`make_set(X)` is
    /// `set_X`), if `e` is one.
    fn aggregate_default_name(&self, e: &Expr) -> Option<String> {
        let ExprKind::Call(call) = &e.kind else {
            return None;
        };
        let func = self.registry.aggregate(&call.name.name)?;
        let arg_names: Vec<Option<String>> = call
            .args
            .iter()
            .filter(|a| !matches!(a.kind, ExprKind::Star))
            .map(|a| names::aggregate_arg_name(a).or_else(|| names::number_text(a)))
            .collect();
        let refs: Vec<Option<&str>> = arg_names.iter().map(Option::as_deref).collect();
        Some(func.default_name(&refs))
    }

    fn bind_summarize_direct(
        &mut self,
        input: Arc<Plan>,
        schema: &Schema,
        aggregates: &[NamedExpr],
        by: &[NamedExpr],
        span: Span,
    ) -> BResult<Bound> {
        let mut keys: Vec<(String, BoundExpr)> = Vec::new();
        let mut unnamed = 0;
        for item in by {
            let b = self.bind_scalar(&item.expr, Some(schema))?;
            let name = match item.names.as_slice() {
                [n] => n.name.clone(),
                [] => names::key_name(&item.expr).unwrap_or_else(|| {
                    unnamed += 1;
                    crate::naming::unnamed_column(unnamed)
                }),
                _ => {
                    return Err(
                        self.not_supported("several output names for one group key", item.span)
                    )
                }
            };
            keys.push((name, b));
        }
        let mut items: Vec<SummarizeItem> = Vec::new();
        for item in aggregates {
            let ExprKind::Call(call) = &item.expr.kind else {
                return Err(self.not_supported(
                    "an expression that is not a single aggregate call in `summarize`",
                    item.expr.span,
                ));
            };
            let fname = call.name.name.as_str();
            if matches!(fname, "arg_max" | "arg_min") {
                items.push(self.bind_pick(fname == "arg_max", call, item, schema, &keys)?);
                continue;
            }
            let Some(func) = self.registry.aggregate(fname).cloned() else {
                let cands: Vec<String> = self
                    .registry
                    .aggregate_names()
                    .map(str::to_string)
                    .collect();
                let d = names::error(
                    codes::UNKNOWN_FUNCTION,
                    format!("unknown aggregate function `{fname}`"),
                    call.name.span,
                );
                return Err(self.fail(names::suggest(d, fname, cands.iter().map(String::as_str))));
            };
            let mut args = Vec::new();
            let mut arg_names: Vec<Option<String>> = Vec::new();
            for a in &call.args {
                if let ExprKind::Star = a.kind {
                    if fname == "count" {
                        continue;
                    }
                    return Err(
                        self.not_supported(&format!("`*` as an argument of `{fname}`"), a.span)
                    );
                }
                args.push(self.bind_scalar(a, Some(schema))?);
                arg_names.push(names::aggregate_arg_name(a).or_else(|| names::number_text(a)));
            }
            let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
            if let Err(err) = func.return_type(&types) {
                return Err(self.fail(function_diag(fname, &err, item.expr.span)));
            }
            let constants = args.iter().map(|a| a.as_literal().cloned()).collect();
            let refs: Vec<Option<&str>> = arg_names.iter().map(Option::as_deref).collect();
            let name = match item.names.as_slice() {
                [n] => n.name.clone(),
                [] => func.default_name(&refs),
                _ => {
                    return Err(
                        self.not_supported("several output names for one aggregate", item.span)
                    )
                }
            };
            items.push(SummarizeItem::Aggregate(
                name,
                Aggregate {
                    func,
                    args,
                    constants,
                },
            ));
        }
        // Group keys come first; later clashing names get 1, 2, ... suffixes.
        let mut taken: Vec<String> = Vec::new();
        let mut uniquify = |n: &mut String| {
            let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
            let unique = names::unique_name(n, &refs);
            *n = unique.clone();
            taken.push(unique);
        };
        for (n, _) in keys.iter_mut() {
            uniquify(n);
        }
        for item in items.iter_mut() {
            match item {
                SummarizeItem::Aggregate(n, _) => uniquify(n),
                SummarizeItem::Pick { key, columns, .. } => {
                    uniquify(&mut key.0);
                    columns.iter_mut().for_each(|(n, _)| uniquify(n));
                }
            }
        }
        let mut out: Schema = keys.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
        for item in &items {
            match item {
                SummarizeItem::Aggregate(n, a) => {
                    let types: Vec<DataType> = a.args.iter().map(|x| x.ty).collect();
                    let ty = a
                        .func
                        .return_type(&types)
                        .map_err(|err| self.fail(function_diag(a.func.name(), &err, span)))?;
                    out.push((n.clone(), ty));
                }
                SummarizeItem::Pick { key, columns, .. } => {
                    out.push((key.0.clone(), key.1.ty));
                    out.extend(columns.iter().map(|(n, b)| (n.clone(), b.ty)));
                }
            }
        }
        Ok((
            Arc::new(Plan::Summarize {
                input,
                keys,
                aggregates: items,
            }),
            out,
        ))
    }

    /// `arg_max(key, *)` / `arg_max(key, a, b)`: `*` stands for every input
    /// column except the group keys and the compared column.
    fn bind_pick(
        &mut self,
        max: bool,
        call: &ast::Call,
        item: &NamedExpr,
        schema: &Schema,
        keys: &[(String, BoundExpr)],
    ) -> BResult<SummarizeItem> {
        let fname = call.name.name.as_str();
        let Some((first, rest)) = call.args.split_first() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                format!("`{fname}` expects at least 1 argument"),
                item.expr.span,
            )));
        };
        let key = self.bind_scalar(first, Some(schema))?;
        let prefix = if max { "max_" } else { "min_" };
        // `(a, b, c) = arg_max(x, y, z)` names the outputs in order; outputs
        // past the names keep their default names.
        let key_name = match item.names.first() {
            Some(n) => n.name.clone(),
            None => names::derived_name(first).unwrap_or_else(|| prefix.to_string()),
        };
        let key_column = match key.kind {
            BoundExprKind::Column(i) => Some(i),
            _ => None,
        };
        let mut columns = Vec::new();
        for a in rest {
            if let ExprKind::Star = a.kind {
                for (i, (n, _)) in schema.iter().enumerate() {
                    let is_group_key = keys
                        .iter()
                        .any(|(_, k)| matches!(k.kind, BoundExprKind::Column(j) if j == i));
                    if Some(i) == key_column || is_group_key {
                        continue;
                    }
                    columns.push((n.clone(), column_ref(schema, i, a.span)));
                }
                continue;
            }
            let b = self.bind_scalar(a, Some(schema))?;
            let name = match item.names.get(columns.len() + 1) {
                Some(n) => n.name.clone(),
                None => names::derived_name(a)
                    .unwrap_or_else(|| format!("{prefix}{}", columns.len() + 1)),
            };
            columns.push((name, b));
        }
        if item.names.len() > columns.len() + 1 {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "{} names given for the {} outputs of `{fname}`",
                    item.names.len(),
                    columns.len() + 1
                ),
                item.span,
            )));
        }
        Ok(SummarizeItem::Pick {
            max,
            key: (key_name, key),
            columns,
        })
    }

    /// The column pairs of a join-style `on` clause, each with its
    /// condition's span: `on a, b` (the same name on both sides) and
    /// `on $left.a == $right.b`, conditions also joined with `and`.
    pub(crate) fn key_pairs(
        &mut self,
        on: &[Expr],
        what: &str,
    ) -> BResult<Vec<(ast::Ident, ast::Ident, Span)>> {
        fn flatten<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
            match &e.kind {
                ExprKind::Binary {
                    op: BinaryOp::And,
                    left,
                    right,
                } => {
                    flatten(left, out);
                    flatten(right, out);
                }
                ExprKind::Paren(inner) => flatten(inner, out),
                _ => out.push(e),
            }
        }
        let mut conditions = Vec::new();
        on.iter().for_each(|c| flatten(c, &mut conditions));
        let mut pairs = Vec::with_capacity(conditions.len());
        for cond in conditions {
            let (l, r) = match &cond.kind {
                ExprKind::Name(id) => (id.clone(), id.clone()),
                ExprKind::Binary {
                    op: BinaryOp::Eq,
                    left: a,
                    right: b,
                } => match (side_column(a), side_column(b)) {
                    (Some((ast::JoinSide::Left, l)), Some((ast::JoinSide::Right, r)))
                    | (Some((ast::JoinSide::Right, r)), Some((ast::JoinSide::Left, l))) => (l, r),
                    _ => {
                        return Err(self.not_supported(
                            &format!("this {what} condition (use `$left.a == $right.b`)"),
                            cond.span,
                        ))
                    }
                },
                _ => {
                    return Err(self.not_supported(
                        &format!("this {what} condition (use `$left.a == $right.b`)"),
                        cond.span,
                    ))
                }
            };
            pairs.push((l, r, cond.span));
        }
        Ok(pairs)
    }

    #[allow(clippy::too_many_arguments)]
    fn bind_join(
        &mut self,
        left: Arc<Plan>,
        left_schema: Schema,
        params: &[ast::OperatorParam],
        right: &Expr,
        on: &[Expr],
        lookup: bool,
        span: Span,
    ) -> BResult<Bound> {
        let mut kind = if lookup {
            JoinKind::LeftOuter
        } else {
            JoinKind::InnerUnique
        };
        for p in params {
            if p.name.name == "kind" {
                let text = param_text(&p.value).unwrap_or_default();
                kind = match JoinKind::from_name(&text) {
                    Some(k) if !lookup || matches!(k, JoinKind::LeftOuter | JoinKind::Inner) => k,
                    _ => {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            format!(
                                "unknown {} kind `{text}`",
                                if lookup { "lookup" } else { "join" }
                            ),
                            p.span,
                        )))
                    }
                };
            } else if !p.name.name.starts_with("hint.") {
                return Err(
                    self.not_supported(&format!("join parameter `{}`", p.name.name), p.span)
                );
            }
        }
        let (right_plan, right_schema) = self.bind_tabular(right)?;
        let mut left_keys = Vec::new();
        let mut right_keys = Vec::new();
        for (l, r, cond) in self.key_pairs(on, "join")? {
            let Some(li) = left_schema.iter().position(|(n, _)| *n == l.name) else {
                return Err(self.unknown_column(&l.name, l.span, &left_schema));
            };
            let Some(ri) = right_schema.iter().position(|(n, _)| *n == r.name) else {
                return Err(self.unknown_column(&r.name, r.span, &right_schema));
            };
            let (lt, rt) = (left_schema[li].1, right_schema[ri].1);
            if lt != rt {
                return Err(self.fail(names::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "join keys `{}` ({lt}) and `{}` ({rt}) have different types",
                        l.name, r.name
                    ),
                    cond,
                )));
            }
            left_keys.push(li);
            right_keys.push(ri);
        }
        if left_keys.is_empty() {
            return Err(self.fail(names::error(
                codes::INVALID,
                "a join needs at least one key",
                span,
            )));
        }
        let mut output = Vec::new();
        let mut out: Schema = Vec::new();
        let left_cols = !matches!(kind, JoinKind::RightAnti | JoinKind::RightSemi);
        let right_cols = !matches!(kind, JoinKind::LeftAnti | JoinKind::LeftSemi);
        if left_cols {
            for (i, (n, t)) in left_schema.iter().enumerate() {
                output.push(JoinSide::Left(i));
                out.push((n.clone(), *t));
            }
        }
        if right_cols {
            for (i, (n, t)) in right_schema.iter().enumerate() {
                // lookup keeps one copy of same-named key columns.
                if lookup
                    && right_keys
                        .iter()
                        .zip(&left_keys)
                        .any(|(&r, &l)| r == i && left_schema.get(l).map(|c| &c.0) == Some(n))
                {
                    continue;
                }
                let refs: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
                let name = names::unique_name(n, &refs);
                output.push(JoinSide::Right(i));
                out.push((name, *t));
            }
        }
        Ok((
            Arc::new(Plan::Join {
                left,
                right: right_plan,
                kind,
                left_keys,
                right_keys,
                output,
                span,
            }),
            out,
        ))
    }

    fn bind_make_series(
        &mut self,
        input: Arc<Plan>,
        schema: &Schema,
        ms: &ast::MakeSeries,
        span: Span,
    ) -> BResult<Bound> {
        let mut options = super::plan::SeriesOptions {
            nonempty: false,
            in_range: ms.in_range,
        };
        for p in &ms.params {
            match (p.name.name.as_str(), param_text(&p.value).as_deref()) {
                ("kind", Some("nonempty")) => options.nonempty = true,
                // Hints change how a cluster spreads the work, not the result.
                (name, _) if name.starts_with("hint.") => {}
                _ => {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!("unknown make-series parameter `{}`", p.name.name),
                            p.span,
                        ),
                        "make-series takes `kind=nonempty` and `hint.shufflekey=...`",
                    )))
                }
            }
        }
        let axis = self.bind_scalar(&ms.on, Some(schema))?;
        if !matches!(
            axis.ty,
            DataType::DateTime | DataType::TimeSpan | DataType::Long | DataType::Int
        ) {
            return Err(self.not_supported(
                &format!("a make-series axis of type {}", axis.ty),
                ms.on.span,
            ));
        }
        let axis_name =
            names::derived_name(&ms.on).unwrap_or_else(|| crate::naming::unnamed_column(1));
        let step = self.bind_scalar(&ms.step, None)?;
        let from = match &ms.from {
            Some(e) => Some(self.bind_scalar(e, None)?),
            None => None,
        };
        let to = match &ms.to {
            Some(e) => Some(self.bind_scalar(e, None)?),
            None => None,
        };
        // Group keys and aggregates bind exactly as in `summarize`.
        // A non-aggregate item (`other = -1 default = -2`) is its value in
        // every bin that has rows: `take_any(expr)`.
        let named: Vec<NamedExpr> = ms
            .aggregates
            .iter()
            .map(|(a, _)| {
                if self.is_aggregate_call(&a.expr) {
                    return a.clone();
                }
                let mut item = a.clone();
                item.expr = Expr {
                    kind: ExprKind::Call(ast::Call {
                        name: ast::Ident {
                            name: "take_any".to_string(),
                            span: a.expr.span,
                        },
                        args: vec![a.expr.clone()],
                        named: Vec::new(),
                    }),
                    span: a.expr.span,
                };
                item
            })
            .collect();
        let (plan, sum_schema) =
            self.bind_summarize_direct(input.clone(), schema, &named, &ms.by, span)?;
        let Plan::Summarize {
            keys, aggregates, ..
        } = plan.as_ref()
        else {
            return Err(self.fail(names::error(
                codes::INVALID,
                "make-series did not bind",
                span,
            )));
        };
        let mut aggs = Vec::new();
        for (item, (_, default)) in aggregates.iter().zip(&ms.aggregates) {
            let SummarizeItem::Aggregate(name, agg) = item else {
                return Err(self.not_supported("arg_max / arg_min in make-series", span));
            };
            let default = match default {
                Some(e) => match self.bind_scalar(e, None)?.as_literal() {
                    Some(v) => v.clone(),
                    None => {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "a make-series default must be a constant",
                            e.span,
                        )))
                    }
                },
                None => Value::Long(0),
            };
            // A number fills the series as the aggregate's type (`0.0` in
            // an `avg` series).
            let agg_type = sum_schema.get(keys.len() + aggs.len()).map(|c| c.1);
            let default = match (agg_type, &default) {
                (
                    Some(t @ (DataType::Real | DataType::Long | DataType::Int | DataType::Decimal)),
                    Value::Int(_) | Value::Long(_) | Value::Real(_) | Value::Decimal(_),
                ) => match kernels::convert_value(&default, t) {
                    Value::Null => default,
                    v => v,
                },
                _ => default,
            };
            aggs.push((name.clone(), agg.clone(), default));
        }
        let mut out: Schema = sum_schema.iter().take(keys.len()).cloned().collect();
        out.extend(aggs.iter().map(|(n, _, _)| (n.clone(), DataType::Dynamic)));
        out.push((axis_name.clone(), DataType::Dynamic));
        Ok((
            Arc::new(Plan::MakeSeries {
                input,
                keys: keys.clone(),
                aggregates: aggs,
                axis: (axis_name, axis),
                from,
                to,
                step,
                options,
            }),
            out,
        ))
    }

    fn bind_parse(
        &mut self,
        input: Arc<Plan>,
        schema: Schema,
        params: &[ast::OperatorParam],
        expr: &Expr,
        pattern: &[ast::ParsePart],
        drop_unmatched: bool,
    ) -> BResult<Bound> {
        let mut kind = "simple".to_string();
        let mut flags = String::new();
        for p in params {
            match (p.name.name.as_str(), param_text(&p.value)) {
                ("kind", Some(k)) if matches!(k.as_str(), "simple" | "regex" | "relaxed") => {
                    kind = k
                }
                ("flags", Some(f)) => flags = f,
                _ => {
                    return Err(
                        self.not_supported(&format!("parse parameter `{}`", p.name.name), p.span)
                    )
                }
            }
        }
        let text = self.bind_scalar(expr, Some(&schema))?;
        let last_column = pattern
            .iter()
            .rposition(|p| matches!(p, ast::ParsePart::Column { .. }));
        let mut re = String::from(r"\A");
        if !flags.is_empty() {
            if !flags.chars().all(|c| matches!(c, 'i' | 'm' | 's' | 'U')) {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("unknown regex flags `{flags}`"),
                    expr.span,
                )));
            }
            re = format!("(?{flags}){re}");
        }
        let mut columns: Vec<(String, DataType)> = Vec::new();
        for (i, part) in pattern.iter().enumerate() {
            match part {
                ast::ParsePart::Star if kind == "regex" => re.push_str(".*"),
                ast::ParsePart::Star => re.push_str(".*?"),
                ast::ParsePart::Text(t) if kind == "regex" => re.push_str(t),
                ast::ParsePart::Text(t) => re.push_str(&regex::escape(t)),
                ast::ParsePart::Column { name, ty } => {
                    let ty = ty.map_or(DataType::String, DataType::from);
                    // A trailing column takes the rest of the text.
                    let last = Some(i) == last_column && i + 1 == pattern.len();
                    re.push_str(&capture_for(columns.len(), ty, &kind, last));
                    columns.push((name.name.clone(), ty));
                }
            }
        }
        let compiled = match regex::Regex::new(&crate::kernels::strings::re2_syntax(&re)) {
            Ok(r) => r,
            Err(e) => {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("invalid parse pattern: {e}"),
                    expr.span,
                )))
            }
        };
        let mut out = schema;
        for (n, t) in &columns {
            match out.iter_mut().find(|(o, _)| o == n) {
                Some(slot) => slot.1 = *t,
                None => out.push((n.clone(), *t)),
            }
        }
        Ok((
            Arc::new(Plan::Parse {
                input,
                expr: text,
                pattern: Arc::new(compiled),
                columns,
                relaxed: kind == "relaxed",
                drop_unmatched,
            }),
            out,
        ))
    }

    fn bind_mv_expand(
        &mut self,
        input: Arc<Plan>,
        schema: Schema,
        params: &[ast::OperatorParam],
        items: &[ast::ExpandItem],
        limit: Option<&Expr>,
        span: Span,
    ) -> BResult<Bound> {
        let mut bag = BagExpansion::Bag;
        let mut item_index = None;
        for p in params {
            match (p.name.name.as_str(), param_text(&p.value).as_deref()) {
                ("bagexpansion" | "kind", Some("bag")) => bag = BagExpansion::Bag,
                ("bagexpansion" | "kind", Some("array")) => bag = BagExpansion::Array,
                ("with_itemindex", Some(n)) => item_index = Some(n.to_string()),
                _ => {
                    return Err(self
                        .not_supported(&format!("mv-expand parameter `{}`", p.name.name), p.span))
                }
            }
        }
        // Named or computed items are first added as columns, as Kusto does.
        let mut plan = input;
        let mut schema = schema;
        let mut columns = Vec::new();
        for item in items {
            let idx = match (&item.expr.names.as_slice(), &item.expr.expr.kind) {
                ([], ExprKind::Name(id)) => match schema.iter().position(|(n, _)| *n == id.name) {
                    Some(i) => i,
                    None => return Err(self.unknown_column(&id.name, id.span, &schema)),
                },
                _ => {
                    // `mv-expand todynamic(X)` (or `parse_json(X)`, a
                    // conversion of a column) expands into `X` itself.
                    let mut named = item.expr.clone();
                    if named.names.is_empty() {
                        let inner = names::without_conversions(&named.expr);
                        if !std::ptr::eq(inner, &named.expr) {
                            if let ExprKind::Name(id) = &inner.kind {
                                named.names = vec![id.clone()];
                            }
                        }
                    }
                    let extend = Operator {
                        kind: OperatorKind::Extend(vec![named.clone()]),
                        span: item.expr.span,
                    };
                    let (p, s) = self.bind_operator(&extend, plan, schema)?;
                    plan = p;
                    schema = s;
                    let name = match named.names.as_slice() {
                        [n] => n.name.clone(),
                        _ => names::derived_name(&named.expr)
                            .unwrap_or_else(|| crate::naming::unnamed_column(1)),
                    };
                    schema
                        .iter()
                        .position(|(n, _)| *n == name)
                        .unwrap_or(schema.len().saturating_sub(1))
                }
            };
            if !matches!(schema.get(idx), Some((_, DataType::Dynamic))) {
                return Err(self.fail(names::error(
                    codes::TYPE_MISMATCH,
                    "`mv-expand` needs a dynamic column",
                    item.expr.span,
                )));
            }
            let to = item.to_type.map(DataType::from);
            if let Some(slot) = schema.get_mut(idx) {
                slot.1 = to.unwrap_or(DataType::Dynamic);
            }
            columns.push((idx, to));
        }
        let limit = match limit {
            Some(e) => Some(usize::try_from(self.const_long(e, "mv-expand limit")?).unwrap_or(0)),
            None => None,
        };
        if let Some(n) = &item_index {
            schema.push((n.clone(), DataType::Long));
        }
        let _ = span;
        Ok((
            Arc::new(Plan::MvExpand {
                input: plan,
                columns,
                bag,
                item_index,
                limit,
            }),
            schema,
        ))
    }
}

/// The regex fragment capturing column `i` of type `ty`. Groups are named
/// so that groups inside user regex fragments do not shift the numbering.
fn capture_for(i: usize, ty: DataType, kind: &str, last: bool) -> String {
    let number = match ty {
        DataType::Int | DataType::Long => Some(r"-?\d+"),
        DataType::Real => Some(r"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"),
        _ => None,
    };
    let body = match (number, kind) {
        // Relaxed: a value that is not a number still ends at the next
        // delimiter, and becomes null.
        (Some(n), "relaxed") => format!("{n}|.*?"),
        (Some(n), _) => n.to_string(),
        // Kusto's regex mode is greedy unless `flags=U`.
        (None, "regex") => ".*".to_string(),
        (None, _) if last => ".*".to_string(),
        (None, _) => ".*?".to_string(),
    };
    format!("(?P<c{i}>{body})")
}

/// Kusto evaluates a filter on left-side columns before an `innerunique`
/// join de-duplicates the left keys, so which duplicate survives depends on
/// the filter; do the same by filtering the left input.
fn push_filter_into_join(input: Arc<Plan>, predicate: BoundExpr) -> Arc<Plan> {
    if let Plan::Join {
        left,
        right,
        kind: JoinKind::InnerUnique,
        left_keys,
        right_keys,
        output,
        span,
    } = input.as_ref()
    {
        let to_left = |i: usize| match output.get(i) {
            Some(JoinSide::Left(j)) => Some(*j),
            _ => None,
        };
        if let Some(p) = predicate.remap_columns(&to_left) {
            return Arc::new(Plan::Join {
                left: Arc::new(Plan::Filter {
                    input: left.clone(),
                    predicate: p,
                }),
                right: right.clone(),
                kind: JoinKind::InnerUnique,
                left_keys: left_keys.clone(),
                right_keys: right_keys.clone(),
                output: output.clone(),
                span: *span,
            });
        }
    }
    Arc::new(Plan::Filter { input, predicate })
}

fn side_column(e: &Expr) -> Option<(ast::JoinSide, ast::Ident)> {
    match &e.kind {
        ExprKind::Member { target, member } => match target.kind {
            ExprKind::JoinSide(side) => Some((side, member.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// The .NET type name `getschema` reports.
fn dotnet_type(t: DataType) -> &'static str {
    match t {
        DataType::Bool => "System.Boolean",
        DataType::Int => "System.Int32",
        DataType::Long => "System.Int64",
        DataType::Real => "System.Double",
        DataType::Decimal => "System.Data.SqlTypes.SqlDecimal",
        DataType::String => "System.String",
        DataType::DateTime => "System.DateTime",
        DataType::TimeSpan => "System.TimeSpan",
        DataType::Guid => "System.Guid",
        DataType::Dynamic => "System.Object",
    }
}

/// A name expression.
pub(crate) fn name_expr(name: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Name(ast::Ident {
            name: name.to_string(),
            span,
        }),
        span,
    }
}

/// A string literal expression.
pub(crate) fn string_expr(s: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal(ast::Literal::String(s.to_string())),
        span,
    }
}

/// `input | op` (one more stage when `input` is a pipeline).
pub(crate) fn pipe(input: Expr, kind: OperatorKind, span: Span) -> Expr {
    let op = Operator { kind, span };
    match input.kind {
        ExprKind::Pipe { input, mut ops } => {
            ops.push(op);
            Expr {
                kind: ExprKind::Pipe { input, ops },
                span,
            }
        }
        kind => Expr {
            kind: ExprKind::Pipe {
                input: Box::new(Expr {
                    kind,
                    span: input.span,
                }),
                ops: vec![op],
            },
            span,
        },
    }
}

/// The names `e` reads as columns (or pattern variables), each once, in
/// order of first appearance.
pub(crate) fn names_in(e: &Expr, out: &mut Vec<String>) {
    match &e.kind {
        ExprKind::Name(id) if !out.contains(&id.name) => out.push(id.name.clone()),
        ExprKind::Member { target, .. } => names_in(target, out),
        ExprKind::Index { target, index } => {
            names_in(target, out);
            names_in(index, out);
        }
        ExprKind::Call(c) => {
            c.args.iter().for_each(|a| names_in(a, out));
            c.named.iter().for_each(|(_, a)| names_in(a, out));
        }
        ExprKind::Unary { operand, .. } => names_in(operand, out),
        ExprKind::Binary { left, right, .. } => {
            names_in(left, out);
            names_in(right, out);
        }
        ExprKind::List { expr, list, .. } => {
            names_in(expr, out);
            list.iter().for_each(|a| names_in(a, out));
        }
        ExprKind::Between {
            expr, low, high, ..
        } => {
            names_in(expr, out);
            names_in(low, out);
            names_in(high, out);
        }
        ExprKind::Paren(inner) => names_in(inner, out),
        _ => {}
    }
}

/// A string option of `with (...)` / a plugin: its constant text.
fn option_text(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Literal(ast::Literal::String(s)) => Some(s.clone()),
        ExprKind::Literal(ast::Literal::Bool(Some(b))) => Some(b.to_string()),
        ExprKind::Name(id) => Some(id.name.clone()),
        ExprKind::Paren(inner) => option_text(inner),
        _ => None,
    }
}

impl Binder<'_> {
    /// `externaldata (schema) [uris] with (format=..., ignoreFirstRecord=...)`:
    /// the declared schema; rows come from data supplied per URI at run time.
    fn bind_externaldata(
        &mut self,
        columns: &[ast::ColumnDecl],
        uris: &[Expr],
        with: &[ast::OperatorParam],
        span: Span,
    ) -> BResult<Bound> {
        let mut schema: Schema = Vec::with_capacity(columns.len());
        for c in columns {
            if schema.iter().any(|(n, _)| *n == c.name.name) {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("`externaldata` declares column `{}` twice", c.name.name),
                    c.span,
                )));
            }
            schema.push((c.name.name.clone(), DataType::from(c.ty)));
        }
        if schema.is_empty() {
            return Err(self.fail(names::error(
                codes::INVALID,
                "`externaldata` needs at least one column",
                span,
            )));
        }
        let mut texts = Vec::with_capacity(uris.len());
        for u in uris {
            let b = self.bind_scalar(u, None)?;
            match b.as_literal() {
                Some(Value::String(s)) => texts.push(s.to_string()),
                _ => {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        "an `externaldata` URI must be a constant string",
                        u.span,
                    )))
                }
            }
        }
        let mut format = None;
        let mut ignore_first_record = false;
        for p in with {
            let value = option_text(&p.value);
            match (p.name.name.to_ascii_lowercase().as_str(), value) {
                ("format", Some(f)) => format = Some(f.to_ascii_lowercase()),
                ("ignorefirstrecord", Some(v)) => {
                    ignore_first_record = v.eq_ignore_ascii_case("true")
                }
                // Mappings and compression hints do not change how the
                // declared columns bind.
                ("ingestionmapping" | "ingestionmappingreference" | "zippattern", Some(_)) => {}
                _ => {
                    return Err(self.fail(names::error(
                        codes::NOT_SUPPORTED,
                        format!("not supported: `externaldata` property `{}`", p.name.name),
                        p.span,
                    )))
                }
            }
        }
        let spec = super::plan::ExternalSpec {
            uris: texts,
            columns: schema.clone(),
            format,
            ignore_first_record,
            span,
        };
        Ok((Arc::new(Plan::ExternalData(Arc::new(spec))), schema))
    }

    /// `parse-kv expr as (k: type, ...) with (...)`.
    fn bind_parse_kv(
        &mut self,
        expr: &Expr,
        columns: &[ast::ColumnDecl],
        with: &[ast::OperatorParam],
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let text = self.bind_scalar(expr, Some(&schema))?;
        let mut pair_delimiter = String::new();
        let mut kv_delimiter = String::new();
        let mut quotes = Vec::new();
        let mut escapes = Vec::new();
        let mut greedy = false;
        let mut regex = None;
        for p in with {
            let Some(v) = option_text(&p.value) else {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("`parse-kv` option `{}` needs a constant", p.name.name),
                    p.value.span,
                )));
            };
            match p.name.name.as_str() {
                "pair_delimiter" => pair_delimiter = v,
                "kv_delimiter" => kv_delimiter = v,
                "quote" => match v.chars().count() {
                    1 | 2 => {
                        let mut cs: Vec<char> = v.chars().collect();
                        if cs.len() == 1 {
                            cs.extend(cs.clone());
                        }
                        quotes.extend(cs);
                    }
                    _ => {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "`quote` is one character, or an opening and a closing one",
                            p.value.span,
                        )))
                    }
                },
                "escape" => match v.chars().next() {
                    Some(c) if v.chars().count() == 1 => escapes.push(c),
                    _ => {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "`escape` is one character",
                            p.value.span,
                        )))
                    }
                },
                "greedy" => greedy = v == "true",
                "regex" => {
                    match regex::Regex::new(&crate::kernels::strings::re2_syntax(&v)) {
                        Ok(r) if r.captures_len() == 3 => regex = Some(Arc::new(r)),
                        Ok(_) => return Err(self.fail(names::error(
                            codes::INVALID,
                            "the `parse-kv` regex needs exactly two groups: the key and the value",
                            p.value.span,
                        ))),
                        Err(e) => {
                            return Err(self.fail(names::error(
                                codes::INVALID,
                                format!("invalid regex: {e}"),
                                p.value.span,
                            )))
                        }
                    }
                }
                other => {
                    return Err(self.fail(names::error(
                        codes::NOT_SUPPORTED,
                        format!("not supported: `parse-kv` option `{other}`"),
                        p.span,
                    )))
                }
            }
        }
        if pair_delimiter.is_empty() != kv_delimiter.is_empty() {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::INVALID,
                    "`parse-kv` needs both `pair_delimiter` and `kv_delimiter`, or neither",
                    span,
                ),
                "give both, or leave both out to split at any character that is not a letter or digit",
            )));
        }
        let mode = match regex {
            Some(r) => super::plan::ParseKvMode::Regex(r),
            None => super::plan::ParseKvMode::Delimited {
                pair_delimiter,
                kv_delimiter,
                quotes,
                escapes,
                greedy,
            },
        };
        let cols: Schema = columns
            .iter()
            .map(|c| (c.name.name.clone(), DataType::from(c.ty)))
            .collect();
        let mut out = schema;
        for (name, ty) in &cols {
            match out.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = *ty,
                None => out.push((name.clone(), *ty)),
            }
        }
        let spec = super::plan::ParseKvSpec {
            columns: cols,
            mode,
        };
        Ok((
            Arc::new(Plan::ParseKv {
                input,
                expr: text,
                spec: Arc::new(spec),
            }),
            out,
        ))
    }

    /// `evaluate pivot(column [, agg [, key, ...]]) [: (schema)]`: a
    /// `summarize agg by keys, column` reshaped so each value of `column`
    /// is a column.
    fn bind_pivot(
        &mut self,
        call: &ast::Call,
        declared: Option<&[ast::ColumnDecl]>,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let Some(pivot) = call.args.first() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`pivot` needs the column to pivot",
                call.name.span,
            )));
        };
        let ExprKind::Name(pivot_id) = &pivot.kind else {
            return Err(self.fail(names::error(
                codes::INVALID,
                "`pivot` pivots a column: pass its name",
                pivot.span,
            )));
        };
        if !schema.iter().any(|(n, _)| *n == pivot_id.name) {
            return Err(self.unknown_column(&pivot_id.name, pivot_id.span, &schema));
        }
        let count = Expr {
            kind: ExprKind::Call(ast::Call {
                name: ast::Ident {
                    name: "count".into(),
                    span,
                },
                args: Vec::new(),
                named: Vec::new(),
            }),
            span,
        };
        let agg = call.args.get(1).cloned().unwrap_or(count);
        let mut keys: Vec<Expr> = call.args.iter().skip(2).cloned().collect();
        if keys.is_empty() {
            // Every column but the pivoted one and those the aggregate reads.
            let mut read = Vec::new();
            names_in(&agg, &mut read);
            keys = schema
                .iter()
                .filter(|(n, _)| *n != pivot_id.name && !read.contains(n))
                .map(|(n, _)| name_expr(n, span))
                .collect();
        }
        const VALUE: &str = "__pivot_value";
        const AGG: &str = "__pivot_agg";
        let mut by: Vec<NamedExpr> = keys
            .into_iter()
            .map(|k| NamedExpr {
                names: Vec::new(),
                span: k.span,
                expr: k,
            })
            .collect();
        let key_count = by.len();
        by.push(NamedExpr {
            names: vec![ast::Ident {
                name: VALUE.into(),
                span,
            }],
            expr: Expr {
                kind: ExprKind::Call(ast::Call {
                    name: ast::Ident {
                        name: "tostring".into(),
                        span,
                    },
                    args: vec![pivot.clone()],
                    named: Vec::new(),
                }),
                span: pivot.span,
            },
            span: pivot.span,
        });
        let summarize = Operator {
            kind: OperatorKind::Summarize {
                params: Vec::new(),
                aggregates: vec![NamedExpr {
                    names: vec![ast::Ident {
                        name: AGG.into(),
                        span,
                    }],
                    span: agg.span,
                    expr: agg.clone(),
                }],
                by,
            },
            span,
        };
        let (summary, summary_schema) = self.bind_operator(&summarize, input, schema)?;
        let agg_name = match &agg.kind {
            ExprKind::Call(c) => c.name.name.as_str(),
            _ => "",
        };
        let fill = match self
            .registry
            .aggregate(agg_name)
            .map(|a| a.properties().fill)
        {
            Some(Fill::Zero) => Value::Long(0),
            Some(Fill::Null) | None => Value::Null,
        };
        let keys_schema: Schema = summary_schema.iter().take(key_count).cloned().collect();
        let declared: Option<Schema> = declared.map(|cols| {
            cols.iter()
                .map(|c| (c.name.name.clone(), DataType::from(c.ty)))
                .collect()
        });
        let out = match &declared {
            Some(d) => d.clone(),
            None => {
                self.open_schemas.push(keys_schema.clone());
                keys_schema
            }
        };
        Ok((
            Arc::new(Plan::Pivot {
                input: summary,
                keys: key_count,
                fill,
                declared,
                span,
            }),
            out,
        ))
    }
}

impl Binder<'_> {
    /// The catalog's tables whose names match the wildcard `pattern`, and
    /// how many of them are known only by schema (have no data).
    pub(crate) fn tables_matching(&self, pattern: &str) -> (Vec<String>, usize) {
        let matched: Vec<String> = self
            .catalog
            .known_names()
            .into_iter()
            .filter(|n| wildcard_match(pattern, n) && self.catalog.get(n).is_some())
            .map(str::to_string)
            .collect();
        let schema_only = matched
            .iter()
            .filter(|n| self.catalog.data(n).is_none())
            .count();
        (matched, schema_only)
    }
}

/// How many tables known only by schema a wildcard (`union *`) binds one
/// by one before it stands for any table instead.
pub(crate) const MAX_TABLES_BOUND_BY_WILDCARD: usize = 64;

/// Whether an operator's output has exactly its input's columns (filters,
/// sorts, `take`, `as`, `render`).
fn passes_columns_through(kind: &OperatorKind) -> bool {
    matches!(
        kind,
        OperatorKind::Where(_)
            | OperatorKind::Sort { .. }
            | OperatorKind::Take(_)
            | OperatorKind::Top { .. }
            | OperatorKind::As { .. }
            | OperatorKind::Render { .. }
    )
}

/// Whether an operator's output holds every input column (perhaps renamed,
/// reordered or with columns added), so that after an input whose columns
/// are known only when the query runs (`evaluate pivot`, `bag_unpack`), the
/// output's are too: a later `where`, `project` or `extend` may name a
/// column the data brings.
pub(crate) fn keeps_input_columns(kind: &OperatorKind) -> bool {
    passes_columns_through(kind)
        || matches!(
            kind,
            OperatorKind::Extend(_)
                | OperatorKind::Serialize(_)
                | OperatorKind::Parse { .. }
                | OperatorKind::ParseWhere { .. }
                | OperatorKind::ParseKv { .. }
                | OperatorKind::MvExpand { .. }
                | OperatorKind::MvApply { .. }
                | OperatorKind::ProjectRename(_)
                | OperatorKind::ProjectReorder(_)
                | OperatorKind::Sample(_)
                | OperatorKind::Lookup { .. }
        )
}

/// Whether an operator can add or rename columns, so that after it fails
/// a later unknown name may be one it would have defined: not one that
/// passes its columns through or only drops some.
pub(crate) fn defines_columns(kind: &OperatorKind) -> bool {
    !passes_columns_through(kind) && !matches!(kind, OperatorKind::ProjectAway(_))
}

/// Whether a trial binding failed only because tables do not exist.
fn only_unknown_tables(found: &[kqlite_parser::diagnostic::Diagnostic]) -> bool {
    let mut errors = found.iter().filter(|d| d.is_error()).peekable();
    errors.peek().is_some() && errors.all(|d| d.code == codes::UNKNOWN_TABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_prefixes_suffixes_and_infixes() {
        assert!(wildcard_match("Is*", "IsLegacyAuth"));
        assert!(wildcard_match("*Auth", "IsLegacyAuth"));
        assert!(wildcard_match("Is*Auth", "IsLegacyAuth"));
        assert!(!wildcard_match("Is*", "City"));
        assert!(wildcard_match("City", "City"));
    }
}
