//! Binding `evaluate` plugins with a fixed output schema into
//! [`Plan::Plugin`]: the input is projected to the columns the plugin reads
//! and every constant argument is folded here.

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::plan::{BoundExpr, BoundExprKind, Plan, PluginKind, PluginSpec, Schema, Timeline};
use super::{BResult, Binder, Reported};
use crate::types::DataType;
use crate::value::Value;

type Bound = (Arc<Plan>, Schema);

/// Most bins a time-window plugin's timeline may have.
const MAX_BINS: i64 = 1_000_000;

/// A bound plugin argument naming an input column.
struct ColumnArg {
    name: String,
    expr: BoundExpr,
}

/// The time-window plugins sharing `(IdColumn, TimelineColumn, Start, End,
/// ...)` arguments.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Windowed {
    SlidingWindowCounts,
    ActiveUsersCount,
    SessionCount,
    ActivityEngagement,
    ActivityMetrics,
    ActivityCountsMetrics,
    NewActivityMetrics,
}

impl Windowed {
    fn of(name: &str) -> Option<Windowed> {
        Some(match name {
            "sliding_window_counts" => Windowed::SlidingWindowCounts,
            "active_users_count" => Windowed::ActiveUsersCount,
            "session_count" => Windowed::SessionCount,
            "activity_engagement" => Windowed::ActivityEngagement,
            "activity_metrics" => Windowed::ActivityMetrics,
            "activity_counts_metrics" => Windowed::ActivityCountsMetrics,
            "new_activity_metrics" => Windowed::NewActivityMetrics,
            _ => return None,
        })
    }

    /// Number of constant arguments after the id and timeline columns.
    fn constants(self) -> usize {
        match self {
            Windowed::SlidingWindowCounts => 4,
            Windowed::ActiveUsersCount => 6,
            Windowed::SessionCount => 4,
            Windowed::ActivityEngagement => 4,
            Windowed::ActivityMetrics => 3,
            Windowed::ActivityCountsMetrics => 3,
            Windowed::NewActivityMetrics => 3,
        }
    }
}

/// Integer form of a timeline constant.
fn ticks_of(v: &Value) -> Option<i64> {
    match v {
        Value::DateTime(t) | Value::TimeSpan(t) | Value::Long(t) => Some(*t),
        Value::Int(t) => Some(i64::from(*t)),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e18 => Some(*r as i64),
        _ => None,
    }
}

/// Whether a constant of type `constant` can place or size bins of a
/// timeline of type `timeline` (`span` true for a size).
fn fits_timeline(timeline: DataType, constant: DataType, span: bool) -> bool {
    let numeric = |t: DataType| matches!(t, DataType::Int | DataType::Long | DataType::Real);
    match timeline {
        DataType::DateTime if span => constant == DataType::TimeSpan,
        DataType::DateTime => constant == DataType::DateTime,
        DataType::TimeSpan => constant == DataType::TimeSpan,
        DataType::Int | DataType::Long => numeric(constant),
        _ => false,
    }
}

