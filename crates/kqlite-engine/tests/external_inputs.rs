//! What a query reads from outside its tables: `externaldata` in every
//! documented format with `ignoreFirstRecord`, and rows an embedder gives
//! for a function known by signature (Sentinel's `_GetWatchlist`).

use kqlite_engine::catalog::{FunctionParam, TabularFunction};
use kqlite_engine::{DataType, Engine, Table};

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

fn run(e: &Engine, q: &str) -> Table {
    e.run(q).unwrap_or_else(|err| panic!("{q}: {err:?}"))
}

/// `externaldata(Host: string, Hits: long)` over `uri` in `format`.
fn hosts(e: &Engine, uri: &str, with: &str) -> Vec<Vec<String>> {
    rows(&run(
        e,
        &format!(r#"externaldata(Host: string, Hits: long) ["{uri}"] with ({with})"#),
    ))
}

#[test]
fn every_delimited_format_splits_on_its_own_separator_and_skips_the_header_when_told() {
    let mut e = Engine::new();
    e.add_external_data("u:csv", b"Host,Hits\nweb01,3\n".to_vec());
    e.add_external_data("u:tsv", b"Host\tHits\nweb01\t3\n".to_vec());
    e.add_external_data("u:psv", b"Host|Hits\nweb01|3\n".to_vec());
    e.add_external_data("u:scsv", b"Host;Hits\nweb01;3\n".to_vec());
    e.add_external_data("u:sohsv", b"Host\x01Hits\nweb01\x013\n".to_vec());
    for format in ["csv", "tsv", "psv", "scsv", "sohsv"] {
        assert_eq!(
            hosts(
                &e,
                &format!("u:{format}"),
                &format!("format='{format}', ignoreFirstRecord=true")
            ),
            [["web01", "3"]],
            "{format}"
        );
    }
}

#[test]
fn a_header_read_as_data_gives_nulls_where_it_does_not_convert() {
    // Without ignoreFirstRecord the header is a record like any other; its
    // `Hits` text is not a long, so it is null, as in Kusto.
    let mut e = Engine::new();
    e.add_external_data("u:csv", b"Host,Hits\nweb01,3\n".to_vec());
    assert_eq!(
        hosts(&e, "u:csv", "format='csv'"),
        [["Host", "null"], ["web01", "3"]]
    );
}

#[test]
fn ignore_first_record_accepts_a_bool_or_its_text_in_any_case() {
    let mut e = Engine::new();
    e.add_external_data("u:csv", b"Host,Hits\nweb01,3\n".to_vec());
    for with in [
        "ignoreFirstRecord=True",
        "ignoreFirstRecord='True'",
        "ignoreFirstRecord=\"true\"",
    ] {
        assert_eq!(hosts(&e, "u:csv", with), [["web01", "3"]], "{with}");
    }
    assert_eq!(hosts(&e, "u:csv", "ignoreFirstRecord=false").len(), 2);
}

#[test]
fn txt_makes_each_line_a_record_and_raw_the_whole_text_one() {
    let mut e = Engine::new();
    e.add_external_data("u:txt", b"# user agents\ncurl/8.0\n\nxmrig/6.1\n".to_vec());
    let txt = run(
        &e,
        r#"externaldata(UserAgent: string) ["u:txt"] with (format="txt", ignoreFirstRecord=true)"#,
    );
    assert_eq!(rows(&txt), [["curl/8.0"], ["xmrig/6.1"]]);
    let raw = run(
        &e,
        r#"externaldata(Body: string) ["u:txt"] with (format="raw")"#,
    );
    assert_eq!(rows(&raw), [["# user agents\ncurl/8.0\n\nxmrig/6.1\n"]]);
}

#[test]
fn json_and_multijson_map_properties_by_name_and_can_skip_the_first_object() {
    let mut e = Engine::new();
    e.add_external_data(
        "u:json",
        b"{\"Hits\": 1, \"Host\": \"a\"}\n{\"Host\": \"b\", \"Hits\": \"many\"}\n".to_vec(),
    );
    e.add_external_data(
        "u:multi",
        b"{\n  \"Host\": \"c\",\n  \"Hits\": 5\n}\n{\"Host\": \"d\"}".to_vec(),
    );
    // A property of another type (`"many"` for a long) is null.
    assert_eq!(
        hosts(&e, "u:json", "format='json'"),
        [["a", "1"], ["b", "null"]]
    );
    assert_eq!(
        hosts(&e, "u:multi", "format='multijson', ignoreFirstRecord=true"),
        [["d", "null"]]
    );
}

#[test]
fn compression_and_mapping_properties_are_accepted_and_change_nothing() {
    let mut e = Engine::new();
    e.add_external_data("u:csv", b"web01,3\n".to_vec());
    assert_eq!(
        hosts(&e, "u:csv", "format='csv', zipPattern='*.csv'"),
        [["web01", "3"]]
    );
}

#[test]
fn an_unsupported_format_is_named() {
    let mut e = Engine::new();
    e.add_external_data("u:x", b"".to_vec());
    let err = e
        .run(r#"externaldata(a: string) ["u:x"] with (format="parquet")"#)
        .expect_err("parquet is not read");
    assert!(err.to_string().contains("`parquet`"), "{err}");
}

#[test]
fn a_missing_uri_names_the_flag_and_the_test_key() {
    let err = Engine::new()
        .run(r#"externaldata(a: string) ["https://example.invalid/iocs.csv"]"#)
        .expect_err("not given");
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "E1109");
    assert_eq!(
        d.message,
        "externaldata `https://example.invalid/iocs.csv` was not given"
    );
    let hint = d.hint.as_deref().unwrap_or("");
    assert!(
        hint.contains("--externaldata 'https://example.invalid/iocs.csv=PATH'"),
        "{hint}"
    );
    assert!(
        hint.contains("externaldata.\"https://example.invalid/iocs.csv\".file"),
        "{hint}"
    );
}

// ----- rows of a function known by signature --------------------------------

fn watchlist_engine() -> Engine {
    let mut e = Engine::new();
    e.catalog_mut().add_function(
        "_GetWatchlist",
        TabularFunction {
            params: vec![FunctionParam {
                name: "watchlistAlias".into(),
                ty: DataType::String,
                required: true,
            }],
            schema: vec![("SearchKey".into(), DataType::String)],
        },
    );
    e
}

#[test]
fn function_rows_are_chosen_by_the_first_argument_and_give_the_call_its_columns() {
    let mut e = watchlist_engine();
    let vip = run(
        &e,
        r#"datatable(SearchKey: string, Tier: long) ["ana@contoso.com", 1]"#,
    );
    let hosts = run(&e, r#"datatable(SearchKey: string) ["web01"]"#);
    e.add_function_rows("_GetWatchlist", "VIP", vip);
    e.add_function_rows("_GetWatchlist", "Hosts", hosts);
    let t = run(
        &e,
        "let tier = 'VIP'; _GetWatchlist(tier) | where Tier == 1 | project SearchKey",
    );
    assert_eq!(rows(&t), [["ana@contoso.com"]]);
    let t = run(&e, "_GetWatchlist(watchlistAlias = 'Hosts')");
    assert_eq!(rows(&t), [["web01"]]);
    // The rows are part of the plan: no table is read.
    assert_eq!(
        e.tables_read("_GetWatchlist('VIP')").expect("binds"),
        Vec::<String>::new()
    );
}

#[test]
fn a_key_without_rows_fails_while_binding_at_the_argument_with_the_embedders_hint() {
    let mut e = watchlist_engine();
    e.serve_function_rows("_GetWatchlist", "pass --watchlist '{key}=PATH'");
    let q = "_GetWatchlist('Allowed') | count";
    let err = e.run(q).expect_err("not given");
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "E1110");
    assert_eq!(d.message, "`_GetWatchlist('Allowed')` was not given");
    assert_eq!(&q[d.span.start as usize..d.span.end as usize], "'Allowed'");
    assert_eq!(d.hint.as_deref(), Some("pass --watchlist 'Allowed=PATH'"));
    // `tables_read` binds too, so a caller learns of it before loading data.
    assert!(e.tables_read(q).is_err());
}

#[test]
fn a_key_close_to_a_given_one_is_suggested() {
    let mut e = watchlist_engine();
    let t = run(&e, r#"datatable(SearchKey: string) ["x"]"#);
    e.add_function_rows("_GetWatchlist", "HighValueAssets", t);
    let err = e
        .run("_GetWatchlist('HighValueAsset')")
        .expect_err("not given");
    let hint = err.diagnostics()[0].hint.clone().unwrap_or_default();
    assert!(
        hint.starts_with("did you mean `HighValueAssets`?"),
        "{hint}"
    );
}

#[test]
fn a_key_that_is_not_a_constant_string_is_an_error_once_rows_are_served() {
    let mut e = watchlist_engine();
    e.serve_function_rows("_GetWatchlist", "give it");
    let err = e
        .run("_GetWatchlist(tostring(now()))")
        .expect_err("not constant");
    assert!(
        err.to_string().contains("must be a constant string"),
        "{err}"
    );
}

#[test]
fn without_served_rows_a_function_still_binds_by_its_signature() {
    let e = watchlist_engine();
    let diags = e.check("_GetWatchlist('VIP') | project SearchKey");
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
}

#[test]
fn an_open_function_without_rows_accepts_columns_only_its_data_would_know() {
    let mut e = watchlist_engine();
    e.catalog_mut().open_function_rows("_GetWatchlist");
    let q = "_GetWatchlist('RiskyFileTypes') | where isnotempty(Extension) | project SearchKey, Extension";
    let diags = e.check(q);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    // Once its rows are given, the columns are exactly theirs.
    let t = run(&e, r#"datatable(SearchKey: string) [".ps1"]"#);
    e.add_function_rows("_GetWatchlist", "RiskyFileTypes", t);
    assert!(e.check(q).iter().any(|d| d.is_error()));
    // Serving rows (a run) makes a missing key an error again.
    e.serve_function_rows("_GetWatchlist", "give it");
    let err = e.run("_GetWatchlist('Other')").expect_err("not given");
    assert_eq!(err.diagnostics()[0].code, "E1110");
}
