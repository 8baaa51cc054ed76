use super::*;
use crate::generator::default_dataset_options;
use kqlite_engine::Value;

fn catalog_columns(table: &str) -> Vec<(String, DataType)> {
    builtin(Environment::Sentinel)
        .columns_of(table)
        .unwrap_or_else(|| panic!("{table} is not in the catalog"))
}

fn generate(table: &str, rows: usize, seed: u64) -> Table {
    let opts = SyntheticOptions {
        rows,
        seed,
        ..SyntheticOptions::default()
    };
    generate_any(table, &catalog_columns(table), &opts).unwrap()
}

fn strings(t: &Table, column: &str) -> Vec<String> {
    let c = t
        .column(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    (0..t.num_rows()).map(|i| c.get(i).to_string()).collect()
}

fn assert_schema(table: &str, t: &Table, columns: &[(String, DataType)], rows: usize) {
    assert_eq!(t.num_rows(), rows, "{table}");
    assert_eq!(t.num_columns(), columns.len(), "{table}");
    for ((name, ty), (got_name, got)) in columns.iter().zip(t.columns()) {
        assert_eq!(name, got_name, "{table}");
        assert_eq!(*ty, got.data_type(), "{table}.{name}");
        assert_eq!(got.len(), rows, "{table}.{name}");
    }
}

/// Fifty tables from across the catalog: Defender, Windows agents, Azure
/// diagnostics, third-party connectors, custom logs and parser outputs.
const SAMPLE: &[&str] = &[
    "DeviceProcessEvents",
    "DeviceNetworkEvents",
    "DeviceFileEvents",
    "DeviceRegistryEvents",
    "DeviceLogonEvents",
    "DeviceImageLoadEvents",
    "DeviceEvents",
    "DeviceInfo",
    "DeviceNetworkInfo",
    "DeviceFileCertificateInfo",
    "IdentityLogonEvents",
    "IdentityQueryEvents",
    "IdentityDirectoryEvents",
    "CloudAppEvents",
    "EmailEvents",
    "EmailUrlInfo",
    "EmailAttachmentInfo",
    "EmailPostDeliveryEvents",
    "UrlClickEvents",
    "AlertInfo",
    "AlertEvidence",
    "SecurityEvent",
    "WindowsEvent",
    "Event",
    "Syslog",
    "CommonSecurityLog",
    "OfficeActivity",
    "AzureActivity",
    "AzureDiagnostics",
    "SecurityAlert",
    "SecurityIncident",
    "Heartbeat",
    "Perf",
    "W3CIISLog",
    "DnsEvents",
    "AzureMetrics",
    "StorageBlobLogs",
    "AADProvisioningLogs",
    "MicrosoftGraphActivityLogs",
    "ThreatIntelligenceIndicator",
    "Watchlist",
    "BehaviorAnalytics",
    "IdentityInfo",
    "SentinelHealth",
    "ASimNetworkSessionLogs",
    "ASimDnsActivityLogs",
    "AWSCloudTrail",
    "GCPAuditLogs",
    "ContainerLogV2",
    "CiscoSEGEvent",
];

#[test]
fn fifty_sampled_tables_have_exactly_the_catalog_columns_and_types() {
    for table in SAMPLE {
        let columns = catalog_columns(table);
        let t = generate(table, 200, 1);
        assert_schema(table, &t, &columns, 200);
    }
}

#[test]
fn every_catalog_table_generates_five_rows_with_its_schema() {
    let catalog = builtin(Environment::Sentinel);
    let pool = Pool::new(7, 20);
    let opts = SyntheticOptions {
        rows: 5,
        seed: 7,
        ..SyntheticOptions::default()
    };
    let mut count = 0;
    for table in catalog.table_names() {
        let mut columns = catalog.columns_of(table).unwrap_or_default();
        let names: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
        let t = build_table(&pool, table, &columns, &names, &opts).unwrap();
        let mut seen = Vec::new();
        columns.retain(|(c, _)| {
            let first = !seen.contains(c);
            seen.push(c.clone());
            first
        });
        if columns.is_empty() {
            assert_eq!(t.num_rows(), 5, "{table}");
        } else {
            assert_schema(table, &t, &columns, 5);
        }
        count += 1;
    }
    assert!(count > 1_900, "{count}");
}

#[test]
fn every_defender_table_generates_with_its_advanced_hunting_schema() {
    let catalog = builtin(Environment::Defender);
    let opts = SyntheticOptions {
        rows: 5,
        ..SyntheticOptions::default()
    };
    for table in catalog.table_names() {
        let columns = catalog.columns_of(table).unwrap_or_default();
        let t = generate_any(table, &columns, &opts).unwrap();
        if !columns.is_empty() {
            assert_schema(table, &t, &columns, 5);
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_rows_and_another_seed_does_not() {
    for table in [
        "DeviceProcessEvents",
        "SecurityEvent",
        "OfficeActivity",
        "Syslog",
    ] {
        let a = generate(table, 300, 11);
        let b = generate(table, 300, 11);
        let c = generate(table, 300, 12);
        assert_eq!(a, b, "{table}");
        assert_ne!(a, c, "{table}");
    }
}

#[test]
fn the_first_row_is_pinned_so_data_never_drifts() {
    // Changing these values changes every generated dataset of seed 42.
    let t = generate("DeviceProcessEvents", 3, 42);
    let row: Vec<String> = ["Timestamp", "DeviceName", "FileName", "AccountUpn"]
        .iter()
        .filter_map(|c| t.column(c).map(|col| col.get(0).to_string()))
        .collect();
    assert_eq!(
        row,
        [
            "2026-01-09T12:35:57.5072119Z",
            "contoso-lt-7389.contoso.com",
            "taskhostw.exe",
            "diego.chandra@contoso.com"
        ]
    );
}

#[test]
fn every_datetime_lies_inside_the_window() {
    let opts = SyntheticOptions {
        rows: 500,
        window: 2 * TICKS_PER_DAY,
        ..SyntheticOptions::default()
    };
    let start = opts.now - opts.window;
    for table in SAMPLE {
        let t = generate_any(table, &catalog_columns(table), &opts).unwrap();
        for (name, col) in t.columns() {
            let ColumnData::DateTime(ticks) = &col.data else {
                continue;
            };
            for (i, &x) in ticks.iter().enumerate() {
                if !col.is_null(i) {
                    assert!((start..=opts.now).contains(&x), "{table}.{name} row {i}");
                }
            }
        }
    }
}

#[test]
fn timestamp_and_time_generated_of_a_row_agree_and_rows_are_in_time_order() {
    let t = generate("DeviceProcessEvents", 1_000, 3);
    let (Some(a), Some(b)) = (t.column("Timestamp"), t.column("TimeGenerated")) else {
        panic!("missing time columns")
    };
    assert_eq!(a.data, b.data);
    let ColumnData::DateTime(ticks) = &a.data else {
        panic!("not a datetime")
    };
    assert!(ticks.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn ip_columns_hold_addresses_that_parse() {
    let t = generate("DeviceNetworkEvents", 300, 5);
    for col in ["LocalIP", "RemoteIP"] {
        for ip in strings(&t, col) {
            assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{col}: {ip}");
        }
    }
    assert!(strings(&t, "LocalIP")
        .iter()
        .all(|ip| ip.starts_with("10.")));
    let s = generate("CommonSecurityLog", 300, 5);
    for col in ["SourceIP", "DestinationIP"] {
        for ip in strings(&s, col) {
            assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{col}: {ip}");
        }
    }
}

#[test]
fn digests_have_the_length_of_their_algorithm_and_agree_per_file() {
    let t = generate("DeviceProcessEvents", 500, 5);
    for (col, len) in [
        ("SHA256", 64),
        ("SHA1", 40),
        ("MD5", 32),
        ("InitiatingProcessSHA256", 64),
    ] {
        for h in strings(&t, col) {
            assert_eq!(h.len(), len, "{col}: {h}");
            assert!(h.bytes().all(|b| b.is_ascii_hexdigit()), "{col}: {h}");
        }
    }
    let files = strings(&t, "FileName");
    let hashes = strings(&t, "SHA256");
    let mut pairs: Vec<(&String, &String)> = files.iter().zip(&hashes).collect();
    pairs.sort();
    pairs.dedup();
    let mut names: Vec<&String> = pairs.iter().map(|p| p.0).collect();
    names.dedup();
    assert_eq!(names.len(), pairs.len(), "one digest per file name");
}

#[test]
fn process_columns_describe_the_same_process() {
    let t = generate("DeviceProcessEvents", 300, 8);
    let files = strings(&t, "FileName");
    let paths = strings(&t, "FolderPath");
    let lines = strings(&t, "ProcessCommandLine");
    for i in 0..t.num_rows() {
        assert!(
            paths[i].ends_with(&format!("\\{}", files[i])),
            "{}",
            paths[i]
        );
        assert!(
            lines[i].to_lowercase().contains(&files[i].to_lowercase()),
            "{} / {}",
            lines[i],
            files[i]
        );
    }
    assert!(strings(&t, "ActionType")
        .iter()
        .all(|a| a == "ProcessCreated"));
}

#[test]
fn event_id_columns_hold_windows_security_event_ids() {
    let t = generate("SecurityEvent", 500, 9);
    let ids = t.column("EventID").unwrap();
    assert_eq!(ids.data_type(), DataType::Int);
    let known: Vec<i64> = lists::WINDOWS_EVENTS.iter().map(|e| e.0).collect();
    let activity = strings(&t, "Activity");
    let mut seen_4624 = false;
    for (i, text) in activity.iter().enumerate() {
        let Value::Int(id) = ids.get(i) else {
            panic!("not an int")
        };
        assert!(known.contains(&i64::from(id)), "{id}");
        assert!(text.starts_with(&format!("{id} - ")), "{text}");
        seen_4624 |= id == 4624;
    }
    assert!(seen_4624);
}

#[test]
fn account_columns_agree_within_a_row() {
    let t = generate("DeviceProcessEvents", 500, 4);
    let upns = strings(&t, "AccountUpn");
    let names = strings(&t, "AccountName");
    let domains = strings(&t, "AccountDomain");
    let mut system = 0;
    for i in 0..t.num_rows() {
        if upns[i].is_empty() {
            system += 1;
            assert_eq!(domains[i], "nt authority");
        } else {
            assert_eq!(upns[i], format!("{}@contoso.com", names[i]));
            assert_eq!(domains[i], "CONTOSO");
        }
    }
    assert!(system > 0 && system < t.num_rows() / 2, "{system}");
    let ids = strings(&t, "DeviceId");
    assert!(ids.iter().all(|d| d.len() == 40));
    let t = generate("SecurityEvent", 200, 4);
    assert!(strings(&t, "Type").iter().all(|x| x == "SecurityEvent"));
    assert!(strings(&t, "Computer")
        .iter()
        .all(|c| c.ends_with(".contoso.com")));
}

#[test]
fn device_tables_join_on_device_id() {
    let mut opts = default_dataset_options();
    opts.rows = 2_000;
    let data = generate_dataset(
        &opts,
        &["DeviceProcessEvents", "DeviceNetworkEvents"],
        Environment::Sentinel,
    )
    .unwrap();
    let mut engine = kqlite_engine::Engine::new();
    for (name, table) in data.tables {
        engine.add_table(name, table);
    }
    let out = engine
        .run(
            "DeviceProcessEvents | where FileName =~ 'powershell.exe' \
             | join kind=inner (DeviceNetworkEvents | where ActionType == 'ConnectionSuccess') on DeviceId \
             | summarize Devices = dcount(DeviceId), Rows = count()",
        )
        .unwrap();
    let Value::Long(devices) = out.column("Devices").unwrap().get(0) else {
        panic!("not a long")
    };
    assert!(devices > 0, "no device in both tables");
}

#[test]
fn office_activity_users_are_signinlogs_users() {
    let mut opts = default_dataset_options();
    opts.rows = 3_000;
    let data = generate_dataset(
        &opts,
        &["SigninLogs", "OfficeActivity"],
        Environment::Sentinel,
    )
    .unwrap();
    let signins: std::collections::HashSet<String> =
        strings(data.table("SigninLogs").unwrap(), "UserPrincipalName")
            .into_iter()
            .collect();
    let office = strings(data.table("OfficeActivity").unwrap(), "UserId");
    let shared = office.iter().filter(|u| signins.contains(*u)).count();
    assert!(
        shared * 10 > office.len() * 9,
        "{shared} of {}",
        office.len()
    );
}

#[test]
fn the_dataset_keeps_the_entra_generator_for_its_tables() {
    let mut opts = default_dataset_options();
    opts.rows = 1_000;
    let mixed = generate_dataset(
        &opts,
        &["Syslog", "AuditLogs", "SigninLogs"],
        Environment::Sentinel,
    )
    .unwrap();
    let entra = crate::generate_tables(&opts, &["SigninLogs", "AuditLogs"]).unwrap();
    let names: Vec<&str> = mixed.tables.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Syslog", "AuditLogs", "SigninLogs"]);
    assert_eq!(mixed.table("SigninLogs"), entra.table("SigninLogs"));
    assert_eq!(mixed.table("AuditLogs"), entra.table("AuditLogs"));
    assert_eq!(mixed.labels, entra.labels);
    assert_eq!(mixed.table("Syslog").unwrap().num_rows(), 1_000);
}

#[test]
fn generic_tables_alone_have_no_labels() {
    let mut opts = default_dataset_options();
    opts.rows = 10;
    let d = generate_dataset(&opts, &["Syslog"], Environment::Sentinel).unwrap();
    assert_eq!(d.labels.num_rows(), 0);
    assert_eq!(d.tables.len(), 1);
}

#[test]
fn an_unknown_table_is_an_error_with_a_suggestion() {
    let opts = default_dataset_options();
    let err = generate_dataset(&opts, &["DeviceProcesEvents"], Environment::Sentinel).unwrap_err();
    assert_eq!(
        err,
        GenError::NotInCatalog {
            table: "DeviceProcesEvents".to_string(),
            suggestion: Some("DeviceProcessEvents".to_string())
        }
    );
    assert_eq!(
        err.to_string(),
        "unknown table `DeviceProcesEvents`; did you mean `DeviceProcessEvents`?"
    );
    let err = generate_dataset(&opts, &["signinlogs"], Environment::Sentinel).unwrap_err();
    assert!(
        err.to_string().contains("did you mean `SigninLogs`?"),
        "{err}"
    );
    let err = generate_dataset(&opts, &["Zzzzzzzzzz"], Environment::Sentinel).unwrap_err();
    assert_eq!(err.to_string(), "unknown table `Zzzzzzzzzz`");
    // Defender advanced hunting has no SecurityEvent.
    assert!(generate_dataset(&opts, &["SecurityEvent"], Environment::Defender).is_err());
}

#[test]
fn a_projection_keeps_the_values_of_the_full_table() {
    let mut opts = default_dataset_options();
    opts.rows = 300;
    let full = generate_dataset(&opts, &["DeviceProcessEvents"], Environment::Sentinel).unwrap();
    opts.columns = vec![(
        "DeviceProcessEvents".to_string(),
        vec!["AccountUpn".to_string(), "Timestamp".to_string()],
    )];
    let cut = generate_dataset(&opts, &["DeviceProcessEvents"], Environment::Sentinel).unwrap();
    let (a, b) = (
        full.table("DeviceProcessEvents").unwrap(),
        cut.table("DeviceProcessEvents").unwrap(),
    );
    assert_eq!(
        b.column_names().collect::<Vec<_>>(),
        ["Timestamp", "AccountUpn"]
    );
    for c in ["Timestamp", "AccountUpn"] {
        assert_eq!(strings(a, c), strings(b, c), "{c}");
    }
    opts.columns = vec![("DeviceProcessEvents".to_string(), vec!["Nope".to_string()])];
    assert!(matches!(
        generate_dataset(&opts, &["DeviceProcessEvents"], Environment::Sentinel),
        Err(GenError::UnknownColumn { .. })
    ));
}

#[test]
fn a_bad_window_is_a_typed_error() {
    let opts = SyntheticOptions {
        window: 0,
        ..SyntheticOptions::default()
    };
    assert_eq!(
        generate_any("Syslog", &catalog_columns("Syslog"), &opts),
        Err(GenError::EmptyWindow(0))
    );
}

#[test]
fn dynamic_columns_hold_bags_and_their_json_in_defender() {
    let t = generate("DeviceProcessEvents", 20, 2);
    let Value::Dynamic(d) = t.column("AdditionalFields").unwrap().get(0) else {
        panic!("not dynamic")
    };
    assert!(matches!(d, Dynamic::Bag(_)), "{d:?}");
    let columns = builtin(Environment::Defender)
        .columns_of("DeviceProcessEvents")
        .unwrap();
    let t = generate_any(
        "DeviceProcessEvents",
        &columns,
        &SyntheticOptions::default(),
    )
    .unwrap();
    let text = t.column("AdditionalFields").unwrap().get(0).to_string();
    assert!(serde_json::from_str::<serde_json::Value>(&text)
        .unwrap()
        .is_object());
}
