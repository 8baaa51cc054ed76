//! Generated events before they become columns: one struct of arrays per
//! table, holding small codes into the tenant and reference lists. Background
//! traffic and labelled scenarios both append here, so both go through the
//! same column materialization.

use kqlite_engine::Dynamic;

/// Conditional Access outcome codes.
pub(crate) const CA_SUCCESS: u8 = 0;
/// Conditional Access blocked the sign-in.
pub(crate) const CA_FAILURE: u8 = 1;
/// No policy applied.
pub(crate) const CA_NOT_APPLIED: u8 = 2;

/// `ConditionalAccessStatus` text per code.
pub(crate) const CA_STATUS: [&str; 3] = ["success", "failure", "notApplied"];

/// Sign-in risk profiles: (RiskLevelDuringSignIn, RiskState, RiskEventTypes
/// JSON text, background weight per 10,000).
pub(crate) const RISK_PROFILES: &[(&str, &str, &str, u32)] = &[
    ("none", "none", "[]", 9_900),
    ("low", "atRisk", "[\"unfamiliarFeatures\"]", 70),
    ("medium", "atRisk", "[\"unfamiliarFeatures\"]", 20),
    ("medium", "atRisk", "[\"anonymizedIPAddress\"]", 7),
    (
        "high",
        "atRisk",
        "[\"unfamiliarFeatures\",\"maliciousIPAddress\"]",
        3,
    ),
];
/// No risk.
pub(crate) const RISK_NONE: u8 = 0;
/// Low risk, unfamiliar sign-in properties.
pub(crate) const RISK_LOW: u8 = 1;
/// Medium risk, unfamiliar sign-in properties.
pub(crate) const RISK_MEDIUM: u8 = 2;
/// Medium risk, anonymous IP address (VPN / Tor egress).
pub(crate) const RISK_ANONYMOUS_IP: u8 = 3;

/// One user sign-in (interactive or not).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserSignin {
    pub(crate) time: i64,
    pub(crate) user: u32,
    /// Index into `reference::APPS`.
    pub(crate) app: u8,
    /// Index into `reference::CLIENT_APPS`.
    pub(crate) client: u8,
    /// Index into `reference::RESULTS`.
    pub(crate) result: u8,
    /// Index into `reference::CITIES`.
    pub(crate) city: u16,
    /// Code in `Tenant::ips`.
    pub(crate) ip: u32,
    /// Index into `Tenant::devices`.
    pub(crate) device: u32,
    /// Code in the user-agent vocabulary.
    pub(crate) agent: u32,
    /// Index into [`RISK_PROFILES`].
    pub(crate) risk: u8,
    pub(crate) multi_factor: bool,
    /// A `CA_*` code.
    pub(crate) ca: u8,
    pub(crate) interactive: bool,
    pub(crate) correlation: u128,
    pub(crate) id: u128,
}

/// User sign-ins as arrays.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserSignins {
    pub(crate) time: Vec<i64>,
    pub(crate) user: Vec<u32>,
    pub(crate) app: Vec<u8>,
    pub(crate) client: Vec<u8>,
    pub(crate) result: Vec<u8>,
    pub(crate) city: Vec<u16>,
    pub(crate) ip: Vec<u32>,
    pub(crate) device: Vec<u32>,
    pub(crate) agent: Vec<u32>,
    pub(crate) risk: Vec<u8>,
    pub(crate) multi_factor: Vec<bool>,
    pub(crate) ca: Vec<u8>,
    pub(crate) interactive: Vec<bool>,
    pub(crate) correlation: Vec<u128>,
    pub(crate) id: Vec<u128>,
}

impl UserSignins {
    /// Room for `n` sign-ins.
    pub(crate) fn with_capacity(n: usize) -> UserSignins {
        UserSignins {
            time: Vec::with_capacity(n),
            user: Vec::with_capacity(n),
            app: Vec::with_capacity(n),
            client: Vec::with_capacity(n),
            result: Vec::with_capacity(n),
            city: Vec::with_capacity(n),
            ip: Vec::with_capacity(n),
            device: Vec::with_capacity(n),
            agent: Vec::with_capacity(n),
            risk: Vec::with_capacity(n),
            multi_factor: Vec::with_capacity(n),
            ca: Vec::with_capacity(n),
            interactive: Vec::with_capacity(n),
            correlation: Vec::with_capacity(n),
            id: Vec::with_capacity(n),
        }
    }

