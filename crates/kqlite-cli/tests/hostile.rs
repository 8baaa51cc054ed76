//! Hostile inputs against the built `kqlite`, each run under an
//! address-space cap (`ulimit -v`), a wall-clock bound and a peak-RSS bound:
//! every case ends with a clean error (exit 1 and the right code or
//! message) or succeeds where it must, quickly and without an abort, a stack
//! overflow or the kernel's OOM killer. Inputs are generated at test time.
//!
//! The memory cases check that the query's budget is reserved before
//! operators and single-value functions grow (E1107 while the memory does
//! not exist yet).

mod support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space the child may map, in KiB (about 2 GB).
const ADDRESS_SPACE_KB: u64 = 2_000_000;

/// What a capped run did.
struct Run {
    /// The exit code (`None` when killed by a signal or the wall clock).
    code: Option<i32>,
    stdout: String,
    stderr: String,
    /// The child's peak resident set, in MiB (polled from `/proc`).
    peak_mb: u64,
    elapsed: Duration,
}

/// A fresh scratch folder for one case.
fn scratch(case: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kqlite-hostile-{}-{case}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// `VmHWM` (peak resident set) of process `pid`, in KiB.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `kqlite ARGS` in `dir` under the address-space cap, killing it
/// after `limit`.
fn run_capped(dir: &Path, args: &[&str], limit: Duration) -> Run {
    let bin = env!("CARGO_BIN_EXE_kqlite");
    let script = format!("ulimit -v {ADDRESS_SPACE_KB}; exec \"$0\" \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kqlite starts");
    let pid = child.id();
    let mut out_pipe = child.stdout.take().expect("stdout");
    let mut err_pipe = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let mut peak = 0;
    let status = loop {
        // `exec` keeps the pid: this is kqlite's own high-water mark.
        if let Some(kb) = peak_kb(pid) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    Run {
        code: status.and_then(|s| s.code()),
        stdout: text(out_reader.join().unwrap_or_default()),
        stderr: text(err_reader.join().unwrap_or_default()),
        peak_mb: peak / 1024,
        elapsed,
    }
}

/// Asserts the run failed cleanly (exit 1) with `needle` on stderr, within
/// `max_mb` of peak memory.
fn assert_clean_failure(run: &Run, needle: &str, max_mb: u64) {
    assert_eq!(
        run.code,
        Some(1),
        "expected exit 1 after {:?}; stderr:\n{}",
        run.elapsed,
        clip(&run.stderr)
    );
    assert!(
        run.stderr.contains(needle),
        "expected `{needle}` on stderr:\n{}",
        clip(&run.stderr)
    );
    assert!(
        run.peak_mb <= max_mb,
        "peak RSS {} MiB > {max_mb} MiB",
        run.peak_mb
    );
}

/// Asserts the run succeeded within `max_mb` of peak memory.
fn assert_success(run: &Run, max_mb: u64) {
    assert_eq!(
        run.code,
        Some(0),
        "expected success after {:?}; stderr:\n{}",
        run.elapsed,
        clip(&run.stderr)
    );
    assert!(
        run.peak_mb <= max_mb,
        "peak RSS {} MiB > {max_mb} MiB",
        run.peak_mb
    );
}

/// The start of a long text, for failure messages.
fn clip(s: &str) -> &str {
    let mut end = s.len().min(2000);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

const SECS: Duration = Duration::from_secs(60);

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write input");
}

#[test]
fn a_table_that_is_a_link_to_dev_zero_is_refused_at_once() {
    let dir = scratch("zero");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.jsonl")).expect("link");
    write(&dir, "q.kql", "T | count");
    let run = run_capped(&dir, &["run", "--table", "T=zero.jsonl", "q.kql"], SECS);
    assert_clean_failure(&run, "not a regular file", 200);
}

#[test]
fn a_table_that_is_a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = scratch("fifo");
    let made = Command::new("mkfifo")
        .arg(dir.join("t.csv"))
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        return;
    }
    write(&dir, "q.kql", "T | count");
    let run = run_capped(&dir, &["run", "--table", "T=t.csv", "q.kql"], SECS);
    assert_clean_failure(&run, "not a regular file", 200);
}

