//! `kqlite run rule.yaml`: a Sentinel analytic rule as the query. Its
//! `query` runs over the tables cut to its `queryPeriod` window, errors
//! point at lines and columns of the rule file, and after the result comes
//! what Sentinel would raise (see `kqlite_sentinel::rule::alerts`).

use std::path::Path;

use kqlite_engine::{Engine, QueryError, Table};
use kqlite_parser::Diagnostic;
use kqlite_sentinel::rule::{alerts, run as rule_run, Rule};

use crate::{render, Outcome};

/// A rule file given to `kqlite run`.
pub struct RuleSource {
    /// The file name, for messages.
    name: String,
    /// The file's text (diagnostics are spanned in it).
    text: String,
    /// The rule read from it.
    rule: Rule,
}

impl RuleSource {
    /// The rule in `text` when `name` is a rule file (`.yaml`, `.yml`, ARM `.json`); `Err` (with
    /// the error printed) when it holds no runnable rule.
    pub fn read(name: &str, text: &str) -> Result<Option<RuleSource>, Outcome> {
        let Some(format) = rule_run::rule_format(Path::new(name)) else {
            return Ok(None);
        };
        match rule_run::read_rule_file_as(text, format) {
            Ok(rule) => Ok(Some(RuleSource {
                name: name.to_string(),
                text: text.to_string(),
                rule,
            })),
            Err(d) => Err(self::report(name, text, &[d])),
        }
    }

    /// The rule's query text.
    pub fn query(&self) -> String {
        self.rule
            .query
            .as_ref()
            .map(|q| q.value.clone())
            .unwrap_or_default()
    }

    /// Prints a query error at its place in the rule file.
    pub fn report_query_error(&self, err: &QueryError) -> Outcome {
        use kqlite_engine::engine::codes;
        let Some(query) = &self.rule.query else {
            return Outcome::Failure;
        };
        let limits = [codes::CANCELLED, codes::TIMED_OUT, codes::RESULT_TOO_LARGE];
        if err.code().is_some_and(|c| limits.contains(&c)) {
            // Limits concern the whole query, not a place in it.
            return crate::run::report_query_error(&self.name, "", err);
        }
        report(
            &self.name,
            &self.text,
            &rule_run::query_error_in_file(query, err),
        )
    }

    /// Cuts the tables the query reads to the rule's lookback window ending
    /// at `now`, with a note on stderr.
    pub fn prepare(&self, engine: &mut Engine, now: i64) -> Result<rule_run::Prepared, Outcome> {
        let prepared = rule_run::prepare(engine, &self.rule, now)
            .map_err(|ds| report(&self.name, &self.text, &ds))?;
        match prepared.window {
            Some(w) => errln!(
                "note: the rule looks back {} (queryPeriod): rows with TimeGenerated from {} to {}",
                self.rule
                    .query_period
                    .as_ref()
                    .map_or("", |p| p.value.as_str()),
                kqlite_engine::time::format_datetime(w.start),
                kqlite_engine::time::format_datetime(w.end)
            ),
            None => errln!("note: the rule has no queryPeriod: tables are read whole"),
        }
        if !prepared.whole.is_empty() {
            errln!(
                "note: read whole (no TimeGenerated column): {}",
                prepared.whole.join(", ")
            );
        }
        Ok(prepared)
    }

    /// Works out what the rule raises for `result` and prints it: a summary
    /// on stderr, or with `json` the outcome as one JSON document on stdout
    /// (with the rule's name and the window `prepared` used).
    pub fn finish(&self, result: &Table, json: bool, prepared: &rule_run::Prepared) -> Outcome {
        let outcome = match alerts::evaluate(&self.rule, result) {
            Ok(o) => o,
            Err(d) => return report(&self.name, &self.text, &[d]),
        };
        if json {
            let mut doc = outcome.to_json();
            if let Some(obj) = doc.as_object_mut() {
                obj.insert(
                    "rule".into(),
                    serde_json::Value::String(self.rule.title().unwrap_or_default().into()),
                );
                if let Some(w) = prepared.window {
                    obj.insert(
                        "window".into(),
                        serde_json::json!({
                            "start": kqlite_engine::time::format_datetime(w.start),
                            "end": kqlite_engine::time::format_datetime(w.end),
                        }),
                    );
                }
            }
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            outln!("{text}");
        } else {
            err!("{}", outcome.summary());
        }
        Outcome::Success
    }
}

/// Prints diagnostics about a rule file and returns [`Outcome::Failure`].
fn report(name: &str, text: &str, diagnostics: &[Diagnostic]) -> Outcome {
    err!("{}", render::render_all_for_stderr(name, text, diagnostics));
    Outcome::Failure
}
