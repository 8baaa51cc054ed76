//! `docs/kql-support.md` is generated from the engine itself and from the
//! reference index `docs/kql-reference-index.tsv` (every documented operator,
//! function and plugin of Microsoft's KQL reference). A name is supported when
//! the engine runs it (the registry, or a probe query); the hand-kept
//! `docs/kql-support-status.tsv` says why a name is only partly supported or
//! not at all. The test fails when a documented name has no status, when the
//! engine knows a name the index does not, or when the file is stale;
//! regenerate it with `KQLITE_BLESS=1 cargo test -p kqlite-cli --test kql_support`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use kqlite_engine::registry::Registry;
use kqlite_engine::{Engine, RunOptions};

/// One probe per tabular operator of the index: (operator, query using it).
const OPERATOR_PROBES: &[(&str, &str)] = &[
    ("where", "T | where x > 0"),
    ("extend", "T | extend y = x * 2"),
    ("project", "T | project x"),
    ("project-away", "T | project-away s"),
    ("project-keep", "T | project-keep x"),
    ("project-rename", "T | project-rename y = x"),
    ("project-reorder", "T | project-reorder s"),
    ("summarize", "T | summarize count() by s"),
    ("sort", "T | sort by x"),
    ("take", "T | take 1"),
    ("top", "T | top 1 by x"),
    ("top-nested", "T | top-nested 1 of s by count()"),
    ("top-hitters", "T | top-hitters 1 of s"),
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
    (
        "evaluate funnel_sequence",
        "T | evaluate funnel_sequence(x, t, datetime(2024-01-01), datetime(2024-01-02), 1h, 1d, s, dynamic(['a']))",
    ),
    ("evaluate rows_near", "T | evaluate rows_near(x > 0, 1)"),
    ("evaluate preview", "T | evaluate preview(1)"),
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
    ("print", "print 1"),
    ("range", "range i from 1 to 3 step 1"),
    ("datatable", "datatable(a: long)[1]"),
    (
        "externaldata",
        "externaldata(a: string)[\"https://example.invalid/x.csv\"]",
    ),
    (
        "make-graph",
        "T | make-graph x --> x with (T | project x) on x | graph-to-table nodes",
    ),
    (
        "graph-match",
        "T | make-graph x --> x with (T | project x) on x | graph-match (a)-->(b) project a.x",
    ),
    (
        "graph-to-table",
        "T | make-graph x --> x with (T | project x) on x | graph-to-table nodes",
    ),
    (
        "graph-mark-components",
        "T | make-graph x --> x with (T | project x) on x | graph-mark-components | graph-to-table nodes",
    ),
    (
        "graph-shortest-paths",
        "T | make-graph x --> x with (T | project x) on x | graph-shortest-paths (a)-[e*1..2]->(b) project a.x",
    ),
    (
        "graph-merge",
        "let G = T | make-graph x --> x with (T | project x) on x; G | graph-merge G on x | graph-to-table edges",
    ),
];

const PREAMBLE: &str =
    "let T = datatable(x: long, s: string, t: datetime)[1, \"a-b\", datetime(2024-01-01)];\n";

/// The categories of the index, in the order the document lists them:
/// (category, section title).
const CATEGORIES: &[(&str, &str)] = &[
    ("operator", "Tabular operators"),
    ("special", "Special functions"),
    ("scalar", "Scalar functions"),
    ("aggregate", "Aggregation functions"),
    ("window", "Window functions"),
    ("plugin", "Plugins (`evaluate`)"),
];

/// One documented name of `docs/kql-reference-index.tsv`.
struct Documented {
    category: String,
    name: String,
    page: String,
    aliases: Vec<String>,
}

/// A hand-kept line of `docs/kql-support-status.tsv`.
struct Status {
    status: String,
    reason: String,
}

