//! Synthetic rows for any table of the built-in catalog.
//!
//! The six Entra ID tables have a detailed generator with labelled attack
//! scenarios ([`crate::generate`]); every other catalog table (about 2,000)
//! gets schema-correct rows from [`generate_any`], with values chosen from
//! each column's name and type the way a detection engineer expects them:
//! `TimeGenerated` inside the window, IP addresses in `*IP` columns, user
//! principal names in `AccountUpn`, 64 hex digits in `SHA256`, Windows event
//! ids in `EventID`, the table's own `ActionType` values, and so on (the
//! rules are in `rules.rs`).
//!
//! Rows are seeded: the same seed gives the same rows on every machine.
//! Accounts, machines, addresses and processes come from one pool per seed
//! shared by every table (and built from the same synthetic tenant as the
//! Entra ID tables), so `DeviceProcessEvents` and `DeviceNetworkEvents` join
//! on `DeviceId`, and `OfficeActivity.UserId` matches
//! `SigninLogs.UserPrincipalName`. Columns are built whole, as vectors of
//! indices into that pool, never a row at a time.
//!
//! [`generate_dataset`] sends each requested table to the right generator.
//!
//! ```
//! use kqlite_sentinel::catalog::Environment;
//! use kqlite_sentinel::{default_dataset_options, generate_dataset};
//!
//! let mut opts = default_dataset_options();
//! opts.rows = 500;
//! let data = generate_dataset(&opts, &["DeviceProcessEvents", "SigninLogs"], Environment::Sentinel)
//!     .unwrap();
//! assert_eq!(data.table("DeviceProcessEvents").unwrap().num_rows(), 500);
//! assert!(data.table("SigninLogs").unwrap().num_rows() >= 500);
//! ```

mod lists;
mod pool;
mod rules;

use std::sync::Arc;

use kqlite_engine::bitmap::Bitmap;
use kqlite_engine::column::{encode_strings, StringArray};
use kqlite_engine::did_you_mean;
use kqlite_engine::time::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE};
use kqlite_engine::{Column, ColumnData, DataType, Dynamic, Table};

use crate::catalog::{builtin, Environment};
use crate::columns::{bag, const_string, darray, dict_column, dstr, guid_column, json_text};
use crate::generator::{generate, labels_table, Dataset, GenError, GenOptions, DEFAULT_NOW};
use crate::rng::{Rng, Weighted};
use crate::schema;
use pool::Pool;
use rules::Kind;

/// What [`generate_any`] generates.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticOptions {
    /// Rows of the table.
    pub rows: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// End of the time window, in datetime ticks.
    pub now: i64,
    /// Length of the time window, in ticks: every datetime lies in
    /// `[now - window, now]`.
    pub window: i64,
    /// People in the synthetic tenant. The Entra ID tables of the same seed
    /// use one per 100 SigninLogs rows (at least 20): give the same number
    /// for their users to match.
    pub users: usize,
}

impl Default for SyntheticOptions {
    /// 1,000 rows, seed 42, the 7 days up to [`DEFAULT_NOW`], 20 people.
    fn default() -> SyntheticOptions {
        SyntheticOptions {
            rows: 1_000,
            seed: 42,
            now: DEFAULT_NOW,
            window: 7 * TICKS_PER_DAY,
            users: 20,
        }
    }
}

/// Checks that `[now - window, now]` is a non-empty datetime range.
fn check_window(now: i64, window: i64) -> Result<(), GenError> {
    if window <= 0 {
        return Err(GenError::EmptyWindow(window));
    }
    let start = now.checked_sub(window);
    if !(0..=kqlite_engine::time::MAX_DATETIME_TICKS).contains(&now) || start.is_none_or(|s| s < 0)
    {
        return Err(GenError::OutOfRange { now });
    }
    Ok(())
}

/// Generates `opts.rows` rows of `table` with exactly `columns` (in order,
/// each with its type; a name listed twice comes once), values chosen from each column's name and type (see
/// the module docs). `table` only selects table-specific values (`Type`,
/// `ActionType`); any name works.
pub fn generate_any(
    table: &str,
    columns: &[(String, DataType)],
    opts: &SyntheticOptions,
) -> Result<Table, GenError> {
    check_window(opts.now, opts.window)?;
    let pool = Pool::new(opts.seed, opts.users);
    let all: Vec<&str> = columns.iter().map(|(c, _)| c.as_str()).collect();
    Ok(build_table(&pool, table, columns, &all, opts)?)
}

