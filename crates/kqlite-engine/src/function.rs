//! The function interfaces: scalar functions and aggregates are registered
//! by name in a [`crate::registry`] and invoked on whole columns.
//!
//! Adding a function touches one place: implement [`ScalarFunction`] or
//! [`AggregateFunction`] and register it (built-ins in
//! the engine's `functions` module, an embedder's with
//! [`crate::Engine::register_scalar`] and
//! [`crate::Engine::register_aggregate`]).
//!
//! Each function declares what the binder and evaluator need to know about
//! it besides its result-type rule ([`ScalarFunction::return_type`]): its
//! [`FunctionProperties`] (volatility, row dependence, null handling) or,
//! for an aggregate, its [`AggregateProperties`] (how partial results merge,
//! what a missing cell shows). Nothing is inferred from a function's name.

use std::sync::Arc;

use crate::column::{Column, ColumnBuilder};
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

/// Largest string or `dynamic` value one function call may build: 32 MiB
/// (of UTF-8 text, or of a value's serialized size). Kusto keeps a cell of
/// a string or dynamic column to 1 MiB by default and to 32 MiB at most
/// (a column's `MaxValueSize` encoding policy); kqlite allows that upper
/// bound so values copied from a tuned cluster still work. A function
/// whose result would be larger fails with [`FunctionError::TooLarge`]
/// (error `E1107`) before building it.
pub const MAX_VALUE_BYTES: usize = 32 << 20;

thread_local! {
    /// The deadline and cancel flag of the query whose function runs on
    /// this thread (set by the evaluator around each call).
    static STOP: std::cell::RefCell<Option<crate::eval::limits::Guard>> =
        const { std::cell::RefCell::new(None) };
}

/// While alive, function calls and accumulators on this thread see
/// `guard`'s deadline and cancel flag (through [`check_stop`]) and its
/// memory budget (through [`ValueMemory`]); dropping it restores what was
/// set before (calls nest: `toscalar` runs a plan inside an expression).
pub(crate) struct QueryScope(Option<crate::eval::limits::Guard>);

impl QueryScope {
    /// Lets function calls on this thread see `guard`.
    pub(crate) fn enter(guard: &crate::eval::limits::Guard) -> QueryScope {
        QueryScope(STOP.with(|s| s.replace(Some(guard.clone()))))
    }
}

impl Drop for QueryScope {
    fn drop(&mut self) {
        let outer = self.0.take();
        STOP.with(|s| *s.borrow_mut() = outer);
    }
}

/// Fails with [`FunctionError::Stopped`] once the running query's deadline
/// has passed or it was cancelled. Functions whose one call can take long
/// (building, searching or inflating large values) call it as they go, so
/// `--timeout` and cancellation end them mid-call; outside a query it
/// never fails.
pub(crate) fn check_stop() -> Result<(), FunctionError> {
    STOP.with(|s| match &*s.borrow() {
        Some(guard) if guard.check().is_err() => Err(FunctionError::Stopped),
        _ => Ok(()),
    })
}

/// Memory a function call or an aggregate's state holds for what it
/// builds, reserved from the running query's budget as it grows (nothing
/// outside a query), and given back when dropped: a `make_list` that keeps
/// every row, or a call building large bags row after row, fails with
/// [`FunctionError::OutOfMemory`] (error `E1107`) before the memory exists.
#[derive(Debug, Default)]
pub(crate) struct ValueMemory(Option<crate::eval::memory::MemoryReservation>);

impl ValueMemory {
    /// Nothing held yet.
    pub(crate) fn new() -> ValueMemory {
        ValueMemory(None)
    }

