//! Evaluating bound expressions a whole column at a time.

use std::sync::Arc;

use super::{EvalError, Executor};
use crate::bind::plan::{BoundExpr, BoundExprKind, ListItems};
use crate::column::{Column, ColumnBuilder, ColumnData};
use crate::function::{ColumnarValue, FunctionError};
use crate::kernels;
use crate::kernels::access::dynamic_to_value;
use crate::table::Table;
use crate::value::Value;

impl Executor<'_> {
    /// Evaluates `e` over every row of `input`.
    pub(crate) fn eval(
        &mut self,
        e: &BoundExpr,
        input: &Table,
    ) -> Result<ColumnarValue, EvalError> {
        let rows = input.num_rows();
        let wrap = |source: FunctionError| EvalError::Function {
            span: e.span,
            source,
        };
        Ok(match &e.kind {
            BoundExprKind::Literal(v) => ColumnarValue::Scalar(v.clone(), e.ty),
            BoundExprKind::Column(i) => match input.column_at(*i) {
                Some((_, c)) => ColumnarValue::Column(c.clone()),
                None => return Err(EvalError::Internal(format!("column #{i} is out of range"))),
            },
            BoundExprKind::OptionalColumn(name) => match input.column(name) {
                Some(c) => kernels::cast(&ColumnarValue::Column(c.clone()), e.ty, rows),
                None => ColumnarValue::Scalar(crate::value::Value::Null, e.ty),
            },
            BoundExprKind::ColumnByName(name) => match input.column(name) {
                Some(c) => kernels::cast(&ColumnarValue::Column(c.clone()), e.ty, rows),
                None => {
                    return Err(EvalError::Invalid {
                        span: e.span,
                        message: format!("column `{name}` is not in this run's `evaluate` output"),
                    })
                }
            },
            BoundExprKind::Binary { op, left, right } => {
                let l = self.eval(left, input)?;
                let r = self.eval(right, input)?;
                kernels::binary(*op, &l, &r, rows).map_err(wrap)?
            }
            BoundExprKind::Unary { op, operand } => {
                let v = self.eval(operand, input)?;
                kernels::unary(*op, &v, rows).map_err(wrap)?
            }
            BoundExprKind::List { op, expr, items } => {
                let v = self.eval(expr, input)?;
                match items {
                    ListItems::Values(values) => {
                        kernels::list(*op, &v, values, rows).map_err(wrap)?
                    }
                    ListItems::Table(plan) => {
                        let t = self.run(plan)?;
                        let values = first_column_values(&t);
                        kernels::list(*op, &v, &values, rows).map_err(wrap)?
                    }
                }
            }
            BoundExprKind::Between {
                negated,
                expr,
                low,
                high,
            } => {
                let v = self.eval(expr, input)?;
                let lo = self.eval(low, input)?;
                let hi = self.eval(high, input)?;
                kernels::between(&v, &lo, &hi, *negated, rows).map_err(wrap)?
            }
            BoundExprKind::Member { target, key } => {
                let v = self.eval(target, input)?;
                kernels::member(&v, key, rows)
            }
            BoundExprKind::Index { target, index } => {
                let v = self.eval(target, input)?;
                let i = self.eval(index, input)?;
                kernels::index(&v, &i, rows)
            }
            BoundExprKind::Call { func, args } => {
                let mut values = Vec::with_capacity(args.len());
                for a in args {
                    values.push(self.eval(a, input)?);
                }
                // One call may run long (nested doublings, a regex over a
                // large value): check the deadline before it, and let the
                // function check it as it goes.
                self.guard.check()?;
                let _stop = crate::function::QueryScope::enter(&self.guard);
                match crate::function::call_scalar(func.as_ref(), &values, rows, &self.ctx) {
                    Ok(v) => v,
                    Err(FunctionError::Stopped) => {
                        self.guard.check()?;
                        return Err(EvalError::Cancelled);
                    }
                    Err(e) => return Err(wrap(e)),
                }
            }
            BoundExprKind::Cast { expr, to } => {
                let v = self.eval(expr, input)?;
                kernels::cast(&v, *to, rows)
            }
            BoundExprKind::ToScalar(plan) => {
                let t = self.run(plan)?;
                let v = t.column_at(0).map_or(Value::Null, |(_, c)| c.get(0));
                ColumnarValue::Scalar(v, e.ty)
            }
            BoundExprKind::RowNumber { start, restart } => {
                let restart = match restart {
                    Some(r) => Some(self.eval(r, input)?),
                    None => None,
                };
                let mut n = *start;
                let v = (0..rows)
                    .map(|i| {
                        let reset = i > 0
                            && restart
                                .as_ref()
                                .is_some_and(|r| matches!(r.get(i), Value::Bool(true)));
                        if reset {
                            n = *start;
                        }
                        let out = n;
                        n += 1;
                        out
                    })
                    .collect();
                ColumnarValue::Column(Arc::new(Column::new(ColumnData::Long(v))))
            }
            BoundExprKind::Shift {
                expr,
                offset,
                default,
                forward,
            } => {
                let v = self.eval(expr, input)?.into_column(rows);
                let d = match default {
                    Some(d) => Some(self.eval(d, input)?),
                    None => None,
                };
                let mut b = ColumnBuilder::new(e.ty, rows);
                for i in 0..rows {
                    let src = if *forward {
                        i.checked_add(*offset).filter(|j| *j < rows)
                    } else {
                        i.checked_sub(*offset)
                    };
                    let value = match (src, &d) {
                        (Some(j), _) => v.get(j),
                        (None, Some(d)) => d.get(i),
                        (None, None) => Value::Null,
                    };
                    if b.push(&value).is_err() {
                        b.push_null();
                    }
                }
                ColumnarValue::Column(Arc::new(b.finish()))
            }
        })
    }
}

/// The first column of a table as values, dynamic arrays flattened (the
/// right side of `in (T | project x)`).
fn first_column_values(t: &Table) -> Vec<Value> {
    let Some((_, c)) = t.column_at(0) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(c.len());
    for i in 0..c.len() {
        match c.get(i) {
            Value::Dynamic(crate::value::Dynamic::Array(items)) => {
                out.extend(items.iter().map(dynamic_to_value));
            }
            v => out.push(v),
        }
    }
    out
}
