//! Limits on one query: rows, memory, nesting depth, wall time, and
//! cooperative cancellation.
//!
//! The evaluator checks the clock and the cancellation flag between
//! operators and every few thousand iterations of long loops, so a runaway
//! query stops within milliseconds of its deadline or of
//! [`CancelHandle::cancel`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kqlite_parser::Span;

use super::memory::{default_max_memory, MemoryPool, MemoryReservation};
use super::EvalError;
use crate::column::{ColumnData, StringColumn};
use crate::table::Table;
use crate::value::Dynamic;

/// Kusto's default cap on result rows (`truncationmaxrecords`).
pub const DEFAULT_MAX_RESULT_ROWS: usize = 500_000;

/// Largest default memory budget of one query: 8 GiB, Kusto's default
/// per-query memory budget on one node. [`Limits::default`] takes half the
/// machine's available memory up to this (see [`default_max_memory`]).
pub const DEFAULT_MAX_MEMORY: usize = super::memory::DEFAULT_MAX_MEMORY_CAP;

/// Default nesting depth of query text (see
/// [`kqlite_parser::ParseOptions::max_depth`]).
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// Deepest nesting [`Limits::max_depth`] can allow: larger values count as
/// this. Queries run on a thread whose stack fits this many levels.
pub const MAX_SUPPORTED_DEPTH: usize = 4096;

/// Stack bytes per nesting level for binding and evaluation (generous for
/// unoptimized builds).
const STACK_PER_LEVEL: usize = 16 << 10;

/// Stack of the threads evaluating chunks of rows, which recurse through
/// expressions as deep as [`MAX_SUPPORTED_DEPTH`].
pub(crate) const WORKER_STACK: usize = 64 << 20;

/// Stack for a query thread allowing `max_depth` levels of nesting.
pub(crate) fn query_stack(max_depth: usize) -> usize {
    max_depth
        .min(MAX_SUPPORTED_DEPTH)
        .saturating_mul(STACK_PER_LEVEL)
        .max(16 << 20)
}

/// Loop iterations between two deadline/cancellation checks (a power of 2).
const CHECK_EVERY: usize = 1 << 12;

/// What happens when a result has more rows than
/// [`Limits::max_result_rows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResultOverflow {
    /// Keep the first rows and report a
    /// [`crate::engine::RunWarning::Truncated`] (Kusto's default).
    #[default]
    Truncate,
    /// Fail with error `E1108` instead of returning a partial result.
    Error,
}

/// Limits on what one query may do. The defaults follow Kusto's: results
/// are cut to 500,000 rows with a warning, and the query's live data may
/// not exceed its memory budget (half the machine's available memory, at
/// most 8 GiB); there is no time limit unless one is set.
///
/// ```
/// use std::time::Duration;
/// use kqlite_engine::eval::{Limits, ResultOverflow};
///
/// let limits = Limits {
///     timeout: Some(Duration::from_secs(30)),
///     max_result_rows: 10_000,
///     result_overflow: ResultOverflow::Error,
///     ..Limits::default()
/// };
/// let mut engine = kqlite_engine::Engine::new();
/// engine.set_limits(limits);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most rows any operator may produce (error `E1103` beyond it).
    pub max_rows: usize,
    /// Most rows in the final result; what happens beyond it is
    /// [`Limits::result_overflow`]. Applied by [`crate::Engine::execute`].
    pub max_result_rows: usize,
    /// Truncate (with a warning) or fail when the result is too long.
    pub result_overflow: ResultOverflow,
    /// The query's memory budget in bytes (error `E1107` beyond it).
    /// Operators reserve from it before they build their output (a join's
    /// rows, a summarize's groups, a sort's order, a column computed by
    /// `extend`), and the intermediate results alive at once count
    /// together; columns shared with a catalog table are not counted.
    /// Defaults to [`default_max_memory`].
    pub max_memory: usize,
    /// Deepest nesting of brackets, calls and subqueries in query text
    /// (parse error `E0012` beyond it; the stages of a pipeline are a flat
    /// chain and do not count); at most [`MAX_SUPPORTED_DEPTH`].
    pub max_depth: usize,
    /// Wall time the query may take before it is cancelled (error
    /// `E1106`); the clock starts before the query is parsed, so binding counts.
    pub timeout: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_rows: 100_000_000,
            max_result_rows: DEFAULT_MAX_RESULT_ROWS,
            result_overflow: ResultOverflow::Truncate,
            max_memory: machine_max_memory(),
            max_depth: DEFAULT_MAX_DEPTH,
            timeout: None,
        }
    }
}

