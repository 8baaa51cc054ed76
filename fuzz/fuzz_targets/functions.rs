//! Single-row functions that can blow a value up (decompression, `strrep`,
//! `replace_*`, `bag_*`, `repeat`, `range`, deep `parse_json`), nested in
//! one another and run under a time and memory limit. Any `Err` is fine; a
//! panic, an internal error, a hang or a runaway allocation is a bug.
#![no_main]

use std::time::Duration;

use kqlite_engine::eval::Limits;
use kqlite_engine::{Engine, RunOptions};
use kqlite_fuzz::functions::FunctionCase;
use libfuzzer_sys::fuzz_target;

/// `now()` for every run: 2024-06-01T00:00:00Z in ticks.
const NOW: i64 = 638_527_968_000_000_000;

fuzz_target!(|case: FunctionCase| {
    let mut engine = Engine::new();
    engine.set_limits(Limits {
        max_rows: 100_000,
        max_memory: 256 << 20,
        timeout: Some(Duration::from_secs(2)),
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
