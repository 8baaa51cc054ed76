//! The threads a query may use: the global pool, a fixed pool, or only
//! the calling thread.

use std::sync::Arc;

/// The threads a query may use: the global rayon pool (all cores), a
/// dedicated pool of a fixed size, or only the calling thread.
#[derive(Debug, Clone)]
pub struct Threads {
    pool: Option<Arc<rayon::ThreadPool>>,
    /// 0 = the global pool.
    count: usize,
}

impl Default for Threads {
    fn default() -> Threads {
        Threads::all()
    }
}

impl Threads {
    /// Every core (a shared pool whose threads have stacks deep enough for
    /// the deepest expressions; rayon's global pool if it cannot start).
    pub fn all() -> Threads {
        static SHARED: std::sync::OnceLock<Option<Arc<rayon::ThreadPool>>> =
            std::sync::OnceLock::new();
        let pool = SHARED.get_or_init(|| {
            rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("kqlite-{i}"))
                .stack_size(super::WORKER_STACK)
                .build()
                .ok()
                .map(Arc::new)
        });
        Threads {
            pool: pool.clone(),
            count: 0,
        }
    }

    /// Only the calling thread.
    pub fn sequential() -> Threads {
        Threads {
            pool: None,
            count: 1,
        }
    }

    /// `n` threads (`0` = every core). Falls back to every core if the
    /// operating system refuses to start a dedicated pool.
    pub fn fixed(n: usize) -> Threads {
        match n {
            0 => Threads::all(),
            1 => Threads::sequential(),
            n => match rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .stack_size(super::WORKER_STACK)
                .build()
            {
                Ok(pool) => Threads {
                    pool: Some(Arc::new(pool)),
                    count: n,
                },
                Err(_) => Threads::all(),
            },
        }
    }

    /// How many threads work on a query.
    pub fn count(&self) -> usize {
        match self.count {
            0 => self
                .pool
                .as_ref()
                .map_or_else(rayon::current_num_threads, |p| p.current_num_threads()),
            n => n,
        }
    }

    /// Runs `f` inside this pool (so its parallel iterators use it).
    pub(super) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => f(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_pool_reports_its_size() {
        assert_eq!(Threads::fixed(1).count(), 1);
        assert_eq!(Threads::fixed(3).count(), 3);
        assert!(Threads::all().count() >= 1);
    }
}