impl Limits {
    /// No limits at all except the nesting depth (which protects the stack).
    pub fn unlimited() -> Limits {
        Limits {
            max_rows: usize::MAX,
            max_result_rows: usize::MAX,
            result_overflow: ResultOverflow::Truncate,
            max_memory: usize::MAX,
            max_depth: DEFAULT_MAX_DEPTH,
            timeout: None,
        }
    }
}

/// [`default_max_memory`], read once per process.
fn machine_max_memory() -> usize {
    static DEFAULT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *DEFAULT.get_or_init(default_max_memory)
}

/// Stops a running query from another thread: clone it into
/// [`crate::RunOptions::cancel`], then call [`CancelHandle::cancel`]. The
/// query returns error `E1105` soon after. A handle stays cancelled; use a
/// fresh one per query.
///
/// ```
/// use kqlite_engine::{eval::CancelHandle, Engine, RunOptions};
///
/// let cancel = CancelHandle::new();
/// let opts = RunOptions { cancel: Some(cancel.clone()), ..RunOptions::default() };
/// cancel.cancel();
/// assert!(Engine::new().run_with("range x from 1 to 10 step 1", &opts).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    /// A handle that is not cancelled.
    pub fn new() -> CancelHandle {
        CancelHandle::default()
    }

    /// Asks every query holding this handle to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelHandle::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Two handles are equal when they are clones of one another.
impl PartialEq for CancelHandle {
    fn eq(&self, other: &CancelHandle) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for CancelHandle {}

/// The running query's deadline, cancellation flag and memory cap, shared by
/// the executor and its workers.
#[derive(Debug, Clone)]
pub(crate) struct Guard {
    cancel: Option<CancelHandle>,
    deadline: Option<(Instant, Duration)>,
    max_memory: usize,
    max_rows: usize,
    /// The query's memory budget, shared by every worker.
    pool: Arc<MemoryPool>,
}

impl Guard {
    /// A guard whose clock starts now.
    pub(crate) fn start(limits: &Limits) -> Guard {
        Guard {
            cancel: None,
            deadline: limits
                .timeout
                .map(|t| (Instant::now().checked_add(t).unwrap_or_else(far_future), t)),
            max_memory: limits.max_memory,
            max_rows: limits.max_rows,
            pool: MemoryPool::new(limits.max_memory),
        }
    }

    /// An empty reservation from the query's pool, failing at `span`.
    pub(crate) fn reserve(&self, span: Span) -> MemoryReservation {
        MemoryReservation::new(&self.pool).at(span)
    }

    /// A reservation of `bytes` from the query's pool, failing at `span`.
    pub(crate) fn reserve_bytes(
        &self,
        bytes: usize,
        span: Span,
    ) -> Result<MemoryReservation, EvalError> {
        let mut r = self.reserve(span);
        r.try_grow(bytes)?;
        Ok(r)
    }

    /// [`Limits::max_rows`].
    pub(crate) fn max_rows(&self) -> usize {
        self.max_rows
    }

    /// The same guard, also watching `cancel`.
    pub(crate) fn with_cancel(mut self, cancel: Option<CancelHandle>) -> Guard {
        self.cancel = cancel;
        self
    }

    /// Fails when the query was cancelled or ran out of time.
    pub(crate) fn check(&self) -> Result<(), EvalError> {
        if self.cancel.as_ref().is_some_and(CancelHandle::is_cancelled) {
            return Err(EvalError::Cancelled);
        }
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Err(EvalError::TimedOut { limit }),
            _ => Ok(()),
        }
    }

    /// [`Guard::check`] on every few-thousandth iteration `i` of a loop.
    #[inline]
    pub(crate) fn tick(&self, i: usize) -> Result<(), EvalError> {
        if i & (CHECK_EVERY - 1) == 0 {
            self.check()
        } else {
            Ok(())
        }
    }

    /// `f(0)`, `f(1)`, ... `f(n - 1)`, checking the deadline as it goes
    /// (so a huge `range` can be cancelled while it is being built).
    pub(crate) fn fill<T>(&self, n: usize, f: impl Fn(usize) -> T) -> Result<Vec<T>, EvalError> {
        let mut out = Vec::with_capacity(n.min(1 << 24));
        let mut start = 0;
        while start < n {
            self.check()?;
            let end = n.min(start.saturating_add(1 << 16));
            out.extend((start..end).map(&f));
            start = end;
        }
        Ok(out)
    }

