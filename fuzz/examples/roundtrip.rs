//! Prints how each argument parses, prints and re-parses, for triage:
//! `cargo run --example roundtrip -- 'query' @file ...` (`@file` reads the
//! query from a file, for inputs with NUL bytes).

fn main() {
    for arg in std::env::args().skip(1) {
        let text = match arg.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path).unwrap_or_default(),
            None => arg,
        };
        println!("input:   {text:?}");
        match kqlite_parser::parse(&text) {
            Err(e) => println!("error:   {e}"),
            Ok(s) => {
                let printed = s.to_string();
                println!("printed: {printed:?}");
                match kqlite_parser::parse(&printed) {
                    Err(e) => println!("reparse error: {e}"),
                    Ok(again) if again.without_spans() == s.without_spans() => println!("same"),
                    Ok(again) => println!(
                        "DIFFERENT\n  {:?}\n  {:?}",
                        s.without_spans(),
                        again.without_spans()
                    ),
                }
            }
        }
    }
}
