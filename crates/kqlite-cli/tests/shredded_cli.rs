//! Object-valued `dynamic` columns that load shredded (typed child columns)
//! read and write exactly as the file holds them, through the built binary.

mod support;

use serde_json::value::RawValue;
use support::{empty_scratch, kqlite_at_root, stderr, stdout, write};

/// The raw JSON text of `columns` in each line of `text`.
fn raw_cells(text: &str, columns: &[&str]) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            let raw: std::collections::HashMap<&str, &RawValue> =
                serde_json::from_str(line).expect("a JSON object per line");
            columns
                .iter()
                .map(|c| raw.get(c).map_or("null", |r| r.get()).to_string())
                .collect()
        })
        .collect()
}

#[test]
fn the_wide_shapes_object_columns_are_written_back_byte_for_byte() {
    let dir = empty_scratch("shredded_cli_round_trip");
    let o = kqlite_at_root(&[
        "gen",
        "--shape",
        "wide-unordered",
        "--rows",
        "3000",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let input = dir.join("SigninLogs.jsonl");
    let query = write(
        &dir,
        "q.kql",
        "SigninLogs | project LocationDetails, DeviceDetail, Status",
    );
    let o = kqlite_at_root(&[
        "run",
        &query,
        "--table",
        &format!("SigninLogs={}", input.display()),
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let columns = ["LocationDetails", "DeviceDetail", "Status"];
    let expected = raw_cells(&std::fs::read_to_string(&input).unwrap(), &columns);
    let got = raw_cells(&stdout(&o), &columns);
    assert_eq!(got.len(), 3000);
    assert_eq!(got, expected);
}

#[test]
fn properties_of_a_shredded_column_filter_group_and_convert_like_plain_values() {
    // 2,000 rows of one shape (shredded at load) with odd rows mixed in.
    let mut text = String::new();
    for i in 0..2000 {
        let line = match i % 50 {
            3 => format!("{{\"i\":{i},\"d\":null}}"),
            4 => format!("{{\"i\":{i},\"d\":{{\"c\":\"KP\"}}}}"),
            5 => format!("{{\"i\":{i},\"d\":{{\"c\":7,\"n\":{{\"x\":1}}}}}}"),
            _ => format!(
                "{{\"i\":{i},\"d\":{{\"c\":\"{}\",\"n\":{{\"x\":{}.5}}}}}}",
                ["KP", "DE", "US"][i % 3],
                i % 4
            ),
        };
        text.push_str(&line);
        text.push('\n');
    }
    let dir = empty_scratch("shredded_cli_kernels");
    let data = write(&dir, "T.jsonl", &text);
    let query = write(
        &dir,
        "q.kql",
        "T | extend c = tostring(d.c), x = d.n.x, e = isempty(d.c), k = tostring(d[\"c\"])
           | where c in (\"KP\", \"7\") or x > 2.0
           | summarize rows = count(), xs = sum(todouble(x)), empties = countif(e), same = countif(k == c) by c
           | order by c asc",
    );
    let o = kqlite_at_root(&[
        "run",
        &query,
        "--table",
        &format!("T={data}"),
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Rows kept: c == "KP" (every third regular row plus the 40 `{"c":"KP"}`
    // rows), c == "7" (40 rows), and x > 2 (2.5 or 3.5) among the others.
    let regular: Vec<usize> = (0..2000).filter(|i| !(3..=5).contains(&(i % 50))).collect();
    let x = |i: usize| (i % 4) as f64 + 0.5;
    let group = |k: usize, all: bool| -> (usize, f64) {
        let rows: Vec<usize> = regular
            .iter()
            .copied()
            .filter(|&i| i % 3 == k && (all || x(i) > 2.0))
            .collect();
        (rows.len(), rows.iter().map(|&i| x(i)).sum())
    };
    let (kp, kp_x) = group(0, true);
    let (de, de_x) = group(1, false);
    let (us, us_x) = group(2, false);
    let kp = kp + 40;
    let expected = format!(
        "c,rows,xs,empties,same\n7,40,40,0,40\nDE,{de},{de_x},0,{de}\nKP,{kp},{kp_x},0,{kp}\nUS,{us},{us_x},0,{us}\n"
    );
    assert_eq!(stdout(&o), expected);
}
