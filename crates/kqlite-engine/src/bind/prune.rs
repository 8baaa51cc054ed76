//! Column pruning: drop columns no later operator reads, right after the
//! table scan, so `where` gathers only what the query uses (Sentinel tables
//! have ~100 columns; detections read a dozen).

use std::sync::Arc;

use super::plan::{BoundExpr, BoundExprKind, Plan, SummarizeItem};
use crate::catalog::Catalog;

/// A plan whose output column `i` moved to `map[i]` (`None`: dropped).
struct Pruned {
    plan: Arc<Plan>,
    map: Vec<Option<usize>>,
}

fn identity(plan: &Arc<Plan>, width: usize) -> Pruned {
    Pruned {
        plan: plan.clone(),
        map: (0..width).map(Some).collect(),
    }
}

/// Marks the input columns `e` reads.
pub(crate) fn mark(e: &BoundExpr, needed: &mut [bool]) {
    e.apply(&mut |x| match &x.kind {
        BoundExprKind::Column(i) => {
            if let Some(n) = needed.get_mut(*i) {
                *n = true;
            }
        }
        // Read by name: any input column may be the one.
        BoundExprKind::ColumnByName(_) | BoundExprKind::OptionalColumn(_) => {
            needed.iter_mut().for_each(|n| *n = true)
        }
        // Reads no input column itself (subqueries are separate queries);
        // the walk visits the children of the others.
        BoundExprKind::Literal(_)
        | BoundExprKind::ToScalar(_)
        | BoundExprKind::Binary { .. }
        | BoundExprKind::Unary { .. }
        | BoundExprKind::List { .. }
        | BoundExprKind::Between { .. }
        | BoundExprKind::Member { .. }
        | BoundExprKind::Index { .. }
        | BoundExprKind::Call { .. }
        | BoundExprKind::Cast { .. }
        | BoundExprKind::RowNumber { .. }
        | BoundExprKind::Shift { .. } => {}
    });
}

fn remap(e: &BoundExpr, map: &[Option<usize>]) -> Option<BoundExpr> {
    e.remap_columns(&|i| map.get(i).copied().flatten())
}

/// The width of a plan's output, when it can be known without a schema.
fn width(plan: &Plan, catalog: &Catalog) -> Option<usize> {
    match plan {
        Plan::Scan { table } => catalog.schema(table).map(<[_]>::len),
        Plan::Summarize {
            keys, aggregates, ..
        } => Some(keys.len() + aggregates.iter().map(|a| a.names().len()).sum::<usize>()),
        Plan::Filter { input, .. } | Plan::Sort { input, .. } | Plan::Take { input, .. } => {
            width(input, catalog)
        }
        Plan::Project { columns, .. } => Some(columns.len()),
        Plan::Count { .. } => Some(1),
        Plan::Extend { input, columns } => {
            let base = width(input, catalog)?;
            let last = columns
                .iter()
                .map(|(_, t, _)| *t)
                .filter(|t| *t >= base)
                .max();
            Some(last.map_or(base, |m| m + 1))
        }
        // Widths pruning does not need: it stops at these operators.
        Plan::Values(_)
        | Plan::Print { .. }
        | Plan::Range { .. }
        | Plan::Union { .. }
        | Plan::Join { .. }
        | Plan::MvExpand { .. }
        | Plan::Parse { .. }
        | Plan::MakeSeries { .. }
        | Plan::Input
        | Plan::MvApply { .. }
        | Plan::Materialize { .. }
        | Plan::ScanSteps { .. }
        | Plan::ExternalData(_)
        | Plan::ParseKv { .. }
        | Plan::Pivot { .. }
        | Plan::BagUnpack { .. }
        | Plan::MakeGraph { .. }
        | Plan::GraphMarkComponents { .. }
        | Plan::GraphMatch { .. }
        | Plan::GraphToTable { .. }
        | Plan::GraphPartition { .. }
        | Plan::Plugin { .. }
        | Plan::Extension(_) => None,
    }
}

