//! Running a rule file's query the way one scheduled run in Sentinel does,
//! for `kqlite run rule.yaml` and `query = "rule.yaml"` in detection tests.
//!
//! **The lookback window.** Sentinel runs a scheduled rule's query over the
//! data of its lookback period (`queryPeriod`, "Lookup data from the last"
//! in the portal): the query API is called with a time span of
//! `queryPeriod` ending at the run time, and Log Analytics applies that time
//! span to the `TimeGenerated` of the tables read, *in addition* to any
//! time filter the query has (so `where TimeGenerated > ago(14d)` in a rule
//! that looks back one day still sees one day). [`prepare`] does the same
//! offline: every loaded table the query reads that has a `datetime`
//! `TimeGenerated` column keeps only the rows with `TimeGenerated` in
//! `[now - queryPeriod, now]` (both ends included). Choices made where the
//! documentation is not precise:
//!
//! - A table without `TimeGenerated` (a custom lookup table, data loaded
//!   without that column) is left whole, and [`Prepared::whole`] names it.
//! - A row whose `TimeGenerated` is null is kept: Log Analytics fills a
//!   missing `TimeGenerated` with the ingestion time, so such a row counts
//!   as just ingested.
//! - Sentinel starts each run five minutes after its scheduled time to
//!   allow for ingestion delay; `now` here is the time the query runs (its
//!   `now()`), and the window ends there.
//! - An NRT rule has no `queryPeriod`; its tables are left whole.
//!
//! Query errors come back as [`Diagnostic`]s whose spans are in the rule
//! file (through the query's [`SourceMap`](super::yaml::SourceMap)), so
//! they read as YAML lines and columns.

use kqlite_engine::time::TICKS_PER_SECOND;
use kqlite_engine::{DataType, Engine, QueryError, RunOptions, Table, Value};
use kqlite_parser::span::LineIndex;
use kqlite_parser::{Diagnostic, Span};

use super::alerts::{evaluate, RuleOutcome};
use super::yaml::Field;
use super::{codes, parse_duration, query_diagnostic_in_file, read_rules, Rule, RuleFormat};

/// Whether `path` names a YAML rule file (`.yaml` or `.yml`).
pub fn is_rule_file(path: &std::path::Path) -> bool {
    rule_format(path).is_some()
}

/// The format of a rule file by its extension: `.yaml`/`.yml` as in the
/// Azure-Sentinel repository, `.json` an ARM template or rule export.
pub fn rule_format(path: &std::path::Path) -> Option<RuleFormat> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "yaml" | "yml" => Some(RuleFormat::Yaml),
        "json" => Some(RuleFormat::Json),
        _ => None,
    }
}

/// Reads the rule of a YAML rule file to run it: an error at its place when
/// the file does not parse, holds no rule, or the rule has no query.
pub fn read_rule_file(text: &str) -> Result<Rule, Diagnostic> {
    read_rule_file_as(text, RuleFormat::Yaml)
}

/// [`read_rule_file`] for a file in `format`. An ARM template holding
/// several rules is an error: a run is of one rule.
pub fn read_rule_file_as(text: &str, format: RuleFormat) -> Result<Rule, Diagnostic> {
    let rules = read_rules(text, format)?;
    if rules.len() > 1 {
        let second = rules.get(1).map_or(Span::new(0, 0), |r| r.span);
        return Err(Diagnostic::error(
            codes::NO_RULE,
            format!(
                "the file holds {} analytic rules; a run is of one rule",
                rules.len()
            ),
            second,
        )
        .with_hint("export the rule to run into a file of its own"));
    }
    let Some(rule) = rules.into_iter().next() else {
        return Err(Diagnostic::error(
            codes::NO_RULE,
            "the file holds no analytic rule (no `query` and no rule `kind`)",
            Span::new(0, 0),
        )
        .with_hint("run a Sentinel analytic rule YAML, or a `.kql` query file"));
    };
    if rule.query.is_none() {
        return Err(Diagnostic::error(
            codes::MISSING_FIELD,
            "the rule has no `query` to run",
            rule.span,
        ));
    }
    Ok(rule)
}

/// The time range one scheduled run reads, in datetime ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// `now - queryPeriod`, included.
    pub start: i64,
    /// `now`, included.
    pub end: i64,
}

/// The lookback window of a run at `now`: `None` when the rule has no
/// `queryPeriod` (NRT rules), an error at the field when it is not a
/// duration.
pub fn lookback_window(rule: &Rule, now: i64) -> Result<Option<Window>, Diagnostic> {
    let Some(period) = &rule.query_period else {
        return Ok(None);
    };
    let seconds = parse_duration(&period.value).ok_or_else(|| {
        Diagnostic::error(
            codes::BAD_DURATION,
            format!("`queryPeriod` is not a duration: `{}`", period.value),
            period.span(),
        )
        .with_hint(match rule.format {
            RuleFormat::Yaml => "write a duration such as `5m`, `1h` or `14d`",
            RuleFormat::Json => "write an ISO 8601 duration such as `PT5M`, `PT1H` or `P14D`",
        })
    })?;
    let ticks = seconds.saturating_mul(TICKS_PER_SECOND);
    Ok(Some(Window {
        start: now.saturating_sub(ticks),
        end: now,
    }))
}

