//! Extending kqlite with your own functions: a scalar `is_tor_exit(ip)`
//! backed by a list the embedder supplies, and an aggregate `longest(s)`
//! giving each group's longest string, both registered on one engine.
//!
//! Run with `cargo run --example custom_function`.

use std::any::Any;
use std::collections::HashSet;
use std::error::Error;
use std::sync::Arc;

use kqlite::engine::column::ColumnBuilder;
use kqlite::engine::function::{
    AggregateFunction, AggregateProperties, ColumnarValue, EvalContext, FunctionError,
    FunctionProperties, GroupsAccumulator, ScalarFunction,
};
use kqlite::{Column, DataType, Engine, Value};

/// `is_tor_exit(ip)`: whether `ip` is in a list of Tor exit addresses.
struct IsTorExit {
    exits: HashSet<String>,
}

impl ScalarFunction for IsTorExit {
    fn name(&self) -> &'static str {
        "is_tor_exit"
    }

    /// One string (or dynamic) argument; the result is a bool.
    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        match args {
            [DataType::String | DataType::Dynamic] => Ok(DataType::Bool),
            [other] => Err(FunctionError::ArgType {
                index: 0,
                expected: "a string".into(),
                got: *other,
            }),
            _ => Err(FunctionError::Arity {
                expected: "1".into(),
                got: args.len(),
            }),
        }
    }

    /// Same answer for the same address, row by row, and a null address
    /// gives a null: `invoke` never sees one.
    fn properties(&self) -> FunctionProperties {
        FunctionProperties::NULL_PROPAGATING
    }

    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        _: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError> {
        let ip = args
            .first()
            .ok_or_else(|| FunctionError::Invalid("no argument".into()))?;
        let test = |v: Value| Value::Bool(self.exits.contains(v.to_string().as_str()));
        match ip {
            ColumnarValue::Scalar(v, _) => {
                Ok(ColumnarValue::Scalar(test(v.clone()), DataType::Bool))
            }
            ColumnarValue::Column(c) => {
                let mut out = ColumnBuilder::new(DataType::Bool, rows);
                for i in 0..rows {
                    out.push(&test(c.get(i)))
                        .map_err(|e| FunctionError::Invalid(e.to_string()))?;
                }
                Ok(ColumnarValue::Column(Arc::new(out.finish())))
            }
        }
    }
}

/// `longest(s)`: the longest string of each group (the first one seen on a
/// tie).
struct Longest;

impl AggregateFunction for Longest {
    fn name(&self) -> &'static str {
        "longest"
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        match args {
            [DataType::String] => Ok(DataType::String),
            [other] => Err(FunctionError::ArgType {
                index: 0,
                expected: "a string".into(),
                got: *other,
            }),
            _ => Err(FunctionError::Arity {
                expected: "1".into(),
                got: args.len(),
            }),
        }
    }

    /// Chunks merged in order keep the first longest string, exactly what
    /// one pass keeps, so `summarize` may split the input across threads.
    fn properties(&self) -> AggregateProperties {
        AggregateProperties::EXACT
    }

    /// `longest(Url)` → `longest_Url`.
    fn default_name(&self, arg_names: &[Option<&str>]) -> String {
        match arg_names.first().copied().flatten() {
            Some(arg) => format!("longest_{arg}"),
            None => "longest_".into(),
        }
    }

    fn accumulator(
        &self,
        args: &[DataType],
        _constants: &[Option<Value>],
    ) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
        self.return_type(args)?;
        Ok(Box::new(LongestAcc::default()))
    }
}

/// The longest string so far of each group.
#[derive(Default)]
struct LongestAcc {
    best: Vec<Option<String>>,
}

impl LongestAcc {
    fn offer(&mut self, group: usize, s: &str) {
        if self.best.len() <= group {
            self.best.resize(group + 1, None);
        }
        if let Some(slot) = self.best.get_mut(group) {
            if slot.as_ref().is_none_or(|b| s.len() > b.len()) {
                *slot = Some(s.to_string());
            }
        }
    }
}

impl GroupsAccumulator for LongestAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        _num_groups: usize,
    ) -> Result<(), FunctionError> {
        let s = args
            .first()
            .ok_or_else(|| FunctionError::Invalid("no argument".into()))?;
        for (row, group) in group_ids.iter().enumerate() {
            if let Value::String(text) = s.get(row) {
                self.offer(*group as usize, &text);
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        _num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = other
            .into_any()
            .downcast::<LongestAcc>()
            .map_err(|_| FunctionError::Invalid("merging unlike states".into()))?;
        for (group, best) in other.best.into_iter().enumerate() {
            if let (Some(text), Some(target)) = (best, group_map.get(group)) {
                self.offer(*target as usize, &text);
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let mut out = ColumnBuilder::new(DataType::String, num_groups);
        for group in 0..num_groups {
            let text = self.best.get(group).cloned().flatten().unwrap_or_default();
            out.push_str(&text);
        }
        Ok(out.finish())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut engine = Engine::new();
    engine.register_scalar(IsTorExit {
        exits: ["185.220.101.4", "171.25.193.77"]
            .into_iter()
            .map(String::from)
            .collect(),
    });
    engine.register_aggregate(Longest);

    let signins = engine.run(
        r#"datatable(User: string, IPAddress: string, Url: string) [
            "ana", "185.220.101.4", "/login",
            "ana", "10.0.0.7", "/login?next=/admin/users",
            "bo", "171.25.193.77", "/",
        ]"#,
    )?;
    engine.add_table("Signins", signins);

    let query = "Signins
        | summarize FromTor = countif(is_tor_exit(IPAddress)), longest(Url) by User
        | order by User asc";
    let result = engine.run(query)?;
    for row in result.rows() {
        println!("{row:?}");
    }

    // Another engine never sees these functions.
    let plain = Engine::new();
    let err = plain.check("print is_tor_exit('1.2.3.4')");
    println!(
        "without registration: {}",
        err.first().map_or("no error", |d| d.message.as_str())
    );
    Ok(())
}
