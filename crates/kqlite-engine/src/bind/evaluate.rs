//! Binding `evaluate` plugins.
//!
//! Plugins whose output columns follow from their arguments (the
//! time-window analytics, `rolling_percentile`, the IP and geo lookups,
//! `schema_merge`) are bound by [`super::plugins`] to [`Plan::Plugin`].
//!
//! Plugins whose output columns depend on the data (`bag_unpack`) are bound
//! by evaluating their input while binding when the input reads no catalog
//! table (a `datatable`, `range`, `print` or a `let` of one): the plan then
//! holds the result as constant rows and later operators bind against its
//! real schema. Over catalog tables the plugin runs with the query, and
//! binding sees its declared output schema, or else an open one (the input
//! columns, with any other name accepted as a `dynamic` column found when
//! the query runs), so binding never reads table data.

use std::collections::BTreeMap;
use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind};
use kqlite_parser::Span;

use super::names::{self, codes};
use super::plan::{Plan, Schema};
use super::{BResult, Binder};
use crate::column::{Column, ColumnBuilder};
use crate::eval::Executor;
use crate::function::EvalContext;
use crate::kernels::access::dynamic_to_value;
use crate::table::Table;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

type Bound = (Arc<Plan>, Schema);

/// How `bag_unpack` resolves a property named like an existing column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Fail the query.
    Error,
    /// The property's column replaces the existing one.
    ReplaceSource,
    /// The existing column is kept and the property dropped.
    KeepSource,
}

/// The options of one `bag_unpack` call.
#[derive(Debug)]
pub struct BagUnpack {
    column: usize,
    prefix: String,
    conflict: Conflict,
    ignored: Vec<String>,
}

impl BagUnpack {
    /// The position of the unpacked column in the input.
    pub(crate) fn column(&self) -> usize {
        self.column
    }
}

/// The type of one unpacked property: the common type of its non-null
/// values, `dynamic` when they disagree or are arrays and bags.
fn property_type(values: &[&Dynamic]) -> DataType {
    let mut ty: Option<DataType> = None;
    for v in values {
        let t = match v {
            Dynamic::Null => continue,
            Dynamic::Bool(_) => DataType::Bool,
            Dynamic::Long(_) => DataType::Long,
            Dynamic::Real(_) => DataType::Real,
            Dynamic::String(_) => DataType::String,
            Dynamic::DateTime(_) => DataType::DateTime,
            Dynamic::TimeSpan(_) => DataType::TimeSpan,
            Dynamic::Guid(_) => DataType::Guid,
            Dynamic::Array(_) | Dynamic::Bag(_) => return DataType::Dynamic,
        };
        match ty {
            None => ty = Some(t),
            Some(prev) if prev == t => {}
            Some(_) => return DataType::Dynamic,
        }
    }
    ty.unwrap_or(DataType::Dynamic)
}

/// Unpacks the bags of column `opts.column` of `input` into columns.
pub(crate) fn unpack_table(input: &Table, opts: &BagUnpack) -> Result<Table, String> {
    let rows = input.num_rows();
    let source = input
        .column_at(opts.column)
        .map(|(_, c)| c.clone())
        .ok_or_else(|| "the unpacked column is missing".to_string())?;
    let bags: Vec<Value> = (0..rows).map(|r| source.get(r)).collect();
    // Property name -> per-row value (null where missing), names sorted.
    let mut props: BTreeMap<String, Vec<Dynamic>> = BTreeMap::new();
    for (r, v) in bags.iter().enumerate() {
        let Value::Dynamic(Dynamic::Bag(bag)) = v else {
            continue;
        };
        for (k, val) in bag.iter() {
            if opts.ignored.iter().any(|i| i.as_str() == k.as_ref()) {
                continue;
            }
            let slot = props
                .entry(format!("{}{}", opts.prefix, k))
                .or_insert_with(|| vec![Dynamic::Null; rows]);
            if let Some(cell) = slot.get_mut(r) {
                *cell = val.clone();
            }
        }
    }
    let mut out: Vec<(String, Arc<Column>)> = Vec::new();
    for (i, (name, col)) in input.columns().enumerate() {
        if i != opts.column {
            out.push((name.to_string(), col.clone()));
        }
    }
    for (name, values) in props {
        let refs: Vec<&Dynamic> = values.iter().collect();
        let ty = property_type(&refs);
        let mut b = ColumnBuilder::new(ty, rows);
        for v in &values {
            let value = match (ty, v) {
                (_, Dynamic::Null) => Value::Null,
                (DataType::Dynamic, d) => Value::Dynamic(d.clone()),
                (_, d) => dynamic_to_value(d),
            };
            if value.is_null() || b.push(&value).is_err() {
                b.push_null();
            }
        }
        let col = Arc::new(b.finish());
        match out.iter().position(|(n, _)| *n == name) {
            Some(at) => match opts.conflict {
                Conflict::Error => {
                    return Err(format!(
                        "bag_unpack: property `{name}` conflicts with an existing column"
                    ))
                }
                Conflict::KeepSource => {}
                Conflict::ReplaceSource => {
                    if let Some(slot) = out.get_mut(at) {
                        slot.1 = col;
                    }
                }
            },
            None => out.push((name, col)),
        }
    }
    if out.is_empty() {
        return Ok(Table::empty(rows));
    }
    Table::try_new(out).map_err(|e| e.to_string())
}

