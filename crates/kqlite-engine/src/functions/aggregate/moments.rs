//! Running moments: `covariance*`, `variance*` and `stdev*`.

use super::*;

/// Grows `mine` to `num_groups` and combines each group of a partial result
/// into the group `group_map` sends it to.
fn combine_partials<T: Clone + Default>(
    mine: &mut Vec<T>,
    theirs: &[T],
    group_map: &[u32],
    num_groups: usize,
    combine: impl Fn(&mut T, &T),
) {
    grow(mine, num_groups, T::default());
    for (g, t) in merge_targets(group_map, num_groups, theirs.len()) {
        if let (Some(m), Some(b)) = (mine.get_mut(t), theirs.get(g)) {
            combine(m, b);
        }
    }
}

/// Sample (or population) covariance of two expressions, with running
/// co-moments.
pub(super) struct CovAcc {
    sample: bool,
    predicate: bool,
    groups: Vec<CoMoments>,
}

/// One group's count, means and co-moment.
#[derive(Clone, Default)]
struct CoMoments {
    n: f64,
    mean_x: f64,
    mean_y: f64,
    c: f64,
}

impl CoMoments {
    /// Combines with a partial result `b`: a single pair of values is one
    /// with `n` 1 and co-moment 0.
    fn combine(&mut self, b: &CoMoments) {
        let n_a = self.n;
        let n = n_a + b.n;
        if n == 0.0 {
            return;
        }
        let dx = b.mean_x - self.mean_x;
        let dy = b.mean_y - self.mean_y;
        self.c += b.c + dx * dy * n_a * b.n / n;
        self.mean_x += dx * b.n / n;
        self.mean_y += dy * b.n / n;
        self.n = n;
    }
}

impl CovAcc {
    pub(super) fn new(sample: bool, predicate: bool) -> CovAcc {
        CovAcc {
            sample,
            predicate,
            groups: Vec::new(),
        }
    }
}

impl GroupsAccumulator for CovAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.groups, num_groups, CoMoments::default());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let x = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let y = kernels::cast(
            args.get(1).ok_or(FunctionError::Arity {
                expected: "2".into(),
                got: 1,
            })?,
            DataType::Real,
            rows,
        );
        let (Some(a), Some(b)) = (access::reals_of(&x), access::reals_of(&y)) else {
            return Ok(());
        };
        for (i, g) in kept_rows(&mask, group_ids).filter(|&(_, g)| g < num_groups) {
            if let (Some(p), Some(q), Some(m)) = (a.get(i), b.get(i), self.groups.get_mut(g)) {
                m.combine(&CoMoments {
                    n: 1.0,
                    mean_x: p,
                    mean_y: q,
                    c: 0.0,
                });
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
        let other = downcast::<CovAcc>(other)?;
        combine_partials(
            &mut self.groups,
            &other.groups,
            group_map,
            num_groups,
            CoMoments::combine,
        );
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        // A group that never saw a row has no state: null, as one with `n` 0.
        let (v, valid) = access::map_rows(num_groups, |g| {
            let &CoMoments { n, c, .. } = self.groups.get(g)?;
            if n == 0.0 {
                None
            } else if self.sample {
                Some(if n < 2.0 { 0.0 } else { c / (n - 1.0) })
            } else {
                Some(c / n)
            }
        });
        Ok(Column::with_validity(ColumnData::Real(v), valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Spread {
    VarianceSample,
    VariancePopulation,
    StdevSample,
    StdevPopulation,
}

/// Variance and standard deviation (Welford's running moments).
pub(super) struct VarAcc {
    kind: Spread,
    predicate: bool,
    groups: Vec<Moments>,
}

/// One group's count, mean and sum of squared differences from the mean.
#[derive(Clone, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    /// Combines with a partial result `b` (Chan et al.): a single value is
    /// one with `n` 1 and `m2` 0.
    fn combine(&mut self, b: &Moments) {
        let n_a = self.n;
        let n = n_a + b.n;
        if n == 0.0 {
            return;
        }
        let delta = b.mean - self.mean;
        self.mean += delta * b.n / n;
        self.m2 += b.m2 + delta * delta * n_a * b.n / n;
        self.n = n;
    }
}

impl VarAcc {
    pub(super) fn new(kind: Spread, predicate: bool) -> VarAcc {
        VarAcc {
            kind,
            predicate,
            groups: Vec::new(),
        }
    }
}

impl GroupsAccumulator for VarAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.groups, num_groups, Moments::default());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let Some(a) = access::reals_of(&v) else {
            return Ok(());
        };
        for (i, g) in kept_rows(&mask, group_ids).filter(|&(_, g)| g < num_groups) {
            if let (Some(x), Some(m)) = (a.get(i), self.groups.get_mut(g)) {
                m.combine(&Moments {
                    n: 1.0,
                    mean: x,
                    m2: 0.0,
                });
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
        let other = downcast::<VarAcc>(other)?;
        combine_partials(
            &mut self.groups,
            &other.groups,
            group_map,
            num_groups,
            Moments::combine,
        );
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        // A group that never saw a row has no state: null, as one with `n` 0.
        let (v, valid) = access::map_rows(num_groups, |g| {
            let &Moments { n, m2, .. } = self.groups.get(g)?;
            if n == 0.0 {
                return None;
            }
            let var = match self.kind {
                Spread::VarianceSample | Spread::StdevSample => {
                    if n < 2.0 {
                        0.0
                    } else {
                        m2 / (n - 1.0)
                    }
                }
                _ => m2 / n,
            };
            Some(match self.kind {
                Spread::StdevSample | Spread::StdevPopulation => var.sqrt(),
                _ => var,
            })
        });
        Ok(Column::with_validity(ColumnData::Real(v), valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
