//! `kqlite run --explain` on the shipped detection, pinned by
//! `docs/explain-t1078.txt` (rewrite it with
//! `KQLITE_BLESS=1 cargo test -p kqlite-cli --test explain`), and the
//! README's "Reading a plan" section shows that file as it is.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn explain_shipped_query() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(["run", "--explain", "queries/t1078_004_cloud_accounts.kql"])
        .current_dir(root())
        .output()
        .expect("kqlite runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_shipped_query_explains_as_the_pinned_plan() {
    let path = root().join("docs/explain-t1078.txt");
    let text = explain_shipped_query();
    if std::env::var_os("KQLITE_BLESS").is_some() {
        std::fs::write(&path, &text).expect("write docs/explain-t1078.txt");
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        text, pinned,
        "the plan changed: rerun with KQLITE_BLESS=1 and update the README"
    );
}

#[test]
fn the_readme_shows_the_pinned_plan_of_the_shipped_query() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let pinned = std::fs::read_to_string(root().join("docs/explain-t1078.txt")).expect("pinned");
    let block = format!("```text\n{pinned}```");
    assert!(
        readme.contains(&block),
        "README.md's \"Reading a plan\" block differs from docs/explain-t1078.txt"
    );
}

#[test]
fn explain_does_not_read_or_generate_data() {
    let out = Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(["run", "--explain", "-"])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(b"SigninLogs | where TimeGenerated > ago(1d) | count")?;
            child.wait_with_output()
        })
        .expect("kqlite runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("Count (1 column)\n"), "{stdout}");
    assert!(stdout.contains("Scan SigninLogs (1 of "), "{stdout}");
    assert!(!stderr.contains("synthetic"), "{stderr}");
}