    /// Holds `bytes` more from the budget of the query running on this
    /// thread.
    pub(crate) fn grow(&mut self, bytes: usize) -> Result<(), FunctionError> {
        if self.0.is_none() {
            self.0 = STOP.with(|s| {
                s.borrow()
                    .as_ref()
                    .map(|g| g.reserve(kqlite_parser::Span::default()))
            });
        }
        match &mut self.0 {
            Some(held) => held.try_grow(bytes).map_err(|e| match e {
                crate::eval::EvalError::OutOfMemory {
                    estimate, limit, ..
                } => FunctionError::OutOfMemory {
                    bytes: estimate,
                    limit,
                },
                _ => FunctionError::Stopped,
            }),
            None => Ok(()),
        }
    }
}

/// What a `dynamic` value costs in memory, roughly: its serialized size
/// plus a slot per element.
pub(crate) fn dynamic_memory(d: &crate::value::Dynamic) -> usize {
    dynamic_size(d, MAX_VALUE_BYTES)
        .saturating_mul(2)
        .saturating_add(std::mem::size_of::<crate::value::Dynamic>())
}

/// [`check_stop`] before work on a value of `bytes` bytes, when it is
/// large enough (64 KiB) for one call on it to take noticeable time.
#[inline]
pub(crate) fn check_stop_for(bytes: usize) -> Result<(), FunctionError> {
    if bytes >= 1 << 16 {
        check_stop()
    } else {
        Ok(())
    }
}

/// [`check_stop`] on every few-thousandth iteration `i` of a loop.
#[inline]
pub(crate) fn tick_stop(i: usize) -> Result<(), FunctionError> {
    if i & 0xfff == 0 {
        check_stop()
    } else {
        Ok(())
    }
}

/// Fails with [`FunctionError::TooLarge`] when a value of `bytes` bytes
/// would be larger than [`MAX_VALUE_BYTES`].
pub(crate) fn check_value_size(bytes: usize) -> Result<(), FunctionError> {
    if bytes > MAX_VALUE_BYTES {
        return Err(FunctionError::TooLarge {
            bytes,
            limit: MAX_VALUE_BYTES,
        });
    }
    Ok(())
}

/// Most elements one function call may put in an array it builds from its
/// input (matches, parts, copies, tuples): 1,048,576, the default cap of
/// Kusto's `make_list` and `make_set`, which `range` and `repeat` also
/// keep to. A call that would build more fails with
/// [`FunctionError::TooManyElements`] (error `E1107`) once it passes the
/// cap, without building the rest.
pub const MAX_ARRAY_ELEMENTS: usize = 1 << 20;

/// What one function call has built so far, in elements and in bytes of
/// serialized text, checked against [`MAX_ARRAY_ELEMENTS`] and
/// [`MAX_VALUE_BYTES`] as it grows, so that a builder stops at the cap
/// instead of after the whole value exists.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ValueBudget {
    elements: usize,
    bytes: usize,
}

impl ValueBudget {
    /// Counts `elements` more elements taking `bytes` more bytes; fails
    /// once either total passes its cap.
    pub(crate) fn add(&mut self, elements: usize, bytes: usize) -> Result<(), FunctionError> {
        self.elements = self.elements.saturating_add(elements);
        self.bytes = self.bytes.saturating_add(bytes);
        if self.elements > MAX_ARRAY_ELEMENTS {
            return Err(FunctionError::TooManyElements {
                elements: self.elements,
                limit: MAX_ARRAY_ELEMENTS,
            });
        }
        check_value_size(self.bytes)
    }
}

/// A lower bound of the length of `d` written as JSON, counted without
/// recursion and only up to a little past `stop` (the walk ends there).
pub(crate) fn dynamic_size(d: &crate::value::Dynamic, stop: usize) -> usize {
    use crate::value::Dynamic;
    let mut size = 0usize;
    let mut todo: Vec<&Dynamic> = vec![d];
    while let Some(d) = todo.pop() {
        if size > stop {
            break;
        }
        size = size.saturating_add(match d {
            Dynamic::Null | Dynamic::Bool(_) => 4,
            Dynamic::Long(_) | Dynamic::Real(_) => 1,
            Dynamic::String(s) => s.len().saturating_add(2),
            Dynamic::DateTime(_) | Dynamic::TimeSpan(_) | Dynamic::Guid(_) => 10,
            Dynamic::Array(a) => {
                todo.extend(a.iter());
                a.len().saturating_add(1)
            }
            Dynamic::Bag(b) => {
                let mut keys = 0usize;
                for (k, v) in b.iter() {
                    keys = keys.saturating_add(k.len()).saturating_add(4);
                    todo.push(v);
                }
                keys.saturating_add(2)
            }
        });
    }
    size
}

