//! Reference values the catalog-wide generator draws from: processes,
//! Windows security events, per-table `ActionType` values, web sites and
//! the small enumerations columns such as `Severity` or `Protocol` hold.
//!
//! Values are shapes a detection engineer recognises (real Windows event
//! ids, real Defender `ActionType` names, real system binaries and their
//! folders), not measurements of any environment.

/// A process image: its file name, folder, a typical command line and its
/// version information, with a relative frequency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Process {
    pub(crate) file: &'static str,
    pub(crate) folder: &'static str,
    pub(crate) command_line: &'static str,
    pub(crate) company: &'static str,
    pub(crate) product: &'static str,
    pub(crate) version: &'static str,
    pub(crate) description: &'static str,
    pub(crate) weight: u32,
}

const MS: &str = "Microsoft Corporation";
const WINDOWS: &str = "Microsoft® Windows® Operating System";
const WIN_VERSION: &str = "10.0.22621.4391";
const SYSTEM32: &str = r"C:\Windows\System32";
const OFFICE: &str = r"C:\Program Files\Microsoft Office\root\Office16";

#[allow(clippy::too_many_arguments)]
const fn process(
    file: &'static str,
    folder: &'static str,
    command_line: &'static str,
    company: &'static str,
    product: &'static str,
    version: &'static str,
    description: &'static str,
    weight: u32,
) -> Process {
    Process {
        file,
        folder,
        command_line,
        company,
        product,
        version,
        description,
        weight,
    }
}

/// Processes seen on the tenant's Windows machines.
pub(crate) const PROCESSES: &[Process] = &[
    process(
        "svchost.exe",
        SYSTEM32,
        "svchost.exe -k netsvcs -p -s Schedule",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Host Process for Windows Services",
        18,
    ),
    process(
        "powershell.exe",
        r"C:\Windows\System32\WindowsPowerShell\v1.0",
        r"powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\ProgramData\Contoso\inventory.ps1",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Windows PowerShell",
        8,
    ),
    process(
        "cmd.exe",
        SYSTEM32,
        r#"cmd.exe /c "C:\Program Files\Contoso\Agent\healthcheck.bat""#,
        MS,
        WINDOWS,
        WIN_VERSION,
        "Windows Command Processor",
        8,
    ),
    process(
        "conhost.exe",
        SYSTEM32,
        "conhost.exe 0xffffffff -ForceV1",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Console Window Host",
        8,
    ),
    process(
        "explorer.exe",
        r"C:\Windows",
        "explorer.exe",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Windows Explorer",
        5,
    ),
    process(
        "msedge.exe",
        r"C:\Program Files (x86)\Microsoft\Edge\Application",
        r#""msedge.exe" --type=renderer --lang=en-US"#,
        MS,
        "Microsoft Edge",
        "131.0.2903.86",
        "Microsoft Edge",
        10,
    ),
    process(
        "chrome.exe",
        r"C:\Program Files\Google\Chrome\Application",
        r#""chrome.exe" --type=utility --lang=en-US"#,
        "Google LLC",
        "Google Chrome",
        "131.0.6778.140",
        "Google Chrome",
        6,
    ),
    process(
        "OUTLOOK.EXE",
        OFFICE,
        r#""OUTLOOK.EXE" /recycle"#,
        MS,
        "Microsoft Outlook",
        "16.0.17928.20156",
        "Microsoft Outlook",
        5,
    ),
    process(
        "WINWORD.EXE",
        OFFICE,
        r#""WINWORD.EXE" /n "C:\Users\Public\Documents\Quarterly report.docx""#,
        MS,
        "Microsoft Office",
        "16.0.17928.20156",
        "Microsoft Word",
        3,
    ),
    process(
        "ms-teams.exe",
        r"C:\Program Files\WindowsApps\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe",
        "ms-teams.exe",
        MS,
        "Microsoft Teams",
        "24295.605.3225.8804",
        "Microsoft Teams",
        5,
    ),
    process(
        "OneDrive.exe",
        r"C:\Program Files\Microsoft OneDrive",
        "OneDrive.exe /background",
        MS,
        "Microsoft OneDrive",
        "24.226.1110.0004",
        "Microsoft OneDrive",
        4,
    ),
    process(
        "rundll32.exe",
        SYSTEM32,
        r"rundll32.exe C:\Windows\System32\shell32.dll,Control_RunDLL",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Windows host process (Rundll32)",
        3,
    ),
    process(
        "taskhostw.exe",
        SYSTEM32,
        "taskhostw.exe",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Host Process for Windows Tasks",
        4,
    ),
    process(
        "WmiPrvSE.exe",
        r"C:\Windows\System32\wbem",
        "wmiprvse.exe -secured -Embedding",
        MS,
        WINDOWS,
        WIN_VERSION,
        "WMI Provider Host",
        3,
    ),
    process(
        "MsMpEng.exe",
        r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0",
        "MsMpEng.exe",
        MS,
        "Microsoft Malware Protection",
        "4.18.24090.11",
        "Antimalware Service Executable",
        3,
    ),
    process(
        "services.exe",
        SYSTEM32,
        "services.exe",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Services and Controller app",
        2,
    ),
    process(
        "lsass.exe",
        SYSTEM32,
        "lsass.exe",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Local Security Authority Process",
        1,
    ),
    process(
        "msiexec.exe",
        SYSTEM32,
        "msiexec.exe /V",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Windows installer",
        2,
    ),
    process(
        "net.exe",
        SYSTEM32,
        "net.exe user /domain",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Net Command",
        1,
    ),
    process(
        "whoami.exe",
        SYSTEM32,
        "whoami.exe /all",
        MS,
        WINDOWS,
        WIN_VERSION,
        "whoami - displays logged on user information",
        1,
    ),
    process(
        "schtasks.exe",
        SYSTEM32,
        "schtasks.exe /query /fo LIST",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Task Scheduler Configuration Tool",
        1,
    ),
    process(
        "reg.exe",
        SYSTEM32,
        r"reg.exe query HKLM\Software\Microsoft\Windows\CurrentVersion\Run",
        MS,
        WINDOWS,
        WIN_VERSION,
        "Registry Console Tool",
        1,
    ),
    process(
        "certutil.exe",
        SYSTEM32,
        r"certutil.exe -verify C:\ProgramData\Contoso\root.cer",
        MS,
        WINDOWS,
        WIN_VERSION,
        "CertUtil.exe",
        1,
    ),
    process(
        "python.exe",
        r"C:\Program Files\Python312",
        "python.exe -m pip list",
        "Python Software Foundation",
        "Python",
        "3.12.7",
        "Python",
        1,
    ),
];

