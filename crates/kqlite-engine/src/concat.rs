//! Concatenating columns (for `union`) and tables (loaded blocks, chunks
//! of a streaming run).

use std::sync::Arc;

use crate::bitmap::Bitmap;
use crate::column::{encode_strings, Column, ColumnBuilder, ColumnData, StringArray, StringColumn};
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// The rows of `pieces` one after another, as a column of type `ty`.
/// Pieces of another type (which the binder rules out) contribute nulls.
pub fn concat_columns(pieces: &[Arc<Column>], ty: DataType) -> Column {
    let total: usize = pieces.iter().map(|c| c.len()).sum();
    let nullable = !matches!(ty, DataType::String | DataType::Dynamic)
        && pieces
            .iter()
            .any(|c| c.validity.is_some() || c.data_type() != ty);
    let validity = nullable.then(|| {
        Bitmap::from_bools(
            pieces
                .iter()
                .flat_map(|c| (0..c.len()).map(move |i| c.data_type() == ty && !c.is_null(i))),
        )
    });
    macro_rules! primitive {
        ($variant:ident) => {{
            let mut v: Vec<_> = Vec::with_capacity(total);
            for c in pieces {
                match &c.data {
                    ColumnData::$variant(x) => v.extend_from_slice(x),
                    _ => v.resize(v.len() + c.len(), Default::default()),
                }
            }
            Column::with_validity(ColumnData::$variant(v), validity)
        }};
    }
    match ty {
        DataType::Bool => primitive!(Bool),
        DataType::Int => primitive!(Int),
        DataType::Long => primitive!(Long),
        DataType::Real => primitive!(Real),
        DataType::Decimal => primitive!(Decimal),
        DataType::DateTime => primitive!(DateTime),
        DataType::TimeSpan => primitive!(TimeSpan),
        DataType::Guid => primitive!(Guid),
        DataType::String => {
            if let Some(c) = concat_dictionary_codes(pieces) {
                return c;
            }
            let all_plain = pieces
                .iter()
                .all(|c| matches!(c.data, ColumnData::String(StringColumn::Plain(_))));
            let mut a = StringArray::with_capacity(total, 0);
            for c in pieces {
                match &c.data {
                    ColumnData::String(StringColumn::Plain(p)) => a.extend_from(p),
                    ColumnData::String(s) => (0..s.len()).for_each(|i| a.push(s.get(i))),
                    _ => (0..c.len()).for_each(|_| a.push("")),
                }
            }
            // Pieces that each stayed plain are mostly distinct: keep it so.
            if all_plain {
                return Column::new(ColumnData::String(StringColumn::Plain(a)));
            }
            Column::new(ColumnData::String(encode_strings(a)))
        }
        DataType::Dynamic => {
            if pieces
                .iter()
                .all(|c| matches!(c.data, ColumnData::Dynamic(_)))
            {
                let mut v = Vec::with_capacity(total);
                for c in pieces {
                    if let ColumnData::Dynamic(part) = &c.data {
                        v.extend_from_slice(part);
                    }
                }
                return Column::new(ColumnData::Dynamic(v));
            }
            if let Some(joined) = crate::shred::concat_dynamic(pieces) {
                return joined;
            }
            let mut b = ColumnBuilder::new(DataType::Dynamic, total);
            for c in pieces {
                for i in 0..c.len() {
                    let v = c.get(i);
                    if !matches!(v, Value::Dynamic(_)) || b.push(&v).is_err() {
                        b.push_null();
                    }
                }
            }
            b.finish()
        }
    }
}

/// Dictionary-encoded pieces concatenate their codes: pieces sharing one
/// dictionary keep it; otherwise the dictionaries are merged (first-seen
/// order) and each piece's codes are translated.
fn concat_dictionary_codes(pieces: &[Arc<Column>]) -> Option<Column> {
    let mut dicts: Vec<(&Arc<StringArray>, &[u32])> = Vec::with_capacity(pieces.len());
    for c in pieces {
        let ColumnData::String(StringColumn::Dict { dict, codes }) = &c.data else {
            return None;
        };
        dicts.push((dict, codes));
    }
    let total = dicts.iter().map(|(_, c)| c.len()).sum();
    let mut codes = Vec::with_capacity(total);
    let (first, _) = dicts.first()?;
    if dicts.iter().all(|(d, _)| Arc::ptr_eq(d, first)) {
        let dict = Arc::clone(first);
        dicts.iter().for_each(|(_, c)| codes.extend_from_slice(c));
        return Some(Column::new(ColumnData::String(StringColumn::Dict {
            codes,
            dict,
        })));
    }
    let mut merged = StringArray::default();
    let mut index: crate::column::StrMap<&str, u32> = Default::default();
    for (dict, part) in &dicts {
        let translate: Vec<u32> = dict
            .iter()
            .map(|s| {
                *index.entry(s).or_insert_with(|| {
                    merged.push(s);
                    (merged.len() - 1) as u32
                })
            })
            .collect();
        codes.extend(
            part.iter()
                .map(|&c| translate.get(c as usize).copied().unwrap_or(0)),
        );
    }
    Some(Column::new(ColumnData::String(StringColumn::Dict {
        codes,
        dict: Arc::new(merged),
    })))
}