/// A lower bound of the length of `v` as text or JSON, as
/// [`dynamic_size`] counts it.
pub(crate) fn value_size(v: &Value, stop: usize) -> usize {
    match v {
        Value::String(s) => s.len().saturating_add(2),
        Value::Dynamic(d) => dynamic_size(d, stop),
        _ => 8,
    }
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
    /// The value the function would build is larger than
    /// [`MAX_VALUE_BYTES`].
    #[error("a value would take at least {bytes} bytes, more than the limit of {limit} bytes on one string or dynamic value")]
    TooLarge {
        /// The size of the value (or a lower bound of it).
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Building the value would pass the query's memory budget
    /// ([`crate::eval::Limits::max_memory`]).
    #[error(
        "the query would hold at least {bytes} bytes, more than its memory limit of {limit} bytes"
    )]
    OutOfMemory {
        /// The bytes the query would hold.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The query ran out of time or was cancelled during the call (the
    /// evaluator reports it as the query's timeout or cancellation).
    #[error("the query was stopped (time limit or cancellation) during the call")]
    Stopped,
    /// The array the function would build has more than
    /// [`MAX_ARRAY_ELEMENTS`] elements.
    #[error("an array would hold at least {elements} elements, more than the limit of {limit} on one array a function builds")]
    TooManyElements {
        /// The number of elements (or a lower bound of it).
        elements: usize,
        /// The limit.
        limit: usize,
    },
}

/// Whether a function gives the same result for the same arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Volatility {
    /// Always the same result for the same arguments (`strlen`, `hash`).
    Immutable,
    /// The same result for the same arguments within one query, read from
    /// the [`EvalContext`] (`now()`, `ago()`).
    Stable,
    /// A new result on every call (`rand()`, `new_guid()`): never evaluated
    /// once per distinct value, nor chunk by chunk in parallel, so that the
    /// values drawn do not depend on the thread count.
    Volatile,
}

/// What a function's value in one row depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowDependence {
    /// That row's arguments alone: rows may be evaluated in any grouping
    /// (chunks in parallel, once per distinct value).
    Row,
    /// That row and the rows before it in the serialized input
    /// (`row_cumsum`, `row_rank_dense`, `row_window_session`): the whole
    /// input is evaluated at once, in order.
    Window,
}

/// How a function treats null arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullHandling {
    /// A null in any argument gives the result type's null (`""` for a
    /// string result, as strings have no null), and the function itself
    /// never sees a null: [`call_scalar`] answers for it.
    Propagate,
    /// The function decides (`isnull`, `coalesce`, `strcat`, `iff`, ...),
    /// and is shown null arguments.
    Custom,
}

/// What the binder and evaluator know about a scalar function besides its
/// result-type rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FunctionProperties {
    /// Whether the same arguments give the same result.
    pub volatility: Volatility,
    /// What one row's value depends on.
    pub rows: RowDependence,
    /// How null arguments are treated.
    pub nulls: NullHandling,
}

impl FunctionProperties {
    /// Immutable, row by row, nulls handled by the function itself: most
    /// functions.
    pub const PLAIN: FunctionProperties = FunctionProperties {
        volatility: Volatility::Immutable,
        rows: RowDependence::Row,
        nulls: NullHandling::Custom,
    };

    /// Immutable and row by row, a null in any argument giving a null.
    pub const NULL_PROPAGATING: FunctionProperties = FunctionProperties {
        nulls: NullHandling::Propagate,
        ..FunctionProperties::PLAIN
    };

