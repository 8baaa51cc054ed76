//! Reference data the generator draws from: real cities, the real
//! `ClientAppUsed` values, Entra ID result codes, first-party applications and
//! user agents, each with a relative frequency.
//!
//! Frequencies are rough shapes of a mid-sized Microsoft 365 tenant, not
//! measurements: browsers and modern desktop/mobile clients carry almost all
//! traffic, legacy protocols a few in a thousand sign-ins, and about 85% of
//! interactive sign-ins succeed.

/// A city with the fields Entra ID puts in `LocationDetails`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct City {
    pub(crate) city: &'static str,
    pub(crate) state: &'static str,
    /// ISO 3166-1 alpha-2 code, as in `LocationDetails.countryOrRegion`.
    pub(crate) country: &'static str,
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
}

const fn city(
    city: &'static str,
    state: &'static str,
    country: &'static str,
    latitude: f64,
    longitude: f64,
) -> City {
    City {
        city,
        state,
        country,
        latitude,
        longitude,
    }
}

/// Countries the shipped detection treats as suspicious. Background traffic
/// never travels there; only labelled scenarios do.
pub(crate) const SUSPICIOUS_COUNTRIES: &[&str] = &["KP", "IR", "RU", "CN", "BY"];

/// Cities, with coordinates rounded to four decimals.
pub(crate) const CITIES: &[City] = &[
    city("Seattle", "Washington", "US", 47.6062, -122.3321),
    city("Redmond", "Washington", "US", 47.674, -122.1215),
    city("New York", "New York", "US", 40.7128, -74.006),
    city("San Francisco", "California", "US", 37.7749, -122.4194),
    city("Los Angeles", "California", "US", 34.0522, -118.2437),
    city("Chicago", "Illinois", "US", 41.8781, -87.6298),
    city("Austin", "Texas", "US", 30.2672, -97.7431),
    city("Atlanta", "Georgia", "US", 33.749, -84.388),
    city("Boston", "Massachusetts", "US", 42.3601, -71.0589),
    city("Denver", "Colorado", "US", 39.7392, -104.9903),
    city("Toronto", "Ontario", "CA", 43.6532, -79.3832),
    city("Vancouver", "British Columbia", "CA", 49.2827, -123.1207),
    city("Montreal", "Quebec", "CA", 45.5017, -73.5673),
    city("Mexico City", "Ciudad de Mexico", "MX", 19.4326, -99.1332),
    city("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333),
    city("Buenos Aires", "Buenos Aires", "AR", -34.6037, -58.3816),
    city("London", "England", "GB", 51.5074, -0.1278),
    city("Manchester", "England", "GB", 53.4808, -2.2426),
    city("Edinburgh", "Scotland", "GB", 55.9533, -3.1883),
    city("Dublin", "Dublin", "IE", 53.3498, -6.2603),
    city("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
    city("Lyon", "Auvergne-Rhone-Alpes", "FR", 45.764, 4.8357),
    city("Berlin", "Berlin", "DE", 52.52, 13.405),
    city("Munich", "Bavaria", "DE", 48.1351, 11.582),
    city("Frankfurt am Main", "Hesse", "DE", 50.1109, 8.6821),
    city("Amsterdam", "North Holland", "NL", 52.3676, 4.9041),
    city("Brussels", "Brussels", "BE", 50.8503, 4.3517),
    city("Madrid", "Madrid", "ES", 40.4168, -3.7038),
    city("Barcelona", "Catalonia", "ES", 41.3874, 2.1686),
    city("Milan", "Lombardy", "IT", 45.4642, 9.19),
    city("Rome", "Lazio", "IT", 41.9028, 12.4964),
    city("Zurich", "Zurich", "CH", 47.3769, 8.5417),
    city("Vienna", "Vienna", "AT", 48.2082, 16.3738),
    city("Stockholm", "Stockholm", "SE", 59.3293, 18.0686),
    city("Oslo", "Oslo", "NO", 59.9139, 10.7522),
    city("Copenhagen", "Capital Region", "DK", 55.6761, 12.5683),
    city("Helsinki", "Uusimaa", "FI", 60.1699, 24.9384),
    city("Warsaw", "Mazowieckie", "PL", 52.2297, 21.0122),
    city("Prague", "Prague", "CZ", 50.0755, 14.4378),
    city("Bucharest", "Bucuresti", "RO", 44.4268, 26.1025),
    city("Lisbon", "Lisboa", "PT", 38.7223, -9.1393),
    city("Kyiv", "Kyiv City", "UA", 50.4501, 30.5234),
    city("Istanbul", "Istanbul", "TR", 41.0082, 28.9784),
    city("Tel Aviv", "Tel Aviv", "IL", 32.0853, 34.7818),
    city("Dubai", "Dubai", "AE", 25.2048, 55.2708),
    city("Cairo", "Cairo", "EG", 30.0444, 31.2357),
    city("Lagos", "Lagos", "NG", 6.5244, 3.3792),
    city("Nairobi", "Nairobi", "KE", -1.2921, 36.8219),
    city("Johannesburg", "Gauteng", "ZA", -26.2041, 28.0473),
    city("Bengaluru", "Karnataka", "IN", 12.9716, 77.5946),
    city("Mumbai", "Maharashtra", "IN", 19.076, 72.8777),
    city("Hyderabad", "Telangana", "IN", 17.385, 78.4867),
    city("Singapore", "Singapore", "SG", 1.3521, 103.8198),
    city("Hong Kong", "Hong Kong", "HK", 22.3193, 114.1694),
    city("Taipei", "Taipei City", "TW", 25.033, 121.5654),
    city("Manila", "Metro Manila", "PH", 14.5995, 120.9842),
    city("Tokyo", "Tokyo", "JP", 35.6762, 139.6503),
    city("Osaka", "Osaka", "JP", 34.6937, 135.5023),
    city("Seoul", "Seoul", "KR", 37.5665, 126.978),
    city("Sydney", "New South Wales", "AU", -33.8688, 151.2093),
    city("Melbourne", "Victoria", "AU", -37.8136, 144.9631),
    city("Auckland", "Auckland", "NZ", -36.8485, 174.7633),
    city("Moscow", "Moscow", "RU", 55.7558, 37.6173),
    city(
        "Saint Petersburg",
        "Saint Petersburg",
        "RU",
        59.9311,
        30.3609,
    ),
    city("Beijing", "Beijing", "CN", 39.9042, 116.4074),
    city("Shanghai", "Shanghai", "CN", 31.2304, 121.4737),
    city("Minsk", "Minsk", "BY", 53.9006, 27.559),
    city("Tehran", "Tehran", "IR", 35.6892, 51.389),
    city("Pyongyang", "Pyongyang", "KP", 39.0392, 125.7625),
];

/// Index of the city called `name` in [`CITIES`] (`0` if absent, which a
/// unit test rules out for every name the generator uses).
pub(crate) fn city_index(name: &str) -> usize {
    CITIES.iter().position(|c| c.city == name).unwrap_or(0)
}

/// Office cities of the synthetic tenant and the share of staff in each.
pub(crate) const OFFICES: &[(&str, u32)] = &[
    ("Seattle", 30),
    ("New York", 18),
    ("Austin", 8),
    ("Toronto", 6),
    ("London", 14),
    ("Berlin", 7),
    ("Amsterdam", 4),
    ("Bengaluru", 8),
    ("Sydney", 5),
];

/// `ClientAppUsed` values: (value, weight per 10,000 interactive sign-ins,
/// legacy authentication).
pub(crate) const CLIENT_APPS: &[(&str, u32, bool)] = &[
    ("Browser", 5_600, false),
    ("Mobile Apps and Desktop clients", 4_150, false),
    ("Exchange ActiveSync", 90, true),
    ("Exchange Web Services", 30, true),
    ("Authenticated SMTP", 25, true),
    ("IMAP4", 20, true),
    ("Other clients", 20, true),
    ("MAPI Over HTTP", 15, true),
    ("AutoDiscover", 12, true),
    ("Universal Outlook", 12, false),
    ("POP3", 8, true),
    ("Outlook Anywhere (RPC over HTTP)", 6, true),
    ("Exchange Online PowerShell", 5, true),
    ("Offline Address Book", 4, true),
    ("Reporting Web Services", 3, true),
];

/// Index of a `ClientAppUsed` value in [`CLIENT_APPS`].
pub(crate) fn client_app_index(name: &str) -> usize {
    CLIENT_APPS.iter().position(|c| c.0 == name).unwrap_or(0)
}

/// A sign-in result: `ResultType` code (as text, as Sentinel stores it), its
/// description and a weight per 1,000 interactive sign-ins.
pub(crate) const RESULTS: &[(&str, &str, u32)] = &[
    ("0", "", 850),
    (
        "50126",
        "Error validating credentials due to invalid username or password.",
        36,
    ),
    ("50074", "Strong Authentication is required.", 30),
    (
        "50140",
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
        28,
    ),
    (
        "50076",
        "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
        16,
    ),
    (
        "53003",
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        10,
    ),
    (
        "70044",
        "The session has expired or is invalid due to sign-in frequency checks by conditional access.",
        9,
    ),
    (
        "500121",
        "Authentication failed during strong authentication request.",
        8,
    ),
    (
        "50053",
        "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
        3,
    ),
    ("50055", "The password is expired.", 2),
    (
        "50158",
        "External security challenge was not satisfied.",
        2,
    ),
    (
        "50173",
        "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        1,
    ),
];

/// Index of a `ResultType` in [`RESULTS`].
pub(crate) fn result_index(code: &str) -> usize {
    RESULTS.iter().position(|r| r.0 == code).unwrap_or(0)
}

/// Result codes of service principal and managed identity sign-ins.
pub(crate) const SP_RESULTS: &[(&str, &str, u32)] = &[
    ("0", "", 960),
    (
        "7000215",
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        20,
    ),
    (
        "7000222",
        "The provided client secret keys for app are expired.",
        12,
    ),
    (
        "700027",
        "Client assertion failed signature validation.",
        5,
    ),
    (
        "700016",
        "Application was not found in the directory.",
        3,
    ),
];

/// An application users sign in to: display name, app id, the resource it
/// usually calls (display name, resource app id), weight, whether it is a
/// desktop/mobile client rather than a web app.
#[derive(Debug, Clone, Copy)]
pub(crate) struct App {
    pub(crate) name: &'static str,
    pub(crate) app_id: &'static str,
    pub(crate) resource: &'static str,
    pub(crate) resource_id: &'static str,
    pub(crate) weight: u32,
    pub(crate) client: bool,
}

const fn app(
    name: &'static str,
    app_id: &'static str,
    resource: &'static str,
    resource_id: &'static str,
    weight: u32,
    client: bool,
) -> App {
    App {
        name,
        app_id,
        resource,
        resource_id,
        weight,
        client,
    }
}

const GRAPH: (&str, &str) = ("Microsoft Graph", "00000003-0000-0000-c000-000000000000");
const EXO: (&str, &str) = (
    "Office 365 Exchange Online",
    "00000002-0000-0ff1-ce00-000000000000",
);
const SPO: (&str, &str) = (
    "Office 365 SharePoint Online",
    "00000003-0000-0ff1-ce00-000000000000",
);
const ARM: (&str, &str) = (
    "Windows Azure Service Management API",
    "797f4846-ba00-4fd7-ba43-dac1f8f63013",
);

/// First-party applications (real, public app ids) and their weights.
pub(crate) const APPS: &[App] = &[
    app("Office 365 Exchange Online", EXO.1, EXO.0, EXO.1, 220, true),
    app(
        "Microsoft Teams",
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Microsoft Teams Services",
        "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        200,
        true,
    ),
    app(
        "OfficeHome",
        "4765445b-32c6-49b0-83e6-1d93765276ca",
        GRAPH.0,
        GRAPH.1,
        140,
        false,
    ),
    app(
        "Microsoft Office",
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        GRAPH.0,
        GRAPH.1,
        110,
        true,
    ),
    app(
        "Office 365 SharePoint Online",
        SPO.1,
        SPO.0,
        SPO.1,
        90,
        false,
    ),
    app(
        "Outlook Mobile",
        "27922004-5251-4030-b22d-91ecd9a37ea4",
        EXO.0,
        EXO.1,
        60,
        true,
    ),
    app(
        "Microsoft Authentication Broker",
        "29d9ed98-a469-4536-ade2-f981bc1d605e",
        "Device Registration Service",
        "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9",
        50,
        true,
    ),
    app(
        "Azure Portal",
        "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        ARM.0,
        ARM.1,
        40,
        false,
    ),
    app(
        "Microsoft Edge",
        "ecd6b820-32c2-49b6-98a6-444530e5a77a",
        GRAPH.0,
        GRAPH.1,
        30,
        true,
    ),
    app(
        "OneDrive SyncEngine",
        "ab9b8c07-8f02-4f72-87fa-80105867a763",
        SPO.0,
        SPO.1,
        30,
        true,
    ),
    app(
        "Visual Studio Code",
        "aebc6443-996d-45c2-90f0-388ff96faa56",
        ARM.0,
        ARM.1,
        12,
        true,
    ),
    app(
        "Microsoft Azure PowerShell",
        "1950a258-227b-4e31-a9cf-717495945fc2",
        ARM.0,
        ARM.1,
        6,
        true,
    ),
    app(
        "Microsoft Azure CLI",
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        ARM.0,
        ARM.1,
        6,
        true,
    ),
];

/// Index of the application called `name` in [`APPS`].
pub(crate) fn app_index(name: &str) -> usize {
    APPS.iter().position(|a| a.name == name).unwrap_or(0)
}

/// Microsoft's own tenant, owner of the first-party applications above.
pub(crate) const MICROSOFT_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// A kind of device: `DeviceDetail.operatingSystem`, `DeviceDetail.browser`,
/// the browser user agent and the desktop/mobile client user agent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeviceKind {
    pub(crate) os: &'static str,
    pub(crate) browser: &'static str,
    pub(crate) browser_agent: &'static str,
    pub(crate) client_agent: &'static str,
    pub(crate) weight: u32,
    pub(crate) mobile: bool,
}

/// Device kinds and how common each is.
pub(crate) const DEVICE_KINDS: &[DeviceKind] = &[
    DeviceKind {
        os: "Windows10",
        browser: "Edge 131.0.0",
        browser_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        client_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Microsoft Outlook 16.0.17928; Pro)",
        weight: 45,
        mobile: false,
    },
    DeviceKind {
        os: "Windows10",
        browser: "Chrome 131.0.0",
        browser_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        client_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Microsoft Outlook 16.0.17928; Pro)",
        weight: 20,
        mobile: false,
    },
    DeviceKind {
        os: "MacOs",
        browser: "Safari 17.6",
        browser_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
        client_agent: "Microsoft Office/16.0 (Macintosh; Mac OS X 14.6; Microsoft Outlook 16.91)",
        weight: 12,
        mobile: false,
    },
    DeviceKind {
        os: "Windows10",
        browser: "Firefox 133.0",
        browser_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        client_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Microsoft Outlook 16.0.17928; Pro)",
        weight: 4,
        mobile: false,
    },
    DeviceKind {
        os: "Ios",
        browser: "Mobile Safari 17.6",
        browser_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        client_agent: "Outlook-iOS/2.0",
        weight: 12,
        mobile: true,
    },
    DeviceKind {
        os: "Android",
        browser: "Chrome Mobile 131.0.0",
        browser_agent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        client_agent: "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240905.003)",
        weight: 7,
        mobile: true,
    },
    // Never drawn for background traffic (weight 0): scripted clients such
    // as the Azure CLI running on a freshly provisioned Linux host.
    DeviceKind {
        os: "Linux",
        browser: "Python Requests 2.32",
        browser_agent: "python-requests/2.32.3",
        client_agent: "python/3.11.9 (Linux-6.8.0-1017-azure-x86_64-with-glibc2.39) AZURECLI/2.67.0 (DEB)",
        weight: 0,
        mobile: false,
    },
];

