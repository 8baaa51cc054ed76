//! Aggregate functions for `summarize`: `count`, `dcount`, `sum`, `avg`,
//! `min`, `max`, `make_list`, `make_set`, `make_bag`, `take_any`,
//! `arg_max`/`arg_min`, `percentile`, `stdev`, `variance` and their `*if`
//! forms. The registrations and their naming and type rules are here; each
//! accumulator family has its own file.
//!
//! Each accumulator keeps one typed state vector indexed by group id, so a
//! batch folds in with one pass and no per-row boxing. Nulls are skipped.
//! The `*if` forms take the predicate as their last argument and ignore rows
//! where it is not `true`.

use std::any::Any;
use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{arity, as_long, as_real};
use crate::bitmap::Bitmap;
use crate::column::{Column, ColumnBuilder, ColumnData, StringColumn};
use crate::function::{
    dynamic_memory, AggregateFunction, AggregateProperties, ColumnarValue, FunctionError,
    GroupsAccumulator, ValueMemory,
};
use crate::kernels::{self, access};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Kusto's default (and maximum) element count for `make_list`/`make_set`.
pub const DEFAULT_MAX_SIZE: usize = 1_048_576;

type Make = fn(&[DataType], &[Option<Value>]) -> Result<Box<dyn GroupsAccumulator>, FunctionError>;

/// An aggregate built from a name, a return-type rule, its
/// [`AggregateProperties`], a naming rule and an accumulator factory.
#[derive(Clone, Copy)]
pub struct Agg {
    name: &'static str,
    signature: super::Signature,
    properties: AggregateProperties,
    naming: fn(&[Option<&str>]) -> String,
    make: Make,
}

impl AggregateFunction for Agg {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        (self.signature)(args)
    }

    fn properties(&self) -> AggregateProperties {
        self.properties
    }

    fn default_name(&self, arg_names: &[Option<&str>]) -> String {
        (self.naming)(arg_names)
    }

    fn accumulator(
        &self,
        args: &[DataType],
        constants: &[Option<Value>],
    ) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
        (self.signature)(args)?;
        (self.make)(args, constants)
    }
}

/// The naming rules live in [`crate::naming`].
fn named(prefix: &str, names: &[Option<&str>]) -> String {
    crate::naming::aggregate_column(prefix, names)
}

macro_rules! naming {
    ($p:literal) => {
        |n: &[Option<&str>]| named($p, n)
    };
}

