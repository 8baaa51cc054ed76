//! Published Sentinel rules, run unchanged from the rules folder beside the
//! repository (`../shared/sentinel-rules`, never copied in) and tested with
//! fixtures only: `tests/shared_rules/*.test.toml`. Skipped, with a note,
//! where that folder is absent.

use std::path::PathBuf;
use std::process::Command;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn published_rules_pass_their_fixture_tests_unchanged() {
    let rules = workspace().join("../shared/sentinel-rules/rules");
    if !rules.is_dir() {
        eprintln!(
            "note: {} not found; skipping the published-rule tests",
            rules.display()
        );
        return;
    }
    let out = Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args([
            "test",
            "--allow-outside",
            "crates/kqlite-cli/tests/shared_rules",
        ])
        .current_dir(workspace())
        .output()
        .expect("the kqlite binary runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("4 passed, 0 failed, 0 errors"), "{text}");
}
