//! Inputs the `parse` fuzz target (fuzz/fuzz_targets/parse.rs) once broke,
//! minimized: each must parse or fail without a panic, and whatever parses
//! must print to text that parses back to the same tree.

use kqlite_parser::parse;

/// Parses `text`; when it is accepted, checks the printer round trip.
fn survives(text: &str) {
    let Ok(first) = parse(text) else { return };
    let printed = first.to_string();
    let second =
        parse(&printed).unwrap_or_else(|e| panic!("reprinted text does not parse: {e}\n{printed}"));
    assert_eq!(second.without_spans(), first.without_spans(), "{printed}");
}

#[test]
fn a_datatable_as_a_binary_operand_prints_without_added_parentheses() {
    survives("datatable(a: long) [1] + X");
    survives("X + datatable(a: long) [1]");
    survives("datatable(a: long) [1][0].b");
}
