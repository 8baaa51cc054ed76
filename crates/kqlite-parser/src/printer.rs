//! AST to canonical KQL text (`Display` for every node).
//!
//! The output parses back to the same tree (spans aside): parentheses the
//! text had are kept as [`ExprKind::Paren`], and the printer adds its own only
//! where a hand-built tree would otherwise read differently.

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::*;

#[path = "printer_graph.rs"]
mod graph;

type R = fmt::Result;

/// Binding levels, loosest first (see the parser).
const PIPE: u8 = 0;
const OR: u8 = 1;
const AND: u8 = 2;
const CMP: u8 = 3;
const ADD: u8 = 4;
const MUL: u8 = 5;
const UNARY: u8 = 6;
const POSTFIX: u8 = 7;

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "by",
    "on",
    "with",
    "of",
    "from",
    "to",
    "step",
    "asc",
    "desc",
    "nulls",
    "true",
    "false",
    "True",
    "False",
    "TRUE",
    "FALSE",
    "let",
    "set",
    "declare",
    "in",
    "between",
    "has",
    "has_cs",
    "hasprefix",
    "hassuffix",
    "contains",
    "contains_cs",
    "startswith",
    "endswith",
    "matches",
    "like",
    "has_any",
    "has_all",
    "print",
    "range",
    "datatable",
    "union",
    "search",
    "find",
    "externaldata",
    "default",
    "limit",
    "view",
    "notcontains",
    "containscs",
    "notbetween",
    "nothas",
    "notlike",
    "typeof",
    "dynamic",
    "datetime",
    "timespan",
    "time",
    "guid",
    "decimal",
    "where",
    "project",
    "extend",
    "summarize",
    "take",
    "count",
    "join",
    "others",
    "optional",
    "output",
    "step",
    // Operator parameter names: a bare `kind = x` item would read as one.
    "kind",
    "withsource",
    "isfuzzy",
    "bagexpansion",
    "with_itemindex",
    "flags",
    "decodeblocks",
    "with_match_id",
    "with_node_id",
    "with_source_id",
    "with_target_id",
    "with_component_id",
    "cycles",
];

fn write_list<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> R {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

fn write_exprs(f: &mut Formatter<'_>, items: &[Expr], level: u8) -> R {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        expr_at(f, item, level)?;
    }
    Ok(())
}

fn write_quoted(f: &mut Formatter<'_>, s: &str) -> R {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

fn is_plain_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !KEYWORDS.contains(&name)
}

impl Display for Script {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                f.write_str(";\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match &self.kind {
            StatementKind::Let(l) => write!(f, "{l}"),
            StatementKind::Query(e) => write!(f, "{e}"),
            StatementKind::DeclareQueryParameters(p) => {
                f.write_str("declare query_parameters(")?;
                write_list(f, p, ", ")?;
                f.write_str(")")
            }
            StatementKind::Set(s) => write!(f, "{s}"),
            StatementKind::DeclarePattern(p) => {
                write!(f, "declare pattern {} = (", p.name)?;
                write_list(f, &p.params, ", ")?;
                f.write_str(")")?;
                if let Some(path) = &p.path {
                    write!(f, "[{path}]")?;
                }
                f.write_str(" {")?;
                for r in &p.rules {
                    f.write_str(" (")?;
                    write_list(f, &r.args, ", ")?;
                    f.write_str(")")?;
                    if let Some(path) = &r.path {
                        write!(f, ".[{path}]")?;
                    }
                    write!(f, " = {{ {} }};", r.body)?;
                }
                f.write_str(" }")
            }
        }
    }
}

impl Display for LetStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "let {} = {}", self.name, self.value)
    }
}

impl Display for LetValue {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            LetValue::Expr(e) => write!(f, "{e}"),
            LetValue::Function(d) => write!(f, "{d}"),
        }
    }
}

impl Display for FunctionDef {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str("(")?;
        write_list(f, &self.params, ", ")?;
        f.write_str(") { ")?;
        write_list(f, &self.body, "; ")?;
        f.write_str(" }")
    }
}

