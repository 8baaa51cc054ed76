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

/// The input as items: each row's item per dimension, and its weight.
struct Items<'t> {
    dims: Vec<(usize, &'t str, &'t Arc<Column>)>,
    /// (dimension, a row holding it), per item.
    items: Vec<(usize, usize)>,
    row_items: Vec<Vec<Option<usize>>>,
    weights: Vec<f64>,
    total: f64,
}

fn encode(input: &Table, weight: Option<usize>, skip: Option<usize>) -> Items<'_> {
    let rows = input.num_rows();
    let dims: Vec<(usize, &str, &Arc<Column>)> = input
        .columns()
        .enumerate()
        .filter(|(i, _)| Some(*i) != weight && Some(*i) != skip)
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
    let mut item_of: HashMap<(usize, String), usize> = HashMap::new();
    let mut items: Vec<(usize, usize)> = Vec::new();
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
    Items {
        dims,
        items,
        row_items,
        weights,
        total,
    }
}

impl Items<'_> {
    /// Candidate patterns one item larger than `level` (Apriori: every
    /// subset one item smaller is in `level`), sorted.
    fn next_level(&self, level: &[&Vec<usize>], span: Span) -> Result<Vec<Vec<usize>>, EvalError> {
        let known: HashSet<&Vec<usize>> = level.iter().copied().collect();
        let mut candidates: Vec<Vec<usize>> = Vec::new();
        for (a, x) in level.iter().enumerate() {
            for y in level.iter().skip(a + 1) {
                let (Some((xl, xp)), Some((yl, yp))) = (x.split_last(), y.split_last()) else {
                    continue;
                };
                if xp != yp {
                    continue;
                }
                let (dx, dy) = (self.dim(*xl), self.dim(*yl));
                if dx == dy || x.iter().any(|i| self.dim(*i) == dy) {
                    continue;
                }
                let mut c = (*x).clone();
                c.push(*yl);
                c.sort_unstable();
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
                        message: "too many candidate patterns; raise the threshold or lower \
                                  the dimensions"
                            .into(),
                    });
                }
            }
        }
        candidates.sort();
        candidates.dedup();
        Ok(candidates)
    }

    fn dim(&self, item: usize) -> Option<usize> {
        self.items.get(item).map(|i| i.0)
    }

    /// The weight of the rows holding every item of `set`.
    fn support(&self, set: &[usize]) -> f64 {
        self.row_items
            .iter()
            .zip(&self.weights)
            .filter(|(ri, _)| {
                set.iter().all(|i| {
                    self.dim(*i)
                        .is_some_and(|d| ri.get(d).copied().flatten() == Some(*i))
                })
            })
            .map(|(_, w)| *w)
            .sum()
    }

    /// The output table: a row per pattern, in the order given.
    fn output(
        &self,
        patterns: &[(Vec<usize>, f64)],
        wildcards: &[(DataType, Value)],
    ) -> Result<Table, EvalError> {
        let n = patterns.len();
        let total = self.total;
        let columns: Vec<(String, Arc<Column>)> = vec![
            (
                "SegmentId".into(),
                Arc::new(Column::new(crate::column::ColumnData::Long(
                    (0..n as i64).collect(),
                ))),
            ),
            (
                "Count".into(),
                Arc::new(Column::new(crate::column::ColumnData::Long(
                    patterns.iter().map(|k| k.1.round() as i64).collect(),
                ))),
            ),
            (
                "Percent".into(),
                Arc::new(Column::new(crate::column::ColumnData::Real(
                    patterns
                        .iter()
                        .map(|k| {
                            if total > 0.0 {
                                100.0 * k.1 / total
                            } else {
                                0.0
                            }
                        })
                        .collect(),
                ))),
            ),
        ];
        let sets: Vec<&Vec<usize>> = patterns.iter().map(|(s, _)| s).collect();
        self.output_with(columns, &sets, wildcards)
    }

    /// `leading` columns, then a value or wildcard per dimension for each
    /// pattern.
    fn output_with(
        &self,
        mut columns: Vec<(String, Arc<Column>)>,
        patterns: &[&Vec<usize>],
        wildcards: &[(DataType, Value)],
    ) -> Result<Table, EvalError> {
        let n = patterns.len();
        for (d, (_, name, col)) in self.dims.iter().enumerate() {
            let ty = col.data_type();
            let wildcard = wildcards
                .iter()
                .find(|(t, _)| *t == ty)
                .map_or(Value::Null, |(_, v)| v.clone());
            let mut b = ColumnBuilder::new(ty, n);
            for set in patterns {
                let item = set.iter().find(|i| self.dim(**i) == Some(d));
                let v = match item.and_then(|i| self.items.get(*i)) {
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
    let it = encode(input, weight, None);
    let total = it.total;
    let min_weight = threshold * total;
    let frequent = |w: f64| total > 0.0 && w >= min_weight;
    // Level 1.
    let mut single = vec![0.0f64; it.items.len()];
    for (ri, w) in it.row_items.iter().zip(&it.weights) {
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
        let sets: Vec<&Vec<usize>> = level.iter().map(|(s, _)| s).collect();
        let candidates = it.next_level(&sets, span)?;
        level = candidates
            .into_iter()
            .filter_map(|c| {
                let w = it.support(&c);
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
    let mut keep: Vec<(usize, Vec<usize>, f64)> = Vec::new();
    for (i, (s, w)) in all.iter().enumerate() {
        let covered = all.iter().enumerate().any(|(j, (t, v))| {
            t.len() == s.len() + 1
                && v == w
                && sets
                    .get(j)
                    .is_some_and(|tj| s.iter().all(|x| tj.contains(x)))
        });
        if !covered {
            keep.push((i, s.clone(), *w));
        }
    }
    keep.sort_by(|a, b| {
        b.2.partial_cmp(&a.2)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.len().cmp(&b.1.len()))
            .then(a.0.cmp(&b.0))
    });
    let patterns: Vec<(Vec<usize>, f64)> = keep.into_iter().map(|(_, s, w)| (s, w)).collect();
    it.output(&patterns, wildcards)
}

/// Runs `autocluster`. The page names the Seed-Expand family and the
/// score (a geometric mean of coverage and informativeness weighted by
/// `SizeWeight`) but not the rest; kqlite does this, deterministically:
/// the seeds are the `NumSeeds` most frequent distinct rows (ties in order
/// of appearance), each a pattern fixing every column. Each seed is
/// generalized one column at a time, always dropping the column that
/// raises the score most, until no drop raises it; the score of a pattern
/// fixing `k` of `D` columns and covering a share `c` of the rows is
/// `c^SizeWeight * (k/D)^(1-SizeWeight)`. The patterns found are taken by
/// score, best first, down to half the best score, leaving out any that
/// generalizes or specializes one already taken.
pub(super) fn autocluster(
    input: &Table,
    size_weight: f64,
    weight: Option<usize>,
    seeds: usize,
    wildcards: &[(DataType, Value)],
) -> Result<Table, EvalError> {
    let it = encode(input, weight, None);
    let dims = it.dims.len();
    if it.total <= 0.0 || dims == 0 {
        return it.output(&[], wildcards);
    }
    // Distinct rows by their items, heaviest first.
    let mut distinct: Vec<(Vec<usize>, f64, usize)> = Vec::new();
    let mut index: HashMap<Vec<usize>, usize> = HashMap::new();
    for (r, (ri, w)) in it.row_items.iter().zip(&it.weights).enumerate() {
        let set: Vec<usize> = ri.iter().flatten().copied().collect();
        if set.is_empty() {
            continue;
        }
        let next = distinct.len();
        let i = *index.entry(set.clone()).or_insert(next);
        if i == next {
            distinct.push((set, 0.0, r));
        }
        if let Some(d) = distinct.get_mut(i) {
            d.1 += *w;
        }
    }
    distinct.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.2.cmp(&b.2))
    });
    let score = |set: &[usize], support: f64| {
        let coverage = support / it.total;
        let info = set.len() as f64 / dims as f64;
        coverage.powf(size_weight) * info.powf(1.0 - size_weight)
    };
    let mut found: Vec<(Vec<usize>, f64, f64)> = Vec::new(); // (set, support, score)
    for (seed, _, _) in distinct.iter().take(seeds.max(1)) {
        let mut set = seed.clone();
        let mut support = it.support(&set);
        let mut best = score(&set, support);
        loop {
            let mut step: Option<(Vec<usize>, f64, f64)> = None;
            for drop in 0..set.len() {
                let smaller: Vec<usize> = set
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != drop)
                    .map(|(_, v)| *v)
                    .collect();
                if smaller.is_empty() {
                    continue;
                }
                let s = it.support(&smaller);
                let sc = score(&smaller, s);
                if sc > best && step.as_ref().is_none_or(|x| sc > x.2) {
                    step = Some((smaller, s, sc));
                }
            }
            match step {
                Some((s, w, sc)) => {
                    set = s;
                    support = w;
                    best = sc;
                }
                None => break,
            }
        }
        if !found.iter().any(|(f, _, _)| *f == set) {
            found.push((set, support, best));
        }
    }
    found.sort_by(|a, b| b.2.partial_cmp(&a.2).unwrap_or(std::cmp::Ordering::Equal));
    let floor = found.first().map_or(0.0, |f| f.2 / 2.0);
    let mut taken: Vec<(Vec<usize>, f64)> = Vec::new();
    for (set, support, sc) in found {
        if sc < floor {
            break;
        }
        let related = taken
            .iter()
            .any(|(t, _)| set.iter().all(|x| t.contains(x)) || t.iter().all(|x| set.contains(x)));
        if !related {
            taken.push((set, support));
        }
    }
    it.output(&taken, wildcards)
}

/// A pattern with its weight in A and B and its `PercentDiffAB`.
type Taken = (Vec<usize>, (f64, f64), f64);

/// A [`Taken`] with the order it was found in, first.
type Scored = (usize, Vec<usize>, (f64, f64), f64);

/// The options of `diffpatterns`.
pub(super) struct DiffOptions<'a> {
    /// The split column.
    pub split: usize,
    /// Its value (as text) for set A.
    pub a: &'a str,
    /// Its value (as text) for set B.
    pub b: &'a str,
    /// The weight column.
    pub weight: Option<usize>,
    /// Least difference, as a share, a pattern must show.
    pub threshold: f64,
    /// Most columns per pattern.
    pub max_dimensions: usize,
}

