//! The `search` operator: a filter over one table, or over the union of
//! several (`$table` names each row's source).
//!
//! A bare string term matches rows where any column, as text, has the
//! term; any other predicate is an ordinary `where` over the union's
//! columns (columns a table lacks are null there).

use std::sync::Arc;

use kqlite_parser::ast::{self, BinaryOp, Expr, ExprKind, StrOp, StrOpKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::ops::param_text;
use super::plan::{Plan, Schema};
use super::{BResult, Binder, Binding};
use crate::types::DataType;

type Bound = (Arc<Plan>, Schema);

/// The column naming each row's table in a multi-table `search`.
const SOURCE_COLUMN: &str = "$table";

impl Binder<'_> {
    /// Binds `search` over `input` (piped), or over `tables` (a source:
    /// every table and view in scope when `tables` is empty).
    pub(crate) fn bind_search(
        &mut self,
        params: &[ast::OperatorParam],
        tables: &[ast::Ident],
        predicate: &Expr,
        input: Option<Bound>,
        span: Span,
    ) -> BResult<Bound> {
        let mut case_sensitive = false;
        for p in params {
            match (p.name.name.as_str(), param_text(&p.value).as_deref()) {
                ("kind", Some("case_sensitive")) => case_sensitive = true,
                ("kind", Some("case_insensitive")) => case_sensitive = false,
                _ => {
                    return Err(self.fail(names::error(
                        codes::NOT_SUPPORTED,
                        format!("not supported: `search` parameter `{}`", p.name.name),
                        p.span,
                    )))
                }
            }
        }
        let (plan, schema) = match input {
            Some(b) => {
                if let Some(t) = tables.first() {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        "a piped `search` searches its input: drop `in (...)`",
                        t.span,
                    )));
                }
                b
            }
            None => self.search_union(tables, span)?,
        };
        let predicate = rewrite_terms(predicate, &schema, case_sensitive);
        let p = self.bind_scalar(&predicate, Some(&schema))?;
        if !matches!(p.ty, DataType::Bool | DataType::Dynamic) {
            return Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!(
                    "`search` needs a bool predicate or a string term, got {}",
                    p.ty
                ),
                predicate.span,
            )));
        }
        Ok((
            Arc::new(Plan::Filter {
                input: plan,
                predicate: p,
            }),
            schema,
        ))
    }

    /// `union withsource=$table` of the searched tables.
    fn search_union(&mut self, tables: &[ast::Ident], span: Span) -> BResult<Bound> {
        let names: Vec<ast::Ident> = if tables.is_empty() {
            // The tables given to the engine. With none (checking against
            // a catalog of thousands), which tables a workspace has is not
            // known: the searched rows have open columns.
            let mut all: Vec<String> = self.catalog.names().map(str::to_string).collect();
            if all.is_empty() && self.views().is_empty() {
                let schema: Schema = vec![("$table".to_string(), DataType::String)];
                self.open_schemas.push(schema.clone());
                return Ok(self.open_rows(schema));
            }
            for n in self.views() {
                if !all.contains(&n) {
                    all.push(n);
                }
            }
            all.into_iter()
                .map(|name| ast::Ident { name, span })
                .collect()
        } else {
            tables.to_vec()
        };
        if names.is_empty() {
            return Err(self.fail(names::error(
                codes::UNKNOWN_TABLE,
                "`search` found no tables to search",
                span,
            )));
        }
        let exprs: Vec<Expr> = names
            .into_iter()
            .map(|id| Expr {
                span: id.span,
                kind: ExprKind::Name(id),
            })
            .collect();
        let source = ast::OperatorParam {
            name: ast::Ident {
                name: "withsource".into(),
                span,
            },
            value: Expr {
                kind: ExprKind::Name(ast::Ident {
                    name: SOURCE_COLUMN.into(),
                    span,
                }),
                span,
            },
            span,
        };
        self.bind_union(&[source], None, &exprs, span)
    }

    /// The views in scope: functions callable without arguments.
    fn views(&self) -> Vec<String> {
        self.tabular_lets_matching("*")
            .into_iter()
            .filter(|n| matches!(self.peek(n), Some(Binding::Function(_))))
            .collect()
    }
}

