//! Each operator in isolation over 1 M generated SigninLogs rows.
//!
//! Data is generated once, in-process from a fixed seed, outside the timed
//! part. Every query ends in `count` so the timing is the operator's, not
//! the cost of handing a large result back. `KQLITE_BENCH_THREADS=N` pins
//! the thread count (default: every core).
//!
//! `cargo bench --bench operators`

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kqlite::{Engine, RunOptions};

const ROWS: usize = 1_000_000;

/// One query per operator (or operator shape), named for the report.
const CASES: &[(&str, &str)] = &[
    ("where_datetime", "SigninLogs | where TimeGenerated > ago(1d) | count"),
    ("where_string_eq", "SigninLogs | where ResultType == \"0\" | count"),
    (
        "where_has_any",
        "SigninLogs | where ClientAppUsed has_any (\"IMAP\", \"POP3\", \"Exchange Web Services\") | count",
    ),
    (
        "where_in",
        "SigninLogs | where RiskLevelDuringSignIn in (\"high\", \"medium\") | count",
    ),
    (
        "extend_dynamic_member",
        "SigninLogs | extend c = tostring(LocationDetails.countryOrRegion) | where c == \"KP\" | count",
    ),
    (
        "extend_arithmetic",
        "SigninLogs | extend h = hourofday(TimeGenerated) * 60 + 1 | where h > 600 | count",
    ),
    (
        "project",
        "SigninLogs | project TimeGenerated, UserPrincipalName, IPAddress | count",
    ),
    (
        "summarize_count_by_string",
        "SigninLogs | summarize count() by UserPrincipalName | count",
    ),
    (
        "summarize_dcount_by_bin",
        "SigninLogs | summarize dcount(IPAddress) by bin(TimeGenerated, 1h) | count",
    ),
    (
        "summarize_make_set",
        "SigninLogs | summarize make_set(IPAddress, 10) by AppDisplayName | count",
    ),
    (
        "sort_take",
        "SigninLogs | sort by TimeGenerated desc | take 100 | count",
    ),
    ("top", "SigninLogs | top 100 by TimeGenerated | count"),
    (
        "distinct",
        "SigninLogs | distinct UserPrincipalName, AppDisplayName | count",
    ),
    (
        "join_inner",
        "SigninLogs | where TimeGenerated > ago(1d) | project UserId, TimeGenerated \
         | join kind=inner (SigninLogs | where RiskLevelDuringSignIn == \"high\" | distinct UserId) on UserId | count",
    ),
    (
        "mv_expand",
        "SigninLogs | take 100000 | project a = pack_array(ResultType, ClientAppUsed) | mv-expand a | count",
    ),
];

fn engine() -> Engine {
    let mut opts = kqlite::sentinel::default_dataset_options();
    opts.rows = ROWS;
    let data =
        kqlite::sentinel::generate_tables(&opts, &["SigninLogs"]).expect("generation succeeds");
    let mut engine = Engine::new();
    for (name, table) in data.tables {
        engine.add_table(name, table);
    }
    engine.set_now(opts.now);
    if let Some(n) = std::env::var("KQLITE_BENCH_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        engine.set_threads(n);
    }
    engine
}

fn operators(c: &mut Criterion) {
    let engine = engine();
    let opts = RunOptions::default();
    let mut group = c.benchmark_group("operators");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(ROWS as u64));
    for (name, query) in CASES {
        // A query that stops working should fail the bench, not time an error.
        engine
            .run_with(query, &opts)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        group.bench_with_input(BenchmarkId::new(*name, ROWS), query, |b, q| {
            b.iter(|| black_box(engine.run_with(q, &opts).expect("query runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, operators);
criterion_main!(benches);
