//! The built-in function library: scalar functions and aggregates.
//!
//! Each scalar function is a [`Func`]: a name, a return-type rule, its
//! [`FunctionProperties`] and a whole-column evaluator. Hot functions (`tostring`, `bin`, `ago`,
//! `isempty`, `tolower`, ...) have column kernels; rarer ones evaluate row by
//! row through a shared helper, which is simpler but boxes each cell.
//!
//! Aggregates live in [`aggregate`]; all are registered in
//! [`crate::registry::Registry::builtin`].

pub mod aggregate;
#[cfg(feature = "compression")]
mod compression;
mod data_size;
mod datetime;
mod detection;
mod dynamic;
mod encoding;
#[cfg(feature = "geo")]
mod geo;
pub mod geoip;
mod hash;
pub(crate) mod ip;
pub(crate) mod ipv6;
mod logic;
mod math;
mod metadata;
mod parse;
mod punycode;
mod schema;
#[cfg(feature = "series")]
mod series;
#[cfg(feature = "series")]
mod series_analysis;
#[cfg(feature = "series")]
mod series_transform;
mod sketch;
mod special;
mod string;
#[cfg(feature = "timezones")]
mod timezone;
mod xml;

use std::sync::Arc;

use crate::column::ColumnBuilder;
use crate::function::{
    ColumnarValue, EvalContext, FunctionError, FunctionProperties, ScalarFunction,
};
use crate::types::DataType;
use crate::value::Value;

/// A return-type rule: checks argument types, gives the result type.
pub type Signature = fn(&[DataType]) -> Result<DataType, FunctionError>;

/// A whole-column evaluator.
pub type Evaluator =
    fn(&[ColumnarValue], usize, &EvalContext) -> Result<ColumnarValue, FunctionError>;

/// A scalar function built from a name, a [`Signature`], its
/// [`FunctionProperties`] and an [`Evaluator`].
#[derive(Clone, Copy)]
pub struct Func {
    /// The KQL name this entry answers to.
    pub name: &'static str,
    /// Checks argument types and gives the result type.
    pub signature: Signature,
    /// Volatility, row dependence and null handling (most functions are
    /// [`FunctionProperties::PLAIN`]; one declared
    /// [`FunctionProperties::NULL_PROPAGATING`] never sees a null).
    pub properties: FunctionProperties,
    /// Evaluates over a batch.
    pub evaluate: Evaluator,
}

impl Func {
    /// A [`FunctionProperties::PLAIN`] function: deterministic, row by row,
    /// and seeing its null arguments.
    pub const fn plain(name: &'static str, signature: Signature, evaluate: Evaluator) -> Func {
        Func {
            name,
            signature,
            properties: FunctionProperties::PLAIN,
            evaluate,
        }
    }
}

impl ScalarFunction for Func {
    fn name(&self) -> &'static str {
        self.name
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType, FunctionError> {
        (self.signature)(args)
    }

    fn properties(&self) -> FunctionProperties {
        self.properties
    }

    fn reads_shredded(&self) -> bool {
        // These read a shredded column's typed parts, or only its nulls.
        matches!(
            self.name,
            "tostring" | "isnull" | "isnotnull" | "isempty" | "isnotempty"
        )
    }

    fn invoke(
        &self,
        args: &[ColumnarValue],
        rows: usize,
        ctx: &EvalContext,
    ) -> Result<ColumnarValue, FunctionError> {
        (self.evaluate)(args, rows, ctx)
    }
}

/// Every built-in scalar function.
pub fn builtin_scalars() -> Vec<Arc<dyn ScalarFunction>> {
    let mut all: Vec<Func> = Vec::new();
    all.extend(logic::functions());
    all.extend(string::functions());
    all.extend(datetime::functions());
    all.extend(math::functions());
    all.extend(dynamic::functions());
    all.extend(hash::functions());
    all.extend(encoding::functions());
    #[cfg(feature = "compression")]
    all.extend(compression::functions());
    all.extend(ip::functions());
    #[cfg(feature = "series")]
    all.extend(series::functions());
    all.extend(special::functions());
    #[cfg(feature = "series")]
    all.extend(series_analysis::functions());
    #[cfg(feature = "series")]
    all.extend(series_transform::functions());
    all.extend(ipv6::functions());
    all.extend(parse::functions());
    all.extend(punycode::functions());
    #[cfg(feature = "timezones")]
    all.extend(timezone::functions());
    all.extend(sketch::functions());
    #[cfg(feature = "geo")]
    all.extend(geo::functions());
    all.extend(detection::functions());
    all.extend(xml::functions());
    all.extend(metadata::functions());
    all.extend(data_size::functions());
    let mut out: Vec<Arc<dyn ScalarFunction>> = all
        .into_iter()
        .map(|f| Arc::new(f) as Arc<dyn ScalarFunction>)
        .collect();
    out.push(Arc::new(geoip::GeoInfoFromIp::default()));
    out
}

