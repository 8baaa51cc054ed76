//! A per-query memory budget that operators reserve from *before* they
//! allocate.
//!
//! One [`MemoryPool`] per query holds the budget ([`super::Limits::max_memory`])
//! and a counter of the bytes reserved. Whatever is about to grow (an
//! operator's output, a join's index vectors, a summarize's groups, a
//! loader's column builders) takes a [`MemoryReservation`] from the pool and
//! grows it *before* building the data, a chunk at a time: a reservation
//! that would take the pool over its budget fails with
//! [`EvalError::OutOfMemory`] (error `E1107`) while the memory does not
//! exist yet. A reservation gives its bytes back when dropped.
//!
//! Reservations are coarse on purpose (per operator, per block of rows),
//! so accounting costs one atomic add per block, not per value.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kqlite_parser::Span;

use super::EvalError;
use crate::bind::plan::Plan;
use crate::column::{Column, ColumnData, StringColumn};

/// Largest default budget: 8 GiB, Kusto's default per-query memory limit
/// on one node (`max_memory_consumption_per_query_per_node`).
pub const DEFAULT_MAX_MEMORY_CAP: usize = 8 << 30;

/// Smallest default budget, for machines that report little memory.
const DEFAULT_MAX_MEMORY_FLOOR: usize = 256 << 20;

pub use crate::function::MAX_VALUE_BYTES;

/// The shared budget of one query: a limit and the bytes reserved so far.
#[derive(Debug)]
pub(crate) struct MemoryPool {
    limit: usize,
    reserved: AtomicUsize,
    peak: AtomicUsize,
}

impl MemoryPool {
    /// A pool of `limit` bytes, none reserved.
    pub fn new(limit: usize) -> Arc<MemoryPool> {
        Arc::new(MemoryPool {
            limit,
            reserved: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        })
    }

