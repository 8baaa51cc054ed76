//! Column lists of the Sentinel tables kqlite knows, as published in the Azure Monitor
//! Logs table reference:
//!
//! - SigninLogs: <https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/signinlogs>
//! - AADNonInteractiveUserSignInLogs: <https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadnoninteractiveusersigninlogs>
//! - AADServicePrincipalSignInLogs: <https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadserviceprincipalsigninlogs>
//! - AADManagedIdentitySignInLogs: <https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadmanagedidentitysigninlogs>
//! - AuditLogs: <https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/auditlogs>
//! - AADUserRiskEvents: <https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aaduserriskevents>
//!
//! The reference pages list columns alphabetically, case-insensitive, with a leading
//! underscore ignored (so `_BilledSize` sits between `AutonomousSystemNumber` and
//! `Category`); that order is kept here. Types are exactly as the reference gives them:
//! note that several columns which hold JSON are published as `string`, not `dynamic`
//! (for example `AuthenticationDetails` in SigninLogs, and `LocationDetails`,
//! `DeviceDetail`, `Status` in the non-interactive, service principal and managed
//! identity sign-in tables), so queries over those need `parse_json()` / `todynamic()`.
//! The reference does not list `TenantId` for SigninLogs or AuditLogs, so it is not
//! listed here for them either.

/// One table's published schema: its name and its columns in reference order,
/// each as (column name, KQL type name).
pub struct TableColumns {
    /// Table name as it appears in KQL.
    pub name: &'static str,
    /// (column, KQL type) pairs; type names are KQL's: bool, int, long, real, string, datetime, timespan, guid, dynamic.
    pub columns: &'static [(&'static str, &'static str)],
}

