//! Metadata functions that have an offline meaning: `current_database`,
//! `current_principal_details`, `current_principal_is_member_of`,
//! `extent_id` and `extent_tags`.
//!
//! kqlite runs as one local principal (`aaduser=kqlite-local`, the value of
//! `current_principal()`) against one database, and its rows live in no data
//! shard, so `extent_id()` is the empty guid and `extent_tags()` the empty
//! array, as Kusto answers for calculated data. An embedder that knows
//! better registers its own function under the same name.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{arity, as_text, rowwise, Func};
use crate::function::{ColumnarValue, FunctionError};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// The principal kqlite runs queries as (also `current_principal()`).
const PRINCIPAL: &str = "aaduser=kqlite-local";

/// The name of the database in scope.
const DATABASE: &str = "kqlite";

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain(
            "current_database",
            |a| arity(a, 0, 0).map(|_| DataType::String),
            |_, _, _| {
                Ok(ColumnarValue::Scalar(
                    Value::string(DATABASE),
                    DataType::String,
                ))
            },
        ),
        Func::plain(
            "current_principal_details",
            |a| arity(a, 0, 0).map(|_| DataType::Dynamic),
            |_, _, _| {
                Ok(ColumnarValue::Scalar(
                    principal_details(),
                    DataType::Dynamic,
                ))
            },
        ),
        Func::plain(
            "current_principal_is_member_of",
            |a| {
                arity(a, 1, 64)?;
                for (i, t) in a.iter().enumerate() {
                    if !matches!(t, DataType::String | DataType::Dynamic) {
                        return Err(FunctionError::ArgType {
                            index: i,
                            expected: "a principal string or an array of them".to_string(),
                            got: *t,
                        });
                    }
                }
                Ok(DataType::Bool)
            },
            |a, r, _| {
                Ok(rowwise(a, r, DataType::Bool, |v| {
                    Value::Bool(v.iter().any(names_principal))
                }))
            },
        ),
        Func::plain(
            "extent_id",
            |a| arity(a, 0, 0).map(|_| DataType::Guid),
            |_, _, _| Ok(ColumnarValue::Scalar(Value::Guid(0), DataType::Guid)),
        ),
        Func::plain(
            "extent_tags",
            |a| arity(a, 0, 0).map(|_| DataType::Dynamic),
            |_, _, _| {
                Ok(ColumnarValue::Scalar(
                    Value::Dynamic(Dynamic::Array(Arc::new(Vec::new()))),
                    DataType::Dynamic,
                ))
            },
        ),
    ]
}

/// Whether a `current_principal_is_member_of` argument (a principal, or an
/// array of them) names the local principal.
fn names_principal(v: &Value) -> bool {
    match v {
        Value::Dynamic(Dynamic::Array(a)) => a
            .iter()
            .any(|d| matches!(d, Dynamic::String(s) if s.eq_ignore_ascii_case(PRINCIPAL))),
        Value::Null | Value::Dynamic(_) => false,
        other => as_text(other).eq_ignore_ascii_case(PRINCIPAL),
    }
}

/// The fields `current_principal_details()` documents, for the local
/// principal.
fn principal_details() -> Value {
    let text = |s: &str| Dynamic::String(s.into());
    let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
    bag.insert("UserPrincipalName".into(), text("kqlite-local"));
    bag.insert("IdentityProvider".into(), text("kqlite"));
    bag.insert("Authority".into(), text(""));
    bag.insert("Mfa".into(), text("False"));
    bag.insert("Type".into(), text("AadUser"));
    bag.insert("DisplayName".into(), text("kqlite-local"));
    bag.insert("ObjectId".into(), text(""));
    bag.insert("FQN".into(), text(PRINCIPAL));
    bag.insert("Notes".into(), Dynamic::Null);
    Value::Dynamic(Dynamic::Bag(Arc::new(bag)))
}

#[cfg(test)]
mod tests {
    use crate::functions::test_util::{call, s};
    use crate::value::{Dynamic, Value};

    #[test]
    fn extent_id_is_the_empty_guid_and_extent_tags_an_empty_array() {
        assert_eq!(call("extent_id", &[]), Value::Guid(0));
        assert_eq!(call("extent_tags", &[]).to_string(), "[]");
    }

    #[test]
    fn current_principal_is_member_of_matches_only_the_local_principal() {
        let other = s("aaduser=user1@fabrikam.com");
        assert_eq!(
            call(
                "current_principal_is_member_of",
                &[other.clone(), s("aadgroup=g@x.com")]
            ),
            Value::Bool(false)
        );
        assert_eq!(
            call(
                "current_principal_is_member_of",
                &[other, s("AADUser=kqlite-local")]
            ),
            Value::Bool(true)
        );
        let arr = Value::Dynamic(Dynamic::from_json(&serde_json::json!([
            "aaduser=user1@fabrikam.com",
            "aaduser=kqlite-local"
        ])));
        assert_eq!(
            call("current_principal_is_member_of", &[arr]),
            Value::Bool(true)
        );
    }

    #[test]
    fn current_principal_details_names_the_local_principal() {
        let d = call("current_principal_details", &[]).to_string();
        assert!(d.contains("\"FQN\":\"aaduser=kqlite-local\""), "{d}");
        assert_eq!(call("current_database", &[]), s("kqlite"));
    }
}
