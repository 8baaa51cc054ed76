//! Microsoft Sentinel analytic rules and hunting queries read from rule
//! files, and checks of a rule as a whole.
//!
//! [`read_rules`] reads the rules of one file: a YAML rule as in the
//! Azure-Sentinel repository (`id`, `kind`, `query`, `queryFrequency`,
//! `entityMappings`, ...) or an ARM/JSON export (`resources[].properties`,
//! or a single object with `properties.query`). Every value keeps a
//! [`yaml::SourceMap`] back into the file, so [`check_rule`] reports
//! diagnostics at lines and columns of the rule file, query errors
//! included.
//!
//! ```
//! use kqlite_sentinel::rule::{check_rule, read_rules, RuleFormat};
//!
//! let text = "id: 1\nname: demo\nkind: Scheduled\nqueryFrequency: 1h\nqueryPeriod: 1h\n\
//!             triggerOperator: gt\ntriggerThreshold: 0\nquery: |\n  SigninLogs\n  | project UserPrincipalName\n\
//!             entityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: FullName\n        columnName: UserPrincipalNam\n";
//! let rules = read_rules(text, RuleFormat::Yaml).unwrap();
//! let mut engine = kqlite_engine::Engine::new();
//! for (name, schema) in kqlite_sentinel::schemas() {
//!     engine.add_schema(name, schema);
//! }
//! let diagnostics = check_rule(&engine, &rules[0]);
//! assert_eq!(diagnostics[0].code, kqlite_sentinel::rule::codes::UNKNOWN_OUTPUT_COLUMN);
//! assert_eq!(diagnostics[0].hint.as_deref(), Some("did you mean `UserPrincipalName`?"));
//! ```

pub mod alerts;
mod checks;
pub mod expect;
pub mod run;
pub mod yaml;

pub use checks::{check_rule, parse_duration, query_diagnostic_in_file, Duration};

use kqlite_parser::{Diagnostic, Span};
use yaml::{Document, Field, Node};

/// Diagnostic codes of rule files and rule-level checks.
pub mod codes {
    /// The file is not valid YAML or JSON, or a field has the wrong shape.
    pub const MALFORMED: &str = "E2001";
    /// A field the rule's kind requires is missing.
    pub const MISSING_FIELD: &str = "E2002";
    /// A column named by an entity mapping, custom detail or alert detail
    /// is not a column of the query's output.
    pub const UNKNOWN_OUTPUT_COLUMN: &str = "E2003";
    /// `queryFrequency` or `queryPeriod` is not a duration.
    pub const BAD_DURATION: &str = "E2004";
    /// `queryFrequency` or `queryPeriod` is outside Sentinel's 5 minutes to
    /// 14 days.
    pub const DURATION_OUT_OF_RANGE: &str = "E2005";
    /// `queryFrequency` is longer than `queryPeriod`, leaving gaps.
    pub const FREQUENCY_OVER_PERIOD: &str = "E2006";
    /// `triggerOperator` is not one of gt, lt, eq, ne (or their ARM names).
    pub const BAD_TRIGGER_OPERATOR: &str = "E2007";
    /// `triggerThreshold` is not a whole number of 0 or more.
    pub const BAD_TRIGGER_THRESHOLD: &str = "E2008";
    /// More entity mappings than Sentinel allows in one rule (10).
    pub const TOO_MANY_ENTITIES: &str = "E2009";
    /// More identifiers than Sentinel allows in one entity mapping (3).
    pub const TOO_MANY_IDENTIFIERS: &str = "E2010";
    /// More custom details than Sentinel allows in one rule (20).
    pub const TOO_MANY_CUSTOM_DETAILS: &str = "E2011";
    /// An `entityType` Sentinel does not know.
    pub const UNKNOWN_ENTITY_TYPE: &str = "E2012";
    /// An `identifier` the entity type does not have.
    pub const UNKNOWN_IDENTIFIER: &str = "E2013";
    /// A query longer than Sentinel's 10,000 characters.
    pub const QUERY_TOO_LONG: &str = "E2014";
    /// `eventGroupingSettings.aggregationKind` is neither `SingleAlert` nor
    /// `AlertPerResult`.
    pub const BAD_AGGREGATION_KIND: &str = "E2015";
    /// A file given to run as a rule holds no rule with a query.
    pub const NO_RULE: &str = "E2016";
    /// The query looks back further than `queryPeriod`, which is all the
    /// data a scheduled run ever sees.
    pub const LOOKBACK_OVER_PERIOD: &str = "W2001";
    /// The query reads a table no `requiredDataConnectors` entry lists.
    pub const TABLE_NOT_IN_CONNECTORS: &str = "W2002";
}

