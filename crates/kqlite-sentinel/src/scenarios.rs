//! Labelled scenarios: the five attack tests of the T1078.004 detection's
//! seed and its five false-positive situations, injected as telemetry shaped
//! like what Entra ID records, with ground-truth labels beside the data.
//!
//! Every scenario happens within the last 24 hours before `now` (between 2
//! and 20 hours ago), so the shipped query's `ago(24h)` window sees it. Each
//! scenario draws from its own random stream and always draws the same
//! numbers whichever tables are generated; rows for tables that are not
//! generated are simply not written (and not labelled).
//!
//! Design choices, where the seed leaves room:
//!
//! - **Azure CLI with compromised credentials**: a password-only (single
//!   factor, Conditional Access `success`) interactive sign-in to
//!   `Microsoft Azure CLI` from a hosting IP in Moscow, on an unregistered
//!   Linux host, flagged medium risk (`unfamiliarFeatures`); the CLI's token
//!   refreshes follow in AADNonInteractiveUserSignInLogs. It is the one
//!   scenario in a country on the detection's suspicious list, so every
//!   branch of the detection's section 1 has a labelled positive.
//! - **Service principal enumeration**: one workload principal signs in six
//!   times from five new IPs inside one clock hour (so `bin(TimeGenerated,
//!   1h)` groups them), then reads the directory. Entra ID does not normally
//!   audit reads; the seed's expected telemetry lists them, so they appear as
//!   `List users` / `List applications` / `List service principals` rows.
//! - **Legacy SMTP**: two wrong passwords then a success over `Authenticated
//!   SMTP` with the `BAV2ROPC` user agent, non-interactive, single factor,
//!   Conditional Access `notApplied` (legacy clients cannot satisfy MFA).
//! - **Impossible travel**: a multi-factor sign-in from the victim's office,
//!   then 12–25 minutes later a single-factor success from the far side of
//!   the world (medium risk), plus Identity Protection's offline
//!   `unlikelyTravel` and Defender for Cloud Apps' `impossibleTravel`
//!   detections in AADUserRiskEvents.
//! - **Credentials added to a service principal**: `Add service principal
//!   credentials` and the companion `Update service principal` (one
//!   correlation id), initiated by a user from a hosting IP, then the
//!   principal signing in with the new key from that IP.
//! - **Business travel** (benign): multi-factor sign-ins from a hotel IP in
//!   a country the user does not live in, never a country on the detection's
//!   suspicious list; Identity Protection rates the first one low risk.
//! - **Legacy shared mailbox** (benign): an on-premises helpdesk tool reads
//!   a shared mailbox over `IMAP4` every two hours from the office egress IP.
//!   Note that the shipped query's `has_any` list names `IMAP`, which as a
//!   *term* does not match `IMAP4`, so the detection does not fire on it.
//! - **Multi-region service principal** (benign): a deployment pipeline
//!   running in four Azure regions signs in from four Azure IPs within one
//!   hour — section 2 of the detection fires on it.
//! - **Break-glass account** (benign): the emergency-access account, excluded
//!   from MFA by design, signs in to the Azure portal from the privileged
//!   admin workstation; single factor with Conditional Access `success`
//!   (a location policy applied), so the MFA check fires.
//! - **VPN egress** (benign): a user on a commercial privacy VPN appears from
//!   its exit node in another (non-suspicious) European country. A VPN exit in
//!   one of the listed countries would itself warrant an incident for a
//!   corporate user, so it is not modelled as benign. What makes this a false
//!   positive is Identity Protection: VPN exits are scored
//!   `anonymizedIPAddress` at medium risk, which the detection's risk check
//!   flags; the realtime detection also lands in AADUserRiskEvents.

use std::fmt;
use std::str::FromStr;

use kqlite_engine::time::{TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};

use crate::background::{initiated_by_app, initiated_by_user, target};
use crate::columns::{bag, darray, dstr, guid_text};
use crate::events::{
    AuditEvent, AuditEvents, RiskEvent, RiskEvents, SpSignin, SpSignins, UserSignin, UserSignins,
    CA_NOT_APPLIED, CA_SUCCESS, RISK_ANONYMOUS_IP, RISK_LOW, RISK_MEDIUM, RISK_NONE,
};
use crate::reference::{self, CITIES, SCRIPTED_LINUX};
use crate::rng::Rng;
use crate::tenant::{random_ipv4, Device, Tenant};

