//! The loaders on adversarial shapes built from the fuzzer's bytes: a new
//! key per row, a giant line, NUL bytes, deep nesting, an unterminated
//! quote, very wide rows, each in JSON Lines, JSON array, Log Analytics or
//! CSV, strict or lenient. Any `Err` is fine; a panic, a hang, a runaway
//! allocation or a table whose columns disagree with its row count is a bug.
#![no_main]

use kqlite_engine::io::{load_reader_with, LoadOptions};
use kqlite_fuzz::shapes::ShapeCase;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|case: ShapeCase| {
    let options = LoadOptions {
        lenient: case.lenient,
        ..LoadOptions::default()
    };
    let body = case.render();
    if let Ok(loaded) = load_reader_with(body.as_slice(), case.format(), None, "fuzz", &options) {
        let table = loaded.table;
        for (_, col) in table.columns() {
            assert_eq!(col.len(), table.num_rows());
        }
        // A lenient load leaves out whole records only: never more
        // records than the input has lines.
        let lines = body.split(|b| *b == b'\n').count();
        let dropped: usize = loaded.rejected.iter().map(|e| e.lines_spanned()).sum();
        assert!(dropped <= lines, "{dropped} lines dropped of {lines}");
    }
});
