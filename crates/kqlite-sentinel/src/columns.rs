//! Column-building helpers: an interner for dictionary-encoded strings and
//! whole-column constructors that never go through `Value`.

use std::sync::Arc;

use indexmap::IndexMap;
use kqlite_engine::column::{StringArray, StringColumn};
use kqlite_engine::{Column, ColumnData, DataType, Dynamic};
use rustc_hash::FxHashMap;

/// Distinct strings with stable codes in first-interned order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Vocab {
    strings: StringArray,
    index: FxHashMap<Box<str>, u32>,
}

impl Vocab {
    /// The code of `s`, adding it if new.
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.index.get(s) {
            return c;
        }
        let code = self.strings.len() as u32;
        self.strings.push(s);
        self.index.insert(s.into(), code);
        code
    }

    /// The string with code `code` (`""` if out of range).
    pub(crate) fn get(&self, code: u32) -> &str {
        self.strings.get(code as usize)
    }

    /// Number of distinct strings.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.strings.len()
    }

    /// The strings in code order.
    pub(crate) fn strings(&self) -> &StringArray {
        &self.strings
    }
}

/// A dictionary column whose row `i` is `values[codes[i]]`. The dictionary is
/// rebuilt to hold only the values used, deduplicated, in first-seen order —
/// exactly what `StringColumn::dictionary` would make of the same rows.
pub(crate) fn dict_column(codes: &[u32], values: &StringArray) -> Column {
    const UNSEEN: u32 = u32::MAX;
    let mut remap = vec![UNSEEN; values.len() + 1];
    let mut dict = StringArray::default();
    let mut by_text: FxHashMap<&str, u32> = FxHashMap::default();
    let fallback = values.len();
    let out: Vec<u32> = codes
        .iter()
        .map(|&c| {
            let c = (c as usize).min(fallback);
            let slot = remap.get(c).copied().unwrap_or(UNSEEN);
            if slot != UNSEEN {
                return slot;
            }
            let text = values.get(c);
            let code = *by_text.entry(text).or_insert_with(|| {
                dict.push(text);
                (dict.len() - 1) as u32
            });
            if let Some(r) = remap.get_mut(c) {
                *r = code;
            }
            code
        })
        .collect();
    Column::new(ColumnData::String(StringColumn::Dict {
        codes: out,
        dict: Arc::new(dict),
    }))
}

/// A dictionary column over a list of owned strings.
pub(crate) fn dict_column_of(codes: &[u32], values: &[String]) -> Column {
    let array: StringArray = values.iter().map(String::as_str).collect();
    dict_column(codes, &array)
}

/// `len` copies of one string.
pub(crate) fn const_string(value: &str, len: usize) -> Column {
    Column::new(ColumnData::String(StringColumn::Dict {
        codes: vec![0; len],
        dict: Arc::new(std::iter::once(value).collect()),
    }))
}

/// The fallback for a column the generator has no model for: `""` strings,
/// `false` bools, `0` numbers, nulls otherwise.
pub(crate) fn default_column(ty: DataType, len: usize) -> Column {
    match ty {
        DataType::String => const_string("", len),
        DataType::Bool => Column::new(ColumnData::Bool(vec![false; len])),
        DataType::Long => Column::new(ColumnData::Long(vec![0; len])),
        DataType::Int => Column::new(ColumnData::Int(vec![0; len])),
        other => Column::nulls(other, len),
    }
}

/// A datetime column with no nulls.
pub(crate) fn datetime_column(ticks: Vec<i64>) -> Column {
    Column::new(ColumnData::DateTime(ticks))
}

/// A bool column with no nulls.
pub(crate) fn bool_column(values: Vec<bool>) -> Column {
    Column::new(ColumnData::Bool(values))
}