/// A labelled scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScenarioId {
    /// Seed test 1: Azure CLI sign-in with compromised credentials.
    AzureCliCompromisedCredentials,
    /// Seed test 2: service principal authentication and enumeration from new IPs.
    ServicePrincipalEnumeration,
    /// Seed test 3: legacy authentication via SMTP basic auth.
    LegacySmtpBasicAuth,
    /// Seed test 4: impossible travel.
    ImpossibleTravel,
    /// Seed test 5: credentials added to an existing service principal.
    ServicePrincipalCredentialAdded,
    /// Benign: a business traveller signing in abroad with MFA.
    BusinessTravel,
    /// Benign: a shared mailbox read over IMAP4 by an on-premises tool.
    LegacySharedMailbox,
    /// Benign: a service principal running in several Azure regions.
    MultiRegionServicePrincipal,
    /// Benign: the break-glass account used from the admin workstation.
    BreakGlassAdminWorkstation,
    /// Benign: a user behind a commercial VPN exit abroad.
    VpnEgress,
}

/// Whether a scenario is an attack or a benign look-alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScenarioKind {
    /// Malicious activity a detection should catch.
    Attack,
    /// Legitimate activity that resembles an attack (a potential false positive).
    Benign,
}

impl ScenarioKind {
    /// `"attack"` or `"benign"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioKind::Attack => "attack",
            ScenarioKind::Benign => "benign",
        }
    }
}

impl ScenarioId {
    /// Every scenario, attacks first.
    pub const ALL: [ScenarioId; 10] = [
        ScenarioId::AzureCliCompromisedCredentials,
        ScenarioId::ServicePrincipalEnumeration,
        ScenarioId::LegacySmtpBasicAuth,
        ScenarioId::ImpossibleTravel,
        ScenarioId::ServicePrincipalCredentialAdded,
        ScenarioId::BusinessTravel,
        ScenarioId::LegacySharedMailbox,
        ScenarioId::MultiRegionServicePrincipal,
        ScenarioId::BreakGlassAdminWorkstation,
        ScenarioId::VpnEgress,
    ];

    /// Stable kebab-case identifier (`azure-cli-compromised-credentials`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioId::AzureCliCompromisedCredentials => "azure-cli-compromised-credentials",
            ScenarioId::ServicePrincipalEnumeration => "service-principal-enumeration",
            ScenarioId::LegacySmtpBasicAuth => "legacy-smtp-basic-auth",
            ScenarioId::ImpossibleTravel => "impossible-travel",
            ScenarioId::ServicePrincipalCredentialAdded => "service-principal-credential-added",
            ScenarioId::BusinessTravel => "business-travel",
            ScenarioId::LegacySharedMailbox => "legacy-shared-mailbox",
            ScenarioId::MultiRegionServicePrincipal => "multi-region-service-principal",
            ScenarioId::BreakGlassAdminWorkstation => "break-glass-admin-workstation",
            ScenarioId::VpnEgress => "vpn-egress",
        }
    }

    /// Attack or benign.
    pub fn kind(self) -> ScenarioKind {
        match self {
            ScenarioId::AzureCliCompromisedCredentials
            | ScenarioId::ServicePrincipalEnumeration
            | ScenarioId::LegacySmtpBasicAuth
            | ScenarioId::ImpossibleTravel
            | ScenarioId::ServicePrincipalCredentialAdded => ScenarioKind::Attack,
            _ => ScenarioKind::Benign,
        }
    }

    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            ScenarioId::AzureCliCompromisedCredentials => {
                "Azure CLI authentication with compromised credentials"
            }
            ScenarioId::ServicePrincipalEnumeration => {
                "Service principal authentication and enumeration"
            }
            ScenarioId::LegacySmtpBasicAuth => "Legacy authentication via SMTP basic auth",
            ScenarioId::ImpossibleTravel => "Impossible travel",
            ScenarioId::ServicePrincipalCredentialAdded => {
                "Credentials added to an existing service principal"
            }
            ScenarioId::BusinessTravel => "Business traveller abroad",
            ScenarioId::LegacySharedMailbox => "Shared mailbox on legacy IMAP4",
            ScenarioId::MultiRegionServicePrincipal => "Multi-region service principal",
            ScenarioId::BreakGlassAdminWorkstation => "Break-glass account from admin workstation",
            ScenarioId::VpnEgress => "VPN egress in another country",
        }
    }

    /// MITRE ATT&CK technique the scenario exercises (or resembles).
    pub fn technique(self) -> &'static str {
        match self {
            ScenarioId::ServicePrincipalCredentialAdded => "T1098.001",
            _ => "T1078.004",
        }
    }

    /// What the injected telemetry shows.
    pub fn description(self) -> &'static str {
        match self {
            ScenarioId::AzureCliCompromisedCredentials => "Password-only interactive sign-in to Microsoft Azure CLI from a new hosting IP in Russia on an unregistered Linux host, medium sign-in risk; token refreshes follow.",
            ScenarioId::ServicePrincipalEnumeration => "One service principal signs in from five new IPs within one hour, then lists users, applications and service principals.",
            ScenarioId::LegacySmtpBasicAuth => "Two failed and one successful Authenticated SMTP basic-auth sign-ins (BAV2ROPC), non-interactive, single factor.",
            ScenarioId::ImpossibleTravel => "Two successful sign-ins of one user minutes apart from two continents, with unlikelyTravel and impossibleTravel risk detections.",
            ScenarioId::ServicePrincipalCredentialAdded => "A user adds a password credential to an existing service principal from a hosting IP; the principal then signs in with it.",
            ScenarioId::BusinessTravel => "Multi-factor sign-ins from a hotel abroad (not a suspicious country), first one low risk.",
            ScenarioId::LegacySharedMailbox => "A helpdesk shared mailbox read over IMAP4 every two hours from the office egress IP.",
            ScenarioId::MultiRegionServicePrincipal => "A deployment pipeline signs in from four Azure regions within one hour.",
            ScenarioId::BreakGlassAdminWorkstation => "The emergency-access account signs in single-factor to the Azure portal from the privileged admin workstation.",
            ScenarioId::VpnEgress => "Multi-factor sign-ins through a commercial VPN exit abroad, rated medium risk (anonymizedIPAddress).",
        }
    }
}

