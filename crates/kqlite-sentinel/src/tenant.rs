//! The synthetic tenant: users with offices, devices and home IPs; service
//! principals pinned to one or two Azure egress IPs; managed identities;
//! groups. Everything is drawn from the `"tenant"` stream of the seed, so
//! every table generated from the same seed sees the same tenant.

use rustc_hash::FxHashSet;

use crate::columns::Vocab;
use crate::reference::{self, CITIES, DEVICE_KINDS, FIRST_NAMES, LAST_NAMES, OFFICES};
use crate::rng::{Rng, Weighted};

/// The tenant's primary domain.
pub(crate) const DOMAIN: &str = "contoso.com";

/// A device a user signs in from.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    /// Index into [`DEVICE_KINDS`].
    pub(crate) kind: usize,
    /// Directory device id; `None` for unregistered devices.
    pub(crate) device_id: Option<u128>,
    pub(crate) display_name: String,
    pub(crate) compliant: bool,
    pub(crate) managed: bool,
    pub(crate) trust_type: &'static str,
}

/// A member user.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) upn: String,
    pub(crate) display_name: String,
    pub(crate) id: u128,
    /// Office city (index into [`CITIES`]).
    pub(crate) office: usize,
    /// Home broadband IP (code in [`Tenant::ips`]).
    pub(crate) home_ip: u32,
    /// Indices into [`Tenant::devices`]; the first is the primary device.
    pub(crate) devices: Vec<u32>,
}

/// A workload service principal.
#[derive(Debug, Clone)]
pub(crate) struct ServicePrincipal {
    pub(crate) name: String,
    pub(crate) app_id: u128,
    pub(crate) object_id: u128,
    /// Credential key id currently in use.
    pub(crate) key_id: u128,
    /// Egress IPs (codes in [`Tenant::ips`]); one or two.
    pub(crate) ips: Vec<u32>,
}

/// A managed identity.
#[derive(Debug, Clone)]
pub(crate) struct ManagedIdentity {
    pub(crate) name: String,
    pub(crate) app_id: u128,
    pub(crate) object_id: u128,
    pub(crate) resource_id: String,
}

/// The tenant every table is generated from.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub(crate) tenant_id: u128,
    pub(crate) users: Vec<User>,
    /// Background activity per user (special accounts have weight 0).
    pub(crate) user_weights: Weighted,
    pub(crate) devices: Vec<Device>,
    /// Every IP address any table uses.
    pub(crate) ips: Vocab,
    /// Every user agent.
    pub(crate) agents: Vocab,
    /// (browser, client) user-agent codes of each device kind.
    kind_agents: Vec<(u32, u32)>,
    /// Code of the empty user agent.
    pub(crate) empty_agent: u32,
    /// City of each IP code (index into [`CITIES`]).
    pub(crate) ip_city: Vec<u16>,
    /// Autonomous system number of each IP code.
    pub(crate) ip_asn: Vec<u32>,
    /// Two egress IPs per city (only offices use them).
    pub(crate) office_ips: Vec<[u32; 2]>,
    /// Mobile carrier IPs per city.
    pub(crate) mobile_ips: Vec<[u32; 4]>,
    /// Hotel and conference IPs per city.
    pub(crate) travel_ips: Vec<[u32; 4]>,
    /// Cities background travel goes to (none in a suspicious country).
    pub(crate) travel_cities: Vec<usize>,
    pub(crate) service_principals: Vec<ServicePrincipal>,
    pub(crate) managed_identities: Vec<ManagedIdentity>,
    /// Group (display name, object id).
    pub(crate) groups: Vec<(String, u128)>,
    /// The emergency-access account (no background activity).
    pub(crate) break_glass: usize,
    /// The shared mailbox read over IMAP4 by an on-premises app.
    pub(crate) shared_mailbox: usize,
}