impl Display for Parameter {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "{}: {}", self.name, self.ty)?;
        if let Some(d) = &self.default {
            f.write_str(" = ")?;
            expr_at(f, d, OR)?;
        }
        Ok(())
    }
}

impl Display for ParamType {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            ParamType::Scalar(t) => write!(f, "{t}"),
            ParamType::Tabular { columns, wildcard } => {
                f.write_str("(")?;
                write_list(f, columns, ", ")?;
                if *wildcard {
                    f.write_str(if columns.is_empty() { "*" } else { ", *" })?;
                }
                f.write_str(")")
            }
        }
    }
}

impl Display for ColumnDecl {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "{}: {}", self.name, self.ty)
    }
}

impl Display for SetStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "set {}", self.name.name)?;
        if let Some(v) = &self.value {
            f.write_str(" = ")?;
            expr_at(f, v, OR)?;
        }
        Ok(())
    }
}

impl Display for TypeName {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(self.as_str())
    }
}

impl Display for Ident {
    /// The bare name when it is a plain identifier, else `['quoted']`.
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        if is_plain_name(&self.name) {
            return f.write_str(&self.name);
        }
        f.write_str("[")?;
        write_quoted(f, &self.name)?;
        f.write_str("]")
    }
}

/// Writes a `name=value` parameter name (dotted names stay bare).
fn param_name(f: &mut Formatter<'_>, id: &Ident) -> R {
    let dotted_plain = id.name.split('.').all(|p| {
        let mut b = p.bytes();
        matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
            && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
    });
    if dotted_plain {
        f.write_str(&id.name)
    } else {
        write!(f, "{id}")
    }
}

/// Writes a call's named-argument name: bare whenever the parser reads it
/// back as a name before `=` (keywords like `to` and names starting with a
/// digit such as `5h_avg` included), since `['to'] = x` would read as a
/// comparison.
fn named_arg_name(f: &mut Formatter<'_>, id: &Ident) -> R {
    let b = id.name.as_bytes();
    let word = !b.is_empty() && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
    let starts_ok = b
        .first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
    let digit_name = b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'_');
    if word && (starts_ok || digit_name) {
        f.write_str(&id.name)
    } else {
        write!(f, "{id}")
    }
}

fn level(e: &Expr) -> u8 {
    match &e.kind {
        // `datatable(...)[...]` ends at its `]`, so it can stand as an
        // operand as it is; other sources run on to the end of the text.
        ExprKind::Source(op) if matches!(op.kind, OperatorKind::Datatable(_)) => POSTFIX,
        ExprKind::Pipe { .. } | ExprKind::Source(_) => PIPE,
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Or => OR,
            BinaryOp::And => AND,
            BinaryOp::Add | BinaryOp::Sub => ADD,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => MUL,
            _ => CMP,
        },
        ExprKind::List { .. } | ExprKind::Between { .. } => CMP,
        ExprKind::Unary { .. } => UNARY,
        _ => POSTFIX,
    }
}

/// Writes `e`, parenthesised if it binds looser than `min`.
fn expr_at(f: &mut Formatter<'_>, e: &Expr, min: u8) -> R {
    if level(e) < min {
        f.write_str("(")?;
        expr_body(f, e)?;
        f.write_str(")")
    } else {
        expr_body(f, e)
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        expr_body(f, self)
    }
}

