//! How far the parser agrees with Microsoft's grammar on real queries.
//!
//! Reads the conformance corpus from `../shared/conformance` (next to the
//! workspace; never copied into the repository): detection and hunting
//! queries labelled with whether the reference grammar accepts them, and the
//! emulator cases (all valid KQL). Prints the agreement figures and every
//! disagreement, and holds the parser to floors.

use std::path::{Path, PathBuf};

/// Fraction of grammar-accepted queries the parser must accept.
const ACCEPT_FLOOR: f64 = 0.995;
/// Fraction of grammar-rejected queries the parser must reject.
const REJECT_FLOOR: f64 = 0.85;

struct Case {
    id: String,
    query: String,
    grammar_accepts: bool,
}

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

fn load_cases(conformance: &Path) -> (Vec<Case>, Vec<Case>) {
    let mut detections = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(conformance.join("detections"))
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "jsonl"))
    {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            detections.push(Case {
                id: v["id"].as_str().unwrap_or("?").to_string(),
                query: v["query"].as_str().unwrap_or("").to_string(),
                grammar_accepts: v["grammar_accepts"].as_bool().unwrap_or(false),
            });
        }
    }
    let mut emulator = Vec::new();
    let text =
        std::fs::read_to_string(conformance.join("emulator_cases.jsonl")).unwrap_or_default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        emulator.push(Case {
            id: v["id"].as_str().unwrap_or("?").to_string(),
            query: v["kql"].as_str().unwrap_or("").to_string(),
            grammar_accepts: true,
        });
    }
    (detections, emulator)
}

fn percent(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

#[test]
fn parser_agrees_with_the_reference_grammar_on_real_queries() {
    let conformance = shared_dir().join("conformance");
    if !conformance.is_dir() {
        println!("skipping: ../shared/conformance not found");
        return;
    }
    let (detections, emulator) = load_cases(&conformance);
    let mut accepted_ok = 0;
    let mut accepted_total = 0;
    let mut rejected_ok = 0;
    let mut rejected_total = 0;
    let mut emulator_ok = 0;
    let mut disagreements = Vec::new();
    let mut rejection_codes = std::collections::BTreeMap::new();
    for case in detections.iter().chain(emulator.iter()) {
        let result = kqlite_parser::parse(&case.query);
        if case.grammar_accepts {
            accepted_total += 1;
            match &result {
                Ok(_) => accepted_ok += 1,
                Err(e) => {
                    let d = &e.diagnostics()[0];
                    let at = case.query.get(d.span.range()).unwrap_or("");
                    disagreements.push(format!(
                        "REJECTED {}: [{}] {} at `{}`",
                        case.id, d.code, d.message, at
                    ));
                }
            }
        } else {
            rejected_total += 1;
            match result {
                Err(e) => {
                    rejected_ok += 1;
                    *rejection_codes.entry(e.diagnostics()[0].code).or_insert(0) += 1;
                }
                Ok(_) => disagreements.push(format!("ACCEPTED {}", case.id)),
            }
        }
    }
    for case in &emulator {
        if kqlite_parser::parse(&case.query).is_ok() {
            emulator_ok += 1;
        }
    }
    for d in &disagreements {
        println!("{d}");
    }
    println!("why grammar-rejected queries were rejected (code: count): {rejection_codes:?}");
    let accept = percent(accepted_ok, accepted_total);
    let reject = percent(rejected_ok, rejected_total);
    println!("accepted {accepted_ok}/{accepted_total} grammar-accepted queries ({accept:.2}%)");
    println!("rejected {rejected_ok}/{rejected_total} grammar-rejected queries ({reject:.2}%)");
    println!(
        "accepted {emulator_ok}/{} emulator cases ({:.2}%)",
        emulator.len(),
        percent(emulator_ok, emulator.len())
    );
    assert!(
        accept >= ACCEPT_FLOOR * 100.0,
        "acceptance {accept:.2}% is below the floor"
    );
    assert!(
        reject >= REJECT_FLOOR * 100.0,
        "rejection {reject:.2}% is below the floor"
    );
}

#[test]
fn every_accepted_corpus_query_survives_the_printer_round_trip() {
    let conformance = shared_dir().join("conformance");
    if !conformance.is_dir() {
        println!("skipping: ../shared/conformance not found");
        return;
    }
    let (detections, emulator) = load_cases(&conformance);
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in detections.iter().chain(emulator.iter()) {
        let Ok(script) = kqlite_parser::parse(&case.query) else {
            continue;
        };
        checked += 1;
        let printed = script.to_string();
        match kqlite_parser::parse(&printed) {
            Ok(again) if again.without_spans() == script.without_spans() => {}
            Ok(_) => failures.push(format!(
                "{}: reprinted text parses to a different tree:\n{printed}",
                case.id
            )),
            Err(e) => failures.push(format!(
                "{}: reprinted text does not parse: {}\n{printed}",
                case.id, e
            )),
        }
    }
    for f in &failures {
        println!("{f}\n");
    }
    println!("{checked} queries reprinted, {} failures", failures.len());
    assert!(failures.is_empty());
}