/// How a rule file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleFormat {
    /// A YAML rule as in the Azure-Sentinel repository.
    Yaml,
    /// An ARM template or JSON export (`properties.query`, ISO-8601
    /// durations, `GreaterThan`).
    Json,
}

/// One field mapping of an entity mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMapping {
    /// The entity identifier, e.g. `FullName`.
    pub identifier: Option<Field>,
    /// The query output column it is read from.
    pub column: Option<Field>,
    /// Where the mapping starts in the file.
    pub span: Span,
}

/// One entity mapping of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityMapping {
    /// The entity type, e.g. `Account`.
    pub entity_type: Option<Field>,
    /// Its identifiers and columns.
    pub field_mappings: Vec<FieldMapping>,
    /// Where the mapping starts in the file.
    pub span: Span,
}

/// The `alertDetailsOverride` of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlertDetails {
    /// `alertDisplayNameFormat`, with `{{Column}}` placeholders.
    pub display_name_format: Option<Field>,
    /// `alertDescriptionFormat`, with `{{Column}}` placeholders.
    pub description_format: Option<Field>,
    /// `alertSeverityColumnName`.
    pub severity_column: Option<Field>,
    /// `alertTacticsColumnName`.
    pub tactics_column: Option<Field>,
    /// `alertDynamicProperties`: property name and the column it reads.
    pub dynamic_properties: Vec<(Option<Field>, Option<Field>)>,
}

/// An analytic rule or hunting query read from a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// How the file is written (decides the duration syntax).
    pub format: RuleFormat,
    /// Where the rule starts in the file (missing fields are reported here).
    pub span: Span,
    /// `id` (YAML) or the ARM resource `name`.
    pub id: Option<Field>,
    /// `name` (YAML) or `displayName` (ARM).
    pub name: Option<Field>,
    /// `Scheduled`, `NRT`, ... (absent for hunting queries).
    pub kind: Option<Field>,
    /// The KQL.
    pub query: Option<Field>,
    /// How often a scheduled rule runs.
    pub query_frequency: Option<Field>,
    /// How far back each run looks.
    pub query_period: Option<Field>,
    /// `gt`, `lt`, `eq`, `ne` or `GreaterThan`, ...
    pub trigger_operator: Option<Field>,
    /// The result count compared with the operator.
    pub trigger_threshold: Option<Field>,
    /// Every `requiredDataConnectors[].dataTypes[]` entry.
    pub data_types: Vec<Field>,
    /// `entityMappings`.
    pub entity_mappings: Vec<EntityMapping>,
    /// `customDetails`: detail name and the column it reads.
    pub custom_details: Vec<(Field, Option<Field>)>,
    /// `alertDetailsOverride`.
    pub alert_details: AlertDetails,
    /// `description`: the default description of the rule's alerts.
    pub description: Option<Field>,
    /// `severity`: the default severity of the rule's alerts.
    pub severity: Option<Field>,
    /// `eventGroupingSettings.aggregationKind`: `SingleAlert` or
    /// `AlertPerResult`.
    pub aggregation_kind: Option<Field>,
}

impl Rule {
    /// The rule's name for reports: its name, else its id.
    pub fn title(&self) -> Option<&str> {
        self.name
            .as_ref()
            .or(self.id.as_ref())
            .map(|f| f.value.as_str())
    }

    /// Whether this is a scheduled analytic rule (`kind: Scheduled`).
    pub fn is_scheduled(&self) -> bool {
        self.kind
            .as_ref()
            .is_some_and(|k| k.value.eq_ignore_ascii_case("Scheduled"))
    }
}

/// Reads the rules in a rule file. A file that holds no rule (no `query`
/// and no rule `kind`) gives an empty list; a file that does not parse is
/// one error diagnostic at its place.
pub fn read_rules(text: &str, format: RuleFormat) -> Result<Vec<Rule>, Diagnostic> {
    let doc = Document::read(text)?;
    let mut rules = Vec::new();
    match format {
        RuleFormat::Yaml => {
            if let Some(rule) = read_rule(&doc, doc.root(), format, None) {
                rules.push(rule);
            }
            // Some YAML files are ARM-like too.
            if rules.is_empty() {
                read_arm(&doc, doc.root(), &mut rules);
            }
        }
        RuleFormat::Json => read_arm(&doc, doc.root(), &mut rules),
    }
    Ok(rules)
}

