//! Checks of a rule as a whole: its query, and everything around the query
//! that Sentinel only rejects (or silently ignores) when the rule is
//! deployed or runs.
//!
//! Limits come from Microsoft's Sentinel documentation: a scheduled rule
//! runs every 5 minutes to 14 days and looks back 5 minutes to 14 days, no
//! less than it runs; a rule has up to 10 entity mappings of up to 3
//! identifiers each, up to 20 custom details, and a query of up to 10,000
//! characters.

use kqlite_engine::did_you_mean;
use kqlite_engine::{Engine, RunOptions};
use kqlite_parser::ast::{ExprKind, LetValue, Literal, StatementKind};
use kqlite_parser::{Diagnostic, Span};

use super::codes;
use super::yaml::Field;
use super::{Rule, RuleFormat};

/// Shortest `queryFrequency` and `queryPeriod`, in seconds (5 minutes).
pub const MIN_SCHEDULE_SECONDS: i64 = 5 * 60;
/// Longest `queryFrequency` and `queryPeriod`, in seconds (14 days).
pub const MAX_SCHEDULE_SECONDS: i64 = 14 * 24 * 3600;
/// Most entity mappings in one rule.
pub const MAX_ENTITY_MAPPINGS: usize = 10;
/// Most identifiers in one entity mapping.
pub const MAX_IDENTIFIERS: usize = 3;
/// Most custom details in one rule.
pub const MAX_CUSTOM_DETAILS: usize = 20;
/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 10_000;

/// Entity types of entity mappings and their identifiers, from Sentinel's
/// entity reference (the identifiers the rule wizard offers, including the
/// `FullName`/`DisplayName` kept for older mappings).
const ENTITIES: &[(&str, &[&str])] = &[
    (
        "Account",
        &[
            "Name",
            "FullName",
            "NTDomain",
            "DnsDomain",
            "UPNSuffix",
            "Sid",
            "AadTenantId",
            "AadUserId",
            "PUID",
            "IsDomainJoined",
            "DisplayName",
            "ObjectGuid",
            "CloudAppAccountId",
        ],
    ),
    (
        "Host",
        &[
            "DnsDomain",
            "NTDomain",
            "HostName",
            "FullName",
            "NetBiosName",
            "AzureID",
            "OMSAgentID",
            "OSFamily",
            "OSVersion",
            "IsDomainJoined",
        ],
    ),
    ("IP", &["Address", "AddressScope"]),
    ("URL", &["Url"]),
    ("AzureResource", &["ResourceId"]),
    ("CloudApplication", &["AppId", "Name", "InstanceName"]),
    ("DNS", &["DomainName"]),
    ("File", &["Directory", "Name"]),
    ("FileHash", &["Algorithm", "Value"]),
    ("Malware", &["Name", "Category"]),
    (
        "Process",
        &[
            "ProcessId",
            "CommandLine",
            "ElevationToken",
            "CreationTimeUtc",
        ],
    ),
    ("RegistryKey", &["Hive", "Key"]),
    ("RegistryValue", &["Name", "Value", "ValueType"]),
    ("SecurityGroup", &["DistinguishedName", "SID", "ObjectGuid"]),
    (
        "Mailbox",
        &[
            "MailboxPrimaryAddress",
            "DisplayName",
            "Upn",
            "ExternalDirectoryObjectId",
            "RiskLevel",
        ],
    ),
    (
        "MailCluster",
        &[
            "NetworkMessageIds",
            "CountByDeliveryStatus",
            "CountByThreatType",
            "CountByProtectionStatus",
            "Threats",
            "Query",
            "QueryTime",
            "MailCount",
            "IsVolumeAnomaly",
            "Source",
            "ClusterSourceIdentifier",
            "ClusterSourceType",
            "ClusterQueryStartTime",
            "ClusterQueryEndTime",
            "ClusterGroup",
        ],
    ),
    (
        "MailMessage",
        &[
            "Recipient",
            "Urls",
            "Threats",
            "Sender",
            "P1Sender",
            "P1SenderDisplayName",
            "P1SenderDomain",
            "SenderIP",
            "P2Sender",
            "P2SenderDisplayName",
            "P2SenderDomain",
            "ReceivedDate",
            "NetworkMessageId",
            "InternetMessageId",
            "Subject",
            "BodyFingerprintBin1",
            "BodyFingerprintBin2",
            "BodyFingerprintBin3",
            "BodyFingerprintBin4",
            "BodyFingerprintBin5",
            "AntispamDirection",
            "DeliveryAction",
            "DeliveryLocation",
            "Language",
            "ThreatDetectionMethods",
        ],
    ),
    (
        "SubmissionMail",
        &[
            "NetworkMessageId",
            "Timestamp",
            "Recipient",
            "Sender",
            "SenderIp",
            "Subject",
            "ReportType",
            "SubmissionId",
            "SubmissionDate",
            "Submitter",
        ],
    ),
    ("SentinelEntities", &["Entities"]),
];

