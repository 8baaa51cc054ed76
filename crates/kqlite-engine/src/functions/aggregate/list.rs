//! Collecting values per group: `make_list` (with and without nulls) and `make_bag`.

use super::*;

/// `make_list`: values in input order (nulls kept only by
/// `make_list_with_nulls`).
pub(super) struct ListAcc {
    predicate: bool,
    keep_nulls: bool,
    max: usize,
    lists: Vec<Vec<Dynamic>>,
    /// The query memory the kept values take.
    mem: ValueMemory,
}

impl ListAcc {
    pub(super) fn new(predicate: bool, max: usize) -> ListAcc {
        ListAcc {
            predicate,
            keep_nulls: false,
            max,
            lists: Vec::new(),
            mem: ValueMemory::new(),
        }
    }

    pub(super) fn with_nulls(mut self) -> ListAcc {
        self.keep_nulls = true;
        self
    }
}

impl GroupsAccumulator for ListAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.lists, num_groups, Vec::new());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        for (i, g) in kept_rows(&mask, group_ids) {
            if !self.keep_nulls && access::is_null_at(v, i) {
                continue;
            }
            if let Some(list) = self.lists.get_mut(g).filter(|l| l.len() < self.max) {
                // `make_list` spreads array values into the list, as Kusto
                // does (`make_list_with_nulls` keeps them whole). The
                // query's budget is reserved before a value is kept.
                match kernels::value_to_dynamic(&v.get(i)) {
                    Dynamic::Array(items) if !self.keep_nulls => {
                        let room = self.max.saturating_sub(list.len());
                        let kept = items.iter().take(room);
                        let bytes = kept
                            .clone()
                            .map(dynamic_memory)
                            .fold(0, usize::saturating_add);
                        self.mem.grow(bytes)?;
                        list.extend(kept.cloned());
                    }
                    d => {
                        self.mem.grow(dynamic_memory(&d))?;
                        list.push(d);
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
        let other = downcast::<ListAcc>(other)?;
        grow(&mut self.lists, num_groups, Vec::new());
        for (g, list) in other.lists.into_iter().enumerate() {
            if let Some(mine) = target(group_map, g).and_then(|t| self.lists.get_mut(t)) {
                let room = self.max.saturating_sub(mine.len());
                mine.extend(list.into_iter().take(room));
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.lists.resize(num_groups, Vec::new());
        Ok(Column::new(ColumnData::Dynamic(
            self.lists
                .into_iter()
                .map(|l| Dynamic::Array(Arc::new(l)))
                .collect(),
        )))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

// ---------------------------------------------------------------- make_bag

/// `make_bag`: merges property bags; the first value seen for a key wins.
pub(super) struct BagAcc {
    predicate: bool,
    /// The most keys a bag keeps (`make_bag(x, maxSize)`).
    max: usize,
    bags: Vec<IndexMap<Arc<str>, Dynamic>>,
    /// The query memory the kept properties take.
    mem: ValueMemory,
}

impl BagAcc {
    pub(super) fn new(predicate: bool, max: usize) -> BagAcc {
        BagAcc {
            predicate,
            max,
            bags: Vec::new(),
            mem: ValueMemory::new(),
        }
    }
}

impl GroupsAccumulator for BagAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        grow(&mut self.bags, num_groups, IndexMap::new());
        let rows = group_ids.len();
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        let Some(d) = access::dyns(v) else {
            return Ok(());
        };
        for (i, g) in kept_rows(&mask, group_ids) {
            if let (Dynamic::Bag(b), Some(bag)) = (&*d.get(i), self.bags.get_mut(g)) {
                for (k, x) in b.iter() {
                    if bag.len() < self.max && !bag.contains_key(k) {
                        // Reserved before the property is kept.
                        self.mem.grow(k.len().saturating_add(dynamic_memory(x)))?;
                        bag.insert(k.clone(), x.clone());
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
        let other = downcast::<BagAcc>(other)?;
        grow(&mut self.bags, num_groups, IndexMap::new());
        for (g, b) in other.bags.into_iter().enumerate() {
            if let Some(mine) = target(group_map, g).and_then(|t| self.bags.get_mut(t)) {
                for (k, x) in b {
                    if mine.len() < self.max || mine.contains_key(&k) {
                        mine.entry(k).or_insert(x);
                    }
                }
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.bags.resize(num_groups, IndexMap::new());
        Ok(Column::new(ColumnData::Dynamic(
            self.bags
                .into_iter()
                .map(|b| Dynamic::Bag(Arc::new(b)))
                .collect(),
        )))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