/// The columns generated for `table`: the Entra ID generator's schema for
/// its six tables, the catalog's (in `environment`) for every other table
/// or parser output; an unknown name is an error with the closest catalog
/// name as a suggestion.
pub fn generated_columns(
    table: &str,
    environment: Environment,
) -> Result<Vec<(String, DataType)>, GenError> {
    if let Some(columns) = schema::schema(table) {
        return Ok(columns);
    }
    let catalog = builtin(environment);
    catalog
        .columns_of(table)
        .ok_or_else(|| GenError::NotInCatalog {
            table: table.to_string(),
            suggestion: did_you_mean(table, catalog.table_names().chain(schema::table_names()))
                .map(str::to_string),
        })
}

/// Whether `table` comes from the Entra ID generator (and so can carry
/// labelled scenario rows); every other table is generated by
/// [`generate_any`] and has none.
pub fn has_scenarios(table: &str) -> bool {
    schema::table_columns(table).is_some()
}

/// Rows [`generate_dataset`] makes for `table`: an override in
/// `opts.table_rows`, else the Entra ID tables' scaling
/// ([`GenOptions::rows_for`]), else `opts.rows` for every other table.
pub fn synthetic_rows(opts: &GenOptions, table: &str) -> usize {
    if has_scenarios(table) {
        return opts.rows_for(table);
    }
    opts.table_rows
        .iter()
        .find(|(t, _)| t == table)
        .map_or(opts.rows, |(_, n)| *n)
}

/// Generates `tables` (or `opts.tables` when `tables` is empty, or the six
/// Entra ID tables when both are): the Entra ID tables with their generator
/// and labelled scenarios, every other catalog table of `environment` with
/// [`generate_any`] and [`synthetic_rows`] rows, all from `opts.seed` and
/// over the same window. Tables come back in the order asked for; the
/// labels cover the Entra ID tables only. `opts.columns` projects any of
/// them.
pub fn generate_dataset(
    opts: &GenOptions,
    tables: &[&str],
    environment: Environment,
) -> Result<Dataset, GenError> {
    generate_dataset_with_progress(opts, tables, environment, &mut |_, _| {})
}

