//! The function interfaces: scalar functions and aggregates are registered
//! by name in a [`crate::registry`] and invoked on whole columns.
//!
//! Adding a function touches one place: implement [`ScalarFunction`] or
//! [`AggregateFunction`] and register it.

use std::sync::Arc;

use crate::column::Column;
use crate::types::DataType;
use crate::value::Value;

/// The result of evaluating an expression over a batch: a whole column, or
/// one value standing for every row (literals and constant sub-expressions).
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnarValue {
    /// One value per row.
    Column(Arc<Column>),
    /// The same value in every row, with its type (a `Value::Null` scalar is
    /// a typed null).
    Scalar(Value, DataType),
}

impl ColumnarValue {
    /// The value's type.
    pub fn data_type(&self) -> DataType {
        match self {
            ColumnarValue::Column(c) => c.data_type(),
            ColumnarValue::Scalar(_, t) => *t,
        }
    }

    /// Materializes as a column of `rows` rows (scalars are repeated).
    pub fn into_column(self, rows: usize) -> Arc<Column> {
        match self {
            ColumnarValue::Column(c) => c,
            ColumnarValue::Scalar(v, t) => {
                Arc::new(Column::repeat(&v, t, rows).unwrap_or_else(|| Column::nulls(t, rows)))
            }
        }
    }

    /// Value at row `i` (scalars give their value for every row).
    pub fn get(&self, i: usize) -> Value {
        match self {
            ColumnarValue::Column(c) => c.get(i),
            ColumnarValue::Scalar(v, _) => v.clone(),
        }
    }
}

/// Per-query evaluation context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalContext {
    /// `now()` for this query, in datetime ticks (fixed for the whole query).
    pub now: i64,
}

/// Why a function call is invalid or failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FunctionError {
    /// Wrong number of arguments.
    #[error("expects {expected} argument(s), got {got}")]
    Arity {
        /// A human description such as `2` or `1 to 3`.
        expected: String,
        /// Number given.
        got: usize,
    },
    /// An argument of the wrong type.
    #[error("argument {index} must be {expected}, got {got}")]
    ArgType {
        /// Zero-based argument index.
        index: usize,
        /// What was expected, e.g. `a string` or `a numeric type`.
        expected: String,
        /// What was given.
        got: DataType,
    },
    /// An argument that must be a constant was not (e.g. a regex pattern).
    #[error("argument {index} must be a constant")]
    NotConstant {
        /// Zero-based argument index.
        index: usize,
    },
    /// Any other invalid input, e.g. a malformed regex.
    #[error("{0}")]
    Invalid(String),
}

/// A scalar function, evaluated a whole column at a time.
pub trait ScalarFunction: Send + Sync {
    /// The KQL name, e.g. `tostring`.
    fn name(&self) -> &'static str;

    /// Checks arity and argument types and returns the result type.
    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError>;

    /// Evaluates over `rows` rows. Arguments that are scalars stand for every
    /// row; implementations should keep a scalar result when all inputs are
    /// scalars.
    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        ctx: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError>;
}

/// An aggregate function such as `count`, `dcount` or `make_set`.
pub trait AggregateFunction: Send + Sync {
    /// The KQL name, e.g. `dcount`.
    fn name(&self) -> &'static str;

    /// Checks arity and argument types and returns the result type.
    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError>;

    /// The default output column name for `summarize` when none is given,
    /// from the argument texts (e.g. `count()` → `count_`, `dcount(IPAddress)`
    /// → `dcount_IPAddress`, `make_set(X)` → `set_X`).
    fn default_name(&self, arg_names: &[Option<&str>]) -> String;

    /// A fresh accumulator. `constants` holds the value of each argument that
    /// is a constant (e.g. `make_set(x, 10)` → `[None, Some(Long(10))]`).
    fn accumulator(
        &self,
        args: &[DataType],
        constants: &[Option<Value>],
    ) -> Result<Box<dyn GroupsAccumulator>, FunctionError>;
}

/// Accumulates one aggregate for many groups at once.
///
/// `group_ids[i]` is the group of input row `i`; groups are numbered densely
/// from 0 and `num_groups` only grows between calls.
pub trait GroupsAccumulator: Send {
    /// Folds a batch of rows into the groups' states.
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError>;

    /// Merges another accumulator's state (same function and argument types),
    /// mapping its group `g` to this one's `group_map[g]`; used to combine
    /// results computed in parallel.
    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError>;

    /// The final value of each of the `num_groups` groups.
    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError>;

    /// Lets `merge` downcast the other accumulator.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any>;
}
