//! Which kind of value a column holds, decided from its name and type.
//!
//! A column's name is normalised to a key (custom-log type suffixes such as
//! `_s` or `_d` dropped, lowercase, underscores removed: `SrcIpAddr` and
//! `src_ip_addr_s` both become `srcipaddr`) that remembers where the name's
//! words start (`Src|Ip|Addr`), and matched against [`RULES`] in order; the
//! first rule whose pattern matches and whose kind fits the column's type
//! wins. A pattern for the end of a name matches whole words only, so
//! `ClassId` does not end in `Sid`, nor `ProfilePath` in `FilePath`. A column no rule fits gets its type's fallback
//! ([`fallback`]). A few columns mean something else in one table than
//! everywhere else ([`OVERRIDES`]).
//!
//! The entity a column describes (the account that ran a process or the one
//! it targeted, the created process or its parent) is its *slot*
//! ([`slot`]), so that every column about the same entity in a row agrees.

use kqlite_engine::DataType;

/// A fixed set of values for a column: the texts a string column takes and,
/// when it is numeric, the numbers (same index, same meaning).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) texts: &'static [&'static str],
    pub(crate) numbers: &'static [i64],
}

const fn texts(texts: &'static [&'static str]) -> Choice {
    Choice {
        texts,
        numbers: &[],
    }
}

const SEVERITY: Choice = Choice {
    texts: &["Informational", "Low", "Low", "Medium", "High"],
    numbers: &[0, 1, 1, 2, 3],
};
const LEVEL: Choice = Choice {
    texts: &[
        "Informational",
        "Informational",
        "Warning",
        "Error",
        "Critical",
    ],
    numbers: &[4, 4, 3, 2, 1],
};
const SYSLOG_SEVERITY: Choice =
    texts(&["info", "info", "notice", "warning", "err", "crit", "debug"]);
