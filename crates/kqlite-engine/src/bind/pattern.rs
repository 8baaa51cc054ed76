//! `declare pattern` references: `p("a").b` picks the rule whose constant
//! arguments and path equal the reference's, and binds its query.

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::plan::{Plan, Schema};
use super::{BResult, Binder};
use crate::value::Value;

type Bound = (Arc<Plan>, Schema);

impl Binder<'_> {
    /// The declared pattern named `name`, innermost declaration first.
    pub(crate) fn pattern(&self, name: &str) -> Option<Arc<ast::PatternDecl>> {
        self.patterns
            .iter()
            .rev()
            .find(|p| p.name.name == name)
            .cloned()
    }

    /// Whether `e` references a declared pattern (`p(args)` or `p(args).path`).
    pub(crate) fn is_pattern_ref(&self, e: &Expr) -> bool {
        let call = match &e.kind {
            ExprKind::Member { target, .. } => match &target.kind {
                ExprKind::Call(c) => c,
                _ => return false,
            },
            ExprKind::Call(c) => c,
            _ => return false,
        };
        self.pattern(&call.name.name).is_some()
    }

    fn pattern_constant(&mut self, e: &Expr) -> BResult<Value> {
        let b = self.bind_scalar(e, None)?;
        match b.as_literal() {
            Some(v) => Ok(v.clone()),
            None => Err(self.fail(names::error(
                codes::INVALID,
                "pattern arguments must be constants",
                e.span,
            ))),
        }
    }

    /// Binds a pattern reference to the query of its matching rule.
    pub(crate) fn bind_pattern_ref(&mut self, e: &Expr) -> BResult<Bound> {
        let (call, path) = match &e.kind {
            ExprKind::Member { target, member } => match &target.kind {
                ExprKind::Call(c) => (c, Some(member.name.clone())),
                _ => return Err(self.bad_pattern_ref(e.span)),
            },
            ExprKind::Call(c) => (c, None),
            _ => return Err(self.bad_pattern_ref(e.span)),
        };
        let Some(decl) = self.pattern(&call.name.name) else {
            return Err(self.bad_pattern_ref(e.span));
        };
        let mut args = Vec::with_capacity(call.args.len());
        for a in &call.args {
            args.push(self.pattern_constant(a)?);
        }
        for rule in &decl.rules {
            if rule.args.len() != args.len() {
                continue;
            }
            let mut same = true;
            for (r, v) in rule.args.iter().zip(&args) {
                if self.pattern_constant(r)? != *v {
                    same = false;
                    break;
                }
            }
            let rule_path = match &rule.path {
                Some(p) => match self.pattern_constant(p)? {
                    Value::String(s) => Some(s.to_string()),
                    _ => None,
                },
                None => None,
            };
            if same && rule_path == path {
                return self.bind_tabular(&rule.body);
            }
        }
        Err(self.fail(names::error(
            codes::INVALID,
            format!(
                "no rule of pattern `{}` matches this reference",
                decl.name.name
            ),
            e.span,
        )))
    }

    fn bad_pattern_ref(&mut self, span: Span) -> super::Reported {
        self.fail(names::error(
            codes::INVALID,
            "a pattern is referenced as `name(args)` or `name(args).path`",
            span,
        ))
    }
}