/// [`generate_dataset`], calling `progress(rows_done, rows_total)` as
/// tables are generated.
pub fn generate_dataset_with_progress(
    opts: &GenOptions,
    tables: &[&str],
    environment: Environment,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Dataset, GenError> {
    check_window(opts.now, opts.window)?;
    let mut wanted: Vec<&str> = Vec::new();
    let asked: Vec<&str> = if !tables.is_empty() {
        tables.to_vec()
    } else if !opts.tables.is_empty() {
        opts.tables.iter().map(String::as_str).collect()
    } else {
        schema::table_names().collect()
    };
    for t in asked {
        if !wanted.contains(&t) {
            wanted.push(t);
        }
    }
    for (t, _) in &opts.table_rows {
        generated_columns(t, environment)?;
    }
    let mut generic: Vec<(&str, Vec<(String, DataType)>)> = Vec::new();
    let mut entra: Vec<String> = Vec::new();
    for &t in &wanted {
        if has_scenarios(t) {
            entra.push(t.to_string());
        } else {
            generic.push((t, generated_columns(t, environment)?));
        }
    }
    for (t, columns) in &opts.columns {
        if has_scenarios(t) {
            continue;
        }
        let schema = generated_columns(t, environment)?;
        if let Some(c) = columns
            .iter()
            .find(|c| !schema.iter().any(|(n, _)| n == *c))
        {
            return Err(GenError::UnknownColumn {
                table: t.clone(),
                column: c.clone(),
            });
        }
    }

    let generic_total: usize = generic.iter().map(|(t, _)| synthetic_rows(opts, t)).sum();
    let entra_total: usize = entra.iter().map(|t| opts.rows_for(t)).sum();
    let total = generic_total + entra_total;
    let mut done = 0_usize;
    let mut entra_data = if entra.is_empty() {
        Dataset {
            tables: Vec::new(),
            labels: labels_table(&[])?,
        }
    } else {
        let mut o = opts.clone();
        o.tables = entra;
        o.columns.retain(|(t, _)| has_scenarios(t));
        o.table_rows.retain(|(t, _)| has_scenarios(t));
        let data = generate(&o, &mut |d, _| progress(d.min(entra_total), total))?;
        done = entra_total;
        data
    };

    let pool = Pool::new(opts.seed, opts.users());
    let mut built: Vec<(String, Table)> = Vec::with_capacity(generic.len());
    for (t, columns) in &generic {
        let rows = synthetic_rows(opts, t);
        let o = SyntheticOptions {
            rows,
            seed: opts.seed,
            now: opts.now,
            window: opts.window,
            users: opts.users(),
        };
        let keep: Vec<&str> = match opts.columns.iter().find(|(n, _)| n == t) {
            Some((_, keep)) => keep.iter().map(String::as_str).collect(),
            None => columns.iter().map(|(c, _)| c.as_str()).collect(),
        };
        built.push((t.to_string(), build_table(&pool, t, columns, &keep, &o)?));
        done += rows;
        progress(done, total);
    }

    let mut out = Vec::with_capacity(wanted.len());
    for t in wanted {
        let table = if has_scenarios(t) {
            entra_data
                .tables
                .iter()
                .position(|(n, _)| n == t)
                .map(|i| entra_data.tables.swap_remove(i))
        } else {
            built
                .iter()
                .position(|(n, _)| n == t)
                .map(|i| built.swap_remove(i))
        };
        out.extend(table);
    }
    Ok(Dataset {
        tables: out,
        labels: entra_data.labels,
    })
}

/// Generates the columns of `columns` named in `keep` (in schema order, a
/// name listed twice once). The whole schema decides table-wide choices, so
/// a projection has the values the full table has.
fn build_table(
    pool: &Pool,
    table: &str,
    columns: &[(String, DataType)],
    keep: &[&str],
    opts: &SyntheticOptions,
) -> Result<Table, kqlite_engine::table::TableError> {
    let mut gen = TableGen::new(pool, table, columns, opts);
    let mut out: Vec<(String, Arc<Column>)> = Vec::with_capacity(keep.len());
    for (name, ty) in columns {
        // A few parser outputs list a column twice; a table has it once.
        if keep.contains(&name.as_str()) && !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), Arc::new(gen.column(name, *ty))));
        }
    }
    if out.is_empty() {
        return Ok(Table::empty(opts.rows));
    }
    Table::try_new(out)
}

/// The entities a row refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entity {
    Account,
    Machine,
    Process,
    Site,
    Event,
    Place,
    App,
    Egress,
}

/// A column's values before they take the column's type.
enum Values<'a> {
    /// Row `i` is `strings[codes[i]]`.
    Codes(Vec<u32>, &'a StringArray),
    /// Row `i` is `strings[codes[i]]`, over strings of this column only.
    Own(Vec<u32>, StringArray),
    /// The same text in every row.
    Const(String),
    /// Row `i` is `guids[codes[i]]`, with its text `texts[codes[i]]`.
    GuidCodes(Vec<u32>, &'a [u128], &'a StringArray),
    /// The same guid in every row.
    GuidConst(u128, String),
    /// One guid per row.
    Guids(Vec<u128>),
    /// Integers.
    Ints(Vec<i64>),
    /// Reals.
    Reals(Vec<f64>),
    /// Datetimes, with nulls where the bitmap is clear.
    Times(Vec<i64>, Option<Bitmap>),
    /// Booleans.
    Bools(Vec<bool>),
    /// Dynamic values.
    Dyn(Vec<Dynamic>),
}

/// The generator of one table.
struct TableGen<'a> {
    pool: &'a Pool,
    table: &'a str,
    seed: u64,
    rows: usize,
    start: i64,
    now: i64,
    /// A Windows machine table: built-in accounts act in some rows.
    windows: bool,
    /// The table has a `Computer` column (an agent-collected table).
    agent: bool,
    /// The table has an `EventID` column, so `Activity` describes it.
    has_event_id: bool,
    times: Option<Vec<i64>>,
    slots: Vec<((Entity, u8), Vec<u32>)>,
}

