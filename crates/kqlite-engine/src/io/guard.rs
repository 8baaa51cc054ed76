//! Limits that hold while a file is read, before anything is parsed: a
//! deadline checked on every read, (for line-based formats) a cap on the
//! length of one line, so an endless or giant line ends in a clean error
//! instead of filling memory, and a memory budget that each read reserves
//! from before the text it reads becomes columns.

use std::io::{self, Read};
use std::time::Instant;

use crate::eval::memory::MemoryReservation;

/// Longest line a JSON Lines or CSV file may have: 64 MiB, the size past
/// which Kusto fails the ingestion of a record.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// A reader that fails once `deadline` passes or a line grows past
/// `max_line` bytes.
pub(crate) struct GuardedReader<R> {
    inner: R,
    deadline: Option<Instant>,
    max_line: Option<usize>,
    /// Bytes read since the last line break.
    line_len: usize,
    /// Line breaks seen so far.
    lines: usize,
    /// What the text read so far holds of the load's memory budget.
    budget: Option<MemoryReservation>,
}

impl<R: Read> GuardedReader<R> {
    /// Wraps `inner`; `max_line` is `None` for formats whose documents may
    /// sit on one line (a JSON array).
    pub(crate) fn new(inner: R, deadline: Option<Instant>, max_line: Option<usize>) -> Self {
        GuardedReader {
            inner,
            deadline,
            max_line,
            line_len: 0,
            lines: 0,
            budget: None,
        }
    }

    /// Reserves every byte read from `budget` before handing it on (a
    /// table takes about as much memory as the text it is loaded from),
    /// failing the read with [`io::ErrorKind::OutOfMemory`] when the
    /// budget is spent.
    pub(crate) fn with_budget(mut self, budget: Option<MemoryReservation>) -> Self {
        self.budget = budget;
        self
    }
}

impl<R: Read> Read for GuardedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "loading ran past the time limit (--timeout) after {} lines",
                    self.lines
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        if let Some(budget) = &mut self.budget {
            if budget.try_grow(n).is_err() {
                return Err(over_budget(budget.size()));
            }
        }
        let Some(max) = self.max_line else {
            return Ok(n);
        };
        let got = buf.get(..n).unwrap_or_default();
        let mut start = 0;
        for k in memchr::memchr_iter(b'\n', got) {
            self.check_line(max, self.line_len.saturating_add(k - start))?;
            self.line_len = 0;
            self.lines += 1;
            start = k + 1;
        }
        self.line_len = self.line_len.saturating_add(n - start);
        self.check_line(max, self.line_len)?;
        Ok(n)
    }
}

/// The error of a read past the memory budget, `held` bytes having been
/// read before it.
pub(crate) fn over_budget(held: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!("the table would take more memory than the budget allows ({held} bytes loaded before it)"),
    )
}

impl<R> GuardedReader<R> {
    fn check_line(&self, max: usize, len: usize) -> io::Result<()> {
        if len <= max {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "line {} is longer than {} MiB, the most one record may take (Kusto refuses such records too)",
                self.lines + 1,
                max >> 20
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(r: &mut impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        r.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn lines_within_the_cap_read_unchanged() {
        let text = b"ab\ncd\n".repeat(1000);
        let mut r = GuardedReader::new(text.as_slice(), None, Some(3));
        assert_eq!(read_all(&mut r).unwrap(), text);
    }

    #[test]
    fn a_line_past_the_cap_fails_with_its_number() {
        let text = b"ab\nabcdef\n";
        let mut r = GuardedReader::new(text.as_slice(), None, Some(4));
        let err = read_all(&mut r).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn an_endless_line_fails_without_reading_it_all() {
        let mut r = GuardedReader::new(io::repeat(b'x'), None, Some(1 << 20));
        assert!(read_all(&mut r).is_err());
    }

    #[test]
    fn reads_past_the_memory_budget_fail_before_the_text_is_handed_on() {
        let pool = crate::eval::memory::MemoryPool::new(1 << 20);
        let budget = MemoryReservation::new(&pool);
        let mut r = GuardedReader::new(io::repeat(b'x'), None, None).with_budget(Some(budget));
        let mut buf = vec![0u8; 64 << 10];
        let mut read = 0;
        let err = loop {
            match r.read(&mut buf) {
                Ok(n) => read += n,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::OutOfMemory);
        assert!(read <= 1 << 20, "{read} bytes read past a 1 MiB budget");
        assert!(pool.reserved() <= 1 << 20);
    }

    #[test]
    fn a_passed_deadline_stops_the_next_read() {
        let mut r = GuardedReader::new(io::repeat(b'\n'), Some(Instant::now()), None);
        let err = read_all(&mut r).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
