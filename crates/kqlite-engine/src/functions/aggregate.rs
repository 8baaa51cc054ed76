//! Aggregate functions for `summarize`: `count`, `dcount`, `sum`, `avg`,
//! `min`, `max`, `make_list`, `make_set`, `make_bag`, `take_any`,
//! `arg_max`/`arg_min`, `percentile`, `stdev`, `variance` and their `*if`
//! forms.
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
    AggregateFunction, AggregateProperties, ColumnarValue, FunctionError, GroupsAccumulator,
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

/// `prefix` + the first argument's name (`dcount(IPAddress)` →
/// `dcount_IPAddress`); just `prefix` when the argument has no name.
fn named(prefix: &str, names: &[Option<&str>]) -> String {
    match names.first().copied().flatten() {
        Some(n) => format!("{prefix}{n}"),
        None => prefix.to_string(),
    }
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
            name: "dcount",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Long),
            naming: naming!("dcount_"),
            properties: AggregateProperties::COUNTING,
            make: |_, _| {
                Ok(Box::new(DistinctAcc::new(
                    false,
                    Distinct::Count,
                    usize::MAX,
                )))
            },
        },
        Agg {
            name: "dcountif",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Long),
            naming: naming!("dcountif_"),
            properties: AggregateProperties::COUNTING,
            make: |_, _| {
                Ok(Box::new(DistinctAcc::new(
                    true,
                    Distinct::Count,
                    usize::MAX,
                )))
            },
        },
        Agg {
            name: "make_set",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("set_"),
            properties: AggregateProperties::EXACT,
            make: |_, c| {
                Ok(Box::new(DistinctAcc::new(
                    false,
                    Distinct::Set,
                    max_size(c, 1),
                )))
            },
        },
        Agg {
            name: "make_set_if",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            naming: naming!("set_"),
            properties: AggregateProperties::EXACT,
            make: |_, c| {
                Ok(Box::new(DistinctAcc::new(
                    true,
                    Distinct::Set,
                    max_size(c, 2),
                )))
            },
        },
        Agg {
            name: "make_list_with_nulls",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("list_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, c| Ok(Box::new(ListAcc::new(false, max_size(c, 1)).with_nulls())),
        },
        Agg {
            name: "count_distinct",
            signature: |a| arity(a, 1, 1).map(|_| DataType::Long),
            naming: naming!("count_distinct_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| {
                Ok(Box::new(DistinctAcc::new(
                    false,
                    Distinct::Count,
                    usize::MAX,
                )))
            },
        },
        Agg {
            name: "covariance",
            signature: |a| cov_type(a, 2),
            naming: |n| named2("covariance_", n),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(CovAcc::new(true, false))),
        },
        Agg {
            name: "covariancep",
            signature: |a| cov_type(a, 2),
            naming: |n| named2("covariancep_", n),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(CovAcc::new(false, false))),
        },
        Agg {
            name: "covarianceif",
            signature: |a| cov_type(a, 3),
            naming: |n| named2("covarianceif_", n),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(CovAcc::new(true, true))),
        },
        Agg {
            name: "covariancepif",
            signature: |a| cov_type(a, 3),
            naming: |n| named2("covariancepif_", n),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(CovAcc::new(false, true))),
        },
        Agg {
            name: "make_list",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("list_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, c| Ok(Box::new(ListAcc::new(false, max_size(c, 1)))),
        },
        Agg {
            name: "make_list_if",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            naming: naming!("list_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, c| Ok(Box::new(ListAcc::new(true, max_size(c, 2)))),
        },
        Agg {
            name: "make_bag",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("bag_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, c| Ok(Box::new(BagAcc::new(false, max_size(c, 1)))),
        },
        Agg {
            name: "make_bag_if",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            naming: naming!("bag_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, c| Ok(Box::new(BagAcc::new(true, max_size(c, 2)))),
        },
        Agg {
            name: "sum",
            signature: sum_type,
            naming: naming!("sum_"),
            properties: AggregateProperties::SUMMING,
            make: |a, _| Ok(Box::new(SumAcc::new(sum_type(a)?, false))),
        },
        Agg {
            name: "sumif",
            signature: |a| {
                arity(a, 2, 2)?;
                sum_type(&a[..1])
            },
            naming: naming!("sumif_"),
            properties: AggregateProperties::SUMMING,
            make: |a, _| Ok(Box::new(SumAcc::new(sum_type(&a[..1])?, true))),
        },
        Agg {
            name: "avg",
            signature: avg_type,
            naming: naming!("avg_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(AvgAcc::new(false))),
        },
        Agg {
            name: "avgif",
            signature: |a| {
                arity(a, 2, 2)?;
                avg_type(&a[..1])
            },
            naming: naming!("avgif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(AvgAcc::new(true))),
        },
        Agg {
            name: "min",
            signature: extreme_type,
            naming: naming!("min_"),
            properties: AggregateProperties::EXACT,
            make: |a, _| Ok(Box::new(ExtremeAcc::new(extreme_type(a)?, false))),
        },
        Agg {
            name: "max",
            signature: extreme_type,
            naming: naming!("max_"),
            properties: AggregateProperties::EXACT,
            make: |a, _| Ok(Box::new(ExtremeAcc::new(extreme_type(a)?, true))),
        },
        Agg {
            name: "minif",
            signature: |a| {
                arity(a, 2, 2)?;
                extreme_type(&a[..1])
            },
            naming: naming!("minif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |a, _| {
                Ok(Box::new(
                    ExtremeAcc::new(extreme_type(&a[..1])?, false).with_predicate(),
                ))
            },
        },
        Agg {
            name: "maxif",
            signature: |a| {
                arity(a, 2, 2)?;
                extreme_type(&a[..1])
            },
            naming: naming!("maxif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |a, _| {
                Ok(Box::new(
                    ExtremeAcc::new(extreme_type(&a[..1])?, true).with_predicate(),
                ))
            },
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
            name: "take_any",
            signature: |a| {
                arity(a, 1, 1)?;
                Ok(a[0])
            },
            naming: |n| named("", n),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(AnyAcc::default())),
        },
        Agg {
            name: "any",
            signature: |a| {
                arity(a, 1, 1)?;
                Ok(a[0])
            },
            naming: naming!("any_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(AnyAcc::default())),
        },
        Agg {
            name: "percentile",
            signature: percentile_type,
            naming: |n| percentile_name(n),
            properties: AggregateProperties::ONE_PASS,
            make: make_percentile,
        },
        Agg {
            name: "stdev",
            signature: stat_type,
            naming: naming!("stdev_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::StdevSample, false))),
        },
        Agg {
            name: "stdevp",
            signature: stat_type,
            naming: naming!("stdevp_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::StdevPopulation, false))),
        },
        Agg {
            name: "stdevif",
            signature: |a| {
                arity(a, 2, 2)?;
                stat_type(&a[..1])
            },
            naming: naming!("stdevif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::StdevSample, true))),
        },
        Agg {
            name: "variance",
            signature: stat_type,
            naming: naming!("variance_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::VarianceSample, false))),
        },
        Agg {
            name: "variancep",
            signature: stat_type,
            naming: naming!("variancep_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::VariancePopulation, false))),
        },
        Agg {
            name: "varianceif",
            signature: |a| {
                arity(a, 2, 2)?;
                stat_type(&a[..1])
            },
            naming: naming!("varianceif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::VarianceSample, true))),
        },
        Agg {
            name: "variancepif",
            signature: |a| {
                arity(a, 2, 2)?;
                stat_type(&a[..1])
            },
            naming: naming!("variancepif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(VarAcc::new(Spread::VariancePopulation, true))),
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
            name: "hll",
            signature: |a| arity(a, 1, 2).map(|_| DataType::Dynamic),
            naming: naming!("hll_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(DistinctAcc::new(false, Distinct::Set, usize::MAX))),
        },
        Agg {
            name: "hll_if",
            signature: |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            naming: naming!("hll_if_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(DistinctAcc::new(true, Distinct::Set, usize::MAX))),
        },
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
        Agg {
            name: "take_anyif",
            signature: any_if_type,
            naming: |n| named("", n),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(AnyAcc::with_predicate())),
        },
        Agg {
            name: "anyif",
            signature: any_if_type,
            naming: naming!("anyif_"),
            properties: AggregateProperties::ONE_PASS,
            make: |_, _| Ok(Box::new(AnyAcc::with_predicate())),
        },
        Agg {
            name: "count_distinctif",
            signature: |a| arity(a, 2, 2).map(|_| DataType::Long),
            naming: naming!("count_distinctif_"),
            properties: AggregateProperties::COUNTING,
            make: |_, _| {
                Ok(Box::new(DistinctAcc::new(
                    true,
                    Distinct::Count,
                    usize::MAX,
                )))
            },
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
    all.into_iter()
        .map(|a| Arc::new(a) as Arc<dyn AggregateFunction>)
        .collect()
}

/// `prefix` + the first two argument names (`covariance(x, y)` →
/// `covariance_x_y`).
fn named2(prefix: &str, names: &[Option<&str>]) -> String {
    let first = named(prefix, names);
    match names.get(1).copied().flatten() {
        Some(n) => format!("{first}_{n}"),
        None => first,
    }
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
    match a[0] {
        DataType::Int | DataType::Long | DataType::Bool => Ok(DataType::Long),
        DataType::Real | DataType::Dynamic => Ok(DataType::Real),
        DataType::Decimal => Ok(DataType::Decimal),
        DataType::TimeSpan => Ok(DataType::TimeSpan),
        got => Err(FunctionError::ArgType {
            index: 0,
            expected: "a number or timespan".into(),
            got,
        }),
    }
}

fn avg_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    match a[0] {
        t if super::numeric_like(t) => Ok(DataType::Real),
        got => Err(FunctionError::ArgType {
            index: 0,
            expected: "a number".into(),
            got,
        }),
    }
}

fn stat_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    avg_type(a)
}

fn extreme_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    match a[0] {
        DataType::Dynamic => Ok(DataType::Real),
        t => Ok(t),
    }
}

/// `arg_max(expr, ...)`: the accumulator yields the extreme value of `expr`;
/// the remaining arguments are resolved by the binder through
/// [`ArgExtremeRows`].
fn arg_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, usize::MAX)?;
    extreme_type(&a[..1])
}

fn percentile_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 2)?;
    match a[0] {
        DataType::Int | DataType::Long => Ok(DataType::Long),
        DataType::DateTime | DataType::TimeSpan => Ok(a[0]),
        t if super::numeric_like(t) => Ok(DataType::Real),
        got => Err(FunctionError::ArgType {
            index: 0,
            expected: "a number, datetime or timespan".into(),
            got,
        }),
    }
}

fn percentile_name(names: &[Option<&str>]) -> String {
    let base = named("percentile_", names);
    match names.get(1).copied().flatten() {
        Some(p) => format!("{base}_{}", p.replace('.', "_")),
        None => base,
    }
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

fn any_if_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 2)?;
    Ok(a[0])
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
    let base = named("percentile_", names);
    match names.get(2).copied().flatten() {
        Some(p) => format!("{base}_{}", p.replace('.', "_")),
        None => base,
    }
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

// ---------------------------------------------------------------- count

#[derive(Clone, Copy, PartialEq)]
enum CountMode {
    All,
    If,
}

struct CountAcc {
    mode: CountMode,
    counts: Vec<i64>,
}

impl CountAcc {
    fn new(mode: CountMode) -> CountAcc {
        CountAcc {
            mode,
            counts: Vec::new(),
        }
    }
}

impl GroupsAccumulator for CountAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.counts, num_groups, 0);
        let rows = group_ids.len();
        let mask = match self.mode {
            CountMode::All => None,
            CountMode::If => predicate_mask(args, true, rows),
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if keep(&mask, i) {
                if let Some(c) = self.counts.get_mut(g as usize) {
                    *c += 1;
                }
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<CountAcc>(other)?;
        grow(&mut self.counts, num_groups, 0);
        for (g, c) in other.counts.iter().enumerate() {
            if let Some(t) = target(group_map, g).and_then(|t| self.counts.get_mut(t)) {
                *t += c;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.counts.resize(num_groups, 0);
        Ok(Column::new(ColumnData::Long(self.counts)))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- interning

/// Distinct-value identity for hashing (reals by normalized bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Long(i64),
    Real(u64),
    Decimal(Decimal),
    DateTime(i64),
    TimeSpan(i64),
    Guid(u128),
    Json(String),
}

fn real_key(r: f64) -> Key {
    let r = if r == 0.0 { 0.0 } else { r };
    Key::Real(if r.is_nan() {
        f64::NAN.to_bits()
    } else {
        r.to_bits()
    })
}

/// Maps values to dense ids, remembering each distinct value once.
#[derive(Default)]
struct Interner {
    strings: crate::column::StrMap<Box<str>, u32>,
    others: FxHashMap<Key, u32>,
    values: Vec<Dynamic>,
}

impl Interner {
    fn str_id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(Dynamic::String(s.into()));
        self.strings.insert(s.into(), id);
        id
    }

    fn key_id(&mut self, key: Key, value: impl FnOnce() -> Dynamic) -> u32 {
        let next = self.values.len() as u32;
        let id = *self.others.entry(key).or_insert(next);
        if id == next {
            self.values.push(value());
        }
        id
    }

    /// The id of a non-null scalar dynamic value.
    fn dyn_id(&mut self, d: &Dynamic) -> Option<u32> {
        Some(match d {
            Dynamic::Null => return None,
            Dynamic::String(s) => self.str_id(s),
            Dynamic::Bool(b) => self.key_id(Key::Bool(*b), || d.clone()),
            Dynamic::Long(i) => self.key_id(Key::Long(*i), || d.clone()),
            Dynamic::Real(r) => self.key_id(real_key(*r), || d.clone()),
            Dynamic::DateTime(t) => self.key_id(Key::DateTime(*t), || d.clone()),
            Dynamic::TimeSpan(t) => self.key_id(Key::TimeSpan(*t), || d.clone()),
            Dynamic::Guid(g) => self.key_id(Key::Guid(*g), || d.clone()),
            Dynamic::Array(_) | Dynamic::Bag(_) => {
                self.key_id(Key::Json(d.to_json().to_string()), || d.clone())
            }
        })
    }

    /// Calls `f(row, id)` for every non-null value of `v` in rows kept by
    /// `mask`; with `flatten`, dynamic arrays contribute each element.
    fn for_each(
        &mut self,
        v: &ColumnarValue,
        rows: usize,
        mask: &Option<Bitmap>,
        flatten: bool,
        mut f: impl FnMut(usize, u32),
    ) {
        if let ColumnarValue::Scalar(value, _) = v {
            let ids = self.value_ids(value, flatten);
            for i in (0..rows).filter(|&i| keep(mask, i)) {
                ids.iter().for_each(|&id| f(i, id));
            }
            return;
        }
        let ColumnarValue::Column(col) = v else {
            return;
        };
        let t = col.data_type();
        match &col.data {
            ColumnData::String(StringColumn::Dict { codes, dict }) => {
                let mut ids: Vec<Option<u32>> = vec![None; dict.len()];
                for (i, &c) in codes.iter().enumerate().take(rows) {
                    if !keep(mask, i) {
                        continue;
                    }
                    if let Some(slot) = ids.get_mut(c as usize) {
                        let id = *slot.get_or_insert_with(|| self.str_id(dict.get(c as usize)));
                        f(i, id);
                    }
                }
            }
            ColumnData::String(s) => {
                for i in (0..rows.min(s.len())).filter(|&i| keep(mask, i)) {
                    f(i, self.str_id(s.get(i)));
                }
            }
            ColumnData::Dynamic(d) => {
                for (i, x) in d.iter().enumerate().take(rows) {
                    if !keep(mask, i) {
                        continue;
                    }
                    match x {
                        Dynamic::Array(items) if flatten => {
                            for item in items.iter() {
                                if let Some(id) = self.dyn_id(item) {
                                    f(i, id);
                                }
                            }
                        }
                        other => {
                            if let Some(id) = self.dyn_id(other) {
                                f(i, id);
                            }
                        }
                    }
                }
            }
            ColumnData::Real(_) | ColumnData::Decimal(_) => {
                let (Some(r), Some(dv)) = (access::reals_of(v), access::decs(v)) else {
                    return;
                };
                for i in (0..rows).filter(|&i| keep(mask, i)) {
                    let id = if t == DataType::Decimal {
                        dv.get(i).map(|d| {
                            self.key_id(Key::Decimal(d.normalize()), || {
                                kernels::value_to_dynamic(&Value::Decimal(d))
                            })
                        })
                    } else {
                        r.get(i)
                            .map(|x| self.key_id(real_key(x), || Dynamic::Real(x)))
                    };
                    if let Some(id) = id {
                        f(i, id);
                    }
                }
            }
            ColumnData::Guid(_) => {
                let Some(g) = access::guids(v) else { return };
                for i in (0..rows).filter(|&i| keep(mask, i)) {
                    if let Some(x) = g.get(i) {
                        f(i, self.key_id(Key::Guid(x), || Dynamic::Guid(x)));
                    }
                }
            }
            _ => {
                let Some(n) = access::ints(v) else { return };
                for i in (0..rows).filter(|&i| keep(mask, i)) {
                    let Some(x) = n.get(i) else { continue };
                    let id = match t {
                        DataType::Bool => self.key_id(Key::Bool(x != 0), || Dynamic::Bool(x != 0)),
                        DataType::DateTime => {
                            self.key_id(Key::DateTime(x), || Dynamic::DateTime(x))
                        }
                        DataType::TimeSpan => {
                            self.key_id(Key::TimeSpan(x), || Dynamic::TimeSpan(x))
                        }
                        _ => self.key_id(Key::Long(x), || Dynamic::Long(x)),
                    };
                    f(i, id);
                }
            }
        }
    }

    fn value_ids(&mut self, v: &Value, flatten: bool) -> Vec<u32> {
        match kernels::value_to_dynamic(v) {
            Dynamic::Array(items) if flatten => {
                items.iter().filter_map(|d| self.dyn_id(d)).collect()
            }
            d => self.dyn_id(&d).into_iter().collect(),
        }
    }
}

// ---------------------------------------------------------------- dcount / make_set

#[derive(Clone, Copy, PartialEq)]
enum Distinct {
    Count,
    Set,
}

/// `dcount` (exact) and `make_set`: distinct values per group, first-seen
/// order, at most `max` per group for sets. State is flat: one set of
/// (group, value) pairs, a count per group, and the pairs in the order they
/// were first seen (no allocation per group).
struct DistinctAcc {
    predicate: bool,
    kind: Distinct,
    max: usize,
    interner: Interner,
    seen: Seen,
    counts: Vec<u32>,
    order: Vec<(u32, u32)>,
}

/// The (group, value id) pairs a [`DistinctAcc`] has seen.
enum Seen {
    /// Bit `group * width + id`: for a dictionary column whose ids and
    /// groups fit a small table (no hashing per row).
    Bits {
        width: usize,
        groups: usize,
        bits: Vec<u64>,
    },
    /// Any values.
    Hash(FxHashSet<u64>),
}

/// The most bits a [`Seen::Bits`] table may hold (1 MiB).
const SEEN_BITS: usize = 1 << 23;

impl Seen {
    /// Records the pair; whether it is new. Leaves the table for a hash
    /// set (rebuilt from `order`, every pair so far) when the pair does not
    /// fit it.
    #[inline]
    fn insert(&mut self, g: usize, id: u32, order: &[(u32, u32)]) -> bool {
        if let Seen::Bits {
            width,
            groups,
            bits,
        } = self
        {
            if (id as usize) < *width && g < *groups {
                let k = g * *width + id as usize;
                let mask = 1u64 << (k % 64);
                return match bits.get_mut(k / 64) {
                    Some(word) => {
                        let fresh = *word & mask == 0;
                        *word |= mask;
                        fresh
                    }
                    None => false,
                };
            }
            *self = Seen::Hash(
                order
                    .iter()
                    .map(|&(g, id)| (u64::from(g) << 32) | u64::from(id))
                    .collect(),
            );
        }
        match self {
            Seen::Hash(set) => set.insert(((g as u64) << 32) | id as u64),
            Seen::Bits { .. } => false,
        }
    }
}

impl DistinctAcc {
    fn new(predicate: bool, kind: Distinct, max: usize) -> DistinctAcc {
        DistinctAcc {
            predicate,
            kind,
            max,
            interner: Interner::default(),
            seen: Seen::Hash(FxHashSet::default()),
            counts: Vec::new(),
            order: Vec::new(),
        }
    }

    #[inline]
    fn add(&mut self, g: usize, id: u32) {
        let Some(n) = self.counts.get_mut(g) else {
            return;
        };
        if *n as usize >= self.max {
            return;
        }
        if self.seen.insert(g, id, &self.order) {
            *n += 1;
            self.order.push((g as u32, id));
        }
    }
}

impl GroupsAccumulator for DistinctAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.counts, num_groups, 0);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        let flatten = self.kind == Distinct::Set;
        if let (true, ColumnarValue::Column(col)) = (self.order.is_empty(), v) {
            if let ColumnData::String(StringColumn::Dict { dict, .. }) = &col.data {
                // Ids of this column's values stay below this width.
                let width = self.interner.values.len() + dict.len();
                if num_groups.saturating_mul(width) <= SEEN_BITS {
                    self.seen = Seen::Bits {
                        width,
                        groups: num_groups,
                        bits: vec![0; (num_groups * width).div_ceil(64)],
                    };
                }
            }
        }
        let mut interner = std::mem::take(&mut self.interner);
        interner.for_each(v, rows, &mask, flatten, |i, id| {
            if let Some(&g) = group_ids.get(i) {
                self.add(g as usize, id);
            }
        });
        self.interner = interner;
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<DistinctAcc>(other)?;
        grow(&mut self.counts, num_groups, 0);
        let remap: Vec<Option<u32>> = other
            .interner
            .values
            .iter()
            .map(|d| self.interner.dyn_id(d))
            .collect();
        for &(g, id) in &other.order {
            let Some(t) = target(group_map, g as usize) else {
                continue;
            };
            if let Some(Some(new)) = remap.get(id as usize) {
                self.add(t, *new);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.counts.resize(num_groups, 0);
        Ok(Column::new(match self.kind {
            Distinct::Count => {
                ColumnData::Long(self.counts.iter().map(|&n| i64::from(n)).collect())
            }
            Distinct::Set => {
                // Bucket the pairs by group, keeping first-seen order.
                let mut start: Vec<usize> = Vec::with_capacity(num_groups + 1);
                let mut total = 0usize;
                for &n in &self.counts {
                    start.push(total);
                    total += n as usize;
                }
                let mut ids = vec![0u32; total];
                for &(g, id) in &self.order {
                    if let Some(at) = start.get_mut(g as usize) {
                        if let Some(slot) = ids.get_mut(*at) {
                            *slot = id;
                        }
                        *at += 1;
                    }
                }
                let values = &self.interner.values;
                let mut from = 0usize;
                ColumnData::Dynamic(
                    self.counts
                        .iter()
                        .map(|&n| {
                            let to = from + n as usize;
                            let members = ids.get(from..to).unwrap_or_default();
                            from = to;
                            Dynamic::Array(Arc::new(
                                members
                                    .iter()
                                    .filter_map(|&id| values.get(id as usize).cloned())
                                    .collect(),
                            ))
                        })
                        .collect(),
                )
            }
        }))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- make_list

/// `make_list`: values in input order (nulls kept only by
/// `make_list_with_nulls`).
struct ListAcc {
    predicate: bool,
    keep_nulls: bool,
    max: usize,
    lists: Vec<Vec<Dynamic>>,
}

impl ListAcc {
    fn new(predicate: bool, max: usize) -> ListAcc {
        ListAcc {
            predicate,
            keep_nulls: false,
            max,
            lists: Vec::new(),
        }
    }

    fn with_nulls(mut self) -> ListAcc {
        self.keep_nulls = true;
        self
    }
}

impl GroupsAccumulator for ListAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.lists, num_groups, Vec::new());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        for (i, &g) in group_ids.iter().enumerate() {
            if !keep(&mask, i) || (!self.keep_nulls && access::is_null_at(v, i)) {
                continue;
            }
            if let Some(list) = self
                .lists
                .get_mut(g as usize)
                .filter(|l| l.len() < self.max)
            {
                // `make_list` spreads array values into the list, as Kusto
                // does (`make_list_with_nulls` keeps them whole).
                match kernels::value_to_dynamic(&v.get(i)) {
                    Dynamic::Array(items) if !self.keep_nulls => {
                        let room = self.max.saturating_sub(list.len());
                        list.extend(items.iter().take(room).cloned());
                    }
                    d => list.push(d),
                }
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<ListAcc>(other)?;
        grow(&mut self.lists, num_groups, Vec::new());
        for (g, list) in other.lists.into_iter().enumerate() {
            if let Some(mine) = target(group_map, g).and_then(|t| self.lists.get_mut(t)) {
                let room = self.max.saturating_sub(mine.len());
                mine.extend(list.into_iter().take(room));
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.lists.resize(num_groups, Vec::new());
        Ok(Column::new(ColumnData::Dynamic(
            self.lists
                .into_iter()
                .map(|l| Dynamic::Array(Arc::new(l)))
                .collect(),
        )))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- make_bag

/// `make_bag`: merges property bags; the first value seen for a key wins.
struct BagAcc {
    predicate: bool,
    /// The most keys a bag keeps (`make_bag(x, maxSize)`).
    max: usize,
    bags: Vec<IndexMap<Arc<str>, Dynamic>>,
}

impl BagAcc {
    fn new(predicate: bool, max: usize) -> BagAcc {
        BagAcc {
            predicate,
            max,
            bags: Vec::new(),
        }
    }
}

impl GroupsAccumulator for BagAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.bags, num_groups, IndexMap::new());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        let Some(d) = access::dyns(v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if !keep(&mask, i) {
                continue;
            }
            if let (Dynamic::Bag(b), Some(bag)) = (d.get(i), self.bags.get_mut(g as usize)) {
                for (k, x) in b.iter() {
                    if bag.len() < self.max || bag.contains_key(k) {
                        bag.entry(k.clone()).or_insert_with(|| x.clone());
                    }
                }
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<BagAcc>(other)?;
        grow(&mut self.bags, num_groups, IndexMap::new());
        for (g, b) in other.bags.into_iter().enumerate() {
            if let Some(mine) = target(group_map, g).and_then(|t| self.bags.get_mut(t)) {
                for (k, x) in b {
                    if mine.len() < self.max || mine.contains_key(&k) {
                        mine.entry(k).or_insert(x);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.bags.resize(num_groups, IndexMap::new());
        Ok(Column::new(ColumnData::Dynamic(
            self.bags
                .into_iter()
                .map(|b| Dynamic::Bag(Arc::new(b)))
                .collect(),
        )))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- percentiles_array

/// `percentiles_array(x, p1, p2, ...)` (or `percentiles_array(x, dynamic([p1,
/// ...]))`): the nearest-rank percentiles of each group as one array.
fn make_percentiles_array(
    a: &[DataType],
    c: &[Option<Value>],
) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
    let mut ps = Vec::new();
    for (i, constant) in c.iter().enumerate().skip(1) {
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
    let integral = matches!(a.first(), Some(DataType::Int | DataType::Long));
    Ok(Box::new(PercentilesArrayAcc {
        values: ListAcc::new(false, usize::MAX),
        ps,
        integral,
    }))
}

/// Collects each group's values (as `make_list` does) and picks the
/// percentiles when finishing.
struct PercentilesArrayAcc {
    values: ListAcc,
    ps: Vec<f64>,
    integral: bool,
}

impl GroupsAccumulator for PercentilesArrayAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.values
            .update(args.get(..1).unwrap_or_default(), group_ids, num_groups)
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<PercentilesArrayAcc>(other)?;
        self.values
            .merge(Box::new(other.values), group_map, num_groups)
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let lists = Box::new(self.values).finish(num_groups)?;
        let out: Vec<Dynamic> = (0..num_groups)
            .map(|g| {
                let Value::Dynamic(Dynamic::Array(items)) = lists.get(g) else {
                    return Dynamic::Null;
                };
                let mut vals: Vec<f64> = items
                    .iter()
                    .filter_map(kernels::convert::dyn_to_real)
                    .filter(|x| !x.is_nan())
                    .collect();
                if vals.is_empty() {
                    return Dynamic::Null;
                }
                vals.sort_by(f64::total_cmp);
                let n = vals.len();
                Dynamic::Array(Arc::new(
                    self.ps
                        .iter()
                        .map(|p| {
                            let rank = ((p / 100.0) * n as f64).ceil() as usize;
                            match vals.get(rank.clamp(1, n) - 1) {
                                Some(v) if self.integral => Dynamic::Long(*v as i64),
                                Some(v) => Dynamic::Real(*v),
                                None => Dynamic::Null,
                            }
                        })
                        .collect(),
                ))
            })
            .collect();
        Ok(Column::new(ColumnData::Dynamic(out)))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- binary_all_*

fn bits_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    match a[0] {
        DataType::Int | DataType::Long | DataType::Dynamic => Ok(DataType::Long),
        got => Err(FunctionError::ArgType {
            index: 0,
            expected: "an integer".into(),
            got,
        }),
    }
}

#[derive(Clone, Copy)]
enum BitOp {
    And,
    Or,
    Xor,
}

impl BitOp {
    fn apply(self, a: i64, b: i64) -> i64 {
        match self {
            BitOp::And => a & b,
            BitOp::Or => a | b,
            BitOp::Xor => a ^ b,
        }
    }
}

/// `binary_all_and` / `binary_all_or` / `binary_all_xor`: folds the group's
/// non-null longs with the bitwise operator; a group with none is null.
struct BitsAcc {
    op: BitOp,
    acc: Vec<i64>,
    has: Vec<bool>,
}

impl BitsAcc {
    fn new(op: BitOp) -> BitsAcc {
        BitsAcc {
            op,
            acc: Vec::new(),
            has: Vec::new(),
        }
    }

    fn fold(&mut self, g: usize, x: i64) {
        if let (Some(a), Some(h)) = (self.acc.get_mut(g), self.has.get_mut(g)) {
            *a = if *h { self.op.apply(*a, x) } else { x };
            *h = true;
        }
    }
}

impl GroupsAccumulator for BitsAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.acc, num_groups, 0);
        grow(&mut self.has, num_groups, false);
        let v = kernels::cast(first_arg(args)?, DataType::Long, group_ids.len());
        let Some(a) = access::ints(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if let Some(x) = a.get(i) {
                self.fold(g as usize, x);
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<BitsAcc>(other)?;
        grow(&mut self.acc, num_groups, 0);
        grow(&mut self.has, num_groups, false);
        for (g, (&x, &has)) in other.acc.iter().zip(&other.has).enumerate() {
            if let Some(t) = target(group_map, g).filter(|_| has) {
                self.fold(t, x);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        grow(&mut self.acc, num_groups, 0);
        grow(&mut self.has, num_groups, false);
        let valid = Some(Bitmap::from_bools(
            self.has.iter().take(num_groups).copied(),
        ));
        Ok(Column::with_validity(
            ColumnData::Long(self.acc.into_iter().take(num_groups).collect()),
            valid,
        ))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- sum / avg

/// `sum`: longs (wrapping), reals, decimals or timespans; a group with no
/// non-null value is null.
struct SumAcc {
    out: DataType,
    predicate: bool,
    longs: Vec<i64>,
    reals: Vec<f64>,
    decs: Vec<Decimal>,
    has: Vec<bool>,
}

impl SumAcc {
    fn new(out: DataType, predicate: bool) -> SumAcc {
        SumAcc {
            out,
            predicate,
            longs: Vec::new(),
            reals: Vec::new(),
            decs: Vec::new(),
            has: Vec::new(),
        }
    }

    fn grow(&mut self, n: usize) {
        grow(&mut self.longs, n, 0);
        grow(&mut self.reals, n, 0.0);
        grow(&mut self.decs, n, Decimal::ZERO);
        grow(&mut self.has, n, false);
    }
}

impl GroupsAccumulator for SumAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.grow(num_groups);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        match self.out {
            DataType::Long | DataType::TimeSpan => {
                let Some(a) = access::ints(v) else {
                    return Ok(());
                };
                for (i, &g) in group_ids.iter().enumerate() {
                    let g = g as usize;
                    if let (true, Some(x), Some(s)) =
                        (keep(&mask, i), a.get(i), self.longs.get_mut(g))
                    {
                        *s = s.wrapping_add(x);
                        self.has[g] = true;
                    }
                }
            }
            DataType::Decimal => {
                let Some(a) = access::decs(v) else {
                    return Ok(());
                };
                for (i, &g) in group_ids.iter().enumerate() {
                    let g = g as usize;
                    if let (true, Some(x), Some(s)) =
                        (keep(&mask, i), a.get(i), self.decs.get_mut(g))
                    {
                        *s = s.checked_add(x).unwrap_or(*s);
                        self.has[g] = true;
                    }
                }
            }
            _ => {
                let v = kernels::cast(v, DataType::Real, rows);
                let Some(a) = access::reals_of(&v) else {
                    return Ok(());
                };
                for (i, &g) in group_ids.iter().enumerate() {
                    let g = g as usize;
                    if let (true, Some(x), Some(s)) =
                        (keep(&mask, i), a.get(i), self.reals.get_mut(g))
                    {
                        *s += x;
                        self.has[g] = true;
                    }
                }
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<SumAcc>(other)?;
        self.grow(num_groups);
        for (g, &has) in other.has.iter().enumerate() {
            let Some(t) = target(group_map, g).filter(|&t| t < num_groups && has) else {
                continue;
            };
            self.longs[t] = self.longs[t].wrapping_add(other.longs[g]);
            self.reals[t] += other.reals[g];
            self.decs[t] = self.decs[t]
                .checked_add(other.decs[g])
                .unwrap_or(self.decs[t]);
            self.has[t] = true;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.grow(num_groups);
        let valid = Some(Bitmap::from_bools(
            self.has.iter().take(num_groups).copied(),
        ));
        let data = match self.out {
            DataType::Long => ColumnData::Long(self.longs.into_iter().take(num_groups).collect()),
            DataType::TimeSpan => {
                ColumnData::TimeSpan(self.longs.into_iter().take(num_groups).collect())
            }
            DataType::Decimal => {
                ColumnData::Decimal(self.decs.into_iter().take(num_groups).collect())
            }
            _ => ColumnData::Real(self.reals.into_iter().take(num_groups).collect()),
        };
        Ok(Column::with_validity(data, valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

struct AvgAcc {
    predicate: bool,
    sums: Vec<f64>,
    counts: Vec<i64>,
}

impl AvgAcc {
    fn new(predicate: bool) -> AvgAcc {
        AvgAcc {
            predicate,
            sums: Vec::new(),
            counts: Vec::new(),
        }
    }
}

impl GroupsAccumulator for AvgAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.sums, num_groups, 0.0);
        grow(&mut self.counts, num_groups, 0);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let Some(a) = access::reals_of(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if let (true, Some(x), Some(s)) = (keep(&mask, i), a.get(i), self.sums.get_mut(g)) {
                *s += x;
                self.counts[g] += 1;
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<AvgAcc>(other)?;
        grow(&mut self.sums, num_groups, 0.0);
        grow(&mut self.counts, num_groups, 0);
        for g in 0..other.sums.len() {
            if let Some(t) = target(group_map, g).filter(|&t| t < num_groups) {
                self.sums[t] += other.sums[g];
                self.counts[t] += other.counts[g];
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let (v, valid) = access::map_rows(num_groups, |g| {
            let n = *self.counts.get(g)?;
            (n > 0).then(|| self.sums[g] / n as f64)
        });
        Ok(Column::with_validity(ColumnData::Real(v), valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- min / max / arg_max

/// Per-group best value with the (global) row it came from.
enum Best {
    Ints(Vec<Option<(i64, u64)>>),
    Reals(Vec<Option<(f64, u64)>>),
    Decs(Vec<Option<(Decimal, u64)>>),
    Strs(Vec<Option<(String, u64)>>),
    Guids(Vec<Option<(u128, u64)>>),
}

/// `min`/`max` (and the value side of `arg_min`/`arg_max`). Ties keep the
/// earliest row.
struct ExtremeAcc {
    ty: DataType,
    max: bool,
    predicate: bool,
    best: Best,
    first_row: Vec<Option<u64>>,
    rows_seen: u64,
}

impl ExtremeAcc {
    fn new(ty: DataType, max: bool) -> ExtremeAcc {
        let best = match ty {
            DataType::Real => Best::Reals(Vec::new()),
            DataType::Decimal => Best::Decs(Vec::new()),
            DataType::String => Best::Strs(Vec::new()),
            DataType::Guid => Best::Guids(Vec::new()),
            _ => Best::Ints(Vec::new()),
        };
        ExtremeAcc {
            ty,
            max,
            predicate: false,
            best,
            first_row: Vec::new(),
            rows_seen: 0,
        }
    }

    fn with_predicate(mut self) -> ExtremeAcc {
        self.predicate = true;
        self
    }

    /// Folds `candidate` (from global row `row`) into `slot`.
    #[inline]
    fn fold<T: PartialOrd>(max: bool, slot: &mut Option<(T, u64)>, candidate: T, row: u64) -> bool {
        let better = match slot {
            None => true,
            Some((cur, _)) => {
                if max {
                    candidate > *cur
                } else {
                    candidate < *cur
                }
            }
        };
        if better {
            *slot = Some((candidate, row));
        }
        better
    }

    fn update_values(
        &mut self,
        v: &ColumnarValue,
        group_ids: &[u32],
        mask: &Option<Bitmap>,
        num_groups: usize,
    ) {
        let base = self.rows_seen;
        let max = self.max;
        let rows = group_ids.len();
        grow(&mut self.first_row, num_groups, None);
        for (i, &g) in group_ids.iter().enumerate() {
            if keep(mask, i) {
                if let Some(slot) = self.first_row.get_mut(g as usize) {
                    slot.get_or_insert(base + i as u64);
                }
            }
        }
        let v = if v.data_type() == self.ty {
            v.clone()
        } else {
            kernels::cast(v, self.ty, rows)
        };
        macro_rules! fold_all {
            ($vec:expr, $get:expr) => {{
                grow($vec, num_groups, None);
                for (i, &g) in group_ids.iter().enumerate() {
                    if !keep(mask, i) {
                        continue;
                    }
                    if let (Some(x), Some(slot)) = ($get(i), $vec.get_mut(g as usize)) {
                        ExtremeAcc::fold(max, slot, x, base + i as u64);
                    }
                }
            }};
        }
        match &mut self.best {
            Best::Ints(b) => {
                if let Some(a) = access::ints(&v) {
                    fold_all!(b, |i| a.get(i));
                }
            }
            Best::Reals(b) => {
                if let Some(a) = access::reals_of(&v) {
                    fold_all!(b, |i| a.get(i).filter(|x: &f64| !x.is_nan()));
                }
            }
            Best::Decs(b) => {
                if let Some(a) = access::decs(&v) {
                    fold_all!(b, |i| a.get(i));
                }
            }
            Best::Guids(b) => {
                if let Some(a) = access::guids(&v) {
                    fold_all!(b, |i| a.get(i));
                }
            }
            Best::Strs(b) => {
                let Some(a) = access::strs(&v) else { return };
                grow(b, num_groups, None);
                for (i, &g) in group_ids.iter().enumerate() {
                    if !keep(mask, i) {
                        continue;
                    }
                    let s = a.get(i);
                    let Some(slot) = b.get_mut(g as usize) else {
                        continue;
                    };
                    let better = match slot {
                        None => true,
                        Some((cur, _)) => {
                            if max {
                                s > cur.as_str()
                            } else {
                                s < cur.as_str()
                            }
                        }
                    };
                    if better {
                        *slot = Some((s.to_string(), base + i as u64));
                    }
                }
            }
        }
    }

    /// The winning row per group: the extreme value's row, or the group's
    /// first row when every value was null.
    fn rows(&self, num_groups: usize) -> Vec<Option<u64>> {
        fn pick<T>(v: &[Option<(T, u64)>], g: usize) -> Option<u64> {
            v.get(g).and_then(|s| s.as_ref()).map(|(_, r)| *r)
        }
        (0..num_groups)
            .map(|g| {
                let won = match &self.best {
                    Best::Ints(v) => pick(v, g),
                    Best::Reals(v) => pick(v, g),
                    Best::Decs(v) => pick(v, g),
                    Best::Strs(v) => pick(v, g),
                    Best::Guids(v) => pick(v, g),
                };
                won.or_else(|| self.first_row.get(g).copied().flatten())
            })
            .collect()
    }
}

impl GroupsAccumulator for ExtremeAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let mask = predicate_mask(args, self.predicate, group_ids.len());
        let v = first_arg(args)?.clone();
        self.update_values(&v, group_ids, &mask, num_groups);
        self.rows_seen += group_ids.len() as u64;
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<ExtremeAcc>(other)?;
        let shift = self.rows_seen;
        let max = self.max;
        macro_rules! merge_vec {
            ($mine:expr, $theirs:expr) => {{
                grow($mine, num_groups, None);
                for (g, slot) in $theirs.into_iter().enumerate() {
                    if let (Some((x, r)), Some(t)) = (slot, target(group_map, g)) {
                        if let Some(m) = $mine.get_mut(t) {
                            ExtremeAcc::fold(max, m, x, r + shift);
                        }
                    }
                }
            }};
        }
        match (&mut self.best, other.best) {
            (Best::Ints(a), Best::Ints(b)) => merge_vec!(a, b),
            (Best::Reals(a), Best::Reals(b)) => merge_vec!(a, b),
            (Best::Decs(a), Best::Decs(b)) => merge_vec!(a, b),
            (Best::Strs(a), Best::Strs(b)) => merge_vec!(a, b),
            (Best::Guids(a), Best::Guids(b)) => merge_vec!(a, b),
            _ => {
                return Err(FunctionError::Invalid(
                    "cannot merge different aggregates".into(),
                ))
            }
        }
        grow(&mut self.first_row, num_groups, None);
        for (g, r) in other.first_row.into_iter().enumerate() {
            if let (Some(r), Some(slot)) = (
                r,
                target(group_map, g).and_then(|t| self.first_row.get_mut(t)),
            ) {
                slot.get_or_insert(r + shift);
            }
        }
        self.rows_seen += other.rows_seen;
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let ty = self.ty;
        let data_valid = |valid: Vec<bool>| Some(Bitmap::from_bools(valid));
        Ok(match self.best {
            Best::Ints(v) => {
                let vals: Vec<i64> = (0..num_groups)
                    .map(|g| v.get(g).and_then(|s| s.as_ref()).map_or(0, |(x, _)| *x))
                    .collect();
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let data = match ty {
                    DataType::Int => ColumnData::Int(vals.iter().map(|&x| x as i32).collect()),
                    DataType::Bool => ColumnData::Bool(vals.iter().map(|&x| x != 0).collect()),
                    DataType::DateTime => ColumnData::DateTime(vals),
                    DataType::TimeSpan => ColumnData::TimeSpan(vals),
                    _ => ColumnData::Long(vals),
                };
                Column::with_validity(data, data_valid(valid))
            }
            Best::Reals(v) => {
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let vals = (0..num_groups)
                    .map(|g| v.get(g).and_then(|s| s.as_ref()).map_or(0.0, |(x, _)| *x))
                    .collect();
                Column::with_validity(ColumnData::Real(vals), data_valid(valid))
            }
            Best::Decs(v) => {
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let vals = (0..num_groups)
                    .map(|g| {
                        v.get(g)
                            .and_then(|s| s.as_ref())
                            .map_or(Decimal::ZERO, |(x, _)| *x)
                    })
                    .collect();
                Column::with_validity(ColumnData::Decimal(vals), data_valid(valid))
            }
            Best::Guids(v) => {
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let vals = (0..num_groups)
                    .map(|g| v.get(g).and_then(|s| s.as_ref()).map_or(0, |(x, _)| *x))
                    .collect();
                Column::with_validity(ColumnData::Guid(vals), data_valid(valid))
            }
            Best::Strs(v) => {
                let mut b = ColumnBuilder::new(DataType::String, num_groups);
                for g in 0..num_groups {
                    b.push_str(
                        v.get(g)
                            .and_then(|s| s.as_ref())
                            .map_or("", |(x, _)| x.as_str()),
                    );
                }
                b.finish()
            }
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Finds, per group, the input row holding the largest (or smallest) value
/// of an expression: the engine behind `arg_max(expr, cols...)` and
/// `arg_min(...)`.
///
/// Rows are numbered from 0 in the order [`ArgExtremeRows::update`] saw
/// them (across batches). Ties keep the earliest row; nulls are skipped; a
/// group whose values are all null yields its first row (as Kusto does).
/// The caller then gathers the requested columns with `Column::take`.
pub struct ArgExtremeRows {
    inner: ExtremeAcc,
}

impl ArgExtremeRows {
    /// A finder for values of type `ty`; `max` selects `arg_max`.
    pub fn new(ty: DataType, max: bool) -> ArgExtremeRows {
        let ty = extreme_type(&[ty]).unwrap_or(DataType::Real);
        ArgExtremeRows {
            inner: ExtremeAcc::new(ty, max),
        }
    }

    /// Folds a batch: `values` is the evaluated expression, `group_ids[i]`
    /// the group of row `i` (groups numbered densely from 0).
    pub fn update(&mut self, values: &ColumnarValue, group_ids: &[u32], num_groups: usize) {
        self.inner
            .update_values(values, group_ids, &None, num_groups);
        self.inner.rows_seen += group_ids.len() as u64;
    }

    /// The winning row of each of the `num_groups` groups (`None` only for a
    /// group that received no rows).
    pub fn finish(&self, num_groups: usize) -> Vec<Option<u64>> {
        self.inner.rows(num_groups)
    }
}

// ---------------------------------------------------------------- take_any

/// `take_any`: the first non-null value per group (preferring a non-empty
/// string over an empty one).
#[derive(Default)]
struct AnyAcc {
    values: Vec<Option<Value>>,
    /// `take_anyif`: only rows where the last argument is true count.
    predicate: bool,
}

impl AnyAcc {
    fn with_predicate() -> AnyAcc {
        AnyAcc {
            values: Vec::new(),
            predicate: true,
        }
    }
}

impl GroupsAccumulator for AnyAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.values, num_groups, None);
        let mask = predicate_mask(args, self.predicate, group_ids.len());
        let v = first_arg(args)?;
        for (i, &g) in group_ids.iter().enumerate() {
            if !keep(&mask, i) {
                continue;
            }
            let Some(slot) = self.values.get_mut(g as usize) else {
                continue;
            };
            let empty_string = matches!(slot, Some(Value::String(s)) if s.is_empty());
            if (slot.is_none() || empty_string) && !access::is_null_at(v, i) {
                let x = v.get(i);
                if slot.is_none() || !matches!(&x, Value::String(s) if s.is_empty()) {
                    *slot = Some(x);
                }
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<AnyAcc>(other)?;
        grow(&mut self.values, num_groups, None);
        for (g, v) in other.values.into_iter().enumerate() {
            if let (Some(v), Some(slot)) =
                (v, target(group_map, g).and_then(|t| self.values.get_mut(t)))
            {
                slot.get_or_insert(v);
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let ty = self
            .values
            .iter()
            .flatten()
            .find_map(Value::data_type)
            .unwrap_or(DataType::Dynamic);
        let mut b = ColumnBuilder::new(ty, num_groups);
        for g in 0..num_groups {
            let v = self.values.get(g).cloned().flatten().unwrap_or(Value::Null);
            if b.push(&v).is_err() {
                b.push_null();
            }
        }
        Ok(b.finish())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- percentile / variance

/// `percentile(x, p)` by nearest rank: the smallest value with at least `p`
/// percent of the values at or below it.
struct PercentileAcc {
    values: Vec<Vec<f64>>,
    p: f64,
    out: DataType,
}

impl GroupsAccumulator for PercentileAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.values, num_groups, Vec::new());
        let v = first_arg(args)?;
        let reals = match access::ints(v) {
            Some(a) => {
                Box::new(move |i| a.get(i).map(|x| x as f64)) as Box<dyn Fn(usize) -> Option<f64>>
            }
            None => {
                let c = kernels::cast(v, DataType::Real, group_ids.len());
                let vals: Vec<Option<f64>> = match access::reals_of(&c) {
                    Some(a) => (0..group_ids.len()).map(|i| a.get(i)).collect(),
                    None => Vec::new(),
                };
                Box::new(move |i| vals.get(i).copied().flatten())
            }
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if let (Some(x), Some(list)) = (reals(i), self.values.get_mut(g as usize)) {
                if !x.is_nan() {
                    list.push(x);
                }
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<PercentileAcc>(other)?;
        grow(&mut self.values, num_groups, Vec::new());
        for (g, list) in other.values.into_iter().enumerate() {
            if let Some(mine) = target(group_map, g).and_then(|t| self.values.get_mut(t)) {
                mine.extend(list);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.values.resize(num_groups, Vec::new());
        let p = self.p;
        let picked: Vec<Option<f64>> = self
            .values
            .iter_mut()
            .map(|list| {
                if list.is_empty() {
                    return None;
                }
                list.sort_by(f64::total_cmp);
                let rank = ((p / 100.0) * list.len() as f64).ceil().max(1.0) as usize;
                list.get(rank.min(list.len()) - 1).copied()
            })
            .collect();
        let (vals, valid) = access::map_rows(num_groups, |g| picked.get(g).copied().flatten());
        let data = match self.out {
            DataType::Long => ColumnData::Long(vals.iter().map(|&x| x as i64).collect()),
            DataType::DateTime => ColumnData::DateTime(vals.iter().map(|&x| x as i64).collect()),
            DataType::TimeSpan => ColumnData::TimeSpan(vals.iter().map(|&x| x as i64).collect()),
            _ => ColumnData::Real(vals),
        };
        Ok(Column::with_validity(data, valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `tdigest(x, weight)`: the digest's elements are `[x, weight]` pairs
/// (plain `x` for a weight of 1), which the `*_tdigest` functions read as
/// `x` repeated `weight` times. Rows whose weight is null or not positive
/// are left out.
struct WeightedDigestAcc {
    values: ListAcc,
}

impl GroupsAccumulator for WeightedDigestAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let rows = group_ids.len();
        let v = first_arg(args)?;
        let w = match args.get(1) {
            Some(w) => kernels::cast(w, DataType::Long, rows),
            None => return Err(FunctionError::Invalid("missing weight".into())),
        };
        let pairs: Vec<Dynamic> =
            (0..rows)
                .map(|i| {
                    let x = kernels::value_to_dynamic(&v.get(i));
                    match (x, w.get(i)) {
                        (Dynamic::Null, _) => Dynamic::Null,
                        (x, Value::Long(1)) => x,
                        (x, Value::Long(n)) if n > 1 => Dynamic::Array(Arc::new(vec![
                            Dynamic::Array(Arc::new(vec![x, Dynamic::Long(n)])),
                        ])),
                        _ => Dynamic::Null,
                    }
                })
                .collect();
        let column = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(pairs))));
        self.values.update(&[column], group_ids, num_groups)
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<WeightedDigestAcc>(other)?;
        self.values
            .merge(Box::new(other.values), group_map, num_groups)
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        Box::new(self.values).finish(num_groups)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `percentilew`/`percentilesw_array`: nearest-rank percentiles where each
/// value counts as many times as its weight (rows whose weight is null or
/// not positive are left out).
struct WeightedPercentileAcc {
    values: Vec<Vec<(f64, i64)>>,
    ps: Vec<f64>,
    out: DataType,
    array: bool,
}

impl WeightedPercentileAcc {
    /// The value at percentile `p` of a group sorted by value, whose weights
    /// sum to `total`.
    fn pick(sorted: &[(f64, i64)], total: i64, p: f64) -> Option<f64> {
        if total <= 0 {
            return None;
        }
        let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as i64;
        let mut seen = 0i64;
        for &(x, w) in sorted {
            seen = seen.saturating_add(w);
            if seen >= rank {
                return Some(x);
            }
        }
        sorted.last().map(|&(x, _)| x)
    }
}

impl GroupsAccumulator for WeightedPercentileAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.values, num_groups, Vec::new());
        let rows = group_ids.len();
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let w = match args.get(1) {
            Some(w) => kernels::cast(w, DataType::Long, rows),
            None => return Err(FunctionError::Invalid("missing weight".into())),
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let (Value::Real(x), Value::Long(weight)) = (v.get(i), w.get(i)) else {
                continue;
            };
            if x.is_nan() || weight <= 0 {
                continue;
            }
            if let Some(list) = self.values.get_mut(g as usize) {
                list.push((x, weight));
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<WeightedPercentileAcc>(other)?;
        grow(&mut self.values, num_groups, Vec::new());
        for (g, list) in other.values.into_iter().enumerate() {
            if let Some(mine) = target(group_map, g).and_then(|t| self.values.get_mut(t)) {
                mine.extend(list);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.values.resize(num_groups, Vec::new());
        let picked: Vec<Vec<Option<f64>>> = self
            .values
            .iter_mut()
            .map(|list| {
                list.sort_by(|a, b| a.0.total_cmp(&b.0));
                let total = list.iter().fold(0i64, |t, &(_, w)| t.saturating_add(w));
                self.ps
                    .iter()
                    .map(|&p| Self::pick(list, total, p))
                    .collect()
            })
            .collect();
        let integral = self.out == DataType::Long;
        if self.array {
            return Ok(Column::new(ColumnData::Dynamic(
                picked
                    .iter()
                    .map(|ps| {
                        if ps.iter().all(Option::is_none) {
                            return Dynamic::Null;
                        }
                        Dynamic::Array(Arc::new(
                            ps.iter()
                                .map(|x| match x {
                                    Some(x) if integral => Dynamic::Long(*x as i64),
                                    Some(x) => Dynamic::Real(*x),
                                    None => Dynamic::Null,
                                })
                                .collect(),
                        ))
                    })
                    .collect(),
            )));
        }
        let (vals, valid) = access::map_rows(num_groups, |g| {
            picked.get(g).and_then(|ps| ps.first().copied().flatten())
        });
        let data = match self.out {
            DataType::Long => ColumnData::Long(vals.iter().map(|&x| x as i64).collect()),
            DataType::DateTime => ColumnData::DateTime(vals.iter().map(|&x| x as i64).collect()),
            DataType::TimeSpan => ColumnData::TimeSpan(vals.iter().map(|&x| x as i64).collect()),
            _ => ColumnData::Real(vals),
        };
        Ok(Column::with_validity(data, valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Sample (or population) covariance of two expressions, with running
/// co-moments.
struct CovAcc {
    sample: bool,
    predicate: bool,
    n: Vec<f64>,
    mean_x: Vec<f64>,
    mean_y: Vec<f64>,
    c: Vec<f64>,
}

impl CovAcc {
    fn new(sample: bool, predicate: bool) -> CovAcc {
        CovAcc {
            sample,
            predicate,
            n: Vec::new(),
            mean_x: Vec::new(),
            mean_y: Vec::new(),
            c: Vec::new(),
        }
    }

    fn grow(&mut self, n: usize) {
        grow(&mut self.n, n, 0.0);
        grow(&mut self.mean_x, n, 0.0);
        grow(&mut self.mean_y, n, 0.0);
        grow(&mut self.c, n, 0.0);
    }

    /// Combines group `g` with a partial result (`n_b` values).
    fn combine(&mut self, g: usize, n_b: f64, mx: f64, my: f64, c_b: f64) {
        let n_a = self.n[g];
        let n = n_a + n_b;
        if n == 0.0 {
            return;
        }
        let dx = mx - self.mean_x[g];
        let dy = my - self.mean_y[g];
        self.c[g] += c_b + dx * dy * n_a * n_b / n;
        self.mean_x[g] += dx * n_b / n;
        self.mean_y[g] += dy * n_b / n;
        self.n[g] = n;
    }
}

impl GroupsAccumulator for CovAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.grow(num_groups);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let x = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let y = kernels::cast(
            args.get(1).ok_or(FunctionError::Arity {
                expected: "2".into(),
                got: 1,
            })?,
            DataType::Real,
            rows,
        );
        let (Some(a), Some(b)) = (access::reals_of(&x), access::reals_of(&y)) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if let (true, Some(p), Some(q), true) =
                (keep(&mask, i), a.get(i), b.get(i), g < num_groups)
            {
                self.combine(g, 1.0, p, q, 0.0);
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<CovAcc>(other)?;
        self.grow(num_groups);
        for g in 0..other.n.len() {
            if let Some(t) = target(group_map, g).filter(|&t| t < num_groups) {
                self.combine(t, other.n[g], other.mean_x[g], other.mean_y[g], other.c[g]);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.grow(num_groups);
        let (v, valid) = access::map_rows(num_groups, |g| {
            let n = self.n[g];
            if n == 0.0 {
                None
            } else if self.sample {
                Some(if n < 2.0 { 0.0 } else { self.c[g] / (n - 1.0) })
            } else {
                Some(self.c[g] / n)
            }
        });
        Ok(Column::with_validity(ColumnData::Real(v), valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Spread {
    VarianceSample,
    VariancePopulation,
    StdevSample,
    StdevPopulation,
}

/// Variance and standard deviation (Welford's running moments).
struct VarAcc {
    kind: Spread,
    predicate: bool,
    n: Vec<f64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl VarAcc {
    fn new(kind: Spread, predicate: bool) -> VarAcc {
        VarAcc {
            kind,
            predicate,
            n: Vec::new(),
            mean: Vec::new(),
            m2: Vec::new(),
        }
    }

    fn grow(&mut self, n: usize) {
        grow(&mut self.n, n, 0.0);
        grow(&mut self.mean, n, 0.0);
        grow(&mut self.m2, n, 0.0);
    }

    /// Combines moments (Chan et al.), used for both single values and merges.
    fn combine(&mut self, g: usize, n_b: f64, mean_b: f64, m2_b: f64) {
        let n_a = self.n[g];
        let n = n_a + n_b;
        if n == 0.0 {
            return;
        }
        let delta = mean_b - self.mean[g];
        self.mean[g] += delta * n_b / n;
        self.m2[g] += m2_b + delta * delta * n_a * n_b / n;
        self.n[g] = n;
    }
}

impl GroupsAccumulator for VarAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.grow(num_groups);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let Some(a) = access::reals_of(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if let (true, Some(x), true) = (keep(&mask, i), a.get(i), g < num_groups) {
                self.combine(g, 1.0, x, 0.0);
            }
        }
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<VarAcc>(other)?;
        self.grow(num_groups);
        for g in 0..other.n.len() {
            if let Some(t) = target(group_map, g).filter(|&t| t < num_groups) {
                self.combine(t, other.n[g], other.mean[g], other.m2[g]);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.grow(num_groups);
        let (v, valid) = access::map_rows(num_groups, |g| {
            let n = self.n[g];
            if n == 0.0 {
                return None;
            }
            let var = match self.kind {
                Spread::VarianceSample | Spread::StdevSample => {
                    if n < 2.0 {
                        0.0
                    } else {
                        self.m2[g] / (n - 1.0)
                    }
                }
                _ => self.m2[g] / n,
            };
            Some(match self.kind {
                Spread::StdevSample | Spread::StdevPopulation => var.sqrt(),
                _ => var,
            })
        });
        Ok(Column::with_validity(ColumnData::Real(v), valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn col(values: &[Value], ty: DataType) -> ColumnarValue {
        let mut b = ColumnBuilder::new(ty, values.len());
        for v in values {
            b.push(v).unwrap();
        }
        ColumnarValue::Column(Arc::new(b.finish()))
    }

    fn strings(values: &[&str]) -> ColumnarValue {
        ColumnarValue::Column(Arc::new(Column::new(ColumnData::String(
            StringColumn::dictionary(values.iter().copied()),
        ))))
    }

    /// Runs aggregate `name` over `args` grouped by `groups`.
    fn run(
        name: &str,
        args: &[ColumnarValue],
        constants: &[Option<Value>],
        groups: &[u32],
    ) -> Vec<Value> {
        let f = Registry::builtin().aggregate(name).unwrap();
        let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
        let n = groups.iter().map(|&g| g as usize + 1).max().unwrap_or(1);
        let mut acc = f.accumulator(&types, constants).unwrap();
        acc.update(args, groups, n).unwrap();
        let out = acc.finish(n).unwrap();
        (0..n).map(|i| out.get(i)).collect()
    }

    fn json(v: serde_json::Value) -> Value {
        Value::Dynamic(Dynamic::from_json(&v))
    }

    #[test]
    fn count_and_countif_count_rows_per_group() {
        assert_eq!(
            run("count", &[], &[], &[0, 1, 0]),
            [Value::Long(2), Value::Long(1)]
        );
        let p = col(
            &[Value::Bool(true), Value::Null, Value::Bool(true)],
            DataType::Bool,
        );
        assert_eq!(
            run("countif", &[p], &[], &[0, 0, 1]),
            [Value::Long(1), Value::Long(1)]
        );
    }

    #[test]
    fn distinct_sets_stay_exact_when_a_second_batch_outgrows_the_bit_table() {
        // The first batch (a dictionary column, 2 groups) gets a bit table;
        // the second brings new values and groups, so the pairs move to a
        // hash set, and nothing seen before is counted twice.
        let f = Registry::builtin().aggregate("make_set").unwrap();
        let mut acc = f.accumulator(&[DataType::String], &[]).unwrap();
        let first = strings(&["a", "b", "a", "c"]);
        acc.update(&[first], &[0, 0, 1, 1], 2).unwrap();
        let second = strings(&["a", "d", "c", "e", "f"]);
        acc.update(&[second], &[0, 0, 1, 2, 2], 3).unwrap();
        let out = acc.finish(3).unwrap();
        assert_eq!(out.get(0), json(serde_json::json!(["a", "b", "d"])));
        assert_eq!(out.get(1), json(serde_json::json!(["a", "c"])));
        assert_eq!(out.get(2), json(serde_json::json!(["e", "f"])));
        let f = Registry::builtin().aggregate("dcount").unwrap();
        let mut acc = f.accumulator(&[DataType::String], &[]).unwrap();
        acc.update(&[strings(&["x", "y", "x"])], &[0, 0, 0], 1)
            .unwrap();
        acc.update(&[strings(&["y", "z", "x"])], &[0, 1, 1], 2)
            .unwrap();
        let out = acc.finish(2).unwrap();
        assert_eq!((out.get(0), out.get(1)), (Value::Long(2), Value::Long(2)));
    }

    #[test]
    fn dcount_is_exact_and_skips_nulls() {
        let ips = strings(&["1.1.1.1", "2.2.2.2", "1.1.1.1", "3.3.3.3"]);
        assert_eq!(
            run("dcount", &[ips], &[], &[0, 0, 0, 1]),
            [Value::Long(2), Value::Long(1)]
        );
        let longs = col(
            &[Value::Long(1), Value::Null, Value::Long(1)],
            DataType::Long,
        );
        assert_eq!(run("dcount", &[longs], &[], &[0, 0, 0]), [Value::Long(1)]);
    }

    #[test]
    fn make_set_keeps_first_seen_order_and_honours_the_limit() {
        let ips = strings(&["b", "a", "b", "c"]);
        assert_eq!(
            run("make_set", std::slice::from_ref(&ips), &[], &[0, 0, 0, 0]),
            [json(serde_json::json!(["b", "a", "c"]))]
        );
        let limited = run(
            "make_set",
            &[ips, ColumnarValue::Scalar(Value::Long(2), DataType::Long)],
            &[None, Some(Value::Long(2))],
            &[0, 0, 0, 0],
        );
        assert_eq!(limited, [json(serde_json::json!(["b", "a"]))]);
    }

    #[test]
    fn make_set_unions_arrays_element_wise() {
        let arrays = col(
            &[
                json(serde_json::json!(["A1", "A2", "A3"])),
                json(serde_json::json!(["A2", "C1"])),
                json(serde_json::json!(["C2", "A3"])),
                json(serde_json::json!(["C2", "A1"])),
            ],
            DataType::Dynamic,
        );
        assert_eq!(
            run("make_set", &[arrays], &[], &[0, 0, 0, 0]),
            [json(serde_json::json!(["A1", "A2", "A3", "C1", "C2"]))]
        );
    }

    #[test]
    fn make_set_of_reals_skips_nulls() {
        let reals = col(
            &[Value::Null, Value::Real(5.0), Value::Real(5.0)],
            DataType::Real,
        );
        assert_eq!(
            run("make_set", &[reals], &[], &[0, 0, 0]),
            [json(serde_json::json!([5.0]))]
        );
    }

    #[test]
    fn make_list_with_nulls_keeps_nulls_and_count_distinct_is_exact() {
        let xs = col(
            &[Value::Long(1), Value::Null, Value::Long(1)],
            DataType::Long,
        );
        assert_eq!(
            run(
                "make_list_with_nulls",
                std::slice::from_ref(&xs),
                &[],
                &[0, 0, 0]
            ),
            [json(serde_json::json!([1, null, 1]))]
        );
        assert_eq!(
            run("count_distinct", &[xs], &[], &[0, 0, 0]),
            [Value::Long(1)]
        );
    }

    #[test]
    fn make_list_spreads_array_values_into_the_list() {
        let arr = |items: &[i64]| {
            Value::Dynamic(Dynamic::Array(Arc::new(
                items.iter().map(|i| Dynamic::Long(*i)).collect(),
            )))
        };
        let values = col(&[arr(&[1]), arr(&[2, 3])], DataType::Dynamic);
        assert_eq!(
            run("make_list", &[values], &[], &[0, 0]),
            [json(serde_json::json!([1, 2, 3]))]
        );
    }

    #[test]
    fn make_list_keeps_duplicates_in_order() {
        let names = strings(&["x", "y", "x"]);
        assert_eq!(
            run("make_list", &[names], &[], &[0, 0, 0]),
            [json(serde_json::json!(["x", "y", "x"]))]
        );
    }

    #[test]
    fn sum_and_avg_skip_nulls() {
        let ys = col(
            &[
                Value::Null,
                Value::Real(5.0),
                Value::Real(5.0),
                Value::Real(5.0),
            ],
            DataType::Real,
        );
        assert_eq!(
            run("sum", std::slice::from_ref(&ys), &[], &[0, 0, 0, 0]),
            [Value::Real(15.0)]
        );
        assert_eq!(run("avg", &[ys], &[], &[0, 0, 0, 0]), [Value::Real(5.0)]);
        let ints = col(&[Value::Int(2), Value::Int(3)], DataType::Int);
        assert_eq!(
            run("sum", &[ints], &[], &[0, 1]),
            [Value::Long(2), Value::Long(3)]
        );
        let nulls = col(&[Value::Null], DataType::Long);
        assert_eq!(run("sum", &[nulls], &[], &[0]), [Value::Null]);
    }

    #[test]
    fn min_and_max_work_on_numbers_strings_and_datetimes() {
        let xs = col(
            &[Value::Long(3), Value::Null, Value::Long(7)],
            DataType::Long,
        );
        assert_eq!(
            run("max", std::slice::from_ref(&xs), &[], &[0, 0, 0]),
            [Value::Long(7)]
        );
        assert_eq!(run("min", &[xs], &[], &[0, 0, 0]), [Value::Long(3)]);
        let names = strings(&["pear", "apple"]);
        assert_eq!(run("min", &[names], &[], &[0, 0]), [Value::string("apple")]);
        let times = col(
            &[Value::DateTime(5), Value::DateTime(9)],
            DataType::DateTime,
        );
        assert_eq!(run("max", &[times], &[], &[0, 0]), [Value::DateTime(9)]);
    }

    #[test]
    fn arg_max_rows_fall_back_to_the_first_row_of_an_all_null_group() {
        // Apple: 1, null; Banana: null, null; Pear: 1, 2
        let versions = col(
            &[
                Value::Int(1),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Int(1),
                Value::Int(2),
            ],
            DataType::Int,
        );
        let groups = [0, 0, 1, 1, 2, 2];
        let mut max = ArgExtremeRows::new(DataType::Int, true);
        max.update(&versions, &groups, 3);
        assert_eq!(max.finish(3), [Some(0), Some(2), Some(5)]);
        let mut min = ArgExtremeRows::new(DataType::Int, false);
        min.update(&versions, &groups, 3);
        assert_eq!(min.finish(3), [Some(0), Some(2), Some(4)]);
    }

    #[test]
    fn take_any_prefers_non_null_values() {
        let xs = col(&[Value::Null, Value::Long(4)], DataType::Long);
        assert_eq!(run("take_any", &[xs], &[], &[0, 0]), [Value::Long(4)]);
    }

    #[test]
    fn percentile_uses_nearest_rank() {
        let xs = col(
            &(1..=10).map(Value::Long).collect::<Vec<_>>(),
            DataType::Long,
        );
        let p = |q: i64| {
            run(
                "percentile",
                &[
                    xs.clone(),
                    ColumnarValue::Scalar(Value::Long(q), DataType::Long),
                ],
                &[None, Some(Value::Long(q))],
                &[0; 10],
            )
        };
        assert_eq!(p(50), [Value::Long(5)]);
        assert_eq!(p(90), [Value::Long(9)]);
        assert_eq!(p(100), [Value::Long(10)]);
        assert_eq!(p(0), [Value::Long(1)]);
    }

    #[test]
    fn variance_and_stdev_match_kusto_samples() {
        let xs = col(
            &(1..=5).map(Value::Long).collect::<Vec<_>>(),
            DataType::Long,
        );
        assert_eq!(
            run("variance", std::slice::from_ref(&xs), &[], &[0; 5]),
            [Value::Real(2.5)]
        );
        let evens = col(
            &(1..=100).map(Value::Long).collect::<Vec<_>>(),
            DataType::Long,
        );
        let pred = col(
            &(1..=100)
                .map(|x| Value::Bool(x % 2 == 0))
                .collect::<Vec<_>>(),
            DataType::Bool,
        );
        let Value::Real(s) = run("stdevif", &[evens, pred], &[], &[0; 100])[0] else {
            panic!()
        };
        assert!((s - 29.154759474226502).abs() < 1e-9, "{s}");
    }

    #[test]
    fn covariance_matches_kusto() {
        let reals = |v: &[f64]| {
            col(
                &v.iter().map(|x| Value::Real(*x)).collect::<Vec<_>>(),
                DataType::Real,
            )
        };
        let x = reals(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let y = reals(&[14.0, 10.0, 17.0, 20.0, 50.0]);
        assert_eq!(
            run("covariance", &[x.clone(), y.clone()], &[], &[0; 5]),
            [Value::Real(20.5)]
        );
        let Value::Real(p) = run("covariancep", &[x, y], &[], &[0; 5])[0] else {
            panic!()
        };
        assert!((p - 16.4).abs() < 1e-9);
        let xs: Vec<i64> = (1..=100).collect();
        let ys: Vec<i64> = xs
            .iter()
            .map(|x| if x % 2 == 0 { x * 2 } else { x * 3 })
            .collect();
        let pred = col(
            &xs.iter()
                .map(|x| Value::Bool(x % 3 == 0))
                .collect::<Vec<_>>(),
            DataType::Bool,
        );
        let longs = |v: &[i64]| {
            col(
                &v.iter().map(|x| Value::Long(*x)).collect::<Vec<_>>(),
                DataType::Long,
            )
        };
        let Value::Real(c) = run(
            "covarianceif",
            &[longs(&xs), longs(&ys), pred],
            &[],
            &[0; 100],
        )[0] else {
            panic!()
        };
        assert!((c - 2142.0).abs() < 1e-6, "{c}");
        let name = Registry::builtin()
            .aggregate("covariance")
            .unwrap()
            .default_name(&[Some("x"), Some("y")]);
        assert_eq!(name, "covariance_x_y");
    }

    #[test]
    fn make_bag_merges_property_bags() {
        let bags = col(
            &[
                json(serde_json::json!({"prop01": "val_a"})),
                json(serde_json::json!({"prop03": "val_c"})),
            ],
            DataType::Dynamic,
        );
        assert_eq!(
            run("make_bag", &[bags], &[], &[0, 0]),
            [json(
                serde_json::json!({"prop01": "val_a", "prop03": "val_c"})
            )]
        );
    }

    #[test]
    fn merging_accumulators_combines_groups() {
        let f = Registry::builtin().aggregate("dcount").unwrap();
        let mut a = f.accumulator(&[DataType::String], &[]).unwrap();
        let mut b = f.accumulator(&[DataType::String], &[]).unwrap();
        a.update(&[strings(&["x", "y"])], &[0, 0], 1).unwrap();
        b.update(&[strings(&["y", "z"])], &[0, 0], 1).unwrap();
        a.merge(b, &[0], 1).unwrap();
        assert_eq!(a.finish(1).unwrap().get(0), Value::Long(3));
    }

    #[test]
    fn percentiles_array_gives_nearest_rank_values_per_group() {
        let xs = col(
            &(1..=10).map(Value::Long).collect::<Vec<_>>(),
            DataType::Long,
        );
        let p = |v: i64| ColumnarValue::Scalar(Value::Long(v), DataType::Long);
        assert_eq!(
            run(
                "percentiles_array",
                &[xs, p(50), p(90)],
                &[None, Some(Value::Long(50)), Some(Value::Long(90))],
                &[0; 10]
            ),
            [json(serde_json::json!([5, 9]))]
        );
    }

    #[test]
    fn binary_all_folds_bits_per_group() {
        let xs = col(
            &[
                Value::Long(0xFFFF_FFFF),
                Value::Long(0xFFFF_F00F),
                Value::Long(0xCFFF_FFFD),
                Value::Long(0xFAFE_FFFF),
                Value::Null,
            ],
            DataType::Long,
        );
        let groups = [0, 0, 0, 0, 1];
        assert_eq!(
            run(
                "binary_all_and",
                std::slice::from_ref(&xs),
                &[None],
                &groups
            ),
            [Value::Long(0xCAFE_F00D), Value::Null]
        );
        assert_eq!(
            run("binary_all_or", std::slice::from_ref(&xs), &[None], &groups)[0],
            Value::Long(0xFFFF_FFFF)
        );
        assert_eq!(
            run("binary_all_xor", &[xs], &[None], &[0, 0, 1, 1, 1]),
            [
                Value::Long(0xFFFF_FFFF ^ 0xFFFF_F00F),
                Value::Long(0xCFFF_FFFD ^ 0xFAFE_FFFF)
            ]
        );
    }

    #[test]
    fn default_names_follow_kusto() {
        let r = Registry::builtin();
        let name = |f: &str, args: &[Option<&str>]| r.aggregate(f).unwrap().default_name(args);
        assert_eq!(name("count", &[]), "count_");
        assert_eq!(name("count", &[Some("y")]), "count_y");
        assert_eq!(name("countif", &[None]), "countif_");
        assert_eq!(name("dcount", &[Some("IPAddress")]), "dcount_IPAddress");
        assert_eq!(
            name("make_set", &[Some("IPAddress"), None]),
            "set_IPAddress"
        );
        assert_eq!(name("make_list", &[Some("x")]), "list_x");
        assert_eq!(name("sum", &[Some("y")]), "sum_y");
        assert_eq!(name("take_any", &[Some("State")]), "State");
        assert_eq!(name("stdevif", &[Some("x"), None]), "stdevif_x");
    }

    #[test]
    fn empty_input_without_groups_gives_count_zero_and_an_empty_set() {
        let r = Registry::builtin();
        let count = r.aggregate("count").unwrap().accumulator(&[], &[]).unwrap();
        assert_eq!(count.finish(1).unwrap().get(0), Value::Long(0));
        let set = r
            .aggregate("make_set")
            .unwrap()
            .accumulator(&[DataType::String], &[])
            .unwrap();
        assert_eq!(set.finish(1).unwrap().get(0), json(serde_json::json!([])));
        let max = r
            .aggregate("max")
            .unwrap()
            .accumulator(&[DataType::Long], &[])
            .unwrap();
        assert_eq!(max.finish(1).unwrap().get(0), Value::Null);
    }
}