    /// Bytes reserved now.
    pub fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }

    /// Most bytes reserved at once so far.
    #[cfg(test)]
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Takes `bytes` from the pool, or fails (taking nothing) when that
    /// would exceed the limit.
    fn try_take(&self, bytes: usize, span: Span) -> Result<(), EvalError> {
        if bytes == 0 {
            return Ok(());
        }
        let mut current = self.reserved.load(Ordering::Relaxed);
        loop {
            let next = current.saturating_add(bytes);
            if next > self.limit {
                return Err(EvalError::OutOfMemory {
                    estimate: next,
                    limit: self.limit,
                    span,
                });
            }
            match self.reserved.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.peak.fetch_max(next, Ordering::Relaxed);
                    return Ok(());
                }
                Err(now) => current = now,
            }
        }
    }

    /// Gives `bytes` back.
    fn give_back(&self, bytes: usize) {
        if bytes > 0 {
            self.reserved.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

/// Bytes held from a [`MemoryPool`] for something being built; given back
/// when dropped. Errors name the span given with [`MemoryReservation::at`].
#[derive(Debug)]
pub(crate) struct MemoryReservation {
    pool: Arc<MemoryPool>,
    size: usize,
    span: Span,
}

impl MemoryReservation {
    /// An empty reservation from `pool`.
    pub fn new(pool: &Arc<MemoryPool>) -> MemoryReservation {
        MemoryReservation {
            pool: pool.clone(),
            size: 0,
            span: Span::default(),
        }
    }

    /// The same reservation, reporting `span` (the operator or expression
    /// that grows it) when it cannot grow.
    pub fn at(mut self, span: Span) -> MemoryReservation {
        self.span = span;
        self
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Holds `bytes` more, or fails with [`EvalError::OutOfMemory`]
    /// (holding what it held before).
    pub fn try_grow(&mut self, bytes: usize) -> Result<(), EvalError> {
        self.pool.try_take(bytes, self.span)?;
        self.size = self.size.saturating_add(bytes);
        Ok(())
    }

    /// Gives back up to `bytes`.
    pub fn shrink(&mut self, bytes: usize) {
        let bytes = bytes.min(self.size);
        self.pool.give_back(bytes);
        self.size -= bytes;
    }

    /// Gives back everything held.
    pub fn free(&mut self) {
        self.shrink(self.size);
    }
}

impl Drop for MemoryReservation {
    fn drop(&mut self) {
        self.free();
    }
}

/// A default memory budget for this machine: half the memory available
/// now (`MemAvailable` in `/proc/meminfo`, else the physical memory),
/// between 256 MiB and `DEFAULT_MAX_MEMORY_CAP` (8 GiB, Kusto's default
/// per-query budget). Where the machine's memory cannot be read, 8 GiB.
pub fn default_max_memory() -> usize {
    let info = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    match available_from_meminfo(&info) {
        Some(bytes) => (bytes / 2).clamp(DEFAULT_MAX_MEMORY_FLOOR, DEFAULT_MAX_MEMORY_CAP),
        None => DEFAULT_MAX_MEMORY_CAP,
    }
}

/// `MemAvailable` (else `MemTotal`) of a `/proc/meminfo` text, in bytes.
fn available_from_meminfo(text: &str) -> Option<usize> {
    let field = |name: &str| -> Option<usize> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let rest = line.get(name.len()..)?.trim_start_matches(':').trim();
        let kib: usize = rest.split_whitespace().next()?.parse().ok()?;
        kib.checked_mul(1024)
    };
    field("MemAvailable").or_else(|| field("MemTotal"))
}

/// Bytes one row of `c` costs when gathered into a new column (a `take`
/// of its rows): the fixed width of its type, the average text plus an
/// offset for plain strings, a code for dictionary strings, and a slot for
/// `dynamic` values (their contents are shared, not copied).
pub(crate) fn row_width(c: &Column) -> usize {
    let validity = usize::from(c.validity.is_some());
    let data = match &c.data {
        ColumnData::Bool(_) => 1,
        ColumnData::Int(_) => 4,
        ColumnData::Long(_) | ColumnData::DateTime(_) | ColumnData::TimeSpan(_) => 8,
        ColumnData::Real(_) => 8,
        ColumnData::Decimal(_) | ColumnData::Guid(_) => 16,
        ColumnData::String(StringColumn::Plain(a)) => {
            8 + a.byte_len().checked_div(a.len()).unwrap_or(0)
        }
        ColumnData::String(StringColumn::Dict { .. }) => 4,
        ColumnData::Dynamic(_) => std::mem::size_of::<crate::value::Dynamic>(),
        ColumnData::Shredded(s) => s.row_width(),
    };
    data + validity
}

/// Where to point an error about `plan`'s memory: its own span when it
/// has one, else its expressions' (from the first to the last), else none.
pub(crate) fn plan_span(plan: &Plan) -> Span {
    match plan {
        Plan::BagUnpack { span, .. } | Plan::Pivot { span, .. } | Plan::Join { span, .. } => *span,
        Plan::Extension(op) => op.span(),
        _ => plan
            .exprs()
            .into_iter()
            .map(|e| e.span)
            .filter(|s| !s.is_empty())
            .reduce(|a, b| a.to(b))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_that_would_pass_the_limit_fails_and_holds_nothing_more() {
        let pool = MemoryPool::new(100);
        let mut a = MemoryReservation::new(&pool);
        a.try_grow(60).unwrap();
        let mut b = MemoryReservation::new(&pool);
        let err = b.try_grow(41).unwrap_err();
        assert!(
            matches!(
                err,
                EvalError::OutOfMemory {
                    estimate: 101,
                    limit: 100,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(b.size(), 0);
        assert_eq!(pool.reserved(), 60);
        b.try_grow(40).unwrap();
        assert_eq!(pool.reserved(), 100);
    }

    #[test]
    fn dropping_a_reservation_gives_its_bytes_back() {
        let pool = MemoryPool::new(100);
        {
            let mut r = MemoryReservation::new(&pool);
            r.try_grow(70).unwrap();
            r.shrink(40);
            assert_eq!(pool.reserved(), 30);
        }
        assert_eq!(pool.reserved(), 0);
        assert_eq!(pool.peak(), 70);
    }

    #[test]
    fn a_reservation_reports_the_span_it_was_given() {
        let pool = MemoryPool::new(10);
        let span = Span::new(3, 9);
        let mut r = MemoryReservation::new(&pool).at(span);
        match r.try_grow(11) {
            Err(EvalError::OutOfMemory { span: s, .. }) => assert_eq!(s, span),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_default_budget_is_half_the_available_memory_within_bounds() {
        let info = "MemTotal:       24683664 kB\nMemAvailable:    4000000 kB\n";
        assert_eq!(available_from_meminfo(info), Some(4_000_000 * 1024));
        assert_eq!(
            available_from_meminfo("MemTotal: 1000 kB\n"),
            Some(1000 * 1024)
        );
        assert_eq!(available_from_meminfo("nonsense"), None);
        let d = default_max_memory();
        assert!((DEFAULT_MAX_MEMORY_FLOOR..=DEFAULT_MAX_MEMORY_CAP).contains(&d));
    }
}