impl<'a> TableGen<'a> {
    fn new(
        pool: &'a Pool,
        table: &'a str,
        columns: &[(String, DataType)],
        opts: &SyntheticOptions,
    ) -> TableGen<'a> {
        let has = |n: &str| columns.iter().any(|(c, _)| c == n);
        TableGen {
            pool,
            table,
            seed: opts.seed,
            rows: opts.rows,
            start: opts.now.saturating_sub(opts.window).max(0),
            now: opts.now,
            windows: table.starts_with("Device")
                || matches!(table, "SecurityEvent" | "WindowsEvent" | "Event")
                || table.starts_with("Sysmon"),
            agent: has("Computer"),
            has_event_id: columns
                .iter()
                .any(|(c, t)| rules::kind_of(table, c, *t) == Kind::EventId),
            times: None,
            slots: Vec::new(),
        }
    }

    /// The random stream called `name` of this table.
    fn stream(&self, name: &str) -> Rng {
        Rng::stream(self.seed, &format!("synthetic/{}/{name}", self.table))
    }

    /// The rows' event times, ascending, inside the window.
    fn times(&mut self) -> Vec<i64> {
        if let Some(t) = &self.times {
            return t.clone();
        }
        let mut rng = self.stream("time");
        let span = self.now - self.start;
        let mut t: Vec<i64> = (0..self.rows)
            .map(|_| self.start + rng.range(0, span.max(1)))
            .collect();
        t.sort_unstable();
        self.times = Some(t.clone());
        t
    }

    /// The index of entity `e` (in slot `slot`) of each row.
    fn slot(&mut self, e: Entity, slot: u8) -> Vec<u32> {
        if let Some((_, v)) = self.slots.iter().find(|(k, _)| *k == (e, slot)) {
            return v.clone();
        }
        let mut rng = self.stream(&format!("{e:?}/{slot}"));
        let pool = self.pool;
        let n = self.rows;
        let v: Vec<u32> = match e {
            Entity::Account => (0..n)
                .map(|_| {
                    if self.windows && rng.chance(0.15) {
                        (pool.persons + rng.index(pool.accounts() - pool.persons)) as u32
                    } else {
                        pool.person_weights.pick(&mut rng) as u32
                    }
                })
                .collect(),
            Entity::Machine if slot == 0 => {
                let accounts = self.slot(Entity::Account, 0);
                let servers = pool.machines() - pool.persons;
                accounts
                    .iter()
                    .map(|&a| {
                        if (a as usize) < pool.persons && rng.chance(0.85) {
                            a
                        } else {
                            (pool.persons + rng.index(servers)) as u32
                        }
                    })
                    .collect()
            }
            Entity::Machine => (0..n).map(|_| rng.index(pool.machines()) as u32).collect(),
            Entity::Process => (0..n)
                .map(|_| pool.process_weights.pick(&mut rng) as u32)
                .collect(),
            Entity::Site => (0..n)
                .map(|_| rng.index(pool.site_domain.len()) as u32)
                .collect(),
            Entity::Event => {
                let w = Weighted::new(lists::WINDOWS_EVENTS.iter().map(|e| e.2));
                (0..n).map(|_| w.pick(&mut rng) as u32).collect()
            }
            Entity::Place => (0..n).map(|_| rng.index(pool.city.len()) as u32).collect(),
            Entity::App => (0..n)
                .map(|_| rng.index(pool.app_name.len()) as u32)
                .collect(),
            Entity::Egress => {
                let accounts = self.slot(Entity::Account, slot);
                accounts
                    .iter()
                    .map(|&a| match pool.egress.get(a as usize) {
                        Some(ips) => ips[rng.index(2)],
                        None => pool
                            .egress
                            .get(rng.index(pool.egress.len()))
                            .map_or(0, |ips| ips[1]),
                    })
                    .collect()
            }
        };
        self.slots.push(((e, slot), v.clone()));
        v
    }

    /// The column `name` of type `ty`.
    fn column(&mut self, name: &str, ty: DataType) -> Column {
        let mut kind = rules::kind_of(self.table, name, ty);
        if kind == Kind::EventActivity && !self.has_event_id {
            kind = rules::fallback(ty);
        }
        let slot = rules::slot(kind, name);
        let values = self.values(kind, slot, name, ty);
        finish(values, ty, self.rows)
    }

    /// `n` draws from `choices` as codes over a column-own string array.
    fn pick_texts(&self, rng: &mut Rng, choices: &[&str]) -> Values<'a> {
        let codes = (0..self.rows)
            .map(|_| rng.index(choices.len()) as u32)
            .collect();
        Values::Own(codes, choices.iter().copied().collect())
    }

    fn values(&mut self, kind: Kind, slot: u8, name: &str, ty: DataType) -> Values<'a> {
        let pool = self.pool;
        let n = self.rows;
        let mut rng = self.stream(&format!("column/{name}"));
        let numeric = matches!(ty, DataType::Int | DataType::Long | DataType::Real);
        let ints = |rng: &mut Rng, lo: i64, hi: i64| -> Values<'a> {
            Values::Ints((0..n).map(|_| rng.range(lo, hi)).collect())
        };
        match kind {
            Kind::RowTime => Values::Times(self.times(), None),
            Kind::TimeBefore | Kind::TimeAfter | Kind::TimeNear => {
                let (start, now) = (self.start, self.now);
                let null_share = if rules::key(name).contains("parent") {
                    0.05
                } else if kind == Kind::TimeNear {
                    0.03
                } else {
                    0.0
                };
                let mut valid = Bitmap::new(n, true);
                let times = self
                    .times()
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| {
                        // Offsets never reach past the window's ends.
                        let before = (t - start).min(TICKS_PER_HOUR);
                        let after = (now - t).min(5 * TICKS_PER_MINUTE);
                        let shifted = match kind {
                            Kind::TimeBefore => t - rng.range(0, before + 1),
                            Kind::TimeAfter => t + rng.range(0, after + 1),
                            _ => t + rng.range(-before, (now - t).min(TICKS_PER_HOUR) + 1),
                        };
                        if null_share > 0.0 && rng.chance(null_share) {
                            valid.set(i, false);
                        }
                        shifted.clamp(start, now)
                    })
                    .collect();
                Values::Times(times, Some(valid))
            }
            Kind::TableName => Values::Const(self.table.to_string()),
            Kind::TenantId => Values::GuidConst(pool.tenant_id.0, pool.tenant_id.1.clone()),
            Kind::ResourceId => Values::Codes(
                (0..n)
                    .map(|_| rng.index(pool.resource_id.len()) as u32)
                    .collect(),
                &pool.resource_id,
            ),
            Kind::SubscriptionId => Values::GuidCodes(
                (0..n)
                    .map(|_| rng.index(pool.subscription_guid.len()) as u32)
                    .collect(),
                &pool.subscription_guid,
                &pool.subscription,
            ),
            Kind::UniqueGuid => Values::Guids((0..n).map(|_| rng.guid()).collect()),
            Kind::BilledSize => {
                Values::Reals((0..n).map(|_| rng.range(300, 4_000) as f64).collect())
            }
            Kind::Billable => Values::Const("True".to_string()),
            Kind::SourceSystem => {
                Values::Const(if self.agent { "OpsManager" } else { "Azure" }.to_string())
            }
            Kind::ManagementGroupId => {
                Values::GuidConst(1, "00000000-0000-0000-0000-000000000001".to_string())
            }
            Kind::ManagementGroupName => Values::Const(format!("AOI-{}", pool.tenant_id.1)),
            Kind::Empty => Values::Const(String::new()),
            Kind::Upn | Kind::Email => Values::Codes(self.slot(Entity::Account, slot), &pool.upn),
            Kind::AccountName => Values::Codes(self.slot(Entity::Account, slot), &pool.account),
            Kind::AccountDomain => Values::Codes(self.slot(Entity::Account, slot), &pool.domain),
            Kind::WindowsAccount => {
                Values::Codes(self.slot(Entity::Account, slot), &pool.windows_account)
            }
            Kind::UserDisplayName => Values::Codes(self.slot(Entity::Account, slot), &pool.display),
            Kind::Sid => Values::Codes(self.slot(Entity::Account, slot), &pool.sid),
            Kind::UserObjectId => Values::GuidCodes(
                self.slot(Entity::Account, slot),
                &pool.object_guid,
                &pool.object_id,
            ),
            Kind::Computer => Values::Codes(self.slot(Entity::Machine, slot), &pool.fqdn),
            Kind::DeviceName => Values::Codes(self.slot(Entity::Machine, slot), &pool.device_name),
            Kind::HostName => Values::Codes(self.slot(Entity::Machine, slot), &pool.host),
            Kind::DeviceId => Values::Codes(self.slot(Entity::Machine, slot), &pool.device_id),
            Kind::MacAddress => Values::Codes(self.slot(Entity::Machine, slot), &pool.mac),
            Kind::OsPlatform => Values::Codes(self.slot(Entity::Machine, slot), &pool.os),
            Kind::OsVersion => Values::Codes(self.slot(Entity::Machine, slot), &pool.os_version),
            Kind::IpLocal => Values::Codes(self.slot(Entity::Machine, slot), &pool.private_ip),
            Kind::IpUser => Values::Codes(self.slot(Entity::Egress, slot), &pool.ips),
            Kind::IpRemote => Values::Codes(self.slot(Entity::Site, 0), &pool.site_ip),
            Kind::Url => Values::Codes(self.slot(Entity::Site, 0), &pool.site_url),
            Kind::Domain => Values::Codes(self.slot(Entity::Site, 0), &pool.site_domain),
            Kind::PortLocal => ints(&mut rng, 49_152, 65_536),
            Kind::PortRemote => {
                const PORTS: &[i64] = &[
                    443, 443, 443, 443, 80, 80, 53, 445, 3389, 22, 135, 389, 88, 8080, 1433, 25,
                    5985,
                ];
                Values::Ints((0..n).map(|_| PORTS[rng.index(PORTS.len())]).collect())
            }
            Kind::UserAgent => Values::Codes(
                (0..n)
                    .map(|_| rng.index(pool.user_agents.len()) as u32)
                    .collect(),
                &pool.user_agents,
            ),
            Kind::Protocol => {
                let choices: &[&str] = if self.table.starts_with("Device") {
                    &["Tcp", "Tcp", "Tcp", "Udp"]
                } else {
                    &["TCP", "TCP", "TCP", "UDP", "ICMP"]
                };
                self.pick_texts(&mut rng, choices)
            }
            Kind::FileName => Values::Codes(self.slot(Entity::Process, slot), &pool.file),
            Kind::OriginalFileName => Values::Codes(self.slot(Entity::Process, slot), &pool.file),
            Kind::FilePath => Values::Codes(self.slot(Entity::Process, slot), &pool.path),
            Kind::CommandLine => {
                Values::Codes(self.slot(Entity::Process, slot), &pool.command_line)
            }
            Kind::Company => Values::Codes(self.slot(Entity::Process, slot), &pool.company),
            Kind::Product => Values::Codes(self.slot(Entity::Process, slot), &pool.product),
            Kind::ProductVersion => Values::Codes(self.slot(Entity::Process, slot), &pool.version),
            Kind::FileDescription => {
                Values::Codes(self.slot(Entity::Process, slot), &pool.description)
            }
            Kind::Sha1 => Values::Codes(self.slot(Entity::Process, slot), &pool.sha1),
            Kind::Sha256 => Values::Codes(self.slot(Entity::Process, slot), &pool.sha256),
            Kind::Md5 => Values::Codes(self.slot(Entity::Process, slot), &pool.md5),
            Kind::FileSize => Values::Ints(
                self.slot(Entity::Process, slot)
                    .iter()
                    .map(|&p| pool.file_size.get(p as usize).copied().unwrap_or(0))
                    .collect(),
            ),
            Kind::ProcessId => Values::Ints((0..n).map(|_| 4 * rng.range(1, 16_384)).collect()),
            Kind::LogonId => ints(&mut rng, 0x1_0000, 0x100_0000),
            Kind::EventId => Values::Ints(
                self.slot(Entity::Event, 0)
                    .iter()
                    .map(|&e| lists::WINDOWS_EVENTS.get(e as usize).map_or(4624, |e| e.0))
                    .collect(),
            ),
            Kind::EventActivity => Values::Own(
                self.slot(Entity::Event, 0),
                lists::WINDOWS_EVENTS.iter().map(|e| e.1).collect(),
            ),
            Kind::ActionType => {
                let choices = lists::ACTION_TYPES
                    .iter()
                    .find(|(t, _)| *t == self.table)
                    .map_or(lists::GENERIC_ACTION_TYPES, |(_, a)| a);
                self.pick_texts(&mut rng, choices)
            }
            Kind::ReportId => {
                let base = rng.range(10_000, 1_000_000);
                Values::Ints((0..n).map(|i| base + i as i64).collect())
            }
            Kind::Country => Values::Codes(self.slot(Entity::Place, 0), &pool.country),
            Kind::City => Values::Codes(self.slot(Entity::Place, 0), &pool.city),
            Kind::Latitude | Kind::Longitude => Values::Reals(
                self.slot(Entity::Place, 0)
                    .iter()
                    .map(|&p| {
                        let (lat, lon) = pool
                            .coordinates
                            .get(p as usize)
                            .copied()
                            .unwrap_or_default();
                        if kind == Kind::Latitude {
                            lat
                        } else {
                            lon
                        }
                    })
                    .collect(),
            ),
            Kind::AppName => Values::Codes(self.slot(Entity::App, 0), &pool.app_name),
            Kind::AppId => {
                Values::GuidCodes(self.slot(Entity::App, 0), &pool.app_guid, &pool.app_id)
            }
            Kind::Choice(c) if numeric && !c.numbers.is_empty() => Values::Ints(
                (0..n)
                    .map(|_| {
                        c.numbers
                            .get(rng.index(c.numbers.len()))
                            .copied()
                            .unwrap_or(0)
                    })
                    .collect(),
            ),
            Kind::Choice(c) => self.pick_texts(&mut rng, c.texts),
            Kind::Count => ints(&mut rng, 1, 20),
            Kind::Bytes => Values::Ints(
                (0..n)
                    .map(|_| {
                        let scale = rng.range(6, 22);
                        (1_i64 << scale) + rng.range(0, 1_i64 << scale)
                    })
                    .collect(),
            ),
            Kind::DurationMs => ints(&mut rng, 1, 5_000),
            Kind::Percent => ints(&mut rng, 0, 101),
            Kind::Number => ints(&mut rng, 0, 1_000),
            Kind::RealNumber => Values::Reals(
                (0..n)
                    .map(|_| rng.range(0, 10_000) as f64 / 100.0)
                    .collect(),
            ),
            Kind::Bool => Values::Bools((0..n).map(|_| rng.chance(0.2)).collect()),
            Kind::BoolMostlyTrue => Values::Bools((0..n).map(|_| rng.chance(0.85)).collect()),
            Kind::Span => ints(&mut rng, 0, TICKS_PER_HOUR),
            Kind::Word => {
                let mut words: StringArray = lists::WORDS.iter().copied().collect();
                words.push("");
                let empty = lists::WORDS.len() as u32;
                let codes = (0..n)
                    .map(|_| {
                        if rng.chance(0.1) {
                            empty
                        } else {
                            rng.index(lists::WORDS.len()) as u32
                        }
                    })
                    .collect();
                Values::Own(codes, words)
            }
            Kind::Bag | Kind::List => {
                let variants: Vec<Dynamic> = (0..8)
                    .map(|_| {
                        if kind == Kind::List {
                            let len = 1 + rng.index(3);
                            darray(
                                (0..len)
                                    .map(|_| dstr(lists::WORDS[rng.index(lists::WORDS.len())]))
                                    .collect(),
                            )
                        } else {
                            let key = lists::BAG_KEYS[rng.index(lists::BAG_KEYS.len())];
                            bag(vec![
                                (key, dstr(lists::WORDS[rng.index(lists::WORDS.len())])),
                                ("Count", Dynamic::Long(rng.range(1, 50))),
                                ("Enabled", Dynamic::Bool(rng.chance(0.5))),
                            ])
                        }
                    })
                    .collect();
                let codes: Vec<u32> = (0..n).map(|_| rng.index(variants.len()) as u32).collect();
                if ty == DataType::String {
                    let texts: Vec<String> = variants.iter().map(json_text).collect();
                    Values::Own(codes, texts.iter().map(String::as_str).collect())
                } else {
                    Values::Dyn(
                        codes
                            .iter()
                            .map(|&c| variants.get(c as usize).cloned().unwrap_or_default())
                            .collect(),
                    )
                }
            }
        }
    }
}