/// Every built-in aggregate.
pub fn builtin_aggregates() -> Vec<Arc<dyn AggregateFunction>> {
    let all = [
        Agg {
            name: "count",
            signature: |a| arity(a, 0, 1).map(|_| DataType::Long),
            // `count(x)` counts rows, nulls included (a Kusto conformance case).
            naming: naming!("count_"),
            properties: AggregateProperties::COUNTING,
            make: |_, _| Ok(Box::new(CountAcc::new(CountMode::All))),
        },
        Agg {
            name: "countif",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Long),
            naming: |_| "countif_".into(),
            properties: AggregateProperties::COUNTING,
            make: |_, _| Ok(Box::new(CountAcc::new(CountMode::If))),
        },
        Agg {
            name: "make_list_with_nulls",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("list_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, c| Ok(Box::new(ListAcc::new(false, max_size(c, 1)).with_nulls())),
        },
        Agg {
            name: "arg_max",
            signature: arg_type,
            naming: |n| named("", n),
            properties: AggregateProperties::ONE_PASS,
            make: |a, _| Ok(Box::new(ExtremeAcc::new(extreme_type(&a[..1])?, true))),
        },
        Agg {
            name: "arg_min",
            signature: arg_type,
            naming: |n| named("", n),
            properties: AggregateProperties::ONE_PASS,
            make: |a, _| Ok(Box::new(ExtremeAcc::new(extreme_type(&a[..1])?, false))),
        },
        Agg {
            name: "percentile",
            signature: percentile_type,
            naming: |n| percentile_name(n),
            properties: AggregateProperties::ONE_PASS,
            make: make_percentile,
        },
        Agg {
            name: "stdevp",
            signature: stat_type,
            naming: naming!("stdevp_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::StdevPopulation, false))),
        },
        // `percentiles(x, p)` with one percentile is `percentile(x, p)`.
        // With several, the binder splits the call into one aggregate per
        // percentile (`percentile_x_p1`, `percentile_x_p2`, ...).
        Agg {
            name: "percentiles",
            signature: percentile_type,
            naming: |n| percentile_name(n),
            properties: AggregateProperties::ONE_PASS,
            make: make_percentile,
        },
        // `hll` and `tdigest` keep exact sketches: the distinct values (a
        // dynamic array) and all the values, respectively. Estimates from
        // them (`dcount_hll`, `percentile_tdigest`, `rank_tdigest`) are
        // therefore exact; see `functions::sketch`.
        Agg {
            name: "tdigest",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("tdigest_"),
            properties: AggregateProperties::ONE_PASS,
            make: |a, _| {
                let values = ListAcc::new(false, usize::MAX);
                Ok(if a.len() == 2 {
                    Box::new(WeightedDigestAcc { values })
                } else {
                    Box::new(values)
                })
            },
        },
        Agg {
            name: "percentiles_array",
            signature: |a| arity(a, 2, 64).map(|_| DataType::Dynamic),
            naming: naming!("percentiles_"),
            properties: AggregateProperties::ONE_PASS,
            make: make_percentiles_array,
        },
        // `percentilesw(x, w, p1, p2, ...)` with several percentiles is split
        // by the binder into one aggregate per percentile, as `percentiles`.
        Agg {
            name: "percentilew",
            signature: weighted_percentile_type,
            naming: |n| weighted_percentile_name(n),
            properties: AggregateProperties::ONE_PASS,
            make: make_weighted_percentile,
        },
        Agg {
            name: "percentilesw",
            signature: weighted_percentile_type,
            naming: |n| weighted_percentile_name(n),
            properties: AggregateProperties::ONE_PASS,
            make: make_weighted_percentile,
        },
        Agg {
            name: "percentilesw_array",
            signature: |a| {
                arity(a, 3, 66)?;
                weighted_percentile_type(a.get(..3).unwrap_or_default())?;
                Ok(DataType::Dynamic)
            },
            naming: naming!("percentile_"),
            properties: AggregateProperties::ONE_PASS,
            make: make_weighted_percentiles_array,
        },
        // Merging the exact sketches of `hll` (distinct values) and `tdigest`
        // (all values): a set union and a concatenation.
        Agg {
            name: "hll_merge",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            naming: naming!("hll_merge_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(DistinctAcc::new(false, Distinct::Set, usize::MAX))),
        },
        Agg {
            name: "tdigest_merge",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            naming: naming!("merge_tdigests_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(ListAcc::new(false, usize::MAX))),
        },
        Agg {
            name: "buildschema",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            naming: naming!("schema_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::<super::schema::SchemaAcc>::default()),
        },
        Agg {
            name: "binary_all_and",
            signature: bits_type,
            naming: naming!("binary_all_and_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(BitsAcc::new(BitOp::And))),
        },
        Agg {
            name: "binary_all_or",
            signature: bits_type,
            naming: naming!("binary_all_or_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(BitsAcc::new(BitOp::Or))),
        },
        Agg {
            name: "binary_all_xor",
            signature: bits_type,
            naming: naming!("binary_all_xor_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(BitsAcc::new(BitOp::Xor))),
        },
    ];
    let pairs = [
        Pair {
            name: "dcount",
            if_name: "dcountif",
            arity: (1, 2),
            signature: |_| Ok(DataType::Long),
            naming: naming!("dcount_"),
            if_naming: naming!("dcountif_"),
            properties: AggregateProperties::COUNTING,
            if_properties: AggregateProperties::COUNTING,
            values: 1,
            make: |_, _, p| Ok(Box::new(DistinctAcc::new(p, Distinct::Count, usize::MAX))),
        },
        Pair {
            name: "count_distinct",
            if_name: "count_distinctif",
            arity: (1, 1),
            signature: |_| Ok(DataType::Long),
            naming: naming!("count_distinct_"),
            if_naming: naming!("count_distinctif_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::COUNTING,
            values: 1,
            make: |_, _, p| Ok(Box::new(DistinctAcc::new(p, Distinct::Count, usize::MAX))),
        },
        Pair {
            name: "make_set",
            if_name: "make_set_if",
            arity: (1, 2),
            signature: |_| Ok(DataType::Dynamic),
            naming: naming!("set_"),
            if_naming: naming!("set_"),
            properties: AggregateProperties::EXACT,
            if_properties: AggregateProperties::EXACT,
            values: 1,
            make: |_, c, p| Ok(Box::new(DistinctAcc::new(p, Distinct::Set, max_size(c, 1)))),
        },
        Pair {
            name: "hll",
            if_name: "hll_if",
            arity: (1, 2),
            signature: |_| Ok(DataType::Dynamic),
            naming: naming!("hll_"),
            if_naming: naming!("hll_if_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(DistinctAcc::new(p, Distinct::Set, usize::MAX))),
        },
        Pair {
            name: "make_list",
            if_name: "make_list_if",
            arity: (1, 2),
            signature: |_| Ok(DataType::Dynamic),
            naming: naming!("list_"),
            if_naming: naming!("list_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, c, p| Ok(Box::new(ListAcc::new(p, max_size(c, 1)))),
        },
        Pair {
            name: "make_bag",
            if_name: "make_bag_if",
            arity: (1, 2),
            signature: |_| Ok(DataType::Dynamic),
            naming: naming!("bag_"),
            if_naming: naming!("bag_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, c, p| Ok(Box::new(BagAcc::new(p, max_size(c, 1)))),
        },
        Pair {
            name: "covariance",
            if_name: "covarianceif",
            arity: (2, 2),
            signature: |a| cov_type(a, 2),
            naming: |n| named2("covariance_", n),
            if_naming: |n| named2("covarianceif_", n),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 2,
            make: |_, _, p| Ok(Box::new(CovAcc::new(true, p))),
        },
        Pair {
            name: "covariancep",
            if_name: "covariancepif",
            arity: (2, 2),
            signature: |a| cov_type(a, 2),
            naming: |n| named2("covariancep_", n),
            if_naming: |n| named2("covariancepif_", n),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 2,
            make: |_, _, p| Ok(Box::new(CovAcc::new(false, p))),
        },
        Pair {
            name: "sum",
            if_name: "sumif",
            arity: (1, 1),
            signature: sum_type,
            naming: naming!("sum_"),
            if_naming: naming!("sumif_"),
            properties: AggregateProperties::SUMMING,
            if_properties: AggregateProperties::SUMMING,
            values: 1,
            make: |a, _, p| Ok(Box::new(SumAcc::new(sum_type(a)?, p))),
        },
        Pair {
            name: "avg",
            if_name: "avgif",
            arity: (1, 1),
            signature: avg_type,
            naming: naming!("avg_"),
            if_naming: naming!("avgif_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(AvgAcc::new(p))),
        },
        Pair {
            name: "min",
            if_name: "minif",
            arity: (1, 1),
            signature: extreme_type,
            naming: naming!("min_"),
            if_naming: naming!("minif_"),
            properties: AggregateProperties::EXACT,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |a, _, p| {
                Ok(Box::new(
                    ExtremeAcc::new(extreme_type(a)?, false).filtered(p),
                ))
            },
        },
        Pair {
            name: "max",
            if_name: "maxif",
            arity: (1, 1),
            signature: extreme_type,
            naming: naming!("max_"),
            if_naming: naming!("maxif_"),
            properties: AggregateProperties::EXACT,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |a, _, p| {
                Ok(Box::new(
                    ExtremeAcc::new(extreme_type(a)?, true).filtered(p),
                ))
            },
        },
        Pair {
            name: "stdev",
            if_name: "stdevif",
            arity: (1, 1),
            signature: stat_type,
            naming: naming!("stdev_"),
            if_naming: naming!("stdevif_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(VarAcc::new(Spread::StdevSample, p))),
        },
        Pair {
            name: "variance",
            if_name: "varianceif",
            arity: (1, 1),
            signature: stat_type,
            naming: naming!("variance_"),
            if_naming: naming!("varianceif_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(VarAcc::new(Spread::VarianceSample, p))),
        },
        Pair {
            name: "variancep",
            if_name: "variancepif",
            arity: (1, 1),
            signature: stat_type,
            naming: naming!("variancep_"),
            if_naming: naming!("variancepif_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(VarAcc::new(Spread::VariancePopulation, p))),
        },
        Pair {
            name: "take_any",
            if_name: "take_anyif",
            arity: (1, 1),
            signature: |a| Ok(a.first().copied().unwrap_or(DataType::Dynamic)),
            naming: |n| named("", n),
            if_naming: |n| named("", n),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(AnyAcc::filtered(p))),
        },
        Pair {
            name: "any",
            if_name: "anyif",
            arity: (1, 1),
            signature: |a| Ok(a.first().copied().unwrap_or(DataType::Dynamic)),
            naming: naming!("any_"),
            if_naming: naming!("anyif_"),
            properties: AggregateProperties::ONE_PASS,
            if_properties: AggregateProperties::ONE_PASS,
            values: 1,
            make: |_, _, p| Ok(Box::new(AnyAcc::filtered(p))),
        },
    ];
    let singles = all
        .into_iter()
        .map(|a| Arc::new(a) as Arc<dyn AggregateFunction>);
    let forms = pairs.into_iter().flat_map(|p| {
        [false, true]
            .map(|predicate| Arc::new(Form { pair: p, predicate }) as Arc<dyn AggregateFunction>)
    });
    singles.chain(forms).collect()
}

/// An accumulator factory told whether rows are kept by a predicate.
type MakeFiltered =
    fn(&[DataType], &[Option<Value>], bool) -> Result<Box<dyn GroupsAccumulator>, FunctionError>;

/// An aggregate and its `*if` form, registered once: `name(values...,
/// constants...)` and `if_name(values..., predicate, constants...)`. The
/// `*if` form's type rule and accumulator are the plain form's over the
/// arguments other than the predicate, and its accumulator skips the rows
/// where the predicate is not `true`.
#[derive(Clone, Copy)]
struct Pair {
    name: &'static str,
    if_name: &'static str,
    /// The plain form's fewest and most arguments (the `*if` form takes
    /// one more).
    arity: (usize, usize),
    /// The result type from the plain form's argument types (the arity is
    /// already checked).
    signature: super::Signature,
    naming: fn(&[Option<&str>]) -> String,
    if_naming: fn(&[Option<&str>]) -> String,
    properties: AggregateProperties,
    if_properties: AggregateProperties,
    /// How many value arguments come before the predicate.
    values: usize,
    make: MakeFiltered,
}

/// One form of a [`Pair`].
struct Form {
    pair: Pair,
    /// The `*if` form.
    predicate: bool,
}

impl Form {
    /// `items` without the predicate's (the plain form's arguments).
    fn plain<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.predicate || *i != self.pair.values)
            .map(|(_, x)| x.clone())
            .collect()
    }
}

impl AggregateFunction for Form {
    fn name(&self) -> &'static str {
        if self.predicate {
            self.pair.if_name
        } else {
            self.pair.name
        }
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        let extra = usize::from(self.predicate);
        let (min, max) = self.pair.arity;
        arity(args, min + extra, max + extra)?;
        (self.pair.signature)(&self.plain(args))
    }

    fn properties(&self) -> AggregateProperties {
        if self.predicate {
            self.pair.if_properties
        } else {
            self.pair.properties
        }
    }

    fn default_name(&self, arg_names: &[Option<&str>]) -> String {
        if self.predicate {
            (self.pair.if_naming)(arg_names)
        } else {
            (self.pair.naming)(arg_names)
        }
    }

    fn accumulator(
        &self,
        args: &[DataType],
        constants: &[Option<Value>],
    ) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
        self.return_type(args)?;
        (self.pair.make)(&self.plain(args), &self.plain(constants), self.predicate)
    }
}

/// `prefix` + the first two argument names (`covariance(x, y)` →
/// `covariance_x_y`).
fn named2(prefix: &str, names: &[Option<&str>]) -> String {
    crate::naming::aggregate_column2(prefix, names)
}

fn cov_type(a: &[DataType], n: usize) -> Result<DataType, FunctionError> {
    arity(a, n, n)?;
    avg_type(&a[..1])?;
    avg_type(&a[1..2])
}

/// The `max_size` constant at `index`, or the default.
fn max_size(constants: &[Option<Value>], index: usize) -> usize {
    constants
        .get(index)
        .and_then(|c| c.as_ref())
        .and_then(as_long)
        .filter(|&n| n > 0)
        .map_or(DEFAULT_MAX_SIZE, |n| (n as usize).min(DEFAULT_MAX_SIZE))
}

fn sum_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    crate::type_rules::sum_type(a[0]).ok_or(FunctionError::ArgType {
        index: 0,
        expected: "a number or timespan".into(),
        got: a[0],
    })
}

fn avg_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    crate::type_rules::average_type(a[0]).ok_or(FunctionError::ArgType {
        index: 0,
        expected: "a number".into(),
        got: a[0],
    })
}

fn stat_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    avg_type(a)
}

fn extreme_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    Ok(crate::type_rules::extreme_type(a[0]))
}

/// `arg_max(expr, ...)`: the accumulator yields the extreme value of `expr`;
/// the remaining arguments are resolved by the binder through
/// `ExtremeAcc`.
fn arg_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, usize::MAX)?;
    extreme_type(&a[..1])
}

fn percentile_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 2)?;
    crate::type_rules::percentile_type(a[0]).ok_or(FunctionError::ArgType {
        index: 0,
        expected: "a number, datetime or timespan".into(),
        got: a[0],
    })
}

fn percentile_name(names: &[Option<&str>]) -> String {
    crate::naming::percentile_column(names, 1)
}

fn make_percentile(
    a: &[DataType],
    c: &[Option<Value>],
) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
    let out = percentile_type(a)?;
    let p = c
        .get(1)
        .and_then(|v| v.as_ref())
        .and_then(as_real)
        .ok_or(FunctionError::NotConstant { index: 1 })?;
    if !(0.0..=100.0).contains(&p) {
        return Err(FunctionError::Invalid(format!(
            "percentile {p} is outside 0..100"
        )));
    }
    Ok(Box::new(PercentileAcc {
        values: Vec::new(),
        p,
        out,
    }))
}

/// `percentilew(x, weight, p)`: the value type as `percentile`'s, the
/// weight a whole number.
fn weighted_percentile_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 3, 3)?;
    super::expect(a, 1, "a whole-number weight", |t| {
        matches!(t, DataType::Int | DataType::Long | DataType::Dynamic)
    })?;
    percentile_type(&[a[0], a[2]])
}

