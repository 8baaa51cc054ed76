//! Functions and call forms real Sentinel and Defender detections use:
//! each binds (so `kqlite check` passes) and evaluates as Kusto documents.

use kqlite_engine::{DataType, Engine, Table, Value};
use kqlite_engine::{GeoIpTable, GeoLocation};

fn engine() -> Engine {
    let mut e = Engine::new();
    e.set_now(kqlite_engine::time::parse_datetime("2024-01-02T00:00:00Z").unwrap());
    e
}

fn run_on(e: &Engine, q: &str) -> Table {
    e.run(q)
        .unwrap_or_else(|err| panic!("query failed: {err:?}\n{q}"))
}

fn run(q: &str) -> Table {
    run_on(&engine(), q)
}

fn texts(t: &Table) -> Vec<Vec<String>> {
    t.rows()
        .map(|r| {
            r.iter()
                .map(|v| {
                    if v.is_null() {
                        "null".into()
                    } else {
                        v.to_string()
                    }
                })
                .collect()
        })
        .collect()
}

fn column_types(t: &Table) -> Vec<DataType> {
    t.schema().into_iter().map(|(_, ty)| ty).collect()
}

fn failure(e: &Engine, q: &str) -> kqlite_engine::QueryError {
    match e.run(q) {
        Ok(_) => panic!("query should fail: {q}"),
        Err(err) => err,
    }
}

const SIGNINS: &str = r#"let SigninLogs = datatable(TimeGenerated: datetime, UserPrincipalName: string, IPAddress: string, AppDisplayName: string) [
    datetime(2024-01-01T10:00:00Z), "ana@contoso.com", "20.53.203.50", "Azure Portal",
    datetime(2024-01-01T11:00:00Z), "bo@contoso.com", "10.1.2.3", "Outlook",
    datetime(2024-01-01T12:00:00Z), "cy@contoso.com", "2a03:2880:f12c:83:face:b00c::25de", "Teams"
];
"#;

// --- hash_sha1 / hash_md5 ---------------------------------------------------

#[test]
fn hash_sha1_and_hash_md5_give_the_documented_digests() {
    let t = run("print h1 = hash_sha1('World'), h2 = hash_md5('World'), h3 = hash_sha256('World')");
    assert_eq!(
        texts(&t),
        [[
            "70c07ec18ef89c5309bbb0937f3a6342411e1fdd",
            "f5a7924e621e84c9280a9a27e1bcb7f6",
            "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524"
        ]]
    );
}

// --- ingestion_time() --------------------------------------------------------

#[test]
fn ingestion_time_reads_the_ingestion_time_column_when_there_is_one() {
    let t = run(
        r#"datatable(TimeGenerated: datetime, _IngestionTime: datetime, n: long) [
            datetime(2024-01-01T10:00:00Z), datetime(2024-01-01T10:05:00Z), 1,
            datetime(2024-01-01T11:00:00Z), datetime(2024-01-01T11:20:00Z), 2
        ]
        | where ingestion_time() - TimeGenerated > 10m
        | extend it = ingestion_time()
        | project n, it"#,
    );
    assert_eq!(texts(&t), [["2", "2024-01-01T11:20:00.0000000Z"]]);
    assert_eq!(column_types(&t), [DataType::Long, DataType::DateTime]);
}

#[test]
fn ingestion_time_falls_back_to_time_generated_and_then_to_null() {
    let t = run(&format!(
        "{SIGNINS}SigninLogs | where ingestion_time() > datetime(2024-01-01T10:30:00Z) | project UserPrincipalName, ingestion_time()"
    ));
    assert_eq!(
        texts(&t),
        [
            ["bo@contoso.com", "2024-01-01T11:00:00.0000000Z"],
            ["cy@contoso.com", "2024-01-01T12:00:00.0000000Z"]
        ]
    );
    let t = run("datatable(a: long) [1] | extend it = ingestion_time()");
    assert_eq!(texts(&t), [["1", "null"]]);
    assert_eq!(column_types(&t), [DataType::Long, DataType::DateTime]);
    let t = run("print it = ingestion_time()");
    assert_eq!(texts(&t), [["null"]]);
}