    /// Appends a sign-in and returns its row id.
    #[inline]
    pub(crate) fn push(&mut self, s: UserSignin) -> usize {
        self.time.push(s.time);
        self.user.push(s.user);
        self.app.push(s.app);
        self.client.push(s.client);
        self.result.push(s.result);
        self.city.push(s.city);
        self.ip.push(s.ip);
        self.device.push(s.device);
        self.agent.push(s.agent);
        self.risk.push(s.risk);
        self.multi_factor.push(s.multi_factor);
        self.ca.push(s.ca);
        self.interactive.push(s.interactive);
        self.correlation.push(s.correlation);
        self.id.push(s.id);
        self.time.len() - 1
    }

    /// Number of sign-ins.
    pub(crate) fn len(&self) -> usize {
        self.time.len()
    }
}

/// One service principal sign-in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SpSignin {
    pub(crate) time: i64,
    /// Index into `Tenant::service_principals`.
    pub(crate) sp: u32,
    /// Code in `Tenant::ips`.
    pub(crate) ip: u32,
    /// Index into `reference::SP_RESULTS`.
    pub(crate) result: u8,
    /// Index into `reference::SP_RESOURCES`.
    pub(crate) resource: u8,
    pub(crate) key_id: u128,
    pub(crate) correlation: u128,
    pub(crate) id: u128,
}

/// Service principal sign-ins as arrays.
#[derive(Debug, Clone, Default)]
pub(crate) struct SpSignins {
    pub(crate) time: Vec<i64>,
    pub(crate) sp: Vec<u32>,
    pub(crate) ip: Vec<u32>,
    pub(crate) result: Vec<u8>,
    pub(crate) resource: Vec<u8>,
    pub(crate) key_id: Vec<u128>,
    pub(crate) correlation: Vec<u128>,
    pub(crate) id: Vec<u128>,
}

impl SpSignins {
    /// Appends a sign-in and returns its row id.
    pub(crate) fn push(&mut self, s: SpSignin) -> usize {
        self.time.push(s.time);
        self.sp.push(s.sp);
        self.ip.push(s.ip);
        self.result.push(s.result);
        self.resource.push(s.resource);
        self.key_id.push(s.key_id);
        self.correlation.push(s.correlation);
        self.id.push(s.id);
        self.time.len() - 1
    }

    /// Number of sign-ins.
    pub(crate) fn len(&self) -> usize {
        self.time.len()
    }
}

/// Managed identity sign-ins as arrays.
#[derive(Debug, Clone, Default)]
pub(crate) struct MiSignins {
    pub(crate) time: Vec<i64>,
    /// Index into `Tenant::managed_identities`.
    pub(crate) mi: Vec<u32>,
    pub(crate) result: Vec<u8>,
    pub(crate) resource: Vec<u8>,
    pub(crate) correlation: Vec<u128>,
    pub(crate) id: Vec<u128>,
}

impl MiSignins {
    /// Number of sign-ins.
    pub(crate) fn len(&self) -> usize {
        self.time.len()
    }
}

/// One directory change (AuditLogs row).
#[derive(Debug, Clone)]
pub(crate) struct AuditEvent {
    pub(crate) time: i64,
    pub(crate) operation: &'static str,
    pub(crate) category: &'static str,
    pub(crate) service: &'static str,
    pub(crate) operation_type: &'static str,
    pub(crate) success: bool,
    pub(crate) initiated_by: Dynamic,
    pub(crate) targets: Dynamic,
    pub(crate) additional: Dynamic,
    pub(crate) correlation: u128,
    pub(crate) id: u128,
}

/// Directory changes, one struct per row (AuditLogs is small).
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditEvents {
    pub(crate) rows: Vec<AuditEvent>,
}

impl AuditEvents {
    /// Appends an event and returns its row id.
    pub(crate) fn push(&mut self, e: AuditEvent) -> usize {
        self.rows.push(e);
        self.rows.len() - 1
    }
}

/// One Identity Protection detection (AADUserRiskEvents row).
#[derive(Debug, Clone)]
pub(crate) struct RiskEvent {
    pub(crate) time: i64,
    pub(crate) user: u32,
    pub(crate) event_type: &'static str,
    pub(crate) level: &'static str,
    /// `"realtime"` or `"offline"`.
    pub(crate) timing: &'static str,
    /// `"IdentityProtection"` or `"MicrosoftCloudAppSecurity"`.
    pub(crate) source: &'static str,
    pub(crate) ip: u32,
    pub(crate) city: u16,
    /// The sign-in that raised it.
    pub(crate) request_id: u128,
    pub(crate) correlation: u128,
    pub(crate) id: u128,
}

/// Risk detections.
#[derive(Debug, Clone, Default)]
pub(crate) struct RiskEvents {
    pub(crate) rows: Vec<RiskEvent>,
}

impl RiskEvents {
    /// Appends a detection and returns its row id.
    pub(crate) fn push(&mut self, e: RiskEvent) -> usize {
        self.rows.push(e);
        self.rows.len() - 1
    }
}
