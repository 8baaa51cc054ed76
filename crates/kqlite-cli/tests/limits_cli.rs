//! The `kqlite` binary under hostile conditions: closed pipes, huge query
//! lines, runaway queries and every limit flag. It never panics (exit code
//! 101); limits end in a clear message and exit code 1.

mod support;

use std::process::Command;

use support::{empty_scratch, kqlite_at_root, stderr, stdout, write};

/// A syntax error at the end of one 100 KB line.
fn huge_bad_line() -> String {
    let mut q = String::from("print x = strcat(");
    while q.len() < 100_000 {
        q.push_str("'abcdefghij', ");
    }
    q.push_str("'end') | where (");
    q
}

/// Runs `kqlite args` with stdout and stderr going into a pipe whose reader
/// has already exited, and returns kqlite's exit code.
fn exit_code_with_closed_pipes(args: &[&str]) -> i32 {
    let o = Command::new("sh")
        .arg("-c")
        .arg(closed_pipe_script(args))
        .output()
        .expect("sh runs");
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no exit code: {}", stderr(&o)))
}

/// `sh` text: after the pipe's reader (`true`) has gone, run kqlite with
/// both outputs into that pipe, then print its exit code on the real stdout.
fn closed_pipe_script(args: &[&str]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(env!("CARGO_BIN_EXE_kqlite"));
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    format!("exec 3>&1; {{ sleep 0.3; {line} >&2; echo $? >&3; }} 2>&1 | true")
}

#[test]
fn check_with_a_closed_stderr_and_a_huge_line_does_not_panic() {
    let dir = empty_scratch("closed_stderr_check");
    let q = write(&dir, "huge.kql", &huge_bad_line());
    assert_eq!(exit_code_with_closed_pipes(&["check", &q]), 1);
    assert_eq!(
        exit_code_with_closed_pipes(&["check", "--format", "json", &q]),
        1
    );
}

#[test]
fn run_with_closed_pipes_does_not_panic() {
    let dir = empty_scratch("closed_pipes_run");
    let bad = write(&dir, "bad.kql", &huge_bad_line());
    assert_eq!(exit_code_with_closed_pipes(&["run", &bad]), 1);
    let many = write(&dir, "many.kql", "range x from 1 to 200000 step 1");
    // A result much larger than a pipe's buffer, to a reader that is gone.
    assert_eq!(exit_code_with_closed_pipes(&["run", &many]), 0);
    // A truncation warning to a closed stderr.
    let code = exit_code_with_closed_pipes(&["run", &many, "--max-result-rows", "10"]);
    assert_eq!(code, 0);
    let missing = dir.join("missing.kql").display().to_string();
    assert_eq!(exit_code_with_closed_pipes(&["run", &missing]), 1);
    assert_eq!(exit_code_with_closed_pipes(&["run", "--bogus-flag"]), 2);
}

#[test]
fn test_with_a_closed_stdout_does_not_panic() {
    let dir = empty_scratch("closed_pipes_test");
    let code = exit_code_with_closed_pipes(&["test", &dir.display().to_string()]);
    assert_eq!(code, 1, "no test files is an error, not a panic");
}

#[test]
fn a_diagnostic_on_a_huge_line_shows_a_window_around_the_error() {
    let dir = empty_scratch("huge_line_diagnostic");
    let q = write(&dir, "huge.kql", &huge_bad_line());
    let o = kqlite_at_root(&["check", &q]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.len() < 2_000, "{} bytes of diagnostics", err.len());
    assert!(err.contains("..."), "{err}");
    assert!(err.contains('^'), "{err}");
}

