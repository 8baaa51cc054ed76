//! Running moments: `covariance*`, `variance*` and `stdev*`.

use super::*;

/// Sample (or population) covariance of two expressions, with running
/// co-moments.
pub(super) struct CovAcc {
    sample: bool,
    predicate: bool,
    n: Vec<f64>,
    mean_x: Vec<f64>,
    mean_y: Vec<f64>,
    c: Vec<f64>,
}

impl CovAcc {
    pub(super) fn new(sample: bool, predicate: bool) -> CovAcc {
        CovAcc {
            sample,
            predicate,
            n: Vec::new(),
            mean_x: Vec::new(),
            mean_y: Vec::new(),
            c: Vec::new(),
        }
    }

    pub(super) fn grow(&mut self, n: usize) {
        grow(&mut self.n, n, 0.0);
        grow(&mut self.mean_x, n, 0.0);
        grow(&mut self.mean_y, n, 0.0);
        grow(&mut self.c, n, 0.0);
    }

    /// Combines group `g` with a partial result (`n_b` values).
    pub(super) fn combine(&mut self, g: usize, n_b: f64, mx: f64, my: f64, c_b: f64) {
        let n_a = self.n[g];
        let n = n_a + n_b;
        if n == 0.0 {
            return;
        }
        let dx = mx - self.mean_x[g];
        let dy = my - self.mean_y[g];
        self.c[g] += c_b + dx * dy * n_a * n_b / n;
        self.mean_x[g] += dx * n_b / n;
        self.mean_y[g] += dy * n_b / n;
        self.n[g] = n;
    }
}

impl GroupsAccumulator for CovAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.grow(num_groups);
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
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if let (true, Some(p), Some(q), true) =
                (keep(&mask, i), a.get(i), b.get(i), g < num_groups)
            {
                self.combine(g, 1.0, p, q, 0.0);
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
        self.grow(num_groups);
        for g in 0..other.n.len() {
            if let Some(t) = target(group_map, g).filter(|&t| t < num_groups) {
                self.combine(t, other.n[g], other.mean_x[g], other.mean_y[g], other.c[g]);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.grow(num_groups);
        let (v, valid) = access::map_rows(num_groups, |g| {
            let n = self.n[g];
            if n == 0.0 {
                None
            } else if self.sample {
                Some(if n < 2.0 { 0.0 } else { self.c[g] / (n - 1.0) })
            } else {
                Some(self.c[g] / n)
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
    n: Vec<f64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl VarAcc {
    pub(super) fn new(kind: Spread, predicate: bool) -> VarAcc {
        VarAcc {
            kind,
            predicate,
            n: Vec::new(),
            mean: Vec::new(),
            m2: Vec::new(),
        }
    }

    pub(super) fn grow(&mut self, n: usize) {
        grow(&mut self.n, n, 0.0);
        grow(&mut self.mean, n, 0.0);
        grow(&mut self.m2, n, 0.0);
    }

    /// Combines moments (Chan et al.), used for both single values and merges.
    pub(super) fn combine(&mut self, g: usize, n_b: f64, mean_b: f64, m2_b: f64) {
        let n_a = self.n[g];
        let n = n_a + n_b;
        if n == 0.0 {
            return;
        }
        let delta = mean_b - self.mean[g];
        self.mean[g] += delta * n_b / n;
        self.m2[g] += m2_b + delta * delta * n_a * n_b / n;
        self.n[g] = n;
    }
}

impl GroupsAccumulator for VarAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.grow(num_groups);
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let Some(a) = access::reals_of(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let g = g as usize;
            if let (true, Some(x), true) = (keep(&mask, i), a.get(i), g < num_groups) {
                self.combine(g, 1.0, x, 0.0);
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
        self.grow(num_groups);
        for g in 0..other.n.len() {
            if let Some(t) = target(group_map, g).filter(|&t| t < num_groups) {
                self.combine(t, other.n[g], other.mean[g], other.m2[g]);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.grow(num_groups);
        let (v, valid) = access::map_rows(num_groups, |g| {
            let n = self.n[g];
            if n == 0.0 {
                return None;
            }
            let var = match self.kind {
                Spread::VarianceSample | Spread::StdevSample => {
                    if n < 2.0 {
                        0.0
                    } else {
                        self.m2[g] / (n - 1.0)
                    }
                }
                _ => self.m2[g] / n,
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
