//! Algebraic properties of the operators, checked through the public
//! [`Engine`] API on small generated `datatable`s: filters partition the
//! rows, sorting is stable and idempotent, grouping loses no row, projection
//! and its complement agree, and `take` never over- or under-delivers.

use kqlite_engine::{Engine, Table, Value};
use proptest::prelude::*;

/// One generated row: a row id (input order), a group key, a nullable long,
/// a nullable real and a nullable datetime.
#[derive(Debug, Clone)]
struct Row {
    k: &'static str,
    x: Option<i64>,
    y: Option<f64>,
    t: Option<i64>,
}

fn row() -> impl Strategy<Value = Row> {
    (
        prop::sample::select(vec!["a", "b", "c", "", "B"]),
        prop::option::of(-3i64..4),
        prop::option::of(prop::sample::select(vec![-1.5, 0.0, 0.5, 2.0, 1e10])),
        prop::option::of(0i64..5),
    )
        .prop_map(|(k, x, y, t)| Row { k, x, y, t })
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(row(), 0..24)
}

/// `let T = datatable(...)[...];` for `rows`, with `id` numbering them.
fn table_let(rows: &[Row]) -> String {
    let mut s =
        String::from("let T = datatable(id: long, k: string, x: long, y: real, t: datetime) [");
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let x = r.x.map_or("long(null)".to_string(), |v| v.to_string());
        let y =
            r.y.map_or("real(null)".to_string(), |v| format!("real({v:?})"));
        let t = r.t.map_or("datetime(null)".to_string(), |d| {
            format!("datetime(2024-01-0{}T00:00:00Z)", d + 1)
        });
        s.push_str(&format!("{i}, \"{}\", {x}, {y}, {t}", r.k));
    }
    s.push_str("];\n");
    s
}

fn run(rows: &[Row], query: &str) -> Table {
    let text = format!("{}{query}", table_let(rows));
    Engine::new()
        .run(&text)
        .unwrap_or_else(|e| panic!("query failed: {e}\n{text}"))
}

/// The single long in a one-cell result (`count`, `summarize sum(...)`).
fn scalar_long(t: &Table) -> i64 {
    match t.rows().next().as_deref() {
        Some([Value::Long(n)]) => *n,
        other => panic!("expected one long, got {other:?}"),
    }
}

fn long_column(t: &Table, name: &str) -> Vec<Option<i64>> {
    let col = t
        .column(name)
        .unwrap_or_else(|| panic!("no column `{name}`"));
    (0..t.num_rows())
        .map(|i| match col.get(i) {
            Value::Long(v) => Some(v),
            _ => None,
        })
        .collect()
}

