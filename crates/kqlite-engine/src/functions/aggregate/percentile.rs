//! Percentiles by nearest rank: `percentile`, `percentiles`, `percentiles_array`,
//! the weighted forms and the weighted `tdigest`.

use super::*;

/// `percentiles_array(x, p1, p2, ...)` (or `percentiles_array(x, dynamic([p1,
/// ...]))`): the nearest-rank percentiles of each group as one array.
pub(super) fn make_percentiles_array(
    a: &[DataType],
    c: &[Option<Value>],
) -> Result<Box<dyn GroupsAccumulator>, FunctionError> {
    let ps = constant_percentiles(c, 1)?;
    let integral = matches!(a.first(), Some(DataType::Int | DataType::Long));
    Ok(Box::new(PercentilesArrayAcc {
        values: ListAcc::new(false, usize::MAX),
        ps,
        integral,
    }))
}

/// Collects each group's values (as `make_list` does) and picks the
/// percentiles when finishing.
pub(super) struct PercentilesArrayAcc {
    pub(super) values: ListAcc,
    pub(super) ps: Vec<f64>,
    pub(super) integral: bool,
}

impl GroupsAccumulator for PercentilesArrayAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        self.values
            .update(args.get(..1).unwrap_or_default(), group_ids, num_groups)
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<PercentilesArrayAcc>(other)?;
        self.values
            .merge(Box::new(other.values), group_map, num_groups)
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let lists = Box::new(self.values).finish(num_groups)?;
        let out: Vec<Dynamic> = (0..num_groups)
            .map(|g| {
                let Value::Dynamic(Dynamic::Array(items)) = lists.get(g) else {
                    return Dynamic::Null;
                };
                let mut vals: Vec<f64> = items
                    .iter()
                    .filter_map(kernels::convert::dyn_to_real)
                    .filter(|x| !x.is_nan())
                    .collect();
                if vals.is_empty() {
                    return Dynamic::Null;
                }
                vals.sort_by(f64::total_cmp);
                let n = vals.len();
                Dynamic::Array(Arc::new(
                    self.ps
                        .iter()
                        .map(|p| {
                            let rank = ((p / 100.0) * n as f64).ceil() as usize;
                            match vals.get(rank.clamp(1, n) - 1) {
                                Some(v) if self.integral => Dynamic::Long(*v as i64),
                                Some(v) => Dynamic::Real(*v),
                                None => Dynamic::Null,
                            }
                        })
                        .collect(),
                ))
            })
            .collect();
        Ok(Column::new(ColumnData::Dynamic(out)))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `percentile(x, p)` by nearest rank: the smallest value with at least `p`
/// percent of the values at or below it.
pub(super) struct PercentileAcc {
    pub(super) values: Vec<Vec<f64>>,
    pub(super) p: f64,
    pub(super) out: DataType,
}

