//! Binding the `evaluate` plugins `narrow`, `dcount_intersect` and
//! `funnel_sequence_completion` into [`Plan::Plugin`].

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::plan::{BoundExpr, BoundExprKind, Plan, PluginKind, PluginSpec, Schema, Timeline};
use super::{BResult, Binder, Reported};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

type Bound = (Arc<Plan>, Schema);

/// Most windows a funnel may have.
const MAX_WINDOWS: i64 = 100_000;

fn plugin(input: Arc<Plan>, kind: PluginKind, columns: Schema, span: Span) -> Bound {
    (
        Arc::new(Plan::Plugin {
            input,
            others: Vec::new(),
            spec: Arc::new(PluginSpec {
                kind,
                columns: columns.clone(),
                span,
            }),
        }),
        columns,
    )
}

impl Binder<'_> {
    fn more_error(&mut self, message: String, span: Span) -> Reported {
        self.fail(names::error(codes::INVALID, message, span))
    }

    fn more_constant(&mut self, e: &Expr, what: &str) -> BResult<(Value, DataType)> {
        self.constant_arg(e, what)
    }

    /// The plugins of this module.
    pub(crate) fn bind_more_plugin(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let name = call.name.name.as_str();
        if let Some((n, _)) = call.named.first().filter(|_| name != "sequence_detect") {
            return Err(self.more_error(format!("`{name}` has no parameter `{}`", n.name), n.span));
        }
        match name {
            "narrow" => {
                if let Some(a) = call.args.first() {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        "`narrow` takes no arguments",
                        a.span,
                    )));
                }
                let columns = vec![
                    ("Row".into(), DataType::Long),
                    ("Column".into(), DataType::String),
                    ("Value".into(), DataType::String),
                ];
                Ok(plugin(input.clone(), PluginKind::Narrow, columns, span))
            }
            "dcount_intersect" => {
                if !(2..=16).contains(&call.args.len()) {
                    return Err(self.fail(names::error(
                        codes::ARITY,
                        "`dcount_intersect` takes 2 to 16 hll values",
                        call.name.span,
                    )));
                }
                let mut cols: Vec<(String, BoundExpr)> = schema
                    .iter()
                    .enumerate()
                    .map(|(i, (n, t))| {
                        (
                            n.clone(),
                            BoundExpr {
                                kind: BoundExprKind::Column(i),
                                ty: *t,
                                span,
                            },
                        )
                    })
                    .collect();
                for (i, a) in call.args.iter().enumerate() {
                    let b = self.bind_scalar(a, Some(schema))?;
                    if b.ty != DataType::Dynamic {
                        return Err(self.fail(names::with_hint(
                            names::error(
                                codes::TYPE_MISMATCH,
                                format!("`dcount_intersect` takes hll values, got {}", b.ty),
                                a.span,
                            ),
                            "compute them with `summarize hll(x)`",
                        )));
                    }
                    cols.push((format!("__hll{i}"), b));
                }
                let mut out: Schema = schema.clone();
                for i in 0..call.args.len() {
                    let n = format!("s{i}");
                    out.retain(|(c, _)| *c != n);
                    out.push((n, DataType::Long));
                }
                let projected = Arc::new(Plan::Project {
                    input: input.clone(),
                    columns: cols,
                });
                let kind = PluginKind::DcountIntersect {
                    count: call.args.len(),
                };
                Ok(plugin(projected, kind, out, span))
            }
            "sequence_detect" => self.bind_sequence_detect(call, input, schema, span),
            "basket" | "autocluster" => self.bind_basket(call, input, schema, span),
            "diffpatterns" => self.bind_diffpatterns(call, input, schema, span),
            _ => self.bind_funnel_completion(call, input, schema, span),
        }
    }

    /// `funnel_sequence_completion(Id, Timeline, Start, End, Step, State,
    /// Sequence, MaxSequenceStepWindows)`.
    fn bind_funnel_completion(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let [id, time, start, end, step, state, sequence, periods] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`funnel_sequence_completion` takes (IdColumn, TimelineColumn, Start, End, Step, \
                 StateColumn, Sequence, MaxSequenceStepWindows)",
                call.name.span,
            )));
        };
        let id_b = self.bind_scalar(id, Some(schema))?;
        let time_b = self.bind_scalar(time, Some(schema))?;
        if time_b.ty != DataType::DateTime {
            return Err(self.more_error(
                format!("the timeline column must be a datetime, got {}", time_b.ty),
                time.span,
            ));
        }
        let state_b = self.bind_scalar(state, Some(schema))?;
        let time_name = names::derived_name(time).unwrap_or_else(|| "Timeline".into());
        let state_name = names::derived_name(state).unwrap_or_else(|| "State".into());
        let ticks = |v: &Value| match v {
            Value::DateTime(t) | Value::TimeSpan(t) => Some(*t),
            _ => None,
        };
        let start_v = self.more_constant(start, "`Start`")?;
        let end_v = self.more_constant(end, "`End`")?;
        let step_v = self.more_constant(step, "`Step`")?;
        let (Some(s), Some(e), Some(st)) = (ticks(&start_v.0), ticks(&end_v.0), ticks(&step_v.0))
        else {
            return Err(self.more_error(
                "`Start` and `End` must be datetimes and `Step` a timespan".into(),
                start.span.to(step.span),
            ));
        };
        if st <= 0 || e < s || (e - s) / st > MAX_WINDOWS {
            return Err(self.more_error(
                format!("`Step` must be positive and make at most {MAX_WINDOWS} windows"),
                step.span,
            ));
        }
        let seq = self.sequence_arg(sequence)?;
        let windows = match self.more_constant(periods, "`MaxSequenceStepWindows`")?.0 {
            Value::Dynamic(Dynamic::Array(items)) => items
                .iter()
                .map(|d| match d {
                    Dynamic::TimeSpan(t) => Some(*t),
                    Dynamic::String(s) => crate::time::parse_timespan(s),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>(),
            Value::TimeSpan(t) => Some(vec![t]),
            _ => None,
        };
        let Some(windows) = windows.filter(|w| !w.is_empty()) else {
            return Err(self.more_error(
                "`MaxSequenceStepWindows` must be a dynamic array of timespans".into(),
                periods.span,
            ));
        };
        let projected = Arc::new(Plan::Project {
            input: input.clone(),
            columns: vec![
                ("a0".into(), id_b),
                ("a1".into(), time_b),
                ("a2".into(), state_b),
            ],
        });
        let columns = vec![
            (time_name, DataType::DateTime),
            (state_name, DataType::String),
            ("Period".into(), DataType::TimeSpan),
            ("dcount".into(), DataType::Long),
        ];
        let kind = PluginKind::FunnelSequenceCompletion {
            timeline: Timeline {
                start: s,
                end: e,
                step: st,
            },
            sequence: seq,
            periods: windows,
        };
        Ok(plugin(projected, kind, columns, span))
    }
}

