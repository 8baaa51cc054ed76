//! `docs/kql-support.md` is generated from the engine itself: functions from
//! the registry, operators by binding a small probe query for each. This
//! test fails when the file is stale; regenerate it with
//! `KQLITE_BLESS=1 cargo test -p kqlite-cli --test kql_support`.

use std::fmt::Write as _;
use std::path::Path;

use kqlite_engine::registry::Registry;
use kqlite_engine::{Engine, RunOptions};

/// One probe per tabular operator: (operator, query using it).
const OPERATOR_PROBES: &[(&str, &str)] = &[
    ("where / filter", "T | where x > 0"),
    ("extend", "T | extend y = x * 2"),
    ("project", "T | project x"),
    ("project-away", "T | project-away s"),
    ("project-keep", "T | project-keep x"),
    ("project-rename", "T | project-rename y = x"),
    ("project-reorder", "T | project-reorder s"),
    ("summarize", "T | summarize count() by s"),
    ("sort / order", "T | sort by x"),
    ("take / limit", "T | take 1"),
    ("top", "T | top 1 by x"),
    ("top-nested", "T | top-nested 1 of s by count()"),
    ("count", "T | count"),
    ("distinct", "T | distinct s"),
    ("join", "T | join (T) on x"),
    ("lookup", "T | lookup (T | project x, z = s) on x"),
    ("union", "T | union T"),
    ("mv-expand", "T | extend d = dynamic([1, 2]) | mv-expand d"),
    (
        "mv-apply",
        "T | extend d = dynamic([1, 2]) | mv-apply d on (take 1)",
    ),
    ("parse", "T | parse s with a \"-\" b"),
    ("parse-where", "T | parse-where s with a \"-\" b"),
    (
        "parse-kv",
        "T | parse-kv s as (k: string) with (pair_delimiter=',', kv_delimiter='=')",
    ),
    (
        "make-series",
        "T | make-series count() on t from datetime(2024-01-01) to datetime(2024-01-02) step 1h",
    ),
    (
        "evaluate",
        "T | extend d = dynamic({\"a\": 1}) | evaluate bag_unpack(d)",
    ),
    ("evaluate narrow", "T | evaluate narrow()"),
    (
        "evaluate dcount_intersect",
        "T | summarize a = hll(x), b = hll(x) | evaluate dcount_intersect(a, b)",
    ),
    (
        "evaluate funnel_sequence_completion",
        "T | evaluate funnel_sequence_completion(x, t, datetime(2024-01-01), datetime(2024-01-02), 1d, s, dynamic(['a']), dynamic([1h]))",
    ),
    (
        "evaluate sequence_detect",
        "T | evaluate sequence_detect(t, 1h, 1d, a = x > 0, b = x > 1, s)",
    ),
    ("evaluate basket", "T | evaluate basket()"),
    ("evaluate autocluster", "T | evaluate autocluster()"),
    (
        "evaluate diffpatterns",
        "T | union (T | extend x = 2) | evaluate diffpatterns(x, '1', '2')",
    ),
    ("render", "T | render table"),
    ("serialize", "T | serialize n = row_number()"),
    ("as", "T | as U"),
    (
        "invoke",
        "let f = (X: (x: long)) { X | take 1 }; T | invoke f()",
    ),
    ("getschema", "T | getschema"),
    ("sample", "T | sample 1"),
    ("sample-distinct", "T | sample-distinct 1 of s"),
    ("partition", "T | partition by s (take 1)"),
    ("scan", "T | scan with (step a: x > 0;)"),
    ("facet", "T | facet by s"),
    ("fork", "T | fork (take 1) (take 2)"),
    ("search", "T | search \"a\""),
    ("find", "find in (T) where x > 0"),
    ("reduce", "T | reduce by s"),
    ("consume", "T | consume"),
    (
        "make-graph",
        "T | make-graph s --> s with_node_id=id | graph-to-table nodes",
    ),
    (
        "graph-match",
        "T | make-graph s --> s with_node_id=id | graph-match (a)-[e*1..2]->(b) project a.id",
    ),
    (
        "graph-shortest-paths",
        "T | make-graph s --> s with_node_id=id | graph-shortest-paths (a)-[e*1..2]->(b) project b.id",
    ),
    (
        "graph-to-table",
        "T | make-graph s --> s with_node_id=id | graph-to-table edges with_source_id=S",
    ),
    (
        "graph-mark-components",
        "T | make-graph s --> s with_node_id=id | graph-mark-components | graph-to-table nodes",
    ),
    ("print", "print 1"),
    ("range", "range i from 1 to 3 step 1"),
    ("datatable", "datatable(a: long)[1]"),
    (
        "externaldata",
        "externaldata(a: string)[\"https://example.invalid/x.csv\"]",
    ),
];

