//! The seeded generator: options, the generated dataset and its labels.
//!
//! Same seed and options, same rows, on every machine: all randomness comes
//! from [`crate::rng`] streams named after the tenant, each table and each
//! scenario, nothing reads the clock or the OS, and no output depends on hash
//! map iteration order. Because each table has its own stream, generating a
//! subset of the tables ([`generate_tables`]) yields exactly the rows those
//! tables have in the full dataset.
//!
//! Background rows of a table come out in time order, over the window ending
//! at `now`; scenario rows follow them (row order in Kusto is not meaningful).
//!
//! Background traffic is deliberately not clean: like a real tenant it has a
//! few sign-ins per thousand over legacy protocols, a few per thousand rated
//! medium or high risk, and single-factor sign-ins where a Conditional Access
//! policy applied, so the shipped detection raises unlabelled alerts too —
//! the noise a detection engineer tunes against. Background travel never goes
//! to the detection's suspicious countries; only labelled scenarios do.

use std::sync::Arc;

use kqlite_engine::column::StringColumn;
use kqlite_engine::table::TableError;
use kqlite_engine::time::{TICKS_PER_DAY, TICKS_PER_SECOND, UNIX_EPOCH_TICKS};
use kqlite_engine::{Column, ColumnData, Table};

use crate::background::{self, Timeline, UserSigninModel};
use crate::columns::guid_column;
use crate::materialize;
use crate::rng::Rng;
use crate::scenarios::{self, Label, ScenarioSelection, Sinks};
use crate::schema;
use crate::tenant::Tenant;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Seed of every random choice.
    pub seed: u64,
    /// End of the generated window, in datetime ticks (100 ns since 0001-01-01).
    pub now: i64,
    /// SigninLogs background rows. Other tables scale from it (see
    /// [`GenOptions::rows_for`]) unless `table_rows` overrides them; the
    /// tenant's size scales from it too (one user per 100 rows, at least 20).
    pub rows: usize,
    /// Per-table background row counts that override the scaling.
    pub table_rows: Vec<(String, usize)>,
    /// Tables to generate; empty means all of [`crate::table_names`].
    pub tables: Vec<String>,
    /// Labelled scenarios to inject.
    pub scenarios: ScenarioSelection,
    /// Length of the window, in ticks.
    pub window: i64,
    /// Per-table column projection: a listed table gets only the named
    /// columns (in schema order), each with the values it has in the full
    /// table; tables not listed keep every column. For writing just the
    /// columns a query reads.
    pub columns: Vec<(String, Vec<String>)>,
}

impl Default for GenOptions {
    fn default() -> GenOptions {
        default_dataset_options()
    }
}

/// The ratio of each table's background rows to SigninLogs rows.
const SCALE: &[(&str, usize, usize)] = &[
    ("SigninLogs", 1, 1),
    ("AADNonInteractiveUserSignInLogs", 1, 2),
    ("AADServicePrincipalSignInLogs", 1, 5),
    ("AADManagedIdentitySignInLogs", 1, 10),
    ("AuditLogs", 1, 20),
    ("AADUserRiskEvents", 1, 500),
];

impl GenOptions {
    /// Background rows of `table`: the override in `table_rows` if any, else
    /// `rows` scaled — non-interactive sign-ins ½, service principal ⅕,
    /// managed identity ⅒, AuditLogs 1/20, AADUserRiskEvents 1/500 (at least
    /// one row when `rows` is not zero).
    pub fn rows_for(&self, table: &str) -> usize {
        if let Some((_, n)) = self.table_rows.iter().find(|(t, _)| t == table) {
            return *n;
        }
        SCALE
            .iter()
            .find(|(t, _, _)| *t == table)
            .map_or(0, |&(_, num, den)| {
                let n = self.rows.saturating_mul(num) / den;
                if n == 0 && self.rows > 0 {
                    1
                } else {
                    n
                }
            })
    }

    /// Users of the synthetic tenant: one per 100 `rows`, 20 to 100,000.
    pub(crate) fn users(&self) -> usize {
        (self.rows / 100).clamp(20, 100_000)
    }
}

/// `2026-01-15T12:00:00Z` in ticks: the fixed `now` of the default dataset.
pub const DEFAULT_NOW: i64 = UNIX_EPOCH_TICKS + 1_768_478_400 * TICKS_PER_SECOND;

