//! `min`, `max`, and the row search behind `arg_max`/`arg_min`.

use super::*;

/// Per-group best value with the (global) row it came from.
pub(super) enum Best {
    Ints(Vec<Option<(i64, u64)>>),
    Reals(Vec<Option<(f64, u64)>>),
    Decs(Vec<Option<(Decimal, u64)>>),
    Strs(Vec<Option<(String, u64)>>),
    Guids(Vec<Option<(u128, u64)>>),
}

/// `min`/`max` (and the value side of `arg_min`/`arg_max`). Ties keep the
/// earliest row.
pub(super) struct ExtremeAcc {
    ty: DataType,
    max: bool,
    predicate: bool,
    best: Best,
    first_row: Vec<Option<u64>>,
    rows_seen: u64,
}

impl ExtremeAcc {
    pub(super) fn new(ty: DataType, max: bool) -> ExtremeAcc {
        let best = match ty {
            DataType::Real => Best::Reals(Vec::new()),
            DataType::Decimal => Best::Decs(Vec::new()),
            DataType::String => Best::Strs(Vec::new()),
            DataType::Guid => Best::Guids(Vec::new()),
            _ => Best::Ints(Vec::new()),
        };
        ExtremeAcc {
            ty,
            max,
            predicate: false,
            best,
            first_row: Vec::new(),
            rows_seen: 0,
        }
    }

    /// The `minif`/`maxif` form when `predicate` is set.
    pub(super) fn filtered(mut self, predicate: bool) -> ExtremeAcc {
        self.predicate = predicate;
        self
    }

    /// Folds `candidate` (from global row `row`) into `slot`.
    #[inline]
    pub(super) fn fold<T: PartialOrd>(
        max: bool,
        slot: &mut Option<(T, u64)>,
        candidate: T,
        row: u64,
    ) -> bool {
        let better = match slot {
            None => true,
            Some((cur, _)) => {
                if max {
                    candidate > *cur
                } else {
                    candidate < *cur
                }
            }
        };
        if better {
            *slot = Some((candidate, row));
        }
        better
    }

    pub(super) fn update_values(
        &mut self,
        v: &ColumnarValue,
        group_ids: &[u32],
        mask: &Option<Bitmap>,
        num_groups: usize,
    ) {
        let base = self.rows_seen;
        let max = self.max;
        let rows = group_ids.len();
        grow(&mut self.first_row, num_groups, None);
        for (i, g) in kept_rows(mask, group_ids) {
            if let Some(slot) = self.first_row.get_mut(g) {
                slot.get_or_insert(base + i as u64);
            }
        }
        let v = if v.data_type() == self.ty {
            v.clone()
        } else {
            kernels::cast(v, self.ty, rows)
        };
        macro_rules! fold_all {
            ($vec:expr, $get:expr) => {{
                grow($vec, num_groups, None);
                for (i, g) in kept_rows(mask, group_ids) {
                    if let (Some(x), Some(slot)) = ($get(i), $vec.get_mut(g)) {
                        ExtremeAcc::fold(max, slot, x, base + i as u64);
                    }
                }
            }};
        }
        match &mut self.best {
            Best::Ints(b) => {
                if let Some(a) = access::ints(&v) {
                    fold_all!(b, |i| a.get(i));
                }
            }
            Best::Reals(b) => {
                if let Some(a) = access::reals_of(&v) {
                    fold_all!(b, |i| a.get(i).filter(|x: &f64| !x.is_nan()));
                }
            }
            Best::Decs(b) => {
                if let Some(a) = access::decs(&v) {
                    fold_all!(b, |i| a.get(i));
                }
            }
            Best::Guids(b) => {
                if let Some(a) = access::guids(&v) {
                    fold_all!(b, |i| a.get(i));
                }
            }
            Best::Strs(b) => {
                let Some(a) = access::strs(&v) else { return };
                grow(b, num_groups, None);
                for (i, g) in kept_rows(mask, group_ids) {
                    let s = a.get(i);
                    let Some(slot) = b.get_mut(g) else {
                        continue;
                    };
                    let better = match slot {
                        None => true,
                        Some((cur, _)) => {
                            if max {
                                s > cur.as_str()
                            } else {
                                s < cur.as_str()
                            }
                        }
                    };
                    if better {
                        *slot = Some((s.to_string(), base + i as u64));
                    }
                }
            }
        }
    }

    /// The winning row per group: the extreme value's row, or the group's
    /// first row when every value was null.
    #[cfg(test)]
    pub(super) fn rows(&self, num_groups: usize) -> Vec<Option<u64>> {
        fn pick<T>(v: &[Option<(T, u64)>], g: usize) -> Option<u64> {
            v.get(g).and_then(|s| s.as_ref()).map(|(_, r)| *r)
        }
        (0..num_groups)
            .map(|g| {
                let won = match &self.best {
                    Best::Ints(v) => pick(v, g),
                    Best::Reals(v) => pick(v, g),
                    Best::Decs(v) => pick(v, g),
                    Best::Strs(v) => pick(v, g),
                    Best::Guids(v) => pick(v, g),
                };
                won.or_else(|| self.first_row.get(g).copied().flatten())
            })
            .collect()
    }
}