/// Index of the scripted Linux client kind in [`DEVICE_KINDS`].
pub(crate) const SCRIPTED_LINUX: usize = 6;

/// Given names for synthetic users.
pub(crate) const FIRST_NAMES: &[&str] = &[
    "Adele", "Alex", "Allan", "Amara", "Ana", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Daniel",
    "Diego", "Elena", "Emma", "Fatima", "Grace", "Hana", "Hiro", "Isaac", "Isabel", "Jack",
    "Jamal", "Johanna", "Jonas", "Kenji", "Lara", "Lee", "Lidia", "Lucas", "Maya", "Megan",
    "Miguel", "Nadia", "Nestor", "Noah", "Olga", "Omar", "Patti", "Priya", "Rahul", "Sara",
    "Sofia", "Tomas", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe", "Zoltan",
];

/// Family names for synthetic users.
pub(crate) const LAST_NAMES: &[&str] = &[
    "Adams", "Andersen", "Bauer", "Brown", "Castro", "Chandra", "Clark", "Costa", "Dubois",
    "Evans", "Fischer", "Garcia", "Gupta", "Hansen", "Hughes", "Ibrahim", "Ito", "Jensen",
    "Johnson", "Kim", "Kowalski", "Larsen", "Lopez", "Martin", "Meyer", "Moreau", "Murphy",
    "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Peterson", "Quinn",
    "Rossi", "Santos", "Schmidt", "Sharma", "Silva", "Smith", "Tanaka", "Taylor", "Vargas",
    "Walker", "Wang", "Weber", "Wilson", "Young",
];

