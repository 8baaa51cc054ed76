//! The `evaluate` plugins `rows_near`, `preview` and `funnel_sequence`,
//! pinned from the examples of Microsoft's reference pages and edge cases.

use kqlite_engine::engine::QueryOutput;
use kqlite_engine::{Engine, RunOptions, Table, Value};

fn execute(q: &str) -> QueryOutput {
    Engine::new()
        .execute(q, &RunOptions::default())
        .unwrap_or_else(|e| panic!("query failed: {e}\n{q}"))
}

fn fails(q: &str) -> String {
    match Engine::new().execute(q, &RunOptions::default()) {
        Ok(_) => panic!("query should fail: {q}"),
        Err(e) => format!("{e:?}"),
    }
}

fn names(t: &Table) -> Vec<String> {
    t.column_names().map(str::to_string).collect()
}

fn texts(t: &Table) -> Vec<Vec<String>> {
    t.rows()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Null => "null".to_string(),
                    v => v.to_string(),
                })
                .collect()
        })
        .collect()
}

const STATES: &str = r#"datatable (Timestamp:datetime, Value:long, State:string )
[
    datetime(2021-06-01), 1, "Success",
    datetime(2021-06-02), 4, "Success",
    datetime(2021-06-03), 3, "Success",
    datetime(2021-06-04), 11, "Success",
    datetime(2021-06-05), 15, "Success",
    datetime(2021-06-06), 2, "Success",
    datetime(2021-06-07), 19, "Error",
    datetime(2021-06-08), 12, "Success",
    datetime(2021-06-09), 7, "Success",
    datetime(2021-06-10), 9, "Success",
    datetime(2021-06-11), 4, "Success",
    datetime(2021-06-12), 1, "Success",
]
| sort by Timestamp asc
"#;

fn values(t: &Table) -> Vec<String> {
    texts(t).into_iter().map(|r| r[1].clone()).collect()
}

#[test]
fn rows_near_keeps_the_rows_around_a_true_condition_as_the_page_shows() {
    let out = execute(&format!(
        "{STATES}| evaluate rows_near(State == \"Error\", 2)"
    ));
    assert_eq!(names(&out.table), ["Timestamp", "Value", "State"]);
    assert_eq!(values(&out.table), ["15", "2", "19", "12", "7"]);
    assert_eq!(texts(&out.table)[0][0], "2021-06-05T00:00:00.0000000Z");
    assert!(out.more.is_empty());
}

#[test]
fn rows_near_takes_a_separate_count_of_rows_after() {
    let out = execute(&format!(
        "{STATES}| evaluate rows_near(State == \"Error\", 1, 3)"
    ));
    assert_eq!(values(&out.table), ["2", "19", "12", "7", "9"]);
    let out = execute(&format!(
        "{STATES}| evaluate rows_near(State == \"Error\", 0, 0)"
    ));
    assert_eq!(values(&out.table), ["19"]);
}

#[test]
fn rows_near_merges_overlapping_spans_and_clips_them_at_the_ends() {
    let out = execute(&format!("{STATES}| evaluate rows_near(Value < 3, 1)"));
    // Values 1 (first row), 2 and 1 (last row) are below 3.
    assert_eq!(values(&out.table), ["1", "4", "15", "2", "19", "4", "1"]);
}

#[test]
fn rows_near_over_empty_input_or_a_null_condition_returns_no_rows() {
    let out = execute(&format!(
        "{STATES}| where Value > 100 | evaluate rows_near(State == \"Error\", 2)"
    ));
    assert_eq!(names(&out.table), ["Timestamp", "Value", "State"]);
    assert!(texts(&out.table).is_empty());
    let out = execute("datatable(x: long)[1, 2] | evaluate rows_near(x > long(null), 5)");
    assert!(texts(&out.table).is_empty());
}

#[test]
fn rows_near_checks_its_arguments() {
    assert!(fails("print x = 1 | evaluate rows_near(x, 1)").contains("must be a bool"));
    assert!(fails("print x = 1 | evaluate rows_near(x > 0, -1)").contains("non-negative"));
    assert!(fails("print x = 1 | evaluate rows_near(x > 0)").contains("E1003"));
}

#[test]
fn preview_returns_the_first_rows_then_the_count_of_all_rows() {
    let out = execute("range x from 1 to 10 step 1 | evaluate preview(3)");
    assert_eq!(texts(&out.table), [["1"], ["2"], ["3"]]);
    assert_eq!(out.more.len(), 1);
    let (name, count) = &out.more[0];
    assert_eq!(name, "");
    assert_eq!(names(count), ["Count"]);
    assert_eq!(texts(count), [["10"]]);
}

#[test]
fn preview_of_empty_input_returns_no_rows_and_a_zero_count() {
    let out = execute("range x from 1 to 0 step 1 | evaluate preview(5)");
    assert!(texts(&out.table).is_empty());
    assert_eq!(texts(&out.more[0].1), [["0"]]);
    assert!(fails("print x = 1 | evaluate preview('a')").contains("non-negative"));
}