/// Rewrites `plan` so it only produces the `needed` columns of its output.
fn prune(plan: &Arc<Plan>, needed: &[bool], catalog: &Catalog) -> Option<Pruned> {
    match plan.as_ref() {
        Plan::Scan { table } => {
            let schema = catalog.schema(table)?;
            if needed.iter().all(|n| *n) {
                return Some(identity(plan, needed.len()));
            }
            let mut map = vec![None; needed.len()];
            let mut columns = Vec::new();
            for (i, keep) in needed.iter().enumerate() {
                if *keep {
                    map[i] = Some(columns.len());
                    let (name, ty) = schema.get(i)?;
                    columns.push((
                        name.clone(),
                        BoundExpr {
                            kind: BoundExprKind::Column(i),
                            ty: *ty,
                            span: kqlite_parser::Span::default(),
                        },
                    ));
                }
            }
            Some(Pruned {
                plan: Arc::new(Plan::Project {
                    input: plan.clone(),
                    columns,
                }),
                map,
            })
        }
        Plan::Count { input } => {
            // `count` reads no column of its input.
            let inner = prune(input, &vec![false; width(input, catalog)?], catalog)?;
            Some(Pruned {
                plan: Arc::new(Plan::Count { input: inner.plan }),
                map: vec![Some(0)],
            })
        }
        Plan::Filter { input, predicate } => {
            let mut need = needed.to_vec();
            mark(predicate, &mut need);
            let inner = prune(input, &need, catalog)?;
            let predicate = remap(predicate, &inner.map)?;
            Some(Pruned {
                plan: Arc::new(Plan::Filter {
                    input: inner.plan,
                    predicate,
                }),
                map: inner.map,
            })
        }
        Plan::Sort { input, keys } => {
            let mut need = needed.to_vec();
            keys.iter().for_each(|k| mark(&k.expr, &mut need));
            let inner = prune(input, &need, catalog)?;
            let keys = keys
                .iter()
                .map(|k| {
                    Some(super::plan::SortSpec {
                        expr: remap(&k.expr, &inner.map)?,
                        descending: k.descending,
                        nulls_first: k.nulls_first,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Pruned {
                plan: Arc::new(Plan::Sort {
                    input: inner.plan,
                    keys,
                }),
                map: inner.map,
            })
        }
        Plan::Take { input, count } => {
            let inner = prune(input, needed, catalog)?;
            Some(Pruned {
                plan: Arc::new(Plan::Take {
                    input: inner.plan,
                    count: count.clone(),
                }),
                map: inner.map,
            })
        }
        Plan::Project { input, columns } => {
            let in_width = width(input, catalog)?;
            let mut need = vec![false; in_width];
            let kept: Vec<usize> = (0..columns.len())
                .filter(|i| needed.get(*i).copied().unwrap_or(true))
                .collect();
            for i in &kept {
                if let Some((_, e)) = columns.get(*i) {
                    mark(e, &mut need);
                }
            }
            let inner = prune(input, &need, catalog)?;
            let mut map = vec![None; columns.len()];
            let mut out = Vec::with_capacity(kept.len());
            for i in kept {
                let (name, e) = columns.get(i)?;
                map[i] = Some(out.len());
                out.push((name.clone(), remap(e, &inner.map)?));
            }
            Some(Pruned {
                plan: Arc::new(Plan::Project {
                    input: inner.plan,
                    columns: out,
                }),
                map,
            })
        }
        Plan::Extend { input, columns } => {
            let in_width = width(input, catalog)?;
            // Input columns read by any item, or passed through and needed.
            let mut need = vec![false; in_width];
            for (i, n) in needed.iter().enumerate().take(in_width) {
                if *n {
                    need[i] = true;
                }
            }
            for (_, _, e) in columns {
                mark(e, &mut need);
            }
            let inner = prune(input, &need, catalog)?;
            let mut map = inner.map.clone();
            let mut new_len = map.iter().flatten().count();
            let mut out = Vec::with_capacity(columns.len());
            for (name, target, e) in columns {
                let e = remap(e, &map)?;
                match map.get(*target).copied() {
                    Some(Some(_)) => {}
                    Some(None) => {
                        map[*target] = Some(new_len);
                        new_len += 1;
                    }
                    None => {
                        map.push(Some(new_len));
                        new_len += 1;
                    }
                }
                let t = map.get(*target).copied().flatten()?;
                out.push((name.clone(), t, e));
            }
            Some(Pruned {
                plan: Arc::new(Plan::Extend {
                    input: inner.plan,
                    columns: out,
                }),
                map,
            })
        }
        Plan::Summarize {
            input,
            keys,
            aggregates,
        } => {
            let in_width = width(input, catalog)?;
            let mut need = vec![false; in_width];
            keys.iter().for_each(|(_, e)| mark(e, &mut need));
            for item in aggregates {
                match item {
                    SummarizeItem::Aggregate(_, a) => {
                        a.args.iter().for_each(|e| mark(e, &mut need))
                    }
                    SummarizeItem::Pick { key, columns, .. } => {
                        mark(&key.1, &mut need);
                        columns.iter().for_each(|(_, e)| mark(e, &mut need));
                    }
                }
            }
            let inner = prune(input, &need, catalog)?;
            let keys = keys
                .iter()
                .map(|(n, e)| Some((n.clone(), remap(e, &inner.map)?)))
                .collect::<Option<Vec<_>>>()?;
            let aggregates = aggregates
                .iter()
                .map(|item| {
                    Some(match item {
                        SummarizeItem::Aggregate(n, a) => {
                            let mut a = a.clone();
                            a.args = a
                                .args
                                .iter()
                                .map(|e| remap(e, &inner.map))
                                .collect::<Option<Vec<_>>>()?;
                            SummarizeItem::Aggregate(n.clone(), a)
                        }
                        SummarizeItem::Pick { max, key, columns } => SummarizeItem::Pick {
                            max: *max,
                            key: (key.0.clone(), remap(&key.1, &inner.map)?),
                            columns: columns
                                .iter()
                                .map(|(n, e)| Some((n.clone(), remap(e, &inner.map)?)))
                                .collect::<Option<Vec<_>>>()?,
                        },
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            let out_width = needed.len();
            Some(Pruned {
                plan: Arc::new(Plan::Summarize {
                    input: inner.plan,
                    keys,
                    aggregates,
                }),
                map: (0..out_width).map(Some).collect(),
            })
        }
        // Not pruned through: the plan below is left whole, which always
        // computes the same table. Pruning through one of these is a new
        // arm above.
        Plan::Values(_)
        | Plan::Print { .. }
        | Plan::Range { .. }
        | Plan::Union { .. }
        | Plan::Join { .. }
        | Plan::MvExpand { .. }
        | Plan::Parse { .. }
        | Plan::MakeSeries { .. }
        | Plan::Input
        | Plan::MvApply { .. }
        | Plan::Materialize { .. }
        | Plan::ScanSteps { .. }
        | Plan::ExternalData(_)
        | Plan::ParseKv { .. }
        | Plan::Pivot { .. }
        | Plan::BagUnpack { .. }
        | Plan::MakeGraph { .. }
        | Plan::GraphMarkComponents { .. }
        | Plan::GraphMatch { .. }
        | Plan::GraphToTable { .. }
        | Plan::GraphPartition { .. }
        | Plan::Plugin { .. }
        | Plan::Extension(_) => None,
    }
}

/// Prunes unread columns below the root of `plan` (whose every output
/// column is needed). Plans the pass does not understand are left as they
/// are, so the result always computes the same table.
pub fn prune_columns(plan: &Arc<Plan>, catalog: &Catalog) -> Arc<Plan> {
    let Some(w) = width(plan, catalog) else {
        return plan.clone();
    };
    match prune(plan, &vec![true; w], catalog) {
        Some(p) if p.map.iter().enumerate().all(|(i, m)| *m == Some(i)) => p.plan,
        _ => plan.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::DataType;

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        c.add_schema(
            "T",
            vec![
                ("a".into(), DataType::Long),
                ("b".into(), DataType::Long),
                ("c".into(), DataType::String),
            ],
        );
        c
    }

    fn plan(q: &str) -> Arc<Plan> {
        let script = kqlite_parser::parse(q).expect("parses");
        super::super::bind(&script, &catalog(), &super::super::BindOptions::default())
            .expect("binds")
            .plan
    }

    /// The columns of the projection right above the scan, if any.
    fn scan_projection(p: &Plan) -> Option<Vec<String>> {
        let mut found = None;
        p.apply(&mut |node| {
            if let Plan::Project { input, columns } = node {
                if found.is_none() && matches!(input.as_ref(), Plan::Scan { .. }) {
                    found = Some(columns.iter().map(|(n, _)| n.clone()).collect());
                }
            }
        });
        found
    }

    #[test]
    fn unread_columns_are_dropped_right_after_the_scan() {
        let p = prune_columns(&plan("T | where a > 1 | project c"), &catalog());
        assert_eq!(
            scan_projection(&p),
            Some(vec!["a".to_string(), "c".to_string()])
        );
        let p = prune_columns(&plan("T | summarize count() by c"), &catalog());
        assert_eq!(scan_projection(&p), Some(vec!["c".to_string()]));
    }

    #[test]
    fn count_reads_only_the_columns_its_filters_use() {
        let p = prune_columns(&plan("T | where a > 1 | count"), &catalog());
        let Plan::Count { input } = p.as_ref() else {
            panic!("count at the root");
        };
        assert_eq!(scan_projection(input), Some(vec!["a".to_string()]));
    }

    #[test]
    fn extend_keeps_only_the_columns_its_items_and_later_operators_read() {
        let p = prune_columns(&plan("T | extend d = a + 1 | project d, c"), &catalog());
        assert_eq!(
            scan_projection(&p),
            Some(vec!["a".to_string(), "c".to_string()])
        );
    }

    #[test]
    fn pruned_plans_compute_the_same_rows() {
        let mut engine = crate::engine::Engine::new();
        let col = |v: Vec<i64>| {
            Arc::new(crate::column::Column::new(crate::column::ColumnData::Long(
                v,
            )))
        };
        let t = crate::table::Table::try_new([
            ("a".to_string(), col(vec![1, 2, 3])),
            ("b".to_string(), col(vec![10, 20, 30])),
            ("c".to_string(), col(vec![7, 8, 9])),
        ])
        .expect("table");
        engine.add_table("T", t);
        let r = engine
            .run("T | where c > 7 | extend b = a * 2, e = b + 1 | project e, b | sort by e asc")
            .expect("runs");
        let names: Vec<&str> = r.column_names().collect();
        assert_eq!(names, vec!["e", "b"]);
        let rows: Vec<Vec<crate::value::Value>> = r.rows().collect();
        use crate::value::Value::Long;
        assert_eq!(rows, vec![vec![Long(5), Long(4)], vec![Long(7), Long(6)]]);
    }

    #[test]
    fn plans_with_unknown_shapes_are_left_alone() {
        let original = plan("T | mv-expand d = pack_array(a) | project c");
        let p = prune_columns(&original, &catalog());
        assert!(Arc::ptr_eq(&p, &original));
    }
}