impl GroupsAccumulator for PercentileAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.values, num_groups, Vec::new());
        let v = first_arg(args)?;
        let reals = match access::ints(v) {
            Some(a) => {
                Box::new(move |i| a.get(i).map(|x| x as f64)) as Box<dyn Fn(usize) -> Option<f64>>
            }
            None => {
                let c = kernels::cast(v, DataType::Real, group_ids.len());
                let vals: Vec<Option<f64>> = match access::reals_of(&c) {
                    Some(a) => (0..group_ids.len()).map(|i| a.get(i)).collect(),
                    None => Vec::new(),
                };
                Box::new(move |i| vals.get(i).copied().flatten())
            }
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if let (Some(x), Some(list)) = (reals(i), self.values.get_mut(g as usize)) {
                if !x.is_nan() {
                    list.push(x);
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
        let other = downcast::<PercentileAcc>(other)?;
        append_lists(&mut self.values, other.values, group_map, num_groups);
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.values.resize(num_groups, Vec::new());
        let p = self.p;
        let picked: Vec<Option<f64>> = self
            .values
            .iter_mut()
            .map(|list| {
                if list.is_empty() {
                    return None;
                }
                list.sort_by(f64::total_cmp);
                let rank = ((p / 100.0) * list.len() as f64).ceil().max(1.0) as usize;
                list.get(rank.min(list.len()) - 1).copied()
            })
            .collect();
        let (vals, valid) = access::map_rows(num_groups, |g| picked.get(g).copied().flatten());
        Ok(picked_column(self.out, vals, valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `tdigest(x, weight)`: the digest's elements are `[x, weight]` pairs
/// (plain `x` for a weight of 1), which the `*_tdigest` functions read as
/// `x` repeated `weight` times. Rows whose weight is null or not positive
/// are left out.
pub(super) struct WeightedDigestAcc {
    pub(super) values: ListAcc,
}

impl GroupsAccumulator for WeightedDigestAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let rows = group_ids.len();
        let v = first_arg(args)?;
        let w = match args.get(1) {
            Some(w) => kernels::cast(w, DataType::Long, rows),
            None => return Err(FunctionError::Invalid("missing weight".into())),
        };
        let pairs: Vec<Dynamic> =
            (0..rows)
                .map(|i| {
                    let x = kernels::value_to_dynamic(&v.get(i));
                    match (x, w.get(i)) {
                        (Dynamic::Null, _) => Dynamic::Null,
                        (x, Value::Long(1)) => x,
                        (x, Value::Long(n)) if n > 1 => Dynamic::Array(Arc::new(vec![
                            Dynamic::Array(Arc::new(vec![x, Dynamic::Long(n)])),
                        ])),
                        _ => Dynamic::Null,
                    }
                })
                .collect();
        let column = ColumnarValue::Column(Arc::new(Column::new(ColumnData::Dynamic(pairs))));
        self.values.update(&[column], group_ids, num_groups)
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<WeightedDigestAcc>(other)?;
        self.values
            .merge(Box::new(other.values), group_map, num_groups)
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        Box::new(self.values).finish(num_groups)
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `percentilew`/`percentilesw_array`: nearest-rank percentiles where each
/// value counts as many times as its weight (rows whose weight is null or
/// not positive are left out).
pub(super) struct WeightedPercentileAcc {
    pub(super) values: Vec<Vec<(f64, i64)>>,
    pub(super) ps: Vec<f64>,
    pub(super) out: DataType,
    pub(super) array: bool,
}

impl WeightedPercentileAcc {
    /// The value at percentile `p` of a group sorted by value, whose weights
    /// sum to `total`.
    pub(super) fn pick(sorted: &[(f64, i64)], total: i64, p: f64) -> Option<f64> {
        if total <= 0 {
            return None;
        }
        let rank = ((p / 100.0) * total as f64).ceil().max(1.0) as i64;
        let mut seen = 0i64;
        for &(x, w) in sorted {
            seen = seen.saturating_add(w);
            if seen >= rank {
                return Some(x);
            }
        }
        sorted.last().map(|&(x, _)| x)
    }
}

impl GroupsAccumulator for WeightedPercentileAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.values, num_groups, Vec::new());
        let rows = group_ids.len();
        let v = kernels::cast(first_arg(args)?, DataType::Real, rows);
        let w = match args.get(1) {
            Some(w) => kernels::cast(w, DataType::Long, rows),
            None => return Err(FunctionError::Invalid("missing weight".into())),
        };
        for (i, &g) in group_ids.iter().enumerate() {
            let (Value::Real(x), Value::Long(weight)) = (v.get(i), w.get(i)) else {
                continue;
            };
            if x.is_nan() || weight <= 0 {
                continue;
            }
            if let Some(list) = self.values.get_mut(g as usize) {
                list.push((x, weight));
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
        let other = downcast::<WeightedPercentileAcc>(other)?;
        append_lists(&mut self.values, other.values, group_map, num_groups);
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.values.resize(num_groups, Vec::new());
        let picked: Vec<Vec<Option<f64>>> = self
            .values
            .iter_mut()
            .map(|list| {
                list.sort_by(|a, b| a.0.total_cmp(&b.0));
                let total = list.iter().fold(0i64, |t, &(_, w)| t.saturating_add(w));
                self.ps
                    .iter()
                    .map(|&p| Self::pick(list, total, p))
                    .collect()
            })
            .collect();
        let integral = self.out == DataType::Long;
        if self.array {
            return Ok(Column::new(ColumnData::Dynamic(
                picked
                    .iter()
                    .map(|ps| {
                        if ps.iter().all(Option::is_none) {
                            return Dynamic::Null;
                        }
                        Dynamic::Array(Arc::new(
                            ps.iter()
                                .map(|x| match x {
                                    Some(x) if integral => Dynamic::Long(*x as i64),
                                    Some(x) => Dynamic::Real(*x),
                                    None => Dynamic::Null,
                                })
                                .collect(),
                        ))
                    })
                    .collect(),
            )));
        }
        let (vals, valid) = access::map_rows(num_groups, |g| {
            picked.get(g).and_then(|ps| ps.first().copied().flatten())
        });
        Ok(picked_column(self.out, vals, valid))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