const STORMS: &str = r#"datatable(EpisodeId: long, StartTime: datetime, EventType: string)[
  1, datetime(2007-01-01 01:00), "Hail",
  1, datetime(2007-01-01 02:00), "Tornado",
  1, datetime(2007-01-01 02:30), "Tornado",
  1, datetime(2007-01-01 03:00), "Hail",
  2, datetime(2007-01-01 01:00), "Tornado",
  2, datetime(2007-01-01 05:00), "Flood",
  3, datetime(2007-03-02 01:00), "Thunderstorm Wind",
  3, datetime(2007-03-02 02:00), "Tornado",
  4, datetime(2007-05-03 01:00), "Hail",
  4, datetime(2007-05-03 02:00), "Tornado",
  4, datetime(2007-05-03 02:10), "Thunderstorm Wind",
  4, datetime(2007-05-05 02:10), "Hail",
  5, datetime(2007-06-03 01:00), "Hail",
  5, datetime(2007-06-03 02:00), "Flood",
  6, datetime(2008-02-01 01:00), "Tornado",
]
"#;

#[test]
fn funnel_sequence_returns_prev_next_then_prev_then_next_tables() {
    // The page's query shape: one 365-day window, a 1-day step window.
    let out = execute(&format!(
        "{STORMS}| evaluate funnel_sequence(EpisodeId, StartTime, datetime(2007-01-01), \
         datetime(2008-01-01), 1d, 365d, EventType, dynamic(['Tornado']))"
    ));
    assert_eq!(
        names(&out.table),
        ["StartTime", "prev", "next", "dcount", "samples"]
    );
    let w = "2007-01-01T00:00:00.0000000Z";
    // Episode 1's two tornadoes are one step; episode 4's last hail comes
    // two days later, past the 1-day step window; 5 has no tornado and 6 is
    // after End.
    assert_eq!(
        texts(&out.table),
        [
            [w, "", "Flood", "1", "[2]"],
            [w, "Hail", "Hail", "1", "[1]"],
            [w, "Hail", "Thunderstorm Wind", "1", "[4]"],
            [w, "Thunderstorm Wind", "", "1", "[3]"],
        ]
    );
    assert_eq!(out.more.len(), 2);
    let prev = &out.more[0].1;
    assert_eq!(names(prev), ["StartTime", "prev", "dcount", "samples"]);
    assert_eq!(
        texts(prev),
        [
            [w, "Hail", "2", "[1,4]"],
            [w, "", "1", "[2]"],
            [w, "Thunderstorm Wind", "1", "[3]"],
        ]
    );
    let next = &out.more[1].1;
    assert_eq!(names(next), ["StartTime", "next", "dcount", "samples"]);
    assert_eq!(
        texts(next),
        [
            [w, "", "1", "[3]"],
            [w, "Flood", "1", "[2]"],
            [w, "Hail", "1", "[1]"],
            [w, "Thunderstorm Wind", "1", "[4]"],
        ]
    );
}

#[test]
fn funnel_sequence_follows_a_longer_sequence_per_window() {
    let out = execute(&format!(
        "{STORMS}| evaluate funnel_sequence(EpisodeId, StartTime, datetime(2007-01-01), \
         datetime(2008-01-01), 1d, 90d, EventType, dynamic(['Hail', 'Tornado', 'Thunderstorm Wind']))"
    ));
    // Only episode 4 goes Hail -> Tornado -> Thunderstorm Wind, in the
    // window starting 2007-04-01.
    assert_eq!(
        texts(&out.more[1].1),
        [["2007-04-01T00:00:00.0000000Z", "", "1", "[4]"]]
    );
}

#[test]
fn funnel_sequence_over_empty_input_returns_three_empty_tables() {
    let out = execute(&format!(
        "{STORMS}| where EpisodeId > 100 | evaluate funnel_sequence(EpisodeId, StartTime, \
         datetime(2007-01-01), datetime(2008-01-01), 1d, 365d, EventType, dynamic(['Tornado']))"
    ));
    assert!(texts(&out.table).is_empty());
    assert_eq!(out.more.len(), 2);
    assert!(out.more.iter().all(|(_, t)| t.num_rows() == 0));
}

#[test]
fn funnel_sequence_checks_its_arguments() {
    let q = |args: &str| format!("{STORMS}| evaluate funnel_sequence({args})");
    assert!(fails(&q("EpisodeId, StartTime, datetime(2007-01-01), datetime(2008-01-01), 1d, 0d, EventType, dynamic(['Tornado'])"))
        .contains("`Step` must be positive"));
    assert!(fails(&q("EpisodeId, StartTime, datetime(2007-01-01), datetime(2008-01-01), 1d, 1d, EventType, dynamic([])"))
        .contains("`Sequence`"));
    assert!(fails(&q(
        "EpisodeId, StartTime, 1d, datetime(2008-01-01), 1d, 1d, EventType, dynamic(['a'])"
    ))
    .contains("`Start`"));
    assert!(fails(&q("EpisodeId, StartTime")).contains("E1003"));
}