fn expr_body(f: &mut Formatter<'_>, e: &Expr) -> R {
    match &e.kind {
        ExprKind::Literal(l) => write!(f, "{l}"),
        ExprKind::Name(n) => write!(f, "{n}"),
        ExprKind::JoinSide(s) => write!(f, "{s}"),
        ExprKind::Member { target, member } => {
            expr_at(f, target, POSTFIX)?;
            write!(f, ".{member}")
        }
        ExprKind::Index { target, index } => {
            expr_at(f, target, POSTFIX)?;
            f.write_str("[")?;
            expr_at(f, index, PIPE)?;
            f.write_str("]")
        }
        ExprKind::Call(c) => write!(f, "{c}"),
        ExprKind::Star => f.write_str("*"),
        ExprKind::Unary { op, operand } => {
            write!(f, "{op}")?;
            if matches!(operand.kind, ExprKind::Unary { .. }) {
                f.write_str(" ")?;
            }
            expr_at(f, operand, UNARY)
        }
        ExprKind::Binary { op, left, right } => {
            let lv = level(e);
            expr_at(f, left, if lv == CMP { CMP + 1 } else { lv })?;
            write!(f, " {op} ")?;
            // A right operand of the same associative operator comes only
            // from a rebalanced long chain: printed flat, it parses back
            // to the same chain (and the same balanced tree).
            let same = matches!(&right.kind, ExprKind::Binary { op: r, .. } if r == op)
                && matches!(
                    op,
                    BinaryOp::Or | BinaryOp::And | BinaryOp::Add | BinaryOp::Mul
                );
            expr_at(f, right, if same { lv } else { lv + 1 })
        }
        ExprKind::List { op, expr, list } => {
            expr_at(f, expr, CMP + 1)?;
            write!(f, " {op} (")?;
            write_exprs(f, list, PIPE)?;
            f.write_str(")")
        }
        ExprKind::Between {
            negated,
            expr,
            low,
            high,
        } => {
            expr_at(f, expr, CMP + 1)?;
            f.write_str(if *negated {
                " !between ("
            } else {
                " between ("
            })?;
            expr_at(f, low, OR)?;
            f.write_str(" .. ")?;
            expr_at(f, high, OR)?;
            f.write_str(")")
        }
        ExprKind::Paren(inner) => {
            f.write_str("(")?;
            expr_at(f, inner, PIPE)?;
            f.write_str(")")
        }
        ExprKind::Pipe { input, ops } => {
            expr_at(f, input, PIPE)?;
            ops.iter().try_for_each(|op| write!(f, "\n| {op}"))
        }
        ExprKind::Source(op) => write!(f, "{op}"),
    }
}

impl Display for JoinSide {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(match self {
            JoinSide::Left => "$left",
            JoinSide::Right => "$right",
        })
    }
}

impl Display for Call {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        // Call names stay bare even when they are keywords (`count()`).
        if self
            .name
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !self.name.name.is_empty()
        {
            write!(f, "{}(", self.name.name)?;
        } else {
            write!(f, "{}(", self.name)?;
        }
        // Named arguments usually follow the positional ones, but after a
        // pipe or source-operator argument they would read as part of its
        // last operator (`f(T | summarize c, n = 1)`, `f(print a = 1,
        // n = 1)`), so then they go first, as the parser accepts them
        // anywhere.
        let named_first = self
            .args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::Pipe { .. } | ExprKind::Source(_)));
        if !named_first {
            write_exprs(f, &self.args, PIPE)?;
        }
        for (i, (n, v)) in self.named.iter().enumerate() {
            if i > 0 || (!named_first && !self.args.is_empty()) {
                f.write_str(", ")?;
            }
            named_arg_name(f, n)?;
            f.write_str(" = ")?;
            expr_at(f, v, OR)?;
        }
        if named_first {
            if !self.named.is_empty() {
                f.write_str(", ")?;
            }
            write_exprs(f, &self.args, PIPE)?;
        }
        f.write_str(")")
    }
}

impl Display for UnaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(match self {
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
        })
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(match self {
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::EqTilde => "=~",
            BinaryOp::NotEqTilde => "!~",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Str(s) => return write!(f, "{s}"),
        })
    }
}

impl Display for StrOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        if self.kind == StrOpKind::MatchesRegex {
            return f.write_str("matches regex");
        }
        if self.negated {
            f.write_str("!")?;
        }
        f.write_str(match self.kind {
            StrOpKind::Has => "has",
            StrOpKind::HasPrefix => "hasprefix",
            StrOpKind::HasSuffix => "hassuffix",
            StrOpKind::Contains => "contains",
            StrOpKind::StartsWith => "startswith",
            StrOpKind::EndsWith => "endswith",
            StrOpKind::Like => "like",
            StrOpKind::MatchesRegex => "matches regex",
        })?;
        if self.case_sensitive {
            f.write_str("_cs")?;
        }
        Ok(())
    }
}

