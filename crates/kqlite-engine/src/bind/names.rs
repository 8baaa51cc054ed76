//! Diagnostics helpers, did-you-mean suggestions and default column names.

use kqlite_parser::ast::{Expr, ExprKind, Literal};
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

/// The name Kusto gives an unnamed projected expression, when it derives one
/// from the text: a column keeps its name, `a.b.c` becomes `a_b_c`,
/// `a['b']` becomes `a_b`.
pub fn derived_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(id) => Some(id.name.clone()),
        ExprKind::Member { target, member } => {
            derived_name(target).map(|t| format!("{t}_{}", member.name))
        }
        ExprKind::Index { target, index } => match &index.kind {
            ExprKind::Literal(Literal::String(s)) => {
                derived_name(target).map(|t| format!("{t}_{s}"))
            }
            ExprKind::Literal(Literal::Long(Some(i))) => {
                derived_name(target).map(|t| format!("{t}_{i}"))
            }
            _ => None,
        },
        ExprKind::Paren(e) => derived_name(e),
        _ => None,
    }
}

/// The text of a number literal argument, as it appears in a default
/// aggregate name (`percentile(x, 95)` is `percentile_x_95`).
pub fn number_text(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Literal(Literal::Long(Some(v))) => Some(v.to_string()),
        ExprKind::Literal(Literal::Int(Some(v))) => Some(v.to_string()),
        ExprKind::Literal(Literal::Real(Some(v))) if v.is_finite() => Some(v.to_string()),
        ExprKind::Paren(e) => number_text(e),
        _ => None,
    }
}

/// The name of an unnamed `project`/`extend` item: like [`derived_name`],
/// and `dcount_hll(x)` is named `dcount_hll_x` as if it were an aggregate.
pub fn projected_name(expr: &Expr) -> Option<String> {
    if let ExprKind::Call(call) = &expr.kind {
        if call.name.name == "dcount_hll" {
            if let [arg] = call.args.as_slice() {
                return derived_name(arg).map(|a| format!("dcount_hll_{a}"));
            }
        }
    }
    derived_name(expr)
}

/// Whether `name` is a conversion function whose unnamed result, inside
/// `summarize`, keeps the name of its one argument (`by tostring(Tld)` is
/// `Tld`; `make_list(tostring(country))` is `list_country`).
fn keeps_argument_name(name: &str) -> bool {
    matches!(
        name,
        "tostring"
            | "toint"
            | "tolong"
            | "todouble"
            | "toreal"
            | "tobool"
            | "toboolean"
            | "todatetime"
            | "totimespan"
            | "toguid"
            | "todecimal"
            | "todynamic"
            | "toobject"
            | "parse_json"
            | "parsejson"
    )
}

/// `expr` without the conversion calls around it that keep their
/// argument's name (`tostring`, `toint`, `todynamic`, `parse_json`, ...).
pub fn without_conversions(expr: &Expr) -> &Expr {
    match &expr.kind {
        ExprKind::Call(call) if keeps_argument_name(&call.name.name) => {
            match call.args.as_slice() {
                [arg] if call.named.is_empty() => without_conversions(arg),
                _ => expr,
            }
        }
        ExprKind::Paren(e) => without_conversions(e),
        _ => expr,
    }
}

/// The name an aggregate's argument lends to its default column name
/// (`dcount(tostring(X))` is `dcount_X`).
pub fn aggregate_arg_name(expr: &Expr) -> Option<String> {
    derived_name(without_conversions(expr))
}

/// The name of a `summarize ... by` key: like [`derived_name`], and
/// `bin(X, size)` (also `bin_at`, `floor`, `startofday(X)` and the other
/// period starts and ends) keeps `X`'s name, as does a conversion such as
/// `tostring(X)`.
pub fn key_name(expr: &Expr) -> Option<String> {
    let expr = without_conversions(expr);
    if let ExprKind::Call(call) = &expr.kind {
        if matches!(
            call.name.name.as_str(),
            "bin"
                | "bin_at"
                | "bin_auto"
                | "floor"
                | "startofday"
                | "startofweek"
                | "startofmonth"
                | "startofyear"
                | "endofday"
                | "endofweek"
                | "endofmonth"
                | "endofyear"
        ) {
            return call.args.first().and_then(derived_name);
        }
    }
    derived_name(expr)
}

/// Makes `name` unique among `taken` by appending `1`, `2`, ...
pub fn unique_name(name: &str, taken: &[&str]) -> String {
    if !taken.contains(&name) {
        return name.to_string();
    }
    (1..)
        .map(|i| format!("{name}{i}"))
        .find(|n| !taken.contains(&n.as_str()))
        .unwrap_or_else(|| name.to_string())
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

    fn name(n: &str) -> Expr {
        Expr {
            kind: ExprKind::Name(kqlite_parser::ast::Ident {
                name: n.into(),
                span: Span::default(),
            }),
            span: Span::default(),
        }
    }

    fn call(f: &str, args: Vec<Expr>) -> Expr {
        Expr {
            kind: ExprKind::Call(kqlite_parser::ast::Call {
                name: kqlite_parser::ast::Ident {
                    name: f.into(),
                    span: Span::default(),
                },
                args,
                named: Vec::new(),
            }),
            span: Span::default(),
        }
    }

    #[test]
    fn an_unnamed_dcount_hll_is_named_after_its_column() {
        let e = call("dcount_hll", vec![name("merged")]);
        assert_eq!(projected_name(&e).as_deref(), Some("dcount_hll_merged"));
        assert_eq!(projected_name(&call("tostring", vec![name("x")])), None);
        assert_eq!(projected_name(&name("x")).as_deref(), Some("x"));
    }

    #[test]
    fn clashing_names_get_numeric_suffixes() {
        assert_eq!(unique_name("count_", &["count_"]), "count_1");
        assert_eq!(unique_name("count_", &["count_", "count_1"]), "count_2");
        assert_eq!(unique_name("x", &[]), "x");
    }
}
