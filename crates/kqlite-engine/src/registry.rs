//! The function registry: scalar functions and aggregates by KQL name.
//!
//! Names are case-sensitive, as in KQL. [`Registry::builtin`] holds every
//! built-in function and is built once per process. Each
//! [`crate::Engine`] binds its queries against its own registry: the
//! built-in one, shared, until the embedder registers a function
//! ([`crate::Engine::register_scalar`], [`crate::Engine::register_aggregate`],
//! [`crate::Engine::functions_mut`]), which gives that engine a copy of its
//! own. Other engines do not see the addition.
//!
//! A registered function may replace a built-in of the same name, for its
//! registry only: an embedder knows better than kqlite what
//! `current_principal()` should answer. The deprecated aliases of a
//! replaced function (`parsejson` for `parse_json`) follow it. Names the
//! binder resolves itself before looking in the registry are not replaced
//! this way: `toscalar`, `row_number`, `prev`, `next`, `pack_all()`,
//! `materialize`, `column_ifexists`, `column_names_of`, `bin_auto`,
//! `ingestion_time` and `geo_info_from_ip_address`, as well as functions
//! the query itself defines with `let` and stored workspace functions
//! (those take precedence over the registry).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use crate::function::{AggregateFunction, ScalarFunction};
use crate::functions;
use crate::types::DataType;

/// Scalar and aggregate functions, looked up by name. Cloning is cheap (the
/// functions themselves are shared).
#[derive(Clone)]
pub struct Registry {
    scalars: BTreeMap<&'static str, Arc<dyn ScalarFunction>>,
    aggregates: BTreeMap<&'static str, Arc<dyn AggregateFunction>>,
    /// Deprecated scalar aliases registered here, with their targets.
    scalar_aliases: BTreeMap<&'static str, &'static str>,
    /// Deprecated aggregate aliases registered here, with their targets.
    aggregate_aliases: BTreeMap<&'static str, &'static str>,
}

/// The deprecated aliases that call `name`, after forgetting any alias
/// that `name` itself was (it is now a function of its own).
fn aliases_of(aliases: &mut BTreeMap<&'static str, &'static str>, name: &str) -> Vec<&'static str> {
    aliases.remove(name);
    aliases
        .iter()
        .filter(|(_, target)| **target == name)
        .map(|(alias, _)| *alias)
        .collect()
}

impl Registry {
    /// An empty registry (for embedders that want a custom function set).
    pub fn empty() -> Registry {
        Registry {
            scalars: BTreeMap::new(),
            aggregates: BTreeMap::new(),
            scalar_aliases: BTreeMap::new(),
            aggregate_aliases: BTreeMap::new(),
        }
    }