/// The cargo feature of this crate that provides the built-in function
/// `name`, when this build leaves that feature out (so the binder can say
/// "not supported" and name the feature instead of "unknown function").
pub(crate) fn missing_feature(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    let (feature, enabled) = if name.starts_with("geo_") {
        ("geo", cfg!(feature = "geo"))
    } else if name.starts_with("series_") {
        ("series", cfg!(feature = "series"))
    } else if matches!(
        name.as_str(),
        "datetime_utc_to_local" | "datetime_local_to_utc" | "datetime_list_timezones"
    ) {
        ("timezones", cfg!(feature = "timezones"))
    } else if name.starts_with("zlib_") || name.starts_with("gzip_") {
        ("compression", cfg!(feature = "compression"))
    } else {
        return None;
    };
    (!enabled).then_some(feature)
}

/// Checks that `args.len()` is within `min..=max`.
pub(crate) fn arity(args: &[DataType], min: usize, max: usize) -> Result<(), FunctionError> {
    if (min..=max).contains(&args.len()) {
        Ok(())
    } else {
        Err(FunctionError::Arity {
            expected: if min == max {
                min.to_string()
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            },
            got: args.len(),
        })
    }
}

/// Checks that argument `i` satisfies `ok`, describing it as `expected`.
pub(crate) fn expect(
    args: &[DataType],
    i: usize,
    expected: &str,
    ok: impl Fn(DataType) -> bool,
) -> Result<(), FunctionError> {
    match args.get(i) {
        Some(t) if !ok(*t) => Err(FunctionError::ArgType {
            index: i,
            expected: expected.to_string(),
            got: *t,
        }),
        _ => Ok(()),
    }
}

/// Numeric (or dynamic, converted at run time).
pub(crate) fn numeric_like(t: DataType) -> bool {
    t.is_numeric() || t == DataType::Dynamic
}

/// Evaluates `f` row by row on boxed values and collects a column of type
/// `ty` (a scalar when every argument is a scalar). Values `f` returns that
/// do not match `ty` become nulls.
pub(crate) fn rowwise(
    args: &[ColumnarValue],
    rows: usize,
    ty: DataType,
    mut f: impl FnMut(&[Value]) -> Value,
) -> ColumnarValue {
    let scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(..)));
    let mut cells: Vec<Value> = Vec::with_capacity(args.len());
    if scalar {
        cells.extend(args.iter().map(|a| a.get(0)));
        let v = f(&cells);
        let v = if v.data_type().is_some_and(|t| t != ty) {
            Value::Null
        } else {
            v
        };
        return ColumnarValue::Scalar(v, ty);
    }
    let mut b = ColumnBuilder::new(ty, rows);
    for i in 0..rows {
        cells.clear();
        cells.extend(args.iter().map(|a| a.get(i)));
        if b.push(&f(&cells)).is_err() {
            b.push_null();
        }
    }
    ColumnarValue::Column(Arc::new(b.finish()))
}

/// Argument `i` (a null scalar when absent).
pub(crate) fn arg(args: &[ColumnarValue], i: usize) -> ColumnarValue {
    args.get(i)
        .cloned()
        .unwrap_or(ColumnarValue::Scalar(Value::Null, DataType::Dynamic))
}

/// Scalar argument `i`'s value, if it is a scalar.
pub(crate) fn scalar_arg(args: &[ColumnarValue], i: usize) -> Option<&Value> {
    match args.get(i) {
        Some(ColumnarValue::Scalar(v, _)) => Some(v),
        _ => None,
    }
}

/// A value as a long (ints, longs, integral reals), if possible.
pub(crate) fn as_long(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i as i64),
        Value::Long(i) => Some(*i),
        Value::Real(r) => crate::kernels::convert::real_to_long(*r),
        Value::Decimal(_) | Value::Bool(_) | Value::Dynamic(_) | Value::String(_) => {
            match crate::kernels::convert_value(v, DataType::Long) {
                Value::Long(i) => Some(i),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A value as a real, if numeric.
pub(crate) fn as_real(v: &Value) -> Option<f64> {
    match crate::kernels::convert_value(v, DataType::Real) {
        Value::Real(r) => Some(r),
        _ => None,
    }
}

/// A value's `tostring` text.
pub(crate) fn as_text(v: &Value) -> String {
    v.to_string()
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Invokes the registered scalar function `name` on scalar arguments.
    pub(crate) fn call(name: &str, args: &[Value]) -> Value {
        let f = crate::registry::Registry::builtin()
            .scalar(name)
            .unwrap_or_else(|| panic!("{name} is registered"));
        let cols: Vec<ColumnarValue> = args
            .iter()
            .map(|v| ColumnarValue::Scalar(v.clone(), v.data_type().unwrap_or(DataType::Long)))
            .collect();
        let types: Vec<DataType> = cols.iter().map(ColumnarValue::data_type).collect();
        f.return_type(&types)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ctx = EvalContext { now: NOW };
        crate::function::call_scalar(f.as_ref(), &cols, 1, &ctx)
            .unwrap()
            .get(0)
    }

    /// The fixed clock used by tests: 2024-01-02T03:04:05Z.
    pub(crate) const NOW: i64 =
        crate::time::UNIX_EPOCH_TICKS + 1_704_164_645 * crate::time::TICKS_PER_SECOND;

    /// A string value.
    pub(crate) fn s(x: &str) -> Value {
        Value::string(x)
    }
}
