//! Parses every file named on the command line and prints `ok` or the first
//! error code per file, to compare parser changes over a corpus.

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match kqlite_parser::parse(&text) {
            Ok(_) => println!("{path} ok"),
            Err(e) => println!("{path} {}", e.diagnostics().first().map_or("?", |d| d.code)),
        }
    }
}
