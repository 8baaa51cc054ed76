//! Operators real Sentinel and Defender detections use: `externaldata`,
//! `union isfuzzy=true`, `parse-kv`, `evaluate pivot`, `search` with
//! column terms, and `find`.

use kqlite_engine::{DataType, Engine, Table, Value};

fn rows(t: &Table) -> Vec<Vec<String>> {
    t.rows()
        .map(|r| {
            r.iter()
                .map(|v| {
                    if v.is_null() {
                        "null".to_string()
                    } else {
                        v.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

fn names(t: &Table) -> Vec<String> {
    t.column_names().map(str::to_string).collect()
}

fn run_on(engine: &Engine, q: &str) -> Table {
    engine
        .run(q)
        .unwrap_or_else(|e| panic!("query failed: {e:?}\n{q}"))
}

fn run(q: &str) -> Table {
    run_on(&Engine::new(), q)
}

fn with_tables() -> Engine {
    let mut e = Engine::new();
    let signins = run(r#"datatable(User: string, App: string, Ip: string) [
            "ana", "Teams", "10.0.0.1",
            "bo", "Outlook", "10.0.0.2",
            "ana", "Outlook", "10.0.0.1",
            "ana", "Teams", "10.0.0.3"]"#);
    e.add_table("Signins", signins);
    let files = run(
        r#"datatable(User: string, ActionType: string, Path: string) [
            "ana", "FileModified", "C:/x.txt",
            "cy", "FileCreated", "C:/y.txt"]"#,
    );
    e.add_table("Files", files);
    e
}

// ----- externaldata ----------------------------------------------------------

const URI: &str = "https://example.invalid/bad_ips.csv";

#[test]
fn externaldata_reads_supplied_csv_by_position_and_skips_the_header() {
    let mut e = Engine::new();
    e.add_external_data(URI, b"ip,score\n10.0.0.1,7\n\"10.0.0.2\",9\n".to_vec());
    let t = run_on(
        &e,
        &format!(
            r#"externaldata(Ip: string, Score: long) ["{URI}"] with (format="csv", ignoreFirstRecord=true) | where Score > 7"#
        ),
    );
    assert_eq!(names(&t), vec!["Ip", "Score"]);
    assert_eq!(rows(&t), vec![vec!["10.0.0.2", "9"]]);
}

#[test]
fn externaldata_keeps_the_first_record_unless_told_to_ignore_it() {
    let mut e = Engine::new();
    e.add_external_data(URI, b"a,1\nb,2\n".to_vec());
    let t = run_on(
        &e,
        &format!(r#"externaldata(x: string, n: long) ["{URI}"]"#),
    );
    assert_eq!(rows(&t), vec![vec!["a", "1"], vec!["b", "2"]]);
}

#[test]
fn externaldata_accepts_a_trailing_comma_in_its_schema() {
    let mut e = Engine::new();
    e.add_external_data(URI, b"a,1\n".to_vec());
    let t = run_on(
        &e,
        &format!(r#"externaldata(x: string, n: long,) ["{URI}"]"#),
    );
    assert_eq!(rows(&t), vec![vec!["a", "1"]]);
}

#[test]
fn externaldata_parses_tsv_txt_raw_and_json_formats() {
    let mut e = Engine::new();
    e.add_external_data("u:tsv", b"a\t1\nb\t2\n".to_vec());
    e.add_external_data("u:txt", b"line one\nline two\n".to_vec());
    e.add_external_data(
        "u:json",
        b"{\"n\":1,\"x\":\"a\"}\n{\"x\":\"b\",\n \"n\":2}".to_vec(),
    );
    e.add_external_data("u:arr", b"[{\"x\":\"c\",\"n\":3}]".to_vec());
    let tsv = run_on(
        &e,
        r#"externaldata(x: string, n: long) ["u:tsv"] with (format="tsv")"#,
    );
    assert_eq!(rows(&tsv), vec![vec!["a", "1"], vec!["b", "2"]]);
    let txt = run_on(
        &e,
        r#"externaldata(line: string) ["u:txt"] with (format="txt")"#,
    );
    assert_eq!(rows(&txt), vec![vec!["line one"], vec!["line two"]]);
    let raw = run_on(
        &e,
        r#"externaldata(all: string) ["u:txt"] with (format="raw")"#,
    );
    assert_eq!(raw.num_rows(), 1);
    let json = run_on(
        &e,
        r#"externaldata(x: string, n: long) ["u:json", "u:arr"] with (format="multijson")"#,
    );
    assert_eq!(
        rows(&json),
        vec![vec!["a", "1"], vec!["b", "2"], vec!["c", "3"]]
    );
}

#[test]
fn externaldata_guesses_the_format_from_the_uri_extension() {
    let mut e = Engine::new();
    e.add_external_data("https://h/list.txt?sig=abc", b"one\ntwo\n".to_vec());
    let t = run_on(
        &e,
        r#"externaldata(v: string) ["https://h/list.txt?sig=abc"]"#,
    );
    assert_eq!(rows(&t), vec![vec!["one"], vec!["two"]]);
}

#[test]
fn externaldata_reads_a_supplied_table_by_column_name() {
    let mut e = Engine::new();
    e.add_external_table(
        URI,
        run(r#"datatable(score: long, ip: string) [5, "1.2.3.4"]"#),
    );
    let t = run_on(
        &e,
        &format!(r#"externaldata(ip: string, other: long) ["{URI}"]"#),
    );
    assert_eq!(rows(&t), vec![vec!["1.2.3.4", "null"]]);
}

#[test]
fn externaldata_without_data_fails_naming_the_uri_and_the_flag() {
    let err = Engine::new()
        .run(&format!(r#"externaldata(ip: string) ["{URI}"]"#))
        .expect_err("no data");
    let text = format!("{err:?}");
    assert!(text.contains("E1109"), "{text}");
    assert!(text.contains(URI), "{text}");
    assert!(text.contains("--externaldata"), "{text}");
}

#[test]
fn externaldata_binds_its_schema_so_check_types_downstream_columns() {
    let e = Engine::new();
    let ok = e.check(&format!(
        r#"externaldata(ip: string, n: long) ["{URI}"] | where n > 1 | project ip"#
    ));
    assert!(ok.iter().all(|d| !d.is_error()), "{ok:?}");
    let bad = e.check(&format!(
        r#"externaldata(ip: string) ["{URI}"] | where missing > 1"#
    ));
    assert!(bad.iter().any(|d| d.code == "E1001"), "{bad:?}");
}

// ----- union isfuzzy -----------------------------------------------------------

#[test]
fn fuzzy_union_skips_parenthesised_legs_over_missing_tables() {
    let e = with_tables();
    let t = run_on(
        &e,
        "union isfuzzy=true (Missing | where x == 1), (Signins | where User == 'bo')",
    );
    assert_eq!(t.num_rows(), 1);
}

#[test]
fn fuzzy_union_with_nothing_left_is_an_error() {
    let e = with_tables();
    let err = e
        .run("union isfuzzy=true (Missing | where x == 1), Gone")
        .expect_err("no legs");
    assert!(format!("{err:?}").contains("matched no tables"));
}

#[test]
fn strict_union_still_reports_a_missing_table_inside_a_leg() {
    let e = with_tables();
    let err = e
        .run("union (Missing | where x == 1), Signins")
        .expect_err("missing");
    assert!(format!("{err:?}").contains("unknown table `Missing`"));
}

// ----- parse-kv ------------------------------------------------------------------

#[test]
fn parse_kv_with_delimiters_extracts_typed_keys() {
    let t = run(
        r#"print str="ThreadId:458745723, Machine:Node001, Text: The service is up, Level: Info"
        | parse-kv str as (Text: string, ThreadId: long, Machine: string) with (pair_delimiter=',', kv_delimiter=':')
        | project-away str"#,
    );
    assert_eq!(names(&t), vec!["Text", "ThreadId", "Machine"]);
    assert_eq!(
        rows(&t),
        vec![vec!["The service is up", "458745723", "Node001"]]
    );
}

#[test]
fn parse_kv_honours_quotes_and_escapes() {
    let t = run(
        r#"print str='src=10.1.1.123 bytes=125 failure="the remote host sent \\"bye!\\"" dst=x'
        | parse-kv str as (src: string, bytes: long, failure: string, dst: string, missing: long) with (pair_delimiter=' ', kv_delimiter='=', quote='"', escape='\\')
        | project-away str"#,
    );
    assert_eq!(
        rows(&t),
        vec![vec![
            "10.1.1.123",
            "125",
            "the remote host sent \"bye!\"",
            "x",
            "null"
        ]]
    );
}

#[test]
fn parse_kv_greedy_values_run_to_the_next_key() {
    let q = |greedy: &str| {
        run(&format!(
            r#"print str='name=John Doe phone=555 5555 city=New York'
            | parse-kv str as (name: string, phone: string, city: string) with (pair_delimiter=' ', kv_delimiter='='{greedy})
            | project-away str"#
        ))
    };
    assert_eq!(rows(&q("")), vec![vec!["John", "555", "New"]]);
    assert_eq!(
        rows(&q(", greedy=true")),
        vec![vec!["John Doe", "555 5555", "New York"]]
    );
}

#[test]
fn parse_kv_without_delimiters_splits_at_non_alphanumerics() {
    let t = run(
        r#"print str="2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: Started"
        | parse-kv str as (Text: string, ThreadId: long, Machine: string)
        | project-away str"#,
    );
    assert_eq!(rows(&t), vec![vec!["Started", "458745723", "Node001"]]);
}

#[test]
fn parse_kv_with_a_regex_takes_keys_and_values_from_its_groups() {
    let t = run(
        r#"print str=@'["referer url: https://h/r?d=1", "request url: https://h/?h=2"]'
        | parse-kv str as (['referer url']: string, ['request url']: string) with (regex=@'"([\w ]+)\s*:\s*([^"]*)"')
        | project-away str"#,
    );
    assert_eq!(rows(&t), vec![vec!["https://h/r?d=1", "https://h/?h=2"]]);
}

// ----- evaluate pivot ----------------------------------------------------------

#[test]
fn pivot_counts_by_the_other_columns_by_default() {
    let e = with_tables();
    let t = run_on(&e, "Signins | project User, App | evaluate pivot(App)");
    assert_eq!(names(&t), vec!["User", "Teams", "Outlook"]);
    assert_eq!(rows(&t), vec![vec!["ana", "2", "1"], vec!["bo", "0", "1"]]);
}

#[test]
fn pivot_with_an_aggregate_and_key_columns() {
    let e = with_tables();
    let t = run_on(&e, "Signins | evaluate pivot(App, dcount(Ip), User)");
    assert_eq!(names(&t), vec!["User", "Teams", "Outlook"]);
    assert_eq!(rows(&t), vec![vec!["ana", "2", "1"], vec!["bo", "0", "1"]]);
}

#[test]
fn pivot_columns_known_only_at_run_time_bind_by_name() {
    let e = with_tables();
    let q =
        "Signins | project User, App | evaluate pivot(App) | where Teams > 1 | extend t = Teams";
    assert!(e.check(q).iter().all(|d| !d.is_error()), "{:?}", e.check(q));
    let t = run_on(&e, q);
    assert_eq!(rows(&t), vec![vec!["ana", "2", "1", "2"]]);
    let err = e
        .run("Signins | project User, App | evaluate pivot(App) | where Nope > 1")
        .expect_err("no such pivot value");
    assert!(format!("{err:?}").contains("Nope"));
}

#[test]
fn pivot_with_an_output_schema_has_exactly_those_columns() {
    let e = with_tables();
    let q = "Signins | project User, App | evaluate pivot(App) : (User: string, Outlook: long, Word: long)";
    let bound = e.bind(q, &Default::default()).expect("binds");
    assert_eq!(
        bound.schema,
        vec![
            ("User".to_string(), DataType::String),
            ("Outlook".to_string(), DataType::Long),
            ("Word".to_string(), DataType::Long)
        ]
    );
    let t = run_on(&e, q);
    assert_eq!(rows(&t), vec![vec!["ana", "1", "0"], vec!["bo", "1", "0"]]);
}

// ----- search ------------------------------------------------------------------

#[test]
fn search_column_terms_restrict_the_term_to_that_column() {
    let e = with_tables();
    let t = run_on(
        &e,
        r#"search in (Signins, Files) ActionType:"FileModified""#,
    );
    assert_eq!(t.num_rows(), 1);
    assert_eq!(t.row(0).first(), Some(&Value::string("Files")));
    let t = run_on(&e, r#"search in (Signins, Files) User:ana and "Teams""#);
    assert_eq!(t.num_rows(), 2);
}

#[test]
fn search_terms_with_wildcards_match_prefixes_suffixes_and_substrings() {
    let e = with_tables();
    let count = |q: &str| run_on(&e, q).num_rows();
    assert_eq!(count(r#"Files | search "File*""#), 2);
    assert_eq!(count(r#"Files | search "*Modified""#), 1);
    assert_eq!(count(r#"Files | search "*ileCre*""#), 1);
    assert_eq!(count(r#"Files | search Path:"*y.txt""#), 1);
    assert_eq!(count(r#"Files | search "File*ted""#), 1);
}

// ----- find --------------------------------------------------------------------

#[test]
fn find_searches_the_tables_that_have_the_predicate_columns() {
    let e = with_tables();
    let t = run_on(
        &e,
        r#"find in (Signins, Files) where ActionType == "FileModified" project User, Path"#,
    );
    assert_eq!(names(&t), vec!["source_", "User", "Path"]);
    assert_eq!(rows(&t), vec![vec!["Files", "ana", "C:/x.txt"]]);
}

#[test]
fn find_without_project_packs_columns_not_shared_by_every_table() {
    let e = with_tables();
    let t = run_on(
        &e,
        r#"find withsource=Table where User == "ana" | sort by Table asc"#,
    );
    assert_eq!(names(&t), vec!["Table", "User", "pack_"]);
    assert_eq!(t.num_rows(), 4);
    let first = t.row(0);
    assert_eq!(first.first(), Some(&Value::string("Files")));
    let pack = first.get(2).map(|v| v.to_string()).unwrap_or_default();
    assert!(pack.contains("FileModified"), "{pack}");
}

#[test]
fn find_reports_a_predicate_column_no_table_has() {
    let e = with_tables();
    let err = e
        .run(r#"find in (Signins, Files) where Nope == 1"#)
        .expect_err("no table has it");
    assert!(format!("{err:?}").contains("Nope"));
}