impl Display for ListOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(match self {
            ListOp::In => "in",
            ListOp::NotIn => "!in",
            ListOp::InCi => "in~",
            ListOp::NotInCi => "!in~",
            ListOp::HasAny => "has_any",
            ListOp::HasAll => "has_all",
        })
    }
}

fn write_real(f: &mut Formatter<'_>, v: f64) -> R {
    if v.is_nan() {
        f.write_str("real(nan)")
    } else if v.is_infinite() {
        f.write_str(if v > 0.0 { "real(+inf)" } else { "real(-inf)" })
    } else if v.is_sign_negative() {
        write!(f, "real({v:?})")
    } else {
        write!(f, "{v:?}")
    }
}

/// A non-negative timespan as a literal with the largest exact unit.
fn timespan_text(ticks: i64) -> String {
    const UNITS: &[(i64, &str)] = &[
        (864_000_000_000, "d"),
        (36_000_000_000, "h"),
        (600_000_000, "m"),
        (10_000_000, "s"),
        (10_000, "ms"),
        (10, "microsecond"),
    ];
    for (size, unit) in UNITS {
        if ticks % size == 0 && ticks != 0 {
            return format!("{}{unit}", ticks / size);
        }
    }
    format!("{ticks}tick")
}

fn write_timespan(f: &mut Formatter<'_>, ticks: i64) -> R {
    if ticks < 0 {
        match ticks.checked_neg() {
            Some(pos) => write!(f, "timespan(-{})", timespan_text(pos)),
            None => write!(f, "timespan(-{}tick)", (ticks as i128).unsigned_abs()),
        }
    } else {
        f.write_str(&timespan_text(ticks))
    }
}

/// A guid in its canonical `8-4-4-4-12` lowercase form, as literals print
/// and as the engine formats guid values.
pub fn format_guid(g: u128) -> String {
    let h = format!("{g:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            Literal::Bool(Some(b)) => write!(f, "{b}"),
            Literal::Bool(None) => f.write_str("bool(null)"),
            Literal::Int(Some(v)) => write!(f, "int({v})"),
            Literal::Int(None) => f.write_str("int(null)"),
            Literal::Long(Some(v)) if *v >= 0 => write!(f, "{v}"),
            Literal::Long(Some(v)) => write!(f, "long({v})"),
            Literal::Long(None) => f.write_str("long(null)"),
            Literal::Real(Some(v)) => write_real(f, *v),
            Literal::Real(None) => f.write_str("real(null)"),
            Literal::Decimal(Some(d)) => write!(f, "decimal({d})"),
            Literal::Decimal(None) => f.write_str("decimal(null)"),
            Literal::String(s) => write_quoted(f, s),
            Literal::DateTime(Some(d)) => write!(f, "datetime({d})"),
            Literal::DateTime(None) => f.write_str("datetime(null)"),
            Literal::TimeSpan(Some(t)) => write_timespan(f, *t),
            Literal::TimeSpan(None) => f.write_str("timespan(null)"),
            Literal::Guid(Some(g)) => write!(f, "guid({})", format_guid(*g)),
            Literal::Guid(None) => f.write_str("guid(null)"),
            Literal::Dynamic(d) => write!(f, "dynamic({d})"),
            Literal::TypeOf(t) => write!(f, "typeof({t})"),
        }
    }
}

impl Display for DynamicLiteral {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            DynamicLiteral::Null => f.write_str("null"),
            DynamicLiteral::Bool(b) => write!(f, "{b}"),
            DynamicLiteral::Long(v) => write!(f, "{v}"),
            DynamicLiteral::Real(v) if v.is_finite() => write!(f, "{v:?}"),
            // `1e999` and `real(+inf)` read as infinity inside `dynamic(...)`
            // too; write them so they read back the same.
            DynamicLiteral::Real(v) => write_real(f, *v),
            DynamicLiteral::String(s) => write_quoted(f, s),
            DynamicLiteral::DateTime(d) => write!(f, "datetime({d})"),
            DynamicLiteral::TimeSpan(t) if *t < 0 => {
                write!(f, "-{}", timespan_text(t.saturating_neg()))
            }
            DynamicLiteral::TimeSpan(t) => f.write_str(&timespan_text(*t)),
            DynamicLiteral::Guid(g) => write!(f, "guid({})", format_guid(*g)),
            DynamicLiteral::Array(items) => {
                f.write_str("[")?;
                write_list(f, items, ", ")?;
                f.write_str("]")
            }
            DynamicLiteral::Object(items) => {
                f.write_str("{")?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_quoted(f, k)?;
                    write!(f, ": {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl Display for NamedExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self.names.as_slice() {
            [] => {}
            [one] => write!(f, "{one} = ")?,
            many => {
                f.write_str("(")?;
                write_list(f, many, ", ")?;
                f.write_str(") = ")?;
            }
        }
        // A bare name followed by `=` would read as an assignment, so
        // unnamed items never start with one here; the parser agrees.
        expr_at(f, &self.expr, OR)
    }
}

