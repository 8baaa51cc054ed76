//! Turns event arrays into engine tables with every column of the published
//! schema, building typed vectors and dictionary codes directly.
//!
//! Columns Sentinel types as `dynamic` get shared trees (one `LocationDetails`
//! per city, one `DeviceDetail` per device, ...), cloned by reference count;
//! the same columns typed `string` in the other sign-in tables get the
//! compact JSON text of those trees, dictionary-encoded. Columns without a
//! model get empty strings, `false`, `0` or nulls.

use std::sync::Arc;

use kqlite_engine::column::{StringArray, StringColumn};
use kqlite_engine::table::TableError;
use kqlite_engine::time::TICKS_PER_DAY;
use kqlite_engine::{Column, ColumnData, DataType, Dynamic, Table};
use rustc_hash::FxHashMap;

use crate::columns::{
    bag, bool_column, const_string, darray, datetime_column, default_column, dict_column,
    dict_column_of, dstr, dynamic_column, guid_column, guid_text, json_text, token_column,
};
use crate::events::{
    AuditEvents, MiSignins, RiskEvents, SpSignins, UserSignins, CA_STATUS, RISK_PROFILES,
};
use crate::reference::{
    self, City, APPS, CITIES, CLIENT_APPS, DEVICE_KINDS, RESULTS, SP_RESOURCES, SP_RESULTS,
};
use crate::rng::Rng;
use crate::tenant::Tenant;

/// Codes from a slice of small integers.
fn codes<T: Copy + Into<u32>>(v: &[T]) -> Vec<u32> {
    v.iter().map(|&x| x.into()).collect()
}

fn u16_codes(v: &[u16]) -> Vec<u32> {
    v.iter().map(|&x| u32::from(x)).collect()
}

/// A column of JSON-shaped values: shared trees when `ty` is dynamic, their
/// JSON text otherwise.
fn shaped(ty: DataType, codes: &[u32], values: &[Dynamic]) -> Column {
    if ty == DataType::Dynamic {
        dynamic_column(codes, values)
    } else {
        let texts: Vec<String> = values.iter().map(json_text).collect();
        dict_column_of(codes, &texts)
    }
}

/// A constant JSON-shaped column.
fn shaped_const(ty: DataType, len: usize, value: &Dynamic) -> Column {
    shaped(ty, &vec![0; len], std::slice::from_ref(value))
}

/// `LocationDetails` of a city.
pub(crate) fn location_details(c: &City) -> Dynamic {
    bag(vec![
        ("city", dstr(c.city)),
        ("state", dstr(c.state)),
        ("countryOrRegion", dstr(c.country)),
        (
            "geoCoordinates",
            bag(vec![
                ("latitude", Dynamic::Real(c.latitude)),
                ("longitude", Dynamic::Real(c.longitude)),
            ]),
        ),
    ])
}

fn locations() -> Vec<Dynamic> {
    CITIES.iter().map(location_details).collect()
}

/// `_BilledSize` derived from the row id, 2.5–9 kB.
fn billed_sizes(ids: &[u128], base: f64) -> Column {
    Column::new(ColumnData::Real(
        ids.iter()
            .map(|&g| base + ((g >> 7) % 6_500) as f64)
            .collect(),
    ))
}

/// A guid column of values derived per code, e.g. a resource's service
/// principal id in this tenant.
fn derived_guids(seed: u64, prefix: &str, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| guid_text(Rng::stream(seed, &format!("{prefix}/{n}")).guid()))
        .collect()
}

