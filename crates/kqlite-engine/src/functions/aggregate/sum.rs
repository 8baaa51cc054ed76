//! `sum` and `avg` (and their `*if` forms).

use super::*;

/// `sum`: longs (wrapping), reals, decimals or timespans; a group with no
/// non-null value is null.
pub(super) struct SumAcc {
    out: DataType,
    predicate: bool,
    longs: Vec<i64>,
    reals: Vec<f64>,
    decs: Vec<Decimal>,
    has: Vec<bool>,
}

impl SumAcc {
    pub(super) fn new(out: DataType, predicate: bool) -> SumAcc {
        SumAcc {
            out,
            predicate,
            longs: Vec::new(),
            reals: Vec::new(),
            decs: Vec::new(),
            has: Vec::new(),
        }
    }

    pub(super) fn grow(&mut self, n: usize) {
        grow(&mut self.longs, n, 0);
        grow(&mut self.reals, n, 0.0);
        grow(&mut self.decs, n, Decimal::ZERO);
        grow(&mut self.has, n, false);
    }
}

impl GroupsAccumulator for SumAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.grow(num_groups);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        match self.out {
            DataType::Long | DataType::TimeSpan => {
                let Some(a) = access::ints(v) else {
                    return Ok(());
                };
                for (i, &g) in group_ids.iter().enumerate() {
                    let g = g as usize;
                    if let (true, Some(x), Some(s)) =
                        (keep(&mask, i), a.get(i), self.longs.get_mut(g))
                    {
                        *s = s.wrapping_add(x);
                        self.has[g] = true;
                    }
                }
            }
            DataType::Decimal => {
                let Some(a) = access::decs(v) else {
                    return Ok(());
                };
                for (i, &g) in group_ids.iter().enumerate() {
                    let g = g as usize;
                    if let (true, Some(x), Some(s)) =
                        (keep(&mask, i), a.get(i), self.decs.get_mut(g))
                    {
                        *s = s.checked_add(x).unwrap_or(*s);
                        self.has[g] = true;
                    }
                }
            }
            _ => {
                let v = kernels::cast(v, DataType::Real, rows);
                let Some(a) = access::reals_of(&v) else {
                    return Ok(());
                };
                for (i, &g) in group_ids.iter().enumerate() {
                    let g = g as usize;
                    if let (true, Some(x), Some(s)) =
                        (keep(&mask, i), a.get(i), self.reals.get_mut(g))
                    {
                        *s += x;
                        self.has[g] = true;
                    }
                }
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
        let other = downcast::<SumAcc>(other)?;
        self.grow(num_groups);
        for (g, &has) in other.has.iter().enumerate() {
            let Some(t) = target(group_map, g).filter(|&t| t < num_groups && has) else {
                continue;
            };
            self.longs[t] = self.longs[t].wrapping_add(other.longs[g]);
            self.reals[t] += other.reals[g];
            self.decs[t] = self.decs[t]
                .checked_add(other.decs[g])
                .unwrap_or(self.decs[t]);
            self.has[t] = true;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.grow(num_groups);
        let valid = Some(Bitmap::from_bools(
            self.has.iter().take(num_groups).copied(),
        ));
        let data = match self.out {
            DataType::Long => ColumnData::Long(self.longs.into_iter().take(num_groups).collect()),
            DataType::TimeSpan => {
                ColumnData::TimeSpan(self.longs.into_iter().take(num_groups).collect())
            }
            DataType::Decimal => {
                ColumnData::Decimal(self.decs.into_iter().take(num_groups).collect())
            }
            _ => ColumnData::Real(self.reals.into_iter().take(num_groups).collect()),
        };
        Ok(Column::with_validity(data, valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

pub(super) struct AvgAcc {
    predicate: bool,
    sums: Vec<f64>,
    counts: Vec<i64>,
}

impl AvgAcc {
    pub(super) fn new(predicate: bool) -> AvgAcc {
        AvgAcc {
            predicate,
            sums: Vec::new(),
            counts: Vec::new(),
        }
    }
}

impl GroupsAccumulator for AvgAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.sums, num_groups, 0.0);
        grow(&mut self.counts, num_groups, 0);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let Some(a) = access::reals_of(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if let (true, Some(x), Some(s)) = (keep(&mask, i), a.get(i), self.sums.get_mut(g)) {
                *s += x;
                self.counts[g] += 1;
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
        let other = downcast::<AvgAcc>(other)?;
        grow(&mut self.sums, num_groups, 0.0);
        grow(&mut self.counts, num_groups, 0);
        for g in 0..other.sums.len() {
            if let Some(t) = target(group_map, g).filter(|&t| t < num_groups) {
                self.sums[t] += other.sums[g];
                self.counts[t] += other.counts[g];
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let (v, valid) = access::map_rows(num_groups, |g| {
            let n = *self.counts.get(g)?;
            (n > 0).then(|| self.sums[g] / n as f64)
        });
        Ok(Column::with_validity(ColumnData::Real(v), valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