    /// The built-in functions, shared by all queries.
    pub fn builtin() -> &'static Registry {
        Registry::builtin_shared()
    }

    /// The built-in functions as a shared handle (what a new
    /// [`crate::Engine`] starts with, without copying).
    pub fn builtin_shared() -> &'static Arc<Registry> {
        static BUILTIN: OnceLock<Arc<Registry>> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            let mut r = Registry::empty();
            for f in functions::builtin_scalars() {
                r.add_scalar(f);
            }
            for a in functions::aggregate::builtin_aggregates() {
                r.add_aggregate(a);
            }
            r.add_deprecated_aliases();
            Arc::new(r)
        })
    }

    /// Registers a scalar function under its [`ScalarFunction::name`],
    /// replacing any previous one of that name (a built-in included); the
    /// deprecated aliases of the name now call the new function.
    pub fn add_scalar(&mut self, f: Arc<dyn ScalarFunction>) {
        let name = f.name();
        for alias in aliases_of(&mut self.scalar_aliases, name) {
            let target = Arc::clone(&f);
            self.scalars.insert(
                alias,
                Arc::new(ScalarAlias {
                    name: alias,
                    target,
                }),
            );
        }
        self.scalars.insert(name, f);
    }

    /// Registers an aggregate under its [`AggregateFunction::name`],
    /// replacing any previous one of that name (a built-in included); the
    /// deprecated aliases of the name now call the new aggregate.
    pub fn add_aggregate(&mut self, f: Arc<dyn AggregateFunction>) {
        let name = f.name();
        for alias in aliases_of(&mut self.aggregate_aliases, name) {
            let target = Arc::clone(&f);
            self.aggregates.insert(
                alias,
                Arc::new(AggregateAlias {
                    name: alias,
                    target,
                }),
            );
        }
        self.aggregates.insert(name, f);
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

/// Deprecated scalar function names Kusto still accepts, with the function
/// each stands for (from the "Deprecated aliases" notes of Microsoft's KQL
/// reference).
pub const DEPRECATED_SCALAR_ALIASES: &[(&str, &str)] = &[
    ("arraylength", "array_length"),
    ("base64_decodestring", "base64_decode_tostring"),
    ("base64_encodestring", "base64_encode_tostring"),
    ("datepart", "datetime_part"),
    ("extentid", "extent_id"),
    ("extenttags", "extent_tags"),
    ("make_string", "unicode_codepoints_to_string"),
    ("notempty", "isnotempty"),
    ("notnull", "isnotnull"),
    ("parsejson", "parse_json"),
    ("toobject", "parse_json"),
    ("weekofyear", "week_of_year"),
];

/// Deprecated aggregate names Kusto still accepts, with the aggregate each
/// stands for. Default output names are the current function's
/// (`makeset(x)` → `set_x`).
pub const DEPRECATED_AGGREGATE_ALIASES: &[(&str, &str)] = &[
    ("makelist", "make_list"),
    ("makeset", "make_set"),
    ("make_dictionary", "make_bag"),
];

/// A scalar function answering to another name.
struct ScalarAlias {
    name: &'static str,
    target: Arc<dyn ScalarFunction>,
}

impl ScalarFunction for ScalarAlias {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, crate::function::FunctionError> {
        self.target.return_type(args)
    }

    fn properties(&self) -> crate::function::FunctionProperties {
        self.target.properties()
    }

    fn invoke(
        &self,
        args: &[crate::function::ColumnarValue],
        rows: usize,
        ctx: &crate::function::EvalContext,
    ) -> Result<crate::function::ColumnarValue, crate::function::FunctionError> {
        self.target.invoke(args, rows, ctx)
    }
}

/// An aggregate answering to another name.
struct AggregateAlias {
    name: &'static str,
    target: Arc<dyn AggregateFunction>,
}

impl AggregateFunction for AggregateAlias {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, crate::function::FunctionError> {
        self.target.return_type(args)
    }

    fn properties(&self) -> crate::function::AggregateProperties {
        self.target.properties()
    }

    fn default_name(&self, arg_names: &[Option<&str>]) -> String {
        self.target.default_name(arg_names)
    }

    fn accumulator(
        &self,
        args: &[DataType],
        constants: &[Option<crate::value::Value>],
    ) -> Result<Box<dyn crate::function::GroupsAccumulator>, crate::function::FunctionError> {
        self.target.accumulator(args, constants)
    }
}

impl Registry {
    /// Registers [`DEPRECATED_SCALAR_ALIASES`] and
    /// [`DEPRECATED_AGGREGATE_ALIASES`] for the functions present.
    fn add_deprecated_aliases(&mut self) {
        for (name, target_name) in DEPRECATED_SCALAR_ALIASES {
            if let Some(target) = self.scalar(target_name).cloned() {
                if self.scalar(name).is_none() {
                    self.add_scalar(Arc::new(ScalarAlias { name, target }));
                    self.scalar_aliases.insert(name, target_name);
                }
            }
        }
        for (name, target_name) in DEPRECATED_AGGREGATE_ALIASES {
            if let Some(target) = self.aggregate(target_name).cloned() {
                if self.aggregate(name).is_none() {
                    self.add_aggregate(Arc::new(AggregateAlias { name, target }));
                    self.aggregate_aliases.insert(name, target_name);
                }
            }
        }
    }
}

/// One output column of a multi-column function: the column-name suffix
/// (also the key in the function's property-bag result) and its type.
pub type OutputColumn = (&'static str, DataType);

const REAL: DataType = DataType::Real;
const LONG: DataType = DataType::Long;
const DYN: DataType = DataType::Dynamic;

/// Functions whose result Kusto spreads over several columns. Each is
/// registered as an ordinary scalar returning a property bag keyed by the
/// suffixes listed here. A binder expands `extend f(x)` into one column per
/// entry named `f_<x>_<suffix>` (e.g. `series_stats_x_min`), or assigns the
/// entries in order to the names of `extend (a, b, ...) = f(x)`, taking
/// `bag[suffix]` converted to the listed type.
const MULTI_COLUMN: &[(&str, &[OutputColumn])] = &[
    (
        "series_decompose",
        &[
            ("baseline", DYN),
            ("seasonal", DYN),
            ("trend", DYN),
            ("residual", DYN),
        ],
    ),
    (
        "series_decompose_anomalies",
        &[("ad_flag", DYN), ("ad_score", DYN), ("baseline", DYN)],
    ),
    (
        "series_fit_2lines",
        &[
            ("rsquare", REAL),
            ("split_idx", LONG),
            ("variance", REAL),
            ("rvariance", REAL),
            ("line_fit", DYN),
            ("right_rsquare", REAL),
            ("right_slope", REAL),
            ("right_interception", REAL),
            ("right_variance", REAL),
            ("right_rvariance", REAL),
            ("left_rsquare", REAL),
            ("left_slope", REAL),
            ("left_interception", REAL),
            ("left_variance", REAL),
            ("left_rvariance", REAL),
        ],
    ),
    (
        "series_fit_line",
        &[
            ("rsquare", REAL),
            ("slope", REAL),
            ("variance", REAL),
            ("rvariance", REAL),
            ("interception", REAL),
            ("line_fit", DYN),
        ],
    ),
    (
        "series_fit_poly",
        &[
            ("rsquare", REAL),
            ("coefficients", DYN),
            ("variance", REAL),
            ("rvariance", REAL),
            ("poly_fit", DYN),
        ],
    ),
    ("series_fft", &[("real", DYN), ("imag", DYN)]),
    ("series_ifft", &[("real", DYN), ("imag", DYN)]),
    (
        "series_periods_detect",
        &[("periods", DYN), ("scores", DYN)],
    ),
    (
        "series_periods_validate",
        &[("periods", DYN), ("scores", DYN)],
    ),
    (
        "series_stats",
        &[
            ("min", REAL),
            ("min_idx", LONG),
            ("max", REAL),
            ("max_idx", LONG),
            ("avg", REAL),
            ("stdev", REAL),
            ("variance", REAL),
        ],
    ),
];

impl Registry {
    /// The output columns of a multi-column scalar function such as
    /// `series_stats`, in output order (a binder names them `f_<arg>_<suffix>`
    /// and reads each from the bag the function returns);
    /// `None` for ordinary single-value functions.
    pub fn output_columns(&self, name: &str) -> Option<&'static [OutputColumn]> {
        MULTI_COLUMN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, cols)| *cols)
            .filter(|_| self.scalars.contains_key(name))
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
    fn no_scalar_function_panics_on_odd_arguments() {
        use crate::function::{ColumnarValue, EvalContext};
        use crate::types::DataType;
        use crate::value::{Dynamic, Value};
        let pool = [
            Value::Null,
            Value::Long(i64::MIN),
            Value::Long(-1),
            Value::Long(i64::MAX),
            Value::Real(f64::NAN),
            Value::string(""),
            Value::string("a.b[1]"),
            Value::DateTime(crate::time::MAX_DATETIME_TICKS),
            Value::TimeSpan(i64::MIN),
            Value::Dynamic(Dynamic::from_json(&serde_json::json!([1, "x", null]))),
        ];
        let ctx = EvalContext { now: 0 };
        let r = Registry::builtin();
        // Every pair from the pool, and triples from a smaller subset (large
        // counts such as `range(-1, i64::MAX)` build capped 1M-element arrays,
        // so the triples avoid them to keep the test quick).
        let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
        for a in &pool {
            combos.push(vec![a.clone()]);
            for b in &pool {
                combos.push(vec![a.clone(), b.clone()]);
            }
        }
        let small = [
            Value::Null,
            Value::Long(-1),
            Value::string("a.b[1]"),
            Value::TimeSpan(i64::MIN),
        ];
        for a in &small {
            for b in &small {
                for c in &small {
                    combos.push(vec![a.clone(), b.clone(), c.clone()]);
                }
            }
        }
        for name in r.scalar_names() {
            let Some(f) = r.scalar(name) else { continue };
            // Sequence builders are capped at 1M elements (tested on their
            // own); skipping their huge counts keeps this test quick.
            let builds_sequences = matches!(name, "range" | "repeat");
            for args in &combos {
                if builds_sequences
                    && args
                        .iter()
                        .any(|a| matches!(a, Value::Long(i64::MIN | i64::MAX)))
                {
                    continue;
                }
                let cols: Vec<ColumnarValue> = args
                    .iter()
                    .map(|v| {
                        ColumnarValue::Scalar(v.clone(), v.data_type().unwrap_or(DataType::Long))
                    })
                    .collect();
                let types: Vec<DataType> = cols.iter().map(ColumnarValue::data_type).collect();
                if f.return_type(&types).is_err() {
                    continue;
                }
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let _ = f.invoke(&cols, 1, &ctx);
                    let columns: Vec<ColumnarValue> = cols
                        .iter()
                        .map(|c| ColumnarValue::Column(c.clone().into_column(2)))
                        .collect();
                    let _ = f.invoke(&columns, 2, &ctx);
                }));
                assert!(outcome.is_ok(), "{name}({args:?}) panicked");
            }
        }
    }

    #[test]
    fn no_aggregate_panics_on_odd_arguments() {
        use crate::column::ColumnBuilder;
        use crate::function::ColumnarValue;
        use crate::types::DataType;
        use crate::value::{Dynamic, Value};
        let columns: Vec<ColumnarValue> = [
            (
                DataType::Long,
                vec![Value::Null, Value::Long(i64::MAX), Value::Long(i64::MAX)],
            ),
            (
                DataType::Real,
                vec![Value::Real(f64::NAN), Value::Null, Value::Real(-0.0)],
            ),
            (
                DataType::String,
                vec![Value::string(""), Value::string("b"), Value::string("a")],
            ),
            (
                DataType::Bool,
                vec![Value::Null, Value::Bool(true), Value::Bool(false)],
            ),
            (
                DataType::Dynamic,
                vec![
                    Value::Dynamic(Dynamic::from_json(
                        &serde_json::json!([1, [2], {"a": null}]),
                    )),
                    Value::Dynamic(Dynamic::Null),
                    Value::Dynamic(Dynamic::from_json(&serde_json::json!({"k": 1}))),
                ],
            ),
        ]
        .into_iter()
        .map(|(t, vals)| {
            let mut b = ColumnBuilder::new(t, vals.len());
            for v in &vals {
                let _ = b.push(v);
            }
            ColumnarValue::Column(std::sync::Arc::new(b.finish()))
        })
        .collect();
        let r = Registry::builtin();
        for name in r.aggregate_names() {
            let Some(f) = r.aggregate(name) else { continue };
            for a in &columns {
                for b in &columns {
                    for args in [vec![a.clone()], vec![a.clone(), b.clone()]] {
                        let types: Vec<DataType> =
                            args.iter().map(ColumnarValue::data_type).collect();
                        let constants = [None, Some(Value::Long(50))];
                        let Ok(mut acc) = f.accumulator(&types, &constants[..args.len()]) else {
                            continue;
                        };
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                let _ = acc.update(&args, &[0, 1, 0], 2);
                                let _ = acc.finish(3);
                            }));
                        assert!(outcome.is_ok(), "{name}({types:?}) panicked");
                    }
                }
            }
        }
    }

    #[test]
    fn multi_column_functions_return_bags_with_their_listed_keys() {
        use crate::function::{ColumnarValue, EvalContext};
        use crate::value::{Dynamic, Value};
        let r = Registry::builtin();
        let series = Value::Dynamic(Dynamic::from_json(&serde_json::json!([
            1, 3, 2, 5, 4, 6, 5, 8, 7, 9, 8, 11
        ])));
        for (name, cols) in MULTI_COLUMN {
            let f = r
                .scalar(name)
                .unwrap_or_else(|| panic!("{name} is registered"));
            assert_eq!(r.output_columns(name), Some(*cols));
            let mut args = vec![ColumnarValue::Scalar(series.clone(), DataType::Dynamic)];
            if *name == "series_periods_detect" || *name == "series_periods_validate" {
                args.push(ColumnarValue::Scalar(Value::Real(2.0), DataType::Real));
                args.push(ColumnarValue::Scalar(Value::Real(6.0), DataType::Real));
            }
            let out = f.invoke(&args, 1, &EvalContext { now: 0 }).unwrap().get(0);
            let Value::Dynamic(Dynamic::Bag(bag)) = out else {
                panic!("{name} gave {out:?}")
            };
            for (key, _) in cols.iter() {
                assert!(bag.contains_key(*key), "{name} lacks {key}");
            }
        }
        assert_eq!(r.output_columns("series_sum"), None);
    }

    #[test]
    fn every_deprecated_alias_names_a_registered_function() {
        let r = Registry::builtin();
        for (alias, _) in DEPRECATED_SCALAR_ALIASES {
            assert!(r.scalar(alias).is_some(), "{alias}");
        }
        for (alias, _) in DEPRECATED_AGGREGATE_ALIASES {
            assert!(r.aggregate(alias).is_some(), "{alias}");
        }
        let makeset = r.aggregate("makeset").unwrap();
        assert_eq!(makeset.default_name(&[Some("x")]), "set_x");
    }

    #[test]
    fn functions_declare_what_the_evaluator_relies_on() {
        use crate::function::{Merge, NullHandling, RowDependence, Volatility};
        let r = Registry::builtin();
        let props = |name: &str| r.scalar(name).map(|f| f.properties());
        for name in ["rand", "new_guid"] {
            assert_eq!(
                props(name).map(|p| p.volatility),
                Some(Volatility::Volatile),
                "{name}"
            );
        }
        for name in ["now", "ago"] {
            assert_eq!(
                props(name).map(|p| p.volatility),
                Some(Volatility::Stable),
                "{name}"
            );
        }
        for name in r.scalar_names() {
            let window = props(name).map(|p| p.rows) == Some(RowDependence::Window);
            assert_eq!(
                window,
                name.starts_with("row_") || matches!(name, "prev" | "next"),
                "{name} declares the wrong row dependence"
            );
        }
        assert_eq!(
            props("hash_sha256").map(|p| p.nulls),
            Some(NullHandling::Propagate)
        );
        assert_eq!(props("isnull").map(|p| p.nulls), Some(NullHandling::Custom));
        let merge = |name: &str| r.aggregate(name).map(|a| a.properties().merge);
        assert_eq!(merge("dcount"), Some(Merge::Exact));
        assert_eq!(merge("makeset"), Some(Merge::Exact), "aliases forward");
        assert_eq!(
            merge("sum"),
            Some(Merge::OnePass),
            "float sums depend on order"
        );
        assert_eq!(merge("make_list"), Some(Merge::OnePass));
    }

    #[test]
    fn registered_names_match_what_functions_report() {
        let r = Registry::builtin();
        for name in r.scalar_names() {
            assert_eq!(r.scalar(name).map(|f| f.name()), Some(name));
        }
    }
}