/// The CLI's default dataset: seed 42, 50,000 SigninLogs rows (other tables
/// scaled: 25,000 non-interactive, 10,000 service principal, 5,000 managed
/// identity, 2,500 audit, 100 risk events), a 7-day window ending at
/// [`DEFAULT_NOW`] (2026-01-15T12:00:00Z), every table and every scenario.
/// Small enough to generate in a fraction of a second.
pub fn default_dataset_options() -> GenOptions {
    GenOptions {
        seed: 42,
        now: DEFAULT_NOW,
        rows: 50_000,
        table_rows: Vec::new(),
        tables: Vec::new(),
        scenarios: ScenarioSelection::All,
        window: 7 * TICKS_PER_DAY,
        columns: Vec::new(),
    }
}

/// The generated tables and their ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// (table name, table), in [`crate::table_names`] order.
    pub tables: Vec<(String, Table)>,
    /// One row per injected scenario row: `ScenarioId`, `Kind` (`attack` /
    /// `benign`), `Name`, `Technique`, `Table`, `RowId` (row index in that
    /// table), `CorrelationId`, `TimeGenerated`, `Entity` (user principal
    /// name or service principal name), `Description`.
    pub labels: Table,
}

impl Dataset {
    /// The table called `name`, if generated.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

/// Why generation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GenError {
    /// A requested table has no schema.
    #[error("unknown table `{0}`; known tables: SigninLogs, AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs, AuditLogs, AADUserRiskEvents")]
    UnknownTable(String),
    /// A requested table is in neither the generator's tables nor the
    /// built-in catalog.
    #[error("unknown table `{table}`{}", did_you_mean_text(.suggestion.as_deref()))]
    NotInCatalog {
        /// The requested name.
        table: String,
        /// The closest catalog table name, when one is close enough to be a
        /// likely typo.
        suggestion: Option<String>,
    },
    /// The window is zero or negative.
    #[error("the time window must be positive, got {0} ticks")]
    EmptyWindow(i64),
    /// `now - window` or `now` falls outside the datetime range.
    #[error("the window ending at {now} ticks does not fit in the datetime range")]
    OutOfRange {
        /// The requested `now`.
        now: i64,
    },
    /// A column projection names a column the table does not have.
    #[error("table `{table}` has no column `{column}`")]
    UnknownColumn {
        /// The projected table.
        table: String,
        /// The missing column.
        column: String,
    },
    /// Building a table failed (a generator bug, reported rather than hidden).
    #[error("building a table failed: {0}")]
    Table(#[from] TableError),
}

/// `; did you mean `X`?` for a suggestion, nothing without one.
fn did_you_mean_text(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!("; did you mean `{s}`?"))
}

