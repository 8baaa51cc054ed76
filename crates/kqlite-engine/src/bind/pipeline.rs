//! Binding a pipeline (`T | op1 | op2 | ...`) as the flat chain it is: the
//! stages are bound in a loop, so a pipeline of thousands of operators binds in time linear in
//! its length and with constant stack. Consecutive `extend`s become one
//! [`Plan::Extend`] (its items already read the input as extended by the
//! items before them), so long `extend` chains do not deepen the plan
//! either; any other stage counts towards the plan-depth limit that keeps
//! evaluation within its stack.

use std::sync::Arc;

use kqlite_parser::ast::{Expr, ExprKind, Operator};

use super::names;
use super::ops::{defines_columns, keeps_input_columns, Bound};
use super::plan::Plan;
use super::{codes, BResult, Binder, Reported, MAX_PLAN_DEPTH};

impl Binder<'_> {
    /// Binds the pipeline `e` (an [`ExprKind::Pipe`]): its source, then
    /// each operator in order over the one before. An operator that fails
    /// is reported and skipped, so the operators after it are checked too;
    /// after one that may define names, unknown names are accepted.
    pub(crate) fn bind_pipeline(&mut self, e: &Expr) -> BResult<Bound> {
        let ExprKind::Pipe { input, ops } = &e.kind else {
            return self.bind_tabular(e);
        };
        let (mut plan, mut schema) = self.bind_tabular(input)?;
        let depth = self.plan_depth;
        let result = self.bind_stages(ops, &mut plan, &mut schema);
        self.plan_depth = depth;
        result.map(|()| (plan, schema))
    }

    /// Binds each stage over `plan` and `schema`, updating both.
    fn bind_stages(
        &mut self,
        ops: &[Operator],
        plan: &mut Arc<Plan>,
        schema: &mut super::Schema,
    ) -> BResult<()> {
        for op in ops {
            if self.out_of_time(op.span) {
                return Err(Reported);
            }
            let open = self.is_open(schema);
            // The operator takes the schema; should it fail, the input's
            // schema is needed again. Copying it for every stage would make
            // a long chain of `extend`s quadratic, so only a schema the plan
            // cannot tell (columns known at run time) is copied.
            let backup = open.then(|| schema.clone());
            let bound = match self.bind_operator(op, Arc::clone(plan), std::mem::take(schema)) {
                Ok(bound) => bound,
                // Go on with the operator's input, so the operators after it
                // are checked too; after one that may define names, accept
                // unknown ones.
                Err(Reported) => {
                    *schema = backup
                        .or_else(|| plan.schema(self.catalog))
                        .unwrap_or_default();
                    if defines_columns(&op.kind) {
                        self.start_recovering();
                    } else {
                        self.count_failure();
                    }
                    continue;
                }
            };
            let (next, next_schema) = self.follow_fork(op, plan, bound)?;
            // The input is held by `next` alone now (unless a `let`, an `as`
            // or a `fork` keeps it too), so two `extend`s can merge in place.
            *plan = next;
            let merged = merge_extends(plan);
            if !merged {
                if self.plan_depth >= MAX_PLAN_DEPTH {
                    return Err(self.fail(names::with_hint(
                        names::error(
                            codes::INVALID,
                            format!(
                                "the pipeline has more than {MAX_PLAN_DEPTH} operators \
                                 (apart from consecutive `extend`s) in a row"
                            ),
                            op.span,
                        ),
                        "split it with `let` statements and `materialize()`, or merge \
                         consecutive `where`s with `and`",
                    )));
                }
                self.plan_depth += 1;
            }
            *schema = next_schema;
            // Operators that keep every input column keep the schema open.
            if open && keeps_input_columns(&op.kind) && !self.open_schemas.contains(schema) {
                self.open_schemas.push(schema.clone());
            }
        }
        Ok(())
    }
}

/// Merges `Extend(Extend(input, a), b)` into `Extend(input, a ++ b)` when
/// nothing else holds the inner node; returns whether it did. The items of
/// `b` were bound against the output of the inner node, which is what the
/// merged node's items after `a` read.
fn merge_extends(plan: &mut Arc<Plan>) -> bool {
    let Some(Plan::Extend { input, columns }) = Arc::get_mut(plan) else {
        return false;
    };
    let Some(Plan::Extend {
        input: inner_input,
        columns: inner_columns,
    }) = Arc::get_mut(input)
    else {
        return false;
    };
    let mut merged = std::mem::take(inner_columns);
    let below = Arc::clone(inner_input);
    merged.append(columns);
    *columns = merged;
    *input = below;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;

    fn extend_chain(n: usize) -> String {
        let mut q = String::from("print x = 1");
        for i in 0..n {
            let prev = if i == 0 {
                "x".to_string()
            } else {
                format!("a{}", i - 1)
            };
            q.push_str(&format!(" | extend a{i} = {prev} + 1"));
        }
        q
    }

    #[test]
    fn ten_thousand_chained_extends_bind_to_one_extend_and_run() {
        let engine = Engine::new();
        let t = engine.run(&extend_chain(10_000)).expect("runs");
        assert_eq!(t.num_columns(), 10_001);
        let last = t.column("a9999").map(|c| c.get(0));
        assert_eq!(last, Some(crate::value::Value::Long(10_001)));
    }

    #[test]
    fn merged_extends_keep_replacing_a_column_in_place() {
        let engine = Engine::new();
        let t = engine
            .run("print x = 1, y = 2 | extend x = x + 10 | extend z = x | extend x = z * 2")
            .expect("runs");
        let names: Vec<&str> = t.column_names().collect();
        assert_eq!(names, ["x", "y", "z"]);
        let x = t.column("x").map(|c| c.get(0));
        assert_eq!(x, Some(crate::value::Value::Long(22)));
    }

    #[test]
    fn a_long_chain_of_other_operators_fails_with_a_clean_error() {
        let mut q = String::from("print x = 1");
        for _ in 0..(MAX_PLAN_DEPTH + 10) {
            q.push_str(" | where x > 0");
        }
        let engine = Engine::new();
        let err = engine
            .run(&q)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("more than 512 operators"), "{err}");
    }

    #[test]
    fn an_extend_shared_with_a_let_is_not_merged_into_its_reader() {
        let engine = Engine::new();
        let t = engine
            .run("let T = print x = 1 | extend y = x + 1; T | extend z = y + 1 | union (T | extend z = 0)")
            .expect("runs");
        assert_eq!(t.num_rows(), 2);
    }
}
