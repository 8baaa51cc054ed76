//! Data shapes other than the scenario generator's, for measuring kqlite on
//! data it was not tuned for.
//!
//! [`wide_unordered`] writes SigninLogs and AADServicePrincipalSignInLogs as
//! a busy tenant's export looks: rows in random time order over 48 hours
//! (so about half fall inside the shipped detection's 24-hour lookback and
//! no block of rows can be skipped by time), 28 SigninLogs columns all
//! present (about 1.4 kB per JSON line), `LocationDetails` a nested object
//! whose `geoCoordinates` differ on every sign-in, 5,000 users, 45,000 IP
//! addresses, 12 client apps, 88% successful sign-ins, and about 5% of rows
//! matching `queries/t1078_004_cloud_accounts.kql`.

use std::sync::Arc;

use indexmap::IndexMap;
use kqlite_engine::column::{encode_strings, StringArray};
use kqlite_engine::time::TICKS_PER_HOUR;
use kqlite_engine::value::format_guid;
use kqlite_engine::{Column, ColumnData, Dynamic, Table};

use crate::rng::{Rng, Weighted};

/// How `kqlite gen` lays out the rows it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// The scenario generator: a synthetic tenant in time order, with the
    /// labelled scenarios.
    #[default]
    Default,
    /// [`wide_unordered`]: random time order, wide rows, nested locations.
    WideUnordered,
}

/// Users in the tenant.
pub const USERS: usize = 5_000;
/// Distinct IP addresses sign-ins come from.
pub const IPS: usize = 45_000;
/// Service principals signing in.
const SERVICE_PRINCIPALS: usize = 400;
/// Hours the rows span, ending at `now`.
const SPAN_HOURS: i64 = 48;

/// The client apps and their weights (per mille). POP3, Authenticated SMTP,
/// Exchange Web Services, AutoDiscover and Outlook Anywhere (4% together)
/// are what the detection's `has_any` legacy list matches; `IMAP4` and
/// `Exchange ActiveSync` are not (terms differ).
const CLIENT_APPS: [(&str, u32); 12] = [
    ("Browser", 600),
    ("Mobile Apps and Desktop clients", 300),
    ("Exchange ActiveSync", 25),
    ("IMAP4", 15),
    ("POP3", 8),
    ("Authenticated SMTP", 8),
    ("Exchange Web Services", 8),
    ("AutoDiscover", 8),
    ("Outlook Anywhere (RPC over HTTP)", 8),
    ("MAPI Over HTTP", 8),
    ("Offline Address Book", 2),
    ("Other clients", 2),
];

/// (country, state, city, latitude, longitude) of home locations.
const HOMES: [(&str, &str, &str, f64, f64); 20] = [
    ("US", "Washington", "Redmond", 47.674, -122.121),
    ("US", "New York", "New York", 40.713, -74.006),
    ("US", "California", "San Francisco", 37.775, -122.419),
    ("US", "Texas", "Austin", 30.267, -97.743),
    ("GB", "England", "London", 51.507, -0.128),
    ("GB", "Scotland", "Edinburgh", 55.953, -3.189),
    ("DE", "Berlin", "Berlin", 52.520, 13.405),
    ("DE", "Bavaria", "Munich", 48.135, 11.582),
    ("FR", "Ile-de-France", "Paris", 48.857, 2.352),
    ("NL", "North Holland", "Amsterdam", 52.368, 4.904),
    ("IE", "Dublin", "Dublin", 53.350, -6.260),
    ("CH", "Zurich", "Zurich", 47.377, 8.542),
    ("SE", "Stockholm", "Stockholm", 59.329, 18.069),
    ("ES", "Madrid", "Madrid", 40.417, -3.704),
    ("IN", "Karnataka", "Bengaluru", 12.972, 77.595),
    ("JP", "Tokyo", "Tokyo", 35.690, 139.692),
    ("AU", "New South Wales", "Sydney", -33.869, 151.209),
    ("CA", "Ontario", "Toronto", 43.653, -79.383),
    ("BR", "Sao Paulo", "Sao Paulo", -23.551, -46.633),
    ("SG", "Singapore", "Singapore", 1.352, 103.820),
];