/// Assembles a table in schema order from a column producer, sharing the
/// column of `alias`'s target where the schema repeats a value.
fn assemble(
    schema: &[(String, DataType)],
    len: usize,
    aliases: &[(&str, &str)],
    mut make: impl FnMut(&str, DataType) -> Option<Column>,
) -> Result<Table, TableError> {
    let mut built: Vec<Option<Arc<Column>>> = vec![None; schema.len()];
    let alias_of = |name: &str| aliases.iter().find(|(a, _)| *a == name).map(|(_, t)| *t);
    for (slot, (name, ty)) in built.iter_mut().zip(schema) {
        if alias_of(name).is_none() {
            let col = make(name, *ty).unwrap_or_else(|| default_column(*ty, len));
            *slot = Some(Arc::new(col));
        }
    }
    let mut out = Vec::with_capacity(schema.len());
    for (i, (name, ty)) in schema.iter().enumerate() {
        let col = match built.get(i).cloned().flatten() {
            Some(c) => c,
            None => {
                let shared = alias_of(name).and_then(|target| {
                    schema
                        .iter()
                        .position(|(n, t)| n == target && t == ty)
                        .and_then(|j| built.get(j).cloned().flatten())
                });
                match shared {
                    Some(c) => c,
                    None => Arc::new(make(name, *ty).unwrap_or_else(|| default_column(*ty, len))),
                }
            }
        };
        out.push((name.clone(), col));
    }
    Table::try_new(out)
}