impl GroupsAccumulator for ExtremeAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let mask = predicate_mask(args, self.predicate, group_ids.len());
        let v = first_arg(args)?.clone();
        self.update_values(&v, group_ids, &mask, num_groups);
        self.rows_seen += group_ids.len() as u64;
        Ok(())
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<ExtremeAcc>(other)?;
        let shift = self.rows_seen;
        let max = self.max;
        macro_rules! merge_vec {
            ($mine:expr, $theirs:expr) => {{
                grow($mine, num_groups, None);
                for (g, slot) in $theirs.into_iter().enumerate() {
                    if let (Some((x, r)), Some(t)) = (slot, target(group_map, g)) {
                        if let Some(m) = $mine.get_mut(t) {
                            ExtremeAcc::fold(max, m, x, r + shift);
                        }
                    }
                }
            }};
        }
        match (&mut self.best, other.best) {
            (Best::Ints(a), Best::Ints(b)) => merge_vec!(a, b),
            (Best::Reals(a), Best::Reals(b)) => merge_vec!(a, b),
            (Best::Decs(a), Best::Decs(b)) => merge_vec!(a, b),
            (Best::Strs(a), Best::Strs(b)) => merge_vec!(a, b),
            (Best::Guids(a), Best::Guids(b)) => merge_vec!(a, b),
            _ => {
                return Err(FunctionError::Invalid(
                    "cannot merge different aggregates".into(),
                ))
            }
        }
        grow(&mut self.first_row, num_groups, None);
        for (g, r) in other.first_row.into_iter().enumerate() {
            if let (Some(r), Some(slot)) = (
                r,
                target(group_map, g).and_then(|t| self.first_row.get_mut(t)),
            ) {
                slot.get_or_insert(r + shift);
            }
        }
        self.rows_seen += other.rows_seen;
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let ty = self.ty;
        let data_valid = |valid: Vec<bool>| Some(Bitmap::from_bools(valid));
        Ok(match self.best {
            Best::Ints(v) => {
                let vals: Vec<i64> = (0..num_groups)
                    .map(|g| v.get(g).and_then(|s| s.as_ref()).map_or(0, |(x, _)| *x))
                    .collect();
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let data = match ty {
                    DataType::Int => ColumnData::Int(vals.iter().map(|&x| x as i32).collect()),
                    DataType::Bool => ColumnData::Bool(vals.iter().map(|&x| x != 0).collect()),
                    DataType::DateTime => ColumnData::DateTime(vals),
                    DataType::TimeSpan => ColumnData::TimeSpan(vals),
                    _ => ColumnData::Long(vals),
                };
                Column::with_validity(data, data_valid(valid))
            }
            Best::Reals(v) => {
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let vals = (0..num_groups)
                    .map(|g| v.get(g).and_then(|s| s.as_ref()).map_or(0.0, |(x, _)| *x))
                    .collect();
                Column::with_validity(ColumnData::Real(vals), data_valid(valid))
            }
            Best::Decs(v) => {
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let vals = (0..num_groups)
                    .map(|g| {
                        v.get(g)
                            .and_then(|s| s.as_ref())
                            .map_or(Decimal::ZERO, |(x, _)| *x)
                    })
                    .collect();
                Column::with_validity(ColumnData::Decimal(vals), data_valid(valid))
            }
            Best::Guids(v) => {
                let valid = (0..num_groups)
                    .map(|g| v.get(g).is_some_and(Option::is_some))
                    .collect();
                let vals = (0..num_groups)
                    .map(|g| v.get(g).and_then(|s| s.as_ref()).map_or(0, |(x, _)| *x))
                    .collect();
                Column::with_validity(ColumnData::Guid(vals), data_valid(valid))
            }
            Best::Strs(v) => {
                let mut b = ColumnBuilder::new(DataType::String, num_groups);
                for g in 0..num_groups {
                    b.push_str(
                        v.get(g)
                            .and_then(|s| s.as_ref())
                            .map_or("", |(x, _)| x.as_str()),
                    );
                }
                b.finish()
            }
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Test harness over [`ExtremeAcc`]'s row tracking.
///
/// Finds, per group, the input row holding the largest (or smallest) value
/// of an expression: the engine behind `arg_max(expr, cols...)` and
/// `arg_min(...)`.
///
/// Rows are numbered from 0 in the order [`ArgExtremeRows::update`] saw
/// them (across batches). Ties keep the earliest row; nulls are skipped; a
/// group whose values are all null yields its first row (as Kusto does).
/// The caller then gathers the requested columns with `Column::take`.
#[cfg(test)]
pub(super) struct ArgExtremeRows {
    inner: ExtremeAcc,
}

#[cfg(test)]
impl ArgExtremeRows {
    /// A finder for values of type `ty`; `max` selects `arg_max`.
    pub fn new(ty: DataType, max: bool) -> ArgExtremeRows {
        let ty = extreme_type(&[ty]).unwrap_or(DataType::Real);
        ArgExtremeRows {
            inner: ExtremeAcc::new(ty, max),
        }
    }

    /// Folds a batch: `values` is the evaluated expression, `group_ids[i]`
    /// the group of row `i` (groups numbered densely from 0).
    pub fn update(&mut self, values: &ColumnarValue, group_ids: &[u32], num_groups: usize) {
        self.inner
            .update_values(values, group_ids, &None, num_groups);
        self.inner.rows_seen += group_ids.len() as u64;
    }

    /// The winning row of each of the `num_groups` groups (`None` only for a
    /// group that received no rows).
    pub fn finish(&self, num_groups: usize) -> Vec<Option<u64>> {
        self.inner.rows(num_groups)
    }
}
