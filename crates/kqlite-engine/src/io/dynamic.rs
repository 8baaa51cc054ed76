//! JSON text as `dynamic` values, with shared property names: used by
//! every loader (a JSON Lines cell, a CSV cell holding JSON, a Log Analytics
//! `dynamic` column), so it depends on none of them.

use std::fmt;
use std::sync::Arc;

use indexmap::IndexMap;
use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::value::Dynamic;

/// Shares the `Arc<str>` of property names and short strings across the
/// `dynamic` values of a load, so that a bag key or value repeated on every
/// row is allocated once. Holds at most 4096 strings of up to 64 bytes.
#[derive(Debug, Default)]
pub(crate) struct KeyCache(FxHashMap<Box<str>, Arc<str>>);

impl KeyCache {
    const MAX_KEYS: usize = 4096;
    const MAX_KEY_LEN: usize = 64;

    /// The shared `Arc<str>` of `key`.
    pub(crate) fn intern(&mut self, key: &str) -> Arc<str> {
        if let Some(k) = self.0.get(key) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(key);
        if self.0.len() < Self::MAX_KEYS && key.len() <= Self::MAX_KEY_LEN {
            self.0.insert(Box::from(key), k.clone());
        }
        k
    }
}

/// Parses JSON text into a `dynamic` value, or `None` if it is not JSON.
/// The scanner reads it straight from the text; what it does not take
/// (an unusual escape, deep nesting, invalid JSON) goes through serde.
pub(crate) fn parse_dynamic(s: &str, keys: &mut KeyCache) -> Option<Dynamic> {
    if let Some(d) = super::scan::parse_dynamic_text(s, keys) {
        return Some(d);
    }
    let mut de = serde_json::Deserializer::from_str(s);
    let d = DynamicSeed(keys).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(d)
}

/// Deserializes any JSON value as a `dynamic` tree.
pub(crate) struct DynamicSeed<'k>(pub(crate) &'k mut KeyCache);

impl<'de> DeserializeSeed<'de> for DynamicSeed<'_> {
    type Value = Dynamic;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Dynamic, D::Error> {
        d.deserialize_any(DynamicVisitor(self.0))
    }
}

/// Builds a `dynamic` tree from any JSON value.
pub(crate) struct DynamicVisitor<'k>(pub(crate) &'k mut KeyCache);

impl<'de> Visitor<'de> for DynamicVisitor<'_> {
    type Value = Dynamic;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Dynamic, E> {
        Ok(Dynamic::Null)
    }

    fn visit_none<E>(self) -> Result<Dynamic, E> {
        Ok(Dynamic::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Dynamic, E> {
        Ok(Dynamic::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Dynamic, E> {
        Ok(Dynamic::Long(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Dynamic, E> {
        Ok(i64::try_from(v).map_or(Dynamic::Real(v as f64), Dynamic::Long))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Dynamic, E> {
        Ok(Dynamic::Real(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Dynamic, E> {
        // Short values inside bags repeat a lot (countries, app names).
        Ok(Dynamic::String(self.0.intern(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dynamic, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(DynamicSeed(&mut *self.0))? {
            items.push(item);
        }
        Ok(Dynamic::Array(Arc::new(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dynamic, A::Error> {
        let mut bag = IndexMap::new();
        while let Some(key) = map.next_key_seed(InternedKey(&mut *self.0))? {
            let value = map.next_value_seed(DynamicSeed(&mut *self.0))?;
            bag.insert(key, value);
        }
        Ok(Dynamic::Bag(Arc::new(bag)))
    }
}

/// A bag key, interned.
struct InternedKey<'k>(&'k mut KeyCache);

impl<'de> DeserializeSeed<'de> for InternedKey<'_> {
    type Value = Arc<str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for InternedKey<'_> {
    type Value = Arc<str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<Arc<str>, E> {
        Ok(self.0.intern(v))
    }
}