    /// Fails when `bytes` more would not fit in the query's memory budget
    /// now (without holding them).
    pub(crate) fn check_bytes(&self, bytes: usize, span: Span) -> Result<(), EvalError> {
        let estimate = self.pool.reserved().saturating_add(bytes);
        if estimate > self.max_memory {
            return Err(EvalError::OutOfMemory {
                estimate,
                limit: self.max_memory,
                span,
            });
        }
        Ok(())
    }

    /// Reserves the bytes of the columns only `table` holds (a result that
    /// stays alive while the operators above it run), failing when the
    /// query's live data would exceed the memory budget.
    pub(crate) fn reserve_table(
        &self,
        table: &Table,
        span: Span,
    ) -> Result<MemoryReservation, EvalError> {
        if self.max_memory == usize::MAX {
            return Ok(self.reserve(span));
        }
        self.reserve_bytes(owned_bytes(table), span)
    }
}

fn far_future() -> Instant {
    // About 30 years: later than any query, small enough to add to `now`.
    Instant::now() + Duration::from_secs(1 << 30)
}

/// The bytes `table`'s columns take, counting a column shared by several
/// tables once per use. Exact for fixed-size types and strings; `dynamic`
/// columns are estimated from a sample of their cells (a slot per cell plus
/// the nested values of a few cells, scaled up), so the cost is constant
/// per column.
pub fn estimated_bytes(table: &Table) -> usize {
    table
        .columns()
        .map(|(_, c)| column_bytes(c))
        .fold(0usize, usize::saturating_add)
}

/// The bytes of the columns only `table` holds: columns shared with a
/// catalog table, a cached `materialize` or another live result are
/// already paid for.
fn owned_bytes(table: &Table) -> usize {
    table
        .columns()
        .filter(|(_, c)| Arc::strong_count(c) == 1)
        .map(|(_, c)| column_bytes(c))
        .fold(0usize, usize::saturating_add)
}

/// [`estimated_bytes`] of one column.
pub(crate) fn column_bytes(c: &crate::column::Column) -> usize {
    let validity = c.validity.as_ref().map_or(0, |_| c.len().div_ceil(8));
    let data = match &c.data {
        ColumnData::Bool(v) => v.len(),
        ColumnData::Int(v) => v.len().saturating_mul(4),
        ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v) => {
            v.len().saturating_mul(8)
        }
        ColumnData::Real(v) => v.len().saturating_mul(8),
        ColumnData::Decimal(v) => v.len().saturating_mul(16),
        ColumnData::Guid(v) => v.len().saturating_mul(16),
        ColumnData::String(StringColumn::Plain(a)) => {
            a.byte_len().saturating_add(a.len().saturating_mul(8))
        }
        ColumnData::String(StringColumn::Dict { codes, dict }) => codes
            .len()
            .saturating_mul(4)
            .saturating_add(dict.byte_len()),
        ColumnData::Dynamic(v) => dynamic_bytes(v),
        ColumnData::Shredded(s) => s.byte_size(),
    };
    data.saturating_add(validity)
}

/// Cells of a `dynamic` column measured for an estimate.
const SAMPLE_CELLS: usize = 32;
/// Items of an array or bag measured (per level) for an estimate.
const SAMPLE_ITEMS: usize = 8;
/// Levels of nesting measured for an estimate.
const SAMPLE_DEPTH: usize = 3;

/// An estimate of the bytes of a `dynamic` column: a slot per cell plus the
/// heap of evenly spaced sample cells, scaled to the column when they are
/// all distinct. Sampled cells that share their heap (a constant repeated
/// down a column) count once.
fn dynamic_bytes(values: &[Dynamic]) -> usize {
    let n = values.len();
    let slots = n.saturating_mul(std::mem::size_of::<Dynamic>());
    let k = n.min(SAMPLE_CELLS);
    if k == 0 {
        return slots;
    }
    let stride = n / k;
    let mut seen: Vec<*const u8> = Vec::with_capacity(k);
    let mut heap = 0usize;
    let mut shared = 0usize;
    for v in values.iter().step_by(stride.max(1)).take(k) {
        if let Some(p) = heap_address(v) {
            if seen.contains(&p) {
                shared += 1;
                continue;
            }
            seen.push(p);
        }
        heap = heap.saturating_add(heap_bytes(v, SAMPLE_DEPTH));
    }
    // Samples that all differ stand for the whole column; repeats mean the
    // column shares a few values, counted once each.
    let measured = if shared == 0 { scale(heap, n, k) } else { heap };
    slots.saturating_add(measured)
}