impl Display for OperatorParam {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        param_name(f, &self.name)?;
        f.write_str("=")?;
        match &self.value.kind {
            ExprKind::Name(n) => param_name(f, n),
            _ => expr_at(f, &self.value, UNARY),
        }
    }
}

fn write_params(f: &mut Formatter<'_>, params: &[OperatorParam]) -> R {
    for p in params {
        write!(f, " {p}")?;
    }
    Ok(())
}

fn write_with(f: &mut Formatter<'_>, params: &[OperatorParam]) -> R {
    if !params.is_empty() {
        f.write_str(" with (")?;
        write_list(f, params, ", ")?;
        f.write_str(")")?;
    }
    Ok(())
}

impl Display for SortOrder {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        })
    }
}

impl Display for NullsOrder {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str(match self {
            NullsOrder::First => "nulls first",
            NullsOrder::Last => "nulls last",
        })
    }
}

impl Display for SortKey {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        expr_at(f, &self.expr, OR)?;
        if let Some(o) = self.order {
            write!(f, " {o}")?;
        }
        if let Some(n) = self.nulls {
            write!(f, " {n}")?;
        }
        Ok(())
    }
}

impl Display for Datatable {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str("datatable(")?;
        write_list(f, &self.columns, ", ")?;
        f.write_str(") [")?;
        write_exprs(f, &self.values, OR)?;
        f.write_str("]")
    }
}

impl Display for ParsePart {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            ParsePart::Text(s) => write_quoted(f, s),
            ParsePart::Column { name, ty: Some(t) } => write!(f, "{name}: {t}"),
            ParsePart::Column { name, ty: None } => write!(f, "{name}"),
            ParsePart::Star => f.write_str("*"),
        }
    }
}

impl Display for ExpandItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "{}", self.expr)?;
        if let Some(t) = self.to_type {
            write!(f, " to typeof({t})")?;
        }
        Ok(())
    }
}

impl Display for Subquery {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str("(")?;
        write_list(f, &self.ops, " | ")?;
        f.write_str(")")
    }
}

impl Display for FindItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            FindItem::Column(id, None) => write!(f, "{id}"),
            FindItem::Column(id, Some(ty)) => write!(f, "{id}:{ty}"),
            FindItem::PackAll(_) => f.write_str("pack_all()"),
        }
    }
}

impl Display for PartitionBody {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            PartitionBody::Subquery(s) => write!(f, "{s}"),
            PartitionBody::Expr(e) => write!(f, "{{ {e} }}"),
        }
    }
}

impl Display for TopNestedClause {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str("top-nested")?;
        if let Some(c) = &self.count {
            f.write_str(" ")?;
            expr_at(f, c, OR)?;
        }
        write!(f, " of {}", self.of)?;
        if let Some(o) = &self.with_others {
            f.write_str(" with others = ")?;
            expr_at(f, o, OR)?;
        }
        write!(f, " by {}", self.by)?;
        if let Some(o) = self.order {
            write!(f, " {o}")?;
        }
        Ok(())
    }
}