/// Replaces each bare string term in boolean position (the whole
/// predicate, or an operand of `and`, `or`, `not(...)` and parentheses) with
/// its any-column match.
pub(crate) fn rewrite_terms(e: &Expr, schema: &Schema, case_sensitive: bool) -> Expr {
    let again = |x: &Expr| Box::new(rewrite_terms(x, schema, case_sensitive));
    let kind = match &e.kind {
        ExprKind::Literal(ast::Literal::String(term)) => {
            return term_predicate(schema, term, case_sensitive, e.span)
        }
        // `* has "term"` (or another string operator): any column matches.
        ExprKind::Binary {
            op: BinaryOp::Str(op),
            left,
            right,
        } if matches!(left.kind, ExprKind::Star) => {
            return any_column(schema, BinaryOp::Str(*op), right, e.span);
        }
        ExprKind::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            left,
            right,
        } => ExprKind::Binary {
            op: *op,
            left: again(left),
            right: again(right),
        },
        ExprKind::Paren(inner) => ExprKind::Paren(again(inner)),
        ExprKind::Call(c) if c.name.name == "not" && c.args.len() == 1 => {
            ExprKind::Call(ast::Call {
                name: c.name.clone(),
                args: c
                    .args
                    .iter()
                    .map(|a| rewrite_terms(a, schema, case_sensitive))
                    .collect(),
                named: c.named.clone(),
            })
        }
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

/// The operator and needle of a search term: `has`, or by the placement
/// of `*` wildcards `hasprefix` (`abc*`), `hassuffix` (`*abc`), `contains`
/// (`*abc*`), or a regex match of whole terms (`a*c`).
fn term_operator(term: &str, case_sensitive: bool) -> (BinaryOp, String) {
    let op = |kind| {
        BinaryOp::Str(StrOp {
            kind,
            negated: false,
            case_sensitive,
        })
    };
    let lead = term.starts_with('*');
    let trail = term.len() > 1 && term.ends_with('*');
    let core = term.trim_start_matches('*').trim_end_matches('*');
    if core.contains('*') {
        let parts: Vec<String> = core.split('*').map(regex::escape).collect();
        let flags = if case_sensitive { "" } else { "(?i)" };
        return (
            op(StrOpKind::MatchesRegex),
            format!("{flags}\\b{}\\b", parts.join(".*")),
        );
    }
    match (lead, trail) {
        (true, true) => (op(StrOpKind::Contains), core.to_string()),
        (true, false) => (op(StrOpKind::HasSuffix), core.to_string()),
        (false, true) => (op(StrOpKind::HasPrefix), core.to_string()),
        (false, false) => (op(StrOpKind::Has), term.to_string()),
    }
}

/// `tostring(c1) op right or tostring(c2) op right ...` over every column
/// but `$table` (false when there is none); a negated operator must hold
/// for every column instead.
fn any_column(schema: &Schema, op: BinaryOp, right: &Expr, span: Span) -> Expr {
    let expr = |kind: ExprKind| Expr { kind, span };
    let ident = |name: &str| ast::Ident {
        name: name.to_string(),
        span,
    };
    let negated = matches!(op, BinaryOp::Str(StrOp { negated: true, .. }));
    let join = if negated { BinaryOp::And } else { BinaryOp::Or };
    schema
        .iter()
        .filter(|(n, _)| n != SOURCE_COLUMN)
        .map(|(n, _)| {
            let text = expr(ExprKind::Call(ast::Call {
                name: ident("tostring"),
                args: vec![expr(ExprKind::Name(ident(n)))],
                named: Vec::new(),
            }));
            expr(ExprKind::Binary {
                op,
                left: Box::new(text),
                right: Box::new(right.clone()),
            })
        })
        .reduce(|a, b| {
            expr(ExprKind::Binary {
                op: join,
                left: Box::new(a),
                right: Box::new(b),
            })
        })
        .unwrap_or_else(|| expr(ExprKind::Literal(ast::Literal::Bool(Some(negated)))))
}

/// `tostring(c1) has term or tostring(c2) has term ...` over every column
/// but `$table` (false when there is none).
fn term_predicate(schema: &Schema, term: &str, case_sensitive: bool, span: Span) -> Expr {
    let expr = |kind: ExprKind| Expr { kind, span };
    let ident = |name: &str| ast::Ident {
        name: name.to_string(),
        span,
    };
    if term == "*" {
        return expr(ExprKind::Literal(ast::Literal::Bool(Some(true))));
    }
    let (has, term) = term_operator(term, case_sensitive);
    let term = term.as_str();
    schema
        .iter()
        .filter(|(n, _)| n != SOURCE_COLUMN)
        .map(|(n, _)| {
            let text = expr(ExprKind::Call(ast::Call {
                name: ident("tostring"),
                args: vec![expr(ExprKind::Name(ident(n)))],
                named: Vec::new(),
            }));
            expr(ExprKind::Binary {
                op: has,
                left: Box::new(text),
                right: Box::new(expr(ExprKind::Literal(ast::Literal::String(term.into())))),
            })
        })
        .reduce(|a, b| {
            expr(ExprKind::Binary {
                op: BinaryOp::Or,
                left: Box::new(a),
                right: Box::new(b),
            })
        })
        .unwrap_or_else(|| expr(ExprKind::Literal(ast::Literal::Bool(Some(false)))))
}