impl Binder<'_> {
    /// `sequence_detect(Timeline, MaxStepWindow, MaxSpan, e1 = Pred, ...,
    /// Dim, ...)`: predicates are the named arguments and the bool
    /// positional ones; the other positional arguments are dimensions.
    fn bind_sequence_detect(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let [time, step, whole, rest @ ..] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`sequence_detect` takes (TimelineColumn, MaxSequenceStepWindow, \
                 MaxSequenceSpan, Expr1, Expr2, ..., Dim1, ...)",
                call.name.span,
            )));
        };
        let time_b = self.bind_scalar(time, Some(schema))?;
        if !matches!(
            time_b.ty,
            DataType::DateTime | DataType::TimeSpan | DataType::Long
        ) {
            return Err(self.more_error(
                format!("the timeline column must be a datetime, got {}", time_b.ty),
                time.span,
            ));
        }
        let time_name = names::derived_name(time).unwrap_or_else(|| "Timeline".into());
        let window = |this: &mut Self, e: &Expr, what: &str| -> BResult<i64> {
            match this.more_constant(e, what)?.0 {
                Value::TimeSpan(t) | Value::Long(t) if t >= 0 => Ok(t),
                Value::Int(t) if t >= 0 => Ok(i64::from(t)),
                _ => Err(this.more_error(format!("{what} must be a timespan"), e.span)),
            }
        };
        let step_window = window(self, step, "`MaxSequenceStepWindow`")?;
        let max_span = window(self, whole, "`MaxSequenceSpan`")?;
        let mut steps: Vec<(String, BoundExpr)> = Vec::new();
        for (n, e) in &call.named {
            let b = self.bind_scalar(e, Some(schema))?;
            if b.ty != DataType::Bool {
                return Err(self.more_error(
                    format!("a sequence step must be a bool predicate, got {}", b.ty),
                    e.span,
                ));
            }
            steps.push((n.name.clone(), b));
        }
        let mut dims: Vec<(String, BoundExpr)> = Vec::new();
        for e in rest {
            let b = self.bind_scalar(e, Some(schema))?;
            if b.ty == DataType::Bool && dims.is_empty() {
                let n = format!("Expr{}", steps.len() + 1);
                steps.push((n, b));
                continue;
            }
            let n = names::derived_name(e).unwrap_or_else(|| format!("Dim{}", dims.len() + 1));
            dims.push((n, b));
        }
        if steps.is_empty() {
            return Err(self.more_error(
                "`sequence_detect` needs at least one step predicate".into(),
                call.name.span,
            ));
        }
        let mut columns: Schema = dims.iter().map(|(n, b)| (n.clone(), b.ty)).collect();
        for (n, _) in &steps {
            columns.push((format!("{n}_{time_name}"), time_b.ty));
        }
        columns.push(("Duration".into(), DataType::TimeSpan));
        let kind = PluginKind::SequenceDetect {
            steps: steps.len(),
            dims: dims.len(),
            step_window,
            span: max_span,
        };
        let mut projected = vec![("t".to_string(), time_b)];
        for (i, (_, b)) in steps.into_iter().enumerate() {
            projected.push((format!("e{i}"), b));
        }
        for (i, (_, b)) in dims.into_iter().enumerate() {
            projected.push((format!("d{i}"), b));
        }
        let projected = Arc::new(Plan::Project {
            input: input.clone(),
            columns: projected,
        });
        Ok(plugin(projected, kind, columns, span))
    }
}

