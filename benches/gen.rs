//! Synthetic data generation throughput: SigninLogs rows per second on one
//! core, for the default seed and window, next to a catalog table without a
//! dedicated generator (DeviceProcessEvents, about 80 columns).
//!
//! Run with `cargo bench --bench gen`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kqlite_sentinel::catalog::Environment;
use kqlite_sentinel::{
    default_dataset_options, generate_dataset, generate_tables, GenOptions, ScenarioSelection,
};

fn signinlogs_options(rows: usize) -> GenOptions {
    GenOptions {
        rows,
        scenarios: ScenarioSelection::All,
        ..default_dataset_options()
    }
}

fn generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    group.sample_size(10);
    for rows in [100_000_usize, 1_000_000] {
        let opts = signinlogs_options(rows);
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(format!("SigninLogs/{rows}"), |b| {
            b.iter_batched(
                || opts.clone(),
                |o| generate_tables(&o, &["SigninLogs"]),
                BatchSize::LargeInput,
            )
        });
    }
    for rows in [100_000_usize, 1_000_000] {
        let opts = signinlogs_options(rows);
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(format!("DeviceProcessEvents/{rows}"), |b| {
            b.iter(|| generate_dataset(&opts, &["DeviceProcessEvents"], Environment::Sentinel))
        });
    }
    let all = signinlogs_options(100_000);
    // 100k SigninLogs plus every other table scaled from it (~188k rows).
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("all_tables/100000", |b| {
        b.iter(|| generate_tables(&all, &[]))
    });
    group.finish();
}

criterion_group!(benches, generation);
criterion_main!(benches);
