//! Analyses of bound expressions that decide how they may run: whether an
//! expression is row-local (so it may run chunk by chunk), volatile, worth
//! splitting across threads, and its rewrite over only the columns it reads.

use crate::bind::plan::{BoundExpr, BoundExprKind, ListItems};
use crate::bind::prune::mark;
use crate::column::ColumnData;
use crate::function::{RowDependence, Volatility};
use crate::table::Table;

/// Whether `f` holds for `e` or any expression inside it (subplans of
/// `toscalar()` and `in (T)` are not entered).
pub(super) fn any_node(e: &BoundExpr, f: &impl Fn(&BoundExpr) -> bool) -> bool {
    e.exists(f)
}

/// Whether `e` gives each row a value that depends on that row alone, so
/// it can be evaluated chunk by chunk.
pub(crate) fn row_local(e: &BoundExpr) -> bool {
    !any_node(e, &|x| match &x.kind {
        BoundExprKind::ToScalar(_)
        | BoundExprKind::RowNumber { .. }
        | BoundExprKind::Shift { .. } => true,
        BoundExprKind::List { items, .. } => !matches!(items, ListItems::Values(_)),
        BoundExprKind::Call { func, .. } => func.properties().rows == RowDependence::Window,
        BoundExprKind::Literal(_)
        | BoundExprKind::Column(_)
        | BoundExprKind::ColumnByName(_)
        | BoundExprKind::OptionalColumn(_)
        | BoundExprKind::Binary { .. }
        | BoundExprKind::Unary { .. }
        | BoundExprKind::Between { .. }
        | BoundExprKind::Member { .. }
        | BoundExprKind::Index { .. }
        | BoundExprKind::Cast { .. } => false,
    })
}

/// Whether `e` calls a function whose value differs between calls with
/// the same arguments (declared [`Volatility::Volatile`], as `rand()`).
pub(super) fn volatile(e: &BoundExpr) -> bool {
    any_node(e, &|x| {
        matches!(&x.kind, BoundExprKind::Call { func, .. }
            if func.properties().volatility == Volatility::Volatile)
    })
}

/// Whether evaluating `e` costs enough per row to repay copying its
/// columns into chunks and the results back: it reads plain (mostly
/// distinct) strings, or calls a function on columns that are not
/// dictionary-encoded. Kernels over dictionary strings already work once
/// per distinct value, and plain arithmetic is memory-bound.
pub(super) fn worth_splitting(e: &BoundExpr, input: &Table, used: &[usize]) -> bool {
    let mut plain = false;
    let mut dictionary = false;
    for &i in used {
        match input.column_at(i).map(|(_, c)| &c.data) {
            Some(ColumnData::String(crate::column::StringColumn::Plain(_))) => plain = true,
            Some(ColumnData::String(crate::column::StringColumn::Dict { .. })) => dictionary = true,
            _ => {}
        }
    }
    plain || (!dictionary && any_node(e, &|x| matches!(x.kind, BoundExprKind::Call { .. })))
}

/// `e` rewritten to read a table of only the columns it uses, and those
/// columns' positions in the original input.
pub(super) fn narrow(e: &BoundExpr, width: usize) -> Option<(BoundExpr, Vec<usize>)> {
    let mut needed = vec![false; width];
    mark(e, &mut needed);
    let mut map = vec![None; width];
    let mut used = Vec::new();
    for (i, keep) in needed.iter().enumerate() {
        if *keep {
            map[i] = Some(used.len());
            used.push(i);
        }
    }
    let expr = e.remap_columns(&|i| map.get(i).copied().flatten())?;
    Some((expr, used))
}