/// SigninLogs or AADNonInteractiveUserSignInLogs from user sign-ins.
pub(crate) fn user_signin_table(
    table: &str,
    schema: &[(String, DataType)],
    ev: &UserSignins,
    tenant: &Tenant,
    seed: u64,
) -> Result<Table, TableError> {
    let n = ev.len();
    let tenant_id = guid_text(tenant.tenant_id);
    let user_codes: Vec<u32> = ev.user.clone();
    let app_codes = codes(&ev.app);
    let city_codes = u16_codes(&ev.city);
    let result_codes = codes(&ev.result);
    let risk_codes = codes(&ev.risk);
    let mfa_codes: Vec<u32> = ev.multi_factor.iter().map(|&m| u32::from(m)).collect();
    let interactive_table = table == "SigninLogs";
    let aliases: &[(&str, &str)] = &[
        ("CreatedDateTime", "TimeGenerated"),
        ("OriginalRequestId", "Id"),
        ("AlternateSignInName", "UserPrincipalName"),
        ("SignInIdentifier", "UserPrincipalName"),
        ("Identity", "UserDisplayName"),
        ("RiskLevelAggregated", "RiskLevelDuringSignIn"),
        ("RiskEventTypes_V2", "RiskEventTypes"),
        ("HomeTenantId", "AADTenantId"),
        ("ResourceTenantId", "AADTenantId"),
        ("ResourceOwnerTenantId", "AppOwnerTenantId"),
        ("ResourceGroup", "ResourceProvider"),
    ];
    let make = |name: &str, ty: DataType| -> Option<Column> {
        Some(match name {
            "AADTenantId" | "HomeTenantId" | "ResourceTenantId" | "TenantId" => {
                const_string(&tenant_id, n)
            }
            "UserPrincipalName" | "AlternateSignInName" | "SignInIdentifier" => {
                let v: StringArray = tenant.users.iter().map(|u| u.upn.as_str()).collect();
                dict_column(&user_codes, &v)
            }
            "UserDisplayName" | "Identity" => {
                let v: StringArray = tenant.users.iter().map(|u| u.display_name.as_str()).collect();
                dict_column(&user_codes, &v)
            }
            "UserId" => {
                let v: Vec<String> = tenant.users.iter().map(|u| guid_text(u.id)).collect();
                dict_column_of(&user_codes, &v)
            }
            "UserType" => const_string("Member", n),
            "AppDisplayName" => dict_column(&app_codes, &APPS.iter().map(|a| a.name).collect()),
            "AppId" => dict_column(&app_codes, &APPS.iter().map(|a| a.app_id).collect()),
            "AppOwnerTenantId" | "ResourceOwnerTenantId" => {
                const_string(reference::MICROSOFT_TENANT, n)
            }
            "ResourceDisplayName" => {
                dict_column(&app_codes, &APPS.iter().map(|a| a.resource).collect())
            }
            "ResourceIdentity" => {
                dict_column(&app_codes, &APPS.iter().map(|a| a.resource_id).collect())
            }
            "ResourceServicePrincipalId" => {
                let names: Vec<&str> = APPS.iter().map(|a| a.resource_id).collect();
                dict_column_of(&app_codes, &derived_guids(seed, "resource-sp", &names))
            }
            "Resource" | "ResourceProvider" | "ResourceGroup" => const_string("Microsoft.aadiam", n),
            "ResourceId" => const_string(
                &format!("/tenants/{tenant_id}/providers/Microsoft.aadiam"),
                n,
            ),
            "AuthenticationRequirement" => dict_column(
                &mfa_codes,
                &["singleFactorAuthentication", "multiFactorAuthentication"]
                    .into_iter()
                    .collect(),
            ),
            "AuthenticationRequirementPolicies" => dict_column(
                &mfa_codes,
                &[
                    "[]",
                    "[{\"requirementProvider\":\"multiConditionalAccess\",\"detail\":\"Conditional Access\"}]",
                ]
                .into_iter()
                .collect(),
            ),
            "AuthenticationDetails" => {
                let ok: Vec<u32> = ev
                    .result
                    .iter()
                    .zip(&ev.multi_factor)
                    .map(|(&r, &m)| u32::from(r == 0) * 2 + u32::from(m))
                    .collect();
                let password = |ok: bool| {
                    format!(
                        "{{\"authenticationMethod\":\"Password\",\"succeeded\":{ok},\"authenticationStepResultDetail\":\"{}\"}}",
                        if ok { "Correct password" } else { "Invalid username or password or Invalid on-premise username or password." }
                    )
                };
                let mfa = "{\"authenticationMethod\":\"Mobile app notification\",\"succeeded\":true,\"authenticationStepResultDetail\":\"MFA successfully completed\"}";
                let texts = vec![
                    format!("[{}]", password(false)),
                    format!("[{}]", password(true)),
                    format!("[{}]", password(true)),
                    format!("[{},{mfa}]", password(true)),
                ];
                dict_column_of(&ok, &texts)
            }
            "AuthenticationProcessingDetails" => const_string(
                "[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"False\"}]",
                n,
            ),
            "AuthenticationProtocol" | "ClientCredentialType" | "CrossTenantAccessType"
            | "IncomingTokenType" | "OriginalTransferMethod" => const_string("none", n),
            "AutonomousSystemNumber" => {
                let v: Vec<String> = tenant.ip_asn.iter().map(|a| a.to_string()).collect();
                dict_column_of(&ev.ip, &v)
            }
            "_BilledSize" => billed_sizes(&ev.id, 2_500.0),
            "_IsBillable" => const_string("True", n),
            "Category" => const_string(
                if interactive_table { "SignInLogs" } else { "NonInteractiveUserSignInLogs" },
                n,
            ),
            "ClientAppUsed" => {
                dict_column(&codes(&ev.client), &CLIENT_APPS.iter().map(|c| c.0).collect())
            }
            "ConditionalAccessStatus" => dict_column(&codes(&ev.ca), &CA_STATUS.into_iter().collect()),
            "ConditionalAccessPolicies" => {
                let policy = |result: &str| {
                    darray(vec![
                        bag(vec![
                            ("id", dstr("6b3f9b0a-5d2e-4c7f-9a61-2f0d8e4c1a11")),
                            ("displayName", dstr("Require MFA for all users")),
                            ("enforcedGrantControls", darray(vec![dstr("Mfa")])),
                            ("enforcedSessionControls", darray(vec![])),
                            ("result", dstr(result)),
                        ]),
                        bag(vec![
                            ("id", dstr("0c8f2e57-1b4d-4e3a-8f6c-7d9a2b5e3c22")),
                            ("displayName", dstr("Block legacy authentication")),
                            ("enforcedGrantControls", darray(vec![dstr("Block")])),
                            ("enforcedSessionControls", darray(vec![])),
                            ("result", dstr(if result == "failure" { "failure" } else { "notApplied" })),
                        ]),
                    ])
                };
                let values = [policy("success"), policy("failure"), policy("notApplied")];
                shaped(ty, &codes(&ev.ca), &values)
            }
            "CorrelationId" => guid_column(&ev.correlation),
            "TimeGenerated" | "CreatedDateTime" => datetime_column(ev.time.clone()),
            "DeviceDetail" => {
                let values: Vec<Dynamic> = tenant
                    .devices
                    .iter()
                    .map(|d| {
                        let kind = DEVICE_KINDS.get(d.kind);
                        bag(vec![
                            ("deviceId", dstr(&d.device_id.map(guid_text).unwrap_or_default())),
                            ("displayName", dstr(&d.display_name)),
                            ("operatingSystem", dstr(kind.map_or("", |k| k.os))),
                            ("browser", dstr(kind.map_or("", |k| k.browser))),
                            ("isCompliant", Dynamic::Bool(d.compliant)),
                            ("isManaged", Dynamic::Bool(d.managed)),
                            ("trustType", dstr(d.trust_type)),
                        ])
                    })
                    .collect();
                shaped(ty, &ev.device, &values)
            }
            "Id" | "OriginalRequestId" => guid_column(&ev.id),
            "IPAddress" => dict_column(&ev.ip, tenant.ips.strings()),
            "IsInteractive" => bool_column(ev.interactive.clone()),
            "IsRisky" => bool_column(ev.risk.iter().map(|&r| r != 0).collect()),
            "Level" => const_string("4", n),
            "Location" => dict_column(&city_codes, &CITIES.iter().map(|c| c.country).collect()),
            "LocationDetails" => shaped(ty, &city_codes, &locations()),
            "MfaDetail" => {
                let values = [
                    bag(vec![]),
                    bag(vec![
                        ("authMethod", dstr("Mobile app notification")),
                        ("authDetail", Dynamic::Null),
                    ]),
                ];
                shaped(ty, &mfa_codes, &values)
            }
            "NetworkLocationDetails" | "SessionLifetimePolicies" | "AppliedConditionalAccessPolicies"
            | "AuthenticationContextClassReferences" => const_string("[]", n),
            "OperationName" => const_string("Sign-in activity", n),
            "OperationVersion" => const_string("1.0", n),
            "ProcessingTimeInMilliseconds" | "ProcessingTimeInMs" => {
                let texts: Vec<String> = (0..240).map(|i| (40 + i).to_string()).collect();
                let c: Vec<u32> = ev.id.iter().map(|&g| ((g >> 40) % 240) as u32).collect();
                dict_column_of(&c, &texts)
            }
            "ResultType" => dict_column(&result_codes, &RESULTS.iter().map(|r| r.0).collect()),
            "ResultDescription" => {
                dict_column(&result_codes, &RESULTS.iter().map(|r| r.1).collect())
            }
            "ResultSignature" => const_string("None", n),
            "RiskDetail" => const_string("none", n),
            "RiskLevelDuringSignIn" | "RiskLevelAggregated" => {
                dict_column(&risk_codes, &RISK_PROFILES.iter().map(|r| r.0).collect())
            }
            "RiskState" => dict_column(&risk_codes, &RISK_PROFILES.iter().map(|r| r.1).collect()),
            "RiskEventTypes" | "RiskEventTypes_V2" => {
                dict_column(&risk_codes, &RISK_PROFILES.iter().map(|r| r.2).collect())
            }
            "SessionId" => session_ids(ev, seed),
            "SignInEventTypes" => const_string("[\"nonInteractiveUser\"]", n),
            "SourceSystem" => const_string("Azure AD", n),
            "Status" => {
                let values: Vec<Dynamic> = RESULTS
                    .iter()
                    .map(|r| {
                        let code = r.0.parse::<i64>().unwrap_or(0);
                        if code == 0 {
                            bag(vec![("errorCode", Dynamic::Long(0))])
                        } else {
                            bag(vec![
                                ("errorCode", Dynamic::Long(code)),
                                ("failureReason", dstr(r.1)),
                                ("additionalDetails", dstr("")),
                            ])
                        }
                    })
                    .collect();
                shaped(ty, &result_codes, &values)
            }
            "TokenIssuerType" => const_string("AzureAD", n),
            "TokenProtectionStatusDetails" => shaped_const(
                ty,
                n,
                &bag(vec![
                    ("signInSessionStatus", dstr("unbound")),
                    ("signInSessionStatusCode", Dynamic::Long(1002)),
                ]),
            ),
            "Type" => const_string(table, n),
            "UniqueTokenIdentifier" => token_column(&ev.id),
            "UserAgent" => dict_column(&ev.agent, tenant.agents.strings()),
            _ => return None,
        })
    };
    assemble(schema, n, aliases, make)
}

