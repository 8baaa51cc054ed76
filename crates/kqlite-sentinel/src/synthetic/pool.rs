//! The entities every synthetic table of one seed shares: accounts,
//! machines, web sites, processes, places, applications and the workspace's
//! ids. Built from the same synthetic tenant as the Entra ID tables, so a
//! user principal name in `OfficeActivity` is one `SigninLogs` also has, and
//! a `DeviceId` in `DeviceProcessEvents` is one `DeviceNetworkEvents` also
//! has.
//!
//! Every text value is stored once, in a [`StringArray`] indexed by the
//! entity, so a column is a vector of entity indices turned into a
//! dictionary column without formatting a string per row.

use kqlite_engine::column::StringArray;

use super::lists::{
    NETBIOS_DOMAIN, PROCESSES, RESOURCES, RESOURCE_GROUPS, SERVERS, SITES, SYSTEM_ACCOUNTS,
};
use crate::columns::guid_text;
use crate::reference::{APPS, CITIES, DEVICE_KINDS};
use crate::rng::{Rng, Weighted};
use crate::tenant::{random_ipv4, Tenant, DOMAIN};

/// First octets of the public addresses web sites resolve to.
const SITE_OCTETS: &[u8] = &[13, 20, 23, 40, 52, 104, 140, 142, 151, 172, 185];

/// The shared entities of one seed (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    /// The tenant id, as text and as a guid.
    pub(crate) tenant_id: (u128, String),
    /// People (the tenant's users); built-in accounts follow them.
    pub(crate) persons: usize,
    /// How often each person acts.
    pub(crate) person_weights: Weighted,
    /// Per account: user principal name (empty for built-in accounts).
    pub(crate) upn: StringArray,
    /// Per account: sAMAccountName.
    pub(crate) account: StringArray,
    /// Per account: NetBIOS domain.
    pub(crate) domain: StringArray,
    /// Per account: `DOMAIN\name`.
    pub(crate) windows_account: StringArray,
    /// Per account: display name.
    pub(crate) display: StringArray,
    /// Per account: Entra ID object id (zero for built-in accounts).
    pub(crate) object_guid: Vec<u128>,
    /// Per account: Entra ID object id text (empty for built-in accounts).
    pub(crate) object_id: StringArray,
    /// Per account: security identifier.
    pub(crate) sid: StringArray,
    /// Per person: home and office egress address (codes into `ips`).
    pub(crate) egress: Vec<[u32; 2]>,
    /// Every public address of the tenant (the Entra ID tables' addresses).
    pub(crate) ips: StringArray,
    /// Machines: each person's laptop (same index), then the servers.
    pub(crate) host: StringArray,
    /// Per machine: `HOST.contoso.com`.
    pub(crate) fqdn: StringArray,
    /// Per machine: `host.contoso.com` (Defender's `DeviceName`).
    pub(crate) device_name: StringArray,
    /// Per machine: Defender's 40-hex-digit device id.
    pub(crate) device_id: StringArray,
    /// Per machine: private address.
    pub(crate) private_ip: StringArray,
    /// Per machine: MAC address.
    pub(crate) mac: StringArray,
    /// Per machine: OS platform.
    pub(crate) os: StringArray,
    /// Per machine: OS version.
    pub(crate) os_version: StringArray,
    /// Per site: domain.
    pub(crate) site_domain: StringArray,
    /// Per site: URL.
    pub(crate) site_url: StringArray,
    /// Per site: address.
    pub(crate) site_ip: StringArray,
    /// How often each process runs.
    pub(crate) process_weights: Weighted,
    /// Per process: file name.
    pub(crate) file: StringArray,
    /// Per process: full path.
    pub(crate) path: StringArray,
    /// Per process: command line.
    pub(crate) command_line: StringArray,
    /// Per process: company.
    pub(crate) company: StringArray,
    /// Per process: product.
    pub(crate) product: StringArray,
    /// Per process: product version.
    pub(crate) version: StringArray,
    /// Per process: file description.
    pub(crate) description: StringArray,
    /// Per process: SHA-1 in hex.
    pub(crate) sha1: StringArray,
    /// Per process: SHA-256 in hex.
    pub(crate) sha256: StringArray,
    /// Per process: MD5 in hex.
    pub(crate) md5: StringArray,
    /// Per process: file size in bytes.
    pub(crate) file_size: Vec<i64>,
    /// User agents.
    pub(crate) user_agents: StringArray,
    /// The workspace's subscriptions, as guids and text.
    pub(crate) subscription_guid: Vec<u128>,
    /// Subscription texts.
    pub(crate) subscription: StringArray,
    /// Azure resource ids.
    pub(crate) resource_id: StringArray,
    /// Per place: ISO country code.
    pub(crate) country: StringArray,
    /// Per place: city.
    pub(crate) city: StringArray,
    /// Per place: latitude and longitude.
    pub(crate) coordinates: Vec<(f64, f64)>,
    /// Per application: display name.
    pub(crate) app_name: StringArray,
    /// Per application: app id.
    pub(crate) app_guid: Vec<u128>,
    /// Per application: app id text.
    pub(crate) app_id: StringArray,
}