/// Every table kqlite ships a schema for.
pub const TABLES: &[TableColumns] = &[
    // SigninLogs: 97 columns.
    // Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/signinlogs
    TableColumns {
        name: "SigninLogs",
        columns: &[
            ("AADTenantId", "string"),
            ("Agent", "dynamic"),
            ("AlternateSignInName", "string"),
            ("AppDisplayName", "string"),
            ("AppId", "string"),
            ("AppliedConditionalAccessPolicies", "string"),
            ("AppliedEventListeners", "dynamic"),
            ("AppOwnerTenantId", "string"),
            ("AuthenticationAppDeviceDetails", "string"),
            ("AuthenticationAppPolicyEvaluationDetails", "string"),
            ("AuthenticationContextClassReferences", "string"),
            ("AuthenticationDetails", "string"),
            ("AuthenticationMethodsUsed", "string"),
            ("AuthenticationProcessingDetails", "string"),
            ("AuthenticationProtocol", "string"),
            ("AuthenticationRequirement", "string"),
            ("AuthenticationRequirementPolicies", "string"),
            ("AuthenticatorAppLocation", "string"),
            ("AutonomousSystemNumber", "string"),
            ("_BilledSize", "real"),
            ("Category", "string"),
            ("ClientAppUsed", "string"),
            ("ClientCredentialType", "string"),
            ("ClientSessionId", "string"),
            ("ConditionalAccessAudiences", "string"),
            ("ConditionalAccessPolicies", "dynamic"),
            ("ConditionalAccessStatus", "string"),
            ("CorrelationId", "string"),
            ("CreatedDateTime", "datetime"),
            ("CrossTenantAccessType", "string"),
            ("DeviceDetail", "dynamic"),
            ("DurationMs", "long"),
            ("FederatedCredentialId", "string"),
            ("FlaggedForReview", "bool"),
            ("GlobalSecureAccessIpAddress", "string"),
            ("HomeTenantId", "string"),
            ("HomeTenantName", "string"),
            ("Id", "string"),
            ("Identity", "string"),
            ("IncomingTokenType", "string"),
            ("IPAddress", "string"),
            ("IPAddressFromResourceProvider", "string"),
            ("_IsBillable", "string"),
            ("IsInteractive", "bool"),
            ("IsRisky", "bool"),
            ("IsTenantRestricted", "bool"),
            ("IsThroughGlobalSecureAccess", "bool"),
            ("Level", "string"),
            ("Location", "string"),
            ("LocationDetails", "dynamic"),
            ("MfaDetail", "dynamic"),
            ("NetworkLocationDetails", "string"),
            ("OperationName", "string"),
            ("OperationVersion", "string"),
            ("OriginalRequestId", "string"),
            ("OriginalTransferMethod", "string"),
            ("ProcessingTimeInMilliseconds", "string"),
            ("Resource", "string"),
            ("ResourceDisplayName", "string"),
            ("ResourceGroup", "string"),
            ("ResourceId", "string"),
            ("ResourceIdentity", "string"),
            ("ResourceOwnerTenantId", "string"),
            ("ResourceProvider", "string"),
            ("ResourceServicePrincipalId", "string"),
            ("ResourceTenantId", "string"),
            ("ResultDescription", "string"),
            ("ResultSignature", "string"),
            ("ResultType", "string"),
            ("RiskDetail", "string"),
            ("RiskEventTypes", "string"),
            ("RiskEventTypes_V2", "string"),
            ("RiskLevel", "string"),
            ("RiskLevelAggregated", "string"),
            ("RiskLevelDuringSignIn", "string"),
            ("RiskState", "string"),
            ("RootActorID", "string"),
            ("ServicePrincipalId", "string"),
            ("ServicePrincipalName", "string"),
            ("SessionId", "string"),
            ("SessionLifetimePolicies", "string"),
            ("SignInIdentifier", "string"),
            ("SignInIdentifierType", "string"),
            ("SourceAppClientId", "string"),
            ("SourceSystem", "string"),
            ("Status", "dynamic"),
            ("TimeGenerated", "datetime"),
            ("TokenIssuerName", "string"),
            ("TokenIssuerType", "string"),
            ("TokenProtectionStatusDetails", "dynamic"),
            ("Type", "string"),
            ("UniqueTokenIdentifier", "string"),
            ("UserAgent", "string"),
            ("UserDisplayName", "string"),
            ("UserId", "string"),
            ("UserPrincipalName", "string"),
            ("UserType", "string"),
        ],
    },
    // AADNonInteractiveUserSignInLogs: 83 columns.
    // Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadnoninteractiveusersigninlogs
    // (column list taken from a public mirror of that page, oshezaf/sentinelninja,
    // "Solutions Docs/tables/aadnoninteractiveusersigninlogs.md"; put back in the
    // reference's order: case-insensitive, leading underscore ignored).
    TableColumns {
        name: "AADNonInteractiveUserSignInLogs",
        columns: &[
            ("AADTenantId", "string"),
            ("Agent", "string"),
            ("AlternateSignInName", "string"),
            ("AppDisplayName", "string"),
            ("AppId", "string"),
            ("AppliedEventListeners", "dynamic"),
            ("AppOwnerTenantId", "string"),
            ("AuthenticationContextClassReferences", "string"),
            ("AuthenticationDetails", "string"),
            ("AuthenticationMethodsUsed", "string"),
            ("AuthenticationProcessingDetails", "string"),
            ("AuthenticationProtocol", "string"),
            ("AuthenticationRequirement", "string"),
            ("AuthenticationRequirementPolicies", "string"),
            ("AutonomousSystemNumber", "string"),
            ("_BilledSize", "real"),
            ("Category", "string"),
            ("ClientAppUsed", "string"),
            ("ClientCredentialType", "string"),
            ("ConditionalAccessPolicies", "string"),
            ("ConditionalAccessStatus", "string"),
            ("CorrelationId", "string"),
            ("CreatedDateTime", "datetime"),
            ("CrossTenantAccessType", "string"),
            ("DeviceDetail", "string"),
            ("DurationMs", "long"),
            ("FederatedCredentialId", "string"),
            ("GlobalSecureAccessIpAddress", "string"),
            ("HomeTenantId", "string"),
            ("HomeTenantName", "string"),
            ("Id", "string"),
            ("Identity", "string"),
            ("IncomingTokenType", "string"),
            ("IPAddress", "string"),
            ("_IsBillable", "string"),
            ("IsInteractive", "bool"),
            ("IsRisky", "bool"),
            ("IsTenantRestricted", "bool"),
            ("IsThroughGlobalSecureAccess", "bool"),
            ("Level", "string"),
            ("Location", "string"),
            ("LocationDetails", "string"),
            ("MfaDetail", "string"),
            ("NetworkLocationDetails", "string"),
            ("OperationName", "string"),
            ("OperationVersion", "string"),
            ("OriginalRequestId", "string"),
            ("OriginalTransferMethod", "string"),
            ("ProcessingTimeInMs", "string"),
            ("ResourceDisplayName", "string"),
            ("ResourceGroup", "string"),
            ("ResourceIdentity", "string"),
            ("ResourceOwnerTenantId", "string"),
            ("ResourceServicePrincipalId", "string"),
            ("ResourceTenantId", "string"),
            ("ResultDescription", "string"),
            ("ResultSignature", "string"),
            ("ResultType", "string"),
            ("RiskDetail", "string"),
            ("RiskEventTypes", "string"),
            ("RiskEventTypes_V2", "string"),
            ("RiskLevelAggregated", "string"),
            ("RiskLevelDuringSignIn", "string"),
            ("RiskState", "string"),
            ("ServicePrincipalId", "string"),
            ("SessionId", "string"),
            ("SessionLifetimePolicies", "string"),
            ("SignInEventTypes", "string"),
            ("SignInIdentifierType", "string"),
            ("SourceSystem", "string"),
            ("Status", "string"),
            ("TenantId", "string"),
            ("TimeGenerated", "datetime"),
            ("TokenIssuerName", "string"),
            ("TokenIssuerType", "string"),
            ("TokenProtectionStatusDetails", "string"),
            ("Type", "string"),
            ("UniqueTokenIdentifier", "string"),
            ("UserAgent", "string"),
            ("UserDisplayName", "string"),
            ("UserId", "string"),
            ("UserPrincipalName", "string"),
            ("UserType", "string"),
        ],
    },
    // AADServicePrincipalSignInLogs: 46 columns.
    // Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadserviceprincipalsigninlogs
    TableColumns {
        name: "AADServicePrincipalSignInLogs",
        columns: &[
            ("AADTenantId", "string"),
            ("Agent", "string"),
            ("AppId", "string"),
            ("AppOwnerTenantId", "string"),
            ("AuthenticationContextClassReferences", "string"),
            ("AuthenticationProcessingDetails", "string"),
            ("AutonomousSystemNumber", "string"),
            ("_BilledSize", "real"),
            ("Category", "string"),
            ("ClientCredentialType", "string"),
            ("ConditionalAccessAudiences", "string"),
            ("ConditionalAccessPolicies", "string"),
            ("ConditionalAccessStatus", "string"),
            ("CorrelationId", "string"),
            ("CreatedDateTime", "datetime"),
            ("DurationMs", "long"),
            ("FederatedCredentialId", "string"),
            ("Id", "string"),
            ("Identity", "string"),
            ("IPAddress", "string"),
            ("_IsBillable", "string"),
            ("Level", "string"),
            ("Location", "string"),
            ("LocationDetails", "string"),
            ("NetworkLocationDetails", "string"),
            ("OperationName", "string"),
            ("OperationVersion", "string"),
            ("ResourceDisplayName", "string"),
            ("ResourceGroup", "string"),
            ("ResourceIdentity", "string"),
            ("ResourceOwnerTenantId", "string"),
            ("ResourceServicePrincipalId", "string"),
            ("ResultDescription", "string"),
            ("ResultSignature", "string"),
            ("ResultType", "string"),
            ("ServicePrincipalCredentialKeyId", "string"),
            ("ServicePrincipalCredentialThumbprint", "string"),
            ("ServicePrincipalId", "string"),
            ("ServicePrincipalName", "string"),
            ("SessionId", "string"),
            ("SourceSystem", "string"),
            ("TenantId", "string"),
            ("TimeGenerated", "datetime"),
            ("Type", "string"),
            ("UniqueTokenIdentifier", "string"),
            ("UserAgent", "string"),
        ],
    },
    // AADManagedIdentitySignInLogs: 46 columns.
    // Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aadmanagedidentitysigninlogs
    // (column list taken from a public mirror of that page, oshezaf/sentinelninja,
    // "Solutions Docs/tables/aadmanagedidentitysigninlogs.md"; put back in the
    // reference's order).
    TableColumns {
        name: "AADManagedIdentitySignInLogs",
        columns: &[
            ("AADTenantId", "string"),
            ("Agent", "string"),
            ("AppId", "string"),
            ("AppOwnerTenantId", "string"),
            ("AuthenticationContextClassReferences", "string"),
            ("AuthenticationProcessingDetails", "string"),
            ("_BilledSize", "real"),
            ("Category", "string"),
            ("ClientCredentialType", "string"),
            ("ConditionalAccessPolicies", "string"),
            ("ConditionalAccessStatus", "string"),
            ("CorrelationId", "string"),
            ("CreatedDateTime", "datetime"),
            ("DurationMs", "long"),
            ("FederatedCredentialId", "string"),
            ("Id", "string"),
            ("Identity", "string"),
            ("IPAddress", "string"),
            ("_IsBillable", "string"),
            ("Level", "string"),
            ("Location", "string"),
            ("LocationDetails", "string"),
            ("ManagedServiceIdentity", "string"),
            ("NetworkLocationDetails", "string"),
            ("OperationName", "string"),
            ("OperationVersion", "string"),
            ("ResourceDisplayName", "string"),
            ("ResourceGroup", "string"),
            ("ResourceIdentity", "string"),
            ("ResourceOwnerTenantId", "string"),
            ("ResourceServicePrincipalId", "string"),
            ("ResultDescription", "string"),
            ("ResultSignature", "string"),
            ("ResultType", "string"),
            ("ServicePrincipalCredentialKeyId", "string"),
            ("ServicePrincipalCredentialThumbprint", "string"),
            ("ServicePrincipalId", "string"),
            ("ServicePrincipalName", "string"),
            ("SessionId", "string"),
            ("SourceAppClientId", "string"),
            ("SourceSystem", "string"),
            ("TenantId", "string"),
            ("TimeGenerated", "datetime"),
            ("Type", "string"),
            ("UniqueTokenIdentifier", "string"),
            ("UserAgent", "string"),
        ],
    },
    // AuditLogs: 31 columns.
    // Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/auditlogs
    TableColumns {
        name: "AuditLogs",
        columns: &[
            ("AADOperationType", "string"),
            ("AADTenantId", "string"),
            ("ActivityDateTime", "datetime"),
            ("ActivityDisplayName", "string"),
            ("AdditionalDetails", "dynamic"),
            ("_BilledSize", "real"),
            ("Category", "string"),
            ("CorrelationId", "string"),
            ("DurationMs", "long"),
            ("Id", "string"),
            ("Identity", "string"),
            ("InitiatedBy", "dynamic"),
            ("_IsBillable", "string"),
            ("Level", "string"),
            ("Location", "string"),
            ("LoggedByService", "string"),
            ("OperationName", "string"),
            ("OperationVersion", "string"),
            ("Resource", "string"),
            ("ResourceGroup", "string"),
            ("ResourceId", "string"),
            ("ResourceProvider", "string"),
            ("Result", "string"),
            ("ResultDescription", "string"),
            ("ResultReason", "string"),
            ("ResultSignature", "string"),
            ("ResultType", "string"),
            ("SourceSystem", "string"),
            ("TargetResources", "dynamic"),
            ("TimeGenerated", "datetime"),
            ("Type", "string"),
        ],
    },
    // AADUserRiskEvents: 27 columns.
    // Source: https://learn.microsoft.com/en-us/azure/azure-monitor/reference/tables/aaduserriskevents
    TableColumns {
        name: "AADUserRiskEvents",
        columns: &[
            ("Activity", "string"),
            ("ActivityDateTime", "datetime"),
            ("AdditionalInfo", "dynamic"),
            ("_BilledSize", "real"),
            ("CorrelationId", "string"),
            ("DetectedDateTime", "datetime"),
            ("DetectionTimingType", "string"),
            ("Id", "string"),
            ("IpAddress", "string"),
            ("_IsBillable", "string"),
            ("LastUpdatedDateTime", "datetime"),
            ("Location", "dynamic"),
            ("OperationName", "string"),
            ("RequestId", "string"),
            ("RiskDetail", "string"),
            ("RiskEventType", "string"),
            ("RiskLevel", "string"),
            ("RiskState", "string"),
            ("Source", "string"),
            ("SourceSystem", "string"),
            ("TenantId", "string"),
            ("TimeGenerated", "datetime"),
            ("TokenIssuerType", "string"),
            ("Type", "string"),
            ("UserDisplayName", "string"),
            ("UserId", "string"),
            ("UserPrincipalName", "string"),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOWED_TYPES: &[&str] = &[
        "bool", "int", "long", "real", "string", "datetime", "timespan", "guid", "dynamic",
    ];

    fn table(name: &str) -> &'static TableColumns {
        TABLES
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("table {name} missing"))
    }

    fn column_type(table_name: &str, column: &str) -> &'static str {
        table(table_name)
            .columns
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, t)| *t)
            .unwrap_or_else(|| panic!("column {table_name}.{column} missing"))
    }

    /// Sort key the reference pages use: case-insensitive, leading underscores ignored.
    fn reference_key(column: &str) -> String {
        column.trim_start_matches('_').to_ascii_lowercase()
    }

    #[test]
    fn all_expected_tables_present_once() {
        let expected = [
            "SigninLogs",
            "AADNonInteractiveUserSignInLogs",
            "AADServicePrincipalSignInLogs",
            "AADManagedIdentitySignInLogs",
            "AuditLogs",
            "AADUserRiskEvents",
        ];
        assert_eq!(TABLES.len(), expected.len());
        for name in expected {
            assert_eq!(
                TABLES.iter().filter(|t| t.name == name).count(),
                1,
                "{name}"
            );
        }
    }

    #[test]
    fn no_duplicate_columns() {
        for t in TABLES {
            for (i, (c, _)) in t.columns.iter().enumerate() {
                assert!(
                    !t.columns[i + 1..].iter().any(|(other, _)| other == c),
                    "duplicate column {}.{}",
                    t.name,
                    c
                );
            }
        }
    }

    #[test]
    fn type_names_are_kql_types() {
        for t in TABLES {
            for (c, ty) in t.columns {
                assert!(
                    ALLOWED_TYPES.contains(ty),
                    "{}.{} has type {}",
                    t.name,
                    c,
                    ty
                );
            }
        }
    }

    #[test]
    fn columns_are_in_reference_order() {
        for t in TABLES {
            for pair in t.columns.windows(2) {
                assert!(
                    reference_key(pair[0].0) < reference_key(pair[1].0),
                    "{}: {} should come before {}",
                    t.name,
                    pair[0].0,
                    pair[1].0
                );
            }
        }
    }

    #[test]
    fn every_table_has_standard_columns() {
        for t in TABLES {
            assert_eq!(
                column_type(t.name, "TimeGenerated"),
                "datetime",
                "{}",
                t.name
            );
            assert_eq!(column_type(t.name, "Type"), "string", "{}", t.name);
        }
    }

    #[test]
    fn signinlogs_result_type_is_string() {
        assert_eq!(column_type("SigninLogs", "ResultType"), "string");
    }

    #[test]
    fn signinlogs_query_columns() {
        let expected = [
            ("TimeGenerated", "datetime"),
            ("ResultType", "string"),
            ("LocationDetails", "dynamic"),
            ("ClientAppUsed", "string"),
            ("RiskLevelDuringSignIn", "string"),
            ("AuthenticationRequirement", "string"),
            ("ConditionalAccessStatus", "string"),
            ("UserPrincipalName", "string"),
            ("UserId", "string"),
            ("AppDisplayName", "string"),
            ("IPAddress", "string"),
            ("UserAgent", "string"),
            ("CorrelationId", "string"),
        ];
        for (c, ty) in expected {
            assert_eq!(column_type("SigninLogs", c), ty, "SigninLogs.{c}");
        }
    }

    #[test]
    fn service_principal_query_columns() {
        let expected = [
            ("TimeGenerated", "datetime"),
            ("ResultType", "string"),
            ("IPAddress", "string"),
            ("ServicePrincipalName", "string"),
            ("ServicePrincipalId", "string"),
            ("AppId", "string"),
        ];
        for (c, ty) in expected {
            assert_eq!(
                column_type("AADServicePrincipalSignInLogs", c),
                ty,
                "AADServicePrincipalSignInLogs.{c}"
            );
        }
    }

    #[test]
    fn published_column_counts() {
        let counts = [
            ("SigninLogs", 97),
            ("AADNonInteractiveUserSignInLogs", 83),
            ("AADServicePrincipalSignInLogs", 46),
            ("AADManagedIdentitySignInLogs", 46),
            ("AuditLogs", 31),
            ("AADUserRiskEvents", 27),
        ];
        for (name, n) in counts {
            assert_eq!(table(name).columns.len(), n, "{name}");
        }
    }
}
