//! Embedding kqlite: load tables, fix the clock, run the shipped detection
//! and one of its sections, and read typed results.
//!
//! Run with `cargo run --example embed`.

use std::error::Error;

use kqlite::{Engine, RunOptions, Value};

fn main() -> Result<(), Box<dyn Error>> {
    let query = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/queries/t1078_004_cloud_accounts.kql"
    ))?;

    // Synthetic Sentinel tables with labelled attack scenarios.
    let opts = kqlite::sentinel::default_dataset_options();
    let data =
        kqlite::sentinel::generate_tables(&opts, &["SigninLogs", "AADServicePrincipalSignInLogs"])?;
    let mut engine = Engine::new();
    for (name, table) in data.tables {
        engine.add_table(name, table);
    }
    engine.set_now(opts.now);

    // The final statement: suspicious user sign-ins, newest first.
    let alerts = engine.run(&query)?;
    println!("SuspiciousSignins: {} rows", alerts.num_rows());
    let users = alerts
        .column("UserPrincipalName")
        .ok_or("no UserPrincipalName")?;
    let countries = alerts.column("Country").ok_or("no Country")?;
    for row in 0..alerts.num_rows().min(5) {
        println!("  {} from {}", users.get(row), countries.get(row));
    }

    // The SPSignins section, with a longer lookback.
    let section = RunOptions {
        section: Some("SPSignins".into()),
        lets: vec![("LookbackPeriod".into(), "7d".into())],
        ..RunOptions::default()
    };
    let sp = engine.run_with(&query, &section)?;
    println!("SPSignins over 7 days: {} rows", sp.num_rows());
    if let Some(Value::Long(n)) = sp.rows().next().and_then(|r| r.into_iter().nth(5)) {
        println!("  first alert: {n} distinct IPs in one hour");
    }
    Ok(())
}
