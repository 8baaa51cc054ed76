//! `kqlite check` against the built-in catalog: any Sentinel or Defender
//! table, did-you-mean for a miscased table, the environment's column types,
//! and workspace function signatures.

mod support;

use std::process::{Command, Output, Stdio};

use support::stderr;

fn check(args: &[&str], query: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kqlite"))
        .arg("check")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kqlite binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(query.as_bytes()).expect("query written");
    }
    child.wait_with_output().expect("kqlite finishes")
}

#[test]
fn detections_over_defender_windows_and_office_tables_check_clean() {
    for query in [
        "DeviceProcessEvents | where FileName =~ 'powershell.exe' | project Timestamp, DeviceName, ProcessCommandLine",
        "SecurityEvent | where EventID == 4688 | summarize count() by Computer, Account",
        "OfficeActivity | where Operation == 'New-InboxRule' | extend p = parse_json(Parameters)",
        "CommonSecurityLog | where DeviceVendor == 'Palo Alto Networks' | summarize by SourceIP",
        "Syslog | where Facility == 'auth' | project TimeGenerated, HostName, SyslogMessage, _ResourceId",
    ] {
        let o = check(&[], query);
        assert!(o.status.success(), "{query}\n{}", stderr(&o));
    }
}

#[test]
fn a_miscased_table_is_unknown_with_a_suggestion() {
    let o = check(&[], "SignInLogs | take 1");
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("E1000"), "{err}");
    assert!(err.contains("did you mean `SigninLogs`?"), "{err}");
}

#[test]
fn the_environment_picks_the_column_types_and_tables() {
    // `AdditionalFields` is dynamic in Sentinel: member access is fine.
    let q = "DeviceProcessEvents | extend x = AdditionalFields.Command";
    assert!(check(&[], q).status.success());
    // In Defender advanced hunting it is a string.
    let o = check(&["--environment", "defender"], q);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // `TimeGenerated` is only in Sentinel's copy of a Defender table.
    let q = "DeviceProcessEvents | where TimeGenerated > ago(1d)";
    assert!(check(&[], q).status.success());
    assert_eq!(
        check(&["--environment", "defender"], q).status.code(),
        Some(1)
    );
    // Sentinel-only tables are not in Defender.
    let q = "SecurityEvent | take 1";
    assert_eq!(
        check(&["--environment", "defender"], q).status.code(),
        Some(1)
    );
}

#[test]
fn watchlists_and_asim_parsers_check_by_their_signatures() {
    let q = "let allow = _GetWatchlist('AllowedIPs') | project SearchKey;\n\
             _Im_Dns(starttime = ago(1d), endtime = now())\n\
             | where SrcIpAddr !in (allow)\n\
             | summarize count() by SrcIpAddr";
    let o = check(&[], q);
    assert!(o.status.success(), "{}", stderr(&o));
    // A watchlist's own columns are unknown until its file is given.
    let o = check(
        &[],
        "_GetWatchlist('RiskyFileTypes') | where isnotempty(Extension) | project SearchKey, Extension",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = check(&[], "_Im_Dns(strattime = ago(1d))");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `starttime`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_typo_in_a_query_is_reported_at_once() {
    let q = "DeviceProcessEvents\n| where FileNme =~ 'cmd.exe'\n| where ProcesCommandLine has 'whoami'\n\
             | project Timestamp, DevceName";
    let o = check(&["--format", "json"], q);
    let diags: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("the JSON output parses");
    let codes: Vec<&str> = diags
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["code"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(codes, ["E1001", "E1001", "E1001"], "{diags}");
}

#[test]
fn searching_every_table_of_an_unknown_workspace_is_quick_and_open() {
    for query in [
        "search \"evil.exe\" | summarize count() by $table",
        "union withsource=T * | where TimeGenerated > ago(1d) | summarize count() by Type",
        "find where Account == 'x'",
        "find in (Security*) where Account == 'x' | project Account",
    ] {
        let o = check(&[], query);
        assert!(o.status.success(), "{query}\n{}", stderr(&o));
    }
}