fn repo_file(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// The data lines of a tab-separated file with `#` comments and a header.
fn tsv_rows(rel: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo_file(rel)).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn field(row: &[String], i: usize) -> String {
    row.get(i).cloned().unwrap_or_default()
}

fn reference_index() -> Vec<Documented> {
    tsv_rows("docs/kql-reference-index.tsv")
        .iter()
        .map(|r| Documented {
            category: field(r, 0),
            name: field(r, 1),
            page: field(r, 2),
            aliases: field(r, 3)
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect(),
        })
        .collect()
}

fn hand_statuses() -> BTreeMap<(String, String), Status> {
    tsv_rows("docs/kql-support-status.tsv")
        .iter()
        .map(|r| {
            (
                (field(r, 0), field(r, 1)),
                Status {
                    status: field(r, 2),
                    reason: field(r, 3),
                },
            )
        })
        .collect()
}

fn probe_engine() -> Engine {
    let mut engine = Engine::new();
    engine.set_now(0);
    // The `externaldata` probe's URI, as an embedder would supply it.
    engine.add_external_data("https://example.invalid/x.csv", b"a\n".to_vec());
    engine
}

/// Runs a probe query; `Err` holds the first diagnostic's message.
fn run_probe(engine: &Engine, probe: &str) -> Result<(), String> {
    let query = format!("{PREAMBLE}{probe}");
    match engine.run_with(&query, &RunOptions::default()) {
        Ok(_) => Ok(()),
        Err(e) => Err(e
            .diagnostics()
            .first()
            .map_or_else(|| e.to_string(), |d| d.message.clone())),
    }
}

/// Whether the engine knows a function or plugin by this name: it is in the
/// registry, or a call of it fails for a reason other than an unknown name.
fn engine_knows(engine: &Engine, registry: &Registry, category: &str, name: &str) -> bool {
    match category {
        "scalar" | "window" | "special" | "aggregate"
            if registry.scalar(name).is_some() || registry.aggregate(name).is_some() =>
        {
            true
        }
        "scalar" | "window" | "special" => {
            match run_probe(engine, &format!("T | extend r = {name}()")) {
                Ok(()) => true,
                Err(m) => !m.contains("unknown function"),
            }
        }
        "aggregate" => match run_probe(engine, &format!("T | summarize {name}()")) {
            Ok(()) => true,
            Err(m) => !m.contains("unknown function") && !m.contains("unknown aggregate"),
        },
        "plugin" => match run_probe(engine, &format!("T | evaluate {name}()")) {
            Ok(()) => true,
            Err(m) => !m.contains(&format!("the `{name}` plugin")),
        },
        _ => false,
    }
}

/// The status of every documented name, and the problems that fail the test.
struct Verdicts {
    /// (category, name) -> (status, note).
    rows: BTreeMap<(String, String), (String, String)>,
    problems: Vec<String>,
}

fn verdicts(index: &[Documented], hand: &BTreeMap<(String, String), Status>) -> Verdicts {
    let engine = probe_engine();
    let registry = Registry::builtin();
    let probes: BTreeMap<&str, &str> = OPERATOR_PROBES.iter().copied().collect();
    let mut rows = BTreeMap::new();
    let mut problems = Vec::new();
    for d in index {
        let key = (d.category.clone(), d.name.clone());
        let runs = if d.category == "operator" {
            match probes.get(d.name.as_str()) {
                Some(p) => run_probe(&engine, p).is_ok(),
                None => {
                    problems.push(format!("operator `{}` has no probe query", d.name));
                    false
                }
            }
        } else {
            engine_knows(&engine, registry, &d.category, &d.name)
        };
        let verdict = match hand.get(&key) {
            Some(s) if s.status == "partly" || s.status == "no" => {
                if s.status == "no" && runs && d.category == "operator" {
                    problems.push(format!(
                        "operator `{}` runs but docs/kql-support-status.tsv says it does not",
                        d.name
                    ));
                }
                (s.status.clone(), s.reason.clone())
            }
            Some(s) => {
                problems.push(format!("`{}` has an unknown status `{}`", d.name, s.status));
                (s.status.clone(), s.reason.clone())
            }
            None if runs => ("yes".to_string(), String::new()),
            None => {
                problems.push(format!(
                    "{} `{}` is documented, does not run, and has no line in docs/kql-support-status.tsv",
                    d.category, d.name
                ));
                ("no".to_string(), String::new())
            }
        };
        rows.insert(key, verdict);
    }
    // Every name the engine registers is documented (or declared an extra).
    let mut documented: BTreeSet<&str> = BTreeSet::new();
    for d in index {
        documented.insert(&d.name);
        documented.extend(d.aliases.iter().map(String::as_str));
    }
    for (cat, name) in registry
        .scalar_names()
        .map(|n| ("scalar", n))
        .chain(registry.aggregate_names().map(|n| ("aggregate", n)))
    {
        let extra = hand
            .get(&(cat.to_string(), name.to_string()))
            .is_some_and(|s| s.status == "extra");
        if !documented.contains(name) && !extra {
            problems.push(format!(
                "the engine registers {cat} `{name}`, which docs/kql-reference-index.tsv does not list"
            ));
        }
    }
    for ((cat, name), s) in hand {
        let listed = index.iter().any(|d| &d.category == cat && &d.name == name);
        if s.status != "extra" && !listed {
            problems.push(format!(
                "docs/kql-support-status.tsv names {cat} `{name}`, which the index does not list"
            ));
        }
    }
    Verdicts { rows, problems }
}

fn generate() -> (String, Vec<String>) {
    let index = reference_index();
    let hand = hand_statuses();
    let v = verdicts(&index, &hand);
    let mut out = String::new();
    out.push_str(
        "# KQL support\n\n\
         Generated by `crates/kqlite-cli/tests/kql_support.rs`\n\
         (`KQLITE_BLESS=1 cargo test -p kqlite-cli --test kql_support`); do not edit by hand.\n\n\
         Every tabular operator, special function, scalar, aggregation and window function\n\
         and `evaluate` plugin that Microsoft's KQL reference documents is listed here\n\
         (the names come from `docs/kql-reference-index.tsv`, which says where and when they\n\
         were read), with kqlite's status: **yes** (runs), **partly** (runs; what is missing),\n\
         or **no** (reported as an error at its span, never answered approximately; why).\n\
         The reasons are kept by hand in `docs/kql-support-status.tsv`. How closely results\n\
         match Kusto is measured by `kqlite conformance` (see the README).\n\n\
         | category | documented | yes | partly | no |\n|---|---|---|---|---|\n",
    );
    let mut totals = [0usize; 4];
    for (cat, title) in CATEGORIES {
        let mut c = [0usize; 4];
        for ((k, _), (status, _)) in &v.rows {
            if k != cat {
                continue;
            }
            c[0] += 1;
            match status.as_str() {
                "yes" => c[1] += 1,
                "partly" => c[2] += 1,
                _ => c[3] += 1,
            }
        }
        for (t, n) in totals.iter_mut().zip(c) {
            *t += n;
        }
        let _ = writeln!(
            out,
            "| {title} | {} | {} | {} | {} |",
            c[0], c[1], c[2], c[3]
        );
    }
    let _ = writeln!(
        out,
        "| **all** | {} | {} | {} | {} |",
        totals[0], totals[1], totals[2], totals[3]
    );
    for (cat, title) in CATEGORIES {
        let _ = write!(
            out,
            "\n## {title}\n\n| name | status | notes | reference page |\n|---|---|---|---|\n"
        );
        for d in index.iter().filter(|d| d.category == *cat) {
            let (status, reason) = v
                .rows
                .get(&(d.category.clone(), d.name.clone()))
                .cloned()
                .unwrap_or_default();
            let mut notes = reason.replace('|', "\\|");
            if !d.aliases.is_empty() {
                if !notes.is_empty() {
                    notes.push_str("; ");
                }
                let _ = write!(notes, "also `{}`", d.aliases.join("`, `"));
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | `{}` |",
                d.name, status, notes, d.page
            );
        }
    }
    let extras: Vec<String> = hand
        .iter()
        .filter(|(_, s)| s.status == "extra")
        .map(|((_, n), s)| format!("- `{n}`: {}\n", s.reason))
        .collect();
    if !extras.is_empty() {
        out.push_str("\n## Accepted beyond the reference index\n\n");
        for e in extras {
            out.push_str(&e);
        }
    }
    out.push_str(&properties_section(Registry::builtin()));
    out.push_str(
        "\n## Known differences from Kusto\n\n\
         - `dcount` is exact (Kusto uses HyperLogLog; it agrees with exact counts on small sets).\n\
         - Where Kusto leaves row order undefined (`summarize` groups, `join`, `make_set` elements),\n  \
           kqlite uses first-seen order, the same on every run.\n\
         - `bin` on datetimes floors from the Unix epoch.\n\
         - `now()` and `ago()` read the clock injected per query (`--now`, `RunOptions::now`).\n",
    );
    (out, v.problems)
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
fn every_documented_name_has_a_status_and_the_kql_support_document_is_current() {
    let path = repo_file("docs/kql-support.md");
    let (text, problems) = generate();
    assert!(
        problems.is_empty(),
        "the KQL support list is incomplete:\n{}",
        problems.join("\n")
    );
    if std::env::var_os("KQLITE_BLESS").is_some() {
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

#[test]
fn the_reference_index_lists_each_name_once_per_category() {
    let index = reference_index();
    assert!(index.len() > 400, "the index lists {} names", index.len());
    let mut seen = BTreeSet::new();
    for d in &index {
        assert!(
            CATEGORIES.iter().any(|(c, _)| *c == d.category),
            "unknown category `{}`",
            d.category
        );
        assert!(
            d.page.ends_with(".md"),
            "`{}` has no reference page",
            d.name
        );
        assert!(
            seen.insert((d.category.clone(), d.name.clone())),
            "`{}` is listed twice",
            d.name
        );
    }
}