const FACILITY: Choice = texts(&[
    "auth", "authpriv", "daemon", "kern", "syslog", "user", "cron", "local0",
]);
const STATUS: Choice = texts(&[
    "Succeeded",
    "Succeeded",
    "Succeeded",
    "Failed",
    "InProgress",
]);
const RESULT: Choice = texts(&["Success", "Success", "Success", "Failure", "Partial"]);
const HTTP_STATUS: Choice = Choice {
    texts: &[
        "200", "200", "200", "201", "204", "302", "304", "400", "401", "403", "404", "500",
    ],
    numbers: &[200, 200, 200, 201, 204, 302, 304, 400, 401, 403, 404, 500],
};
const HTTP_METHOD: Choice = texts(&["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD"]);
const DIRECTION: Choice = texts(&["Inbound", "Outbound", "Outbound"]);
const FIREWALL_ACTION: Choice = texts(&["Allow", "Allow", "Allow", "Deny", "Drop"]);
const APP_PROTOCOL: Choice = texts(&[
    "HTTPS", "HTTPS", "HTTP", "DNS", "SMB", "LDAP", "Kerberos", "RDP", "SSH",
]);
const LOGON_TYPE: Choice = Choice {
    texts: &[
        "Interactive",
        "Network",
        "Network",
        "RemoteInteractive",
        "Batch",
        "Service",
        "Unlock",
        "CachedInteractive",
    ],
    numbers: &[2, 3, 3, 10, 4, 5, 7, 11],
};
const INTEGRITY: Choice = texts(&["Medium", "Medium", "Medium", "High", "System", "Low"]);
const ELEVATION: Choice = texts(&[
    "TokenElevationTypeDefault",
    "TokenElevationTypeDefault",
    "TokenElevationTypeLimited",
    "TokenElevationTypeFull",
]);
const SIGNER: Choice = texts(&["OsVendor", "OsVendor", "Microsoft", "ThirdParty", "Unknown"]);
const SIGNATURE: Choice = texts(&["Valid", "Valid", "Valid", "Valid", "Unsigned", "Unknown"]);
const CATEGORY: Choice = texts(&[
    "Administrative",
    "Security",
    "Audit",
    "Policy",
    "Operational",
]);
const WORKLOAD: Choice = texts(&[
    "Exchange",
    "SharePoint",
    "OneDrive",
    "AzureActiveDirectory",
    "MicrosoftTeams",
]);
const MAIL_DOMAIN: Choice = texts(&[
    "contoso.com",
    "contoso.com",
    "contoso.com",
    "fabrikam.com",
    "northwindtraders.com",
    "outlook.com",
]);
const OS_BUILD: Choice = Choice {
    texts: &["22631", "19045", "20348", "17763"],
    numbers: &[22631, 19045, 20348, 17763],
};
const RESOURCE_GROUP: Choice = texts(super::lists::RESOURCE_GROUPS);
const REGION: Choice = texts(super::lists::REGIONS);
const OPERATION_NAME: Choice = texts(super::lists::OPERATION_NAMES);
const OPERATION: Choice = texts(super::lists::OPERATIONS);
const ALERT_NAME: Choice = texts(super::lists::ALERT_NAMES);
const THREAT_NAME: Choice = texts(super::lists::THREAT_NAMES);
const POLICY_NAME: Choice = texts(super::lists::POLICY_NAMES);
const MESSAGE: Choice = texts(super::lists::MESSAGES);
const VERSION: Choice = texts(super::lists::VERSIONS);
const REGISTRY_KEY: Choice = texts(super::lists::REGISTRY_KEYS);
const REGISTRY_VALUE_NAME: Choice = texts(super::lists::REGISTRY_VALUE_NAMES);
const REGISTRY_VALUE_DATA: Choice = texts(super::lists::REGISTRY_VALUE_DATA);

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The row's event time (`TimeGenerated`, `Timestamp`: equal in a row).
    RowTime,
    /// A time shortly before the row's (creation, start, first seen).
    TimeBefore,
    /// A time shortly after the row's (received, end, last seen).
    TimeAfter,
    /// Another time near the row's, sometimes null.
    TimeNear,
    /// The table's name (`Type`).
    TableName,
    /// The workspace's tenant id.
    TenantId,
    /// An Azure resource id path.
    ResourceId,
    /// An Azure subscription id.
    SubscriptionId,
    /// A fresh guid per row.
    UniqueGuid,
    /// `_BilledSize`: a record size in bytes.
    BilledSize,
    /// `_IsBillable`.
    Billable,
    /// `SourceSystem`.
    SourceSystem,
    /// `MG`: the management group id.
    ManagementGroupId,
    /// `ManagementGroupName`.
    ManagementGroupName,
    /// Always the empty string.
    Empty,
    /// A user principal name (empty for built-in accounts).
    Upn,
    /// An account's sAMAccountName (`alice.smith`, `system`).
    AccountName,
    /// An account's NetBIOS domain.
    AccountDomain,
    /// `DOMAIN\name`.
    WindowsAccount,
    /// A person's display name.
    UserDisplayName,
    /// A user's Entra ID object id (the `UserId` of SigninLogs).
    UserObjectId,
    /// A Windows security identifier.
    Sid,
    /// An email address.
    Email,
    /// A machine's fully qualified name, as `Computer` holds it.
    Computer,
    /// A machine's name as Defender reports it (lowercase FQDN).
    DeviceName,
    /// A machine's short host name.
    HostName,
    /// Defender's 40-hex-digit device id.
    DeviceId,
    /// A MAC address.
    MacAddress,
    /// An operating system platform.
    OsPlatform,
    /// An operating system version.
    OsVersion,
    /// A user's public egress address (home or office).
    IpUser,
    /// A machine's private address.
    IpLocal,
    /// An address on the internet the row talks to.
    IpRemote,
    /// An ephemeral client port.
    PortLocal,
    /// A service port.
    PortRemote,
    /// A URL on the site the row talks to.
    Url,
    /// A DNS domain.
    Domain,
    /// A browser or client user agent.
    UserAgent,
    /// A transport protocol.
    Protocol,
    /// A process or file name.
    FileName,
    /// A full path (folder and file name).
    FilePath,
    /// A process command line.
    CommandLine,
    /// `VersionInfoOriginalFileName`.
    OriginalFileName,
    /// `VersionInfoCompanyName`.
    Company,
    /// `VersionInfoProductName`.
    Product,
    /// `VersionInfoProductVersion`.
    ProductVersion,
    /// `VersionInfoFileDescription`.
    FileDescription,
    /// A SHA-1 digest in hex.
    Sha1,
    /// A SHA-256 digest in hex.
    Sha256,
    /// An MD5 digest in hex.
    Md5,
    /// A file size in bytes.
    FileSize,
    /// A process id.
    ProcessId,
    /// A logon session id.
    LogonId,
    /// A Windows event id.
    EventId,
    /// A Windows event's `Activity` text (matches the row's `EventID`).
    EventActivity,
    /// The table's `ActionType` values.
    ActionType,
    /// A report id increasing with the row.
    ReportId,
    /// An ISO country code.
    Country,
    /// A city name.
    City,
    /// A latitude.
    Latitude,
    /// A longitude.
    Longitude,
    /// An application's display name.
    AppName,
    /// An application id.
    AppId,
    /// One of a fixed set of values.
    Choice(&'static Choice),
    /// A small count.
    Count,
    /// A byte count.
    Bytes,
    /// A duration in milliseconds.
    DurationMs,
    /// A percentage or score.
    Percent,
    /// Any integer.
    Number,
    /// Any real.
    RealNumber,
    /// A boolean, usually false.
    Bool,
    /// A boolean, usually true.
    BoolMostlyTrue,
    /// A timespan.
    Span,
    /// A short word.
    Word,
    /// A property bag (or its JSON text in a string column).
    Bag,
    /// An array of short words.
    List,
}