#[test]
fn a_json_lines_file_with_one_giant_line_fails_at_the_record_limit() {
    let dir = scratch("giant");
    let line = format!("{{\"a\": \"{}\"}}\n", "x".repeat(70 << 20));
    write(&dir, "t.jsonl", &line);
    write(&dir, "q.kql", "T | count");
    let run = run_capped(&dir, &["run", "--table", "T=t.jsonl", "q.kql"], SECS);
    assert_clean_failure(&run, "longer than 64 MiB", 600);
}

#[test]
fn a_file_of_nul_bytes_named_csv_is_refused() {
    let dir = scratch("nul");
    std::fs::write(dir.join("t.csv"), vec![0u8; 4 << 20]).expect("write");
    write(&dir, "q.kql", "T | count");
    let run = run_capped(&dir, &["run", "--table", "T=t.csv", "q.kql"], SECS);
    assert_clean_failure(&run, "NUL byte", 200);
}

#[test]
fn json_lines_with_a_new_key_on_every_row_fail_instead_of_growing_quadratically() {
    let dir = scratch("keys");
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("{{\"k{i}\": {i}, \"a\": \"x\"}}\n"));
    }
    write(&dir, "t.jsonl", &text);
    write(&dir, "q.kql", "T | count");
    let run = run_capped(&dir, &["run", "--table", "T=t.jsonl", "q.kql"], SECS);
    assert_clean_failure(&run, "distinct columns", 300);
}

#[test]
fn a_lenient_csv_load_reports_every_line_an_unterminated_quote_swallowed() {
    let dir = scratch("quote");
    let mut text = String::from("a,b\n1,2\n3,\"never closed\n");
    for i in 0..500 {
        text.push_str(&format!("{i},x\n"));
    }
    write(&dir, "t.csv", &text);
    write(&dir, "q.kql", "T | count");
    let run = run_capped(
        &dir,
        &["run", "--lenient", "--table", "T=t.csv", "q.kql"],
        SECS,
    );
    assert_success(&run, 200);
    assert!(run.stderr.contains("t.csv:3:"), "{}", clip(&run.stderr));
    assert!(run.stderr.contains("501 lines"), "{}", clip(&run.stderr));
}

#[test]
fn the_timeout_reaches_loading() {
    let dir = scratch("slowload");
    let mut text = String::new();
    for i in 0..400_000 {
        text.push_str(&format!("{{\"a\": {i}, \"b\": \"some text to parse\"}}\n"));
    }
    write(&dir, "t.jsonl", &text);
    write(&dir, "q.kql", "T | count");
    let run = run_capped(
        &dir,
        &["run", "--timeout", "1ms", "--table", "T=t.jsonl", "q.kql"],
        SECS,
    );
    assert_clean_failure(&run, "time limit", 400);
}

/// `n` `let`s, each one more than the last, and a `print` of the last.
fn chained_lets(n: usize) -> String {
    let mut q = String::from("let v0 = 0;\n");
    for i in 1..n {
        q.push_str(&format!("let v{i} = v{} + 1;\n", i - 1));
    }
    q.push_str(&format!("print x = v{}\n", n - 1));
    q
}

#[test]
fn the_timeout_reaches_binding_of_a_hundred_thousand_lets() {
    let dir = scratch("lets");
    write(&dir, "q.kql", &chained_lets(100_000));
    let run = run_capped(&dir, &["run", "--timeout", "1ms", "q.kql"], SECS);
    assert_clean_failure(&run, "E1106", 500);
}

#[test]
fn a_hundred_thousand_lets_run_in_seconds() {
    let dir = scratch("lets-run");
    write(&dir, "q.kql", &chained_lets(100_000));
    let run = run_capped(&dir, &["run", "q.kql"], SECS);
    assert_success(&run, 800);
    assert!(run.stdout.contains("99999"), "{}", clip(&run.stdout));
}

#[test]
fn checking_fifty_thousand_unused_lets_renders_every_warning_in_linear_time() {
    let dir = scratch("unused");
    let mut q = String::new();
    for i in 0..50_000 {
        q.push_str(&format!("let v{i} = {i};\n"));
    }
    q.push_str("print 1\n");
    write(&dir, "q.kql", &q);
    let run = run_capped(&dir, &["check", "q.kql"], SECS);
    assert_success(&run, 800);
    assert!(
        run.stderr.contains("50000 warnings"),
        "{}",
        clip(&run.stderr)
    );
    assert!(run.elapsed < Duration::from_secs(30), "{:?}", run.elapsed);
}

