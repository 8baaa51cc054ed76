//! The `reduce` operator: groups similar strings under a pattern with `*`
//! wildcards.
//!
//! Microsoft's page names the algorithm family (Vaarandi's log clustering)
//! but leaves its details open; kqlite does this, deterministically:
//!
//! 1. Each value is cut into terms: maximal runs of characters that are not
//!    separators (by default every character but an ASCII letter or digit;
//!    with `characters=`, exactly those characters).
//! 2. Values with the same number of terms form a group. In a group, a term
//!    position whose values vary (more than one distinct term) with
//!    `distinct terms / rows > threshold` becomes a wildcard.
//! 3. A value's pattern is its text with each wildcard position's term
//!    written `*`; a separator from `characters=` next to a `*` is taken
//!    into it, other separators stay. A pattern with no literal term is
//!    `others`, with an empty representative.
//! 4. One row per pattern: `Pattern`, `Count` and `Representative` (the
//!    first value seen), most frequent first, ties in order of first
//!    appearance. With `kind=source`, every input row keeps its columns
//!    and gains its `Pattern`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::EvalError;
use crate::column::{Column, ColumnBuilder};
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// A piece of a value: a term or a run of separators.
struct Piece<'s> {
    text: &'s str,
    term: bool,
}

fn pieces<'s>(s: &'s str, separators: Option<&str>) -> Vec<Piece<'s>> {
    let is_sep = |c: char| match separators {
        Some(set) => set.contains(c),
        None => !c.is_ascii_alphanumeric(),
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: Option<bool> = None;
    for (i, c) in s.char_indices() {
        let term = !is_sep(c);
        if current.is_some_and(|t| t != term) {
            out.push(Piece {
                text: s.get(start..i).unwrap_or(""),
                term: !term,
            });
            start = i;
        }
        current = Some(term);
    }
    if let Some(term) = current {
        out.push(Piece {
            text: s.get(start..).unwrap_or(""),
            term,
        });
    }
    out
}

fn internal(e: crate::table::TableError) -> EvalError {
    EvalError::Internal(format!("reduce: {e}"))
}

/// Runs `reduce` over `input`, whose last column is the reduced text.
pub(super) fn reduce(
    input: &Table,
    threshold: f64,
    separators: Option<&str>,
    source: bool,
) -> Result<Table, EvalError> {
    let rows = input.num_rows();
    let Some((_, text)) = input.column_at(input.num_columns().saturating_sub(1)) else {
        return Err(EvalError::Internal("reduce: no input column".into()));
    };
    let values: Vec<String> = (0..rows)
        .map(|r| match text.get(r) {
            Value::String(s) => s.to_string(),
            _ => String::new(),
        })
        .collect();
    let split: Vec<Vec<Piece<'_>>> = values.iter().map(|v| pieces(v, separators)).collect();
    // Per number of terms: the rows, and the distinct terms per position.
    let mut groups: HashMap<usize, (usize, Vec<HashSet<&str>>)> = HashMap::new();
    for p in &split {
        let terms: Vec<&str> = p.iter().filter(|x| x.term).map(|x| x.text).collect();
        let entry = groups
            .entry(terms.len())
            .or_insert_with(|| (0, vec![HashSet::new(); terms.len()]));
        entry.0 += 1;
        for (set, t) in entry.1.iter_mut().zip(&terms) {
            set.insert(*t);
        }
    }
    let wild: HashMap<usize, Vec<bool>> = groups
        .iter()
        .map(|(k, (n, sets))| {
            let flags = sets
                .iter()
                .map(|s| s.len() > 1 && s.len() as f64 / *n as f64 > threshold)
                .collect();
            (*k, flags)
        })
        .collect();
    let explicit = separators.is_some();
    let patterns: Vec<String> = split
        .iter()
        .map(|p| {
            let terms = p.iter().filter(|x| x.term).count();
            let flags = wild.get(&terms).map_or(&[][..], Vec::as_slice);
            let mut position = 0;
            let mut parts: Vec<(String, bool)> = Vec::new(); // (text, is wildcard)
            for piece in p {
                if piece.term {
                    let w = flags.get(position).copied().unwrap_or(false);
                    position += 1;
                    parts.push((if w { "*".into() } else { piece.text.into() }, w));
                } else {
                    parts.push((piece.text.into(), false));
                }
            }
            let mut out = String::new();
            let mut literal = false;
            for (i, (text, w)) in parts.iter().enumerate() {
                let sep = !w && p.get(i).is_some_and(|x| !x.term);
                let next_wild = parts.get(i + 1).is_some_and(|x| x.1);
                let prev_wild = i > 0 && parts.get(i - 1).is_some_and(|x| x.1);
                if sep && explicit && (next_wild || prev_wild) {
                    continue;
                }
                if !w && !sep {
                    literal = true;
                }
                out.push_str(text);
            }
            if literal {
                out
            } else {
                "others".to_string()
            }
        })
        .collect();
    if source {
        let mut columns: Vec<(String, Arc<Column>)> = input
            .columns()
            .take(input.num_columns().saturating_sub(1))
            .filter(|(n, _)| *n != "Pattern")
            .map(|(n, c)| (n.to_string(), c.clone()))
            .collect();
        let mut b = ColumnBuilder::new(DataType::String, rows);
        for p in &patterns {
            b.push_str(p);
        }
        columns.push(("Pattern".into(), Arc::new(b.finish())));
        return Table::try_new(columns).map_err(internal);
    }
    // pattern -> (count, first row)
    let mut order: Vec<&str> = Vec::new();
    let mut found: HashMap<&str, (i64, usize)> = HashMap::new();
    for (r, p) in patterns.iter().enumerate() {
        let e = found.entry(p.as_str()).or_insert_with(|| {
            order.push(p.as_str());
            (0, r)
        });
        e.0 += 1;
    }
    let mut list: Vec<(&str, i64, usize)> = order
        .iter()
        .filter_map(|p| found.get(p).map(|(c, r)| (*p, *c, *r)))
        .collect();
    list.sort_by_key(|x| std::cmp::Reverse(x.1));
    let mut pattern = ColumnBuilder::new(DataType::String, list.len());
    let mut count = ColumnBuilder::new(DataType::Long, list.len());
    let mut representative = ColumnBuilder::new(DataType::String, list.len());
    for (p, c, r) in &list {
        pattern.push_str(p);
        let _ = count.push(&Value::Long(*c));
        let rep = if *p == "others" {
            ""
        } else {
            values.get(*r).map_or("", String::as_str)
        };
        representative.push_str(rep);
    }
    Table::try_new(vec![
        ("Pattern".to_string(), Arc::new(pattern.finish())),
        ("Count".to_string(), Arc::new(count.finish())),
        (
            "Representative".to_string(),
            Arc::new(representative.finish()),
        ),
    ])
    .map_err(internal)
}
