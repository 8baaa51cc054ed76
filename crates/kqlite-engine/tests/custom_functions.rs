//! Embedders register their own scalar functions and aggregates on an
//! engine; queries of that engine (and no other) call them, with the
//! properties they declare.

use std::any::Any;
use std::sync::Arc;

use kqlite_engine::column::ColumnBuilder;
use kqlite_engine::function::{
    AggregateFunction, AggregateProperties, ColumnarValue, EvalContext, FunctionError,
    FunctionProperties, GroupsAccumulator, ScalarFunction,
};
use kqlite_engine::{Column, DataType, Engine, QueryError, Value};

/// A scalar function from a name, properties, a result type and a per-row
/// body over the first argument.
struct RowFn {
    name: &'static str,
    properties: FunctionProperties,
    ty: DataType,
    body: fn(usize, &Value) -> Value,
}

impl ScalarFunction for RowFn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        if args.len() == 1 {
            Ok(self.ty)
        } else {
            Err(FunctionError::Arity {
                expected: "1".into(),
                got: args.len(),
            })
        }
    }

    fn properties(&self) -> FunctionProperties {
        self.properties
    }

    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        _: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError> {
        let x = args
            .first()
            .ok_or_else(|| FunctionError::Invalid("no argument".into()))?;
        if let ColumnarValue::Scalar(v, _) = x {
            return Ok(ColumnarValue::Scalar((self.body)(0, v), self.ty));
        }
        let mut out = ColumnBuilder::new(self.ty, rows);
        for i in 0..rows {
            out.push(&(self.body)(i, &x.get(i)))
                .map_err(|e| FunctionError::Invalid(e.to_string()))?;
        }
        Ok(ColumnarValue::Column(Arc::new(out.finish())))
    }
}

fn is_tor_exit() -> RowFn {
    RowFn {
        name: "is_tor_exit",
        properties: FunctionProperties::NULL_PROPAGATING,
        ty: DataType::Bool,
        body: |_, ip| {
            if ip.is_null() {
                // Never reached: the function is null-propagating (and a
                // string here fails the query, as the result is a bool).
                Value::string("saw a null")
            } else {
                Value::Bool(ip.to_string() == "185.220.101.4")
            }
        },
    }
}

/// `total_len(s)`: the summed length of a group's strings.
struct TotalLen;

#[derive(Default)]
struct TotalLenAcc(Vec<i64>);

impl AggregateFunction for TotalLen {
    fn name(&self) -> &'static str {
        "total_len"
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType, FunctionError> {
        Ok(DataType::Long)
    }

    fn properties(&self) -> AggregateProperties {
        AggregateProperties::COUNTING
    }

    fn default_name(&self, arg_names: &[Option<&str>]) -> String {
        format!(
            "total_len_{}",
            arg_names.first().copied().flatten().unwrap_or("")
        )
    }

    fn accumulator(
        &self,
        _: &[DataType],
        _: &[Option<Value>],
    ) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
        Ok(Box::new(TotalLenAcc::default()))
    }
}

