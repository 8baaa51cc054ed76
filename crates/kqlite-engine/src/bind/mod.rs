//! The binder: resolves names and types of a parsed script before any data
//! is read, folds constants, and produces a [`Plan`].
//!
//! Errors and warnings are [`Diagnostic`]s with spans into the query text.
//! Anything parsed but not executable is reported as "not supported", never
//! approximated.

mod calls;
pub(crate) mod evaluate;
mod expr;
mod find;
mod fork;
pub mod graph;
pub mod literal;
pub mod names;
pub(crate) mod operator;
mod ops;
pub(crate) mod partition;
mod pattern;
mod pipeline;
pub mod plan;
mod plugins;
pub mod plugins_extra;
mod plugins_more;
pub mod prune;
mod reduce;
mod scan;
mod schema;
mod search;
mod stored;
mod timing;
mod top_hitters;
mod walk;

use std::sync::Arc;

use kqlite_parser::ast::{self, Expr, ExprKind, LetValue, Script, StatementKind};
use kqlite_parser::diagnostic::Diagnostic;
use kqlite_parser::Span;

use crate::catalog::Catalog;
use crate::registry::Registry;

use names::codes;
pub use plan::{BoundExpr, BoundExprKind, Plan, Schema};

/// Nesting limit for tabular expressions, counted across inlined calls.
const MAX_PLAN_DEPTH: usize = 512;

/// Nesting limit for user function calls: a chain of functions each
/// calling the next is inlined as deep as it is long. (Recursion is caught
/// apart, by the function's identity.)
const MAX_CALL_DEPTH: usize = 256;

/// What to bind besides the script text.
#[derive(Debug, Clone, Copy, Default)]
pub struct BindOptions<'a> {
    /// Evaluate this tabular `let` instead of the final query statement.
    pub section: Option<&'a str>,
    /// Replacement values for `let`s (and query parameters) by name.
    pub overrides: &'a [(String, Expr)],
    /// The functions calls resolve to; `None` for the built-in ones.
    pub registry: Option<&'a Registry>,
    /// Limits on what binding evaluates itself (`evaluate bag_unpack`
    /// over constant rows); `None` for [`crate::eval::Limits::default`].
    pub limits: Option<crate::eval::Limits>,
}

/// A bound query: the plan of the result and its schema, plus warnings.
#[derive(Debug, Clone)]
pub struct BoundQuery {
    /// The plan producing the result.
    pub plan: Arc<Plan>,
    /// The result's columns.
    pub schema: Schema,
    /// Warnings found while binding.
    pub warnings: Vec<Diagnostic>,
    /// Further result tables after the first, in order, each with its name
    /// (empty when unnamed): the legs of a `fork` or the tables of a `facet`.
    pub more: Vec<(String, Arc<Plan>, Schema)>,
}

/// Binds `script` against `catalog`. Fails with every error found (warnings
/// included after the errors).
pub fn bind(
    script: &Script,
    catalog: &Catalog,
    options: &BindOptions<'_>,
) -> Result<BoundQuery, Vec<Diagnostic>> {
    bind_guarded(script, catalog, options, None)
}

/// [`bind`] under a query's deadline and cancel flag: binding stops with
/// error `E1106` (or `E1105`) once either fires.
pub(crate) fn bind_guarded(
    script: &Script,
    catalog: &Catalog,
    options: &BindOptions<'_>,
    guard: Option<crate::eval::limits::Guard>,
) -> Result<BoundQuery, Vec<Diagnostic>> {
    let registry = options.registry.unwrap_or_else(|| Registry::builtin());
    let mut binder = Binder::new(catalog, registry, options.overrides);
    binder.limits = options.limits.unwrap_or_default();
    binder.guard = guard;
    let result = binder.bind_script(script, options.section);
    // Errors counted but explained by others still fail the query: a plan
    // holding stand-ins must never run.
    let more = binder.take_more_results(result.as_ref().map(|(p, _)| p), script.span);
    let counted = binder.errors > 0;
    let (errors, warnings): (Vec<_>, Vec<_>) =
        binder.diags.into_iter().partition(Diagnostic::is_error);
    match result {
        Some((plan, schema)) if errors.is_empty() && !counted => Ok(BoundQuery {
            plan,
            schema,
            warnings,
            more,
        }),
        _ => {
            let mut all = errors;
            if all.is_empty() && counted {
                all.push(names::error(
                    codes::INVALID,
                    "the query did not bind, and no error explains why (a bug in kqlite)",
                    script.span,
                ));
            } else if all.is_empty() {
                all.push(names::error(
                    codes::WRONG_KIND,
                    "the query has no tabular expression to evaluate",
                    script.span,
                ));
            }
            all.extend(warnings);
            Err(all)
        }
    }
}

