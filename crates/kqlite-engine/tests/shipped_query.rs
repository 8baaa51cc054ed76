//! Golden test of the shipped detection `queries/t1078_004_cloud_accounts.kql`
//! on small hand-written SigninLogs and AADServicePrincipalSignInLogs
//! fixtures, one row per indicator.

use std::path::PathBuf;
use std::sync::Arc;

use kqlite_engine::column::ColumnBuilder;
use kqlite_engine::time::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE};
use kqlite_engine::{DataType, Dynamic, Engine, RunOptions, Table, Value};

fn query_text() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../queries/t1078_004_cloud_accounts.kql");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// 2024-05-01T12:00:00Z, the fixed `now()` of these tests.
fn now() -> i64 {
    kqlite_engine::time::parse_datetime("2024-05-01T12:00:00Z").expect("valid datetime")
}

/// One SigninLogs row: only the columns the detection reads.
struct Signin {
    id: &'static str,
    ago: i64,
    result: &'static str,
    country: &'static str,
    client: &'static str,
    risk: &'static str,
    auth: &'static str,
    ca: &'static str,
}

const BASE: Signin = Signin {
    id: "",
    ago: TICKS_PER_HOUR,
    result: "0",
    country: "US",
    client: "Browser",
    risk: "none",
    auth: "multiFactorAuthentication",
    ca: "success",
};

fn table(columns: Vec<(&str, DataType, Vec<Value>)>) -> Table {
    let cols = columns.into_iter().map(|(name, ty, values)| {
        let mut b = ColumnBuilder::new(ty, values.len());
        for v in &values {
            b.push(v).expect("fixture value has the column's type");
        }
        (name.to_string(), Arc::new(b.finish()))
    });
    Table::try_new(cols).expect("fixture columns line up")
}

fn s(text: &str) -> Value {
    Value::string(text)
}

fn signin_logs(rows: &[Signin]) -> Table {
    let n = now();
    let location = |r: &Signin| {
        Value::Dynamic(Dynamic::from_json(&serde_json::json!({
            "countryOrRegion": r.country,
            "city": format!("{}-city", r.country),
        })))
    };
    table(vec![
        (
            "TimeGenerated",
            DataType::DateTime,
            rows.iter().map(|r| Value::DateTime(n - r.ago)).collect(),
        ),
        (
            "ResultType",
            DataType::String,
            rows.iter().map(|r| s(r.result)).collect(),
        ),
        (
            "UserPrincipalName",
            DataType::String,
            rows.iter()
                .map(|r| s(&format!("{}@contoso.com", r.id)))
                .collect(),
        ),
        (
            "UserId",
            DataType::String,
            rows.iter().map(|r| s(&format!("uid-{}", r.id))).collect(),
        ),
        (
            "AppDisplayName",
            DataType::String,
            rows.iter().map(|_| s("Office 365")).collect(),
        ),
        (
            "IPAddress",
            DataType::String,
            rows.iter().map(|_| s("203.0.113.7")).collect(),
        ),
        (
            "LocationDetails",
            DataType::Dynamic,
            rows.iter().map(location).collect(),
        ),
        (
            "ClientAppUsed",
            DataType::String,
            rows.iter().map(|r| s(r.client)).collect(),
        ),
        (
            "RiskLevelDuringSignIn",
            DataType::String,
            rows.iter().map(|r| s(r.risk)).collect(),
        ),
        (
            "AuthenticationRequirement",
            DataType::String,
            rows.iter().map(|r| s(r.auth)).collect(),
        ),
        (
            "ConditionalAccessStatus",
            DataType::String,
            rows.iter().map(|r| s(r.ca)).collect(),
        ),
        (
            "UserAgent",
            DataType::String,
            rows.iter().map(|_| s("Mozilla/5.0")).collect(),
        ),
        (
            "CorrelationId",
            DataType::String,
            rows.iter().map(|r| s(r.id)).collect(),
        ),
    ])
}

/// One AADServicePrincipalSignInLogs row.
struct SpSignin {
    name: &'static str,
    ip: &'static str,
    ago: i64,
    result: &'static str,
}

fn sp_logs(rows: &[SpSignin]) -> Table {
    let n = now();
    table(vec![
        (
            "TimeGenerated",
            DataType::DateTime,
            rows.iter().map(|r| Value::DateTime(n - r.ago)).collect(),
        ),
        (
            "ResultType",
            DataType::String,
            rows.iter().map(|r| s(r.result)).collect(),
        ),
        (
            "ServicePrincipalName",
            DataType::String,
            rows.iter().map(|r| s(r.name)).collect(),
        ),
        (
            "ServicePrincipalId",
            DataType::String,
            rows.iter().map(|r| s(&format!("id-{}", r.name))).collect(),
        ),
        (
            "AppId",
            DataType::String,
            rows.iter().map(|r| s(&format!("app-{}", r.name))).collect(),
        ),
        (
            "IPAddress",
            DataType::String,
            rows.iter().map(|r| s(r.ip)).collect(),
        ),
    ])
}