/// Where a sign-in away from home comes from; the last five are the
/// detection's suspicious countries.
const AWAY: [(&str, &str, &str, f64, f64); 8] = [
    ("MX", "Mexico City", "Mexico City", 19.433, -99.133),
    ("ZA", "Gauteng", "Johannesburg", -26.204, 28.047),
    ("TR", "Istanbul", "Istanbul", 41.008, 28.978),
    ("RU", "Moscow", "Moscow", 55.756, 37.617),
    ("CN", "Beijing", "Beijing", 39.904, 116.407),
    ("IR", "Tehran", "Tehran", 35.689, 51.389),
    ("KP", "Pyongyang", "Pyongyang", 39.039, 125.762),
    ("BY", "Minsk", "Minsk", 53.900, 27.559),
];

const APPS: [&str; 10] = [
    "Office 365 Exchange Online",
    "Microsoft Teams",
    "Office 365 SharePoint Online",
    "Azure Portal",
    "Microsoft Office",
    "OneDrive SyncEngine",
    "Microsoft Authentication Broker",
    "Outlook Mobile",
    "Power BI",
    "Visual Studio Code",
];

const FIRST: [&str; 16] = [
    "alex", "blake", "casey", "dana", "eli", "fran", "gale", "harper", "ira", "jules", "kim",
    "lee", "morgan", "noor", "oak", "pat",
];
const LAST: [&str; 12] = [
    "smith", "garcia", "chen", "kowalski", "okafor", "nguyen", "muller", "rossi", "tanaka",
    "silva", "cohen", "ivanova",
];

const BROWSERS: [&str; 5] = [
    "Edge 120.0.0",
    "Chrome 121.0.0",
    "Firefox 122.0",
    "Safari 17.2",
    "Mobile Safari 17.1",
];
const SYSTEMS: [&str; 4] = ["Windows10", "MacOs", "Ios 17.2", "Android 14"];
const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)",
];

/// (ResultType, description) of failed sign-ins.
const FAILURES: [(&str, &str); 6] = [
    ("50126", "Invalid username or password or Invalid on-premise username or password."),
    ("50074", "Strong Authentication is required."),
    ("50140", "This error occurred due to 'Keep me signed in' interrupt when the user was signing in."),
    ("53003", "Access has been blocked by Conditional Access policies."),
    ("50053", "Account is locked because user tried to sign in too many times with an incorrect user ID or password."),
    ("700016", "Application with identifier was not found in the directory."),
];

struct User {
    upn: String,
    name: String,
    id: String,
    home: usize,
    ips: [usize; 3],
    device: usize,
    device_id: String,
    device_name: String,
}

fn ip_text(i: usize) -> String {
    // Spread the pool over public-looking /16s.
    let i = i as u32;
    format!(
        "{}.{}.{}.{}",
        20 + (i >> 16) % 180,
        (i >> 8) & 0xFF,
        i & 0xFF,
        1 + (i.wrapping_mul(7)) % 250
    )
}

fn strings(values: Vec<String>) -> Arc<Column> {
    let mut a = StringArray::with_capacity(values.len(), values.iter().map(String::len).sum());
    for v in &values {
        a.push(v);
    }
    Arc::new(Column::new(ColumnData::String(encode_strings(a))))
}

fn static_strings(values: Vec<&str>) -> Arc<Column> {
    let mut a = StringArray::with_capacity(values.len(), values.iter().map(|s| s.len()).sum());
    for v in &values {
        a.push(v);
    }
    Arc::new(Column::new(ColumnData::String(encode_strings(a))))
}

