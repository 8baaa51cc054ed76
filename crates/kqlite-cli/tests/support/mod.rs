//! Helpers shared by the tests that drive the built `kqlite` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `kqlite args...` in `dir`.
pub fn kqlite(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the kqlite binary runs")
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Everything printed, standard output first.
pub fn printed(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// A scratch directory under the target dir, fresh for each test, holding
/// `files` (name, text).
pub fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    for (file, text) in files {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("scratch subdir");
        }
        std::fs::write(path, text).expect("scratch file");
    }
    dir
}
