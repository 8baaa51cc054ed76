//! The memory budget is reserved before data is built: queries that would
//! need far more than the budget end with `E1107` quickly, without the
//! memory ever existing, and values built by one function call are capped.

use std::io::Write;
use std::time::{Duration, Instant};

use kqlite_engine::engine::codes;
use kqlite_engine::eval::{Limits, MAX_VALUE_BYTES};
use kqlite_engine::{Engine, QueryError};

fn engine(max_memory: usize) -> Engine {
    let mut e = Engine::new();
    e.set_limits(Limits {
        max_memory,
        ..Limits::default()
    });
    e.set_now(638_527_968_000_000_000);
    e
}

fn code(err: &QueryError) -> &'static str {
    err.code().unwrap_or("")
}

/// Runs `query` and asserts it fails with `E1107` in seconds (unchecked,
/// each would take minutes and gigabytes).
fn assert_out_of_memory(e: &Engine, query: &str) -> QueryError {
    let start = Instant::now();
    let err = e.run(query).expect_err("the query exceeds its budget");
    assert_eq!(code(&err), codes::TOO_MUCH_MEMORY, "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    err
}

#[test]
fn a_join_whose_output_exceeds_the_budget_fails_before_its_rows_exist() {
    // 20,000 x 20,000 rows on one key: 400M output rows, gigabytes (and
    // minutes) if they were built before being counted.
    let q = "let L = range i from 1 to 20000 step 1 | extend k = 1;\
             let R = range j from 1 to 20000 step 1 | extend k = 1;\
             L | join kind=inner R on k | count";
    assert_out_of_memory(&engine(20 << 20), q);
    // The same join on 300 rows a side fits.
    let small = q.replace("20000", "300");
    assert!(engine(20 << 20).run(&small).is_ok());
}

#[test]
fn a_range_is_reserved_before_it_is_filled() {
    let err = assert_out_of_memory(&engine(1 << 20), "range x from 1 to 1000000 step 1");
    assert!(err.to_string().contains("memory limit"), "{err}");
}

#[test]
fn intermediate_results_alive_at_once_count_together() {
    // Each side alone (8 MB) fits a 12 MB budget; both at once do not.
    let q = "range x from 1 to 1000000 step 1 \
             | join kind=leftsemi (range x from 1 to 1000000 step 1) on x | count";
    assert_out_of_memory(&engine(12 << 20), q);
    assert!(engine(12 << 20)
        .run("range x from 1 to 1000000 step 1 | count")
        .is_ok());
}

#[test]
fn bag_unpack_with_a_new_key_per_row_fails_before_building_its_columns() {
    // 20,000 rows x 20,000 properties would be about 10 GB of cells.
    let q = "range x from 1 to 20000 step 1 \
             | extend d = bag_pack(strcat('k', x), x) | evaluate bag_unpack(d) | count";
    assert_out_of_memory(&engine(100 << 20), q);
}

#[test]
fn sort_and_summarize_reserve_their_output() {
    let e = engine(16 << 20);
    assert_out_of_memory(
        &e,
        "range x from 1 to 1000000 step 1 | summarize make_list(x) by x % 10",
    );
    assert_out_of_memory(&e, "range x from 1 to 700000 step 1 | sort by x asc");
}

#[test]
fn mv_expand_reserves_its_rows_before_expanding() {
    let q = "range x from 1 to 1000 step 1 \
             | extend a = range(1, 1000, 1) | mv-expand a | count";
    assert_out_of_memory(&engine(16 << 20), q);
}

#[test]
fn a_decompression_bomb_stops_at_the_cap_on_one_value() {
    // 64 MiB of zeros compress to about 64 KB.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        z.write_all(&zeros).expect("compresses");
    }
    let packed = z.finish().expect("compresses");
    let b64 = base64_encode(&packed);
    let q = format!("print n = strlen(zlib_decompress_from_base64_string('{b64}'))");
    let err = assert_out_of_memory(&engine(1 << 30), &q);
    assert!(
        err.to_string().contains("one string or dynamic value"),
        "{err}"
    );
    // Under the cap it inflates.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&zeros).expect("compresses");
    let b64 = base64_encode(&z.finish().expect("compresses"));
    let q = format!("print n = strlen(zlib_decompress_from_base64_string('{b64}'))");
    let t = engine(1 << 30).run(&q).expect("1 MiB inflates");
    assert_eq!(t.row(0)[0].to_string(), (1 << 20).to_string());
}

