//! KQL scalar types.

use std::fmt;

use kqlite_parser::ast::TypeName;

/// The type of a column or scalar value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    /// `bool`
    Bool,
    /// `int` (32-bit signed)
    Int,
    /// `long` (64-bit signed)
    Long,
    /// `real` (64-bit float)
    Real,
    /// `decimal` (128-bit decimal)
    Decimal,
    /// `string` (UTF-8; never null: a missing string is `""`)
    String,
    /// `datetime` (100 ns ticks since 0001-01-01, UTC)
    DateTime,
    /// `timespan` (100 ns ticks)
    TimeSpan,
    /// `guid`
    Guid,
    /// `dynamic` (JSON-like values)
    Dynamic,
}

impl DataType {
    /// All types, in KQL documentation order.
    pub const ALL: [DataType; 10] = [
        DataType::Bool,
        DataType::Int,
        DataType::Long,
        DataType::Real,
        DataType::Decimal,
        DataType::String,
        DataType::DateTime,
        DataType::TimeSpan,
        DataType::Guid,
        DataType::Dynamic,
    ];

    /// KQL's name for the type (`long`, `datetime`, ...).
    pub fn name(self) -> &'static str {
        TypeName::from(self).as_str()
    }

    /// Parses a KQL type name or alias (`bool`/`boolean`, `real`/`double`, ...).
    pub fn from_name(name: &str) -> Option<DataType> {
        TypeName::from_name(name).map(DataType::from)
    }

    /// Whether the type is `int`, `long`, `real` or `decimal`.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            DataType::Int | DataType::Long | DataType::Real | DataType::Decimal
        )
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<TypeName> for DataType {
    fn from(t: TypeName) -> DataType {
        match t {
            TypeName::Bool => DataType::Bool,
            TypeName::Int => DataType::Int,
            TypeName::Long => DataType::Long,
            TypeName::Real => DataType::Real,
            TypeName::Decimal => DataType::Decimal,
            TypeName::String => DataType::String,
            TypeName::DateTime => DataType::DateTime,
            TypeName::TimeSpan => DataType::TimeSpan,
            TypeName::Guid => DataType::Guid,
            TypeName::Dynamic => DataType::Dynamic,
        }
    }
}

impl From<DataType> for TypeName {
    fn from(t: DataType) -> TypeName {
        match t {
            DataType::Bool => TypeName::Bool,
            DataType::Int => TypeName::Int,
            DataType::Long => TypeName::Long,
            DataType::Real => TypeName::Real,
            DataType::Decimal => TypeName::Decimal,
            DataType::String => TypeName::String,
            DataType::DateTime => TypeName::DateTime,
            DataType::TimeSpan => TypeName::TimeSpan,
            DataType::Guid => TypeName::Guid,
            DataType::Dynamic => TypeName::Dynamic,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_round_trip_through_their_aliases() {
        for t in DataType::ALL {
            assert_eq!(DataType::from_name(t.name()), Some(t));
        }
        assert_eq!(DataType::from_name("double"), Some(DataType::Real));
        assert_eq!(DataType::from_name("boolean"), Some(DataType::Bool));
        assert_eq!(
            DataType::from_name("Long"),
            None,
            "type names are case-sensitive"
        );
    }
}
