//! Kusto's default column names, in one place: every operator and
//! aggregate that names a column it was not given a name for asks here.
//!
//! The rules, with the reference page (Microsoft's KQL reference) that
//! states or shows each:
//!
//! - **`print`** (`print-operator.md`): an unnamed expression is
//!   `print_<i>`, `i` its position counted from 0 among all the items
//!   (`print 1, x = 2, 3` gives `print_0`, `x`, `print_2`), whatever the
//!   expression is, even a bare `let` name ([`print_column`]).
//! - **`extend`, `project`** (`extend-operator.md`, `project-operator.md`):
//!   an unnamed column reference keeps the column's name; `a.b.c` is
//!   `a_b_c` and `a['b']` / `a[0]` is `a_b` / `a_0` ([`derived_name`]); any
//!   other expression is `Column1`, `Column2`, ..., numbered among the
//!   operator's unnamed items and skipping a name the input already has,
//!   so a generated name never replaces a column ([`next_unnamed`]).
//! - **`summarize ... by`, `distinct`** (`summarize-operator.md`): a key is
//!   named as in `project`, and also `bin(X, ...)` (`bin_at`, `floor`,
//!   `startofday` and the other period starts and ends) and a conversion
//!   `tostring(X)` keep `X`'s name ([`key_name`]).
//! - **Aggregates** (`summarize-operator.md`, each aggregate's page): the
//!   aggregate's prefix and its argument's name, `count()` → `count_`,
//!   `sum(X)` → `sum_X`, `avg(X)` → `avg_X`, `dcount(X)` → `dcount_X`,
//!   `make_set(X)` → `set_X`, `make_list(X)` → `list_X`, `countif(p)` →
//!   `countif_`; an argument that is an expression with no name of its own
//!   leaves just the prefix (`sum(x * 2)` → `sum_`), and a conversion
//!   keeps its argument's name (`dcount(tostring(X))` → `dcount_X`)
//!   ([`aggregate_column`], [`aggregate_arg_name`]). Two-column aggregates
//!   add the second name (`covariance_x_y`, [`aggregate_column2`]).
//! - **Several outputs** (`percentiles-aggfunction.md`,
//!   `arg-max-aggfunction.md`): `percentile(X, 95)` is `percentile_X_95`
//!   and `percentiles(X, 50, 95)` gives `percentile_X_50`,
//!   `percentile_X_95`, a `.` in the percentage written `_`
//!   (`percentile_X_99_9`, [`percentile_column`]); `arg_max(X, *)` outputs
//!   `X` and then every other input column under its own name.
//! - **`top-hitters`** (`top-hitters-operator.md`): `approximate_count_V`,
//!   or `approximate_sum_S` with `by S` ([`top_hitters_count`],
//!   [`top_hitters_sum`]).
//! - **Collisions** (`summarize-operator.md`, `join-operator.md`): a later
//!   column whose name is taken gets the smallest free numeric suffix,
//!   `count_`, `count_1`, `count_2`; a `join`'s right-side `Key` becomes
//!   `Key1` ([`unique_name`]). In `union` (`union-operator.md`) a column
//!   with several types becomes one column per type, `Name_<type>`
//!   ([`typed_column`]).

use kqlite_parser::ast::{Expr, ExprKind, Literal};

use crate::types::DataType;

/// The name of the unnamed `print` item at `position` (from 0).
pub fn print_column(position: usize) -> String {
    format!("print_{position}")
}

/// The name of the `n`th unnamed computed column of an operator (from 1).
pub fn unnamed_column(n: usize) -> String {
    format!("Column{n}")
}

/// The next unnamed computed column of an operator: `Column<n>` for the
/// next `n` after `counter` whose name is not `taken` (by the input's
/// columns for `extend`, by the earlier outputs for `project`), so a
/// generated name never replaces a column.
pub fn next_unnamed(counter: &mut usize, taken: impl Fn(&str) -> bool) -> String {
    loop {
        *counter += 1;
        let name = unnamed_column(*counter);
        if !taken(&name) {
            return name;
        }
    }
}