/// Workload service principals of the tenant (display-name stems).
pub(crate) const SERVICE_PRINCIPAL_NAMES: &[&str] = &[
    "contoso-backup-agent",
    "contoso-ci-deploy",
    "contoso-hr-sync",
    "contoso-billing-api",
    "contoso-log-shipper",
    "contoso-sharepoint-archiver",
    "contoso-crm-connector",
    "contoso-monitoring",
    "contoso-terraform",
    "contoso-data-pipeline",
];

/// Resources service principals and managed identities call, with weights.
pub(crate) const SP_RESOURCES: &[(&str, &str, u32)] = &[
    (GRAPH.0, GRAPH.1, 50),
    (ARM.0, ARM.1, 25),
    (
        "Azure Key Vault",
        "cfa8b339-82a2-471a-a3c9-0fc0be7a4093",
        15,
    ),
    ("Azure Storage", "e406a681-f3d4-42a8-90b6-c2b029497af1", 10),
];

/// Background directory changes: operation name, category, logging service,
/// `AADOperationType`, target kind (0 user, 1 group, 2 service principal,
/// 3 device), weight.
pub(crate) const AUDIT_OPERATIONS: &[(&str, &str, &str, &str, u8, u32)] = &[
    (
        "Update user",
        "UserManagement",
        "Core Directory",
        "Update",
        0,
        30,
    ),
    (
        "Add member to group",
        "GroupManagement",
        "Core Directory",
        "Assign",
        1,
        18,
    ),
    ("Update device", "Device", "Core Directory", "Update", 3, 16),
    (
        "User registered security info",
        "UserManagement",
        "Authentication Methods",
        "Update",
        0,
        8,
    ),
    (
        "Reset password (self-service)",
        "UserManagement",
        "Self-service Password Management",
        "Update",
        0,
        6,
    ),
    (
        "Change user password",
        "UserManagement",
        "Core Directory",
        "Update",
        0,
        4,
    ),
    (
        "Remove member from group",
        "GroupManagement",
        "Core Directory",
        "Unassign",
        1,
        6,
    ),
    (
        "Add app role assignment to service principal",
        "ApplicationManagement",
        "Core Directory",
        "Assign",
        2,
        4,
    ),
    (
        "Update service principal",
        "ApplicationManagement",
        "Core Directory",
        "Update",
        2,
        5,
    ),
    (
        "Consent to application",
        "ApplicationManagement",
        "Core Directory",
        "Assign",
        2,
        2,
    ),
];