    /// Fixed for one query, read from the query's clock (`now()`).
    pub const STABLE: FunctionProperties = FunctionProperties {
        volatility: Volatility::Stable,
        ..FunctionProperties::PLAIN
    };

    /// A new value on every call (`rand()`).
    pub const VOLATILE: FunctionProperties = FunctionProperties {
        volatility: Volatility::Volatile,
        ..FunctionProperties::PLAIN
    };

    /// Depends on the rows before (`row_cumsum`).
    pub const WINDOW: FunctionProperties = FunctionProperties {
        rows: RowDependence::Window,
        ..FunctionProperties::PLAIN
    };
}

/// A scalar function, evaluated a whole column at a time.
pub trait ScalarFunction: Send + Sync {
    /// The KQL name, e.g. `tostring`.
    fn name(&self) -> &'static str;

    /// Checks arity and argument types and returns the result type.
    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError>;

    /// What the binder and evaluator may assume about the function. No
    /// default: a function wrongly declared immutable or row by row would
    /// give different results at different thread counts.
    fn properties(&self) -> FunctionProperties;

    /// Whether the function reads shredded `dynamic` columns
    /// ([`crate::shred`]) itself. When not (the default), such arguments
    /// are rebuilt as plain values before [`ScalarFunction::invoke`].
    fn reads_shredded(&self) -> bool {
        false
    }

    /// Evaluates over `rows` rows. Arguments that are scalars stand for every
    /// row; implementations should keep a scalar result when all inputs are
    /// scalars. Callers go through [`call_scalar`], which honours
    /// [`FunctionProperties::nulls`].
    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        ctx: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError>;
}

/// Calls `f` over `rows` rows, honouring its declared
/// [`NullHandling`]: for [`NullHandling::Propagate`], rows where any
/// argument is null get the result type's null without `f` seeing them.
/// Every caller of a [`ScalarFunction`] goes through here.
pub fn call_scalar(
    f: &dyn ScalarFunction,
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let plain: Vec<ColumnarValue>;
    let args = if !f.reads_shredded()
        && args.iter().any(
            |a| matches!(a, ColumnarValue::Column(c) if matches!(c.data, crate::column::ColumnData::Shredded(_))),
        ) {
        plain = args.iter().cloned().map(crate::shred::plain_value).collect();
        &plain[..]
    } else {
        args
    };
    match f.properties().nulls {
        NullHandling::Custom => f.invoke(args, rows, ctx),
        NullHandling::Propagate => call_null_propagating(f, args, rows, ctx),
    }
}

/// The null of type `ty` as a value: `""` for strings (which have no null).
fn null_of(ty: DataType) -> Value {
    if ty == DataType::String {
        Value::string("")
    } else {
        Value::Null
    }
}

/// [`call_scalar`] for a null-propagating function: a null scalar argument
/// makes the whole result null; null rows of column arguments are left out
/// of the call and filled with nulls afterwards.
fn call_null_propagating(
    f: &dyn ScalarFunction,
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let scalar_null = args
        .iter()
        .any(|a| matches!(a, ColumnarValue::Scalar(v, _) if v.is_null()));
    if scalar_null {
        let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
        let ty = f.return_type(&types)?;
        return Ok(ColumnarValue::Scalar(null_of(ty), ty));
    }
    let columns: Vec<&Column> = args
        .iter()
        .filter_map(|a| match a {
            ColumnarValue::Column(c) => Some(c.as_ref()),
            ColumnarValue::Scalar(..) => None,
        })
        .collect();
    let valid: Vec<u32> = (0..rows)
        .filter(|&i| !columns.iter().any(|c| c.is_null(i)))
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    if valid.len() == rows {
        return f.invoke(args, rows, ctx);
    }
    let compact: Vec<ColumnarValue> = args
        .iter()
        .map(|a| match a {
            ColumnarValue::Column(c) => ColumnarValue::Column(Arc::new(c.take(&valid))),
            scalar => scalar.clone(),
        })
        .collect();
    let out = f.invoke(&compact, valid.len(), ctx)?;
    let ty = out.data_type();
    let mut b = ColumnBuilder::new(ty, rows);
    let mut next = valid.iter().map(|&i| i as usize).enumerate().peekable();
    for i in 0..rows {
        match next.peek() {
            Some(&(j, row)) if row == i => {
                next.next();
                if b.push(&out.get(j)).is_err() {
                    b.push_null();
                }
            }
            _ => {
                if b.push(&null_of(ty)).is_err() {
                    b.push_null();
                }
            }
        }
    }
    Ok(ColumnarValue::Column(Arc::new(b.finish())))
}