#[test]
fn a_ten_thousand_term_or_chain_runs() {
    let dir = scratch("or");
    let terms: Vec<String> = (0..10_000).map(|i| format!("x == {i}")).collect();
    let q = format!(
        "range x from 9990 to 10010 step 1 | where {} | count\n",
        terms.join(" or ")
    );
    write(&dir, "q.kql", &q);
    let run = run_capped(&dir, &["run", "q.kql"], SECS);
    assert_success(&run, 400);
    assert!(run.stdout.contains("10"), "{}", clip(&run.stdout));
}

/// `print x = 1` and `n` chained `extend`s, each adding a column from the
/// one before.
fn chained_extends(n: usize) -> String {
    let mut q = String::from("print a0 = 1");
    for i in 1..=n {
        q.push_str(&format!("\n| extend a{i} = a{} + 1", i - 1));
    }
    q.push_str(&format!("\n| project a{n}\n"));
    q
}

#[test]
fn a_thousand_and_ten_thousand_chained_extends_run() {
    let dir = scratch("extends");
    for n in [1_000, 10_000] {
        write(&dir, "q.kql", &chained_extends(n));
        let run = run_capped(&dir, &["run", "q.kql"], SECS);
        assert_success(&run, 400);
        assert!(
            run.stdout.contains(&(n + 1).to_string()),
            "{}",
            clip(&run.stdout)
        );
    }
}

#[test]
fn a_long_chain_of_wheres_is_a_clean_error_not_a_stack_overflow() {
    let dir = scratch("wheres");
    let mut q = String::from("print x = 1");
    q.push_str(&"\n| where x > 0".repeat(5_000));
    write(&dir, "q.kql", &q);
    let run = run_capped(&dir, &["run", "q.kql"], SECS);
    assert_clean_failure(&run, "more than 512 operators", 400);
}

#[test]
fn two_hundred_chained_functions_run_and_a_self_call_is_refused() {
    let dir = scratch("functions");
    let mut q = String::from("let f0 = () { 1 };\n");
    for i in 1..200 {
        q.push_str(&format!("let f{i} = () {{ f{}() + 1 }};\n", i - 1));
    }
    q.push_str("print x = f199()\n");
    write(&dir, "chain.kql", &q);
    let run = run_capped(&dir, &["run", "chain.kql"], SECS);
    assert_success(&run, 400);
    assert!(run.stdout.contains("200"), "{}", clip(&run.stdout));
    write(
        &dir,
        "self.kql",
        "let f = (n: long) { f(n) };\nprint f(1)\n",
    );
    let run = run_capped(&dir, &["run", "self.kql"], SECS);
    assert_clean_failure(&run, "E1007", 200);
}

#[test]
fn deep_paths_and_deep_json_end_without_a_stack_overflow() {
    let dir = scratch("deep");
    let path = format!("$.{}", vec!["a"; 50_000].join("."));
    write(
        &dir,
        "path.kql",
        &format!("print x = bag_set_key(dynamic({{}}), '{path}', 1)\n"),
    );
    let run = run_capped(&dir, &["run", "path.kql"], SECS);
    assert_success(&run, 400);
    let n = 20_000;
    let json = format!("{}{}", "[".repeat(n), "]".repeat(n));
    write(
        &dir,
        "json.kql",
        &format!("print x = strlen(dynamic_to_json(parse_json('{json}')))\n"),
    );
    let run = run_capped(&dir, &["run", "json.kql"], SECS);
    assert_success(&run, 400);
    let nested = format!("print {}1{}\n", "(".repeat(100_000), ")".repeat(100_000));
    write(&dir, "parens.kql", &nested);
    let run = run_capped(&dir, &["run", "parens.kql"], SECS);
    assert_clean_failure(&run, "E0012", 400);
}

#[test]
fn json_lines_nested_twenty_thousand_deep_fail_cleanly() {
    let dir = scratch("deep-jsonl");
    let n = 20_000;
    write(
        &dir,
        "t.jsonl",
        &format!("{{\"a\": {}{}}}\n", "[".repeat(n), "]".repeat(n)),
    );
    write(&dir, "q.kql", "T | count");
    let run = run_capped(&dir, &["run", "--table", "T=t.jsonl", "q.kql"], SECS);
    assert_clean_failure(&run, "t.jsonl:1", 300);
}