/// `SessionId`: one session per user per day, first-seen dictionary order.
fn session_ids(ev: &UserSignins, seed: u64) -> Column {
    let mut index: FxHashMap<u64, u32> = FxHashMap::default();
    let mut dict = StringArray::default();
    let mut out = Vec::with_capacity(ev.len());
    for (&user, &time) in ev.user.iter().zip(&ev.time) {
        let key = (u64::from(user) << 24) ^ (time.div_euclid(TICKS_PER_DAY) as u64);
        let code = *index.entry(key).or_insert_with(|| {
            let mut rng = crate::rng::Rng::new(seed ^ key.rotate_left(29) ^ 0x5E55_10A1);
            dict.push(&guid_text(rng.guid()));
            (dict.len() - 1) as u32
        });
        out.push(code);
    }
    Column::new(ColumnData::String(StringColumn::Dict {
        codes: out,
        dict: Arc::new(dict),
    }))
}

/// AADServicePrincipalSignInLogs from service principal sign-ins.
pub(crate) fn sp_signin_table(
    schema: &[(String, DataType)],
    ev: &SpSignins,
    tenant: &Tenant,
    seed: u64,
) -> Result<Table, TableError> {
    let n = ev.len();
    let tenant_id = guid_text(tenant.tenant_id);
    let sps = &tenant.service_principals;
    let resource_codes = codes(&ev.resource);
    let result_codes = codes(&ev.result);
    let ip_cities: Vec<u32> = ev
        .ip
        .iter()
        .map(|&ip| tenant.ip_city.get(ip as usize).map_or(0, |&c| u32::from(c)))
        .collect();
    let aliases: &[(&str, &str)] = &[
        ("CreatedDateTime", "TimeGenerated"),
        ("Identity", "ServicePrincipalName"),
        ("AppOwnerTenantId", "AADTenantId"),
        ("TenantId", "AADTenantId"),
        ("ResourceGroup", "ResourceProvider"),
    ];
    let make = |name: &str, ty: DataType| -> Option<Column> {
        Some(match name {
            "AADTenantId" | "TenantId" | "AppOwnerTenantId" => const_string(&tenant_id, n),
            "ServicePrincipalName" | "Identity" => {
                let v: StringArray = sps.iter().map(|s| s.name.as_str()).collect();
                dict_column(&ev.sp, &v)
            }
            "AppId" => dict_column_of(&ev.sp, &sps.iter().map(|s| guid_text(s.app_id)).collect::<Vec<_>>()),
            "ServicePrincipalId" => dict_column_of(
                &ev.sp,
                &sps.iter().map(|s| guid_text(s.object_id)).collect::<Vec<_>>(),
            ),
            "ServicePrincipalCredentialKeyId" => guid_column(&ev.key_id),
            "IPAddress" => dict_column(&ev.ip, tenant.ips.strings()),
            "AutonomousSystemNumber" => {
                let v: Vec<String> = tenant.ip_asn.iter().map(|a| a.to_string()).collect();
                dict_column_of(&ev.ip, &v)
            }
            "Location" => dict_column(&ip_cities, &CITIES.iter().map(|c| c.country).collect()),
            "LocationDetails" => shaped(ty, &ip_cities, &locations()),
            "Category" => const_string("ServicePrincipalSignInLogs", n),
            "ClientCredentialType" => {
                let c: Vec<u32> = ev.sp.iter().map(|&s| s % 3).collect();
                dict_column(&c, &["clientSecret", "clientAssertion", "clientSecret"].into_iter().collect())
            }
            "ConditionalAccessStatus" => const_string("notApplied", n),
            "ConditionalAccessPolicies" | "NetworkLocationDetails" | "AuthenticationContextClassReferences" => const_string("[]", n),
            "AuthenticationProcessingDetails" => const_string(
                "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"Family: MSAL Library: MSAL.Python 1.31.0 Platform: Python\"}]",
                n,
            ),
            "CorrelationId" => guid_column(&ev.correlation),
            "Id" => guid_column(&ev.id),
            "UniqueTokenIdentifier" => token_column(&ev.id),
            "TimeGenerated" | "CreatedDateTime" => datetime_column(ev.time.clone()),
            "ResourceDisplayName" => {
                dict_column(&resource_codes, &SP_RESOURCES.iter().map(|r| r.0).collect())
            }
            "ResourceIdentity" => {
                dict_column(&resource_codes, &SP_RESOURCES.iter().map(|r| r.1).collect())
            }
            "ResourceServicePrincipalId" => {
                let names: Vec<&str> = SP_RESOURCES.iter().map(|r| r.1).collect();
                dict_column_of(&resource_codes, &derived_guids(seed, "resource-sp", &names))
            }
            "ResourceOwnerTenantId" => const_string(reference::MICROSOFT_TENANT, n),
            "ResourceProvider" | "ResourceGroup" => const_string("Microsoft.aadiam", n),
            "ResultType" => dict_column(&result_codes, &SP_RESULTS.iter().map(|r| r.0).collect()),
            "ResultDescription" => {
                dict_column(&result_codes, &SP_RESULTS.iter().map(|r| r.1).collect())
            }
            "ResultSignature" => const_string("None", n),
            "_BilledSize" => billed_sizes(&ev.id, 2_000.0),
            "_IsBillable" => const_string("True", n),
            "Level" => const_string("4", n),
            "OperationName" => const_string("Sign-in activity", n),
            "OperationVersion" => const_string("1.0", n),
            "SourceSystem" => const_string("Azure AD", n),
            "Type" => const_string("AADServicePrincipalSignInLogs", n),
            _ => return None,
        })
    };
    assemble(schema, n, aliases, make)
}