/// A dynamic column whose row `i` is `values[codes[i]]` (sharing the trees).
pub(crate) fn dynamic_column(codes: &[u32], values: &[Dynamic]) -> Column {
    Column::new(ColumnData::Dynamic(
        codes
            .iter()
            .map(|&c| values.get(c as usize).cloned().unwrap_or_default())
            .collect(),
    ))
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes the canonical `8-4-4-4-12` lowercase text of `g` into `buf`.
#[inline]
fn write_guid(buf: &mut [u8; 36], g: u128) {
    // Byte `k` of the guid (most significant first) lands at these offsets.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let bytes = g.to_be_bytes();
    for (&at, &byte) in AT.iter().zip(&bytes) {
        buf[at] = HEX[usize::from(byte >> 4)];
        buf[at + 1] = HEX[usize::from(byte & 0xF)];
    }
    for dash in [8, 13, 18, 23] {
        buf[dash] = b'-';
    }
}

/// Appends the canonical `8-4-4-4-12` lowercase text of `g` to `out`.
pub(crate) fn push_guid(out: &mut String, g: u128) {
    let mut buf = [0_u8; 36];
    write_guid(&mut buf, g);
    out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
}

/// The canonical text of a guid.
pub(crate) fn guid_text(g: u128) -> String {
    let mut s = String::with_capacity(36);
    push_guid(&mut s, g);
    s
}

/// Pushes fixed-width ASCII records from `bytes` (validated once as a
/// whole) into a plain string column.
fn fixed_width_column(bytes: Vec<u8>, width: usize, rows: usize) -> Column {
    let text = String::from_utf8(bytes).unwrap_or_default();
    let mut array = StringArray::with_capacity(rows, text.len());
    for i in 0..rows {
        array.push(text.get(i * width..(i + 1) * width).unwrap_or(""));
    }
    Column::new(ColumnData::String(StringColumn::Plain(array)))
}

/// A plain (not dictionary) column of guid texts, one per row.
pub(crate) fn guid_column(values: &[u128]) -> Column {
    let mut bytes = vec![0_u8; values.len() * 36];
    for (chunk, &g) in bytes.chunks_exact_mut(36).zip(values) {
        let mut buf = [0_u8; 36];
        write_guid(&mut buf, g);
        chunk.copy_from_slice(&buf);
    }
    fixed_width_column(bytes, 36, values.len())
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A column of 22-character base64url token identifiers derived from the
/// bits of `values` (as `UniqueTokenIdentifier` looks).
pub(crate) fn token_column(values: &[u128]) -> Column {
    let mut bytes = vec![0_u8; values.len() * 22];
    for (chunk, &g) in bytes.chunks_exact_mut(22).zip(values) {
        let mixed = g.rotate_left(37) ^ 0x5DEE_CE66_D1CE_4E5B_9E37_79B9_7F4A_7C15;
        for (i, b) in chunk.iter_mut().enumerate() {
            *b = BASE64URL[((mixed >> (6 * i)) & 0x3F) as usize];
        }
    }
    fixed_width_column(bytes, 22, values.len())
}

/// A property bag from (key, value) pairs, in order.
pub(crate) fn bag(pairs: Vec<(&str, Dynamic)>) -> Dynamic {
    let map: IndexMap<Arc<str>, Dynamic> =
        pairs.into_iter().map(|(k, v)| (Arc::from(k), v)).collect();
    Dynamic::Bag(Arc::new(map))
}

/// A dynamic string.
pub(crate) fn dstr(s: &str) -> Dynamic {
    Dynamic::String(Arc::from(s))
}

/// A dynamic array.
pub(crate) fn darray(items: Vec<Dynamic>) -> Dynamic {
    Dynamic::Array(Arc::new(items))
}

/// The compact JSON text of a dynamic value (for columns Sentinel types as
/// `string` but fills with JSON).
pub(crate) fn json_text(d: &Dynamic) -> String {
    d.to_json().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kqlite_engine::Value;

    #[test]
    fn guids_print_in_canonical_form() {
        let g = 0x74be27de_1e4e_49d9_b579_fe0b331d3642_u128;
        assert_eq!(guid_text(g), "74be27de-1e4e-49d9-b579-fe0b331d3642");
    }

    #[test]
    fn dict_columns_keep_only_used_values_in_first_seen_order() {
        let values: StringArray = ["a", "b", "c", "a"].into_iter().collect();
        let col = dict_column(&[2, 3, 0, 2], &values);
        match &col.data {
            ColumnData::String(StringColumn::Dict { codes, dict }) => {
                assert_eq!(codes, &vec![0, 1, 1, 0]);
                assert_eq!(dict.iter().collect::<Vec<_>>(), vec!["c", "a"]);
            }
            other => panic!("not a dictionary: {other:?}"),
        }
        assert_eq!(col.get(2), Value::string("a"));
    }

    #[test]
    fn out_of_range_codes_read_as_empty_strings() {
        let values: StringArray = ["a"].into_iter().collect();
        let col = dict_column(&[7], &values);
        assert_eq!(col.get(0), Value::string(""));
    }

    #[test]
    fn token_identifiers_are_22_url_safe_characters() {
        let col = token_column(&[1, u128::MAX]);
        for i in 0..2 {
            let Value::String(s) = col.get(i) else {
                panic!("not a string")
            };
            assert_eq!(s.len(), 22);
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        }
    }

    #[test]
    fn interning_the_same_text_twice_gives_one_code() {
        let mut v = Vocab::default();
        let a = v.intern("x");
        let b = v.intern("y");
        assert_eq!(v.intern("x"), a);
        assert_ne!(a, b);
        assert_eq!(v.get(b), "y");
        assert_eq!(v.len(), 2);
    }
}
