//! Chunked parallel evaluation returns exactly what one thread returns.
//!
//! The inputs are large enough (300k rows) that filters, extends and
//! projections are split into row chunks on a multi-threaded pool.

use kqlite_engine::{Engine, Table};

fn engine(threads: usize) -> Engine {
    let mut e = Engine::new();
    e.set_threads(1);
    let data = e
        .run(
            r#"range i from 0 to 299999 step 1
            | extend user = strcat("user", tostring(i % 997)),
                     ip = strcat("10.0.", tostring(i % 251), ".", tostring(i % 13)),
                     agent = iff(i % 5 == 0, "Outlook Anywhere client", strcat("browser/", tostring(i))),
                     ok = iff(i % 3 == 0, long(null), i % 2),
                     t = datetime(2026-01-15) - i * 1s,
                     k = i / 10000,
                     m = (i * 7919) % 300000,
                     bag = bag_pack("country", iff(i % 7 == 0, "KP", "US"), "n", i)"#,
        )
        .expect("data builds");
    e.add_table("T", data);
    e.set_threads(threads);
    e.set_now(kqlite_engine::time::from_chrono(
        chrono::DateTime::parse_from_rfc3339("2026-01-15T00:00:00Z")
            .expect("valid")
            .with_timezone(&chrono::Utc),
    ));
    e
}

fn rows(t: &Table) -> Vec<String> {
    t.rows().map(|r| format!("{r:?}")).collect()
}

const QUERIES: &[&str] = &[
    "T | where t > ago(1d) | where ok == 0 | count",
    "T | where t > ago(12h) | where ok == 1 | extend c = tostring(bag.country) | where c in (\"KP\") | project i, user, ip, c",
    "T | extend legacy = agent has_any (\"IMAP\", \"Outlook Anywhere\") | where legacy or ok == 1 | project i, legacy, agent",
    "T | where i % 10 == 0 | extend n = row_number(), p = prev(i) | where n % 7 == 0 | project n, p, user",
    "T | where isnull(ok) | summarize c = count(), d = dcount(user) by ok",
    "T | extend u = toupper(user), len = strlen(agent) | where len > 12 | summarize count() by u | order by u asc | take 20",
    "T | project i, z = ok + 1, s = strcat(user, \"@\", ip) | where isnotnull(z) | order by i desc | take 50",
    "T | where agent startswith \"browser\" and t between (datetime(2026-01-14) .. datetime(2026-01-14T12:00:00Z)) | count",
    "T | where t > ago(1d) | summarize c = count(), d = dcount(ip), s = make_set(user, 5), lo = min(i), hi = max(t) by user, bin(t, 1h)",
    "T | where i % 3 == 1 | summarize n = countif(ok == 1), s = make_set_if(ip, ok == 0, 3), d = dcountif(agent, i % 2 == 0) by tostring(bag.country), ok",
    "T | where i > 100 | extend c = tostring(bag.country) | summarize make_set(c), max(user) by m % 7",
];

