//! Binding the `evaluate` plugins `rows_near`, `preview` and
//! `funnel_sequence`.
//!
//! `preview` and `funnel_sequence` return several tables: the first is the
//! operator's result and the others are kept beside it, as `fork` keeps its
//! legs (see [`super::fork`]).

use std::sync::Arc;

use kqlite_parser::ast::{self, Operator, OperatorKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::plan::{BoundExpr, BoundExprKind, Plan, PluginKind, Schema, Timeline};
use super::{BResult, Binder};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

type Bound = (Arc<Plan>, Schema);

/// Most analysis windows `funnel_sequence` may have.
const MAX_WINDOWS: i64 = 100_000;

/// Which of `funnel_sequence`'s three tables a plugin node computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelTable {
    /// Table 1: distinct ids per (window, prev, next).
    PrevNext,
    /// Table 2: distinct ids per (window, prev).
    Prev,
    /// Table 3: distinct ids per (window, next).
    Next,
}

/// The constant arguments of one `funnel_sequence` table.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelSequence {
    /// Analysis windows: `[Start, End)` in steps of `Step`.
    pub timeline: Timeline,
    /// Longest time between two consecutive states of an occurrence
    /// (`MaxSequenceStepWindow`), and between the occurrence and its
    /// previous and next states.
    pub step_window: i64,
    /// The states in order, runs of one state made one.
    pub sequence: Vec<String>,
    /// The table this node computes.
    pub table: FunnelTable,
}