fn bag(pairs: Vec<(&Arc<str>, Dynamic)>) -> Dynamic {
    let map: IndexMap<Arc<str>, Dynamic> = pairs.into_iter().map(|(k, v)| (k.clone(), v)).collect();
    Dynamic::Bag(Arc::new(map))
}

fn key(name: &str) -> Arc<str> {
    Arc::from(name)
}

fn text(s: &str) -> Dynamic {
    Dynamic::String(Arc::from(s))
}

/// SigninLogs (`rows` rows) and AADServicePrincipalSignInLogs (a fifth as
/// many) in the wide, unordered shape described in the module
/// documentation; the same `seed` gives the same rows. `now` (datetime
/// ticks) ends the 48 hours the rows span.
pub fn wide_unordered(rows: usize, seed: u64, now: i64) -> Vec<(String, Table)> {
    vec![
        ("SigninLogs".to_string(), signins(rows, seed, now)),
        (
            "AADServicePrincipalSignInLogs".to_string(),
            service_principals(rows / 5, seed, now),
        ),
    ]
}

fn users(rng: &mut Rng) -> Vec<User> {
    (0..USERS)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len()) % LAST.len()];
            let upn = format!("{first}.{last}{i}@contoso.example");
            User {
                name: format!("{} {} {i}", capital(first), capital(last)),
                upn,
                id: format_guid(rng.guid()),
                home: rng.index(HOMES.len()),
                ips: [rng.index(IPS), rng.index(IPS), rng.index(IPS)],
                device: rng.index(SYSTEMS.len()),
                device_id: format_guid(rng.guid()),
                device_name: format!("PC-{i:05}"),
            }
        })
        .collect()
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn signins(rows: usize, seed: u64, now: i64) -> Table {
    let mut rng = Rng::stream(seed, "wide-unordered/SigninLogs");
    let users = users(&mut rng);
    let user_pick = Weighted::new((0..USERS).map(|i| 1 + (i % 7) as u32));
    let clients = Weighted::new(CLIENT_APPS.iter().map(|(_, w)| *w));
    let tenant = format_guid(rng.guid());
    let app_ids: Vec<String> = APPS.iter().map(|_| format_guid(rng.guid())).collect();
    let ip_texts: Vec<String> = (0..IPS).map(ip_text).collect();
    let k = |s: &str| key(s);
    let (k_city, k_state, k_country, k_geo, k_lat, k_lon) = (
        k("city"),
        k("state"),
        k("countryOrRegion"),
        k("geoCoordinates"),
        k("latitude"),
        k("longitude"),
    );
    let (k_dev, k_name, k_os, k_browser, k_compliant, k_managed, k_trust) = (
        k("deviceId"),
        k("displayName"),
        k("operatingSystem"),
        k("browser"),
        k("isCompliant"),
        k("isManaged"),
        k("trustType"),
    );
    let (k_code, k_reason, k_details) =
        (k("errorCode"), k("failureReason"), k("additionalDetails"));

    let mut time = Vec::with_capacity(rows);
    let mut result_type = Vec::with_capacity(rows);
    let mut signature = Vec::with_capacity(rows);
    let mut description = Vec::with_capacity(rows);
    let mut duration = Vec::with_capacity(rows);
    let mut correlation = Vec::with_capacity(rows);
    let mut id = Vec::with_capacity(rows);
    let mut location = Vec::with_capacity(rows);
    let mut app_name = Vec::with_capacity(rows);
    let mut app_id = Vec::with_capacity(rows);
    let mut auth_req = Vec::with_capacity(rows);
    let mut client = Vec::with_capacity(rows);
    let mut ca_status = Vec::with_capacity(rows);
    let mut device = Vec::with_capacity(rows);
    let mut ip = Vec::with_capacity(rows);
    let mut interactive = Vec::with_capacity(rows);
    let mut loc_details = Vec::with_capacity(rows);
    let mut risk = Vec::with_capacity(rows);
    let mut risk_state = Vec::with_capacity(rows);
    let mut status = Vec::with_capacity(rows);
    let mut agent = Vec::with_capacity(rows);
    let mut display = Vec::with_capacity(rows);
    let mut user_id = Vec::with_capacity(rows);
    let mut upn = Vec::with_capacity(rows);
    for _ in 0..rows {
        let u = &users[user_pick.pick(&mut rng)];
        time.push(now - rng.range(0, SPAN_HOURS * TICKS_PER_HOUR));
        let ok = rng.chance(0.88);
        let failure = FAILURES[rng.index(FAILURES.len())];
        result_type.push(if ok { "0" } else { failure.0 });
        signature.push(if ok { "SUCCESS" } else { "FAILURE" });
        description.push(if ok { "" } else { failure.1 });
        duration.push(rng.range(0, 2_000));
        correlation.push(format_guid(rng.guid()));
        id.push(format_guid(rng.guid()));
        let app = rng.index(APPS.len());
        app_name.push(APPS[app]);
        app_id.push(app_ids[app].as_str());
        let single = rng.chance(0.35);
        auth_req.push(if single {
            "singleFactorAuthentication"
        } else {
            "multiFactorAuthentication"
        });
        let ca = if single {
            match rng.below(100) {
                0..=90 => "notApplied",
                91..=96 => "success",
                _ => "failure",
            }
        } else if rng.chance(0.8) {
            "success"
        } else {
            "notApplied"
        };
        ca_status.push(ca);
        let c = clients.pick(&mut rng);
        client.push(CLIENT_APPS[c].0);
        let away = rng.chance(0.03);
        let (country, state, city, lat, lon) = if away {
            AWAY[rng.index(AWAY.len())]
        } else {
            HOMES[u.home]
        };
        location.push(country);
        let jitter = |rng: &mut Rng| ((rng.unit() - 0.5) * 1e4).round() / 1e5;
        let round = |x: f64| (x * 1e5).round() / 1e5;
        let (la, lo) = (round(lat + jitter(&mut rng)), round(lon + jitter(&mut rng)));
        loc_details.push(bag(vec![
            (&k_city, text(city)),
            (&k_state, text(state)),
            (&k_country, text(country)),
            (
                &k_geo,
                bag(vec![
                    (&k_lat, Dynamic::Real(la)),
                    (&k_lon, Dynamic::Real(lo)),
                ]),
            ),
        ]));
        let ip_index = if !away && rng.chance(0.7) {
            u.ips[rng.index(3)]
        } else {
            rng.index(IPS)
        };
        ip.push(ip_texts[ip_index].as_str());
        interactive.push(c < 2);
        let browser = if c < 2 {
            BROWSERS[u.device % BROWSERS.len()]
        } else {
            ""
        };
        device.push(bag(vec![
            (&k_dev, text(&u.device_id)),
            (&k_name, text(&u.device_name)),
            (&k_os, text(SYSTEMS[u.device])),
            (&k_browser, text(browser)),
            (&k_compliant, Dynamic::Bool(u.device % 2 == 0)),
            (&k_managed, Dynamic::Bool(u.device != 3)),
            (
                &k_trust,
                text(if u.device == 0 { "Azure AD joined" } else { "" }),
            ),
        ]));
        let level = match rng.below(100) {
            0..=94 => "none",
            95 | 96 => "low",
            97 | 98 => "medium",
            _ => "high",
        };
        risk.push(level);
        risk_state.push(if level == "none" { "none" } else { "atRisk" });
        status.push(bag(vec![
            (
                &k_code,
                Dynamic::Long(if ok {
                    0
                } else {
                    failure.0.parse().unwrap_or(1)
                }),
            ),
            (&k_reason, text(if ok { "Other." } else { failure.1 })),
            (
                &k_details,
                text(if ok {
                    "MFA requirement satisfied by claim in the token"
                } else {
                    ""
                }),
            ),
        ]));
        agent.push(AGENTS[(u.device + c) % AGENTS.len()]);
        display.push(u.name.as_str());
        user_id.push(u.id.as_str());
        upn.push(u.upn.as_str());
    }
    let n = rows;
    let repeat = |s: &str| static_strings(vec![s; n]);
    let dynamic = |v: Vec<Dynamic>| Arc::new(Column::new(ColumnData::Dynamic(v)));
    let columns: Vec<(&str, Arc<Column>)> = vec![
        (
            "TimeGenerated",
            Arc::new(Column::new(ColumnData::DateTime(time))),
        ),
        ("AADTenantId", repeat(&tenant)),
        ("OperationName", repeat("Sign-in activity")),
        ("Category", repeat("SignInLogs")),
        ("ResultType", static_strings(result_type)),
        ("ResultSignature", static_strings(signature)),
        ("ResultDescription", static_strings(description)),
        (
            "DurationMs",
            Arc::new(Column::new(ColumnData::Long(duration))),
        ),
        ("CorrelationId", strings(correlation)),
        ("Id", strings(id)),
        ("Location", static_strings(location)),
        ("AppDisplayName", static_strings(app_name)),
        ("AppId", static_strings(app_id)),
        ("AuthenticationRequirement", static_strings(auth_req)),
        ("ClientAppUsed", static_strings(client)),
        ("ConditionalAccessStatus", static_strings(ca_status)),
        ("DeviceDetail", dynamic(device)),
        ("IPAddress", static_strings(ip)),
        (
            "IsInteractive",
            Arc::new(Column::new(ColumnData::Bool(interactive))),
        ),
        ("LocationDetails", dynamic(loc_details)),
        ("RiskLevelDuringSignIn", static_strings(risk)),
        ("RiskState", static_strings(risk_state)),
        ("Status", dynamic(status)),
        ("UserAgent", static_strings(agent)),
        ("UserDisplayName", static_strings(display)),
        ("UserId", static_strings(user_id)),
        ("UserPrincipalName", static_strings(upn)),
        ("Type", repeat("SigninLogs")),
    ];
    Table::try_new(columns.into_iter().map(|(k, c)| (k.to_string(), c))).unwrap_or_default()
}