#[test]
fn every_query_returns_the_same_rows_on_one_and_four_threads() {
    let one = engine(1);
    let four = engine(4);
    assert_eq!(four.threads(), 4);
    for q in QUERIES {
        let a = one.run(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
        let b = four.run(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
        assert_eq!(a.schema(), b.schema(), "{q}");
        assert_eq!(rows(&a), rows(&b), "{q}");
        assert!(a.num_rows() > 0, "{q} should return rows");
    }
}

#[test]
fn runs_split_into_row_chunks_match_runs_in_one_piece() {
    // `rand() >= 0` keeps every row but is volatile, so a run holding it
    // is evaluated in one piece; without it the run goes chunk by chunk.
    for threads in [1, 4] {
        let e = engine(threads);
        for q in QUERIES {
            let whole = q.replacen("T |", "T | where rand() >= 0 |", 1);
            let a = e.run(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
            let b = e.run(&whole).unwrap_or_else(|e| panic!("{whole}: {e:?}"));
            assert_eq!(a.schema(), b.schema(), "{q}");
            assert_eq!(rows(&a), rows(&b), "{q} on {threads} threads");
        }
    }
}

#[test]
fn a_table_holding_some_schema_columns_reads_the_rest_as_nulls() {
    use kqlite_engine::DataType;
    let mut e = Engine::new();
    let data = e
        .run(r#"datatable(b: string, a: long) ["x", 1, "y", 2]"#)
        .expect("data builds");
    e.add_table_with_schema(
        "T",
        data,
        vec![
            ("a".into(), DataType::Long),
            ("c".into(), DataType::Real),
            ("b".into(), DataType::String),
        ],
    );
    let t = e.run("T | where a > 1 | project a, b, c").expect("runs");
    assert_eq!(
        rows(&t),
        vec![r#"[Long(2), String("y"), Null]"#.to_string()]
    );
    let t = e.run("T").expect("runs");
    assert_eq!(
        t.column_names().collect::<Vec<_>>(),
        vec!["a", "c", "b"],
        "a bare scan lays columns out as the schema"
    );
    let t = e.run("T | summarize n = countif(isnull(c))").expect("runs");
    assert_eq!(rows(&t), vec!["[Long(2)]".to_string()]);
}

#[test]
fn expressions_over_a_repetitive_dynamic_column_match_row_by_row_evaluation() {
    // 300k rows share 7 distinct bags: expressions reading only `bag` are
    // evaluated once per distinct bag; the answers must not change.
    use kqlite_engine::{Column, ColumnData, Dynamic};
    use std::sync::Arc;
    let bags: Vec<Dynamic> = (0..7)
        .map(|i| {
            let country = if i % 3 == 0 { "KP" } else { "US" };
            let json = serde_json::json!({ "country": country, "n": i });
            Dynamic::from_json(&json)
        })
        .collect();
    let column: Vec<Dynamic> = (0..300_000).map(|i| bags[(i * 31) % 7].clone()).collect();
    let table = Table::try_new(vec![(
        "bag".to_string(),
        Arc::new(Column::new(ColumnData::Dynamic(column))),
    )])
    .expect("table");
    let mut e = engine(1);
    e.add_table("T", table);
    let q = "T | extend c = tostring(bag.country), n = toint(bag.n) % 3, k = bag has \"KP\" \
             | where c == \"KP\" or n == 1 | summarize count() by c, n, k | order by c asc, n asc";
    let filtered = "T | where toint(bag.n) > 2 | where tostring(bag.country) == \"KP\" \
                    | extend c = tostring(bag.country), m = toint(bag.n) | summarize count() by c, m";
    for q in [q, filtered] {
        let fast = e.run(q).expect("runs");
        // Through `rand() >= 0` the same work cannot be shared per value.
        let slow_q = q.replace("bag.", "iff(rand() >= 0, bag, bag).");
        let slow = e.run(&slow_q).expect("runs");
        assert_eq!(rows(&fast), rows(&slow), "{q}");
        assert!(fast.num_rows() >= 1, "{q}");
    }
}

#[test]
fn take_from_a_table_copies_only_the_rows_it_returns() {
    let e = engine(2);
    let t = e.run("T | take 3").expect("runs");
    assert_eq!(t.num_rows(), 3);
    assert_eq!(t.num_columns(), 9);
    let first = e.run("T | where i < 3").expect("runs");
    assert_eq!(rows(&t), rows(&first));
    assert_eq!(e.run("T | take 0").expect("runs").num_rows(), 0);
    assert_eq!(
        rows(&e.run("T | where i > 5 | count").expect("runs")),
        vec!["[Long(299994)]".to_string()]
    );
}

#[test]
fn projecting_one_table_column_twice_keeps_both() {
    let e = engine(2);
    let t = e.run("T | project i, j = i | take 2").expect("runs");
    assert_eq!(rows(&t), vec!["[Long(0), Long(0)]", "[Long(1), Long(1)]"]);
}

#[test]
fn comparing_a_column_with_a_constant_matches_the_general_path() {
    // `t + 0s` / `i + 0` defeat the in-place scan, so both sides of each
    // pair take different paths to the same rows.
    let pairs = [
        (
            "T | where t > ago(6h) | count",
            "T | where t + 0s > ago(6h) | count",
        ),
        (
            "T | where ago(6h) < t | count",
            "T | where ago(6h) < t + 0s | count",
        ),
        (
            "T | where i == 777 | project i",
            "T | where i + 0 == 777 | project i",
        ),
        ("T | where i != 5 | count", "T | where i + 0 != 5 | count"),
        (
            "T | where 1000 >= i | count",
            "T | where 1000 >= i + 0 | count",
        ),
        (
            "T | where i <= 10 | where t >= datetime(2026-01-14T23:59:55Z) | count",
            "T | where i + 0 <= 10 | where t + 0s >= datetime(2026-01-14T23:59:55Z) | count",
        ),
        ("T | where ok == 1 | count", "T | where ok + 0 == 1 | count"),
        // Zone maps: boundaries of 8192-row zones, constant zones (`k`),
        // and a column in no order (`m`).
        (
            "T | where i > 8191 | count",
            "T | where i + 0 > 8191 | count",
        ),
        (
            "T | where i >= 8192 | count",
            "T | where i + 0 >= 8192 | count",
        ),
        (
            "T | where i < 16384 | count",
            "T | where i + 0 < 16384 | count",
        ),
        (
            "T | where i <= 16384 | count",
            "T | where i + 0 <= 16384 | count",
        ),
        (
            "T | where i == 8192 | project i",
            "T | where i + 0 == 8192 | project i",
        ),
        ("T | where k == 3 | count", "T | where k + 0 == 3 | count"),
        ("T | where k != 3 | count", "T | where k + 0 != 3 | count"),
        ("T | where k > 28 | count", "T | where k + 0 > 28 | count"),
        (
            "T | where m > 150000 | count",
            "T | where m + 0 > 150000 | count",
        ),
        (
            "T | where m == 7919 | project i",
            "T | where m + 0 == 7919 | project i",
        ),
        (
            "T | where t < datetime(2026-01-14T20:00:00Z) | count",
            "T | where t + 0s < datetime(2026-01-14T20:00:00Z) | count",
        ),
    ];
    for threads in [1, 4] {
        let e = engine(threads);
        for (fast, general) in pairs {
            let a = e.run(fast).expect("runs");
            let b = e.run(general).expect("runs");
            assert_eq!(rows(&a), rows(&b), "{fast} on {threads} threads");
        }
    }
}