const PREAMBLE: &str =
    "let T = datatable(x: long, s: string, t: datetime)[1, \"a-b\", datetime(2024-01-01)];\n";

fn generate() -> String {
    let mut out = String::new();
    out.push_str(
        "# KQL support\n\n\
         Generated from the engine by `crates/kqlite-cli/tests/kql_support.rs`\n\
         (`KQLITE_BLESS=1 cargo test -p kqlite-cli --test kql_support`); do not edit by hand.\n\n\
         Anything not listed is reported as an error at its span (`unknown function`,\n\
         `not supported: ...`), never answered approximately. How closely results\n\
         match Kusto is measured by `kqlite conformance` (see the README).\n\n\
         ## Tabular operators\n\n\
         | operator | supported |\n|---|---|\n",
    );
    let mut engine = Engine::new();
    engine.set_now(0);
    // The `externaldata` probe's URI, as an embedder would supply it.
    engine.add_external_data("https://example.invalid/x.csv", b"a\n".to_vec());
    for (name, probe) in OPERATOR_PROBES {
        let query = format!("{PREAMBLE}{probe}");
        let verdict = match engine.run_with(&query, &RunOptions::default()) {
            Ok(_) => "yes".to_string(),
            Err(e) => {
                let not_supported = e
                    .diagnostics()
                    .iter()
                    .any(|d| d.message.contains("not supported"));
                if not_supported {
                    "no (parsed; reported as not supported)".to_string()
                } else {
                    let first = e
                        .diagnostics()
                        .first()
                        .map_or_else(|| e.to_string(), |d| d.message.clone());
                    format!("partly (probe failed: {})", first.replace('|', "\\|"))
                }
            }
        };
        let _ = writeln!(out, "| `{name}` | {verdict} |");
    }
    let registry = Registry::builtin();
    let mut scalars: Vec<&str> = registry.scalar_names().collect();
    scalars.sort_unstable();
    scalars.dedup();
    let mut aggregates: Vec<&str> = registry.aggregate_names().collect();
    aggregates.sort_unstable();
    aggregates.dedup();
    let _ = write!(
        out,
        "\n## Scalar functions ({})\n\n{}\n",
        scalars.len(),
        scalars
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = write!(
        out,
        "\n## Aggregate functions ({})\n\n{}\n",
        aggregates.len(),
        aggregates
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str(&properties_section(registry));
    out.push_str(
        "\n## Known differences from Kusto\n\n\
         - `dcount` is exact (Kusto uses HyperLogLog; it agrees with exact counts on small sets).\n\
         - Where Kusto leaves row order undefined (`summarize` groups, `join`, `make_set` elements),\n  \
           kqlite uses first-seen order, the same on every run.\n\
         - `bin` on datetimes floors from the Unix epoch.\n\
         - `now()` and `ago()` read the clock injected per query (`--now`, `RunOptions::now`).\n",
    );
    out
}

/// The functions whose declared properties matter to a query's author,
/// read from the registry.
fn properties_section(registry: &Registry) -> String {
    use kqlite_engine::function::{Merge, RowDependence, Volatility};
    let list = |names: Vec<&str>| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scalars = |keep: &dyn Fn(kqlite_engine::function::FunctionProperties) -> bool| {
        list(
            registry
                .scalar_names()
                .filter(|n| registry.scalar(n).is_some_and(|f| keep(f.properties())))
                .collect(),
        )
    };
    let volatile = scalars(&|p| p.volatility == Volatility::Volatile);
    let stable = scalars(&|p| p.volatility == Volatility::Stable);
    let window = scalars(&|p| p.rows == RowDependence::Window);
    let exact = list(
        registry
            .aggregate_names()
            .filter(|n| {
                registry
                    .aggregate(n)
                    .is_some_and(|a| a.properties().merge == Merge::Exact)
            })
            .collect(),
    );
    format!(
        "\n## Function properties\n\n\
         Declared by each function and read by the evaluator.\n\n\
         - A new value on every call: {volatile}.\n\
         - Fixed for one query (the injected clock): {stable}.\n\
         - Depend on earlier rows, evaluated over the whole input in order: {window}.\n\
         - Aggregates computed chunk by chunk in parallel and merged exactly: {exact}; \
         the others run over the whole input at once.\n"
    )
}

#[test]
fn the_kql_support_document_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/kql-support.md");
    let text = generate();
    if std::env::var_os("KQLITE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("docs dir")).expect("create docs/");
        std::fs::write(&path, &text).expect("write docs/kql-support.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == text,
        "docs/kql-support.md is stale; regenerate it with \
         `KQLITE_BLESS=1 cargo test -p kqlite-cli --test kql_support`"
    );
}
