//! Diagnostics helpers and did-you-mean suggestions. Default column names
//! are decided in [`crate::naming`], re-exported here for the binder.

pub use crate::naming::{
    aggregate_arg_name, derived_name, key_name, number_text, projected_name, unique_name,
    without_conversions,
};

use kqlite_parser::diagnostic::Diagnostic;
use kqlite_parser::Span;

/// Diagnostic codes the binder emits.
pub mod codes {
    /// Unknown table or tabular `let`.
    pub const UNKNOWN_TABLE: &str = "E1000";
    /// Unknown column or scalar name.
    pub const UNKNOWN_COLUMN: &str = "E1001";
    /// Unknown function.
    pub const UNKNOWN_FUNCTION: &str = "E1002";
    /// Wrong number of arguments.
    pub const ARITY: &str = "E1003";
    /// Operand or argument of the wrong type.
    pub const TYPE_MISMATCH: &str = "E1004";
    /// Parsed but not executable by kqlite.
    pub const NOT_SUPPORTED: &str = "E1005";
    /// A scalar where a table is needed, or the reverse.
    pub const WRONG_KIND: &str = "E1006";
    /// An argument or parameter with an invalid value.
    pub const INVALID: &str = "E1007";
    /// `section` names no tabular `let`.
    pub const UNKNOWN_SECTION: &str = "E1008";
    /// A string column compared with a number literal.
    pub const STRING_NUMBER_COMPARE: &str = "W0001";
    /// A `let` that is never used.
    pub const UNUSED_LET: &str = "W0002";
}

/// An error diagnostic.
pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::error(code, message, span)
}

/// E1005 for a built-in function (or plugin) that this build of the engine
/// leaves out because its cargo `feature` is off.
pub fn not_in_build(name: &str, feature: &str, span: Span) -> Diagnostic {
    with_hint(
        error(
            codes::NOT_SUPPORTED,
            format!("not supported: `{name}` is left out of this build (cargo feature `{feature}` of kqlite-engine)"),
            span,
        ),
        format!("build kqlite-engine with `features = [\"{feature}\"]` (on by default)"),
    )
}

/// A warning diagnostic.
pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::warning(code, message, span)
}

/// Adds a hint to a diagnostic.
pub fn with_hint(d: Diagnostic, hint: impl Into<String>) -> Diagnostic {
    d.with_hint(hint)
}

/// Levenshtein distance between two names, compared case-insensitively
/// (a case-only difference counts as a small distance, not zero).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = if ca == cb {
                0
            } else if ca.eq_ignore_ascii_case(cb) {
                // Counted as half an edit, rounded by the threshold below.
                1
            } else {
                2
            };
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 2).min(cur[j] + 2);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = 2 * (name.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Adds "did you mean" to a diagnostic when a candidate is close.
pub fn suggest<'a>(
    d: Diagnostic,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Diagnostic {
    match did_you_mean(name, candidates) {
        Some(c) => with_hint(d, format!("did you mean `{c}`?")),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_letter_typo_is_suggested() {
        let cands = ["ResultType", "UserPrincipalName", "IPAddress"];
        assert_eq!(did_you_mean("ResultTyp", cands), Some("ResultType"));
        assert_eq!(did_you_mean("IpAddress", cands), Some("IPAddress"));
        assert_eq!(did_you_mean("Completely", cands), None);
    }
}