impl Display for MakeSeries {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str("make-series")?;
        write_params(f, &self.params)?;
        for (i, (agg, default)) in self.aggregates.iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ", " })?;
            write!(f, "{agg}")?;
            if let Some(d) = default {
                f.write_str(" default = ")?;
                expr_at(f, d, OR)?;
            }
        }
        f.write_str(" on ")?;
        expr_at(f, &self.on, ADD)?;
        if let (true, Some(from), Some(to)) = (self.in_range, &self.from, &self.to) {
            f.write_str(" in range(")?;
            expr_at(f, from, OR)?;
            f.write_str(", ")?;
            expr_at(f, to, OR)?;
            f.write_str(", ")?;
            expr_at(f, &self.step, OR)?;
            f.write_str(")")?;
            if !self.by.is_empty() {
                f.write_str(" by ")?;
                write_list(f, &self.by, ", ")?;
            }
            return Ok(());
        }
        if let Some(e) = &self.from {
            f.write_str(" from ")?;
            expr_at(f, e, OR)?;
        }
        if let Some(e) = &self.to {
            f.write_str(" to ")?;
            expr_at(f, e, OR)?;
        }
        f.write_str(" step ")?;
        expr_at(f, &self.step, OR)?;
        if !self.by.is_empty() {
            f.write_str(" by ")?;
            write_list(f, &self.by, ", ")?;
        }
        Ok(())
    }
}

impl Display for Scan {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        f.write_str("scan")?;
        write_params(f, &self.params)?;
        if !self.order_by.is_empty() {
            f.write_str(" order by ")?;
            write_list(f, &self.order_by, ", ")?;
        }
        if !self.partition_by.is_empty() {
            f.write_str(" partition by ")?;
            write_exprs(f, &self.partition_by, OR)?;
        }
        if !self.declare.is_empty() {
            f.write_str(" declare (")?;
            write_list(f, &self.declare, ", ")?;
            f.write_str(")")?;
        }
        f.write_str(" with (")?;
        for s in &self.steps {
            write!(f, " {s}")?;
        }
        f.write_str(" )")
    }
}

impl Display for ScanStep {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "step {}", self.name)?;
        if self.optional {
            f.write_str(" optional")?;
        }
        if let Some(o) = &self.output {
            write!(f, " output={o}")?;
        }
        f.write_str(": ")?;
        expr_at(f, &self.predicate, OR)?;
        for (i, (n, v)) in self.assignments.iter().enumerate() {
            f.write_str(if i == 0 { " => " } else { ", " })?;
            param_name(f, n)?;
            f.write_str(" = ")?;
            expr_at(f, v, OR)?;
        }
        f.write_str(";")
    }
}

impl Display for Operator {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        write!(f, "{}", self.kind)
    }
}

fn ops_list<T: Display>(f: &mut Formatter<'_>, head: &str, items: &[T]) -> R {
    f.write_str(head)?;
    if !items.is_empty() {
        f.write_str(" ")?;
        write_list(f, items, ", ")?;
    }
    Ok(())
}