fn fixture_signins() -> Vec<Signin> {
    let m = TICKS_PER_MINUTE;
    vec![
        Signin {
            id: "legacy-smtp",
            ago: 10 * m,
            client: "Authenticated SMTP",
            ..BASE
        },
        // `IMAP4` is one term, so `has_any` does not find the term `IMAP`.
        Signin {
            id: "imap4",
            ago: 20 * m,
            client: "IMAP4",
            ..BASE
        },
        Signin {
            id: "outlook-anywhere",
            ago: 30 * m,
            client: "Outlook Anywhere (RPC over HTTP)",
            ..BASE
        },
        Signin {
            id: "country-kp",
            ago: 40 * m,
            country: "KP",
            ..BASE
        },
        Signin {
            id: "country-ir",
            ago: 50 * m,
            country: "IR",
            ..BASE
        },
        Signin {
            id: "country-ru",
            ago: 60 * m,
            country: "RU",
            ..BASE
        },
        Signin {
            id: "country-cn",
            ago: 70 * m,
            country: "CN",
            ..BASE
        },
        Signin {
            id: "country-by",
            ago: 80 * m,
            country: "BY",
            ..BASE
        },
        Signin {
            id: "benign",
            ago: 90 * m,
            ..BASE
        },
        Signin {
            id: "risk-high",
            ago: 100 * m,
            risk: "high",
            ..BASE
        },
        Signin {
            id: "risk-medium",
            ago: 110 * m,
            risk: "medium",
            ..BASE
        },
        Signin {
            id: "risk-low",
            ago: 120 * m,
            risk: "low",
            ..BASE
        },
        Signin {
            id: "single-factor",
            ago: 130 * m,
            auth: "singleFactorAuthentication",
            ..BASE
        },
        Signin {
            id: "single-factor-not-applied",
            ago: 140 * m,
            auth: "singleFactorAuthentication",
            ca: "notApplied",
            ..BASE
        },
        Signin {
            id: "outside-window",
            ago: 25 * TICKS_PER_HOUR,
            client: "Authenticated SMTP",
            ..BASE
        },
        Signin {
            id: "failed-kp",
            ago: 150 * m,
            country: "KP",
            result: "50126",
            ..BASE
        },
        // An older sign-in that only a 3-day lookback reaches.
        Signin {
            id: "three-days-ago",
            ago: 3 * TICKS_PER_DAY,
            country: "RU",
            ..BASE
        },
        // Out of order in the table, so the sort has work to do.
        Signin {
            id: "latest-legacy",
            ago: 5 * m,
            client: "POP3",
            ..BASE
        },
    ]
}

fn engine() -> Engine {
    let h = TICKS_PER_HOUR;
    let m = TICKS_PER_MINUTE;
    // Both principals sign in within 09:00-10:00 (2-3h before now).
    let base = 2 * h + 10 * m;
    let sp = |name, ip, extra: i64, result| SpSignin {
        name,
        ip,
        ago: base + extra * m,
        result,
    };
    let mut e = Engine::new();
    e.set_now(now());
    e.add_table("SigninLogs", signin_logs(&fixture_signins()));
    e.add_table(
        "AADServicePrincipalSignInLogs",
        sp_logs(&[
            sp("sp-busy", "10.0.0.1", 0, "0"),
            sp("sp-busy", "10.0.0.2", 1, "0"),
            sp("sp-busy", "10.0.0.1", 2, "0"),
            sp("sp-busy", "10.0.0.3", 3, "0"),
            sp("sp-busy", "10.0.0.4", 4, "0"),
            // A failed sign-in from a fifth address does not count.
            sp("sp-busy", "10.0.0.5", 5, "7000215"),
            sp("sp-calm", "10.1.0.1", 0, "0"),
            sp("sp-calm", "10.1.0.2", 1, "0"),
            sp("sp-calm", "10.1.0.3", 2, "0"),
            sp("sp-calm", "10.1.0.3", 3, "0"),
        ]),
    );
    e
}

fn strings(t: &Table, column: &str) -> Vec<String> {
    let c = t
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    (0..c.len()).map(|i| c.get(i).to_string()).collect()
}

