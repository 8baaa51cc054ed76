//! The whole pipeline (parse, bind, prune, run) on generated queries over a
//! small `datatable`. Any `Err` is fine; a panic or a hang is a bug.
#![no_main]

use kqlite_engine::eval::Limits;
use kqlite_engine::{Engine, RunOptions};
use kqlite_fuzz::PipelineCase;
use libfuzzer_sys::fuzz_target;

/// `now()` for every run: 2024-06-01T00:00:00Z in ticks.
const NOW: i64 = 638_527_968_000_000_000;

fuzz_target!(|case: PipelineCase| {
    let mut engine = Engine::new();
    // Joins and mv-expand can multiply rows; cap them so a run stays small.
    engine.set_limits(Limits {
        max_rows: 100_000,
        ..Limits::default()
    });
    let opts = RunOptions {
        now: Some(NOW),
        ..RunOptions::default()
    };
    if let Err(kqlite_engine::QueryError::Internal(m)) = engine.run_with(&case.query, &opts) {
        panic!("internal error: {m}\nquery:\n{}", case.query);
    }
});
