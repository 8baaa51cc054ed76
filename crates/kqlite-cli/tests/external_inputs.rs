//! What a detection reads from outside its tables, through the `kqlite`
//! binary: `--externaldata`, `--watchlist`, `--geoip` and `--let` on `run`,
//! and the same inputs as TOML keys of `kqlite test` (fixtures in
//! `tests/inputs/`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::{empty_scratch, kqlite, printed, stderr, stdout, write};

/// The fixtures folder `tests/inputs/`.
fn inputs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs")
}

/// Runs `kqlite args...` in the fixtures folder, so that its files are named
/// by their bare names.
fn kqlite_in_inputs(args: &[&str]) -> Output {
    kqlite(&inputs(), args)
}

/// The result rows of a `--format jsonl` run.
fn json_rows(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect()
}

/// Runs `query`, written to a file in a fresh scratch directory, with `args`
/// after it in the fixtures folder, and checks that it succeeds.
fn run_scratch_query(scratch_name: &str, query: &str, args: &[&str]) -> Output {
    let q = write(&empty_scratch(scratch_name), "q.kql", query);
    let mut all = vec!["run", q.as_str()];
    all.extend_from_slice(args);
    let o = kqlite_in_inputs(&all);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

const FEED: &str = "https://example.invalid/feeds/iocs.csv";

#[test]
fn externaldata_reads_a_local_file_for_its_url() {
    let o = kqlite_in_inputs(&[
        "run",
        "ioc_signins.kql",
        "--externaldata",
        &format!("{FEED}=iocs.csv"),
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        json_rows(&o),
        [serde_json::json!({
            "UserPrincipalName": "cfo@contoso.com",
            "IPAddress": "203.0.113.7",
            "Category": "botnet"
        })]
    );
}

#[test]
fn a_query_needing_externaldata_not_given_names_the_url_the_flag_and_the_key() {
    let o = kqlite_in_inputs(&["run", "ioc_signins.kql"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("externaldata `{FEED}` was not given")),
        "{err}"
    );
    assert!(
        err.contains(&format!("pass --externaldata '{FEED}=PATH'")),
        "{err}"
    );
    assert!(
        err.contains(&format!("externaldata.\"{FEED}\".file")),
        "{err}"
    );
    assert!(err.contains("ioc_signins.kql:2:"), "{err}");
}

#[test]
fn a_watchlist_gives_get_watchlist_sentinels_columns_then_its_own() {
    let o = run_scratch_query(
        "watchlist_columns",
        "_GetWatchlist('VIP') | take 1",
        &[
            "--watchlist",
            "VIP:UserPrincipalName=vip.csv",
            "--now",
            "2026-01-15T12:00:00Z",
            "--format",
            "csv",
        ],
    );
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("_DTItemId,LastUpdatedTimeUTC,SearchKey,WatchlistItem,Department,UserPrincipalName,Tier")
    );
    let row = lines.next().unwrap_or_default();
    assert!(
        row.contains(",2026-01-15T12:00:00Z,cfo@contoso.com,"),
        "{row}"
    );
    assert!(row.ends_with(",Finance,cfo@contoso.com,1"), "{row}");
}

#[test]
fn a_watchlist_without_a_search_key_keys_on_its_first_column() {
    let o = run_scratch_query(
        "watchlist_first_column",
        "_GetWatchlist('VIP') | project SearchKey",
        &["--watchlist", "VIP=vip.csv", "--format", "jsonl"],
    );
    assert_eq!(
        json_rows(&o),
        [
            serde_json::json!({"SearchKey": "Finance"}),
            serde_json::json!({"SearchKey": "Engineering"})
        ]
    );
}

#[test]
fn a_watchlist_not_given_is_named_with_the_flag_and_the_key() {
    let o = kqlite_in_inputs(&["run", "vip_signins.kql", "--geoip", "geo.csv"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("error[E1110]: `_GetWatchlist('VIP')` was not given"),
        "{err}"
    );
    assert!(err.contains("pass --watchlist 'VIP=PATH'"), "{err}");
    assert!(err.contains("watchlists.VIP = \"PATH\""), "{err}");
    assert!(err.contains("vip_signins.kql:7:"), "{err}");
}

#[test]
fn geoip_feeds_geo_info_from_ip_address() {
    let o = kqlite_in_inputs(&[
        "run",
        "vip_signins.kql",
        "--watchlist",
        "VIP:UserPrincipalName=vip.csv",
        "--geoip",
        "geo.csv",
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        json_rows(&o),
        [serde_json::json!({
            "UserPrincipalName": "cfo@contoso.com",
            "Tier": "1",
            "Country": "Brazil"
        })]
    );
}

#[test]
fn a_query_needing_the_geoip_table_not_given_names_the_flag_and_the_key() {
    let o = kqlite_in_inputs(&[
        "run",
        "vip_signins.kql",
        "--watchlist",
        "VIP:UserPrincipalName=vip.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("pass --geoip PATH"), "{err}");
    assert!(err.contains("geoip = \"PATH\""), "{err}");
}

#[test]
fn let_replaces_a_tabular_let() {
    let o = kqlite_in_inputs(&[
        "run",
        "ioc_signins.kql",
        "--let",
        r#"Feed=datatable(Ip: string, Category: string) ["192.0.2.10", "manual"]"#,
        "--format",
        "jsonl",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        json_rows(&o),
        [serde_json::json!({
            "UserPrincipalName": "lead@contoso.com",
            "IPAddress": "192.0.2.10",
            "Category": "manual"
        })]
    );
}

#[test]
fn a_let_that_does_not_parse_points_into_the_override_not_the_query() {
    let o = kqlite_in_inputs(&["run", "ioc_signins.kql", "--let", "Feed=2x"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(" --> --let Feed:1:1"), "{err}");
    assert!(err.contains("1 | 2x\n  | ^^"), "{err}");
    assert!(!err.contains("ioc_signins.kql"), "{err}");
}

#[test]
fn a_let_naming_no_let_of_the_query_suggests_the_nearest() {
    let o = kqlite_in_inputs(&["run", "ioc_signins.kql", "--let", "Fed=1"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("no `let` or query parameter named `Fed`"),
        "{err}"
    );
    assert!(err.contains("did you mean `Feed`?"), "{err}");
}

#[test]
fn malformed_input_flags_are_usage_errors() {
    for args in [
        ["--externaldata", "no-equals-sign"],
        ["--watchlist", "VIP"],
        ["--watchlist", "VIP:=vip.csv"],
    ] {
        let mut all = vec!["run", "ioc_signins.kql"];
        all.extend(args);
        let o = kqlite_in_inputs(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn an_input_file_that_cannot_be_read_is_named() {
    let o = kqlite_in_inputs(&[
        "run",
        "ioc_signins.kql",
        "--externaldata",
        &format!("{FEED}=missing.csv"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("externaldata `{FEED}`: cannot read missing.csv")),
        "{err}"
    );
}

#[test]
fn every_input_toml_key_works_in_a_test_file() {
    let o = kqlite_in_inputs(&["test", "inputs.test.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("6 passed"), "{}", stdout(&o));
}

#[test]
fn a_test_case_missing_an_input_or_with_a_bad_let_says_which_key_to_write() {
    let dir = empty_scratch("test_missing_inputs");
    for f in ["ioc_signins.kql", "vip_signins.kql", "geo.csv"] {
        std::fs::copy(inputs().join(f), dir.join(f)).expect("copy fixture");
    }
    let toml = write(
        &dir,
        "missing.test.toml",
        r#"
[[case]]
name = "no feed"
query = "ioc_signins.kql"
expect.empty = true

[[case]]
name = "no watchlist"
query = "vip_signins.kql"
geoip = "geo.csv"
expect.empty = true

[[case]]
name = "bad let"
query = "ioc_signins.kql"
lets.Feed = "2x"
expect.empty = true
"#,
    );
    let o = kqlite_in_inputs(&["test", &toml]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("0 passed, 0 failed, 3 errors"), "{out}");
    assert!(
        out.contains(&format!("externaldata.\"{FEED}\".file")),
        "{out}"
    );
    assert!(out.contains("watchlists.VIP = \"PATH\""), "{out}");
    assert!(out.contains("the value given for `Feed`"), "{out}");
    assert!(out.contains("Feed = 2x"), "{out}");
}

#[test]
fn an_input_key_with_two_sources_is_rejected_when_the_file_is_read() {
    let toml = write(
        &empty_scratch("test_two_sources"),
        "two.test.toml",
        r#"
query = "q.kql"
externaldata."https://x/list.csv" = { file = "a.csv", text = "b" }

[[case]]
name = "never runs"
"#,
    );
    let o = kqlite_in_inputs(&["test", &toml]);
    assert_ne!(o.status.code(), Some(0));
    let all = printed(&o);
    assert!(
        all.contains(
            "externaldata.\"https://x/list.csv\": give exactly one of `file`, `text` or `rows`"
        ),
        "{all}"
    );
}
