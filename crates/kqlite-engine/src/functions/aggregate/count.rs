//! `count` and `countif`: rows (or true predicates) per group.

use super::*;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum CountMode {
    All,
    If,
}

pub(super) struct CountAcc {
    mode: CountMode,
    counts: Vec<i64>,
}

impl CountAcc {
    pub(super) fn new(mode: CountMode) -> CountAcc {
        CountAcc {
            mode,
            counts: Vec::new(),
        }
    }
}

impl GroupsAccumulator for CountAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.counts, num_groups, 0);
        let rows = group_ids.len();
        let mask = match self.mode {
            CountMode::All => None,
            CountMode::If => predicate_mask(args, true, rows),
        };
        for (_, g) in kept_rows(&mask, group_ids) {
            if let Some(c) = self.counts.get_mut(g) {
                *c += 1;
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
        let other = downcast::<CountAcc>(other)?;
        grow(&mut self.counts, num_groups, 0);
        for (g, c) in other.counts.iter().enumerate() {
            if let Some(t) = target(group_map, g).and_then(|t| self.counts.get_mut(t)) {
                *t += c;
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.counts.resize(num_groups, 0);
        Ok(Column::new(ColumnData::Long(self.counts)))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
