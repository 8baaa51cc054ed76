//! [`Script::without_spans`]: the same tree with every span zeroed, for
//! comparing shapes (printer round trips, tests).

use crate::ast::*;
use crate::span::Span;

impl Script {
    /// A copy with every span set to `0..0`.
    pub fn without_spans(&self) -> Script {
        let mut s = self.clone();
        s.span = Span::default();
        s.statements.iter_mut().for_each(statement);
        s
    }
}

impl Expr {
    /// A copy with every span set to `0..0`.
    pub fn without_spans(&self) -> Expr {
        let mut e = self.clone();
        expr(&mut e);
        e
    }
}

fn statement(s: &mut Statement) {
    s.span = Span::default();
    match &mut s.kind {
        StatementKind::Let(l) => {
            ident(&mut l.name);
            match &mut l.value {
                LetValue::Expr(e) => expr(e),
                LetValue::Function(d) => {
                    d.span = Span::default();
                    d.params.iter_mut().for_each(parameter);
                    d.body.iter_mut().for_each(statement);
                }
            }
        }
        StatementKind::Query(e) => expr(e),
        StatementKind::DeclareQueryParameters(ps) => ps.iter_mut().for_each(parameter),
        StatementKind::Set(set) => {
            ident(&mut set.name);
            set.value.iter_mut().for_each(expr);
        }
        StatementKind::DeclarePattern(p) => {
            ident(&mut p.name);
            p.params.iter_mut().for_each(parameter);
            p.path.iter_mut().for_each(parameter);
            for r in &mut p.rules {
                r.span = Span::default();
                r.args.iter_mut().for_each(expr);
                r.path.iter_mut().for_each(expr);
                expr(&mut r.body);
            }
        }
    }
}

fn ident(i: &mut Ident) {
    i.span = Span::default();
}

fn parameter(p: &mut Parameter) {
    p.span = Span::default();
    ident(&mut p.name);
    if let ParamType::Tabular { columns, .. } = &mut p.ty {
        columns.iter_mut().for_each(column);
    }
    p.default.iter_mut().for_each(expr);
}

fn column(c: &mut ColumnDecl) {
    c.span = Span::default();
    ident(&mut c.name);
}

fn call(c: &mut Call) {
    ident(&mut c.name);
    c.args.iter_mut().for_each(expr);
    for (n, v) in &mut c.named {
        ident(n);
        expr(v);
    }
}

fn expr(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Literal(_) | ExprKind::JoinSide(_) | ExprKind::Star => {}
        ExprKind::Name(n) => ident(n),
        ExprKind::Member { target, member } => {
            expr(target);
            ident(member);
        }
        ExprKind::Index { target, index } => {
            expr(target);
            expr(index);
        }
        ExprKind::Call(c) => call(c),
        ExprKind::Unary { operand, .. } => expr(operand),
        ExprKind::Binary { left, right, .. } => {
            expr(left);
            expr(right);
        }
        ExprKind::List { expr: x, list, .. } => {
            expr(x);
            list.iter_mut().for_each(expr);
        }
        ExprKind::Between {
            expr: x, low, high, ..
        } => {
            expr(x);
            expr(low);
            expr(high);
        }
        ExprKind::Paren(inner) => expr(inner),
        ExprKind::Pipe { input, ops } => {
            expr(input);
            ops.iter_mut().for_each(operator);
        }
        ExprKind::Source(op) => operator(op),
    }
}

fn named(n: &mut NamedExpr) {
    n.span = Span::default();
    n.names.iter_mut().for_each(ident);
    expr(&mut n.expr);
}

fn param(p: &mut OperatorParam) {
    p.span = Span::default();
    ident(&mut p.name);
    expr(&mut p.value);
}

fn sort_key(k: &mut SortKey) {
    k.span = Span::default();
    expr(&mut k.expr);
}

fn subquery(s: &mut Subquery) {
    s.span = Span::default();
    s.ops.iter_mut().for_each(operator);
}

fn expand(items: &mut [ExpandItem]) {
    items.iter_mut().for_each(|i| named(&mut i.expr));
}

