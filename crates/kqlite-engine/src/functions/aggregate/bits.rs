//! `binary_all_and`, `binary_all_or` and `binary_all_xor`.

use super::*;

pub(super) fn bits_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 1, 1)?;
    match a[0] {
        DataType::Int | DataType::Long | DataType::Dynamic => Ok(DataType::Long),
        got => Err(FunctionError::ArgType {
            index: 0,
            expected: "an integer".into(),
            got,
        }),
    }
}

#[derive(Clone, Copy)]
pub(super) enum BitOp {
    And,
    Or,
    Xor,
}

impl BitOp {
    pub(super) fn apply(self, a: i64, b: i64) -> i64 {
        match self {
            BitOp::And => a & b,
            BitOp::Or => a | b,
            BitOp::Xor => a ^ b,
        }
    }
}

/// `binary_all_and` / `binary_all_or` / `binary_all_xor`: folds the group's
/// non-null longs with the bitwise operator; a group with none is null.
pub(super) struct BitsAcc {
    op: BitOp,
    acc: Vec<i64>,
    has: Vec<bool>,
}

impl BitsAcc {
    pub(super) fn new(op: BitOp) -> BitsAcc {
        BitsAcc {
            op,
            acc: Vec::new(),
            has: Vec::new(),
        }
    }

    pub(super) fn fold(&mut self, g: usize, x: i64) {
        if let (Some(a), Some(h)) = (self.acc.get_mut(g), self.has.get_mut(g)) {
            *a = if *h { self.op.apply(*a, x) } else { x };
            *h = true;
        }
    }
}

impl GroupsAccumulator for BitsAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.acc, num_groups, 0);
        grow(&mut self.has, num_groups, false);
        let v = kernels::cast(first_arg(args)?, DataType::Long, group_ids.len());
        let Some(a) = access::ints(&v) else {
            return Ok(());
        };
        for (i, &g) in group_ids.iter().enumerate() {
            if let Some(x) = a.get(i) {
                self.fold(g as usize, x);
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
        let other = downcast::<BitsAcc>(other)?;
        grow(&mut self.acc, num_groups, 0);
        grow(&mut self.has, num_groups, false);
        for (g, (&x, &has)) in other.acc.iter().zip(&other.has).enumerate() {
            if let Some(t) = target(group_map, g).filter(|_| has) {
                self.fold(t, x);
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        grow(&mut self.acc, num_groups, 0);
        grow(&mut self.has, num_groups, false);
        let valid = Some(Bitmap::from_bools(
            self.has.iter().take(num_groups).copied(),
        ));
        Ok(Column::with_validity(
            ColumnData::Long(self.acc.into_iter().take(num_groups).collect()),
            valid,
        ))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