/// Which column types a kind can fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Text,
    Number,
    NumberOrText,
    Time,
    Guid,
    Bool,
    Span,
    Dynamic,
    DynamicOrText,
}

impl Kind {
    fn class(self) -> Class {
        use Kind::*;
        match self {
            RowTime | TimeBefore | TimeAfter | TimeNear => Class::Time,
            TenantId | SubscriptionId | UniqueGuid | UserObjectId | ManagementGroupId | AppId => {
                Class::Guid
            }
            EventId | PortLocal | PortRemote | ProcessId | LogonId => Class::NumberOrText,
            FileSize | ReportId | Count | Bytes | DurationMs | Percent | Number | RealNumber
            | BilledSize | Latitude | Longitude => Class::Number,
            Bool | BoolMostlyTrue => Class::Bool,
            Span => Class::Span,
            List => Class::Dynamic,
            Bag => Class::DynamicOrText,
            Choice(c) if !c.numbers.is_empty() => Class::NumberOrText,
            _ => Class::Text,
        }
    }

    /// Whether this kind can fill a column of type `ty`.
    pub(crate) fn fits(self, ty: DataType) -> bool {
        use DataType as T;
        match self.class() {
            Class::Text => ty == T::String,
            Class::Number => matches!(ty, T::Int | T::Long | T::Real),
            Class::NumberOrText => matches!(ty, T::Int | T::Long | T::Real | T::String),
            Class::Time => ty == T::DateTime,
            Class::Guid => matches!(ty, T::Guid | T::String),
            Class::Bool => ty == T::Bool,
            Class::Span => ty == T::TimeSpan,
            Class::Dynamic => ty == T::Dynamic,
            Class::DynamicOrText => matches!(ty, T::Dynamic | T::String),
        }
    }
}