/// Windows security event ids, their `Activity` text and a relative
/// frequency.
pub(crate) const WINDOWS_EVENTS: &[(i64, &str, u32)] = &[
    (4624, "4624 - An account was successfully logged on.", 300),
    (4625, "4625 - An account failed to log on.", 60),
    (4634, "4634 - An account was logged off.", 200),
    (4648, "4648 - A logon was attempted using explicit credentials.", 30),
    (4672, "4672 - Special privileges assigned to new logon.", 80),
    (4688, "4688 - A new process has been created.", 200),
    (4689, "4689 - A process has exited.", 80),
    (4720, "4720 - A user account was created.", 5),
    (4726, "4726 - A user account was deleted.", 3),
    (4732, "4732 - A member was added to a security-enabled local group.", 5),
    (4740, "4740 - A user account was locked out.", 5),
    (4768, "4768 - A Kerberos authentication ticket (TGT) was requested.", 50),
    (4769, "4769 - A Kerberos service ticket was requested.", 80),
    (4776, "4776 - The computer attempted to validate the credentials for an account.", 40),
    (4698, "4698 - A scheduled task was created.", 4),
    (5140, "5140 - A network share object was accessed.", 20),
    (5145, "5145 - A network share object was checked to see whether client can be granted desired access.", 20),
    (7045, "7045 - A service was installed in the system.", 3),
    (1102, "1102 - The audit log was cleared.", 1),
];