#[test]
fn a_table_flag_without_a_name_or_path_is_a_usage_error() {
    let dir = empty_scratch("table_flag");
    let q = write(&dir, "q.kql", "T | count");
    let data = write(&dir, "t.jsonl", "{\"a\":1}\n");
    for bad in [format!("={data}"), " =x".to_string(), "T=".to_string()] {
        let o = kqlite_at_root(&["run", &q, "--table", &bad]);
        assert_eq!(o.status.code(), Some(2), "--table {bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("NAME=PATH"), "{}", stderr(&o));
    }
    let o = kqlite_at_root(&["run", &q, "--table", &format!("T={data}")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_long_result_is_truncated_with_a_warning_on_stderr() {
    let dir = empty_scratch("truncate_flag");
    let q = write(&dir, "q.kql", "range x from 1 to 100 step 1");
    let o = kqlite_at_root(&["run", &q, "--format", "csv", "--max-result-rows", "7"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 8, "a header and 7 rows");
    let err = stderr(&o);
    assert!(err.contains("warning: the result was truncated"), "{err}");
    assert!(err.contains("7 rows of 100"), "{err}");
    assert!(err.contains("--max-result-rows"), "{err}");
}

#[test]
fn a_long_result_fails_in_error_mode() {
    let dir = empty_scratch("overflow_error_flag");
    let q = write(&dir, "q.kql", "range x from 1 to 100 step 1");
    let o = kqlite_at_root(&[
        "run",
        &q,
        "--max-result-rows",
        "7",
        "--result-overflow",
        "error",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("error[E1108]"), "{}", stderr(&o));
}

#[test]
fn a_runaway_query_stops_at_the_timeout() {
    let dir = empty_scratch("timeout_flag");
    let q = write(
        &dir,
        "q.kql",
        "let L = range i from 1 to 3000 step 1 | extend k = i % 3;\n\
         let S = range m from 1 to 30 step 1 | extend k = m % 3;\n\
         L | join kind=inner (L | project-rename j = i) on k\n\
         | join kind=inner S on k | count",
    );
    let start = std::time::Instant::now();
    let o = kqlite_at_root(&["run", &q, "--timeout", "300ms"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E1106]"), "{}", stderr(&o));
    assert!(stderr(&o).contains("time limit"), "{}", stderr(&o));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn an_intermediate_result_over_max_memory_fails() {
    let dir = empty_scratch("memory_flag");
    let q = write(&dir, "q.kql", "range x from 1 to 1000000 step 1 | count");
    let o = kqlite_at_root(&["run", &q, "--max-memory", "1MiB"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[E1107]"), "{}", stderr(&o));
    let o = kqlite_at_root(&["run", &q, "--max-memory", "1GB"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Runs `kqlite run QUERY --max-memory SIZE` and asserts it ends with
/// exit 1 and E1107 within a few seconds.
fn assert_refused_for_memory(name: &str, query: &str, size: &str) {
    let dir = empty_scratch(name);
    let q = write(&dir, "q.kql", query);
    let start = std::time::Instant::now();
    let o = kqlite_at_root(&["run", &q, "--max-memory", size]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("error[E1107]"), "{}", stderr(&o));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_join_too_large_for_max_memory_fails_before_its_rows_exist() {
    assert_refused_for_memory(
        "memory_join",
        "let L = range i from 1 to 9000 step 1 | extend k = 1;\n\
         let R = range j from 1 to 10000 step 1 | extend k = 1;\n\
         L | join kind=inner R on k | count",
        "200MB",
    );
}

#[test]
fn bag_unpack_with_a_new_key_per_row_fails_under_max_memory() {
    assert_refused_for_memory(
        "memory_bag_unpack",
        "range x from 1 to 20000 step 1 | extend d = bag_pack(strcat('k', x), x)\n\
         | evaluate bag_unpack(d) | count",
        "100MB",
    );
}

#[test]
fn a_decompression_bomb_fails_at_the_cap_on_one_value() {
    // 64 MiB of zeros compressed to about 64 KB: refused at 32 MiB.
    let query = format!(
        "print n = strlen(zlib_decompress_from_base64_string('{}'))",
        support::zlib_bomb(64)
    );
    assert_refused_for_memory("memory_zlib", &query, "100MB");
}

#[test]
fn a_string_blow_up_fails_at_the_cap_on_one_value() {
    let mut q = "strrep('a', 1024)".to_string();
    for _ in 0..4 {
        q = format!("replace_string({q}, 'a', '{}')", "a".repeat(64));
    }
    assert_refused_for_memory("memory_replace", &format!("print n = strlen({q})"), "100MB");
}

#[test]
fn nesting_beyond_max_depth_fails_in_run_and_check() {
    let dir = empty_scratch("depth_flag");
    let q = write(&dir, "q.kql", "print ((((((1))))))");
    for cmd in ["run", "check"] {
        let o = kqlite_at_root(&[cmd, &q, "--max-depth", "3"]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert!(stderr(&o).contains("E0012"), "{cmd}: {}", stderr(&o));
        let o = kqlite_at_root(&[cmd, &q]);
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", stderr(&o));
    }
}

#[test]
fn bad_limit_values_are_usage_errors() {
    let dir = empty_scratch("bad_limit_values");
    let q = write(&dir, "q.kql", "print 1");
    for args in [
        ["--timeout", "soon"],
        ["--timeout", "5 fortnights"],
        ["--max-memory", "lots"],
        ["--max-result-rows", "-1"],
        ["--result-overflow", "explode"],
    ] {
        let mut all = vec!["run", q.as_str()];
        all.extend(args);
        let o = kqlite_at_root(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn gen_and_conformance_with_closed_pipes_do_not_panic() {
    let dir = empty_scratch("closed_pipes_gen");
    let blocker = write(&dir, "a-file", "");
    let out = format!("{blocker}/sub");
    let code = exit_code_with_closed_pipes(&[
        "gen",
        "--tables",
        "SigninLogs",
        "--rows",
        "10",
        "--out",
        &out,
    ]);
    assert_eq!(code, 1);
    let missing = dir.join("missing.jsonl").display().to_string();
    let code = exit_code_with_closed_pipes(&["conformance", &missing]);
    assert!(code == 1 || code == 2, "exit {code}");
}

#[test]
fn a_bad_record_fails_the_load_unless_lenient_lists_it() {
    let dir = empty_scratch("lenient_flag");
    let q = write(&dir, "q.kql", "T | count");
    let data = write(&dir, "t.jsonl", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n[4]\n");
    let o = kqlite_at_root(&["run", &q, "--table", &format!("T={data}")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("t.jsonl:2:"), "{}", stderr(&o));
    let o = kqlite_at_root(&[
        "run",
        &q,
        "--format",
        "csv",
        "--lenient",
        "--table",
        &format!("T={data}"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Count\n2\n");
    let err = stderr(&o);
    assert!(
        err.contains("t.jsonl:2:") && err.contains("t.jsonl:4:"),
        "{err}"
    );
    assert!(err.contains("left out 2 unusable records"), "{err}");
}