/// Keeps, in each of `tables` that is loaded in `engine` and has a
/// `datetime` `TimeGenerated` column, the rows inside `window` (and those
/// with a null `TimeGenerated`). Returns the tables left whole because they
/// have no such column.
pub fn restrict_tables(engine: &mut Engine, tables: &[String], window: Window) -> Vec<String> {
    let mut whole = Vec::new();
    for name in tables {
        let Some(entry) = engine.catalog().get(name) else {
            continue;
        };
        let Some(data) = entry.data.clone() else {
            continue;
        };
        let schema = entry.schema.clone();
        let time = data
            .column("TimeGenerated")
            .filter(|c| c.data_type() == DataType::DateTime);
        let Some(time) = time else {
            whole.push(name.clone());
            continue;
        };
        let keep: Vec<u32> = (0..data.num_rows())
            .filter(|&i| match time.get(i) {
                Value::DateTime(t) => window.start <= t && t <= window.end,
                _ => true,
            })
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        if keep.len() == data.num_rows() {
            continue;
        }
        let kept = data.take(&keep);
        engine.add_table_with_schema(name.clone(), kept, schema);
    }
    whole
}

/// What [`prepare`] did to the tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// The window the tables were cut to, if the rule has a `queryPeriod`.
    pub window: Option<Window>,
    /// Tables the query reads that were left whole (no `TimeGenerated`).
    pub whole: Vec<String>,
}

/// Cuts the tables `rule`'s query reads to its lookback window ending at
/// `now`. Errors have spans in the rule file.
pub fn prepare(engine: &mut Engine, rule: &Rule, now: i64) -> Result<Prepared, Vec<Diagnostic>> {
    let query = rule_query(rule)?;
    let window = lookback_window(rule, now).map_err(|d| vec![d])?;
    let Some(window) = window else {
        return Ok(Prepared::default());
    };
    let tables = engine
        .tables_read(&query.value)
        .map_err(|e| query_error_in_file(query, &e))?;
    let whole = restrict_tables(engine, &tables, window);
    Ok(Prepared {
        window: Some(window),
        whole,
    })
}

fn rule_query(rule: &Rule) -> Result<&Field, Vec<Diagnostic>> {
    rule.query.as_ref().ok_or_else(|| {
        vec![Diagnostic::error(
            codes::MISSING_FIELD,
            "the rule has no `query` to run",
            rule.span,
        )]
    })
}

/// A query error as diagnostics spanned in the rule file (an error without
/// a place in the query is spanned at the start of the query).
pub fn query_error_in_file(query: &Field, e: &QueryError) -> Vec<Diagnostic> {
    let diagnostics = e.diagnostics();
    if diagnostics.is_empty() {
        return vec![Diagnostic::error(
            kqlite_engine::engine::codes::FUNCTION_FAILED,
            e.to_string(),
            query.map.span(Span::new(0, 0)),
        )];
    }
    diagnostics
        .iter()
        .map(|d| query_diagnostic_in_file(query, d.clone()))
        .collect()
}

/// The result of running a rule's query and what it raises.
#[derive(Debug, Clone)]
pub struct RuleRun {
    /// The query's result.
    pub result: Table,
    /// Whether the rule fires, and its alerts.
    pub outcome: RuleOutcome,
    /// How the tables were cut to the lookback window.
    pub prepared: Prepared,
}

/// Runs `rule`'s query at `now` over the tables loaded in `engine`, cut to
/// its lookback window, and works out what it raises. `opts.now` is set to
/// `now`. Every error has its span in the rule file.
pub fn run_rule(
    engine: &mut Engine,
    rule: &Rule,
    now: i64,
    opts: &RunOptions,
) -> Result<RuleRun, Vec<Diagnostic>> {
    let query = rule_query(rule)?;
    let prepared = prepare(engine, rule, now)?;
    let opts = RunOptions {
        now: Some(now),
        ..opts.clone()
    };
    let result = engine
        .run_with(&query.value, &opts)
        .map_err(|e| query_error_in_file(query, &e))?;
    let outcome = evaluate(rule, &result).map_err(|d| vec![d])?;
    Ok(RuleRun {
        result,
        outcome,
        prepared,
    })
}