fn pattern(parts: &mut [ParsePart]) {
    for p in parts {
        if let ParsePart::Column { name, .. } = p {
            ident(name);
        }
    }
}

fn operator(op: &mut Operator) {
    op.span = Span::default();
    match &mut op.kind {
        OperatorKind::Where(e) | OperatorKind::Take(e) | OperatorKind::Sample(e) => expr(e),
        OperatorKind::Extend(items)
        | OperatorKind::Project(items)
        | OperatorKind::Serialize(items)
        | OperatorKind::Print(items) => items.iter_mut().for_each(named),
        OperatorKind::ProjectAway(ids) | OperatorKind::ProjectKeep(ids) => {
            ids.iter_mut().for_each(ident)
        }
        OperatorKind::ProjectRename(pairs) => pairs.iter_mut().for_each(|(a, b)| {
            ident(a);
            ident(b);
        }),
        OperatorKind::ProjectReorder(cols) => cols.iter_mut().for_each(|(c, _)| ident(c)),
        OperatorKind::Summarize {
            params,
            aggregates,
            by,
        } => {
            params.iter_mut().for_each(param);
            aggregates.iter_mut().for_each(named);
            by.iter_mut().for_each(named);
        }
        OperatorKind::Sort { params, keys } => {
            params.iter_mut().for_each(param);
            keys.iter_mut().for_each(sort_key);
        }
        OperatorKind::Top { count, key } => {
            expr(count);
            sort_key(key);
        }
        OperatorKind::TopNested(clauses) => {
            for c in clauses {
                c.span = Span::default();
                c.count.iter_mut().for_each(expr);
                named(&mut c.of);
                c.with_others.iter_mut().for_each(expr);
                named(&mut c.by);
            }
        }
        OperatorKind::Count | OperatorKind::GetSchema => {}
        OperatorKind::Distinct(items) => items.iter_mut().for_each(expr),
        OperatorKind::Join { params, right, on } | OperatorKind::Lookup { params, right, on } => {
            params.iter_mut().for_each(param);
            expr(right);
            on.iter_mut().for_each(expr);
        }
        OperatorKind::Union { params, tables } => {
            params.iter_mut().for_each(param);
            tables.iter_mut().for_each(expr);
        }
        OperatorKind::MvExpand {
            params,
            items,
            limit,
        } => {
            params.iter_mut().for_each(param);
            expand(items);
            limit.iter_mut().for_each(expr);
        }
        OperatorKind::MvApply {
            params,
            items,
            limit,
            on,
        } => {
            params.iter_mut().for_each(param);
            expand(items);
            limit.iter_mut().for_each(expr);
            subquery(on);
        }
        OperatorKind::Parse {
            params,
            expr: x,
            pattern: p,
        }
        | OperatorKind::ParseWhere {
            params,
            expr: x,
            pattern: p,
        } => {
            params.iter_mut().for_each(param);
            expr(x);
            pattern(p);
        }
        OperatorKind::ParseKv {
            expr: x,
            columns,
            with,
        } => {
            expr(x);
            columns.iter_mut().for_each(column);
            with.iter_mut().for_each(param);
        }
        OperatorKind::MakeSeries(m) => {
            m.params.iter_mut().for_each(param);
            for (agg, default) in &mut m.aggregates {
                named(agg);
                default.iter_mut().for_each(expr);
            }
            expr(&mut m.on);
            m.from.iter_mut().for_each(expr);
            m.to.iter_mut().for_each(expr);
            expr(&mut m.step);
            m.by.iter_mut().for_each(named);
        }
        OperatorKind::Evaluate {
            params,
            call: c,
            schema,
        } => {
            params.iter_mut().for_each(param);
            call(c);
            schema.iter_mut().flatten().for_each(column);
        }
        OperatorKind::Render { chart, with } => {
            ident(chart);
            with.iter_mut().for_each(param);
        }
        OperatorKind::As { params, name } => {
            params.iter_mut().for_each(param);
            ident(name);
        }
        OperatorKind::Invoke(c) => call(c),
        OperatorKind::SampleDistinct { count, of } => {
            expr(count);
            expr(of);
        }
        OperatorKind::TopHitters { count, of, by } => {
            expr(count);
            expr(of);
            if let Some(b) = by {
                expr(b);
            }
        }
        OperatorKind::Partition { params, by, body } => {
            params.iter_mut().for_each(param);
            expr(by);
            match body {
                PartitionBody::Subquery(s) => subquery(s),
                PartitionBody::Expr(e) => expr(e),
            }
        }
        OperatorKind::Scan(s) => {
            s.params.iter_mut().for_each(param);
            s.order_by.iter_mut().for_each(sort_key);
            s.partition_by.iter_mut().for_each(expr);
            s.declare.iter_mut().for_each(parameter);
            for step in &mut s.steps {
                step.span = Span::default();
                ident(&mut step.name);
                step.output.iter_mut().for_each(ident);
                expr(&mut step.predicate);
                for (n, v) in &mut step.assignments {
                    ident(n);
                    expr(v);
                }
            }
        }
        OperatorKind::Facet { by, with } => {
            by.iter_mut().for_each(ident);
            with.iter_mut().for_each(subquery);
        }
        OperatorKind::Fork(branches) => {
            for (name, sub) in branches {
                name.iter_mut().for_each(ident);
                subquery(sub);
            }
        }
        OperatorKind::Search {
            params,
            tables,
            predicate,
        } => {
            params.iter_mut().for_each(param);
            tables.iter_mut().for_each(ident);
            expr(predicate);
        }
        OperatorKind::Find {
            params,
            tables,
            predicate,
            project,
        } => {
            params.iter_mut().for_each(param);
            tables.iter_mut().for_each(expr);
            expr(predicate);
            for item in project.iter_mut() {
                match item {
                    FindItem::Column(id, _) => ident(id),
                    FindItem::PackAll(span) => *span = Span::default(),
                }
            }
        }
        OperatorKind::Reduce { params, by, with } => {
            params.iter_mut().for_each(param);
            expr(by);
            with.iter_mut().for_each(param);
        }
        OperatorKind::Consume(params) => params.iter_mut().for_each(param),
        OperatorKind::MakeGraph(g) => {
            ident(&mut g.source);
            ident(&mut g.target);
            for (table, key) in &mut g.nodes {
                expr(table);
                ident(key);
            }
            g.params.iter_mut().for_each(param);
            if let Some((column, body)) = &mut g.partitioned_by {
                ident(column);
                subquery(body);
            }
        }
        OperatorKind::GraphMatch(g) => {
            g.params.iter_mut().for_each(param);
            for path in &mut g.pattern {
                path.first.span = Span::default();
                path.first.name.iter_mut().for_each(ident);
                for (edge, node) in &mut path.steps {
                    edge.span = Span::default();
                    edge.name.iter_mut().for_each(ident);
                    node.span = Span::default();
                    node.name.iter_mut().for_each(ident);
                }
            }
            g.predicate.iter_mut().for_each(expr);
            g.project.iter_mut().for_each(named);
        }
        OperatorKind::GraphToTable(items) => {
            for item in items {
                item.span = Span::default();
                ident(&mut item.kind);
                item.alias.iter_mut().for_each(ident);
                item.params.iter_mut().for_each(param);
            }
        }
        OperatorKind::GraphMarkComponents(params) => params.iter_mut().for_each(param),
        OperatorKind::GraphMerge { right, on } => {
            expr(right);
            on.iter_mut().for_each(expr);
        }
        OperatorKind::Range {
            name,
            from,
            to,
            step,
        } => {
            ident(name);
            expr(from);
            expr(to);
            expr(step);
        }
        OperatorKind::Datatable(d) => {
            d.columns.iter_mut().for_each(column);
            d.values.iter_mut().for_each(expr);
        }
        OperatorKind::Externaldata {
            columns,
            uris,
            with,
        } => {
            columns.iter_mut().for_each(column);
            uris.iter_mut().for_each(expr);
            with.iter_mut().for_each(param);
        }
    }
}
