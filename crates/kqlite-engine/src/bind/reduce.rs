//! Binding `reduce [kind=source] by Expr [with threshold=T, characters=C]`
//! into a [`Plan::Plugin`] of kind [`PluginKind::Reduce`].

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::ops::param_text;
use super::plan::{BoundExpr, BoundExprKind, Plan, PluginKind, PluginSpec, Schema};
use super::{BResult, Binder};
use crate::types::DataType;
use crate::value::Value;

type Bound = (Arc<Plan>, Schema);

/// The input column holding the reduced text.
const TEXT: &str = "__reduce_text";

impl Binder<'_> {
    /// `reduce`.
    pub(crate) fn bind_reduce(
        &mut self,
        params: &[ast::OperatorParam],
        by: &Expr,
        with: &[ast::OperatorParam],
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let mut source = false;
        for p in params {
            match param_text(&p.value).as_deref() {
                Some("source") if p.name.name == "kind" => source = true,
                _ => {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!("unknown reduce parameter `{}`", p.name.name),
                            p.span,
                        ),
                        "the only kind is `kind=source`",
                    )))
                }
            }
        }
        let mut threshold = 0.1;
        let mut separators = None;
        for p in with {
            let value = self.bind_scalar(&p.value, None)?;
            match (p.name.name.as_str(), value.as_literal()) {
                ("threshold", Some(v)) => {
                    let t = match v {
                        Value::Real(r) => Some(*r),
                        Value::Long(l) => Some(*l as f64),
                        Value::Int(i) => Some(f64::from(*i)),
                        _ => None,
                    };
                    match t {
                        Some(t) if (0.0..=1.0).contains(&t) => threshold = t,
                        _ => {
                            return Err(self.fail(names::error(
                                codes::INVALID,
                                "`threshold` must be a number between 0 and 1",
                                p.value.span,
                            )))
                        }
                    }
                }
                ("characters", Some(Value::String(s))) => separators = Some(s.to_string()),
                ("characters", _) => {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        "`characters` must be a constant string",
                        p.value.span,
                    )))
                }
                _ => {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!("unknown reduce option `{}`", p.name.name),
                            p.span,
                        ),
                        "reduce takes `threshold=` and `characters=`",
                    )))
                }
            }
        }
        let text = self.bind_scalar(by, Some(&schema))?;
        if text.ty != DataType::String {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::TYPE_MISMATCH,
                    format!("`reduce by` needs a string, got {}", text.ty),
                    by.span,
                ),
                "convert it with `tostring(...)`",
            )));
        }
        let mut columns: Vec<(String, BoundExpr)> = Vec::new();
        if source {
            for (i, (n, t)) in schema.iter().enumerate() {
                columns.push((
                    n.clone(),
                    BoundExpr {
                        kind: BoundExprKind::Column(i),
                        ty: *t,
                        span,
                    },
                ));
            }
        }
        columns.push((TEXT.to_string(), text));
        let out: Schema = if source {
            let mut out: Schema = schema.into_iter().filter(|(n, _)| n != "Pattern").collect();
            out.push(("Pattern".into(), DataType::String));
            out
        } else {
            vec![
                ("Pattern".into(), DataType::String),
                ("Count".into(), DataType::Long),
                ("Representative".into(), DataType::String),
            ]
        };
        let projected = Arc::new(Plan::Project { input, columns });
        Ok((
            Arc::new(Plan::Plugin {
                input: projected,
                others: Vec::new(),
                spec: Arc::new(PluginSpec {
                    kind: PluginKind::Reduce {
                        threshold,
                        separators,
                        source,
                    },
                    columns: out.clone(),
                    span,
                }),
            }),
            out,
        ))
    }
}
