//! Runs each argument as a query with the fuzz target's settings and prints
//! the row count or the error, for triage: `cargo run --example run -- 'query'`.

use kqlite_engine::eval::Limits;
use kqlite_engine::{Engine, RunOptions};

fn main() {
    let mut engine = Engine::new();
    engine.set_limits(Limits {
        max_rows: 100_000,
        ..Limits::default()
    });
    let opts = RunOptions {
        now: Some(638_527_968_000_000_000),
        ..RunOptions::default()
    };
    for query in std::env::args().skip(1) {
        match engine.run_with(&query, &opts) {
            Ok(t) => println!("{query}\n  => {} rows: {:?}", t.num_rows(), t.rows().next()),
            Err(e) => println!("{query}\n  => error: {e}"),
        }
    }
}