/// Rules in an ARM template, a list of rule objects or one rule object.
fn read_arm(doc: &Document<'_>, root: &Node, rules: &mut Vec<Rule>) {
    let candidates: Vec<&Node> = match root {
        Node::Seq(items, _) => items.iter().collect(),
        Node::Map(..) => match root.get("resources") {
            Some(resources) => resources.items().iter().collect(),
            None => vec![root],
        },
        _ => Vec::new(),
    };
    for node in candidates {
        match node.get("properties") {
            Some(props) => {
                if let Some(rule) = read_rule(doc, props, RuleFormat::Json, Some(node)) {
                    rules.push(rule);
                }
            }
            None => {
                if let Some(rule) = read_rule(doc, node, RuleFormat::Json, None) {
                    rules.push(rule);
                }
            }
        }
    }
}

const RULE_KINDS: [&str; 2] = ["Scheduled", "NRT"];

/// Reads one rule from the mapping `node`; `outer` is the ARM resource
/// around its `properties`, which holds `kind` and `name`.
fn read_rule(
    doc: &Document<'_>,
    node: &Node,
    format: RuleFormat,
    outer: Option<&Node>,
) -> Option<Rule> {
    let field = |key: &str| doc.text_field(node, key);
    let outer_field = |key: &str| outer.and_then(|o| doc.text_field(o, key));
    let query = field("query");
    let kind = field("kind").or_else(|| outer_field("kind"));
    let is_rule_kind = kind
        .as_ref()
        .is_some_and(|k| RULE_KINDS.iter().any(|r| r.eq_ignore_ascii_case(&k.value)));
    if query.is_none() && !is_rule_kind {
        return None;
    }
    let start = outer.unwrap_or(node).start();
    let mut data_types = Vec::new();
    for connector in node
        .get("requiredDataConnectors")
        .map_or(&[][..], Node::items)
    {
        for t in connector.get("dataTypes").map_or(&[][..], Node::items) {
            data_types.extend(doc.field(t));
        }
    }
    let entity_mappings = node
        .get("entityMappings")
        .map_or(&[][..], Node::items)
        .iter()
        .map(|m| EntityMapping {
            entity_type: doc.text_field(m, "entityType"),
            field_mappings: m
                .get("fieldMappings")
                .map_or(&[][..], Node::items)
                .iter()
                .map(|f| FieldMapping {
                    identifier: doc.text_field(f, "identifier"),
                    column: doc.text_field(f, "columnName"),
                    span: point(f.start()),
                })
                .collect(),
            span: point(m.start()),
        })
        .collect();
    let custom_details = node
        .get("customDetails")
        .map_or(&[][..], Node::entries)
        .iter()
        .map(|(k, v)| (doc.scalar_field(k), doc.field(v)))
        .collect();
    let alert_details = match node.get("alertDetailsOverride") {
        Some(a) => AlertDetails {
            display_name_format: doc.text_field(a, "alertDisplayNameFormat"),
            description_format: doc.text_field(a, "alertDescriptionFormat"),
            severity_column: doc.text_field(a, "alertSeverityColumnName"),
            tactics_column: doc.text_field(a, "alertTacticsColumnName"),
            dynamic_properties: a
                .get("alertDynamicProperties")
                .map_or(&[][..], Node::items)
                .iter()
                .map(|p| {
                    (
                        doc.text_field(p, "alertProperty"),
                        doc.text_field(p, "value"),
                    )
                })
                .collect(),
        },
        None => AlertDetails::default(),
    };
    Some(Rule {
        format,
        span: point(start),
        id: field("id").or_else(|| outer_field("name")),
        name: field("name").or_else(|| field("displayName")),
        kind,
        query,
        query_frequency: field("queryFrequency"),
        query_period: field("queryPeriod"),
        trigger_operator: field("triggerOperator"),
        trigger_threshold: field("triggerThreshold"),
        data_types,
        entity_mappings,
        custom_details,
        alert_details,
        description: field("description"),
        severity: field("severity"),
        aggregation_kind: node
            .get("eventGroupingSettings")
            .and_then(|g| doc.text_field(g, "aggregationKind")),
    })
}