/// Trigger operators: the YAML short names and the ARM names.
const TRIGGER_OPERATORS: [&str; 8] = [
    "gt",
    "lt",
    "eq",
    "ne",
    "GreaterThan",
    "LessThan",
    "Equal",
    "NotEqual",
];

/// A rule duration, in seconds.
pub type Duration = i64;

/// Parses a rule duration: `5m`, `1h`, `14d`, `30s` (YAML rules) or ISO
/// 8601 `PT5M`, `PT1H`, `P1D`, `P1DT12H` (ARM exports). `None` when it is
/// neither.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(iso) = text.strip_prefix('P').or_else(|| text.strip_prefix('p')) {
        return parse_iso_duration(iso);
    }
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().ok()?;
    let scale = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale)
}

fn parse_iso_duration(iso: &str) -> Option<Duration> {
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut number = String::new();
    let mut any = false;
    for c in iso.chars() {
        match c.to_ascii_uppercase() {
            'T' if !in_time && number.is_empty() => in_time = true,
            d if d.is_ascii_digit() => number.push(d),
            unit => {
                let n: i64 = number.parse().ok()?;
                number.clear();
                let scale = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(scale)?)?;
                any = true;
            }
        }
    }
    (any && number.is_empty()).then_some(total)
}

/// A duration for messages: `1d`, `90m`, `3h`.
fn show_duration(seconds: i64) -> String {
    if seconds % 86_400 == 0 {
        format!("{}d", seconds / 86_400)
    } else if seconds % 3600 == 0 {
        format!("{}h", seconds / 3600)
    } else if seconds % 60 == 0 {
        format!("{}m", seconds / 60)
    } else {
        format!("{seconds}s")
    }
}

/// Every diagnostic about `rule`, with spans in its file: the query's own
/// errors and warnings, then the rule-level checks (see [`codes`]). The
/// checks that compare the rule with the query's output schema run only
/// when the query itself has no errors.
pub fn check_rule(engine: &Engine, rule: &Rule) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    check_required(rule, &mut out);
    let period = check_schedule(rule, &mut out);
    check_trigger(rule, &mut out);
    check_entities(rule, &mut out);
    let Some(query) = &rule.query else {
        return out;
    };
    let query_diagnostics = engine.check(&query.value);
    let query_ok = !query_diagnostics.iter().any(Diagnostic::is_error);
    out.extend(
        query_diagnostics
            .into_iter()
            .map(|d| query_diagnostic_in_file(query, d)),
    );
    let chars = query.value.chars().count();
    if chars > MAX_QUERY_CHARS {
        out.push(
            Diagnostic::error(
                codes::QUERY_TOO_LONG,
                format!("the query is {chars} characters long; Sentinel takes at most {MAX_QUERY_CHARS}"),
                query.map.span(Span::new(0, 0)),
            )
            .with_hint("move shared parts into a saved function"),
        );
    }
    if let Some(period) = period {
        check_lookback(query, period, rule.query_period.as_ref(), &mut out);
    }
    if !query_ok {
        return out;
    }
    if let Ok(bound) = engine.bind(&query.value, &RunOptions::default()) {
        let columns: Vec<&str> = bound.schema.iter().map(|(n, _)| n.as_str()).collect();
        check_output_columns(rule, &columns, &mut out);
    }
    check_connectors(engine, rule, query, &mut out);
    out
}

/// Moves a diagnostic about the query text onto the rule file: its span
/// and labels become spans of the file the query was read from.
pub fn query_diagnostic_in_file(query: &Field, mut d: Diagnostic) -> Diagnostic {
    d.span = query.map.span(d.span);
    for (span, _) in &mut d.labels {
        *span = query.map.span(*span);
    }
    d
}

fn check_required(rule: &Rule, out: &mut Vec<Diagnostic>) {
    let mut missing: Vec<&str> = Vec::new();
    if rule.query.is_none() {
        missing.push("query");
    }
    if rule.is_scheduled() {
        for (name, value) in [
            ("queryFrequency", &rule.query_frequency),
            ("queryPeriod", &rule.query_period),
            ("triggerOperator", &rule.trigger_operator),
            ("triggerThreshold", &rule.trigger_threshold),
        ] {
            if value.is_none() {
                missing.push(name);
            }
        }
    }
    for name in missing {
        let kind = if rule.is_scheduled() {
            "a scheduled rule"
        } else {
            "a rule"
        };
        // Point at `kind: Scheduled`, which is what makes the field required.
        let span = match (&rule.kind, name) {
            (Some(k), n) if n != "query" => k.span(),
            _ => rule.span,
        };
        out.push(Diagnostic::error(
            codes::MISSING_FIELD,
            format!("{kind} needs `{name}`"),
            span,
        ));
    }
}

