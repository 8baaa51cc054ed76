//! Background traffic: the ordinary sign-ins and directory changes of the
//! tenant, spread over the window with a working-hours rhythm.

use kqlite_engine::time::{TICKS_PER_DAY, TICKS_PER_HOUR};

use crate::columns::{bag, darray, dstr};
use crate::events::{
    AuditEvent, AuditEvents, MiSignins, RiskEvent, RiskEvents, SpSignin, SpSignins, UserSignin,
    UserSignins, CA_FAILURE, CA_NOT_APPLIED, CA_SUCCESS, RISK_PROFILES,
};
use crate::reference::{self, APPS, AUDIT_OPERATIONS, CLIENT_APPS, RESULTS, RISK_EVENT_TYPES};
use crate::rng::{Rng, Weighted};
use crate::tenant::Tenant;

/// Sign-in volume per UTC hour of a weekday: the tenant's offices span the
/// Americas, Europe and Asia-Pacific, so the curve is a blend.
const HOURLY: [f64; 24] = [
    3.0, 2.5, 2.0, 2.0, 3.0, 4.0, 6.0, 8.0, 9.0, 9.0, 9.0, 8.5, 8.0, 9.0, 10.0, 10.0, 10.0, 9.0,
    8.0, 7.0, 6.0, 5.0, 4.0, 3.5,
];
/// Weekend volume relative to weekdays.
const WEEKEND: f64 = 0.25;

/// Maps row positions to times so that rows come out in time order and the
/// density follows [`HOURLY`].
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    start: i64,
    end: i64,
    /// Cumulative weight at the start of each hour slot, plus the total.
    cumulative: Vec<f64>,
}

impl Timeline {
    /// A timeline over `[now - window, now)`.
    pub(crate) fn new(now: i64, window: i64) -> Timeline {
        let start = now - window;
        let slots = ((window + TICKS_PER_HOUR - 1) / TICKS_PER_HOUR).max(1) as usize;
        let mut cumulative = Vec::with_capacity(slots + 1);
        let mut acc = 0.0;
        cumulative.push(0.0);
        for h in 0..slots {
            let t = start + h as i64 * TICKS_PER_HOUR;
            // 0001-01-01 was a Monday, so day 5 and 6 of each week are the weekend.
            let weekday = t.div_euclid(TICKS_PER_DAY).rem_euclid(7);
            let hour = t.div_euclid(TICKS_PER_HOUR).rem_euclid(24) as usize;
            let base = HOURLY.get(hour).copied().unwrap_or(1.0);
            let len = (now - t).min(TICKS_PER_HOUR) as f64 / TICKS_PER_HOUR as f64;
            acc += base * if weekday >= 5 { WEEKEND } else { 1.0 } * len;
            cumulative.push(acc);
        }
        Timeline {
            start,
            end: now,
            cumulative,
        }
    }

    /// A cursor for placing `n` rows in order.
    pub(crate) fn cursor(&self, n: usize) -> TimeCursor<'_> {
        TimeCursor {
            timeline: self,
            n: n.max(1) as f64,
            slot: 0,
        }
    }
}

/// Places rows `0, 1, 2, ...` along a [`Timeline`].
#[derive(Debug)]
pub(crate) struct TimeCursor<'a> {
    timeline: &'a Timeline,
    n: f64,
    slot: usize,
}

impl TimeCursor<'_> {
    /// Time of row `i` (rows must be asked for in increasing order).
    #[inline]
    pub(crate) fn time(&mut self, i: usize, rng: &mut Rng) -> i64 {
        let c = &self.timeline.cumulative;
        let total = c.last().copied().unwrap_or(0.0);
        let target = (i as f64 + rng.unit()) / self.n * total;
        while self.slot + 2 < c.len() && c.get(self.slot + 1).is_some_and(|&x| x <= target) {
            self.slot += 1;
        }
        let lo = c.get(self.slot).copied().unwrap_or(0.0);
        let hi = c.get(self.slot + 1).copied().unwrap_or(lo);
        let frac = if hi > lo {
            (target - lo) / (hi - lo)
        } else {
            0.0
        };
        let slot_start = self.timeline.start + self.slot as i64 * TICKS_PER_HOUR;
        let slot_len = (self.timeline.end - slot_start).min(TICKS_PER_HOUR);
        (slot_start + (frac * slot_len as f64) as i64).min(self.timeline.end - 1)
    }
}

