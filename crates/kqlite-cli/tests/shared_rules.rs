//! Published Sentinel rules, run unchanged from the rules folder beside the
//! repository (`../shared/sentinel-rules`, never copied in) and tested with
//! fixtures only: `tests/shared_rules/*.test.toml`. Skipped, with a note,
//! where that folder is absent.

mod support;

use support::{kqlite_at_root, stderr, stdout, workspace};

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
    let out = kqlite_at_root(&[
        "test",
        "--allow-outside",
        "crates/kqlite-cli/tests/shared_rules",
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains("4 passed, 0 failed, 0 errors"), "{text}");
}