/// The text of each integer, dictionary-encoded when values repeat.
fn int_texts(values: &[i64]) -> Column {
    let mut array = StringArray::with_capacity(values.len(), values.len() * 6);
    let mut buf = String::new();
    for v in values {
        buf.clear();
        use std::fmt::Write as _;
        let _ = write!(buf, "{v}");
        array.push(&buf);
    }
    Column::new(ColumnData::String(encode_strings(array)))
}

/// Gives `values` the column type `ty` (`rows` nulls in the rare case the
/// two do not fit, which the rules' type checks rule out).
fn finish(values: Values<'_>, ty: DataType, rows: usize) -> Column {
    use DataType as T;
    match (values, ty) {
        (Values::Codes(codes, strings), T::String) => dict_column(&codes, strings),
        (Values::Own(codes, strings), T::String) => dict_column(&codes, &strings),
        (Values::Codes(codes, strings), T::Dynamic) => dynamic_texts(&codes, strings),
        (Values::Own(codes, strings), T::Dynamic) => dynamic_texts(&codes, &strings),
        (Values::Const(s), T::String) => const_string(&s, rows),
        (Values::GuidConst(_, s), T::String) => const_string(&s, rows),
        (Values::GuidConst(g, _), T::Guid) => Column::new(ColumnData::Guid(vec![g; rows])),
        (Values::GuidCodes(codes, _, texts), T::String) => dict_column(&codes, texts),
        (Values::GuidCodes(codes, guids, _), T::Guid) => Column::new(ColumnData::Guid(
            codes
                .iter()
                .map(|&c| guids.get(c as usize).copied().unwrap_or(0))
                .collect(),
        )),
        (Values::Guids(g), T::String) => guid_column(&g),
        (Values::Guids(g), T::Guid) => Column::new(ColumnData::Guid(g)),
        (Values::Ints(v), T::Int) => Column::new(ColumnData::Int(
            v.iter()
                .map(|&x| x.clamp(i32::MIN as i64, i32::MAX as i64) as i32)
                .collect(),
        )),
        (Values::Ints(v), T::Long) => Column::new(ColumnData::Long(v)),
        (Values::Ints(v), T::Real) => {
            Column::new(ColumnData::Real(v.iter().map(|&x| x as f64).collect()))
        }
        (Values::Ints(v), T::TimeSpan) => Column::new(ColumnData::TimeSpan(v)),
        (Values::Ints(v), T::String) => int_texts(&v),
        (Values::Reals(v), T::Real) => Column::new(ColumnData::Real(v)),
        (Values::Reals(v), T::Long) => {
            Column::new(ColumnData::Long(v.iter().map(|&x| x as i64).collect()))
        }
        (Values::Reals(v), T::Int) => {
            Column::new(ColumnData::Int(v.iter().map(|&x| x as i32).collect()))
        }
        (Values::Times(v, valid), T::DateTime) => {
            Column::with_validity(ColumnData::DateTime(v), valid)
        }
        (Values::Bools(v), T::Bool) => Column::new(ColumnData::Bool(v)),
        (Values::Dyn(v), T::Dynamic) => Column::new(ColumnData::Dynamic(v)),
        _ => Column::nulls(ty, rows),
    }
}

/// A dynamic column of strings.
fn dynamic_texts(codes: &[u32], strings: &StringArray) -> Column {
    let values: Vec<Dynamic> = (0..strings.len()).map(|i| dstr(strings.get(i))).collect();
    Column::new(ColumnData::Dynamic(
        codes
            .iter()
            .map(|&c| values.get(c as usize).cloned().unwrap_or_default())
            .collect(),
    ))
}

#[cfg(test)]
mod tests;