impl fmt::Display for ScenarioId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown scenario name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scenario `{0}` (known: azure-cli-compromised-credentials, service-principal-enumeration, legacy-smtp-basic-auth, impossible-travel, service-principal-credential-added, business-travel, legacy-shared-mailbox, multi-region-service-principal, break-glass-admin-workstation, vpn-egress)")]
pub struct UnknownScenario(pub String);

impl FromStr for ScenarioId {
    type Err = UnknownScenario;

    /// Parses the kebab-case identifier of [`ScenarioId::as_str`].
    fn from_str(s: &str) -> Result<ScenarioId, UnknownScenario> {
        ScenarioId::ALL
            .into_iter()
            .find(|id| id.as_str() == s)
            .ok_or_else(|| UnknownScenario(s.to_string()))
    }
}

/// Which scenarios to inject.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ScenarioSelection {
    /// Every scenario.
    #[default]
    All,
    /// Background traffic only.
    None,
    /// Just these.
    List(Vec<ScenarioId>),
}

impl ScenarioSelection {
    /// The selected scenarios in [`ScenarioId::ALL`] order, without repeats.
    pub fn ids(&self) -> Vec<ScenarioId> {
        match self {
            ScenarioSelection::All => ScenarioId::ALL.to_vec(),
            ScenarioSelection::None => Vec::new(),
            ScenarioSelection::List(ids) => ScenarioId::ALL
                .into_iter()
                .filter(|id| ids.contains(id))
                .collect(),
        }
    }
}

/// One labelled row.
#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub(crate) scenario: ScenarioId,
    pub(crate) table: &'static str,
    pub(crate) row: usize,
    pub(crate) correlation: u128,
    pub(crate) time: i64,
    pub(crate) entity: String,
}

/// Where scenarios write: the event arrays of the generated tables.
#[derive(Debug, Default)]
pub(crate) struct Sinks {
    pub(crate) signins: Option<UserSignins>,
    pub(crate) non_interactive: Option<UserSignins>,
    pub(crate) service_principals: Option<SpSignins>,
    pub(crate) audit: Option<AuditEvents>,
    pub(crate) risk: Option<RiskEvents>,
    pub(crate) labels: Vec<Label>,
}

impl Sinks {
    fn signin(&mut self, scenario: ScenarioId, entity: &str, s: UserSignin) {
        if let Some(t) = &mut self.signins {
            let row = t.push(s);
            self.labels.push(Label {
                scenario,
                table: "SigninLogs",
                row,
                correlation: s.correlation,
                time: s.time,
                entity: entity.to_string(),
            });
        }
    }