/// A diagnostic about a rule file as one plain line (plus a help line):
/// `path:line:col: error[E0001]: message`.
pub fn describe(path: &str, text: &str, d: &Diagnostic) -> String {
    let (line, col) = LineIndex::new(text).line_col(d.span.start as usize);
    let kind = if d.is_error() { "error" } else { "warning" };
    let mut out = format!("{path}:{line}:{col}: {kind}[{}]: {}", d.code, d.message);
    if let Some(hint) = &d.hint {
        out.push_str("\n  help: ");
        out.push_str(hint);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kqlite_engine::time::parse_datetime;

    const RULE: &str = "id: 1f2e\nname: Failed sign-ins\nkind: Scheduled\nqueryFrequency: 1h\nqueryPeriod: 1h\n\
triggerOperator: gt\ntriggerThreshold: 0\nquery: |\n  T\n  | where ResultType != \"0\"\n  | project User\n";

    fn engine() -> Engine {
        let mut e = Engine::new();
        let t = e
            .run(
                "datatable(TimeGenerated:datetime, User:string, ResultType:string)[\
                 datetime(2026-01-15T11:30:00Z), 'recent', '50126',\
                 datetime(2026-01-15T09:00:00Z), 'old', '50126',\
                 datetime(null), 'unstamped', '50126']",
            )
            .unwrap();
        e.add_table("T", t);
        e
    }

    fn now() -> i64 {
        parse_datetime("2026-01-15T12:00:00Z").unwrap()
    }

    #[test]
    fn the_query_period_keeps_only_rows_inside_the_lookback_window() {
        let rule = read_rule_file(RULE).unwrap();
        let run = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap();
        let users: Vec<String> = run.result.rows().map(|r| r[0].to_string()).collect();
        assert_eq!(users, ["recent", "unstamped"]);
        assert_eq!(
            run.prepared.window,
            Some(Window {
                start: parse_datetime("2026-01-15T11:00:00Z").unwrap(),
                end: now()
            })
        );
        assert!(run.outcome.fires);
    }

    #[test]
    fn the_window_applies_on_top_of_the_querys_own_time_filter() {
        let text = RULE.replace(
            "  | project User",
            "  | where TimeGenerated > ago(14d)\n  | project User",
        );
        let rule = read_rule_file(&text).unwrap();
        let run = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap();
        let users: Vec<String> = run.result.rows().map(|r| r[0].to_string()).collect();
        assert_eq!(users, ["recent"], "the old row stays out");
    }

    #[test]
    fn both_ends_of_the_window_are_included() {
        let rule = read_rule_file(&RULE.replace("queryPeriod: 1h", "queryPeriod: 150m")).unwrap();
        let run = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap();
        assert_eq!(run.result.num_rows(), 2, "09:00 is before 09:30");
        let rule = read_rule_file(&RULE.replace("queryPeriod: 1h", "queryPeriod: 3h")).unwrap();
        let run = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap();
        assert_eq!(
            run.result.num_rows(),
            3,
            "09:00 is the window's first instant"
        );
    }

    #[test]
    fn a_table_without_time_generated_is_left_whole_and_named() {
        let mut e = Engine::new();
        let t = e
            .run("datatable(User:string, ResultType:string)['a','1']")
            .unwrap();
        e.add_table("T", t);
        let rule = read_rule_file(RULE).unwrap();
        let run = run_rule(&mut e, &rule, now(), &RunOptions::default()).unwrap();
        assert_eq!(run.result.num_rows(), 1);
        assert_eq!(run.prepared.whole, ["T"]);
    }

    #[test]
    fn a_rule_without_a_query_period_reads_the_tables_whole() {
        let rule = read_rule_file(&RULE.replace("queryPeriod: 1h\n", "")).unwrap();
        let run = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap();
        assert_eq!(run.result.num_rows(), 3);
        assert_eq!(run.prepared.window, None);
    }

    #[test]
    fn a_query_error_points_at_the_yaml_line_and_column() {
        let text = RULE.replace("ResultType !=", "ResultTyp !=");
        let rule = read_rule_file(&text).unwrap();
        let errors = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap_err();
        let shown = describe("r.yaml", &text, &errors[0]);
        assert!(shown.starts_with("r.yaml:10:11: error["), "{shown}");
        assert!(shown.contains("ResultTyp"), "{shown}");
    }

    #[test]
    fn a_bad_query_period_is_an_error_at_its_field() {
        let text = RULE.replace("queryPeriod: 1h", "queryPeriod: soon");
        let rule = read_rule_file(&text).unwrap();
        let errors = run_rule(&mut engine(), &rule, now(), &RunOptions::default()).unwrap_err();
        assert_eq!(errors[0].code, codes::BAD_DURATION);
        assert!(describe("r.yaml", &text, &errors[0]).starts_with("r.yaml:5:14:"));
    }

    #[test]
    fn a_file_without_a_rule_or_a_query_is_an_error() {
        assert_eq!(
            read_rule_file("Function:\n  Title: x\n").unwrap_err().code,
            codes::NO_RULE
        );
        assert_eq!(
            read_rule_file("id: x\nkind: Scheduled\n").unwrap_err().code,
            codes::MISSING_FIELD
        );
    }

    #[test]
    fn rule_files_are_told_by_their_extension() {
        assert!(is_rule_file(std::path::Path::new("a/b.yaml")));
        assert!(is_rule_file(std::path::Path::new("b.YML")));
        assert!(is_rule_file(std::path::Path::new("arm/rule.json")));
        assert!(!is_rule_file(std::path::Path::new("b.kql")));
    }
}