/// Checks `queryFrequency` and `queryPeriod`; returns the period when it
/// parses, for the lookback check.
fn check_schedule(rule: &Rule, out: &mut Vec<Diagnostic>) -> Option<Duration> {
    let hint = match rule.format {
        RuleFormat::Yaml => "write a duration such as `5m`, `1h` or `14d`",
        RuleFormat::Json => "write an ISO 8601 duration such as `PT5M`, `PT1H` or `P14D`",
    };
    let mut parsed = [None, None];
    for (slot, (name, field)) in parsed.iter_mut().zip([
        ("queryFrequency", &rule.query_frequency),
        ("queryPeriod", &rule.query_period),
    ]) {
        let Some(field) = field else { continue };
        match parse_duration(&field.value) {
            None => out.push(
                Diagnostic::error(
                    codes::BAD_DURATION,
                    format!("`{name}` is not a duration: `{}`", field.value),
                    field.span(),
                )
                .with_hint(hint),
            ),
            Some(seconds) => {
                if !(MIN_SCHEDULE_SECONDS..=MAX_SCHEDULE_SECONDS).contains(&seconds) {
                    out.push(Diagnostic::error(
                        codes::DURATION_OUT_OF_RANGE,
                        format!(
                            "`{name}` is {}; Sentinel takes 5 minutes to 14 days",
                            show_duration(seconds)
                        ),
                        field.span(),
                    ));
                }
                *slot = Some(seconds);
            }
        }
    }
    if let ([Some(frequency), Some(period)], Some(f), Some(p)) =
        (parsed, &rule.query_frequency, &rule.query_period)
    {
        if frequency > period {
            out.push(
                Diagnostic::error(
                    codes::FREQUENCY_OVER_PERIOD,
                    format!(
                        "the rule runs every {} but looks back only {}: events in between are never seen",
                        show_duration(frequency),
                        show_duration(period)
                    ),
                    f.span(),
                )
                .with_label(p.span(), "the lookback period")
                .with_hint("make `queryPeriod` at least as long as `queryFrequency`"),
            );
        }
    }
    parsed[1]
}

fn check_trigger(rule: &Rule, out: &mut Vec<Diagnostic>) {
    if let Some(op) = &rule.trigger_operator {
        if !TRIGGER_OPERATORS
            .iter()
            .any(|o| o.eq_ignore_ascii_case(op.value.trim()))
        {
            let mut d = Diagnostic::error(
                codes::BAD_TRIGGER_OPERATOR,
                format!("`{}` is not a trigger operator", op.value),
                op.span(),
            );
            d = match did_you_mean(&op.value, TRIGGER_OPERATORS) {
                Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                None => d.with_hint(
                    "use gt, lt, eq or ne (GreaterThan, LessThan, Equal, NotEqual in ARM)",
                ),
            };
            out.push(d);
        }
    }
    if let Some(t) = &rule.trigger_threshold {
        if t.value.trim().parse::<u32>().is_err() {
            out.push(Diagnostic::error(
                codes::BAD_TRIGGER_THRESHOLD,
                format!(
                    "`triggerThreshold` must be a whole number of 0 or more, not `{}`",
                    t.value
                ),
                t.span(),
            ));
        }
    }
}

fn check_entities(rule: &Rule, out: &mut Vec<Diagnostic>) {
    if let Some(extra) = rule.entity_mappings.get(MAX_ENTITY_MAPPINGS) {
        out.push(Diagnostic::error(
            codes::TOO_MANY_ENTITIES,
            format!(
                "the rule has {} entity mappings; Sentinel takes at most {MAX_ENTITY_MAPPINGS}",
                rule.entity_mappings.len()
            ),
            extra.span,
        ));
    }
    for mapping in &rule.entity_mappings {
        if let Some(extra) = mapping.field_mappings.get(MAX_IDENTIFIERS) {
            out.push(Diagnostic::error(
                codes::TOO_MANY_IDENTIFIERS,
                format!(
                    "the entity mapping has {} identifiers; Sentinel takes at most {MAX_IDENTIFIERS}",
                    mapping.field_mappings.len()
                ),
                extra.span,
            ));
        }
        let Some(entity_type) = &mapping.entity_type else {
            out.push(Diagnostic::error(
                codes::MISSING_FIELD,
                "an entity mapping needs `entityType`",
                mapping.span,
            ));
            continue;
        };
        let known = ENTITIES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(&entity_type.value));
        let Some((_, identifiers)) = known else {
            let names = ENTITIES.iter().map(|(n, _)| *n);
            let d = Diagnostic::error(
                codes::UNKNOWN_ENTITY_TYPE,
                format!("`{}` is not a Sentinel entity type", entity_type.value),
                entity_type.span(),
            );
            out.push(match did_you_mean(&entity_type.value, names) {
                Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                None => d,
            });
            continue;
        };
        for f in &mapping.field_mappings {
            let Some(identifier) = &f.identifier else {
                continue;
            };
            if identifiers
                .iter()
                .any(|i| i.eq_ignore_ascii_case(&identifier.value))
            {
                continue;
            }
            let d = Diagnostic::error(
                codes::UNKNOWN_IDENTIFIER,
                format!(
                    "`{}` is not an identifier of the {} entity",
                    identifier.value, entity_type.value
                ),
                identifier.span(),
            );
            out.push(
                match did_you_mean(&identifier.value, identifiers.iter().copied()) {
                    Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                    None => d.with_hint(format!("its identifiers are {}", identifiers.join(", "))),
                },
            );
        }
    }
    if let Some((extra, _)) = rule.custom_details.get(MAX_CUSTOM_DETAILS) {
        out.push(Diagnostic::error(
            codes::TOO_MANY_CUSTOM_DETAILS,
            format!(
                "the rule has {} custom details; Sentinel takes at most {MAX_CUSTOM_DETAILS}",
                rule.custom_details.len()
            ),
            extra.span(),
        ));
    }
}

