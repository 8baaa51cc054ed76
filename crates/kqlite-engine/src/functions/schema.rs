//! The `buildschema` aggregate: the minimal schema admitting every
//! `dynamic` value of the group.
//!
//! A scalar contributes its type name (`long`, `double`, `string`, ...), a
//! property bag an object of per-key schemas, and an array an object whose
//! `` `indexer` `` key holds the schema of its elements. Where a position
//! has seen several kinds, the schema is an array of the alternatives
//! (the bag first, then the array, then the type names in order seen).

use std::any::Any;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::column::{Column, ColumnData};
use crate::function::{ColumnarValue, FunctionError, GroupsAccumulator};
use crate::kernels::{self, access};
use crate::types::DataType;
use crate::value::Dynamic;

/// The schema seen so far at one position.
#[derive(Debug, Clone, Default, PartialEq)]
struct Schema {
    types: Vec<&'static str>,
    bag: Option<IndexMap<Arc<str>, Schema>>,
    array: Option<Box<Schema>>,
}

impl Schema {
    fn add(&mut self, d: &Dynamic) {
        let name = match d {
            Dynamic::Null => return,
            Dynamic::Bool(_) => "bool",
            Dynamic::Long(_) => "long",
            Dynamic::Real(_) => "double",
            Dynamic::String(_) => "string",
            Dynamic::DateTime(_) => "datetime",
            Dynamic::TimeSpan(_) => "timespan",
            Dynamic::Guid(_) => "guid",
            Dynamic::Array(items) => {
                let inner = self.array.get_or_insert_with(Box::default);
                for item in items.iter() {
                    inner.add(item);
                }
                return;
            }
            Dynamic::Bag(b) => {
                let bag = self.bag.get_or_insert_with(IndexMap::new);
                for (k, v) in b.iter() {
                    bag.entry(k.clone()).or_default().add(v);
                }
                return;
            }
        };
        if !self.types.contains(&name) {
            self.types.push(name);
        }
    }

    fn merge(&mut self, other: Schema) {
        for t in other.types {
            if !self.types.contains(&t) {
                self.types.push(t);
            }
        }
        if let Some(b) = other.bag {
            let mine = self.bag.get_or_insert_with(IndexMap::new);
            for (k, s) in b {
                mine.entry(k).or_default().merge(s);
            }
        }
        if let Some(a) = other.array {
            self.array.get_or_insert_with(Box::default).merge(*a);
        }
    }

    fn to_dynamic(&self) -> Dynamic {
        let mut alternatives: Vec<Dynamic> = Vec::new();
        if let Some(b) = &self.bag {
            alternatives.push(Dynamic::Bag(Arc::new(
                b.iter().map(|(k, s)| (k.clone(), s.to_dynamic())).collect(),
            )));
        }
        if let Some(a) = &self.array {
            let mut indexer = IndexMap::new();
            indexer.insert(Arc::from("`indexer`"), a.to_dynamic());
            alternatives.push(Dynamic::Bag(Arc::new(indexer)));
        }
        alternatives.extend(self.types.iter().map(|t| Dynamic::String(Arc::from(*t))));
        match alternatives.len() {
            0 => Dynamic::Null,
            1 => alternatives.pop().unwrap_or_default(),
            _ => Dynamic::Array(Arc::new(alternatives)),
        }
    }
}

/// The `buildschema(x)` accumulator.
#[derive(Default)]
pub(super) struct SchemaAcc {
    groups: Vec<Schema>,
}

impl GroupsAccumulator for SchemaAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        if self.groups.len() < num_groups {
            self.groups.resize(num_groups, Schema::default());
        }
        let Some(first) = args.first() else {
            return Ok(());
        };
        let v = kernels::cast(first, DataType::Dynamic, group_ids.len());
        let Some(d) = access::dyns(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if let Some(s) = self.groups.get_mut(g as usize) {
                s.add(&d.get(i));
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
        let other = other
            .into_any()
            .downcast::<SchemaAcc>()
            .map_err(|_| FunctionError::Invalid("cannot merge different aggregates".into()))?;
        if self.groups.len() < num_groups {
            self.groups.resize(num_groups, Schema::default());
        }
        for (g, s) in other.groups.into_iter().enumerate() {
            let t = group_map.get(g).map(|&t| t as usize);
            if let Some(mine) = t.and_then(|t| self.groups.get_mut(t)) {
                mine.merge(s);
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let vals: Vec<Dynamic> = (0..num_groups)
            .map(|g| self.groups.get(g).map_or(Dynamic::Null, Schema::to_dynamic))
            .collect();
        Ok(Column::new(ColumnData::Dynamic(vals)))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_merge_bags_arrays_and_alternative_types() {
        let mut s = Schema::default();
        for v in [
            serde_json::json!({"x": 1, "y": 3.5}),
            serde_json::json!({"x": "somevalue", "z": [1, 2, 3]}),
            serde_json::json!({"y": {"w": "zzz"}, "t": ["aa", "bb"], "z": ["foo"]}),
        ] {
            s.add(&Dynamic::from_json(&v));
        }
        assert_eq!(
            s.to_dynamic().to_json(),
            serde_json::json!({
                "x": ["long", "string"],
                "y": [{"w": "string"}, "double"],
                "z": {"`indexer`": ["long", "string"]},
                "t": {"`indexer`": "string"}
            })
        );
    }
}