/// `percentilew(x, w, 99.9)` → `percentile_x_99_9` (the weight is not named).
fn weighted_percentile_name(names: &[Option<&str>]) -> String {
    crate::naming::percentile_column(names, 2)
}

/// The constant percentiles from argument `from` on (numbers or dynamic
/// arrays of numbers), each within 0..100.
fn constant_percentiles(c: &[Option<Value>], from: usize) -> Result<Vec<f64>, FunctionError> {
    let mut ps = Vec::new();
    for (i, constant) in c.iter().enumerate().skip(from) {
        match constant {
            Some(Value::Dynamic(Dynamic::Array(items))) => {
                ps.extend(items.iter().filter_map(kernels::convert::dyn_to_real))
            }
            Some(v) => ps.extend(as_real(v)),
            None => return Err(FunctionError::NotConstant { index: i }),
        }
    }
    if let Some(p) = ps.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        return Err(FunctionError::Invalid(format!(
            "percentile {p} is outside 0..100"
        )));
    }
    Ok(ps)
}

fn make_weighted_percentile(
    a: &[DataType],
    c: &[Option<Value>],
) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
    let out = weighted_percentile_type(a)?;
    let ps = constant_percentiles(c.get(..3).unwrap_or_default(), 2)?;
    Ok(Box::new(WeightedPercentileAcc {
        values: Vec::new(),
        ps,
        out,
        array: false,
    }))
}

