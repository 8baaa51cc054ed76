//! Every limit a query runs under: wall time, cancellation from another
//! thread, result rows (truncate or fail), memory and nesting depth. Each
//! ends in a typed error with its own code, quickly, without panicking.

use std::time::{Duration, Instant};

use kqlite_engine::engine::codes;
use kqlite_engine::eval::{CancelHandle, Limits, ResultOverflow};
use kqlite_engine::{Engine, QueryError, RunOptions, RunWarning};

/// A query that would run for minutes without a limit.
const RUNAWAY: &str = "range x from 1 to 10000000000 step 1 | count";

fn engine(limits: Limits) -> Engine {
    let mut e = Engine::new();
    e.set_limits(limits);
    e.set_now(638_527_968_000_000_000);
    e
}

fn code(err: &QueryError) -> &'static str {
    err.code().unwrap_or("")
}

#[test]
fn a_runaway_range_stops_at_its_timeout() {
    let e = engine(Limits {
        timeout: Some(Duration::from_millis(200)),
        ..Limits::unlimited()
    });
    let start = Instant::now();
    let err = e.run(RUNAWAY).unwrap_err();
    assert_eq!(code(&err), codes::TIMED_OUT, "{err}");
    assert!(err.to_string().contains("time limit"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_runaway_join_stops_at_its_timeout() {
    let e = engine(Limits {
        timeout: Some(Duration::from_millis(200)),
        ..Limits::unlimited()
    });
    // Every left row matches every right row: 10^12 output rows.
    let q = "let L = range i from 1 to 1000000 step 1 | extend k = 1; \
             let R = range j from 1 to 1000000 step 1 | extend k = 1; \
             L | join kind=inner R on k | count";
    let start = Instant::now();
    let err = e.run(q).unwrap_err();
    assert_eq!(code(&err), codes::TIMED_OUT, "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_cancel_handle_stops_a_query_running_on_another_thread() {
    let e = engine(Limits::unlimited());
    let cancel = CancelHandle::new();
    let opts = RunOptions {
        cancel: Some(cancel.clone()),
        ..RunOptions::default()
    };
    let worker = std::thread::spawn(move || {
        let start = Instant::now();
        (e.run_with(RUNAWAY, &opts), start)
    });
    std::thread::sleep(Duration::from_millis(100));
    let cancelled_at = Instant::now();
    cancel.cancel();
    let (result, _) = worker.join().expect("the query thread does not panic");
    let err = result.unwrap_err();
    assert_eq!(code(&err), codes::CANCELLED, "{err}");
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(2),
        "stopped {:?} after cancel",
        cancelled_at.elapsed()
    );
}

#[test]
fn a_query_started_with_a_cancelled_handle_does_not_run() {
    let cancel = CancelHandle::new();
    cancel.cancel();
    let opts = RunOptions {
        cancel: Some(cancel),
        ..RunOptions::default()
    };
    let err = engine(Limits::default())
        .run_with("print 1", &opts)
        .unwrap_err();
    assert_eq!(code(&err), codes::CANCELLED);
}

#[test]
fn a_long_result_is_truncated_to_the_limit_with_a_warning() {
    let e = engine(Limits {
        max_result_rows: 500,
        ..Limits::default()
    });
    let out = e
        .execute("range x from 1 to 1000 step 1", &RunOptions::default())
        .unwrap();
    assert_eq!(out.table.num_rows(), 500);
    assert_eq!(
        out.warnings,
        vec![RunWarning::Truncated {
            kept: 500,
            total: 1000
        }]
    );
    // The kept rows are the first ones, in order.
    assert_eq!(out.table.row(499), vec![kqlite_engine::Value::Long(500)]);
}

#[test]
fn the_default_result_limit_is_kustos_500000_rows() {
    let out = engine(Limits::default())
        .execute("range x from 1 to 500001 step 1", &RunOptions::default())
        .unwrap();
    assert_eq!(out.table.num_rows(), 500_000);
    assert_eq!(out.warnings.len(), 1);
    assert!(out.warnings[0]
        .to_string()
        .contains("500000 rows of 500001"));
}

#[test]
fn a_result_within_the_limit_has_no_warning() {
    let out = engine(Limits {
        max_result_rows: 10,
        ..Limits::default()
    })
    .execute("range x from 1 to 10 step 1", &RunOptions::default())
    .unwrap();
    assert_eq!(out.table.num_rows(), 10);
    assert!(out.warnings.is_empty());
}

#[test]
fn run_returns_every_row_because_it_cannot_warn() {
    let t = engine(Limits {
        max_result_rows: 5,
        ..Limits::default()
    })
    .run("range x from 1 to 10 step 1")
    .unwrap();
    assert_eq!(t.num_rows(), 10);
}

#[test]
fn a_long_result_is_an_error_in_error_mode() {
    let e = engine(Limits {
        max_result_rows: 5,
        result_overflow: ResultOverflow::Error,
        ..Limits::default()
    });
    for err in [
        e.run("range x from 1 to 10 step 1").unwrap_err(),
        e.execute("range x from 1 to 10 step 1", &RunOptions::default())
            .unwrap_err(),
    ] {
        assert_eq!(code(&err), codes::RESULT_TOO_LARGE);
        assert!(err.to_string().contains("10 rows"), "{err}");
    }
    // Intermediate results may be longer than the result limit.
    let t = e.run("range x from 1 to 10 step 1 | count").unwrap();
    assert_eq!(t.num_rows(), 1);
}

#[test]
fn an_operator_output_over_the_memory_limit_is_an_error() {
    let e = engine(Limits {
        max_memory: 1 << 20,
        ..Limits::default()
    });
    // 1M longs = 8 MB > 1 MiB, refused before it is allocated.
    let err = e
        .run("range x from 1 to 1000000 step 1 | count")
        .unwrap_err();
    assert_eq!(code(&err), codes::TOO_MUCH_MEMORY, "{err}");
    assert!(err.to_string().contains("memory limit"), "{err}");
    // A wide `extend` is measured after it runs.
    let err = e
        .run(
            "range x from 1 to 50000 step 1 \
             | extend s = strcat('a-long-padding-string-', tostring(x), '-', tostring(x)) \
             | extend t = strcat(s, s, s, s) | count",
        )
        .unwrap_err();
    assert_eq!(code(&err), codes::TOO_MUCH_MEMORY, "{err}");
    // Small queries are unaffected.
    assert!(e.run("range x from 1 to 1000 step 1 | count").is_ok());
}

#[test]
fn a_huge_range_is_refused_by_the_row_limit_before_allocating() {
    let start = Instant::now();
    let err = engine(Limits::default()).run(RUNAWAY).unwrap_err();
    assert_eq!(code(&err), codes::TOO_MANY_ROWS, "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn nesting_deeper_than_max_depth_is_a_parse_error() {
    let e = engine(Limits {
        max_depth: 20,
        ..Limits::default()
    });
    let deep = format!("print {}1{}", "(".repeat(30), ")".repeat(30));
    let err = e.run(&deep).unwrap_err();
    assert!(matches!(err, QueryError::Parse(_)), "{err}");
    assert_eq!(code(&err), kqlite_parser::diagnostic::codes::TOO_DEEP);
    // `check` uses the same limit.
    assert!(e
        .check(&deep)
        .iter()
        .any(|d| d.code == kqlite_parser::diagnostic::codes::TOO_DEEP));
    // The default (256) accepts it.
    assert!(engine(Limits::default()).run(&deep).is_ok());
}

#[test]
fn the_default_depth_limit_rejects_thousands_of_brackets_without_overflowing() {
    let deep = format!("print {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let err = engine(Limits::default()).run(&deep).unwrap_err();
    assert_eq!(code(&err), kqlite_parser::diagnostic::codes::TOO_DEEP);
}

#[test]
fn a_slow_expression_over_many_rows_stops_at_its_timeout() {
    let e = engine(Limits {
        timeout: Some(Duration::from_millis(300)),
        ..Limits::unlimited()
    });
    let q = "range x from 1 to 20000000 step 1 \
             | extend y = strcat(tostring(x), '-', tostring(x * 2), '-', tostring(x * 3)) \
             | where y has '7' | count";
    let start = Instant::now();
    let err = e.run(q).unwrap_err();
    assert_eq!(code(&err), codes::TIMED_OUT, "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn queries_nested_to_the_supported_depth_run_even_from_a_small_stack() {
    let e = engine(Limits {
        max_depth: usize::MAX,
        ..Limits::default()
    });
    let n = kqlite_engine::eval::MAX_SUPPORTED_DEPTH - 50;
    let brackets = format!("print {}1{}", "(".repeat(n), ")".repeat(n));
    let negations = format!("print {}1", "-".repeat(n));
    // Row chunks are evaluated on worker threads: they need the depth too.
    let chain = format!(
        "range x from 1 to 40000 step 1 | extend y = x{} | summarize max(y)",
        "+1".repeat(1000)
    );
    let too_deep = format!("print {}1", "-".repeat(n + 100));
    // A caller with a small stack, as a test thread or an async task has.
    let results = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            (
                e.run(&brackets).map(|t| t.row(0)),
                e.run(&negations).map(|t| t.num_rows()),
                e.run(&chain).map(|t| t.row(0)),
                e.run(&too_deep).map_err(|e| code(&e)),
                e.check(&brackets).len(),
            )
        })
        .expect("thread starts")
        .join()
        .expect("no stack overflow");
    assert_eq!(results.0.unwrap(), vec![kqlite_engine::Value::Long(1)]);
    assert_eq!(results.1.unwrap(), 1);
    assert_eq!(results.2.unwrap(), vec![kqlite_engine::Value::Long(41_000)]);
    assert_eq!(
        results.3.unwrap_err(),
        kqlite_parser::diagnostic::codes::TOO_DEEP
    );
    assert_eq!(results.4, 0);
}

#[test]
fn columns_shared_with_catalog_tables_do_not_count_toward_the_memory_limit() {
    let mut e = engine(Limits {
        max_memory: 4 << 20,
        ..Limits::default()
    });
    let big = engine(Limits::unlimited())
        .run("range x from 1 to 1000000 step 1")
        .unwrap();
    e.add_table("T", big);
    // 8 MB of `x`, but it is the catalog's column: nothing new is held.
    let err = e
        .run("T | project x | extend z = x + 1 | summarize max(z)")
        .unwrap_err();
    assert_eq!(
        code(&err),
        codes::TOO_MUCH_MEMORY,
        "`z` is 8 MB of new data"
    );
    let t = e.run("T | project x | summarize max(x), count()").unwrap();
    assert_eq!(t.row(0)[1], kqlite_engine::Value::Long(1_000_000));
    let err = e.run("T | extend y = x * 2 | count").unwrap_err();
    assert_eq!(code(&err), codes::TOO_MUCH_MEMORY, "{err}");
}
