//! Parse speed: the shipped detection, read from disk, text to AST.
//!
//! `cargo bench --bench parse`

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn shipped_query() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/queries/t1078_004_cloud_accounts.kql"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn parse_shipped_detection(c: &mut Criterion) {
    let text = shipped_query();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("t1078_004_cloud_accounts", |b| {
        b.iter(|| kqlite_parser::parse(black_box(&text)).map(|s| s.statements.len()))
    });
    let script =
        kqlite_parser::parse(&text).unwrap_or_else(|e| panic!("the shipped query parses: {e}"));
    group.bench_function("print_t1078_004_cloud_accounts", |b| {
        b.iter(|| black_box(&script).to_string())
    });
    group.finish();
}

criterion_group!(benches, parse_shipped_detection);
criterion_main!(benches);