/// Lowercase hex of `bytes` random bytes drawn from `rng`.
fn hex(rng: &mut Rng, bytes: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes * 2);
    let mut word = 0_u64;
    for i in 0..bytes {
        if i % 8 == 0 {
            word = rng.next_u64();
        }
        let b = (word >> ((i % 8) * 8)) as u8;
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
    }
    out
}

/// A guid's text parsed back (for the fixed application ids).
fn parse_guid(text: &str) -> u128 {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    u128::from_str_radix(&digits, 16).unwrap_or(0)
}

impl Pool {
    /// The entities of `seed` for a tenant of `users` people (the same
    /// tenant the Entra ID tables of that seed and size come from).
    pub(crate) fn new(seed: u64, users: usize) -> Pool {
        let tenant = Tenant::new(seed, users);
        let mut rng = Rng::stream(seed, "synthetic/pool");
        let persons = tenant.users.len();

        let mut upn = StringArray::default();
        let mut account = StringArray::default();
        let mut domain = StringArray::default();
        let mut windows_account = StringArray::default();
        let mut display = StringArray::default();
        let mut object_guid = Vec::with_capacity(persons + SYSTEM_ACCOUNTS.len());
        let mut object_id = StringArray::default();
        let mut sid = StringArray::default();
        let mut egress = Vec::with_capacity(persons);
        let sid_base = format!(
            "S-1-5-21-{}-{}-{}",
            rng.range(1_000_000_000, 4_000_000_000),
            rng.range(1_000_000_000, 4_000_000_000),
            rng.range(1_000_000_000, 4_000_000_000)
        );
        for (i, u) in tenant.users.iter().enumerate() {
            let name = u.upn.split('@').next().unwrap_or(&u.upn);
            upn.push(&u.upn);
            account.push(name);
            domain.push(NETBIOS_DOMAIN);
            windows_account.push(&format!("{NETBIOS_DOMAIN}\\{name}"));
            display.push(&u.display_name);
            object_guid.push(u.id);
            object_id.push(&guid_text(u.id));
            sid.push(&format!("{sid_base}-{}", 1_104 + i));
            let office = tenant
                .office_ips
                .get(u.office)
                .map_or(u.home_ip, |ips| ips[i % 2]);
            egress.push([u.home_ip, office]);
        }
        for &(name, dom, windows, system_sid) in SYSTEM_ACCOUNTS {
            upn.push("");
            account.push(name);
            domain.push(dom);
            windows_account.push(windows);
            display.push(name);
            object_guid.push(0);
            object_id.push("");
            sid.push(system_sid);
        }

        let mut host = StringArray::default();
        let mut os = StringArray::default();
        let mut seen = rustc_hash::FxHashSet::default();
        for (i, u) in tenant.users.iter().enumerate() {
            let device = u
                .devices
                .first()
                .and_then(|&d| tenant.devices.get(d as usize));
            let mut name = device
                .map(|d| d.display_name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("CONTOSO-WS-{i:04}"));
            let base = name.clone();
            let mut k = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}-{k}");
                k += 1;
            }
            host.push(&name);
            let platform = match device.and_then(|d| DEVICE_KINDS.get(d.kind)).map(|k| k.os) {
                Some("MacOs") => "macOS",
                Some("Linux") => "Linux",
                _ if rng.chance(0.6) => "Windows11",
                _ => "Windows10",
            };
            os.push(platform);
        }
        for &(name, platform) in SERVERS {
            host.push(name);
            os.push(platform);
        }
        let machines = host.len();
        let mut fqdn = StringArray::default();
        let mut device_name = StringArray::default();
        let mut device_id = StringArray::default();
        let mut private_ip = StringArray::default();
        let mut mac = StringArray::default();
        let mut os_version = StringArray::default();
        for d in 0..machines {
            let h = host.get(d);
            fqdn.push(&format!("{h}.{DOMAIN}"));
            device_name.push(&format!("{}.{DOMAIN}", h.to_ascii_lowercase()));
            device_id.push(&hex(&mut rng, 20));
            let block = d / 254;
            private_ip.push(&format!(
                "10.{}.{}.{}",
                1 + (block / 256) % 250,
                block % 256,
                d % 254 + 1
            ));
            let m = rng.next_u64();
            mac.push(&format!(
                "00-15-5D-{:02X}-{:02X}-{:02X}",
                (m >> 16) as u8,
                (m >> 8) as u8,
                m as u8
            ));
            os_version.push(match os.get(d) {
                "Windows11" => "10.0.22631.4602",
                "Windows10" => "10.0.19045.5247",
                "WindowsServer2022" => "10.0.20348.2966",
                "WindowsServer2019" => "10.0.17763.6659",
                "macOS" => "14.6.1",
                _ => "6.8.0",
            });
        }

        let mut site_domain = StringArray::default();
        let mut site_url = StringArray::default();
        let mut site_ip = StringArray::default();
        for &(d, p) in SITES {
            site_domain.push(d);
            site_url.push(&format!("https://{d}{p}"));
            site_ip.push(&random_ipv4(&mut rng, SITE_OCTETS));
        }

        // File digests depend on the file only, like real ones.
        let mut sha1 = StringArray::default();
        let mut sha256 = StringArray::default();
        let mut md5 = StringArray::default();
        let mut file_size = Vec::with_capacity(PROCESSES.len());
        for p in PROCESSES {
            let mut r = Rng::stream(0, &format!("file/{}", p.file));
            sha1.push(&hex(&mut r, 20));
            sha256.push(&hex(&mut r, 32));
            md5.push(&hex(&mut r, 16));
            file_size.push(r.range(20_000, 4_000_000));
        }

        let subscription_guid: Vec<u128> = (0..3).map(|_| rng.guid()).collect();
        let subscription: StringArray = subscription_guid
            .iter()
            .map(|g| guid_text(*g))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect();
        let mut resource_id = StringArray::default();
        for (i, &(provider, name)) in RESOURCES.iter().enumerate() {
            let sub = subscription.get(i % subscription.len());
            let rg = RESOURCE_GROUPS
                .get(i % RESOURCE_GROUPS.len())
                .unwrap_or(&"rg");
            resource_id.push(&format!(
                "/subscriptions/{sub}/resourcegroups/{rg}/providers/{provider}/{name}"
            ));
        }

        let places: Vec<usize> = tenant.travel_cities.clone();
        let country = places
            .iter()
            .map(|&c| CITIES.get(c).map_or("US", |c| c.country))
            .collect();
        let city = places
            .iter()
            .map(|&c| CITIES.get(c).map_or("Seattle", |c| c.city))
            .collect();
        let coordinates = places
            .iter()
            .map(|&c| {
                CITIES
                    .get(c)
                    .map_or((0.0, 0.0), |c| (c.latitude, c.longitude))
            })
            .collect();

        Pool {
            tenant_id: (tenant.tenant_id, guid_text(tenant.tenant_id)),
            persons,
            person_weights: tenant.user_weights.clone(),
            upn,
            account,
            domain,
            windows_account,
            display,
            object_guid,
            object_id,
            sid,
            egress,
            ips: tenant.ips.strings().clone(),
            host,
            fqdn,
            device_name,
            device_id,
            private_ip,
            mac,
            os,
            os_version,
            site_domain,
            site_url,
            site_ip,
            process_weights: Weighted::new(PROCESSES.iter().map(|p| p.weight)),
            file: PROCESSES.iter().map(|p| p.file).collect(),
            path: PROCESSES
                .iter()
                .map(|p| format!("{}\\{}", p.folder, p.file))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect(),
            command_line: PROCESSES.iter().map(|p| p.command_line).collect(),
            company: PROCESSES.iter().map(|p| p.company).collect(),
            product: PROCESSES.iter().map(|p| p.product).collect(),
            version: PROCESSES.iter().map(|p| p.version).collect(),
            description: PROCESSES.iter().map(|p| p.description).collect(),
            sha1,
            sha256,
            md5,
            file_size,
            user_agents: tenant
                .agents
                .strings()
                .iter()
                .filter(|a| !a.is_empty())
                .collect(),
            subscription_guid,
            subscription,
            resource_id,
            country,
            city,
            coordinates,
            app_name: APPS.iter().map(|a| a.name).collect(),
            app_guid: APPS.iter().map(|a| parse_guid(a.app_id)).collect(),
            app_id: APPS.iter().map(|a| a.app_id).collect(),
        }
    }

    /// Number of accounts (people and built-in accounts).
    pub(crate) fn accounts(&self) -> usize {
        self.upn.len()
    }

    /// Number of machines.
    pub(crate) fn machines(&self) -> usize {
        self.host.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names_and_ids_are_unique() {
        let p = Pool::new(3, 2_000);
        let mut names: Vec<&str> = p.host.iter().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), p.machines());
        let mut ids: Vec<&str> = p.device_id.iter().collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), p.machines());
    }

    #[test]
    fn built_in_accounts_have_no_user_principal_name() {
        let p = Pool::new(1, 20);
        assert_eq!(p.accounts(), p.persons + SYSTEM_ACCOUNTS.len());
        assert_eq!(p.upn.get(p.persons), "");
        assert_eq!(p.account.get(p.persons), "system");
        assert_eq!(p.sid.get(p.persons), "S-1-5-18");
        assert!(p.upn.get(0).ends_with("@contoso.com"));
    }
}