/// A string-valued plugin argument (`'Property_'`, `columnsConflict='x'`).
fn text_arg(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Literal(ast::Literal::String(s)) => Some(s.clone()),
        ExprKind::Name(id) => Some(id.name.clone()),
        _ => None,
    }
}

impl Binder<'_> {
    /// Binds `evaluate plugin(...)` over `input`.
    pub(crate) fn bind_evaluate(
        &mut self,
        call: &ast::Call,
        declared: Option<&[ast::ColumnDecl]>,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        if declared.is_some() && call.name.name != "bag_unpack" {
            return Err(self.not_supported(
                &format!("an output schema for the `{}` plugin", call.name.name),
                span,
            ));
        }
        if let Some(bound) = self.bind_fixed_plugin(call, &input, &schema, span) {
            return bound;
        }
        match call.name.name.as_str() {
            "bag_unpack" => self.bind_bag_unpack(call, declared, input, schema, span),
            other => Err(self.fail(names::error(
                codes::NOT_SUPPORTED,
                format!("not supported: the `{other}` plugin of `evaluate`"),
                call.name.span,
            ))),
        }
    }

    fn bad_plugin_arg(&mut self, what: String, span: Span) -> super::Reported {
        self.fail(names::error(codes::INVALID, what, span))
    }

    fn bind_bag_unpack(
        &mut self,
        call: &ast::Call,
        declared: Option<&[ast::ColumnDecl]>,
        input: Arc<Plan>,
        schema: Schema,
        span: Span,
    ) -> BResult<Bound> {
        let Some(first) = call.args.first() else {
            return Err(self.bad_plugin_arg(
                "`bag_unpack` needs the dynamic column to unpack".into(),
                call.name.span,
            ));
        };
        let column = match &first.kind {
            ExprKind::Name(id) => match schema.iter().position(|(n, _)| *n == id.name) {
                Some(i) => i,
                None => return Err(self.unknown_column(&id.name, id.span, &schema)),
            },
            _ => {
                return Err(self.bad_plugin_arg(
                    "`bag_unpack` unpacks a column: pass its name".into(),
                    first.span,
                ))
            }
        };
        let mut opts = BagUnpack {
            column,
            prefix: String::new(),
            conflict: Conflict::Error,
            ignored: Vec::new(),
        };
        let mut set =
            |binder: &mut Self, key: &str, e: &Expr| -> BResult<()> {
                match key {
                    "outputcolumnprefix" | "column_prefix" => match text_arg(e) {
                        Some(p) => opts.prefix = p,
                        None => {
                            return Err(binder
                                .bad_plugin_arg("a column prefix must be a string".into(), e.span))
                        }
                    },
                    "columnsconflict" => opts.conflict = match text_arg(e).as_deref() {
                        Some("error") => Conflict::Error,
                        Some("replace_source") => Conflict::ReplaceSource,
                        Some("keep_source") => Conflict::KeepSource,
                        _ => return Err(binder.bad_plugin_arg(
                            "`columnsConflict` is one of 'error', 'replace_source', 'keep_source'"
                                .into(),
                            e.span,
                        )),
                    },
                    "ignoredproperties" => {
                        let b = binder.bind_scalar(e, None)?;
                        match b.as_literal() {
                            Some(Value::Dynamic(Dynamic::Array(items))) => {
                                opts.ignored = items
                                    .iter()
                                    .filter_map(|d| match d {
                                        Dynamic::String(s) => Some(s.to_string()),
                                        _ => None,
                                    })
                                    .collect();
                            }
                            Some(Value::Null) | Some(Value::Dynamic(Dynamic::Null)) => {}
                            _ => {
                                return Err(binder.bad_plugin_arg(
                                    "`ignoredProperties` must be a constant dynamic array".into(),
                                    e.span,
                                ))
                            }
                        }
                    }
                    other => {
                        return Err(binder.bad_plugin_arg(
                            format!("`bag_unpack` has no parameter `{other}`"),
                            e.span,
                        ))
                    }
                }
                Ok(())
            };
        const POSITIONAL: [&str; 3] = ["column_prefix", "columnsconflict", "ignoredproperties"];
        for (i, e) in call.args.iter().skip(1).enumerate() {
            let Some(key) = POSITIONAL.get(i) else {
                return Err(
                    self.bad_plugin_arg("`bag_unpack` has too many arguments".into(), e.span)
                );
            };
            set(self, key, e)?;
        }
        for (name, e) in &call.named {
            set(self, &name.name.to_ascii_lowercase(), e)?;
        }
        let mut tables = Vec::new();
        input.tables(&mut tables);
        if !tables.is_empty() || declared.is_some() {
            let out = match declared {
                Some(cols) => cols
                    .iter()
                    .map(|c| (c.name.name.clone(), DataType::from(c.ty)))
                    .collect(),
                None => {
                    // The run keeps the other columns in order and adds the
                    // properties after them.
                    let mut kept = schema;
                    if opts.column < kept.len() {
                        kept.remove(opts.column);
                    }
                    self.open_schemas.push(kept.clone());
                    kept
                }
            };
            let declared = declared.map(|_| out.clone());
            return Ok((
                Arc::new(Plan::BagUnpack {
                    input,
                    spec: Arc::new(opts),
                    declared,
                    span,
                }),
                out,
            ));
        }
        // Unpacked now, under the query's memory budget.
        let plan = Plan::BagUnpack {
            input,
            spec: Arc::new(opts),
            declared: None,
            span,
        };
        let t = self.evaluate_constant(&plan, "bag_unpack", span)?;
        let schema = t.schema();
        Ok((Arc::new(Plan::Values(Arc::new(t))), schema))
    }

    /// Evaluates a plan that reads no catalog table, while binding.
    pub(crate) fn evaluate_constant(
        &mut self,
        plan: &Plan,
        plugin: &str,
        span: Span,
    ) -> BResult<Table> {
        let mut tables = Vec::new();
        plan.tables(&mut tables);
        if !tables.is_empty() {
            return Err(self.fail(names::error(
                codes::NOT_SUPPORTED,
                format!(
                    "not supported: `evaluate {plugin}` over a catalog table (its output columns depend on the data)"
                ),
                span,
            )));
        }
        let now = crate::time::from_chrono(chrono::Utc::now());
        let mut exec = Executor::new(self.catalog, EvalContext { now }, self.limits);
        exec.run(plan).map_err(|e| {
            let code = match e {
                crate::eval::EvalError::OutOfMemory { .. } => crate::engine::codes::TOO_MUCH_MEMORY,
                _ => codes::INVALID,
            };
            self.fail(names::error(code, e.to_string(), span))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, Dynamic)]) -> Value {
        let map = pairs
            .iter()
            .map(|(k, v)| (Arc::<str>::from(*k), v.clone()))
            .collect();
        Value::Dynamic(Dynamic::Bag(Arc::new(map)))
    }

    #[test]
    fn property_types_fall_back_to_dynamic_when_values_disagree() {
        let l = Dynamic::Long(1);
        let s = Dynamic::String("a".into());
        assert_eq!(property_type(&[&l, &Dynamic::Null]), DataType::Long);
        assert_eq!(property_type(&[&l, &s]), DataType::Dynamic);
        assert_eq!(property_type(&[&Dynamic::Null]), DataType::Dynamic);
    }

    #[test]
    fn unpacking_sorts_new_columns_and_fills_missing_with_null() {
        let mut b = ColumnBuilder::new(DataType::Dynamic, 2);
        for v in [
            bag(&[("b", Dynamic::Long(1)), ("a", Dynamic::String("x".into()))]),
            bag(&[("a", Dynamic::String("y".into()))]),
        ] {
            assert!(b.push(&v).is_ok());
        }
        let t = Table::try_new([("d".to_string(), Arc::new(b.finish()))]).unwrap_or_default();
        let opts = BagUnpack {
            column: 0,
            prefix: "p_".into(),
            conflict: Conflict::Error,
            ignored: Vec::new(),
        };
        let out = unpack_table(&t, &opts).unwrap_or_default();
        assert_eq!(
            out.schema(),
            vec![
                ("p_a".to_string(), DataType::String),
                ("p_b".to_string(), DataType::Long)
            ]
        );
        assert_eq!(out.row(1), vec![Value::String("y".into()), Value::Null]);
    }
}