impl Binder<'_> {
    /// Binds the plugins of this module; `None` for other plugin names.
    pub(crate) fn bind_extra_plugin(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> Option<BResult<Bound>> {
        let name = call.name.name.as_str();
        if !matches!(name, "rows_near" | "preview" | "funnel_sequence") {
            return None;
        }
        if let Some((n, _)) = call.named.first() {
            return Some(Err(self.fail(names::error(
                codes::INVALID,
                format!("`{name}` has no parameter `{}`", n.name),
                n.span,
            ))));
        }
        Some(match name {
            "rows_near" => self.bind_rows_near(call, input, schema, span),
            "preview" => self.bind_preview(call, input, schema, span),
            _ => self.bind_funnel_sequence(call, input, schema, span),
        })
    }

    /// A constant count argument: an int or long from 0 up.
    fn count_arg(&mut self, e: &ast::Expr, what: &str) -> BResult<i64> {
        match self.constant_arg(e, what)?.0 {
            Value::Int(n) if n >= 0 => Ok(i64::from(n)),
            Value::Long(n) if n >= 0 => Ok(n),
            _ => Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!("{what} must be a non-negative int"),
                e.span,
            ))),
        }
    }

    /// A `Sequence` argument: a non-empty constant dynamic array of states,
    /// as text.
    pub(super) fn sequence_arg(&mut self, e: &ast::Expr) -> BResult<Vec<String>> {
        match self.constant_arg(e, "`Sequence`")?.0 {
            Value::Dynamic(Dynamic::Array(items)) if !items.is_empty() => Ok(items
                .iter()
                .map(|d| match d {
                    Dynamic::String(s) => s.to_string(),
                    other => other.to_json().to_string(),
                })
                .collect()),
            _ => Err(self.fail(names::error(
                codes::INVALID,
                "`Sequence` must be a non-empty dynamic array of states",
                e.span,
            ))),
        }
    }

    /// `rows_near(Condition, NumRows [, RowsAfter])`: the input rows
    /// within `NumRows` before or `RowsAfter` (default `NumRows`) after a
    /// row whose condition is true, in input order.
    fn bind_rows_near(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let (cond, before, after) = match call.args.as_slice() {
            [cond, before] => (cond, before, None),
            [cond, before, after] => (cond, before, Some(after)),
            _ => {
                return Err(self.fail(names::error(
                    codes::ARITY,
                    "`rows_near` takes (Condition, NumRows [, RowsAfter])",
                    call.name.span,
                )))
            }
        };
        let c = self.bind_scalar(cond, Some(schema))?;
        if c.ty != DataType::Bool {
            return Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!("the `rows_near` condition must be a bool, got {}", c.ty),
                cond.span,
            )));
        }
        let before = self.count_arg(before, "`NumRows`")?;
        let after = match after {
            Some(e) => self.count_arg(e, "`RowsAfter`")?,
            None => before,
        };
        let mut columns: Vec<(String, BoundExpr)> = schema
            .iter()
            .enumerate()
            .map(|(i, (n, t))| {
                let e = BoundExpr {
                    kind: BoundExprKind::Column(i),
                    ty: *t,
                    span,
                };
                (n.clone(), e)
            })
            .collect();
        let taken: Vec<&str> = schema.iter().map(|(n, _)| n.as_str()).collect();
        columns.push((names::unique_name("Condition", &taken), c));
        let projected = Arc::new(Plan::Project {
            input: input.clone(),
            columns,
        });
        let kind = PluginKind::RowsNear { before, after };
        Ok(Self::plugin_plan(
            projected,
            Vec::new(),
            kind,
            schema.clone(),
            span,
        ))
    }

    /// `preview(NumberOfRows)`: the first `NumberOfRows` rows, then a
    /// second table with the input's row count (`Count`).
    fn bind_preview(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let [rows] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`preview` takes (NumberOfRows)",
                call.name.span,
            )));
        };
        self.count_arg(rows, "`NumberOfRows`")?;
        let take = Operator {
            kind: OperatorKind::Take(rows.clone()),
            span,
        };
        let count = Operator {
            kind: OperatorKind::Count,
            span,
        };
        let first = self.bind_operator(&take, input.clone(), schema.clone())?;
        let second = self.bind_operator(&count, input.clone(), schema.clone())?;
        self.start_results(
            vec![
                (String::new(), first.0, first.1),
                (String::new(), second.0, second.1),
            ],
            span,
        )
    }

    /// `funnel_sequence(IdColumn, TimelineColumn, Start, End,
    /// MaxSequenceStepWindow, Step, StateColumn, Sequence)`: three tables
    /// (prev and next states of the sequence, prev only, next only).
    fn bind_funnel_sequence(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let [id, time, start, end, window, step, state, sequence] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`funnel_sequence` takes (IdColumn, TimelineColumn, Start, End, \
                 MaxSequenceStepWindow, Step, StateColumn, Sequence)",
                call.name.span,
            )));
        };
        let id_b = self.bind_scalar(id, Some(schema))?;
        let time_b = self.bind_scalar(time, Some(schema))?;
        let state_b = self.bind_scalar(state, Some(schema))?;
        let tty = time_b.ty;
        if !matches!(
            tty,
            DataType::DateTime | DataType::TimeSpan | DataType::Long | DataType::Int
        ) {
            return Err(self.fail(names::error(
                codes::TYPE_MISMATCH,
                format!("the timeline column must be a datetime, timespan or long, got {tty}"),
                time.span,
            )));
        }
        let s = self.timeline_arg(start, tty, false, "`Start`")?;
        let e = self.timeline_arg(end, tty, false, "`End`")?;
        let step_window = self.timeline_arg(window, tty, true, "`MaxSequenceStepWindow`")?;
        let st = self.timeline_arg(step, tty, true, "`Step`")?;
        if st <= 0 || e < s || (e - s) / st > MAX_WINDOWS || step_window < 0 {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "`Step` must be positive and make at most {MAX_WINDOWS} windows from \
                     `Start` to `End`, and `MaxSequenceStepWindow` must not be negative"
                ),
                step.span,
            )));
        }
        let mut states = self.sequence_arg(sequence)?;
        states.dedup();
        let time_name = names::derived_name(time).unwrap_or_else(|| "Timeline".into());
        let projected = Arc::new(Plan::Project {
            input: input.clone(),
            columns: vec![
                ("a0".into(), id_b),
                ("a1".into(), time_b),
                ("a2".into(), state_b),
            ],
        });
        let timeline = Timeline {
            start: s,
            end: e,
            step: st,
        };
        let spec = |table| FunnelSequence {
            timeline,
            step_window,
            sequence: states.clone(),
            table,
        };
        let tables = [
            (FunnelTable::PrevNext, vec!["prev", "next"]),
            (FunnelTable::Prev, vec!["prev"]),
            (FunnelTable::Next, vec!["next"]),
        ];
        let mut results = Vec::with_capacity(tables.len());
        for (table, keys) in tables {
            let mut columns: Schema = vec![(time_name.clone(), tty)];
            columns.extend(keys.into_iter().map(|k| (k.to_string(), DataType::String)));
            columns.push(("dcount".into(), DataType::Long));
            columns.push(("samples".into(), DataType::Dynamic));
            let kind = PluginKind::FunnelSequence(Arc::new(spec(table)));
            let (plan, columns) =
                Self::plugin_plan(projected.clone(), Vec::new(), kind, columns, span);
            results.push((String::new(), plan, columns));
        }
        self.start_results(results, span)
    }
}