    fn non_interactive(&mut self, scenario: ScenarioId, entity: &str, s: UserSignin) {
        if let Some(t) = &mut self.non_interactive {
            let row = t.push(s);
            self.labels.push(Label {
                scenario,
                table: "AADNonInteractiveUserSignInLogs",
                row,
                correlation: s.correlation,
                time: s.time,
                entity: entity.to_string(),
            });
        }
    }

    fn service_principal(&mut self, scenario: ScenarioId, entity: &str, s: SpSignin) {
        if let Some(t) = &mut self.service_principals {
            let row = t.push(s);
            self.labels.push(Label {
                scenario,
                table: "AADServicePrincipalSignInLogs",
                row,
                correlation: s.correlation,
                time: s.time,
                entity: entity.to_string(),
            });
        }
    }

    fn audit(&mut self, scenario: ScenarioId, entity: &str, e: AuditEvent) {
        if let Some(t) = &mut self.audit {
            let (correlation, time) = (e.correlation, e.time);
            let row = t.push(e);
            self.labels.push(Label {
                scenario,
                table: "AuditLogs",
                row,
                correlation,
                time,
                entity: entity.to_string(),
            });
        }
    }

    fn risk(&mut self, scenario: ScenarioId, entity: &str, e: RiskEvent) {
        if let Some(t) = &mut self.risk {
            let (correlation, time) = (e.correlation, e.time);
            let row = t.push(e);
            self.labels.push(Label {
                scenario,
                table: "AADUserRiskEvents",
                row,
                correlation,
                time,
                entity: entity.to_string(),
            });
        }
    }
}

/// Ordinary member users (not the special accounts), as a count.
fn regular_users(tenant: &Tenant) -> usize {
    tenant.users.len().saturating_sub(2).max(1)
}

/// A hosting-provider IP in `city`, added to the tenant's IP list.
fn hosting_ip(tenant: &mut Tenant, rng: &mut Rng, city: usize) -> u32 {
    const HOSTING_OCTETS: &[u8] = &[5, 45, 91, 141, 176, 185, 193, 194, 195];
    let ip = random_ipv4(rng, HOSTING_OCTETS);
    let asn = rng.range(9_000, 62_000) as u32;
    tenant.add_ip(&ip, city, asn)
}

/// Great-circle distance in kilometres.
fn distance_km(a: usize, b: usize) -> f64 {
    let (Some(a), Some(b)) = (CITIES.get(a), CITIES.get(b)) else {
        return 0.0;
    };
    let (la1, lo1) = (a.latitude.to_radians(), a.longitude.to_radians());
    let (la2, lo2) = (b.latitude.to_radians(), b.longitude.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371.0 * h.sqrt().asin()
}

fn country(city: usize) -> &'static str {
    CITIES.get(city).map_or("", |c| c.country)
}

/// Injects the selected scenarios into `sinks`, relative to `now`.
pub(crate) fn inject(
    ids: &[ScenarioId],
    seed: u64,
    now: i64,
    tenant: &mut Tenant,
    sinks: &mut Sinks,
) {
    for &id in ids {
        let mut rng = Rng::stream(seed, &format!("scenario/{}", id.as_str()));
        // Between 20 and 4 hours ago: inside the detection's 24 h window,
        // with room for follow-up events.
        let anchor = now - rng.range(4 * TICKS_PER_HOUR, 20 * TICKS_PER_HOUR);
        let mut ctx = Ctx {
            id,
            rng,
            now,
            anchor,
            tenant: &mut *tenant,
            sinks: &mut *sinks,
        };
        match id {
            ScenarioId::AzureCliCompromisedCredentials => ctx.azure_cli(),
            ScenarioId::ServicePrincipalEnumeration => ctx.sp_enumeration(),
            ScenarioId::LegacySmtpBasicAuth => ctx.legacy_smtp(),
            ScenarioId::ImpossibleTravel => ctx.impossible_travel(),
            ScenarioId::ServicePrincipalCredentialAdded => ctx.sp_credential_added(),
            ScenarioId::BusinessTravel => ctx.business_travel(),
            ScenarioId::LegacySharedMailbox => ctx.shared_mailbox(),
            ScenarioId::MultiRegionServicePrincipal => ctx.multi_region_sp(),
            ScenarioId::BreakGlassAdminWorkstation => ctx.break_glass(),
            ScenarioId::VpnEgress => ctx.vpn_egress(),
        }
    }
}

struct Ctx<'a> {
    id: ScenarioId,
    rng: Rng,
    now: i64,
    anchor: i64,
    tenant: &'a mut Tenant,
    sinks: &'a mut Sinks,
}