/// Identity Protection detections: risk event type and weight.
pub(crate) const RISK_EVENT_TYPES: &[(&str, u32)] = &[
    ("unfamiliarFeatures", 40),
    ("anonymizedIPAddress", 20),
    ("unlikelyTravel", 12),
    ("maliciousIPAddress", 8),
    ("passwordSpray", 5),
    ("leakedCredentials", 5),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_about_sixty_cities_with_valid_coordinates() {
        assert!(CITIES.len() >= 60);
        for c in CITIES {
            assert!((-90.0..=90.0).contains(&c.latitude), "{}", c.city);
            assert!((-180.0..=180.0).contains(&c.longitude), "{}", c.city);
            assert_eq!(c.country.len(), 2, "{}", c.city);
        }
    }

    #[test]
    fn every_office_is_a_known_city() {
        for (name, _) in OFFICES {
            assert!(CITIES.iter().any(|c| c.city == *name), "{name}");
        }
    }

    #[test]
    fn successful_sign_ins_are_about_85_percent() {
        let total: u32 = RESULTS.iter().map(|r| r.2).sum();
        let ok = RESULTS[0].2 as f64 / total as f64;
        assert!((0.83..0.87).contains(&ok), "{ok}");
    }

    #[test]
    fn legacy_clients_are_rare() {
        let total: u32 = CLIENT_APPS.iter().map(|c| c.1).sum();
        let legacy: u32 = CLIENT_APPS.iter().filter(|c| c.2).map(|c| c.1).sum();
        assert!(legacy * 30 < total, "{legacy} of {total}");
    }

    #[test]
    fn every_suspicious_country_has_a_city_for_the_scenarios() {
        for cc in SUSPICIOUS_COUNTRIES {
            assert!(CITIES.iter().any(|c| c.country == *cc), "{cc}");
        }
    }
}