/// A pattern over a normalised column key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pat {
    /// The whole key.
    Is(&'static str),
    /// The key's last words (the match starts where a word does).
    Ends(&'static str),
    /// Anywhere in the key.
    Has(&'static str),
}

use Kind as K;
use Pat::*;

/// Name rules, first match wins (see the module docs).
pub(crate) const RULES: &[(Pat, Kind)] = &[
    // Workspace columns.
    (Is("timegenerated"), K::RowTime),
    (Is("timestamp"), K::RowTime),
    (Is("ts"), K::RowTime),
    (Is("time"), K::RowTime),
    (Is("eventtime"), K::RowTime),
    (Is("type"), K::TableName),
    (Is("tenantid"), K::TenantId),
    (Is("aadtenantid"), K::TenantId),
    (Is("resourceid"), K::ResourceId),
    (Is("subscriptionid"), K::SubscriptionId),
    (Is("itemid"), K::UniqueGuid),
    (Is("billedsize"), K::BilledSize),
    (Is("isbillable"), K::Billable),
    (Is("sourcesystem"), K::SourceSystem),
    (Is("mg"), K::ManagementGroupId),
    (Is("managementgroupname"), K::ManagementGroupName),
    (Is("appguardcontainerid"), K::Empty),
    (Is("additionalfields"), K::Bag),
    // Other times.
    (Has("creat"), K::TimeBefore),
    (Has("start"), K::TimeBefore),
    (Has("first"), K::TimeBefore),
    (Has("begin"), K::TimeBefore),
    (Has("receiv"), K::TimeAfter),
    (Has("end"), K::TimeAfter),
    (Has("last"), K::TimeAfter),
    (Has("modif"), K::TimeAfter),
    (Has("updat"), K::TimeAfter),
    (Has("finish"), K::TimeAfter),
    // Events.
    (Is("eventid"), K::EventId),
    (Is("eventcode"), K::EventId),
    (Is("activity"), K::EventActivity),
    (Is("actiontype"), K::ActionType),
    (Is("reportid"), K::ReportId),
    (Ends("logonid"), K::LogonId),
    (Ends("logontype"), K::Choice(&LOGON_TYPE)),
    // Files and processes.
    (Ends("sha256"), K::Sha256),
    (Ends("sha1"), K::Sha1),
    (Ends("md5"), K::Md5),
    (Has("sha256"), K::Sha256),
    (Has("sha1"), K::Sha1),
    (Ends("filehash"), K::Sha256),
    (Ends("hash"), K::Sha256),
    (Has("commandline"), K::CommandLine),
    (Ends("originalfilename"), K::OriginalFileName),
    (Ends("internalfilename"), K::OriginalFileName),
    (Ends("versioninfocompanyname"), K::Company),
    (Ends("versioninfoproductname"), K::Product),
    (Ends("versioninfoproductversion"), K::ProductVersion),
    (Ends("versioninfofiledescription"), K::FileDescription),
    (Ends("folderpath"), K::FilePath),
    (Ends("filepath"), K::FilePath),
    (Ends("imagepath"), K::FilePath),
    (Is("image"), K::FilePath),
    (Is("parentimage"), K::FilePath),
    (Is("newprocessname"), K::FilePath),
    (Is("parentprocessname"), K::FilePath),
    (Ends("processname"), K::FileName),
    (Ends("filename"), K::FileName),
    (Is("process"), K::FileName),
    (Ends("filesize"), K::FileSize),
    (Ends("processid"), K::ProcessId),
    (Ends("processparentid"), K::ProcessId),
    (Is("pid"), K::ProcessId),
    (Ends("integritylevel"), K::Choice(&INTEGRITY)),
    (Ends("tokenelevation"), K::Choice(&ELEVATION)),
    (Ends("signertype"), K::Choice(&SIGNER)),
    (Ends("signaturestatus"), K::Choice(&SIGNATURE)),
    (Has("registrykey"), K::Choice(&REGISTRY_KEY)),
    (Ends("registryvaluename"), K::Choice(&REGISTRY_VALUE_NAME)),
    (Ends("registryvaluedata"), K::Choice(&REGISTRY_VALUE_DATA)),
    // Accounts.
    (Ends("accountupn"), K::Upn),
    (Ends("userprincipalname"), K::Upn),
    (Ends("upn"), K::Upn),
    (Ends("accountobjectid"), K::UserObjectId),
    (Ends("aaduserid"), K::UserObjectId),
    (Ends("userobjectid"), K::UserObjectId),
    (Is("objectid"), K::UserObjectId),
    (Ends("userid"), K::UserObjectId),
    (Ends("sid"), K::Sid),
    (Ends("accountdomain"), K::AccountDomain),
    (Ends("userdomain"), K::AccountDomain),
    (Is("targetdomainname"), K::AccountDomain),
    (Is("subjectdomainname"), K::AccountDomain),
    (Ends("accountname"), K::AccountName),
    (Is("targetusername"), K::AccountName),
    (Is("subjectusername"), K::AccountName),
    (Is("targetaccount"), K::WindowsAccount),
    (Is("account"), K::WindowsAccount),
    (Ends("accountdisplayname"), K::UserDisplayName),
    (Ends("userdisplayname"), K::UserDisplayName),
    (Ends("email"), K::Email),
    (Ends("emailaddress"), K::Email),
    (Ends("mailaddress"), K::Email),
    (Ends("fromaddress"), K::Email),
    (Ends("sender"), K::Email),
    (Ends("recipient"), K::Email),
    (Ends("username"), K::Upn),
    (Is("user"), K::Upn),
    (Is("caller"), K::Upn),
    (Ends("actorusername"), K::Upn),
    // Machines.
    (Is("computer"), K::Computer),
    (Ends("computername"), K::Computer),
    (Ends("fqdn"), K::Computer),
    (Ends("devicename"), K::DeviceName),
    (Ends("dvchostname"), K::HostName),
    (Ends("hostname"), K::HostName),
    (Is("host"), K::HostName),
    (Is("deviceid"), K::DeviceId),
    (Ends("mdedeviceid"), K::DeviceId),
    (Has("macaddr"), K::MacAddress),
    (Is("mac"), K::MacAddress),
    (Ends("osplatform"), K::OsPlatform),
    (Is("os"), K::OsPlatform),
    (Ends("dvcos"), K::OsPlatform),
    (Is("ostype"), K::OsPlatform),
    (Ends("osversion"), K::OsVersion),
    (Ends("osbuild"), K::Choice(&OS_BUILD)),
    // Network.
    (Ends("ip"), K::IpUser),
    (Ends("ipaddress"), K::IpUser),
    (Ends("ipaddr"), K::IpUser),
    (Ends("ipv4"), K::IpUser),
    (Ends("ipv6"), K::IpUser),
    (Ends("origh"), K::IpLocal),
    (Ends("resph"), K::IpRemote),
    (Ends("origp"), K::PortLocal),
    (Ends("respp"), K::PortRemote),
    (Ends("portnumber"), K::PortRemote),
    (Ends("port"), K::PortRemote),
    (Ends("url"), K::Url),
    (Ends("uri"), K::Url),
    (Is("urloriginal"), K::Url),
    (Ends("ntdomain"), K::AccountDomain),
    (Ends("domain"), K::Domain),
    (Ends("domainname"), K::Domain),
    (Ends("queryname"), K::Domain),
    (Ends("dnsquery"), K::Domain),
    (Has("useragent"), K::UserAgent),
    (Has("applicationprotocol"), K::Choice(&APP_PROTOCOL)),
    (Ends("protocol"), K::Protocol),
    (Ends("direction"), K::Choice(&DIRECTION)),
    (Ends("method"), K::Choice(&HTTP_METHOD)),
    (Ends("statuscode"), K::Choice(&HTTP_STATUS)),
    // Places.
    (Has("country"), K::Country),
    (Ends("city"), K::City),
    (Ends("latitude"), K::Latitude),
    (Ends("longitude"), K::Longitude),
    (Is("location"), K::Choice(&REGION)),
    (Ends("region"), K::Choice(&REGION)),
    (Ends("resourcegroup"), K::Choice(&RESOURCE_GROUP)),
    // Applications.
    (Ends("appdisplayname"), K::AppName),
    (Ends("applicationname"), K::AppName),
    (Is("appname"), K::AppName),
    (Ends("appid"), K::AppId),
    (Ends("applicationid"), K::AppId),
    (Ends("clientid"), K::AppId),
    // Enumerations.
    (Is("severitylevel"), K::Choice(&SYSLOG_SEVERITY)),
    (Ends("severity"), K::Choice(&SEVERITY)),
    (Ends("level"), K::Choice(&LEVEL)),
    (Ends("facility"), K::Choice(&FACILITY)),
    (Ends("status"), K::Choice(&STATUS)),
    (Ends("result"), K::Choice(&RESULT)),
    (Ends("outcome"), K::Choice(&RESULT)),
    (Ends("resulttype"), K::Choice(&RESULT)),
    (Is("dvcaction"), K::Choice(&FIREWALL_ACTION)),
    (Is("action"), K::Choice(&FIREWALL_ACTION)),
    (Ends("category"), K::Choice(&CATEGORY)),
    (Ends("workload"), K::Choice(&WORKLOAD)),
    (Ends("operationname"), K::Choice(&OPERATION_NAME)),
    (Is("operation"), K::Choice(&OPERATION)),
    (Ends("rulename"), K::Choice(&ALERT_NAME)),
    (Ends("alertname"), K::Choice(&ALERT_NAME)),
    (Ends("title"), K::Choice(&ALERT_NAME)),
    (Ends("threatname"), K::Choice(&THREAT_NAME)),
    (Ends("policyname"), K::Choice(&POLICY_NAME)),
    (Ends("message"), K::Choice(&MESSAGE)),
    (Ends("description"), K::Choice(&MESSAGE)),
    (Ends("details"), K::Choice(&MESSAGE)),
    (Is("rawdata"), K::Choice(&MESSAGE)),
    (Ends("version"), K::Choice(&VERSION)),
    (Ends("displayname"), K::UserDisplayName),
    // Identifiers.
    (Ends("id"), K::UniqueGuid),
    (Ends("guid"), K::UniqueGuid),
    (Ends("uuid"), K::UniqueGuid),
    // Numbers.
    (Has("bytes"), K::Bytes),
    (Ends("size"), K::Bytes),
    (Ends("count"), K::Count),
    (Has("duration"), K::DurationMs),
    (Ends("ms"), K::DurationMs),
    (Ends("percent"), K::Percent),
    (Ends("percentage"), K::Percent),
    (Ends("score"), K::Percent),
    // Booleans.
    (Has("success"), K::BoolMostlyTrue),
    (Has("compliant"), K::BoolMostlyTrue),
    (Has("enabled"), K::BoolMostlyTrue),
    (Has("valid"), K::BoolMostlyTrue),
    // Dynamic columns.
    (Has("tags"), K::List),
    (Has("list"), K::List),
];

/// Columns that mean something else in one table: (table, column, kind).
pub(crate) const OVERRIDES: &[(&str, &str, Kind)] = &[
    // OfficeActivity's `UserId` is the user principal name.
    ("OfficeActivity", "UserId", K::Upn),
    ("OfficeActivity", "Operation", K::Choice(&OPERATION)),
];

/// The kind a column of type `ty` gets when no rule fits.
pub(crate) fn fallback(ty: DataType) -> Kind {
    match ty {
        DataType::String => K::Word,
        DataType::Int | DataType::Long => K::Number,
        DataType::Real | DataType::Decimal => K::RealNumber,
        DataType::Bool => K::Bool,
        DataType::DateTime => K::TimeNear,
        DataType::TimeSpan => K::Span,
        DataType::Guid => K::UniqueGuid,
        DataType::Dynamic => K::Bag,
    }
}

/// The name with a custom-log type suffix (`_s`, `_d`, `_t`, `_b`, `_g`)
/// dropped.
pub(crate) fn strip_type_suffix(name: &str) -> &str {
    for suffix in ["_s", "_d", "_t", "_b", "_g"] {
        if let Some(stem) = name.strip_suffix(suffix) {
            if !stem.is_empty() {
                return stem;
            }
        }
    }
    name
}

/// The normalised key of a column name (see the module docs).
pub(crate) fn key(name: &str) -> String {
    Key::new(name).text
}

/// A normalised name and the offsets in it where the name's words start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    text: String,
    words: Vec<usize>,
}

impl Key {
    /// Splits `name` into words at separators (`_`, `-`, `.`, space), at a
    /// lowercase letter or digit followed by an uppercase one (`ClientIp`)
    /// and before the last capital of an acronym followed by lowercase
    /// (`IPAddress` is `IP|Address`).
    pub(crate) fn new(name: &str) -> Key {
        let chars: Vec<char> = strip_type_suffix(name).chars().collect();
        let mut text = String::with_capacity(chars.len());
        let mut words = Vec::new();
        let mut boundary = true;
        for (i, &c) in chars.iter().enumerate() {
            if matches!(c, '_' | '-' | '.' | ' ') {
                boundary = true;
                continue;
            }
            let prev = if i == 0 { None } else { chars.get(i - 1) };
            let next = chars.get(i + 1);
            if c.is_uppercase() {
                let after_lower = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit());
                let acronym_end = prev.is_some_and(|p| p.is_uppercase())
                    && next.is_some_and(|n| n.is_lowercase());
                boundary |= after_lower || acronym_end;
            }
            if boundary {
                words.push(text.len());
                boundary = false;
            }
            text.extend(c.to_lowercase());
        }
        Key { text, words }
    }

    /// Whether the key's last words spell `s`.
    fn ends_with_words(&self, s: &str) -> bool {
        self.text.ends_with(s) && self.words.contains(&(self.text.len() - s.len()))
    }
}

