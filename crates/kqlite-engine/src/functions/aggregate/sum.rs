//! `sum` and `avg` (and their `*if` forms).

use super::*;

/// `sum`: longs (wrapping), reals, decimals or timespans; a group with no
/// non-null value is null.
pub(super) struct SumAcc {
    out: DataType,
    predicate: bool,
    groups: Vec<Sum>,
}

/// One group's running sum, in the slot that the output type uses.
#[derive(Clone, Default)]
struct Sum {
    long: i64,
    real: f64,
    dec: Decimal,
    has: bool,
}

impl Sum {
    fn add_long(&mut self, x: i64) {
        self.long = self.long.wrapping_add(x);
    }

    fn add_real(&mut self, x: f64) {
        self.real += x;
    }

    fn add_dec(&mut self, x: Decimal) {
        self.dec = self.dec.checked_add(x).unwrap_or(self.dec);
    }
}

impl SumAcc {
    pub(super) fn new(out: DataType, predicate: bool) -> SumAcc {
        SumAcc {
            out,
            predicate,
            groups: Vec::new(),
        }
    }

    /// Adds the kept rows' non-null values (`value(row)`) to their groups.
    fn add_rows<X>(
        &mut self,
        mask: &Option<Bitmap>,
        group_ids: &[u32],
        value: impl Fn(usize) -> Option<X>,
        add: impl Fn(&mut Sum, X),
    ) {
        for (i, g) in kept_rows(mask, group_ids) {
            if let (Some(x), Some(s)) = (value(i), self.groups.get_mut(g)) {
                add(s, x);
                s.has = true;
            }
        }
    }

    /// The first `num_groups` groups' sums, as `pick` reads them.
    fn column<T>(&self, num_groups: usize, pick: impl Fn(&Sum) -> T) -> Vec<T> {
        self.groups.iter().take(num_groups).map(pick).collect()
    }
}

impl GroupsAccumulator for SumAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.groups, num_groups, Sum::default());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        match self.out {
            DataType::Long | DataType::TimeSpan => {
                if let Some(a) = access::ints(v) {
                    self.add_rows(&mask, group_ids, |i| a.get(i), Sum::add_long);
                }
            }
            DataType::Decimal => {
                if let Some(a) = access::decs(v) {
                    self.add_rows(&mask, group_ids, |i| a.get(i), Sum::add_dec);
                }
            }
            _ => {
                let v = kernels::cast(v, DataType::Real, rows);
                if let Some(a) = access::reals_of(&v) {
                    self.add_rows(&mask, group_ids, |i| a.get(i), Sum::add_real);
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
        grow(&mut self.groups, num_groups, Sum::default());
        for (g, t) in merge_targets(group_map, num_groups, other.groups.len()) {
            if let (Some(theirs), Some(mine)) = (other.groups.get(g), self.groups.get_mut(t)) {
                if theirs.has {
                    mine.add_long(theirs.long);
                    mine.add_real(theirs.real);
                    mine.add_dec(theirs.dec);
                    mine.has = true;
                }
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        grow(&mut self.groups, num_groups, Sum::default());
        let valid = Some(Bitmap::from_bools(self.column(num_groups, |s| s.has)));
        let data = match self.out {
            DataType::Long => ColumnData::Long(self.column(num_groups, |s| s.long)),
            DataType::TimeSpan => ColumnData::TimeSpan(self.column(num_groups, |s| s.long)),
            DataType::Decimal => ColumnData::Decimal(self.column(num_groups, |s| s.dec)),
            _ => ColumnData::Real(self.column(num_groups, |s| s.real)),
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
        for (i, g) in kept_rows(&mask, group_ids) {
            if let (Some(x), Some(s), Some(n)) =
                (a.get(i), self.sums.get_mut(g), self.counts.get_mut(g))
            {
                *s += x;
                *n += 1;
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
        for (g, t) in merge_targets(group_map, num_groups, other.sums.len()) {
            self.sums[t] += other.sums[g];
            self.counts[t] += other.counts[g];
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