/// AADManagedIdentitySignInLogs from managed identity sign-ins.
pub(crate) fn mi_signin_table(
    schema: &[(String, DataType)],
    ev: &MiSignins,
    tenant: &Tenant,
) -> Result<Table, TableError> {
    let n = ev.len();
    let tenant_id = guid_text(tenant.tenant_id);
    let mis = &tenant.managed_identities;
    let resource_codes = codes(&ev.resource);
    let result_codes = codes(&ev.result);
    let make = |name: &str, _ty: DataType| -> Option<Column> {
        Some(match name {
            "AADTenantId" | "TenantId" | "AppOwnerTenantId" => const_string(&tenant_id, n),
            "ServicePrincipalName" | "Identity" => {
                let v: StringArray = mis.iter().map(|m| m.name.as_str()).collect();
                dict_column(&ev.mi, &v)
            }
            "AppId" => dict_column_of(
                &ev.mi,
                &mis.iter().map(|m| guid_text(m.app_id)).collect::<Vec<_>>(),
            ),
            "ServicePrincipalId" => dict_column_of(
                &ev.mi,
                &mis.iter()
                    .map(|m| guid_text(m.object_id))
                    .collect::<Vec<_>>(),
            ),
            "ManagedServiceIdentity" => dict_column_of(
                &ev.mi,
                &mis.iter()
                    .map(|m| m.resource_id.clone())
                    .collect::<Vec<_>>(),
            ),
            "Category" => const_string("ManagedIdentitySignInLogs", n),
            "ClientCredentialType" => const_string("managedIdentity", n),
            "ConditionalAccessStatus" => const_string("notApplied", n),
            "ConditionalAccessPolicies"
            | "NetworkLocationDetails"
            | "AuthenticationContextClassReferences" => const_string("[]", n),
            "LocationDetails" => const_string("{}", n),
            "CorrelationId" => guid_column(&ev.correlation),
            "Id" => guid_column(&ev.id),
            "UniqueTokenIdentifier" => token_column(&ev.id),
            "TimeGenerated" | "CreatedDateTime" => datetime_column(ev.time.clone()),
            "ResourceDisplayName" => {
                dict_column(&resource_codes, &SP_RESOURCES.iter().map(|r| r.0).collect())
            }
            "ResourceIdentity" => {
                dict_column(&resource_codes, &SP_RESOURCES.iter().map(|r| r.1).collect())
            }
            "ResourceOwnerTenantId" => const_string(reference::MICROSOFT_TENANT, n),
            "ResourceProvider" | "ResourceGroup" => const_string("Microsoft.aadiam", n),
            "ResultType" => dict_column(&result_codes, &["0", "7000215"].into_iter().collect()),
            "ResultDescription" => dict_column(
                &result_codes,
                &["", "Invalid client secret provided."]
                    .into_iter()
                    .collect(),
            ),
            "ResultSignature" => const_string("None", n),
            "_BilledSize" => billed_sizes(&ev.id, 1_800.0),
            "_IsBillable" => const_string("True", n),
            "Level" => const_string("4", n),
            "OperationName" => const_string("Sign-in activity", n),
            "OperationVersion" => const_string("1.0", n),
            "SourceSystem" => const_string("Azure AD", n),
            "Type" => const_string("AADManagedIdentitySignInLogs", n),
            _ => return None,
        })
    };
    assemble(schema, n, &[], make)
}