/// How partial results of an aggregate, computed over chunks of the input,
/// combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Merge {
    /// Partial states merged in chunk order give exactly the result of one
    /// pass over all rows, wherever the chunks are cut (`count`, `dcount`,
    /// `make_set`, `min`, `max`): `summarize` may aggregate chunks in
    /// parallel.
    Exact,
    /// Only one pass over all rows is sure to give the result (floating-point
    /// sums whose rounding depends on order, lists in input order, sketches):
    /// `summarize` aggregates the whole input at once.
    OnePass,
}

/// What `pivot` shows for a combination of keys without rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fill {
    /// `0` (counts and sums).
    Zero,
    /// A null.
    Null,
}

/// What the binder and evaluator know about an aggregate besides its
/// result-type rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AggregateProperties {
    /// How partial results combine.
    pub merge: Merge,
    /// What `pivot` shows where a combination of keys has no rows.
    pub fill: Fill,
}

impl AggregateProperties {
    /// Aggregated in one pass, a missing cell null: the safe choice.
    pub const ONE_PASS: AggregateProperties = AggregateProperties {
        merge: Merge::OnePass,
        fill: Fill::Null,
    };

    /// Chunks merge exactly, a missing cell null (`min`, `make_set`).
    pub const EXACT: AggregateProperties = AggregateProperties {
        merge: Merge::Exact,
        fill: Fill::Null,
    };

    /// Chunks merge exactly, a missing cell `0` (`count`, `dcount`).
    pub const COUNTING: AggregateProperties = AggregateProperties {
        merge: Merge::Exact,
        fill: Fill::Zero,
    };

    /// Aggregated in one pass, a missing cell `0` (`sum`).
    pub const SUMMING: AggregateProperties = AggregateProperties {
        merge: Merge::OnePass,
        fill: Fill::Zero,
    };
}

/// An aggregate function such as `count`, `dcount` or `make_set`.
pub trait AggregateFunction: Send + Sync {
    /// The KQL name, e.g. `dcount`.
    fn name(&self) -> &'static str;

    /// Checks arity and argument types and returns the result type.
    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError>;

    /// What the binder and evaluator may assume about the aggregate. No
    /// default: [`AggregateProperties::ONE_PASS`] is always safe.
    fn properties(&self) -> AggregateProperties;

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

#[cfg(test)]
mod stop_tests {
    use super::*;
    use crate::eval::limits::Guard;
    use crate::eval::Limits;

    #[test]
    fn a_call_sees_the_deadline_of_the_query_around_it_and_none_outside() {
        assert_eq!(check_stop(), Ok(()));
        let past = Guard::start(&Limits {
            timeout: Some(std::time::Duration::ZERO),
            ..Limits::default()
        });
        let open = Guard::start(&Limits::default());
        {
            let _outer = QueryScope::enter(&open);
            assert_eq!(check_stop(), Ok(()));
            {
                let _inner = QueryScope::enter(&past);
                assert_eq!(check_stop(), Err(FunctionError::Stopped));
                assert_eq!(check_stop_for(10), Ok(()));
                assert_eq!(tick_stop(1), Ok(()));
                assert_eq!(tick_stop(4096), Err(FunctionError::Stopped));
            }
            assert_eq!(check_stop(), Ok(()));
        }
        assert_eq!(check_stop(), Ok(()));
    }
}