#[test]
fn ingestion_time_works_after_a_join() {
    let t = run(&format!(
        "{SIGNINS}SigninLogs
        | join kind=inner (datatable(UserPrincipalName: string, Dept: string) [\"bo@contoso.com\", \"IT\"]) on UserPrincipalName
        | project Dept, it = ingestion_time()"
    ));
    assert_eq!(texts(&t), [["IT", "2024-01-01T11:00:00.0000000Z"]]);
}

// --- column_ifexists ---------------------------------------------------------

#[test]
fn column_ifexists_gives_the_column_when_it_exists_and_else_the_default() {
    let t = run(&format!(
        "{SIGNINS}SigninLogs | take 1
        | project a = column_ifexists('AppDisplayName', 'none'),
                  b = column_ifexists('Capital', AppDisplayName),
                  c = column_ifexists('Missing', 0),
                  d = columnifexists('TimeGenerated', datetime(null))"
    ));
    assert_eq!(
        texts(&t),
        [[
            "Azure Portal",
            "Azure Portal",
            "0",
            "2024-01-01T10:00:00.0000000Z"
        ]]
    );
    assert_eq!(
        column_types(&t),
        [
            DataType::String,
            DataType::String,
            DataType::Long,
            DataType::DateTime
        ]
    );
}

#[test]
fn column_ifexists_needs_a_constant_column_name() {
    let err = failure(
        &engine(),
        &format!("{SIGNINS}SigninLogs | project column_ifexists(AppDisplayName, '')"),
    );
    let d = &err.diagnostics()[0];
    assert!(d.message.contains("constant string"), "{d:?}");
    let t = run(&format!(
        "{SIGNINS}let col = 'IPAddress'; SigninLogs | take 1 | project ip = column_ifexists(col, '')"
    ));
    assert_eq!(texts(&t), [["20.53.203.50"]]);
}

// --- parse_command_line ------------------------------------------------------

#[test]
fn parse_command_line_splits_like_windows() {
    let t = run(r#"print r = parse_command_line("echo \"hello world!\"", "windows")"#);
    assert_eq!(texts(&t), [[r#"["echo","hello world!"]"#]]);
    let t = run(
        r#"datatable(cmd: string) ["powershell.exe -enc \"a b\\\"c\"", ""]
        | extend args = parse_command_line(cmd, "Windows")
        | project n = array_length(args), last = tostring(args[-1])"#,
    );
    assert_eq!(texts(&t), [["3", r#"a b"c"#], ["0", ""]]);
}

// --- parse_user_agent --------------------------------------------------------

#[test]
fn parse_user_agent_binds_as_dynamic_and_fails_clearly_when_run() {
    let q = "print x = parse_user_agent('Mozilla/5.0 (Windows NT 10.0)', 'browser') | extend f = tostring(x.Browser.Family)";
    let e = engine();
    assert!(e.check(q).iter().all(|d| !d.is_error()), "{:?}", e.check(q));
    let err = failure(&e, q);
    let d = &err.diagnostics()[0];
    assert!(
        d.message
            .contains("not supported: `parse_user_agent` needs a user-agent database, which kqlite does not ship"),
        "{d:?}"
    );
    let call_start = q.find("parse_user_agent").unwrap();
    assert_eq!(d.span.start as usize, call_start);
}

// --- geo_info_from_ip_address ------------------------------------------------

const GEO_CSV: &str = "cidr,country,state,city,latitude,longitude
20.0.0.0/8,United States,,,37.751,-97.822
20.53.0.0/16,Australia,New South Wales,Sydney,-33.8715,151.2006
2a03:2880::/32,United States,Florida,Boca Raton,26.3594,-80.0771
";

#[test]
fn geo_info_from_ip_address_reads_the_given_table() {
    let mut e = engine();
    e.set_geoip(GeoIpTable::from_csv(GEO_CSV.as_bytes(), "geo.csv").unwrap());
    let t = run_on(
        &e,
        &format!(
            "{SIGNINS}SigninLogs | extend g = geo_info_from_ip_address(IPAddress) | project UserPrincipalName, tostring(g)"
        ),
    );
    assert_eq!(
        texts(&t),
        [
            [
                "ana@contoso.com",
                r#"{"country":"Australia","state":"New South Wales","city":"Sydney","latitude":-33.8715,"longitude":151.2006}"#
            ],
            ["bo@contoso.com", "{}"],
            [
                "cy@contoso.com",
                r#"{"country":"United States","state":"Florida","city":"Boca Raton","latitude":26.3594,"longitude":-80.0771}"#
            ]
        ]
    );
    let t = run_on(
        &e,
        "print c = tostring(geo_info_from_ip_address('20.1.1.1').country), n = isnull(geo_info_from_ip_address(''))",
    );
    assert_eq!(texts(&t), [["United States", "True"]]);
}

#[test]
fn geo_info_from_ip_address_without_a_table_binds_but_fails_naming_the_fix() {
    let e = engine();
    let q = format!("{SIGNINS}SigninLogs | extend g = geo_info_from_ip_address(IPAddress)");
    assert!(e.check(&q).iter().all(|d| !d.is_error()));
    let err = failure(&e, &q);
    let d = &err.diagnostics()[0];
    assert!(
        d.message
            .contains("pass --geoip PATH (in a test: geoip = \"PATH\")"),
        "{d:?}"
    );
    assert_eq!(
        &q[d.span.start as usize..d.span.end as usize],
        "geo_info_from_ip_address(IPAddress)"
    );
}

#[test]
fn a_geo_ip_table_built_by_rows_answers_lookups() {
    let mut table = GeoIpTable::new();
    assert!(table.insert(
        "192.0.2.0/24",
        GeoLocation {
            country: "Testland".into(),
            state: String::new(),
            city: "Docs".into(),
            latitude: None,
            longitude: None,
        }
    ));
    let mut e = engine();
    e.set_geoip(table);
    let t = run_on(&e, "print g = geo_info_from_ip_address('192.0.2.7')");
    assert_eq!(
        t.row(0),
        [Value::Dynamic(kqlite_engine::Dynamic::from_json(
            &serde_json::json!({"country": "Testland", "state": "", "city": "Docs", "latitude": null, "longitude": null})
        ))]
    );
}

// --- list operators over non-constant lists ---------------------------------

#[test]
fn in_accepts_a_let_bound_pack_array_and_split() {
    let t = run(&format!(
        "{SIGNINS}let apps = pack_array('Outlook', 'Teams');
        let ips = split('10.1.2.3,1.1.1.1', ',');
        SigninLogs | where AppDisplayName in (apps) and IPAddress !in (ips) | project UserPrincipalName"
    ));
    assert_eq!(texts(&t), [["cy@contoso.com"]]);
    let t = run(&format!(
        "{SIGNINS}let apps = pack_array('outlook');
        SigninLogs | where AppDisplayName in~ (apps, 'TEAMS') | project UserPrincipalName"
    ));
    assert_eq!(texts(&t), [["bo@contoso.com"], ["cy@contoso.com"]]);
}

#[test]
fn list_operators_take_columns_and_per_row_arrays() {
    let t = run(r#"datatable(a: string, b: string, tags: dynamic) [
            "x", "x", dynamic(["p", "q"]),
            "y", "z", dynamic(["Y"]),
            "w", "W", dynamic([])
        ]
        | project in_b = a in (b), ci = a in~ (b), in_tags = a in~ (tags), not_in = a !in (tags, b)"#);
    assert_eq!(
        texts(&t),
        [
            ["True", "True", "False", "False"],
            ["False", "False", "True", "True"],
            ["False", "True", "False", "True"]
        ]
    );
}

#[test]
fn has_any_and_has_all_take_non_constant_lists() {
    let t = run(r#"let words = split("mimikatz sekurlsa", " ");
        datatable(cmd: string) ["mimikatz.exe privilege::debug", "sekurlsa::logonpasswords mimikatz", "notepad"]
        | project any = cmd has_any (words), all = cmd has_all (words)"#);
    assert_eq!(
        texts(&t),
        [["True", "False"], ["True", "True"], ["False", "False"]]
    );
}

// --- user functions: named arguments, defaults, table(name) -----------------

#[test]
fn user_functions_take_named_arguments_in_any_order() {
    let t = run("let f = (a: datetime, b: datetime) { b - a };
        print d1 = f(b = datetime(2024-01-02), a = datetime(2024-01-01)),
              d2 = f(datetime(2024-01-01), b = datetime(2024-01-03))");
    assert_eq!(texts(&t), [["1.00:00:00", "2.00:00:00"]]);
}

#[test]
fn named_arguments_can_skip_parameters_with_defaults() {
    let t = run(
        "let f = (x: long, step: long = 10, scale: long = 2) { (x + step) * scale };
        print a = f(1), b = f(1, scale = 3), c = f(scale = 1, x = 5)",
    );
    assert_eq!(texts(&t), [["22", "33", "15"]]);
}

#[test]
fn named_arguments_naming_no_parameter_or_missing_a_required_one_fail() {
    let e = engine();
    let err = failure(
        &e,
        "let f = (a: long, b: long) { a + b }; print f(a = 1, c = 2)",
    );
    assert!(err.diagnostics()[0]
        .message
        .contains("no parameter named `c`"));
    let err = failure(&e, "let f = (a: long, b: long) { a + b }; print f(b = 2)");
    assert!(err.diagnostics()[0]
        .message
        .contains("no value for parameter `a`"));
    let err = failure(&e, "let f = (a: long) { a }; print f(1, a = 2)");
    assert!(err.diagnostics()[0].message.contains("given twice"));
}

#[test]
fn an_unnamed_argument_after_a_named_one_takes_the_parameter_at_its_place() {
    // Kusto matches a named argument by name and an unnamed one by its
    // place in the written list, named arguments before it included.
    let t = run(
        r#"let f = (a: long, b: string = "b.default", c: long = 0) { strcat(a, "-", b, "-", c) };
        print x = f(a = 12, "x"), y = f(a = 12, "y", 3), z = f(12, c = 7), w = f(c = 7, a = 12)"#,
    );
    assert_eq!(
        texts(&t),
        [["12-x-0", "12-y-3", "12-b.default-7", "12-b.default-7"]]
    );
    let t =
        run("let g = (len: long, s: string) { substring(s, 0, len) }; print g(len = 3, 'abcdef')");
    assert_eq!(texts(&t), [["abc"]]);
}

#[test]
fn an_unnamed_argument_at_the_place_of_a_named_parameter_fails() {
    let e = engine();
    // `12` sits at place 1, which is `b`: `a` has no value.
    let err = failure(
        &e,
        r#"let f = (a: long, b: string = "d", c: long = 0) { a }; print f(c = 7, 12)"#,
    );
    assert_eq!(err.diagnostics()[0].code, "E1003");
    assert!(err.diagnostics()[0]
        .message
        .contains("no value for parameter `a`"));
    // `"y"` sits at place 1, which `b = ...` names too.
    let err = failure(
        &e,
        r#"let f = (a: long, b: string = "d") { a }; print f(b = "x", "y")"#,
    );
    assert!(err.diagnostics()[0].message.contains("given twice"));
    let err = failure(&e, "let f = (a: long) { a }; print f(a = 1, 2)");
    assert_eq!(err.diagnostics()[0].code, "E1003");
}

#[test]
fn a_named_argument_to_a_built_in_function_is_reported_not_dropped() {
    let err = failure(&engine(), "print substring('abcdef', length = 3, 1)");
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "E1005");
    assert!(
        d.message.contains("named argument `length`"),
        "{}",
        d.message
    );
}

#[test]
fn tabular_functions_take_named_arguments_and_table_of_a_parameter() {
    let t = run(&format!(
        "{SIGNINS}let Recent = (tableName: string, since: datetime = datetime(2024-01-01T10:30:00Z)) {{
            table(tableName) | where TimeGenerated > since | project UserPrincipalName
        }};
        Recent(since = datetime(2024-01-01T11:30:00Z), tableName = 'SigninLogs')"
    ));
    assert_eq!(texts(&t), [["cy@contoso.com"]]);
    let t = run(&format!(
        "{SIGNINS}let name = 'SigninLogs'; table(name) | count"
    ));
    assert_eq!(texts(&t), [["3"]]);
}

// --- deprecated aliases ------------------------------------------------------

#[test]
fn deprecated_aggregate_names_run_with_kusto_default_column_names() {
    let t = run(
        r#"datatable(u: string, app: string) ["a", "x", "a", "y", "a", "x"]
        | summarize makeset(app), makelist(app) by u"#,
    );
    let names: Vec<String> = t.column_names().map(str::to_string).collect();
    assert_eq!(names, ["u", "set_app", "list_app"]);
    assert_eq!(texts(&t), [["a", r#"["x","y"]"#, r#"["x","y","x"]"#]]);
    let t = run(r#"datatable(p: dynamic) [dynamic({"k": 1})] | summarize b = make_dictionary(p)"#);
    assert_eq!(texts(&t), [[r#"{"k":1}"#]]);
}

#[test]
fn deprecated_scalar_names_call_their_current_functions() {
    let t = run(r#"print a = datepart("Year", datetime(2024-03-01)),
        b = notnull(1), c = notempty(""), d = tostring(parsejson('{"k": 2}').k),
        e = base64_decodestring(base64_encodestring("hi")), f = weekofyear(datetime(2024-01-01))"#);
    assert_eq!(texts(&t), [["2024", "True", "False", "2", "hi", "1"]]);
}

// --- extract_json / translate -------------------------------------------------

#[test]
fn extract_json_converts_to_the_requested_type() {
    let t = run(
        r#"let json = '{"name": "John", "age": 30, "city": "New York"}';
        print a = extract_json("$.name", json, typeof(string)), b = extractjson("$.age", json, typeof(long)) + 1,
              c = extract_json("$.city", json), d = extractjson("$.nope", json, typeof(long))"#,
    );
    assert_eq!(texts(&t), [["John", "31", "New York", "null"]]);
    assert_eq!(
        column_types(&t),
        [
            DataType::String,
            DataType::Long,
            DataType::String,
            DataType::Long
        ]
    );
}

#[test]
fn translate_removes_or_maps_characters() {
    let t =
        run(r#"print a = translate("krasp", "otsku", "spark"), b = translate("-", "", "a-b-c")"#);
    assert_eq!(texts(&t), [["kusto", "abc"]]);
}

// --- parse_xml -----------------------------------------------------------------

#[test]
fn parse_xml_event_data_navigates_like_sentinel_rules_expect() {
    let t = run(r##"datatable(EventData: string) [
            '<DataItem><EventData><Data Name="TargetUserName">ana</Data><Data Name="Status">0xC000006D</Data></EventData></DataItem>',
            'not xml'
        ]
        | extend d = parse_xml(EventData).DataItem.EventData.Data
        | mv-expand d
        | project name = tostring(d["@Name"]), value = tostring(d["#text"])"##);
    assert_eq!(
        texts(&t),
        [
            ["TargetUserName", "ana"],
            ["Status", "0xC000006D"],
            ["", ""]
        ]
    );
}

#[test]
fn invoke_passes_named_arguments_to_the_function() {
    let t = run(
        "let top_n = (T: (x: long), n: long = 1, skip: long = 0) { T | where x > skip | take n };
        datatable(x: long) [1, 2, 3] | invoke top_n(skip = 1, n = 5) | count",
    );
    assert_eq!(texts(&t), [["2"]]);
}

// --- iff / case with a dynamic branch -------------------------------------------

#[test]
fn iff_and_case_with_a_dynamic_branch_and_a_string_branch_are_strings() {
    let t = run(
        r#"datatable(p: dynamic) [dynamic({"Type": "process", "CommandLine": "cmd /c"}), dynamic({"Type": "file"})]
        | extend CmdLine = iff(p['Type'] == "process", p['CommandLine'], '')
        | extend Host = case(p['Type'] == "file", p['Type'], "none")
        | project CmdLine, Host, t = gettype(CmdLine)"#,
    );
    assert_eq!(
        texts(&t),
        [["cmd /c", "none", "string"], ["", "file", "string"]]
    );
    assert_eq!(
        column_types(&t),
        [DataType::String, DataType::String, DataType::String]
    );
    // ... so the result joins with a string column.
    let t = run(
        r#"datatable(p: dynamic) [dynamic({"Type": "ip", "Address": "10.0.0.1"})]
        | extend IpAddress = iff(p["Type"] == "ip", p['Address'], '')
        | join kind=inner (datatable(CallerIpAddress: string) ["10.0.0.1"]) on $left.IpAddress == $right.CallerIpAddress
        | project IpAddress"#,
    );
    assert_eq!(texts(&t), [["10.0.0.1"]]);
    let err = failure(&engine(), "print iff(true, 1, 'a')");
    assert!(err.diagnostics()[0].message.contains("same type"));
}