fn make_weighted_percentiles_array(
    a: &[DataType],
    c: &[Option<Value>],
) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
    let out = weighted_percentile_type(a.get(..3).unwrap_or_default())?;
    let ps = constant_percentiles(c, 2)?;
    Ok(Box::new(WeightedPercentileAcc {
        values: Vec::new(),
        ps,
        out,
        array: true,
    }))
}

/// The rows where the `*if` predicate is true. The predicate is the last
/// boolean argument: the last argument of `countif(p)`, `sumif(x, p)` or
/// `covarianceif(x, y, p)`, but not of `make_list_if(x, p, 10)` or
/// `dcountif(x, p, 2)`, whose trailing size or accuracy follows it.
fn predicate_mask(args: &[ColumnarValue], has_predicate: bool, rows: usize) -> Option<Bitmap> {
    if !has_predicate {
        return None;
    }
    let predicate = args
        .iter()
        .rev()
        .find(|a| a.data_type() == DataType::Bool)
        .or(args.last());
    Some(match predicate {
        Some(p) => kernels::filter_mask(p, rows),
        None => Bitmap::new(rows, false),
    })
}

#[inline]
fn keep(mask: &Option<Bitmap>, i: usize) -> bool {
    mask.as_ref().is_none_or(|m| m.get(i))
}

