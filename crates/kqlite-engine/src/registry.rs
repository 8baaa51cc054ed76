//! The function registry: scalar functions and aggregates by KQL name.
//!
//! Names are case-sensitive, as in KQL. [`Registry::builtin`] holds every
//! built-in function and is built once per process.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::function::{AggregateFunction, ScalarFunction};
use crate::functions;

/// Scalar and aggregate functions, looked up by name.
pub struct Registry {
    scalars: BTreeMap<&'static str, Arc<dyn ScalarFunction>>,
    aggregates: BTreeMap<&'static str, Arc<dyn AggregateFunction>>,
}

impl Registry {
    /// An empty registry (for embedders that want a custom function set).
    pub fn empty() -> Registry {
        Registry {
            scalars: BTreeMap::new(),
            aggregates: BTreeMap::new(),
        }
    }

    /// The built-in functions, shared by all queries.
    pub fn builtin() -> &'static Registry {
        static BUILTIN: OnceLock<Registry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut r = Registry::empty();
            for f in functions::builtin_scalars() {
                r.add_scalar(f);
            }
            for a in functions::aggregate::builtin_aggregates() {
                r.add_aggregate(a);
            }
            r
        })
    }

    /// Registers a scalar function under its [`ScalarFunction::name`]
    /// (replacing any previous one).
    pub fn add_scalar(&mut self, f: Arc<dyn ScalarFunction>) {
        self.scalars.insert(f.name(), f);
    }

    /// Registers an aggregate under its [`AggregateFunction::name`].
    pub fn add_aggregate(&mut self, f: Arc<dyn AggregateFunction>) {
        self.aggregates.insert(f.name(), f);
    }

    /// The scalar function called `name`.
    pub fn scalar(&self, name: &str) -> Option<&Arc<dyn ScalarFunction>> {
        self.scalars.get(name)
    }

    /// The aggregate called `name`.
    pub fn aggregate(&self, name: &str) -> Option<&Arc<dyn AggregateFunction>> {
        self.aggregates.get(name)
    }

    /// All scalar function names, sorted.
    pub fn scalar_names(&self) -> impl Iterator<Item = &str> {
        self.scalars.keys().copied()
    }

    /// All aggregate names, sorted.
    pub fn aggregate_names(&self) -> impl Iterator<Item = &str> {
        self.aggregates.keys().copied()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("scalars", &self.scalars.len())
            .field("aggregates", &self.aggregates.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_query_functions_are_registered() {
        let r = Registry::builtin();
        for name in ["ago", "tostring", "bin", "now", "iff", "strcat"] {
            assert!(r.scalar(name).is_some(), "{name}");
        }
        for name in ["count", "dcount", "make_set", "sum", "arg_max"] {
            assert!(r.aggregate(name).is_some(), "{name}");
        }
        assert!(r.scalar("ToString").is_none(), "names are case-sensitive");
        assert!(r.scalar_names().count() > 100);
    }

    #[test]
    fn registered_names_match_what_functions_report() {
        let r = Registry::builtin();
        for name in r.scalar_names() {
            assert_eq!(r.scalar(name).map(|f| f.name()), Some(name));
        }
    }
}