/// `x * n / k` without overflow (0 when `k` is 0).
fn scale(x: usize, n: usize, k: usize) -> usize {
    if k == 0 {
        return 0;
    }
    let scaled = x as u128 * n as u128 / k as u128;
    usize::try_from(scaled).unwrap_or(usize::MAX)
}

/// Where `v`'s heap part lives, to spot cells sharing one.
fn heap_address(v: &Dynamic) -> Option<*const u8> {
    match v {
        Dynamic::String(s) => Some(s.as_ptr()),
        Dynamic::Array(a) => Some(Arc::as_ptr(a).cast()),
        Dynamic::Bag(b) => Some(Arc::as_ptr(b).cast()),
        _ => None,
    }
}

/// Heap bytes behind one `dynamic` value, from a sample of its items.
fn heap_bytes(v: &Dynamic, depth: usize) -> usize {
    let slot = std::mem::size_of::<Dynamic>();
    let sampled = |len: usize, items: &mut dyn Iterator<Item = usize>| {
        let k = len.min(SAMPLE_ITEMS);
        let measured: usize = items.take(k).fold(0, usize::saturating_add);
        scale(measured, len, k)
    };
    match v {
        Dynamic::String(s) => s.len(),
        Dynamic::Array(items) if depth > 0 => {
            items.len().saturating_mul(slot).saturating_add(sampled(
                items.len(),
                &mut items.iter().map(|x| heap_bytes(x, depth - 1)),
            ))
        }
        Dynamic::Array(items) => items.len().saturating_mul(slot),
        Dynamic::Bag(bag) => {
            // A key (an `Arc<str>`, usually shared), its hash slot and value.
            let entry = slot + 24;
            let nested = if depth > 0 {
                sampled(
                    bag.len(),
                    &mut bag.values().map(|x| heap_bytes(x, depth - 1)),
                )
            } else {
                0
            };
            bag.len().saturating_mul(entry).saturating_add(nested)
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_handle_stops_the_next_check() {
        let cancel = CancelHandle::new();
        let guard = Guard::start(&Limits::default()).with_cancel(Some(cancel.clone()));
        assert_eq!(guard.check(), Ok(()));
        cancel.cancel();
        assert_eq!(guard.check(), Err(EvalError::Cancelled));
        assert_eq!(guard.tick(1), Ok(()), "ticks between checks are free");
    }

    #[test]
    fn a_zero_timeout_expires_at_once() {
        let limits = Limits {
            timeout: Some(Duration::ZERO),
            ..Limits::default()
        };
        assert!(matches!(
            Guard::start(&limits).check(),
            Err(EvalError::TimedOut { .. })
        ));
    }

    fn dynamic_table(cells: Vec<Dynamic>) -> Table {
        let col = crate::column::Column::new(ColumnData::Dynamic(cells));
        Table::try_new([("d".to_string(), Arc::new(col))]).unwrap_or_default()
    }

    #[test]
    fn dynamic_arrays_are_measured_by_their_items() {
        let array = |n: i64| Dynamic::Array(Arc::new((0..n).map(Dynamic::Long).collect()));
        let cells: Vec<Dynamic> = (0..1000).map(|_| array(1000)).collect();
        let bytes = estimated_bytes(&dynamic_table(cells));
        let slot = std::mem::size_of::<Dynamic>();
        assert!(bytes >= 1000 * 1000 * slot, "{bytes}");
        assert!(bytes < 2 * 1000 * 1001 * slot, "{bytes}");
    }

    #[test]
    fn a_shared_dynamic_constant_is_counted_about_once() {
        let one = Dynamic::Array(Arc::new((0..1000).map(Dynamic::Long).collect()));
        let cells = vec![one; 100_000];
        let bytes = estimated_bytes(&dynamic_table(cells));
        let slot = std::mem::size_of::<Dynamic>();
        // The slots plus a small multiple of one array, not 100,000 arrays.
        assert!(bytes < 100_000 * slot + 2_000 * 1000 * slot, "{bytes}");
    }

    #[test]
    fn clones_of_a_handle_are_equal_and_fresh_handles_are_not() {
        let a = CancelHandle::new();
        assert_eq!(a, a.clone());
        assert_ne!(a, CancelHandle::new());
    }
}