/// AuditLogs from directory changes.
pub(crate) fn audit_table(
    schema: &[(String, DataType)],
    ev: &AuditEvents,
    tenant: &Tenant,
) -> Result<Table, TableError> {
    let rows = &ev.rows;
    let n = rows.len();
    let tenant_id = guid_text(tenant.tenant_id);
    let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
    let ids: Vec<u128> = rows.iter().map(|r| r.id).collect();
    let strings = |f: &dyn Fn(&crate::events::AuditEvent) -> &str| {
        Column::new(ColumnData::String(StringColumn::dictionary(
            rows.iter().map(f),
        )))
    };
    let make = |name: &str, _ty: DataType| -> Option<Column> {
        Some(match name {
            "AADOperationType" => strings(&|r| r.operation_type),
            "AADTenantId" => const_string(&tenant_id, n),
            "ActivityDateTime" | "TimeGenerated" => datetime_column(times.clone()),
            "ActivityDisplayName" | "OperationName" => strings(&|r| r.operation),
            "AdditionalDetails" => Column::new(ColumnData::Dynamic(
                rows.iter().map(|r| r.additional.clone()).collect(),
            )),
            "InitiatedBy" => Column::new(ColumnData::Dynamic(
                rows.iter().map(|r| r.initiated_by.clone()).collect(),
            )),
            "TargetResources" => Column::new(ColumnData::Dynamic(
                rows.iter().map(|r| r.targets.clone()).collect(),
            )),
            "Identity" => {
                let names: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        let user = r.initiated_by.get("user").get("userPrincipalName");
                        let app = r.initiated_by.get("app").get("displayName");
                        match (user, app) {
                            (Dynamic::String(s), _) | (_, Dynamic::String(s)) => s.to_string(),
                            _ => String::new(),
                        }
                    })
                    .collect();
                Column::new(ColumnData::String(StringColumn::dictionary(
                    names.iter().map(String::as_str),
                )))
            }
            "_BilledSize" => billed_sizes(&ids, 3_000.0),
            "_IsBillable" => const_string("True", n),
            "Category" => strings(&|r| r.category),
            "CorrelationId" => guid_column(&rows.iter().map(|r| r.correlation).collect::<Vec<_>>()),
            "Id" => {
                let mut a = StringArray::with_capacity(n, n * 46);
                for r in rows {
                    a.push(&format!("Directory_{}", guid_text(r.id)));
                }
                Column::new(ColumnData::String(StringColumn::Plain(a)))
            }
            "Level" => const_string("4", n),
            "LoggedByService" => strings(&|r| r.service),
            "OperationVersion" => const_string("1.0", n),
            "Resource" | "ResourceProvider" | "ResourceGroup" => {
                const_string("Microsoft.aadiam", n)
            }
            "ResourceId" => const_string(
                &format!("/tenants/{tenant_id}/providers/Microsoft.aadiam"),
                n,
            ),
            "Result" => strings(&|r| if r.success { "success" } else { "failure" }),
            "ResultSignature" => const_string("None", n),
            "SourceSystem" => const_string("Azure AD", n),
            "Type" => const_string("AuditLogs", n),
            _ => return None,
        })
    };
    assemble(schema, n, &[], make)
}