#[test]
fn string_functions_refuse_values_over_the_cap_before_building_them() {
    let e = engine(1 << 30);
    // 4 GB of text from three nested strreps.
    assert_out_of_memory(
        &e,
        "print strlen(strrep(strrep(strrep('abcd', 1024), 1024), 1024))",
    );
    // Each replace_string makes its text 64 times longer: the fourth
    // would be 256 MB.
    let rewrite = "a".repeat(64);
    let mut q = "strrep('a', 1024)".to_string();
    for _ in 0..4 {
        q = format!("replace_string({q}, 'a', '{rewrite}')");
    }
    assert_out_of_memory(&e, &format!("print strlen({q})"));
    // Each replace_regex makes its text 64 times longer: the fourth would
    // be 256 MB.
    let rewrite = "a".repeat(64);
    let mut q = "strrep('a', 1024)".to_string();
    for _ in 0..4 {
        q = format!("replace_regex({q}, 'a', '{rewrite}')");
    }
    assert_out_of_memory(&e, &format!("print strlen({q})"));
    // 64 copies of 576 KB: 36 MB.
    let a = vec!["a"; 64].join(", ");
    let b = vec!["b"; 64].join(", ");
    assert_out_of_memory(
        &e,
        &format!(
            "let a = strrep('abcdefghi', 1024); let b = strcat({a}); print strlen(strcat({b}))"
        ),
    );
    // Values within the cap are built as before.
    let t = e
        .run("print n = strlen(strrep(strrep('abcd', 1024), 1024))")
        .expect("4 MiB fits");
    assert_eq!(t.row(0)[0].to_string(), (4 << 20).to_string());
    const { assert!(MAX_VALUE_BYTES >= 4 << 20) };
}

#[test]
fn the_default_budget_comes_from_the_machine_and_is_at_most_8_gib() {
    let d = Limits::default().max_memory;
    assert!(d <= 8 << 30, "{d}");
    assert!(d >= 256 << 20, "{d}");
}