#[test]
fn a_join_of_9k_by_10k_rows_stops_at_max_memory_before_the_memory_exists() {
    let dir = scratch("join");
    let q = "let L = range i from 1 to 9000 step 1 | extend k = 1, s = strrep('x', 100);\n\
             let R = range j from 1 to 10000 step 1 | extend k = 1;\n\
             L | join kind=inner R on k | count\n";
    write(&dir, "q.kql", q);
    let run = run_capped(&dir, &["run", "--max-memory", "200MB", "q.kql"], SECS);
    assert_clean_failure(&run, "E1107", 600);
    // The error points at the join.
    assert!(run.stderr.contains("q.kql:3:5"), "{}", clip(&run.stderr));
}

/// Runs `query` with `--max-memory 100MB` and expects E1107 within
/// `max_mb` of peak memory.
fn assert_stops_at_100mb(case: &str, query: &str, max_mb: u64) {
    let dir = scratch(case);
    write(&dir, "q.kql", query);
    let run = run_capped(&dir, &["run", "--max-memory", "100MB", "q.kql"], SECS);
    assert_clean_failure(&run, "E1107", max_mb);
}

#[test]
fn a_streaming_summarize_of_unique_keys_reserves_its_groups() {
    // Before: 385 MB and a result, past the limit.
    assert_stops_at_100mb(
        "sum-unique",
        "range i from 1 to 3000000 step 1 | extend k = strcat('key number ', i) \
         | summarize count() by k | count\n",
        300,
    );
}

#[test]
fn make_list_make_set_and_make_bag_reserve_what_they_keep() {
    assert_stops_at_100mb(
        "make-list",
        "range i from 1 to 1000000 step 1 \
         | summarize l = make_list(strrep('x', 300)) by g = i % 1000 | count\n",
        200,
    );
    // Before: 554 MB.
    assert_stops_at_100mb(
        "make-set",
        "range i from 1 to 1000000 step 1 \
         | summarize l = make_set(strcat(strrep('x', 100), i)) by g = i % 1000 | count\n",
        400,
    );
    // Before: 434 MB.
    assert_stops_at_100mb(
        "make-bag",
        "range i from 1 to 1000000 step 1 \
         | summarize l = make_bag(bag_pack(strcat('k', i), strrep('x', 300))) by g = i % 1000 \
         | count\n",
        300,
    );
}

#[test]
fn bag_pack_results_are_reserved_before_they_are_built() {
    // Before: 451 MB (the sort's input was reserved once it existed).
    assert_stops_at_100mb(
        "pack",
        "range i from 1 to 1000000 step 1 | extend d = bag_pack('k', strrep('x', 2000), 'i', i) \
         | sort by i desc | take 1 | project i\n",
        250,
    );
}

/// Deletes a scratch folder when dropped, so that a large input never
/// stays behind, whether the case passes or fails.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `name` in `dir`: `lines` lines made by `line(i)`.
fn write_lines(dir: &Path, name: &str, lines: usize, line: impl Fn(usize) -> String) {
    use std::io::Write;
    let file = std::fs::File::create(dir.join(name)).expect("create input");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    for i in 0..lines {
        out.write_all(line(i).as_bytes()).expect("write input");
    }
    out.flush().expect("flush input");
}

#[test]
fn a_gigabyte_json_lines_load_stops_at_max_memory_before_the_memory_exists() {
    let dir = scratch("load-budget");
    let _cleanup = Cleanup(dir.clone());
    // ≈ 1 GB: 8 million lines of ≈ 130 bytes.
    let pad = "p".repeat(80);
    write_lines(&dir, "t.jsonl", 8_000_000, |i| {
        format!(
            "{{\"id\":{i},\"user\":\"u{}\",\"pad\":\"{pad}\",\"ok\":true}}\n",
            i % 5000
        )
    });
    write(&dir, "q.kql", "T | count");
    let run = run_capped(
        &dir,
        &[
            "run",
            "--max-memory",
            "200MB",
            "--table",
            "T=t.jsonl",
            "q.kql",
        ],
        SECS,
    );
    assert_clean_failure(&run, "E1107", 600);
    assert!(run.stderr.contains("t.jsonl"), "{}", clip(&run.stderr));
}

