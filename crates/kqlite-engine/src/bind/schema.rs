//! The output schema of each plan node, computed from the node and its
//! inputs' schemas (the same columns the binder gave the query).

use super::plan::{JoinSide, Plan, Schema, SummarizeItem};
use crate::catalog::Catalog;
use crate::types::DataType;

impl Plan {
    /// The columns this plan outputs, in order; `None` when they are known
    /// only once the query runs (`evaluate pivot()` or `bag_unpack()`
    /// without a declared schema, the per-record input of `mv-apply`) or a
    /// table is missing from `catalog`.
    pub fn schema(&self, catalog: &Catalog) -> Option<Schema> {
        let input_schema = |p: &Plan| p.schema(catalog);
        Some(match self {
            Plan::Scan { table } => catalog.schema(table)?.to_vec(),
            Plan::Values(t) => t.schema(),
            Plan::Print { columns } | Plan::Project { columns, .. } => {
                columns.iter().map(|(n, e)| (n.clone(), e.ty)).collect()
            }
            Plan::Range { name, from, to, .. } => {
                let ty = match (from.ty, to.ty) {
                    (DataType::DateTime, _) => DataType::DateTime,
                    (DataType::TimeSpan, _) => DataType::TimeSpan,
                    (DataType::Real, _) | (_, DataType::Real) => DataType::Real,
                    _ => DataType::Long,
                };
                vec![(name.clone(), ty)]
            }
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Take { input, .. }
            | Plan::Materialize { input, .. } => input_schema(input)?,
            Plan::Extend { input, columns } => {
                let mut out = input_schema(input)?;
                for (name, at, e) in columns {
                    match out.get_mut(*at) {
                        Some(slot) => *slot = (name.clone(), e.ty),
                        None => out.push((name.clone(), e.ty)),
                    }
                }
                out
            }
            Plan::Summarize {
                keys, aggregates, ..
            } => {
                let mut out: Schema = keys.iter().map(|(n, e)| (n.clone(), e.ty)).collect();
                for item in aggregates {
                    match item {
                        SummarizeItem::Aggregate(name, a) => {
                            let args: Vec<DataType> = a.args.iter().map(|e| e.ty).collect();
                            out.push((name.clone(), a.func.return_type(&args).ok()?));
                        }
                        SummarizeItem::Pick { key, columns, .. } => {
                            out.push((key.0.clone(), key.1.ty));
                            out.extend(columns.iter().map(|(n, e)| (n.clone(), e.ty)));
                        }
                    }
                }
                out
            }
            Plan::Count { .. } => vec![("Count".to_string(), DataType::Long)],
            Plan::Union {
                source, columns, ..
            } => source
                .iter()
                .map(|(name, _)| (name.clone(), DataType::String))
                .chain(columns.iter().cloned())
                .collect(),
            Plan::Join {
                left,
                right,
                output,
                ..
            } => {
                let (l, r) = (input_schema(left)?, input_schema(right)?);
                let mut out: Schema = Vec::with_capacity(output.len());
                for side in output {
                    let (name, ty) = match side {
                        JoinSide::Left(i) => l.get(*i)?,
                        JoinSide::Right(i) => r.get(*i)?,
                    };
                    // Same-named columns are told apart as the join does.
                    let taken: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
                    let name = super::names::unique_name(name, &taken);
                    out.push((name, *ty));
                }
                out
            }
            Plan::MvExpand {
                input,
                columns,
                item_index,
                ..
            } => {
                let mut out = input_schema(input)?;
                for (i, to) in columns {
                    if let Some(slot) = out.get_mut(*i) {
                        slot.1 = to.unwrap_or(DataType::Dynamic);
                    }
                }
                out.extend(item_index.iter().map(|n| (n.clone(), DataType::Long)));
                out
            }
            Plan::Parse { input, columns, .. } => {
                let mut out = input_schema(input)?;
                for (name, ty) in columns {
                    match out.iter_mut().find(|(n, _)| n == name) {
                        Some(slot) => slot.1 = *ty,
                        None => out.push((name.clone(), *ty)),
                    }
                }
                out
            }
            Plan::ParseKv { input, spec, .. } => {
                let mut out = input_schema(input)?;
                for (name, ty) in &spec.columns {
                    match out.iter_mut().find(|(n, _)| n == name) {
                        Some(slot) => slot.1 = *ty,
                        None => out.push((name.clone(), *ty)),
                    }
                }
                out
            }
            Plan::MakeSeries {
                keys,
                aggregates,
                axis,
                ..
            } => keys
                .iter()
                .map(|(n, e)| (n.clone(), e.ty))
                .chain(
                    aggregates
                        .iter()
                        .map(|(n, _, _)| (n.clone(), DataType::Dynamic)),
                )
                .chain(std::iter::once((axis.0.clone(), DataType::Dynamic)))
                .collect(),
            Plan::Input => return None,
            Plan::MvApply {
                input,
                keep,
                columns,
                ..
            } => {
                let schema = input_schema(input)?;
                keep.iter()
                    .map(|i| schema.get(*i).cloned())
                    .chain(columns.iter().cloned().map(Some))
                    .collect::<Option<Schema>>()?
            }
            Plan::ScanSteps { input, spec } => {
                let mut out = input_schema(input)?;
                out.extend(spec.declared.iter().map(|(n, t, _)| (n.clone(), *t)));
                out.extend(spec.match_id.iter().map(|n| (n.clone(), DataType::Long)));
                out
            }
            Plan::ExternalData(spec) => spec.columns.clone(),
            Plan::Pivot { declared, .. } | Plan::BagUnpack { declared, .. } => declared.clone()?,
            Plan::Plugin { spec, .. } => spec.columns.clone(),
            // A graph is not a table: it has no columns.
            Plan::MakeGraph { .. } | Plan::GraphMarkComponents { .. } => Vec::new(),
            Plan::GraphMatch { spec, .. } => spec
                .project
                .iter()
                .map(|(n, e)| (n.clone(), e.ty))
                .collect(),
            Plan::GraphToTable { spec, .. } => spec.columns.clone(),
            Plan::GraphPartition { body, .. } => input_schema(body)?,
            Plan::Extension(op) => op.schema(catalog)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::catalog::Catalog;
    use crate::types::DataType;

    fn catalog() -> Catalog {
        let mut c = Catalog::new();
        for t in ["T", "U"] {
            c.add_schema(
                t,
                vec![
                    ("a".into(), DataType::Long),
                    ("s".into(), DataType::String),
                    ("d".into(), DataType::Dynamic),
                    ("t".into(), DataType::DateTime),
                ],
            );
        }
        c
    }

    #[test]
    fn every_plan_knows_the_schema_the_binder_gave_its_query() {
        let queries = [
            "T",
            "print x = 1, y = 'a'",
            "range x from 1 to 3 step 1",
            "range x from datetime(2024-01-01) to datetime(2024-01-02) step 1h",
            "datatable(x: long, y: string) [1, 'a']",
            "T | where a > 1 | project s, b = a * 2.5",
            "T | extend a = tostring(a), n = 1",
            "T | summarize n = count(), m = max(t), x = avg(a), l = make_list(s) by s, bin(t, 1h)",
            "T | summarize arg_max(t, a, s) by d = tostring(d)",
            "T | sort by a | take 3 | sample 1",
            "T | count",
            "union withsource=Src T, (U | project s, z = 1)",
            "T | join kind=leftouter (U) on a",
            "T | join kind=rightanti (U) on a",
            "T | mv-expand with_itemindex=i d to typeof(long)",
            "T | parse s with x:long '-' s",
            "T | parse-kv s as (k: string, a: long) with (pair_delimiter=',', kv_delimiter='=')",
            "T | make-series n = count() default = 0 on t step 1d by s",
            "T | mv-apply d on (summarize x = make_list(d))",
            "T | scan with_match_id = m declare (n: long = 0) with (step s1: a > 1 => n = a;)",
            "T | evaluate bag_unpack(d) : (a: long, k: string)",
            "T | summarize count() by s, p = tostring(a) | evaluate pivot(p) : (s: string, x: long)",
            "T | top-nested 2 of s by count()",
            "T | as hint.materialized=true X | where a > 1",
        ];
        let catalog = catalog();
        for q in queries {
            let script = kqlite_parser::parse(q).expect("parses");
            let bound =
                super::super::bind(&script, &catalog, &super::super::BindOptions::default())
                    .unwrap_or_else(|d| panic!("{q}: {d:?}"));
            assert_eq!(bound.plan.schema(&catalog), Some(bound.schema), "{q}");
        }
    }
}