impl Binder<'_> {
    /// Binds the plugins of this module; `None` for other plugin names.
    pub(crate) fn bind_fixed_plugin(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> Option<BResult<Bound>> {
        let name = call.name.name.as_str();
        if let Some(bound) = self.bind_extra_plugin(call, input, schema, span) {
            return Some(bound);
        }
        if let Some(w) = Windowed::of(name) {
            return Some(self.bind_windowed(w, call, input, schema, span));
        }
        Some(match name {
            "rolling_percentile" => self.bind_rolling_percentile(call, input, schema, span),
            "ipv4_lookup" => self.bind_ip_lookup(false, call, input, schema, span),
            "ipv6_lookup" => self.bind_ip_lookup(true, call, input, schema, span),
            "schema_merge" => self.bind_schema_merge(call, input, schema, span),
            "geo_polygon_lookup" | "geo_line_lookup" if !cfg!(feature = "geo") => {
                Err(self.fail(names::not_in_build(name, "geo", call.name.span)))
            }
            "geo_polygon_lookup" => self.bind_geo_lookup(false, call, input, schema, span),
            "geo_line_lookup" => self.bind_geo_lookup(true, call, input, schema, span),
            "narrow"
            | "dcount_intersect"
            | "funnel_sequence_completion"
            | "sequence_detect"
            | "basket"
            | "autocluster"
            | "diffpatterns" => self.bind_more_plugin(call, input, schema, span),
            _ => return None,
        })
    }

    fn plugin_error(&mut self, code: &'static str, message: String, span: Span) -> Reported {
        self.fail(names::error(code, message, span))
    }

    /// A column-valued argument, named after the column it reads.
    fn column_arg(&mut self, e: &Expr, schema: &Schema) -> BResult<ColumnArg> {
        let expr = self.bind_scalar(e, Some(schema))?;
        let name = names::derived_name(e).unwrap_or_else(|| crate::naming::unnamed_column(1));
        Ok(ColumnArg { name, expr })
    }

    /// A constant argument.
    pub(super) fn constant_arg(&mut self, e: &Expr, what: &str) -> BResult<(Value, DataType)> {
        let b = self.bind_scalar(e, None)?;
        match b.as_literal() {
            Some(v) if !v.is_null() => Ok((v.clone(), b.ty)),
            _ => Err(self.plugin_error(
                codes::INVALID,
                format!("{what} must be a non-null constant"),
                e.span,
            )),
        }
    }

    /// A constant bool argument.
    fn bool_arg(&mut self, e: &Expr, what: &str) -> BResult<bool> {
        match self.constant_arg(e, what)? {
            (Value::Bool(b), _) => Ok(b),
            _ => Err(self.plugin_error(
                codes::TYPE_MISMATCH,
                format!("{what} must be a bool"),
                e.span,
            )),
        }
    }

    /// Named arguments of `call`, lowercased; an error for names not in
    /// `known`.
    fn named_args<'c>(
        &mut self,
        call: &'c ast::Call,
        known: &[&str],
    ) -> BResult<Vec<(String, &'c Expr)>> {
        let mut out = Vec::with_capacity(call.named.len());
        for (n, e) in &call.named {
            let key = n.name.to_ascii_lowercase();
            if !known.contains(&key.as_str()) {
                return Err(self.plugin_error(
                    codes::INVALID,
                    format!("`{}` has no parameter `{}`", call.name.name, n.name),
                    n.span,
                ));
            }
            out.push((key, e));
        }
        Ok(out)
    }

    /// The lookup table argument of a lookup plugin.
    fn lookup_table(&mut self, plugin: &str, e: &Expr) -> BResult<Bound> {
        if !self.is_tabular(e) {
            return Err(self.plugin_error(
                codes::WRONG_KIND,
                format!("`{plugin}` expects a lookup table first"),
                e.span,
            ));
        }
        self.bind_tabular(e)
    }

    /// A timeline constant compatible with a timeline of type `timeline`.
    pub(super) fn timeline_arg(
        &mut self,
        e: &Expr,
        timeline: DataType,
        span_value: bool,
        what: &str,
    ) -> BResult<i64> {
        let (v, ty) = self.constant_arg(e, what)?;
        match ticks_of(&v) {
            Some(t) if fits_timeline(timeline, ty, span_value) => Ok(t),
            _ => Err(self.plugin_error(
                codes::NOT_SUPPORTED,
                format!("not supported: {what} of type {ty} over a timeline of type {timeline}"),
                e.span,
            )),
        }
    }

    /// Projects `input` to the plugin's argument columns.
    fn project_args(input: &Arc<Plan>, cols: &[&ColumnArg]) -> Arc<Plan> {
        Arc::new(Plan::Project {
            input: input.clone(),
            columns: cols
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("a{i}"), c.expr.clone()))
                .collect(),
        })
    }

    pub(super) fn plugin_plan(
        input: Arc<Plan>,
        others: Vec<Arc<Plan>>,
        kind: PluginKind,
        columns: Schema,
        span: Span,
    ) -> Bound {
        let plan = Plan::Plugin {
            input,
            others,
            spec: Arc::new(PluginSpec {
                kind,
                columns: columns.clone(),
                span,
            }),
        };
        (Arc::new(plan), columns)
    }

    fn bind_windowed(
        &mut self,
        w: Windowed,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let plugin = call.name.name.as_str();
        if let Some((n, _)) = call.named.first() {
            return Err(self.plugin_error(
                codes::INVALID,
                format!("`{plugin}` has no parameter `{}`", n.name),
                n.span,
            ));
        }
        let fixed = 2 + w.constants();
        if call.args.len() < fixed {
            return Err(self.plugin_error(
                codes::ARITY,
                format!("`{plugin}` expects at least {fixed} arguments"),
                call.name.span,
            ));
        }
        let (head, rest) = call.args.split_at(fixed);
        let [id_e, time_e, consts @ ..] = head else {
            return Err(Reported);
        };
        let id = self.column_arg(id_e, schema)?;
        let time = self.column_arg(time_e, schema)?;
        let tt = time.expr.ty;
        if !matches!(
            tt,
            DataType::DateTime | DataType::TimeSpan | DataType::Long | DataType::Int
        ) {
            return Err(self.plugin_error(
                codes::TYPE_MISMATCH,
                format!("`{plugin}`: the timeline column must be a datetime or a number, got {tt}"),
                time_e.span,
            ));
        }
        let mut k = Vec::with_capacity(consts.len());
        for (i, e) in consts.iter().enumerate() {
            // Start and End place the timeline; the rest size windows,
            // except `active_users_count`'s period count.
            let span_value = i >= 2;
            let v = if w == Windowed::ActiveUsersCount && i == 4 {
                ticks_of(&self.constant_arg(e, "the active periods count")?.0).unwrap_or(0)
            } else {
                self.timeline_arg(e, tt, span_value, &format!("`{plugin}` argument {}", i + 3))?
            };
            k.push(v);
        }
        let at = |i: usize| k.get(i).copied().unwrap_or(0);
        // Optional trailing arguments: dimensions, and for
        // `new_activity_metrics` a cohort and a lookback table.
        let mut dims: Vec<ColumnArg> = Vec::new();
        let mut cohort = None;
        let mut lookback = None;
        for (i, e) in rest.iter().enumerate() {
            if w == Windowed::NewActivityMetrics {
                if self.is_tabular(e) {
                    lookback = Some(e);
                    continue;
                }
                if i == 0 {
                    let b = self.bind_scalar(e, Some(schema))?;
                    if let Some(v) = b.as_literal() {
                        cohort = Some(ticks_of(v).ok_or_else(|| {
                            self.plugin_error(
                                codes::INVALID,
                                "the cohort must be a timeline value".to_string(),
                                e.span,
                            )
                        })?);
                        continue;
                    }
                }
            }
            dims.push(self.column_arg(e, schema)?);
        }
        let timeline = |step: i64| Timeline {
            start: at(0),
            end: at(1),
            step,
        };
        let (kind, metrics): (PluginKind, Vec<(&str, DataType)>) = match w {
            Windowed::SlidingWindowCounts => (
                PluginKind::SlidingWindowCounts {
                    timeline: timeline(at(3)),
                    lookback: at(2),
                },
                vec![("Count", DataType::Long), ("Dcount", DataType::Long)],
            ),
            Windowed::ActiveUsersCount => (
                PluginKind::ActiveUsersCount {
                    timeline: timeline(at(5)),
                    lookback: at(2),
                    period: at(3),
                    active_periods: at(4),
                },
                vec![("dcount", DataType::Long)],
            ),
            Windowed::SessionCount => (
                PluginKind::SessionCount {
                    timeline: timeline(at(2)),
                    lookback: at(3),
                },
                vec![("count_sessions", DataType::Long)],
            ),
            Windowed::ActivityEngagement => (
                PluginKind::ActivityEngagement {
                    timeline: timeline(at(2)),
                    outer: at(3),
                },
                vec![
                    ("dcount_activities_inner", DataType::Long),
                    ("dcount_activities_outer", DataType::Long),
                    ("activity_ratio", DataType::Real),
                ],
            ),
            Windowed::ActivityMetrics => (
                PluginKind::ActivityMetrics {
                    timeline: timeline(at(2)),
                },
                vec![
                    ("dcount_values", DataType::Long),
                    ("dcount_newvalues", DataType::Long),
                    ("retention_rate", DataType::Real),
                    ("churn_rate", DataType::Real),
                ],
            ),
            Windowed::ActivityCountsMetrics => (
                PluginKind::ActivityCountsMetrics {
                    timeline: timeline(at(2)),
                },
                vec![
                    ("count", DataType::Long),
                    ("dcount", DataType::Long),
                    ("new_dcount", DataType::Long),
                    ("aggregated_dcount", DataType::Long),
                ],
            ),
            Windowed::NewActivityMetrics => (
                PluginKind::NewActivityMetrics {
                    timeline: timeline(at(2)),
                    cohort,
                },
                vec![
                    ("dcount_new_values", DataType::Long),
                    ("dcount_retained_values", DataType::Long),
                    ("dcount_churn_values", DataType::Long),
                    ("retention_rate", DataType::Real),
                    ("churn_rate", DataType::Real),
                ],
            ),
        };
        if matches!(k.get(2..), Some(sizes) if sizes.iter().any(|s| *s <= 0))
            && w != Windowed::ActiveUsersCount
        {
            return Err(self.plugin_error(
                codes::INVALID,
                format!("`{plugin}`: window sizes must be positive"),
                span,
            ));
        }
        // Every plugin here walks the timeline bin by bin.
        let step = match &kind {
            PluginKind::SlidingWindowCounts { timeline, .. }
            | PluginKind::ActiveUsersCount { timeline, .. }
            | PluginKind::SessionCount { timeline, .. }
            | PluginKind::ActivityEngagement { timeline, .. }
            | PluginKind::ActivityMetrics { timeline }
            | PluginKind::ActivityCountsMetrics { timeline }
            | PluginKind::NewActivityMetrics { timeline, .. } => timeline.step,
            _ => 1,
        };
        let bins = at(1).saturating_sub(at(0)) / step.max(1);
        if bins > MAX_BINS {
            return Err(self.plugin_error(
                codes::INVALID,
                format!("`{plugin}`: the timeline has more than {MAX_BINS} bins"),
                span,
            ));
        }
        let mut columns: Schema = if w == Windowed::NewActivityMetrics {
            vec![
                (format!("from_{}", time.name), tt),
                (format!("to_{}", time.name), tt),
            ]
        } else {
            vec![(time.name.clone(), tt)]
        };
        columns.extend(dims.iter().map(|d| (d.name.clone(), d.expr.ty)));
        columns.extend(metrics.into_iter().map(|(n, t)| (n.to_string(), t)));
        let mut reads = vec![&id, &time];
        reads.extend(dims.iter());
        let projected = Self::project_args(input, &reads);
        let mut others = Vec::new();
        if let Some(e) = lookback {
            let (plan, lschema) = self.bind_tabular(e)?;
            let lid = self.column_arg(id_e, &lschema)?;
            let ltime = self.column_arg(time_e, &lschema)?;
            others.push(Self::project_args(&plan, &[&lid, &ltime]));
        }
        Ok(Self::plugin_plan(projected, others, kind, columns, span))
    }

    fn bind_rolling_percentile(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let [value_e, pct_e, index_e, bin_e, count_e, dims_e @ ..] = call.args.as_slice() else {
            return Err(self.plugin_error(
                codes::ARITY,
                "`rolling_percentile` expects at least 5 arguments".into(),
                call.name.span,
            ));
        };
        let value = self.column_arg(value_e, schema)?;
        let index = self.column_arg(index_e, schema)?;
        let (pct, _) = self.constant_arg(pct_e, "the percentile")?;
        let percentile = match pct {
            Value::Long(p) => p as f64,
            Value::Int(p) => f64::from(p),
            Value::Real(p) => p,
            _ => {
                return Err(self.plugin_error(
                    codes::TYPE_MISMATCH,
                    "the percentile must be a number".into(),
                    pct_e.span,
                ))
            }
        };
        if !(0.0..=100.0).contains(&percentile) {
            return Err(self.plugin_error(
                codes::INVALID,
                "the percentile must be between 0 and 100".into(),
                pct_e.span,
            ));
        }
        let step = self.timeline_arg(bin_e, index.expr.ty, true, "the bin size")?;
        let (bins, _) = self.constant_arg(count_e, "the number of bins")?;
        let bins = ticks_of(&bins).unwrap_or(0);
        if step <= 0 || bins <= 0 {
            return Err(self.plugin_error(
                codes::INVALID,
                "`rolling_percentile`: the bin size and count must be positive".into(),
                span,
            ));
        }
        let mut dims = Vec::with_capacity(dims_e.len());
        for e in dims_e {
            dims.push(self.column_arg(e, schema)?);
        }
        let pct_text = pct_e_text(percentile);
        let mut columns: Schema = vec![(index.name.clone(), index.expr.ty)];
        columns.extend(dims.iter().map(|d| (d.name.clone(), d.expr.ty)));
        columns.push((
            format!("rolling_{bins}_percentile_{}_{pct_text}", value.name),
            value.expr.ty,
        ));
        let mut reads = vec![&value, &index];
        reads.extend(dims.iter());
        let projected = Self::project_args(input, &reads);
        let kind = PluginKind::RollingPercentile {
            percentile,
            step,
            bins,
        };
        Ok(Self::plugin_plan(
            projected,
            Vec::new(),
            kind,
            columns,
            span,
        ))
    }

    fn bind_ip_lookup(
        &mut self,
        v6: bool,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let plugin = call.name.name.as_str();
        let [table_e, source_e, lookup_e, rest @ ..] = call.args.as_slice() else {
            return Err(self.plugin_error(
                codes::ARITY,
                format!("`{plugin}` expects a lookup table, a source key and a lookup key"),
                call.name.span,
            ));
        };
        let mut return_unmatched = false;
        match rest {
            [] => {}
            [e] if !matches!(e.kind, ast::ExprKind::Name(_)) => {
                return_unmatched = self.bool_arg(e, "`return_unmatched`")?
            }
            [e, ..] => {
                return Err(self.plugin_error(
                    codes::NOT_SUPPORTED,
                    format!("not supported: extra lookup keys of `{plugin}`"),
                    e.span,
                ))
            }
        }
        for (_, e) in self.named_args(call, &["return_unmatched"])? {
            return_unmatched = self.bool_arg(e, "`return_unmatched`")?;
        }
        let (lplan, lschema) = self.lookup_table(plugin, table_e)?;
        let source = self.column_arg(source_e, schema)?;
        let lookup = self.column_arg(lookup_e, &lschema)?;
        if let Some((n, _)) = lschema
            .iter()
            .find(|(n, _)| schema.iter().any(|(m, _)| m == n))
        {
            return Err(self.plugin_error(
                codes::NOT_SUPPORTED,
                format!("not supported: `{plugin}` with column `{n}` in both tables"),
                table_e.span,
            ));
        }
        let src_cols = column_refs(schema, 0..schema.len(), span);
        let mut reads: Vec<&ColumnArg> = src_cols.iter().collect();
        reads.push(&source);
        let projected = Self::project_args(input, &reads);
        let lk_cols = column_refs(&lschema, 0..lschema.len(), span);
        let mut lreads: Vec<&ColumnArg> = lk_cols.iter().collect();
        lreads.push(&lookup);
        let other = Self::project_args(&lplan, &lreads);
        let columns: Schema = if v6 {
            lschema.iter().chain(schema.iter()).cloned().collect()
        } else {
            schema.iter().chain(lschema.iter()).cloned().collect()
        };
        let kind = PluginKind::IpLookup {
            v6,
            source_width: schema.len(),
            lookup_width: lschema.len(),
            return_unmatched,
        };
        Ok(Self::plugin_plan(
            projected,
            vec![other],
            kind,
            columns,
            span,
        ))
    }

    fn bind_schema_merge(
        &mut self,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let mut preserve_order = true;
        if let Some(e) = call.args.first() {
            preserve_order = self.bool_arg(e, "`PreserveOrder`")?;
        }
        if let Some(e) = call.args.get(1) {
            return Err(self.plugin_error(
                codes::ARITY,
                "`schema_merge` takes at most 1 argument".into(),
                e.span,
            ));
        }
        for (_, e) in self.named_args(call, &["preserveorder"])? {
            preserve_order = self.bool_arg(e, "`PreserveOrder`")?;
        }
        let wanted = ["ColumnName", "ColumnOrdinal", "DataType", "ColumnType"];
        let mut at = Vec::with_capacity(4);
        for w in wanted {
            let Some(i) = schema.iter().position(|(n, _)| n == w) else {
                return Err(self.plugin_error(
                    codes::INVALID,
                    format!("`schema_merge` expects `getschema` output: no column `{w}`"),
                    span,
                ));
            };
            at.push(i);
        }
        let reads = column_refs(schema, at, span);
        let refs: Vec<&ColumnArg> = reads.iter().collect();
        let projected = Self::project_args(input, &refs);
        let columns: Schema = vec![
            ("ColumnName".into(), DataType::String),
            ("ColumnOrdinal".into(), DataType::Long),
            ("DataType".into(), DataType::String),
            ("ColumnType".into(), DataType::String),
        ];
        let kind = PluginKind::SchemaMerge { preserve_order };
        Ok(Self::plugin_plan(
            projected,
            Vec::new(),
            kind,
            columns,
            span,
        ))
    }
}