#[test]
fn the_detection_reports_each_indicator_newest_first() {
    let t = engine().run(&query_text()).expect("the shipped query runs");
    let names: Vec<&str> = t.column_names().collect();
    assert_eq!(
        names,
        vec![
            "TimeGenerated",
            "UserPrincipalName",
            "UserId",
            "AppDisplayName",
            "IPAddress",
            "Country",
            "City",
            "ClientApp",
            "IsLegacyAuth",
            "IsSuspiciousCountry",
            "IsHighRisk",
            "IsMFANotPerformed",
            "RiskLevelDuringSignIn",
            "ConditionalAccessStatus",
            "UserAgent",
            "CorrelationId",
        ]
    );
    assert_eq!(
        strings(&t, "CorrelationId"),
        vec![
            "latest-legacy",
            "legacy-smtp",
            "outlook-anywhere",
            "country-kp",
            "country-ir",
            "country-ru",
            "country-cn",
            "country-by",
            "risk-high",
            "risk-medium",
            "single-factor",
        ]
    );
    let row = |id: &str| {
        let i = strings(&t, "CorrelationId")
            .iter()
            .position(|c| c == id)
            .expect("row present");
        t.row(i)
    };
    // Columns 8..=11 are the four indicator flags.
    let flags = |id: &str| row(id)[8..12].to_vec();
    let b = Value::Bool;
    assert_eq!(
        flags("legacy-smtp"),
        vec![b(true), b(false), b(false), b(false)]
    );
    assert_eq!(
        flags("country-by"),
        vec![b(false), b(true), b(false), b(false)]
    );
    assert_eq!(
        flags("risk-medium"),
        vec![b(false), b(false), b(true), b(false)]
    );
    assert_eq!(
        flags("single-factor"),
        vec![b(false), b(false), b(false), b(true)]
    );
    let kp = row("country-kp");
    assert_eq!(kp[5], Value::string("KP"));
    assert_eq!(kp[6], Value::string("KP-city"));
    assert_eq!(kp[7], Value::string("Browser"));
    assert_eq!(
        row("latest-legacy")[0],
        Value::DateTime(now() - 5 * TICKS_PER_MINUTE)
    );
}

#[test]
fn a_longer_lookback_override_reaches_older_sign_ins() {
    let opts = RunOptions {
        lets: vec![("LookbackPeriod".to_string(), "7d".to_string())],
        ..RunOptions::default()
    };
    let t = engine()
        .run_with(&query_text(), &opts)
        .expect("runs with override");
    let ids = strings(&t, "CorrelationId");
    assert!(ids.contains(&"three-days-ago".to_string()));
    assert!(ids.contains(&"outside-window".to_string()));
    assert_eq!(ids.last().map(String::as_str), Some("three-days-ago"));
}

#[test]
fn the_service_principal_section_reports_only_principals_on_more_than_three_addresses() {
    let opts = RunOptions {
        section: Some("SPSignins".to_string()),
        ..RunOptions::default()
    };
    let t = engine()
        .run_with(&query_text(), &opts)
        .expect("the SPSignins section runs");
    let names: Vec<&str> = t.column_names().collect();
    assert_eq!(
        names,
        vec![
            "TimeGenerated",
            "ServicePrincipalName",
            "ServicePrincipalId",
            "AppId",
            "SigninCount",
            "UniqueIPs",
            "IPList",
            "AlertReason",
        ]
    );
    assert_eq!(t.num_rows(), 1, "only sp-busy is reported");
    let row = t.row(0);
    let hour = now() - 3 * TICKS_PER_HOUR;
    assert_eq!(row[0], Value::DateTime(hour), "binned to the hour");
    assert_eq!(row[1], Value::string("sp-busy"));
    assert_eq!(row[4], Value::Long(5));
    assert_eq!(row[5], Value::Long(4));
    assert_eq!(
        row[6].to_string(),
        r#"["10.0.0.1","10.0.0.2","10.0.0.3","10.0.0.4"]"#
    );
    assert_eq!(
        row[7],
        Value::string("Service principal authenticating from multiple IPs")
    );
}

#[test]
fn check_warns_about_the_numeric_result_type_and_the_unused_section() {
    let mut e = Engine::new();
    let sl = signin_logs(&[]);
    e.add_schema("SigninLogs", sl.schema());
    e.add_schema("AADServicePrincipalSignInLogs", sp_logs(&[]).schema());
    let diags = e.check(&query_text());
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["W0001", "W0002", "W0001"], "{diags:#?}");
    assert!(diags.iter().all(|d| !d.is_error()));
    assert!(diags[1].message.contains("SPSignins"));
}

#[test]
fn the_detection_reads_both_sign_in_tables() {
    let tables = engine().tables_read(&query_text()).expect("binds");
    assert_eq!(tables, vec!["SigninLogs", "AADServicePrincipalSignInLogs"]);
}

#[test]
fn an_override_for_an_unknown_let_is_an_error_with_a_suggestion() {
    let opts = RunOptions {
        lets: vec![("LookbackPeriodd".to_string(), "7d".to_string())],
        ..RunOptions::default()
    };
    let err = engine()
        .run_with(&query_text(), &opts)
        .expect_err("unknown override");
    let diags = err.diagnostics();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(
        diags[0].hint.as_deref(),
        Some("did you mean `LookbackPeriod`?")
    );
}

#[test]
fn an_unknown_section_is_an_error() {
    let opts = RunOptions {
        section: Some("NoSuchSection".to_string()),
        ..RunOptions::default()
    };
    assert!(matches!(
        engine().run_with(&query_text(), &opts),
        Err(kqlite_engine::QueryError::Bind(_))
    ));
}