/// The rows of a batch that `mask` keeps (every row without a mask), each as
/// `(row, group)`.
fn kept_rows<'a>(
    mask: &'a Option<Bitmap>,
    group_ids: &'a [u32],
) -> impl Iterator<Item = (usize, usize)> + 'a {
    group_ids
        .iter()
        .enumerate()
        .filter(move |&(i, _)| keep(mask, i))
        .map(|(i, &g)| (i, g as usize))
}

/// The groups `0..len` of a partial result that `group_map` sends to one of
/// this accumulator's `num_groups` groups, each as `(theirs, ours)`.
fn merge_targets(
    group_map: &[u32],
    num_groups: usize,
    len: usize,
) -> impl Iterator<Item = (usize, usize)> + '_ {
    (0..len).filter_map(move |g| {
        target(group_map, g)
            .filter(|&t| t < num_groups)
            .map(|t| (g, t))
    })
}

/// Grows `mine` to `num_groups` and appends each group's collected values
/// from a partial result to the group `group_map` sends it to.
fn append_lists<T: Clone>(
    mine: &mut Vec<Vec<T>>,
    theirs: Vec<Vec<T>>,
    group_map: &[u32],
    num_groups: usize,
) {
    grow(mine, num_groups, Vec::new());
    for (g, list) in theirs.into_iter().enumerate() {
        if let Some(m) = target(group_map, g).and_then(|t| mine.get_mut(t)) {
            m.extend(list);
        }
    }
}

