//! The `find` operator (Microsoft's KQL reference, `find-operator.md`):
//! the rows of several tables where a predicate holds, as one table with a
//! `source_` column naming each row's table.
//!
//! What the reference documents, and how kqlite keeps it:
//! - `find [withsource=C] [in (T1, T2, E*, (query))] where P` and the short
//!   `find P`; without `in`, every table given to the engine is searched.
//! - `P` may be a bare term (`find "x"`) or `* has "x"`: any column, as
//!   text, matches (as in `search`).
//! - A table with none of the columns the predicate reads is left out; a
//!   table with some of them reads the others as nulls (so
//!   `Version == 'v1' or EventName == 'e1'` filters each table by the
//!   column it has).
//! - `project-smart` (the default): the columns the predicate reads and
//!   those every searched table has, then `pack_`, a property bag of the
//!   row's other columns. A column with several types across the tables
//!   becomes one column per type (`Name_type`), as in `union`.
//! - `project C1, C2:type, ...[, pack_all()]`: exactly those columns, null
//!   where a table lacks one, cast to the given type; a column with several
//!   types needs one. `pack_all()` adds `pack_`, a bag of the row's columns
//!   that are not projected (as the reference's example shows).

use kqlite_parser::ast::{
    self, DynamicLiteral, Expr, ExprKind, FindItem, Literal, NamedExpr, OperatorKind,
};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::ops::{
    name_expr, names_in, param_text, pipe, string_expr, wildcard_match, Bound,
    MAX_TABLES_BOUND_BY_WILDCARD,
};
use super::search::rewrite_terms;
use super::{BResult, Binder, Schema};
use crate::types::DataType;

/// The default name of the column naming each row's table.
const SOURCE_COLUMN: &str = "source_";
/// The property bag of the columns not otherwise in the result.
const PACK_COLUMN: &str = "pack_";