/// Rows per progress report.
pub(crate) const CHUNK: usize = 1 << 16;

/// Draws user sign-ins, interactive (SigninLogs) or not.
pub(crate) struct UserSigninModel<'t> {
    tenant: &'t Tenant,
    interactive: bool,
    clients: Weighted,
    browser_apps: Weighted,
    client_apps: Weighted,
    results: Weighted,
    risks: Weighted,
    exchange: u8,
    browser: u8,
    desktop: u8,
    invalid_password: u8,
    /// Per user, flattened for cache locality: office city, home IP, and the
    /// primary and second device with their kinds (`u32::MAX` = no phone).
    office: Vec<u16>,
    home_ip: Vec<u32>,
    laptop: Vec<(u32, u8)>,
    phone: Vec<(u32, u8)>,
}

impl<'t> UserSigninModel<'t> {
    /// The model for SigninLogs (`interactive`) or AADNonInteractiveUserSignInLogs.
    pub(crate) fn new(tenant: &'t Tenant, interactive: bool) -> UserSigninModel<'t> {
        let scripted = |name: &str| {
            matches!(
                name,
                "Microsoft Azure CLI" | "Microsoft Azure PowerShell" | "Visual Studio Code"
            )
        };
        let clients = if interactive {
            Weighted::new(CLIENT_APPS.iter().map(|c| c.1))
        } else {
            // Token refreshes come from modern clients only.
            Weighted::new(CLIENT_APPS.iter().map(|c| match c.0 {
                "Mobile Apps and Desktop clients" => 80,
                "Browser" => 20,
                _ => 0,
            }))
        };
        let results = if interactive {
            Weighted::new(RESULTS.iter().map(|r| r.2))
        } else {
            Weighted::new(RESULTS.iter().map(|r| match r.0 {
                "0" => 950,
                "50173" => 15,
                "70044" => 15,
                "50140" => 10,
                "50076" => 10,
                _ => 0,
            }))
        };
        UserSigninModel {
            tenant,
            interactive,
            clients,
            browser_apps: Weighted::new(APPS.iter().map(|a| {
                if a.client && scripted(a.name) {
                    0
                } else {
                    a.weight
                }
            })),
            client_apps: Weighted::new(APPS.iter().map(|a| if a.client { a.weight } else { 0 })),
            results,
            risks: Weighted::new(RISK_PROFILES.iter().map(|r| r.3)),
            exchange: reference::app_index("Office 365 Exchange Online") as u8,
            browser: reference::client_app_index("Browser") as u8,
            desktop: reference::client_app_index("Mobile Apps and Desktop clients") as u8,
            invalid_password: reference::result_index("50126") as u8,
            office: tenant.users.iter().map(|u| u.office as u16).collect(),
            home_ip: tenant.users.iter().map(|u| u.home_ip).collect(),
            laptop: tenant
                .users
                .iter()
                .map(|u| device_of(tenant, u.devices.first()))
                .collect(),
            phone: tenant
                .users
                .iter()
                .map(|u| device_of(tenant, u.devices.get(1)))
                .collect(),
        }
    }

    /// Draws `n` sign-ins over `timeline`, reporting progress every [`CHUNK`] rows.
    pub(crate) fn generate(
        &self,
        n: usize,
        timeline: &Timeline,
        rng: &mut Rng,
        progress: &mut dyn FnMut(usize),
    ) -> UserSignins {
        let mut out = UserSignins::with_capacity(n);
        let mut cursor = timeline.cursor(n);
        for i in 0..n {
            let time = cursor.time(i, rng);
            out.push(self.draw(time, rng));
            if (i + 1) % CHUNK == 0 {
                progress(CHUNK);
            }
        }
        progress(n % CHUNK);
        out
    }

    #[inline]
    fn draw(&self, time: i64, rng: &mut Rng) -> UserSignin {
        let t = self.tenant;
        let user_ix = t
            .user_weights
            .pick(rng)
            .min(self.office.len().saturating_sub(1));
        let client = self.clients.pick(rng) as u8;
        let legacy = CLIENT_APPS.get(client as usize).is_some_and(|c| c.2);
        let app = if legacy {
            self.exchange
        } else if client == self.browser {
            self.browser_apps.pick(rng) as u8
        } else {
            self.client_apps.pick(rng) as u8
        };
        let laptop = self.laptop.get(user_ix).copied().unwrap_or((0, 0));
        let phone = self.phone.get(user_ix).copied().unwrap_or((u32::MAX, 0));
        let (device, kind) = if phone.0 != u32::MAX && client == self.desktop && rng.chance(0.35) {
            phone
        } else {
            laptop
        };
        let agent = if legacy {
            t.empty_agent
        } else {
            t.agent_code(usize::from(kind), client == self.browser)
        };
        // Travel lasts a whole day: about 1.2% of user-days are spent in
        // one travel city, so consecutive sign-ins do not hop continents.
        let day = time.div_euclid(TICKS_PER_DAY) as u64;
        let trip = crate::rng::hash64(((user_ix as u64) << 32) ^ day);
        let (city, ip) = if trip % 1000 < 12 && !t.travel_cities.is_empty() {
            let c = t.travel_cities[(trip >> 16) as usize % t.travel_cities.len()];
            (c, t.travel_ips[c][rng.index(4)])
        } else {
            let c = usize::from(self.office.get(user_ix).copied().unwrap_or(0));
            let r = rng.unit();
            let ip = if r < 0.6 {
                t.office_ips[c][rng.index(2)]
            } else if r < 0.9 {
                self.home_ip.get(user_ix).copied().unwrap_or(0)
            } else {
                t.mobile_ips[c][rng.index(4)]
            };
            (c, ip)
        };
        let result = if legacy {
            if rng.chance(0.1) {
                self.invalid_password
            } else {
                0
            }
        } else {
            self.results.pick(rng) as u8
        };
        let code = RESULTS.get(result as usize).map_or("0", |r| r.0);
        let multi_factor = match code {
            "0" | "50140" | "70044" => !legacy && rng.chance(0.85),
            "500121" | "50158" => true,
            _ => false,
        };
        let ca = if legacy {
            CA_NOT_APPLIED
        } else if code == "53003" {
            CA_FAILURE
        } else if multi_factor {
            if rng.chance(0.9) {
                CA_SUCCESS
            } else {
                CA_NOT_APPLIED
            }
        } else if rng.chance(0.1) {
            // A compliant-device or location policy applied without MFA.
            CA_SUCCESS
        } else {
            CA_NOT_APPLIED
        };
        UserSignin {
            time,
            user: user_ix as u32,
            app,
            client,
            result,
            city: city as u16,
            ip,
            device,
            agent,
            risk: self.risks.pick(rng) as u8,
            multi_factor,
            ca,
            interactive: self.interactive && !legacy,
            correlation: rng.guid(),
            id: rng.guid(),
        }
    }
}

/// A device index and its kind; `(u32::MAX, 0)` for no device.
fn device_of(tenant: &Tenant, device: Option<&u32>) -> (u32, u8) {
    device.map_or((u32::MAX, 0), |&d| {
        let kind = tenant.devices.get(d as usize).map_or(0, |x| x.kind);
        (d, kind as u8)
    })
}

/// Draws `n` service principal sign-ins: each principal from its own one or
/// two egress IPs.
pub(crate) fn service_principal_signins(
    tenant: &Tenant,
    n: usize,
    timeline: &Timeline,
    rng: &mut Rng,
    progress: &mut dyn FnMut(usize),
) -> SpSignins {
    let sps = &tenant.service_principals;
    // A few busy pipelines and many quiet ones.
    let sp_w = Weighted::new((0..sps.len()).map(|i| 1 + 60 / (i as u32 + 1)));
    let results = Weighted::new(reference::SP_RESULTS.iter().map(|r| r.2));
    let resources = Weighted::new(reference::SP_RESOURCES.iter().map(|r| r.2));
    let mut out = SpSignins::default();
    let mut cursor = timeline.cursor(n);
    for i in 0..n {
        let time = cursor.time(i, rng);
        let sp_ix = sp_w.pick(rng);
        let Some(sp) = sps.get(sp_ix) else { continue };
        let ip = sp.ips.get(rng.index(sp.ips.len())).copied().unwrap_or(0);
        out.push(SpSignin {
            time,
            sp: sp_ix as u32,
            ip,
            result: results.pick(rng) as u8,
            resource: resources.pick(rng) as u8,
            key_id: sp.key_id,
            correlation: rng.guid(),
            id: rng.guid(),
        });
        if (i + 1) % CHUNK == 0 {
            progress(CHUNK);
        }
    }
    progress(n % CHUNK);
    out
}

/// Draws `n` managed identity sign-ins.
pub(crate) fn managed_identity_signins(
    tenant: &Tenant,
    n: usize,
    timeline: &Timeline,
    rng: &mut Rng,
    progress: &mut dyn FnMut(usize),
) -> MiSignins {
    let count = tenant.managed_identities.len().max(1);
    let resources = Weighted::new(reference::SP_RESOURCES.iter().map(|r| r.2));
    let mut out = MiSignins::default();
    let mut cursor = timeline.cursor(n);
    for i in 0..n {
        out.time.push(cursor.time(i, rng));
        out.mi.push(rng.index(count) as u32);
        out.result.push(u8::from(rng.chance(0.003)));
        out.resource.push(resources.pick(rng) as u8);
        out.correlation.push(rng.guid());
        out.id.push(rng.guid());
        if (i + 1) % CHUNK == 0 {
            progress(CHUNK);
        }
    }
    progress(n % CHUNK);
    out
}

/// The `InitiatedBy` bag of a user acting from `ip`.
pub(crate) fn initiated_by_user(tenant: &Tenant, user: usize, ip: &str) -> kqlite_engine::Dynamic {
    let u = tenant.users.get(user);
    bag(vec![(
        "user",
        bag(vec![
            (
                "id",
                dstr(
                    &u.map(|u| crate::columns::guid_text(u.id))
                        .unwrap_or_default(),
                ),
            ),
            ("displayName", kqlite_engine::Dynamic::Null),
            ("userPrincipalName", dstr(u.map_or("", |u| u.upn.as_str()))),
            ("ipAddress", dstr(ip)),
            ("roles", darray(vec![])),
        ]),
    )])
}

/// The `InitiatedBy` bag of an application (service principal).
pub(crate) fn initiated_by_app(
    name: &str,
    app_id: u128,
    object_id: u128,
) -> kqlite_engine::Dynamic {
    bag(vec![(
        "app",
        bag(vec![
            ("appId", dstr(&crate::columns::guid_text(app_id))),
            ("displayName", dstr(name)),
            (
                "servicePrincipalId",
                dstr(&crate::columns::guid_text(object_id)),
            ),
            ("servicePrincipalName", dstr(name)),
        ]),
    )])
}

/// One `TargetResources` entry.
pub(crate) fn target(
    id: u128,
    display_name: &str,
    kind: &str,
    upn: Option<&str>,
    modified: Vec<kqlite_engine::Dynamic>,
) -> kqlite_engine::Dynamic {
    let mut pairs = vec![
        ("id", dstr(&crate::columns::guid_text(id))),
        ("displayName", dstr(display_name)),
        ("type", dstr(kind)),
    ];
    if let Some(upn) = upn {
        pairs.push(("userPrincipalName", dstr(upn)));
    }
    pairs.push(("modifiedProperties", darray(modified)));
    bag(pairs)
}

/// Draws `n` background directory changes.
pub(crate) fn audit_events(
    tenant: &Tenant,
    n: usize,
    timeline: &Timeline,
    rng: &mut Rng,
    progress: &mut dyn FnMut(usize),
) -> AuditEvents {
    let users = tenant.users.len().saturating_sub(2).max(1);
    let initiators: Vec<kqlite_engine::Dynamic> = (0..users)
        .map(|u| {
            let office = tenant.users.get(u).map_or(0, |x| x.office);
            let ip = tenant.office_ips.get(office).map_or(0, |ips| ips[0]);
            initiated_by_user(tenant, u, tenant.ips.get(ip))
        })
        .collect();
    let user_targets: Vec<kqlite_engine::Dynamic> = (0..users)
        .map(|u| {
            let x = &tenant.users[u];
            darray(vec![target(
                x.id,
                &x.display_name,
                "User",
                Some(&x.upn),
                vec![],
            )])
        })
        .collect();
    let group_targets: Vec<kqlite_engine::Dynamic> = tenant
        .groups
        .iter()
        .map(|(name, id)| darray(vec![target(*id, name, "Group", None, vec![])]))
        .collect();
    let sp_targets: Vec<kqlite_engine::Dynamic> = tenant
        .service_principals
        .iter()
        .map(|sp| {
            darray(vec![target(
                sp.object_id,
                &sp.name,
                "ServicePrincipal",
                None,
                vec![],
            )])
        })
        .collect();
    let sync = initiated_by_app(
        "Microsoft Intune",
        0x0000000a_0000_0000_c000_000000000000,
        rng.guid(),
    );
    let ops = Weighted::new(AUDIT_OPERATIONS.iter().map(|o| o.5));
    let additional = darray(vec![]);
    let mut out = AuditEvents::default();
    let mut cursor = timeline.cursor(n);
    for i in 0..n {
        let time = cursor.time(i, rng);
        let op = AUDIT_OPERATIONS
            .get(ops.pick(rng))
            .copied()
            .unwrap_or(AUDIT_OPERATIONS[0]);
        let actor = rng.index(users);
        let subject = rng.index(users);
        let (initiated_by, targets) = match op.4 {
            1 => (
                initiators[actor].clone(),
                group_targets[rng.index(group_targets.len())].clone(),
            ),
            2 => (
                initiators[actor].clone(),
                sp_targets
                    .get(rng.index(sp_targets.len()))
                    .cloned()
                    .unwrap_or_default(),
            ),
            3 => {
                let d = &tenant.devices[rng.index(tenant.devices.len())];
                let t = darray(vec![target(
                    d.device_id.unwrap_or_default(),
                    &d.display_name,
                    "Device",
                    None,
                    vec![],
                )]);
                (sync.clone(), t)
            }
            // Self-service changes are initiated by the user they change.
            _ if op.2 != "Core Directory" => {
                (initiators[subject].clone(), user_targets[subject].clone())
            }
            _ => (initiators[actor].clone(), user_targets[subject].clone()),
        };
        out.push(AuditEvent {
            time,
            operation: op.0,
            category: op.1,
            service: op.2,
            operation_type: op.3,
            success: !rng.chance(0.01),
            initiated_by,
            targets,
            additional: additional.clone(),
            correlation: rng.guid(),
            id: rng.guid(),
        });
        if (i + 1) % CHUNK == 0 {
            progress(CHUNK);
        }
    }
    progress(n % CHUNK);
    out
}

/// Draws `n` background Identity Protection detections.
pub(crate) fn risk_events(
    tenant: &Tenant,
    n: usize,
    timeline: &Timeline,
    rng: &mut Rng,
    progress: &mut dyn FnMut(usize),
) -> RiskEvents {
    let kinds = Weighted::new(RISK_EVENT_TYPES.iter().map(|r| r.1));
    let mut out = RiskEvents::default();
    let mut cursor = timeline.cursor(n);
    for i in 0..n {
        let time = cursor.time(i, rng);
        let user = tenant.user_weights.pick(rng);
        let office = tenant.users.get(user).map_or(0, |u| u.office);
        let (event_type, _) = RISK_EVENT_TYPES
            .get(kinds.pick(rng))
            .copied()
            .unwrap_or(("unfamiliarFeatures", 1));
        let realtime = matches!(event_type, "unfamiliarFeatures" | "anonymizedIPAddress");
        out.push(RiskEvent {
            time,
            user: user as u32,
            event_type,
            level: ["low", "low", "medium", "high"][rng.index(4)],
            timing: if realtime { "realtime" } else { "offline" },
            source: "IdentityProtection",
            ip: tenant
                .mobile_ips
                .get(office)
                .map_or(0, |ips| ips[rng.index(4)]),
            city: office as u16,
            request_id: rng.guid(),
            correlation: rng.guid(),
            id: rng.guid(),
        });
    }
    progress(n);
    out
}