fn service_principals(rows: usize, seed: u64, now: i64) -> Table {
    let mut rng = Rng::stream(seed, "wide-unordered/AADServicePrincipalSignInLogs");
    let tenant = format_guid(rng.guid());
    let names: Vec<String> = (0..SERVICE_PRINCIPALS)
        .map(|i| format!("svc-automation-{i:03}"))
        .collect();
    let ids: Vec<String> = (0..SERVICE_PRINCIPALS)
        .map(|_| format_guid(rng.guid()))
        .collect();
    let app_ids: Vec<String> = (0..SERVICE_PRINCIPALS)
        .map(|_| format_guid(rng.guid()))
        .collect();
    // One in twenty service principals signs in from anywhere.
    let homes: Vec<[usize; 2]> = (0..SERVICE_PRINCIPALS)
        .map(|_| [rng.index(IPS), rng.index(IPS)])
        .collect();
    let ip_texts: Vec<String> = (0..IPS).map(ip_text).collect();
    let mut time = Vec::with_capacity(rows);
    let mut result_type = Vec::with_capacity(rows);
    let mut correlation = Vec::with_capacity(rows);
    let mut id = Vec::with_capacity(rows);
    let mut ip = Vec::with_capacity(rows);
    let mut sp_name = Vec::with_capacity(rows);
    let mut sp_id = Vec::with_capacity(rows);
    let mut app_id = Vec::with_capacity(rows);
    let mut duration = Vec::with_capacity(rows);
    for _ in 0..rows {
        let sp = rng.index(SERVICE_PRINCIPALS);
        time.push(now - rng.range(0, SPAN_HOURS * TICKS_PER_HOUR));
        let ok = rng.chance(0.88);
        result_type.push(if ok { "0" } else { "7000215" });
        correlation.push(format_guid(rng.guid()));
        id.push(format_guid(rng.guid()));
        let spray = sp % 20 == 0;
        let at = if spray {
            rng.index(IPS)
        } else {
            homes[sp][rng.index(2)]
        };
        ip.push(ip_texts[at].as_str());
        sp_name.push(names[sp].as_str());
        sp_id.push(ids[sp].as_str());
        app_id.push(app_ids[sp].as_str());
        duration.push(rng.range(0, 500));
    }
    let n = rows;
    let repeat = |s: &str| static_strings(vec![s; n]);
    let columns: Vec<(&str, Arc<Column>)> = vec![
        (
            "TimeGenerated",
            Arc::new(Column::new(ColumnData::DateTime(time))),
        ),
        ("TenantId", repeat(&tenant)),
        ("OperationName", repeat("Sign-in activity")),
        ("Category", repeat("ServicePrincipalSignInLogs")),
        ("ResultType", static_strings(result_type)),
        ("CorrelationId", strings(correlation)),
        ("Id", strings(id)),
        ("IPAddress", static_strings(ip)),
        ("ServicePrincipalName", static_strings(sp_name)),
        ("ServicePrincipalId", static_strings(sp_id)),
        ("AppId", static_strings(app_id)),
        ("ResourceDisplayName", repeat("Microsoft Graph")),
        ("ConditionalAccessStatus", repeat("notApplied")),
        (
            "DurationMs",
            Arc::new(Column::new(ColumnData::Long(duration))),
        ),
        ("Type", repeat("AADServicePrincipalSignInLogs")),
    ];
    Table::try_new(columns.into_iter().map(|(k, c)| (k.to_string(), c))).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kqlite_engine::Value;

    #[test]
    fn the_wide_unordered_shape_has_the_promised_properties() {
        let now = crate::DEFAULT_NOW;
        let tables = wide_unordered(20_000, 42, now);
        let (_, signins) = &tables[0];
        assert_eq!(signins.num_columns(), 28);
        let schema = crate::schema("SigninLogs").unwrap();
        for (name, ty) in signins.schema() {
            let declared = schema.iter().find(|(n, _)| *n == name);
            assert_eq!(declared.map(|(_, t)| *t), Some(ty), "{name}");
        }
        let sp_schema = crate::schema("AADServicePrincipalSignInLogs").unwrap();
        for (name, ty) in tables[1].1.schema() {
            let declared = sp_schema.iter().find(|(n, _)| *n == name);
            assert_eq!(declared.map(|(_, t)| *t), Some(ty), "{name}");
        }
        assert_eq!(tables[1].1.num_rows(), 4_000);
        let times: Vec<i64> = (0..signins.num_rows())
            .map(|i| match signins.column("TimeGenerated").unwrap().get(i) {
                Value::DateTime(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        let ascending = times.windows(2).filter(|w| w[0] <= w[1]).count();
        assert!(
            (8_000..12_000).contains(&ascending),
            "random order: {ascending} of 20,000 pairs ascend"
        );
        let recent = times
            .iter()
            .filter(|&&t| t > now - 24 * TICKS_PER_HOUR)
            .count();
        assert!(
            (9_000..11_000).contains(&recent),
            "{recent} in the lookback"
        );
        let ok = (0..signins.num_rows())
            .filter(|&i| signins.column("ResultType").unwrap().get(i) == Value::string("0"))
            .count();
        assert!((17_200..18_000).contains(&ok), "{ok} successes");
        let geo: std::collections::HashSet<String> = (0..signins.num_rows())
            .map(|i| {
                signins
                    .column("LocationDetails")
                    .unwrap()
                    .get(i)
                    .to_string()
            })
            .collect();
        assert!(geo.len() > 19_900, "{} distinct locations", geo.len());
        let again = wide_unordered(20_000, 42, now);
        assert_eq!(again[0].1, tables[0].1, "the same seed gives the same rows");
    }
}