/// The column of picked values for a percentile of type `out`: whole
/// numbers, datetimes and timespans truncate the picked real.
fn picked_column(out: DataType, vals: Vec<f64>, valid: Option<Bitmap>) -> Column {
    let data = match out {
        DataType::Long => ColumnData::Long(vals.iter().map(|&x| x as i64).collect()),
        DataType::DateTime => ColumnData::DateTime(vals.iter().map(|&x| x as i64).collect()),
        DataType::TimeSpan => ColumnData::TimeSpan(vals.iter().map(|&x| x as i64).collect()),
        _ => ColumnData::Real(vals),
    };
    Column::with_validity(data, valid)
}

fn first_arg(args: &[ColumnarValue]) -> Result<&ColumnarValue, FunctionError> {
    args.first().ok_or(FunctionError::Arity {
        expected: "1".into(),
        got: 0,
    })
}

fn downcast<T: 'static>(other: Box<dyn GroupsAccumulator>) -> Result<Box<T>, FunctionError> {
    other
        .into_any()
        .downcast::<T>()
        .map_err(|_| FunctionError::Invalid("cannot merge different aggregates".into()))
}

#[inline]
fn target(group_map: &[u32], g: usize) -> Option<usize> {
    group_map.get(g).map(|&t| t as usize)
}

fn grow<T: Clone>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() < n {
        v.resize(n, fill);
    }
}

mod any;
mod bits;
mod count;
mod distinct;
mod extreme;
mod list;
mod moments;
mod percentile;
mod sum;

use any::*;
use bits::*;
use count::*;
use distinct::*;
use extreme::*;
use list::*;
use moments::*;
use percentile::*;
use sum::*;

#[cfg(test)]
mod tests;