impl Ctx<'_> {
    fn jitter(&mut self, minutes: i64) -> i64 {
        self.rng.range(0, minutes * TICKS_PER_MINUTE) + self.rng.range(0, TICKS_PER_SECOND)
    }

    fn pick_user(&mut self) -> usize {
        self.rng.index(regular_users(self.tenant))
    }

    fn upn(&self, user: usize) -> String {
        self.tenant
            .users
            .get(user)
            .map(|u| u.upn.clone())
            .unwrap_or_default()
    }

    /// A successful sign-in skeleton for `user` at `time`.
    fn signin(&mut self, user: usize, time: i64) -> UserSignin {
        let u = self.tenant.users.get(user);
        let office = u.map_or(0, |u| u.office);
        let device = u.and_then(|u| u.devices.first().copied()).unwrap_or(0);
        let kind = self
            .tenant
            .devices
            .get(device as usize)
            .map_or(0, |d| d.kind);
        UserSignin {
            time,
            user: user as u32,
            app: reference::app_index("OfficeHome") as u8,
            client: reference::client_app_index("Browser") as u8,
            result: 0,
            city: office as u16,
            ip: self.tenant.office_ips.get(office).map_or(0, |ips| ips[0]),
            device,
            agent: self.tenant.agent_code(kind, true),
            risk: RISK_NONE,
            multi_factor: true,
            ca: CA_SUCCESS,
            interactive: true,
            correlation: self.rng.guid(),
            id: self.rng.guid(),
        }
    }

    fn sp_signin(&mut self, sp: usize, ip: u32, time: i64) -> SpSignin {
        let key_id = self
            .tenant
            .service_principals
            .get(sp)
            .map_or(0, |s| s.key_id);
        SpSignin {
            time,
            sp: sp as u32,
            ip,
            result: 0,
            resource: 0,
            key_id,
            correlation: self.rng.guid(),
            id: self.rng.guid(),
        }
    }

    fn azure_cli(&mut self) {
        let user = self.pick_user();
        let upn = self.upn(user);
        let city = reference::city_index("Moscow");
        let ip = hosting_ip(self.tenant, &mut self.rng, city);
        let device = self.tenant.add_device(Device {
            kind: SCRIPTED_LINUX,
            device_id: None,
            display_name: String::new(),
            compliant: false,
            managed: false,
            trust_type: "",
        });
        let agent = self.tenant.agent_code(SCRIPTED_LINUX, false);
        let time = self.anchor + self.jitter(30);
        let mut s = self.signin(user, time);
        s.app = reference::app_index("Microsoft Azure CLI") as u8;
        s.client = reference::client_app_index("Mobile Apps and Desktop clients") as u8;
        s.city = city as u16;
        s.ip = ip;
        s.device = device;
        s.agent = agent;
        s.risk = RISK_MEDIUM;
        s.multi_factor = false;
        s.ca = CA_SUCCESS;
        let refreshes: Vec<UserSignin> = (1..=3)
            .map(|k| {
                let mut r = s;
                r.time = time + k * 20 * TICKS_PER_MINUTE + self.jitter(5);
                r.interactive = false;
                r.risk = RISK_NONE;
                r.correlation = self.rng.guid();
                r.id = self.rng.guid();
                r
            })
            .collect();
        self.sinks.signin(self.id, &upn, s);
        for r in refreshes {
            self.sinks.non_interactive(self.id, &upn, r);
        }
    }

    fn sp_enumeration(&mut self) {
        let count = self.tenant.service_principals.len().max(1);
        let sp = self.rng.index(count);
        let hour = (self.anchor / TICKS_PER_HOUR) * TICKS_PER_HOUR;
        let cities = [
            "Amsterdam",
            "Frankfurt am Main",
            "Bucharest",
            "Singapore",
            "Sao Paulo",
        ];
        let ips: Vec<u32> = cities
            .iter()
            .map(|c| hosting_ip(self.tenant, &mut self.rng, reference::city_index(c)))
            .collect();
        let (name, app_id, object_id) = self
            .tenant
            .service_principals
            .get(sp)
            .map_or((String::new(), 0, 0), |s| {
                (s.name.clone(), s.app_id, s.object_id)
            });
        let mut rows = Vec::new();
        for (k, &ip) in ips.iter().chain(ips.first()).enumerate() {
            let time = hour + (5 + 8 * k as i64) * TICKS_PER_MINUTE + self.jitter(3);
            rows.push(self.sp_signin(sp, ip, time));
        }
        let reads: Vec<AuditEvent> = [
            ("List users", "UserManagement"),
            ("List applications", "ApplicationManagement"),
            ("List service principals", "ApplicationManagement"),
        ]
        .iter()
        .enumerate()
        .map(|(k, (op, category))| AuditEvent {
            time: hour + (50 + k as i64) * TICKS_PER_MINUTE + self.jitter(1),
            operation: op,
            category,
            service: "Core Directory",
            operation_type: "Other",
            success: true,
            initiated_by: initiated_by_app(&name, app_id, object_id),
            targets: darray(vec![]),
            additional: darray(vec![]),
            correlation: self.rng.guid(),
            id: self.rng.guid(),
        })
        .collect();
        for r in rows {
            self.sinks.service_principal(self.id, &name, r);
        }
        for e in reads {
            self.sinks.audit(self.id, &name, e);
        }
    }

    fn legacy_smtp(&mut self) {
        let user = self.pick_user();
        let upn = self.upn(user);
        let city = reference::city_index("Lagos");
        let ip = hosting_ip(self.tenant, &mut self.rng, city);
        let agent = self.tenant.agents.intern("BAV2ROPC");
        let mut rows = Vec::new();
        for k in 0..3 {
            let time = self.anchor + k * 2 * TICKS_PER_MINUTE + self.jitter(1);
            let mut s = self.signin(user, time);
            s.app = reference::app_index("Office 365 Exchange Online") as u8;
            s.client = reference::client_app_index("Authenticated SMTP") as u8;
            s.result = if k < 2 {
                reference::result_index("50126") as u8
            } else {
                0
            };
            s.city = city as u16;
            s.ip = ip;
            s.agent = agent;
            s.multi_factor = false;
            s.ca = CA_NOT_APPLIED;
            s.interactive = false;
            rows.push(s);
        }
        for s in rows {
            self.sinks.signin(self.id, &upn, s);
        }
    }

    fn impossible_travel(&mut self) {
        let user = self.pick_user();
        let upn = self.upn(user);
        let office = self.tenant.users.get(user).map_or(0, |u| u.office);
        let far = self
            .tenant
            .travel_cities
            .iter()
            .copied()
            .filter(|&c| country(c) != country(office))
            .max_by(|&a, &b| distance_km(office, a).total_cmp(&distance_km(office, b)))
            .unwrap_or(office);
        let t0 = self.anchor;
        let first = self.signin(user, t0);
        let t1 = t0 + self.rng.range(12 * TICKS_PER_MINUTE, 25 * TICKS_PER_MINUTE);
        let ip = hosting_ip(self.tenant, &mut self.rng, far);
        let mut second = self.signin(user, t1);
        second.city = far as u16;
        second.ip = ip;
        second.app = reference::app_index("Office 365 Exchange Online") as u8;
        second.risk = RISK_MEDIUM;
        second.multi_factor = false;
        let detections: Vec<RiskEvent> = [
            ("unlikelyTravel", "IdentityProtection", 95),
            ("impossibleTravel", "MicrosoftCloudAppSecurity", 110),
        ]
        .iter()
        .map(|&(event_type, source, delay)| RiskEvent {
            time: t1 + delay * TICKS_PER_MINUTE + self.jitter(10),
            user: user as u32,
            event_type,
            level: "medium",
            timing: "offline",
            source,
            ip,
            city: far as u16,
            request_id: second.id,
            correlation: second.correlation,
            id: self.rng.guid(),
        })
        .collect();
        self.sinks.signin(self.id, &upn, first);
        self.sinks.signin(self.id, &upn, second);
        for d in detections {
            self.sinks.risk(self.id, &upn, d);
        }
    }

    fn sp_credential_added(&mut self) {
        let actor = self.pick_user();
        let upn = self.upn(actor);
        let count = self.tenant.service_principals.len().max(1);
        let sp = self.rng.index(count);
        let city = reference::city_index("Amsterdam");
        let ip_code = hosting_ip(self.tenant, &mut self.rng, city);
        let ip = self.tenant.ips.get(ip_code).to_string();
        let new_key = self.rng.guid();
        let (name, object_id) = self
            .tenant
            .service_principals
            .get(sp)
            .map_or((String::new(), 0), |s| (s.name.clone(), s.object_id));
        let time = self.anchor + self.jitter(20);
        let correlation = self.rng.guid();
        let key_description = format!(
            "[\"[KeyIdentifier={},KeyType=Password,KeyUsage=Verify,DisplayName=sync]\"]",
            guid_text(new_key)
        );
        let added = bag(vec![
            ("displayName", dstr("KeyDescription")),
            ("oldValue", dstr("[]")),
            ("newValue", dstr(&key_description)),
        ]);
        let included = bag(vec![
            ("displayName", dstr("Included Updated Properties")),
            ("oldValue", kqlite_engine::Dynamic::Null),
            ("newValue", dstr("\"KeyDescription\"")),
        ]);
        let initiated_by = initiated_by_user(self.tenant, actor, &ip);
        let add = AuditEvent {
            time,
            operation: "Add service principal credentials",
            category: "ApplicationManagement",
            service: "Core Directory",
            operation_type: "Update",
            success: true,
            initiated_by: initiated_by.clone(),
            targets: darray(vec![target(
                object_id,
                &name,
                "ServicePrincipal",
                None,
                vec![added],
            )]),
            additional: darray(vec![bag(vec![
                ("key", dstr("User-Agent")),
                ("value", dstr("python-requests/2.32.3")),
            ])]),
            correlation,
            id: self.rng.guid(),
        };
        let update = AuditEvent {
            time: time + 2 * TICKS_PER_SECOND,
            operation: "Update service principal",
            category: "ApplicationManagement",
            service: "Core Directory",
            operation_type: "Update",
            success: true,
            initiated_by,
            targets: darray(vec![target(
                object_id,
                &name,
                "ServicePrincipal",
                None,
                vec![included],
            )]),
            additional: darray(vec![]),
            correlation,
            id: self.rng.guid(),
        };
        let use_time = time + 30 * TICKS_PER_MINUTE + self.jitter(5);
        let mut use_key = self.sp_signin(sp, ip_code, use_time);
        use_key.key_id = new_key;
        self.sinks.audit(self.id, &upn, add);
        self.sinks.audit(self.id, &upn, update);
        self.sinks.service_principal(self.id, &name, use_key);
    }

    fn business_travel(&mut self) {
        let user = self.pick_user();
        let upn = self.upn(user);
        let office = self.tenant.users.get(user).map_or(0, |u| u.office);
        let abroad: Vec<usize> = self
            .tenant
            .travel_cities
            .iter()
            .copied()
            .filter(|&c| country(c) != country(office))
            .collect();
        let city = abroad
            .get(self.rng.index(abroad.len()))
            .copied()
            .unwrap_or(office);
        let ip = self.tenant.travel_ips.get(city).map_or(0, |ips| ips[0]);
        let phone = self
            .tenant
            .users
            .get(user)
            .and_then(|u| u.devices.get(1).copied());
        let mut rows = Vec::new();
        for k in 0..3 {
            let time = self.anchor + k * 70 * TICKS_PER_MINUTE + self.jitter(15);
            let mut s = self.signin(user, time);
            s.city = city as u16;
            s.ip = ip;
            s.risk = if k == 0 { RISK_LOW } else { RISK_NONE };
            if let (1, Some(phone)) = (k, phone) {
                let kind = self
                    .tenant
                    .devices
                    .get(phone as usize)
                    .map_or(0, |d| d.kind);
                s.device = phone;
                s.agent = self.tenant.agent_code(kind, false);
                s.app = reference::app_index("Outlook Mobile") as u8;
                s.client = reference::client_app_index("Mobile Apps and Desktop clients") as u8;
            }
            rows.push(s);
        }
        for s in rows {
            self.sinks.signin(self.id, &upn, s);
        }
    }

    fn shared_mailbox(&mut self) {
        let user = self.tenant.shared_mailbox;
        let upn = self.upn(user);
        let ip = self.tenant.users.get(user).map_or(0, |u| u.home_ip);
        // Every two hours from about 18 hours ago until about 2 hours ago.
        let start = ((self.now - 18 * TICKS_PER_HOUR) / TICKS_PER_HOUR) * TICKS_PER_HOUR
            + TICKS_PER_HOUR / 2;
        let mut rows = Vec::new();
        for k in 0..8 {
            let time = start + k * 2 * TICKS_PER_HOUR + self.jitter(2);
            let mut s = self.signin(user, time);
            s.app = reference::app_index("Office 365 Exchange Online") as u8;
            s.client = reference::client_app_index("IMAP4") as u8;
            s.ip = ip;
            s.agent = self.tenant.empty_agent;
            s.multi_factor = false;
            s.ca = CA_NOT_APPLIED;
            s.interactive = false;
            rows.push(s);
        }
        for s in rows {
            self.sinks.signin(self.id, &upn, s);
        }
    }

    fn multi_region_sp(&mut self) {
        let count = self.tenant.service_principals.len().max(1);
        // The CI/CD principal when the tenant has it (index 1), else any.
        let sp = 1.min(count - 1);
        let name = self
            .tenant
            .service_principals
            .get(sp)
            .map_or(String::new(), |s| s.name.clone());
        let regions = ["Seattle", "Dublin", "Singapore", "Sydney"];
        let ips: Vec<u32> = regions
            .iter()
            .map(|c| {
                let ip = random_ipv4(&mut self.rng, &[13, 20, 40, 52]);
                self.tenant.add_ip(&ip, reference::city_index(c), 8075)
            })
            .collect();
        let hour = (self.anchor / TICKS_PER_HOUR) * TICKS_PER_HOUR;
        let mut rows = Vec::new();
        for k in 0..8_i64 {
            let ip = ips.get(k as usize % ips.len()).copied().unwrap_or(0);
            let time = hour + (2 + 7 * k) * TICKS_PER_MINUTE + self.jitter(2);
            let mut s = self.sp_signin(sp, ip, time);
            s.resource = 1;
            rows.push(s);
        }
        for s in rows {
            self.sinks.service_principal(self.id, &name, s);
        }
    }

    fn break_glass(&mut self) {
        let user = self.tenant.break_glass;
        let upn = self.upn(user);
        let mut rows = Vec::new();
        for k in 0..2 {
            let time = self.anchor + k * 35 * TICKS_PER_MINUTE + self.jitter(5);
            let mut s = self.signin(user, time);
            s.app = reference::app_index("Azure Portal") as u8;
            s.multi_factor = false;
            s.ca = CA_SUCCESS;
            rows.push(s);
        }
        for s in rows {
            self.sinks.signin(self.id, &upn, s);
        }
    }

    fn vpn_egress(&mut self) {
        let user = self.pick_user();
        let upn = self.upn(user);
        let office = self.tenant.users.get(user).map_or(0, |u| u.office);
        let exit = if country(office) == "CH" {
            reference::city_index("Stockholm")
        } else {
            reference::city_index("Zurich")
        };
        let ip = hosting_ip(self.tenant, &mut self.rng, exit);
        let mut rows = Vec::new();
        for k in 0..2 {
            let time = self.anchor + k * 45 * TICKS_PER_MINUTE + self.jitter(10);
            let mut s = self.signin(user, time);
            s.city = exit as u16;
            s.ip = ip;
            s.risk = RISK_ANONYMOUS_IP;
            rows.push(s);
        }
        let detection = rows.first().map(|s| RiskEvent {
            time: s.time + 3 * TICKS_PER_MINUTE,
            user: user as u32,
            event_type: "anonymizedIPAddress",
            level: "medium",
            timing: "realtime",
            source: "IdentityProtection",
            ip,
            city: exit as u16,
            request_id: s.id,
            correlation: s.correlation,
            id: self.rng.guid(),
        });
        for s in rows {
            self.sinks.signin(self.id, &upn, s);
        }
        if let Some(d) = detection {
            self.sinks.risk(self.id, &upn, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_round_trip_through_from_str() {
        for id in ScenarioId::ALL {
            assert_eq!(id.as_str().parse::<ScenarioId>(), Ok(id));
        }
        assert!("no-such-scenario".parse::<ScenarioId>().is_err());
    }

    #[test]
    fn five_attacks_and_five_benign_scenarios() {
        let attacks = ScenarioId::ALL
            .iter()
            .filter(|id| id.kind() == ScenarioKind::Attack)
            .count();
        assert_eq!(attacks, 5);
    }

    #[test]
    fn a_selection_list_keeps_canonical_order_without_repeats() {
        let sel = ScenarioSelection::List(vec![
            ScenarioId::VpnEgress,
            ScenarioId::ImpossibleTravel,
            ScenarioId::VpnEgress,
        ]);
        assert_eq!(
            sel.ids(),
            vec![ScenarioId::ImpossibleTravel, ScenarioId::VpnEgress]
        );
        assert!(ScenarioSelection::None.ids().is_empty());
    }

    #[test]
    fn distances_between_far_cities_are_continental() {
        let london = reference::city_index("London");
        let sydney = reference::city_index("Sydney");
        let d = distance_km(london, sydney);
        assert!((16_000.0..17_500.0).contains(&d), "{d}");
    }
}
