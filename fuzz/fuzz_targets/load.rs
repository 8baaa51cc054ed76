//! The loaders on arbitrary bytes, in every format, with and without a
//! schema. Any `Err` is fine; a panic is a bug.
#![no_main]

use kqlite_engine::io::{load_reader, Format};
use kqlite_engine::DataType;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format and whether a schema is given, so the
    // fuzzer can steer each input to one loader.
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let format = match selector % 4 {
        0 => Format::JsonLines,
        1 => Format::JsonArray,
        2 => Format::LogAnalytics,
        _ => Format::Csv,
    };
    let schema: Vec<(String, DataType)> = vec![
        ("a".into(), DataType::Long),
        ("b".into(), DataType::String),
        ("c".into(), DataType::DateTime),
        ("d".into(), DataType::Dynamic),
        ("e".into(), DataType::Real),
        ("f".into(), DataType::Bool),
        ("g".into(), DataType::TimeSpan),
        ("h".into(), DataType::Guid),
        ("i".into(), DataType::Int),
        ("j".into(), DataType::Decimal),
    ];
    let schema = (selector & 4 != 0).then_some(schema.as_slice());
    if let Ok(table) = load_reader(body, format, schema, "fuzz") {
        // Every column must have as many rows as the table says, and every
        // cell must be readable.
        for (_, col) in table.columns() {
            assert_eq!(col.len(), table.num_rows());
        }
        for row in table.rows() {
            assert_eq!(row.len(), table.num_columns());
        }
    }
});