fn point(at: usize) -> Span {
    Span::new(at, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML_RULE: &str = "id: 0a1b\nname: Sign-ins from a risky country\nkind: Scheduled\nseverity: Medium\n\
requiredDataConnectors:\n  - connectorId: AzureActiveDirectory\n    dataTypes:\n      - SigninLogs\n\
queryFrequency: 1h\nqueryPeriod: 1d\ntriggerOperator: gt\ntriggerThreshold: 0\n\
query: |\n  SigninLogs\n  | project UserPrincipalName, IPAddress\n\
entityMappings:\n  - entityType: Account\n    fieldMappings:\n      - identifier: FullName\n        columnName: UserPrincipalName\n\
customDetails:\n  Address: IPAddress\n\
alertDetailsOverride:\n  alertDisplayNameFormat: Sign-in by {{UserPrincipalName}}\n  alertDynamicProperties:\n    - alertProperty: ProductName\n      value: IPAddress\n";

    #[test]
    fn a_yaml_rule_reads_every_field_the_checks_use() {
        let rules = read_rules(YAML_RULE, RuleFormat::Yaml).unwrap();
        assert_eq!(rules.len(), 1);
        let r = &rules[0];
        assert_eq!(r.title(), Some("Sign-ins from a risky country"));
        assert!(r.is_scheduled());
        assert_eq!(r.query_frequency.as_ref().unwrap().value, "1h");
        assert_eq!(r.trigger_threshold.as_ref().unwrap().value, "0");
        assert_eq!(r.data_types[0].value, "SigninLogs");
        let column = r.entity_mappings[0].field_mappings[0]
            .column
            .as_ref()
            .unwrap();
        assert_eq!(column.value, "UserPrincipalName");
        assert_eq!(
            &YAML_RULE[column.span().range()],
            "UserPrincipalName",
            "the column's span covers its text in the file"
        );
        assert_eq!(r.custom_details[0].0.value, "Address");
        assert_eq!(r.custom_details[0].1.as_ref().unwrap().value, "IPAddress");
        assert_eq!(r.alert_details.dynamic_properties.len(), 1);
    }

    #[test]
    fn an_arm_template_reads_each_alert_rule_resource() {
        let text = r#"{
  "resources": [
    {
      "type": "Microsoft.OperationalInsights/workspaces/providers/alertRules",
      "name": "[concat(parameters('workspace'),'/Microsoft.SecurityInsights/abc')]",
      "kind": "Scheduled",
      "properties": {
        "displayName": "Risky sign-ins",
        "query": "SigninLogs\r\n| where RiskLevelDuringSignIn == \"high\"",
        "queryFrequency": "PT1H",
        "queryPeriod": "P1D",
        "triggerOperator": "GreaterThan",
        "triggerThreshold": 0
      }
    },
    { "type": "Microsoft.Web/sites", "properties": {} }
  ]
}"#;
        let rules = read_rules(text, RuleFormat::Json).unwrap();
        assert_eq!(rules.len(), 1);
        let r = &rules[0];
        assert_eq!(r.format, RuleFormat::Json);
        assert!(r.is_scheduled());
        assert_eq!(r.title(), Some("Risky sign-ins"));
        let q = r.query.as_ref().unwrap();
        assert_eq!(
            q.value,
            "SigninLogs\r\n| where RiskLevelDuringSignIn == \"high\""
        );
        let at = q.value.find("high").unwrap();
        assert_eq!(
            &text[q.map.file_offset(at)..q.map.file_offset(at) + 4],
            "high"
        );
        assert_eq!(r.trigger_threshold.as_ref().unwrap().value, "0");
    }

    #[test]
    fn a_single_json_rule_object_with_properties_is_a_rule() {
        let text = r#"{"kind": "NRT", "properties": {"query": "AuditLogs | take 1"}}"#;
        let rules = read_rules(text, RuleFormat::Json).unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].kind.as_ref().unwrap().value, "NRT");
    }

    #[test]
    fn a_file_without_a_query_holds_no_rule() {
        let parser = "Function:\n  Title: a parser\nFunctionName: ASimDns\nFunctionQuery: |\n  T\n";
        assert!(read_rules(parser, RuleFormat::Yaml).unwrap().is_empty());
        assert!(read_rules("[1, 2]", RuleFormat::Json).unwrap().is_empty());
        assert!(read_rules("", RuleFormat::Yaml).unwrap().is_empty());
    }

    #[test]
    fn a_scheduled_rule_without_a_query_is_still_a_rule() {
        let rules = read_rules("id: x\nkind: Scheduled\n", RuleFormat::Yaml).unwrap();
        assert_eq!(rules.len(), 1);
        assert!(rules[0].query.is_none());
    }
}