/// Runs `diffpatterns`. The page fixes the output but not the search;
/// kqlite's: patterns are found level by level as in `basket`, keeping
/// those covering at least `Threshold` of A or of B (the search space);
/// a pattern is reported when its `PercentDiffAB` is at least `Threshold`
/// (as a percentage). Patterns are taken by `PercentDiffAB`, largest
/// first, then fewer columns first, leaving out any that generalizes or
/// specializes one already taken.
pub(super) fn diffpatterns(
    input: &Table,
    o: &DiffOptions<'_>,
    wildcards: &[(DataType, Value)],
    span: Span,
) -> Result<Table, EvalError> {
    let it = encode(input, o.weight, Some(o.split));
    let side: Vec<Option<bool>> = match input.column_at(o.split) {
        Some((_, c)) => (0..input.num_rows())
            .map(|r| match convert_value(&c.get(r), DataType::String) {
                Value::String(s) if &*s == o.a => Some(true),
                Value::String(s) if &*s == o.b => Some(false),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    };
    let support = |set: &[usize]| -> (f64, f64) {
        let mut out = (0.0, 0.0);
        for ((ri, w), s) in it.row_items.iter().zip(&it.weights).zip(&side) {
            let Some(in_a) = s else { continue };
            let holds = set.iter().all(|i| {
                it.dim(*i)
                    .is_some_and(|d| ri.get(d).copied().flatten() == Some(*i))
            });
            if holds {
                if *in_a {
                    out.0 += *w;
                } else {
                    out.1 += *w;
                }
            }
        }
        out
    };
    let (ta, tb) = support(&[]);
    if ta <= 0.0 || tb <= 0.0 {
        return Err(EvalError::Invalid {
            span,
            message: format!(
                "diffpatterns: the split column has no rows of `{}`",
                if ta <= 0.0 { o.a } else { o.b }
            ),
        });
    }
    let frequent = |(wa, wb): (f64, f64)| wa >= o.threshold * ta || wb >= o.threshold * tb;
    let mut level: Vec<(Vec<usize>, (f64, f64))> = (0..it.items.len())
        .map(|i| (vec![i], support(&[i])))
        .filter(|(_, s)| frequent(*s))
        .collect();
    let mut all = level.clone();
    let mut size = 1;
    while size < o.max_dimensions && !level.is_empty() {
        let sets: Vec<&Vec<usize>> = level.iter().map(|(s, _)| s).collect();
        level = it
            .next_level(&sets, span)?
            .into_iter()
            .map(|c| {
                let s = support(&c);
                (c, s)
            })
            .filter(|(_, s)| frequent(*s))
            .collect();
        all.extend(level.iter().cloned());
        size += 1;
    }
    let pct = |(wa, wb): (f64, f64)| (100.0 * wa / ta, 100.0 * wb / tb);
    let mut scored: Vec<Scored> = all
        .into_iter()
        .enumerate()
        .map(|(i, (s, w))| {
            let (pa, pb) = pct(w);
            (i, s, w, (pa - pb).abs())
        })
        .filter(|x| x.3 >= o.threshold * 100.0)
        .collect();
    scored.sort_by(|a, b| {
        b.3.partial_cmp(&a.3)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.len().cmp(&b.1.len()))
            .then(a.0.cmp(&b.0))
    });
    let mut taken: Vec<Taken> = Vec::new();
    for (_, set, w, diff) in scored {
        let related = taken.iter().any(|(t, _, _)| {
            set.iter().all(|x| t.contains(x)) || t.iter().all(|x| set.contains(x))
        });
        if !related {
            taken.push((set, w, diff));
        }
    }
    let n = taken.len();
    let long = |f: &dyn Fn(&Taken) -> i64| {
        Arc::new(Column::new(crate::column::ColumnData::Long(
            taken.iter().map(f).collect(),
        )))
    };
    let real = |f: &dyn Fn(&Taken) -> f64| {
        Arc::new(Column::new(crate::column::ColumnData::Real(
            taken.iter().map(f).collect(),
        )))
    };
    let leading: Vec<(String, Arc<Column>)> = vec![
        (
            "SegmentId".into(),
            Arc::new(Column::new(crate::column::ColumnData::Long(
                (0..n as i64).collect(),
            ))),
        ),
        ("CountA".into(), long(&|t| t.1 .0.round() as i64)),
        ("CountB".into(), long(&|t| t.1 .1.round() as i64)),
        ("PercentA".into(), real(&|t| pct(t.1).0)),
        ("PercentB".into(), real(&|t| pct(t.1).1)),
        ("PercentDiffAB".into(), real(&|t| t.2)),
    ];
    let sets: Vec<&Vec<usize>> = taken.iter().map(|(s, _, _)| s).collect();
    it.output_with(leading, &sets, wildcards)
}
