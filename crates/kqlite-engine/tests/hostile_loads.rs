//! Loaders that survive hostile input: special files, binary content,
//! giant header names and inputs whose shape would make memory quadratic
//! end with a clean error instead of exhausting the machine.

use std::path::PathBuf;

use kqlite_engine::io::{load_file, LoadError};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile_loads")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn message(e: LoadError) -> String {
    e.to_string()
}

#[test]
fn a_new_key_in_every_json_line_fails_cleanly_instead_of_growing_quadratically() {
    let dir = scratch("key_per_row");
    let path = dir.join("keys.jsonl");
    let text: String = (0..20_000).map(|i| format!("{{\"k{i}\":{i}}}\n")).collect();
    std::fs::write(&path, text).expect("write");
    let err = load_file(&path, None).expect_err("too wide");
    let msg = message(err);
    assert!(msg.contains("distinct columns"), "{msg}");
    assert!(msg.contains("dynamic"), "{msg}");
}

#[test]
fn a_sparse_export_with_hundreds_of_columns_still_loads() {
    let dir = scratch("sparse_export");
    let path = dir.join("sparse.jsonl");
    let mut text = String::new();
    for row in 0..3_000 {
        let cells: Vec<String> = (0..30)
            .map(|c| format!("\"Col{}\":{}", (row * 7 + c * 11) % 300, c))
            .collect();
        text.push_str(&format!("{{{}}}\n", cells.join(",")));
    }
    std::fs::write(&path, text).expect("write");
    let table = load_file(&path, None).expect("loads");
    assert_eq!(table.num_rows(), 3_000);
    assert_eq!(table.num_columns(), 300);
}

#[test]
fn a_file_of_nul_bytes_is_refused_as_binary() {
    let dir = scratch("nul_bytes");
    let path = dir.join("zeros.csv");
    std::fs::write(&path, vec![0u8; 1 << 20]).expect("write");
    let msg = message(load_file(&path, None).expect_err("binary"));
    assert!(msg.contains("NUL byte at offset 0"), "{msg}");
}

#[test]
fn a_header_name_longer_than_kusto_allows_is_an_error() {
    let dir = scratch("long_header");
    let path = dir.join("wide.csv");
    std::fs::write(&path, format!("{}\n1\n", "a".repeat(5_000))).expect("write");
    let msg = message(load_file(&path, None).expect_err("long name"));
    assert!(msg.contains("at most 1024"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_link_to_an_endless_device_is_not_read() {
    let dir = scratch("dev_zero");
    let path = dir.join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &path).expect("symlink");
    let msg = message(load_file(&path, None).expect_err("device"));
    assert!(msg.contains("not a regular file"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = scratch("fifo");
    let path = dir.join("pipe.csv");
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mkfifo unavailable; skipped");
        return;
    }
    let msg = message(load_file(&path, None).expect_err("fifo"));
    assert!(msg.contains("not a regular file"), "{msg}");
}

#[test]
fn a_64_bit_integer_next_to_a_real_keeps_its_exact_value() {
    let dir = scratch("long_precision");
    let json = dir.join("ids.jsonl");
    std::fs::write(&json, "{\"Id\":9007199254740993}\n{\"Id\":1.5}\n").expect("write");
    let csv = dir.join("ids.csv");
    std::fs::write(&csv, "Id\n9007199254740993\n1.5\n").expect("write");
    for path in [json, csv] {
        let mut engine = kqlite_engine::Engine::new();
        engine.add_table("T", load_file(&path, None).expect("loads"));
        let t = engine
            .run("T | take 1 | project S = tostring(Id)")
            .expect("runs");
        assert_eq!(
            t.row(0),
            vec![kqlite_engine::Value::string("9007199254740993")],
            "{}",
            path.display()
        );
    }
}