/// A percentile as it appears in a column name: `50`, `99_5`.
fn pct_e_text(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{}", p as i64)
    } else {
        format!("{p}").replace('.', "_")
    }
}

impl Binder<'_> {
    /// `geo_polygon_lookup(T, key, lon, lat [, radius] [, return_unmatched]
    /// [, return_lookup_key])` and `geo_line_lookup(T, key, lon, lat,
    /// radius [, ...])`.
    pub(crate) fn bind_geo_lookup(
        &mut self,
        lines: bool,
        call: &ast::Call,
        input: &Arc<Plan>,
        schema: &Schema,
        span: Span,
    ) -> BResult<Bound> {
        let plugin = call.name.name.as_str();
        let [table_e, key_e, lon_e, lat_e, rest @ ..] = call.args.as_slice() else {
            return Err(self.plugin_error(
                codes::ARITY,
                format!("`{plugin}` expects a lookup table, its shape column, a longitude and a latitude"),
                call.name.span,
            ));
        };
        // Positional options in order, then named ones.
        let mut options: Vec<(&str, &Expr)> = Vec::new();
        let order: &[&str] = &["radius", "return_unmatched", "return_lookup_key"];
        for (i, e) in rest.iter().enumerate() {
            let Some(name) = order.get(i) else {
                return Err(self.plugin_error(
                    codes::ARITY,
                    format!("`{plugin}` has too many arguments"),
                    e.span,
                ));
            };
            options.push((name, e));
        }
        let lowered = self.named_args(call, order)?;
        for (n, e) in &lowered {
            options.push((n.as_str(), e));
        }
        let (mut radius, mut return_unmatched, mut return_key) = (None, false, false);
        for (name, e) in options {
            let (v, _) = self.constant_arg(e, &format!("`{name}`"))?;
            match (name, v) {
                ("radius", Value::Long(r)) => radius = Some(r as f64),
                ("radius", Value::Int(r)) => radius = Some(f64::from(r)),
                ("radius", Value::Real(r)) => radius = Some(r),
                ("return_unmatched", Value::Bool(b)) => return_unmatched = b,
                ("return_lookup_key", Value::Bool(b)) => return_key = b,
                ("radius" | "return_unmatched" | "return_lookup_key", _) => {
                    return Err(self.plugin_error(
                        codes::TYPE_MISMATCH,
                        format!("`{name}` has the wrong type"),
                        e.span,
                    ))
                }
                (other, _) => {
                    return Err(self.plugin_error(
                        codes::INVALID,
                        format!("`{plugin}` has no parameter `{other}`"),
                        e.span,
                    ))
                }
            }
        }
        if lines && radius.is_none() {
            return Err(self.plugin_error(
                codes::ARITY,
                "`geo_line_lookup` needs a radius".into(),
                call.name.span,
            ));
        }
        if radius.is_some_and(|r| !(r.is_finite() && r >= 0.0)) {
            return Err(self.plugin_error(
                codes::INVALID,
                "the radius must be a non-negative number of meters".into(),
                span,
            ));
        }
        let (lplan, lschema) = self.lookup_table(plugin, table_e)?;
        let key = self.column_arg(key_e, &lschema)?;
        let lon = self.column_arg(lon_e, schema)?;
        let lat = self.column_arg(lat_e, schema)?;
        let key_column = match &key.expr.kind {
            BoundExprKind::Column(i) => Some(*i),
            _ => None,
        };
        // Lookup columns named like a source column get a numeric suffix,
        // as the right side of a join does.
        let mut taken: Vec<String> = schema.iter().map(|(n, _)| n.clone()).collect();
        let mut kept: Schema = Vec::new();
        for (i, (n, t)) in lschema.iter().enumerate() {
            if return_key || Some(i) != key_column {
                let refs: Vec<&str> = taken.iter().map(String::as_str).collect();
                let name = names::unique_name(n, &refs);
                taken.push(name.clone());
                kept.push((name, *t));
            }
        }
        let src = column_refs(schema, 0..schema.len(), span);
        let mut reads: Vec<&ColumnArg> = src.iter().collect();
        reads.push(&lon);
        reads.push(&lat);
        let projected = Self::project_args(input, &reads);
        let looked = column_refs(
            &lschema,
            (0..lschema.len()).filter(|i| return_key || Some(*i) != key_column),
            span,
        );
        let mut lreads: Vec<&ColumnArg> = looked.iter().collect();
        lreads.push(&key);
        let other = Self::project_args(&lplan, &lreads);
        let columns: Schema = schema.iter().chain(kept.iter()).cloned().collect();
        let kind = PluginKind::GeoLookup {
            lines,
            radius,
            source_width: schema.len(),
            lookup_width: kept.len(),
            return_unmatched,
        };
        Ok(Self::plugin_plan(
            projected,
            vec![other],
            kind,
            columns,
            span,
        ))
    }
}