impl Display for OperatorKind {
    fn fmt(&self, f: &mut Formatter<'_>) -> R {
        match self {
            OperatorKind::Where(e) => {
                f.write_str("where ")?;
                expr_at(f, e, OR)
            }
            OperatorKind::Extend(items) => ops_list(f, "extend", items),
            OperatorKind::Project(items) => ops_list(f, "project", items),
            OperatorKind::ProjectAway(ids) => ops_list(f, "project-away", ids),
            OperatorKind::ProjectKeep(ids) => ops_list(f, "project-keep", ids),
            OperatorKind::ProjectRename(pairs) => {
                f.write_str("project-rename ")?;
                for (i, (new, old)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{new} = {old}")?;
                }
                Ok(())
            }
            OperatorKind::ProjectReorder(cols) => {
                f.write_str("project-reorder ")?;
                for (i, (c, o)) in cols.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{c}")?;
                    if let Some(o) = o {
                        write!(f, " {o}")?;
                    }
                }
                Ok(())
            }
            OperatorKind::Summarize {
                params,
                aggregates,
                by,
            } => {
                f.write_str("summarize")?;
                write_params(f, params)?;
                if !aggregates.is_empty() {
                    f.write_str(" ")?;
                    write_list(f, aggregates, ", ")?;
                }
                if !by.is_empty() {
                    f.write_str(" by ")?;
                    write_list(f, by, ", ")?;
                }
                Ok(())
            }
            OperatorKind::Sort { params, keys } => {
                f.write_str("sort")?;
                write_params(f, params)?;
                f.write_str(" by ")?;
                write_list(f, keys, ", ")
            }
            OperatorKind::Take(e) => {
                f.write_str("take ")?;
                expr_at(f, e, OR)
            }
            OperatorKind::Top { count, key } => {
                f.write_str("top ")?;
                expr_at(f, count, OR)?;
                write!(f, " by {key}")
            }
            OperatorKind::TopNested(clauses) => write_list(f, clauses, ", "),
            OperatorKind::Count => f.write_str("count"),
            OperatorKind::Distinct(items) => {
                f.write_str("distinct ")?;
                write_exprs(f, items, OR)
            }
            OperatorKind::Join { params, right, on }
            | OperatorKind::Lookup { params, right, on } => {
                f.write_str(if matches!(self, OperatorKind::Join { .. }) {
                    "join"
                } else {
                    "lookup"
                })?;
                write_params(f, params)?;
                f.write_str(" (")?;
                expr_at(f, right, PIPE)?;
                f.write_str(") on ")?;
                write_exprs(f, on, OR)
            }
            OperatorKind::Union { params, tables } => {
                f.write_str("union")?;
                write_params(f, params)?;
                f.write_str(" ")?;
                write_exprs(f, tables, POSTFIX)
            }
            OperatorKind::MvExpand {
                params,
                items,
                limit,
            }
            | OperatorKind::MvApply {
                params,
                items,
                limit,
                ..
            } => {
                f.write_str(if matches!(self, OperatorKind::MvExpand { .. }) {
                    "mv-expand"
                } else {
                    "mv-apply"
                })?;
                write_params(f, params)?;
                f.write_str(" ")?;
                write_list(f, items, ", ")?;
                if let Some(l) = limit {
                    f.write_str(" limit ")?;
                    expr_at(f, l, OR)?;
                }
                if let OperatorKind::MvApply { on, .. } = self {
                    write!(f, " on {on}")?;
                }
                Ok(())
            }
            OperatorKind::Parse {
                params,
                expr,
                pattern,
            }
            | OperatorKind::ParseWhere {
                params,
                expr,
                pattern,
            } => {
                f.write_str(if matches!(self, OperatorKind::Parse { .. }) {
                    "parse"
                } else {
                    "parse-where"
                })?;
                write_params(f, params)?;
                f.write_str(" ")?;
                expr_at(f, expr, OR)?;
                f.write_str(" with ")?;
                write_list(f, pattern, " ")
            }
            OperatorKind::ParseKv {
                expr,
                columns,
                with,
            } => {
                f.write_str("parse-kv ")?;
                expr_at(f, expr, OR)?;
                f.write_str(" as (")?;
                write_list(f, columns, ", ")?;
                f.write_str(")")?;
                write_with(f, with)
            }
            OperatorKind::MakeSeries(m) => write!(f, "{m}"),
            OperatorKind::Evaluate {
                params,
                call,
                schema,
            } => {
                f.write_str("evaluate")?;
                write_params(f, params)?;
                write!(f, " {call}")?;
                if let Some(columns) = schema {
                    f.write_str(" : (")?;
                    write_list(f, columns, ", ")?;
                    f.write_str(")")?;
                }
                Ok(())
            }
            OperatorKind::Render { chart, with } => {
                write!(f, "render {chart}")?;
                write_with(f, with)
            }
            OperatorKind::Serialize(items) => ops_list(f, "serialize", items),
            OperatorKind::As { params, name } => {
                f.write_str("as")?;
                write_params(f, params)?;
                write!(f, " {name}")
            }
            OperatorKind::Invoke(call) => write!(f, "invoke {call}"),
            OperatorKind::GetSchema => f.write_str("getschema"),
            OperatorKind::Sample(e) => {
                f.write_str("sample ")?;
                expr_at(f, e, OR)
            }
            OperatorKind::SampleDistinct { count, of } => {
                f.write_str("sample-distinct ")?;
                expr_at(f, count, OR)?;
                f.write_str(" of ")?;
                expr_at(f, of, OR)
            }
            OperatorKind::TopHitters { count, of, by } => {
                f.write_str("top-hitters ")?;
                expr_at(f, count, OR)?;
                f.write_str(" of ")?;
                expr_at(f, of, OR)?;
                if let Some(b) = by {
                    f.write_str(" by ")?;
                    expr_at(f, b, OR)?;
                }
                Ok(())
            }
            OperatorKind::Partition { params, by, body } => {
                f.write_str("partition")?;
                write_params(f, params)?;
                f.write_str(" by ")?;
                expr_at(f, by, POSTFIX)?;
                write!(f, " {body}")
            }
            OperatorKind::Scan(s) => write!(f, "{s}"),
            OperatorKind::Facet { by, with } => {
                f.write_str("facet by ")?;
                write_list(f, by, ", ")?;
                if let Some(w) = with {
                    write!(f, " with {w}")?;
                }
                Ok(())
            }
            OperatorKind::Fork(branches) => {
                f.write_str("fork")?;
                for (name, sub) in branches {
                    f.write_str(" ")?;
                    if let Some(n) = name {
                        write!(f, "{n}=")?;
                    }
                    write!(f, "{sub}")?;
                }
                Ok(())
            }
            OperatorKind::Search {
                params,
                tables,
                predicate,
            } => {
                f.write_str("search")?;
                write_params(f, params)?;
                if !tables.is_empty() {
                    f.write_str(" in (")?;
                    write_list(f, tables, ", ")?;
                    f.write_str(")")?;
                }
                f.write_str(" ")?;
                expr_at(f, predicate, OR)
            }
            OperatorKind::Find {
                params,
                tables,
                predicate,
                project,
            } => {
                f.write_str("find")?;
                write_params(f, params)?;
                if !tables.is_empty() {
                    f.write_str(" in (")?;
                    write_exprs(f, tables, POSTFIX)?;
                    f.write_str(")")?;
                }
                f.write_str(" where ")?;
                expr_at(f, predicate, OR)?;
                if !project.is_empty() {
                    f.write_str(" project ")?;
                    write_list(f, project, ", ")?;
                }
                Ok(())
            }
            OperatorKind::Reduce { params, by, with } => {
                f.write_str("reduce")?;
                write_params(f, params)?;
                f.write_str(" by ")?;
                expr_at(f, by, OR)?;
                if !with.is_empty() {
                    f.write_str(" with ")?;
                    write_list(f, with, ", ")?;
                }
                Ok(())
            }
            OperatorKind::Consume(params) => {
                f.write_str("consume")?;
                write_params(f, params)
            }
            OperatorKind::MakeGraph(g) => graph::make_graph(f, g),
            OperatorKind::GraphMatch(g) => graph::graph_match(f, g),
            OperatorKind::GraphToTable(items) => {
                f.write_str("graph-to-table ")?;
                write_list(f, items, ", ")
            }
            OperatorKind::GraphMarkComponents(params) => {
                f.write_str("graph-mark-components")?;
                write_params(f, params)
            }
            OperatorKind::GraphMerge { right, on } => {
                f.write_str("graph-merge (")?;
                expr_at(f, right, PIPE)?;
                f.write_str(")")?;
                if !on.is_empty() {
                    f.write_str(" on ")?;
                    write_exprs(f, on, OR)?;
                }
                Ok(())
            }
            OperatorKind::Print(items) => ops_list(f, "print", items),
            OperatorKind::Range {
                name,
                from,
                to,
                step,
            } => {
                write!(f, "range {name} from ")?;
                expr_at(f, from, OR)?;
                f.write_str(" to ")?;
                expr_at(f, to, OR)?;
                f.write_str(" step ")?;
                expr_at(f, step, OR)
            }
            OperatorKind::Datatable(d) => write!(f, "{d}"),
            OperatorKind::Externaldata {
                columns,
                uris,
                with,
            } => {
                f.write_str("externaldata(")?;
                write_list(f, columns, ", ")?;
                f.write_str(") [")?;
                write_exprs(f, uris, OR)?;
                f.write_str("]")?;
                write_with(f, with)
            }
        }
    }
}
