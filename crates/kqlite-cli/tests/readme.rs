//! The README's "test your own detection in five minutes" section, run as
//! written (with the built binary standing in for `cargo run`).

use std::path::Path;
use std::process::Command;

#[test]
fn the_readme_five_minute_section_works_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- readme-test:start -->")
        .expect("start marker");
    let end = readme.find("<!-- readme-test:end -->").expect("end marker");
    let block = &readme[start..end];
    let script = block
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.rsplit_once("```"))
        .map(|(body, _)| body)
        .expect("a sh code block");
    let script = script.replace(
        "cargo run --release -p kqlite-cli --",
        env!("CARGO_BIN_EXE_kqlite"),
    );
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("readme");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let out = Command::new("bash")
        .arg("-euc")
        .arg(&script)
        .current_dir(&dir)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 passed, 0 failed"), "{stdout}");
}