impl Binder<'_> {
    /// Binds `find [withsource=C] [in (T, ...)] where P [project ... |
    /// project-smart]`: each table filtered by `P` and shaped, then their
    /// union with the source column first.
    pub(crate) fn bind_find(
        &mut self,
        params: &[ast::OperatorParam],
        tables: &[Expr],
        predicate: &Expr,
        project: &[FindItem],
        span: Span,
    ) -> BResult<Bound> {
        let mut source = SOURCE_COLUMN.to_string();
        for p in params {
            match (p.name.name.as_str(), param_text(&p.value)) {
                ("withsource", Some(n)) => source = n,
                ("kind", _) => {}
                _ => {
                    return Err(
                        self.not_supported(&format!("`find` parameter `{}`", p.name.name), p.span)
                    )
                }
            }
        }
        let Some(legs) = self.find_legs(tables, span) else {
            return Ok(self.open_rows(vec![(source, DataType::String)]));
        };
        // Each table's columns.
        let mut schemas: Vec<(String, Expr, Schema)> = Vec::with_capacity(legs.len());
        for (name, leg) in legs {
            match self.bind_tabular_trial(&leg) {
                Ok((_, schema)) => schemas.push((name, leg, schema)),
                Err(found) => return Err(self.keep(found)),
            }
        }
        let type_of = |col: &str| -> Option<DataType> {
            schemas
                .iter()
                .find_map(|(_, _, s)| s.iter().find(|(n, _)| n == col).map(|(_, t)| *t))
        };
        // The columns the predicate reads (names no table has are scalars
        // from `let`, or unknown: binding the predicate tells).
        let mut read = Vec::new();
        names_in(predicate, &mut read);
        let read: Vec<(String, DataType)> = read
            .into_iter()
            .filter_map(|n| type_of(&n).map(|t| (n, t)))
            .collect();
        let mut kept: Vec<(String, Expr, Schema)> = Vec::new();
        for (name, leg, schema) in schemas {
            let has = |c: &str| schema.iter().any(|(n, _)| n == c);
            if !read.is_empty() && !read.iter().any(|(c, _)| has(c)) {
                continue;
            }
            let missing: Vec<NamedExpr> = read
                .iter()
                .filter(|(c, _)| !has(c))
                .map(|(c, t)| named(c, null_of(*t, span), span))
                .collect();
            let mut leg = leg;
            let mut schema = schema;
            if !missing.is_empty() {
                schema.extend(
                    read.iter()
                        .filter(|(c, _)| !schema.iter().any(|(n, _)| n == c))
                        .cloned()
                        .collect::<Vec<_>>(),
                );
                leg = pipe(leg, OperatorKind::Extend(missing), span);
            }
            let p = rewrite_terms(predicate, &schema, false);
            let filtered = pipe(leg, OperatorKind::Where(p), predicate.span);
            kept.push((name, filtered, schema));
        }
        if kept.is_empty() {
            return Err(self.fail(names::error(
                codes::UNKNOWN_TABLE,
                "`find` found no table with the columns its predicate reads",
                span,
            )));
        }
        let shaped = if project.is_empty() {
            smart_projection(kept, &read, span)
        } else {
            self.explicit_projection(kept, project, span)?
        };
        let mut inputs = Vec::with_capacity(shaped.len());
        for (name, leg) in shaped {
            let b = self.bind_tabular(&leg)?;
            inputs.push((name, b));
        }
        self.union_bound(inputs, Some(source))
    }

    /// The searched tables, each with its name for the source column;
    /// `None` when which tables exist is not known (no tables given to
    /// the engine, or a wildcard over too many known only by schema).
    fn find_legs(&mut self, tables: &[Expr], span: Span) -> Option<Vec<(String, Expr)>> {
        let mut legs: Vec<(String, Expr)> = Vec::new();
        if tables.is_empty() {
            if self.catalog.is_empty() {
                return None;
            }
            for n in self.catalog.names() {
                legs.push((n.to_string(), name_expr(n, span)));
            }
            return Some(legs);
        }
        for t in tables {
            match &t.kind {
                ExprKind::Name(id) if id.name.contains('*') => {
                    let (matched, schema_only) = self.tables_matching(&id.name);
                    if schema_only > MAX_TABLES_BOUND_BY_WILDCARD {
                        return None;
                    }
                    for n in matched {
                        legs.push((n.clone(), name_expr(&n, id.span)));
                    }
                    for n in self.tabular_lets_matching(&id.name) {
                        if wildcard_match(&id.name, &n) {
                            legs.push((n.clone(), name_expr(&n, id.span)));
                        }
                    }
                }
                ExprKind::Name(id) => legs.push((id.name.clone(), t.clone())),
                _ => legs.push((format!("union_arg{}", legs.len()), t.clone())),
            }
        }
        Some(legs)
    }

    /// `project C1, C2:type, ...[, pack_all()]` over each filtered table.
    fn explicit_projection(
        &mut self,
        kept: Vec<(String, Expr, Schema)>,
        project: &[FindItem],
        span: Span,
    ) -> BResult<Vec<(String, Expr)>> {
        // Each listed column's result type.
        let mut columns: Vec<(&ast::Ident, DataType, bool)> = Vec::new();
        let mut pack_all = false;
        for item in project {
            match item {
                FindItem::PackAll(_) => pack_all = true,
                FindItem::Column(id, ty) => {
                    let mut seen: Vec<DataType> = Vec::new();
                    for (_, _, s) in &kept {
                        if let Some((_, t)) = s.iter().find(|(n, _)| *n == id.name) {
                            if !seen.contains(t) {
                                seen.push(*t);
                            }
                        }
                    }
                    let given = ty.map(DataType::from);
                    let out = match (given, seen.as_slice()) {
                        (Some(t), _) => t,
                        (None, [t]) => *t,
                        (None, []) => {
                            let cands: Vec<&str> = kept
                                .iter()
                                .flat_map(|(_, _, s)| s.iter().map(|(n, _)| n.as_str()))
                                .collect();
                            let d = names::error(
                                codes::UNKNOWN_COLUMN,
                                format!("no searched table has column `{}`", id.name),
                                id.span,
                            );
                            return Err(self.fail(names::suggest(d, &id.name, cands)));
                        }
                        (None, several) => {
                            let list: Vec<&str> = several.iter().map(|t| t.name()).collect();
                            return Err(self.fail(names::with_hint(
                                names::error(
                                    codes::TYPE_MISMATCH,
                                    format!(
                                        "column `{}` has several types in the searched tables ({})",
                                        id.name,
                                        list.join(", ")
                                    ),
                                    id.span,
                                ),
                                format!(
                                    "give it one: {}",
                                    list.iter()
                                        .map(|t| format!("`{}:{t}`", id.name))
                                        .collect::<Vec<_>>()
                                        .join(" or ")
                                ),
                            )));
                        }
                    };
                    columns.push((id, out, given.is_some()));
                }
            }
        }
        let mut shaped = Vec::with_capacity(kept.len());
        for (name, leg, schema) in kept {
            let mut items: Vec<NamedExpr> = Vec::with_capacity(columns.len() + 1);
            for (id, ty, cast) in &columns {
                let value = match schema.iter().find(|(n, _)| *n == id.name) {
                    Some((_, t)) if *cast && t != ty => convert(name_expr(&id.name, id.span), *ty),
                    Some(_) => name_expr(&id.name, id.span),
                    None => null_of(*ty, id.span),
                };
                items.push(named(&id.name, value, id.span));
            }
            if pack_all {
                let rest: Vec<&str> = schema
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .filter(|n| !columns.iter().any(|(id, _, _)| id.name == *n))
                    .collect();
                items.push(named(PACK_COLUMN, bag_of(&rest, span), span));
            }
            shaped.push((name, pipe(leg, OperatorKind::Project(items), span)));
        }
        Ok(shaped)
    }
}