/// `ActionType` values of the Defender tables that have one.
pub(crate) const ACTION_TYPES: &[(&str, &[&str])] = &[
    ("DeviceProcessEvents", &["ProcessCreated"]),
    (
        "DeviceNetworkEvents",
        &[
            "ConnectionSuccess",
            "ConnectionSuccess",
            "ConnectionSuccess",
            "ConnectionFailed",
            "InboundConnectionAccepted",
            "ListeningConnectionCreated",
            "ConnectionAttempt",
        ],
    ),
    (
        "DeviceFileEvents",
        &[
            "FileCreated",
            "FileCreated",
            "FileModified",
            "FileModified",
            "FileRenamed",
            "FileDeleted",
        ],
    ),
    (
        "DeviceRegistryEvents",
        &[
            "RegistryValueSet",
            "RegistryValueSet",
            "RegistryKeyCreated",
            "RegistryKeyDeleted",
            "RegistryValueDeleted",
        ],
    ),
    (
        "DeviceLogonEvents",
        &[
            "LogonSuccess",
            "LogonSuccess",
            "LogonSuccess",
            "LogonFailed",
            "LogonAttempted",
        ],
    ),
    ("DeviceImageLoadEvents", &["ImageLoaded"]),
    (
        "DeviceEvents",
        &[
            "PowerShellCommand",
            "AntivirusDetection",
            "ScheduledTaskCreated",
            "DnsQueryResponse",
            "NamedPipeEvent",
            "UsbDriveMounted",
            "ProcessCreatedUsingWmiQuery",
            "CreateRemoteThreadApiCall",
            "LdapSearch",
            "SmartScreenUrlWarning",
        ],
    ),
    (
        "IdentityLogonEvents",
        &["LogonSuccess", "LogonSuccess", "LogonFailed"],
    ),
    (
        "IdentityQueryEvents",
        &["LDAP query", "DNS query", "SAMR query"],
    ),
    (
        "IdentityDirectoryEvents",
        &[
            "Account Password changed",
            "Group Membership changed",
            "Account Disabled changed",
            "Directory Services replication",
        ],
    ),
    (
        "CloudAppEvents",
        &[
            "FileDownloaded",
            "FileAccessed",
            "MailItemsAccessed",
            "Send",
            "UserLoggedIn",
            "New-InboxRule",
            "Set-Mailbox",
        ],
    ),
    (
        "UrlClickEvents",
        &[
            "ClickAllowed",
            "ClickAllowed",
            "ClickBlocked",
            "UrlScanInProgress",
        ],
    ),
    (
        "EmailPostDeliveryEvents",
        &["Phish ZAP", "Malware ZAP", "Manual Remediation"],
    ),
];

/// `ActionType` values of a table without its own list.
pub(crate) const GENERIC_ACTION_TYPES: &[&str] =
    &["Created", "Updated", "Deleted", "Read", "Executed"];

/// Web sites: domain and a path typical for it.
pub(crate) const SITES: &[(&str, &str)] = &[
    ("login.microsoftonline.com", "/common/oauth2/v2.0/token"),
    ("graph.microsoft.com", "/v1.0/me/messages"),
    ("outlook.office365.com", "/owa/"),
    (
        "contoso.sharepoint.com",
        "/sites/finance/Shared%20Documents",
    ),
    ("www.bing.com", "/search?q=expense+policy"),
    ("www.google.com", "/search?q=quarterly+report+template"),
    ("github.com", "/contoso/platform"),
    ("update.googleapis.com", "/service/update2/json"),
    ("settings-win.data.microsoft.com", "/settings/v3.0/wsd/muse"),
    ("api.contoso.com", "/v2/orders"),
    ("www.fabrikam.com", "/portal/login"),
    (
        "cdn.jsdelivr.net",
        "/npm/bootstrap@5.3.3/dist/js/bootstrap.min.js",
    ),
    ("teams.microsoft.com", "/api/mt/part/emea-02/beta/users"),
    ("example.org", "/"),
    (
        "download.windowsupdate.com",
        "/c/msdownload/update/software/secu/2024/12/windows11.0-kb5048685-x64.cab",
    ),
    ("storage.contoso.net", "/backups/nightly.tar.gz"),
];

/// Servers of the tenant (short host names), after the users' laptops.
pub(crate) const SERVERS: &[(&str, &str)] = &[
    ("CONTOSO-DC01", "WindowsServer2022"),
    ("CONTOSO-DC02", "WindowsServer2022"),
    ("CONTOSO-FS01", "WindowsServer2019"),
    ("CONTOSO-SQL01", "WindowsServer2022"),
    ("CONTOSO-WEB01", "WindowsServer2022"),
    ("CONTOSO-APP01", "WindowsServer2019"),
    ("CONTOSO-JUMP01", "WindowsServer2022"),
    ("contoso-lnx-web01", "Linux"),
    ("contoso-lnx-db01", "Linux"),
];

/// Built-in accounts: account name, domain, Windows account, SID.
pub(crate) const SYSTEM_ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    ("system", "nt authority", r"NT AUTHORITY\SYSTEM", "S-1-5-18"),
    (
        "local service",
        "nt authority",
        r"NT AUTHORITY\LOCAL SERVICE",
        "S-1-5-19",
    ),
    (
        "network service",
        "nt authority",
        r"NT AUTHORITY\NETWORK SERVICE",
        "S-1-5-20",
    ),
];

/// The NetBIOS domain of the tenant's users.
pub(crate) const NETBIOS_DOMAIN: &str = "CONTOSO";

/// Azure regions.
pub(crate) const REGIONS: &[&str] = &[
    "eastus",
    "eastus2",
    "westus2",
    "centralus",
    "westeurope",
    "northeurope",
    "uksouth",
    "southeastasia",
    "australiaeast",
];

