//! Zone maps: the smallest and largest value of each block of rows of a
//! stored 64-bit column (long, datetime, timespan).
//!
//! A comparison with a constant then settles whole blocks without reading
//! them: on time-ordered logs, `TimeGenerated > ago(1d)` skips every block
//! older than a day and takes the newer ones wholesale, scanning only the
//! block that straddles the cut.

use std::sync::Arc;

use kqlite_parser::ast::BinaryOp;

use crate::column::{Column, ColumnData};

/// Rows per zone.
pub(crate) const ZONE_ROWS: usize = 8192;

/// Tables shorter than this get no zone maps: a scan is as cheap.
const MIN_ROWS: usize = 4 * ZONE_ROWS;

/// Per-block minimum and maximum of one null-free 64-bit column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ZoneMap {
    min: Vec<i64>,
    max: Vec<i64>,
}

/// What a block's bounds say about `x op c` for every row of the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// True for every row.
    All,
    /// False for every row.
    None,
    /// Rows must be looked at.
    Some,
}

impl ZoneMap {
    /// The zone map of `col`, when it is a null-free 64-bit column long
    /// enough to benefit.
    pub(crate) fn build(col: &Column) -> Option<ZoneMap> {
        let values = match (&col.data, &col.validity) {
            (ColumnData::Long(v) | ColumnData::DateTime(v) | ColumnData::TimeSpan(v), None) => v,
            _ => return None,
        };
        if values.len() < MIN_ROWS {
            return None;
        }
        let (min, max) = values
            .chunks(ZONE_ROWS)
            .map(|block| {
                block
                    .iter()
                    .fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
            })
            .unzip();
        Some(ZoneMap { min, max })
    }

    /// The verdict on `x op c` for the rows of zone `zone`.
    pub(crate) fn verdict(&self, zone: usize, op: BinaryOp, c: i64) -> Verdict {
        let (Some(&lo), Some(&hi)) = (self.min.get(zone), self.max.get(zone)) else {
            return Verdict::Some;
        };
        let (all, none) = match op {
            BinaryOp::Gt => (lo > c, hi <= c),
            BinaryOp::GtEq => (lo >= c, hi < c),
            BinaryOp::Lt => (hi < c, lo >= c),
            BinaryOp::LtEq => (hi <= c, lo > c),
            BinaryOp::Eq => (lo == c && hi == c, c < lo || c > hi),
            BinaryOp::NotEq => (c < lo || c > hi, lo == c && hi == c),
            _ => (false, false),
        };
        if all {
            Verdict::All
        } else if none {
            Verdict::None
        } else {
            Verdict::Some
        }
    }
}

/// The zone maps of one table's columns, each with the column it describes
/// (held, so that its address cannot be reused by another column).
pub(crate) type TableZones = Vec<(Arc<Column>, Arc<ZoneMap>)>;

/// Zone maps for every column of `columns` that qualifies.
pub(crate) fn table_zones<'a>(columns: impl Iterator<Item = &'a Arc<Column>>) -> TableZones {
    columns
        .filter_map(|c| ZoneMap::build(c).map(|z| (c.clone(), Arc::new(z))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(values: Vec<i64>) -> ZoneMap {
        ZoneMap::build(&Column::new(ColumnData::Long(values))).expect("long enough")
    }

    #[test]
    fn sorted_blocks_are_settled_whole_and_the_straddling_one_is_not() {
        let z = zones((0..(MIN_ROWS as i64)).collect());
        let cut = ZONE_ROWS as i64 + 10;
        assert_eq!(z.verdict(0, BinaryOp::Gt, cut), Verdict::None);
        assert_eq!(z.verdict(1, BinaryOp::Gt, cut), Verdict::Some);
        assert_eq!(z.verdict(2, BinaryOp::Gt, cut), Verdict::All);
        assert_eq!(z.verdict(0, BinaryOp::Lt, cut), Verdict::All);
        assert_eq!(z.verdict(2, BinaryOp::LtEq, cut), Verdict::None);
        assert_eq!(z.verdict(0, BinaryOp::Eq, -1), Verdict::None);
        assert_eq!(z.verdict(0, BinaryOp::NotEq, -1), Verdict::All);
        assert_eq!(z.verdict(1, BinaryOp::Eq, cut), Verdict::Some);
    }

    #[test]
    fn a_constant_block_settles_equality_both_ways() {
        let z = zones(vec![7; MIN_ROWS]);
        assert_eq!(z.verdict(0, BinaryOp::Eq, 7), Verdict::All);
        assert_eq!(z.verdict(0, BinaryOp::NotEq, 7), Verdict::None);
        assert_eq!(z.verdict(0, BinaryOp::GtEq, 7), Verdict::All);
        assert_eq!(z.verdict(0, BinaryOp::Gt, 7), Verdict::None);
    }

    #[test]
    fn short_or_nullable_columns_get_none() {
        assert!(ZoneMap::build(&Column::new(ColumnData::Long(vec![1; 100]))).is_none());
        let nullable = Column::with_validity(
            ColumnData::Long(vec![1; MIN_ROWS]),
            Some(crate::bitmap::Bitmap::from_bools(
                (0..MIN_ROWS).map(|i| i % 2 == 0),
            )),
        );
        assert!(ZoneMap::build(&nullable).is_none());
    }
}