/// First octets of public IPv4 space handed to broadband and mobile ISPs.
const ISP_OCTETS: &[u8] = &[
    24, 31, 37, 46, 62, 67, 68, 71, 73, 76, 77, 79, 81, 82, 84, 86, 88, 90, 91, 93, 94, 98, 99,
    108, 109, 151, 176, 178, 188, 212, 213, 217,
];

/// First octets of Azure public IP space.
const AZURE_OCTETS: &[u8] = &[13, 20, 40, 51, 52, 104];

/// Azure regions' cities (where service principals run).
const AZURE_REGION_CITIES: &[&str] = &[
    "Seattle",
    "Chicago",
    "Boston",
    "Amsterdam",
    "Dublin",
    "London",
    "Frankfurt am Main",
    "Singapore",
    "Sydney",
];

/// A random public IPv4 address with a first octet from `octets`.
pub(crate) fn random_ipv4(rng: &mut Rng, octets: &[u8]) -> String {
    let first = octets.get(rng.index(octets.len())).copied().unwrap_or(20);
    format!(
        "{first}.{}.{}.{}",
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

impl Tenant {
    /// The user-agent code of device kind `kind`: browser or client.
    #[inline]
    pub(crate) fn agent_code(&self, kind: usize, browser: bool) -> u32 {
        self.kind_agents
            .get(kind)
            .map_or(self.empty_agent, |&(b, c)| if browser { b } else { c })
    }

    /// Builds a tenant of about `users` people (at least 20) from `seed`.
    pub(crate) fn new(seed: u64, users: usize) -> Tenant {
        let mut rng = Rng::stream(seed, "tenant");
        let tenant_id = rng.guid();
        let mut t = Tenant {
            tenant_id,
            users: Vec::new(),
            user_weights: Weighted::new([]),
            devices: Vec::new(),
            ips: Vocab::default(),
            agents: Vocab::default(),
            kind_agents: Vec::new(),
            empty_agent: 0,
            ip_city: Vec::new(),
            ip_asn: Vec::new(),
            office_ips: Vec::new(),
            mobile_ips: Vec::new(),
            travel_ips: Vec::new(),
            travel_cities: Vec::new(),
            service_principals: Vec::new(),
            managed_identities: Vec::new(),
            groups: Vec::new(),
            break_glass: 0,
            shared_mailbox: 0,
        };
        for k in DEVICE_KINDS {
            let b = t.agents.intern(k.browser_agent);
            let c = t.agents.intern(k.client_agent);
            t.kind_agents.push((b, c));
        }
        t.empty_agent = t.agents.intern("");
        for (ci, c) in CITIES.iter().enumerate() {
            let isp = |rng: &mut Rng, t: &mut Tenant| {
                let ip = random_ipv4(rng, ISP_OCTETS);
                let asn = rng.range(1_000, 64_000) as u32;
                t.add_ip(&ip, ci, asn)
            };
            let office = [isp(&mut rng, &mut t), isp(&mut rng, &mut t)];
            let mobile = [0; 4].map(|_| isp(&mut rng, &mut t));
            let travel = [0; 4].map(|_| isp(&mut rng, &mut t));
            t.office_ips.push(office);
            t.mobile_ips.push(mobile);
            t.travel_ips.push(travel);
            if !reference::SUSPICIOUS_COUNTRIES.contains(&c.country) {
                t.travel_cities.push(ci);
            }
        }
        t.add_users(&mut rng, users.max(20));
        t.add_service_principals(&mut rng, (users / 40).clamp(6, 400));
        t.add_managed_identities(&mut rng, (users / 80).clamp(4, 200));
        for (i, team) in [
            "Finance",
            "Engineering",
            "Sales",
            "Marketing",
            "HR",
            "Legal",
            "IT Admins",
            "Support",
            "Executives",
            "Contractors",
        ]
        .iter()
        .enumerate()
        {
            t.groups
                .push((format!("SG-{team}"), rng.guid() ^ i as u128));
        }
        t
    }

    /// Interns an IP located in `city` with autonomous system `asn`.
    pub(crate) fn add_ip(&mut self, ip: &str, city: usize, asn: u32) -> u32 {
        let code = self.ips.intern(ip);
        if code as usize == self.ip_city.len() {
            self.ip_city.push(city as u16);
            self.ip_asn.push(asn);
        }
        code
    }

    /// Adds a device and returns its index.
    pub(crate) fn add_device(&mut self, device: Device) -> u32 {
        self.devices.push(device);
        (self.devices.len() - 1) as u32
    }

    fn add_users(&mut self, rng: &mut Rng, n: usize) {
        let office_w = Weighted::new(OFFICES.iter().map(|o| o.1));
        let desktop_w = Weighted::new(
            DEVICE_KINDS
                .iter()
                .map(|d| if d.mobile { 0 } else { d.weight }),
        );
        let mobile_w = Weighted::new(
            DEVICE_KINDS
                .iter()
                .map(|d| if d.mobile { d.weight } else { 0 }),
        );
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let mut weights = Vec::with_capacity(n + 2);
        for _ in 0..n {
            let first = FIRST_NAMES[rng.index(FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.index(LAST_NAMES.len())];
            let mut upn = format!("{}.{}@{DOMAIN}", first.to_lowercase(), last.to_lowercase());
            let mut k = 2;
            while seen.contains(&upn) {
                upn = format!(
                    "{}.{}{k}@{DOMAIN}",
                    first.to_lowercase(),
                    last.to_lowercase()
                );
                k += 1;
            }
            seen.insert(upn.clone());
            let office_name = OFFICES.get(office_w.pick(rng)).map_or("Seattle", |o| o.0);
            let office = reference::city_index(office_name);
            let home = random_ipv4(rng, ISP_OCTETS);
            let asn = rng.range(1_000, 64_000) as u32;
            let home_ip = self.add_ip(&home, office, asn);
            let hybrid = rng.chance(0.4);
            let laptop = Device {
                kind: desktop_w.pick(rng),
                device_id: Some(rng.guid()),
                display_name: format!("CONTOSO-LT-{:04}", rng.below(10_000)),
                compliant: rng.chance(0.93),
                managed: true,
                trust_type: if hybrid {
                    "Hybrid Azure AD joined"
                } else {
                    "Azure AD joined"
                },
            };
            let mut devices = vec![self.add_device(laptop)];
            if rng.chance(0.7) {
                let kind = mobile_w.pick(rng);
                let phone = Device {
                    kind,
                    device_id: Some(rng.guid()),
                    display_name: if DEVICE_KINDS.get(kind).is_some_and(|k| k.os == "Ios") {
                        "iPhone".to_string()
                    } else {
                        "Pixel 8".to_string()
                    },
                    compliant: rng.chance(0.8),
                    managed: rng.chance(0.6),
                    trust_type: "Azure AD registered",
                };
                devices.push(self.add_device(phone));
            }
            // A heavy tail: a few people sign in far more often than most.
            let u = rng.unit();
            weights.push(1 + (u * u * u * 40.0) as u32);
            self.users.push(User {
                upn,
                display_name: format!("{first} {last}"),
                id: rng.guid(),
                office,
                home_ip,
                devices,
            });
        }
        let seattle = reference::city_index("Seattle");
        let admin_pc = self.add_device(Device {
            kind: 0,
            device_id: Some(rng.guid()),
            display_name: "CONTOSO-PAW-01".to_string(),
            compliant: true,
            managed: true,
            trust_type: "Azure AD joined",
        });
        self.break_glass = self.users.len();
        self.users.push(User {
            upn: "breakglass01@contoso.onmicrosoft.com".to_string(),
            display_name: "Emergency Access 01".to_string(),
            id: rng.guid(),
            office: seattle,
            home_ip: self.office_ips.get(seattle).map_or(0, |ips| ips[0]),
            devices: vec![admin_pc],
        });
        weights.push(0);
        let server = self.add_device(Device {
            kind: 0,
            device_id: None,
            display_name: String::new(),
            compliant: false,
            managed: false,
            trust_type: "",
        });
        self.shared_mailbox = self.users.len();
        self.users.push(User {
            upn: format!("helpdesk.shared@{DOMAIN}"),
            display_name: "Helpdesk Shared Mailbox".to_string(),
            id: rng.guid(),
            office: seattle,
            home_ip: self.office_ips.get(seattle).map_or(0, |ips| ips[1]),
            devices: vec![server],
        });
        weights.push(0);
        self.user_weights = Weighted::new(weights);
    }

    fn add_service_principals(&mut self, rng: &mut Rng, n: usize) {
        for i in 0..n {
            let stem = reference::SERVICE_PRINCIPAL_NAMES
                .get(i % reference::SERVICE_PRINCIPAL_NAMES.len())
                .copied()
                .unwrap_or("contoso-app");
            let name = if i < reference::SERVICE_PRINCIPAL_NAMES.len() {
                stem.to_string()
            } else {
                format!(
                    "{stem}-{}",
                    i / reference::SERVICE_PRINCIPAL_NAMES.len() + 1
                )
            };
            let count = if rng.chance(0.3) { 2 } else { 1 };
            let ips = (0..count)
                .map(|_| {
                    let city_name = AZURE_REGION_CITIES[rng.index(AZURE_REGION_CITIES.len())];
                    let ip = random_ipv4(rng, AZURE_OCTETS);
                    self.add_ip(&ip, reference::city_index(city_name), 8075)
                })
                .collect();
            self.service_principals.push(ServicePrincipal {
                name,
                app_id: rng.guid(),
                object_id: rng.guid(),
                key_id: rng.guid(),
                ips,
            });
        }
    }

    fn add_managed_identities(&mut self, rng: &mut Rng, n: usize) {
        let kinds = [
            ("func-contoso-orders", "Microsoft.Web/sites"),
            ("vm-contoso-build", "Microsoft.Compute/virtualMachines"),
            (
                "aa-contoso-automation",
                "Microsoft.Automation/automationAccounts",
            ),
            ("logic-contoso-approvals", "Microsoft.Logic/workflows"),
        ];
        for i in 0..n {
            let (stem, provider) = kinds[i % kinds.len()];
            let name = format!("{stem}-{:02}", i / kinds.len() + 1);
            let resource_id = format!(
                "/subscriptions/{}/resourcegroups/rg-contoso-prod/providers/{provider}/{name}",
                crate::columns::guid_text(rng.guid())
            );
            self.managed_identities.push(ManagedIdentity {
                name,
                app_id: rng.guid(),
                object_id: rng.guid(),
                resource_id,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_principal_names_are_unique() {
        let t = Tenant::new(1, 500);
        let mut names: Vec<&str> = t.users.iter().map(|u| u.upn.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), t.users.len());
    }

    #[test]
    fn every_ip_has_a_city_and_an_asn() {
        let t = Tenant::new(2, 50);
        assert_eq!(t.ips.len(), t.ip_city.len());
        assert_eq!(t.ips.len(), t.ip_asn.len());
    }

    #[test]
    fn service_principals_use_one_or_two_ips() {
        let t = Tenant::new(3, 400);
        assert!(t
            .service_principals
            .iter()
            .all(|sp| (1..=2).contains(&sp.ips.len())));
    }

    #[test]
    fn special_accounts_have_no_background_activity() {
        let t = Tenant::new(4, 100);
        let mut rng = Rng::new(9);
        for _ in 0..10_000 {
            let u = t.user_weights.pick(&mut rng);
            assert!(u != t.break_glass && u != t.shared_mailbox);
        }
    }

    #[test]
    fn background_travel_avoids_suspicious_countries() {
        let t = Tenant::new(5, 20);
        for &c in &t.travel_cities {
            assert!(!reference::SUSPICIOUS_COUNTRIES.contains(&CITIES[c].country));
        }
    }
}