/// An aggregate's default name: `prefix` + its first argument's name
/// (`dcount(IPAddress)` → `dcount_IPAddress`), or `prefix` alone when the
/// argument has no name.
pub fn aggregate_column(prefix: &str, arg_names: &[Option<&str>]) -> String {
    match arg_names.first().copied().flatten() {
        Some(n) => format!("{prefix}{n}"),
        None => prefix.to_string(),
    }
}

/// A two-column aggregate's default name: [`aggregate_column`] and
/// `_` + the second argument's name (`covariance_x_y`).
pub fn aggregate_column2(prefix: &str, arg_names: &[Option<&str>]) -> String {
    let first = aggregate_column(prefix, arg_names);
    match arg_names.get(1).copied().flatten() {
        Some(n) => format!("{first}_{n}"),
        None => first,
    }
}

/// A percentile's column: `percentile_X_P`, with the percentage (argument
/// `at`, as written) after the value's name and `.` written `_`.
pub fn percentile_column(arg_names: &[Option<&str>], at: usize) -> String {
    let base = aggregate_column("percentile_", arg_names);
    match arg_names.get(at).copied().flatten() {
        Some(p) => format!("{base}_{}", p.replace('.', "_")),
        None => base,
    }
}

/// `top-hitters N of V`: the count column, `approximate_count_V`.
pub fn top_hitters_count(of: &Expr) -> String {
    aggregate_column("approximate_count_", &[derived_name(of).as_deref()])
}

/// `top-hitters N of V by S`: the sum column, `approximate_sum_S`.
pub fn top_hitters_sum(by: &Expr) -> String {
    aggregate_column("approximate_sum_", &[derived_name(by).as_deref()])
}

/// The column for the values of type `ty` of a column `name` that has
/// several types across a `union`'s legs: `name_ty` (`ProcessId_string`).
pub fn typed_column(name: &str, ty: DataType) -> String {
    format!("{name}_{}", ty.name())
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
    use kqlite_parser::Span;

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
    fn print_and_computed_columns_are_numbered() {
        assert_eq!(print_column(0), "print_0");
        assert_eq!(unnamed_column(2), "Column2");
    }

    #[test]
    fn a_generated_name_skips_the_names_taken() {
        let mut n = 0;
        assert_eq!(next_unnamed(&mut n, |c| c == "Column1"), "Column2");
        assert_eq!(next_unnamed(&mut n, |_| false), "Column3");
    }

    #[test]
    fn aggregates_join_their_prefix_and_argument_names() {
        assert_eq!(aggregate_column("sum_", &[Some("x")]), "sum_x");
        assert_eq!(aggregate_column("sum_", &[None]), "sum_");
        assert_eq!(aggregate_column("count_", &[]), "count_");
        assert_eq!(
            aggregate_column2("covariance_", &[Some("a"), Some("b")]),
            "covariance_a_b"
        );
        assert_eq!(
            percentile_column(&[Some("x"), Some("99.9")], 1),
            "percentile_x_99_9"
        );
        assert_eq!(
            percentile_column(&[Some("x"), Some("w"), Some("50")], 2),
            "percentile_x_50"
        );
    }

    #[test]
    fn top_hitters_columns_name_the_counted_or_summed_column() {
        assert_eq!(top_hitters_count(&name("State")), "approximate_count_State");
        assert_eq!(top_hitters_sum(&name("Damage")), "approximate_sum_Damage");
    }

    #[test]
    fn a_column_of_several_types_is_suffixed_with_each_type() {
        assert_eq!(typed_column("ProcessId", DataType::Long), "ProcessId_long");
    }

    #[test]
    fn clashing_names_get_numeric_suffixes() {
        assert_eq!(unique_name("count_", &["count_"]), "count_1");
        assert_eq!(unique_name("count_", &["count_", "count_1"]), "count_2");
        assert_eq!(unique_name("x", &[]), "x");
    }
}