#[test]
fn a_large_csv_load_stops_at_max_memory() {
    let dir = scratch("csv-budget");
    let _cleanup = Cleanup(dir.clone());
    // ≈ 300 MB against a 100 MB budget.
    let pad = "p".repeat(80);
    write_lines(&dir, "t.csv", 3_000_000, |i| {
        if i == 0 {
            "id,user,pad\n".to_string()
        } else {
            format!("{i},u{},{pad}\n", i % 5000)
        }
    });
    write(&dir, "q.kql", "T | count");
    let run = run_capped(
        &dir,
        &[
            "run",
            "--max-memory",
            "100MB",
            "--table",
            "T=t.csv",
            "q.kql",
        ],
        SECS,
    );
    assert_clean_failure(&run, "E1107", 400);
}

#[test]
fn a_range_of_a_hundred_million_strcats_stops_with_e1107() {
    let dir = scratch("strcat");
    write(
        &dir,
        "q.kql",
        "range i from 1 to 100000000 step 1 | extend s = strcat('row ', i, ' of many') | count\n",
    );
    let run = run_capped(&dir, &["run", "--max-memory", "1GB", "q.kql"], SECS);
    assert_clean_failure(&run, "E1107", 1500);
}

#[test]
fn a_zlib_bomb_stops_at_the_memory_limit() {
    let dir = scratch("zlib");
    // 1 GiB of zeros in about 1.4 MB of query text.
    let bomb = support::zlib_bomb(1024);
    write(
        &dir,
        "q.kql",
        &format!("print n = strlen(zlib_decompress_from_base64_string('{bomb}'))\n"),
    );
    let run = run_capped(&dir, &["run", "--max-memory", "100MB", "q.kql"], SECS);
    assert_clean_failure(&run, "E1107", 400);
}

#[test]
fn bag_unpack_with_a_new_key_per_row_stops_at_the_memory_limit() {
    let dir = scratch("unpack");
    write(
        &dir,
        "q.kql",
        "range i from 1 to 200000 step 1 | extend d = bag_pack(strcat('k', i), i) | evaluate bag_unpack(d) | count\n",
    );
    let run = run_capped(&dir, &["run", "--max-memory", "100MB", "q.kql"], SECS);
    assert_clean_failure(&run, "E1107", 600);
}

#[test]
fn nested_replace_string_doublings_stop_at_the_timeout() {
    let dir = scratch("doubling");
    let mut e = String::from("strrep('a', 64)");
    for _ in 0..26 {
        e = format!("replace_string({e}, 'a', 'aa')");
    }
    write(&dir, "q.kql", &format!("print n = strlen({e})\n"));
    // Without a timeout the doublings run until one value would pass the
    // 32 MiB cap (E1107, seconds in a debug build); before that cap they
    // ran for over a minute. With one, the call running at the deadline
    // stops mid-way (each call sees the deadline), well before the cap.
    let run = run_capped(&dir, &["run", "--timeout", "300ms", "q.kql"], SECS);
    assert_clean_failure(&run, "E1106", 600);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    let run = run_capped(&dir, &["run", "q.kql"], SECS);
    assert_clean_failure(&run, "E1107", 1500);
}

/// Found by the `functions` fuzz target: writing a million repeated bags
/// as text went through a JSON tree of each (1.1 GB for `tostring`, 3.8 GB
/// with `dynamic_to_json` and `gzip_compress_to_base64_string`).
#[test]
fn a_million_repeated_bags_are_written_as_text_without_a_json_tree() {
    let dir = scratch("repeat-json");
    let bag = r#"dynamic({"a": {"b": [1, 2, {"c": "d"}]}})"#;
    write(
        &dir,
        "tostring.kql",
        &format!(
            "range i from 1 to 3 step 1 | extend x = tostring(repeat({bag}, 2147483647)) \
             | project n = strlen(x)\n"
        ),
    );
    let run = run_capped(&dir, &["run", "tostring.kql"], SECS);
    assert_success(&run, 500);
    assert!(run.stdout.contains("29360129"), "{}", clip(&run.stdout));
    write(
        &dir,
        "gzip.kql",
        &format!(
            "range i from 1 to 3 step 1 | extend x = extract_all(gzip_compress_to_base64_string(\
             dynamic_to_json(repeat({bag}, 100000000))), 'aa') | project n = array_length(x)\n"
        ),
    );
    let run = run_capped(&dir, &["run", "gzip.kql"], SECS);
    assert_clean_failure(&run, "E1100", 500);
}
