//! Hostile queries: edge values, empty inputs and nonsense that must come
//! back as a result or a typed error, never as a panic or a hang. Inputs the
//! `pipeline` fuzz target (fuzz/fuzz_targets/pipeline.rs) finds are added
//! here once fixed.

use kqlite_engine::engine::codes;
use kqlite_engine::eval::Limits;
use kqlite_engine::{Engine, QueryError, RunOptions};

/// 2024-06-01T00:00:00Z in ticks, as the fuzz target uses.
const NOW: i64 = 638_527_968_000_000_000;

const BASE: &str = r#"let Base = datatable(L: long, S: string, T: datetime, D: dynamic, R: real, B: bool, Ts: timespan) [
    9223372036854775807, "", datetime(0001-01-01), dynamic(null), real(nan), bool(null), timespan(null),
    long(null), "ünï", datetime(9999-12-31T23:59:59.9999999Z), dynamic([[1], [2, 3], []]), real(+inf), true, 10675199d,
    -9223372036854775807, "a,b;c", datetime(null), dynamic({"a": {"b": [1, "x", null]}}), -0.0, false, -1h,
];
"#;

/// Runs `query` after the `Base` table and returns the outcome; an internal
/// error counts as a failure (it is a broken invariant).
fn outcome(query: &str) -> Result<usize, String> {
    let mut engine = Engine::new();
    // A hang shows up as a timeout error instead of a stuck test run.
    engine.set_limits(Limits {
        max_rows: 100_000,
        max_memory: 256 << 20,
        timeout: Some(std::time::Duration::from_secs(20)),
        ..Limits::default()
    });
    let opts = RunOptions {
        now: Some(NOW),
        ..RunOptions::default()
    };
    let text = format!("{BASE}{query}");
    match engine.run_with(&text, &opts) {
        Ok(t) => Ok(t.num_rows()),
        Err(QueryError::Internal(m)) => panic!("internal error: {m}\n{text}"),
        Err(e) if e.diagnostics().iter().any(|d| d.code == codes::TIMED_OUT) => {
            panic!("hung: {e}\n{text}")
        }
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn arithmetic_at_the_edges_of_long_is_null_or_an_error_not_a_panic() {
    for q in [
        "Base | extend x = L + 1, y = L * L, z = -L, w = L / 0, v = L % 0",
        "Base | extend x = long(-9223372036854775808) / -1, y = long(-9223372036854775808) % -1",
        "Base | extend x = abs(long(-9223372036854775808)), y = -long(-9223372036854775808)",
        "Base | extend x = T + Ts, y = T - datetime(0001-01-01), z = Ts * 9223372036854775807",
        "Base | extend x = bin(L, 0), y = bin(T, 0s), z = bin(R, 0.0), w = bin(L, -1)",
        "Base | extend x = tolong(R), y = toint(L), z = todatetime(L), w = totimespan(R)",
        "Base | summarize sum(L), avg(L), sum(R), avg(R), stdev(L), variance(R)",
        "Base | extend x = round(R, 400), y = pow(L, L), z = exp(R), w = log(L)",
    ] {
        let _ = outcome(q);
    }
}

#[test]
fn operators_on_empty_and_null_inputs_do_not_panic() {
    for q in [
        "Base | take 0 | summarize count(), make_set(S), arg_max(L, *) by T",
        "Base | take 0 | join kind=fullouter (Base) on L",
        "Base | take 0 | mv-expand D | top 3 by L",
        "Base | where false | union (Base | where false) | sort by L | distinct *",
        "Base | mv-expand D | mv-expand D | summarize dcount(tostring(D))",
        "Base | mv-expand D to typeof(long) limit 0",
        "Base | top long(null) by L",
        "Base | take long(null)",
        "Base | take -1",
        "Base | top -5 by T desc nulls first",
        "Base | summarize percentile(L, -1)",
        "Base | summarize percentile(R, 200), percentiles(L, 0, 100)",
        "Base | summarize make_list(D, 0), make_set(S, -1)",
    ] {
        let _ = outcome(q);
    }
}

#[test]
fn strings_and_dynamics_with_odd_shapes_do_not_panic() {
    for q in [
        "Base | extend x = substring(S, -1, 2), y = substring(S, 9223372036854775807), z = substring(\"ünï\", 1, 1)",
        "Base | extend x = split(S, \"\"), y = strrep(S, -1), z = indexof(S, \"\", -5)",
        "Base | extend x = extract(\"(\", 1, S)",
        "Base | extend y = extract(\"a\", 9, S), y2 = extract_all(\"(a)|(b)\", S)",
        "Base | where S matches regex \"[\"",
        "Base | extend x = D[9223372036854775807], y = D[-9223372036854775807], z = D.a.b[-1]",
        "Base | extend x = array_slice(D, -100, 100), y = array_rotate_left(D, 9223372036854775807)",
        "Base | extend x = parse_json(S), y = todynamic(\"[[[[[[[[[[1]]]]]]]]]]\"), z = bag_keys(D)",
        "Base | extend x = format_datetime(T, \"\"), y = format_timespan(Ts, \"dddddddd\")",
        "Base | extend z = datetime_part(\"x\", T)",
        "Base | extend x = base64_decode_tostring(S), y = url_decode(\"%\"), z = parse_url(S)",
    ] {
        let _ = outcome(q);
    }
}

#[test]
fn resource_hungry_queries_end_in_a_limit_error_quickly() {
    let start = std::time::Instant::now();
    for q in [
        "range x from 1 to 10000000000 step 1 | count",
        "range x from 1.0 to 1e300 step 1.0 | count",
        "range t from datetime(0001-01-01) to datetime(9999-12-31) step 1tick | count",
        "range x from 1 to 2000 step 1 | extend k = 1 | join kind=inner (range y from 1 to 2000 step 1 | extend k = 1) on k | count",
        "Base | make-series c = count() on T from datetime(0001-01-01) to datetime(9999-12-31) step 1tick",
        "range x from 1 to 50000 step 1 | extend d = range(1, 1000, 1) | mv-expand d | count",
    ] {
        let err = outcome(q).expect_err(q);
        assert!(
            err.contains("more than") || err.contains("limit"),
            "{q}: {err}"
        );
    }
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}