/// Predicates over the generated columns; several can be null.
fn predicate() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        (-3i64..4).prop_map(|c| format!("x > {c}")),
        (-3i64..4).prop_map(|c| format!("x == {c}")),
        prop::sample::select(vec!["-1.5", "0.0", "1.0"]).prop_map(|c| format!("y <= {c}")),
        prop::sample::select(vec!["a", "b", "B"]).prop_map(|c| format!("k == \"{c}\"")),
        prop::sample::select(vec!["a", "b"]).prop_map(|c| format!("k =~ \"{c}\"")),
        (0i64..5).prop_map(|d| format!("t < datetime(2024-01-0{})", d + 1)),
        Just("isnull(x)".to_string()),
        Just("x % 2 == 0".to_string()),
    ];
    atom.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) and ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            inner.prop_map(|a| format!("not({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn where_p_and_where_not_p_and_null_p_partition_the_rows(rows in rows(), p in predicate()) {
        let yes = scalar_long(&run(&rows, &format!("T | where {p} | count")));
        let no = scalar_long(&run(&rows, &format!("T | where not({p}) | count")));
        let null = scalar_long(&run(&rows, &format!("T | where isnull({p}) | count")));
        let all = scalar_long(&run(&rows, "T | count"));
        prop_assert_eq!(all, rows.len() as i64);
        prop_assert_eq!(yes + no + null, all, "p = {}", p);
    }

    #[test]
    fn sort_is_stable_and_idempotent(
        rows in rows(),
        key in prop::sample::select(vec!["k", "x", "y", "t"]),
        dir in prop::sample::select(vec!["asc", "desc"]),
    ) {
        let once = run(&rows, &format!("T | sort by {key} {dir}"));
        let twice = run(&rows, &format!("T | sort by {key} {dir} | sort by {key} {dir}"));
        prop_assert_eq!(once.num_rows(), rows.len());
        prop_assert_eq!(
            once.rows().collect::<Vec<_>>(),
            twice.rows().collect::<Vec<_>>(),
            "sorting twice changed the order"
        );
        // Stable: rows with equal keys keep their input order (ids ascend).
        let keys = once.column(key).expect("the sort key is kept");
        let ids = long_column(&once, "id");
        for i in 1..once.num_rows() {
            if keys.get(i - 1) == keys.get(i) {
                prop_assert!(ids[i - 1] < ids[i], "rows {:?} and {:?} swapped", ids[i - 1], ids[i]);
            }
        }
        // Sorted: no adjacent pair of non-null keys is out of order.
        for i in 1..once.num_rows() {
            let (a, b) = (keys.get(i - 1), keys.get(i));
            let ord = match (&a, &b) {
                (Value::Long(a), Value::Long(b)) => a.partial_cmp(b),
                (Value::Real(a), Value::Real(b)) => a.partial_cmp(b),
                (Value::DateTime(a), Value::DateTime(b)) => a.partial_cmp(b),
                (Value::String(a), Value::String(b)) => a.partial_cmp(b),
                _ => None,
            };
            if let Some(ord) = ord {
                let ok = if dir == "asc" { ord.is_le() } else { ord.is_ge() };
                prop_assert!(ok, "{:?} before {:?} in a {} sort", a, b, dir);
            }
        }
    }

    #[test]
    fn summarize_count_by_a_key_sums_to_the_row_count(
        rows in rows(),
        key in prop::sample::select(vec!["k", "x", "y", "t"]),
    ) {
        let groups = run(&rows, &format!("T | summarize c = count() by {key}"));
        let total: i64 = long_column(&groups, "c").into_iter().flatten().sum();
        prop_assert_eq!(total, rows.len() as i64);
        let distinct = run(&rows, &format!("T | distinct {key}"));
        prop_assert_eq!(groups.num_rows(), distinct.num_rows());
    }

    #[test]
    fn project_and_project_away_of_the_rest_agree(
        rows in rows(),
        keep in prop::collection::vec(any::<bool>(), 5),
    ) {
        let all = ["id", "k", "x", "y", "t"];
        let kept: Vec<&str> = all.iter().zip(&keep).filter(|(_, k)| **k).map(|(c, _)| *c).collect();
        let away: Vec<&str> = all.iter().zip(&keep).filter(|(_, k)| !**k).map(|(c, _)| *c).collect();
        prop_assume!(!kept.is_empty());
        let projected = run(&rows, &format!("T | project {}", kept.join(", ")));
        let rest = if away.is_empty() {
            run(&rows, "T")
        } else {
            run(&rows, &format!("T | project-away {}", away.join(", ")))
        };
        prop_assert_eq!(projected.column_names().collect::<Vec<_>>(), kept);
        prop_assert_eq!(rest.column_names().collect::<Vec<_>>(), projected.column_names().collect::<Vec<_>>());
        prop_assert_eq!(rest.rows().collect::<Vec<_>>(), projected.rows().collect::<Vec<_>>());
    }

    #[test]
    fn take_n_gives_the_smaller_of_n_and_the_row_count(rows in rows(), n in 0usize..30) {
        let t = run(&rows, &format!("T | take {n}"));
        prop_assert_eq!(t.num_rows(), n.min(rows.len()));
        let sorted = run(&rows, &format!("T | sort by x | take {n}"));
        prop_assert_eq!(sorted.num_rows(), n.min(rows.len()));
    }
}