/// Every error and warning of `script` against `catalog` and the functions
/// of `registry`, without reading data (for `kqlite check`).
pub fn check(script: &Script, catalog: &Catalog, registry: &Registry) -> Vec<Diagnostic> {
    let mut binder = Binder::new(catalog, registry, &[]);
    let _ = binder.bind_script(script, None);
    if binder.errors > 0 && !binder.diags.iter().any(Diagnostic::is_error) {
        binder.diags.push(names::error(
            codes::INVALID,
            "the query did not bind, and no error explains why (a bug in kqlite)",
            script.span,
        ));
    }
    let mut diags = binder.diags;
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    diags
}

/// A failure already reported as a diagnostic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reported;

pub(crate) type BResult<T> = Result<T, Reported>;

/// What a `let` name stands for.
#[derive(Clone)]
pub(crate) enum Binding {
    /// A scalar expression (folded when constant).
    Scalar(BoundExpr),
    /// A tabular expression.
    Tabular(Arc<Plan>, Schema),
    /// A user function.
    Function(Arc<ast::FunctionDef>),
    /// A `let` whose value failed to bind (already reported).
    Failed,
}

pub(crate) struct LetEntry {
    name: String,
    span: Span,
    binding: Binding,
    used: bool,
    top_level: bool,
}

/// Binder state for one script.
pub(crate) struct Binder<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) registry: &'a Registry,
    lets: Vec<LetEntry>,
    pub(crate) diags: Vec<Diagnostic>,
    overrides: &'a [(String, Expr)],
    next_materialize: usize,
    depth: usize,
    plan_depth: usize,
    /// Which overrides matched a `let`.
    overrides_used: Vec<bool>,
    /// Schemas with columns known only at run time (`evaluate pivot`
    /// without an output schema): a column they lack binds by name, as
    /// `dynamic`.
    pub(crate) open_schemas: Vec<Schema>,
    /// Plans named by `as`, for `union withsource=`.
    pub(crate) as_names: Vec<(Arc<Plan>, String)>,
    /// `declare pattern` statements seen so far.
    pub(crate) patterns: Vec<Arc<ast::PatternDecl>>,
    /// `set name = value;` options seen so far (names lowercased).
    pub(crate) settings: Vec<(String, Option<Expr>)>,
    /// Errors found so far, including those not reported because an
    /// earlier error explains them.
    errors: usize,
    /// Of those, the ones not reported.
    followed: usize,
    /// Spans of names that failed to resolve: an error whose span covers
    /// one of them follows from it and is not reported again.
    error_spans: Vec<Span>,
    /// Set once an operator of the current statement failed: binding goes
    /// on with its input's columns, and names it might have defined are
    /// accepted without a report.
    recovering: bool,
    /// `let`s below this index are out of scope: a stored workspace
    /// function's body sees only its parameters and its own `let`s.
    scope_floor: usize,
    /// Stored workspace functions being inlined, innermost last.
    stored_stack: Vec<String>,
    /// Nesting of [`Binder::stored_is_tabular`] calls.
    shape_depth: std::cell::Cell<usize>,
    /// The legs of a `fork` after its first, which the query returns as
    /// further result tables (see `fork.rs`).
    pub(crate) fork: Option<fork::ForkState>,
    /// Limits on plans evaluated while binding.
    pub(crate) limits: crate::eval::Limits,
    /// The query's deadline and cancel flag, watched while binding.
    pub(crate) guard: Option<crate::eval::limits::Guard>,
    /// Set once the guard fired: binding stops at the next statement.
    pub(crate) stopped: bool,
    /// User functions being inlined (by the address of their definition),
    /// innermost last: one met again is recursion.
    pub(crate) inlining: Vec<usize>,
}