/// Every place the rule names an output column must name a real one.
/// Sentinel matches these names without regard to case (rules it deploys
/// map `IPCustomEntity` to a column `IpCustomEntity`), so this does too.
fn check_output_columns(rule: &Rule, columns: &[&str], out: &mut Vec<Diagnostic>) {
    let mut check = |what: &str, name: &str, span: Span| {
        if name.is_empty() || columns.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            return;
        }
        let d = Diagnostic::error(
            codes::UNKNOWN_OUTPUT_COLUMN,
            format!("{what} `{name}` is not a column of the query's output"),
            span,
        );
        out.push(match did_you_mean(name, columns.iter().copied()) {
            Some(c) => d.with_hint(format!("did you mean `{c}`?")),
            None => d.with_hint(format!("the query outputs {}", list_columns(columns))),
        });
    };
    for mapping in &rule.entity_mappings {
        for f in &mapping.field_mappings {
            if let Some(c) = &f.column {
                check("entity column", c.value.trim(), c.span());
            }
        }
    }
    for (_, value) in &rule.custom_details {
        if let Some(c) = value {
            check("custom detail column", c.value.trim(), c.span());
        }
    }
    let alert = &rule.alert_details;
    for format in [&alert.display_name_format, &alert.description_format]
        .into_iter()
        .flatten()
    {
        for (name, span) in placeholders(&format.value) {
            check("alert detail column", name, format.map.span(span));
        }
    }
    for c in [&alert.severity_column, &alert.tactics_column]
        .into_iter()
        .flatten()
    {
        check("alert detail column", c.value.trim(), c.span());
    }
    for c in alert
        .dynamic_properties
        .iter()
        .filter_map(|(_, v)| v.as_ref())
    {
        check("alert property column", c.value.trim(), c.span());
    }
}

fn list_columns(columns: &[&str]) -> String {
    const SHOWN: usize = 8;
    let mut s = columns
        .iter()
        .take(SHOWN)
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if columns.len() > SHOWN {
        s.push_str(&format!(" and {} more", columns.len() - SHOWN));
    }
    if columns.is_empty() {
        s.push_str("no columns");
    }
    s
}

/// The `{{Column}}` placeholders of an alert format, with their spans in
/// the format text (the name only, without braces or spaces).
fn placeholders(format: &str) -> Vec<(&str, Span)> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = format.get(rest..).and_then(|s| s.find("{{")) {
        let start = rest + open + 2;
        let Some(close) = format.get(start..).and_then(|s| s.find("}}")) else {
            break;
        };
        let inner = format.get(start..start + close).unwrap_or("");
        let lead = inner.len() - inner.trim_start().len();
        let name = inner.trim();
        if !name.is_empty() && !name.contains('{') {
            let from = start + lead;
            found.push((name, Span::new(from, from + name.len())));
        }
        rest = start + close + 2;
    }
    found
}

/// Warns about `ago(x)` with a constant `x` longer than `queryPeriod`.
fn check_lookback(
    query: &Field,
    period: Duration,
    period_field: Option<&Field>,
    out: &mut Vec<Diagnostic>,
) {
    let lets = timespan_lets(&query.value);
    for call in ago_calls(&query.value) {
        let arg = query.value.get(call.arg.range()).unwrap_or("").trim();
        let seconds = kql_timespan_seconds(arg)
            .or_else(|| lets.iter().find(|(name, _)| name == arg).map(|(_, s)| *s));
        let Some(seconds) = seconds else { continue };
        if seconds > period {
            let mut d = Diagnostic::warning(
                codes::LOOKBACK_OVER_PERIOD,
                format!(
                    "the query looks back {} but each run only sees the last {} (`queryPeriod`)",
                    show_duration(seconds),
                    show_duration(period)
                ),
                query.map.span(call.call),
            )
            .with_hint("raise `queryPeriod` (at most 14d) or shorten the lookback");
            if let Some(p) = period_field {
                d = d.with_label(p.span(), "the rule's lookback period");
            }
            out.push(d);
        }
    }
}

