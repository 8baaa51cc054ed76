//! Kusto's result-type rules, in one place: the binder, the kernels and the
//! functions ask here which type an expression or aggregate returns.
//!
//! The rules, with the reference page (Microsoft's KQL reference) that
//! states each:
//!
//! - **Numeric promotion** (`scalar-data-types/index.md`, `arithmetic
//!   operators`): an arithmetic result takes the wider operand type, `int`
//!   < `long` < `real` < `decimal` (`1 + 1.5` is real, `int + long` is
//!   long); a `dynamic` operand counts as `real` ([`numeric_promotion`]).
//! - **Branches** (`iff-function.md`, `case-function.md`,
//!   `coalesce-function.md`): every branch has one type, or numbers that
//!   promote to the widest; `iff` and `case` also take `dynamic` branches
//!   beside branches of one scalar type, converted to it ([`common_type`],
//!   [`branch_type`]).
//! - **`sum`** (`sum-aggregation-function.md`): of `int`, `long` or `bool`
//!   is `long`, of `real` (or `dynamic`) is `real`, of `decimal` is
//!   `decimal`, of `timespan` is `timespan` ([`sum_type`]).
//! - **`avg`, `stdev`, `variance`** (`avg-aggregation-function.md`): `real`
//!   for any number ([`average_type`]).
//! - **`min`, `max`, `arg_min`, `arg_max`** (`min-aggregation-function.md`):
//!   the argument's type; of `dynamic`, `real` ([`extreme_type`]).
//! - **`percentile`** (`percentiles-aggregation-function.md`): of `int` or
//!   `long` is `long`, of `datetime` or `timespan` that type, of other
//!   numbers `real` ([`percentile_type`]).
//! - **Counts** (`count-aggregation-function.md`, `dcount`, `countif`):
//!   always `long`.

use crate::types::DataType;

/// Whether `t` is a number or `dynamic` (which may hold one).
fn numeric_like(t: DataType) -> bool {
    t.is_numeric() || t == DataType::Dynamic
}

/// The type of arithmetic on two numbers: decimal beats real beats long
/// beats int; a dynamic operand counts as real.
pub fn numeric_promotion(a: DataType, b: DataType) -> DataType {
    use DataType::*;
    let rank = |t: DataType| match t {
        Int => 0,
        Long => 1,
        Real | Dynamic => 2,
        _ => 3,
    };
    match rank(a).max(rank(b)) {
        0 => Int,
        1 => Long,
        2 => Real,
        _ => Decimal,
    }
}

/// The one type of several values (`coalesce` arguments, result branches):
/// all equal, or numbers promoted to the widest; `None` when they differ.
pub fn common_type(types: &[DataType]) -> Option<DataType> {
    let first = *types.first()?;
    types.iter().try_fold(first, |acc, &t| {
        if acc == t {
            Some(acc)
        } else if acc.is_numeric() && t.is_numeric() {
            Some(numeric_promotion(acc, t))
        } else {
            None
        }
    })
}

/// The type of `iff`/`case` branches: their [`common_type`], or, when
/// dynamic branches meet branches of one scalar type, that type (the
/// dynamic values are converted to it). Sentinel rules write
/// `iff(c, bag['k'], '')` and then join the result with a string column,
/// which Kusto allows only if the result is a string.
pub fn branch_type(types: &[DataType]) -> Option<DataType> {
    common_type(types).or_else(|| {
        let scalar: Vec<DataType> = types
            .iter()
            .copied()
            .filter(|t| *t != DataType::Dynamic)
            .collect();
        if scalar.len() == types.len() {
            return None;
        }
        common_type(&scalar)
    })
}

/// The type of `sum` (and `sumif`) of `t`, or `None` if `t` cannot be
/// summed.
pub fn sum_type(t: DataType) -> Option<DataType> {
    match t {
        DataType::Int | DataType::Long | DataType::Bool => Some(DataType::Long),
        DataType::Real | DataType::Dynamic => Some(DataType::Real),
        DataType::Decimal => Some(DataType::Decimal),
        DataType::TimeSpan => Some(DataType::TimeSpan),
        _ => None,
    }
}

/// The type of `avg`, `stdev`, `variance` and the like of `t`: real for
/// any number, `None` otherwise.
pub fn average_type(t: DataType) -> Option<DataType> {
    numeric_like(t).then_some(DataType::Real)
}

/// The type of `min`, `max`, `arg_min` and `arg_max` of `t`.
pub fn extreme_type(t: DataType) -> DataType {
    match t {
        DataType::Dynamic => DataType::Real,
        t => t,
    }
}

/// The type of `percentile` of `t`, or `None` if `t` has no order of
/// numbers or times.
pub fn percentile_type(t: DataType) -> Option<DataType> {
    match t {
        DataType::Int | DataType::Long => Some(DataType::Long),
        DataType::DateTime | DataType::TimeSpan => Some(t),
        t if numeric_like(t) => Some(DataType::Real),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn arithmetic_takes_the_wider_number_type() {
        assert_eq!(numeric_promotion(Int, Int), Int);
        assert_eq!(numeric_promotion(Int, Long), Long);
        assert_eq!(numeric_promotion(Long, Real), Real);
        assert_eq!(numeric_promotion(Real, Decimal), Decimal);
        assert_eq!(numeric_promotion(Dynamic, Long), Real);
    }

    #[test]
    fn branches_unify_numbers_and_convert_dynamic_to_the_scalar_type() {
        assert_eq!(common_type(&[Long, Int, Real]), Some(Real));
        assert_eq!(common_type(&[Long, String]), None);
        assert_eq!(branch_type(&[Dynamic, String]), Some(String));
        assert_eq!(branch_type(&[Dynamic, Dynamic]), Some(Dynamic));
        assert_eq!(branch_type(&[Long, String]), None);
    }

    #[test]
    fn aggregates_return_kustos_types() {
        assert_eq!(sum_type(Int), Some(Long));
        assert_eq!(sum_type(Bool), Some(Long));
        assert_eq!(sum_type(Real), Some(Real));
        assert_eq!(sum_type(TimeSpan), Some(TimeSpan));
        assert_eq!(sum_type(String), None);
        assert_eq!(average_type(Long), Some(Real));
        assert_eq!(average_type(String), None);
        assert_eq!(extreme_type(DateTime), DateTime);
        assert_eq!(extreme_type(Dynamic), Real);
        assert_eq!(percentile_type(Int), Some(Long));
        assert_eq!(percentile_type(TimeSpan), Some(TimeSpan));
        assert_eq!(percentile_type(Real), Some(Real));
        assert_eq!(percentile_type(String), None);
    }
}
