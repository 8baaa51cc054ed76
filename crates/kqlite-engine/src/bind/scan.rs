//! Binding `scan` and `sample`.

use std::sync::Arc;

use kqlite_parser::ast::{self, ParamType};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::operator::PlanOperator;
use super::plan::{BoundExpr, BoundExprKind, Plan, ScanSpec, ScanStepSpec, Schema};
use super::{BResult, Binder};
use crate::catalog::Catalog;
use crate::eval::{EvalError, Executor};
use crate::function::ColumnarValue;
use crate::kernels;
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

type Bound = (Arc<Plan>, Schema);

/// `sample n`: up to `count` rows of the input, picked at random.
#[derive(Debug)]
pub(crate) struct Sample {
    /// Input.
    input: Arc<Plan>,
    /// Number of rows (a constant).
    count: BoundExpr,
}

impl PlanOperator for Sample {
    fn name(&self) -> &'static str {
        "Sample"
    }

    fn inputs(&self) -> Vec<&Arc<Plan>> {
        vec![&self.input]
    }

    fn exprs(&self) -> Vec<&BoundExpr> {
        vec![&self.count]
    }

    fn schema(&self, catalog: &Catalog) -> Option<Schema> {
        self.input.schema(catalog)
    }

    fn explain(&self, expr: &dyn Fn(&BoundExpr) -> String) -> String {
        format!("Sample {}", expr(&self.count))
    }

    fn evaluate(&self, exec: &mut Executor<'_>) -> Result<Table, EvalError> {
        let n = exec.count_value(&self.count)?;
        let t = exec.run(&self.input)?;
        Ok(exec.sample(t, n))
    }
}

impl Binder<'_> {
    /// Binds `sample n`.
    pub(crate) fn bind_sample(
        &mut self,
        count: &ast::Expr,
        input: Arc<Plan>,
        schema: Schema,
    ) -> BResult<Bound> {
        let count = self.bind_scalar(count, None)?;
        if !matches!(count.ty, DataType::Int | DataType::Long) {
            return Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!("`sample` needs a whole number of rows, got {}", count.ty),
                count.span,
            )));
        }
        Ok((
            Arc::new(Plan::Extension(Arc::new(Sample { input, count }))),
            schema,
        ))
    }

    /// Binds `scan [with_match_id=Id] [declare (...)] with (steps)`.
    pub(crate) fn bind_scan(
        &mut self,
        scan: &ast::Scan,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        if !scan.order_by.is_empty() || !scan.partition_by.is_empty() {
            return Err(self.fail(names::error(
                codes::NOT_SUPPORTED,
                "not supported: `scan` with `order by` or `partition by`",
                span,
            )));
        }
        let mut match_id = None;
        for p in &scan.params {
            if p.name.name.eq_ignore_ascii_case("with_match_id") {
                match super::ops::param_text(&p.value) {
                    Some(name) => match_id = Some(name),
                    None => {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "`with_match_id` needs a column name",
                            p.value.span,
                        )))
                    }
                }
            }
        }
        let mut declared: Vec<(String, DataType, Value)> = Vec::new();
        for d in &scan.declare {
            let ParamType::Scalar(t) = &d.ty else {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    "`scan` declares scalar columns only",
                    d.span,
                )));
            };
            let ty = DataType::from(*t);
            if schema.iter().any(|(n, _)| *n == d.name.name)
                || declared.iter().any(|(n, _, _)| *n == d.name.name)
            {
                return Err(self.fail(names::error(
                    codes::INVALID,
                    format!("`scan` declares `{}`, which already exists", d.name.name),
                    d.name.span,
                )));
            }
            let default = match &d.default {
                None => Value::Null,
                Some(e) => {
                    let b = self.bind_scalar(e, None)?;
                    let Some(v) = b.as_literal() else {
                        return Err(self.fail(names::error(
                            codes::INVALID,
                            "a `scan` declaration's default must be a constant",
                            e.span,
                        )));
                    };
                    kernels::cast(&ColumnarValue::Scalar(v.clone(), b.ty), ty, 1).get(0)
                }
            };
            declared.push((d.name.name.clone(), ty, default));
        }
        // The context row: input, declared, then each step's state.
        let mut ctx: Schema = schema.clone();
        ctx.extend(declared.iter().map(|(n, t, _)| (n.clone(), *t)));
        for step in &scan.steps {
            for (n, t) in schema.iter() {
                ctx.push((format!("{}.{n}", step.name.name), *t));
            }
            for (n, t, _) in &declared {
                ctx.push((format!("{}.{n}", step.name.name), *t));
            }
        }
        let mut steps = Vec::with_capacity(scan.steps.len());
        for step in &scan.steps {
            let output = match step.output.as_ref().map(|o| o.name.to_ascii_lowercase()) {
                None => true,
                Some(o) if o == "all" || o == "last" => true,
                Some(o) if o == "none" => false,
                Some(o) => {
                    return Err(self.fail(names::error(
                        codes::INVALID,
                        format!("`output={o}` is not one of all, last, none"),
                        step.span,
                    )))
                }
            };
            if step.optional {
                return Err(self.fail(names::error(
                    codes::NOT_SUPPORTED,
                    "not supported: optional `scan` steps",
                    step.span,
                )));
            }
            let condition = self.bind_scalar(&step.predicate, Some(&ctx))?;
            let mut assignments = Vec::with_capacity(step.assignments.len());
            for (name, e) in &step.assignments {
                let Some(i) = declared.iter().position(|(n, _, _)| *n == name.name) else {
                    return Err(self.fail(names::error(
                        codes::UNKNOWN_COLUMN,
                        format!("`{}` is not declared by this `scan`", name.name),
                        name.span,
                    )));
                };
                let ty = declared.get(i).map_or(DataType::Dynamic, |d| d.1);
                let mut b = self.bind_scalar(e, Some(&ctx))?;
                if b.ty != ty {
                    let span = b.span;
                    b = BoundExpr {
                        kind: BoundExprKind::Cast {
                            expr: Box::new(b),
                            to: ty,
                        },
                        ty,
                        span,
                    };
                }
                assignments.push((i, b));
            }
            steps.push(ScanStepSpec {
                output,
                condition,
                assignments,
            });
        }
        let mut out = schema.clone();
        out.extend(declared.iter().map(|(n, t, _)| (n.clone(), *t)));
        if let Some(id) = &match_id {
            out.push((id.clone(), DataType::Long));
        }
        let spec = ScanSpec {
            input_width: schema.len(),
            declared,
            steps,
            match_id,
        };
        Ok((
            Arc::new(Plan::ScanSteps {
                input,
                spec: Arc::new(spec),
            }),
            out,
        ))
    }
}