/// Table parts one after another, their columns united in first-seen order
/// (a part without a column contributes nulls). Each part's column is
/// released once copied. `None` when a column's type differs between parts.
pub(crate) fn concat_tables(mut parts: Vec<Table>) -> Option<Table> {
    let mut names: Vec<(String, DataType)> = Vec::new();
    for t in &parts {
        for (name, col) in t.columns() {
            match names.iter().find(|(n, _)| n == name) {
                Some((_, ty)) if *ty != col.data_type() => return None,
                Some(_) => {}
                None => names.push((name.to_string(), col.data_type())),
            }
        }
    }
    let sizes: Vec<usize> = parts.iter().map(Table::num_rows).collect();
    let rows = sizes.iter().sum();
    if names.is_empty() {
        return Some(Table::empty(rows));
    }
    let mut columns = Vec::with_capacity(names.len());
    for (name, ty) in names {
        let pieces: Vec<Arc<Column>> = parts
            .iter_mut()
            .zip(&sizes)
            .map(|(t, &n)| {
                t.remove_column(&name)
                    .unwrap_or_else(|| Arc::new(Column::nulls(ty, n)))
            })
            .collect();
        let joined = match pieces.as_slice() {
            [only] => only.clone(),
            _ => Arc::new(concat_columns(&pieces, ty)),
        };
        columns.push((name, joined));
    }
    Table::try_new(columns).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_sharing_a_dictionary_concatenate_their_codes() {
        let all = Column::new(ColumnData::String(StringColumn::dictionary([
            "a", "b", "a", "c", "b",
        ])));
        let parts = [Arc::new(all.slice(0, 2)), Arc::new(all.slice(2, 3))];
        let c = concat_columns(&parts, DataType::String);
        assert_eq!(c, all);
        let plain = |v: &[&str]| {
            Arc::new(Column::new(ColumnData::String(StringColumn::Plain(
                v.iter().copied().collect(),
            ))))
        };
        let c = concat_columns(
            &[plain(&["x", "yy"]), plain(&[]), plain(&["z"])],
            DataType::String,
        );
        let got: Vec<Value> = (0..c.len()).map(|i| c.get(i)).collect();
        assert_eq!(got, ["x", "yy", "z"].map(Value::string).to_vec());
        let dict = |v: &[&str]| {
            Arc::new(Column::new(ColumnData::String(StringColumn::dictionary(
                v.iter().copied(),
            ))))
        };
        let c = concat_columns(
            &[dict(&["x", "yy", "x"]), dict(&["z", "x"])],
            DataType::String,
        );
        assert!(
            matches!(&c.data, ColumnData::String(StringColumn::Dict { dict, .. }) if dict.len() == 3)
        );
        let got: Vec<Value> = (0..c.len()).map(|i| c.get(i)).collect();
        assert_eq!(got, ["x", "yy", "x", "z", "x"].map(Value::string).to_vec());
        let c = concat_columns(
            &[plain(&["x", "yy"]), plain(&[]), plain(&["z"])],
            DataType::String,
        );
        let got: Vec<Value> = (0..c.len()).map(|i| c.get(i)).collect();
        assert_eq!(got, ["x", "yy", "z"].map(Value::string).to_vec());
    }

    #[test]
    fn concatenation_keeps_nulls_from_each_piece() {
        let a = Arc::new(Column::new(ColumnData::Long(vec![1, 2])));
        let b = Arc::new(Column::nulls(DataType::Long, 1));
        let c = concat_columns(&[a, b], DataType::Long);
        assert_eq!(c.len(), 3);
        assert_eq!(c.get(1), Value::Long(2));
        assert!(c.is_null(2));
    }
}