/// `let Name = <timespan literal>;` statements, in seconds.
fn timespan_lets(query: &str) -> Vec<(String, i64)> {
    let Ok(script) = kqlite_parser::parse(query) else {
        return Vec::new();
    };
    script
        .statements
        .iter()
        .filter_map(|s| match &s.kind {
            StatementKind::Let(l) => match &l.value {
                LetValue::Expr(e) => match &e.kind {
                    ExprKind::Literal(Literal::TimeSpan(Some(ticks))) => {
                        Some((l.name.name.clone(), ticks / 10_000_000))
                    }
                    _ => None,
                },
                LetValue::Function(_) => None,
            },
            _ => None,
        })
        .collect()
}

/// A KQL timespan literal (`14d`, `1.5h`, `30min`) in whole seconds.
fn kql_timespan_seconds(text: &str) -> Option<i64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().ok()?;
    let scale = match unit {
        "d" | "day" | "days" => 86_400.0,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
        "m" | "min" | "minute" | "minutes" => 60.0,
        "s" | "sec" | "second" | "seconds" => 1.0,
        _ => return None,
    };
    let seconds = n * scale;
    (seconds.is_finite() && seconds < 1e15).then_some(seconds as i64)
}

/// An `ago(...)` call in a query text.
struct AgoCall {
    /// The whole call.
    call: Span,
    /// Its argument text.
    arg: Span,
}

/// Finds `ago(...)` calls in a query text, skipping strings and comments.
fn ago_calls(query: &str) -> Vec<AgoCall> {
    let b = query.as_bytes();
    let mut calls = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b.get(i).copied().unwrap_or(0) {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b.get(i) != Some(&b'\n') {
                    i += 1;
                }
            }
            q @ (b'"' | b'\'') => i = skip_string(b, i, q, b.get(i.wrapping_sub(1)) == Some(&b'@')),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len()
                    && b.get(i)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
                let before = start.checked_sub(1).and_then(|p| b.get(p)).copied();
                if b.get(start..i) != Some(&b"ago"[..]) || before == Some(b'.') {
                    continue;
                }
                let mut j = i;
                while b.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                if b.get(j) != Some(&b'(') {
                    continue;
                }
                let arg_start = j + 1;
                let mut depth = 1;
                let mut k = arg_start;
                while k < b.len() && depth > 0 {
                    match b.get(k).copied().unwrap_or(0) {
                        b'(' => depth += 1,
                        b')' => depth -= 1,
                        q @ (b'"' | b'\'') => {
                            k = skip_string(b, k, q, false);
                            continue;
                        }
                        _ => {}
                    }
                    k += 1;
                }
                if depth == 0 {
                    calls.push(AgoCall {
                        call: Span::new(start, k),
                        arg: Span::new(arg_start, k - 1),
                    });
                }
                i = k;
            }
            _ => i += 1,
        }
    }
    calls
}

/// The index after the string literal opening at `i` with quote `q`.
fn skip_string(b: &[u8], i: usize, q: u8, verbatim: bool) -> usize {
    let mut k = i + 1;
    while k < b.len() {
        match b.get(k).copied().unwrap_or(0) {
            b'\\' if !verbatim => k += 2,
            c if c == q => return k + 1,
            b'\n' => return k + 1,
            _ => k += 1,
        }
    }
    k
}

/// Warns about tables the query reads that no data connector provides.
fn check_connectors(engine: &Engine, rule: &Rule, query: &Field, out: &mut Vec<Diagnostic>) {
    if rule.data_types.is_empty() {
        return;
    }
    let Ok(tables) = engine.tables_read(&query.value) else {
        return;
    };
    let mut seen: Vec<&str> = Vec::new();
    for table in &tables {
        if seen.contains(&table.as_str()) || rule.data_types.iter().any(|t| t.value.trim() == table)
        {
            continue;
        }
        seen.push(table);
        let at = find_word(&query.value, table).unwrap_or(Span::new(0, 0));
        let listed: Vec<&str> = rule.data_types.iter().map(|t| t.value.as_str()).collect();
        out.push(
            Diagnostic::warning(
                codes::TABLE_NOT_IN_CONNECTORS,
                format!("the query reads `{table}`, which no `requiredDataConnectors` entry lists"),
                query.map.span(at),
            )
            .with_hint(format!(
                "add `{table}` to a connector's `dataTypes` (listed: {})",
                listed.join(", ")
            )),
        );
    }
}