/// Generates the dataset `opts` describes, calling `progress(rows_done,
/// rows_total)` as background rows are produced (every 65,536 rows and at
/// the end of each table).
pub fn generate(
    opts: &GenOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Dataset, GenError> {
    if opts.window <= 0 {
        return Err(GenError::EmptyWindow(opts.window));
    }
    let start = opts.now.checked_sub(opts.window);
    if !(0..=kqlite_engine::time::MAX_DATETIME_TICKS).contains(&opts.now)
        || start.is_none_or(|s| s < 0)
    {
        return Err(GenError::OutOfRange { now: opts.now });
    }
    let wanted: Vec<&'static str> = if opts.tables.is_empty() {
        crate::table_names().collect()
    } else {
        for t in &opts.tables {
            if schema::table_columns(t).is_none() {
                return Err(GenError::UnknownTable(t.clone()));
            }
        }
        crate::table_names()
            .filter(|name| opts.tables.iter().any(|t| t == name))
            .collect()
    };
    if let Some((t, _)) = opts
        .table_rows
        .iter()
        .find(|(t, _)| schema::table_columns(t).is_none())
    {
        return Err(GenError::UnknownTable(t.clone()));
    }
    for (table, columns) in &opts.columns {
        let Some(schema) = schema::table_columns(table) else {
            return Err(GenError::UnknownTable(table.clone()));
        };
        if let Some(c) = columns
            .iter()
            .find(|c| !schema.columns.iter().any(|s| s.0 == c.as_str()))
        {
            return Err(GenError::UnknownColumn {
                table: table.clone(),
                column: c.clone(),
            });
        }
    }
    let total: usize = wanted.iter().map(|t| opts.rows_for(t)).sum();
    let mut done = 0_usize;
    let mut report = |n: usize| {
        done += n;
        progress(done, total);
    };

    let mut tenant = Tenant::new(opts.seed, opts.users());
    let timeline = Timeline::new(opts.now, opts.window);
    let stream = |name: &str| Rng::stream(opts.seed, &format!("table/{name}"));
    let has = |name: &str| wanted.contains(&name);
    let mut sinks = Sinks::default();
    if has("SigninLogs") {
        let model = UserSigninModel::new(&tenant, true);
        let mut rng = stream("SigninLogs");
        sinks.signins = Some(model.generate(
            opts.rows_for("SigninLogs"),
            &timeline,
            &mut rng,
            &mut report,
        ));
    }
    if has("AADNonInteractiveUserSignInLogs") {
        let model = UserSigninModel::new(&tenant, false);
        let mut rng = stream("AADNonInteractiveUserSignInLogs");
        let n = opts.rows_for("AADNonInteractiveUserSignInLogs");
        sinks.non_interactive = Some(model.generate(n, &timeline, &mut rng, &mut report));
    }
    if has("AADServicePrincipalSignInLogs") {
        let mut rng = stream("AADServicePrincipalSignInLogs");
        let n = opts.rows_for("AADServicePrincipalSignInLogs");
        sinks.service_principals = Some(background::service_principal_signins(
            &tenant,
            n,
            &timeline,
            &mut rng,
            &mut report,
        ));
    }
    let managed = if has("AADManagedIdentitySignInLogs") {
        let mut rng = stream("AADManagedIdentitySignInLogs");
        let n = opts.rows_for("AADManagedIdentitySignInLogs");
        Some(background::managed_identity_signins(
            &tenant,
            n,
            &timeline,
            &mut rng,
            &mut report,
        ))
    } else {
        None
    };
    if has("AuditLogs") {
        let mut rng = stream("AuditLogs");
        let n = opts.rows_for("AuditLogs");
        sinks.audit = Some(background::audit_events(
            &tenant,
            n,
            &timeline,
            &mut rng,
            &mut report,
        ));
    }
    if has("AADUserRiskEvents") {
        let mut rng = stream("AADUserRiskEvents");
        let n = opts.rows_for("AADUserRiskEvents");
        sinks.risk = Some(background::risk_events(
            &tenant,
            n,
            &timeline,
            &mut rng,
            &mut report,
        ));
    }

    scenarios::inject(
        &opts.scenarios.ids(),
        opts.seed,
        opts.now,
        &mut tenant,
        &mut sinks,
    );

    let mut tables = Vec::with_capacity(wanted.len());
    for name in wanted {
        let Some(mut schema) = schema::schema(name) else {
            return Err(GenError::UnknownTable(name.to_string()));
        };
        if let Some((_, keep)) = opts.columns.iter().find(|(t, _)| t == name) {
            schema.retain(|(c, _)| keep.contains(c));
        }
        let table = match name {
            "SigninLogs" | "AADNonInteractiveUserSignInLogs" => {
                let ev = if name == "SigninLogs" {
                    sinks.signins.as_ref()
                } else {
                    sinks.non_interactive.as_ref()
                };
                let empty = crate::events::UserSignins::default();
                materialize::user_signin_table(
                    name,
                    &schema,
                    ev.unwrap_or(&empty),
                    &tenant,
                    opts.seed,
                )?
            }
            "AADServicePrincipalSignInLogs" => {
                let empty = crate::events::SpSignins::default();
                let ev = sinks.service_principals.as_ref().unwrap_or(&empty);
                materialize::sp_signin_table(&schema, ev, &tenant, opts.seed)?
            }
            "AADManagedIdentitySignInLogs" => {
                let empty = crate::events::MiSignins::default();
                materialize::mi_signin_table(&schema, managed.as_ref().unwrap_or(&empty), &tenant)?
            }
            "AuditLogs" => {
                let empty = crate::events::AuditEvents::default();
                materialize::audit_table(&schema, sinks.audit.as_ref().unwrap_or(&empty), &tenant)?
            }
            _ => {
                let empty = crate::events::RiskEvents::default();
                materialize::risk_table(&schema, sinks.risk.as_ref().unwrap_or(&empty), &tenant)?
            }
        };
        tables.push((name.to_string(), table));
    }
    let labels = labels_table(&sinks.labels)?;
    Ok(Dataset { tables, labels })
}