impl Binder<'_> {
    /// `top-nested [N] of Expr by Agg [asc|desc], ...`: one summary per
    /// level (grouped by that level's and its parents' values), merged by
    /// [`PluginKind::TopNested`].
    pub(crate) fn bind_top_nested(
        &mut self,
        clauses: &[ast::TopNestedClause],
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let ident = |name: &str, span: Span| ast::Ident {
            name: name.to_string(),
            span,
        };
        let mut keys: Vec<ast::NamedExpr> = Vec::new();
        let mut summaries: Vec<Arc<Plan>> = Vec::new();
        let mut columns: Schema = Vec::new();
        let mut levels = Vec::with_capacity(clauses.len());
        for (k, c) in clauses.iter().enumerate() {
            if let Some(o) = &c.with_others {
                return Err(self.plugin_error(
                    codes::NOT_SUPPORTED,
                    "not supported: `top-nested ... with others`".into(),
                    o.span,
                ));
            }
            let count = match &c.count {
                Some(e) => {
                    let n = self.const_long(e, "the `top-nested` count")?;
                    Some(usize::try_from(n).unwrap_or(0))
                }
                None => None,
            };
            let desc = !matches!(c.order, Some(ast::SortOrder::Asc));
            levels.push((count, desc));
            let key_name = match c.of.names.as_slice() {
                [n] => n.name.clone(),
                _ => names::derived_name(&c.of.expr)
                    .unwrap_or_else(|| crate::naming::unnamed_column(k + 1)),
            };
            let agg_name = match c.by.names.as_slice() {
                [n] => n.name.clone(),
                _ => format!("aggregated_{key_name}"),
            };
            keys.push(ast::NamedExpr {
                names: vec![ident(&key_name, c.of.span)],
                expr: c.of.expr.clone(),
                span: c.of.span,
            });
            let agg = ast::NamedExpr {
                names: vec![ident(&agg_name, c.by.span)],
                expr: c.by.expr.clone(),
                span: c.by.span,
            };
            let (plan, s) = self.bind_summarize(
                input.clone(),
                &schema,
                std::slice::from_ref(&agg),
                &keys,
                c.span,
            )?;
            if s.len() != k + 2 {
                return Err(self.plugin_error(
                    codes::NOT_SUPPORTED,
                    "not supported: a `top-nested` aggregation with several output columns".into(),
                    c.by.span,
                ));
            }
            columns.extend(s.iter().skip(k).cloned());
            summaries.push(plan);
        }
        let mut plans = summaries.into_iter();
        let Some(first) = plans.next() else {
            return Err(self.plugin_error(
                codes::INVALID,
                "`top-nested` needs at least one clause".into(),
                span,
            ));
        };
        let kind = PluginKind::TopNested { levels };
        Ok(Self::plugin_plan(
            first,
            plans.collect(),
            kind,
            columns,
            span,
        ))
    }
}

/// Arguments reading columns `indexes` of `schema` unchanged.
fn column_refs(
    schema: &Schema,
    indexes: impl IntoIterator<Item = usize>,
    span: Span,
) -> Vec<ColumnArg> {
    indexes
        .into_iter()
        .filter_map(|i| {
            let (name, ty) = schema.get(i)?;
            Some(ColumnArg {
                name: name.clone(),
                expr: BoundExpr {
                    kind: BoundExprKind::Column(i),
                    ty: *ty,
                    span,
                },
            })
        })
        .collect()
}