/// The first whole-word occurrence of `word` in `text`.
fn find_word(text: &str, word: &str) -> Option<Span> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).find_map(|(i, _)| {
        let before = text.get(..i).and_then(|s| s.chars().next_back());
        let after = text.get(i + word.len()..).and_then(|s| s.chars().next());
        (!before.is_some_and(is_word) && !after.is_some_and(is_word))
            .then(|| Span::new(i, i + word.len()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{read_rules, RuleFormat};

    fn engine() -> Engine {
        let mut engine = Engine::new();
        for (name, schema) in crate::schemas() {
            engine.add_schema(name, schema);
        }
        engine
    }

    /// A clean scheduled rule; each test changes one thing.
    const GOOD: &str = "id: 6a7b\nname: Risky sign-in\nkind: Scheduled\nseverity: Medium\n\
requiredDataConnectors:\n  - connectorId: AzureActiveDirectory\n    dataTypes:\n      - SigninLogs\n\
queryFrequency: 1h\nqueryPeriod: 1d\ntriggerOperator: gt\ntriggerThreshold: 0\n\
query: |\n  let Lookback = 12h;\n  SigninLogs\n  | where TimeGenerated > ago(Lookback)\n  | project TimeGenerated, UserPrincipalName, IPAddress, AppDisplayName\n\
entityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: FullName\n        columnName: UserPrincipalName\n  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: IPAddress\n\
customDetails:\n  Application: AppDisplayName\n\
alertDetailsOverride:\n  alertDisplayNameFormat: Risky sign-in by {{UserPrincipalName}}\n  alertDescriptionFormat: From {{ IPAddress }}\n";

    fn diagnostics(text: &str) -> Vec<Diagnostic> {
        let rules = read_rules(text, RuleFormat::Yaml).unwrap();
        assert_eq!(rules.len(), 1, "one rule in {text}");
        check_rule(&engine(), &rules[0])
    }

    fn codes_of(text: &str) -> Vec<&'static str> {
        diagnostics(text).iter().map(|d| d.code).collect()
    }

    /// The diagnostic with `code`, checked to sit on the text `at`.
    fn the(text: &str, code: &str, at: &str) -> Diagnostic {
        let all = diagnostics(text);
        let d = all
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{code} expected, got {all:?}"))
            .clone();
        assert_eq!(text.get(d.span.range()), Some(at), "span of {d:?}");
        d
    }

    #[test]
    fn a_good_rule_has_no_diagnostics() {
        assert_eq!(diagnostics(GOOD), vec![]);
    }

    #[test]
    fn a_query_error_points_into_the_rule_file() {
        let text = GOOD.replace("| project TimeGenerated,", "| project TimeGenerate,");
        let d = the(&text, "E1001", "TimeGenerate");
        assert_eq!(d.hint.as_deref(), Some("did you mean `TimeGenerated`?"));
        // No follow-on errors about mapped columns while the query is broken.
        assert!(!codes_of(&text).contains(&codes::UNKNOWN_OUTPUT_COLUMN));
    }

    #[test]
    fn output_columns_match_without_regard_to_case_as_in_sentinel() {
        let text = GOOD.replace("columnName: IPAddress", "columnName: ipaddress");
        assert!(!codes_of(&text).contains(&codes::UNKNOWN_OUTPUT_COLUMN));
    }

    #[test]
    fn a_null_alert_detail_column_is_absent() {
        let text = format!("{GOOD}alertDetailsOverride:\n  alertTacticsColumnName: null\n");
        assert!(!codes_of(&text).contains(&codes::UNKNOWN_OUTPUT_COLUMN));
    }

    #[test]
    fn an_entity_column_missing_from_the_output_is_an_error_with_did_you_mean() {
        let text = GOOD.replace("columnName: IPAddress", "columnName: IPAdress");
        let d = the(&text, codes::UNKNOWN_OUTPUT_COLUMN, "IPAdress");
        assert_eq!(d.hint.as_deref(), Some("did you mean `IPAddress`?"));
    }

    #[test]
    fn a_custom_detail_column_missing_from_the_output_is_an_error() {
        let text = GOOD.replace("Application: AppDisplayName", "Application: AppName");
        the(&text, codes::UNKNOWN_OUTPUT_COLUMN, "AppName");
    }

    #[test]
    fn an_alert_format_placeholder_missing_from_the_output_is_an_error() {
        let text = GOOD.replace("{{ IPAddress }}", "{{ SourceIP }}");
        the(&text, codes::UNKNOWN_OUTPUT_COLUMN, "SourceIP");
    }

    #[test]
    fn alert_severity_tactics_and_property_columns_must_be_output_columns() {
        let text = format!(
            "{GOOD}  alertSeverityColumnName: Severity\n  alertTacticsColumnName: AppDisplayName\n  alertDynamicProperties:\n    - alertProperty: ProductName\n      value: Product\n"
        );
        let all = diagnostics(&text);
        let spans: Vec<&str> = all
            .iter()
            .filter(|d| d.code == codes::UNKNOWN_OUTPUT_COLUMN)
            .filter_map(|d| text.get(d.span.range()))
            .collect();
        assert_eq!(spans, vec!["Severity", "Product"]);
    }

    #[test]
    fn a_frequency_longer_than_the_period_is_an_error() {
        let text = GOOD.replace("queryFrequency: 1h", "queryFrequency: 2d");
        the(&text, codes::FREQUENCY_OVER_PERIOD, "2d");
        assert!(!codes_of(GOOD).contains(&codes::FREQUENCY_OVER_PERIOD));
    }

    #[test]
    fn schedules_outside_five_minutes_to_fourteen_days_are_errors() {
        let text = GOOD
            .replace("queryFrequency: 1h", "queryFrequency: 1m")
            .replace("queryPeriod: 1d", "queryPeriod: 15d");
        let all = diagnostics(&text);
        let out_of_range = all
            .iter()
            .filter(|d| d.code == codes::DURATION_OUT_OF_RANGE)
            .count();
        assert_eq!(out_of_range, 2, "{all:?}");
        let edges = GOOD
            .replace("queryFrequency: 1h", "queryFrequency: 5m")
            .replace("queryPeriod: 1d", "queryPeriod: 14d");
        assert_eq!(diagnostics(&edges), vec![]);
    }

    #[test]
    fn a_duration_that_does_not_parse_is_an_error() {
        let text = GOOD.replace("queryPeriod: 1d", "queryPeriod: one day");
        the(&text, codes::BAD_DURATION, "one day");
    }

    #[test]
    fn durations_read_both_rule_and_iso_forms() {
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("14d"), Some(14 * 86_400));
        assert_eq!(parse_duration("PT1H"), Some(3600));
        assert_eq!(parse_duration("P1D"), Some(86_400));
        assert_eq!(
            parse_duration("P1DT12H30M"),
            Some(86_400 + 12 * 3600 + 1800)
        );
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("1x"), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }

    #[test]
    fn a_lookback_longer_than_the_period_warns_at_the_ago_call() {
        let text = GOOD.replace("ago(Lookback)", "ago(2d)");
        the(&text, codes::LOOKBACK_OVER_PERIOD, "ago(2d)");
        let via_let = GOOD.replace("let Lookback = 12h;", "let Lookback = 3d;");
        the(&via_let, codes::LOOKBACK_OVER_PERIOD, "ago(Lookback)");
        assert!(!codes_of(GOOD).contains(&codes::LOOKBACK_OVER_PERIOD));
    }

    #[test]
    fn ago_inside_strings_and_comments_is_not_a_lookback() {
        let calls = ago_calls("T // ago(30d)\n| where x == \"ago(30d)\" and y > ago( 1h )");
        assert_eq!(calls.len(), 1);
        assert_eq!(kql_timespan_seconds("1h"), Some(3600));
    }

    #[test]
    fn an_unknown_trigger_operator_is_an_error_with_a_suggestion() {
        let text = GOOD.replace("triggerOperator: gt", "triggerOperator: gtt");
        let d = the(&text, codes::BAD_TRIGGER_OPERATOR, "gtt");
        assert_eq!(d.hint.as_deref(), Some("did you mean `gt`?"));
    }

    #[test]
    fn a_negative_trigger_threshold_is_an_error() {
        let text = GOOD.replace("triggerThreshold: 0", "triggerThreshold: -1");
        the(&text, codes::BAD_TRIGGER_THRESHOLD, "-1");
    }

    #[test]
    fn a_table_missing_from_the_data_connectors_warns_at_the_table() {
        let text = GOOD.replace("      - SigninLogs\n", "      - AuditLogs\n");
        the(&text, codes::TABLE_NOT_IN_CONNECTORS, "SigninLogs");
        let no_connectors = GOOD.replace(
            "requiredDataConnectors:\n  - connectorId: AzureActiveDirectory\n    dataTypes:\n      - SigninLogs\n",
            "requiredDataConnectors: []\n",
        );
        assert_eq!(diagnostics(&no_connectors), vec![]);
    }

    #[test]
    fn data_types_are_compared_case_sensitively() {
        let text = GOOD.replace("      - SigninLogs\n", "      - signinlogs\n");
        the(&text, codes::TABLE_NOT_IN_CONNECTORS, "SigninLogs");
    }

    #[test]
    fn an_unknown_entity_type_is_an_error_with_a_suggestion() {
        let text = GOOD.replace("entityType: Account", "entityType: Acount");
        let d = the(&text, codes::UNKNOWN_ENTITY_TYPE, "Acount");
        assert_eq!(d.hint.as_deref(), Some("did you mean `Account`?"));
    }

    #[test]
    fn an_identifier_the_entity_lacks_is_an_error() {
        let text = GOOD.replace("identifier: Address", "identifier: HostName");
        the(&text, codes::UNKNOWN_IDENTIFIER, "HostName");
    }

    #[test]
    fn more_than_ten_entity_mappings_is_an_error() {
        let one = "  - entityType: IP\n    fieldMappings:\n      - identifier: Address\n        columnName: IPAddress\n";
        let text = GOOD.replace(
            "customDetails:",
            &format!("{}customDetails:", one.repeat(9)),
        );
        assert!(codes_of(&text).contains(&codes::TOO_MANY_ENTITIES));
        let ten = GOOD.replace(
            "customDetails:",
            &format!("{}customDetails:", one.repeat(8)),
        );
        assert!(!codes_of(&ten).contains(&codes::TOO_MANY_ENTITIES));
    }

    #[test]
    fn more_than_three_identifiers_in_one_mapping_is_an_error() {
        let extra = "      - identifier: Name\n        columnName: UserPrincipalName\n";
        let text = GOOD.replace(
            "        columnName: UserPrincipalName\n",
            &format!("        columnName: UserPrincipalName\n{}", extra.repeat(3)),
        );
        assert!(codes_of(&text).contains(&codes::TOO_MANY_IDENTIFIERS));
        let three = GOOD.replace(
            "        columnName: UserPrincipalName\n",
            &format!("        columnName: UserPrincipalName\n{}", extra.repeat(2)),
        );
        assert!(!codes_of(&three).contains(&codes::TOO_MANY_IDENTIFIERS));
    }

    #[test]
    fn more_than_twenty_custom_details_is_an_error() {
        let details: String = (0..21)
            .map(|i| format!("  D{i}: AppDisplayName\n"))
            .collect();
        let text = GOOD.replace("  Application: AppDisplayName\n", &details);
        the(&text, codes::TOO_MANY_CUSTOM_DETAILS, "D20");
        let twenty: String = (0..20)
            .map(|i| format!("  D{i}: AppDisplayName\n"))
            .collect();
        assert_eq!(
            diagnostics(&GOOD.replace("  Application: AppDisplayName\n", &twenty)),
            vec![]
        );
    }

    #[test]
    fn a_scheduled_rule_missing_its_schedule_is_an_error_per_field() {
        let text = GOOD
            .replace("queryFrequency: 1h\n", "")
            .replace("triggerThreshold: 0\n", "");
        let missing: Vec<String> = diagnostics(&text)
            .into_iter()
            .filter(|d| d.code == codes::MISSING_FIELD)
            .map(|d| d.message)
            .collect();
        assert_eq!(
            missing,
            vec![
                "a scheduled rule needs `queryFrequency`",
                "a scheduled rule needs `triggerThreshold`"
            ]
        );
    }

    #[test]
    fn a_hunting_query_needs_only_its_query() {
        let text = "id: h1\nname: Hunt\nquery: |\n  AuditLogs\n  | take 10\n";
        assert_eq!(diagnostics(text), vec![]);
    }

    #[test]
    fn a_query_over_ten_thousand_characters_is_an_error() {
        let long = format!("  | where OperationName != \"{}\"\n", "x".repeat(10_000));
        let text = GOOD.replace(
            "  | project TimeGenerated,",
            &format!("{long}  | project TimeGenerated,"),
        );
        assert!(codes_of(&text).contains(&codes::QUERY_TOO_LONG));
    }

    #[test]
    fn an_arm_rule_checks_iso_durations_and_arm_operator_names() {
        let text = r#"{"kind": "Scheduled", "properties": {"displayName": "x",
 "query": "SigninLogs\r\n| project UserPrincipalName",
 "queryFrequency": "P2D", "queryPeriod": "PT1H",
 "triggerOperator": "GreaterThan", "triggerThreshold": 0,
 "entityMappings": [{"entityType": "Account", "fieldMappings": [{"identifier": "FullName", "columnName": "UserPrincipalNme"}]}]}}"#;
        let rules = read_rules(text, RuleFormat::Json).unwrap();
        let all = check_rule(&engine(), &rules[0]);
        let found: Vec<(&str, &str)> = all
            .iter()
            .map(|d| (d.code, text.get(d.span.range()).unwrap_or("")))
            .collect();
        assert_eq!(
            found,
            vec![
                (codes::FREQUENCY_OVER_PERIOD, "P2D"),
                (codes::UNKNOWN_OUTPUT_COLUMN, "UserPrincipalNme"),
            ]
        );
    }

    #[test]
    fn placeholders_are_found_with_their_spans() {
        let f = "A {{x}} and {{ Yy }} but not {{}}";
        let p = placeholders(f);
        assert_eq!(p.len(), 2);
        assert_eq!(&f[p[1].1.range()], "Yy");
    }
}
