//! The plan printer behind [`crate::Engine::explain`]: the plan that runs
//! (after column pruning) as an indented tree, one operator per line with
//! its key arguments and output column count, and in brackets the physical
//! choices the evaluator makes from the plan's shape
//! ([`crate::eval::physical`]).

use std::fmt::Write;

use crate::bind::plan::{
    BoundExpr, BoundExprKind, JoinSide, ListItems, Plan, Schema, SummarizeItem,
};
use crate::catalog::Catalog;
use crate::eval::physical;
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Longest expression text printed; longer ones end with `…`.
const MAX_EXPR_CHARS: usize = 100;
/// Most list items printed (`in (...)`, `has_any (...)`).
const MAX_LIST_ITEMS: usize = 4;

/// The plan as indented text, one operator per line, children below
/// their parent and indented by two spaces.
pub(crate) fn render(plan: &Plan, catalog: &Catalog) -> String {
    let mut p = Printer {
        catalog,
        out: String::new(),
        zone_mapped: Vec::new(),
    };
    p.node(plan, 0, false);
    p.out
}

struct Printer<'c> {
    catalog: &'c Catalog,
    out: String,
    /// The filters that read a stored column with its zone map.
    zone_mapped: Vec<*const Plan>,
}

impl Printer<'_> {
    fn line(&mut self, depth: usize, text: &str, schema: Option<&Schema>, notes: &[String]) {
        let columns = match schema {
            Some(s) if s.len() == 1 => " (1 column)".to_string(),
            Some(s) => format!(" ({} columns)", s.len()),
            None => " (columns known when it runs)".to_string(),
        };
        let _ = write!(
            self.out,
            "{:indent$}{text}{columns}",
            "",
            indent = depth * 2
        );
        for n in notes {
            let _ = write!(self.out, "  [{n}]");
        }
        self.out.push('\n');
    }

    /// Prints `plan` at `depth`; `in_run` when its parent is an operator
    /// of the same streaming run.
    fn node(&mut self, plan: &Plan, depth: usize, in_run: bool) {
        let schema = plan.schema(self.catalog);
        let input_schema = plan
            .inputs()
            .first()
            .and_then(|p| p.schema(self.catalog))
            .unwrap_or_default();
        let names: Vec<&str> = input_schema.iter().map(|(n, _)| n.as_str()).collect();
        let x = |e: &BoundExpr| expr(e, &names);
        let mut notes = Vec::new();
        if physical::is_streaming(plan) && !in_run {
            let run = physical::streaming_run(plan);
            let mut note = format!(
                "streamed: {} operator{} in one pass, columns gathered once for the rows kept",
                run.ops.len().max(1),
                if run.ops.len() > 1 { "s" } else { "" }
            );
            if physical::chunkable_shape(&run.ops) {
                let _ = write!(
                    note,
                    "; in chunks of {} rows on the threads from {} input rows",
                    physical::CHUNK_ROWS,
                    physical::MIN_PARALLEL_ROWS
                );
            }
            notes.push(note);
            let width = match &run.scan {
                Some((_, idx, _)) => idx.len(),
                None => run.bottom.schema(self.catalog).map_or(0, |s| s.len()),
            };
            if let Some(f) = physical::zone_map_filter(&run, width) {
                self.zone_mapped.push(f as *const Plan);
            }
        }
        let text = match plan {
            Plan::Scan { table } => format!("Scan {table}"),
            Plan::Values(t) => format!("Values ({} rows)", t.num_rows()),
            Plan::Print { columns } => format!("Print {}", named(columns, &names)),
            Plan::Range {
                name,
                from,
                to,
                step,
            } => format!(
                "Range {name} from {} to {} step {}",
                x(from),
                x(to),
                x(step)
            ),
            Plan::Filter { predicate, .. } => {
                if self.zone_mapped.contains(&(plan as *const Plan)) {
                    notes.push(
                        "zone map: compares the stored column in place, skipping or taking whole blocks"
                            .into(),
                    );
                } else if physical::constant_comparison(predicate, names.len()).is_some() {
                    notes.push("compares the column in place when it has no nulls".into());
                } else if let Some(n) = per_distinct("where", predicate, &input_schema) {
                    notes.push(n);
                }
                format!("Filter {}", x(predicate))
            }
            Plan::Project { input, columns } => {
                let folded = matches!(input.as_ref(), Plan::Scan { .. })
                    .then(|| physical::streaming_run(plan).scan)
                    .flatten();
                if let Some((table, idx, _)) = folded {
                    let total = self.catalog.schema(table).map_or(0, <[_]>::len);
                    let read: Vec<&str> =
                        idx.iter().filter_map(|i| names.get(*i).copied()).collect();
                    let text = format!(
                        "Scan {table} ({} of {total} columns: {})",
                        idx.len(),
                        read.join(", ")
                    );
                    let _ = write!(self.out, "{:indent$}{text}", "", indent = depth * 2);
                    for n in &notes {
                        let _ = write!(self.out, "  [{n}]");
                    }
                    self.out.push('\n');
                    return;
                }
                for (name, e) in columns {
                    if let Some(n) = per_distinct(name, e, &input_schema) {
                        notes.push(n);
                    }
                }
                format!("Project {}", named(columns, &names))
            }
            Plan::Extend { columns, .. } => {
                let mut seen = input_schema.clone();
                let mut items = Vec::with_capacity(columns.len());
                for (name, at, e) in columns {
                    let seen_names: Vec<&str> = seen.iter().map(|(n, _)| n.as_str()).collect();
                    items.push(format!("{name} = {}", expr(e, &seen_names)));
                    if let Some(n) = per_distinct(name, e, &seen) {
                        notes.push(n);
                    }
                    match seen.get_mut(*at) {
                        Some(slot) => *slot = (name.clone(), e.ty),
                        None => seen.push((name.clone(), e.ty)),
                    }
                }
                format!("Extend {}", items.join(", "))
            }
            Plan::Summarize {
                input,
                keys,
                aggregates,
            } => {
                if physical::merged_summarize(input, keys, aggregates).is_some()
                    && physical::chunkable_shape(&physical::streaming_run(input).ops)
                {
                    notes.push(format!(
                        "from {} input rows: each chunk of the run grouped on its own, groups merged",
                        physical::MIN_PARALLEL_ROWS
                    ));
                }
                let aggs: Vec<String> = aggregates
                    .iter()
                    .map(|item| match item {
                        SummarizeItem::Aggregate(n, a) => format!(
                            "{n} = {}({})",
                            a.func.name(),
                            a.args.iter().map(x).collect::<Vec<_>>().join(", ")
                        ),
                        SummarizeItem::Pick { max, key, columns } => format!(
                            "{}({}, {})",
                            if *max { "arg_max" } else { "arg_min" },
                            x(&key.1),
                            columns
                                .iter()
                                .map(|(n, _)| n.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    })
                    .collect();
                let mut text = format!("Summarize {}", aggs.join(", "));
                if !keys.is_empty() {
                    let _ = write!(text, " by {}", named(keys, &names));
                }
                text
            }
            Plan::Sort { keys, .. } => format!(
                "Sort by {}",
                keys.iter()
                    .map(|k| format!(
                        "{} {}",
                        x(&k.expr),
                        if k.descending { "desc" } else { "asc" }
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Plan::Take { input, count } => {
                match physical::take_input(input) {
                    physical::TakeInput::TopOfSort(..) => {
                        notes.push("selects the first rows of the sort without sorting all".into())
                    }
                    physical::TakeInput::HeadOfTable(_) => {
                        notes.push("copies only the first rows of the table".into())
                    }
                    physical::TakeInput::Whole(_) => {}
                }
                format!("Take {}", x(count))
            }
            Plan::Count { .. } => "Count".to_string(),
            Plan::Union { source, .. } => match source {
                Some((name, _)) => format!("Union withsource={name}"),
                None => "Union".to_string(),
            },
            Plan::Join {
                left,
                right,
                kind,
                left_keys,
                right_keys,
                output,
                ..
            } => {
                let l = left.schema(self.catalog).unwrap_or_default();
                let r = right.schema(self.catalog).unwrap_or_default();
                let col = |s: &Schema, i: &usize| {
                    s.get(*i)
                        .map_or_else(|| format!("#{i}"), |(n, _)| n.clone())
                };
                let on: Vec<String> = left_keys
                    .iter()
                    .zip(right_keys)
                    .map(|(a, b)| format!("{} == {}", col(&l, a), col(&r, b)))
                    .collect();
                let from_right = output
                    .iter()
                    .filter(|s| matches!(s, JoinSide::Right(_)))
                    .count();
                format!(
                    "Join kind={} on {} (hash join, {} columns from the right)",
                    format!("{kind:?}").to_lowercase(),
                    on.join(", "),
                    from_right
                )
            }
            Plan::MvExpand { columns, limit, .. } => {
                let cols: Vec<&str> = columns
                    .iter()
                    .filter_map(|(i, _)| names.get(*i).copied())
                    .collect();
                let mut text = format!("MvExpand {}", cols.join(", "));
                if let Some(n) = limit {
                    let _ = write!(text, " limit {n}");
                }
                text
            }
            Plan::Parse {
                expr: e,
                columns,
                drop_unmatched,
                ..
            } => format!(
                "{} {} into {}",
                if *drop_unmatched {
                    "ParseWhere"
                } else {
                    "Parse"
                },
                x(e),
                columns
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Plan::MakeSeries {
                keys,
                aggregates,
                axis,
                step,
                ..
            } => {
                let aggs: Vec<String> = aggregates
                    .iter()
                    .map(|(n, a, _)| {
                        format!(
                            "{n} = {}({})",
                            a.func.name(),
                            a.args.iter().map(x).collect::<Vec<_>>().join(", ")
                        )
                    })
                    .collect();
                let mut text = format!(
                    "MakeSeries {} on {} step {}",
                    aggs.join(", "),
                    x(&axis.1),
                    x(step)
                );
                if !keys.is_empty() {
                    let _ = write!(text, " by {}", named(keys, &names));
                }
                text
            }
            Plan::Input => {
                "Input (the current mv-apply record's expansion or partition's rows)".to_string()
            }
            Plan::MvApply { keep, .. } => format!(
                "MvApply (subquery once per record, {} input columns kept)",
                keep.len()
            ),
            Plan::Materialize { id, .. } => format!("Materialize #{id} (computed once, shared)"),
            Plan::ScanSteps { spec, .. } => format!(
                "ScanSteps ({} step{}, row by row)",
                spec.steps.len(),
                if spec.steps.len() == 1 { "" } else { "s" }
            ),
            Plan::ExternalData(spec) => format!("ExternalData {}", spec.uris.join(", ")),
            Plan::ParseKv { expr: e, spec, .. } => format!(
                "ParseKv {} into {}",
                x(e),
                spec.columns
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Plan::Pivot { .. } => "Pivot".to_string(),
            Plan::BagUnpack { .. } => "BagUnpack".to_string(),
            Plan::MakeGraph { .. } => "MakeGraph".to_string(),
            Plan::GraphPartition { .. } => "MakeGraph partitioned-by".to_string(),
            Plan::GraphMarkComponents { strong, .. } => format!(
                "GraphMarkComponents ({})",
                if *strong { "strong" } else { "weak" }
            ),
            Plan::GraphMatch { spec, .. } if spec.shortest => "GraphShortestPaths".to_string(),
            Plan::GraphMatch { .. } => "GraphMatch".to_string(),
            Plan::GraphToTable { spec, .. } => format!(
                "GraphToTable {}",
                if spec.nodes { "nodes" } else { "edges" }
            ),
            Plan::Plugin { spec, .. } => {
                let kind = format!("{:?}", spec.kind);
                let name = kind.split([' ', '{', '(']).next().unwrap_or_default();
                format!("Plugin {name}")
            }
            Plan::Extension(op) => op.explain(&x),
        };
        self.line(depth, &text, schema.as_ref(), &notes);
        let streaming = physical::is_streaming(plan);
        for input in plan.inputs() {
            self.node(input, depth + 1, streaming && physical::is_streaming(input));
        }
        // Subqueries of expressions run once per query, before the rows.
        for e in plan.exprs() {
            e.for_each_subplan(&mut |sub| {
                let _ = writeln!(
                    self.out,
                    "{:indent$}subquery:",
                    "",
                    indent = (depth + 1) * 2
                );
                self.node(sub, depth + 2, false);
            });
        }
    }
}

/// The note for an expression the evaluator may run once per distinct
/// value of the one `dynamic` column it reads.
fn per_distinct(label: &str, e: &BoundExpr, input: &Schema) -> Option<String> {
    if matches!(e.kind, BoundExprKind::Column(_)) {
        return None;
    }
    let i = physical::distinct_column(e, input.len())?;
    match input.get(i) {
        Some((name, DataType::Dynamic)) => Some(format!(
            "{label}: once per distinct {name} value when the values repeat"
        )),
        _ => None,
    }
}

/// `name = expr` items, or just the name where the item passes a column
/// of that name through.
fn named(items: &[(String, BoundExpr)], names: &[&str]) -> String {
    items
        .iter()
        .map(|(n, e)| match e.kind {
            BoundExprKind::Column(i) if names.get(i) == Some(&n.as_str()) => n.clone(),
            _ => format!("{n} = {}", expr(e, names)),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max).collect();
    s.push('…');
    s
}

/// `e` as KQL-like text, columns by name (`#i` when unknown).
fn expr(e: &BoundExpr, names: &[&str]) -> String {
    cut(&expr_text(e, names), MAX_EXPR_CHARS)
}

fn expr_text(e: &BoundExpr, names: &[&str]) -> String {
    let x = |e: &BoundExpr| {
        let t = expr_text(e, names);
        if matches!(
            e.kind,
            BoundExprKind::Binary { .. } | BoundExprKind::Between { .. }
        ) {
            format!("({t})")
        } else {
            t
        }
    };
    match &e.kind {
        BoundExprKind::Literal(v) => literal(v),
        BoundExprKind::Column(i) => names
            .get(*i)
            .map_or_else(|| format!("#{i}"), |n| n.to_string()),
        BoundExprKind::ColumnByName(n) | BoundExprKind::OptionalColumn(n) => n.clone(),
        BoundExprKind::Binary { op, left, right } => format!("{} {op} {}", x(left), x(right)),
        BoundExprKind::Unary { op, operand } => format!("{op}{}", x(operand)),
        BoundExprKind::List { op, expr, items } => {
            let items = match items {
                ListItems::Values(vs) => {
                    let mut shown: Vec<String> =
                        vs.iter().take(MAX_LIST_ITEMS).map(literal).collect();
                    if vs.len() > MAX_LIST_ITEMS {
                        shown.push(format!("… {} values", vs.len()));
                    }
                    shown.join(", ")
                }
                ListItems::Table(_) => "subquery".to_string(),
            };
            format!("{} {op} ({items})", x(expr))
        }
        BoundExprKind::Between {
            negated,
            expr,
            low,
            high,
        } => format!(
            "{} {}between ({} .. {})",
            x(expr),
            if *negated { "!" } else { "" },
            x(low),
            x(high)
        ),
        BoundExprKind::Member { target, key } => format!("{}.{key}", x(target)),
        BoundExprKind::Index { target, index } => format!("{}[{}]", x(target), x(index)),
        BoundExprKind::Call { func, args } => format!(
            "{}({})",
            func.name(),
            args.iter()
                .map(|a| expr_text(a, names))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        BoundExprKind::Cast { expr, to } => format!("to{to}({})", expr_text(expr, names)),
        BoundExprKind::ToScalar(_) => "toscalar(subquery)".to_string(),
        BoundExprKind::RowNumber { start, .. } => format!("row_number({start})"),
        BoundExprKind::Shift {
            expr,
            offset,
            forward,
            ..
        } => format!(
            "{}({}, {offset})",
            if *forward { "next" } else { "prev" },
            expr_text(expr, names)
        ),
    }
}

/// A constant as a KQL literal.
fn literal(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::DateTime(_) => format!("datetime({v})"),
        Value::TimeSpan(_) => format!("timespan({v})"),
        Value::Guid(_) => format!("guid({v})"),
        Value::Dynamic(Dynamic::Null) => "dynamic(null)".to_string(),
        Value::Dynamic(d) => format!("dynamic({})", d.to_json()),
        Value::Int(_) | Value::Long(_) | Value::Real(_) | Value::Decimal(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::{Engine, RunOptions};
    use crate::types::DataType;

    fn engine() -> Engine {
        let mut e = Engine::new();
        let schema = vec![
            ("a".to_string(), DataType::Long),
            ("s".to_string(), DataType::String),
            ("d".to_string(), DataType::Dynamic),
            ("t".to_string(), DataType::DateTime),
        ];
        e.add_schema("T", schema.clone());
        e.add_schema("U", schema);
        e
    }

    fn explain(q: &str, section: Option<&str>) -> String {
        let opts = RunOptions {
            section: section.map(str::to_string),
            ..RunOptions::default()
        };
        engine()
            .explain(q, &opts)
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
    }

    #[test]
    fn plans_print_one_operator_per_line_with_their_physical_choices() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("T | where t > ago(1h) | where a == 2 | project s, n = tostring(d.k)", None, "\
Project s, n = tostring(d.k) (2 columns)  [streamed: 3 operators in one pass, columns gathered once for the rows kept; in chunks of 65536 rows on the threads from 262144 input rows]  [n: once per distinct d value when the values repeat]
  Filter a == 2 (4 columns)  [compares the column in place when it has no nulls]
    Filter t > ago(timespan(01:00:00)) (4 columns)  [zone map: compares the stored column in place, skipping or taking whole blocks]
      Scan T (4 columns)
"),
            ("T | where a > 0 | summarize n = count(), m = max(t) by s | top 3 by n", None, "\
Take 3 (3 columns)  [selects the first rows of the sort without sorting all]
  Sort by n desc (3 columns)
    Summarize n = count(), m = max(t) by s (3 columns)  [from 262144 input rows: each chunk of the run grouped on its own, groups merged]
      Filter a > 0 (3 columns)  [streamed: 1 operator in one pass, columns gathered once for the rows kept; in chunks of 65536 rows on the threads from 262144 input rows]  [zone map: compares the stored column in place, skipping or taking whole blocks]
        Scan T (3 of 4 columns: a, s, t)
"),
            ("T | summarize n = count() by s", None, "\
Summarize n = count() by s (2 columns)
  Scan T (1 of 4 columns: s)  [streamed: 1 operator in one pass, columns gathered once for the rows kept]
"),
            ("T | join kind=leftouter (U | where a > 1) on a", None, "\
Join kind=leftouter on a == a (hash join, 4 columns from the right) (8 columns)
  Scan T (4 columns)
  Filter a > 1 (4 columns)  [streamed: 1 operator in one pass, columns gathered once for the rows kept; in chunks of 65536 rows on the threads from 262144 input rows]  [zone map: compares the stored column in place, skipping or taking whole blocks]
    Scan U (4 columns)
"),
            ("union withsource=Src T, U | count", None, "\
Count (1 column)
  Union withsource=Src (5 columns)
    Scan T (4 columns)
    Scan U (4 columns)
"),
            ("let X = T | where s has 'x'; let Y = U | take 5; X | join (Y) on s", Some("Y"), "\
Take 5 (4 columns)  [copies only the first rows of the table]
  Scan U (4 columns)
"),
            ("T | where a > toscalar(U | count)", None, "\
Filter a > toscalar(subquery) (4 columns)  [streamed: 1 operator in one pass, columns gathered once for the rows kept]
  Scan T (4 columns)
  subquery:
    Count (1 column)
      Scan U (4 columns)
"),
            ("range x from 1 to 10 step 1 | extend k = x % 3 | partition by k (summarize c = count()) | sample 2", None, "\
Sample 2 (1 column)
  Partition (subquery once per key value, at most 64) (1 column)
    Extend k = x % 3 (2 columns)  [streamed: 1 operator in one pass, columns gathered once for the rows kept]
      Range x from 1 to 10 step 1 (1 column)
    Summarize c = count() (1 column)
      Input (the current mv-apply record's expansion or partition's rows) (columns known when it runs)
"),
        ];
        for (q, section, want) in cases {
            assert_eq!(explain(q, *section), *want, "{q}");
        }
    }
}