impl GroupsAccumulator for TotalLenAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.0.resize(num_groups.max(self.0.len()), 0);
        for (row, g) in group_ids.iter().enumerate() {
            let len = args.first().map_or(0, |a| a.get(row).to_string().len());
            if let Some(total) = self.0.get_mut(*g as usize) {
                *total += len as i64;
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = other
            .into_any()
            .downcast::<TotalLenAcc>()
            .map_err(|_| FunctionError::Invalid("unlike states".into()))?;
        self.0.resize(num_groups.max(self.0.len()), 0);
        for (g, total) in other.0.into_iter().enumerate() {
            if let Some(mine) = group_map.get(g).and_then(|&t| self.0.get_mut(t as usize)) {
                *mine += total;
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let mut out = ColumnBuilder::new(DataType::Long, num_groups);
        for g in 0..num_groups {
            let _ = out.push(&Value::Long(self.0.get(g).copied().unwrap_or(0)));
        }
        Ok(out.finish())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

fn bind_codes(err: QueryError) -> Vec<String> {
    match err {
        QueryError::Bind(diags) => diags.into_iter().map(|d| d.code.to_string()).collect(),
        other => panic!("expected a binding error, got {other:?}"),
    }
}

#[test]
fn a_registered_scalar_is_called_by_its_engine_and_unknown_to_another() {
    let mut engine = Engine::new();
    engine.register_scalar(is_tor_exit());
    let t = engine
        .run(r#"print a = is_tor_exit("185.220.101.4"), b = is_tor_exit("10.0.0.1")"#)
        .unwrap();
    assert_eq!(t.row(0), vec![Value::Bool(true), Value::Bool(false)]);

    let other = Engine::new();
    let err = other
        .run(r#"print is_tor_exit("185.220.101.4")"#)
        .unwrap_err();
    assert_eq!(bind_codes(err), vec!["E1002"], "unknown function");
    assert!(other.functions().scalar("is_tor_exit").is_none());
    assert!(kqlite_engine::registry::Registry::builtin()
        .scalar("is_tor_exit")
        .is_none());
}

#[test]
fn a_clone_taken_before_registering_does_not_see_the_function() {
    let before = Engine::new();
    let mut after = before.clone();
    after.register_scalar(is_tor_exit());
    assert!(after.functions().scalar("is_tor_exit").is_some());
    assert!(before.functions().scalar("is_tor_exit").is_none());
    assert!(
        before.functions().scalar("tostring").is_some(),
        "built-ins kept"
    );
    assert!(
        after.functions().scalar("tostring").is_some(),
        "built-ins kept"
    );
}

#[test]
fn a_null_propagating_function_never_sees_a_null_row() {
    let mut engine = Engine::new();
    engine.register_scalar(is_tor_exit());
    let t = engine
        .run(
            r#"datatable(ip: dynamic) [dynamic("185.220.101.4"), dynamic(null), dynamic("1.1.1.1")]
               | extend tor = is_tor_exit(ip)
               | project tor"#,
        )
        .unwrap();
    let got: Vec<Value> = t.rows().map(|r| r[0].clone()).collect();
    assert_eq!(
        got,
        vec![Value::Bool(true), Value::Null, Value::Bool(false)]
    );
    let t = engine
        .run("print tor = is_tor_exit(dynamic(null))")
        .unwrap();
    assert_eq!(t.row(0), vec![Value::Null]);
}

#[test]
fn a_registered_aggregate_summarizes_with_its_default_name_and_only_there() {
    let mut engine = Engine::new();
    engine.register_aggregate(TotalLen);
    let t = engine
        .run(
            r#"datatable(User: string, Url: string) ["ana", "/a", "ana", "/abc", "bo", "/"]
               | summarize total_len(Url) by User
               | order by User asc"#,
        )
        .unwrap();
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["User", "total_len_Url"]
    );
    let rows: Vec<Vec<Value>> = t.rows().collect();
    assert_eq!(
        rows,
        vec![
            vec![Value::string("ana"), Value::Long(6)],
            vec![Value::string("bo"), Value::Long(1)],
        ]
    );
    let err = engine.run(r#"print x = total_len("abc")"#).unwrap_err();
    assert_eq!(bind_codes(err).len(), 1, "aggregates only in summarize");
    assert!(Engine::new()
        .run(r#"datatable(s: string) ["a"] | summarize total_len(s)"#)
        .is_err());
}

#[test]
fn a_registration_replaces_a_built_in_in_its_engine_only_and_aliases_follow() {
    let mut engine = Engine::new();
    engine.register_scalar(RowFn {
        name: "isnotempty",
        properties: FunctionProperties::PLAIN,
        ty: DataType::String,
        body: |_, _| Value::string("replaced"),
    });
    let t = engine
        .run(r#"print a = isnotempty("x"), b = notempty("x")"#)
        .unwrap();
    assert_eq!(
        t.row(0),
        vec![Value::string("replaced"), Value::string("replaced")],
        "the deprecated alias calls the replacement"
    );
    let t = Engine::new()
        .run(r#"print a = isnotempty("x"), b = notempty("x")"#)
        .unwrap();
    assert_eq!(t.row(0), vec![Value::Bool(true), Value::Bool(true)]);
}

/// Each row's position in the batch the function is handed.
fn position_in_batch(properties: FunctionProperties) -> RowFn {
    RowFn {
        name: "position_in_batch",
        properties,
        ty: DataType::Long,
        body: |i, _| Value::Long(i as i64),
    }
}

fn last_position(properties: FunctionProperties) -> Value {
    let mut engine = Engine::new();
    engine.set_threads(4);
    engine.register_scalar(position_in_batch(properties));
    let t = engine
        .run(
            "range x from 1 to 300000 step 1
             | extend p = position_in_batch(x)
             | summarize max(p)",
        )
        .unwrap();
    t.row(0).remove(0)
}

#[test]
fn a_window_function_sees_the_whole_input_at_once_even_with_threads() {
    assert_eq!(
        last_position(FunctionProperties::WINDOW),
        Value::Long(299_999)
    );
    // The same function declared row by row is evaluated in chunks: the
    // input is large enough for the declaration to matter.
    assert_ne!(
        last_position(FunctionProperties::PLAIN),
        Value::Long(299_999)
    );
}