fn base64_encode(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Runs `query` and returns its single cell as text.
fn cell(e: &Engine, query: &str) -> String {
    let t = e.run(query).unwrap_or_else(|err| panic!("{query}: {err}"));
    t.row(0)[0].to_string()
}

#[test]
fn extract_all_with_a_pattern_matching_the_empty_string_stops_at_the_element_cap() {
    let e = engine(1 << 30);
    // Two million empty matches, one per position.
    let err = assert_out_of_memory(
        &e,
        "print array_length(extract_all('(x*)', strrep(strrep(strrep('a', 100), 100), 200)))",
    );
    assert!(err.to_string().contains("1048576"), "{err}");
    // With several groups each match is an array of them: the groups count.
    assert_out_of_memory(
        &e,
        "print array_length(extract_all('(x*)(y*)', strrep(strrep('a', 1000), 600)))",
    );
    // Long matches stop at the cap on bytes: 30 MB of text, each match
    // kept twice.
    assert_out_of_memory(
        &e,
        "let s = strcat(strrep(strrep('a', 1000), 1000), ' '); print array_length(extract_all('((a+))', strrep(s, 30)))",
    );
    // Under the caps, every match is kept.
    assert_eq!(
        cell(
            &e,
            "print array_length(extract_all('(x*)', strrep('a', 1000)))"
        ),
        "1001"
    );
}

#[test]
fn replace_regex_with_a_pattern_matching_the_empty_string_fails_before_building_its_result() {
    let e = engine(1 << 30);
    // A million and one empty matches, each replaced by 100 bytes: 100 MB.
    let rewrite = "b".repeat(100);
    assert_out_of_memory(
        &e,
        &format!("print strlen(replace_regex(strrep(strrep('a', 1000), 1000), 'x*', '{rewrite}'))"),
    );
    // A group reference counts as the longest it could be.
    assert_out_of_memory(
        &e,
        "print strlen(replace_regex(strrep(strrep(strrep('a', 1000), 1000), 20), '(a)', @'\\1\\1'))",
    );
    // Two million empty matches replaced by nothing: the text does not
    // grow, but the replacements stop at the cap (each empty match costs
    // a regex search).
    let err = assert_out_of_memory(
        &e,
        "print strlen(replace_regex(strrep(strrep(strrep('a', 100), 100), 200), '', ''))",
    );
    assert!(err.to_string().contains("1048576"), "{err}");
    // Results that fit are built exactly.
    assert_eq!(
        cell(
            &e,
            "print strlen(replace_regex(strrep('a', 1000), '', 'bb'))"
        ),
        "3002"
    );
    assert_eq!(
        cell(
            &e,
            "print strlen(replace_regex(strrep(strrep('a', 1000), 1000), 'a', ''))"
        ),
        "0"
    );
}

#[test]
fn split_stops_at_the_element_cap_on_one_array() {
    let e = engine(1 << 30);
    assert_out_of_memory(
        &e,
        "print array_length(split(strrep(strrep(strrep(',', 100), 100), 200), ','))",
    );
    assert_eq!(
        cell(&e, "print array_length(split(strrep('a,', 1000), ','))"),
        "1001"
    );
}

#[test]
fn array_builders_with_multiplying_arguments_are_measured_before_they_are_built() {
    let e = engine(1 << 30);
    // repeat shares one 1 MB string a thousand times: a gigabyte as text.
    assert_out_of_memory(
        &e,
        "print array_length(repeat(strrep(strrep('x', 1000), 1000), 1000))",
    );
    // strcat_array writes shared elements out: 64 copies of 1 MB.
    let s = vec!["s"; 64].join(", ");
    assert_out_of_memory(
        &e,
        &format!("let s = strrep(strrep('x', 1000), 1000); print strlen(strcat_array(pack_array({s}), ''))"),
    );
    // So do tostring and dynamic_to_json.
    for f in ["tostring", "dynamic_to_json"] {
        assert_out_of_memory(
            &e,
            &format!("let s = strrep(strrep('x', 1000), 1000); print strlen({f}(pack_array({s})))"),
        );
    }
    // array_concat of an array with itself doubles it past the element cap.
    assert_out_of_memory(
        &e,
        "let a = repeat(1, 700000); print array_length(array_concat(a, a))",
    );
    // zip's tuples hold an element of every array.
    assert_out_of_memory(
        &e,
        "let a = repeat(1, 700000); print array_length(zip(a, a))",
    );
    // Within the caps they work as before.
    assert_eq!(
        cell(
            &e,
            "let a = repeat(1, 500000); print array_length(array_concat(a, a))"
        ),
        "1000000"
    );
    assert_eq!(
        cell(&e, "print strlen(strcat_array(repeat('ab', 1000), '-'))"),
        "2999"
    );
}

#[test]
fn a_regex_whose_program_is_too_large_is_refused_before_it_runs() {
    let e = engine(1 << 30);
    // 50,000 literal characters compile to more than the regex program cap:
    // matched with captures over a text as long, it would run for seconds.
    let pattern = "ab".repeat(25_000);
    let q = format!("print extract_all('({pattern})', '{pattern}')");
    let start = Instant::now();
    let err = e.run(&q).expect_err("the pattern is too large");
    assert!(err.to_string().contains("regular expression"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(30));
    // A pattern built by another function, megabytes long, is refused
    // before it is parsed (parsing alone would take gigabytes).
    let err = e
        .run("print extract_all(strrep(strrep('(a)', 1000), 1000), 'a')")
        .expect_err("the pattern is too long");
    assert!(err.to_string().contains("16384"), "{err}");
    // Patterns of a realistic size, such as a long alternation, still work.
    let domains: Vec<String> = (0..300)
        .map(|i| format!("host{i}\\.example\\.com"))
        .collect();
    let q = format!(
        "print array_length(extract_all(@'({})', 'x host7.example.com y host299.example.com'))",
        domains.join("|")
    );
    assert_eq!(cell(&e, &q), "2");
}