/// Generates only the tables in `only` (all of them when `only` is empty),
/// with the rows they have in the full dataset of `opts`. For running a
/// query that reads a few tables without generating the rest.
pub fn generate_tables(opts: &GenOptions, only: &[&str]) -> Result<Dataset, GenError> {
    let mut o = opts.clone();
    o.tables = only.iter().map(|s| s.to_string()).collect();
    generate(&o, &mut |_, _| {})
}

/// The labels table, in injection order.
pub(crate) fn labels_table(labels: &[Label]) -> Result<Table, TableError> {
    let dict = |f: &dyn Fn(&Label) -> &str| -> Arc<Column> {
        Arc::new(Column::new(ColumnData::String(StringColumn::dictionary(
            labels.iter().map(f),
        ))))
    };
    Table::try_new([
        ("ScenarioId".to_string(), dict(&|l| l.scenario.as_str())),
        ("Kind".to_string(), dict(&|l| l.scenario.kind().as_str())),
        ("Name".to_string(), dict(&|l| l.scenario.name())),
        ("Technique".to_string(), dict(&|l| l.scenario.technique())),
        ("Table".to_string(), dict(&|l| l.table)),
        (
            "RowId".to_string(),
            Arc::new(Column::new(ColumnData::Long(
                labels.iter().map(|l| l.row as i64).collect(),
            ))),
        ),
        (
            "CorrelationId".to_string(),
            Arc::new(guid_column(
                &labels.iter().map(|l| l.correlation).collect::<Vec<_>>(),
            )),
        ),
        (
            "TimeGenerated".to_string(),
            Arc::new(Column::new(ColumnData::DateTime(
                labels.iter().map(|l| l.time).collect(),
            ))),
        ),
        ("Entity".to_string(), dict(&|l| l.entity.as_str())),
        (
            "Description".to_string(),
            dict(&|l| l.scenario.description()),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::ScenarioId;
    use kqlite_engine::time::TICKS_PER_HOUR;
    use kqlite_engine::{DataType, Value};

    fn small(seed: u64) -> GenOptions {
        GenOptions {
            seed,
            rows: 3_000,
            ..default_dataset_options()
        }
    }

    fn column_strings(t: &Table, name: &str) -> Vec<String> {
        let c = t.column(name).expect("column exists");
        (0..t.num_rows()).map(|i| c.get(i).to_string()).collect()
    }

    fn no_progress() -> impl FnMut(usize, usize) {
        |_, _| {}
    }

    #[test]
    fn the_same_seed_gives_byte_identical_datasets() {
        let a = generate(&small(7), &mut no_progress()).unwrap();
        let b = generate(&small(7), &mut no_progress()).unwrap();
        assert_eq!(a, b);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    fn jsonl(d: &Dataset) -> Vec<u8> {
        let mut out = Vec::new();
        for (_, t) in d
            .tables
            .iter()
            .chain([(String::new(), d.labels.clone())].iter())
        {
            kqlite_engine::io::write_jsonl(t, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn the_same_seed_gives_byte_identical_json_lines_and_another_seed_does_not() {
        let a = jsonl(&generate(&small(21), &mut no_progress()).unwrap());
        let b = jsonl(&generate(&small(21), &mut no_progress()).unwrap());
        let c = jsonl(&generate(&small(22), &mut no_progress()).unwrap());
        assert!(a.len() > 1_000_000);
        assert!(a == b, "same seed, different bytes");
        assert!(a != c, "different seeds, same bytes");
    }

    #[test]
    fn a_different_seed_gives_different_data() {
        let a = generate_tables(&small(7), &["SigninLogs"]).unwrap();
        let b = generate_tables(&small(8), &["SigninLogs"]).unwrap();
        let (ta, tb) = (
            a.table("SigninLogs").unwrap(),
            b.table("SigninLogs").unwrap(),
        );
        assert_ne!(
            column_strings(ta, "CorrelationId"),
            column_strings(tb, "CorrelationId")
        );
        assert_ne!(
            column_strings(ta, "UserPrincipalName"),
            column_strings(tb, "UserPrincipalName")
        );
    }

    #[test]
    fn every_table_has_every_schema_column_with_its_type_in_order() {
        let d = generate(&small(1), &mut no_progress()).unwrap();
        assert_eq!(d.tables.len(), 6);
        for (name, table) in &d.tables {
            let schema = crate::schema(name).unwrap();
            assert_eq!(table.num_columns(), schema.len(), "{name}");
            for ((col, ty), (got_name, got)) in schema.iter().zip(table.columns()) {
                assert_eq!(col, got_name, "{name}");
                assert_eq!(*ty, got.data_type(), "{name}.{col}");
                assert_eq!(got.len(), table.num_rows(), "{name}.{col}");
            }
        }
    }

    #[test]
    fn tables_scale_from_the_signinlogs_row_count() {
        let d = generate(&small(1), &mut no_progress()).unwrap();
        let rows = |t: &str| d.table(t).unwrap().num_rows();
        assert!(rows("SigninLogs") >= 3_000);
        assert!(rows("AADServicePrincipalSignInLogs") >= 600);
        assert!(rows("AuditLogs") >= 150);
        assert!(rows("AADUserRiskEvents") >= 6);
    }

    #[test]
    fn every_scenario_is_labelled_and_its_rows_carry_the_labelled_correlation_id() {
        let d = generate(&small(3), &mut no_progress()).unwrap();
        let labels = &d.labels;
        let scenario = column_strings(labels, "ScenarioId");
        for id in ScenarioId::ALL {
            assert!(
                scenario.iter().any(|s| s == id.as_str()),
                "{id} has no label"
            );
        }
        let tables = column_strings(labels, "Table");
        let correlations = column_strings(labels, "CorrelationId");
        let row_ids = labels.column("RowId").unwrap();
        for i in 0..labels.num_rows() {
            let Value::Long(row) = row_ids.get(i) else {
                panic!("RowId is not a long")
            };
            let t = d.table(&tables[i]).unwrap();
            let got = t
                .column("CorrelationId")
                .unwrap()
                .get(row as usize)
                .to_string();
            assert_eq!(got, correlations[i], "label {i} ({})", scenario[i]);
        }
    }

    #[test]
    fn scenarios_happen_within_the_last_24_hours_for_any_seed() {
        for seed in 0..40 {
            let opts = GenOptions {
                rows: 0,
                ..small(seed)
            };
            let d = generate(&opts, &mut no_progress()).unwrap();
            let times = d.labels.column("TimeGenerated").unwrap();
            let ids = column_strings(&d.labels, "ScenarioId");
            for (i, id) in ids.iter().enumerate() {
                let Value::DateTime(t) = times.get(i) else {
                    panic!("not a datetime")
                };
                let inside = t > opts.now - 24 * TICKS_PER_HOUR && t < opts.now;
                assert!(inside, "seed {seed}: label {i} ({id})");
            }
        }
    }

    #[test]
    fn a_subset_of_tables_has_the_same_rows_as_the_full_dataset() {
        let opts = small(5);
        let full = generate(&opts, &mut no_progress()).unwrap();
        let part = generate_tables(&opts, &["AuditLogs", "SigninLogs"]).unwrap();
        assert_eq!(part.tables.len(), 2);
        for name in ["SigninLogs", "AuditLogs"] {
            let (a, b) = (full.table(name).unwrap(), part.table(name).unwrap());
            assert_eq!(a.num_rows(), b.num_rows(), "{name}");
            for col in ["CorrelationId", "TimeGenerated"] {
                assert_eq!(
                    column_strings(a, col),
                    column_strings(b, col),
                    "{name}.{col}"
                );
            }
        }
        // Labels of tables not generated are left out.
        let tables = column_strings(&part.labels, "Table");
        assert!(tables.iter().all(|t| t == "SigninLogs" || t == "AuditLogs"));
    }

    #[test]
    fn no_scenarios_means_no_labels() {
        let opts = GenOptions {
            scenarios: ScenarioSelection::None,
            ..small(6)
        };
        let d = generate(&opts, &mut no_progress()).unwrap();
        assert_eq!(d.labels.num_rows(), 0);
        assert_eq!(d.table("SigninLogs").unwrap().num_rows(), 3_000);
    }

    #[test]
    fn background_sign_ins_are_in_time_order_inside_the_window() {
        let opts = GenOptions {
            scenarios: ScenarioSelection::None,
            ..small(2)
        };
        let d = generate_tables(&opts, &["SigninLogs"]).unwrap();
        let t = d.table("SigninLogs").unwrap();
        let Some(ColumnData::DateTime(times)) = t.column("TimeGenerated").map(|c| &c.data) else {
            panic!("TimeGenerated is not a datetime column")
        };
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times
            .iter()
            .all(|&x| x >= opts.now - opts.window && x < opts.now));
    }

    #[test]
    fn about_85_percent_of_interactive_sign_ins_succeed() {
        let opts = GenOptions {
            scenarios: ScenarioSelection::None,
            ..small(9)
        };
        let d = generate_tables(&opts, &["SigninLogs"]).unwrap();
        let results = column_strings(d.table("SigninLogs").unwrap(), "ResultType");
        let ok = results.iter().filter(|r| *r == "0").count() as f64 / results.len() as f64;
        assert!((0.8..0.9).contains(&ok), "{ok}");
    }

    #[test]
    fn signinlogs_location_details_is_a_navigable_bag() {
        let d = generate_tables(&small(1), &["SigninLogs"]).unwrap();
        let t = d.table("SigninLogs").unwrap();
        let c = t.column("LocationDetails").unwrap();
        assert_eq!(c.data_type(), DataType::Dynamic);
        let Value::Dynamic(bag) = c.get(0) else {
            panic!("not dynamic")
        };
        assert!(
            matches!(bag.get("countryOrRegion"), kqlite_engine::Dynamic::String(s) if s.len() == 2)
        );
        assert!(matches!(
            bag.get("geoCoordinates").get("latitude"),
            kqlite_engine::Dynamic::Real(_)
        ));
    }

    #[test]
    fn service_principal_location_details_is_json_text() {
        let d = generate_tables(&small(1), &["AADServicePrincipalSignInLogs"]).unwrap();
        let t = d.table("AADServicePrincipalSignInLogs").unwrap();
        let text = t.column("LocationDetails").unwrap().get(0).to_string();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(parsed["countryOrRegion"].is_string(), "{text}");
    }

    #[test]
    fn service_principal_enumeration_uses_four_or_more_ips_within_one_clock_hour() {
        let d = generate(&small(11), &mut no_progress()).unwrap();
        let sp = d.table("AADServicePrincipalSignInLogs").unwrap();
        let labels = &d.labels;
        let ids = column_strings(labels, "ScenarioId");
        let tables = column_strings(labels, "Table");
        let rows = labels.column("RowId").unwrap();
        let mut ips = Vec::new();
        let mut hours = Vec::new();
        for i in 0..labels.num_rows() {
            if ids[i] == "service-principal-enumeration"
                && tables[i] == "AADServicePrincipalSignInLogs"
            {
                let Value::Long(r) = rows.get(i) else {
                    panic!()
                };
                ips.push(sp.column("IPAddress").unwrap().get(r as usize).to_string());
                let Value::DateTime(t) = sp.column("TimeGenerated").unwrap().get(r as usize) else {
                    panic!()
                };
                hours.push(t / TICKS_PER_HOUR);
            }
        }
        ips.sort();
        ips.dedup();
        hours.dedup();
        assert!(ips.len() >= 4, "{ips:?}");
        assert_eq!(hours.len(), 1);
    }

    #[test]
    fn impossible_travel_signs_in_from_two_countries() {
        let d = generate(&small(12), &mut no_progress()).unwrap();
        let s = d.table("SigninLogs").unwrap();
        let ids = column_strings(&d.labels, "ScenarioId");
        let tables = column_strings(&d.labels, "Table");
        let rows = d.labels.column("RowId").unwrap();
        let mut countries = Vec::new();
        for i in 0..d.labels.num_rows() {
            if ids[i] == "impossible-travel" && tables[i] == "SigninLogs" {
                let Value::Long(r) = rows.get(i) else {
                    panic!()
                };
                countries.push(s.column("Location").unwrap().get(r as usize).to_string());
            }
        }
        assert_eq!(countries.len(), 2);
        assert_ne!(countries[0], countries[1]);
        assert!(tables
            .iter()
            .zip(&ids)
            .any(|(t, id)| t == "AADUserRiskEvents" && id == "impossible-travel"));
    }

    #[test]
    fn only_the_azure_cli_attack_signs_in_from_a_suspicious_country() {
        let d = generate(&small(13), &mut no_progress()).unwrap();
        let s = d.table("SigninLogs").unwrap();
        let countries = column_strings(s, "Location");
        let suspicious: Vec<usize> = countries
            .iter()
            .enumerate()
            .filter(|(_, c)| crate::reference::SUSPICIOUS_COUNTRIES.contains(&c.as_str()))
            .map(|(i, _)| i)
            .collect();
        let ids = column_strings(&d.labels, "ScenarioId");
        let tables = column_strings(&d.labels, "Table");
        let rows = d.labels.column("RowId").unwrap();
        let cli: Vec<usize> = (0..d.labels.num_rows())
            .filter(|&i| ids[i] == "azure-cli-compromised-credentials" && tables[i] == "SigninLogs")
            .filter_map(|i| match rows.get(i) {
                Value::Long(r) => Some(r as usize),
                _ => None,
            })
            .collect();
        assert_eq!(suspicious, cli);
        let app = column_strings(s, "AppDisplayName");
        assert_eq!(app[cli[0]], "Microsoft Azure CLI");
    }

    #[test]
    fn progress_reaches_the_total() {
        let mut last = (0, 0);
        generate(&small(1), &mut |done, total| last = (done, total)).unwrap();
        assert_eq!(last.0, last.1);
        assert!(last.1 > 3_000);
    }

    #[test]
    fn bad_options_are_typed_errors() {
        let mut o = small(1);
        o.tables = vec!["signinlogs".to_string()];
        assert_eq!(
            generate(&o, &mut no_progress()),
            Err(GenError::UnknownTable("signinlogs".to_string()))
        );
        let o = GenOptions {
            window: 0,
            ..small(1)
        };
        assert_eq!(
            generate(&o, &mut no_progress()),
            Err(GenError::EmptyWindow(0))
        );
        let o = GenOptions { now: 5, ..small(1) };
        assert!(matches!(
            generate(&o, &mut no_progress()),
            Err(GenError::OutOfRange { .. })
        ));
    }

    #[test]
    fn zero_rows_still_gives_every_column_and_the_scenarios() {
        let o = GenOptions {
            rows: 0,
            ..small(1)
        };
        let d = generate(&o, &mut no_progress()).unwrap();
        let s = d.table("SigninLogs").unwrap();
        assert_eq!(s.num_columns(), crate::schema("SigninLogs").unwrap().len());
        assert!(s.num_rows() > 0, "scenario rows only");
    }

    #[test]
    fn a_column_projection_keeps_the_values_of_the_full_table() {
        let full = generate(&small(4), &mut no_progress()).unwrap();
        let o = GenOptions {
            columns: vec![(
                "SigninLogs".to_string(),
                vec!["UserId".to_string(), "TimeGenerated".to_string()],
            )],
            ..small(4)
        };
        let cut = generate(&o, &mut no_progress()).unwrap();
        let s = cut.table("SigninLogs").unwrap();
        let names: Vec<&str> = s.column_names().collect();
        assert_eq!(names, ["TimeGenerated", "UserId"]);
        let whole = full.table("SigninLogs").unwrap();
        for c in ["TimeGenerated", "UserId"] {
            assert_eq!(column_strings(s, c), column_strings(whole, c));
        }
        assert_eq!(
            cut.table("AuditLogs").unwrap().num_columns(),
            full.table("AuditLogs").unwrap().num_columns()
        );
        assert_eq!(cut.labels, full.labels);
    }

    #[test]
    fn a_column_projection_rejects_unknown_columns() {
        let o = GenOptions {
            columns: vec![("SigninLogs".to_string(), vec!["Nope".to_string()])],
            ..small(1)
        };
        assert_eq!(
            generate(&o, &mut no_progress()),
            Err(GenError::UnknownColumn {
                table: "SigninLogs".to_string(),
                column: "Nope".to_string()
            })
        );
    }
}