impl Pat {
    fn matches(self, key: &Key) -> bool {
        match self {
            Is(s) => key.text == s,
            Ends(s) => key.ends_with_words(s),
            Has(s) => key.text.contains(s),
        }
    }
}

/// Markers of the other party of a row: the target account, the remote
/// machine, the destination address.
const OTHER_PARTY: &[&str] = &[
    "target",
    "dst",
    "dest",
    "remote",
    "resp",
    "recipient",
    "receiver",
    "peer",
];

/// Markers of the local side of a network row.
const LOCAL_SIDE: &[&str] = &[
    "local", "src", "source", "orig", "private", "internal", "dvc",
];

/// The kind of column `name` (of type `ty`) in `table`.
pub(crate) fn kind_of(table: &str, name: &str, ty: DataType) -> Kind {
    if let Some(&(_, _, k)) = OVERRIDES
        .iter()
        .find(|(t, c, k)| *t == table && *c == name && k.fits(ty))
    {
        return k;
    }
    let words = Key::new(name);
    let kind = RULES
        .iter()
        .find(|(p, k)| k.fits(ty) && p.matches(&words))
        .map_or_else(|| fallback(ty), |&(_, k)| k);
    let key = words.text;
    match kind {
        // Addresses and ports take their side from the name.
        K::IpUser if OTHER_PARTY.iter().any(|m| key.contains(m)) || key.contains("server") => {
            K::IpRemote
        }
        K::IpUser if LOCAL_SIDE.iter().any(|m| key.contains(m)) => K::IpLocal,
        K::PortRemote if LOCAL_SIDE.iter().any(|m| key.contains(m)) => K::PortLocal,
        // Mail domains are the tenant's and its correspondents', not web sites.
        K::Domain
            if ["mail", "sender", "recipient"]
                .iter()
                .any(|m| key.contains(m)) =>
        {
            K::Choice(&MAIL_DOMAIN)
        }
        k => k,
    }
}