/// AADUserRiskEvents from risk detections.
pub(crate) fn risk_table(
    schema: &[(String, DataType)],
    ev: &RiskEvents,
    tenant: &Tenant,
) -> Result<Table, TableError> {
    let rows = &ev.rows;
    let n = rows.len();
    let tenant_id = guid_text(tenant.tenant_id);
    let times: Vec<i64> = rows.iter().map(|r| r.time).collect();
    let users: Vec<u32> = rows.iter().map(|r| r.user).collect();
    let cities: Vec<u32> = rows.iter().map(|r| u32::from(r.city)).collect();
    let ips: Vec<u32> = rows.iter().map(|r| r.ip).collect();
    let strings = |f: &dyn Fn(&crate::events::RiskEvent) -> &str| {
        Column::new(ColumnData::String(StringColumn::dictionary(
            rows.iter().map(f),
        )))
    };
    let make = |name: &str, ty: DataType| -> Option<Column> {
        Some(match name {
            "Activity" => const_string("signin", n),
            "ActivityDateTime" | "DetectedDateTime" | "TimeGenerated" => {
                datetime_column(times.clone())
            }
            "LastUpdatedDateTime" => datetime_column(
                times
                    .iter()
                    .map(|t| t + 5 * kqlite_engine::time::TICKS_PER_MINUTE)
                    .collect(),
            ),
            "AdditionalInfo" => shaped_const(
                ty,
                n,
                &darray(vec![bag(vec![
                    ("Key", dstr("riskReasons")),
                    ("Value", darray(vec![dstr("UnfamiliarLocation")])),
                ])]),
            ),
            "_BilledSize" => billed_sizes(&rows.iter().map(|r| r.id).collect::<Vec<_>>(), 1_200.0),
            "_IsBillable" => const_string("True", n),
            "CorrelationId" => guid_column(&rows.iter().map(|r| r.correlation).collect::<Vec<_>>()),
            "RequestId" => guid_column(&rows.iter().map(|r| r.request_id).collect::<Vec<_>>()),
            "Id" => {
                let mut a = StringArray::with_capacity(n, n * 64);
                for r in rows {
                    a.push(&format!("{:032x}{:032x}", r.id, r.id.rotate_left(64)));
                }
                Column::new(ColumnData::String(StringColumn::Plain(a)))
            }
            "DetectionTimingType" => strings(&|r| r.timing),
            "IpAddress" => dict_column(&ips, tenant.ips.strings()),
            "Location" => shaped(ty, &cities, &locations()),
            "OperationName" => const_string("User Risk Detection", n),
            "RiskDetail" => const_string("none", n),
            "RiskEventType" => strings(&|r| r.event_type),
            "RiskLevel" => strings(&|r| r.level),
            "RiskState" => const_string("atRisk", n),
            "Source" => strings(&|r| r.source),
            "SourceSystem" => const_string("Azure AD", n),
            "TenantId" => const_string(&tenant_id, n),
            "TokenIssuerType" => const_string("AzureAD", n),
            "Type" => const_string("AADUserRiskEvents", n),
            "UserDisplayName" => {
                let v: StringArray = tenant
                    .users
                    .iter()
                    .map(|u| u.display_name.as_str())
                    .collect();
                dict_column(&users, &v)
            }
            "UserPrincipalName" => {
                let v: StringArray = tenant.users.iter().map(|u| u.upn.as_str()).collect();
                dict_column(&users, &v)
            }
            "UserId" => {
                let v: Vec<String> = tenant.users.iter().map(|u| guid_text(u.id)).collect();
                dict_column_of(&users, &v)
            }
            _ => return None,
        })
    };
    assemble(schema, n, &[], make)
}