/// Whether a plugin argument is `~` (the default).
fn is_default(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Literal(ast::Literal::String(s)) if s == "~")
}

impl Binder<'_> {
    /// `basket([Threshold, WeightColumn, MaxDimensions, CustomWildcard, ...])`
    /// and `autocluster([SizeWeight, WeightColumn, NumSeeds, CustomWildcard,
    /// ...])`.
    fn bind_basket(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let autocluster = call.name.name == "autocluster";
        let mut threshold = if autocluster { 0.5 } else { 0.05 };
        let mut weight = None;
        let mut max_dimensions = if autocluster { 25usize } else { 5 };
        let mut wildcards: Vec<(DataType, Value)> = Vec::new();
        for (i, a) in call.args.iter().enumerate() {
            if is_default(a) {
                continue;
            }
            match i {
                0 => {
                    let t = match self.more_constant(a, "`Threshold`")?.0 {
                        Value::Real(r) => r,
                        Value::Long(l) => l as f64,
                        Value::Int(n) => f64::from(n),
                        _ => -1.0,
                    };
                    let lowest = if autocluster { 0.0 } else { 0.015 };
                    if !(lowest..=1.0).contains(&t) {
                        let what = if autocluster {
                            "`SizeWeight` must be a number from 0 to 1"
                        } else {
                            "`Threshold` must be a number from 0.015 to 1"
                        };
                        return Err(self.more_error(what.into(), a.span));
                    }
                    threshold = t;
                }
                1 => {
                    let ExprKind::Name(id) = &a.kind else {
                        return Err(self.more_error(
                            "`WeightColumn` must name a numeric column".into(),
                            a.span,
                        ));
                    };
                    match schema.iter().position(|(n, _)| *n == id.name) {
                        Some(c)
                            if matches!(
                                schema.get(c).map(|x| x.1),
                                Some(DataType::Int | DataType::Long | DataType::Real)
                            ) =>
                        {
                            weight = Some(c)
                        }
                        Some(_) => {
                            return Err(self.more_error(
                                "`WeightColumn` must be an int, long or real column".into(),
                                a.span,
                            ))
                        }
                        None => return Err(self.unknown_column(&id.name, id.span, schema)),
                    }
                }
                2 => match self.more_constant(a, "a count")?.0 {
                    Value::Int(n) if n > 0 => max_dimensions = (n as usize).min(1000),
                    Value::Long(n) if n > 0 => max_dimensions = n.min(1000) as usize,
                    _ => {
                        let what = if autocluster {
                            "`NumSeeds`"
                        } else {
                            "`MaxDimensions`"
                        };
                        return Err(
                            self.more_error(format!("{what} must be a positive integer"), a.span)
                        );
                    }
                },
                _ => {
                    let (v, ty) = self.more_constant(a, "a custom wildcard")?;
                    wildcards.retain(|(t, _)| *t != ty);
                    wildcards.push((ty, v));
                }
            }
        }
        let mut columns: Schema = vec![
            ("SegmentId".into(), DataType::Long),
            ("Count".into(), DataType::Long),
            ("Percent".into(), DataType::Real),
        ];
        for (i, (n, t)) in schema.iter().enumerate() {
            if Some(i) != weight {
                // An input column named like an output one gets a suffix.
                let taken: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
                let n = names::unique_name(n, &taken);
                columns.push((n, *t));
            }
        }
        let kind = if autocluster {
            PluginKind::Autocluster {
                size_weight: threshold,
                weight,
                seeds: max_dimensions,
                wildcards,
            }
        } else {
            PluginKind::Basket {
                threshold,
                weight,
                max_dimensions,
                wildcards,
            }
        };
        Ok(plugin(input.clone(), kind, columns, span))
    }
}