/// Resource groups of the tenant's subscriptions.
pub(crate) const RESOURCE_GROUPS: &[&str] = &[
    "rg-prod-web",
    "rg-prod-data",
    "rg-shared-identity",
    "rg-security",
    "rg-dev-sandbox",
];

/// Azure resources: provider path and name stem.
pub(crate) const RESOURCES: &[(&str, &str)] = &[
    ("microsoft.compute/virtualmachines", "vm-contoso-web"),
    ("microsoft.storage/storageaccounts", "stcontosodata"),
    ("microsoft.keyvault/vaults", "kv-contoso-prod"),
    ("microsoft.network/networksecuritygroups", "nsg-contoso-web"),
    ("microsoft.web/sites", "app-contoso-orders"),
    ("microsoft.sql/servers", "sql-contoso-prod"),
    (
        "microsoft.operationalinsights/workspaces",
        "law-contoso-sentinel",
    ),
];

/// Azure Resource Manager operations.
pub(crate) const OPERATION_NAMES: &[&str] = &[
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachines/start/action",
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Authorization/roleAssignments/write",
    "Microsoft.KeyVault/vaults/secrets/read",
    "Microsoft.Network/networkSecurityGroups/securityRules/write",
    "Microsoft.Resources/deployments/write",
];

/// Microsoft 365 audit operations.
pub(crate) const OPERATIONS: &[&str] = &[
    "FileAccessed",
    "FileAccessed",
    "FileModified",
    "FileDownloaded",
    "FileUploaded",
    "MailItemsAccessed",
    "MailItemsAccessed",
    "Send",
    "UserLoggedIn",
    "New-InboxRule",
    "Set-Mailbox",
    "MemberAdded",
];

/// Registry keys, as Defender writes them.
pub(crate) const REGISTRY_KEYS: &[&str] = &[
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run",
    r"HKEY_CURRENT_USER\SOFTWARE\Microsoft\Windows\CurrentVersion\Run",
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\WinDefend",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows Defender",
    r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa",
];

/// Registry value names.
pub(crate) const REGISTRY_VALUE_NAMES: &[&str] = &[
    "OneDrive",
    "SecurityHealth",
    "Start",
    "DisableAntiSpyware",
    "RunAsPPL",
    "ImagePath",
];

/// Registry value data.
pub(crate) const REGISTRY_VALUE_DATA: &[&str] = &[
    r#""C:\Program Files\Microsoft OneDrive\OneDrive.exe" /background"#,
    r"%windir%\system32\SecurityHealthSystray.exe",
    "2",
    "0",
    "1",
];

/// Detection, alert and rule names.
pub(crate) const ALERT_NAMES: &[&str] = &[
    "Suspicious PowerShell command line",
    "Multiple failed sign-in attempts",
    "Anomalous token usage",
    "Malware detected on endpoint",
    "Unusual volume of file deletion",
    "Connection to a known malicious IP address",
    "New inbox rule forwards mail externally",
];

/// Malware names in Defender's naming.
pub(crate) const THREAT_NAMES: &[&str] = &[
    "Trojan:Win32/Wacatac.B!ml",
    "HackTool:Win32/Mimikatz.D",
    "Behavior:Win32/SuspRemoteCopy.B",
    "PUA:Win32/Presenoker",
    "Backdoor:Win32/CobaltStrike.C",
];

/// Policy names.
pub(crate) const POLICY_NAMES: &[&str] = &[
    "Require MFA for administrators",
    "Block legacy authentication",
    "Baseline security policy",
    "Default",
    "Allow corporate network",
];

/// Short human-readable messages.
pub(crate) const MESSAGES: &[&str] = &[
    "Operation completed successfully.",
    "Connection established.",
    "Access denied for the requested resource.",
    "Configuration updated.",
    "User session started.",
    "Scheduled scan finished with no threats found.",
    "Policy evaluated; no action required.",
    "Request throttled; retrying.",
];

/// Version strings.
pub(crate) const VERSIONS: &[&str] = &[
    "1.0",
    "1.2.0",
    "2.3.1",
    "4.18.24090.11",
    "10.0.19045.5247",
    "10.0.22621.4391",
];

/// Fallback values of a string column no rule knows.
pub(crate) const WORDS: &[&str] = &[
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "gamma", "harbor", "indigo",
    "juniper", "kestrel", "lumen",
];

/// Keys of the property bags in a dynamic column no rule knows.
pub(crate) const BAG_KEYS: &[&str] = &["Name", "Value", "Detail", "Source", "Category", "State"];
