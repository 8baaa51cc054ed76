//! Distinct values per group: the value interner, `dcount`, `make_set` and their `*if` forms.

use super::*;

/// Distinct-value identity for hashing (reals by normalized bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Key {
    Bool(bool),
    Long(i64),
    Real(u64),
    Decimal(Decimal),
    DateTime(i64),
    TimeSpan(i64),
    Guid(u128),
    Json(String),
}

pub(super) fn real_key(r: f64) -> Key {
    let r = if r == 0.0 { 0.0 } else { r };
    Key::Real(if r.is_nan() {
        f64::NAN.to_bits()
    } else {
        r.to_bits()
    })
}

/// Maps values to dense ids, remembering each distinct value once.
#[derive(Default)]
pub(super) struct Interner {
    strings: crate::column::StrMap<Box<str>, u32>,
    others: FxHashMap<Key, u32>,
    values: Vec<Dynamic>,
}

impl Interner {
    pub(super) fn str_id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.strings.get(s) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(Dynamic::String(s.into()));
        self.strings.insert(s.into(), id);
        id
    }

    pub(super) fn key_id(&mut self, key: Key, value: impl FnOnce() -> Dynamic) -> u32 {
        let next = self.values.len() as u32;
        let id = *self.others.entry(key).or_insert(next);
        if id == next {
            self.values.push(value());
        }
        id
    }

    /// The id of a non-null scalar dynamic value.
    pub(super) fn dyn_id(&mut self, d: &Dynamic) -> Option<u32> {
        Some(match d {
            Dynamic::Null => return None,
            Dynamic::String(s) => self.str_id(s),
            Dynamic::Bool(b) => self.key_id(Key::Bool(*b), || d.clone()),
            Dynamic::Long(i) => self.key_id(Key::Long(*i), || d.clone()),
            Dynamic::Real(r) => self.key_id(real_key(*r), || d.clone()),
            Dynamic::DateTime(t) => self.key_id(Key::DateTime(*t), || d.clone()),
            Dynamic::TimeSpan(t) => self.key_id(Key::TimeSpan(*t), || d.clone()),
            Dynamic::Guid(g) => self.key_id(Key::Guid(*g), || d.clone()),
            Dynamic::Array(_) | Dynamic::Bag(_) => {
                self.key_id(Key::Json(d.to_json().to_string()), || d.clone())
            }
        })
    }

    /// Calls `f(row, id)` for every non-null value of `v` in rows kept by
    /// `mask`; with `flatten`, dynamic arrays contribute each element.
    pub(super) fn for_each(
        &mut self,
        v: &ColumnarValue,
        rows: usize,
        mask: &Option<Bitmap>,
        flatten: bool,
        mut f: impl FnMut(usize, u32),
    ) {
        if let ColumnarValue::Scalar(value, _) = v {
            let ids = self.value_ids(value, flatten);
            for i in (0..rows).filter(|&i| keep(mask, i)) {
                ids.iter().for_each(|&id| f(i, id));
            }
            return;
        }
        let ColumnarValue::Column(col) = v else {
            return;
        };
        let t = col.data_type();
        match &col.data {
            ColumnData::String(StringColumn::Dict { codes, dict }) => {
                let mut ids: Vec<Option<u32>> = vec![None; dict.len()];
                for (i, &c) in codes.iter().enumerate().take(rows) {
                    if !keep(mask, i) {
                        continue;
                    }
                    if let Some(slot) = ids.get_mut(c as usize) {
                        let id = *slot.get_or_insert_with(|| self.str_id(dict.get(c as usize)));
                        f(i, id);
                    }
                }
            }
            ColumnData::String(s) => {
                for i in (0..rows.min(s.len())).filter(|&i| keep(mask, i)) {
                    f(i, self.str_id(s.get(i)));
                }
            }
            ColumnData::Dynamic(d) => {
                for (i, x) in d.iter().enumerate().take(rows) {
                    if !keep(mask, i) {
                        continue;
                    }
                    match x {
                        Dynamic::Array(items) if flatten => {
                            for item in items.iter() {
                                if let Some(id) = self.dyn_id(item) {
                                    f(i, id);
                                }
                            }
                        }
                        other => {
                            if let Some(id) = self.dyn_id(other) {
                                f(i, id);
                            }
                        }
                    }
                }
            }
            ColumnData::Real(_) | ColumnData::Decimal(_) => {
                let (Some(r), Some(dv)) = (access::reals_of(v), access::decs(v)) else {
                    return;
                };
                for i in (0..rows).filter(|&i| keep(mask, i)) {
                    let id = if t == DataType::Decimal {
                        dv.get(i).map(|d| {
                            self.key_id(Key::Decimal(d.normalize()), || {
                                kernels::value_to_dynamic(&Value::Decimal(d))
                            })
                        })
                    } else {
                        r.get(i)
                            .map(|x| self.key_id(real_key(x), || Dynamic::Real(x)))
                    };
                    if let Some(id) = id {
                        f(i, id);
                    }
                }
            }
            ColumnData::Guid(_) => {
                let Some(g) = access::guids(v) else { return };
                for i in (0..rows).filter(|&i| keep(mask, i)) {
                    if let Some(x) = g.get(i) {
                        f(i, self.key_id(Key::Guid(x), || Dynamic::Guid(x)));
                    }
                }
            }
            _ => {
                let Some(n) = access::ints(v) else { return };
                for i in (0..rows).filter(|&i| keep(mask, i)) {
                    let Some(x) = n.get(i) else { continue };
                    let id = match t {
                        DataType::Bool => self.key_id(Key::Bool(x != 0), || Dynamic::Bool(x != 0)),
                        DataType::DateTime => {
                            self.key_id(Key::DateTime(x), || Dynamic::DateTime(x))
                        }
                        DataType::TimeSpan => {
                            self.key_id(Key::TimeSpan(x), || Dynamic::TimeSpan(x))
                        }
                        _ => self.key_id(Key::Long(x), || Dynamic::Long(x)),
                    };
                    f(i, id);
                }
            }
        }
    }

    pub(super) fn value_ids(&mut self, v: &Value, flatten: bool) -> Vec<u32> {
        match kernels::value_to_dynamic(v) {
            Dynamic::Array(items) if flatten => {
                items.iter().filter_map(|d| self.dyn_id(d)).collect()
            }
            d => self.dyn_id(&d).into_iter().collect(),
        }
    }
}