/// Which entity of a row the column `name` describes: `0` the row's own
/// (the acting account, the machine, the created process), `1` the other
/// party or the initiating process, `2` the initiating process's parent.
pub(crate) fn slot(kind: Kind, name: &str) -> u8 {
    let key = key(name);
    match kind {
        K::FileName
        | K::FilePath
        | K::CommandLine
        | K::OriginalFileName
        | K::Company
        | K::Product
        | K::ProductVersion
        | K::FileDescription
        | K::Sha1
        | K::Sha256
        | K::Md5
        | K::FileSize => {
            if key.starts_with("initiatingprocessparent") {
                2
            } else if key.starts_with("initiatingprocess")
                || key.starts_with("parent")
                || key.contains("parentprocess")
            {
                1
            } else {
                0
            }
        }
        _ => u8::from(OTHER_PARTY.iter().any(|m| key.contains(m))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(name: &str, ty: DataType) -> Kind {
        kind_of("AnyTable", name, ty)
    }

    #[test]
    fn keys_drop_custom_log_suffixes_case_and_underscores() {
        assert_eq!(key("SrcIpAddr"), "srcipaddr");
        assert_eq!(key("src_ip_addr_s"), "srcipaddr");
        assert_eq!(key("_ResourceId"), "resourceid");
        assert_eq!(key("_s"), "s");
    }

    #[test]
    fn names_split_into_words_at_case_changes_and_separators() {
        let k = Key::new("IPAddress");
        assert_eq!(
            (k.text.as_str(), k.words.as_slice()),
            ("ipaddress", &[0, 2][..])
        );
        let k = Key::new("InitiatingProcessSHA256");
        assert_eq!(k.words, [0, 10, 17]);
        let k = Key::new("src_ip_addr_s");
        assert_eq!(
            (k.text.as_str(), k.words.as_slice()),
            ("srcipaddr", &[0, 3, 5][..])
        );
    }

    #[test]
    fn name_endings_match_whole_words_only() {
        for ip in [
            "IPAddress",
            "ClientIP",
            "CallerIpAddress",
            "SrcIpAddr",
            "ip_s",
            "RemoteIP",
            "LocalIP",
        ] {
            let k = kind(ip, DataType::String);
            assert!(matches!(k, K::IpUser | K::IpLocal | K::IpRemote), "{ip}");
        }
        for not in ["Relationship", "Membership", "IPType", "Zip"] {
            assert_eq!(kind(not, DataType::String), K::Word, "{not}");
        }
        assert_eq!(kind("ClassId", DataType::String), K::UniqueGuid);
        assert_eq!(kind("ProfilePath", DataType::String), K::Word);
        assert_eq!(kind("Report", DataType::Int), K::Number);
        assert_eq!(kind("LogonGuid", DataType::String), K::UniqueGuid);
    }

    #[test]
    fn addresses_take_their_side_from_the_name() {
        assert_eq!(kind("RemoteIP", DataType::String), K::IpRemote);
        assert_eq!(kind("DstIpAddr", DataType::String), K::IpRemote);
        assert_eq!(kind("LocalIP", DataType::String), K::IpLocal);
        assert_eq!(kind("SrcIpAddr", DataType::String), K::IpLocal);
        assert_eq!(kind("IPAddress", DataType::String), K::IpUser);
        assert_eq!(kind("ClientIP", DataType::String), K::IpUser);
        assert_eq!(kind("LocalPort", DataType::Int), K::PortLocal);
        assert_eq!(
            kind("SenderFromDomain", DataType::String),
            K::Choice(&MAIL_DOMAIN)
        );
        assert_eq!(
            kind("DestinationNTDomain", DataType::String),
            K::AccountDomain
        );
        assert_eq!(kind("RemotePort", DataType::Int), K::PortRemote);
    }

    #[test]
    fn a_rule_whose_kind_does_not_fit_the_type_is_skipped() {
        // `EventID` is a number or its text, never a guid.
        assert_eq!(kind("EventID", DataType::Int), K::EventId);
        assert_eq!(kind("EventID", DataType::String), K::EventId);
        // A numeric `SessionId` is a number, a string one a guid.
        assert_eq!(kind("SessionId", DataType::Long), K::Number);
        assert_eq!(kind("SessionId", DataType::String), K::UniqueGuid);
        // A datetime no time rule names is near the row's time.
        assert_eq!(kind("Expiry", DataType::DateTime), K::TimeNear);
        assert_eq!(kind("AccountName", DataType::Long), K::Number);
    }

    #[test]
    fn account_columns_are_told_apart() {
        assert_eq!(kind("AccountUpn", DataType::String), K::Upn);
        assert_eq!(kind("UserPrincipalName", DataType::String), K::Upn);
        assert_eq!(kind("AccountName", DataType::String), K::AccountName);
        assert_eq!(
            kind("InitiatingProcessAccountName", DataType::String),
            K::AccountName
        );
        assert_eq!(kind("AccountDomain", DataType::String), K::AccountDomain);
        assert_eq!(kind("AadUserId", DataType::String), K::UserObjectId);
        assert_eq!(kind("TenantId", DataType::String), K::TenantId);
        assert_eq!(kind("SubjectUserSid", DataType::String), K::Sid);
        assert_eq!(
            kind_of("OfficeActivity", "UserId", DataType::String),
            K::Upn
        );
    }

    #[test]
    fn process_columns_pick_the_process_they_describe() {
        assert_eq!(slot(K::FileName, "FileName"), 0);
        assert_eq!(slot(K::FileName, "InitiatingProcessFileName"), 1);
        assert_eq!(slot(K::FileName, "InitiatingProcessParentFileName"), 2);
        assert_eq!(slot(K::FilePath, "ParentProcessName"), 1);
        assert_eq!(slot(K::AccountName, "TargetUserName"), 1);
        assert_eq!(slot(K::AccountName, "SubjectUserName"), 0);
    }
}
