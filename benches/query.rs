//! The shipped detection, both sections, on generated Sentinel tables.
//!
//! Data is generated in-process from a fixed seed, outside the timed part;
//! the query text is read from `queries/` like every other consumer of it.
//! Sizes: 100k and 1M SigninLogs rows by default; set `KQLITE_BENCH_10M=1`
//! to add 10M (needs several GB of memory and minutes to generate).
//!
//! `cargo bench --bench query`

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kqlite::{Engine, RunOptions};

fn query_text() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/queries/t1078_004_cloud_accounts.kql"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn engine_with(rows: usize) -> (Engine, i64) {
    let mut opts = kqlite::sentinel::default_dataset_options();
    opts.rows = rows;
    let data =
        kqlite::sentinel::generate_tables(&opts, &["SigninLogs", "AADServicePrincipalSignInLogs"])
            .expect("generation succeeds");
    let mut engine = Engine::new();
    for (name, table) in data.tables {
        engine.add_table(name, table);
    }
    engine.set_now(opts.now);
    (engine, opts.now)
}

fn shipped_query(c: &mut Criterion) {
    let query = query_text();
    let mut sizes = vec![100_000, 1_000_000];
    if std::env::var_os("KQLITE_BENCH_10M").is_some() {
        sizes.push(10_000_000);
    }
    let mut group = c.benchmark_group("t1078_004");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for rows in sizes {
        let (engine, now) = engine_with(rows);
        group.throughput(Throughput::Elements(rows as u64));
        let suspicious = RunOptions {
            now: Some(now),
            ..RunOptions::default()
        };
        group.bench_with_input(
            BenchmarkId::new("SuspiciousSignins", rows),
            &rows,
            |b, _| b.iter(|| black_box(engine.run_with(&query, &suspicious).expect("query runs"))),
        );
        let sp = RunOptions {
            section: Some("SPSignins".into()),
            now: Some(now),
            ..RunOptions::default()
        };
        group.bench_with_input(BenchmarkId::new("SPSignins", rows), &rows, |b, _| {
            b.iter(|| black_box(engine.run_with(&query, &sp).expect("query runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, shipped_query);
criterion_main!(benches);