// ---------------------------------------------------------------- dcount / make_set

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Distinct {
    Count,
    Set,
}

/// `dcount` (exact) and `make_set`: distinct values per group, first-seen
/// order, at most `max` per group for sets. State is flat: one set of
/// (group, value) pairs, a count per group, and the pairs in the order they
/// were first seen (no allocation per group).
pub(super) struct DistinctAcc {
    predicate: bool,
    kind: Distinct,
    max: usize,
    interner: Interner,
    seen: Seen,
    counts: Vec<u32>,
    order: Vec<(u32, u32)>,
    /// The query memory the distinct values and pairs take.
    mem: ValueMemory,
}

/// The (group, value id) pairs a [`DistinctAcc`] has seen.
pub(super) enum Seen {
    /// Bit `group * width + id`: for a dictionary column whose ids and
    /// groups fit a small table (no hashing per row).
    Bits {
        width: usize,
        groups: usize,
        bits: Vec<u64>,
    },
    /// Any values.
    Hash(FxHashSet<u64>),
}

/// Rows of large values a [`DistinctAcc`] takes at a time.
const BATCH: usize = 1 << 16;

/// The most bits a [`Seen::Bits`] table may hold (1 MiB).
pub(super) const SEEN_BITS: usize = 1 << 23;

impl Seen {
    /// Records the pair; whether it is new. Leaves the table for a hash
    /// set (rebuilt from `order`, every pair so far) when the pair does not
    /// fit it.
    #[inline]
    pub(super) fn insert(&mut self, g: usize, id: u32, order: &[(u32, u32)]) -> bool {
        if let Seen::Bits {
            width,
            groups,
            bits,
        } = self
        {
            if (id as usize) < *width && g < *groups {
                let k = g * *width + id as usize;
                let mask = 1u64 << (k % 64);
                return match bits.get_mut(k / 64) {
                    Some(word) => {
                        let fresh = *word & mask == 0;
                        *word |= mask;
                        fresh
                    }
                    None => false,
                };
            }
            *self = Seen::Hash(
                order
                    .iter()
                    .map(|&(g, id)| (u64::from(g) << 32) | u64::from(id))
                    .collect(),
            );
        }
        match self {
            Seen::Hash(set) => set.insert(((g as u64) << 32) | id as u64),
            Seen::Bits { .. } => false,
        }
    }
}

impl DistinctAcc {
    pub(super) fn new(predicate: bool, kind: Distinct, max: usize) -> DistinctAcc {
        DistinctAcc {
            predicate,
            kind,
            max,
            interner: Interner::default(),
            seen: Seen::Hash(FxHashSet::default()),
            counts: Vec::new(),
            order: Vec::new(),
            mem: ValueMemory::new(),
        }
    }

    /// Reserves the memory of the pairs and values added since there were
    /// `pairs` pairs and `values` values (checked after each batch).
    fn account(&mut self, pairs: usize, values: usize) -> Result<(), FunctionError> {
        let new_values = self.interner.values.get(values..).map_or(0, |v| {
            v.iter().map(dynamic_memory).fold(0, usize::saturating_add)
        });
        let new_pairs = self.order.len().saturating_sub(pairs).saturating_mul(24);
        self.mem.grow(new_pairs.saturating_add(new_values))
    }