/// `project-smart` over each filtered table: the columns the predicate
/// reads and those every table has (with one type), then `pack_`.
fn smart_projection(
    kept: Vec<(String, Expr, Schema)>,
    read: &[(String, DataType)],
    span: Span,
) -> Vec<(String, Expr)> {
    let mut shown: Vec<String> = Vec::new();
    for (_, _, schema) in &kept {
        for col in schema {
            let everywhere = kept.iter().all(|(_, _, s)| s.contains(col));
            let is_read = read.iter().any(|(n, _)| *n == col.0);
            if (everywhere || is_read) && !shown.contains(&col.0) {
                shown.push(col.0.clone());
            }
        }
    }
    let mut shaped = Vec::with_capacity(kept.len());
    for (name, leg, schema) in kept {
        let mut items: Vec<NamedExpr> = shown
            .iter()
            .filter(|n| schema.iter().any(|(m, _)| m == *n))
            .map(|n| named(n, name_expr(n, span), span))
            .collect();
        let rest: Vec<&str> = schema
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| !shown.iter().any(|s| s == n))
            .collect();
        items.push(named(PACK_COLUMN, bag_of(&rest, span), span));
        shaped.push((name, pipe(leg, OperatorKind::Project(items), span)));
    }
    shaped
}

/// `name = value`.
fn named(name: &str, value: Expr, span: Span) -> NamedExpr {
    NamedExpr {
        names: vec![ast::Ident {
            name: name.to_string(),
            span,
        }],
        expr: value,
        span,
    }
}

/// `bag_pack("c1", c1, "c2", c2, ...)`.
fn bag_of(columns: &[&str], span: Span) -> Expr {
    let mut args = Vec::with_capacity(columns.len() * 2);
    for c in columns {
        args.push(string_expr(c, span));
        args.push(name_expr(c, span));
    }
    call("bag_pack", args, span)
}

fn call(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Call(ast::Call {
            name: ast::Ident {
                name: name.to_string(),
                span,
            },
            args,
            named: Vec::new(),
        }),
        span,
    }
}

/// A null of type `ty` (the empty string for `string`, which has no null).
fn null_of(ty: DataType, span: Span) -> Expr {
    let literal = match ty {
        DataType::Bool => Literal::Bool(None),
        DataType::Int => Literal::Int(None),
        DataType::Long => Literal::Long(None),
        DataType::Real => Literal::Real(None),
        DataType::Decimal => Literal::Decimal(None),
        DataType::String => Literal::String(String::new()),
        DataType::DateTime => Literal::DateTime(None),
        DataType::TimeSpan => Literal::TimeSpan(None),
        DataType::Guid => Literal::Guid(None),
        DataType::Dynamic => Literal::Dynamic(DynamicLiteral::Null),
    };
    Expr {
        kind: ExprKind::Literal(literal),
        span,
    }
}

/// `value` converted to `ty` with Kusto's conversion function.
fn convert(value: Expr, ty: DataType) -> Expr {
    let span = value.span;
    let f = match ty {
        DataType::Bool => "tobool",
        DataType::Int => "toint",
        DataType::Long => "tolong",
        DataType::Real => "toreal",
        DataType::Decimal => "todecimal",
        DataType::String => "tostring",
        DataType::DateTime => "todatetime",
        DataType::TimeSpan => "totimespan",
        DataType::Guid => "toguid",
        DataType::Dynamic => "todynamic",
    };
    call(f, vec![value], span)
}
