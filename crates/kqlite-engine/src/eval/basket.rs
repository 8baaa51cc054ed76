//! The `basket` plugin: frequent patterns of column values, found level by
//! level as Apriori does.
//!
//! The page leaves the details open; kqlite does this, exactly (no
//! sampling): an item is one column's value (nulls and empty strings are
//! never items); a pattern is a set of items of different columns, at most
//! `MaxDimensions` of them, whose rows weigh at least `Threshold` of all
//! rows. Only closed patterns are returned: a pattern is left out when one
//! more item keeps the same rows (its `Count` would be the same). Rows are
//! ordered by `Count`, largest first, then by fewer columns, then by the
//! order the pattern was found; `SegmentId` numbers them from 0.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use kqlite_parser::Span;

use super::EvalError;
use crate::column::{Column, ColumnBuilder};
use crate::kernels::convert_value;
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// Most candidate patterns one level may have.
const MAX_CANDIDATES: usize = 200_000;

fn key(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        other => match convert_value(other, DataType::String) {
            Value::String(s) => Some(format!("{:?}\u{1}{s}", other.data_type())),
            _ => None,
        },
    }
}

fn internal(e: crate::table::TableError) -> EvalError {
    EvalError::Internal(format!("basket output: {e}"))
}

/// Runs `basket`.
pub(super) fn basket(
    input: &Table,
    threshold: f64,
    weight: Option<usize>,
    max_dimensions: usize,
    wildcards: &[(DataType, Value)],
    span: Span,
) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let dims: Vec<(usize, &str, &Arc<Column>)> = input
        .columns()
        .enumerate()
        .filter(|(i, _)| Some(*i) != weight)
        .map(|(i, (n, c))| (i, n, c))
        .collect();
    let weights: Vec<f64> = match weight.and_then(|w| input.column_at(w)) {
        Some((_, c)) => (0..rows)
            .map(|r| match c.get(r) {
                Value::Int(n) => f64::from(n),
                Value::Long(n) => n as f64,
                Value::Real(x) => x,
                _ => 0.0,
            })
            .collect(),
        None => vec![1.0; rows],
    };
    let total: f64 = weights.iter().sum();
    // Items: (dimension, value), numbered in dimension order.
    let mut item_of: HashMap<(usize, String), usize> = HashMap::new();
    let mut items: Vec<(usize, usize)> = Vec::new(); // (dimension, first row)
    let mut row_items: Vec<Vec<Option<usize>>> = vec![vec![None; dims.len()]; rows];
    for (d, (_, _, col)) in dims.iter().enumerate() {
        for (r, slots) in row_items.iter_mut().enumerate() {
            if let Some(k) = key(&col.get(r)) {
                let next = items.len();
                let id = *item_of.entry((d, k)).or_insert(next);
                if id == next {
                    items.push((d, r));
                }
                if let Some(s) = slots.get_mut(d) {
                    *s = Some(id);
                }
            }
        }
    }
    let min_weight = threshold * total;
    let frequent = |w: f64| total > 0.0 && w >= min_weight;
    let support = |set: &[usize]| -> f64 {
        row_items
            .iter()
            .zip(&weights)
            .filter(|(ri, _)| {
                set.iter().all(|i| {
                    items
                        .get(*i)
                        .is_some_and(|(d, _)| ri.get(*d).copied().flatten() == Some(*i))
                })
            })
            .map(|(_, w)| *w)
            .sum()
    };
    // Level 1.
    let mut single = vec![0.0f64; items.len()];
    for (ri, w) in row_items.iter().zip(&weights) {
        for i in ri.iter().flatten() {
            if let Some(s) = single.get_mut(*i) {
                *s += *w;
            }
        }
    }
    let mut level: Vec<(Vec<usize>, f64)> = single
        .iter()
        .enumerate()
        .filter(|(_, w)| frequent(**w))
        .map(|(i, w)| (vec![i], *w))
        .collect();
    let mut all: Vec<(Vec<usize>, f64)> = level.clone();
    let mut size = 1;
    while size < max_dimensions && !level.is_empty() {
        let known: HashSet<&Vec<usize>> = level.iter().map(|(s, _)| s).collect();
        let mut candidates: Vec<Vec<usize>> = Vec::new();
        for (a, (x, _)) in level.iter().enumerate() {
            for (y, _) in level.iter().skip(a + 1) {
                let (Some((xl, xp)), Some((yl, yp))) = (x.split_last(), y.split_last()) else {
                    continue;
                };
                if xp != yp {
                    continue;
                }
                let (dx, dy) = (items.get(*xl).map(|i| i.0), items.get(*yl).map(|i| i.0));
                if dx == dy || x.iter().any(|i| items.get(*i).map(|t| t.0) == dy) {
                    continue;
                }
                let mut c = x.clone();
                c.push(*yl);
                c.sort_unstable();
                // Every subset one item smaller must be frequent.
                let all_subsets = (0..c.len()).all(|skip| {
                    let sub: Vec<usize> = c
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != skip)
                        .map(|(_, v)| *v)
                        .collect();
                    known.contains(&sub)
                });
                if all_subsets {
                    candidates.push(c);
                }
                if candidates.len() > MAX_CANDIDATES {
                    return Err(EvalError::Invalid {
                        span,
                        message: "basket: too many candidate patterns; raise the threshold or \
                                  lower MaxDimensions"
                            .into(),
                    });
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        level = candidates
            .into_iter()
            .filter_map(|c| {
                let w = support(&c);
                frequent(w).then_some((c, w))
            })
            .collect();
        all.extend(level.iter().cloned());
        size += 1;
    }
    // Closed patterns only.
    let sets: Vec<HashSet<usize>> = all
        .iter()
        .map(|(s, _)| s.iter().copied().collect())
        .collect();
    let mut keep: Vec<(usize, &Vec<usize>, f64)> = Vec::new();
    for (i, (s, w)) in all.iter().enumerate() {
        let covered = all.iter().enumerate().any(|(j, (t, v))| {
            t.len() == s.len() + 1
                && v == w
                && sets
                    .get(j)
                    .is_some_and(|tj| s.iter().all(|x| tj.contains(x)))
        });
        if !covered {
            keep.push((i, s, *w));
        }
    }
    keep.sort_by(|a, b| {
        b.2.partial_cmp(&a.2)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.len().cmp(&b.1.len()))
            .then(a.0.cmp(&b.0))
    });
    let n = keep.len();
    let mut columns: Vec<(String, Arc<Column>)> = vec![
        (
            "SegmentId".into(),
            Arc::new(Column::new(crate::column::ColumnData::Long(
                (0..n as i64).collect(),
            ))),
        ),
        (
            "Count".into(),
            Arc::new(Column::new(crate::column::ColumnData::Long(
                keep.iter().map(|k| k.2.round() as i64).collect(),
            ))),
        ),
        (
            "Percent".into(),
            Arc::new(Column::new(crate::column::ColumnData::Real(
                keep.iter()
                    .map(|k| {
                        if total > 0.0 {
                            100.0 * k.2 / total
                        } else {
                            0.0
                        }
                    })
                    .collect(),
            ))),
        ),
    ];
    for (d, (_, name, col)) in dims.iter().enumerate() {
        let ty = col.data_type();
        let wildcard = wildcards
            .iter()
            .find(|(t, _)| *t == ty)
            .map_or(Value::Null, |(_, v)| v.clone());
        let mut b = ColumnBuilder::new(ty, n);
        for (_, set, _) in &keep {
            let item = set
                .iter()
                .find(|i| items.get(**i).is_some_and(|t| t.0 == d));
            let v = match item.and_then(|i| items.get(*i)) {
                Some((_, r)) => col.get(*r),
                None => wildcard.clone(),
            };
            if b.push(&v).is_err() {
                b.push_null();
            }
        }
        // Named as bound (an input column may share an output's name).
        columns.push((format!("{d}\u{1}{name}"), Arc::new(b.finish())));
    }
    Table::try_new(columns).map_err(internal)
}