    #[inline]
    pub(super) fn add(&mut self, g: usize, id: u32) {
        let Some(n) = self.counts.get_mut(g) else {
            return;
        };
        if *n as usize >= self.max {
            return;
        }
        if self.seen.insert(g, id, &self.order) {
            *n += 1;
            self.order.push((g as u32, id));
        }
    }
}

impl GroupsAccumulator for DistinctAcc {
    fn update(
        &mut self,
        args: &[ColumnarValue],
        group_ids: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let rows = group_ids.len();
        // Large values are taken a slice of rows at a time, so that the
        // memory of new distinct values is reserved as they come.
        if let (true, Some(ColumnarValue::Column(col))) = (rows > BATCH, args.first()) {
            if crate::eval::memory::row_width(col) > 64 {
                for start in (0..rows).step_by(BATCH) {
                    let len = BATCH.min(rows - start);
                    let part: Vec<ColumnarValue> = args
                        .iter()
                        .map(|a| match a {
                            ColumnarValue::Column(c) => {
                                ColumnarValue::Column(Arc::new(c.slice(start, len)))
                            }
                            other => other.clone(),
                        })
                        .collect();
                    let ids = group_ids.get(start..start + len).unwrap_or_default();
                    self.update(&part, ids, num_groups)?;
                }
                return Ok(());
            }
        }
        grow(&mut self.counts, num_groups, 0);
        let mask = predicate_mask(args, self.predicate, rows);
        let v = first_arg(args)?;
        let flatten = self.kind == Distinct::Set;
        if let (true, ColumnarValue::Column(col)) = (self.order.is_empty(), v) {
            if let ColumnData::String(StringColumn::Dict { dict, .. }) = &col.data {
                // Ids of this column's values stay below this width.
                let width = self.interner.values.len() + dict.len();
                if num_groups.saturating_mul(width) <= SEEN_BITS {
                    self.seen = Seen::Bits {
                        width,
                        groups: num_groups,
                        bits: vec![0; (num_groups * width).div_ceil(64)],
                    };
                }
            }
        }
        let before = (self.order.len(), self.interner.values.len());
        let mut interner = std::mem::take(&mut self.interner);
        interner.for_each(v, rows, &mask, flatten, |i, id| {
            if let Some(&g) = group_ids.get(i) {
                self.add(g as usize, id);
            }
        });
        self.interner = interner;
        self.account(before.0, before.1)
    }

    fn merge(
        &mut self,
        other: Box<dyn GroupsAccumulator>,
        group_map: &[u32],
        num_groups: usize,
    ) -> Result<(), FunctionError> {
        let other = downcast::<DistinctAcc>(other)?;
        grow(&mut self.counts, num_groups, 0);
        let before = (self.order.len(), self.interner.values.len());
        let remap: Vec<Option<u32>> = other
            .interner
            .values
            .iter()
            .map(|d| self.interner.dyn_id(d))
            .collect();
        for &(g, id) in &other.order {
            let Some(t) = target(group_map, g as usize) else {
                continue;
            };
            if let Some(Some(new)) = remap.get(id as usize) {
                self.add(t, *new);
            }
        }
        self.account(before.0, before.1)
    }

    fn finish(mut self: Box<Self>, num_groups: usize) -> Result<Column, FunctionError> {
        self.counts.resize(num_groups, 0);
        Ok(Column::new(match self.kind {
            Distinct::Count => {
                ColumnData::Long(self.counts.iter().map(|&n| i64::from(n)).collect())
            }
            Distinct::Set => {
                // Bucket the pairs by group, keeping first-seen order.
                let mut start: Vec<usize> = Vec::with_capacity(num_groups + 1);
                let mut total = 0usize;
                for &n in &self.counts {
                    start.push(total);
                    total += n as usize;
                }
                let mut ids = vec![0u32; total];
                for &(g, id) in &self.order {
                    if let Some(at) = start.get_mut(g as usize) {
                        if let Some(slot) = ids.get_mut(*at) {
                            *slot = id;
                        }
                        *at += 1;
                    }
                }
                let values = &self.interner.values;
                let mut from = 0usize;
                ColumnData::Dynamic(
                    self.counts
                        .iter()
                        .map(|&n| {
                            let to = from + n as usize;
                            let members = ids.get(from..to).unwrap_or_default();
                            from = to;
                            Dynamic::Array(Arc::new(
                                members
                                    .iter()
                                    .filter_map(|&id| values.get(id as usize).cloned())
                                    .collect(),
                            ))
                        })
                        .collect(),
                )
            }
        }))
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
