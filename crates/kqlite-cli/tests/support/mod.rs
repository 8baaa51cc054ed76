//! Helpers shared by the tests that drive the built `kqlite` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `kqlite args...` in `dir`, with `NO_COLOR` set so that what it
/// prints is plain text.
pub fn kqlite(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the kqlite binary runs")
}

/// The workspace root, where `queries/` and `examples/` are.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `kqlite args...` in the workspace root.
pub fn kqlite_at_root(args: &[&str]) -> Output {
    kqlite(&workspace(), args)
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

/// An empty scratch directory under the target dir, fresh for each test.
pub fn empty_scratch(name: &str) -> PathBuf {
    scratch(name, &[])
}

/// Writes `text` to the file `name` in `dir` and returns the file's path as
/// text, ready to pass as an argument.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("scratch file");
    path.display().to_string()
}

/// A decompression bomb: `mib` MiB of zero bytes, zlib-compressed and
/// base64-encoded (about a thousandth of the size).
pub fn zlib_bomb(mib: usize) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        std::io::Write::write_all(&mut z, &zeros).expect("compresses");
    }
    base64(&z.finish().expect("compresses"))
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