impl Binder<'_> {
    /// `diffpatterns(SplitColumn, SplitValueA, SplitValueB [, WeightColumn,
    /// Threshold, MaxDimensions, CustomWildcard, ...])`.
    fn bind_diffpatterns(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let [split, a, b, rest @ ..] = call.args.as_slice() else {
            return Err(self.fail(names::error(
                codes::ARITY,
                "`diffpatterns` takes (SplitColumn, SplitValueA, SplitValueB, ...)",
                call.name.span,
            )));
        };
        let ExprKind::Name(id) = &split.kind else {
            return Err(self.more_error("`SplitColumn` must name a column".into(), split.span));
        };
        let Some(split_at) = schema.iter().position(|(n, _)| *n == id.name) else {
            return Err(self.unknown_column(&id.name, id.span, schema));
        };
        let text = |this: &mut Self, e: &Expr| -> BResult<String> {
            match this.more_constant(e, "a split value")?.0 {
                v @ (Value::String(_)
                | Value::Long(_)
                | Value::Int(_)
                | Value::Bool(_)
                | Value::Real(_)) => match crate::kernels::convert_value(&v, DataType::String) {
                    Value::String(s) => Ok(s.to_string()),
                    _ => Err(this.more_error("a split value must be a constant".into(), e.span)),
                },
                _ => Err(this.more_error("a split value must be a constant".into(), e.span)),
            }
        };
        let a_text = text(self, a)?;
        let b_text = text(self, b)?;
        let mut weight = None;
        let mut threshold = 0.05;
        let mut max_dimensions = usize::MAX;
        let mut wildcards: Vec<(DataType, Value)> = Vec::new();
        for (i, e) in rest.iter().enumerate() {
            if is_default(e) {
                continue;
            }
            match i {
                0 => {
                    let ExprKind::Name(w) = &e.kind else {
                        return Err(
                            self.more_error("`WeightColumn` must name a column".into(), e.span)
                        );
                    };
                    match schema.iter().position(|(n, _)| *n == w.name) {
                        Some(c) => weight = Some(c),
                        None => return Err(self.unknown_column(&w.name, w.span, schema)),
                    }
                }
                1 => {
                    let t = match self.more_constant(e, "`Threshold`")?.0 {
                        Value::Real(r) => r,
                        Value::Long(l) => l as f64,
                        _ => -1.0,
                    };
                    if !(0.015..=1.0).contains(&t) {
                        return Err(self.more_error(
                            "`Threshold` must be a number from 0.015 to 1".into(),
                            e.span,
                        ));
                    }
                    threshold = t;
                }
                2 => match self.more_constant(e, "`MaxDimensions`")?.0 {
                    Value::Int(n) if n > 0 => max_dimensions = n as usize,
                    Value::Long(n) if n > 0 => max_dimensions = n.min(1000) as usize,
                    _ => {
                        return Err(self.more_error(
                            "`MaxDimensions` must be a positive integer".into(),
                            e.span,
                        ))
                    }
                },
                _ => {
                    let (v, ty) = self.more_constant(e, "a custom wildcard")?;
                    wildcards.retain(|(t, _)| *t != ty);
                    wildcards.push((ty, v));
                }
            }
        }
        let mut columns: Schema = vec![
            ("SegmentId".into(), DataType::Long),
            ("CountA".into(), DataType::Long),
            ("CountB".into(), DataType::Long),
            ("PercentA".into(), DataType::Real),
            ("PercentB".into(), DataType::Real),
            ("PercentDiffAB".into(), DataType::Real),
        ];
        for (i, (n, t)) in schema.iter().enumerate() {
            if Some(i) != weight && i != split_at {
                let taken: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
                let n = names::unique_name(n, &taken);
                columns.push((n, *t));
            }
        }
        let kind = PluginKind::Diffpatterns {
            split: split_at,
            a: a_text,
            b: b_text,
            weight,
            threshold,
            max_dimensions,
            wildcards,
        };
        Ok(plugin(input.clone(), kind, columns, span))
    }
}
