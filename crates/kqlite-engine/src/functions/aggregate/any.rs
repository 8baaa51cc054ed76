//! `take_any` (`any`) and `take_anyif`.

use super::*;

/// `take_any`: the first non-null value per group (preferring a non-empty
/// string over an empty one).
#[derive(Default)]
pub(super) struct AnyAcc {
    values: Vec<Option<Value>>,
    /// `take_anyif`: only rows where the last argument is true count.
    predicate: bool,
}

impl AnyAcc {
    /// A `take_any` (`predicate` false) or `take_anyif` accumulator.
    pub(super) fn filtered(predicate: bool) -> AnyAcc {
        AnyAcc {
            values: Vec::new(),
            predicate,
        }
    }
}

impl GroupsAccumulator for AnyAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.values, num_groups, None);
        let mask = predicate_mask(args, self.predicate, group_ids.len());
        let v = first_arg(args)?;
        for (i, g) in kept_rows(&mask, group_ids) {
            let Some(slot) = self.values.get_mut(g) else {
                continue;
            };
            let empty_string = matches!(slot, Some(Value::String(s)) if s.is_empty());
            if (slot.is_none() || empty_string) && !access::is_null_at(v, i) {
                let x = v.get(i);
                if slot.is_none() || !matches!(&x, Value::String(s) if s.is_empty()) {
                    *slot = Some(x);
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
        let other = downcast::<AnyAcc>(other)?;
        grow(&mut self.values, num_groups, None);
        for (g, v) in other.values.into_iter().enumerate() {
            if let (Some(v), Some(slot)) =
                (v, target(group_map, g).and_then(|t| self.values.get_mut(t)))
            {
                slot.get_or_insert(v);
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        let ty = self
            .values
            .iter()
            .flatten()
            .find_map(Value::data_type)
            .unwrap_or(DataType::Dynamic);
        let mut b = ColumnBuilder::new(ty, num_groups);
        for g in 0..num_groups {
            let v = self.values.get(g).cloned().flatten().unwrap_or(Value::Null);
            if b.push(&v).is_err() {
                b.push_null();
            }
        }
        Ok(b.finish())
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
