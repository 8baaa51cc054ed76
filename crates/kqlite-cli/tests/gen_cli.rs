//! `kqlite gen` over tables of the built-in catalog beyond the six Entra ID
//! tables, through the built binary.

mod support;

use std::path::Path;

use support::{empty_scratch, kqlite_at_root, stderr, stdout, write};

fn first_row(path: &Path) -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(text.lines().next().expect("a row")).unwrap()
}

#[test]
fn gen_writes_any_catalog_table_without_a_labels_file() {
    let dir = empty_scratch("gen_catalog");
    let o = kqlite_at_root(&[
        "gen",
        "--tables",
        "DeviceProcessEvents,SecurityEvent",
        "--rows",
        "300",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in ["DeviceProcessEvents.jsonl", "SecurityEvent.jsonl"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(text.lines().count(), 300, "{f}");
    }
    assert!(!dir.join("labels.jsonl").exists());
    assert!(
        stdout(&o).contains("no labelled scenarios for DeviceProcessEvents, SecurityEvent"),
        "{}",
        stdout(&o)
    );
    let row = first_row(&dir.join("DeviceProcessEvents.jsonl"));
    assert_eq!(row["ActionType"], "ProcessCreated");
    assert_eq!(row["SHA256"].as_str().map(str::len), Some(64));
    let row = first_row(&dir.join("SecurityEvent.jsonl"));
    assert!(row["EventID"].is_i64(), "{row:?}");
    assert_eq!(row["Type"], "SecurityEvent");

    // The file loads back and queries see its rows.
    let table = format!(
        "DeviceProcessEvents={}",
        dir.join("DeviceProcessEvents.jsonl").display()
    );
    let q = write(&dir, "q.kql", "DeviceProcessEvents | summarize n = count()");
    let o = kqlite_at_root(&["run", &q, "--table", &table, "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("300"), "{}", stdout(&o));
}

#[test]
fn gen_mixing_entra_and_catalog_tables_labels_the_entra_ones() {
    let dir = empty_scratch("gen_mixed");
    let o = kqlite_at_root(&[
        "gen",
        "--tables",
        "SigninLogs,OfficeActivity",
        "--rows",
        "500",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.join("labels.jsonl").exists());
    let text = std::fs::read_to_string(dir.join("OfficeActivity.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 500);
}

#[test]
fn gen_rejects_an_unknown_table_with_a_suggestion() {
    let dir = empty_scratch("gen_unknown");
    let o = kqlite_at_root(&[
        "gen",
        "--tables",
        "DeviceProcesEvents",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("unknown table `DeviceProcesEvents`; did you mean `DeviceProcessEvents`?"),
        "{err}"
    );
}

#[test]
fn gen_columns_of_a_query_over_a_catalog_table_writes_what_it_reads() {
    let dir = empty_scratch("gen_columns_of");
    let q = write(
        &dir,
        "q.kql",
        "DeviceNetworkEvents | where RemotePort == 3389 | project Timestamp, DeviceName, RemoteIP",
    );
    let o = kqlite_at_root(&[
        "gen",
        "--columns-of",
        &q,
        "--rows",
        "50",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut keys: Vec<String> = first_row(&dir.join("DeviceNetworkEvents.jsonl"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(keys, ["DeviceName", "RemoteIP", "RemotePort", "Timestamp"]);
}

#[test]
fn gen_help_explains_what_rows_counts() {
    let o = kqlite_at_root(&["gen", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    assert!(help.contains("any table or parser output"), "{help}");
    assert!(
        help.contains("every table outside the six Entra ID"),
        "{help}"
    );
}