impl<'a> Binder<'a> {
    fn new(
        catalog: &'a Catalog,
        registry: &'a Registry,
        overrides: &'a [(String, Expr)],
    ) -> Binder<'a> {
        Binder {
            catalog,
            registry,
            lets: Vec::new(),
            diags: Vec::new(),
            overrides,
            overrides_used: vec![false; overrides.len()],
            next_materialize: 0,
            depth: 0,
            plan_depth: 0,
            as_names: Vec::new(),
            open_schemas: Vec::new(),
            fork: None,
            patterns: Vec::new(),
            settings: Vec::new(),
            errors: 0,
            followed: 0,
            error_spans: Vec::new(),
            recovering: false,
            scope_floor: 0,
            stored_stack: Vec::new(),
            shape_depth: std::cell::Cell::new(0),
            limits: crate::eval::Limits::default(),
            guard: None,
            stopped: false,
            inlining: Vec::new(),
        }
    }

    /// Reports an error and returns the marker. An error that follows from
    /// an earlier one (its span covers a name that failed to resolve) is
    /// counted but not reported again.
    pub(crate) fn fail(&mut self, d: Diagnostic) -> Reported {
        self.errors += 1;
        let follows = self
            .error_spans
            .iter()
            .any(|e| d.span.start <= e.start && e.end <= d.span.end);
        if follows {
            self.followed += 1;
        } else {
            self.diags.push(d);
        }
        Reported
    }

    /// Whether `schema` is open (its columns are known only when the query
    /// runs).
    pub(crate) fn is_open(&self, schema: &Schema) -> bool {
        // Exact matches only: a closed schema may well start with an open
        // one's columns. The items of an `extend` over open columns register
        // each schema they grow.
        self.open_schemas.iter().any(|o| o == schema)
    }

    /// Reports an unknown name, unless an operator of this statement has
    /// failed already (that operator may have defined it).
    pub(crate) fn fail_unless_recovering(&mut self, d: Diagnostic) -> Reported {
        if self.recovering {
            // Explained by the operator that failed.
            self.count_failure();
            Reported
        } else {
            self.fail(d)
        }
    }

    /// Binds `e` on trial: its binding when it met no error; otherwise the
    /// diagnostics it produced, taken back out of the report with the
    /// binder's error state as before, for the caller to drop (a fuzzy
    /// union leg over a missing table) or keep with [`Binder::keep`].
    pub(crate) fn bind_tabular_trial(&mut self, e: &Expr) -> Result<ops::Bound, Vec<Diagnostic>> {
        let diags = self.diags.len();
        let (errors, followed) = (self.errors, self.followed);
        let (spans, recovering) = (self.error_spans.len(), self.recovering);
        let bound = self.bind_tabular(e);
        match bound {
            Ok(b) if self.errors == errors => Ok(b),
            _ => {
                let found = self.diags.split_off(diags);
                self.errors = errors;
                self.followed = followed;
                self.error_spans.truncate(spans);
                self.recovering = recovering;
                Err(found)
            }
        }
    }

    /// Reports diagnostics a trial binding produced after all.
    pub(crate) fn keep(&mut self, found: Vec<Diagnostic>) -> Reported {
        for d in found {
            if d.is_error() {
                self.errors += 1;
            }
            self.diags.push(d);
        }
        // The trial failed, even if its errors followed from earlier ones.
        self.errors += 1;
        self.followed += 1;
        Reported
    }

    /// Errors found and errors not reported, so far.
    pub(crate) fn error_counts(&self) -> (usize, usize) {
        (self.errors, self.followed)
    }

    /// Whether every error since `before` (from [`Binder::error_counts`])
    /// followed from an earlier one, and there was at least one.
    pub(crate) fn only_followed_since(&self, before: (usize, usize)) -> bool {
        let new = self.errors - before.0;
        new > 0 && new == self.followed - before.1
    }

    /// A null `dynamic` value standing in for an expression that cannot
    /// bind because of an earlier error; errors covering it are not
    /// reported.
    pub(crate) fn stand_in(&mut self, span: Span) -> BoundExpr {
        self.error_spans.push(span);
        BoundExpr {
            kind: BoundExprKind::Literal(crate::value::Value::Null),
            ty: crate::types::DataType::Dynamic,
            span,
        }
    }

    /// Reports a name that failed to resolve and stands in for it with a
    /// null `dynamic` value, so binding goes on and later errors are found
    /// too (the query as a whole still fails). While recovering from a
    /// failed operator, the name is accepted silently: that operator may
    /// have defined it.
    pub(crate) fn unresolved(&mut self, d: Diagnostic) -> BoundExpr {
        let span = d.span;
        self.fail_unless_recovering(d);
        self.stand_in(span)
    }

    /// No rows, with `schema` marked open: rows from tables a workspace may
    /// or may not have, when the catalog knows thousands (`search` with no
    /// tables, `union *`) and binding them all would only slow checking.
    pub(crate) fn open_rows(&mut self, schema: Schema) -> (Arc<Plan>, Schema) {
        let columns = schema
            .iter()
            .map(|(n, t)| (n.clone(), Arc::new(crate::column::Column::nulls(*t, 0))));
        let table =
            crate::table::Table::try_new(columns).unwrap_or_else(|_| crate::table::Table::empty(0));
        self.open_schemas.push(schema.clone());
        (Arc::new(Plan::Values(Arc::new(table))), schema)
    }

    /// Counts a failure that may have been silent (a `let` that failed
    /// earlier), so what is bound from here on is not trusted.
    pub(crate) fn count_failure(&mut self) {
        self.errors += 1;
        self.followed += 1;
    }

    /// Goes on binding after an operator failed (see [`Binder::unresolved`]).
    pub(crate) fn start_recovering(&mut self) {
        self.recovering = true;
        self.count_failure();
    }

    pub(crate) fn warn(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn bind_script(
        &mut self,
        script: &Script,
        section: Option<&str>,
    ) -> Option<(Arc<Plan>, Schema)> {
        let mut result = None;
        for stmt in &script.statements {
            self.recovering = false;
            if self.out_of_time(stmt.span) {
                return None;
            }
            match &stmt.kind {
                StatementKind::Let(l) => self.bind_let(l, true),
                StatementKind::Query(e) => {
                    let before = self.error_counts();
                    if let Ok(r) = self.bind_tabular(e).and_then(|r| {
                        // Only a query that bound cleanly is blamed for
                        // ending on a graph: a failed operator leaves its
                        // input in place.
                        if self.error_counts() == before {
                            self.check_not_graph(&r.0, e.span)?;
                        }
                        Ok(r)
                    }) {
                        result = Some(r);
                    } else {
                        result = None;
                    }
                }
                StatementKind::DeclareQueryParameters(params) => {
                    for p in params {
                        self.bind_parameter(p);
                    }
                }
                StatementKind::Set(s) => self
                    .settings
                    .push((s.name.name.to_ascii_lowercase(), s.value.clone())),
                StatementKind::DeclarePattern(p) => self.patterns.push(Arc::new(p.clone())),
            }
        }
        if let Some(name) = section {
            let found = self
                .lets
                .iter_mut()
                .rev()
                .find(|l| l.top_level && l.name == name);
            result = match found {
                Some(entry) => {
                    entry.used = true;
                    match &entry.binding {
                        Binding::Tabular(p, s) => Some((p.clone(), s.clone())),
                        Binding::Failed => None,
                        _ => {
                            let d = names::error(
                                codes::UNKNOWN_SECTION,
                                format!("section `{name}` is not a tabular `let`"),
                                entry.span,
                            );
                            self.diags.push(d);
                            None
                        }
                    }
                }
                None => {
                    let d = names::error(
                        codes::UNKNOWN_SECTION,
                        format!("no `let` named `{name}` to evaluate as a section"),
                        script.span,
                    );
                    let cands: Vec<String> = self.lets.iter().map(|l| l.name.clone()).collect();
                    let d = names::suggest(d, name, cands.iter().map(String::as_str));
                    self.diags.push(d);
                    None
                }
            };
        }
        for ((name, e), used) in self.overrides.iter().zip(&self.overrides_used) {
            if !used {
                let d = names::error(
                    codes::UNKNOWN_SECTION,
                    format!("no `let` or query parameter named `{name}` to override"),
                    e.span,
                );
                let d = names::suggest(d, name, self.lets.iter().map(|l| l.name.as_str()));
                self.diags.push(d);
            }
        }
        // After an error, a `let` may look unused only because the part of
        // the query that uses it did not bind.
        let any_error = self.errors > 0;
        let unused: Vec<Diagnostic> = self
            .lets
            .iter()
            .filter(|l| l.top_level && !l.used && !any_error)
            .map(|l| {
                names::with_hint(
                    names::warning(
                        codes::UNUSED_LET,
                        format!("`{}` is defined but never used", l.name),
                        l.span,
                    ),
                    format!(
                        "remove it, or evaluate it on its own with `--section {}`",
                        l.name
                    ),
                )
            })
            .collect();
        self.diags.extend(unused);
        result
    }

    fn override_for(&mut self, name: &str) -> Option<&'a Expr> {
        let i = self.overrides.iter().position(|(n, _)| n == name)?;
        if let Some(used) = self.overrides_used.get_mut(i) {
            *used = true;
        }
        self.overrides.get(i).map(|(_, e)| e)
    }

    fn bind_let(&mut self, l: &ast::LetStatement, top_level: bool) {
        let name = l.name.name.clone();
        let binding = match (&l.value, self.override_for(&name)) {
            (_, Some(e)) => self.bind_let_value(e),
            (LetValue::Expr(e), None) => self.bind_let_value(e),
            (LetValue::Function(f), None) => Binding::Function(Arc::new(f.clone())),
        };
        self.lets.push(LetEntry {
            name,
            span: l.name.span,
            binding,
            used: false,
            top_level,
        });
    }

    fn bind_let_value(&mut self, e: &Expr) -> Binding {
        // A value bound only by recovering from an error is not trusted:
        // its uses are then not checked against it.
        let errors = self.errors;
        let binding = if self.is_tabular(e) {
            match self.bind_tabular(e) {
                Ok((p, s)) => Binding::Tabular(p, s),
                Err(Reported) => Binding::Failed,
            }
        } else {
            match self.bind_scalar(e, None) {
                Ok(b) => Binding::Scalar(b),
                Err(Reported) => Binding::Failed,
            }
        };
        if self.errors > errors {
            Binding::Failed
        } else {
            binding
        }
    }

    fn bind_parameter(&mut self, p: &ast::Parameter) {
        let name = p.name.name.clone();
        let binding = match (self.override_for(&name), &p.default) {
            (Some(e), _) | (None, Some(e)) => self.bind_let_value(e),
            (None, None) => {
                let d = names::with_hint(
                    names::error(
                        codes::INVALID,
                        format!("query parameter `{name}` has no value"),
                        p.span,
                    ),
                    format!("give it a default, or set it with `--let {name}=...`"),
                );
                self.diags.push(d);
                Binding::Failed
            }
        };
        self.lets.push(LetEntry {
            name,
            span: p.name.span,
            binding,
            used: true,
            top_level: false,
        });
    }

    /// Looks up a `let` name (innermost first) and marks it used.
    pub(crate) fn lookup(&mut self, name: &str) -> Option<Binding> {
        let floor = self.scope_floor;
        let entry = self
            .lets
            .get_mut(floor..)?
            .iter_mut()
            .rev()
            .find(|l| l.name == name)?;
        entry.used = true;
        Some(entry.binding.clone())
    }

    fn peek(&self, name: &str) -> Option<&Binding> {
        self.lets
            .get(self.scope_floor..)?
            .iter()
            .rev()
            .find(|l| l.name == name)
            .map(|l| &l.binding)
    }

    /// Every table and function the catalog knows and every `let` name
    /// visible now, for suggestions.
    pub(crate) fn table_names_in_scope(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .catalog
            .known_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        names.extend(self.let_names());
        names
    }

    /// A function call's result where a table is expected; `what` names
    /// the function as the message should (`` `f` ``).
    pub(crate) fn tabular_result(
        &mut self,
        result: Binding,
        what: &str,
        span: Span,
    ) -> BResult<ops::Bound> {
        match result {
            Binding::Tabular(p, s) => Ok((p, s)),
            _ => Err(self.fail(names::error(
                codes::WRONG_KIND,
                format!("{what} returns a scalar, used where a table is expected"),
                span,
            ))),
        }
    }

    /// A function call's result where a scalar is expected.
    pub(crate) fn scalar_result(
        &mut self,
        result: Binding,
        name: &str,
        span: Span,
    ) -> BResult<BoundExpr> {
        match result {
            Binding::Scalar(b) => Ok(BoundExpr { span, ..b }),
            _ => Err(self.fail(names::with_hint(
                names::error(
                    codes::WRONG_KIND,
                    format!("`{name}` returns a table, used where a scalar is expected"),
                    span,
                ),
                "wrap the call in `toscalar(...)`",
            ))),
        }
    }

    /// `let` names visible now, for suggestions.
    pub(crate) fn let_names(&self) -> Vec<String> {
        let visible = self.lets.get(self.scope_floor..).unwrap_or(&[]);
        visible.iter().map(|l| l.name.clone()).collect()
    }

    /// Whether an expression denotes a table (decided from its shape and the
    /// names in scope, before binding it).
    pub(crate) fn is_tabular(&self, e: &Expr) -> bool {
        if self.is_pattern_ref(e) {
            return true;
        }
        match &e.kind {
            ExprKind::Pipe { .. } | ExprKind::Source(_) => true,
            ExprKind::Paren(inner) => self.is_tabular(inner),
            ExprKind::Name(id) => match self.peek(&id.name) {
                Some(Binding::Tabular(..)) => true,
                Some(Binding::Failed) => false,
                Some(_) => false,
                None => match self.catalog.stored_function(&id.name) {
                    Some(f) => self.stored_is_tabular(f),
                    None => self.catalog.get(&id.name).is_some(),
                },
            },
            ExprKind::Call(c) => match c.name.name.as_str() {
                "materialize" | "table" | "view" => true,
                name => match self.peek(name) {
                    Some(Binding::Function(f)) => {
                        // A body may name its own function (or one calling
                        // it): bound the descent as for stored functions.
                        let depth = self.shape_depth.get();
                        if depth > MAX_CALL_DEPTH {
                            return false;
                        }
                        self.shape_depth.set(depth + 1);
                        let tabular = f.body.last().is_some_and(
                            |s| matches!(&s.kind, StatementKind::Query(q) if self.is_tabular(q)),
                        );
                        self.shape_depth.set(depth);
                        tabular
                    }
                    None => self
                        .catalog
                        .stored_function(name)
                        .is_some_and(|f| self.stored_is_tabular(f)),
                    _ => false,
                },
            },
            _ => false,
        }
    }

    /// Inlines a user function call: binds the arguments, then the body with
    /// the parameters in scope. Returns either a scalar or a tabular result.
    pub(crate) fn call_user_function(
        &mut self,
        f: &ast::FunctionDef,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<Binding> {
        self.inline_function(f, call, span, row, None)
    }

    /// [`Binder::call_user_function`], for a `let` function or (with
    /// `stored`) a stored workspace function, whose defaults and body are
    /// bound in their own scope with their errors reported at the call.
    fn inline_function(
        &mut self,
        f: &ast::FunctionDef,
        call: &ast::Call,
        span: Span,
        row: Option<&Schema>,
        stored: Option<&stored::StoredCall<'_>>,
    ) -> BResult<Binding> {
        // A function met again while its own body is being inlined calls
        // itself; a chain of distinct functions only nests.
        let id = std::ptr::from_ref(f) as usize;
        if self.inlining.contains(&id) {
            return Err(self.fail(names::error(
                codes::INVALID,
                format!(
                    "`{}` calls itself (recursion is not supported)",
                    call.name.name
                ),
                span,
            )));
        }
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.fail(names::with_hint(
                names::error(
                    codes::INVALID,
                    format!(
                        "calls to `{}` nest more than {MAX_CALL_DEPTH} functions deep",
                        call.name.name
                    ),
                    span,
                ),
                "call fewer functions from one another",
            )));
        }
        let call = &self.positional_call(f, call, span)?;
        let required = f.params.iter().filter(|p| p.default.is_none()).count();
        if call.args.len() < required || call.args.len() > f.params.len() {
            let expected = if required == f.params.len() {
                required.to_string()
            } else {
                format!("{required} to {}", f.params.len())
            };
            return Err(self.fail(names::error(
                codes::ARITY,
                format!(
                    "`{}` expects {expected} argument(s), got {}",
                    call.name.name,
                    call.args.len()
                ),
                span,
            )));
        }
        let mut bound = Vec::with_capacity(f.params.len());
        for (i, p) in f.params.iter().enumerate() {
            let given = call.args.get(i);
            let Some(arg) = given.or(p.default.as_ref()) else {
                return Err(self.fail(names::error(
                    codes::ARITY,
                    format!(
                        "`{}` needs a value for its parameter `{}`",
                        call.name.name, p.name.name
                    ),
                    span,
                )));
            };
            let bind_arg = |b: &mut Binder<'a>| -> BResult<Binding> {
                Ok(match &p.ty {
                    ast::ParamType::Tabular { .. } => {
                        let (plan, schema) = b.bind_tabular(arg)?;
                        Binding::Tabular(plan, schema)
                    }
                    ast::ParamType::Scalar(_) => Binding::Scalar(b.bind_scalar(arg, row)?),
                })
            };
            let b = match stored {
                // A default is code of the stored function.
                Some(sc) if given.is_none() => {
                    let floor = self.lets.len();
                    self.isolated(sc, span, floor, bind_arg)?
                }
                _ => bind_arg(self)?,
            };
            bound.push((p.name.clone(), b));
        }
        let mark = self.lets.len();
        for (name, b) in bound {
            self.lets.push(LetEntry {
                name: name.name,
                span: name.span,
                binding: b,
                used: true,
                top_level: false,
            });
        }
        self.depth += 1;
        self.inlining.push(id);
        let result = match stored {
            Some(sc) => self.isolated(sc, span, mark, |b| b.bind_body(&f.body, span, row)),
            None => self.bind_body(&f.body, span, row),
        };
        self.inlining.pop();
        self.depth -= 1;
        self.lets.truncate(mark);
        result
    }

    fn bind_body(
        &mut self,
        body: &[ast::Statement],
        span: Span,
        row: Option<&Schema>,
    ) -> BResult<Binding> {
        let mut last = None;
        for stmt in body {
            match &stmt.kind {
                StatementKind::Let(l) => self.bind_let(l, false),
                StatementKind::Query(e) => last = Some(e),
                _ => {
                    return Err(self.fail(names::error(
                        codes::NOT_SUPPORTED,
                        "not supported: this statement inside a function body",
                        stmt.span,
                    )))
                }
            }
        }
        let Some(e) = last else {
            return Err(self.fail(names::error(
                codes::INVALID,
                "the function body has no result",
                span,
            )));
        };
        if self.is_tabular(e) {
            let (p, s) = self.bind_tabular(e)?;
            Ok(Binding::Tabular(p, s))
        } else {
            Ok(Binding::Scalar(self.bind_scalar(e, row)?))
        }
    }

    /// Registers `name` for a tabular value (`as Name`): later statements
    /// may refer to it, and `union withsource=` reports it.
    pub(crate) fn name_plan(&mut self, name: &ast::Ident, plan: &Arc<Plan>, schema: &Schema) {
        self.as_names.push((plan.clone(), name.name.clone()));
        self.lets.push(LetEntry {
            name: name.name.clone(),
            span: name.span,
            binding: Binding::Tabular(plan.clone(), schema.clone()),
            used: true,
            top_level: false,
        });
    }

    /// The `as` name of a plan, if it has one.
    pub(crate) fn plan_name(&self, plan: &Arc<Plan>) -> Option<String> {
        self.as_names
            .iter()
            .rev()
            .find(|(p, _)| Arc::ptr_eq(p, plan))
            .map(|(_, n)| n.clone())
    }

    /// Tabular `let`s and parameterless functions whose names match a
    /// wildcard pattern, in definition order.
    pub(crate) fn tabular_lets_matching(&self, pattern: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in &self.lets {
            let tabular = match &l.binding {
                Binding::Tabular(..) => true,
                Binding::Function(f) => f.params.iter().all(|p| p.default.is_some()),
                _ => false,
            };
            if tabular && ops::wildcard_match(pattern, &l.name) && !out.contains(&l.name) {
                out.push(l.name.clone());
            }
        }
        out
    }

    pub(crate) fn next_materialize_id(&mut self) -> usize {
        self.next_materialize += 1;
        self.next_materialize
    }
}

#[cfg(test)]
mod tests;
